/* SPDX-License-Identifier: MIT */
/*
 * admin.h — the administrative listener: DNS over UDP and TCP on
 * admin.listen (never on the service addresses).
 *
 * Owns: the sockets on admin.listen, TCP per RFC 7766 (length framing,
 * requests answered in order, an idle timeout, a connection limit, output
 * backpressure), and the dispatcher that decides what each request gets:
 *  - TSIG first (RFC 8945 §5.2): a signed request is verified against the
 *    keys of the configured remotes; a failure is answered NOTAUTH with the
 *    TSIG error (BADKEY/BADSIG unsigned, BADTIME signed) or FORMERR, and
 *    nothing else happens. Every answer to a verified request is signed.
 *  - NOTIFY (RFC 1996): only from an address of a configured primary of
 *    the zone (ops.primary), signed with that primary's key when it has
 *    one; answered NOERROR, then a refresh is started (ops.refresh).
 *  - QUERY SOA for a zone this node holds a live version of: the SOA.
 *  - QUERY AXFR/IXFR: agent/xfrout.h (TCP; TSIG required). IXFR over UDP
 *    gets the SOA alone (RFC 1995 §2), AXFR over UDP NOTIMP.
 *  - XoT (RFC 9103) on admin.tls-listen: the same dispatcher behind TLS 1.3
 *    (agent/tls.h); a TLS connection that did not negotiate ALPN "dot"
 *    gets REFUSED for AXFR/IXFR (§7.1).
 *  - opcode 5: the handler set with ls_admin_set_update_handler()
 *    (NEWZONE_NOTIFY, agent/newzone.h); without one NOTIMP.
 *  - anything else: NOTIMP (other opcodes) or REFUSED (other queries);
 *    malformed messages FORMERR when they have a header, else silence —
 *    counted, never a crash.
 * Must not: answer the shared service address, pull zones (xfrin does),
 * verify or store zones, or block the loop: transfers out are produced
 * message by message as the socket drains.
 */
#ifndef LOCKSTEP_AGENT_ADMIN_H
#define LOCKSTEP_AGENT_ADMIN_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/config.h"
#include "common/zone.h"

struct ls_ixfr;

#define LS_ADMIN_TCP_IDLE_TIMEOUT 10.0 /* seconds without progress, default */
#define LS_ADMIN_TCP_MAX_CONNS 64 /* default */
#define LS_ADMIN_UDP_BUFLEN 4096 /* largest UDP request read, response sent */

/* What the listener needs from the rest of the daemon. */
struct ls_admin_ops {
	/* Is @from a primary of @origin? As ls_xfrin_primary(): 0 / -ENOENT / -EPERM. */
	int (*primary)(void *ctx, const uint8_t *origin, const struct sockaddr *from,
		       const struct ls_config_remote **remote);
	/* Start a refresh of @origin now (after a NOTIFY). */
	int (*refresh)(void *ctx, const uint8_t *origin);
	/* The live, verified version of @origin (a zone or a catalog), or NULL. */
	const struct ls_zone *(*live)(void *ctx, const uint8_t *origin);
	/*
	 * The catalog that owns member zone @origin, or NULL (may be unset):
	 * a member follows its catalog's allow-transfer.
	 */
	const uint8_t *(*owner)(void *ctx, const uint8_t *origin);
	/* The IXFR journal (agent/ixfr.h) for incremental answers; NULL: none. */
	const struct ls_ixfr *ixfr;
	void *ctx;
};

struct ls_admin_opts {
	double tcp_idle_timeout; /* 0: LS_ADMIN_TCP_IDLE_TIMEOUT */
	unsigned tcp_max_conns; /* 0: LS_ADMIN_TCP_MAX_CONNS */
};

struct ls_admin_stats {
	uint64_t udp_requests, tcp_requests;
	uint64_t malformed; /* answered FORMERR or dropped for not parsing */
	uint64_t tsig_refused; /* TSIG failures (BADKEY, BADSIG, BADTIME, ...) */
	uint64_t notify_accepted, notify_refused;
	uint64_t soa_answered;
	uint64_t xfr_started, xfr_refused, xfr_done, xfr_aborted;
	uint64_t xfr_acl_refused; /* of xfr_refused: signed, but not allowed by allow-transfer */
	/* IXFR answered: incrementally, in AXFR form, with the SOA alone (up to date) */
	uint64_t ixfr_incremental, ixfr_axfr, ixfr_uptodate;
	uint64_t update_handled, notimp, refused;
	uint64_t tcp_accepted, tcp_closed, tcp_timeouts, tcp_refused;
	/* XoT: handshakes completed / failed, transfers refused for lack of ALPN "dot" */
	uint64_t tls_handshakes, tls_failed, tls_no_dot_refused;
};

