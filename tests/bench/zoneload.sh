#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Zone load benchmark: lockstep against Knot DNS on the same TLD-like zone,
# side by side in one run.
#
#   tests/bench/zoneload.sh [BUILD_DIR] [RECORDS]
#
# BUILD_DIR defaults to build-zoneload in the source tree, configured here as
# a Release build (a sanitizer build would measure the sanitizers). RECORDS
# defaults to 1000000.
#
# Measures, on one generated zone (bench_zoneload gen: delegations with two
# NS each, in-bailiwick A/AAAA glue for 10 %, DS for 20 %):
#   - wall time, CPU time and peak RSS of `lockstepctl zone-check` and of
#     `kzonecheck` (best of 3 runs each, page cache warm);
#   - bytes held per record: ls_zone_memory() (exact), and the RSS a process
#     grows by holding the zone (bench_zoneload load);
#   - knotd's resident memory serving the zone as a primary on 127.0.0.1,
#     minus an empty knotd's, per record;
#   - per-lookup costs of the zone index.
# Prints a markdown table. Needs knotd, knotc, kzonecheck (knot,
# knot-dnssecutils) and /usr/bin/time; exits 77 when they are missing.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-zoneload}
RECORDS=${2:-1000000}

for tool in knotd knotc kzonecheck /usr/bin/time; do
	if ! command -v "$tool" >/dev/null; then
		echo "zoneload.sh: $tool not found" >&2
		exit 77
	fi
done

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLOCKSTEP_TESTS=ON >/dev/null
fi
if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt" ||
	grep -q '^LOCKSTEP_SANITIZE:BOOL=ON$' "$BUILD/CMakeCache.txt"; then
	echo "zoneload.sh: warning: $BUILD is not a plain Release build; times are not comparable" >&2
fi
cmake --build "$BUILD" --target bench_zoneload -j"$(nproc)" >/dev/null
cmake --build "$BUILD" --target lockstepctl -j"$(nproc)" >/dev/null
BENCH=$BUILD/tests/bench_zoneload
CTL=$BUILD/agent/lockstepctl

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-zoneload.XXXXXX")
KNOTD_PID=
cleanup() {
	if [ -n "$KNOTD_PID" ]; then
		kill "$KNOTD_PID" 2>/dev/null || true
		wait "$KNOTD_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

ZONE=$WORK/tld.zone
"$BENCH" gen "$RECORDS" "$ZONE" >"$WORK/gen.txt"
cat "$ZONE" >/dev/null # warm the page cache for every contender alike

# best of 3: "wall user sys maxrss_kib" of the run with the least wall time
best_of_3() {
	local out=$1
	shift
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %U %S %M" -o "$WORK/time.1" "$@" >"$WORK/stdout.1" 2>&1 || {
			echo "zoneload.sh: failed: $*" >&2
			tail -5 "$WORK/stdout.1" >&2
			exit 1
		}
		cat "$WORK/time.1" >>"$WORK/$out.runs"
	done
	sort -n "$WORK/$out.runs" | head -1 >"$WORK/$out"
}

best_of_3 ls.time "$CTL" zone-check --origin tld. "$ZONE"
best_of_3 kzc.time kzonecheck -o tld. "$ZONE"
"$BENCH" load "$ZONE" tld. >"$WORK/load.txt"

# knotd: resident memory with the zone, and without any zone
rss_of_knotd() { # $1: config, $2: zone name or "" ; prints VmRSS in KiB
	local conf=$1 zone=$2 i
	knotd -c "$conf" >"$WORK/knotd.log" 2>&1 &
	KNOTD_PID=$!
	for i in $(seq 1 600); do
		if [ -z "$zone" ]; then
			knotc -c "$conf" status >/dev/null 2>&1 && break
		elif knotc -c "$conf" zone-status "$zone" 2>/dev/null | grep -q 'serial: [0-9]'; then
			break
		fi
		if ! kill -0 "$KNOTD_PID" 2>/dev/null; then
			echo "zoneload.sh: knotd died:" >&2
			tail -5 "$WORK/knotd.log" >&2
			exit 1
		fi
		sleep 0.5
	done
	sleep 2 # let the loader threads finish and free their scratch
	awk '/^VmRSS:/ { print $2 }' "/proc/$KNOTD_PID/status"
	knotc -c "$conf" stop >/dev/null 2>&1 || kill "$KNOTD_PID"
	wait "$KNOTD_PID" 2>/dev/null || true
	KNOTD_PID=
}

