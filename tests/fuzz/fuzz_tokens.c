/* Fuzzes tokens_expand and tokens_expand_each: the input is split at the
 * first NUL into a template and a row value (which may itself hold tokens,
 * to check values are never rescanned). */
#include "mapping/convert.h"
#include "util/text.h"
#include "mapping/payload.h"
#include "mapping/tokens.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int sink(void *arg, const char *s, size_t n)
{
	(void)arg;
	(void)s;
	(void)n;
	return 0;
}

static int item(void *arg, const char *s)
{
	(void)arg;
	return s[0] == '\0'; /* items are never empty */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tmpl = malloc(size + 1);
	const char *nul;
	const char *vals[2];
	size_t lens[2];
	struct field f[2];
	struct row row;
	struct payload p;
	struct token_ctx ctx = { &p, &row };
	struct buf b = BUF_INIT(BUF_CAP_TEMPLATE);

	if (!tmpl)
		return 0;
	memcpy(tmpl, data, size);
	tmpl[size] = '\0';
	nul = memchr(data, 0, size);
	vals[0] = nul ? tmpl + (nul - (const char *)data) + 1 : "";
	lens[0] = strlen(vals[0]);
	vals[1] = "$result.x$";
	lens[1] = 10;
	f[0].name = "x";
	f[0].nvals = 2;
	f[0].vals = vals;
	f[0].lens = lens;
	f[1].name = "y";
	f[1].nvals = 1;
	f[1].vals = vals;
	f[1].lens = lens;
	row.index = 0;
	row.nfields = 2;
	row.fields = f;
	memset(&p, 0, sizeof p);
	p.search_name = "s";
	p.sid = "x_at_123";
	tokens_expand(&b, tmpl, &ctx, NULL);
	buf_reset(&b);
	tokens_expand(&b, tmpl, &ctx, text_html_escape);
	if (!b.failed) {
		char *r = convert_utf8_dup(buf_str(&b), b.len);
		free(r);
	}
	buf_free(&b);
	tokens_expand_each(tmpl, &ctx, sink, NULL);
	/* the typed conversions take the same kind of resolved strings */
	{
		long long v;
		convert_date_ms(tmpl, &v);
		text_int(tmpl, LLONG_MIN, LLONG_MAX, &v);
		text_bool(tmpl);
		convert_split_list(tmpl, item, NULL);
	}
	free(tmpl);
	return 0;
}
