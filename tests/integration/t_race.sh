#!/bin/bash
# t_race.sh - 8 clients x 25 operations racing start, stop, restart,
# kill, pause, unpause, rm -f, cp and exec on the same 4 containers
# (each re-created when gone): every answer is one Docker gives (2xx,
# 304, 404, 409), berthd stays up, and once everything is removed
# nothing is left: no mount, no monitor, no cgroup, no volume in use.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

busybox_daemon -m volume-local -m volumes
OUT=$(timeout 300 python3 "$TESTS_DIR/race_ops.py" "$B_SOCK" 8 25 2>&1)
assert_match "200 racing operations all answered" "$OUT" '^ops 2[0-9][0-9] '
assert_match "... each as Docker answers it (no 5xx, no hang)" "$OUT" \
    ' bad 0$'
printf '%s\n' "$OUT" | grep '^bad' | head -n 5
req GET /_ping
assert_eq "berthd is still up" "$STATUS" 200
kill -0 "$B_PID" 2>/dev/null
assert_eq "... the same process" "$?" 0

# Everything removed: nothing of it may stay behind.
for c in $(dk ps -aq); do dk rm -f -v "$c" >/dev/null 2>&1; done
assert_eq "every container removed" "$(dk ps -aq)" ""
no_leftovers()
{
	! grep -q "$B_DIR" /proc/mounts &&
	    ! pgrep -f "berth-monitor.*$B_DIR" >/dev/null &&
	    [ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -path '*/berth/*' \
	    -newer "$B_CONF" 2>/dev/null | head -n 1)" ]
}
if wait_for 10 no_leftovers; then
	pass "no mount, monitor or cgroup left"
else
	fail "no mount, monitor or cgroup left" \
	    "$(grep "$B_DIR" /proc/mounts | head -n 3)" \
	    "$(pgrep -af "berth-monitor.*$B_DIR" | head -n 3)"
fi
assert_eq "no volume left in use: prune takes them all" \
    "$(dk volume prune -f >/dev/null 2>&1; dk volume ls -q | wc -l)" 0
OUT=$(grep -ciE 'panic|assert|segfault' "$B_LOG")
assert_eq "nothing alarming in the log" "$OUT" 0
