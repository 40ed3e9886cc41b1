#!/usr/bin/env bash
# test_chrony.sh — the clock guard against real chronyd, both states, and the
# NTP fallback against chronyd's NTP server.
#
# Namespaces (each chronyd with its own directory, command socket, pid and
# drift file; every chronyd runs with -x, so none ever touches the clock):
#   ref    192.0.2.1    chronyd "local stratum 1", NTP server on port 123
#   good   192.0.2.2    chronyd synchronised to ref (leap status Normal)
#   bad    198.51.100.2 chronyd whose only server, 192.0.2.250, is unreachable
# Checks:
#   1. the command protocol with a real chronyd: a raw tracking request (the
#      byte layout of common/chrony.h, sent by python3) is answered, and the
#      replies are logged as hex (that is how tests/unit/test_chrony.c's
#      captures were made);
#   2. lockstepd on "good" decides "clock trusted" from chronyd (stratum 2,
#      leap Normal); on "bad" it decides "NOT trusted: ... not synchronised";
#   3. chronyd on "good" killed: lockstepd's answer goes stale, NOT trusted;
#   4. no chronyd socket, clock.ntp-server 192.0.2.1: lockstepd trusts the
#      clock from NTP (mode 3 against ref's chronyd);
#   5. clock.ntp-server with nobody there: NOT trusted, no answer.
# kernel-check is "report" throughout: chronyd -x leaves the kernel's
# STA_UNSYNC as it is, which is the point of -x.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd chronyd chronyc python3 ip

LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"

ref=$(ls_netns ref)
good=$(ls_netns good)
bad=$(ls_netns bad)
ls_veth "$ref" r0 "$good" g0
ls_veth "$ref" r1 "$bad" b0
ls_addr "$ref" r0 192.0.2.1/24
ls_addr "$good" g0 192.0.2.2/24
ls_addr "$ref" r1 198.51.100.1/24
ls_addr "$bad" b0 198.51.100.2/24

# chrony_conf NAME EXTRA...: a private directory and configuration
chrony_conf() {
	local name=$1
	shift
	mkdir -m 0700 -p "$LS_TMP/$name"
	{
		echo "user root"
		echo "bindcmdaddress $LS_TMP/$name/chronyd.sock"
		echo "cmdport 0"
		echo "pidfile $LS_TMP/$name/chronyd.pid"
		echo "driftfile $LS_TMP/$name/drift"
		printf '%s\n' "$@"
	} >"$LS_TMP/$name/chrony.conf"
}

chrony_conf ref "local stratum 1" "allow 192.0.2.0/24" "bindaddress 192.0.2.1"
chrony_conf good "server 192.0.2.1 iburst minpoll -2 maxpoll -2" "port 0"
chrony_conf bad "server 192.0.2.250 iburst" "port 0"
for n in ref good bad; do
	ns=${LS_TAG}-$n
	ls_bg "$ns" "$LS_TMP/$n/chronyd.log" chronyd -x -d -f "$LS_TMP/$n/chrony.conf"
	eval "pid_$n=$LS_LAST_PID"
done

tracking() { ip netns exec "$1" chronyc -h "$LS_TMP/$2/chronyd.sock" tracking 2>/dev/null; }
ls_wait 30 bash -c "ip netns exec $good chronyc -h $LS_TMP/good/chronyd.sock tracking | grep -q 'Leap status *: Normal'" ||
	ls_fail "chronyd on good did not synchronise to ref"
ls_wait 10 bash -c "ip netns exec $bad chronyc -h $LS_TMP/bad/chronyd.sock tracking | grep -q 'Not synchronised'" ||
	ls_fail "chronyd on bad does not answer"
ls_log "good: $(tracking "$good" good | tr -s ' ' | grep -E 'Stratum|Leap' | tr '\n' ' ')"
ls_log "bad:  $(tracking "$bad" bad | tr -s ' ' | grep -E 'Stratum|Leap' | tr '\n' ' ')"

