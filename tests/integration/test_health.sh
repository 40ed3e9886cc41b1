#!/usr/bin/env bash
# test_health.sh — the health endpoint and lockstepctl status on the wire.
#
# Two nodes in their own namespaces, reached from a client namespace over
# their administrative links:
#   node1 serves example.com from a zone file (healthy);
#   node2 is configured with example.com and example.net, whose file is
#   missing: example.net stays empty, so node2 is unhealthy.
# Checks: /health 200 on node1 and 503 naming example.net on node2; /status
# JSON fields (parsed by python3's json); /metrics with HELP/TYPE lines and
# the slow-path counters growing after kdig queries; 405 for POST, 404 for
# an unknown path, 400 for a bare-LF request; lockstepctl status exit codes
# (0 for node1 alone, 1 with node2, 1 with an unreachable node) and --json.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig python3 ip

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
LOCKSTEPCTL="$LS_BUILD/agent/lockstepctl"
[ -x "$LOCKSTEPD" ] && [ -x "$LOCKSTEPCTL" ] || ls_skip "lockstepd/lockstepctl not built in $LS_BUILD"
ZONE="$LS_SRC/tests/data/zones/example.com.zone"

ls_netns node1 >/dev/null
n1=${LS_TAG}-node1
ls_netns node2 >/dev/null
n2=${LS_TAG}-node2
ls_netns client >/dev/null
client=${LS_TAG}-client
ls_veth "$n1" svc0 "$client" svc1
ls_veth "$n1" adm0 "$client" adm1
ls_veth "$n2" adm0 "$client" adm2
ls_addr "$n1" svc0 192.0.2.53/24
ls_addr "$client" svc1 192.0.2.10/24
ls_addr "$n1" adm0 198.51.100.1/24
ls_addr "$client" adm1 198.51.100.10/24
ls_addr "$n2" adm0 2001:db8:2::1/64
ls_addr "$client" adm2 2001:db8:2::10/64

cat >"$LS_TMP/node1.conf" <<EOF
node:
  id: node-1
service:
  addresses: [192.0.2.53]
  xdp: off
admin:
  listen: [198.51.100.1@53]
  http: 198.51.100.1@8053
zone:
  - domain: example.com.
    file: $ZONE
EOF
cat >"$LS_TMP/node2.conf" <<EOF
node:
  id: node-2
admin:
  listen: [2001:db8:2::1@53]
  http: "[2001:db8:2::1]@8053"
zone:
  - domain: example.com.
    file: $ZONE
  - domain: example.net.
    file: $LS_TMP/missing/example.net.zone
EOF
"$LOCKSTEPD" -c "$LS_TMP/node1.conf" --check-config >/dev/null || ls_fail "node1 config refused"
"$LOCKSTEPD" -c "$LS_TMP/node2.conf" --check-config >/dev/null || ls_fail "node2 config refused"
ls_bg "$n1" "$LS_TMP/node1.log" "$LOCKSTEPD" -c "$LS_TMP/node1.conf"
ls_bg "$n2" "$LS_TMP/node2.log" "$LOCKSTEPD" -c "$LS_TMP/node2.conf"

