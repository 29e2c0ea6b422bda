#ifndef QS_KVSTORE_H
#define QS_KVSTORE_H

#include "net/splunkd.h"

#include <jansson.h>
#include <stddef.h>

/*
 * A client of one KV store collection over splunkd's REST API
 * (/servicesNS/<owner>/<app>/storage/collections/data/<collection>), on a
 * borrowed splunkd handle (its session key, its connection). Documents
 * are JSON objects; requests carry them as application/json. Keys and
 * queries are percent-encoded by libcurl.
 *
 * Errors: 0 or a kv_err; err names the collection, the operation, the HTTP
 * status and splunkd's message. KV_UNAVAILABLE is "try again later or
 * elsewhere": splunkd unreachable, the KV store not ready or disabled
 * (503), or any other 5xx; the caller falls back (the spool) rather than
 * failing what it was doing for good.
 */
enum kv_err {
	KV_OK = 0,
	KV_UNAVAILABLE, /* splunkd or the KV store down, 5xx */
	KV_CONFLICT,	/* 409: a document with that _key exists */
	KV_NOTFOUND,	/* 404: no such _key (or collection) */
	KV_FORBIDDEN,	/* 403: the user's roles may not read/write it */
	KV_REFUSED,	/* other 4xx: the request or document was refused */
	KV_BADANSWER,	/* 2xx with an answer that is not what the API says */
	KV_NOMEM
};

struct kv;

/* A collection of app as owner ("nobody": shared records, the only ones
 * lookups see). sd is borrowed and must outlive the handle. */
int kv_open(struct kv **out, struct splunkd *sd, const char *owner,
	    const char *app, const char *collection, char *err, size_t n);
void kv_free(struct kv *kv);
const char *kv_name(const struct kv *kv);

/* Inserts doc (its _key, if any, is used; 409 → KV_CONFLICT). *key (may
 * be NULL) gets the stored key, malloc'd. */
int kv_insert(struct kv *kv, const json_t *doc, char **key, char *err,
	      size_t n);
/* The document of key (*doc owned by the caller); 404 → KV_NOTFOUND. */
int kv_get(struct kv *kv, const char *key, json_t **doc, char *err, size_t n);
/* Replaces the document of key with doc (the whole document; 404 →
 * KV_NOTFOUND when there is none). */
int kv_replace(struct kv *kv, const char *key, const json_t *doc, char *err,
	       size_t n);
/* Deletes key; 404 → KV_NOTFOUND. */
int kv_delete(struct kv *kv, const char *key, char *err, size_t n);
/* Deletes the documents query (a JSON object, MongoDB style) matches;
 * query NULL or {} would delete everything and is refused (KV_REFUSED). */
int kv_delete_query(struct kv *kv, const json_t *query, char *err, size_t n);

/* GET data/<collection> parameters; NULL / 0 = not sent. */
struct kv_query {
	const json_t *query; /* {"state":"queued","next_attempt":{"$lte":t}} */
	const char *sort;    /* "next_attempt:1,_key" */
	long limit;	     /* the server cuts at max_rows_per_query */
	long skip;
	const char *fields; /* "a,b" or "a:0" */
};

/* The matching documents: *docs is a JSON array the caller owns. */
int kv_find(struct kv *kv, const struct kv_query *q, json_t **docs, char *err,
	    size_t n);

/* Saves docs (an array of objects: each inserted, or replacing its _key)
 * in chunks of at most KV_BATCH_MAX; *keys (may be NULL) gets the array
 * of saved keys in order. A failed chunk stops the call: the documents of
 * the chunks before it are saved, *saved (may be NULL) says how many. */
#define KV_BATCH_MAX 1000
int kv_batch_save(struct kv *kv, const json_t *docs, json_t **keys,
		  size_t *saved, char *err, size_t n);

/* The words for a kv_err ("KV store unavailable", "conflict", …). */
const char *kv_strerror(int rc);

#endif
