#include "alert/action.h"
#include "util/text.h"
#include "util/names.h"
#include "alert/delivery.h"
#include "alert/escalate.h"
#include "alert/note.h"
#include "alert/pool.h"
#include "alert/replay.h"
#include "alert/sync.h"
#include "mapping/catalog.h"
#include "mapping/config.h"
#include "mapping/engine.h"
#include "mapping/payload.h"
#include "mapping/templates.h"
#include "net/appconf.h"
#include "net/soar.h"
#include "net/splunkd.h"
#include "util/exitcodes.h"
#include "util/keylock.h"
#include "util/log.h"
#include "util/secret.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows are escalated by up to LANES_DEFAULT workers (QS_PARALLEL=1..16
 * overrides), each with its own kept-alive SOAR and splunkd connection.
 * A row's worker is chosen by its notable key (see pool.h): the first row
 * of a notable creates the case, the next ones find and update it. */
#define LANES_DEFAULT 4
/* How long a row waits for another process working on its notable. */
#define KEYLOCK_WAIT_MS 90000L

/* What the run's rows came to: the summary line and the Splunk messages. */
struct tally {
	int rows, created, updated, unchanged, failed, queued;
	char first_failure[2048]; /* the first failed row's reason */
	/* mapped data left out: "field|problem" → {"count", "text", "fix",
	 * "case_id"} (the first occurrence's) */
	json_t *lost;
	int cases_lacking; /* cases made without some of their data */
};

struct run {
	struct payload p;
	struct action_config cfg;
	int have_cfg;
	struct catalog cat;
	struct splunkd *sd;
	struct soar *soar; /* the pattern of the workers' handles */
	struct cam_ctx cam;
	struct esc_ctx esc;
	char *secret;
	char *proxy_password;  /* only when proxy_user is set */
	pthread_mutex_t rc_mu; /* rc and tally */
	int rc;		       /* enum exit_code: the worst so far */
	struct tally tally;
	long long start_ms;
	int run_failed;	    /* fail_run posted the search's failure message */
	int own_summary;    /* the mode wrote its own run summary line */
	struct delivery dl; /* the delivery queue's side of the run */
	int queue_code;	    /* queue_run: the exit code of its rows */
	char lock_dir[4096];
};

/* A worker's own connections, and the notes owed to the cases of its
 * rows (NULL when note_on_update is off). */
struct lane {
	struct soar *soar;
	struct splunkd *sd;
	struct note_book *notes;
};

static double now_s(void)
{
	return (double)text_now_ms() / 1000.0;
}

/* When several classes occur, the highest wins, EXIT_INTERNAL always. */
static void worse(struct run *r, int code)
{
	pthread_mutex_lock(&r->rc_mu);
	if (r->rc != EXIT_INTERNAL && (code == EXIT_INTERNAL || code > r->rc))
		r->rc = code;
	pthread_mutex_unlock(&r->rc_mu);
}

/* qradar_soar.conf [logging] log_level for the rest of the run; the lines
 * before it (none but a payload failure) use INFO. */
static void apply_log_level(struct splunkd *sd)
{
	enum log_level lvl;
	char err[512];
	int rc = appconf_log_level(sd, &lvl, err, sizeof(err));

	log_set_levels(lvl, lvl);
	if (rc)
		warnf("%s%s", rc > 0 ? "cannot read the log level: " : "", err);
}

/*
 * The Splunk message names of a search: one per search and kind, so the
 * failures of different searches all stay in Settings > Messages (a
 * message replaces only the one of the same name). name = prefix, kind,
 * the search name with every character but [A-Za-z0-9_-] as '_' (cut at
 * 64), then its FNV-1a hash, since the cleaning can make two names equal.
 */
