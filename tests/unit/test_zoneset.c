/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/zoneset: longest-suffix lookup, the time rule of
 * ebpf/lockstep.h applied through the set (switch exactly at T, silence at
 * T without a ready next generation, withdrawal), promotion, removal, and
 * syncing zone files from a configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/zoneset.h"
#include "common/config.h"
#include "common/zonefile.h"

static struct ls_zone *make_zone(const char *origin, uint32_t serial)
{
	uint8_t o[LS_DNAME_MAXLEN];
	struct ls_zone *z = NULL;
	char text[512];

	assert_true(ls_dname_from_str(o, origin, NULL) > 0);
	snprintf(text, sizeof(text),
		 "@ 3600 IN SOA ns hostmaster %u 7200 3600 1209600 300\n"
		 "@ 3600 IN NS ns\n"
		 "ns 3600 IN A 192.0.2.1\n",
		 serial);
	assert_int_equal(ls_zonefile_load_string(text, strlen(text), NULL, o, NULL, &z, NULL), 0);
	assert_non_null(z);
	return z;
}

static const uint8_t *wire(const char *name)
{
	static uint8_t buf[4][LS_DNAME_MAXLEN];
	static int k;
	uint8_t *b = buf[k++ % 4];

	assert_true(ls_dname_from_str(b, name, NULL) > 0);
	return b;
}

/* The origin of the zone answering @qname now, "-" for REFUSED, "silent". */
static const char *who(struct ls_zoneset *zs, const char *qname)
{
	static char out[LS_DNAME_STRLEN];
	uint8_t lower[LS_DNAME_MAXLEN];
	const struct ls_zone *z;
	bool silent = true;

	ls_dname_copy_lower(lower, wire(qname));
	z = ls_zoneset_lookup(zs, lower, &silent);
	if (!z)
		return silent ? "silent" : "-";
	assert_false(silent);
	ls_dname_to_str(out, sizeof(out), ls_zone_origin(z));
	return out;
}

static uint32_t serial_at(struct ls_zoneset *zs, const char *qname, uint64_t now)
{
	const struct ls_zone *z;
	bool silent;

	ls_zoneset_set_now(zs, now);
	z = ls_zoneset_lookup(zs, wire(qname), &silent);
	return z ? ls_zone_serial(z) : 0;
}

static void test_longest_match(void **state)
{
	struct ls_zoneset *zs;

	assert_int_equal(ls_zoneset_new(&zs), 0);
	assert_string_equal(who(zs, "www.example.com."), "-");
	assert_string_equal(who(zs, "."), "-");
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("com.", 1)), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("example.com.", 1)), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("sub.example.com.", 1)), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("b.example.org.", 1)), 0);
	assert_int_equal(ls_zoneset_count(zs), 4);

	assert_string_equal(who(zs, "www.example.com."), "example.com.");
	assert_string_equal(who(zs, "example.com."), "example.com.");
	assert_string_equal(who(zs, "WWW.Example.COM."), "example.com.");
	assert_string_equal(who(zs, "sub.example.com."), "sub.example.com.");
	assert_string_equal(who(zs, "a.b.c.sub.example.com."), "sub.example.com.");
	assert_string_equal(who(zs, "xsub.example.com."), "example.com.");
	assert_string_equal(who(zs, "notexample.com."), "com.");
	assert_string_equal(who(zs, "com."), "com.");
	assert_string_equal(who(zs, "x.b.example.org."), "b.example.org.");
	assert_string_equal(who(zs, "example.org."), "-");
	assert_string_equal(who(zs, "org."), "-");
	assert_string_equal(who(zs, "."), "-");
	/* deeper than any origin: the suffixes beyond the deepest are skipped */
	assert_string_equal(who(zs, "1.2.3.4.5.6.7.8.9.10.11.12.sub.example.com."),
			    "sub.example.com.");

	/* the root zone catches everything else */
	assert_int_equal(ls_zoneset_set_live(zs, make_zone(".", 1)), 0);
	assert_string_equal(who(zs, "example.org."), ".");
	assert_string_equal(who(zs, "."), ".");
	assert_string_equal(who(zs, "www.example.com."), "example.com.");

	assert_int_equal(ls_zoneset_remove(zs, wire("example.com.")), 0);
	assert_int_equal(ls_zoneset_remove(zs, wire("example.com.")), -ENOENT);
	assert_string_equal(who(zs, "www.example.com."), "com.");
	assert_string_equal(who(zs, "sub.example.com."), "sub.example.com.");
	ls_zoneset_free(zs);
	ls_zoneset_free(NULL);
}

