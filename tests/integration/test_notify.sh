#!/bin/bash
# test_notify.sh — NOTIFY in and out (agent/admin, agent/notify). In one
# namespace: a knotd primary (198.51.100.10) serves example.com with SOA
# REFRESH 3600 and RETRY 600 (so only a NOTIFY can bring a new serial
# within the test) and notifies node A (admin 198.51.100.2) with the key.
# Node A has `notify: [node-b]`; node B (admin 198.51.100.3) takes the
# zone from A only. An edit plus `knotc zone-reload` must reach A through
# knotd's NOTIFY and B through A's NOTIFY. NOTIFYs from an unknown address,
# unsigned, or with a wrong secret are refused and start no refresh.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig knotd knotc ip openssl

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

mesh=$(ls_netns mesh)
for a in 198.51.100.10 198.51.100.2 198.51.100.3 198.51.100.99 192.0.2.2 192.0.2.3; do
	ip -n "$mesh" addr add "$a/32" dev lo || ls_fail "address $a"
done

XFR=$(openssl rand -base64 32)
PEER=$(openssl rand -base64 32)
WRONG=$(openssl rand -base64 32)
K="$LS_TMP/knot"
mkdir -p "$K"
zone() { # SERIAL EXTRA-RECORD
	printf '%s\n' '$ORIGIN example.com.' '$TTL 3600' \
		"@ SOA ns1 hostmaster $1 3600 600 86400 300" '@ NS ns1' 'ns1 A 198.51.100.10' \
		'www A 192.0.2.80' "$2"
}
zone 1 "" >"$K/example.com.zone"
printf '%s\n' "server:" "    rundir: $K" "    listen: 198.51.100.10@53" \
	"database:" "    storage: $K" "log:" "  - target: stderr" "    any: info" \
	"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $XFR" \
	"remote:" "  - id: node-a" "    address: 198.51.100.2@53" "    key: xfr" \
	"    via: 198.51.100.10" \
	"acl:" "  - id: xfr" "    key: xfr" "    action: transfer" \
	"template:" "  - id: default" "    storage: $K" "    zonefile-load: difference" \
	"    journal-content: changes" \
	"zone:" "  - domain: example.com" "    acl: xfr" "    notify: node-a" >"$K/knot.conf"
ls_knotd "$mesh" "$K"

# node NAME ADMIN SERVICE PRIMARIES NOTIFY
node() {
	local name=$1 admin=$2 service=$3 prim=$4 notify=$5
	mkdir -p "$LS_TMP/$name/state"
	printf '%s\n' "node:" "  id: $name" "  state-dir: $LS_TMP/$name/state" \
		"  control-socket: $LS_TMP/$name/control.sock" \
		"service:" "  addresses: [$service]" "  xdp: off" \
		"admin:" "  listen: [$admin]" "  http: off" \
		"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $XFR" \
		"  - id: peer" "    algorithm: hmac-sha256" "    secret: $PEER" \
		"remote:" "  - id: knot" "    address: 198.51.100.10" "    key: xfr" \
		"  - id: node-a" "    address: 198.51.100.2" "    key: peer" \
		"  - id: node-b" "    address: 198.51.100.3" "    key: peer" \
		"zone:" "  - domain: example.com." "    primaries: [$prim]" \
		"    notify: [$notify]" >"$LS_TMP/$name/lockstep.conf"
	"$LOCKSTEPD" -c "$LS_TMP/$name/lockstep.conf" --check-config >/dev/null ||
		ls_fail "config of $name refused"
	ls_bg "$mesh" "$LS_TMP/$name/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/$name/lockstep.conf" -v
}

m() { ip netns exec "$mesh" "$@"; }
serial() { m kdig +short +retry=0 +timeout=1 @"$1" example.com SOA | awk '{print $3}'; }
serial_is() { [ "$(serial "$1")" = "$2" ]; }
refreshes() { grep -c "admin: NOTIFY for example.com. .*refreshing" "$LS_TMP/a/lockstepd.log"; }

node a 198.51.100.2 192.0.2.2 knot node-b
A_PID=$LS_LAST_PID
ls_wait 30 serial_is 192.0.2.2 1 || ls_fail "node A does not serve serial 1"
node b 198.51.100.3 192.0.2.3 node-a ""
ls_wait 30 serial_is 192.0.2.3 1 || ls_fail "node B does not serve serial 1 (from A)"
ls_log "ok: A serves serial 1 from knotd, B from A"

