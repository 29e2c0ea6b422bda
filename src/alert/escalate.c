#include "alert/escalate.h"
#include "util/names.h"
#include "util/exitcodes.h"
#include "util/keylock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A copy of the first value of field name into *out (NULL when the row
 * has none); -1 on out of memory. */
static int copy_first(const struct row *row, const char *name, char **out)
{
	const struct field *f = row_field(row, name);

	*out = NULL;
	if (!f || !f->nvals)
		return 0;
	*out = strdup(f->vals[0]);
	return *out ? 0 : -1;
}

struct esc_row *esc_row_from(struct engine_row *er)
{
	struct esc_row *row = calloc(1, sizeof(*row));

	if (!row) {
		case_row_free(&er->cr);
		return NULL;
	}
	snprintf(row->rid, sizeof(row->rid), "%s", er->rid);
	row->cr = er->cr;
	memset(&er->cr, 0, sizeof(er->cr));
	/* a value lost to out of memory would silently skip the notable
	 * comment: the row fails instead */
	if (copy_first(er->row, "event_id", &row->event_id) ||
	    copy_first(er->row, "orig_sid", &row->orig_sid) ||
	    copy_first(er->row, "orig_rid", &row->orig_rid)) {
		esc_row_free(row);
		return NULL;
	}
	return row;
}

void esc_row_free(struct esc_row *row)
{
	if (!row)
		return;
	case_row_free(&row->cr);
	free(row->event_id);
	free(row->orig_sid);
	free(row->orig_rid);
	free(row);
}

int esc_lane_open(struct esc_lane **out, struct soar *soar, struct splunkd *sd,
		  char *err, size_t n)
{
	struct esc_lane *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	if ((soar && soar_clone(&l->soar, soar, err, n)) ||
	    splunkd_clone(&l->sd, sd, err, n)) {
		esc_lane_free(l);
		return -1;
	}
	*out = l;
	return 0;
}

void esc_lane_free(struct esc_lane *l)
{
	if (!l)
		return;
	soar_free(l->soar);
	splunkd_free(l->sd);
	free(l);
}

const char *esc_row_key(const struct esc_ctx *x, const struct esc_row *row)
{
	return x->duplicates ? NULL : row->cr.dedup_key;
}

/* SOAR's refusal of this row's data is the row's failure; anything else
 * means SOAR itself was not usable. */
static enum esc_class class_of(int soar_rc)
{
	return soar_rc == SOAR_NOMEM ? ESC_INTERNAL
	       : soar_rc == SOAR_REFUSED || soar_rc == SOAR_CONFLICT ? ESC_DATA
								     : ESC_SOAR;
}

/* Finds the open case of the row's notable and updates it, or creates
 * one. */
static void escalate_case(const struct esc_ctx *x, struct soar *soar,
			  const struct case_row *cr, struct esc_result *res)
{
	struct keylock lock = KEYLOCK_INIT;
	json_t *found = NULL;
	int rc = 0, lookup;

	lookup = !x->duplicates && cr->dedup_key &&
		 catalog_field(x->cat, QS_NOTABLE_KEY);
	/* Another process may be between its lookup and its create for this
	 * notable: the lock spans both (a file lock held across the network
	 * calls on purpose; the SOAR client's budget bounds them). */
	if (lookup && x->lock_dir) {
		rc = keylock_acquire(&lock, x->lock_dir, cr->dedup_key,
				     x->lock_wait_ms, res->error,
				     sizeof(res->error));
		if (rc == KEYLOCK_TIMEOUT) {
			res->outcome = ESC_FAILED;
			res->fail = ESC_SOAR;
			return;
		}
		if (rc != KEYLOCK_OK)
			warnf("%s; escalating without it", res->error);
		rc = 0;
	}
	if (lookup)
		rc = soar_find_open_case(soar, cr->dedup_key, &found,
					 res->error, sizeof(res->error));
	if (rc == 0 && found) {
		res->update = 1;
		res->case_id = json_integer_value(json_object_get(found, "id"));
		res->changed = json_object();
		res->added = json_array();
		if (!res->changed || !res->added) {
			snprintf(res->error, sizeof(res->error),
				 "out of memory");
			rc = SOAR_NOMEM;
		}
		if (rc == 0)
			rc = soar_update_case(
				soar, found, cr->changes, &res->fields_changed,
				res->changed, res->error, sizeof(res->error));
		if (rc == 0)
			rc = soar_add_artifacts(
				soar, res->case_id, cr->artifacts,
				&res->artifacts_added, res->added, res->error,
				sizeof(res->error));
	} else if (rc == 0) {
		/* the look-before-resend needs the same lookup as above */
		rc = soar_create_case(
			soar, cr->body, lookup ? cr->dedup_key : NULL,
			&res->case_id, res->error, sizeof(res->error));
	}
	keylock_release(&lock);
	json_decref(found);
	if (rc) {
		res->outcome = ESC_FAILED;
		res->fail = class_of(rc);
		res->unknown = rc == SOAR_UNKNOWN;
		return;
	}
	res->outcome = !res->update ? ESC_CREATED
		       : res->fields_changed || res->artifacts_added
			       ? ESC_UPDATED
			       : ESC_UNCHANGED;
}

