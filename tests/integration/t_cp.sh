#!/bin/bash
# t_cp.sh - docker cp and docker export through the real docker CLI:
# a file and a directory in and out of a running, a created and an
# exited container (content and mode), the ctr:/dir/. form, cp into a
# volume and a bind mount (seen by the next container), the symlink
# escapes (/lnk -> /, /up -> ../../..) acting inside the container with
# the host untouched, Docker's errors (missing path, no path, not a
# directory, read-only rootfs and volume), hostile tars PUT by curl,
# an exited container's volume, bind, read-only bind and /etc files
# (the mount tree every kernel from 6.1 on builds, nothing of it left
# on the host, a start in the middle of a copy), export | tar t, the
# rootfs of a stopped container left unmounted, the events, and /_ping
# answering during a big copy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

if [ ! -f "$MODULE_DIR/images.so" ] || [ ! -f "$MODULE_DIR/volumes.so" ]; then
	fail "modules" "images.so and volumes.so must be built"
	exit 1
fi
busybox_daemon -m volume-local -m volumes

T0=$(date +%s)
U=berth-cp-$$-$RANDOM		# names no one else makes on the host
SRC=$T_TMP/src
mkdir -p "$SRC/dir/sub" "$SRC/$U-dir"
echo one >"$SRC/dir/a"
echo two >"$SRC/dir/sub/b"
chmod 0750 "$SRC/dir/sub"
echo f >"$SRC/file"
chmod 0640 "$SRC/file"
echo u >"$SRC/$U-dir/inside"
BIND=$T_TMP/bind
mkdir -p "$BIND"

# mode_of PATH - octal permissions of a host file.
mode_of()
{
	stat -c %a "$1" 2>/dev/null
}

# unmounted_under DIR - wait up to 2 s for berthd's namespace to have
# no mount at or under DIR (an exit or a copy unmounts once answered).
unmounted_under()
{
	local n=0

	while awk -v d="$1" '$5 == d || index($5, d "/") == 1 { f = 1 }
	    END { exit !f }' "/proc/$B_PID/mountinfo"; do
		[ $n -ge 40 ] && return 1
		sleep 0.05
		n=$((n + 1))
	done
}

check "a running container with a volume and a bind" \
    dk run -d --name run -v cpvol:/vol -v "$BIND:/bind" busybox sleep 300

# --- in and out of a running container ----------------------------------------

check "docker cp FILE run:/tmp/" dk cp "$SRC/file" run:/tmp/
assert_eq "the file is in the container" "$(dk exec run cat /tmp/file)" f
assert_eq "with its mode" "$(dk exec run stat -c %a /tmp/file)" 640
check "docker cp DIR run:/tmp/" dk cp "$SRC/dir" run:/tmp/
assert_eq "the directory's files are in" "$(dk exec run cat /tmp/dir/sub/b)" two
assert_eq "a directory keeps its mode" \
    "$(dk exec run stat -c %a /tmp/dir/sub)" 750
check "docker cp DIR run:/tmp/newname" dk cp "$SRC/dir" run:/tmp/newname
assert_eq "DIR to a new name: its content under that name" \
    "$(dk exec run cat /tmp/newname/a)" one

check "docker cp run:/etc/hostname FILE" dk cp run:/etc/hostname "$T_TMP/h"
assert_eq "the container's /etc/hostname (its own mount)" \
    "$(cat "$T_TMP/h" 2>&1)" "$(dk exec run hostname)"
check "docker cp run:/tmp/dir DIR" dk cp run:/tmp/dir "$T_TMP/out"
assert_eq "a directory out: its files" "$(cat "$T_TMP/out/sub/b" 2>&1)" two
assert_eq "a directory out: its modes" "$(mode_of "$T_TMP/out/sub")" 750
assert_eq "a file out: its mode" "$(mode_of "$T_TMP/out/a")" \
    "$(mode_of "$SRC/dir/a")"
