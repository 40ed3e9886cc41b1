#!/bin/bash
# SPDX-License-Identifier: MIT
#
# What a growth of the XDP maps costs (agent/dataplane.c, docs/dataplane.md
# "Sizing and growth").
#
#   tests/bench/resize.sh BUILD_DIR [NAMES...]
#
# For each NAMES (default: 30000 and 98000, the latter about 100,000
# records), a zone like integration/xdp_resize's (h<i> A, one in 50 with a
# TXT) is generated and bench_resize measures two growths with the maps
# pinned on a bpffs of its own: "empty" (default sizes, then room made for
# the zone: what a node that transfers its zones after opening pays once)
# and "full" (sized for exactly one generation and holding it, then
# doubled: everything copied). Prints a markdown table of wall and CPU time
# and map memory. Root and BPF needed (77 otherwise). Use a Release build
# for figures; a sanitizer build measures the sanitizers too.
set -euo pipefail

BUILD=${1:?build dir}
shift
SIZES=${*:-30000 98000}
TOOL="$BUILD/tests/bench_resize"
[ -x "$TOOL" ] || { echo "bench_resize not built in $BUILD" >&2; exit 77; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
TMP=$(mktemp -d)
mkdir "$TMP/bpffs"
mount -t bpf bpf "$TMP/bpffs" || { rm -rf "$TMP"; exit 77; }
trap 'umount -l "$TMP/bpffs" 2>/dev/null; rm -rf "$TMP"' EXIT

echo "| names | records | entries | growth | wall ms | CPU ms | map KiB before | after |"
echo "|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
	z="$TMP/example.com.zone"
	{
		printf '$ORIGIN example.com.\n$TTL 3600\n'
		printf '@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 198.51.100.10\n'
		awk -v n="$n" 'BEGIN {
			for (i = 0; i < n; i++) {
				printf "h%d A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
				if (i % 50 == 0)
					printf "h%d TXT \"host %d\"\n", i, i
			}
		}'
	} >"$z"
	records=$(($(wc -l <"$z") - 2))
	out=$("$TOOL" "$z" "$TMP/bpffs/ls") || exit $?
	entries=$(echo "$out" | awk '/^zone/ { print $6 }')
	echo "$out" | awk -v n="$n" -v r="$records" -v e="$entries" '$1 == "empty" || $1 == "full" {
		printf "| %d | %d | %d | %s | %s | %s | %s | %s |\n", n, r, e, $1, $3, $5, $7, $9 }'
done
