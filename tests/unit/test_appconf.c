#include "net/appconf.h"
#include "net/splunkd.h"
#include "miniserver.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY "sEsSiOnKeY-0123456789abcdef"
#define JSON_HDR "Content-Type: application/json\r\n"
#define NOT_FOUND                                      \
	"!len:HTTP/1.1 404 Not Found\r\n" JSON_HDR "\r\n" \
	"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"Could not find object id=config\"}]}"

static struct splunkd *open_at(int port)
{
	struct splunkd *d = NULL;
	char uri[64], err[256];

	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d", port);
	if (splunkd_open(&d, uri, KEY, err, sizeof(err)))
		printf("# splunkd_open: %s\n", err);
	return d;
}

static const char *s(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_no_connection(void)
{
	json_t *c = json_pack("{s:s,s:s,s:s}", "param.host", " ", "org", "",
			      "port", "443");

	ok(appconf_no_connection(c), "blank host, org and user: no connection");
	json_object_set_new(c, "user", json_string("a@b.c"));
	ok(!appconf_no_connection(c), "a user alone is a connection");
	json_decref(c);
}

static void test_fill(void)
{
	static const char *const script[] = {
		/* 1: qradar_soar.conf has no [config] */
		NOT_FOUND,
		/* 2: sa_resilient.conf has it */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n"
		"{\"entry\":[{\"name\":\"config\",\"content\":{\"host\":\"soar.example.com\","
		"\"port\":\"8443\",\"org\":\"\",\"user\":\"a@b.c\",\"verify\":\"true\","
		"\"num_artifacts\":\"25\",\"incident_file\":\"/x/resilient.json\","
		"\"eai:acl\":{\"app\":\"SA_QRadar_SOAR\"}}}]}",
		/* 3, 4: neither file has it */
		NOT_FOUND,
		NOT_FOUND,
		/* 5: splunkd fails */
		"!len:HTTP/1.1 500 Internal Server Error\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"boom\"}]}",
		NULL
	};
	struct splunkd *d;
	struct mini m;
	json_t *c, *set;
	const char *file = "x";
	char err[512], *log;
	int rc, st;

	if (!ok(mini_start(&m, script) == 0, "mini server started"))
		return;
	d = open_at(m.port);

	/* our setup stored a connection: nothing is read */
	set = json_pack("{s:s,s:s}", "param.host", "ours", "num_artifacts", "10");
	rc = appconf_fill_from_ibm(d, set, &file, err, sizeof(err));
	ok(rc == 0 && file == NULL && !strcmp(s(set, "param.host"), "ours") &&
		   json_object_size(set) == 2,
	   "a configured stanza is left alone, no request");
	json_decref(set);

	c = json_pack("{s:s,s:s,s:s,s:s,s:s}", "param.host", "", "org", "",
		      "param.port", "443", "num_artifacts", "10", "mapping_name",
		      "$result.x$");
	rc = appconf_fill_from_ibm(d, c, &file, err, sizeof(err));
	is_int(rc, 0, "IBM's stanza read");
	is_str(file, "sa_resilient.conf", "the SA-Resilient era's file is named");
	is_str(s(c, "host"), "soar.example.com", "host taken, under its plain name");
	ok(!json_object_get(c, "param.host"), "the blank param.host is gone");
	is_str(s(c, "port"), "8443", "port: IBM's value replaces the shipped 443");
	ok(!json_object_get(c, "param.port"), "param.port removed, so 443 cannot win");
	is_str(s(c, "num_artifacts"), "25", "num_artifacts: IBM's value");
	is_str(s(c, "user"), "a@b.c", "user taken");
	is_str(s(c, "org"), "", "a blank IBM value is not taken");
	ok(!json_object_get(c, "incident_file") && !json_object_get(c, "eai:acl"),
	   "keys IBM's action did not read are not taken");
	is_str(s(c, "mapping_name"), "$result.x$", "templates untouched");
	json_decref(c);

	c = json_pack("{s:s}", "port", "443");
	file = "x";
	rc = appconf_fill_from_ibm(d, c, &file, err, sizeof(err));
	ok(rc == 0 && file == NULL && json_object_size(c) == 1 &&
		   !strcmp(s(c, "port"), "443"),
	   "neither file has [config]: 0, nothing taken");
	rc = appconf_fill_from_ibm(d, c, &file, err, sizeof(err));
	ok(rc == SPLUNKD_SERVER && strstr(err, "boom") && file == NULL,
	   "a failed read is returned with splunkd's message");
	json_decref(c);

	splunkd_free(d);
	log = mini_finish(&m, &st);
	is_int(st, 0, "the server saw the whole script");
	ok(log && strstr(log, "GET /servicesNS/nobody/SA_QRadar_SOAR/configs/conf-qradar_soar/config?output_mode=json ") &&
		   strstr(log, "GET /servicesNS/nobody/SA_QRadar_SOAR/configs/conf-sa_resilient/config?output_mode=json ") &&
		   strstr(log, "conf-qradar_soar/config") <
			   strstr(log, "conf-sa_resilient/config"),
	   "qradar_soar.conf is read first, then sa_resilient.conf, in the app's namespace");
	is_int(mini_count(log, "GET /servicesNS/"), 5,
	       "one read per file in turn; a failed read stops there");
	ok(log && !strstr(log, "POST") && !strstr(log, "DELETE"),
	   "reading IBM's configuration writes nothing");
	free(log);
}

int main(void)
{
	test_no_connection();
	test_fill();
	return tap_done();
}
