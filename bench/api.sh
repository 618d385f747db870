#!/bin/bash
# api.sh - requests per second and latency of GET /_ping and
# GET /v1.41/version, measured with wrk over berthd's tcp listener.
#
# It starts its own build/berthd on a scratch root, listening on a
# loopback port, and reports berthd's resident memory before and after
# the load.  With REF_HOST=tcp://HOST:PORT (a reference dockerd
# reachable over tcp) it measures that daemon in the same run and prints
# the ratios.  A benchmark, never a test: `make test` does not run it.
#
#	bench/api.sh
#	REF_HOST=tcp://127.0.0.1:2375 REF_PID=$(pidof dockerd) bench/api.sh
#
# Environment:
#	BERTHD		the binary (default build/berthd)
#	BERTH_CONF	engine.yaml for berthd (default: an empty one, the
#			bare core with no modules and no authorization,
#			like a stock dockerd); conf/engine.yaml adds the
#			authz-noop chain
#	REF_HOST	tcp://HOST:PORT of a reference daemon (optional)
#	REF_PID		its process ID, to report its memory too (optional)
#	REF_NAME	what to call it in the table (default dockerd)
#	WRK_ARGS	default "--latency -t2 -c32 -d5s"

set -euo pipefail

cd "$(dirname "$0")/.."
BERTHD=${BERTHD:-build/berthd}
WRK_ARGS=${WRK_ARGS:---latency -t2 -c32 -d5s}
REF_HOST=${REF_HOST:-}
REF_PID=${REF_PID:-}
REF_NAME=${REF_NAME:-dockerd}
[ "$REF_NAME" != berthd ] || REF_NAME="berthd-ref"
ENDPOINTS=("/_ping" "/v1.41/version")

die() { echo "api.sh: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk is not installed (make deps)"
command -v curl >/dev/null || die "curl is not installed (make deps)"
[ -x "$BERTHD" ] || die "$BERTHD not built (make all)"

tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
berthd_pid=""
cleanup() {
	if [ -n "$berthd_pid" ] && kill -0 "$berthd_pid" 2>/dev/null; then
		kill "$berthd_pid"
		wait "$berthd_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	ref_stop
}
. "$(dirname "$0")/ref-dockerd.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

# wrk's own summary, printed by its done() hook: no text to scrape.
cat >"$tmp/report.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
	    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
	    "status=%d connect=%d read=%d write=%d timeout=%d\n",
	    summary.requests, summary.duration,
	    latency:percentile(50), latency:percentile(99),
	    e.status, e.connect, e.read, e.write, e.timeout))
end
EOF

# A wrk time ("512.00us", "1.20ms", "2.00s", "1.00m") in microseconds.
to_us() {
	awk -v t="$1" 'BEGIN {
		if (match(t, /^[0-9.]+/) == 0) { print ""; exit }
		v = substr(t, 1, RLENGTH); u = substr(t, RLENGTH + 1)
		f = u == "us" ? 1 : u == "ms" ? 1e3 : u == "s" ? 1e6 : \
		    u == "m" ? 6e7 : u == "h" ? 3.6e9 : -1
		if (f < 0) print ""; else printf "%.0f\n", v * f
	}'
}

# bench URL: run wrk, set R_RPS, R_P50, R_P99 (microseconds), R_ERR.
bench() {
	local url=$1 out line errs
	# shellcheck disable=SC2086
	out=$(wrk $WRK_ARGS -s "$tmp/report.lua" "$url" 2>&1) ||
	    die "wrk failed on $url: $out"
	printf '%s\n' "$out" >>"$tmp/wrk.log"
	line=$(printf '%s\n' "$out" | grep '^BENCH ' | tail -n 1 || true)
	if [ -n "$line" ]; then
		kv() { printf '%s\n' "$line" | tr ' ' '\n' |
		    sed -n "s/^$1=//p"; }
		R_RPS=$(awk -v n="$(kv requests)" -v d="$(kv duration_us)" \
		    'BEGIN { printf "%.0f", (d > 0 ? n * 1e6 / d : 0) }')
		R_P50=$(kv p50_us)
		R_P99=$(kv p99_us)
		errs=$(( $(kv status) + $(kv connect) + $(kv read) + \
		    $(kv write) + $(kv timeout) ))
	else
		# No Lua in this wrk: read its text report instead.
		R_RPS=$(printf '%s\n' "$out" |
		    awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
		R_P50=$(to_us "$(printf '%s\n' "$out" |
		    awk '$1 == "50%" { print $2 }')")
		R_P99=$(to_us "$(printf '%s\n' "$out" |
		    awk '$1 == "99%" { print $2 }')")
		errs=$(printf '%s\n' "$out" | awk '
		    /Non-2xx or 3xx responses:/ { n += $NF }
		    /Socket errors:/ { gsub(/[^0-9 ]/, " "); for (i = 1;
			i <= NF; i++) n += $i }
		    END { print n + 0 }')
	fi
	[ -n "$R_RPS" ] && [ -n "$R_P99" ] ||
	    die "cannot read wrk's report for $url (see below)
$out"
	R_ERR=$errs
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

fmt_us() {
	awk -v u="$1" 'BEGIN {
		if (u == "") { print "-"; exit }
		if (u >= 1e6) printf "%.2f s\n", u / 1e6
		else if (u >= 1e3) printf "%.2f ms\n", u / 1e3
		else printf "%d us\n", u
	}'
}

fmt_kib() {
	[ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }' ||
	    printf '-'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b + 0 == 0) print "-"; else printf "%.2fx\n", a / b }'
}

