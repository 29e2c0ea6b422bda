#include "util/spool.h"
#include "util/buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int spool_default_dir(char *out, size_t n, const char *splunk_home)
{
	int k;

	if (!splunk_home || !*splunk_home)
		return -1;
	k = snprintf(out, n, "%s/var/spool/SA_QRadar_SOAR", splunk_home);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int good_name(const char *name)
{
	size_t i;

	for (i = 0; name && name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
		      name[i] == '_'))
			return 0;
	return name && i > 0 && i <= SPOOL_NAME_MAX;
}

static int io_err(char *err, size_t n, const char *what, const char *path)
{
	snprintf(err, n, "spool: cannot %s %s: %s", what, path,
		 strerror(errno));
	return SPOOL_IO;
}

/* dir and its parents; dir itself 0700 and not a symbolic link. */
static int make_dir(const char *dir, char *err, size_t n)
{
	char path[4096];
	struct stat st;
	size_t i, len = strlen(dir);

	if (len == 0 || len >= sizeof(path)) {
		snprintf(err, n, "spool: bad directory name");
		return SPOOL_IO;
	}
	memcpy(path, dir, len + 1);
	for (i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return io_err(err, n, "create directory", path);
		path[i] = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return io_err(err, n, "create directory", dir);
	if (lstat(dir, &st) != 0)
		return io_err(err, n, "inspect", dir);
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, n, "spool: %s is not a directory", dir);
		return SPOOL_IO;
	}
	if ((st.st_mode & 077) && chmod(dir, 0700) != 0)
		return io_err(err, n, "restrict the permissions of", dir);
	return SPOOL_OK;
}

static int file_path(char *out, size_t n, const char *dir, const char *name,
		     const char *ext)
{
	int k = snprintf(out, n, "%s/%s%s", dir, name, ext);

	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* The path of the document called name (refused unless good_name). */
static int doc_path(char *out, size_t len, const char *dir, const char *name,
		    const char *ext, char *err, size_t n)
{
	if (!good_name(name)) {
		snprintf(err, n, "spool: invalid document name");
		return SPOOL_BADNAME;
	}
	if (file_path(out, len, dir, name, ext)) {
		snprintf(err, n, "spool: path too long");
		return SPOOL_IO;
	}
	return SPOOL_OK;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int spool_write(const char *dir, const char *name, const json_t *doc, char *err,
		size_t n)
{
	char tmp[4200], final[4200];
	char *text = NULL;
	int fd = -1, dfd = -1, rc;

	rc = doc_path(final, sizeof(final), dir, name, ".json", err, n);
	if (rc)
		return rc;
	rc = make_dir(dir, err, n);
	if (rc)
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, name,
		     (long)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, n, "spool: path too long");
		return SPOOL_IO;
	}
	text = json_dumps(doc, JSON_COMPACT);
	if (!text) {
		snprintf(err, n, "out of memory");
		return SPOOL_NOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		rc = io_err(err, n, "create", tmp);
		goto out;
	}
	if (write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1)) {
		rc = io_err(err, n, "write", tmp);
		goto out;
	}
	/* the data is on disk before the name points at it */
	if (fsync(fd) != 0) {
		rc = io_err(err, n, "flush", tmp);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = io_err(err, n, "close", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, final) != 0) {
		rc = io_err(err, n, "rename into", final);
		goto out;
	}
	/* and the new name is on disk too */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		rc = io_err(err, n, "flush the directory", dir);
		goto out;
	}
	rc = SPOOL_OK;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	free(text);
	return rc;
}

int spool_read(const char *dir, const char *name, json_t **doc, char *err,
	       size_t n)
{
	char path[4200];
	json_error_t je;
	int rc;

	*doc = NULL;
	rc = doc_path(path, sizeof(path), dir, name, ".json", err, n);
	if (rc)
		return rc;
	*doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!*doc) {
		if (access(path, F_OK) != 0) {
			snprintf(err, n, "spool: %s does not exist", path);
			return SPOOL_NOTFOUND;
		}
		snprintf(err, n,
			 "spool: %s is not a JSON document (%s, line %d)", path,
			 je.text, je.line);
		return SPOOL_CORRUPT;
	}
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		snprintf(err, n, "spool: %s is not a JSON object", path);
		return SPOOL_CORRUPT;
	}
	return SPOOL_OK;
}

int spool_remove(const char *dir, const char *name, char *err, size_t n)
{
	char path[4200];
	int rc = doc_path(path, sizeof(path), dir, name, ".json", err, n);

	if (rc)
		return rc;
	if (unlink(path) != 0)
		return errno == ENOENT ? SPOOL_NOTFOUND
				       : io_err(err, n, "delete", path);
	return SPOOL_OK;
}

int spool_set_aside(const char *dir, const char *name, char *err, size_t n)
{
	char from[4200], to[4200];
	int rc = doc_path(from, sizeof(from), dir, name, ".json", err, n);

	if (!rc)
		rc = doc_path(to, sizeof(to), dir, name, ".bad", err, n);
	if (rc)
		return rc;
	if (rename(from, to) != 0)
		return io_err(err, n, "set aside", from);
	return SPOOL_OK;
}

struct entry {
	char *name;
	struct timespec mtime;
};

static int by_mtime(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

int spool_list(const char *dir, json_t **names, char *err, size_t n)
{
	DIR *d = NULL;
	struct dirent *de;
	struct entry *ents = NULL;
	size_t count = 0, cap = 0, i;
	time_t now = time(NULL);
	int rc = SPOOL_OK;

	*names = json_array();
	if (!*names) {
		snprintf(err, n, "out of memory");
		return SPOOL_NOMEM;
	}
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return SPOOL_OK;
		json_decref(*names);
		*names = NULL;
		return io_err(err, n, "open directory", dir);
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat st;
		char path[4200];

		if (file_path(path, sizeof(path), dir, de->d_name, ""))
			continue;
		if (de->d_name[0] == '.') {
			/* a temporary file a crashed writer left */
			if (len > 4 &&
			    strcmp(de->d_name + len - 4, ".tmp") == 0 &&
			    lstat(path, &st) == 0 &&
			    now - st.st_mtime > SPOOL_STALE_TMP_S)
				unlink(path);
			continue;
		}
		if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0 ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (count == cap) {
			struct entry *m = realloc(ents, (cap ? cap * 2 : 64) *
								sizeof(*ents));

			if (!m)
				goto nomem;
			ents = m;
			cap = cap ? cap * 2 : 64;
		}
		ents[count].name = strndup(de->d_name, len - 5);
		if (!ents[count].name)
			goto nomem;
		ents[count].mtime = st.st_mtim;
		if (!good_name(ents[count].name)) {
			free(ents[count].name);
			continue;
		}
		count++;
	}
	if (count)
		qsort(ents, count, sizeof(*ents), by_mtime);
	for (i = 0; i < count; i++)
		if (json_array_append_new(*names, json_string(ents[i].name)))
			goto nomem;
	goto out;
nomem:
	snprintf(err, n, "out of memory");
	json_decref(*names);
	*names = NULL;
	rc = SPOOL_NOMEM;
out:
	for (i = 0; i < count; i++)
		free(ents[i].name);
	free(ents);
	closedir(d);
	return rc;
}
