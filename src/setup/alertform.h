#ifndef QS_ALERTFORM_H
#define QS_ALERTFORM_H

#include "mapping/catalog.h"

#include <jansson.h>
#include <stddef.h>

/*
 * The alert action's form, as the setup writes it to
 * data/ui/alerts/qradar_soar (eai:data). Plain HTML in the look of
 * default/data/ui/alerts/qradar_soar.html, no JavaScript (ES 8's Detection
 * Editor renders plain inputs only):
 *   - one control group per mappable field (confwrite_mappable), input
 *     name "action.qradar_soar.param.mapping_<key>": a text input (a
 *     <textarea> for textarea fields), the choices of select and
 *     multiselect fields listed in the help text and offered through a
 *     <datalist> (the value stays free text, so $result.x$ tokens work);
 *     required fields marked, but for the name (the search's name stands
 *     in for an empty one);
 *   - for N = 1..num_artifacts one input, artifactN (type|value|
 *     description, the form ES 8 keeps), offering "<type>|" for each
 *     enabled, non-file artifact type. The legacy trio (artifactNtype,
 *     artifactNvalue, artifactNdescription) of older saved searches is not
 *     shown; the action still reads it, and artifactN wins over it.
 * Every text from the server (labels, choices, type names, the org name)
 * is HTML-escaped, with control characters turned into spaces.
 * Order: name, description, discovered_date, the other required fields,
 * the notable event id field, then the catalogue's order.
 */

/* A malloc'd HTML document, or NULL with err (out of memory, or larger
 * than the cap). org may be NULL. */
char *alertform_html(const struct catalog *cat, const char *org,
		     int num_artifacts, char *err, size_t errlen);

/* 1 for an artifact type the action can add: enabled, not a file type,
 * with a name. */
int alertform_artifact_type_ok(const json_t *type);

/* Appends s HTML-escaped (& < > " ' as entities, control characters as
 * spaces) to b; exposed for tests. Returns 0 or -1 (buffer failed). */
struct buf;
int alertform_escape(struct buf *b, const char *s);

#endif
