#!/bin/bash
# t_registry.sh - images and registries through the real docker CLI,
# against Debian's docker-registry started here on loopback ports (no
# internet): docker push to a plain-HTTP registry, its blobs and
# manifest as the registry API shows them, a second push finding its
# layers there, RepoDigests; docker login with good and bad passwords
# and a push with the stored credentials to a registry behind htpasswd;
# the errors of a missing tag and of a registry that is down.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

command -v docker-registry >/dev/null 2>&1 ||
    { fail "docker-registry" "not installed (make deps)"; exit 1; }
command -v htpasswd >/dev/null 2>&1 ||
    { fail "htpasswd" "not installed (make deps)"; exit 1; }

free_port()
{
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# registry NAME [AUTH-YAML] - start one on a free port; sets REG.
registry()
{
	local port dir=$T_TMP/$1

	port=$(free_port)
	mkdir -p "$dir/data"
	{
		echo "version: 0.1"
		echo "log: {level: warn}"
		echo "storage: {filesystem: {rootdirectory: $dir/data}}"
		echo "http: {addr: 127.0.0.1:$port}"
		[ -n "${2:-}" ] && echo "$2"
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	track_pid $!
	REG=127.0.0.1:$port
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "http://$REG/v2/" && return 0
		sleep 0.1
	done
	fail "registry $1 started" "$(cat "$dir/log")"
	exit 1
}

busybox_daemon

# --- push to a plain-HTTP registry ------------------------------------------

registry plain
PLAIN=$REG
check "docker tag busybox $PLAIN/t/busybox:1" dk tag busybox "$PLAIN/t/busybox:1"
OUT=$(dk push "$PLAIN/t/busybox:1" 2>&1)
assert_contains "docker push: the repository" "$OUT" \
    "The push refers to repository [$PLAIN/t/busybox]"
assert_match "docker push: the layer pushed" "$OUT" '^[0-9a-f]{12}: Pushed$'
DIGEST=$(printf '%s\n' "$OUT" | sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) size: [0-9]*$/\1/p')
assert_match "docker push: Docker's closing line, digest and size" "$DIGEST" \
    '^sha256:[0-9a-f]{64}$'
assert_eq "the registry lists the tag" \
    "$(curl -s "http://$PLAIN/v2/t/busybox/tags/list")" \
    '{"name":"t/busybox","tags":["1"]}'
assert_eq "the manifest's digest is the one printed" \
    "$(curl -sI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$PLAIN/v2/t/busybox/manifests/1" | tr -d '\r' |
    sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')" "$DIGEST"
CONFIG=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$PLAIN/v2/t/busybox/manifests/1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')
assert_eq "its config blob is the image (the ID is its digest)" "$CONFIG" \
    "$(dk image inspect -f '{{.Id}}' busybox)"
LAYER=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$PLAIN/v2/t/busybox/manifests/1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
assert_eq "a layer blob's digest is the layer's diff ID" "$LAYER" \
    "$(dk image inspect -f '{{index .RootFS.Layers 0}}' busybox)"
assert_eq "the layer blob is there, whole" \
    "$(curl -s "http://$PLAIN/v2/t/busybox/blobs/$LAYER" | sha256sum | cut -c1-64)" \
    "${LAYER#sha256:}"
assert_contains "RepoDigests has the pushed digest" \
    "$(dk image inspect -f '{{json .RepoDigests}}' busybox)" "$PLAIN/t/busybox@$DIGEST"
OUT=$(dk push "$PLAIN/t/busybox:1" 2>&1)
assert_match "a second push finds the layer there" "$OUT" \
    '^[0-9a-f]{12}: Layer already exists$'
dk tag busybox "$PLAIN/t/busybox:2" >/dev/null
OUT=$(dk push --all-tags "$PLAIN/t/busybox" 2>&1)
assert_contains "push --all-tags: both tags" "$OUT" "2: digest: $DIGEST"
assert_eq "the registry lists both" \
    "$(curl -s "http://$PLAIN/v2/t/busybox/tags/list" |
    python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)["tags"]))')" \
    "['1', '2']"

OUT=$(dk push "$PLAIN/t/nothere:1" 2>&1)
assert_contains "a tag that does not exist here" "$OUT" "tag does not exist"
DOWN=127.0.0.1:$(free_port)
dk tag busybox "$DOWN/t/busybox:1" >/dev/null
OUT=$(dk push "$DOWN/t/busybox:1" 2>&1)
assert_contains "a registry that is down: the error in the stream" "$OUT" \
    "Couldn't connect to server"
req GET /_ping
assert_eq "/_ping answers after all that" "$STATUS" 200

# --- login and a registry behind htpasswd ----------------------------------------

htpasswd -Bbn alice s3cret >"$T_TMP/htpasswd" 2>/dev/null
registry auth "auth: {htpasswd: {realm: berth-test, path: $T_TMP/htpasswd}}"
AUTH=$REG
dk tag busybox "$AUTH/t/busybox:1" >/dev/null
OUT=$(dk push "$AUTH/t/busybox:1" 2>&1)
assert_contains "push without credentials: refused" "$OUT" "no basic auth credentials"
OUT=$(echo wrong | dk login -u alice --password-stdin "$AUTH" 2>&1)
assert_contains "docker login with a bad password: refused" "$OUT" "401 Unauthorized"
OUT=$(echo s3cret | dk login -u alice --password-stdin "$AUTH" 2>&1)
assert_contains "docker login with the right one" "$OUT" "Login Succeeded"
OUT=$(dk push "$AUTH/t/busybox:1" 2>&1)
assert_contains "push with the stored credentials" "$OUT" "1: digest: sha256:"
assert_no_match "berthd kept no password" "$(grep -rl s3cret "$B_DIR" 2>/dev/null)" .
