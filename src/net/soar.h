#ifndef QS_SOAR_H
#define QS_SOAR_H

#include <jansson.h>
#include <stddef.h>

/*
 * QRadar SOAR REST client (libcurl + jansson). One handle = one login and
 * one reused connection for a whole run. Implemented in soar.c; both the
 * alert action and the setup handler use it. (Contract agreed up front so
 * the two can be built in parallel; extend it, do not change it.)
 *
 * Errors: functions return 0 or a soar_err; err gets what is wrong and,
 * when a setting can fix it, what to change, in the setup page's words
 * ("Check \"Port\" on the add-on's setup page"): the host, the cause
 * (SOAR's StatusDTO message quoted, the HTTP status, the DNS, connect or
 * certificate problem). No secret is ever in err.
 *
 * Retries: what can pass by itself (a refused or dropped connection, a
 * timeout, 429/5xx, an HTML error page) is retried within the budget; what
 * cannot until a setting changes (the host does not resolve, a bad host or
 * URL, an unreadable CA bundle, a certificate problem, the proxy's refusal,
 * 401/403 at login, an unknown or disabled org) fails at once.
 */
struct soar_opts {
	const char *host;   /* no scheme */
	int port;	    /* default 443 */
	const char *org;    /* matched by cloud_account, uuid, then name */
	const char *user;   /* email, or API key id when api_keys */
	const char *secret; /* password or API key secret */
	int api_keys;
	const char *verify; /* "", "1", "true": system CAs; else a CA path */
	const char *proxy_host; /* optional; scheme optional (http) */
	int proxy_port;
	const char *proxy_user;
	const char *proxy_password;
	long budget_ms; /* total time for retries; 0 = default */
	/* the setup handler's own calls: the advice in err leaves out "on
	 * the add-on's setup page" (the admin is on it) */
	int from_setup_page;
	/* optional, SOAR_SETTING_LEN bytes: on a failure an admin fixes on
	 * the setup page, the form key of the setting to change ("host",
	 * "port", "ca_file", "verify", "org", "user", "secret",
	 * "proxy_host", "proxy_port", "proxy_user", "proxy_password");
	 * "" otherwise */
	char *bad_setting;
};

#define SOAR_SETTING_LEN 32

/* The setup page's label of a setting, by form key (bad_setting's keys,
 * plus the page's other settings: api_keys, duplicates, num_artifacts,
 * num_events, sync_closed, sync_close_status): errors name the setting
 * to change in the words the admin sees there (tests/browser checks every
 * label here is one of the page's). user and secret depend on api_keys.
 * An unknown key is returned as it is. */
const char *soar_setting_label(const char *key, int api_keys);

enum soar_err {
	SOAR_OK = 0,
	SOAR_CONNECT, /* DNS, connect, timeout: host unreachable */
	SOAR_TLS,     /* certificate problem */
	SOAR_AUTH,    /* bad credentials (401/403 on login) */
	SOAR_ORG,     /* org unknown or disabled */
	SOAR_REFUSED, /* 4xx with a StatusDTO message (not retried) */
	SOAR_SERVER,  /* 5xx after retries, or an unparsable answer */
	SOAR_PROXY,   /* proxy refused the tunnel */
	SOAR_NOMEM,
	SOAR_UNKNOWN,  /* a create was sent but not answered: may exist */
	SOAR_CONFLICT, /* 409: a conflicting change (PATCH re-reads, retries) */
	SOAR_CONFIG /* the configuration cannot work (host, verify, CA bundle):
		       found before any request */
};

struct soar;

/* o is copied; the strings it points to must outlive the handle (a
 * re-login after a 401 uses user and secret again). */
int soar_connect(struct soar **out, const struct soar_opts *o, char *err,
		 size_t errlen);
/* Frees a handle; clones must be freed before the handle they came from. */
void soar_free(struct soar *s);
/* A handle for another thread: the same login session (a 401 re-logs in
 * once for all), org and cached catalogues; nothing is fetched. It takes
 * over s's kept-alive connection (see http_clone); s opens a new one if it
 * is used again. Call from the thread that uses s, while nothing else uses
 * it. Each handle is used by one thread at a time. */
int soar_clone(struct soar **out, struct soar *s, char *err, size_t n);

long long soar_org_id(const struct soar *s);
const char *soar_org_name(const struct soar *s);

/* GET /types/incident/fields (array) and /artifact_types (object); the
 * caller owns *out. Each is fetched from the server at most once per
 * handle. */
int soar_incident_fields(struct soar *s, json_t **out, char *err, size_t n);
int soar_artifact_types(struct soar *s, json_t **out, char *err, size_t n);

/* The case URL for the notable comment (malloc'd):
 * https://host:port/#incidents/<id>?orgId=<org>, or on Cloud Pak for
 * Security (host cases-rest.X) https://X/app/respond/#cases/<id>. */
char *soar_case_url(const struct soar *s, long long case_id);

/* The open (plan_status A) case whose properties.splunk_notable_event_id
 * equals key, newest first: *out_incident (caller owns) or NULL. */
int soar_find_open_case(struct soar *s, const char *key, json_t **out_incident,
			char *err, size_t n);

/* POST /incidents/query_paged[?params] with query (a QueryPagedDTO,
 * borrowed; params an encoded query string such as
 * "return_level=normal", or NULL): *out (caller owns) is SOAR's answer
 * (recordsTotal, recordsFiltered, data), whose data is an array. */
int soar_query_paged(struct soar *s, const json_t *query, const char *params,
		     json_t **out, char *err, size_t n);

/* POST /incidents with body (borrowed); *out_id the new case's id. When the
 * outcome of a send is unknown (timeout after sending) and dedup_key is
 * given, the create is retried only after a query shows no such case;
 * when it cannot be retried, SOAR_UNKNOWN says the case may exist. */
int soar_create_case(struct soar *s, json_t *body, const char *dedup_key,
		     long long *out_id, char *err, size_t n);

/* PATCHes the case incident names (borrowed; only its id is used: the case
 * is read again first, as a query's row may be partial or stale) with the
 * changes (casebuild's "changes": an array of {"name", "prefix" (absent
 * for top-level fields), "input_type", "value"}) whose value differs;
 * re-reads and retries on a conflict (409, or success false); sets
 * *npatched to the number of fields changed. changed (may be NULL) gets,
 * once the PATCH succeeded, mapping key → new value for each of them. */
int soar_update_case(struct soar *s, const json_t *incident,
		     const json_t *changes, int *npatched, json_t *changed,
		     char *err, size_t n);

/* POSTs the artifacts (array of {type,value,description}) the case does
 * not have yet; *nadded gets how many were added, and added (an array, may
 * be NULL) each artifact SOAR accepted. */
int soar_add_artifacts(struct soar *s, long long case_id,
		       const json_t *artifacts, int *nadded, json_t *added,
		       char *err, size_t n);

/* Adds a note (an incident comment: POST /incidents/{id}/comments with a
 * TextContentDTO {"format": "text"}) to case_id. Sent at most once: a
 * failure after the request may have reached SOAR is not retried (a note
 * sent twice shows twice), and says so in err. */
int soar_add_note(struct soar *s, long long case_id, const char *text,
		  char *err, size_t n);

#endif
