#!/bin/sh
# Builds the .spl from the release binaries (RELEASE_BIN, from make check),
# installs it into a temporary $SPLUNK_HOME/etc/apps, checks what AppInspect
# checks (and its manual review: the README's files are there, the shipped
# sources build the shipped binaries), that the binaries are fully static,
# then escalates from the installed location: once plainly, once with
# conflicting libssl/libcrypto/libcurl/libjansson stand-ins on
# LD_LIBRARY_PATH, as splunkd puts $SPLUNK_HOME/lib there.
# THIRD_PARTY: the static libraries make release built (reused by the
# rebuild from the package's sources).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
RELEASE_BIN=${RELEASE_BIN:-build/release/bin}
BIN=${BIN:-bin}
THIRD_PARTY=${THIRD_PARTY:-build/release/3p}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
# t STATUS NAME: one TAP line; returns STATUS so "|| note …" adds detail.
t() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; return 0; fi
	echo "not ok $n - $2"
	fail=1
	return 1
}
note() { sed 's/^/#   /' "$@" | head -n 20; }

[ -x "$RELEASE_BIN/qradar_soar" ]
t $? "the release binary exists ($RELEASE_BIN/qradar_soar; make release)"
BIN=$RELEASE_BIN DIST="$tmp/dist" STAGE="$tmp/SA_QRadar_SOAR" sh scripts/package.sh >/dev/null 2>"$tmp/err"
t $? "make package builds the .spl" || note "$tmp/err"
spl=$(ls "$tmp"/dist/SA_QRadar_SOAR-*.spl 2>/dev/null | head -n 1)
apps="$tmp/splunk/etc/apps"
mkdir -p "$apps"
app="$apps/SA_QRadar_SOAR"
tar -xzf "$spl" -C "$apps" 2>/dev/null && [ -d "$app" ]
t $? "the .spl unpacks into etc/apps/SA_QRadar_SOAR"
tar -tzf "$spl" | grep -qvE '^SA_QRadar_SOAR(/|$)'
[ $? -ne 0 ]
t $? "the app folder is at the top of the archive"

# Permissions and contents, as AppInspect judges them.
[ -x "$app/bin/qradar_soar" ]
t $? "bin/qradar_soar is there"
bad=$(find "$app/bin" -type f ! -perm 755)
[ -z "$bad" ]
t $? "every file in bin/ is 755 (qradar_soar, qradar_soar_setup when built)" || echo "#   $bad"
for b in "$RELEASE_BIN"/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	[ -x "$app/bin/$(basename "$b")" ] || echo "$(basename "$b")"
done >"$tmp/missing"
[ ! -s "$tmp/missing" ]
t $? "every release executable is packaged" || note "$tmp/missing"
bad=$(find "$app" -type f ! -path "$app/bin/*" ! -perm 644)
[ -z "$bad" ]
t $? "every other file is 644" || echo "#   $bad"
[ -z "$(find "$app" -type d ! -perm 755)" ]
t $? "directories are 755"
[ -z "$(find "$app" -perm -o+w)" ]
t $? "nothing is world-writable"
[ ! -e "$app/local" ] && [ ! -e "$app/metadata/local.meta" ]
t $? "no local/ and no local.meta"
bad=$(find "$app" \( -name '*.o' -o -name '*.a' -o -name '*.d' -o -name '.git*' -o -name '*.pyc' \
	-o -name '__pycache__' -o -name '*~' -o -name '.DS_Store' \) -print)
[ -z "$bad" ]
t $? "no build leftovers (.o, .a, .d, .git, caches)" || echo "#   $bad"
find default -type f | while read -r f; do
	! cmp -s "$f" "$app/$f" && [ "$f" != default/app.conf ] && echo "$f"
done >"$tmp/missing"
[ ! -s "$tmp/missing" ]
t $? "every file of default/ ships, views and nav included" || note "$tmp/missing"
for f in default/props.conf default/transforms.conf default/macros.conf default/workflow_actions.conf \
	default/data/ui/nav/default.xml default/data/ui/views/qradar_soar_escalations.xml; do
	[ -f "$app/$f" ] || echo "$f"
