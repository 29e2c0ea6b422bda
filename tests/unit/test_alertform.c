#include "tap.h"
#include "setup/alertform.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* Labels, choices and type names an attacker controlling the SOAR
 * catalogue could send. */
static const char *FIELDS = "["
 "{\"name\":\"zeta\",\"input_type\":\"text\",\"text\":\"Zeta <script>alert(1)</script>\"},"
 "{\"name\":\"name\",\"input_type\":\"text\",\"required\":\"always\",\"text\":\"Name\"},"
 "{\"name\":\"discovered_date\",\"input_type\":\"datetimepicker\",\"required\":\"always\",\"text\":\"Date Discovered\"},"
 "{\"name\":\"quote\",\"prefix\":\"properties\",\"input_type\":\"text\",\"text\":\"a\\\"b' onmouseover='x\"},"
 "{\"name\":\"nl\",\"prefix\":\"properties\",\"input_type\":\"text\",\"text\":\"line\\n[stanza]\\r\\nkey = v {{SPLUNKWEB_URL_PREFIX}}\"},"
 "{\"name\":\"sev\",\"input_type\":\"select\",\"required\":\"always\",\"text\":\"Severity\",\"values\":["
 "  {\"label\":\"Low\",\"value\":1,\"enabled\":true},"
 "  {\"label\":\"<b>High</b>\",\"value\":2,\"enabled\":true},"
 "  {\"label\":\"Gone\",\"value\":3,\"enabled\":false}]},"
 "{\"name\":\"tags\",\"input_type\":\"multiselect\",\"text\":\"Tags\",\"values\":["
 "  {\"label\":\"t&1\",\"value\":1}]},"
 "{\"name\":\"body\",\"input_type\":\"textarea\",\"rich_text\":true,\"text\":\"Body\"},"
 "{\"name\":\"flag\",\"input_type\":\"boolean\",\"text\":\"Flag\"},"
 "{\"name\":\"create_date\",\"input_type\":\"datetimepicker\",\"read_only\":true,\"text\":\"RO field\"},"
 "{\"name\":\"old\",\"input_type\":\"text\",\"deprecated\":true,\"text\":\"Deprecated field\"},"
 "{\"name\":\"x\\\"><script>\",\"input_type\":\"text\",\"text\":\"bad name\"}]";
static const char *TYPES = "{\"entities\":["
 "{\"name\":\"IP Address\",\"enabled\":true},"
 "{\"name\":\"Evil\\\"><script>x</script>\",\"enabled\":true},"
 "{\"name\":\"Off Type\",\"enabled\":false},"
 "{\"name\":\"A File\",\"enabled\":true,\"file\":true}]}";

static int count(const char *h, const char *s)
{
	int n = 0;

	for (h = strstr(h, s); h; h = strstr(h + 1, s))
		n++;
	return n;
}

