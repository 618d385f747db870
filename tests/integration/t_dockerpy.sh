#!/bin/bash
# t_dockerpy.sh - docker-py (Debian's python3-docker) as a client: exec
# with and without a TTY, through exec_start and exec_start(socket=True),
# demultiplexed and raw, returns every byte (the framing follows the
# start request's Tty, as dockerd's); attach with logs and no stream
# returns the log and ends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

if ! python3 -c 'import docker' 2>/dev/null; then
	fail "python3-docker" "not installed: make deps installs it"
	exit 1
fi
busybox_daemon
OUT=$(timeout 120 python3 "$TESTS_DIR/dockerpy_streams.py" "$B_SOCK" 2>&1)
N=0
while IFS= read -r line; do
	case $line in
	"ok "*)		pass "${line#ok }"; N=$((N + 1)) ;;
	"fail "*)	fail "${line#fail }"; N=$((N + 1)) ;;
	esac
done <<EOT
$OUT
EOT
assert_eq "every docker-py check ran" "$N" 11
[ "$N" = 11 ] || echo "$OUT" | tail -n 20
