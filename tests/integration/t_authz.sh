#!/bin/bash
# t_authz.sh - the authorization chain as a client sees it, driven by
# the authz-rules test driver: denials, body inspection whatever the
# framing or spelling, fail-closed errors and timeouts.
. "$(dirname "$0")/lib.sh"

alog=$T_TMP/authz.log
berth_start "log-level: info
authorization-plugins: [rules]
authz-timeout: 2
modules:
$(rules_module 'deny: ["* /version", "body:privileged"]' \
    'fail: /fail-me' 'hang: /hang-me' "log: $alog")" || exit 1

# post_json NAME URI BODY-FILE [curl args...] - POST a JSON body; sets
# STATUS/BODY like req.
post_json()
{
	local uri=$1 file=$2

	shift 2
	req POST "$uri" -H 'Content-Type: application/json' \
	    --data-binary "@$file" "$@"
}

# logged_len URI - the body length the driver logged for URI.
logged_len()
{
	awk -v u="$1" '$2 == u { n = $3 } END { print n }' "$alog"
}

deny_msg="authorization denied by plugin rules: denied by rule"

# --- denial by method and path ---------------------------------------

out=$(dk version 2>&1)
rc=$?
assert_eq "docker version is refused" "$([ $rc -ne 0 ] && echo refused)" refused
assert_contains "docker version shows the driver's denial" "$out" \
    "$deny_msg '* /version'"

req GET /v1.41/version
assert_json_error "GET /version: 403 JSON" 403 "^$deny_msg '\\* /version'\$"

req GET /_ping
assert_eq "/_ping still allowed" "$STATUS $BODY" "200 OK"

# As in Docker, authorization runs before the version check.
req GET /v9.99/info
assert_eq "driver consulted for an unsupported version" \
    "$(logged_len /v9.99/info)" 0

# --- denial by body ---------------------------------------------------

printf '{"Image":"busybox","HostConfig":{"Privileged":true}}' >"$T_TMP/priv.json"
printf '{"Image":"busybox","HostConfig":{"privileged":true}}' >"$T_TMP/lower.json"
printf '{"Image":"busybox","HostConfig":{"\\u0050rivileged":true}}' >"$T_TMP/esc.json"
printf '{"Image":"busybox","HostConfig":{"Memory":0}}' >"$T_TMP/plain.json"

post_json "/v1.41/containers/create?case=plain" "$T_TMP/priv.json"
assert_json_error '"Privileged": true: 403' 403 "^$deny_msg 'body:privileged'\$"

post_json "/v1.41/containers/create?case=chunked" "$T_TMP/priv.json" \
    -H 'Transfer-Encoding: chunked'
assert_json_error '"Privileged": true, chunked: 403' 403 "$deny_msg"
n=$(logged_len "/v1.41/containers/create?case=chunked")
assert_eq "driver saw the de-chunked body ($n bytes)" "${n:-none}" \
    "$(wc -c <"$T_TMP/priv.json")"

post_json "/v1.41/containers/create?case=charset" "$T_TMP/priv.json" \
    -H 'Content-Type: application/json; charset=utf-8'
assert_json_error '"Privileged": true, charset=utf-8: 403' 403 "$deny_msg"
n=$(logged_len "/v1.41/containers/create?case=charset")
assert_eq "driver saw the charset body" "${n:-none}" \
    "$(wc -c <"$T_TMP/priv.json")"

post_json "/v1.41/containers/create?case=chunked-charset" "$T_TMP/priv.json" \
    -H 'Content-Type: Application/JSON; charset=utf-8' \
    -H 'Transfer-Encoding: chunked'
assert_json_error '"Privileged": true, chunked + mixed-case type: 403' 403 \
    "$deny_msg"

post_json "/v1.41/containers/create?case=lower" "$T_TMP/lower.json"
assert_json_error '"privileged": true (lower case): 403' 403 "$deny_msg"

post_json "/v1.41/containers/create?case=escaped" "$T_TMP/esc.json"
assert_json_error '"\u0050rivileged": true (escaped): 403' 403 "$deny_msg"

post_json "/v1.41/containers/create?case=control" "$T_TMP/plain.json"
assert_eq "an innocent body passes authorization (404: no such route)" \
    "$STATUS" 404

# Past Docker's old 1 MiB cut-off but within 4 MiB: still inspected.
python3 -c 'import sys
sys.stdout.write("{\"Pad\":\"" + "x" * (2 << 20) + "\",\"HostConfig\":{\"Privileged\":true}}")' \
    >"$T_TMP/2m.json"
