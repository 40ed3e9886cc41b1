#!/usr/bin/env bash
# xdp.sh — what an answer costs in the XDP data plane, beside knotd.
#
#   sudo tests/bench/xdp.sh [BUILD_DIR]     (default: build-bench in the source tree)
#
# In one run, each part printed as a markdown table:
#  1. ns per query through BPF_PROG_TEST_RUN for a mix (positive, NODATA,
#     NXDOMAIN, referral, wildcard, passed), beside the no-op XDP program,
#     both as single runs (the program rewrites the packet in place, so a
#     repeat count would measure the response being passed from run 2 on);
#  2. the kernel's own statistics (run_time_ns / run_cnt, with
#     kernel.bpf_stats_enabled) for the program attached to a veth in a
#     namespace under dnsperf load, beside the no-op program the client's
#     veth runs on every response under the same load (the floor);
#  3. throughput on the wire: kxdpgun (AF_XDP) from a client namespace at
#     rising rates against lockstep's XDP path and against knotd serving the
#     same zone (knotd with one UDP worker per core: its best); the highest
#     rate with >= 99% answered, and whether the generator itself was the
#     limit (it sent less than asked); and the program's run_time_ns /
#     run_cnt over lockstep's sweep (queries back to back).
#  2b. where the time goes under real traffic: the program cut short after
#     each step (bench_xdp serve --cut N, enum ls_bench_cut: it drops there)
#     and the no-op program, each attached in turn and fed by kxdpgun at one
#     fixed rate (FLOOR_RATE, FLOOR_S s): run_time_ns / run_cnt per variant.
#     With OLD=<bench_xdp of another build>, part 2 alternates that build's
#     program with this one's, ROUNDS times, in the same run.
#  4. with MEMORY=1: map memory per name for a zone of 1,000,000 delegations
#     (two NS each, unique names: no body is shared) beside knotd's resident
#     memory for the same zone.
# Knobs: DURATION (s per step, 3), RATES ("100000 200000 ..."), PERF_S (10),
# MEMORY (0), OLD (unset), ROUNDS (2), FLOOR (1), FLOOR_RATE (100000),
# FLOOR_S (5); TESTRUN=0 skips part 1, SWEEP=0 part 3.
# Exit: 0, 1 on failure, 77 when root, dnsperf, kxdpgun or knotd is missing.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-bench}
DURATION=${DURATION:-3}
RATES=${RATES:-"50000 100000 200000 300000 400000 600000 800000 1000000 1200000"}
PERF_S=${PERF_S:-10}
ROUNDS=${ROUNDS:-2}
FLOOR=${FLOOR:-1}
FLOOR_RATE=${FLOOR_RATE:-100000}
FLOOR_S=${FLOOR_S:-5}
OLD=${OLD:-}

for c in dnsperf kxdpgun knotd knotc bpftool cmake; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "SKIP: needs $c" >&2
		exit 77
	}
done
[ "$(id -u)" -eq 0 ] || {
	echo "SKIP: needs root" >&2
	exit 77
}

echo "building bench_xdp (Release) in $BUILD" >&2
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang \
	-DLOCKSTEP_SANITIZE=OFF -DLOCKSTEP_FUZZ=OFF >/dev/null || exit 1
cmake --build "$BUILD" --target bench_xdp -j"$(nproc)" >/dev/null || exit 1
TOOL="$BUILD/tests/bench_xdp"

. "$SRC/tests/integration/lib.sh" "$BUILD"
ls_require_root
ZONE="$SRC/tests/data/zones/example.com.zone"

if [ "${TESTRUN:-1}" = 1 ]; then
	echo "## 1. BPF_PROG_TEST_RUN, ns per query (single runs, kernel-measured)"
	echo
	"$TOOL" testrun --zone "$ZONE" --runs 100000 2>/dev/null || ls_fail "testrun"
	echo
	echo "## 1b. BPF_PROG_TEST_RUN, the program cut short after each step (ns, cumulative, hot cache)"
	echo
	"$TOOL" steps --zone "$ZONE" --runs 20000 2>/dev/null || ls_fail "steps"
	echo
fi