/* Where the response to a request goes (maybe later than the call). */
typedef void (*ls_admin_reply_fn)(void *rctx, const uint8_t *resp, size_t len);

/*
 * An opcode-5 handler: called with every request of opcode 5 (after the
 * listener checked nothing but the opcode). It must call @reply exactly
 * once (at once or later) unless @forget(@hctx, @rctx) was called first,
 * and return 0; a negative return means it did not take the request (the
 * listener answers NOTIMP). @forget is called when the connection behind
 * @rctx goes away.
 */
typedef int (*ls_admin_update_fn)(void *hctx, const uint8_t *wire, size_t len,
				  const struct sockaddr *from, ls_admin_reply_fn reply, void *rctx);
typedef void (*ls_admin_forget_fn)(void *hctx, void *rctx);

struct ls_admin;

/**
 * Bind UDP and TCP on each address of @cfg->admin.listen (port 0: an
 * ephemeral one, see ls_admin_sockname()) and serve on @loop. @cfg must
 * stay valid until ls_admin_reconfigure() or ls_admin_free(). @opts may be
 * NULL. Returns 0 or a negative errno (nothing stays bound).
 */
int ls_admin_new(struct ev_loop *loop, const struct ls_config *cfg, const struct ls_admin_ops *ops,
		 const struct ls_admin_opts *opts, struct ls_admin **out);

/** Close every socket and connection (transfers in flight are cut). NULL is fine. */
void ls_admin_free(struct ls_admin *a);

/**
 * A new configuration (SIGHUP): new keys and remotes. Connections are
 * closed, since their TSIG state refers to the old keys; the addresses
 * listened on change only on restart. Returns 0 or -ENOMEM (old kept).
 */
int ls_admin_reconfigure(struct ls_admin *a, const struct ls_config *cfg);

/** Plug in the opcode-5 handler (NULL @fn: none, opcode 5 gets NOTIMP). */
void ls_admin_set_update_handler(struct ls_admin *a, ls_admin_update_fn fn,
				 ls_admin_forget_fn forget, void *hctx);

/** The address XoT listener @i (admin.tls-listen) is bound to. 0 or -ENOENT. */
int ls_admin_tls_sockname(const struct ls_admin *a, size_t i, struct sockaddr_storage *ss,
			  socklen_t *len);

/** The address socket @i (UDP: @tcp 0, TCP: 1) is bound to. 0 or -ENOENT. */
int ls_admin_sockname(const struct ls_admin *a, size_t i, int tcp, struct sockaddr_storage *ss,
		      socklen_t *len);

const struct ls_admin_stats *ls_admin_stats(const struct ls_admin *a);

/* ---- the dispatcher, without sockets (tests, fuzzer) ---------------------- */

struct ls_xfrout;

/* One request as the dispatcher sees it. */
struct ls_admin_req {
	const uint8_t *wire;
	size_t len;
	const struct sockaddr *from;
	bool tcp;
	bool tls; /* over a TLS connection (admin.tls-listen) */
	bool alpn_dot; /* ... that negotiated ALPN "dot": transfers allowed */
	uint64_t now; /* UNIX seconds, for TSIG */
	ls_admin_reply_fn reply; /* for a deferred answer (opcode 5) */
	void *rctx;
};

/* What the dispatcher decided besides an immediate response. */
struct ls_admin_result {
	struct ls_xfrout *xfr; /* a zone transfer: its messages, the caller frees it */
	uint8_t xfr_origin[LS_DNAME_MAXLEN]; /* lowercased: look the live version up with it */
	bool deferred; /* the opcode-5 handler answers through req->reply */
};

/**
 * Decide the answer to one request. Returns the length of a complete
 * response written to @resp (@cap >= LS_ADMIN_UDP_BUFLEN octets), or 0:
 * nothing to send now — a message too broken to answer, a response (QR
 * set), a transfer (@res->xfr), or a deferred answer (@res->deferred).
 * Returns -ENOMEM when out of memory (nothing is sent).
 */
int ls_admin_dispatch(struct ls_admin *a, const struct ls_admin_req *req, uint8_t *resp, size_t cap,
		      struct ls_admin_result *res);

/**
 * A dispatcher alone (no sockets, no loop), for tests and the fuzzer:
 * ls_admin_dispatch() works on it; ls_admin_free() frees it.
 */
int ls_admin_new_detached(const struct ls_config *cfg, const struct ls_admin_ops *ops,
			  struct ls_admin **out);

#endif
