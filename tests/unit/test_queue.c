#include "alert/queue.h"
#include "mapping/catalog.h"
#include "mapping/config.h"
#include "mapping/payload.h"
#include "mapping/results.h"
#include "mapping/tokens.h"
#include "util/log.h"
#include "util/spool.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "S3cr3t-pa55word"

static const struct queue_origin origin = {
	"Access - Excessive Failed Logins - Rule", "scheduler__admin_at_1714557600_12", "0",
	"orig-sid", "orig-rid", "EV-1@@notable@@abc", "SplunkEnterpriseSecuritySuite", "admin", "sh01"
};
static const struct queue_target target = { "soar.example.com", 443, "Test Organization",
					    "soar@example.com", 0, 0 };

static void test_doc(void)
{
	json_t *d = queue_doc_new(QUEUE_CASE, &origin, &target, "EV-1", "SOAR unreachable",
				  "soar.example.com: connection refused", 0, 1000.5);
	json_t *d2;
	struct queue_origin o2 = origin;
	const char *k;

	ok(d != NULL, "a document");
	k = queue_str(d, "_key");
	ok(k && strlen(k) == 64, "its _key is a digest");
	d2 = queue_doc_new(QUEUE_CASE, &origin, &target, "EV-1", "other", "other", 1, 2000);
	ok(strcmp(k, queue_str(d2, "_key")) == 0, "the same row gets the same key");
	json_decref(d2);
	o2.rid = "1";
	d2 = queue_doc_new(QUEUE_CASE, &o2, &target, "EV-1", "x", "x", 0, 1);
	ok(strcmp(k, queue_str(d2, "_key")) != 0, "another row of the run, another key");
	json_decref(d2);
	d2 = queue_doc_new(QUEUE_COMMENT, &origin, &target, "EV-1", "x", "x", 0, 1);
	ok(strcmp(k, queue_str(d2, "_key")) != 0, "a comment document has its own key");
	json_decref(d2);
	is_str(queue_str(d, "state"), "queued", "state queued");
	is_str(queue_str(d, "kind"), "case", "kind case");
	ok(queue_num(d, "attempts", 0) == 1 && queue_num(d, "next_attempt", 0) == 1000.5 &&
		   queue_num(d, "first_failure", 0) == 1000.5,
	   "one attempt so far, due at once");
	ok(!json_is_true(json_object_get(d, "outcome_unknown")), "outcome known");
	is_str(queue_str(d, "host"), "soar.example.com", "the target host");
	is_str(queue_str(d, "event_id"), "EV-1@@notable@@abc", "the notable");
	queue_doc_failed(d, "HTTP 503", 1, 2000);
	ok(queue_num(d, "attempts", 0) == 2 && queue_num(d, "next_attempt", 0) == 2060 &&
		   json_is_true(json_object_get(d, "outcome_unknown")),
	   "a failed replay: attempts 2, next in 60 s, outcome unknown");
	queue_doc_failed(d, "HTTP 503", 0, 3000);
	ok(queue_num(d, "attempts", 0) == 3 && queue_num(d, "next_attempt", 0) == 3120 &&
		   json_is_true(json_object_get(d, "outcome_unknown")),
	   "backoff doubles; outcome_unknown stays set");
	queue_doc_dead(d, "too old", 4000);
	ok(strcmp(queue_str(d, "state"), "dead") == 0 &&
		   strcmp(queue_str(d, "dead_reason"), "too old") == 0,
	   "dead with its reason");
	json_decref(d);
	ok(queue_backoff_s(1) == 0 && queue_backoff_s(2) == 60 && queue_backoff_s(3) == 120 &&
		   queue_backoff_s(7) == 1920 && queue_backoff_s(8) == 3600 && queue_backoff_s(50) == 3600,
	   "backoff: next replay, then 60 s doubling, capped at one hour");
}

static int grep_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char buf[65536];
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void test_put_and_mask(const char *dir)
{
	json_t *d = queue_doc_new(QUEUE_CASE, &origin, &target, "EV-1", "login refused",
				  "login as soar@example.com with " SECRET " refused", 0, 1);
	struct case_row cr = CASE_ROW_INIT;
	char err[1024], path[600];
	int where;

	log_add_secret(SECRET);
	cr.body = json_pack("{s:s,s:{s:s}}", "name", "x " SECRET, "properties", "note",
			    "quote\"" SECRET "\"");
	cr.changes = json_array();
	cr.artifacts = json_pack("[{s:s,s:s}]", "type", "String", "value", SECRET);
	ok(queue_doc_set_case(d, &cr) == 0, "the case goes in");
	where = queue_put(NULL, dir, d, err, sizeof(err));
	is_int(where, QUEUE_SPOOL, "no splunkd: the spool takes it");
	snprintf(path, sizeof(path), "%s/%s.json", dir, queue_str(d, "_key"));
	is_int(grep_file(path, SECRET), 0, "no registered secret in the stored document");
	is_int(grep_file(path, "********"), 1, "masked where it was");
	where = queue_put(NULL, "", d, err, sizeof(err));
	ok(where == QUEUE_LOST && strstr(err, "not queued"), "neither KV store nor spool: lost, said so");
	case_row_free(&cr);
	json_decref(d);
}

