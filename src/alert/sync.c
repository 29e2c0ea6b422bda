#include "alert/sync.h"
#include "mapping/catalog.h"
#include "net/kvstore.h"
#include "net/soar.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/exitcodes.h"
#include "util/html.h"
#include "util/keylock.h"
#include "util/names.h"
#include "util/secret.h"
#include "util/spool.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Why a mark and not the delivery queue. SOAR keeps every closed case: the
 * closures themselves are the queue, ordered by end_date. The mark only
 * moves past a case once its notable_update was answered (or refused for
 * good), and it is stored after each one, so:
 *  - nothing is lost: a failure (SOAR, splunkd, the KV store) stops the
 *    run before the mark passes the case, and the next run asks SOAR
 *    again from there;
 *  - nothing is posted twice: a case the mark covers is never posted
 *    again, and the mark is stored before the next notable is touched.
 * Queueing a failed notable_update in the delivery queue instead would
 * move the mark past something not posted, and then two stores (the queue
 * and the mark) would have to agree; both live in the KV store of the
 * splunkd that just failed. The one window left: a notable_update ES
 * carried out but whose answer never came (the connection dropped, the
 * process was killed before the mark was stored): the next run posts that
 * one notable again, so it gets the comment twice (its status is the
 * same). ES has no way to ask whether an update was applied.
 * When the KV store refuses the mark, the mark goes to a local file
 * (SYNC_LOCAL_DIR under the spool directory) and the run stops; the next
 * run on this host takes the later of both.
 * Two runs at once would both read the mark and both post every closure
 * (Splunk's scheduler runs a saved search once at a time, but "Run" on
 * the search, a | sendalert or a second search with mode = sync start
 * another). So a run holds the lock of its mark (keylock.h) from reading
 * the mark to its last store: a file lock held across the network calls
 * on purpose, as the read-post-store sequence is what it guards. Nobody
 * waits on it: a run that finds it held leaves the cases to the holder,
 * which takes them all (SYNC_BUDGET_MS bounds it). The lock is of one
 * host: search head cluster members run a scheduled search on one member
 * at a time.
 */
#define SYNC_LOCAL_DIR "sync"
#define QUERY_PARAMS "return_level=normal&field_handle=" QS_NOTABLE_FIELD

struct sync {
	const struct sync_in *in;
	const struct action_config *cfg;
	struct soar *soar;
	struct catalog cat;
	const struct fielddef *resolution; /* resolution_id, or NULL */
	char *secret;
	struct sync_mark mark;
	struct keylock lock;
	char key[80];
	char local_dir[4200]; /* "" without SPLUNK_HOME */
	int have_local;	      /* a local mark file exists */
	char status[24];      /* sync_close_status */
	char status_label[128];
	struct timespec start;
	int cases, closed, refused;
	int stopped; /* a failure ended the run early */
	int rc;
	char first_refusal[2048];
	char why[2048]; /* what stopped the run */
};

static long mono_ms(const struct timespec *since)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)((ts.tv_sec - since->tv_sec) * 1000 +
		      (ts.tv_nsec - since->tv_nsec) / 1000000);
}

/* ---- the mark -------------------------------------------------------- */

void sync_mark_free(struct sync_mark *m)
{
	free(m->ids);
	m->ids = NULL;
	m->nids = m->cap = 0;
}

int sync_mark_covers(const struct sync_mark *m, long long end_ms, long long id)
{
	size_t i;

	if (end_ms != m->end_ms)
		return end_ms < m->end_ms;
	for (i = 0; i < m->nids; i++)
		if (m->ids[i] == id)
			return 1;
	return 0;
}

int sync_mark_add(struct sync_mark *m, long long end_ms, long long id)
{
	size_t need = end_ms > m->end_ms ? 1 : m->nids + 1;

	if (end_ms < m->end_ms || sync_mark_covers(m, end_ms, id))
		return 0;
	if (need > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		long long *ids = realloc(m->ids, cap * sizeof(*ids));

		if (!ids)
			return -1;
		m->ids = ids;
		m->cap = cap;
	}
	if (end_ms > m->end_ms) {
		m->end_ms = end_ms;
		m->nids = 0;
	}
	m->ids[m->nids++] = id;
	return 0;
}

