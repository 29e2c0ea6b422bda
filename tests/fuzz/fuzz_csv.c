/*
 * Fuzz target: the results reader over arbitrary bytes (read as a plain
 * file; gzopen reads uncompressed data transparently, and compressed
 * inputs in the corpus exercise the inflate path).
 */
#include "mapping/results.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	struct results *r = NULL;
	const struct row *row;
	FILE *f;
	size_t i, k;

	snprintf(path, sizeof(path), "/tmp/qs-fuzz-csv-%ld", (long)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	if (size && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);
	if (results_open(&r, path, err, sizeof(err)) == RESULTS_OK) {
		while (results_next(r, &row, err, sizeof(err)) == RESULTS_OK)
			for (i = 0; i < row->nfields; i++)
				for (k = 0; k < row->fields[i].nvals; k++)
					if (row->fields[i].vals[k][row->fields[i].lens[k]] != '\0')
						abort(); /* values are NUL-terminated */
		results_close(r);
	}
	unlink(path);
	return 0;
}
