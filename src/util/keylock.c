#include "util/keylock.h"
#include "util/digest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int keylock_default_dir(char *out, size_t n, const char *splunk_home)
{
	int k;

	if (!splunk_home || !*splunk_home)
		return -1;
	k = snprintf(out, n, "%s/var/run/SA_QRadar_SOAR", splunk_home);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* <dir>/<sha256 hex>.lock of the lowercased key. */
static int lock_path(char *out, size_t n, const char *dir, const char *key)
{
	char name[DIGEST_HEX_LEN + 1], *low = strdup(key);
	size_t i;
	int k;

	if (!low)
		return -1;
	for (i = 0; low[i]; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	k = digest_hex(low, i, name, sizeof(name));
	free(low);
	if (k)
		return -1;
	k = snprintf(out, n, "%s/%s.lock", dir, name);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int make_dir(const char *dir)
{
	char path[4096];
	size_t i, len = strlen(dir);
	struct stat st;

	if (len == 0 || len >= sizeof(path))
		return -1;
	memcpy(path, dir, len + 1);
	for (i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		path[i] = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return -1;
	return (st.st_mode & 077) ? chmod(dir, 0700) : 0;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int keylock_acquire(struct keylock *l, const char *dir, const char *key,
		    long timeout_ms, char *err, size_t n)
{
	char path[4200];
	long long end = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	long wait = 2;

	l->fd = -1;
	if (make_dir(dir) != 0) {
		snprintf(err, n, "key lock: cannot create directory %s: %s",
			 dir, strerror(errno));
		return KEYLOCK_IO;
	}
	if (lock_path(path, sizeof(path), dir, key ? key : "")) {
		snprintf(err, n, "key lock: cannot name the lock file in %s",
			 dir);
		return KEYLOCK_IO;
	}
	for (;;) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			      0600);

		if (fd < 0) {
			snprintf(err, n, "key lock: cannot open %s: %s", path,
				 strerror(errno));
			return KEYLOCK_IO;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* a sweep may have removed the name while we waited:
			 * the lock counts only on the file the name leads to */
			if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
			    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
				/* touched, so a sweep sees it in use */
				futimens(fd, NULL);
				l->fd = fd;
				return KEYLOCK_OK;
			}
			close(fd);
			continue;
		}
		close(fd);
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, n, "key lock: cannot lock %s: %s", path,
				 strerror(errno));
			return KEYLOCK_IO;
		}
		if (mono_ms() >= end) {
			snprintf(
				err, n,
				"key lock: another process held the lock of this notable for %ld s",
				timeout_ms / 1000);
			return KEYLOCK_TIMEOUT;
		}
		/* short waits first: a holder usually needs one round trip */
		pause_ms(wait);
		wait = wait < 50 ? wait * 2 : 50;
	}
}

void keylock_release(struct keylock *l)
{
	if (l->fd >= 0) {
		flock(l->fd, LOCK_UN);
		close(l->fd);
	}
	l->fd = -1;
}

int keylock_sweep(const char *dir, long max_age_s)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);
	int removed = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char path[4200];
		struct stat st;
		int fd;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".lock") != 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path) ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
		    now - st.st_mtime < max_age_s)
			continue;
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		/* removed only while held, so nobody holds the old file */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0)
			removed++;
		close(fd);
	}
	closedir(d);
	return removed;
}
