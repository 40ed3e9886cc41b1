/* SPDX-License-Identifier: MIT */
/*
 * fuzz_xfr.c — libFuzzer target for the transfer stream parser of
 * agent/xfrin. The input is a TCP byte stream (two-octet length prefixes,
 * as a primary sends it); its messages are fed to an AXFR parser and to an
 * IXFR parser over a small live zone, and a completed stream is built into
 * a zone. Must not: crash, leak, read out of bounds, or accept a stream
 * whose zone serial differs from its first SOA's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/xfrin.h"
#include "common/message.h"
#include "common/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t origin[] = "\x07"
				"example\x03"
				"com";
static struct ls_zone *base;

static void run(const uint8_t *data, size_t size, uint16_t qtype)
{
	struct ls_xfr_parser *p;
	struct ls_zone *z = NULL;
	struct ls_msg m;
	uint32_t serial;
	size_t pos = 0;
	char why[256];
	int r = LS_XFR_MORE;

	if (ls_xfr_parser_new(origin, qtype, base, 5000, 1 << 20, &p) != 0)
		abort();
	while (pos + 2 <= size && r == LS_XFR_MORE) {
		size_t l = (size_t)data[pos] << 8 | data[pos + 1];

		if (l > size - pos - 2)
			break;
		if (ls_msg_parse(&m, data + pos + 2, l) != 0)
			break;
		r = ls_xfr_parser_feed(p, &m);
		pos += 2 + l;
	}
	if (r != LS_XFR_DONE) {
		ls_xfr_parser_free(p);
		return;
	}
	if (!ls_xfr_parser_serial(p, &serial))
		abort();
	if (ls_xfr_parser_finish(p, &z, why, sizeof(why)) == 0) {
		if (ls_zone_serial(z) != serial)
			abort();
		ls_zone_free(z);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char text[] = "$ORIGIN example.com.\n$TTL 3600\n"
				   "@ SOA ns1 hm 2024010100 3600 600 86400 300\n"
				   "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\n";
	struct ls_zonefile_opts opts = { .no_include = true };

	if (!base &&
	    ls_zonefile_load_string(text, sizeof(text) - 1, NULL, origin, &opts, &base, NULL) != 0)
		abort();
	run(data, size, LS_TYPE_AXFR);
	run(data, size, LS_TYPE_IXFR);
	return 0;
}
