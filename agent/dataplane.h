/* SPDX-License-Identifier: MIT */
/*
 * dataplane.h — the XDP data plane as the agent drives it.
 *
 * Owns: loading ebpf/lockstep.bpf.c (its skeleton), sizing its maps,
 * attaching it to the service interface (native, generic as a logged
 * fallback, or not at all), pinning the maps under /sys/fs/bpf/lockstep
 * and re-adopting them after a restart (the program stays attached while
 * the agent is gone, and keeps answering until the lease runs out),
 * placing compiled generations (agent/compile.h) into the maps and
 * removing them, the per-zone control entries (written whole under the
 * entry's spin lock), the lease, and reading the per-CPU counters.
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
 * of this data plane. The whole entry is written under its lock.
 */
int ls_dataplane_set_zone(struct ls_dataplane *dp, const uint8_t *origin,
			  const struct ls_zone_ctl *ctl);
int ls_dataplane_get_zone(struct ls_dataplane *dp, const uint8_t *origin, struct ls_zone_ctl *ctl);
int ls_dataplane_remove_zone(struct ls_dataplane *dp, const uint8_t *origin);

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

/** Name of a counter ("answered", "pass_tcp", ...). */
const char *ls_dataplane_stat_name(enum ls_stat s);

#endif
