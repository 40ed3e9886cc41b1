#!/bin/bash
# Regenerate the signed test zones of tests/unit/test_dnssec.c with real
# signers: ldns-signzone (ldnsutils) and dnssec-signzone (bind9-utils), one
# zone per signer and algorithm, half of them with NSEC3. The zones are
# written with every RR in RFC 3597 form ("TYPEn \# len hex", by
# ldns-read-zone -U HINFO; the zone has no HINFO) so the test needs no zone parser: it reads owner, type
# and wire RDATA straight from the line. Private keys are thrown away.
#
# Usage: tests/data/dnssec/gen.sh   (from anywhere; rewrites *.zone here)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Fixed windows so the test can pick a time inside them.
INCEPTION=20240101000000
EXPIRATION=20370101000000 # ldns prints times past 2038 wrapped

# The RRsets cover what signing gets wrong most easily: a mixed-case owner
# (signed lowercased), a multi-RR set listed out of canonical order, RDATA
# of different lengths, and a wildcard (signed with labels one less than its
# owner). Names inside RDATA stay lowercase: canonicalising RDATA is the
# rdata module's job, not this test's.
write_zone() {
	local origin=$1 file=$2
	cat >"$file" <<ZONE
\$ORIGIN $origin
\$TTL 3600
@	IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@	IN NS ns1
ns1	IN A 192.0.2.53
WWW	IN A 192.0.2.80
WWW	IN A 192.0.2.8
WWW	IN A 192.0.2.180
www	IN AAAA 2001:db8::80
mail	IN MX 10 mx.example.net.
mail	IN MX 5 mx2.example.net.
txt	IN TXT "a longer string" "x"
txt	IN TXT "short"
*	IN TXT "wildcard"
ZONE
}

# ldns: algorithm name, extra signzone flags, output file stem
ldns_zone() {
	local alg=$1 bits=$2 flags=$3 stem=$4 origin="$4.example."
	local d=$tmp/$stem
	mkdir -p "$d"
	write_zone "$origin" "$d/zone"
	(cd "$d" && ldns-keygen -a "$alg" -b "$bits" -k "$origin" >/dev/null &&
		ldns-keygen -a "$alg" -b "$bits" "$origin" >/dev/null)
	(cd "$d" && ldns-signzone $flags -i $INCEPTION -e $EXPIRATION -f signed zone $(ls K*.private | sed "s/.private$//"))
	ldns-read-zone -U HINFO "$d/signed" >"$here/$stem.zone"
}

bind_zone() {
	local alg=$1 bits=$2 flags=$3 stem=$4 origin="$4.example."
	local d=$tmp/$stem
	mkdir -p "$d"
	write_zone "$origin" "$d/zone"
	local b=()
	[ "$bits" != 0 ] && b=(-b "$bits")
	(cd "$d" && dnssec-keygen -q -K . -a "$alg" "${b[@]}" -f KSK "$origin" >/dev/null &&
		dnssec-keygen -q -K . -a "$alg" "${b[@]}" "$origin" >/dev/null)
	(cd "$d" && dnssec-signzone -q -K . -S $flags -s $INCEPTION -e $EXPIRATION \
		-o "$origin" -f signed zone >/dev/null)
	ldns-read-zone -U HINFO "$d/signed" >"$here/$stem.zone"
}

ldns_zone RSASHA1 1024 "" ldns-rsasha1
ldns_zone RSASHA1-NSEC3-SHA1 1024 "-n -s aabbccdd -t 5" ldns-rsasha1-nsec3
ldns_zone RSASHA256 2048 "" ldns-rsasha256
ldns_zone RSASHA512 4096 "-n -t 0" ldns-rsasha512
ldns_zone ECDSAP256SHA256 256 "-n -s ab -t 1" ldns-ecdsap256
ldns_zone ECDSAP384SHA384 384 "" ldns-ecdsap384
ldns_zone ED25519 256 "" ldns-ed25519
ldns_zone ED448 456 "-n -t 0" ldns-ed448

bind_zone RSASHA1 1024 "" bind-rsasha1
bind_zone NSEC3RSASHA1 1024 "-3 0011 -H 3" bind-nsec3rsasha1
bind_zone RSASHA256 2048 "-3 -" bind-rsasha256
bind_zone RSASHA512 1024 "" bind-rsasha512
bind_zone ECDSAP256SHA256 0 "-3 -" bind-ecdsap256
bind_zone ECDSAP384SHA384 0 "" bind-ecdsap384
bind_zone ED25519 0 "-3 cafe -H 2" bind-ed25519
bind_zone ED448 0 "" bind-ed448
