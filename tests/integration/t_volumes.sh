#!/bin/bash
# t_volumes.sh - volumes end to end through the real docker CLI: volume
# create/ls/inspect/rm/prune, data that outlives a container, a volume in
# use refused removal (also after a kill -9 of berthd), read-only binds,
# a tmpfs volume, anonymous volumes and rm -v, a new volume filled from
# the image, --mount, --volumes-from, Docker's volume events in order,
# and hostile names refused with nothing created outside the store.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

if [ ! -f "$MODULE_DIR/images.so" ] || [ ! -f "$MODULE_DIR/volumes.so" ]; then
	fail "modules" "images.so and volumes.so must be built"
	exit 1
fi
busybox_daemon -m volume-local -m volumes
STORE=$B_DIR/data/volumes

# --- create, ls, inspect ------------------------------------------------------

assert_eq "docker volume create v1 prints its name" "$(dk volume create v1 2>&1)" v1
assert_eq "creating it again returns it" "$(dk volume create v1 2>&1)" v1
assert_match "docker volume ls lists it" "$(dk volume ls 2>&1)" '^local +v1$'
OUT=$(dk volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}' v1 2>&1)
assert_eq "docker volume inspect: name, driver, scope, mountpoint" "$OUT" \
    "v1 local local $STORE/v1/_data"
dk volume create --label team=a --label keep lab1 >/dev/null
OUT=$(dk volume ls -q --filter label=team=a --filter name=lab 2>&1)
assert_eq "ls --filter label=team=a --filter name=lab" "$OUT" lab1
OUT=$(dk volume ls -q --filter dangling=false 2>&1)
assert_eq "ls --filter dangling=false: nothing is used yet" "$OUT" ""
OUT=$(dk volume inspect nope 2>&1)
assert_contains "inspect of a missing volume" "$OUT" "no such volume"

# --- data outlives a container -------------------------------------------------

check "a container writes into v1" \
    dk run --rm -v v1:/d busybox sh -c 'echo x > /d/f'
assert_eq "the next container reads it" \
    "$(dk run --rm -v v1:/d busybox cat /d/f 2>&1)" x
assert_eq "-v v1:/d:ro is read-only" \
    "$(dk run --rm -v v1:/d:ro busybox sh -c '(echo y > /d/f) 2>/dev/null || echo refused' 2>&1)" refused

assert_eq "one volume at two destinations of a container" \
    "$(dk run --rm -v twice:/a -v twice:/b busybox sh -c 'echo x > /a/f; cat /b/f' 2>&1)" x
dk volume rm twice >/dev/null
CPIDS=""
for i in 1 2 3 4; do
	dk run --rm -v conc:/d busybox sh -c "echo $i > /d/$i" >"$T_TMP/conc.$i" 2>&1 &
	CPIDS="$CPIDS $!"
done
# shellcheck disable=SC2086
wait $CPIDS
assert_eq "four containers naming one new volume at once all run" \
    "$(cat "$T_TMP"/conc.* | tr -d '\n')$(dk run --rm -v conc:/d busybox ls /d | tr -d '\n')" 1234
dk volume rm conc >/dev/null

# --- in use ----------------------------------------------------------------------

CID=$(dk create --name user1 -v v1:/d busybox true)
OUT=$(dk volume rm v1 2>&1)
assert_eq "volume rm while a stopped container uses it: Docker's 409" "$OUT" \
    "Error response from daemon: remove v1: volume is in use - [$CID]"
OUT=$(dk volume rm -f v1 2>&1)
assert_contains "volume rm -f does not bypass a user" "$OUT" "volume is in use"
assert_match "ls --filter dangling=false shows it" \
    "$(dk volume ls -q --filter dangling=false)" '^v1$'
assert_eq "docker ps --filter volume=v1" \
    "$(dk ps -a --filter volume=v1 --format '{{.Names}}' 2>&1)" user1
assert_eq "docker ps --filter volume=/d" \
    "$(dk ps -a --filter volume=/d --format '{{.Names}}' 2>&1)" user1
OUT=$(dk inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.Driver}} {{.RW}}{{end}}' user1 2>&1)
assert_eq "inspect .Mounts of the container" "$OUT" "volume v1 /d local true"

# --- kill -9 of berthd: still in use --------------------------------------------

