#include "util/spool.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

static char base[256], dir[512];

static void test_write_read(void)
{
	json_t *doc = json_pack("{s:s,s:i}", "_key", "k1", "attempts", 2), *got = NULL, *names = NULL;
	char err[512], path[700];
	struct stat st;
	int rc;

	ok(spool_default_dir(path, sizeof(path), "/opt/splunk") == 0 &&
		   strcmp(path, "/opt/splunk/var/spool/SA_QRadar_SOAR") == 0,
	   "the spool lives under $SPLUNK_HOME/var/spool/SA_QRadar_SOAR");
	ok(spool_default_dir(path, sizeof(path), "") == -1, "no SPLUNK_HOME: no spool");
	rc = spool_list(dir, &names, err, sizeof(err));
	ok(rc == SPOOL_OK && json_array_size(names) == 0, "a spool that does not exist is empty");
	json_decref(names);
	snprintf(path, sizeof(path), "%s/empty", base);
	mkdir(base, 0700);
	mkdir(path, 0700);
	rc = spool_list(path, &names, err, sizeof(err));
	ok(rc == SPOOL_OK && json_array_size(names) == 0, "an empty spool lists nothing");
	json_decref(names);
	rc = spool_write(dir, "k1", doc, err, sizeof(err));
	is_int(rc, SPOOL_OK, "write");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "the directory is 0700");
	snprintf(path, sizeof(path), "%s/k1.json", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600");
	rc = spool_read(dir, "k1", &got, err, sizeof(err));
	ok(rc == SPOOL_OK && json_equal(got, doc), "read gives the document back");
	json_decref(got);
	json_object_set_new(doc, "attempts", json_integer(3));
	rc = spool_write(dir, "k1", doc, err, sizeof(err));
	rc = rc ? rc : spool_read(dir, "k1", &got, err, sizeof(err));
	ok(rc == SPOOL_OK && json_integer_value(json_object_get(got, "attempts")) == 3,
	   "a second write replaces the document");
	json_decref(got);
	is_int(spool_write(dir, "../x", doc, err, sizeof(err)), SPOOL_BADNAME,
	       "a name with a path in it is refused");
	is_int(spool_write(dir, "", doc, err, sizeof(err)), SPOOL_BADNAME, "an empty name is refused");
	is_int(spool_read(dir, "nope", &got, err, sizeof(err)), SPOOL_NOTFOUND, "read of a missing name");
	chmod(dir, 0755);
	spool_write(dir, "k2", doc, err, sizeof(err));
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700,
	   "a directory opened up by hand is set back to 0700");
	json_decref(doc);
}

static void test_crash_leftovers(void)
{
	char err[512], path[700];
	json_t *names = NULL, *got = NULL;
	struct utimbuf old = { 1000, 1000 };
	FILE *f;
	int rc;

	/* what a writer killed before its rename leaves: a hidden temp file */
	snprintf(path, sizeof(path), "%s/.k3.4242.tmp", dir);
	f = fopen(path, "w");
	fputs("{\"_key\":\"k3\",\"half", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/.k4.4243.tmp", dir);
	f = fopen(path, "w");
	fputs("{\"_key\":", f);
	fclose(f);
	utime(path, &old);
	/* and a file damaged by something else */
	snprintf(path, sizeof(path), "%s/bad1.json", dir);
	f = fopen(path, "w");
	fputs("{\"_key\": \"bad1\", \"tru", f);
	fclose(f);
	rc = spool_list(dir, &names, err, sizeof(err));
	ok(rc == SPOOL_OK && json_array_size(names) == 3, "list: the documents only, never a temp file");
	{
		size_t i;
		int seen_tmp = 0;

		for (i = 0; i < json_array_size(names); i++)
			if (strstr(json_string_value(json_array_get(names, i)), "k3"))
				seen_tmp = 1;
		ok(!seen_tmp, "a half-written document is not listed");
	}
	json_decref(names);
	ok(access(path, F_OK) == 0, "the damaged document is still there");
	snprintf(path, sizeof(path), "%s/.k4.4243.tmp", dir);
	ok(access(path, F_OK) != 0, "a temp file older than an hour is deleted");
	snprintf(path, sizeof(path), "%s/.k3.4242.tmp", dir);
	ok(access(path, F_OK) == 0, "a fresh temp file (a writer may be busy) is kept");
	rc = spool_read(dir, "bad1", &got, err, sizeof(err));
	ok(rc == SPOOL_CORRUPT && got == NULL && strstr(err, "bad1.json"),
	   "a damaged document reads as corrupt, naming the file");
	is_int(spool_set_aside(dir, "bad1", err, sizeof(err)), SPOOL_OK, "set aside");
	snprintf(path, sizeof(path), "%s/bad1.bad", dir);
	ok(access(path, F_OK) == 0, "set aside keeps it as .bad");
	rc = spool_list(dir, &names, err, sizeof(err));
	ok(rc == SPOOL_OK && json_array_size(names) == 2, "a set-aside document is not listed");
	json_decref(names);
	is_int(spool_remove(dir, "k2", err, sizeof(err)), SPOOL_OK, "remove");
	is_int(spool_remove(dir, "k2", err, sizeof(err)), SPOOL_NOTFOUND, "remove twice");
}

/* A writer killed at any moment leaves the old document or the new one. */
static void test_kill_mid_write(void)
{
	char err[512], big[200000];
	json_t *doc, *got = NULL;
	int i, whole = 1;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	doc = json_pack("{s:s,s:s}", "_key", "k5", "v", big);
	spool_write(dir, "k5", doc, err, sizeof(err));
	for (i = 0; i < 20; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				spool_write(dir, "k5", doc, err, sizeof(err));
		}
		usleep(1000 + i * 300);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (spool_read(dir, "k5", &got, err, sizeof(err)) != SPOOL_OK ||
		    !json_equal(got, doc))
			whole = 0;
		json_decref(got);
		got = NULL;
	}
	ok(whole, "20 writers killed mid-write: the document always reads whole");
	json_decref(doc);
}

int main(void)
{
	char cmd[600];

	snprintf(base, sizeof(base), "/tmp/test_spool.%ld", (long)getpid());
	snprintf(dir, sizeof(dir), "%s/var/spool/SA_QRadar_SOAR", base);
	test_write_read();
	test_crash_leftovers();
	test_kill_mid_write();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", base);
	return tap_done();
}
