#include "setup/setuptx.h"
#include "util/names.h"
#include "util/buf.h"
#include "setup/confwrite.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APP_PATH QS_NS "/apps/local/" QS_APP

enum step_kind {
	ST_PASSWORD,
	ST_CONF,
	ST_CONF_NEW,
	ST_FORM,
	ST_APP,
	ST_SEARCH
};

/* One journalled write and what undoes it. */
struct step {
	enum step_kind kind;
	char *path;  /* conf, form and saved search */
	char *realm; /* password */
	char *user;  /* password */
	char *old;   /* the password, form or configured flag it replaced,
			 * the saved search's "enable" or "disable" that undoes
			 * it; NULL = there was none (password) */
	int had_old; /* form: an old form was read */
	json_t *kv;  /* conf: the old values of the keys written */
};

struct setuptx {
	struct splunkd *d;
	struct step *steps;
	size_t n, alloc;
};

int setuptx_new(struct setuptx **out, struct splunkd *d)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return SPLUNKD_NOMEM;
	(*out)->d = d;
	return SPLUNKD_OK;
}

static void step_free(struct step *s)
{
	free(s->path);
	free(s->realm);
	free(s->user);
	secret_free(s->old);
	json_decref(s->kv);
	memset(s, 0, sizeof(*s));
}

static void journal_clear(struct setuptx *tx)
{
	size_t i;

	for (i = 0; i < tx->n; i++)
		step_free(&tx->steps[i]);
	tx->n = 0;
}

void setuptx_free(struct setuptx *tx)
{
	if (!tx)
		return;
	journal_clear(tx);
	free(tx->steps);
	free(tx);
}

/* Appends s (its pointers now owned by the journal); on failure frees
 * them. */
static int journal(struct setuptx *tx, struct step *s, char *err, size_t n)
{
	if (tx->n == tx->alloc) {
		size_t na = tx->alloc ? tx->alloc * 2 : 8;
		struct step *ns = realloc(tx->steps, na * sizeof(*ns));

		if (!ns) {
			step_free(s);
			snprintf(err, n, "out of memory");
			return SPLUNKD_NOMEM;
		}
		tx->steps = ns;
		tx->alloc = na;
	}
	tx->steps[tx->n++] = *s;
	return SPLUNKD_OK;
}

int setuptx_password_get(struct splunkd *d, const char *realm, const char *user,
			 char **out, char *err, size_t n)
{
	int rc = splunkd_get_password(d, realm, user, "password", out, err, n);

	/* nothing stored yet is a state to restore, not an error */
	return rc == SPLUNKD_NOTFOUND ? SPLUNKD_OK : rc;
}

/* Creates or updates realm/user = secret, whichever applies. */
static int password_put(struct splunkd *d, const char *realm, const char *user,
			const char *secret, int exists, char *err, size_t n)
{
	const char *create[] = { "name",  user,	 "password", secret,
				 "realm", realm, NULL };
	const char *update[] = { "password", secret, NULL };
	char *path;
	int rc;

	if (!exists) {
		rc = splunkd_post_form(d, QS_PASSWORDS_PATH, create, NULL, err,
				       n);
		/* created meanwhile by someone else: update it */
		if (rc != SPLUNKD_CONFLICT)
			return rc;
	}
	path = splunkd_password_path(realm, user);
	if (!path) {
		snprintf(err, n, "out of memory");
		return SPLUNKD_NOMEM;
	}
	rc = splunkd_post_form(d, path, update, NULL, err, n);
	free(path);
	return rc;
}

static int password_step(struct setuptx *tx, const char *realm,
			 const char *user, char *old, char *err, size_t n)
{
	struct step s = { ST_PASSWORD, NULL, strdup(realm), strdup(user),
			  old,	       0,    NULL };

	if (!s.realm || !s.user) {
		step_free(&s);
		snprintf(err, n, "out of memory");
		return SPLUNKD_NOMEM;
	}
	return journal(tx, &s, err, n);
}

int setuptx_password_set(struct setuptx *tx, const char *realm,
			 const char *user, const char *secret, char *err,
			 size_t n)
{
	char *old = NULL;
	int rc;

	rc = setuptx_password_get(tx->d, realm, user, &old, err, n);
	if (rc)
		return rc;
	rc = password_put(tx->d, realm, user, secret, old != NULL, err, n);
	if (rc) {
		secret_free(old);
		return rc;
	}
	return password_step(tx, realm, user, old, err, n);
}

int setuptx_password_delete(struct setuptx *tx, const char *realm,
			    const char *user, char *err, size_t n)
{
	char *old = NULL, *path;
	int rc;

	rc = setuptx_password_get(tx->d, realm, user, &old, err, n);
	if (rc || !old)
		return rc;
	path = splunkd_password_path(realm, user);
	if (!path) {
		secret_free(old);
		snprintf(err, n, "out of memory");
		return SPLUNKD_NOMEM;
	}
	rc = splunkd_delete(tx->d, path, err, n);
	free(path);
	if (rc == SPLUNKD_NOTFOUND)
		rc = SPLUNKD_OK;
	if (rc) {
		secret_free(old);
		return rc;
	}
	return password_step(tx, realm, user, old, err, n);
}

