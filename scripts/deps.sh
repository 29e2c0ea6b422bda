#!/bin/sh
# Installs the Debian packages the build needs, when missing; with --tests
# also what `make check` needs (the package checks' file/binutils, and the
# setup page's browser test: Debian's Chromium driven by playwright-core
# from npm). As root it runs apt-get; otherwise it prints the exact
# command to run.
set -eu
PKGS="gcc make pkg-config libcurl4-openssl-dev libjansson-dev zlib1g-dev \
libssl-dev libxml2-dev python3 openssl ca-certificates"
if [ "${1:-}" = --tests ]; then
	PKGS="$PKGS file binutils chromium fonts-dejavu-core"
	command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
fi
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
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
if [ "${1:-}" = --tests ] && [ ! -d "$top/tests/browser/node_modules/playwright-core" ]; then
	echo "deps: npm ci --prefix tests/browser (playwright-core, pinned)" >&2
	# without the npm registry the browser test reports a SKIP, not a pass
	npm ci --prefix "$top/tests/browser" --no-audit --no-fund >/dev/null ||
		echo "deps: npm ci failed; the browser test will be skipped" >&2
fi
exit 0
