#ifndef QS_APPCONF_H
#define QS_APPCONF_H

#include "net/splunkd.h"
#include "util/log.h"

#include <jansson.h>
#include <stddef.h>

/*
 * The app's own settings and IBM's stored configuration, read through
 * splunkd's REST API (configs/conf-<file>/<stanza> in the app's
 * namespace), so a search head cluster's replicated copy is what counts.
 */

/* qradar_soar.conf [logging] log_level (README/qradar_soar.conf.spec). */
#define APPCONF_LOGGING_STANZA "logging"

/*
 * The log_level setting. *lvl is LOG_INFO unless the stanza holds a valid
 * level. Returns 0 (also when the file or stanza does not exist), -1 with
 * err naming the value when it is not a level, or the splunkd_err of a
 * failed read with err from splunkd.
 */
int appconf_log_level(struct splunkd *d, enum log_level *lvl, char *err,
		      size_t errlen);

/*
 * IBM's add-on kept its connection settings not in alert_actions.conf but
 * in the [config] stanza of a .conf named after its action constant:
 * qradar_soar.conf (2.x) or, in the SA-Resilient era, sa_resilient.conf.
 * These are the keys its action read from there.
 */
extern const char *const appconf_ibm_keys[]; /* NULL-terminated */

/*
 * IBM's [config] stanza: *out is a new object holding those of
 * appconf_ibm_keys the stanza has as strings, and *file the .conf it came
 * from ("qradar_soar.conf", static); *out NULL and *file NULL when neither
 * file has the stanza. Returns 0, or a splunkd_err with err from splunkd.
 */
int appconf_ibm_config(struct splunkd *d, json_t **out, const char **file,
		       char *err, size_t errlen);

/* 1 when conf (an object of strings, keys with or without "param.") has
 * none of host, org and user set: our setup never stored a connection. */
int appconf_no_connection(const json_t *conf);

/*
 * The upgrade path from IBM's add-on: when conf (an object of strings,
 * keys with or without "param.") has no connection (appconf_no_connection),
 * each of appconf_ibm_keys that IBM's [config] stanza holds a non-blank
 * value for is set in conf under its plain name (a "param." copy of the
 * key is removed), replacing this app's shipped defaults (port 443,
 * num_artifacts 10, ...) as IBM's action ignored alert_actions.conf for
 * them. *file names the .conf the values came from ("qradar_soar.conf",
 * static), or is NULL when nothing was taken (conf has a connection, or
 * neither file has the stanza). Returns 0, or a splunkd_err with err.
 */
int appconf_fill_from_ibm(struct splunkd *d, json_t *conf, const char **file,
			  char *err, size_t errlen);

#endif
