/* SPDX-License-Identifier: MIT */
/*
 * zonemgr.h — the per-zone state machine: what each zone serves, and why.
 *
 * Owns: for every zone the node serves (configured, or a catalog member),
 * the versions it holds (live, staged next), the plan it follows, its state
 * (DESIGN.md "Switch plans", issue 7's state machine), the verdict on every
 * version offered to it, and the events a node reports (serve / withdraw).
 * Every version of every zone enters through ls_zonemgr_offer(), from any
 * source (zone file, AXFR/IXFR, spool, peer): it is verified
 * (common/verify.h) off the event loop, stored (agent/store.h) and only then
 * handed to the zone table (agent/zoneset.h, and so to the data plane) —
 * as live at once, or staged as next for a plan's T.
 * Must not: speak DNS on the network (intake does), parse catalogs
 * (common/catalog.h does), read the clock's quality (the clock guard tells
 * it through ls_zonemgr_clock()), or write the time rule (ebpf/lockstep.h
 * holds it; this module only programs switch_at / withdraw_at / ready).
 *
 * Threading: everything here runs on the daemon's one libev loop, except the
 * verification itself, which runs on worker threads; its result comes back
 * to the loop (ev_async) before anything is stored or served.
 */
#ifndef LOCKSTEP_AGENT_ZONEMGR_H
#define LOCKSTEP_AGENT_ZONEMGR_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "ebpf/lockstep.h"

struct ls_config;
struct ls_zone;
struct ls_zoneset;
struct ls_zonemgr;

/* Where a zone is in its life. */
enum ls_zstate {
	LS_ZSTATE_EMPTY = 0, /* no verified version yet: silent */
	LS_ZSTATE_SERVING, /* a live version answers, nothing pending */
	LS_ZSTATE_PLANNED, /* a plan (S, T) accepted; S not verified yet: silent from T */
	LS_ZSTATE_STAGED, /* S verified and loaded as next: serves S from T */
	LS_ZSTATE_WITHDRAWN, /* silent: missed S at T, expired, clock distrusted, or by hand */
};

/* Why the node withdrew a zone (or all zones). */
enum ls_zreason {
	LS_ZREASON_NONE = 0,
	LS_ZREASON_MISSED_PLAN, /* T passed without a verified S */
	LS_ZREASON_CLOCK, /* the clock guard does not trust the clock */
	LS_ZREASON_EXPIRED, /* no primary refreshed the zone for SOA EXPIRE */
	LS_ZREASON_REMOVED, /* removed from the configuration or the catalog */
	LS_ZREASON_OPERATOR, /* withdrawn by hand */
	LS_ZREASON_LEASE, /* the agent's lease lapsed (data plane) */
};

/* A switch plan: serve exactly @serial from @at. */
struct ls_zplan {
	bool active;
	uint32_t serial;
	uint64_t at_tai_ns; /* T on CLOCK_TAI */
	uint64_t at_unix; /* T as published (UTC seconds), for reports */
};

/* A snapshot of one zone, for health, status, metrics and lockstepctl. */
struct ls_zinfo {
	uint8_t origin[LS_DNAME_MAXLEN];
	enum ls_zstate state;
	enum ls_zreason reason; /* when WITHDRAWN */
	bool has_live;
	uint32_t live_serial;
	bool has_next;
	uint32_t next_serial;
	bool next_ready;
	/*
	 * The zone set's control entry, the input of the time rule both paths
	 * apply per query (ls_ctl_decide()); has_ctl false when the zone is
	 * not in the set (then nothing answers for it). served false for a
	 * catalog zone: held and given to peers, never answered on the
	 * service address (ls_zoneset_set_served()).
	 */
	bool has_ctl, served;
	struct ls_zone_ctl ctl;
	struct ls_zplan plan;
	uint64_t withdraw_at_tai_ns; /* LS_TIME_NEVER when none */
	char last_verdict[512]; /* "ok" or the first finding, as ls_verify_format() */
	uint64_t last_verdict_unix;
	char last_source[128]; /* "file /etc/...", "axfr 198.51.100.10@53", "spool ..." */
	uint64_t last_transfer_unix;
	uint64_t offers, verify_failures, switches, withdrawals;
	/*
	 * The last switch and where it happened (docs/clock.md): its T
	 * (LS_TIME_NEVER: none yet), and the CLOCK_TAI time of the first
	 * answer from the generation staged for it, per path (0: none yet).
	 * The zone manager fills the slow path's (ls_zoneset_switch_info());
	 * the daemon adds the data plane's.
	 */
	uint64_t switch_at_tai_ns;
	uint64_t first_next_slow_ns;
	uint64_t first_next_xdp_ns;
};

