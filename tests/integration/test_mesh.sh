#!/usr/bin/env bash
# test_mesh.sh — coordinated switchover across a three-node mesh (issue 7).
#
# The mesh of tests/integration/mesh.sh: knotd primaries serving the member
# zone and the catalog zone this script writes (so it carries the switch
# plans), three lockstep nodes each with its own chronyd (local reference
# clock) and XDP on its service veth, one client reaching the shared address
# 192.0.2.53 of each node over that node's own link. A prober in the client
# sends SOA queries over every link, one outstanding per node, and records
# each query's send and receive time (CLOCK_REALTIME: the same clock as the
# nodes', all namespaces share the host's). Every case asserts what the
# client saw, query by query (probe.py check): the sequence of answers
# (serials, "-" for silence) and the time rule at each edge — an old answer
# only to a query sent before T, a new answer (or silence) only coming back
# after T.
#
#   1. plan S at T: every node answers S from T, none answers the old serial
#      after T; per node offsets of the first S answer from T are printed
#   2. node 2's copy of S is tampered (ZONEMD mismatch): node 2 is silent
#      for the zone from T, nodes 1 and 3 serve S; a good copy then brings
#      node 2 back with S
#   3. node 3's chronyd is not synchronised: node 3 is silent from
#      T - skew-budget; the others switch at T; trusted again, node 3
#      serves only S
#   4. lockstepd on node 1 killed with SIGKILL before T: its data plane
#      still switches at T; restarted after T, the agent re-adopts it and
#      the node keeps answering S, query by query
#   5. a plan whose T has passed: the zone falls silent, S is served once
#      delivered and verified
#   6. S arrives late on node 2: silent from T, then S once verified
#
# Case 1 reports the offsets twice: from the client's time stamps (the
# switch bracketed between the last old answer's send time and the first
# new answer's receive time), and from each node's own record of its first
# answer from S (/status zone.switch: the XDP program's per-CPU
# bpf_ktime_get_tai_ns() of its first LS_CTL_NEXT decision, and the slow
# path's batch time), with the path that gave it; every node must have one,
# at or after T.
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/mesh.sh"

mesh_require
mesh_start
BUDGET_NS=$((500 * 1000000)) # MESH_BUDGET
[ "$MESH_BUDGET" = 500ms ] || ls_fail "BUDGET_NS does not match MESH_BUDGET"
S_NS=1000000000

# at LEAD_MS: a switch time LEAD_MS from now
at() { echo $(($(mesh_now_ns) + $1 * 1000000)); }

# plan S T: publish the plan; every node must have accepted it
plan() {
	mesh_publish_plan "$1" "$2"
	mesh_wait_all 15 zone.plan.serial "$1" || ls_fail "plan $1 not accepted by every node"
}

# staged T NODES...: wait until S is staged on NODES; T must still be ahead
staged() {
	local t=$1 n
	shift
	for n in "$@"; do
		ls_wait 20 mesh_status_has "$n" zone.state staged || ls_fail "node$n: S not staged"
	done
	[ "$(mesh_now_ns)" -lt $((t - S_NS)) ] || ls_fail "staged less than 1 s before T; T too close"
}

# probe_bg OUT FROM TO: the prober in the background (PROBE is its PID)
probe_bg() {
	mesh_probe "$@" &
	PROBE=$!
}

