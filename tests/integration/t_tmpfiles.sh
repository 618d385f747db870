#!/bin/bash
# t_tmpfiles.sh - what a kill -9 in the middle of an atomic write leaves
# (the temporary, never the file) is gone at the next start: every
# store sweeps its own directories, and what they hold is read as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

AFTER_CONTAINERS="  - name: builder
    required: true"
busybox_daemon -m volume-local -m volumes -m net-bridge -m networks
check "a container" dk create --name keep busybox true
check "a volume" dk volume create keepv
check "a network" dk network create keepn
CID=$(dk inspect -f '{{.Id}}' keep)
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null
D=$B_DIR/data
: >"$D/engine-id.tmp"
: >"$D/images/repositories.json.tmp-123-abc"
: >"$D/containers/$CID/config.v2.json.tmp"
: >"$D/volumes/_meta/keepv.json.tmp"
mkdir -p "$D/networks/endpoints" "$D/builder"
: >"$D/networks/x.json.tmp"
: >"$D/networks/endpoints/y.json.tmp"
: >"$D/builder/cache.json.tmp"
rm -f "$B_SOCK"
berth_exec
wait_ping "$B_SOCK" 10 || fail "berthd restarted" "$(tail -n 5 "$B_LOG")"
LEFT=$(find "$D" -maxdepth 3 \( -name '*.tmp' -o -name '*.tmp-*' \) \
    -not -path '*/diff/*' 2>/dev/null)
assert_eq "after a restart no temporary of an atomic write is left" "$LEFT" ""
assert_eq "... and what the stores hold is all there" \
    "$(dk inspect -f '{{.Name}}' keep) $(dk volume ls -q | grep -c keepv) $(dk network ls --format '{{.Name}}' | grep -c keepn)" \
    "/keep 1 1"
dk rm keep >/dev/null 2>&1
dk network rm keepn >/dev/null 2>&1
