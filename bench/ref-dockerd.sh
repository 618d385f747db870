# ref-dockerd.sh - source it from a benchmark: when REF_HOST is unset and
# Debian's dockerd is installed, start a reference dockerd on its own
# tcp port, unix socket, data-root and exec-root (never touching the
# host's daemon, and never with --bridge=none, which would delete the
# host's docker0), and set REF_HOST, REF_SOCK and REF_PID.  ref_stop
# ends it.  REF_AUTO=0 disables this.

REF_DIR=""

ref_stop()
{
	[ -n "$REF_DIR" ] || return 0
	if [ -n "${REF_PID:-}" ] && kill -0 "$REF_PID" 2>/dev/null; then
		kill -TERM "$REF_PID"
		for _ in $(seq 1 100); do
			kill -0 "$REF_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$REF_PID" 2>/dev/null
	fi
	umount -R "$REF_DIR/data" 2>/dev/null
	rm -rf "$REF_DIR"
	REF_DIR=""
}

ref_start()
{
	local port

	[ -z "${REF_HOST:-}" ] || return 0
	[ "${REF_AUTO:-1}" != 0 ] || return 0
	command -v dockerd >/dev/null 2>&1 || return 0
	REF_DIR=$(mktemp -d /tmp/berth-ref.XXXXXX)
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	dockerd --data-root "$REF_DIR/data" --exec-root "$REF_DIR/exec" \
	    --pidfile "$REF_DIR/dockerd.pid" \
	    -H "unix://$REF_DIR/docker.sock" -H "tcp://127.0.0.1:$port" \
	    --containerd-namespace berth-ref --containerd-plugins-namespace berth-ref-plugins \
	    >"$REF_DIR/dockerd.log" 2>&1 &
	REF_PID=$!
	for _ in $(seq 1 150); do
		if curl -s -m 1 -o /dev/null "http://127.0.0.1:$port/_ping"; then
			REF_HOST=tcp://127.0.0.1:$port
			REF_SOCK=$REF_DIR/docker.sock
			echo "# reference: dockerd $(dockerd --version | sed 's/^Docker version //') pid $REF_PID on $REF_HOST"
			return 0
		fi
		sleep 0.1
	done
	echo "# reference dockerd did not start; see below" >&2
	tail -5 "$REF_DIR/dockerd.log" >&2
	ref_stop
	REF_PID=""
}
