#include "mapping/results.h"
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
	if (r->ncols) {
		if (r->ncells >= r->ncols)
			return NULL;
	} else {
		struct buf *c = realloc(r->cells, (r->ncells + 1) * sizeof(*c));

		if (!c)
			return NULL;
		r->cells = c;
		buf_init(&r->cells[r->ncells], BUF_CAP_FIELD);
		r->ncells_alloc = r->ncells + 1;
	}
	buf_reset(&r->cells[r->ncells]);
	return &r->cells[r->ncells];
}

/* Reads one record into r->cells: RESULTS_OK, RESULTS_EOF or an error. */
static int read_record(struct results *r, char *err, size_t n)
{
	enum { FSTART, PLAIN, QUOTED, AFTERQ } st = FSTART;
	struct buf *c = NULL;
	int ch, any = 0;

	r->ncells = 0;
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

				if (c &&
				    (buf_putc(c, (char)ch) ||
				     buf_append(c, r->chunk + r->pos, run)))
					goto toobig;
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
			if (c && buf_putc(c, '"'))
				goto toobig;
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
			if (c && (buf_putc(c, (char)ch) ||
				  buf_append(c, r->chunk + r->pos, e - r->pos)))
				goto toobig;
			r->pos = e;
		}
	}
toobig:
	return set_err(
		err, n, c->failed == BUF_NOMEM ? RESULTS_NOMEM : RESULTS_TOOBIG,
		"results file %s has a cell over the size limit", r->path);
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
	return RESULTS_OK;
}

static int setup_columns(struct results *r, char *err, size_t n)
{
	size_t i, j, f = 0;

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
		r->col_mv[f] = -1;
		for (j = 0; j < r->ncols; j++)
			if (strncmp(r->names[j], "__mv_", 5) == 0 &&
			    strcmp(r->names[j] + 5, r->names[i]) == 0)
				r->col_mv[f] = (long)j;
		buf_init(&r->mv[f].data, BUF_CAP_FIELD);
		f++;
	}
	r->nfields = f;
	return RESULTS_OK;
nomem:
	snprintf(err, n, "out of memory");
	return RESULTS_NOMEM;
}

int results_open(struct results **out, const char *path, char *err,
		 size_t errlen)
{
	struct results *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
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
