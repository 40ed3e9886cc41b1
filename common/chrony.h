/* SPDX-License-Identifier: MIT */
/*
 * chrony.h — chronyd's command protocol ("candm"), the tracking request.
 *
 * Owns: building the REQ_TRACKING request and decoding the RPY_TRACKING
 * reply of chronyd's command protocol, version 6, as chronyc speaks it over
 * chronyd's Unix command socket. Written from the published protocol
 * definition (candm.h, pktlength.c and the float format of util.c in the
 * chrony sources): every multi-octet field is big-endian; a request is
 * padded to the length of the reply it asks for (so the command port cannot
 * amplify traffic); floats are 32 bits, a 7-bit signed exponent over a
 * 25-bit signed coefficient without hidden bit: coef * 2^(exp - 25).
 * Must not: open sockets or keep state. The socket I/O lives in
 * agent/clockguard.c; these are pure functions over octet buffers, and the
 * reply decoder treats its input as hostile (tests/fuzz/fuzz_chrony.c).
 */
#ifndef LOCKSTEP_COMMON_CHRONY_H
#define LOCKSTEP_COMMON_CHRONY_H

#include <stddef.h>
#include <stdint.h>

#define LS_CHRONY_PROTO_VERSION 6
#define LS_CHRONY_REQ_TRACKING 33
#define LS_CHRONY_RPY_NULL 1
#define LS_CHRONY_RPY_TRACKING 5
#define LS_CHRONY_REQ_HEADER_LEN 20 /* version .. pad2 */
#define LS_CHRONY_RPY_HEADER_LEN 28 /* version .. pad5 */
#define LS_CHRONY_TRACKING_BODY_LEN 76 /* RPY_Tracking up to its end-of-record */
/* The tracking reply, and so the padded tracking request. */
#define LS_CHRONY_TRACKING_LEN (LS_CHRONY_RPY_HEADER_LEN + LS_CHRONY_TRACKING_BODY_LEN)

/* chronyd's leap status in the tracking report. */
enum ls_chrony_leap {
	LS_CHRONY_LEAP_NORMAL = 0,
	LS_CHRONY_LEAP_INSERT = 1,
	LS_CHRONY_LEAP_DELETE = 2,
	LS_CHRONY_LEAP_UNSYNC = 3, /* "Not synchronised" */
};

/* The address family of the reference in the tracking report. */
enum ls_chrony_family {
	LS_CHRONY_FAMILY_UNSPEC = 0,
	LS_CHRONY_FAMILY_INET4 = 1,
	LS_CHRONY_FAMILY_INET6 = 2,
	LS_CHRONY_FAMILY_ID = 3, /* a reference clock: only ref_id names it */
};

/* chronyd's tracking report, decoded. Times in seconds. */
struct ls_chrony_tracking {
	uint32_t ref_id; /* e.g. 0x7F7F0101 for the local reference, "LOCL" */
	enum ls_chrony_family family;
	uint8_t addr[16]; /* 4 octets for INET4, 16 for INET6, zero otherwise */
	uint16_t stratum; /* 0..16 */
	enum ls_chrony_leap leap;
	int64_t ref_time_sec; /* UTC seconds of the last update, 0 when none */
	uint32_t ref_time_nsec;
	/*
	 * The correction chronyd is still applying: positive means the
	 * system clock is behind ("slow of NTP time"), negative ahead.
	 */
	double current_correction;
	double last_offset;
	double rms_offset;
	double freq_ppm;
	double resid_freq_ppm;
	double skew_ppm;
	double root_delay;
	double root_dispersion;
	double last_update_interval;
};

/**
 * Build a tracking request with sequence number @seq into @buf (at least
 * LS_CHRONY_TRACKING_LEN octets). Returns the length to send
 * (LS_CHRONY_TRACKING_LEN) or -ENOSPC.
 */
int ls_chrony_tracking_request(uint32_t seq, uint8_t *buf, size_t cap);

/**
 * Decode the reply @buf of @len octets to the tracking request with
 * sequence number @seq. Returns 0 and fills @out, or:
 * -EBADMSG a malformed datagram (short, long, not a reply, wrong command or
 *          reply code, a field out of its range),
 * -ENOMSG  a well-formed reply to another request (sequence differs): ignore it,
 * -EPROTONOSUPPORT chronyd speaks another protocol version,
 * -EACCES  chronyd refused the command (STT_UNAUTH: not root),
 * -EREMOTEIO chronyd reported another failure status.
 */
int ls_chrony_tracking_parse(const uint8_t *buf, size_t len, uint32_t seq,
			     struct ls_chrony_tracking *out);

/** chronyd's 32-bit float (host order) as a double. Exact; always finite. */
double ls_chrony_float(uint32_t raw);

/** "Normal", "Insert second", "Delete second", "Not synchronised". */
const char *ls_chrony_leap_name(enum ls_chrony_leap leap);

#endif
