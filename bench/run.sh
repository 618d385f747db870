#!/bin/bash
# run.sh - `docker run --rm busybox true` latency through berthd, through
# a reference dockerd (REF_HOST, or one started by ref-dockerd.sh when
# dockerd is installed), and bare `crun run` on the bundle berthd writes
# for the same container; the CLI's own start-up; the ratios; and the
# memory a running container costs (its berth-monitor's RSS); and the
# cost of the default bridge network (veth, netns, addresses) next to
# --network none, for berthd and for the reference, side by side.
# A benchmark, never a test: `make test` does not run it.
#
#	bench/run.sh
#	RUNS=50 bench/run.sh
#	REF_HOST=tcp://127.0.0.1:2375 bench/run.sh
#
# Environment:
#	RUNS		runs per measurement (default 20, at least 20)
#	BUILD		build directory (default build)
#	RUNTIMES	berth runtimes to time (default "runc crun")
#	IDLE		running containers for the memory figure (default 5)
#	PAUSE_MS	quiet time before every timed run (default 100): each
#			run, berth's, bare crun's and dockerd's alike, starts
#			as a user's single `docker run` would, with nothing
#			left running from the one before and no kernel state
#			still warm from it (cgroup v1's attach waits for an
#			RCU grace period unless another attach just did)

set -uo pipefail

. "$(dirname "$0")/lib.sh"
bench_init run
RUNS=${RUNS:-20}
[ "$RUNS" -ge 20 ] || RUNS=20
RUNTIMES=${RUNTIMES:-runc crun}
IDLE=${IDLE:-5}
PAUSE_MS=${PAUSE_MS:-100}
[ -f "$BUILD/modules/images.so" ] || die "no images module in $BUILD"

# The busybox root filesystem the integration tests use.
. tests/integration/busybox.sh
rootfs=$tmp/rootfs
busybox_rootfs "$rootfs" || die "no busybox"
tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$tmp/busybox.tar" .

# crun 1.8 and a hybrid cgroup layout: the operator's fix (see t_containers).
if [ -r /sys/fs/cgroup/unified/cgroup.controllers ]; then
	for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
		mountpoint -q "/sys/fs/cgroup/$c" && continue
		mkdir -p "/sys/fs/cgroup/$c" && \
		    mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
	done
fi

bench_berthd images runtime-oci net-bridge networks containers
bk import "$tmp/busybox.tar" busybox >/dev/null || die "docker import failed"
sleep 0.5
idle_rss=$(ps -o rss= -p "$berthd_pid")

# time_us CMD... - microseconds of one run of CMD (which must succeed).
time_us()
{
	local t0 t1

	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || return 1
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 ))
}

# median_of NAME CMD... - warm up, then RUNS runs; prints the median
# in ms with one decimal and sets MED (in µs).
median_of()
{
	local name=$1 us all=()

	shift
	for _ in 1 2 3; do "$@" >/dev/null 2>&1; done
	for _ in $(seq 1 "$RUNS"); do
		sleep "$(echo "$PAUSE_MS / 1000" | bc -l)"
		us=$(time_us "$@") || { echo "$name: a run failed: $*" >&2; MED=0; return 1; }
		all+=("$us")
	done
	MED=$(printf '%s\n' "${all[@]}" | sort -n |
	    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
	    else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
	printf '%-44s %8.1f ms  (median of %d)\n' "$name" \
	    "$(echo "$MED / 1000" | bc -l)" "$RUNS"
}

echo "# docker run --rm busybox true, $(nproc) CPUs, $RUNS runs each, ${PAUSE_MS} ms apart"
median_of "docker CLI start-up (docker --version)" "$DOCKER" --version
cli=$MED
declare -A berth
for rt in $RUNTIMES; do
	median_of "berthd, --runtime=$rt" bk run --rm --runtime="$rt" busybox true
	berth[$rt]=$MED
done
median_of "berthd, --network none" bk run --rm --network none busybox true
bnone=$MED
median_of "berthd, default bridge" bk run --rm busybox true
bbridge=$MED

# Bare crun on the bundle berthd wrote for an equivalent container.
cid=$(bk run -d busybox sleep 1000) || die "docker run -d failed"
bundle=$tmp/bundle
mkdir -p "$bundle"
python3 - "$tmp/exec/containers/$cid/config.json" "$bundle/config.json" \
    "$rootfs" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"] = {"path": sys.argv[3], "readonly": True}
c["process"]["args"] = ["true"]
c["process"]["terminal"] = False
json.dump(c, open(sys.argv[2], "w"))
EOF
n=0
crun_once()
{
	n=$((n + 1))
	sed -i "s|\"cgroupsPath\": *\"[^\"]*\"|\"cgroupsPath\": \"/berth-bench/$n\"|" \
	    "$bundle/config.json"
	crun --root "$tmp/crun" run --bundle "$bundle" "bench-$$-$n" </dev/null
}
median_of "bare crun run (berthd's bundle, seccomp on)" crun_once
crun=$MED
crun --root "$tmp/crun" list -q 2>/dev/null | while read -r c; do
	crun --root "$tmp/crun" delete -f "$c" >/dev/null 2>&1
done
bk rm -f "$cid" >/dev/null

ref=0
rnone=0
ref_start
if [ -n "${REF_HOST:-}" ]; then
	rk() { "$DOCKER" -H "$REF_HOST" "$@"; }
	if rk image inspect busybox >/dev/null 2>&1 ||
	    rk import "$tmp/busybox.tar" busybox >/dev/null; then
		median_of "reference dockerd ($REF_HOST)" rk run --rm busybox true
		ref=$MED
		median_of "reference dockerd, --network none" rk run --rm \
		    --network none busybox true
		rnone=$MED
	fi
fi

echo "# ratios"
for rt in $RUNTIMES; do
	b=${berth[$rt]}
	[ "$b" -gt 0 ] || continue
	printf '%-44s %8.2f x  (target <= 1.5)\n' \
	    "berthd/$rt over (CLI start-up + bare crun)" \
	    "$(echo "$b / ($cli + $crun)" | bc -l)"
	[ "$ref" -gt 0 ] && printf '%-44s %8.2f x  (target <= 0.15)\n' \
	    "berthd/$rt over dockerd" "$(echo "$b / $ref" | bc -l)"
done

echo "# the default bridge's cost over --network none"
printf '%-44s %8.1f ms  (target < 10)\n' "berthd" \
    "$(echo "($bbridge - $bnone) / 1000" | bc -l)"
[ "$ref" -gt 0 ] && printf '%-44s %8.1f ms\n' "reference dockerd" \
    "$(echo "($ref - $rnone) / 1000" | bc -l)"

echo "# memory with $IDLE idle containers (sleep)"
for _ in $(seq 1 "$IDLE"); do
	bk run -d busybox sleep 1000 >/dev/null || die "docker run -d failed"
done
# Only the monitors of this berthd (their command line names its root).
ps -o rss=,args= -C berth-monitor | grep -F "$tmp/" | awk '{ s += $1; c++ }
    END { printf "%-44s %8.0f KiB  (%d monitors, avg)\n",
    "berth-monitor RSS per container", c ? s / c : 0, c }'
ps -o rss= -p "$berthd_pid" | awk '{ printf "%-44s %8.0f KiB\n",
    "berthd RSS", $1 }'
printf '%-44s %8.0f KiB  (target < 8192)\n' \
    "berthd RSS idle, networks modules loaded" "$idle_rss"
