#!/bin/bash
# test_xfr_peer.sh — transfers out between mesh peers (agent/admin,
# agent/xfrout). In one namespace: a knotd primary (198.51.100.10) serves
# example.com with TSIG; node A (admin 198.51.100.2) takes it by AXFR from
# knotd; node B (primaries [knotd, A]) takes it too; A's AXFR out, signed
# with the mesh key, matches knotd's AXFR record for record; IXFR out gives
# the full zone to an old serial and the SOA alone to the current one; an
# unsigned AXFR and one with an unknown key are refused. Then knotd stops
# and node C, with an empty state-dir and primaries [knotd, A], bootstraps
# from A and serves the zone.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig knotd knotc ip openssl

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

mesh=$(ls_netns mesh)
for a in 198.51.100.10 198.51.100.2 198.51.100.3 198.51.100.4 192.0.2.2 192.0.2.3 192.0.2.4; do
	ip -n "$mesh" addr add "$a/32" dev lo || ls_fail "address $a"
done

XFR=$(openssl rand -base64 32)
PEER=$(openssl rand -base64 32)
STRANGER=$(openssl rand -base64 32)
K="$LS_TMP/knot"
mkdir -p "$K"
{
	printf '%s\n' '$ORIGIN example.com.' '$TTL 3600' \
		'@ SOA ns1 hostmaster 1 3600 600 86400 300' '@ NS ns1' 'ns1 A 198.51.100.10' \
		'www A 192.0.2.80' 'sub NS ns.sub' 'ns.sub A 192.0.2.53' '@ TXT "peer test"'
	for i in $(seq 1 3000); do echo "h$i A 192.0.2.$((i % 250 + 1))"; done
} >"$K/example.com.zone"
printf '%s\n' "server:" "    rundir: $K" "    listen: 198.51.100.10@53" \
	"database:" "    storage: $K" "log:" "  - target: stderr" "    any: info" \
	"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $XFR" \
	"acl:" "  - id: xfr" "    key: xfr" "    action: transfer" \
	"template:" "  - id: default" "    storage: $K" \
	"zone:" "  - domain: example.com" "    acl: xfr" >"$K/knot.conf"
ls_knotd "$mesh" "$K"
KNOTPID=$LS_LAST_PID

# node NAME ADMIN SERVICE PRIMARIES: write its configuration and start it
node() {
	local name=$1 admin=$2 service=$3 prim=$4
	mkdir -p "$LS_TMP/$name/state"
	printf '%s\n' "node:" "  id: $name" "  state-dir: $LS_TMP/$name/state" \
		"service:" "  addresses: [$service]" "  xdp: off" \
		"admin:" "  listen: [$admin]" "  http: off" \
		"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $XFR" \
		"  - id: peer" "    algorithm: hmac-sha256" "    secret: $PEER" \
		"remote:" "  - id: knot" "    address: 198.51.100.10" "    key: xfr" \
		"  - id: node-a" "    address: 198.51.100.2" "    key: peer" \
		"  - id: node-b" "    address: 198.51.100.3" "    key: peer" \
		"  - id: node-c" "    address: 198.51.100.4" "    key: peer" \
		"zone:" "  - domain: example.com." "    primaries: [$prim]" \
		>"$LS_TMP/$name/lockstep.conf"
	"$LOCKSTEPD" -c "$LS_TMP/$name/lockstep.conf" --check-config >/dev/null ||
		ls_fail "config of $name refused"
	ls_bg "$mesh" "$LS_TMP/$name/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/$name/lockstep.conf" -v
}

m() { ip netns exec "$mesh" "$@"; }
serial() { m kdig +short +retry=0 +timeout=1 @"$1" example.com SOA | awk '{print $3}'; }
serial_is() { [ "$(serial "$1")" = "$2" ]; }
# the records of an AXFR, one per line, sorted, without TSIG, the SOA once
records() {
	m kdig +retry=0 +timeout=5 "$@" example.com AXFR +nocomments +nostats +noquestion |
		awk '$4 != "TSIG" && NF >= 5 {$1 = tolower($1); print}' | sort -u
}

