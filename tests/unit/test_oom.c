/*
 * Out of memory inside jansson, at every allocation in turn, for the code
 * that builds JSON from untrusted input: the case builder, the payload
 * reader and the setup handler. Each run must end cleanly (an error or a
 * result, never a crash or a use after free: make asan runs this too) and
 * give back every block it took. A use after free inside libjansson (a
 * value used after a failed json_object_set_new freed it) is caught by
 * make valgrind-check, which sees inside the library; ASan does not.
 */
#include "tap.h"
#include "mapping/casebuild.h"
#include "mapping/payload.h"
#include "setup/setup.h"

#include <stdlib.h>
#include <string.h>

static long fail_at, calls, live;

static void *t_malloc(size_t n)
{
	void *p;

	if (fail_at && ++calls == fail_at)
		return NULL;
	p = malloc(n);
	if (p)
		live++;
	return p;
}

static void t_free(void *p)
{
	if (p)
		live--;
	free(p);
}

/* Arms the k-th allocation to fail (0: none). */
static void arm(long k)
{
	fail_at = k;
	calls = 0;
}

/* Whether blocks are missing since before (said, with the allocation). */
static int leaked(const char *what, long k, long before)
{
	if (live == before)
		return 0;
	printf("# %s: allocation %ld failing leaks %ld blocks\n", what, k,
	       live - before);
	return 1;
}

static const char *FIELDS =
	"["
	"{\"name\":\"name\",\"input_type\":\"text\",\"required\":\"always\"},"
	"{\"name\":\"discovered_date\",\"input_type\":\"datetimepicker\",\"required\":\"always\"},"
	"{\"name\":\"description\",\"input_type\":\"textarea\",\"rich_text\":true},"
	"{\"name\":\"severity_code\",\"input_type\":\"select\",\"values\":["
	"  {\"label\":\"Low\",\"value\":4,\"enabled\":true},{\"label\":\"High\",\"value\":6,\"enabled\":true}]},"
	"{\"name\":\"flag\",\"input_type\":\"boolean\"},"
	"{\"name\":\"count\",\"prefix\":\"properties\",\"input_type\":\"number\"},"
	"{\"name\":\"splunk_notable_event_id\",\"prefix\":\"properties\",\"input_type\":\"text\"}]";
static const char *TYPES =
	"{\"entities\":[{\"name\":\"IP Address\",\"enabled\":true},"
	"{\"name\":\"DNS Name\",\"enabled\":true}]}";

/* Builds the row's case with allocation k failing, for every k until a
 * build meets no failure. Returns the number of builds. */
static long sweep_casebuild(const char *conf_json, const char *what)
{
	static const char *const ev[] = { "EV-1" }, *const src[] = {
		"10.0.0.1", "10.0.0.2"
	};
	static const size_t evl[] = { 4 }, srcl[] = { 8, 8 };
	const struct field fs[] = { { "event_id", 1, ev, evl },
				    { "src", 2, src, srcl } };
	const struct row row = { 0, 2, fs, NULL };
	struct catalog cat = CATALOG_INIT;
	struct action_config cfg;
	struct payload p;
	struct token_ctx tc;
	char err[256], pl[2048], name[160];
	long k, before;
	int clean = 1, done = 0;

	snprintf(pl, sizeof pl,
		 "{\"sid\":\"scheduler__a__s__RMD5_at_1714557600_1\","
		 "\"search_name\":\"S<1>\",\"configuration\":%s}",
		 conf_json);
	if (payload_parse(&p, pl, strlen(pl), err, sizeof err) ||
	    config_load(&cfg, p.configuration, err, sizeof err) ||
	    catalog_load(&cat, json_loads(FIELDS, 0, NULL),
			 json_loads(TYPES, 0, NULL), err, sizeof err)) {
		printf("# setup: %s\n", err);
		return 0;
	}
	tc.payload = &p;
	tc.row = &row;
	for (k = 1; !done && k < 100000; k++) {
		struct case_row r = CASE_ROW_INIT;
		int rc;

		before = live;
		arm(k);
		rc = casebuild_row(&r, &cfg, &cat, &tc, 1714557600000LL);
		done = calls < k;
		arm(0);
		if (done && (rc != 0 || r.error || !r.body))
			clean = 0;
		case_row_free(&r);
		if (leaked(what, k, before))
			clean = 0;
	}
	snprintf(name, sizeof name,
		 "casebuild %s: every failing allocation ends cleanly, nothing leaks",
		 what);
	ok(clean && done, name);
	catalog_free(&cat);
	config_free(&cfg);
	payload_free(&p);
	return k;
}

