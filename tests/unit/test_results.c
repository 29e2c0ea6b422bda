#include "mapping/results.h"
#include "mapping/results_internal.h"
#include "tap.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/qs-results-XXXXXX";

/* Writes data (n bytes) gzipped, or plain when gz is 0; returns the path. */
static const char *put(const char *name, const char *data, size_t n, int gz)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gz) {
		gzFile g = gzopen(path, "wb");

		gzwrite(g, data, (unsigned)n);
		gzclose(g);
	} else {
		f = fopen(path, "wb");
		fwrite(data, 1, n, f);
		fclose(f);
	}
	return path;
}

static const char *val(const struct row *r, const char *name, size_t k)
{
	const struct field *f = row_field(r, name);

	return (f && k < f->nvals) ? f->vals[k] : NULL;
}

static size_t nvals(const struct row *r, const char *name)
{
	const struct field *f = row_field(r, name);

	return f ? f->nvals : (size_t)-1;
}

struct coll {
	char out[256];
	int n;
};

static void collect(void *ctx, const char *v, size_t n)
{
	struct coll *c = ctx;

	strncat(c->out, "[", sizeof(c->out) - strlen(c->out) - 1);
	strncat(c->out, v, n < sizeof(c->out) - strlen(c->out) - 1 ? n : 0);
	strncat(c->out, "]", sizeof(c->out) - strlen(c->out) - 1);
	c->n++;
}

