/* SPDX-License-Identifier: MIT */
/*
 * xfrin.h — transfers in: zones pulled from primaries (RFC 1995, 1996,
 * 5936) over TCP with TSIG (RFC 8945).
 *
 * Owns two things:
 *  - the transfer stream parser (ls_xfr_parser): the response messages of
 *    an AXFR or IXFR, fed one by one as they arrive, turned into a new
 *    zone version — an AXFR into a fresh zone builder, an IXFR's deltas
 *    applied to the live version — with the first/last SOA rules, serial
 *    continuity of the deltas, and the size limits checked while
 *    receiving. No sockets, no loop: unit-tested and fuzzed on its own.
 *  - the client (ls_xfrin): per zone with primaries (configured, or added
 *    at run time by catalogs and NEWZONE), SOA refresh / retry /
 *    expire timers with jitter, NOTIFY handling (ls_xfrin_primary() and
 *    ls_xfrin_refresh(), for the admin listener), and a non-blocking libev TCP client that asks
 *    each primary in order for its SOA, then IXFR (AXFR when the zone is
 *    empty or the primary cannot do IXFR), with TSIG on every message and
 *    a timeout on a stalled primary. A finished version is handed to the
 *    offer callback (in lockstepd: the zone manager, which verifies,
 *    stores and serves it); a zone no primary refreshed for its SOA
 *    EXPIRE goes to the expire callback.
 * Must not: verify zones (the zone manager does), serve anything, or block
 * the loop. Bad input of any kind discards the version with one log line.
 */
#ifndef LOCKSTEP_AGENT_XFRIN_H
#define LOCKSTEP_AGENT_XFRIN_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/config.h"
#include "common/message.h"
#include "common/zone.h"

/* ---- the stream parser -------------------------------------------------- */

#define LS_XFR_DEFAULT_MAX_RECORDS 20000000 /* about 1.5 GiB of zone */
#define LS_XFR_DEFAULT_MAX_BYTES (4ull << 30)

enum ls_xfr_result {
	LS_XFR_MORE = 0, /* the stream is not complete: feed the next message */
	LS_XFR_DONE = 1, /* complete: ls_xfr_parser_finish() */
	LS_XFR_UPTODATE = 2, /* IXFR answered with only the current SOA: nothing newer */
};

struct ls_xfr_parser;

/**
 * Start parsing the answer to an AXFR (@qtype LS_TYPE_AXFR) or IXFR
 * (LS_TYPE_IXFR) for @origin. For IXFR, @base is the live version the
 * deltas apply to (its serial is the one the request carried); it must
 * outlive the parser. An IXFR may also be answered AXFR-style, which is
 * taken as a full zone. @max_records / @max_bytes (0: the defaults) bound
 * the result. Returns 0, -EINVAL or -ENOMEM.
 */
int ls_xfr_parser_new(const uint8_t *origin, uint16_t qtype, const struct ls_zone *base,
		      size_t max_records, size_t max_bytes, struct ls_xfr_parser **out);

/**
 * Feed the next response message (parsed by ls_msg_parse()). Returns a
 * enum ls_xfr_result, or a negative errno with ls_xfr_parser_error()
 * saying why: -EPROTO (not a proper answer: wrong ID or question, an error
 * RCODE, TC), -EBADMSG (a broken stream: no SOA first, records after the
 * last SOA, a serial that changes, deltas that do not chain or delete what
 * the zone does not hold, malformed or out-of-zone records), -EFBIG (over
 * the limits), -ENOMEM. After an error the parser is only good for
 * freeing.
 */
int ls_xfr_parser_feed(struct ls_xfr_parser *p, const struct ls_msg *m);

/**
 * After LS_XFR_DONE: build the zone. Returns 0 with *@zone set, or
 * -EBADMSG (the structural checks refused it), -EFBIG, -EINVAL (the stream
 * was not complete) or -ENOMEM; @why (@whylen octets) says why in one
 * line. The parser is consumed in every case.
 */
int ls_xfr_parser_finish(struct ls_xfr_parser *p, struct ls_zone **zone, char *why, size_t whylen);

/** Why the last call failed ("" when it did not). */
const char *ls_xfr_parser_error(const struct ls_xfr_parser *p);

/** The serial the stream announces (its first SOA), valid once seen. */
bool ls_xfr_parser_serial(const struct ls_xfr_parser *p, uint32_t *serial);

/** True when the stream turned out incremental (IXFR deltas), not AXFR-style. */
bool ls_xfr_parser_incremental(const struct ls_xfr_parser *p);

/** Records received so far. */
size_t ls_xfr_parser_records(const struct ls_xfr_parser *p);

void ls_xfr_parser_free(struct ls_xfr_parser *p);

/* ---- the client ---------------------------------------------------------- */

