#ifndef QS_TOKENS_H
#define QS_TOKENS_H

#include "util/buf.h"
#include "mapping/results.h"

#include <stddef.h>

struct payload;

/*
 * Token expansion for the mapping templates. Grammar (a template is
 * scanned once, left to right; substituted values are never rescanned):
 *   "$$"                 a literal '$'
 *   "$result.<field>$"   the field's value in the row (empty if absent);
 *                        a multivalue field joins its values with ','
 *   "$name$" "$search_name$"  the payload's search_name
 *   "$app$" "$owner$" "$sid$" "$results_link$" "$server_host$"
 *                        the payload's key of that name
 *   "$trigger_time$"     the sid's trigger epoch, if any
 *   any other "$…$" whose inside is [A-Za-z0-9_.:-]+ : empty
 *   a '$' that does not open a token (no closing '$' before a character
 *   outside that set) stays literal.
 * Field names inside $result.…$ may contain any byte but '$'.
 */
struct token_ctx {
	const struct payload *payload; /* may be NULL */
	const struct row *row;	       /* may be NULL: $result.x$ is empty */
};

/* Escapes a substituted value into out (e.g. HTML). NULL: copied as is. */
typedef int (*tokens_escape_fn)(struct buf *out, const char *s, size_t n);

/* Appends the expansion of tmpl to out. Returns 0, or a buf_err. */
int tokens_expand(struct buf *out, const char *tmpl,
		  const struct token_ctx *ctx, tokens_escape_fn esc);

/* Like tokens_expand, but when the template references exactly one
 * multivalue $result.x$ field (one or more times), produces one string per
 * value of that field instead of joining them. Calls emit for each result;
 * returns 0 or a buf_err. */
int tokens_expand_each(const char *tmpl, const struct token_ctx *ctx,
		       int (*emit)(void *arg, const char *s, size_t n),
		       void *arg);

/* Calls emit with the name of each field a $result.<name>$ token of tmpl
 * names, in order, repeats included (name is not NUL-terminated). Returns
 * 0 or the first non-zero value emit returned. */
int tokens_result_fields(const char *tmpl,
			 int (*emit)(void *arg, const char *name, size_t n),
			 void *arg);

#endif
