/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the data plane's growth arithmetic
 * (ls_dataplane_grow_target() in agent/dataplane.c): when the maps must
 * grow, to what size, and when they cannot. Pure: no BPF, no root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/dataplane.h"

static struct ls_dataplane_caps caps(size_t answers, size_t body, size_t zones)
{
	struct ls_dataplane_caps c;

	memset(&c, 0, sizeof(c));
	c.answers = answers;
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		c.bodies[k] = body;
	c.zones = zones;
	return c;
}

/* Everything fits: nothing grows, and the target is the current size. */
static void test_fits(void **state)
{
	struct ls_dataplane_caps cur = caps(4096, 1024, 1024), need = caps(4096, 1000, 3), out;

	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 0);
	assert_memory_equal(&out, &cur, sizeof(cur));
	need = caps(0, 0, 0);
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 0);
	assert_memory_equal(&out, &cur, sizeof(cur));
}

/* A large zone into small maps: to 9/4 of the need (live + next + a quarter). */
static void test_big_zone_into_small_maps(void **state)
{
	struct ls_dataplane_caps cur = caps(4096, 1024, 1024), need = caps(40000, 1024, 1), out;

	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 1);
	assert_int_equal(out.answers, 90000);
	/* only what is short grows */
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		assert_int_equal(out.bodies[k], 1024);
	assert_int_equal(out.zones, 1024);
	/* and then a next generation of the same size fits without another growth */
	struct ls_dataplane_caps next = caps(80000, 1024, 1), again;
	assert_int_equal(ls_dataplane_grow_target(&out, &next, &again), 0);
}

/* A need just over the size: at least doubled (geometric, so churn amortises). */
static void test_geometric(void **state)
{
	struct ls_dataplane_caps cur = caps(100000, 5000, 1024), need = caps(100001, 5001, 1025),
				 out;

	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 1);
	assert_int_equal(out.answers, 225002); /* 9/4 × need beats 2 × size here */
	assert_int_equal(out.bodies[0], 11252);
	assert_int_equal(out.zones, 2306);
	cur = caps(1000000, 5000, 1024);
	need = caps(400001, 5000, 1024);
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 0);
	cur = caps(400000, 5000, 1024);
	need = caps(400001, 5000, 1024);
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 1);
	assert_int_equal(out.answers, 900002);
	cur = caps(1000, 5000, 1024);
	need = caps(1001, 5000, 1024);
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 1);
	assert_true(out.answers >= 2 * cur.answers);
}

/* Each body class on its own. */
static void test_one_body_class(void **state)
{
	struct ls_dataplane_caps cur = caps(4096, 1024, 1024), need = cur, out;

	need.bodies[2] = 1024 + 300;
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 1);
	assert_int_equal(out.bodies[2], (1324 * 9) / 4);
	assert_int_equal(out.bodies[0], 1024);
	assert_int_equal(out.bodies[3], 1024);
	assert_int_equal(out.answers, 4096);
}

/* More than a map can hold: refused, and *out untouched. */
static void test_too_big(void **state)
{
	struct ls_dataplane_caps cur = caps(4096, 1024, 1024), need = cur, out = caps(7, 7, 7);

	need.bodies[1] = (size_t)1 << 29; /* body references carry a 28-bit index */
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), -E2BIG);
	assert_int_equal(out.answers, 7);
	need = cur;
	need.answers = SIZE_MAX / 2;
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), -E2BIG);
	need = cur;
	need.zones = (size_t)1 << 25;
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), -E2BIG);
}

/* Near the limit: clamped to it, never past it. */
static void test_clamped(void **state)
{
	size_t lim = (size_t)1 << 28;
	struct ls_dataplane_caps cur = caps(4096, lim - 10, 1024), need = cur, out;

	need.bodies[0] = lim - 5;
	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 1);
	assert_int_equal(out.bodies[0], lim);
}

/* An empty data plane (a size of 0 somewhere) still grows to the need. */
static void test_from_zero(void **state)
{
	struct ls_dataplane_caps cur = caps(0, 0, 0), need = caps(8, 4, 1), out;

	assert_int_equal(ls_dataplane_grow_target(&cur, &need, &out), 1);
	assert_int_equal(out.answers, 18);
	assert_int_equal(out.bodies[0], 9);
	assert_int_equal(out.zones, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),	  cmocka_unit_test(test_big_zone_into_small_maps),
		cmocka_unit_test(test_geometric), cmocka_unit_test(test_one_body_class),
		cmocka_unit_test(test_too_big),	  cmocka_unit_test(test_clamped),
		cmocka_unit_test(test_from_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