void sync_mark_start(struct sync_mark *m, long long end_ms)
{
	if (end_ms > m->end_ms) {
		m->end_ms = end_ms;
		m->nids = 0;
	}
}

int sync_mark_merge(struct sync_mark *a, const struct sync_mark *b)
{
	size_t i;

	if (b->end_ms < a->end_ms)
		return 0;
	sync_mark_start(a, b->end_ms);
	for (i = 0; i < b->nids; i++)
		if (sync_mark_add(a, b->end_ms, b->ids[i]))
			return -1;
	return 0;
}

int sync_mark_key(const char *host, const char *org, char *out, size_t n)
{
	struct buf b = BUF_INIT(4096);
	char hex[DIGEST_HEX_LEN + 1];
	int rc;

	/* a newline cannot be in a host name nor in a .conf value */
	buf_printf(&b, "%s\n%s", host, org);
	rc = b.failed ? -1 : digest_hex(buf_str(&b), b.len, hex, sizeof(hex));
	buf_free(&b);
	if (rc || snprintf(out, n, "%s_%.40s", SYNC_KIND, hex) >= (int)n)
		return -1;
	return 0;
}

json_t *sync_mark_doc(const struct sync_mark *m, const char *key,
		      const char *host, const char *org, double now_s)
{
	json_t *ids = json_array(), *doc;
	size_t i;

	for (i = 0; ids && i < m->nids; i++)
		if (json_array_append_new(ids, json_integer(m->ids[i]))) {
			json_decref(ids);
			ids = NULL;
		}
	if (!ids)
		return NULL;
	doc = json_pack("{s:s,s:s,s:s,s:s,s:I,s:o,s:f,s:i}", "_key", key,
			"kind", SYNC_KIND, "host", host, "org", org, "end_date",
			(json_int_t)m->end_ms, "ids", ids, "updated", now_s,
			"format", 1);
	return doc;
}

/* A whole number from the KV store, which may give one back as a real. */
static int whole(const json_t *v, long long *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_real(v))
		return -1;
	d = json_real_value(v);
	if (d < -9007199254740992.0 || d > 9007199254740992.0 ||
	    d != (double)(long long)d)
		return -1;
	*out = (long long)d;
	return 0;
}

int sync_mark_from_doc(struct sync_mark *m, const json_t *doc, char *err,
		       size_t n)
{
	struct sync_mark t = SYNC_MARK_INIT;
	const json_t *ids = json_object_get(doc, "ids"), *v;
	long long id;
	size_t i;

	if (whole(json_object_get(doc, "end_date"), &t.end_ms)) {
		snprintf(err, n, "the sync mark has no end_date number");
		return -1;
	}
	if (!json_is_array(ids)) {
		snprintf(err, n, "the sync mark has no ids array");
		return -1;
	}
	json_array_foreach(ids, i, v) {
		if (whole(v, &id)) {
			sync_mark_free(&t);
			snprintf(err, n, "the sync mark's ids are not numbers");
			return -1;
		}
		if (sync_mark_add(&t, t.end_ms, id)) {
			sync_mark_free(&t);
			snprintf(err, n, "out of memory");
			return -1;
		}
	}
	sync_mark_free(m);
	*m = t;
	return 0;
}

/* ---- SOAR's side ----------------------------------------------------- */

