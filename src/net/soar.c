#include "net/soar.h"
#include "util/text.h"
#include "util/names.h"
#include "util/buf.h"
#include "net/http.h"
#include "util/log.h"
#include "util/secret.h"
#include "net/soar_internal.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_BUDGET_MS 120000L
#define MAX_BACKOFF_MS 16000L
#define REQUEST_TIMEOUT_MS 60000L

/*
 * The login session (email mode) is shared by a handle and its clones, so
 * a run logs in once however many connections it uses. A thread that gets
 * a 401 re-logs in only when no login finished since it sent (gen counts
 * finished logins); while one thread logs in, the others wait on cv for
 * its outcome, and refused credentials are not tried again. mu guards
 * the fields and is never held across a request.
 */
struct soar_session {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a login finished */
	char *cookie;	   /* "Cookie: JSESSIONID=…" */
	char *csrf;	   /* "X-sess-id: …" */
	unsigned gen;
	int logging_in;
	int login_rc; /* the last re-login's soar_err, for its waiters */
	char login_err[512];
	/* set when the server stopped answering at all and the retry budget
	 * is spent: later calls fail at once instead of each waiting out a
	 * request timeout, so a run against a hung server ends in time */
	int down;
	char down_why[512];
};

struct soar {
	struct http *http;
	char base[1024]; /* https://host:port */
	char host[512];
	int port;
	char *auth; /* "Authorization: Basic …" (API keys) */
	struct soar_session *sess;
	int owns_sess;	       /* the original handle; clones borrow */
	struct soar_opts opts; /* a copy: callers pass a local */
	long long org_id;
	char org_name[256];
	json_t *fields; /* cached /types/incident/fields */
	json_t *types;	/* cached /artifact_types */
	long budget_ms;
	struct timespec start;
	/* the last refused answer: its status and SOAR's message quoted */
	long last_status;
	char last_msg[1024];
};

static long elapsed_ms(const struct soar *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - s->start.tv_sec) * 1000L +
	       (now.tv_nsec - s->start.tv_nsec) / 1000000L;
}

static char *dup_header(const char *name, const char *value)
{
	struct buf b = BUF_INIT_SECRET(8192);

	buf_printf(&b, "%s: %s", name, value);
	return buf_take(&b);
}

/* "Authorization: Basic base64(user:secret)" into *out (wiped at
 * soar_free); every intermediate copy is wiped. */
static int basic_auth(const char *user, const char *secret, char **out,
		      char *err, size_t n)
{
	struct buf kv = BUF_INIT_SECRET(4096), a = BUF_INIT_SECRET(16384);
	unsigned char enc[8192];
	int len, rc = SOAR_OK;

	buf_printf(&kv, "%s:%s", user ? user : "", secret ? secret : "");
	if (kv.failed || kv.len > 6000) {
		snprintf(err, n, "SOAR API key id or secret too long");
		rc = SOAR_AUTH;
		goto out;
	}
	len = EVP_EncodeBlock(enc, (const unsigned char *)buf_str(&kv),
			      (int)kv.len);
	enc[len] = '\0';
	log_add_secret((const char *)enc);
	buf_printf(&a, "Authorization: Basic %s", enc);
	*out = buf_take(&a);
	if (!*out) {
		snprintf(err, n, "out of memory");
		rc = SOAR_NOMEM;
	}
out:
	explicit_bzero(enc, sizeof(enc));
	buf_free(&kv);
	buf_free(&a);
	return rc;
}

/* SOAR's StatusDTO is {"success":false,"message":"…",…}. */
void soar_status_message(const struct http_response *r, char *out, size_t n)
{
	json_t *j = json_loads(buf_str(&r->body), 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));

	if (m && *m)
		snprintf(out, n, "\"%s\"", m);
	else if (strncasecmp(r->content_type, "text/html", 9) == 0)
		snprintf(out, n, "an HTML error page");
	else
		out[0] = '\0';
	json_decref(j);
}

static int retryable(long status)
{
	return status == 500 || status == 502 || status == 503 ||
	       status == 504 || status == 429;
}

/* The next wait of the capped exponential backoff. */
static long next_backoff(long ms)
{
	return ms * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : ms * 2;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int login(struct soar *s, char *err, size_t n);

const char *soar_setting_label(const char *key, int api_keys)
{
	static const char *const labels[][2] = {
		{ "host", "QRadar SOAR host or IP" },
		{ "port", "Port" },
		{ "verify", "Verify SOAR's certificate" },
		{ "ca_file", "CA bundle" },
		{ "org", "Organization" },
		{ "proxy_host", "Proxy host" },
		{ "proxy_port", "Proxy port" },
		{ "proxy_user", "Proxy user" },
		{ "proxy_password", "Proxy password" },
		{ "api_keys", "Use API keys" },
		{ "duplicates", "Allow duplicate incidents" },
		{ "num_artifacts", "Max artifacts per alert" },
		{ "num_events", "Max result rows per run" },
		{ "sync_closed", "Close the notable when its SOAR case closes" },
		{ "sync_close_status", "Notable status when the case closes" },
	};
	size_t i;

	if (strcmp(key, "user") == 0)
		return api_keys ? "API key ID" : "Email";
	if (strcmp(key, "secret") == 0)
		return api_keys ? "API key secret" : "Password";
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i][0], key) == 0)
			return labels[i][1];
	return key;
}

static const char *label(const struct soar_opts *o, const char *key)
{
	return soar_setting_label(key, o->api_keys);
}

/* " on the add-on's setup page", unless the admin is on it. */
static const char *where(const struct soar_opts *o)
{
	return o->from_setup_page ? "" : " on the add-on's setup page";
}

static void mark_setting(const struct soar_opts *o, const char *key)
{
	if (o->bad_setting)
		snprintf(o->bad_setting, SOAR_SETTING_LEN, "%s", key);
}

/* err = the formatted sentence(s); key = the setting to highlight. */
__attribute__((format(printf, 5, 6))) static void
advise(const struct soar_opts *o, const char *key, char *err, size_t n,
       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	if (key)
		mark_setting(o, key);
}

/* verify unset or true: the system's CAs */
static int is_system_ca(const char *v)
{
	return text_is_blank(v) || text_bool(v) == 1;
}

