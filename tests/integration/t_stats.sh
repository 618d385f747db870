#!/bin/bash
# t_stats.sh - docker stats, docker update and exec inspect's Pid through
# the real docker CLI and curl, checked against the cgroup files the
# kernel keeps for the container (cgroup v1 here; v2 where the host has
# it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

busybox_daemon

# cgdir NAME CONTROLLER - the container's cgroup directory on the host,
# from its init's /proc/PID/cgroup (v1 controller, else the v2 path).
cgdir()
{
	local pid

	pid=$(dk inspect -f '{{.State.Pid}}' "$1") || return 1
	awk -F: -v c="$2" '
	    { n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) { print "/sys/fs/cgroup/" $2 $3; found = 1 } }
	    $1 == "0" && $2 == "" { v2 = "/sys/fs/cgroup" $3 }
	    END { if (!found && v2 != "") print v2 }' "/proc/$pid/cgroup" | head -n 1
}

# bytes "42.5MiB" - a docker CLI size (binary units) in bytes.
bytes()
{
	printf '%s\n' "$1" | awk '{
	    v = $0; u = v; sub(/[A-Za-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
	    m = 1
	    if (u == "KiB") m = 1024; else if (u == "MiB") m = 1048576
	    else if (u == "GiB") m = 1073741824; else if (u == "TiB") m = 1099511627776
	    else if (u == "kB") m = 1000; else if (u == "MB") m = 1000000
	    else if (u == "GB") m = 1000000000
	    printf "%.0f\n", v * m }'
}

# within PCT A B - A and B differ by at most PCT percent of B.
within()
{
	awk -v p="$1" -v a="$2" -v b="$3" 'BEGIN {
	    d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= b * p / 100) }'
}

# --- docker stats -------------------------------------------------------------

# 40 MiB in the container's /dev/shm (tmpfs: charged to its memory
# cgroup, and not inactive file cache, so the CLI counts it).
check "a container holding 40 MiB" dk run -d --name mem busybox sh -c \
    'dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 2>/dev/null; sleep 300'
MEMCG=$(cgdir mem memory)
wait_for 5 test -s "$MEMCG/memory.usage_in_bytes"
sleep 0.5

OUT=$(dk stats --no-stream --format '{{.MemUsage}}|{{.CPUPerc}}|{{.PIDs}}|{{.Name}}' mem 2>&1)
MEM=$(bytes "${OUT%% / *}")
if [ -f "$MEMCG/memory.usage_in_bytes" ]; then
	HOSTMEM=$(( $(cat "$MEMCG/memory.usage_in_bytes") -
	    $(awk '$1 == "total_inactive_file" { print $2 }' "$MEMCG/memory.stat") ))
else
	HOSTMEM=$(( $(cat "$MEMCG/memory.current") -
	    $(awk '$1 == "inactive_file" { print $2 }' "$MEMCG/memory.stat") ))
fi
if within 10 "$MEM" "$HOSTMEM" && [ "$MEM" -gt $((40 << 20)) ]; then
	pass "docker stats --no-stream: memory within 10% of the cgroup's ($OUT; cgroup $HOSTMEM)"
else
	fail "docker stats --no-stream: memory within 10% of the cgroup's" \
	    "stats: $OUT ($MEM bytes)" "cgroup: $HOSTMEM bytes"
fi
assert_match "docker stats: PIDs and name" "$OUT" "\\|[0-9.]+%\\|$(cat "$(cgdir mem pids)/pids.current")\\|mem\$"

check "a busy container" dk run -d --name busy busybox sh -c 'while :; do :; done'
OUT=$(dk stats --no-stream --format '{{.CPUPerc}}' busy 2>&1)
if awk -v v="${OUT%\%}" 'BEGIN { exit !(v + 0 > 20) }'; then
	pass "docker stats --no-stream: a busy loop's CPU % ($OUT)"
else
	fail "docker stats --no-stream: a busy loop's CPU %" "$OUT"
fi

