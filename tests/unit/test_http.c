#include "net/http.h"
#include "miniserver.h"
#include "tap.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

static void test_retry_after(void)
{
	time_t now = time(NULL);
	char date[64];
	struct tm tm;

	is_int(http_retry_after_ms("1", now), 1000, "Retry-After: 1 → 1000 ms");
	is_int(http_retry_after_ms("0", now), 0, "Retry-After: 0 → 0 ms");
	is_int(http_retry_after_ms("120", now), 120000, "Retry-After: 120");
	is_int(http_retry_after_ms("", now), -1, "Retry-After empty → -1");
	is_int(http_retry_after_ms(NULL, now), -1, "Retry-After absent → -1");
	is_int(http_retry_after_ms("soon", now), -1, "Retry-After garbage → -1");
	is_int(http_retry_after_ms("5s", now), -1, "Retry-After 5s → -1");
	is_int(http_retry_after_ms("99999999999", now), 86400000L,
	       "Retry-After huge → capped at a day");
	is_int(http_retry_after_ms("999999999999999999999999", now), 86400000L,
	       "Retry-After past a long long → capped at a day");
	is_int(http_retry_after_ms("1.5", now), -1, "Retry-After 1.5 → -1");
	is_int(http_retry_after_ms("12 ", now), -1, "Retry-After with a trailing space → -1");
	gmtime_r(&(time_t){ now + 3 }, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	is_int(http_retry_after_ms(date, now), 3000, "Retry-After IMF-fixdate 3 s ahead");
	gmtime_r(&(time_t){ now - 30 }, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	is_int(http_retry_after_ms(date, now), 0, "Retry-After date in the past → 0");
	is_int(http_retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT", now), 0,
	       "Retry-After RFC 850 date (past) → 0");
	is_int(http_retry_after_ms("Sun Nov  6 08:49:37 1994", now), 0,
	       "Retry-After asctime date (past) → 0");
	is_int(http_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT",
				   (time_t)1445412480 - 10), 10000,
	       "Retry-After fixed date 10 s ahead of a fixed now");
}

static struct http *client(long timeout_ms, int https_only)
{
	struct http_opts o = { NULL, NULL, NULL, timeout_ms, https_only, 0, 0 };
	struct http *h = NULL;
	char err[256];

	if (http_new(&h, &o, err, sizeof(err)) != HTTP_OK)
		printf("# http_new: %s\n", err);
	return h;
}

static void test_headers_and_bodies(void)
{
	static const char *const script[] = {
		"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\n"
		"Content-Type: application/json\r\nContent-Length: 15\r\n\r\n"
		"{\"message\":\"x\"}",
		"HTTP/1.1 200 OK\r\nSet-Cookie: other=1; Path=/\r\n"
		"Set-Cookie: JSESSIONID=abc123; Path=/; Secure; HttpOnly\r\n"
		"Content-Type: text/html; charset=utf-8\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
		NULL
	};
	const char *hdr[] = { "Content-Type: application/json", "X-Test: 1", NULL };
	struct http_response r;
	struct mini m;
	struct http *h;
	char url[128], err[256] = "";
	char *log;
	int rc, st;

	if (!ok(mini_start(&m, script) == 0, "mini server started"))
		return;
	h = client(5000, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/rest/x?y=1", m.port);
	rc = http_request(h, "GET", url, hdr, NULL, 0, &r, err, sizeof(err));
	is_int(rc, HTTP_OK, "an HTTP error status is not a transport failure");
	is_int(r.status, 503, "status 503 reported");
	is_str(r.retry_after, "7", "Retry-After captured");
	is_str(r.content_type, "application/json", "Content-Type captured");
	is_str(buf_str(&r.body), "{\"message\":\"x\"}", "body captured");
	ok(r.sent, "sent is set when an answer came");
	http_response_free(&r);
	rc = http_request(h, "POST", url, hdr, "{\"a\":1}", 7, &r, err, sizeof(err));
	is_int(rc, HTTP_OK, "POST ok");
	is_str(r.session_cookie, "JSESSIONID=abc123",
	       "only the JSESSIONID cookie is kept, without attributes");
	is_str(r.retry_after, "", "Retry-After not carried over between requests");
	is_str(r.content_type, "text/html; charset=utf-8", "HTML content type");
	http_response_free(&r);
	rc = http_request(h, "PATCH", url, NULL, NULL, 0, &r, err, sizeof(err));
	is_int(rc, HTTP_OK, "PATCH without a body is sent");
	is_int(r.status, 204, "204 reported");
	is_int(r.body.len, 0, "no body");
	http_response_free(&r);
	http_free(h);
	log = mini_finish(&m, &st);
	is_int(st, 0, "the server saw the whole script");
	ok(log && strstr(log, "GET /rest/x?y=1 HTTP/1.1\r\n"), "GET request line");
	ok(log && strstr(log, "X-Test: 1\r\n"), "caller's headers sent");
	ok(log && strstr(log, "User-Agent: SA_QRadar_SOAR-C/" QS_VERSION "\r\n"),
	   "User-Agent names the add-on's version");
	ok(log && strstr(log, "POST /rest/x?y=1 HTTP/1.1\r\n") &&
		   strstr(log, "Content-Length: 7\r\n\r\n{\"a\":1}"),
	   "POST body sent with its length");
	ok(log && strstr(log, "PATCH /rest/x?y=1 HTTP/1.1\r\n") &&
		   strstr(log, "Content-Length: 0\r\n"),
	   "PATCH with an empty body has Content-Length: 0");
	ok(log && !strstr(log, "Expect:"), "no Expect: 100-continue round trip");
	free(log);
}

static void test_transport_failures(void)
{
	static const char *const script[] = {
		"!reset",
		"!sleep:1500\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		NULL
	};
	struct http_response r;
	struct timespec t0;
	struct mini m;
	struct http *h;
	char url[128], err[512] = "";
	char *log;
	int rc;

	if (!ok(mini_start(&m, script) == 0, "mini server started"))
		return;
	h = client(300, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/rest/orgs/201/incidents", m.port);
	rc = http_request(h, "POST", url, NULL, "{}", 2, &r, err, sizeof(err));
	is_int(rc, HTTP_CONNECT, "reset after the request → HTTP_CONNECT");
	ok(strstr(err, "127.0.0.1") != NULL, "reset: err names the host");
	ok(r.sent, "reset: the request counts as sent (outcome unknown)");
	is_int(r.status, 0, "reset: no status");
	http_response_free(&r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = http_request(h, "GET", url, NULL, NULL, 0, &r, err, sizeof(err));
	is_int(rc, HTTP_TIMEOUT, "a slow answer → HTTP_TIMEOUT");
	ok(ms_since(&t0) < 1200, "the timeout is the configured 300 ms");
	ok(strstr(err, "127.0.0.1") != NULL, "timeout: err names the host");
	http_response_free(&r);
	http_free(h);
	log = mini_finish(&m, NULL);
	is_int(mini_count(log, "\n=====\n"), 2, "two requests reached the server");
	free(log);

	/* nobody listens on the port any more */
	h = client(2000, 0);
	rc = http_request(h, "GET", url, NULL, NULL, 0, &r, err, sizeof(err));
	is_int(rc, HTTP_CONNECT, "refused connection → HTTP_CONNECT");
	ok(strncmp(err, "127.0.0.1: ", 11) == 0, "refused: err starts with the host");
	ok(!r.sent, "refused: nothing was sent");
	http_response_free(&r);
	http_free(h);

	h = client(2000, 1);
	rc = http_request(h, "GET", url, NULL, NULL, 0, &r, err, sizeof(err));
	ok(rc != HTTP_OK && !r.sent, "https_only refuses a plain http:// URL");
	http_response_free(&r);
	http_free(h);
}

static void test_classes(void)
{
	static const char *const script[] = { "!reset", NULL };
	struct http_opts o = { NULL, NULL, NULL, 2000, 0, 0, 0 };
	struct http_response r;
	struct http *h = NULL;
	struct mini m;
	char err[512] = "", ca[] = "/tmp/qs-test-http-XXXXXX", why[256];
	char url[128];
	int rc, fd;

	h = client(2000, 0);
	rc = http_request(h, "GET", "https://soar.invalid/rest/const", NULL,
			  NULL, 0, &r, err, sizeof(err));
	is_int(rc, HTTP_DNS, "a name that does not resolve → HTTP_DNS");
	ok(http_err_permanent(rc), "HTTP_DNS is permanent (not retried)");
	http_response_free(&r);
	rc = http_request(h, "GET", "https://soar example.com/rest", NULL,
			  NULL, 0, &r, err, sizeof(err));
	is_int(rc, HTTP_URL, "a URL libcurl cannot parse → HTTP_URL");
	ok(http_err_permanent(rc), "HTTP_URL is permanent");
	http_response_free(&r);
	http_free(h);

	/* a CA bundle that is no PEM: libcurl cannot load it once the TCP
	 * connection stands, before the TLS handshake */
	fd = mkstemp(ca);
	ok(fd >= 0 && write(fd, "not a certificate\n", 18) == 18, "temp CA file");
	close(fd);
	o.ca_file = ca;
	if (ok(mini_start(&m, script) == 0, "mini server started") &&
	    http_new(&h, &o, err, sizeof(err)) == HTTP_OK) {
		snprintf(url, sizeof(url), "https://127.0.0.1:%d/", m.port);
		rc = http_request(h, "GET", url, NULL, NULL, 0, &r, err,
				  sizeof(err));
		is_int(rc, HTTP_CA_FILE, "an unloadable CA bundle → HTTP_CA_FILE");
		http_response_free(&r);
		http_free(h);
		free(mini_finish(&m, NULL));
	}
	ok(!http_err_permanent(HTTP_CONNECT) && !http_err_permanent(HTTP_TIMEOUT),
	   "refused connections and timeouts are retried");
	ok(http_err_permanent(HTTP_CA_FILE) && http_err_permanent(HTTP_URL) &&
		   http_err_permanent(HTTP_TLS) && http_err_permanent(HTTP_TLS_NAME) &&
		   http_err_permanent(HTTP_PROXY),
	   "CA file, URL, TLS and proxy refusals are permanent");

	is_int(http_check_ca_file(ca, why, sizeof(why)), 0,
	       "check_ca_file: a readable regular file");
	unlink(ca);
	is_int(http_check_ca_file(ca, why, sizeof(why)), -1,
	       "check_ca_file: a missing file");
	is_str(why, "cannot be read: No such file or directory",
	       "check_ca_file: says why, with the system's words");
	is_int(http_check_ca_file("certs/ca.pem", why, sizeof(why)), -1,
	       "check_ca_file: relative path");
	is_str(why, "is not an absolute path", "check_ca_file: says absolute");
	is_int(http_check_ca_file("/tmp", why, sizeof(why)), -1,
	       "check_ca_file: a directory");
	is_str(why, "is not a regular file", "check_ca_file: not a regular file");

	is_int(http_check_host("soar.example.com", why, sizeof(why)), 0,
	       "check_host: a DNS name");
	is_int(http_check_host("10.0.0.1", why, sizeof(why)), 0,
	       "check_host: IPv4");
	is_int(http_check_host("[fe80::1]", why, sizeof(why)), 0,
	       "check_host: bracketed IPv6");
	is_int(http_check_host("fe80::1", why, sizeof(why)), 0,
	       "check_host: bare IPv6");
	is_int(http_check_host("https://127.0.0.1", why, sizeof(why)), -1,
	       "check_host: a scheme");
	is_str(why,
	       "must not contain a scheme such as https://; give only the host name or IP address",
	       "check_host: says scheme");
	is_int(http_check_host("soar:443", why, sizeof(why)), -1,
	       "check_host: a port");
	ok(strstr(why, "port") != NULL, "check_host: says port");
	is_int(http_check_host("soar/x", why, sizeof(why)), -1,
	       "check_host: a path");
	is_int(http_check_host("", why, sizeof(why)), -1, "check_host: empty");
	is_int(http_check_host("a b", why, sizeof(why)), -1,
	       "check_host: spaces");
	is_int(http_check_host("a..b", why, sizeof(why)), -1,
	       "check_host: empty label");
	is_int(http_check_host("so!ar", why, sizeof(why)), -1,
	       "check_host: a character not allowed");

	is_int(http_check_url("https://127.0.0.1:8089", why, sizeof(why)), 0,
	       "check_url: splunkd's URI");
	is_int(http_check_url("htps//garbage", why, sizeof(why)), -1,
	       "check_url: garbage");
	is_str(why, "it does not start with https://", "check_url: says why");
	is_int(http_check_url("ftp://x", why, sizeof(why)), -1,
	       "check_url: another scheme");
	is_int(http_check_url("https://", why, sizeof(why)), -1,
	       "check_url: no host");
}

int main(void)
{
	test_classes();
	test_retry_after();
	test_headers_and_bodies();
	test_transport_failures();
	return tap_done();
}
