#include "tap.h"
#include "setup/confwrite.h"

#include <stdlib.h>
#include <string.h>

/* A hostile catalogue: a read-only, a deprecated, an internal-type field,
 * names that would inject a key or a stanza, and ordinary fields. */
static const char *FIELDS = "["
 "{\"name\":\"name\",\"input_type\":\"text\",\"required\":\"always\",\"text\":\"Name\"},"
 "{\"name\":\"create_date\",\"input_type\":\"datetimepicker\",\"read_only\":true},"
 "{\"name\":\"inc_training\",\"input_type\":\"boolean\",\"read_only\":true},"
 "{\"name\":\"old\",\"prefix\":\"properties\",\"input_type\":\"text\",\"deprecated\":true},"
 "{\"name\":\"blob\",\"input_type\":\"internal_thing\"},"
 "{\"name\":\"x = y\",\"prefix\":\"properties\",\"input_type\":\"text\",\"text\":\"Evil\\n[stanza]\"},"
 "{\"name\":\"a\\n[default]\\nb\",\"input_type\":\"text\",\"text\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"},"
 "{\"name\":\"sev\",\"prefix\":\"properties\",\"input_type\":\"select\"},"
 "{\"name\":\"splunk_notable_event_id\",\"prefix\":\"properties\",\"input_type\":\"text\"}]";

static void form(struct setup_form *f)
{
	memset(f, 0, sizeof(*f));
	f->host = "soar.example.com";
	f->port = 8443;
	f->org = "Org";
	f->user = "u@example.com";
	f->secret = "never-in-conf";
	f->verify = "true";
	f->num_artifacts = 3;
	f->num_events = 30;
	f->proxy_host = "";
	f->proxy_user = "";
	f->proxy_password = "";
}

int main(void)
{
	struct catalog c = CATALOG_INIT;
	struct setup_form f;
	json_t *kv = NULL, *w = json_array(), *existing, *v;
	const char *k, **list;
	char err[256], q[64];
	int nnew = -1, nkept = -1, secret_seen = 0, n;

	ok(catalog_load(&c, json_loads(FIELDS, 0, NULL), NULL, err, sizeof err) == 0,
	   "catalogue loads");
	ok(confwrite_key_safe("properties.splunk_notable_event_id"), "prefixed key safe");
	ok(!confwrite_key_safe("x = y"), "spaces and = refused");
	ok(!confwrite_key_safe("a\n[b]"), "newline and [ refused");
	ok(!confwrite_key_safe(""), "empty key refused");
	ok(confwrite_value_safe("$result.x$ | <b>"), "plain value safe");
	ok(!confwrite_value_safe("a\n[stanza]"), "LF value refused");
	ok(!confwrite_value_safe("a\rb"), "CR value refused");

	form(&f);
	existing = json_pack("{s:s,s:s,s:s,s:s}", "param.mapping_name", "$result.rule_title$",
			     "param.mapping_properties.sev", "", "param.host", "old.example.com",
			     "param.artifact2type", "IP Address");
	json_object_set_new(existing, "param.artifact1.label", json_string("Old label"));
	ok(confwrite_keys(&c, &f, existing, w, &kv, &nnew, &nkept, err, sizeof err) == 0,
	   "keys computed");
	is_str(json_string_value(json_object_get(kv, "param.host")), "soar.example.com",
	       "connection key overwritten");
	is_str(json_string_value(json_object_get(kv, "param.port")), "8443", "port");
	is_str(json_string_value(json_object_get(kv, "param.proxy_port")), "", "no proxy: port empty");
	ok(json_object_get(kv, "param.mapping_name") == NULL, "admin mapping kept (not written)");
	ok(json_object_get(kv, "param.mapping_properties.sev") == NULL,
	   "an existing empty mapping is kept too");
	is_str(json_string_value(json_object_get(kv, "param.mapping_properties.splunk_notable_event_id")),
	       "", "new mapping key written empty");
	ok(json_object_get(kv, "param.mapping_create_date") == NULL, "read-only left out");
	ok(json_object_get(kv, "param.mapping_inc_training") == NULL,
	   "a field the server calls read-only is not offered, even inc_training");
	ok(json_object_get(kv, "param.mapping_properties.old") == NULL, "deprecated left out");
	ok(json_object_get(kv, "param.mapping_blob") == NULL, "unknown type left out");
	is_int(nnew, 1, "one new mapping key");
	is_int(nkept, 2, "two kept");
	is_int(json_array_size(w), 2, "a warning per unsafe field name");
	ok(w && json_array_size(w) && !strchr(json_string_value(json_array_get(w, 0)), '\n'),
	   "warning is one line");
	ok(json_object_get(kv, "param.artifact3value") && !json_object_get(kv, "param.artifact4"),
	   "artifact rows 1..num_artifacts");
	ok(json_object_get(kv, "param.artifact2type") == NULL, "existing artifact key kept");
	is_str(json_string_value(json_object_get(kv, "param.artifact1")), "", "artifactN empty");
	is_str(json_string_value(json_object_get(kv, "param.artifact3.label")), "Artifact 3",
	       "ES 8.3 metadata: the row's label");
	is_str(json_string_value(json_object_get(kv, "param.artifact3.description")),
	       "type|value|description, e.g. IP Address|$result.src$|Source", "ES 8.3 metadata: the row's hint");
	is_str(json_string_value(json_object_get(kv, "param.artifact1.label")), "Artifact 1",
	       "the metadata is ours: written over what the stanza had");
	ok(!json_object_get(kv, "param.artifact4.label") && !json_object_get(kv, "param.artifact4.description"),
	   "metadata for the rows written only");
	n = 0;
	json_object_foreach(kv, k, v) {
		if (strstr(k, "password") || strstr(json_string_value(v), "never-in-conf"))
			secret_seen = 1;
		if (!confwrite_key_safe(k) || !confwrite_value_safe(json_string_value(v)))
			n++;
	}
	ok(!secret_seen, "no secret and no password key in the stanza");
	is_int(n, 0, "every key and value is one safe line");
	list = confwrite_kv_list(kv);
	ok(list && list[2 * json_object_size(kv)] == NULL, "kv list NULL-terminated");
	free(list);
	json_decref(kv);

	/* a proxy, and a hostile connection value the parser would refuse */
	f.proxy_host = "proxy.example.com";
	f.proxy_port = 3128;
	f.proxy_user = "pu";
	ok(confwrite_keys(&c, &f, NULL, NULL, &kv, NULL, NULL, err, sizeof err) == 0, "with proxy");
	is_str(json_string_value(json_object_get(kv, "param.proxy_port")), "3128", "proxy port");
	is_str(json_string_value(json_object_get(kv, "param.proxy_user")), "pu", "proxy user");
	json_decref(kv);
	f.org = "Org\n[default]";
	ok(confwrite_keys(&c, &f, NULL, NULL, &kv, NULL, NULL, err, sizeof err) != 0 && !kv,
	   "a newline in a connection value is refused");
	ok(strstr(err, "param.org") != NULL, "the error names the key");

	confwrite_quote("abc\ndef", 100, q, sizeof q);
	is_str(q, "abc def", "quote: control characters become spaces");
	confwrite_quote("\xc3\xa9\xc3\xa9", 3, q, sizeof q);
	is_str(q, "\xc3\xa9", "quote: cut at a character boundary");

	json_decref(existing);
	json_decref(w);
	catalog_free(&c);
	return tap_done();
}
