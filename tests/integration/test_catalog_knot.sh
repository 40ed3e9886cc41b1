#!/bin/bash
# test_catalog_knot.sh — catalog zones end to end (issue 6). Namespace
# "node": a knotd primary (198.51.100.10) serves a catalog zone written here
# (RFC 9432, version "2") and its member zones with TSIG; lockstepd (admin
# 198.51.100.2, service 192.0.2.53) is configured with the catalog only.
# Namespace "client", joined by a veth pair, asks with kdig. Checked: both
# members are transferred; m2 (no plan) is answered at once; m1 carries a
# switch plan "serial=1 at=tomorrow", so its serial 1 is staged for T and
# the node stays silent for it — visible in /status; the catalog itself is
# REFUSED on the service address but transferable by AXFR on the admin
# address with the key (and not without it); after a new catalog version
# (knotc zone-reload + knotd's NOTIFY, with a short SOA refresh as the
# fallback) that moves m1's T into the past, m1 is answered; a removed
# member is no longer answered (REFUSED) and an added one is.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig knotd knotc ip openssl curl chronyd chronyc

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

node=$(ls_netns node)
client=$(ls_netns client)
for a in 198.51.100.10 198.51.100.2; do
	ip -n "$node" addr add "$a/32" dev lo || ls_fail "address $a"
done
ls_veth "$node" veth-n "$client" veth-c
ls_addr "$node" veth-n 192.0.2.53/24
ls_addr "$client" veth-c 192.0.2.100/24
ip -n "$client" route add 198.51.100.0/24 via 192.0.2.53 || ls_fail "client route"

KEY=$(openssl rand -base64 32)
K="$LS_TMP/knot"
mkdir -p "$K"
AT=$(date -u -d '+1 day' +%Y%m%d%H%M%S)
PAST=20200101000000

member() { # ZONE SERIAL ADDRESS
	printf '%s\n' "\$ORIGIN $1." '$TTL 3600' \
		"@ SOA ns1 hostmaster $2 2 2 86400 300" '@ NS ns1' 'ns1 A 198.51.100.10' \
		"www A $3" >"$K/$1.zone"
}
catalog() { # SERIAL MEMBER-LINES...
	local serial=$1
	shift
	printf '%s\n' '$ORIGIN catalog.example.' '$TTL 0' \
		"@ SOA invalid. invalid. $serial 2 2 86400 0" '@ NS invalid.' \
		'version TXT "2"' "$@" >"$K/catalog.example.zone"
}
member m1.example 1 192.0.2.81
member m2.example 1 192.0.2.82
member m3.example 1 192.0.2.83
catalog 1 'a.zones PTR m1.example.' "switch.ext.a.zones TXT \"serial=1\" \"at=$AT\"" \
	'b.zones PTR m2.example.'

printf '%s\n' "server:" "    rundir: $K" "    listen: 198.51.100.10@53" \
	"database:" "    storage: $K" "log:" "  - target: stderr" "    any: info" \
	"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $KEY" \
	"remote:" "  - id: node" "    address: 198.51.100.2@53" "    key: xfr" \
	"    via: 198.51.100.10" \
	"acl:" "  - id: xfr" "    key: xfr" "    action: transfer" \
	"template:" "  - id: default" "    storage: $K" "    acl: xfr" "    notify: node" \
	"zone:" "  - domain: catalog.example" "  - domain: m1.example" \
	"  - domain: m2.example" "  - domain: m3.example" >"$K/knot.conf"
ls_knotd "$node" "$K"

# plans switch only on a trusted clock: chronyd with a local reference
# (-x: the host's clock is left alone), as tests/integration/mesh.sh does
C="$LS_TMP/chrony"
mkdir -m 0700 -p "$C"
printf '%s\n' "user root" "bindcmdaddress $C/chronyd.sock" "cmdport 0" "port 0" \
	"pidfile $C/chronyd.pid" "driftfile $C/drift" "local stratum 1" >"$C/chrony.conf"
ls_bg "$node" "$C/chronyd.log" chronyd -x -d -f "$C/chrony.conf"
chrony_sync() {
	ip netns exec "$node" chronyc -h "$C/chronyd.sock" tracking | grep -q 'Leap status *: Normal'
}
ls_wait 20 chrony_sync || ls_fail "chronyd (local reference) not synchronised"

