/* SPDX-License-Identifier: MIT */
/*
 * zoneset.h — the table of zones this node serves, and their generations.
 *
 * Owns: per zone origin the live and the next generation (struct ls_zone
 * pointers, owned by the set from the moment they are handed over) and the
 * zone's struct ls_zone_ctl (ebpf/lockstep.h: switch time T, withdrawal
 * time, ready flag, generation ids); the longest-suffix lookup of a query
 * name; the time of the current batch of packets; the slow path's record of
 * the last switch per zone (its first answer from the generation staged
 * for T, ls_zoneset_switch_info()); and the engine's lookup
 * callback, which applies ls_ctl_decide() — the one time rule — to every
 * query. What goes in comes from the zone manager (agent/zonemgr.h), which
 * verifies every version first.
 *
 * Must not: rewrite the time rule (it calls ls_ctl_decide() with the
 * slow path's lease, LS_TIME_NEVER, and nothing else), answer queries (the
 * engine does), touch sockets or the event loop, or read the clock per
 * packet: ls_zoneset_tick() reads CLOCK_TAI once per batch.
 *
 * Lifetime of generations: lockstepd runs one thread and one loop. A
 * pointer the lookup returns is used by the engine only while it builds one
 * response, synchronously, before control returns to the loop; every
 * change to the set also happens from the loop. So a generation that is
 * replaced (promotion, a new live or next, removal) is freed at once: by
 * then nobody holds it — or handed to the replacement hook
 * (ls_zoneset_on_replace()), which may keep it read-only a while. If answering ever moves to other threads, this is
 * the place that needs reference counts (or an epoch) instead.
 *
 * Which zone decides: the zone whose origin is the longest suffix of the
 * query name. If that zone is silent now (withdrawn, T passed without a
 * ready next generation, nothing loaded yet), the query gets no response —
 * a parent zone served by the same node does not answer in its place,
 * because "silent for Z" (DESIGN.md invariant 3) must hold for every name
 * in Z, and a referral from the parent would only send the resolver back
 * to this same silent address.
 */
#ifndef LOCKSTEP_AGENT_ZONESET_H
#define LOCKSTEP_AGENT_ZONESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/zone.h"
#include "ebpf/lockstep.h"

struct ls_zoneset;

/** Create an empty set. Returns 0 or -ENOMEM. */
int ls_zoneset_new(struct ls_zoneset **out);

/** Free the set and every generation it holds. NULL is fine. */
void ls_zoneset_free(struct ls_zoneset *zs);

/** Number of zones in the set. */
size_t ls_zoneset_count(const struct ls_zoneset *zs);

/**
 * Point @out[0..@max) at the origins of the set (lowercased wire form, in
 * no particular order), for mirroring the whole set (the data plane).
 * The pointers stay valid until the next change to the set. Returns the
 * number of zones, which may be more than @max (then only @max are set).
 */
size_t ls_zoneset_origins(const struct ls_zoneset *zs, const uint8_t **out, size_t max);

/**
 * A counter that moves with every change to the set — zones added or
 * removed, generations installed, staged, made ready or promoted, a
 * withdrawal — and with nothing else (lookups, ticks). A mirror that last
 * synced at this value has nothing to redo.
 */
uint64_t ls_zoneset_changes(const struct ls_zoneset *zs);

/**
 * Add @origin (wire form, any case) with no generation: the zone is
 * configured but silent until a live generation is installed. Adding an
 * origin that is already there is not an error. Returns 0, -ENOMEM or
 * -EINVAL (a bad name).
 */
int ls_zoneset_add(struct ls_zoneset *zs, const uint8_t *origin);

/**
 * Remove the zone and free its generations. Returns 0 or -ENOENT.
 */
int ls_zoneset_remove(struct ls_zoneset *zs, const uint8_t *origin);

/**
 * Install @zone as the live generation of its origin (ls_zone_origin()),
 * adding the origin if needed. The set takes @zone over, also on failure.
 * The previous live generation is freed; a pending next generation, T and
 * any withdrawal are left as they are. Returns 0 or -ENOMEM.
 */
int ls_zoneset_set_live(struct ls_zoneset *zs, struct ls_zone *zone);

/**
 * Stage a switch of @origin at @switch_at (CLOCK_TAI ns) to @next, which
 * may be NULL: a plan whose data has not arrived. The set takes @next over,
 * also on failure. The staged generation is not ready (LS_CTL_NEXT_READY
 * cleared), so the programmed outcome at T is silence until
 * ls_zoneset_next_ready() (DESIGN.md invariant 3). A previous next
 * generation is freed. Returns 0, -ENOENT (no such zone), or -EINVAL
 * (@next's origin is not @origin).
 */
int ls_zoneset_stage_next(struct ls_zoneset *zs, const uint8_t *origin, struct ls_zone *next,
			  uint64_t switch_at);

/**
 * Keep the live generation of @origin from answering (@hold true) without
 * dropping it: LS_CTL_HAS_LIVE is cleared, so before T the zone is silent,
 * while a staged next generation still answers from its T. Invariant 3 needs
 * it: a zone that missed a plan's S stays silent until something newer than
 * what it was serving is verified, even when the plan is replaced or dropped.
 * Installing a live generation (ls_zoneset_set_live) or promoting the next
 * one ends the hold. Returns 0 or -ENOENT.
 */
