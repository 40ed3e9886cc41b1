/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the zone file loader and the zone model: the input is zone text for
 * "example." (includes refused, small limits so one input stays fast). A
 * zone that loads is then walked: every node found again by name, its
 * closest encloser, cut, DNAME and predecessor looked up, every rdata
 * checked and rendered, every problem formatted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct ls_zone *z)
{
	static char text[4 * LS_RDATA_MAXLEN + 64];
	size_t nodes = ls_zone_node_count(z);

	for (size_t i = 0; i < nodes; i++) {
		const struct ls_zone_node *n = ls_zone_node_at(z, i);
		const uint8_t *name = ls_zone_node_name(z, n);
		size_t cnt;
		const struct ls_zone_rrset *rs = ls_zone_node_rrsets(z, n, &cnt);

		if (ls_zone_find(z, name) != n || ls_zone_closest_encloser(z, name) != n)
			abort();
		if (i > 0 &&
		    ls_dname_cmp(ls_zone_node_name(z, ls_zone_node_at(z, i - 1)), name) >= 0)
			abort();
		if (ls_zone_predecessor(z, name, 0) != ls_zone_node_at(z, (i + nodes - 1) % nodes))
			abort();
		(void)ls_zone_find_cut(z, name);
		(void)ls_zone_find_dname(z, name);
		(void)ls_zone_wildcard(z, n);
		for (size_t k = 0; k < cnt; k++) {
			struct ls_zone_rdata_iter it;
			const uint8_t *rd;
			uint16_t len;
			ls_zone_rdata_begin(z, &rs[k], &it);
			while (ls_zone_rdata_next(&it, &rd, &len)) {
				if (ls_rdata_check(rs[k].type, rd, len) != 0)
					abort();
				(void)ls_rdata_to_str(text, sizeof(text), rs[k].type, rd, len);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = "\x07"
					"example";
	struct ls_zonefile_opts opts = {
		.max_records = 5000,
		.max_bytes = 1 << 20,
		.max_errors = 20,
		.no_include = true,
	};
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	char line[8192];
	int err;

	err = ls_zonefile_load_string((const char *)data, size, "fuzz", origin, &opts, &z, &p);
	if ((err == 0) != (z != NULL))
		abort();
	if (z)
		walk(z);
	for (size_t i = 0; p && i < p->count; i++)
		ls_zone_problem_format(line, sizeof(line), &p->v[i]);
	ls_zone_problems_free(p);
	ls_zone_free(z);
	return 0;
}
