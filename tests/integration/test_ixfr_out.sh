#!/bin/bash
# test_ixfr_out.sh — incremental IXFR out (RFC 1995) from lockstep's journal.
# A knotd primary (namespace pri) serves example.com; lockstepd (namespace
# node, a distribution-only node) pulls it; a second knotd (namespace sec)
# is a secondary with lockstepd as its primary, TSIG on both legs. The
# primary's zone is edited twice (serial 1 -> 2 -> 3) and lockstepd
# follows. Then:
#  - kdig IXFR=1 (TSIG) against lockstepd's admin address gets the
#    incremental form: both steps with the old SOAs inside, the deleted and
#    the added records, and none of the 9,002 records that did not change
#    (the zone has more names than one slice of the diff, so the steps are
#    computed over several loop turns);
#    IXFR=2 gets one step; +ixfr of an unknown serial gets the whole zone;
#  - the knotd secondary, which held serial 1, reaches serial 3 by IXFR
#    (its log says so, and never AXFR after the first transfer), and
#    answers the record added in serial 3;
#  - /metrics counts the incremental answers;
#  - after a restart (the journal is in memory only) IXFR is answered in
#    AXFR form until the next version, whose step is incremental again;
#  - SIGHUP with ixfr-journal-size: 0 turns the journal off.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig knotd knotc ip curl

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

pri=$(ls_netns pri)
node=$(ls_netns node)
sec=$(ls_netns sec)
ls_veth "$pri" p0 "$node" n0
ls_veth "$node" m0 "$sec" s0
ls_addr "$pri" p0 198.51.100.10/24
ls_addr "$node" n0 198.51.100.2/24
ls_addr "$node" m0 192.0.2.1/24
ls_addr "$sec" s0 192.0.2.20/24

SECRET=$(openssl rand -base64 32)
P="$LS_TMP/pri" S="$LS_TMP/sec"
mkdir -p "$P" "$S" "$LS_TMP/state"
# shellcheck disable=SC2016 # the $ORIGIN and $TTL are zone file text
zone() { # SERIAL RECORDS...
	local serial=$1
	shift
	printf '$ORIGIN example.com.\n$TTL 3600\n@ SOA ns1 hostmaster %s 2 1 600 300\n' "$serial"
	printf '@ NS ns1\nns1 A 198.51.100.10\n'
	# more names than one slice of the diff (LS_IXFR_SLICE_NODES): lockstepd
	# computes each step over two loop turns, keeping the old version meanwhile
	seq 1 9000 | awk '{printf "keep%d A 192.0.2.%d\n", $1, $1 % 250}'
	printf '%s\n' "$@"
}
zone 1 "www A 192.0.2.80" "old1 TXT \"going\"" "mx1 MX 10 ns1" >"$P/example.com.zone"
knot_conf() { # DIR LISTEN ZONE-LINES...
	local dir=$1 listen=$2
	shift 2
	ls_knot_conf "$dir" "$listen" "$SECRET"
	cat <<EOF
  - id: notify
    key: xfr
    action: notify
remote:
  - id: lockstep
    address: 192.0.2.1@53
    key: xfr
template:
  - id: default
    storage: $dir
    zonefile-load: difference
    journal-content: changes
zone:
EOF
	printf '%s\n' "$@"
}
knot_conf "$P" 198.51.100.10 "  - domain: example.com" "    acl: xfr" >"$P/knot.conf"
ls_knotd "$pri" "$P"

cat >"$LS_TMP/lockstep.conf" <<EOF
node:
  id: it-ixfr
  state-dir: $LS_TMP/state
  ixfr-journal-size: 1M
service:
  xdp: off
admin:
  listen: [198.51.100.2@53, 192.0.2.1@53]
  http: 127.0.0.1@8053
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: knot
    address: 198.51.100.10
    key: xfr
  - id: sec
    address: 192.0.2.20
    key: xfr
zone:
  - domain: example.com.
    primaries: knot
    notify: sec
EOF
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "config refused"
ls_bg "$node" "$LS_TMP/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
LSPID=$LS_LAST_PID

n() { ip netns exec "$node" "$@"; }
ls_serial() { ip netns exec "$pri" kdig +short +retry=0 +timeout=1 @198.51.100.2 example.com SOA |
	awk '{print $3}'; }
ls_serial_is() { [ "$(ls_serial)" = "$1" ]; }
sec_serial_is() {
	[ "$(n kdig +short +retry=0 +timeout=1 @192.0.2.20 example.com SOA | awk '{print $3}')" = "$1" ]
}
edit() { # SERIAL RECORDS...
	zone "$@" >"$P/example.com.zone"
	ip netns exec "$pri" knotc -c "$P/knot.conf" zone-reload example.com >/dev/null ||
		ls_fail "knotc zone-reload"
	ls_wait 30 ls_serial_is "$1" || ls_fail "lockstepd does not hold serial $1"
}

