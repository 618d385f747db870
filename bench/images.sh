#!/bin/bash
# images.sh - docker import, load, save, push and pull of a large
# multi-layer image through berthd: wall time, berthd's peak RSS (VmHWM)
# during each, and /_ping's latency while the load streams in and while
# the pull runs; push and pull go to a docker-registry started on a
# loopback port.  Then the same through a reference dockerd (REF_HOST,
# or one started by ref-dockerd.sh when dockerd is installed) and the
# ratios.
# A benchmark, never a test: `make test` does not run it.
#
#	bench/images.sh
#	SIZE_MB=1024 LAYERS=8 bench/images.sh
#	REF_HOST=tcp://127.0.0.1:2375 bench/images.sh
#
# Environment:
#	SIZE_MB		image size in MiB of random (incompressible) data
#			(default 200)
#	LAYERS		number of layers (default 4)
#	BUILD		build directory (default build)

# The b_* and r_* figures are read back by name (${!b}) for the ratios.
# shellcheck disable=SC2034
set -uo pipefail

. "$(dirname "$0")/lib.sh"
bench_init images
SIZE_MB=${SIZE_MB:-200}
LAYERS=${LAYERS:-4}
[ -f "$BUILD/modules/images.so" ] || die "no images module in $BUILD"

# --- the image: LAYERS layers of random files, Docker's save format ------

