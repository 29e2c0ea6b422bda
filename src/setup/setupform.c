#include "setup/setupform.h"
#include "util/text.h"
#include "util/names.h"
#include "net/http.h"
#include "net/soar.h"
#include "util/log.h"
#include "util/secret.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Decisions beyond the header:
 *  - Values may be JSON strings, integers or booleans (an object form sent
 *    by a script may carry 443 or true); null counts as absent. Anything
 *    else is refused naming the key.
 *  - Leading and trailing spaces are trimmed from every value except the
 *    two secrets (a password may begin or end with a space). Tabs are
 *    control characters and refused like CR, LF and NUL.
 *  - The length limit is checked on the raw value before anything is
 *    copied, so a 1 MB value costs no allocation.
 *  - Secrets shorter than LOG_SECRET_MIN bytes are refused: log.c cannot
 *    mask them, and no SOAR password or API key secret is that short. An
 *    empty secret (or proxy password) is no error here: it asks the
 *    handler to keep the stored one (keep_secret), which the handler
 *    checks against storage/passwords.
 *  - Every value is checked, so the page can mark every invalid field at
 *    once; a value that fails one rule is not checked against the rules
 *    that build on it (a proxy port is only required of a valid proxy
 *    host). Messages name the setting by the page's label
 *    (soar_setting_label), as the admin sees it.
 *  - verify "false" is refused: the add-on always verifies the server
 *    certificate, against the system store or the given CA file.
 *  - proxy_user without proxy_host is refused (a proxy login with no proxy
 *    is a form left half-cleared, not a configuration).
 *  - Error messages echo no value, except the verify path (a file name the
 *    admin typed and needs to see); a secret is never echoed.
 */

enum key {
	K_HOST,
	K_PORT,
	K_ORG,
	K_USER,
	K_SECRET,
	K_API_KEYS,
	K_VERIFY,
	K_DUPLICATES,
	K_NUM_ARTIFACTS,
	K_NUM_EVENTS,
	K_PROXY_HOST,
	K_PROXY_PORT,
	K_PROXY_USER,
	K_PROXY_PASSWORD,
	K_MODE,
	K_SYNC_CLOSED,
	K_SYNC_CLOSE_STATUS,
	K_COUNT
};

static const struct {
	const char *name;
	size_t maxlen;
	int secret;
} keys[K_COUNT] = {
	[K_HOST] = { "host", 255, 0 },
	[K_PORT] = { "port", 1024, 0 },
	[K_ORG] = { "org", 1024, 0 },
	[K_USER] = { "user", 1024, 0 },
	[K_SECRET] = { "secret", 1024, 1 },
	[K_API_KEYS] = { "api_keys", 1024, 0 },
	[K_VERIFY] = { "verify", 4096, 0 },
	[K_DUPLICATES] = { "duplicates", 1024, 0 },
	[K_NUM_ARTIFACTS] = { "num_artifacts", 1024, 0 },
	[K_NUM_EVENTS] = { "num_events", 1024, 0 },
	/* a host name plus "https://" */
	[K_PROXY_HOST] = { "proxy_host", 263, 0 },
	[K_PROXY_PORT] = { "proxy_port", 1024, 0 },
	[K_PROXY_USER] = { "proxy_user", 1024, 0 },
	[K_PROXY_PASSWORD] = { "proxy_password", 1024, 1 },
	[K_MODE] = { "mode", 1024, 0 },
	[K_SYNC_CLOSED] = { "sync_closed", 1024, 0 },
	[K_SYNC_CLOSE_STATUS] = { "sync_close_status", 1024, 0 },
};

/* One raw value per key: borrowed from the JSON, or formatted into num. */
struct raw {
	const char *s;
	size_t len;
	int given;
	char num[32];
};

struct ctx {
	char *field;
	size_t fieldlen;
	char *err;
	size_t errlen;
	json_t *all;	     /* NULL, or every problem as {field, text} */
	int nbad;	     /* problems found */
	int bad[K_COUNT];    /* keys already refused: checked no further */
	int api_keys;	     /* for the labels of user and secret */
};