static void message_name(const struct run *r, const char *kind, char *out,
			 size_t n)
{
	const char *s = r->p.search_name && *r->p.search_name ? r->p.search_name
							      : "ad hoc";
	unsigned h = 2166136261u;
	char clean[65];
	size_t i;

	for (i = 0; s[i]; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	for (i = 0; i < sizeof(clean) - 1 && s[i]; i++)
		clean[i] = (s[i] >= 'a' && s[i] <= 'z') ||
					   (s[i] >= 'A' && s[i] <= 'Z') ||
					   (s[i] >= '0' && s[i] <= '9') ||
					   s[i] == '-' || s[i] == '_'
				   ? s[i]
				   : '_';
	clean[i] = '\0';
	snprintf(out, n, QS_APP "_%s_%s_%08x", kind, clean, h);
}

static const char *search_label(const struct run *r)
{
	return r->p.search_name && *r->p.search_name ? r->p.search_name
						     : "ad hoc search";
}

static void post_message(struct run *r, const char *kind, const char *text,
			 const char *severity)
{
	char name[160], err[512];

	if (!r->sd)
		return;
	message_name(r, kind, name, sizeof(name));
	if (splunkd_message(r->sd, name, text, severity, err, sizeof(err)))
		warnf("could not post the Splunk message %s: %s", name, err);
}

#define LOG_HINT                                                             \
	"Details: $SPLUNK_HOME/var/log/splunk/qradar_soar_modalert.log and " \
	"the add-on's Escalations dashboard."

/* A failure of the whole run: nothing of the results was escalated. */
static void fail_run(struct run *r, int code, const char *why)
{
	char text[3200];

	errorf("%s", why);
	log_cam(LOG_ERROR, &r->cam, NULL, NULL, NULL, why, "failure", NULL);
	worse(r, code);
	snprintf(
		text, sizeof(text),
		"QRadar SOAR: the alert \"%s\" escalated nothing. %s " LOG_HINT,
		search_label(r), why);
	post_message(r, "failure", text, "error");
	r->run_failed = 1;
}

/* The raw templates: the payload's configuration for an ad hoc run, else
 * the action's defaults and the saved search's parameters (see
 * templates.h). */
static int read_templates(struct run *r, json_t **out, char *err, size_t n)
{
	json_t *defs = NULL, *saved = NULL;
	int rc;

	*out = NULL;
	if (!r->p.search_uri || !*r->p.search_uri) {
		/* a copy: IBM's settings may be filled in (ibm_settings) */
		*out = json_copy(r->p.configuration);
		if (!*out) {
			snprintf(err, n, "out of memory");
			return -1;
		}
		return 0;
	}
	rc = splunkd_get(r->sd, QS_ACTION_PATH, &defs, err, n);
	if (rc == 0)
		rc = splunkd_get(r->sd, r->p.search_uri, &saved, err, n);
	if (rc == 0)
		rc = templates_merge(out, splunkd_entry_content(defs),
				     splunkd_entry_content(saved),
				     r->p.configuration, err, n);
	json_decref(defs);
	json_decref(saved);
	return rc;
}

/*
 * After an upgrade over IBM's add-on, before its setup page was submitted
 * here: the connection settings are in IBM's [config] stanza
 * (appconf_fill_from_ibm), and its credential entity is the one this app
 * reads, so the run goes on with them. A failed read is only logged: the
 * run then stops on the missing settings, naming both places.
 */
static void ibm_settings(struct run *r, json_t *conf)
{
	const char *file = NULL;
	char err[1024];

	if (appconf_fill_from_ibm(r->sd, conf, &file, err, sizeof(err))) {
		warnf("cannot read IBM's add-on configuration (qradar_soar.conf or sa_resilient.conf [config]): %s",
		      err);
		return;
	}
	if (file)
		infof("the SOAR connection settings come from IBM's add-on configuration (%s [config]), as alert_actions.conf [qradar_soar] has none; submit this add-on's setup page once to store them as its own",
		      file);
}

/* The proxy password the setup page stores beside the SOAR secret, when
 * a proxy user is set; 0 or splunkd's enum splunkd_err. */
static int read_proxy_password(struct run *r, char *err, size_t n)
{
	if (!r->cfg.proxy_host || !*r->cfg.proxy_host || !r->cfg.proxy_user ||
	    !*r->cfg.proxy_user)
		return 0;
	return splunkd_get_password(r->sd, QS_PROXY_REALM, r->cfg.proxy_user,
				    "proxy password", &r->proxy_password, err,
				    n);
}

/* The SOAR secret, and the proxy password; 0 or enum splunkd_err. */
static int read_secrets(struct run *r, char *err, size_t n)
{
	int rc = splunkd_get_secret(r->sd, r->cfg.host, r->cfg.user,
				    &r->secret, err, n);

	return rc ? rc : read_proxy_password(r, err, n);
}

/* Logs in and loads the org's catalogue; a soar_err. */
static int connect_soar(struct run *r, char *err, size_t n)
{
	struct soar_opts o;
	json_t *fields = NULL, *types = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.host = r->cfg.host;
	o.port = r->cfg.port;
	o.org = r->cfg.org;
	o.user = r->cfg.user;
	o.secret = r->secret;
	o.api_keys = r->cfg.api_keys;
	o.verify = r->cfg.verify;
	o.proxy_host = r->cfg.proxy_host;
	o.proxy_port = r->cfg.proxy_port;
	o.proxy_user = r->cfg.proxy_user;
	o.proxy_password = r->proxy_password;
	rc = soar_connect(&r->soar, &o, err, n);
	if (rc)
		return rc;
	rc = soar_incident_fields(r->soar, &fields, err, n);
	if (rc == 0)
		rc = soar_artifact_types(r->soar, &types, err, n);
	if (rc) {
		json_decref(fields);
		json_decref(types);
		return rc;
	}
	return catalog_load(&r->cat, fields, types, err, n) ? SOAR_SERVER : 0;
}

/* Runs on the submitting thread (pool.h): the run's handles are idle. */
static int lane_open(void *ctx, void **out, char *err, size_t n)
{
	struct run *r = ctx;
	struct lane *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	if (r->cfg.note_on_update && !(l->notes = note_book_new()))
		snprintf(err, n, "out of memory");
	if ((r->cfg.note_on_update && !l->notes) ||
	    soar_clone(&l->soar, r->soar, err, n) ||
	    splunkd_clone(&l->sd, r->sd, err, n)) {
		warnf("a worker did not start (%s); its rows go to another",
		      err);
		note_book_free(l->notes);
		soar_free(l->soar);
		free(l);
		return -1;
	}
	*out = l;
	return 0;
}

/* One note per case the lane's rows changed (note.h), once they all ran. */
static void add_notes(struct run *r, struct lane *l)
{
	struct note_about about = { r->p.search_name, r->p.owner,
				    text_trigger_time(r->p.sid) };
	char err[2048], sig[2300];
	size_t i;

	if (about.when_s < 0)
		about.when_s = text_now_ms() / 1000;
	for (i = 0; i < note_book_size(l->notes); i++) {
		const struct note_entry *e = note_book_get(l->notes, i);
		char *text;
		int rc;

		if (!note_needed(e))
			continue;
		text = note_text(&about, e, &r->cat);
		rc = text ? soar_add_note(l->soar, e->case_id, text, err,
					  sizeof(err))
			  : SOAR_NOMEM;
		free(text);
		if (rc == SOAR_OK) {
			infof("rid=%s: added a note to QRadar SOAR case %lld (%zu fields changed, %zu new artifacts)",
			      e->rid, e->case_id, json_object_size(e->changed),
			      json_array_size(e->added));
			continue;
		}
		if (!text)
			snprintf(err, sizeof(err), "out of memory");
		snprintf(sig, sizeof(sig),
			 "Could not add a note to QRadar SOAR case %lld: %s",
			 e->case_id, err);
		errorf("rid=%s: %s", e->rid, sig);
		{
			char id[32];
			const char *extra[] = { "case_id",  id,
						"event_id", e->event_id,
						"outcome",  "note_failed",
						NULL };

			snprintf(id, sizeof(id), "%lld", e->case_id);
			log_cam(LOG_ERROR, &r->cam, e->rid, e->orig_sid,
				e->orig_rid, sig, "failure", extra);
		}
		worse(r, rc == SOAR_NOMEM ? EXIT_INTERNAL : EXIT_NOTABLE);
	}
}

static void lane_close(void *ctx, void *lane)
{
	struct lane *l = lane;

	if (l->notes)
		add_notes(ctx, l);
	note_book_free(l->notes);
	soar_free(l->soar);
	splunkd_free(l->sd);
	free(l);
}

/* Counts one piece of left-out data under its field and problem. */
static void tally_lost(struct tally *t, const json_t *o, const char *case_id)
{
	char key[600];
	json_t *e;

	if (!t->lost)
		t->lost = json_object();
	if (!t->lost)
		return; /* out of memory: the CAM lines still tell */
	snprintf(key, sizeof(key), "%s|%s",
		 json_string_value(json_object_get(o, "field")),
		 json_string_value(json_object_get(o, "problem")));
	e = json_object_get(t->lost, key);
	if (e) {
		json_object_set_new(
			e, "count",
			json_integer(json_integer_value(
					     json_object_get(e, "count")) +
				     1));
		return;
	}
	json_object_set_new(t->lost, key,
			    json_pack("{s:i,s:O,s:O,s:O,s:s}", "count", 1,
				      "text", json_object_get(o, "text"), "fix",
				      json_object_get(o, "fix"), "value",
				      json_object_get(o, "value"), "case_id",
				      case_id));
}

/* The run collects each row's outcome: its exit code and the tally. */
static void collect(struct run *r, const struct esc_row *row,
		    const struct esc_result *res)
{
	struct tally *t = &r->tally;
	char id[32];
	size_t i;
	json_t *o;

	escalate_report(&r->esc, row, res);
	/* a row queued because the whole run could not escalate exits with
	 * the run's reason (a configuration that cannot work is 2, not 6) */
	worse(r, res->queued && r->queue_code ? r->queue_code
					      : escalate_exit_code(res));
	pthread_mutex_lock(&r->rc_mu);
	t->rows++;
	switch (res->outcome) {
	case ESC_CREATED:
		t->created++;
		break;
	case ESC_UPDATED:
		t->updated++;
		break;
	case ESC_UNCHANGED:
		t->unchanged++;
		break;
	case ESC_FAILED:
		t->failed++;
		t->queued += res->queued ? 1 : 0;
		if (!t->first_failure[0])
			snprintf(t->first_failure, sizeof(t->first_failure),
				 "%s", res->error);
		break;
	}
	if (res->outcome != ESC_FAILED && json_array_size(row->cr.left_out)) {
		t->cases_lacking++;
		snprintf(id, sizeof(id), "%lld", res->case_id);
		json_array_foreach(row->cr.left_out, i, o)
			tally_lost(t, o, id);
	}
	pthread_mutex_unlock(&r->rc_mu);
}

/* collect() for delivery_queue_run. */
static void collect_cb(void *ctx, const struct esc_row *row,
		       const struct esc_result *res)
{
	collect(ctx, row, res);
}

static void job_free(struct delivery_job *j)
{
	esc_row_free(j->row);
	json_decref(j->doc);
	free(j);
}

static void lane_run(void *ctx, void *lane, void *job)
{
	struct run *r = ctx;
	struct lane *l = lane;
	struct delivery_job *j = job;
	struct esc_result res;

	escalate_row(&r->esc, l->soar, l->sd, j->row, &res);
	delivery_settle(&r->dl, l->sd, j, &res, now_s());
	collect(r, j->row, &res);
	if (l->notes &&
	    (res.outcome == ESC_CREATED || res.outcome == ESC_UPDATED) &&
	    note_book_add(l->notes, res.case_id, res.outcome == ESC_CREATED,
			  j->row->cr.dedup_key, res.changed, res.added,
			  j->row->rid, j->row->orig_sid, j->row->orig_rid)) {
		errorf("rid=%s: out of memory noting the changes of case %lld",
		       j->row->rid, res.case_id);
		worse(r, EXIT_INTERNAL);
	}
	escalate_result_free(&res);
	job_free(j);
}

static const struct pool_ops lane_ops = { lane_open, lane_run, lane_close };

/* QS_PARALLEL: a whole number, clamped to 1..POOL_LANES_MAX; anything
 * else is reported and the default used. */
static int lanes_wanted(void)
{
	const char *v = getenv("QS_PARALLEL");
	long long n;

	if (!v || !*v)
		return LANES_DEFAULT;
	if (text_int(v, LLONG_MIN, LLONG_MAX, &n)) {
		warnf("QS_PARALLEL=\"%.40s\" is not a whole number; using %d workers",
		      v, LANES_DEFAULT);
		return LANES_DEFAULT;
	}
	return n < 1 ? 1 : n > POOL_LANES_MAX ? POOL_LANES_MAX : (int)n;
}

/* Rows written ahead (delivery.h) per KV store request. */
#define AHEAD_BATCH 100

/* Writes the rows of jobs ahead, then hands them to the workers. */
static void send_batch(struct run *r, struct pool *pool,
		       struct delivery_job **jobs, size_t n)
{
	struct esc_result res;
	char err[1024];
	size_t i;

	delivery_ahead(&r->dl, r->sd, jobs, n, now_s());
	for (i = 0; i < n; i++) {
		struct delivery_job *j = jobs[i];

		if (pool_submit(pool, esc_row_key(&r->esc, j->row), j, err,
				sizeof(err)) == 0)
			continue;
		escalate_fail(&res, ESC_INTERNAL, err);
		delivery_settle(&r->dl, r->sd, j, &res, now_s());
		collect(r, j->row, &res);
		escalate_result_free(&res);
		job_free(j);
	}
}

/* Every row of the results through the workers; the run's verdict. */
static void escalate_results(struct run *r)
{
	struct engine *e = NULL;
	struct engine_row er;
	struct pool *pool = NULL;
	struct delivery_job *batch[AHEAD_BATCH];
	size_t nb = 0;
	char err[2048];
	int st, rows = 0;

	st = engine_open(&e, &r->p, &r->cfg, &r->cat, text_now_ms(), err,
			 sizeof(err));
	if (st == 0 && pool_new(&pool, lanes_wanted(), &lane_ops, r)) {
		snprintf(err, sizeof(err), "out of memory");
		st = ENGINE_NOMEM;
	}
	if (st) {
		fail_run(r, st == ENGINE_NOMEM ? EXIT_INTERNAL : EXIT_RESULTS,
			 err);
		goto out;
	}
	while ((st = engine_next(e, &er, err, sizeof(err))) == ENGINE_ROW) {
		struct delivery_job *j = calloc(1, sizeof(*j));

		rows++;
		log_cam(LOG_INFO, &r->cam, er.rid, NULL, NULL,
			"Invoking modular action", NULL, NULL);
		if (j)
			j->row = esc_row_from(&er);
		else
			case_row_free(&er.cr);
		if (!j || !j->row) {
			errorf("rid=%s: out of memory", er.rid);
			worse(r, EXIT_INTERNAL);
			free(j);
			continue;
		}
		batch[nb++] = j;
		if (nb == AHEAD_BATCH) {
			send_batch(r, pool, batch, nb);
			nb = 0;
		}
	}
	send_batch(r, pool, batch, nb);
	pool_drain(pool);
	if (st != ENGINE_DONE)
		fail_run(r, st == ENGINE_NOMEM ? EXIT_INTERNAL : EXIT_RESULTS,
			 err);
	else if (rows == 0)
		infof("the results hold no rows; nothing to escalate");
out:
	pool_free(pool);
	engine_close(e);
}

/* "<n> of them waits … by itself" / "<n> results wait … by themselves":
 * what the Splunk messages say of queued rows, after lead. */
static void queued_words(char *out, size_t n, const char *lead, int queued)
{
	int one = queued == 1;

	snprintf(
		out, n,
		"%d %s%s wait%s in the delivery queue and %s sent again by %s (Escalations dashboard, Delivery queue).",
		queued, lead, one || strcmp(lead, "result") ? "" : "s",
		one ? "s" : "", one ? "is" : "are",
		one ? "itself" : "themselves");
}

/* The run cannot escalate (SOAR, its credential or splunkd not usable):
 * every row goes to the delivery queue (each row's CAM line says so), then
 * the run fails with why; its Splunk message says how many rows wait.
 * templates: NULL when the alert's own could not be read. */
static void queue_run(struct run *r, int code, const char *reason,
		      int for_fix, const char *why, const json_t *templates)
{
	struct tally *t = &r->tally;
	char text[4096], waits[256] = "";

	errorf("%s", why);
	r->queue_code = code;
	delivery_queue_run(&r->dl, r->sd, &r->cfg,
			   templates ? templates : r->p.configuration,
			   templates != NULL, reason, for_fix, why, collect_cb,
			   r);
	log_cam(LOG_ERROR, &r->cam, NULL, NULL, NULL, why, "failure", NULL);
	worse(r, code);
	pthread_mutex_lock(&r->rc_mu);
	if (t->queued) {
		waits[0] = ' ';
		queued_words(waits + 1, sizeof(waits) - 1, "result", t->queued);
	}
	pthread_mutex_unlock(&r->rc_mu);
	snprintf(
		text, sizeof(text),
		"QRadar SOAR: the alert \"%s\" escalated nothing. %s%s " LOG_HINT,
		search_label(r), why, waits);
	post_message(r, "failure", text, "error");
	r->run_failed = 1;
}

/* Reads the payload and opens the log; -1 when the payload is unusable
 * (logged, with a CAM failure line carrying nothing of the payload: it
 * may hold the session key). */
static int run_begin(struct run *r)
{
	char err[2048];

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->rc_mu, NULL);
	r->rc = EXIT_OK;
	r->start_ms = text_now_ms();
	r->cam.action_name = QS_ACTION;
	if (payload_read_fd(&r->p, 0, err, sizeof(err)) != PAYLOAD_OK) {
		errorf("%s", err);
		log_open(getenv("SPLUNK_HOME"), "qradar_soar_modalert");
		log_cam(LOG_ERROR, &r->cam, NULL, NULL, NULL, err, "failure",
			NULL);
		log_close();
		payload_free(&r->p);
		pthread_mutex_destroy(&r->rc_mu);
		return -1;
	}
	log_add_secret(r->p.session_key);
	log_open(getenv("SPLUNK_HOME"), "qradar_soar_modalert");
	r->cam.worker = r->p.server_host;
	r->cam.search_name = r->p.search_name;
	r->cam.sid = r->p.sid;
	r->cam.app = r->p.app;
	r->cam.user = r->p.owner;
	r->cam.digest_mode = payload_digest_mode(&r->p);
	r->cam.action_mode = payload_action_mode(&r->p);
	r->esc.cam = &r->cam;
	r->esc.cat = &r->cat;
	return 0;
}

