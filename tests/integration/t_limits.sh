#!/bin/bash
# t_limits.sh - hostile or careless clients: huge headers and bodies,
# idle half-open connections, garbage; the daemon answers and survives.
. "$(dirname "$0")/lib.sh"

berth_start 'log-level: info' || exit 1
MB100=$((100 * 1024 * 1024))

# status_of OUTPUT - the status code of rawhttp.py's printed response.
status_of()
{
	printf '%s\n' "$1" | head -n 1 | awk '/^HTTP\// { print $2; exit }
	    { print "none" }'
}

ping_ok()
{
	[ "$(curl -s --max-time 1 --unix-socket "$B_SOCK" \
	    http://localhost/_ping)" = OK ]
}

out=$($RAWHTTP big-header "$B_SOCK" "$MB100" 2>/dev/null)
assert_eq "100 MB header: 431" "$(status_of "$out")" 431
check "after 100 MB header: /_ping answers" ping_ok

out=$($RAWHTTP big-body "$B_SOCK" /v1.41/nope "$MB100" 2>/dev/null)
assert_eq "100 MB body (Content-Length) to unknown path: 413" \
    "$(status_of "$out")" 413
assert_contains "413 is a JSON error" "$out" '{"message":'
check "after 100 MB body: /_ping answers" ping_ok

out=$($RAWHTTP big-body "$B_SOCK" /v1.41/nope "$MB100" chunked 2>/dev/null)
assert_eq "100 MB chunked body: 413" "$(status_of "$out")" 413
check "after chunked 100 MB body: /_ping answers" ping_ok

out=$($RAWHTTP big-body "$B_SOCK" /_ping "$MB100" 2>/dev/null)
assert_eq "100 MB body to a real route: 413" "$(status_of "$out")" 413

# --- 1000 half-open connections ------------------------------------

$RAWHTTP hold "$B_SOCK" 1000 "$T_TMP/held" &
holder=$!
track_pid $holder
if wait_for 15 test -s "$T_TMP/held"; then
	t=$(curl -s --max-time 1 --unix-socket "$B_SOCK" -o /dev/null \
	    -w '%{http_code} %{time_total}' http://localhost/_ping)
	assert_match "1000 half-open connections: /_ping within 1 s" \
	    "$t" '^200 0\.'
	fds=$(ls "/proc/$B_PID/fd" | wc -l)
	assert_match "1000 half-open connections all accepted ($fds fds)" \
	    "$fds" '^(1[0-9]{3}|[2-9][0-9]{3})$'
else
	fail "1000 half-open connections: holder never got them open"
fi
kill -TERM $holder 2>/dev/null
wait $holder 2>/dev/null
few_fds()
{
	[ "$(ls "/proc/$B_PID/fd" | wc -l)" -lt 100 ]
}
check "closed connections are released" wait_for 5 few_fds
check "after half-open connections: /_ping answers" ping_ok

# --- garbage and keep-alive ----------------------------------------

out=$(printf 'GARBAGE\r\n\r\n' | $RAWHTTP raw "$B_SOCK" 2>/dev/null)
assert_eq "malformed request line: 400" "$(status_of "$out")" 400
out=$(printf 'GET /_ping HTTP/1.1 junk\r\n\r\n' | $RAWHTTP raw "$B_SOCK" 2>/dev/null)
assert_eq "request line with junk version: 400" "$(status_of "$out")" 400
out=$(printf 'GET /_ping HTTP/1.1\r\nBad Header\r\n\r\n' | $RAWHTTP raw "$B_SOCK" 2>/dev/null)
assert_eq "header without a colon: 400" "$(status_of "$out")" 400
check "after garbage: /_ping answers" ping_ok

# curl reports 0 new connects for a request that reused one.
out=$(curl -s --max-time 5 --unix-socket "$B_SOCK" \
    -w '%{http_code} %{num_connects}\n' -o /dev/null -o /dev/null \
    http://localhost/_ping http://localhost/v1.41/version)
assert_match "keep-alive: two requests on one connection" \
    "$(printf '%s' "$out" | tr '\n' '|')" '^200 1\|200 0$'

# Two pipelined requests in one write are answered in order.
out=$(printf 'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\nGET /v1.41/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    $RAWHTTP raw "$B_SOCK" 2>/dev/null)
assert_match "pipelined requests answered in order" \
    "$(printf '%s' "$out" | grep -ao 'HTTP/1.1 [0-9]*' | awk '{print $2}' | tr '\n' ' ')" \
    '^200 404 $'

berth_stop
assert_eq "still stops cleanly (exit 0)" "$?" 0
