#!/bin/sh
# run.sh - what `make run` does after `make deps all`: berthd in the
# foreground on conf/engine.yaml, with the default socket, data-root and
# exec-root.  Stop it with ^C.
set -eu

cd "$(dirname "$0")/.."
SOCK=/run/berth/berth.sock
EXEC_ROOT=/run/berth
DATA_ROOT=/var/lib/berth

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

echo "berthd: talk to it with: docker -H unix://$SOCK version"
exec build/berthd --config-file conf/engine.yaml -H "unix://$SOCK" \
    --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT"