static int post_kv(struct splunkd *d, const char *path, const json_t *kv,
		   char *err, size_t n)
{
	const char **list = confwrite_kv_list(kv);
	int rc;

	if (!list) {
		snprintf(err, n, "out of memory");
		return SPLUNKD_NOMEM;
	}
	rc = splunkd_post_form(d, path, list, NULL, err, n);
	free(list);
	return rc;
}

int setuptx_conf_set(struct setuptx *tx, const char *path, const json_t *kv,
		     const json_t *old, char *err, size_t n)
{
	struct step s = { ST_CONF, strdup(path), NULL, NULL, NULL,
			  0,	   json_object() };
	const char *k;
	json_t *v;
	int rc;

	if (!s.path || !s.kv)
		goto nomem;
	if (!old) {
		json_t *create = json_object();
		char *slash = strrchr(s.path, '/');

		if (!create || !slash ||
		    json_object_set_new(create, "name",
					json_string(slash + 1)) ||
		    json_object_update(create, (json_t *)kv)) {
			json_decref(create);
			goto nomem;
		}
		*slash = '\0';
		rc = post_kv(tx->d, s.path, create, err, n);
		*slash = '/';
		json_decref(create);
		if (rc) {
			step_free(&s);
			return rc;
		}
		s.kind = ST_CONF_NEW;
		return journal(tx, &s, err, n);
	}
	json_object_foreach((json_t *)kv, k, v) {
		const char *was = json_string_value(json_object_get(old, k));

		if (json_object_set_new(s.kv, k, json_string(was ? was : "")))
			goto nomem;
	}
	rc = post_kv(tx->d, path, kv, err, n);
	if (rc) {
		step_free(&s);
		return rc;
	}
	return journal(tx, &s, err, n);
nomem:
	step_free(&s);
	snprintf(err, n, "out of memory");
	return SPLUNKD_NOMEM;
}

int setuptx_form_set(struct setuptx *tx, const char *path, const char *html,
		     char *err, size_t n)
{
	struct step s = { ST_FORM, strdup(path), NULL, NULL, NULL, 0, NULL };
	const char *kv[] = { "eai:data", html, NULL };
	json_t *j = NULL;
	const char *was;
	int rc;

	if (!s.path)
		goto nomem;
	rc = splunkd_get(tx->d, path, &j, err, n);
	if (rc && rc != SPLUNKD_NOTFOUND) {
		step_free(&s);
		return rc;
	}
	was = json_string_value(
		json_object_get(splunkd_entry_content(j), "eai:data"));
	if (was) {
		s.had_old = 1;
		s.old = strdup(was);
		if (!s.old) {
			json_decref(j);
			goto nomem;
		}
	}
	json_decref(j);
	rc = splunkd_post_form(tx->d, path, kv, NULL, err, n);
	if (rc) {
		step_free(&s);
		return rc;
	}
	return journal(tx, &s, err, n);
nomem:
	step_free(&s);
	snprintf(err, n, "out of memory");
	return SPLUNKD_NOMEM;
}

/* "1", "true" or a JSON true (splunkd's spelling varies by version). */
static int is_on(const json_t *v)
{
	return json_is_true(v) || text_bool(json_string_value(v)) == 1;
}

int setuptx_search_enable(struct setuptx *tx, const char *name, int enable,
			  char *err, size_t n)
{
	static const char *const none[] = { NULL };
	struct step s = { ST_SEARCH, NULL, NULL, NULL, NULL, 0, NULL };
	struct buf b = BUF_INIT(4096);
	char *esc = text_url_escape(name);
	json_t *j = NULL;
	int rc;

	if (!esc) {
		snprintf(err, n, "out of memory");
		return SPLUNKD_NOMEM;
	}
	buf_printf(&b, QS_NS "/saved/searches/%s", esc);
	free(esc);
	s.path = buf_take(&b);
	if (!s.path) {
		snprintf(err, n, "out of memory");
		return SPLUNKD_NOMEM;
	}
	rc = splunkd_get(tx->d, s.path, &j, err, n);
	if (rc == SPLUNKD_OK && is_on(json_object_get(splunkd_entry_content(j),
						      "disabled")) == enable) {
		char *act = malloc(strlen(s.path) + sizeof("/disable"));

		rc = SPLUNKD_NOMEM;
		snprintf(err, n, "out of memory");
		if (act) {
			snprintf(act, strlen(s.path) + sizeof("/disable"),
				 "%s/%s", s.path,
				 enable ? "enable" : "disable");
			rc = splunkd_post_form(tx->d, act, none, NULL, err, n);
			free(act);
		}
		s.old = rc ? NULL : strdup(enable ? "disable" : "enable");
		if (rc == SPLUNKD_OK && !s.old) {
			snprintf(err, n, "out of memory");
			rc = SPLUNKD_NOMEM;
		}
		if (rc == SPLUNKD_OK) {
			json_decref(j);
			return journal(tx, &s, err, n);
		}
	}
	json_decref(j);
	step_free(&s);
	return rc;
}

