#include "mapping/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Fields the server flags read-only that the add-on may still set; IBM's
 * add-on maps them too (READ_ONLY_OVERRIDES). */
static const char *const read_only_overrides[] = { "inc_training", NULL };

static enum field_type type_of(const char *t)
{
	static const struct {
		const char *name;
		enum field_type type;
	} map[] = {
		{ "text", FT_TEXT },
		{ "textarea", FT_TEXTAREA },
		{ "boolean", FT_BOOLEAN },
		{ "number", FT_NUMBER },
		{ "select", FT_SELECT },
		{ "multiselect", FT_MULTISELECT },
		{ "datepicker", FT_DATE },
		{ "datetimepicker", FT_DATETIME },
		{ "select_owner", FT_SELECT_OWNER },
		{ "multiselect_members", FT_MULTISELECT_MEMBERS },
	};
	size_t i;

	for (i = 0; t && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(t, map[i].name) == 0)
			return map[i].type;
	return FT_OTHER;
}

static int is_override(const char *name)
{
	size_t i;

	for (i = 0; read_only_overrides[i]; i++)
		if (strcmp(name, read_only_overrides[i]) == 0)
			return 1;
	return 0;
}

static const char *str_or_null(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return (s && *s) ? s : NULL;
}

int catalog_load(struct catalog *c, json_t *fields, json_t *types, char *err,
		 size_t errlen)
{
	size_t i, n;
	int rc = -1;

	c->fields_doc = fields;
	c->types_doc = types;
	c->defs = NULL;
	c->ndefs = 0;
	if (!json_is_array(fields)) {
		snprintf(err, errlen,
			 "fields: not a JSON array of field definitions");
		goto out;
	}
	/* A bare array (how tests/emu/data stores the catalogue) is taken as
	 * the entities list. */
	if (json_is_array(types)) {
		json_t *wrap = json_pack("{s:O}", "entities", types);

		json_decref(types);
		c->types_doc = types = wrap;
		if (!wrap) {
			snprintf(err, errlen, "artifact types: out of memory");
			goto out;
		}
	}
	if (types && !json_is_array(json_object_get(types, "entities"))) {
		snprintf(err, errlen, "artifact types: no \"entities\" array");
		goto out;
	}
	n = json_array_size(fields);
	c->defs = calloc(n ? n : 1, sizeof(*c->defs));
	if (!c->defs) {
		snprintf(err, errlen, "fields: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_t *d = json_array_get(fields, i);
		struct fielddef *f = &c->defs[c->ndefs];
		const char *name = str_or_null(d, "name"), *req;
		char key[512];
		int k;

		if (!json_is_object(d) || !name) {
			snprintf(err, errlen, "fields: element %zu has no name",
				 i);
			goto out;
		}
		f->name = name;
		f->prefix = str_or_null(d, "prefix");
		f->text = str_or_null(d, "text");
		f->input_type = str_or_null(d, "input_type");
		f->type = type_of(f->input_type);
		req = str_or_null(d, "required");
		f->required = req && strcmp(req, "always") == 0;
		f->server_read_only =
			json_is_true(json_object_get(d, "read_only"));
		f->read_only = f->server_read_only && !is_override(name);
		f->deprecated = json_is_true(json_object_get(d, "deprecated"));
		f->rich_text = json_is_true(json_object_get(d, "rich_text"));
		f->server_default = json_is_true(
			json_object_get(d, "default_chosen_by_server"));
		f->values = json_object_get(d, "values");
		if (!json_is_array(f->values))
			f->values = NULL;
		k = f->prefix ? snprintf(key, sizeof(key), "%s.%s", f->prefix,
					 name)
			      : snprintf(key, sizeof(key), "%s", name);
		if (k < 0 || (size_t)k >= sizeof(key)) {
			snprintf(err, errlen,
				 "fields: element %zu has a name too long", i);
			goto out;
		}
		f->key = strdup(key);
		if (!f->key) {
			snprintf(err, errlen, "fields: out of memory");
			goto out;
		}
		c->ndefs++;
	}
	rc = 0;
out:
	return rc;
}

static json_t *load_file(const char *path, const char *what, char *err,
			 size_t errlen)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);

	if (!j)
		snprintf(err, errlen, "%s file %s: %s (line %d)", what, path,
			 je.text, je.line);
	return j;
}

