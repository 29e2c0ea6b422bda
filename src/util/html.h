#ifndef QS_HTML_H
#define QS_HTML_H

#include <stddef.h>

/*
 * Rich text from SOAR (a resolution summary, a description: HTML such as
 * <div class="rte"><p>…</p></div>) as plain text for a Splunk comment or a
 * log line. libxml2's HTML parser reads it (entities decoded, broken markup
 * tolerated, nothing fetched); the text keeps one line per block element
 * (p, div, br, li, tr, h1-h6 …), runs of spaces and tabs become one space,
 * empty lines and script/style contents are dropped, and the result is
 * trimmed. Text that holds no markup comes back with only that whitespace
 * rule applied.
 *
 * Returns a malloc'd string (possibly ""), or NULL on out of memory. max
 * (0 = no limit) caps the result in bytes, cut at a UTF-8 character
 * boundary with "…" appended.
 */
char *html_to_text(const char *html, size_t max);

#endif