/* Once per distinct piece of left-out data: a WARNING line (stderr
 * too) and the search's "mapping" Splunk message, naming the field, the
 * value and the fix. */
static void report_mapping(struct run *r)
{
	struct tally *t = &r->tally;
	const char *k, *first_key = NULL;
	json_t *e, *first = NULL;
	size_t nkinds = json_object_size(t->lost);
	char text[4096], more[128] = "";

	json_object_foreach(t->lost, k, e) {
		long long n = json_integer_value(json_object_get(e, "count"));

		warnf("%lld case%s made without mapped data: %s. Fix: %s", n,
		      n == 1 ? "" : "s",
		      json_string_value(json_object_get(e, "text")),
		      json_string_value(json_object_get(e, "fix")));
		/* the message leads with the problem most cases have */
		if (!first ||
		    n > json_integer_value(json_object_get(first, "count")) ||
		    (n == json_integer_value(json_object_get(first, "count")) &&
		     strcmp(k, first_key) < 0)) {
			first = e;
			first_key = k;
		}
	}
	if (!first)
		return;
	if (nkinds > 1)
		snprintf(more, sizeof(more),
			 " %zu other mapping problem%s too.", nkinds - 1,
			 nkinds == 2 ? "" : "s");
	snprintf(
		text, sizeof(text),
		"QRadar SOAR: the alert \"%s\" made %d case%s without some mapped data. Case %s: %s (value \"%s\"). Fix: %s%s " LOG_HINT,
		search_label(r), t->cases_lacking,
		t->cases_lacking == 1 ? "" : "s",
		json_string_value(json_object_get(first, "case_id")),
		json_string_value(json_object_get(first, "text")),
		json_string_value(json_object_get(first, "value")),
		json_string_value(json_object_get(first, "fix")), more);
	post_message(r, "mapping", text, "warn");
}

