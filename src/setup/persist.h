#ifndef QS_PERSIST_H
#define QS_PERSIST_H

#include <stddef.h>
#include <stdio.h>

/*
 * The driver side of splunkd's persistconn protocol (restmap.conf
 * scripttype = persist; splunk-protocol.md §5.5).
 *
 * splunkd -> driver, one packet per message:
 *   1 opcode byte (flags below; stray '\n' before it are skipped)
 *   INIT:  "<count>\n", count x "<len>\n<bytes>" (command pieces),
 *          then "<len>\n<bytes>" (command_arg, empty = none)
 *   BLOCK: "<len>\n<bytes>" (the request JSON)
 * INIT and BLOCK may come in the same packet; INIT is answered first.
 * driver -> splunkd: every reply is "<len>\n<bytes>".
 */

#define PERSIST_INIT 0x01
#define PERSIST_BLOCK 0x02
#define PERSIST_END 0x04
#define PERSIST_ALLOW_STREAM 0x08

/* Hard limits: anything larger is a framing error, refused before any
 * allocation of its size. */
#define PERSIST_MAX_BLOCK (64UL * 1024 * 1024)
#define PERSIST_MAX_PIECES 64
#define PERSIST_MAX_PIECE (1024UL * 1024)

struct persist_packet {
	unsigned opcode;
	/* INIT only: pieces and the argument, each NUL-terminated (a piece
	 * may itself hold NUL bytes; the lengths are exact). */
	size_t ncommand;
	char **command;
	size_t *command_len;
	char *command_arg;
	size_t command_arg_len;
	/* BLOCK only: the request, NUL-terminated, block_len bytes. */
	char *block;
	size_t block_len;
	/* On a framing error: how far the packet got, so the caller knows
	 * what splunkd still waits for (1 once the INIT part was read). */
	int init_read;
	/* On a framing error: 1 when a length was over its limit (the
	 * request is too large rather than malformed). */
	int too_large;
};

enum persist_rc {
	PERSIST_OK = 1,	    /* a packet in p */
	PERSIST_EOF = 0,    /* the stream ended cleanly between packets */
	PERSIST_ERROR = -1, /* garbage, a limit, truncation or a read error;
			     * err says which; p->opcode is set when the
			     * opcode byte was read (0 otherwise) */
};

/* Reads one packet. p is overwritten (free it with persist_packet_free
 * after every call, whatever the result). */
enum persist_rc persist_read(FILE *in, struct persist_packet *p, char *err,
			     size_t errlen);
void persist_packet_free(struct persist_packet *p);

/* Writes "<len>\n<bytes>" and flushes. Returns 0, or -1 (errno set) when
 * the reader has gone. */
int persist_write(FILE *out, const char *data, size_t len);

/* After a framing error: drops what stdio buffered and whatever splunkd
 * already sent, until the input has been quiet for quiet_ms, so the next
 * read starts on a fresh packet. Returns 0, or -1 when the input ended. */
int persist_resync(FILE *in, int quiet_ms);

/* A request handler: the request block's bytes in, the reply's bytes out
 * (malloc'd; the server frees it), or NULL when none could be built (out
 * of memory): the server then answers a fixed 500. */
typedef char *(*persist_handler)(void *ctx, const char *block, size_t len);

/* How long the input must stay quiet before a resync is complete. */
#define PERSIST_RESYNC_QUIET_MS 200

/*
 * The driver's loop: reads packets from in until it ends and answers each
 * on out. INIT is answered empty; each BLOCK with handler's reply. After
 * a broken packet the input is resynced and the packet answered as far as
 * splunkd waits for an answer: a broken INIT with a non-empty answer
 * (splunkd then knows the start failed), a broken BLOCK with a JSON 400
 * (413 when it was too large) naming the problem; then the loop goes on.
 * Returns 0 when in ended, -1 when out failed (splunkd has gone; logged).
 */
int persist_serve(FILE *in, FILE *out, persist_handler handler, void *ctx);

#endif
