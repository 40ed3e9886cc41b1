/* SPDX-License-Identifier: MIT */
/*
 * newzone.h — the slave side of NEWZONE_NOTIFY on the loop: a trusted
 * master says "zone Z now exists, transfer it from me", and this node
 * checks, creates, persists and transfers it.
 *
 * Owns: for each message with opcode 5 that the administrative listener
 * hands over, the whole exchange — a real UPDATE gets NOTIMP; a NEWZONE
 * candidate (common/newzone.h) is taken only from a configured remote (by
 * address) that has a TSIG key, with a valid TSIG from that key; then, per
 * the draft's §5.2, SOA and NS of the new zone are asked from the notifier
 * (TCP, TSIG-signed, a timeout) and the master named in the request must be
 * the SOA MNAME or in the NS set, and must itself be a configured remote
 * with a key (the zone is transferred from it). Then the zone is added
 * (ops.add_zone), recorded in node.state-dir/newzones (write, fsync,
 * rename), its transfer started (ops.transfer), and the response is
 * NOERROR; any failure after the request was accepted as authentic is
 * SERVFAIL (and nothing is created). Responses to authenticated requests
 * are TSIG-signed. At start, every zone of the list is added again and its
 * transfer started.
 * Must not: listen on sockets (the administrative listener does and passes
 * messages in), transfer zones itself (ops.transfer: the transfer client),
 * verify or serve zones (the zone manager, behind ops.add_zone).
 *
 * Blocking: the list is written synchronously on the loop (a few hundred
 * octets, once per zone created) — see docs/catalog.md.
 */
#ifndef LOCKSTEP_AGENT_NEWZONE_H
#define LOCKSTEP_AGENT_NEWZONE_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/config.h"
#include "common/message.h"

struct ls_newzone;

/* What NEWZONE does to the rest of the daemon; each returns 0 or -errno. */
struct ls_newzone_ops {
	int (*add_zone)(void *ctx, const uint8_t *origin); /* -EEXIST: held already */
	int (*remove_zone)(void *ctx, const uint8_t *origin);
	/* start the transfer of @origin from @master (AXFR), now and on its SOA timers */
	int (*transfer)(void *ctx, const uint8_t *origin, const struct ls_config_remote *master);
	void *ctx;
};

/* Where a response goes: called exactly once per handled message, maybe later. */
typedef void (*ls_newzone_reply_fn)(void *ctx, const uint8_t *resp, size_t len);

struct ls_newzone_opts {
	double timeout; /* seconds for the SOA/NS exchange with the master; 0: 10 s */
};

/**
 * Start on @loop with @cfg (kept until ls_newzone_reconfigure() or free).
 * The list in node.state-dir is read and every zone in it re-added and its
 * transfer started; a list that cannot be read is logged and left alone
 * (not overwritten until a zone is created). Returns 0 or -ENOMEM.
 */
int ls_newzone_new(struct ev_loop *loop, const struct ls_config *cfg,
		   const struct ls_newzone_ops *ops, const struct ls_newzone_opts *opts,
		   struct ls_newzone **out);

/** Cancel every exchange in flight (no reply is sent) and free. NULL is fine. */
void ls_newzone_free(struct ls_newzone *nz);

/**
 * A new configuration (SIGHUP), before the old one is freed: exchanges in
 * flight hold its remotes, so they are answered SERVFAIL now.
 */
void ls_newzone_reconfigure(struct ls_newzone *nz, const struct ls_config *cfg);

/**
 * Handle the request @wire (@len octets) with opcode 5 from @from. @reply
 * is called exactly once with the response (at once, or when the checks
 * are done), unless ls_newzone_forget(@ctx) is called first. A message
 * that does not even parse is answered FORMERR when it has a header.
 * Returns 0, or -EINVAL when @wire is not opcode 5 (nothing is called).
 */
int ls_newzone_handle(struct ls_newzone *nz, const uint8_t *wire, size_t len,
		      const struct sockaddr *from, ls_newzone_reply_fn reply, void *ctx);

/** Drop the pending replies to @ctx (its connection went away). */
void ls_newzone_forget(struct ls_newzone *nz, void *ctx);

/** Zones created by NEWZONE_NOTIFY (and kept in the list). */
size_t ls_newzone_count(const struct ls_newzone *nz);

#endif