/* An unresolved document builds the same case as the engine would have. */
static void test_inputs(void)
{
	static const char *pl_text =
		"{\"app\":\"search\",\"owner\":\"admin\",\"sid\":\"scheduler__admin__search__RMD5_at_1714557600_3\","
		"\"search_name\":\"Failed logins\",\"results_link\":\"https://sh01:8000/x\",\"server_host\":\"sh01\","
		"\"session_key\":\"" SECRET "\",\"configuration\":{}}";
	static const char *tmpl_text =
		"{\"host\":\"soar.example.com\",\"user\":\"soar@example.com\",\"verify\":\"/ca.pem\","
		"\"proxy_user\":\"p\",\"mapping_name\":\"Login failures of $result.user$ ($$5)\","
		"\"mapping_description\":\"<p>$result.user$ from $result.src$ <a href=\\\"$results_link$\\\">x</a></p>\","
		"\"mapping_severity_code\":\"Low\",\"mapping_discovered_date\":\"$result._time$\","
		"\"mapping_properties.splunk_notable_event_id\":\"$result.event_id$\","
		"\"artifact1\":\"IP Address|$result.src$|Source of $result.user$\",\"num_artifacts\":\"5\"}";
	static const char *v_user[] = { "<alice>" }, *v_src[] = { "10.0.0.1", "10.0.0.2" },
			  *v_ev[] = { "EV-9" }, *v_t[] = { "1714557000" }, *v_other[] = { "unused" };
	static const size_t l_user[] = { 7 }, l_src[] = { 8, 8 }, l_ev[] = { 4 }, l_t[] = { 10 },
			    l_other[] = { 6 };
	const struct field fields[] = { { "user", 1, v_user, l_user }, { "src", 2, v_src, l_src },
					{ "event_id", 1, v_ev, l_ev }, { "_time", 1, v_t, l_t },
					{ "other", 1, v_other, l_other } };
	const struct row row = { 0, 5, fields, NULL };
	struct catalog cat = CATALOG_INIT;
	struct payload p;
	struct action_config cfg;
	struct case_row direct = CASE_ROW_INIT, replayed = CASE_ROW_INIT;
	struct token_ctx tc;
	json_t *tmpl = json_loads(tmpl_text, 0, NULL), *in, *d, *conf, *rowj;
	char err[512];
	char *text;

	if (!ok(catalog_load_files(&cat, "tests/emu/data/fields.json",
				   "tests/emu/data/artifact_types.json", err, sizeof(err)) == 0,
		"catalog loaded")) {
		printf("# %s\n", err);
		return;
	}
	payload_parse(&p, pl_text, strlen(pl_text), err, sizeof(err));
	json_object_update(p.configuration, tmpl);
	config_load(&cfg, tmpl, err, sizeof(err));
	tc.payload = &p;
	tc.row = &row;
	casebuild_row(&direct, &cfg, &cat, &tc, 5000);
	ok(direct.body && !direct.error, "the case builds directly");

	in = queue_inputs(&p, tmpl, &row);
	conf = json_object_get(json_object_get(in, "payload"), "configuration");
	rowj = json_object_get(in, "row");
	ok(conf && json_object_get(conf, "mapping_name") && json_object_get(conf, "artifact1") &&
		   json_object_get(conf, "num_artifacts"),
	   "inputs keep the templates");
	ok(!json_object_get(conf, "host") && !json_object_get(conf, "user") &&
		   !json_object_get(conf, "verify") && !json_object_get(conf, "proxy_user"),
	   "inputs keep no connection setting");
	ok(json_object_size(rowj) == 4 && json_object_get(rowj, "user") &&
		   json_array_size(json_object_get(rowj, "src")) == 2 && json_object_get(rowj, "_time") &&
		   json_object_get(rowj, "event_id") && !json_object_get(rowj, "other"),
	   "inputs keep the fields the templates name, and event_id");
	text = json_dumps(in, 0);
	ok(text && !strstr(text, SECRET), "inputs hold no session key");
	free(text);
	d = queue_doc_new(QUEUE_CASE, &origin, &target, direct.dedup_key, "SOAR unreachable", "x", 0, 5.0);
	queue_doc_set_inputs(d, in);
	ok(json_is_false(json_object_get(d, "resolved")), "resolved = false");
	is_int(queue_doc_case_row(d, &cat, &replayed, err, sizeof(err)), 0, "rebuilt from the document");
	ok(json_equal(direct.body, replayed.body), "the same body as the engine's");
	ok(json_equal(direct.changes, replayed.changes) && json_equal(direct.artifacts, replayed.artifacts),
	   "the same changes and artifacts");
	ok(replayed.dedup_key && strcmp(replayed.dedup_key, "EV-9") == 0, "the same dedup key");
	case_row_free(&replayed);

	/* a resolved document gives back what was stored */
	json_decref(d);
	d = queue_doc_new(QUEUE_CASE, &origin, &target, direct.dedup_key, "x", "x", 0, 5.0);
	queue_doc_set_case(d, &direct);
	replayed = (struct case_row)CASE_ROW_INIT;
	is_int(queue_doc_case_row(d, &cat, &replayed, err, sizeof(err)), 0, "resolved document read");
	ok(json_equal(direct.body, replayed.body) && json_equal(direct.artifacts, replayed.artifacts) &&
		   strcmp(replayed.dedup_key, "EV-9") == 0,
	   "body, artifacts and key as stored");
	case_row_free(&replayed);
	json_object_set_new(d, "body", json_string("{not json"));
	replayed = (struct case_row)CASE_ROW_INIT;
	ok(queue_doc_case_row(d, &cat, &replayed, err, sizeof(err)) == -1 && strstr(err, "not the JSON"),
	   "a damaged body is an error, not a case");
	json_decref(d);
	case_row_free(&direct);
	config_free(&cfg);
	payload_free(&p);
	json_decref(tmpl);
	catalog_free(&cat);
}

int main(void)
{
	char dir[256], cmd[300];

	snprintf(dir, sizeof(dir), "/tmp/test_queue.%ld", (long)getpid());
	test_doc();
	test_put_and_mask(dir);
	test_inputs();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return tap_done();
}
