/*
 * gen_results MB OUT.csv.gz: writes a Splunk-format results file of about
 * MB megabytes uncompressed for the benchmark: quoted multi-line _raw
 * cells, a multivalue column, and a 10 MB cell every 100 MB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int main(int argc, char **argv)
{
	long long want, written = 0, next_big = 50LL << 20;
	unsigned long row = 0;
	gzFile gz;
	char line[4096], *big;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_results MB OUT.csv.gz\n");
		return 1;
	}
	want = strtoll(argv[1], &end, 10) << 20;
	if (*end || want <= 0) {
		fprintf(stderr, "gen_results: MB must be a positive number\n");
		return 1;
	}
	gz = gzopen(argv[2], "wb1");
	if (!gz)
		return 1;
	big = malloc((10u << 20) + 1);
	if (!big)
		return 1;
	memset(big, 'x', 10u << 20);
	big[10u << 20] = '\0';
	written += gzprintf(gz, "_time,host,src,_raw,__mv__time,__mv_host,__mv_src,__mv__raw\n");
	while (written < want) {
		int n;

		if (written >= next_big) {
			/* gzprintf is limited to its small buffer: write in parts */
			n = gzputs(gz, "1714557600,big,1.1.1.1,\"");
			n += gzwrite(gz, big, 10u << 20);
			n += gzputs(gz, "\",,,,\n");
			next_big += 100LL << 20;
		} else {
			n = snprintf(line, sizeof(line),
				     "\"1714557%03lu.%03lu\",host%lu,\"10.0.%lu.1\n10.0.%lu.2\",\"%lu: Failed password for invalid user \"\"admin\"\" from 10.0.0.1 port 22 ssh2\nsecond line of the event, padded to look like a real syslog event with some more words in it\",,,$10.0.%lu.1$;$10.0.%lu.2$,\n",
				     row % 1000, row % 997, row % 50, row % 255,
				     row % 255, row, row % 255, row % 255);
			n = gzwrite(gz, line, (unsigned)n);
		}
		if (n <= 0)
			return 1;
		written += n;
		row++;
	}
	free(big);
	return gzclose(gz) == Z_OK ? 0 : 1;
}
