#!/bin/bash
# t_http.sh - the HTTP layer under what later services need, through the
# http-probe test module: a 1 GB streamed upload that neither grows
# berthd's memory nor stalls /_ping, pipes to and from worker threads,
# chunked streams, hijacked connections, deferred answers.
. "$(dirname "$0")/lib.sh"

berth_start "modules:
  - path: $TEST_MODULE_DIR/http-probe.so
    required: true"

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$B_PID/status"; }

# ASan keeps freed memory in quarantine (256 MB by default), so under it
# the bound checks only that memory is not proportional to the data.
case $BUILD in
*asan*)	RSS_GROWTH=$((512 * 1024)) RSS_MAX=$((768 * 1024)) ;;
*)	RSS_GROWTH=16384 RSS_MAX=65536 ;;
esac

# ping_max FILE - the slowest /_ping (ms) while FILE's writer runs.
ping_while()
{
	local pid=$1 max=0 t

	while kill -0 "$pid" 2>/dev/null; do
		t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 \
		    --unix-socket "$B_SOCK" http://localhost/_ping)
		t=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
		[ "$t" -gt "$max" ] && max=$t
		sleep 0.1
	done
	echo "$max"
}

for route in upload pipe-up; do
	rss0=$(rss)
	head -c 1073741824 /dev/zero | curl -s --unix-socket "$B_SOCK" \
	    -X POST -H 'Content-Type: application/x-tar' -T - \
	    "http://localhost/probe/$route" >"$T_TMP/$route.out" &
	up=$!
	max=$(ping_while "$up")
	wait "$up"
	rss1=$(rss)
	assert_contains "1 GB streamed to $route arrives whole" \
	    "$(cat "$T_TMP/$route.out")" '"bytes":1073741824'
	check "/_ping within 50 ms during the $route upload (max ${max} ms)" \
	    [ "$max" -le 50 ]
	check "RSS stays bounded during the $route upload (${rss0} -> ${rss1} kB)" \
	    [ $((rss1 - rss0)) -lt "$RSS_GROWTH" ]
done

n=$(curl -s --unix-socket "$B_SOCK" "http://localhost/probe/pipe-down?mb=256" | wc -c)
assert_eq "256 MiB streamed from a worker's pipe" "$n" 268435456
out=$(curl -s --max-time 2 --limit-rate 100K --unix-socket "$B_SOCK" \
    "http://localhost/probe/pipe-down?mb=512" -o /dev/null; echo "rc=$?")
check "a slow download can be abandoned ($out)" [ -n "$out" ]
assert_eq "the daemon serves on" \
    "$(curl -s --unix-socket "$B_SOCK" http://localhost/_ping)" OK
check "RSS after an abandoned download stays bounded ($(rss) kB)" \
    [ "$(rss)" -lt "$RSS_MAX" ]

out=$(curl -sN --unix-socket "$B_SOCK" "http://localhost/probe/stream?n=3")
assert_eq "chunked stream delivers each line" "$out" \
    "$(printf '{"line":0}\n{"line":1}\n{"line":2}')"

req POST /probe/json -H 'Content-Type: application/json' -d '{"A":[1,2]}'
assert_eq "JSON body echoed" "$BODY" '{"A":[1,2]}'
req POST /probe/json -H 'Content-Type: text/plain' -d '{"A":1}'
assert_eq "non-JSON Content-Type: 400" "$STATUS" 400
assert_contains "… with Docker's message" "$BODY" \
    "Content-Type specified (text/plain) must be 'application/json'"
req POST /probe/json -H 'Content-Type: application/json' -d '{"A":'
assert_eq "truncated JSON: 400" "$STATUS" 400

out=$(python3 - "$B_SOCK" <<'PY'
import socket, sys, time
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[1])
c.sendall(b"POST /v1.41/probe/hijack HTTP/1.1\r\nHost: x\r\n"
          b"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\nearly")
buf = b""
c.settimeout(5)
while b"early" not in buf:
    buf += c.recv(4096)
c.sendall(b" late")
while b" late" not in buf:
    buf += c.recv(4096)
c.shutdown(socket.SHUT_WR)
while True:
    d = c.recv(4096)
    if not d:
        break
    buf += d
print(buf.split(b"\r\n")[0].decode(), buf.endswith(b"early late"))
PY
)
assert_eq "hijack: 101 UPGRADED, bytes sent with the request and after both echoed" \
    "$out" "HTTP/1.1 101 UPGRADED True"

t0=$(date +%s%N)
curl -s --unix-socket "$B_SOCK" "http://localhost/probe/slow?ms=1000" >/dev/null &
slow=$!
sleep 0.1
req GET /_ping
t1=$(date +%s%N)
check "a deferred answer does not hold up other clients" \
    [ $(( (t1 - t0) / 1000000 )) -lt 800 ]
wait "$slow"

berth_stop
