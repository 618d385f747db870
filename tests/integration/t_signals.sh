#!/bin/bash
# t_signals.sh - the daemon's life: pidfile, SIGHUP reloads (good and
# broken), a second daemon on a busy socket, SIGTERM clean-up.
. "$(dirname "$0")/lib.sh"

conf='log-level: info
modules:
  - name: authz-noop
    required: true'
berth_start "$conf" || exit 1

assert_eq "pidfile holds the daemon's pid" "$(cat "$B_PIDFILE" 2>&1)" "$B_PID"

# --- SIGHUP ------------------------------------------------------------

printf 'log-level: info\nmodules: [oops\n' >"$B_CONF"
kill -HUP "$B_PID"
reload_failed()
{
	grep -q 'reload failed' "$B_LOG"
}
check "SIGHUP with a broken engine.yaml: logs an error" wait_for 3 reload_failed
assert_contains "the error cites the file" "$(grep 'reload failed' "$B_LOG")" \
    "$B_CONF"
check "SIGHUP with a broken engine.yaml: still running" kill -0 "$B_PID"
check "SIGHUP with a broken engine.yaml: still serving" wait_ping "$B_SOCK" 2
out=$(dk version --format '{{range .Server.Components}}{{.Name}} {{end}}' 2>&1)
assert_contains "broken reload kept the running modules" "$out" authz-noop

printf '%s\n' "$conf" >"$B_CONF"
kill -HUP "$B_PID"
reloaded()
{
	grep -q 'configuration reloaded' "$B_LOG"
}
check "SIGHUP with the config fixed: reloads" wait_for 3 reloaded
check "after the reload: still serving" wait_ping "$B_SOCK" 2

# --- a second daemon -------------------------------------------------------

first_pid=$B_PID first_sock=$B_SOCK first_pidfile=$B_PIDFILE
new_root
second=$NEW_ROOT
"$BERTHD" --config-file "$B_CONF" -H "unix://$first_sock" \
    --data-root "$second/data" --exec-root "$second/exec" \
    --pidfile "$second/berthd.pid" >"$second/log" 2>&1 &
p2=$!
track_pid $p2
wait_exit $p2 5
rc=$?
assert_match "second daemon on the same socket: exits non-zero" "$rc" \
    '^([1-9]|[1-9][0-9]|1[01][0-9]|12[0-3])$'
assert_contains "second daemon: clear error" "$(cat "$second/log")" \
    "another daemon is listening"
check "second daemon: the first keeps serving" wait_ping "$first_sock" 2
assert_eq "second daemon: left the first's socket in place" \
    "$([ -S "$first_sock" ] && echo socket)" socket
assert_eq "second daemon: removed its own pidfile" \
    "$([ -e "$second/berthd.pid" ] && echo exists || echo absent)" absent

"$BERTHD" --config-file "$B_CONF" -H "unix://$second/other.sock" \
    --data-root "$second/data" --exec-root "$second/exec" \
    --pidfile "$first_pidfile" >"$second/log2" 2>&1 &
p3=$!
track_pid $p3
wait_exit $p3 5
rc=$?
assert_match "second daemon on the same pidfile: exits non-zero" "$rc" \
    '^([1-9]|[1-9][0-9]|1[01][0-9]|12[0-3])$'
assert_contains "same pidfile: clear error" "$(cat "$second/log2")" \
    "pid file found"
assert_eq "same pidfile: still the first's pid" "$(cat "$first_pidfile")" \
    "$first_pid"
check "same pidfile: the first keeps serving" wait_ping "$first_sock" 2

# --- SIGTERM ---------------------------------------------------------------

kill -TERM "$first_pid"
wait_exit "$first_pid" 5
rc=$?
assert_eq "SIGTERM: exits 0 within 5 s" "$rc" 0
assert_eq "SIGTERM: socket removed" \
    "$([ -e "$first_sock" ] && echo exists || echo absent)" absent
assert_eq "SIGTERM: pidfile removed" \
    "$([ -e "$first_pidfile" ] && echo exists || echo absent)" absent
assert_contains "SIGTERM: logged" "$(cat "$B_LOG")" "shutting down"

# SIGTERM with a client connected and idle: still prompt.
berth_start "$conf" || exit 1
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(4096); open(sys.argv[2], "w").close(); time.sleep(30)' \
    "$B_SOCK" "$T_TMP/idle.ready" 2>"$T_TMP/idle.err" &
track_pid $!
check "an idle keep-alive client is connected" wait_for 3 test -e "$T_TMP/idle.ready"
[ -s "$T_TMP/idle.err" ] && fail "idle client failed" "$(cat "$T_TMP/idle.err")" \
    "socket: $(ls -l "$B_SOCK" 2>&1)" "log: $(cat "$B_LOG")"
t0=$(date +%s.%N)
kill -TERM "$B_PID"
wait_exit "$B_PID" 6
rc=$?
elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
assert_eq "SIGTERM with an idle keep-alive client: exits 0" "$rc" 0
assert_match "SIGTERM with an idle keep-alive client: prompt ($elapsed s)" \
    "$elapsed" '^(\.|[0-2]\.)'

berth_start "$conf" || exit 1
kill -INT "$B_PID"
wait_exit "$B_PID" 5
assert_eq "SIGINT: exits 0" "$?" 0