/* Serve / withdraw events, for hooks and logs. @origin NULL: all zones. */
struct ls_zonemgr_events {
	void (*on_serve)(void *ctx, const uint8_t *origin, uint32_t serial, const char *why);
	void (*on_withdraw)(void *ctx, const uint8_t *origin, enum ls_zreason reason,
			    const char *why);
	void *ctx;
};

/**
 * Create the manager on @loop over @zones (the table the slow path and the
 * data plane read). Zones of @cfg are registered (empty until a version
 * arrives); their files, if any, are offered at once; versions kept in
 * node.state-dir are re-adopted first without a new transfer.
 */
int ls_zonemgr_new(struct ev_loop *loop, const struct ls_config *cfg, struct ls_zoneset *zones,
		   const struct ls_zonemgr_events *ev, struct ls_zonemgr **out);
void ls_zonemgr_free(struct ls_zonemgr *m);

/** Apply a new configuration (SIGHUP): zones added, removed, policies changed. */
int ls_zonemgr_reconfigure(struct ls_zonemgr *m, const struct ls_config *cfg);

/**
 * Add or remove a zone that is not in the configuration (a catalog member).
 * @settings_from: a configured zone whose policies to copy (catalog "group"
 * mapping), or NULL for the defaults. -EEXIST / -ENOENT.
 */
int ls_zonemgr_add_zone(struct ls_zonemgr *m, const uint8_t *origin, const uint8_t *settings_from);
int ls_zonemgr_remove_zone(struct ls_zonemgr *m, const uint8_t *origin);

/**
 * Offer a candidate version (it is taken over, also on failure). @source
 * says where it came from ("axfr 198.51.100.10@53"). Verification runs off
 * the loop; the verdict is logged with zone, serial and reason, and a
 * rejected version leaves what is served untouched. Returns 0 when the
 * version was queued, -ENOENT for an unknown zone, -EALREADY when that
 * serial is already held or being verified.
 */
int ls_zonemgr_offer(struct ls_zonemgr *m, const uint8_t *origin, struct ls_zone *zone,
		     const char *source);

/**
 * Accept a plan from the catalog: from @at_unix (UTC seconds, fraction in
 * @at_nsec), serve exactly @serial. Programs "withdraw at T" at once;
 * only a verified, fully loaded S replaces it with "serve S at T". A plan
 * naming a serial older than the live one is logged and ignored (-ESTALE).
 */
int ls_zonemgr_plan(struct ls_zonemgr *m, const uint8_t *origin, uint32_t serial, uint64_t at_unix,
		    uint32_t at_nsec);

/** Drop the plan of a zone (the catalog no longer carries it). */
int ls_zonemgr_unplan(struct ls_zonemgr *m, const uint8_t *origin);

/**
 * The clock guard's verdict: when @trusted is false, every pending switch
 * becomes a withdrawal from T - @budget_ns until the clock is trusted again.
 */
void ls_zonemgr_clock(struct ls_zonemgr *m, bool trusted, uint64_t budget_ns);

