#!/bin/sh
# Portability: the binaries of the .spl (built from the release binaries,
# RELEASE_BIN, as make package does) run in an otherwise empty root:
# tests/package/emptyroot_run.py.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
RELEASE_BIN=${RELEASE_BIN:-build/release/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! BIN=$RELEASE_BIN DIST="$tmp/dist" STAGE="$tmp/SA_QRadar_SOAR" sh scripts/package.sh >/dev/null 2>"$tmp/err"; then
	echo "not ok 1 - make package builds the .spl"
	sed 's/^/#   /' "$tmp/err"
	exit 1
fi
mkdir "$tmp/apps"
tar -xzf "$tmp"/dist/SA_QRadar_SOAR-*.spl -C "$tmp/apps"
python3 tests/package/emptyroot_run.py "$tmp/apps/SA_QRadar_SOAR/bin"
