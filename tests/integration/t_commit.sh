#!/bin/bash
# t_commit.sh - docker diff and docker commit through the real CLI: the
# A/C/D lines of a container that added, changed and deleted files (with
# the parent directories Docker lists); a commit's image sees the new
# file and the new content and not the deleted file; --change, -m, -a
# in inspect and history; a running container paused around its commit
# (events) and still running after; tags, refusals, the parent's rmi
# refused while the child exists; save | load of the committed image.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

if [ ! -f "$MODULE_DIR/images.so" ]; then
	pass "commit needs the images module (not built): skipped"
	exit 0
fi
busybox_daemon
T0=$(date +%s.%N)

# --- docker diff ---------------------------------------------------------------

check "a container that adds, changes and deletes" dk run --name writer busybox \
    sh -c 'echo new >/root/new.txt; mkdir -p /data/sub; echo f >/data/sub/f;
           echo "extra:x:99:99::/:/bin/sh" >>/etc/passwd; rm /bin/vi'
OUT=$(dk diff writer 2>&1)
WANT='C /bin
D /bin/vi
A /data
A /data/sub
A /data/sub/f
C /etc
C /etc/passwd
C /root
A /root/new.txt'
assert_eq "docker diff of a stopped container: A, C and D, parents C" \
    "$OUT" "$WANT"
req GET /v1.41/containers/writer/changes
assert_match "GET /containers/{id}/changes: Docker's shape" "$BODY" \
    '^\[\{"Path":"/bin","Kind":0\},\{"Path":"/bin/vi","Kind":2\},'

# Docker's init layer: every container has /.dockerenv and /etc/mtab, and
# the mount points the runtime needs never show; deleting those two does.
# (The lines as dockerd 20.10.24 gives them, in berth's order.)
OUT=$(dk run --rm busybox sh -c 'test -f /.dockerenv && readlink /etc/mtab' 2>&1)
assert_eq "a container has /.dockerenv and /etc/mtab -> /proc/mounts" \
    "$OUT" /proc/mounts
check "a container that only runs" dk run --name quiet busybox true
assert_eq "docker diff of a container that changed nothing: empty" \
    "$(dk diff quiet 2>&1)" ""
check "a container that deletes the init layer's files" dk run --name noenv \
    -w /work busybox sh -c 'rm /.dockerenv /etc/mtab; touch /x'
assert_eq "docker diff: D for what it deleted of the init layer" \
    "$(dk diff noenv 2>&1)" "C /etc
D /etc/mtab
A /work
A /x
D /.dockerenv"
check "a container with --init, a tmpfs and a bind" dk run --name mnts \
    --init --tmpfs /run -v "$T_TMP:/hb" busybox true
assert_eq "docker diff: the mount points it made, as dockerd's" \
    "$(dk diff mnts 2>&1)" "A /hb
A /run
A /sbin
A /sbin/docker-init"
dk rm quiet noenv mnts >/dev/null 2>&1

check "a container created, never started" dk create --name fresh busybox true
req GET /v1.41/containers/fresh/changes
assert_eq "changes of a container never started: null" "$STATUS $BODY" "200 null"
req GET /v1.41/containers/nosuch/changes
assert_json_error "changes of no such container: 404" 404 \
    '^No such container: nosuch$'

# --- docker commit ---------------------------------------------------------------

ID=$(dk commit -m "the message" -a "A. Author <a@example.org>" \
    --change 'CMD ["cat", "/root/new.txt"]' --change 'ENV CFOO=bar' \
    writer committed:v1 2>&1)
assert_match "docker commit prints the new ID" "$ID" '^sha256:[0-9a-f]{64}$'
OUT=$(dk run --rm committed:v1 2>&1)
assert_eq "the committed image's CMD (--change) shows the new file" "$OUT" new
OUT=$(dk run --rm committed:v1 tail -n 1 /etc/passwd 2>&1)
assert_eq "the committed image has the changed content" "$OUT" \
    "extra:x:99:99::/:/bin/sh"
OUT=$(dk run --rm committed:v1 sh -c 'ls /bin/vi 2>&1; cat /data/sub/f' 2>&1)
assert_match "the deleted file is gone in the committed image (whiteout)" \
    "$OUT" 'No such file'
assert_match "a new directory tree is in it" "$OUT" '^f$'
OUT=$(dk run --rm committed:v1 sh -c 'echo $CFOO' 2>&1)
assert_eq "ENV from --change" "$OUT" bar
OUT=$(dk diff "$(dk create committed:v1)" 2>&1)
assert_eq "a container of the committed image starts with no changes" "$OUT" ""

