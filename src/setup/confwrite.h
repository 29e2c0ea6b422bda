#ifndef QS_CONFWRITE_H
#define QS_CONFWRITE_H

#include "mapping/catalog.h"
#include "setup/setupform.h"

#include <jansson.h>
#include <stddef.h>

/*
 * The keys a setup writes into the [qradar_soar] stanza of
 * alert_actions.conf (through splunkd's configs/conf-alert_actions, never
 * by editing a file). Pure: no I/O.
 *
 *   param.host port org user api_keys verify duplicates num_artifacts
 *         num_events proxy_host proxy_port proxy_user sync_closed
 *         sync_close_status
 *                                  the submitted values, always written
 *                                  (never a password: those live in
 *                                  storage/passwords)
 *   param.mapping_<key>            one per mappable field, <key> the API
 *                                  name with its prefix ("properties.x")
 *   param.artifactN, param.artifactNtype, param.artifactNvalue,
 *   param.artifactNdescription     N = 1..num_artifacts
 *   param.artifactN.label, param.artifactN.description
 *                                  the row's label and hint for ES 8.3's
 *                                  detection editor (as IBM's 2.4.1
 *                                  declares them): always written
 *
 * A mapping or artifact key the stanza already has (whatever its value,
 * from default/ or local/) is left out, so an admin's mapping is never
 * replaced; a missing one is written as "". Keys are never removed.
 */

/* An artifact row's hint: the alert form's help and the row's
 * param.artifactN.description. */
#define CONFWRITE_ARTIFACT_HINT \
	"type|value|description, e.g. IP Address|$result.src$|Source"

/* 1 when the alert action can set the field: writable (or one of the
 * read-only fields the engine may still set), a type the engine converts,
 * not deprecated, and a key safe as part of a .conf key name. */
int confwrite_mappable(const struct fielddef *f);

/* 1 when key ([A-Za-z0-9_.-], 1..200 bytes) can be part of a .conf key:
 * a catalogue that names a field "x = y" or "a\n[b]" must not inject a key
 * or a stanza. */
int confwrite_key_safe(const char *key);

/* 1 when s is a value a .conf line can hold: no CR, LF or other control
 * character (a line break would start a new key or [stanza]). */
int confwrite_value_safe(const char *s);

/* At most max bytes of s (valid UTF-8) copied into out (size n), cut at
 * a character boundary, control characters as spaces: server text safe
 * to quote in a one-line message or .conf value. Returns out. */
char *confwrite_quote(const char *s, size_t max, char *out, size_t n);

/* The stanza keys to POST: a new object key → string in *out.
 * existing is the stanza's current content (borrowed; NULL = empty).
 * Fields whose key is not safe are skipped with a warning appended to
 * warnings (an array; may be NULL). Returns 0, or -1 with err (out of
 * memory, or a connection value that is not safe; the form parser refuses
 * those already). *nnew gets the number of mapping keys added, *nkept the
 * number of mappable fields whose key the stanza already had. */
int confwrite_keys(const struct catalog *cat, const struct setup_form *f,
		   const json_t *existing, json_t *warnings, json_t **out,
		   int *nnew, int *nkept, char *err, size_t errlen);

/* A NULL-terminated key, value list over kv's strings for
 * splunkd_post_form (borrowed from kv; free the array only). NULL on out
 * of memory or a non-string value. */
const char **confwrite_kv_list(const json_t *kv);

#endif
