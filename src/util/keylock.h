#ifndef QS_KEYLOCK_H
#define QS_KEYLOCK_H

#include <stddef.h>

/*
 * An exclusive lock per key across the processes of one host: flock(2) on
 * <dir>/<hex SHA-256 of the key, ASCII lowercased>.lock (the file name
 * never holds the key itself, so any key is safe; keys that differ only in
 * case share a lock, as SOAR compares notable ids ignoring case). The
 * kernel drops a dead holder's lock, so a crash never leaves a key locked.
 *
 * The directory is made 0700. Lock files are kept (removing one another
 * process may be waiting on would split the lock); keylock_sweep removes
 * old ones safely: an acquirer re-checks after flock that the name still
 * leads to the file it locked.
 *
 * This is a lock of one host only: processes on two members of a search
 * head cluster do not see each other's locks (README "Delivery queue").
 */
struct keylock {
	int fd; /* -1 when not held */
};

#define KEYLOCK_INIT \
	{            \
		-1   \
	}

enum keylock_err { KEYLOCK_OK = 0, KEYLOCK_TIMEOUT, KEYLOCK_IO };

/* <splunk_home>/var/run/SA_QRadar_SOAR into out; -1 when splunk_home is
 * empty or the path does not fit. */
int keylock_default_dir(char *out, size_t n, const char *splunk_home);

/* Waits up to timeout_ms for the lock of key. KEYLOCK_TIMEOUT when another
 * process held it that long; KEYLOCK_IO with err naming the file. */
int keylock_acquire(struct keylock *l, const char *dir, const char *key,
		    long timeout_ms, char *err, size_t n);
/* Releases (if held); safe to call twice. */
void keylock_release(struct keylock *l);

/* Deletes lock files of dir not modified for max_age_s seconds and held by
 * nobody; returns how many. */
int keylock_sweep(const char *dir, long max_age_s);

#endif
