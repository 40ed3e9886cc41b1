#!/usr/bin/env bash
# test_xdp_resize.sh — the XDP maps grow when a zone arrives that does not fit.
#
# lockstepd starts with native XDP on its service veth, a small zone file
# (example.org) and an empty state directory, so its maps are sized for
# example.org alone. Then a knotd primary starts and lockstepd transfers
# example.com, generated with $LS_RESIZE_NAMES names (default 30,000;
# tens of thousands of answer-table entries, far over the opening size).
# Checks:
#   - the maps grew (logged, with how long it took) and nothing was left
#     out: no "did not fit" in the log;
#   - a sample of names across example.com is answered by XDP: the
#     program's "answered" counter grows by the number of queries and the
#     slow path's UDP counter does not move; kdig's answers are the
#     zone's addresses;
#   - a bounded dnsperf stream (example.org, answered in XDP) running
#     across the transfer and the growth loses no query;
#   - the pins: `current` names a new instance directory, the old one is
#     gone;
#   - SIGKILL right after the growth and a restart: the new agent re-adopts
#     the grown instance and the sample is still answered in XDP, with no
#     query lost across the restart.
# The pins live on a bpffs of the test's own, bind-mounted over /sys/fs/bpf
# in the agent's mount namespace.
. "$(dirname "$0")/lib.sh" "$@"
ls_require_root
ls_require_cmd kdig dnsperf curl ip knotd knotc awk
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
LOCKSTEPCTL="$LS_BUILD/agent/lockstepctl"
TOOL="$LS_BUILD/tests/bench_xdp"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"
[ -x "$TOOL" ] || ls_skip "bench_xdp not built (no BPF tooling)"
NAMES=${LS_RESIZE_NAMES:-30000}

ls_netns pri >/dev/null
pri=${LS_TAG}-pri
ls_netns srv >/dev/null
srv=${LS_TAG}-srv
ls_netns cli >/dev/null
cli=${LS_TAG}-cli
ls_link "$pri" p0 198.51.100.10/24 "$srv" n0 198.51.100.2/24
ls_link "$srv" xs0 192.0.2.53/24 "$cli" xc0 192.0.2.10/24
ip netns exec "$cli" "$TOOL" attach-pass --if xc0 || ls_skip "cannot attach XDP to a veth"

BPFFS="$LS_TMP/bpffs"
mkdir -p "$BPFFS" "$LS_TMP/state" "$LS_TMP/knot"
mount -t bpf bpf "$BPFFS" || ls_skip "cannot mount bpffs"
trap 'rc=$?; umount -l "$BPFFS" 2>/dev/null; (exit $rc); ls_cleanup' EXIT

# example.com: NAMES hosts h<i> with an address each, one in 50 with a TXT too
K="$LS_TMP/knot"
{
	printf '$ORIGIN example.com.\n$TTL 3600\n'
	printf '@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 198.51.100.10\n'
	awk -v n="$NAMES" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "h%d A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
			if (i % 50 == 0)
				printf "h%d TXT \"host %d\"\n", i, i
		}
	}'
} >"$K/example.com.zone"
cat >"$LS_TMP/example.org.zone" <<EOF
\$ORIGIN example.org.
\$TTL 3600
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.80
EOF
SECRET=$(openssl rand -base64 32)
{
	ls_knot_conf "$K" 198.51.100.10 "$SECRET"
	cat <<EOF
template:
  - id: default
    storage: $K
zone:
  - domain: example.com
    acl: xfr
EOF
} >"$K/knot.conf"
cat >"$LS_TMP/lockstep.conf" <<EOF
node:
  id: resize-node
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
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: knot
    address: 198.51.100.10
    key: xfr
zone:
  - domain: example.org.
    file: $LS_TMP/example.org.zone
  - domain: example.com.
    primaries: knot
EOF
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "configuration refused"