OUT=$(dk inspect -f '{{.Comment}}|{{.Author}}|{{json .Config.Cmd}}|{{.Container}}|{{len .RootFS.Layers}}|{{.Parent}}' committed:v1 2>&1)
WID=$(dk inspect -f '{{.Id}}' writer)
BID=$(dk inspect -f '{{.Id}}' busybox)
assert_eq "inspect: comment, author, Cmd, container, layers, parent" "$OUT" \
    "the message|A. Author <a@example.org>|[\"cat\",\"/root/new.txt\"]|$WID|2|$BID"
OUT=$(dk history --no-trunc --format '{{.ID}}|{{.CreatedBy}}|{{.Comment}}' committed:v1 2>&1)
assert_eq "history: the commit on top (created_by, comment), then the parent" \
    "$OUT" "$ID|sh -c echo new >/root/new.txt; mkdir -p /data/sub; echo f >/data/sub/f;
           echo \"extra:x:99:99::/:/bin/sh\" >>/etc/passwd; rm /bin/vi|the message
$BID||Imported from -"

# Nothing changed: no layer, as Docker (empty_layer in the history).
check "a container that changes nothing" dk run --name idle busybox true
OUT=$(dk commit idle 2>&1)
assert_match "commit without repo: an untagged image" "$OUT" '^sha256:'
OUT=$(dk inspect -f '{{len .RootFS.Layers}} {{json .RepoTags}}' "$OUT" 2>&1)
assert_eq "commit of no changes adds no layer" "$OUT" "1 []"

# A running container is paused around its commit and runs on.
# It appends: a count read by wc never catches a truncated file.
check "a running container" dk run -d --name run busybox \
    sh -c 'while :; do echo . >>/tmp/n; sleep 0.05; done'
sleep 0.3
T1=$(date +%s.%N)
ID2=$(dk commit run running:1 2>&1)
assert_match "commit of a running container" "$ID2" '^sha256:'
EV=$(dk events --since "$T1" --until "$(date +%s.%N)" \
    --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes "imageRef"}}' 2>&1)
assert_eq "events: pause, tag, commit, unpause" "$EV" "container pause run 
image tag running:1 
container commit run running:1
container unpause run "
OUT=$(dk inspect -f '{{.State.Status}} {{.State.Paused}}' run 2>&1)
assert_eq "it is still running after" "$OUT" "running false"
N1=$(dk exec run wc -l </dev/null /tmp/n | awk '{ print $1 }'); sleep 0.3
N2=$(dk exec run wc -l </dev/null /tmp/n | awk '{ print $1 }')
check "and still counting" test "$N2" -gt "$N1"
OUT=$(dk diff run 2>&1)
assert_eq "docker diff of a running container" "$OUT" "C /tmp
A /tmp/n"
OUT=$(dk run --rm running:1 ls /tmp/n 2>&1)
assert_eq "the image of a running container has its files" "$OUT" /tmp/n
T2=$(date +%s.%N)
check "commit --pause=false" dk commit --pause=false run
EV=$(dk events --since "$T2" --until "$(date +%s.%N)" \
    --filter container=run --format '{{.Action}}' 2>&1)
assert_eq "--pause=false: no pause" "$EV" commit
check "a paused container" dk pause run
check "commit of a paused container" dk commit run
OUT=$(dk inspect -f '{{.State.Status}}' run 2>&1)
assert_eq "a container paused by hand stays paused" "$OUT" paused
check "unpause" dk unpause run

EV=$(dk events --since "$T0" --until "$(date +%s.%N)" --filter event=commit \
    --filter container=writer --format '{{.Actor.Attributes.comment}}|{{.Actor.Attributes.imageID}}|{{.Actor.Attributes.imageRef}}|{{.Actor.Attributes.image}}' 2>&1)
assert_eq "event commit: comment, imageID, imageRef, image" "$EV" \
    "the message|$ID|committed:v1|busybox"

# --- refusals ------------------------------------------------------------------------

OUT=$(dk commit nosuch 2>&1)
assert_contains "commit of no such container" "$OUT" "No such container: nosuch"
req POST "/v1.41/commit"
assert_json_error "commit without a container: 400" 400 \
    '^invalid name or ID supplied: ""$'