req GET "/containers/mem/stats?stream=0"
PIDSCG=$(cgdir mem pids)
printf '%s' "$BODY" >"$T_TMP/stats.json"
OUT=$(python3 - "$T_TMP/stats.json" "$PIDSCG" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
want = ["read", "preread", "pids_stats", "blkio_stats", "num_procs",
        "storage_stats", "cpu_stats", "precpu_stats", "memory_stats", "name",
        "id"]
keys = [k for k in s if k != "networks"]
bad = []
if keys != want:
    bad.append("keys %s" % keys)
cur = int(open(sys.argv[2] + "/pids.current").read())
if s["pids_stats"].get("current") != cur:
    bad.append("pids %s != %d" % (s["pids_stats"], cur))
c, p = s["cpu_stats"], s["precpu_stats"]
for k in ("total_usage", "usage_in_kernelmode", "usage_in_usermode"):
    if k not in c["cpu_usage"]:
        bad.append("no cpu_usage." + k)
if not c.get("system_cpu_usage") or not c.get("online_cpus"):
    bad.append("no system figures")
if not p.get("system_cpu_usage") or p["system_cpu_usage"] >= c["system_cpu_usage"]:
    bad.append("precpu is not an earlier sample")
if s["preread"] >= s["read"] or s["preread"].startswith("0001"):
    bad.append("preread %s read %s" % (s["preread"], s["read"]))
m = s["memory_stats"]
if not m.get("usage") or not m.get("limit") or "total_inactive_file" not in m.get("stats", {}) and "inactive_file" not in m.get("stats", {}):
    bad.append("memory_stats %s" % list(m))
if not isinstance(s["blkio_stats"].get("io_service_bytes_recursive"), list):
    bad.append("blkio %s" % s["blkio_stats"])
if s["name"] != "/mem" or len(s["id"]) != 64 or "networks" in s:
    bad.append("name/id/networks")
print("; ".join(bad) if bad else "ok")
EOF
)
assert_eq "stats stream=0: Docker's shape, pids.current, precpu a second before" "$OUT" ok