mkdir -p "$T_TMP/dot" "$T_TMP/nodot"
check "docker cp run:/tmp/dir/. EXISTING" dk cp run:/tmp/dir/. "$T_TMP/dot"
check "docker cp run:/tmp/dir EXISTING" dk cp run:/tmp/dir "$T_TMP/nodot"
if [ -f "$T_TMP/dot/a" ] && [ ! -e "$T_TMP/dot/dir" ] &&
    [ -f "$T_TMP/nodot/dir/a" ] && [ ! -e "$T_TMP/nodot/a" ]; then
	pass "ctr:/dir/. copies the content, ctr:/dir the directory"
else
	fail "ctr:/dir/. copies the content, ctr:/dir the directory" \
	    "$(cd "$T_TMP" && find dot nodot)"
fi
OUT=$(dk cp run:/tmp/dir - | tar tf - | sort | tr '\n' ' ')
assert_eq "docker cp run:/tmp/dir - : Docker's names" "$OUT" \
    "dir/ dir/a dir/sub/ dir/sub/b "
OUT=$(dk cp run:/tmp/dir/. - | tar tf - | sort | tr '\n' ' ')
assert_eq "docker cp run:/tmp/dir/. - : Docker's names" "$OUT" \
    "./ ./a ./sub/ ./sub/b "

check "docker pause run" dk pause run
assert_eq "a file out of a paused container" \
    "$(dk cp run:/tmp/file - | tar xOf - 2>&1)" f
check "docker unpause run" dk unpause run
cp "$SRC/file" "$T_TMP/owned"
chown 1234:2345 "$T_TMP/owned"
check "docker cp FILE (owned 1234:2345) run:/tmp/" dk cp "$T_TMP/owned" run:/tmp/
assert_eq "without -a the archive's owner is kept" \
    "$(dk exec run stat -c %u:%g /tmp/owned)" 1234:2345
check "a container whose user is www" dk create --name www -u www busybox true
check "docker cp -a FILE www:/tmp/" dk cp -a "$T_TMP/owned" www:/tmp/
assert_match "with -a the container user owns it (copyUIDGID)" \
    "$(dk cp www:/tmp/owned - | tar tvf - 2>&1)" '^-rw-r----- 33/33 '

check "docker cp FILE run:/vol/ (a volume)" dk cp "$SRC/file" run:/vol/in-vol
assert_eq "cp into a volume lands in the volume" \
    "$(dk run --rm -v cpvol:/v busybox cat /v/in-vol 2>&1)" f
check "docker cp FILE run:/bind/ (a bind mount)" \
    dk cp "$SRC/file" run:/bind/in-bind
assert_eq "cp into a bind mount lands in its source" \
    "$(cat "$BIND/in-bind" 2>&1)" f

# --- stopped containers -----------------------------------------------------------

check "a created container" dk create --name made -v cpvol:/vol busybox true
MERGED=$(dk inspect -f '{{.GraphDriver.Data.MergedDir}}' made)
check "docker cp FILE made:/tmp/sfile (created)" \
    dk cp "$SRC/file" made:/tmp/sfile
check "docker cp DIR made:/ (created)" dk cp "$SRC/dir" made:/
OUT=$(dk cp made:/tmp/sfile - | tar xOf - 2>&1)
assert_eq "a file back out of a created container" "$OUT" f
OUT=$(dk cp made:/dir/sub - | tar tvf - 2>&1 | awk '$NF == "sub/" { print $1 }')
assert_eq "a directory's mode through a created container" "$OUT" drwxr-x---
assert_eq "the volume through a created container" \
    "$(dk cp made:/vol/in-vol - | tar xOf - 2>&1)" f
check "docker cp FILE made:/vol/ (created)" \
    dk cp "$SRC/file" made:/vol/from-made
assert_eq "cp into a stopped container's volume lands in the volume" \
    "$(dk run --rm -v cpvol:/v busybox cat /v/from-made 2>&1)" f
if [ -n "$MERGED" ] && unmounted_under "$MERGED"; then
	pass "a created container's rootfs is left unmounted after cp"
else
	fail "a created container's rootfs is left unmounted after cp" \
	    "$MERGED" "$(grep -F "$MERGED" /proc/mounts)"
fi
assert_eq "and it runs with what was copied in" \
    "$(dk start -a made >/dev/null 2>&1; dk cp made:/dir/sub/b - | tar xOf -)" two

check "an exited container" \
    dk run --name gone busybox sh -c 'echo bye >/tmp/x'
