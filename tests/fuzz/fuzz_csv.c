/*
 * Fuzz target: the results reader over arbitrary bytes. Inputs that are
 * gzip already (the corpus has some) are written as they are, to fuzz the
 * inflate path; the others are gzipped first, so the CSV parser sees
 * them (the reader refuses a file that is not gzip).
 */
#include "mapping/results.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	struct results *r = NULL;
	const struct row *row;
	FILE *f;
	size_t i, k;

	snprintf(path, sizeof(path), "/tmp/qs-fuzz-csv-%ld", (long)getpid());
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		f = fopen(path, "wb");
		if (!f)
			return 0;
		if (fwrite(data, 1, size, f) != size) {
			fclose(f);
			return 0;
		}
		fclose(f);
	} else {
		gzFile g = gzopen(path, "wb1");

		if (!g)
			return 0;
		if (size && gzwrite(g, data, (unsigned)size) != (int)size) {
			gzclose(g);
			return 0;
		}
		gzclose(g);
	}
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
