/* SPDX-License-Identifier: MIT */
/*
 * newzone.h — NEWZONE_NOTIFY (draft-ietf-dnsext-newzone-notify, "A
 * mechanism for synchronization across name servers on zone creation"):
 * the pure parts, with no socket, loop or clock.
 *
 * Owns:
 *  - recognition: the draft's opcode 5 is DNS UPDATE's (RFC 2136), so a
 *    message is a NEWZONE_NOTIFY candidate only when it is a request with
 *    opcode 5, exactly one question, QTYPE ANY and class IN. Everything else
 *    with opcode 5 is a real UPDATE, which lockstep does not implement
 *    (NOTIMP). Whether the sender may create zones (a trusted master, a
 *    valid TSIG) is the caller's check (agent/newzone.h);
 *  - reading a candidate: the new zone (the question's name) and the master
 *    named in the answer section (the owner of its A/AAAA records, with the
 *    addresses they give);
 *  - the slave-side checks of the draft's §5.2 over the answers the
 *    notifying master gave to an SOA and an NS query for the new zone: both
 *    authoritative NOERROR answers for exactly that zone, and the named
 *    master is the SOA MNAME or one of the NS targets;
 *  - the response (NOERROR or SERVFAIL, the question echoed);
 *  - the persisted list of zones created this way (node.state-dir), a line
 *    format that survives restarts and refuses anything it cannot read.
 * Must not: log, do I/O, or decide anything about configuration (which
 * remotes are trusted is the agent's).
 */
#ifndef LOCKSTEP_COMMON_NEWZONE_H
#define LOCKSTEP_COMMON_NEWZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/dname.h"
#include "common/message.h"

#define LS_NEWZONE_MAX_ADDRS 8 /* master addresses kept from the answer section */
#define LS_NEWZONE_MAX_NS 32 /* NS targets kept from the NS answer */
/* The first line of the persisted list; anything else is refused. */
#define LS_NEWZONE_LIST_MAGIC "# lockstep newzone list v1"
/* Longest remote id kept in the persisted list. */
#define LS_NEWZONE_REMOTE_MAXLEN 255

/* What an incoming message with opcode 5 is. */
enum ls_newzone_kind {
	LS_NEWZONE_OTHER = 0, /* not opcode 5, or a response: not ours */
	LS_NEWZONE_UPDATE, /* a real DNS UPDATE (RFC 2136): answer NOTIMP */
	LS_NEWZONE_CANDIDATE, /* opcode 5, one question, QTYPE ANY, class IN */
};

/* A NEWZONE_NOTIFY as read from the wire. */
struct ls_newzone_req {
	uint8_t zone[LS_DNAME_MAXLEN]; /* the new zone, lowercased */
	uint8_t master[LS_DNAME_MAXLEN]; /* the master named in the answer section, lowercased */
	struct sockaddr_storage addrs[LS_NEWZONE_MAX_ADDRS]; /* its A/AAAA, port 0 */
	size_t naddrs;
};

/* What the notifying master said about the new zone (draft §5.2). */
struct ls_newzone_auth {
	bool has_soa;
	uint8_t mname[LS_DNAME_MAXLEN]; /* lowercased */
	uint32_t serial;
	uint8_t ns[LS_NEWZONE_MAX_NS][LS_DNAME_MAXLEN]; /* lowercased */
	size_t nns;
};

/** Tell a NEWZONE_NOTIFY candidate from a real UPDATE (and from the rest). */
enum ls_newzone_kind ls_newzone_classify(const struct ls_msg *m);

/**
 * Read a candidate (ls_newzone_classify() said so): the zone from the
 * question, the master from the answer section, which must hold at least
 * one A or AAAA record, every one of them owned by the same name, in class
 * IN; other record types there are refused. At most LS_NEWZONE_MAX_ADDRS
 * addresses are kept (more is refused: a message is not a list of hosts).
 * The zone may not be the root. Returns 0, or -EBADMSG (FORMERR) with the
 * reason in @err.
 */