/* Every payload value is a string after a successful parse, whatever
 * allocation failed before. */
static void sweep_payload(const char *doc, const char *what)
{
	char err[256], name[160];
	long k, before, parse = 0;
	int clean = 1, done = 0;

	/* jansson itself may report its out of memory as a syntax error:
	 * that is only ours to report from the allocation after the parse */
	if (doc[0] == '{') {
		json_t *j;

		arm(0);
		fail_at = -1;
		j = json_loadb(doc, strlen(doc), JSON_REJECT_DUPLICATES, NULL);
		parse = calls;
		json_decref(j);
		arm(0);
	}
	for (k = 1; !done && k < 100000; k++) {
		struct payload p;
		const char *key;
		json_t *v;
		int rc;

		before = live;
		arm(k);
		rc = payload_parse(&p, doc, strlen(doc), err, sizeof err);
		done = calls < k;
		arm(0);
		if (rc == PAYLOAD_OK) {
			json_object_foreach(p.configuration, key, v)
				if (!json_is_string(v))
					clean = 0;
			payload_free(&p);
		} else if ((rc != PAYLOAD_NOMEM &&
			    !(rc == PAYLOAD_SYNTAX && k <= parse)) ||
			   done) {
			printf("# %s: allocation %ld failing: %d %s\n", what, k,
			       rc, err);
			clean = 0;
		}
		if (leaked(what, k, before))
			clean = 0;
	}
	snprintf(name, sizeof name,
		 "payload %s: out of memory is reported, never a half-converted configuration",
		 what);
	ok(clean && done, name);
}

int main(void)
{
	json_set_alloc_funcs(t_malloc, t_free);
	ok(sweep_casebuild(
		   "{\"mapping_name\":\"N $result.src$\","
		   "\"mapping_description\":\"<b>$result.src$</b>\","
		   "\"mapping_severity_code\":\"High\",\"mapping_flag\":\"maybe\","
		   "\"artifact1\":\"IP Address|$result.src$|seen\","
		   "\"artifact2\":\"DNS Name|$result.host$\"}",
		   "without properties mapped") > 10,
	   "the sweep ran");
	sweep_casebuild("{\"mapping_properties.count\":\"5\","
			"\"mapping_severity_code\":\"Nope\","
			"\"artifact1\":\"IP Address|$result.src$\"}",
			"with properties mapped");
	sweep_payload("{\"configuration\":{\"a\":1,\"b\":true,\"c\":\"x\","
		      "\"d\":2.5},\"result_id\":3,\"sid\":\"s\"}",
		      "JSON");
	sweep_payload("<alert><configuration><stanza name=\"qradar_soar\">"
		      "<param name=\"a\">1</param><param name=\"b\">x</param>"
		      "</stanza></configuration><sid>s</sid><app>A</app></alert>",
		      "XML");
	{
		json_t *req = json_loads(
			"{\"method\":\"PUT\",\"session\":{\"user\":\"u\"}}", 0,
			NULL);
		json_t *reply;
		int fine = 1;
		long k;

		/* every allocation fails: the first reply is the hardest */
		for (k = 1; k < 50; k++) {
			arm(k);
			reply = setup_handle(req);
			arm(0);
			if (reply &&
			    json_integer_value(json_object_get(
				    reply, "status")) != 405 &&
			    json_integer_value(json_object_get(
				    reply, "status")) != 500)
				fine = 0;
			json_decref(reply);
		}
		ok(fine, "setup_handle under out of memory: a 405, a 500 or "
			 "NULL (documented), never a crash");
		json_decref(req);
	}
	return tap_done();
}
