#ifndef QS_RESULTS_H
#define QS_RESULTS_H

#include <stddef.h>

/*
 * Streaming reader of Splunk's results file: gzip-compressed CSV (RFC 4180
 * quoting, embedded newlines, "" for a quote) whose header names every
 * field F and a companion column __mv_F. A non-empty __mv_F cell holds the
 * multivalue encoding "$v1$;$v2$" with "$$" for a literal '$'; it then wins
 * over the F cell. A file that is not gzip is refused (random bytes must
 * not become cases); an empty file has no rows.
 *
 * Memory: the reader holds one row at a time; a row and its strings are
 * owned by the reader and valid until the next results_next() or
 * results_close(). Cells up to BUF_CAP_FIELD bytes are accepted: a longer
 * one makes that row an error (row->error) and the rows after it are read
 * as usual; in the header it ends the read. The header's columns are
 * matched with their __mv_ twins in time linear in their number.
 */

/* One field of a row: the __mv_ columns are folded into their field. */
struct field {
	const char *name;
	size_t nvals;		 /* 0 when the cell is empty */
	const char *const *vals; /* NUL-terminated; may contain NUL (see lens) */
	const size_t *lens;
};

struct row {
	size_t index; /* 0-based data row number in the file */
	size_t nfields;
	const struct field *fields;
	/* NULL, or why this row cannot be used (a cell over the size limit:
	 * the sentence names the row, the column and the limit) */
	const char *error;
};

struct results;

enum results_err {
	RESULTS_OK = 0,
	RESULTS_EOF,	/* results_next: no more rows */
	RESULTS_OPEN,	/* cannot open the file (errno in message) */
	RESULTS_GZIP,	/* not gzip, or a corrupt or truncated gzip stream */
	RESULTS_CSV,	/* malformed CSV (unterminated quote at EOF, …) */
	RESULTS_TOOBIG, /* a header cell over the cap */
	RESULTS_NOMEM
};

/* Opens path and reads the header. err names the file and the cause. */
int results_open(struct results **out, const char *path, char *err,
		 size_t errlen);

/* Reads the next row into *row. RESULTS_EOF at a clean end. */
int results_next(struct results *r, const struct row **row, char *err,
		 size_t errlen);

void results_close(struct results *r);

/* The field named name, or NULL. */
const struct field *row_field(const struct row *row, const char *name);

/* Decodes Splunk's multivalue encoding "$a$;$b$" into values; returns the
 * number of values, or -1 when s is not a valid encoding. Exposed for the
 * tests and the fuzzers; see results.c for the grammar. */
int results_decode_mv(const char *s, size_t len,
		      void (*emit)(void *ctx, const char *v, size_t n),
		      void *ctx);

#endif
