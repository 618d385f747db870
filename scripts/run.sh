#!/bin/sh
# run.sh - what `make run` does after `make deps all`: berthd in the
# foreground on conf/engine.yaml, with the default socket, data-root and
# exec-root, and a busybox image (from Debian's busybox-static: nothing
# is pulled) so that `docker run --rm busybox true` works at once.
# Stop it with ^C.  BERTH_SOCK, BERTH_EXEC_ROOT and BERTH_DATA_ROOT
# move it elsewhere, BUILD picks another build (tests/integration/t_run.sh).
set -eu

cd "$(dirname "$0")/.."
SOCK=${BERTH_SOCK:-/run/berth/berth.sock}
EXEC_ROOT=${BERTH_EXEC_ROOT:-/run/berth}
DATA_ROOT=${BERTH_DATA_ROOT:-/var/lib/berth}

# Is some daemon already answering on the socket?  A stale socket file
# left by a daemon that died does not count: berthd replaces it.
if [ -S "$SOCK" ]; then
	server=""
	if command -v curl >/dev/null 2>&1; then
		server=$(curl -s -m 2 -o /dev/null -D - --unix-socket "$SOCK" \
		    http://localhost/_ping 2>/dev/null |
		    tr -d '\r' | sed -n 's/^[Ss]erver: *//p') || true
		answered=$([ -n "$server" ] && echo 1 || echo 0)
	elif command -v socat >/dev/null 2>&1 &&
	    socat -u OPEN:/dev/null "UNIX-CONNECT:$SOCK" 2>/dev/null; then
		answered=1
	else
		answered=0
	fi
	if [ "$answered" = 1 ]; then
		case "$server" in
		berth*)
			pid=$(cat "$EXEC_ROOT/berthd.pid" 2>/dev/null || echo "?")
			echo "run: berthd is already running on $SOCK" \
			    "(pid $pid); stop it first" >&2 ;;
		*)
			echo "run: a daemon${server:+ ($server)} is already" \
			    "answering on $SOCK; stop it first" >&2 ;;
		esac
		exit 1
	fi
fi

# 0755, not the 0700 berthd would use: the socket lives in this
# directory, and members of the socket's group must be able to reach it.
if ! mkdir -p -m 0755 "$EXEC_ROOT" 2>/dev/null; then
	echo "run: cannot create $EXEC_ROOT (berthd runs as root)" >&2
	exit 1
fi

${BUILD:-build}/berthd --config-file conf/engine.yaml -H "unix://$SOCK" \
    --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" &
pid=$!
# ^C and kill reach the script: hand them on, then wait for berthd.
trap 'kill -TERM "$pid" 2>/dev/null || :' INT TERM HUP

api()
{
	curl -s -m 600 --unix-socket "$SOCK" "$@"
}

# The first start: busybox, imported as `docker import` would.
n=0
until [ "$(api http://localhost/_ping 2>/dev/null)" = OK ]; do
	kill -0 "$pid" 2>/dev/null || { wait "$pid" || exit $?; exit 1; }
	n=$((n + 1))
	[ $n -lt 100 ] || { echo "run: berthd did not answer" >&2; break; }
	sleep 0.1
done
if [ $n -lt 100 ] && [ "$(api -o /dev/null -w '%{http_code}' \
    http://localhost/v1.41/images/busybox/json)" = 404 ]; then
	# shellcheck source=busybox.sh
	. scripts/busybox.sh
	tar=$(mktemp "${TMPDIR:-/tmp}/berth-busybox.XXXXXX")
	if busybox_tarball "$tar" && api -f -o /dev/null -X POST \
	    -H 'Content-Type: application/x-tar' --data-binary "@$tar" \
	    'http://localhost/v1.41/images/create?fromSrc=-&repo=busybox&tag=latest'; then
		echo "berthd: imported busybox:latest from busybox-static"
	else
		echo "run: could not import busybox (is busybox-static" \
		    "installed?)" >&2
	fi
	rm -f "$tar"
fi
echo "berthd: try: docker -H unix://$SOCK run --rm busybox true"
# A trapped signal ends a wait early: wait again until berthd is gone.
rc=0
wait "$pid" || rc=$?
while kill -0 "$pid" 2>/dev/null; do
	rc=0
	wait "$pid" || rc=$?
done
exit "$rc"
