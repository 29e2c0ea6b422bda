#ifndef QS_SOAR_INTERNAL_H
#define QS_SOAR_INTERNAL_H

/*
 * soar.c helpers exposed for the unit tests only (tests/unit/test_soar.c);
 * nothing else should include this.
 */
#include "net/http.h"

/* soar_case_url without a handle: host as configured. */
char *soar_case_url_of(const char *host, int port, long long org_id,
		       long long id);

/* The error detail of a refused call: SOAR's StatusDTO message in double
 * quotes, "an HTML error page", or "" (out, size n). */
void soar_status_message(const struct http_response *r, char *out, size_t n);

#endif
