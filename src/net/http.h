#ifndef QS_HTTP_H
#define QS_HTTP_H

#include "util/buf.h"

#include <stddef.h>
#include <time.h>

/*
 * A thin libcurl wrapper: one easy handle per client so the connection is
 * reused (keep-alive) for a whole run. TLS peers and host names are always
 * verified; ca_file NULL means the system CAs. The option strings are
 * copied. Request and response bodies are bytes; the response body is
 * capped at BUF_CAP_HTTP.
 * Headers given to http_request are never logged by this module.
 */
struct http;

struct http_opts {
	const char *ca_file; /* NULL: system CAs */
	const char *proxy;   /* NULL: none (libcurl's env proxies apply) */
	const char *proxy_userpwd; /* "user:password" or NULL */
	long timeout_ms;	   /* per request */
	int https_only;
	int skip_host_check; /* chain still verified; see splunkd.c */
	int direct;	     /* ignore http(s)_proxy from the environment */
};

struct http_response {
	long status; /* 0 when no HTTP answer came back */
	struct buf body;
	char retry_after[32]; /* the Retry-After header, if any */
	char content_type[128];
	char session_cookie[512]; /* "JSESSIONID=…" from Set-Cookie */
	int sent;		  /* the request was (at least partly) sent */
};

enum http_err {
	HTTP_OK = 0,
	HTTP_CONNECT,
	HTTP_TLS,
	HTTP_TIMEOUT,
	HTTP_PROXY,
	HTTP_NOMEM,
	HTTP_OTHER
};

int http_new(struct http **out, const struct http_opts *o, char *err,
	     size_t errlen);
/* A new handle with h's options, for another thread (one handle per
 * thread). The new handle takes over h's kept-alive connection, if any, and
 * h opens a new one when it is used again: the first worker of a run goes
 * on on the connection the run already opened, instead of opening a second
 * one. Call from the thread that uses h, while nothing else uses it. */
int http_clone(struct http **out, struct http *h, char *err, size_t errlen);
void http_free(struct http *h);
/* on: the following requests are sent at most once each. libcurl resends a
 * request by itself when a reused connection dies before any answer, which
 * for a create could make a second case; on, that resend is refused and the
 * failure is reported as HTTP_CONNECT with sent = 1 (outcome unknown). The
 * kept-alive connection is still used. */
void http_set_send_once(struct http *h, int on);

/* Sends one request. headers: NULL-terminated "Name: value" strings.
 * body may be NULL. On a transport failure returns an http_err and err
 * names the URL's host and curl's reason; an HTTP error status is not a
 * failure here (resp->status tells). resp must be freed with
 * http_response_free. */
int http_request(struct http *h, const char *method, const char *url,
		 const char *const *headers, const char *body, size_t body_len,
		 struct http_response *resp, char *err, size_t errlen);
void http_response_free(struct http_response *r);

/* The wait a Retry-After value asks for, in ms, at time now: delta-seconds
 * or an HTTP-date (a date in the past is 0); capped at a day; -1 when v is
 * empty or unparsable. */
long http_retry_after_ms(const char *v, time_t now);

/* A malloc'd percent-encoding of s (RFC 3986 unreserved kept). */
char *http_escape(const char *s);

#endif
