#!/usr/bin/env bash
# test_xfr_backoff.sh — a cut first transfer is tried again after a short
# backoff, not after SOA RETRY.
#
# A knotd primary serves example.com (3,000 records, SOA REFRESH and RETRY
# 86400 s) behind a small TCP proxy that forwards the first connection's
# SOA answer and then cuts it in the middle of the AXFR stream; later
# connections pass untouched. Checks:
#   - the proxy really cut the first transfer mid-stream, and lockstepd
#     logged the cut ("connection closed before the end of the stream");
#   - the next try was scheduled by the backoff (its log line names the
#     first step and the SOA RETRY it is capped at), exactly once;
#   - the zone is then taken in and served. Before the backoff, the next
#     try came after RETRY (600 s without a version held), far beyond this
#     test's bound: the bound is in backoff steps (the first is 2 s), the
#     generous timeout only absorbs a loaded machine.
. "$(dirname "$0")/lib.sh" "$@"
ls_require_root
ls_require_cmd kdig knotd knotc ip python3
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

ls_netns pri >/dev/null
pri=${LS_TAG}-pri
ls_netns node >/dev/null
node=${LS_TAG}-node
ls_netns client >/dev/null
client=${LS_TAG}-client
ls_link "$pri" p0 198.51.100.10/24 "$node" n0 198.51.100.2/24
ls_link "$node" s0 192.0.2.53/24 "$client" c0 192.0.2.10/24

K="$LS_TMP/knot"
mkdir -p "$K" "$LS_TMP/state"
{
	printf '$ORIGIN example.com.\n$TTL 3600\n'
	printf '@ SOA ns1 hostmaster 1 86400 86400 864000 300\n@ NS ns1\n'
	printf 'ns1 A 198.51.100.10\n'
	for i in $(seq 1 3000); do printf 'h%d TXT "record %d of the zone, long enough to fill"\n' "$i" "$i"; done
} >"$K/example.com.zone"
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
zone:
  - domain: example.com
    acl: xfr
EOF
} >"$K/knot.conf"
ls_knotd "$pri" "$K"

# The proxy: 198.51.100.10@5300 -> knotd. Connection 1 gets the first
# DNS message from the primary (the SOA answer) whole, then half of the
# next one (the AXFR's first message), then both sides are closed.
cat >"$LS_TMP/cutproxy.py" <<'EOF'
import select, socket, sys
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("198.51.100.10", 5300))
ls.listen(8)
print("listening", flush=True)
nconn = 0
while True:
    c, _ = ls.accept()
    nconn += 1
    u = socket.create_connection(("198.51.100.10", 53))
    cut = nconn == 1
    buf = b""  # primary -> client octets not yet passed (cut connection only)
    msgs = 0
    open_ = True
    while open_:
        r, _, _ = select.select([c, u], [], [], 30)
        if not r:
            break
        for s in r:
            d = s.recv(65536)
            if not d:
                open_ = False
                break
            if s is c:
                u.sendall(d)
                continue
            if not cut:
                c.sendall(d)
                continue
            buf += d
            while len(buf) >= 2:
                n = int.from_bytes(buf[:2], "big")
                if msgs == 0 and len(buf) >= 2 + n:
                    c.sendall(buf[:2 + n])
                    buf = buf[2 + n:]
                    msgs = 1
                    continue
                if msgs == 1 and len(buf) >= 2 + n // 2 and n > 512:
                    c.sendall(buf[:2 + n // 2])
                    print("cut connection 1 after %d of %d octets of the second message"
                          % (n // 2, n), flush=True)
                    open_ = False
                break
            if not open_:
                break
    c.close()
    u.close()
EOF
ls_bg "$pri" "$LS_TMP/proxy.log" python3 "$LS_TMP/cutproxy.py"
ls_wait 10 grep -q listening "$LS_TMP/proxy.log" || ls_fail "proxy did not start"

cat >"$LS_TMP/lockstep.conf" <<EOF
node:
  id: it-backoff
  state-dir: $LS_TMP/state
  control-socket: $LS_TMP/control.sock
service:
  addresses: [192.0.2.53]
  xdp: off
admin:
  http: off
remote:
  - id: knot
    address: 198.51.100.10@5300
zone:
  - domain: example.com.
    primaries: knot
EOF
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "config refused"
LOG="$LS_TMP/lockstepd.log"
ls_bg "$node" "$LOG" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v

serial_is() {
	[ "$(ip netns exec "$client" kdig +short +retry=0 +timeout=1 @192.0.2.53 example.com SOA |
		awk '{print $3}')" = "$1" ]
}

ls_wait 30 grep -q "cut connection 1" "$LS_TMP/proxy.log" || ls_fail "the proxy never cut a transfer"
ls_wait 10 grep -q "AXFR from 198.51.100.10@5300: connection closed before the end of the stream" "$LOG" ||
	ls_fail "lockstepd did not log the cut transfer"
ls_log "ok: first AXFR cut mid-stream: $(grep 'cut connection' "$LS_TMP/proxy.log")"

# the bound: one backoff step (2 s less jitter); 60 s only absorbs a loaded machine
ls_wait 60 serial_is 1 || ls_fail "serial 1 not served within the first backoff step (+ slack)"
bo=$(grep -c "next try in .* s (backoff, SOA RETRY 86400 s)" "$LOG")
[ "$bo" = 1 ] || ls_fail "want exactly one backoff line naming SOA RETRY 86400, got $bo"
grep -q "refresh failed (1 in a row.*next try in [12]\.[0-9] s (backoff" "$LOG" ||
	ls_fail "the retry was not the backoff's first step: $(grep 'next try' "$LOG")"
grep -q "serial 1 received from axfr 198.51.100.10@5300" "$LOG" || ls_fail "no AXFR after the cut"
ls_log "ok: $(grep -o 'refresh failed.*' "$LOG" | head -1)"
ls_log "ok: serial 1 served after one backoff step"
ls_log "PASS"
exit 0
