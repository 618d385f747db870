# shellcheck shell=bash
# lib.sh - what the container and image benchmarks share; source it
# after `set -uo pipefail`.
#
#	bench_init NAME		cd to the tree, BUILD, DOCKER, a scratch dir
#				$tmp, and a cleanup at exit: this berthd's
#				containers removed, berthd stopped, mounts
#				under $tmp let go, the reference dockerd
#				(ref-dockerd.sh) stopped
#	bench_berthd MODULE...	$BUILD/berthd on $tmp with those modules
#				(log-level warn); sets berthd_pid
#	bk ARGS...		the docker CLI against it
#	die MSG			"NAME: MSG", exit 1
#	hwm_kb PID, hwm_reset PID	peak RSS (VmHWM) in KiB, and its reset
#	ms_since NS		milliseconds since a `date +%s%N`

die() { echo "$BENCH: $*" >&2; exit 1; }

bk() { "$DOCKER" -H "unix://$tmp/berth.sock" "$@"; }

hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
hwm_reset() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

bench_cleanup()
{
	local ids

	if [ -n "$berthd_pid" ] && kill -0 "$berthd_pid" 2>/dev/null; then
		ids=$(bk ps -aq 2>/dev/null)
		# shellcheck disable=SC2086 # IDs are words
		[ -n "$ids" ] && bk rm -f $ids >/dev/null 2>&1
		kill "$berthd_pid"
		wait "$berthd_pid" 2>/dev/null
	fi
	grep -F " $tmp/" /proc/mounts | awk '{ print $2 }' | sort -r |
	    while read -r m; do umount -l "$m"; done
	rm -rf "$tmp"
	ref_stop
}

bench_init()
{
	BENCH=$1
	cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
	BUILD=${BUILD:-build}
	DOCKER=${DOCKER:-$(command -v docker)}
	export DOCKER_CLI_HINTS=false
	unset DOCKER_HOST DOCKER_CONTEXT
	[ -x "$BUILD/berthd" ] || die "$BUILD/berthd not built (make all)"
	[ -n "$DOCKER" ] || die "no docker CLI"
	tmp=$(mktemp -d "/tmp/berth-bench-$BENCH.XXXXXX")
	export DOCKER_CONFIG=$tmp/docker-config
	berthd_pid=""
	. bench/ref-dockerd.sh
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_berthd()
{
	local m

	{
		echo "log-level: warn"
		echo "modules:"
		for m; do
			case $m in
			/*)	printf '  - path: %s\n    required: true\n' "$m" ;;
			*)	printf '  - name: %s\n    required: true\n' "$m" ;;
			esac
		done
	} >"$tmp/engine.yaml"
	"$BUILD/berthd" --config-file "$tmp/engine.yaml" \
	    -H "unix://$tmp/berth.sock" --data-root "$tmp/data" \
	    --exec-root "$tmp/exec" --pidfile "$tmp/berthd.pid" \
	    --module-dir "$BUILD/modules" >"$tmp/berthd.log" 2>&1 &
	berthd_pid=$!
	for _ in $(seq 1 100); do
		bk version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$tmp/berthd.log"
	die "berthd did not start"
}
