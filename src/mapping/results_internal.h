#ifndef QS_RESULTS_INTERNAL_H
#define QS_RESULTS_INTERNAL_H

/*
 * results.c's knob for the unit tests only (tests/unit/test_results.c):
 * nothing else should include this.
 */
#include "mapping/results.h"

#include <stddef.h>

/* results_open with cells capped at cell_cap bytes instead of
 * BUF_CAP_FIELD, so a test need not write 64 MB to pass the cap. */
int results_open_capped(struct results **out, const char *path, size_t cell_cap,
			char *err, size_t errlen);

#endif
