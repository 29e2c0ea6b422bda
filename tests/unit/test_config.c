#include "tap.h"
#include "mapping/config.h"

#include <string.h>

static int load(struct action_config *c, const char *js, char *err, size_t n)
{
	json_t *j = json_loads(js, 0, NULL);
	int rc = config_load(c, j, err, n);
	json_decref(j);
	return rc;
}

int main(void)
{
	struct action_config c;
	char err[256];

	ok(load(&c, "{\"host\":\"soar\",\"org\":\"O\",\"user\":\"u\","
		"\"mapping_properties.b\":\"B\",\"mapping_name\":\"N $name$\","
		"\"mapping_description\":\"D\","
		"\"artifact2\":\" IP Address | $result.ip$ | the ip | extra \","
		"\"artifact1type\":\"DNS Name\",\"artifact1value\":\"$result.host$\","
		"\"artifact2type\":\"ignored\",\"artifact2value\":\"ignored\","
		"\"artifact10\":\"URL|$result.url$\","
		"\"artifact100\":\"x|y\",\"artifact0\":\"x|y\"}", err, sizeof err) == 0,
	   "load ok");
	is_int(c.port, 443, "port default");
	is_int(c.num_events, 30, "num_events default");
	is_int(c.num_artifacts, 10, "num_artifacts default 10, as alert_actions.conf and the setup page");
	is_int(c.duplicates, 0, "duplicates default");
	is_str(c.host, "soar", "host");
	is_int(c.nmaps, 3, "three mappings");
	is_str(c.maps[0].key, "description", "sorted 0");
	is_str(c.maps[1].key, "name", "sorted 1");
	is_str(c.maps[2].key, "properties.b", "sorted 2");
	is_str(c.maps[1].tmpl, "N $name$", "template raw");
	is_int(c.narts, 3, "three artifacts (0 and 100 ignored)");
	is_int(c.arts[0].n, 1, "art 1 first");
	is_str(c.arts[0].type, "DNS Name", "legacy type");
	is_str(c.arts[0].desc, "", "legacy no desc");
	is_int(c.arts[1].n, 2, "art 2");
	is_str(c.arts[1].type, "IP Address", "combined wins, trimmed");
	is_str(c.arts[1].value, "$result.ip$", "value trimmed");
	is_str(c.arts[1].desc, "the ip | extra", "split on first two |");
	is_int(c.arts[2].n, 10, "art 10 after 2");
	is_str(c.arts[2].desc, "", "desc optional");
	config_free(&c);

	ok(load(&c, "{\"num_events\":\"0\"}", err, sizeof err) != 0, "num_events 0");
	ok(strstr(err, "num_events") != NULL, "error names num_events");
	ok(load(&c, "{\"num_events\":\"10001\"}", err, sizeof err) != 0, "num_events max");
	ok(load(&c, "{\"num_events\":\"abc\"}", err, sizeof err) != 0, "num_events abc");
	ok(load(&c, "{\"num_events\":\"10000\"}", err, sizeof err) == 0 && c.num_events == 10000, "num_events 10000");
	config_free(&c);
	ok(load(&c, "{\"port\":\"70000\"}", err, sizeof err) != 0 && strstr(err, "port"), "port range");
	ok(load(&c, "{\"port\":\"8443\",\"num_artifacts\":\"5\",\"duplicates\":\"TRUE\",\"api_keys\":\"1\"}", err, sizeof err) == 0 &&
	   c.port == 8443 && c.num_artifacts == 5 && c.duplicates == 1 && c.api_keys == 1, "values parsed");
	config_free(&c);
	ok(load(&c, "{\"num_artifacts\":\"100\"}", err, sizeof err) != 0 && strstr(err, "num_artifacts"), "num_artifacts 100");
	/* as IBM's add-on: only the slots 1..num_artifacts are read */
	ok(load(&c, "{\"num_artifacts\":\"2\",\"artifact1\":\"IP Address|$result.a$\","
		"\"artifact2type\":\"DNS Name\",\"artifact2value\":\"$result.b$\","
		"\"artifact3\":\"URL|$result.c$\",\"param.artifact12value\":\"$result.d$\","
		"\"artifact13\":\" \",\"artifact14description\":\"only a description\"}",
		err, sizeof err) == 0, "slots beyond num_artifacts: loaded");
	ok(c.narts == 2 && c.arts[0].n == 1 && c.arts[1].n == 2 && !strcmp(c.arts[1].type, "DNS Name"),
	   "slots 1 and 2 read, both forms");
	is_int(c.arts_ignored, 2, "slots 3 and 12 hold a value and are counted; blank ones not");
	{
		char t[512] = "untouched";

		ok(config_ignored_text(&c, t, sizeof t) == 1 &&
		   strstr(t, "2 artifact slots beyond num_artifacts = 2 hold a value and are not read") &&
		   strstr(t, "Max artifacts per alert"),
		   "the log sentence counts them and names the setting");
		config_free(&c);
		ok(load(&c, "{\"artifact10\":\"URL|x\"}", err, sizeof err) == 0 && c.narts == 1 &&
		   c.arts_ignored == 0 && config_ignored_text(&c, t, sizeof t) == 0,
		   "slot 10 of the default 10 is read; nothing ignored, no sentence");
		config_free(&c);
	}
	ok(load(&c, "{\"duplicates\":\"maybe\"}", err, sizeof err) != 0 && strstr(err, "duplicates"), "bad bool");
	ok(load(&c, "{\"duplicates\":\"On\",\"api_keys\":\"\"}", err, sizeof err) == 0 &&
	   c.duplicates == 1 && c.api_keys == 0, "booleans: on, empty is false");
	config_free(&c);
	ok(load(&c, "{}", err, sizeof err) == 0 && c.note_on_update == 1, "notes on by default");
	config_free(&c);
	ok(load(&c, "{\"param.note_on_update\":\"0\"}", err, sizeof err) == 0 && c.note_on_update == 0,
	   "note_on_update 0");
	config_free(&c);
	ok(load(&c, "{\"note_on_update\":\"\"}", err, sizeof err) == 0 && c.note_on_update == 1,
	   "empty note_on_update means the default");
	config_free(&c);
	ok(load(&c, "{\"note_on_update\":\"sometimes\"}", err, sizeof err) != 0 && strstr(err, "note_on_update"),
	   "bad note_on_update refused");
	ok(load(&c, "{}", err, sizeof err) == 0 && c.sync_closed == 0 &&
	   c.sync_close_status == 5 && c.sync_since == -1,
	   "sync: off, status 5 (ES's Closed), no start by default");
	config_free(&c);
	ok(load(&c, "{\"sync_closed\":\"1\",\"sync_close_status\":\"7\",\"sync_since\":\"1714557600\"}",
		err, sizeof err) == 0 && c.sync_closed == 1 && c.sync_close_status == 7 &&
	   c.sync_since == 1714557600, "sync settings read");
	config_free(&c);
	ok(load(&c, "{\"sync_close_status\":\"Closed\"}", err, sizeof err) != 0 &&
	   strstr(err, "sync_close_status"), "a status label is refused: ES wants the id");
	ok(load(&c, "{\"sync_since\":\"-5\"}", err, sizeof err) != 0 && strstr(err, "sync_since"),
	   "a negative sync_since is refused");
	ok(load(&c, "{\"sync_closed\":\"maybe\"}", err, sizeof err) != 0 && strstr(err, "sync_closed"),
	   "a bad sync_closed is refused");
	return tap_done();
}
