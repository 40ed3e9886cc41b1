#!/bin/bash
# mkzone.sh ORIGIN NAMES [SERIAL] — write an unsigned test zone to stdout.
#
# Shared by tests/integration/test_verify_tools.sh and tests/bench/verify.sh.
# Per i in 1..NAMES: "hI" with an A record, every 4th also AAAA and TXT,
# every 50th a delegation "dI" with NS + glue (every other one of those
# secure, with a DS), every 100th "x.eI" below an empty non-terminal "eI",
# plus a wildcard and mixed-case names in RDATA (MX, CNAME target) so that
# canonical form matters. Roughly 1.8 RRs per name before signing; an
# NSEC-signed zone has about 4.6 RRs per name (each RRset gets an RRSIG, each
# name an NSEC and its RRSIG).
set -euo pipefail
origin=$1 n=$2 serial=${3:-2025010101}
awk -v o="$origin" -v n="$n" -v serial="$serial" 'BEGIN {
	printf "$ORIGIN %s\n$TTL 3600\n", o
	printf "@\tIN SOA ns1 hostmaster %s 7200 3600 1209600 300\n", serial
	printf "@\tIN NS ns1\n@\tIN NS ns2.example.net.\n@\tIN MX 10 Mail.%s\n", o
	printf "ns1\tIN A 192.0.2.53\nmail\tIN A 192.0.2.25\n*.wild\tIN TXT \"wildcard\"\n"
	printf "www\tIN CNAME H1.%s\n", o
	for (i = 1; i <= n; i++) {
		printf "h%d\tIN A 198.51.%d.%d\n", i, int(i / 250) % 250, i % 250 + 1
		if (i % 4 == 0) {
			printf "h%d\tIN AAAA 2001:db8::%x:%x\n", i, int(i / 65536), i % 65536
			printf "h%d\tIN TXT \"name %d\"\n", i, i
		}
		if (i % 50 == 0) {
			printf "d%d\tIN NS ns.d%d\nns.d%d\tIN A 192.0.2.%d\n", i, i, i, i % 250 + 1
			if (i % 100 == 0)
				printf "d%d\tIN DS %d 13 2 %064x\n", i, i % 65536, i
		}
		if (i % 100 == 0)
			printf "x.e%d\tIN TXT \"below an empty non-terminal\"\n", i
	}
}'
