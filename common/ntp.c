/* SPDX-License-Identifier: MIT */
/*
 * ntp.c — see ntp.h.
 *
 * Times are carried as signed 64-bit nanoseconds since the Unix epoch; an
 * NTP era (2^32 s) is about 4.3e18 ns, so one era either side of the local
 * time still fits, and the era of each server timestamp is the one that
 * puts it nearest to the local send time (RFC 5905 §6: the protocol works
 * with differences of less than 68 years).
 */
#include "common/ntp.h"

#include <errno.h>
#include <string.h>

#include "common/wire.h"

#define NS_PER_S 1000000000ll
#define ERA_NS (4294967296ll * NS_PER_S)
#define MODE_CLIENT 3
#define MODE_SERVER 4
#define VERSION 4
#define LEAP_UNSYNC 3
#define STRATUM_UNSYNC 16
/* Clocks of different resolution can make a loopback round trip look
 * slightly negative; beyond this it is a lie. */
#define NEGATIVE_DELAY_SLACK_NS 1000000ll
#define MAX_WAIT_NS (60 * NS_PER_S)

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)ls_get32(p) << 32 | ls_get32(p + 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int64_t ls_ntp_ts_to_unix_ns(uint64_t ts, int64_t near_ns)
{
	int64_t sec = (int64_t)(ts >> 32);
	int64_t frac_ns =
		(int64_t)(((ts & 0xffffffffull) * (uint64_t)NS_PER_S + (1ull << 31)) >> 32);
	/* era 0: 1900-01-01 .. 2036-02-07 */
	int64_t v = (sec - (int64_t)LS_NTP_UNIX_OFFSET) * NS_PER_S + frac_ns;

	int64_t d;

	/* at most a few steps: near_ns is an int64, v starts within one era of 0 */
	for (int i = 0; i < 4; i++) {
		if (__builtin_sub_overflow(near_ns, v, &d) || d <= ERA_NS / 2 ||
		    v > INT64_MAX - ERA_NS)
			break;
		v += ERA_NS;
	}
	for (int i = 0; i < 4; i++) {
		if (__builtin_sub_overflow(v, near_ns, &d) || d <= ERA_NS / 2 ||
		    v < INT64_MIN + ERA_NS)
			break;
		v -= ERA_NS;
	}
	return v;
}

uint64_t ls_ntp_unix_ns_to_ts(int64_t ns)
{
	int64_t sec = ns / NS_PER_S, rem = ns % NS_PER_S;
	uint64_t frac;

	if (rem < 0) {
		rem += NS_PER_S;
		sec--;
	}
	frac = ((uint64_t)rem << 32) / (uint64_t)NS_PER_S;
	return (uint64_t)(uint32_t)((uint64_t)sec + LS_NTP_UNIX_OFFSET) << 32 | frac;
}

int ls_ntp_request(uint64_t nonce, uint8_t *buf, size_t cap)
{
	if (cap < LS_NTP_PACKET_LEN)
		return -ENOSPC;
	memset(buf, 0, LS_NTP_PACKET_LEN);
	buf[0] = VERSION << 3 | MODE_CLIENT; /* leap 0 */
	put64(buf + 40, nonce);
	return LS_NTP_PACKET_LEN;
}

static void kiss_code(const uint8_t *p, char out[5])
{
	for (int i = 0; i < 4; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[4] = '\0';
}

int ls_ntp_parse(const uint8_t *buf, size_t len, uint64_t nonce, int64_t t1_ns, int64_t t4_ns,
		 struct ls_ntp_result *out)
{
	uint8_t leap, version, mode, stratum;
	uint64_t rx, tx;
	int64_t t2, t3, delay, span, off1, off2;

	memset(out, 0, sizeof(*out));
	if (len < LS_NTP_PACKET_LEN || len > LS_NTP_MAX_PACKET_LEN)
		return -EBADMSG;
	leap = buf[0] >> 6;
	version = (buf[0] >> 3) & 7;
	mode = buf[0] & 7;
	if (mode != MODE_SERVER || version < 1 || version > 4)
		return -EBADMSG;
	/* before anything else is believed, even a kiss-o'-death */
	if (get64(buf + 24) != nonce)
		return -ENOMSG;
	stratum = buf[1];
	if (stratum == 0) {
		kiss_code(buf + 12, out->kiss);
		return -ECONNREFUSED;
	}
	rx = get64(buf + 32);
	tx = get64(buf + 40);
	/* a reply later than MAX_WAIT is stale, and the bound keeps the sums below in range */
	if (rx == 0 || tx == 0 || t4_ns < t1_ns || __builtin_sub_overflow(t4_ns, t1_ns, &delay) ||
	    delay > MAX_WAIT_NS)
		return -EBADMSG;
	t2 = ls_ntp_ts_to_unix_ns(rx, t1_ns);
	t3 = ls_ntp_ts_to_unix_ns(tx, t1_ns);
	if (t3 < t2)
		return -EBADMSG;
	/*
	 * t2 and t3 are only known to lie within half an era (68 years) of t1,
	 * more than an int64 of nanoseconds spans: a hostile reply could make
	 * these differences overflow. A server that far from our clock is not
	 * one to learn from, so such a reply is refused.
	 */
	if (__builtin_sub_overflow(t3, t2, &span) || __builtin_sub_overflow(t2, t1_ns, &off1) ||
	    __builtin_sub_overflow(t3, t4_ns, &off2))
		return -EBADMSG;
	/* 0 <= t4 - t1 <= MAX_WAIT and span >= 0: no overflow */
	delay = (t4_ns - t1_ns) - span;
	if (delay < -NEGATIVE_DELAY_SLACK_NS)
		return -EBADMSG;
	if (delay < 0)
		delay = 0;

	out->offset = ((double)off1 + (double)off2) / 2.0 / (double)NS_PER_S;
	out->delay = (double)delay / (double)NS_PER_S;
	out->root_delay = (double)ls_get32(buf + 4) / 65536.0;
	out->root_dispersion = (double)ls_get32(buf + 8) / 65536.0;
	out->leap = leap;
	out->stratum = stratum;
	out->version = version;
	out->ref_id = ls_get32(buf + 12);
	out->synchronised = leap != LEAP_UNSYNC && stratum < STRATUM_UNSYNC;
	return 0;
}
