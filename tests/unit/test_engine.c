/*
 * engine: rids, the num_events cap, zero rows, unreadable and truncated
 * results. The results reader is replaced by a fake defined here (engine.o
 * needs only results_open/next/close), so rows are exact and no file I/O
 * is involved. Paths drive the fake: "missing" fails to open, "trunc"
 * yields 2 rows then a gzip error, anything else yields 3 rows.
 */
#include "tap.h"
#include "mapping/engine.h"
#include "mapping/results.h"

#include <stdlib.h>
#include <string.h>

struct results {
	size_t next, n;
	int trunc;
	struct row row;
	struct field f;
	const char *v[1];
	size_t l[1];
};

int results_open(struct results **out, const char *path, char *err,
		 size_t errlen)
{
	struct results *r;

	*out = NULL;
	if (strstr(path, "missing")) {
		snprintf(err, errlen, "%s: No such file or directory", path);
		return RESULTS_OPEN;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return RESULTS_NOMEM;
	r->trunc = strstr(path, "trunc") != NULL;
	r->n = r->trunc ? 2 : 3;
	*out = r;
	return RESULTS_OK;
}

int results_next(struct results *r, const struct row **row, char *err,
		 size_t errlen)
{
	if (r->next >= r->n) {
		if (r->trunc) {
			snprintf(err, errlen, "trunc.csv.gz: truncated gzip stream");
			return RESULTS_GZIP;
		}
		return RESULTS_EOF;
	}
	r->v[0] = "10.0.0.1";
	r->l[0] = 8;
	r->f.name = "src";
	r->f.nvals = 1;
	r->f.vals = r->v;
	r->f.lens = r->l;
	r->row.index = r->next++;
	r->row.nfields = 1;
	r->row.fields = &r->f;
	*row = &r->row;
	return RESULTS_OK;
}

void results_close(struct results *r)
{
	free(r);
}

static struct catalog cat = CATALOG_INIT;

/* Runs the engine over the payload and returns the rids joined by ' ', each
 * followed by '!' when the row errored, then "|rc" of the last call. */
static void run(const char *file, const char *result_id, int has_result,
		const char *num_events, char *out, size_t n, char *lasterr,
		size_t lelen)
{
	struct payload p;
	struct action_config cfg;
	struct engine *e = NULL;
	struct engine_row r;
	json_t *conf = json_pack("{s:s,s:s}", "mapping_name", "x $result.src$",
				 "num_events", num_events);
	json_t *res = json_pack("{s:s}", "src", "10.0.0.1");
	char err[512] = "";
	size_t used = 0;
	int st;

	memset(&p, 0, sizeof(p));
	p.results_file = file;
	p.result_id = result_id;
	p.result = has_result ? res : NULL;
	p.sid = "scheduler__admin__search__RMD5_at_1714557600_12";
	p.configuration = conf;
	out[0] = '\0';
	lasterr[0] = '\0';
	if (config_load(&cfg, conf, err, sizeof(err)) != 0) {
		snprintf(out, n, "config: %s", err);
		goto out;
	}
	st = engine_open(&e, &p, &cfg, &cat, 1700000000000LL, err, sizeof(err));
	if (st == 0) {
		for (;;) {
			st = engine_next(e, &r, err, sizeof(err));
			if (st != ENGINE_ROW)
				break;
			used += (size_t)snprintf(out + used, n - used, "%s%s ",
						 r.rid, r.cr.error ? "!" : "");
			if (r.cr.error)
				snprintf(lasterr, lelen, "%s", r.cr.error);
			case_row_free(&r.cr);
		}
	}
	snprintf(out + used, n - used, "|%d", st);
	if (st < 0)
		snprintf(lasterr, lelen, "%s", err);
	engine_close(e);
	config_free(&cfg);
out:
	json_decref(conf);
	json_decref(res);
}

int main(void)
{
	char got[256], err[512];
	json_t *fields = json_loads(
		"[{\"name\":\"name\",\"input_type\":\"text\",\"required\":\"always\"},"
		"{\"name\":\"discovered_date\",\"input_type\":\"datetimepicker\",\"required\":\"always\"}]",
		0, NULL);

	ok(catalog_load(&cat, fields, NULL, err, sizeof(err)) == 0,
	   "catalog loads");

	run("/r/results.csv.gz", NULL, 1, "30", got, sizeof(got), err, sizeof(err));
	is_str(got, "0 1 2 |1", "rids are 0-based row indexes in order");

	run("/r/results.csv.gz", NULL, 1, "2", got, sizeof(got), err, sizeof(err));
	is_str(got, "0 1 2! |1", "a row over num_events is yielded with an error");
	ok(strstr(err, "num_events") && strstr(err, "= 2"),
	   "the cap error names num_events and its value");

	run("/r/per_result_alert/tmp_5.csv.gz", NULL, 1, "30", got, sizeof(got),
	    err, sizeof(err));
	ok(strncmp(got, "5 ", 2) == 0, "per-result rid from tmp_N");

	run("/r/results.csv.gz", "7", 1, "30", got, sizeof(got), err, sizeof(err));
	ok(strncmp(got, "7 ", 2) == 0, "per-result rid from result_id");

	run(NULL, NULL, 0, "30", got, sizeof(got), err, sizeof(err));
	is_str(got, "|1", "no results_file and no result: zero rows");

	run("/r/missing.csv.gz", NULL, 1, "30", got, sizeof(got), err, sizeof(err));
	is_str(got, "|-1", "unreadable results_file with a result: error");
	ok(strstr(err, "missing.csv.gz") != NULL, "the error names the file");

	run(NULL, NULL, 1, "30", got, sizeof(got), err, sizeof(err));
	is_str(got, "|-1", "a result without results_file: error, no fallback");

	run("/r/trunc.csv.gz", NULL, 1, "30", got, sizeof(got), err, sizeof(err));
	is_str(got, "0 1 |-1", "truncated gzip: error after the rows yielded");
	ok(strstr(err, "truncated") != NULL, "the error says why");

	catalog_free(&cat);
	return tap_done();
}
