#include "tap.h"
#include "mapping/templates.h"

static json_t *J(const char *s)
{
	return json_loads(s, 0, NULL);
}

static const char *S(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int main(void)
{
	json_t *defs = J("{\"param.host\":\"soar.example\",\"param.org\":\"O\","
			 "\"param.mapping_name\":\"$result.rule_title$\","
			 "\"param.\":\"empty key\",\"param.port\":443,"
			 "\"disabled\":\"0\"}");
	json_t *saved = J(
		"{\"action.qradar_soar.param.org\":\"Saved org\","
		"\"action.qradar_soar.param.mapping_severity_code\":\"$alert.severity$\","
		"\"action.qradar_soar.param.mapping_description\":\"$result.src$ on $name$\","
		"\"action.email.param.to\":\"x@example\","
		"\"action.qradar_soar\":\"1\"}");
	json_t *conf = J("{\"host\":\"soar.example\",\"org\":\"Saved org\","
			 "\"mapping_name\":\"first row's title\","
			 "\"mapping_severity_code\":\"High\","
			 "\"mapping_description\":\"10.0.0.1 on Rule\"}");
	json_t *m = NULL;
	char err[128];

	ok(templates_merge(&m, defs, saved, conf, err, sizeof(err)) == 0,
	   "merge ok");
	is_str(S(m, "host"), "soar.example", "a default");
	is_str(S(m, "org"), "Saved org",
	       "the saved search's parameter over the default");
	is_str(S(m, "mapping_name"), "$result.rule_title$",
	       "a $result. template stays raw (per row)");
	is_str(S(m, "mapping_description"), "$result.src$ on $name$",
	       "a template with $result. and other tokens stays raw");
	is_str(S(m, "mapping_severity_code"), "High",
	       "a template without $result. keeps Splunk's expansion");
	ok(!json_object_get(m, "port"), "non-string values are not taken");
	ok(!json_object_get(m, "") && !json_object_get(m, "to") &&
		   !json_object_get(m, "disabled"),
	   "only this action's param. keys, none empty");
	is_int(json_object_size(m), 5, "five parameters");
	json_decref(m);

	ok(templates_merge(&m, NULL, NULL, NULL, err, sizeof(err)) == 0 &&
		   json_is_object(m) && json_object_size(m) == 0,
	   "nothing to merge: an empty object");
	json_decref(m);
	json_decref(defs);
	json_decref(saved);
	json_decref(conf);
	return tap_done();
}
