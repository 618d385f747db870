#!/bin/bash
# t_images.sh - the images service through the real docker CLI: import
# (with --change), images and its filters, inspect, history, tag, save ->
# rmi -> load with the same ID, archives in Docker's save format and in
# the OCI layout (gzip, xz, zstd layers), hostile archives refused with
# nothing written outside the store, rmi's errors and conflicts, prune,
# system df, info, events with Docker's attributes, and a restart (also
# after kill -9 during a load) that finds the store whole.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/busybox.sh"

FIX="python3 $TESTS_DIR/images_fixtures.py"
BB=$T_TMP/busybox.tar
busybox_tarball "$BB" || { fail "busybox tarball" "no busybox-static"; exit 1; }

YAML="log-level: info
modules:
  - name: authz-noop
    required: true
  - name: images
    required: true"
# A container that uses an image, for rmi's conflicts, when the
# containers service is built.
if [ -f "$MODULE_DIR/containers.so" ] && [ -f "$MODULE_DIR/runtime-oci.so" ]
then
	YAML="$YAML
  - name: runtime-oci
    required: true
  - name: containers
    required: true"
	HAVE_CONTAINERS=1
else
	HAVE_CONTAINERS=0
fi
berth_start "$YAML" || { fail "berthd with the images module" "$(cat "$B_LOG")"; exit 1; }
DATA=$B_DIR/data

EV=$T_TMP/events.json
dk events --format '{{json .}}' >"$EV" 2>&1 &
track_pid $!
sleep 0.3

# json_get JSON PATH... - a value deep in a JSON document ("" if none).
json_get()
{
	local doc=$1

	shift
	printf '%s' "$doc" | python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    try:
        v = v[int(k)] if isinstance(v, list) else v[k]
    except (KeyError, IndexError, ValueError, TypeError):
        v = None
        break
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))' "$@"
}

# --- import, images, inspect, history, tag ----------------------------

OUT=$(dk import "$BB" busybox:latest 2>&1)
assert_match "docker import prints the image ID" "$OUT" '^sha256:[0-9a-f]{64}$'
ID=$OUT
DIFF="sha256:$(sha256sum "$BB" | cut -d' ' -f1)"

OUT=$(dk images --format '{{.Repository}}:{{.Tag}} {{.ID}}' 2>&1)
assert_contains "docker images lists busybox:latest" "$OUT" "busybox:latest ${ID:7:12}"

INS=$(dk image inspect busybox 2>&1)
assert_eq "inspect: Id" "$(json_get "$INS" 0 Id)" "$ID"
assert_eq "inspect: RepoTags" "$(json_get "$INS" 0 RepoTags)" '["busybox:latest"]'
assert_eq "inspect: the layer's diff ID is the tarball's sha256" \
    "$(json_get "$INS" 0 RootFS Layers)" "[\"$DIFF\"]"
assert_eq "inspect: Os, Architecture, GraphDriver" \
    "$(json_get "$INS" 0 Os) $(json_get "$INS" 0 Architecture) $(json_get "$INS" 0 GraphDriver Name)" \
    "linux amd64 overlay2"
assert_match "inspect: Size counts the files" "$(json_get "$INS" 0 Size)" '^[1-9][0-9]{5,}$'
assert_no_match "inspect: tagging set LastTagTime" \
    "$(json_get "$INS" 0 Metadata LastTagTime)" '^0001-'
OUT=$(dk inspect busybox --format '{{.Id}}' 2>&1)
assert_eq "docker inspect (any type) finds the image" "$OUT" "$ID"

OUT=$(dk history --no-trunc --format '{{.ID}}|{{.Comment}}' busybox 2>&1)
assert_eq "docker history: one layer, Imported from -" "$OUT" "$ID|Imported from -"

check "docker tag busybox busybox:2" dk tag busybox busybox:2
check "docker tag to a registry name" dk tag "${ID:7:12}" localhost:5000/spy/busybox:1
OUT=$(dk images --format '{{.Repository}}:{{.Tag}}' 2>&1 | sort | tr '\n' ' ')
assert_eq "docker images: the three tags" "$OUT" \
    "busybox:2 busybox:latest localhost:5000/spy/busybox:1 "
req POST '/images/busybox/tag?repo=Bad&tag=x'
assert_json_error "tag to an invalid name: Docker's 400" 400 \
    '^invalid reference format: repository name must be lowercase$'
