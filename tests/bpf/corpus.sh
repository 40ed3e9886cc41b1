#!/usr/bin/env bash
# corpus.sh — the XDP byte-identity test over the engine's differential corpus.
#
#   corpus.sh TEST_XDP_BINARY [QUERIES]
#
# Generates the corpus zones (tests/tools/gen_engine_corpus.py), signs two of
# them when ldns-signzone is there (NSEC and NSEC3), and runs test_xdp with
# LS_XDP_CORPUS pointing at them: every query through the XDP program, and
# wherever it answers, the bytes must equal the engine's.
# Exit: test_xdp's status; 77 when root, python3 or BPF is missing.
set -uo pipefail
BIN=${1:?usage: corpus.sh TEST_XDP [QUERIES]}
NQ=${2:-20000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: needs python3" >&2; exit 77; }
D=$(mktemp -d /tmp/lockstep-xdpcorpus.XXXXXX)
trap 'rm -rf "$D"' EXIT
python3 "$SRC/tests/tools/gen_engine_corpus.py" "$D" plain.test. nsec.test. nsec3.test. \
	--queries "$NQ" >/dev/null || exit 1
ls "$D"/plain.test.zone >"$D/zones.txt"
if command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null; then
	mkdir -p "$D/keys"
	for o in nsec.test. nsec3.test.; do
		k=$(cd "$D/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$o") || exit 1
		z=$(cd "$D/keys" && ldns-keygen -a ECDSAP256SHA256 "$o") || exit 1
		extra=()
		[ "$o" = nsec3.test. ] && extra=(-n -t 0 -s "")
		ldns-signzone -e 20370101000000 -i 20250101000000 "${extra[@]}" \
			-f "$D/${o}signed" "$D/${o}zone" "$D/keys/$k" "$D/keys/$z" || exit 1
		echo "$D/${o}signed" >>"$D/zones.txt"
	done
else
	ls "$D"/nsec.test.zone "$D"/nsec3.test.zone >>"$D/zones.txt"
fi
LS_XDP_CORPUS=$D "$BIN"