int setuptx_app_configured(struct setuptx *tx, char *err, size_t n)
{
	const char *kv[] = { "configured", "1", NULL };
	struct step s = { ST_APP, NULL, NULL, NULL, NULL, 0, NULL };
	json_t *j = NULL, *c;
	int rc, was;

	rc = splunkd_get(tx->d, APP_PATH, &j, err, n);
	if (rc)
		return rc;
	/* splunkd answers "0"/"1" or a JSON boolean, depending on version */
	c = json_object_get(splunkd_entry_content(j), "configured");
	was = json_is_true(c) || (json_string_value(c) &&
				  (strcmp(json_string_value(c), "1") == 0 ||
				   strcmp(json_string_value(c), "true") == 0));
	json_decref(j);
	rc = splunkd_post_form(tx->d, APP_PATH, kv, NULL, err, n);
	if (rc || was)
		return rc;
	s.old = strdup("0");
	if (!s.old) {
		snprintf(err, n, "out of memory");
		return SPLUNKD_NOMEM;
	}
	return journal(tx, &s, err, n);
}

static int undo(struct splunkd *d, const struct step *s, char *err, size_t n)
{
	const char *kv[3] = { NULL, NULL, NULL };
	char *path;
	int rc;

	switch (s->kind) {
	case ST_PASSWORD:
		if (s->old) {
			rc = password_put(d, s->realm, s->user, s->old, 1, err,
					  n);
			/* removed by this setup: create it again */
			if (rc == SPLUNKD_NOTFOUND)
				rc = password_put(d, s->realm, s->user, s->old,
						  0, err, n);
			return rc;
		}
		path = splunkd_password_path(s->realm, s->user);
		if (!path) {
			snprintf(err, n, "out of memory");
			return SPLUNKD_NOMEM;
		}
		rc = splunkd_delete(d, path, err, n);
		free(path);
		return rc == SPLUNKD_NOTFOUND ? SPLUNKD_OK : rc;
	case ST_CONF:
		return post_kv(d, s->path, s->kv, err, n);
	case ST_CONF_NEW:
		rc = splunkd_delete(d, s->path, err, n);
		return rc == SPLUNKD_NOTFOUND ? SPLUNKD_OK : rc;
	case ST_FORM:
		if (!s->had_old)
			return SPLUNKD_OK;
		kv[0] = "eai:data";
		kv[1] = s->old;
		return splunkd_post_form(d, s->path, kv, NULL, err, n);
	case ST_APP:
		kv[0] = "configured";
		kv[1] = s->old;
		return splunkd_post_form(d, APP_PATH, kv, NULL, err, n);
	case ST_SEARCH: {
		size_t len = strlen(s->path) + strlen(s->old) + 2;

		path = malloc(len);
		if (!path) {
			snprintf(err, n, "out of memory");
			return SPLUNKD_NOMEM;
		}
		snprintf(path, len, "%s/%s", s->path, s->old);
		rc = splunkd_post_form(d, path, kv, NULL, err, n);
		free(path);
		return rc;
	}
	}
	return SPLUNKD_OK;
}

static const char *step_name(const struct step *s, char *out, size_t n)
{
	switch (s->kind) {
	case ST_PASSWORD:
		snprintf(out, n, "the stored password of realm %s user %s",
			 s->realm, s->user);
		break;
	case ST_CONF:
		snprintf(out, n, "the keys written to %s", s->path);
		break;
	case ST_CONF_NEW:
		snprintf(out, n, "the stanza created at %s", s->path);
		break;
	case ST_FORM:
		snprintf(out, n, "the alert form at %s", s->path);
		break;
	case ST_APP:
		snprintf(out, n, "the app's configured flag");
		break;
	case ST_SEARCH:
		snprintf(out, n, "the saved search at %s", s->path);
		break;
	}
	return out;
}

int setuptx_rollback(struct setuptx *tx, char *err, size_t n)
{
	char e[1024], what[1024];
	int failed = 0;
	size_t i;

	if (n)
		err[0] = '\0';
	for (i = tx->n; i-- > 0;) {
		const struct step *s = &tx->steps[i];

		if (undo(tx->d, s, e, sizeof(e)) == SPLUNKD_OK) {
			infof("setup rollback: restored %s",
			      step_name(s, what, sizeof(what)));
			continue;
		}
		errorf("setup rollback: could not restore %s: %s",
		       step_name(s, what, sizeof(what)), e);
		if (!failed)
			snprintf(err, n, "could not restore %s: %s", what, e);
		failed++;
	}
	journal_clear(tx);
	return failed;
}
