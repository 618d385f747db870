#!/bin/bash
# t_health.sh - Docker's HEALTHCHECK through the real CLI: --health-cmd
# and an image's HEALTHCHECK, starting -> healthy -> unhealthy with
# Retries, a probe's Timeout, State.Health as dockerd shows it, ps's
# status and health= filter, the health_status events, and probing that
# goes on across a kill -9 of berthd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

busybox_daemon
T0=$(date +%s.%N)

status() { dk inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null; }
is_status() { [ "$(status "$1")" = "$2" ]; }

# StartPeriod: the failures before /tmp/ok exists do not count, so it
# stays "starting" however slowly this machine runs the checks below.
check "a container with --health-cmd" dk run -d --name hc \
    --health-cmd 'test -f /tmp/ok && echo fine' --health-interval 300ms \
    --health-retries 2 --health-start-period 30s \
    busybox sh -c 'sleep 2; touch /tmp/ok; exec sleep 300'
assert_match "ps: (health: starting) at first" \
    "$(dk ps --filter name=hc --format '{{.Status}}' 2>&1)" \
    '^Up .* \(health: starting\)$'
check "it becomes healthy once the probe passes" wait_for 10 is_status hc healthy
assert_match "ps: (healthy)" \
    "$(dk ps --filter name=hc --format '{{.Status}}' 2>&1)" '^Up .* \(healthy\)$'
OUT=$(dk inspect -f '{{.State.Health.FailingStreak}} {{len .State.Health.Log}}' hc 2>&1)
assert_match "State.Health: streak 0, a log of at most 5" "$OUT" '^0 [1-5]$'
OUT=$(dk inspect -f '{{range .State.Health.Log}}{{.ExitCode}}:{{.Output}}|{{end}}' hc 2>&1)
assert_contains "the log has the probe's code and output" "$OUT" "0:fine"
assert_match "ps --filter health=healthy" \
    "$(dk ps --filter health=healthy --format '{{.Names}}' 2>&1)" '^hc$'

check "the probe starts failing" dk exec hc rm /tmp/ok
check "unhealthy after Retries failures in a row" \
    wait_for 10 is_status hc unhealthy
assert_match "ps: (unhealthy)" \
    "$(dk ps --filter name=hc --format '{{.Status}}' 2>&1)" '^Up .* \(unhealthy\)$'
assert_match "ps --filter health=unhealthy" \
    "$(dk ps --filter health=unhealthy --format '{{.Names}}' 2>&1)" '^hc$'
assert_eq "ps --filter health=healthy no longer lists it" \
    "$(dk ps --filter health=healthy --format '{{.Names}}' 2>&1)" ""
OUT=$(dk inspect -f '{{.State.Health.FailingStreak}}' hc 2>&1)
check "the streak counts ($OUT)" test "$OUT" -ge 2
OUT=$(dk inspect -f '{{range .ExecIDs}}{{.}} {{end}}' hc 2>/dev/null | wc -w)
check "probes leave no exec behind ($OUT running)" test "$OUT" -le 1

check "a probe that outlives its timeout" dk run -d --name slow \
    --health-cmd 'sleep 5' --health-timeout 200ms --health-interval 300ms \
    --health-retries 1 busybox sleep 300
check "... makes it unhealthy" wait_for 10 is_status slow unhealthy
assert_eq "... recorded as dockerd does" \
    "$(dk inspect -f '{{with index .State.Health.Log 0}}{{.ExitCode}} {{.Output}}{{end}}' slow 2>&1)" \
    "-1 Health check exceeded timeout (200ms)"

check "a container without checks" dk run -d --name plain busybox sleep 300
assert_eq "no State.Health without checks" \
    "$(dk inspect -f '{{.State.Health}}' plain 2>&1)" "<nil>"
assert_match "ps --filter health=none" \
    "$(dk ps --filter health=none --format '{{.Names}}' 2>&1)" '^plain$'

# An image's HEALTHCHECK is inherited; --no-healthcheck turns it off.
check "an image with a HEALTHCHECK" dk commit \
    --change 'HEALTHCHECK --interval=300ms CMD true' plain checked:1
check "its containers are probed" dk run -d --name inherit checked:1 sleep 300
check "... and become healthy" wait_for 10 is_status inherit healthy
check "--no-healthcheck" dk run -d --name nocheck --no-healthcheck \
    checked:1 sleep 300
sleep 1
assert_eq "... has no State.Health" \
    "$(dk inspect -f '{{.State.Health}}' nocheck 2>&1)" "<nil>"

EV=$(dk events --since "$T0" --until "$(date +%s.%N)" --filter container=hc \
    --format '{{.Action}}' 2>&1)
# StartPeriod: the failures before /tmp/ok existed did not count.
assert_eq "events: the first health_status is healthy (StartPeriod)" \
    "$(printf '%s\n' "$EV" | grep '^health_status' | head -n 1)" \
    "health_status: healthy"
assert_match "events: health_status: healthy" "$EV" '^health_status: healthy$'
assert_match "events: health_status: unhealthy" "$EV" '^health_status: unhealthy$'
assert_match "events: the probe's exec_create, as dockerd's" "$EV" \
    '^exec_create: /bin/sh -c test -f /tmp/ok && echo fine$'
assert_match "events: the probe's exec_die" "$EV" '^exec_die$'

# kill -9 of berthd while hc is unhealthy: a status lost would read
# "starting" for the whole 30 s start period; probing goes on after.
exec 3>&2 2>/dev/null
kill -KILL "$B_PID"
wait "$B_PID"
exec 2>&3 3>&-
berth_exec
check "berthd comes back after kill -9" wait_ping "$B_SOCK" 10
assert_eq "the status survives it" "$(status hc)" unhealthy
check "probing goes on" dk exec hc touch /tmp/ok
check "... and sees the probe pass" wait_for 10 is_status hc healthy

check "docker stop" dk stop -t 1 hc
assert_match "a stopped container's ps status has no health" \
    "$(dk ps -a --filter name=hc --format '{{.Status}}' 2>&1)" '^Exited \([0-9]+\) '
check "docker start" dk start hc
assert_eq "a start begins again at starting" "$(status hc)" starting

dk rm -f hc slow plain inherit nocheck >/dev/null 2>&1
assert_no_match "no warnings from the containers service" \
    "$(cat "$B_LOG")" '(warn|error) +containers:'