# Namespaces: client <-> lockstep (XDP), client <-> knot.
client=$(ls_netns client)
lsn=$(ls_netns lockstep)
kn=$(ls_netns knot)
ls_veth "$client" lc0 "$lsn" ls0
ls_veth "$client" kc0 "$kn" kn0
ls_addr "$client" lc0 192.0.2.10/24
ls_addr "$lsn" ls0 192.0.2.53/24
ls_addr "$client" kc0 198.51.100.10/24
ls_addr "$kn" kn0 198.51.100.53/24
ip netns exec "$client" "$TOOL" attach-pass --if lc0 || ls_fail "attach-pass"
mkdir -p "$LS_TMP/bpffs"
mount -t bpf bpf "$LS_TMP/bpffs" || ls_fail "bpffs"
trap 'rc=$?; sysctl -qw kernel.bpf_stats_enabled=0; umount -l "$LS_TMP/bpffs" 2>/dev/null; (exit $rc); ls_cleanup' EXIT

# the program's own statistics: run_time_ns and run_cnt
pstat() {
	bpftool prog show id "$1" -j |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("run_time_ns",0), d.get("run_cnt",0))'
}
xdp_prog_id() { # NETNS IFACE
	ip -n "$1" -j link show "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])'
}
SERVE_PID=
# serve_start BENCH_XDP [CUT]: the zone served on ls0 by that build's program
serve_start() {
	local bin=$1 cut=${2:-0} extra=()
	[ "$cut" != 0 ] && extra=(--cut "$cut")
	: >"$LS_TMP/agent.log"
	ls_bg "$lsn" "$LS_TMP/agent.log" "$bin" serve --if ls0 --pin "$LS_TMP/bpffs/ls" \
		--addr 192.0.2.53 --zone "$ZONE" --lease-ms 5000 "${extra[@]}"
	SERVE_PID=$LS_LAST_PID
	ls_wait 60 grep -q ready "$LS_TMP/agent.log" || ls_fail "agent did not start"
	progid=$(xdp_prog_id "$lsn" ls0)
}
serve_stop() { # SIGTERM: detach and unpin
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	cat "$LS_TMP/agent.log" >>"$LS_TMP/agents.log"
	SERVE_PID=
}
serve_start "$TOOL"

mkdir -p "$LS_TMP/knot"
cat >"$LS_TMP/knot/knot.conf" <<EOF
server:
    rundir: "$LS_TMP/knot"
    listen: 198.51.100.53@53
    udp-workers: $(nproc)
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "$LS_TMP/knot"
zone:
  - domain: example.com.
    file: "$ZONE"
    zonefile-sync: -1
    journal-content: none
EOF
ls_knotd "$kn" "$LS_TMP/knot"
KNOT_PID=$LS_LAST_PID

# The query mix (dnsperf and kxdpgun formats); all answered in XDP.
printf '%s\n' "mail.example.com A" "mail.example.com AAAA" "nope.example.com A" \
	"www.sub.example.com A" "foo.wild.example.com TXT" "example.com SOA" \
	"ns1.example.com AAAA" "example.com MX" >"$LS_TMP/q.txt"

