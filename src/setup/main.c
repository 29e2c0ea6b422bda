/*
 * bin/qradar_soar_setup: the setup page's REST handler, run by splunkd as a
 * restmap.conf persistent driver (scripttype = persist). One process
 * serves many requests: persistconn packets on stdin, one reply each on
 * stdout (persist.h); the request logic is setup_handle() (setup.h).
 *
 * Nothing but replies may reach stdout; diagnostics go to stderr (which
 * splunkd copies into splunkd.log) and to
 * $SPLUNK_HOME/var/log/splunk/qradar_soar_config_handler.log.
 *
 * A bad request is answered and the loop goes on; after a broken packet
 * the input is resynced (persist_resync) and the packet answered as far as
 * splunkd waits for an answer. The process ends with status 0 when splunkd closes
 * stdin, or with 1 when it cannot answer (stdout gone).
 */
#include "util/log.h"
#include "util/secret.h"
#include "setup/persist.h"
#include "setup/setup.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_NAME "qradar_soar_config_handler"
/* How long the input must stay quiet before a resync is complete. */
#define RESYNC_QUIET_MS 200

/* A fixed reply for when building one fails (out of memory). */
static const char reply_500[] =
	"{\"status\":500,\"payload\":{\"success\":false,\"text\":"
	"\"The setup handler ran out of memory.\"}}";

static int write_reply(const char *s, size_t n)
{
	if (persist_write(stdout, s, n) == 0)
		return 0;
	/* log before anything else: splunkd has gone away */
	errorf("cannot write a reply to splunkd: %s", strerror(errno));
	return -1;
}

static int write_json(json_t *reply)
{
	char *s = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	int rc;

	if (!s)
		return write_reply(reply_500, sizeof reply_500 - 1);
	rc = write_reply(s, strlen(s));
	free(s);
	return rc;
}

static int write_error(int status, const char *text)
{
	json_t *r = json_pack("{s i s {s b s s}}", "status", status, "payload",
			      "success", 0, "text", text);
	int rc = write_json(r);

	json_decref(r);
	return rc;
}

/* Registers the values of the secret keys in a form or query (a list of
 * [k, v] pairs, or an object). */
static void add_form_secrets(const json_t *form)
{
	static const char *const keys[] = { "secret", "proxy_password" };
	size_t i, k;

	if (json_is_object(form)) {
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			log_add_secret(json_string_value(
				json_object_get(form, keys[k])));
		return;
	}
	for (i = 0; i < json_array_size(form); i++) {
		const json_t *p = json_array_get(form, i);
		const char *key = json_string_value(json_array_get(p, 0));

		if (!key)
			continue;
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (!strcmp(key, keys[k]))
				log_add_secret(json_string_value(
					json_array_get(p, 1)));
	}
}

/*
 * Before anything of a request is logged: forget the previous request's
 * secrets (log.c keeps a bounded list, and a long-lived process sees a new
 * session key per login), then register this one's.
 */
