#include "net/http.h"
#include "util/secret.h"
#include "util/text.h"
#include "version.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct http {
	CURL *curl;
	struct http_opts o; /* its strings point into the copies below */
	char *ca_file, *proxy, *proxy_userpwd;
	int send_once;
};

static int curl_ready;

/* The caller's option strings may be stack buffers it wipes right after
 * (the proxy password), so the handle keeps its own copies. */
static int own_opts(struct http *h, const struct http_opts *o)
{
	h->o = *o;
	h->o.ca_file = h->o.proxy = h->o.proxy_userpwd = NULL;
	if ((o->ca_file && !(h->ca_file = strdup(o->ca_file))) ||
	    (o->proxy && !(h->proxy = strdup(o->proxy))) ||
	    (o->proxy_userpwd &&
	     !(h->proxy_userpwd = strdup(o->proxy_userpwd))))
		return -1;
	h->o.ca_file = h->ca_file;
	h->o.proxy = h->proxy;
	h->o.proxy_userpwd = h->proxy_userpwd;
	return 0;
}

/*
 * The system's CA bundle, found at run time. The release binaries link a
 * static libcurl built with no CA path compiled in, because every
 * distribution keeps its bundle somewhere else (the Makefile's RELEASE
 * comment); on Debian the first path is also what Debian's libcurl uses.
 */
static const char *system_ca_file(void)
{
	static const char *const paths[] = {
		"/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Arch */
		"/etc/pki/tls/certs/ca-bundle.crt",   /* RHEL, Fedora, Amazon */
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL */
		"/etc/ssl/ca-bundle.pem",			     /* SUSE */
		"/etc/ssl/cert.pem", /* Alpine */
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	return NULL; /* libcurl's default: verification then fails */
}

int http_new(struct http **out, const struct http_opts *o, char *err,
	     size_t errlen)
{
	struct http *h;

	*out = NULL;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen,
				 "libcurl could not be initialised");
			return HTTP_OTHER;
		}
		curl_ready = 1;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->curl = curl_easy_init()) || own_opts(h, o)) {
		http_free(h);
		snprintf(err, errlen, "out of memory");
		return HTTP_NOMEM;
	}
	if (!h->o.ca_file)
		h->o.ca_file =
			system_ca_file(); /* static: not one of the copies */
	*out = h;
	return HTTP_OK;
}

int http_clone(struct http **out, struct http *h, char *err, size_t errlen)
{
	CURL *fresh;
	int rc;

	rc = http_new(out, &h->o, err, errlen);
	if (rc != HTTP_OK)
		return rc;
	/* the easy handle holds its connection cache: swapping handles moves
	 * the live connection to the clone */
	fresh = (*out)->curl;
	(*out)->curl = h->curl;
	h->curl = fresh;
	return HTTP_OK;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->ca_file);
	free(h->proxy);
	secret_free(h->proxy_userpwd);
	free(h);
}

void http_set_send_once(struct http *h, int on)
{
	h->send_once = on;
}

/*
 * libcurl calls this right before it sends a request, once per attempt.
 * A second call within one transfer means the first attempt went out on a
 * reused connection that then died, and libcurl is about to resend it by
 * itself; for a send-once request that resend is refused, so the caller
 * sees an unknown outcome instead of a possible duplicate. The kept-alive
 * connection is still used for every first attempt.
 */
static int on_prereq(void *arg, char *conn_primary_ip, char *conn_local_ip,
		     int conn_primary_port, int conn_local_port)
{
	int *attempts = arg;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	return ++*attempts > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;

	if (buf_append(&r->body, p, size * n) != BUF_OK)
		return 0; /* aborts the transfer: body over the cap */
	return size * n;
}

static void copy_header(char *dst, size_t dn, const char *v, size_t vn)
{
	while (vn && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	while (vn &&
	       (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
		vn--;
	if (vn >= dn)
		vn = dn - 1;
	memcpy(dst, v, vn);
	dst[vn] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;
	size_t len = size * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		copy_header(r->retry_after, sizeof(r->retry_after), p + 12,
			    len - 12);
	else if (len > 11 && strncasecmp(p, "Set-Cookie:", 11) == 0) {
		const char *v = p + 11, *end = p + len, *semi;

		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if ((size_t)(end - v) > 11 &&
		    strncmp(v, "JSESSIONID=", 11) == 0) {
			semi = memchr(v, ';', (size_t)(end - v));
			copy_header(r->session_cookie,
				    sizeof(r->session_cookie), v,
				    (size_t)((semi ? semi : end) - v));
		}
	} else if (len > 13 && strncasecmp(p, "Content-Type:", 13) == 0)
		copy_header(r->content_type, sizeof(r->content_type), p + 13,
			    len - 13);
	return len;
}

/*
 * verify_result is OpenSSL's verdict on the chain (CURLINFO_SSL_VERIFYRESULT).
 * A chain OpenSSL refuses fails the handshake with its own verdict. libcurl
 * checks the host name itself once the chain is accepted, and before it
 * stores the verdict, which it preset to 1 (X509_V_ERR_UNSPECIFIED): so 0
 * or 1 with a refused peer is a name mismatch, as are OpenSSL's own name
 * verdicts (newer libcurl lets OpenSSL check the name).
 */
static int classify(CURLcode c, long verify_result)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return HTTP_DNS;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return HTTP_URL;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return HTTP_CONNECT;
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_PROXY;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_TIMEOUT;
	case CURLE_SSL_CACERT_BADFILE:
		return HTTP_CA_FILE;
	case CURLE_PEER_FAILED_VERIFICATION:
		return verify_result == X509_V_OK ||
				       verify_result ==
					       X509_V_ERR_UNSPECIFIED ||
				       verify_result ==
					       X509_V_ERR_HOSTNAME_MISMATCH ||
				       verify_result ==
					       X509_V_ERR_IP_ADDRESS_MISMATCH
			       ? HTTP_TLS_NAME
			       : HTTP_TLS;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
		return HTTP_TLS;
	case CURLE_OUT_OF_MEMORY:
		return HTTP_NOMEM;
	default:
		return HTTP_OTHER;
	}
}

int http_err_permanent(int rc)
{
	return rc == HTTP_TLS || rc == HTTP_PROXY || rc == HTTP_OTHER ||
	       rc == HTTP_DNS || rc == HTTP_URL || rc == HTTP_CA_FILE ||
	       rc == HTTP_TLS_NAME;
}

static int is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

static int is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
}