post_json "/v1.41/containers/create?case=2m" "$T_TMP/2m.json"
assert_json_error "2 MiB body with Privileged at the end: 403" 403 "$deny_msg"

# Over 4 MiB: refused outright, never shown to a handler.
python3 -c 'import sys
sys.stdout.write("{\"Pad\":\"" + "x" * (5 << 20) + "\"}")' >"$T_TMP/5m.json"
req GET "/_ping?case=5m" -H 'Content-Type: application/json' \
    --data-binary "@$T_TMP/5m.json"
assert_match "5 MiB JSON body: refused (403/413), not answered by /_ping" \
    "$STATUS" '^(403|413)$'
post_json "/v1.41/containers/create?case=5m-chunked" "$T_TMP/5m.json" \
    -H 'Transfer-Encoding: chunked'
assert_match "5 MiB chunked JSON body: refused (403/413)" "$STATUS" \
    '^(403|413)$'
check "after the big bodies: /_ping answers" wait_ping "$B_SOCK" 2

# --- failure and timeout fail closed ------------------------------------

req GET /v1.41/fail-me
assert_json_error "driver error: 500" 500 \
    '^plugin rules failed with error: .*fail'

t0=$(date +%s.%N)
curl -s --max-time 10 --unix-socket "$B_SOCK" -o "$T_TMP/hang.body" \
    -w '%{http_code}' http://localhost/v1.41/hang-me >"$T_TMP/hang.status" &
