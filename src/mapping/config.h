#ifndef QS_CONFIG_H
#define QS_CONFIG_H

#include <jansson.h>
#include <stddef.h>

/*
 * The alert action's parameters, with IBM's names so saved searches of the
 * original add-on keep working:
 *   host port org user api_keys verify duplicates num_artifacts num_events
 *   proxy_host proxy_port proxy_user
 *   note_on_update           note on a case a run changed (default on)
 *   sync_closed              mode = sync closes notables (default off)
 *   sync_close_status        the ES status they get (default 5)
 *   sync_since               epoch seconds the first sync starts at
 *                            (setup sets it when sync_closed is ticked)
 *   mapping_<key>            key = field API name or "<prefix>.<name>"
 *   artifactN                "type|value|description" (parts trimmed,
 *                            description optional), N = 1..num_artifacts
 *   artifactNtype artifactNvalue artifactNdescription   the legacy trio
 * When both forms are set for one N, artifactN wins. As IBM's add-on,
 * only the slots 1..num_artifacts are read: the setup writes (and the
 * alert form shows) that many, so a slot an admin reduced away is not
 * sent; such slots that hold a value are counted in arts_ignored.
 * Templates are kept raw here; tokens are resolved per row later.
 */
struct mapping {
	const char *key;  /* "name", "properties.x"; borrowed from conf */
	const char *tmpl; /* borrowed from conf */
};

struct artifact_tmpl {
	int n;	     /* the N of artifactN */
	char *type;  /* owned, trimmed */
	char *value; /* owned, trimmed */
	char *desc;  /* owned, trimmed; "" when absent */
};

struct action_config {
	json_t *conf; /* a reference this struct owns */
	const char *host, *org, *user, *verify;
	const char *proxy_host, *proxy_user;
	int port, proxy_port;
	int api_keys, duplicates;
	int num_artifacts; /* 1..QS_NUM_ARTIFACTS_MAX (util/names.h) */
	int num_events;	   /* rows per run, 1..QS_NUM_EVENTS_MAX */
	int note_on_update;
	int sync_closed;
	int sync_close_status; /* 0..QS_SYNC_CLOSE_STATUS_MAX */
	long long sync_since;  /* -1 when unset */
	struct mapping *maps;
	size_t nmaps;
	struct artifact_tmpl *arts;
	size_t narts;
	int arts_ignored; /* filled slots N > num_artifacts, not read */
};

/* Reads conf (an object of strings; a new reference is taken). Numbers and
 * booleans follow util/text.h, with the ranges and defaults of
 * util/names.h; a bad one is an error naming the key. Missing connection keys are not
 * errors here (the dry run needs none); the online action checks them. */
int config_load(struct action_config *out, json_t *conf, char *err,
		size_t errlen);
void config_free(struct action_config *c);

/* One sentence about the slots beyond num_artifacts that hold a value
 * (arts_ignored) into out, for the run's log; 0 when there are none (out
 * untouched), 1 when out was written. */
int config_ignored_text(const struct action_config *c, char *out, size_t n);

#endif
