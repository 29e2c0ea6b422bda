#include "net/kvstore.h"
#include "util/buf.h"
#include "miniserver.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY "sEsSiOnKeY-kv-0123456789"
#define JSON_HDR "Content-Type: application/json\r\n"
#define DATA "/servicesNS/nobody/SA_QRadar_SOAR/storage/collections/data/qradar_soar_queue"

static struct splunkd *open_at(int port)
{
	struct splunkd *d = NULL;
	char uri[64], err[256];

	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d", port);
	if (splunkd_open(&d, uri, KEY, err, sizeof(err)))
		printf("# splunkd_open: %s\n", err);
	return d;
}

static void test_open(void)
{
	struct kv *kv = NULL;
	char err[256];

	is_int(kv_open(&kv, NULL, "nobody", "a", "c", err, sizeof(err)),
	       KV_REFUSED, "open without a splunkd handle refused");
	ok(kv == NULL, "no handle on error");
	is_str(kv_strerror(KV_UNAVAILABLE), "KV store unavailable",
	       "KV_UNAVAILABLE reads as 'KV store unavailable'");
	is_str(kv_strerror(KV_CONFLICT), "a document with that key exists",
	       "KV_CONFLICT has its own words");
}

static void test_requests(void)
{
	static const char *const script[] = {
		/* 1 insert */
		"!len:HTTP/1.1 201 Created\r\n" JSON_HDR "\r\n{\"_key\":\"5f00aa\"}",
		/* 2 insert of an existing key */
		"!len:HTTP/1.1 409 Conflict\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"A document with the same key and user already exists.\"}]}",
		/* 3 get */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n{\"_key\":\"a/b c\",\"attempts\":2.0}",
		/* 4 get: 404 */
		"!len:HTTP/1.1 404 Not Found\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"Could not find object.\"}]}",
		/* 5 replace */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n{\"_key\":\"k1\"}",
		/* 6 delete */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n",
		/* 7 delete by query */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n",
		/* 8 find */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n[{\"_key\":\"k1\"},{\"_key\":\"k2\"}]",
		/* 9 find: KV store not ready */
		"!len:HTTP/1.1 503 Service Unavailable\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"KV Store is initializing. Please try again later.\"}]}",
		/* 10 batch_save */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n[\"b1\",\"b2\"]",
		/* 11 find: not an array */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n{\"x\":1}",
		/* 12 insert: 403 */
		"!len:HTTP/1.1 403 Forbidden\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"cannot write\"}]}",
		/* 13 insert: 400 */
		"!len:HTTP/1.1 400 Bad Request\r\n" JSON_HDR "\r\n"
		"{\"messages\":[{\"type\":\"ERROR\",\"text\":\"Failed to convert field\"}]}",
		/* 14 insert: an answer without _key */
		"!len:HTTP/1.1 201 Created\r\n" JSON_HDR "\r\n{}",
		/* 15 insert: the connection drops */
		"!reset",
		NULL
	};
	struct splunkd *d;
	struct kv *kv = NULL;
	struct mini m;
	json_t *doc, *got = NULL, *docs, *keys = NULL, *q;
	struct kv_query kq;
	char err[1024], *key = NULL, *log;
	size_t saved = 9;
	int rc, st;

	if (!ok(mini_start(&m, script) == 0, "mini server started"))
		return;
	d = open_at(m.port);
	rc = kv_open(&kv, d, "nobody", "SA_QRadar_SOAR", "qradar_soar_queue", err,
		     sizeof(err));
	is_int(rc, KV_OK, "kv_open");
	doc = json_pack("{s:s,s:i}", "state", "queued", "attempts", 0);

	rc = kv_insert(kv, doc, &key, err, sizeof(err));
	ok(rc == KV_OK && key && strcmp(key, "5f00aa") == 0, "insert → the server's _key");
	free(key);
	key = NULL;
	rc = kv_insert(kv, doc, &key, err, sizeof(err));
	is_int(rc, KV_CONFLICT, "409 → KV_CONFLICT");
	ok(strstr(err, "qradar_soar_queue insert") && strstr(err, "HTTP 409") &&
		   strstr(err, "same key"),
	   "409: names the collection, the operation, the status and splunkd's text");
	ok(!strstr(err, KEY), "the session key is not in the error");
	rc = kv_get(kv, "a/b c", &got, err, sizeof(err));
	ok(rc == KV_OK && json_number_value(json_object_get(got, "attempts")) == 2.0,
	   "get by key parses the document");
	json_decref(got);
	rc = kv_get(kv, "nope", &got, err, sizeof(err));
	ok(rc == KV_NOTFOUND && got == NULL, "404 → KV_NOTFOUND");
	rc = kv_replace(kv, "k1", doc, err, sizeof(err));
	is_int(rc, KV_OK, "replace");
	rc = kv_delete(kv, "k1", err, sizeof(err));
	is_int(rc, KV_OK, "delete by key (empty answer)");
	q = json_pack("{s:s}", "state", "dead");
	rc = kv_delete_query(kv, q, err, sizeof(err));
	is_int(rc, KV_OK, "delete by query");
	json_decref(q);
	q = json_object();
	rc = kv_delete_query(kv, q, err, sizeof(err));
	ok(rc == KV_REFUSED && strstr(err, "every document"),
	   "an empty delete query is refused before it is sent");
	json_decref(q);
	rc = kv_get(kv, "..", &got, err, sizeof(err));
	is_int(rc, KV_REFUSED, "a dot-segment key is refused before it is sent");

	q = json_pack("{s:s,s:{s:i}}", "state", "queued", "next_attempt", "$lte", 100);
	memset(&kq, 0, sizeof(kq));
	kq.query = q;
	kq.sort = "next_attempt:1,_key";
	kq.limit = 50;
	kq.skip = 100;
	kq.fields = "_key,state";
	rc = kv_find(kv, &kq, &docs, err, sizeof(err));
	ok(rc == KV_OK && json_array_size(docs) == 2, "find returns the array");
	json_decref(docs);
	rc = kv_find(kv, NULL, &docs, err, sizeof(err));
	ok(rc == KV_UNAVAILABLE && docs == NULL && strstr(err, "KV store unavailable") &&
		   strstr(err, "initializing"),
	   "503 → KV_UNAVAILABLE, with splunkd's reason");
	json_decref(q);
	{
		json_t *arr = json_pack("[{s:s},{s:s}]", "_key", "b1", "_key", "b2");

		rc = kv_batch_save(kv, arr, &keys, &saved, err, sizeof(err));
		ok(rc == KV_OK && json_array_size(keys) == 2 && saved == 2 &&
			   strcmp(json_string_value(json_array_get(keys, 1)), "b2") == 0,
		   "batch_save returns the keys");
		json_decref(keys);
		json_decref(arr);
	}
	rc = kv_find(kv, NULL, &docs, err, sizeof(err));
	ok(rc == KV_BADANSWER && docs == NULL, "a find answer that is not an array");
	rc = kv_insert(kv, doc, NULL, err, sizeof(err));
	is_int(rc, KV_FORBIDDEN, "403 → KV_FORBIDDEN");
	rc = kv_insert(kv, doc, NULL, err, sizeof(err));
	ok(rc == KV_REFUSED && strstr(err, "Failed to convert"), "400 → KV_REFUSED");
	rc = kv_insert(kv, doc, &key, err, sizeof(err));
	ok(rc == KV_BADANSWER && key == NULL, "an insert answer without _key");
	rc = kv_insert(kv, doc, &key, err, sizeof(err));
	ok(rc == KV_UNAVAILABLE && key == NULL, "a dropped connection → KV_UNAVAILABLE");
	json_decref(doc);
	kv_free(kv);
	splunkd_free(d);

	log = mini_finish(&m, &st);
	is_int(st, 0, "the server saw the whole script");
	is_int(mini_count(log, "Content-Type: application/json\r\n"), 8,
	       "every write carries a JSON body");
	is_int(mini_count(log, "output_mode"), 0, "no output_mode on data endpoints");
	is_int(mini_count(log, "POST " DATA " HTTP/1.1\r\n"), 6, "insert path");
	ok(strstr(log, "\r\n\r\n{\"state\":\"queued\",\"attempts\":0}") != NULL,
	   "insert body is the document");
	ok(strstr(log, "GET " DATA "/a%2Fb%20c HTTP/1.1\r\n") != NULL,
	   "the key is one escaped path segment");
	ok(strstr(log, "POST " DATA "/k1 HTTP/1.1\r\n") != NULL, "replace path");
	ok(strstr(log, "DELETE " DATA "/k1 HTTP/1.1\r\n") != NULL, "delete path");
	ok(strstr(log, "DELETE " DATA "?query=%7B%22state%22%3A%22dead%22%7D HTTP/1.1\r\n") != NULL,
	   "delete by query: the query escaped");
	ok(strstr(log, "GET " DATA "?query=%7B%22state%22%3A%22queued%22%2C%22next_attempt%22%3A%7B%22%24lte%22%3A100%7D%7D"
		       "&sort=next_attempt%3A1%2C_key&fields=_key%2Cstate&limit=50&skip=100 HTTP/1.1\r\n") != NULL,
	   "find: query, sort, fields, limit and skip escaped");
	ok(strstr(log, "POST " DATA "/batch_save HTTP/1.1\r\n") != NULL &&
		   strstr(log, "\r\n\r\n[{\"_key\":\"b1\"},{\"_key\":\"b2\"}]"),
	   "batch_save posts the array");
	free(log);
}

/* More than KV_BATCH_MAX documents go in chunks; a failed chunk says how
 * many were saved before it. */
static void test_batch_chunks(void)
{
	static const char *const script[] = {
		"", /* filled below: 1000 keys */
		"!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n[\"last\"]",
		"", /* second run: 1000 keys */
		"!len:HTTP/1.1 503 Service Unavailable\r\n" JSON_HDR "\r\n{}",
		NULL
	};
	const char *s[5];
	struct buf b = BUF_INIT(1u << 20);
	struct splunkd *d;
	struct kv *kv = NULL;
	struct mini m;
	json_t *docs = json_array(), *keys = NULL;
	char err[1024], *full, *log;
	size_t i, saved = 0;
	int rc, st;

	buf_puts(&b, "!len:HTTP/1.1 200 OK\r\n" JSON_HDR "\r\n[");
	for (i = 0; i < KV_BATCH_MAX; i++)
		buf_printf(&b, "%s\"k%zu\"", i ? "," : "", i);
	buf_puts(&b, "]");
	full = buf_take(&b);
	for (i = 0; i < 4; i++)
		s[i] = script[i];
	s[0] = s[2] = full;
	s[4] = NULL;
	for (i = 0; i <= KV_BATCH_MAX; i++)
		json_array_append_new(docs, json_pack("{s:i}", "n", (int)i));
	if (!ok(mini_start(&m, s) == 0, "mini server started")) {
		free(full);
		json_decref(docs);
		return;
	}
	d = open_at(m.port);
	kv_open(&kv, d, "nobody", "SA_QRadar_SOAR", "qradar_soar_queue", err,
		sizeof(err));
	rc = kv_batch_save(kv, docs, &keys, &saved, err, sizeof(err));
	ok(rc == KV_OK && json_array_size(keys) == KV_BATCH_MAX + 1 &&
		   saved == KV_BATCH_MAX + 1,
	   "1001 documents: two requests, every key back");
	json_decref(keys);
	rc = kv_batch_save(kv, docs, &keys, &saved, err, sizeof(err));
	ok(rc == KV_UNAVAILABLE && keys == NULL && saved == KV_BATCH_MAX,
	   "a failed second chunk: the first chunk's count is reported");
	kv_free(kv);
	splunkd_free(d);
	log = mini_finish(&m, &st);
	is_int(mini_count(log, "/batch_save HTTP/1.1\r\n"), 4, "four requests in all");
	free(log);
	free(full);
	json_decref(docs);
}

int main(void)
{
	unsetenv("SPLUNK_HOME");
	test_open();
	test_requests();
	test_batch_chunks();
	return tap_done();
}
