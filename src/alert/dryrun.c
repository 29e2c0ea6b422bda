#include "alert/dryrun.h"
#include "util/text.h"
#include "mapping/catalog.h"
#include "mapping/config.h"
#include "mapping/engine.h"
#include "util/exitcodes.h"
#include "util/log.h"
#include "mapping/payload.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int print_row(const struct engine_row *r)
{
	json_t *line;
	int rc;

	if (r->cr.error)
		line = json_pack("{s:s,s:s}", "rid", r->rid, "error",
				 r->cr.error);
	else
		line = json_pack("{s:s,s:O,s:O}", "rid", r->rid, "case",
				 r->cr.body, "warnings", r->cr.warnings);
	if (!line)
		return -1;
	/* Sorted keys keep the lines stable for diffs and golden tests. */
	rc = json_dumpf(line, stdout, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(line);
	if (rc == 0 && fputc('\n', stdout) == EOF)
		rc = -1;
	return rc;
}

int dryrun_main(int argc, char **argv)
{
	const char *fields = NULL, *types = NULL;
	struct payload p;
	struct action_config cfg;
	struct catalog cat = CATALOG_INIT;
	struct engine *e = NULL;
	struct engine_row r;
	char err[1024];
	int i, rc = EXIT_INTERNAL, st, have_cfg = 0, rows = 0, failed = 0;

	memset(&p, 0, sizeof(p));
	memset(&cfg, 0, sizeof(cfg));
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--fields") == 0 && i + 1 < argc)
			fields = argv[++i];
		else if (strcmp(argv[i], "--artifact-types") == 0 &&
			 i + 1 < argc)
			types = argv[++i];
		else {
			errorf("dry run: unexpected argument \"%s\"; usage: qradar_soar --dry-run --fields FIELDS.json [--artifact-types TYPES.json] < payload.json",
			       argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!fields) {
		errorf("dry run: --fields FIELDS.json is required (the org's incident field definitions)");
		return EXIT_USAGE;
	}
	if (payload_read_fd(&p, 0, err, sizeof(err)) != PAYLOAD_OK) {
		errorf("%s", err);
		rc = EXIT_PAYLOAD;
		goto out;
	}
	log_add_secret(p.session_key);
	if (config_load(&cfg, p.configuration, err, sizeof(err)) != 0) {
		errorf("%s", err);
		rc = EXIT_PAYLOAD;
		goto out;
	}
	have_cfg = 1;
	if (config_ignored_text(&cfg, err, sizeof(err)))
		infof("%s", err);
	if (catalog_load_files(&cat, fields, types, err, sizeof(err)) != 0) {
		errorf("%s", err);
		rc = EXIT_PAYLOAD;
		goto out;
	}
	st = engine_open(&e, &p, &cfg, &cat, text_now_ms(), err, sizeof(err));
	if (st != 0) {
		errorf("%s", err);
		rc = st == ENGINE_NOMEM ? EXIT_INTERNAL : EXIT_RESULTS;
		goto out;
	}
	for (;;) {
		st = engine_next(e, &r, err, sizeof(err));
		if (st != ENGINE_ROW)
			break;
		rows++;
		if (r.cr.error) {
			failed++;
			errorf("rid=%s: %s", r.rid, r.cr.error);
		}
		if (print_row(&r) != 0) {
			case_row_free(&r.cr);
			errorf("dry run: cannot write to stdout");
			rc = EXIT_INTERNAL;
			goto out;
		}
		case_row_free(&r.cr);
	}
	if (st != ENGINE_DONE) {
		errorf("%s", err);
		rc = st == ENGINE_NOMEM ? EXIT_INTERNAL : EXIT_RESULTS;
		goto out;
	}
	if (rows == 0)
		infof("dry run: the results hold no rows; nothing to escalate");
	rc = failed ? EXIT_ROWS : EXIT_OK;
out:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errorf("dry run: cannot write to stdout");
		rc = EXIT_INTERNAL;
	}
	engine_close(e);
	catalog_free(&cat);
	if (have_cfg)
		config_free(&cfg);
	payload_free(&p);
	return rc;
}
