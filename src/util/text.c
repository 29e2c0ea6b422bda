#include "util/text.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

int text_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

void text_trim_span(const char *s, const char **b, const char **e)
{
	const char *p = s, *q = s + strlen(s);

	while (p < q && text_is_space((unsigned char)*p))
		p++;
	while (q > p && text_is_space((unsigned char)q[-1]))
		q--;
	*b = p;
	*e = q;
}

char *text_trim(char *s)
{
	const char *b, *e;

	text_trim_span(s, &b, &e);
	s[e - s] = '\0';
	return s + (b - s);
}

int text_is_blank(const char *s)
{
	const char *b, *e;

	if (!s)
		return 1;
	text_trim_span(s, &b, &e);
	return b == e;
}

/* [b, e) equals word (lowercase) ignoring ASCII case. */
static int is_word(const char *b, const char *e, const char *word)
{
	size_t n = strlen(word), i;

	if ((size_t)(e - b) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = b[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

int text_bool(const char *s)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	const char *b, *e;
	size_t i;

	if (!s)
		return 0;
	text_trim_span(s, &b, &e);
	if (b == e)
		return 0;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (is_word(b, e, yes[i]))
			return 1;
		if (is_word(b, e, no[i]))
			return 0;
	}
	return -1;
}

int text_int(const char *s, long long lo, long long hi, long long *out)
{
	const char *b, *e, *p;
	unsigned long long v = 0, lim;
	long long r;
	int neg = 0;

	if (!s)
		return -1;
	text_trim_span(s, &b, &e);
	p = b;
	if (p < e && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	if (p == e)
		return -1;
	lim = neg ? (unsigned long long)LLONG_MAX + 1ULL
		  : (unsigned long long)LLONG_MAX;
	for (; p < e; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -1;
		d = (unsigned)(*p - '0');
		if (v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (neg)
		r = v == (unsigned long long)LLONG_MAX + 1ULL ? LLONG_MIN
							      : -(long long)v;
	else
		r = (long long)v;
	if (r < lo || r > hi)
		return -1;
	*out = r;
	return 0;
}

int text_html_escape(struct buf *out, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#x27;";
			break;
		default:
			break;
		}
		if (!rep)
			continue;
		if (i > start)
			buf_append(out, s + start, i - start);
		buf_puts(out, rep);
		start = i + 1;
	}
	if (n > start)
		buf_append(out, s + start, n - start);
	return out->failed;
}

char *text_url_escape(const char *s)
{
	/* libcurl's allocation must be freed with curl_free: hand the
	 * caller a malloc'd copy */
	char *e = curl_easy_escape(NULL, s, 0), *out;

	if (!e)
		return NULL;
	out = strdup(e);
	curl_free(e);
	return out;
}

long long text_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

long long text_trigger_time(const char *sid)
{
	const char *s = sid ? strstr(sid, "_at_") : NULL;
	long long t = 0;
	int digits = 0;

	if (!s)
		return -1;
	/* 15 digits: far beyond any epoch, and no overflow */
	for (s += 4; *s >= '0' && *s <= '9' && digits < 15; s++, digits++)
		t = t * 10 + (*s - '0');
	return digits ? t : -1;
}
