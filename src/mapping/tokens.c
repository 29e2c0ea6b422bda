#include "mapping/tokens.h"
#include "util/text.h"

#include "mapping/payload.h"

#include <stdio.h>
#include <string.h>

static int tok_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	       c == '-';
}

static int put(struct buf *out, const char *s, size_t n, tokens_escape_fn esc)
{
	if (esc)
		return esc(out, s, n);
	return buf_append(out, s, n);
}

static const char *payload_key(const struct payload *p, const char *name,
			       size_t n)
{
	if (!p)
		return NULL;
#define K(s, f)                                            \
	if (n == sizeof(s) - 1 && memcmp(name, s, n) == 0) \
	return p->f
	K("name", search_name);
	K("search_name", search_name);
	K("app", app);
	K("owner", owner);
	K("sid", sid);
	K("results_link", results_link);
	K("server_host", server_host);
#undef K
	return NULL;
}

/* Finds the end of the token opening at t[0] == '$'. Returns the index of
 * the closing '$' or 0 when t does not open a token. */
static size_t token_end(const char *t)
{
	size_t i;

	if (strncmp(t + 1, "result.", 7) == 0) {
		for (i = 8; t[i] && t[i] != '$'; i++)
			;
		return t[i] == '$' && i > 8 ? i : 0;
	}
	for (i = 1; t[i] && tok_char((unsigned char)t[i]); i++)
		;
	return t[i] == '$' && i > 1 ? i : 0;
}

static const struct field *find_field(const struct row *row, const char *name,
				      size_t n)
{
	size_t i;

	if (!row)
		return NULL;
	for (i = 0; i < row->nfields; i++) {
		const char *fn = row->fields[i].name;
		if (fn && strlen(fn) == n && memcmp(fn, name, n) == 0)
			return &row->fields[i];
	}
	return NULL;
}

/* Expands one token t[0..end]; when only_field is non-NULL and the token is
 * that field, only value index vi is used. */
static int expand_token(struct buf *out, const char *t, size_t end,
			const struct token_ctx *ctx, tokens_escape_fn esc,
			const struct field *only_field, size_t vi)
{
	const struct payload *p = ctx ? ctx->payload : NULL;
	const char *name = t + 1;
	size_t n = end - 1;
	int rc = 0;

	if (n > 7 && memcmp(name, "result.", 7) == 0) {
		const struct field *f =
			find_field(ctx ? ctx->row : NULL, name + 7, n - 7);
		size_t i;

		if (!f)
			return 0;
		if (f == only_field)
			return put(out, f->vals[vi], f->lens[vi], esc);
		for (i = 0; i < f->nvals && rc == 0; i++) {
			if (i > 0)
				rc = put(out, ",", 1, esc);
			if (rc == 0)
				rc = put(out, f->vals[i], f->lens[i], esc);
		}
		return rc;
	}
	if (n == 12 && memcmp(name, "trigger_time", 12) == 0) {
		char tt[32] = "";
		long long at = text_trigger_time(p ? p->sid : NULL);

		if (at >= 0)
			snprintf(tt, sizeof tt, "%lld", at);
		return put(out, tt, strlen(tt), esc);
	}
	{
		const char *v = payload_key(p, name, n);
		if (v)
			return put(out, v, strlen(v), esc);
	}
	return 0;
}

static int expand(struct buf *out, const char *tmpl,
		  const struct token_ctx *ctx, tokens_escape_fn esc,
		  const struct field *only, size_t vi)
{
	const char *s = tmpl;
	int rc = 0;

	if (!tmpl)
		return out->failed;
	while (*s && rc == 0) {
		const char *d = strchr(s, '$');
		size_t end;

		if (!d) {
			rc = buf_puts(out, s);
			break;
		}
		if (d > s)
			rc = buf_append(out, s, (size_t)(d - s));
		if (rc)
			break;
		if (d[1] == '$') {
			rc = buf_putc(out, '$');
			s = d + 2;
			continue;
		}
		end = token_end(d);
		if (!end) {
			rc = buf_putc(out, '$');
			s = d + 1;
			continue;
		}
		rc = expand_token(out, d, end, ctx, esc, only, vi);
		s = d + end + 1;
	}
	return rc ? rc : out->failed;
}

int tokens_expand(struct buf *out, const char *tmpl,
		  const struct token_ctx *ctx, tokens_escape_fn esc)
{
	return expand(out, tmpl, ctx, esc, NULL, 0);
}

/* The single multivalue field the template references, or NULL when none
 * or more than one distinct one. */
static const struct field *multi_field(const char *tmpl,
				       const struct token_ctx *ctx)
{
	const struct field *found = NULL;
	const char *s = tmpl;

	while (s && *s) {
		const char *d = strchr(s, '$');
		size_t end;

		if (!d)
			break;
		if (d[1] == '$') {
			s = d + 2;
			continue;
		}
		end = token_end(d);
		if (!end) {
			s = d + 1;
			continue;
		}
		if (end > 8 && strncmp(d + 1, "result.", 7) == 0) {
			const struct field *f = find_field(
				ctx ? ctx->row : NULL, d + 8, end - 8);
			if (f && f->nvals > 1) {
				if (found && found != f)
					return NULL;
				found = f;
			}
		}
		s = d + end + 1;
	}
	return found;
}

int tokens_expand_each(const char *tmpl, const struct token_ctx *ctx,
		       int (*emit)(void *arg, const char *s, size_t n),
		       void *arg)
{
	struct buf b = BUF_INIT(BUF_CAP_TEMPLATE);
	const struct field *f = multi_field(tmpl, ctx);
	size_t i, n = f ? f->nvals : 1;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		buf_reset(&b);
		rc = expand(&b, tmpl, ctx, NULL, f, i);
		if (rc == 0)
			rc = emit(arg, buf_str(&b), b.len);
	}
	buf_free(&b);
	return rc;
}

int tokens_result_fields(const char *tmpl,
			 int (*emit)(void *arg, const char *name, size_t n),
			 void *arg)
{
	const char *s = tmpl;
	int rc = 0;

	while (s && *s && rc == 0) {
		const char *d = strchr(s, '$');
		size_t end;

		if (!d)
			break;
		if (d[1] == '$') {
			s = d + 2;
			continue;
		}
		end = token_end(d);
		if (!end) {
			s = d + 1;
			continue;
		}
		if (end > 8 && strncmp(d + 1, "result.", 7) == 0)
			rc = emit(arg, d + 8, end - 8);
		s = d + end + 1;
	}
	return rc;
}
