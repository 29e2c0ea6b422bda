#ifndef QS_TEXT_H
#define QS_TEXT_H

#include "util/buf.h"

#include <stddef.h>

/*
 * The small text rules both programs share, each defined once. White space
 * is ASCII's (space, \t, \n, \r, \f, \v) whatever the locale; case folding
 * is ASCII's.
 */

int text_is_space(int c);

/* s without the white space around it: moves past the leading white space
 * and cuts the trailing white space in place. */
char *text_trim(char *s);

/* The trimmed part of s, [*b, *e), without changing s. */
void text_trim_span(const char *s, const char **b, const char **e);

/* s is NULL, empty or only white space. */
int text_is_blank(const char *s);

/* A boolean as settings and field values spell it, trimmed, any case:
 * "1", "true", "yes", "on" → 1; "0", "false", "no", "off", and an empty
 * or NULL value (a setting left unset) → 0; anything else → -1. */
int text_bool(const char *s);

/* A decimal integer, trimmed, with an optional sign, from lo to hi, into
 * *out; 0, or -1 when s is anything else ("3.0", "1e3", "0x10", digits
 * after a space, an overflow, a value out of range). */
int text_int(const char *s, long long lo, long long hi, long long *out);

/* Appends s (n bytes) to out with & < > " ' as &amp; &lt; &gt; &quot;
 * &#x27; (safe in HTML text and in attribute values either quote
 * delimits). Returns 0 or a buf_err. */
int text_html_escape(struct buf *out, const char *s, size_t n);

/* A malloc'd percent-encoding of s for a URL path segment, query or form
 * value (RFC 3986: only unreserved characters stay; libcurl's
 * curl_easy_escape); NULL on out of memory. */
char *text_url_escape(const char *s);

/* The wall clock in epoch milliseconds. */
long long text_now_ms(void);

/* The trigger time in epoch seconds from a search id's "_at_<epoch>" part
 * (scheduler_…_at_1714557600_123), or -1 when sid is NULL or has none. */
long long text_trigger_time(const char *sid);

#endif
