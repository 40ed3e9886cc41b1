/* SPDX-License-Identifier: MIT */
/*
 * engine.h — the answer engine: one DNS query in, one response out.
 *
 * Owns: how lockstep answers (RFC 1034 §4.3.2, RFC 4035 §3, RFC 4592,
 * RFC 6672, RFC 8482, RFC 6891, RFC 8945 §5.2 for TSIG it cannot verify):
 * header and error handling, EDNS, truncation, and the lookup of the answer
 * in one zone generation. docs/answering.md lists every choice and every
 * deliberate difference from knotd.
 * Must not: allocate, read the clock, keep state between calls, or know
 * about sockets, zone tables or generations: the caller's lookup picks the
 * zone. Same query bytes and same zone give the same response bytes, which
 * is what lets the XDP compiler precompute the data plane's answers with
 * this very function (DESIGN.md invariant 1).
 */
#ifndef LOCKSTEP_AGENT_ENGINE_H
#define LOCKSTEP_AGENT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ls_zone;

/*
 * Which zone generation answers: the caller's lookup (the server applies the
 * zone table and the time rule of ebpf/lockstep.h; tests pass one zone).
 * Given the lowercased query name, return the zone whose origin is the
 * longest suffix of it and that answers now, or NULL with *silent = false
 * for "no zone here" (REFUSED), or NULL with *silent = true for "the zone
 * exists but is withdrawn now" (no response).
 * For QTYPE DS the engine first asks for the parent of the query name
 * (RFC 4035 §3.1.4.1: DS lives on the parent side of a cut) and falls back
 * to the name itself when no zone holds the parent.
 */
typedef const struct ls_zone *(*ls_engine_lookup_fn)(void *ctx, const uint8_t *qname_lower,
						     bool *silent);

/* Outcome counters; the caller owns them (one per thread, summed for metrics). */
struct ls_engine_stats {
	uint64_t answered; /* every response built (all RCODEs) */
	uint64_t refused;
	uint64_t formerr;
	uint64_t notimp;
	uint64_t badvers;
	uint64_t dropped_withdrawn;
	uint64_t dropped_malformed; /* no header, QR set, unreadable question */
	uint64_t truncated;
	uint64_t badkey; /* TSIG on the service address: NOTAUTH/BADKEY */
	uint64_t nxdomain;
	uint64_t nodata;
	uint64_t referral;
	uint64_t internal; /* negative returns: a zone or writer the engine cannot use */
};

enum { LS_ENGINE_UDP = 0, LS_ENGINE_TCP = 1 };

/* EDNS payload size lockstep advertises and the most it uses over UDP
 * (the DNS flag day 2020 value, as knotd's udp-max-payload default). */
#define LS_ENGINE_EDNS_PAYLOAD 1232

/**
 * Answer one query.
 * @query/@qlen: the query as received; @transport: LS_ENGINE_UDP or
 * LS_ENGINE_TCP (TCP answers are bounded only by @cap and 65535).
 * @lookup/@ctx: the zone lookup, see ls_engine_lookup_fn.
 * @resp/@cap: the response buffer; at least 65535 octets for TCP, 4096 is
 * plenty for UDP (UDP answers never exceed LS_ENGINE_EDNS_PAYLOAD).
 * @stats: counters, may be NULL.
 * Returns the response length (> 0); 0 for "send nothing" (the zone is
 * withdrawn now, or the input is too broken to answer: shorter than a
 * header, QR set, question unreadable); or a negative errno on an internal
 * error (-EINVAL for a bad argument, -ENOSPC for a @cap under 512).
 * Deterministic: no clock, no randomness, no state kept between calls.
 */
int ls_engine_respond(const uint8_t *query, size_t qlen, int transport, ls_engine_lookup_fn lookup,
		      void *ctx, uint8_t *resp, size_t cap, struct ls_engine_stats *stats);

#endif