/* An IPv6 literal as the setup page accepts it (with or without
 * brackets) must be bracketed in a URL. */
static int bracket(const char *host)
{
	return strchr(host, ':') && host[0] != '[';
}

static int is_off(const char *v)
{
	return !text_is_blank(v) && text_bool(v) == 0;
}

/*
 * What the transport failure rc of a request to SOAR means for an admin,
 * into err (size n; on entry http.c's "host: reason"). Returns the
 * soar_err; *permanent says whether retrying could help.
 */
static int explain_transport(const struct soar *s, int rc,
			     const struct http_response *r, char *err, size_t n,
			     int *permanent)
{
	const struct soar_opts *o = &s->opts;
	char detail[1024], hp[600], proxy[600];

	snprintf(detail, sizeof(detail), "%s", err);
	snprintf(hp, sizeof(hp), "%s%s%s:%d", bracket(s->host) ? "[" : "",
		 s->host, bracket(s->host) ? "]" : "", s->port);
	snprintf(proxy, sizeof(proxy), "%s:%d",
		 o->proxy_host ? o->proxy_host : "",
		 o->proxy_port > 0 ? o->proxy_port : QS_PROXY_PORT_DEFAULT);
	*permanent = http_err_permanent(rc);
	if (r->proxy_failed && r->tunnel_status == 407) {
		advise(o, "proxy_password", err, n,
		       "The proxy %s refused the proxy credentials (HTTP 407). Check \"%s\" and \"%s\"%s.",
		       proxy, label(o, "proxy_user"),
		       label(o, "proxy_password"), where(o));
		return SOAR_PROXY;
	}
	if (r->proxy_failed && r->tunnel_status) {
		advise(o, "proxy_host", err, n,
		       "The proxy %s refused the tunnel to QRadar SOAR at %s (HTTP %ld). Check \"%s\" and \"%s\"%s, and that the proxy lets this search head reach SOAR.",
		       proxy, hp, r->tunnel_status, label(o, "proxy_host"),
		       label(o, "proxy_port"), where(o));
		return SOAR_PROXY;
	}
	if (r->proxy_failed) {
		advise(o, "proxy_host", err, n,
		       "The proxy %s cannot be reached: %s. Check \"%s\" and \"%s\"%s.",
		       proxy,
		       rc == HTTP_PROXY ? "its host name does not resolve"
		       : r->os_errno	? strerror(r->os_errno)
					: detail,
		       label(o, "proxy_host"), label(o, "proxy_port"),
		       where(o));
		return rc == HTTP_PROXY ? SOAR_PROXY : SOAR_CONNECT;
	}
	switch (rc) {
	case HTTP_DNS:
		advise(o, "host", err, n,
		       "The QRadar SOAR host \"%s\" does not resolve: this search head finds no address for it. Check \"%s\"%s (and the search head's DNS).",
		       s->host, label(o, "host"), where(o));
		return SOAR_CONNECT;
	case HTTP_URL:
		advise(o, "host", err, n,
		       "QRadar SOAR's URL https://%s cannot be used (%s). Check \"%s\" and \"%s\"%s.",
		       hp, detail, label(o, "host"), label(o, "port"),
		       where(o));
		return SOAR_CONFIG;
	case HTTP_CA_FILE:
		advise(o, "ca_file", err, n,
		       "The CA bundle \"%s\" holds no certificate that can be loaded (%s). Give the absolute path of a PEM file with the CA that issued SOAR's certificate as \"%s\"%s.",
		       o->verify, detail, label(o, "ca_file"), where(o));
		return SOAR_CONFIG;
	case HTTP_TLS_NAME:
		advise(o, "host", err, n,
		       "QRadar SOAR's certificate at %s is trusted but is not issued to \"%s\". Set \"%s\" to a name the certificate carries (the host name in SOAR's address in a browser)%s.",
		       hp, s->host, label(o, "host"), where(o));
		return SOAR_TLS;
	case HTTP_TLS:
		if (!r->tls_reason[0])
			advise(o, "port", err, n,
			       "No TLS connection to QRadar SOAR at %s (%s). Check that \"%s\" is SOAR's HTTPS port%s.",
			       hp, detail, label(o, "port"), where(o));
		else if (is_system_ca(o->verify))
			advise(o, "ca_file", err, n,
			       "QRadar SOAR's certificate at %s is not trusted: %s. If SOAR's certificate is self-signed or from a private CA, save that CA's certificate (PEM) on the search head and give its path as \"%s\"%s.",
			       hp, r->tls_reason, label(o, "ca_file"),
			       where(o));
		else
			advise(o, "ca_file", err, n,
			       "QRadar SOAR's certificate at %s is not trusted by the CA bundle \"%s\": %s. Give the CA that issued SOAR's certificate as \"%s\"%s.",
			       hp, o->verify, r->tls_reason,
			       label(o, "ca_file"), where(o));
		return SOAR_TLS;
	case HTTP_CONNECT:
		if (r->os_errno)
			advise(o, "port", err, n,
			       "QRadar SOAR at %s cannot be reached: %s. Check \"%s\" and \"%s\"%s, and that SOAR is running and this search head may connect to it.",
			       hp, strerror(r->os_errno), label(o, "host"),
			       label(o, "port"), where(o));
		else
			snprintf(
				err, n,
				"QRadar SOAR at %s dropped the connection (%s)",
				hp, detail);
		return SOAR_CONNECT;
	case HTTP_TIMEOUT:
		snprintf(err, n,
			 "QRadar SOAR at %s did not answer in time (%s)", hp,
			 detail);
		return SOAR_CONNECT;
	case HTTP_NOMEM:
		return SOAR_NOMEM;
	case HTTP_PROXY:
		return SOAR_PROXY;
	default:
		return SOAR_SERVER;
	}
}

/* One request of a call: what is sent, and for the login what came back
 * besides the body. */
struct request {
	const char *method, *path;
	int idempotent;
	int login; /* the login itself: sent without the session, its
		    * JSESSIONID returned in cookie */
	char cookie[512];
};

/* Sends q once with the session's headers as of now; *gen gets the
 * session generation they belong to. An http_err. */
