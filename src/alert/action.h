#ifndef QS_ACTION_H
#define QS_ACTION_H

/*
 * bin/qradar_soar --execute: the whole escalation as splunkd runs it.
 * Reads the payload from stdin, the SOAR secret from storage/passwords,
 * the raw templates from the saved search (scheduled runs) or the
 * payload's configuration (ad hoc), creates or updates one SOAR case per
 * row, comments on each notable, and writes CAM status lines to
 * $SPLUNK_HOME/var/log/splunk/qradar_soar_modalert.log.
 * Returns an enum exit_code: EXIT_OK only when every row was escalated.
 */
int action_execute(void);

#endif
