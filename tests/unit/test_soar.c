#include "net/soar.h"
#include "net/soar_internal.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void url_is(const char *host, int port, long long org, long long id,
		   const char *want, const char *name)
{
	char *got = soar_case_url_of(host, port, org, id);

	is_str(got, want, name);
	free(got);
}

static void msg_is(const char *ctype, const char *body, const char *want,
		   const char *name)
{
	struct http_response r;
	char out[256];

	memset(&r, 0, sizeof(r));
	buf_init(&r.body, BUF_CAP_HTTP);
	buf_append(&r.body, body, strlen(body));
	snprintf(r.content_type, sizeof(r.content_type), "%s", ctype);
	memset(out, 'x', sizeof(out));
	soar_status_message(&r, out, sizeof(out));
	is_str(out, want, name);
	http_response_free(&r);
}

static void test_case_url(void)
{
	url_is("soar.example.com", 443, 201, 2095,
	       "https://soar.example.com:443/#incidents/2095?orgId=201",
	       "case URL: host, port, id, org");
	url_is("10.1.2.3", 8443, 7, 1, "https://10.1.2.3:8443/#incidents/1?orgId=7",
	       "case URL: IP host, other port");
	url_is("cases-rest.cp4s.example.com", 443, 201, 2095,
	       "https://cp4s.example.com/app/respond/#cases/2095",
	       "Cloud Pak for Security: cases-rest.X → https://X/app/respond/#cases/<id>");
	url_is("cases-rest.cp4s.example.com", 9443, 201, 12,
	       "https://cp4s.example.com/app/respond/#cases/12",
	       "Cloud Pak for Security: the API port is not the console's");
	url_is("my-cases-rest.example.com", 443, 201, 5,
	       "https://my-cases-rest.example.com:443/#incidents/5?orgId=201",
	       "cases-rest only as the first label");
}

static void test_status_message(void)
{
	msg_is("application/json",
	       "{\"success\":false,\"title\":null,\"message\":\"Field 'x' is bad\",\"hints\":[],\"error_code\":\"generic\"}",
	       "\"Field 'x' is bad\"", "StatusDTO message quoted");
	msg_is("application/json;charset=UTF-8",
	       "{\"message\":\"caf\\u00e9 \\\"q\\\"\"}", "\"caf\xc3\xa9 \"q\"\"",
	       "StatusDTO message: JSON escapes decoded, UTF-8 kept");
	msg_is("application/json", "{\"success\":false,\"message\":\"\"}", "",
	       "empty message → nothing");
	msg_is("application/json", "{\"success\":false,\"message\":null}", "",
	       "null message → nothing");
	msg_is("application/json", "{\"message\":42}", "", "non-string message → nothing");
	msg_is("application/json", "[1,2]", "", "not an object → nothing");
	msg_is("text/plain", "", "", "empty body → nothing");
	msg_is("text/html", "<html><body>502 Bad Gateway</body></html>",
	       "an HTML error page", "HTML page named, not copied");
	msg_is("TEXT/HTML; charset=utf-8", "<html></html>", "an HTML error page",
	       "HTML content type matched in any case");
	{
		char big[2000];

		memset(big, 'm', sizeof(big));
		memcpy(big, "{\"message\":\"", 12);
		memcpy(big + sizeof(big) - 3, "\"}", 3);
		struct http_response r;
		char out[64];

		memset(&r, 0, sizeof(r));
		buf_init(&r.body, BUF_CAP_HTTP);
		buf_append(&r.body, big, strlen(big));
		soar_status_message(&r, out, sizeof(out));
		ok(strlen(out) == sizeof(out) - 1 && out[0] == '"',
		   "a long message is cut to the buffer, still terminated");
		http_response_free(&r);
	}
}

int main(void)
{
	test_case_url();
	test_status_message();
	return tap_done();
}