static int send_once(struct soar *s, struct request *q, const char *text,
		     struct http_response *r, unsigned *gen, char *err,
		     size_t n)
{
	char url[2048], cookie[1024] = "", csrf[512] = "";
	const char *hdr[6];
	int h = 0, rc;

	snprintf(url, sizeof(url), "%s%s", s->base, q->path);
	hdr[h++] = "Content-Type: application/json";
	hdr[h++] = "Accept: application/json";
	if (s->auth)
		hdr[h++] = s->auth;
	pthread_mutex_lock(&s->sess->mu);
	*gen = s->sess->gen;
	if (s->sess->cookie && !q->login)
		snprintf(cookie, sizeof(cookie), "%s", s->sess->cookie);
	if (s->sess->csrf && !q->login)
		snprintf(csrf, sizeof(csrf), "%s", s->sess->csrf);
	pthread_mutex_unlock(&s->sess->mu);
	if (cookie[0])
		hdr[h++] = cookie;
	if (csrf[0])
		hdr[h++] = csrf;
	hdr[h] = NULL;
	http_set_send_once(s->http, !q->idempotent);
	rc = http_request(s->http, q->method, url, hdr, text,
			  text ? strlen(text) : 0, r, err, n);
	explicit_bzero(cookie, sizeof(cookie));
	explicit_bzero(csrf, sizeof(csrf));
	return rc;
}

/*
 * Logs in again after a 401 on a request sent with session generation
 * seen: once for all threads. If a login finished since, its outcome is
 * the answer; if one is under way, this waits for it; else this thread
 * logs in, with no lock held over the network.
 */
static int relogin(struct soar *s, unsigned seen, char *err, size_t n)
{
	struct soar_session *ss = s->sess;
	int rc;

	pthread_mutex_lock(&ss->mu);
	while (ss->logging_in)
		pthread_cond_wait(&ss->cv, &ss->mu);
	/* a login finished since the request was sent, or SOAR refused the
	 * credentials (trying them again per row could lock the account):
	 * that outcome stands */
	if (ss->gen != seen || ss->login_rc == SOAR_AUTH) {
		rc = ss->login_rc;
		if (rc)
			snprintf(err, n, "%s", ss->login_err);
		pthread_mutex_unlock(&ss->mu);
		return rc;
	}
	ss->logging_in = 1;
	pthread_mutex_unlock(&ss->mu);
	rc = login(s, err, n);
	pthread_mutex_lock(&ss->mu);
	ss->logging_in = 0;
	ss->gen++;
	ss->login_rc = rc;
	snprintf(ss->login_err, sizeof(ss->login_err), "%s", rc ? err : "");
	pthread_cond_broadcast(&ss->cv);
	pthread_mutex_unlock(&ss->mu);
	return rc;
}

enum verdict {
	V_DONE,	   /* a 2xx answer */
	V_RELOGIN, /* 401 on an expired session */
	V_RETRY,   /* transient: again after the backoff, within budget */
	V_FAIL	   /* *rc says why */
};

/* What to make of one attempt: hrc from http_request, r its answer. */
static enum verdict judge(struct soar *s, const struct request *q, int hrc,
			  const struct http_response *r, int relogged,
			  long *backoff, int *rc, int *unknown, char *err,
			  size_t n)
{
	char msg[1024];
	int fatal = SOAR_CONNECT;

	if (hrc == HTTP_OK && r->status >= 200 && r->status < 300)
		return V_DONE;
	if (hrc == HTTP_OK && r->status == 401 && !s->opts.api_keys &&
	    !relogged && !q->login)
		return V_RELOGIN;
	/* what cannot pass by itself is not retried, nor does it mark SOAR
	 * down */
	if (hrc != HTTP_OK) {
		int permanent;

		fatal = explain_transport(s, hrc, r, err, n, &permanent);
		if (permanent || fatal == SOAR_NOMEM) {
			*rc = fatal;
			return V_FAIL;
		}
	}
	if (hrc == HTTP_OK) {
		soar_status_message(r, msg, sizeof(msg));
		s->last_status = r->status;
		snprintf(s->last_msg, sizeof(s->last_msg), "%s", msg);
		snprintf(err, n, "SOAR %s %s on %s: HTTP %ld%s%s", q->method,
			 q->path, s->host, r->status, msg[0] ? " " : "", msg);
		if (!retryable(r->status) &&
		    strncasecmp(r->content_type, "text/html", 9) != 0) {
			*rc = (r->status == 401 || r->status == 403) ? SOAR_AUTH
			      : r->status == 409 ? SOAR_CONFLICT
						 : SOAR_REFUSED;
			return V_FAIL;
		}
		if (r->retry_after[0]) {
			long ra =
				http_retry_after_ms(r->retry_after, time(NULL));

			if (ra > *backoff)
				*backoff = ra;
		}
	}
	/* 502/503/504/429 and a connection never made mean the server did
	 * not act; after a timeout or a 500 it may have */
	if (!q->idempotent &&
	    (hrc != HTTP_OK ? r->sent
			    : !(r->status >= 502 || r->status == 429))) {
		*unknown = 1;
		*rc = hrc == HTTP_OK ? SOAR_SERVER : SOAR_CONNECT;
		return V_FAIL;
	}
	*rc = hrc == HTTP_OK ? SOAR_SERVER : fatal;
	return V_RETRY;
}

/*
 * One SOAR call with the run's retry policy: connection failures,
 * timeouts, 5xx and HTML error pages are retried with capped exponential
 * backoff (Retry-After honoured) inside the run's time budget; 4xx are
 * not, except one re-login on 401 in email mode. A POST whose request may
 * have reached the server is not retried here (see soar_create_case).
 * *out gets the parsed JSON answer (may be NULL for an empty body).
 */
