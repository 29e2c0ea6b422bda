#ifndef QS_DELIVERY_H
#define QS_DELIVERY_H

#include "alert/escalate.h"
#include "alert/queue.h"
#include "mapping/config.h"
#include "mapping/payload.h"
#include "net/splunkd.h"

/*
 * What a run does so that no row is lost (README "Delivery queue"):
 *  - before a row is sent, its document is written ahead (QUEUE_INFLIGHT_S
 *    in the future, so a replay leaves it alone while the run works on
 *    it): a run killed at any point leaves every row it did not deliver
 *    in the queue;
 *  - after the attempt the document is settled: deleted once the case and
 *    the comment are done or the row failed for good (its data), made due
 *    with the failure's reason when a later attempt could fix it, and a
 *    failed notable comment queued on its own;
 *  - a run that cannot reach SOAR or its credential at all queues every
 *    row, unresolved (queue.h).
 * The workers share one struct delivery: it is only read after init.
 */
#define QUEUE_INFLIGHT_S 900

struct delivery {
	char spool_dir[4096]; /* "" when SPLUNK_HOME is not set */
	struct queue_target target;
	const struct payload *p;
};

/* A row on its way, with its written-ahead document. */
struct delivery_job {
	struct esc_row *row;
	json_t *doc; /* NULL when it could not be written ahead */
	int where;   /* enum queue_where of doc */
};

/* d borrows p and cfg's strings: both must outlive it. */
void delivery_init(struct delivery *d, const struct payload *p,
		   const struct action_config *cfg);

/* The origin of a row of the run (borrows from row and the payload). */
void delivery_origin(const struct delivery *d, const struct esc_row *row,
		     struct queue_origin *o);

/* Writes the documents of jobs ahead: one batch_save into the KV store,
 * else each into the spool. A job whose document could not be written
 * keeps doc NULL and is still sent (logged). */
void delivery_ahead(struct delivery *d, struct splunkd *sd,
		    struct delivery_job *const *jobs, size_t n, double now);

/* Settles job after escalate_row (see above); fills res->queued when the
 * row (or its comment) went to the queue. */
void delivery_settle(struct delivery *d, struct splunkd *sd,
		     struct delivery_job *job, struct esc_result *res,
		     double now);

/* Queues every row of the results unresolved (the run could not fetch
 * SOAR's catalog): templates known (1) or the payload's own
 * configuration standing in until the replay reads the alert's (0).
 * reason and why: the run's failure; for_fix: one only the admin can
 * fix (esc_result.queued_for_fix). Each row's result (failed, and
 * queued unless num_events cut it or nothing could store it) goes to
 * collect, which reports and counts it. Returns how many were queued. */
int delivery_queue_run(struct delivery *d, struct splunkd *sd,
		       const struct action_config *cfg, const json_t *templates,
		       int templates_known, const char *reason, int for_fix,
		       const char *why,
		       void (*collect)(void *ctx, const struct esc_row *row,
				       const struct esc_result *res),
		       void *ctx);

#endif
