#!/bin/bash
# t_build.sh - docker build with the classic builder, through the real
# CLI: a two-stage Dockerfile (FROM busybox AS, ARG, ENV, RUN, COPY
# --from, WORKDIR, USER, CMD) whose image runs and prints what the
# Dockerfile put there; a second build served from the cache; the
# output Docker's CLI prints; build args, labels, target, .dockerignore,
# COPY's rules, ADD of an archive; errors as Docker gives them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/busybox.sh"

if [ ! -f "$MODULE_DIR/builder.so" ] || [ ! -f "$MODULE_DIR/images.so" ]; then
	pass "build needs the builder and images modules (not built): skipped"
	exit 0
fi
AFTER_CONTAINERS="  - name: builder
    required: true"
busybox_daemon -m volume-local -m volumes
# The CLI builds with the classic builder: no buildx here, and berthd
# offers no BuildKit.
export DOCKER_BUILDKIT=0
build() { "$DOCKER" -H "unix://$B_SOCK" build "$@"; }

CTX=$T_TMP/ctx
mkdir -p "$CTX/src/sub"
echo "hello from the context" >"$CTX/src/hello.txt"
echo "deep" >"$CTX/src/sub/deep.txt"
echo "secret" >"$CTX/secret.key"
printf '*.key\n' >"$CTX/.dockerignore"
cat >"$CTX/Dockerfile" <<'DF'
# a comment
ARG BASE=busybox
FROM ${BASE} AS build
ARG GREETING=hi
ENV OUT=/out \
    WHO=builder
WORKDIR $OUT
COPY src/ ./src/
RUN echo "$GREETING from $WHO" > msg.txt && cat src/hello.txt >> msg.txt

FROM busybox
ARG GREETING
ENV GREETING=${GREETING}
WORKDIR /app
COPY --from=build /out/msg.txt /app/
RUN echo "appuser:x:1234:1234::/app:/bin/sh" >>/etc/passwd && chown appuser /app
USER appuser
CMD ["sh", "-c", "cat /app/msg.txt; echo \"user=$(id -u) dir=$(pwd) greeting=$GREETING\""]
DF

OUT=$(build -t x --build-arg GREETING=hello "$CTX" 2>&1)
RC=$?
assert_eq "docker build -t x . of a two-stage Dockerfile: exit 0" "$RC" 0
[ $RC = 0 ] || echo "$OUT" | tail -n 20
assert_match "the steps as Docker's CLI prints them" "$OUT" \
    '^Step 1/15 : ARG BASE=busybox$'
assert_match "a step's new image" "$OUT" '^ ---> [0-9a-f]{12}$'
assert_match "RUN in an intermediate container" "$OUT" \
    '^ ---> Running in [0-9a-f]{12}$'
assert_match "the intermediate container removed" "$OUT" \
    '^Removing intermediate container [0-9a-f]{12}$'
assert_match "Successfully built" "$OUT" '^Successfully built [0-9a-f]{12}$'
assert_contains "Successfully tagged" "$OUT" "Successfully tagged x:latest"
assert_no_match "nothing served from the cache the first time" "$OUT" \
    'Using cache'
RUNOUT=$(dk run --rm x 2>&1)
assert_eq "the image runs and prints what the Dockerfile put there" "$RUNOUT" \
"hello from builder
hello from the context
user=1234 dir=/app greeting=hello"
IMG=$(dk inspect -f '{{json .Config.Cmd}} {{.Config.User}} {{.Config.WorkingDir}}' x 2>&1)
assert_eq "inspect: Cmd, User, WorkingDir" "$IMG" \
    '["sh","-c","cat /app/msg.txt; echo \"user=$(id -u) dir=$(pwd) greeting=$GREETING\""] appuser /app'
assert_contains "inspect: the ENV made of an ARG" \
    "$(dk inspect -f '{{json .Config.Env}}' x)" '"GREETING=hello"'
assert_eq "no container is left behind" "$(dk ps -aq)" ""

OUT2=$(build -t x --build-arg GREETING=hello "$CTX" 2>&1)
assert_eq "a second build: exit 0" "$?" 0
assert_contains "a second build is served from the cache" "$OUT2" \
    " ---> Using cache"
