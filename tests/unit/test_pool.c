#include "tap.h"
#include "alert/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define NJOBS 400

struct job {
	int seq;
	char key[16];
};

struct lanestate {
	int id;
};

struct ctx {
	pthread_mutex_t mu;
	int opens, closes, fail_open_at, fail_all;
	int done;
	/* per job, in the order jobs ran: its seq and its lane's id */
	int order[NJOBS], lane_of[NJOBS];
	int slow;
};

static int t_open(void *c, void **lane, char *err, size_t n)
{
	struct ctx *x = c;
	struct lanestate *l;

	/* called on the submitting thread: no lock needed, but keep it */
	x->opens++;
	if (x->fail_all || x->opens == x->fail_open_at) {
		snprintf(err, n, "refused lane %d", x->opens);
		return -1;
	}
	l = malloc(sizeof(*l));
	if (!l)
		return -1;
	l->id = x->opens;
	*lane = l;
	return 0;
}

static void t_run(void *c, void *lane, void *job)
{
	struct ctx *x = c;
	struct lanestate *l = lane;
	struct job *j = job;

	if (x->slow) {
		struct timespec ts = { 0, 100000 };

		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&x->mu);
	x->order[x->done] = j->seq;
	x->lane_of[j->seq] = l->id;
	x->done++;
	pthread_mutex_unlock(&x->mu);
	free(j);
}

static void t_close(void *c, void *lane)
{
	struct ctx *x = c;

	pthread_mutex_lock(&x->mu);
	x->closes++;
	pthread_mutex_unlock(&x->mu);
	free(lane);
}

static const struct pool_ops ops = { t_open, t_run, t_close };

static void init(struct ctx *x)
{
	memset(x, 0, sizeof(*x));
	pthread_mutex_init(&x->mu, NULL);
}

static struct job *mk(int seq, const char *key)
{
	struct job *j = calloc(1, sizeof(*j));

	j->seq = seq;
	snprintf(j->key, sizeof(j->key), "%s", key ? key : "");
	return j;
}

/* 8 keys, each in two spellings, NJOBS jobs interleaved. */
static const char *key_of(int i, char *buf, size_t n)
{
	snprintf(buf, n, (i / 8) % 2 ? "KEY-%d" : "key-%d", i % 8);
	return buf;
}

/* Every key's jobs ran on one lane, in submission order. */
static int keyed_in_order(const struct ctx *x, int njobs)
{
	int pos[NJOBS], i, j;

	for (i = 0; i < njobs; i++)
		pos[x->order[i]] = i;
	for (i = 0; i < njobs; i++)
		for (j = i + 8; j < njobs; j += 8)
			if (x->lane_of[i] != x->lane_of[j] || pos[i] > pos[j])
				return 0;
	return 1;
}

int main(void)
{
	struct pool *p;
	struct ctx x;
	char err[128], kb[16];
	int i, ok_all;

	/* one job: one lane, however many are allowed */
	init(&x);
	ok(pool_new(&p, 8, &ops, &x) == 0, "pool_new");
	ok(pool_submit(p, "only", mk(0, "only"), err, sizeof(err)) == 0,
	   "submit one");
	pool_drain(p);
	is_int(x.done, 1, "one job ran");
	is_int(pool_lanes_started(p), 1, "one job starts one lane");
	is_int(x.opens, 1, "one lane state opened");
	is_int(x.closes, 1, "and closed at drain");
	ok(pool_submit(p, "late", NULL, err, sizeof(err)) == -1 &&
		   strstr(err, "closed"),
	   "a submit after drain is refused");
	pool_free(p);

	/* many keyed jobs: per key one lane and the submission order, keys
	 * equal ignoring case together; the queues fill up (slow jobs) */
	init(&x);
	x.slow = 1;
	pool_new(&p, 4, &ops, &x);
	ok_all = 1;
	for (i = 0; i < NJOBS; i++)
		ok_all &= pool_submit(p, key_of(i, kb, sizeof(kb)),
				      mk(i, kb), err, sizeof(err)) == 0;
	ok(ok_all, "every keyed job queued");
	pool_free(p);
	is_int(x.done, NJOBS, "every keyed job ran");
	ok(keyed_in_order(&x, NJOBS),
	   "a key's jobs ran on one lane in order, either spelling");
	ok(x.opens > 1 && x.opens <= 4, "several lanes, at most four");
	is_int(x.closes, x.opens, "every lane closed");

	/* jobs without a key spread round robin */
	init(&x);
	pool_new(&p, 4, &ops, &x);
	for (i = 0; i < 8; i++)
		pool_submit(p, NULL, mk(i, NULL), err, sizeof(err));
	pool_drain(p);
	is_int(pool_lanes_started(p), 4, "unkeyed jobs use every lane");
	is_int(x.done, 8, "every unkeyed job ran");
	pool_free(p);

	/* a lane that cannot start lends its keys to one that did */
	init(&x);
	x.fail_open_at = 2;
	pool_new(&p, 4, &ops, &x);
	ok_all = 1;
	for (i = 0; i < 64; i++)
		ok_all &= pool_submit(p, key_of(i, kb, sizeof(kb)),
				      mk(i, kb), err, sizeof(err)) == 0;
	ok(ok_all, "every job queued though one lane did not start");
	pool_free(p);
	is_int(x.done, 64, "every job ran");
	ok(keyed_in_order(&x, 64), "keys still keep one lane and their order");
	is_int(x.closes, x.opens - 1, "the lane that did not start is not closed");

	/* no lane can start: the job stays the caller's */
	init(&x);
	x.fail_all = 1;
	pool_new(&p, 2, &ops, &x);
	{
		struct job *j = mk(0, "k");

		ok(pool_submit(p, "k", j, err, sizeof(err)) == -1 &&
			   strstr(err, "refused lane"),
		   "no lane: the submit fails with the lane's reason");
		free(j);
	}
	pool_free(p);
	is_int(x.done, 0, "nothing ran");

	/* the lane count is clamped */
	init(&x);
	pool_new(&p, 0, &ops, &x);
	for (i = 0; i < 4; i++)
		pool_submit(p, NULL, mk(i, NULL), err, sizeof(err));
	pool_drain(p);
	is_int(pool_lanes_started(p), 1, "0 lanes asked: one");
	pool_free(p);
	pool_free(NULL);
	return tap_done();
}