# refused NOTIFYs: no refresh follows any of them
n0=$(refreshes)
out=$(m kdig +retry=0 +timeout=2 -b 198.51.100.99 @198.51.100.2 -y "hmac-sha256:xfr:$XFR" \
	example.com NOTIFY 2>&1)
grep -q "REFUSED" <<<"$out" || ls_fail "NOTIFY from an unknown address not refused: $out"
out=$(m kdig +retry=0 +timeout=2 -b 198.51.100.10 @198.51.100.2 example.com NOTIFY 2>&1)
grep -q "NOTAUTH" <<<"$out" || ls_fail "unsigned NOTIFY from the primary not refused: $out"
out=$(m kdig +retry=0 +timeout=2 -b 198.51.100.10 @198.51.100.2 -y "hmac-sha256:xfr:$WRONG" \
	example.com NOTIFY 2>&1)
grep -q "NOTAUTH\|BADSIG" <<<"$out" || ls_fail "NOTIFY with a wrong secret not refused: $out"
grep -q "TSIG: TSIG MAC mismatch" "$LS_TMP/a/lockstepd.log" || ls_fail "no log line for BADSIG"
[ "$(refreshes)" = "$n0" ] || ls_fail "a refused NOTIFY started a refresh"
ls_log "ok: NOTIFY from an unknown address, unsigned, or with a wrong secret refused"

# an edit: knotd notifies A, A notifies B; REFRESH 3600 cannot explain it
zone 2 "new A 192.0.2.81" >"$K/example.com.zone"
m knotc -c "$K/knot.conf" zone-reload example.com >/dev/null || ls_fail "knotc zone-reload"
ls_wait 30 serial_is 192.0.2.2 2 || ls_fail "node A: serial 2 not served after knotd's NOTIFY"
grep -q "admin: NOTIFY for example.com. from 198.51.100.10@.* (primary knot): refreshing" \
	"$LS_TMP/a/lockstepd.log" || ls_fail "node A did not log knotd's NOTIFY"
[ "$(m kdig +short +retry=0 +timeout=1 @192.0.2.2 new.example.com A)" = 192.0.2.81 ] ||
	ls_fail "node A does not serve the new record"
ls_log "ok: knotd's NOTIFY brought serial 2 to A"
ls_wait 30 serial_is 192.0.2.3 2 || ls_fail "node B: serial 2 not served after A's NOTIFY"
ls_wait 10 grep -q "notify example.com. serial 2 to 198.51.100.3@53 (node-b): acknowledged" \
	"$LS_TMP/a/lockstepd.log" || ls_fail "node A did not log B's acknowledgement"
grep -q "admin: NOTIFY for example.com. from 198.51.100.2@.* (primary node-a): refreshing" \
	"$LS_TMP/b/lockstepd.log" || ls_fail "node B did not log A's NOTIFY"
ls_log "ok: A's NOTIFY (signed with the mesh key) brought serial 2 to B"

# A restarts: serial 2 is re-adopted from its state-dir (no transfer:
# knotd still has serial 2) and, once live, notified to B again, so a
# peer that missed it while A was down is told without waiting for REFRESH
kill -TERM "$A_PID"
ls_wait 20 sh -c "! kill -0 $A_PID" || ls_fail "node A did not stop"
ls_bg "$mesh" "$LS_TMP/a/restart.log" "$LOCKSTEPD" -c "$LS_TMP/a/lockstep.conf" -v
ls_wait 30 serial_is 192.0.2.2 2 || ls_fail "node A: serial 2 not served after the restart"
grep -q "re-adopting live serial 2" "$LS_TMP/a/restart.log" ||
	ls_fail "node A did not re-adopt serial 2 from its state-dir"
ls_wait 20 grep -q "notify example.com. serial 2 to 198.51.100.3@53 (node-b): acknowledged" \
	"$LS_TMP/a/restart.log" || ls_fail "node A did not notify B of the re-adopted serial 2"
ls_log "ok: after a restart, A notified B of the re-adopted serial 2"
exit 0
