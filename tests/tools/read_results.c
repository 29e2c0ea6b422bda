/* read_results FILE: streams every row through the results reader and
 * prints the row count, the bytes of values and the peak RSS (MB). */
#include "mapping/results.h"

#include <stdio.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
	struct results *r = NULL;
	const struct row *row;
	char err[512];
	unsigned long long rows = 0, bytes = 0;
	struct rusage ru;
	size_t i, k;
	int rc;

	if (argc != 2 || results_open(&r, argv[1], err, sizeof(err)) != RESULTS_OK) {
		fprintf(stderr, "read_results: %s\n", argc == 2 ? err : "usage: read_results FILE");
		return 1;
	}
	while ((rc = results_next(r, &row, err, sizeof(err))) == RESULTS_OK) {
		rows++;
		for (i = 0; i < row->nfields; i++)
			for (k = 0; k < row->fields[i].nvals; k++)
				bytes += row->fields[i].lens[k];
	}
	results_close(r);
	if (rc != RESULTS_EOF) {
		fprintf(stderr, "read_results: %s\n", err);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("rows=%llu value_bytes=%llu peak_rss_mb=%.1f\n", rows, bytes,
	       ru.ru_maxrss / 1024.0);
	return 0;
}
