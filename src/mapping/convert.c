#include "mapping/convert.h"
#include "util/text.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil): no mktime, no time zone. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly n digits at *p. */
static int digits(const char **p, const char *e, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (*p >= e || (*p)[0] < '0' || (*p)[0] > '9')
			return -1;
		v = v * 10 + ((*p)[0] - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/* Epoch seconds with optional fraction; 13 digits without fraction are
 * epoch milliseconds. */
static int epoch_number(const char *b, const char *e, long long *ms)
{
	const char *p = b, *dot = NULL;
	long long ip = 0, frac = 0;
	int fd = 0, nd = 0;

	for (; p < e; p++) {
		if (*p == '.' && !dot) {
			dot = p;
			continue;
		}
		if (*p < '0' || *p > '9')
			return -1;
		if (!dot) {
			if (++nd > 15)
				return -1;
			ip = ip * 10 + (*p - '0');
		} else if (fd < 3) {
			frac = frac * 10 + (*p - '0');
			fd++;
		}
	}
	if (nd == 0)
		return -1;
	while (fd < 3) {
		frac *= 10;
		fd++;
	}
	if (!dot && nd == 13) {
		*ms = ip;
		return 0;
	}
	if (nd > 11) /* beyond year 5138 in seconds: not a date we accept */
		return -1;
	*ms = ip * 1000 + frac;
	return 0;
}

static int offset(const char **p, const char *e, long long *off_s)
{
	int sign, hh, mm;

	if (*p < e && **p == 'Z') {
		(*p)++;
		*off_s = 0;
		return 0;
	}
	if (*p >= e || (**p != '+' && **p != '-'))
		return -1;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (digits(p, e, 2, &hh))
		return -1;
	if (*p < e && **p == ':')
		(*p)++;
	if (digits(p, e, 2, &mm) || hh > 23 || mm > 59)
		return -1;
	*off_s = sign * (hh * 3600LL + mm * 60LL);
	return 0;
}

int convert_date_ms(const char *s, long long *out_ms)
{
	const char *b, *e, *p;
	int y, mo, d, hh = 0, mi = 0, ss = 0, ms = 0;
	long long off = 0;
	char sep;

	if (!s)
		return -1;
	text_trim_span(s, &b, &e);
	if (b == e)
		return -1;
	p = b;
	if (epoch_number(b, e, out_ms) == 0)
		return 0;
	if (digits(&p, e, 4, &y) || p >= e || (*p != '-' && *p != '/'))
		return -1;
	sep = *p++;
	if (digits(&p, e, 2, &mo) || p >= e || *p++ != sep ||
	    digits(&p, e, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (p < e) {
		if (sep == '-' ? (*p != 'T' && *p != 't' && *p != ' ')
			       : *p != ' ')
			return -1;
		p++;
		if (digits(&p, e, 2, &hh) || p >= e || *p++ != ':' ||
		    digits(&p, e, 2, &mi))
			return -1;
		if (p < e && *p == ':') {
			p++;
			if (digits(&p, e, 2, &ss))
				return -1;
			if (sep == '-' && p < e && (*p == '.' || *p == ',')) {
				int n = 0;
				p++;
				while (p < e && *p >= '0' && *p <= '9') {
					if (n < 3) {
						ms = ms * 10 + (*p - '0');
						n++;
					}
					p++;
				}
				if (n == 0)
					return -1;
				while (n++ < 3)
					ms *= 10;
			}
		} else if (sep == '/') {
			return -1; /* the slash form always carries seconds */
		}
		if (hh > 23 || mi > 59 || ss > 60)
			return -1;
		if (sep == '/')
			while (p < e && *p == ' ')
				p++;
		if (p < e && offset(&p, e, &off))
			return -1;
		if (sep == '/' && off == 0 && p > b && p[-1] == 'Z')
			return -1; /* 'Z' belongs to the ISO form only */
		if (p != e)
			return -1;
	}
	*out_ms = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL +
		   hh * 3600LL + mi * 60LL + ss - off) *
			  1000LL +
		  ms;
	return 0;
}

int convert_user(const char *s, const char **b, const char **e, long long *id)
{
	const char *open = NULL, *close = NULL, *p, *ib, *ie;

	if (!s)
		return -1;
	text_trim_span(s, b, e);
	if (*b == *e)
		return -1;
	for (p = *b; p < *e && *p >= '0' && *p <= '9'; p++)
		;
	if (p == *e && *e - *b <= 18) {
		*id = 0;
		for (p = *b; p < *e; p++)
			*id = *id * 10 + (*p - '0');
		return CONVERT_USER_ID;
	}
	/* "Name (email)": a name first, then the last parenthesised part */
	for (p = *b; p < *e; p++)
		if (*p == ')')
			close = p;
	for (p = *b; close && p < close; p++)
		if (*p == '(')
			open = p;
	if (!open || open == *b)
		return CONVERT_USER_TEXT;
	ib = open + 1;
	ie = close;
	while (ib < ie && text_is_space(*ib))
		ib++;
	while (ie > ib && text_is_space(ie[-1]))
		ie--;
	if (ie > ib && memchr(ib, '@', (size_t)(ie - ib)) && ib[0] != '@' &&
	    ie[-1] != '@') {
		*b = ib;
		*e = ie;
	}
	return CONVERT_USER_TEXT;
}

/* IBM's guide prints its example with typographic quotes
 * (U+2018/U+2019), so users paste those too: both count as quotes. */
static size_t quote_len(const char *p)
{
	if (*p == '\'')
		return 1;
	if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0x98 || (unsigned char)p[2] == 0x99))
		return 3;
	return 0;
}

static const char *find_quote(const char *p)
{
	for (; *p; p++)
		if (quote_len(p))
			return p;
	return NULL;
}

int convert_split_list(const char *s, int (*emit)(void *arg, const char *item),
		       void *arg)
{
	const char *p = s;
	char *item = NULL;
	size_t cap = strlen(s ? s : "") + 1;
	int count = 0;

	if (!s)
		return 0;
	item = malloc(cap);
	if (!item)
		return -1;
	while (*p) {
		const char *b, *e;
		size_t n;

		while (text_is_space(*p))
			p++;
		{
			size_t ql = quote_len(p);
			const char *q = ql ? find_quote(p + ql) : NULL;

			if (q) {
				const char *after = q + quote_len(q);
				while (text_is_space(*after))
					after++;
				if (*after == ',' || *after == '\0') {
					b = p + ql;
					e = q;
					p = *after ? after + 1 : after;
					goto got;
				}
			}
		}
		b = p;
		while (*p && *p != ',')
			p++;
		e = p;
		if (*p)
			p++;
	got:
		while (b < e && text_is_space(*b))
			b++;
		while (e > b && text_is_space(e[-1]))
			e--;
		n = (size_t)(e - b);
		if (n == 0)
			continue;
		memcpy(item, b, n);
		item[n] = '\0';
		if (emit(arg, item) != 0) {
			free(item);
			return -1;
		}
		count++;
	}
	free(item);
	return count;
}

int convert_utf8_repair(struct buf *out, const char *s, size_t n)
{
	static const char fffd[3] = { (char)0xEF, (char)0xBF, (char)0xBD };
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0;

	while (i < n) {
		unsigned c = u[i];
		size_t len = 0, k;
		unsigned cp;

		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			cp = 0;
		}
		if (len && i + len <= n) {
			for (k = 1; k < len; k++) {
				if ((u[i + k] & 0xC0) != 0x80)
					break;
				cp = (cp << 6) | (u[i + k] & 0x3F);
			}
			if (k == len &&
			    !(len == 3 &&
			      (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) &&
			    !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
				i += len;
				continue;
			}
		}
		/* invalid: replace one byte and resynchronise on the next */
		if (i > start)
			buf_append(out, s + start, i - start);
		buf_append(out, fffd, 3);
		i++;
		start = i;
	}
	if (n > start)
		buf_append(out, s + start, n - start);
	return out->failed;
}

char *convert_utf8_dup(const char *s, size_t n)
{
	struct buf b = BUF_INIT(BUF_CAP_TEMPLATE);

	if (convert_utf8_repair(&b, s ? s : "", s ? n : 0) != 0)
		return NULL;
	return buf_take(&b);
}
