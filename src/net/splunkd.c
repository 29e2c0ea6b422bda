#include "net/splunkd.h"
#include "util/names.h"
#include "util/text.h"
#include "util/buf.h"
#include "net/http.h"
#include "util/log.h"
#include "util/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct splunkd {
	struct http *http;
	char *base; /* server_uri without a trailing '/' */
	char *auth; /* "Authorization: Splunk <key>", wiped at free */
	char ca[4096];
};

static int is_loopback(const char *uri)
{
	static const char *const lo[] = { "https://127.", "https://localhost:",
					  "https://localhost/", "https://[::1]",
					  NULL };
	size_t i;

	for (i = 0; lo[i]; i++)
		if (strncmp(uri, lo[i], strlen(lo[i])) == 0)
			return 1;
	return strcmp(uri, "https://localhost") == 0;
}

int splunkd_open(struct splunkd **out, const char *server_uri,
		 const char *session_key, char *err, size_t errlen)
{
	struct splunkd *d = NULL;
	/* splunkd is this host's own management port: never via a proxy */
	struct http_opts o = { NULL, NULL, NULL, 60000L, 0, 0, 1 };
	const char *home = getenv("SPLUNK_HOME");
	char why[256];
	size_t n;
	int rc;

	*out = NULL;
	if (!server_uri || !*server_uri || !session_key || !*session_key) {
		snprintf(err, errlen,
			 "splunkd: server_uri and session_key are required");
		return SPLUNKD_REFUSED;
	}
	if (http_check_url(server_uri, why, sizeof(why))) {
		snprintf(
			err, errlen,
			"The payload's server_uri \"%.200s\" is not splunkd's management URL (such as https://127.0.0.1:8089): %s. splunkd writes this value: run the action from Splunk (a saved search or sendalert), not by hand.",
			server_uri, why);
		return SPLUNKD_BAD_URI;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		goto nomem;
	/* splunkd's certificate is issued by Splunk's own CA. On loopback its
	 * default certificate does not name 127.0.0.1, so there the chain is
	 * verified against that CA and the host name is not. */
	if (home && *home) {
		snprintf(d->ca, sizeof(d->ca), "%s/etc/auth/cacert.pem", home);
		if (access(d->ca, R_OK) == 0) {
			o.ca_file = d->ca;
			o.skip_host_check = is_loopback(server_uri);
		}
	}
	d->base = strdup(server_uri);
	if (!d->base)
		goto nomem;
	n = strlen(d->base);
	while (n && d->base[n - 1] == '/')
		d->base[--n] = '\0';
	{
		struct buf b = BUF_INIT_SECRET(8192);

		buf_printf(&b, "Authorization: Splunk %s", session_key);
		d->auth = buf_take(&b);
		if (!d->auth)
			goto nomem;
	}
	log_add_secret(session_key);
	rc = http_new(&d->http, &o, err, errlen);
	if (rc != HTTP_OK) {
		splunkd_free(d);
		return SPLUNKD_CONNECT;
	}
	*out = d;
	return SPLUNKD_OK;
nomem:
	splunkd_free(d);
	snprintf(err, errlen, "out of memory");
	return SPLUNKD_NOMEM;
}

int splunkd_clone(struct splunkd **out, struct splunkd *d, char *err,
		  size_t errlen)
{
	struct splunkd *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c || !(c->base = strdup(d->base)) ||
	    !(c->auth = strdup(d->auth))) {
		splunkd_free(c);
		snprintf(err, errlen, "out of memory");
		return SPLUNKD_NOMEM;
	}
	rc = http_clone(&c->http, d->http, err, errlen);
	if (rc != HTTP_OK) {
		splunkd_free(c);
		return rc == HTTP_NOMEM ? SPLUNKD_NOMEM : SPLUNKD_CONNECT;
	}
	*out = c;
	return SPLUNKD_OK;
}

void splunkd_free(struct splunkd *d)
{
	if (!d)
		return;
	secret_free(d->auth);
	free(d->base);
	http_free(d->http);
	free(d);
}

