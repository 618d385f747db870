#!/bin/bash
# t_runtime.sh - runtime-oci and berth-monitor, driven through the
# runtime-probe test module on hand-made busybox bundles: runc, crun and
# a custom runtime added with --add-runtime; exit codes, output before
# an attach, ptys, stdin, detach keys, kill, exec, restore after kill -9
# of berthd, errors, monitor RSS, docker info, SIGHUP.

. "$(dirname "$0")/lib.sh"

BUSYBOX=/bin/busybox
[ -x $BUSYBOX ] || BUSYBOX=/usr/bin/busybox
MONITOR=$BUILD_DIR/libexec/berth-monitor
RT_IDS=""

# --- the crun quirk: a controller on cgroup2 in a hybrid layout --------

hybrid_v2_controllers()
{
	[ -e /sys/fs/cgroup/cgroup.controllers ] && return 0
	cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null
}

# Mount every such controller as a v1 hierarchy, which crun accepts.
fix_hybrid_cgroups()
{
	local c n

	for c in $(hybrid_v2_controllers); do
		mkdir -p "/sys/fs/cgroup/$c"
		n=0
		# Just after an unmount the controller may still be busy.
		until mountpoint -q "/sys/fs/cgroup/$c" ||
		    mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" 2>/dev/null; do
			n=$((n + 1))
			[ $n -ge 50 ] && return 1
			sleep 0.1
		done
	done
	[ -z "$(hybrid_v2_controllers)" ]
}

# --- bundles ---------------------------------------------------------------

ROOTFS=$T_TMP/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" "$ROOTFS/tmp"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for a in sh cat echo sleep true date ls env tty stty test printf head yes \
    seq wc; do
	ln -s busybox "$ROOTFS/bin/$a"
done
mkdir -p "$T_TMP/spec"
(cd "$T_TMP/spec" && runc spec) || { fail "runc spec"; exit 1; }

# mk_bundle NAME TTY ARG... - a bundle dir running ARGs; prints its path.
mk_bundle()
{
	local name=$1 tty=$2 dir=$T_TMP/bundles/$1

	shift 2
	mkdir -p "$dir"
	python3 - "$T_TMP/spec/config.json" "$dir/config.json" "$ROOTFS" \
	    "$tty" "$@" <<'EOF'
import json, sys
src, dst, rootfs, tty, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
c = json.load(open(src))
c["process"]["args"] = args
c["process"]["terminal"] = tty == "1"
c["process"]["env"] = ["PATH=/bin", "TERM=xterm"]
c["root"] = {"path": rootfs, "readonly": True}
c["hostname"] = "probe"
json.dump(c, open(dst, "w"), indent=1)
EOF
	echo "$dir"
}

# --- the daemon --------------------------------------------------------------

CUSTOM=$T_TMP/custom-runtime.sh
CUSTOM_LOG=$T_TMP/custom-runtime.log
cat >"$CUSTOM" <<EOF
#!/bin/sh
echo "\$*" >>$CUSTOM_LOG
exec /usr/bin/crun "\$@"
EOF
chmod 755 "$CUSTOM"

YAML="modules:
  - name: runtime-oci
    required: true
  - path: $TEST_MODULE_DIR/runtime-probe.so
    required: true"
FLAGS="--add-runtime custom=$CUSTOM"

# restart - berthd again on the same roots (after a kill -9).
restart()
{
	# shellcheck disable=SC2086
	berth_exec $FLAGS
	wait_ping "$B_SOCK" 5
}