done >"$tmp/missing"
grep -q '^is_visible = 1$' "$app/default/app.conf" || echo "default/app.conf: is_visible = 1" >>"$tmp/missing"
grep -q '^\[QRadar SOAR escalation failures\]$' "$app/default/savedsearches.conf" ||
	echo "default/savedsearches.conf: [QRadar SOAR escalation failures]" >>"$tmp/missing"
[ ! -s "$tmp/missing" ]
t $? "the visible app's dashboard, nav, extractions, macros, workflow action and failure alert ship" ||
	note "$tmp/missing"
python3 - "$app" >"$tmp/conf" 2>&1 <<'PY'
import glob, os, re, sys
app, bad = sys.argv[1], []
files = glob.glob(os.path.join(app, "default", "*.conf")) + glob.glob(os.path.join(app, "metadata", "*.meta"))
for path in files:
    lines = open(path, encoding="utf-8").read().split("\n")
    cont = False
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if cont or not s or s.startswith("#") or re.match(r"^\[[^\]]*\]$", s) \
                or re.match(r"^[^=\s][^=]*?\s*=", line):
            cont = line.endswith("\\")
            continue
        bad.append("%s:%d: %r" % (os.path.relpath(path, app), i, line))
print("\n".join(bad))
sys.exit(1 if bad or not files else 0)
PY
t $? "every default/*.conf and metadata/*.meta has valid .conf syntax" || note "$tmp/conf"
grep -q '^build = [0-9][0-9]*$' "$app/default/app.conf"
t $? "app.conf carries a numeric build"

