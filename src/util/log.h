#ifndef QS_LOG_H
#define QS_LOG_H

#include <stddef.h>

/*
 * Diagnostics for both executables, the Splunk way:
 *  - stderr: one line per message, starting with splunkd's level word
 *    (DEBUG, INFO, WARN, ERROR, FATAL) so splunkd logs it at that level in
 *    splunkd.log (component=sendmodalert);
 *  - a file under $SPLUNK_HOME/var/log/splunk/<name>.log in
 *    Splunk_SA_CIM's logger format (lib/splunk_sa_cim/log.py,
 *    DEFAULT_FORMAT with its GMTimeFormatter), so an admin's searches of
 *    Python add-ons work on it:
 *      YYYY-MM-DD HH:MM:SS,mmm+0000 LEVEL pid=P tid=T file=F:FUNC:LINE | message
 *    LEVEL as Python's logging names it (DEBUG, INFO, WARNING, ERROR,
 *    CRITICAL); T the thread's name (MainThread, or the name set with
 *    log_set_thread_name); F the source file's base name. Rotated at
 *    25 MB with 5 backups, appended with one write(2) per line so
 *    concurrent per-result processes do not interleave.
 * Every registered secret is replaced by "********" in everything this
 * module writes; secrets shorter than LOG_SECRET_MIN bytes are not masked
 * (they would mangle every line) and the callers refuse them elsewhere.
 * Messages are single lines: CR and LF inside a message become spaces.
 * The module keeps process-wide state behind one lock: threads may log.
 * log_open keeps the secrets registered before it; log_close wipes them.
 */

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL };

#define LOG_SECRET_MIN 4
#define LOG_ROTATE_BYTES (25L * 1024 * 1024)
#define LOG_ROTATE_KEEP 5

/* Opens $SPLUNK_HOME/var/log/splunk/<name>.log (creating var/log/splunk).
 * With splunk_home NULL or empty only stderr is used. Returns 0, or -1 when
 * the file cannot be opened (stderr logging still works). */
int log_open(const char *splunk_home, const char *name);
void log_close(void);
/* Lowest level written to stderr (default LOG_INFO) and to the file
 * (default LOG_INFO). */
void log_set_levels(enum log_level stderr_min, enum log_level file_min);
/* 1 when a line of lvl would be written anywhere (to skip building costly
 * DEBUG text). */
int log_enabled(enum log_level lvl);
/* The log_level setting: DEBUG, INFO, WARNING (or WARN), ERROR, CRITICAL
 * (or FATAL), any case, blanks around ignored. Returns 0 and sets *out, or
 * -1 (*out untouched). */
int log_level_parse(const char *s, enum log_level *out);
/* Python's name of a level (the file's level word). */
const char *log_level_name(enum log_level lvl);
/* Names the calling thread in the file's tid= (copied, up to 31 bytes);
 * threads never named are "MainThread" (the process's first thread) or
 * "Thread-<kernel tid>". */
void log_set_thread_name(const char *name);
/* Registers a secret to mask; the string is copied (and wiped at close).
 * Up to 64 are kept; a long-lived process forgets a finished request's
 * with log_forget_secrets. */
void log_add_secret(const char *secret);
void log_forget_secrets(void);
/* Writes s into out (size n) with every secret masked; returns out. */
char *log_mask(const char *s, char *out, size_t n);

/* The file's file=F:FUNC:LINE is the caller's: use the macros below. */
void log_at(enum log_level lvl, const char *file, const char *func, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define log_msg(lvl, ...) \
	log_at((lvl), __FILE__, __func__, __LINE__, __VA_ARGS__)
#define debugf(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define infof(...) log_msg(LOG_INFO, __VA_ARGS__)
#define warnf(...) log_msg(LOG_WARN, __VA_ARGS__)
#define errorf(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Writes only to the file (no stderr), e.g. CAM lines. */
void log_file_only_at(enum log_level lvl, const char *file, const char *func,
		      int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define log_file_only(lvl, ...) \
	log_file_only_at((lvl), __FILE__, __func__, __LINE__, __VA_ARGS__)

/*
 * Common Action Model status line (Splunk_SA_CIM's ModularAction.message):
 *   sendmodaction - worker="…" signature="…" action_name="…" search_name="…"
 *   sid="…" orig_sid="…" rid="…" orig_rid="…" app="…" user="…"
 *   digest_mode="…" action_mode="…" action_status="…" [extra k="v" sorted]
 * Pairs whose value is empty are dropped. '"' in a value becomes '\'' and
 * control characters become spaces, since CIM's extraction cannot escape.
 */
struct cam_ctx {
	const char *worker;
	const char *action_name;
	const char *search_name;
	const char *sid;
	const char *app;
	const char *user;
	const char *digest_mode; /* "1" or "0" */
	const char *action_mode; /* "saved" or "adhoc" */
};

/* extra: NULL-terminated list of key, value pairs (keys [A-Za-z_]+).
 * Written to the file only, whatever the file's level (CAM lines are the
 * action's status record), the line's file= being the caller's. */
void log_cam_at(const char *file, const char *func, int line,
		enum log_level lvl, const struct cam_ctx *ctx, const char *rid,
		const char *orig_sid, const char *orig_rid,
		const char *signature, const char *status,
		const char *const *extra);
#define log_cam(...) log_cam_at(__FILE__, __func__, __LINE__, __VA_ARGS__)

/* Formats a CAM line (without timestamp/level) into a malloc'd string;
 * NULL on out of memory. Exposed for tests. */
char *log_cam_format(const struct cam_ctx *ctx, const char *rid,
		     const char *orig_sid, const char *orig_rid,
		     const char *signature, const char *status,
		     const char *const *extra);

#endif