/* What xfrin needs from the rest of the daemon (the zone manager). */
struct ls_xfrin_ops {
	/* Take over @zone for @origin (also on failure); @source says whence. */
	int (*offer)(void *ctx, const uint8_t *origin, struct ls_zone *zone, const char *source);
	/* No primary refreshed @origin within its SOA EXPIRE. */
	void (*expire)(void *ctx, const uint8_t *origin);
	/* The version transfers start from (NULL: none, AXFR). */
	const struct ls_zone *(*live)(void *ctx, const uint8_t *origin);
	void *ctx;
};

struct ls_xfrin_opts {
	double timeout; /* seconds a primary may stall (connect, any read/write); 0: 10 s */
	double retry_min; /* floor for SOA refresh/retry intervals; 0: 1 s */
	/*
	 * After a round cut, stalled or refused by every primary: the first
	 * wait (0: 2 s), doubled per such round in a row up to SOA RETRY, or
	 * up to backoff_ceiling (0: 600 s) while no SOA of the zone was seen.
	 */
	double backoff_first, backoff_ceiling;
	size_t max_records, max_bytes; /* 0: the defaults */
};

struct ls_xfrin_stats {
	uint64_t backoff_retries; /* rounds followed by a backoff instead of SOA RETRY */
};

struct ls_xfrin;

/**
 * Start transfers for every zone and catalog of @cfg that has primaries:
 * a first refresh at once, then SOA timers. @cfg must stay valid until
 * ls_xfrin_reconfigure() or ls_xfrin_free(). Returns 0 or -ENOMEM.
 */
int ls_xfrin_new(struct ev_loop *loop, const struct ls_config *cfg, const struct ls_xfrin_ops *ops,
		 const struct ls_xfrin_opts *opts, struct ls_xfrin **out);
void ls_xfrin_free(struct ls_xfrin *x);

/** A new configuration (SIGHUP): zones added and removed; running transfers finish. */
int ls_xfrin_reconfigure(struct ls_xfrin *x, const struct ls_config *cfg);

/**
 * Is @from (any port) an address of a primary of @origin (RFC 1996 §3.10:
 * a NOTIFY is taken only from there)? Returns 0 with *@remote set (whose
 * key, if any, the NOTIFY must be signed with; then ls_xfrin_refresh()),
 * -ENOENT when @origin has no primaries here, -EPERM when @from is not one.
 */
int ls_xfrin_primary(const struct ls_xfrin *x, const uint8_t *origin, const struct sockaddr *from,
		     const struct ls_config_remote **remote);

/**
 * Transfer @origin, which is not in the configuration (a catalog member
 * from its catalog's primaries, a zone created by NEWZONE_NOTIFY from its
 * master), from @primaries (@n >= 1, tried in order): a first refresh at
 * once, then SOA timers, NOTIFY and expiry exactly as for a configured
 * zone. The remotes must belong to the configuration in force, or to the
 * one about to be given to ls_xfrin_reconfigure(); the array is copied,
 * and on every reconfiguration the remotes are looked up again by id
 * (a remote that is gone is dropped with a warning; a zone left without
 * any stops being transferred, with an error). Adding a run-time zone
 * again replaces its primaries (a transfer in progress starts over);
 * the same primaries change nothing. A zone the configuration lists wins
 * over a run-time one of the same name. Returns 0, -EEXIST (a configured
 * zone), -EINVAL (no primaries, a remote without addresses, a bad name)
 * or -ENOMEM.
 */
int ls_xfrin_add_zone(struct ls_xfrin *x, const uint8_t *origin,
		      const struct ls_config_remote *const *primaries, size_t n);

/**
 * Stop transferring the run-time zone @origin (a transfer in progress is
 * abandoned). Returns 0, -ENOENT (unknown) or -EPERM (a configured zone).
 */
int ls_xfrin_remove_zone(struct ls_xfrin *x, const uint8_t *origin);

/** True when @origin is transferred here (configured or run-time). */
bool ls_xfrin_has_zone(const struct ls_xfrin *x, const uint8_t *origin);

/** Counters since start. */
const struct ls_xfrin_stats *ls_xfrin_stats(const struct ls_xfrin *x);

/** Start a refresh of @origin now (lockstepctl, tests). -ENOENT: not ours. */
int ls_xfrin_refresh(struct ls_xfrin *x, const uint8_t *origin);

/** Does @from equal @a's address (and, when @port, its port)? */
bool ls_xfrin_addr_match(const struct ls_config_addr *a, const struct sockaddr *from, bool port);

/**
 * The configured remote whose address matches @from (address and, when
 * @match_port, port), or NULL.
 */
const struct ls_config_remote *
ls_xfrin_remote_by_addr(const struct ls_config *cfg, const struct sockaddr *from, bool match_port);

#endif
