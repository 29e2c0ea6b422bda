#include "net/splunkd.h"
#include "util/names.h"
#include "miniserver.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY "sEsSiOnKeY-0123456789abcdef"

#define JSON_HDR "Content-Type: application/json\r\n"

static struct splunkd *open_at(int port)
{
	struct splunkd *d = NULL;
	char uri[64], err[256];

	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d//", port);
	if (splunkd_open(&d, uri, KEY, err, sizeof(err)))
		printf("# splunkd_open: %s\n", err);
	return d;
}

static void no_key(const char *err, const char *name)
{
	ok(strstr(err, KEY) == NULL, name);
}

static void test_open(void)
{
	struct splunkd *d = NULL;
	char err[256];

	is_int(splunkd_open(&d, "https://127.0.0.1:8089", "", err, sizeof(err)),
	       SPLUNKD_REFUSED, "open without a session key refused");
	ok(d == NULL && strstr(err, "session_key"), "the error names session_key");
	is_int(splunkd_open(&d, NULL, KEY, err, sizeof(err)), SPLUNKD_REFUSED,
	       "open without server_uri refused");
}

static void test_requests(void)
{
	static const char *const script[] = {
		/* 1 get */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n{\"entry\":[]}",
		/* 2 get with a query */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n{}",
		/* 3 notable_update */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n{\"success\":true}",
		/* 4 messages */
		"!len:HTTP/1.1 201 Created\r\n" JSON_HDR "\r\n{}",
		/* 5 password: 403 */
		"!len:HTTP/1.1 403 Forbidden\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"You (user=analyst) do not have pe\"}]}",
		/* 6 password: 404 */
		"!len:HTTP/1.1 404 Not Found\r\n" JSON_HDR "\r\n{\"messages\":[]}\n",
		/* 7 password: found */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n"
		"{\"entry\":[{\"content\":{\"clear_password\":\"pw\"}}]}",
		/* 8 password: empty */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n"
		"{\"entry\":[{\"content\":{\"clear_password\":\"\"}}]}",
		/* 9 500 with an error message */
		"!len:HTTP/1.1 500 Internal Server Error\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"boom here\"}]}",
		/* 10 200 but not JSON */
		"!len:HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>",
		/* 11 delete */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n{}",
		/* 12 create of an existing object: 409 */
		"!len:HTTP/1.1 409 Conflict\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"An object with name=x already exists\"}]}",
		NULL
	};
	const char *kv[] = { "ruleUIDs", "E1@@notable@@a1", "comment",
			     "QRadar SOAR Case ID: 2095\nhttps://h:443/#incidents/2095?orgId=201",
			     "x", "a&b=c+d \xc3\xa9", NULL };
	struct splunkd *d;
	struct mini m;
	json_t *j = NULL;
	char err[1024], *secret = NULL, *log;
	int rc, st;

	if (!ok(mini_start(&m, script) == 0, "mini server started"))
		return;
	d = open_at(m.port);
	rc = splunkd_get(d, "/servicesNS/nobody/SA_QRadar_SOAR/alerts/alert_actions/qradar_soar",
			 &j, err, sizeof(err));
	ok(rc == SPLUNKD_OK && json_is_array(json_object_get(j, "entry")),
	   "GET parsed as JSON");
	json_decref(j);
	rc = splunkd_get(d, "/servicesNS/admin/search/saved/searches/x?count=0", &j,
			 err, sizeof(err));
	is_int(rc, SPLUNKD_OK, "GET with a query string");
	json_decref(j);
	rc = splunkd_post_form(d, "/services/notable_update", kv, &j, err, sizeof(err));
	ok(rc == SPLUNKD_OK && json_is_true(json_object_get(j, "success")),
	   "notable_update answer parsed");
	json_decref(j);
	rc = splunkd_message(d, "SA_QRadar_SOAR_failure", "QRadar SOAR: 2 rows failed",
			     "error", err, sizeof(err));
	is_int(rc, SPLUNKD_OK, "message posted (201 is success)");

	rc = splunkd_get_secret(d, "soar.example.com", "a@b.c", &secret, err, sizeof(err));
	is_int(rc, SPLUNKD_FORBIDDEN, "403 on the secret → SPLUNKD_FORBIDDEN");
	ok(strstr(err, "list_storage_passwords") && strstr(err, "SOAR credential"),
	   "403: says which capability is missing and what was read");
	ok(secret == NULL, "403: no secret");
	no_key(err, "403: the session key is not in the error");
	rc = splunkd_get_password(d, QS_PROXY_REALM, "proxyuser", "proxy password",
				  &secret, err, sizeof(err));
	is_int(rc, SPLUNKD_NOTFOUND, "404 → SPLUNKD_NOTFOUND");
	is_str(err, "No proxy password is stored for user \"proxyuser\" (storage/passwords realm SA_QRadar_SOAR_proxy). Enter it on the add-on's setup page and Submit.",
	       "404: names the realm, the user and the fix");
	rc = splunkd_get_secret(d, "soar.example.com", "a@b.c", &secret, err, sizeof(err));
	ok(rc == SPLUNKD_OK && secret && strcmp(secret, "pw") == 0, "secret read");
	free(secret);
	secret = NULL;
	rc = splunkd_get_secret(d, "soar.example.com", "a@b.c", &secret, err, sizeof(err));
	ok(rc == SPLUNKD_SERVER && !secret && strstr(err, "is empty"),
	   "an empty stored secret is an error");
	rc = splunkd_get(d, "/services/x", &j, err, sizeof(err));
	is_int(rc, SPLUNKD_SERVER, "500 → SPLUNKD_SERVER");
	is_str(err, "splunkd GET /services/x: HTTP 500: boom here",
	       "500: endpoint, status and splunkd's message");
	no_key(err, "500: the session key is not in the error");
	rc = splunkd_get(d, "/services/y", &j, err, sizeof(err));
	ok(rc == SPLUNKD_SERVER && j == NULL && strstr(err, "not JSON"),
	   "a 200 that is not JSON is an error");
	rc = splunkd_delete(d, "/services/messages/SA_QRadar_SOAR_failure", err, sizeof(err));
	is_int(rc, SPLUNKD_OK, "DELETE");
	{
		const char *create[] = { "name", "x", "password", "p", NULL };

		rc = splunkd_post_form(d, QS_PASSWORDS_PATH, create, NULL, err,
				       sizeof(err));
		is_int(rc, SPLUNKD_CONFLICT, "409 → SPLUNKD_CONFLICT");
	}
	splunkd_free(d);

	log = mini_finish(&m, &st);
	is_int(st, 0, "the server saw the whole script");
	is_int(mini_count(log, "Authorization: Splunk " KEY "\r\n"), 12,
	       "Authorization: Splunk <key> on every request");
	ok(log && strstr(log, "GET /servicesNS/nobody/SA_QRadar_SOAR/alerts/alert_actions/qradar_soar?output_mode=json HTTP/1.1\r\n"),
	   "output_mode=json added with ?; no double slash after server_uri");
	ok(log && strstr(log, "GET /servicesNS/admin/search/saved/searches/x?count=0&output_mode=json HTTP/1.1\r\n"),
	   "output_mode=json added with & after a query");
	ok(log && strstr(log, "POST /services/notable_update?output_mode=json HTTP/1.1\r\n"),
	   "notable_update path");
	ok(log && strstr(log, "Content-Type: application/x-www-form-urlencoded\r\n"),
	   "form content type");
	ok(log && strstr(log, "\r\n\r\nruleUIDs=E1%40%40notable%40%40a1&comment=QRadar%20SOAR%20Case%20ID%3A%202095%0Ahttps%3A%2F%2Fh%3A443%2F%23incidents%2F2095%3ForgId%3D201&x=a%26b%3Dc%2Bd%20%C3%A9\n"),
	   "form body: every key and value escaped, newline as %0A, UTF-8");
	ok(log && strstr(log, "\r\n\r\nname=SA_QRadar_SOAR_failure&value=QRadar%20SOAR%3A%202%20rows%20failed&severity=error\n"),
	   "message body");
	is_int(mini_count(log, "GET /servicesNS/nobody/SA_QRadar_SOAR/storage/passwords/SA_QRadar_SOAR_soar.example.com%3Aa%40b.c%3A?output_mode=json "),
	       3, "the secret is read from IBM's entity id, escaped");
	ok(log && strstr(log, "/storage/passwords/SA_QRadar_SOAR_proxy%3Aproxyuser%3A?output_mode=json "),
	   "the proxy password entity");
	ok(log && strstr(log, "DELETE /services/messages/SA_QRadar_SOAR_failure?output_mode=json "),
	   "DELETE path");
	free(log);
}

int main(void)
{
	unsetenv("SPLUNK_HOME");
	test_open();
	test_requests();
	return tap_done();
}
