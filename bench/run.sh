#!/bin/sh
# make bench: speed and memory figures (never part of make check).
# Each script prints its own "what: figure (goal …)" lines.
set -u
here=$(dirname "$0")
status=0
for b in results_bench.sh dryrun_bench.sh online_bench.sh replay_bench.sh sync_bench.sh; do
	[ -f "$here/$b" ] || continue
	echo "== $b"
	if { [ "$b" = online_bench.sh ] || [ "$b" = replay_bench.sh ] || [ "$b" = sync_bench.sh ]; } &&
		[ -x "${RELEASE_BIN:-}/qradar_soar" ]; then
		# what ships: the statically linked binary
		QS_BINARY=$RELEASE_BIN/qradar_soar sh "$here/$b" || status=1
		continue
	fi
	sh "$here/$b" || status=1
	# the dry run again with the shipped (statically linked) binary
	if [ "$b" = dryrun_bench.sh ] && [ -x "${RELEASE_BIN:-}/qradar_soar" ]; then
		echo "== $b (release build, $RELEASE_BIN)"
		BIN=$RELEASE_BIN sh "$here/$b" || status=1
	fi
done
exit $status
