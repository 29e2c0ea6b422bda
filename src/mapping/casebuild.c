#include "mapping/casebuild.h"
#include "util/text.h"
#include "util/names.h"
#include "mapping/convert.h"
#include "mapping/payload.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
	struct case_row *out;
	const struct action_config *cfg;
	const struct catalog *cat;
	const struct token_ctx *tc;
	int oom;
};

static void warn(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct ctx *c, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* messages quote user values, which may be invalid UTF-8 */
	{
		char *fixed = convert_utf8_dup(msg, strlen(msg));

		if (!fixed || json_array_append_new(c->out->warnings,
						    json_string(fixed)) != 0)
			c->oom = 1;
		free(fixed);
	}
}

/* A string member of o, UTF-8 repaired; sets c->oom on failure. */
static void put_str(struct ctx *c, json_t *o, const char *k, const char *v)
{
	char *fixed = convert_utf8_dup(v, strlen(v));

	if (!fixed || json_object_set_new(o, k, json_string(fixed)) != 0)
		c->oom = 1;
	free(fixed);
}

/*
 * Data the case will lack: the warning (fmt) plus a left_out entry naming
 * the mapping key, the value, the problem and the fix (fixfmt, whose
 * arguments follow fmt's: each %s of fixfmt takes the next string given).
 */
