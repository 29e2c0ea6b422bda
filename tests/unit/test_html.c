#include "util/html.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void check(const char *in, size_t max, const char *want, const char *name)
{
	char *got = html_to_text(in, max);

	is_str(got, want, name);
	free(got);
}

int main(void)
{
	check("", 0, "", "empty");
	check(NULL, 0, "", "NULL is empty");
	check("plain  text\there", 0, "plain text here", "no markup: spaces collapsed");
	check("<div class=\"rte\"><p>Blocked the IP</p></div>", 0,
	      "Blocked the IP", "SOAR's rich text wrapper");
	check("<p>one</p><p>two <b>bold</b></p>", 0, "one\ntwo bold",
	      "a line per paragraph, inline markup dropped");
	check("a<br>b<br/>c", 0, "a\nb\nc", "br breaks lines");
	check("<ul><li>x</li><li>y</li></ul>", 0, "x\ny", "list items");
	check("Tom &amp; Jerry &lt;3 &#8364;", 0, "Tom & Jerry <3 \xe2\x82\xac",
	      "entities decoded");
	check("<p>keep</p><script>alert(1)</script><style>p{}</style>", 0, "keep",
	      "script and style dropped");
	check("<p>\n  spread\n  over   lines\n</p>", 0, "spread over lines",
	      "source newlines are spaces");
	check("<p>unclosed <i>tags", 0, "unclosed tags", "broken markup tolerated");
	check("a < b and c > d", 0, "a < b and c > d", "bare angle brackets kept");
	check("abcdef", 3, "abc\xe2\x80\xa6", "cut with an ellipsis");
	check("\xc3\xa9\xc3\xa9", 3, "\xc3\xa9\xe2\x80\xa6", "cut at a character boundary");
	check("<p>   </p><div></div>", 0, "", "only whitespace: empty");
	return tap_done();
}