req POST '/images/busybox/tag?repo=busybox&tag=-x'
assert_json_error "tag with an invalid tag: Docker's 400" 400 '^invalid tag format$'
req POST '/images/nope/tag?repo=x'
assert_json_error "tag of an unknown image: 404" 404 '^No such image: nope:latest$'

# --- import --change and the list filters ------------------------------

OUT=$(dk import -c 'CMD ["/bin/sh", "-c", "echo hi"]' -c 'ENV A=1 B="x y"' \
    -c 'WORKDIR /srv' -c 'EXPOSE 80 53/udp' -c 'LABEL stage=test' \
    -c 'USER www' -c 'VOLUME /data' -c 'ENTRYPOINT ["/bin/env"]' \
    -m 'with changes' "$BB" changed:1 2>&1)
assert_match "docker import -c ... -m" "$OUT" '^sha256:'
CHG=$OUT
INS=$(dk image inspect changed:1 2>&1)
assert_eq "--change CMD (exec form)" "$(json_get "$INS" 0 Config Cmd)" '["/bin/sh", "-c", "echo hi"]'
assert_eq "--change ENV" "$(json_get "$INS" 0 Config Env)" '["A=1", "B=x y"]'
assert_eq "--change WORKDIR, USER" \
    "$(json_get "$INS" 0 Config WorkingDir) $(json_get "$INS" 0 Config User)" "/srv www"
assert_eq "--change EXPOSE" "$(json_get "$INS" 0 Config ExposedPorts)" '{"80/tcp": {}, "53/udp": {}}'
assert_eq "--change LABEL, VOLUME, ENTRYPOINT" \
    "$(json_get "$INS" 0 Config Labels) $(json_get "$INS" 0 Config Volumes) $(json_get "$INS" 0 Config Entrypoint)" \
    '{"stage": "test"} {"/data": {}} ["/bin/env"]'
assert_eq "-m sets the comment" "$(json_get "$INS" 0 Comment)" "with changes"
OUT=$(dk import -c 'RUN echo no' "$BB" 2>&1)
assert_contains "--change RUN: Docker's refusal" "$OUT" "run is not a valid change command"

OUT=$(dk images --filter label=stage=test --format '{{.Repository}}:{{.Tag}}' 2>&1)
assert_eq "images --filter label=stage=test" "$OUT" "changed:1"
OUT=$(dk images --filter 'reference=busy*' --format '{{.Repository}}:{{.Tag}}' 2>&1 | sort | tr '\n' ' ')
assert_eq "images --filter reference=busy*" "$OUT" "busybox:2 busybox:latest "
OUT=$(dk images busybox:2 --format '{{.Tag}}' 2>&1)
assert_eq "docker images busybox:2" "$OUT" "2"
OUT=$(dk images --filter since=busybox --format '{{.Repository}}' 2>&1)
assert_eq "images --filter since=busybox" "$OUT" "changed"
OUT=$(dk images --filter before=changed:1 --format '{{.Repository}}' 2>&1 | sort -u | tr '\n' ' ')
assert_eq "images --filter before=changed:1" "$OUT" "busybox localhost:5000/spy/busybox "
UNTAGGED=$(dk import "$BB" 2>&1)
OUT=$(dk images --filter dangling=true --format '{{.Repository}}:{{.Tag}} {{.ID}}' 2>&1)
assert_eq "images --filter dangling=true" "$OUT" "<none>:<none> ${UNTAGGED:7:12}"
OUT=$(dk images --filter nope=1 2>&1)
assert_contains "images --filter nope=1: Docker's 400" "$OUT" "Invalid filter 'nope'"

# --- save -> rmi -> load: the same ID ----------------------------------

SAVED=$T_TMP/saved.tar
check "docker save -o x.tar busybox" dk save -o "$SAVED" busybox
OUT=$(tar -tf "$SAVED" | sed -E -e "s|^${ID:7}\\.json|<config>.json|" \
    -e 's|^[0-9a-f]{64}/|<v1>/|' | LC_ALL=C sort | tr '\n' ' ')
assert_eq "the archive is Docker's save format" "$OUT" \
    "<config>.json <v1>/ <v1>/VERSION <v1>/json <v1>/layer.tar manifest.json repositories "