/* The failed rows of a run that ran: the search's "failure" message. */
static void report_failures(struct run *r)
{
	struct tally *t = &r->tally;
	char text[4096], queue[512];

	if (!t->failed || r->run_failed)
		return;
	if (t->queued)
		queued_words(queue, sizeof(queue), "of them", t->queued);
	else
		snprintf(
			queue, sizeof(queue),
			"Their case bodies are in the log (\"unsent case body\").");
	snprintf(
		text, sizeof(text),
		"QRadar SOAR: %d of %d results of the alert \"%s\" were not escalated. First reason: %s %s " LOG_HINT,
		t->failed, t->rows, search_label(r), t->first_failure, queue);
	post_message(r, "failure", text, "error");
}

/* One INFO line per run, whatever happened. */
static void summary(struct run *r)
{
	struct tally *t = &r->tally;

	infof("run summary: rows=%d created=%d updated=%d unchanged=%d failed=%d queued=%d seconds=%.3f search_name=\"%s\"",
	      t->rows, t->created, t->updated, t->unchanged, t->failed,
	      t->queued, (double)(text_now_ms() - r->start_ms) / 1000.0,
	      r->p.search_name ? r->p.search_name : "");
}

static int run_end(struct run *r)
{
	report_mapping(r);
	report_failures(r);
	if (!r->own_summary)
		summary(r);
	json_decref(r->tally.lost);
	soar_free(r->soar);
	catalog_free(&r->cat);
	if (r->have_cfg)
		config_free(&r->cfg);
	secret_free(r->secret);
	secret_free(r->proxy_password);
	splunkd_free(r->sd);
	payload_free(&r->p);
	log_close();
	pthread_mutex_destroy(&r->rc_mu);
	return r->rc;
}

