#ifndef QS_POOL_H
#define QS_POOL_H

#include <stddef.h>

/*
 * A keyed worker pool: up to POOL_LANES_MAX lanes, each a thread with its
 * own state (for the alert action: its own SOAR and splunkd connections)
 * and its own queue. A job submitted with a key goes to the lane of that
 * key, keys equal ignoring ASCII case to the same lane (SOAR compares
 * notable ids that way), so the jobs of one key run one at a time and in
 * the order submitted. Jobs without a key are spread round robin.
 *
 * Lanes start on first use, so a run with one job starts one lane. A lane
 * whose start fails hands its keys to a lane that did start, for the rest
 * of the pool's life (a key never moves once it has a lane).
 *
 * Threads: pool_new, pool_submit, pool_drain and pool_free are called by
 * one thread (the submitter); ops->lane_open runs on that thread too, so it
 * may clone handles only that thread uses. ops->run and ops->lane_close
 * run on the lane's thread or after it ended.
 */
#define POOL_LANES_MAX 16
/* Jobs a lane holds before pool_submit waits for room. */
#define POOL_QUEUE_MAX 64

struct pool_ops {
	/* The state of a new lane in *lane; 0, or -1 with err set. */
	int (*lane_open)(void *ctx, void **lane, char *err, size_t errlen);
	/* Runs one job; owns it. */
	void (*run)(void *ctx, void *lane, void *job);
	/* Frees a lane's state once its queue is done. */
	void (*lane_close)(void *ctx, void *lane);
};

struct pool;

/* A pool of nlanes (clamped to 1..POOL_LANES_MAX) lanes; ops and ctx are
 * borrowed. 0, or -1 on out of memory. */
int pool_new(struct pool **out, int nlanes, const struct pool_ops *ops,
	     void *ctx);

/* Queues job on key's lane (key may be NULL), starting the lane when it is
 * the lane's first job and waiting while its queue is full. 0 when queued;
 * -1 with err set when no lane could be started (the job was not taken:
 * the caller still owns it) or after pool_drain. */
int pool_submit(struct pool *p, const char *key, void *job, char *err,
		size_t errlen);

/* Waits until every queued job has run, stops the lanes and closes their
 * state. Later submits fail. */
void pool_drain(struct pool *p);

/* Drains, then frees the pool. NULL is fine. */
void pool_free(struct pool *p);

/* How many lanes have started over the pool's life (for tests). */
int pool_lanes_started(const struct pool *p);

#endif
