/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/chrony: the tracking request and reply of chronyd's
 * command protocol. The replies were captured from a real chronyd 4.3 (by
 * the same Python exchange tests/integration/test_chrony.sh uses): one
 * synchronised client (stratum 2 behind a "local stratum 1" server), one
 * with an unreachable server, one "local stratum 1" server itself. The
 * hostile ones are the real ones with single fields broken.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/chrony.h"

/* chronyd 4.3, client synchronised to 127.0.0.1, sequence 0x12345678 */
static const char *const SYNCED =
	"060200000021000500000000000000001234567800000000000000007f0000017f0000010000000000"
	"000000000000000001000000020000000000006b038e640f7e4843dd45cac4d0fd149ed0b3fd27f75e"
	"1706f0a3b8e2fa814651e0ce4254da8ca649fc826493";
/* chronyd 4.3, "server 192.0.2.250" unreachable, sequence 7 */
static const char *const UNSYNCED =
	"06020000002100050000000000000000000000070000000000000000000000000000000000000000"
	"00000000000000000000000000000003000000000000000000000000000000000000000000000000"
	"000000000000000000000000048000000480000000000000";
/* chronyd 4.3 with "local stratum 1", sequence 1 */
static const char *const LOCAL =
	"060200000021000500000000000000000000000100000000000000007f7f01010000000000000000"
	"00000000000000000000000000010000000000006b038e5416d2e98b000000000000000000000000"
	"000000000000000000000000000000000000000000000000";

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

static void test_float(void **state)
{
	assert_true(ls_chrony_float(0) == 0.0);
	/* exp 2, coef 2^23: 2^23 * 2^(2 - 25) = 1 */
	assert_true(ls_chrony_float(0x04800000u) == 1.0);
	/* coef -1 at exp 0: -2^-25 */
	assert_true(ls_chrony_float(0x01ffffffu) == -1.0 / 33554432.0);
	/* the extremes stay finite: exp 63, coef 2^24 - 1; exp -64, coef -2^24 */
	assert_true(ls_chrony_float(0x7effffffu) > 1e18);
	assert_true(ls_chrony_float(0x81000000u) < 0.0);
	assert_true(ls_chrony_float(0x81000000u) > -1e-18);
	/* exp -1 (0x7f << 25), coef 3: 3 * 2^-26 */
	assert_true(ls_chrony_float(0xfe000003u) == 3.0 / 67108864.0);
}

static void test_request(void **state)
{
	uint8_t buf[LS_CHRONY_TRACKING_LEN + 8];
	static const uint8_t head[] = { 6, 1, 0, 0, 0, 33, 0, 0, 0x12, 0x34, 0x56, 0x78 };

	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(ls_chrony_tracking_request(0x12345678u, buf, sizeof(buf)), 104);
	assert_memory_equal(buf, head, sizeof(head));
	/* the rest, pad1, pad2 and the padding to the reply's length, is zero */
	for (size_t i = sizeof(head); i < 104; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[104], 0xaa); /* nothing written past it */
	assert_int_equal(ls_chrony_tracking_request(1, buf, 103), -ENOSPC);
}

static void test_parse_synced(void **state)
{
	struct ls_chrony_tracking t;
	uint8_t buf[256];
	size_t n = unhex(SYNCED, buf, sizeof(buf));

	assert_int_equal(n, LS_CHRONY_TRACKING_LEN);
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), 0);
	assert_int_equal(t.ref_id, 0x7f000001u);
	assert_int_equal(t.family, LS_CHRONY_FAMILY_INET4);
	assert_int_equal(t.addr[0], 127);
	assert_int_equal(t.addr[3], 1);
	assert_int_equal(t.stratum, 2);
	assert_int_equal(t.leap, LS_CHRONY_LEAP_NORMAL);
	assert_int_equal(t.ref_time_sec, 0x6b038e64);
	assert_int_equal(t.ref_time_nsec, 0x0f7e4843);
	/* a loopback source: microseconds and less, all finite */
	assert_true(t.current_correction > -1e-3 && t.current_correction < 1e-3);
	assert_true(t.root_delay > 0.0 && t.root_delay < 1e-3);
	assert_true(t.root_dispersion > 0.0 && t.root_dispersion < 1e-3);
	assert_true(t.rms_offset >= 0.0 && t.skew_ppm >= 0.0);
	assert_true(t.last_update_interval > 0.0 && t.last_update_interval < 10.0);
	assert_string_equal(ls_chrony_leap_name(t.leap), "Normal");
}