/* Many zones: growth, and removal (backward shift) keeps every other one findable. */
static void test_many(void **state)
{
	struct ls_zoneset *zs;
	char name[64], q[80];

	assert_int_equal(ls_zoneset_new(&zs), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "z%d.test.", i);
		assert_int_equal(ls_zoneset_set_live(zs, make_zone(name, (uint32_t)i + 1)), 0);
	}
	assert_int_equal(ls_zoneset_count(zs), 300);
	for (int i = 0; i < 300; i += 2) {
		snprintf(name, sizeof(name), "z%d.test.", i);
		assert_int_equal(ls_zoneset_remove(zs, wire(name)), 0);
	}
	assert_int_equal(ls_zoneset_count(zs), 150);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "z%d.test.", i);
		snprintf(q, sizeof(q), "www.z%d.test.", i);
		assert_string_equal(who(zs, q), i % 2 ? name : "-");
	}
	/* ls_zoneset_origins(): every zone exactly once, and a short array is not overrun */
	{
		const uint8_t *o[151] = { 0 };
		bool seen[300] = { false };

		assert_int_equal(ls_zoneset_origins(zs, o, 151), 150);
		assert_null(o[150]);
		for (int i = 0; i < 150; i++) {
			int k = -1;

			assert_int_equal(sscanf((const char *)o[i] + 1, "z%d", &k), 1);
			assert_true(k >= 0 && k < 300 && k % 2 == 1 && !seen[k]);
			seen[k] = true;
			assert_true(
				ls_dname_equal(o[i], ls_zone_origin(ls_zoneset_live(zs, o[i]))));
		}
		o[3] = NULL;
		assert_int_equal(ls_zoneset_origins(zs, o, 3), 150);
		assert_null(o[3]);
		assert_int_equal(ls_zoneset_origins(zs, NULL, 0), 150);
	}
	ls_zoneset_free(zs);
}

/*
 * The time rule through the set: the lookup must agree with
 * ls_ctl_decide() on the set's own control state, at every interesting time.
 */
static void check_rule(struct ls_zoneset *zs, const char *origin, uint32_t live, uint32_t next)
{
	static const uint64_t times[] = { 0,   1,    499,  500,	 501,
					  999, 1000, 1001, 5000, LS_TIME_NEVER - 1 };
	struct ls_zone_ctl ctl;

	assert_int_equal(ls_zoneset_ctl(zs, wire(origin), &ctl), 0);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		uint32_t want = 0;

		switch (ls_ctl_decide(&ctl, times[i], LS_TIME_NEVER)) {
		case LS_CTL_LIVE:
			want = live;
			break;
		case LS_CTL_NEXT:
			want = next;
			break;
		case LS_CTL_DROP:
			want = 0;
			break;
		}
		assert_int_equal(serial_at(zs, origin, times[i]), want);
	}
}

