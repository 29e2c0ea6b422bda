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

int main(void)
{
	char dir[] = "/tmp/qs-log-XXXXXX", path[256], out[256];
	const char *extra[] = { "case_id", "12", "zeta", "", "alpha", "a\"b",
				NULL };
	struct cam_ctx ctx = { "sh01", "qradar_soar", "My \"search\"",
			       "scheduler__admin__search__RMD5_at_1_2", "search",
			       "admin", "1", "saved" };
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
	snprintf(path, sizeof(path), "%s/var/log/splunk/qradar_soar_modalert.log",
		 dir);
	text = slurp(path);
	ok(text != NULL, "log file written under var/log/splunk");
	ok(text && strstr(text, "ERROR login with ******** failed") != NULL,
	   "file line has level and masked secret");
	ok(text && strstr(text, "s3cr3t") == NULL, "secret never in the file");
	ok(text && strstr(text, "+0000 INFO sendmodaction - ") != NULL,
	   "CAM line in the file with UTC timestamp");
	free(text);
	unlink(path);
	return tap_done();
}