node a 198.51.100.2 192.0.2.2 knot
APID=$LS_LAST_PID
ls_wait 30 serial_is 192.0.2.2 1 || ls_fail "node A does not serve serial 1"
ls_log "ok: node A took example.com from knotd"

node b 198.51.100.3 192.0.2.3 "knot, node-a"
ls_wait 30 serial_is 192.0.2.3 1 || ls_fail "node B does not serve serial 1"
ls_log "ok: node B took example.com"

# AXFR out of node A, signed with the mesh key, equals knotd's
records @198.51.100.10 -y "hmac-sha256:xfr:$XFR" >"$LS_TMP/knot.axfr"
records @198.51.100.2 -y "hmac-sha256:peer:$PEER" >"$LS_TMP/a.axfr"
[ "$(wc -l <"$LS_TMP/knot.axfr")" -gt 3000 ] || ls_fail "knotd's AXFR is short"
diff -u "$LS_TMP/knot.axfr" "$LS_TMP/a.axfr" >"$LS_TMP/axfr.diff" ||
	ls_fail "node A's AXFR differs from knotd's: $(head -20 "$LS_TMP/axfr.diff")"
ls_log "ok: node A's signed AXFR equals knotd's ($(wc -l <"$LS_TMP/a.axfr") records)"
out=$(m kdig +retry=0 +timeout=5 @198.51.100.2 -y "hmac-sha256:peer:$PEER" example.com IXFR=0)
grep -q "www.example.com.*192.0.2.80" <<<"$out" || ls_fail "IXFR from node A: no full zone"
out=$(m kdig +retry=0 +timeout=5 @198.51.100.2 -y "hmac-sha256:peer:$PEER" example.com IXFR=1 \
	+nocomments +nostats +noquestion)
[ "$(awk '$4 == "SOA"' <<<"$out" | wc -l)" -eq 1 ] ||
	ls_fail "IXFR from a current client: not the SOA alone: $out"
ls_log "ok: IXFR out (full zone for an old serial, SOA alone for the current one)"

# unsigned and unknown-key AXFR refused
out=$(m kdig +retry=0 +timeout=5 @198.51.100.2 example.com AXFR 2>&1)
grep -q "NOTAUTH" <<<"$out" || ls_fail "unsigned AXFR not refused: $out"
grep -q "www.example.com" <<<"$out" && ls_fail "unsigned AXFR got records"
out=$(m kdig +retry=0 +timeout=5 @198.51.100.2 -y "hmac-sha256:stranger:$STRANGER" \
	example.com AXFR 2>&1)
grep -q "www.example.com" <<<"$out" && ls_fail "AXFR with an unknown key got records"
grep -q "AXFR of example.com. from .* refused: not TSIG-signed" "$LS_TMP/a/lockstepd.log" ||
	ls_fail "no log line for the unsigned AXFR"
grep -q "TSIG: unknown TSIG key" "$LS_TMP/a/lockstepd.log" ||
	ls_fail "no log line for the unknown key"
ls_log "ok: unsigned and unknown-key AXFR refused"

# the primary goes away; node C starts empty and bootstraps from node A
before=$(grep -c "admin: transfer of serial 1 to" "$LS_TMP/a/lockstepd.log")
kill -TERM "$KNOTPID"
ls_wait 10 bash -c "! kill -0 $KNOTPID" || ls_fail "knotd did not stop"
node c 198.51.100.4 192.0.2.4 "knot, node-a"
ls_wait 60 serial_is 192.0.2.4 1 || ls_fail "node C did not bootstrap from node A"
grep -q "received from axfr 198.51.100.2@53" "$LS_TMP/c/lockstepd.log" ||
	ls_fail "node C's version did not come from node A"
[ "$(m kdig +short +retry=0 +timeout=1 @192.0.2.4 h42.example.com A)" = 192.0.2.43 ] ||
	ls_fail "node C does not answer from the bootstrapped zone"
# (all nodes share one namespace, so the peer address A logs is its own)
[ "$(grep -c "admin: transfer of serial 1 to" "$LS_TMP/a/lockstepd.log")" -gt "$before" ] ||
	ls_fail "node A did not log the transfer to C"
kill -0 "$APID" || ls_fail "node A died"
ls_log "ok: node C bootstrapped from node A with knotd stopped"
exit 0
