#include "tap.h"
#include "mapping/casebuild.h"
#include "mapping/payload.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *FIELDS = "["
 "{\"name\":\"name\",\"input_type\":\"text\",\"required\":\"always\"},"
 "{\"name\":\"discovered_date\",\"input_type\":\"datetimepicker\",\"required\":\"always\"},"
 "{\"name\":\"description\",\"input_type\":\"textarea\"},"
 "{\"name\":\"plan\",\"input_type\":\"textarea\"},"
 "{\"name\":\"create_date\",\"input_type\":\"datetimepicker\",\"read_only\":true},"
 "{\"name\":\"workspace\",\"input_type\":\"select\",\"required\":\"always\",\"default_chosen_by_server\":true,\"values\":[]},"
 "{\"name\":\"severity_code\",\"input_type\":\"select\",\"values\":["
 "  {\"label\":\"Low\",\"value\":4,\"enabled\":true},{\"label\":\"High\",\"value\":6,\"enabled\":true}]},"
 "{\"name\":\"inc_training\",\"input_type\":\"boolean\",\"read_only\":true},"
 "{\"name\":\"owner_id\",\"input_type\":\"select_owner\"},"
 "{\"name\":\"members\",\"input_type\":\"multiselect_members\"},"
 "{\"name\":\"splunk_notable_event_id\",\"prefix\":\"properties\",\"input_type\":\"text\"},"
 "{\"name\":\"severity_x\",\"prefix\":\"properties\",\"input_type\":\"select\",\"values\":["
 "  {\"label\":\"1\",\"value\":54,\"enabled\":true},{\"label\":\"2\",\"value\":55,\"enabled\":false}]},"
 "{\"name\":\"tags\",\"prefix\":\"properties\",\"input_type\":\"multiselect\",\"values\":["
 "  {\"label\":\"a\",\"value\":1,\"enabled\":true},{\"label\":\"b, c\",\"value\":2,\"enabled\":true}]},"
 "{\"name\":\"count\",\"prefix\":\"properties\",\"input_type\":\"number\"},"
 "{\"name\":\"seen\",\"prefix\":\"properties\",\"input_type\":\"datepicker\"},"
 "{\"name\":\"flag\",\"prefix\":\"properties\",\"input_type\":\"boolean\"},"
 "{\"name\":\"rich\",\"prefix\":\"properties\",\"input_type\":\"textarea\",\"rich_text\":true},"
 "{\"name\":\"must\",\"prefix\":\"properties\",\"input_type\":\"text\",\"required\":\"always\"},"
 "{\"name\":\"ssn\",\"prefix\":\"pii\",\"input_type\":\"text\"},"
 "{\"name\":\"harmstatus_id\",\"prefix\":\"pii\",\"input_type\":\"select\",\"values\":["
 "  {\"label\":\"Unknown\",\"value\":3,\"enabled\":true},{\"label\":\"Yes\",\"value\":1,\"enabled\":true},"
 "  {\"label\":\"No\",\"value\":2,\"enabled\":true}]},"
 "{\"name\":\"verdict\",\"prefix\":\"properties\",\"input_type\":\"select\",\"values\":["
 "  {\"label\":\"TRUE\",\"value\":11,\"enabled\":true},{\"label\":\"FALSE\",\"value\":12,\"enabled\":true},"
 "  {\"label\":\"yes\",\"value\":13,\"enabled\":false}]}]";
static const char *TYPES = "{\"entities\":["
 "{\"name\":\"IP Address\",\"enabled\":true},{\"name\":\"DNS Name\",\"enabled\":true},"
 "{\"name\":\"My Custom\",\"enabled\":true}]}";

static const char *v_ip[] = { "1.1.1.1", "2.2.2.2", "1.1.1.1", "" };
static const size_t l_ip[] = { 7, 7, 7, 0 };
static const char *v_host[] = { "<h&x>" };
static const size_t l_host[] = { 5 };
static const char *v_bad[] = { "caf\xc3" };
static const size_t l_bad[] = { 4 };
static const char *v_ev[] = { "EV-1" };
static const size_t l_ev[] = { 4 };
static const struct field fields[] = {
	{ "ip", 4, v_ip, l_ip }, { "host", 1, v_host, l_host },
	{ "bad", 1, v_bad, l_bad }, { "event_id", 1, v_ev, l_ev },
};
static const struct row row = { 0, 4, fields, NULL };