ls_wait 20 ls_serial_is 1 || ls_fail "lockstepd does not hold serial 1"
ls_log "ok: lockstepd holds serial 1"

# the secondary: lockstepd is its primary; it takes serial 1 (AXFR: it has nothing)
knot_conf "$S" 192.0.2.20 "  - domain: example.com" "    master: lockstep" "    acl: notify" \
	>"$S/knot.conf"
ls_knotd "$sec" "$S"
ls_wait 30 sec_serial_is 1 || ls_fail "the knotd secondary did not get serial 1 from lockstepd"
ls_log "ok: knotd secondary holds serial 1"

edit 2 "www A 192.0.2.81" "old1 TXT \"going\"" "mx1 MX 10 ns1" "new2 AAAA 2001:db8::2"
edit 3 "www A 192.0.2.81" "mx1 MX 20 ns1" "new2 AAAA 2001:db8::2" "new3 TXT \"added in 3\""
ls_log "ok: lockstepd followed the primary to serial 3"

ixfr() { ip netns exec "$pri" kdig -y "hmac-sha256:xfr:$SECRET" +nocomments +nostats \
	+noquestion +timeout=5 @198.51.100.2 example.com "IXFR=$1"; }
out=$(ixfr 1 2>&1) || ls_fail "kdig IXFR=1 failed: $out"
printf '%s\n' "$out" >"$LS_TMP/ixfr1.txt"
soas=$(printf '%s\n' "$out" | awk '$4 == "SOA" {print $7}' | tr '\n' ' ')
# RFC 1995 §4: 3, then step 1->2 (1 ... 2 ...), step 2->3 (2 ... 3 ...), 3
[ "$soas" = "3 1 2 2 3 3 " ] || ls_fail "IXFR from 1: SOA serials '$soas', wanted '3 1 2 2 3 3 '"
has() { grep -Eq "$1" <<<"$out"; } # not a pipe: grep -q would SIGPIPE printf
has '^www\.example\.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.80' ||
	ls_fail "the deleted www A 192.0.2.80 is not in the IXFR"
has '^www\.example\.com\..*A[[:space:]]+192\.0\.2\.81' || ls_fail "the added www A is missing"
has '^old1\.example\.com\..*TXT' || ls_fail "the deleted old1 TXT is missing"
has '^mx1\.example\.com\..*MX[[:space:]]+10 ' || ls_fail "the deleted MX 10 is missing"
has '^mx1\.example\.com\..*MX[[:space:]]+20 ' || ls_fail "the added MX 20 is missing"
has '^new2\.example\.com\..*AAAA' || ls_fail "the added new2 AAAA is missing"
has '^new3\.example\.com\..*TXT' || ls_fail "the added new3 TXT is missing"
! has '^keep' || ls_fail "unchanged records in the IXFR: the whole zone was sent"
! has '^ns1\.example\.com\.' || ls_fail "unchanged ns1 A in the IXFR"
grep -q "ixfr: 2 -> 3: the step is computed over the next loop turns" "$LS_TMP/lockstepd.log" ||
	ls_fail "the diff of 2 -> 3 was not computed in slices"
ls_log "ok: kdig IXFR=1: incremental, SOAs $soas"

out=$(ixfr 2) || ls_fail "kdig IXFR=2 failed"
soas=$(printf '%s\n' "$out" | awk '$4 == "SOA" {print $7}' | tr '\n' ' ')
[ "$soas" = "3 2 3 3 " ] || ls_fail "IXFR from 2: SOA serials '$soas', wanted '3 2 3 3 '"
! has '^keep' || ls_fail "IXFR from 2 sent the whole zone"
has '^new3\.example\.com\..*TXT' || ls_fail "IXFR from 2 lacks new3"
! has '^new2\.example\.com\.' || ls_fail "IXFR from 2 carries the step before it"
ls_log "ok: kdig IXFR=2: one step"

# RFC 1995 §2: over UDP a step that fits is answered incrementally, signed
udp() { ip netns exec "$pri" kdig -y "hmac-sha256:xfr:$SECRET" +notcp +nocomments +nostats \
	+noquestion +timeout=5 +retry=0 @198.51.100.2 example.com "IXFR=$1" "${@:2}"; }
out=$(udp 2 2>&1) || ls_fail "kdig +notcp IXFR=2 failed: $out"
soas=$(printf '%s\n' "$out" | awk '$4 == "SOA" {print $7}' | tr '\n' ' ')
[ "$soas" = "3 2 3 3 " ] || ls_fail "UDP IXFR from 2: SOA serials '$soas', wanted '3 2 3 3 ': $out"
has '^new3\.example\.com\..*TXT' || ls_fail "UDP IXFR from 2 lacks new3"
grep -q "IXFR of example.com. serial 3 to .* over UDP: incremental" "$LS_TMP/lockstepd.log" ||
	ls_fail "no 'over UDP: incremental' log line"
