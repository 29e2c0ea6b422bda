/* Fuzz target: the setup page's form (JSON as persistconn delivers it)
 * through parsing and validation. */
#include "setup/setupform.h"

#include <jansson.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setup_form f;
	char field[64], err[512];
	json_t *form = json_loadb((const char *)data, size, JSON_ALLOW_NUL,
				  NULL);
	json_t *errors = json_array();

	if (!form || !errors) {
		json_decref(form);
		json_decref(errors);
		return 0;
	}
	if (setup_form_parse(form, &f, errors, field, sizeof(field), err,
			     sizeof(err)) == 0)
		setup_form_free(&f);
	json_decref(errors);
	json_decref(form);
	return 0;
}
