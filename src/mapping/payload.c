#include "mapping/payload.h"
#include "util/buf.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const string_keys[] = {
	"app",	      "owner",	     "results_file", "results_link",
	"search_uri", "server_host", "server_uri",   "session_key",
	"sid",	      "search_name", "result_id",    NULL
};

/* Text form of a JSON scalar, as Splunk would have written it. */
/* Whether as_text converts v: a NULL from it then means out of memory. */
static int has_text(const json_t *v)
{
	return json_is_string(v) || json_is_null(v) || json_is_boolean(v) ||
	       json_is_number(v);
}

static json_t *as_text(const json_t *v)
{
	char tmp[64];

	if (json_is_string(v))
		return json_incref((json_t *)v);
	if (json_is_null(v))
		return json_string("");
	if (json_is_true(v))
		return json_string("true");
	if (json_is_false(v))
		return json_string("false");
	if (json_is_integer(v)) {
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return json_string(tmp);
	}
	if (json_is_real(v)) {
		snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
		return json_string(tmp);
	}
	return NULL;
}

/* Builds the same JSON root from Splunk's XML payload:
 * <alert><key>text</key>…<configuration><stanza name="…"><param name="k">v
 * </param>…</stanza></configuration></alert>. Entities and DTDs are not
 * loaded: the parser never touches the network or the disk. */
static json_t *from_xml(const char *data, size_t len, int *nomem, char *err,
			size_t n)
{
	xmlDocPtr doc;
	xmlNodePtr root, c, s, p;
	json_t *out = NULL, *conf = NULL;

	doc = xmlReadMemory(data, (int)len, "payload.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		snprintf(err, n, "payload: invalid XML%s%s",
			 e && e->message ? ": " : "",
			 e && e->message ? e->message : "");
		if (n && strlen(err) && err[strlen(err) - 1] == '\n')
			err[strlen(err) - 1] = '\0';
		return NULL;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || xmlStrcmp(root->name, (const xmlChar *)"alert") != 0) {
		snprintf(err, n,
			 "payload: the XML root element is not <alert>");
		goto out;
	}
	out = json_object();
	if (!out)
		goto nomem;
	for (c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(c->name, (const xmlChar *)"configuration") == 0) {
			conf = json_object();
			if (!conf ||
			    json_object_set_new(out, "configuration", conf))
				goto nomem;
			for (s = c->children; s; s = s->next) {
				if (s->type != XML_ELEMENT_NODE)
					continue;
				for (p = s->children; p; p = p->next) {
					xmlChar *name, *val;

					if (p->type != XML_ELEMENT_NODE ||
					    xmlStrcmp(p->name,
						      (const xmlChar *)"param"))
						continue;
					name = xmlGetProp(
						p, (const xmlChar *)"name");
					val = xmlNodeGetContent(p);
					int bad =
						name &&
						json_object_set_new(
							conf,
							(const char *)name,
							json_string(
								val ? (const char
									       *)val
								    : ""));

					xmlFree(name);
					xmlFree(val);
					if (bad)
						goto nomem;
				}
			}
		} else if (!c->children || c->children->type == XML_TEXT_NODE) {
			xmlChar *val = xmlNodeGetContent(c);
			int bad = json_object_set_new(
				out, (const char *)c->name,
				json_string(val ? (const char *)val : ""));

			xmlFree(val);
			if (bad)
				goto nomem;
		}
	}
	goto out;
nomem:
	json_decref(out);
	out = NULL;
	*nomem = 1;
	snprintf(err, n, "out of memory");
out:
	xmlFreeDoc(doc);
	return out;
}

/* The document as JSON (from JSON or Splunk's XML form); NULL with *rc
 * and err set. */
static json_t *parse_root(const char *data, size_t len, int *rc, char *err,
			  size_t n)
{
	json_t *root;
	json_error_t je;
	size_t i = 0;
	char *near;
	int nomem = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
			   data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i == len) {
		snprintf(
			err, n,
			"payload: nothing on stdin (expected the alert payload)");
		*rc = PAYLOAD_EMPTY;
		return NULL;
	}
	if (data[i] == '<') {
		root = from_xml(data + i, len - i, &nomem, err, n);
		*rc = nomem ? PAYLOAD_NOMEM : PAYLOAD_SYNTAX;
		return root;
	}
	/* jansson leaves je unset on some early failures */
	memset(&je, 0, sizeof(je));
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (root)
		return root;
	if (json_error_code(&je) == json_error_out_of_memory) {
		snprintf(err, n, "out of memory");
		*rc = PAYLOAD_NOMEM;
		return NULL;
	}
	/* jansson quotes the input "near '…'": that piece may be the session
	 * key, so the message stops before it */
	near = strstr(je.text, " near '");
	if (near)
		*near = '\0';
	snprintf(err, n, "payload: invalid JSON at line %d column %d: %s",
		 je.line, je.column, je.text);
	*rc = PAYLOAD_SYNTAX;
	return NULL;
}

/* v in place of key's value as text: 0, PAYLOAD_BAD_KEY when v has no
 * text form, PAYLOAD_NOMEM. */