static void test_switch_at_t(void **state)
{
	struct ls_zoneset *zs;
	struct ls_zone_ctl ctl;
	bool silent;

	assert_int_equal(ls_zoneset_new(&zs), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("example.com.", 1)), 0);
	assert_int_equal(ls_zoneset_ctl(zs, wire("example.com."), &ctl), 0);
	assert_int_equal(ctl.switch_at, LS_TIME_NEVER);
	assert_int_equal(ctl.withdraw_at, LS_TIME_NEVER);
	assert_int_equal(ctl.flags, LS_CTL_HAS_LIVE);
	assert_int_equal(serial_at(zs, "example.com.", 12345), 1);

	/* staged, not ready: live before T, silence from T (invariant 3) */
	assert_int_equal(
		ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.com.", 2), 1000),
		0);
	assert_int_equal(serial_at(zs, "www.example.com.", 999), 1);
	assert_int_equal(serial_at(zs, "www.example.com.", 1000), 0);
	ls_zoneset_set_now(zs, 1000);
	assert_null(ls_zoneset_lookup(zs, wire("www.example.com."), &silent));
	assert_true(silent);
	check_rule(zs, "example.com.", 1, 2);
	/* nothing to promote while not ready */
	assert_int_equal(ls_zoneset_promote(zs, 5000), 0);

	/* ready: the switch happens exactly at T */
	assert_int_equal(ls_zoneset_next_ready(zs, wire("example.com.")), 0);
	assert_int_equal(serial_at(zs, "www.example.com.", 999), 1);
	assert_int_equal(serial_at(zs, "www.example.com.", 1000), 2);
	assert_int_equal(serial_at(zs, "www.example.com.", 1001), 2);
	check_rule(zs, "example.com.", 1, 2);

	/* promotion before T does nothing; at T it changes no answer */
	assert_int_equal(ls_zoneset_promote(zs, 999), 0);
	assert_int_equal(ls_zone_serial(ls_zoneset_live(zs, wire("example.com."))), 1);
	assert_int_equal(ls_zoneset_promote(zs, 1000), 1);
	assert_int_equal(ls_zone_serial(ls_zoneset_live(zs, wire("example.com."))), 2);
	assert_null(ls_zoneset_next(zs, wire("example.com.")));
	assert_int_equal(ls_zoneset_ctl(zs, wire("example.com."), &ctl), 0);
	assert_int_equal(ctl.switch_at, LS_TIME_NEVER);
	assert_int_equal(ctl.flags, LS_CTL_HAS_LIVE);
	assert_int_equal(serial_at(zs, "www.example.com.", 1000), 2);
	check_rule(zs, "example.com.", 2, 0);
	assert_int_equal(ls_zoneset_promote(zs, 5000), 0);

	/* a new plan replaces the staged one and clears the ready flag */
	assert_int_equal(
		ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.com.", 3), 500),
		0);
	assert_int_equal(ls_zoneset_next_ready(zs, wire("example.com.")), 0);
	assert_int_equal(
		ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.com.", 4), 1000),
		0);
	assert_int_equal(ls_zoneset_ctl(zs, wire("example.com."), &ctl), 0);
	assert_false(ctl.flags & LS_CTL_NEXT_READY);
	assert_int_equal(serial_at(zs, "www.example.com.", 500), 2);
	assert_int_equal(serial_at(zs, "www.example.com.", 1000), 0);
	check_rule(zs, "example.com.", 2, 4);
	ls_zoneset_free(zs);
}

static void test_plan_without_data(void **state)
{
	struct ls_zoneset *zs;

	assert_int_equal(ls_zoneset_new(&zs), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("example.com.", 1)), 0);
	assert_int_equal(ls_zoneset_stage_next(zs, wire("example.com."), NULL, 1000), 0);
	assert_int_equal(ls_zoneset_next_ready(zs, wire("example.com.")), -ENODATA);
	assert_int_equal(serial_at(zs, "example.com.", 999), 1);
	assert_int_equal(serial_at(zs, "example.com.", 1000), 0);
	check_rule(zs, "example.com.", 1, 0);
	/* the data arrives late: answered from the moment it is ready */
	assert_int_equal(
		ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.com.", 2), 1000),
		0);
	assert_int_equal(serial_at(zs, "example.com.", 2000), 0);
	assert_int_equal(ls_zoneset_next_ready(zs, wire("example.com.")), 0);
	assert_int_equal(serial_at(zs, "example.com.", 2000), 2);

	/* errors */
	assert_int_equal(ls_zoneset_stage_next(zs, wire("example.net."), NULL, 1), -ENOENT);
	assert_int_equal(
		ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.net.", 2), 1),
		-EINVAL);
	assert_int_equal(ls_zoneset_next_ready(zs, wire("example.net.")), -ENOENT);
	assert_int_equal(ls_zoneset_withdraw(zs, wire("example.net."), 0), -ENOENT);
	ls_zoneset_free(zs);
}

