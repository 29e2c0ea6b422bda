#include "alert/note.h"
#include "util/buf.h"
#include "util/html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A value longer than this is cut: the note lists changes, it does not
 * repeat a whole description. */
#define VALUE_MAX 200

struct note_book {
	struct note_entry *e;
	size_t n, cap;
};

struct note_book *note_book_new(void)
{
	return calloc(1, sizeof(struct note_book));
}

static void entry_free(struct note_entry *e)
{
	free(e->event_id);
	free(e->rid);
	free(e->orig_sid);
	free(e->orig_rid);
	json_decref(e->changed);
	json_decref(e->added);
}

void note_book_free(struct note_book *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++)
		entry_free(&b->e[i]);
	free(b->e);
	free(b);
}

/* Replaces *dst with a copy of src (NULL stays NULL); -1 on out of memory. */
static int set_str(char **dst, const char *src)
{
	char *c = src ? strdup(src) : NULL;

	if (src && !c)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

static struct note_entry *entry_of(struct note_book *b, long long case_id)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->e[i].case_id == case_id)
			return &b->e[i];
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct note_entry *e = realloc(b->e, cap * sizeof(*e));

		if (!e)
			return NULL;
		b->e = e;
		b->cap = cap;
	}
	memset(&b->e[b->n], 0, sizeof(b->e[b->n]));
	b->e[b->n].case_id = case_id;
	b->e[b->n].changed = json_object();
	b->e[b->n].added = json_array();
	if (!b->e[b->n].changed || !b->e[b->n].added) {
		entry_free(&b->e[b->n]);
		return NULL;
	}
	return &b->e[b->n++];
}

static int same_artifact(const json_t *a, const json_t *b)
{
	return json_equal(json_object_get(a, "type"),
			  json_object_get(b, "type")) &&
	       json_equal(json_object_get(a, "value"),
			  json_object_get(b, "value"));
}

int note_book_add(struct note_book *b, long long case_id, int created,
		  const char *event_id, const json_t *changed,
		  const json_t *added, const char *rid, const char *orig_sid,
		  const char *orig_rid)
{
	struct note_entry *e = entry_of(b, case_id);
	size_t i, j;
	json_t *a, *h;

	if (!e)
		return -1;
	e->created |= created;
	if ((event_id && !e->event_id && set_str(&e->event_id, event_id)) ||
	    set_str(&e->rid, rid) || set_str(&e->orig_sid, orig_sid) ||
	    set_str(&e->orig_rid, orig_rid))
		return -1;
	if (changed && json_object_update(e->changed, (json_t *)changed))
		return -1;
	json_array_foreach(added, i, a) {
		int dup = 0;

		json_array_foreach(e->added, j, h)
			dup |= same_artifact(a, h);
		if (!dup && json_array_append(e->added, a))
			return -1;
	}
	return 0;
}

size_t note_book_size(const struct note_book *b)
{
	return b ? b->n : 0;
}

const struct note_entry *note_book_get(const struct note_book *b, size_t i)
{
	return b && i < b->n ? &b->e[i] : NULL;
}

int note_needed(const struct note_entry *e)
{
	return !e->created &&
	       (json_object_size(e->changed) || json_array_size(e->added));
}

static void utc(long long ms, int with_time, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, n, "%lld", ms);
		return;
	}
	strftime(out, n, with_time ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d", &tm);
}

/* One value as the analyst reads it in SOAR. */
static void put_value(struct buf *b, const struct fielddef *f, const json_t *v)
{
	char tmp[64];
	const char *label;
	char *text;

	if (json_is_array(v)) {
		size_t i;
		json_t *x;

		json_array_foreach(v, i, x) {
			if (i)
				buf_puts(b, ", ");
			put_value(b, f, x);
		}
		return;
	}
	label = f ? fielddef_label(f, v) : NULL;
	if (label) {
		buf_puts(b, label);
		return;
	}
	if (json_is_object(v) && json_is_string(json_object_get(v, "content")))
		v = json_object_get(v, "content");
	if (json_is_integer(v) && f &&
	    (f->type == FT_DATE || f->type == FT_DATETIME)) {
		utc(json_integer_value(v), f->type == FT_DATETIME, tmp,
		    sizeof(tmp));
		buf_puts(b, tmp);
	} else if (json_is_integer(v)) {
		buf_printf(b, "%lld", (long long)json_integer_value(v));
	} else if (json_is_boolean(v)) {
		buf_puts(b, json_is_true(v) ? "Yes" : "No");
	} else if (json_is_string(v)) {
		text = html_to_text(json_string_value(v), VALUE_MAX);
		if (!text) {
			buf_puts(b, "(out of memory)");
			return;
		}
		/* one line per change */
		for (char *p = text; *p; p++)
			if (*p == '\n')
				*p = ' ';
		buf_puts(b, *text ? text : "(empty)");
		free(text);
	} else {
		buf_puts(b, "(empty)");
	}
}

char *note_text(const struct note_about *a, const struct note_entry *e,
		const struct catalog *cat)
{
	struct buf b = BUF_INIT(1 << 20);
	char when[64];
	const char *key;
	json_t *v;
	size_t i, k = 0;

	utc(a->when_s * 1000, 1, when, sizeof(when));
	if (a->search_name && *a->search_name)
		buf_printf(&b, "Splunk search \"%s\" fired again at %s",
			   a->search_name, when);
	else
		buf_printf(
			&b,
			"An ad hoc run by %s escalated this case again at %s",
			a->owner && *a->owner ? a->owner : "a Splunk user",
			when);
	if (e->event_id)
		buf_printf(&b, " for notable %s", e->event_id);
	buf_puts(&b, ".");
	json_object_foreach(e->changed, key, v) {
		const struct fielddef *f = catalog_field(cat, key);

		buf_puts(&b, k++ ? "; " : "\nChanged fields: ");
		buf_printf(&b,
			   "%s: ", f && f->text && *f->text ? f->text : key);
		put_value(&b, f, v);
	}
	json_array_foreach(e->added, i, v) {
		const char *t = json_string_value(json_object_get(v, "type"));
		const char *val =
			json_string_value(json_object_get(v, "value"));

		buf_printf(&b, "%s%s %s",
			   i ? "; " : "\nNew artifacts: ", t ? t : "artifact",
			   val ? val : "");
	}
	return buf_take(&b);
}
