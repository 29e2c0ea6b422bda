#include "setup/setup.h"
#include "util/names.h"
#include "net/appconf.h"
#include "setup/alertform.h"
#include "mapping/catalog.h"
#include "setup/confwrite.h"
#include "util/log.h"
#include "setup/setupform.h"
#include "setup/setuptx.h"
#include "net/soar.h"
#include "net/splunkd.h"
#include "util/secret.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*
 * The setup handler: GET shows the saved configuration, POST tests and
 * saves one. Order of a save, each write journalled by setuptx so a later
 * failure undoes the earlier ones: the SOAR secret, the proxy password,
 * the [qradar_soar] stanza keys, the alert form, the removal of the
 * entities of a previous host/user or proxy user, the configured flag.
 * The outcome of the last successful save is kept in
 * qradar_soar.conf [last_setup] (through REST, so a search head cluster
 * replicates it); the last attempt, saved or not, in this process.
 */

#define STANZA_PATH QS_CONF "alert_actions/" QS_ACTION
#define FORM_PATH QS_NS "/data/ui/alerts/" QS_ACTION
#define HISTORY_FILE QS_CONF QS_APP_CONF
#define HISTORY_PATH HISTORY_FILE "/last_setup"
#define MESSAGE_NAME QS_MESSAGE_SETUP
#define MESSAGE_PATH "/services/messages/" MESSAGE_NAME
/* A person waits for the answer: connection retries stop after this. */
#define SOAR_BUDGET_MS 6000L

#define TEXT_MAX 4096

/* clang-format off */
static const char *const saved_keys[] = {
	"host",	      "port",	    "org",	  "user",
	"api_keys",   "verify",	    "duplicates", "num_artifacts",
	"num_events", "proxy_host", "proxy_port", "proxy_user",
	"sync_closed", "sync_close_status",
	NULL
};
/* clang-format on */

/* The last POST's outcome: {time, success, status, mode, text, warnings}. */
static json_t *last_attempt;
/* Returned when even building a reply runs out of memory. */
static json_t *oom_reply;

struct req {
	const char *method;
	const char *token;    /* session.authtoken */
	const char *rest_uri; /* server.rest_uri */
	const char *user;     /* session.user */
	const json_t *form;
};

/* The outcome of one POST, turned into the reply. */
struct outcome {
	int status;
	char text[TEXT_MAX];
	char field[64]; /* the form key a 400 names (the first) */
	json_t *warnings;
	int test;	/* mode=test */
	json_t *errors; /* NULL, or every invalid field: [{field, text}] */
};