check() { # OUT NODE REGEX EDGES...
	mesh_check "$@" || FAILED="$FAILED node$2@$(basename "$1")"
}
# switch_table T NODES...: where each node's switch happened, from its own
# time stamps (data plane per CPU, slow path per batch; /status zone.switch):
# a table of the first answer from S, in µs after T, and which path gave it.
# Asserts that every node recorded one and that it is at or after T (the
# time rule allows nothing else) — a correctness check, not a timing one:
# no bound on how late.
us_after() { # NS T: NS - T in µs, "-" for "-" (the difference in integers: awk's doubles are too coarse for ns since 1970)
	[ "$1" = - ] && echo - || awk -v d="$(($1 - $2))" 'BEGIN { printf "%+.1f", d / 1e3 }'
}
switch_table() {
	local t=$1 n at off path x s
	shift
	echo "| node | first S answer − T (µs) | path | XDP first (µs) | slow path first (µs) |"
	echo "|---|---:|---|---:|---:|"
	for n in "$@"; do
		read -r at off path x s <<<"$(mesh_switch "$n")"
		SW_FIRST[$n]="$at $x $s"
		echo "| node$n | $(us_after "$off" 0) | $path | $(us_after "$x" "$at") | $(us_after "$s" "$at") |"
		# the node's T is the plan's, on its CLOCK_TAI: T plus whole seconds of TAI offset
		if [ "$at" = - ] || [ $(((at - t) % S_NS)) -ne 0 ] || [ $((at - t)) -lt 0 ] ||
			[ $((at - t)) -gt $((100 * S_NS)) ]; then
			FAILED="$FAILED node$n:switch-T($at)"
		elif [ "$off" = - ]; then
			FAILED="$FAILED node$n:no-first-answer-recorded"
		elif [ "$off" -lt 0 ] || { [ "$x" != - ] && [ "$x" -lt "$at" ]; } ||
			{ [ "$s" != - ] && [ "$s" -lt "$at" ]; }; then
			FAILED="$FAILED node$n:S-answered-before-T"
		fi
	done
}

FAILED=""
done_case() {
	[ -z "$FAILED" ] || ls_fail "case $1:$FAILED"
	ls_log "ok: case $1"
}

# ---- 1. plan S at T: all switch together ---------------------------------------
ls_log "case 1: plan serial 2 at T, all nodes switch"
mesh_zone 2 "$LS_TMP/zone.2"
T=$(at 10000) # 10 s: planning, delivery and staging must fit before T - 1 s on a loaded machine
plan 2 "$T"
mesh_deliver "$LS_TMP/zone.2"
staged "$T" 1 2 3
mesh_probe "$LS_TMP/p1" $((T - S_NS)) $((T + S_NS))
for n in 1 2 3; do check "$LS_TMP/p1" $n '1+2+' "1:2:$T"; done
python3 "$MESH_PROBE" report "$LS_TMP/p1" "$T" 1 2 1 2 3 | tee "$LS_TMP/case1.md" >&2
declare -A SW_FIRST
switch_table "$T" 1 2 3 >"$LS_TMP/case1-switch.md" # not in a pipe: it sets FAILED
cat "$LS_TMP/case1-switch.md" >&2
mesh_ctl switches --nodes "$(mesh_nodes_file)" >&2 ||
	FAILED="$FAILED lockstepctl-switches"
# once the plan is done (S promoted to live) the record stays what it was:
# the data plane's is then read under the live generation's id
mesh_wait_all 15 zone.plan null || ls_fail "plan 2 not finished on every node"
for n in 1 2 3; do
	read -r at off path x s <<<"$(mesh_switch "$n")"
	[ "$at $x $s" = "${SW_FIRST[$n]}" ] ||
		FAILED="$FAILED node$n:record-changed-after-promotion($at $x $s, was ${SW_FIRST[$n]})"
done
done_case 1

# ---- 2. a tampered copy on node 2 -----------------------------------------------
ls_log "case 2: node 2 gets a tampered serial 3 (ZONEMD mismatch)"
mesh_zone 3 "$LS_TMP/zone.3"
mesh_zone 3 "$LS_TMP/zone.3.bad" 0 tamper
# 10 s: node 2's refusal must be seen (state still "planned") before T, also on a loaded machine
T=$(at 10000)
plan 3 "$T"
mesh_deliver "$LS_TMP/zone.3" 1 3
mesh_deliver "$LS_TMP/zone.3.bad" 2
staged "$T" 1 3
refused() { [ "$(mesh_status_get 2 zone.verify_failures)" -ge 1 ] 2>/dev/null; }
ls_wait 20 refused || ls_fail "node2: the tampered copy was not refused"
mesh_status_has 2 zone.state planned || ls_fail "node2: not 'planned' after the refusal"
ls_log "node2 refused it: $(mesh_status_get 2 zone.last_verdict)"
mesh_status_get 2 zone.last_verdict | grep -qi zonemd || ls_fail "node2: the verdict does not name ZONEMD"
mesh_probe "$LS_TMP/p2" $((T - S_NS)) $((T + S_NS))
check "$LS_TMP/p2" 1 '2+3+' "2:3:$T"
check "$LS_TMP/p2" 3 '2+3+' "2:3:$T"
check "$LS_TMP/p2" 2 '2+-+' "2:-:$T"
ls_wait 10 mesh_status_has 2 zone.state withdrawn || ls_fail "node2: not 'withdrawn' after T"
mesh_status_has 2 zone.reason missed-plan || ls_fail "node2: reason not missed-plan: $(mesh_status_get 2 zone.reason)"
# a good copy: S once verified
if [ "$MESH_DELIVERY" = spool ]; then
	mesh_deliver "$LS_TMP/zone.3" 2
