#ifndef QS_QUEUE_H
#define QS_QUEUE_H

#include "mapping/casebuild.h"
#include "net/splunkd.h"

#include <jansson.h>
#include <stddef.h>

/*
 * The delivery queue's documents (README "Delivery queue"): one per case
 * row or notable comment not delivered for a reason a later attempt could
 * fix, in the KV store collection QUEUE_COLLECTION, else in the local
 * spool. This module builds and ages documents and stores them; the run
 * decides what to queue, the replay works them off.
 *
 * A document (QUEUE_FORMAT 1; times are epoch seconds, the KV store's
 * "time" type):
 *   kind            "case" or "comment"
 *   state           "queued" or "dead"
 *   resolved        case: true when body/changes/artifacts hold the case
 *                   as built against the org's catalog; false when SOAR
 *                   could not be asked for the catalog and inputs holds
 *                   what building it needs (see queue_inputs)
 *   body changes artifacts inputs   JSON text (the KV store refuses
 *                   field names with '.', which case bodies may have)
 *   case_id updated comment: the case the comment is about
 *   dedup_key event_id search_name sid rid orig_sid orig_rid app owner
 *   server_host     where the row came from
 *   host port org user api_keys    the SOAR target (the secret is read
 *                   from storage/passwords for host and user at replay)
 *   attempts last_error reason outcome_unknown first_failure
 *   last_attempt next_attempt dead_reason queued_by format
 * Every string is passed through the log's secret mask before it is
 * stored: a document never holds a session key, password, API secret or
 * cookie, not even one a row happened to contain.
 */
#define QUEUE_COLLECTION "qradar_soar_queue"
#define QUEUE_FORMAT 1
/* Backoff between attempts: doubles from QUEUE_BACKOFF_MIN_S, capped. */
#define QUEUE_BACKOFF_MIN_S 60
#define QUEUE_BACKOFF_MAX_S 3600

enum queue_kind { QUEUE_CASE, QUEUE_COMMENT };

/* Where a row came from; any field may be NULL. */
struct queue_origin {
	const char *search_name, *sid, *rid, *orig_sid, *orig_rid;
	const char *event_id, *app, *owner, *server_host;
};

/* The SOAR target; host, org and user are required. duplicates: the
 * action's option (a case per row, never looked up), which the replay
 * must honour too. */
struct queue_target {
	const char *host;
	int port;
	const char *org, *user;
	int api_keys;
	int duplicates;
};

/* A new document (NULL on out of memory). reason: a few words ("SOAR
 * unreachable"); error: the failure's sentence. attempts starts at 1 (the
 * attempt that failed) and the document is due at once: the next replay
 * takes it. Its _key is derived from kind, target, sid, rid and dedup key,
 * so queueing one row twice keeps one document. */
json_t *queue_doc_new(enum queue_kind kind, const struct queue_origin *o,
		      const struct queue_target *t, const char *dedup_key,
		      const char *reason, const char *error,
		      int outcome_unknown, double now);
/* The case as built (resolved = true). 0, or -1 on out of memory. */
int queue_doc_set_case(json_t *doc, const struct case_row *cr);
/* What building the case needs (resolved = false); inputs is taken. */
int queue_doc_set_inputs(json_t *doc, json_t *inputs);
/* Replaces the payload's stand-in configuration of unresolved inputs
 * (templates_read false) with the alert's templates, read at replay. */
int queue_doc_set_templates(json_t *doc, const json_t *templates);
/* The case a comment document is about. */
int queue_doc_set_comment(json_t *doc, long long case_id, int updated);

/* A failed attempt: attempts + 1, last_error, last_attempt, next_attempt
 * after the backoff; outcome_unknown is sticky. */
int queue_doc_failed(json_t *doc, const char *error, int outcome_unknown,
		     double now);
/* state = dead with the reason; kept, never retried by itself. */
int queue_doc_dead(json_t *doc, const char *why, double now);
/* Seconds to wait after the attempts-th failed attempt: 0 after the
 * first (the next replay), then QUEUE_BACKOFF_MIN_S doubling, capped at
 * QUEUE_BACKOFF_MAX_S. */
double queue_backoff_s(int attempts);

/* The inputs of an unresolved case document: the payload's token sources,
 * the mapping templates (only mapping_*, artifact* and the options that
 * shape a case: never a connection setting) and the row's fields the
 * templates name (plus event_id). templates: the raw templates object;
 * fields: the row. NULL on out of memory. */
struct row;
struct payload;
json_t *queue_inputs(const struct payload *p, const json_t *templates,
		     const struct row *row);
/* The same when the alert's templates could not be read (splunkd did not
 * answer): the payload's configuration stands in, every field of the row
 * is kept, and "templates_read": false tells the replay to read the
 * alert's templates (payload.search_uri) before building the case. */
json_t *queue_inputs_unread(const struct payload *p, const struct row *row);

/* The case of a case document, for the replay: a resolved document's
 * body, changes and artifacts as stored; an unresolved one's built now
 * against cat from its inputs (with its first failure as "now", so
 * defaults come out as they would have). out must be CASE_ROW_INIT; on
 * return 0 check out->error (a mapping error: a permanent failure). -1
 * with err set when the document itself is unusable (not JSON, …). */
struct catalog;
int queue_doc_case_row(const json_t *doc, const struct catalog *cat,
		       struct case_row *out, char *err, size_t n);

enum queue_where { QUEUE_LOST = 0, QUEUE_KV, QUEUE_SPOOL };

/* Stores doc: inserted into the KV store through sd (NULL: splunkd is not
 * usable), an existing document of the same _key counting as stored;
 * when the KV store cannot take it, written to spool_dir. Returns where
 * it went; QUEUE_LOST with err naming both failures. Masks doc's strings
 * first (see above). */
int queue_put(struct splunkd *sd, const char *spool_dir, json_t *doc, char *err,
	      size_t n);
/* The same for a document that may exist already (written ahead, or
 * read from the queue): the KV store's copy is replaced (inserted when
 * missing). */
int queue_replace(struct splunkd *sd, const char *spool_dir, json_t *doc,
		  char *err, size_t n);
/* Deletes doc from where it is (KV store or spool); a document already
 * gone counts as deleted. 0, or -1 with err set. */
int queue_delete(struct splunkd *sd, const char *spool_dir, const json_t *doc,
		 int where, char *err, size_t n);
/* Masks every registered secret in every string of doc, in place; 0 or
 * -1 on out of memory. queue_put and queue_replace do it themselves. */
int queue_mask(json_t *doc);

/* The document's string field, or NULL. */
const char *queue_str(const json_t *doc, const char *field);
/* The document's number field (KV numbers come back as reals), or dflt. */
double queue_num(const json_t *doc, const char *field, double dflt);

#endif
