/* SPDX-License-Identifier: MIT */
/*
 * serial.h — serial number arithmetic (RFC 1982, SERIAL_BITS = 32).
 *
 * Owns: comparison of SOA serials. Two serials exactly 2^31 apart are
 * incomparable: RFC 1982 §3.2 leaves the result undefined, and lockstep treats
 * such a pair as "not newer" so an ambiguous serial is never taken as an
 * upgrade.
 */
#ifndef LOCKSTEP_COMMON_SERIAL_H
#define LOCKSTEP_COMMON_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

enum ls_serial_order {
	LS_SERIAL_LESS = -1,
	LS_SERIAL_EQUAL = 0,
	LS_SERIAL_GREATER = 1,
	LS_SERIAL_UNDEFINED = 2, /* exactly 2^31 apart */
};

/** Compare @a with @b: is a less than, equal to or greater than b. */
enum ls_serial_order ls_serial_cmp(uint32_t a, uint32_t b);

/** True only when @candidate is strictly newer than @current. */
bool ls_serial_newer(uint32_t candidate, uint32_t current);

/** RFC 1982 §3.1 addition; @n must be at most 2^31 - 1 (else returns @s). */
uint32_t ls_serial_add(uint32_t s, uint32_t n);

#endif