static int request(struct soar *s, struct request *q, const json_t *body,
		   json_t **out, int *unknown, char *err, size_t n)
{
	struct http_response r;
	char *text = NULL;
	long backoff = 1000;
	int relogged = 0, rc = SOAR_OK, hrc, unk = 0;
	unsigned gen;

	if (out)
		*out = NULL;
	if (unknown)
		*unknown = 0;
	pthread_mutex_lock(&s->sess->mu);
	if (s->sess->down) {
		snprintf(err, n,
			 "not sent: %s, and the %ld s retry budget is used up",
			 s->sess->down_why, s->budget_ms / 1000);
		pthread_mutex_unlock(&s->sess->mu);
		return SOAR_CONNECT;
	}
	pthread_mutex_unlock(&s->sess->mu);
	if (body && !(text = json_dumps(body, JSON_COMPACT))) {
		snprintf(err, n, "out of memory");
		return SOAR_NOMEM;
	}
	for (;;) {
		hrc = send_once(s, q, text, &r, &gen, err, n);
		switch (judge(s, q, hrc, &r, relogged, &backoff, &rc, &unk, err,
			      n)) {
		case V_DONE:
			goto answer;
		case V_RELOGIN:
			http_response_free(&r);
			relogged = 1;
			rc = relogin(s, gen, err, n);
			if (rc)
				goto out;
			continue;
		case V_FAIL:
			http_response_free(&r);
			goto out;
		case V_RETRY:
			break;
		}
		http_response_free(&r);
		if (elapsed_ms(s) + backoff > s->budget_ms) {
			if (hrc != HTTP_OK) {
				pthread_mutex_lock(&s->sess->mu);
				s->sess->down = 1;
				snprintf(s->sess->down_why,
					 sizeof(s->sess->down_why), "%s", err);
				pthread_mutex_unlock(&s->sess->mu);
			}
			goto out;
		}
		warnf("retrying in %ld ms: %s", backoff, err);
		pause_ms(backoff);
		backoff = next_backoff(backoff);
	}
answer:
	rc = SOAR_OK;
	if (out && r.body.len) {
		json_error_t je;

		*out = json_loads(buf_str(&r.body), 0, &je);
		if (!*out) {
			snprintf(
				err, n,
				"SOAR %s %s on %s: the answer is not JSON (%s)",
				q->method, q->path, s->host, je.text);
			rc = SOAR_SERVER;
		}
	}
	if (q->login)
		snprintf(q->cookie, sizeof(q->cookie), "%s", r.session_cookie);
	http_response_free(&r);
out:
	if (unknown)
		*unknown = unk;
	/* the login body holds the password */
	secret_free(text);
	return rc;
}

static int call(struct soar *s, const char *method, const char *path,
		const json_t *body, int idempotent, json_t **out, int *unknown,
		char *err, size_t n)
{
	struct request q = { method, path, idempotent, 0, "" };

	return request(s, &q, body, out, unknown, err, n);
}

static int pick_org(struct soar *s, const json_t *session, char *err, size_t n)
{
	const json_t *orgs = json_object_get(session, "orgs"), *o;
	const char *want = s->opts.org;
	const char *keys[] = { "cloud_account", "uuid", "name" };
	struct buf seen = BUF_INIT(4096);
	size_t i, k;

	for (k = 0; k < 3; k++) {
		json_array_foreach(orgs, i, o) {
			const char *v =
				json_string_value(json_object_get(o, keys[k]));

			if (!v || strcmp(v, want) != 0)
				continue;
			snprintf(s->org_name, sizeof(s->org_name), "%s",
				 json_string_value(json_object_get(o, "name"))
					 ? json_string_value(
						   json_object_get(o, "name"))
					 : want);
			if (json_is_false(json_object_get(o, "enabled"))) {
				advise(&s->opts, "org", err, n,
				       "The organization \"%s\" on QRadar SOAR at %s is disabled. Enable it in SOAR, or set \"%s\" to another organization%s.",
				       s->org_name, s->host,
				       label(&s->opts, "org"), where(&s->opts));
				buf_free(&seen);
				return SOAR_ORG;
			}
			s->org_id =
				json_integer_value(json_object_get(o, "id"));
			buf_free(&seen);
			return SOAR_OK;
		}
	}
	json_array_foreach(orgs, i, o) {
		const char *v = json_string_value(json_object_get(o, "name"));

		buf_printf(&seen, "%s\"%s\"", i ? ", " : "", v ? v : "?");
	}
	if (seen.len)
		advise(&s->opts, "org", err, n,
		       "QRadar SOAR at %s has no organization \"%s\" that \"%s\" can use; it can use %s. Set \"%s\" to one of them (its name, UUID or cloud account)%s.",
		       s->host, want, s->opts.user, buf_str(&seen),
		       label(&s->opts, "org"), where(&s->opts));
	else
		advise(&s->opts, "org", err, n,
		       "\"%s\" is a member of no organization on QRadar SOAR at %s. Add the account to the organization \"%s\" in SOAR, or use another account%s.",
		       s->opts.user, s->host, want, where(&s->opts));
	buf_free(&seen);
	return SOAR_ORG;
}

/* Logs in (email mode: a new session; API keys: reads the session to
 * learn the orgs) and picks the org. Holds no lock over the network: the
 * new session replaces the old one in one step at the end. */
