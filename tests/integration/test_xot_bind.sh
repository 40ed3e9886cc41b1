#!/bin/bash
# test_xot_bind.sh — zone transfers over TLS (XoT, RFC 9103), both ways.
# In one namespace: a real BIND 9.18 primary (198.51.100.10) serves
# example.com over XoT only (transfers allowed with transport tls and the
# TSIG key; plain TCP transfers refused), with a CA and certificates made
# here by openssl.
#  1. node A (tls: true, tls-ca, the address checked against the
#     certificate) takes the zone by AXFR over TLS; an edit + SIGHUP makes
#     named NOTIFY A, which takes serial 2 over TLS.
#  2. a node trusting another CA, and one with a wrong SPKI pin, refuse
#     the primary with a clear error and serve nothing.
#  3. lockstep -> lockstep: node B pulls from A's admin XoT listener
#     (tls-hostname and a pin); kdig +tls AXFRs from A with TSIG and gets
#     what BIND serves; a TLS client without ALPN "dot" gets REFUSED.
#  4. a reload (SIGHUP) that makes A trust another CA: its refresh from
#     BIND fails with one clear line and serial 2 keeps serving.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig named openssl ip python3

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"
named -V 2>/dev/null | grep -q "BIND 9.1[89]\|BIND 9.2" || ls_skip "needs BIND 9.18 or later (XoT)"

mesh=$(ls_netns mesh)
for a in 198.51.100.10 198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5 \
	192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5; do
	ip -n "$mesh" addr add "$a/32" dev lo || ls_fail "address $a"
done
m() { ip netns exec "$mesh" "$@"; }

# ---- a CA, certificates for BIND and node A, and a CA nobody uses -----------
P="$LS_TMP/pki"
mkdir -p "$P"
cert() { # NAME CA SAN: key and certificate NAME signed by CA
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$P/$1.key" -subj "/CN=$1" -out "$P/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$3" >"$P/$1.ext" &&
		openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" -CAkey "$P/$2.key" \
			-CAcreateserial -days 2 -extfile "$P/$1.ext" -out "$P/$1.pem" 2>/dev/null
}
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$P/$1.key" -subj "/CN=$1" -out "$P/$1.pem" 2>/dev/null
}
ca ca && ca other-ca || ls_fail "openssl: CA"
cert bind ca "IP:198.51.100.10,DNS:primary.test" || ls_fail "openssl: BIND certificate"
cert node-a ca "IP:198.51.100.2,DNS:node-a.test" || ls_fail "openssl: node A certificate"
chmod 644 "$P"/*
pin() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64; }
PIN_A=$(pin "$P/node-a.pem")
PIN_WRONG=$(openssl rand 32 | base64)

# ---- BIND: XoT only ---------------------------------------------------------
XFR=$(openssl rand -base64 32)
PEER=$(openssl rand -base64 32)
B="$LS_TMP/bind"
mkdir -p "$B"
zone() { # SERIAL: the zone file
	printf '%s\n' '$ORIGIN example.com.' '$TTL 3600' \
		"@ SOA ns1 hostmaster $1 3600 600 86400 300" '@ NS ns1' 'ns1 A 198.51.100.10' \
		'www A 192.0.2.80' "serial$1 TXT \"version $1\""
	for i in $(seq 1 5000); do echo "h$i A 192.0.2.$((i % 250 + 1))"; done
}
zone 1 >"$B/example.com.zone"
cat >"$B/named.conf" <<EOF
options {
	directory "$B";
	pid-file "$B/named.pid";
	listen-on port 53 { 198.51.100.10; };
	listen-on port 853 tls xot { 198.51.100.10; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify explicit;
	notify-source 198.51.100.10; /* all hosts share lo: name the sender */
	/* transfers only over TLS (RFC 9103), and only with the key */
	allow-transfer port 853 transport tls { key xfr; };
};
controls { };
key "xfr" { algorithm hmac-sha256; secret "$XFR"; };
tls xot { key-file "$P/bind.key"; cert-file "$P/bind.pem"; };
zone "example.com" {
	type primary;
	file "$B/example.com.zone";
	also-notify { 198.51.100.2 key xfr; };
};
EOF
m named-checkconf "$B/named.conf" >"$B/checkconf.log" 2>&1 ||
	ls_fail "named-checkconf: $(cat "$B/checkconf.log")"