static void left_out(struct ctx *c, const char *key, const char *value,
		     const char *problem, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void left_out(struct ctx *c, const char *key, const char *value,
		     const char *problem, const char *fix, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	json_t *o = json_object();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(c, "%s", msg);
	if (!o) {
		c->oom = 1;
		return;
	}
	put_str(c, o, "field", key);
	put_str(c, o, "value", value ? value : "");
	put_str(c, o, "problem", problem);
	put_str(c, o, "fix", fix);
	put_str(c, o, "text", msg);
	if (json_array_append_new(c->out->left_out, o) != 0)
		c->oom = 1;
}

/* "the "Severity" mapping (mapping_severity_code)" into out. */
static const char *mapping_name(const struct fielddef *f, const char *key,
				char *out, size_t n)
{
	if (f && f->text && *f->text)
		snprintf(out, n, "the \"%s\" mapping (mapping_%s)", f->text,
			 key);
	else
		snprintf(out, n, "mapping_%s", key);
	return out;
}

static void fail_row(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail_row(struct ctx *c, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (c->out->error)
		return; /* the first error is the one that matters */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->out->error = convert_utf8_dup(msg, strlen(msg));
	if (!c->out->error)
		c->oom = 1;
}

/* Expands a template; returns a malloc'd, UTF-8-repaired string. */
static char *expand(struct ctx *c, const char *tmpl, tokens_escape_fn esc)
{
	struct buf b = BUF_INIT(BUF_CAP_TEMPLATE);
	char *r = NULL;

	/* the expansion's own length: a value may hold a NUL, which the
	 * repair turns into U+FFFD instead of cutting the value there */
	if (tokens_expand(&b, tmpl, c->tc, esc) == 0)
		r = convert_utf8_dup(buf_str(&b), b.len);
	buf_free(&b);
	if (!r)
		c->oom = 1;
	return r;
}

static int is_html(const struct fielddef *f)
{
	return f->type == FT_TEXTAREA &&
	       (f->rich_text || strcmp(f->key, "description") == 0);
}

struct list_ctx {
	struct ctx *c;
	const struct fielddef *f;
	json_t *arr;
	int bad;
	int strings; /* members: user values (convert_user) */
};

static void fix_choice(struct ctx *c, const struct fielddef *f,
		       const char *choices, char *out, size_t n)
{
	char m[512];

	(void)c;
	snprintf(
		out, n,
		"Make %s give one of the field's choices (%s), or add the value as a choice of the field in SOAR.",
		mapping_name(f, f->key, m, sizeof(m)), choices);
}

/* A user field's value (convert_user): an id as a number, else the
 * email or group name as text. */
static json_t *user_value(const char *s)
{
	const char *b, *e;
	long long id;
	int k = convert_user(s, &b, &e, &id);

	if (k == CONVERT_USER_ID)
		return json_integer(id);
	return k < 0 ? NULL : json_stringn(b, (size_t)(e - b));
}

static int list_item(void *arg, const char *item)
{
	struct list_ctx *l = arg;
	json_t *v;
	char choices[1024], fix[2048];

	if (l->strings)
		v = user_value(item);
	else
		v = fielddef_choice(l->f, item);
	if (!v) {
		if (l->strings)
			return -1;
		l->bad++;
		fielddef_choices_text(l->f, choices, sizeof(choices));
		fix_choice(l->c, l->f, choices, fix, sizeof(fix));
		left_out(l->c, l->f->key, item, "invalid_choice", fix,
			 "%s: \"%s\" is not a valid choice; valid: %s",
			 l->f->key, item, choices);
		return 0;
	}
	return json_array_append_new(l->arr, v) == 0 ? 0 : -1;
}

/* Converts the resolved string s for field f; NULL when left out (with a
 * warning, or a row error for a required field). */
static json_t *convert(struct ctx *c, const struct fielddef *f, char *s)
{
	char choices[1024], fix[2048], m[512];
	long long n;
	json_t *v = NULL;
	char *t = text_trim(s);
	const char *what = NULL, *problem = NULL, *gives = NULL;

	switch (f->type) {
	case FT_TEXT:
		return json_string(s);
	case FT_SELECT_OWNER:
		return user_value(t);
	case FT_TEXTAREA:
		if (is_html(f))
			return json_pack("{s:s,s:s}", "format", "html",
					 "content", s);
		return json_string(s);
	case FT_BOOLEAN:
		n = text_bool(t);
		if (n >= 0)
			return json_boolean(n);
		what = "is not a boolean (use true/false, yes/no, on/off or 1/0)";
		problem = "invalid_boolean";
		gives = "true or false (yes/no, on/off, 1/0)";
		break;
	case FT_NUMBER:
		if (text_int(t, LLONG_MIN, LLONG_MAX, &n) == 0)
			return json_integer(n);
		what = "is not a whole number";
		problem = "invalid_number";
		gives = "a whole number";
		break;
	case FT_DATE:
	case FT_DATETIME:
		if (convert_date_ms(t, &n) == 0)
			return json_integer(n);
		what = "is not a date (epoch seconds, YYYY/MM/DD [HH:MM:SS [+HHMM]] or ISO 8601)";
		problem = "invalid_date";
		gives = "a date: Splunk's _time (epoch seconds), YYYY/MM/DD [HH:MM:SS [+HHMM]] or ISO 8601";
		break;
	case FT_SELECT:
		v = fielddef_choice(f, t);
		if (!v)
			v = fielddef_yes_no_choice(f, t);
		if (v)
			return v;
		if (f->required)
			fail_row(c,
				 "%s: \"%s\" is not a valid choice; valid: %s",
				 f->key, t,
				 fielddef_choices_text(f, choices,
						       sizeof(choices)));
		else {
			fielddef_choices_text(f, choices, sizeof(choices));
			fix_choice(c, f, choices, fix, sizeof(fix));
			left_out(
				c, f->key, t, "invalid_choice", fix,
				"%s: \"%s\" is not a valid choice; left out; valid: %s",
				f->key, t, choices);
		}
		return NULL;
	case FT_MULTISELECT:
	case FT_MULTISELECT_MEMBERS: {
		struct list_ctx l = { c, f, json_array(), 0,
				      f->type == FT_MULTISELECT_MEMBERS };

		if (!l.arr || convert_split_list(t, list_item, &l) < 0) {
			json_decref(l.arr);
			c->oom = 1;
			return NULL;
		}
		if (json_array_size(l.arr) > 0)
			return l.arr;
		json_decref(l.arr);
		if (f->required)
			fail_row(c, "%s: no valid choice in \"%s\"", f->key, t);
		else if (l.bad) {
			fielddef_choices_text(f, choices, sizeof(choices));
			fix_choice(c, f, choices, fix, sizeof(fix));
			left_out(c, f->key, t, "invalid_choice", fix,
				 "%s: no valid choice in \"%s\"; left out",
				 f->key, t);
		}
		return NULL;
	}
	case FT_OTHER:
		break;
	}
	if (what) {
		if (f->required)
			fail_row(c, "%s: \"%s\" %s", f->key, t, what);
		else {
			snprintf(fix, sizeof(fix), "Make %s give %s.",
				 mapping_name(f, f->key, m, sizeof(m)), gives);
			left_out(c, f->key, t, problem, fix,
				 "%s: \"%s\" %s; left out", f->key, t, what);
		}
	}
	return NULL;
}

/* Puts v (stolen) at the field's place: top level or under its prefix. */
static int place(json_t *body, const struct fielddef *f, json_t *v)
{
	json_t *obj = body;

	if (f->prefix) {
		obj = json_object_get(body, f->prefix);
		if (!obj) {
			obj = json_object();
			if (json_object_set_new(body, f->prefix, obj) != 0) {
				json_decref(v);
				return -1;
			}
		}
	}
	return json_object_set_new(obj, f->name, v);
}

/* Appends f = v to the changes an update may PATCH, resolved so the SOAR
 * client needs no catalog: the server's read-only fields (a create may
 * still set an override such as inc_training) and the notable id (the
 * case's identity) are left out. */
static int add_change(json_t *changes, const struct fielddef *f, json_t *v)
{
	if (f->server_read_only || strcmp(f->name, QS_NOTABLE_FIELD) == 0)
		return 0;
	return json_array_append_new(
		changes,
		json_pack("{s:s,s:s*,s:s,s:O}", "name", f->name, "prefix",
			  f->prefix, "input_type", f->input_type, "value", v));
}

/* A mapping skipped for a reason of its field: the value it would have
 * had is recorded with the fix. */
static void skipped(struct ctx *c, const struct mapping *m, const char *problem,
		    const char *fix, const char *why)
{
	char *v = expand(c, m->tmpl, NULL);

	if (!v)
		return;
	left_out(c, m->key, text_trim(v), problem, fix, "%s: %s; skipped",
		 m->key, why);
	free(v);
}

static void map_fields(struct ctx *c)
{
	char fix[1024], mn[512], why[128];
	size_t i;

	for (i = 0; i < c->cfg->nmaps && !c->oom; i++) {
		const struct mapping *m = &c->cfg->maps[i];
		const struct fielddef *f = catalog_field(c->cat, m->key);
		char *s;
		json_t *v;

		if (!f) {
			/* The dedup key works even when the org lacks the field. */
			if (strcmp(m->key, QS_NOTABLE_KEY) == 0) {
				s = expand(c, m->tmpl, NULL);
				if (!s)
					return;
				if (!text_is_blank(s)) {
					free(c->out->dedup_key);
					c->out->dedup_key =
						strdup(text_trim(s));
					if (!c->out->dedup_key)
						c->oom = 1;
				}
				free(s);
			}
			if (strcmp(m->key, QS_NOTABLE_KEY) == 0)
				snprintf(
					fix, sizeof(fix),
					"Create a Text field with the API name splunk_notable_event_id in SOAR (Customization Settings > Layouts > Fields), then run the add-on's setup page again.");
			else
				snprintf(
					fix, sizeof(fix),
					"Remove mapping_%s from the alert's QRadar SOAR action, or create that field in SOAR and run the add-on's setup page again.",
					m->key);
			skipped(c, m, "unknown_field", fix,
				"no such field in the SOAR org");
			continue;
		}
		if (f->read_only) {
			snprintf(
				fix, sizeof(fix),
				"Remove %s from the alert's QRadar SOAR action: SOAR sets that field itself.",
				mapping_name(f, m->key, mn, sizeof(mn)));
			skipped(c, m, "read_only", fix, "read-only field");
			continue;
		}
		if (f->type == FT_OTHER) {
			snprintf(
				fix, sizeof(fix),
				"Remove %s from the alert's QRadar SOAR action: the add-on cannot fill %s fields.",
				mapping_name(f, m->key, mn, sizeof(mn)),
				f->input_type ? f->input_type : "such");
			snprintf(why, sizeof(why),
				 "fields of type %s cannot be mapped",
				 f->input_type ? f->input_type : "(none)");
			skipped(c, m, "unmappable_type", fix, why);
			continue;
		}
		s = expand(c, m->tmpl, is_html(f) ? text_html_escape : NULL);
		if (!s)
			return;
		if (strcmp(m->key, QS_NOTABLE_KEY) == 0 && !text_is_blank(s)) {
			free(c->out->dedup_key);
			c->out->dedup_key = strdup(text_trim(s));
			if (!c->out->dedup_key)
				c->oom = 1;
		}
		if (text_is_blank(s)) {
			if (f->required && !casebuild_has_fallback(f->key))
				fail_row(c, "%s: required field is empty",
					 f->key);
			free(s);
			continue;
		}
		v = convert(c, f, s);
		free(s);
		if (!v)
			continue;
		if (add_change(c->out->changes, f, v) != 0) {
			json_decref(v);
			c->oom = 1;
		} else if (place(c->out->body, f, v) != 0) {
			c->oom = 1;
		}
	}
}

/* Required fields nobody mapped make the server refuse the case. */
static void check_required(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->cat->ndefs; i++) {
		const struct fielddef *f = &c->cat->defs[i];
		json_t *where =
			f->prefix ? json_object_get(c->out->body, f->prefix)
				  : c->out->body;

		if (!f->required || f->server_default || f->read_only ||
		    casebuild_has_fallback(f->key))
			continue;
		if (!json_object_get(where, f->name))
			fail_row(
				c,
				"%s: required field has no value (map it with mapping_%s)",
				f->key, f->key);
	}
}

int casebuild_has_fallback(const char *key)
{
	return strcmp(key, "name") == 0 || strcmp(key, "discovered_date") == 0;
}

/* The fallbacks of casebuild_has_fallback, and the notable key. */
static void defaults(struct ctx *c)
{
	const struct payload *p = c->tc->payload;
	json_t *body = c->out->body;
	const struct field *ev;

	if (!json_object_get(body, "name")) {
		const char *n = (p && p->search_name && *p->search_name)
					? p->search_name
					: "Splunk alert";
		char *fixed = convert_utf8_dup(n, strlen(n));

		if (!fixed ||
		    json_object_set_new(body, "name", json_string(fixed)))
			c->oom = 1;
		free(fixed);
	}
	if (!json_object_get(body, "discovered_date")) {
		long long t = p ? text_trigger_time(p->sid) : -1;

		if (json_object_set_new(
			    body, "discovered_date",
			    json_integer(t >= 0 ? t * 1000 : c->out->now_ms)))
			c->oom = 1;
	}
	if (!c->out->dedup_key && c->tc->row) {
		ev = row_field(c->tc->row, "event_id");
		if (ev && ev->nvals > 0 && !text_is_blank(ev->vals[0])) {
			c->out->dedup_key =
				convert_utf8_dup(ev->vals[0], ev->lens[0]);
			if (!c->out->dedup_key)
				c->oom = 1;
		}
	}
	if (c->out->dedup_key && catalog_field(c->cat, QS_NOTABLE_KEY)) {
		json_t *props = json_object_get(body, "properties");

		if (!props) {
			props = json_object();
			/* a failed set frees props: it must not be used then */
			if (!props ||
			    json_object_set_new(body, "properties", props)) {
				c->oom = 1;
				props = NULL;
			}
		}
		if (props && !json_object_get(props, QS_NOTABLE_FIELD) &&
		    json_object_set_new(props, QS_NOTABLE_FIELD,
					json_string(c->out->dedup_key)))
			c->oom = 1;
	}
}

struct art_ctx {
	struct ctx *c;
	const char *type;
	const char *desc;
	size_t dropped;
};

static int add_artifact(void *arg, const char *s, size_t n)
{
	struct art_ctx *a = arg;
	json_t *arr = a->c->out->artifacts, *e;
	char *v = convert_utf8_dup(s, n), *t;
	size_t i;
	int rc = 0;

	if (!v)
		return -1;
	t = text_trim(v);
	if (!*t)
		goto out;
	json_array_foreach(arr, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "type")),
			   a->type) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "value")), t) ==
			    0)
			goto out;
	}
	if (json_array_size(arr) >= QS_ARTIFACTS_PER_CASE_MAX) {
		a->dropped++;
		goto out;
	}
	e = json_pack("{s:s,s:s}", "type", a->type, "value", t);
	if (e && *a->desc &&
	    json_object_set_new(e, "description", json_string(a->desc))) {
		json_decref(e);
		e = NULL;
	}
	/* json_array_append_new takes e even when it fails */
	if (!e || json_array_append_new(arr, e))
		rc = -1;
