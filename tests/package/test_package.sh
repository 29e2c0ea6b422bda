#!/bin/sh
# Builds the .spl from the release binaries (RELEASE_BIN, from make check),
# installs it into a temporary $SPLUNK_HOME/etc/apps, checks what AppInspect
# checks, then escalates from the installed location: once plainly, once
# with conflicting libssl/libcrypto/libcurl/libjansson stand-ins on
# LD_LIBRARY_PATH, as splunkd puts $SPLUNK_HOME/lib there.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
RELEASE_BIN=${RELEASE_BIN:-build/release/bin}
BIN=${BIN:-bin}
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
# vle A B: true when version A <= version B (x.y numbers)
vle() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -t. -k1,1n -k2,2n | tail -n 1)" = "$2" ]; }

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
bad=$(find "$app" -type f ! -path "$app/bin/*" ! -perm 644 ! \( -path "$app/lib/*.so*" -perm 755 \))
[ -z "$bad" ]
t $? "every other file is 644 (a bundled lib/*.so may be 755)" || echo "#   $bad"
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
for f in default/*; do
	[ -f "$f" ] && ! cmp -s "$f" "$app/$f" && [ "$f" != default/app.conf ] && echo "$f"
done >"$tmp/missing"
[ ! -s "$tmp/missing" ]
t $? "every file of default/ ships (restmap.conf, web.conf once they exist)" || note "$tmp/missing"
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
[ -f "$app/src/alert/main.c" ] && [ -f "$app/src/release-libs.sh" ]
t $? "C sources and the release build script ship beside the binaries"
[ -s "$app/licenses/THIRD-PARTY" ] && [ "$(ls "$app/licenses" | wc -l)" -ge 6 ]
t $? "licenses/ carries the notices of the statically linked libraries"

# Runs on any Splunk host: no library but glibc's is looked up at run time,
# unless it is bundled in lib/ and found through DT_RPATH (searched before
# LD_LIBRARY_PATH; RUNPATH is not, and would not cover the libraries'
# own dependencies).
: >"$tmp/needed"
for b in "$app"/bin/* "$app"/lib/*.so*; do
	[ -f "$b" ] || continue
	dyn=$(readelf -d "$b" 2>/dev/null)
	echo "$dyn" | grep -q RUNPATH && echo "$(basename "$b"): has RUNPATH (not searched before LD_LIBRARY_PATH)"
	for lib in $(echo "$dyn" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		case $lib in
		libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | \
			libresolv.so.2 | ld-linux-*.so.*) ;;
		*)
			if [ -f "$app/lib/$lib" ] && readelf -d "$app/bin/qradar_soar" | grep -q 'RPATH.*\$ORIGIN/../lib'; then
				:
			else
				echo "$(basename "$b") needs $lib from the host"
			fi ;;
		esac
	done
done >"$tmp/needed"
[ ! -s "$tmp/needed" ]
t $? "the binaries need no library from the host but glibc's" || note "$tmp/needed"

floor=$(sed -n 's/.*glibc \([0-9][0-9]*\.[0-9][0-9]*\) or later.*/\1/p' "$tmp/decl" | head -n 1)
need=0.0
for b in "$app"/bin/* "$app"/lib/*.so*; do
	[ -f "$b" ] || continue
	v=$(objdump -T "$b" 2>/dev/null | sed -n 's/.*GLIBC_\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | sort -t. -k1,1n -k2,2n | tail -n 1)
	[ -n "$v" ] && ! vle "$v" "$need" && need=$v
done
[ -n "$floor" ] && [ "$need" != 0.0 ] && vle "$need" "$floor"
t $? "the binaries need glibc $need, within the documented ${floor:-(none found)}"

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
