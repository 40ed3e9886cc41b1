/* SPDX-License-Identifier: MIT */
/*
 * xfrout.h — transfers out: the response messages of an AXFR (RFC 5936)
 * or IXFR (RFC 1995) for a version this node serves, built one at a time.
 *
 * Owns: turning a zone (struct ls_zone) into a stream of response
 * messages — the SOA, every other record of the zone in canonical order
 * (RRSIGs with their owner), the SOA again — each message up to
 * LS_XFROUT_MSG_SIZE octets (larger only for a record that needs it) with
 * name compression, and each one TSIG-signed in the transaction of the
 * request (RFC 8945 §5.3.1). IXFR (RFC 1995): a client whose serial the
 * journal (agent/ixfr.h) leads from to ours gets the incremental form —
 * our SOA; per step the old SOA, deletions, new SOA, additions; our SOA
 * again (§4) — a client that is current (or ahead) the current SOA alone,
 * and any other (unknown or too old a serial, a chain broken by a restart,
 * steps larger than the zone) the whole zone AXFR-style, as §4 allows.
 * Must not: touch sockets, decide who may transfer (the admin listener
 * does, agent/admin.h), or hold a zone across loop turns: the caller
 * passes the live version to every ls_xfrout_next(), and a stream whose
 * version was replaced (another pointer or serial) ends with -ESTALE —
 * the zone table frees a replaced generation at once (agent/zoneset.h).
 * An incremental stream holds references to its steps instead and sends
 * them to the end whatever the zone table does meanwhile.
 */
#ifndef LOCKSTEP_AGENT_XFROUT_H
#define LOCKSTEP_AGENT_XFROUT_H

#include <stddef.h>
#include <stdint.h>

#include "common/message.h"
#include "common/tsig.h"
#include "common/zone.h"

#define LS_XFROUT_MSG_SIZE 16384 /* octets per message, as knotd and BIND use */
#define LS_XFROUT_BUF_SIZE LS_MSG_MAXLEN /* what ls_xfrout_next() needs */
#define LS_XFROUT_EDNS_PAYLOAD 1232 /* our UDP size in the OPT of a UDP answer */

struct ls_xfrout;
struct ls_ixfr;

/**
 * Start the answer to the AXFR or IXFR request @q (parsed; its question
 * names @zone's origin) from @zone; an IXFR is answered incrementally when
 * @journal (NULL: none) holds the steps from the client's serial to
 * @zone's. @tsig is the transaction the request
 * was verified in: it is taken over (moved; @tsig is left initialised
 * with no key) and every message is signed in it; with no key (tests) the
 * messages go unsigned. Returns 0, -EINVAL (not an AXFR/IXFR for this
 * zone) or -ENOMEM.
 */
int ls_xfrout_new(const struct ls_msg *q, const struct ls_zone *zone, const struct ls_ixfr *journal,
		  struct ls_tsig *tsig, struct ls_xfrout **out);

/**
 * The next message into @buf (@cap >= LS_XFROUT_BUF_SIZE) at UNIX time
 * @now. @zone is the live version now (NULL: none). Returns its length,
 * 0 when the stream is complete, -ESTALE when @zone is no longer the
 * version the stream started from (stop: the client retries; never for
 * the incremental form, which sends its own copies), or
 * -ENOSPC/-ENOMEM/-EINVAL.
 */
int ls_xfrout_next(struct ls_xfrout *x, const struct ls_zone *zone, uint64_t now, uint8_t *buf,
		   size_t cap);

/** The serial being sent, messages and records produced so far. */
uint32_t ls_xfrout_serial(const struct ls_xfrout *x);
uint64_t ls_xfrout_messages(const struct ls_xfrout *x);
uint64_t ls_xfrout_records(const struct ls_xfrout *x);
/** True when the answer is the SOA alone (an IXFR from a current client). */
bool ls_xfrout_uptodate(const struct ls_xfrout *x);
/**
 * IXFR over UDP (RFC 1995 §2), right after ls_xfrout_new() and in the same
 * loop turn (it reads the zone that was passed there): the whole answer as
 * one message of at most @limit octets (the client's UDP payload size)
 * into @buf — the incremental form when it fits with its TSIG and OPT
 * (*@incremental is then true), else our SOA alone, which tells the client
 * to ask over TCP (the AXFR form never goes over UDP). Signed in the
 * request's transaction like every stream; an OPT record when the request
 * had one. Returns the length, -EINVAL (not a fresh IXFR stream) or
 * -ENOSPC (not even the SOA fits in @limit). The stream is complete after.
 */
int ls_xfrout_udp(struct ls_xfrout *x, uint64_t now, uint8_t *buf, size_t limit, bool *incremental);

/** The number of journal steps sent: 0 unless an IXFR answered incrementally. */
size_t ls_xfrout_incremental(const struct ls_xfrout *x);

/** Free; NULL is fine. */
void ls_xfrout_free(struct ls_xfrout *x);

#endif