PORT=$((20000 + RANDOM % 20000))
knot_conf() { # $1: file, $2: "zone" to serve the zone
	mkdir -p "$WORK/knot-run" "$WORK/knot-db"
	cat >"$1" <<EOF
server:
    rundir: "$WORK/knot-run"
    listen: 127.0.0.1@$PORT
log:
  - target: stderr
    any: notice
database:
    storage: "$WORK/knot-db"
template:
  - id: default
    storage: "$WORK"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
EOF
	if [ "$2" = zone ]; then
		printf 'zone:\n  - domain: tld.\n    file: "%s"\n' "$ZONE" >>"$1"
	fi
}
knot_conf "$WORK/empty.conf" none
knot_conf "$WORK/zone.conf" zone
KNOT_EMPTY=$(rss_of_knotd "$WORK/empty.conf" "")
KNOT_ZONE=$(rss_of_knotd "$WORK/zone.conf" tld.)

# ---- report ----
get() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
read -r LS_WALL LS_USER LS_SYS LS_RSS <"$WORK/ls.time"
read -r KZ_WALL KZ_USER KZ_SYS KZ_RSS <"$WORK/kzc.time"
RECS=$(get records "$WORK/load.txt")
HELD=$(get bytes_held "$WORK/load.txt")
LS_BPR=$(get bytes_per_record "$WORK/load.txt")
LS_RSS_BPR=$(get rss_bytes_per_record "$WORK/load.txt")
KNOT_BPR=$(awk -v z="$KNOT_ZONE" -v e="$KNOT_EMPTY" -v r="$RECS" 'BEGIN { printf "%.1f", (z - e) * 1024 / r }')
KNOT_ALL_BPR=$(awk -v z="$KNOT_ZONE" -v r="$RECS" 'BEGIN { printf "%.1f", z * 1024 / r }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
cpu() { awk -v u="$1" -v s="$2" 'BEGIN { printf "%.2f", u + s }'; }
LS_CPU=$(cpu "$LS_USER" "$LS_SYS")
KZ_CPU=$(cpu "$KZ_USER" "$KZ_SYS")

echo
echo "Zone: $RECS records, $(get delegations "$WORK/gen.txt") delegations ($(du -m "$ZONE" | cut -f1) MB of text), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| measure | lockstep | Knot DNS $(knotd --version | awk '{ print $NF }') | lockstep / Knot |"
echo "|---|---|---|---|"
echo "| load + check, wall (\`lockstepctl zone-check\` vs \`kzonecheck\`, best of 3) | $LS_WALL s | $KZ_WALL s | $(ratio "$LS_WALL" "$KZ_WALL") |"
echo "| load + check, CPU user+sys | $LS_CPU s | $KZ_CPU s | $(ratio "$LS_CPU" "$KZ_CPU") |"
echo "| peak RSS while checking | $((LS_RSS / 1024)) MiB | $((KZ_RSS / 1024)) MiB | $(ratio "$LS_RSS" "$KZ_RSS") |"
echo "| bytes per record held (lockstep: \`ls_zone_memory\`; knotd: VmRSS with zone − empty knotd) | $LS_BPR | $KNOT_BPR | $(ratio "$LS_BPR" "$KNOT_BPR") |"
echo "| resident bytes per record, process growth (lockstep: RSS delta in \`bench_zoneload load\`; knotd as above) | $LS_RSS_BPR | $KNOT_BPR | $(ratio "$LS_RSS_BPR" "$KNOT_BPR") |"
echo
echo "knotd VmRSS: empty $((KNOT_EMPTY / 1024)) MiB, with the zone $((KNOT_ZONE / 1024)) MiB ($KNOT_ALL_BPR bytes/record without subtracting). lockstep holds $HELD bytes."
echo "lockstep in-process load: $(get load_seconds "$WORK/load.txt") s; exact lookup $(get find_ns "$WORK/load.txt") ns, closest encloser $(get closest_encloser_ns "$WORK/load.txt") ns, binary search over the canonical array (the alternative to the hash index) $(get binary_search_ns "$WORK/load.txt") ns per query."
echo
echo "Command: tests/bench/zoneload.sh $* (build: $BUILD)"