assert_eq "a file out of an exited container" \
    "$(dk cp gone:/tmp/x - | tar xOf - 2>&1)" bye

# --- symlinks resolve inside the container -------------------------------------------

check "symlinks to / and ../../.. in the container" \
    dk exec run sh -c 'ln -s / /lnk && ln -s ../../.. /up'
check "docker cp FILE run:/lnk/tmp/NEW" dk cp "$SRC/file" "run:/lnk/tmp/$U"
if [ ! -e "/tmp/$U" ] && [ "$(dk exec run cat "/tmp/$U" 2>&1)" = f ]; then
	pass "through /lnk: in the container's /tmp, not the host's"
else
	fail "through /lnk: in the container's /tmp, not the host's" \
	    "$(ls -l "/tmp/$U" 2>&1)"
fi
check "docker cp run:/up/etc/hostname FILE" \
    dk cp run:/up/etc/hostname "$T_TMP/up-hostname"
assert_eq "through /up: the container's /etc/hostname, not the host's" \
    "$(cat "$T_TMP/up-hostname" 2>&1)" "$(dk exec run hostname)"
check "docker cp DIR run:/up/" dk cp "$SRC/$U-dir" run:/up/
if [ ! -e "/$U-dir" ] && [ ! -e "/tmp/$U-dir" ] &&
    [ "$(dk exec run cat "/$U-dir/inside" 2>&1)" = u ]; then
	pass "a directory through /up: in the container's root"
else
	fail "a directory through /up: in the container's root" \
	    "$(ls -ld "/$U-dir" "/tmp/$U-dir" 2>&1)"
fi
ln -s / "$SRC/lnk"
check "docker cp SYMLINK made:/ (a stopped container)" dk cp "$SRC/lnk" made:/
check "docker cp FILE made:/lnk/tmp/NEW" dk cp "$SRC/file" "made:/lnk/tmp/$U-s"
if [ ! -e "/tmp/$U-s" ] &&
    [ "$(dk cp "made:/tmp/$U-s" - | tar xOf - 2>&1)" = f ]; then
	pass "through a stopped container's /lnk: inside it"
else
	fail "through a stopped container's /lnk: inside it" \
	    "$(ls -l "/tmp/$U-s" 2>&1)"
fi
check "a symlink to a file in the container" \
    dk exec run ln -s /etc/hostname /hn
check "docker cp run:/hn (the link itself)" dk cp run:/hn "$T_TMP/hn"
assert_eq "without -L the symlink is copied" "$(readlink "$T_TMP/hn")" \
    /etc/hostname
check "docker cp -L run:/hn (followed in the container)" \
    dk cp -L run:/hn "$T_TMP/hnL"
assert_eq "with -L the file it leads to, in the container" \
    "$(cat "$T_TMP/hnL" 2>&1)" "$(dk exec run hostname)"
req HEAD "/v1.41/containers/run/archive?path=/lnk"
STAT=$(header X-Docker-Container-Path-Stat | base64 -d 2>/dev/null)
assert_match "HEAD archive: a symlink's stat (Go's mode bits, target)" \
    "$STAT" '^\{"name":"lnk","size":1,"mode":134218239,"mtime":"[0-9T:.Z-]+","linkTarget":"/"\}$'
req HEAD "/v1.41/containers/run/archive?path=/tmp/dir"
assert_match "HEAD archive: a directory's stat" \
    "$(header X-Docker-Container-Path-Stat | base64 -d 2>/dev/null)" \
    '"name":"dir",.*"mode":2147484141,'

# --- Docker's errors ------------------------------------------------------------------

OUT=$(dk cp run:/nope "$T_TMP/nope" 2>&1)
RC=$?
assert_eq "docker cp of a missing path exits 1" "$RC" 1
assert_contains "... with Docker's words" "$OUT" \
    "Could not find the file /nope in container run"
req GET "/v1.41/containers/run/archive?path=/nope"
assert_json_error "GET archive of a missing path: 404, Docker's words" 404 \
    '^Could not find the file /nope in container run$'
req HEAD "/v1.41/containers/run/archive?path=/nope"
assert_eq "HEAD archive of a missing path: 404" "$STATUS" 404
req GET "/v1.41/containers/run/archive"
assert_json_error "archive without path: 400" 400 \
    '^bad parameter: pathcannot be empty$'
