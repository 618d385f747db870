#!/bin/bash
# t_core.sh - what the docker CLI and a plain HTTP client see of the core:
# version negotiation, listeners, /_ping, Docker's error shapes.
. "$(dirname "$0")/lib.sh"

tcp_port=$(free_port)
berth_start 'log-level: info
modules:
  - name: authz-noop
    required: true' -H "tcp://127.0.0.1:$tcp_port" || exit 1

# --- the CLI ---------------------------------------------------------

out=$(dk version --format '{{.Server.APIVersion}}' 2>&1)
assert_eq "docker version: server API 1.41" "$out" "1.41"

out=$(dk info 2>&1)
rc=$?
assert_eq "docker info exits 0" "$rc" 0
assert_contains "docker info shows Server Version" "$out" "Server Version"

out=$(DOCKER_HOST=tcp://127.0.0.1:$tcp_port "$DOCKER" version \
    --format '{{.Server.APIVersion}}' 2>&1)
assert_eq "docker version over tcp listener" "$out" "1.41"

# As in Docker's docs: expose the unix socket on tcp with socat.
socat_port=$(free_port)
socat "TCP4-LISTEN:$socat_port,fork,reuseaddr" "UNIX-CLIENT:$B_SOCK" &
track_pid $!
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $socat_port))"
out=$(DOCKER_HOST=tcp://127.0.0.1:$socat_port "$DOCKER" version \
    --format '{{.Server.APIVersion}}' 2>&1)
assert_eq "docker version through socat" "$out" "1.41"

assert_eq "socket mode is 0660" "$(stat -c %a "$B_SOCK")" 660

# --- /_ping ----------------------------------------------------------

req HEAD /_ping
assert_eq "HEAD /_ping: 200" "$STATUS" 200
assert_eq "HEAD /_ping: Api-Version" "$(header Api-Version)" 1.41
assert_eq "HEAD /_ping: Ostype" "$(header Ostype)" linux
assert_eq "HEAD /_ping: Docker-Experimental" "$(header Docker-Experimental)" false
assert_eq "HEAD /_ping: Cache-Control" "$(header Cache-Control)" \
    "no-cache, no-store, must-revalidate"
assert_eq "HEAD /_ping: Pragma" "$(header Pragma)" no-cache
assert_eq "HEAD /_ping: Content-Length 0" "$(header Content-Length)" 0
out=$(printf 'HEAD /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    $RAWHTTP raw "$B_SOCK" 2>/dev/null)
assert_eq "HEAD /_ping: no body on the wire" "$(printf '%s' "$out" |
    head -n 1 | tr -d '\r')|$(printf '%s' "$out" | sed -n '/^\r*$/,$p' |
    tr -d '\r\n')" "HTTP/1.1 200 OK|"

req GET /_ping
assert_eq "GET /_ping: 200 OK" "$STATUS $BODY" "200 OK"
assert_eq "GET /_ping: Content-Type" "$(header Content-Type)" \
    "text/plain; charset=utf-8"
assert_eq "GET /_ping: Api-Version" "$(header Api-Version)" 1.41
assert_eq "GET /_ping: Ostype" "$(header Ostype)" linux
assert_eq "GET /_ping: Docker-Experimental" "$(header Docker-Experimental)" false
assert_eq "GET /_ping: Cache-Control" "$(header Cache-Control)" \
    "no-cache, no-store, must-revalidate"
assert_eq "GET /_ping: Pragma" "$(header Pragma)" no-cache

# --- versions and errors ---------------------------------------------

req GET /version
assert_eq "GET /version (no prefix): ApiVersion" \
    "$STATUS $(json_field "$BODY" ApiVersion)" "200 1.41"

req GET /v1.41/version
assert_eq "GET /v1.41/version: 200" "$STATUS" 200

req GET /v9.99/version
assert_json_error "/v9.99/version: 400 too new" 400 \
    '^client version 9.99 is too new. Maximum supported API version is 1.41$'

# API <= 1.23 errors are plain text in Docker; only the status and
# text are asserted here.
req GET /v1.12/version
assert_eq "/v1.12/version: 400" "$STATUS" 400
assert_contains "/v1.12/version: too old" "$BODY" \
    "client version 1.12 is too old. Minimum supported API version is"

req GET /v1.41/nope
assert_json_error "/v1.41/nope: 404 page not found" 404 '^page not found$'
assert_eq "/v1.41/nope: exact body" "$BODY" '{"message":"page not found"}'

req GET /v1.4x/version
assert_json_error "/v1.4x/version: 404 (bad version segment)" 404 \
    '^page not found$'

req DELETE /_ping
assert_json_error "DELETE /_ping: 405 JSON" 405 '.'

req OPTIONS /anything
assert_eq "OPTIONS /anything: 200" "$STATUS" 200
assert_eq "OPTIONS /anything: empty body" "$BODY" ""

# A non-JSON body where JSON is due; no route takes one yet, so an
# unknown path must still answer with a JSON error, not hang.
req POST /v1.41/nope -H 'Content-Type: application/json' -d '{bad'
assert_json_error "POST bad JSON to unknown path: JSON 404" 404 '.'

out=$(DOCKER_API_VERSION=1.99 dk version 2>&1)
assert_contains "CLI pinned to 1.99 sees the daemon's message" "$out" \
    "client version 1.99 is too new"

# Swarm mode: answered as an engine outside a swarm answers.
NOTMGR='This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.'
req GET /v1.41/swarm
assert_eq "GET /swarm: 503" "$STATUS" 503
assert_eq "... dockerd's message" "$(json_field "$BODY" message)" "$NOTMGR"
req POST "/v1.41/swarm/leave?force=True"
assert_eq "POST /swarm/leave: 503, not part of a swarm" \
    "$STATUS $(json_field "$BODY" message)" "503 This node is not part of a swarm"
req GET '/v1.41/secrets?filters=garbage'
assert_eq "GET /secrets with garbage filters: 400 first" "$STATUS" 400
req GET '/v1.41/configs?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D'
assert_eq "GET /configs with an unknown filter: 400" "$STATUS" 400
req GET '/v1.41/services?filters=%7B%22name%22%3A%5B%22x%22%5D%7D'
assert_eq "GET /services with a good filter: 503" "$STATUS" 503
req POST /v1.41/swarm/init -H 'Content-Type: application/json' -d '{}'
assert_eq "POST /swarm/init: 501, berth has no swarm mode" "$STATUS" 501
for cmd in "node ls" "service ls" "secret ls" "config ls"; do
	# shellcheck disable=SC2086 # the subcommand's words
	out=$(dk $cmd 2>&1)
	assert_contains "docker $cmd: dockerd's message" "$out" \
	    "This node is not a swarm manager"
done
assert_eq "docker info: Swarm: inactive" \
    "$(dk info --format '{{.Swarm.LocalNodeState}}' 2>&1)" inactive

berth_stop
assert_eq "SIGTERM exit status 0" "$?" 0
