#ifndef QS_EXITCODES_H
#define QS_EXITCODES_H

/*
 * Exit codes of bin/qradar_soar. splunkd records any non-zero code as
 * "Alert action script returned error code=N"; the README documents each.
 * When several classes occur in one run, the highest-numbered one wins,
 * except that EXIT_INTERNAL always wins.
 */
enum exit_code {
	EXIT_OK = 0,	  /* every row escalated (or zero rows) */
	EXIT_USAGE = 1,	  /* wrong arguments (not --execute / --dry-run) */
	EXIT_PAYLOAD = 2, /* stdin payload or configuration unusable */
	EXIT_RESULTS = 3, /* results file missing, unreadable or corrupt */
	EXIT_ROWS = 4, /* one or more rows failed (mapping or SOAR refusal) */
	EXIT_SPLUNKD = 5, /* splunkd refused: secret, saved search, 403 */
	EXIT_SOAR = 6,	  /* SOAR unreachable: login, org, TLS, connection */
	EXIT_NOTABLE = 7, /* cases made, but a notable comment or a case note
			   * failed */
	EXIT_INTERNAL = 8 /* out of memory or an unexpected failure */
};

#endif