OUT=$(tar -xOf "$SAVED" manifest.json)
assert_eq "manifest.json: both tags of busybox" "$(json_get "$OUT" 0 RepoTags)" \
    '["busybox:2", "busybox:latest"]'
LT=$(json_get "$OUT" 0 Layers 0)
assert_eq "layer.tar is the imported tar, byte for byte" \
    "sha256:$(tar -xOf "$SAVED" "$LT" | sha256sum | cut -d' ' -f1)" "$DIFF"
# The layer stays: changed:1 and the untagged import share it.
OUT=$(dk rmi busybox busybox:2 localhost:5000/spy/busybox:1 2>&1)
assert_eq "docker rmi: untags, then deletes" "$(printf '%s' "$OUT" | tr '\n' ' ')" \
    "Untagged: busybox:latest Untagged: busybox:2 Untagged: localhost:5000/spy/busybox:1 Deleted: $ID"
OUT=$(dk images -q --no-trunc 2>&1)
assert_no_match "the image is gone" "$OUT" "$ID"
OUT=$(dk load -i "$SAVED" 2>&1)
assert_eq "docker load -i x.tar" "$(printf '%s' "$OUT" | tr '\n' ' ')" \
    "Loaded image: busybox:2 Loaded image: busybox:latest"
OUT=$(dk image inspect busybox --format '{{.Id}}' 2>&1)
assert_eq "loaded back with the same ID" "$OUT" "$ID"
# A second save of the same image gives the same bytes.
dk save -o "$T_TMP/again.tar" busybox
assert_eq "save is reproducible" "$(sha256sum <"$T_TMP/again.tar")" "$(sha256sum <"$SAVED")"
curl -s --unix-socket "$B_SOCK" -o "$T_TMP/one.tar" -w '%{http_code} %{content_type}' \
    "http://localhost/images/${ID:7:12}/get" >"$T_TMP/one.status"
assert_eq "GET /images/{id}/get: the tar, and no repositories file for an ID" \
    "$(cat "$T_TMP/one.status") $(tar -tf "$T_TMP/one.tar" | grep -c -E '^(manifest.json|repositories)$')" \
    "200 application/x-tar 1"
req GET /images/get?names=nope:1
assert_json_error "save of an unknown tag: Docker's 404" 404 '^reference does not exist$'
check "docker save of two images in one archive" dk save -o "$T_TMP/two.tar" busybox changed:1
OUT=$(tar -xOf "$T_TMP/two.tar" manifest.json)
assert_eq "two images, one shared layer.tar" \
    "$(json_get "$OUT" 1 RepoTags) $(tar -tf "$T_TMP/two.tar" | grep -c 'layer.tar$')" '["changed:1"] 2'

# --- with a real Docker, where one is installed ---------------------------

# ref-dockerd.sh starts one on its own roots and port (never the host's);
# BERTH_NO_REF=1 skips this part.
if command -v dockerd >/dev/null 2>&1 && [ "${BERTH_NO_REF:-0}" != 1 ]; then
	. "$ROOT/bench/ref-dockerd.sh"
	trap 'ref_stop; cleanup' EXIT
	unset REF_HOST
	ref_start >/dev/null
fi
if [ -n "${REF_HOST:-}" ]; then
	rd() { "$DOCKER" -H "$REF_HOST" "$@"; }
	OUT=$(rd load -i "$SAVED" 2>&1)
	assert_eq "dockerd loads what berthd saved" "$(printf '%s' "$OUT" | tr '\n' ' ')" \
	    "Loaded image: busybox:2 Loaded image: busybox:latest"
	assert_eq "with the same ID" "$(rd image inspect busybox --format '{{.Id}}' 2>&1)" "$ID"
	RID=$(rd import "$BB" refbb:1 2>&1)
	rd save -o "$T_TMP/ref-saved.tar" refbb:1
	OUT=$(dk load -i "$T_TMP/ref-saved.tar" 2>&1)
	assert_eq "berthd loads what dockerd saved" "$OUT" "Loaded image: refbb:1"
	assert_eq "with the same ID" "$(dk image inspect refbb:1 --format '{{.Id}}' 2>&1)" "$RID"
	assert_eq "and the same layers" \
	    "$(dk image inspect refbb:1 --format '{{.RootFS.Layers}}' 2>&1)" \
	    "$(rd image inspect refbb:1 --format '{{.RootFS.Layers}}' 2>&1)"
	ref_stop
	check "docker rmi refbb:1" dk rmi refbb:1