ls_bg "$mesh" "$B/named.log" named -g -n 1 -u root -c "$B/named.conf"
NAMEDPID=$LS_LAST_PID
ls_wait 30 m kdig +short +retry=0 +timeout=1 @198.51.100.10 example.com SOA ||
	ls_fail "named did not start"

# the primary really is XoT only: a TSIG AXFR over plain TCP is refused
out=$(m kdig +retry=0 +timeout=5 @198.51.100.10 -y "hmac-sha256:xfr:$XFR" example.com AXFR 2>&1)
grep -q "www.example.com" <<<"$out" && ls_fail "named gave a plain-TCP transfer: $out"
out=$(m kdig +retry=0 +timeout=5 +tls +tls-ca="$P/ca.pem" +tls-hostname=primary.test \
	@198.51.100.10 -y "hmac-sha256:xfr:$XFR" example.com AXFR 2>&1)
grep -q "www.example.com" <<<"$out" || ls_fail "named gives no XoT transfer to kdig: $out"
ls_log "ok: named serves example.com over XoT only"

# ---- lockstep nodes ---------------------------------------------------------
# node NAME ADMIN SERVICE ZONE-PRIMARY REMOTE-LINES... [-- ADMIN-LINES...]
node() {
	local name=$1 admin=$2 service=$3 prim=$4
	shift 4
	local -a remote=() adm=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do remote+=("$1"); shift; done
	[ $# -gt 0 ] && shift && adm=("$@")
	mkdir -p "$LS_TMP/$name/state"
	printf '%s\n' "node:" "  id: $name" "  state-dir: $LS_TMP/$name/state" \
		"service:" "  addresses: [$service]" "  xdp: off" \
		"admin:" "  listen: [$admin]" "  http: off" "${adm[@]}" \
		"key:" "  - id: xfr" "    algorithm: hmac-sha256" "    secret: $XFR" \
		"  - id: peer" "    algorithm: hmac-sha256" "    secret: $PEER" \
		"remote:" "${remote[@]}" \
		"zone:" "  - domain: example.com." "    primaries: [$prim]" \
		>"$LS_TMP/$name/lockstep.conf"
	"$LOCKSTEPD" -c "$LS_TMP/$name/lockstep.conf" --check-config >"$LS_TMP/$name/check.log" 2>&1 ||
		ls_fail "config of $name refused: $(cat "$LS_TMP/$name/check.log")"
	ls_bg "$mesh" "$LS_TMP/$name/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/$name/lockstep.conf" -v
}
serial() { m kdig +short +retry=0 +timeout=1 @"$1" example.com SOA | awk '{print $3}'; }
serial_is() { [ "$(serial "$1")" = "$2" ]; }
records() {
	m kdig +retry=0 +timeout=5 "$@" example.com AXFR +nocomments +nostats +noquestion |
		awk '$4 != "TSIG" && NF >= 5 {$1 = tolower($1); print}' | sort -u
}

# 1. node A from BIND over TLS, strict: the CA, and the address in the certificate
# (node-b: the admin listener accepts the keys its remotes use, here for B)
node a 198.51.100.2 192.0.2.2 bind \
	"  - id: bind" "    address: 198.51.100.10" "    key: xfr" "    tls: true" \
	"    tls-ca: $P/ca.pem" \
	"  - id: node-b" "    address: 198.51.100.3" "    key: peer" \
	-- "  tls-listen: [198.51.100.2]" "  tls-certificate: $P/node-a.pem" \
	"  tls-key: $P/node-a.key"
APID=$LS_LAST_PID
ls_wait 30 serial_is 192.0.2.2 1 || ls_fail "node A does not serve serial 1"
grep -q "serial 1 received from axfr 198.51.100.10@853 over TLS" "$LS_TMP/a/lockstepd.log" ||
	ls_fail "node A's version did not come over TLS"
[ "$(m kdig +short +retry=0 +timeout=1 @192.0.2.2 h42.example.com A)" = 192.0.2.43 ] ||
	ls_fail "node A does not answer from the transferred zone"
ls_log "ok: node A took serial 1 from BIND over XoT"

# an edit, named reloads and NOTIFYs (UDP, signed), A refreshes over TLS
zone 2 >"$B/example.com.zone"
kill -HUP "$NAMEDPID"
ls_wait 30 serial_is 192.0.2.2 2 || ls_fail "node A does not serve serial 2 after the NOTIFY"
# (SOA REFRESH is 3600 s: the refresh came from the NOTIFY, which is UDP as RFC 9103 leaves it)
grep -q "admin: NOTIFY for example.com. from 198.51.100.10@[0-9]* (primary bind): refreshing" \
	"$LS_TMP/a/lockstepd.log" || ls_fail "node A did not accept named's NOTIFY"
grep -Eq "serial 2 received from (axfr|ixfr|ixfr-as-axfr) 198.51.100.10@853 over TLS" \
	"$LS_TMP/a/lockstepd.log" || ls_fail "serial 2 did not come over TLS"
[ "$(m kdig +short +retry=0 +timeout=1 @192.0.2.2 serial2.example.com TXT)" = '"version 2"' ] ||
	ls_fail "node A does not answer the new record"
ls_log "ok: edit + NOTIFY -> node A took serial 2 over XoT"

# 2. wrong CA, wrong pin: refused with a clear error, nothing served
node w 198.51.100.4 192.0.2.4 bind \
	"  - id: bind" "    address: 198.51.100.10" "    key: xfr" "    tls: true" \
	"    tls-ca: $P/other-ca.pem"
WPID=$LS_LAST_PID
node p 198.51.100.5 192.0.2.5 bind \
	"  - id: bind" "    address: 198.51.100.10" "    key: xfr" "    tls: true" \
	"    tls-pin-sha256: $PIN_WRONG"
PPID_=$LS_LAST_PID
ls_wait 20 grep -q "certificate verify failed" "$LS_TMP/w/lockstepd.log" ||
	ls_fail "node W (other CA) logged no verification failure"
ls_wait 20 grep -q "no tls-pin-sha256 matches the server's key" "$LS_TMP/p/lockstepd.log" ||
	ls_fail "node P (wrong pin) logged no pin mismatch"
grep "certificate verify failed" "$LS_TMP/w/lockstepd.log" | head -1 >&2
grep "tls-pin-sha256" "$LS_TMP/p/lockstepd.log" | head -1 >&2
for n in w p; do
	grep -q "received from" "$LS_TMP/$n/lockstepd.log" && ls_fail "node $n received a version"
done
[ -z "$(serial 192.0.2.4)" ] || ls_fail "node W serves the zone"
[ -z "$(serial 192.0.2.5)" ] || ls_fail "node P serves the zone"
kill -0 "$WPID" && kill -0 "$PPID_" || ls_fail "a refusing node died"
ls_log "ok: another CA and a wrong pin are refused, nothing served"

# 3. lockstep -> lockstep: B pulls from A's XoT listener (name + pin)
node b 198.51.100.3 192.0.2.3 node-a \
	"  - id: node-a" "    address: 198.51.100.2" "    key: peer" "    tls: true" \
	"    tls-ca: $P/ca.pem" "    tls-hostname: node-a.test" "    tls-pin-sha256: $PIN_A"
ls_wait 30 serial_is 192.0.2.3 2 || ls_fail "node B does not serve serial 2 from node A"
grep -q "serial 2 received from axfr 198.51.100.2@853 over TLS" "$LS_TMP/b/lockstepd.log" ||
	ls_fail "node B's version did not come from A over TLS"
grep -q "admin: AXFR of example.com. serial 2 to .* (key peer)" "$LS_TMP/a/lockstepd.log" ||
	ls_fail "node A did not log the transfer to B"
ls_log "ok: node B took serial 2 from node A's XoT listener"

# kdig +tls with TSIG from A equals BIND's XoT AXFR
records +tls +tls-ca="$P/ca.pem" +tls-hostname=primary.test @198.51.100.10 \
	-y "hmac-sha256:xfr:$XFR" >"$LS_TMP/bind.axfr"
records +tls +tls-ca="$P/ca.pem" +tls-hostname=node-a.test @198.51.100.2 \
	-y "hmac-sha256:peer:$PEER" >"$LS_TMP/a.axfr"
[ "$(wc -l <"$LS_TMP/bind.axfr")" -gt 5000 ] || ls_fail "BIND's XoT AXFR is short"
diff -u "$LS_TMP/bind.axfr" "$LS_TMP/a.axfr" >"$LS_TMP/axfr.diff" ||
	ls_fail "A's XoT AXFR differs from BIND's: $(head -20 "$LS_TMP/axfr.diff")"
out=$(m kdig +retry=0 +timeout=5 +tls +tls-ca="$P/ca.pem" +tls-hostname=node-a.test \
	@198.51.100.2 example.com AXFR 2>&1)
grep -q "www.example.com" <<<"$out" && ls_fail "unsigned XoT AXFR from A got records"
ls_log "ok: kdig +tls AXFR from node A with TSIG equals BIND's ($(wc -l <"$LS_TMP/a.axfr") records); unsigned refused"

# a TLS client that does not negotiate ALPN "dot" gets no transfer (RFC 9103 §7.1)
alpn_rcode() { # ALPN ("" for none): the RCODE of an AXFR over TLS to A
	m python3 - "$P/ca.pem" "$1" <<'EOF'
import socket, ssl, struct, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
if sys.argv[2]:
    ctx.set_alpn_protocols([sys.argv[2]])
q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0)
q += b"\x07example\x03com\x00" + struct.pack(">HH", 252, 1)
with socket.create_connection(("198.51.100.2", 853), timeout=5) as s:
    with ctx.wrap_socket(s, server_hostname="node-a.test") as t:
        t.sendall(struct.pack(">H", len(q)) + q)
        buf = b""
        while len(buf) < 6:
            d = t.recv(4096)
            if not d:
                break
            buf += d
        print(buf[5] & 0xF if len(buf) >= 6 else "none", t.selected_alpn_protocol())
EOF
}
r=$(alpn_rcode "") || ls_fail "TLS client without ALPN failed: $r"
[ "${r%% *}" = 5 ] || ls_fail "AXFR over TLS without ALPN: expected REFUSED (5), got $r"
r=$(alpn_rcode h2) || ls_fail "TLS client with ALPN h2 failed: $r"
[ "${r%% *}" = 5 ] || ls_fail "AXFR over TLS with ALPN h2: expected REFUSED (5), got $r"
r=$(alpn_rcode dot) || ls_fail "TLS client with ALPN dot failed: $r"
[ "$r" = "9 dot" ] || ls_fail "unsigned AXFR over TLS with ALPN dot: expected NOTAUTH (9), got $r"
grep -q 'refused: the TLS connection did not negotiate ALPN "dot"' "$LS_TMP/a/lockstepd.log" ||
	ls_fail "no log line for the transfer refused without ALPN dot"
kill -0 "$APID" || ls_fail "node A died"
ls_log "ok: TLS without ALPN dot (none, h2) gets REFUSED; with dot the TSIG rule applies"

# a reload that makes A distrust BIND: the refresh fails with one line, serial 2 keeps serving
sed -i "s|tls-ca: $P/ca.pem|tls-ca: $P/other-ca.pem|" "$LS_TMP/a/lockstep.conf"
kill -HUP "$APID"
ls_wait 20 grep -q "certificate verify failed" "$LS_TMP/a/lockstepd.log" ||
	ls_fail "node A did not refuse BIND after the reload"
serial_is 192.0.2.2 2 || ls_fail "node A stopped serving serial 2 after a failed XoT refresh"
kill -0 "$APID" || ls_fail "node A died"
ls_log "ok: after a reload to another CA the refresh is refused, serial 2 keeps serving"
exit 0