echo "## 2. Kernel statistics under dnsperf (veth, native XDP, $PERF_S s)"
echo
sysctl -qw kernel.bpf_stats_enabled=1
# the client's veth runs the no-op program on every response: the floor
# of what run_time_ns/run_cnt reports under the same load (the statistics'
# own clock reads, a cold start per packet)
noopid=$(xdp_prog_id "$client" lc0)
# xdp_perf: dnsperf against the program attached now; prints "ns runs qps lost noop_ns"
xdp_perf() {
	local t0 c0 t1 c1 p0 q0 p1 q1
	read -r t0 c0 < <(pstat "$progid")
	read -r p0 q0 < <(pstat "$noopid")
	ip netns exec "$client" dnsperf -s 192.0.2.53 -d "$LS_TMP/q.txt" -l "$PERF_S" -c 8 -t 1 >"$LS_TMP/perf.log" 2>&1
	read -r t1 c1 < <(pstat "$progid")
	read -r p1 q1 < <(pstat "$noopid")
	echo "$(((t1 - t0) / (c1 - c0 > 0 ? c1 - c0 : 1))) $((c1 - c0)) $(awk '/Queries per second/ {print $4}' "$LS_TMP/perf.log") $(awk '/Queries lost/ {print $3}' "$LS_TMP/perf.log") $(((p1 - p0) / (q1 - q0 > 0 ? q1 - q0 : 1)))"
}
read -r xns xruns qps lost noopns < <(xdp_perf)
# knotd under the same load: its whole process CPU (utime + stime) per response
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
k0=$(cpu "$KNOT_PID")
ip netns exec "$client" dnsperf -s 198.51.100.53 -d "$LS_TMP/q.txt" -l "$PERF_S" -c 8 -t 1 >"$LS_TMP/perf-knot.log" 2>&1
k1=$(cpu "$KNOT_PID")
kresp=$(awk '/Queries completed/ {print $3}' "$LS_TMP/perf-knot.log")
kqps=$(awk '/Queries per second/ {print $4}' "$LS_TMP/perf-knot.log")
tick=$(getconf CLK_TCK)
kns=$(((k1 - k0) * 1000000000 / tick / (kresp > 0 ? kresp : 1)))
echo "| server | queries | CPU ns per query | how measured | dnsperf qps | lost |"
echo "|---|---|---|---|---|---|"
echo "| lockstep XDP | $xruns | $xns | run_time_ns/run_cnt | $qps | $lost |"
echo "| knotd (UDP) | $kresp | $kns | utime+stime / responses | $kqps | |"
echo "| no-op XDP (client veth, same load) | | $noopns | run_time_ns/run_cnt | | |"
echo
echo "knotd / XDP CPU per query: $((kns / (xns > 0 ? xns : 1)))x"
echo
if [ -n "$OLD" ]; then
	echo "### 2a. This build beside OLD=$OLD, alternating ($ROUNDS rounds, dnsperf $PERF_S s each)"
	echo
	echo "| round | build | ns per answer (run_time_ns/run_cnt) | queries | dnsperf qps | no-op on the client veth |"
	echo "|---|---|---|---|---|---|"
	for r in $(seq "$ROUNDS"); do
		for which in old new; do
			serve_stop
			if [ "$which" = old ]; then serve_start "$OLD"; else serve_start "$TOOL"; fi
			read -r xns2 xruns2 qps2 lost2 noop2 < <(xdp_perf)
			echo "| $r | $which | $xns2 | $xruns2 | $qps2 | $noop2 |"
		done
	done
	echo
fi
sysctl -qw kernel.bpf_stats_enabled=0

if [ "$FLOOR" = 1 ]; then
	echo "## 2b. Where the time goes under real traffic (kxdpgun at $FLOOR_RATE q/s, $FLOOR_S s per variant)"
	echo
	echo "Each variant drops every query after the step named (the whole program answers);"
	echo "run_time_ns / run_cnt of the program on ls0, variants in one run, one after another."
	echo
	echo "| variant | runs | ns per packet |"
	echo "|---|---|---|"
	sysctl -qw kernel.bpf_stats_enabled=1
	floor_run() { # NAME
		local t0 c0 t1 c1
		read -r t0 c0 < <(pstat "$progid")
		ip netns exec "$client" kxdpgun -t "$FLOOR_S" -Q "$FLOOR_RATE" -i "$LS_TMP/q.txt" \
			-I lc0 192.0.2.53 >"$LS_TMP/floor.log" 2>&1
		read -r t1 c1 < <(pstat "$progid")
		echo "| $1 | $((c1 - c0)) | $(((t1 - t0) / (c1 - c0 > 0 ? c1 - c0 : 1))) |"
	}
	serve_stop
	ip netns exec "$lsn" "$TOOL" attach-pass --if ls0 || ls_fail "attach-pass ls0"
	progid=$(xdp_prog_id "$lsn" ls0)
	floor_run "no-op program (XDP_PASS)"
	ip -n "$lsn" link set ls0 xdp off
	cut=1
	for name in "headers (Ethernet, IP, UDP, address)" "+ DNS parse (name, hashes, EDNS)" \
		"+ zone lookup, control copy" "+ clock, decision" "+ answer lookups, body header" \
		"+ adjust_tail, body copy"; do
		serve_start "$TOOL" "$cut"
		floor_run "$name"
		serve_stop
		cut=$((cut + 1))
	done
	serve_start "$TOOL"
	floor_run "whole program (answers, XDP_TX)"
	sysctl -qw kernel.bpf_stats_enabled=0
	echo
fi
[ -n "$SERVE_PID" ] || serve_start "$TOOL"

