#!/bin/bash
# t_compose.sh - Debian's docker-compose 1.29 (docker-py 5) against
# berthd: a web service built from a Dockerfile (busybox httpd) and a
# client that fetches http://web/ by service name into a named volume,
# on a user network, with a published port, depends_on, restart and
# environment; up -d, ps, logs, exec, restart, down -v, and nothing
# left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

COMPOSE=$(command -v docker-compose)
if [ -z "$COMPOSE" ]; then
	fail "docker-compose" "not installed: make deps installs it"
	exit 1
fi
for m in networks net-bridge volumes volume-local builder; do
	if [ ! -f "$MODULE_DIR/$m.so" ]; then
		fail "modules" "$m.so must be built"
		exit 1
	fi
done
AFTER_CONTAINERS="  - name: builder
    required: true"
busybox_daemon -m volume-local -m volumes -m net-bridge -m networks
export DOCKER_HOST=unix://$B_SOCK DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
PORT=$(free_port)
P=$T_TMP/proj
mkdir -p "$P/web"
cat >"$P/web/Dockerfile" <<'DF'
FROM busybox
RUN mkdir -p /www && echo "hello from web" > /www/index.html
CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]
DF
cat >"$P/docker-compose.yml" <<YML
version: "3.7"
services:
  web:
    build: ./web
    image: t-compose-web
    ports:
      - "$PORT:80"
    networks: [appnet]
    environment:
      GREETING: hi-from-env
    restart: unless-stopped
  client:
    image: busybox
    depends_on: [web]
    networks: [appnet]
    volumes:
      - data:/data
    command: >-
      sh -c 'echo client up; while true; do
      wget -q -O /data/new http://web/ && mv /data/new /data/last.txt;
      sleep 0.3; done'
    restart: on-failure
networks:
  appnet: {}
volumes:
  data: {}
YML
cd "$P" || exit 1
dc() { timeout 120 "$COMPOSE" -p tc "$@"; }
# eventually NAME CMD... - ok once CMD succeeds, within 20 s.
eventually()
{
	local name=$1

	shift
	if wait_for 20 "$@"; then
		pass "$name"
	else
		fail "$name" "not within 20 s: $*"
	fi
}

OUT=$(dc up -d 2>&1)
RC=$?
assert_eq "docker-compose up -d: exit 0" "$RC" 0
[ $RC = 0 ] || echo "$OUT" | tail -n 20
assert_contains "up builds the web image with berth's builder" "$OUT" \
    "Successfully tagged t-compose-web:latest"
assert_match "up creates the network, the volume and both services" \
    "$(echo "$OUT" | tr '\r' '\n')" 'Creating tc_client_1 .*done'
OUT=$(dc ps 2>&1)
assert_match "ps: web is up with its published port" "$OUT" \
    "tc_web_1 .* Up .*0\.0\.0\.0:$PORT->80/tcp"
assert_match "ps: client is up" "$OUT" 'tc_client_1 .* Up'
eventually "the client fetches http://web/ by service name into the volume" \
    sh -c "$COMPOSE -p tc exec -T client cat /data/last.txt 2>/dev/null |
    grep -q 'hello from web'"
assert_eq "the published port answers from the host" \
    "$(curl -s -m 5 "http://127.0.0.1:$PORT/")" "hello from web"
assert_eq "exec: the service's environment" \
    "$(dc exec -T web sh -c 'echo $GREETING' 2>&1)" "hi-from-env"
assert_contains "logs: the client's output" "$(dc logs --no-color client 2>&1)" \
    "client up"
OUT=$(dc restart 2>&1)
assert_eq "restart: exit 0" "$?" 0
assert_match "ps after restart: both up" "$(dc ps 2>&1 | grep -c ' Up ')" '^2$'
eventually "after restart the client fetches again" \
    sh -c "$COMPOSE -p tc exec -T client sh -c 'rm -f /data/last.txt;
    sleep 1; cat /data/last.txt' 2>/dev/null | grep -q 'hello from web'"
OUT=$(dc down -v 2>&1)
assert_eq "down -v: exit 0" "$?" 0
assert_eq "down -v: no container left" "$(dk ps -aq)" ""
assert_eq "down -v: the project's network is gone" \
    "$(dk network ls --format '{{.Name}}' | grep -c '^tc_')" 0
assert_eq "down -v: the project's volume is gone" \
    "$(dk volume ls -q | grep -c '^tc_')" 0
req GET /_ping
assert_eq "berthd answers after the scenario" "$STATUS" 200
