#!/bin/bash
# run.sh - run every tests/integration/t_*.sh against $BUILD (default
# build) and end with one line "N passed, N failed"; exit 1 on failure.
# Each test is its own process sharing one counter file; a test that
# dies without reporting counts as one failure.

set -u

dir=$(cd "$(dirname "$0")" && pwd)
BERTH_COUNTS=$(mktemp)
export BERTH_COUNTS BUILD=${BUILD:-build}
trap 'rm -f "$BERTH_COUNTS"' EXIT

start=$(date +%s)
for t in "$dir"/t_*.sh; do
	name=$(basename "$t" .sh)
	before=$(wc -l <"$BERTH_COUNTS")
	t0=$(date +%s)
	bash "$t"
	rc=$?
	after=$(wc -l <"$BERTH_COUNTS")
	if [ "$rc" -ne 0 ] || [ "$after" -eq "$before" ]; then
		if ! tail -n $((after - before)) "$BERTH_COUNTS" | grep -q '^fail'; then
			echo "fail" >>"$BERTH_COUNTS"
			echo "not ok - $name: exited $rc without reporting a failure"
		fi
	fi
	echo "# $name: $(( $(date +%s) - t0 )) s"
done

pass=$(grep -c '^pass' "$BERTH_COUNTS")
fail=$(grep -c '^fail' "$BERTH_COUNTS")
echo "# integration: $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
