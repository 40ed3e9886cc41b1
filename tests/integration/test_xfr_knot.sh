#!/bin/bash
# test_xfr_knot.sh — transfers in from a real knotd primary with TSIG.
# A knotd in its own namespace serves example.com (ACL: transfers only with
# key xfr) and example.net (a key lockstepd holds with another secret).
# lockstepd pulls example.com by AXFR, answers it on its service address,
# follows an edit (knotc zone-reload; SOA refresh of 2 s) by IXFR (or the
# AXFR-style answer knotd may give), refuses example.net (wrong key: nothing
# served), and keeps serving when the primary is stopped.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig knotd knotc ip

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

pri=$(ls_netns pri)
node=$(ls_netns node)
client=$(ls_netns client)
ls_veth "$pri" p0 "$node" n0
ls_veth "$node" s0 "$client" c0
ls_addr "$pri" p0 198.51.100.10/24
ls_addr "$node" n0 198.51.100.2/24
ls_addr "$node" s0 192.0.2.53/24
ls_addr "$client" c0 192.0.2.10/24

SECRET=$(openssl rand -base64 32)
OTHER=$(openssl rand -base64 32)
K="$LS_TMP/knot"
mkdir -p "$K" "$LS_TMP/state"
zone() { # SERIAL EXTRA-RECORD
	cat <<EOF
\$ORIGIN example.com.
\$TTL 3600
@ SOA ns1 hostmaster $1 2 1 600 300
@ NS ns1
ns1 A 198.51.100.10
www A 192.0.2.80
$2
EOF
}
zone 1 "" >"$K/example.com.zone"
cat >"$K/example.net.zone" <<EOF
\$ORIGIN example.net.
\$TTL 3600
@ SOA ns1 hostmaster 1 2 1 600 300
@ NS ns1
ns1 A 198.51.100.10
EOF
{
	ls_knot_conf "$K" 198.51.100.10 "$SECRET"
	cat <<EOF
template:
  - id: default
    storage: $K
    zonefile-load: difference
    journal-content: changes
zone:
  - domain: example.com
    acl: xfr
  - domain: example.net
    acl: xfr
EOF
} >"$K/knot.conf"
ls_knotd "$pri" "$K"
KNOTPID=$LS_LAST_PID

cat >"$LS_TMP/lockstep.conf" <<EOF
node:
  id: it-xfr
  state-dir: $LS_TMP/state
service:
  addresses: [192.0.2.53]
  xdp: off
admin:
  http: off
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
  - id: other
    algorithm: hmac-sha256
    secret: $OTHER
remote:
  - id: knot
    address: 198.51.100.10
    key: xfr
  - id: knot-wrong-key
    address: 198.51.100.10
    key: other
zone:
  - domain: example.com.
    primaries: knot
  - domain: example.net.
    primaries: knot-wrong-key
EOF
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "config refused"
ls_bg "$node" "$LS_TMP/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
LSPID=$LS_LAST_PID

c() { ip netns exec "$client" "$@"; }
serial() { c kdig +short +retry=0 +timeout=1 @192.0.2.53 "$1" SOA | awk '{print $3}'; }
serial_is() { [ "$(serial "$1")" = "$2" ]; }

ls_wait 20 serial_is example.com 1 || ls_fail "example.com serial 1 not served after AXFR"
ls_log "ok: first AXFR, serial 1 served"
grep -q "serial 1 received from axfr 198.51.100.10@53" "$LS_TMP/lockstepd.log" ||
	ls_fail "no AXFR log line"
[ "$(c kdig +short +retry=0 +timeout=1 @192.0.2.53 www.example.com A)" = 192.0.2.80 ] ||
	ls_fail "www.example.com not answered from the transferred zone"

zone 2 "new A 192.0.2.81" >"$K/example.com.zone"
ip netns exec "$pri" knotc -c "$K/knot.conf" zone-reload example.com >/dev/null ||
	ls_fail "knotc zone-reload"
ls_wait 30 serial_is example.com 2 || ls_fail "serial 2 not served after the edit"
[ "$(c kdig +short +retry=0 +timeout=1 @192.0.2.53 new.example.com A)" = 192.0.2.81 ] ||
	ls_fail "the record added in serial 2 is not served"
how=$(grep -o "serial 2 received from [a-z-]*" "$LS_TMP/lockstepd.log" | head -1)
ls_log "ok: serial 2 served ($how)"

# wrong key: knotd refuses, nothing is served for example.net
ls_wait 20 grep -q "zone example.net.: SOA query from 198.51.100.10@53: TSIG" \
	"$LS_TMP/lockstepd.log" || ls_fail "no log line for the refused key"
[ -z "$(serial example.net)" ] || ls_fail "example.net served despite the wrong key"
ls_log "ok: wrong key refused, example.net silent"

# the primary stops: the live version keeps serving
kill -TERM "$KNOTPID"
ls_wait 10 bash -c "! kill -0 $KNOTPID" || ls_fail "knotd did not stop"
ls_wait 20 grep -q "no primary could be reached" "$LS_TMP/lockstepd.log" ||
	ls_fail "no retry after the primary stopped"
serial_is example.com 2 || ls_fail "example.com not served after the primary stopped"
kill -0 "$LSPID" || ls_fail "lockstepd died"
ls_log "ok: primary stopped, serial 2 still served"
exit 0
