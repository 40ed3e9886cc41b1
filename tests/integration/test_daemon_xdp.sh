#!/usr/bin/env bash
# test_daemon_xdp.sh — lockstepd with its XDP data plane, on the wire.
#
# A server namespace runs lockstepd (no transfers: a zone file only) with
# service.xdp native on its veth; a client namespace has the no-op XDP
# program on its end (a veth delivers XDP_TX frames only to a peer with an
# XDP program) and queries with kdig and dnsperf. Checks:
#   - READY is logged only with the zones loaded and the program attached;
#   - kdig answers, and they came from XDP: the program's "answered" counter
#     in /metrics grows by the queries sent while the slow path's UDP query
#     counter does not move;
#   - SIGKILL + restart under a bounded dnsperf stream: the new lockstepd
#     re-adopts the pinned maps and not one query is lost;
#   - the lease: SIGSTOP the agent, and after clock.lease the node is silent
#     (counted as drop_lease); SIGCONT, and it answers again;
#   - SIGTERM: a clean stop detaches the program and removes the pins.
# The pins live on a bpffs of the test's own, bind-mounted over /sys/fs/bpf
# in the agent's mount namespace (ip netns exec gives it a fresh /sys).
. "$(dirname "$0")/lib.sh" "$@"
ls_require_root
ls_require_cmd kdig dnsperf curl ip
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
TOOL="$LS_BUILD/tests/bench_xdp"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"
[ -x "$TOOL" ] || ls_skip "bench_xdp not built (no BPF tooling)"
ZONE="$LS_SRC/tests/data/zones/example.com.zone"

ls_netns srv >/dev/null
srv=${LS_TAG}-srv
ls_netns cli >/dev/null
cli=${LS_TAG}-cli
ls_veth "$srv" xs0 "$cli" xc0
ls_addr "$srv" xs0 192.0.2.53/24
ls_addr "$cli" xc0 192.0.2.10/24
ip netns exec "$cli" "$TOOL" attach-pass --if xc0 || ls_skip "cannot attach XDP to a veth"

BPFFS="$LS_TMP/bpffs"
mkdir -p "$BPFFS" "$LS_TMP/state"
mount -t bpf bpf "$BPFFS" || ls_skip "cannot mount bpffs"
trap 'rc=$?; umount -l "$BPFFS" 2>/dev/null; (exit $rc); ls_cleanup' EXIT

cat >"$LS_TMP/lockstep.conf" <<EOF
node:
  id: xdp-node
  state-dir: $LS_TMP/state
  control-socket: $LS_TMP/control.sock
service:
  addresses: [192.0.2.53]
  interface: xs0
  xdp: native
admin:
  http: 127.0.0.1@8053
clock:
  lease: 5s
zone:
  - domain: example.com.
    file: $ZONE
EOF
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "configuration refused"

start_agent() { # N
	ls_bg "$srv" "$LS_TMP/lockstepd.$1.log" sh -c \
		'mount --bind "$1" /sys/fs/bpf && exec "$2" -c "$3" -v' sh \
		"$BPFFS" "$LOCKSTEPD" "$LS_TMP/lockstep.conf"
	AGENT=$LS_LAST_PID
	ls_wait 20 grep -q "ready: zones loaded" "$LS_TMP/lockstepd.$1.log" ||
		ls_fail "lockstepd $1 did not become ready"
}

q() { # NAME TYPE [kdig args]
	ip netns exec "$cli" kdig @192.0.2.53 "$1" "$2" +timeout=1 +retry=0 "${@:3}" 2>&1
}