int main(void)
{
	struct results *r = NULL;
	const struct row *row;
	char err[512];
	const char *p;
	char *big;
	struct coll c;
	size_t bign = 10u * 1024 * 1024;
	static const char csv[] =
		"\xEF\xBB\xBFhost,src,_raw,__mv_host,__mv_src,__mv__raw\r\n"
		"h1,\"10.0.0.1\n10.0.0.2\",\"say \"\"hi\"\"\nline two\",,$10.0.0.1$;$10.0.0.2$,\r\n"
		"h2,,plain,,,\n"
		"h3\n"
		"h4,a,b,,$x$$y$;$z$,,extra,cells\n";

	if (!ok(mkdtemp(dir) != NULL, "temp dir"))
		return tap_done();

	memset(&c, 0, sizeof(c));
	is_int(results_decode_mv("$a$;$b$$c$", 10, collect, &c), 2, "mv: two values");
	is_str(c.out, "[a][b$c]", "mv: $$ is a literal $");
	memset(&c, 0, sizeof(c));
	is_int(results_decode_mv("$a$;x", 5, collect, &c), -1, "mv: junk after a value is invalid");
	is_int(c.n, 0, "mv: nothing emitted for an invalid encoding");
	is_int(results_decode_mv("$open", 5, collect, &c), -1, "mv: unterminated value is invalid");

	p = put("r.csv.gz", csv, sizeof(csv) - 1, 1);
	ok(results_open(&r, p, err, sizeof(err)) == RESULTS_OK, "open gzip results");
	ok(results_next(r, &row, err, sizeof(err)) == RESULTS_OK, "row 0");
	is_int(row->index, 0, "row 0 index");
	is_int(row->nfields, 3, "__mv_ columns folded into their fields");
	is_str(val(row, "host", 0), "h1", "BOM stripped from the first column name");
	is_int(nvals(row, "src"), 2, "multivalue from __mv_src");
	is_str(val(row, "src", 1), "10.0.0.2", "second multivalue");
	is_str(val(row, "_raw", 0), "say \"hi\"\nline two", "quotes and embedded newline");
	ok(results_next(r, &row, err, sizeof(err)) == RESULTS_OK, "row 1");
	is_int(nvals(row, "src"), 0, "empty cell has no value");
	is_str(val(row, "_raw", 0), "plain", "plain cell");
	ok(results_next(r, &row, err, sizeof(err)) == RESULTS_OK, "short row");
	is_str(val(row, "host", 0), "h3", "short row keeps its cells");
	is_int(nvals(row, "_raw"), 0, "missing cells are empty, not stale");
	ok(results_next(r, &row, err, sizeof(err)) == RESULTS_OK, "long row");
	is_str(val(row, "src", 0), "x$y", "mv $$ decoded");
	is_str(val(row, "src", 1), "z", "mv second value");
	is_int(results_next(r, &row, err, sizeof(err)), RESULTS_EOF, "clean end");
	results_close(r);

	p = put("hdr.csv.gz", "a,b\n", 4, 1);
	ok(results_open(&r, p, err, sizeof(err)) == RESULTS_OK, "header only opens");
	is_int(results_next(r, &row, err, sizeof(err)), RESULTS_EOF, "header only: zero rows");
	results_close(r);

	/* what is not gzip would otherwise be read as CSV, and become cases */
	p = put("hdr.csv", "a,b\n1,2\n", 8, 0);
	is_int(results_open(&r, p, err, sizeof(err)), RESULTS_GZIP, "an uncompressed file is refused");
	ok(strstr(err, "hdr.csv") && strstr(err, "not gzip"), "the error names the file and says why");
	p = put("random.bin", "\x7f" "ELF\x02\x01,\x01\n\x00\xff,junk\n", 16, 0);
	is_int(results_open(&r, p, err, sizeof(err)), RESULTS_GZIP, "random bytes are refused");
	p = put("zero.csv.gz", "", 0, 0);
	ok(results_open(&r, p, err, sizeof(err)) == RESULTS_OK &&
	   results_next(r, &row, err, sizeof(err)) == RESULTS_EOF, "an empty file: zero rows");
	results_close(r);

	p = put("empty.csv.gz", "", 0, 1);
	ok(results_open(&r, p, err, sizeof(err)) == RESULTS_OK, "empty file opens");
	is_int(results_next(r, &row, err, sizeof(err)), RESULTS_EOF, "empty file: zero rows");
	results_close(r);

	p = put("quote.csv", "a\n\"open\n", 8, 1);
	ok(results_open(&r, p, err, sizeof(err)) == RESULTS_OK, "open quote file opens");
	is_int(results_next(r, &row, err, sizeof(err)), RESULTS_CSV, "quote open at EOF is an error");
	ok(strstr(err, "quote.csv") != NULL, "error names the file");
	results_close(r);

	is_int(results_open(&r, "/nonexistent/x.csv.gz", err, sizeof(err)), RESULTS_OPEN,
	       "missing file");
	ok(strstr(err, "/nonexistent/x.csv.gz") != NULL, "open error names the file");

	/* a truncated gzip stream */
	{
		char *text = malloc(200000), gzpath[300];
		size_t i;
		FILE *f;
		long len;
		char *bytes;

		for (i = 0; i < 199999; i++)
			text[i] = (i % 50 == 49) ? '\n' : (char)('a' + (i * 7919) % 26);
		text[199999] = '\n';
		put("full.csv.gz", text, 200000, 1);
		snprintf(gzpath, sizeof(gzpath), "%s/full.csv.gz", dir);
		f = fopen(gzpath, "rb");
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		bytes = malloc((size_t)len);
		if (fread(bytes, 1, (size_t)len, f) != (size_t)len)
			len = 0;
		fclose(f);
		p = put("trunc.csv.gz", bytes, (size_t)len / 2, 0);
		ok(results_open(&r, p, err, sizeof(err)) == RESULTS_OK, "truncated: header readable");
		{
			int rc;

			while ((rc = results_next(r, &row, err, sizeof(err))) == RESULTS_OK)
				;
			is_int(rc, RESULTS_GZIP, "truncated gzip is an error, not EOF");
		}
		results_close(r);
		free(bytes);
		free(text);
	}

	/* a cell over the limit: that row is an error naming row, column and
	 * limit; the rows around it read as usual (here the limit is 1000) */
	{
		static char csv2[4096];
		size_t k = 0;

		k += (size_t)snprintf(csv2, sizeof(csv2), "id,body,__mv_body\n0,ok,\n1,\"");
		memset(csv2 + k, 'x', 1500);
		k += 1500;
		k += (size_t)snprintf(csv2 + k, sizeof(csv2) - k, "\",\n2,\"");
		memset(csv2 + k, 'y', 1001);
		k += 1001;
		k += (size_t)snprintf(csv2 + k, sizeof(csv2) - k, "\"\"more\",$a$\n3,fine,\n");
		p = put("over.csv.gz", csv2, k, 1);
		ok(results_open_capped(&r, p, 1000, err, sizeof(err)) == RESULTS_OK, "capped open");
		ok(results_next(r, &row, err, sizeof(err)) == RESULTS_OK && !row->error &&
		   !strcmp(val(row, "body", 0), "ok"), "row 0 before the big cell");
		ok(results_next(r, &row, err, sizeof(err)) == RESULTS_OK && row->error, "row 1: an error, not the end");
		is_str(row->error, "row 1: the cell of column \"body\" is over the 1000-byte limit; the row is left out",
		       "the error names row, column and limit");
		ok(results_next(r, &row, err, sizeof(err)) == RESULTS_OK && row->error &&
		   strstr(row->error, "row 2"), "row 2: a quoted cell with \"\" over the limit");
		ok(results_next(r, &row, err, sizeof(err)) == RESULTS_OK && !row->error &&
		   !strcmp(val(row, "id", 0), "3") && !strcmp(val(row, "body", 0), "fine"),
		   "row 3 after them reads whole");
		is_int(results_next(r, &row, err, sizeof(err)), RESULTS_EOF, "then the end");
		results_close(r);
		k = (size_t)snprintf(csv2, sizeof(csv2), "id,");
		memset(csv2 + k, 'h', 1200);
		k += 1200;
		csv2[k++] = '\n';
		p = put("overhdr.csv.gz", csv2, k, 1);
		is_int(results_open_capped(&r, p, 1000, err, sizeof(err)), RESULTS_TOOBIG,
		       "a header cell over the limit ends the read (no columns to read by)");
	}

	/* 100,000 columns, each __mv_ twin in reverse order: matched (in
	 * linear time; make bench times it) */
	{
		enum { N = 100000 };
		struct buf b = BUF_INIT(64u << 20);
		long i;
		int good;

		for (i = 0; i < N; i++)
			buf_printf(&b, "f%ld,", i);
		for (i = N - 1; i >= 0; i--)
			buf_printf(&b, "__mv_f%ld%s", i, i ? "," : "\n");
		for (i = 0; i < N; i++)
			buf_printf(&b, "v%ld,", i);
		for (i = N - 1; i >= 0; i--)
			buf_printf(&b, "%s%s", i == 7 ? "$a$;$b$" : "", i ? "," : "\n");
		p = put("wide.csv.gz", buf_str(&b), b.len, 1);
		buf_free(&b);
		good = results_open(&r, p, err, sizeof(err)) == RESULTS_OK &&
		       results_next(r, &row, err, sizeof(err)) == RESULTS_OK;
		ok(good && row->nfields == N, "100,000 fields, twins folded");
		ok(good && nvals(row, "f7") == 2 && !strcmp(val(row, "f7", 1), "b"),
		   "a field takes its own twin's values");
		ok(good && nvals(row, "f99999") == 1 && !strcmp(val(row, "f99999", 0), "v99999"),
		   "the last field, plain");
		results_close(r);
	}

	/* a 10 MB cell */
	big = malloc(bign + 64);
	memcpy(big, "v\n\"", 3);
	memset(big + 3, 'x', bign);
	memcpy(big + 3 + bign, "\"\n", 2);
	p = put("big.csv.gz", big, bign + 5, 1);
	ok(results_open(&r, p, err, sizeof(err)) == RESULTS_OK &&
	   results_next(r, &row, err, sizeof(err)) == RESULTS_OK, "10 MB cell reads");
	ok(row && row_field(row, "v")->lens[0] == bign, "10 MB cell intact");
	results_close(r);
	free(big);
	return tap_done();
}