# The Binary File Declaration names every binary and its source.
sed -n '/^# Binary File Declaration/,$p' "$app/README.md" >"$tmp/decl"
[ -s "$tmp/decl" ]
t $? "README.md carries the Binary File Declaration"
for b in "$app"/bin/*; do
	grep -q "bin/$(basename "$b")" "$tmp/decl" || echo "$(basename "$b")"
done >"$tmp/missing"
[ ! -s "$tmp/missing" ]
t $? "the declaration names every binary in bin/" || note "$tmp/missing"
grep -qi 'glibc [0-9.]* or later' "$tmp/decl"
[ $? -ne 0 ]
t $? "the declaration names no glibc floor"
[ -s "$app/licenses/THIRD-PARTY" ] && (for l in musl zlib openssl jansson curl libxml2; do
	[ -s "$app/licenses/$l.txt" ] || exit 1
done)
t $? "licenses/ carries the notices of musl and the five statically linked libraries"

# Runs on any Linux x86-64: fully static, so nothing is looked up at run
# time: no program interpreter (the loader), no shared library.
for b in "$app"/bin/*; do
	exe=$(basename "$b")
	readelf -lW "$b" | grep -q 'INTERP' && echo "$exe: has a program interpreter (PT_INTERP)"
	readelf -d "$b" | grep -q '(NEEDED)' && echo "$exe: needs $(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
	file -b "$b" | grep -q 'statically linked' || echo "$exe: file says: $(file -b "$b")"
	readelf -h "$b" | grep -q 'Machine:.*X86-64' || echo "$exe: not x86-64"
done >"$tmp/dyn"
[ ! -s "$tmp/dyn" ]
t $? "the binaries are fully static x86-64: no INTERP, no NEEDED, file says statically linked" || note "$tmp/dyn"

# The manual review's two questions: is everything the README speaks of
# there, and do the shipped sources build the shipped binaries?
python3 tests/package/readme_refs.py "$app" >"$tmp/refs" 2>&1
t $? "every file and folder the shipped README names is in the package" || note "$tmp/refs"
# make release as the README documents it, from the package alone, with
# the static libraries make release built here (the same build script,
# so nothing is built twice): the same bytes as the shipped binaries.
# (Not under the calling make's variables: make asan's BUILD, SAN, OPT.)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$app/src" release \
	THIRD_PARTY="$(cd "$THIRD_PARTY" && pwd)" >"$tmp/rebuild" 2>&1
t $? "the package's src/ builds with make release alone" || { tail -n 20 "$tmp/rebuild" >"$tmp/rebuild.tail"; note "$tmp/rebuild.tail"; }
for b in "$app"/bin/*; do
	cmp -s "$b" "$app/src/build/release/bin/$(basename "$b")" || echo "$(basename "$b") differs"
done >"$tmp/diff"
[ ! -s "$tmp/diff" ]
t $? "what the package's src/ builds is byte for byte what bin/ ships" || note "$tmp/diff"
rm -rf "$app/src/build"

QS_BINARY="$app/bin/qradar_soar" python3 tests/package/installed_run.py "$tmp/splunk" >"$tmp/run" 2>&1
t $? "an escalation runs from the installed location" || note "$tmp/run"

# Stand-ins of the libraries splunkd's LD_LIBRARY_PATH may hold: same
# sonames, no symbol versions, failing entry points, and a marker file
# written when loaded.
mkdir -p "$tmp/standins" "$tmp/marks"
for so in libssl.so.3 libcrypto.so.3 libcurl.so.4 libjansson.so.4 libxml2.so.2 libz.so.1; do
	${CC:-gcc} -shared -fPIC -DSTANDIN="\"$so\"" -Wl,-soname,"$so" \
		-o "$tmp/standins/$so" tests/package/standin.c 2>>"$tmp/cc" || echo "$so" >>"$tmp/cc"
done
[ ! -s "$tmp/cc" ]
t $? "the library stand-ins build" || note "$tmp/cc"
# splunkd also sets OPENSSL_CONF to its own openssl.cnf, which may name
# providers this OpenSSL cannot load (a FIPS module): the action ignores it.
cat >"$tmp/standins/openssl.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
fips = fips_sect
[default_sect]
activate = 1
[fips_sect]
activate = 1
module = /nonexistent/splunk/lib/ossl-modules/fips.so
EOF
# The stand-ins work: the same escalation with a binary linked to the
# system's shared libraries (the development build) fails, as it would
# under splunkd ("symbol lookup error" / "version … not found").
if [ -x "$BIN/qradar_soar" ] && readelf -d "$BIN/qradar_soar" | grep -q 'NEEDED.*libcurl'; then
	QS_STANDIN_MARKS="$tmp/marks" QS_BINARY="$BIN/qradar_soar" \
		python3 tests/package/installed_run.py "$tmp/splunk1" "$tmp/standins" >"$tmp/run1" 2>&1
	[ $? -ne 0 ] && grep -qE 'symbol lookup error|version .* not found|rc=127' "$tmp/run1"
	t $? "control: the dynamically linked $BIN/qradar_soar fails with the stand-ins" || note "$tmp/run1"
	rm -f "$tmp/marks"/*
fi
QS_STANDIN_MARKS="$tmp/marks" QS_BINARY="$app/bin/qradar_soar" \
	python3 tests/package/installed_run.py "$tmp/splunk2" "$tmp/standins" >"$tmp/run2" 2>&1
t $? "an HTTPS escalation runs with the stand-ins on LD_LIBRARY_PATH and splunkd's OPENSSL_CONF" || note "$tmp/run2"
for b in "$app"/bin/*; do
	LD_LIBRARY_PATH="$tmp/standins" QS_STANDIN_MARKS="$tmp/marks" SPLUNK_HOME="$tmp/splunk3" \
		timeout 10 "$b" </dev/null >/dev/null 2>&1
done
[ -z "$(ls "$tmp/marks")" ]
t $? "no executable in bin/ loaded a stand-in" || ls "$tmp/marks" | sed 's/^/#   loaded: /'

echo "1..$n"
exit $fail
