#include "tap.h"
#include "alert/sync.h"
#include "net/splunkd.h"

#include <stdlib.h>
#include <string.h>

/* The mark: what it covers, how it moves, its document. */
static void test_mark(void)
{
	struct sync_mark m = SYNC_MARK_INIT, back = SYNC_MARK_INIT;
	struct sync_mark other = SYNC_MARK_INIT;
	char key[80], key2[80], err[256];
	json_t *doc;
	int i, all = 1;

	m.end_ms = 1000;
	ok(sync_mark_covers(&m, 999, 7),
	   "a closing before the mark is covered");
	ok(!sync_mark_covers(&m, 1000, 7),
	   "a closing at the mark's millisecond, not among its ids, is not");
	ok(!sync_mark_covers(&m, 1001, 7), "a later closing is not");

	ok(sync_mark_add(&m, 1000, 7) == 0 && sync_mark_covers(&m, 1000, 7),
	   "a case synced at the mark's millisecond is covered");
	ok(sync_mark_add(&m, 1000, 3) == 0 && m.nids == 2 && m.end_ms == 1000,
	   "a second case at that millisecond joins the ids");
	ok(sync_mark_add(&m, 1000, 7) == 0 && m.nids == 2,
	   "adding a covered case changes nothing");
	ok(sync_mark_add(&m, 900, 11) == 0 && m.end_ms == 1000 && m.nids == 2 &&
		   !sync_mark_covers(&m, 1000, 11),
	   "an earlier closing does not move the mark back");
	ok(sync_mark_add(&m, 2000, 3) == 0 && m.end_ms == 2000 && m.nids == 1 &&
		   m.ids[0] == 3,
	   "a later closing starts a new set of ids");
	ok(!sync_mark_covers(&m, 2500, 3),
	   "the same case closed again later (re-opened) is not covered");
	ok(sync_mark_covers(&m, 1000, 7) && sync_mark_covers(&m, 2000, 3),
	   "everything up to the mark is covered");
	for (i = 0; i < 300; i++)
		if (sync_mark_add(&m, 2000, 100 + i))
			all = 0;
	ok(all && m.nids == 301 && sync_mark_covers(&m, 2000, 399),
	   "many cases at one millisecond");

	sync_mark_start(&m, 1500);
	ok(m.end_ms == 2000 && m.nids == 301,
	   "an earlier start leaves the mark");
	sync_mark_start(&m, 3000);
	ok(m.end_ms == 3000 && m.nids == 0, "a later start moves it, no ids");

	ok(sync_mark_key("soar.example.com", "Org", key, sizeof(key)) == 0 &&
		   strncmp(key, "sync_closed_", 12) == 0 &&
		   strlen(key) == 12 + 40,
	   "the key names the mark's kind and 40 hex digits");
	ok(sync_mark_key("soar.example.com", "Org 2", key2, sizeof(key2)) ==
			   0 &&
		   strcmp(key, key2) != 0,
	   "another org, another key");
	ok(sync_mark_key("soar.example.co", "mOrg", key2, sizeof(key2)) == 0 &&
		   strcmp(key, key2) != 0,
	   "host and org are not just concatenated");
	ok(sync_mark_key("h", "o", key2, 20) == -1,
	   "a short buffer is refused");

	sync_mark_add(&m, 3000, 42);
	sync_mark_add(&m, 3000, 43);
	/* the key: SHA-256 of "soar.example.com\nOrg" (as sha256sum has it) */
	doc = sync_mark_doc(&m, key, "soar.example.com", "Org", 1714557600.5);
	{
		char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);

		is_str(s,
		       "{\"_key\":\"sync_closed_3a5859f71ee14bb4b0c488e45522571c220b2dce\",\"end_date\":3000,\"format\":1,\"host\":\"soar.example.com\",\"ids\":[42,43],\"kind\":\"sync_closed\",\"org\":\"Org\",\"updated\":1714557600.5}",
		       "the KV document");
		free(s);
	}
	ok(sync_mark_from_doc(&back, doc, err, sizeof(err)) == 0 &&
		   back.end_ms == 3000 && back.nids == 2 &&
		   sync_mark_covers(&back, 3000, 43),
	   "read back from its document");
	json_object_set_new(doc, "end_date", json_real(3000.0));
	json_object_set_new(doc, "ids", json_pack("[f,i]", 42.0, 44));
	ok(sync_mark_from_doc(&back, doc, err, sizeof(err)) == 0 &&
		   back.end_ms == 3000 && sync_mark_covers(&back, 3000, 44),
	   "numbers the KV store gives back as reals are read");
	json_object_set_new(doc, "end_date", json_real(3000.5));
	ok(sync_mark_from_doc(&back, doc, err, sizeof(err)) == -1 &&
		   strstr(err, "end_date") && back.nids == 2,
	   "a fractional end_date is refused, the mark kept");
	json_object_set_new(doc, "end_date", json_integer(3000));
	json_object_set_new(doc, "ids", json_string("42"));
	ok(sync_mark_from_doc(&back, doc, err, sizeof(err)) == -1 &&
		   strstr(err, "ids"),
	   "ids that are no array are refused");
	json_decref(doc);

	/* the KV store's and a local copy: the later wins, one ms unites */
	sync_mark_free(&back);
	back.end_ms = 3000;
	sync_mark_add(&back, 3000, 50);
	ok(sync_mark_merge(&back, &m) == 0 && back.end_ms == 3000 &&
		   back.nids == 3 && sync_mark_covers(&back, 3000, 42) &&
		   sync_mark_covers(&back, 3000, 50),
	   "merging marks of one millisecond unites their ids");
	other.end_ms = 2000;
	sync_mark_add(&other, 2000, 9);
	ok(sync_mark_merge(&back, &other) == 0 && back.end_ms == 3000 &&
		   back.nids == 3,
	   "an older mark changes nothing");
	sync_mark_add(&other, 4000, 1);
	ok(sync_mark_merge(&back, &other) == 0 && back.end_ms == 4000 &&
		   back.nids == 1 && back.ids[0] == 1,
	   "a newer mark wins");
	sync_mark_free(&m);
	sync_mark_free(&back);
	sync_mark_free(&other);
}