req GET "/v1.41/containers/nosuch/archive?path=/"
assert_json_error "archive of no such container: 404" 404 \
    '^No such container: nosuch$'
tar -C "$SRC" -cf "$T_TMP/file.tar" file
req PUT "/v1.41/containers/run/archive?path=/etc/hostname" \
    -H 'Content-Type: application/x-tar' --data-binary "@$T_TMP/file.tar"
assert_json_error "PUT into a file: 400" 400 \
    '^extraction point is not a directory$'
req PUT "/v1.41/containers/run/archive?path=/nope" \
    -H 'Content-Type: application/x-tar' --data-binary "@$T_TMP/file.tar"
assert_json_error "PUT into a missing directory: 404" 404 \
    '^Could not find the file /nope in container run$'
check "a read-only container with a read-only volume" \
    dk run -d --name ro --read-only -v cpvol:/rovol:ro busybox sleep 300
OUT=$(dk cp "$SRC/file" ro:/tmp/ 2>&1)
assert_contains "cp into a read-only rootfs: Docker's words" "$OUT" \
    "container rootfs is marked read-only"
OUT=$(dk cp "$SRC/file" ro:/rovol/ 2>&1)
assert_contains "cp into a read-only volume: Docker's words" "$OUT" \
    "mounted volume is marked read-only"
dk rm -f ro >/dev/null 2>&1

# --- hostile archives -------------------------------------------------------------------

# put_tar NAME SPEC... - PUT a tar made by python (one entry per SPEC:
# f:NAME, l:NAME:TARGET symlink, h:NAME:TARGET hardlink) into run:/tmp
# (or $PUT_TO:/tmp).
put_tar()
{
	python3 - "$T_TMP/evil.tar" "$@" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
    for spec in sys.argv[2:]:
        kind, rest = spec.split(":", 1)
        i = tarfile.TarInfo(rest.split(":")[0])
        if kind == "f":
            i.size = 4
            t.addfile(i, io.BytesIO(b"evil"))
            continue
        i.type = tarfile.SYMTYPE if kind == "l" else tarfile.LNKTYPE
        i.linkname = rest.split(":", 1)[1]
        t.addfile(i)
EOF
	req PUT "/v1.41/containers/${PUT_TO:-run}/archive?path=/tmp" \
	    -H 'Content-Type: application/x-tar' --data-binary "@$T_TMP/evil.tar"
}

put_tar "f:../$U-dd"
assert_match "a name that climbs out of the destination is refused" \
    "$STATUS $BODY" '^500 .*is outside of'
if [ ! -e "/$U-dd" ] && ! dk exec run test -e "/$U-dd"; then
	pass "... and wrote nothing, on the host or in the container"
else
	fail "... and wrote nothing, on the host or in the container"
fi
# As Go's filepath.Join (Docker's), ".." stops at "/": back under /tmp.
put_tar "f:../../../../../../../../tmp/$U-deep"
if [ "$STATUS" = 200 ] && [ ! -e "/tmp/$U-deep" ] &&
    dk exec run test -f "/tmp/$U-deep"; then
	pass "a ../../.. name stops at the container's root, as Docker's"
else
	fail "a ../../.. name stops at the container's root, as Docker's" \
	    "$STATUS $BODY"
fi
put_tar "f:/tmp/$U-abs"
assert_eq "an absolute name is taken under the destination" "$STATUS" 200
if [ ! -e "/tmp/$U-abs" ] && dk exec run test -f "/tmp/tmp/$U-abs"; then
	pass "an absolute name lands under the destination, not on the host"
else
	fail "an absolute name lands under the destination, not on the host"
fi
put_tar "l:esc:/" "f:esc/tmp/$U-sym"
assert_eq "a symlink to / then a write through it" "$STATUS" 200
if [ ! -e "/tmp/$U-sym" ] && dk exec run test -f "/tmp/$U-sym"; then
	pass "symlink-then-write stays in the container's root"
else
	fail "symlink-then-write stays in the container's root" \
	    "$(ls -l "/tmp/$U-sym" 2>&1)"