# the AXFR form never fits a datagram: the SOA alone sends the client to TCP
out=$(udp 0 +bufsize=4096 2>&1) || ls_fail "kdig +notcp IXFR=0 failed: $out"
soas=$(printf '%s\n' "$out" | awk '$4 == "SOA" {print $7}' | tr '\n' ' ')
[ "$soas" = "3 " ] || ls_fail "UDP IXFR from 0: SOA serials '$soas', wanted the SOA alone: $out"
! has '^keep' || ls_fail "UDP IXFR from 0 carries zone records"
ls_log "ok: kdig +notcp: IXFR=2 incremental in one datagram, IXFR=0 the SOA alone"

out=$(ixfr 0) || ls_fail "kdig IXFR=0 failed"
has '^keep9000\.example\.com\.' || ls_fail "an unknown serial did not get the whole zone"
ls_log "ok: kdig IXFR=0 (older than the chain): AXFR form"

# the knotd secondary follows by IXFR
ls_wait 40 sec_serial_is 3 || ls_fail "the knotd secondary did not reach serial 3"
[ "$(n kdig +short +retry=0 +timeout=1 @192.0.2.20 new3.example.com TXT)" = '"added in 3"' ] ||
	ls_fail "the knotd secondary does not answer the record added in serial 3"
grep -E "IXFR, incoming, remote 192\.0\.2\.1@53.*finished" "$S/knotd.log" >"$LS_TMP/sec-ixfr" ||
	ls_fail "no incremental IXFR in the secondary's log"
if grep -Eq "AXFR-style|AXFR, incoming.*serial [12] -> |fallback to AXFR" "$S/knotd.log"; then
	ls_fail "the secondary fell back to AXFR: $(grep -E 'AXFR' "$S/knotd.log" | tail -3)"
fi
cat "$LS_TMP/sec-ixfr" >&2
ls_log "ok: knotd secondary: $(wc -l <"$LS_TMP/sec-ixfr") incremental IXFR(s), serial 3 answered"

metric=$(n curl -s http://127.0.0.1:8053/metrics |
	awk '/^lockstep_admin_ixfr_total\{form="incremental"\}/ {print $2}')
[ -n "$metric" ] && [ "$metric" -ge 3 ] ||
	ls_fail "lockstep_admin_ixfr_total{form=\"incremental\"} is '$metric', wanted >= 3"
grep -q "IXFR of example.com. serial 3 to .*: incremental" "$LS_TMP/lockstepd.log" ||
	ls_fail "no 'incremental' log line"
kill -0 "$LSPID" || ls_fail "lockstepd died"
ls_log "ok: /metrics counts $metric incremental answers"

# a restart empties the journal: the AXFR form until the next version
kill -TERM "$LSPID"
ls_wait 10 bash -c "! kill -0 $LSPID" || ls_fail "lockstepd did not stop"
ls_bg "$node" "$LS_TMP/lockstepd2.log" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
LSPID=$LS_LAST_PID
ls_wait 20 ls_serial_is 3 || ls_fail "serial 3 not served from the store after the restart"
out=$(ixfr 2) || ls_fail "kdig IXFR=2 after the restart failed"
has '^keep9000\.example\.com\.' || ls_fail "after a restart IXFR=2 was not answered in AXFR form"
edit 4 "www A 192.0.2.84" "mx1 MX 20 ns1" "new2 AAAA 2001:db8::2" "new3 TXT \"added in 3\""
out=$(ixfr 3) || ls_fail "kdig IXFR=3 failed"
soas=$(printf '%s\n' "$out" | awk '$4 == "SOA" {print $7}' | tr '\n' ' ')
[ "$soas" = "4 3 4 4 " ] || ls_fail "IXFR from 3 after the restart: SOAs '$soas', wanted '4 3 4 4 '"
! has '^keep' || ls_fail "IXFR=3 after the restart sent the whole zone"
ls_log "ok: restart: AXFR form for IXFR=2, then IXFR=3 incremental again"

# SIGHUP with ixfr-journal-size: 0 turns the journal off
sed -i 's/ixfr-journal-size: 1M/ixfr-journal-size: 0/' "$LS_TMP/lockstep.conf"
kill -HUP "$LSPID"
ls_wait 10 grep -q "configuration reloaded" "$LS_TMP/lockstepd2.log" || ls_fail "no reload"
out=$(ixfr 3) || ls_fail "kdig IXFR=3 after the reload failed"
has '^keep9000\.example\.com\.' || ls_fail "journal off: IXFR=3 was not answered in AXFR form"
grep -q "IXFR of example.com. serial 4 to .*: in AXFR form" "$LS_TMP/lockstepd2.log" ||
	ls_fail "no 'in AXFR form' log line"
ls_log "ok: SIGHUP with ixfr-journal-size 0: AXFR form"
exit 0
