/* setup_call: reads one persistconn request JSON on stdin, calls
 * setup_handle and prints the reply JSON; logs go to stderr and, when
 * SPLUNK_HOME is set, to qradar_soar_config_handler.log. For tests of the
 * setup logic without the persistconn loop. */
#include "util/log.h"
#include "setup/setup.h"

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	json_error_t je;
	json_t *req = json_loadf(stdin, 0, &je), *rep;
	char *out;

	if (!req) {
		fprintf(stderr, "setup_call: stdin is not JSON: %s\n", je.text);
		return 2;
	}
	log_open(getenv("SPLUNK_HOME"), "qradar_soar_config_handler");
	rep = setup_handle(req);
	out = rep ? json_dumps(rep, JSON_SORT_KEYS) : NULL;
	if (out)
		printf("%s\n", out);
	free(out);
	json_decref(rep);
	json_decref(req);
	log_close();
	return out ? 0 : 1;
}