req POST "/v1.41/commit?container=writer&repo=Bad:ref"
assert_json_error "commit with a bad repo: 400" 400 'invalid reference format'
req POST "/v1.41/commit?container=writer&repo=ok&tag=bad:tag"
assert_json_error "commit with a bad tag: 400" 400 'invalid tag format'
req POST "/v1.41/commit?container=writer&changes=FROB%20x"
assert_json_error "commit with a bad change: 400" 400 \
    'frob is not a valid change command'
req POST "/v1.41/commit?container=writer" -H 'Content-Type: application/json' \
    -d '{"Cmd":["echo","from-body"],"Labels":{"l":"v"}}'
assert_eq "commit with a Config body: 201" "$STATUS" 201
OUT=$(dk inspect -f '{{json .Config.Cmd}} {{.Config.Labels.l}}' "$(json_field "$BODY" Id)" 2>&1)
assert_eq "the body's Config is the image's" "$OUT" '["echo","from-body"] v'

OUT=$(dk rmi "$BID" 2>&1)
assert_match "rmi of the parent while a child exists: Docker's 409" "$OUT" \
    "conflict: unable to delete ${BID:7:12} \(cannot be forced\) - image has dependent child images"
OUT=$(dk rmi -f "$BID" 2>&1)
assert_contains "even with -f" "$OUT" "cannot be forced"

# The parent is kept on disk: through a tag (which rewrites the image's
# record) and a restart of berthd.
check "docker tag the committed image" dk tag committed:v1 committed:again
berth_stop
berth_exec
check "berthd comes back" wait_ping "$B_SOCK" 10
OUT=$(dk inspect -f '{{.Parent}}' committed:again 2>&1)
assert_eq "after a tag and a restart the parent is still recorded" "$OUT" "$BID"
OUT=$(dk rmi "$BID" 2>&1)
assert_contains "and its rmi still refused" "$OUT" "image has dependent child images"
check "docker rmi the second tag" dk rmi committed:again

# --- save | load ------------------------------------------------------------------------

check "docker save the committed image" \
    sh -c "$DOCKER -H unix://$B_SOCK save committed:v1 >'$T_TMP/c.tar'"
dk rm -f $(dk ps -aq --filter ancestor=committed:v1) >/dev/null 2>&1
check "docker rmi it" dk rmi committed:v1
OUT=$(dk load -i "$T_TMP/c.tar" 2>&1)
assert_contains "docker load gives it back" "$OUT" "Loaded image: committed:v1"
OUT=$(dk inspect -f '{{.Id}}' committed:v1 2>&1)
assert_eq "with the same ID" "$OUT" "$ID"
OUT=$(dk run --rm committed:v1 sh -c 'cat /root/new.txt; ls /bin/vi 2>/dev/null || echo gone' 2>&1)
assert_eq "and the same files (the whiteout too)" "$OUT" "new
gone"

# --- a parent untagged: what docker images and prune then see ------------------

check "a parent image with a tag of its own" dk commit writer parent:1
check "a container of it" dk run --name kid parent:1 touch /kid
check "its child image" dk commit kid child:1
dk rm -f kid >/dev/null 2>&1
PID=$(dk inspect -f '{{.Id}}' parent:1 2>&1)
OUT=$(dk rmi parent:1 2>&1)
assert_contains "rmi of a parent's last tag untags it" "$OUT" "Untagged: parent:1"
assert_no_match "... and keeps it for its child" "$OUT" '^Deleted:'
assert_no_match "docker images hides the untagged parent" \
    "$(dk images -q --no-trunc 2>&1)" "^$PID\$"
assert_match "docker images -a shows it" \
    "$(dk images -aq --no-trunc 2>&1)" "^$PID\$"
assert_no_match "it is not dangling" \
    "$(dk images -q --no-trunc -f dangling=true 2>&1)" "^$PID\$"
dk image prune -f >/dev/null 2>&1
check "docker image prune keeps it" dk image inspect "$PID"
assert_eq "the child still names it" \
    "$(dk inspect -f '{{.Parent}}' child:1 2>&1)" "$PID"

# Every container gone, its runtime's delete included, before berthd
# stops: a removal still in flight at shutdown is not what this tests.
IDS=$(dk ps -aq)
# shellcheck disable=SC2086 # IDs are words
[ -n "$IDS" ] && dk rm -f $IDS >/dev/null 2>&1
wait_for 10 sh -c "[ -z \"\$(find '$B_DIR/data/containers' \
    '$B_DIR/exec/containers' -mindepth 1 -maxdepth 1 2>/dev/null)\" ]"
berth_stop