# Containers and monitors must not outlive the test.
rt_cleanup()
{
	local r d pid

	for d in $T_DIRS; do
		for r in "$d"/exec/runtime/*; do
			[ -d "$r" ] || continue
			for id in $RT_IDS; do
				runc --root "$r" delete --force "$id" >/dev/null 2>&1
				crun --root "$r" delete --force "$id" >/dev/null 2>&1
			done
		done
		for r in "$d"/exec/runtime-oci/*/state.json; do
			[ -f "$r" ] || continue
			pid=$(sed -n 's/.*"monitor_pid":\([0-9]*\).*/\1/p' "$r")
			[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
		done
	done
}
trap 'rt_cleanup; cleanup' EXIT

# The quirk, seen the way an operator sees it: berthd's one log line.
if [ -n "$(hybrid_v2_controllers)" ]; then
	berth_start "$YAML" $FLAGS || { fail "berthd starts"; exit 1; }
	assert_match "the crun quirk is named in one log line" \
	    "$(grep -c 'cgroups in hybrid mode not supported' "$B_LOG")" '^1$'
	assert_match "the log line names the controller and the fix" \
	    "$(grep 'hybrid mode' "$B_LOG")" "controller\(s\) '[a-z_ ]+'.*mount -t cgroup -o"
	berth_stop
fi
check "hybrid cgroup controllers mounted as v1 for crun" fix_hybrid_cgroups

# shellcheck disable=SC2086
berth_start "$YAML" $FLAGS || { fail "berthd starts with runtime-oci"; exit 1; }

# --- docker info ---------------------------------------------------------------

# docker info's runtimes, sorted: the CLI prints Go map order, which varies.
info_runtimes()
{
	dk info 2>/dev/null | sed -n 's/^ *Runtimes: //p' | tr ' ' '\n' | sort |
	    tr '\n' ' '
}

assert_eq "docker info lists the runtimes" "$(info_runtimes)" "crun custom runc "
assert_contains "docker info shows the default" "$(dk info 2>&1)" \
    "Default Runtime: runc"
req GET /info
assert_eq "/info has the custom path" \
    "$(printf '%s' "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Runtimes"]["custom"]["path"])')" \
    "$CUSTOM"
req GET /probe/rt/default
assert_eq "the default alias is runc" "$(json_field "$BODY" Name)" runc

# --- helpers ----------------------------------------------------------------

# run_id ID RUNTIME BUNDLE [query...] - create; sets STATUS/BODY.
rt_create()
{
	local id=$1 rt=$2 b=$3 extra=${4:-}

	RT_IDS="$RT_IDS $id"
	req POST "/probe/rt/create?id=$id&runtime=$rt&bundle=$b&log=$T_TMP/logs/$id.log$extra"
}
mkdir -p "$T_TMP/logs"

wait_code()
{
	req GET "/probe/rt/wait?id=$1${2:+&exec=$2}"
	json_field "$BODY" ExitCode
}

monitor_pid()
{
	sed -n 's/.*"monitor_pid":\([0-9]*\).*/\1/p' \
	    "$B_DIR/exec/runtime-oci/$1/state.json" 2>/dev/null
}

# --- each runtime: exit code, output, the log, delete -------------------------

B_EXIT=$(mk_bundle exit 0 sh -c 'echo out; echo err >&2; exit 3')
for rt in runc crun custom; do
	id=exit-$rt
	rt_create $id $rt "$B_EXIT"
	assert_eq "$rt: create answers 201" "$STATUS" 201
	req GET "/probe/rt/state?id=$id"
	assert_eq "$rt: created" "$(json_field "$BODY" Status)" created
	python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" \
	    "/probe/rt/attach?id=$id&stdout=1&stderr=1" \
	    --ready "$T_TMP/ready-$id" >"$T_TMP/attach-$id" 2>&1 &
	apid=$!
	wait_for 5 test -e "$T_TMP/ready-$id"
	sleep 0.1
	req POST "/probe/rt/start?id=$id"
	assert_eq "$rt: start answers 204" "$STATUS" 204
	assert_eq "$rt: sh -c 'exit 3' exits 3" "$(wait_code $id)" 3
	wait_exit $apid 5
	assert_eq "$rt: the attach ends when the process does" "$?" 0
	assert_eq "$rt: attach got both streams in Docker's frames" \
	    "$(sort "$T_TMP/attach-$id" | tr '\n' ' ')" "stderr: err stdout: out "
	assert_match "$rt: json-file log lines" "$(cat "$T_TMP/logs/$id.log")" \
	    '^\{"log":"out\\n","stream":"stdout","time":"[0-9-]+T[0-9:.]+Z"\}$'
	assert_contains "$rt: stderr logged" "$(cat "$T_TMP/logs/$id.log")" \
	    '{"log":"err\n","stream":"stderr"'
	req GET "/probe/rt/state?id=$id"
	assert_eq "$rt: stopped with its code" \
	    "$(json_field "$BODY" Status) $(json_field "$BODY" ExitCode)" "stopped 3"
	req POST "/probe/rt/delete?id=$id"
	assert_eq "$rt: delete answers 204" "$STATUS" 204
	req GET "/probe/rt/state?id=$id"
	assert_eq "$rt: deleted means forgotten" "$STATUS" 404
	check "$rt: the monitor's state dir is gone" \
	    test ! -e "$B_DIR/exec/runtime-oci/$id"
done
# It has `run` (it hands everything to crun): asked once, then one exec
# starts a container, and the start costs none.
assert_match "the custom runtime was asked whether it has run" \
    "$(head -n 1 "$CUSTOM_LOG")" '^run --help$'
assert_match "the custom runtime was driven through its path" \
    "$(cat "$CUSTOM_LOG")" "--root $B_DIR/exec/runtime/custom .*run --detach --bundle $B_EXIT --pid-file $B_EXIT/init.pid exit-custom"
assert_match "custom runtime: run, then delete, no start" \
    "$(grep -o ' run --detach\| start exit-custom\| delete exit-custom' "$CUSTOM_LOG" | tr -d '\n')" \
    '^ run --detach delete exit-custom$'

# --- output before an attach is kept (the log, replayed with logs=1) ---------

B_EARLY=$(mk_bundle early 0 sh -c 'echo early; sleep 1; echo late')
rt_create early runc "$B_EARLY"
req POST "/probe/rt/start?id=early"
sleep 0.5
out=$(python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" \
    "/probe/rt/attach?id=early&stdout=1&stderr=1&logs=1" 2>&1)
assert_eq "output from before the attach is not lost" \
    "$(printf '%s\n' "$out" | tr '\n' ' ')" "stdout: early stdout: late "
assert_eq "early exits 0" "$(wait_code early)" 0
req POST "/probe/rt/delete?id=early"

# --- a tty process gets a pty; resize reaches it --------------------------------

B_TTY=$(mk_bundle tty 1 sh -c 'tty; test -t 0 && echo isatty; sleep 0.6; stty size')
for rt in runc crun; do
	id=tty-$rt
	rt_create $id $rt "$B_TTY" "&tty=1"
	assert_eq "$rt: tty create" "$STATUS" 201
	python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" \
	    "/probe/rt/attach?id=$id&stdout=1&stderr=1" --raw \
	    --ready "$T_TMP/ready-$id" >"$T_TMP/attach-$id" 2>&1 &
	apid=$!
	wait_for 5 test -e "$T_TMP/ready-$id"
	req POST "/probe/rt/start?id=$id"
	req POST "/probe/rt/resize?id=$id&h=33&w=101"
	assert_eq "$rt: resize answers 204" "$STATUS" 204
	assert_eq "$rt: tty exits 0" "$(wait_code $id)" 0
	wait_exit $apid 5
	out=$(tr -d '\r' <"$T_TMP/attach-$id")
	assert_match "$rt: the process runs on a pty" "$out" '^/dev/pts/[0-9]+$'
	assert_contains "$rt: stdin is a terminal" "$out" isatty
	assert_contains "$rt: the pty has the size set by resize" "$out" "33 101"
	assert_contains "$rt: tty output is logged raw" \
	    "$(cat "$T_TMP/logs/$id.log")" '"log":"isatty\r\n","stream":"stdout"'
	req POST "/probe/rt/delete?id=$id"
done

# --- stdin: client EOF closes the process's stdin (stdin_once, no tty) --------

B_CAT=$(mk_bundle cat 0 cat)
rt_create cat runc "$B_CAT" "&stdin=1&once=1"
python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" \
    "/probe/rt/attach?id=cat&stdin=1&stdout=1&stderr=1" --stdin 'hello\n' \
    --keep-open 0.3 --ready "$T_TMP/ready-cat" >"$T_TMP/attach-cat" 2>&1 &
apid=$!
wait_for 5 test -e "$T_TMP/ready-cat"
req POST "/probe/rt/start?id=cat"
assert_eq "echo hi | cat: exit 0 once stdin closes" "$(wait_code cat)" 0
wait_exit $apid 5
assert_eq "stdin reached the process and came back" "$(cat "$T_TMP/attach-cat")" \
    "stdout: hello"
req POST "/probe/rt/delete?id=cat"

# --- detach keys on a tty attach ------------------------------------------------

B_SLEEP_TTY=$(mk_bundle sleeptty 1 sleep 30)
rt_create detach crun "$B_SLEEP_TTY" "&tty=1&stdin=1"
req POST "/probe/rt/start?id=detach"
t0=$(date +%s%N)
python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" \
    "/probe/rt/attach?id=detach&stdin=1&stdout=1&detachKeys=ctrl-x,e" \
    --raw --stdin 'abc\x18e' --keep-open 5 >/dev/null 2>&1
rc=$?
t1=$(date +%s%N)
assert_eq "typing the detach keys ends the attach" "$rc" 0
assert_match "... at once, not at the process's exit" \
    "$(( (t1 - t0) / 1000000 ))" '^[0-9]{1,4}$'
req GET "/probe/rt/state?id=detach"
assert_eq "the process runs on after a detach" "$(json_field "$BODY" Status)" running

# --- kill, kill --all ---------------------------------------------------------

req POST "/probe/rt/kill?id=detach&signal=9"
assert_eq "kill answers 204" "$STATUS" 204
assert_eq "SIGKILL gives 137" "$(wait_code detach)" 137
req POST "/probe/rt/kill?id=detach&signal=9"
assert_match "kill of a stopped container is refused" "$STATUS" '^(409|500)$'
req POST "/probe/rt/delete?id=detach"

B_SLEEP=$(mk_bundle sleep 0 sh -c 'sleep 30 & sleep 30')
rt_create killall runc "$B_SLEEP"
req POST "/probe/rt/start?id=killall"
# Its init (the last sleep, exec'd) ignores SIGTERM as a pid 1 does.
req POST "/probe/rt/kill?id=killall&signal=15&all=1"
assert_eq "kill --all answers 204" "$STATUS" 204
sleep 0.3
req GET "/probe/rt/state?id=killall"
assert_eq "a pid 1 without a handler shrugs SIGTERM off" \
    "$(json_field "$BODY" Status)" running
req POST "/probe/rt/kill?id=killall&signal=9&all=1"
assert_eq "SIGKILL to all gives 137" "$(wait_code killall)" 137
req POST "/probe/rt/delete?id=killall"

# --- pause / resume ---------------------------------------------------------

rt_create paused runc "$B_SLEEP"
req POST "/probe/rt/start?id=paused"
req POST "/probe/rt/pause?id=paused"
assert_eq "pause answers 204" "$STATUS" 204
req GET "/probe/rt/state?id=paused"
assert_eq "paused" "$(json_field "$BODY" Status)" paused
req POST "/probe/rt/resume?id=paused"
req GET "/probe/rt/state?id=paused"
assert_eq "resumed" "$(json_field "$BODY" Status)" running
req POST "/probe/rt/kill?id=paused&signal=9&all=1"
wait_code paused >/dev/null
req POST "/probe/rt/delete?id=paused"

# --- exec ---------------------------------------------------------------

rt_create execd crun "$B_SLEEP"
req POST "/probe/rt/start?id=execd"
req POST "/probe/rt/exec?id=execd&exec=e1" -H 'Content-Type: application/json' \
    -d '{"args":["/bin/sh","-c","echo execout; echo execerr >&2; exit 4"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}'
assert_eq "exec answers 201" "$STATUS" 201
out=$(python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" \
    "/probe/rt/attach?id=execd&exec=e1&stdout=1&stderr=1" 2>&1)
assert_eq "an exec's output from its first byte reaches its attach" \
    "$(printf '%s\n' "$out" | sort | tr '\n' ' ')" "stderr: execerr stdout: execout "
assert_eq "the exec's exit code" "$(wait_code execd e1)" 4
req POST "/probe/rt/exec?id=execd&exec=e2" -H 'Content-Type: application/json' \
    -d '{"args":["/bin/nope"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}'
assert_match "an exec of a missing binary fails clearly" "$BODY" \
    'OCI runtime exec failed: .*nope'
req POST "/probe/rt/kill?id=execd&signal=9&all=1"
wait_code execd >/dev/null
req POST "/probe/rt/delete?id=execd"

# --- OOM: a memory cgroup kill is reported as such ------------------------

B_OOM=$(mk_bundle oom 0 sh -c 'a=xxxxxxxx; while true; do a=$a$a; done')
python3 - "$B_OOM/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"].setdefault("resources", {})["memory"] = {"limit": 16 << 20, "swap": 16 << 20}
json.dump(c, open(sys.argv[1], "w"))
EOF
for rt in runc crun; do
	rt_create oom-$rt $rt "$B_OOM"
	req POST "/probe/rt/start?id=oom-$rt"
	req GET "/probe/rt/wait?id=oom-$rt"
	assert_eq "$rt: an OOM kill is 137 with OOMKilled" \
	    "$(json_field "$BODY" ExitCode) $(json_field "$BODY" OOMKilled)" \
	    "137 True"
	req POST "/probe/rt/delete?id=oom-$rt"
done

# --- errors --------------------------------------------------------------

mkdir -p "$T_TMP/bundles/empty"
rt_create badbundle runc "$T_TMP/bundles/empty"
assert_json_error "a bundle without config.json" 500 \
    '^OCI runtime create failed: .*config.json'
check "no monitor left behind for a failed create" \
    test ! -e "$B_DIR/exec/runtime-oci/badbundle"
B_NOPE=$(mk_bundle nope 0 /bin/nope)
rt_create nope crun "$B_NOPE"
assert_json_error "an executable that is not there" 500 \
    '^OCI runtime create failed: .*nope'
rt_create unknown nosuch "$B_EXIT"
assert_json_error "an unknown runtime" 400 'Unknown runtime specified nosuch'

# --- monitor RSS -----------------------------------------------------------

rt_create rss runc "$B_SLEEP"
req POST "/probe/rt/start?id=rss"
mpid=$(monitor_pid rss)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$mpid/status" 2>/dev/null)
echo "# berth-monitor VmRSS: ${rss:-?} kB"
case $BUILD in
*asan*)	pass "monitor RSS (not measured under sanitizers)" ;;
*)	assert_match "a monitor stays under 1 MB resident" "${rss:-9999}" '^[0-9]{1,3}$' ;;
esac
assert_eq "the monitor is nobody's child but init's" \
    "$(awk '{ print $4 }' "/proc/$mpid/stat" 2>/dev/null)" 1
