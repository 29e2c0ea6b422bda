#include "mapping/templates.h"

#include <stdio.h>
#include <string.h>

/* Copies the string values of obj whose key starts with prefix into dst,
 * without the prefix. */
static int take_params(json_t *dst, const json_t *obj, const char *prefix)
{
	const char *k;
	json_t *v;
	size_t n = strlen(prefix);

	json_object_foreach((json_t *)obj, k, v) {
		if (strncmp(k, prefix, n) != 0 || !k[n])
			continue;
		if (json_is_string(v) && json_object_set(dst, k + n, v) != 0)
			return -1;
	}
	return 0;
}

/* Per key of raw: no $result. token → the configuration's expansion. */
static int keep_expanded(json_t *raw, const json_t *configuration)
{
	void *it;
	json_t *done;

	/* json_object_iter_set: the documented way to replace a value while
	 * iterating */
	for (it = json_object_iter(raw); it;
	     it = json_object_iter_next(raw, it)) {
		done = json_object_get(configuration, json_object_iter_key(it));
		if (json_is_string(done) &&
		    !strstr(json_string_value(json_object_iter_value(it)),
			    "$result.") &&
		    json_object_iter_set(raw, it, done) != 0)
			return -1;
	}
	return 0;
}

int templates_merge(json_t **out, const json_t *defaults, const json_t *saved,
		    const json_t *configuration, char *err, size_t errlen)
{
	json_t *merged = json_object();

	*out = NULL;
	if (!merged || take_params(merged, defaults, "param.") ||
	    take_params(merged, saved, "action.qradar_soar.param.") ||
	    keep_expanded(merged, configuration)) {
		json_decref(merged);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = merged;
	return 0;
}
