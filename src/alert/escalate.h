#ifndef QS_ESCALATE_H
#define QS_ESCALATE_H

#include "mapping/casebuild.h"
#include "mapping/catalog.h"
#include "mapping/engine.h"
#include "net/soar.h"
#include "net/splunkd.h"
#include "util/log.h"

/*
 * The escalation policy for one row: what to ask SOAR and splunkd, and how
 * the outcome is reported. escalate_row decides and does (look up the open
 * case of the row's notable, update it and add the artifacts it lacks, or
 * create it; then comment on the notable) and returns the outcome as a
 * value; escalate_report writes it for the admin (log lines, CAM lines,
 * the unsent case body). The run collects the values: its exit code, and
 * whatever else it decides per outcome, come from them.
 */

/* One row on its way to SOAR: what the policy needs once the engine has
 * moved on to the next row. */
struct esc_row {
	char rid[64];
	char *event_id, *orig_sid, *orig_rid; /* the row's values, or NULL */
	struct case_row cr;
};

enum esc_outcome {
	ESC_CREATED,
	ESC_UPDATED,   /* an open case existed; fields or artifacts changed */
	ESC_UNCHANGED, /* an open case existed and already had everything */
	ESC_FAILED
};

/* Why a row failed, as a delivery retry would need to know it. */
enum esc_class {
	ESC_OK = 0,
	ESC_DATA,    /* the row itself: unmappable, or SOAR refused its data
		       * (4xx, conflicts); sending it again will not help */
	ESC_SOAR,    /* SOAR not usable (unreachable, TLS, login, 5xx);
		       * the same row may succeed later */
	ESC_INTERNAL /* out of memory */
};

struct esc_result {
	enum esc_outcome outcome;
	int queued;	     /* ESC_FAILED: the row waits in the delivery queue
		     * (issue 11) for another attempt */
	enum esc_class fail; /* ESC_OK unless outcome is ESC_FAILED */
	int update;	     /* an open case was found (the failure was an
			      * update's, not a create's) */
	int unknown;	     /* a create was sent and never answered: the case
			      * may exist; look before sending it again */
	long long case_id;   /* 0 when no case is known */
	char case_url[512];  /* the case in SOAR's UI, "" when unknown */
	int fields_changed;
	int artifacts_added;
	/* ESC_UPDATED: mapping key → new value of each field changed, and
	 * the artifacts added (what the case's note tells); owned, freed by
	 * escalate_result_free; NULL otherwise */
	json_t *changed;
	json_t *added;
	char error[2048];	  /* ESC_FAILED: one sentence */
	int comment_failed;	  /* the case stands, the notable comment not */
	char comment_error[1600]; /* why, when comment_failed */
	int queued_for_fix; /* queued because of a setting only the admin
			     * can fix (credential, login, org, certificate):
			     * the replay after the fix sends it */
	char queued_note[512];	  /* set by the run with queued, or for a
				* comment queued on its own: where and why
				* ("the case is queued for replay in the KV
				* store (SOAR unreachable)"); the report adds
				* it to the CAM line */
};

/* What every row of a run shares; borrowed. */
struct esc_ctx {
	const struct catalog *cat;
	int duplicates; /* the action's duplicates option: never look up */
	const struct cam_ctx *cam;
	/* Per-notable lock across the processes of this host (keylock.h),
	 * held from the lookup to the create so two processes escalating one
	 * notable make one case; NULL: no lock. */
	const char *lock_dir;
	long lock_wait_ms;
};

/* A worker's own connections, clones of the run's (soar_clone,
 * splunkd_clone: the first takes over the run's idle connection). soar
 * may be NULL: the worker then has no SOAR handle. Made on the thread
 * that uses the originals, while nothing else uses them. */
struct esc_lane {
	struct soar *soar;
	struct splunkd *sd;
};

int esc_lane_open(struct esc_lane **out, struct soar *soar, struct splunkd *sd,
		  char *err, size_t n);
void esc_lane_free(struct esc_lane *l);

/* A row from the engine, taking er's case; NULL on out of memory (er's
 * case is then freed). */
struct esc_row *esc_row_from(struct engine_row *er);
void esc_row_free(struct esc_row *row);

/* The lane key of a row: its dedup key unless duplicates are wanted (then
 * rows need no order), else NULL. Borrowed from row. */
const char *esc_row_key(const struct esc_ctx *x, const struct esc_row *row);

/* Escalates row through soar and sd (used by this thread only) into *res.
 * The notable gets a comment when its case was created or really changed:
 * a re-run that changes nothing (ESC_UNCHANGED) leaves its history alone.
 * Writes no log line of its own (the clients log their retries). */
void escalate_row(const struct esc_ctx *x, struct soar *soar,
		  struct splunkd *sd, const struct esc_row *row,
		  struct esc_result *res);

/* Comments on the row's notable (row->event_id) about the case of res
 * (case_id; outcome ESC_CREATED words it as new, else as updated) with
 * its link; sets res->comment_failed and comment_error on failure. */
void escalate_comment(struct soar *soar, struct splunkd *sd,
		      const struct esc_row *row, struct esc_result *res);

/* Frees what res owns (changed, added); res can be reused after. */
void escalate_result_free(struct esc_result *res);

/* A failed result for a row that could not be escalated at all (why: one
 * sentence), e.g. when no worker could start. */
void escalate_fail(struct esc_result *res, enum esc_class fail,
		   const char *why);

/* Logs res for row in the modalert log: a CAM line per piece of mapped
 * data the case lacks (WARNING, field/value/problem/fix), the outcome's
 * CAM line (outcome, case_id, case_url, event_id), the case body of a
 * failed row (so it can be replayed) and the comment's failure. Only a
 * failure also goes to stderr (splunkd.log): a successful row costs two
 * lines, its invocation and its outcome. Safe from several threads. */
void escalate_report(const struct esc_ctx *x, const struct esc_row *row,
		     const struct esc_result *res);

/* The exit_code (util/exitcodes.h) res calls for: EXIT_OK, EXIT_ROWS,
 * EXIT_SOAR, EXIT_INTERNAL, or EXIT_NOTABLE for a case made whose
 * comment failed. */
int escalate_exit_code(const struct esc_result *res);

#endif