echo "# generating a ${SIZE_MB} MiB image in $LAYERS layers..."
python3 - "$tmp" "$SIZE_MB" "$LAYERS" <<'EOF' || die "cannot make the image"
import hashlib, io, json, os, sys, tarfile
out, size_mb, nlayers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per = (size_mb << 20) // nlayers
diffs, paths = [], []
rootfs = tarfile.open(os.path.join(out, "rootfs.tar"), "w")
for i in range(nlayers):
    lpath = os.path.join(out, "layer%d.tar" % i)
    h = hashlib.sha256()
    with tarfile.open(lpath, "w") as tf:
        left, n = per, 0
        while left > 0:
            chunk = min(left, 8 << 20)
            data = os.urandom(chunk)
            ti = tarfile.TarInfo("layer%d/file%03d" % (i, n))
            ti.size = chunk
            tf.addfile(ti, io.BytesIO(data))
            ti2 = tarfile.TarInfo("layer%d/file%03d" % (i, n))
            ti2.size = chunk
            rootfs.addfile(ti2, io.BytesIO(data))
            left -= chunk
            n += 1
    with open(lpath, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    diffs.append("sha256:" + h.hexdigest())
    paths.append(lpath)
rootfs.close()
cfg = json.dumps({"architecture": "amd64", "os": "linux",
    "config": {"Cmd": ["/bin/sh"]}, "created": "2024-01-01T00:00:00Z",
    "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
with tarfile.open(os.path.join(out, "image.tar"), "w") as tf:
    layers = []
    for i, p in enumerate(paths):
        name = "%064x/layer.tar" % (i + 1)
        tf.add(p, arcname=name)
        layers.append(name)
        os.unlink(p)
    ti = tarfile.TarInfo("config.json")
    ti.size = len(cfg)
    tf.addfile(ti, io.BytesIO(cfg))
    m = json.dumps([{"Config": "config.json", "RepoTags": ["bench:load"],
        "Layers": layers}]).encode()
    ti = tarfile.TarInfo("manifest.json")
    ti.size = len(m)
    tf.addfile(ti, io.BytesIO(m))
EOF
sync
echo "# image.tar $(du -m "$tmp/image.tar" | cut -f1) MiB, rootfs.tar $(du -m "$tmp/rootfs.tar" | cut -f1) MiB, $(nproc) CPUs"

bench_berthd images

# --- measuring ---------------------------------------------------------------

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# timed NAME PID CMD... - wall ms of CMD, and PID's peak RSS meanwhile.
timed()
{
	local name=$1 pid=$2 t0 t1

	shift 2
	[ -n "$pid" ] && hwm_reset "$pid"
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "$name: failed: $*" >&2; MS=0; return 1; }
	t1=$(date +%s%N)
	MS=$(( (t1 - t0) / 1000000 ))
	HWM=$([ -n "$pid" ] && hwm_kb "$pid" || echo 0)
	printf '%-40s %8d ms   peak RSS %7d KiB\n' "$name" "$MS" "$HWM"
}

# pings_during SOCK PID - /_ping latencies (ms) until PID exits.
pings_during()
{
	local sock=$1 pid=$2

	while kill -0 "$pid" 2>/dev/null; do
		curl -s -o /dev/null -w '%{time_total}\n' --unix-socket "$sock" \
		    http://localhost/_ping
		sleep 0.02
	done | awk '{ printf "%.3f\n", $1 * 1000 }' | sort -n |
	    awk '{ v[NR] = $1; s += $1 } END { if (NR == 0) { print "no pings"; exit }
	    i = int(NR * 0.99); if (i < 1) i = 1
	    printf "%d pings: median %.2f ms, p99 %.2f ms, max %.2f ms\n", NR,
	    v[int((NR + 1) / 2)], v[i], v[NR] }'
}

echo "# berthd ($BUILD), idle RSS $(rss_kb "$berthd_pid") KiB"
timed "docker import (${SIZE_MB} MiB, 1 layer)" "$berthd_pid" \
    bk import "$tmp/rootfs.tar" bench:import
b_import=$MS b_import_hwm=$HWM
bk rmi bench:import >/dev/null

hwm_reset "$berthd_pid"
t0=$(date +%s%N)
bk load -i "$tmp/image.tar" >/dev/null 2>&1 &
lpid=$!
PINGS=$(pings_during "$tmp/berth.sock" "$lpid")
wait "$lpid" || die "docker load failed"
b_load=$(( ($(date +%s%N) - t0) / 1000000 ))
b_load_hwm=$(hwm_kb "$berthd_pid")
printf '%-40s %8d ms   peak RSS %7d KiB\n' "docker load (${SIZE_MB} MiB, $LAYERS layers)" \
    "$b_load" "$b_load_hwm"
echo "  /_ping during the load: $PINGS"
timed "docker save -o (${SIZE_MB} MiB)" "$berthd_pid" \
    bk save -o "$tmp/saved.tar" bench:load
b_save=$MS

# Push and pull through a registry of our own on loopback.
REG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG=127.0.0.1:$REG_PORT
mkdir -p "$tmp/registry"
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n' \
    "$tmp/registry" "$REG" >"$tmp/registry.yml"
command -v docker-registry >/dev/null || die "docker-registry is not installed (make deps)"
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
reg_pid=$!
trap 'kill $reg_pid 2>/dev/null; bench_cleanup' EXIT
for _ in $(seq 1 50); do
	curl -s -o /dev/null "http://$REG/v2/" && break
	sleep 0.1
done
bk tag bench:load "$REG/bench/load:1" >/dev/null
timed "docker push (${SIZE_MB} MiB, $LAYERS layers)" "$berthd_pid" \
    bk push "$REG/bench/load:1"
b_push=$MS b_push_hwm=$HWM
bk rmi "$REG/bench/load:1" bench:load >/dev/null 2>&1
hwm_reset "$berthd_pid"
t0=$(date +%s%N)
bk pull "$REG/bench/load:1" >/dev/null 2>&1 &
lpid=$!
PINGS=$(pings_during "$tmp/berth.sock" "$lpid")
wait "$lpid" || die "docker pull failed"
b_pull=$(( ($(date +%s%N) - t0) / 1000000 ))
b_pull_hwm=$(hwm_kb "$berthd_pid")
printf '%-40s %8d ms   peak RSS %7d KiB\n' "docker pull (${SIZE_MB} MiB, $LAYERS layers)" \
    "$b_pull" "$b_pull_hwm"
echo "  /_ping during the pull: $PINGS"
echo "  berthd RSS after: $(rss_kb "$berthd_pid") KiB"

ref_start
if [ -n "${REF_HOST:-}" ]; then
	rk() { "$DOCKER" -H "$REF_HOST" "$@"; }
	rpid=${REF_PID:-}
	echo "# reference dockerd ($REF_HOST)"
	rk rmi -f bench:import bench:load >/dev/null 2>&1
	timed "docker import (${SIZE_MB} MiB, 1 layer)" "$rpid" \
	    rk import "$tmp/rootfs.tar" bench:import
	r_import=$MS r_import_hwm=$HWM
	timed "docker load (${SIZE_MB} MiB, $LAYERS layers)" "$rpid" \
	    rk load -i "$tmp/image.tar"
	r_load=$MS r_load_hwm=$HWM
	timed "docker save -o (${SIZE_MB} MiB)" "$rpid" \
	    rk save -o "$tmp/ref-saved.tar" bench:load
	r_save=$MS
	rk tag bench:load "$REG/ref/load:1" >/dev/null
	timed "docker push (${SIZE_MB} MiB, $LAYERS layers)" "$rpid" \
	    rk push "$REG/ref/load:1"
	r_push=$MS r_push_hwm=$HWM
	rk rmi -f "$REG/ref/load:1" bench:load >/dev/null 2>&1
	timed "docker pull (${SIZE_MB} MiB, $LAYERS layers)" "$rpid" \
	    rk pull "$REG/ref/load:1"
	r_pull=$MS r_pull_hwm=$HWM
	rk rmi -f bench:import bench:load "$REG/ref/load:1" >/dev/null 2>&1
	echo "# ratios (berthd / dockerd; below 1 is better)"
	for x in import load save push pull; do
		b=b_$x r=r_$x
		[ "${!r}" -gt 0 ] && printf '%-40s %8.2f x\n' "$x time" \
		    "$(echo "${!b} / ${!r}" | bc -l)"
	done
	if [ -n "$rpid" ]; then
		printf '%-40s %8.2f x\n' "import peak RSS" \
		    "$(echo "$b_import_hwm / $r_import_hwm" | bc -l)"
		printf '%-40s %8.2f x\n' "load peak RSS" \
		    "$(echo "$b_load_hwm / $r_load_hwm" | bc -l)"
		printf '%-40s %8.2f x\n' "push peak RSS" \
		    "$(echo "$b_push_hwm / $r_push_hwm" | bc -l)"
		printf '%-40s %8.2f x\n' "pull peak RSS" \
		    "$(echo "$b_pull_hwm / $r_pull_hwm" | bc -l)"
	fi
else
	echo "# no reference dockerd (set REF_HOST, or install dockerd)"
fi