/* The configuration and its target; -1 after failing the run. */
static int load_config(struct run *r, const json_t *templates)
{
	char err[2048];

	if (config_load(&r->cfg, (json_t *)templates, err, sizeof(err))) {
		fail_run(r, EXIT_PAYLOAD, err);
		return -1;
	}
	r->have_cfg = 1;
	r->esc.duplicates = r->cfg.duplicates;
	debugf("configuration: %zu mappings, %zu artifact slots, num_artifacts=%d, num_events=%d, duplicates=%d, api_keys=%d",
	       r->cfg.nmaps, r->cfg.narts, r->cfg.num_artifacts,
	       r->cfg.num_events, r->cfg.duplicates, r->cfg.api_keys);
	if (config_ignored_text(&r->cfg, err, sizeof(err)))
		infof("%s", err);
	if (!r->cfg.host || !*r->cfg.host || !r->cfg.user || !*r->cfg.user ||
	    !r->cfg.org || !*r->cfg.org) {
		fail_run(
			r, EXIT_PAYLOAD,
			"The add-on is not set up: the SOAR host, organization or user is empty (neither alert_actions.conf [qradar_soar] nor IBM's qradar_soar.conf [config] holds them). Run the add-on's setup page (Apps > Manage Apps > QRadar SOAR Add-on for Splunk > Set up).");
		return -1;
	}
	delivery_init(&r->dl, &r->p, &r->cfg);
	if (keylock_default_dir(r->lock_dir, sizeof(r->lock_dir),
				getenv("SPLUNK_HOME")) == 0) {
		r->esc.lock_dir = r->lock_dir;
		r->esc.lock_wait_ms = KEYLOCK_WAIT_MS;
	}
	return 0;
}

