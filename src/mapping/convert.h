#ifndef QS_CONVERT_H
#define QS_CONVERT_H

#include "util/buf.h"

#include <stddef.h>

/*
 * Pure conversions from a resolved template string to the typed value SOAR
 * expects. No I/O, no time zone: dates without an offset are UTC.
 * Every function trims ASCII white space around the input first.
 */

/* Booleans and integers: util/text.h (text_bool, text_int; "3.0" is no
 * integer: SOAR number fields are integers and truncating would silently
 * change the data). */

/*
 * A date or date-time into epoch milliseconds (UTC). Accepted forms:
 *   epoch seconds with optional fraction   "1689609696.996" (Splunk _time)
 *   YYYY/MM/DD                             UTC midnight
 *   YYYY/MM/DD HH:MM:SS [±HHMM | ±HH:MM]   UTC unless an offset is given
 *   ISO 8601: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.fff]][Z | ±HH:MM | ±HHMM]
 * Returns 0, or -1 when s is none of these or a part is out of range.
 * Details: exactly 13 digits without a fraction are epoch milliseconds;
 * other plain numbers are seconds (at most 11 integer digits, fraction
 * truncated to ms). The slash form needs seconds when a time is given.
 * Months, days per month (leap years), hours 0-23, minutes 0-59, seconds
 * 0-60 and offsets up to ±23:59 are checked. A date alone is UTC midnight.
 */
int convert_date_ms(const char *s, long long *out_ms);

/*
 * Splits a multiselect input "a, b, 'c, d'" into items: comma-separated,
 * items trimmed, single quotes around an item protect its commas and
 * spaces (typographic quotes U+2018/U+2019 too, as IBM's guide prints
 * them); a quote that does not close a whole item is literal; empty items
 * skipped. Calls emit for each item (NUL-terminated);
 * returns the number of items, or -1 when emit fails / out of memory.
 */
int convert_split_list(const char *s, int (*emit)(void *arg, const char *item),
		       void *arg);

/*
 * One value of a SOAR user field (input types select_owner and
 * multiselect_members: owner_id, members), read as IBM's add-on read it:
 *   digits only        a user (or group) id: CONVERT_USER_ID, *id set
 *   "Name (email)"     the email inside the last parentheses, when that
 *                      text holds an '@' (what SOAR's UI shows for a user)
 *   anything else      taken whole: an email or a group name
 * For CONVERT_USER_TEXT, [*b, *e) is the text, trimmed, inside s.
 * Returns -1 for an empty value.
 */
enum { CONVERT_USER_TEXT = 0, CONVERT_USER_ID = 1 };
int convert_user(const char *s, const char **b, const char **e, long long *id);

/* Appends s (n bytes) to out with every invalid UTF-8 sequence and every
 * NUL replaced by U+FFFD, so jansson always accepts the result. Returns 0
 * or a buf_err. */
int convert_utf8_repair(struct buf *out, const char *s, size_t n);

/* A malloc'd, repaired copy of s (n bytes); NULL on out of memory. */
char *convert_utf8_dup(const char *s, size_t n);

#endif
