#!/usr/bin/env bash
# test_slowpath.sh — lockstepd's userspace responder on the wire.
#
# A "node" namespace runs lockstepd serving tests/data/zones/example.com.zone
# on the shared addresses 192.0.2.53 and 2001:db8::53 (service side) with an
# administrative address 198.51.100.1 on a second link; a "client" namespace
# queries it with kdig over UDP and TCP (IPv4 and IPv6, several queries on
# one kept-open TCP connection) and with a small python3 client that
# pipelines queries in one TCP segment. A python3 raw socket in the client
# namespace reads the IPv4 header of a UDP reply: DF must be clear (RFC 3258
# §2.5). Nothing may answer DNS on the administrative address. SIGTERM must
# end lockstepd cleanly (exit 0).
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig python3 ip

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"
ZONE="$LS_SRC/tests/data/zones/example.com.zone"

# ls_netns is called directly, not in $(...): a command substitution is a
# subshell, and the namespace it registers for cleanup would be lost.
ls_netns node >/dev/null
node=${LS_TAG}-node
ls_netns client >/dev/null
client=${LS_TAG}-client
ls_veth "$node" svc0 "$client" svc1
ls_veth "$node" adm0 "$client" adm1
ls_addr "$node" svc0 192.0.2.53/24
ls_addr "$node" svc0 2001:db8::53/64
ls_addr "$client" svc1 192.0.2.10/24
ls_addr "$client" svc1 2001:db8::10/64
ls_addr "$node" adm0 198.51.100.1/24
ls_addr "$client" adm1 198.51.100.10/24

cat >"$LS_TMP/lockstep.conf" <<EOF
node:
  id: it-node
service:
  addresses: [192.0.2.53, 2001:db8::53]
  xdp: off
admin:
  listen: [198.51.100.1@53]
  http: off
zone:
  - domain: example.com.
    file: $ZONE
EOF

"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null ||
	ls_fail "configuration refused"
ls_bg "$node" "$LS_TMP/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
LSPID=$LS_LAST_PID

c() { ip netns exec "$client" "$@"; }
dig_short() { c kdig +short +retry=0 +timeout=2 "$@"; }

ls_wait 10 c kdig +retry=0 +timeout=1 @192.0.2.53 example.com SOA ||
	ls_fail "lockstepd does not answer on 192.0.2.53"

fails=0
check() { # DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		ls_log "ok: $1"
	else
		ls_log "FAIL: $1: expected '$2', got '$3'"
		fails=$((fails + 1))
	fi
}

# UDP and TCP, IPv4 and IPv6
check "UDP/IPv4 A" "192.0.2.2" "$(dig_short @192.0.2.53 mail.example.com A)"
check "UDP/IPv6 AAAA" "2001:db8::1" "$(dig_short @2001:db8::53 ns1.example.com AAAA)"
check "TCP/IPv4 A" "192.0.2.3" "$(dig_short +tcp @192.0.2.53 a.b.c.example.com A)"
check "TCP/IPv6 TXT" '"wildcard"' "$(dig_short +tcp @2001:db8::53 x.wild.example.com TXT)"
check "NXDOMAIN" "NXDOMAIN" "$(c kdig +retry=0 @192.0.2.53 nope.example.com A |
	sed -n 's/.*status: \([A-Z]*\).*/\1/p')"
check "REFUSED outside the zones" "REFUSED" "$(c kdig +retry=0 @192.0.2.53 example.org A |
	sed -n 's/.*status: \([A-Z]*\).*/\1/p')"

# several queries on one TCP connection (kdig +keepopen)
out=$(c kdig +tcp +keepopen +short +retry=0 @192.0.2.53 mail.example.com A \
	ns1.example.com A ns1.example.com AAAA)
check "TCP keepopen, 3 queries" "192.0.2.2 192.0.2.1 2001:db8::1" "$(echo $out)"

# pipelined: three queries in one segment, answers in order on one connection
cat >"$LS_TMP/pipeline.py" <<'EOF'
import socket, struct, sys

