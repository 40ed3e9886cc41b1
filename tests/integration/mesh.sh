# shellcheck shell=bash
# mesh.sh — an RFC 3258 mesh on one host, for test_mesh.sh, tests/bench/switch.sh
# and tests/demo/demo.sh. Source it after lib.sh.
#
# Owns: the topology and the parts that run in it. It must not assert
# anything itself (the scripts that source it do), and it starts nothing
# outside the namespaces and the temporary directory lib.sh made; every
# process goes through ls_bg (killed by PID on exit), every bpffs it mounts
# is unmounted on exit.
#
#   pri     knot1 198.51.100.10, knot2 198.51.100.11 (on bridge br0)
#           knot1 is the primary of node1 and node3, knot2 of node2: one
#           node can be given a different copy of a version (tampered, late)
#   nodeN   aN 198.51.100.N/24 (admin: NOTIFY, transfers, HTTP :8053)
#           sN 192.0.2.53/24   (service: XDP attached, the shared address)
#           chronyd with a local reference clock (-x: never touches the
#           host clock), command socket in the node's directory;
#           its own bpffs bound onto /sys/fs/bpf (pins survive a restart)
#   cli     cN 192.0.2.1N/32, one veth per node; policy routing sends what
#           leaves from 192.0.2.1N to the shared address over cN, so one
#           client reaches the same address 192.0.2.53 behind three links
#
# All namespaces share the host's one clock, so the client's receive time
# stamps and the nodes' switch time T are on the same time line.

MESH_N=3
MESH_ZONE=example.com.
MESH_CATZ=catalog.invalid.
MESH_SHARED=192.0.2.53
MESH_BUDGET=${MESH_BUDGET:-500ms}
MESH_LEASE=${MESH_LEASE:-10s}
MESH_XDP=${MESH_XDP:-native} # native | generic | off (slow path only)
# How versions of the member zone reach the nodes: "xfr" (AXFR/IXFR from
# the knotd primaries, after NOTIFY) or "spool" (the file dropped into each
# node's node.spool-dir, RFC 3258 §2.3 a's secure file transfer). The
# catalog (and so every plan) always comes by transfer from knotd. Default:
# xfr when the daemon transfers catalog members (ls_catalogs_primaries wired
# into the transfer client), else spool.
if [ -z "${MESH_DELIVERY:-}" ]; then
	MESH_DELIVERY=spool
	grep -q "ls_catalogs_primaries" "$LS_SRC/agent/daemon.c" "$LS_SRC/agent/xfrin.c" 2>/dev/null &&
		MESH_DELIVERY=xfr
fi
MESH_LOCKSTEPD="$LS_BUILD/agent/lockstepd"
MESH_CTL="$LS_BUILD/agent/lockstepctl"
MESH_BENCH_XDP="$LS_BUILD/tests/bench_xdp"
MESH_SECRET=$(openssl rand -base64 32)
MESH_PROBE="$LS_TMP/probe.py"
declare -A MESH_NS MESH_PID MESH_CHRONY_PID
MESH_PRI=""
MESH_CLI=""

