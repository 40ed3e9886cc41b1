#!/usr/bin/env bash
# test_xdp_veth.sh — the XDP data plane on the wire.
#
# A server namespace with the program attached (native XDP) to its veth and
# no DNS server at all, so every answer the client gets came from XDP; a
# client namespace with the no-op program on its end (a veth delivers XDP_TX
# frames only to a peer that has an XDP program). The agent's part is played
# by tests/bench/bench_xdp serve (agent/compile + agent/dataplane, as
# lockstepd uses them). Checks, over IPv4 and IPv6 with kdig and dnsperf:
#   answers (positive, NXDOMAIN, referral, wildcard) and their checksums
#   (the client's kernel drops a UDP datagram whose checksum is wrong);
#   TCP is passed (nothing listens: refused); the agent killed with SIGKILL
#   and restarted under load: the pinned maps are re-adopted and no query is
#   lost; with the agent gone the lease runs out and the node falls silent;
#   a withdrawn zone is silent; a switch at T flips old -> new once;
#   SIGTERM detaches; generic (skb) mode answers too.
. "$(dirname "$0")/lib.sh" "$@"
ls_require_root
ls_require_cmd kdig dnsperf
TOOL="$LS_BUILD/tests/bench_xdp"
[ -x "$TOOL" ] || ls_skip "bench_xdp not built (no BPF tooling)"

ZONE="$LS_SRC/tests/data/zones/example.com.zone"
srv=$(ls_netns srv)
cli=$(ls_netns cli)
ls_veth "$srv" xs0 "$cli" xc0
ls_addr "$srv" xs0 192.0.2.53/24
ls_addr "$cli" xc0 192.0.2.10/24
ls_addr "$srv" xs0 2001:db8::53/64
ls_addr "$cli" xc0 2001:db8::10/64
ip netns exec "$cli" "$TOOL" attach-pass --if xc0 || ls_skip "cannot attach XDP to a veth"

# pins live on a bpffs of our own (ip netns exec remounts /sys)
mkdir -p "$LS_TMP/bpffs"
mount -t bpf bpf "$LS_TMP/bpffs" || ls_skip "cannot mount bpffs"
trap 'rc=$?; umount -l "$LS_TMP/bpffs" 2>/dev/null; (exit $rc); ls_cleanup' EXIT
PIN="$LS_TMP/bpffs/lockstep"

start_agent() { # extra args...
	ls_bg "$srv" "$LS_TMP/agent.$1.log" "$TOOL" serve --if xs0 --pin "$PIN" \
		--addr 192.0.2.53 --addr 2001:db8::53 --zone "$ZONE" --lease-ms 5000 "${@:2}"
	AGENT=$LS_LAST_PID
	ls_wait 20 grep -q ready "$LS_TMP/agent.$1.log" || ls_fail "agent $1 did not start"
}

q() { # SERVER NAME TYPE [kdig args]
	ip netns exec "$cli" kdig @"$1" "$2" "$3" +timeout=1 +retry=0 "${@:4}" 2>&1
}

start_agent 1
ip -n "$srv" link show xs0 | grep -q "xdp" || ls_fail "no XDP program on xs0"

for s in 192.0.2.53 2001:db8::53; do
	out=$(q $s mail.example.com A)
	grep -q "status: NOERROR" <<<"$out" || ls_fail "$s mail A: $out"
	grep -q "192.0.2.2" <<<"$out" || ls_fail "$s mail A: no address: $out"
	grep -qi "flags: qr aa rd" <<<"$out" || ls_fail "$s mail A flags: $out"
	out=$(q $s MaIl.ExAmPlE.cOm AAAA +noedns)
	grep -q "status: NOERROR" <<<"$out" || ls_fail "$s mixed-case NODATA: $out"
	grep -qi "MaIl.ExAmPlE.cOm" <<<"$out" || ls_fail "$s question not echoed as sent: $out"
	out=$(q $s nope.example.com A)
	grep -q "status: NXDOMAIN" <<<"$out" || ls_fail "$s NXDOMAIN: $out"
	out=$(q $s www.sub.example.com A)
	grep -q "AUTHORITY SECTION" <<<"$out" || ls_fail "$s referral: $out"
	grep -q "ns.sub.example.com" <<<"$out" || ls_fail "$s referral NS: $out"
	out=$(q $s x.wild.example.com TXT)
	grep -q '"wildcard"' <<<"$out" || ls_fail "$s wildcard: $out"
	out=$(q $s mail.example.com A +tcp)
	grep -q "status: NOERROR" <<<"$out" && ls_fail "$s TCP answered, should be passed (nothing listens)"