fi
put_tar "l:up2:../" "f:up2/tmp/$U-rel"
assert_match "a symlink climbing out of the destination is refused" \
    "$STATUS $BODY" '^500 .*invalid symlink'
[ ! -e "/tmp/$U-rel" ] && pass "... and wrote nothing on the host" ||
    fail "... and wrote nothing on the host"
put_tar "h:hl:../../../../../../../../etc/passwd"
assert_match "a hard link to outside is refused" "$STATUS $BODY" \
    '^500 .*invalid hardlink'
put_tar "h:hl2:/etc/passwd"
if [ "$STATUS" != 200 ] && ! dk exec run test -e /tmp/hl2; then
	pass "a hard link to an absolute name outside the archive is refused"
else
	fail "a hard link to an absolute name outside the archive is refused" \
	    "$STATUS $BODY"
fi

# --- a stopped container's mounts, as every kernel from 6.1 builds them ---

RO=$T_TMP/robind
mkdir -p "$RO"
echo r >"$RO/r"
check "an exited container with a volume, a bind and a read-only bind" \
    dk run --name ran -h ranhost -v cpvol2:/vol -v "$BIND:/bind" \
    -v "$RO:/ro:ro" busybox true
RAN=$(dk inspect -f '{{.GraphDriver.Data.MergedDir}}' ran)
[ -n "$RAN" ] || fail "ran's rootfs" "no GraphDriver.Data.MergedDir"

assert_eq "its /etc/hostname out: the file mounted there, not the image's" \
    "$(dk cp ran:/etc/hostname - | tar xOf - 2>&1)" ranhost
check "docker cp FILE ran:/vol/ (exited)" dk cp "$SRC/file" ran:/vol/from-ran
assert_eq "... lands in the volume" \
    "$(dk run --rm -v cpvol2:/v busybox cat /v/from-ran 2>&1)" f
check "docker cp FILE ran:/bind/ (exited)" dk cp "$SRC/file" ran:/bind/from-ran
assert_eq "... lands in the bind's source" "$(cat "$BIND/from-ran" 2>&1)" f
assert_eq "a read-only bind's file out of an exited container" \
    "$(dk cp ran:/ro/r - | tar xOf - 2>&1)" r
OUT=$(dk cp "$SRC/file" ran:/ro/ 2>&1)
assert_contains "cp into its read-only bind: Docker's words" "$OUT" \
    "mounted volume is marked read-only"
# Past Docker's check (a symlink in the archive), the mount says no.
PUT_TO=ran put_tar "l:rolnk:/ro" "f:rolnk/$U-w"
if [ "$STATUS" != 200 ] && [ ! -e "$RO/$U-w" ]; then
	pass "the read-only bind is read-only in the copy's tree"
else
	fail "the read-only bind is read-only in the copy's tree" \
	    "$STATUS $BODY" "$(ls "$RO")"
fi
OUT=$(dk cp ran:/ - | tar tf - 2>&1)
assert_contains "docker cp ran:/ - : its volume in the tar" "$OUT" vol/from-ran
assert_contains "... its bind" "$OUT" bind/from-ran
check "nothing left mounted on or in its rootfs on the host" \
    unmounted_under "$RAN"
check "an exited container that has run twice" dk start -a ran
assert_eq "... still copies its /etc/hostname" \
    "$(dk cp ran:/etc/hostname - | tar xOf - 2>&1)" ranhost
# A start while a copy of the stopped container streams: both go on.
head -c $((64 << 20)) /dev/urandom >"$T_TMP/mid" 2>/dev/null
check "64 MB into the exited container" dk cp "$T_TMP/mid" ran:/tmp/mid
dk cp ran:/tmp/mid "$T_TMP/mid.out" &
CP=$!
check "docker start during a copy out of it" dk start ran
wait "$CP"
assert_eq "the copy ends well" "$?" 0
check "... with the same bytes" cmp "$T_TMP/mid" "$T_TMP/mid.out"
dk wait ran >/dev/null 2>&1
assert_eq "and the container ran meanwhile (exit 0)" \
    "$(dk inspect -f '{{.State.ExitCode}}' ran 2>&1)" 0
