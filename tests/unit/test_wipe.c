/*
 * What memory gives back: this program replaces malloc, calloc, realloc
 * and free (glibc lets a program do that) so that every block freed is
 * searched for a marker first, and the n-th allocation can fail. Secrets
 * must be wiped before their memory is freed (util/secret.h), and an
 * allocation failure must not drop data silently.
 *
 * Not under ASan or valgrind: both replace malloc themselves.
 */
#include "tap.h"
#include "alert/escalate.h"
#include "mapping/payload.h"
#include "setup/persist.h"
#include "util/buf.h"
#include "util/secret.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define NO_INTERPOSE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_INTERPOSE 1
#endif
#endif

#ifdef NO_INTERPOSE
int main(void)
{
	ok(1, "secrets wiped # SKIP ASan replaces malloc");
	return tap_done();
}
#else

#define MARK "S3cr3t-Marker-7Q"

static int armed;	/* searching freed blocks */
static long seen;	/* freed blocks that held MARK */
static long fail_at, calls; /* the fail_at-th allocation fails */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void __libc_free(void *);

static int holds_mark(const char *p, size_t n)
{
	size_t m = sizeof(MARK) - 1, i;

	for (i = 0; i + m <= n; i++)
		if (p[i] == MARK[0] && memcmp(p + i, MARK, m) == 0)
			return 1;
	return 0;
}

static int failing(void)
{
	return fail_at && ++calls == fail_at;
}

void *malloc(size_t n)
{
	return failing() ? NULL : __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	return failing() ? NULL : __libc_calloc(a, b);
}

void free(void *p)
{
	if (p && armed && holds_mark(p, malloc_usable_size(p)))
		seen++;
	__libc_free(p);
}

/* Through malloc and free, so the block realloc leaves behind is searched
 * too. */
void *realloc(void *p, size_t n)
{
	void *q;
	size_t old;

	if (!p)
		return malloc(n);
	if (!n) {
		free(p);
		return NULL;
	}
	q = malloc(n);
	if (!q)
		return NULL;
	old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	free(p);
	return q;
}

/* Runs f with the search armed; the number of freed blocks holding MARK. */
static long leftovers(void (*f)(void))
{
	seen = 0;
	armed = 1;
	f();
	armed = 0;
	return seen;
}

static void grow(struct buf *b)
{
	int i;

	buf_puts(b, "password=" MARK "&");
	for (i = 0; i < 2000; i++)
		buf_puts(b, "filler filler filler ");
	buf_free(b);
}

static void plain_buf(void)
{
	struct buf b = BUF_INIT(1 << 20);

	grow(&b);
}

static void secret_buf(void)
{
	struct buf b = BUF_INIT_SECRET(1 << 20);

	grow(&b);
}

static void json_tree(void)
{
	json_t *j = json_pack("{s:s,s:s}", "email", "u@example.com",
			      "password", MARK);
	char *text = json_dumps(j, JSON_COMPACT);

	secret_free(text);
	json_decref(j);
}

static void stdin_payload(void)
{
	static const char doc[] =
		"{\"session_key\":\"" MARK "\",\"configuration\":{}}";
	struct payload p;
	char err[256];
	int fds[2];

	if (pipe(fds))
		return;
	if (write(fds[1], doc, sizeof(doc) - 1) != (ssize_t)(sizeof(doc) - 1))
		return;
	close(fds[1]);
	if (payload_read_fd(&p, fds[0], err, sizeof(err)) == PAYLOAD_OK)
		payload_free(&p);
	close(fds[0]);
}

static void persist_request(void)
{
	/* a BLOCK packet: opcode 2, then "<len>\n<bytes>" */
	static const char pkt[] =
		"\x02"
		"58\n{\"session\":{\"authtoken\":\"" MARK "\"},\"x\":\"0123456\"}";
	struct persist_packet p;
	char err[256];
	FILE *in = fmemopen((void *)pkt, sizeof(pkt) - 1, "r");

	if (!in)
		return;
	persist_read(in, &p, err, sizeof(err));
	persist_packet_free(&p);
	/* stdio's own buffer is not ours (util/secret.h says so) */
	armed = 0;
	fclose(in);
}

/* A row whose event_id cannot be copied is no row: never one that goes on
 * without its notable (its comment would be skipped silently). */
static void row_copies(void)
{
	static const char *const ev[] = { "EV-1" }, *const sid[] = { "S" };
	static const size_t evl[] = { 4 }, sidl[] = { 1 };
	const struct field fs[] = { { "event_id", 1, ev, evl },
				    { "orig_sid", 1, sid, sidl } };
	const struct row row = { 0, 2, fs, NULL };
	int fine = 1, done = 0;
	long k;

	for (k = 1; !done && k < 100; k++) {
		struct engine_row er;
		struct esc_row *r;

		memset(&er, 0, sizeof(er));
		snprintf(er.rid, sizeof(er.rid), "0");
		er.row = &row;
		fail_at = k;
		calls = 0;
		r = esc_row_from(&er);
		done = calls < k;
		fail_at = 0;
		if (r && (!r->event_id || strcmp(r->event_id, "EV-1") != 0 ||
			  !r->orig_sid))
			fine = 0;
		esc_row_free(r);
	}
	ok(fine && done, "esc_row_from: out of memory fails the row, never "
			 "drops its event_id");
}

int main(void)
{
	if (getenv("QS_VALGRIND") || getenv("VALGRIND")) {
		ok(1, "secrets wiped # SKIP valgrind replaces malloc");
		return tap_done();
	}
	ok(leftovers(plain_buf) > 0,
	   "control: a plain buffer leaves copies behind (the search works)");
	is_int(leftovers(secret_buf), 0,
	       "a secret buffer wipes every copy: growth and free");
	ok(leftovers(json_tree) > 0,
	   "control: jansson frees without wiping by default");
	secret_wipe_json();
	is_int(leftovers(json_tree), 0,
	       "after secret_wipe_json: the login body's tree and its text");
	is_int(leftovers(stdin_payload), 0,
	       "the payload from stdin: raw bytes, read chunk and parsed tree");
	is_int(leftovers(persist_request), 0,
	       "a persistconn request block");
	row_copies();
	return tap_done();
}
#endif
