#include "setup/confwrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 200

int confwrite_key_safe(const char *key)
{
	size_t n = 0;

	if (!key)
		return 0;
	for (; key[n]; n++) {
		char c = key[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return 0;
	}
	return n > 0 && n <= KEY_MAX;
}

int confwrite_value_safe(const char *s)
{
	const unsigned char *p;

	if (!s)
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int confwrite_mappable(const struct fielddef *f)
{
	/* Fields the server calls read-only are not offered (the engine still
	 * accepts a mapping of inc_training that an older saved search has,
	 * for creates); deprecated fields are left out so new alerts do not
	 * start using them; types the engine cannot convert neither. */
	return !f->server_read_only && !f->deprecated && f->type != FT_OTHER &&
	       confwrite_key_safe(f->key);
}

char *confwrite_quote(const char *s, size_t max, char *out, size_t n)
{
	size_t i = 0;

	for (; s && *s && i < max && i + 1 < n; s++, i++)
		out[i] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
	if (s && *s && ((unsigned char)*s & 0xC0) == 0x80) {
		/* the cut is inside a character: drop its first bytes */
		while (i > 0 && ((unsigned char)out[i - 1] & 0xC0) == 0x80)
			i--;
		if (i > 0)
			i--;
	}
	out[i] = '\0';
	return out;
}

static int has_key(const json_t *existing, const char *k)
{
	return json_object_get(existing, k) != NULL;
}

/* Sets k = v in out; ENOMEM is the only failure. */
static int put(json_t *out, const char *k, const char *v)
{
	return json_object_set_new(out, k, json_string(v ? v : ""));
}

static int put_int(json_t *out, const char *k, int v)
{
	char s[32];

	snprintf(s, sizeof(s), "%d", v);
	return put(out, k, s);
}

static int put_default(json_t *out, const json_t *existing, const char *k,
		       int *added)
{
	if (has_key(existing, k))
		return 0;
	if (added)
		(*added)++;
	return put(out, k, "");
}

static int conn_keys(json_t *out, const struct setup_form *f)
{
	int rc = 0, has_proxy = f->proxy_host && *f->proxy_host;

	rc |= put(out, "param.host", f->host);
	rc |= put_int(out, "param.port", f->port);
	rc |= put(out, "param.org", f->org);
	rc |= put(out, "param.user", f->user);
	rc |= put(out, "param.api_keys", f->api_keys ? "1" : "0");
	rc |= put(out, "param.verify", f->verify);
	rc |= put(out, "param.duplicates", f->duplicates ? "1" : "0");
	rc |= put_int(out, "param.num_artifacts", f->num_artifacts);
	rc |= put_int(out, "param.num_events", f->num_events);
	rc |= put(out, "param.proxy_host", has_proxy ? f->proxy_host : "");
	if (has_proxy)
		rc |= put_int(out, "param.proxy_port", f->proxy_port);
	else
		rc |= put(out, "param.proxy_port", "");
	rc |= put(out, "param.proxy_user", has_proxy ? f->proxy_user : "");
	rc |= put(out, "param.sync_closed", f->sync_closed ? "1" : "0");
	rc |= put_int(out, "param.sync_close_status", f->sync_close_status);
	return rc ? -1 : 0;
}

int confwrite_keys(const struct catalog *cat, const struct setup_form *f,
		   const json_t *existing, json_t *warnings, json_t **out,
		   int *nnew, int *nkept, char *err, size_t errlen)
{
	static const char *const parts[] = { "", "type", "value",
					     "description" };
	json_t *o = json_object();
	const char *k;
	json_t *v;
	size_t i, p;
	char key[KEY_MAX + 64];
	int n, added = 0, kept = 0;

	*out = NULL;
	if (!o || conn_keys(o, f) != 0)
		goto nomem;
	for (i = 0; i < cat->ndefs; i++) {
		const struct fielddef *d = &cat->defs[i];

		if (!confwrite_key_safe(d->key)) {
			char label[128], msg[512];

			/* The label comes from the server and the warning
			 * ends up in a dialog: cut and one line. */
			confwrite_quote(d->text ? d->text : "?", 60, label,
					sizeof(label));
			snprintf(
				msg, sizeof(msg),
				"SOAR field \"%s\" has an API name that cannot be a .conf key (letters, digits, '_', '.' and '-' only); it was left out",
				label);
			if (warnings &&
			    json_array_append_new(warnings, json_string(msg)) !=
				    0)
				goto nomem;
			continue;
		}
		if (!confwrite_mappable(d))
			continue;
		snprintf(key, sizeof(key), "param.mapping_%s", d->key);
		if (has_key(existing, key)) {
			kept++;
			continue;
		}
		if (put_default(o, existing, key, &added) != 0)
			goto nomem;
	}
	for (n = 1; n <= f->num_artifacts; n++) {
		char label[32];

		for (p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
			snprintf(key, sizeof(key), "param.artifact%d%s", n,
				 parts[p]);
			if (put_default(o, existing, key, NULL) != 0)
				goto nomem;
		}
		/* ours, not an admin's: written every time */
		snprintf(key, sizeof(key), "param.artifact%d.label", n);
		snprintf(label, sizeof(label), "Artifact %d", n);
		if (put(o, key, label) != 0)
			goto nomem;
		snprintf(key, sizeof(key), "param.artifact%d.description", n);
		if (put(o, key, CONFWRITE_ARTIFACT_HINT) != 0)
			goto nomem;
	}
	/* Defence in depth: the form parser refuses control characters, but
	 * nothing reaches a .conf line without this check. */
	json_object_foreach(o, k, v) {
		if (!confwrite_value_safe(json_string_value(v))) {
			snprintf(
				err, errlen,
				"%s: the value contains a line break or another control character",
				k);
			json_decref(o);
			return -1;
		}
	}
	if (nnew)
		*nnew = added;
	if (nkept)
		*nkept = kept;
	*out = o;
	return 0;
nomem:
	json_decref(o);
	snprintf(err, errlen, "out of memory");
	return -1;
}

const char **confwrite_kv_list(const json_t *kv)
{
	size_t n = json_object_size(kv), i = 0;
	const char **list = calloc(2 * n + 2, sizeof(*list));
	const char *k;
	json_t *v;

	if (!list)
		return NULL;
	json_object_foreach((json_t *)kv, k, v) {
		if (!json_is_string(v)) {
			free(list);
			return NULL;
		}
		list[i++] = k;
		list[i++] = json_string_value(v);
	}
	return list;
}
