#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Intake benchmark (issue 6): time from NOTIFY to "verified and stored" for
# a zone of about 1,000,000 RRs carrying ZONEMD, lockstepd beside a Knot
# secondary (`zonemd-verify: on`) taking the same zone from the same primary
# in the same run.
#
#   tests/bench/intake.sh [BUILD_DIR] [RECORDS] [ROUNDS]
#
# BUILD_DIR defaults to build-intake in the source tree, configured here as a
# Release build (a sanitizer build would measure the sanitizers). RECORDS
# defaults to 1000000, ROUNDS to 3.
#
# The setup, in one network namespace made here (addresses on its loopback):
#   - primary: knotd on 198.51.100.10 serving "tld." (bench_zoneload gen:
#     the TLD-like zone of tests/bench/zoneload.sh) from a zone file, with
#     `zonemd-generate: zonemd-sha384` (so each version carries a fresh
#     ZONEMD, unsigned + ZONEMD) and `provide-ixfr: off` (every transfer is a
#     whole zone, in AXFR form), TSIG required;
#   - lockstepd, admin 198.51.100.2: zone tld. from the primary,
#     `zonemd: required`, `dnssec: off`, state-dir on the same file system as
#     Knot's;
#   - Knot secondary, 198.51.100.3: zone tld. from the primary,
#     `zonemd-verify: on`, `zonefile-sync: 0` (the zone file is written as
#     soon as a version is taken), `journal-content: none` (the zone file is
#     then its only store, as state-dir is lockstep's).
# Each round bumps the SOA serial in the primary's file, reloads it, waits
# until the primary serves the new serial, then sends one TSIG-signed NOTIFY
# from the primary's address to each secondary at the same instant (two kdig
# started together). Measured per secondary, from the instant before the two
# kdig start:
#   - lockstep: the log line "serial N from ... verified (..), stored" — it
#     is printed after the version was verified (structure + ZONEMD) and
#     written to state-dir (write, fsync, rename, fsync the directory);
#   - Knot: "zone file updated, serial .. -> N" — printed after the
#     transfer, the ZONEMD check (zonemd-verify refuses the version before
#     it is applied) and the zone file write;
#   plus the end of the transfer for each ("received from" / "AXFR,
#   finished") and the CPU time (user + system, /proc/PID/stat) each
#   daemon used in the round. Both daemons' stderr is stamped line by line
#   by the same clock (perl Time::HiRes), so the two are comparable.
# With SEQUENTIAL=1 in the environment, each round notifies lockstep, waits
# until it has stored the version, then notifies Knot (each timed from its
# own NOTIFY): the two do not share the primary's transfer, which shows
# what each secondary does with a transfer it has to itself.
# Prints a markdown table. Needs root (network namespace), knotd, knotc,
# kdig, perl, openssl; exits 77 when they are missing.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-intake}
RECORDS=${2:-1000000}
ROUNDS=${3:-3}

for tool in knotd knotc kdig perl openssl ip; do
	if ! command -v "$tool" >/dev/null; then
		echo "intake.sh: $tool not found" >&2
		exit 77
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "intake.sh: needs root (network namespace)" >&2
	exit 77
fi

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLOCKSTEP_TESTS=ON >/dev/null
fi
if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt" ||
	grep -q '^LOCKSTEP_SANITIZE:BOOL=ON$' "$BUILD/CMakeCache.txt"; then
	echo "intake.sh: warning: $BUILD is not a plain Release build; times are not comparable" >&2
fi
cmake --build "$BUILD" --target bench_zoneload lockstepd -j2 >/dev/null
GEN=$BUILD/tests/bench_zoneload
LOCKSTEPD=$BUILD/agent/lockstepd

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-intake.XXXXXX")
NS="lsintake$$"
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	# anything left in the namespace (all of it started here)
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip -n "$NS" link set lo up
for a in 198.51.100.10 198.51.100.2 198.51.100.3 192.0.2.2; do
	ip -n "$NS" addr add "$a/32" dev lo
done
inns() { ip netns exec "$NS" "$@"; }

# stamp LOG: a process that prefixes every line it reads with the time
stamp() {
	perl -MTime::HiRes=time -e '$| = 1; while (<STDIN>) { printf "%.6f %s", time, $_ }' >"$1"
}
now() { perl -MTime::HiRes=time -e 'printf "%.6f\n", time'; }
# cpu PID: user + system CPU seconds so far
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }

# start NAME CMD...: run CMD in the namespace, stderr+stdout stamped into
# NAME.log; sets PID (ip netns exec execs CMD, so it is CMD's PID)
start() {
	local name=$1
	shift
	mkfifo "$WORK/$name.fifo"
	stamp "$WORK/$name.log" <"$WORK/$name.fifo" &
	PIDS+=($!)
	ip netns exec "$NS" "$@" >"$WORK/$name.fifo" 2>&1 &
	PID=$!
	PIDS+=("$PID")
}

