#ifndef QS_PAYLOAD_H
#define QS_PAYLOAD_H

#include <jansson.h>
#include <stddef.h>

/*
 * The document splunkd writes to the alert action's stdin.
 * JSON (payload_format = json, what default/alert_actions.conf sets) and
 * Splunk's XML form (<alert><configuration><stanza><param name=…>) are both
 * parsed into the same struct; the format is chosen by the first non-blank
 * byte ('{' JSON, '<' XML).
 *
 * Ownership: the struct owns root; every const char * below is borrowed
 * from it (or from a string it owns) and lives until payload_free(). Absent
 * keys are NULL, never "". configuration is an object whose values are all
 * strings (non-string JSON values are converted to their text form).
 */
struct payload {
	json_t *root;
	const char *app;
	const char *owner;
	const char *results_file;
	const char *results_link;
	const char *search_uri;
	const char *server_host;
	const char *server_uri;
	const char *session_key;
	const char *sid;
	const char *search_name;
	const char *result_id; /* per-result alerting; number converted to text */
	json_t *configuration; /* borrowed; never NULL after a successful parse */
	json_t *result;	       /* borrowed first result row, or NULL */
};

enum payload_err {
	PAYLOAD_OK = 0,
	PAYLOAD_EMPTY,	   /* nothing on stdin */
	PAYLOAD_SYNTAX,	   /* not JSON / XML, or not an object */
	PAYLOAD_BAD_KEY,   /* a key of the wrong type */
	PAYLOAD_NO_CONFIG, /* configuration missing or not an object */
	PAYLOAD_NOMEM
};

/* Parses len bytes of data. On error returns the code, fills err with one
 * sentence naming what was wrong (never echoing the session key), and
 * leaves *out zeroed. */
int payload_parse(struct payload *out, const char *data, size_t len, char *err,
		  size_t errlen);

/* Reads fd to EOF (capped at BUF_CAP_STDIN) and parses it. */
int payload_read_fd(struct payload *out, int fd, char *err, size_t errlen);

/* Frees root and wipes the session key's bytes. Safe on a zeroed struct. */
void payload_free(struct payload *p);

/* "1" when the run is a digest (all rows in one results file), "0" for
 * per-result alerting (result_id present or per_result_alert/tmp_N). */
const char *payload_digest_mode(const struct payload *p);

/* "saved" when the sid is a scheduler sid, else "adhoc". */
const char *payload_action_mode(const struct payload *p);

#endif
