/* SPDX-License-Identifier: MIT */
/*
 * compile.h — one zone generation turned into the XDP data plane's tables.
 *
 * Owns: which (name, type) pairs the data plane answers, and the response
 * bodies it answers with, every one of them produced by ls_engine_respond()
 * from a synthetic query (DESIGN.md invariant 1: the data plane holds the
 * engine's precomputed output, it never builds DNS data itself). The map
 * layout is ebpf/lockstep.h's; docs/dataplane.md explains the choices.
 * Must not: touch BPF maps (agent/dataplane.c loads what this produces),
 * or change the zone.
 *
 * Per node of the zone, in reverse canonical order (descendants before
 * ancestors, so a loader that runs out of room stops before any ancestor
 * could answer for a name it has not loaded):
 *   (name, type)        for each type the node holds (for a CNAME node,
 *                       each type the zone holds: the chain decides);
 *   (name, OTHER)       the answer for every other type, and in .below the
 *                       answer for names below it that do not exist
 *                       (NXDOMAIN, a referral at a cut, a wildcard's
 *                       NODATA), or 0 (pass) where that depends on the
 *                       name (DNAME, signed denial under DO);
 *   (name, type, BELOW) for a node with a wildcard child, per type of the
 *                       wildcard.
 * Signed zones get every entry twice, without and with LS_KEY_DO; the DO
 * form of a name-dependent denial is 0 (pass). A body the engine builds
 * that does not fit the tables becomes 0 (pass) in place, never a missing
 * entry, so a lookup can never fall through to a wrong ancestor.
 */
#ifndef LOCKSTEP_AGENT_COMPILE_H
#define LOCKSTEP_AGENT_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/lockstep.h"

struct ls_zone;

/* A body as stored in the maps, with its size class. */
struct ls_compile_body {
	struct ls_body_hdr h;
	uint8_t data[LS_BODY_SIZE3];
	uint8_t cls; /* 0..LS_BODY_CLASSES-1 */
};

/*
 * A compiled generation. Body references in vals[] use the index into
 * bodies[] (ls_compile_ref()), not a map slot: the loader places bodies
 * and rewrites references as it inserts.
 */
struct ls_compiled {
	uint32_t gen;
	bool is_signed;
	struct ls_ans_key *keys;
	struct ls_ans_val *vals;
	size_t n, cap;
	struct ls_compile_body *bodies;
	size_t nbodies, bodies_cap;
	size_t per_class[LS_BODY_CLASSES]; /* bodies of each class */
	size_t passed; /* entries that became 0 (pass) */
	size_t skipped_long; /* nodes with names over LS_XDP_NAME_MAX */
};

/* A compiled reference is (class + 1) << LS_BODY_CLASS_SHIFT | index in bodies[]. */
static inline uint32_t ls_compile_ref(const struct ls_compiled *c, size_t i)
{
	return ((uint32_t)c->bodies[i].cls + 1) << LS_BODY_CLASS_SHIFT | (uint32_t)i;
}

/**
 * Compile @zone as generation @gen. Returns 0 and sets *@out, or -ENOMEM.
 * Cost: a few engine calls per node; a million delegations take seconds.
 */
int ls_compile_zone(const struct ls_zone *zone, uint32_t gen, struct ls_compiled **out);

/** Free a compiled generation; NULL is fine. */
void ls_compiled_free(struct ls_compiled *c);

/**
 * Does the engine's response to a mixed-case spelling of @qname (a name in
 * @zone; its apex will do) differ from the response to the lowercase one
 * only in the echoed question? True means the data plane may answer
 * mixed-case queries (LS_GLOBAL_CASEFOLD). False also when @qname has no
 * letter to change.
 */
bool ls_compile_casefold_ok(const struct ls_zone *zone, const uint8_t *qname);

#endif
