#include "setup/persist.h"
#include "util/buf.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Decisions beyond the header:
 *  - An opcode byte with bits above ALLOW_STREAM is garbage (splunkd sends
 *    only the four flags), so a stray text byte is caught at once instead
 *    of being read as INIT|BLOCK.
 *  - An opcode with neither INIT nor BLOCK (END alone) is a valid packet
 *    that needs no reply; the caller sees it and reads on.
 *  - A length is decimal digits and '\n', nothing else (no sign, no
 *    spaces, no CR); more than 20 digits or a value past the limit is
 *    refused while it is being read.
 *  - Bytes are read into a buffer that grows as they arrive (1 MB steps),
 *    so a packet that announces 60 MB and ends after ten costs ten.
 */

static enum persist_rc fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum persist_rc fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return PERSIST_ERROR;
}

static enum persist_rc eof_or_error(FILE *in, const char *what, char *err,
				    size_t errlen)
{
	if (ferror(in))
		return fail(err, errlen, "read error in %s: %s", what,
			    strerror(errno));
	return fail(err, errlen, "truncated packet: the input ended in %s",
		    what);
}

/* "<decimal>\n" with the value at most limit. */
static enum persist_rc read_len(FILE *in, size_t limit, const char *what,
				size_t *out, int *too_large, char *err,
				size_t errlen)
{
	uint64_t v = 0;
	int c, digits = 0;

	for (;;) {
		c = getc(in);
		if (c == EOF)
			return eof_or_error(in, what, err, errlen);
		if (c == '\n')
			break;
		if (c < '0' || c > '9')
			return fail(err, errlen,
				    "bad length in %s: byte 0x%02x is not a "
				    "decimal digit",
				    what, (unsigned)c);
		if (++digits > 20 || v > (UINT64_MAX - 9) / 10) {
			*too_large = 1;
			return fail(err, errlen,
				    "bad length in %s: too many "
				    "digits",
				    what);
		}
		v = v * 10 + (uint64_t)(c - '0');
		if (v > limit) {
			*too_large = 1;
			return fail(err, errlen,
				    "%s is longer than the limit of %zu bytes",
				    what, limit);
		}
	}
	if (!digits)
		return fail(err, errlen, "bad length in %s: no digits", what);
	*out = (size_t)v;
	return PERSIST_OK;
}

/* n bytes into a new NUL-terminated buffer. The bytes may be a request
 * with the session key and the form's secrets: every copy is wiped. */
static enum persist_rc read_bytes(FILE *in, size_t n, const char *what,
				  char **out, char *err, size_t errlen)
{
	struct buf b;
	char chunk[8192];
	enum persist_rc rc = PERSIST_OK;

	buf_init_secret(&b, n);
	while (b.len < n) {
		size_t want =
			n - b.len < sizeof(chunk) ? n - b.len : sizeof(chunk);
		size_t got = fread(chunk, 1, want, in);

		if (got && buf_append(&b, chunk, got)) {
			rc = fail(err, errlen, "out of memory reading %s",
				  what);
			break;
		}
		if (got < want) {
			rc = eof_or_error(in, what, err, errlen);
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (rc == PERSIST_OK) {
		*out = buf_take(&b);
		if (!*out)
			rc = fail(err, errlen, "out of memory reading %s",
				  what);
	}
	buf_free(&b);
	return rc;
}

static enum persist_rc read_init(FILE *in, struct persist_packet *p, char *err,
				 size_t errlen)
{
	size_t n, i, len;
	char what[48];

	if (read_len(in, PERSIST_MAX_PIECES, "the INIT piece count", &n,
		     &p->too_large, err, errlen) != PERSIST_OK)
		return PERSIST_ERROR;
	p->command = calloc(n ? n : 1, sizeof *p->command);
	p->command_len = calloc(n ? n : 1, sizeof *p->command_len);
	if (!p->command || !p->command_len)
		return fail(err, errlen, "out of memory reading INIT");
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof what, "INIT command piece %zu", i + 1);
		if (read_len(in, PERSIST_MAX_PIECE, what, &len, &p->too_large,
			     err, errlen) != PERSIST_OK ||
		    read_bytes(in, len, what, &p->command[i], err, errlen) !=
			    PERSIST_OK)
			return PERSIST_ERROR;
		p->command_len[i] = len;
		p->ncommand = i + 1;
	}
	if (read_len(in, PERSIST_MAX_PIECE, "the INIT command argument", &len,
		     &p->too_large, err, errlen) != PERSIST_OK ||
	    read_bytes(in, len, "the INIT command argument", &p->command_arg,
		       err, errlen) != PERSIST_OK)
		return PERSIST_ERROR;
	p->command_arg_len = len;
	p->init_read = 1;
	return PERSIST_OK;
}

enum persist_rc persist_read(FILE *in, struct persist_packet *p, char *err,
			     size_t errlen)
{
	int c;

	memset(p, 0, sizeof *p);
	if (err && errlen)
		err[0] = '\0';
	do
		c = getc(in);
	while (c == '\n');
	if (c == EOF) {
		if (ferror(in))
			return fail(err, errlen,
				    "read error before a packet: "
				    "%s",
				    strerror(errno));
		return PERSIST_EOF;
	}
	p->opcode = (unsigned)c;
	if (p->opcode & ~0x0fu)
		return fail(err, errlen,
			    "unknown opcode byte 0x%02x (not a persistconn "
			    "packet)",
			    p->opcode);
	if ((p->opcode & PERSIST_INIT) &&
	    read_init(in, p, err, errlen) != PERSIST_OK)
		return PERSIST_ERROR;
	if (p->opcode & PERSIST_BLOCK) {
		if (read_len(in, PERSIST_MAX_BLOCK, "the request block",
			     &p->block_len, &p->too_large, err,
			     errlen) != PERSIST_OK ||
		    read_bytes(in, p->block_len, "the request block", &p->block,
			       err, errlen) != PERSIST_OK) {
			p->block_len = 0;
			return PERSIST_ERROR;
		}
	}
	return PERSIST_OK;
}

