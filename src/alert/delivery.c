#include "alert/delivery.h"
#include "mapping/engine.h"
#include "net/kvstore.h"
#include "util/log.h"
#include "util/names.h"
#include "util/spool.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void delivery_init(struct delivery *d, const struct payload *p,
		   const struct action_config *cfg)
{
	memset(d, 0, sizeof(*d));
	if (spool_default_dir(d->spool_dir, sizeof(d->spool_dir),
			      getenv("SPLUNK_HOME")))
		d->spool_dir[0] = '\0';
	d->p = p;
	d->target.host = cfg->host;
	d->target.port = cfg->port;
	d->target.org = cfg->org;
	d->target.user = cfg->user;
	d->target.api_keys = cfg->api_keys;
	d->target.duplicates = cfg->duplicates;
}

void delivery_origin(const struct delivery *d, const struct esc_row *row,
		     struct queue_origin *o)
{
	o->search_name = d->p->search_name;
	o->sid = d->p->sid;
	o->rid = row->rid;
	o->orig_sid = row->orig_sid;
	o->orig_rid = row->orig_rid;
	o->event_id = row->event_id;
	o->app = d->p->app;
	o->owner = d->p->owner;
	o->server_host = d->p->server_host;
}

static const char *where_text(int where)
{
	return where == QUEUE_KV ? "in the KV store" : "in the local spool";
}

/* Words where a document went for the row's CAM line. */
static void note(int where, const char *reason, const char *what,
		 struct esc_result *res)
{
	/* a failed row waits in the queue (the run's tally counts it) */
	res->queued = where != QUEUE_LOST && res->outcome == ESC_FAILED;
	if (where != QUEUE_LOST)
		snprintf(res->queued_note, sizeof(res->queued_note),
			 "%s queued for replay %s (%s)", what,
			 where_text(where), reason);
	else
		snprintf(
			res->queued_note, sizeof(res->queued_note),
			"%s NOT queued: neither the KV store nor the spool took it",
			what);
}

