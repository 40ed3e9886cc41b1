#!/bin/bash
# SPDX-License-Identifier: MIT
#
# XoT benchmark (issue 6): what TLS costs a transfer out, side by side in
# one run. lockstepd (node A) and BIND's named serve the same zone, each on
# plain TCP and on XoT (TLS 1.3, ALPN dot), TSIG on every transfer; kdig
# pulls it ROUNDS times from each of the four, interleaved. Reported per
# server and transport: the server's CPU time per transfer (utime + stime
# from /proc, so other engineers' load on the machine does not count) and
# the ratios TLS/TCP and lockstepd/named. Wall times are shown but noisy.
#
#   tests/bench/xot.sh BUILD_DIR [RECORDS] [ROUNDS]
#
# BUILD_DIR should be a build without sanitizers (e.g. a default
# RelWithDebInfo build); RECORDS defaults to 200000, ROUNDS to 5.
. "$(dirname "$0")/../integration/lib.sh" "$1"
RECORDS=${2:-200000}
ROUNDS=${3:-5}

ls_require_root
ls_require_cmd kdig named openssl ip
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

ns=$(ls_netns xotb)
for a in 198.51.100.10 198.51.100.2 192.0.2.2; do
	ip -n "$ns" addr add "$a/32" dev lo || ls_fail "address $a"
done
m() { ip netns exec "$ns" "$@"; }

P="$LS_TMP/pki"
mkdir -p "$P"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$P/ca.key" -subj "/CN=ca" -out "$P/ca.pem" 2>/dev/null || ls_fail "openssl"
for n in bind:198.51.100.10 node:198.51.100.2; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$P/${n%%:*}.key" -subj "/CN=${n%%:*}" -out "$P/${n%%:*}.csr" 2>/dev/null
	printf 'subjectAltName=IP:%s\n' "${n#*:}" >"$P/${n%%:*}.ext"
	openssl x509 -req -in "$P/${n%%:*}.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
		-CAcreateserial -days 2 -extfile "$P/${n%%:*}.ext" -out "$P/${n%%:*}.pem" \
		2>/dev/null || ls_fail "openssl: ${n%%:*}"
done
chmod 644 "$P"/*

KEY=$(openssl rand -base64 32)
Z="$LS_TMP/example.com.zone"
{
	printf '%s\n' '$ORIGIN example.com.' '$TTL 3600' \
		'@ SOA ns1 hostmaster 1 3600 600 86400 300' '@ NS ns1' 'ns1 A 198.51.100.10'
	awk -v n="$RECORDS" 'BEGIN { for (i = 1; i <= n; i++) printf "h%d A 192.0.2.%d\n", i, i % 250 + 1 }'
} >"$Z"

B="$LS_TMP/bind"
mkdir -p "$B"
cat >"$B/named.conf" <<EOF
options {
	directory "$B";
	pid-file "$B/named.pid";
	listen-on port 53 { 198.51.100.10; };
	listen-on port 853 tls xot { 198.51.100.10; };
	listen-on-v6 { none; };
	recursion no;
	notify no;
	allow-transfer { key xfr; };
};
controls { };
key "xfr" { algorithm hmac-sha256; secret "$KEY"; };
tls xot { key-file "$P/bind.key"; cert-file "$P/bind.pem"; };
zone "example.com" { type primary; file "$Z"; };
EOF
ls_bg "$ns" "$B/named.log" named -g -n 1 -u root -c "$B/named.conf"
NAMED=$LS_LAST_PID

mkdir -p "$LS_TMP/a/state"
printf '%s\n' "node: {id: a, state-dir: $LS_TMP/a/state}" \
	"service: {addresses: [192.0.2.2], xdp: off}" \
	"admin: {listen: [198.51.100.2], http: off, tls-listen: [198.51.100.2]," \
	"        tls-certificate: $P/node.pem, tls-key: $P/node.key}" \
	"key: [{id: xfr, algorithm: hmac-sha256, secret: $KEY}]" \
	"remote: [{id: client, address: 198.51.100.99, key: xfr}]" \
	"zone: [{domain: example.com., file: $Z, dnssec: off, zonemd: off}]" \
	>"$LS_TMP/a/lockstep.conf"
ls_bg "$ns" "$LS_TMP/a/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/a/lockstep.conf"
LSD=$LS_LAST_PID

serves() { [ "$(m kdig +short +retry=0 +timeout=1 @"$1" example.com SOA | awk '{print $3}')" = 1 ]; }
ls_wait 120 serves 198.51.100.10 || ls_fail "named does not serve the zone"
ls_wait 120 serves 192.0.2.2 || ls_fail "lockstepd does not serve the zone"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # clock ticks
HZ=$(getconf CLK_TCK)
declare -A cpu_sum wall_sum
xfr() { # SERVER-PID ADDR TLS-ARGS...
	local pid=$1 addr=$2
	shift 2
	local c0 c1 t0 t1 n
	c0=$(cpu "$pid")
	t0=$(date +%s%N)
	n=$(m kdig +retry=0 +timeout=30 "$@" @"$addr" -y "hmac-sha256:xfr:$KEY" example.com AXFR \
		+nocomments +nostats +noquestion | awk '$4 == "A"' | wc -l)
	t1=$(date +%s%N)
	c1=$(cpu "$pid")
	[ "$n" -ge "$RECORDS" ] || ls_fail "transfer from $addr $*: only $n A records"
	echo "$((c1 - c0)) $(((t1 - t0) / 1000000))"
}
for r in $(seq 1 "$ROUNDS"); do
	for mode in lockstepd/tcp lockstepd/tls named/tcp named/tls; do
		case $mode in
		lockstepd/tcp) out=$(xfr "$LSD" 198.51.100.2 +tcp) ;;
		lockstepd/tls) out=$(xfr "$LSD" 198.51.100.2 +tls +tls-ca="$P/ca.pem") ;;
		named/tcp) out=$(xfr "$NAMED" 198.51.100.10 +tcp) ;;
		named/tls) out=$(xfr "$NAMED" 198.51.100.10 +tls +tls-ca="$P/ca.pem") ;;
		esac
		[ -n "$out" ] || exit 1
		cpu_sum[$mode]=$((${cpu_sum[$mode]:-0} + ${out% *}))
		wall_sum[$mode]=$((${wall_sum[$mode]:-0} + ${out#* }))
	done
done
ms() { awk -v t="$1" -v r="$ROUNDS" -v hz="$HZ" 'BEGIN { printf "%.1f", t * 1000 / hz / r }'; }
echo "XoT benchmark: $RECORDS A records + SOA/NS, $ROUNDS interleaved rounds, TSIG hmac-sha256"
printf '%-16s %14s %14s\n' "server/transport" "CPU ms/xfr" "wall ms/xfr"
for mode in lockstepd/tcp lockstepd/tls named/tcp named/tls; do
	printf '%-16s %14s %14s\n' "$mode" "$(ms "${cpu_sum[$mode]}")" \
		"$(awk -v t="${wall_sum[$mode]}" -v r="$ROUNDS" 'BEGIN { printf "%.1f", t / r }')"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "TLS/TCP CPU: lockstepd $(ratio "${cpu_sum[lockstepd/tls]}" "${cpu_sum[lockstepd/tcp]}")," \
	"named $(ratio "${cpu_sum[named/tls]}" "${cpu_sum[named/tcp]}")"
echo "lockstepd/named CPU: TCP $(ratio "${cpu_sum[lockstepd/tcp]}" "${cpu_sum[named/tcp]}")," \
	"XoT $(ratio "${cpu_sum[lockstepd/tls]}" "${cpu_sum[named/tls]}")"
exit 0
