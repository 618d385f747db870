#!/bin/bash
# t_exec.sh - the rest of the container API that issue 6 has landed,
# through the real docker CLI: docker exec (stdin, a tty, exit codes, a
# missing command, -u/-w/-e, -d) and its events.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

ROOTFS=$T_TMP/rootfs
busybox_rootfs "$ROOTFS" || { fail "busybox root filesystem" "no busybox"; exit 1; }

if [ -f "$MODULE_DIR/images.so" ]; then
	IMAGE_MODULE='  - name: images
    required: true'
	USE_IMPORT=1
else
	IMAGE_MODULE="  - path: $TEST_MODULE_DIR/image-stub.so
    required: true
    config:
      rootfs: $ROOTFS
      ref: busybox"
	USE_IMPORT=0
fi
YAML="log-level: info
modules:
  - name: authz-noop
    required: true
$IMAGE_MODULE
  - name: runtime-oci
    required: true
  - name: containers
    required: true"

berth_start "$YAML" || {
	fail "berthd with images, runtime-oci and containers" "$(cat "$B_LOG")"
	exit 1
}

# Containers outlive berthd by design: remove ours first.
ctr_cleanup()
{
	local ids

	if [ -n "$B_SOCK" ] && [ -S "$B_SOCK" ]; then
		ids=$(dk ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$ids" ] && dk rm -f $ids >/dev/null 2>&1
	fi
	grep -F " $B_DIR/" /proc/mounts | awk '{ print $2 }' |
	    sort -r | while read -r m; do umount -l "$m"; done
	cleanup
}
trap ctr_cleanup EXIT

if [ "$USE_IMPORT" = 1 ]; then
	check "docker import a busybox root filesystem as busybox" \
	    sh -c "tar -C '$ROOTFS' -cf - . | $DOCKER -H unix://$B_SOCK import - busybox"
fi

T0=$(date +%s)
check "a container to exec into" dk run -d --name ex -e CFOO=c busybox sleep 300

# --- docker exec ------------------------------------------------------------

OUT=$(echo hi | dk exec -i ex cat 2>&1)
assert_eq "echo hi | docker exec -i C cat" "$OUT" hi

OUT=$(dk exec ex sh -c 'echo out; echo err >&2' 2>/dev/null)
assert_eq "exec without a tty: stdout demultiplexed" "$OUT" out
OUT=$(dk exec ex sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)
assert_eq "exec without a tty: stderr demultiplexed" "$OUT" err

dk exec ex sh -c 'exit 4'
assert_eq "docker exec C sh -c 'exit 4' exits 4" "$?" 4

OUT=$(dk exec ex no-such-command 2>&1)
RC=$?
assert_eq "a missing command exits 126" "$RC" 126
assert_contains "a missing command: the error in the stream" "$OUT" \
    "executable file not found"

script -qec "$DOCKER -H unix://$B_SOCK exec -it ex sh -c 'tty; exit 5'" \
    /dev/null </dev/null >"$T_TMP/tty.out" 2>&1
RC=$?
assert_match "docker exec -it under a pty has a terminal" \
    "$(tr -d '\r' <"$T_TMP/tty.out")" '/dev/pts/[0-9]+$'
assert_eq "docker exec -it: the exit code comes back" "$RC" 5
script -qec "stty rows 33 cols 99; $DOCKER -H unix://$B_SOCK exec -it ex sh -c 'sleep 0.3; stty size'" \
    /dev/null >"$T_TMP/size.out" 2>&1
assert_match "docker exec -it sizes the terminal" \
    "$(tr -d '\r' <"$T_TMP/size.out")" '33 99$'

OUT=$(dk exec -u www -w /tmp -e XFOO=x ex sh -c 'id -u; pwd; echo $XFOO $CFOO' 2>&1)
assert_eq "exec -u -w -e (and the container's env)" "$(echo $OUT)" "33 /tmp x c"
OUT=$(dk exec ex sh -c 'grep CapEff /proc/self/status' 2>&1)
POUT=$(dk exec --privileged ex sh -c 'grep CapEff /proc/self/status' 2>&1)
if [ -n "$OUT" ] && [ "$OUT" != "$POUT" ]; then
	pass "exec --privileged has more capabilities"
else
	fail "exec --privileged has more capabilities" "$OUT" "$POUT"
fi

check "docker exec -d" dk exec -d ex sh -c 'echo detached >/tmp/d'
OUT=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
	OUT=$(dk exec ex cat /tmp/d 2>/dev/null) && [ -n "$OUT" ] && break
	sleep 0.2
done
assert_eq "docker exec -d ran its command" "$OUT" detached

req POST /v1.41/containers/ex/exec -H 'Content-Type: application/json' \
    -d '{"Cmd":["true"]}'
assert_eq "exec create answers 201" "$STATUS" 201
EID=$(printf '%s' "$BODY" | sed -E 's/.*"Id":"([0-9a-f]+)".*/\1/')
req GET "/v1.41/exec/$EID/json"
assert_match "exec inspect before start: not running, no code" "$BODY" \
    '"Running":false,"ExitCode":null'
req GET /v1.41/exec/nope/json
assert_eq "exec inspect of no such exec: 404" "$STATUS" 404
check "a stopped container" dk create --name stopped busybox true
req POST /v1.41/containers/stopped/exec -H 'Content-Type: application/json' \
    -d '{"Cmd":["true"]}'
assert_eq "exec into a stopped container: 409" "$STATUS" 409
assert_contains "exec into a stopped container: Docker's words" "$BODY" \
    "is not running"

EV=$(dk events --since "$T0" --until "$(date +%s)" --filter container=ex \
    --format '{{.Action}} {{index .Actor.Attributes "execID"}} {{index .Actor.Attributes "exitCode"}}' 2>&1)
assert_match "event exec_create: <cmd args>" "$EV" '^exec_create: sh -c exit 4 [0-9a-f]{64}'
assert_match "event exec_start: <cmd args>" "$EV" '^exec_start: sh -c exit 4 [0-9a-f]{64}'
assert_match "event exec_die with exitCode" "$EV" '^exec_die [0-9a-f]{64} 4$'
