#!/bin/sh
# run-all.sh BUILD_DIR - every unit test binary, then the integration
# tests, against one build (build, build/asan).  Prints each suite's
# summary and ends with one line "N passed, N failed"; exits 1 if
# anything failed.

set -u

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
case $build in
/*)	BERTH_FIXTURES=$build/tests/fixtures ;;
*)	BERTH_FIXTURES=$root/$build/tests/fixtures ;;
esac
export BERTH_FIXTURES

pass=0
fail=0
start=$(date +%s)

# Check prints "100%: Checks: 17, Failures: 0, Errors: 0".
for t in "$build"/tests/unit/*/check_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: [0-9]+' | tail -n 1)
	if [ -z "$line" ]; then
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
		echo "not ok - unit $(basename "$t"): no Check summary (exit $rc)"
		fail=$((fail + 1))
		continue
	fi
	# shellcheck disable=SC2046 # split into the three numbers
	set -- $(printf '%s\n' "$line" |
	    sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
	bad=$(($2 + $3))
	pass=$((pass + $1 - bad))
	fail=$((fail + bad))
	if [ "$bad" -gt 0 ] || [ "$rc" -ne 0 ]; then
		# Check lists each failing test on its own line.
		printf '%s\n' "$out" | grep -E ':[EF]:' | sed 's/^/#   /'
		[ "$bad" -eq 0 ] && fail=$((fail + 1))
	fi
	echo "unit $(basename "$t"): $line"
done
echo "# unit: $pass passed, $fail failed"

out=$(BUILD=$build bash tests/integration/run.sh 2>&1)
rc=$?
line=$(printf '%s\n' "$out" | tail -n 1)
printf '%s\n' "$out" | sed '$d'
echo "# integration: $line"
case $line in
*" passed, "*" failed")
	# shellcheck disable=SC2086 # "N passed, N failed" into words
	set -- $line
	pass=$((pass + $1))
	fail=$((fail + $3))
	[ "$rc" -ne 0 ] && [ "$3" -eq 0 ] && fail=$((fail + 1))
	;;
*)
	echo "not ok - integration: run.sh ended without a summary (exit $rc)"
	fail=$((fail + 1))
	;;
esac

echo "# total: $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
