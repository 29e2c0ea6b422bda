#include "tap.h"
#include "mapping/convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long d(const char *s)
{
	long long v = -42;
	return convert_date_ms(s, &v) == 0 ? v : -1;
}
struct l { char v[8][64]; int n; };
static int em(void *a, const char *s)
{
	struct l *l = a;
	if (l->n < 8)
		snprintf(l->v[l->n++], 64, "%s", s);
	return 0;
}
static char *rep(const char *s, size_t n)
{
	static char o[256];
	char *r = convert_utf8_dup(s, n);
	snprintf(o, sizeof o, "%s", r ? r : "(null)");
	free(r);
	return o;
}

/* convert_user as text: "id N", the text, or "(empty)". */
static const char *u(const char *s)
{
	static char out[256];
	const char *b, *e;
	long long id;
	int k = convert_user(s, &b, &e, &id);

	if (k == CONVERT_USER_ID)
		snprintf(out, sizeof out, "id %lld", id);
	else if (k < 0)
		snprintf(out, sizeof out, "(empty)");
	else
		snprintf(out, sizeof out, "%.*s", (int)(e - b), b);
	return out;
}

int main(void)
{
	struct l l;

	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	is_int(d("1689609696.996"), 1689609696996LL, "epoch with fraction");
	is_int(d("1689609696"), 1689609696000LL, "epoch seconds");
	is_int(d("1689609696996"), 1689609696996LL, "epoch ms 13 digits");
	is_int(d("2023/07/17"), 1689552000000LL, "slash date UTC midnight");
	is_int(d("2023/07/17 16:01:36"), 1689609696000LL, "slash datetime UTC");
	is_int(d("2023/07/17 21:31:36 +0530"), 1689609696000LL, "slash +0530");
	is_int(d("2023/07/17 21:31:36 +05:30"), 1689609696000LL, "slash +05:30");
	is_int(d("2023-07-17"), 1689552000000LL, "iso date");
	is_int(d("2023-07-17T16:01:36Z"), 1689609696000LL, "iso Z");
	is_int(d("2023-07-17T16:01:36.996Z"), 1689609696996LL, "iso ms");
	is_int(d("2023-07-17T11:01:36-05:00"), 1689609696000LL, "iso -05:00");
	is_int(d("2023-07-17T21:31:36+0530"), 1689609696000LL, "iso +0530");
	is_int(d("2023-07-17T16:01:36"), 1689609696000LL, "iso no offset is UTC");
	is_int(d("2024-02-29"), 1709164800000LL, "leap day 2024");
	is_int(d("2023-02-29"), -1, "2023-02-29 invalid");
	is_int(d("1900-02-29"), -1, "1900 not leap");
	is_int(d("2000-02-29"), 951782400000LL, "2000 leap");
	is_int(d("2024-03-01T00:30:00+01:00"), 1709249400000LL, "offset crosses leap day");
	is_int(d("2023-13-01"), -1, "month 13");
	is_int(d("2023-04-31"), -1, "april 31");
	is_int(d("2023-01-01T24:00:00Z"), -1, "hour 24");
	is_int(d("2023-01-01T10:00:00+2400"), -1, "offset 24h");
	is_int(d("1970-01-01"), 0, "epoch zero date");
	is_int(d("yesterday"), -1, "word");
	is_int(d(""), -1, "empty");
	is_int(d("2023/07/17T16:01:36"), -1, "slash with T");
	is_int(d("2023-07-17 trailing"), -1, "trailing junk");

	is_str(u("42"), "id 42", "user: digits are an id");
	is_str(u(" Jane Doe (jane@example.com) "), "jane@example.com", "user: Name (email) gives the email");
	is_str(u("Doe, Jane ( jane@example.com )"), "jane@example.com", "user: the email trimmed");
	is_str(u("Jane (night shift) (jane@example.com)"), "jane@example.com", "user: the last parentheses");
	is_str(u("jane@example.com"), "jane@example.com", "user: an email as is");
	is_str(u("SOC Tier 2"), "SOC Tier 2", "user: a group name as is");
	is_str(u("Analysts (Tier 2)"), "Analysts (Tier 2)", "user: parentheses without an email: the whole text");
	is_str(u("(jane@example.com)"), "(jane@example.com)", "user: no name before the parentheses: the whole text");
	is_str(u("Jane (@)"), "Jane (@)", "user: a lone @ is no email");
	is_str(u("12345678901234567890"), "12345678901234567890", "user: a number too long for an id is text");
	is_str(u("  "), "(empty)", "user: blank");

	memset(&l, 0, sizeof l);
	is_int(convert_split_list("a, 'b, c', d", em, &l), 3, "list count");
	is_str(l.v[0], "a", "list a");
	is_str(l.v[1], "b, c", "list quoted");
	is_str(l.v[2], "d", "list d");
	memset(&l, 0, sizeof l);
	is_int(convert_split_list(" x ,, ,y", em, &l), 2, "empty items skipped");
	is_str(l.v[1], "y", "trimmed");
	memset(&l, 0, sizeof l);
	is_int(convert_split_list("it's, ok", em, &l), 2, "lone quote literal");
	is_str(l.v[0], "it's", "apostrophe kept");

	memset(&l, 0, sizeof l);
	is_int(convert_split_list("\xe2\x80\x98New York, NY\xe2\x80\x99, \xe2\x80\x98Los Angeles, CA\xe2\x80\x99", em, &l), 2, "typographic quotes");
	is_str(l.v[1], "Los Angeles, CA", "typographic quoted item");
	memset(&l, 0, sizeof l);
	is_int(convert_split_list("'a,b'x, c", em, &l), 3, "quote not closing an item is literal");
	is_str(rep("ok\xc3\xa9", 4), "ok\xc3\xa9", "valid utf8 kept");
	is_str(rep("a\xff" "b", 3), "a\xef\xbf\xbd" "b", "invalid byte replaced");
	is_str(rep("\xc3", 1), "\xef\xbf\xbd", "truncated seq");
	is_str(rep("\xed\xa0\x80", 3), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "surrogate");
	is_str(rep("\xc0\xaf", 2), "\xef\xbf\xbd\xef\xbf\xbd", "overlong");
	is_str(rep("a\0b", 3), "a\xef\xbf\xbd" "b", "NUL replaced");
	is_str(rep("\xf0\x9f\x98\x80", 4), "\xf0\x9f\x98\x80", "emoji kept");
	return tap_done();
}
