#!/bin/bash
# commit.sh - docker diff and docker commit of a container that wrote
# SIZE_MB MiB of random data in 8 MiB files plus FILES small files:
# wall time of each, berthd's peak RSS during the commit and /_ping's
# latency while it runs; then the same through a reference dockerd
# (REF_HOST, or one started by ref-dockerd.sh when dockerd is
# installed), whose diff must list the same changes.
# A benchmark, never a test: `make test` does not run it.
#
#	bench/commit.sh
#	SIZE_MB=1024 FILES=20000 bench/commit.sh
#
# Environment:
#	SIZE_MB		random data the container writes (default 200)
#	FILES		small files it writes besides (default 2000)
#	BUILD		build directory (default build)

set -uo pipefail

. "$(dirname "$0")/lib.sh"
bench_init commit
SIZE_MB=${SIZE_MB:-200}
FILES=${FILES:-2000}
. tests/integration/busybox.sh

busybox_tarball "$tmp/busybox.tar" || die "no busybox"
bench_berthd authz-noop images runtime-oci containers

# The container's work: random files, then many small ones.
WRITE="mkdir -p /data/small; i=0; while [ \$i -lt $(( (SIZE_MB + 7) / 8 )) ]; do
	head -c 8388608 /dev/urandom >/data/big\$i; i=\$((i+1)); done
	i=0; while [ \$i -lt $FILES ]; do
	echo \$i >/data/small/f\$i; i=\$((i+1)); done; rm /bin/vi"

# run D NAME - set D_MS (diff), C_MS (commit), N (diff lines).
run()
{
	local d=$1 t0

	"$DOCKER" -H "$d" import - bench:base <"$tmp/busybox.tar" >/dev/null ||
	    die "import on $d"
	"$DOCKER" -H "$d" run --name writer bench:base sh -c "$WRITE" ||
	    die "the writer on $d"
	sync
	t0=$(date +%s%N)
	"$DOCKER" -H "$d" diff writer >"$tmp/diff.$2" || die "diff on $d"
	D_MS=$(ms_since "$t0")
	N=$(wc -l <"$tmp/diff.$2")
	t0=$(date +%s%N)
	"$DOCKER" -H "$d" commit writer bench:committed >/dev/null ||
	    die "commit on $d"
	C_MS=$(ms_since "$t0")
	"$DOCKER" -H "$d" rm -f writer >/dev/null
}

# /_ping's latency, sampled until the file $1 exists.
ping_loop()
{
	local t0

	while [ ! -e "$1" ]; do
		t0=$(date +%s%N)
		curl -s -o /dev/null --unix-socket "$tmp/berth.sock" \
		    http://localhost/_ping
		echo $(( ($(date +%s%N) - t0) / 1000 ))
		sleep 0.01
	done >"$tmp/ping.us"
}

# pings ... - the summary of the samples in $tmp/ping.us
pings()
{
	sort -n "$tmp/ping.us" | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit
		p = int(NR * 0.99); if (p < 1) p = 1
		printf "median %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)",
		    v[int((NR + 1) / 2)] / 1000, v[p] / 1000, v[NR] / 1000, NR }'
}

# The baseline: curl's own cost, berthd idle.
( ping_loop "$tmp/ping.stop" ) &
pinger=$!
sleep 2
touch "$tmp/ping.stop"
wait "$pinger"
rm -f "$tmp/ping.stop"
echo "berthd:  /_ping idle: $(pings)"

echo "# a container writes $SIZE_MB MiB in 8 MiB files and $FILES small files, deletes one"
hwm_reset "$berthd_pid"
( ping_loop "$tmp/ping.stop" ) &
pinger=$!
run "unix://$tmp/berth.sock" berth
touch "$tmp/ping.stop"
wait "$pinger"
b_d=$D_MS b_c=$C_MS b_n=$N
b_rss=$(( $(hwm_kb "$berthd_pid") / 1024 ))
ping=$(pings)
echo "berthd:  diff $b_d ms ($b_n lines), commit $b_c ms, peak RSS ${b_rss} MiB"
echo "berthd:  /_ping during the writer, diff and commit: $ping"

ref_start
if [ -n "${REF_HOST:-}" ]; then
	run "$REF_HOST" ref
	echo "dockerd: diff $D_MS ms ($N lines), commit $C_MS ms"
	if cmp -s <(sort "$tmp/diff.berth") <(sort "$tmp/diff.ref"); then
		echo "the two diffs list the same changes"
	else
		echo "the diffs differ:"
		diff <(sort "$tmp/diff.berth") <(sort "$tmp/diff.ref") | head
	fi
	awk -v a="$b_d" -v b="$D_MS" -v c="$b_c" -v d="$C_MS" 'BEGIN {
	    printf "ratio berthd/dockerd: diff %.2f, commit %.2f\n", a / b, c / d }'
	"$DOCKER" -H "$REF_HOST" rmi bench:committed bench:base >/dev/null 2>&1
fi
