# lib.sh - shared helpers for the integration tests; source it, never run it.
#
# Each t_*.sh runs as its own bash process.  Results go to $BERTH_COUNTS
# (one "pass"/"fail" line per check) so that run.sh can sum them; a test
# run alone gets its own counter file and prints its own summary.
#
#   berth_start [-n] YAML [berthd args...]  start berthd on a fresh root
#   berth_exec [berthd args...]             again on the same root
#   berth_stop [PID]                        SIGTERM, wait, SIGKILL
#   check NAME CMD...                       ok iff CMD exits 0
#   req METHOD PATH [curl args...]          sets STATUS, BODY, HEADERS
#   assert_eq / assert_contains / assert_match / assert_no_match

set -u

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$TESTS_DIR/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*)	BUILD_DIR=$BUILD ;;
*)	BUILD_DIR=$ROOT/$BUILD ;;
esac
BERTHD=$BUILD_DIR/berthd
MODULE_DIR=$BUILD_DIR/modules
TEST_MODULE_DIR=$BUILD_DIR/tests/modules
RAWHTTP="python3 $TESTS_DIR/rawhttp.py"
DOCKER=${DOCKER:-/usr/local/bin/docker}
export DOCKER_CLI_HINTS=false
unset DOCKER_HOST DOCKER_API_VERSION DOCKER_CONTEXT DOCKER_TLS_VERIFY

T_NAME=$(basename "$0" .sh)
T_PIDS=""			# everything we started, killed at exit
T_LINKS=""			# network links to delete at exit
T_DIRS=""			# temp roots, removed at exit
T_OWN_COUNTS=0
if [ -z "${BERTH_COUNTS:-}" ]; then
	BERTH_COUNTS=$(mktemp)
	T_OWN_COUNTS=1
fi
# A scratch dir for this test's own files (not a daemon root).
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-$T_NAME.XXXXXX")
T_DIRS="$T_TMP"
# No user contexts or config: the CLI talks only to -H.
export DOCKER_CONFIG=$T_TMP/docker-config

# The daemon started last by berth_start.
B_DIR="" B_SOCK="" B_PID="" B_LOG="" B_CONF="" B_PIDFILE=""

track_pid()
{
	T_PIDS="$T_PIDS $1"
}

