#include "net/kvstore.h"
#include "util/text.h"
#include "net/http.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kv {
	struct splunkd *sd;
	char *name; /* the collection, for messages */
	char *path; /* /servicesNS/<owner>/<app>/storage/collections/data/<c> */
};

const char *kv_strerror(int rc)
{
	switch (rc) {
	case KV_OK:
		return "ok";
	case KV_UNAVAILABLE:
		return "KV store unavailable";
	case KV_CONFLICT:
		return "a document with that key exists";
	case KV_NOTFOUND:
		return "not found";
	case KV_FORBIDDEN:
		return "permission denied";
	case KV_REFUSED:
		return "request refused";
	case KV_BADANSWER:
		return "unexpected answer";
	case KV_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

static int nomem(char *err, size_t n)
{
	snprintf(err, n, "out of memory");
	return KV_NOMEM;
}

int kv_open(struct kv **out, struct splunkd *sd, const char *owner,
	    const char *app, const char *collection, char *err, size_t n)
{
	struct kv *kv = NULL;
	struct buf b = BUF_INIT(4096);
	char *o = NULL, *a = NULL, *c = NULL;

	*out = NULL;
	if (!sd || !owner || !*owner || !app || !*app || !collection ||
	    !*collection) {
		snprintf(err, n,
			 "KV store: owner, app and collection are required");
		return KV_REFUSED;
	}
	kv = calloc(1, sizeof(*kv));
	o = text_url_escape(owner);
	a = text_url_escape(app);
	c = text_url_escape(collection);
	if (!kv || !o || !a || !c)
		goto nomem;
	buf_printf(&b, "/servicesNS/%s/%s/storage/collections/data/%s", o, a,
		   c);
	kv->path = buf_take(&b);
	kv->name = strdup(collection);
	if (!kv->path || !kv->name)
		goto nomem;
	kv->sd = sd;
	free(o);
	free(a);
	free(c);
	*out = kv;
	return KV_OK;
nomem:
	free(o);
	free(a);
	free(c);
	kv_free(kv);
	return nomem(err, n);
}

void kv_free(struct kv *kv)
{
	if (!kv)
		return;
	free(kv->path);
	free(kv->name);
	free(kv);
}

const char *kv_name(const struct kv *kv)
{
	return kv->name;
}

/* splunkd's error → ours; err already names the request and the status. */
static int map_err(int rc)
{
	switch (rc) {
	case SPLUNKD_OK:
		return KV_OK;
	case SPLUNKD_CONNECT:
	case SPLUNKD_SERVER:
		return KV_UNAVAILABLE;
	case SPLUNKD_CONFLICT:
		return KV_CONFLICT;
	case SPLUNKD_NOTFOUND:
		return KV_NOTFOUND;
	case SPLUNKD_FORBIDDEN:
		return KV_FORBIDDEN;
	case SPLUNKD_NOMEM:
		return KV_NOMEM;
	}
	return KV_REFUSED;
}

/* "<path>/<escaped key>" (malloc'd), or NULL with err set. A key that is a
 * dot segment would be folded away by URL normalisation. */
static char *key_path(struct kv *kv, const char *key, int *rc, char *err,
		      size_t n)
{
	struct buf b = BUF_INIT(BUF_CAP_HTTP);
	char *e, *p;

	if (!key || !*key || strcmp(key, ".") == 0 || strcmp(key, "..") == 0) {
		snprintf(err, n, "KV store %s: invalid document key", kv->name);
		*rc = KV_REFUSED;
		return NULL;
	}
	e = text_url_escape(key);
	if (e)
		buf_printf(&b, "%s/%s", kv->path, e);
	free(e);
	p = e ? buf_take(&b) : NULL;
	if (!p) {
		buf_free(&b);
		*rc = nomem(err, n);
	}
	return p;
}

/* One request; the messages say which collection and operation. */
static int call(struct kv *kv, const char *op, const char *method,
		const char *path, const json_t *doc, json_t **out, char *err,
		size_t n)
{
	char *body = NULL, detail[1536];
	int rc;

	if (doc) {
		body = json_dumps(doc, JSON_COMPACT);
		if (!body)
			return nomem(err, n);
	}
	rc = map_err(splunkd_json(kv->sd, method, path, body, out, detail,
				  sizeof(detail)));
	free(body);
	if (rc != KV_OK)
		snprintf(err, n, "KV store %s %s: %s (%s)", kv->name, op,
			 kv_strerror(rc), detail);
	return rc;
}

int kv_insert(struct kv *kv, const json_t *doc, char **key, char *err, size_t n)
{
	json_t *ans = NULL;
	const char *k;
	int rc;

	if (key)
		*key = NULL;
	if (!json_is_object(doc)) {
		snprintf(err, n,
			 "KV store %s insert: the document must be an object",
			 kv->name);
		return KV_REFUSED;
	}
	rc = call(kv, "insert", "POST", kv->path, doc, &ans, err, n);
	if (rc)
		return rc;
	k = json_string_value(json_object_get(ans, "_key"));
	if (!k) {
		json_decref(ans);
		snprintf(err, n, "KV store %s insert: the answer holds no _key",
			 kv->name);
		return KV_BADANSWER;
	}
	if (key && !(*key = strdup(k)))
		rc = nomem(err, n);
	json_decref(ans);
	return rc;
}

int kv_get(struct kv *kv, const char *key, json_t **doc, char *err, size_t n)
{
	char *p;
	int rc = KV_OK;

	*doc = NULL;
	p = key_path(kv, key, &rc, err, n);
	if (!p)
		return rc;
	rc = call(kv, "get", "GET", p, NULL, doc, err, n);
	free(p);
	if (rc == KV_OK && !json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		snprintf(err, n,
			 "KV store %s get: the answer is not a document",
			 kv->name);
		rc = KV_BADANSWER;
	}
	return rc;
}

int kv_replace(struct kv *kv, const char *key, const json_t *doc, char *err,
	       size_t n)
{
	json_t *ans = NULL;
	char *p;
	int rc = KV_OK;

	if (!json_is_object(doc)) {
		snprintf(err, n,
			 "KV store %s replace: the document must be an object",
			 kv->name);
		return KV_REFUSED;
	}
	p = key_path(kv, key, &rc, err, n);
	if (!p)
		return rc;
	rc = call(kv, "replace", "POST", p, doc, &ans, err, n);
	free(p);
	json_decref(ans);
	return rc;
}

int kv_delete(struct kv *kv, const char *key, char *err, size_t n)
{
	char *p;
	int rc = KV_OK;

	p = key_path(kv, key, &rc, err, n);
	if (!p)
		return rc;
	rc = call(kv, "delete", "DELETE", p, NULL, NULL, err, n);
	free(p);
	return rc;
}

/* Appends "&name=<escaped value>" (or "?…" first). */
static void param(struct buf *b, int *first, const char *name,
		  const char *value)
{
	char *e = text_url_escape(value);

	if (!e) {
		b->failed = BUF_NOMEM;
		return;
	}
	buf_printf(b, "%s%s=%s", *first ? "?" : "&", name, e);
	*first = 0;
	free(e);
}

int kv_delete_query(struct kv *kv, const json_t *query, char *err, size_t n)
{
	struct buf b = BUF_INIT(BUF_CAP_HTTP);
	char *q = NULL, *p;
	int first = 1, rc;

	if (!json_is_object(query) || json_object_size(query) == 0) {
		snprintf(
			err, n,
			"KV store %s delete: a query is required (an empty one would delete every document)",
			kv->name);
		return KV_REFUSED;
	}
	q = json_dumps(query, JSON_COMPACT);
	if (!q)
		return nomem(err, n);
	buf_puts(&b, kv->path);
	param(&b, &first, "query", q);
	free(q);
	p = buf_take(&b);
	if (!p)
		return nomem(err, n);
	rc = call(kv, "delete by query", "DELETE", p, NULL, NULL, err, n);
	free(p);
	return rc;
}

int kv_find(struct kv *kv, const struct kv_query *q, json_t **docs, char *err,
	    size_t n)
{
	struct buf b = BUF_INIT(BUF_CAP_HTTP);
	char num[32], *p;
	int first = 1, rc;

	*docs = NULL;
	buf_puts(&b, kv->path);
	if (q && q->query) {
		char *s = json_dumps(q->query, JSON_COMPACT);

		if (!s) {
			buf_free(&b);
			return nomem(err, n);
		}
		param(&b, &first, "query", s);
		free(s);
	}
	if (q && q->sort)
		param(&b, &first, "sort", q->sort);
	if (q && q->fields)
		param(&b, &first, "fields", q->fields);
	if (q && q->limit > 0) {
		snprintf(num, sizeof(num), "%ld", q->limit);
		param(&b, &first, "limit", num);
	}
	if (q && q->skip > 0) {
		snprintf(num, sizeof(num), "%ld", q->skip);
		param(&b, &first, "skip", num);
	}
	p = buf_take(&b);
	if (!p)
		return nomem(err, n);
	rc = call(kv, "query", "GET", p, NULL, docs, err, n);
	free(p);
	if (rc == KV_OK && !json_is_array(*docs)) {
		json_decref(*docs);
		*docs = NULL;
		snprintf(err, n,
			 "KV store %s query: the answer is not an array",
			 kv->name);
		rc = KV_BADANSWER;
	}
	return rc;
}

int kv_batch_save(struct kv *kv, const json_t *docs, json_t **keys,
		  size_t *saved, char *err, size_t n)
{
	json_t *all = NULL, *chunk = NULL, *ans = NULL;
	char *p = NULL;
	size_t i, total, done = 0;
	int rc = KV_OK;

	if (keys)
		*keys = NULL;
	if (saved)
		*saved = 0;
	if (!json_is_array(docs)) {
		snprintf(err, n,
			 "KV store %s batch_save: documents must be an array",
			 kv->name);
		return KV_REFUSED;
	}
	total = json_array_size(docs);
	all = json_array();
	{
		struct buf b = BUF_INIT(BUF_CAP_HTTP);

		buf_printf(&b, "%s/batch_save", kv->path);
		p = buf_take(&b);
	}
	if (!all || !p) {
		rc = nomem(err, n);
		goto out;
	}
	while (done < total) {
		size_t m = total - done < KV_BATCH_MAX ? total - done
						       : KV_BATCH_MAX;

		chunk = json_array();
		if (!chunk) {
			rc = nomem(err, n);
			goto out;
		}
		for (i = 0; i < m; i++)
			if (json_array_append(chunk,
					      json_array_get(docs, done + i))) {
				rc = nomem(err, n);
				goto out;
			}
		rc = call(kv, "batch_save", "POST", p, chunk, &ans, err, n);
		if (rc)
			goto out;
		if (!json_is_array(ans) || json_array_size(ans) != m) {
			snprintf(
				err, n,
				"KV store %s batch_save: the answer is not the %zu saved keys",
				kv->name, m);
			rc = KV_BADANSWER;
			goto out;
		}
		if (json_array_extend(all, ans)) {
			rc = nomem(err, n);
			goto out;
		}
		json_decref(ans);
		ans = NULL;
		json_decref(chunk);
		chunk = NULL;
		done += m;
		if (saved)
			*saved = done;
	}
	if (keys) {
		*keys = all;
		all = NULL;
	}
out:
	json_decref(all);
	json_decref(chunk);
	json_decref(ans);
	free(p);
	return rc;
}
