#include "alert/action.h"
#include "alert/escalate.h"
#include "alert/pool.h"
#include "mapping/catalog.h"
#include "mapping/config.h"
#include "mapping/engine.h"
#include "mapping/payload.h"
#include "mapping/templates.h"
#include "net/appconf.h"
#include "net/soar.h"
#include "net/splunkd.h"
#include "util/exitcodes.h"
#include "util/log.h"
#include "util/secret.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Rows are escalated by up to LANES_DEFAULT workers (QS_PARALLEL=1..16
 * overrides), each with its own kept-alive SOAR and splunkd connection.
 * A row's worker is chosen by its notable key (see pool.h): the first row
 * of a notable creates the case, the next ones find and update it. */
#define LANES_DEFAULT 4

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
	char *proxy_password; /* only when proxy_user is set */
	pthread_mutex_t rc_mu;
	int rc; /* enum exit_code: the worst so far */
};

/* A worker's own connections. */
struct lane {
	struct soar *soar;
	struct splunkd *sd;
};

static long long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
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

static void fail_run(struct run *r, int code, const char *why)
{
	char err[512];

	errorf("%s", why);
	log_cam(LOG_ERROR, &r->cam, NULL, NULL, NULL, why, "failure", NULL);
	worse(r, code);
	if (r->sd)
		splunkd_message(r->sd, "SA_QRadar_SOAR_failure", why, "error",
				err, sizeof(err));
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
		*out = json_incref(r->p.configuration);
		return 0;
	}
	rc = splunkd_get(
		r->sd,
		"/servicesNS/nobody/SA_QRadar_SOAR/alerts/alert_actions/qradar_soar",
		&defs, err, n);
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

/* The SOAR secret, and the proxy password the setup page stores beside
 * it. */
static int read_secrets(struct run *r, char *err, size_t n)
{
	if (splunkd_get_secret(r->sd, r->cfg.host, r->cfg.user, &r->secret, err,
			       n))
		return -1;
	if (r->cfg.proxy_host && *r->cfg.proxy_host && r->cfg.proxy_user &&
	    *r->cfg.proxy_user &&
	    splunkd_get_password(r->sd, QS_PROXY_REALM, r->cfg.proxy_user,
				 "proxy password", &r->proxy_password, err, n))
		return -1;
	return 0;
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
	if (soar_clone(&l->soar, r->soar, err, n) ||
	    splunkd_clone(&l->sd, r->sd, err, n)) {
		warnf("a worker did not start (%s); its rows go to another",
		      err);
		soar_free(l->soar);
		free(l);
		return -1;
	}
	*out = l;
	return 0;
}

static void lane_close(void *ctx, void *lane)
{
	struct lane *l = lane;

	(void)ctx;
	soar_free(l->soar);
	splunkd_free(l->sd);
	free(l);
}

/* The run collects each row's outcome: today its exit code. */
static void collect(struct run *r, const struct esc_row *row,
		    const struct esc_result *res)
{
	escalate_report(&r->esc, row, res);
	worse(r, escalate_exit_code(res));
}

static void lane_run(void *ctx, void *lane, void *job)
{
	struct run *r = ctx;
	struct lane *l = lane;
	struct esc_row *row = job;
	struct esc_result res;

	escalate_row(&r->esc, l->soar, l->sd, row, &res);
	collect(r, row, &res);
	esc_row_free(row);
}

static const struct pool_ops lane_ops = { lane_open, lane_run, lane_close };

static int lanes_wanted(void)
{
	const char *v = getenv("QS_PARALLEL");
	long n = v && *v ? strtol(v, NULL, 10) : LANES_DEFAULT;

	return n < 1 ? 1 : n > POOL_LANES_MAX ? POOL_LANES_MAX : (int)n;
}

/* Every row of the results through the workers; the run's verdict. */
static void escalate_results(struct run *r)
{
	struct engine *e = NULL;
	struct engine_row er;
	struct pool *pool = NULL;
	struct esc_row *row;
	struct esc_result res;
	char err[2048];
	int st, rows = 0;

	st = engine_open(&e, &r->p, &r->cfg, &r->cat, now_ms(), err,
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
		rows++;
		log_cam(LOG_INFO, &r->cam, er.rid, NULL, NULL,
			"Invoking modular action", NULL, NULL);
		row = esc_row_from(&er);
		if (!row) {
			errorf("rid=%s: out of memory", er.rid);
			worse(r, EXIT_INTERNAL);
		} else if (pool_submit(pool, esc_row_key(&r->esc, row), row,
				       err, sizeof(err))) {
			escalate_fail(&res, ESC_INTERNAL, err);
			collect(r, row, &res);
			esc_row_free(row);
		}
	}
	pool_drain(pool);
	if (st != ENGINE_DONE)
		fail_run(r, st == ENGINE_NOMEM ? EXIT_INTERNAL : EXIT_RESULTS,
			 err);
	else if (rows == 0)
		infof("the results hold no rows; nothing to escalate");
	if (r->rc != EXIT_OK && r->rc != EXIT_NOTABLE && st == ENGINE_DONE) {
		char why[1024];

		snprintf(
			why, sizeof(why),
			"QRadar SOAR: some results of \"%s\" were not escalated; see qradar_soar_modalert.log",
			r->p.search_name ? r->p.search_name : "ad hoc search");
		splunkd_message(r->sd, "SA_QRadar_SOAR_failure", why, "error",
				err, sizeof(err));
	}
out:
	pool_free(pool);
	engine_close(e);
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
	r->cam.action_name = "qradar_soar";
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

static int run_end(struct run *r)
{
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
	if (splunkd_open(&r.sd, r.p.server_uri, r.p.session_key, err,
			 sizeof(err))) {
		fail_run(&r, EXIT_SPLUNKD, err);
		goto out;
	}
	apply_log_level(r.sd);
	if (read_templates(&r, &templates, err, sizeof(err))) {
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
	r.esc.duplicates = r.cfg.duplicates;
	debugf("configuration: %zu mappings, %zu artifact slots, num_artifacts=%d, num_events=%d, duplicates=%d, api_keys=%d",
	       r.cfg.nmaps, r.cfg.narts, r.cfg.num_artifacts, r.cfg.num_events,
	       r.cfg.duplicates, r.cfg.api_keys);
	if (!r.cfg.host || !*r.cfg.host || !r.cfg.user || !*r.cfg.user ||
	    !r.cfg.org || !*r.cfg.org) {
		fail_run(
			&r, EXIT_PAYLOAD,
			"configuration: host, org and user must be set; run the app's setup page");
		goto out;
	}
	if (read_secrets(&r, err, sizeof(err))) {
		fail_run(&r, EXIT_SPLUNKD, err);
		goto out;
	}
	st = connect_soar(&r, err, sizeof(err));
	if (st) {
		fail_run(&r, st == SOAR_NOMEM ? EXIT_INTERNAL : EXIT_SOAR, err);
		goto out;
	}
	escalate_results(&r);
out:
	json_decref(templates);
	return run_end(&r);
}
