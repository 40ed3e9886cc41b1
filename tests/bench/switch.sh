#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Switch benchmark (issue 7): switch precision and the mixed-serial window —
# the time during which the mesh answers both serials — for lockstep beside
# the best a standard setup can do, in the same run, on the same zone.
#
#   tests/bench/switch.sh [BUILD_DIR] [RECORDS]
#
# BUILD_DIR defaults to build-switch in the source tree, configured here as a
# Release build (a sanitizer build would measure the sanitizers). RECORDS
# defaults to 100000 (the zone has RECORDS A records besides SOA, NS, A, TXT
# and ZONEMD).
#
# The mesh of tests/integration/mesh.sh (three nodes in namespaces, one
# client reaching each node's shared address over its own link):
#   lockstep: a plan "serve serial 2 at T" in the catalog; serial 2 delivered
#     and staged on every node before T; the nodes switch by the time rule.
#   baseline: in the same three namespaces, three knotd instances serve the
#     same zone from files on 192.0.2.54 (the data plane passes that address
#     through); serial 2 is written into each one's file, and `knotc
#     zone-reload` is fired at T on each (three processes asleep until T).
# The client queries each node's SOA around T, one query outstanding per
# node, one prober per node (tests/tools/meshprobe.c), PROBE_GAP_US (50)
# between one node's queries. Per node, the switch
# is bracketed between the send time of the last old answer and the receive
# time of the first new one; the mixed-serial window is at least the overlap
# seen and at most the spread of those brackets. Prints a markdown table.
# Needs root; exits 77 when something is missing.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-switch}
RECORDS=${2:-100000}

if [ "$(id -u)" -ne 0 ]; then
	echo "switch.sh: needs root (network namespaces, XDP)" >&2
	exit 77
fi
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLOCKSTEP_TESTS=ON >/dev/null || exit 1
fi
if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt"; then
	echo "switch.sh: $BUILD is not a Release build" >&2
	exit 1
fi
cmake --build "$BUILD" -j"$(nproc)" --target lockstepd lockstepctl bench_xdp meshprobe >/dev/null || exit 1

set -- "$BUILD"
. "$SRC/tests/integration/lib.sh" "$@"
. "$SRC/tests/integration/mesh.sh"
mesh_require

ls_log "mesh with a zone of $RECORDS extra records (XDP $MESH_XDP, delivery $MESH_DELIVERY)"
mesh_start "$RECORDS"
mesh_zone 2 "$LS_TMP/zone.2" "$RECORDS"
RRS=$(grep -cv '^;' "$LS_TMP/zone.2")

# ---- lockstep ------------------------------------------------------------------
T=$(($(mesh_now_ns) + 25000000000))
mesh_publish_plan 2 "$T"
mesh_wait_all 20 zone.plan.serial 2 || ls_fail "plan not accepted everywhere"
mesh_deliver "$LS_TMP/zone.2"
mesh_wait_all 60 zone.state staged || ls_fail "serial 2 not staged everywhere"
[ "$(mesh_now_ns)" -lt $((T - 1000000000)) ] || ls_fail "staging took too long for T"
ls_log "lockstep: serial 2 staged on every node; switch at T"
answered() { mesh_status_get "$1" dataplane.outcomes.answered 2>/dev/null || echo 0; }
for n in 1 2 3; do XDP_BEFORE[$n]=$(answered $n); done
# A gap between one node's queries: three probers back to back would need
# three CPUs, and on two one of them then waits a scheduler tick (4 ms)
# now and then, which the brackets would show as the switch's width.
GAP_US=${PROBE_GAP_US:-50}
mesh_probe "$LS_TMP/ls" $((T - 300000000)) $((T + 300000000)) "$MESH_SHARED" "$GAP_US"
# per node: the switch from the node's own time stamps (/status zone.switch),
# the XDP path's answers during the probe, and what did not fit the maps
for n in 1 2 3; do
	read -r at off path x sl <<<"$(mesh_switch $n)"
	us() { [ "$1" = - ] && echo - || awk -v d="$(($1 - at))" 'BEGIN { printf "%+.1f", d / 1e3 }'; }
	NODE_SW[$n]="$(us "$x") | $(us "$sl") | $path"
	NODE_XDP[$n]=$(($(answered $n) - ${XDP_BEFORE[$n]:-0}))
	NODE_FIT[$n]=$(mesh_node_log $n | grep -c "not fit")
	ls_log "node$n: switch $(mesh_status_get $n zone.switch); $(mesh_node_log $n | grep -c "maps grown") map growth(s), last: $(mesh_node_log $n | grep "maps grown" | tail -1 | cut -c1-40)"
done
for n in 1 2 3; do mesh_check "$LS_TMP/ls" $n '1+2+' "1:2:$T" >&2 || ls_fail "lockstep node$n"; done
python3 "$MESH_PROBE" report "$LS_TMP/ls" "$T" 1 2 1 2 3 >"$LS_TMP/ls.md" 2>"$LS_TMP/ls.off"

# ---- the baseline: knotd + knotc zone-reload at T ---------------------------------
for n in 1 2 3; do
	k="$LS_TMP/kb$n"
	mkdir -p "$k"
	cp "$LS_TMP/zone.1" "$k/${MESH_ZONE}zone"
	cat >"$k/knot.conf" <<EOF
