#ifndef QS_TAP_H
#define QS_TAP_H

/*
 * A tiny TAP producer for the unit tests: each check prints
 * "ok N - name" or "not ok N - name" (with a "# got/expected" note);
 * tap_done() prints the plan and returns the exit status (0 iff all
 * passed). Header-only so each test is one self-contained program.
 */
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *name)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	fflush(stdout);
	return cond;
}

static inline int tap_is_str(const char *got, const char *want, const char *name)
{
	int c = (got == NULL && want == NULL) ||
		(got && want && strcmp(got, want) == 0);

	if (!tap_ok(c, name))
		printf("#   got:      \"%s\"\n#   expected: \"%s\"\n",
		       got ? got : "(null)", want ? want : "(null)");
	return c;
}

static inline int tap_is_int(long long got, long long want, const char *name)
{
	int c = got == want;

	if (!tap_ok(c, name))
		printf("#   got:      %lld\n#   expected: %lld\n", got, want);
	return c;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#define ok(c, name) tap_ok((c), (name))
#define is_str(g, w, name) tap_is_str((g), (w), (name))
#define is_int(g, w, name) tap_is_int((long long)(g), (long long)(w), (name))

#endif
