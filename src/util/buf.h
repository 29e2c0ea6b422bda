#ifndef QS_BUF_H
#define QS_BUF_H

#include <stddef.h>

/*
 * A growable byte buffer with a hard cap. The contents are always
 * NUL-terminated so they can be used as a C string when they hold no NUL.
 * On any failure (cap reached, out of memory) the buffer is freed and the
 * error is sticky: later appends fail too, so a caller may append many
 * times and check once. Fields are private: use the functions.
 */
struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap; /* hard limit on len */
	int failed; /* sticky: BUF_TOOBIG or BUF_NOMEM */
	int secret; /* wipe every copy before its memory is given back */
};

enum buf_err { BUF_OK = 0, BUF_TOOBIG = 1, BUF_NOMEM = 2 };

/* Caps, by use. */
#define BUF_CAP_FIELD \
	(64u * 1024 * 1024) /* one CSV cell (Splunk allows >= 10 MB) */
#define BUF_CAP_TEMPLATE (64u * 1024 * 1024) /* one token-expanded string */
#define BUF_CAP_HTTP (256u * 1024 * 1024)    /* one HTTP response body */
#define BUF_CAP_STDIN (256u * 1024 * 1024)   /* the payload on stdin */

#define BUF_INIT(c)                   \
	{                             \
		NULL, 0, 0, (c), 0, 0 \
	}
/* A buffer that may hold a secret (a request, an answer, the payload):
 * growing it copies instead of realloc, and every copy it gives back, on
 * growth, failure, reset or free, is wiped first. */
#define BUF_INIT_SECRET(c)            \
	{                             \
		NULL, 0, 0, (c), 0, 1 \
	}

void buf_init(struct buf *b, size_t cap);
/* buf_init for a buffer that may hold a secret (see BUF_INIT_SECRET). */
void buf_init_secret(struct buf *b, size_t cap);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empties the buffer but keeps its memory (and clears no sticky error;
 * a secret buffer's old contents are wiped). */
void buf_reset(struct buf *b);
/* Returns the contents (never NULL on success; "" for empty) and hands
 * ownership to the caller, leaving b empty; NULL if the buffer failed. */
char *buf_take(struct buf *b);
/* Returns a borrowed C string: "" when empty. */
const char *buf_str(const struct buf *b);
void buf_free(struct buf *b);

#endif