static void register_secrets(const json_t *req)
{
	log_forget_secrets();
	log_add_secret(json_string_value(
		json_object_get(json_object_get(req, "session"), "authtoken")));
	log_add_secret(
		json_string_value(json_object_get(req, "system_authtoken")));
	add_form_secrets(json_object_get(req, "form"));
	add_form_secrets(json_object_get(req, "query"));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One BLOCK: the request JSON in, exactly one reply out. */
static int handle_block(const char *block, size_t len)
{
	json_error_t jerr;
	json_t *req, *reply;
	const char *method, *path, *user;
	double t0 = now();
	int rc;

	/* JSON_ALLOW_NUL: a "\u0000" in a form value reaches the form
	 * validation, which names the field, instead of failing the whole
	 * request as "not JSON". */
	req = json_loadb(block, len, JSON_ALLOW_NUL, &jerr);
	if (!req || !json_is_object(req)) {
		char text[160];

		/* nothing is known of this request's secrets, so nothing of
		 * it is logged (jansson's message quotes the input, which may
		 * hold the session key) */
		log_forget_secrets();
		if (!req)
			snprintf(text, sizeof text,
				 "The request is not valid JSON (error at "
				 "byte %d of %zu).",
				 jerr.position, len);
		else
			snprintf(text, sizeof text,
				 "The request is not a JSON object.");
		json_decref(req);
		errorf("refused a request: %s", text);
		return write_error(400, text);
	}
	register_secrets(req);
	method = json_string_value(json_object_get(req, "method"));
	path = json_string_value(json_object_get(req, "rest_path"));
	user = json_string_value(
		json_object_get(json_object_get(req, "session"), "user"));

	reply = setup_handle(req);
	rc = write_json(reply);
	infof("%.16s %.200s by %.100s: status %lld in %.3f s",
	      method ? method : "?", path ? path : "?", user ? user : "?",
	      (long long)json_integer_value(json_object_get(reply, "status")),
	      now() - t0);
	json_decref(reply);
	json_decref(req);
	return rc;
}

/* After a framing error: the answers splunkd still waits for, if any. */
static int answer_broken(const struct persist_packet *p, const char *err)
{
	char text[400];
	int too_big = p->too_large;

	errorf("bad persistconn packet: %s", err);
	if ((p->opcode & PERSIST_INIT) && !p->init_read) {
		/* a non-empty INIT answer tells splunkd the start failed */
		snprintf(text, sizeof text, "qradar_soar_setup: bad INIT: %s",
			 err);
		if (write_reply(text, strlen(text)))
			return -1;
		if (!(p->opcode & PERSIST_BLOCK))
			return 0;
	} else if (p->opcode & PERSIST_INIT) {
		if (write_reply("", 0))
			return -1;
	}
	if (p->opcode && !(p->opcode & ~0x0fu) && !(p->opcode & PERSIST_BLOCK))
		return 0;
	snprintf(text, sizeof text, "%s: %s",
		 too_big ? "The request is too large"
			 : "The request could not be read",
		 err);
	return write_error(too_big ? 413 : 400, text);
}

int main(void)
{
	struct persist_packet p;
	const char *splunk_home;
	char err[256];
	enum persist_rc rc;
	int status = 0, served = 0;

	secret_wipe_json();
	/* a reply to a splunkd that went away must fail, not kill us */
	signal(SIGPIPE, SIG_IGN);
	splunk_home = getenv("SPLUNK_HOME");
	if (log_open(splunk_home, LOG_NAME))
		warnf("cannot open %s/var/log/splunk/%s.log; logging to "
		      "stderr only",
		      splunk_home ? splunk_home : "$SPLUNK_HOME", LOG_NAME);

	for (;;) {
		rc = persist_read(stdin, &p, err, sizeof err);
		if (rc == PERSIST_EOF) {
			persist_packet_free(&p);
			break;
		}
		if (rc == PERSIST_ERROR) {
			/* drop the rest of the broken packet before answering:
			 * splunkd sends its next request only after our answer,
			 * so nothing good can be lost in the drain */
			int ended = persist_resync(stdin, RESYNC_QUIET_MS);
			int gone = answer_broken(&p, err);

			persist_packet_free(&p);
			if (gone) {
				status = 1;
				break;
			}
			if (ended)
				break;
			continue;
		}
		if (p.opcode & PERSIST_INIT) {
			debugf("INIT with %zu command pieces", p.ncommand);
			if (write_reply("", 0)) {
				status = 1;
				persist_packet_free(&p);
				break;
			}
		}
		if (p.opcode & PERSIST_BLOCK) {
			served++;
			if (handle_block(p.block, p.block_len)) {
				status = 1;
				persist_packet_free(&p);
				break;
			}
		}
		persist_packet_free(&p);
	}
	debugf("input closed after %d requests", served);
	log_close();
	return status;
}
