#!/usr/bin/env bash
# test_xfr_acl.sh — allow-transfer on a zone (agent/admin.c), with kdig.
#
# One node serves example.com from a zone file. Remotes node-b
# (198.51.100.3) and node-c (198.51.100.4) share the mesh key `peer`;
# remote pri (198.51.100.10) has key `xfr`. Checks:
#   - without allow-transfer (the default), node-c's and pri's keys may
#     AXFR (any key some remote uses, as before the option);
#   - after a SIGHUP with `allow-transfer: [node-b]`: node-b gets the zone;
#     the same shared key from node-c's address gets REFUSED, pri's key
#     REFUSED; one log line per refusal names zone, peer and key; the
#     refusals are counted in lockstep_admin_transfers_acl_refused_total;
#     SOA queries are still answered.
. "$(dirname "$0")/lib.sh" "$@"
ls_require_root
ls_require_cmd kdig openssl ip curl
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

mesh=$(ls_netns mesh)
for a in 198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.10 192.0.2.2; do
	ip -n "$mesh" addr add "$a/32" dev lo || ls_fail "address $a"
done
m() { ip netns exec "$mesh" "$@"; }
mkdir -p "$LS_TMP/state"
{
	printf '$ORIGIN example.com.\n$TTL 3600\n'
	printf '@ SOA ns1 hostmaster 3 3600 600 86400 300\n@ NS ns1\nns1 A 198.51.100.2\n'
	for i in $(seq 1 100); do printf 'h%d A 192.0.2.%d\n' "$i" "$i"; done
} >"$LS_TMP/example.com.zone"
PEER=$(openssl rand -base64 32)
XFR=$(openssl rand -base64 32)

conf() { # EXTRA-ZONE-LINES...
	printf '%s\n' "node:" "  id: it-xfr-acl" "  state-dir: $LS_TMP/state" \
		"  control-socket: $LS_TMP/control.sock" \
		"service:" "  addresses: [192.0.2.2]" "  xdp: off" \
		"admin:" "  listen: [198.51.100.2]" "  http: 198.51.100.2@8053" \
		"key:" "  - id: peer" "    algorithm: hmac-sha256" "    secret: $PEER" \
		"  - id: xfr" "    algorithm: hmac-sha256" "    secret: $XFR" \
		"remote:" "  - id: node-b" "    address: 198.51.100.3" "    key: peer" \
		"  - id: node-c" "    address: 198.51.100.4" "    key: peer" \
		"  - id: pri" "    address: 198.51.100.10" "    key: xfr" \
		"zone:" "  - domain: example.com." "    file: $LS_TMP/example.com.zone" "$@" \
		>"$LS_TMP/lockstep.conf"
	"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null ||
		ls_fail "configuration refused: $*"
}
LOG="$LS_TMP/lockstepd.log"
axfr() { # SOURCE KEY-ID SECRET: the AXFR's answer lines, or the status
	m kdig +retry=0 +timeout=3 -b "$1" @198.51.100.2 -y "hmac-sha256:$2:$3" example.com AXFR 2>&1
}
records() { axfr "$@" | grep -c "^h[0-9]*\.example\.com\..*IN"; }
refused() { # kdig exits non-zero on REFUSED: keep its output, then look
	axfr "$@" >"$LS_TMP/kdig.out"
	grep -q "REFUSED" "$LS_TMP/kdig.out"
}
metric() {
	m curl -s "http://198.51.100.2:8053/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

conf "    notify: []"
ls_bg "$mesh" "$LOG" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
PID=$LS_LAST_PID
ls_wait 30 sh -c "ip netns exec $mesh kdig +short +retry=0 +timeout=1 @192.0.2.2 example.com SOA | grep -q ' 3 '" ||
	ls_fail "example.com not served from the file"
[ "$(records 198.51.100.4 peer "$PEER")" = 100 ] || ls_fail "default: node-c's AXFR refused"
[ "$(records 198.51.100.10 xfr "$XFR")" = 100 ] || ls_fail "default: pri's AXFR refused"
ls_log "ok: without allow-transfer, any key a remote uses may transfer (the default)"

conf "    allow-transfer: [node-b]"
kill -HUP "$PID"
ls_wait 20 grep -q "configuration reloaded" "$LOG" || ls_fail "reload not logged"
[ "$(records 198.51.100.3 peer "$PEER")" = 100 ] || ls_fail "node-b's AXFR not served"
refused 198.51.100.4 peer "$PEER" || ls_fail "node-c (shared key, other address) not REFUSED: $(cat "$LS_TMP/kdig.out")"
refused 198.51.100.10 xfr "$XFR" || ls_fail "pri's key not REFUSED"
grep -q "admin: AXFR of example.com. from 198.51.100.4@[0-9]* refused: its allow-transfer lists no remote with key peer at this address" \
	"$LOG" || ls_fail "the refusal of node-c was not logged"
grep -q "admin: AXFR of example.com. from 198.51.100.10@[0-9]* refused: .* key xfr " "$LOG" ||
	ls_fail "the refusal of pri was not logged"
[ "$(metric lockstep_admin_transfers_acl_refused_total)" = 2 ] ||
	ls_fail "acl refusals counted $(metric lockstep_admin_transfers_acl_refused_total), want 2"
m kdig +short +retry=0 +timeout=2 -b 198.51.100.4 @198.51.100.2 -y "hmac-sha256:peer:$PEER" \
	example.com SOA | grep -q " 3 " || ls_fail "SOA no longer answered to node-c"
ls_log "ok: allow-transfer [node-b]: node-b served; shared key elsewhere and pri REFUSED, logged, counted"
ls_log "PASS"
exit 0