static void test_parse_unsynced(void **state)
{
	struct ls_chrony_tracking t;
	uint8_t buf[256];
	size_t n = unhex(UNSYNCED, buf, sizeof(buf));

	assert_int_equal(ls_chrony_tracking_parse(buf, n, 7, &t), 0);
	assert_int_equal(t.ref_id, 0);
	assert_int_equal(t.family, LS_CHRONY_FAMILY_UNSPEC);
	assert_int_equal(t.stratum, 0);
	assert_int_equal(t.leap, LS_CHRONY_LEAP_UNSYNC);
	assert_int_equal(t.ref_time_sec, 0);
	/* what chronyc prints: root delay and dispersion 1.000000000 seconds */
	assert_true(t.root_delay == 1.0);
	assert_true(t.root_dispersion == 1.0);
	assert_true(t.current_correction == 0.0);
	assert_string_equal(ls_chrony_leap_name(t.leap), "Not synchronised");
}

static void test_parse_local(void **state)
{
	struct ls_chrony_tracking t;
	uint8_t buf[256];
	size_t n = unhex(LOCAL, buf, sizeof(buf));

	assert_int_equal(ls_chrony_tracking_parse(buf, n, 1, &t), 0);
	assert_int_equal(t.ref_id, 0x7f7f0101u); /* LOCL */
	assert_int_equal(t.stratum, 1);
	assert_int_equal(t.leap, LS_CHRONY_LEAP_NORMAL);
	assert_true(t.root_delay == 0.0 && t.root_dispersion == 0.0);
}

static void test_parse_hostile(void **state)
{
	struct ls_chrony_tracking t;
	uint8_t good[256], buf[256];
	size_t n = unhex(SYNCED, good, sizeof(good));

	/* every length but the right one */
	for (size_t len = 0; len < sizeof(buf); len++) {
		if (len == n)
			continue;
		memset(buf, 0, sizeof(buf));
		memcpy(buf, good, len < n ? len : n);
		assert_int_not_equal(ls_chrony_tracking_parse(buf, len, 0x12345678u, &t), 0);
	}
	/* a request, not a reply */
	memcpy(buf, good, n);
	buf[1] = 1;
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	/* another version */
	memcpy(buf, good, n);
	buf[0] = 5;
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EPROTONOSUPPORT);
	/* another command */
	memcpy(buf, good, n);
	buf[5] = 34;
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	/* another reply type */
	memcpy(buf, good, n);
	buf[7] = 6;
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	/* someone else's sequence */
	assert_int_equal(ls_chrony_tracking_parse(good, n, 0x12345679u, &t), -ENOMSG);
	/* status: unauthorised, failed, bad version; a short error reply is fine */
	memcpy(buf, good, n);
	buf[9] = 2;
	assert_int_equal(ls_chrony_tracking_parse(buf, 28, 0x12345678u, &t), -EACCES);
	buf[9] = 1;
	assert_int_equal(ls_chrony_tracking_parse(buf, 28, 0x12345678u, &t), -EREMOTEIO);
	buf[9] = 18;
	assert_int_equal(ls_chrony_tracking_parse(buf, 28, 0x12345678u, &t), -EPROTONOSUPPORT);
	/* fields out of range: family, stratum, leap, nanoseconds */
	memcpy(buf, good, n);
	buf[28 + 21] = 4;
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	memcpy(buf, good, n);
	buf[28 + 25] = 17;
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	memcpy(buf, good, n);
	buf[28 + 27] = 4;
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	memcpy(buf, good, n);
	memset(buf + 28 + 36, 0xff, 4);
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	/* seconds beyond 2^63 */
	memcpy(buf, good, n);
	memset(buf + 28 + 28, 0x80, 1);
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	/* a 32-bit sender's "no high seconds" marker is accepted */
	memcpy(buf, good, n);
	buf[56] = 0x7f;
	buf[57] = buf[58] = buf[59] = 0xff;
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), 0);
	assert_int_equal(t.ref_time_sec, 0x6b038e64);
	/* negative root delay, root dispersion, rms offset, skew, interval */
	for (size_t f = 2; f < 9; f++) {
		if (f == 3 || f == 4)
			continue; /* frequencies may be negative */
		memcpy(buf, good, n);
		memcpy(buf + 28 + 40 + 4 * f, "\x01\xff\xff\xff", 4); /* -2^-25 */
		assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), -EBADMSG);
	}
	/* a negative correction is a clock ahead: fine */
	memcpy(buf, good, n);
	memcpy(buf + 28 + 40, "\x01\xff\xff\xff", 4);
	assert_int_equal(ls_chrony_tracking_parse(buf, n, 0x12345678u, &t), 0);
	assert_true(t.current_correction < 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_float),	     cmocka_unit_test(test_request),
		cmocka_unit_test(test_parse_synced), cmocka_unit_test(test_parse_unsynced),
		cmocka_unit_test(test_parse_local),  cmocka_unit_test(test_parse_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
