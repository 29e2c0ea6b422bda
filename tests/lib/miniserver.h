#ifndef QS_MINISERVER_H
#define QS_MINISERVER_H

/*
 * A tiny plain-HTTP/1.1 server for unit tests: a forked child on
 * 127.0.0.1 that answers the requests it receives with a fixed script of
 * raw responses, one per request, in order, on kept-alive connections.
 * A script entry may be:
 *   "HTTP/1.1 200 OK\r\n…"   sent as is (close after it if it says
 *                            "Connection: close")
 *   "!reset"                 the connection is dropped with RST
 *   "!sleep:MS\n<response>"  waits MS ms, then sends <response>
 *   "!len:<head>\r\n\r\n<body>" the head gets a Content-Length for body
 * Every request (head and body) is appended to a log the parent reads
 * with mini_finish, separated by "\n=====\n". The child exits after the
 * script or after 20 s. Header-only, like tap.h.
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct mini {
	pid_t pid;
	int port;
	char log[64];
};

static int mini_read_request(int c, FILE *log)
{
	char buf[65536];
	size_t len = 0;
	long clen = 0;
	char *hend = NULL, *p;
	ssize_t n;

	while (!hend) {
		if (len + 1 >= sizeof(buf))
			return -1;
		n = read(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		hend = strstr(buf, "\r\n\r\n");
	}
	for (p = buf; p && p < hend; p = strstr(p, "\r\n"), p = p ? p + 2 : p)
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			clen = strtol(p + 15, NULL, 10);
	while ((long)(len - (size_t)(hend + 4 - buf)) < clen) {
		if (len + 1 >= sizeof(buf))
			return -1;
		n = read(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	fwrite(buf, 1, len, log);
	fputs("\n=====\n", log);
	fflush(log);
	return 0;
}

static void mini_child(int ls, const char *const *script, const char *logpath)
{
	FILE *log = fopen(logpath, "w");
	int c = -1;
	size_t i;

	alarm(20);
	signal(SIGPIPE, SIG_IGN); /* a client that gave up is not an error */
	if (!log)
		_exit(2);
	for (i = 0; script[i]; i++) {
		const char *resp = script[i];

		for (;;) {
			if (c < 0 && (c = accept(ls, NULL, NULL)) < 0)
				_exit(3);
			if (mini_read_request(c, log) == 0)
				break;
			close(c); /* the client closed an idle connection */
			c = -1;
		}
		if (strcmp(resp, "!reset") == 0) {
			struct linger lg = { 1, 0 };

			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(c);
			c = -1;
			continue;
		}
		if (strncmp(resp, "!sleep:", 7) == 0) {
			long ms = strtol(resp + 7, NULL, 10);
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
			resp = strchr(resp, '\n') + 1;
		}
		if (strncmp(resp, "!len:", 5) == 0) {
			const char *body = strstr(resp, "\r\n\r\n") + 4;
			char cl[64];

			snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n",
				 strlen(body));
			if (write(c, resp + 5, (size_t)(body - 2 - resp - 5)) < 0 ||
			    write(c, cl, strlen(cl)) < 0)
				_exit(4);
			resp = body;
		}
		if (write(c, resp, strlen(resp)) < 0) {
			close(c);
			c = -1;
			continue;
		}
		if (strstr(resp, "Connection: close")) {
			close(c);
			c = -1;
		}
	}
	/* let the client read the last answer before the socket goes */
	if (c >= 0) {
		shutdown(c, SHUT_WR);
		char tmp[256];
		while (read(c, tmp, sizeof(tmp)) > 0)
			;
		close(c);
	}
	fclose(log);
	_exit(0);
}

static int mini_start(struct mini *m, const char *const *script)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int ls, one = 1, fd;

	snprintf(m->log, sizeof(m->log), "/tmp/qs-mini-XXXXXX");
	fd = mkstemp(m->log);
	if (fd < 0)
		return -1;
	close(fd);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		return -1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 8) ||
	    getsockname(ls, (struct sockaddr *)&a, &al)) {
		close(ls);
		return -1;
	}
	m->port = ntohs(a.sin_port);
	fflush(stdout);
	m->pid = fork();
	if (m->pid < 0) {
		close(ls);
		return -1;
	}
	if (m->pid == 0)
		mini_child(ls, script, m->log);
	close(ls);
	return 0;
}

/* Stops the child (if still waiting) and returns the request log
 * (malloc'd); *status gets the child's exit status (0 = script done). */
static char *mini_finish(struct mini *m, int *status)
{
	struct timespec ts = { 0, 20000000L };
	int st = -1, i;
	FILE *f;
	char *out;
	long n;

	for (i = 0; i < 50 && waitpid(m->pid, &st, WNOHANG) == 0; i++)
		nanosleep(&ts, NULL);
	if (i == 50) {
		kill(m->pid, SIGKILL);
		waitpid(m->pid, &st, 0);
	}
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	f = fopen(m->log, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	out = malloc((size_t)n + 1);
	if (out) {
		n = (long)fread(out, 1, (size_t)n, f);
		out[n] = '\0';
	}
	fclose(f);
	unlink(m->log);
	return out;
}

/* How many times needle occurs in hay. */
static int mini_count(const char *hay, const char *needle)
{
	int k = 0;

	while (hay && (hay = strstr(hay, needle))) {
		k++;
		hay += strlen(needle);
	}
	return k;
}

#endif