def q(i, name, qtype):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"
    return struct.pack("!HHHHHH", i, 0, 1, 0, 0, 0) + wire + struct.pack("!HH", qtype, 1)

msgs = [q(101, "mail.example.com", 1), q(102, "ns1.example.com", 28), q(103, "nope.example.com", 1)]
s = socket.create_connection((sys.argv[1], 53), timeout=5)
s.sendall(b"".join(struct.pack("!H", len(m)) + m for m in msgs))
buf = b""
ids = []
while len(ids) < 3:
    data = s.recv(65535)
    if not data:
        break
    buf += data
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
        n = struct.unpack("!H", buf[:2])[0]
        m, buf = buf[2:2 + n], buf[2 + n:]
        ids.append("%d/%d" % (struct.unpack("!H", m[:2])[0], m[3] & 15))
print(" ".join(ids))
EOF
check "TCP pipelined, in order" "101/0 102/0 103/3" "$(c python3 "$LS_TMP/pipeline.py" 192.0.2.53)"
check "TCP pipelined over IPv6" "101/0 102/0 103/3" "$(c python3 "$LS_TMP/pipeline.py" 2001:db8::53)"

# DF clear on an IPv4 reply: read it with a raw socket, the way it arrived
cat >"$LS_TMP/df.py" <<'EOF'
import socket, struct, sys
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
r.settimeout(5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("192.0.2.10", 0))
qname = b"\x04mail\x07example\x03com\x00"
u.sendto(struct.pack("!HHHHHH", 7, 0, 1, 0, 0, 0) + qname + b"\x00\x01\x00\x01", (sys.argv[1], 53))
while True:
    pkt, _ = r.recvfrom(65535)
    ihl = (pkt[0] & 15) * 4
    src = socket.inet_ntoa(pkt[12:16])
    sport, dport = struct.unpack("!HH", pkt[ihl:ihl + 4])
    if src == sys.argv[1] and sport == 53 and dport == u.getsockname()[1]:
        frag = struct.unpack("!H", pkt[6:8])[0]
        print("DF=%d" % ((frag >> 14) & 1))
        break
EOF
check "IPv4 reply has DF clear" "DF=0" "$(c python3 "$LS_TMP/df.py" 192.0.2.53)"

# the administrative address answers no DNS from the slow path
check "nothing on the admin address (UDP)" "" "$(c kdig +short +retry=0 +timeout=1 \
	@198.51.100.1 mail.example.com A 2>/dev/null | grep -v '^;;')"
check "nothing on the admin address (TCP)" "" "$(c kdig +tcp +short +retry=0 +timeout=1 \
	@198.51.100.1 mail.example.com A 2>/dev/null | grep -v '^;;')"
# what listens there is the administrative listener (agent/admin.h), which
# refuses ordinary queries rather than answering them from the zones
check "admin address refuses queries" "REFUSED" "$(c kdig +retry=0 +timeout=1 \
	@198.51.100.1 mail.example.com A 2>/dev/null | grep -o 'status: [A-Z]*' | cut -d' ' -f2)"

# SIGHUP keeps serving
kill -HUP "$LSPID"
sleep 0.3
check "answers after SIGHUP" "192.0.2.2" "$(dig_short @192.0.2.53 mail.example.com A)"

# a clean stop on SIGTERM (a watchdog turns a hang into exit status 137)
kill -TERM "$LSPID"
(sleep 10 && kill -KILL "$LSPID" 2>/dev/null) &
watchdog=$!
wait "$LSPID"
rc=$?
kill "$watchdog" 2>/dev/null
check "exit status after SIGTERM" "0" "$rc"
grep -q "lockstepd stopped" "$LS_TMP/lockstepd.log" || {
	ls_log "FAIL: no clean-stop message in the log"
	fails=$((fails + 1))
}

[ "$fails" -eq 0 ] || ls_fail "$fails check(s) failed"
ls_log "PASS"
