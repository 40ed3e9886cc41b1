/* SPDX-License-Identifier: MIT */
/*
 * dataplane.h — the XDP data plane as the agent drives it.
 *
 * Owns: loading ebpf/lockstep.bpf.c (its skeleton), sizing its maps,
 * attaching it to the service interface (native, generic as a logged
 * fallback, or not at all), pinning the maps under /sys/fs/bpf/lockstep
 * (one directory per instance, the symlink `current` naming the live one)
 * and re-adopting them after a restart (the program stays attached while
 * the agent is gone, and keeps answering until the lease runs out),
 * placing compiled generations (agent/compile.h) into the maps and
 * removing them, growing the maps when a generation does not fit, the
 * per-zone control entries (a sequence-counted copy per zone slot, written
 * through an mmap: no reader acts on a half-written one), the shared
 * addresses, the lease, and reading the per-CPU counters.
 * Must not: decide what a zone's control state is (agent/zoneset.c does,
 * with the rule of ebpf/lockstep.h), or build answers.
 *
 * Ordering that keeps readers safe: a generation's bodies and entries are
 * all in the maps before ls_dataplane_set_zone() names its id; a
 * generation is unloaded only after no control entry names it, and its
 * body slots are reused only after that (see docs/dataplane.md).
 */
#ifndef LOCKSTEP_AGENT_DATAPLANE_H
#define LOCKSTEP_AGENT_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/config.h"
#include "ebpf/lockstep.h"

struct ls_compiled;
struct ls_dataplane;

#define LS_DATAPLANE_PIN_DIR "/sys/fs/bpf/lockstep"

struct ls_dataplane_opts {
	const char *ifname; /* NULL: load only (tests drive it with BPF_PROG_TEST_RUN) */
	enum ls_config_xdp mode; /* LS_CONFIG_XDP_OFF: ls_dataplane_open() does nothing */
	const char *pin_dir; /* NULL: LS_DATAPLANE_PIN_DIR; "": no pinning */
	uint16_t port; /* service.port; 0: 53 */
	size_t answers_max; /* cap of the answer table; 0: a default */
	size_t bodies_max[LS_BODY_CLASSES]; /* 0: a default each */
	size_t zones_max; /* 0: a default */
	/* clock.lease. The agent's own long steps renew the lease to now + this
	 * (CLOCK_TAI) before they start: re-adopting pinned maps (before the
	 * program is loaded and verified, which can take seconds on a busy
	 * host), compiling a generation, and growing the maps (before and
	 * after the new instance is loaded), so the program keeps answering
	 * while the agent works.
	 * 0: never renewed here. */
	uint64_t lease_ns;
	/* Benchmarks only (tests/bench/bench_xdp.c): 0 serves normally; n > 0
	 * drops every query to a shared address at step n of the program
	 * (enum ls_bench_cut in ebpf/lockstep.h), so the kernel's statistics
	 * show what the steps before it cost under real traffic. */
	uint32_t bench_cut;
};

/**
 * Load and attach, or re-adopt what a previous agent left pinned in
 * @opts->pin_dir (then the maps and their contents are kept, and the
 * program is replaced in place, so no query goes unanswered).
 * Returns 0 with *@out set (NULL when the mode is off), or a negative
 * errno: -EOPNOTSUPP when built without BPF, -EPERM without privileges.
 */
int ls_dataplane_open(const struct ls_dataplane_opts *opts, struct ls_dataplane **out);

/** True when this open re-adopted pinned maps. */
bool ls_dataplane_readopted(const struct ls_dataplane *dp);

/**
 * Free the handle; what is attached and pinned stays (a restart
 * re-adopts it; the lease bounds how long it answers alone). NULL is fine.
 */
void ls_dataplane_free(struct ls_dataplane *dp);

/** Clean stop: detach the program, remove the pins, free. NULL is fine. */
void ls_dataplane_shutdown(struct ls_dataplane *dp);

/** Serve @ss (AF_INET or AF_INET6; the port is ignored). Returns 0 or a negative errno. */
int ls_dataplane_add_addr(struct ls_dataplane *dp, const struct sockaddr_storage *ss);