# --- berthd ---------------------------------------------------------------

if [ -n "${BERTH_CONF:-}" ]; then
	conf=$BERTH_CONF
else
	conf=$tmp/engine.yaml
	: >"$conf"
fi
mkdir -p "$tmp/data" "$tmp/exec"

# Start berthd on a free loopback port; a port taken meanwhile is retried.
port=""
for try in 1 2 3 4 5 6 7 8; do
	p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
	"$BERTHD" --config-file "$conf" -H "tcp://127.0.0.1:$p" \
	    --data-root "$tmp/data" --exec-root "$tmp/exec" \
	    --log-level warn 2>"$tmp/berthd.log" &
	berthd_pid=$!
	for _ in $(seq 50); do
		if curl -s -m 1 -o /dev/null "http://127.0.0.1:$p/_ping"; then
			port=$p
			break
		fi
		kill -0 "$berthd_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$port" ] && break
	kill "$berthd_pid" 2>/dev/null || true
	wait "$berthd_pid" 2>/dev/null || true
	berthd_pid=""
done
[ -n "$port" ] || die "berthd did not start: $(cat "$tmp/berthd.log")"
BERTH_URL=http://127.0.0.1:$port

REF_URL=""
ref_start
if [ -n "$REF_HOST" ]; then
	case $REF_HOST in
	tcp://*) REF_URL=http://${REF_HOST#tcp://} ;;
	*) die "REF_HOST must be tcp://HOST:PORT, not $REF_HOST" ;;
	esac
	curl -s -m 5 -o /dev/null "$REF_URL/_ping" ||
	    die "reference daemon not reachable at $REF_HOST"
fi

for url in ${BERTH_URL:+"$BERTH_URL"} ${REF_URL:+"$REF_URL"}; do
	for ep in "${ENDPOINTS[@]}"; do
		code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$url$ep")
		[ "$code" = 200 ] || die "GET $url$ep answers $code, not 200"
	done
done

sleep 0.5
rss_before=$(rss_kib "$berthd_pid")
ref_rss_before=$([ -n "$REF_PID" ] && rss_kib "$REF_PID" || true)

version=$("$BERTHD" --version)
echo "# $version"
echo "# wrk $WRK_ARGS, $(nproc) CPUs, berthd on $BERTH_URL" \
    "(config: ${BERTH_CONF:-empty})${REF_URL:+, reference on $REF_URL}"

declare -A RPS P50 P99 ERR
targets=(berthd)
[ -n "$REF_URL" ] && targets+=("$REF_NAME")
for ep in "${ENDPOINTS[@]}"; do
	for t in "${targets[@]}"; do
		[ "$t" = berthd ] && url=$BERTH_URL || url=$REF_URL
		bench "$url$ep"
		RPS[$t$ep]=$R_RPS P50[$t$ep]=$R_P50 P99[$t$ep]=$R_P99
		ERR[$t$ep]=$R_ERR
	done
done

sleep 1	# let wrk's connections close
rss_after=$(rss_kib "$berthd_pid")
ref_rss_after=$([ -n "$REF_PID" ] && rss_kib "$REF_PID" || true)

echo
printf '%-22s %-8s %12s %10s %10s %7s\n' endpoint daemon "requests/s" \
    p50 p99 errors
for ep in "${ENDPOINTS[@]}"; do
	for t in "${targets[@]}"; do
		printf '%-22s %-8s %12s %10s %10s %7s\n' "GET $ep" "$t" \
		    "${RPS[$t$ep]}" "$(fmt_us "${P50[$t$ep]}")" \
		    "$(fmt_us "${P99[$t$ep]}")" "${ERR[$t$ep]}"
	done
done

if [ -n "$REF_URL" ]; then
	echo
	printf '%-22s %18s %18s\n' "berthd / $REF_NAME" "requests/s ratio" \
	    "p99 ratio"
	for ep in "${ENDPOINTS[@]}"; do
		printf '%-22s %18s %18s\n' "GET $ep" \
		    "$(ratio "${RPS[berthd$ep]}" "${RPS[$REF_NAME$ep]}")" \
		    "$(ratio "${P99[berthd$ep]}" "${P99[$REF_NAME$ep]}")"
	done
fi

echo
printf '%-22s %12s %12s\n' "resident memory" "before load" "after load"
printf '%-22s %12s %12s\n' "berthd (pid $berthd_pid)" \
    "$(fmt_kib "$rss_before")" "$(fmt_kib "$rss_after")"
if [ -n "$REF_PID" ]; then
	printf '%-22s %12s %12s\n' "$REF_NAME (pid $REF_PID)" \
	    "$(fmt_kib "$ref_rss_before")" "$(fmt_kib "$ref_rss_after")"
fi

for t in "${targets[@]}"; do
	for ep in "${ENDPOINTS[@]}"; do
		[ "${ERR[$t$ep]}" = 0 ] ||
		    echo "warning: $t GET $ep: ${ERR[$t$ep]} errors (wrk's" \
			"non-2xx and socket errors)" >&2
	done
done
