#!/bin/bash
# t_exec.sh - the rest of the container API that issue 6 has landed,
# through the real docker CLI: docker exec (stdin, a tty, exit codes, a
# missing command, -u/-w/-e, -d), pause/unpause, rename, top,
# container prune, restart policies (backoff, on-failure:N, always
# across a berthd restart), and their events.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

busybox_daemon

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

EV=$(dk events --since "$T0" --until "$(date +%s.%N)" --filter container=ex \
    --format '{{.Action}} {{index .Actor.Attributes "execID"}} {{index .Actor.Attributes "exitCode"}}' 2>&1)
assert_match "event exec_create: <cmd args>" "$EV" '^exec_create: sh -c exit 4 [0-9a-f]{64}'
assert_match "event exec_start: <cmd args>" "$EV" '^exec_start: sh -c exit 4 [0-9a-f]{64}'
assert_match "event exec_die with exitCode" "$EV" '^exec_die [0-9a-f]{64} 4$'

# --- detach keys typed by an API client ---------------------------------------
# The CLI catches ctrl-p ctrl-q itself and never sends them; docker-py and
# other clients send them, and the daemon detaches and says so.

check "a container with a terminal" dk run -dit --name dt busybox sh
python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" \
    "/v1.41/containers/dt/attach?stream=1&stdin=1&stdout=1&stderr=1" \
    --stdin "$(printf '\020\021')" --keep-open 5 --raw --timeout 10 \
    >/dev/null
assert_eq "ctrl-p ctrl-q on an attach: the daemon ends the stream" "$?" 0
req POST /v1.41/containers/dt/exec -H 'Content-Type: application/json' \
    -d '{"Cmd":["sh"],"Tty":true,"AttachStdin":true,"AttachStdout":true}'
DEID=$(printf '%s' "$BODY" | sed -E 's/.*"Id":"([0-9a-f]+)".*/\1/')
python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" "/v1.41/exec/$DEID/start" \
    --stdin "$(printf '\020\021')" --keep-open 5 --raw --timeout 10 \
    >/dev/null
assert_eq "ctrl-p ctrl-q on an exec: the daemon ends the stream" "$?" 0
req GET "/v1.41/exec/$DEID/json"
assert_contains "the exec runs on after its detach" "$BODY" '"Running":true'
assert_eq "the container runs on after its detach" \
    "$(dk inspect -f '{{.State.Status}}' dt 2>&1)" running
EV=$(dk events --since "$T0" --until "$(date +%s.%N)" --filter container=dt \
    --format '{{.Action}} {{index .Actor.Attributes "execID"}} {{index .Actor.Attributes "name"}}' 2>&1)
assert_match "event detach, with the container's name" "$EV" '^detach  dt$'
assert_match "event exec_detach with its execID" "$EV" \
    "^exec_detach $DEID dt\$"
dk rm -f dt >/dev/null 2>&1

# --- pause, unpause ------------------------------------------------------------

# Each count is renamed into place: a read never meets a half-written
# file (an empty N3 failed this once, on a loaded machine).
check "a container counting" dk run -d --name counter busybox \
    sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n.t; mv /tmp/n.t /tmp/n; sleep 0.05; done'
sleep 0.5
check "docker pause" dk pause counter
OUT=$(dk inspect -f '{{.State.Status}} {{.State.Paused}}' counter 2>&1)
assert_eq "paused: inspect says so" "$OUT" "paused true"
assert_match "paused: ps says so" "$(dk ps --filter name=counter 2>&1)" '\(Paused\)'
N1=$(cat "$(dk inspect -f '{{.GraphDriver.Data.MergedDir}}' counter)/tmp/n")
sleep 0.6
N2=$(cat "$(dk inspect -f '{{.GraphDriver.Data.MergedDir}}' counter)/tmp/n")
assert_eq "paused: the counter stands still" "$N2" "$N1"
OUT=$(dk pause counter 2>&1)
assert_contains "pause twice: Docker's words" "$OUT" "is already paused"
OUT=$(dk exec counter true 2>&1)
assert_contains "exec into a paused container is refused" "$OUT" "is paused"
check "docker unpause" dk unpause counter
sleep 0.4
N3=$(dk exec counter cat /tmp/n 2>&1)
if [ "${N3:-0}" -gt "${N2:-0}" ] 2>/dev/null; then
	pass "unpaused: the counter moves again"