json_t *sync_query(const struct sync_mark *m, long start)
{
	/* conditions of one filter are AND-ed (soar-api.md §6.1); gte, not
	 * gt, so cases closed at the mark's millisecond after it was taken
	 * are found too (the mark's ids tell the synced ones) */
	return json_pack("{s:[{s:[{s:s,s:s,s:s},{s:s,s:s},{s:s,s:s,s:I}]}],"
			 "s:[{s:s,s:s},{s:s,s:s}],s:i,s:i}",
			 "filters", "conditions", "field_name", "plan_status",
			 "method", "equals", "value", "C", "field_name",
			 QS_NOTABLE_KEY, "method", "has_a_value", "field_name",
			 "end_date", "method", "gte", "value",
			 (json_int_t)m->end_ms, "sorts", "field_name",
			 "end_date", "type", "asc", "field_name", "id", "type",
			 "asc", "start", (int)start, "length", SYNC_PAGE);
}

char *sync_comment(long long case_id, const char *label,
		   const char *summary_html, const char *url)
{
	struct buf b = BUF_INIT(16384);
	char *summary = NULL, *p;

	if (summary_html && *summary_html) {
		summary = html_to_text(summary_html, SYNC_SUMMARY_MAX);
		if (!summary)
			return NULL;
		/* one line: the comment's first line is its headline */
		for (p = summary; *p; p++)
			if (*p == '\n')
				*p = ' ';
	}
	buf_printf(&b, "QRadar SOAR case %lld closed", case_id);
	if (label && *label)
		buf_printf(&b, ": %s", label);
	if (summary && *summary)
		buf_printf(&b, ": %s", summary);
	if (url && *url)
		buf_printf(&b, "\n%s", url);
	free(summary);
	return buf_take(&b);
}

/* ---- ES's side ------------------------------------------------------- */

enum sync_verdict sync_verdict_of(int rc, const json_t *answer, const char *err)
{
	if (rc == SPLUNKD_OK)
		return json_is_true(json_object_get(answer, "success"))
			       ? SYNC_POSTED
			       : SYNC_REFUSED;
	/* ES's ValueError for an id that is not a notable's: this notable
	 * only. Any other 400 (the status, the parameters) would refuse
	 * every notable: the run stops and says why. */
	if (rc == SPLUNKD_REFUSED && err &&
	    (strstr(err, "rule_id") || strstr(err, "ruleUIDs")))
		return SYNC_REFUSED;
	return SYNC_STOP;
}

/* ---- the run --------------------------------------------------------- */

static void worse(struct sync *s, int code)
{
	if (s->rc != EXIT_INTERNAL && (code == EXIT_INTERNAL || code > s->rc))
		s->rc = code;
}

