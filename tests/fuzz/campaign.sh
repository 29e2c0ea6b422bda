#!/bin/sh
# make fuzz: a libFuzzer campaign of SECONDS (default 300) per target,
# built with clang, ASan and UBSan, starting from a copy of the committed
# corpus (new inputs land in build/fuzz/<target>/, never in git).
# FUZZ_TARGETS="persist setupform" limits it to those targets.
set -eu
secs=${1:-300}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# build/gen holds version.h, which make all generates (make fuzz runs it first)
flags="-std=c11 -D_GNU_SOURCE -g -O1 -Isrc -I${BUILD:-build}/gen $(pkg-config --cflags libcurl jansson zlib openssl libxml-2.0)"
libs="$(pkg-config --libs libcurl jansson zlib openssl libxml-2.0) -lm -pthread"
srcs=$(ls src/*/*.c | grep -v '/main\.c$')
for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	target=${name#fuzz_}
	case " ${FUZZ_TARGETS:-$target} " in *" $target "*) ;; *) continue ;; esac
	out="build/fuzz/$target"
	mkdir -p "$out/corpus"
	cp -r "tests/fuzz/corpus/$target/." "$out/corpus/" 2>/dev/null || true
	# shellcheck disable=SC2086
	clang $flags -fsanitize=fuzzer,address,undefined -o "$out/$name" "$t" $srcs $libs
	echo "== $name for ${secs}s"
	(cd "$out" && "./$name" -max_total_time="$secs" -max_len=65536 corpus)
done