else
	echo "# no dockerd: the round trip with a real Docker is skipped"
fi

# --- archives written elsewhere ----------------------------------------

FXID=$($FIX docker-save "$T_TMP/fixture.tar")
OUT=$(dk load -i "$T_TMP/fixture.tar" 2>&1)
assert_eq "a Docker save-format fixture (manifest.json last) loads" "$OUT" \
    "Loaded image: fixture:1"
assert_eq "its ID is its config's digest" \
    "$(dk image inspect fixture:1 --format '{{.Id}}' 2>&1)" "$FXID"
assert_eq "its labels came with it" \
    "$(dk image inspect fixture:1 --format '{{.Config.Labels.fixture}}' 2>&1)" "yes"
$FIX docker-xz "$T_TMP/fixture-xz.tar" >/dev/null
OUT=$(dk load -i "$T_TMP/fixture-xz.tar" 2>&1)
assert_eq "an xz-compressed layer.tar loads" "$OUT" "Loaded image: fixture:xz"
gzip -c "$T_TMP/fixture.tar" >"$T_TMP/fixture.tar.gz"
OUT=$(dk load -i "$T_TMP/fixture.tar.gz" 2>&1)
assert_eq "a gzip-compressed archive loads" "$OUT" "Loaded image: fixture:1"
OCIID=$($FIX oci "$T_TMP/oci.tar")
OUT=$(dk load -i "$T_TMP/oci.tar" 2>&1)
assert_eq "an OCI image layout with a gzip layer loads" "$OUT" "Loaded image: ocitest:1"
assert_eq "its ID is its config's digest" \
    "$(dk image inspect ocitest:1 --format '{{.Id}}' 2>&1)" "$OCIID"
if command -v zstd >/dev/null 2>&1; then
	$FIX oci-zstd "$T_TMP/oci-zstd.tar" >/dev/null
	OUT=$(dk load -i "$T_TMP/oci-zstd.tar" 2>&1)
	assert_eq "an OCI layout with a zstd layer loads" "$OUT" "Loaded image: ocitest:zstd"
fi
# Progress, as the CLI asks for it on a terminal.
req POST '/images/load?quiet=0' -H 'Content-Type: application/x-tar' \
    --data-binary "@$T_TMP/fixture.tar"
assert_match "load with quiet=0: Loading layer progress, then the stream line" \
    "$(printf '%s' "$BODY" | tr -d '\r' | tr '\n' ' ')" \
    '^\{"status":"Loading layer","progressDetail":\{"current":[0-9]+,"total":[0-9]+\},"progress":"\[=+>\] +[0-9.]+[kM]?B/[0-9.]+[kM]?B","id":"[0-9a-f]{12}"\} \{"stream":"Loaded image: fixture:1\\n"\}$'

# --- hostile archives -----------------------------------------------------

# Targets on the host that must never appear; /etc/passwd keeps its links.
H=$T_TMP/host
mkdir -p "$H"
PWLINKS=$(stat -c %h /etc/passwd)
for kind in escape absolute symlink symlink-rel hardlink hardlink-rel \
    huge-header truncated not-a-tar; do
	target=$H/pwned-$kind
	$FIX "$kind" "$T_TMP/h-$kind.tar" "$target"
	req POST '/images/create?fromSrc=-&repo=hostile' \
	    -H 'Content-Type: text/plain' --data-binary "@$T_TMP/h-$kind.tar"
	msg=$(json_field "$BODY" message)
	if [[ $STATUS =~ ^(400|500)$ ]] && [ -n "$msg" ] &&
	    [ "$(header Content-Type)" = application/json ]; then
		pass "import of a hostile archive ($kind) refused: $msg"
	else
		fail "import of a hostile archive ($kind) refused" "got $STATUS $BODY"
	fi
	if [ -e "$target" ] || [ -e "/${target#/}" ] ||
	    [ -n "$(ls -A "$H")" ]; then
		fail "nothing written outside the store ($kind)" "$(ls -la "$H")"
	else
		pass "nothing written outside the store ($kind)"
	fi
done
assert_eq "/etc/passwd gained no link" "$(stat -c %h /etc/passwd)" "$PWLINKS"
OUT=$(dk import "$T_TMP/h-truncated.tar" 2>&1)
assert_contains "docker import of a truncated tar: the error" "$OUT" \
    "Error processing tar file: Truncated tar archive"
