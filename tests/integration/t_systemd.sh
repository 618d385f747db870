#!/bin/bash
# t_systemd.sh - berthd as systemd runs it, without systemd: the API
# socket handed over by socket activation (-H fd://, LISTEN_FDS), and
# READY=1 on $NOTIFY_SOCKET once it serves, RELOADING=1/READY=1 around a
# SIGHUP, STOPPING=1 at the end; the socket is the manager's, left in
# place.  The unit files are checked by systemd-analyze where it exists.
. "$(dirname "$0")/lib.sh"

new_root
R=$NEW_ROOT
SOCK=$R/activated.sock
cat >"$R/engine.yaml" <<'YML'
log-level: info
modules:
  - name: authz-noop
    required: true
YML
# The manager's part: a listening socket as fd 3, a notify socket, and
# LISTEN_PID set to berthd's own pid (the shell's, which it replaces).
python3 - "$SOCK" "$R/notify.sock" "$R/notes" "$BERTHD" "$R" \
    "$MODULE_DIR" >"$R/launcher.log" 2>&1 <<'PY' &
import os, socket, subprocess, sys, time
sock, notify, notes, berthd, root, moddir = sys.argv[1:7]
ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ls.bind(sock)
os.chmod(sock, 0o660)
ls.listen(64)
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(notify)
os.dup2(ls.fileno(), 3)
env = dict(os.environ, LISTEN_FDS="1", NOTIFY_SOCKET=notify)
cmd = 'LISTEN_PID=$$ exec "$0" "$@"'
p = subprocess.Popen(["sh", "-c", cmd, berthd, "--config-file",
    root + "/engine.yaml", "-H", "fd://", "--data-root", root + "/data",
    "--exec-root", root + "/exec", "--pidfile", root + "/berthd.pid",
    "--module-dir", moddir], env=env, pass_fds=(3,),
    stdout=open(root + "/berthd.log", "w"), stderr=subprocess.STDOUT)
with open(root + "/pid", "w") as f:
    f.write(str(p.pid))
ns.settimeout(30)
with open(notes, "a", buffering=1) as out:
    try:
        while True:
            msg = ns.recv(4096).decode()
            out.write(msg.replace("\n", " ") + "\n")
            if msg.startswith("STOPPING=1"):
                break
    except socket.timeout:
        pass
p.wait()
PY
LAUNCHER=$!
track_pid "$LAUNCHER"
wait_for 10 test -s "$R/notes"
PID=$(cat "$R/pid" 2>/dev/null)
track_pid "$PID"
assert_match "READY=1 on NOTIFY_SOCKET once berthd serves, with its pid" \
    "$(head -n 1 "$R/notes")" "^READY=1 MAINPID=$PID\$"
OUT=$("$DOCKER" -H "unix://$SOCK" version --format '{{.Server.APIVersion}}' 2>&1)
assert_eq "the activated socket serves the API (-H fd://)" "$OUT" 1.41
assert_contains "the log says where it listens" "$(cat "$R/berthd.log")" \
    "listening on fd://3"
kill -HUP "$PID"
wait_for 5 grep -q RELOADING=1 "$R/notes"
assert_match "SIGHUP: RELOADING=1, then READY=1" \
    "$(tail -n 2 "$R/notes" | tr '\n' ' ')" '^RELOADING=1 .*READY=1'
kill -TERM "$PID"
wait_exit "$LAUNCHER" 10
assert_match "SIGTERM: STOPPING=1" "$(tail -n 1 "$R/notes")" '^STOPPING=1'
check "the socket is the manager's: left in place" test -S "$SOCK"

# Without LISTEN_FDS, fd:// is a clear error, not a daemon with no API.
OUT=$("$BERTHD" --config-file "$R/engine.yaml" -H fd:// \
    --data-root "$R/data2" --exec-root "$R/exec2" \
    --pidfile "$R/b2.pid" --module-dir "$MODULE_DIR" 2>&1)
assert_eq "-H fd:// without sockets: exits non-zero" "$?" 1
assert_contains "... saying why" "$OUT" "no sockets were passed"

if command -v systemd-analyze >/dev/null 2>&1; then
	# (berthd need not be installed for the units to be checked.)
	OUT=$(SYSTEMD_LOG_LEVEL=err systemd-analyze verify --man=no \
	    "$ROOT/conf/systemd/berthd.socket" \
	    "$ROOT/conf/systemd/berthd.service" 2>&1 |
	    grep -v 'Command /usr/local/sbin/berthd is not executable')
	assert_eq "systemd-analyze verify: the units are sound" "$OUT" ""
fi
