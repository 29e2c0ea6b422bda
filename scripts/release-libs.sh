#!/bin/sh
# Builds the static libcurl and libxml2 the release binaries link, from
# Debian's own source packages (the version the archive ships, security
# patches applied), into $OUT/prefix/{include,lib}.
#
# Why not Debian's libcurl.a and libxml2.a: libcurl.a needs libnghttp2,
# librtmp, libssh2, libpsl, libldap and MIT GSSAPI, which Debian ships only
# as shared libraries; libxml2.a needs ICU, whose static data alone is 30 MB.
# Built here with only what the action uses (HTTP and HTTPS over OpenSSL,
# proxies, zlib; XML parsing from memory) they link statically with
# Debian's libssl.a, libcrypto.a, libjansson.a and libz.a. The README's
# Binary File Declaration says what ships and why.
#
# Usage: OUT=build/release/3p sh scripts/release-libs.sh
# Needs: apt-get source (a deb-src entry: make deps adds one), dpkg-dev,
# cmake. Rebuilds nothing when $OUT/prefix/.done exists.
set -eu
OUT=${OUT:-build/release/3p}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PREFIX=$OUT/prefix
[ -f "$PREFIX/.done" ] && exit 0
JOBS=$(nproc 2>/dev/null || echo 2)
rm -rf "$OUT/src" "$OUT/build" "$PREFIX"
mkdir -p "$OUT/src" "$OUT/build" "$PREFIX"
cd "$OUT/src"
if ! apt-get source -qq curl libxml2 >"$OUT/apt-source.log" 2>&1; then
	cat "$OUT/apt-source.log" >&2
	echo "release-libs: apt-get source failed; a deb-src entry is needed: run make deps as root" >&2
	exit 1
fi
curl_src=$(find . -maxdepth 1 -type d -name 'curl-*' | head -n 1)
xml_src=$(find . -maxdepth 1 -type d -name 'libxml2-*' | head -n 1)
[ -n "$curl_src" ] && [ -n "$xml_src" ] || { echo "release-libs: sources not unpacked" >&2; exit 1; }

common="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF
 -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX=$PREFIX
 -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_C_FLAGS=-O2"

# HTTP and HTTPS only; no CA path compiled in: src/net/http.c names the
# system's CA bundle at run time, which differs between distributions.
# shellcheck disable=SC2086
cmake -S "$curl_src" -B "$OUT/build/curl" $common \
	-DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
	-DHTTP_ONLY=ON -DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON \
	-DCURL_ZLIB=ON -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF \
	-DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF \
	-DCURL_USE_GSSAPI=OFF -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON \
	-DENABLE_THREADED_RESOLVER=ON -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none \
	-DPICKY_COMPILER=OFF \
	>"$OUT/build/curl.log" 2>&1 || { tail -n 30 "$OUT/build/curl.log" >&2; exit 1; }
cmake --build "$OUT/build/curl" -j "$JOBS" >>"$OUT/build/curl.log" 2>&1 ||
	{ tail -n 30 "$OUT/build/curl.log" >&2; exit 1; }
cmake --install "$OUT/build/curl" >>"$OUT/build/curl.log" 2>&1

# XML from memory: no ICU, no lzma/zlib file reading, no network, no
# Python, no programs. glibc's iconv covers the encodings.
# shellcheck disable=SC2086
cmake -S "$xml_src" -B "$OUT/build/libxml2" $common \
	-DLIBXML2_WITH_ICU=OFF -DLIBXML2_WITH_LZMA=OFF -DLIBXML2_WITH_ZLIB=OFF \
	-DLIBXML2_WITH_PYTHON=OFF -DLIBXML2_WITH_HTTP=OFF -DLIBXML2_WITH_FTP=OFF \
	-DLIBXML2_WITH_PROGRAMS=OFF -DLIBXML2_WITH_TESTS=OFF \
	-DLIBXML2_WITH_ICONV=ON -DLIBXML2_WITH_THREADS=ON \
	>"$OUT/build/libxml2.log" 2>&1 || { tail -n 30 "$OUT/build/libxml2.log" >&2; exit 1; }
cmake --build "$OUT/build/libxml2" -j "$JOBS" >>"$OUT/build/libxml2.log" 2>&1 ||
	{ tail -n 30 "$OUT/build/libxml2.log" >&2; exit 1; }
cmake --install "$OUT/build/libxml2" >>"$OUT/build/libxml2.log" 2>&1

# What was built and its licence, shipped in the app's licenses/.
mkdir -p "$PREFIX/licenses"
{
	echo "curl (libcurl) $(sed -n 's/^Version: //p' curl_*.dsc), Debian source package, built by scripts/release-libs.sh"
	echo "libxml2 $(sed -n 's/^Version: //p' libxml2_*.dsc), Debian source package, built by scripts/release-libs.sh"
} >"$PREFIX/VERSIONS"
cat "$curl_src/COPYING" "$curl_src/debian/copyright" >"$PREFIX/licenses/curl.txt"
cat "$xml_src/Copyright" "$xml_src/debian/copyright" >"$PREFIX/licenses/libxml2.txt"
rm -rf "$OUT/src"
touch "$PREFIX/.done"