# wait_for SECONDS FILE PATTERN: wait until FILE has a line matching PATTERN
wait_for() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		grep -q -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "intake.sh: timed out waiting for '$3' in $2" >&2
	tail -5 "$2" >&2
	return 1
}
# first_stamp FILE PATTERN: the stamp of the first line matching PATTERN
first_stamp() { grep -- "$2" "$1" | head -1 | awk '{ print $1 }'; }

SECRET=$(openssl rand -base64 32)
ZONE_SRC=$WORK/tld.zone
echo "# generating a zone of $RECORDS records" >&2
"$GEN" gen "$RECORDS" "$ZONE_SRC" >/dev/null

# ---- primary ---------------------------------------------------------------------------
P=$WORK/primary
mkdir -p "$P"
cp "$ZONE_SRC" "$P/tld.zone"
cat >"$P/knot.conf" <<EOF
server:
    rundir: "$P"
    listen: 198.51.100.10@53
    background-workers: 1
    # on a loaded two-core host a secondary busy building the zone may not
    # read for longer than the 500 ms default; neither side is meant to lose
    # the transfer to that here
    tcp-io-timeout: 10000
log:
  - target: stderr
    any: info
database:
    storage: "$P"
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: xfr
    key: xfr
    action: transfer
zone:
  - domain: tld.
    storage: "$P"
    file: tld.zone
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
    zonemd-generate: zonemd-sha384
    provide-ixfr: off
    acl: xfr
EOF
start primary knotd -c "$P/knot.conf"

soa_serial() { # ADDR
	inns kdig +short +retry=0 +timeout=2 @"$1" tld. SOA 2>/dev/null |
		awk 'NF == 7 { print $3; exit }' || true
}
# wait_primary OLD: wait until the primary serves a serial other than OLD
# ("" before the first load) and set SERIAL to it. Knot adds the ZONEMD as a
# change of its own and so serves the file's serial + 1.
wait_primary() {
	local end=$((SECONDS + 600)) s
	while [ $SECONDS -lt $end ]; do
		s=$(soa_serial 198.51.100.10 || true)
		if [ -n "$s" ] && [ "$s" != "$1" ]; then
			SERIAL=$s
			return 0
		fi
		sleep 0.2
	done
	echo "intake.sh: the primary does not serve a new serial (old: $1)" >&2
	tail -5 "$WORK/primary.log" >&2
	exit 1
}
wait_primary ""
inns kdig +retry=0 +timeout=5 -y "hmac-sha256:xfr:$SECRET" @198.51.100.10 tld. ZONEMD |
	grep -q 'ZONEMD' || {
	echo "intake.sh: the primary serves no ZONEMD" >&2
	exit 1
}

# ---- Knot secondary --------------------------------------------------------------------
K=$WORK/knot
mkdir -p "$K"
cat >"$K/knot.conf" <<EOF
server:
    rundir: "$K"
    listen: 198.51.100.3@53
log:
  - target: stderr
    any: info
database:
    storage: "$K"
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: primary
    address: 198.51.100.10@53
    key: xfr
acl:
  - id: notify
    address: 198.51.100.10
    key: xfr
    action: notify
zone:
  - domain: tld.
    storage: "$K"
    file: tld.zone
    master: primary
    acl: notify
    zonemd-verify: on
    zonefile-sync: 0
    journal-content: none
EOF
start knot knotd -c "$K/knot.conf"
KNOT_PID=$PID

# ---- lockstep --------------------------------------------------------------------------
L=$WORK/lockstep
mkdir -p "$L/state"
cat >"$L/lockstep.conf" <<EOF
node:
  id: bench
  state-dir: $L/state
  control-socket: $L/control.sock
service:
  addresses: [192.0.2.2]
  xdp: off
admin:
  listen: [198.51.100.2]
  http: off
clock:
  socket-dir: $L
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: primary
    address: 198.51.100.10
    key: xfr
zone:
  - domain: tld.
    primaries: [primary]
    zonemd: required
    dnssec: off
EOF
"$LOCKSTEPD" -c "$L/lockstep.conf" --check-config >/dev/null
start lockstep "$LOCKSTEPD" -c "$L/lockstep.conf"
LS_PID=$PID

ls_done() { # SERIAL
	grep -q "serial $1 from .* verified .*, stored" "$WORK/lockstep.log" 2>/dev/null
}
knot_done() { # SERIAL
	grep -q "zone file updated, serial .*$1\$" "$WORK/knot.log" 2>/dev/null
}
echo "# first transfer of serial $SERIAL to both secondaries" >&2
wait_for 900 "$WORK/lockstep.log" "serial $SERIAL from .* verified .*, stored"
wait_for 900 "$WORK/knot.log" "zone file updated, serial .*$SERIAL\$"

# notify ADDR OUT: one signed NOTIFY from the primary's address
notify() {
	ip netns exec "$NS" kdig +retry=2 +timeout=5 -b 198.51.100.10 \
		-y "hmac-sha256:xfr:$SECRET" @"$1" tld. NOTIFY >"$2" 2>&1 || true
}

