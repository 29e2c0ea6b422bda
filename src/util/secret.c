#include "util/secret.h"

#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

void secret_free(char *s)
{
	if (!s)
		return;
	/* explicit_bzero: a plain memset before free may be optimised out */
	explicit_bzero(s, strlen(s));
	free(s);
}

/* jansson does not say how large a block is: glibc's malloc does. */
static void wipe_free(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void secret_wipe_json(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
}
