#include "alert/action.h"
#include "mapping/catalog.h"
#include "mapping/config.h"
#include "mapping/engine.h"
#include "util/exitcodes.h"
#include "util/log.h"
#include "mapping/payload.h"
#include "util/secret.h"
#include "net/soar.h"
#include "net/splunkd.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define NOTABLE_FIELD "properties.splunk_notable_event_id"
/* Rows are escalated by up to LANES_DEFAULT threads (QS_PARALLEL=1..16
 * overrides), each with its own kept-alive SOAR and splunkd connection.
 * A row's lane is chosen by its dedup key, so two requests for one key
 * are never in flight at once and rows sharing a key run in order: the
 * first creates the case, the next ones find and update it. */
#define LANES_DEFAULT 4
#define LANES_MAX 16
#define LANE_QUEUE_MAX 64

struct run;

/* One row on its way to SOAR: what escalate needs once the engine has
 * moved on to the next row. */
struct job {
	struct job *next;
	char rid[64];
	char *event_id, *orig_sid, *orig_rid;
	struct case_row cr;
};

struct lane {
	struct run *r;
	struct soar *soar; /* lane 0 borrows the run's handles */
	struct splunkd *sd;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* work queued, room freed, or closing */
	struct job *head, *tail;
	size_t queued;
	int closing;
};

struct run {
	struct payload p;
	struct action_config cfg;
	struct catalog cat;
	struct splunkd *sd;
	struct soar *soar;
	struct cam_ctx cam;
	char *secret;
	char *proxy_password; /* only when proxy_user is set */
	int have_cfg;
	pthread_mutex_t rc_mu;
	int rc;
	struct lane lanes[LANES_MAX];
	int nlanes;
	/* key slot → lane, assigned on first use so the first lane is lane 0,
	 * the run's own already-open connections (a one-row run opens none) */
	int slot_lane[LANES_MAX];
	int lanes_used;
	struct soar *proto; /* never used for requests; see lane_start */
	unsigned rr;	    /* round robin for rows without a key */
};

static void worse(struct run *r, int code)
{
	pthread_mutex_lock(&r->rc_mu);
	if (r->rc != EXIT_INTERNAL && (code == EXIT_INTERNAL || code > r->rc))
		r->rc = code;
	pthread_mutex_unlock(&r->rc_mu);
}

static long long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void cam(struct run *r, const struct job *j, const char *status,
		const char *signature, const char *case_id)
{
	const char *extra[] = { "case_id", case_id, NULL };

	log_cam(strcmp(status, "success") == 0 ? LOG_INFO : LOG_ERROR, &r->cam,
		j ? j->rid : NULL, j ? j->orig_sid : NULL,
		j ? j->orig_rid : NULL, signature, status,
		case_id ? extra : NULL);
}

/* Copies string values of obj whose key starts with prefix into dst,
 * without the prefix. */
static int merge_params(json_t *dst, const json_t *obj, const char *prefix)
{
	const char *k;
	json_t *v;
	size_t n = strlen(prefix);

	json_object_foreach((json_t *)obj, k, v) {
		if (strncmp(k, prefix, n) != 0 || !k[n])
			continue;
		if (json_is_string(v) && json_object_set(dst, k + n, v) != 0)
			return -1;
	}
	return 0;
}

/* Per key of raw: no $result. token → the configuration's expansion. */
static int keep_expanded(json_t *raw, const json_t *configuration)
{
	void *it;
	json_t *done;

	/* json_object_iter_set: the documented way to replace a value while
	 * iterating */
	for (it = json_object_iter(raw); it;
	     it = json_object_iter_next(raw, it)) {
		done = json_object_get(configuration, json_object_iter_key(it));
		if (json_is_string(done) &&
		    !strstr(json_string_value(json_object_iter_value(it)),
			    "$result.") &&
		    json_object_iter_set(raw, it, done) != 0)
			return -1;
	}
	return 0;
}

/*
 * Splunk resolves $result.x$ in the payload's configuration from the first
 * row only. For scheduled searches the raw templates are read back so every
 * row gets its own values: the action's defaults, then the saved search's
 * own parameters over them. A template without $result. is the same for
 * every row, and Splunk expanded tokens in it that only Splunk knows
 * ($alert.severity$, $job.*$, $description$…): the payload's value is kept.
 */
