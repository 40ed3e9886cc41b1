#!/usr/bin/env bash
# slowpath.sh — CPU per answered query: lockstepd's slow path vs knotd.
#
#   sudo tests/bench/slowpath.sh [BUILD_DIR]     (default: build-bench in the source tree)
#
# Builds lockstepd in Release into BUILD_DIR (its own build directory), then
# in one run, one after the other, puts the same dnsperf load on lockstepd
# and on knotd, each serving tests/data/zones/example.com.zone in its own
# network namespace, from a client namespace. For each server it reads the
# process's utime+stime from /proc/PID/stat (all threads) before and after
# the load and divides by the responses dnsperf received. Prints a markdown
# table, the exact commands, and the ratio.
#
# Fairness: knotd runs with one UDP worker, one TCP worker and one background
# worker (lockstepd is one thread); both answer the same query file at the
# same fixed rate (-Q) with the same clients (-c); both processes are
# measured whole, idle threads included; logging is at warning level for
# knotd and the default (no per-query lines) for lockstepd.
#
# Knobs (environment): RATE (queries/s, default 20000; "max": no -Q, as fast
# as dnsperf can), DURATION (s, 10), CLIENTS (dnsperf -c, 8), ROUNDS (3: the
# two servers take turns this many times and the totals are compared, which
# evens out what else the machine is doing; the per-round ratios are shown
# so the noise is visible).
# Exit: 0, 1 on failure, 77 when root, dnsperf or knotd is missing.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-bench}
RATE=${RATE:-20000}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
ROUNDS=${ROUNDS:-3}
QOPT="-Q $RATE"
[ "$RATE" = max ] && QOPT=""

for c in dnsperf knotd knotc cmake; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "SKIP: needs $c" >&2
		exit 77
	}
done
[ "$(id -u)" -eq 0 ] || {
	echo "SKIP: needs root (network namespaces)" >&2
	exit 77
}

echo "building lockstepd (Release) in $BUILD" >&2
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang \
	-DLOCKSTEP_TESTS=OFF -DLOCKSTEP_SANITIZE=OFF -DLOCKSTEP_FUZZ=OFF >/dev/null || exit 1
cmake --build "$BUILD" --target lockstepd -j"$(nproc)" >/dev/null || exit 1

. "$SRC/tests/integration/lib.sh" "$BUILD"
ls_require_root

ZONE="$SRC/tests/data/zones/example.com.zone"
# ls_netns is called directly, not in $(...): a command substitution is a
# subshell, and the namespace it registers for cleanup would be lost.
ls_netns client >/dev/null
client=${LS_TAG}-client
ls_netns lockstep >/dev/null
lsnode=${LS_TAG}-lockstep
ls_netns knot >/dev/null
knot=${LS_TAG}-knot
ls_veth "$client" ls1 "$lsnode" ls0
ls_veth "$client" kn1 "$knot" kn0
ls_addr "$client" ls1 192.0.2.10/24
ls_addr "$lsnode" ls0 192.0.2.53/24
ls_addr "$client" kn1 198.51.100.10/24
ls_addr "$knot" kn0 198.51.100.53/24

# The query mix: answers, a CNAME, a wildcard, NXDOMAIN, NODATA, a referral.
cat >"$LS_TMP/queries.txt" <<'EOF'
example.com SOA
example.com NS
example.com MX
mail.example.com A
ns1.example.com A
ns1.example.com AAAA
www.example.com A
a.b.c.example.com A
foo.wild.example.com TXT
bar.wild.example.com A
nope.example.com A
mail.example.com AAAA
host.sub.example.com A
Mail.Example.COM A
EOF

# lockstepd
cat >"$LS_TMP/lockstep.conf" <<EOF
node:
  id: bench
service:
  addresses: [192.0.2.53]
  xdp: off
admin:
  http: off
zone:
  - domain: example.com.
    file: $ZONE
EOF
ls_bg "$lsnode" "$LS_TMP/lockstepd.log" "$BUILD/agent/lockstepd" -c "$LS_TMP/lockstep.conf"
LSPID=$LS_LAST_PID

# knotd, one worker of each kind
mkdir -p "$LS_TMP/knot"
cp "$ZONE" "$LS_TMP/knot/example.com.zone"
cat >"$LS_TMP/knot/knot.conf" <<EOF
server:
    rundir: $LS_TMP/knot
    listen: 198.51.100.53@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: $LS_TMP/knot
