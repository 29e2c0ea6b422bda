#ifndef QS_SETUPFORM_H
#define QS_SETUPFORM_H

#include <jansson.h>
#include <stddef.h>

/*
 * The setup page's form as persistconn delivers it (a list of [key, value]
 * pairs), parsed and validated. Every rule names the field it refuses, so
 * the page can point at it. No value may carry a control character (CR or
 * LF would inject a line or a [stanza] into a .conf file; NUL would cut a
 * C string), and every value has a length limit.
 *
 * Keys: host port org user secret api_keys verify duplicates num_artifacts
 * num_events proxy_host proxy_port proxy_user proxy_password sync_closed
 * sync_close_status mode.
 * Unknown keys are ignored (Splunk Web adds its own, e.g. output_mode).
 * Ranges and defaults: util/names.h, which also lists where this form is
 * stricter than the alert action.
 */
struct setup_form {
	char *host;	      /* no scheme, no path, no port */
	int port;	      /* 1..65535, default 443 */
	char *org;	      /* non-empty */
	char *user;	      /* email or API key id, non-empty */
	char *secret;	      /* password or API key secret; wiped; "" keeps
				 the stored one (keep_secret) */
	int keep_secret;      /* no secret given: the handler uses the one
				 stored for host and user, if any */
	int api_keys;	      /* 0/1 */
	char *verify;	      /* "true" or a readable CA file path */
	int duplicates;	      /* 0/1 */
	int num_artifacts;    /* 1..99, default 10 */
	int num_events;	      /* 1..10000, default 30 */
	char *proxy_host;     /* "" when no proxy */
	int proxy_port;	      /* 1..65535 when proxy_host is set */
	char *proxy_user;     /* "" when none */
	char *proxy_password; /* wiped; "" with a proxy_user keeps the stored
				 one (keep_proxy_password) */
	int keep_proxy_password;
	int test_mode;	      /* mode=test: steps 1-3 only, nothing written */
	int sync_closed;      /* 0/1: close the notable when its case closes */
	int sync_close_status; /* the ES status id, default 5 (Closed) */
};

/* Parses and validates form (borrowed). On success returns 0 and f owns
 * its strings (setup_form_free). On bad values returns -1 with field set
 * to the first offending key and err to a sentence naming its setting by
 * the page's label and the rule; errors (optional, an array) gets one
 * {"field": key, "text": sentence} per problem, so the page can mark
 * every invalid field at once; f is then already freed. Secrets never
 * appear in a message. */
int setup_form_parse(const json_t *form, struct setup_form *f, json_t *errors,
		     char *field, size_t fieldlen, char *err, size_t errlen);

/* Wipes the secrets and frees every string; f may be partly filled. */
void setup_form_free(struct setup_form *f);

#endif
