#ifndef QS_NOTE_H
#define QS_NOTE_H

#include "mapping/catalog.h"

#include <jansson.h>
#include <stddef.h>

/*
 * The note a run adds to a case it changed (note_on_update, README
 * "Closing the loop"): which search fired again, when, and what changed.
 * One note per run and case, none when nothing changed and none for a case
 * the same run created. The rows of one case run on one lane of the pool
 * (they share the notable key), so each lane keeps a note_book of its
 * cases and adds their notes once its queue is done.
 */

/* What every note of a run says about the run. */
struct note_about {
	const char *search_name; /* NULL or "" for an ad hoc run */
	const char *owner;	 /* who ran it, for an ad hoc run */
	long long when_s;	 /* the trigger time, epoch seconds */
};

/* One case's outcome over the run. */
struct note_entry {
	long long case_id;
	int created;	 /* the run made the case: no note */
	char *event_id;	 /* the notable key, or NULL */
	char *rid;	 /* the last row's, for the CAM line */
	char *orig_sid;	 /* idem, or NULL */
	char *orig_rid;	 /* idem, or NULL */
	json_t *changed; /* mapping key → latest new value */
	json_t *added;	 /* artifacts added, in order */
};

struct note_book;

struct note_book *note_book_new(void);
void note_book_free(struct note_book *b);

/* Adds a row's outcome for case_id: created, or its changed fields (an
 * object of mapping key → value) and added artifacts (an array), both
 * borrowed and either may be NULL. A later value of a field replaces an
 * earlier one; an artifact already listed is not listed twice. The row's
 * ids are copied. 0, or -1 on out of memory. */
int note_book_add(struct note_book *b, long long case_id, int created,
		  const char *event_id, const json_t *changed,
		  const json_t *added, const char *rid, const char *orig_sid,
		  const char *orig_rid);

size_t note_book_size(const struct note_book *b);
/* The i-th case, in the order first seen (borrowed). */
const struct note_entry *note_book_get(const struct note_book *b, size_t i);
/* Whether e needs a note: not created by the run, and something changed. */
int note_needed(const struct note_entry *e);

/* The note's plain text (malloc'd; NULL on out of memory):
 *   Splunk search "<name>" fired again at <YYYY-MM-DD HH:MM:SS> UTC for
 *   notable <event_id>.
 *   Changed fields: <label>: <value>; …
 *   New artifacts: <type> <value>; …
 * Values as an analyst reads them: choice labels instead of ids, dates in
 * UTC, rich text without markup, long values cut. cat gives the labels. */
char *note_text(const struct note_about *a, const struct note_entry *e,
		const struct catalog *cat);

#endif