static void now_iso(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void warn_add(struct outcome *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn_add(struct outcome *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* json_string refuses invalid UTF-8; every part quoted from the
	 * server went through confwrite_quote, so this only fails on ENOMEM */
	json_array_append_new(o->warnings, json_string(msg));
}

static json_t *reply_of(const struct outcome *o)
{
	json_t *p = json_pack("{s:b,s:s,s:O}", "success", o->status == 200,
			      "text", o->text, "warnings", o->warnings);

	if (p && o->field[0])
		json_object_set_new(p, "field", json_string(o->field));
	if (p && json_array_size(o->errors))
		json_object_set(p, "errors", o->errors);
	return p ? json_pack("{s:i,s:o}", "status", o->status, "payload", p)
		 : NULL;
}

/* ---- SOAR ----------------------------------------------------------- */

/* The reply status and text for a failed SOAR step: soar.c's own
 * sentence, which names the setting to change in the page's words; that
 * setting's field is highlighted. */
static int soar_failure(int rc, const char *e, const char *setting,
			struct outcome *o)
{
	snprintf(o->text, sizeof(o->text), "%s", e);
	snprintf(o->field, sizeof(o->field), "%s", setting);
	if (rc == SOAR_NOMEM)
		return 500;
	return 502;
}

/* Logs in, fetches both catalogues into cat. 0, or the reply status. */
static int soar_discover(const struct setup_form *f, struct soar_opts *so,
			 struct soar **s, struct catalog *cat,
			 struct outcome *o)
{
	json_t *fields = NULL, *types = NULL;
	char e[2048], setting[SOAR_SETTING_LEN] = "";
	int rc;

	so->host = f->host;
	so->port = f->port;
	so->org = f->org;
	so->user = f->user;
	so->secret = f->secret;
	so->api_keys = f->api_keys;
	so->verify = f->verify;
	so->proxy_host = f->proxy_host;
	so->proxy_port = f->proxy_port;
	so->proxy_user = f->proxy_user;
	so->proxy_password = f->proxy_password;
	so->budget_ms = SOAR_BUDGET_MS;
	so->from_setup_page = 1;
	so->bad_setting = setting;
	rc = soar_connect(s, so, e, sizeof(e));
	if (!rc)
		rc = soar_incident_fields(*s, &fields, e, sizeof(e));
	if (!rc)
		rc = soar_artifact_types(*s, &types, e, sizeof(e));
	if (rc) {
		json_decref(fields);
		json_decref(types);
		return soar_failure(rc, e, setting, o);
	}
	/* catalog_load owns both documents from here, even on error */
	if (catalog_load(cat, fields, types, e, sizeof(e)) != 0) {
		snprintf(
			o->text, sizeof(o->text),
			"SOAR at %s:%d sent field definitions the add-on cannot read: %s",
			f->host, f->port, e);
		return 502;
	}
	return 0;
}

/* What the org lacks that the alert action needs. */
static void catalogue_warnings(const struct catalog *cat, const char *org,
			       int duplicates, struct outcome *o)
{
	const struct fielddef *nf = catalog_field(cat, QS_NOTABLE_KEY);
	const json_t *ents = json_object_get(cat->types_doc, "entities"), *t;
	char q[256], l[256];
	size_t i, ntypes = 0;

	confwrite_quote(org, 120, q, sizeof(q));
	if (!nf || !confwrite_mappable(nf))
		warn_add(
			o,
			"The SOAR org \"%s\" has no usable custom field splunk_notable_event_id. Alerts still create cases, but updating the open case of an ES notable instead of creating a duplicate%s needs it. Create it in SOAR under Customization Settings > Layouts > Fields: a Text field with the API name splunk_notable_event_id; then run this setup again.",
			q,
			duplicates ? " (when Allow Duplicate Incidents is off)"
				   : "");
	for (i = 0; i < cat->ndefs; i++) {
		const struct fielddef *d = &cat->defs[i];

		if (!d->required || d->server_default ||
		    !confwrite_mappable(d) || strcmp(d->key, "name") == 0 ||
		    strcmp(d->key, "discovered_date") == 0)
			continue;
		confwrite_quote(d->text ? d->text : d->key, 80, l, sizeof(l));
		warn_add(
			o,
			"SOAR requires the field \"%s\" (mapping_%s): map it in every alert that uses this action, or SOAR refuses the case.",
			l, d->key);
	}
	json_array_foreach(ents, i, t)
		ntypes += alertform_artifact_type_ok(t) ? 1 : 0;
	if (!ntypes)
		warn_add(
			o,
			"The SOAR org \"%s\" has no enabled artifact type; alerts cannot add artifacts.",
			q);
}

static size_t count_mappable(const struct catalog *cat)
{
	size_t i, n = 0;

	for (i = 0; i < cat->ndefs; i++)
		n += confwrite_mappable(&cat->defs[i]) ? 1 : 0;
	return n;
}

static size_t count_types(const struct catalog *cat)
{
	const json_t *ents = json_object_get(cat->types_doc, "entities"), *t;
	size_t i, n = 0;

	json_array_foreach(ents, i, t)
		n += alertform_artifact_type_ok(t) ? 1 : 0;
	return n;
}

/* ---- splunkd writes ------------------------------------------------- */

static int open_splunkd(const struct req *r, struct splunkd **d,
			struct outcome *o)
{
	char e[1024];

	if (*d)
		return 0;
	if (!*r->token || !*r->rest_uri) {
		snprintf(
			o->text, sizeof(o->text),
			"the request carries no session.authtoken or server.rest_uri (restmap.conf: passSession must not be false)");
		return 500;
	}
	if (splunkd_open(d, r->rest_uri, r->token, e, sizeof(e)) != 0) {
		snprintf(o->text, sizeof(o->text), "cannot talk to splunkd: %s",
			 e);
		return 500;
	}
	return 0;
}

static int same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Ticking "Close the notable when its SOAR case closes" sets where the
 * first sync starts: the closures from now on (README "Closing the
 * loop"). -1 on out of memory (e says so). */
static int sync_since(json_t *kv, const struct setup_form *f, const json_t *old)
{
	char now[32];

	if (!f->sync_closed || text_bool(str(old, "param.sync_closed")) == 1)
		return 0;
	snprintf(now, sizeof(now), "%lld", text_now_ms() / 1000);
	return json_object_set_new(kv, "param.sync_since", json_string(now));
}

/*
 * The writes of a save. Returns 0, or 500 with o->text naming the step,
 * after every earlier write was undone.
 */
static int save(struct splunkd *d, const struct setup_form *f,
		const struct catalog *cat, const char *org, struct outcome *o,
		int *nnew, int *nkept)
{
	struct setuptx *tx = NULL;
	json_t *feed = NULL, *kv = NULL, *old;
	char *html = NULL, realm[1024], oldrealm[1024], e[2048], re[1024];
	const char *step = "reading the [qradar_soar] stanza";
	const char *old_host, *old_user, *old_puser;
	int rc, status = 500, undone;

	rc = splunkd_get(d, STANZA_PATH, &feed, e, sizeof(e));
	if (rc && rc != SPLUNKD_NOTFOUND)
		goto fail;
	/* no stanza yet (the app's default was removed): it is created, and
	 * removed again on a rollback */
	old = rc == SPLUNKD_NOTFOUND ? NULL : splunkd_entry_content(feed);
	old_host = str(old, "param.host");
	old_user = str(old, "param.user");
	old_puser = str(old, "param.proxy_user");
	step = "computing the stanza keys";
	if (confwrite_keys(cat, f, old, o->warnings, &kv, nnew, nkept, e,
			   sizeof(e)) != 0)
		goto fail;
	step = "generating the alert action form";
	html = alertform_html(cat, org, f->num_artifacts, e, sizeof(e));
	if (!html)
		goto fail;
	if (setuptx_new(&tx, d) != 0) {
		snprintf(e, sizeof(e), "out of memory");
		goto fail;
	}
	snprintf(realm, sizeof(realm), "%s%s", QS_REALM_PREFIX, f->host);
	step = "storing the SOAR secret in storage/passwords";
	if (!f->keep_secret &&
	    setuptx_password_set(tx, realm, f->user, f->secret, e, sizeof(e)))
		goto fail;
	if (*f->proxy_host && *f->proxy_user && !f->keep_proxy_password) {
		step = "storing the proxy password in storage/passwords";
		if (setuptx_password_set(tx, QS_PROXY_REALM, f->proxy_user,
					 f->proxy_password, e, sizeof(e)))
			goto fail;
	}
	step = "writing the [qradar_soar] stanza of alert_actions.conf";
	if (sync_since(kv, f, old)) {
		snprintf(e, sizeof(e), "out of memory");
		goto fail;
	}
	if (setuptx_conf_set(tx, STANZA_PATH, kv, old, e, sizeof(e)))
		goto fail;
	step = f->sync_closed ? "enabling the search \"" QS_SYNC_SEARCH "\""
			      : "disabling the search \"" QS_SYNC_SEARCH "\"";
	rc = setuptx_search_enable(tx, QS_SYNC_SEARCH, f->sync_closed, e,
				   sizeof(e));
	/* nothing to disable is no failure; nothing to enable is */
	if (rc && !(rc == SPLUNKD_NOTFOUND && !f->sync_closed))
		goto fail;
	step = "writing the alert action form";
	if (setuptx_form_set(tx, FORM_PATH, html, e, sizeof(e)))
		goto fail;
	/* The secret of the previous host/user would otherwise linger. */
	snprintf(oldrealm, sizeof(oldrealm), "%s%s", QS_REALM_PREFIX, old_host);
	if (*old_host && *old_user &&
	    !(same(old_host, f->host) && same(old_user, f->user))) {
		step = "removing the previous SOAR secret";
		if (setuptx_password_delete(tx, oldrealm, old_user, e,
					    sizeof(e)))
			goto fail;
	}
	if (*old_puser && !(*f->proxy_host && same(old_puser, f->proxy_user))) {
		step = "removing the previous proxy password";
		if (setuptx_password_delete(tx, QS_PROXY_REALM, old_puser, e,
					    sizeof(e)))
			goto fail;
	}
	step = "marking the app configured";
	if (setuptx_app_configured(tx, e, sizeof(e)))
		goto fail;
	status = 0;
	goto out;
fail:
	errorf("setup: failed while %s: %s", step, e);
	undone = tx ? setuptx_rollback(tx, re, sizeof(re)) : 0;
	if (undone)
		snprintf(
			o->text, sizeof(o->text),
			"Setup failed while %s: %s. %d earlier change%s could not be undone (%s); see qradar_soar_config_handler.log.",
			step, e, undone, undone == 1 ? "" : "s", re);
	else
		snprintf(
			o->text, sizeof(o->text),
			"Setup failed while %s: %s. Nothing was changed: every earlier change was undone.",
			step, e);
out:
	setuptx_free(tx);
	free(html);
	json_decref(kv);
	json_decref(feed);
	return status;
}

/* qradar_soar.conf [last_setup]: the last successful save. A failure here
 * does not undo the save; it becomes a warning. */
static void save_history(struct splunkd *d, struct outcome *o, const char *when)
{
	char *w = json_dumps(o->warnings, JSON_COMPACT);
	const char *kv[] = { "time",  when,	  "success",	"1", "text",
			     o->text, "warnings", w ? w : "[]", NULL };
	const char *create[] = { "name",     "last_setup", "time", when,
				 "success",  "1",	   "text", o->text,
				 "warnings", w ? w : "[]", NULL };
	char e[1024];
	int rc;

	/* json_dumps escapes control characters; o->text quotes server
	 * text through confwrite_quote: both are single lines */
	if (!confwrite_value_safe(o->text) || (w && !confwrite_value_safe(w))) {
		warn_add(
			o,
			"The outcome of this setup could not be recorded: its text is not a single line.");
		free(w);
		return;
	}
	rc = splunkd_post_form(d, HISTORY_PATH, kv, NULL, e, sizeof(e));
	if (rc == SPLUNKD_NOTFOUND)
		rc = splunkd_post_form(d, HISTORY_FILE, create, NULL, e,
				       sizeof(e));
	if (rc) {
		warnf("setup: could not record the outcome in qradar_soar.conf: %s",
		      e);
		warn_add(
			o,
			"The setup was saved, but its outcome could not be recorded in qradar_soar.conf: %s",
			e);
	}
	free(w);
}

/* ---- the handlers --------------------------------------------------- */

/* mode=test as the raw form says it, for a form the parser refused: a
 * refused test must not write a Splunk message either. */
static int form_says_test(const json_t *form)
{
	const json_t *p;
	size_t i;

	if (json_is_object(form))
		return strcmp(str(form, "mode"), "test") == 0;
	json_array_foreach(form, i, p)
		if (strcmp(json_string_value(json_array_get(p, 0))
				   ? json_string_value(json_array_get(p, 0))
				   : "",
			   "mode") == 0 &&
		    strcmp(json_string_value(json_array_get(p, 1))
				   ? json_string_value(json_array_get(p, 1))
				   : "",
			   "test") == 0)
			return 1;
	return 0;
}

/* Several invalid fields: the text says how many and lists them (the
 * page marks each from errors); one: its own sentence, ended. */
static void refused_text(struct outcome *o, const char *first)
{
	size_t i, n = json_array_size(o->errors), k;

	if (n < 2) {
		size_t len = strlen(first);

		snprintf(o->text, sizeof(o->text), "%s%s", first,
			 len && first[len - 1] == '.' ? "" : ".");
		return;
	}
	k = (size_t)snprintf(o->text, sizeof(o->text),
			     "%zu settings need a fix: ", n);
	for (i = 0; i < n && k < sizeof(o->text); i++)
		k += (size_t)snprintf(
			o->text + k, sizeof(o->text) - k, "%s%s",
			i ? "; " : "",
			str(json_array_get(o->errors, i), "text"));
	if (k + 1 < sizeof(o->text))
		snprintf(o->text + k, sizeof(o->text) - k, ".");
}

/* One secret left empty on the page: the one stored for (realm, user),
 * which replaces *secret. 0; 400 with the field marked when none is
 * stored (a new host or user needs its own); 500 when splunkd fails. */
static int keep_one(struct splunkd *d, const char *realm, const char *user,
		    const char *key, const char *label, const char *whose,
		    char **secret, struct outcome *o)
{
	char e[1024], msg[1200];
	char *stored = NULL;
	int rc = splunkd_get_password(d, realm, user, label, &stored, e,
				      sizeof(e));

	if (rc == SPLUNKD_OK) {
		secret_free(*secret);
		*secret = stored;
		return 0;
	}
	if (rc != SPLUNKD_NOTFOUND) {
		snprintf(o->text, sizeof(o->text),
			 "The stored %s cannot be read: %s", label, e);
		return 500;
	}
	snprintf(
		msg, sizeof(msg),
		"%s: none is stored for %s; enter it (a new host or user needs its own)",
		label, whose);
	if (!o->field[0]) {
		snprintf(o->field, sizeof(o->field), "%s", key);
		snprintf(o->text, sizeof(o->text), "%s", msg);
	}
	json_array_append_new(o->errors,
			      json_pack("{s:s,s:s}", "field", key, "text", msg));
	return 400;
}

/* The secrets the page left empty: those stored for the submitted host
 * and user (and proxy user), so changing another setting needs no
 * retyping. 0, or the reply status. */
static int keep_stored(const struct req *r, struct splunkd **d,
		       struct setup_form *f, struct outcome *o)
{
	char realm[1024], whose[1024];
	int rc, worst = 0;

	if (!f->keep_secret && !f->keep_proxy_password)
		return 0;
	rc = open_splunkd(r, d, o);
	if (rc)
		return rc;
	if (f->keep_secret) {
		snprintf(realm, sizeof(realm), "%s%s", QS_REALM_PREFIX,
			 f->host);
		snprintf(whose, sizeof(whose), "\"%.300s\" on %.300s",
			 f->user, f->host);
		rc = keep_one(*d, realm, f->user, "secret",
			      soar_setting_label("secret", f->api_keys), whose,
			      &f->secret, o);
		worst = rc > worst ? rc : worst;
	}
	if (f->keep_proxy_password && worst != 500) {
		snprintf(whose, sizeof(whose), "the proxy user \"%.300s\"",
			 f->proxy_user);
		rc = keep_one(*d, QS_PROXY_REALM, f->proxy_user,
			      "proxy_password",
			      soar_setting_label("proxy_password", 0), whose,
			      &f->proxy_password, o);
		worst = rc > worst ? rc : worst;
	}
	if (worst == 400) {
		char first[TEXT_MAX];

		snprintf(first, sizeof(first), "%s", o->text);
		refused_text(o, first);
	}
	return worst;
}

static void post(const struct req *r, struct outcome *o)
{
	struct setup_form f;
	struct soar_opts so;
	struct soar *s = NULL;
	struct catalog cat = CATALOG_INIT;
	struct splunkd *d = NULL;
	char e[1024], org[256], when[32];
	size_t nfields, ntypes;
	int rc, nnew = 0, nkept = 0, test = 0;

	memset(&f, 0, sizeof(f));
	memset(&so, 0, sizeof(so));
	test = o->test = form_says_test(r->form);
	if (setup_form_parse(r->form, &f, o->errors, o->field,
			     sizeof(o->field), e, sizeof(e)) != 0) {
		o->status = 400;
		refused_text(o, e);
		infof("setup: form refused (%s): %s", o->field, o->text);
		goto out;
	}
	test = o->test = f.test_mode;
	log_add_secret(f.secret);
	log_add_secret(f.proxy_password);
	infof("setup: %s by %s: host=%s port=%d org=\"%s\" user=\"%s\" api_keys=%d verify=%s proxy_host=%s proxy_port=%d proxy_user=\"%s\" secret=%s proxy_password=%s",
	      test ? "test" : "save", r->user, f.host, f.port, f.org, f.user,
	      f.api_keys, f.verify, f.proxy_host, f.proxy_port, f.proxy_user,
	      f.keep_secret ? "stored" : "new",
	      !*f.proxy_user		? "none"
	      : f.keep_proxy_password ? "stored"
				      : "new");
	rc = keep_stored(r, &d, &f, o);
	if (rc) {
		o->status = rc;
		goto out;
	}
	rc = soar_discover(&f, &so, &s, &cat, o);
	if (rc) {
		o->status = rc;
		goto out;
	}
	confwrite_quote(soar_org_name(s), 120, org, sizeof(org));
	catalogue_warnings(&cat, org, f.duplicates, o);
	nfields = count_mappable(&cat);
	ntypes = count_types(&cat);
	if (test) {
		o->status = 200;
		snprintf(
			o->text, sizeof(o->text),
			"Test succeeded: logged in to SOAR at %s:%d as \"%s\", org \"%s\": %zu mappable case fields and %zu artifact types. Nothing was saved.",
			f.host, f.port, f.user, org, nfields, ntypes);
		goto out;
	}
	rc = open_splunkd(r, &d, o);
	if (!rc)
		rc = save(d, &f, &cat, org, o, &nnew, &nkept);
	if (rc) {
		o->status = rc;
		goto out;
	}
	o->status = 200;
	snprintf(
		o->text, sizeof(o->text),
		"Setup saved: logged in to SOAR at %s:%d as \"%s\", org \"%s\". The secret is in storage/passwords; %zu case fields are mappable in the alert action (%d new, %d kept as set) with %zu artifact types; the alert action form was regenerated and the app is marked configured.",
		f.host, f.port, f.user, org, nfields, nnew, nkept, ntypes);
	now_iso(when, sizeof(when));
	save_history(d, o, when);
	/* a failure message of an earlier attempt is stale now */
	splunkd_delete(d, MESSAGE_PATH, e, sizeof(e));
out:
	if (o->status == 200) {
		infof("setup: %s", o->text);
	} else {
		errorf("setup: %s (HTTP %d)", o->text, o->status);
		/* a test writes nothing, not even a message */
		if (!test && open_splunkd(r, &d, o) == 0) {
			char msg[TEXT_MAX + 64];

			snprintf(msg, sizeof(msg),
				 "QRadar SOAR setup failed: %s", o->text);
			if (splunkd_message(d, MESSAGE_NAME, msg, "error", e,
					    sizeof(e)) != 0)
				warnf("setup: could not post the Splunk message: %s",
				      e);
		}
	}
	catalog_free(&cat);
	soar_free(s);
	splunkd_free(d);
	setup_form_free(&f);
}

static void remember(const struct outcome *o)
{
	char when[32];
	json_t *a;

	now_iso(when, sizeof(when));
	a = json_pack("{s:s,s:b,s:i,s:s,s:s,s:O}", "time", when, "success",
		      o->status == 200, "status", o->status, "mode",
		      o->test ? "test" : "save", "text", o->text, "warnings",
		      o->warnings);
	if (!a)
		return;
	json_decref(last_attempt);
	last_attempt = a;
}

/*
 * An upgrade over IBM's add-on: until this app's setup is submitted, the
 * form shows what IBM's setup stored in its [config] stanza, with
 * "prefilled_from" naming it. Nothing is written: a Submit stores the
 * form as this app's keys and leaves IBM's stanza as it is.
 */
static void prefill_from_ibm(struct splunkd *d, json_t *p)
{
	const char *file = NULL;
	char e[1024], from[64];

	if (appconf_fill_from_ibm(d, p, &file, e, sizeof(e)) != 0) {
		warnf("setup: cannot read IBM's add-on configuration: %s", e);
		return;
	}
	if (!file)
		return;
	snprintf(from, sizeof(from), "%s [config]", file);
	json_object_set_new(p, "prefilled_from", json_string(from));
	infof("setup: the form is pre-filled from IBM's add-on configuration (%s)",
	      from);
}

/* Whether a secret is stored for the host and user the form shows
 * (secret_stored) and for its proxy user (proxy_password_stored): the
 * page then shows it as stored and a Submit may leave it empty. Never the
 * secret itself. */
static int is_stored(struct splunkd *d, const char *realm, const char *user)
{
	char *sec = NULL, e[512];
	int rc;

	if (!*user)
		return 0;
	rc = splunkd_get_password(d, realm, user, "secret", &sec, e,
				  sizeof(e));
	secret_free(sec);
	if (rc != SPLUNKD_OK && rc != SPLUNKD_NOTFOUND)
		warnf("setup: cannot tell whether a secret is stored: %s", e);
	return rc == SPLUNKD_OK;
}

static void stored_flags(struct splunkd *d, json_t *p)
{
	char realm[1024];

	snprintf(realm, sizeof(realm), "%s%s", QS_REALM_PREFIX, str(p, "host"));
	json_object_set_new(p, "secret_stored",
			    json_boolean(*str(p, "host") &&
					 is_stored(d, realm, str(p, "user"))));
	json_object_set_new(
		p, "proxy_password_stored",
		json_boolean(is_stored(d, QS_PROXY_REALM, str(p, "proxy_user"))));
}

static json_t *get(const struct req *r)
{
	struct outcome o = { 500, "", "", NULL, 0, NULL };
	struct splunkd *d = NULL;
	json_t *feed = NULL, *hist = NULL, *p = NULL, *c, *reply = NULL;
	char e[1024], k[64];
	size_t i;
	int rc;

	o.warnings = json_array();
	if (!o.warnings)
		goto out;
	rc = open_splunkd(r, &d, &o);
	if (rc)
		goto fail;
	rc = splunkd_get(d, STANZA_PATH, &feed, e, sizeof(e));
	if (rc) {
		snprintf(o.text, sizeof(o.text),
			 "cannot read the saved configuration: %s", e);
		goto fail;
	}
	c = splunkd_entry_content(feed);
	p = json_object();
	for (i = 0; p && saved_keys[i]; i++) {
		snprintf(k, sizeof(k), "param.%s", saved_keys[i]);
		json_object_set_new(p, saved_keys[i], json_string(str(c, k)));
	}
	if (p)
		prefill_from_ibm(d, p);
	if (p)
		stored_flags(d, p);
	rc = splunkd_get(d, HISTORY_PATH, &hist, e, sizeof(e));
	if (p && rc == SPLUNKD_OK) {
		json_t *h = splunkd_entry_content(hist);
		json_t *w = json_loads(str(h, "warnings"), 0, NULL);

		json_object_set_new(
			p, "last_setup",
			json_pack("{s:s,s:b,s:s,s:o}", "time", str(h, "time"),
				  "success",
				  strcmp(str(h, "success"), "1") == 0, "text",
				  str(h, "text"), "warnings",
				  json_is_array(w) ? w : json_array()));
		if (!json_is_array(w))
			json_decref(w);
	} else if (p) {
		if (rc != SPLUNKD_NOTFOUND)
			warnf("setup: cannot read qradar_soar.conf [last_setup]: %s",
			      e);
		json_object_set_new(p, "last_setup", json_null());
	}
	if (p)
		json_object_set_new(p, "last_attempt",
				    last_attempt ? json_deep_copy(last_attempt)
						 : json_null());
	reply = p ? json_pack("{s:i,s:o}", "status", 200, "payload", p) : NULL;
	goto out;
fail:
	errorf("setup: GET: %s", o.text);
	reply = reply_of(&o);
out:
	json_decref(feed);
	json_decref(hist);
	json_decref(o.warnings);
	splunkd_free(d);
	return reply;
}

/* qradar_soar.conf [logging] log_level, read per request: a change needs
 * no restart of this long-lived process. */
static void apply_log_level(const struct req *r)
{
	struct splunkd *d = NULL;
	enum log_level lvl = LOG_INFO;
	char e[512];
	int rc;

	if (!*r->token || !*r->rest_uri ||
	    splunkd_open(&d, r->rest_uri, r->token, e, sizeof(e)) != 0)
		return;
	rc = appconf_log_level(d, &lvl, e, sizeof(e));
	log_set_levels(lvl, lvl);
	if (rc)
		warnf("setup: %s%s",
		      rc > 0 ? "cannot read the log level: " : "", e);
	splunkd_free(d);
}

json_t *setup_handle(const json_t *request)
{
	struct outcome o = { 500, "", "", NULL, 0, NULL };
	struct req r;
	json_t *reply = NULL;
	const json_t *session = json_object_get(request, "session");

	if (!oom_reply)
		oom_reply = json_pack("{s:i,s:{s:b,s:s,s:[]}}", "status", 500,
				      "payload", "success", 0, "text",
				      "out of memory", "warnings");
	r.method = str(request, "method");
	r.token = str(session, "authtoken");
	r.user = str(session, "user");
	r.rest_uri = str(json_object_get(request, "server"), "rest_uri");
	r.form = json_object_get(request, "form");
	apply_log_level(&r);
	if (strcasecmp(r.method, "GET") == 0) {
		reply = get(&r);
		goto out;
	}
	o.warnings = json_array();
	o.errors = json_array();
	if (!o.warnings || !o.errors)
		goto out;
	if (strcasecmp(r.method, "POST") == 0) {
		post(&r, &o);
		remember(&o);
	} else {
		o.status = 405;
		snprintf(
			o.text, sizeof(o.text),
			"method %s is not supported; use GET to read the configuration or POST to test or save one",
			*r.method ? r.method : "(none)");
	}
	reply = reply_of(&o);
out:
	json_decref(o.warnings);
	json_decref(o.errors);
	if (!reply)
		return oom_reply ? json_incref(oom_reply) : NULL;
	return reply;
}

/* Registers the values of the secret keys in a form or query (a list of
 * [k, v] pairs, or an object). */
static void add_form_secrets(const json_t *form)
{
	static const char *const keys[] = { "secret", "proxy_password" };
	size_t i, k;

	if (json_is_object(form)) {
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			log_add_secret(json_string_value(
				json_object_get(form, keys[k])));
		return;
	}
	for (i = 0; i < json_array_size(form); i++) {
		const json_t *p = json_array_get(form, i);
		const char *key = json_string_value(json_array_get(p, 0));

		if (!key)
			continue;
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (!strcmp(key, keys[k]))
				log_add_secret(json_string_value(
					json_array_get(p, 1)));
	}
}

/*
 * Before anything of a request is logged: forget the previous request's
 * secrets (log.c keeps a bounded list, and a long-lived process sees a new
 * session key per login), then register this one's.
 */
static void register_secrets(const json_t *req)
{
	log_forget_secrets();
	log_add_secret(json_string_value(
		json_object_get(json_object_get(req, "session"), "authtoken")));
	log_add_secret(
		json_string_value(json_object_get(req, "system_authtoken")));
	add_form_secrets(json_object_get(req, "form"));
	add_form_secrets(json_object_get(req, "query"));
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A refused request's reply: {"status": 400, "payload": {…}}. */
static char *refusal(const char *text)
{
	json_t *r = json_pack("{s:i,s:{s:b,s:s}}", "status", 400, "payload",
			      "success", 0, "text", text);
	char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;

	json_decref(r);
	return s;
}

char *setup_request(void *ctx, const char *block, size_t len)
{
	json_error_t jerr;
	json_t *req, *reply;
	const char *method, *path, *user;
	double t0 = seconds_now();
	char *out;

	(void)ctx;
	/* JSON_ALLOW_NUL: a "\u0000" in a form value reaches the form
	 * validation, which names the field, instead of failing the whole
	 * request as "not JSON". */
	req = json_loadb(block, len, JSON_ALLOW_NUL, &jerr);
	if (!req || !json_is_object(req)) {
		char text[160];

		/* nothing is known of this request's secrets, so nothing of
		 * it is logged (jansson's message quotes the input, which may
		 * hold the session key) */
		log_forget_secrets();
		if (!req)
			snprintf(text, sizeof text,
				 "The request is not valid JSON (error at "
				 "byte %d of %zu).",
				 jerr.position, len);
		else
			snprintf(text, sizeof text,
				 "The request is not a JSON object.");
		json_decref(req);
		errorf("refused a request: %s", text);
		return refusal(text);
	}
	register_secrets(req);
	method = json_string_value(json_object_get(req, "method"));
	path = json_string_value(json_object_get(req, "rest_path"));
	user = json_string_value(
		json_object_get(json_object_get(req, "session"), "user"));
	reply = setup_handle(req);
	out = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	infof("%.16s %.200s by %.100s: status %lld in %.3f s",
	      method ? method : "?", path ? path : "?", user ? user : "?",
	      out ? (long long)json_integer_value(
			    json_object_get(reply, "status"))
		  : 500LL,
	      seconds_now() - t0);
	json_decref(reply);
	json_decref(req);
	return out;
}
