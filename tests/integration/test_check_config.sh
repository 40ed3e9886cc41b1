#!/bin/bash
# lockstepd's command line around the configuration: --check-config on good
# and bad files (exit codes, messages, the shipped example), --help,
# --version, bad usage. Needs no root and no network.
# Usage: test_check_config.sh BUILD_DIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"

src=$LS_SRC
bin=$LS_BUILD/agent/lockstepd
data=$src/tests/data/config
tmp=$LS_TMP
[ -x "$bin" ] || ls_skip "$bin not built"

# Carry on after a failure so one run shows every broken case.
fails=0
fail() {
	ls_log "FAIL: $*"
	fails=$((fails + 1))
}

# expect RC CMD... : run CMD, keep stdout/stderr in $tmp/out, $tmp/err.
expect() {
	local want=$1 rc
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = "$want" ] || { fail "$* exited $rc, want $want"; cat "$tmp/out" "$tmp/err"; }
}

# Good files: exit 0 and say so on stdout.
for f in "$src/docs/lockstep.conf.example" "$data/minimal.yaml" "$data/flow.yaml"; do
	expect 0 "$bin" -c "$f" --check-config
	grep -qxF "$f: configuration OK" "$tmp/out" || fail "no OK line for $f"
	[ -s "$tmp/err" ] && fail "stderr not empty for $f"
done

# The one with every mistake: exit 1, exactly the expected messages, in order.
(cd "$data" && "$bin" --check-config -c bad-many.yaml >"$tmp/out" 2>"$tmp/err")
rc=$?
[ "$rc" = 1 ] || fail "bad-many.yaml exited $rc, want 1"
diff -u "$data/bad-many.expected" "$tmp/err" || fail "bad-many.yaml messages differ"
[ -s "$tmp/out" ] && fail "stdout not empty for a bad file"

# Each error is FILE:LINE:COLUMN: MESSAGE.
expect 1 "$bin" -c "$data/bad-syntax.yaml" --check-config
grep -q "^$data/bad-syntax.yaml:5:1: YAML: found a tab character" "$tmp/err" || fail "bad-syntax"
expect 1 "$bin" -c "$data/bad-alias.yaml" --check-config
grep -q "^$data/bad-alias.yaml:3:10: YAML aliases are not supported" "$tmp/err" || fail "bad-alias"
expect 1 "$bin" -c "$tmp/missing.yaml" --check-config
grep -q "^$tmp/missing.yaml: cannot open: No such file or directory" "$tmp/err" || fail "missing"
printf 'node: {id: x}\n' >"$tmp/ok.yaml"
expect 0 "$bin" --config="$tmp/ok.yaml" --check-config
: >"$tmp/empty.yaml"
expect 1 "$bin" -c "$tmp/empty.yaml" --check-config
grep -q "empty.yaml:1:1: missing required key 'node'" "$tmp/err" || fail "empty"

# More errors than are kept: the rest are counted.
{
	echo "node: {id: x}"
	echo "zone:"
	for i in $(seq 1 40); do echo "  - {domain: z$i., file: /z, zonemd: bad}"; done
} >"$tmp/many.yaml"
expect 1 "$bin" -c "$tmp/many.yaml" --check-config
[ "$(grep -c "many.yaml:[0-9]*:[0-9]*: " "$tmp/err")" = 32 ] || fail "not 32 errors shown"
grep -q "and 8 more errors" "$tmp/err" || fail "no count of the errors not shown"

# Usage.
expect 0 "$bin" --help
grep -q -- "--check-config" "$tmp/out" || fail "--help"
expect 0 "$bin" --version
grep -q "^lockstepd [0-9]" "$tmp/out" || fail "--version"
expect 2 "$bin" --no-such-option
expect 2 "$bin" -c
expect 2 "$bin" -c "$tmp/ok.yaml" extra

[ "$fails" = 0 ] || ls_fail "$fails failure(s)"
ls_log "ok"
