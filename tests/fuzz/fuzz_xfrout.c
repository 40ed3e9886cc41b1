/* SPDX-License-Identifier: MIT */
/*
 * fuzz_xfrout.c — libFuzzer target for transfers out (agent/xfrout) with
 * an IXFR journal (agent/ixfr): arbitrary requests, parsed as the admin
 * listener parses them, go to ls_xfrout_new() against the last of three
 * versions of a small zone whose journal holds both steps (1→2→3), and a
 * started stream is run to its end — half of the time with the journal
 * emptied and the live version replaced after the first message, as a
 * SIGHUP or a promotion would do mid-stream. Every message produced must
 * parse back (the low bit of the message ID chooses the churn). The next bit
 * answers over UDP (ls_xfrout_udp()): one datagram within the client's size. Must not: crash, leak, read out of bounds, or produce a
 * message larger than the buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ixfr.h"
#include "agent/xfrout.h"
#include "common/log.h"
#include "common/message.h"
#include "common/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t origin[] = "\x07"
				"example\x03"
				"com";
static struct ls_zone *zones[3];
static uint8_t resp[LS_XFROUT_BUF_SIZE];

static struct ls_zone *version(unsigned serial)
{
	static const char fmt[] = "$ORIGIN example.com.\n$TTL 3600\n"
				  "@ SOA ns1 hm %u 3600 600 86400 300\n@ NS ns1\n"
				  "ns1 A 192.0.2.1\nwww A 192.0.2.%u\nv%u TXT \"version\"\n"
				  "sub NS ns.sub\nns.sub A 192.0.2.53\n";
	struct ls_zonefile_opts opts = { .no_include = true };
	struct ls_zone *z;
	char text[512];
	int len = snprintf(text, sizeof(text), fmt, serial, serial, serial);

	if (len < 0 || ls_zonefile_load_string(text, (size_t)len, NULL, origin, &opts, &z, NULL))
		abort();
	return z;
}

static void init(void)
{
	ls_log_set_level(LS_LOG_ERR);
	for (unsigned i = 0; i < 3; i++)
		zones[i] = version(i + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct ls_ixfr *j;
	struct ls_xfrout *x;
	struct ls_msg m;
	bool churn = size > 1 && (data[1] & 1); /* the low bit of the ID */
	bool udp = size > 1 && (data[1] & 2); /* the next one: IXFR over UDP */
	int n;

	if (!ready) {
		init();
		ready = 1;
	}
	if (ls_msg_parse(&m, data, size) != 0)
		return 0;
	if (ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &j) || ls_ixfr_record(j, zones[0], zones[1]) ||
	    ls_ixfr_record(j, zones[1], zones[2]))
		abort();
	if (udp && ls_xfrout_new(&m, zones[2], j, NULL, &x) == 0) {
		/* one datagram of the client's size, never more */
		size_t limit = m.has_edns && m.edns.udp_size > 512 ? m.edns.udp_size : 512;
		bool inc;

		n = ls_xfrout_udp(x, 1700000000, resp, limit, &inc);
		if (n > (int)limit)
			abort();
		if (n > 0) {
			struct ls_msg back;

			if (ls_msg_parse(&back, resp, (size_t)n) != 0)
				abort();
		}
		ls_xfrout_free(x);
	} else if (ls_xfrout_new(&m, zones[2], j, NULL, &x) == 0) {
		const struct ls_zone *live = zones[2];

		while ((n = ls_xfrout_next(x, live, 1700000000, resp, sizeof(resp))) > 0) {
			struct ls_msg back;

			if ((size_t)n > sizeof(resp) || ls_msg_parse(&back, resp, (size_t)n) != 0)
				abort();
			if (churn) {
				ls_ixfr_set_budget(j, 0);
				live = zones[0];
			}
		}
		ls_xfrout_free(x);
	}
	ls_ixfr_free(j);
	return 0;
}
