#!/bin/bash
# test_notify_catalog.sh — NOTIFY out for a catalog and its members
# (agent/notify, ls_notify_member). In one namespace: a knotd primary
# (198.51.100.10) serves the catalog zone catalog.example (RFC 9432,
# written here) and its members, every SOA with REFRESH 3600 and RETRY 600
# (so only a NOTIFY can bring a change within the test), and notifies node A
# (admin 198.51.100.2) with the key. Node A follows the catalog from knotd
# with `notify: [node-b]` on the catalog entry; node B (admin 198.51.100.3)
# follows the same catalog from A only, and so takes the members from A.
# Checked: an edit of member m1 reaches B through A's NOTIFY for m1 (sent
# through the catalog's list: m1 is not configured on A); a member added to
# the catalog reaches B through A's NOTIFY for the catalog, and the new
# member's first version through A's NOTIFY for it.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig knotd knotc ip openssl

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

mesh=$(ls_netns mesh)
for a in 198.51.100.10 198.51.100.2 198.51.100.3 192.0.2.2 192.0.2.3; do
	ip -n "$mesh" addr add "$a/32" dev lo || ls_fail "address $a"
done

XFR=$(openssl rand -base64 32)
PEER=$(openssl rand -base64 32)
K="$LS_TMP/knot"
mkdir -p "$K"
member() { # ZONE SERIAL ADDRESS
	printf '%s\n' "\$ORIGIN $1." '$TTL 3600' \
		"@ SOA ns1 hostmaster $2 3600 600 86400 300" '@ NS ns1' 'ns1 A 198.51.100.10' \
		"www A $3" >"$K/$1.zone"
}
catalog() { # SERIAL MEMBER-LINES...
	local serial=$1
	shift
	printf '%s\n' '$ORIGIN catalog.example.' '$TTL 0' \
		"@ SOA invalid. invalid. $serial 3600 600 86400 0" '@ NS invalid.' \
		'version TXT "2"' "$@" >"$K/catalog.example.zone"
}
member m1.example 1 192.0.2.81
member m2.example 1 192.0.2.82
catalog 1 'a.zones PTR m1.example.'
printf '%s\n' "server:" "    rundir: $K" "    listen: 198.51.100.10@53" \
	"database:" "    storage: $K" "log:" "  - target: stderr" "    any: info" \
	"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $XFR" \
	"remote:" "  - id: node-a" "    address: 198.51.100.2@53" "    key: xfr" \
	"    via: 198.51.100.10" \
	"acl:" "  - id: xfr" "    key: xfr" "    action: transfer" \
	"template:" "  - id: default" "    storage: $K" "    acl: xfr" "    notify: node-a" \
	"    zonefile-load: difference" "    journal-content: changes" \
	"zone:" "  - domain: catalog.example" "  - domain: m1.example" \
	"  - domain: m2.example" >"$K/knot.conf"
ls_knotd "$mesh" "$K"

# node NAME ADMIN SERVICE PRIMARY NOTIFY
node() {
	local name=$1 admin=$2 service=$3 prim=$4 notify=$5
	mkdir -p "$LS_TMP/$name/state"
	printf '%s\n' "node:" "  id: $name" "  state-dir: $LS_TMP/$name/state" \
		"  control-socket: $LS_TMP/$name/control.sock" \
		"service:" "  addresses: [$service]" "  xdp: off" \
		"admin:" "  listen: [$admin]" "  http: off" \
		"clock:" "  socket-dir: $LS_TMP/$name" \
		"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $XFR" \
		"  - id: peer" "    algorithm: hmac-sha256" "    secret: $PEER" \
		"remote:" "  - id: knot" "    address: 198.51.100.10" "    key: xfr" \
		"  - id: node-a" "    address: 198.51.100.2" "    key: peer" \
		"  - id: node-b" "    address: 198.51.100.3" "    key: peer" \
		"catalog:" "  - zone: catalog.example." "    primaries: [$prim]" \
		"    notify: [$notify]" >"$LS_TMP/$name/lockstep.conf"
	"$LOCKSTEPD" -c "$LS_TMP/$name/lockstep.conf" --check-config >/dev/null ||
		ls_fail "config of $name refused"
	ls_bg "$mesh" "$LS_TMP/$name/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/$name/lockstep.conf" -v
}

