#!/usr/bin/env bash
# test_xot_reload.sh — admin.tls-listen follows SIGHUP (agent/admin.c).
#
# One node serves example.com from a zone file, with admin.listen on
# 198.51.100.2 and no XoT listener. Checks:
#   - before: `kdig +tls` to 198.51.100.2@853 gets no answer (nothing
#     listens there);
#   - a SIGHUP whose configuration adds admin.tls-listen (certificate and
#     key made by openssl here) opens the listener without a restart: the
#     same lockstepd process answers `kdig +tls +tls-ca +tls-hostname` with
#     TSIG for an AXFR with the whole zone (the old code took the address
#     only at start, so this failed until a restart);
#   - a second SIGHUP that moves the listener to port 8853 closes 853 and
#     opens 8853 (AXFR there; nothing on 853);
#   - a SIGHUP that removes tls-listen closes it; plain TCP AXFR still works.
. "$(dirname "$0")/lib.sh" "$@"
ls_require_root
ls_require_cmd kdig openssl ip
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

mesh=$(ls_netns mesh)
for a in 198.51.100.2 198.51.100.3 192.0.2.2; do
	ip -n "$mesh" addr add "$a/32" dev lo || ls_fail "address $a"
done
m() { ip netns exec "$mesh" "$@"; }

P="$LS_TMP/pki"
mkdir -p "$P" "$LS_TMP/state"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$P/ca.key" -subj "/CN=ca" -out "$P/ca.pem" 2>/dev/null || ls_fail "openssl: CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$P/node.key" -subj "/CN=node" -out "$P/node.csr" 2>/dev/null &&
	printf 'subjectAltName=IP:198.51.100.2,DNS:node.test\nextendedKeyUsage=serverAuth\n' \
		>"$P/node.ext" &&
	openssl x509 -req -in "$P/node.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
		-CAcreateserial -days 2 -extfile "$P/node.ext" -out "$P/node.pem" 2>/dev/null ||
	ls_fail "openssl: node certificate"

{
	printf '$ORIGIN example.com.\n$TTL 3600\n'
	printf '@ SOA ns1 hostmaster 7 3600 600 86400 300\n@ NS ns1\nns1 A 198.51.100.2\n'
	for i in $(seq 1 500); do printf 'h%d A 192.0.2.%d\n' "$i" $((i % 250 + 1)); done
} >"$LS_TMP/example.com.zone"
PEER=$(openssl rand -base64 32)

conf() { # TLS-LISTEN-LINES...
	printf '%s\n' "node:" "  id: it-xot-reload" "  state-dir: $LS_TMP/state" \
		"  control-socket: $LS_TMP/control.sock" \
		"service:" "  addresses: [192.0.2.2]" "  xdp: off" \
		"admin:" "  listen: [198.51.100.2]" "  http: off" "$@" \
		"key:" "  - id: peer" "    algorithm: hmac-sha256" "    secret: $PEER" \
		"remote:" "  - id: node-b" "    address: 198.51.100.3" "    key: peer" \
		"zone:" "  - domain: example.com." "    file: $LS_TMP/example.com.zone" \
		>"$LS_TMP/lockstep.conf"
	"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null ||
		ls_fail "configuration refused: $*"
}
tls_lines() { # PORT
	printf '%s\n' "  tls-listen: [198.51.100.2@$1]" "  tls-certificate: $P/node.pem" \
		"  tls-key: $P/node.key"
}
LOG="$LS_TMP/lockstepd.log"
xot_axfr() { # PORT: records of a TSIG AXFR over TLS
	m kdig +retry=0 +timeout=3 +tls +tls-ca="$P/ca.pem" +tls-hostname=node.test \
		-b 198.51.100.3 -p "$1" @198.51.100.2 -y "hmac-sha256:peer:$PEER" example.com AXFR \
		+noall +answer 2>&1 | grep -c "IN"
}
has_zone() { [ "$(xot_axfr "$1")" -ge 500 ]; }
reload() { # ORDINAL: SIGHUP, then wait for the reload's log line
	kill -HUP "$PID"
	ls_wait 20 sh -c "[ \$(grep -c 'configuration reloaded' '$LOG') -ge $1 ]" ||
		ls_fail "reload $1 not logged"
}

conf
ls_bg "$mesh" "$LOG" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
PID=$LS_LAST_PID
ls_wait 30 sh -c "ip netns exec $mesh kdig +short +retry=0 +timeout=1 @192.0.2.2 example.com SOA | grep -q ' 7 '" ||
	ls_fail "example.com not served from the file"
has_zone 853 && ls_fail "an XoT AXFR succeeded before any tls-listen was configured"
ls_log "ok: no XoT listener at start"

conf "$(tls_lines 853)"
reload 1
ls_wait 10 has_zone 853 || ls_fail "no XoT AXFR on 853 after the SIGHUP that added tls-listen"
grep -q "administrative listener on 198.51.100.2@853 (XoT.*opened by the reload" "$LOG" ||
	ls_fail "the new listener was not logged"
kill -0 "$PID" || ls_fail "lockstepd is gone"
ls_log "ok: SIGHUP opened the XoT listener: $(xot_axfr 853) records over TLS, same process"

conf "$(tls_lines 8853)"
reload 2
ls_wait 10 has_zone 8853 || ls_fail "no XoT AXFR on 8853 after the SIGHUP that moved it"
has_zone 853 && ls_fail "853 still answers after the listener moved"
grep -q "administrative listener on 198.51.100.2@853 (XoT) closed by the reload" "$LOG" ||
	ls_fail "closing 853 was not logged"
ls_log "ok: SIGHUP moved the XoT listener from 853 to 8853"

conf
reload 3
has_zone 8853 && ls_fail "8853 still answers after tls-listen was removed"
[ "$(m kdig +retry=0 +timeout=3 -b 198.51.100.3 @198.51.100.2 -y "hmac-sha256:peer:$PEER" \
	example.com AXFR +noall +answer | grep -c IN)" -ge 500 ] ||
	ls_fail "plain TCP AXFR no longer works"
ls_log "ok: SIGHUP removed the XoT listener; plain TCP still transfers"
ls_log "PASS"
exit 0
