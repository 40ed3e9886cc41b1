#!/bin/bash
# lockstepd's life with a configuration: start (one log line per zone),
# SIGHUP with a good file (zone-level changes logged, new file in force),
# SIGHUP with a bad file (refused with its errors, the old one kept, still
# running), SIGTERM (clean exit 0), SIGINT likewise. Needs no root.
# Usage: test_config_reload.sh BUILD_DIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"

bin=$LS_BUILD/agent/lockstepd
tmp=$LS_TMP
log=$tmp/lockstepd.log
[ -x "$bin" ] || ls_skip "$bin not built"

fails=0
fail() {
	ls_log "FAIL: $*"
	fails=$((fails + 1))
}

# wait_log PATTERN: until the log has a line matching PATTERN (5 s at most).
wait_log() {
	for _ in $(seq 1 50); do
		grep -q -- "$1" "$log" && return 0
		sleep 0.1
	done
	fail "no log line matching '$1'"
	return 1
}

cat >"$tmp/c.yaml" <<'CONF'
node: {id: n1}
remote: [{id: p, address: 192.0.2.1}]
zone:
  - {domain: a.example., primaries: [p]}
  - {domain: b.example., file: /z/b}
  - {domain: c.example., file: /z/c, dnssec: required}
CONF

start() {
	: >"$log"
	env -u JOURNAL_STREAM "$bin" -c "$tmp/c.yaml" 2>"$log" &
	pid=$!
	echo "$pid" >>"$LS_REG/pids" # killed by lib.sh's cleanup if the test dies first
	wait_log "lockstepd running"
}

start
for z in a b c; do grep -q "info: zone $z.example.: " "$log" || fail "zone $z not logged"; done

# A good reload: b removed, c changed, d added, a untouched; debug level on.
cat >"$tmp/c.yaml" <<'CONF'
node: {id: n1}
remote: [{id: p, address: 192.0.2.1}]
log: {level: debug}
zone:
  - {domain: a.example., primaries: [p]}
  - {domain: c.example., file: /z/c, dnssec: off}
  - {domain: d.example., file: /z/d}
CONF
kill -HUP "$pid"
wait_log "configuration reloaded"
grep -q "1 added, 1 removed, 1 changed" "$log" || fail "reload summary"
grep -q "zone b.example.: removed" "$log" || fail "b not removed"
grep -q "zone c.example.: changed: .*dnssec off" "$log" || fail "c not changed"
grep -q "zone d.example.: added" "$log" || fail "d not added"
grep -q "zone a.example.: \(added\|changed\|removed\)" "$log" && fail "a reported as changed"

# A bad reload: refused with file:line:col, the daemon keeps running.
printf 'node: {id: n1}\nzone: [{domain: a..b., file: /z}]\n' >"$tmp/c.yaml"
kill -HUP "$pid"
wait_log "reload refused"
grep -q "c.yaml:2:17: zone.domain: 'a..b.' is not a valid domain name" "$log" ||
	fail "bad reload error not logged"
kill -0 "$pid" 2>/dev/null || fail "daemon died on a bad reload"

kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || fail "SIGTERM exit $rc"
grep -q "SIGTERM received, stopping" "$log" || fail "SIGTERM not logged"
grep -q "lockstepd stopped" "$log" || fail "stop not logged"

# SIGINT after a fresh start from a good file.
printf 'node: {id: n1}\n' >"$tmp/c.yaml"
start
grep -q "no service addresses" "$log" || fail "no notice about missing addresses"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || fail "SIGINT exit $rc"

# A bad file at start: exit 1 with the errors.
printf 'node: {id: n1}\nbogus: 1\n' >"$tmp/c.yaml"
env -u JOURNAL_STREAM "$bin" -c "$tmp/c.yaml" 2>"$log"
rc=$?
[ "$rc" = 1 ] || fail "bad config at start exited $rc, want 1"
grep -q "c.yaml:2:1: unknown key 'bogus'" "$log" || fail "start error not logged"

[ "$fails" = 0 ] || ls_fail "$fails failure(s)"
ls_log "ok"
