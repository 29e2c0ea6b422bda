#include "mapping/config.h"
#include "util/text.h"
#include "util/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Decisions beyond the header:
 *  - An empty number (port "", num_events "") means the default.
 *  - Keys may carry Splunk's "param." prefix (savedsearches.conf form); it
 *    is ignored.
 */

static char *trim_dup(const char *b, size_t n)
{
	char *r = strndup(b, n), *t;

	if (!r)
		return NULL;
	t = text_trim(r);
	memmove(r, t, strlen(t) + 1);
	return r;
}

static const char *str_of(json_t *conf, const char *key)
{
	char pk[64];
	json_t *v = json_object_get(conf, key);

	if (!v) {
		snprintf(pk, sizeof pk, "param.%s", key);
		v = json_object_get(conf, pk);
	}
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int int_of(json_t *conf, const char *key, int def, int lo, int hi,
		  int *out, char *err, size_t errlen)
{
	const char *s = str_of(conf, key);
	long long v;

	if (text_is_blank(s)) {
		*out = def;
		return 0;
	}
	if (text_int(s, lo, hi, &v)) {
		snprintf(
			err, errlen,
			"configuration: %s must be an integer from %d to %d, not \"%.40s\"",
			key, lo, hi, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int bool_of(json_t *conf, const char *key, int *out, char *err,
		   size_t errlen)
{
	const char *s = str_of(conf, key);
	int v = text_bool(s);

	if (v < 0) {
		snprintf(
			err, errlen,
			"configuration: %s must be a boolean (true/false, 1/0, yes/no, on/off), not \"%.40s\"",
			key, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* sync_since: epoch seconds, or -1 when blank. */
static int since_of(json_t *conf, long long *out, char *err, size_t errlen)
{
	const char *s = str_of(conf, "sync_since");

	*out = -1;
	if (text_is_blank(s))
		return 0;
	/* up to the year 9999: a millisecond mark stays exact in a double */
	if (text_int(s, 0, 253402300799LL, out)) {
		snprintf(
			err, errlen,
			"configuration: sync_since must be a time in epoch seconds, not \"%.40s\"",
			s);
		return -1;
	}
	return 0;
}

static int cmp_map(const void *a, const void *b)
{
	return strcmp(((const struct mapping *)a)->key,
		      ((const struct mapping *)b)->key);
}

/* N of "artifactN…" (1..99) and the rest after the digits, or 0. */
static int art_num(const char *k, const char **rest)
{
	int n = 0, nd = 0;

	if (strncmp(k, "artifact", 8) != 0)
		return 0;
	k += 8;
	if (*k == '0')
		return 0;
	while (*k >= '0' && *k <= '9' && nd < 3) {
		n = n * 10 + (*k - '0');
		k++;
		nd++;
	}
	if (nd == 0 || n < 1 || n > QS_NUM_ARTIFACTS_MAX)
		return 0;
	*rest = k;
	return n;
}

struct slot {
	const char *combined, *type, *value, *desc;
};

static int split_combined(struct artifact_tmpl *a, const char *s)
{
	const char *p1 = strchr(s, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;

	if (!p1) {
		a->type = trim_dup(s, strlen(s));
		a->value = trim_dup("", 0);
		a->desc = trim_dup("", 0);
	} else {
		a->type = trim_dup(s, (size_t)(p1 - s));
		if (p2) {
			a->value = trim_dup(p1 + 1, (size_t)(p2 - p1 - 1));
			a->desc = trim_dup(p2 + 1, strlen(p2 + 1));
		} else {
			a->value = trim_dup(p1 + 1, strlen(p1 + 1));
			a->desc = trim_dup("", 0);
		}
	}
	return a->type && a->value && a->desc ? 0 : -1;
}

/* The connection settings and switches; 0, or -1 with err. */
static int load_settings(struct action_config *out, json_t *conf,
			 char *err, size_t errlen)
{
	out->host = str_of(conf, "host");
	out->org = str_of(conf, "org");
	out->user = str_of(conf, "user");
	out->verify = str_of(conf, "verify");
	out->proxy_host = str_of(conf, "proxy_host");
	out->proxy_user = str_of(conf, "proxy_user");
	if (int_of(conf, "port", QS_PORT_DEFAULT, 1, QS_PORT_MAX, &out->port,
		   err, errlen) ||
	    int_of(conf, "proxy_port", 0, 0, QS_PORT_MAX, &out->proxy_port, err,
		   errlen) ||
	    int_of(conf, "num_artifacts", QS_NUM_ARTIFACTS_DEFAULT, 1,
		   QS_NUM_ARTIFACTS_MAX, &out->num_artifacts, err, errlen) ||
	    int_of(conf, "num_events", QS_NUM_EVENTS_DEFAULT, 1,
		   QS_NUM_EVENTS_MAX, &out->num_events, err, errlen) ||
	    bool_of(conf, "api_keys", &out->api_keys, err, errlen) ||
	    bool_of(conf, "duplicates", &out->duplicates, err, errlen))
		return -1;
	out->note_on_update = 1;
	if (!text_is_blank(str_of(conf, "note_on_update")) &&
	    bool_of(conf, "note_on_update", &out->note_on_update, err, errlen))
		return -1;
	if (bool_of(conf, "sync_closed", &out->sync_closed, err, errlen) ||
	    int_of(conf, "sync_close_status", QS_SYNC_CLOSE_STATUS_DEFAULT, 0,
		   QS_SYNC_CLOSE_STATUS_MAX, &out->sync_close_status, err,
		   errlen) ||
	    since_of(conf, &out->sync_since, err, errlen))
		return -1;
	return 0;
}

/* The mapping_<field> templates into out->maps, sorted, each field once,
 * and the artifact keys into slots; 0, or -1 on out of memory. */
static int load_maps(struct action_config *out, json_t *conf,
		     struct slot *slots)
{
	const char *key;
	json_t *val;
	size_t nm = 0, i;
	int n;

	out->maps = calloc(json_object_size(conf) + 1, sizeof *out->maps);
	if (!out->maps)
		return -1;
	json_object_foreach(conf, key, val) {
		const char *k = key, *rest = NULL;

		if (!json_is_string(val))
			continue;
		if (strncmp(k, "param.", 6) == 0)
			k += 6;
		if (strncmp(k, "mapping_", 8) == 0 && k[8]) {
			out->maps[nm].key = k + 8;
			out->maps[nm].tmpl = json_string_value(val);
			nm++;
			continue;
		}
		n = art_num(k, &rest);
		if (!n)
			continue;
		if (!*rest)
			slots[n].combined = json_string_value(val);
		else if (!strcmp(rest, "type"))
			slots[n].type = json_string_value(val);
		else if (!strcmp(rest, "value"))
			slots[n].value = json_string_value(val);
		else if (!strcmp(rest, "description"))
			slots[n].desc = json_string_value(val);
	}
	out->nmaps = nm;
	qsort(out->maps, nm, sizeof *out->maps, cmp_map);
	/* A key both with and without "param." keeps the first after sorting;
	 * drop exact duplicates so a field is set once. */
	for (i = 1; i < out->nmaps;) {
		if (!strcmp(out->maps[i].key, out->maps[i - 1].key)) {
			memmove(&out->maps[i], &out->maps[i + 1],
				(out->nmaps - i - 1) * sizeof *out->maps);
			out->nmaps--;
		} else {
			i++;
		}
	}
	return 0;
}

/* The artifact templates of slots 1..num_artifacts (as IBM's add-on
 * reads them; filled slots beyond are only counted); 0, or -1 on out of
 * memory. */
static int load_artifacts(struct action_config *out, const struct slot *slots)
{
	int n;

	out->arts = calloc(QS_NUM_ARTIFACTS_MAX, sizeof *out->arts);
	if (!out->arts)
		return -1;
	for (n = 1; n <= QS_NUM_ARTIFACTS_MAX; n++) {
		const struct slot *s = &slots[n];
		struct artifact_tmpl *a = &out->arts[out->narts];

		if (n > out->num_artifacts) {
			out->arts_ignored += !text_is_blank(s->combined) ||
					     !text_is_blank(s->type) ||
					     !text_is_blank(s->value);
			continue;
		}
		if (!text_is_blank(s->combined)) {
			a->n = n;
			out->narts++;
			if (split_combined(a, s->combined))
				return -1;
		} else if (!text_is_blank(s->type) ||
			   !text_is_blank(s->value)) {
			a->n = n;
			out->narts++;
			a->type = trim_dup(s->type ? s->type : "",
					   s->type ? strlen(s->type) : 0);
			a->value = trim_dup(s->value ? s->value : "",
					    s->value ? strlen(s->value) : 0);
			a->desc = trim_dup(s->desc ? s->desc : "",
					   s->desc ? strlen(s->desc) : 0);
			if (!a->type || !a->value || !a->desc)
				return -1;
		}
	}
	return 0;
}

int config_load(struct action_config *out, json_t *conf, char *err,
		size_t errlen)
{
	struct slot slots[QS_NUM_ARTIFACTS_MAX + 1];

	memset(out, 0, sizeof *out);
	memset(slots, 0, sizeof slots);
	if (!json_is_object(conf)) {
		snprintf(err, errlen, "configuration: not an object");
		return -1;
	}
	out->conf = json_incref(conf);
	if (load_settings(out, conf, err, errlen))
		goto fail;
	if (load_maps(out, conf, slots) || load_artifacts(out, slots)) {
		snprintf(err, errlen, "configuration: out of memory");
		goto fail;
	}
	return 0;
fail:
	config_free(out);
	return -1;
}

void config_free(struct action_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; c->arts && i < c->narts; i++) {
		free(c->arts[i].type);
		free(c->arts[i].value);
		free(c->arts[i].desc);
	}
	free(c->arts);
	free(c->maps);
	json_decref(c->conf);
	memset(c, 0, sizeof *c);
}

int config_ignored_text(const struct action_config *c, char *out, size_t n)
{
	if (c->arts_ignored <= 0)
		return 0;
	snprintf(
		out, n,
		"%d artifact slot%s beyond num_artifacts = %d hold%s a value and %s not read (IBM's add-on did not read them either); raise \"Max artifacts per alert\" on the add-on's setup page to use %s",
		c->arts_ignored, c->arts_ignored == 1 ? "" : "s",
		c->num_artifacts, c->arts_ignored == 1 ? "s" : "",
		c->arts_ignored == 1 ? "is" : "are",
		c->arts_ignored == 1 ? "it" : "them");
	return 1;
}