/* An IPv6 literal's inside: hex digits, ':' and '.' (a trailing IPv4),
 * at least two colons. */
static int ipv6_chars(const char *s, size_t n)
{
	size_t i, colons = 0;

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (!is_hex(s[i]) && s[i] != '.')
			return 0;
	}
	return colons >= 2;
}

static int bad(char *why, size_t n, const char *text)
{
	snprintf(why, n, "%s", text);
	return -1;
}

int http_check_host(const char *s, char *why, size_t n)
{
	size_t len = strlen(s), i;
	const char *colon;

	if (!len)
		return bad(why, n,
			   "is empty; give the host name or IP address");
	if (strstr(s, "://"))
		return bad(why, n,
			   "must not contain a scheme such as https://; give "
			   "only the host name or IP address");
	if (strchr(s, '/') || strchr(s, '?') || strchr(s, '#'))
		return bad(why, n,
			   "must not contain a path; give only the host name "
			   "or IP address");
	if (strchr(s, '@'))
		return bad(why, n, "must not contain a user name (@)");
	if (strchr(s, ' '))
		return bad(why, n, "must not contain spaces");
	if (s[0] == '[') {
		if (s[len - 1] != ']')
			return bad(why, n,
				   "must not contain a port; put it in the "
				   "port field");
		if (!ipv6_chars(s + 1, len - 2))
			return bad(why, n, "is not a valid IPv6 address");
		return 0;
	}
	colon = strchr(s, ':');
	if (colon) {
		if (!strchr(colon + 1, ':'))
			return bad(why, n,
				   "must not contain a port; put it in the "
				   "port field");
		if (!ipv6_chars(s, len))
			return bad(why, n, "is not a valid IPv6 address");
		return 0;
	}
	for (i = 0; i < len; i++)
		if (!is_name_char(s[i]))
			return bad(why, n,
				   "contains a character not allowed in a host "
				   "name (letters, digits, '-', '.' and '_' "
				   "only)");
	if (s[0] == '.' || s[0] == '-' || strstr(s, ".."))
		return bad(why, n, "is not a valid host name");
	return 0;
}

int http_check_url(const char *url, char *why, size_t n)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	CURLUcode uc;
	int rc = -1;

	if (!u)
		return bad(why, n, "out of memory");
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (!strstr(url, "://"))
		bad(why, n, "it does not start with https://");
	else if (uc != CURLUE_OK)
		snprintf(why, n, "%s", curl_url_strerror(uc));
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		 (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0))
		bad(why, n, "the scheme must be https:// or http://");
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		 !*host)
		bad(why, n, "it has no host");
	else
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* Opening the file is the only honest readability test. */
int http_check_ca_file(const char *path, char *why, size_t n)
{
	struct stat st;
	int fd;

	if (path[0] != '/')
		return bad(why, n, "is not an absolute path");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, n, "cannot be read: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return bad(why, n, "is not a regular file");
	}
	close(fd);
	return 0;
}

/* The options of one request on the handle's connection (reset first:
 * per-request state goes, the live connection stays). */
static void set_request(struct http *h, const char *method, const char *url,
			struct curl_slist *hl, const char *body,
			size_t body_len, struct http_response *resp,
			char *ebuf, int *attempts)
{
	CURL *c = h->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST,
			 h->o.skip_host_check ? 0L : 2L);
	if (h->o.ca_file) {
		/* that bundle only: not also a CA directory compiled into
		 * the system's libcurl (Debian's has /etc/ssl/certs) */
		curl_easy_setopt(c, CURLOPT_CAINFO, h->o.ca_file);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	if (h->o.https_only)
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	if (h->o.proxy)
		curl_easy_setopt(c, CURLOPT_PROXY, h->o.proxy);
	else if (h->o.direct)
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (h->o.proxy_userpwd)
		curl_easy_setopt(c, CURLOPT_PROXYUSERPWD, h->o.proxy_userpwd);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
			 h->o.timeout_ms > 0 ? h->o.timeout_ms : 60000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "SA_QRadar_SOAR-C/" QS_VERSION);
	if (h->send_once) {
		curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_prereq);
		curl_easy_setopt(c, CURLOPT_PREREQDATA, attempts);
	}
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		return;
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(body ? body_len : 0));
	}
}