else
	# node 2's primary serves a good serial 3 in place of the tampered one
	mesh_knot_replace knot2 "$MESH_ZONE" "$LS_TMP/zone.3"
fi
ls_wait 30 mesh_serial_is 2 3 || ls_fail "node2: the good copy of 3 is not served"
ls_log "node2 serves 3 after a good copy"
done_case 2

# ---- 3. node 3's clock not trusted --------------------------------------------------
ls_log "case 3: node 3's chronyd not synchronised before T"
mesh_zone 4 "$LS_TMP/zone.4"
# The clock first, then the plan: how long chronyd's restart and the
# guard's verdict take is not bounded on a loaded machine, so T is chosen
# once node 3 distrusts its clock (a plan accepted then is as pending as one
# accepted before: withdrawn from T - budget)
mesh_chrony 3 unsync
ls_wait 15 mesh_status_has 3 clock.trusted false || ls_fail "node3: clock still trusted"
ls_log "node3: chronyd $(mesh_chrony_state 3); clock not trusted"
T=$(at 10000)
plan 4 "$T"
mesh_deliver "$LS_TMP/zone.4"
staged "$T" 1 2
[ "$(mesh_now_ns)" -lt $((T - BUDGET_NS - S_NS)) ] || ls_fail "too close to T - budget"
mesh_status_has 3 clock.trusted false || ls_fail "node3: clock trusted again before T"
mesh_probe "$LS_TMP/p3" $((T - BUDGET_NS - S_NS)) $((T + S_NS))
check "$LS_TMP/p3" 1 '3+4+' "3:4:$T"
check "$LS_TMP/p3" 2 '3+4+' "3:4:$T"
check "$LS_TMP/p3" 3 '3+-+' "3:-:$((T - BUDGET_NS))"
# The lease is renewed while the clock is not trusted: it guards against a
# dead agent, not a bad clock; only the pending switch became a withdrawal
# (docs/clock.md, "The lease and the clock guard"). Node 3's agent was never
# stopped, so its data plane never dropped for the lease.
if [ "$MESH_XDP" != off ]; then
	mesh_status_has 3 clock.trusted false || ls_fail "node3: clock trusted again before the lease check"
	L1=$(mesh_status_get 3 lease.deadline_tai_ns)
	lease_moved() { [ "$(mesh_status_get 3 lease.deadline_tai_ns)" -gt "$L1" ] 2>/dev/null; }
	ls_wait 10 lease_moved || FAILED="$FAILED node3:lease-not-renewed-while-distrusted"
	mesh_status_has 3 clock.trusted false || ls_fail "node3: clock trusted again during the lease check"
	mesh_status_has 3 lease.fresh true || FAILED="$FAILED node3:lease-lapsed-while-distrusted"
	[ "$(mesh_status_get 3 dataplane.outcomes.drop_lease)" = 0 ] ||
		FAILED="$FAILED node3:dropped-for-the-lease"
fi
mesh_chrony 3 sync
ls_wait 20 mesh_status_has 3 clock.trusted true || ls_fail "node3: clock not trusted again"
ls_wait 10 mesh_serial_is 3 4 || ls_fail "node3: does not serve 4 once the clock is trusted"
done_case 3

# ---- 4. SIGKILL before T ----------------------------------------------------------------
if [ "$MESH_XDP" = off ]; then
	ls_log "case 4: SKIPPED (MESH_XDP=off: without XDP nothing answers while the agent is dead)"