static int to_text(json_t *obj, const char *key, json_t *v)
{
	json_t *t = as_text(v);

	if (!t)
		return has_text(v) ? PAYLOAD_NOMEM : PAYLOAD_BAD_KEY;
	/* a value left as it was would break "every value is a string" */
	return json_object_set_new(obj, key, t) ? PAYLOAD_NOMEM : 0;
}

/* The keys' types: strings where strings are expected (result_id and the
 * configuration's values converted to text), an object configuration, an
 * object or null result. */
static int check_types(json_t *root, char *err, size_t n)
{
	json_t *conf, *v;
	const char *k;
	size_t i;
	int rc;

	if (!json_is_object(root)) {
		snprintf(err, n, "payload: not a JSON object");
		return PAYLOAD_SYNTAX;
	}
	for (i = 0; string_keys[i]; i++) {
		v = json_object_get(root, string_keys[i]);
		if (!v || json_is_null(v) || json_is_string(v))
			continue;
		rc = strcmp(string_keys[i], "result_id") == 0
			     ? to_text(root, string_keys[i], v)
			     : PAYLOAD_BAD_KEY;
		if (rc == PAYLOAD_BAD_KEY)
			snprintf(err, n, "payload: \"%s\" must be a string",
				 string_keys[i]);
		if (rc)
			goto out;
	}
	conf = json_object_get(root, "configuration");
	if (!json_is_object(conf)) {
		snprintf(err, n,
			 conf ? "payload: configuration is not an object"
			      : "payload: configuration is missing");
		return PAYLOAD_NO_CONFIG;
	}
	rc = 0;
	json_object_foreach(conf, k, v) {
		if (json_is_string(v))
			continue;
		rc = to_text(conf, k, v);
		if (rc == PAYLOAD_BAD_KEY)
			snprintf(
				err, n,
				"payload: configuration value \"%s\" must be a string",
				k);
		if (rc)
			goto out;
	}
	v = json_object_get(root, "result");
	if (v && !json_is_object(v) && !json_is_null(v)) {
		snprintf(err, n, "payload: \"result\" must be an object");
		return PAYLOAD_BAD_KEY;
	}
out:
	if (rc == PAYLOAD_NOMEM)
		snprintf(err, n, "out of memory");
	return rc;
}

static const char *str(const json_t *root, const char *key)
{
	return json_string_value(json_object_get(root, key));
}

int payload_parse(struct payload *p, const char *data, size_t len, char *err,
		  size_t n)
{
	json_t *root, *result;
	int rc;

	memset(p, 0, sizeof(*p));
	root = parse_root(data, len, &rc, err, n);
	if (!root)
		return rc;
	rc = check_types(root, err, n);
	if (rc) {
		json_decref(root);
		return rc;
	}
	result = json_object_get(root, "result");
	p->root = root;
	p->app = str(root, "app");
	p->owner = str(root, "owner");
	p->results_file = str(root, "results_file");
	p->results_link = str(root, "results_link");
	p->search_uri = str(root, "search_uri");
	p->server_host = str(root, "server_host");
	p->server_uri = str(root, "server_uri");
	p->session_key = str(root, "session_key");
	p->sid = str(root, "sid");
	p->search_name = str(root, "search_name");
	p->result_id = str(root, "result_id");
	p->configuration = json_object_get(root, "configuration");
	p->result = json_is_object(result) ? result : NULL;
	return PAYLOAD_OK;
}

int payload_read_fd(struct payload *p, int fd, char *err, size_t n)
{
	/* the raw bytes hold the session key: every copy is wiped */
	struct buf b = BUF_INIT_SECRET(BUF_CAP_STDIN);
	char chunk[65536];
	ssize_t got;
	int rc;

	memset(p, 0, sizeof(*p));
	for (;;) {
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, n, "payload: cannot read stdin: %s",
				 strerror(errno));
			buf_free(&b);
			return PAYLOAD_EMPTY;
		}
		if (got == 0)
			break;
		if (buf_append(&b, chunk, (size_t)got)) {
			snprintf(
				err, n,
				b.failed == BUF_TOOBIG
					? "payload: larger than the 256 MB limit"
					: "out of memory");
			buf_free(&b);
			return b.failed == BUF_TOOBIG ? PAYLOAD_SYNTAX
						      : PAYLOAD_NOMEM;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	rc = payload_parse(p, buf_str(&b), b.len, err, n);
	buf_free(&b);
	return rc;
}

void payload_free(struct payload *p)
{
	if (p->session_key)
		explicit_bzero((char *)p->session_key, strlen(p->session_key));
	json_decref(p->root);
	memset(p, 0, sizeof(*p));
}

const char *payload_digest_mode(const struct payload *p)
{
	if ((p->result_id && *p->result_id) ||
	    (p->results_file && strstr(p->results_file, "/per_result_alert/")))
		return "0";
	return "1";
}

const char *payload_action_mode(const struct payload *p)
{
	return (p->sid && strstr(p->sid, "scheduler")) ? "saved" : "adhoc";
}