void escalate_comment(struct soar *soar, struct splunkd *sd,
		      const struct esc_row *row, struct esc_result *res)
{
	char text[4096], err[1024];
	char *url = soar_case_url(soar, res->case_id);
	json_t *ans = NULL;
	int rc;

	if (res->outcome == ESC_CREATED)
		snprintf(text, sizeof(text), "QRadar SOAR Case ID: %lld\n%s",
			 res->case_id, url ? url : "");
	else
		snprintf(text, sizeof(text),
			 "Updated case %lld in QRadar SOAR\n%s", res->case_id,
			 url ? url : "");
	free(url);
	{
		/* output_mode in the form too, as the endpoint documents it
		 * (splunkd_post_form also puts it in the query) */
		const char *kv[] = { "ruleUIDs", row->event_id, "comment",
				     text,	 "output_mode", "json",
				     NULL };

		rc = splunkd_post_form(sd, "/services/notable_update", kv, &ans,
				       err, sizeof(err));
	}
	if (rc == 0 && !json_is_true(json_object_get(ans, "success"))) {
		const char *m =
			json_string_value(json_object_get(ans, "message"));

		snprintf(err, sizeof(err), "notable_update refused: %s",
			 m ? m : "success is not true");
		rc = -1;
	}
	json_decref(ans);
	if (rc) {
		res->comment_failed = 1;
		snprintf(res->comment_error, sizeof(res->comment_error),
			 "Could not comment on notable %s: %s", row->event_id,
			 err);
	}
}

void escalate_row(const struct esc_ctx *x, struct soar *soar,
		  struct splunkd *sd, const struct esc_row *row,
		  struct esc_result *res)
{
	memset(res, 0, sizeof(*res));
	if (row->cr.error) {
		escalate_fail(res, ESC_DATA, row->cr.error);
		return;
	}
	escalate_case(x, soar, &row->cr, res);
	if (res->case_id > 0) {
		char *url = soar_case_url(soar, res->case_id);

		snprintf(res->case_url, sizeof(res->case_url), "%s",
			 url ? url : "");
		free(url);
	}
	/* nothing changed, nothing to say: a search that keeps firing must
	 * not flood the notable's history */
	if ((res->outcome == ESC_CREATED || res->outcome == ESC_UPDATED) &&
	    row->event_id && row->event_id[0])
		escalate_comment(soar, sd, row, res);
}

void escalate_result_free(struct esc_result *res)
{
	json_decref(res->changed);
	json_decref(res->added);
	res->changed = res->added = NULL;
}

void escalate_fail(struct esc_result *res, enum esc_class fail, const char *why)
{
	memset(res, 0, sizeof(*res));
	res->outcome = ESC_FAILED;
	res->fail = fail;
	snprintf(res->error, sizeof(res->error), "%s", why);
}

static const char *outcome_word(const struct esc_result *res)
{
	switch (res->outcome) {
	case ESC_CREATED:
		return "created";
	case ESC_UPDATED:
		return "updated";
	case ESC_UNCHANGED:
		return "unchanged";
	default:
		return res->queued ? "queued" : "failed";
	}
}

/* A CAM line for row; status NULL for a line that is no outcome (the
 * mapping warnings). extra: key, value pairs, NULL-terminated; empty
 * values are left out by log_cam. */
static void cam(const struct esc_ctx *x, const struct esc_row *row,
		enum log_level lvl, const char *status, const char *signature,
		const char *const *extra)
{
	log_cam(lvl, x->cam, row->rid, row->orig_sid, row->orig_rid, signature,
		status, extra);
}

/* Why SOAR refused a row's data, and what to do: the fix of a failure. */
static const char *failure_fix(const struct esc_row *row,
			       const struct esc_result *res)
{
	if (res->queued && res->queued_for_fix)
		return "Fix what the message names on the add-on's setup page: the row waits in the delivery queue and the replay sends it once the fix is in (Escalations dashboard, Delivery queue).";
	if (res->queued)
		return "Nothing to do once SOAR and splunkd answer again: the row waits in the delivery queue and is sent again (Escalations dashboard, Delivery queue).";
	if (row->cr.error)
		return "Fix the alert's mapping (Edit alert > QRadar SOAR), then check it with bin/qradar_soar --dry-run.";
	if (res->fail == ESC_DATA)
		return "Compare the alert's mappings with the org's fields (SOAR's message says which), then check them with bin/qradar_soar --dry-run; the case body is in the log (unsent case body).";
	if (res->unknown)
		return "Look for the case in SOAR before sending it again; the case body is in the log.";
	return "";
}

