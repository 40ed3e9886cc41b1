#!/bin/bash
# test_newzone.sh — NEWZONE_NOTIFY end to end (issue 6). Namespace "node":
# a knotd master (198.51.100.10) serves new.example with TSIG; lockstepd
# (admin 198.51.100.2, service 192.0.2.53) knows knotd as a remote with the
# key but has no zone configured. The sender (tests/tools/newzone_send,
# built on ls_newzone_request() + ls_tsig_sign()) speaks as the master,
# from knotd's address: NOERROR (signed), the zone is transferred from
# knotd and answered to a client in namespace "client" (veth), and it is
# still answered after lockstepd is restarted. A NEWZONE_NOTIFY from an
# unknown address or without TSIG is REFUSED; a real UPDATE gets NOTIMP.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig knotd knotc ip openssl

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
SEND="$LS_BUILD/tests/tools/newzone_send"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"
[ -x "$SEND" ] || ls_skip "newzone_send not built in $LS_BUILD"

node=$(ls_netns node)
client=$(ls_netns client)
for a in 198.51.100.10 198.51.100.2 198.51.100.99; do
	ip -n "$node" addr add "$a/32" dev lo || ls_fail "address $a"
done
ls_veth "$node" veth-n "$client" veth-c
ls_addr "$node" veth-n 192.0.2.53/24
ls_addr "$client" veth-c 192.0.2.100/24

KEY=$(openssl rand -base64 32)
K="$LS_TMP/knot"
mkdir -p "$K"
printf '%s\n' '$ORIGIN new.example.' '$TTL 3600' \
	'@ SOA ns1 hostmaster 1 3600 600 86400 300' '@ NS ns1' 'ns1 A 198.51.100.10' \
	'www A 192.0.2.90' >"$K/new.example.zone"
printf '%s\n' "server:" "    rundir: $K" "    listen: 198.51.100.10@53" \
	"database:" "    storage: $K" "log:" "  - target: stderr" "    any: info" \
	"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $KEY" \
	"acl:" "  - id: xfr" "    key: xfr" "    action: transfer" \
	"template:" "  - id: default" "    storage: $K" "    acl: xfr" \
	"zone:" "  - domain: new.example" >"$K/knot.conf"
ls_knotd "$node" "$K"

mkdir -p "$LS_TMP/state"
printf '%s\n' "node:" "  id: nz" "  state-dir: $LS_TMP/state" \
	"service:" "  addresses: [192.0.2.53]" "  xdp: off" \
	"admin:" "  listen: [198.51.100.2]" "  http: off" \
	"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $KEY" \
	"remote:" "  - id: knot" "    address: 198.51.100.10" "    key: xfr" >"$LS_TMP/lockstep.conf"
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "config refused"
start() {
	ls_bg "$node" "$LS_TMP/lockstepd.$1.log" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
	LOCKSTEPD_PID=$LS_LAST_PID
}
start 1

send() { ip netns exec "$node" "$SEND" "$@" 198.51.100.2 new.example. ns1.new.example. \
	198.51.100.10; }
www() { ip netns exec "$client" kdig +short +retry=0 +timeout=1 @192.0.2.53 www.new.example A; }
www_is() { [ "$(www)" = "$1" ]; }
admin_up() { ip netns exec "$node" kdig +retry=0 +timeout=1 @198.51.100.2 new.example SOA; }

ls_wait 20 admin_up || ls_fail "lockstepd's admin listener does not answer"
[ -z "$(www)" ] || ls_fail "new.example answered before it was created"

# refused: an unknown address (with the key), no TSIG; a real UPDATE: NOTIMP
out=$(send -b 198.51.100.99 -y "hmac-sha256:xfr:$KEY")
[ "$out" = REFUSED ] || ls_fail "NEWZONE_NOTIFY from an unknown address: '$out', not REFUSED"
out=$(send -b 198.51.100.10)
[ "$out" = REFUSED ] || ls_fail "NEWZONE_NOTIFY without TSIG: '$out', not REFUSED"
out=$(send -u -b 198.51.100.10 -y "hmac-sha256:xfr:$KEY")
[ "${out%% *}" = NOTIMP ] || ls_fail "a real UPDATE: '$out', not NOTIMP"
[ ! -e "$LS_TMP/state/newzones" ] || ls_fail "a refused request created a zone"
ls_log "ok: unknown address and unsigned NEWZONE_NOTIFY REFUSED, real UPDATE NOTIMP"

# the master says: new.example exists, transfer it from me
out=$(send -b 198.51.100.10 -y "hmac-sha256:xfr:$KEY")
[ "$out" = "NOERROR tsig" ] || ls_fail "NEWZONE_NOTIFY from the master: '$out'"
ls_wait 30 www_is 192.0.2.90 || ls_fail "new.example is not answered after NEWZONE_NOTIFY"
grep -q "zone new.example.: serial 1 received from axfr 198.51.100.10@53" \
	"$LS_TMP/lockstepd.1.log" || ls_fail "new.example was not transferred from knotd"
grep -q "^new.example. knot$" "$LS_TMP/state/newzones" || ls_fail "new.example not in the list"
ls_log "ok: NEWZONE_NOTIFY answered NOERROR (signed); new.example transferred and answered"

# a restart: the zone is re-added from the list and answered again
kill -TERM "$LOCKSTEPD_PID"
ls_wait 10 bash -c "! kill -0 $LOCKSTEPD_PID" || ls_fail "lockstepd did not stop"
[ -z "$(www)" ] || ls_fail "answered while lockstepd is stopped"
start 2
ls_wait 30 www_is 192.0.2.90 || ls_fail "new.example is not answered after a restart"
ls_log "ok: new.example survives a restart"
exit 0