static const char *lbl(const struct ctx *c, const char *key)
{
	return soar_setting_label(key, c->api_keys);
}

/* Records a problem of field: the first goes to field/err, each to all. */
__attribute__((format(printf, 3, 4))) static int
fail(struct ctx *c, const char *field, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!c->nbad++) {
		if (c->field && c->fieldlen)
			snprintf(c->field, c->fieldlen, "%s", field);
		if (c->err && c->errlen)
			snprintf(c->err, c->errlen, "%s", text);
	}
	for (i = 0; i < K_COUNT; i++)
		if (!strcmp(keys[i].name, field))
			c->bad[i] = 1;
	/* text quotes at most a path the admin typed: valid UTF-8 or not,
	 * json_string refuses what it cannot hold, and the first problem
	 * is in err anyway */
	if (c->all)
		json_array_append_new(c->all, json_pack("{s:s,s:s?}", "field",
							field, "text",
							text));
	return -1;
}

static int key_index(const char *k, size_t n)
{
	int i;

	for (i = 0; i < K_COUNT; i++)
		if (strlen(keys[i].name) == n && !memcmp(keys[i].name, k, n))
			return i;
	return -1;
}

/* Records one [key, value] pair; unknown keys are ignored. */
static int take(struct ctx *c, struct raw *raw, const char *k, size_t klen,
		const json_t *v)
{
	int i = key_index(k, klen);
	struct raw *r;
	size_t j;

	if (i < 0)
		return 0;
	r = &raw[i];
	if (r->given)
		return fail(c, keys[i].name,
			    "%s is given more than once; send it once",
			    lbl(c, keys[i].name));
	r->given = 1;
	if (json_is_null(v)) {
		r->s = "";
		r->len = 0;
	} else if (json_is_string(v)) {
		r->s = json_string_value(v);
		r->len = json_string_length(v);
	} else if (json_is_integer(v)) {
		snprintf(r->num, sizeof r->num, "%lld",
			 (long long)json_integer_value(v));
		r->s = r->num;
		r->len = strlen(r->num);
	} else if (json_is_boolean(v)) {
		snprintf(r->num, sizeof r->num, "%s",
			 json_is_true(v) ? "true" : "false");
		r->s = r->num;
		r->len = strlen(r->num);
	} else {
		return fail(c, keys[i].name,
			    "%s must be a string, a number or a boolean",
			    lbl(c, keys[i].name));
	}
	if (r->len > keys[i].maxlen)
		return fail(c, keys[i].name,
			    "%s is too long (more than %zu characters)",
			    lbl(c, keys[i].name), keys[i].maxlen);
	/* CR/LF would start a new line or [stanza] in a .conf file, NUL
	 * would cut the C string short of what the admin typed. */
	for (j = 0; j < r->len; j++) {
		unsigned char ch = (unsigned char)r->s[j];

		if (ch < 0x20 || ch == 0x7f)
			return fail(
				c, keys[i].name,
				"%s contains a control character (such as a "
				"line break, tab or NUL); it must be a "
				"single line of text",
				lbl(c, keys[i].name));
	}
	return 0;
}

static int collect(struct ctx *c, const json_t *form, struct raw *raw)
{
	size_t i;
	const char *k;
	const json_t *v;

	if (json_is_object(form)) {
		/* json_object_foreach needs a non-const object */
		json_t *o = (json_t *)form;
		json_t *jv;

		json_object_foreach(o, k, jv)
			take(c, raw, k, strlen(k), jv);
		return 0;
	}
	if (!json_is_array(form))
		return fail(c, "form",
			    "the form must be a list of [key, value] pairs");
	for (i = 0; i < json_array_size(form); i++) {
		const json_t *p = json_array_get(form, i);
		const json_t *jk;

		if (!json_is_array(p) || json_array_size(p) != 2 ||
		    !json_is_string(jk = json_array_get(p, 0)))
			return fail(c, "form",
				    "form entry %zu is not a [key, value] pair",
				    i + 1);
		k = json_string_value(jk);
		v = json_array_get(p, 1);
		take(c, raw, k, json_string_length(jk), v);
	}
	return 0;
}

