#ifndef QS_SECRET_H
#define QS_SECRET_H

/*
 * Secrets in memory (passwords, API key secrets, the splunkd session key,
 * SOAR's session cookie and csrf token, Authorization headers): every copy
 * this program makes is overwritten before its memory is given back, so a
 * later allocation or a core dump does not hold it. That covers strings
 * freed with secret_free, buffers made with BUF_INIT_SECRET (the payload
 * read from stdin, HTTP answers, request bodies, persistconn requests;
 * they copy instead of realloc), and, once secret_wipe_json() ran, every
 * JSON value jansson frees (the login body, splunkd's clear_password, the
 * setup request's form). Not covered: copies libcurl and OpenSSL make
 * while sending (their buffers and TLS records are theirs), and stdio's
 * input buffer, which persistconn requests pass through. Masking
 * secrets in logs is log.h's job.
 */

/* Overwrites the NUL-terminated string s, then frees it; s may be NULL. */
void secret_free(char *s);

/* Makes jansson wipe each block before freeing it (for the whole process;
 * call first thing in main, before any JSON value exists). */
void secret_wipe_json(void);

#endif