# 1. a raw tracking request, as common/chrony.h builds it
cat >"$LS_TMP/capture.py" <<'EOF'
import os, socket, struct, sys, tempfile
path, seq = sys.argv[1], int(sys.argv[2])
d = tempfile.mkdtemp()
me = os.path.join(d, "c.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(me)
s.settimeout(5)
# version 6, request, reserved, REQ_TRACKING 33, attempt 0, sequence, pads; padded to 104
s.sendto(struct.pack(">BBBBHHIII", 6, 1, 0, 0, 33, 0, seq, 0, 0) + bytes(84), path)
rep = s.recv(4096)
os.unlink(me)
os.rmdir(d)
ver, typ, cmd, rtype, status, rseq = struct.unpack(">BB2xHHH6xI", rep[:20])
assert (ver, typ, cmd, rtype, status, rseq, len(rep)) == (6, 2, 33, 5, 0, seq, 104), rep.hex()
stratum, leap = struct.unpack(">HH", rep[52:56])
print(rep.hex(), stratum, leap)
EOF
out=$(ip netns exec "$good" python3 "$LS_TMP/capture.py" "$LS_TMP/good/chronyd.sock" 305419896) ||
	ls_fail "tracking request to good: $out"
ls_log "good tracking reply: $out"
[ "${out##* }" = 0 ] || ls_fail "good: leap status in the raw reply is not 0 (Normal)"
out=$(ip netns exec "$bad" python3 "$LS_TMP/capture.py" "$LS_TMP/bad/chronyd.sock" 7) ||
	ls_fail "tracking request to bad: $out"
ls_log "bad tracking reply: $out"
[ "${out##* }" = 3 ] || ls_fail "bad: leap status in the raw reply is not 3 (Not synchronised)"

# lockstepd_conf NAME CLOCK-LINES...: a node without zones, guarding its clock
lockstepd_conf() {
	local name=$1
	shift
	mkdir -p "$LS_TMP/$name"
	{
		echo "node: {id: $name, state-dir: $LS_TMP/$name/state}"
		echo "admin: {http: 'off'}"
		echo "clock:"
		echo "  socket-dir: $LS_TMP/$name/run"
		echo "  kernel-check: report"
		echo "  skew-budget: 10ms"
		printf '  %s\n' "$@"
	} >"$LS_TMP/$name/lockstep.conf"
}

# expect LOG PATTERN WHAT: wait (bounded) for a line in a log
expect() {
	ls_wait 20 grep -q -- "$2" "$1" || ls_fail "$3: no '$2' in $1"
	ls_log "ok: $3: $(grep -m1 -- "$2" "$1" | cut -c1-220)"
}

# 2. the guard's verdict in both states
lockstepd_conf lgood "chrony-socket: $LS_TMP/good/chronyd.sock"
lockstepd_conf lbad "chrony-socket: $LS_TMP/bad/chronyd.sock"
ls_bg "$good" "$LS_TMP/lgood/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lgood/lockstep.conf" -v
ls_bg "$bad" "$LS_TMP/lbad/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lbad/lockstep.conf" -v
expect "$LS_TMP/lgood/lockstepd.log" "clock trusted: chrony: error bound" "synchronised chronyd"
grep -q "clock trusted: chrony: .*stratum 2, leap Normal" "$LS_TMP/lgood/lockstepd.log" ||
	ls_fail "good: the trusted verdict does not show stratum 2, leap Normal"
expect "$LS_TMP/lbad/lockstepd.log" "clock NOT trusted: chrony: not synchronised (leap 3" \
	"unsynchronised chronyd"
grep -q "clock trusted" "$LS_TMP/lbad/lockstepd.log" && ls_fail "bad: the clock was trusted"
# no spurious "not trusted" while the first answer is on its way
grep -m1 "clock .*trusted" "$LS_TMP/lgood/lockstepd.log" | grep -q "clock trusted" ||
	ls_fail "good: the first verdict was not 'trusted'"
# the private client socket directory exists while lockstepd runs
ls -d "$LS_TMP"/lgood/run/chrony.* >/dev/null 2>&1 || ls_fail "no private socket directory"

# 3. chronyd gone: the last answer goes stale
kill -TERM "$pid_good"
expect "$LS_TMP/lgood/lockstepd.log" "clock NOT trusted: no fresh answer" "chronyd stopped"

# 4. the NTP fallback against ref's chronyd
lockstepd_conf lntp "chrony-socket: $LS_TMP/lntp/none.sock" "ntp-server: 192.0.2.1"
ls_bg "$good" "$LS_TMP/lntp/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lntp/lockstep.conf" -v
expect "$LS_TMP/lntp/lockstepd.log" "clock trusted: ntp: error bound" "NTP server"
grep -q "clock trusted: ntp: .*stratum 1, leap Normal" "$LS_TMP/lntp/lockstepd.log" ||
	ls_fail "ntp: the verdict does not show the server's stratum 1, leap Normal"

# 5. an NTP server that never answers
lockstepd_conf lnone "chrony-socket: $LS_TMP/lnone/none.sock" "ntp-server: 192.0.2.99"
ls_bg "$good" "$LS_TMP/lnone/lockstepd.log" "$LOCKSTEPD" -c "$LS_TMP/lnone/lockstep.conf" -v
expect "$LS_TMP/lnone/lockstepd.log" "clock NOT trusted: no answer from chronyd or the NTP server" \
	"silent NTP server"

ls_log "PASS"