$FIX hostile-load "$T_TMP/hl.tar" "$H/pwned-load" >/dev/null
OUT=$(dk load -i "$T_TMP/hl.tar" 2>&1)
RC=$?
assert_eq "docker load of an escaping layer fails" "$RC" 1
assert_contains "with the reason" "$OUT" "is outside of the layer"
req POST /images/load -H 'Content-Type: application/x-tar' \
    --data-binary "@$T_TMP/h-not-a-tar.tar"
assert_match "load of garbage: 200, then errorDetail in the stream" \
    "$STATUS $(printf '%s' "$BODY" | tr -d '\r')" \
    '^200 \{"errorDetail":\{"message":"Error processing tar file: [^"]+"\},"error":"[^"]+"\}$'
assert_eq "nothing written outside the store (load)" "$(ls -A "$H")" ""
OUT=$(dk images --format '{{.Repository}}:{{.Tag}}' | grep -c hostile)
assert_eq "no image from a hostile archive" "$OUT" 0
tmp_empty()
{
	[ -z "$(ls -A "$DATA/images/tmp")" ] && [ -z "$(ls -A "$DATA/images/trash")" ]
}
check "the store's tmp and trash are emptied" wait_for 5 tmp_empty
OUT=$(dk import "$BB" after:1 2>&1)
assert_match "the store still imports after hostile archives" "$OUT" '^sha256:'
OUT=$(dk images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')
assert_contains "and lists what it had" "$OUT" "busybox:latest changed:1 fixture:1"

# --- rmi: errors and conflicts -------------------------------------------

OUT=$(dk rmi nope 2>&1)
RC=$?
assert_eq "docker rmi nope: Docker's message" "$RC $OUT" \
    "1 Error response from daemon: No such image: nope:latest"
OUT=$(dk rmi 'Nope' 2>&1)
assert_contains "docker rmi of an invalid reference: 400's message" "$OUT" \
    "invalid reference format: repository name must be lowercase"
OUT=$(dk rmi "${ID:7:12}" 2>&1)
assert_contains "rmi by ID of an image with several tags: Docker's 409" "$OUT" \
    "conflict: unable to delete ${ID:7:12} (must be forced) - image is referenced in multiple repositories"
if [ "$HAVE_CONTAINERS" = 1 ]; then
	CID=$(dk create --name user-of-after after:1 true 2>&1)
	OUT=$(dk rmi after:1 2>&1)
	AID=$(dk image inspect after:1 --format '{{.Id}}' 2>/dev/null)
	assert_eq "rmi of an image a container uses: Docker's 409" "$OUT" \
	    "Error response from daemon: conflict: unable to remove repository reference \"after:1\" (must force) - container ${CID:0:12} is using its referenced image ${AID:7:12}"
	check "docker rm of that container" dk rm user-of-after
fi
check "docker rmi after:1" dk rmi after:1

# --- prune, df, info ---------------------------------------------------------

OUT=$(dk image prune -f 2>&1)
assert_contains "docker image prune removes the dangling image" "$OUT" "deleted: $UNTAGGED"
assert_contains "and reports the space" "$OUT" "Total reclaimed space:"
OUT=$(dk images -q --no-trunc)
assert_no_match "the dangling image is gone" "$OUT" "$UNTAGGED"
req GET /system/df
assert_eq "/system/df: 200 and every section" \
    "$STATUS $(json_get "$BODY" Containers) $(json_get "$BODY" Volumes) $(json_get "$BODY" BuildCache)" \
    "200 [] [] []"
assert_match "/system/df: LayersSize and the images" \
    "$(json_get "$BODY" LayersSize) $(printf '%s' "$BODY" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Images"]))')" \
    '^[1-9][0-9]+ [1-9][0-9]*$'
OUT=$(dk system df --format '{{.Type}} {{.TotalCount}}' 2>&1 | head -n 1)
assert_match "docker system df" "$OUT" '^Images [1-9]'
OUT=$(dk info --format '{{.Driver}} {{.Images}} {{index .DriverStatus 0 0}}' 2>&1)
assert_match "docker info: overlay2, the image count, DriverStatus" "$OUT" \
    '^overlay2 [1-9][0-9]* Backing Filesystem$'

