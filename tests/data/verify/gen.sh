#!/bin/bash
# Regenerate the small zones of tests/unit/test_verify.c with real tools.
# Provenance of every committed *.zone here:
#   zonemd.zone          unsigned, ZONEMD SIMPLE SHA-384 and SHA-512 by
#                        `ldns-signzone -Z -z sha384 -z sha512` (ldnsutils)
#   signed-nsec.zone     ECDSA P-256 KSK+ZSK, NSEC, ZONEMD SHA-384, by
#                        `ldns-signzone -z sha384`; has a secure delegation
#                        (DS), an insecure one with glue, an empty
#                        non-terminal and a wildcard
#   signed-nsec3.zone    the same content, Ed25519, NSEC3 (salt ab, 1
#                        iteration) with opt-out, by `dnssec-signzone -3 ab
#                        -H 1 -A` (bind9-utils): the insecure delegation has
#                        no NSEC3 (ldns-signzone -p sets the flag but keeps
#                        the record, so it would not exercise opt-out)
#   large-nsec.zone      see the end of this script
#   multisigner.zone     RFC 8901 model 2: two signers (two ldns key pairs,
#                        ECDSA P-256), each signer's KSK+ZSK in one DNSKEY
#                        RRset and every RRset signed by both
#                        (`ldns-signzone` with all four keys)
# Signatures are valid from 2024-01-01 to 2037-01-01 (ldns prints times past
# 2038 wrapped); the tests verify "at" 2025-01-01. Private keys are thrown
# away.
#
# Usage: tests/data/verify/gen.sh   (from anywhere; rewrites *.zone here)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
INCEPTION=20240101000000
EXPIRATION=20370101000000

write_zone() {
	cat >"$1" <<'ZONE'
$ORIGIN example.
$TTL 3600
@	IN SOA ns1 hostmaster 2025010101 7200 3600 1209600 300
@	IN NS ns1
@	IN NS ns2.example.net.
@	IN MX 10 Mail.Example.
ns1	IN A 192.0.2.53
www	IN A 192.0.2.80
www	IN A 192.0.2.8
www	IN AAAA 2001:db8::80
mail	IN A 192.0.2.25
*.wild	IN TXT "wildcard"
a.b.c	IN TXT "below an empty non-terminal"
secure	IN NS ns.secure
secure	IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.secure IN A 192.0.2.60
insecure IN NS ns.insecure
ns.insecure IN A 192.0.2.61
ZONE
}

keys() { # dir alg bits
	(cd "$1" && ldns-keygen -a "$2" -b "$3" -k example. && ldns-keygen -a "$2" -b "$3" example.) >/dev/null
}

d=$tmp/zonemd
mkdir -p "$d"
write_zone "$d/zone"
ldns-signzone -Z -z sha384 -z sha512 -o example. -f "$d/signed" "$d/zone"
ldns-read-zone "$d/signed" >"$here/zonemd.zone"

d=$tmp/nsec
mkdir -p "$d"
write_zone "$d/zone"
keys "$d" ECDSAP256SHA256 256
(cd "$d" && k=(K*.private) && ldns-signzone -z sha384 -i $INCEPTION -e $EXPIRATION -o example. -f signed zone "${k[@]%.private}")
ldns-read-zone "$d/signed" >"$here/signed-nsec.zone"

d=$tmp/nsec3
mkdir -p "$d"
write_zone "$d/zone"
(cd "$d" && dnssec-keygen -q -K . -a ED25519 -f KSK example. && dnssec-keygen -q -K . -a ED25519 example.) >/dev/null
(cd "$d" && dnssec-signzone -q -K . -S -3 ab -H 1 -A -s $INCEPTION -e $EXPIRATION -o example. -f signed zone >/dev/null)
ldns-read-zone "$d/signed" >"$here/signed-nsec3.zone"

d=$tmp/multi
mkdir -p "$d/a" "$d/b"
write_zone "$d/zone"
keys "$d/a" ECDSAP256SHA256 256
keys "$d/b" ECDSAP256SHA256 256
(cd "$d" && k=(a/K*.private b/K*.private) && ldns-signzone -A -i $INCEPTION -e $EXPIRATION -o example. -f signed zone "${k[@]%.private}")
ldns-read-zone "$d/signed" >"$here/multisigner.zone"

# large-nsec.zone: tests/integration/verify/mkzone.sh with 1,100 names (about
# 1,200 nodes, more than two of the verifier's 512-node chunks, so that two
# threads really share the signature work), ECDSA P-256 KSK+ZSK, NSEC, ZONEMD
# SHA-384, by `ldns-signzone -z sha384`.
d=$tmp/large
mkdir -p "$d"
"$here/../../integration/verify/mkzone.sh" example. 1100 >"$d/zone"
keys "$d" ECDSAP256SHA256 256
(cd "$d" && k=(K*.private) && ldns-signzone -z sha384 -i $INCEPTION -e $EXPIRATION -o example. -f signed zone "${k[@]%.private}")
ldns-read-zone "$d/signed" >"$here/large-nsec.zone"
