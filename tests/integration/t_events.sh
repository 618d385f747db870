#!/bin/bash
# t_events.sh - GET /events as `docker events` sees it: live streams,
# since/until replay, filters, and Docker's 400s.
. "$(dirname "$0")/lib.sh"

berth_start 'log-level: info
modules:
  - name: authz-noop
    required: true' || exit 1

ev_plain=$T_TMP/events.plain
ev_json=$T_TMP/events.json
ev_raw=$T_TMP/events.raw
dk events >"$ev_plain" 2>&1 &
p_plain=$!
dk events --format '{{json .}}' >"$ev_json" 2>&1 &
p_json=$!
curl -sN --max-time 30 --unix-socket "$B_SOCK" -D "$T_TMP/events.head" \
    http://localhost/events >"$ev_raw" &
p_raw=$!
track_pid $p_plain
track_pid $p_json
track_pid $p_raw

listeners()
{
	req GET /info
	[ "$(json_field "$BODY" NEventsListener)" -ge 3 ] 2>/dev/null
}
check "three subscribers connected (NEventsListener)" wait_for 5 listeners
assert_eq "GET /events: 200 application/json, headers before any event" \
    "$(tr -d '\r' <"$T_TMP/events.head" | awk 'NR == 1 { s = $2 }
    tolower($1) == "content-type:" { t = $2 } END { print s, t }')" \
    "200 application/json"

before=$(date +%s)
sleep 0.1
kill -HUP "$B_PID"

reload_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z daemon reload [A-Z0-9]{4}(:[A-Z0-9]{4}){11} \(.*name=[^,)]+.*\)$'
plain_seen()
{
	grep -Eq "$reload_re" "$ev_plain"
}
check "docker events: 'daemon reload <id> (...name=...)' line" \
    wait_for 3 plain_seen
json_seen()
{
	grep -q '"Type":"daemon","Action":"reload"' "$ev_json"
}
check "docker events --format '{{json .}}': Type daemon, Action reload" \
    wait_for 3 json_seen
raw_seen()
{
	python3 - "$ev_raw" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if (e.get("Type"), e.get("Action"), e.get("scope")) == \
            ("daemon", "reload", "local") and e["Actor"]["ID"] and \
            "name" in e["Actor"]["Attributes"] and \
            e["timeNano"] // 10**9 == e["time"] and "status" not in e:
        sys.exit(0)
sys.exit(1)
EOF
}
check "raw /events: one JSON line per event, Docker's daemon-event shape" \
    wait_for 3 raw_seen

# --- replay --------------------------------------------------------------

# until must be past the event's second, so wait for the clock to move.
sleep 1.1
until_ts=$(date +%s)

# replay NAME ARGS... - docker events over [before, until]; it must
# exit by itself.  Sets OUT.
replay()
{
	local pid

	dk events --since "$before" --until "$until_ts" "$@" \
	    >"$T_TMP/replay.out" 2>&1 &
	pid=$!
	track_pid $pid
	wait_exit $pid 5
	RC=$?
	OUT=$(cat "$T_TMP/replay.out")
}

replay
assert_eq "docker events --since/--until: exits by itself" "$RC" 0
assert_match "--since/--until replay shows the reload" "$OUT" "$reload_re"

dk events --since 1m --until 0s --filter type=daemon >"$T_TMP/rel.out" 2>&1 &
rel=$!
track_pid $rel
wait_exit $rel 5
assert_eq "docker events --since 1m --until 0s: exits by itself" "$?" 0
assert_match "--since 1m --until 0s shows the reload" "$(cat "$T_TMP/rel.out")" \
    "$reload_re"

replay --filter type=daemon
assert_match "--filter type=daemon shows the reload" "$OUT" "$reload_re"

replay --filter type=container
assert_eq "--filter type=container: exits" "$RC" 0
assert_eq "--filter type=container shows nothing" "$OUT" ""

replay --filter event=reload
assert_match "--filter event=reload shows it" "$OUT" "$reload_re"

id=$(dk info --format '{{.ID}}' 2>/dev/null)
replay --filter "daemon=${id%%:*}"
assert_match "--filter daemon=<id prefix> shows it" "$OUT" "$reload_re"

req GET "/events?since=$before&until=$until_ts&filters={\"type\":[\"daemon\"]}"
assert_contains "legacy filter form {\"type\":[\"daemon\"]}" "$BODY" \
    '"Action":"reload"'

req GET "/events?since=$before&until=$until_ts&filters={\"type\":{\"volume\":true}}"
assert_eq "map-of-sets filter type=volume: empty replay" "$STATUS|$BODY" "200|"

# --- errors ----------------------------------------------------------------

req GET '/events?filters={bad'
assert_json_error "filters={bad: 400 JSON" 400 '.'

req GET "/events?since=$until_ts&until=$before"
assert_json_error "since after until: 400 JSON" 400 '.'

req GET '/events?since=yesterday'
assert_json_error "since=yesterday: 400 JSON" 400 '.'

# --- shutdown ends the streams ---------------------------------------------

berth_stop
assert_eq "SIGTERM with subscribers: exits 0" "$?" 0
wait_exit $p_json 3
assert_match "docker events exits when the daemon stops" "$?" '^[0-9]$'
wait_exit $p_raw 3
assert_eq "raw /events stream ended cleanly (curl exit 0)" "$?" 0