# --- events -----------------------------------------------------------------

# ev ACTION [JQ-LIKE CHECK] - an image event with the given action.
ev_has()
{
	python3 - "$EV" "$@" <<'EOF'
import json, sys
path, action, actor, name = sys.argv[1:5]
for line in open(path):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("Type") != "image" or e.get("Action") != action:
        continue
    a = e["Actor"]
    if actor and a["ID"] != actor:
        continue
    if name and a["Attributes"].get("name") != name:
        continue
    if action != "prune" and (e.get("status") != action or e.get("id") != a["ID"]):
        continue
    sys.exit(0)
sys.exit(1)
EOF
}
check "events: import (Actor sha256:ID, name the ID)" wait_for 3 ev_has import "$ID" "$ID"
check "events: tag (name the new tag)" wait_for 3 ev_has tag "$ID" "busybox:2"
check "events: tag of a registry name" wait_for 3 ev_has tag "$ID" "localhost:5000/spy/busybox:1"
check "events: untag (name the ID, not the tag)" wait_for 3 ev_has untag "$ID" "$ID"
check "events: delete" wait_for 3 ev_has delete "$ID" "$ID"
check "events: load" wait_for 3 ev_has load "$ID" "$ID"
check "events: save" wait_for 3 ev_has save "$ID" "$ID"
check "events: prune with reclaimed" wait_for 3 ev_has prune "" ""
OUT=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("Action") == "import" and e["Actor"]["ID"] == sys.argv[2]:
        print(e["Actor"]["Attributes"].get("stage", "")); break' "$EV" "$CHG")
assert_eq "events: the image's labels are in the attributes" "$OUT" "test"

# --- restarts -----------------------------------------------------------------

# restart [-9] - stop berthd (kill -9 with -9) and start it on the same
# root.  Not through check: it must set B_PID in this shell.
restart()
{
	if [ "${1:-}" = -9 ]; then
		kill -KILL "$B_PID"
		wait "$B_PID" 2>/dev/null
		rm -f "$B_PIDFILE"
	else
		berth_stop
	fi
	berth_exec
	wait_ping "$B_SOCK" 10
}

BEFORE=$(dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
if restart; then
	pass "berthd restarts on its store"
else
	fail "berthd restarts on its store" "$(tail -n 5 "$B_LOG")"
fi
AFTER=$(dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
assert_eq "the same images after a restart" "$AFTER" "$BEFORE"

# A load killed half-way: a big layer arriving slowly.
head -c $((48 << 20)) /dev/urandom >"$T_TMP/big.bin"
tar -C "$T_TMP" -cf "$T_TMP/big-layer.tar" big.bin
python3 - "$T_TMP/big-layer.tar" "$T_TMP/big.tar" <<'EOF'
import hashlib, io, json, sys, tarfile
layer = open(sys.argv[1], "rb").read()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "created": "2024-01-01T00:00:00Z", "rootfs": {"type": "layers",
    "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
with tarfile.open(sys.argv[2], "w") as tf:
    for name, data in (("big/layer.tar", layer), ("c.json", cfg),
            ("manifest.json", json.dumps([{"Config": "c.json",
            "RepoTags": ["big:1"], "Layers": ["big/layer.tar"]}]).encode())):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
EOF
curl -s --limit-rate 4M --unix-socket "$B_SOCK" -H 'Content-Type: application/x-tar' \
    --data-binary "@$T_TMP/big.tar" http://localhost/images/load >/dev/null 2>&1 &
track_pid $!
in_tmp()
{
	[ -n "$(ls -A "$DATA/images/tmp")" ]
}
check "a slow load is under way" wait_for 5 in_tmp
OLD_PID=$B_PID
if restart -9 && ! kill -0 "$OLD_PID" 2>/dev/null; then
	pass "berthd comes back after kill -9 during a load"
else
	fail "berthd comes back after kill -9 during a load" "$(tail -n 5 "$B_LOG")"
fi
OUT=$(dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
assert_eq "the store after kill -9: the same images, none half-loaded" "$OUT" "$BEFORE"
check "tmp is cleared at start" wait_for 5 tmp_empty
OUT=$(dk load -i "$T_TMP/big.tar" 2>&1)
assert_eq "the big archive loads afterwards" "$OUT" "Loaded image: big:1"
check "docker rmi big:1" dk rmi big:1