if [ "${SWEEP:-1}" = 1 ]; then
	echo "## 3. kxdpgun throughput (${DURATION} s per step, highest rate with >= 99% answered)"
	echo
	# kxdpgun query file: "name type" lines as dnsperf's
	sweep() { # NAME TARGET IFACE
		local name=$1 target=$2 ifc=$3 best=0 r out sent recv
		for r in $RATES; do
			out=$(ip netns exec "$client" kxdpgun -t "$DURATION" -Q "$r" -i "$LS_TMP/q.txt" \
				-I "$ifc" "$target" 2>&1)
			sent=$(echo "$out" | awk '/total queries:/ {print $3; exit}')
			recv=$(echo "$out" | awk '/total replies:/ {print $3; exit}')
			[ -n "$sent" ] && [ -n "$recv" ] || {
				echo "$out" >&2
				break
			}
			local asked=$((r * DURATION)) pct=$((recv * 1000 / (sent > 0 ? sent : 1)))
			local limit=""
			[ "$sent" -lt $((asked * 95 / 100)) ] && limit=" (generator limit: sent $sent of $asked)"
			local got=$((recv / DURATION))
			echo "| $name | $r | $sent | $recv | $got | $((pct / 10)).$((pct % 10))%$limit |"
			[ "$pct" -ge 990 ] && [ "$got" -gt "$best" ] && best=$got
		done
		echo "| **$name** | | | | **$best** | highest answered qps with >= 99% answered |"
	}
	echo "| server | asked qps | sent | answered | answered qps | answered % |"
	echo "|---|---|---|---|---|---|"
	# the program's own statistics over the whole sweep: the cost per query
	# when queries arrive back to back (warm caches), beside part 2's
	sysctl -qw kernel.bpf_stats_enabled=1
	read -r s0 n0 < <(bpftool prog show id "$progid" -j | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("run_time_ns",0), d.get("run_cnt",0))')
	sweep lockstep-xdp 192.0.2.53 lc0
	read -r s1 n1 < <(bpftool prog show id "$progid" -j | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("run_time_ns",0), d.get("run_cnt",0))')
	sysctl -qw kernel.bpf_stats_enabled=0
	sweep knotd 198.51.100.53 kc0
	echo
	echo "lockstep XDP over its sweep: $((n1 - n0)) runs, $(((s1 - s0) / (n1 - n0 > 0 ? n1 - n0 : 1))) ns per run (run_time_ns/run_cnt)"
	echo
fi
if [ "${MEMORY:-0}" = 1 ]; then
	echo "## 4. Memory for 1,000,000 delegations"
	echo
	python3 - "$LS_TMP/big.test.zone" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("$ORIGIN big.test.\n$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
            "@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n")
    for i in range(1000000):
        f.write("d%07d NS ns1.d%07d.hoster.example.\nd%07d NS ns2.d%07d.hoster.example.\n" % (i, i, i, i))
PY
	mem=$("$TOOL" memory --zone "$LS_TMP/big.test.zone" 2>/dev/null)
	echo "$mem" >&2
	mapb=$(echo "$mem" | awk '/map_bytes/ {print $4}')
	per=$(echo "$mem" | awk '/map_bytes/ {print $6}')
	zoneb=$(echo "$mem" | awk '/map_bytes/ {print $8}')
	mkdir -p "$LS_TMP/knotbig"
	sed "s|$LS_TMP/knot\"|$LS_TMP/knotbig\"|g; s|domain: example.com.|domain: big.test.|; s|file: \".*\"|file: \"$LS_TMP/big.test.zone\"|; s|198.51.100.53@53|198.51.100.53@5300|" \
		"$LS_TMP/knot/knot.conf" >"$LS_TMP/knotbig/knot.conf"
	ls_knotd "$kn" "$LS_TMP/knotbig"
	kpid=$LS_LAST_PID
	ls_wait 300 sh -c "ip netns exec $kn knotc -c $LS_TMP/knotbig/knot.conf zone-status big.test. | grep -q 'serial: 1'"
	sleep 2
	krss=$(($(awk '/VmRSS/ {print $2}' "/proc/$kpid/status") * 1024))
	echo "| | bytes | per delegation |"
	echo "|---|---|---|"
	echo "| lockstep XDP maps (one generation) | $mapb | $per |"
	echo "| lockstep agent's zone model (userspace) | $zoneb | $((zoneb / 1000000)) |"
	echo "| knotd resident memory, zone loaded | $krss | $((krss / 1000000)) |"
	echo
fi
serve_stop
cat "$LS_TMP/agents.log" >&2
exit 0