static int load_templates(struct run *r, json_t **out, char *err, size_t n)
{
	json_t *merged = NULL, *defs = NULL, *saved = NULL;
	int rc;

	*out = NULL;
	if (!r->p.search_uri || !*r->p.search_uri) {
		*out = json_incref(r->p.configuration);
		return 0;
	}
	merged = json_object();
	if (!merged)
		goto nomem;
	rc = splunkd_get(
		r->sd,
		"/servicesNS/nobody/SA_QRadar_SOAR/alerts/alert_actions/qradar_soar",
		&defs, err, n);
	if (rc)
		goto fail;
	rc = splunkd_get(r->sd, r->p.search_uri, &saved, err, n);
	if (rc)
		goto fail;
	if (merge_params(merged, splunkd_entry_content(defs), "param.") ||
	    merge_params(merged, splunkd_entry_content(saved),
			 "action.qradar_soar.param.") ||
	    keep_expanded(merged, r->p.configuration))
		goto nomem;
	json_decref(defs);
	json_decref(saved);
	*out = merged;
	return 0;
nomem:
	snprintf(err, n, "out of memory");
fail:
	json_decref(merged);
	json_decref(defs);
	json_decref(saved);
	return -1;
}

static void comment_notable(struct lane *l, const struct job *j, long long id,
			    int updated)
{
	struct run *r = l->r;
	char text[4096], err[1024], sig[1600];
	char *url;
	json_t *ans = NULL;
	int rc;

	if (!j->event_id || !j->event_id[0])
		return;
	url = soar_case_url(l->soar, id);
	if (updated)
		snprintf(text, sizeof(text),
			 "Updated case %lld in QRadar SOAR\n%s", id,
			 url ? url : "");
	else
		snprintf(text, sizeof(text), "QRadar SOAR Case ID: %lld\n%s",
			 id, url ? url : "");
	free(url);
	{
		/* output_mode in the form too, as the endpoint documents it
		 * (splunkd_post_form also puts it in the query) */
		const char *kv[] = { "ruleUIDs", j->event_id,	"comment",
				     text,	 "output_mode", "json",
				     NULL };

		rc = splunkd_post_form(l->sd, "/services/notable_update", kv,
				       &ans, err, sizeof(err));
	}
	if (rc == 0 && !json_is_true(json_object_get(ans, "success"))) {
		const char *m =
			json_string_value(json_object_get(ans, "message"));

		snprintf(err, sizeof(err), "notable_update refused: %s",
			 m ? m : "success is not true");
		rc = -1;
	}
	json_decref(ans);
	if (rc) {
		snprintf(sig, sizeof(sig),
			 "Could not comment on notable %s: %s", j->event_id,
			 err);
		errorf("rid=%s: %s", j->rid, sig);
		cam(r, j, "failure", sig, NULL);
		worse(r, EXIT_NOTABLE);
	}
}