/* A copy of the raw value, trimmed of spaces unless it is a secret: only
 * spaces, so a control character around a value is refused, not dropped
 * (util/names.h lists where the form is stricter than the action). */
static char *dup_value(const struct raw *r, int secret)
{
	const char *b = r->given ? r->s : "";
	size_t n = r->given ? r->len : 0;
	char *out;

	if (!secret) {
		while (n > 0 && *b == ' ') {
			b++;
			n--;
		}
		while (n > 0 && b[n - 1] == ' ')
			n--;
	}
	out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, b, n);
	out[n] = '\0';
	return out;
}

/* An integer (util/text.h) within lo..hi; an empty value gives def (or
 * fails when def < 0). */
static int parse_int(struct ctx *c, const char *name, const char *s, int lo,
		     int hi, int def, int *out)
{
	long long v;

	if (!*s) {
		if (def < 0)
			return fail(c, name,
				    "%s is empty; give a number from %d to %d",
				    lbl(c, name), lo, hi);
		*out = def;
		return 0;
	}
	if (text_int(s, lo, hi, &v))
		return fail(c, name, "%s must be a whole number from %d to %d",
			    lbl(c, name), lo, hi);
	*out = (int)v;
	return 0;
}

/* A boolean (util/text.h); empty is 0. */
static int parse_flag(struct ctx *c, const char *name, const char *s, int *out)
{
	int v = text_bool(s);

	if (v < 0)
		return fail(c, name,
			    "%s must be 1 or 0 (true or false, yes or no, "
			    "on or off)",
			    lbl(c, name));
	*out = v;
	return 0;
}

/* A bare host (net/http.c holds the rule). */
static int check_host(struct ctx *c, const char *name, const char *s)
{
	char why[256];

	if (http_check_host(s, why, sizeof(why)))
		return fail(c, name, "%s %s", lbl(c, name), why);
	return 0;
}

/* "true" (also "1" or empty), or an absolute path to a readable regular
 * file; opening it is the only honest readability test. A path's
 * problems are the CA bundle's (form key ca_file on the page). */
static int check_verify(struct ctx *c, char **v)
{
	char why[256];

	if (text_is_blank(*v) || text_bool(*v) == 1) {
		char *t = strdup("true");

		if (!t)
			return fail(c, "verify", "out of memory");
		free(*v);
		*v = t;
		return 0;
	}
	if (text_bool(*v) == 0)
		return fail(c, "verify",
			    "%s cannot be turned off: the add-on always "
			    "verifies SOAR's certificate. Leave the %s empty "
			    "to trust the system's CAs, or give the CA that "
			    "issued SOAR's certificate",
			    lbl(c, "verify"), lbl(c, "ca_file"));
	if (**v != '/')
		return fail(c, "verify",
			    "%s: \"%.200s\" is not an absolute path; give the "
			    "absolute path of a PEM file on the search head, "
			    "or leave it empty to trust the system's CAs",
			    lbl(c, "ca_file"), *v);
	if (http_check_ca_file(*v, why, sizeof(why)))
		return fail(c, "verify", "%s: the file \"%.200s\" %s",
			    lbl(c, "ca_file"), *v, why);
	return 0;
}

/* proxy_host: an optional http:// or https:// scheme, then a bare host. */
static int check_proxy_host(struct ctx *c, const char *s)
{
	const char *h = s;

	if (!strncasecmp(s, "http://", 7))
		h = s + 7;
	else if (!strncasecmp(s, "https://", 8))
		h = s + 8;
	else if (strstr(s, "://"))
		return fail(c, "proxy_host",
			    "%s may only use the http:// or https:// scheme",
			    lbl(c, "proxy_host"));
	if (strlen(h) > 255)
		return fail(c, "proxy_host",
			    "%s is too long (more than 255 characters)",
			    lbl(c, "proxy_host"));
	return check_host(c, "proxy_host", h);
}