/* ls_zoneset_changes(): moves with every change, and with nothing else. */
static void test_changes(void **state)
{
	struct ls_zoneset *zs;
	uint64_t c;
	bool silent;

	assert_int_equal(ls_zoneset_new(&zs), 0);
	c = ls_zoneset_changes(zs);
#define MOVED(expr)                                      \
	do {                                             \
		assert_int_equal((expr), 0);             \
		assert_true(ls_zoneset_changes(zs) > c); \
		c = ls_zoneset_changes(zs);              \
	} while (0)
	MOVED(ls_zoneset_add(zs, wire("example.com.")));
	/* adding what is there changes nothing */
	assert_int_equal(ls_zoneset_add(zs, wire("example.com.")), 0);
	assert_int_equal(ls_zoneset_changes(zs), c);
	MOVED(ls_zoneset_set_live(zs, make_zone("example.com.", 1)));
	MOVED(ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.com.", 2), 1000));
	MOVED(ls_zoneset_next_ready(zs, wire("example.com.")));
	MOVED(ls_zoneset_withdraw(zs, wire("example.com."), 5000));
	MOVED(ls_zoneset_withdraw(zs, wire("example.com."), LS_TIME_NEVER));
	/* reads, ticks, failed calls and a promotion with nothing due: unchanged */
	ls_zoneset_tick(zs);
	ls_zoneset_set_now(zs, 10);
	ls_zoneset_lookup(zs, wire("www.example.com."), &silent);
	assert_int_equal(ls_zoneset_promote(zs, 999), 0);
	assert_int_equal(ls_zoneset_withdraw(zs, wire("example.net."), 0), -ENOENT);
	assert_int_equal(ls_zoneset_changes(zs), c);
	assert_int_equal(ls_zoneset_promote(zs, 1000), 1);
	assert_true(ls_zoneset_changes(zs) > c);
	c = ls_zoneset_changes(zs);
	MOVED(ls_zoneset_remove(zs, wire("example.com.")));
#undef MOVED
	ls_zoneset_free(zs);
}

static void test_withdraw(void **state)
{
	struct ls_zoneset *zs;

	assert_int_equal(ls_zoneset_new(&zs), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("com.", 1)), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("example.com.", 7)), 0);

	assert_int_equal(ls_zoneset_withdraw(zs, wire("example.com."), 0), 0);
	ls_zoneset_set_now(zs, 0);
	assert_string_equal(who(zs, "www.example.com."), "silent");
	/* the parent does not answer for a silent child */
	assert_string_equal(who(zs, "example.com."), "silent");
	assert_string_equal(who(zs, "other.com."), "com.");
	check_rule(zs, "example.com.", 7, 0);

	/* cancelled */
	assert_int_equal(ls_zoneset_withdraw(zs, wire("example.com."), LS_TIME_NEVER), 0);
	assert_int_equal(serial_at(zs, "www.example.com.", 5000), 7);

	/* at a time: served until then, silent from it, even with a switch pending */
	assert_int_equal(
		ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.com.", 8), 1000),
		0);
	assert_int_equal(ls_zoneset_next_ready(zs, wire("example.com.")), 0);
	assert_int_equal(ls_zoneset_withdraw(zs, wire("example.com."), 500), 0);
	assert_int_equal(serial_at(zs, "www.example.com.", 499), 7);
	assert_int_equal(serial_at(zs, "www.example.com.", 500), 0);
	assert_int_equal(serial_at(zs, "www.example.com.", 1000), 0);
	check_rule(zs, "example.com.", 7, 8);

	/* a configured zone without data is silent, not REFUSED */
	assert_int_equal(ls_zoneset_add(zs, wire("example.net.")), 0);
	assert_int_equal(ls_zoneset_add(zs, wire("Example.NET.")), 0);
	assert_int_equal(ls_zoneset_count(zs), 3);
	assert_string_equal(who(zs, "www.example.net."), "silent");
	/* removed: REFUSED */
	assert_int_equal(ls_zoneset_remove(zs, wire("EXAMPLE.net.")), 0);
	assert_string_equal(who(zs, "www.example.net."), "-");
	ls_zoneset_free(zs);
}