rm -f "$T_TMP/mid" "$T_TMP/mid.out"
check "... nor after it all" unmounted_under "$RAN"

# --- export -------------------------------------------------------------------------------

dk export run | tar tf - >"$T_TMP/export.list" 2>&1
check "docker export | tar t lists the root filesystem" \
    grep -qx bin/busybox "$T_TMP/export.list"
check "... with what was copied in" grep -qx tmp/dir/sub/b "$T_TMP/export.list"
assert_no_match "... but not the volumes" "$(cat "$T_TMP/export.list")" in-vol
assert_no_match "... and no ./ prefix or root entry" \
    "$(head -n 1 "$T_TMP/export.list")" '^\.(/|$)'
check "... with the init layer's /.dockerenv, as Docker's" \
    grep -qx .dockerenv "$T_TMP/export.list"
dk export made | tar tf - >"$T_TMP/export.list" 2>&1
check "docker export of a stopped container" \
    grep -qx tmp/sfile "$T_TMP/export.list"
if [ -n "$MERGED" ] && unmounted_under "$MERGED"; then
	pass "export leaves a stopped container's rootfs unmounted"
else
	fail "export leaves a stopped container's rootfs unmounted"
fi

# --- the whole root of a running container ---------------------------------------------

OUT=$(dk cp run:/ - | tar tf - 2>&1)
RC=$?
assert_eq "docker cp run:/ - : a whole tar" "$RC" 0
assert_contains "... with the container's files" "$OUT" "/tmp/dir/sub/b"
assert_contains "... /proc as a directory" "$OUT" "/proc/"
assert_no_match "... but not the kernel's files in it" "$OUT" '^/proc/.'

# --- file capabilities travel, as in Docker's tars ----------------------------------------

if python3 -c 'import os, struct, sys
os.setxattr(sys.argv[1], "security.capability",
    struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0))' "$SRC/file" 2>/dev/null; then
	check "docker cp a file with a capability in and out" sh -c \
	    "$DOCKER -H unix://$B_SOCK cp '$SRC/file' run:/tmp/capfile &&
	    $DOCKER -H unix://$B_SOCK cp run:/tmp/capfile '$T_TMP/capfile'"
	assert_eq "security.capability kept both ways" \
	    "$(python3 -c 'import os, sys
print(os.getxattr(sys.argv[1], "security.capability").hex())' "$T_TMP/capfile" 2>&1)" \
	    "$(python3 -c 'import os, sys
print(os.getxattr(sys.argv[1], "security.capability").hex())' "$SRC/file")"
fi

# --- a big copy does not stall the daemon -------------------------------------------------

head -c $((256 << 20)) /dev/urandom >"$T_TMP/big" 2>/dev/null
dk cp "$T_TMP/big" run:/tmp/big &
CP=$!
PINGS=0 SLOW=0
while kill -0 "$CP" 2>/dev/null; do
	t=$(date +%s%N)
	# A ping that timed out counts as slow, not as nothing.
	if [ "$(curl -s --max-time 2 --unix-socket "$B_SOCK" http://localhost/_ping)" = OK ]; then
		PINGS=$((PINGS + 1))
		[ $(( ($(date +%s%N) - t) / 1000000 )) -gt 1000 ] && SLOW=$((SLOW + 1))
	else
		SLOW=$((SLOW + 1))
	fi
	sleep 0.05
done
wait "$CP"
assert_eq "a 256 MB cp in" "$?" 0
assert_eq "/_ping answered fast during it ($PINGS pings)" "$SLOW" 0
check "... and was asked at all" test "$PINGS" -gt 0
dk cp run:/tmp/big "$T_TMP/big.out"
check "a 256 MB cp out, the same bytes" cmp "$T_TMP/big" "$T_TMP/big.out"
rm -f "$T_TMP/big" "$T_TMP/big.out"

# --- events ---------------------------------------------------------------------------------

EV=$(dk events --since "$T0" --until "$(date +%s.%N)" --filter container=run \
    --format '{{.Action}}' 2>&1 | sort -u | tr '\n' ' ')
assert_contains "event archive-path" "$EV" "archive-path"
assert_contains "event extract-to-dir" "$EV" "extract-to-dir"
assert_contains "event export" "$EV" "export"