assert_no_match "... with no container run" "$OUT2" 'Running in'
assert_eq "... and the same image" "$(dk inspect -f '{{.Id}}' x)" \
    "$(echo "$OUT" | sed -n 's/^Successfully built //p' | head -1 |
      xargs -I{} "$DOCKER" -H "unix://$B_SOCK" inspect -f '{{.Id}}' {})"
OUT3=$(build -t x --build-arg GREETING=bye "$CTX" 2>&1)
assert_match "another build arg: the RUN that uses it runs again" "$OUT3" \
    'Running in'
assert_eq "... and the image says so" "$(dk run --rm x 2>&1 | head -1)" \
    "bye from builder"
OUT3=$(build --no-cache -q "$CTX" 2>&1)
assert_match "--no-cache -q: only the image ID" "$OUT3" '^sha256:[0-9a-f]{64}$'

# --- .dockerignore, COPY's rules, ADD of an archive ---------------------------------
assert_eq ".dockerignore: an ignored file is not in the context" \
    "$(dk run --rm --entrypoint ls x /app 2>&1)" "msg.txt"
C2=$T_TMP/ctx2
mkdir -p "$C2/d/e"
echo a >"$C2/a.txt"; echo b >"$C2/b.txt"; echo e >"$C2/d/e/e.txt"
ln -s a.txt "$C2/link"
chmod 0751 "$C2/b.txt"
mkdir -p "$T_TMP/arch/top" && echo inside >"$T_TMP/arch/top/in.txt"
tar -C "$T_TMP/arch" -czf "$C2/arch.tar.gz" top
cat >"$C2/Dockerfile" <<'DF'
FROM busybox
COPY *.txt /multi/
COPY a.txt /file-as-name
COPY d /dir-contents
COPY --chown=1000:1000 b.txt /owned/
COPY link /via-link
ADD arch.tar.gz /unpacked/
ADD a.txt /added.txt
LABEL one=1 "two words"="x y"
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["ls /multi"]
DF
OUT=$(build -t rules --label built-by=t_build "$C2" 2>&1)
RC=$?
assert_eq "a build of COPY and ADD's cases: exit 0" "$RC" 0
[ $RC = 0 ] || echo "$OUT" | tail -n 20
OUT=$(dk run --rm --entrypoint sh rules -c '
    ls /multi; cat /file-as-name; ls /dir-contents; cat /dir-contents/e/e.txt
    stat -c "%u:%g %a" /owned/b.txt; cat /via-link; cat /unpacked/top/in.txt
    cat /added.txt' 2>&1)
assert_eq "COPY/ADD: wildcards, a file as a name, a directory's contents, --chown and modes, a link's target, an archive unpacked, a file added" \
    "$OUT" "a.txt
b.txt
a
e
e
1000:1000 751
a
inside
a"
INS=$(dk inspect -f '{{json .Config.Labels}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{.Config.StopSignal}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}' rules 2>&1)
assert_eq "inspect: LABEL (and --label), EXPOSE, VOLUME, STOPSIGNAL, ENTRYPOINT, CMD" "$INS" \
    '{"built-by":"t_build","one":"1","two words":"x y"} {"53/udp":{},"8080/tcp":{}} {"/data":{}} SIGINT ["/bin/sh","-c"] ["ls /multi"]'
assert_eq "ENTRYPOINT and CMD together run" "$(dk run --rm rules 2>&1)" "a.txt
b.txt"

# --- FROM scratch ---------------------------------------------------------------------
mkdir -p "$T_TMP/scr"
echo "from scratch" >"$T_TMP/scr/f.txt"
cat >"$T_TMP/scr/Dockerfile" <<'DF'
FROM scratch
COPY --from=busybox /bin/busybox /bin/busybox
COPY f.txt /
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cat /f.txt > /copy.txt"]
CMD ["/bin/busybox", "cat", "/copy.txt"]
DF
OUT=$(build -t scr "$T_TMP/scr" 2>&1)
RC=$?
assert_eq "FROM scratch, COPY --from an image, RUN in exec form: exit 0" "$RC" 0
[ $RC = 0 ] || echo "$OUT" | tail -n 20
assert_eq "... the image runs" "$(dk run --rm scr 2>&1)" "from scratch"
assert_eq "... three layers, dockerd's default PATH" \
    "$(dk inspect -f '{{len .RootFS.Layers}} {{json .Config.Env}}' scr 2>&1)" \
    '3 ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'
printf 'FROM scratch\n' >"$T_TMP/scr/Dockerfile"
OUT=$(build "$T_TMP/scr" 2>&1)
assert_contains "FROM scratch alone: no image, as dockerd says" "$OUT" \
    "No image was generated. Is your Dockerfile empty?"

# --- target, dockerfile name, errors ------------------------------------------------
OUT=$(build -q --target build -f "$CTX/Dockerfile" "$CTX" 2>/dev/null)
assert_match "--target: the build stops at that stage" "$OUT" '^sha256:'
assert_eq "... whose image is the stage's" \
    "$(dk run --rm "$OUT" cat /out/msg.txt 2>&1 | head -1)" "hi from builder"
OUT=$(build --target nosuch "$CTX" 2>&1)
assert_contains "--target of no stage: Docker's error" "$OUT" \
    "failed to reach build target nosuch in Dockerfile"
mkdir -p "$T_TMP/bad"
printf 'FROM busybox\nFOO bar\n' >"$T_TMP/bad/Dockerfile"
OUT=$(build "$T_TMP/bad" 2>&1)
assert_contains "a syntax error: Docker's message" "$OUT" \
    "Dockerfile parse error line 2: unknown instruction: FOO"
printf 'FROM busybox\nRUN echo about to fail; exit 3\n' >"$T_TMP/bad/Dockerfile"
OUT=$(build "$T_TMP/bad" 2>&1)
RC=$?
assert_contains "a failing RUN: its output, then Docker's message" "$OUT" \
    "about to fail
The command '/bin/sh -c echo about to fail; exit 3' returned a non-zero code: 3"
assert_eq "... and the CLI's exit status is the command's" "$RC" 3
printf 'FROM busybox\nCOPY missing.txt /\n' >"$T_TMP/bad/Dockerfile"
OUT=$(build "$T_TMP/bad" 2>&1)
assert_contains "COPY of a missing file: Docker's message" "$OUT" \
    "COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist"
printf 'FROM nosuchimage\n' >"$T_TMP/bad/Dockerfile"
OUT=$(build "$T_TMP/bad" 2>&1)
assert_contains "FROM an image that is not here: pulled from Docker Hub (offline here)" \
    "$OUT" "registry-1.docker.io"
req POST "/v1.41/build" -H 'Content-Type: application/x-tar' --data-binary 'not a tar'
assert_eq "a body that is not a tar (nor a Dockerfile): 400" "$STATUS" 400
printf 'FROM busybox\nLABEL bare=yes\n' >"$T_TMP/bare.df"
req POST "/v1.41/build?t=bare" -H 'Content-Type: application/x-tar' \
    --data-binary "@$T_TMP/bare.df"
assert_contains "a bare Dockerfile as the body is built, as dockerd does" \
    "$BODY" "Successfully tagged bare:latest"
# A tar whose names climb out of the context is refused, nothing written.
python3 - "$T_TMP/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name, data in (("Dockerfile", b"FROM busybox\n"), ("../../evil", b"x")):
        i = tarfile.TarInfo(name); i.size = len(data)
        t.addfile(i, io.BytesIO(data))
PY
req POST "/v1.41/build" -H 'Content-Type: application/x-tar' --data-binary "@$T_TMP/evil.tar"
assert_eq "a context that climbs out: 400" "$STATUS" 400
assert_contains "... saying so" "$BODY" "climbs out"
assert_eq "... and nothing was written outside" \
    "$(find "$B_DIR" -name evil | wc -l)" 0

# --- events, cache prune, the daemon stays well --------------------------------------
OUT=$(dk builder prune -f 2>&1)
assert_eq "docker builder prune: exit 0" "$?" 0
OUT=$(build "$CTX" --build-arg GREETING=hello 2>&1)
assert_no_match "after a prune nothing is served from the cache" "$OUT" \
    'Using cache'
req GET /_ping
assert_eq "berthd answers after all of it" "$STATUS" 200