dk volume create --opt type=tmpfs --opt device=tmpfs tv9 >/dev/null
dk run -d --name holder -v v1:/d -v tv9:/t busybox sleep 1000 >/dev/null
dk volume create --opt type=tmpfs --opt device=tmpfs tv8 >/dev/null
dk run -d --name brief -v tv8:/t busybox sleep 1 >/dev/null
mkdir -p "$STORE/orphan/_data"
exec 3>&2 2>/dev/null
kill -KILL "$B_PID"
wait "$B_PID"
exec 2>&3 3>&-
sleep 1.5
# Restarted with containers listed before the volumes modules: the uses
# are declared all the same.
printf '%s\n' "$YAML" | awk '
/name: volume-local|name: volumes$/ { hold = hold $0 "\n"; getline; hold = hold $0 "\n"; next }
{ print }
END { printf "%s", hold }' >"$B_CONF"
berth_exec
check "berthd comes back after kill -9" wait_ping "$B_SOCK" 5
assert_eq "after the restart inspect still gives v1's mountpoint" \
    "$(dk volume inspect -f '{{.Mountpoint}}' v1 2>&1)" "$STORE/v1/_data"
assert_match "a volume the driver has without metadata is adopted" \
    "$(dk volume ls -q)" '^orphan$'
OUT=$(dk volume rm v1 2>&1)
assert_contains "after the restart v1 is still in use" "$OUT" \
    "remove v1: volume is in use - ["
assert_contains "... by the stopped container" "$OUT" "$CID"
check "... a tmpfs volume of the running holder is still mounted" \
    grep -q " $STORE/tv9/_data tmpfs " /proc/mounts
assert_eq "... held again without a second mount event" \
    "$(dk events --since 0 --until "$(date +%s.%N)" --filter type=volume \
    --filter event=mount --format '{{.Actor.ID}}' 2>&1)" ""
check "a container that exited while berthd was down lets its tmpfs volume go" \
    wait_for 5 sh -c "! grep -q ' $STORE/tv8/_data ' /proc/mounts"
check "docker rm -f holder, docker rm user1" dk rm -f holder user1 brief
check "... the tmpfs volume is unmounted with its last user" \
    wait_for 5 sh -c "! grep -q ' $STORE/tv9/_data ' /proc/mounts"
dk volume rm tv9 >/dev/null
check "then docker volume rm v1 works" dk volume rm v1
check "and v1's directory is gone" test ! -e "$STORE/v1"

# --- binds, tmpfs --------------------------------------------------------------

mkdir -p "$T_TMP/host"
echo hi >"$T_TMP/host/file"
OUT=$(dk run --rm -v "$T_TMP/host:/h:ro" busybox sh -c 'cat /h/file; touch /h/new' 2>&1)
assert_contains "a :ro bind is readable" "$OUT" hi
assert_contains "a :ro bind refuses writes" "$OUT" "Read-only file system"
check "nothing was written on the host" test ! -e "$T_TMP/host/new"
check "a rw bind writes through" dk run --rm -v "$T_TMP/host:/h" busybox touch /h/rw
check "... to the host" test -e "$T_TMP/host/rw"
check "-v with a propagation mode (rslave) runs" \
    dk run --rm -v "$T_TMP/host:/h:ro,rslave" busybox test -s /h/file
OUT=$(dk run --rm -v "$T_TMP/host:/h:bogus" busybox true 2>&1)
assert_contains "-v with an unknown mode is Docker's 400" "$OUT" "invalid mode: bogus"
check "-v of a missing host path creates it" \
    dk run --rm -v "$T_TMP/made/here:/m" busybox true
check "... as a directory" test -d "$T_TMP/made/here"
OUT=$(dk run --rm --mount "type=bind,source=$T_TMP/nope,target=/n" busybox true 2>&1)
assert_contains "--mount type=bind of a missing path is refused" "$OUT" \
    "bind source path does not exist: $T_TMP/nope"
OUT=$(dk run --rm --mount "type=bind,source=$T_TMP/host,target=/h,readonly" busybox touch /h/x 2>&1)
assert_contains "--mount type=bind,readonly is read-only" "$OUT" "Read-only file system"

