#include "tap.h"
#include "util/text.h"
#include "mapping/tokens.h"
#include "mapping/payload.h"

#include <stdlib.h>
#include <string.h>

static const char *v_host[] = { "web01" };
static const size_t l_host[] = { 5 };
static const char *v_ip[] = { "1.2.3.4", "5.6.7.8" };
static const size_t l_ip[] = { 7, 7 };
static const char *v_sec[] = { "$result.secret$" };
static const size_t l_sec[] = { 15 };
static const char *v_html[] = { "<b>&\"'" };
static const size_t l_html[] = { 6 };
static const char *v_s[] = { "TOP" };
static const size_t l_s[] = { 3 };
static const struct field fields[] = {
	{ "host", 1, v_host, l_host },
	{ "ip", 2, v_ip, l_ip },
	{ "evil", 1, v_sec, l_sec },
	{ "html", 1, v_html, l_html },
	{ "secret", 1, v_s, l_s },
	{ "empty", 0, NULL, NULL },
	{ "we ird", 1, v_host, l_host },
};
static const struct row row = { 0, sizeof fields / sizeof fields[0], fields, NULL };

static char *ex(const char *t, const struct token_ctx *c, tokens_escape_fn esc)
{
	static char out[4096];
	struct buf b = BUF_INIT(BUF_CAP_TEMPLATE);

	if (tokens_expand(&b, t, c, esc) != 0)
		return NULL;
	snprintf(out, sizeof out, "%s", buf_str(&b));
	buf_free(&b);
	return out;
}

struct coll { char v[8][64]; int n; };
static int collect(void *arg, const char *s, size_t n)
{
	struct coll *c = arg;
	(void)n;
	if (c->n < 8)
		snprintf(c->v[c->n++], 64, "%s", s);
	return 0;
}

int main(void)
{
	struct payload p;
	struct token_ctx c = { &p, &row };
	struct token_ctx none = { NULL, NULL };
	struct coll co;

	memset(&p, 0, sizeof p);
	p.search_name = "My Search";
	p.app = "search";
	p.owner = "admin";
	p.sid = "scheduler__admin__search__RMD5_at_1689609696_123";
	p.results_link = "https://s/x";
	p.server_host = "sh1";

	is_str(ex("host=$result.host$", &c, NULL), "host=web01", "result field");
	is_str(ex("$result.ip$", &c, NULL), "1.2.3.4,5.6.7.8", "multivalue joined by ,");
	is_str(ex("[$result.missing$]", &c, NULL), "[]", "absent field empty");
	is_str(ex("[$result.empty$]", &c, NULL), "[]", "empty field empty");
	is_str(ex("$name$|$search_name$|$app$|$owner$", &c, NULL),
	       "My Search|My Search|search|admin", "payload keys");
	is_str(ex("$sid$", &c, NULL), p.sid, "sid");
	is_str(ex("$results_link$ $server_host$", &c, NULL), "https://s/x sh1", "link host");
	is_str(ex("$trigger_time$", &c, NULL), "1689609696", "trigger time");
	is_str(ex("cost $$5", &c, NULL), "cost $5", "$$ literal");
	is_str(ex("a $ b", &c, NULL), "a $ b", "lone $");
	is_str(ex("end$", &c, NULL), "end$", "trailing $");
	is_str(ex("$", &c, NULL), "$", "only $");
	is_str(ex("$result.host", &c, NULL), "$result.host", "unterminated result token");
	is_str(ex("$result.$", &c, NULL), "$result.$", "empty result name literal");
	is_str(ex("$unknown$x", &c, NULL), "x", "unknown token empty");
	is_str(ex("$a b$", &c, NULL), "$a b$", "space not a token");
	is_str(ex("$result.evil$", &c, NULL), "$result.secret$", "values not rescanned");
	is_str(ex("$result.we ird$", &c, NULL), "web01", "field name with space");
	is_str(ex("<p>$result.html$</p>", &c, text_html_escape),
	       "<p>&lt;b&gt;&amp;&quot;&#x27;</p>", "html escape values only");
	is_str(ex("$result.host$ $name$", &none, NULL), " ", "NULL ctx parts empty");
	is_str(ex("$trigger_time$", &none, NULL), "", "no sid no trigger");
	is_str(ex("$$$result.host$$$", &c, NULL), "$web01$", "$$ around token");

	memset(&co, 0, sizeof co);
	ok(tokens_expand_each("ip=$result.ip$/$result.ip$", &c, collect, &co) == 0, "each rc");
	is_int(co.n, 2, "each: one per value");
	is_str(co.v[0], "ip=1.2.3.4/1.2.3.4", "each first");
	is_str(co.v[1], "ip=5.6.7.8/5.6.7.8", "each second");
	memset(&co, 0, sizeof co);
	tokens_expand_each("$result.host$", &c, collect, &co);
	is_int(co.n, 1, "each: single value once");
	memset(&co, 0, sizeof co);
	tokens_expand_each("$result.missing$", &c, collect, &co);
	ok(co.n == 1 && co.v[0][0] == '\0', "each: absent gives one empty");
	return tap_done();
}