out:
	free(v);
	return rc;
}

static void map_artifacts(struct ctx *c)
{
	size_t i, dropped = 0;

	for (i = 0; i < c->cfg->narts && !c->oom; i++) {
		const struct artifact_tmpl *t = &c->cfg->arts[i];
		char *type = expand(c, t->type, NULL), *desc = NULL, *tt;
		const char *name;
		struct art_ctx a;

		if (!type)
			return;
		tt = text_trim(type);
		name = tt;
		if (!*tt) {
			free(type);
			continue;
		}
		if (c->cat->types_doc) {
			const json_t *e = catalog_artifact_type(c->cat, tt);

			if (!e) {
				char key[32];

				snprintf(key, sizeof(key), "artifact%d", t->n);
				left_out(
					c, key, tt, "unknown_artifact_type",
					"Give artifact types by the names the org's alert form offers (the setup page lists them in the alert action).",
					"artifact%d: unknown artifact type \"%s\"; skipped",
					t->n, tt);
				free(type);
				continue;
			}
			name = json_string_value(json_object_get(e, "name"));
		}
		desc = expand(c, t->desc, NULL);
		if (!desc) {
			free(type);
			return;
		}
		a.c = c;
		a.type = name;
		a.desc = text_trim(desc);
		a.dropped = 0;
		if (tokens_expand_each(t->value, c->tc, add_artifact, &a) != 0)
			c->oom = 1;
		dropped += a.dropped;
		free(type);
		free(desc);
	}
	if (dropped) {
		char n[32];

		snprintf(n, sizeof(n), "%zu", dropped);
		left_out(
			c, "artifacts", n, "artifacts_cut",
			"Map fewer artifact values: a multivalue field gives one artifact per value, and one case takes no more than that limit from a result.",
			"artifacts: %zu more artifacts over the limit of %d per case were not added",
			dropped, QS_ARTIFACTS_PER_CASE_MAX);
	}
}