/* mode = replay (replay.h): the run works off the queue; mode = sync
 * (sync.h): it closes the notables of closed cases. Their settings hold
 * no $result token, so the payload's configuration is the search's own
 * and nothing else is read first. */
static int is_mode(const struct run *r, const char *mode)
{
	const char *m =
		json_string_value(json_object_get(r->p.configuration, "mode"));

	return m && strcmp(m, mode) == 0;
}

static void replay(struct run *r)
{
	struct replay_in in;
	char err[2048];
	/* verify: the replay search's, or IBM's before setup ran here */
	json_t *conf = json_copy(r->p.configuration);
	int rc;

	if (!conf) {
		fail_run(r, EXIT_INTERNAL, "out of memory");
		return;
	}
	ibm_settings(r, conf);
	rc = config_load(&r->cfg, conf, err, sizeof(err));
	json_decref(conf);
	if (rc) {
		fail_run(r, EXIT_PAYLOAD, err);
		return;
	}
	r->have_cfg = 1;
	if (read_proxy_password(r, err, sizeof(err))) {
		fail_run(r, EXIT_SPLUNKD, err);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.p = &r->p;
	in.cfg = &r->cfg;
	in.sd = r->sd;
	in.cam = &r->cam;
	in.proxy_password = r->proxy_password;
	if (keylock_default_dir(r->lock_dir, sizeof(r->lock_dir),
				getenv("SPLUNK_HOME")) == 0)
		in.lock_dir = r->lock_dir;
	in.lanes = lanes_wanted();
	worse(r, replay_run(&in));
	/* the replay's CAM lines and message tell; no run summary of rows */
	r->run_failed = 1;
}

static void sync_closed(struct run *r)
{
	struct sync_in in;
	char err[2048];

	if (config_load(&r->cfg, r->p.configuration, err, sizeof(err))) {
		fail_run(r, EXIT_PAYLOAD, err);
		return;
	}
	r->have_cfg = 1;
	if (r->cfg.sync_closed && read_proxy_password(r, err, sizeof(err))) {
		fail_run(r, EXIT_SPLUNKD, err);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.p = &r->p;
	in.cfg = &r->cfg;
	in.sd = r->sd;
	in.cam = &r->cam;
	in.proxy_password = r->proxy_password;
	if (keylock_default_dir(r->lock_dir, sizeof(r->lock_dir),
				getenv("SPLUNK_HOME")) == 0)
		in.lock_dir = r->lock_dir;
	worse(r, sync_run(&in));
	/* the sync writes its own summary and message */
	r->run_failed = 1;
	r->own_summary = 1;
}

int action_execute(void)
{
	struct run r;
	json_t *templates = NULL;
	char err[2048], why[2600];
	int st;

	if (run_begin(&r))
		return EXIT_PAYLOAD;
	if (!r.p.session_key || !*r.p.session_key || !r.p.server_uri ||
	    !*r.p.server_uri) {
		fail_run(
			&r, EXIT_PAYLOAD,
			"payload: session_key and server_uri are required with --execute");
		goto out;
	}
	st = splunkd_open(&r.sd, r.p.server_uri, r.p.session_key, err,
			  sizeof(err));
	if (st) {
		fail_run(&r,
			 st == SPLUNKD_BAD_URI ? EXIT_PAYLOAD : EXIT_SPLUNKD,
			 err);
		goto out;
	}
	apply_log_level(r.sd);
	if (is_mode(&r, "replay")) {
		replay(&r);
		goto out;
	}
	if (is_mode(&r, "sync")) {
		sync_closed(&r);
		goto out;
	}
	if (read_templates(&r, &templates, err, sizeof(err))) {
		/* the rows wait with the payload's configuration; the replay
		 * reads the alert's templates */
		snprintf(why, sizeof(why),
			 "cannot read the alert's parameters: %s", err);
		if (load_config(&r, r.p.configuration) == 0)
			queue_run(&r, EXIT_SPLUNKD, "splunkd not usable", 0,
				  why, NULL);
		goto out;
	}
	ibm_settings(&r, templates);
	if (load_config(&r, templates))
		goto out;
	st = read_secrets(&r, err, sizeof(err));
	if (st) {
		/* not stored, or not readable by the search's owner: the
		 * admin's to fix; anything else may pass by itself */
		queue_run(&r, EXIT_SPLUNKD, "credential not readable",
			  st == SPLUNKD_NOTFOUND || st == SPLUNKD_FORBIDDEN, err,
			  templates);
		goto out;
	}
	st = connect_soar(&r, err, sizeof(err));
	if (st == SOAR_NOMEM) {
		fail_run(&r, EXIT_INTERNAL, err);
		goto out;
	}
	if (st) {
		/* a configuration that cannot work is the configuration's
		 * failure, not SOAR's; either way the rows wait for the fix */
		queue_run(&r, st == SOAR_CONFIG ? EXIT_PAYLOAD : EXIT_SOAR,
			  st == SOAR_AUTH     ? "SOAR login refused"
			  : st == SOAR_ORG    ? "SOAR org not usable"
			  : st == SOAR_TLS    ? "SOAR certificate not trusted"
			  : st == SOAR_CONFIG ? "SOAR settings not usable"
					      : "SOAR unreachable",
			  st == SOAR_AUTH || st == SOAR_ORG || st == SOAR_TLS ||
				  st == SOAR_CONFIG,
			  err, templates);
		goto out;
	}
	escalate_results(&r);
out:
	json_decref(templates);
	return run_end(&r);
}