static int login(struct soar *s, char *err, size_t n)
{
	struct request q = { "POST", "/rest/session", 1, 1, "" };
	json_t *sess = NULL, *body = NULL;
	const char *csrf;
	char *cookie_h = NULL, *csrf_h = NULL;
	int rc;

	if (s->opts.api_keys) {
		q.method = "GET";
	} else {
		/* never "interactive": that would log the user out of the UI */
		body = json_pack("{s:s,s:s}", "email", s->opts.user, "password",
				 s->opts.secret);
		if (!body) {
			snprintf(err, n, "out of memory");
			return SOAR_NOMEM;
		}
	}
	rc = request(s, &q, body, &sess, NULL, err, n);
	json_decref(body);
	if (rc == SOAR_AUTH || rc == SOAR_REFUSED) {
		char said[1100] = "";

		if (s->last_msg[0])
			snprintf(said, sizeof(said), " %s", s->last_msg);
		if (s->opts.api_keys)
			advise(&s->opts, "secret", err, n,
			       "QRadar SOAR at %s refused the API key \"%s\" (HTTP %ld%s): the key ID or secret is wrong, or the key was deleted. Enter the right \"%s\" (and check \"%s\")%s.",
			       s->host, s->opts.user, s->last_status, said,
			       label(&s->opts, "secret"),
			       label(&s->opts, "user"), where(&s->opts));
		else
			advise(&s->opts, "secret", err, n,
			       "QRadar SOAR at %s refused the login as \"%s\" (HTTP %ld%s): the email or password is wrong, or the account is locked. Enter the right \"%s\" (and check \"%s\")%s.",
			       s->host, s->opts.user, s->last_status, said,
			       label(&s->opts, "secret"),
			       label(&s->opts, "user"), where(&s->opts));
		rc = SOAR_AUTH;
	}
	if (rc)
		goto out;
	if (!s->opts.api_keys) {
		csrf = json_string_value(json_object_get(sess, "csrf_token"));
		if (!csrf || !q.cookie[0]) {
			snprintf(err, n, "SOAR login on %s returned no session",
				 s->host);
			rc = SOAR_SERVER;
			goto out;
		}
		log_add_secret(q.cookie + strlen("JSESSIONID="));
		log_add_secret(csrf);
		cookie_h = dup_header("Cookie", q.cookie);
		csrf_h = dup_header("X-sess-id", csrf);
		if (!cookie_h || !csrf_h) {
			snprintf(err, n, "out of memory");
			rc = SOAR_NOMEM;
			goto out;
		}
	}
	rc = pick_org(s, sess, err, n);
	if (rc || s->opts.api_keys)
		goto out;
	pthread_mutex_lock(&s->sess->mu);
	secret_free(s->sess->cookie);
	secret_free(s->sess->csrf);
	s->sess->cookie = cookie_h;
	s->sess->csrf = csrf_h;
	cookie_h = csrf_h = NULL;
	pthread_mutex_unlock(&s->sess->mu);
out:
	explicit_bzero(q.cookie, sizeof(q.cookie));
	secret_free(cookie_h);
	secret_free(csrf_h);
	json_decref(sess);
	return rc;
}

/* QS_SOAR_BUDGET_MS (milliseconds) replaces the default budget when the
 * caller sets none: the tests need a small one, an admin may want another. */
static long default_budget(void)
{
	const char *e = getenv("QS_SOAR_BUDGET_MS");
	long long v;

	if (!e || !*e)
		return DEFAULT_BUDGET_MS;
	if (text_int(e, 1, LONG_MAX, &v)) {
		warnf("QS_SOAR_BUDGET_MS=\"%s\" is not a positive number of milliseconds; using %ld",
		      e, DEFAULT_BUDGET_MS);
		return DEFAULT_BUDGET_MS;
	}
	return (long)v;
}

/*
 * What can be known wrong before any request: a host that is no host, a
 * verify value that is neither true nor a path, a CA bundle that cannot be
 * read. Each fails the same way every time, so it fails at once.
 */
static int check_settings(const struct soar_opts *o, char *err, size_t n)
{
	char why[256];
	const char *v = o->verify ? o->verify : "";

	if (http_check_host(o->host ? o->host : "", why, sizeof(why))) {
		advise(o, "host", err, n,
		       "The QRadar SOAR host \"%s\" %s. Fix \"%s\"%s.",
		       o->host ? o->host : "", why, label(o, "host"), where(o));
		return SOAR_CONFIG;
	}
	if (is_system_ca(v))
		return SOAR_OK;
	if (is_off(v)) {
		advise(o, "verify", err, n,
		       "verify = \"%s\" turns certificate checks off (what IBM's \"Connect Securely\" option left), and this add-on always verifies SOAR's certificate. Submit %s with \"%s\" on; if SOAR's certificate is self-signed or from a private CA, also give that CA's PEM file as \"%s\".",
		       v,
		       o->from_setup_page ? "the setup"
					  : "the add-on's setup page again",
		       label(o, "verify"), label(o, "ca_file"));
		return SOAR_CONFIG;
	}
	if (v[0] != '/') {
		advise(o, "ca_file", err, n,
		       "verify = \"%s\" is neither true nor the absolute path of a CA bundle. Give the absolute path of a PEM file as \"%s\"%s, or leave it empty to trust the system's CAs.",
		       v, label(o, "ca_file"), where(o));
		return SOAR_CONFIG;
	}
	if (http_check_ca_file(v, why, sizeof(why))) {
		advise(o, "ca_file", err, n,
		       "The CA bundle \"%s\" %s. Give the absolute path of a PEM file the Splunk user can read as \"%s\"%s.",
		       v, why, label(o, "ca_file"), where(o));
		return SOAR_CONFIG;
	}
	return SOAR_OK;
}

int soar_connect(struct soar **out, const struct soar_opts *o, char *err,
		 size_t n)
{
	struct soar *s = calloc(1, sizeof(*s));
	struct http_opts ho = { NULL, NULL, NULL, REQUEST_TIMEOUT_MS, 1, 0, 0 };
	char proxy[1024], userpwd[1024];
	int rc;

	*out = NULL;
	if (o->bad_setting)
		o->bad_setting[0] = '\0';
	if (!s) {
		snprintf(err, n, "out of memory");
		return SOAR_NOMEM;
	}
	rc = check_settings(o, err, n);
	if (rc) {
		free(s);
		return rc;
	}
	s->sess = calloc(1, sizeof(*s->sess));
	if (!s->sess) {
		free(s);
		snprintf(err, n, "out of memory");
		return SOAR_NOMEM;
	}
	pthread_mutex_init(&s->sess->mu, NULL);
	pthread_cond_init(&s->sess->cv, NULL);
	s->owns_sess = 1;
	s->opts = *o;
	s->port = o->port > 0 ? o->port : QS_PORT_DEFAULT;
	s->budget_ms = o->budget_ms > 0 ? o->budget_ms : default_budget();
	/* no single request may outlast the whole budget */
	if (s->budget_ms < ho.timeout_ms)
		ho.timeout_ms = s->budget_ms;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	snprintf(s->host, sizeof(s->host), "%s", o->host ? o->host : "");
	snprintf(s->base, sizeof(s->base), "https://%s%s%s:%d",
		 bracket(s->host) ? "[" : "", s->host,
		 bracket(s->host) ? "]" : "", s->port);
	log_add_secret(o->secret);
	log_add_secret(o->proxy_password);
	if (!is_system_ca(o->verify))
		ho.ca_file = o->verify;
	if (o->proxy_host && *o->proxy_host) {
		snprintf(proxy, sizeof(proxy), "%s%s:%d",
			 strstr(o->proxy_host, "://") ? "" : "http://",
			 o->proxy_host,
			 o->proxy_port > 0 ? o->proxy_port
					   : QS_PROXY_PORT_DEFAULT);
		ho.proxy = proxy;
		if (o->proxy_user && *o->proxy_user) {
			snprintf(userpwd, sizeof(userpwd), "%s:%s",
				 o->proxy_user,
				 o->proxy_password ? o->proxy_password : "");
			ho.proxy_userpwd = userpwd;
		}
	}
	rc = http_new(&s->http, &ho, err, n);
	/* the handle keeps its own copy: wipe ours before any return */
	explicit_bzero(userpwd, sizeof(userpwd));
	if (rc) {
		soar_free(s);
		return SOAR_NOMEM;
	}
	if (o->api_keys) {
		rc = basic_auth(o->user, o->secret, &s->auth, err, n);
		if (rc) {
			soar_free(s);
			return rc;
		}
	}
	rc = login(s, err, n);
	if (rc) {
		soar_free(s);
		return rc;
	}
	*out = s;
	return SOAR_OK;
}

