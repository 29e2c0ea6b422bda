#ifndef QS_ENGINE_H
#define QS_ENGINE_H

#include "mapping/casebuild.h"
#include "mapping/catalog.h"
#include "mapping/config.h"
#include "mapping/payload.h"

/*
 * The offline half of the alert action shared by --dry-run and --execute:
 * opens the results named by the payload and yields, row by row, the case
 * that row becomes (or why it cannot).
 *  - rid: the row's 0-based index as text; per-result alerting uses the
 *    payload's result_id (else N of per_result_alert/tmp_N.csv.gz).
 *  - rows beyond cfg->num_events are yielded with an error naming the
 *    limit (never dropped silently), and so is a row the reader could not
 *    use (a cell over the size limit: row->error), the rows after it
 *    going on;
 *  - no results_file and no result → zero rows; a results_file that cannot
 *    be opened is an error (ENGINE_RESULTS), never a silent fallback.
 */
struct engine;

struct engine_row {
	char rid[64];
	const struct row *row; /* borrowed until the next engine_next */
	struct case_row cr;    /* owned by the caller: case_row_free() */
};

enum engine_status {
	ENGINE_ROW = 0,
	ENGINE_DONE = 1,
	ENGINE_RESULTS = -1,
	ENGINE_NOMEM = -2
};

/* cfg and cat are borrowed and must outlive the engine. */
int engine_open(struct engine **out, const struct payload *p,
		const struct action_config *cfg, const struct catalog *cat,
		long long now_ms, char *err, size_t errlen);
/* ENGINE_ROW with *out filled, ENGINE_DONE, or a negative error with err
 * naming the file and the cause (rows already yielded stand). */
int engine_next(struct engine *e, struct engine_row *out, char *err,
		size_t errlen);
void engine_close(struct engine *e);

#endif
