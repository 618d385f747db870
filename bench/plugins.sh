#!/bin/bash
# plugins.sh - what plugin-proxy adds to a volume plugin's calls.
#
# Over one kept-alive connection, through the in-tree local driver and
# through a legacy plugin (tests/plugins/pvold, a small C VolumeDriver on
# a unix socket) behind plugin-proxy, and as the same plugin calls made
# directly on its socket:
#  - N times GET /volumes/{name}: one VolumeDriver.Get per request and
#    no disk write, so the proxy's added latency per call is
#	inspect through the plugin - inspect through local - a direct Get
#  - N times POST /volumes/create then DELETE /volumes/{name}: the whole
#    cycle (Capabilities once, then Create, Path, Remove), for scale;
#    both sides write and fsync the volume's metadata.
#
# With a reference dockerd (REF_HOST, or one ref-dockerd.sh starts when
# Debian's dockerd is installed), the same plugin is measured through it
# in the same run.  A benchmark, never a test: `make test` does not run it.
#
#	bench/plugins.sh
#	N=2000 bench/plugins.sh
#
# Environment:
#	N	create+remove cycles per measure (default 500)
#	BUILD	build directory (default build)

set -uo pipefail

. "$(dirname "$0")/lib.sh"
bench_init plugins
N=${N:-500}
PVOLD=$BUILD/tests/plugins/pvold
[ -x "$PVOLD" ] || make -s "$PVOLD" >/dev/null || die "no $PVOLD"

mkdir -p "$tmp/plugins"
cat >"$tmp/engine.yaml" <<EOF
log-level: warn
modules:
  - name: plugin-proxy
    required: true
    config:
      socket-dir: $tmp/plugins
  - name: volume-local
    required: true
  - name: volumes
    required: true
EOF
"$BUILD/berthd" --config-file "$tmp/engine.yaml" -H "unix://$tmp/berth.sock" \
    --data-root "$tmp/data" --exec-root "$tmp/exec" \
    --pidfile "$tmp/berthd.pid" --module-dir "$BUILD/modules" \
    >"$tmp/berthd.log" 2>&1 &
berthd_pid=$!
"$PVOLD" "$tmp/plugins/pvb.sock" "$tmp/pvdata" 2>/dev/null &
pvold_pid=$!
trap 'kill $pvold_pid 2>/dev/null; bench_cleanup' EXIT
for _ in $(seq 1 100); do
	[ -S "$tmp/berth.sock" ] && [ -S "$tmp/plugins/pvb.sock" ] && break
	sleep 0.05
done

# One client, one connection, N cycles; prints microseconds per cycle.
cat >"$tmp/cycle.py" <<'EOF'
import http.client, json, socket, sys, time

class Unix(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)

def call(c, method, path, body=None):
    c.request(method, path, body=body,
              headers={"Content-Type": "application/json"} if body else {})
    r = c.getresponse()
    r.read()
    if r.status >= 300:
        sys.exit("%s %s: %d" % (method, path, r.status))

mode, sock, n, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = Unix(sock)
if len(sys.argv) > 5:		# inspect: N gets of one volume
    name = "i" + tag
    if mode == "direct":
        call(c, "POST", "/VolumeDriver.Create", json.dumps({"Name": name}))
    else:
        call(c, "POST", "/v1.41/volumes/create",
             json.dumps({"Name": name, "Driver": mode}))
    t = time.perf_counter()
    for i in range(n):
        if mode == "direct":
            c = Unix(sock)
            call(c, "POST", "/VolumeDriver.Get", json.dumps({"Name": name}))
        else:
            call(c, "GET", "/v1.41/volumes/" + name)
    print(int((time.perf_counter() - t) * 1e6 / n))
    sys.exit(0)
for i in range(20):		# warm-up: the plugin found and activated
    call(c, "POST", "/v1.41/volumes/create" if mode != "direct" else
         "/VolumeDriver.Create", json.dumps({"Name": "w%d%s" % (i, tag),
         "Driver": mode}) if mode != "direct" else
         json.dumps({"Name": "w%d%s" % (i, tag)}))
t = time.perf_counter()
for i in range(n):
    name = "v%d%s" % (i, tag)
    if mode == "direct":
        # What berthd sends per cycle; pvold closes each connection.
        for m in ("Create", "Path", "Remove"):
            c = Unix(sock)
            call(c, "POST", "/VolumeDriver." + m, json.dumps({"Name": name}))
    else:
        call(c, "POST", "/v1.41/volumes/create",
             json.dumps({"Name": name, "Driver": mode}))
        call(c, "DELETE", "/v1.41/volumes/" + name)
print(int((time.perf_counter() - t) * 1e6 / n))
EOF

cycle() { python3 "$tmp/cycle.py" "$@" || die "cycle $1 failed"; }

ilocal_us=$(cycle local "$tmp/berth.sock" "$N" l inspect)
iplugin_us=$(cycle pvb "$tmp/berth.sock" "$N" p inspect)
idirect_us=$(cycle direct "$tmp/plugins/pvb.sock" "$N" d inspect)
local_us=$(cycle local "$tmp/berth.sock" "$N" l)
plugin_us=$(cycle pvb "$tmp/berth.sock" "$N" p)
direct_us=$(cycle direct "$tmp/plugins/pvb.sock" "$N" d)
per_call=$(awk -v p="$iplugin_us" -v l="$ilocal_us" -v d="$idirect_us" \
    'BEGIN { printf "%.3f", (p - l - d) / 1000 }')

printf '%-46s %10s\n' "volume inspect, $N requests" "us/request"
printf '%-46s %10d\n' "berthd, local driver" "$ilocal_us"
printf '%-46s %10d\n' "berthd, legacy plugin through plugin-proxy" "$iplugin_us"
printf '%-46s %10d\n' "the plugin's Get, called directly" "$idirect_us"
printf '%-46s %10s\n' "plugin-proxy's added latency per call" "$per_call ms"
printf '%-46s %10s\n' "create+remove, $N cycles" "us/cycle"
printf '%-46s %10d\n' "berthd, local driver" "$local_us"
printf '%-46s %10d\n' "berthd, legacy plugin through plugin-proxy" "$plugin_us"
printf '%-46s %10d\n' "the plugin's own 3 calls, made directly" "$direct_us"
awk -v p="$per_call" 'BEGIN { exit !(p < 0.5) }' &&
    echo "target: < 0.5 ms per call: met" ||
    echo "target: < 0.5 ms per call: NOT met"

ref_start
if [ -n "${REF_SOCK:-}" ]; then
	# dockerd finds legacy plugins only in /run/docker/plugins.
	mkdir -p /run/docker/plugins
	ln -sf "$tmp/plugins/pvb.sock" /run/docker/plugins/pvbref.sock
	iref_us=$(cycle pvbref "$REF_SOCK" "$N" r inspect)
	ref_us=$(cycle pvbref "$REF_SOCK" "$N" r)
	rm -f /run/docker/plugins/pvbref.sock
	printf '%-46s %10d\n' "reference dockerd, inspect through the plugin" "$iref_us"
	printf '%-46s %10d\n' "reference dockerd, create+remove" "$ref_us"
	awk -v b="$iplugin_us" -v r="$iref_us" \
	    'BEGIN { printf "berthd / dockerd, inspect through the plugin: %.2fx\n", b / r }'
	awk -v b="$plugin_us" -v r="$ref_us" \
	    'BEGIN { printf "berthd / dockerd through the plugin: %.2fx\n", b / r }'
else
	echo "no reference dockerd installed: berthd measured alone"
fi
