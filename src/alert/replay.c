#include "alert/replay.h"
#include "alert/escalate.h"
#include "alert/pool.h"
#include "alert/queue.h"
#include "mapping/catalog.h"
#include "mapping/templates.h"
#include "net/kvstore.h"
#include "net/soar.h"
#include "util/exitcodes.h"
#include "util/names.h"
#include "util/keylock.h"
#include "util/secret.h"
#include "util/spool.h"
#include "util/text.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEASES "qradar_soar_leases"
/* Lock files not used for a day are swept by the replay. */
#define LOCK_SWEEP_S 86400
#define KEYLOCK_WAIT_MS 90000L

/* One SOAR target of the queue: connected once per run. */
struct target {
	struct target *next;
	char *host, *org, *user;
	int port, api_keys;
	struct soar *soar; /* NULL when it could not be reached */
	struct catalog cat;
	char *secret;
	char err[1024];
	int err_code; /* exit code of the connection failure */
};

struct replay {
	const struct replay_in *in;
	double max_age;
	char holder[160];
	char spool_dir[4096];
	struct target *targets;
	struct target *cur; /* the target the pool works for */
	long long deadline;
	pthread_mutex_t mu;
	int delivered, failed, dead, skipped, rc;
	int passed; /* left due: another replay holds them */
};