/* A case document of row, as written ahead or after a failure. */
static json_t *case_doc(struct delivery *d, const struct esc_row *row,
			const char *reason, const char *error, int unknown,
			double now)
{
	struct queue_origin o;
	json_t *doc;

	delivery_origin(d, row, &o);
	doc = queue_doc_new(QUEUE_CASE, &o, &d->target, row->cr.dedup_key,
			    reason, error, unknown, now);
	if (doc && queue_doc_set_case(doc, &row->cr)) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

void delivery_ahead(struct delivery *d, struct splunkd *sd,
		    struct delivery_job *const *jobs, size_t n, double now)
{
	json_t *batch = json_array();
	struct kv *kv = NULL;
	char err[1024] = "out of memory";
	size_t i, saved = 0;
	int rc = KV_UNAVAILABLE;

	for (i = 0; i < n; i++) {
		struct delivery_job *j = jobs[i];

		j->doc = NULL;
		j->where = QUEUE_LOST;
		if (j->row->cr.error)
			continue; /* fails for good before anything is sent */
		/* the run may send it: were it killed, the case may exist */
		j->doc = case_doc(d, j->row, "in flight", "", 1, now);
		if (!j->doc ||
		    json_object_set_new(j->doc, "next_attempt",
					json_real(now + QUEUE_INFLIGHT_S)) ||
		    queue_mask(j->doc) ||
		    (batch && json_array_append(batch, j->doc))) {
			json_decref(batch);
			batch = NULL;
		}
	}
	if (batch && json_array_size(batch) && sd &&
	    kv_open(&kv, sd, "nobody", QS_APP, QUEUE_COLLECTION, err,
		    sizeof(err)) == KV_OK)
		rc = kv_batch_save(kv, batch, NULL, &saved, err, sizeof(err));
	kv_free(kv);
	if (batch && json_array_size(batch) && rc != KV_OK)
		warnf("rows not written ahead to the KV store (%s); using the local spool",
		      err);
	json_decref(batch);
	/* batch_save saved the first `saved` documents, in order */
	for (i = 0; i < n; i++) {
		struct delivery_job *j = jobs[i];

		if (!j->doc)
			continue;
		if (saved > 0) {
			j->where = QUEUE_KV;
			saved--;
		} else if (d->spool_dir[0] &&
			   spool_write(d->spool_dir, queue_str(j->doc, "_key"),
				       j->doc, err, sizeof(err)) == SPOOL_OK) {
			j->where = QUEUE_SPOOL;
		} else {
			errorf("rid=%s: not written ahead (%s); sending it anyway",
			       j->row->rid, err);
		}
	}
}

void delivery_settle(struct delivery *d, struct splunkd *sd,
		     struct delivery_job *job, struct esc_result *res,
		     double now)
{
	const struct esc_row *row = job->row;
	char err[1024];
	int where;

	res->queued = 0;
	res->queued_note[0] = '\0';
	if (res->outcome == ESC_FAILED && res->fail != ESC_DATA) {
		/* a later attempt could do it: the document becomes due */
		const char *reason = res->unknown ? "outcome unknown"
				     : res->fail == ESC_INTERNAL
					     ? "internal error"
					     : "SOAR not usable";
		json_t *doc =
			case_doc(d, row, reason, res->error, res->unknown, now);

		where = doc ? queue_replace(sd, d->spool_dir, doc, err,
					    sizeof(err))
			    : QUEUE_LOST;
		if (where == QUEUE_LOST)
			errorf("rid=%s: %s", row->rid,
			       doc ? err : "out of memory");
		/* a write-ahead in the spool stays: the drain keeps one */
		note(where, reason, "the case is", res);
		json_decref(doc);
		return;
	}
	if (res->outcome != ESC_FAILED && res->comment_failed) {
		struct queue_origin o;
		json_t *doc;

		delivery_origin(d, row, &o);
		doc = queue_doc_new(QUEUE_COMMENT, &o, &d->target,
				    row->cr.dedup_key, "notable comment failed",
				    res->comment_error, 0, now);
		if (doc && queue_doc_set_comment(doc, res->case_id,
						 res->outcome != ESC_CREATED)) {
			json_decref(doc);
			doc = NULL;
		}
		where = doc ? queue_put(sd, d->spool_dir, doc, err, sizeof(err))
			    : QUEUE_LOST;
		if (where == QUEUE_LOST)
			errorf("rid=%s: %s", row->rid,
			       doc ? err : "out of memory");
		note(where, "notable comment failed", "the comment is", res);
		json_decref(doc);
	}
	/* delivered, or failed for good: the written-ahead case goes */
	if (job->doc && queue_delete(sd, d->spool_dir, job->doc, job->where,
				     err, sizeof(err)))
		warnf("rid=%s: the queued copy of a settled row stays (%s); the replay will find its case and not make another",
		      row->rid, err);
}

int delivery_queue_run(struct delivery *d, struct splunkd *sd,
		       const struct action_config *cfg, const json_t *templates,
		       int templates_known, const char *reason, int for_fix,
		       const char *why,
		       void (*collect)(void *ctx, const struct esc_row *row,
				       const struct esc_result *res),
		       void *ctx)
{
	struct catalog none = CATALOG_INIT;
	struct engine *e = NULL;
	struct engine_row er;
	struct esc_result res;
	char err[2048];
	double now;
	int st, queued = 0;

	now = (double)text_now_ms() / 1000.0;
	/* the engine without a catalog still reads the rows, cuts at
	 * num_events and finds each row's notable key */
	st = engine_open(&e, d->p, cfg, &none, (long long)(now * 1000), err,
			 sizeof(err));
	if (st) {
		errorf("the results cannot be read to queue them: %s", err);
		return 0;
	}
	while ((st = engine_next(e, &er, err, sizeof(err))) == ENGINE_ROW) {
		json_t *in = NULL, *doc = NULL;
		struct esc_row *row;
		struct queue_origin o;
		int where = QUEUE_LOST;

		if (!er.cr.error)
			in = templates_known
				     ? queue_inputs(d->p, templates, er.row)
				     : queue_inputs_unread(d->p, er.row);
		row = esc_row_from(&er);
		if (!row) {
			errorf("rid=%s: out of memory; not queued", er.rid);
			json_decref(in);
			continue;
		}
		if (row->cr.error) {
			escalate_fail(&res, ESC_DATA, row->cr.error);
			collect(ctx, row, &res);
			json_decref(in);
			esc_row_free(row);
			continue;
		}
		delivery_origin(d, row, &o);
		doc = in ? queue_doc_new(QUEUE_CASE, &o, &d->target,
					 row->cr.dedup_key, reason, why, 0, now)
			 : NULL;
		if (doc && queue_doc_set_inputs(doc, json_incref(in)) == 0)
			where = queue_put(sd, d->spool_dir, doc, err,
					  sizeof(err));
		escalate_fail(&res, ESC_SOAR, why);
		note(where, reason, "the case is", &res);
		res.queued_for_fix = res.queued && for_fix;
		if (where == QUEUE_LOST) {
			char *text = in ? json_dumps(in, JSON_COMPACT) : NULL;

			log_file_only(LOG_ERROR, "rid=%s not queued (%s): %s",
				      row->rid, doc ? err : "out of memory",
				      text ? text : "(out of memory)");
			free(text);
		} else {
			queued++;
		}
		/* built without the catalog: neither its body nor its
		 * warnings are the case's */
		json_decref(row->cr.body);
		row->cr.body = NULL;
		json_array_clear(row->cr.warnings);
		collect(ctx, row, &res);
		json_decref(doc);
		json_decref(in);
		esc_row_free(row);
	}
	if (st != ENGINE_DONE)
		errorf("the results cannot be read to the end to queue them: %s",
		       err);
	engine_close(e);
	return queued;
}
