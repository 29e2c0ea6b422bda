#!/bin/sh
# Builds the .spl, installs it into a temporary $SPLUNK_HOME/etc/apps, checks
# what AppInspect checks, and escalates from the installed location.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
t() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

DIST="$tmp/dist" STAGE="$tmp/SA_QRadar_SOAR" sh scripts/package.sh >/dev/null 2>"$tmp/err"
t $? "make package builds the .spl"
spl=$(ls "$tmp"/dist/SA_QRadar_SOAR-*.spl 2>/dev/null | head -n 1)
apps="$tmp/splunk/etc/apps"
mkdir -p "$apps"
app="$apps/SA_QRadar_SOAR"
tar -xzf "$spl" -C "$apps" 2>/dev/null && [ -d "$app" ]
t $? "the .spl unpacks into etc/apps/SA_QRadar_SOAR"
[ -x "$app/bin/qradar_soar" ] && [ "$(stat -c %a "$app/bin/qradar_soar")" = 755 ]
t $? "bin/qradar_soar is 755"
[ -z "$(find "$app" -type f ! -path '*/bin/*' ! -perm 644)" ]
t $? "every other file is 644"
[ -z "$(find "$app" -perm -o+w)" ]
t $? "nothing is world-writable"
[ ! -e "$app/local" ] && [ ! -e "$app/metadata/local.meta" ]
t $? "no local/ and no local.meta"
grep -q '^# Binary File Declaration' "$app/README.md"
t $? "README.md carries the Binary File Declaration"
[ -f "$app/src/alert_main.c" ]
t $? "C sources ship beside the binary"
tar -tzf "$spl" | grep -qvE '^SA_QRadar_SOAR(/|$)'
[ $? -ne 0 ]
t $? "the app folder is at the top of the archive"
need=$(objdump -T "$app/bin/qradar_soar" 2>/dev/null | sed -n 's/.*GLIBC_\([0-9.]*\).*/\1/p' | sort -t. -k1,1n -k2,2n | tail -n 1)
[ -n "$need" ] && [ "$(printf '%s\n2.34\n' "$need" | sort -t. -k1,1n -k2,2n | tail -n 1)" = 2.34 ]
t $? "needs glibc $need, within the documented 2.34"
QS_BINARY="$app/bin/qradar_soar" python3 tests/package/installed_run.py "$tmp/splunk" >"$tmp/run" 2>&1
t $? "an escalation runs from the installed location"
[ $fail = 0 ] || sed 's/^/# /' "$tmp/run" "$tmp/err" | head -20
echo "1..$n"
exit $fail