int main(void)
{
	struct catalog c = CATALOG_INIT;
	struct buf b = BUF_INIT(1024);
	char err[256], *h;

	alertform_escape(&b, "<a href=\"x\">'&'</a>\n{{y}}");
	is_str(buf_str(&b), "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt; &#123;&#123;y&#125;&#125;",
	       "escape: markup, quotes, braces, newline");
	buf_free(&b);

	ok(catalog_load(&c, json_loads(FIELDS, 0, NULL), json_loads(TYPES, 0, NULL), err,
			sizeof err) == 0, "catalogue loads");
	h = alertform_html(&c, "Org <&> \"1\"", 3, err, sizeof err);
	ok(h != NULL, "form generated");
	if (!h)
		return tap_done();
	ok(strncmp(h, "<form class=\"form-horizontal form-complex\">", 43) == 0, "the default form's look");
	ok(!strstr(h, "<script"), "no <script> anywhere");
	ok(strstr(h, "Zeta &lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "label escaped");
	ok(strstr(h, "a&quot;b&#x27; onmouseover=&#x27;x") != NULL, "quotes in a label escaped");
	ok(!strstr(h, "\n[stanza]") && !strstr(h, "\r"), "newline in a label becomes a space");
	ok(strstr(h, "line [stanza]") != NULL, "newline label kept readable");
	is_int(count(h, "{{"), 1, "only the form's own {{SPLUNKWEB_URL_PREFIX}}");
	ok(strstr(h, "Org &lt;&amp;&gt; &quot;1&quot;") != NULL, "org name escaped");
	ok(strstr(h, "name=\"action.qradar_soar.param.mapping_name\"") != NULL, "name input");
	ok(strstr(h, "name=\"action.qradar_soar.param.mapping_properties.quote\"") != NULL,
	   "prefixed field input");
	ok(strstr(h, "id=\"qradar_soar_mapping_properties_quote\"") != NULL, "id from the key");
	ok(!strstr(h, "mapping_create_date"), "read-only field left out");
	ok(!strstr(h, "mapping_old"), "deprecated field left out");
	ok(!strstr(h, "bad name"), "field with an unsafe API name left out");
	ok(strstr(h, "Severity <span class=\"required\">*</span>") != NULL, "required marked");
	ok(!strstr(h, ">Name <span class=\"required\">") && strstr(h, "The case name; empty: the search's name.") &&
	   !strstr(h, "Required. The case name"),
	   "the name is not marked required: the search's name stands in");
	ok(strstr(h, "name=\"action.qradar_soar.param.mapping_discovered_date\"") &&
	   !strstr(h, ">Date Discovered <span class=\"required\">") &&
	   strstr(h, "empty: the search's trigger time."),
	   "the discovery date is not marked required: the trigger time stands in");
	ok(strstr(h, "One of: Low, &lt;b&gt;High&lt;/b&gt;.") != NULL, "choices listed, escaped");
	ok(!strstr(h, "Gone"), "disabled choice left out");
	ok(strstr(h, "<option value=\"&lt;b&gt;High&lt;/b&gt;\"></option>") != NULL, "datalist choice");
	ok(strstr(h, "list=\"qradar_soar_choices_sev\"") && strstr(h, "<datalist id=\"qradar_soar_choices_sev\">"),
	   "select offers a datalist, value stays free text");
	ok(strstr(h, "Comma-separated, from: t&amp;1.") != NULL, "multiselect choices");
	ok(strstr(h, "<input type=\"text\" name=\"action.qradar_soar.param.mapping_body\"") != NULL &&
	   !strstr(h, "<textarea") && !strstr(h, "<select"),
	   "a plain input for a textarea field; no textarea or select anywhere");
	ok(strstr(h, "<option value=\"true\"></option>") != NULL, "boolean offers true/false");
	ok(strstr(h, "mapping_name") < strstr(h, "mapping_sev") &&
	   strstr(h, "mapping_sev") < strstr(h, "mapping_zeta"),
	   "name first, then required fields, then the catalogue's order");
	is_int(count(h, "name=\"action.qradar_soar.param.artifact"), 3, "one input per artifact row");
	ok(strstr(h, "name=\"action.qradar_soar.param.artifact3\"") && !strstr(h, "param.artifact4"),
	   "rows 1..num_artifacts");
	ok(!strstr(h, "artifact1type") && !strstr(h, "artifact1value") && !strstr(h, "artifact1description") &&
	   count(h, ">Artifact 1<") == 1,
	   "the one-field form only: no type, value and description inputs besides it");
	is_int(count(h, "list=\"qradar_soar_artifact_types\""), 3, "every row offers the types");
	is_int(count(h, "<option value=\"IP Address|\"/>"), 1, "the types listed once, as \"<type>|\"");
	ok(strstr(h, "type|value|description, e.g. IP Address|$result.src$|Source") != NULL,
	   "the row's hint, as param.artifactN.description has it");
	ok(strstr(h, "Evil&quot;&gt;&lt;script&gt;x&lt;/script&gt;") != NULL, "type name escaped");
	ok(!strstr(h, "Off Type") && !strstr(h, "A File"), "disabled and file types left out");
	ok(!strstr(h, "<script") && !strstr(h, "onmouseover='"),
	   "no script and no event handler attribute");
	free(h);

	h = alertform_html(&c, NULL, 0, err, sizeof err);
	ok(h && !strstr(h, "param.artifact"), "no artifact rows for 0");
	free(h);
	catalog_free(&c);
	return tap_done();
}