/**
 * Stop serving every address that is not one of the @n in @keep (after a
 * restart the re-adopted maps hold the previous run's; the configuration
 * may have dropped one). Call before ls_dataplane_add_addr() for each of
 * @keep. Returns 0 or a negative errno.
 */
int ls_dataplane_keep_addrs(struct ls_dataplane *dp, const struct ls_config_addr *keep, size_t n);

/** A fresh generation id (kept in the pinned maps, so unique across restarts). */
uint32_t ls_dataplane_new_gen(struct ls_dataplane *dp);

/**
 * Place @c (compiled with an id from ls_dataplane_new_gen()) into the maps.
 * Entries that do not fit are left out in compile order (descendants first),
 * so what is missing is passed, never answered wrongly. Returns 0 (also
 * when entries were left out: *@left_out says how many, may be NULL) or a
 * negative errno.
 */
int ls_dataplane_load(struct ls_dataplane *dp, const struct ls_compiled *c, size_t *left_out);

/** Remove generation @gen's entries and free its bodies. Returns 0 or a negative errno. */
int ls_dataplane_unload(struct ls_dataplane *dp, uint32_t gen);

/**
 * Write the control entry of @origin (wire form): @ctl with generation ids
 * of this data plane. A zone new to the data plane gets a control slot,
 * written before the zone's entry that names it; later calls rewrite the
 * slot in place as a seqlock writer (the program passes, never answers,
 * while a write is under way). Not thread-safe: one writer (the agent's
 * loop). -ENOSPC when no slot is free, -EEXIST when another origin holds
 * the hash.
 */
int ls_dataplane_set_zone(struct ls_dataplane *dp, const uint8_t *origin,
			  const struct ls_zone_ctl *ctl);
int ls_dataplane_get_zone(struct ls_dataplane *dp, const uint8_t *origin, struct ls_zone_ctl *ctl);
int ls_dataplane_remove_zone(struct ls_dataplane *dp, const uint8_t *origin);

/**
 * When the data plane first answered @origin from generation @gen as the
 * next generation (the switch as the packets saw it): the earliest, over
 * all CPUs, bpf_ktime_get_tai_ns() of a query for which the program's
 * ls_ctl_decide() said LS_CTL_NEXT with next_gen == @gen (answered in
 * place or passed to the slow path, which decides alike). @gen is this
 * data plane's id (ls_zone_ctl.next_gen before the promotion, .live_gen
 * after it; see ls_dataplane_get_zone()). Returns 0 with *@tai_ns set
 * (CLOCK_TAI ns), -ENOENT when no CPU recorded one for @gen (or the zone
 * is unknown), another negative errno on failure.
 */
int ls_dataplane_first_next(struct ls_dataplane *dp, const uint8_t *origin, uint32_t gen,
			    uint64_t *tai_ns);

/** Renew the lease: answer until @deadline (CLOCK_TAI ns). */
void ls_dataplane_renew(struct ls_dataplane *dp, uint64_t deadline);

/** Let the program answer mixed-case queries (see ls_compile_casefold_ok()). */
void ls_dataplane_set_casefold(struct ls_dataplane *dp, bool on);

/** Sum the per-CPU counters into @out (indexed by enum ls_stat). */
int ls_dataplane_stats(struct ls_dataplane *dp, uint64_t out[LS_STAT_MAX]);

/** The answering program's fd (BPF_PROG_TEST_RUN in tests and benchmarks). */
int ls_dataplane_prog_fd(const struct ls_dataplane *dp);
/** The no-op program's fd (the benchmarks' baseline). */
int ls_dataplane_noop_fd(const struct ls_dataplane *dp);

/** For health: "native", "generic"; the interface ("" when not attached). */
const char *ls_dataplane_mode_name(const struct ls_dataplane *dp);
const char *ls_dataplane_ifname(const struct ls_dataplane *dp);
/** The lease deadline as the program sees it (CLOCK_TAI ns; 0: never leased). */
uint64_t ls_dataplane_lease(const struct ls_dataplane *dp);

/** Octets the kernel reports for the maps (memlock / bpftool's "bytes"). */
size_t ls_dataplane_map_memory(struct ls_dataplane *dp);

