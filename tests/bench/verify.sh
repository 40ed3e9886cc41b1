#!/bin/bash
# verify.sh — lockstep's verifier beside ldns-verify-zone and kzonecheck on
# one signed, ZONEMD-carrying zone of about 1,000,000 RRs, in one run.
#
# How the zone is made: tests/integration/verify/mkzone.sh writes NAMES
# (default 205,000) owner names of A/AAAA/TXT data with delegations, glue,
# DS, empty non-terminals and a wildcard; ldns-signzone signs it with a fresh
# ECDSA P-256 KSK + ZSK (NSEC, validity from yesterday to +30 days) and adds
# ZONEMD SHA-384 (-z sha384). Then each verifier runs once on the same file,
# all checks on:
#   lockstepctl zone-check --zonemd=required --dnssec=required FILE
#   ldns-verify-zone FILE            (signatures, NSEC chain, ZONEMD)
#   kzonecheck -o example. -d on FILE (semantic + DNSSEC checks; no ZONEMD
#                                      digest check in Knot 3.2)
# lockstep is built here in Release mode in its own build directory.
# Prints a markdown table: wall and CPU seconds, peak RSS, and each tool's
# wall time divided by lockstep's.
#
# Usage: tests/bench/verify.sh [NAMES]   env: BENCH_DIR (work files, default
# a temp dir), BENCH_BUILD (default <repo>/build-bench-verify), KEEP=1 (keep
# the work files), BENCH_ZONE (verify this signed zone instead of making one)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
names=${1:-205000}
build=${BENCH_BUILD:-$src/build-bench-verify}
work=${BENCH_DIR:-$(mktemp -d /tmp/lockstep-bench-verify.XXXXXX)}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
for c in ldns-keygen ldns-signzone ldns-verify-zone kzonecheck cmake /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "needs $c" >&2; exit 77; }
done

echo "# building lockstep (Release) in $build" >&2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLOCKSTEP_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target lockstepctl >/dev/null
ctl=$build/agent/lockstepctl

echo "# generating and signing $names names in $work" >&2
now=$(date -u +%s)
inc=$(date -u -d "@$((now - 86400))" +%Y%m%d%H%M%S)
exp=$(date -u -d "@$((now + 30 * 86400))" +%Y%m%d%H%M%S)
if [ -n "${BENCH_ZONE:-}" ]; then # reuse a zone made by an earlier run (KEEP=1)
	cp "$BENCH_ZONE" "$work/signed.zone"
else
"$src/tests/integration/verify/mkzone.sh" example. "$names" >"$work/base.zone"
(cd "$work" && ldns-keygen -a ECDSAP256SHA256 -k example. >/dev/null &&
	ldns-keygen -a ECDSAP256SHA256 example. >/dev/null && k=(K*.private) &&
	ldns-signzone -z sha384 -i "$inc" -e "$exp" -o example. -f signed.zone base.zone \
		"${k[@]%.private}")
fi
zone=$work/signed.zone
rrs=$(grep -vc '^;' "$zone")
sigs=$(grep -c 'IN	RRSIG' "$zone" || true)
echo "# $rrs RRs, $sigs RRSIGs, $(du -m "$zone" | cut -f1) MB" >&2

# run NAME CMD...: one timed run; records wall, user, sys, rss and exit code
declare -A WALL USR SYS RSS RC CMD
run() {
	local name=$1
	shift
	CMD[$name]="$*"
	set +e
	/usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>&1
	RC[$name]=$?
	set -e
	read -r WALL[$name] USR[$name] SYS[$name] RSS[$name] <"$work/$name.time"
	echo "# $name: exit ${RC[$name]}, ${WALL[$name]} s" >&2
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run lockstep "$ctl" zone-check --zonemd=required --dnssec=required "$zone"
run ldns ldns-verify-zone "$zone"
run kzonecheck kzonecheck -o example. -d on "$zone"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "Zone: $rrs RRs ($names names, $sigs RRSIGs, ECDSA P-256, NSEC, ZONEMD SHA-384), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))."
echo
echo "Load average before/after: $load_before / $load_after (other work on the machine"
echo "distorts wall times; CPU seconds are the steadier comparison)."
echo
echo "| verifier | verdict | wall s | user s | sys s | peak RSS MB | wall ÷ lockstep | CPU ÷ lockstep |"
echo "|---|---|---|---|---|---|---|---|"
for n in lockstep ldns kzonecheck; do
	v=valid
	[ "${RC[$n]}" -eq 0 ] || v="invalid (exit ${RC[$n]})"
	printf '| %s | %s | %s | %s | %s | %d | %.2f | %.2f |\n' "$n" "$v" "${WALL[$n]}" \
		"${USR[$n]}" "${SYS[$n]}" $((RSS[$n] / 1024)) \
		"$(echo "${WALL[$n]} / ${WALL[lockstep]}" | bc -l)" \
		"$(echo "(${USR[$n]} + ${SYS[$n]}) / (${USR[lockstep]} + ${SYS[lockstep]})" | bc -l)"
done
echo
faster=$(echo "if (${WALL[ldns]} < ${WALL[kzonecheck]}) ${WALL[ldns]} else ${WALL[kzonecheck]}" | bc -l)
printf 'lockstep is %.2f× faster than the faster of the two.\n' "$(echo "$faster / ${WALL[lockstep]}" | bc -l)"
echo
echo "Commands:"
for n in lockstep ldns kzonecheck; do
	echo "- \`${CMD[$n]}\`"
done
echo
sed -n '/^dnssec:/p;/^zonemd:/p' "$work/lockstep.out"
