#!/bin/sh
# Regenerate the signed variants of example.zone (needs ldns-keygen and
# ldns-signzone). Signatures run to 2037 so the files never go stale; the
# engine does not check validity windows anyway (the verifier does).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
k=$(cd "$tmp" && ldns-keygen -a ECDSAP256SHA256 -k example.)
z=$(cd "$tmp" && ldns-keygen -a ECDSAP256SHA256 example.)
ldns-signzone -e 20370101000000 -i 20250101000000 -f example.nsec.zone example.zone "$tmp/$k" "$tmp/$z"
ldns-signzone -e 20370101000000 -i 20250101000000 -n -t 0 -s "" -f example.nsec3.zone example.zone "$tmp/$k" "$tmp/$z"