int catalog_load_files(struct catalog *c, const char *fields_path,
		       const char *types_path, char *err, size_t errlen)
{
	json_t *fields = NULL, *types = NULL;

	c->fields_doc = c->types_doc = NULL;
	c->defs = NULL;
	c->ndefs = 0;
	fields = load_file(fields_path, "fields", err, errlen);
	if (!fields)
		return -1;
	if (types_path) {
		types = load_file(types_path, "artifact types", err, errlen);
		if (!types) {
			json_decref(fields);
			return -1;
		}
	}
	return catalog_load(c, fields, types, err, errlen);
}

void catalog_free(struct catalog *c)
{
	size_t i;

	for (i = 0; i < c->ndefs; i++)
		free((char *)c->defs[i].key);
	free(c->defs);
	json_decref(c->fields_doc);
	json_decref(c->types_doc);
	c->defs = NULL;
	c->fields_doc = c->types_doc = NULL;
	c->ndefs = 0;
}

const struct fielddef *catalog_field(const struct catalog *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->ndefs; i++)
		if (strcmp(c->defs[i].key, key) == 0)
			return &c->defs[i];
	return NULL;
}

int fielddef_choice_usable(const json_t *v)
{
	return !json_is_false(json_object_get(v, "enabled")) &&
	       !json_is_true(json_object_get(v, "hidden"));
}

json_t *fielddef_choice(const struct fielddef *f, const char *label)
{
	size_t i;
	json_t *v;

	json_array_foreach(f->values, i, v) {
		const char *l = json_string_value(json_object_get(v, "label"));

		if (l && fielddef_choice_usable(v) && strcmp(l, label) == 0)
			return json_incref(json_object_get(v, "value"));
	}
	return NULL;
}

static json_t *choice_ci(const struct fielddef *f, const char *label)
{
	size_t i;
	json_t *v;

	json_array_foreach(f->values, i, v) {
		const char *l = json_string_value(json_object_get(v, "label"));

		if (l && fielddef_choice_usable(v) && strcasecmp(l, label) == 0)
			return json_incref(json_object_get(v, "value"));
	}
	return NULL;
}

json_t *fielddef_yes_no_choice(const struct fielddef *f, const char *value)
{
	json_t *v;
	int yes;

	if (!value)
		return NULL;
	if (!strcmp(value, "1") || !strcasecmp(value, "true"))
		yes = 1;
	else if (!strcmp(value, "0") || !strcasecmp(value, "false"))
		yes = 0;
	else
		return NULL;
	v = choice_ci(f, yes ? "yes" : "no");
	return v ? v : choice_ci(f, yes ? "true" : "false");
}

const char *fielddef_label(const struct fielddef *f, const json_t *id)
{
	size_t i;
	json_t *v;

	if (!f || !id)
		return NULL;
	json_array_foreach(f->values, i, v)
		if (json_equal(json_object_get(v, "value"), (json_t *)id))
			return json_string_value(json_object_get(v, "label"));
	return NULL;
}

char *fielddef_choices_text(const struct fielddef *f, char *out, size_t n)
{
	size_t i, o = 0;
	json_t *v;

	if (n == 0)
		return out;
	out[0] = '\0';
	json_array_foreach(f->values, i, v) {
		const char *l = json_string_value(json_object_get(v, "label"));
		int k;

		if (!l || !fielddef_choice_usable(v))
			continue;
		k = snprintf(out + o, n - o, "%s%s", o ? ", " : "", l);
		if (k < 0 || (size_t)k >= n - o) {
			out[o] = '\0';
			break;
		}
		o += (size_t)k;
	}
	return out;
}

const json_t *catalog_artifact_type(const struct catalog *c, const char *name)
{
	json_t *ents = json_object_get(c->types_doc, "entities"), *e;
	size_t i;
	int pass;

	for (pass = 0; pass < 3; pass++) {
		json_array_foreach(ents, i, e) {
			const char *n =
				json_string_value(json_object_get(e, "name"));
			const char *p = json_string_value(
				json_object_get(e, "programmatic_name"));

			if (json_is_false(json_object_get(e, "enabled")))
				continue;
			if ((pass == 0 && n && strcmp(n, name) == 0) ||
			    (pass == 1 && p && strcmp(p, name) == 0) ||
			    (pass == 2 && n && strcasecmp(n, name) == 0))
				return e;
		}
	}
	return NULL;
}
