#include "setup/alertform.h"
#include "util/text.h"
#include "util/names.h"
#include "util/buf.h"
#include "setup/confwrite.h"
#include "mapping/casebuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_CAP (32u * 1024 * 1024)
#define CHOICES_LISTED 40    /* in a help text */
#define CHOICES_OFFERED 2000 /* in a datalist */
#define PARAM "action.qradar_soar.param."

int alertform_escape(struct buf *b, const char *s)
{
	const char *p = s ? s : "", *run = p;

	for (; *p; p++) {
		/* Splunk Web fills {{SPLUNKWEB_URL_PREFIX}}-style placeholders
		 * in this file: server text must not form one */
		const char *rep = *p == '{'   ? "&#123;"
				  : *p == '}' ? "&#125;"
					      : " ";

		if (*p != '{' && *p != '}' && (unsigned char)*p >= 0x20 &&
		    *p != 0x7f)
			continue;
		text_html_escape(b, run, (size_t)(p - run));
		buf_puts(b, rep);
		run = p + 1;
	}
	text_html_escape(b, run, (size_t)(p - run));
	return b->failed ? -1 : 0;
}

/* An HTML id from a mapping key: [A-Za-z0-9_] only. */
static void put_id(struct buf *b, const char *what, const char *key)
{
	const char *p;

	buf_printf(b, "qradar_soar_%s", what);
	for (p = key; *p; p++) {
		char c = *p;

		buf_putc(b, ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9'))
				    ? c
				    : '_');
	}
}

/* A choice the form can offer: usable, and with a label to show. */
static int usable(const json_t *v)
{
	return fielddef_choice_usable(v) &&
	       json_string_value(json_object_get(v, "label"));
}

static void put_choices_text(struct buf *b, const struct fielddef *f)
{
	size_t i, shown = 0, total = 0;
	json_t *v;

	json_array_foreach(f->values, i, v) {
		if (!usable(v))
			continue;
		total++;
		if (shown >= CHOICES_LISTED)
			continue;
		buf_puts(b, shown ? ", " : "");
		alertform_escape(
			b, json_string_value(json_object_get(v, "label")));
		shown++;
	}
	if (total > shown)
		buf_printf(b, " and %zu more", total - shown);
	if (!total)
		buf_puts(b, "(no choices are enabled)");
}

static void put_datalist(struct buf *b, const struct fielddef *f)
{
	size_t i, n = 0;
	json_t *v;

	buf_puts(b, "\n    <datalist id=\"");
	put_id(b, "choices_", f->key);
	buf_puts(b, "\">");
	if (f->type == FT_BOOLEAN) {
		buf_puts(
			b,
			"<option value=\"true\"></option><option value=\"false\"></option>");
	} else {
		json_array_foreach(f->values, i, v) {
			if (!usable(v) || n++ >= CHOICES_OFFERED)
				continue;
			buf_puts(b, "<option value=\"");
			alertform_escape(b, json_string_value(json_object_get(
						    v, "label")));
			buf_puts(b, "\"></option>");
		}
	}
	buf_puts(b, "</datalist>");
}

static void put_help(struct buf *b, const struct fielddef *f, int required)
{
	if (required)
		buf_puts(b, "Required. ");
	if (strcmp(f->key, "name") == 0) {
		buf_puts(
			b,
			"The case name; empty: the search's name. Tokens such as $result.rule_title$ are resolved per result.");
	} else if (strcmp(f->key, "discovered_date") == 0) {
		buf_puts(
			b,
			"When the activity was discovered: epoch seconds ($result._time$), YYYY/MM/DD [HH:MM:SS [+HHMM]] or ISO 8601, UTC unless an offset is given; empty: the search's trigger time.");
	} else if (strcmp(f->key, QS_NOTABLE_KEY) == 0) {
		buf_puts(
			b,
			"Lets later runs update the open case instead of creating a duplicate ($result.event_id$ for ES notables).");
	} else {
		switch (f->type) {
		case FT_TEXTAREA:
			buf_puts(
				b,
				f->rich_text
					? "HTML; token values are HTML-escaped, your markup is kept."
					: "Text.");
			break;
		case FT_BOOLEAN:
			buf_puts(b, "true or false (yes/no, 1/0).");
			break;
		case FT_NUMBER:
			buf_puts(b, "A whole number.");
			break;
		case FT_DATE:
			buf_puts(
				b,
				"A date: epoch seconds ($result._time$), YYYY/MM/DD or ISO 8601.");
			break;
		case FT_DATETIME:
			buf_puts(
				b,
				"Epoch seconds ($result._time$), YYYY/MM/DD [HH:MM:SS [+HHMM]] or ISO 8601; UTC unless an offset is given.");
			break;
		case FT_SELECT:
			buf_puts(b, "One of: ");
			put_choices_text(b, f);
			buf_puts(b, ".");
			break;
		case FT_MULTISELECT:
			buf_puts(b, "Comma-separated, from: ");
			put_choices_text(b, f);
			buf_puts(b, ".");
			break;
		case FT_SELECT_OWNER:
			buf_puts(b, "A SOAR user's email (or Name (email), as SOAR shows users), a user id or a group name.");
			break;
		case FT_MULTISELECT_MEMBERS:
			buf_puts(
				b,
				"Comma-separated SOAR user emails (or Name (email)), user ids or group names.");
			break;
		default:
			buf_puts(b, "Text.");
		}
	}
	buf_puts(b, " SOAR field ");
	alertform_escape(b, f->key);
	buf_puts(b, ".");
}

