#include "net/appconf.h"
#include "util/names.h"

#include <stdio.h>
#include <string.h>

const char *const appconf_ibm_keys[] = {
	"host",	  "port",	"org",		 "user",       "api_keys",
	"verify", "duplicates", "num_artifacts", "num_events", NULL
};

/* The content of [stanza] in <file>.conf; NULL content on 404. */
static int stanza(struct splunkd *d, const char *file, const char *name,
		  json_t **feed, json_t **content, char *err, size_t errlen)
{
	char path[256];
	int rc;

	*feed = NULL;
	*content = NULL;
	snprintf(path, sizeof(path), QS_CONF "%s/%s", file, name);
	rc = splunkd_get(d, path, feed, err, errlen);
	if (rc == SPLUNKD_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	*content = splunkd_entry_content(*feed);
	return 0;
}

int appconf_log_level(struct splunkd *d, enum log_level *lvl, char *err,
		      size_t errlen)
{
	json_t *feed = NULL, *c;
	const char *v;
	int rc;

	*lvl = LOG_INFO;
	rc = stanza(d, QS_APP_CONF, APPCONF_LOGGING_STANZA, &feed, &c, err,
		    errlen);
	if (rc || !c)
		goto out;
	v = json_string_value(json_object_get(c, "log_level"));
	if (v && *v && log_level_parse(v, lvl) != 0) {
		snprintf(
			err, errlen,
			"qradar_soar.conf [logging] log_level = \"%.40s\" is not a level; use DEBUG, INFO, WARNING, ERROR or CRITICAL (INFO is used)",
			v);
		rc = -1;
	}
out:
	json_decref(feed);
	return rc;
}

int appconf_ibm_config(struct splunkd *d, json_t **out, const char **file,
		       char *err, size_t errlen)
{
	static const char *const files[] = { QS_APP_CONF, "sa_resilient",
					     NULL };
	json_t *feed = NULL, *c = NULL, *o;
	size_t i, k;
	int rc = 0;

	*out = NULL;
	*file = NULL;
	for (i = 0; files[i]; i++) {
		rc = stanza(d, files[i], "config", &feed, &c, err, errlen);
		if (rc || c)
			break;
		json_decref(feed);
		feed = NULL;
	}
	if (rc || !c)
		goto out;
	o = json_object();
	if (!o) {
		snprintf(err, errlen, "out of memory");
		rc = SPLUNKD_NOMEM;
		goto out;
	}
	for (k = 0; appconf_ibm_keys[k]; k++) {
		json_t *v = json_object_get(c, appconf_ibm_keys[k]);

		if (json_is_string(v) &&
		    json_object_set(o, appconf_ibm_keys[k], v) != 0) {
			json_decref(o);
			snprintf(err, errlen, "out of memory");
			rc = SPLUNKD_NOMEM;
			goto out;
		}
	}
	*out = o;
	*file = i == 0 ? "qradar_soar.conf" : "sa_resilient.conf";
out:
	json_decref(feed);
	return rc;
}

static int blank_key(const json_t *conf, const char *key)
{
	char pk[32];
	const char *v = json_string_value(json_object_get(conf, key));
	size_t i;

	if (!v) {
		snprintf(pk, sizeof(pk), "param.%s", key);
		v = json_string_value(json_object_get(conf, pk));
	}
	for (i = 0; v && v[i]; i++)
		if (v[i] != ' ' && v[i] != '\t')
			return 0;
	return 1;
}

int appconf_no_connection(const json_t *conf)
{
	return blank_key(conf, "host") && blank_key(conf, "org") &&
	       blank_key(conf, "user");
}

int appconf_fill_from_ibm(struct splunkd *d, json_t *conf, const char **file,
			  char *err, size_t errlen)
{
	json_t *ibm = NULL, *v;
	const char *k, *from = NULL;
	char pk[32];
	int rc, taken = 0;

	*file = NULL;
	if (!appconf_no_connection(conf))
		return 0;
	rc = appconf_ibm_config(d, &ibm, &from, err, errlen);
	if (rc || !ibm)
		return rc;
	json_object_foreach(ibm, k, v) {
		if (blank_key(ibm, k))
			continue;
		snprintf(pk, sizeof(pk), "param.%s", k);
		json_object_del(conf, pk);
		if (json_object_set(conf, k, v) != 0) {
			snprintf(err, errlen, "out of memory");
			rc = SPLUNKD_NOMEM;
			break;
		}
		taken++;
	}
	json_decref(ibm);
	if (rc == 0 && taken)
		*file = from;
	return rc;
}
