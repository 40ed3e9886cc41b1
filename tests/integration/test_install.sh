#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a DESTDIR places the binaries
# (sbin), the BPF object (when the data plane is built), the unit and its
# sysusers/tmpfiles snippets, the example config and the man pages; the
# installed lockstepd runs and its --check-config accepts the installed
# example configuration.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_cmd cmake
dest="$LS_TMP/dest"
DESTDIR="$dest" cmake --install "$LS_BUILD" --prefix /usr >"$LS_TMP/install.log" 2>&1 ||
	{ cat "$LS_TMP/install.log" >&2; ls_fail "cmake --install"; }

fails=0
for f in usr/sbin/lockstepd usr/sbin/lockstepctl usr/lib/systemd/system/lockstep.service \
	usr/lib/sysusers.d/lockstep.conf usr/lib/tmpfiles.d/lockstep.conf \
	usr/etc/lockstep/lockstep.conf.example usr/share/man/man8/lockstepd.8 \
	usr/share/man/man8/lockstepctl.8 usr/share/man/man5/lockstep.conf.5; do
	if [ -e "$dest/$f" ]; then ls_log "ok: $f"; else ls_log "FAIL: missing $f"; fails=$((fails + 1)); fi
done
if grep -q '^LOCKSTEP_BPF_OBJECT:INTERNAL=.' "$LS_BUILD/CMakeCache.txt"; then
	[ -e "$dest/usr/lib/lockstep/lockstep.bpf.o" ] || { ls_log "FAIL: missing BPF object"; fails=$((fails + 1)); }
fi
"$dest/usr/sbin/lockstepd" --version >/dev/null || { ls_log "FAIL: lockstepd --version"; fails=$((fails + 1)); }
"$dest/usr/sbin/lockstepd" --check-config -c "$dest/usr/etc/lockstep/lockstep.conf.example" >/dev/null ||
	{ ls_log "FAIL: the example config does not pass --check-config"; fails=$((fails + 1)); }
[ $fails -eq 0 ] || ls_fail "$fails check(s) failed"
ls_log "PASS"
