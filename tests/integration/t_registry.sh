#!/bin/bash
# t_registry.sh - images and registries through the real docker CLI,
# against Debian's docker-registry started here on loopback ports (no
# internet): docker push to a plain-HTTP registry, its blobs and
# manifest as the registry API shows them, a second push finding its
# layers there, RepoDigests; docker pull by tag and by digest, of
# shared and new layers, a 404 for an unknown tag, a tampered blob
# refused with nothing kept; docker login with good and bad passwords
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

# registry NAME [AUTH-YAML [TLS]] - start one on a free port; sets REG.
# TLS: a certificate and key, TLS.crt and TLS.key.
registry()
{
	local port dir=$T_TMP/$1 tls="" scheme=http

	port=$(free_port)
	mkdir -p "$dir/data"
	if [ -n "${3:-}" ]; then
		tls=", tls: {certificate: $3.crt, key: $3.key}"
		scheme=https
	fi
	{
		echo "version: 0.1"
		echo "log: {level: warn}"
		echo "storage: {filesystem: {rootdirectory: $dir/data}}"
		echo "http: {addr: 127.0.0.1:$port$tls}"
		[ -n "${2:-}" ] && echo "$2"
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	track_pid $!
	REG=127.0.0.1:$port
	for _ in $(seq 1 50); do
		curl -sk -o /dev/null "$scheme://$REG/v2/" && return 0
		sleep 0.1
	done
	fail "registry $1 started" "$(cat "$dir/log")"
	exit 1
}

CERTS=$T_TMP/certs.d
IMAGES_CONF="      certs-dir: $CERTS"
[ -f "$MODULE_DIR/builder.so" ] && AFTER_CONTAINERS="  - name: builder
    required: true"
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
req GET "/v1.41/distribution/$PLAIN/t/busybox:1/json"
assert_eq "GET /distribution/{name}/json: the manifest's descriptor" \
    "$STATUS $(printf '%s' "$BODY" | python3 -c 'import json,sys; d=json.load(sys.stdin)["Descriptor"]; print(d["digest"], d["mediaType"])')" \
    "200 $DIGEST application/vnd.docker.distribution.manifest.v2+json"
assert_contains "... and its platform, from the config" "$BODY" \
    "\"Platforms\":[{\"architecture\":\"$(dk image inspect -f '{{.Architecture}}' busybox)\",\"os\":\"linux\"}]"
req GET "/v1.41/distribution/$PLAIN/t/nothere:1/json"
assert_json_error "... 404 for what the registry does not have" 404 \
    "manifest unknown"
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

# --- pull: by tag, by digest, what is there already, what is wrong -------------

check "make a second image: busybox and one layer more" \
    dk run --name mk busybox sh -c 'echo layer-two > /f'
check "docker commit it as $PLAIN/t/two:1" dk commit mk "$PLAIN/t/two:1"
dk rm mk >/dev/null
OUT=$(dk push "$PLAIN/t/two:1" 2>&1)
assert_match "push to a new repository: busybox's layer mounted from t/busybox" \
    "$OUT" '^[0-9a-f]{12}: Mounted from t/busybox$'
assert_eq "... and only the new layer sent" \
    "$(printf '%s\n' "$OUT" | grep -c ': Pushed$')" 1
TWO_ID=$(dk image inspect -f '{{.Id}}' "$PLAIN/t/two:1")
TWO_DIGEST=$(printf '%s\n' "$OUT" | sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) .*/\1/p')
check "docker rmi $PLAIN/t/two:1" dk rmi "$PLAIN/t/two:1"
OUT=$(dk pull "$PLAIN/t/two:1" 2>&1)
assert_contains "docker pull: the shared layer already exists" "$OUT" "Already exists"
assert_contains "the other is fetched, checked and unpacked" "$OUT" "Pull complete"
assert_contains "Docker's closing lines" "$OUT" \
    "Status: Downloaded newer image for $PLAIN/t/two:1"
assert_contains "... with the manifest's digest" "$OUT" "Digest: $TWO_DIGEST"
assert_eq "the pulled image has the ID it was pushed with" \
    "$(dk image inspect -f '{{.Id}}' "$PLAIN/t/two:1" 2>&1)" "$TWO_ID"
assert_eq "docker run of the pulled image sees its layer" \
    "$(dk run --rm "$PLAIN/t/two:1" cat /f 2>&1)" layer-two
OUT=$(dk pull "$PLAIN/t/two:1" 2>&1)
assert_contains "pulled again: up to date" "$OUT" "Status: Image is up to date"
check "docker rmi it" dk rmi "$PLAIN/t/two:1"
OUT=$(dk pull "$PLAIN/t/two@$TWO_DIGEST" 2>&1)
assert_contains "docker pull by the pushed digest" "$OUT" "Pull complete"
assert_eq "the image is there by its digest" \
    "$(dk image inspect -f '{{.Id}}' "$PLAIN/t/two@$TWO_DIGEST" 2>&1)" "$TWO_ID"
OUT=$(dk pull "$PLAIN/t/nothere:1" 2>&1)
assert_contains "an unknown tag: Docker's 404" "$OUT" \
    "manifest for $PLAIN/t/nothere:1 not found: manifest unknown: manifest unknown"
req POST "/v1.41/images/create?fromImage=$PLAIN/t/nothere&tag=1"
assert_json_error "... a 404 before anything streams" 404 "manifest unknown"
check "docker rmi by digest" dk rmi "$PLAIN/t/two@$TWO_DIGEST"
# A blob the registry serves wrong is refused, and nothing is kept.
LAYER2=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$PLAIN/v2/t/two/manifests/1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][-1]["digest"][7:])')
BLOB=$(find "$T_TMP/plain/data" -path "*/blobs/sha256/*/$LAYER2/data")
printf 'not the layer' >"$BLOB"
OUT=$(dk pull "$PLAIN/t/two:1" 2>&1)
assert_contains "a blob that does not match its digest: refused" "$OUT" \
    "verification failed for digest sha256:$LAYER2"
