#!/bin/sh
# make package: stages SA_QRadar_SOAR/ and writes
# $DIST/SA_QRadar_SOAR-<version>.spl (a tar.gz with the app folder on top).
# Executables 755, everything else 644, directories 755; no local/, no
# local.meta, the licences of musl and the statically linked libraries in
# licenses/, and for AppInspect's manual review the C sources in src/ with
# what rebuilds the binaries from them alone (`cd src && make release`:
# the Makefile and scripts/deps.sh, scripts/release-libs.sh beside the
# sources' folders). The README ships without its repository-only parts
# (between <!-- repository only --> and <!-- /repository only -->).
# BIN: the release binaries (make release); every executable in it ships.
# THIRD_PARTY: where scripts/release-libs.sh built the static libraries.
set -eu
BIN=${BIN:-build/release/bin}
THIRD_PARTY=${THIRD_PARTY:-build/release/3p}
DIST=${DIST:-dist}
STAGE=${STAGE:-SA_QRadar_SOAR}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
version=$(sed -n 's/^version *= *//p' default/app.conf | head -n 1)
build=$(git rev-list --count HEAD 2>/dev/null || echo 1)
rm -rf "$STAGE"
mkdir -p "$STAGE/bin" "$STAGE/src/scripts" "$STAGE/samples" "$DIST"
cp -R default metadata README appserver static "$STAGE/"
cp samples/*.json samples/*.csv "$STAGE/samples/"
awk '/^<!-- repository only -->$/ { skip = 1 } !skip { print } /^<!-- \/repository only -->$/ { skip = 0 }' \
	README.md >"$STAGE/README.md"
cp -R src/. "$STAGE/src/"
cp Makefile "$STAGE/src/"
cp scripts/deps.sh scripts/release-libs.sh "$STAGE/src/scripts/"
for b in "$BIN"/*; do
	[ -f "$b" ] && [ -x "$b" ] && cp "$b" "$STAGE/bin/"
done
[ -f "$STAGE/bin/qradar_soar" ] || { echo "package: $BIN/qradar_soar is not built (make release)" >&2; exit 1; }
# Licences of what was linked, as scripts/release-libs.sh recorded it.
lic=$THIRD_PARTY/prefix/licenses
[ -f "$lic/musl.txt" ] || { echo "package: $lic is missing (make release)" >&2; exit 1; }
mkdir -p "$STAGE/licenses"
cp "$lic"/*.txt "$STAGE/licenses/"
{
	echo "The executables in bin/ are statically linked (x86-64, no shared"
	echo "library, no loader) with these libraries, their licences beside this file:"
	cat "$THIRD_PARTY/prefix/VERSIONS"
} >"$STAGE/licenses/THIRD-PARTY"
# the build number changes with every release (app.conf [install] build)
sed -i "s/^build = .*/build = $build/" "$STAGE/default/app.conf"
rm -rf "$STAGE/local" "$STAGE/metadata/local.meta"
find "$STAGE" -type d -exec chmod 755 {} +
find "$STAGE" -type f -exec chmod 644 {} +
chmod 755 "$STAGE"/bin/*
[ "$(basename "$STAGE")" = SA_QRadar_SOAR ] || { echo "package: STAGE must end in SA_QRadar_SOAR" >&2; exit 1; }
mkdir -p "$DIST"
out="$(cd "$DIST" && pwd)/SA_QRadar_SOAR-$version.spl"
tar --owner=0 --group=0 --numeric-owner -czf "$out" -C "$(dirname "$STAGE")" SA_QRadar_SOAR
echo "package: $out"