static void escalate(struct lane *l, struct job *j)
{
	struct run *r = l->r;
	struct case_row *cr = &j->cr;
	struct catalog_view cv = { &r->cat };
	json_t *found = NULL;
	long long id = 0;
	char err[2048], sig[2600], idtext[32];
	int rc = 0, updated = 0, npatched = 0, nadded = 0, lookup;

	if (cr->error) {
		snprintf(sig, sizeof(sig), "Case not created: %s", cr->error);
		errorf("rid=%s: %s", j->rid, sig);
		cam(r, j, "failure", sig, NULL);
		worse(r, EXIT_ROWS);
		return;
	}
	{
		size_t i;
		json_t *w;

		json_array_foreach(cr->warnings, i, w)
			warnf("rid=%s: %s", j->rid, json_string_value(w));
	}
	lookup = !r->cfg.duplicates && cr->dedup_key &&
		 catalog_field(&r->cat, NOTABLE_FIELD);
	if (lookup)
		rc = soar_find_open_case(l->soar, cr->dedup_key, &found, err,
					 sizeof(err));
	if (rc == 0 && found) {
		id = json_integer_value(json_object_get(found, "id"));
		rc = soar_update_case(l->soar, found, cr->changes, &cv,
				      &npatched, err, sizeof(err));
		if (rc == 0)
			rc = soar_add_artifacts(l->soar, id, cr->artifacts,
						&nadded, err, sizeof(err));
		updated = 1;
	} else if (rc == 0) {
		/* the look-before-resend needs the same lookup as above */
		rc = soar_create_case(l->soar, cr->body,
				      lookup ? cr->dedup_key : NULL, &id, err,
				      sizeof(err));
	}
	json_decref(found);
	if (rc) {
		char *body = json_dumps(cr->body, JSON_COMPACT);

		if (rc == SOAR_UNKNOWN)
			snprintf(
				sig, sizeof(sig),
				"QRadar SOAR case creation outcome unknown: %s",
				err);
		else
			snprintf(sig, sizeof(sig),
				 "QRadar SOAR case not %s: %s",
				 updated ? "updated" : "created", err);
		errorf("rid=%s: %s", j->rid, sig);
		cam(r, j, "failure", sig, NULL);
		/* nothing is lost: the body can be replayed from the log */
		log_file_only(
			LOG_ERROR, "rid=%s %s: %s", j->rid,
			rc == SOAR_UNKNOWN
				? "case body sent, outcome unknown (check SOAR before replaying)"
				: "unsent case body",
			body ? body : "(out of memory)");
		free(body);
		/* SOAR's refusal of this row's data is the row's failure;
		 * anything else means SOAR itself was not usable */
		worse(r, rc == SOAR_NOMEM ? EXIT_INTERNAL
			 : rc == SOAR_REFUSED || rc == SOAR_CONFLICT
				 ? EXIT_ROWS
				 : EXIT_SOAR);
		return;
	}
	snprintf(idtext, sizeof(idtext), "%lld", id);
	if (updated)
		snprintf(
			sig, sizeof(sig),
			"Updated QRadar SOAR case %lld (%d fields, %d new artifacts)",
			id, npatched, nadded);
	else
		snprintf(sig, sizeof(sig), "Created QRadar SOAR case %lld", id);
	infof("rid=%s: %s", j->rid, sig);
	cam(r, j, "success", sig, idtext);
	comment_notable(l, j, id, updated);
}

static char *first_value(const struct row *row, const char *name)
{
	const struct field *f = row_field(row, name);

	return f && f->nvals ? strdup(f->vals[0]) : NULL;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	case_row_free(&j->cr);
	free(j->event_id);
	free(j->orig_sid);
	free(j->orig_rid);
	free(j);
}

/* Takes er's case; NULL on out of memory (er's case is then freed). */
static struct job *job_from(struct engine_row *er)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		case_row_free(&er->cr);
		return NULL;
	}
	snprintf(j->rid, sizeof(j->rid), "%s", er->rid);
	j->cr = er->cr;
	memset(&er->cr, 0, sizeof(er->cr));
	j->event_id = first_value(er->row, "event_id");
	j->orig_sid = first_value(er->row, "orig_sid");
	j->orig_rid = first_value(er->row, "orig_rid");
	return j;
}

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&l->mu);
		while (!l->head && !l->closing)
			pthread_cond_wait(&l->cv, &l->mu);
		j = l->head;
		if (j) {
			l->head = j->next;
			if (!l->head)
				l->tail = NULL;
			l->queued--;
			pthread_cond_broadcast(&l->cv);
		}
		pthread_mutex_unlock(&l->mu);
		if (!j)
			return NULL;
		escalate(l, j);
		job_free(j);
	}
}

/* Connections for lane i (lane 0 uses the run's) and its thread. */
static int lane_start(struct run *r, int i, char *err, size_t n)
{
	struct lane *l = &r->lanes[i];

	l->r = r;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (i == 0) {
		/* the pattern for the other lanes' handles, taken while no
		 * thread uses the run's handle (a re-login rewrites it) */
		if (r->nlanes > 1 && !r->proto &&
		    soar_clone(&r->proto, r->soar, err, n))
			goto fail;
		l->soar = r->soar;
		l->sd = r->sd;
	} else if (!r->proto) {
		snprintf(err, n, "lane 0 has not started");
		goto fail;
	} else if (soar_clone(&l->soar, r->proto, err, n) ||
		   splunkd_open(&l->sd, r->p.server_uri, r->p.session_key, err,
				n)) {
		goto fail;
	}
	if (pthread_create(&l->th, NULL, lane_main, l) != 0) {
		snprintf(err, n, "cannot start a worker thread");
		goto fail;
	}
	l->started = 1;
	return 0;
fail:
	if (i != 0) {
		soar_free(l->soar);
		splunkd_free(l->sd);
	}
	l->soar = NULL;
	l->sd = NULL;
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	return -1;
}

