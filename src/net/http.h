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
	/* why the peer's certificate was refused, in OpenSSL's words ("unable
	 * to get local issuer certificate", "certificate has expired"); ""
	 * unless http_request returned HTTP_TLS */
	char tls_reason[128];
	/* the failure is the proxy's: it does not resolve, cannot be reached
	 * or refused the tunnel (then with its CONNECT answer's status) */
	int proxy_failed;
	long tunnel_status;
	int os_errno; /* errno of a failed connect (ECONNREFUSED…), else 0 */
	struct buf body;
	char retry_after[32]; /* the Retry-After header, if any */
	char content_type[128];
	char session_cookie[512]; /* "JSESSIONID=…" from Set-Cookie */
	int sent;		  /* the request was (at least partly) sent */
};

/*
 * Transport failures, by what an admin has to do about them. The first
 * group can pass by itself (a restart, a network blip); the permanent ones
 * (http_err_permanent) cannot until the configuration or the server's
 * certificate changes, so retrying them only delays the error.
 */
enum http_err {
	HTTP_OK = 0,
	HTTP_CONNECT, /* refused, reset or closed before an answer */
	HTTP_TLS,     /* certificate chain not trusted, or no TLS handshake */
	HTTP_TIMEOUT,
	HTTP_PROXY, /* the proxy refused the tunnel or does not resolve */
	HTTP_NOMEM,
	HTTP_OTHER,
	HTTP_DNS,     /* the host name does not resolve */
	HTTP_URL,     /* the URL (host, scheme) cannot be used */
	HTTP_CA_FILE, /* the CA bundle cannot be read or holds no certificate */
	HTTP_TLS_NAME /* the certificate is valid but does not name the host */
};

/* 1 for the failures retrying cannot cure: DNS, URL, CA file, TLS, proxy
 * refusal, an answer over the size cap (HTTP_OTHER); 0 otherwise. */
int http_err_permanent(int rc);

/*
 * The rule for a bare host as the setup page takes it: a DNS name or IPv4
 * address (letters, digits, '-', '.', '_', no empty label) or an IPv6
 * literal with or without brackets; no scheme, path, port, user or space.
 * Returns 0, or -1 with why (size n) set to a clause to put after the
 * setting's name: "must not contain a scheme such as https://; give only
 * the host name or IP address".
 */
int http_check_host(const char *host, char *why, size_t n);

/* An absolute http:// or https:// URL with a host (libcurl's URL parser).
 * Returns 0, or -1 with why (size n) naming the problem. */
int http_check_url(const char *url, char *why, size_t n);

/* A CA bundle path as verify/ca_file takes it: absolute, naming a regular
 * file this process can open. Returns 0, or -1 with why (size n) saying
 * what is wrong ("is not an absolute path", "cannot be read: No such file
 * or directory", "is not a regular file"). */
int http_check_ca_file(const char *path, char *why, size_t n);

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
 * http_response_free, also after a failure. */
int http_request(struct http *h, const char *method, const char *url,
		 const char *const *headers, const char *body, size_t body_len,
		 struct http_response *resp, char *err, size_t errlen);
void http_response_free(struct http_response *r);

/* The wait a Retry-After value asks for, in ms, at time now: delta-seconds
 * or an HTTP-date (a date in the past is 0); capped at a day; -1 when v is
 * empty or unparsable. */
long http_retry_after_ms(const char *v, time_t now);

#endif