static struct catalog cat = CATALOG_INIT;
static struct payload pl;

static int build(struct case_row *r, const char *conf)
{
	struct action_config cfg;
	struct token_ctx tc = { &pl, &row };
	char err[256];
	json_t *j = json_loads(conf, 0, NULL);
	int rc;

	if (!j || config_load(&cfg, j, err, sizeof err) != 0) {
		json_decref(j);
		return -2;
	}
	json_decref(j);
	rc = casebuild_row(r, &cfg, &cat, &tc, 1000);
	config_free(&cfg);
	return rc;
}

static const char *g(const json_t *o, const char *path)
{
	static char out[512];
	json_t *v = json_object_get(o, path);
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	snprintf(out, sizeof out, "%s", s ? s : "(absent)");
	free(s);
	return out;
}

/* The change of field name, as sorted JSON, or "(absent)". */
static const char *change(const struct case_row *r, const char *name)
{
	static char out[512];
	size_t i;
	json_t *c;

	json_array_foreach(r->changes, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0) {
			char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);

			snprintf(out, sizeof out, "%s", s ? s : "(oom)");
			free(s);
			return out;
		}
	}
	return "(absent)";
}

/* The left_out entry of field (and problem): "value|problem|fix", or
 * "(none)". */
static const char *lost(const struct case_row *r, const char *field, const char *problem)
{
	static char out[2048];
	size_t i;
	json_t *o;

	json_array_foreach(r->left_out, i, o) {
		const char *f = json_string_value(json_object_get(o, "field"));
		const char *pr = json_string_value(json_object_get(o, "problem"));
		if (f && pr && !strcmp(f, field) && (!problem || !strcmp(pr, problem))) {
			snprintf(out, sizeof out, "%s|%s|%s",
				 json_string_value(json_object_get(o, "value")), pr,
				 json_string_value(json_object_get(o, "fix")));
			return out;
		}
	}
	return "(none)";
}

static int warned(const struct case_row *r, const char *a, const char *b)
{
	size_t i;
	json_t *w;
	json_array_foreach(r->warnings, i, w) {
		const char *s = json_string_value(w);
		if (strstr(s, a) && (!b || strstr(s, b)))
			return 1;
	}
	return 0;
}

/* 1/0 and true/false select a Yes/No (else True/False) choice, as IBM's
 * add-on mapped Splunk's 1/0 back; other values keep the exact rule. */
static void test_yes_no(void)
{
	static const char *const cases[][3] = {
		{ "1", "pii.harmstatus_id", "1" },
		{ "0", "pii.harmstatus_id", "2" },
		{ "True", "pii.harmstatus_id", "1" },
		{ " false ", "pii.harmstatus_id", "2" },
		{ "Unknown", "pii.harmstatus_id", "3" },
		/* a disabled "yes" is no choice: True/False stand in */
		{ "1", "properties.verdict", "11" },
		{ "0", "properties.verdict", "12" },
		/* an exact label still wins over the 1/0 rule */
		{ "1", "properties.severity_x", "54" },
	};
	struct case_row r = CASE_ROW_INIT;
	char conf[256], what[128];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *dot = strchr(cases[i][1], '.');
		json_t *pre;

		snprintf(conf, sizeof conf, "{\"mapping_properties.must\":\"m\",\"mapping_%s\":\"%s\"}",
			 cases[i][1], cases[i][0]);
		snprintf(what, sizeof what, "%s = \"%s\" selects id %s", cases[i][1], cases[i][0],
			 cases[i][2]);
		build(&r, conf);
		pre = json_object_get(r.body, strncmp(cases[i][1], "pii.", 4) ? "properties" : "pii");
		is_str(g(pre, dot + 1), cases[i][2], what);
		case_row_free(&r);
	}
	/* the stricter rules stand elsewhere: yes is not a Yes/No value, and
	 * "2" is no choice of a field without it */
	build(&r, "{\"mapping_properties.must\":\"m\",\"mapping_pii.harmstatus_id\":\"yes\","
		  "\"mapping_severity_code\":\"1\"}");
	ok(!json_object_get(r.body, "pii") && !json_object_get(r.body, "severity_code") &&
	   warned(&r, "pii.harmstatus_id: \"yes\" is not a valid choice", NULL) &&
	   warned(&r, "severity_code: \"1\" is not a valid choice", NULL),
	   "yes (not 1/true) and a field without Yes/No choices: left out with the warning");
	case_row_free(&r);
}

