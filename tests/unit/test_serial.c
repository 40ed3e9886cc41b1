/* SPDX-License-Identifier: MIT */
/* Unit tests for common/serial: RFC 1982 comparison and addition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/serial.h"

static void test_cmp(void **state)
{
	assert_int_equal(ls_serial_cmp(1, 1), LS_SERIAL_EQUAL);
	assert_int_equal(ls_serial_cmp(1, 2), LS_SERIAL_LESS);
	assert_int_equal(ls_serial_cmp(2, 1), LS_SERIAL_GREATER);
	/* wrap-around: 0xFFFFFFFF < 0 < 1 */
	assert_int_equal(ls_serial_cmp(0xFFFFFFFFu, 0), LS_SERIAL_LESS);
	assert_int_equal(ls_serial_cmp(0, 0xFFFFFFFFu), LS_SERIAL_GREATER);
	assert_int_equal(ls_serial_cmp(0x7FFFFFFFu, 0), LS_SERIAL_GREATER);
	/* exactly 2^31 apart: undefined both ways */
	assert_int_equal(ls_serial_cmp(0x80000000u, 0), LS_SERIAL_UNDEFINED);
	assert_int_equal(ls_serial_cmp(0, 0x80000000u), LS_SERIAL_UNDEFINED);
	assert_int_equal(ls_serial_cmp(0x80000001u, 0), LS_SERIAL_LESS);
}

static void test_newer(void **state)
{
	assert_true(ls_serial_newer(2026112202u, 2026112201u));
	assert_false(ls_serial_newer(2026112201u, 2026112201u));
	assert_false(ls_serial_newer(2026112200u, 2026112201u));
	assert_true(ls_serial_newer(5, 0xFFFFFFF0u));
	/* ambiguous is never an upgrade */
	assert_false(ls_serial_newer(0x80000000u, 0));
	assert_false(ls_serial_newer(0, 0x80000000u));
}

static void test_add(void **state)
{
	assert_int_equal(ls_serial_add(0xFFFFFFFFu, 1), 0);
	assert_int_equal(ls_serial_add(10, 0x7FFFFFFFu), 10u + 0x7FFFFFFFu);
	assert_int_equal(ls_serial_add(10, 0x80000000u), 10); /* out of range */
	assert_true(ls_serial_newer(ls_serial_add(7, 0x7FFFFFFFu), 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_newer),
		cmocka_unit_test(test_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