/* SOAR's equals is case-insensitive, so keys differing only in case must
 * share a lane. */
static unsigned key_hash(const char *k)
{
	unsigned h = 2166136261u;

	for (; *k; k++)
		h = (h ^ (unsigned char)tolower((unsigned char)*k)) * 16777619u;
	return h;
}

static void lanes_close(struct run *r);

/* Hands j to its lane, starting the lane on first use and waiting while
 * its queue is full. If a lane cannot start, the others are drained and
 * the rest of the run goes one row at a time on the run's own connections,
 * so no row is dropped and no key is ever in two lanes. */
static void dispatch(struct run *r, struct job *j)
{
	char err[1024];
	struct lane *l;
	int i;

	if (r->nlanes == 0)
		goto inline_row;
	if (j->cr.dedup_key && !r->cfg.duplicates)
		i = (int)(key_hash(j->cr.dedup_key) % (unsigned)r->nlanes);
	else
		i = (int)(r->rr++ % (unsigned)r->nlanes);
	if (r->slot_lane[i] < 0)
		r->slot_lane[i] = r->lanes_used++;
	i = r->slot_lane[i];
	l = &r->lanes[i];
	if (!l->started && lane_start(r, i, err, sizeof(err))) {
		warnf("worker %d not started (%s); escalating one row at a time",
		      i, err);
		lanes_close(r);
		r->nlanes = 0;
		goto inline_row;
	}
	pthread_mutex_lock(&l->mu);
	while (l->queued >= LANE_QUEUE_MAX)
		pthread_cond_wait(&l->cv, &l->mu);
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->queued++;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return;
inline_row:
	l = &r->lanes[0];
	l->r = r;
	l->soar = r->soar;
	l->sd = r->sd;
	escalate(l, j);
	job_free(j);
}

/* Lets every lane finish its queue, then frees its connections. */
static void lanes_close(struct run *r)
{
	int i;

	for (i = 0; i < LANES_MAX; i++) {
		struct lane *l = &r->lanes[i];

		if (!l->started)
			continue;
		pthread_mutex_lock(&l->mu);
		l->closing = 1;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->th, NULL);
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		if (i != 0) {
			soar_free(l->soar);
			splunkd_free(l->sd);
		}
		l->started = 0;
	}
	soar_free(r->proto);
	r->proto = NULL;
}

static int lanes_wanted(void)
{
	const char *v = getenv("QS_PARALLEL");
	long n = v && *v ? strtol(v, NULL, 10) : LANES_DEFAULT;

	return n < 1 ? 1 : n > LANES_MAX ? LANES_MAX : (int)n;
}

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

static void fail_run(struct run *r, int code, const char *why)
{
	char err[512];

	errorf("%s", why);
	cam(r, NULL, "failure", why, NULL);
	worse(r, code);
	if (r->sd)
		splunkd_message(r->sd, "SA_QRadar_SOAR_failure", why, "error",
				err, sizeof(err));
}

