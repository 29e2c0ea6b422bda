#ifndef QS_SPOOL_H
#define QS_SPOOL_H

#include <jansson.h>
#include <stddef.h>

/*
 * A local directory of JSON documents, one file each: where the delivery
 * queue keeps what the KV store could not take (README "Delivery queue").
 * The directory is made 0700 (and set back to 0700 if it exists with more),
 * files are 0600 and named "<name>.json" with name of [A-Za-z0-9_-] only.
 *
 * A write goes to a hidden temporary file (".<name>.<pid>.tmp"), is
 * fsync'd, renamed over "<name>.json" and the directory fsync'd: after a
 * crash at any point a reader finds the whole document or none, never a
 * part. Temporary files a crash left behind are never read; spool_list
 * deletes those older than SPOOL_STALE_TMP_S.
 *
 * Errors: 0 or a spool_err with err naming the file and errno's words.
 */
enum spool_err {
	SPOOL_OK = 0,
	SPOOL_IO,	/* a system call failed */
	SPOOL_CORRUPT,	/* a file that is not a JSON object (spool_read) */
	SPOOL_BADNAME,	/* a name outside [A-Za-z0-9_-] or too long */
	SPOOL_NOTFOUND, /* no such document */
	SPOOL_NOMEM
};

#define SPOOL_STALE_TMP_S 3600
#define SPOOL_NAME_MAX 128

/* <splunk_home>/var/spool/SA_QRadar_SOAR into out; -1 when splunk_home is
 * empty or the path does not fit. */
int spool_default_dir(char *out, size_t n, const char *splunk_home);

/* Writes doc as dir/<name>.json (creating dir, 0700). */
int spool_write(const char *dir, const char *name, const json_t *doc, char *err,
		size_t n);
/* The document of name (*doc owned by the caller). */
int spool_read(const char *dir, const char *name, json_t **doc, char *err,
	       size_t n);
int spool_remove(const char *dir, const char *name, char *err, size_t n);
/* Renames dir/<name>.json to dir/<name>.bad: kept for a person, never
 * read again. */
int spool_set_aside(const char *dir, const char *name, char *err, size_t n);
/* The names of the documents in dir, oldest file first (*names is a JSON
 * array of strings the caller owns; empty when dir does not exist). */
int spool_list(const char *dir, json_t **names, char *err, size_t n);

#endif
