#ifndef QS_SYNC_H
#define QS_SYNC_H

#include "mapping/config.h"
#include "mapping/payload.h"
#include "net/splunkd.h"
#include "util/log.h"

#include <jansson.h>
#include <stddef.h>

/*
 * mode = sync (the shipped search "QRadar SOAR - Sync closed cases",
 * enabled by setup's "Close the notable when its SOAR case closes"):
 * the notable of each SOAR case closed since the last run is closed in
 * Enterprise Security (README "Closing the loop"). The result rows are
 * ignored. A run:
 *  1. asks nothing of SOAR when sync_closed is off;
 *  1b. takes the lock of the mark (keylock.h, on this host) without
 *     waiting: while another sync run of the same SOAR host and org
 *     holds it, this run leaves the closed cases to that one (exit 0);
 *  2. checks that sync_close_status is one of ES's enabled notable
 *     statuses (alerts/reviewstatuses; ES absent: the run fails);
 *  3. reads the mark of the SOAR host and org (below) from the KV store
 *     collection SYNC_COLLECTION; without one, the first run starts at
 *     sync_since (set by setup when the option is ticked), else now, and
 *     stores that mark before asking SOAR;
 *  4. asks SOAR (query_paged) for the closed cases carrying a notable id
 *     whose end_date is at or after the mark, oldest closing first;
 *  5. per case the mark does not cover: one notable_update (status
 *     sync_close_status, the comment sync_comment), then the mark moves
 *     past the case and is stored. A notable ES refuses for good (not a
 *     notable id, success false) is logged and passed; any other failure
 *     stops the run, and the next run starts at that case.
 * CAM lines for every notable touched; one run summary line.
 *
 * The mark: the latest closing time synced (SOAR's end_date, epoch ms)
 * and the ids of the cases synced that closed at exactly that
 * millisecond. A case closed later is not covered; nor is one re-opened
 * and closed again (its end_date is new), so it is synced again.
 */
#define SYNC_COLLECTION "qradar_soar_state"
#define SYNC_KIND "sync_closed"
/* Cases per query_paged: SOAR's largest page (ConstDTO max_page_size). */
#define SYNC_PAGE 100
/* No new notable after this long (the action's maxtime is 5 minutes);
 * the rest is the next run's. */
#define SYNC_BUDGET_MS 200000L
/* A resolution summary longer than this is cut in the comment. */
#define SYNC_SUMMARY_MAX 1000

struct sync_in {
	const struct payload *p;
	const struct action_config *cfg; /* the sync search's own */
	struct splunkd *sd;
	const struct cam_ctx *cam;
	const char *proxy_password; /* for cfg's proxy_user, or NULL */
	const char *lock_dir;	    /* keylock.h's directory, or NULL */
};

/* The run's exit code (util/exitcodes.h). */
int sync_run(const struct sync_in *in);

/* ---- the mark (exposed for tests/unit/test_sync.c) ------------------ */

struct sync_mark {
	long long end_ms; /* the latest closing time synced */
	long long *ids;	  /* the cases synced that closed at end_ms */
	size_t nids, cap;
};

#define SYNC_MARK_INIT        \
	{                     \
		0, NULL, 0, 0 \
	}

void sync_mark_free(struct sync_mark *m);
/* 1 when the closing (end_ms, id) is synced already or before the mark
 * began: earlier than the mark, or at its millisecond and among its ids. */
int sync_mark_covers(const struct sync_mark *m, long long end_ms, long long id);
/* Moves the mark past the closing (end_ms, id): a later time starts a new
 * set of ids, the same time adds id, an earlier one changes nothing.
 * 0, or -1 on out of memory (m unchanged). */
int sync_mark_add(struct sync_mark *m, long long end_ms, long long id);
/* Starts the mark at end_ms with no ids when that is later. */
void sync_mark_start(struct sync_mark *m, long long end_ms);
/* The later of a and b into a (at one millisecond, the union of the ids):
 * what two stores of the mark both know. 0, or -1 on out of memory. */
int sync_mark_merge(struct sync_mark *a, const struct sync_mark *b);

/* The mark's document key for a SOAR host and org (what the mark is of):
 * SYNC_KIND "_" and 40 hex digits of SHA-256 over both. 0, or -1. */
int sync_mark_key(const char *host, const char *org, char *out, size_t n);
/* The KV document of m (kind, host, org, end_date, ids, updated); NULL on
 * out of memory. */
json_t *sync_mark_doc(const struct sync_mark *m, const char *key,
		      const char *host, const char *org, double now_s);
/* The mark a stored document holds (m is replaced); -1 with err naming
 * the field when the document is not one. */
int sync_mark_from_doc(struct sync_mark *m, const json_t *doc, char *err,
		       size_t n);

/* The query_paged body for the cases not covered yet: closed (plan_status
 * C), carrying a notable id, end_date at or after m->end_ms, oldest
 * closing first (then by id), SYNC_PAGE from start. NULL on out of
 * memory. */
json_t *sync_query(const struct sync_mark *m, long start);

/* "QRadar SOAR case <id> closed: <label>: <summary>" and the case URL on
 * the next line; the summary (SOAR rich text) as plain text on one line,
 * cut at SYNC_SUMMARY_MAX; an empty label or summary is left out with its
 * ": ". malloc'd, NULL on out of memory. */
char *sync_comment(long long case_id, const char *label,
		   const char *summary_html, const char *url);

/* What a notable_update's outcome means for the sync: */
enum sync_verdict {
	SYNC_POSTED,  /* closed, commented */
	SYNC_REFUSED, /* ES refused this notable for good: logged, passed */
	SYNC_STOP     /* anything else: stop, the next run tries again */
};
/* rc and err: splunkd_post_form's; answer its JSON answer (may be NULL). */
enum sync_verdict sync_verdict_of(int rc, const json_t *answer,
				  const char *err);

#endif