int action_execute(void)
{
	struct run r;
	struct engine *e = NULL;
	struct engine_row er;
	json_t *templates = NULL;
	char err[2048], why[2600];
	int st, rows = 0, k;

	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.rc_mu, NULL);
	r.rc = EXIT_OK;
	r.nlanes = lanes_wanted();
	for (k = 0; k < LANES_MAX; k++)
		r.slot_lane[k] = -1;
	if (payload_read_fd(&r.p, 0, err, sizeof(err)) != PAYLOAD_OK) {
		/* the failure line carries what is known: nothing of the
		 * payload (it may hold the session key) */
		r.cam.action_name = "qradar_soar";
		errorf("%s", err);
		log_open(getenv("SPLUNK_HOME"), "qradar_soar_modalert");
		log_cam(LOG_ERROR, &r.cam, NULL, NULL, NULL, err, "failure",
			NULL);
		log_close();
		payload_free(&r.p);
		pthread_mutex_destroy(&r.rc_mu);
		return EXIT_PAYLOAD;
	}
	log_add_secret(r.p.session_key);
	log_open(getenv("SPLUNK_HOME"), "qradar_soar_modalert");
	r.cam.worker = r.p.server_host;
	r.cam.action_name = "qradar_soar";
	r.cam.search_name = r.p.search_name;
	r.cam.sid = r.p.sid;
	r.cam.app = r.p.app;
	r.cam.user = r.p.owner;
	r.cam.digest_mode = payload_digest_mode(&r.p);
	r.cam.action_mode = payload_action_mode(&r.p);
	if (!r.p.session_key || !*r.p.session_key || !r.p.server_uri ||
	    !*r.p.server_uri) {
		fail_run(
			&r, EXIT_PAYLOAD,
			"payload: session_key and server_uri are required with --execute");
		goto out;
	}
	if (splunkd_open(&r.sd, r.p.server_uri, r.p.session_key, err,
			 sizeof(err))) {
		fail_run(&r, EXIT_SPLUNKD, err);
		goto out;
	}
	if (load_templates(&r, &templates, err, sizeof(err))) {
		snprintf(why, sizeof(why),
			 "cannot read the alert's parameters: %s", err);
		fail_run(&r, EXIT_SPLUNKD, why);
		goto out;
	}
	if (config_load(&r.cfg, templates, err, sizeof(err))) {
		fail_run(&r, EXIT_PAYLOAD, err);
		goto out;
	}
	r.have_cfg = 1;
	if (!r.cfg.host || !*r.cfg.host || !r.cfg.user || !*r.cfg.user ||
	    !r.cfg.org || !*r.cfg.org) {
		fail_run(
			&r, EXIT_PAYLOAD,
			"configuration: host, org and user must be set; run the app's setup page");
		goto out;
	}
	if (splunkd_get_secret(r.sd, r.cfg.host, r.cfg.user, &r.secret, err,
			       sizeof(err))) {
		fail_run(&r, EXIT_SPLUNKD, err);
		goto out;
	}
	/* the setup page stores the proxy password beside the SOAR secret */
	if (r.cfg.proxy_host && *r.cfg.proxy_host && r.cfg.proxy_user &&
	    *r.cfg.proxy_user &&
	    splunkd_get_password(r.sd, QS_PROXY_REALM, r.cfg.proxy_user,
				 "proxy password", &r.proxy_password, err,
				 sizeof(err))) {
		fail_run(&r, EXIT_SPLUNKD, err);
		goto out;
	}
	st = connect_soar(&r, err, sizeof(err));
	if (st) {
		fail_run(&r, st == SOAR_NOMEM ? EXIT_INTERNAL : EXIT_SOAR, err);
		goto out;
	}
	st = engine_open(&e, &r.p, &r.cfg, &r.cat, now_ms(), err, sizeof(err));
	if (st) {
		fail_run(&r, st == ENGINE_NOMEM ? EXIT_INTERNAL : EXIT_RESULTS,
			 err);
		goto out;
	}
	while ((st = engine_next(e, &er, err, sizeof(err))) == ENGINE_ROW) {
		struct job *j;

		rows++;
		log_cam(LOG_INFO, &r.cam, er.rid, NULL, NULL,
			"Invoking modular action", NULL, NULL);
		j = job_from(&er);
		if (!j) {
			errorf("rid=%s: out of memory", er.rid);
			worse(&r, EXIT_INTERNAL);
			continue;
		}
		dispatch(&r, j);
	}
	lanes_close(&r);
	if (st != ENGINE_DONE)
		fail_run(&r, st == ENGINE_NOMEM ? EXIT_INTERNAL : EXIT_RESULTS,
			 err);
	else if (rows == 0)
		infof("the results hold no rows; nothing to escalate");
	if (r.rc != EXIT_OK && r.rc != EXIT_NOTABLE && st == ENGINE_DONE) {
		snprintf(
			why, sizeof(why),
			"QRadar SOAR: some results of \"%s\" were not escalated; see qradar_soar_modalert.log",
			r.p.search_name ? r.p.search_name : "ad hoc search");
		splunkd_message(r.sd, "SA_QRadar_SOAR_failure", why, "error",
				err, sizeof(err));
	}
out:
	lanes_close(&r);
	engine_close(e);
	json_decref(templates);
	soar_free(r.soar);
	catalog_free(&r.cat);
	if (r.have_cfg)
		config_free(&r.cfg);
	secret_free(r.secret);
	secret_free(r.proxy_password);
	splunkd_free(r.sd);
	payload_free(&r.p);
	log_close();
	pthread_mutex_destroy(&r.rc_mu);
	return r.rc;
}
