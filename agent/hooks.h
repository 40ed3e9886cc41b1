/* SPDX-License-Identifier: MIT */
/*
 * hooks.h — the operator's commands run when the node starts or stops
 * serving a zone (or all zones): the way to announce or withdraw the shared
 * prefix through a BGP speaker such as BIRD.
 *
 * Owns: running hooks.on-serve / hooks.on-withdraw (posix_spawn, no shell)
 * as `HOOK ZONE REASON` with LOCKSTEP_EVENT, LOCKSTEP_ZONE, LOCKSTEP_SERIAL
 * (serve only), LOCKSTEP_REASON and LOCKSTEP_DETAIL in an otherwise minimal
 * environment; capturing their stdout and stderr into the log, one line per
 * output line; killing the hook's process group at hooks.timeout; logging
 * the exit status; running the events of one zone one at a time, in order
 * (a newer event waits for the running hook). ZONE is the zone's name with
 * its final dot, or "*" for all zones: through the zone manager's events,
 * "*" is served when the first zone starts being served and withdrawn when
 * the last one stops (one shared prefix for every zone).
 * Must not: block the event loop (a child's exit is seen through a pidfd on
 * the loop, its output through a non-blocking pipe), or decide when a zone
 * is served (the zone manager does and calls these through its events).
 */
#ifndef LOCKSTEP_AGENT_HOOKS_H
#define LOCKSTEP_AGENT_HOOKS_H

#include <ev.h>
#include <stdint.h>

#include "agent/zonemgr.h"
#include "common/config.h"

#define LS_HOOKS_MAX_QUEUE 64 /* events waiting per zone; more are dropped, logged */

struct ls_hooks;

struct ls_hooks_opts {
	const char *on_serve; /* NULL: none */
	const char *on_withdraw; /* NULL: none */
	uint64_t timeout_ns;
};

struct ls_hooks_stats {
	uint64_t started; /* hooks spawned */
	uint64_t succeeded; /* exited 0 */
	uint64_t failed; /* exited non-zero, killed by a signal, or could not start */
	uint64_t timed_out; /* killed at the timeout (counted in failed too) */
	uint64_t dropped; /* events dropped because a zone's queue was full */
	unsigned int running; /* hooks running now */
};

/** Fill @o from the configuration. */
void ls_hooks_opts_from_config(const struct ls_config *cfg, struct ls_hooks_opts *o);

/** Create the hook runner on @loop. Returns 0 or a negative errno. */
int ls_hooks_new(struct ev_loop *loop, const struct ls_hooks_opts *o, struct ls_hooks **out);

/** New commands and timeout (SIGHUP); running and queued hooks keep theirs. */
int ls_hooks_reconfigure(struct ls_hooks *h, const struct ls_hooks_opts *o);

/**
 * Queue an on-serve (@serial of @origin, NULL for all zones) or on-withdraw
 * event. @reason is a short token ("plan", "clock", ...), @detail free text
 * (may be NULL). Returns 0 (also when no hook is configured: nothing runs),
 * -ENOBUFS when the zone's queue is full, -ENOMEM.
 */
int ls_hooks_serve(struct ls_hooks *h, const uint8_t *origin, uint32_t serial, const char *reason,
		   const char *detail);
int ls_hooks_withdraw(struct ls_hooks *h, const uint8_t *origin, const char *reason,
		      const char *detail);

/**
 * The zone manager's event callbacks, pointed at this runner: each zone's
 * event runs its hook, and the node-wide "*" events are derived from them
 * (serve "*" when the first zone is served, withdraw "*" after the last).
 */
void ls_hooks_zonemgr_events(struct ls_hooks *h, struct ls_zonemgr_events *ev);

void ls_hooks_stats(const struct ls_hooks *h, struct ls_hooks_stats *out);

/**
 * Kill every running hook's process group, reap it, drop what is queued.
 * NULL is fine.
 */
void ls_hooks_free(struct ls_hooks *h);

#endif