/* Ends the run early: what was not posted waits for the next run. */
static void stop(struct sync *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void stop(struct sync *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	errorf("%s", s->why);
	log_cam(LOG_ERROR, s->in->cam, NULL, NULL, NULL, s->why, "failure",
		NULL);
	s->stopped = 1;
	worse(s, code);
}

static int check_target(struct sync *s)
{
	const struct action_config *c = s->cfg;

	if (text_is_blank(c->host) || text_is_blank(c->org) ||
	    text_is_blank(c->user)) {
		stop(s, EXIT_PAYLOAD,
		     "The add-on is not set up: the SOAR host, organization or user is empty. Run the add-on's setup page (Apps > Manage Apps > QRadar SOAR Add-on for Splunk > Set up).");
		return -1;
	}
	if (sync_mark_key(c->host, c->org, s->key, sizeof(s->key))) {
		stop(s, EXIT_INTERNAL, "cannot name the sync mark");
		return -1;
	}
	return 0;
}

/* The lock of the mark, not waited for; 1 when another run holds it. An
 * unusable lock directory is a warning: the run goes on without it. */
static int held_elsewhere(struct sync *s)
{
	char err[1024];
	int rc;

	if (!s->in->lock_dir)
		return 0;
	rc = keylock_acquire(&s->lock, s->in->lock_dir, s->key, 0, err,
			     sizeof(err));
	if (rc == KEYLOCK_TIMEOUT) {
		infof("another sync run for SOAR %s, org \"%s\" is under way on this host: this run leaves the closed cases to it",
		      s->cfg->host, s->cfg->org);
		return 1;
	}
	if (rc != KEYLOCK_OK)
		warnf("%s; syncing without the lock (a sync run started meanwhile may comment on a notable twice)",
		      err);
	return 0;
}

/* sync_close_status must be one of ES's enabled notable statuses: checked
 * once here, where the setting can be named, not per notable. */
static int check_status(struct sync *s)
{
	json_t *feed = NULL, *e;
	char err[1024];
	size_t i;
	int rc;

	snprintf(s->status, sizeof(s->status), "%d", s->cfg->sync_close_status);
	rc = splunkd_get(s->in->sd, "/services/alerts/reviewstatuses?count=-1",
			 &feed, err, sizeof(err));
	if (rc == SPLUNKD_NOTFOUND) {
		stop(s, EXIT_PAYLOAD,
		     "\"Close the notable when its SOAR case closes\" is on, but Splunk Enterprise Security is not installed on this search head (no review statuses: %s). Install ES here, or untick the option on the add-on's setup page.",
		     err);
		return -1;
	}
	if (rc) {
		stop(s, rc == SPLUNKD_NOMEM ? EXIT_INTERNAL : EXIT_SPLUNKD,
		     "cannot read Enterprise Security's notable statuses: %s",
		     err);
		return -1;
	}
	json_array_foreach(json_object_get(feed, "entry"), i, e) {
		const json_t *c = json_object_get(e, "content");
		const char *name =
			json_string_value(json_object_get(e, "name"));
		const char *type =
			json_string_value(json_object_get(c, "status_type"));
		const char *label =
			json_string_value(json_object_get(c, "label"));
		const char *off =
			json_string_value(json_object_get(c, "disabled"));

		if (name && strcmp(name, s->status) == 0 &&
		    (!type || strcmp(type, "notable") == 0) &&
		    text_bool(off) == 0) {
			snprintf(s->status_label, sizeof(s->status_label), "%s",
				 label ? label : "");
			json_decref(feed);
			return 0;
		}
	}
	json_decref(feed);
	stop(s, EXIT_PAYLOAD,
	     "sync_close_status = %s is not one of Enterprise Security's enabled notable statuses (Configure > Incident Management > Status Configuration; 5 is \"Closed\" by default). Set \"Notable status when the case closes\" on the add-on's setup page.",
	     s->status);
	return -1;
}

static int open_kv(struct sync *s, struct kv **kv, char *err, size_t n)
{
	return kv_open(kv, s->in->sd, "nobody", QS_APP, SYNC_COLLECTION, err,
		       n);
}

/* Stores the mark: replaced, or inserted the first time. */
static int put_mark(struct sync *s, char *err, size_t n)
{
	struct kv *kv = NULL;
	json_t *doc = sync_mark_doc(&s->mark, s->key, s->cfg->host, s->cfg->org,
				    (double)text_now_ms() / 1000.0);
	int rc = doc ? open_kv(s, &kv, err, n) : KV_NOMEM;

	if (rc == KV_OK)
		rc = kv_replace(kv, s->key, doc, err, n);
	if (rc == KV_NOTFOUND)
		rc = kv_insert(kv, doc, NULL, err, n);
	if (rc == KV_NOMEM || !doc)
		snprintf(err, n, "out of memory");
	if (rc != KV_OK && doc && s->local_dir[0]) {
		char lerr[512];

		/* kept here until the KV store takes it again */
		if (spool_write(s->local_dir, s->key, doc, lerr,
				sizeof(lerr)) == SPOOL_OK)
			s->have_local = 1;
		else
			warnf("the sync mark is not kept locally either: %s",
			      lerr);
	} else if (rc == KV_OK && s->have_local) {
		char lerr[512];

		if (spool_remove(s->local_dir, s->key, lerr, sizeof(lerr)) ==
		    SPOOL_OK)
			s->have_local = 0;
	}
	kv_free(kv);
	json_decref(doc);
	return rc;
}

/* read_marks: the KV store's document is not a mark (edited by hand) */
#define BAD_MARK (-100)

/* The mark of the KV store, and the local one a failed store left. */
static int read_marks(struct sync *s, int *found, char *err, size_t n)
{
	struct kv *kv = NULL;
	json_t *doc = NULL;
	struct sync_mark local = SYNC_MARK_INIT;
	int rc = open_kv(s, &kv, err, n);

	*found = 0;
	if (rc == KV_OK)
		rc = kv_get(kv, s->key, &doc, err, n);
	kv_free(kv);
	if (rc == KV_NOTFOUND)
		rc = KV_OK;
	else if (rc == KV_OK && sync_mark_from_doc(&s->mark, doc, err, n))
		rc = BAD_MARK;
	else if (rc == KV_OK)
		*found = 1;
	json_decref(doc);
	doc = NULL;
	if (rc != KV_OK || !s->local_dir[0] ||
	    spool_read(s->local_dir, s->key, &doc, err, n) != SPOOL_OK)
		return rc;
	s->have_local = 1;
	if (sync_mark_from_doc(&local, doc, err, n) == 0) {
		if (sync_mark_merge(&s->mark, &local))
			rc = KV_NOMEM;
		*found = 1;
	} else {
		warnf("the local sync mark is not usable (%s); the KV store's stands",
		      err);
	}
	sync_mark_free(&local);
	json_decref(doc);
	return rc;
}

/* Where the run starts: the stored mark, or for the first run sync_since
 * (when the option was ticked) or now, stored at once so a failure before
 * anything is posted does not move the start. */
static int load_mark(struct sync *s)
{
	long long since = s->cfg->sync_since >= 0 ? s->cfg->sync_since * 1000
						  : text_now_ms();
	char err[1024], spool[4096];
	int found, rc;

	s->local_dir[0] = '\0';
	if (spool_default_dir(spool, sizeof(spool), getenv("SPLUNK_HOME")) == 0)
		snprintf(s->local_dir, sizeof(s->local_dir),
			 "%s/" SYNC_LOCAL_DIR, spool);
	rc = read_marks(s, &found, err, sizeof(err));
	if (rc == BAD_MARK) {
		/* every run would stop here until someone acts: say how */
		stop(s, EXIT_SPLUNKD,
		     "the sync mark %s in the KV store (collection %s) is not usable: %s. Delete that document (DELETE /servicesNS/nobody/%s/storage/collections/data/%s/%s, README \"Closing the loop\"): the next run then starts %s",
		     s->key, SYNC_COLLECTION, err, QS_APP, SYNC_COLLECTION,
		     s->key,
		     s->cfg->sync_since >= 0
			     ? "again at sync_since, so notables of cases closed since then get the comment once more"
			     : "at its own time, so cases closed before it are not synced");
		return -1;
	}
	if (rc != KV_OK) {
		stop(s, rc == KV_NOMEM ? EXIT_INTERNAL : EXIT_SPLUNKD,
		     "cannot read the sync mark from the KV store (collection %s): %s",
		     SYNC_COLLECTION, err);
		return -1;
	}
	/* ticked again after a while off: closures in between stay open */
	if (!found)
		s->mark.end_ms = since;
	else if (s->cfg->sync_since >= 0)
		sync_mark_start(&s->mark, since);
	if ((!found || s->have_local) && put_mark(s, err, sizeof(err))) {
		stop(s, EXIT_SPLUNKD,
		     "cannot store the sync mark in the KV store (collection %s): %s",
		     SYNC_COLLECTION, err);
		return -1;
	}
	if (!found)
		infof("first sync for SOAR %s, org \"%s\": cases closed from %lld (epoch ms) on",
		      s->cfg->host, s->cfg->org, s->mark.end_ms);
	return 0;
}

/* The SOAR secret, the login, and the org's resolution labels. */
static int connect_soar(struct sync *s)
{
	const struct action_config *c = s->cfg;
	struct soar_opts o;
	json_t *fields = NULL;
	char err[2048];
	int rc;

	if (splunkd_get_secret(s->in->sd, c->host, c->user, &s->secret, err,
			       sizeof(err))) {
		stop(s, EXIT_SPLUNKD, "%s", err);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.host = c->host;
	o.port = c->port;
	o.org = c->org;
	o.user = c->user;
	o.secret = s->secret;
	o.api_keys = c->api_keys;
	o.verify = c->verify;
	o.proxy_host = c->proxy_host;
	o.proxy_port = c->proxy_port;
	o.proxy_user = c->proxy_user;
	o.proxy_password = s->in->proxy_password;
	rc = soar_connect(&s->soar, &o, err, sizeof(err));
	if (rc == 0)
		rc = soar_incident_fields(s->soar, &fields, err, sizeof(err));
	if (rc == 0 && catalog_load(&s->cat, fields, NULL, err, sizeof(err)))
		rc = SOAR_SERVER;
	if (rc) {
		stop(s,
		     rc == SOAR_NOMEM	 ? EXIT_INTERNAL
		     : rc == SOAR_CONFIG ? EXIT_PAYLOAD
					 : EXIT_SOAR,
		     "%s", err);
		return -1;
	}
	s->resolution = catalog_field(&s->cat, "resolution_id");
	return 0;
}

/* One closed case as the query gives it. */
struct closed {
	long long id, end_ms;
	const char *notable; /* the case's notable id, or NULL */
	const json_t *resolution;
	const char *summary;
};

/* -1 when the case has no id or end_date to order it by. */
static int closed_of(const json_t *inc, struct closed *c)
{
	const json_t *sum = json_object_get(inc, "resolution_summary");

	c->notable = json_string_value(json_object_get(
		json_object_get(inc, "properties"), QS_NOTABLE_FIELD));
	c->resolution = json_object_get(inc, "resolution_id");
	/* a string by default; a TextContentDTO when asked for objects */
	c->summary =
		json_is_object(sum)
			? json_string_value(json_object_get(sum, "content"))
			: json_string_value(sum);
	return whole(json_object_get(inc, "id"), &c->id) ||
	       whole(json_object_get(inc, "end_date"), &c->end_ms);
}

/* A CAM line about one notable. */
static void cam(struct sync *s, const struct closed *c, enum log_level lvl,
		const char *outcome, const char *url, const char *sig)
{
	char id[32];
	const char *extra[] = { "case_id",
				id,
				"event_id",
				c->notable ? c->notable : "",
				"outcome",
				outcome,
				"case_url",
				url ? url : "",
				"notable_status",
				s->status,
				NULL };

	snprintf(id, sizeof(id), "%lld", c->id);
	log_cam(lvl, s->in->cam, NULL, NULL, NULL, sig,
		lvl == LOG_INFO ? "success" : "failure", extra);
}

/* Closes one case's notable: posted or refused for good, the mark moves
 * past the case and is stored; -1 when the run stops here. */
static int close_notable(struct sync *s, const struct closed *c)
{
	const char *label =
		s->resolution ? fielddef_label(s->resolution, c->resolution)
			      : NULL;
	char idtext[32], sig[4096], err[2048];
	char *url = soar_case_url(s->soar, c->id), *text = NULL;
	json_t *ans = NULL;
	enum sync_verdict v = SYNC_STOP;
	int rc = SPLUNKD_NOMEM;
	/* a NULL for %s is undefined behaviour, and names nothing */
	int has_notable = c->notable && *c->notable;

	if (!label && json_is_integer(c->resolution)) {
		snprintf(idtext, sizeof(idtext), "resolution %lld",
			 (long long)json_integer_value(c->resolution));
		label = idtext;
	}
	s->cases++;
	text = url ? sync_comment(c->id, label, c->summary, url) : NULL;
	snprintf(err, sizeof(err), "out of memory");
	if (text && !has_notable) {
		/* has_a_value found it: not a string, so no notable id */
		v = SYNC_REFUSED;
		snprintf(err, sizeof(err),
			 "its " QS_NOTABLE_KEY " is not a text value");
	} else if (text) {
		const char *kv[] = { "ruleUIDs",    c->notable, "status",
				     s->status,	    "comment",	text,
				     "output_mode", "json",	NULL };

		rc = splunkd_post_form(s->in->sd, "/services/notable_update",
				       kv, &ans, err, sizeof(err));
		v = sync_verdict_of(rc, ans, err);
		if (rc == SPLUNKD_OK && v != SYNC_POSTED) {
			const char *m = json_string_value(
				json_object_get(ans, "message"));

			snprintf(err, sizeof(err), "notable_update refused: %s",
				 m ? m : "success is not true");
		}
	}
	if (v == SYNC_POSTED) {
		s->closed++;
		snprintf(
			sig, sizeof(sig),
			"Closed notable %s (status %s %s): QRadar SOAR case %lld closed",
			c->notable, s->status, s->status_label, c->id);
		infof("%s", sig);
		cam(s, c, LOG_INFO, "notable_closed", url, sig);
	} else if (v == SYNC_REFUSED) {
		s->refused++;
		if (has_notable)
			snprintf(
				sig, sizeof(sig),
				"Notable %s of QRadar SOAR case %lld was not closed and will not be tried again: %s",
				c->notable, c->id, err);
		else
			snprintf(
				sig, sizeof(sig),
				"QRadar SOAR case %lld has no notable id, so no notable was closed (it is not tried again): %s",
				c->id, err);
		warnf("%s", sig);
		cam(s, c, LOG_WARN, "notable_refused", url, sig);
		if (!s->first_refusal[0])
			snprintf(s->first_refusal, sizeof(s->first_refusal),
				 "%s", err);
		worse(s, EXIT_ROWS);
	} else {
		snprintf(
			sig, sizeof(sig),
			"Notable %s of QRadar SOAR case %lld is not closed yet (the next run tries again): %s",
			has_notable ? c->notable : "(none)", c->id, err);
		cam(s, c, LOG_ERROR, "notable_not_closed", url, sig);
		stop(s,
		     rc == SPLUNKD_NOMEM ? EXIT_INTERNAL
		     : rc == SPLUNKD_FORBIDDEN || rc == SPLUNKD_REFUSED
			     ? EXIT_SPLUNKD
			     : EXIT_NOTABLE,
		     "closing the notables of closed QRadar SOAR cases stopped at case %lld: %s",
		     c->id, err);
	}
	free(url);
	free(text);
	json_decref(ans);
	if (v == SYNC_STOP)
		return -1;
	if (sync_mark_add(&s->mark, c->end_ms, c->id)) {
		stop(s, EXIT_INTERNAL, "out of memory");
		return -1;
	}
	if (put_mark(s, err, sizeof(err))) {
		stop(s, EXIT_SPLUNKD,
		     "the sync mark could not be stored in the KV store after case %lld (%s); %s",
		     c->id, err,
		     s->have_local
			     ? "it is kept on this host until the KV store takes it"
			     : "the next run may comment on that notable again");
		return -1;
	}
	return 0;
}

/* The cases of one page the mark does not cover, oldest closing first;
 * -1 when the run stops. */
static int sync_page(struct sync *s, const json_t *data)
{
	const json_t *inc;
	size_t i;

	json_array_foreach(data, i, inc) {
		struct closed c;

		if (closed_of(inc, &c)) {
			stop(s, EXIT_SOAR,
			     "QRadar SOAR answered a closed case without a numeric id or end_date: the sync cannot order it");
			return -1;
		}
		if (sync_mark_covers(&s->mark, c.end_ms, c.id))
			continue;
		if (mono_ms(&s->start) > SYNC_BUDGET_MS) {
			infof("the sync stops taking cases after %ld s; the next run goes on from case %lld",
			      SYNC_BUDGET_MS / 1000, c.id);
			return -1;
		}
		if (close_notable(s, &c))
			return -1;
	}
	return 0;
}

/*
 * Every closed case the mark does not cover, page by page. The query is
 * keyset paged: after a page it is asked again from the new mark (start
 * 0), so a case re-opened meanwhile cannot shift the rest past an offset.
 * Only when a whole page closed at the mark's own millisecond (the mark
 * did not move) does the next page start after it.
 */
static void sync_cases(struct sync *s)
{
	long start = 0;
	char err[2048];

	for (;;) {
		long long before = s->mark.end_ms;
		json_t *q = sync_query(&s->mark, start), *page = NULL;
		const json_t *data;
		size_t n;
		int rc = q ? soar_query_paged(s->soar, q, QUERY_PARAMS, &page,
					      err, sizeof(err))
			   : SOAR_NOMEM;

		json_decref(q);
		if (rc) {
			stop(s, rc == SOAR_NOMEM ? EXIT_INTERNAL : EXIT_SOAR,
			     "cannot ask QRadar SOAR for closed cases: %s",
			     rc == SOAR_NOMEM && !q ? "out of memory" : err);
			return;
		}
		data = json_object_get(page, "data");
		n = json_array_size(data);
		rc = sync_page(s, data);
		json_decref(page);
		if (rc || n < SYNC_PAGE)
			return;
		start = s->mark.end_ms == before ? start + (long)n : 0;
	}
}

/* "." unless the sentence ends with one already. */
static const char *dot(const char *sentence)
{
	size_t n = strlen(sentence);

	return n && sentence[n - 1] == '.' ? "" : ".";
}

/* A failed run's Splunk message. */
static void message(struct sync *s)
{
	char text[4096], err[512];

	if (s->stopped)
		snprintf(
			text, sizeof(text),
			"QRadar SOAR: closing the notables of closed cases stopped: %s%s Cases not synced yet are taken by the next run (search \"%s\"). Details: $SPLUNK_HOME/var/log/splunk/qradar_soar_modalert.log.",
			s->why, dot(s->why), QS_SYNC_SEARCH);
	else if (s->refused)
		snprintf(
			text, sizeof(text),
			"QRadar SOAR: %d notable%s of closed cases could not be closed and %s not tried again. First reason: %s%s Details: $SPLUNK_HOME/var/log/splunk/qradar_soar_modalert.log.",
			s->refused, s->refused == 1 ? "" : "s",
			s->refused == 1 ? "is" : "are", s->first_refusal,
			dot(s->first_refusal));
	else
		return;
	if (splunkd_message(s->in->sd, QS_APP "_sync", text,
			    s->stopped ? "error" : "warn", err, sizeof(err)))
		warnf("could not post the Splunk message: %s", err);
}

int sync_run(const struct sync_in *in)
{
	struct sync s;

	memset(&s, 0, sizeof(s));
	s.lock.fd = -1;
	s.in = in;
	s.cfg = in->cfg;
	clock_gettime(CLOCK_MONOTONIC, &s.start);
	if (!s.cfg->sync_closed) {
		infof("sync_closed is off (setup: \"Close the notable when its SOAR case closes\"): nothing to sync, QRadar SOAR not asked");
		goto out;
	}
	if (check_target(&s) || held_elsewhere(&s) || check_status(&s) ||
	    load_mark(&s) || connect_soar(&s))
		goto out;
	sync_cases(&s);
out:
	if (s.cfg->sync_closed)
		message(&s);
	infof("run summary: mode=sync cases=%d closed=%d refused=%d stopped=%d seconds=%.3f search_name=\"%s\"",
	      s.cases, s.closed, s.refused, s.stopped,
	      (double)mono_ms(&s.start) / 1000.0,
	      in->p->search_name ? in->p->search_name : "");
	keylock_release(&s.lock);
	soar_free(s.soar);
	catalog_free(&s.cat);
	secret_free(s.secret);
	sync_mark_free(&s.mark);
	return s.rc;
}