int casebuild_row(struct case_row *out, const struct action_config *cfg,
		  const struct catalog *cat, const struct token_ctx *tc,
		  long long now_ms)
{
	struct ctx c = { out, cfg, cat, tc, 0 };

	out->now_ms = now_ms;
	out->body = json_object();
	out->changes = json_array();
	out->artifacts = json_array();
	out->warnings = json_array();
	out->left_out = json_array();
	if (!out->body || !out->changes || !out->artifacts || !out->warnings ||
	    !out->left_out)
		return -1;
	map_fields(&c);
	if (!c.oom)
		defaults(&c);
	if (!c.oom)
		check_required(&c);
	if (!c.oom)
		map_artifacts(&c);
	if (c.oom)
		return -1;
	if (json_array_size(out->artifacts) > 0 &&
	    json_object_set(out->body, "artifacts", out->artifacts) != 0)
		return -1;
	if (out->error) {
		json_decref(out->body);
		out->body = NULL;
	}
	return 0;
}

void case_row_free(struct case_row *r)
{
	json_decref(r->body);
	json_decref(r->changes);
	json_decref(r->artifacts);
	json_decref(r->warnings);
	json_decref(r->left_out);
	free(r->error);
	free(r->dedup_key);
	memset(r, 0, sizeof(*r));
}