void soar_free(struct soar *s)
{
	if (!s)
		return;
	http_free(s->http);
	secret_free(s->auth);
	if (s->owns_sess && s->sess) {
		secret_free(s->sess->cookie);
		secret_free(s->sess->csrf);
		pthread_cond_destroy(&s->sess->cv);
		pthread_mutex_destroy(&s->sess->mu);
		free(s->sess);
	}
	json_decref(s->fields);
	json_decref(s->types);
	free(s);
}

int soar_clone(struct soar **out, struct soar *s, char *err, size_t n)
{
	struct soar *c = malloc(sizeof(*c));

	*out = NULL;
	if (!c) {
		snprintf(err, n, "out of memory");
		return SOAR_NOMEM;
	}
	*c = *s;
	c->http = NULL;
	c->auth = NULL;
	c->owns_sess = 0;
	c->fields = json_incref(s->fields);
	c->types = json_incref(s->types);
	if ((s->auth && !(c->auth = strdup(s->auth))) ||
	    http_clone(&c->http, s->http, err, n) != HTTP_OK) {
		soar_free(c);
		snprintf(err, n, "out of memory");
		return SOAR_NOMEM;
	}
	*out = c;
	return SOAR_OK;
}

long long soar_org_id(const struct soar *s)
{
	return s->org_id;
}

const char *soar_org_name(const struct soar *s)
{
	return s->org_name;
}

static int org_get(struct soar *s, const char *sub, json_t **cache,
		   json_t **out, char *err, size_t n)
{
	char path[512];
	int rc;

	if (!*cache) {
		snprintf(path, sizeof(path), "/rest/orgs/%lld%s", s->org_id,
			 sub);
		rc = call(s, "GET", path, NULL, 1, cache, NULL, err, n);
		if (rc)
			return rc;
	}
	*out = json_incref(*cache);
	return SOAR_OK;
}

int soar_incident_fields(struct soar *s, json_t **out, char *err, size_t n)
{
	return org_get(s, "/types/incident/fields", &s->fields, out, err, n);
}

int soar_artifact_types(struct soar *s, json_t **out, char *err, size_t n)
{
	return org_get(s, "/artifact_types", &s->types, out, err, n);
}

char *soar_case_url_of(const char *host, int port, long long org_id,
		       long long id)
{
	struct buf b = BUF_INIT(4096);

	if (strncmp(host, "cases-rest.", 11) == 0)
		buf_printf(&b, "https://%s/app/respond/#cases/%lld", host + 11,
			   id);
	else
		buf_printf(&b, "https://%s%s%s:%d/#incidents/%lld?orgId=%lld",
			   bracket(host) ? "[" : "", host,
			   bracket(host) ? "]" : "", port, id, org_id);
	return buf_take(&b);
}

char *soar_case_url(const struct soar *s, long long id)
{
	return soar_case_url_of(s->host, s->port, s->org_id, id);
}

int soar_find_open_case(struct soar *s, const char *key, json_t **out,
			char *err, size_t n)
{
	json_t *q, *res = NULL, *first;
	int rc;

	*out = NULL;
	q = json_pack(
		"{s:[{s:[{s:s,s:s,s:s},{s:s,s:s,s:s}]}],s:[{s:s,s:s}],s:i,s:i}",
		"filters", "conditions", "field_name", QS_NOTABLE_KEY, "method",
		"equals", "value", key, "field_name", "plan_status", "method",
		"equals", "value", "A", "sorts", "field_name", "create_date",
		"type", "desc", "start", 0, "length", 1);
	if (!q) {
		snprintf(err, n, "out of memory");
		return SOAR_NOMEM;
	}
	/* an answer without a data array is an error, never "no case":
	 * creating then would duplicate */
	rc = soar_query_paged(s, q, NULL, &res, err, n);
	json_decref(q);
	if (rc)
		return rc;
	first = json_array_get(json_object_get(res, "data"), 0);
	if (first)
		*out = json_incref(first);
	json_decref(res);
	return SOAR_OK;
}

int soar_query_paged(struct soar *s, const json_t *query, const char *params,
		     json_t **out, char *err, size_t n)
{
	char path[1024];
	json_t *res = NULL;
	int rc;

	*out = NULL;
	if (snprintf(path, sizeof(path),
		     "/rest/orgs/%lld/incidents/query_paged%s%s", s->org_id,
		     params && *params ? "?" : "",
		     params ? params : "") >= (int)sizeof(path)) {
		snprintf(err, n,
			 "SOAR query_paged: the parameters are too long");
		return SOAR_CONFIG;
	}
	rc = call(s, "POST", path, query, 1, &res, NULL, err, n);
	if (rc)
		return rc;
	if (!json_is_array(json_object_get(res, "data"))) {
		snprintf(err, n,
			 "SOAR POST %s on %s: the answer has no data array",
			 path, s->host);
		json_decref(res);
		return SOAR_SERVER;
	}
	*out = res;
	return SOAR_OK;
}

