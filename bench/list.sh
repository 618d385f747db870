#!/bin/bash
# list.sh - GET /containers/json?all=1 with 0, 10 and 50 containers
# (requests per second from one keep-alive client, and its p50), and
# the time from exec to the first answered /_ping with every default
# module (conf/engine.yaml); then the same through a reference dockerd
# (REF_HOST, or one started by ref-dockerd.sh when dockerd is
# installed), and the ratios.  A benchmark, never a test.
#
#	bench/list.sh
#	SECS=5 bench/list.sh
#
# Environment:
#	SECS	seconds per measurement (default 3)
#	BUILD	build directory (default build)

set -uo pipefail

. "$(dirname "$0")/lib.sh"
bench_init list
SECS=${SECS:-3}
. tests/integration/busybox.sh
busybox_tarball "$tmp/busybox.tar" || die "no busybox"

# rate SOCKET|HOST PATH - "req/s p50_us" over one keep-alive connection.
rate()
{
	python3 - "$1" "$2" "$SECS" <<'PY'
import http.client, socket, sys, time
target, path, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])

class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(target)

c = Unix("x") if target.startswith("/") else \
    http.client.HTTPConnection(target.replace("tcp://", ""))
lat, end = [], time.monotonic() + secs
while time.monotonic() < end:
    t = time.monotonic()
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    lat.append(time.monotonic() - t)
lat.sort()
print("%.0f %.0f" % (len(lat) / secs, lat[len(lat) // 2] * 1e6))
PY
}

# fill D N - N containers in all (created, never started).
fill()
{
	local have

	have=$("$DOCKER" -H "$1" ps -aq | wc -l)
	while [ "$have" -lt "$2" ]; do
		"$DOCKER" -H "$1" create bench:base true >/dev/null ||
		    die "create on $1"
		have=$((have + 1))
	done
}

# The start-up: exec to the first answered /_ping, all default modules.
t0=$(date +%s%N)
"$BUILD/berthd" --config-file conf/engine.yaml -H "unix://$tmp/berth.sock" \
    --data-root "$tmp/data" --exec-root "$tmp/exec" \
    --pidfile "$tmp/berthd.pid" --module-dir "$BUILD/modules" \
    >"$tmp/berthd.log" 2>&1 &
berthd_pid=$!
until curl -sf -o /dev/null --unix-socket "$tmp/berth.sock" \
    http://x/_ping 2>/dev/null; do
	kill -0 "$berthd_pid" 2>/dev/null || die "berthd exited"
done
START_MS=$(ms_since "$t0")
bk import - bench:base <"$tmp/busybox.tar" >/dev/null || die "import"

declare -A B R
for n in 0 10 50; do
	fill "unix://$tmp/berth.sock" "$n"
	B[$n]=$(rate "$tmp/berth.sock" "/v1.41/containers/json?all=1")
done
if ref_start 2>/dev/null && [ -n "${REF_HOST:-}" ]; then
	"$DOCKER" -H "$REF_HOST" import - bench:base <"$tmp/busybox.tar" \
	    >/dev/null || die "import on the reference"
	for n in 0 10 50; do
		fill "$REF_HOST" "$n"
		R[$n]=$(rate "$REF_HOST" "/v1.41/containers/json?all=1")
	done
fi

printf '%-28s %12s %12s %8s\n' measure berthd "${REF_NAME:-dockerd}" ratio
printf '%-28s %12s %12s %8s\n' "start-up to /_ping (ms)" "$START_MS" - -
for n in 0 10 50; do
	read -r br bp <<<"${B[$n]}"
	rr=- rp=- ratio=-
	if [ -n "${R[$n]:-}" ]; then
		read -r rr rp <<<"${R[$n]}"
		ratio=$(awk -v a="$br" -v b="$rr" 'BEGIN { printf "%.1fx", a / b }')
	fi
	printf '%-28s %12s %12s %8s\n' "containers/json, $n (req/s)" "$br" \
	    "$rr" "$ratio"
	printf '%-28s %12s %12s %8s\n' "  p50 (us)" "$bp" "$rp" -
done
