#!/bin/bash
# t_run.sh - `make run` (scripts/run.sh) on a scratch socket and roots:
# berthd starts on conf/engine.yaml, busybox is imported from
# busybox-static once, `docker run --rm busybox true` works at once, and
# SIGTERM (^C) stops berthd.
. "$(dirname "$0")/lib.sh"

R=$T_TMP/run
mkdir -p "$R"

run_start()
{
	: >"$T_TMP/run.out"
	BERTH_SOCK=$R/berth.sock BERTH_EXEC_ROOT=$R/exec \
	    BERTH_DATA_ROOT=$R/data BUILD=$BUILD_DIR \
	    sh "$ROOT/scripts/run.sh" >"$T_TMP/run.out" 2>&1 &
	RPID=$!
	track_pid $RPID
}
ready()
{
	grep -q 'try: docker' "$T_TMP/run.out"
}
berthd_gone()
{
	! pgrep -f "berthd .*--data-root $R/data" >/dev/null
}

run_start
if wait_for 60 ready; then
	pass "make run's script starts berthd on conf/engine.yaml"
else
	fail "make run's script starts berthd on conf/engine.yaml" \
	    "$(tail -n 8 "$T_TMP/run.out")"
fi
assert_contains "... and imports busybox from busybox-static" \
    "$(cat "$T_TMP/run.out")" "imported busybox:latest"
check "docker run --rm busybox true works at once" \
    "$DOCKER" -H "unix://$R/berth.sock" run --rm busybox true
kill -TERM "$RPID"
wait_exit "$RPID" 10
assert_eq "SIGTERM stops it, exit 0" "$?" 0
check "... berthd with it" wait_for 5 berthd_gone

run_start
check "a second start" wait_for 30 ready
assert_no_match "... finds busybox there: no import" \
    "$(cat "$T_TMP/run.out")" "imported busybox"
kill -TERM "$RPID"
wait_exit "$RPID" 10
check "... and stops" wait_for 5 berthd_gone
