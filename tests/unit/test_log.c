#include "util/log.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = calloc(1, (size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

/* Finds a line "YYYY-MM-DD HH:MM:SS,mmm+0000 LVL pid=N tid=MainThread
 * file=WHERE... | MSG..." in text (the e2e tests check the whole pattern). */
static int line_like(const char *text, const char *lvl, const char *where,
		     const char *msg)
{
	char pid[64];
	const char *p = text;

	snprintf(pid, sizeof(pid), " %s pid=%ld tid=MainThread file=", lvl,
		 (long)getpid());
	while ((p = strstr(p, pid)) != NULL) {
		const char *bol = p, *f = p + strlen(pid), *bar;

		while (bol > text && bol[-1] != '\n')
			bol--;
		bar = strstr(f, " | ");
		if (p - bol == 28 && bol[4] == '-' && bol[10] == ' ' &&
		    bol[19] == ',' && strncmp(bol + 23, "+0000", 5) == 0 &&
		    strncmp(f, where, strlen(where)) == 0 && bar &&
		    strncmp(bar + 3, msg, strlen(msg)) == 0)
			return 1;
		p = f;
	}
	return 0;
}

/* log_level parsing, and CAM lines written whatever the level. */
static void levels(void)
{
	char dir[] = "/tmp/qs-lvl-XXXXXX", path[256];
	struct cam_ctx ctx = { "sh01",	 "qradar_soar", "s", "sid",
			       "search", "admin",	"1", "saved" };
	enum log_level l = LOG_DEBUG;
	char *text;

	ok(log_level_parse(" warning ", &l) == 0 && l == LOG_WARN,
	   "WARNING parses, any case, blanks ignored");
	ok(log_level_parse("WARN", &l) == 0 && l == LOG_WARN, "WARN too");
	ok(log_level_parse("critical", &l) == 0 && l == LOG_FATAL &&
		   log_level_parse("FATAL", &l) == 0 && l == LOG_FATAL,
	   "CRITICAL and FATAL");
	ok(log_level_parse("verbose", &l) != 0 && l == LOG_FATAL &&
		   log_level_parse("", &l) != 0 &&
		   log_level_parse(NULL, &l) != 0,
	   "other words refused, the level untouched");
	is_str(log_level_name(LOG_WARN), "WARNING", "Python's name of WARN");
	is_str(log_level_name(LOG_FATAL), "CRITICAL", "Python's name of FATAL");
	if (!mkdtemp(dir))
		return;
	log_open(dir, "lvl");
	log_set_levels(LOG_FATAL, LOG_WARN);
	infof("an info line");
	warnf("a warning line");
	log_cam(LOG_INFO, &ctx, "0", NULL, NULL, "Created case 1", "success",
		NULL);
	log_set_thread_name("lane-2");
	errorf("from a named thread");
	log_close();
	log_set_levels(LOG_INFO, LOG_INFO);
	snprintf(path, sizeof(path), "%s/var/log/splunk/lvl.log", dir);
	text = slurp(path);
	ok(text && !strstr(text, "an info line"),
	   "below the level: not written");
	ok(text && strstr(text, " WARNING pid=") &&
		   strstr(text, "| a warning line"),
	   "at the level: written, as WARNING");
	ok(text && strstr(text, " INFO pid=") &&
		   strstr(text, "action_status=\"success\""),
	   "a CAM line is written below the level");
	ok(text && strstr(text, " tid=lane-2 file=test_log.c:levels:"),
	   "a named thread's name in tid=");
	free(text);
	unlink(path);
}

int main(void)
{
	char dir[] = "/tmp/qs-log-XXXXXX", path[256], out[256];
	const char *extra[] = { "case_id", "12",   "zeta", "",
				"alpha",   "a\"b", NULL };
	struct cam_ctx ctx = { "sh01",
			       "qradar_soar",
			       "My \"search\"",
			       "scheduler__admin__search__RMD5_at_1_2",
			       "search",
			       "admin",
			       "1",
			       "saved" };
	char *line, *text;

	ok(mkdtemp(dir) != NULL, "temp dir");
	log_set_levels(LOG_FATAL, LOG_DEBUG);
	ok(log_open(dir, "qradar_soar_modalert") == 0, "log file opens");
	log_add_secret("s3cr3t-pass");
	log_add_secret("abc"); /* too short: not masked */
	is_str(log_mask("pw=s3cr3t-pass; k=abc\nx", out, sizeof(out)),
	       "pw=********; k=abc x", "secret masked, newline flattened");
	errorf("login with s3cr3t-pass failed");
	line = log_cam_format(&ctx, "0", NULL, "", "Created case 12", "success",
			      extra);
	is_str(line,
	       "sendmodaction - worker=\"sh01\" signature=\"Created case 12\" "
	       "action_name=\"qradar_soar\" search_name=\"My 'search'\" "
	       "sid=\"scheduler__admin__search__RMD5_at_1_2\" rid=\"0\" "
	       "app=\"search\" user=\"admin\" digest_mode=\"1\" "
	       "action_mode=\"saved\" action_status=\"success\" "
	       "alpha=\"a'b\" case_id=\"12\"",
	       "CAM line: CIM order, empty pairs dropped, extras sorted");
	free(line);
	log_cam(LOG_INFO, &ctx, "0", NULL, NULL, "Created case 12", "success",
		NULL);
	log_close();
	snprintf(path, sizeof(path),
		 "%s/var/log/splunk/qradar_soar_modalert.log", dir);
	text = slurp(path);
	ok(text != NULL, "log file written under var/log/splunk");
	ok(text && strstr(text, " | login with ******** failed") != NULL,
	   "file line has the masked secret");
	ok(text && strstr(text, "s3cr3t") == NULL, "secret never in the file");
	ok(text && line_like(text, "ERROR",
			     "test_log.c:main:", "login with ******** failed"),
	   "file line in Splunk_SA_CIM's format: time, ERROR, pid, MainThread, file:function:line");
	ok(text && line_like(text, "INFO", "test_log.c:main:",
			     "sendmodaction - worker=\"sh01\""),
	   "CAM line in the same format");
	free(text);
	unlink(path);
	levels();
	return tap_done();
}
