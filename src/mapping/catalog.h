#ifndef QS_CATALOG_H
#define QS_CATALOG_H

#include <jansson.h>
#include <stddef.h>

/*
 * The org's incident field definitions (GET /rest/orgs/{org}/types/
 * incident/fields: a JSON array of FieldDefDTO) and artifact types (GET
 * /rest/orgs/{org}/artifact_types: {"entities": [IncidentArtifactTypeDTO]}).
 * Fields are addressed by their mapping key: the API name, prefixed with
 * "<prefix>." when the definition has a prefix ("properties.x", "pii.y").
 * Ownership: the catalog holds a reference to both JSON documents and
 * never changes them (they may be shared, e.g. the SOAR handle's cache
 * that every worker reads); the mapping keys are its own copies. Every
 * pointer it hands out is borrowed and lives until catalog_free().
 */
enum field_type {
	FT_TEXT,
	FT_TEXTAREA,
	FT_BOOLEAN,
	FT_NUMBER,
	FT_SELECT,
	FT_MULTISELECT,
	FT_DATE,
	FT_DATETIME,
	FT_SELECT_OWNER,
	FT_MULTISELECT_MEMBERS,
	FT_OTHER /* internal types we cannot map */
};

struct fielddef {
	const char *key;	/* mapping key, owned by the catalog */
	const char *name;	/* API name */
	const char *prefix;	/* NULL for top-level fields */
	const char *text;	/* UI label */
	const char *input_type; /* as the server spells it */
	enum field_type type;
	int required;	      /* required == "always" */
	int read_only;	      /* read_only and not a known override */
	int server_read_only; /* read_only as the server says it */
	int deprecated;
	int rich_text;
	int server_default; /* default_chosen_by_server */
	json_t *values;	    /* borrowed array of FieldDefValueDTO, or NULL */
};

struct catalog {
	json_t *fields_doc;
	json_t *types_doc;
	struct fielddef *defs;
	size_t ndefs;
};

#define CATALOG_INIT                \
	{                           \
		NULL, NULL, NULL, 0 \
	}

/* Takes over the caller's reference to fields (array) and types (object
 * with "entities", a bare entities array, or NULL), even on error. err
 * names what was malformed. */
int catalog_load(struct catalog *c, json_t *fields, json_t *types, char *err,
		 size_t errlen);
/* Reads the two documents from files (types_path may be NULL). */
int catalog_load_files(struct catalog *c, const char *fields_path,
		       const char *types_path, char *err, size_t errlen);
void catalog_free(struct catalog *c);

const struct fielddef *catalog_field(const struct catalog *c, const char *key);

/* The id (a new reference) of the enabled choice whose label equals label
 * exactly, or NULL. */
json_t *fielddef_choice(const struct fielddef *f, const char *label);
/*
 * Splunk stores a Yes/No typed into an alert form as 1/0, and IBM's add-on
 * mapped those back: for value "1" or "true" (any case) the usable choice
 * labelled "Yes" or "True", for "0" or "false" the one labelled "No" or
 * "False" (labels in any case; Yes/No before True/False). A new reference
 * to the choice's id, or NULL when value is none of those or f has no
 * such choice.
 */
json_t *fielddef_yes_no_choice(const struct fielddef *f, const char *value);
/* The label of the choice whose value (id) equals id, disabled and hidden
 * ones included (a stored value may be one since disabled), borrowed from
 * the catalog; NULL when f has no such choice. */
const char *fielddef_label(const struct fielddef *f, const json_t *id);
/* Whether a FieldDefValueDTO can be chosen: neither disabled nor hidden
 * (the UI does not offer those either). */
int fielddef_choice_usable(const json_t *v);

/* Writes "a, b, c" (the enabled labels) into out; returns out. */
char *fielddef_choices_text(const struct fielddef *f, char *out, size_t n);

/* The artifact type entity whose name (or programmatic_name) equals name,
 * case-sensitively first, then ignoring case; enabled types only. NULL
 * when not found or when no types document was loaded. */
const json_t *catalog_artifact_type(const struct catalog *c, const char *name);

#endif
