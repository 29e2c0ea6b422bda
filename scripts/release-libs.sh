#!/bin/sh
# Builds the static libraries the release binaries link, for musl
# (Debian's musl-tools: musl-gcc), from Debian's own source packages (the
# versions the archive ships, Debian's patches applied): zlib, OpenSSL,
# jansson, libcurl and libxml2, into $OUT/prefix/{include,lib}. With musl's
# libc.a the binaries need nothing from the host at run time: no loader, no
# glibc, no shared library (the README's Binary File Declaration).
#
# Each library with only what the two programs use, so the build stays
# short and nothing links what the host would have to provide: OpenSSL's
# libraries only (no apps, tests, engines, loadable modules or legacy
# ciphers); libcurl for HTTP and HTTPS over OpenSSL with proxies, IPv6, the
# threaded resolver and zlib; libxml2 parsing from memory (musl's iconv for
# the encodings).
#
# Usage: OUT=build/release/3p sh scripts/release-libs.sh
# Needs (make deps installs them): musl-tools, perl, cmake, dpkg-dev, the
# kernel headers (linux-libc-dev), and a deb-src entry for apt-get source
# (make deps adds one). Rebuilds nothing when $OUT/prefix/.done holds this
# script's checksum: any change here rebuilds everything.
set -eu
OUT=${OUT:-build/release/3p}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PREFIX=$OUT/prefix
here=$(cd "$(dirname "$0")" && pwd)
key=$(sha256sum "$here/release-libs.sh" | cut -d' ' -f1)
[ "$(cat "$PREFIX/.done" 2>/dev/null)" = "$key" ] && exit 0
JOBS=$(nproc 2>/dev/null || echo 2)
CC=musl-gcc
command -v "$CC" >/dev/null || { echo "release-libs: musl-gcc is missing: run make deps as root (musl-tools)" >&2; exit 1; }
rm -rf "$OUT/src" "$OUT/build" "$PREFIX"
mkdir -p "$OUT/src" "$OUT/build" "$PREFIX/lib" "$PREFIX/include" "$PREFIX/licenses"
log=$OUT/build/build.log
: >"$log"
step() { echo "release-libs: $*" >&2; }
fail() {
	tail -n 40 "$log" >&2
	echo "release-libs: $1 failed (full log: $log)" >&2
	exit 1
}

# musl-gcc sees only musl's headers; OpenSSL also includes a few of the
# kernel's (linux/mman.h), which are libc-independent: offered after
# musl's, never instead of them.
KHDR=$OUT/build/kernel-headers
mkdir -p "$KHDR"
arch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for d in /usr/include/linux /usr/include/asm-generic "/usr/include/$arch/asm"; do
	[ -d "$d" ] || { echo "release-libs: $d is missing: run make deps as root (linux-libc-dev)" >&2; exit 1; }
	ln -s "$d" "$KHDR/$(basename "$d")"
done
# No path of this build in the binaries (source file names, OpenSSL's
# recorded flags and directories), so the same sources built in another
# folder give the same bytes.
CFLAGS="-O2 -fPIE -fstack-protector-strong -idirafter $KHDR -ffile-prefix-map=$OUT/="
# nothing of the host's (glibc) libraries: cmake and pkg-config look in $PREFIX only
export PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig PKG_CONFIG_PATH=

# apt-get source: the newest version the archive has; should a mirror lack
# it (its index ahead of its pool), the next older one, said loudly.
fetch() {
	pkg=$1
	apt-get source -qq "$pkg" >>"$OUT/build/apt-source.log" 2>&1 && return 0
	for v in $(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | sort -Vr); do
		if apt-get source -qq "$pkg=$v" >>"$OUT/build/apt-source.log" 2>&1; then
			echo "release-libs: WARNING: the newest $pkg source could not be fetched; built $v" >&2
			return 0
		fi
	done
	cat "$OUT/build/apt-source.log" >&2
	echo "release-libs: apt-get source $pkg failed; a deb-src entry is needed: run make deps as root" >&2
	exit 1
}
cd "$OUT/src"
for p in zlib openssl jansson curl libxml2; do
	step "apt-get source $p"
	fetch "$p"
done
srcdir() { find "$OUT/src" -maxdepth 1 -type d -name "$1-*" | head -n 1; }
zlib_src=$(srcdir zlib)
ssl_src=$(srcdir openssl)
jansson_src=$(srcdir jansson)
curl_src=$(srcdir curl)
xml_src=$(srcdir libxml2)
for d in "$zlib_src" "$ssl_src" "$jansson_src" "$curl_src" "$xml_src"; do
	[ -n "$d" ] || { echo "release-libs: a source package did not unpack (see $OUT/build/apt-source.log)" >&2; exit 1; }
done

step "zlib"
(cd "$zlib_src" && CC=$CC CFLAGS=$CFLAGS ./configure --static --prefix="$PREFIX" &&
	make -j"$JOBS" libz.a && make install) >>"$log" 2>&1 || fail zlib