static void test_query(void)
{
	struct sync_mark m = SYNC_MARK_INIT;
	json_t *q;
	char *s;

	m.end_ms = 1714557600123LL;
	q = sync_query(&m, 200);
	s = json_dumps(q, JSON_COMPACT);
	is_str(s,
	       "{\"filters\":[{\"conditions\":[{\"field_name\":\"plan_status\",\"method\":\"equals\",\"value\":\"C\"},{\"field_name\":\"properties.splunk_notable_event_id\",\"method\":\"has_a_value\"},{\"field_name\":\"end_date\",\"method\":\"gte\",\"value\":1714557600123}]}],\"sorts\":[{\"field_name\":\"end_date\",\"type\":\"asc\"},{\"field_name\":\"id\",\"type\":\"asc\"}],\"start\":200,\"length\":100}",
	       "the query: closed, with a notable, from the mark, oldest first");
	free(s);
	json_decref(q);
}

static void test_comment(void)
{
	char *c;

	c = sync_comment(2101, "Resolved",
			 "<div class=\"rte\"><p>Password reset;</p><p>account "
			 "unlocked &amp; user told.</p></div>",
			 "https://soar:443/#incidents/2101?orgId=201");
	is_str(c,
	       "QRadar SOAR case 2101 closed: Resolved: Password reset; account unlocked & user told.\nhttps://soar:443/#incidents/2101?orgId=201",
	       "comment: label, the summary as one line of text, the URL");
	free(c);
	c = sync_comment(7, "Duplicate", "", "https://x/#incidents/7");
	is_str(c,
	       "QRadar SOAR case 7 closed: Duplicate\nhttps://x/#incidents/7",
	       "comment: no summary, no empty part");
	free(c);
	c = sync_comment(7, NULL, "Plain text", "https://x/#incidents/7");
	is_str(c,
	       "QRadar SOAR case 7 closed: Plain text\nhttps://x/#incidents/7",
	       "comment: no label");
	free(c);
	{
		char big[3000];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		c = sync_comment(7, "Resolved", big, "u");
		ok(c && strlen(c) < 1100 && strstr(c, "\xe2\x80\xa6\nu"),
		   "comment: a long summary is cut");
		free(c);
	}
}

static void test_verdict(void)
{
	json_t *yes = json_pack("{s:b,s:s}", "success", 1, "message", "ok");
	json_t *no = json_pack("{s:b,s:s}", "success", 0, "message", "no");

	ok(sync_verdict_of(SPLUNKD_OK, yes, "") == SYNC_POSTED,
	   "verdict: success true -> posted");
	ok(sync_verdict_of(SPLUNKD_OK, no, "") == SYNC_REFUSED,
	   "verdict: success false -> this notable refused");
	ok(sync_verdict_of(SPLUNKD_OK, NULL, "") == SYNC_REFUSED,
	   "verdict: no answer -> refused, not posted");
	ok(sync_verdict_of(SPLUNKD_REFUSED, NULL,
			   "splunkd POST /services/notable_update: HTTP 400: "
			   "ValueError: Invalid rule_id value.") ==
		   SYNC_REFUSED,
	   "verdict: ES refuses the notable id -> refused");
	ok(sync_verdict_of(SPLUNKD_REFUSED, NULL,
			   "splunkd POST /services/notable_update: HTTP 400: "
			   "ValueError: Invalid status value.") == SYNC_STOP,
	   "verdict: ES refuses the status (every notable would) -> stop");
	ok(sync_verdict_of(SPLUNKD_FORBIDDEN, NULL, "HTTP 403") == SYNC_STOP,
	   "verdict: no capability -> stop");
	ok(sync_verdict_of(SPLUNKD_CONNECT, NULL, "refused") == SYNC_STOP,
	   "verdict: splunkd down -> stop");
	ok(sync_verdict_of(SPLUNKD_SERVER, NULL, "HTTP 503") == SYNC_STOP,
	   "verdict: 5xx -> stop");
	json_decref(yes);
	json_decref(no);
}

int main(void)
{
	test_mark();
	test_query();
	test_comment();
	test_verdict();
	return tap_done();
}