static double wall_s(void)
{
	return (double)text_now_ms() / 1000.0;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int replay_max_age(const char *v, double *out, char *err, size_t n)
{
	char *end;
	double x, unit = 1;

	*out = REPLAY_MAX_AGE_DEFAULT_S;
	if (!v || !*v)
		return 0;
	errno = 0;
	x = strtod(v, &end);
	if (end != v && *end && !end[1]) {
		unit = *end == 's'   ? 1
		       : *end == 'm' ? 60
		       : *end == 'h' ? 3600
		       : *end == 'd' ? 86400
				     : 0;
		end += unit ? 1 : 0;
	}
	if (end == v || *end || errno || x <= 0 || unit == 0) {
		snprintf(
			err, n,
			"configuration: queue_max_age = \"%s\" is not a positive duration (seconds, or a number with s, m, h or d)",
			v);
		return -1;
	}
	*out = x * unit;
	return 0;
}

/* When several classes occur, the highest wins, EXIT_INTERNAL always. */
static void worse(struct replay *rp, int code)
{
	pthread_mutex_lock(&rp->mu);
	if (rp->rc != EXIT_INTERNAL && (code == EXIT_INTERNAL || code > rp->rc))
		rp->rc = code;
	pthread_mutex_unlock(&rp->mu);
}

static void tally(struct replay *rp, int *counter)
{
	pthread_mutex_lock(&rp->mu);
	(*counter)++;
	pthread_mutex_unlock(&rp->mu);
}

static const char *str_or_empty(const json_t *doc, const char *key)
{
	const char *s = queue_str(doc, key);

	return s ? s : "";
}

/* A CAM line about a queued document (its search and row as orig_*).
 * outcome: what became of it (the run's words: created, updated,
 * unchanged, queued, plus commented and dead), so the Escalations
 * dashboard counts replayed escalations with the others; queue_key names
 * the document for | inputlookup qradar_soar_queue. fix: NULL or the
 * admin's next step. */
static void cam(struct replay *rp, const json_t *doc, int ok, const char *sig,
		long long case_id, const char *outcome, const char *fix)
{
	char idtext[32] = "";
	const char *extra[] = { "case_id",
				idtext,
				"event_id",
				str_or_empty(doc, "event_id"),
				"fix",
				fix ? fix : "",
				"orig_search_name",
				str_or_empty(doc, "search_name"),
				"outcome",
				outcome,
				"queue_key",
				str_or_empty(doc, "_key"),
				NULL };

	if (case_id)
		snprintf(idtext, sizeof(idtext), "%lld", case_id);
	log_cam(ok ? LOG_INFO : LOG_ERROR, rp->in->cam, NULL,
		queue_str(doc, "sid"), queue_str(doc, "rid"), sig,
		ok ? "success" : "failure", extra);
}

static int open_kv(struct splunkd *sd, const char *coll, struct kv **kv)
{
	char err[256];

	return kv_open(kv, sd, "nobody", QS_APP, coll, err, sizeof(err));
}

/* ---- leases ---------------------------------------------------------- */

/* 1 when this replay now holds key, 0 when another does, -1 when the
 * lease store is not usable (then nothing is sent). */
static int claim(struct replay *rp, struct splunkd *sd, const char *key)
{
	struct kv *kv = NULL;
	json_t *lease = NULL, *old = NULL, *cond = NULL;
	char err[1024];
	int rc, got = -1, tries;

	if (open_kv(sd, LEASES, &kv))
		return -1;
	for (tries = 0; tries < 2; tries++) {
		lease = json_pack("{s:s,s:s,s:f}", "_key", key, "holder",
				  rp->holder, "until",
				  wall_s() + REPLAY_LEASE_S);
		rc = lease ? kv_insert(kv, lease, NULL, err, sizeof(err))
			   : KV_NOMEM;
		json_decref(lease);
		if (rc == KV_OK) {
			got = 1;
			break;
		}
		if (rc != KV_CONFLICT) {
			warnf("replay: no lease on %s: %s", key, err);
			break;
		}
		got = 0;
		rc = kv_get(kv, key, &old, err, sizeof(err));
		if (rc == KV_NOTFOUND)
			continue; /* released meanwhile: try again */
		if (rc != KV_OK || queue_num(old, "until", 0) >= wall_s() ||
		    tries > 0)
			break;
		/* expired: only the taker whose delete matched the old
		 * expiry can insert next; the other gets 409 */
		cond = json_pack("{s:s,s:O}", "_key", key, "until",
				 json_object_get(old, "until"));
		if (!cond ||
		    kv_delete_query(kv, cond, err, sizeof(err)) != KV_OK)
			break;
		json_decref(cond);
		cond = NULL;
		json_decref(old);
		old = NULL;
	}
	json_decref(old);
	json_decref(cond);
	kv_free(kv);
	return got;
}

static void release(struct splunkd *sd, const char *key)
{
	struct kv *kv = NULL;
	char err[1024];

	if (open_kv(sd, LEASES, &kv) == KV_OK &&
	    kv_delete(kv, key, err, sizeof(err)) != KV_OK)
		warnf("replay: lease on %s not released (%s); it expires in %d s",
		      key, err, REPLAY_LEASE_S);
	kv_free(kv);
}

/* ---- settling a document --------------------------------------------- */

static int save(struct splunkd *sd, json_t *doc, char *err, size_t n)
{
	struct kv *kv = NULL;
	int rc = open_kv(sd, QUEUE_COLLECTION, &kv);

	if (rc == KV_OK && queue_mask(doc))
		rc = KV_NOMEM;
	if (rc == KV_OK)
		rc = kv_replace(kv, queue_str(doc, "_key"), doc, err, n);
	kv_free(kv);
	return rc;
}

static void settle_failed(struct replay *rp, struct splunkd *sd, json_t *doc,
			  const char *error, int unknown, int code)
{
	char err[1024];

	queue_doc_failed(doc, error, unknown, wall_s());
	if (save(sd, doc, err, sizeof(err)))
		errorf("replay: %s: the failure could not be recorded (%s)",
		       queue_str(doc, "_key"), err);
	{
		char sig[2600];

		snprintf(
			sig, sizeof(sig),
			"Replay of a queued escalation of \"%s\" failed (attempt %d; next in %.0f s): %s",
			queue_str(doc, "search_name")
				? queue_str(doc, "search_name")
				: "",
			(int)queue_num(doc, "attempts", 0),
			queue_num(doc, "next_attempt", 0) - wall_s(), error);
		errorf("%s", sig);
		cam(rp, doc, 0, sig, 0, "queued",
		    "Nothing to do once the cause is gone: the next replay sends it again (Escalations dashboard, Delivery queue).");
	}
	tally(rp, &rp->failed);
	worse(rp, code);
}

static void settle_dead(struct replay *rp, struct splunkd *sd, json_t *doc,
			const char *why)
{
	char err[1024], sig[2600];

	queue_doc_dead(doc, why, wall_s());
	if (save(sd, doc, err, sizeof(err)))
		errorf("replay: %s: could not be marked dead (%s)",
		       queue_str(doc, "_key"), err);
	snprintf(
		sig, sizeof(sig),
		"Queued escalation of \"%s\" given up (state dead, kept in the queue): %s",
		queue_str(doc, "search_name") ? queue_str(doc, "search_name")
					      : "",
		why);
	errorf("%s", sig);
	cam(rp, doc, 0, sig, 0, "dead",
	    "Remove the cause, then set the document's state back to queued to send it again, or delete it (README, Delivery queue).");
	tally(rp, &rp->dead);
	worse(rp, EXIT_ROWS);
}

static void settle_done(struct replay *rp, struct splunkd *sd, json_t *doc,
			const char *what, long long case_id,
			const char *outcome)
{
	struct kv *kv = NULL;
	char err[1024], sig[1200];
	int rc = open_kv(sd, QUEUE_COLLECTION, &kv);

	if (rc == KV_OK)
		rc = kv_delete(kv, queue_str(doc, "_key"), err, sizeof(err));
	kv_free(kv);
	if (rc != KV_OK && rc != KV_NOTFOUND)
		warnf("replay: delivered %s stays in the queue (%s); a later replay finds the case and does not make another",
		      queue_str(doc, "_key"), err);
	snprintf(sig, sizeof(sig), "Replayed a queued escalation of \"%s\": %s",
		 queue_str(doc, "search_name") ? queue_str(doc, "search_name")
					       : "",
		 what);
	infof("%s", sig);
	cam(rp, doc, 1, sig, case_id, outcome, NULL);
	tally(rp, &rp->delivered);
}

/* ---- delivering ------------------------------------------------------ */

/* Unresolved inputs whose templates were not read: the alert's now. */
static int read_templates(struct splunkd *sd, json_t *doc, char *err, size_t n,
			  int *gone)
{
	json_t *in = json_loads(
		queue_str(doc, "inputs") ? queue_str(doc, "inputs") : "", 0,
		NULL);
	json_t *pl = json_object_get(in, "payload"), *defs = NULL,
	       *saved = NULL, *merged = NULL;
	const char *uri = json_string_value(json_object_get(pl, "search_uri"));
	int rc = 0;

	*gone = 0;
	if (!in || json_is_true(json_object_get(in, "templates_read")))
		goto out;
	if (uri && *uri) {
		rc = splunkd_get(sd, QS_ACTION_PATH, &defs, err, n);
		if (rc == 0)
			rc = splunkd_get(sd, uri, &saved, err, n);
		*gone = rc == SPLUNKD_NOTFOUND;
		if (rc == 0)
			rc = templates_merge(
				&merged, splunkd_entry_content(defs),
				splunkd_entry_content(saved),
				json_object_get(pl, "configuration"), err, n);
	}
	/* an ad hoc run's payload configuration is its template */
	if (rc == 0 &&
	    queue_doc_set_templates(
		    doc,
		    merged ? merged : json_object_get(pl, "configuration"))) {
		snprintf(err, n, "out of memory");
		rc = -1;
	}
out:
	json_decref(merged);
	json_decref(defs);
	json_decref(saved);
	json_decref(in);
	return rc;
}

static void deliver_comment(struct replay *rp, struct esc_lane *l, json_t *doc)
{
	struct esc_row row;
	struct esc_result res;
	const char *ev = queue_str(doc, "event_id");
	char what[256];

	memset(&row, 0, sizeof(row));
	memset(&res, 0, sizeof(res));
	row.event_id = (char *)ev;
	res.case_id = (long long)queue_num(doc, "case_id", 0);
	res.outcome = json_is_true(json_object_get(doc, "updated"))
			      ? ESC_UPDATED
			      : ESC_CREATED;
	escalate_comment(l->soar, l->sd, &row, &res);
	if (res.comment_failed) {
		settle_failed(rp, l->sd, doc, res.comment_error, 0,
			      EXIT_NOTABLE);
		return;
	}
	snprintf(what, sizeof(what), "commented on notable %s (case %lld)",
		 ev ? ev : "", res.case_id);
	settle_done(rp, l->sd, doc, what, res.case_id, "commented");
}

static void deliver_case(struct replay *rp, struct esc_lane *l, json_t *doc)
{
	const struct target *t = rp->cur;
	struct esc_row row;
	struct esc_result res;
	struct esc_ctx x;
	char err[2200], what[600];
	int gone, lookup,
		dup = json_is_true(json_object_get(doc, "duplicates"));

	memset(&res, 0, sizeof(res));
	memset(&row, 0, sizeof(row));
	row.cr = (struct case_row)CASE_ROW_INIT;
	if (read_templates(l->sd, doc, err, sizeof(err), &gone)) {
		if (gone)
			settle_dead(rp, l->sd, doc, err);
		else
			settle_failed(rp, l->sd, doc, err, 0, EXIT_SPLUNKD);
		return;
	}
	if (queue_doc_case_row(doc, &t->cat, &row.cr, err, sizeof(err))) {
		settle_dead(rp, l->sd, doc, err);
		return;
	}
	if (row.cr.error) {
		snprintf(err, sizeof(err), "the case cannot be built: %s",
			 row.cr.error);
		settle_dead(rp, l->sd, doc, err);
		goto out;
	}
	lookup = !dup && row.cr.dedup_key &&
		 catalog_field(&t->cat, QS_NOTABLE_KEY);
	if (json_is_true(json_object_get(doc, "outcome_unknown")) && !lookup) {
		settle_dead(
			rp, l->sd, doc,
			"a create was sent and never answered, and the case cannot be looked up (duplicates = 1, or the org has no splunk_notable_event_id field): check SOAR for the case, then delete this document or set its state back to queued");
		goto out;
	}
	snprintf(row.rid, sizeof(row.rid), "%s",
		 queue_str(doc, "rid") ? queue_str(doc, "rid") : "");
	row.event_id = (char *)queue_str(doc, "event_id");
	row.orig_sid = (char *)queue_str(doc, "orig_sid");
	row.orig_rid = (char *)queue_str(doc, "orig_rid");
	memset(&x, 0, sizeof(x));
	x.cat = &t->cat;
	x.duplicates = dup;
	x.cam = rp->in->cam;
	x.lock_dir = rp->in->lock_dir;
	x.lock_wait_ms = KEYLOCK_WAIT_MS;
	escalate_row(&x, l->soar, l->sd, &row, &res);
	/* A case already as queued was made by the attempt that failed
	 * (unanswered, or killed before its comment): escalate_row posts no
	 * comment for an unchanged case, but that notable has none yet. */
	if (res.outcome == ESC_UNCHANGED && row.event_id && row.event_id[0]) {
		int unknown =
			json_is_true(json_object_get(doc, "outcome_unknown"));

		res.outcome = unknown ? ESC_CREATED : ESC_UPDATED;
		escalate_comment(l->soar, l->sd, &row, &res);
		res.outcome = ESC_UNCHANGED;
	}
	if (res.outcome == ESC_FAILED) {
		if (res.fail == ESC_DATA) {
			snprintf(err, sizeof(err),
				 "QRadar SOAR refused the case: %s", res.error);
			settle_dead(rp, l->sd, doc, err);
		} else {
			settle_failed(rp, l->sd, doc, res.error, res.unknown,
				      res.fail == ESC_INTERNAL ? EXIT_INTERNAL
							       : EXIT_SOAR);
		}
		goto out;
	}
	if (res.comment_failed) {
		/* the case stands: only the comment is left to do */
		json_object_set_new(doc, "kind", json_string("comment"));
		queue_doc_set_comment(doc, res.case_id,
				      res.outcome != ESC_CREATED);
		snprintf(what, sizeof(what),
			 "%s case %lld; the notable comment is queued",
			 res.outcome == ESC_CREATED ? "created" : "updated",
			 res.case_id);
		cam(rp, doc, 1, what, res.case_id,
		    res.outcome == ESC_CREATED ? "created" : "updated", NULL);
		settle_failed(rp, l->sd, doc, res.comment_error, 0,
			      EXIT_NOTABLE);
		goto out;
	}
	if (res.outcome == ESC_CREATED)
		snprintf(what, sizeof(what), "Created QRadar SOAR case %lld",
			 res.case_id);
	else if (res.outcome == ESC_UNCHANGED)
		snprintf(what, sizeof(what),
			 "QRadar SOAR case %lld was already made as queued",
			 res.case_id);
	else
		snprintf(
			what, sizeof(what),
			"Updated QRadar SOAR case %lld (%d fields, %d new artifacts)",
			res.case_id, res.fields_changed, res.artifacts_added);
	settle_done(rp, l->sd, doc, what, res.case_id,
		    res.outcome == ESC_CREATED	   ? "created"
		    : res.outcome == ESC_UNCHANGED ? "unchanged"
						   : "updated");
out:
	escalate_result_free(&res);
	case_row_free(&row.cr);
}

/* Claims, confirms and settles one due document. */
static void work(struct replay *rp, struct esc_lane *l, const json_t *listed)
{
	const char *key = queue_str(listed, "_key");
	struct kv *kv = NULL;
	json_t *doc = NULL;
	char err[1024], why[1400];
	double now = wall_s();
	int got;

	if (!key)
		return;
	got = claim(rp, l->sd, key);
	if (got != 1) {
		tally(rp, got == 0 ? &rp->passed : &rp->skipped);
		if (got < 0)
			worse(rp, EXIT_SPLUNKD);
		return;
	}
	/* still there and still due, now that it is ours? */
	if (open_kv(l->sd, QUEUE_COLLECTION, &kv) ||
	    kv_get(kv, key, &doc, err, sizeof(err)) != KV_OK ||
	    strcmp(queue_str(doc, "state") ? queue_str(doc, "state") : "",
		   "queued") != 0 ||
	    queue_num(doc, "next_attempt", 0) > now) {
		tally(rp, &rp->skipped);
		goto out;
	}
	if (now - queue_num(doc, "first_failure", now) > rp->max_age) {
		snprintf(
			why, sizeof(why),
			"not delivered within queue_max_age (%.0f s) after %d attempts; last error: %s",
			rp->max_age, (int)queue_num(doc, "attempts", 0),
			queue_str(doc, "last_error")
				? queue_str(doc, "last_error")
				: "");
		settle_dead(rp, l->sd, doc, why);
		goto out;
	}
	if (!l->soar) {
		settle_failed(rp, l->sd, doc, rp->cur->err, 0,
			      rp->cur->err_code);
		goto out;
	}
	if (strcmp(queue_str(doc, "kind") ? queue_str(doc, "kind") : "",
		   "comment") == 0)
		deliver_comment(rp, l, doc);
	else
		deliver_case(rp, l, doc);
out:
	kv_free(kv);
	json_decref(doc);
	release(l->sd, key);
}

/* ---- targets --------------------------------------------------------- */

static int same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static void target_free(struct target *t)
{
	soar_free(t->soar);
	catalog_free(&t->cat);
	secret_free(t->secret);
	free(t->host);
	free(t->org);
	free(t->user);
	free(t);
}

/* Logs in to the target and loads its catalog; on failure t->err. */
static void target_connect(struct replay *rp, struct target *t)
{
	const struct action_config *cfg = rp->in->cfg;
	struct soar_opts o;
	json_t *fields = NULL, *types = NULL;
	int rc;

	t->err_code = EXIT_SPLUNKD;
	if (splunkd_get_secret(rp->in->sd, t->host, t->user, &t->secret, t->err,
			       sizeof(t->err)))
		return;
	memset(&o, 0, sizeof(o));
	o.host = t->host;
	o.port = t->port;
	o.org = t->org;
	o.user = t->user;
	o.secret = t->secret;
	o.api_keys = t->api_keys;
	o.verify = cfg->verify;
	o.proxy_host = cfg->proxy_host;
	o.proxy_port = cfg->proxy_port;
	o.proxy_user = cfg->proxy_user;
	o.proxy_password = rp->in->proxy_password;
	t->err_code = EXIT_SOAR;
	rc = soar_connect(&t->soar, &o, t->err, sizeof(t->err));
	if (rc == 0)
		rc = soar_incident_fields(t->soar, &fields, t->err,
					  sizeof(t->err));
	if (rc == 0)
		rc = soar_artifact_types(t->soar, &types, t->err,
					 sizeof(t->err));
	if (rc == 0) {
		rc = catalog_load(&t->cat, fields, types, t->err,
				  sizeof(t->err));
		fields = types = NULL;
	}
	json_decref(fields);
	json_decref(types);
	if (rc) {
		soar_free(t->soar);
		t->soar = NULL;
		return;
	}
}

static struct target *target_of(struct replay *rp, const json_t *doc)
{
	struct target *t;
	const char *host = queue_str(doc, "host"), *org = queue_str(doc, "org"),
		   *user = queue_str(doc, "user");
	int port = (int)queue_num(doc, "port", 443),
	    api = json_is_true(json_object_get(doc, "api_keys"));

	for (t = rp->targets; t; t = t->next)
		if (same(t->host, host) && same(t->org, org) &&
		    same(t->user, user) && t->port == port &&
		    t->api_keys == api)
			return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->host = strdup(host ? host : "");
	t->org = strdup(org ? org : "");
	t->user = strdup(user ? user : "");
	t->port = port;
	t->api_keys = api;
	if (!t->host || !t->org || !t->user) {
		target_free(t);
		return NULL;
	}
	if (!*t->host || !*t->org || !*t->user) {
		snprintf(t->err, sizeof(t->err),
			 "the queued document names no SOAR host, org or user");
		t->err_code = EXIT_PAYLOAD;
	} else {
		target_connect(rp, t);
	}
	t->next = rp->targets;
	rp->targets = t;
	return t;
}

/* ---- the pool -------------------------------------------------------- */

static int lane_open(void *ctx, void **out, char *err, size_t n)
{
	struct replay *rp = ctx;
	struct esc_lane *l;

	*out = NULL;
	if (esc_lane_open(&l, rp->cur->soar, rp->in->sd, err, n))
		return -1;
	*out = l;
	return 0;
}

static void lane_close(void *ctx, void *lane)
{
	(void)ctx;
	esc_lane_free(lane);
}

static void lane_run(void *ctx, void *lane, void *job)
{
	json_t *doc = job;

	work(ctx, lane, doc);
	json_decref(doc);
}

static const struct pool_ops lane_ops = { lane_open, lane_run, lane_close };

/* The documents of page for target t through a pool. */
static void run_target(struct replay *rp, struct target *t, json_t *page)
{
	struct pool *pool = NULL;
	size_t i;
	json_t *doc;
	char err[1024];

	rp->cur = t;
	if (pool_new(&pool, rp->in->lanes, &lane_ops, rp)) {
		worse(rp, EXIT_INTERNAL);
		return;
	}
	json_array_foreach(page, i, doc) {
		const char *dk = queue_str(doc, "dedup_key");

		if (target_of(rp, doc) != t)
			continue;
		json_incref(doc);
		if (pool_submit(pool,
				json_is_true(json_object_get(doc, "duplicates"))
					? NULL
					: dk,
				doc, err, sizeof(err))) {
			errorf("replay: %s", err);
			json_decref(doc);
			tally(rp, &rp->skipped);
			worse(rp, EXIT_INTERNAL);
		}
	}
	pool_free(pool);
}

/* ---- spool ----------------------------------------------------------- */

/* This host's spooled documents into the KV store. */
static void drain_spool(struct replay *rp)
{
	json_t *names = NULL, *v;
	struct kv *kv = NULL;
	char err[1024];
	size_t i;
	int moved = 0;

	if (!rp->spool_dir[0] ||
	    spool_list(rp->spool_dir, &names, err, sizeof(err)) != SPOOL_OK) {
		if (rp->spool_dir[0])
			errorf("replay: %s", err);
		return;
	}
	if (json_array_size(names) &&
	    open_kv(rp->in->sd, QUEUE_COLLECTION, &kv)) {
		json_decref(names);
		return;
	}
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);
		json_t *doc = NULL;
		int rc =
			spool_read(rp->spool_dir, name, &doc, err, sizeof(err));

		if (rc == SPOOL_CORRUPT) {
			errorf("replay: %s; set aside as %s.bad for a person to check",
			       err, name);
			spool_set_aside(rp->spool_dir, name, err, sizeof(err));
			worse(rp, EXIT_INTERNAL);
			continue;
		}
		/* a run on this host may still be working on it */
		if (rc != SPOOL_OK ||
		    queue_num(doc, "next_attempt", 0) > wall_s()) {
			json_decref(doc);
			continue;
		}
		rc = kv_insert(kv, doc, NULL, err, sizeof(err));
		json_decref(doc);
		if (rc == KV_OK || rc == KV_CONFLICT) {
			spool_remove(rp->spool_dir, name, err, sizeof(err));
			moved++;
		} else if (rc == KV_REFUSED) {
			errorf("replay: the KV store refused spooled document %s (%s); set aside as %s.bad",
			       name, err, name);
			spool_set_aside(rp->spool_dir, name, err, sizeof(err));
			worse(rp, EXIT_INTERNAL);
		} else {
			warnf("replay: the spool stays until the KV store takes it: %s",
			      err);
			worse(rp, EXIT_SPLUNKD);
			break;
		}
	}
	if (moved)
		infof("replay: %d spooled document%s moved into the KV store",
		      moved, moved == 1 ? "" : "s");
	kv_free(kv);
	json_decref(names);
}

