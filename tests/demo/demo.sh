#!/usr/bin/env bash
# demo.sh — lockstep on one machine: a Knot primary with a catalog, three
# lockstep nodes in network namespaces with XDP attached, a client.
#
# Run as root on a Debian 12 host:   tests/demo/demo.sh
# It installs what is missing (.ci/deps), builds a Release tree of its own
# (build-demo/, or $LOCKSTEP_DEMO_BUILD), then shows: the nodes taking in the
# zone; a plan for serial 2 at T and all three switching together, each
# node's measured offset from T; node 2 given a tampered copy of serial 3
# falling silent for the zone at T while the others serve 3; `lockstepctl
# status` of the mesh; the health endpoints. Everything it makes lives in
# namespaces and a temporary directory, removed at the end, also on Ctrl-C.
# The topology and the prober are tests/integration/mesh.sh's.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${LOCKSTEP_DEMO_BUILD:-$SRC/build-demo}
BOLD=$(tput bold 2>/dev/null || true)
PLAIN=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN" >&2; }
say() { printf '    %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (it installs packages and makes network namespaces)" >&2
	exit 1
fi
START=$SECONDS

step "1/8 dependencies (.ci/deps: installs only what is missing)"
"$SRC/.ci/deps" || exit 1

step "2/8 building lockstep (Release) in $BUILD"
if ! cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLOCKSTEP_TESTS=ON \
	>"/tmp/lockstep-demo-cmake.log" 2>&1; then
	cat /tmp/lockstep-demo-cmake.log >&2
	exit 1
fi
targets=(--target lockstepd lockstepctl)
grep -q "bench_xdp" "$BUILD/tests/Makefile" 2>/dev/null && targets+=(bench_xdp)
if ! cmake --build "$BUILD" -j"$(nproc)" "${targets[@]}" >/tmp/lockstep-demo-build.log 2>&1; then
	tail -40 /tmp/lockstep-demo-build.log >&2
	exit 1
fi
rm -f /tmp/lockstep-demo-cmake.log /tmp/lockstep-demo-build.log
say "built in $((SECONDS - START)) s"

set -- "$BUILD"
. "$SRC/tests/integration/lib.sh" "$@"
if ! grep -q "ls_dataplane_open" "$SRC/agent/daemon.c"; then
	MESH_XDP=off
	say "NOTE: this tree's lockstepd does not attach the XDP data plane yet;"
	say "      the nodes answer from the userspace slow path (same time rule)"
fi
. "$SRC/tests/integration/mesh.sh"
mesh_require
T0=$SECONDS

step "3/8 the mesh: knotd primaries, 3 nodes (chronyd + lockstepd, XDP $MESH_XDP), a client"
say "primary  knotd 198.51.100.10 (nodes 1, 3) and 198.51.100.11 (node 2): zone $MESH_ZONE, catalog $MESH_CATZ"
say "nodeN    admin 198.51.100.N (NOTIFY, transfers, http://198.51.100.N:8053)"
say "         shared address $MESH_SHARED on its own link to the client"
say "         chronyd with a local reference clock (-x: the host clock is left alone)"
say "versions of $MESH_ZONE reach the nodes by: $MESH_DELIVERY; plans by catalog transfer"
mesh_start

step "4/8 the nodes took in the zone"
for n in 1 2 3; do
	say "node$n: serves serial $(mesh_serial $n) ($(mesh_status_get $n zone.last_source)), clock trusted: $(mesh_status_get $n clock.trusted)"
done
[ "$MESH_XDP" != off ] && for n in 1 2 3; do
	say "node$n: XDP $(mesh_status_get $n dataplane.mode) on $(mesh_status_get $n dataplane.interface) ($(ip -n "${MESH_NS[$n]}" link show "s$n" | grep -o 'prog/xdp id [0-9]*' | head -1))"
done

step "5/8 a plan: serial 2 of $MESH_ZONE at T = now + 5 s, published in the catalog"
mesh_zone 2 "$LS_TMP/zone.2"
T=$(($(mesh_now_ns) + 5000000000))
mesh_publish_plan 2 "$T"
say "catalog: switch.ext.m1.zones.$MESH_CATZ TXT \"serial=2\" \"at=$(mesh_at "$T")\""
mesh_wait_all 15 zone.plan.serial 2 || ls_fail "the plan did not reach every node"
mesh_deliver "$LS_TMP/zone.2"
mesh_wait_all 20 zone.state staged || ls_fail "serial 2 not staged everywhere"
mesh_ctl plans --nodes "$(mesh_nodes_file)" >&2
say "the client queries each node's shared address ~every 100 us from T - 1 s to T + 1 s"
mesh_probe "$LS_TMP/p1" $((T - 1000000000)) $((T + 1000000000))
ok=1
for n in 1 2 3; do mesh_check "$LS_TMP/p1" $n '1+2+' "1:2:$T" >&2 || ok=0; done
python3 "$MESH_PROBE" report "$LS_TMP/p1" "$T" 1 2 1 2 3 2>&1 | grep -v "^\(OFFSET\|WINDOW\)_US " >&2
[ $ok = 1 ] && say "=> every node answered 1 before T and 2 from T; nobody answered 1 after T"
say "each node's own record of its first answer from serial 2 (lockstepctl switches):"
mesh_ctl switches --nodes "$(mesh_nodes_file)" >&2

step "6/8 node 2 gets a tampered copy of serial 3 (a record changed after the ZONEMD was made)"
mesh_zone 3 "$LS_TMP/zone.3"
mesh_zone 3 "$LS_TMP/zone.3.bad" 0 tamper
T=$(($(mesh_now_ns) + 5000000000))
mesh_publish_plan 3 "$T"
mesh_wait_all 15 zone.plan.serial 3 || ls_fail "the plan did not reach every node"
mesh_deliver "$LS_TMP/zone.3" 1 3
mesh_deliver "$LS_TMP/zone.3.bad" 2
ls_wait 20 mesh_status_has 1 zone.state staged
ls_wait 20 mesh_status_has 3 zone.state staged
refused() { [ "$(mesh_status_get 2 zone.verify_failures)" -ge 1 ] 2>/dev/null; }
ls_wait 20 refused
say "node2's verdict: $(mesh_status_get 2 zone.last_verdict | cut -c1-150)"
mesh_probe "$LS_TMP/p2" $((T - 1000000000)) $((T + 1000000000))
ok=1
mesh_check "$LS_TMP/p2" 1 '2+3+' "2:3:$T" >&2 || ok=0
mesh_check "$LS_TMP/p2" 2 '2+-+' "2:-:$T" >&2 || ok=0
mesh_check "$LS_TMP/p2" 3 '2+3+' "2:3:$T" >&2 || ok=0
[ $ok = 1 ] && say "=> nodes 1 and 3 switched to 3 at T; node 2 fell silent at T (\"-\": no answer), never served 3 or the old 2 after T"
ls_wait 10 mesh_status_has 2 zone.state withdrawn

step "7/8 lockstepctl status of the mesh"
mesh_ctl status --nodes "$(mesh_nodes_file)" >&2
say "(exit $?: 0 means every node is ready for the next switch; node 2 is withdrawn for $MESH_ZONE)"
mesh_ctl explain --node http://198.51.100.2:8053 "$MESH_ZONE" >&2

step "8/8 the health endpoints"
for n in 1 2 3; do
	ip netns exec "$MESH_PRI" python3 - "http://198.51.100.$n:8053/health" <<'EOF' >&2
import sys, urllib.error, urllib.request
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=2)
    code, body = r.status, r.read().decode()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read().decode()
print("    GET %s -> %d %s" % (sys.argv[1], code, body.strip().replace("\n", " | ")[:150]))
EOF
done
say "/metrics of node 1 (excerpt):"
ip netns exec "$MESH_PRI" python3 -c '
import urllib.request
for l in urllib.request.urlopen("http://198.51.100.1:8053/metrics", timeout=2).read().decode().splitlines():
    if l.startswith(("lockstep_zone_serial", "lockstep_clock", "lockstep_switch", "lockstep_xdp")) and "catalog" not in l:
        print("      " + l)' 2>/dev/null | head -16 >&2

step "done in $((SECONDS - T0)) s (build and install $((T0 - START)) s); cleaning up"
exit 0
