#include "alert/queue.h"
#include "mapping/config.h"
#include "mapping/payload.h"
#include "mapping/results.h"
#include "mapping/tokens.h"
#include "net/kvstore.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/log.h"
#include "util/names.h"
#include "util/spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *queue_str(const json_t *doc, const char *field)
{
	return json_string_value(json_object_get(doc, field));
}

double queue_num(const json_t *doc, const char *field, double dflt)
{
	const json_t *v = json_object_get(doc, field);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static json_t *json_field(const json_t *doc, const char *k);
static int shapes_case(const char *k);

/* obj[k] = s (NULL: left out); 0 or -1. */
static int put_str(json_t *obj, const char *k, const char *s)
{
	return s ? json_object_set_new(obj, k, json_string(s)) : 0;
}

/* One key per kind, target, run, row and notable: queueing a row again
 * (a retried insert, the spool drained) replaces rather than doubles. */
static int doc_key(char *out, size_t n, enum queue_kind kind,
		   const struct queue_origin *o, const struct queue_target *t,
		   const char *dedup_key)
{
	struct buf b = BUF_INIT(1u << 20);
	const char *parts[6];
	int i, rc;

	parts[0] = kind == QUEUE_CASE ? "case" : "comment";
	parts[1] = t->host;
	parts[2] = t->org;
	parts[3] = o->sid;
	parts[4] = o->rid;
	parts[5] = dedup_key;
	for (i = 0; i < 6; i++) {
		buf_puts(&b, parts[i] ? parts[i] : "");
		buf_putc(&b, '\0');
	}
	rc = b.failed ? -1 : digest_hex(b.data, b.len, out, n);
	buf_free(&b);
	return rc;
}

double queue_backoff_s(int attempts)
{
	double d = QUEUE_BACKOFF_MIN_S;
	int i;

	if (attempts <= 1)
		return 0;
	for (i = 2; i < attempts && d < QUEUE_BACKOFF_MAX_S; i++)
		d *= 2;
	return d > QUEUE_BACKOFF_MAX_S ? QUEUE_BACKOFF_MAX_S : d;
}

json_t *queue_doc_new(enum queue_kind kind, const struct queue_origin *o,
		      const struct queue_target *t, const char *dedup_key,
		      const char *reason, const char *error,
		      int outcome_unknown, double now)
{
	char key[DIGEST_HEX_LEN + 1];
	json_t *d = json_object();

	if (!d || doc_key(key, sizeof(key), kind, o, t, dedup_key))
		goto fail;
	if (put_str(d, "_key", key) ||
	    put_str(d, "kind", kind == QUEUE_CASE ? "case" : "comment") ||
	    put_str(d, "state", "queued") ||
	    json_object_set_new(d, "format", json_integer(QUEUE_FORMAT)) ||
	    put_str(d, "dedup_key", dedup_key) ||
	    put_str(d, "event_id", o->event_id) ||
	    put_str(d, "search_name", o->search_name) ||
	    put_str(d, "sid", o->sid) || put_str(d, "rid", o->rid) ||
	    put_str(d, "orig_sid", o->orig_sid) ||
	    put_str(d, "orig_rid", o->orig_rid) || put_str(d, "app", o->app) ||
	    put_str(d, "owner", o->owner) ||
	    put_str(d, "server_host", o->server_host) ||
	    put_str(d, "queued_by", o->server_host) ||
	    put_str(d, "host", t->host) ||
	    json_object_set_new(d, "port", json_integer(t->port)) ||
	    put_str(d, "org", t->org) || put_str(d, "user", t->user) ||
	    json_object_set_new(d, "api_keys", json_boolean(t->api_keys)) ||
	    json_object_set_new(d, "duplicates", json_boolean(t->duplicates)) ||
	    json_object_set_new(d, "attempts", json_integer(1)) ||
	    put_str(d, "reason", reason ? reason : "") ||
	    put_str(d, "last_error", error ? error : "") ||
	    json_object_set_new(d, "outcome_unknown",
				json_boolean(outcome_unknown)) ||
	    json_object_set_new(d, "first_failure", json_real(now)) ||
	    json_object_set_new(d, "last_attempt", json_real(now)) ||
	    json_object_set_new(d, "next_attempt", json_real(now)))
		goto fail;
	return d;
fail:
	json_decref(d);
	return NULL;
}

static int mask_tree(json_t *v);

/* doc[k] = the JSON text of v (v NULL: left out), masked before it is
 * text: a secret JSON would escape cannot slip past the mask. */
static int put_json_text(json_t *doc, const char *k, const json_t *v)
{
	json_t *copy;
	char *s;
	int rc;

	if (!v)
		return 0;
	copy = json_deep_copy(v);
	s = copy && mask_tree(copy) == 0
		    ? json_dumps(copy, JSON_COMPACT | JSON_ENCODE_ANY)
		    : NULL;
	json_decref(copy);
	if (!s)
		return -1;
	rc = json_object_set_new(doc, k, json_string(s));
	free(s);
	return rc;
}

int queue_doc_set_case(json_t *doc, const struct case_row *cr)
{
	return json_object_set_new(doc, "resolved", json_true()) ||
			       put_json_text(doc, "body", cr->body) ||
			       put_json_text(doc, "changes", cr->changes) ||
			       put_json_text(doc, "artifacts", cr->artifacts)
		       ? -1
		       : 0;
}

int queue_doc_set_inputs(json_t *doc, json_t *inputs)
{
	int rc = json_object_set_new(doc, "resolved", json_false()) ||
		 put_json_text(doc, "inputs", inputs);

	json_decref(inputs);
	return rc ? -1 : 0;
}

int queue_doc_set_templates(json_t *doc, const json_t *templates)
{
	json_t *in = json_field(doc, "inputs"), *conf = json_object();
	const char *k;
	json_t *v;
	int rc = -1;

	if (!json_is_object(in) || !conf ||
	    !json_is_object(json_object_get(in, "payload")))
		goto out;
	json_object_foreach((json_t *)templates, k, v)
		if (json_is_string(v) && shapes_case(k) &&
		    json_object_set(conf, k, v))
			goto out;
	if (json_object_set(json_object_get(in, "payload"), "configuration",
			    conf) ||
	    json_object_set_new(in, "templates_read", json_true()) ||
	    put_json_text(doc, "inputs", in))
		goto out;
	rc = 0;
out:
	json_decref(conf);
	json_decref(in);
	return rc;
}

int queue_doc_set_comment(json_t *doc, long long case_id, int updated)
{
	return json_object_set_new(doc, "case_id", json_integer(case_id)) ||
			       json_object_set_new(doc, "updated",
						   json_boolean(updated))
		       ? -1
		       : 0;
}

int queue_doc_failed(json_t *doc, const char *error, int outcome_unknown,
		     double now)
{
	int attempts = (int)queue_num(doc, "attempts", 0) + 1;

	if (json_is_true(json_object_get(doc, "outcome_unknown")))
		outcome_unknown = 1;
	return json_object_set_new(doc, "attempts", json_integer(attempts)) ||
			       put_str(doc, "last_error", error ? error : "") ||
			       json_object_set_new(
				       doc, "outcome_unknown",
				       json_boolean(outcome_unknown)) ||
			       json_object_set_new(doc, "last_attempt",
						   json_real(now)) ||
			       json_object_set_new(
				       doc, "next_attempt",
				       json_real(now +
						 queue_backoff_s(attempts)))
		       ? -1
		       : 0;
}

int queue_doc_dead(json_t *doc, const char *why, double now)
{
	return put_str(doc, "state", "dead") ||
			       put_str(doc, "dead_reason", why ? why : "") ||
			       json_object_set_new(doc, "last_attempt",
						   json_real(now))
		       ? -1
		       : 0;
}

/* ---- inputs of an unresolved case -------------------------------------- */

/* The configuration keys that shape a case; connection settings (and
 * anything else) stay out of the document. */
static int shapes_case(const char *k)
{
	if (strncmp(k, "param.", 6) == 0)
		k += 6;
	return strncmp(k, "mapping_", 8) == 0 ||
	       strncmp(k, "artifact", 8) == 0 ||
	       strcmp(k, "num_artifacts") == 0 || strcmp(k, "duplicates") == 0;
}

struct field_ctx {
	const struct row *row;
	json_t *out; /* name → [values] */
	int oom;
};

static int add_field(void *arg, const char *name, size_t n)
{
	struct field_ctx *c = arg;
	char *nm = strndup(name, n);
	const struct field *f;
	json_t *vals;
	size_t i;

	if (!nm)
		goto oom;
	f = row_field(c->row, nm);
	if (!f || json_object_get(c->out, nm)) {
		free(nm);
		return 0;
	}
	vals = json_array();
	for (i = 0; vals && i < f->nvals; i++)
		if (json_array_append_new(vals,
					  json_stringn(f->vals[i], f->lens[i])))
			break;
	if (!vals || i < f->nvals || json_object_set_new(c->out, nm, vals)) {
		free(nm);
		goto oom;
	}
	free(nm);
	return 0;
oom:
	c->oom = 1;
	return -1;
}

static json_t *inputs(const struct payload *p, const json_t *templates,
		      const struct row *row, int read)
{
	json_t *in = json_object(), *pl = json_object(), *conf = json_object();
	struct field_ctx fc = { row, json_object(), 0 };
	const char *k;
	json_t *v;
	size_t i;

	if (!in || !pl || !conf || !fc.out)
		goto fail;
	json_object_foreach((json_t *)templates, k, v) {
		if (!json_is_string(v) || !shapes_case(k))
			continue;
		if (json_object_set(conf, k, v) ||
		    (read && tokens_result_fields(json_string_value(v),
						  add_field, &fc)))
			goto fail;
	}
	/* templates not read yet may name any field */
	for (i = 0; !read && row && i < row->nfields; i++)
		if (row->fields[i].name &&
		    add_field(&fc, row->fields[i].name,
			      strlen(row->fields[i].name)))
			goto fail;
	if (add_field(&fc, "event_id", 8) || fc.oom)
		goto fail;
	/* the token sources tokens.h lists, and what the defaults use */
	if (put_str(pl, "app", p->app) || put_str(pl, "owner", p->owner) ||
	    put_str(pl, "sid", p->sid) ||
	    put_str(pl, "search_name", p->search_name) ||
	    put_str(pl, "results_link", p->results_link) ||
	    put_str(pl, "server_host", p->server_host) ||
	    (!read && put_str(pl, "search_uri", p->search_uri)) ||
	    json_object_set_new(in, "templates_read", json_boolean(read)) ||
	    json_object_set_new(pl, "configuration", conf))
		goto fail;
	conf = NULL;
	if (json_object_set_new(in, "payload", pl) ||
	    json_object_set_new(in, "row", fc.out))
		goto fail_after;
	return in;
fail:
	json_decref(pl);
	json_decref(conf);
	json_decref(fc.out);
	json_decref(in);
	return NULL;
fail_after:
	json_decref(in);
	return NULL;
}

json_t *queue_inputs(const struct payload *p, const json_t *templates,
		     const struct row *row)
{
	return inputs(p, templates, row, 1);
}

json_t *queue_inputs_unread(const struct payload *p, const struct row *row)
{
	return inputs(p, p->configuration, row, 0);
}

/* ---- the case of a document (replay) ------------------------------------ */

/* The JSON value stored as text in doc[k], or NULL. */
static json_t *json_field(const json_t *doc, const char *k)
{
	const char *s = queue_str(doc, k);

	return s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
}

static int stored_case(const json_t *doc, struct case_row *out, char *err,
		       size_t n)
{
	const char *dk = queue_str(doc, "dedup_key");

	out->body = json_field(doc, "body");
	out->changes = json_field(doc, "changes");
	out->artifacts = json_field(doc, "artifacts");
	out->warnings = json_array();
	out->dedup_key = dk ? strdup(dk) : NULL;
	out->now_ms = (long long)(queue_num(doc, "first_failure", 0) * 1000);
	if (!json_is_object(out->body) || !json_is_array(out->changes) ||
	    !json_is_array(out->artifacts) || !out->warnings ||
	    (dk && !out->dedup_key)) {
		case_row_free(out);
		snprintf(
			err, n,
			"the queued document's body, changes or artifacts are not the JSON they should be");
		return -1;
	}
	return 0;
}

/* The row of inputs: fields borrowed from the inputs document. */
static int inputs_row(const json_t *rowj, struct row *row,
		      struct field **fields)
{
	size_t i = 0, nf = json_object_size(rowj);
	const char *k;
	json_t *v;

	*fields = calloc(nf + 1, sizeof(**fields));
	if (!*fields)
		return -1;
	json_object_foreach((json_t *)rowj, k, v) {
		size_t j, nv = json_array_size(v);
		const char **vals = calloc(nv + 1, sizeof(*vals));
		size_t *lens = calloc(nv + 1, sizeof(*lens));

		if (!vals || !lens) {
			free(vals);
			free(lens);
			return -1;
		}
		for (j = 0; j < nv; j++) {
			vals[j] = json_string_value(json_array_get(v, j));
			lens[j] = json_string_length(json_array_get(v, j));
			if (!vals[j])
				vals[j] = "";
		}
		(*fields)[i].name = k;
		(*fields)[i].nvals = nv;
		(*fields)[i].vals = vals;
		(*fields)[i].lens = lens;
		i++;
	}
	row->index = 0;
	row->nfields = i;
	row->fields = *fields;
	return 0;
}

static void free_fields(struct field *f, size_t n)
{
	size_t i;

	for (i = 0; f && i < n; i++) {
		free((void *)f[i].vals);
		free((void *)f[i].lens);
	}
	free(f);
}

static int built_case(const json_t *doc, const struct catalog *cat,
		      struct case_row *out, char *err, size_t n)
{
	json_t *in = json_field(doc, "inputs");
	struct payload p;
	struct action_config cfg;
	struct row row = { 0, 0, NULL, NULL };
	struct field *fields = NULL;
	struct token_ctx tc;
	char *pl = NULL, perr[512];
	int rc = -1, have_p = 0, have_cfg = 0;

	memset(&p, 0, sizeof(p));
	pl = in ? json_dumps(json_object_get(in, "payload"), JSON_COMPACT)
		: NULL;
	if (!pl || !json_is_object(json_object_get(in, "row"))) {
		snprintf(err, n, "the queued document's inputs are not usable");
		goto out;
	}
	if (payload_parse(&p, pl, strlen(pl), perr, sizeof(perr))) {
		snprintf(err, n, "the queued document's inputs: %s", perr);
		goto out;
	}
	have_p = 1;
	if (config_load(&cfg, p.configuration, perr, sizeof(perr))) {
		snprintf(err, n, "the queued document's templates: %s", perr);
		goto out;
	}
	have_cfg = 1;
	if (inputs_row(json_object_get(in, "row"), &row, &fields)) {
		snprintf(err, n, "out of memory");
		goto out;
	}
	tc.payload = &p;
	tc.row = &row;
	if (casebuild_row(
		    out, &cfg, cat, &tc,
		    (long long)(queue_num(doc, "first_failure", 0) * 1000))) {
		case_row_free(out);
		snprintf(err, n, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free_fields(fields, json_object_size(json_object_get(in, "row")));
	if (have_cfg)
		config_free(&cfg);
	if (have_p)
		payload_free(&p);
	free(pl);
	json_decref(in);
	return rc;
}

int queue_doc_case_row(const json_t *doc, const struct catalog *cat,
		       struct case_row *out, char *err, size_t n)
{
	return json_is_true(json_object_get(doc, "resolved"))
		       ? stored_case(doc, out, err, n)
		       : built_case(doc, cat, out, err, n);
}

/* ---- storing ----------------------------------------------------------- */

/* Masks every registered secret in every string of v, in place. */
static int mask_tree(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		size_t len = json_string_length(v), cap = len * 2 + 16;
		char *out;
		int rc;

		/* a string holding NUL is masked up to it: secrets hold none */
		if (len == 0)
			return 0;
		out = malloc(cap);
		if (!out)
			return -1;
		log_mask(json_string_value(v), out, cap);
		rc = strcmp(out, json_string_value(v)) == 0
			     ? 0
			     : json_string_set(v, out);
		free(out);
		return rc;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			if (mask_tree(x))
				return -1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (mask_tree(x))
				return -1;
	}
	return 0;
}

int queue_mask(json_t *doc)
{
	return mask_tree(doc);
}

static int store(struct splunkd *sd, const char *spool_dir, json_t *doc,
		 int replace, char *err, size_t n)
{
	char kverr[1024] = "splunkd is not usable", sperr[1024];
	const char *key = queue_str(doc, "_key");
	struct kv *kv = NULL;
	int rc;

	if (!key || mask_tree(doc)) {
		snprintf(err, n, "queue: %s",
			 key ? "out of memory" : "the document has no key");
		return QUEUE_LOST;
	}
	if (sd) {
		rc = kv_open(&kv, sd, "nobody", QS_APP, QUEUE_COLLECTION, kverr,
			     sizeof(kverr));
		if (rc == KV_OK && replace) {
			rc = kv_replace(kv, key, doc, kverr, sizeof(kverr));
			if (rc == KV_NOTFOUND)
				rc = kv_insert(kv, doc, NULL, kverr,
					       sizeof(kverr));
		} else if (rc == KV_OK) {
			/* the same row queued before (an insert whose answer
			 * was lost): one document is enough */
			rc = kv_insert(kv, doc, NULL, kverr, sizeof(kverr));
			if (rc == KV_CONFLICT)
				rc = KV_OK;
		}
		kv_free(kv);
		if (rc == KV_OK)
			return QUEUE_KV;
	}
	if (spool_dir && *spool_dir) {
		rc = spool_write(spool_dir, key, doc, sperr, sizeof(sperr));
		if (rc == SPOOL_OK)
			return QUEUE_SPOOL;
	} else {
		snprintf(sperr, sizeof(sperr),
			 "no spool directory (SPLUNK_HOME is not set)");
	}
	snprintf(err, n, "not queued: %s; %s", kverr, sperr);
	return QUEUE_LOST;
}

int queue_put(struct splunkd *sd, const char *spool_dir, json_t *doc, char *err,
	      size_t n)
{
	return store(sd, spool_dir, doc, 0, err, n);
}

int queue_replace(struct splunkd *sd, const char *spool_dir, json_t *doc,
		  char *err, size_t n)
{
	return store(sd, spool_dir, doc, 1, err, n);
}

int queue_delete(struct splunkd *sd, const char *spool_dir, const json_t *doc,
		 int where, char *err, size_t n)
{
	const char *key = queue_str(doc, "_key");
	struct kv *kv = NULL;
	int rc;

	if (!key || where == QUEUE_LOST)
		return 0;
	if (where == QUEUE_SPOOL) {
		rc = spool_remove(spool_dir, key, err, n);
		return rc == SPOOL_OK || rc == SPOOL_NOTFOUND ? 0 : -1;
	}
	if (!sd) {
		snprintf(err, n, "queue: splunkd is not usable");
		return -1;
	}
	rc = kv_open(&kv, sd, "nobody", QS_APP, QUEUE_COLLECTION, err, n);
	if (rc == KV_OK)
		rc = kv_delete(kv, key, err, n);
	kv_free(kv);
	return rc == KV_OK || rc == KV_NOTFOUND ? 0 : -1;
}