server:
    rundir: $k
    listen: 192.0.2.54@53
log:
  - target: stderr
    any: notice
template:
  - id: default
    storage: $k
    zonefile-load: whole
    journal-content: none
    zonefile-sync: -1
    semantic-checks: off
zone:
  - domain: $MESH_ZONE
EOF
	ip -n "${MESH_NS[$n]}" addr add 192.0.2.54/24 dev "s$n"
	ls_knotd "${MESH_NS[$n]}" "$k"
done
kserial_is() { [ "$(ip netns exec "$MESH_CLI" kdig -b "192.0.2.1$1" @192.0.2.54 +short +retry=0 +timeout=1 "$MESH_ZONE" SOA | awk '{print $3}')" = "$2" ]; }
for n in 1 2 3; do ls_wait 60 kserial_is $n 1 || ls_fail "baseline knotd $n does not serve serial 1"; done
for n in 1 2 3; do
	cp "$LS_TMP/zone.2" "$LS_TMP/kb$n/${MESH_ZONE}zone.new"
	mv "$LS_TMP/kb$n/${MESH_ZONE}zone.new" "$LS_TMP/kb$n/${MESH_ZONE}zone"
done
TK=$(($(mesh_now_ns) + 3000000000))
RELOADS=()
for n in 1 2 3; do
	(mesh_sleep_until "$TK" && ip netns exec "${MESH_NS[$n]}" knotc -c "$LS_TMP/kb$n/knot.conf" \
		zone-reload "$MESH_ZONE" >/dev/null) &
	RELOADS+=($!)
done
ls_log "baseline: three knotd, knotc zone-reload at T"
mesh_probe "$LS_TMP/kn" $((TK - 300000000)) $((TK + 4000000000)) 192.0.2.54 "$GAP_US"
wait "${RELOADS[@]}"
# knotd may miss the prober's 100 ms deadline while it reloads (seen on a loaded machine): silence is allowed there
for n in 1 2 3; do mesh_check "$LS_TMP/kn" $n '1+-*1*-*2+' >&2 || ls_fail "baseline node$n did not switch in 4 s"; done
python3 "$MESH_PROBE" report "$LS_TMP/kn" "$TK" 1 2 1 2 3 >"$LS_TMP/kn.md" 2>"$LS_TMP/kn.off"

# ---- the table ------------------------------------------------------------------------
cell() { # FILE NODE -> "(a, b)"
	awk -v n="$2" '$1 == "OFFSET_US" && $2 == n { printf "(%+.0f, %+.0f)", $3, $4 }' "$1"
}
win() { awk '$1 == "WINDOW_US" { print $'"$2"' }' "$1"; }
LS_LO=$(win "$LS_TMP/ls.md" 2)
LS_HI=$(win "$LS_TMP/ls.md" 3)
KN_LO=$(win "$LS_TMP/kn.md" 2)
KN_HI=$(win "$LS_TMP/kn.md" 3)
q() { python3 -c "import sys; print(int(sys.argv[1]), 'queries')" "$(grep -c . "$1")"; }
echo
echo "Zone: $RRS records; 3 nodes; client round trips sampled per node ($(q "$LS_TMP/ls") lockstep, $(q "$LS_TMP/kn") baseline)."
echo "Offsets: the switch lies between the last old answer's send time and the first new answer's receive time, in us from T."
echo
echo "| setup | node1 switch (us from T) | node2 | node3 | mixed-serial window |"
echo "|---|---|---|---|---|"
echo "| lockstep (plan, XDP $MESH_XDP) | $(cell "$LS_TMP/ls.off" 1) | $(cell "$LS_TMP/ls.off" 2) | $(cell "$LS_TMP/ls.off" 3) | $LS_LO .. $LS_HI us |"
echo "| knotd + knotc zone-reload at T | $(cell "$LS_TMP/kn.off" 1) | $(cell "$LS_TMP/kn.off" 2) | $(cell "$LS_TMP/kn.off" 3) | $KN_LO .. $KN_HI us |"
echo
echo "Per node, from the node's own records (first answer from serial 2, us after T, per path; XDP answers during the lockstep probe; node-log lines with \"not fit\" (entries left to the slow path)):"
echo
echo "| node | XDP first (us) | slow path first (us) | earlier path | XDP answers in the probe | prober queries | \"not fit\" lines |"
echo "|---|---:|---:|---|---:|---:|---:|"
for n in 1 2 3; do
	echo "| node$n | ${NODE_SW[$n]} | ${NODE_XDP[$n]} | $(awk -v n=$n '$1 == n' "$LS_TMP/ls" | wc -l) | ${NODE_FIT[$n]} |"
done
echo
python3 - "$LS_HI" "$KN_LO" <<'EOF'
import sys
ls_hi, kn_lo = float(sys.argv[1]), float(sys.argv[2])
if ls_hi > 0:
    print("Ratio (baseline window, lower bound / lockstep window, upper bound): %.0fx narrower" % (kn_lo / ls_hi))
else:
    print("Ratio: lockstep window upper bound is 0 us")
EOF
exit 0
