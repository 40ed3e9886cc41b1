#!/usr/bin/env bash
# test_hooks.sh — hooks.on-serve / hooks.on-withdraw run by a real lockstepd
# on the zone manager's events.
#
# One lockstepd (no service addresses, no HTTP: it binds nothing) with
# example.com from a zone file:
#   1. at start the zone is served: on-serve runs with "example.com." and a
#      reason as arguments and LOCKSTEP_EVENT/ZONE/SERIAL/REASON set, and
#      once more for "*" (the first zone served);
#   2. SIGHUP with the zone removed: on-withdraw runs; it hangs (and starts
#      a child of its own), and is killed with its child at hooks.timeout;
#   3. SIGHUP with the zone back and a failing on-serve: its output lands in
#      the log line by line and its exit status is logged;
#   4. lockstepd answers SIGTERM at once even with a hook running.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_cmd python3
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"
ZONE="$LS_SRC/tests/data/zones/example.com.zone"
D=$LS_TMP

cat >"$D/record.sh" <<EOF
#!/bin/sh
echo "args=\$# [\$1] [\$2] event=\$LOCKSTEP_EVENT zone=\$LOCKSTEP_ZONE serial=\${LOCKSTEP_SERIAL-} reason=\$LOCKSTEP_REASON" >>"$D/record"
echo "recorded \$LOCKSTEP_EVENT"
EOF
cat >"$D/hang.sh" <<EOF
#!/bin/sh
[ "\$1" = "*" ] && exit 0
sleep 300 &
echo \$! >"$D/hang.child"
echo \$\$ >"$D/hang.pid"
wait
EOF
cat >"$D/fail.sh" <<EOF
#!/bin/sh
echo "bird: cannot reach control socket"
echo "second line" >&2
exit 3
EOF
chmod 0755 "$D/record.sh" "$D/hang.sh" "$D/fail.sh"

# conf ON-SERVE ON-WITHDRAW WITH-ZONE
conf() {
	{
		echo "node: {id: hooks, state-dir: $D/state}"
		echo "admin: {http: 'off'}"
		echo "hooks: {on-serve: $1, on-withdraw: $2, timeout: 1s}"
		if [ "$3" = yes ]; then
			echo "zone: [{domain: example.com., file: $ZONE}]"
		fi
	} >"$D/lockstep.conf"
}

expect() {
	ls_wait 20 grep -q -- "$2" "$1" || ls_fail "$3: no '$2' in $1"
	ls_log "ok: $3: $(grep -m1 -- "$2" "$1" | cut -c1-200)"
}

# 1. served at start
conf "$D/record.sh" "$D/record.sh" yes
"$LOCKSTEPD" -c "$D/lockstep.conf" >"$D/lockstepd.log" 2>&1 &
pid=$!
echo "$pid" >>"$LS_REG/pids"
expect "$D/record" "event=serve zone=example.com." "on-serve at start"
line=$(grep -m1 "event=serve zone=example.com." "$D/record")
case "$line" in
"args=2 [example.com.] ["*"] event=serve zone=example.com. serial=2024010101 reason="*) ;;
*) ls_fail "on-serve arguments/environment: $line" ;;
esac
# the first zone served also serves "*" (the node as a whole), without a serial
expect "$D/record" "args=2 \[\*\] \[.*\] event=serve zone=\* serial= reason=" "on-serve *"
expect "$D/lockstepd.log" "hook on-serve example.com.: recorded serve" "hook output in the log"
expect "$D/lockstepd.log" "hook on-serve example.com. (.*): exit 0" "exit status logged"

# 2. withdrawn: the hook hangs and is killed at the timeout, with its child
conf "$D/record.sh" "$D/hang.sh" no
kill -HUP "$pid"
expect "$D/hang.pid" "[0-9]" "on-withdraw started"
expect "$D/lockstepd.log" "hook on-withdraw example.com. (removed): still running after 1.000s, killing" \
	"timeout"
hook=$(cat "$D/hang.pid")
child=$(cat "$D/hang.child")
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
ls_wait 10 gone "$hook" || ls_fail "the hanging hook $hook survived the timeout"
ls_wait 10 gone "$child" || ls_fail "the hook's child $child survived the timeout"

# 3. served again, by a hook that fails
conf "$D/fail.sh" "$D/record.sh" yes
kill -HUP "$pid"
expect "$D/lockstepd.log" "hook on-serve example.com.: bird: cannot reach control socket" \
	"failing hook's stdout"
expect "$D/lockstepd.log" "hook on-serve example.com.: second line" "failing hook's stderr"
expect "$D/lockstepd.log" "hook on-serve example.com. (.*): exit 3" "failure logged"

# 4. a clean stop
kill -TERM "$pid"
ls_wait 10 bash -c "! kill -0 $pid 2>/dev/null" || ls_fail "lockstepd did not stop on SIGTERM"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || ls_fail "lockstepd exited $rc"
ls_log "PASS"