# reap_containers - containers and their monitors outlive berthd by
# design (live restore); a test's must not outlive the test.  Delete
# what the runtimes still know under our roots, end the monitors, and
# unmount what is left (rootfs overlays, tmpfs volumes).
reap_containers()
{
	local d r rt id pid m ids

	# The polite way first: the test's own daemon removes its containers.
	if [ -n "$B_SOCK" ] && [ -S "$B_SOCK" ]; then
		ids=$("$DOCKER" -H "unix://$B_SOCK" ps -aq 2>/dev/null)
		# shellcheck disable=SC2086 # IDs are words
		[ -n "$ids" ] && "$DOCKER" -H "unix://$B_SOCK" rm -f $ids \
		    >/dev/null 2>&1
	fi
	for d in $T_DIRS; do
		for r in "$d"/exec/runtime/*; do
			[ -d "$r" ] || continue
			for rt in runc crun; do
				command -v "$rt" >/dev/null 2>&1 || continue
				for id in $("$rt" --root "$r" list -q 2>/dev/null); do
					"$rt" --root "$r" delete -f "$id" >/dev/null 2>&1
				done
			done
		done
		for pid in $(pgrep -f "berth-monitor .*$d/" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/mounts |
		    sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null
		done
	done
}

cleanup()
{
	local p n pass fail

	reap_containers
	for p in $T_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 30 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	reap_containers
	# The bridges and veths of the networks our daemons made (their
	# records name them); the kernel keeps them past the daemon.
	for p in $T_DIRS; do
		for f in "$p"/data/networks/*.json "$p"/data/networks/endpoints/*.json; do
			[ -f "$f" ] || continue
			n=$(basename "$f" .json)
			case $f in
			*/endpoints/*) ip link del "vb${n:0:13}" 2>/dev/null ;;
			*) ip link del "brt-${n:0:11}" 2>/dev/null ;;
			esac
		done
	done
	for p in $T_LINKS; do
		ip link del "$p" 2>/dev/null
	done
	# And the nftables table each of them named in its log.
	for p in $T_DIRS; do
		[ -f "$p/berthd.log" ] || continue
		sed -n 's/.*nftables table: ip //p' "$p/berthd.log" | sort -u |
		    while read -r n; do
			nft delete table ip "$n" 2>/dev/null
		done
	done
	# Sanitizer reports land in the daemons' logs (make asan).
	# shellcheck disable=SC2086
	for p in $(grep -rlE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	    $T_DIRS 2>/dev/null); do
		fail "sanitizer report in $(basename "$p")" \
		    "$(grep -E -A12 'Sanitizer|runtime error:' "$p" | head -n 30)"
	done
	# shellcheck disable=SC2086
	rm -rf $T_DIRS
	if [ "$T_OWN_COUNTS" = 1 ]; then
		pass=$(grep -c '^pass' "$BERTH_COUNTS")
		fail=$(grep -c '^fail' "$BERTH_COUNTS")
		rm -f "$BERTH_COUNTS"
		echo "$pass passed, $fail failed"
		[ "$fail" -eq 0 ] || exit 1
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- reporting -------------------------------------------------------

pass()
{
	echo "pass" >>"$BERTH_COUNTS"
	echo "ok - $T_NAME: $1"
}

# fail NAME [diagnostic lines...]
fail()
{
	local name=$1 line

	shift
	echo "fail" >>"$BERTH_COUNTS"
	echo "not ok - $T_NAME: $name"
	for line in "$@"; do
		printf '%s\n' "$line" | head -c 2000 | sed 's/^/#   /'
	done
}

# check NAME CMD... - ok iff CMD exits 0; shows its output if not.
check()
{
	local name=$1 out rc

	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "command: $*" "exit $rc" "$(printf '%s\n' "$out" | tail -n 8)"
	fi
}

assert_eq()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "want: $3" "got:  $2"
	fi
}

# assert_contains NAME TEXT NEEDLE - fixed string
assert_contains()
{
	case $2 in
	*"$3"*)	pass "$1" ;;
	*)	fail "$1" "want text containing: $3" "got: $(printf '%s' "$2" | tail -n 8)" ;;
	esac
}

# assert_match NAME TEXT ERE
assert_match()
{
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		pass "$1"
	else
		fail "$1" "want match for: $3" "got: $(printf '%s' "$2" | tail -n 8)"
	fi
}

assert_no_match()
{
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		fail "$1" "unexpected match for: $3" "got: $(printf '%s' "$2" | grep -E -- "$3" | head -n 4)"
	else
		pass "$1"
	fi
}

# --- daemon ----------------------------------------------------------

# new_root - a fresh daemon root in NEW_ROOT (not printed: a command
# substitution would lose the T_DIRS update).
new_root()
{
	NEW_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/berth-$T_NAME.XXXXXX") || return 1
	T_DIRS="$T_DIRS $NEW_ROOT"
}

# rules_module [KEY: VALUE lines...] - an engine.yaml module entry for
# the authz-rules test module (by path: it is not in the module dir).
rules_module()
{
	local line

	echo "  - path: $TEST_MODULE_DIR/authz-rules.so"
	echo "    required: true"
	if [ $# -gt 0 ]; then
		echo "    config:"
		for line in "$@"; do
			echo "      $line"
		done
	fi
}

# wait_ping SOCK [SECS] - until GET /_ping answers OK (default 5 s).
wait_ping()
{
	local sock=$1 tries=$(( ${2:-5} * 20 ))

	while [ "$tries" -gt 0 ]; do
		if [ "$(curl -s --max-time 1 --unix-socket "$sock" \
		    http://localhost/_ping 2>/dev/null)" = OK ]; then
			return 0
		fi
		sleep 0.05
		tries=$((tries - 1))
	done
	return 1
}

# berth_start [-n] YAML [berthd args...] - write YAML as engine.yaml in
# a fresh root and start berthd there.  Sets B_DIR, B_SOCK, B_PID,
# B_LOG, B_CONF, B_PIDFILE.  Waits for /_ping unless -n (for daemons
# expected to refuse).  Returns non-zero if it did not come up.
berth_start()
{
	local nowait=0

	if [ "${1:-}" = -n ]; then
		nowait=1
		shift
	fi
	new_root || return 1
	B_DIR=$NEW_ROOT
	B_SOCK=$B_DIR/berth.sock
	B_LOG=$B_DIR/berthd.log
	B_CONF=$B_DIR/engine.yaml
	B_PIDFILE=$B_DIR/berthd.pid
	printf '%s\n' "$1" >"$B_CONF"
	shift
	berth_exec "$@"
	[ $nowait = 1 ] && return 0
	if ! wait_ping "$B_SOCK" 5; then
		echo "# berthd did not answer /_ping within 5 s; log:" >&2
		sed 's/^/#   /' "$B_LOG" >&2
		return 1
	fi
}

# berth_exec [berthd args...] - start berthd on the current root, socket
# and config, in the background; sets B_PID.  Also how a test starts it
# again on the same root after berth_stop or a kill -9 (not under
# `check`, whose subshell would lose B_PID).
berth_exec()
{
	"$BERTHD" --config-file "$B_CONF" -H "unix://$B_SOCK" \
	    --data-root "$B_DIR/data" --exec-root "$B_DIR/exec" \
	    --pidfile "$B_PIDFILE" --module-dir "$MODULE_DIR" "$@" \
	    >>"$B_LOG" 2>&1 &
	B_PID=$!
	track_pid "$B_PID"
}

# berth_stop [PID] - SIGTERM, up to 5 s, then SIGKILL; returns the
# daemon's exit status (137 if it had to be killed).
berth_stop()
{
	local pid=${1:-$B_PID} n=0

	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# wait_exit PID SECS - wait for a process to exit by itself; its
# status, or 124 if it was still running (then it is left running).
wait_exit()
{
	local pid=$1 n=$(( $2 * 10 ))

	while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -0 "$pid" 2>/dev/null && return 124
	wait "$pid" 2>/dev/null
}

# wait_for SECS CMD... - poll CMD every 0.1 s until it succeeds.
wait_for()
{
	local n=$(( $1 * 10 ))

	shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# --- clients ---------------------------------------------------------

# dk ARGS... - the docker CLI against the current daemon.
dk()
{
	"$DOCKER" -H "unix://$B_SOCK" "$@"
}

# req METHOD PATH [curl args...] - one request to the current daemon;
# sets STATUS, BODY and HEADERS (CR stripped).
req()
{
	local method=$1 path=$2 hf bf

	shift 2
	hf=$T_TMP/req.headers
	bf=$T_TMP/req.body
	: >"$hf"
	: >"$bf"
	if [ "$method" = HEAD ]; then
		# -I would write the head to -o: keep it apart from BODY.
		set -- -I "$@"
		bf=/dev/null
	else
		set -- -X "$method" "$@"
	fi
	STATUS=$(curl -gs --max-time 10 --unix-socket "$B_SOCK" -o "$bf" \
	    -D "$hf" -w '%{http_code}' "$@" "http://localhost$path")
	BODY=$(cat "$bf")
	HEADERS=$(tr -d '\r' <"$hf")
}

# header NAME - a header's value from the last req (case-insensitive).
header()
{
	printf '%s\n' "$HEADERS" | awk -v n="$1" 'BEGIN { n = tolower(n) }
	    { i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == n) {
	    v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v } }' | tail -n 1
}

# free_port - an unused 127.0.0.1 TCP port.
free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# json_field JSON KEY - a top-level field of a JSON document, or the
# text "INVALID-JSON" if it does not parse.
json_field()
{
	printf '%s' "$1" | python3 -c 'import json, sys
try:
    v = json.load(sys.stdin)
except ValueError:
    print("INVALID-JSON"); sys.exit(0)
v = v.get(sys.argv[1]) if isinstance(v, dict) else None
print("" if v is None else v)' "$2"
}

# assert_json_error NAME STATUS MESSAGE-ERE - the last req was a JSON
# error {"message": ...} with this status and Content-Type.
assert_json_error()
{
	local name=$1 ctype msg

	ctype=$(header Content-Type)
	msg=$(json_field "$BODY" message)
	if [ "$STATUS" = "$2" ] && [ "${ctype%%;*}" = application/json ] &&
	    printf '%s\n' "$msg" | grep -Eq -- "$3"; then
		pass "$name"
	else
		fail "$name" "want: $2 application/json message ~ $3" \
		    "got:  $STATUS $ctype $BODY"
	fi
}
