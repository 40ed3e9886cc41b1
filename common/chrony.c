/* SPDX-License-Identifier: MIT */
/*
 * chrony.c — see chrony.h.
 *
 * Fields are read at fixed offsets with explicit big-endian loads rather
 * than through a packed struct: the layout is chrony's, not ours, and an
 * offset table makes each bound check visible.
 */
#include "common/chrony.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/wire.h"

/* Reply header offsets (candm.h CMD_Reply). */
#define RPY_VERSION 0
#define RPY_PKT_TYPE 1
#define RPY_COMMAND 4
#define RPY_REPLY 6
#define RPY_STATUS 8
#define RPY_SEQUENCE 16

/* RPY_Tracking, from the start of the body. */
#define TRK_REF_ID 0
#define TRK_ADDR 4 /* IPAddr: 16 octets of address, family, padding */
#define TRK_FAMILY 20
#define TRK_STRATUM 24
#define TRK_LEAP 26
#define TRK_REF_SEC_HIGH 28
#define TRK_REF_SEC_LOW 32
#define TRK_REF_NSEC 36
#define TRK_FLOATS 40 /* nine floats from current_correction on */

#define PKT_TYPE_REQUEST 1
#define PKT_TYPE_REPLY 2
#define STT_SUCCESS 0
#define STT_UNAUTH 2
#define STT_BADPKTVERSION 18
#define TV_NOHIGHSEC 0x7fffffffu /* tv_sec_high of a 32-bit time_t sender */
#define MAX_STRATUM 16

#define FLOAT_EXP_BITS 7
#define FLOAT_COEF_BITS 25

double ls_chrony_float(uint32_t raw)
{
	/* sign-extend both parts by hand: no implementation-defined shifts */
	int32_t exp = (int32_t)(raw >> FLOAT_COEF_BITS);
	int32_t coef = (int32_t)(raw & ((1u << FLOAT_COEF_BITS) - 1));
	double scale = 1.0;

	if (exp >= 1 << (FLOAT_EXP_BITS - 1))
		exp -= 1 << FLOAT_EXP_BITS;
	if (coef >= 1 << (FLOAT_COEF_BITS - 1))
		coef -= 1 << FLOAT_COEF_BITS;
	/* exact: powers of two; no libm needed for at most 89 steps */

	for (int32_t e = exp - FLOAT_COEF_BITS; e > 0; e--)
		scale *= 2.0;
	for (int32_t e = exp - FLOAT_COEF_BITS; e < 0; e++)
		scale *= 0.5;
	return (double)coef * scale;
}

int ls_chrony_tracking_request(uint32_t seq, uint8_t *buf, size_t cap)
{
	if (cap < LS_CHRONY_TRACKING_LEN)
		return -ENOSPC;
	/*
	 * Header, no data, then zeros up to the reply's length: chronyd drops
	 * a version 6 request shorter than the reply it would send.
	 */
	memset(buf, 0, LS_CHRONY_TRACKING_LEN);
	buf[0] = LS_CHRONY_PROTO_VERSION;
	buf[1] = PKT_TYPE_REQUEST;
	ls_put16(buf + 4, LS_CHRONY_REQ_TRACKING);
	ls_put16(buf + 6, 0); /* attempt: each poll is a new sequence number */
	ls_put32(buf + 8, seq);
	return LS_CHRONY_TRACKING_LEN;
}

static bool nonneg(double v)
{
	return v >= 0.0;
}

int ls_chrony_tracking_parse(const uint8_t *buf, size_t len, uint32_t seq,
			     struct ls_chrony_tracking *out)
{
	const uint8_t *b = buf + LS_CHRONY_RPY_HEADER_LEN;
	uint16_t status, family, leap, stratum;
	uint32_t sec_high, nsec;
	double f[9];

	if (len < LS_CHRONY_RPY_HEADER_LEN || buf[RPY_PKT_TYPE] != PKT_TYPE_REPLY)
		return -EBADMSG;
	status = ls_get16(buf + RPY_STATUS);
	if (buf[RPY_VERSION] != LS_CHRONY_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (ls_get16(buf + RPY_COMMAND) != LS_CHRONY_REQ_TRACKING)
		return -EBADMSG;
	if (ls_get32(buf + RPY_SEQUENCE) != seq)
		return -ENOMSG;
	if (status == STT_BADPKTVERSION)
		return -EPROTONOSUPPORT;
	if (status == STT_UNAUTH)
		return -EACCES;
	if (status != STT_SUCCESS)
		return -EREMOTEIO;
	if (ls_get16(buf + RPY_REPLY) != LS_CHRONY_RPY_TRACKING || len != LS_CHRONY_TRACKING_LEN)
		return -EBADMSG;

	family = ls_get16(b + TRK_FAMILY);
	stratum = ls_get16(b + TRK_STRATUM);
	leap = ls_get16(b + TRK_LEAP);
	sec_high = ls_get32(b + TRK_REF_SEC_HIGH);
	nsec = ls_get32(b + TRK_REF_NSEC);
	if (family > LS_CHRONY_FAMILY_ID || stratum > MAX_STRATUM || leap > LS_CHRONY_LEAP_UNSYNC ||
	    nsec > 999999999u)
		return -EBADMSG;
	/* a time past 2^63 s is no time chronyd can have measured */
	if (sec_high != TV_NOHIGHSEC && sec_high > 0x7fffffffu)
		return -EBADMSG;
	for (size_t i = 0; i < 9; i++)
		f[i] = ls_chrony_float(ls_get32(b + TRK_FLOATS + 4 * i));
	/* rms offset, skew, root delay, root dispersion, update interval */
	if (!nonneg(f[2]) || !nonneg(f[5]) || !nonneg(f[6]) || !nonneg(f[7]) || !nonneg(f[8]))
		return -EBADMSG;

	memset(out, 0, sizeof(*out));
	out->ref_id = ls_get32(b + TRK_REF_ID);
	out->family = (enum ls_chrony_family)family;
	if (family == LS_CHRONY_FAMILY_INET4)
		memcpy(out->addr, b + TRK_ADDR, 4);
	else if (family == LS_CHRONY_FAMILY_INET6)
		memcpy(out->addr, b + TRK_ADDR, 16);
	out->stratum = stratum;
	out->leap = (enum ls_chrony_leap)leap;
	out->ref_time_sec = (int64_t)((sec_high == TV_NOHIGHSEC ? 0 : (uint64_t)sec_high << 32) |
				      ls_get32(b + TRK_REF_SEC_LOW));
	out->ref_time_nsec = nsec;
	out->current_correction = f[0];
	out->last_offset = f[1];
	out->rms_offset = f[2];
	out->freq_ppm = f[3];
	out->resid_freq_ppm = f[4];
	out->skew_ppm = f[5];
	out->root_delay = f[6];
	out->root_dispersion = f[7];
	out->last_update_interval = f[8];
	return 0;
}

const char *ls_chrony_leap_name(enum ls_chrony_leap leap)
{
	switch (leap) {
	case LS_CHRONY_LEAP_NORMAL:
		return "Normal";
	case LS_CHRONY_LEAP_INSERT:
		return "Insert second";
	case LS_CHRONY_LEAP_DELETE:
		return "Delete second";
	case LS_CHRONY_LEAP_UNSYNC:
		return "Not synchronised";
	}
	return "?";
}
