#include "tap.h"
#include "setup/persist.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char err[256];

/* Reads one packet from a memory stream over data[0..n). */
static enum persist_rc read_mem(const char *data, size_t n,
				struct persist_packet *p)
{
	FILE *f = fmemopen((void *)data, n, "r");
	enum persist_rc rc;

	if (!f)
		abort();
	rc = persist_read(f, p, err, sizeof err);
	fclose(f);
	return rc;
}

#define MEM(lit) lit, sizeof(lit) - 1

static void expect_error(const char *data, size_t n, const char *needle,
			 const char *name)
{
	struct persist_packet p;
	char msg[200];

	snprintf(msg, sizeof msg, "%s: error", name);
	ok(read_mem(data, n, &p) == PERSIST_ERROR, msg);
	snprintf(msg, sizeof msg, "%s: says \"%s\"", name, needle);
	if (!ok(strstr(err, needle) != NULL, msg))
		printf("#   err: %s\n", err);
	persist_packet_free(&p);
}

#if !defined(__SANITIZE_ADDRESS__)
/* The address space in use, from /proc/self/statm (pages). */
static long vm_bytes(void)
{
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * sysconf(_SC_PAGESIZE);
}

/*
 * In a child limited to its current address space + 16 MB: a packet that
 * announces a 60 MB block but carries 10 bytes must fail as truncated,
 * not run out of memory. Exit 0 when it does.
 */
