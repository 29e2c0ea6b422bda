#ifndef QS_NAMES_H
#define QS_NAMES_H

/*
 * The names and limits both programs share, each written once: the app's
 * REST paths, the notable key, the storage/passwords realms, and the
 * ranges and defaults of the numeric settings.
 */

/* The app, its alert action and its namespace on splunkd's REST API (the
 * app's own objects are shared: owner nobody). */
#define QS_APP "SA_QRadar_SOAR"
#define QS_ACTION "qradar_soar"
#define QS_NS "/servicesNS/nobody/" QS_APP
/* The app's own settings file, qradar_soar.conf. */
#define QS_APP_CONF "qradar_soar"
/* The alert action's own defaults (alert_actions.conf [qradar_soar]). */
#define QS_ACTION_PATH QS_NS "/alerts/alert_actions/" QS_ACTION
/* A .conf file of the app through the configs endpoint: QS_CONF "<file>". */
#define QS_CONF QS_NS "/configs/conf-"
/* The app's storage/passwords collection. */
#define QS_PASSWORDS_PATH QS_NS "/storage/passwords"

/* The bulletin messages (/services/messages) a failed run and a failed
 * setup post. */
#define QS_MESSAGE_RUN QS_APP "_failure"
#define QS_MESSAGE_SETUP QS_APP "_setup"

/* storage/passwords realms: the SOAR secret under QS_REALM_PREFIX<host>
 * (IBM's entity, so credentials survive the upgrade), the proxy password
 * under QS_PROXY_REALM with the proxy user as username. */
#define QS_REALM_PREFIX QS_APP "_"
#define QS_PROXY_REALM QS_APP "_proxy"

/* The SOAR custom field holding a row's notable key (IBM's name), and its
 * mapping key: a case carrying it is the notable's case. */
#define QS_NOTABLE_FIELD "splunk_notable_event_id"
#define QS_NOTABLE_KEY "properties." QS_NOTABLE_FIELD

/* The shipped search that closes the notables of closed SOAR cases
 * (mode = sync), enabled and disabled by setup with sync_closed. */
#define QS_SYNC_SEARCH "QRadar SOAR - Sync closed cases"

/*
 * Numeric settings: the range both the alert action and the setup form
 * accept, and the default of an unset value (the defaults match
 * default/alert_actions.conf and the setup page; IBM's guide sets 99 as
 * the "Max artifacts per alert" limit).
 */
#define QS_PORT_DEFAULT 443
#define QS_PROXY_PORT_DEFAULT 3128
#define QS_PORT_MAX 65535
#define QS_NUM_ARTIFACTS_MAX 99 /* also the N of artifactN: 1..99 */
/* A safety cap, not a setting: the artifacts one case takes from one row
 * (a multivalue field can hold thousands of values; SOAR would take them
 * one by one). Over it the rest is left out with a warning. */
#define QS_ARTIFACTS_PER_CASE_MAX 1000
#define QS_NUM_ARTIFACTS_DEFAULT 10
#define QS_NUM_EVENTS_MAX 10000
#define QS_NUM_EVENTS_DEFAULT 30
/* sync_close_status: an ES notable status id; 5 is "Closed" by default */
#define QS_SYNC_CLOSE_STATUS_DEFAULT 5
#define QS_SYNC_CLOSE_STATUS_MAX 99999

/*
 * Where the setup form (src/setup/setupform.c) is stricter than the alert
 * action, on purpose: the form is where an admin can still fix a value,
 * while the action must work with every saved search already written.
 *  - org and user must be given, and a secret must have at least
 *    LOG_SECRET_MIN characters (a shorter one could not be masked in the
 *    logs); a secret left empty keeps the one stored for the host and
 *    user, which must exist (the handler checks storage/passwords); the
 *    action only checks host, org and user at run time;
 *  - verify must be true or the absolute path of a readable CA file
 *    (the action also reports a bad one, when it connects);
 *  - proxy_port is required with proxy_host (the action falls back to
 *    QS_PROXY_PORT_DEFAULT), proxy_password with proxy_user unless one
 *    is stored for that proxy user;
 *  - no value may hold a control character, and each has a length limit
 *    (they are written into .conf files).
 * Booleans and integers follow the same rules in both (util/text.h).
 */

#endif