/* ---- the run --------------------------------------------------------- */

static void sweep(struct replay *rp)
{
	struct kv *kv = NULL;
	json_t *q = json_pack("{s:{s:f}}", "until", "$lt",
			      wall_s() - REPLAY_LEASE_S);
	char err[1024];

	/* leases of replays that died long ago */
	if (q && open_kv(rp->in->sd, LEASES, &kv) == KV_OK &&
	    kv_delete_query(kv, q, err, sizeof(err)) != KV_OK)
		warnf("replay: old leases not swept: %s", err);
	kv_free(kv);
	json_decref(q);
	if (rp->in->lock_dir)
		keylock_sweep(rp->in->lock_dir, LOCK_SWEEP_S);
}

/* The next page of due documents; -1 when the queue cannot be read. */
static int due_page(struct replay *rp, json_t **page, long skip)
{
	struct kv *kv = NULL;
	struct kv_query q;
	json_t *cond;
	char err[1024];
	int rc;

	*page = NULL;
	cond = json_pack("{s:s,s:{s:f}}", "state", "queued", "next_attempt",
			 "$lte", wall_s());
	memset(&q, 0, sizeof(q));
	q.query = cond;
	q.sort = "next_attempt:1,_key:1";
	q.limit = REPLAY_PAGE;
	q.skip = skip;
	/* the fields that choose the target and order the work */
	q.fields = "_key,dedup_key,host,port,org,user,api_keys,duplicates";
	rc = cond ? open_kv(rp->in->sd, QUEUE_COLLECTION, &kv) : KV_NOMEM;
	if (rc == KV_OK)
		rc = kv_find(kv, &q, page, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", kv_strerror(rc));
	kv_free(kv);
	json_decref(cond);
	if (rc != KV_OK) {
		char msg[1200];

		snprintf(
			msg, sizeof(msg),
			"QRadar SOAR replay: the delivery queue cannot be read: %s",
			err);
		errorf("%s", msg);
		log_cam(LOG_ERROR, rp->in->cam, NULL, NULL, NULL, msg,
			"failure", NULL);
		worse(rp, rc == KV_NOMEM ? EXIT_INTERNAL : EXIT_SPLUNKD);
		return -1;
	}
	return 0;
}

int replay_run(const struct replay_in *in)
{
	struct replay rp;
	json_t *page = NULL, *doc;
	char err[1024], host[128] = "";
	long skip = 0;
	size_t i;

	memset(&rp, 0, sizeof(rp));
	rp.in = in;
	pthread_mutex_init(&rp.mu, NULL);
	rp.deadline = mono_ms() + REPLAY_BUDGET_MS;
	gethostname(host, sizeof(host) - 1);
	snprintf(rp.holder, sizeof(rp.holder), "%s:%ld:%lx",
		 in->p->server_host ? in->p->server_host : host, (long)getpid(),
		 (unsigned long)mono_ms());
	if (spool_default_dir(rp.spool_dir, sizeof(rp.spool_dir),
			      getenv("SPLUNK_HOME")))
		rp.spool_dir[0] = '\0';
	if (replay_max_age(json_string_value(json_object_get(in->cfg->conf,
							     "queue_max_age")),
			   &rp.max_age, err, sizeof(err))) {
		errorf("%s", err);
		log_cam(LOG_ERROR, in->cam, NULL, NULL, NULL, err, "failure",
			NULL);
		pthread_mutex_destroy(&rp.mu);
		return EXIT_PAYLOAD;
	}
	drain_spool(&rp);
	sweep(&rp);
	while (mono_ms() < rp.deadline && due_page(&rp, &page, skip) == 0 &&
	       json_array_size(page) > 0) {
		struct target *order[REPLAY_PAGE];
		size_t nt = 0, k;
		int passed = rp.passed,
		    done = rp.delivered + rp.failed + rp.dead;

		/* one target after the other, each through its own pool */
		json_array_foreach(page, i, doc) {
			struct target *t = target_of(&rp, doc);

			for (k = 0; t && k < nt && order[k] != t; k++)
				;
			if (!t)
				worse(&rp, EXIT_INTERNAL);
			else if (k == nt && nt < REPLAY_PAGE)
				order[nt++] = t;
		}
		for (k = 0; k < nt; k++)
			run_target(&rp, order[k], page);
		/* documents another replay holds stay due: passed over,
		 * not fetched again */
		skip += rp.passed - passed;
		json_decref(page);
		page = NULL;
		if (rp.delivered + rp.failed + rp.dead == done &&
		    rp.passed == passed)
			break; /* nothing moved: the queue cannot be written */
	}
	json_decref(page);
	if (rp.delivered || rp.failed || rp.dead)
		infof("replay: %d delivered, %d failed again, %d given up (dead), %d left to another replay",
		      rp.delivered, rp.failed, rp.dead, rp.passed);
	if (rp.failed || rp.dead) {
		char msg[512];

		snprintf(
			msg, sizeof(msg),
			"QRadar SOAR replay: %d queued escalation%s delivered, %d failed again and wait for the next replay, %d given up (state dead; see the README, \"Delivery queue\")",
			rp.delivered, rp.delivered == 1 ? "" : "s", rp.failed,
			rp.dead);
		splunkd_message(in->sd, "SA_QRadar_SOAR_replay", msg, "error",
				err, sizeof(err));
	}
	while (rp.targets) {
		struct target *t = rp.targets;

		rp.targets = t->next;
		target_free(t);
	}
	pthread_mutex_destroy(&rp.mu);
	return rp.rc;
}
