#!/usr/bin/env bash
# test_retransfer.sh — lockstepctl retransfer / withdraw over the control socket.
#
# A knotd primary serves example.com with a one-hour SOA refresh and sends
# no NOTIFY, so after an edit only a retransfer brings the new serial.
# Checks:
#   - a non-root caller cannot use the socket: with its mode as installed
#     (0660 root) it cannot even connect; with the mode opened up (0666) the
#     agent's SO_PEERCRED check refuses it ("permission denied", exit 1) and
#     nothing is transferred;
#   - root: `lockstepctl retransfer example.com. --config FILE` exits 0 and
#     the new serial is served; an unknown zone exits 1 with the reason;
#   - `lockstepctl withdraw` silences the zone until a newer verified
#     version, which a retransfer then brings.
. "$(dirname "$0")/lib.sh" "$@"
ls_require_root
ls_require_cmd kdig knotd knotc setpriv ip
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
CTL="$LS_BUILD/agent/lockstepctl"
if [ ! -x "$LOCKSTEPD" ] || [ ! -x "$CTL" ]; then
	ls_skip "lockstepd/lockstepctl not built in $LS_BUILD"
fi
setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" --help >/dev/null 2>&1 ||
	ls_skip "uid 65534 cannot run $CTL (build directory not reachable)"

ls_netns pri >/dev/null
pri=${LS_TAG}-pri
ls_netns node >/dev/null
node=${LS_TAG}-node
ls_netns client >/dev/null
client=${LS_TAG}-client
ls_link "$pri" p0 198.51.100.10/24 "$node" n0 198.51.100.2/24
ls_link "$node" s0 192.0.2.53/24 "$client" c0 192.0.2.10/24

K="$LS_TMP/knot"
mkdir -p "$K" "$LS_TMP/state" "$LS_TMP/run"
# uid 65534 must reach the socket's directory; the socket's own mode decides
chmod 0711 "$LS_TMP"
chmod 0755 "$LS_TMP/run"
SOCK="$LS_TMP/run/control.sock"
zone() { # SERIAL
	cat <<EOF
\$ORIGIN example.com.
\$TTL 3600
@ SOA ns1 hostmaster $1 3600 600 86400 300
@ NS ns1
ns1 A 198.51.100.10
www A 192.0.2.$1
EOF
}
zone 1 >"$K/example.com.zone"
{
	ls_knot_conf "$K" 198.51.100.10
	cat <<EOF
acl:
  - id: xfr
    address: 198.51.100.0/24
    action: transfer
template:
  - id: default
    storage: $K
    zonefile-load: difference
    journal-content: changes
zone:
  - domain: example.com
    acl: xfr
EOF
} >"$K/knot.conf"
ls_knotd "$pri" "$K"

cat >"$LS_TMP/lockstep.conf" <<EOF
node:
  id: it-retransfer
  state-dir: $LS_TMP/state
  control-socket: $SOCK
service:
  addresses: [192.0.2.53]
  xdp: off
admin:
  http: off
remote:
  - id: knot
    address: 198.51.100.10
zone:
  - domain: example.com.
    primaries: knot
EOF
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "config refused"
ls_bg "$node" "$LS_TMP/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
LOG="$LS_TMP/lockstepd.log"

serial() { ip netns exec "$client" kdig +short +retry=0 +timeout=1 @192.0.2.53 example.com SOA | awk '{print $3}'; }
serial_is() { [ "$(serial)" = "$1" ]; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" "$@"; }

ls_wait 20 serial_is 1 || ls_fail "serial 1 not served after the first transfer"
ls_wait 5 test -S "$SOCK" || ls_fail "no control socket at $SOCK"
[ "$(stat -c %a "$SOCK")" = 660 ] || ls_fail "control socket mode $(stat -c %a "$SOCK"), not 660"

zone 2 >"$K/example.com.zone"
ip netns exec "$pri" knotc -c "$K/knot.conf" zone-reload example.com >/dev/null ||
	ls_fail "knotc zone-reload"
# knotd has serial 2 now; lockstepd will not ask for an hour

# not root, socket as made: the file mode keeps uid 65534 out
out=$(nobody retransfer example.com. --socket "$SOCK" 2>&1)
rc=$?
[ $rc = 2 ] || ls_fail "non-root, mode 660: exit $rc, want 2 (cannot connect): $out"
echo "$out" | grep -q "Permission denied" || ls_fail "non-root, mode 660: $out"
# not root, socket opened up: the agent itself refuses (SO_PEERCRED)
chmod 0666 "$SOCK"
out=$(nobody retransfer example.com. --socket "$SOCK" 2>&1)
rc=$?
[ $rc = 1 ] || ls_fail "non-root, mode 666: exit $rc, want 1: $out"
echo "$out" | grep -q '"ok":false' || ls_fail "non-root: not a refusal: $out"
echo "$out" | grep -q "permission denied" || ls_fail "non-root: not a refusal: $out"
grep -q "control: refused a request from uid 65534" "$LOG" || ls_fail "refusal not logged"
grep -q "control: retransfer" "$LOG" && ls_fail "a refused request ran"
serial_is 1 || ls_fail "serial changed after a refused retransfer"
ls_log "ok: non-root refused (file mode, then SO_PEERCRED)"

# root: through the socket named in the configuration
out=$("$CTL" retransfer example.com. --config "$LS_TMP/lockstep.conf" 2>&1) ||
	ls_fail "root retransfer failed: $out"
echo "$out" | grep -q '"ok":true' || ls_fail "root retransfer: $out"
ls_wait 20 serial_is 2 || ls_fail "serial 2 not served after lockstepctl retransfer"
ls_log "ok: root retransfer: serial 2 served ($out)"

out=$("$CTL" retransfer example.org. --socket "$SOCK" 2>&1)
rc=$?
[ $rc = 1 ] || ls_fail "unknown zone: exit $rc, want 1: $out"
echo "$out" | grep -q "no such zone" || ls_fail "unknown zone: $out"
out=$("$CTL" retransfer 'bad..name' --socket "$SOCK" 2>&1)
rc=$?
[ $rc = 1 ] || ls_fail "bad name: exit $rc, want 1: $out"
echo "$out" | grep -q "bad zone name" || ls_fail "bad name: $out"
ls_log "ok: unknown zone and bad name refused"

# withdraw: silent until a newer verified version
out=$("$CTL" withdraw example.com. --socket "$SOCK" 2>&1) || ls_fail "withdraw: $out"
ls_wait 10 sh -c "! ip netns exec $client kdig +retry=0 +timeout=1 @192.0.2.53 example.com SOA | grep -q 'status:'" ||
	ls_fail "example.com still answered after withdraw"
zone 3 >"$K/example.com.zone"
ip netns exec "$pri" knotc -c "$K/knot.conf" zone-reload example.com >/dev/null ||
	ls_fail "knotc zone-reload"
"$CTL" retransfer example.com. --socket "$SOCK" >/dev/null || ls_fail "retransfer after withdraw"
ls_wait 20 serial_is 3 || ls_fail "serial 3 not served after withdraw + retransfer"
ls_log "ok: withdraw silenced the zone; a newer version brought it back"
ls_log "PASS"
exit 0