static int announce_big_in_small_space(void)
{
	static const char pkt[] = "\x06" "62914560\n" "0123456789";
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct rlimit rl;
		struct persist_packet p;
		enum persist_rc rc;

		rl.rlim_cur = rl.rlim_max = (rlim_t)vm_bytes() + (16 << 20);
		if (setrlimit(RLIMIT_AS, &rl))
			_exit(3);
		rc = read_mem(pkt, sizeof pkt - 1, &p);
		_exit(rc == PERSIST_ERROR && strstr(err, "truncated") ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}
#endif

/* A handler that echoes the request, or fails on "oom". */
static char *echo(void *ctx, const char *block, size_t len)
{
	char *r;

	++*(int *)ctx;
	if (len == 3 && !memcmp(block, "oom", 3))
		return NULL;
	r = malloc(len + 8);
	if (r)
		snprintf(r, len + 8, "echo:%.*s", (int)len, block);
	return r;
}

/* Runs persist_serve over in[0..n): what it wrote, and its result. */
static char *serve(const char *in, size_t n, int *calls, int *rc)
{
	FILE *i = fmemopen((void *)in, n, "r"), *o;
	char *out = NULL;
	size_t outn = 0;

	o = open_memstream(&out, &outn);
	*calls = 0;
	*rc = persist_serve(i, o, echo, calls);
	fclose(o);
	fclose(i);
	return out;
}

static void test_serve(void)
{
	int calls, rc;
	char *out;

	/* INIT and BLOCK in one packet, then a BLOCK: INIT answered empty
	 * first, each block with the handler's reply */
	out = serve(MEM("\x03" "1\n" "3\nabc" "0\n" "2\n{}" "\x02" "3\nxyz"),
		    &calls, &rc);
	is_str(out, "0\n" "7\necho:{}" "8\necho:xyz", "serve: INIT, then one reply per block");
	ok(rc == 0 && calls == 2, "serve: the handler ran per block; 0 at the end of input");
	free(out);

	/* a handler that cannot build a reply: a fixed 500 */
	out = serve(MEM("\x02" "3\noom"), &calls, &rc);
	ok(out && strstr(out, "\"status\":500") && rc == 0, "serve: NULL from the handler is a 500");
	free(out);

	/* a broken packet: a 400 naming the problem, and the loop goes on
	 * (a memory stream drains at once, so this one ends there) */
	out = serve(MEM("\x02" "zz\n"), &calls, &rc);
	ok(out && strstr(out, "\"status\":400") && strstr(out, "could not be read") &&
		   calls == 0 && rc == 0,
	   "serve: a broken block is answered 400, the handler not called");
	free(out);

	/* too large: 413 */
	out = serve(MEM("\x02" "99999999999\n"), &calls, &rc);
	ok(out && strstr(out, "\"status\":413"), "serve: an oversized block is answered 413");
	free(out);

	/* a broken INIT: a non-empty INIT answer tells splunkd the start
	 * failed */
	out = serve(MEM("\x01" "x\n"), &calls, &rc);
	ok(out && strstr(out, "bad INIT") && !strstr(out, "status"),
	   "serve: a broken INIT gets a non-empty INIT answer only");
	free(out);

	/* stdout gone: -1 */
	{
		FILE *i = fmemopen((void *)"\x02" "2\n{}", 5, "r");
		FILE *o = fopen("/dev/full", "w");

		if (o) {
			ok(persist_serve(i, o, echo, &calls) == -1,
			   "serve: -1 when the reply cannot be written");
			fclose(o);
		}
		fclose(i);
	}
}

int main(void)
{
	struct persist_packet p;
	char *buf, *out = NULL;
	size_t len = 0, i;
	FILE *f;
	int fds[2], n;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);

	/* INIT alone */
	ok(read_mem(MEM("\x01" "2\n" "17\nqradar_soar_setup" "3\nx\0y"
			"4\narg1"), &p) == PERSIST_OK, "INIT read");
	is_int(p.opcode, PERSIST_INIT, "opcode INIT");
	is_int(p.ncommand, 2, "two command pieces");
	is_str(p.command[0], "qradar_soar_setup", "piece 1");
	is_int(p.command_len[1], 3, "piece 2 keeps its NUL");
	ok(memcmp(p.command[1], "x\0y", 3) == 0, "piece 2 bytes");
	is_str(p.command_arg, "arg1", "command_arg");
	ok(p.block == NULL, "no block");
	persist_packet_free(&p);

	ok(read_mem(MEM("\x01" "0\n" "0\n"), &p) == PERSIST_OK,
	   "INIT with no pieces, empty arg");
	is_int(p.ncommand, 0, "no pieces");
	is_int(p.command_arg_len, 0, "empty arg");
	persist_packet_free(&p);

	/* BLOCK|END */
	ok(read_mem(MEM("\x06" "17\n{\"method\":\"GET\"}"), &p) == PERSIST_ERROR,
	   "block one byte short is truncated");
	persist_packet_free(&p);
	ok(read_mem(MEM("\x06" "16\n{\"method\":\"GET\"}"), &p) == PERSIST_OK,
	   "BLOCK read");
	is_int(p.opcode, PERSIST_BLOCK | PERSIST_END, "opcode BLOCK|END");
	is_str(p.block, "{\"method\":\"GET\"}", "block bytes");
	is_int(p.block_len, 16, "block length");
	ok(p.command == NULL, "no INIT part");
	persist_packet_free(&p);

	ok(read_mem(MEM("\x02" "0\n"), &p) == PERSIST_OK && p.block &&
		   p.block_len == 0 && p.block[0] == '\0',
	   "empty block is an empty string");
	persist_packet_free(&p);

	/* INIT|BLOCK|END in one packet */
	ok(read_mem(MEM("\x07" "1\n" "1\nq" "0\n" "2\n{}"), &p) == PERSIST_OK,
	   "combined packet");
	ok(p.init_read && p.ncommand == 1 && !strcmp(p.command[0], "q"),
	   "combined: INIT part");
	is_str(p.block, "{}", "combined: block");
	persist_packet_free(&p);

	/* END alone, stray newlines, clean EOF */
	ok(read_mem(MEM("\x04"), &p) == PERSIST_OK && p.opcode == PERSIST_END &&
		   !p.block,
	   "END alone is a packet with nothing to answer");
	persist_packet_free(&p);
	ok(read_mem(MEM("\n\n\n\x06" "1\nx"), &p) == PERSIST_OK &&
		   !strcmp(p.block, "x"),
	   "stray newlines before the opcode skipped");
	persist_packet_free(&p);
	ok(read_mem(MEM(""), &p) == PERSIST_EOF, "empty input is a clean EOF");
	persist_packet_free(&p);
	ok(read_mem(MEM("\n\n"), &p) == PERSIST_EOF,
	   "only newlines is a clean EOF");
	persist_packet_free(&p);

	/* many requests in one stream */
	f = open_memstream(&out, &len);
	fputs("\x01" "1\n" "1\nq" "0\n", f);
	for (i = 0; i < 1000; i++) {
		char b[64];

		n = snprintf(b, sizeof b, "{\"n\":%zu}", i);
		fprintf(f, "%s\x06%d\n%s", i % 7 ? "" : "\n", n, b);
	}
	fclose(f);
	f = fmemopen(out, len, "r");
	ok(persist_read(f, &p, err, sizeof err) == PERSIST_OK && p.init_read,
	   "stream: INIT first");
	persist_packet_free(&p);
	for (i = 0, n = 1; i < 1000; i++) {
		char b[64];

		snprintf(b, sizeof b, "{\"n\":%zu}", i);
		if (persist_read(f, &p, err, sizeof err) != PERSIST_OK ||
		    strcmp(p.block, b))
			n = 0;
		persist_packet_free(&p);
	}
	ok(n, "stream: 1000 requests in order");
	ok(persist_read(f, &p, err, sizeof err) == PERSIST_EOF,
	   "stream: clean EOF after the last");
	persist_packet_free(&p);
	fclose(f);
	free(out);

	/* truncation */
	expect_error(MEM("\x06"), "truncated", "opcode then EOF");
	expect_error(MEM("\x06" "12"), "truncated", "EOF inside a length");
	expect_error(MEM("\x06" "12\nabc"), "truncated", "EOF inside a block");
	expect_error(MEM("\x01" "2\n" "1\na"), "truncated",
		     "EOF after one of two pieces");
	expect_error(MEM("\x01" "1\n" "1\na"), "truncated",
		     "EOF before the command_arg");
	expect_error(MEM("\x07" "0\n" "0\n"), "truncated",
		     "combined packet without its block");
	ok(read_mem(MEM("\x07" "0\n" "0\n"), &p) == PERSIST_ERROR &&
		   p.init_read == 1 && (p.opcode & PERSIST_BLOCK),
	   "combined truncated: INIT was read, block expected");
	persist_packet_free(&p);

	/* bad lengths and opcodes */
	expect_error(MEM("\x06" "x\n"), "not a decimal digit", "letter length");
	expect_error(MEM("\x06" "-1\n"), "not a decimal digit",
		     "negative length");
	expect_error(MEM("\x06" " 5\nhello"), "not a decimal digit",
		     "space in length");
	expect_error(MEM("\x06" "5\r\nhello"), "not a decimal digit",
		     "CR in length");
	expect_error(MEM("\x06" "\nx"), "no digits", "empty length");
	expect_error(MEM("\x06" "99999999999999999999999999\n"), "limit",
		     "overflowing length");
	expect_error(MEM("\x06" "67108865\n"), "limit",
		     "block one byte over 64 MB");
	expect_error(MEM("\x06" "18446744073709551616\n"), "limit",
		     "2^64 length");
	expect_error(MEM("\x01" "65\n"), "limit", "65 command pieces");
	ok(read_mem(MEM("\x06" "67108865\n"), &p) == PERSIST_ERROR &&
		   p.too_large == 1,
	   "over the limit: too_large set");
	persist_packet_free(&p);
	ok(read_mem(MEM("\x06" "x\n"), &p) == PERSIST_ERROR &&
		   p.too_large == 0,
	   "garbage length: too_large not set");
	persist_packet_free(&p);
	expect_error(MEM("\x01" "1\n" "1048577\n"), "limit",
		     "command piece over 1 MB");
	expect_error(MEM("{\"method\":\"GET\"}"), "unknown opcode",
		     "JSON without framing");
	expect_error(MEM("\xff"), "unknown opcode", "opcode 0xff");
	ok(read_mem(MEM("\x12"), &p) == PERSIST_ERROR && p.opcode == 0x12,
	   "unknown opcode reported in p.opcode");
	persist_packet_free(&p);

	/* a 64 MB block is allowed; a 60 MB announcement costs nothing */
	buf = malloc(PERSIST_MAX_BLOCK + 16);
	n = snprintf(buf, 16, "\x02%lu\n", PERSIST_MAX_BLOCK);
	memset(buf + n, 'b', PERSIST_MAX_BLOCK);
	ok(read_mem(buf, (size_t)n + PERSIST_MAX_BLOCK, &p) == PERSIST_OK &&
		   p.block_len == PERSIST_MAX_BLOCK &&
		   p.block[PERSIST_MAX_BLOCK - 1] == 'b' &&
		   p.block[PERSIST_MAX_BLOCK] == '\0',
	   "block of exactly 64 MB");
	persist_packet_free(&p);
	free(buf);
#if defined(__SANITIZE_ADDRESS__)
	ok(1, "announced 60 MB in a 16 MB address space # SKIP ASan");
#else
	is_int(announce_big_in_small_space(), 0,
	       "announced 60 MB in a 16 MB address space: truncated, no OOM");
#endif

	/* replies */
	f = open_memstream(&out, &len);
	ok(persist_write(f, "", 0) == 0 && persist_write(f, "hello", 5) == 0,
	   "write two replies");
	fclose(f);
	ok(len == 9 && !memcmp(out, "0\n5\nhello", 9), "reply framing");
	free(out);

	ok(pipe(fds) == 0, "pipe");
	close(fds[0]);
	f = fdopen(fds[1], "w");
	ok(persist_write(f, "x", 1) == -1, "write to a closed reader fails");
	fclose(f);

	/* over a pipe, written a byte at a time; then garbage, resync, and
	 * a good packet after it */
	ok(pipe(fds) == 0, "pipe 2");
	pid = fork();
	if (pid == 0) {
		static const char first[] = "\x07" "1\n" "1\nq" "0\n" "2\n{}";
		static const char junk[] = "garbage that is not a packet\n123";
		static const char good[] = "\x06" "4\nnext";

		close(fds[0]);
		for (i = 0; i < sizeof first - 1; i++)
			if (write(fds[1], first + i, 1) != 1)
				_exit(1);
		if (write(fds[1], junk, sizeof junk - 1) < 0)
			_exit(1);
		usleep(300 * 1000);
		if (write(fds[1], good, sizeof good - 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	ok(persist_read(f, &p, err, sizeof err) == PERSIST_OK &&
		   p.init_read && !strcmp(p.block, "{}"),
	   "pipe: combined packet byte by byte");
	persist_packet_free(&p);
	ok(persist_read(f, &p, err, sizeof err) == PERSIST_ERROR,
	   "pipe: garbage refused");
	persist_packet_free(&p);
	ok(persist_resync(f, 100) == 0, "pipe: resync drops the rest");
	ok(persist_read(f, &p, err, sizeof err) == PERSIST_OK &&
		   !strcmp(p.block, "next"),
	   "pipe: next packet read after resync");
	persist_packet_free(&p);
	ok(persist_read(f, &p, err, sizeof err) == PERSIST_EOF,
	   "pipe: clean EOF when the writer exits");
	persist_packet_free(&p);
	ok(persist_resync(f, 10) == -1, "resync at EOF says so");
	fclose(f);
	waitpid(pid, NULL, 0);

	f = fmemopen((void *)"junk", 4, "r");
	ok(persist_resync(f, 10) == -1, "resync of a memory stream drains it");
	fclose(f);

	test_serve();
	return tap_done();
}
