/* SPDX-License-Identifier: MIT */
/*
 * ixfr.h — the IXFR journal: per zone, the last few differences between
 * the versions this node served, for incremental transfers out (RFC 1995).
 *
 * Owns: computing the difference of two versions of a zone (struct
 * ls_zone) in one merge of their canonical-order walks — records only in
 * the old one are deletions, records only in the new one additions, an
 * RRset whose TTL changed is deleted and added whole, the SOA opens each
 * half as RFC 1995 §4 wants — and keeping, per zone, a chain of such
 * steps (A→B, B→C, ...) under one node-wide byte budget, oldest dropped
 * first. A step is a copy of the changed records in wire form (owner,
 * type, TTL, rdata), never a pointer into a zone: the zone table frees a
 * replaced generation at once (agent/zoneset.h). Steps are reference
 * counted, so a transfer in progress keeps the steps it sends even when
 * the journal drops them meanwhile.
 *
 * The diff runs in slices (ls_ixfr_work()) so that a large zone does not
 * hold the event loop: the journal then keeps the outgoing version until
 * its step is done — the zone table hands it over instead of freeing it.
 * Must not: touch sockets or the event loop, decide who may transfer, or
 * keep a step whose chain is broken: a step is appended only when it
 * starts at the serial the zone's chain ends with; anything else (a
 * version installed without a diff, a serial that is not newer, a diff too
 * large to keep) empties the zone's chain first. The journal lives in
 * memory only: after a restart it is empty and IXFR is answered in AXFR
 * form until the next change.
 */
#ifndef LOCKSTEP_AGENT_IXFR_H
#define LOCKSTEP_AGENT_IXFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zone.h"

#define LS_IXFR_DEFAULT_BUDGET (16u * 1024 * 1024) /* node.ixfr-journal-size */
#define LS_IXFR_MAX_STEPS 256 /* steps kept per zone, whatever their size */
/* nodes of a diff walked per slice: about a millisecond (docs/intake.md) */
#define LS_IXFR_SLICE_NODES 8192

/**
 * One step: the records that change serial @from into serial @to, laid
 * out in RFC 1995 §4 order as records (see ls_ixfr_rr_next()): the old
 * SOA, the deletions, the new SOA, the additions. Read-only once made.
 */
struct ls_ixfr_diff {
	unsigned refs;
	uint32_t from, to;
	uint8_t *wire; /* @len octets of records */
	size_t len;
	size_t ndel, nadd; /* records deleted and added, SOAs not counted */
	size_t new_soa; /* offset of the new SOA in @wire */
	/* the journal's links: the zone's chain and the node-wide age order */
	struct ls_ixfr_diff *znext, *gprev, *gnext;
	struct ls_ixfr_zone *zone; /* NULL once dropped from the journal */
};

/** One record of a step, pointing into its wire. */
struct ls_ixfr_rr {
	const uint8_t *owner; /* lowercased wire name */
	uint16_t type;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
};

/**
 * Decode the record at @off of @d into @rr. Returns the offset of the next
 * record, or 0 at the end (or on a malformed wire, which only a bug makes).
 */
size_t ls_ixfr_rr_next(const struct ls_ixfr_diff *d, size_t off, struct ls_ixfr_rr *rr);

/**
 * The difference from @old to @new (same origin) as a new step with one
 * reference. @max_bytes / @max_records (0: no limit) bound its size: a
 * step that would be larger stops the walk early with -EFBIG (AXFR is
 * cheaper then). Returns 0, -EFBIG, -EINVAL (no SOA, other origins) or
 * -ENOMEM.
 */
int ls_ixfr_diff_compute(const struct ls_zone *old, const struct ls_zone *new, size_t max_bytes,
			 size_t max_records, struct ls_ixfr_diff **out);

/** Take one more reference. */
void ls_ixfr_diff_get(struct ls_ixfr_diff *d);
/** Drop one reference; the last frees the step. NULL is fine. */
void ls_ixfr_diff_put(struct ls_ixfr_diff *d);
/** Octets a step holds (what the budget counts). */
size_t ls_ixfr_diff_size(const struct ls_ixfr_diff *d);

struct ls_ixfr;

/** A journal with a budget of @budget octets (0: disabled). 0 or -ENOMEM. */
int ls_ixfr_new(size_t budget, struct ls_ixfr **out);
/** Free the journal; steps still referenced by transfers live on. NULL is fine. */
void ls_ixfr_free(struct ls_ixfr *j);

/** A new budget (SIGHUP): older steps are dropped until the journal fits. */
void ls_ixfr_set_budget(struct ls_ixfr *j, size_t budget);

/**
 * The version served of a zone changed from @old to @new (either may be
 * NULL: installed without a predecessor, or removed); the caller is about
 * to free @old. The step is computed in slices of LS_IXFR_SLICE_NODES
 * nodes: the first one now — a zone that small is done at once and false
 * is returned, the caller frees @old as usual — the rest through
 * ls_ixfr_work(); then true is returned and the journal keeps @old (and
 * frees it when the step is done). @new must stay valid until then: when
 * it is replaced in turn, that call hands it over the same way. The step
 * is appended to the zone's chain when done; when the chain cannot be
 * continued (see the header) it is emptied and the zone's pending steps
 * dropped. A step larger than half of @new (in records) or than the budget
 * is not kept.
 */
bool ls_ixfr_replace(struct ls_ixfr *j, struct ls_zone *old, const struct ls_zone *new);

/**
 * Go on with the pending steps for at most @nodes nodes, oldest first.
 * Returns true while work is left (call again on a later loop turn).
 */
bool ls_ixfr_work(struct ls_ixfr *j, size_t nodes);
bool ls_ixfr_pending(const struct ls_ixfr *j);

/**
 * As ls_ixfr_replace(), computed to the end at once and without taking
 * @old over (tests, tools). Returns 0.
 */
int ls_ixfr_record(struct ls_ixfr *j, const struct ls_zone *old, const struct ls_zone *new);

/**
 * The steps from serial @from to serial @to of @origin, oldest first:
 * on success *@steps is a new array of *@n steps, each with a reference
 * taken for the caller (release with ls_ixfr_steps_put()). Returns 0, or
 * -ENOENT when the chain does not lead from @from to @to (unknown serial,
 * older than the chain, a broken chain), or -ENOMEM.
 */
int ls_ixfr_steps(const struct ls_ixfr *j, const uint8_t *origin, uint32_t from, uint32_t to,
		  struct ls_ixfr_diff ***steps, size_t *n);
/** Release what ls_ixfr_steps() returned. */
void ls_ixfr_steps_put(struct ls_ixfr_diff **steps, size_t n);

/** Octets held, steps kept (all zones), steps dropped for the budget so far. */
size_t ls_ixfr_bytes(const struct ls_ixfr *j);
size_t ls_ixfr_count(const struct ls_ixfr *j);
uint64_t ls_ixfr_evicted(const struct ls_ixfr *j);

#endif
