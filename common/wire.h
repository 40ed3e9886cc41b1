/* SPDX-License-Identifier: MIT */
/*
 * wire.h — big-endian (network order) integers in byte buffers.
 *
 * Owns: reading and writing 16- and 32-bit fields at unaligned addresses, as
 * DNS, NTP and chrony messages lay them out. One copy for every module.
 * Must not: check bounds; the caller has.
 */
#ifndef LOCKSTEP_COMMON_WIRE_H
#define LOCKSTEP_COMMON_WIRE_H

#include <stdint.h>

static inline uint16_t ls_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ls_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ls_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ls_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif /* LOCKSTEP_COMMON_WIRE_H */