dk volume create --opt type=tmpfs --opt device=tmpfs tv >/dev/null
OUT=$(dk run --rm -v tv:/t busybox sh -c 'grep " /t " /proc/mounts' 2>&1)
assert_match "a tmpfs volume is a tmpfs inside the container" "$OUT" '^tmpfs /t tmpfs '
check "... and unmounted on the host after the last user" \
    sh -c "! grep -q ' $STORE/tv/_data ' /proc/mounts"
dk volume create --opt type=none --opt o=bind --opt "device=$T_TMP/host" bv >/dev/null
assert_eq "a local volume can bind a host path (type=none, o=bind)" \
    "$(dk run --rm -v bv:/b busybox cat /b/file 2>&1)" hi
check "... and removing the volume leaves the host path alone" \
    sh -c "$DOCKER -H unix://$B_SOCK volume rm bv >/dev/null && test -s '$T_TMP/host/file'"
OUT=$(dk run --rm --mount type=tmpfs,target=/tm,tmpfs-size=1m busybox sh -c 'grep " /tm " /proc/mounts' 2>&1)
assert_match "--mount type=tmpfs with a size" "$OUT" '^tmpfs /tm tmpfs .*size=1024k'

# --- anonymous volumes, image content -----------------------------------------------

N0=$(dk volume ls -q | wc -l)
dk run --name anon -v /data busybox sh -c 'echo a > /data/a' >/dev/null
N1=$(dk volume ls -q | wc -l)
assert_eq "-v /data makes an anonymous volume" "$((N1 - N0))" 1
ANON=$(dk inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon)
assert_match "it has a 64-hex name" "$ANON" '^[0-9a-f]{64}$'
check "docker rm -v removes it" dk rm -v anon
check "... it is gone" sh -c "! $DOCKER -H unix://$B_SOCK volume inspect $ANON >/dev/null 2>&1"
dk run --rm -v /data busybox true
assert_eq "--rm removes its anonymous volume" "$(dk volume ls -q | wc -l)" "$N0"
assert_eq "a new volume is filled from the image's content" \
    "$(dk run --rm -v etcv:/etc busybox cat /etc/group | head -n 1)" "root:x:0:"
check "... which stays in the volume" test -s "$STORE/etcv/_data/passwd"

mkdir -p "$ROOTFS/vol" && echo seed >"$ROOTFS/vol/seed"
check "docker import --change 'VOLUME /vol' withvol" \
    sh -c "tar -C '$ROOTFS' -cf - . | $DOCKER -H unix://$B_SOCK import --change 'VOLUME /vol' - withvol"
N2=$(dk volume ls -q | wc -l)
OUT=$(dk run --name iv withvol sh -c 'cat /vol/seed; grep -c " /vol " /proc/mounts' 2>&1)
assert_eq "an image VOLUME is an anonymous volume filled from the image" \
    "$(echo "$OUT" | tr '\n' ' ')" "seed 1 "
assert_match "... listed by docker volume ls" \
    "$(dk volume ls -q)" "^$(dk inspect -f '{{range .Mounts}}{{.Name}}{{end}}' iv)\$"
check "... and removed by docker rm -v" dk rm -v iv
assert_eq "... leaving the volumes as they were" "$(dk volume ls -q | wc -l)" "$N2"
dk create --name src -v shared:/s busybox true >/dev/null
dk run --rm -v shared:/s busybox sh -c 'echo from-src > /s/f'
assert_eq "--volumes-from shares the volume" \
    "$(dk run --rm --volumes-from src busybox cat /s/f 2>&1)" from-src
assert_contains "--volumes-from src:ro is read-only" \
    "$(dk run --rm --volumes-from src:ro busybox touch /s/x 2>&1)" "Read-only file system"
dk run --name anon2 -v /keep busybox true
dk create --name borrower --volumes-from anon2 busybox true >/dev/null
ANON=$(dk inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon2)
check "rm -v keeps an anonymous volume another container still uses" \
    sh -c "$DOCKER -H unix://$B_SOCK rm -v anon2 >/dev/null && $DOCKER -H unix://$B_SOCK volume inspect $ANON >/dev/null"
dk rm src borrower >/dev/null
dk volume rm "$ANON" >/dev/null

# --- events --------------------------------------------------------------------------