else
	fail "unpaused: the counter moves again" "$N2 then $N3"
fi
OUT=$(dk unpause counter 2>&1)
assert_contains "unpause a running container: Docker's words" "$OUT" "is not paused"
OUT=$(dk pause stopped 2>&1)
assert_contains "pause a stopped container: Docker's words" "$OUT" "is not running"
check "a paused container is pausable and removable with rm -f" \
    sh -c "$DOCKER -H unix://$B_SOCK pause counter >/dev/null && $DOCKER -H unix://$B_SOCK rm -f counter >/dev/null"

# --- top ------------------------------------------------------------------------

OUT=$(dk top ex 2>&1)
assert_match "docker top: ps -ef titles" "$OUT" '^UID +PID +PPID'
assert_match "docker top: the container's process" "$OUT" 'sleep 300$'
if printf '%s\n' "$OUT" | grep -q berthd; then
	fail "docker top: no host process" "$OUT"
else
	pass "docker top: no host process"
fi
dk exec -d ex sleep 123
sleep 0.3
OUT=$(dk top ex -o pid,args 2>&1)
assert_match "docker top with ps args, an exec's process too" "$OUT" 'sleep 123'
OUT=$(dk top stopped 2>&1)
assert_contains "docker top of a stopped container" "$OUT" "is not running"

# --- rename ---------------------------------------------------------------------

check "docker rename" dk rename ex ex2
OUT=$(dk inspect -f '{{.Name}}' ex2 2>&1)
assert_eq "renamed: found by its new name" "$OUT" /ex2
OUT=$(dk rename ex2 stopped 2>&1)
assert_contains "rename to a name in use: Docker's words" "$OUT" \
    'Conflict. The container name "/stopped" is already in use'
OUT=$(dk rename ex2 'bad!name' 2>&1)
assert_contains "rename to an invalid name" "$OUT" "Invalid container name"
OUT=$(dk rename ex2 ex2 2>&1)
assert_contains "rename to the same name" "$OUT" "same name as its current name"

# --- prune ----------------------------------------------------------------------

check "containers to prune" sh -c "$DOCKER -H unix://$B_SOCK create --label keep=1 --name kept busybox true >/dev/null &&
    $DOCKER -H unix://$B_SOCK run --name gone busybox sh -c 'echo x > /big' >/dev/null"
GONE=$(dk inspect -f '{{.Id}}' gone 2>&1)
OUT=$(dk container prune -f --filter label!=keep 2>&1)
assert_contains "prune: deletes a stopped container" "$OUT" "$GONE"
OUT=$(dk ps -a --format '{{.Names}}' 2>&1 | sort | tr '\n' ' ')
assert_eq "prune: the running one and the filtered-out one stay" "$OUT" "ex2 kept "
OUT=$(dk container prune -f --filter until=1h 2>&1)
assert_contains "prune until=1h: nothing that recent" "$OUT" "Total reclaimed space: 0B"
OUT=$(dk container prune -f 2>&1)
assert_contains "prune: the rest of the stopped ones" "$OUT" "Deleted Containers:"
OUT=$(dk ps -a --format '{{.Names}}' 2>&1)
assert_eq "prune: only the running container is left" "$OUT" ex2

EV=$(dk events --since "$T0" --until "$(date +%s.%N)" \
    --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes "oldName"}}' 2>&1)
assert_match "events pause and unpause" "$EV" '^container pause counter'
assert_match "event unpause" "$EV" '^container unpause counter'
assert_match "event rename with oldName" "$EV" '^container rename ex2 /ex$'
assert_match "event prune" "$EV" '^container prune'

# --- restart policies -----------------------------------------------------------

# state NAME - "status restartcount pid"
state()
{
	dk inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.Pid}}' "$1" 2>&1
}

check "docker run -d --restart=always" dk run -d --name alw --restart=always \
    busybox sleep 300
P1=$(dk inspect -f '{{.State.Pid}}' alw)
kill -KILL "$P1"
came_back()
{
	set -- $(state alw)
	[ "$1" = running ] && [ "$2" = 1 ] && [ "$3" != "$P1" ] && [ "$3" != 0 ]
}
if wait_for 5 came_back; then
	pass "always: a killed process is restarted (RestartCount 1)"
else
	fail "always: a killed process is restarted (RestartCount 1)" "$(state alw)"
fi