/* The safety cap: a multivalue field of 1005 distinct values, plus one
 * duplicate, gives 1000 artifacts and a warning counting the 5 left out. */
static void test_cap(void)
{
	static char vals[1006][16];
	static const char *v[1006];
	static size_t l[1006];
	struct field f[1] = { { "ips", 1006, v, l } };
	struct row big = { 0, 1, f, NULL };
	struct action_config cfg;
	struct token_ctx tc = { &pl, &big };
	struct case_row r = CASE_ROW_INIT;
	char err[256];
	json_t *j = json_loads("{\"mapping_properties.must\":\"m\","
			     "\"artifact1\":\"IP Address|$result.ips$\"}", 0, NULL);
	size_t i;

	for (i = 0; i < 1006; i++) {
		snprintf(vals[i], sizeof vals[i], "10.0.%zu.%zu", (i % 1005) / 256,
			 (i % 1005) % 256);
		v[i] = vals[i];
		l[i] = strlen(vals[i]);
	}
	if (!ok(j && config_load(&cfg, j, err, sizeof err) == 0, "cap: configuration")) {
		json_decref(j);
		return;
	}
	json_decref(j);
	ok(casebuild_row(&r, &cfg, &cat, &tc, 1000) == 0 && !r.error, "cap: built");
	is_int(json_array_size(r.artifacts), 1000, "cap: 1000 artifacts, not num_artifacts (10)");
	is_str(json_string_value(json_object_get(json_array_get(r.artifacts, 999), "value")),
	       "10.0.3.231", "cap: the first 1000 distinct values, in order");
	ok(warned(&r, "artifacts: 5 more artifacts over the limit of 1000 per case were not added", NULL),
	   "cap: the warning counts what was left out (the duplicate is not counted)");
	ok(!strncmp(lost(&r, "artifacts", "artifacts_cut"), "5|artifacts_cut|Map fewer artifact values", 41),
	   "cap: left_out names the count and the fix");
	case_row_free(&r);
	config_free(&cfg);
}

