#!/bin/sh
# make package: stages SA_QRadar_SOAR/ and writes
# $DIST/SA_QRadar_SOAR-<version>.spl (a tar.gz with the app folder on top).
# Executables 755, everything else 644, directories 755; no local/, no
# local.meta, the C sources shipped beside the binaries for AppInspect.
set -eu
BIN=${BIN:-bin}
DIST=${DIST:-dist}
STAGE=${STAGE:-SA_QRadar_SOAR}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
version=$(sed -n 's/^version *= *//p' default/app.conf | head -n 1)
build=$(git rev-list --count HEAD 2>/dev/null || echo 1)
rm -rf "$STAGE"
mkdir -p "$STAGE/bin" "$STAGE/src" "$DIST"
cp -R default metadata README appserver static "$STAGE/"
cp README.md "$STAGE/README.md"
cp src/*.c src/*.h Makefile "$STAGE/src/"
for b in qradar_soar qradar_soar_setup; do
	[ -f "$BIN/$b" ] && cp "$BIN/$b" "$STAGE/bin/$b"
done
[ -f "$STAGE/bin/qradar_soar" ] || { echo "package: $BIN/qradar_soar is not built" >&2; exit 1; }
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