/* A secret given, or empty: keep the stored one (the handler checks). */
static void check_secret(struct ctx *c, const char *key, const char *v,
			 int *keep)
{
	*keep = !*v;
	if (*v && strlen(v) < LOG_SECRET_MIN)
		fail(c, key, "%s is too short (fewer than %d characters)",
		     lbl(c, key), LOG_SECRET_MIN);
}

static void check_proxy(struct ctx *c, struct setup_form *f,
			const char *port)
{
	if (*f->proxy_host) {
		if (!c->bad[K_PROXY_HOST])
			check_proxy_host(c, f->proxy_host);
		if (!*port && !c->bad[K_PROXY_PORT])
			fail(c, "proxy_port", "%s is required with a %s",
			     lbl(c, "proxy_port"), lbl(c, "proxy_host"));
	} else if (*f->proxy_user && !c->bad[K_PROXY_USER]) {
		fail(c, "proxy_host",
		     "%s is empty but %s is set; give the proxy host or clear "
		     "the proxy user",
		     lbl(c, "proxy_host"), lbl(c, "proxy_user"));
	}
	if (*port && !c->bad[K_PROXY_PORT])
		parse_int(c, "proxy_port", port, 1, QS_PORT_MAX, -1,
			  &f->proxy_port);
	if (*f->proxy_user && !c->bad[K_PROXY_PASSWORD])
		check_secret(c, "proxy_password", f->proxy_password,
			     &f->keep_proxy_password);
}

/* Each rule of a key that collect() did not refuse already. */
static void check_all(struct ctx *c, char **tmp, struct setup_form *f)
{
	if (!c->bad[K_API_KEYS])
		parse_flag(c, "api_keys", tmp[K_API_KEYS], &f->api_keys);
	c->api_keys = f->api_keys;
	if (!c->bad[K_HOST])
		check_host(c, "host", f->host);
	if (!c->bad[K_PORT])
		parse_int(c, "port", tmp[K_PORT], 1, QS_PORT_MAX,
			  QS_PORT_DEFAULT, &f->port);
	if (!c->bad[K_VERIFY])
		check_verify(c, &f->verify);
	if (!c->bad[K_ORG] && !*f->org)
		fail(c, "org", "%s is empty; give the SOAR organization name",
		     lbl(c, "org"));
	if (!c->bad[K_USER] && !*f->user)
		fail(c, "user", "%s is empty; give %s", lbl(c, "user"),
		     f->api_keys ? "the ID of the SOAR API key"
				 : "the SOAR account's email address");
	if (!c->bad[K_SECRET])
		check_secret(c, "secret", f->secret, &f->keep_secret);
	if (!c->bad[K_DUPLICATES])
		parse_flag(c, "duplicates", tmp[K_DUPLICATES], &f->duplicates);
	if (!c->bad[K_NUM_ARTIFACTS])
		parse_int(c, "num_artifacts", tmp[K_NUM_ARTIFACTS], 1,
			  QS_NUM_ARTIFACTS_MAX, QS_NUM_ARTIFACTS_DEFAULT,
			  &f->num_artifacts);
	if (!c->bad[K_NUM_EVENTS])
		parse_int(c, "num_events", tmp[K_NUM_EVENTS], 1,
			  QS_NUM_EVENTS_MAX, QS_NUM_EVENTS_DEFAULT,
			  &f->num_events);
	check_proxy(c, f, tmp[K_PROXY_PORT]);
	if (!c->bad[K_SYNC_CLOSED])
		parse_flag(c, "sync_closed", tmp[K_SYNC_CLOSED], &f->sync_closed);
	if (!c->bad[K_SYNC_CLOSE_STATUS])
		parse_int(c, "sync_close_status", tmp[K_SYNC_CLOSE_STATUS], 0,
			  QS_SYNC_CLOSE_STATUS_MAX, QS_SYNC_CLOSE_STATUS_DEFAULT,
			  &f->sync_close_status);
}