int main(void)
{
	struct case_row r = CASE_ROW_INIT;
	char err[256];
	json_t *p;

	/* dates must not depend on the machine's zone */
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	memset(&pl, 0, sizeof pl);
	pl.search_name = "S1";
	pl.sid = "scheduler__a__b_at_1689609696_5";
	ok(catalog_load(&cat, json_loads(FIELDS, 0, NULL), json_loads(TYPES, 0, NULL), err, sizeof err) == 0, "catalog");

	ok(build(&r, "{\"mapping_properties.must\":\"m\","
		 "\"mapping_description\":\"<b>$result.host$</b>\","
		 "\"mapping_plan\":\"<i>$result.host$</i>\","
		 "\"mapping_properties.rich\":\"<p>$result.host$</p>\","
		 "\"mapping_properties.severity_x\":\"1\","
		 "\"mapping_severity_code\":\"Bogus\","
		 "\"mapping_properties.tags\":\"a, 'b, c', zz\","
		 "\"mapping_properties.count\":\" -5 \","
		 "\"mapping_properties.seen\":\"2024/02/29\","
		 "\"mapping_properties.flag\":\"Yes\","
		 "\"mapping_owner_id\":\"X Y (x@y.z)\","
		 "\"mapping_members\":\"a@b.c, Group 1, 7, 'Doe, Jane (jane@example.com)'\","
		 "\"mapping_pii.ssn\":\"$result.bad$\","
		 "\"mapping_create_date\":\"1\","
		 "\"mapping_properties.nope\":\"1\","
		 "\"mapping_inc_training\":\"true\","
		 "\"mapping_properties.count2\":\"\","
		 "\"artifact1\":\"IP Address|$result.ip$|seen\","
		 "\"artifact2\":\"Bad Type|x\","
		 "\"artifact3\":\"DNS Name|$result.host$\","
		 "\"artifact4\":\"IP Address|1.1.1.1|dup\"}") == 0, "build");
	ok(r.error == NULL, "no row error");
	ok(r.body != NULL, "body");
	is_str(g(r.body, "name"), "\"S1\"", "name default search_name");
	is_str(g(r.body, "discovered_date"), "1689609696000", "discovered from sid");
	is_str(g(r.body, "description"), "{\"format\":\"html\",\"content\":\"<b>&lt;h&amp;x&gt;</b>\"}", "description html, values escaped");
	is_str(g(r.body, "plan"), "\"<i><h&x></i>\"", "plain textarea string unescaped");
	p = json_object_get(r.body, "properties");
	is_str(g(p, "rich"), "{\"format\":\"html\",\"content\":\"<p>&lt;h&amp;x&gt;</p>\"}", "rich text");
	is_str(g(p, "severity_x"), "54", "numeric label -> id");
	is_str(g(r.body, "severity_code"), "(absent)", "invalid optional select left out");
	ok(warned(&r, "severity_code", "Bogus") && warned(&r, "severity_code", "Low, High"), "warning names key, value, choices");
	is_str(g(p, "tags"), "[1,2]", "multiselect partial");
	ok(warned(&r, "properties.tags", "zz"), "partial multiselect warned");
	is_str(g(p, "count"), "-5", "number");
	is_str(g(p, "seen"), "1709164800000", "date");
	is_str(g(p, "flag"), "true", "boolean");
	is_str(g(r.body, "owner_id"), "\"x@y.z\"", "owner: the email of Name (email)");
	is_str(g(r.body, "members"), "[\"a@b.c\",\"Group 1\",7,\"jane@example.com\"]",
	       "members: emails and group names as is, an id as a number, Name (email) as the email");
	is_str(g(json_object_get(r.body, "pii"), "ssn"), "\"caf\xef\xbf\xbd\"", "pii nested, utf8 repaired");
	is_str(g(r.body, "create_date"), "(absent)", "read-only skipped");
	ok(warned(&r, "create_date", NULL), "read-only warned");
	ok(warned(&r, "properties.nope", NULL), "unknown warned");
	is_str(g(r.body, "inc_training"), "true", "inc_training override");
	is_str(g(p, "splunk_notable_event_id"), "\"EV-1\"", "notable id from event_id");
	is_str(r.dedup_key, "EV-1", "dedup key");
	is_str(change(&r, "count"), "{\"input_type\":\"number\",\"name\":\"count\",\"prefix\":\"properties\",\"value\":-5}", "changes entry: resolved");
	is_str(change(&r, "severity_x"), "{\"input_type\":\"select\",\"name\":\"severity_x\",\"prefix\":\"properties\",\"value\":54}", "changes select");
	is_str(change(&r, "inc_training"), "(absent)", "changes: not the server's read-only fields (a create may set them)");
	is_str(change(&r, "splunk_notable_event_id"), "(absent)", "changes: not the notable id");
	is_int(json_array_size(r.artifacts), 3, "artifacts: dedup, empty skipped, bad type skipped");
	is_str(g(json_array_get(r.artifacts, 0), "description"), "\"seen\"", "artifact desc");
	is_str(g(json_array_get(r.artifacts, 2), "description"), "(absent)", "artifact no desc");
	is_str(g(json_array_get(r.artifacts, 2), "value"), "\"<h&x>\"", "artifact value raw");
	ok(warned(&r, "Bad Type", NULL), "unknown type warned");
	/* every warning about data the case lacks has its left_out entry */
	is_int(json_array_size(r.left_out), json_array_size(r.warnings),
	       "left_out: one entry per warning");
	is_str(lost(&r, "severity_code", NULL),
	       "Bogus|invalid_choice|Make mapping_severity_code give one of the field's choices (Low, High), or add the value as a choice of the field in SOAR.",
	       "left_out: invalid choice with its value and fix");
	is_str(lost(&r, "properties.tags", NULL),
	       "zz|invalid_choice|Make mapping_properties.tags give one of the field's choices (a, b, c), or add the value as a choice of the field in SOAR.",
	       "left_out: the invalid item of a multiselect");
	is_str(lost(&r, "properties.nope", NULL),
	       "1|unknown_field|Remove mapping_properties.nope from the alert's QRadar SOAR action, or create that field in SOAR and run the add-on's setup page again.",
	       "left_out: unknown field");
	is_str(lost(&r, "create_date", NULL),
	       "1|read_only|Remove mapping_create_date from the alert's QRadar SOAR action: SOAR sets that field itself.",
	       "left_out: read-only field");
	is_str(lost(&r, "artifact2", NULL),
	       "Bad Type|unknown_artifact_type|Give artifact types by the names the org's alert form offers (the setup page lists them in the alert action).",
	       "left_out: unknown artifact type");
	ok(json_object_get(r.body, "artifacts") != NULL, "body.artifacts");
	ok(json_object_get(r.body, "workspace") == NULL && r.error == NULL, "server-default workspace not forced");
	{
		char *s = json_dumps(r.body, 0);
		ok(s && !strstr(s, "null"), "no nulls in body");
		free(s);
	}
	case_row_free(&r);

	ok(build(&r, "{\"mapping_properties.must\":\"m\",\"num_artifacts\":\"1\","
		 "\"mapping_properties.splunk_notable_event_id\":\"K-$result.host$\","
		 "\"mapping_name\":\"$result.missing$\","
		 "\"artifact1\":\"IP Address|$result.ip$\","
		 "\"artifact2\":\"DNS Name|$result.host$\"}") == 0, "build 2");
	is_str(g(r.body, "artifacts"),
	       "[{\"type\":\"IP Address\",\"value\":\"1.1.1.1\"},{\"type\":\"IP Address\",\"value\":\"2.2.2.2\"}]",
	       "num_artifacts = 1: slot 1 only, every value of its multivalue field (as IBM: no cut at num_artifacts)");
	ok(!warned(&r, "more artifact", NULL) && !strcmp(lost(&r, "artifacts", NULL), "(none)"),
	   "nothing reported as cut");
	is_str(r.dedup_key, "K-<h&x>", "dedup from mapping");
	is_str(change(&r, "splunk_notable_event_id"), "(absent)",
	       "a mapped notable id is not a change an update may make");
	is_str(change(&r, "must"), "{\"input_type\":\"text\",\"name\":\"must\",\"prefix\":\"properties\",\"value\":\"m\"}",
	       "a mapped field is");
	is_str(g(r.body, "name"), "\"S1\"", "empty name falls back");
	case_row_free(&r);

	ok(build(&r, "{\"mapping_properties.must\":\"  \"}") == 0 && r.error && strstr(r.error, "properties.must") && !r.body,
	   "required empty -> row error");
	case_row_free(&r);
	ok(build(&r, "{\"mapping_properties.severity_x\":\"2\",\"mapping_properties.tags\":\"zz\"}") == 0 &&
	   r.error && strstr(r.error, "properties.must"), "required unmapped -> error");
	ok(warned(&r, "properties.severity_x", "\"2\""), "disabled choice warned with key");
	ok(warned(&r, "properties.tags", NULL), "all-invalid multiselect warned");
	ok(strstr(lost(&r, "properties.severity_x", NULL), "2|invalid_choice|") == lost(&r, "properties.severity_x", NULL),
	   "left_out: a disabled choice is an invalid one");
	case_row_free(&r);

	pl.sid = "adhoc";
	pl.search_name = NULL;
	ok(build(&r, "{\"mapping_properties.must\":\"m\",\"mapping_discovered_date\":\"2023/07/17\"}") == 0, "build 4");
	is_str(g(r.body, "name"), "\"Splunk alert\"", "name fallback");
	is_str(g(r.body, "discovered_date"), "1689552000000", "date-only in datetime field: UTC midnight");
	case_row_free(&r);
	ok(build(&r, "{\"mapping_properties.must\":\"m\"}") == 0, "build 4b");
	is_str(g(r.body, "discovered_date"), "1000", "discovered now");
	ok(json_object_get(r.body, "artifacts") == NULL, "no empty artifacts");
	case_row_free(&r);
	test_cap();
	test_yes_no();
	catalog_free(&cat);

	/* an org without properties.splunk_notable_event_id: the mapped key
	 * still dedups, nothing is added to the body */
	ok(catalog_load(&cat, json_loads("[{\"name\":\"name\",\"input_type\":\"text\"}]", 0, NULL), NULL, err, sizeof err) == 0, "small catalog");
	ok(build(&r, "{\"mapping_properties.splunk_notable_event_id\":\"N1\",\"artifact1\":\"Any Type|v\"}") == 0, "build 5");
	is_str(r.dedup_key, "N1", "dedup key without the org field");
	ok(json_object_get(r.body, "properties") == NULL, "no properties added");
	is_str(g(json_array_get(r.artifacts, 0), "type"), "\"Any Type\"", "no types doc: type as given");
	case_row_free(&r);
	catalog_free(&cat);
	return tap_done();
}
