#!/bin/bash
# test_engine_knot.sh — the answer engine against knotd, query by query.
#
# Generates one zone structure under four origins (unsigned; NSEC-signed;
# NSEC3-signed; NSEC3 with opt-out, all by ldns-signzone with ldns-keygen
# keys) and >= 100,000 queries (tests/tools/gen_engine_corpus.py), starts a
# real knotd serving the four zones on 127.0.0.1 inside a network namespace,
# and runs dnsdiff: every query goes to knotd over UDP and through
# ls_engine_respond() in-process; RCODE, AA, TC, OPT and the RRsets of every
# section must agree, except for the differences docs/answering.md lists
# (which dnsdiff recognises narrowly and counts). Any other mismatch, or a
# query knotd never answered, fails the test.
#
# Env: LS_ENGINE_QUERIES (default 100000), LS_ENGINE_SEED (generator seed),
# LS_KEEP_TMP=1 keeps the files. Takes about 15 s on 2 cores.
. "$(dirname "$0")/lib.sh" "$@"

ls_require_root
ls_require_cmd knotd knotc ldns-keygen ldns-signzone python3
DNSDIFF="$LS_BUILD/tests/tools/dnsdiff"
[ -x "$DNSDIFF" ] || ls_skip "dnsdiff not built ($DNSDIFF)"

NQ=${LS_ENGINE_QUERIES:-100000}
D="$LS_TMP/engine"
mkdir -p "$D/keys" "$D/knot"
PORT=5353

ls_log "generating zones and $NQ queries"
python3 "$LS_SRC/tests/tools/gen_engine_corpus.py" "$D" \
	plain.test. nsec.test. nsec3.test. optout.test. --queries "$NQ" \
	--seed "${LS_ENGINE_SEED:-20261122}" ||
	ls_fail "generator failed"

sign() { # ORIGIN ARGS...
	local origin=$1 k z
	shift
	k=$(cd "$D/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$origin") || return 1
	z=$(cd "$D/keys" && ldns-keygen -a ECDSAP256SHA256 "$origin") || return 1
	ldns-signzone -e 20370101000000 -i 20250101000000 "$@" -f "$D/${origin}signed" \
		"$D/${origin}zone" "$D/keys/$k" "$D/keys/$z"
}
ls_log "signing"
cp "$D/plain.test.zone" "$D/plain.test.signed"
sign nsec.test. || ls_fail "ldns-signzone (NSEC)"
sign nsec3.test. -n -t 0 -s "" || ls_fail "ldns-signzone (NSEC3)"
sign optout.test. -n -p -t 1 -s cafe || ls_fail "ldns-signzone (NSEC3 opt-out)"

cat >"$D/knot/knot.conf" <<EOF
server:
    rundir: "$D/knot"
    listen: 127.0.0.1@$PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: notice
database:
    storage: "$D/knot"
template:
  - id: default
    storage: "$D"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: plain.test.
    file: "$D/plain.test.signed"
  - domain: nsec.test.
    file: "$D/nsec.test.signed"
  - domain: nsec3.test.
    file: "$D/nsec3.test.signed"
  - domain: optout.test.
    file: "$D/optout.test.signed"
EOF

NS=$(ls_netns knot)
ls_knotd "$NS" "$D/knot"
# knotd loads zones after it answers knotc: wait until every zone answers
zone_up() {
	ip netns exec "$NS" kdig +timeout=1 +retry=0 @127.0.0.1 -p $PORT "$1" SOA |
		grep -q 'status: NOERROR'
}
for z in plain nsec nsec3 optout; do
	ls_wait 20 zone_up "$z.test." || ls_fail "knotd does not serve $z.test."
done

ls_log "comparing"
ip netns exec "$NS" "$DNSDIFF" --server 127.0.0.1 --port $PORT --show 30 \
	--queries "$D/queries.txt" \
	--zone "plain.test.=$D/plain.test.signed" \
	--zone "nsec.test.=$D/nsec.test.signed" \
	--zone "nsec3.test.=$D/nsec3.test.signed" \
	--zone "optout.test.=$D/optout.test.signed" | tee "$D/dnsdiff.out"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || ls_fail "lockstep and knotd disagree (see above)"
ls_log "PASS"
