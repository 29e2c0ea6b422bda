#!/bin/sh
# Runs test suites and prints one closing line "N passed, M failed".
# Every test program or script prints TAP ("ok …" / "not ok …"); a program
# that exits non-zero without a "not ok" line counts as one failure.
# Suites: layout unit cases e2e fuzz package browser (or "all"). Logs of failing programs
# are kept under tests/out/.
#   BUILD, BIN: build directories (from make); VALGRIND=1 wraps C programs.
set -u
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
export BUILD BIN
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=tests/out
mkdir -p "$out"
passed=0
failed=0
skipped=0

vg=""
if [ "${VALGRIND:-0}" = 1 ]; then
	vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
	export QS_VALGRIND="$vg"
fi

# run_one NAME CMD...: runs CMD, tallies its TAP lines.
run_one() {
	name=$1
	shift
	log="$out/$(echo "$name" | tr '/ ' '__').log"
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	s=$(grep -c '^ok .*# SKIP' "$log")
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $name ($p passed, $f failed) — see $log"
		grep -E '^(not ok|#)' "$log" | head -20 | sed 's/^/    /'
	else
		echo "ok   $name ($p passed)"
	fi
}

# The layering rules of src/ (CONTRIBUTING.md), and the checker on trees
# that break them.
suite_layout() {
	run_one layout/test_layers.py python3 tests/layout/test_layers.py
}

suite_unit() {
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		# shellcheck disable=SC2086
		run_one "unit/$(basename "$t")" $vg "$t"
	done
}

suite_cases() {
	[ -f tests/run-cases.sh ] && run_one cases sh tests/run-cases.sh
}

suite_e2e() {
	for t in tests/e2e/test_*.py; do
		[ -f "$t" ] || continue
		run_one "e2e/$(basename "$t")" python3 "$t"
	done
	for t in tests/e2e/test_*.sh; do
		[ -f "$t" ] || continue
		run_one "e2e/$(basename "$t")" sh "$t"
	done
}

suite_fuzz() {
	for t in "$BUILD"/fuzz-smoke/fuzz_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		run_one "fuzz/$n" "$t" "tests/fuzz/corpus/${n#fuzz_}"
	done
}

suite_package() {
	for t in tests/package/test_*.sh; do
		[ -f "$t" ] || continue
		run_one "package/$(basename "$t")" sh "$t"
	done
}

# The setup page: its files always; in headless Chromium when node, Debian's
# chromium and tests/browser/node_modules are there (make check installs
# them and sets QS_BROWSER_REQUIRED=1: then a missing one fails; otherwise
# the browser test reports a SKIP).
suite_browser() {
	run_one browser/check_page.py python3 tests/browser/check_page.py
	if command -v node >/dev/null 2>&1; then
		run_one browser/test_setup_page.js node tests/browser/test_setup_page.js
	elif [ "${QS_BROWSER_REQUIRED:-0}" = 1 ]; then
		run_one browser/test_setup_page.js echo "not ok 1 - node is not installed"
	else
		run_one browser/test_setup_page.js echo "ok 1 # SKIP node is not installed"
	fi
}

[ $# -eq 0 ] && set -- all
for s in "$@"; do
	case $s in
	all) suite_layout; suite_unit; suite_cases; suite_e2e; suite_fuzz; suite_package; suite_browser ;;
	layout | unit | cases | e2e | fuzz | package | browser) "suite_$s" ;;
	*) echo "run.sh: unknown suite $s" >&2; exit 2 ;;
	esac
done
[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