start_agent() { # N
	ls_bg "$srv" "$LS_TMP/lockstepd.$1.log" sh -c \
		'mount --bind "$1" /sys/fs/bpf && exec "$2" -c "$3" -v' sh \
		"$BPFFS" "$LOCKSTEPD" "$LS_TMP/lockstep.conf"
	AGENT=$LS_LAST_PID
	ls_wait 30 grep -q "ready: zones loaded" "$LS_TMP/lockstepd.$1.log" ||
		ls_fail "lockstepd $1 did not become ready"
}
metric() { # NAME{LABELS} -> value (0 when absent)
	ip netns exec "$srv" curl -s --max-time 3 http://127.0.0.1:8053/metrics |
		awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
ANSWERED='lockstep_xdp_packets_total{outcome="answered"}'
SLOW_UDP='lockstep_slowpath_queries_total{transport="udp"}'
addr_of() { # i -> the address the zone gives h<i>
	echo "10.$(((($1) / 65536) % 256)).$(((($1) / 256) % 256)).$((($1) % 256))"
}
# 40 names spread across the zone (first, last, and between)
SAMPLE=""
for k in $(seq 0 39); do SAMPLE="$SAMPLE $(((NAMES - 1) * k / 39))"; done

start_agent 1
grep -q "ready: zones loaded, data plane attached" "$LS_TMP/lockstepd.1.log" ||
	ls_fail "READY without the data plane attached"
[ -L "$BPFFS/lockstep/current" ] || ls_fail "no pin set named by lockstep/current"
inst1=$(readlink "$BPFFS/lockstep/current")
[ -e "$BPFFS/lockstep/current/ls_answers" ] || ls_fail "maps not pinned under $inst1"
ip netns exec "$cli" kdig @192.0.2.53 www.example.org A +short +timeout=1 +retry=0 |
	grep -qx 192.0.2.80 || ls_fail "example.org not answered"

# the stream: example.org (XDP) across the transfer and the growth
printf 'www.example.org A\nexample.org SOA\nnope.example.org A\n' >"$LS_TMP/q-org.txt"
ip netns exec "$cli" dnsperf -s 192.0.2.53 -d "$LS_TMP/q-org.txt" -l 12 -Q 1000 -c 2 -t 3 \
	>"$LS_TMP/perf-grow.txt" 2>&1 &
PERF=$!
sleep 1
ls_knotd "$pri" "$K"
ip netns exec "$srv" "$LOCKSTEPCTL" retransfer example.com --socket "$LS_TMP/control.sock" \
	>/dev/null 2>&1 || true # the retry timer gets there too; the wait below bounds it
ls_wait 120 grep -q "maps grown to" "$LS_TMP/lockstepd.1.log" ||
	ls_fail "the maps did not grow (log: $(grep dataplane "$LS_TMP/lockstepd.1.log" | tail -3))"
# the stream must have spanned the growth, or it proves nothing
kill -0 $PERF 2>/dev/null || ls_fail "the query stream ended before the growth; make it longer"
wait $PERF
grep -q "Queries lost: *0 " "$LS_TMP/perf-grow.txt" ||
	{ cat "$LS_TMP/perf-grow.txt"; ls_fail "queries lost during the growth"; }
ls_log "growth under load: $(grep 'Queries completed' "$LS_TMP/perf-grow.txt" | xargs), none lost"
ls_log "$(grep -o 'maps grown to.*' "$LS_TMP/lockstepd.1.log" | head -3 | tr '\n' ';')"

q_sample() { # kdig over the sample in one process; prints one address per line
	local args=""
	for i in $SAMPLE; do args="$args h$i.example.com A"; done
	# shellcheck disable=SC2086
	ip netns exec "$cli" kdig @192.0.2.53 +short +timeout=2 +retry=0 $args
}
check_sample() { # TAG
	local a0 s0 a1 s1 got want
	ls_wait 30 sh -c "ip netns exec $cli kdig @192.0.2.53 h$((NAMES - 1)).example.com A +short +timeout=1 +retry=0 | grep -q ." ||
		ls_fail "$1: example.com not served"
	sleep 0.5 # the data plane synced (100 ms timer) before counting
	a0=$(metric "$ANSWERED")
	s0=$(metric "$SLOW_UDP")
	got=$(q_sample)
	a1=$(metric "$ANSWERED")
	s1=$(metric "$SLOW_UDP")
	want=$(for i in $SAMPLE; do addr_of "$i"; done)
	[ "$got" = "$want" ] || ls_fail "$1: wrong answers: $(diff <(echo "$want") <(echo "$got") | head -5)"
	n=$(echo "$SAMPLE" | wc -w)
	[ $((a1 - a0)) -ge "$n" ] || ls_fail "$1: XDP answered $((a1 - a0)) of $n queries"
	[ "$s1" = "$s0" ] || ls_fail "$1: the slow path saw $((s1 - s0)) UDP queries; XDP should answer all"
	ls_log "$1: $n names across the zone answered by XDP, correct, slow path unchanged"
}
check_sample "after growth"
grep -q "did not fit" "$LS_TMP/lockstepd.1.log" &&
	ls_fail "entries left out: $(grep 'did not fit' "$LS_TMP/lockstepd.1.log" | head -2)"
grep -q "cannot grow" "$LS_TMP/lockstepd.1.log" && ls_fail "a growth failed"
inst2=$(readlink "$BPFFS/lockstep/current")
[ "$inst2" != "$inst1" ] || ls_fail "current still names $inst1 after the growth"
[ -e "$BPFFS/lockstep/$inst1" ] && ls_fail "the old instance $inst1 was not removed"
[ -e "$BPFFS/lockstep/current/ls_answers" ] || ls_fail "the new instance is not pinned"
ls_log "pins: current $inst1 -> $inst2, $inst1 removed"

# SIGKILL right after the growth, restart under a stream over the sample
for i in $SAMPLE; do echo "h$i.example.com A"; done >"$LS_TMP/q-com.txt"
ls_kill_restart_stream "$cli" "$LS_TMP/q-com.txt" "-s 192.0.2.53 -l 8 -Q 1000 -c 2 -t 3" \
	"$srv" xs0 "$AGENT" "$LS_TMP/lockstepd.2.log" "SIGKILL + restart" start_agent 2
check_sample "after restart"
grep -q "did not fit" "$LS_TMP/lockstepd.2.log" && ls_fail "restart: entries left out"
[ "$(readlink "$BPFFS/lockstep/current")" = "$inst2" ] ||
	grep -q "maps grown to" "$LS_TMP/lockstepd.2.log" ||
	ls_fail "restart: current changed without a growth"
ls_log "memory: $(grep -o 'maps grown to.*' "$LS_TMP/lockstepd.1.log" | tail -1)"

# The pin layout of earlier versions (every map directly in lockstep/):
# SIGKILL, move the pins there as an older agent left them, restart. The
# agent adopts them, migrates them into an instance named by `current`, and
# keeps answering in XDP.
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null
inst=$(readlink "$BPFFS/lockstep/current")
rm "$BPFFS/lockstep/current"
for f in "$BPFFS/lockstep/$inst"/*; do mv "$f" "$BPFFS/lockstep/"; done
rmdir "$BPFFS/lockstep/$inst"
[ -e "$BPFFS/lockstep/ls_answers" ] || ls_fail "could not build the earlier pin layout"
start_agent 3
grep -q "re-adopted the pinned maps" "$LS_TMP/lockstepd.3.log" ||
	ls_fail "the pins of the earlier layout were not adopted"
[ -L "$BPFFS/lockstep/current" ] && [ -e "$BPFFS/lockstep/current/ls_answers" ] ||
	ls_fail "the earlier layout was not migrated: $(ls "$BPFFS/lockstep")"
[ -e "$BPFFS/lockstep/ls_answers" ] && ls_fail "pins of the earlier layout left behind"
check_sample "after migrating the earlier pin layout"

# Pins of an agent of another version whose maps have another layout (an
# upgrade after a SIGKILL): the agent must not reuse them — it starts with
# fresh maps, replaces the attached program and answers in XDP again.
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null
inst=$(readlink "$BPFFS/lockstep/current")
rm "$BPFFS/lockstep/$inst/ls_answers"
bpftool map create "$BPFFS/lockstep/$inst/ls_answers" type hash key 104 value 12 \
	entries 16 name ls_answers flags 1 || ls_fail "bpftool could not make the odd map"
start_agent 4
grep -q "has another layout" "$LS_TMP/lockstepd.4.log" ||
	ls_fail "pins of another layout were not recognised: $(grep dataplane "$LS_TMP/lockstepd.4.log")"
grep -q "re-adopted the pinned maps" "$LS_TMP/lockstepd.4.log" &&
	ls_fail "pins of another layout were re-adopted"
bpftool map show pinned "$BPFFS/lockstep/current/ls_answers" | grep -q "key 104B" &&
	ls_fail "the map of another layout is still pinned as current"
check_sample "after replacing pins of another layout"

kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null
[ -e "$BPFFS/lockstep" ] && ls_fail "pins left after SIGTERM: $(ls -R "$BPFFS/lockstep")"
ls_log "PASS"
exit 0
