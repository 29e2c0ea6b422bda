#include "tap.h"
#include "util/text.h"

#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void escape_is(const char *in, const char *want, const char *name)
{
	char *got = text_url_escape(in);

	is_str(got, want, name);
	free(got);
}

static const char *html(const char *s)
{
	static char out[256];
	struct buf b = BUF_INIT(1024);

	text_html_escape(&b, s, strlen(s));
	snprintf(out, sizeof out, "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

static long long num(const char *s, long long lo, long long hi)
{
	long long v = -999;

	return text_int(s, lo, hi, &v) == 0 ? v : -999;
}

static const char *trimmed(const char *s)
{
	static char out[128];
	char tmp[128];

	snprintf(tmp, sizeof tmp, "%s", s);
	snprintf(out, sizeof out, "%s", text_trim(tmp));
	return out;
}

int main(void)
{
	long long t;

	/* booleans: one vocabulary for settings, field values and the form */
	is_int(text_bool(" TRUE "), 1, "bool: TRUE, trimmed");
	is_int(text_bool("yes"), 1, "bool: yes");
	is_int(text_bool("On"), 1, "bool: on");
	is_int(text_bool("1"), 1, "bool: 1");
	is_int(text_bool("No"), 0, "bool: no");
	is_int(text_bool("false"), 0, "bool: false");
	is_int(text_bool("OFF"), 0, "bool: off");
	is_int(text_bool("0"), 0, "bool: 0");
	is_int(text_bool(""), 0, "bool: empty is unset, false");
	is_int(text_bool(NULL), 0, "bool: NULL is unset, false");
	is_int(text_bool("2"), -1, "bool: 2 is none");
	is_int(text_bool("yes please"), -1, "bool: other words are none");
	is_int(text_bool("truex"), -1, "bool: no prefix match");

	/* integers */
	is_int(num(" -42 ", LLONG_MIN, LLONG_MAX), -42, "int: signed, trimmed");
	is_int(num("+7", 0, 10), 7, "int: plus sign");
	is_int(num("3.0", LLONG_MIN, LLONG_MAX), -999, "int: 3.0 is none");
	is_int(num("1e3", LLONG_MIN, LLONG_MAX), -999, "int: 1e3 is none");
	is_int(num("0x10", LLONG_MIN, LLONG_MAX), -999, "int: hex is none");
	is_int(num("1 2", LLONG_MIN, LLONG_MAX), -999, "int: inner space");
	is_int(num("9223372036854775807", LLONG_MIN, LLONG_MAX),
	       9223372036854775807LL, "int: max");
	is_int(num("9223372036854775808", LLONG_MIN, LLONG_MAX), -999,
	       "int: overflow");
	ok(num("-9223372036854775808", LLONG_MIN, LLONG_MAX) == LLONG_MIN,
	   "int: min");
	is_int(num("-", LLONG_MIN, LLONG_MAX), -999, "int: sign only");
	is_int(num("", LLONG_MIN, LLONG_MAX), -999, "int: empty");
	is_int(num(NULL, LLONG_MIN, LLONG_MAX), -999, "int: NULL");
	is_int(num("99", 1, 99), 99, "int: upper bound included");
	is_int(num("100", 1, 99), -999, "int: over the range");
	is_int(num("0", 1, 99), -999, "int: under the range");

	/* trims: ASCII white space whatever the locale (a locale's isspace
	 * could take a byte of UTF-8 for a space) */
	setlocale(LC_ALL, "");
	is_str(trimmed(" \t\r\n\v\fa b\t "), "a b", "trim: ASCII white space");
	is_str(trimmed("\xc2\xa0x\xc2\xa0"), "\xc2\xa0x\xc2\xa0",
	       "trim: a UTF-8 no-break space is data");
	is_str(trimmed("\xa0x\x85"), "\xa0x\x85", "trim: Latin-1 bytes are data");
	is_str(trimmed("   "), "", "trim: all white");
	ok(text_is_blank(" \t\n") && text_is_blank("") && text_is_blank(NULL) &&
		   !text_is_blank(" x "),
	   "is_blank");

	/* HTML: one set of entities */
	is_str(html("<a href=\"x\">'&'</a>"),
	       "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;",
	       "html: & < > \" '");
	is_str(html("plain"), "plain", "html: plain text as is");

	/* URL escape (libcurl's) */
	escape_is("", "", "url: empty stays empty");
	escape_is("AZaz09-_.~", "AZaz09-_.~", "url: unreserved kept");
	escape_is(" /?#[]@!$&'()*+,;=%:",
		  "%20%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25%3A",
		  "url: every reserved char, space as %20 (not +)");
	escape_is("SA_QRadar_SOAR_soar.example.com:a@b.c:",
		  "SA_QRadar_SOAR_soar.example.com%3Aa%40b.c%3A",
		  "url: a storage/passwords entity");
	escape_is("caf\xc3\xa9 \xe2\x82\xac", "caf%C3%A9%20%E2%82%AC",
		  "url: UTF-8 bytes each encoded, upper-case hex");
	escape_is("a\nb\tc\x7f", "a%0Ab%09c%7F", "url: controls encoded");
	escape_is("\xff\xfe", "%FF%FE", "url: invalid UTF-8 bytes encoded");

	/* time */
	t = text_now_ms();
	ok(t > 1700000000000LL && t / 1000 - (long long)time(NULL) <= 1,
	   "now_ms: the wall clock in ms");
	is_int(text_trigger_time("scheduler__admin__search__RMD5_at_1714557600_123"),
	       1714557600, "trigger time: from the sid");
	is_int(text_trigger_time("rt_md_1714557600.5"), -1,
	       "trigger time: none without _at_");
	is_int(text_trigger_time("x_at_"), -1, "trigger time: no digits");
	is_int(text_trigger_time(NULL), -1, "trigger time: no sid");
	is_int(text_trigger_time("x_at_12345678901234567890"), 123456789012345LL,
	       "trigger time: at most 15 digits, no overflow");
	return tap_done();
}
