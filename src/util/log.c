#include "util/log.h"
#include "util/buf.h"
#include "util/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SECRETS 64
#define LINE_MAX_BYTES (64 * 1024)

static struct {
	int fd;
	char *path;
	enum log_level stderr_min;
	enum log_level file_min;
	char *secrets[MAX_SECRETS];
	size_t nsecrets;
} L = { -1, NULL, LOG_INFO, LOG_INFO, { NULL }, 0 };

/* The alert action escalates rows from several threads; one lock keeps
 * each line whole and the secret list consistent. Public functions take
 * it; the *_locked helpers expect it held. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* splunkd reads these as the first word of a stderr line */
static const char *const stderr_names[] = { "DEBUG", "INFO", "WARN", "ERROR",
					    "FATAL" };
/* Python's logging.getLevelName, as Splunk_SA_CIM's logger writes them */
static const char *const file_names[] = { "DEBUG", "INFO", "WARNING", "ERROR",
					  "CRITICAL" };

#define THREAD_NAME_MAX 32
static _Thread_local char thread_name[THREAD_NAME_MAX];

static int mkdirs(const char *path)
{
	char tmp[4096];
	size_t i, n = strlen(path);

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] == '/' || tmp[i] == '\0') {
			char c = tmp[i];

			tmp[i] = '\0';
			if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
				return -1;
			tmp[i] = c;
		}
	}
	return 0;
}

