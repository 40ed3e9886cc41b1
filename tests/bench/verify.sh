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
# Prints a markdown table: wall and CPU seconds, peak RSS, each tool's wall
# and CPU time divided by lockstep's, the load average around each run, and
# per round the faster tool's wall and CPU time over lockstep's.
#
# Usage: tests/bench/verify.sh [NAMES]   env: BENCH_DIR (work files, default
# a temp dir), BENCH_BUILD (default <repo>/build-bench-verify), KEEP=1 (keep
# the work files), BENCH_ZONE (verify this signed zone instead of making one),
# REPEAT=N (run the three verifiers N times in turn, default 1)
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

# The 1-minute load average, sampled every 2 s while the verifiers run: the
# other work on the machine is what makes wall times move between runs.
sampler() {
	while :; do
		cut -d' ' -f1 /proc/loadavg >>"$work/load.samples"
		sleep 2
	done
}
: >"$work/load.samples"
sampler &
sampler_pid=$!
trap 'kill "$sampler_pid" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

repeat=${REPEAT:-1}
echo
echo "Zone: $rrs RRs ($names names, $sigs RRSIGs, ECDSA P-256, NSEC, ZONEMD SHA-384), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))."
echo
echo "| round | verifier | verdict | wall s | user s | sys s | peak RSS MB | wall ÷ lockstep | CPU ÷ lockstep | load (1 min) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
summary=()
for ((round = 1; round <= repeat; round++)); do
	declare -A LOAD
	for n in lockstep ldns kzonecheck; do
		l0=$(cut -d' ' -f1 /proc/loadavg)
		case $n in
		lockstep) run lockstep "$ctl" zone-check --zonemd=required --dnssec=required "$zone" ;;
		ldns) run ldns ldns-verify-zone "$zone" ;;
		kzonecheck) run kzonecheck kzonecheck -o example. -d on "$zone" ;;
		esac
		LOAD[$n]="$l0→$(cut -d' ' -f1 /proc/loadavg)"
	done
	for n in lockstep ldns kzonecheck; do
		v=valid
		[ "${RC[$n]}" -eq 0 ] || v="invalid (exit ${RC[$n]})"
		printf '| %d | %s | %s | %s | %s | %s | %d | %.2f | %.2f | %s |\n' "$round" "$n" "$v" \
			"${WALL[$n]}" "${USR[$n]}" "${SYS[$n]}" $((RSS[$n] / 1024)) \
			"$(echo "${WALL[$n]} / ${WALL[lockstep]}" | bc -l)" \
			"$(echo "(${USR[$n]} + ${SYS[$n]}) / (${USR[lockstep]} + ${SYS[lockstep]})" | bc -l)" \
			"${LOAD[$n]}"
	done
	faster=$(echo "if (${WALL[ldns]} < ${WALL[kzonecheck]}) ${WALL[ldns]} else ${WALL[kzonecheck]}" | bc -l)
	fcpu=$(echo "a = ${USR[ldns]} + ${SYS[ldns]}; b = ${USR[kzonecheck]} + ${SYS[kzonecheck]}; if (a < b) a else b" | bc -l)
	summary+=("$(printf 'round %d: wall %.2f×, CPU %.2f× (the faster tool ÷ lockstep); lockstep used %.2f CPUs' \
		"$round" "$(echo "$faster / ${WALL[lockstep]}" | bc -l)" \
		"$(echo "$fcpu / (${USR[lockstep]} + ${SYS[lockstep]})" | bc -l)" \
		"$(echo "(${USR[lockstep]} + ${SYS[lockstep]}) / ${WALL[lockstep]}" | bc -l)")")
done
kill "$sampler_pid" 2>/dev/null || true
echo
printf '%s\n' "${summary[@]}"
echo
awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
	END { if (NR) printf "Load average (1 min) during the runs: min %.2f, mean %.2f, max %.2f (%d samples)\n", lo, s / NR, hi, NR }' \
	"$work/load.samples"
echo
echo "Commands:"
for n in lockstep ldns kzonecheck; do
	echo "- \`${CMD[$n]}\`"
done
echo
sed -n '/^dnssec:/p;/^zonemd:/p' "$work/lockstep.out"