req POST "/probe/rt/kill?id=rss&signal=9&all=1"
wait_code rss >/dev/null
req POST "/probe/rt/delete?id=rss"

# --- kill -9 of berthd: the container runs on and is found again ---------------

B_TICK=$(mk_bundle tick 0 sh -c 'trap "exit 143" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done')
rt_create tick runc "$B_TICK"
req POST "/probe/rt/start?id=tick"
B_QUIT=$(mk_bundle quit 0 sh -c 'sleep 1; exit 7')
rt_create quit crun "$B_QUIT"
req POST "/probe/rt/start?id=quit"
sleep 0.3
# In braces: the shell's own "Killed" notice goes to /dev/null too.
{ kill -KILL "$B_PID"; wait "$B_PID"; } 2>/dev/null
before=$(wc -l <"$T_TMP/logs/tick.log")
sleep 1.5
during=$(wc -l <"$T_TMP/logs/tick.log")
assert_match "the log grows while berthd is down" \
    "$((during - before))" '^([5-9]|[1-9][0-9]+)$'
restart || fail "berthd restarts on the same roots"
req POST "/probe/rt/restore?id=tick&runtime=runc"
assert_eq "restore finds the running container" \
    "$(json_field "$BODY" Status)" running
req POST "/probe/rt/restore?id=quit&runtime=crun"
assert_eq "restore reports an exit that happened meanwhile" \
    "$(json_field "$BODY" Status) $(json_field "$BODY" ExitCode)" "stopped 7"