zone:
  - domain: example.com.
    file: $LS_TMP/knot/example.com.zone
    journal-content: none
    zonefile-sync: -1
EOF
ls_knotd "$knot" "$LS_TMP/knot"
KNOTPID=$LS_LAST_PID

c() { ip netns exec "$client" "$@"; }
ls_wait 10 c kdig +retry=0 +timeout=1 @192.0.2.53 example.com SOA || ls_fail "lockstepd not answering"
ls_wait 10 c kdig +retry=0 +timeout=1 @198.51.100.53 example.com SOA || ls_fail "knotd not answering"

TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run NAME PID ADDR: sets DONE (responses dnsperf saw) and TICKS (CPU, clock ticks)
run() {
	local name=$1 pid=$2 addr=$3 before after out
	local cmd="dnsperf -s $addr -d queries.txt -c $CLIENTS -l $DURATION $QOPT"
	before=$(cpu_ticks "$pid")
	out=$(cd "$LS_TMP" && c $cmd 2>&1) || ls_fail "dnsperf against $name failed: $out"
	after=$(cpu_ticks "$pid")
	echo "$out" >"$LS_TMP/dnsperf-$name.txt"
	DONE=$(echo "$out" | awk '/Queries completed:/ { print $3 }')
	TICKS=$((after - before))
}

ls_log "warm-up"
c dnsperf -s 192.0.2.53 -d "$LS_TMP/queries.txt" -l 1 $QOPT >/dev/null 2>&1
c dnsperf -s 198.51.100.53 -d "$LS_TMP/queries.txt" -l 1 $QOPT >/dev/null 2>&1

ls_done=0 ls_ticks=0 kn_done=0 kn_ticks=0 rounds=""
for r in $(seq 1 "$ROUNDS"); do
	ls_log "round $r/$ROUNDS: lockstepd, then knotd, $DURATION s each at $RATE q/s"
	run lockstepd "$LSPID" 192.0.2.53
	[ -n "$DONE" ] && [ "$DONE" -gt 0 ] || ls_fail "no responses from lockstepd"
	ls_done=$((ls_done + DONE)) ls_ticks=$((ls_ticks + TICKS))
	a=$(awk -v t="$TICKS" -v n="$DONE" 'BEGIN { print t / n }')
	run knotd "$KNOTPID" 198.51.100.53
	[ -n "$DONE" ] && [ "$DONE" -gt 0 ] || ls_fail "no responses from knotd"
	kn_done=$((kn_done + DONE)) kn_ticks=$((kn_ticks + TICKS))
	rounds="$rounds $(awk -v a="$a" -v t="$TICKS" -v n="$DONE" 'BEGIN { printf "%.2f", a / (t / n) }')"
done
ls_cpu=$(awk -v t="$ls_ticks" -v h="$TCK" 'BEGIN { printf "%.2f", t / h }')
kn_cpu=$(awk -v t="$kn_ticks" -v h="$TCK" 'BEGIN { printf "%.2f", t / h }')

per() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.2f", c * 1e6 / n }'; }
ls_us=$(per "$ls_cpu" "$ls_done")
kn_us=$(per "$kn_cpu" "$kn_done")
ratio=$(awk -v a="$ls_us" -v b="$kn_us" 'BEGIN { printf "%.2f", a / b }')

cat <<EOF

Load: \`dnsperf -s ADDR -d queries.txt -c $CLIENTS -l $DURATION $QOPT\` from a client
namespace, $(wc -l <"$LS_TMP/queries.txt") query types/names (tests/bench/slowpath.sh); the servers take
turns, $ROUNDS rounds each, in one run; CPU = utime+stime of the whole server process, summed.

| server | responses | CPU (s) | CPU per response (µs) |
|---|---:|---:|---:|
| lockstepd slow path (1 thread, recvmmsg/sendmmsg batch 64) | $ls_done | $ls_cpu | $ls_us |
| knotd $(knotd --version | awk "{ print \$NF }") (udp-workers 1, tcp-workers 1, background-workers 1) | $kn_done | $kn_cpu | $kn_us |

lockstepd / knotd CPU per response: **$ratio** (per round:$rounds)
EOF
