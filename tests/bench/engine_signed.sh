#!/bin/bash
# engine_signed.sh — the answer engine's denial proofs in a delegation-heavy
# signed zone, this tree against an older one, side by side in one run.
#
#   tests/bench/engine_signed.sh [DELEGATIONS]      (default 100000)
#
# The zone: DELEGATIONS unsigned delegations named like a TLD's (a random
# word and a unique suffix), each with two in-bailiwick name servers and
# their A glue, plus DELEGATIONS/100 hosts "hI" with an A record. dnssec-signzone signs it three ways with a fresh ECDSA P-256
# KSK + ZSK: NSEC; NSEC3 (no salt, no extra iterations); NSEC3 with opt-out
# (-A: the insecure delegations get no NSEC3 at all, so the chain is the
# hosts and the apex only). The query list, all with DO: NXDOMAIN names,
# NODATA at the hosts (TXT) and referrals below the delegations, 1/3 each,
# in a fixed pseudo-random order.
#
# Each tree's tests/bench/bench_engine (built in Release) loads each zone
# and answers the list ROUNDS times in process; it prints the CPU time per
# query (CLOCK_PROCESS_CPUTIME_ID) and a digest of every response octet, so
# the table shows both the speed and that both trees answered
# byte-identically. The two builds take turns per zone, REPEAT times, and
# the table gives each run's figures and the ratio old/new per turn.
#
# Env: HOSTS_EVERY (one host "hI" per this many delegations, 100; with
# opt-out the hosts are the NSEC3 chain, so a large value makes the stretches
# without an NSEC3 long), ZONES (which signed forms, "nsec nsec3 optout"),
# OLD_SRC (the tree to compare against; default: `git archive $BASE`
# of this repository into the work dir, BASE defaulting to HEAD — pass the
# commit before the chains when HEAD already has them), BUILD (default
# <repo>/build-bench-engine), ROUNDS (passes over the list per run, 20),
# QUERIES (list length, 30000), REPEAT (turns, 3), BENCH_DIR (work files,
# default a temp dir; zones already there from an earlier KEEP=1 run with the
# same settings are reused), KEEP=1 (keep them).
# Exit: 0, 1 on failure, 77 when dnssec-keygen/dnssec-signzone or cmake is
# missing.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-100000}
build=${BUILD:-$src/build-bench-engine}
rounds=${ROUNDS:-20}
nq=${QUERIES:-30000}
repeat=${REPEAT:-3}
every=${HOSTS_EVERY:-100}
zones=${ZONES:-nsec nsec3 optout}
work=${BENCH_DIR:-$(mktemp -d /tmp/lockstep-bench-engine.XXXXXX)}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
for c in dnssec-keygen dnssec-signzone cmake; do
	command -v "$c" >/dev/null || {
		echo "SKIP: needs $c" >&2
		exit 77
	}
done

# build DIR SRCDIR: bench_engine in Release from SRCDIR (the file itself is
# copied in, so an older tree without it gets the same program)
build() {
	local dir=$1 tree=$2
	if [ "$tree/tests/bench/bench_engine.c" != "$src/tests/bench/bench_engine.c" ]; then
		cp "$src/tests/bench/bench_engine.c" "$tree/tests/bench/bench_engine.c"
	fi
	cmake -S "$tree" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang \
		-DLOCKSTEP_TESTS=ON -DLOCKSTEP_SANITIZE=OFF -DLOCKSTEP_FUZZ=OFF \
		-DLOCKSTEP_BPF=OFF >/dev/null
	cmake --build "$dir" --target bench_engine -j2 >/dev/null
}

old=${OLD_SRC:-}
if [ -z "$old" ]; then
	old=$work/old-src
	mkdir -p "$old"
	git -C "$src" archive "${BASE:-HEAD}" | tar -x -C "$old"
fi
echo "# building: new from $src, old from $old" >&2
build "$build" "$src"
build "$work/old-build" "$old"
new_bin=$build/tests/bench_engine
old_bin=$work/old-build/tests/bench_engine