static void report_failure(const struct esc_ctx *x, const struct esc_row *row,
			   const struct esc_result *res)
{
	char sig[3200];
	char *body;
	const char *extra[] = { "event_id", row->event_id,
				"fix",	    failure_fix(row, res),
				"outcome",  outcome_word(res),
				NULL };

	if (row->cr.error)
		snprintf(sig, sizeof(sig), "Case not created: %s", res->error);
	else if (res->unknown)
		snprintf(sig, sizeof(sig),
			 "QRadar SOAR case creation outcome unknown: %s",
			 res->error);
	else
		snprintf(sig, sizeof(sig), "QRadar SOAR case not %s: %s",
			 res->update ? "updated" : "created", res->error);
	if (res->queued_note[0]) {
		size_t k = strlen(sig);

		snprintf(sig + k, sizeof(sig) - k, "; %s", res->queued_note);
	}
	errorf("rid=%s: %s", row->rid, sig);
	cam(x, row, LOG_ERROR, "failure", sig, extra);
	/* a queued body is in the queue; only one that is not is logged */
	if (!row->cr.body || res->queued)
		return;
	/* nothing is lost: the body can be replayed from the log */
	body = json_dumps(row->cr.body, JSON_COMPACT);
	log_file_only(
		LOG_ERROR, "rid=%s %s: %s", row->rid,
		res->unknown
			? "case body sent, outcome unknown (check SOAR before replaying)"
			: "unsent case body",
		body ? body : "(out of memory)");
	free(body);
}

/* One WARNING CAM line per piece of mapped data the case lacks. */
static void report_left_out(const struct esc_ctx *x, const struct esc_row *row,
			    const char *idtext)
{
	char sig[2600];
	size_t i;
	json_t *o;

	json_array_foreach(row->cr.left_out, i, o) {
		const char *extra[] = {
			"case_id",
			idtext,
			"event_id",
			row->event_id,
			"field",
			json_string_value(json_object_get(o, "field")),
			"value",
			json_string_value(json_object_get(o, "value")),
			"problem",
			json_string_value(json_object_get(o, "problem")),
			"fix",
			json_string_value(json_object_get(o, "fix")),
			NULL
		};

		snprintf(sig, sizeof(sig), "QRadar SOAR case %s lacks data: %s",
			 idtext, json_string_value(json_object_get(o, "text")));
		cam(x, row, LOG_WARN, NULL, sig, extra);
	}
}

void escalate_report(const struct esc_ctx *x, const struct esc_row *row,
		     const struct esc_result *res)
{
	char sig[512], idtext[32], changed[32], added[32], lost[32];
	size_t nlost = json_array_size(row->cr.left_out);
	const char *extra[] = { "artifacts_added",
				added,
				"case_id",
				idtext,
				"case_url",
				res->case_url,
				"event_id",
				row->event_id,
				"fields_changed",
				changed,
				"fields_left_out",
				lost,
				"outcome",
				outcome_word(res),
				NULL };

	if (row->cr.body && log_enabled(LOG_DEBUG)) {
		char *b =
			json_dumps(row->cr.body, JSON_COMPACT | JSON_SORT_KEYS);

		debugf("rid=%s: case body %s", row->rid,
		       b ? b : "(out of memory)");
		free(b);
	}
	if (res->outcome == ESC_FAILED) {
		report_failure(x, row, res);
		return;
	}
	snprintf(idtext, sizeof(idtext), "%lld", res->case_id);
	snprintf(lost, sizeof(lost), "%zu", nlost);
	changed[0] = added[0] = '\0';
	if (res->outcome != ESC_CREATED) {
		snprintf(changed, sizeof(changed), "%d", res->fields_changed);
		snprintf(added, sizeof(added), "%d", res->artifacts_added);
	}
	report_left_out(x, row, idtext);
	if (res->outcome == ESC_CREATED)
		snprintf(sig, sizeof(sig), "Created QRadar SOAR case %lld",
			 res->case_id);
	else if (res->outcome == ESC_UPDATED)
		snprintf(
			sig, sizeof(sig),
			"Updated QRadar SOAR case %lld (%d fields, %d new artifacts)",
			res->case_id, res->fields_changed,
			res->artifacts_added);
	else
		snprintf(
			sig, sizeof(sig),
			"QRadar SOAR case %lld unchanged: it already has every mapped value and artifact (no notable comment)",
			res->case_id);
	if (nlost)
		snprintf(
			sig + strlen(sig), sizeof(sig) - strlen(sig),
			"; %zu piece%s of mapped data left out (see the warnings)",
			nlost, nlost == 1 ? "" : "s");
	cam(x, row, nlost ? LOG_WARN : LOG_INFO, "success", sig, extra);
	if (res->comment_failed) {
		const char *cextra[] = { "case_id", idtext, "event_id",
					 row->event_id, NULL };

		char csig[2200];

		snprintf(csig, sizeof(csig), "%s%s%s", res->comment_error,
			 res->queued_note[0] ? "; " : "", res->queued_note);
		errorf("rid=%s: %s", row->rid, csig);
		cam(x, row, LOG_ERROR, "failure", csig, cextra);
	}
}

int escalate_exit_code(const struct esc_result *res)
{
	if (res->outcome != ESC_FAILED)
		return res->comment_failed ? EXIT_NOTABLE : EXIT_OK;
	return res->fail == ESC_INTERNAL ? EXIT_INTERNAL
	       : res->fail == ESC_SOAR	 ? EXIT_SOAR
					 : EXIT_ROWS;
}
