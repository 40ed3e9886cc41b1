/* SPDX-License-Identifier: MIT */
/* serial.c — see serial.h. */
#include "common/serial.h"

enum ls_serial_order ls_serial_cmp(uint32_t a, uint32_t b)
{
	uint32_t d = b - a; /* modulo 2^32 */

	if (d == 0)
		return LS_SERIAL_EQUAL;
	if (d == 0x80000000u)
		return LS_SERIAL_UNDEFINED;
	/* a < b iff b - a (mod 2^32) is in (0, 2^31) */
	return d < 0x80000000u ? LS_SERIAL_LESS : LS_SERIAL_GREATER;
}

bool ls_serial_newer(uint32_t candidate, uint32_t current)
{
	return ls_serial_cmp(candidate, current) == LS_SERIAL_GREATER;
}

uint32_t ls_serial_add(uint32_t s, uint32_t n)
{
	if (n > 0x7FFFFFFFu)
		return s;
	return s + n;
}