static void test_clock(void **state)
{
	struct ls_zoneset *zs;
	uint64_t a, b;

	assert_int_equal(ls_zoneset_new(&zs), 0);
	a = ls_zoneset_clock();
	ls_zoneset_tick(zs);
	b = ls_zoneset_clock();
	assert_true(a > 0);
	assert_true(ls_zoneset_now(zs) >= a && ls_zoneset_now(zs) <= b);
	ls_zoneset_free(zs);
}

/*
 * A zone held but not served (a catalog): its names are REFUSED, or go to
 * a served parent, exactly as if it were absent; everything else about it
 * (generations, control state) stays, and the property counts as a change.
 */
static void test_not_served(void **state)
{
	struct ls_zoneset *zs;
	struct ls_zone_ctl ctl;
	uint64_t c;

	assert_int_equal(ls_zoneset_new(&zs), 0);
	ls_zoneset_set_now(zs, 1000);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("catalog.invalid.", 3)), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("example.", 1)), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("cat.example.", 2)), 0);
	assert_true(ls_zoneset_served(zs, wire("catalog.invalid.")));
	assert_string_equal(who(zs, "version.catalog.invalid."), "catalog.invalid.");

	c = ls_zoneset_changes(zs);
	assert_int_equal(ls_zoneset_set_served(zs, wire("Catalog.Invalid."), false), 0);
	assert_true(ls_zoneset_changes(zs) > c);
	c = ls_zoneset_changes(zs);
	assert_int_equal(ls_zoneset_set_served(zs, wire("catalog.invalid."), false), 0);
	assert_int_equal(ls_zoneset_changes(zs), c); /* no change, nothing to redo */
	assert_false(ls_zoneset_served(zs, wire("catalog.invalid.")));
	/* no zone: REFUSED, apex and below */
	assert_string_equal(who(zs, "catalog.invalid."), "-");
	assert_string_equal(who(zs, "version.catalog.invalid."), "-");
	assert_string_equal(who(zs, "a.b.zones.catalog.invalid."), "-");
	/* still held: transfers to peers read it */
	assert_non_null(ls_zoneset_live(zs, wire("catalog.invalid.")));
	assert_int_equal(ls_zoneset_ctl(zs, wire("catalog.invalid."), &ctl), 0);
	assert_true(ctl.flags & LS_CTL_HAS_LIVE);
	/* under a served parent: the parent answers, as without the zone */
	assert_int_equal(ls_zoneset_set_served(zs, wire("cat.example."), false), 0);
	assert_string_equal(who(zs, "www.cat.example."), "example.");
	assert_string_equal(who(zs, "www.example."), "example.");
	/* withdrawn or not, a hidden zone never makes its names silent */
	assert_int_equal(ls_zoneset_withdraw(zs, wire("catalog.invalid."), 0), 0);
	assert_string_equal(who(zs, "catalog.invalid."), "-");
	/* served again */
	assert_int_equal(ls_zoneset_set_served(zs, wire("cat.example."), true), 0);
	assert_string_equal(who(zs, "www.cat.example."), "cat.example.");
	/* unknown zones */
	assert_int_equal(ls_zoneset_set_served(zs, wire("nowhere."), false), -ENOENT);
	assert_false(ls_zoneset_served(zs, wire("nowhere.")));
	/* a removed and re-added zone is served again */
	assert_int_equal(ls_zoneset_remove(zs, wire("catalog.invalid.")), 0);
	assert_int_equal(ls_zoneset_add(zs, wire("catalog.invalid.")), 0);
	assert_true(ls_zoneset_served(zs, wire("catalog.invalid.")));
	ls_zoneset_free(zs);
}