/* splunkd answers errors as {"messages":[{"type":"ERROR","text":"…"}]};
 * ES's notable_update as {"success": false, "message": "…"}. */
static void message_of(const struct http_response *r, char *out, size_t n)
{
	json_t *j = json_loads(buf_str(&r->body), 0, NULL);
	const char *t = json_string_value(json_object_get(
		json_array_get(json_object_get(j, "messages"), 0), "text"));

	if (!t)
		t = json_string_value(json_object_get(j, "message"));

	snprintf(out, n, "%s", t ? t : "");
	json_decref(j);
}

/* ctype: the body's Content-Type header; json: a JSON endpoint (the KV
 * store's data endpoints), which answers JSON without output_mode. */
static int request(struct splunkd *d, const char *method, const char *path,
		   const char *body, const char *ctype, int json, json_t **out,
		   char *err, size_t errlen)
{
	struct http_response r;
	const char *hdr[3] = { d->auth, NULL, NULL };
	struct buf url = BUF_INIT(BUF_CAP_HTTP);
	char msg[512];
	int rc;

	if (out)
		*out = NULL;
	buf_printf(&url, "%s%s", d->base, path);
	if (!json)
		buf_printf(&url, "%soutput_mode=json",
			   strchr(path, '?') ? "&" : "?");
	if (url.failed) {
		buf_free(&url);
		snprintf(err, errlen,
			 "splunkd: out of memory or path too long");
		return SPLUNKD_NOMEM;
	}
	if (body)
		hdr[1] = ctype;
	rc = http_request(d->http, method, buf_str(&url), hdr, body,
			  body ? strlen(body) : 0, &r, err, errlen);
	buf_free(&url);
	if (rc != HTTP_OK) {
		http_response_free(&r);
		return rc == HTTP_NOMEM ? SPLUNKD_NOMEM : SPLUNKD_CONNECT;
	}
	if (r.status < 200 || r.status > 299) {
		message_of(&r, msg, sizeof(msg));
		snprintf(err, errlen, "splunkd %s %s: HTTP %ld%s%s", method,
			 path, r.status, msg[0] ? ": " : "", msg);
		rc = r.status == 403   ? SPLUNKD_FORBIDDEN
		     : r.status == 404 ? SPLUNKD_NOTFOUND
		     : r.status == 409 ? SPLUNKD_CONFLICT
		     : r.status < 500  ? SPLUNKD_REFUSED
				       : SPLUNKD_SERVER;
		http_response_free(&r);
		return rc;
	}
	if (out && r.body.len) {
		json_error_t je;

		*out = json_loads(buf_str(&r.body), 0, &je);
		if (!*out) {
			snprintf(err, errlen,
				 "splunkd %s %s: the answer is not JSON (%s)",
				 method, path, je.text);
			http_response_free(&r);
			return SPLUNKD_SERVER;
		}
	}
	http_response_free(&r);
	return SPLUNKD_OK;
}

int splunkd_get(struct splunkd *d, const char *path, json_t **out, char *err,
		size_t errlen)
{
	return request(d, "GET", path, NULL, NULL, 0, out, err, errlen);
}

int splunkd_post_form(struct splunkd *d, const char *path,
		      const char *const *kv, json_t **out, char *err,
		      size_t errlen)
{
	/* a form may carry a password (storage/passwords) */
	struct buf b = BUF_INIT_SECRET(BUF_CAP_HTTP);
	char *body;
	size_t i;
	int rc, nomem = 0;

	for (i = 0; kv && kv[i] && kv[i + 1] && !nomem; i += 2) {
		char *k = text_url_escape(kv[i]),
		     *v = text_url_escape(kv[i + 1]);

		nomem = !k || !v ||
			buf_printf(&b, "%s%s=%s", i ? "&" : "", k, v);
		free(k);
		secret_free(v);
	}
	body = nomem ? NULL : buf_take(&b);
	buf_free(&b);
	if (!body) {
		snprintf(err, errlen, "out of memory");
		return SPLUNKD_NOMEM;
	}
	rc = request(d, "POST", path, body,
		     "Content-Type: application/x-www-form-urlencoded", 0, out,
		     err, errlen);
	secret_free(body);
	return rc;
}