assert_no_match "and no image left" "$(dk images -q --no-trunc)" "${TWO_ID#sha256:}"
echo other >"$T_TMP/other-file"
tar -C "$T_TMP" -cf "$BLOB" other-file
OUT=$(dk pull "$PLAIN/t/two:1" 2>&1)
assert_contains "a blob that is a tar, just not that one: refused too" "$OUT" \
    "verification failed for digest sha256:$LAYER2"
assert_no_match "and still no image" "$(dk images -q --no-trunc)" "${TWO_ID#sha256:}"
req GET /_ping
assert_eq "/_ping answers" "$STATUS" 200

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
check "docker rmi $AUTH/t/busybox:1" dk rmi "$AUTH/t/busybox:1"
OUT=$(dk pull "$AUTH/t/busybox:1" 2>&1)
assert_contains "pull with the stored credentials" "$OUT" "Status:"
# docker build FROM an image that is not here pulls it, with the
# credentials the CLI sends in X-Registry-Config.
mkdir -p "$T_TMP/bctx"
printf 'FROM %s\nRUN echo built-on-pulled\n' "$AUTH/t/busybox:1" \
    >"$T_TMP/bctx/Dockerfile"
check "docker rmi $AUTH/t/busybox:1 before a build" dk rmi "$AUTH/t/busybox:1"
OUT=$(DOCKER_BUILDKIT=0 dk build -t frompull "$T_TMP/bctx" 2>&1)
assert_contains "docker build FROM an image not here: pulled, with the login" \
    "$OUT" "Status: Downloaded newer image for $AUTH/t/busybox:1"
assert_contains "... then built on it" "$OUT" "built-on-pulled"
OUT=$(DOCKER_BUILDKIT=0 dk build --pull -t frompull "$T_TMP/bctx" 2>&1)
assert_contains "docker build --pull: pulled again, up to date" "$OUT" \
    "Status: Image is up to date for $AUTH/t/busybox:1"
check "docker logout" dk logout "$AUTH"
check "docker rmi $AUTH/t/busybox:1 again" dk rmi "$AUTH/t/busybox:1"
OUT=$(dk pull "$AUTH/t/busybox:1" 2>&1)
assert_contains "pull without credentials: refused" "$OUT" "no basic auth credentials"
OUT=$(DOCKER_BUILDKIT=0 dk build "$T_TMP/bctx" 2>&1)
assert_contains "a build FROM it without credentials: the pull's refusal" \
    "$OUT" "no basic auth credentials"
assert_no_match "berthd kept no password" "$(grep -rl s3cret "$B_DIR" 2>/dev/null)" .

# --- a registry over TLS with a self-signed certificate --------------------------

# mkcert NAME PREFIX - a self-signed certificate for 127.0.0.1.
mkcert()
{
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
	    -addext "subjectAltName=IP:127.0.0.1" -keyout "$2.key" \
	    -out "$2.crt" >/dev/null 2>&1
}
mkcert berth-test-registry "$T_TMP/tls"
mkcert someone-else "$T_TMP/other"
registry tls "" "$T_TMP/tls"
TLS=$REG
dk tag busybox "$TLS/t/busybox:1" >/dev/null
OUT=$(dk push "$TLS/t/busybox:1" 2>&1)
assert_contains "push over TLS to a loopback registry (insecure: not verified)" \
    "$OUT" "1: digest: sha256:"
mkdir -p "$CERTS/$TLS"
cp "$T_TMP/other.crt" "$CERTS/$TLS/ca.crt"
OUT=$(dk push "$TLS/t/busybox:1" 2>&1)
assert_contains "with a CA in certs.d that did not sign it: refused" "$OUT" \
    "certificate"
cp "$T_TMP/tls.crt" "$CERTS/$TLS/ca.crt"
check "docker rmi $TLS/t/busybox:1" dk rmi "$TLS/t/busybox:1"
OUT=$(dk pull "$TLS/t/busybox:1" 2>&1)
assert_contains "with the CA that signed it: verified, pulled" "$OUT" "Status:"
