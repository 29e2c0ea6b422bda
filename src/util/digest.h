#ifndef QS_DIGEST_H
#define QS_DIGEST_H

#include <stddef.h>

/* SHA-256 of data as 64 lowercase hex digits into out (n >= 65): names
 * derived from keys (lock files, queue documents) that hold any byte.
 * 0, or -1 when OpenSSL fails. */
#define DIGEST_HEX_LEN 64
int digest_hex(const void *data, size_t len, char *out, size_t n);

#endif