int splunkd_delete(struct splunkd *d, const char *path, char *err,
		   size_t errlen)
{
	return request(d, "DELETE", path, NULL, NULL, 0, NULL, err, errlen);
}

int splunkd_json(struct splunkd *d, const char *method, const char *path,
		 const char *body, json_t **out, char *err, size_t errlen)
{
	return request(d, method, path, body, "Content-Type: application/json",
		       1, out, err, errlen);
}

json_t *splunkd_entry_content(const json_t *feed)
{
	json_t *c = json_object_get(
		json_array_get(json_object_get(feed, "entry"), 0), "content");

	return json_is_object(c) ? c : NULL;
}

char *splunkd_password_path(const char *realm, const char *user)
{
	struct buf b = BUF_INIT(8192), p = BUF_INIT(32768);
	const char *parts[2] = { realm, user }, *s;
	char *esc;
	int i;

	for (i = 0; i < 2; i++) {
		for (s = parts[i]; *s; s++) {
			if (*s == ':')
				buf_putc(&b, '\\');
			buf_putc(&b, *s);
		}
		buf_putc(&b, ':');
	}
	if (b.failed)
		return NULL;
	esc = text_url_escape(buf_str(&b));
	buf_free(&b);
	if (!esc)
		return NULL;
	buf_printf(&p, "%s/%s", QS_PASSWORDS_PATH, esc);
	free(esc);
	return buf_take(&p);
}

int splunkd_get_password(struct splunkd *d, const char *realm, const char *user,
			 const char *what, char **secret, char *err,
			 size_t errlen)
{
	char *path;
	json_t *j = NULL;
	const char *pw;
	int rc;

	*secret = NULL;
	path = splunkd_password_path(realm, user);
	if (!path) {
		snprintf(err, errlen, "out of memory");
		return SPLUNKD_NOMEM;
	}
	rc = splunkd_get(d, path, &j, err, errlen);
	free(path);
	if (rc == SPLUNKD_FORBIDDEN) {
		snprintf(
			err, errlen,
			"splunkd refused to read the %s (HTTP 403): the user lacks the list_storage_passwords capability; for an alert, grant it to the alert owner's role, or make an account that has it own the alert",
			what);
		return rc;
	}
	if (rc == SPLUNKD_NOTFOUND) {
		snprintf(
			err, errlen,
			"No %s is stored for user \"%s\" (storage/passwords realm %s). Enter it on the add-on's setup page and Submit.",
			what, user, realm);
		return rc;
	}
	if (rc)
		return rc;
	pw = json_string_value(
		json_object_get(splunkd_entry_content(j), "clear_password"));
	if (!pw || !*pw) {
		snprintf(err, errlen, "the stored %s for realm %s is empty",
			 what, realm);
		json_decref(j);
		return SPLUNKD_SERVER;
	}
	*secret = strdup(pw);
	log_add_secret(pw);
	explicit_bzero((char *)pw, strlen(pw));
	json_decref(j);
	if (!*secret) {
		snprintf(err, errlen, "out of memory");
		return SPLUNKD_NOMEM;
	}
	return SPLUNKD_OK;
}

int splunkd_get_secret(struct splunkd *d, const char *host, const char *user,
		       char **secret, char *err, size_t errlen)
{
	char realm[1024];

	/* The entity IBM's add-on uses: realm SA_QRadar_SOAR_<host>, user. */
	snprintf(realm, sizeof(realm), "%s%s", QS_REALM_PREFIX, host);
	return splunkd_get_password(d, realm, user, "SOAR credential", secret,
				    err, errlen);
}

int splunkd_message(struct splunkd *d, const char *name, const char *text,
		    const char *severity, char *err, size_t errlen)
{
	const char *kv[] = { "name",	 name,	   "value", text,
			     "severity", severity, NULL };

	return splunkd_post_form(d, "/services/messages", kv, NULL, err,
				 errlen);
}
