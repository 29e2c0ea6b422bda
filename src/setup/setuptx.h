#ifndef QS_SETUPTX_H
#define QS_SETUPTX_H

#include "net/splunkd.h"

#include <jansson.h>
#include <stddef.h>

/*
 * The setup's writes to splunkd as one transaction: each write first
 * remembers what it replaces (a stored password, the stanza keys it
 * touches, the form, the configured flag), so setuptx_rollback can put
 * every earlier write back when a later one fails. splunkd has no
 * transactions; this is the undo journal. Limits: a conf key that did not
 * exist before is restored as "" (configs/conf-* cannot remove a key), and
 * a rollback step can itself fail (each is logged; the count is returned).
 *
 * Paths are under /servicesNS/nobody/SA_QRadar_SOAR. Password entities
 * are "<realm>:<user>:" with ':' inside realm or user written "\:", as
 * splunkd names them. Errors: the splunkd_err of the failed call, err
 * naming the endpoint and splunkd's message; never a secret.
 */
struct setuptx;

/* d is borrowed and must outlive the transaction. */
int setuptx_new(struct setuptx **out, struct splunkd *d);
/* Forgets the journal (no rollback) and wipes the remembered passwords. */
void setuptx_free(struct setuptx *tx);

/* The clear password of realm/user into *out (malloc'd, the caller wipes
 * and frees it), or NULL when no such entity exists. */
int setuptx_password_get(struct splunkd *d, const char *realm, const char *user,
			 char **out, char *err, size_t n);

/* Stores secret for realm/user: created, or updated when it exists. */
int setuptx_password_set(struct setuptx *tx, const char *realm,
			 const char *user, const char *secret, char *err,
			 size_t n);
/* Removes realm/user if it exists (absent is not an error). */
int setuptx_password_delete(struct setuptx *tx, const char *realm,
			    const char *user, char *err, size_t n);

/* POSTs kv (an object of strings) to the stanza at path; old is the
 * stanza's content before (borrowed). old NULL: the stanza does not exist;
 * it is created (POST to the conf with name=) and deleted on rollback. */
int setuptx_conf_set(struct setuptx *tx, const char *path, const json_t *kv,
		     const json_t *old, char *err, size_t n);

/* POSTs eai:data = html to path (data/ui/alerts/<action>); the form it
 * replaces is read first. */
int setuptx_form_set(struct setuptx *tx, const char *path, const char *html,
		     char *err, size_t n);

/* Enables (enable 1) or disables the app's saved search name through
 * saved/searches/<name>/enable|disable, when it is not so already (a
 * rollback puts it back). 404 → SPLUNKD_NOTFOUND: no such search. */
int setuptx_search_enable(struct setuptx *tx, const char *name, int enable,
			  char *err, size_t n);

/* POSTs configured=1 to apps/local/SA_QRadar_SOAR. */
int setuptx_app_configured(struct setuptx *tx, char *err, size_t n);

/* Undoes every journalled write, newest first; returns how many undo
 * steps failed (each logged; err describes the first). The journal is
 * empty afterwards. */
int setuptx_rollback(struct setuptx *tx, char *err, size_t n);

#endif