check "docker run -d --restart=on-failure:2" dk run -d --name onf \
    --restart=on-failure:2 busybox sh -c 'exit 3'
gave_up()
{
	[ "$(state onf)" = "exited 2 0" ]
}
if wait_for 5 gave_up; then
	pass "on-failure:2 gives up after 2 restarts"
else
	fail "on-failure:2 gives up after 2 restarts" "$(state onf)"
fi
OUT=$(dk inspect -f '{{.State.ExitCode}}' onf 2>&1)
assert_eq "on-failure:2: the last exit code stays" "$OUT" 3
check "on-failure: a clean exit is the end" dk run -d --name onf0 \
    --restart=on-failure busybox true
sleep 0.5
assert_eq "on-failure: exit 0 is not restarted" "$(state onf0)" "exited 0 0"
req POST /v1.41/containers/create -H 'Content-Type: application/json' \
    -d '{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":3}}}'
assert_json_error "create: a retry count with always is Docker's 400" 400 \
    "maximum retry count cannot be used with restart policy 'always'"

check "a stopped always container and one killed while berthd is down" \
    sh -c "$DOCKER -H unix://$B_SOCK run -d --name alw2 --restart=always busybox sleep 300 >/dev/null &&
        $DOCKER -H unix://$B_SOCK stop -t 0 alw2 >/dev/null"
P1=$(dk inspect -f '{{.State.Pid}}' alw)
berth_stop
kill -KILL "$P1"
berth_exec
if wait_ping "$B_SOCK" 10; then
	pass "berthd comes back"
else
	fail "berthd comes back" "$(tail -n 15 "$B_LOG")"
fi
running()
{
	[ "$(dk inspect -f '{{.State.Status}}' "$1" 2>&1)" = running ]
}
if wait_for 5 running alw; then
	pass "always: killed while berthd was down, running again after its start"
else
	fail "always: killed while berthd was down, running again after its start" "$(state alw)"
fi
if wait_for 5 running alw2; then
	pass "always: stopped by hand, running again after berthd's start (as dockerd)"
else
	fail "always: stopped by hand, running again after berthd's start (as dockerd)" "$(state alw2)"
fi
assert_eq "on-failure:2 stays down across the restart" "$(state onf)" "exited 2 0"
check "docker stop of an always container keeps it down" dk stop -t 1 alw
sleep 0.5
assert_match "stopped always container: exited" "$(state alw)" '^exited'

# Streams without an Upgrade header: 200, the raw stream as the body
# until it ends (as dockerd answers curl and clients that cannot hijack).
check "a container for plain HTTP streams" dk run -d --name plain busybox \
    sh -c 'echo plain-log; sleep 30'
sleep 0.3
curl -s -D "$T_TMP/plain.h" -o "$T_TMP/plain.b" --max-time 5 \
    --unix-socket "$B_SOCK" -X POST \
    "http://x/v1.41/containers/plain/attach?logs=1&stream=0&stdout=1"
assert_match "attach without Upgrade: 200" "$(head -1 "$T_TMP/plain.h")" \
    '^HTTP/1.1 200'
assert_contains "... as a raw stream" "$(cat "$T_TMP/plain.h")" \
    "Content-Type: application/vnd.docker.raw-stream"
assert_eq "... the log, framed, in the body" \
    "$(od -An -c "$T_TMP/plain.b" | tr -s ' ' | tr -d '\n')" \
    " 001 \\0 \\0 \\0 \\0 \\0 \\0 \\n p l a i n - l o g \\n"
EID=$(curl -s --unix-socket "$B_SOCK" -H 'Content-Type: application/json' \
    -d '{"Cmd":["echo","from-exec"],"AttachStdout":true}' \
    "http://x/v1.41/containers/plain/exec" | sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/')
curl -s -D "$T_TMP/ex.h" -o "$T_TMP/ex.b" --max-time 5 --unix-socket "$B_SOCK" \
    -H 'Content-Type: application/json' -d '{"Detach":false,"Tty":true}' \
    "http://x/v1.41/exec/$EID/start"
assert_match "exec start without Upgrade: 200" "$(head -1 "$T_TMP/ex.h")" \
    '^HTTP/1.1 200'
assert_eq "... the output raw (the start asked for a tty)" \
    "$(tr -d '\r' <"$T_TMP/ex.b")" "from-exec"
check "remove it" dk rm -f plain
