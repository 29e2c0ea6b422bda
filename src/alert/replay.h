#ifndef QS_REPLAY_H
#define QS_REPLAY_H

#include "mapping/config.h"
#include "mapping/payload.h"
#include "net/splunkd.h"
#include "util/log.h"

/*
 * mode = replay (the shipped search "QRadar SOAR - Replay queued
 * escalations"): the result rows are ignored; the run works off the
 * delivery queue (queue.h, README "Delivery queue"):
 *  1. the local spool of this host goes into the KV store (documents not
 *     in flight any more);
 *  2. due documents (state queued, next_attempt reached), oldest first,
 *     per SOAR target (host, org, user: its secret from storage/passwords,
 *     the replay's own verify and proxy settings):
 *     - claimed first: a lease document of the same _key inserted into
 *       qradar_soar_leases (the KV store refuses a second insert of one
 *       key: the insert is the claim), then the document read again to
 *       confirm it is still queued and due; a lease older than
 *       REPLAY_LEASE_S is taken over (deleted with its old expiry as the
 *       condition, then inserted: only one taker's insert wins);
 *     - older than queue_max_age (first failure): dead, kept;
 *     - a case: built if it was queued unresolved, looked up by its
 *       notable key and updated, else created (the per-notable lock of
 *       escalate.h held across both); an outcome_unknown case that cannot
 *       be looked up (duplicates = 1, or no splunk_notable_event_id field
 *       in the org) is never sent blindly: dead, with the reason;
 *     - a comment: posted on the notable with the case's id and link;
 *     - delivered: deleted; failed again: attempts + 1, last_error, next
 *       attempt after the backoff (queue.h); refused for good (SOAR's 400,
 *       a mapping error): dead with the reason;
 *  3. a CAM line for each document delivered or given up, one Splunk
 *     message for the run when something failed.
 * Stops taking new documents after REPLAY_BUDGET_MS (alert_actions.conf
 * maxtime is 5 minutes); what is left waits for the next run.
 */
#define REPLAY_LEASE_S 600
#define REPLAY_BUDGET_MS 200000L
#define REPLAY_PAGE 500
#define REPLAY_MAX_AGE_DEFAULT_S (7 * 86400)

struct replay_in {
	const struct payload *p;
	const struct action_config *cfg; /* the replay search's own */
	struct splunkd *sd;
	const struct cam_ctx *cam;
	const char *proxy_password; /* for cfg's proxy_user, or NULL */
	const char *lock_dir;	    /* escalate.h's per-notable lock */
	int lanes;
};

/* The run's exit code (util/exitcodes.h). */
int replay_run(const struct replay_in *in);

/* queue_max_age: seconds, or a number with s, m, h or d; *out seconds.
 * "" → REPLAY_MAX_AGE_DEFAULT_S. 0, or -1 with err naming the value. */
int replay_max_age(const char *v, double *out, char *err, size_t n);

#endif
