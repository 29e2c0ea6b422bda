/*
 * bin/qradar_soar_setup: the setup page's REST handler, run by splunkd as a
 * restmap.conf persistent driver (scripttype = persist). One process
 * serves many requests: persistconn packets on stdin, one reply each on
 * stdout (persist_serve, persist.h); each request is setup_request
 * (setup.h).
 *
 * Nothing but replies may reach stdout; diagnostics go to stderr (which
 * splunkd copies into splunkd.log) and to
 * $SPLUNK_HOME/var/log/splunk/qradar_soar_config_handler.log.
 *
 * The process ends with status 0 when splunkd closes stdin, or with 1
 * when it cannot answer (stdout gone).
 */
#include "setup/persist.h"
#include "setup/setup.h"
#include "util/log.h"
#include "util/secret.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define LOG_NAME "qradar_soar_config_handler"

int main(void)
{
	const char *home = getenv("SPLUNK_HOME");
	int rc;

	secret_wipe_json();
	/* a reply to a splunkd that went away must fail, not kill us */
	signal(SIGPIPE, SIG_IGN);
	if (log_open(home, LOG_NAME))
		warnf("cannot open %s/var/log/splunk/%s.log; logging to stderr only",
		      home ? home : "$SPLUNK_HOME", LOG_NAME);
	rc = persist_serve(stdin, stdout, setup_request, NULL);
	log_close();
	return rc ? 1 : 0;
}
