/* SPDX-License-Identifier: MIT */
/*
 * grow.h — making room in an array that grows by doubling.
 *
 * Owns: the one rule every growable buffer here follows (start at a size
 * the caller picks, double until the need fits, never overflow).
 * Must not: know what the array holds; callers keep their own length.
 */
#ifndef LOCKSTEP_COMMON_GROW_H
#define LOCKSTEP_COMMON_GROW_H

#include <stdint.h>
#include <stdlib.h>

/**
 * Room for @need elements of @elem octets in @p, which holds *@cap: @p
 * itself when it already fits, else the array reallocated to @first
 * elements (when *@cap is 0; also for @need 0, so that a non-NULL result
 * always means success) doubled until @need fits, with *@cap updated.
 * NULL when memory or size_t runs out; @p and *@cap are then unchanged.
 */
static inline void *ls_grow(void *p, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t c = *cap ? *cap : first;
	void *q;

	if (p && need <= *cap)
		return p;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return NULL;
		c *= 2;
	}
	if (c > SIZE_MAX / elem)
		return NULL;
	q = realloc(p, c * elem);
	if (q)
		*cap = c;
	return q;
}

#endif