int ls_newzone_parse(const struct ls_msg *m, struct ls_newzone_req *req, char *err, size_t errlen);

/**
 * Read the response @m to the SOA query (@qtype LS_TYPE_SOA) or the NS
 * query (LS_TYPE_NS) for @zone with ID @id into @auth. The response must
 * echo ID and question, be authoritative (AA), NOERROR, not truncated, and
 * hold in its answer section the SOA (exactly one) or the NS set (at least
 * one) owned by @zone itself. Returns 0, -EPROTO (not the answer to that
 * question, or not authoritative) or -ENODATA (no such records), with the
 * reason in @err.
 */
int ls_newzone_read_answer(const struct ls_msg *m, const uint8_t *zone, uint16_t qtype, uint16_t id,
			   struct ls_newzone_auth *auth, char *err, size_t errlen);

/**
 * The draft's §5.2 check once both answers are read: the master named in
 * @req must be the SOA MNAME or one of the NS targets of @auth (an NS set
 * is required). Returns 0 or -EPERM with the reason in @err.
 */
int ls_newzone_check(const struct ls_newzone_req *req, const struct ls_newzone_auth *auth,
		     char *err, size_t errlen);

/**
 * Build the response to the request @q into @buf (@cap octets): ID, opcode
 * and question echoed, QR set, @rcode (NOERROR, SERVFAIL, FORMERR, NOTIMP,
 * REFUSED, NOTAUTH). No TSIG: the caller signs. Returns the length or
 * -ENOSPC.
 */
int ls_newzone_response(const struct ls_msg *q, unsigned rcode, uint8_t *buf, size_t cap);

/**
 * Build a NEWZONE_NOTIFY request for @zone naming @master with @naddrs
 * addresses (A/AAAA, TTL 0) into @buf, ID @id. For tools and tests. Returns
 * the length, -EINVAL or -ENOSPC.
 */
int ls_newzone_request(uint16_t id, const uint8_t *zone, const uint8_t *master,
		       const struct sockaddr_storage *addrs, size_t naddrs, uint8_t *buf,
		       size_t cap);

/* ---- the persisted list ----------------------------------------------- */

struct ls_newzone_entry {
	uint8_t zone[LS_DNAME_MAXLEN]; /* lowercased */
	char remote[LS_NEWZONE_REMOTE_MAXLEN + 1]; /* the remote id it is transferred from */
};

struct ls_newzone_list {
	struct ls_newzone_entry *v; /* in the order added; no zone twice */
	size_t count, cap;
};

/**
 * Read the list from @text (@len octets): the magic line, then one line per
 * zone "<zone> <remote-id>", nothing else (blank lines and lines starting
 * with '#' are skipped). A remote id is 1..255 printable non-space ASCII
 * octets. Any other line, a zone given twice, or a missing final newline
 * refuses the whole file: -EBADMSG with "line N: why" in @err. -ENOMEM.
 * The list is cleared first.
 */
int ls_newzone_list_parse(struct ls_newzone_list *list, const char *text, size_t len, char *err,
			  size_t errlen);

/**
 * Write the list to a new string (*@out, free()), ending in a newline.
 * Returns the length or -ENOMEM.
 */
long ls_newzone_list_format(const struct ls_newzone_list *list, char **out);

/** Add @zone from @remote; -EEXIST when listed, -EINVAL for a bad remote id, -ENOMEM. */
int ls_newzone_list_add(struct ls_newzone_list *list, const uint8_t *zone, const char *remote);

/** Remove @zone; -ENOENT when not listed. */
int ls_newzone_list_remove(struct ls_newzone_list *list, const uint8_t *zone);

/** The entry for @zone (any case), or NULL. */
const struct ls_newzone_entry *ls_newzone_list_find(const struct ls_newzone_list *list,
						    const uint8_t *zone);

/** Free what the list holds; it is empty and reusable afterwards. NULL is fine. */
void ls_newzone_list_clear(struct ls_newzone_list *list);

#endif
