/* SPDX-License-Identifier: MIT */
/*
 * fuzz_engine.c — arbitrary bytes as a query to the answer engine.
 *
 * Owns: one libFuzzer target over ls_engine_respond() with the fixed zones
 * of tests/data/engine (unsigned, NSEC, NSEC3). The first input octet picks
 * the zone and the transport; the rest is the query. Every response must
 * parse back as a DNS message no longer than the transport allows.
 * Must not: keep state between inputs other than the zones loaded once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/engine.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/zone.h"
#include "common/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ls_zone *zones[3];

static const struct ls_zone *lookup(void *ctx, const uint8_t *qname, bool *silent)
{
	const struct ls_zone *z = ctx;

	*silent = false;
	return ls_dname_is_sub(qname, ls_zone_origin(z)) ? z : NULL;
}

static void load_zones(void)
{
	static const char *const files[] = { "example.zone", "example.nsec.zone",
					     "example.nsec3.zone" };
	char dir[512], path[640];
	uint8_t origin[LS_DNAME_MAXLEN];

	/* the zones live beside the tests: tests/fuzz/../data/engine */
	snprintf(dir, sizeof(dir), "%s", __FILE__);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	ls_dname_from_str(origin, "example.", NULL);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/../data/engine/%s", dir, files[i]);
		if (ls_zonefile_load(path, origin, NULL, &zones[i], NULL)) {
			fprintf(stderr, "fuzz_engine: cannot load %s\n", path);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[LS_MSG_MAXLEN];
	static struct ls_msg m;
	struct ls_engine_stats st = { 0 };

	if (!zones[0])
		load_zones();
	if (size < 1)
		return 0;
	const struct ls_zone *z = zones[data[0] % 3];
	int transport = (data[0] & 0x80) ? LS_ENGINE_TCP : LS_ENGINE_UDP;
	int n = ls_engine_respond(data + 1, size - 1, transport, lookup, (void *)z, resp,
				  sizeof(resp), &st);
	if (n < 0)
		abort(); /* no input may cause an internal error */
	if (n > 0) {
		if (transport == LS_ENGINE_UDP && n > LS_ENGINE_EDNS_PAYLOAD)
			abort();
		if (ls_msg_parse(&m, resp, (size_t)n) != 0)
			abort();
	}
	return 0;
}
