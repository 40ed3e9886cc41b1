/* SPDX-License-Identifier: MIT */
/*
 * notify.h — NOTIFY out (RFC 1996): telling peers that a new version of a
 * zone is served here, so they pull it without waiting for SOA REFRESH.
 *
 * Owns: for each zone or catalog with a `notify:` list (and each member of
 * such a catalog, through the catalog's list), when a version goes
 * live (the zone manager's on_serve event), one NOTIFY per address of each
 * listed remote over UDP, TSIG-signed with the remote's key when it has
 * one, sent from the node's first admin.listen address of the same family
 * (so peers recognise the sender as their primary), retried with doubling
 * timeouts until a matching response (same ID, verified TSIG) arrives or
 * the tries run out (RFC 1996 §3.6). A newer serial for the same zone and
 * address replaces a NOTIFY still in flight.
 * Must not: block (everything is non-blocking on the loop), decide what a
 * peer does with it, or transfer zones.
 */
#ifndef LOCKSTEP_AGENT_NOTIFY_H
#define LOCKSTEP_AGENT_NOTIFY_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

#define LS_NOTIFY_TIMEOUT 2.0 /* seconds before the first retry; doubles each try */
#define LS_NOTIFY_TRIES 5

struct ls_notify_opts {
	double timeout; /* 0: LS_NOTIFY_TIMEOUT */
	unsigned tries; /* 0: LS_NOTIFY_TRIES */
};

struct ls_notify_stats {
	uint64_t started; /* notifications (zone, address) begun */
	uint64_t sent; /* datagrams sent, retries included */
	uint64_t acked; /* answered NOERROR, TSIG verified */
	uint64_t refused; /* answered with an error RCODE or a bad TSIG */
	uint64_t timed_out; /* no answer after every try */
	uint64_t replaced; /* superseded by a newer serial */
};

struct ls_notify;

/** Start on @loop; @cfg must stay valid until reconfigure or free. */
int ls_notify_new(struct ev_loop *loop, const struct ls_config *cfg,
		  const struct ls_notify_opts *opts, struct ls_notify **out);

/** Cancel everything in flight and free. NULL is fine. */
void ls_notify_free(struct ls_notify *n);

/** A new configuration: notifications in flight are cancelled (they hold old remotes). */
void ls_notify_reconfigure(struct ls_notify *n, const struct ls_config *cfg);

/**
 * @origin now serves @serial: notify every remote in the `notify:` list of
 * its zone or catalog entry. Returns the number of notifications started
 * (0: no list), or a negative errno.
 */
int ls_notify_zone(struct ls_notify *n, const uint8_t *origin, uint32_t serial);

/**
 * @origin, a member of catalog @catalog (RFC 9432), now serves @serial:
 * notify every remote in the `notify:` list of that catalog's entry, since
 * peers that follow the same catalog from this node take its members from
 * here too. A zone also configured by name gets its own list instead
 * (ls_notify_zone()), as does any zone when @catalog is NULL. Returns the
 * number of notifications started, or a negative errno.
 */
int ls_notify_member(struct ls_notify *n, const uint8_t *origin, uint32_t serial,
		     const uint8_t *catalog);

/** Notify one remote (all its addresses). Returns how many were started. */
int ls_notify_remote(struct ls_notify *n, const uint8_t *origin, uint32_t serial,
		     const struct ls_config_remote *remote);

/** Notifications still waiting for an answer. */
size_t ls_notify_pending(const struct ls_notify *n);

const struct ls_notify_stats *ls_notify_stats(const struct ls_notify *n);

#endif