hung=$!
track_pid $hung
sleep 0.5
t=$(curl -s --max-time 1 --unix-socket "$B_SOCK" -o /dev/null \
    -w '%{http_code} %{time_total}' http://localhost/_ping)
assert_match "while a request hangs in the driver: /_ping answers" "$t" \
    '^200 0\.'
wait $hung
elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
assert_eq "hung driver: 500 after authz-timeout" "$(cat "$T_TMP/hang.status")" 500
assert_contains "hung driver: message" "$(cat "$T_TMP/hang.body")" \
    "plugin rules failed with error"
assert_match "hung driver: answered in ~2 s (took $elapsed s)" "$elapsed" \
    '^(1\.[89]|2\.|3\.)'
check "after the timeout: /_ping answers" wait_ping "$B_SOCK" 1

# SIGTERM while a call hangs and before its timeout: the driver's
# fini answers it; the client gets an answer or a closed connection.
curl -s --max-time 10 --unix-socket "$B_SOCK" -o /dev/null \
    -w '%{http_code}' http://localhost/v1.41/hang-me >"$T_TMP/hang.status" &
hung=$!
track_pid $hung
two_hangs()
{
	[ "$(grep -c hang-me "$alog")" -ge 2 ]
}
wait_for 2 two_hangs
berth_stop
assert_eq "stops cleanly (exit 0) with a hung call outstanding" "$?" 0
wait $hung
assert_match "the hung client got 500 or a closed connection" \
    "$(cat "$T_TMP/hang.status")" '^(500|000)$'

# --- the path a driver is asked about is the path routed ----------------
# A driver denying "DELETE /volumes/" must not be walked around by
# another spelling of that path: each shape is either shown to the
# driver as /volumes/v1 (and denied) or refused with 400 before anything
# is routed.  The volume must outlive every one of them.

plog=$T_TMP/authz-path.log
berth_start "log-level: info
authorization-plugins: [rules]
modules:
$(rules_module 'deny: ["DELETE /volumes/"]' "log: $plog")
  - name: volume-local
    required: true
  - name: volumes
    required: true" || exit 1

req POST /v1.41/volumes/create -H 'Content-Type: application/json' \
    --data-binary '{"Name":"v1"}'
assert_eq "volume v1 created" "$STATUS" 201
path_deny="authorization denied by plugin rules: denied by rule 'DELETE /volumes/'"

# shape STATUS RAW-PATH - DELETE RAW-PATH as sent (no client clean-up);
# the status must be STATUS and v1 must still exist.
shape()
{
	local want=$1 path=$2

	req DELETE "$path" --path-as-is
	assert_eq "DELETE $path: $want" "$STATUS" "$want"
	if [ "$want" = 403 ]; then
		assert_contains "DELETE $path: the driver's denial" "$BODY" \
		    "$path_deny"
	fi
	req GET /v1.41/volumes/v1
	assert_eq "after DELETE $path: v1 still exists" "$STATUS" 200
}

shape 403 /v1.41/volumes/v1
shape 403 /volumes/v1
shape 403 /%76olumes/v1
shape 403 /v1.41/%76olumes/v1
shape 403 /v1.41/%76%6F%6c%75%6D%65%73/v1
shape 403 //volumes/v1
shape 403 /v1.41//volumes//v1
shape 403 /volumes/v1/
shape 403 /v1.41/volumes/%76%31
shape 400 /volumes%2Fv1
shape 400 /volumes%2fv1
shape 400 /%2Fvolumes%2Fv1
shape 400 /v1.41%2Fvolumes%2Fv1
shape 400 /v1.41/volumes%2Fv1
shape 400 /./volumes/v1
shape 400 /v1.41/./volumes/v1
shape 400 /v1.41/containers/../volumes/v1
shape 400 /v1.41/x/%2e%2e/volumes/v1
shape 400 /v1.41/volumes/v1%00
shape 400 /v1.41/volumes/v1%zz
# A second layer of escapes is a '%' in a name, never a separator.
shape 404 /volumes%252Fv1
shape 403 /v1.41/volumes/%252Fv1
# Paths are case-sensitive, as in Docker: another case routes nowhere.
shape 404 /VOLUMES/v1
shape 404 /v1.41/Volumes/v1
shape 404 /v1.41/%56olumes/v1

req DELETE /v1.41/volumes%2Fv1 --path-as-is
assert_json_error "escaped '/': Docker's JSON error body" 400 \
    "^escaped '/' in request path\$"
req DELETE /v1.41/containers/../volumes/v1 --path-as-is
assert_json_error "'..' segment: JSON error body" 400 "'\\.\\.' segment"

# Absolute-form targets (RFC 9112 3.2.2) name the same path.
for target in http://localhost/volumes/v1 http://x/v1.41/%76olumes/v1 \
    'http://localhost//volumes/v1?force=1'; do
	out=$(printf 'DELETE %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
	    "$target" | $RAWHTTP raw "$B_SOCK" 2>/dev/null)
	assert_match "absolute-form DELETE $target: 403" \
	    "$(printf '%s\n' "$out" | head -n 1)" '^HTTP/1\.1 403 '
done
req GET /v1.41/volumes/v1
assert_eq "after the absolute-form targets: v1 still exists" "$STATUS" 200

# What the driver was asked about: only canonical targets, never a
# spelling the router did not route, and never a refused one.
asked=$(awk '$1 == "DELETE" { print $2 }' "$plog" | sort -u)
assert_eq "the driver saw only canonical DELETE targets" \
    "$(printf '%s\n' "$asked" | grep -c -v -E \
    '^(/v1\.41)?/(volumes/v1|volumes%252Fv1|volumes/%252Fv1|VOLUMES/v1|Volumes/v1)(\?force=1)?$')" 0
assert_contains "the %76 spelling was shown as /volumes/v1" "$asked" \
    "/v1.41/volumes/v1"
assert_eq "refused targets never reached the driver" \
    "$(grep -c -E '%2F|%2f|/\./|/\.\./|%00|%zz|http:' "$plog")" 0

# The query is shown as the handler parses it.
req GET '/v1.41/volumes?%66ilters=%7B%22name%22%3A%5B%22v1%22%5D%7D'
assert_eq "escaped query name: handler sees filters" "$STATUS" 200
assert_contains "escaped query: driver sees it decoded once" \
    "$(cat "$plog")" '/v1.41/volumes?filters=%7B%22name%22:%5B%22v1%22%5D%7D'
berth_stop

# --- a missing driver refuses start-up ----------------------------------

berth_start -n 'authorization-plugins: [missing]
modules:
  - name: authz-noop
    required: true'
wait_exit "$B_PID" 5
rc=$?
assert_match "authorization-plugins: [missing]: berthd exits non-zero" \
    "$rc" '^([1-9]|[1-9][0-9]|1[01][0-9]|12[0-3])$'
assert_contains "missing driver: clear message" "$(cat "$B_LOG")" \
    "failed to validate authorization plugin"
assert_contains "missing driver: message names it" "$(cat "$B_LOG")" missing
assert_eq "missing driver: socket never created" \
    "$([ -e "$B_SOCK" ] && echo exists || echo absent)" absent
