#ifndef QS_CASEBUILD_H
#define QS_CASEBUILD_H

#include "mapping/catalog.h"
#include "mapping/config.h"
#include "mapping/tokens.h"

#include <jansson.h>

/*
 * Turns one result row into the body of POST /rest/orgs/{org}/incidents.
 * Rules (the README's "Mapping rules" restates them for admins):
 *  - built-ins at top level, fields with a prefix nested under it
 *    ("properties": {…}, "pii": {…});
 *  - text → string (multivalues joined by ','); textarea with rich_text and
 *    description → {"format":"html","content":…} with token values
 *    HTML-escaped and the template's markup kept; other textareas → string;
 *  - boolean 1/true/yes/on | 0/false/no/off; number → JSON integer;
 *  - select → the enabled choice's id found by exact label; else 1/true
 *    and 0/false pick a Yes/No (or True/False) choice, as IBM's add-on
 *    did (fielddef_yes_no_choice);
 *    multiselect → list of ids from "a, b, 'c, d'";
 *  - user fields (select_owner, multiselect_members: owner_id, members) →
 *    an id (digits) as a number, "Name (email)" as the email, any other
 *    text (an email, a group name) as is (convert_user);
 *  - datepicker / datetimepicker → epoch ms (see convert.h);
 *  - an empty value is left out; an invalid value in an optional field is
 *    left out with a warning naming field, value and valid choices; in a
 *    required field (required == "always") the row fails;
 *  - read-only and unknown fields are skipped with a warning;
 *  - name and discovered_date are always present (defaults: the search
 *    name, else "Splunk alert"; the trigger time, else now);
 *  - properties.splunk_notable_event_id is set to the dedup key when the
 *    org has that field and the user did not map it;
 *  - artifacts: every slot config_load read (1..num_artifacts), type by
 *    name (custom types too), one artifact per value of a multivalue
 *    field, empty values skipped, duplicates (type, value) removed, at
 *    most QS_ARTIFACTS_PER_CASE_MAX (a safety cap, reported as a
 *    warning).
 * Every warning and the error name the field by its mapping key.
 */
struct case_row {
	json_t *body;	   /* the POST body with "artifacts"; NULL on error */
	json_t *changes;   /* array of {"name", "prefix" (absent for top-level
			    * fields), "input_type", "value"}: what an update
			    * of the open case may PATCH (every user-mapped
			    * field with a value, but neither the fields the
			    * server makes read-only nor the notable id) */
	json_t *artifacts; /* array of {"type","value","description"} */
	json_t *warnings;  /* array of strings; never NULL after a build */
	/* the data the case lacks, one object per warning about it:
	 * {"field": mapping key ("severity_code", "artifact3",
	 *  "artifacts"), "value": what it resolved to, "problem":
	 *  unknown_field | read_only | unmappable_type | invalid_choice |
	 *  invalid_number | invalid_date | invalid_boolean |
	 *  unknown_artifact_type | artifacts_cut, "fix": what the admin
	 *  changes, one sentence, "text": the warning}; never NULL after a
	 *  build */
	json_t *left_out;
	char *error;	  /* set when the row cannot become a case */
	char *dedup_key;  /* notable key, or NULL */
	long long now_ms; /* "now" used for defaults */
};

#define CASE_ROW_INIT                                       \
	{                                                   \
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 \
	}

/* Builds out (which must be CASE_ROW_INIT). now_ms is "now" for defaults.
 * Returns 0 (check out->error for a row failure) or -1 on out of memory. */
int casebuild_row(struct case_row *out, const struct action_config *cfg,
		  const struct catalog *cat, const struct token_ctx *ctx,
		  long long now_ms);
void case_row_free(struct case_row *r);

/* 1 for a field the builder fills when its mapping is empty or absent:
 * name (the search's name) and discovered_date (the trigger time). Such a
 * field is never a row error when empty, and the alert form does not mark
 * it required. */
int casebuild_has_fallback(const char *key);

#endif
