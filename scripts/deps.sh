#!/bin/sh
# Installs the Debian packages the build needs, when missing; with --tests
# also what `make check` needs (the package checks' file/binutils, and the
# setup page's browser test: Debian's Chromium driven by playwright-core
# from npm). As root it runs apt-get; otherwise it prints the exact
# command to run.
# The release build (scripts/release-libs.sh: static libraries for musl
# from Debian's source packages) also needs musl-tools, perl (OpenSSL's
# Configure), the kernel headers, cmake, dpkg-dev and a deb-src entry for
# `apt-get source`: when the machine has none, one is made from its own
# Debian deb entries (same archive, suites and keyring).
set -eu
PKGS="gcc libc6-dev make pkg-config libcurl4-openssl-dev libjansson-dev \
zlib1g-dev libssl-dev libxml2-dev python3 openssl ca-certificates \
musl-tools perl linux-libc-dev cmake dpkg-dev"
if [ "${1:-}" = --tests ]; then
	PKGS="$PKGS file binutils chromium fonts-dejavu-core"
	command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
fi
SRC_LIST=/etc/apt/sources.list.d/sa-qradar-soar-src.sources

have_deb_src() {
	grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources
}

# deb822 stanzas and one-line entries of the release's own suites
# (codename, codename-updates, codename-security), as deb-src.
make_deb_src() {
	codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
	[ -n "$codename" ] || return 1
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk -v c="$codename" 'BEGIN { RS = ""; ORS = "\n\n" }
			{
				if ($0 !~ /(^|\n)Types:[^\n]*deb/) next
				if (!match($0, /(^|\n)Suites:[ \t]*[^ \t\n]+/)) next
				s = substr($0, RSTART, RLENGTH); sub(/.*Suites:[ \t]*/, "", s)
				if (s != c && index(s, c "-") != 1) next
				gsub(/(^|\n)#[^\n]*/, "")
				sub(/Types:[^\n]*/, "Types: deb-src"); print
			}' "$f"
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk -v c="$codename" '$1 == "deb" {
				i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++
				if ($2 ~ /^\[/) i++
				s = $(i + 1)
				if (s == c || index(s, c "-") == 1) {
					printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, s
					for (j = i + 2; j <= NF; j++) printf " %s", $j
					printf "\n\n"
				}
			}' "$f"
		done
	} >"$SRC_LIST.tmp"
	if [ -s "$SRC_LIST.tmp" ]; then
		mv "$SRC_LIST.tmp" "$SRC_LIST"
	else
		rm -f "$SRC_LIST.tmp"
		return 1
	fi
}
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
update=0
if ! have_deb_src; then
	if [ "$(id -u)" = 0 ] && make_deb_src; then
		echo "deps: added deb-src entries in $SRC_LIST" >&2
		update=1
	else
		echo "deps: no deb-src entry for apt-get source (make release needs one); run make deps as root" >&2
	fi
fi
if [ -z "$missing" ]; then
	[ "$update" = 1 ] && apt-get update -qq >/dev/null
else
	echo "deps: installing:$missing" >&2
	if [ "$(id -u)" = 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
	else
		echo "deps: run as root: apt-get install -y$missing" >&2
		exit 1
	fi
fi
top=$(cd "$(dirname "$0")/.." && pwd)
# playwright-core as pinned in tests/browser/package.json (a version that
# runs on Debian 12's Node.js 18), reinstalled when the pin changes.
pw=$top/tests/browser
want=$(sed -n 's/.*"playwright-core": *"\([^"]*\)".*/\1/p' "$pw/package.json" 2>/dev/null || true)
have=$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$pw/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [ "${1:-}" = --tests ] && [ "$want" != "$have" ]; then
	echo "deps: npm ci --prefix tests/browser (playwright-core $want)" >&2
	npm ci --prefix "$pw" --no-audit --no-fund >/dev/null || {
		echo "deps: npm ci --prefix tests/browser failed: the setup page's browser test needs playwright-core from the npm registry" >&2
		exit 1
	}
fi
exit 0
