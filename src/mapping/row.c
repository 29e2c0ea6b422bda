#include "mapping/results.h"

#include <string.h>

/* The row accessor lives apart from the reader so code that only looks at
 * rows (the mapping engine, its tests) does not link the gzip reader. */
const struct field *row_field(const struct row *row, const char *name)
{
	size_t i;

	for (i = 0; row && i < row->nfields; i++)
		if (row->fields[i].name &&
		    strcmp(row->fields[i].name, name) == 0)
			return &row->fields[i];
	return NULL;
}