else
	ls_log "case 4: lockstepd on node 1 killed with SIGKILL 1 s before T"
	mesh_zone 5 "$LS_TMP/zone.5"
	T=$(at 10000) # 10 s: planning, delivery and staging must fit before T - 1 s on a loaded machine
	plan 5 "$T"
	mesh_deliver "$LS_TMP/zone.5"
	staged "$T" 1 2 3
	probe_bg "$LS_TMP/p4" $((T - 2 * S_NS)) $((T + 3 * S_NS))
	mesh_sleep_until $((T - S_NS))
	mesh_node_kill 1
	mesh_sleep_until $((T + S_NS))
	ls_log "node1: restarting lockstepd"
	mesh_node_start 1
	wait $PROBE
	for n in 1 2 3; do check "$LS_TMP/p4" $n '4+5+' "4:5:$T"; done
	python3 "$MESH_PROBE" report "$LS_TMP/p4" "$T" 4 5 1 2 3 >&2
	last=$(ls -t "$LS_TMP"/node1/lockstepd.run*.log | head -1)
	grep -q "re-adopted the pinned maps" "$last" ||
		ls_fail "node1: the restarted agent did not re-adopt the data plane's pinned maps"
	ls_log "node1: $(grep -m1 're-adopted the pinned maps' "$last" | cut -c1-200)"
	ls_wait 20 mesh_serial_is 1 5 || ls_fail "node1: not serving 5 after the restart"
	done_case 4
fi
LIVE=5
[ "$MESH_XDP" = off ] && LIVE=4

# ---- 5. T already past ---------------------------------------------------------------------
S=$((LIVE + 1))
ls_log "case 5: plan serial $S at a T 10 s in the past"
mesh_zone $S "$LS_TMP/zone.$S"
P=$(at 1000)
D=$((P + 3 * S_NS / 2))
# The case needs the plan on every node before S: a node that gets S first
# serves it (no plan forbids it) and takes the plan as already carried
# out, with no silence at all. The plan (a catalog transfer and its
# verification) and S travel separately and nothing orders them: one run
# under load saw node 2 go 5 -> 6 with no silence because its catalog came
# after S. So S is delivered once every node has accepted the plan (and
# not before D). S then reaches each node by NOTIFY, transfer and
# verification: on a loaded two-core machine that can take more than a
# second, so the probe runs until 15 s past P, at least 5 s past any D
# (bounds on the waits, not timing assertions).
probe_bg "$LS_TMP/p5" $((P - S_NS / 2)) $((P + 15 * S_NS))
mesh_sleep_until "$P"
mesh_publish_plan $S $((P - 10 * S_NS))
mesh_wait_all 8 zone.plan.serial $S || ls_fail "plan $S not accepted by every node within 8 s"
mesh_sleep_until "$D"
D=$(mesh_now_ns)
mesh_deliver "$LS_TMP/zone.$S"
wait $PROBE
for n in 1 2 3; do check "$LS_TMP/p5" $n "$LIVE+-+$S+" "_:-:$P" "_:$S:$D"; done
done_case 5
LIVE=$S

# ---- 6. S late on node 2 ---------------------------------------------------------------------
S=$((LIVE + 1))
ls_log "case 6: serial $S reaches node 2 only after T"
mesh_zone $S "$LS_TMP/zone.$S"
T=$(at 10000) # 10 s: planning, delivery and staging must fit before T - 1 s on a loaded machine
plan $S "$T"
mesh_deliver "$LS_TMP/zone.$S" 1 3
staged "$T" 1 3
mesh_status_has 2 zone.state planned || ls_fail "node2: not 'planned'"
D=$((T + S_NS * 8 / 10))
probe_bg "$LS_TMP/p6" $((T - S_NS)) $((D + 5 * S_NS)) # 5 s past D, as in case 5
mesh_sleep_until "$D"
mesh_deliver "$LS_TMP/zone.$S" 2
wait $PROBE
check "$LS_TMP/p6" 1 "$LIVE+$S+" "$LIVE:$S:$T"
check "$LS_TMP/p6" 3 "$LIVE+$S+" "$LIVE:$S:$T"
check "$LS_TMP/p6" 2 "$LIVE+-+$S+" "$LIVE:-:$T" "_:$S:$D"
done_case 6

# the mesh as an operator sees it: every node ready, exit 0
mesh_ctl status --nodes "$(mesh_nodes_file)" >&2 || ls_fail "lockstepctl status: the mesh is not ready"
ls_log "PASS (delivery: $MESH_DELIVERY, XDP: $MESH_XDP)"
exit 0