mesh_require() {
	ls_require_root
	ls_require_cmd ip kdig knotd knotc chronyd chronyc python3 ldns-signzone openssl
	[ -x "$MESH_LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"
	[ -x "$MESH_CTL" ] || ls_skip "lockstepctl not built in $LS_BUILD"
	if [ "$MESH_XDP" != off ]; then
		[ -x "$MESH_BENCH_XDP" ] || ls_skip "tests/bench_xdp not built (no BPF tooling)"
		grep -q "ls_dataplane_open" "$LS_SRC/agent/daemon.c" ||
			ls_skip "lockstepd does not attach the XDP data plane yet (agent/daemon.c has no ls_dataplane_open); MESH_XDP=off runs the slow path only"
	fi
}

# mesh_umount: the nodes' bpffs mounts, lazily (a node's lockstepd holds its
# bind mount until lib.sh's cleanup kills it; the pins go with the last user).
mesh_umount() {
	local m
	for m in "$LS_TMP"/node*/bpffs; do
		[ -d "$m" ] && umount -l "$m" 2>/dev/null
	done
	return 0
}
trap 'rc=$?; mesh_umount; (exit $rc); ls_cleanup' EXIT

# mesh_topology: namespaces, links, addresses, routes (no processes)
mesh_topology() {
	local n
	MESH_PRI=$(ls_netns pri)
	MESH_CLI=$(ls_netns cli)
	ip -n "$MESH_PRI" link add br0 type bridge || ls_fail "bridge"
	ip -n "$MESH_PRI" link set br0 up
	ls_addr "$MESH_PRI" br0 198.51.100.10/24
	ls_addr "$MESH_PRI" br0 198.51.100.11/24
	ip netns exec "$MESH_CLI" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	for n in $(seq 1 $MESH_N); do
		MESH_NS[$n]=$(ls_netns "node$n")
		mkdir -p "$LS_TMP/node$n/state" "$LS_TMP/node$n/run" "$LS_TMP/node$n/bpffs" \
			"$LS_TMP/node$n/spool"
		ls_veth "${MESH_NS[$n]}" "a$n" "$MESH_PRI" "p$n"
		ip -n "$MESH_PRI" link set "p$n" master br0
		ls_addr "${MESH_NS[$n]}" "a$n" "198.51.100.$n/24"
		ls_veth "${MESH_NS[$n]}" "s$n" "$MESH_CLI" "c$n"
		ls_addr "${MESH_NS[$n]}" "s$n" "$MESH_SHARED/24"
		ip -n "$MESH_CLI" addr add "192.0.2.1$n/32" dev "c$n"
		ip netns exec "$MESH_CLI" sysctl -qw "net.ipv4.conf.c$n.rp_filter=0"
		ip -n "$MESH_CLI" rule add from "192.0.2.1$n" lookup "10$n"
		ip -n "$MESH_CLI" route add "$MESH_SHARED/32" dev "c$n" src "192.0.2.1$n" table "10$n"
		ip -n "$MESH_CLI" route add 192.0.2.54/32 dev "c$n" src "192.0.2.1$n" table "10$n"
		if [ "$MESH_XDP" != off ]; then
			# a veth delivers XDP_TX frames only to a peer with an XDP program
			ip netns exec "$MESH_CLI" "$MESH_BENCH_XDP" attach-pass --if "c$n" ||
				ls_skip "cannot attach XDP to a veth"
		fi
		mount -t bpf bpf "$LS_TMP/node$n/bpffs" || ls_skip "cannot mount bpffs"
	done
}

# mesh_zone SERIAL OUT [FILLER] [tamper]: example.com with SERIAL, a TXT
# naming the serial, FILLER extra A records, and a ZONEMD (SHA-384, by
# ldns-signzone -Z). "tamper" changes a record after the digest was made.
mesh_zone() {
	local serial=$1 out=$2 filler=${3:-0} tamper=${4:-} raw
	raw=$(mktemp "$LS_TMP/zone.XXXXXX")
	{
		echo "\$ORIGIN $MESH_ZONE"
		echo "\$TTL 3600"
		echo "@ SOA ns1 hostmaster $serial 2 1 600 300"
		echo "@ NS ns1"
		echo "ns1 A 198.51.100.10"
		echo "www A 192.0.2.80"
		echo "version TXT \"serial $serial\""
		[ "$filler" -gt 0 ] && awk -v n="$filler" 'BEGIN { for (i = 0; i < n; i++)
			printf "h%d A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
	} >"$raw"
	ldns-signzone -Z -z sha384 -o "$MESH_ZONE" -f "$out" "$raw" >/dev/null 2>&1 ||
		ls_fail "ldns-signzone -Z (ZONEMD) for serial $serial"
	rm -f "$raw"
	if [ -n "$tamper" ]; then
		sed -i 's/^\(www\.example\.com\.[[:space:]].*A[[:space:]]*\)192\.0\.2\.80$/\1192.0.2.66/' "$out"
		grep -q "192.0.2.66" "$out" || ls_fail "could not tamper with serial $serial"
	fi
}

# mesh_catalog SERIAL [PLAN-SERIAL PLAN-AT]: the catalog zone, with the
# switch plan property when given (AT: YYYYMMDDHHmmSS[.fff], UTC)
mesh_catalog() {
	cat <<EOF
\$ORIGIN $MESH_CATZ
\$TTL 0
@ SOA invalid. invalid. $1 2 1 600 0
@ NS invalid.
version TXT "2"
m1.zones PTR $MESH_ZONE
EOF
	[ $# -ge 3 ] && echo "switch.ext.m1.zones TXT \"serial=$2\" \"at=$3\""
}

# mesh_at UNIX_NS: the plan's at= form of a UNIX time in nanoseconds (all
# nine digits of fraction: the plan's T is exactly UNIX_NS)
mesh_at() {
	local ns=$1
	printf '%s.%09d' "$(date -u -d "@$((ns / 1000000000))" +%Y%m%d%H%M%S)" $((ns % 1000000000))
}

mesh_now_ns() { date +%s%N; }

# mesh_sleep_until UNIX_NS
mesh_sleep_until() {
	python3 -c 'import sys, time; time.sleep(max(0, int(sys.argv[1]) / 1e9 - time.time()))' "$1"
}

# mesh_knot_conf K ADDR NODE-ADDRS...: one knotd instance, files as they are
# (zonefile-load whole, no journal), NOTIFY to its nodes
mesh_knot_conf() {
	local k=$1 addr=$2 a ids=""
	shift 2
	mkdir -p "$LS_TMP/$k"
	{
		cat <<EOF
server:
    rundir: $LS_TMP/$k
    listen: $addr@53
log:
  - target: stderr
    any: info
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $MESH_SECRET
remote:
EOF
		for a in "$@"; do
			echo "  - id: n$a"
			echo "    address: $a@53"
			echo "    key: xfr"
			ids="$ids${ids:+, }n$a"
		done
		cat <<EOF
acl:
  - id: xfr
    key: xfr
    action: transfer
template:
  - id: default
    storage: $LS_TMP/$k
    zonefile-load: whole
    journal-content: none
    zonefile-sync: -1
    semantic-checks: off
    # knotd 3.2 builds IXFR deltas on reload that leave the ZONEMD change
    # out (the node rightly refuses the result): full transfers only
    provide-ixfr: off
    acl: xfr
    notify: [$ids]
zone:
  - domain: $MESH_ZONE
  - domain: $MESH_CATZ
EOF
	} >"$LS_TMP/$k/knot.conf"
}

# mesh_knot_start: knot1 (nodes 1, 3) and knot2 (node 2), serving serial 1
# and a catalog without a plan
mesh_knot_start() {
	local filler=${1:-0} k
	mesh_knot_conf knot1 198.51.100.10 198.51.100.1 198.51.100.3
	mesh_knot_conf knot2 198.51.100.11 198.51.100.2
	mesh_zone 1 "$LS_TMP/zone.1" "$filler"
	for k in knot1 knot2; do
		cp "$LS_TMP/zone.1" "$LS_TMP/$k/${MESH_ZONE}zone"
		mesh_catalog 1 >"$LS_TMP/$k/${MESH_CATZ}zone"
		ls_knotd "$MESH_PRI" "$LS_TMP/$k"
		eval "MESH_KNOT_PID_$k=$LS_LAST_PID"
	done
	MESH_CAT_SERIAL=1
}

# mesh_knot_replace K ZONE FILE: restart knotd K with FILE as ZONE, so it
# serves other content under a serial it already served (no journal: the
# file is loaded as it is)
mesh_knot_replace() {
	local k=$1 pid
	eval "pid=\$MESH_KNOT_PID_$k"
	kill -TERM "$pid"
	ls_wait 10 bash -c "! kill -0 $pid" || kill -KILL "$pid"
	cp "$3" "$LS_TMP/$k/${2}zone"
	ls_knotd "$MESH_PRI" "$LS_TMP/$k"
	eval "MESH_KNOT_PID_$k=$LS_LAST_PID"
}

# mesh_knot_load K ZONE FILE: put FILE in K's storage and reload ZONE there
mesh_knot_load() {
	local k=$1 zone=$2 file=$3
	cp "$file" "$LS_TMP/$k/${zone}zone.new" && mv "$LS_TMP/$k/${zone}zone.new" "$LS_TMP/$k/${zone}zone"
	ip netns exec "$MESH_PRI" knotc -c "$LS_TMP/$k/knot.conf" zone-reload "$zone" >/dev/null ||
		ls_fail "$k: knotc zone-reload $zone"
}

# mesh_publish_zone FILE [KNOTS...]: a version to the primaries (default both)
mesh_publish_zone() {
	local file=$1 k
	shift
	[ $# -eq 0 ] && set -- knot1 knot2
	for k in "$@"; do mesh_knot_load "$k" "$MESH_ZONE" "$file"; done
}

# mesh_deliver FILE NODES...: a version of the member zone to these nodes
# (default all). By xfr: node 2 has its own primary (knot2), nodes 1 and 3
# share knot1, so a delivery to node 2 alone (or to 1 and 3 alone) is
# possible, not to 1 without 3. By spool: the file is written beside the
# spool and renamed into it, as a secure file transfer would.
mesh_deliver() {
	local file=$1 n
	shift
	[ $# -eq 0 ] && set -- $(seq 1 $MESH_N)
	if [ "$MESH_DELIVERY" = xfr ]; then
		local k1=0 k2=0
		for n in "$@"; do
			case $n in 2) k2=1 ;; *) k1=1 ;; esac
		done
		[ $k1 = 1 ] && mesh_knot_load knot1 "$MESH_ZONE" "$file"
		[ $k2 = 1 ] && mesh_knot_load knot2 "$MESH_ZONE" "$file"
		return 0
	fi
	for n in "$@"; do
		cp "$file" "$LS_TMP/node$n/spool/.incoming" &&
			mv "$LS_TMP/node$n/spool/.incoming" "$LS_TMP/node$n/spool/${MESH_ZONE}$(basename "$file")" ||
			ls_fail "spool delivery to node$n"
	done
}

# mesh_publish_plan SERIAL AT_NS: a new catalog version carrying the plan
# (AT_NS empty: no plan), on both primaries
mesh_publish_plan() {
	local s=$1 at=$2
	MESH_CAT_SERIAL=$((MESH_CAT_SERIAL + 1))
	if [ -n "$at" ]; then
		mesh_catalog $MESH_CAT_SERIAL "$s" "$(mesh_at "$at")" >"$LS_TMP/catalog.new"
	else
		mesh_catalog $MESH_CAT_SERIAL >"$LS_TMP/catalog.new"
	fi
	mesh_knot_load knot1 "$MESH_CATZ" "$LS_TMP/catalog.new"
	mesh_knot_load knot2 "$MESH_CATZ" "$LS_TMP/catalog.new"
}

# mesh_chrony N sync|unsync: (re)start node N's chronyd. "sync": a local
# reference clock (stratum 1, leap Normal); "unsync": its only server is
# unreachable, so it never synchronises. Same command socket either way.
mesh_chrony() {
	local n=$1 mode=$2 d="$LS_TMP/node$1/chrony" old=${MESH_CHRONY_PID[$1]:-}
	if [ -n "$old" ]; then
		kill -TERM "$old" 2>/dev/null
		ls_wait 10 bash -c "! kill -0 $old" || kill -KILL "$old" 2>/dev/null
	fi
	mkdir -m 0700 -p "$d"
	{
		echo "user root"
		echo "bindcmdaddress $d/chronyd.sock"
		echo "cmdport 0"
		echo "port 0"
		echo "pidfile $d/chronyd.pid"
		echo "driftfile $d/drift"
		if [ "$mode" = sync ]; then
			echo "local stratum 1"
		else
			echo "server 198.51.100.250 iburst"
		fi
	} >"$d/chrony.conf"
	rm -f "$d/chronyd.sock"
	ls_bg "${MESH_NS[$n]}" "$d/chronyd.$mode.log" chronyd -x -d -f "$d/chrony.conf"
	MESH_CHRONY_PID[$n]=$LS_LAST_PID
}

mesh_chrony_state() { # N -> chronyc's Leap status line
	ip netns exec "${MESH_NS[$1]}" chronyc -h "$LS_TMP/node$1/chrony/chronyd.sock" tracking 2>/dev/null |
		sed -n 's/^Leap status *: //p'
}

# mesh_node_conf N: node N's lockstepd configuration
mesh_node_conf() {
	local n=$1 d="$LS_TMP/node$1" pri=198.51.100.10 svc
	[ "$n" = 2 ] && pri=198.51.100.11
	svc="{addresses: [$MESH_SHARED], xdp: off}"
	[ "$MESH_XDP" != off ] && svc="{addresses: [$MESH_SHARED], interface: s$n, xdp: $MESH_XDP}"
	cat >"$d/lockstep.conf" <<EOF
node: {id: node$n, state-dir: $d/state, spool-dir: $d/spool}
service: $svc
admin: {listen: [198.51.100.$n@53], http: 198.51.100.$n@8053}
clock:
  chrony-socket: $d/chrony/chronyd.sock
  socket-dir: $d/run
  kernel-check: report
  skew-budget: $MESH_BUDGET
  lease: $MESH_LEASE
log: {level: info}
key: [{id: xfr, algorithm: hmac-sha256, secret: $MESH_SECRET}]
remote: [{id: pri, address: $pri, key: xfr}]
catalog: [{zone: $MESH_CATZ, primaries: pri}]
EOF
	"$MESH_LOCKSTEPD" -c "$d/lockstep.conf" --check-config >/dev/null ||
		ls_fail "node$n: configuration refused"
}

# mesh_node_start N: lockstepd in node N's namespace, with the node's own
# bpffs bound onto /sys/fs/bpf (so its pins outlive the process, and three
# nodes on one host do not share /sys/fs/bpf/lockstep). Log appended.
mesh_node_start() {
	local n=$1 d="$LS_TMP/node$1"
	ls_bg "${MESH_NS[$n]}" "$d/lockstepd.run$(date +%s%N).log" sh -c \
		'mount --bind "$1" /sys/fs/bpf || exit 1; shift; exec "$@"' sh "$d/bpffs" \
		"$MESH_LOCKSTEPD" -c "$d/lockstep.conf" -v
	MESH_PID[$n]=$LS_LAST_PID
}

mesh_node_log() { cat "$LS_TMP/node$1"/lockstepd.run*.log 2>/dev/null; }

mesh_node_kill() { # N: SIGKILL, by PID
	kill -KILL "${MESH_PID[$1]}" 2>/dev/null
	ls_wait 10 bash -c "! kill -0 ${MESH_PID[$1]}"
}

# mesh_start [FILLER]: topology, primaries, chronyds, nodes; waits until
# every node's clock is trusted and every node serves serial 1
mesh_start() {
	local n
	mesh_topology
	mesh_probe_write
	mesh_knot_start "${1:-0}"
	for n in $(seq 1 $MESH_N); do mesh_chrony "$n" sync; done
	for n in $(seq 1 $MESH_N); do
		ls_wait 20 bash -c "ip netns exec ${MESH_NS[$n]} chronyc -h $LS_TMP/node$n/chrony/chronyd.sock tracking | grep -q 'Leap status *: Normal'" ||
			ls_fail "node$n: chronyd (local reference) not synchronised"
		mesh_node_conf "$n"
		mesh_node_start "$n"
	done
	ls_log "mesh: versions delivered by $MESH_DELIVERY, data plane: XDP $MESH_XDP"
	if [ "$MESH_DELIVERY" = spool ]; then
		# a spool file for a zone the node does not know yet is refused:
		# wait for the catalog to name the member
		for n in $(seq 1 $MESH_N); do
			ls_wait 30 mesh_status_has "$n" zone.zone "$MESH_ZONE" ||
				ls_fail "node$n: catalog member $MESH_ZONE not added"
		done
		mesh_deliver "$LS_TMP/zone.1"
	fi
	for n in $(seq 1 $MESH_N); do
		ls_wait 60 mesh_serial_is "$n" 1 || ls_fail "node$n does not serve serial 1"
		ls_wait 20 mesh_status_has "$n" "clock.trusted" true || ls_fail "node$n: clock not trusted"
	done
	if [ "$MESH_XDP" != off ]; then
		for n in $(seq 1 $MESH_N); do
			ip -n "${MESH_NS[$n]}" link show "s$n" | grep -q "xdp" ||
				ls_fail "node$n: no XDP program on s$n"
		done
	fi
}

# ---- queries and status ----------------------------------------------------

# mesh_q N ARGS...: kdig from the client to the shared address over node N's link
mesh_q() {
	local n=$1
	shift
	ip netns exec "$MESH_CLI" kdig -b "192.0.2.1$n" @"$MESH_SHARED" +retry=0 +timeout=1 "$@" 2>&1
}

mesh_serial() { mesh_q "$1" +short "$MESH_ZONE" SOA | awk 'NF >= 7 { print $3 }'; }
mesh_serial_is() { [ "$(mesh_serial "$1")" = "$2" ]; }
mesh_silent() { ! mesh_q "$1" "$MESH_ZONE" SOA | grep -q "status:"; }

# mesh_status N: node N's /status (JSON)
mesh_status() {
	ip netns exec "$MESH_PRI" python3 -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
		"http://198.51.100.$1:8053/status" 2>/dev/null
}

# mesh_status_get N PATH: a field of /status; PATH like "clock.trusted" or
# "zone.state" (zone.X: the example.com entry)
mesh_status_get() {
	mesh_status "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
path = sys.argv[1].split(".")
if path[0] == "zone":
    d = [z for z in d["zones"] if z["zone"].rstrip(".") == sys.argv[2].rstrip(".")][0]
    path = path[1:]
for p in path:
    d = d[p]
print(json.dumps(d) if not isinstance(d, str) else d)' "$2" "$MESH_ZONE" 2>/dev/null
}
mesh_status_has() { [ "$(mesh_status_get "$1" "$2")" = "$3" ]; }

# mesh_switch N: node N's last switch of the zone, from the node's own time
# stamps (/status zone.switch: the data plane's per-CPU record and the slow
# path's), one line "AT_TAI_NS OFFSET_NS PATH XDP_NS SLOW_NS", "-" for what
# the node has not recorded. A /status fetch can time out on a loaded
# machine: three tries before "- - - - -".
mesh_switch() {
	local i
	for i in 1 2 3; do
		mesh_switch_once "$1" && return 0
	done
	echo "- - - - -"
}
mesh_switch_once() {
	mesh_status "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
z = [z for z in d["zones"] if z["zone"].rstrip(".") == sys.argv[1].rstrip(".")][0]
s = z.get("switch") or {}
f = lambda k: "-" if s.get(k) is None else str(s[k])
print(f("at_tai_ns"), f("offset_ns"), f("path"), f("first_next_xdp_ns"), f("first_next_slow_ns"))' \
		"$MESH_ZONE" 2>/dev/null
}

# mesh_wait_all TIMEOUT PATH VALUE: every node's /status field has VALUE
mesh_wait_all() {
	local n
	for n in $(seq 1 $MESH_N); do
		ls_wait "$1" mesh_status_has "$n" "$2" "$3" || return 1
	done
}

mesh_nodes_file() { # a lockstepctl --nodes file
	for n in $(seq 1 $MESH_N); do echo "http://198.51.100.$n:8053"; done >"$LS_TMP/nodes"
	echo "$LS_TMP/nodes"
}

# mesh_ctl ARGS...: lockstepctl, from the primary's namespace (it reaches
# every node's admin address)
mesh_ctl() { ip netns exec "$MESH_PRI" "$MESH_CTL" "$@"; }

# ---- the prober --------------------------------------------------------------

# mesh_probe OUT FROM_NS TO_NS [TARGET] [GAP_US]: query the zone's SOA over
# every node's link, one query outstanding per link, from FROM_NS to TO_NS
# (UNIX ns), one prober process per node (so one node's silence does not
# slow the sampling of another); each query's send and receive time
# (CLOCK_REALTIME) and what came back are written to OUT. Foreground.
mesh_probe() {
	local out=$1 n pids=() probe=(python3 "$MESH_PROBE" probe)
	# the C prober when built (tests/tools/meshprobe.c: same output, no
	# interpreter pauses between queries), else probe.py
	[ -x "$LS_BUILD/tests/tools/meshprobe" ] && probe=("$LS_BUILD/tests/tools/meshprobe")
	for n in $(seq 1 $MESH_N); do
		ip netns exec "$MESH_CLI" "${probe[@]}" "$out.$n" "$2" "$3" \
			"${4:-$MESH_SHARED}" "${5:-100}" "$MESH_ZONE" "$n=192.0.2.1$n" &
		pids+=($!)
	done
	wait "${pids[@]}"
	sort -n -k2 "$out".[0-9]* >"$out"
	rm -f "$out".[0-9]*
}

# mesh_check OUT NODE REGEX [EDGE...]: assert node NODE's answers in OUT,
# query by query (see probe.py "check")
mesh_check() { python3 "$MESH_PROBE" check "$@"; }

mesh_probe_write() {
	cat >"$MESH_PROBE" <<'EOF'
"""probe.py: the mesh's client. probe: query, record. check: assert.
report: per node offsets from T and the mixed-serial window."""
import os, random, select, socket, struct, sys, time

# an unanswered query counts as silence after this long (a slow path busy
# for a moment is not silence; a withdrawn zone is)
TIMEOUT_NS = int(os.environ.get("MESH_PROBE_TIMEOUT_MS", "100")) * 1_000_000

def now():
    return time.clock_gettime_ns(time.CLOCK_REALTIME)

def query(qid, zone):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in zone.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 6, 1)

def skip_name(m, o):
    while True:
        l = m[o]
        if l == 0:
            return o + 1
        if l & 0xC0 == 0xC0:
            return o + 2
        o += l + 1

def answer(m, qid):
    """'SERIAL', 'R<rcode>', or None when not ours"""
    if len(m) < 12:
        return None
    i, fl, qd, an = struct.unpack(">HHHH", m[:8])
    if i != qid or not fl & 0x8000:
        return None
    if fl & 0xF:
        return "R%d" % (fl & 0xF)
    o = 12
    for _ in range(qd):
        o = skip_name(m, o) + 4
    for _ in range(an):
        o = skip_name(m, o)
        t, _c, _ttl, rdl = struct.unpack(">HHIH", m[o:o + 10])
        o += 10
        if t == 6:
            r = skip_name(m, skip_name(m, o))
            return str(struct.unpack(">I", m[r:r + 4])[0])
        o += rdl
    return "R-noSOA"

def probe(out, start, end, target, gap_us, zone, srcs):
    start, end, gap = int(start), int(end), int(gap_us) * 1000
    socks, ids = [], []
    for s in srcs:
        nid, s = s.split("=")
        ids.append(int(nid))
        k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        k.bind((s, 0))
        k.connect((target, 53))
        k.setblocking(False)
        socks.append(k)
    while now() < start:
        time.sleep(min(0.05, max(0, (start - now()) / 1e9)))
    rec = []
    state = [None] * len(socks)  # (qid, t_send)
    nxt = [0] * len(socks)
    fdmap = {k.fileno(): i for i, k in enumerate(socks)}
    while True:
        t = now()
        done = t >= end
        for i, k in enumerate(socks):
            st = state[i]
            if st and t - st[1] > TIMEOUT_NS:
                rec.append((i, st[1], 0, "-"))
                state[i] = None
            if not state[i] and not done and t >= nxt[i]:
                qid = random.getrandbits(16)
                ts = now()
                try:
                    k.send(query(qid, zone))
                except OSError:
                    rec.append((i, ts, 0, "E"))
                    nxt[i] = ts + TIMEOUT_NS
                    continue
                state[i] = (qid, ts)
                nxt[i] = ts + gap
        if done and not any(state):
            break
        t = now()
        wait = min((st[1] + TIMEOUT_NS - t) if st else (nxt[i] - t)
                   for i, st in enumerate(state))
        r, _, _ = select.select(list(fdmap), [], [], max(0, wait) / 1e9)
        for fd in r:
            i = fdmap[fd]
            try:
                m = socks[i].recv(4096)
            except OSError:
                continue
            tr = now()
            st = state[i]
            if not st:
                continue
            a = answer(m, st[0])
            if a is None:
                continue
            rec.append((i, st[1], tr, a))
            state[i] = None
    with open(out, "w") as f:
        for i, ts, tr, a in sorted(rec, key=lambda x: x[1]):
            f.write("%d %d %d %s\n" % (ids[i], ts, tr, a))

def load(path, node=None):
    rows = []
    for line in open(path):
        n, ts, tr, a = line.split()
        if node is None or int(n) == node:
            rows.append((int(n), int(ts), int(tr), a))
    return rows

def runs(rows):
    """[(symbol, count, first_send, last_send)]"""
    out = []
    for _n, ts, _tr, a in rows:
        if out and out[-1][0] == a:
            s, c, f, _l = out[-1]
            out[-1] = (s, c + 1, f, ts)
        else:
            out.append((a, 1, ts, ts))
    return out

def fmt_runs(rs, t0):
    return " ".join("%s x%d [%+.3f..%+.3f s]" % (s, c, (f - t0) / 1e9, (l - t0) / 1e9)
                    for s, c, f, l in rs)

def check(path, node, regex, *edges):
    """Node NODE's answers, in order, as a run sequence, must match REGEX
    (symbols: serials, '-' silence, 'R<n>' rcodes; e.g. '1+2+'). Each edge
    'X:Y:T_NS' asserts the time rule query by query: every X answer was to a
    query sent before T (so it was decided before T), every Y answer came
    back after T (for Y '-': the query's deadline passed after T)."""
    import re
    rows = load(path, int(node))
    if not rows:
        print("node%s: no queries recorded" % node)
        return 1
    rs = runs(rows)
    seq = "".join("<%s>" % s for s, *_ in rs)
    pat = "".join("(?:<%s>)%s" % (m.group(1), m.group(2)) for m in
                  re.finditer(r"([0-9]+|-|R[0-9a-zA-Z-]+)([+*?]?)", regex))
    t0 = rows[0][1]
    desc = fmt_runs(rs, int(edges[0].split(":")[2]) if edges else t0)
    bad = []
    if not re.fullmatch(pat, seq):
        bad.append("sequence %s does not match %s" % (seq, regex))
    for e in edges:
        x, y, t = e.split(":")
        t = int(t)
        for _n, ts, tr, a in rows:
            if a == x and ts >= t:
                bad.append("%s answered to a query sent %+.6f s after T" % (x, (ts - t) / 1e9))
                break
        for _n, ts, tr, a in rows:
            end = ts + TIMEOUT_NS if a == "-" else tr
            if a == y and end < t:
                bad.append("%s seen %+.6f s before T" % ("silence" if y == "-" else y, (end - t) / 1e9))
                break
    print("node%s: %d queries: %s" % (node, len(rows), desc))
    for b in bad:
        print("node%s: FAIL: %s" % (node, b))
    return 1 if bad else 0

def report(path, t, old, new, *nodes):
    """Per node: the last old answer and the first new one relative to T
    (the switch happened between the first's send and the second's
    receive); the mixed-serial window across nodes (from the first new
    answer anywhere to the last old answer anywhere; 0 when they do not
    overlap) and its upper bound (the same, widened by the round trips)."""
    t = int(t)
    res = {}
    for n in map(int, nodes):
        rows = load(path, n)
        olds = [r for r in rows if r[3] == old]
        news = [r for r in rows if r[3] == new]
        if not olds or not news:
            res[n] = None
            continue
        lo = max(olds, key=lambda r: r[1])
        fn = min(news, key=lambda r: r[1])
        res[n] = (lo[1] - t, lo[2] - t, fn[1] - t, fn[2] - t)
    print("| node | last %s: sent .. received | first %s: sent .. received | switch offset from T |" % (old, new))
    print("|---|---|---|---|")
    for n, r in res.items():
        if r is None:
            print("| node%d | - | - | no switch seen |" % n)
            continue
        # the switch is after the last old decision and before the first new one
        lo_s, lo_r, fn_s, fn_r = r
        print("OFFSET_US %d %.1f %.1f" % (n, lo_s / 1e3, fn_r / 1e3), file=sys.stderr)
        print("| node%d | %+.1f .. %+.1f us | %+.1f .. %+.1f us | in (%+.1f, %+.1f) us |" % (
            n, lo_s / 1e3, lo_r / 1e3, fn_s / 1e3, fn_r / 1e3, lo_s / 1e3, fn_r / 1e3))
    ok = [r for r in res.values() if r]
    if len(ok) == len(res) and ok:
        # node n switched at some s_n in (lo_s, fn_r); the mixed-serial
        # window is max(s_n) - min(s_n): at least what was seen overlapping,
        # at most what the sampling cannot tell apart
        lo = max(0, max(r[0] for r in ok) - min(r[3] for r in ok))
        hi = max(r[3] for r in ok) - min(r[0] for r in ok)
        print("\nmixed-serial window across the mesh: at least %.1f us (both serials seen at once), "
              "at most %.1f us (sampling resolution)" % (lo / 1e3, hi / 1e3))
        print("WINDOW_US %.1f %.1f" % (lo / 1e3, hi / 1e3))
    return 0

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "probe":
        sys.exit(probe(args[0], args[1], args[2], args[3], args[4], args[5], args[6:]))
    if cmd == "check":
        sys.exit(check(*args))
    if cmd == "report":
        sys.exit(report(*args))
    sys.exit(2)
EOF
}