/* A transfer that failed: its class (enum in http.h) and one sentence
 * naming the host and what happened, the proxy's answer apart from the
 * network's (a refusal is not a blip). */
static int explain_failure(struct http *h, CURLcode cc, const char *url,
			   const char *ebuf, int attempts, curl_off_t up,
			   struct http_response *resp, char *err,
			   size_t errlen)
{
	CURL *c = h->curl;
	char host[256] = "";
	CURLU *u = curl_url();
	char *hn = NULL;
	long tunnel = 0, verdict = X509_V_OK, os_errno = 0;
	const char *what = ebuf[0] ? ebuf : curl_easy_strerror(cc);
	int rc;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &hn, 0) == CURLUE_OK)
		snprintf(host, sizeof(host), "%s", hn);
	curl_free(hn);
	curl_url_cleanup(u);
	curl_easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &tunnel);
	curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &verdict);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	resp->os_errno = (int)os_errno;
	rc = classify(cc, verdict);
	if (rc == HTTP_TLS && verdict != X509_V_OK &&
	    verdict != X509_V_ERR_UNSPECIFIED)
		snprintf(resp->tls_reason, sizeof(resp->tls_reason), "%s",
			 X509_verify_cert_error_string(verdict));
	if (attempts > 1) {
		snprintf(
			err, errlen,
			"%s: the connection closed after the request was sent, before any answer",
			host);
		return HTTP_CONNECT;
	}
	if (cc == CURLE_WRITE_ERROR && resp->body.failed) {
		snprintf(err, errlen, "%s: the answer is larger than %u bytes",
			 host, (unsigned)BUF_CAP_HTTP);
		return rc;
	}
	if (h->o.proxy && tunnel >= 300) {
		snprintf(err, errlen, "proxy %s refused the tunnel to %s: HTTP %ld%s",
			 h->o.proxy, host, tunnel,
			 tunnel == 407
				 ? " (proxy authentication failed: check the proxy user and password)"
				 : "");
		resp->tunnel_status = tunnel;
		resp->proxy_failed = 1;
		return HTTP_PROXY;
	}
	if (h->o.proxy && (rc == HTTP_CONNECT || rc == HTTP_PROXY) && up == 0 &&
	    resp->status == 0) {
		snprintf(err, errlen, "%s (through proxy %s): %s", host,
			 h->o.proxy, what);
		resp->proxy_failed = 1;
		return rc;
	}
	snprintf(err, errlen, "%s: %s", host, what);
	return rc;
}

int http_request(struct http *h, const char *method, const char *url,
		 const char *const *headers, const char *body, size_t body_len,
		 struct http_response *resp, char *err, size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hl = NULL, *t;
	CURLcode cc;
	size_t i;
	int rc = HTTP_OK, attempts = 0;
	curl_off_t up = 0;

	memset(resp, 0, sizeof(*resp));
	/* answers may carry a session, a csrf token or a stored password */
	buf_init_secret(&resp->body, BUF_CAP_HTTP);
	for (i = 0; headers && headers[i]; i++) {
		t = curl_slist_append(hl, headers[i]);
		if (!t) {
			curl_slist_free_all(hl);
			snprintf(err, errlen, "out of memory");
			return HTTP_NOMEM;
		}
		hl = t;
	}
	set_request(h, method, url, hl, body, body_len, resp, ebuf, &attempts);
	cc = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h->curl, CURLINFO_SIZE_UPLOAD_T, &up);
	resp->sent = up > 0 || resp->status != 0 || attempts > 1;
	if (cc != CURLE_OK)
		rc = explain_failure(h, cc, url, ebuf, attempts, up, resp, err,
				     errlen);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	return rc;
}

void http_response_free(struct http_response *r)
{
	buf_free(&r->body);
}

long http_retry_after_ms(const char *v, time_t now)
{
	const long day = 86400L;
	long long n;
	long secs;
	time_t t;

	if (!v || !*v)
		return -1;
	if (*v >= '0' && *v <= '9') {
		/* delay-seconds; anything beyond a day (even past what a
		 * long long holds) counts as a day */
		if (strspn(v, "0123456789") != strlen(v))
			return -1;
		if (text_int(v, 0, LLONG_MAX, &n) != 0 || n > day)
			n = day;
		secs = (long)n;
	} else {
		t = curl_getdate(v, NULL);
		if (t == -1)
			return -1;
		secs = t <= now ? 0 : t - now > day ? day : (long)(t - now);
	}
	return (secs > day ? day : secs) * 1000L;
}
