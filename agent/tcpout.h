/* SPDX-License-Identifier: MIT */
/*
 * tcpout.h — the outgoing half of a DNS-over-TCP connection (RFC 7766):
 * messages queued with their 2-octet length prefix and written without
 * blocking as the socket drains.
 *
 * Owns: one connection's output buffer. Shared by the slow path's TCP
 * listener (agent/server.c) and the administrative listener (agent/admin.c)
 * so framing and partial writes are written once.
 * Must not: know about the event loop or the connection around it: the
 * caller starts or stops its write watcher from ls_tcpout_unsent().
 */
#ifndef LOCKSTEP_AGENT_TCPOUT_H
#define LOCKSTEP_AGENT_TCPOUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ls_tcpout {
	uint8_t *buf;
	size_t off; /* first octet not yet sent */
	size_t len; /* octets queued */
	size_t cap;
};

/** Queue @msg (at most 65535 octets) behind its length prefix. 0 or -ENOMEM. */
int ls_tcpout_put(struct ls_tcpout *o, const uint8_t *msg, size_t len);

/**
 * Send what is queued on @fd until it is all out or the socket would block.
 * Returns the octets sent by this call (0 included), or a negative errno when
 * the connection is broken. A drained buffer is reset for reuse.
 */
ssize_t ls_tcpout_send(struct ls_tcpout *o, int fd);

/** Octets queued and not yet sent. */
static inline size_t ls_tcpout_unsent(const struct ls_tcpout *o)
{
	return o->len - o->off;
}

/** Free the buffer; the struct may be reused (zeroed). */
void ls_tcpout_free(struct ls_tcpout *o);

#endif
