#include "util/secret.h"

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