m() { ip netns exec "$mesh" "$@"; }
serial() { m kdig +short +retry=0 +timeout=1 @"$1" "$2" SOA | awk '{print $3}'; }
serial_is() { [ "$(serial "$1" "$2")" = "$3" ]; }

node a 198.51.100.2 192.0.2.2 knot node-b
A_PID=$LS_LAST_PID
ls_wait 30 serial_is 192.0.2.2 m1.example 1 || ls_fail "node A does not serve m1 serial 1"
node b 198.51.100.3 192.0.2.3 node-a ""
ls_wait 30 serial_is 192.0.2.3 m1.example 1 || ls_fail "node B does not serve m1 serial 1 (from A)"
ls_log "ok: A serves member m1 from knotd, B from A"

# a member edit: knotd notifies A, A notifies B through the catalog's list
member m1.example 2 192.0.2.91
m knotc -c "$K/knot.conf" zone-reload m1.example >/dev/null || ls_fail "knotc zone-reload m1"
ls_wait 30 serial_is 192.0.2.2 m1.example 2 || ls_fail "node A: m1 serial 2 not served"
ls_wait 30 serial_is 192.0.2.3 m1.example 2 ||
	ls_fail "node B: m1 serial 2 not served after A's NOTIFY"
ls_wait 10 grep -q "notify m1.example. serial 2 to 198.51.100.3@53 (node-b): acknowledged" \
	"$LS_TMP/a/lockstepd.log" || ls_fail "node A did not log B's acknowledgement for m1"
grep -q "admin: NOTIFY for m1.example. from 198.51.100.2@.* (primary node-a): refreshing" \
	"$LS_TMP/b/lockstepd.log" || ls_fail "node B did not log A's NOTIFY for m1"
[ "$(m kdig +short +retry=0 +timeout=1 @192.0.2.3 www.m1.example A)" = 192.0.2.91 ] ||
	ls_fail "node B does not serve m1's new record"
ls_log "ok: A's NOTIFY for member m1 (catalog's notify list) brought serial 2 to B"

# a member added: A notifies B of the catalog, then of the new member
catalog 2 'a.zones PTR m1.example.' 'b.zones PTR m2.example.'
m knotc -c "$K/knot.conf" zone-reload catalog.example >/dev/null ||
	ls_fail "knotc zone-reload catalog"
ls_wait 30 serial_is 192.0.2.2 m2.example 1 || ls_fail "node A: new member m2 not served"
ls_wait 30 serial_is 192.0.2.3 m2.example 1 || ls_fail "node B: new member m2 not served"
grep -q "admin: NOTIFY for catalog.example. from 198.51.100.2@.* (primary node-a): refreshing" \
	"$LS_TMP/b/lockstepd.log" || ls_fail "node B did not log A's NOTIFY for the catalog"
ls_wait 10 grep -q "notify catalog.example. serial 2 to 198.51.100.3@53 (node-b): acknowledged" \
	"$LS_TMP/a/lockstepd.log" || ls_fail "node A did not log B's acknowledgement for the catalog"
# acknowledged, or refused when it overtook the catalog on its way to B
ls_wait 20 grep -q "notify m2.example. serial 1 to 198.51.100.3@53 (node-b): " \
	"$LS_TMP/a/lockstepd.log" || ls_fail "node A sent no NOTIFY for the new member m2"
ls_log "ok: the catalog's new version and its new member reached B through A's NOTIFYs"

# A restarts: the catalog and its members are re-adopted from the state-dir
# (knotd has nothing newer), and each re-adopted live version is notified
# to B again through the catalog's list — members included, although a
# member is known to be one only once the catalog's version is live
kill -TERM "$A_PID"
ls_wait 20 sh -c "! kill -0 $A_PID" || ls_fail "node A did not stop"
ls_bg "$mesh" "$LS_TMP/a/restart.log" "$LOCKSTEPD" -c "$LS_TMP/a/lockstep.conf" -v
for z in "catalog.example. serial 2" "m1.example. serial 2" "m2.example. serial 1"; do
	ls_wait 30 grep -q "notify $z to 198.51.100.3@53 (node-b): acknowledged" \
		"$LS_TMP/a/restart.log" || ls_fail "after a restart, A did not notify B of $z"
done
grep -q "re-adopting live serial 2 " "$LS_TMP/a/restart.log" || ls_fail "A re-adopted nothing"
ls_log "ok: after a restart, A notified B of the re-adopted catalog and both members"
exit 0