struct ls_zoneset;

/**
 * Size @opts's maps for the zones @zs holds now (@origins, @n of them):
 * room for two generations of each (live and next) and some slack.
 * Compiles every live zone once. Returns 0 or -ENOMEM.
 */
int ls_dataplane_estimate(const struct ls_zoneset *zs, const uint8_t *const *origins, size_t n,
			  struct ls_dataplane_opts *opts);

/**
 * Mirror @zs into the data plane: every zone of @origins (@n of them: all
 * zones of the set, configured or from catalogs) gets its live and next
 * generations compiled and loaded (once each: a generation is known by its
 * zone pointer and serial), then its control entry written with the zone
 * set's switch time, withdrawal and flags and this data plane's generation
 * ids; generations no control entry names any more are unloaded; zones no
 * not in @origins are removed. Zones the set does not serve
 * (ls_zoneset_set_served(): catalogs) are treated as not in @origins, so
 * XDP never answers what the slow path refuses. Call after every change to @zs (load,
 * stage, ready, withdraw, promote, reload). Returns 0 or the first error
 * (the rest is still done; what failed is passed to the slow path).
 */
int ls_dataplane_sync(struct ls_dataplane *dp, const struct ls_zoneset *zs,
		      const uint8_t *const *origins, size_t n);

/*
 * Sizing and growth (docs/dataplane.md, "Sizing and growth"). The maps are
 * sized at open; a load that would not fit grows them: a new instance of
 * the program with larger maps, every map's content copied over, the
 * attached program replaced in one atomic swap, the pins switched to the
 * new instance. Nothing shrinks while serving.
 */
struct ls_dataplane_caps {
	size_t answers; /* entries of ls_answers */
	size_t bodies[LS_BODY_CLASSES]; /* slots of ls_bodies0..3 */
	size_t zones; /* entries of ls_zones */
};

/**
 * Capacity arithmetic of a growth: @cur the maps' sizes, @need what must
 * fit now (entries in use plus the new ones; for a body class, the highest
 * slot a contiguous new range would need). A dimension whose need exceeds
 * its size grows to max(2 × size, 9/4 × need: live and next side by side
 * plus a quarter); the others keep their size. Returns 1 with *@out set
 * when something must grow, 0 (*@out = *@cur) when everything fits,
 * -E2BIG when a need exceeds what a map can hold at all.
 */
int ls_dataplane_grow_target(const struct ls_dataplane_caps *cur,
			     const struct ls_dataplane_caps *need, struct ls_dataplane_caps *out);

/** The maps' sizes (@cap) and what is in use (@used); either may be NULL. */
void ls_dataplane_capacity(const struct ls_dataplane *dp, struct ls_dataplane_caps *cap,
			   struct ls_dataplane_caps *used);

/**
 * Grow the maps to at least @to (dimensions already larger are kept):
 * see above. Runs on the caller's thread; the attached program answers
 * from the old maps until the swap. Returns 0 or a negative errno (then
 * the old instance is untouched and keeps serving).
 */
int ls_dataplane_grow(struct ls_dataplane *dp, const struct ls_dataplane_caps *to);

/**
 * Make room for @c (and @zones control entries in all), growing the maps
 * if it would not fit. Returns 0 when it fits (after a growth or not), or
 * a negative errno when it cannot grow: then a load leaves out what does
 * not fit, for the slow path.
 */
int ls_dataplane_reserve(struct ls_dataplane *dp, const struct ls_compiled *c, size_t zones);

struct ls_dataplane_growth {
	uint64_t grows; /* successful growths since open */
	uint64_t failures; /* growths that failed (then entries were left out) */
	uint64_t left_out; /* entries left out of loads since open: the slow path answers them */
	uint64_t last_ns; /* how long the last growth took (CLOCK_MONOTONIC) */
};

/** Growth counters of this agent (zero when @dp is NULL). */
void ls_dataplane_growth_stats(const struct ls_dataplane *dp, struct ls_dataplane_growth *out);

/** Name of a counter ("answered", "pass_tcp", ...). */
const char *ls_dataplane_stat_name(enum ls_stat s);

#endif
