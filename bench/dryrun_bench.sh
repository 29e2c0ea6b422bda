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
# Timed from one Python process so the figure is not dominated by the
# fork of a `date` per sample; /bin/true timed the same way is the floor.
python3 - "$RUNS" "$tmp/payload.json" "$BIN/qradar_soar" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, payload, cmd = int(sys.argv[1]), open(sys.argv[2], "rb").read(), sys.argv[3:]
def median(c):
    t = []
    for _ in range(runs):
        s = time.perf_counter()
        subprocess.run(c, input=payload, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t.append((time.perf_counter() - s) * 1000)
    return statistics.median(t)
base = median(["/bin/true"])
print("dry run: median %.2f ms (goal \u2264 5 ms; process spawn floor /bin/true %.2f ms)" % (median(cmd), base))
PY