# OpenSSL: TLS 1.2 and 1.3 only, with the ciphers and X.509 verification
# they need, at Debian's default security level (2: RSA keys of 2048 bits
# or more). OPENSSLDIR /etc/ssl: where Debian, SUSE and Alpine keep
# openssl.cnf (splunkd's OPENSSL_CONF, when set, is read instead). No CA
# path: src/net/http.c names the system's CA bundle at run time.
step "OpenSSL (the longest step, a few minutes)"
(cd "$ssl_src" && ./Configure linux-x86_64 CC="$CC" \
	CFLAGS="-O2 -fPIE -fstack-protector-strong -idirafter ../../build/kernel-headers -DOPENSSL_TLS_SECURITY_LEVEL=2" \
	--prefix=/ --libdir=lib --openssldir=/etc/ssl \
	no-shared no-tests no-module no-dso no-engine no-afalgeng no-legacy \
	no-comp no-ssl3 no-tls1 no-tls1_1 no-dtls no-srp no-srtp no-gost no-idea \
	no-seed no-md4 no-mdc2 no-rc2 no-rc4 no-rc5 no-bf no-cast no-camellia \
	no-aria no-sm2 no-sm3 no-sm4 no-whirlpool no-weak-ssl-ciphers \
	no-ui-console no-cms no-cmp no-ts no-ct no-ocb no-siphash no-scrypt \
	no-rfc3779 no-nextprotoneg &&
	make -j"$JOBS" build_libs && make install_dev DESTDIR="$PREFIX") >>"$log" 2>&1 || fail OpenSSL

cmake_common="-DCMAKE_C_COMPILER=$CC -DCMAKE_BUILD_TYPE=Release
 -DCMAKE_C_FLAGS_RELEASE=-DNDEBUG -DBUILD_SHARED_LIBS=OFF
 -DCMAKE_INSTALL_PREFIX=$PREFIX -DCMAKE_INSTALL_LIBDIR=lib
 -DCMAKE_FIND_ROOT_PATH=$PREFIX -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY
 -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY
 -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER"
# cmake_lib NAME SRC OPTIONS...: configure, build and install one library.
cmake_lib() {
	name=$1 src=$2
	shift 2
	step "$name"
	# shellcheck disable=SC2086
	CFLAGS=$CFLAGS cmake -S "$src" -B "$OUT/build/$name" $cmake_common "$@" >>"$log" 2>&1 &&
		cmake --build "$OUT/build/$name" -j "$JOBS" >>"$log" 2>&1 &&
		cmake --install "$OUT/build/$name" >>"$log" 2>&1 || fail "$name"
}

cmake_lib jansson "$jansson_src" -DJANSSON_BUILD_DOCS=OFF -DJANSSON_WITHOUT_TESTS=ON \
	-DJANSSON_EXAMPLES=OFF -DJANSSON_BUILD_SHARED_LIBS=OFF -DUSE_URANDOM=ON

# HTTP and HTTPS only, no CA path compiled in (see OpenSSL above).
cmake_lib curl "$curl_src" -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
	-DHTTP_ONLY=ON -DCURL_USE_OPENSSL=ON -DOPENSSL_ROOT_DIR="$PREFIX" -DOPENSSL_USE_STATIC_LIBS=ON \
	-DCURL_ZLIB=ON -DZLIB_ROOT="$PREFIX" -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF \
	-DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_GSSAPI=OFF \
	-DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON -DENABLE_IPV6=ON \
	-DENABLE_THREADED_RESOLVER=ON -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none \
	-DCURL_CA_FALLBACK=OFF -DPICKY_COMPILER=OFF

# XML from memory: no ICU, no lzma/zlib file reading, no network, no
# Python, no programs.
cmake_lib libxml2 "$xml_src" -DLIBXML2_WITH_ICU=OFF -DLIBXML2_WITH_LZMA=OFF \
	-DLIBXML2_WITH_ZLIB=OFF -DLIBXML2_WITH_PYTHON=OFF -DLIBXML2_WITH_HTTP=OFF \
	-DLIBXML2_WITH_FTP=OFF -DLIBXML2_WITH_PROGRAMS=OFF -DLIBXML2_WITH_TESTS=OFF \
	-DLIBXML2_WITH_ICONV=ON -DLIBXML2_WITH_THREADS=ON

# What was built and its licence, shipped in the app's licenses/ (with
# musl's, whose libc.a is linked too).
version() { sed -n 's/^Version: //p' "$OUT"/src/"$1"_*.dsc | head -n 1; }
{
	for p in zlib openssl jansson curl libxml2; do
		echo "$p $(version "$p"), Debian source package, built for musl by scripts/release-libs.sh"
	done
	echo "musl $(dpkg-query -W -f='${Version}' musl-dev), Debian package musl-dev (libc.a)"
} >"$PREFIX/VERSIONS"
cat "$zlib_src/debian/copyright" >"$PREFIX/licenses/zlib.txt"
cat "$ssl_src/LICENSE.txt" "$ssl_src/debian/copyright" >"$PREFIX/licenses/openssl.txt"
cat "$jansson_src/LICENSE" "$jansson_src/debian/copyright" >"$PREFIX/licenses/jansson.txt"
cat "$curl_src/COPYING" "$curl_src/debian/copyright" >"$PREFIX/licenses/curl.txt"
cat "$xml_src/Copyright" "$xml_src/debian/copyright" >"$PREFIX/licenses/libxml2.txt"
cat /usr/share/doc/musl/copyright >"$PREFIX/licenses/musl.txt"
rm -rf "$OUT/src"
echo "$key" >"$PREFIX/.done"