int ls_zoneset_hold_live(struct ls_zoneset *zs, const uint8_t *origin, bool hold);
bool ls_zoneset_live_held(const struct ls_zoneset *zs, const uint8_t *origin);

/**
 * Declare the staged next generation of @origin verified and fully loaded:
 * from T on it answers. Returns 0, -ENOENT (no such zone) or -ENODATA (no
 * next generation staged).
 */
int ls_zoneset_next_ready(struct ls_zoneset *zs, const uint8_t *origin);

/**
 * Withdraw @origin from @at (CLOCK_TAI ns; 0: now). @at = LS_TIME_NEVER
 * cancels a withdrawal. Returns 0 or -ENOENT.
 */
int ls_zoneset_withdraw(struct ls_zoneset *zs, const uint8_t *origin, uint64_t at);

/**
 * Housekeeping: for every zone whose T has passed at @now with a ready next
 * generation, make next the live one (freeing the old live) and clear the
 * switch. Answers do not change: the time rule flipped them at T already;
 * this only frees memory and makes room for the next plan. Returns the
 * number of zones promoted.
 */
size_t ls_zoneset_promote(struct ls_zoneset *zs, uint64_t now);

/*
 * Called when the live generation of a zone is replaced — by
 * ls_zoneset_set_live() over an existing one, by ls_zoneset_promote(), or
 * with @new NULL by ls_zoneset_remove() — with both generations, just
 * before @old is freed: the one moment both are in memory (the IXFR
 * journal, agent/ixfr.h, diffs them here). Returning true takes @old over
 * (the callee frees it; the set forgets it at once, so nothing answers
 * from it); false lets the set free it. It must not change the set.
 */
typedef bool (*ls_zoneset_replace_fn)(void *ctx, struct ls_zone *old, const struct ls_zone *new);

/** Set the replacement callback (NULL: none). */
void ls_zoneset_on_replace(struct ls_zoneset *zs, ls_zoneset_replace_fn fn, void *ctx);

/** Read CLOCK_TAI in nanoseconds (0 if the clock cannot be read). */
uint64_t ls_zoneset_clock(void);

/**
 * Start a batch of packets: read CLOCK_TAI once; every lookup until the
 * next tick decides with that time.
 */
void ls_zoneset_tick(struct ls_zoneset *zs);

/** Set the batch time explicitly (tests, replay). */
void ls_zoneset_set_now(struct ls_zoneset *zs, uint64_t now);
uint64_t ls_zoneset_now(const struct ls_zoneset *zs);

/**
 * The zone answering @qname_lower (lowercased wire name) at the batch time:
 * the longest origin that is a suffix of @qname_lower decides. Returns the
 * generation to answer from; or NULL with *@silent false when no zone
 * matches (the engine answers REFUSED), or NULL with *@silent true when the
 * matching zone is silent now (no response). Zones that are not served
 * (ls_zoneset_set_served()) are passed over.
 * Signature of ls_engine_lookup_fn (agent/engine.h), with the set as @ctx.
 */
const struct ls_zone *ls_zoneset_lookup(void *zs, const uint8_t *qname_lower, bool *silent);

/**
 * Whether @origin is answered on the service addresses. A zone that is not
 * served (a catalog zone: transferred, verified, stored and given to peers
 * by AXFR on the administrative interface, RFC 9432 §1) keeps its
 * generations and control state, but ls_zoneset_lookup() passes over it as
 * if it were absent — its names get REFUSED, or the answer of a served
 * parent zone — and the data plane does not load it (ls_dataplane_sync()),
 * so both paths agree. Zones are served when added. Changing the property
 * counts as a change (ls_zoneset_changes()). Returns 0 or -ENOENT.
 */
int ls_zoneset_set_served(struct ls_zoneset *zs, const uint8_t *origin, bool served);

/** True when @origin is in the set and served (see ls_zoneset_set_served()). */
bool ls_zoneset_served(const struct ls_zoneset *zs, const uint8_t *origin);

/**
 * The control state of @origin, as the data plane would hold it.
 * Returns 0 or -ENOENT.
 */
int ls_zoneset_ctl(const struct ls_zoneset *zs, const uint8_t *origin, struct ls_zone_ctl *ctl);

/*
 * The last switch of a zone as the slow path saw it (docs/clock.md,
 * "Where the switch happened"): @at is the T of the last plan staged
 * (CLOCK_TAI ns; LS_TIME_NEVER: never one), @first_next_ns the batch time
 * (ls_zoneset_tick()) of the first lookup that answered from the
 * generation staged for that T — as next, or as live after promotion —
 * or 0 when none has yet; @promoted once that generation became the live
 * one. A new T resets it; dropping a plan does not.
 */
struct ls_zoneset_switch {
	uint64_t at;
	uint64_t first_next_ns;
	bool promoted; /* that generation was promoted to live (the switch is done) */
};

/** Fill @out for @origin. Returns 0 or -ENOENT. */
int ls_zoneset_switch_info(const struct ls_zoneset *zs, const uint8_t *origin,
			   struct ls_zoneset_switch *out);

/** The live (or next) generation of @origin; NULL when none or no such zone. */
const struct ls_zone *ls_zoneset_live(const struct ls_zoneset *zs, const uint8_t *origin);
const struct ls_zone *ls_zoneset_next(const struct ls_zoneset *zs, const uint8_t *origin);

#endif