int soar_create_case(struct soar *s, json_t *body, const char *dedup_key,
		     long long *out_id, char *err, size_t n)
{
	char path[256];
	json_t *res = NULL, *found = NULL;
	int rc, unknown, tries = 0;
	long backoff = 1000;

	snprintf(path, sizeof(path),
		 "/rest/orgs/%lld/incidents?want_full_data=false", s->org_id);
	for (;;) {
		rc = call(s, "POST", path, body, 0, &res, &unknown, err, n);
		if (rc == SOAR_OK || !unknown)
			break;
		/* The server may have created it: look before sending again. */
		if (!dedup_key || ++tries > 5 ||
		    elapsed_ms(s) + backoff > s->budget_ms)
			break;
		warnf("%s; checking whether the case exists before retrying",
		      err);
		pause_ms(backoff);
		backoff = next_backoff(backoff);
		rc = soar_find_open_case(s, dedup_key, &found, err, n);
		if (rc)
			break; /* cannot tell: report rather than risk a second case */
		if (found) {
			*out_id = json_integer_value(
				json_object_get(found, "id"));
			json_decref(found);
			return SOAR_OK;
		}
	}
	if (rc && unknown) {
		size_t l = strlen(err);

		snprintf(
			err + l, n - l,
			" (the request reached SOAR but no answer came back: the case may exist)");
		return SOAR_UNKNOWN;
	}
	if (rc)
		return rc;
	*out_id = json_integer_value(json_object_get(res, "id"));
	json_decref(res);
	if (*out_id <= 0) {
		snprintf(err, n, "SOAR created a case on %s but returned no id",
			 s->host);
		return SOAR_SERVER;
	}
	return SOAR_OK;
}

/* The typed wrapper PATCH expects for a field's value. */
static const char *wrapper(const char *input_type)
{
	static const struct {
		const char *t, *w;
	} m[] = { { "text", "text" },
		  { "textarea", "textarea" },
		  { "boolean", "boolean" },
		  { "datepicker", "date" },
		  { "datetimepicker", "date" },
		  { "select", "id" },
		  { "select_owner", "id" },
		  { "multiselect", "ids" },
		  { "multiselect_members", "ids" } };
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(input_type, m[i].t) == 0)
			return m[i].w;
	return "object";
}

/* Compares a wanted value with the incident's current one. */
static int same(const json_t *want, const json_t *cur)
{
	if (json_is_object(want) && json_object_get(want, "content"))
		want = json_object_get(want, "content");
	if (json_is_object(cur) && json_object_get(cur, "content"))
		cur = json_object_get(cur, "content");
	if (json_is_array(want) && json_is_array(cur)) {
		size_t i, j;
		json_t *a, *b;

		if (json_array_size(want) != json_array_size(cur))
			return 0;
		json_array_foreach(want, i, a) {
			int hit = 0;

			json_array_foreach(cur, j, b)
				if (json_equal(a, b))
					hit = 1;
			if (!hit)
				return 0;
		}
		return 1;
	}
	return json_equal(want, cur);
}

/* A change's mapping key ("name", or "prefix.name"), for the caller's
 * record of what changed. */
static void key_of(const char *prefix, const char *name, char *out, size_t n)
{
	if (prefix && *prefix)
		snprintf(out, n, "%s.%s", prefix, name);
	else
		snprintf(out, n, "%s", name);
}

/* The PATCH entries (appended to list) for the changes whose value
 * differs from the case's (cur_inc), and their values by mapping key
 * (into keys). 0, or -1 on out of memory. */
static int diff_changes(const json_t *changes, const json_t *cur_inc,
			json_t *list, json_t *keys)
{
	char key[512];
	const json_t *spec;
	size_t i;

	json_array_foreach(changes, i, spec) {
		const char *name =
			json_string_value(json_object_get(spec, "name"));
		const char *prefix =
			json_string_value(json_object_get(spec, "prefix"));
		const char *type =
			json_string_value(json_object_get(spec, "input_type"));
		const json_t *want = json_object_get(spec, "value"), *cur;
		const char *w;

		if (!name || !type)
			continue;
		cur = prefix ? json_object_get(json_object_get(cur_inc, prefix),
					       name)
			     : json_object_get(cur_inc, name);
		if (cur && same(want, cur))
			continue;
		w = wrapper(type);
		/* plain field names are the handles PATCH accepts */
		if (json_array_append_new(
			    list, json_pack("{s:s,s:{s:O?},s:{s:O}}", "field",
					    name, "old_value", w, cur,
					    "new_value", w, want)))
			return -1;
		key_of(prefix, name, key, sizeof(key));
		if (json_object_set(keys, key, (json_t *)want))
			return -1;
	}
	return 0;
}

int soar_update_case(struct soar *s, const json_t *incident,
		     const json_t *changes, int *npatched, json_t *changed,
		     char *err, size_t n)
{
	char path[256];
	json_t *patch = NULL, *list, *res = NULL, *cur_inc = NULL;
	json_t *keys = NULL; /* mapping key → value of what list changes */
	long long id = json_integer_value(json_object_get(incident, "id"));
	int rc = SOAR_OK, attempt;

	if (id <= 0) {
		snprintf(err, n, "SOAR returned a case without an id on %s",
			 s->host);
		return SOAR_SERVER;
	}

	*npatched = 0;
	snprintf(path, sizeof(path), "/rest/orgs/%lld/incidents/%lld",
		 s->org_id, id);
	for (attempt = 0; attempt < 3; attempt++) {
		/* the case as it is now: a query's row may be partial (no
		 * properties) or already stale, and vers must be current */
		rc = call(s, "GET", path, NULL, 1, &cur_inc, NULL, err, n);
		if (rc)
			goto out;
		if (!json_is_object(cur_inc)) {
			snprintf(err, n, "SOAR GET %s on %s: not an incident",
				 path, s->host);
			rc = SOAR_SERVER;
			goto out;
		}
		patch = json_pack("{s:[],s:O?}", "changes", "version",
				  json_object_get(cur_inc, "vers"));
		if (!patch) {
			rc = SOAR_NOMEM;
			snprintf(err, n, "out of memory");
			goto out;
		}
		list = json_object_get(patch, "changes");
		json_decref(keys);
		keys = json_object();
		if (!keys) {
			rc = SOAR_NOMEM;
			snprintf(err, n, "out of memory");
			goto out;
		}
		if (diff_changes(changes, cur_inc, list, keys)) {
			rc = SOAR_NOMEM;
			snprintf(err, n, "out of memory");
			goto out;
		}
		*npatched = (int)json_array_size(list);
		if (*npatched == 0)
			goto out;
		rc = call(s, "PATCH", path, patch, 1, &res, NULL, err, n);
		/* 409 (a database-level conflict) or 200 with success false (a
		 * conflicting edit): re-read and try again with fresh values */
		if (rc && rc != SOAR_CONFLICT)
			goto out;
		if (rc == SOAR_OK &&
		    !json_is_false(json_object_get(res, "success"))) {
			if (changed)
				json_object_update(changed, keys);
			goto out;
		}
		json_decref(patch);
		patch = NULL;
		json_decref(res);
		res = NULL;
		json_decref(cur_inc);
		cur_inc = NULL;
	}
	snprintf(
		err, n,
		"SOAR kept refusing the update of case %lld on %s as conflicting",
		id, s->host);
	rc = SOAR_REFUSED;
out:
	json_decref(keys);
	json_decref(patch);
	json_decref(res);
	json_decref(cur_inc);
	return rc;
}