# gen_zones: the unsigned zone, the query list, keys and the signed forms
gen_zones() {
echo "# generating $n delegations with glue and signing ($zones) in $work" >&2
# Delegation names as in a TLD: a random word and a unique suffix, spread
# over the whole name space; the same names go into the referral queries.
awk -v n="$n" -v q="$nq" -v e="$every" -v zf="$work/base.zone" -v qf="$work/queries.txt" '
function word(   len, w, k) {
	len = 3 + int(rand() * 10)
	w = ""
	for (k = 0; k < len; k++)
		w = w substr("abcdefghijklmnopqrstuvwxyz", 1 + int(rand() * 26), 1)
	return w
}
BEGIN {
	srand(1)
	printf "$ORIGIN example.\n$TTL 3600\n" >zf
	printf "@ SOA ns1 hostmaster 2026010101 7200 3600 1209600 300\n" >zf
	printf "@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n" >zf
	for (i = 1; i <= n; i++) {
		d[i] = word() "-" i
		printf "%s NS ns1.%s\n%s NS ns2.%s\n", d[i], d[i], d[i], d[i] >zf
		printf "ns1.%s A 198.51.%d.%d\nns2.%s A 198.51.%d.%d\n", d[i],
			int(i / 250) % 250, i % 250 + 1, d[i], int(i / 250) % 250, i % 250 + 2 >zf
		if (i % e == 0)
			printf "h%d A 192.0.2.%d\n", i, i / e % 250 + 1 >zf
	}
	for (k = 0; k < q; k++) {
		i = 1 + int(rand() * n)
		if (k % 3 == 0)
			printf "%s-nx.example. A 1\n", word() >qf
		else if (k % 3 == 1)
			printf "h%d.example. TXT 1\n", e * (1 + int(rand() * int(n / e))) >qf
		else
			printf "www.%s.example. A 1\n", d[i] >qf
	}
}'
(cd "$work" &&
	dnssec-keygen -q -a ECDSAP256SHA256 -f KSK example. >/dev/null &&
	dnssec-keygen -q -a ECDSAP256SHA256 example. >/dev/null)
for zone in $zones; do
	case $zone in
	nsec) opts="" ;;
	nsec3) opts="-3 - -H 0" ;;
	optout) opts="-3 - -H 0 -A" ;;
	*) echo "unknown zone form $zone" >&2; exit 1 ;;
	esac
	# shellcheck disable=SC2086 # opts are words
	(cd "$work" && dnssec-signzone -q -S $opts -o example. -f "$zone.zone" base.zone >/dev/null)
done
}
if [ -f "$work/queries.txt" ]; then
	echo "# reusing the zones and queries in $work" >&2
else
	gen_zones
fi

# run BIN ZONE OUT: one run's "key value" lines into OUT
run() {
	"$1" "$2" example. "$work/queries.txt" "$rounds" >"$3"
}
val() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

echo
echo "Zone: $n unsigned delegations with 2 glue hosts each, $((n / every)) hosts; $nq queries"
echo "(1/3 NXDOMAIN, 1/3 NODATA, 1/3 referral, all DO) x $rounds rounds per run."
echo
echo "| zone | nodes | turn | old ns/query | new ns/query | old/new | old zone bytes | new zone bytes | same responses |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for zone in $zones; do
	for t in $(seq 1 "$repeat"); do
		run "$old_bin" "$work/$zone.zone" "$work/old.out"
		run "$new_bin" "$work/$zone.zone" "$work/new.out"
		o=$(val "$work/old.out" ns_per_query)
		w=$(val "$work/new.out" ns_per_query)
		same=no
		[ "$(val "$work/old.out" digest)" = "$(val "$work/new.out" digest)" ] && same=yes
		echo "| $zone | $(val "$work/new.out" nodes) | $t | $o | $w |" \
			"$(awk -v a="$o" -v b="$w" 'BEGIN { printf "%.1f", a / b }') |" \
			"$(val "$work/old.out" zone_bytes) | $(val "$work/new.out" zone_bytes) | $same |"
		[ "$same" = yes ] || {
			echo "responses differ between the trees on $zone" >&2
			exit 1
		}
	done
done
