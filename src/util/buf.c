#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
	b->failed = BUF_OK;
	b->secret = 0;
}

void buf_init_secret(struct buf *b, size_t cap)
{
	buf_init(b, cap);
	b->secret = 1;
}

/* Gives a buffer's memory back, wiped first when it may hold a secret. */
static void release(const struct buf *b, char *p)
{
	if (p && b->secret)
		explicit_bzero(p, b->alloc);
	free(p);
}

static int fail(struct buf *b, int err)
{
	release(b, b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->failed = err;
	return err;
}

/* Makes room for n more bytes plus the terminating NUL. */
static int grow(struct buf *b, size_t n)
{
	size_t need, na;
	char *p;

	if (b->failed)
		return b->failed;
	if (n > b->cap || b->len > b->cap - n)
		return fail(b, BUF_TOOBIG);
	need = b->len + n + 1;
	if (need <= b->alloc)
		return BUF_OK;
	na = b->alloc ? b->alloc : 64;
	while (na < need) {
		/* avoid overflow: cap is far below SIZE_MAX / 2 */
		na *= 2;
	}
	if (na > b->cap + 1)
		na = b->cap + 1;
	if (b->secret) {
		/* realloc could leave the old copy behind, unwiped */
		p = malloc(na);
		if (p && b->data)
			memcpy(p, b->data, b->len + 1);
		if (p)
			release(b, b->data);
	} else {
		p = realloc(b->data, na);
	}
	if (!p)
		return fail(b, BUF_NOMEM);
	b->data = p;
	b->alloc = na;
	return BUF_OK;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int rc = grow(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return BUF_OK;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(b, BUF_NOMEM);
	rc = grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return BUF_OK;
}

void buf_reset(struct buf *b)
{
	if (b->data && b->secret)
		explicit_bzero(b->data, b->len);
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_take(struct buf *b)
{
	char *p;

	if (b->failed)
		return NULL;
	if (!b->data && grow(b, 0))
		return NULL;
	if (b->len == 0)
		b->data[0] = '\0';
	p = b->data;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

void buf_free(struct buf *b)
{
	release(b, b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}
