#!/bin/sh
# make bench: speed and memory figures (never part of make check).
# Each script prints its own "what: figure (goal …)" lines.
set -u
here=$(dirname "$0")
status=0
for b in results_bench.sh dryrun_bench.sh online_bench.sh; do
	[ -f "$here/$b" ] || continue
	echo "== $b"
	sh "$here/$b" || status=1
done
exit $status