int log_open(const char *splunk_home, const char *name)
{
	char dir[4096], path[4096];
	int n;

	int rc = -1;

	pthread_mutex_lock(&lock);
	/* reopening keeps the secrets registered so far */
	if (L.fd >= 0)
		close(L.fd);
	L.fd = -1;
	free(L.path);
	L.path = NULL;
	if (!splunk_home || !*splunk_home) {
		rc = 0;
		goto out;
	}
	n = snprintf(dir, sizeof(dir), "%s/var/log/splunk", splunk_home);
	if (n < 0 || (size_t)n >= sizeof(dir))
		goto out;
	n = snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		goto out;
	if (mkdirs(dir) != 0)
		goto out;
	L.fd = open(path,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (L.fd < 0)
		goto out;
	L.path = strdup(path);
	if (!L.path) {
		close(L.fd);
		L.fd = -1;
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

static void forget_secrets_locked(void)
{
	size_t i;

	for (i = 0; i < L.nsecrets; i++) {
		secret_free(L.secrets[i]);
		L.secrets[i] = NULL;
	}
	L.nsecrets = 0;
}

void log_close(void)
{
	pthread_mutex_lock(&lock);
	if (L.fd >= 0)
		close(L.fd);
	L.fd = -1;
	free(L.path);
	L.path = NULL;
	forget_secrets_locked();
	pthread_mutex_unlock(&lock);
}

void log_forget_secrets(void)
{
	pthread_mutex_lock(&lock);
	forget_secrets_locked();
	pthread_mutex_unlock(&lock);
}

void log_set_levels(enum log_level stderr_min, enum log_level file_min)
{
	pthread_mutex_lock(&lock);
	L.stderr_min = stderr_min;
	L.file_min = file_min;
	pthread_mutex_unlock(&lock);
}

int log_enabled(enum log_level lvl)
{
	int on;

	pthread_mutex_lock(&lock);
	on = lvl >= L.stderr_min || (L.fd >= 0 && lvl >= L.file_min);
	pthread_mutex_unlock(&lock);
	return on;
}

int log_level_parse(const char *s, enum log_level *out)
{
	static const struct {
		const char *word;
		enum log_level lvl;
	} words[] = { { "DEBUG", LOG_DEBUG },  { "INFO", LOG_INFO },
		      { "WARNING", LOG_WARN }, { "WARN", LOG_WARN },
		      { "ERROR", LOG_ERROR },  { "CRITICAL", LOG_FATAL },
		      { "FATAL", LOG_FATAL } };
	size_t i, n;

	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == n &&
		    strncasecmp(s, words[i].word, n) == 0) {
			*out = words[i].lvl;
			return 0;
		}
	return -1;
}

const char *log_level_name(enum log_level lvl)
{
	return file_names[lvl];
}

void log_set_thread_name(const char *name)
{
	snprintf(thread_name, sizeof(thread_name), "%s", name ? name : "");
}

static const char *current_thread_name(char *buf, size_t n)
{
	pid_t tid;

	if (thread_name[0])
		return thread_name;
	tid = gettid();
	if (tid == getpid())
		return "MainThread";
	snprintf(buf, n, "Thread-%ld", (long)tid);
	return buf;
}

void log_add_secret(const char *secret)
{
	size_t i;

	if (!secret || strlen(secret) < LOG_SECRET_MIN)
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < L.nsecrets; i++)
		if (strcmp(L.secrets[i], secret) == 0)
			goto out;
	if (L.nsecrets == MAX_SECRETS)
		goto out;
	L.secrets[L.nsecrets] = strdup(secret);
	if (L.secrets[L.nsecrets])
		L.nsecrets++;
out:
	pthread_mutex_unlock(&lock);
}

/* Masks secrets and flattens control characters into out (size n >= 1). */
static void mask_locked(const char *s, char *out, size_t n)
{
	size_t o = 0;

	while (*s && o + 1 < n) {
		size_t i, hit = 0;

		for (i = 0; i < L.nsecrets; i++) {
			size_t k = strlen(L.secrets[i]);

			if (strncmp(s, L.secrets[i], k) == 0) {
				hit = k;
				break;
			}
		}
		if (hit) {
			const char *m = "********";

			while (*m && o + 1 < n)
				out[o++] = *m++;
			s += hit;
			continue;
		}
		out[o++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
		s++;
	}
	out[o] = '\0';
}

char *log_mask(const char *s, char *out, size_t n)
{
	if (n == 0)
		return out;
	pthread_mutex_lock(&lock);
	mask_locked(s, out, n);
	pthread_mutex_unlock(&lock);
	return out;
}

static void timestamp(char *out, size_t n)
{
	struct timeval tv;
	struct tm tm;
	char t[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, n, "%s,%03d+0000", t, (int)(tv.tv_usec / 1000));
}

/* Rotates <path> -> <path>.1 … .KEEP when it has grown past the limit.
 * Runs under an exclusive flock so concurrent processes rotate once. */
static void maybe_rotate(void)
{
	struct stat fst, pst;
	char from[4200], to[4200];
	int i;

	if (fstat(L.fd, &fst) != 0)
		return;
	if (stat(L.path, &pst) != 0 || pst.st_ino != fst.st_ino) {
		/* another process rotated: reopen the live file */
		int fd = open(L.path,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				      O_NOFOLLOW,
			      0600);

		if (fd >= 0) {
			close(L.fd);
			L.fd = fd;
		}
		return;
	}
	if (fst.st_size < LOG_ROTATE_BYTES)
		return;
	for (i = LOG_ROTATE_KEEP - 1; i >= 1; i--) {
		snprintf(from, sizeof(from), "%s.%d", L.path, i);
		snprintf(to, sizeof(to), "%s.%d", L.path, i + 1);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", L.path);
	rename(L.path, to);
	i = open(L.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		 0600);
	if (i >= 0) {
		close(L.fd);
		L.fd = i;
	}
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}

/* emit's flags: also to stderr; to the file whatever the level */
#define TO_STDERR 1
#define ALWAYS 2

static void emit(enum log_level lvl, int flags, const char *file,
		 const char *func, int lineno, const char *fmt, va_list ap)
{
	static char raw[LINE_MAX_BYTES], masked[LINE_MAX_BYTES];
	char line[LINE_MAX_BYTES + 512], ts[48], tbuf[32];
	int n;

	pthread_mutex_lock(&lock);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	mask_locked(raw, masked, sizeof(masked));
	if ((flags & TO_STDERR) && lvl >= L.stderr_min) {
		n = snprintf(line, sizeof(line), "%s %s\n", stderr_names[lvl],
			     masked);
		if (n > 0)
			write_all(2, line,
				  (size_t)n < sizeof(line) ? (size_t)n
							   : sizeof(line) - 1);
	}
	if (L.fd >= 0 && (lvl >= L.file_min || (flags & ALWAYS))) {
		timestamp(ts, sizeof(ts));
		n = snprintf(line, sizeof(line),
			     "%s %s pid=%ld tid=%s file=%s:%s:%d | %s\n", ts,
			     file_names[lvl], (long)getpid(),
			     current_thread_name(tbuf, sizeof(tbuf)),
			     base_name(file), func ? func : "?", lineno,
			     masked);
		if (n <= 0)
			goto out;
		if ((size_t)n >= sizeof(line)) {
			n = (int)sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		flock(L.fd, LOCK_EX);
		maybe_rotate();
		write_all(L.fd, line, (size_t)n);
		flock(L.fd, LOCK_UN);
	}
out:
	pthread_mutex_unlock(&lock);
}

void log_at(enum log_level lvl, const char *file, const char *func, int line,
	    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(lvl, TO_STDERR, file, func, line, fmt, ap);
	va_end(ap);
}

void log_file_only_at(enum log_level lvl, const char *file, const char *func,
		      int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(lvl, 0, file, func, line, fmt, ap);
	va_end(ap);
}

/* CAM lines are the action's status record (ES shows it as the adaptive
 * response's outcome): written whatever log_level says. */
static void cam_line(enum log_level lvl, const char *file, const char *func,
		     int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void cam_line(enum log_level lvl, const char *file, const char *func,
		     int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(lvl, ALWAYS, file, func, line, fmt, ap);
	va_end(ap);
}

static void put_pair(struct buf *b, const char *k, const char *v)
{
	const char *p;

	if (!v || !*v)
		return;
	if (b->len > 0)
		buf_putc(b, ' ');
	buf_puts(b, k);
	buf_puts(b, "=\"");
	for (p = v; *p; p++) {
		char c = *p;

		if (c == '"')
			c = '\'';
		else if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		buf_putc(b, c);
	}
	buf_putc(b, '"');
}

static int cmp_keys(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(x[0], y[0]);
}

char *log_cam_format(const struct cam_ctx *ctx, const char *rid,
		     const char *orig_sid, const char *orig_rid,
		     const char *signature, const char *status,
		     const char *const *extra)
{
	struct buf b = BUF_INIT(LINE_MAX_BYTES);
	const char *pairs[64][2];
	size_t i, n = 0;
	char *body;

	put_pair(&b, "worker", ctx->worker);
	put_pair(&b, "signature", signature);
	put_pair(&b, "action_name", ctx->action_name);
	put_pair(&b, "search_name", ctx->search_name);
	put_pair(&b, "sid", ctx->sid);
	put_pair(&b, "orig_sid", orig_sid);
	put_pair(&b, "rid", rid);
	put_pair(&b, "orig_rid", orig_rid);
	put_pair(&b, "app", ctx->app);
	put_pair(&b, "user", ctx->user);
	put_pair(&b, "digest_mode", ctx->digest_mode);
	put_pair(&b, "action_mode", ctx->action_mode);
	put_pair(&b, "action_status", status);
	for (i = 0; extra && extra[i] && extra[i + 1] && n < 64; i += 2) {
		pairs[n][0] = extra[i];
		pairs[n][1] = extra[i + 1];
		n++;
	}
	qsort(pairs, n, sizeof(pairs[0]), cmp_keys);
	for (i = 0; i < n; i++)
		put_pair(&b, pairs[i][0], pairs[i][1]);
	body = buf_take(&b);
	if (!body)
		return NULL;
	{
		struct buf out = BUF_INIT(LINE_MAX_BYTES + 32);

		buf_puts(&out, "sendmodaction - ");
		buf_puts(&out, body);
		free(body);
		return buf_take(&out);
	}
}

void log_cam_at(const char *file, const char *func, int lineno,
		enum log_level lvl, const struct cam_ctx *ctx, const char *rid,
		const char *orig_sid, const char *orig_rid,
		const char *signature, const char *status,
		const char *const *extra)
{
	char *line = log_cam_format(ctx, rid, orig_sid, orig_rid, signature,
				    status, extra);

	if (!line)
		return;
	cam_line(lvl, file, func, lineno, "%s", line);
	free(line);
}
