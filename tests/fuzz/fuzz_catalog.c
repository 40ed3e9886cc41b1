/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the catalog parser: the input is zone text for "catz." (includes
 * refused, small limits). A zone that loads is parsed as a catalog twice —
 * alone, then with its own first result as the list in force — and the two
 * results are diffed both ways; every plan is formatted. Invariants checked:
 * success and a result go together, members are sorted and unique, a
 * catalog diffed with itself is empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "common/dname.h"
#include "common/zone.h"
#include "common/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ls_catalog *c)
{
	char buf[128];

	for (size_t i = 0; i < c->member_count; i++) {
		if (i && ls_dname_cmp(c->members[i - 1].zone, c->members[i].zone) >= 0)
			abort();
		if (ls_catalog_find(c, c->members[i].zone) != &c->members[i])
			abort();
		if (c->members[i].has_plan)
			ls_catalog_plan_str(&c->members[i].plan, buf, sizeof(buf));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = "\x04"
					"catz";
	struct ls_zonefile_opts opts = {
		.max_records = 2000,
		.max_bytes = 1 << 20,
		.max_errors = 5,
		.no_include = true,
	};
	struct ls_catalog *a = NULL, *b = NULL;
	struct ls_catalog_diff d;
	struct ls_zone *z = NULL;
	char err[256];
	int ret;

	if (ls_zonefile_load_string((const char *)data, size, "fuzz", origin, &opts, &z, NULL))
		return 0;
	ret = ls_catalog_parse(z, NULL, &a, err, sizeof(err));
	if ((ret == 0) != (a != NULL))
		abort();
	if (a) {
		check(a);
		if (ls_catalog_parse(z, a, &b, err, sizeof(err)) || !b)
			abort();
		check(b);
		if (ls_catalog_diff(a, b, &d) == 0)
			ls_catalog_diff_free(&d);
		if (ls_catalog_diff(b, a, &d) == 0)
			ls_catalog_diff_free(&d);
		if (ls_catalog_diff(a, a, &d) == 0) {
			if (d.count)
				abort();
			ls_catalog_diff_free(&d);
		}
	}
	ls_catalog_free(a);
	ls_catalog_free(b);
	ls_zone_free(z);
	return 0;
}
