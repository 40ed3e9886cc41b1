/* SPDX-License-Identifier: MIT */
/*
 * server.h — the slow path: DNS over UDP and TCP on the shared addresses.
 *
 * Owns: the UDP and TCP sockets bound to service.addresses / service.port
 * (and nothing else: the administrative interface is never served here),
 * batched UDP receive and send (recvmmsg/sendmmsg), TCP per RFC 7766
 * (two-octet length framing, pipelined queries answered in order, partial
 * reads and writes, an idle timeout, a connection limit), and the counters
 * of all that. Everything runs in the caller's libev loop; no call blocks.
 *
 * Must not: answer queries itself — a responder callback (in lockstepd the
 * answer engine over the zone set) turns each query into a response — or
 * read the clock for the time rule: it calls the batch callback once per
 * batch of packets, where the zone set reads CLOCK_TAI.
 *
 * Socket choices (see server.c for why): IPv4 replies leave with DF clear
 * and IPv6 replies ignore path MTU (IP_PMTUDISC_OMIT / IPV6_PMTUDISC_OMIT,
 * RFC 3258 §2.5); sockets are bound with IP_FREEBIND, so lockstepd may
 * start before the shared address is configured on the host.
 */
#ifndef LOCKSTEP_AGENT_SERVER_H
#define LOCKSTEP_AGENT_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/config.h"

/* Transports, as the engine's LS_ENGINE_UDP / LS_ENGINE_TCP. */
enum { LS_SERVER_UDP = 0, LS_SERVER_TCP = 1 };

#define LS_SERVER_UDP_BATCH 64 /* datagrams per recvmmsg/sendmmsg */
#define LS_SERVER_UDP_BUFLEN 4096 /* largest UDP query read and response sent */
#define LS_SERVER_TCP_IDLE_TIMEOUT 10.0 /* seconds, default */
#define LS_SERVER_TCP_MAX_CONNS 256 /* default */
#define LS_SERVER_TCP_MAX_QUERY 16384 /* larger length prefixes close the connection */

/**
 * Turn @query (@qlen octets) received over @transport into a response in
 * @resp (at most @cap octets). Returns its length, 0 to send nothing, or a
 * negative errno (counted; nothing is sent). The signature of
 * ls_engine_respond() minus the zone lookup, which the callback's @ctx binds.
 */
typedef int (*ls_server_respond_fn)(void *ctx, const uint8_t *query, size_t qlen, int transport,
				    uint8_t *resp, size_t cap);

/** Called once before each batch of queries is answered (read the clock there). */
typedef void (*ls_server_batch_fn)(void *ctx);

struct ls_server_opts {
	ls_server_respond_fn respond;
	ls_server_batch_fn batch; /* may be NULL */
	void *ctx;
	double tcp_idle_timeout; /* seconds; 0: LS_SERVER_TCP_IDLE_TIMEOUT */
	unsigned tcp_max_conns; /* 0: LS_SERVER_TCP_MAX_CONNS */
	unsigned udp_batch; /* 1..LS_SERVER_UDP_BATCH; 0: LS_SERVER_UDP_BATCH */
};

struct ls_server_stats {
	uint64_t udp_queries; /* datagrams received */
	uint64_t udp_responses; /* datagrams sent */
	uint64_t
		udp_dropped; /* no response: the responder said so, failed, or the query was oversized */
	uint64_t udp_send_errors;
	uint64_t tcp_queries;
	uint64_t tcp_responses;
	uint64_t tcp_dropped; /* queries without a response */
	uint64_t tcp_accepted; /* connections */
	uint64_t tcp_closed; /* every connection closed, for whatever reason */
	uint64_t tcp_timeouts; /* closed for being idle */
	uint64_t tcp_evicted; /* idle connections closed to make room at the limit */
	uint64_t tcp_refused; /* new connections closed at once: at the limit, none idle */
	uint64_t tcp_bad_length; /* closed for a length prefix under 12 or over the limit */
	uint64_t tcp_errors; /* closed on a socket error */
};

struct ls_server;

/**
 * Bind a UDP and a TCP socket on each of @addrs (port as given: 0 picks an
 * ephemeral one, see ls_server_sockname()) and start serving in @loop.
 * @opts is copied. Returns 0 or a negative errno (nothing stays bound).
 */
int ls_server_new(struct ev_loop *loop, const struct ls_config_addr *addrs, size_t naddrs,
		  const struct ls_server_opts *opts, struct ls_server **out);

/** Stop, close every socket and connection, free. NULL is fine. */
void ls_server_free(struct ls_server *s);

/** The address socket @i (of @transport) is bound to. Returns 0 or -ENOENT. */
int ls_server_sockname(const struct ls_server *s, size_t i, int transport,
		       struct sockaddr_storage *ss, socklen_t *len);

const struct ls_server_stats *ls_server_stats(const struct ls_server *s);

/** Open TCP connections. */
size_t ls_server_tcp_conns(const struct ls_server *s);

#endif
