#!/usr/bin/env bash
# test_systemd.sh — systemd/lockstep.service passes `systemd-analyze verify`
# and `systemd-analyze security` rates its exposure at 2.0 or lower; the
# sysusers and tmpfiles snippets parse. Both analyses work offline on a unit
# file (systemd >= 252: `security --offline=true`; `verify --man=no`), so no
# running systemd is needed. verify checks that ExecStart= exists: the test
# points a copy of the unit at the built lockstepd.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_cmd systemd-analyze
UNIT="$LS_SRC/systemd/lockstep.service"
LOCKSTEPD="$LS_BUILD/agent/lockstepd"
[ -x "$LOCKSTEPD" ] || ls_skip "lockstepd not built in $LS_BUILD"
systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' ||
	ls_skip "systemd-analyze has no --offline (systemd < 252)"

mkdir -p "$LS_TMP/unit"
sed "s|/usr/sbin/lockstepd|$LOCKSTEPD|g" "$UNIT" >"$LS_TMP/unit/lockstep.service"
if ! systemd-analyze verify --man=no "$LS_TMP/unit/lockstep.service" >"$LS_TMP/verify.log" 2>&1; then
	cat "$LS_TMP/verify.log" >&2
	ls_fail "systemd-analyze verify"
fi
[ -s "$LS_TMP/verify.log" ] && { cat "$LS_TMP/verify.log" >&2; ls_fail "systemd-analyze verify warned"; }
ls_log "ok: systemd-analyze verify"

out=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1) || ls_fail "systemd-analyze security: $out"
exposure=$(sed -n 's/.*Overall exposure level for lockstep.service: \([0-9.]*\).*/\1/p' <<<"$out")
[ -n "$exposure" ] || ls_fail "no exposure level in: $out"
ls_log "exposure level: $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || ls_fail "exposure $exposure > 2.0"

grep -q '^Type=notify$' "$UNIT" || ls_fail "not Type=notify"
grep -q '^WatchdogSec=' "$UNIT" || ls_fail "no WatchdogSec="
grep -q '^ExecStartPre=.*--check-config' "$UNIT" || ls_fail "no config check before start"
grep -q '^ExecReload=.*-HUP' "$UNIT" || ls_fail "no SIGHUP reload"
grep -q '^Restart=on-failure$' "$UNIT" || ls_fail "no Restart=on-failure"
if command -v systemd-sysusers >/dev/null; then
	systemd-sysusers --dry-run --root="$LS_TMP/root" "$LS_SRC/systemd/lockstep.sysusers" \
		>"$LS_TMP/sysusers.log" 2>&1 || { cat "$LS_TMP/sysusers.log" >&2; ls_fail "sysusers snippet"; }
	ls_log "ok: sysusers snippet"
fi
ls_log "PASS"