/* The first answer from the generation staged for T is recorded, never before T. */
static void test_switch_record(void **state)
{
	struct ls_zoneset_switch sw;
	struct ls_zoneset *zs;

	assert_int_equal(ls_zoneset_new(&zs), 0);
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("example.com.", 1)), 0);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_int_equal(sw.at, LS_TIME_NEVER);
	assert_int_equal(sw.first_next_ns, 0);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.org."), &sw), -ENOENT);

	/* plan accepted, no data yet: T on record, no answer from next */
	assert_int_equal(ls_zoneset_stage_next(zs, wire("example.com."), NULL, 1000), 0);
	assert_int_equal(serial_at(zs, "www.example.com.", 500), 1);
	assert_int_equal(serial_at(zs, "www.example.com.", 1200), 0);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_int_equal(sw.at, 1000);
	assert_int_equal(sw.first_next_ns, 0);

	/* S arrives and is ready: answers from live before T leave no record */
	assert_int_equal(
		ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.com.", 2), 2000),
		0);
	assert_int_equal(ls_zoneset_next_ready(zs, wire("example.com.")), 0);
	assert_int_equal(serial_at(zs, "www.example.com.", 1999), 1);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_int_equal(sw.at, 2000);
	assert_int_equal(sw.first_next_ns, 0);
	/* the first answer from next is the one recorded, later ones are not */
	assert_int_equal(serial_at(zs, "www.example.com.", 2003), 2);
	assert_int_equal(serial_at(zs, "www.example.com.", 2500), 2);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_int_equal(sw.at, 2000);
	assert_int_equal(sw.first_next_ns, 2003);
	assert_true(sw.first_next_ns >= sw.at);
	assert_false(sw.promoted);
	/* promotion and dropping the plan keep the record */
	assert_int_equal(ls_zoneset_promote(zs, 3000), 1);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_true(sw.promoted);
	assert_int_equal(ls_zoneset_stage_next(zs, wire("example.com."), NULL, LS_TIME_NEVER), 0);
	assert_int_equal(serial_at(zs, "www.example.com.", 4000), 2);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_int_equal(sw.at, 2000);
	assert_int_equal(sw.first_next_ns, 2003);

	/* no slow-path query between T and promotion: the first from the promoted one counts */
	assert_int_equal(
		ls_zoneset_stage_next(zs, wire("example.com."), make_zone("example.com.", 3), 5000),
		0);
	assert_int_equal(ls_zoneset_next_ready(zs, wire("example.com.")), 0);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_int_equal(sw.at, 5000);
	assert_int_equal(sw.first_next_ns, 0);
	assert_false(sw.promoted); /* a new T: not the last switch's promotion */
	assert_int_equal(ls_zoneset_promote(zs, 5100), 1);
	assert_int_equal(serial_at(zs, "www.example.com.", 6000), 3);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_int_equal(sw.first_next_ns, 6000);

	/* a fresh live version installed without a plan is not a switch */
	assert_int_equal(ls_zoneset_set_live(zs, make_zone("example.com.", 4)), 0);
	assert_int_equal(serial_at(zs, "www.example.com.", 7000), 4);
	assert_int_equal(ls_zoneset_switch_info(zs, wire("example.com."), &sw), 0);
	assert_int_equal(sw.at, 5000);
	assert_int_equal(sw.first_next_ns, 6000);
	ls_zoneset_free(zs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_match), cmocka_unit_test(test_many),
		cmocka_unit_test(test_switch_at_t),   cmocka_unit_test(test_plan_without_data),
		cmocka_unit_test(test_withdraw),      cmocka_unit_test(test_clock),
		cmocka_unit_test(test_changes),	      cmocka_unit_test(test_not_served),
		cmocka_unit_test(test_switch_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
