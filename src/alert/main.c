/*
 * bin/qradar_soar: the alert action splunkd runs.
 *   qradar_soar --execute                     (payload on stdin)
 *   qradar_soar --dry-run --fields F.json [--artifact-types T.json]
 * Exit codes: src/exitcodes.h (documented in the README).
 */
#include "alert/action.h"
#include "alert/dryrun.h"
#include "util/exitcodes.h"
#include "util/log.h"

#include <string.h>

static const char usage[] = "usage: qradar_soar --execute < payload.json\n"
			    "       qradar_soar --dry-run --fields FIELDS.json "
			    "[--artifact-types TYPES.json] < payload.json";

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--execute") == 0)
		return action_execute();
	if (argc >= 2 && strcmp(argv[1], "--dry-run") == 0)
		return dryrun_main(argc, argv);
	errorf("unsupported mode %s%s%s; %s", argc > 1 ? "\"" : "",
	       argc > 1 ? argv[1] : "(none)", argc > 1 ? "\"" : "", usage);
	return EXIT_USAGE;
}