static int validate(struct ctx *c, struct raw *raw, struct setup_form *f)
{
	char *tmp[K_COUNT] = { 0 };
	int i, rc = -1;

	for (i = 0; i < K_COUNT; i++) {
		/* a refused value is checked no further: as if empty */
		struct raw none = { "", 0, 0, "" };

		tmp[i] = dup_value(c->bad[i] ? &none : &raw[i],
				   keys[i].secret);
		if (!tmp[i]) {
			fail(c, keys[i].name, "out of memory");
			goto cleanup;
		}
	}
	/* strings move into f first, so one setup_form_free covers them */
	f->host = tmp[K_HOST];
	f->org = tmp[K_ORG];
	f->user = tmp[K_USER];
	f->secret = tmp[K_SECRET];
	f->verify = tmp[K_VERIFY];
	f->proxy_host = tmp[K_PROXY_HOST];
	f->proxy_user = tmp[K_PROXY_USER];
	f->proxy_password = tmp[K_PROXY_PASSWORD];
	tmp[K_HOST] = tmp[K_ORG] = tmp[K_USER] = tmp[K_SECRET] = NULL;
	tmp[K_VERIFY] = tmp[K_PROXY_HOST] = tmp[K_PROXY_USER] = NULL;
	tmp[K_PROXY_PASSWORD] = NULL;
	check_all(c, tmp, f);
	f->test_mode = !strcmp(tmp[K_MODE], "test");
	rc = c->nbad ? -1 : 0;
cleanup:
	for (i = 0; i < K_COUNT; i++)
		if (keys[i].secret)
			secret_free(tmp[i]);
		else
			free(tmp[i]);
	return rc;
}

/* api_keys as the form gives it, for the labels; 0 when unclear (its own
 * check reports a bad value). */
static int peek_api_keys(const json_t *form)
{
	const json_t *v = NULL, *p;
	size_t i;

	if (json_is_object(form))
		v = json_object_get(form, "api_keys");
	else
		json_array_foreach(form, i, p)
			if (json_is_array(p) &&
			    !strcmp(json_string_value(json_array_get(p, 0))
					    ? json_string_value(
						      json_array_get(p, 0))
					    : "",
				    "api_keys"))
				v = json_array_get(p, 1);
	if (json_is_true(v) ||
	    (json_is_integer(v) && json_integer_value(v) == 1))
		return 1;
	return json_is_string(v) && text_bool(json_string_value(v)) == 1;
}

int setup_form_parse(const json_t *form, struct setup_form *f, json_t *errors,
		     char *field, size_t fieldlen, char *err, size_t errlen)
{
	struct ctx c;
	struct raw raw[K_COUNT];

	memset(&c, 0, sizeof c);
	c.field = field;
	c.fieldlen = fieldlen;
	c.err = err;
	c.errlen = errlen;
	c.all = errors;
	memset(f, 0, sizeof *f);
	memset(raw, 0, sizeof raw);
	if (field && fieldlen)
		field[0] = '\0';
	if (err && errlen)
		err[0] = '\0';
	/* the labels of user and secret depend on api_keys: known before
	 * any message is written */
	c.api_keys = peek_api_keys(form);
	if (collect(&c, form, raw) || validate(&c, raw, f)) {
		explicit_bzero(raw, sizeof raw);
		setup_form_free(f);
		return -1;
	}
	/* a secret sent as a JSON number was formatted into raw[].num */
	explicit_bzero(raw, sizeof raw);
	return 0;
}

void setup_form_free(struct setup_form *f)
{
	if (!f)
		return;
	free(f->host);
	free(f->org);
	free(f->user);
	secret_free(f->secret);
	free(f->verify);
	free(f->proxy_host);
	free(f->proxy_user);
	secret_free(f->proxy_password);
	memset(f, 0, sizeof *f);
}