req POST "/probe/rt/restore?id=gone&runtime=runc"
assert_eq "restore of an unknown id" "$STATUS" 404
python3 "$TESTS_DIR/rt_attach.py" "$B_SOCK" \
    "/probe/rt/attach?id=tick&stdout=1" >"$T_TMP/attach-tick" 2>&1 &
apid=$!
sleep 0.5
req POST "/probe/rt/kill?id=tick&signal=15"
assert_eq "a later exit is reported after restore" "$(wait_code tick)" 143
wait_exit $apid 5
assert_match "attach works after the restart" "$(cat "$T_TMP/attach-tick")" \
    '^stdout: tick [0-9]+$'
req POST "/probe/rt/delete?id=tick"
assert_eq "delete after restore" "$STATUS" 204
req POST "/probe/rt/delete?id=quit"
assert_eq "delete of one that exited while berthd was away" "$STATUS" 204

# A monitor killed outright: its container is reported exited, and
# delete still cleans the runtime up.
rt_create orphan runc "$B_SLEEP"
req POST "/probe/rt/start?id=orphan"
kill -KILL "$(monitor_pid orphan)"
assert_eq "a dead monitor reports 255" "$(wait_code orphan)" 255
req POST "/probe/rt/delete?id=orphan"
assert_eq "delete without a monitor" "$STATUS" 204
check "runc forgot it too" sh -c \
    "! runc --root '$B_DIR/exec/runtime/runc' state orphan >/dev/null 2>&1"