/* Marked required in the form: what the case cannot be made without. The
 * name and the discovery date are required by SOAR, but the action fills
 * them (casebuild_has_fallback). */
static int form_required(const struct fielddef *f)
{
	return f->required && !f->server_default &&
	       !casebuild_has_fallback(f->key);
}

static void put_field(struct buf *b, const struct fielddef *f)
{
	int required = form_required(f);
	int list = f->type == FT_SELECT || f->type == FT_MULTISELECT ||
		   f->type == FT_BOOLEAN;

	buf_puts(
		b,
		"<div class=\"control-group\">\n  <label class=\"control-label\" for=\"");
	put_id(b, "mapping_", f->key);
	buf_puts(b, "\">");
	alertform_escape(b, f->text ? f->text : f->key);
	if (required)
		buf_puts(b, " <span class=\"required\">*</span>");
	buf_puts(b, "</label>\n  <div class=\"controls\">\n    ");
	/* one plain text input per field, textareas included: plain inputs
	 * are what ES 8's detection editor keeps */
	buf_puts(b, "<input type=\"text\" name=\"" PARAM "mapping_");
	alertform_escape(b, f->key);
	buf_puts(b, "\" id=\"");
	put_id(b, "mapping_", f->key);
	if (list) {
		buf_puts(b, "\" list=\"");
		put_id(b, "choices_", f->key);
	}
	buf_puts(b, "\"/>");
	if (list)
		put_datalist(b, f);
	buf_puts(b, "\n    <span class=\"help-block\">");
	put_help(b, f, required);
	buf_puts(b, "</span>\n  </div>\n</div>\n");
}

int alertform_artifact_type_ok(const json_t *t)
{
	const char *n = json_string_value(json_object_get(t, "name"));

	/* SOAR refuses file types on the artifacts endpoint the action uses */
	return n && *n && !json_is_false(json_object_get(t, "enabled")) &&
	       !json_is_true(json_object_get(t, "file"));
}

/*
 * One input per artifact row, artifactN = type|value|description: the
 * form ES 8's detection editor keeps, and the one that wins over the
 * legacy trio (artifactNtype/value/description) of older saved searches,
 * which the action still reads. The list offers "<type>|" for each of the
 * org's artifact types (one datalist for all rows), so the type is picked
 * and the value typed after it.
 */
static void put_artifact(struct buf *b, const struct catalog *cat, int n)
{
	const json_t *ents = json_object_get(cat->types_doc, "entities"), *t;
	size_t i;

	buf_printf(
		b,
		"<div class=\"control-group\">\n  <label class=\"control-label\" for=\"qradar_soar_artifact%d\">Artifact %d</label>\n  <div class=\"controls\">\n    <input type=\"text\" name=\"" PARAM
		"artifact%d\" id=\"qradar_soar_artifact%d\" list=\"qradar_soar_artifact_types\"/>\n",
		n, n, n, n);
	if (n == 1) {
		buf_puts(b,
			 "    <datalist id=\"qradar_soar_artifact_types\">\n");
		json_array_foreach(ents, i, t) {
			const char *name =
				json_string_value(json_object_get(t, "name"));

			if (!alertform_artifact_type_ok(t))
				continue;
			buf_puts(b, "      <option value=\"");
			alertform_escape(b, name);
			buf_puts(b, "|\"/>\n");
		}
		buf_puts(b, "    </datalist>\n");
	}
	buf_puts(b, "    <span class=\"help-block\">" CONFWRITE_ARTIFACT_HINT
		    ". The list offers the org's artifact types; a multi-value field gives one artifact per value.</span>\n  </div>\n</div>\n");
}

/* Where a field goes in the form; the others keep the catalogue's order. */
static int rank(const struct fielddef *f)
{
	if (strcmp(f->key, "name") == 0)
		return 0;
	if (strcmp(f->key, "description") == 0)
		return 1;
	if (strcmp(f->key, "discovered_date") == 0)
		return 2;
	if (form_required(f))
		return 3;
	if (strcmp(f->key, QS_NOTABLE_KEY) == 0)
		return 4;
	return 5;
}

char *alertform_html(const struct catalog *cat, const char *org,
		     int num_artifacts, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(FORM_CAP);
	size_t i;
	int r, n;
	char *out;

	buf_puts(
		&b,
		"<form class=\"form-horizontal form-complex\">\n<p>Case fields of the SOAR org ");
	if (org && *org) {
		buf_puts(&b, "&quot;");
		alertform_escape(&b, org);
		buf_puts(&b, "&quot;");
	}
	buf_puts(
		&b,
		", as found by the app's setup page (run it again after fields change in SOAR). Values may use tokens such as $result.src$; empty fields are left out of the case.</p>\n");
	for (r = 0; r <= 5; r++)
		for (i = 0; i < cat->ndefs; i++)
			if (confwrite_mappable(&cat->defs[i]) &&
			    rank(&cat->defs[i]) == r)
				put_field(&b, &cat->defs[i]);
	for (n = 1; n <= num_artifacts; n++)
		put_artifact(&b, cat, n);
	buf_puts(
		&b,
		"<p><a href=\"{{SPLUNKWEB_URL_PREFIX}}/help?location=learnmore.alert.action.tokens\" target=\"_blank\">Learn more about tokens</a></p>\n</form>\n");
	out = buf_take(&b);
	if (!out)
		snprintf(
			err, errlen,
			"the alert action form is larger than %u bytes or memory ran out",
			(unsigned)FORM_CAP);
	return out;
}