dk volume create ev >/dev/null
dk events --format '{{.Type}} {{.Action}} {{json .Actor.Attributes}}' \
    >"$T_TMP/events.out" 2>&1 &
EPID=$!
track_pid $EPID
sleep 0.5
dk run --rm -v ev:/d busybox true
ev_done()
{
	grep -q '^container destroy ' "$T_TMP/events.out"
}
wait_for 5 ev_done
kill $EPID 2>/dev/null
OUT=$(awk '{ print $1 "-" $2 }' "$T_TMP/events.out" | tr '\n' ' ')
assert_eq "events: Docker's order" "$OUT" \
    "volume-create container-create container-attach volume-mount container-start container-die volume-unmount container-destroy "
OUT=$(grep '^volume mount ' "$T_TMP/events.out")
assert_match "volume mount carries Docker's attributes" "$OUT" \
    '"container":"[0-9a-f]{64}","destination":"/d","driver":"local","propagation":"","read/write":"true"'
assert_match "volume unmount carries container and driver" \
    "$(grep '^volume unmount ' "$T_TMP/events.out")" \
    '"container":"[0-9a-f]{64}","driver":"local"'

# --- df ----------------------------------------------------------------------------------

dk run --rm -v dfv:/d busybox sh -c 'head -c 5000 /dev/zero > /d/z'
dk create --name dfuser -v dfv:/d busybox true >/dev/null
assert_match "docker system df -v: a volume's links and size" \
    "$(dk system df -v 2>&1)" '^dfv +1 +5kB$'
assert_match "docker system df counts local volumes" \
    "$(dk system df --format '{{.Type}} {{.TotalCount}} {{.Active}}' 2>&1)" \
    '^Local Volumes [0-9]+ 1$'
dk rm dfuser >/dev/null

# --- rm, prune -------------------------------------------------------------------------

OUT=$(dk volume rm nope 2>&1)
assert_eq "volume rm of a missing volume: Docker's 404" "$OUT" \
    "Error response from daemon: get nope: no such volume"
check "volume rm -f of a missing volume succeeds" dk volume rm -f nope
dk volume create --label prunable p1 >/dev/null
dk volume create --label prunable --label keep=1 p2 >/dev/null
dk run --rm -v p1:/d busybox sh -c 'head -c 5000 /dev/zero > /d/z'
OUT=$(dk volume prune -f --filter label=prunable --filter label!=keep 2>&1)
assert_contains "volume prune deletes unused volumes" "$OUT" p1
assert_no_match "prune honours label= and label!=" "$OUT" 'p2|lab1|etcv'
assert_contains "prune reports the space" "$OUT" "Total reclaimed space: 5kB"

# --- hostile names ------------------------------------------------------------------------

LONG=$(printf 'a%.0s' $(seq 300))
for n in ../x /etc ..%2Fescape "$LONG" .hidden; do
	req POST /v1.41/volumes/create -H 'Content-Type: application/json' \
	    -d "{\"Name\":\"$n\"}"
	assert_eq "volume create of '${n:0:20}' is a 400" "$STATUS" 400
	assert_contains "... with a clear message" "$BODY" "volume name"
done
req POST /v1.41/volumes/create -H 'Content-Type: application/json' -d '{"Name":""}'
assert_eq "volume create of an empty Name is a 400" "$STATUS" 400
assert_contains "... with a clear message" "$BODY" "volume name cannot be empty"
check "a bare docker volume create makes an anonymous volume" \
    sh -c "$DOCKER -H unix://$B_SOCK volume create | grep -Eq '^[0-9a-f]{64}\$'"
check "nothing was created outside the store" \
    sh -c "test ! -e '$B_DIR/data/x' && test ! -e '$B_DIR/x' && test ! -e '$STORE/$LONG'"
OUT=$(dk run --rm --mount type=volume,source=../x,target=/d busybox true 2>&1)
assert_contains "--mount type=volume,source=../x is refused" "$OUT" \
    "includes invalid characters"

# --- info, df -------------------------------------------------------------------------------

assert_match "docker info lists the local volume plugin" \
    "$(dk info 2>/dev/null)" 'Volume: local'
assert_no_match "no warnings from volumes or containers" \
    "$(cat "$B_LOG")" '(warn|error) +(volumes|volume-local|containers):'
