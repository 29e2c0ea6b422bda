#ifndef QS_SPLUNKD_H
#define QS_SPLUNKD_H

#include <jansson.h>
#include <stddef.h>

/*
 * splunkd REST client: Authorization: Splunk <session key> against the
 * management URI (payload server_uri, or the persist request's
 * server.rest_uri). TLS: trusts $SPLUNK_HOME/etc/auth/cacert.pem when it
 * exists (splunkd's own CA), see the README for loopback.
 * Implemented in splunkd.c; used by the alert action and the setup
 * handler. Errors: 0 or a splunkd_err; err names the endpoint, the HTTP
 * status and splunkd's messages[].text. The session key never appears in
 * err or in any log.
 */
enum splunkd_err {
	SPLUNKD_OK = 0,
	SPLUNKD_CONNECT,
	SPLUNKD_FORBIDDEN, /* 403: missing capability */
	SPLUNKD_NOTFOUND,  /* 404 */
	SPLUNKD_REFUSED,   /* other 4xx */
	SPLUNKD_SERVER,	   /* 5xx or unparsable */
	SPLUNKD_NOMEM,
	SPLUNKD_CONFLICT, /* 409: the object already exists */
	SPLUNKD_BAD_URI	  /* server_uri is no http(s)://host[:port] URL */
};

struct splunkd;

/* server_uri must be an http(s)://host[:port] URL, else SPLUNKD_BAD_URI
 * with err saying so (nothing is sent). */
int splunkd_open(struct splunkd **out, const char *server_uri,
		 const char *session_key, char *err, size_t errlen);
/* A handle for another thread with d's URI and session key; it takes over
 * d's kept-alive connection (see http_clone). Call from the thread that
 * uses d, while nothing else uses it. */
int splunkd_clone(struct splunkd **out, struct splunkd *d, char *err,
		  size_t errlen);
void splunkd_free(struct splunkd *d);

/* The content object of the first entry of a splunkd JSON feed
 * ({"entry":[{"content":{…}}]}), borrowed from feed, or NULL. */
json_t *splunkd_entry_content(const json_t *feed);

/* GET path (with output_mode=json added); *out is the parsed body. */
int splunkd_get(struct splunkd *d, const char *path, json_t **out, char *err,
		size_t errlen);
/* POST path, form-encoded from a NULL-terminated list of key, value pairs
 * (keys may repeat); *out (may be NULL) gets the parsed JSON answer. */
int splunkd_post_form(struct splunkd *d, const char *path,
		      const char *const *kv, json_t **out, char *err,
		      size_t errlen);
int splunkd_delete(struct splunkd *d, const char *path, char *err,
		   size_t errlen);
/* method path with a JSON body (Content-Type: application/json; body may
 * be NULL) for endpoints that speak JSON themselves (the KV store's data
 * endpoints): no output_mode is added. *out (may be NULL) gets the parsed
 * answer, NULL when it is empty. */
int splunkd_json(struct splunkd *d, const char *method, const char *path,
		 const char *body, json_t **out, char *err, size_t errlen);

/* The path of the storage/passwords entity of realm and user: the entity
 * name is "realm:user:" with ':' inside either part escaped as "\:" (as
 * splunkd names them), percent-encoded under QS_PASSWORDS_PATH; malloc'd,
 * NULL on out of memory. */
char *splunkd_password_path(const char *realm, const char *user);
/* The password of entity "<realm>:<user>:" (malloc'd, registered as a log
 * secret); what names it in errors ("SOAR credential", "proxy password").
 * 403 → SPLUNKD_FORBIDDEN naming list_storage_passwords; 404 →
 * SPLUNKD_NOTFOUND. */
int splunkd_get_password(struct splunkd *d, const char *realm, const char *user,
			 const char *what, char **secret, char *err,
			 size_t errlen);
/* The secret stored under realm SA_QRadar_SOAR_<host>, username <user>
 * (entity "SA_QRadar_SOAR_<host>:<user>:"), malloc'd; the caller wipes and
 * frees it. 403 → SPLUNKD_FORBIDDEN with a message naming the
 * list_storage_passwords capability. */
int splunkd_get_secret(struct splunkd *d, const char *host, const char *user,
		       char **secret, char *err, size_t errlen);

/* POST /services/messages name=…, value=…, severity=… */
int splunkd_message(struct splunkd *d, const char *name, const char *text,
		    const char *severity, char *err, size_t errlen);

#endif