# --- SIGHUP: a runtime added to engine.yaml is usable at once -------------------

# minimal: a runtime with the OCI command line only (no `run`).
MINIMAL=$T_TMP/minimal-runtime.sh
MINIMAL_LOG=$T_TMP/minimal-runtime.log
cat >"$MINIMAL" <<EOF
#!/bin/sh
echo "\$*" >>$MINIMAL_LOG
for a; do
	[ "\$a" = run ] && { echo "unknown command run" >&2; exit 1; }
done
exec /usr/bin/crun "\$@"
EOF
chmod 755 "$MINIMAL"
since=$(date +%s)
cat >"$B_CONF" <<EOF
modules:
  - name: runtime-oci
    required: true
    config:
      runtimes:
        extra: { path: /usr/bin/crun, args: [--cgroup-manager=cgroupfs] }
        ghost: { path: $T_TMP/no-such-runtime }
        minimal: { path: $MINIMAL }
  - path: $TEST_MODULE_DIR/runtime-probe.so
    required: true
EOF
kill -HUP "$B_PID"
check "reload logs the new runtime" wait_for 5 \
    grep -q 'runtime extra (/usr/bin/crun) is usable' "$B_LOG"
req GET "/events?since=$since&until=$(($(date +%s) + 1))&filters=%7B%22type%22%3A%5B%22daemon%22%5D%7D"
assert_contains "a daemon reload event" "$BODY" '"Action":"reload"'
assert_eq "docker info lists it" "$(info_runtimes)" \
    "crun custom extra ghost minimal runc "
req GET /info
assert_contains "its args are in /info" "$BODY" '"runtimeArgs":["--cgroup-manager=cgroupfs"]'
rt_create viaextra extra "$B_EXIT"
req POST "/probe/rt/start?id=viaextra"
assert_eq "a container runs on the reloaded runtime" "$(wait_code viaextra)" 3
req POST "/probe/rt/delete?id=viaextra"
wait_for 5 grep -q '^run --help$' "$MINIMAL_LOG"
sleep 0.2
rt_create viaminimal minimal "$B_EXIT"
req POST "/probe/rt/start?id=viaminimal"
assert_eq "a runtime without run: the container runs" \
    "$(wait_code viaminimal)" 3
req POST "/probe/rt/delete?id=viaminimal"
assert_match "  through create, then start" \
    "$(grep -o ' create \| start viaminimal\| delete viaminimal' "$MINIMAL_LOG" | tr -d '\n')" \
    '^ create  start viaminimal delete viaminimal$'
rt_create ghostly ghost "$B_EXIT"
assert_json_error "a runtime whose binary is missing" 404 \
    "^OCI runtime ghost \\($T_TMP/no-such-runtime\\): No such file or directory$"

berth_stop
