/* SPDX-License-Identifier: MIT */
/*
 * ntp.h — NTP client mode (RFC 5905 mode 3) packets: one query, one answer.
 *
 * Owns: building a client request and checking and decoding a server's
 * reply into offset, delay, root delay, root dispersion, leap and stratum.
 * The request carries a random nonce in its transmit timestamp instead of
 * the local time (as chronyd does; RFC 5905 §9.1 only needs the server to
 * echo it), so the reply's origin timestamp proves the reply answers this
 * very request: a blind spoofer must guess 64 random bits. The local send
 * and receive times are kept by the caller.
 * Must not: open sockets, read clocks or keep state; the clock guard
 * (agent/clockguard.c) does the I/O. Replies are hostile input
 * (tests/fuzz/fuzz_ntp.c).
 */
#ifndef LOCKSTEP_COMMON_NTP_H
#define LOCKSTEP_COMMON_NTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LS_NTP_PACKET_LEN 48
#define LS_NTP_MAX_PACKET_LEN 1024 /* header plus extension fields or a MAC */

/* Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
#define LS_NTP_UNIX_OFFSET 2208988800ull

struct ls_ntp_result {
	double offset; /* server clock minus local clock, seconds (theta) */
	double delay; /* round trip to the server, seconds (delta), >= 0 */
	double root_delay; /* the server's, seconds */
	double root_dispersion; /* the server's, seconds */
	uint8_t leap; /* 0..3; 3 = unsynchronised */
	uint8_t stratum; /* 1..16; 16 = unsynchronised */
	uint8_t version;
	uint32_t ref_id;
	bool synchronised; /* leap != 3 and 1 <= stratum <= 15 */
	char kiss[5]; /* the kiss code of a kiss-o'-death (stratum 0), NUL-terminated */
};

/**
 * Build a client request into @buf (at least LS_NTP_PACKET_LEN octets)
 * carrying @nonce as its transmit timestamp. Returns LS_NTP_PACKET_LEN or
 * -ENOSPC.
 */
int ls_ntp_request(uint64_t nonce, uint8_t *buf, size_t cap);

/**
 * Check and decode a reply of @len octets to the request that carried
 * @nonce, sent at local time @t1_ns and received at @t4_ns (nanoseconds
 * since the Unix epoch, the same clock). Returns 0 and fills @out, or:
 * -ENOMSG   not an answer to that request (origin timestamp differs): ignore it,
 * -EBADMSG  malformed or not a server reply (length, version, mode, zero or
 *           inconsistent timestamps, a negative delay, t4 before t1),
 * -ECONNREFUSED a kiss-o'-death (stratum 0): @out->kiss holds the code
 *           ("RATE", "DENY", ...), the rest of @out is not valid.
 * An unsynchronised server (leap 3 or stratum 16) is a valid reply with
 * @out->synchronised false.
 */
int ls_ntp_parse(const uint8_t *buf, size_t len, uint64_t nonce, int64_t t1_ns, int64_t t4_ns,
		 struct ls_ntp_result *out);

/**
 * An NTP timestamp (era-less 32.32 fixed point) as nanoseconds since the
 * Unix epoch, taking the era that puts it closest to @near_ns.
 */
int64_t ls_ntp_ts_to_unix_ns(uint64_t ts, int64_t near_ns);

/** Nanoseconds since the Unix epoch as an NTP timestamp (era folded away). */
uint64_t ls_ntp_unix_ns_to_ts(int64_t ns);

#endif