void persist_packet_free(struct persist_packet *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->command && i < p->ncommand; i++)
		free(p->command[i]);
	free(p->command);
	free(p->command_len);
	free(p->command_arg);
	if (p->block) {
		/* the request carries the session key */
		explicit_bzero(p->block, p->block_len);
		free(p->block);
	}
	memset(p, 0, sizeof *p);
}

int persist_write(FILE *out, const char *data, size_t len)
{
	if (fprintf(out, "%zu\n", len) < 0 ||
	    (len && fwrite(data, 1, len, out) != len) || fflush(out))
		return -1;
	return 0;
}

int persist_resync(FILE *in, int quiet_ms)
{
	char scratch[65536];
	int fd = fileno(in);
	struct pollfd pfd;
	ssize_t n;

	if (fd < 0) {
		/* not a descriptor (a memory stream): what is left is all
		 * that will ever come; drop it */
		while (fread(scratch, 1, sizeof scratch, in) > 0)
			;
		explicit_bzero(scratch, sizeof scratch);
		return -1;
	}
	if (feof(in))
		return -1;
	__fpurge(in);
	clearerr(in);
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, quiet_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = read(fd, scratch, sizeof scratch);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			n = -1;
			break;
		}
	}
	/* the dropped bytes may hold a session key */
	explicit_bzero(scratch, sizeof scratch);
	return n == 0 ? 0 : -1;
}

/* A fixed reply for when building one fails (out of memory). */
static const char reply_500[] =
	"{\"status\":500,\"payload\":{\"success\":false,\"text\":"
	"\"The setup handler ran out of memory.\"}}";

static int reply(FILE *out, const char *s, size_t n)
{
	if (persist_write(out, s, n) == 0)
		return 0;
	/* log before anything else: splunkd has gone away */
	errorf("cannot write a reply to splunkd: %s", strerror(errno));
	return -1;
}

/* A REST error reply, {"status": N, "payload": {"success": false,
 * "text": …}}. */
static int reply_error(FILE *out, int status, const char *text)
{
	json_t *r = json_pack("{s:i,s:{s:b,s:s}}", "status", status, "payload",
			      "success", 0, "text", text);
	char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;
	int rc = s ? reply(out, s, strlen(s))
		   : reply(out, reply_500, sizeof(reply_500) - 1);

	free(s);
	json_decref(r);
	return rc;
}

/* After a framing error: the answers splunkd still waits for, if any. */
static int answer_broken(FILE *out, const struct persist_packet *p,
			 const char *err)
{
	char text[400];

	errorf("bad persistconn packet: %s", err);
	if ((p->opcode & PERSIST_INIT) && !p->init_read) {
		/* a non-empty INIT answer tells splunkd the start failed */
		snprintf(text, sizeof(text), "qradar_soar_setup: bad INIT: %s",
			 err);
		if (reply(out, text, strlen(text)))
			return -1;
		if (!(p->opcode & PERSIST_BLOCK))
			return 0;
	} else if (p->opcode & PERSIST_INIT) {
		if (reply(out, "", 0))
			return -1;
	}
	if (p->opcode && !(p->opcode & ~0x0fu) && !(p->opcode & PERSIST_BLOCK))
		return 0;
	snprintf(text, sizeof(text), "%s: %s",
		 p->too_large ? "The request is too large"
			      : "The request could not be read",
		 err);
	return reply_error(out, p->too_large ? 413 : 400, text);
}

/* Answers one whole packet: INIT first, then the BLOCK. */
static int answer(FILE *out, const struct persist_packet *p,
		  persist_handler handler, void *ctx)
{
	char *r;
	int rc;

	if (p->opcode & PERSIST_INIT) {
		debugf("INIT with %zu command pieces", p->ncommand);
		if (reply(out, "", 0))
			return -1;
	}
	if (!(p->opcode & PERSIST_BLOCK))
		return 0;
	r = handler(ctx, p->block, p->block_len);
	rc = r ? reply(out, r, strlen(r))
	       : reply(out, reply_500, sizeof(reply_500) - 1);
	free(r);
	return rc;
}

int persist_serve(FILE *in, FILE *out, persist_handler handler, void *ctx)
{
	struct persist_packet p;
	char err[256];
	enum persist_rc rc;
	int gone = 0, ended = 0, served = 0;

	while (!gone && !ended) {
		rc = persist_read(in, &p, err, sizeof(err));
		if (rc == PERSIST_EOF) {
			ended = 1;
		} else if (rc == PERSIST_ERROR) {
			/* drop the rest of the broken packet before answering:
			 * splunkd sends its next request only after our answer,
			 * so nothing good can be lost in the drain */
			ended = persist_resync(in, PERSIST_RESYNC_QUIET_MS) !=
				0;
			gone = answer_broken(out, &p, err) != 0;
		} else {
			served += (p.opcode & PERSIST_BLOCK) != 0;
			gone = answer(out, &p, handler, ctx) != 0;
		}
		persist_packet_free(&p);
	}
	debugf("input closed after %d requests", served);
	return gone ? -1 : 0;
}
