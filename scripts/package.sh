#!/bin/sh
# make package: stages SA_QRadar_SOAR/ and writes
# $DIST/SA_QRadar_SOAR-<version>.spl (a tar.gz with the app folder on top).
# Executables 755, everything else 644, directories 755; no local/, no
# local.meta, the C sources shipped beside the binaries for AppInspect, the
# licences of the statically linked libraries in licenses/.
# BIN: the release binaries (make release); every executable in it ships.
# THIRD_PARTY: where scripts/release-libs.sh built libcurl and libxml2.
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
mkdir -p "$STAGE/bin" "$STAGE/src" "$DIST"
cp -R default metadata README appserver static "$STAGE/"
cp README.md "$STAGE/README.md"
cp -R src/. "$STAGE/src/"
cp Makefile scripts/release-libs.sh "$STAGE/src/"
for b in "$BIN"/*; do
	[ -f "$b" ] && [ -x "$b" ] && cp "$b" "$STAGE/bin/"
done
[ -f "$STAGE/bin/qradar_soar" ] || { echo "package: $BIN/qradar_soar is not built (make release)" >&2; exit 1; }
# Licences: libcurl and libxml2 as built, OpenSSL, jansson and zlib from
# the Debian packages whose .a files were linked.
lic=$THIRD_PARTY/prefix/licenses
[ -f "$lic/curl.txt" ] || { echo "package: $lic is missing (make release)" >&2; exit 1; }
mkdir -p "$STAGE/licenses"
cp "$lic"/*.txt "$STAGE/licenses/"
{
	echo "The binaries in bin/ are statically linked with:"
	cat "$THIRD_PARTY/prefix/VERSIONS"
	for p in libssl-dev:openssl libjansson-dev:jansson zlib1g-dev:zlib; do
		deb=${p%%:*}
		name=${p#*:}
		echo "$name $(dpkg-query -W -f='${Version}' "$deb"), Debian package $deb (static library)"
		cp "/usr/share/doc/$deb/copyright" "$STAGE/licenses/$name.txt"
	done
	echo "and dynamically with the host's glibc."
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
