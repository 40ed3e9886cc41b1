#!/usr/bin/env bash
# test_store_restart.sh — versions survive a crash; a corrupted one is never served.
#
# A "node" namespace runs lockstepd with a state directory and a spool,
# serving example.org. from a zone file (serial 1); a "client" namespace
# queries it with kdig. Then:
#   1. a newer version (serial 2) delivered into the spool (written as a
#      dot-file, renamed into place) goes live and the file lands in done/;
#      a broken one lands in rejected/ and changes nothing;
#   2. lockstepd is killed with SIGKILL, the zone file removed, and lockstepd
#      restarted: serial 2 is served from the state directory alone;
#   3. killed again, the stored file corrupted (one byte flipped): on restart
#      it is refused and logged, moved to corrupt/, the zone is silent (never
#      served from a bad file) and lockstepd keeps running.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd kdig ip od dd

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

ls_netns node >/dev/null
node=${LS_TAG}-node
ls_netns client >/dev/null
client=${LS_TAG}-client
ls_link "$node" svc0 192.0.2.53/24 "$client" svc1 192.0.2.10/24

STATE="$LS_TMP/state"
SPOOL="$LS_TMP/spool"
ZONEFILE="$LS_TMP/zones/example.org.zone"
mkdir -p "$STATE" "$SPOOL" "$LS_TMP/zones"

zone_text() { # SERIAL [NS-LINE]
	printf '$ORIGIN example.org.\n'
	printf '@ 3600 IN SOA ns hostmaster %s 7200 3600 1209600 300\n' "$1"
	printf '%s\n' "${2-@ 3600 IN NS ns}"
	printf 'ns 3600 IN A 192.0.2.1\n'
	printf 'www 300 IN A 192.0.2.%s\n' "$1"
}
zone_text 1 >"$ZONEFILE"

cat >"$LS_TMP/lockstep.conf" <<CONF
node:
  id: it-store
  state-dir: $STATE
  spool-dir: $SPOOL
service:
  addresses: [192.0.2.53]
  xdp: off
admin:
  http: off
remote:
  - {id: primary, address: 198.51.100.1}
zone:
  - domain: example.org.
    file: $ZONEFILE
    primaries: [primary]
CONF
"$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" --check-config >/dev/null || ls_fail "configuration refused"

LSPID=
start() { # LOGFILE
	ls_bg "$node" "$1" "$LOCKSTEPD" -c "$LS_TMP/lockstep.conf" -v
	LSPID=$LS_LAST_PID
}
crash() {
	kill -KILL "$LSPID"
	wait "$LSPID" 2>/dev/null
}
c() { ip netns exec "$client" "$@"; }
www() { c kdig +short +retry=0 +timeout=1 @192.0.2.53 www.example.org A 2>/dev/null; }
serves() { [ "$(www)" = "$1" ]; }

fails=0
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then
		ls_log "ok: $what"
	else
		ls_log "FAIL: $what"
		fails=$((fails + 1))
	fi
}

start "$LS_TMP/run1.log"
ls_wait 15 serves 192.0.2.1 || ls_fail "serial 1 not served from the zone file"
ls_log "ok: serial 1 served from the zone file"

# 1. the spool: complete files only, a good one goes live, a bad one is refused
zone_text 2 >"$SPOOL/.example.org.zone.tmp"
mv "$SPOOL/.example.org.zone.tmp" "$SPOOL/example.org.zone"
check "serial 2 from the spool goes live" ls_wait 15 serves 192.0.2.2
check "the spool file moved to done/" ls_wait 5 test -f "$SPOOL/done/example.org.zone"
zone_text 3 "" >"$SPOOL/.broken.zone.tmp" # no NS at the apex
mv "$SPOOL/.broken.zone.tmp" "$SPOOL/broken.zone"
check "a broken spool file moved to rejected/" ls_wait 15 test -f "$SPOOL/rejected/broken.zone"
check "still serving serial 2" serves 192.0.2.2
check "serial 2 stored as live" test -f "$STATE/example.org.2.live"

# 2. SIGKILL, zone file gone: the state directory alone serves serial 2
crash
rm -f "$ZONEFILE"
start "$LS_TMP/run2.log"
check "serial 2 served after SIGKILL without the zone file" ls_wait 15 serves 192.0.2.2
check "re-adoption logged" grep -q "re-adopting live serial 2" "$LS_TMP/run2.log"

# 3. a corrupted stored file is refused, moved aside and never served
crash
f="$STATE/example.org.2.live"
size=$(stat -c %s "$f")
off=$((size / 2))
byte=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
# shellcheck disable=SC2059 # the octal escape is the format on purpose
printf "$(printf '\\%03o' $(((byte + 1) % 256)))" |
	dd of="$f" bs=1 seek="$off" conv=notrunc status=none
start "$LS_TMP/run3.log"
check "the corrupted file is refused and logged" \
	ls_wait 15 grep -q "torn or corrupted" "$LS_TMP/run3.log"
check "the corrupted file moved to corrupt/" \
	ls_wait 5 test -n "$(ls -A "$STATE/corrupt/" 2>/dev/null)"
check "the zone is silent, not served from a bad file" test -z "$(www)"
check "lockstepd keeps running" kill -0 "$LSPID"

if [ $fails -ne 0 ]; then
	ls_fail "$fails check(s) failed"
fi
ls_log "PASS"
