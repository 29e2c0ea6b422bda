#include "util/html.h"
#include "util/buf.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Elements that start a line of their own in a browser. */
static int is_block(const char *name)
{
	static const char *const blocks[] = {
		"address", "article", "aside",	 "blockquote", "dd",
		"div",	   "dl",      "dt",	 "fieldset",   "figcaption",
		"figure",  "footer",  "form",	 "h1",	       "h2",
		"h3",	   "h4",      "h5",	 "h6",	       "header",
		"hr",	   "li",      "main",	 "nav",	       "ol",
		"p",	   "pre",     "section", "table",      "tbody",
		"td",	   "tfoot",   "th",	 "thead",      "tr",
		"ul",	   "body",    "html",	 NULL
	};
	size_t i;

	for (i = 0; blocks[i]; i++)
		if (strcasecmp(name, blocks[i]) == 0)
			return 1;
	return 0;
}

static int is_hidden(const char *name)
{
	return strcasecmp(name, "script") == 0 ||
	       strcasecmp(name, "style") == 0 || strcasecmp(name, "head") == 0;
}

/* The text of n and its children into b: text as is (whitespace is
 * normalised afterwards), a '\n' around each block. */
static void walk(const xmlNode *n, struct buf *b)
{
	for (; n; n = n->next) {
		const char *name = (const char *)n->name;

		if (n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE) {
			const char *t = (const char *)n->content;

			/* a line break in HTML source renders as a space */
			for (; t && *t; t++)
				buf_putc(b,
					 *t == '\n' || *t == '\r' ? ' ' : *t);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || !name || is_hidden(name))
			continue;
		if (strcasecmp(name, "br") == 0) {
			buf_putc(b, '\n');
			continue;
		}
		if (is_block(name))
			buf_putc(b, '\n');
		walk(n->children, b);
		if (is_block(name))
			buf_putc(b, '\n');
	}
}

/* s cut to at most max bytes plus "…" (whole UTF-8 characters kept). */
static char *cut_utf8(char *s, size_t max)
{
	size_t cut = max;
	char *r;

	if (!s || !max || strlen(s) <= max)
		return s;
	/* back off continuation bytes to a character's first byte */
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	r = realloc(s, cut + 4);
	if (!r) {
		free(s);
		return NULL;
	}
	memcpy(r + cut, "\xe2\x80\xa6", 4);
	return r;
}

/* Spaces and tabs (and a newline inside running text, which HTML renders
 * as a space) become one space; lines are trimmed; empty lines go. */
static char *normalise(const char *s, size_t max)
{
	struct buf out = BUF_INIT(1 << 20);
	const char *p = s;
	int lines = 0;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int space = 0, any = 0;
		size_t i;

		for (i = 0; i < len; i++) {
			char c = p[i];

			if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
			    c == '\v') {
				space = 1;
				continue;
			}
			if (!any && lines)
				buf_putc(&out, '\n');
			else if (any && space)
				buf_putc(&out, ' ');
			buf_putc(&out, c);
			any = 1;
			space = 0;
		}
		lines += any;
		p += len + (e ? 1 : 0);
	}
	return cut_utf8(buf_take(&out), max);
}

char *html_to_text(const char *html, size_t max)
{
	htmlDocPtr doc;
	struct buf raw = BUF_INIT(1 << 20);
	char *text;

	if (!html || !*html) {
		text = malloc(1);
		if (text)
			*text = '\0';
		return text;
	}
	if (!strchr(html, '<') && !strchr(html, '&'))
		return normalise(html, max);
	doc = htmlReadMemory(html, (int)strnlen(html, 1 << 20), NULL, "UTF-8",
			     HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
				     HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED);
	if (!doc)
		return normalise(html, max);
	walk(xmlDocGetRootElement(doc) ? doc->children : NULL, &raw);
	xmlFreeDoc(doc);
	text = buf_take(&raw);
	if (!text)
		return NULL;
	{
		char *t = normalise(text, max);

		free(text);
		return t;
	}
}
