/*
 * bin/qradar_soar: the alert action splunkd runs.
 *   qradar_soar --execute                     (payload on stdin)
 *   qradar_soar --dry-run --fields F.json [--artifact-types T.json]
 *   qradar_soar --help | --version
 * Exit codes: src/util/exitcodes.h (documented in the README).
 */
#include "alert/action.h"
#include "alert/dryrun.h"
#include "util/exitcodes.h"
#include "util/log.h"
#include "util/secret.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: qradar_soar --execute < payload.json\n"
			    "       qradar_soar --dry-run --fields FIELDS.json "
			    "[--artifact-types TYPES.json] < payload.json\n"
			    "       qradar_soar --help | --version";

static const char help[] =
	"\n\n"
	"The QRadar SOAR alert action of the QRadar SOAR Add-on for Splunk:\n"
	"creates or updates a QRadar SOAR case for each result row of an "
	"alert.\n\n"
	"  --execute   what splunkd runs: the alert payload (JSON or XML) on\n"
	"              stdin; the connection comes from the add-on's setup "
	"page\n"
	"  --dry-run   prints the case body each row would make (one JSON "
	"line\n"
	"              per row) and sends nothing; --fields is the org's\n"
	"              GET /rest/orgs/{org}/types/incident/fields, "
	"--artifact-types\n"
	"              its GET /rest/orgs/{org}/artifact_types\n"
	"  --help      this text\n"
	"  --version   the add-on's version\n\n"
	"Exit status: 0 every row escalated, 1 usage, 2 payload or "
	"configuration\n"
	"unusable, 3 results file unreadable, 4 rows failed, 5 splunkd "
	"refused,\n"
	"6 SOAR unreachable or refusing the login, 7 notable comment or case\n"
	"note failed, "
	"8 internal error.\n\n"
	"Logs: $SPLUNK_HOME/var/log/splunk/qradar_soar_modalert.log; the\n"
	"add-on's Escalations dashboard and Settings > Messages show "
	"failures.\n";

int main(int argc, char **argv)
{
	secret_wipe_json();
	if (argc == 2 && strcmp(argv[1], "--execute") == 0)
		return action_execute();
	if (argc >= 2 && strcmp(argv[1], "--dry-run") == 0)
		return dryrun_main(argc, argv);
	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return printf("%s%s", usage, help) < 0 || fflush(stdout)
			       ? EXIT_INTERNAL
			       : EXIT_OK;
	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		return printf("qradar_soar %s (SA_QRadar_SOAR)\n", QS_VERSION) <
					       0 ||
				       fflush(stdout)
			       ? EXIT_INTERNAL
			       : EXIT_OK;
	errorf("unsupported mode %s%s%s; %s", argc > 1 ? "\"" : "",
	       argc > 1 ? argv[1] : "(none)", argc > 1 ? "\"" : "", usage);
	return EXIT_USAGE;
}
