#include "util/keylock.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

/* 8 processes: lock, read the counter file, sleep, write it back plus one.
 * Without the lock increments are lost. */
static void test_processes(void)
{
	char path[400], err[256];
	FILE *f;
	int i, v = -1;

	snprintf(path, sizeof(path), "%s/../counter", dir);
	f = fopen(path, "w");
	fputs("0", f);
	fclose(f);
	for (i = 0; i < 8; i++) {
		if (fork() == 0) {
			int k;

			for (k = 0; k < 5; k++) {
				struct keylock l = KEYLOCK_INIT;
				int c = 0;

				if (keylock_acquire(&l, dir, k % 2 ? "EV-1@@notable@@X" : "ev-1@@NOTABLE@@x",
						    10000, err, sizeof(err)))
					_exit(1);
				f = fopen(path, "r");
				if (!f || fscanf(f, "%d", &c) != 1)
					_exit(2);
				fclose(f);
				usleep(2000);
				f = fopen(path, "w");
				fprintf(f, "%d", c + 1);
				fclose(f);
				keylock_release(&l);
			}
			_exit(0);
		}
	}
	for (i = 0; i < 8; i++) {
		int st;

		wait(&st);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			v = -2;
	}
	f = fopen(path, "r");
	if (v != -2 && (!f || fscanf(f, "%d", &v) != 1))
		v = -3;
	if (f)
		fclose(f);
	is_int(v, 40, "8 processes × 5 increments under the lock (keys differing in case share it)");
}

static void test_timeout_and_names(void)
{
	struct keylock a = KEYLOCK_INIT, b = KEYLOCK_INIT;
	char err[256], cmd[400];
	struct stat st;
	int rc;

	rc = keylock_acquire(&a, dir, "../../etc/passwd", 1000, err, sizeof(err));
	is_int(rc, KEYLOCK_OK, "any key is safe: the file is named by its digest");
	rc = keylock_acquire(&b, dir, "../../ETC/passwd", 100, err, sizeof(err));
	ok(rc == KEYLOCK_TIMEOUT && strstr(err, "another process"), "a held lock times out");
	keylock_release(&a);
	keylock_release(&a);
	rc = keylock_acquire(&b, dir, "../../ETC/passwd", 100, err, sizeof(err));
	is_int(rc, KEYLOCK_OK, "released: the next one gets it");
	keylock_release(&b);
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "the lock directory is 0700");
	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '^[0-9a-f]\\{64\\}\\.lock$' | grep -q '^1$'", dir);
	ok(system(cmd) == 0, "one lock file for a key and its case variant, named <sha256>.lock");
	snprintf(cmd, sizeof(cmd), "touch -d '2 days ago' %s/*.lock", dir);
	if (system(cmd) != 0)
		printf("# touch failed\n");
	keylock_acquire(&a, dir, "held", 1000, err, sizeof(err));
	snprintf(cmd, sizeof(cmd), "touch -d '2 days ago' %s/*.lock", dir);
	if (system(cmd) != 0)
		printf("# touch failed\n");
	is_int(keylock_sweep(dir, 86400), 1,
	       "the sweep removes an old lock file nobody holds, not a held one");
	keylock_release(&a);
	ok(keylock_default_dir(cmd, sizeof(cmd), "/opt/splunk") == 0 &&
		   strcmp(cmd, "/opt/splunk/var/run/SA_QRadar_SOAR") == 0,
	   "the locks live under $SPLUNK_HOME/var/run/SA_QRadar_SOAR");
}

int main(void)
{
	char cmd[400];

	snprintf(dir, sizeof(dir), "/tmp/test_keylock.%ld/run", (long)getpid());
	test_timeout_and_names();
	test_processes();
	snprintf(cmd, sizeof(cmd), "rm -rf /tmp/test_keylock.%ld", (long)getpid());
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return tap_done();
}
