#include "mapping/results.h"
#include "mapping/results_internal.h"
#include "util/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/*
 * Grammar of the file (RFC 4180 as Splunk writes it):
 *   file   = record *( LF record ) [LF]
 *   record = cell *( "," cell )
 *   cell   = *(any but , " LF) | DQUOTE *(any but DQUOTE | DQUOTE DQUOTE) DQUOTE
 * CR outside quotes is dropped (CRLF files); quoted cells may hold LF.
 * The first record names the columns; "__mv_F" is F's multivalue twin.
 */

#define CHUNK (256 * 1024)

struct mvstore {
	struct buf data; /* decoded values, each NUL-terminated */
	size_t n, alloc;
	const char **vals;
	size_t *lens;
	size_t *offs;
};

struct results {
	gzFile gz;
	char *path;
	unsigned char *chunk;
	size_t pos, len;
	int eof;
	size_t ncols;
	char **names;	     /* column names */
	struct buf *cells;   /* current record, one buffer per column */
	size_t ncells;	     /* cells seen in the current record */
	size_t ncells_alloc; /* cell buffers initialised */
	size_t nfields;
	struct field *fields;
	size_t *col_plain; /* field -> column */
	long *col_mv;	   /* field -> __mv_ column or -1 */
	struct mvstore *mv;
	const char **single; /* field -> pointer for one plain value */
	size_t *single_len;
	struct row row;
	size_t next_index;
	size_t cell_cap; /* BUF_CAP_FIELD; smaller in the tests */
	long bad_col;	 /* the current record's cell over the cap, or -1 */
	char row_error[512];
};

static int set_err(char *err, size_t n, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int set_err(char *err, size_t n, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return code;
}

/* Next byte, -1 at end of stream, -2 on a gzip error (err set). */
static int nextc(struct results *r, char *err, size_t n)
{
	if (r->pos < r->len)
		return r->chunk[r->pos++];
	if (r->eof)
		return -1;
	{
		int got = gzread(r->gz, r->chunk, CHUNK), zerr;
		const char *msg;

		if (got < 0) {
			msg = gzerror(r->gz, &zerr);
			set_err(err, n, RESULTS_GZIP,
				"results file %s is corrupt: %s", r->path, msg);
			return -2;
		}
		if (got == 0) {
			msg = gzerror(r->gz, &zerr);
			if (zerr == Z_BUF_ERROR || zerr == Z_DATA_ERROR) {
				set_err(err, n, RESULTS_GZIP,
					"results file %s is truncated or corrupt: %s",
					r->path, msg);
				return -2;
			}
			r->eof = 1;
			return -1;
		}
		r->pos = 0;
		r->len = (size_t)got;
		return r->chunk[r->pos++];
	}
}

/* The cell buffer for the next cell; NULL for cells past the header's
 * width (ignored) or, while reading the header, when out of memory. */
static struct buf *cell(struct results *r)
{
	struct buf *c;

	if (r->ncols) {
		if (r->ncells >= r->ncols)
			return NULL;
	} else if (r->ncells == r->ncells_alloc) {
		/* doubling: a header of 100,000 columns is not 100,000
		 * reallocations */
		size_t na = r->ncells_alloc ? r->ncells_alloc * 2 : 16, i;

		c = realloc(r->cells, na * sizeof(*c));
		if (!c)
			return NULL;
		r->cells = c;
		for (i = r->ncells_alloc; i < na; i++)
			buf_init(&r->cells[i], r->cell_cap);
		r->ncells_alloc = na;
	}
	c = &r->cells[r->ncells];
	if (c->failed) /* over the cap in an earlier row: freed, start anew */
		buf_init(c, r->cell_cap);
	buf_reset(c);
	return c;
}

/* "64 MB" or "1000 bytes" */
static void limit_text(size_t cap, char *out, size_t n)
{
	if (cap % (1u << 20) == 0)
		snprintf(out, n, "%zu MB", cap >> 20);
	else
		snprintf(out, n, "%zu-byte", cap);
}

/* The cell c could not take more bytes. Out of memory, or a header cell
 * over the cap, ends the read (the code is returned); a data cell over
 * the cap marks the row and is dropped (0: read on to the row's end). */
static int over_cap(struct results *r, const struct buf *c, char *err, size_t n)
{
	char lim[32];

	if (c->failed == BUF_NOMEM)
		return set_err(err, n, RESULTS_NOMEM, "out of memory");
	if (!r->ncols) {
		limit_text(r->cell_cap, lim, sizeof(lim));
		return set_err(
			err, n, RESULTS_TOOBIG,
			"results file %s has a header cell over the %s limit",
			r->path, lim);
	}
	if (r->bad_col < 0)
		r->bad_col = (long)r->ncells;
	return 0;
}

/* Appends ch and run[0..nrun) to the cell *c, unless it was dropped; a
 * cell that goes over the cap is dropped (*c = NULL, see over_cap). 0, or
 * the code that ends the read. */
static int put(struct results *r, struct buf **c, char ch, const void *run,
	       size_t nrun, char *err, size_t n)
{
	int rc;

	if (!*c || (!buf_putc(*c, ch) && !buf_append(*c, run, nrun)))
		return 0;
	rc = over_cap(r, *c, err, n);
	*c = NULL;
	return rc;
}

/* Reads one record into r->cells: RESULTS_OK, RESULTS_EOF or an error. */
static int read_record(struct results *r, char *err, size_t n)
{
	enum { FSTART, PLAIN, QUOTED, AFTERQ } st = FSTART;
	struct buf *c = NULL;
	int ch, any = 0, rc;

	r->ncells = 0;
	r->bad_col = -1;
	for (;;) {
		ch = nextc(r, err, n);
		if (ch == -2)
			return RESULTS_GZIP;
		if (ch == -1) {
			if (st == QUOTED)
				return set_err(
					err, n, RESULTS_CSV,
					"results file %s ends inside a quoted cell",
					r->path);
			if (!any)
				return RESULTS_EOF;
			/* "a,b," then EOF: the last, empty cell was never opened */
			if (st == FSTART && !cell(r) && !r->ncols) {
				snprintf(err, n, "out of memory");
				return RESULTS_NOMEM;
			}
			r->ncells++;
			return RESULTS_OK;
		}
		if (st == QUOTED) {
			if (ch == '"') {
				st = AFTERQ;
			} else {
				/* copy the run up to the next quote in one go */
				const unsigned char *q =
					memchr(r->chunk + r->pos, '"',
					       r->len - r->pos);
				size_t run =
					(q ? (size_t)(q - r->chunk) : r->len) -
					r->pos;

				rc = put(r, &c, (char)ch, r->chunk + r->pos,
					 run, err, n);
				if (rc)
					return rc;
				r->pos += run;
			}
			continue;
		}
		if (ch == '\r')
			continue;
		if (st == FSTART) {
			if (ch == '\n' && !any)
				continue; /* blank line */
			any = 1;
			c = cell(r);
			if (!c && !r->ncols) {
				snprintf(err, n, "out of memory");
				return RESULTS_NOMEM;
			}
			if (ch == '"') {
				st = QUOTED;
				continue;
			}
			st = PLAIN;
		} else if (st == AFTERQ && ch == '"') {
			st = QUOTED;
			rc = put(r, &c, '"', NULL, 0, err, n);
			if (rc)
				return rc;
			continue;
		}
		if (ch == ',') {
			r->ncells++;
			st = FSTART;
			continue;
		}
		if (ch == '\n') {
			r->ncells++;
			return RESULTS_OK;
		}
		st = PLAIN; /* text after a closing quote is kept, leniently */
		{
			/* copy the run of ordinary bytes in one go */
			size_t e = r->pos;

			while (e < r->len && r->chunk[e] != ',' &&
			       r->chunk[e] != '\n' && r->chunk[e] != '\r' &&
			       r->chunk[e] != '"')
				e++;
			rc = put(r, &c, (char)ch, r->chunk + r->pos, e - r->pos,
				 err, n);
			if (rc)
				return rc;
			r->pos = e;
		}
	}
}

int results_decode_mv(const char *s, size_t len,
		      void (*emit)(void *ctx, const char *v, size_t n),
		      void *ctx)
{
	size_t i = 0, count = 0;

	/* Decoder: outside a value '$' opens and ';' separates; inside, "$$"
	 * is a literal '$' and a single '$' closes. A first pass validates so
	 * emit never sees a partial decoding. */
	int pass;

	for (pass = 0; pass < 2; pass++) {
		count = 0;
		i = 0;
		while (i < len) {
			size_t start;
			char *v = NULL;
			size_t vn = 0;

			if (s[i] == ';') {
				i++;
				continue;
			}
			if (s[i] != '$')
				return -1;
			i++;
			start = i;
			if (pass == 1) {
				v = malloc(len - start + 1);
				if (!v)
					return -1;
			}
			for (;;) {
				if (i >= len) {
					free(v);
					return -1;
				}
				if (s[i] == '$') {
					if (i + 1 < len && s[i + 1] == '$') {
						if (v)
							v[vn++] = '$';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (v)
					v[vn++] = s[i];
				i++;
			}
			if (v) {
				v[vn] = '\0';
				emit(ctx, v, vn);
				free(v);
			}
			count++;
		}
	}
	return (int)count;
}

struct mvctx {
	struct mvstore *m;
	int failed;
};

static void mv_emit(void *arg, const char *v, size_t n)
{
	struct mvctx *x = arg;
	struct mvstore *m = x->m;

	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 8;
		size_t *lens = realloc(m->lens, na * sizeof(*lens));
		size_t *offs;

		if (!lens) {
			x->failed = 1;
			return;
		}
		m->lens = lens;
		offs = realloc(m->offs, na * sizeof(*offs));
		if (!offs) {
			x->failed = 1;
			return;
		}
		m->offs = offs;
		{
			const char **vals =
				realloc(m->vals, na * sizeof(*vals));

			if (!vals) {
				x->failed = 1;
				return;
			}
			m->vals = vals;
		}
		m->alloc = na;
	}
	m->offs[m->n] = m->data.len;
	m->lens[m->n] = n;
	if (buf_append(&m->data, v, n) || buf_putc(&m->data, '\0'))
		x->failed = 1;
	m->n++;
}

static int build_row(struct results *r, char *err, size_t n)
{
	size_t f, k;

	for (f = 0; f < r->nfields; f++) {
		struct field *fd = &r->fields[f];
		size_t pc = r->col_plain[f];
		long mc = r->col_mv[f];
		const struct buf *plain = pc < r->ncells ? &r->cells[pc] : NULL;
		const struct buf *mvb = (mc >= 0 && (size_t)mc < r->ncells)
						? &r->cells[mc]
						: NULL;

		fd->nvals = 0;
		if (mvb && mvb->len) {
			struct mvstore *m = &r->mv[f];
			struct mvctx x = { m, 0 };

			m->n = 0;
			buf_reset(&m->data);
			if (results_decode_mv(mvb->data, mvb->len, mv_emit,
					      &x) >= 0 &&
			    !x.failed) {
				for (k = 0; k < m->n; k++)
					m->vals[k] = m->data.data + m->offs[k];
				fd->vals = m->vals;
				fd->lens = m->lens;
				fd->nvals = m->n;
				continue;
			}
			if (x.failed) {
				snprintf(err, n, "out of memory");
				return RESULTS_NOMEM;
			}
			/* not a valid encoding: fall back to the plain cell */
		}
		if (plain && plain->len) {
			r->single[f] = plain->data;
			r->single_len[f] = plain->len;
			fd->vals = &r->single[f];
			fd->lens = &r->single_len[f];
			fd->nvals = 1;
		}
	}
	/* cells of a short record are empty */
	for (k = r->ncells; k < r->ncols; k++)
		buf_reset(&r->cells[k]);
	r->row.index = r->next_index++;
	r->row.nfields = r->nfields;
	r->row.fields = r->fields;
	r->row.error = NULL;
	if (r->bad_col >= 0) {
		char lim[32];

		limit_text(r->cell_cap, lim, sizeof(lim));
		snprintf(
			r->row_error, sizeof(r->row_error),
			"row %zu: the cell of column \"%.200s\" is over the %s limit; the row is left out",
			r->row.index, r->names[r->bad_col], lim);
		r->row.error = r->row_error;
	}
	return RESULTS_OK;
}

/* FNV-1a */
static size_t hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Each field's __mv_ twin, through a hash table of the twins' names, so
 * the header is matched in time linear in its columns (a nested loop took
 * 18 s for 100,000). When two twins share a name the last one wins. */
static int match_twins(struct results *r)
{
	size_t cap = 16, i, h, f;
	long *slot;

	while (cap < 2 * r->ncols)
		cap *= 2;
	slot = malloc(cap * sizeof(*slot));
	if (!slot)
		return -1;
	for (i = 0; i < cap; i++)
		slot[i] = -1;
	for (i = 0; i < r->ncols; i++) {
		const char *twin = r->names[i] + 5;

		if (strncmp(r->names[i], "__mv_", 5) != 0)
			continue;
		for (h = hash(twin) & (cap - 1);
		     slot[h] >= 0 && strcmp(r->names[slot[h]] + 5, twin) != 0;
		     h = (h + 1) & (cap - 1))
			;
		slot[h] = (long)i;
	}
	for (f = 0; f < r->nfields; f++) {
		const char *name = r->fields[f].name;

		for (h = hash(name) & (cap - 1);
		     slot[h] >= 0 && strcmp(r->names[slot[h]] + 5, name) != 0;
		     h = (h + 1) & (cap - 1))
			;
		r->col_mv[f] = slot[h];
	}
	free(slot);
	return 0;
}

static int setup_columns(struct results *r, char *err, size_t n)
{
	size_t i, f = 0;

	r->ncols = r->ncells;
	r->names = calloc(r->ncols, sizeof(*r->names));
	r->fields = calloc(r->ncols, sizeof(*r->fields));
	r->col_plain = calloc(r->ncols, sizeof(*r->col_plain));
	r->col_mv = calloc(r->ncols, sizeof(*r->col_mv));
	r->mv = calloc(r->ncols, sizeof(*r->mv));
	r->single = calloc(r->ncols, sizeof(*r->single));
	r->single_len = calloc(r->ncols, sizeof(*r->single_len));
	if (!r->names || !r->fields || !r->col_plain || !r->col_mv || !r->mv ||
	    !r->single || !r->single_len)
		goto nomem;
	for (i = 0; i < r->ncols; i++) {
		const char *s = r->cells[i].data ? r->cells[i].data : "";

		/* a UTF-8 byte order mark before the first name */
		if (i == 0 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3;
		r->names[i] = strdup(s);
		if (!r->names[i])
			goto nomem;
	}
	for (i = 0; i < r->ncols; i++) {
		if (strncmp(r->names[i], "__mv_", 5) == 0)
			continue;
		r->fields[f].name = r->names[i];
		r->col_plain[f] = i;
		buf_init(&r->mv[f].data, r->cell_cap);
		f++;
	}
	r->nfields = f;
	if (match_twins(r))
		goto nomem;
	return RESULTS_OK;
nomem:
	snprintf(err, n, "out of memory");
	return RESULTS_NOMEM;
}

int results_open(struct results **out, const char *path, char *err,
		 size_t errlen)
{
	return results_open_capped(out, path, BUF_CAP_FIELD, err, errlen);
}

int results_open_capped(struct results **out, const char *path, size_t cell_cap,
			char *err, size_t errlen)
{
	struct results *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (r)
		r->cell_cap = cell_cap;
	if (!r || !(r->path = strdup(path)) || !(r->chunk = malloc(CHUNK))) {
		results_close(r);
		snprintf(err, errlen, "out of memory");
		return RESULTS_NOMEM;
	}
	r->gz = gzopen(path, "rb");
	if (!r->gz) {
		set_err(err, errlen, RESULTS_OPEN,
			"cannot open results file %s: %s", path,
			strerror(errno ? errno : ENOENT));
		results_close(r);
		return RESULTS_OPEN;
	}
	gzbuffer(r->gz, CHUNK);
	/* zlib would pass other bytes through as they are */
	if (gzdirect(r->gz) && nextc(r, err, errlen) != -1) {
		set_err(err, errlen, RESULTS_GZIP,
			"results file %s is not gzip-compressed (Splunk writes its results as CSV in gzip); nothing was read from it",
			path);
		results_close(r);
		return RESULTS_GZIP;
	}
	rc = read_record(r, err, errlen);
	if (rc == RESULTS_EOF) {
		r->ncells = 0; /* an empty file: no columns, no rows */
		r->eof = 1;
		*out = r;
		return RESULTS_OK;
	}
	if (rc == RESULTS_OK)
		rc = setup_columns(r, err, errlen);
	if (rc != RESULTS_OK) {
		results_close(r);
		return rc;
	}
	*out = r;
	return RESULTS_OK;
}

int results_next(struct results *r, const struct row **row, char *err,
		 size_t errlen)
{
	int rc;

	*row = NULL;
	if (!r->ncols)
		return RESULTS_EOF;
	rc = read_record(r, err, errlen);
	if (rc != RESULTS_OK)
		return rc;
	rc = build_row(r, err, errlen);
	if (rc != RESULTS_OK)
		return rc;
	*row = &r->row;
	return RESULTS_OK;
}

void results_close(struct results *r)
{
	size_t i;

	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	for (i = 0; r->cells && i < r->ncells_alloc; i++)
		buf_free(&r->cells[i]);
	for (i = 0; r->names && i < r->ncols; i++)
		free(r->names[i]);
	for (i = 0; r->mv && i < r->ncols; i++) {
		buf_free(&r->mv[i].data);
		free(r->mv[i].vals);
		free(r->mv[i].lens);
		free(r->mv[i].offs);
	}
	free(r->cells);
	free(r->names);
	free(r->fields);
	free(r->col_plain);
	free(r->col_mv);
	free(r->mv);
	free(r->single);
	free(r->single_len);
	free(r->chunk);
	free(r->path);
	free(r);
}