c() { ip netns exec "$client" "$@"; }
# http METHOD URL [RAW]: prints "STATUS" on the first line, then the body.
http() {
	c python3 - "$@" <<'EOF'
import socket, sys, urllib.parse
method, url = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(url)
s = socket.create_connection((u.hostname, u.port), timeout=5)
if len(sys.argv) > 3:
    s.sendall(sys.argv[3].encode().decode('unicode_escape').encode('latin-1'))
else:
    s.sendall(f"{method} {u.path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].split(b" ")[1].decode())
sys.stdout.write(body.decode())
EOF
}
U1=http://198.51.100.1:8053
U2="http://[2001:db8:2::1]:8053"
ls_wait 10 http GET "$U1/health" || ls_fail "node1's endpoint does not answer"
ls_wait 10 http GET "$U2/health" || ls_fail "node2's endpoint does not answer"

fails=0
check() { # DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		ls_log "ok: $1"
	else
		ls_log "FAIL: $1: expected '$2', got '$3'"
		fails=$((fails + 1))
	fi
}

check "/health 200 on node1" 200 "$(http GET "$U1/health" | head -1)"
out=$(http GET "$U2/health")
check "/health 503 on node2" 503 "$(head -1 <<<"$out")"
check "503 names the zone and the reason" 1 "$(grep -c '^example.net.: empty (no verified version yet)$' <<<"$out")"
check "HEAD /health" 200 "$(http HEAD "$U1/health" | head -1)"
check "POST is 405" 405 "$(http POST "$U1/health" | head -1)"
check "unknown path is 404" 404 "$(http GET "$U1/nope" | head -1)"
check "bare LF request is 400" 400 "$(http GET "$U1/" 'GET / HTTP/1.1\nHost: x\n\n\r\n\r\n' | head -1)"

status=$(http GET "$U2/status" | tail -n +2)
check "/status fields" "node-2 2 serving empty example.com. 2 True" "$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
z = {x["zone"]: x for x in d["zones"]}
print(d["node"], len(d["zones"]), z["example.com."]["state"], z["example.net."]["state"],
      z["example.com."]["zone"], sum(1 for k in ("live_serial", "next_serial", "plan", "last_verdict", "last_source", "last_transfer_at") if k in z["example.com."]) // 3,
      "clock" in d and "dataplane" in d and "lease" in d)' <<<"$status")"

metric() { # NAME{LABELS} -> value
	http GET "$U1/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
m=$(http GET "$U1/metrics" | tail -n +2)
check "/metrics HELP/TYPE for live serial" 2 "$(grep -c '^# \(HELP\|TYPE\) lockstep_zone_live_serial ' <<<"$m")"
check "/metrics every sample has a TYPE" "" "$(awk '/^# TYPE/ { t[$3] = 1; next } /^#/ { next } { n = $1; sub(/\{.*/, "", n); if (!(n in t)) print n }' <<<"$m")"
before=$(metric 'lockstep_slowpath_queries_total{transport="udp"}')
for _ in 1 2 3; do
	c kdig +retry=0 +timeout=2 @192.0.2.53 example.com SOA >/dev/null || ls_fail "kdig"
done
after=$(metric 'lockstep_slowpath_queries_total{transport="udp"}')
check "UDP query counter grows by 3" 3 "$((after - before))"

# lockstepctl: one ready node, a mesh with an unready node, an unreachable node
c "$LOCKSTEPCTL" status --node "$U1" >"$LS_TMP/ctl1.out"
check "status of node1: exit 0" 0 $?
c "$LOCKSTEPCTL" status --node "$U1" --node "$U2" >"$LS_TMP/ctl2.out"
check "status of node1+node2: exit 1" 1 $?
check "table row for example.net" 1 "$(grep -c 'node-2 .*example.net\. .*empty .* no$' "$LS_TMP/ctl2.out")"
printf '# mesh\n%s\n198.51.100.99@8053\n' "$U1" >"$LS_TMP/nodes"
c "$LOCKSTEPCTL" status --nodes "$LS_TMP/nodes" --timeout 1 --json >"$LS_TMP/ctl3.json"
check "unreachable node: exit 1" 1 $?
check "--json verdict" "False True False" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["ready"], d["nodes"][0]["ready"], d["nodes"][1]["reachable"])' "$LS_TMP/ctl3.json")"
c "$LOCKSTEPCTL" explain --node "$U2" example.net >"$LS_TMP/explain.out"
check "explain exit" 0 $?
check "explain says why" 1 "$(grep -c 'no version has been verified yet' "$LS_TMP/explain.out")"

[ $fails -eq 0 ] || ls_fail "$fails check(s) failed"
ls_log "PASS"