mkdir -p "$LS_TMP/state"
printf '%s\n' "node:" "  id: cat" "  state-dir: $LS_TMP/state" \
	"service:" "  addresses: [192.0.2.53]" "  xdp: off" \
	"admin:" "  listen: [198.51.100.2]" "  http: 198.51.100.2@8053" \
	"clock:" "  chrony-socket: $C/chronyd.sock" "  socket-dir: $LS_TMP/run" \
	"  kernel-check: report" \
	"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $KEY" \
	"remote:" "  - id: knot" "    address: 198.51.100.10" "    key: xfr" \
	"catalog:" "  - zone: catalog.example." "    primaries: [knot]" >"$LS_TMP/lockstep.conf"
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "config refused"
ls_bg "$node" "$LS_TMP/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v

c() { ip netns exec "$client" "$@"; }
rcode() { # SERVER NAME TYPE [kdig options]
	local s=$1 n=$2 t=$3
	shift 3
	c kdig +retry=0 +timeout=1 "$@" @"$s" "$n" "$t" 2>&1 | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
www() { c kdig +short +retry=0 +timeout=1 @192.0.2.53 "www.$1" A; }
www_is() { [ "$(www "$1")" = "$2" ]; }
refused() { [ "$(rcode 192.0.2.53 "$1" SOA)" = REFUSED ]; }

ls_wait 30 www_is m2.example 192.0.2.82 || ls_fail "member m2.example not answered"
ls_wait 30 grep -q "zone m1.example.: serial 1 from axfr 198.51.100.10@53 verified" \
	"$LS_TMP/lockstepd.log" || ls_fail "m1.example. was not transferred from knotd"
ls_log "ok: both members transferred from the catalog's primary, m2.example answered"

# m1's plan: serial 1 staged for T (tomorrow), silent until then — not REFUSED
st() { c curl -s --max-time 2 http://198.51.100.2:8053/status; }
staged() { st | grep -q '"m1.example.","state":"staged"'; }
ls_wait 30 staged || ls_fail "m1.example. is not staged for its plan: $(st)"
st | grep -q '"plan":{"serial":1,' || ls_fail "the plan is not in /status: $(st)"
grep -q "member m1.example.: plan " "$LS_TMP/lockstepd.log" ||
	ls_fail "the plan is not logged"
[ -z "$(rcode 192.0.2.53 m1.example SOA)" ] || ls_fail "m1.example. answered before its T"
ls_log "ok: m1.example's plan is in /status (staged) and the node is silent for it until T"

# the catalog: held, never answered on the service address
[ "$(rcode 192.0.2.53 catalog.example SOA)" = REFUSED ] ||
	ls_fail "the catalog is answered on the service address"
[ "$(rcode 192.0.2.53 version.catalog.example TXT)" = REFUSED ] ||
	ls_fail "a name in the catalog is answered on the service address"
out=$(c kdig +retry=0 +timeout=2 -y "hmac-sha256:xfr:$KEY" @198.51.100.2 catalog.example AXFR)
grep -q 'version.catalog.example..*TXT.*"2"' <<<"$out" ||
	ls_fail "catalog AXFR on the admin address failed: $out"
grep -q 'b.zones.catalog.example..*PTR.*m2.example.' <<<"$out" ||
	ls_fail "catalog AXFR on the admin address incomplete: $out"
out=$(c kdig +retry=0 +timeout=2 @198.51.100.2 catalog.example AXFR 2>&1)
grep -q 'version.catalog.example' <<<"$out" && ls_fail "catalog AXFR without the key served"
ls_log "ok: the catalog is REFUSED on the service address, AXFR on admin with the key only"

# a new catalog version: m1's T in the past, m2 removed, m3 added
catalog 2 'a.zones PTR m1.example.' "switch.ext.a.zones TXT \"serial=1\" \"at=$PAST\"" \
	'c.zones PTR m3.example.'
ip netns exec "$node" knotc -c "$K/knot.conf" zone-reload catalog.example >/dev/null ||
	ls_fail "knotc zone-reload"
ls_wait 30 www_is m3.example 192.0.2.83 || ls_fail "the added member m3.example is not answered"
ls_wait 30 refused m2.example || ls_fail "the removed member m2.example is still answered"
ls_wait 30 www_is m1.example 192.0.2.81 || ls_fail "m1.example not answered after its T passed"
ls_log "ok: catalog serial 2: m1.example answered (T passed), m2.example removed (REFUSED)," \
	"m3.example added and answered"
exit 0
