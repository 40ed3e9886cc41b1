# shellcheck shell=bash
# lib.sh — shared helpers for tests/integration/test_*.sh.
#
# Source it first thing:   . "$(dirname "$0")/lib.sh" "$@"
# $1 is the build directory (CTest passes it). Every namespace, veth, process
# and temporary directory made through these helpers is removed on exit,
# whether the test passes, fails or is interrupted. Addresses come only from
# the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) and
# exist only inside namespaces made here.
#
# Exit codes: 0 pass, 1 fail, 77 skip (the machine lacks what the test needs).

set -uo pipefail

LS_BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
LS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LS_TAG="ls$$" # unique per run: namespace and interface prefix
LS_TMP=$(mktemp -d "/tmp/lockstep-it.XXXXXX")
# What to undo is kept in files, not shell arrays, so helpers called in a
# subshell (ns=$(ls_netns a)) still register what they make.
LS_REG="$LS_TMP/.cleanup"
mkdir -p "$LS_REG"
: >"$LS_REG/netns" >"$LS_REG/pids" >"$LS_REG/links"

ls_log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }

ls_skip() {
	ls_log "SKIP: $*"
	exit 77
}

ls_fail() {
	ls_log "FAIL: $*"
	exit 1
}

ls_cleanup() {
	local rc=$?
	local pid ns link
	local -a pids links netns
	mapfile -t pids <"$LS_REG/pids"
	mapfile -t links <"$LS_REG/links"
	mapfile -t netns <"$LS_REG/netns"
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${pids[@]}"; do
		# bounded wait, then force
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for link in "${links[@]}"; do
		ip link del "$link" 2>/dev/null
	done
	for ns in "${netns[@]}"; do
		# processes started in the namespace by anything else
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -z "${LS_KEEP_TMP:-}" ]; then
		# show the logs of a failed run before they go
		find "$LS_TMP" -name '*.log' -size -200k -print0 2>/dev/null |
			while IFS= read -r -d '' f; do
				echo "---- $f (last 40 lines)" >&2
				tail -n 40 "$f" >&2
			done
	fi
	[ -z "${LS_KEEP_TMP:-}" ] && rm -rf "$LS_TMP"
	exit $rc
}
trap ls_cleanup EXIT
trap 'exit 130' INT TERM

ls_require_root() {
	[ "$(id -u)" -eq 0 ] || ls_skip "needs root (network namespaces)"
	ip netns add "${LS_TAG}probe" 2>/dev/null || ls_skip "cannot create network namespaces"
	ip netns del "${LS_TAG}probe"
}

ls_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || ls_skip "needs $c"
	done
}

# ls_netns NAME -> creates namespace "$LS_TAG-NAME" with lo up; prints its
# name (safe in a command substitution: cleanup is registered in a file)
ls_netns() {
	local ns="${LS_TAG}-$1"
	ip netns add "$ns" || ls_fail "ip netns add $ns"
	echo "$ns" >>"$LS_REG/netns"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# ls_veth NS_A IF_A NS_B IF_B: a veth pair between two namespaces
ls_veth() {
	local nsa=$1 ifa=$2 nsb=$3 ifb=$4
	ip link add "$ifa" netns "$nsa" type veth peer name "$ifb" netns "$nsb" ||
		ls_fail "veth $ifa/$ifb"
	ip -n "$nsa" link set "$ifa" up
	ip -n "$nsb" link set "$ifb" up
}

# ls_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: ls_veth between the two
# namespaces, then ls_addr on each end (ADDR as ADDR/PLEN)
ls_link() {
	ls_veth "$1" "$2" "$4" "$5"
	ls_addr "$1" "$2" "$3"
	ls_addr "$4" "$5" "$6"
}

# ls_addr NS IF ADDR/PLEN (IPv6 addresses without DAD so they work at once)
ls_addr() {
	case "$3" in
	*:*) ip -n "$1" -6 addr add "$3" dev "$2" nodad ;;
	*) ip -n "$1" addr add "$3" dev "$2" ;;
	esac
}

# ls_bg NS LOGFILE CMD... : run CMD in namespace NS in the background,
# recorded for cleanup; sets LS_LAST_PID
ls_bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	LS_LAST_PID=$!
	echo "$LS_LAST_PID" >>"$LS_REG/pids"
}

# ls_wait TIMEOUT_S CMD...: retry CMD every 0.1 s until it succeeds or the
# time runs out (a bound, not an assertion on speed)
ls_wait() {
	local limit=$1
	shift
	local end=$((SECONDS + limit))
	while [ $SECONDS -lt $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ls_knotd NS DIR: start knotd with DIR/knot.conf inside NS; waits until knotc
# answers. Uses DIR for its rundir, storage and logs.
ls_knotd() {
	local ns=$1 dir=$2
	ls_require_cmd knotd knotc
	ls_bg "$ns" "$dir/knotd.log" knotd -c "$dir/knot.conf"
	if ! ls_wait 20 ip netns exec "$ns" knotc -c "$dir/knot.conf" status; then
		ls_fail "knotd did not start (see $dir/knotd.log)"
	fi
}

# ls_knot_conf DIR LISTEN [SECRET]: print the head of a knot.conf for a
# primary on LISTEN@53 that keeps its rundir and storage in DIR and logs to
# stderr. With SECRET, also TSIG key "xfr" (hmac-sha256, SECRET) and acl
# "xfr" allowing transfers signed with it. The caller appends the rest
# (more acl entries, remote, template, zone).
ls_knot_conf() {
	local dir=$1 listen=$2 secret=${3:-}
	cat <<EOC
server:
    rundir: $dir
    listen: $listen@53
database:
    storage: $dir
log:
  - target: stderr
    any: info
EOC
	[ -n "$secret" ] || return 0
	cat <<EOC
key:
  - id: xfr
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: xfr
    key: xfr
    action: transfer
EOC
}

# ls_kill_restart_stream CLI_NS QFILE DNSPERF_OPTS SRV_NS IF PID NEWLOG LABEL
#   RESTART...: under a dnsperf stream from CLI_NS over QFILE (DNSPERF_OPTS
# is one string, e.g. "-s 192.0.2.53 -l 5 -Q 2000 -c 4 -t 1"), SIGKILL the
# agent PID; its XDP program must stay on IF in SRV_NS. Then run RESTART...
# in this shell (it may set variables), require NEWLOG to say the pinned
# maps were re-adopted and the stream to have lost no query. dnsperf's
# output is kept in $LS_TMP/perf-restart.txt.
ls_kill_restart_stream() {
	local cli=$1 qfile=$2 srv=$4 ifname=$5 pid=$6 newlog=$7 label=$8 perf
	local -a opts
	read -ra opts <<<"$3"
	shift 8
	ip netns exec "$cli" dnsperf -d "$qfile" "${opts[@]}" \
		>"$LS_TMP/perf-restart.txt" 2>&1 &
	perf=$!
	sleep 1
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	ip -n "$srv" link show "$ifname" | grep -q "prog/xdp" || ls_fail "SIGKILL detached the program"
	"$@"
	grep -q "re-adopted the pinned maps" "$newlog" ||
		ls_fail "the restarted lockstepd did not re-adopt the pinned maps"
	wait "$perf"
	grep -q "Queries lost: *0 " "$LS_TMP/perf-restart.txt" ||
		{ cat "$LS_TMP/perf-restart.txt"; ls_fail "queries lost across SIGKILL + restart"; }
	ls_log "$label: $(grep 'Queries completed' "$LS_TMP/perf-restart.txt" | xargs), none lost"
}