req GET "/containers/mem/stats?stream=0&one-shot=1"
OUT=$(printf '%s' "$BODY" | python3 -c 'import json, sys
s = json.load(sys.stdin)
print(s["preread"], "system_cpu_usage" in s["precpu_stats"], bool(s["memory_stats"].get("usage")))')
assert_eq "stats one-shot: at once, no precpu" "$OUT" "0001-01-01T00:00:00Z False True"

req GET "/containers/mem/stats?stream=1&one-shot=1"
assert_json_error "stats stream=1 one-shot=1 is a 400" 400 \
    '^cannot have stream=true and one-shot=true$'

N=$(curl -sN --max-time 2.5 --unix-socket "$B_SOCK" \
    "http://localhost/containers/busy/stats?stream=1" | grep -c '"cpu_stats"')
if [ "$N" -ge 2 ]; then
	pass "stats stream=1: one object a second ($N in 2.5 s)"
else
	fail "stats stream=1: one object a second" "$N objects in 2.5 s"
fi

check "a stopped container" dk create --name stopped busybox true
req GET "/containers/stopped/stats?stream=0"
OUT=$(printf '%s' "$BODY" | python3 -c 'import json, sys
s = json.load(sys.stdin)
print(s["read"], s["name"], s["memory_stats"], s["pids_stats"],
    s["cpu_stats"]["cpu_usage"]["total_usage"],
    s["blkio_stats"]["io_service_bytes_recursive"])')
assert_eq "stats of a stopped container: dockerd's empty answer" "$OUT" \
    "0001-01-01T00:00:00Z /stopped {} {} 0 None"
OUT=$(dk stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' stopped 2>&1)
assert_eq "docker stats --no-stream of a stopped container: zeros" "$OUT" \
    "stopped 0.00% 0B / 0B"
req GET "/containers/nosuch/stats?stream=0"
assert_json_error "stats of no such container is a 404" 404 '^No such container: nosuch$'

# --- docker update ------------------------------------------------------------

T0=$(date +%s)
check "a container to update (-m 32m)" dk run -d --name up -m 32m busybox sleep 300
UPID=$(dk inspect -f '{{.Id}}' up)
check "docker update --memory 64m" dk update --memory 64m up
assert_eq "update --memory: the cgroup's memory.limit_in_bytes" \
    "$(cat "$(cgdir up memory)/memory.limit_in_bytes" 2>&1)" 67108864
assert_eq "update --memory: inspect shows it" \
    "$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' up)" \
    "67108864 67108864"
check "docker update --cpus 0.5" dk update --cpus 0.5 up
assert_eq "update --cpus: cpu.cfs_quota_us and cfs_period_us" \
    "$(cat "$(cgdir up cpu)/cpu.cfs_quota_us" "$(cgdir up cpu)/cpu.cfs_period_us" | tr '\n' ' ')" \
    "50000 100000 "
check "docker update --pids-limit 50 --cpu-shares 512 --cpuset-cpus 0" \
    dk update --pids-limit 50 --cpu-shares 512 --cpuset-cpus 0 up
assert_eq "update: pids.max, cpu.shares, cpuset.cpus" \
    "$(cat "$(cgdir up pids)/pids.max" "$(cgdir up cpu)/cpu.shares" "$(cgdir up cpuset)/cpuset.cpus" | tr '\n' ' ')" \
    "50 512 0 "
assert_eq "update: inspect shows every field" \
    "$(dk inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}}' up)" \
    "500000000 50 512 0"
req GET "/containers/up/stats?stream=0&one-shot=1"
assert_eq "stats after update: memory limit and pids limit" \
    "$(printf '%s' "$BODY" | python3 -c 'import json, sys
s = json.load(sys.stdin); print(s["memory_stats"]["limit"], s["pids_stats"]["limit"])')" \
    "67108864 50"

OUT=$(dk update --memory 100m up 2>&1)
assert_eq "update --memory above the swap limit: dockerd's 409 (exit 1)" \
    "$?: $OUT" "1: Error response from daemon: Cannot update container $UPID: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
OUT=$(dk update --memory 1m up 2>&1)
assert_eq "update --memory 1m: dockerd's error (exit 1)" "$?: $OUT" \
    "1: Error response from daemon: Minimum memory limit allowed is 6MB"
NCPU=$(nproc)
OUT=$(dk update --cpus 99 up 2>&1)
assert_eq "update --cpus 99: dockerd's error" "$?: $OUT" \
    "1: Error response from daemon: Range of CPUs is from 0.01 to $NCPU.00, as there are only $NCPU CPUs available"
OUT=$(dk update --cpu-period 100 up 2>&1)
assert_eq "update --cpu-period 100: dockerd's error" "$?: $OUT" \
    "1: Error response from daemon: CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"
OUT=$(dk update --cpu-quota 50000 up 2>&1)
assert_eq "update --cpu-quota after --cpus: dockerd's conflict" "$?: $OUT" \
    "1: Error response from daemon: Cannot update container $UPID: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set"
OUT=$(dk update --cpuset-cpus 64 up 2>&1)
assert_match "update --cpuset-cpus 64: not available" "$?: $OUT" \
    '^1: Error response from daemon: Requested CPUs are not available - requested 64, available: '
req POST /containers/up/update -H 'Content-Type: application/json' \
    -d '{"RestartPolicy":{"Name":"sometimes"}}'
assert_json_error "update with an unknown restart policy is a 400" 400 \
    "^invalid restart policy 'sometimes'$"
assert_eq "a refused update changes nothing" \
    "$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}' up)" \
    "67108864 no"
req POST /containers/up/update -H 'Content-Type: application/json' \
    -d '{"CpuShares":600}'
assert_eq "update answers {\"Warnings\":null}" "$STATUS $BODY" \
    '200 {"Warnings":null}'

if [ -d /sys/fs/cgroup/blkio ] && [ ! -e /sys/fs/cgroup/blkio/blkio.weight ] &&
    [ ! -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
	OUT=$(dk update --blkio-weight 300 up 2>&1)
	assert_eq "update --blkio-weight without CFQ/BFQ: dockerd's warning, dropped" \
	    "$?: $OUT $(dk inspect -f '{{.HostConfig.BlkioWeight}}' up)" \
	    "0: up
Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded. 0"
fi

check "a paused container" dk pause up
check "docker update --cpu-shares 256 of a paused container" \
    dk update --cpu-shares 256 up
assert_eq "update of a paused container reaches cpu.shares" \
    "$(cat "$(cgdir up cpu)/cpu.shares")" 256
check "unpause" dk unpause up

check "a created container" dk create --name upst busybox sleep 300
check "docker update --memory 48m --memory-swap 96m of a created container" \
    dk update --memory 48m --memory-swap 96m upst
check "start it" dk start upst
assert_eq "the limit stored by update applies at start" \
    "$(cat "$(cgdir upst memory)/memory.limit_in_bytes")" 50331648

# An update that lands while the start builds the spec still applies.
check "a container to start and update at once" dk create --name upra busybox sleep 300
curl -s --unix-socket "$B_SOCK" -X POST http://localhost/containers/upra/start &
SP=$!
check "docker update --memory 40m --memory-swap 80m during its start" \
    dk update --memory 40m --memory-swap 80m upra
wait "$SP"
assert_eq "an update during the start reaches the cgroup" \
    "$(cat "$(cgdir upra memory)/memory.limit_in_bytes")" 41943040

check "an --rm container" dk run -d --rm --name rmc busybox sleep 300
RMID=$(dk inspect -f '{{.Id}}' rmc)
OUT=$(dk update --restart=always rmc 2>&1)
assert_eq "update --restart of an AutoRemove container: dockerd's refusal" "$?: $OUT" \
    "1: Error response from daemon: Cannot update container $RMID: Restart policy cannot be updated because AutoRemove is enabled for the container"
req POST /containers/rmc/update -H 'Content-Type: application/json' \
    -d '{"RestartPolicy":{"Name":"always"}}'
assert_eq "... a 409" "$STATUS" 409

check "docker update --restart=always of a running container" \
    dk update --restart=always up
P1=$(dk inspect -f '{{.State.Pid}}' up)
kill -KILL "$P1"
came_back()
{
	set -- $(dk inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.Pid}}' up)
	[ "$1" = running ] && [ "$2" = 1 ] && [ "$3" != "$P1" ] && [ "$3" != 0 ]
}
if wait_for 5 came_back; then
	pass "update --restart=always: the killed process comes back"
else
	fail "update --restart=always: the killed process comes back" \
	    "$(dk inspect -f '{{.State.Status}} {{.RestartCount}}' up)"
fi
assert_eq "the restarted container keeps the updated limit" \
    "$(cat "$(cgdir up memory)/memory.limit_in_bytes" 2>&1)" 67108864
OUT=$(dk events --since "$T0" --until "$(( $(date +%s) + 1 ))" \
    --filter event=update --format '{{.Actor.Attributes.name}}' 2>&1 | sort -u | tr '\n' ' ')
assert_eq "update events (the refused ones have none)" "$OUT" "up upra upst "

# --- exec inspect's Pid ---------------------------------------------------------

req POST /containers/up/exec -H 'Content-Type: application/json' \
    -d '{"Cmd":["sleep","30"]}'
EXID=$(json_field "$BODY" Id)
req POST "/exec/$EXID/start" -H 'Content-Type: application/json' \
    -d '{"Detach":true}'
req GET "/exec/$EXID/json"
EPID=$(json_field "$BODY" Pid)
if [ -n "$EPID" ] && [ "$EPID" -gt 0 ] 2>/dev/null &&
    [ "$(grep ':memory:' "/proc/$EPID/cgroup")" = \
      "$(grep ':memory:' "/proc/$(dk inspect -f '{{.State.Pid}}' up)/cgroup")" ]; then
	pass "exec inspect: Pid is the exec's, in the container's cgroup ($EPID)"
else
	fail "exec inspect: Pid is the exec's, in the container's cgroup" "$BODY"
fi
assert_eq "exec inspect: Running" "$(json_field "$BODY" Running)" True

# --- berthd restart -------------------------------------------------------------

berth_stop
berth_exec
if wait_ping "$B_SOCK" 10; then
	pass "berthd comes back"
else
	fail "berthd comes back" "$(tail -n 15 "$B_LOG")"
fi
assert_eq "update persists across a berthd restart" \
    "$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}' up)" \
    "67108864 500000000 50 always"
OUT=$(dk stats --no-stream --format '{{.Name}} {{.MemUsage}}' up 2>&1)
assert_match "docker stats after a berthd restart" "$OUT" '^up [0-9.]+[KM]iB / 64MiB$'
