#!/bin/bash
# t_stats.sh - docker stats, docker update and exec inspect's Pid through
# the real docker CLI and curl, checked against the cgroup files the
# kernel keeps for the container (cgroup v1 here; v2 where the host has
# it).
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
if [ "$USE_IMPORT" = 1 ]; then
	check "docker import a busybox root filesystem as busybox" \
	    sh -c "tar -C '$ROOTFS' -cf - . | $DOCKER -H unix://$B_SOCK import - busybox"
fi

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