printf '| round | serial | lockstep: transfer done (s) | lockstep: verified+stored (s) | lockstep CPU (s) | Knot: transfer done (s) | Knot: verified+stored (s) | Knot CPU (s) | Knot / lockstep (time) | Knot / lockstep (CPU) |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
sum_ls=0
sum_kn=0
sum_lc=0
sum_kc=0
for round in $(seq 1 "$ROUNDS"); do
	FILE_SERIAL=$((SERIAL + 1))
	sed -i "0,/ SOA /s/\( SOA [^ ]* [^ ]* \)[0-9]*/\1$FILE_SERIAL/" "$P/tld.zone"
	inns knotc -c "$P/knot.conf" zone-reload tld. >/dev/null
	wait_primary "$SERIAL"
	sleep 1 # let the primary's loader threads settle before the clock starts
	ls_c0=$(cpu "$LS_PID")
	kn_c0=$(cpu "$KNOT_PID")
	t0=$(now)
	t0k=$t0
	if [ -n "${SEQUENTIAL:-}" ]; then
		# one secondary at a time: the transfer is not shared
		notify 198.51.100.2 "$WORK/notify-ls.$round"
		end=$((SECONDS + 900))
		while [ $SECONDS -lt $end ] && ! ls_done "$SERIAL"; do
			sleep 0.05
		done
		t0k=$(now)
		notify 198.51.100.3 "$WORK/notify-knot.$round"
	else
		notify 198.51.100.2 "$WORK/notify-ls.$round" &
		n1=$!
		notify 198.51.100.3 "$WORK/notify-knot.$round" &
		n2=$!
		wait "$n1" "$n2" || true
	fi
	end=$((SECONDS + 900))
	while [ $SECONDS -lt $end ] && ! { ls_done "$SERIAL" && knot_done "$SERIAL"; }; do
		sleep 0.05
	done
	ls_done "$SERIAL" || {
		echo "intake.sh: lockstep did not store serial $SERIAL" >&2
		tail -5 "$WORK/lockstep.log" >&2
		exit 1
	}
	knot_done "$SERIAL" || {
		echo "intake.sh: Knot did not store serial $SERIAL" >&2
		tail -5 "$WORK/knot.log" >&2
		exit 1
	}
	ls_c1=$(cpu "$LS_PID")
	kn_c1=$(cpu "$KNOT_PID")
	ls_x=$(first_stamp "$WORK/lockstep.log" "serial $SERIAL received from")
	ls_s=$(first_stamp "$WORK/lockstep.log" "serial $SERIAL from .* verified .*, stored")
	kn_x=$(grep "XFR, incoming.*finished" "$WORK/knot.log" | tail -1 | awk '{ print $1 }')
	kn_s=$(first_stamp "$WORK/knot.log" "zone file updated, serial .*$SERIAL\$")
	read -r lx ls lc kx ks kc rt rc < <(awk -v t0="$t0" -v lx="$ls_x" -v ls="$ls_s" \
		-v t0k="$t0k" -v kx="$kn_x" -v ks="$kn_s" -v lc0="$ls_c0" -v lc1="$ls_c1" -v kc0="$kn_c0" \
		-v kc1="$kn_c1" 'BEGIN {
			lc = lc1 - lc0; kc = kc1 - kc0
			printf "%.3f %.3f %.2f %.3f %.3f %.2f %.2f %.2f\n", lx - t0, ls - t0, lc,
				kx - t0k, ks - t0k, kc, (ks - t0k) / (ls - t0), (lc > 0 ? kc / lc : 0)
		}')
	printf '| %d | %d | %s | **%s** | %s | %s | **%s** | %s | %s× | %s× |\n' "$round" "$SERIAL" \
		"$lx" "$ls" "$lc" "$kx" "$ks" "$kc" "$rt" "$rc"
	sum_ls=$(awk -v a="$sum_ls" -v b="$ls" 'BEGIN { print a + b }')
	sum_kn=$(awk -v a="$sum_kn" -v b="$ks" 'BEGIN { print a + b }')
	sum_lc=$(awk -v a="$sum_lc" -v b="$lc" 'BEGIN { print a + b }')
	sum_kc=$(awk -v a="$sum_kc" -v b="$kc" 'BEGIN { print a + b }')
done
awk -v n="$ROUNDS" -v ls="$sum_ls" -v kn="$sum_kn" -v lc="$sum_lc" -v kc="$sum_kc" 'BEGIN {
	printf "| mean | | | **%.3f** | %.2f | | **%.3f** | %.2f | %.2f× | %.2f× |\n",
		ls / n, lc / n, kn / n, kc / n, kn / ls, (lc > 0 ? kc / lc : 0)
}'
echo
echo "Records: $(grep -o 'received from .*(\([0-9]*\) records)' "$WORK/lockstep.log" | tail -1 | grep -o '[0-9]* records')"
grep -h "verified (" "$WORK/lockstep.log" | tail -1 | sed 's/^[0-9.]* /lockstep: /'
grep -h "XFR, incoming.*finished" "$WORK/knot.log" | tail -1 | sed 's/^[0-9.]* /Knot: /'
