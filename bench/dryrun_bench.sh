#!/bin/sh
# Median wall time of a 1-row dry run (goal: <= 5 ms), 200 runs.
# Usage: BIN=/tmp/b/bin sh bench/dryrun_bench.sh
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$TOP/bin}
RUNS=${RUNS:-200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# The first notable (header + one CSV record; records span lines).
python3 -c 'import csv, sys; r = csv.reader(open(sys.argv[1], newline="")); w = csv.writer(sys.stdout, lineterminator="\n"); w.writerow(next(r)); w.writerow(next(r))' \
	"$TOP/samples/results.csv" | gzip -c >"$tmp/results.csv.gz"
# The sample's @…@ placeholders are filled the way scripts/demo.py does.
sed -e "s|@RESULTS@|$tmp/results.csv.gz|" -e 's|@SERVER_URI@|https://127.0.0.1:8089|' \
	-e 's|@SESSION_KEY@|bench|' -e 's|@SOAR_HOST@|soar.example.com|' \
	-e 's|@SOAR_PORT@|443|' -e 's|@SOAR_CA@|true|' \
	"$TOP/samples/payload.json" >"$tmp/payload.json"
set -- --dry-run --fields "$TOP/tests/emu/data/fields.json" \
	--artifact-types "$TOP/tests/emu/data/artifact_types.json"
"$BIN/qradar_soar" "$@" <"$tmp/payload.json" >"$tmp/out" 2>"$tmp/err" || {
	echo "dry run failed:" >&2; cat "$tmp/err" >&2; exit 1; }
[ "$(wc -l <"$tmp/out")" -eq 1 ] || { echo "expected 1 line" >&2; exit 1; }
i=0
while [ "$i" -lt "$RUNS" ]; do
	s=$(date +%s%N)
	"$BIN/qradar_soar" "$@" <"$tmp/payload.json" >/dev/null 2>&1 || true
	e=$(date +%s%N)
	echo $(( (e - s) / 1000 ))
	i=$((i + 1))
done | sort -n >"$tmp/times"
med=$(sed -n "$(( (RUNS + 1) / 2 ))p" "$tmp/times")
awk -v us="$med" 'BEGIN { printf "dry run: median %.2f ms (goal \342\211\244 5 ms)\n", us / 1000 }'
