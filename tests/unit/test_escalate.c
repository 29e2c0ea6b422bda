#include "tap.h"
#include "alert/escalate.h"
#include "util/exitcodes.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
	struct catalog cat = CATALOG_INIT;
	struct cam_ctx cam = { 0 };
	struct esc_ctx x = { &cat, 0, &cam, NULL, 0 };
	struct esc_row row;
	struct esc_result res;

	memset(&row, 0, sizeof(row));
	snprintf(row.rid, sizeof(row.rid), "0");
	row.cr.error = strdup("mapping_severity_code: \"Huge\" is not a choice");
	row.cr.dedup_key = strdup("N1@@notable@@1");

	/* a row that cannot become a case never reaches SOAR (no handles) */
	escalate_row(&x, NULL, NULL, &row, &res);
	is_int(res.outcome, ESC_FAILED, "unmappable row: failed");
	is_int(res.fail, ESC_DATA, "unmappable row: the row's data");
	is_str(res.error, row.cr.error, "unmappable row: the mapping error");
	is_int(res.case_id, 0, "unmappable row: no case");
	is_int(escalate_exit_code(&res), EXIT_ROWS, "unmappable row: exit 4");

	is_str(esc_row_key(&x, &row), "N1@@notable@@1", "key: the notable");
	x.duplicates = 1;
	ok(esc_row_key(&x, &row) == NULL, "duplicates wanted: no key");

	escalate_fail(&res, ESC_INTERNAL, "cannot start a worker thread");
	ok(res.outcome == ESC_FAILED && res.fail == ESC_INTERNAL &&
		   strcmp(res.error, "cannot start a worker thread") == 0,
	   "escalate_fail: failed with the reason");
	is_int(escalate_exit_code(&res), EXIT_INTERNAL, "internal: exit 8");
	escalate_fail(&res, ESC_SOAR, "SOAR down");
	is_int(escalate_exit_code(&res), EXIT_SOAR, "SOAR: exit 6");

	memset(&res, 0, sizeof(res));
	res.outcome = ESC_CREATED;
	is_int(escalate_exit_code(&res), EXIT_OK, "created: exit 0");
	res.outcome = ESC_UNCHANGED;
	is_int(escalate_exit_code(&res), EXIT_OK, "unchanged: exit 0");
	res.comment_failed = 1;
	is_int(escalate_exit_code(&res), EXIT_NOTABLE,
	       "case made, comment failed: exit 7");

	case_row_free(&row.cr);
	return tap_done();
}
