#include "mapping/engine.h"
#include "mapping/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct engine {
	const struct payload *p;
	const struct action_config *cfg;
	const struct catalog *cat;
	struct results *res; /* NULL: zero rows */
	long long now_ms;
	size_t yielded;
	char rid_base[32]; /* per-result alerting: the result id */
};

/* Per-result alerting names the file per_result_alert/tmp_<N>.csv.gz. */
static int rid_from_path(const char *path, char *out, size_t n)
{
	const char *s = path ? strstr(path, "/per_result_alert/tmp_") : NULL;
	size_t k = 0;

	if (!s)
		return -1;
	s += strlen("/per_result_alert/tmp_");
	while (s[k] >= '0' && s[k] <= '9')
		k++;
	if (k == 0 || k >= n || s[k] != '.')
		return -1;
	memcpy(out, s, k);
	out[k] = '\0';
	return 0;
}

int engine_open(struct engine **out, const struct payload *p,
		const struct action_config *cfg, const struct catalog *cat,
		long long now_ms, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return ENGINE_NOMEM;
	}
	e->p = p;
	e->cfg = cfg;
	e->cat = cat;
	e->now_ms = now_ms;
	if (p->result_id && *p->result_id)
		snprintf(e->rid_base, sizeof(e->rid_base), "%s", p->result_id);
	else
		rid_from_path(p->results_file, e->rid_base,
			      sizeof(e->rid_base));
	/* No results file and no first result: Splunk had nothing to send.
	 * A named file that cannot be read is an error even when the payload
	 * carries a first result: escalating only that row would silently
	 * drop the others. A file that does not exist while the payload has no
	 * result either is how Splunk reports zero results. */
	if (p->results_file && *p->results_file && !p->result &&
	    access(p->results_file, F_OK) != 0) {
		/* Splunk may not write the file at all for zero results. */
		*out = e;
		return 0;
	}
	if (p->results_file && *p->results_file) {
		int rc = results_open(&e->res, p->results_file, err, errlen);

		if (rc != RESULTS_OK) {
			free(e);
			return rc == RESULTS_NOMEM ? ENGINE_NOMEM
						   : ENGINE_RESULTS;
		}
	} else if (p->result) {
		snprintf(
			err, errlen,
			"payload: results_file is missing although the payload carries a result");
		free(e);
		return ENGINE_RESULTS;
	}
	*out = e;
	return 0;
}

int engine_next(struct engine *e, struct engine_row *out, char *err,
		size_t errlen)
{
	const struct row *row = NULL;
	struct token_ctx tc;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!e->res)
		return ENGINE_DONE;
	rc = results_next(e->res, &row, err, errlen);
	if (rc == RESULTS_EOF)
		return ENGINE_DONE;
	if (rc != RESULTS_OK)
		return rc == RESULTS_NOMEM ? ENGINE_NOMEM : ENGINE_RESULTS;
	out->row = row;
	if (e->rid_base[0] && row->index == 0)
		snprintf(out->rid, sizeof(out->rid), "%s", e->rid_base);
	else if (e->rid_base[0])
		snprintf(out->rid, sizeof(out->rid), "%s.%zu", e->rid_base,
			 row->index);
	else
		snprintf(out->rid, sizeof(out->rid), "%zu", row->index);
	e->yielded++;
	if (e->yielded > (size_t)e->cfg->num_events) {
		char msg[256];

		snprintf(
			msg, sizeof(msg),
			"row %zu exceeds num_events = %d; not escalated (raise num_events to escalate more rows per run)",
			row->index, e->cfg->num_events);
		out->cr.warnings = json_array();
		out->cr.error = strdup(msg);
		if (!out->cr.warnings || !out->cr.error) {
			case_row_free(&out->cr);
			return ENGINE_NOMEM;
		}
		return ENGINE_ROW;
	}
	if (row->error) {
		/* the rest of the file is read on: only this row is lost */
		out->cr.warnings = json_array();
		out->cr.error = strdup(row->error);
		if (!out->cr.warnings || !out->cr.error) {
			case_row_free(&out->cr);
			snprintf(err, errlen, "out of memory");
			return ENGINE_NOMEM;
		}
		return ENGINE_ROW;
	}
	tc.payload = e->p;
	tc.row = row;
	if (casebuild_row(&out->cr, e->cfg, e->cat, &tc, e->now_ms) != 0) {
		case_row_free(&out->cr);
		snprintf(err, errlen, "out of memory building row %zu",
			 row->index);
		return ENGINE_NOMEM;
	}
	return ENGINE_ROW;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	if (e->res)
		results_close(e->res);
	free(e);
}
