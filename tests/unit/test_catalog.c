#include "tap.h"
#include "mapping/catalog.h"

#include <stdlib.h>
#include <string.h>

static const char *FIELDS = "["
 "{\"name\":\"name\",\"input_type\":\"text\",\"required\":\"always\"},"
 "{\"name\":\"inc_training\",\"input_type\":\"boolean\",\"read_only\":true},"
 "{\"name\":\"create_date\",\"input_type\":\"datetimepicker\",\"read_only\":true},"
 "{\"name\":\"sev\",\"prefix\":\"properties\",\"input_type\":\"select\",\"values\":["
 "  {\"label\":\"1\",\"value\":54,\"enabled\":true},"
 "  {\"label\":\"High\",\"value\":55,\"enabled\":true},"
 "  {\"label\":\"Old\",\"value\":56,\"enabled\":false}]},"
 "{\"name\":\"ssn\",\"prefix\":\"pii\",\"input_type\":\"text\"},"
 "{\"name\":\"harm\",\"prefix\":\"pii\",\"input_type\":\"select\",\"values\":["
 "  {\"label\":\"TRUE\",\"value\":7,\"enabled\":true},{\"label\":\"yes\",\"value\":8,\"enabled\":true},"
 "  {\"label\":\"No\",\"value\":9,\"enabled\":false,\"hidden\":false},"
 "  {\"label\":\"False\",\"value\":10,\"enabled\":true}]}]";
static const char *TYPES = "{\"entities\":["
 "{\"name\":\"IP Address\",\"programmatic_name\":\"net.ip\",\"enabled\":true},"
 "{\"name\":\"My Custom\",\"enabled\":true},"
 "{\"name\":\"Gone\",\"enabled\":false}]}";

int main(void)
{
	struct catalog c = CATALOG_INIT;
	char err[256], txt[256];
	const struct fielddef *f;
	json_t *v;

	ok(catalog_load(&c, json_loads(FIELDS, 0, NULL), json_loads(TYPES, 0, NULL),
			err, sizeof err) == 0, "load");
	f = catalog_field(&c, "properties.sev");
	ok(f && f->type == FT_SELECT, "prefixed key");
	ok(catalog_field(&c, "sev") == NULL, "bare name not a key");
	ok(catalog_field(&c, "pii.ssn") != NULL, "pii prefix");
	ok(catalog_field(&c, "inc_training") && !catalog_field(&c, "inc_training")->read_only, "inc_training override");
	ok(catalog_field(&c, "create_date")->read_only, "read only kept");
	ok(catalog_field(&c, "name")->required, "required always");
	v = fielddef_choice(f, "1");
	is_int(json_integer_value(v), 54, "numeric-looking label is a label");
	json_decref(v);
	ok(fielddef_choice(f, "54") == NULL, "id is not a label");
	ok(fielddef_choice(f, "Old") == NULL, "disabled invalid");
	ok(fielddef_choice(f, "high") == NULL, "label exact case");
	is_str(fielddef_choices_text(f, txt, sizeof txt), "1, High", "choices text");
	ok(fielddef_yes_no_choice(f, "1") == NULL, "yes/no: a field without such choices has none");
	f = catalog_field(&c, "pii.harm");
	v = fielddef_yes_no_choice(f, "1");
	is_int(json_integer_value(v), 8, "yes/no: 1 picks Yes (any case) before True");
	json_decref(v);
	v = fielddef_yes_no_choice(f, "TRUE");
	is_int(json_integer_value(v), 8, "yes/no: true in any case is 1");
	json_decref(v);
	v = fielddef_yes_no_choice(f, "0");
	is_int(json_integer_value(v), 10, "yes/no: a disabled No is passed over for False");
	json_decref(v);
	ok(fielddef_yes_no_choice(f, "yes") == NULL && fielddef_yes_no_choice(f, "on") == NULL &&
	   fielddef_yes_no_choice(f, "01") == NULL, "yes/no: only 1, 0, true and false");
	f = catalog_field(&c, "properties.sev");
	ok(catalog_artifact_type(&c, "IP Address") != NULL, "type by name");
	ok(catalog_artifact_type(&c, "My Custom") != NULL, "custom type");
	ok(catalog_artifact_type(&c, "net.ip") != NULL, "programmatic name");
	ok(catalog_artifact_type(&c, "ip address") != NULL, "case-insensitive fallback");
	ok(catalog_artifact_type(&c, "Gone") == NULL, "disabled type");
	catalog_free(&c);
	{
		/* documents shared with others (the SOAR handle's cache, read by
		 * every worker) are read, never written */
		json_t *fd = json_loads(FIELDS, 0, NULL), *td = json_loads(TYPES, 0, NULL);
		char *before = json_dumps(fd, JSON_SORT_KEYS), *after;

		json_incref(fd);
		json_incref(td);
		ok(catalog_load(&c, fd, td, err, sizeof err) == 0, "load shared documents");
		is_str(catalog_field(&c, "pii.ssn")->key, "pii.ssn", "the key is the catalog's");
		after = json_dumps(fd, JSON_SORT_KEYS);
		is_str(after, before, "the fields document is unchanged");
		catalog_free(&c);
		is_int(fd->refcount, 1, "the caller's reference stays");
		json_decref(fd);
		json_decref(td);
		free(before);
		free(after);
	}
	ok(catalog_load(&c, json_loads("{}", 0, NULL), NULL, err, sizeof err) != 0, "fields not array");
	catalog_free(&c);
	ok(catalog_load(&c, json_loads("[]", 0, NULL), json_loads("[{\"name\":\"URL\"}]", 0, NULL), err, sizeof err) == 0 &&
	   catalog_artifact_type(&c, "URL") != NULL, "bare array of types");
	catalog_free(&c);
	/* the emulator's realistic catalogue, when run from the repo root */
	if (catalog_load_files(&c, "tests/emu/data/fields.json", "tests/emu/data/artifact_types.json", err, sizeof err) == 0) {
		ok(catalog_field(&c, "properties.splunk_notable_event_id") != NULL, "emu: notable field");
		ok(catalog_field(&c, "inc_training") && !catalog_field(&c, "inc_training")->read_only, "emu: inc_training mappable");
		ok(catalog_artifact_type(&c, "IP Address") != NULL, "emu: IP Address type");
		catalog_free(&c);
	}
	return tap_done();
}
