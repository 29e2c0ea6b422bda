#include "alert/pool.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct item {
	struct item *next;
	void *job;
};

struct lane {
	struct pool *pool;
	void *state; /* from ops->lane_open */
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* work queued, room freed, or closing */
	struct item *head, *tail;
	size_t queued;
	int closing;
};

struct pool {
	const struct pool_ops *ops;
	void *ctx;
	int nlanes;
	/* key slot → the lane that serves it; -1 until the slot's first job.
	 * Normally slot i is lane i; a lane that could not start lends its
	 * slot to one that did. */
	int slot_lane[POOL_LANES_MAX];
	unsigned rr; /* round robin for jobs without a key */
	int drained;
	int opened; /* lanes started over the pool's life */
	struct lane lanes[POOL_LANES_MAX];
};

int pool_new(struct pool **out, int nlanes, const struct pool_ops *ops,
	     void *ctx)
{
	struct pool *p = calloc(1, sizeof(*p));
	int i;

	*out = NULL;
	if (!p)
		return -1;
	p->ops = ops;
	p->ctx = ctx;
	p->nlanes = nlanes < 1		      ? 1
		    : nlanes > POOL_LANES_MAX ? POOL_LANES_MAX
					      : nlanes;
	for (i = 0; i < POOL_LANES_MAX; i++)
		p->slot_lane[i] = -1;
	*out = p;
	return 0;
}

/* FNV-1a over the ASCII-lowercased key: keys SOAR's equals treats as one
 * must share a lane. */
static unsigned key_hash(const char *k)
{
	unsigned h = 2166136261u;
	unsigned char c;

	for (; *k; k++) {
		c = (unsigned char)*k;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	struct item *it;
	char name[16];

	/* the log's tid= of this lane's lines */
	snprintf(name, sizeof(name), "lane-%d", (int)(l - l->pool->lanes));
	log_set_thread_name(name);

	for (;;) {
		pthread_mutex_lock(&l->mu);
		while (!l->head && !l->closing)
			pthread_cond_wait(&l->cv, &l->mu);
		it = l->head;
		if (it) {
			l->head = it->next;
			if (!l->head)
				l->tail = NULL;
			l->queued--;
			pthread_cond_broadcast(&l->cv);
		}
		pthread_mutex_unlock(&l->mu);
		if (!it)
			return NULL;
		l->pool->ops->run(l->pool->ctx, l->state, it->job);
		free(it);
	}
}

static int lane_start(struct pool *p, int i, char *err, size_t errlen)
{
	struct lane *l = &p->lanes[i];

	l->pool = p;
	l->state = NULL;
	if (p->ops->lane_open(p->ctx, &l->state, err, errlen))
		return -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (pthread_create(&l->th, NULL, lane_main, l) != 0) {
		snprintf(err, errlen, "cannot start a worker thread");
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		p->ops->lane_close(p->ctx, l->state);
		l->state = NULL;
		return -1;
	}
	l->started = 1;
	p->opened++;
	return 0;
}

/* The lane serving slot, started if need be; -1 when none can run. */
static int lane_for(struct pool *p, int slot, char *err, size_t errlen)
{
	int i;

	if (p->slot_lane[slot] >= 0)
		return p->slot_lane[slot];
	if (p->lanes[slot].started || lane_start(p, slot, err, errlen) == 0)
		return p->slot_lane[slot] = slot;
	for (i = 0; i < p->nlanes; i++)
		if (p->lanes[i].started)
			return p->slot_lane[slot] = i;
	return -1;
}

int pool_submit(struct pool *p, const char *key, void *job, char *err,
		size_t errlen)
{
	struct item *it;
	struct lane *l;
	int slot, i;

	if (p->drained) {
		snprintf(err, errlen, "the worker pool is closed");
		return -1;
	}
	it = malloc(sizeof(*it));
	if (!it) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	it->next = NULL;
	it->job = job;
	slot = (int)((key ? key_hash(key) : p->rr++) % (unsigned)p->nlanes);
	i = lane_for(p, slot, err, errlen);
	if (i < 0) {
		free(it);
		return -1;
	}
	l = &p->lanes[i];
	pthread_mutex_lock(&l->mu);
	while (l->queued >= POOL_QUEUE_MAX)
		pthread_cond_wait(&l->cv, &l->mu);
	if (l->tail)
		l->tail->next = it;
	else
		l->head = it;
	l->tail = it;
	l->queued++;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

void pool_drain(struct pool *p)
{
	int i;

	if (!p || p->drained)
		return;
	p->drained = 1;
	for (i = 0; i < POOL_LANES_MAX; i++) {
		struct lane *l = &p->lanes[i];

		if (!l->started)
			continue;
		pthread_mutex_lock(&l->mu);
		l->closing = 1;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->th, NULL);
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		p->ops->lane_close(p->ctx, l->state);
		l->state = NULL;
		l->started = 0;
	}
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pool_drain(p);
	free(p);
}

int pool_lanes_started(const struct pool *p)
{
	return p->opened;
}
