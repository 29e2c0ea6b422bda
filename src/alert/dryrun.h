#ifndef QS_DRYRUN_H
#define QS_DRYRUN_H

/*
 * The mapping preview: bin/qradar_soar --dry-run --fields FIELDS.json
 * [--artifact-types TYPES.json] < payload.json
 * No network. The payload's configuration values are the templates; every
 * row of the results becomes one line on stdout, in row order:
 *   {"rid": "…", "case": <the exact POST /incidents body>, "warnings": […]}
 *   {"rid": "…", "error": "…"}
 * and nothing else is printed on stdout. Returns an enum exit_code:
 * EXIT_OK iff no row errored (warnings do not count).
 */
int dryrun_main(int argc, char **argv);

#endif
