/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/ntp: the mode-3 request, timestamp conversion, the
 * offset and delay of RFC 5905 from the four timestamps, and the replies a
 * client must refuse (spoofed, malformed, kiss-o'-death).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/ntp.h"

#define NS 1000000000ll
/* 2026-11-22 18:30:00 UTC */
#define T0 (1795372200ll * NS)
#define NONCE 0x0123456789abcdefull

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* A server's reply: received at @t2, sent at @t3 (Unix ns). */
static void reply(uint8_t *b, uint8_t leap, uint8_t stratum, int64_t t2, int64_t t3)
{
	memset(b, 0, LS_NTP_PACKET_LEN);
	b[0] = (uint8_t)(leap << 6 | 4 << 3 | 4);
	b[1] = stratum;
	put32(b + 4, 0x00000800); /* root delay 2^-5 s */
	put32(b + 8, 0x00000400); /* root dispersion 2^-6 s */
	memcpy(b + 12, "GPS\0", 4);
	put64(b + 16, ls_ntp_unix_ns_to_ts(t2 - NS));
	put64(b + 24, NONCE);
	put64(b + 32, ls_ntp_unix_ns_to_ts(t2));
	put64(b + 40, ls_ntp_unix_ns_to_ts(t3));
}

static void test_request(void **state)
{
	uint8_t b[LS_NTP_PACKET_LEN];

	assert_int_equal(ls_ntp_request(NONCE, b, sizeof(b)), 48);
	assert_int_equal(b[0], 0x23); /* leap 0, version 4, mode 3 */
	for (size_t i = 1; i < 40; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(b[40], 0x01);
	assert_int_equal(b[47], 0xef);
	assert_int_equal(ls_ntp_request(NONCE, b, 47), -ENOSPC);
}

static void test_timestamps(void **state)
{
	/* the Unix epoch is NTP second 2208988800 */
	assert_int_equal(ls_ntp_unix_ns_to_ts(0), 2208988800ull << 32);
	assert_int_equal(ls_ntp_ts_to_unix_ns(2208988800ull << 32, 0), 0);
	/* half a second */
	assert_int_equal(ls_ntp_unix_ns_to_ts(NS / 2) & 0xffffffffu, 0x80000000u);
	/* round trips within a nanosecond */
	for (int64_t t = T0; t < T0 + 10 * NS; t += 123456789) {
		int64_t back = ls_ntp_ts_to_unix_ns(ls_ntp_unix_ns_to_ts(t), T0);

		assert_true(back - t <= 1 && t - back <= 1);
	}
	/* era 1 (after 2036-02-07): a timestamp that wrapped is put after it */
	{
		int64_t t = 2085978496ll * NS + 5 * NS; /* era 1 starts at 2085978496 s */
		uint64_t ts = ls_ntp_unix_ns_to_ts(t);

		assert_true(ts >> 32 == 5);
		assert_int_equal(ls_ntp_ts_to_unix_ns(ts, t - NS), t);
	}
	/* extremes do not overflow */
	(void)ls_ntp_ts_to_unix_ns(UINT64_MAX, INT64_MAX);
	(void)ls_ntp_ts_to_unix_ns(0, INT64_MIN);
	(void)ls_ntp_unix_ns_to_ts(INT64_MIN);
}

static void test_offset_delay(void **state)
{
	uint8_t b[LS_NTP_PACKET_LEN];
	struct ls_ntp_result r;
	/* the server is 5 ms ahead; 2 ms each way; 1 ms inside the server */
	int64_t t1 = T0, t2 = T0 + 2 * NS / 1000 + 5 * NS / 1000, t3 = t2 + NS / 1000,
		t4 = T0 + 5 * NS / 1000;

	reply(b, 0, 2, t2, t3);
	assert_int_equal(ls_ntp_parse(b, sizeof(b), NONCE, t1, t4, &r), 0);
	assert_true(r.offset > 0.004999 && r.offset < 0.005001);
	assert_true(r.delay > 0.003999 && r.delay < 0.004001);
	assert_true(r.root_delay == 1.0 / 32);
	assert_true(r.root_dispersion == 1.0 / 64);
	assert_int_equal(r.stratum, 2);
	assert_int_equal(r.leap, 0);
	assert_int_equal(r.version, 4);
	assert_true(r.synchronised);

	/* the server 1 s behind */
	reply(b, 0, 1, T0 + NS / 1000 - NS, T0 + NS / 1000 - NS);
	assert_int_equal(ls_ntp_parse(b, sizeof(b), NONCE, T0, T0 + 2 * NS / 1000, &r), 0);
	assert_true(r.offset > -1.0000001 && r.offset < -0.9999999);
}

static void test_unsynchronised(void **state)
{
	uint8_t b[LS_NTP_PACKET_LEN];
	struct ls_ntp_result r;

	reply(b, 3, 2, T0 + 1000, T0 + 2000); /* leap 3 */
	assert_int_equal(ls_ntp_parse(b, sizeof(b), NONCE, T0, T0 + 5000, &r), 0);
	assert_false(r.synchronised);
	reply(b, 0, 16, T0 + 1000, T0 + 2000); /* stratum 16 */
	assert_int_equal(ls_ntp_parse(b, sizeof(b), NONCE, T0, T0 + 5000, &r), 0);
	assert_false(r.synchronised);
}

static void test_kiss_of_death(void **state)
{
	uint8_t b[LS_NTP_PACKET_LEN];
	struct ls_ntp_result r;

	reply(b, 3, 0, T0 + 1000, T0 + 2000);
	memcpy(b + 12, "RATE", 4);
	assert_int_equal(ls_ntp_parse(b, sizeof(b), NONCE, T0, T0 + 5000, &r), -ECONNREFUSED);
	assert_string_equal(r.kiss, "RATE");
	memcpy(b + 12, "\x01\xffOK", 4); /* unprintable codes are not logged raw */
	assert_int_equal(ls_ntp_parse(b, sizeof(b), NONCE, T0, T0 + 5000, &r), -ECONNREFUSED);
	assert_string_equal(r.kiss, "??OK");
	/* a spoofed kiss-o'-death (wrong origin) is not believed */
	put64(b + 24, NONCE + 1);
	assert_int_equal(ls_ntp_parse(b, sizeof(b), NONCE, T0, T0 + 5000, &r), -ENOMSG);
}

static void test_hostile(void **state)
{
	uint8_t good[LS_NTP_PACKET_LEN], b[LS_NTP_MAX_PACKET_LEN + 1];
	struct ls_ntp_result r;

	reply(good, 0, 2, T0 + 1000, T0 + 2000);
	/* short, and too long */
	for (size_t len = 0; len < LS_NTP_PACKET_LEN; len++)
		assert_int_equal(ls_ntp_parse(good, len, NONCE, T0, T0 + 5000, &r), -EBADMSG);
	memset(b, 0, sizeof(b));
	memcpy(b, good, sizeof(good));
	assert_int_equal(ls_ntp_parse(b, LS_NTP_MAX_PACKET_LEN, NONCE, T0, T0 + 5000, &r), 0);
	assert_int_equal(ls_ntp_parse(b, sizeof(b), NONCE, T0, T0 + 5000, &r), -EBADMSG);
	/* spoofed: the origin is not our nonce */
	assert_int_equal(ls_ntp_parse(good, sizeof(good), NONCE ^ 1, T0, T0 + 5000, &r), -ENOMSG);
	/* modes other than server (a client's own request echoed, a broadcast, ...) */
	for (uint8_t mode = 0; mode < 8; mode++) {
		if (mode == 4)
			continue;
		memcpy(b, good, sizeof(good));
		b[0] = (uint8_t)((b[0] & ~7) | mode);
		assert_int_equal(ls_ntp_parse(b, sizeof(good), NONCE, T0, T0 + 5000, &r), -EBADMSG);
	}
	/* versions 0, 5, 6, 7 */
	memcpy(b, good, sizeof(good));
	b[0] = (uint8_t)(b[0] & ~(7 << 3));
	assert_int_equal(ls_ntp_parse(b, sizeof(good), NONCE, T0, T0 + 5000, &r), -EBADMSG);
	b[0] = (uint8_t)(b[0] | 5 << 3);
	assert_int_equal(ls_ntp_parse(b, sizeof(good), NONCE, T0, T0 + 5000, &r), -EBADMSG);
	/* zero receive or transmit timestamp */
	memcpy(b, good, sizeof(good));
	memset(b + 32, 0, 8);
	assert_int_equal(ls_ntp_parse(b, sizeof(good), NONCE, T0, T0 + 5000, &r), -EBADMSG);
	memcpy(b, good, sizeof(good));
	memset(b + 40, 0, 8);
	assert_int_equal(ls_ntp_parse(b, sizeof(good), NONCE, T0, T0 + 5000, &r), -EBADMSG);
	/* sent before it was received */
	reply(b, 0, 2, T0 + 2000, T0 + 1000);
	assert_int_equal(ls_ntp_parse(b, sizeof(good), NONCE, T0, T0 + 5000, &r), -EBADMSG);
	/* the server claims to have held it longer than the round trip */
	reply(b, 0, 2, T0 + 1000, T0 + 1000 + 2 * NS);
	assert_int_equal(ls_ntp_parse(b, sizeof(good), NONCE, T0, T0 + 5000, &r), -EBADMSG);
	/* our clock went back, or the reply is a minute late */
	assert_int_equal(ls_ntp_parse(good, sizeof(good), NONCE, T0, T0 - 1, &r), -EBADMSG);
	assert_int_equal(ls_ntp_parse(good, sizeof(good), NONCE, T0, T0 + 61 * NS, &r), -EBADMSG);
	assert_int_equal(ls_ntp_parse(good, sizeof(good), NONCE, INT64_MIN, INT64_MAX, &r),
			 -EBADMSG);
	/* a tiny negative delay from coarse clocks is taken as zero */
	reply(b, 0, 2, T0 + 1000, T0 + 6000);
	assert_int_equal(ls_ntp_parse(b, sizeof(good), NONCE, T0, T0 + 4000, &r), 0);
	assert_true(r.delay == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),	      cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_offset_delay),  cmocka_unit_test(test_unsynchronised),
		cmocka_unit_test(test_kiss_of_death), cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