done
ls_log "kdig over IPv4 and IPv6: answered in XDP"

printf 'mail.example.com A\nnope.example.com A\nwww.sub.example.com A\nexample.com SOA\nns1.example.com AAAA\n' >"$LS_TMP/q.txt"
for s in 192.0.2.53 2001:db8::53; do
	ip netns exec "$cli" dnsperf -s $s -d "$LS_TMP/q.txt" -l 2 -Q 2000 -c 4 -t 1 >"$LS_TMP/perf.log" 2>&1
	grep -q "Queries lost: *0 " "$LS_TMP/perf.log" || { cat "$LS_TMP/perf.log"; ls_fail "dnsperf $s lost queries"; }
done
ls_log "dnsperf over IPv4 and IPv6: nothing lost"

# SIGKILL and restart under load: the program keeps answering from the
# pinned maps; the new agent re-adopts them.
ip netns exec "$cli" dnsperf -s 192.0.2.53 -d "$LS_TMP/q.txt" -l 4 -Q 3000 -c 4 -t 1 >"$LS_TMP/perf-restart.log" 2>&1 &
PERF=$!
sleep 1
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null
sleep 0.3
start_agent 2
grep -q "readopted=1" "$LS_TMP/agent.2.log" || ls_fail "restarted agent did not re-adopt the pinned maps"
wait $PERF
grep -q "Queries lost: *0 " "$LS_TMP/perf-restart.log" || { cat "$LS_TMP/perf-restart.log"; ls_fail "queries lost across SIGKILL + restart"; }
ls_log "SIGKILL + restart under load: no query lost, maps re-adopted"

# The agent gone for good: answers until the lease (5 s; see test_daemon_xdp.sh
# for why not less) runs out, then silence.
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null
q 192.0.2.53 mail.example.com A | grep -q "status: NOERROR" || ls_fail "no answer within the lease"
sleep 5.5
out=$(q 192.0.2.53 mail.example.com A)
grep -q "status:" <<<"$out" && ls_fail "answered after the lease expired: $out"
ls_log "lease expired: silent"

# Withdrawn: silent at once.
start_agent 3 --withdraw-ms 0
out=$(q 192.0.2.53 mail.example.com A)
grep -q "status:" <<<"$out" && ls_fail "withdrawn zone answered: $out"
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null
ls_log "withdrawn: silent"

# The switch on the wire: mail's address changes at T (1.5 s ahead); a
# query stream sees the old address, then the new one, never old again.
sed 's/^mail\tIN A 192.0.2.2/mail\tIN A 192.0.2.222/; s/2024010101/2024010102/' "$ZONE" >"$LS_TMP/next.zone"
grep -q 192.0.2.222 "$LS_TMP/next.zone" || ls_fail "could not make the next zone"
start_agent 4 --next "$LS_TMP/next.zone" --switch-ms 1500
seq_s=""
for _ in $(seq 1 40); do
	a=$(q 192.0.2.53 mail.example.com A +short)
	case "$a" in
	192.0.2.2) seq_s="${seq_s}o" ;;
	192.0.2.222) seq_s="${seq_s}n" ;;
	*) seq_s="${seq_s}x" ;;
	esac
	sleep 0.075
done
ls_log "answers across T: $seq_s"
echo "$seq_s" | grep -Eq '^o+n+$' || ls_fail "switch sequence not old..new: $seq_s"

# SIGTERM: a clean stop detaches the program and removes the pins.
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null
ip -n "$srv" link show xs0 | grep -q "prog/xdp" && ls_fail "program still attached after SIGTERM"
[ -e "$PIN" ] && ls_fail "pins left after SIGTERM"
# service.xdp: generic — the same answers through generic (skb) XDP.
start_agent 5 --mode generic
ip -n "$srv" link show xs0 | grep -q "xdpgeneric" || ls_fail "not attached in generic mode"
for s in 192.0.2.53 2001:db8::53; do
	out=$(q $s mail.example.com AAAA)
	grep -q "status: NOERROR" <<<"$out" || ls_fail "generic $s NODATA: $out"
	out=$(q $s www.sub.example.com A +bufsize=1232)
	grep -q "ns.sub.example.com" <<<"$out" || ls_fail "generic $s referral: $out"
done
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null
grep -q "stat answered" "$LS_TMP/agent.5.log" || ls_fail "generic mode answered nothing in XDP"
ls_log "generic XDP: answered"
ls_log "PASS"
exit 0