/* The text of an artifact type reference (an id or a name) as a key. */
static void id_text(const json_t *id, char *out, size_t n)
{
	if (json_is_integer(id))
		snprintf(out, n, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(id));
	else
		snprintf(out, n, "%s",
			 json_is_string(id) ? json_string_value(id) : "");
}

/* One key per (type name, value) pair: "<length of type>:<type><value>". */
static char *pair_key(const char *type, const char *value)
{
	struct buf b = BUF_INIT(BUF_CAP_TEMPLATE);

	buf_printf(&b, "%zu:%s%s", strlen(type), type, value);
	return buf_take(&b);
}

/* The (type name, value) pairs of a case's artifacts, as the keys of an
 * object (jansson's hash table): artifact types are read once into an id
 * → name table, so finding what a case lacks is linear in artifacts plus
 * existing ones, not their product times the types. */
static json_t *existing_pairs(struct soar *s, const json_t *have)
{
	json_t *types = NULL, *names = json_object(), *seen = json_object(), *e,
	       *h;
	char e2[256], id[64];
	size_t i;

	if (!names || !seen)
		goto nomem;
	if (soar_artifact_types(s, &types, e2, sizeof(e2)) == SOAR_OK)
		json_array_foreach(json_object_get(types, "entities"), i, e) {
			id_text(json_object_get(e, "id"), id, sizeof(id));
			if (json_is_string(json_object_get(e, "name")) &&
			    json_object_set(names, id,
					    json_object_get(e, "name")))
				goto nomem;
		}
	json_array_foreach(have, i, h) {
		const json_t *t = json_object_get(h, "type");
		const char *name,
			*v = json_string_value(json_object_get(h, "value"));
		char *key;
		int rc;

		id_text(t, id, sizeof(id));
		name = json_is_string(t)
			       ? json_string_value(t)
			       : json_string_value(json_object_get(names, id));
		if (!name || !v)
			continue;
		key = pair_key(name, v);
		rc = key ? json_object_set_new(seen, key, json_true()) : -1;
		free(key);
		if (rc)
			goto nomem;
	}
	json_decref(types);
	json_decref(names);
	return seen;
nomem:
	json_decref(types);
	json_decref(names);
	json_decref(seen);
	return NULL;
}

int soar_add_artifacts(struct soar *s, long long case_id,
		       const json_t *artifacts, int *nadded, json_t *added,
		       char *err, size_t n)
{
	char path[256];
	json_t *have = NULL, *seen = NULL, *a;
	size_t i;
	int rc;

	*nadded = 0;
	if (json_array_size(artifacts) == 0)
		return SOAR_OK;
	snprintf(path, sizeof(path), "/rest/orgs/%lld/incidents/%lld/artifacts",
		 s->org_id, case_id);
	rc = call(s, "GET", path, NULL, 1, &have, NULL, err, n);
	if (rc)
		return rc;
	if (!json_is_array(have)) {
		/* not knowing what the case has would add everything again */
		snprintf(err, n, "SOAR GET %s on %s: not an array of artifacts",
			 path, s->host);
		json_decref(have);
		return SOAR_SERVER;
	}
	seen = existing_pairs(s, have);
	if (!seen) {
		snprintf(err, n, "out of memory");
		json_decref(have);
		return SOAR_NOMEM;
	}
	json_array_foreach(artifacts, i, a) {
		const char *t = json_string_value(json_object_get(a, "type"));
		const char *v = json_string_value(json_object_get(a, "value"));
		char *key = t && v ? pair_key(t, v) : NULL;

		if (t && v && !key) {
			snprintf(err, n, "out of memory");
			rc = SOAR_NOMEM;
			break;
		}
		if (key && json_object_get(seen, key)) {
			free(key);
			continue;
		}
		rc = call(s, "POST", path, a, 1, NULL, NULL, err, n);
		if (rc == 0 && key &&
		    json_object_set_new(seen, key, json_true())) {
			snprintf(err, n, "out of memory");
			rc = SOAR_NOMEM;
		}
		free(key);
		if (rc)
			break;
		(*nadded)++;
		if (added)
			json_array_append(added, a);
	}
	json_decref(seen);
	json_decref(have);
	return rc;
}

int soar_add_note(struct soar *s, long long case_id, const char *text,
		  char *err, size_t n)
{
	char path[256];
	json_t *body;
	int rc, unknown = 0;

	snprintf(path, sizeof(path), "/rest/orgs/%lld/incidents/%lld/comments",
		 s->org_id, case_id);
	body = json_pack("{s:{s:s,s:s}}", "text", "format", "text", "content",
			 text);
	if (!body) {
		snprintf(err, n, "out of memory");
		return SOAR_NOMEM;
	}
	rc = call(s, "POST", path, body, 0, NULL, &unknown, err, n);
	json_decref(body);
	if (rc && unknown) {
		size_t l = strlen(err);

		snprintf(
			err + l, n - l,
			" (the note may have been added; it is not sent again)");
		return SOAR_UNKNOWN;
	}
	return rc;
}
