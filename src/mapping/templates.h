#ifndef QS_TEMPLATES_H
#define QS_TEMPLATES_H

#include <jansson.h>
#include <stddef.h>

/*
 * Splunk resolves $result.x$ in the payload's configuration from the first
 * row only. For a scheduled search the alert run reads the raw templates
 * back from splunkd so every row gets its own values; this merges them:
 *  - the action's defaults: the "param.<key>" entries of
 *    alert_actions/qradar_soar's content;
 *  - the saved search's own "action.qradar_soar.param.<key>" entries over
 *    them;
 *  - a merged template without "$result." is the same for every row, and
 *    Splunk expanded tokens in it that only Splunk knows ($alert.severity$,
 *    $job.*$, $description$…): there the payload's configuration value is
 *    kept.
 * Only string values are taken. The three objects are borrowed (NULL reads
 * as empty); *out is a new object the caller owns. 0, or -1 on out of
 * memory with err set.
 */
int templates_merge(json_t **out, const json_t *defaults, const json_t *saved,
		    const json_t *configuration, char *err, size_t errlen);

#endif
