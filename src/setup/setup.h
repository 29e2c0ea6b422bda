#ifndef QS_SETUP_H
#define QS_SETUP_H

#include <jansson.h>

/*
 * The setup handler's logic, one call per persistconn request
 * (bin/qradar_soar_setup; the framing and the loop live in persist.c). request is the JSON object splunkd sends (method, form,
 * query, session.authtoken, server.rest_uri, ...), borrowed.
 *
 * Returns a new reference {"status": N, "payload": {...}}:
 *  - GET: 200 with the saved configuration (never a secret) and last_setup;
 *  - POST: validate (400, text names the field), log in to SOAR and fetch
 *    the field and artifact-type catalogues (502 when SOAR cannot be
 *    reached or refuses), then unless mode=test store the secret(s), write
 *    the [qradar_soar] stanza and the alert form through splunkd's REST API
 *    and mark the app configured, rolling back on failure; 200 with
 *    {"success", "text", "warnings"}.
 *  - other methods: 405.
 * Out of memory yields a 500 reply built at the first call; NULL only
 * when even that one could not be built (the caller then answers 500 with
 * a fixed text: setup/main.c does).
 */
json_t *setup_handle(const json_t *request);

/*
 * One persistconn request as persist_serve hands it over (a
 * persist_handler; ctx unused): parses the request JSON (a request that is
 * not a JSON object gets a 400), registers its secrets with the log before
 * anything of it is logged (forgetting the previous request's), runs
 * setup_handle and logs one line (method, path, user, status, time).
 * Returns the reply's bytes (malloc'd), or NULL when out of memory.
 */
char *setup_request(void *ctx, const char *block, size_t len);

#endif