metric() { # NAME{LABELS} -> value (0 when absent)
	ip netns exec "$srv" curl -s --max-time 3 http://127.0.0.1:8053/metrics |
		awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
ANSWERED='lockstep_xdp_packets_total{outcome="answered"}'
SLOW_UDP='lockstep_slowpath_queries_total{transport="udp"}'

start_agent 1
grep -q "ready: zones loaded, data plane attached" "$LS_TMP/lockstepd.1.log" ||
	ls_fail "READY without the data plane attached"
ip -n "$srv" link show xs0 | grep -q "prog/xdp" || ls_fail "no XDP program on xs0"
[ -e "$BPFFS/lockstep/current/ls_answers" ] || ls_fail "maps not pinned"
[ "$(metric lockstep_xdp_attached)" = 1 ] || ls_fail "/metrics: lockstep_xdp_attached is not 1"

a0=$(metric "$ANSWERED")
s0=$(metric "$SLOW_UDP")
out=$(q mail.example.com A)
grep -q "status: NOERROR" <<<"$out" || ls_fail "mail A: $out"
grep -q "192.0.2.2" <<<"$out" || ls_fail "mail A: no address: $out"
out=$(q nope.example.com A)
grep -q "status: NXDOMAIN" <<<"$out" || ls_fail "NXDOMAIN: $out"
out=$(q www.sub.example.com A)
grep -q "ns.sub.example.com" <<<"$out" || ls_fail "referral: $out"
a1=$(metric "$ANSWERED")
s1=$(metric "$SLOW_UDP")
[ $((a1 - a0)) -ge 3 ] || ls_fail "XDP answered $((a1 - a0)) of 3 queries"
[ "$s1" = "$s0" ] || ls_fail "the slow path saw $((s1 - s0)) UDP queries, XDP should answer all"
# TCP is passed to the slow path, which answers it
out=$(q mail.example.com A +tcp)
grep -q "status: NOERROR" <<<"$out" || ls_fail "TCP (slow path): $out"
curl_status=$(ip netns exec "$srv" curl -s --max-time 3 http://127.0.0.1:8053/status)
echo "$curl_status" | grep -q '"mode":"native"' || ls_fail "/status: no native data plane: $curl_status"
echo "$curl_status" | grep -q '"fresh":true' || ls_fail "/status: lease not fresh: $curl_status"
ls_log "kdig: answered in XDP ($((a1 - a0)) answered, slow path UDP unchanged)"

# SIGKILL + restart under a bounded query stream: nothing lost.
printf 'mail.example.com A\nnope.example.com A\nwww.sub.example.com A\nexample.com SOA\n' >"$LS_TMP/q.txt"
ls_kill_restart_stream "$cli" "$LS_TMP/q.txt" "-s 192.0.2.53 -l 5 -Q 2000 -c 4 -t 1" \
	"$srv" xs0 "$AGENT" "$LS_TMP/lockstepd.2.log" "SIGKILL + restart under load" start_agent 2

# The lease: a stopped agent renews nothing; after 5 s the program drops.
# (5 s, not less: a restart on a loaded 2-CPU machine must fit in what is
# left of the lease when the old agent dies, between 2/3 and all of it.)
q mail.example.com A | grep -q "status: NOERROR" || ls_fail "no answer before SIGSTOP"
kill -STOP "$AGENT"
sleep 5.5
out=$(q mail.example.com A)
grep -q "status:" <<<"$out" && { kill -CONT "$AGENT"; ls_fail "answered after the lease ran out: $out"; }
kill -CONT "$AGENT"
ls_wait 5 sh -c "ip netns exec $cli kdig @192.0.2.53 mail.example.com A +timeout=1 +retry=0 | grep -q 'status: NOERROR'" ||
	ls_fail "no answer after SIGCONT"
[ "$(metric 'lockstep_xdp_packets_total{outcome="drop_lease"}')" -ge 1 ] ||
	ls_fail "the silence was not the lease (drop_lease is 0)"
ls_log "lease: silent while the agent was stopped, answering after SIGCONT"

# A clean stop detaches and unpins.
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null
ip -n "$srv" link show xs0 | grep -q "prog/xdp" && ls_fail "program still attached after SIGTERM"
[ -e "$BPFFS/lockstep" ] && ls_fail "pins left after SIGTERM"
out=$(q mail.example.com A)
grep -q "status:" <<<"$out" && ls_fail "answered after a clean stop: $out"
ls_log "SIGTERM: detached, unpinned"
ls_log "PASS"
exit 0
