#!/bin/sh
# Results parsing: throughput against zcat of the same file (goal >= 70%)
# and peak RSS on ~1 GB uncompressed with 10 MB cells (goal <= 16 MB).
set -eu
BUILD=${BUILD:-build}
MB=${RESULTS_BENCH_MB:-1024}
dir="$BUILD/bench"
mkdir -p "$dir"
f="$dir/results-$MB.csv.gz"
if [ ! -f "$f" ]; then
	"$BUILD/tools/gen_results" "$MB" "$f.tmp"
	mv "$f.tmp" "$f"
fi
now() { date +%s.%N; }
t0=$(now); zcat "$f" >/dev/null; t1=$(now)
out=$("$BUILD/tools/read_results" "$f"); t2=$(now)
awk -v mb="$MB" -v z="$(echo "$t1 - $t0" | bc)" -v r="$(echo "$t2 - $t1" | bc)" -v o="$out" 'BEGIN {
	split(o, a, /[ =]/); rss = a[6];
	printf "results: %d MB uncompressed, %s rows\n", mb, a[2];
	printf "results: throughput %.0f MB/s vs zcat %.0f MB/s (%.0f%%, goal >= 70%%)\n", mb / r, mb / z, 100 * z / r;
	printf "results: peak RSS %.1f MB (goal <= 16 MB)\n", rss;
}'
