#ifndef QS_SECRET_H
#define QS_SECRET_H

/*
 * Secrets in memory (passwords, API key secrets, session keys, cookies,
 * csrf tokens): overwritten before their memory is given back, so a later
 * allocation or a core dump does not hold them. Masking them in logs is
 * log.h's job.
 */

/* Overwrites the NUL-terminated string s, then frees it; s may be NULL. */
void secret_free(char *s);

#endif