/** Withdraw a zone by hand or for expiry, until a newer verified version. */
int ls_zonemgr_withdraw(struct ls_zonemgr *m, const uint8_t *origin, enum ls_zreason reason);

/** Snapshots: the number of zones, and zone @i (0 <= i < count) into @out. */
size_t ls_zonemgr_count(const struct ls_zonemgr *m);
int ls_zonemgr_info(const struct ls_zonemgr *m, size_t i, struct ls_zinfo *out);
int ls_zonemgr_find_info(const struct ls_zonemgr *m, const uint8_t *origin, struct ls_zinfo *out);

/** The live serial of a zone (-ENOENT: unknown or no live version). */
int ls_zonemgr_live_serial(const struct ls_zonemgr *m, const uint8_t *origin, uint32_t *serial);

const char *ls_zstate_name(enum ls_zstate s);
const char *ls_zreason_name(enum ls_zreason r);

/* ---- added by the implementation (additions only; nothing above changed) ---- */

/*
 * Configuration lifetime: ls_zonemgr_new() and ls_zonemgr_reconfigure()
 * keep @cfg (to know which zones are catalogs: held, verified, stored and
 * transferred to peers, but never answered on the service addresses —
 * ls_zoneset_set_served()) until the next reconfiguration or the free.
 */

/**
 * Verdict of a zone file taken in through ls_zonemgr_offer_spool():
 * @accepted is true when the version was verified and is held (live,
 * staged or waiting for a plan); @verdict is "ok" or the reason.
 */
typedef void (*ls_zonemgr_file_done_fn)(void *ctx, const char *path, bool accepted,
					const char *verdict);

/**
 * Offer the zone file @path from outside (the spool): loaded off the loop
 * with $INCLUDE refused, its origin taken from its SOA or its file name
 * (common/zonefile.h), then offered as ls_zonemgr_offer() with @source.
 * @done is called on the loop with the verdict, exactly once, unless
 * ls_zonemgr_forget(@ctx) was called first. Returns 0 or -ENOMEM.
 */
int ls_zonemgr_offer_spool(struct ls_zonemgr *m, const char *path, const char *source,
			   ls_zonemgr_file_done_fn done, void *ctx);

/** Drop every pending @done callback with context @ctx (its owner goes away). */
void ls_zonemgr_forget(struct ls_zonemgr *m, void *ctx);

/**
 * Housekeeping, run every second on the loop: promote generations whose T
 * passed, finish plans, report serve/withdraw transitions. Public for tests.
 */
void ls_zonemgr_tick(struct ls_zonemgr *m);

/** Tests: use @tai_ns as "now" everywhere (also the zone table's batch time); 0: the real clock. */
void ls_zonemgr_set_now(struct ls_zonemgr *m, uint64_t tai_ns);

/** Versions queued or being verified (tests wait for 0). */
size_t ls_zonemgr_pending(const struct ls_zonemgr *m);

/**
 * UTC (UNIX seconds + nanoseconds, as plans publish T) to CLOCK_TAI
 * nanoseconds: the kernel's TAI offset (adjtimex().tai, read now; 0 when no
 * leap-second table is loaded) is added, as CLOCK_TAI itself does.
 */
uint64_t ls_zonemgr_utc_to_tai(uint64_t at_unix, uint32_t at_nsec);

/**
 * The conversion itself, for tests: @tai is adjtimex()'s tai, @leap_state
 * its return value (TIME_INS / TIME_DEL: a leap second at the end of the
 * UTC day of @now_unix, after which CLOCK_TAI - CLOCK_REALTIME is one more
 * or one less), so a T after that midnight gets the offset that will then
 * be in force (docs/clock.md). A T past 2262 gives LS_TIME_NEVER - 1.
 */
uint64_t ls_zonemgr_utc_to_tai_with(uint64_t at_unix, uint32_t at_nsec, int64_t tai, int leap_state,
				    uint64_t now_unix);

#endif
