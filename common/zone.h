/* SPDX-License-Identifier: MIT */
/*
 * zone.h — the in-memory zone model.
 *
 * Owns: one version of one zone, built once from records that arrive one by
 * one (zone file, AXFR, ...) and read-only afterwards, so any number of
 * readers on any number of threads may use it without locks; the structural
 * checks run when it is built (one SOA at the apex, NS at the apex, nothing
 * outside the zone, nothing below a delegation but glue, CNAME exclusivity,
 * one DNAME and nothing below it, addresses for in-zone name servers); and
 * the lookups the answer engine and the DNSSEC/ZONEMD verifiers need.
 *
 * Layout, chosen so that a million-record zone stays small and loads fast:
 * three flat arrays and two arenas, offsets instead of pointers, no
 * allocation per record.
 *   nodes   — one per owner name, in canonical order (RFC 4034 §6.1); empty
 *             non-terminals are nodes too (flag LS_ZONE_NODE_ENT) so the
 *             closest encloser is simply the longest existing ancestor;
 *   rrsets  — grouped per node, sorted by type;
 *   names   — lowercased wire owner names (an ENT's name is a suffix of a
 *             child's name and shares its bytes);
 *   rdata   — per RRset its rdatas back to back, each as a 16-bit length
 *             (host order) and the wire rdata exactly as received (case in
 *             embedded names preserved), in canonical RR order (RFC 4034
 *             §6.3) with duplicates removed (RFC 2181 §5);
 *   index   — an open-addressing hash of node numbers over the lowercased
 *             names: an exact lookup is one hash and usually one compare;
 *   chains  — the node numbers of the NSEC owners and of the NSEC3 owners,
 *             each list in canonical order (4 octets per owner, nothing for
 *             an unsigned zone), so the record that covers a name is one
 *             binary search away however many glue nodes, ENTs or unsigned
 *             delegations sit between two owners (the answer engine's
 *             denial proofs; see ls_zone_chain_prev()).
 * Owner names are stored lowercased; the answer engine echoes the query's
 * own spelling anyway.
 *
 * RRSIGs are grouped by the type they cover: a node holds one RRset entry of
 * type RRSIG per covered type (each with its own TTL, which RFC 4034 §3
 * ties to the covered RRset), ordered by covered type right after each
 * other. ls_zone_rrsigs() finds the group for one type.
 *
 * The checks, each a problem with a check name: soa-missing, soa-multiple,
 * soa-not-apex, ns-apex-missing, out-of-zone, below-delegation (anything
 * at or below a cut but NS/DS/NSEC/RRSIG at the cut and glue), below-dname,
 * cname-exclusive (a CNAME owner holds only RRSIG/NSEC besides),
 * cname-multiple, dname-multiple, glue-missing (an NS target at or below a
 * cut without A/AAAA), ns-address-missing (an in-zone NS target in
 * authoritative data without A/AAAA); warnings ttl-mismatch (the RRset
 * keeps the TTL of its record added first, as Knot does) and duplicate.
 * Glue is an A or AAAA record at a name that an NS RRset of the zone (the
 * apex's or any delegation's) names — sibling glue, a host below one cut
 * serving another delegation, is accepted as TLDs need it.
 *
 * Must not: change a zone after ls_zone_builder_finish(), know about files,
 * sockets or the event loop, or keep record origins (file:line) past
 * finish: those live in the builder only, for error reports.
 */
#ifndef LOCKSTEP_COMMON_ZONE_H
#define LOCKSTEP_COMMON_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/dname.h"

struct ls_zone;
struct ls_zone_builder;

#define LS_ZONE_NONE UINT32_MAX /* "no node" in parent links */

/* Node flags: what a node is, worked out once at finish. */
enum ls_zone_node_flag {
	LS_ZONE_NODE_APEX = 1u << 0,
	LS_ZONE_NODE_DELEG = 1u << 1, /* a zone cut: NS below the apex, not itself occluded */
	LS_ZONE_NODE_OCCLUDED = 1u << 2, /* strictly below a zone cut or a DNAME: glue lives here */
	LS_ZONE_NODE_WILDCARD = 1u << 3, /* first label is "*" */
	LS_ZONE_NODE_ENT = 1u << 4, /* empty non-terminal: no RRsets, only descendants */
	LS_ZONE_NODE_DNAME = 1u << 5, /* holds a DNAME */
	LS_ZONE_NODE_CNAME = 1u << 6, /* holds a CNAME */
	LS_ZONE_NODE_WILDCARD_CHILD = 1u << 7, /* "*.<this name>" exists */
	LS_ZONE_NODE_NS_TARGET = 1u << 8, /* named as a name server by an NS RRset of the zone */
	LS_ZONE_NODE_DS = 1u << 9, /* holds a DS (a secure delegation when also DELEG) */
};

/** One owner name. Read-only; fields are offsets/indices into the zone. */
struct ls_zone_node {
	uint32_t name; /* offset of the lowercased wire name in the names arena */
	uint32_t parent; /* index of the parent node, LS_ZONE_NONE at the apex */
	uint32_t rrsets; /* index of the first RRset */
	uint16_t nrrsets; /* number of RRsets (0 for an ENT) */
	uint16_t flags; /* enum ls_zone_node_flag */
};

/** One RRset (for RRSIG: the signatures covering one type). */
struct ls_zone_rrset {
	uint32_t rdata; /* offset of the first rdata in the rdata arena */
	uint32_t ttl;
	uint16_t type;
	uint16_t count; /* number of rdatas, at least 1 */
};

/** Cursor over the rdatas of one RRset. */
struct ls_zone_rdata_iter {
	const uint8_t *pos;
	uint32_t left;
};

/* ---- problems: what the builder and the checks found ------------------- */

enum ls_zone_severity {
	LS_ZONE_ERROR = 0, /* the zone is refused */
	LS_ZONE_WARNING = 1, /* reported; the zone is still built */
};

/**
 * One finding. Strings are owned by the problem list; any of file, owner and
 * rdata may be NULL (a missing SOA has no record, a syntax error no owner).
 */
struct ls_zone_problem {
	enum ls_zone_severity severity;
	const char *check; /* static name: "soa-missing", "below-delegation", "syntax", ... */
	char *file; /* source file, NULL when unknown */
	unsigned long line; /* 0 when unknown */
	char *owner; /* presentation form */
	uint16_t type; /* 0 when not about one record */
	char *rdata; /* the record's rdata in presentation form */
	char *message; /* the explanation */
};

struct ls_zone_problems {
	struct ls_zone_problem *v;
	size_t count; /* stored in v */
	size_t cap;
	size_t errors; /* counted, including those not stored */
	size_t warnings;
	size_t suppressed; /* not stored because the list was full */
};

/* At most this many problems are stored; the rest are only counted. */
#define LS_ZONE_MAX_PROBLEMS 1000

/** Free a problem list; NULL is fine. */
void ls_zone_problems_free(struct ls_zone_problems *p);

/**
 * Append a problem (used by loaders for their own findings, e.g. syntax
 * errors). Strings are copied; any may be NULL. Returns 0 or -ENOMEM.
 */
int ls_zone_problems_add(struct ls_zone_problems *p, enum ls_zone_severity sev, const char *check,
			 const char *file, unsigned long line, const char *owner, uint16_t type,
			 const char *rdata, const char *message);

/**
 * Format one problem as "file:line: check: owner TYPE rdata — message" (parts
 * that are unknown are left out; warnings say "warning: " after the place).
 * Returns the length that was needed (snprintf semantics).
 */
int ls_zone_problem_format(char *dst, size_t dstlen, const struct ls_zone_problem *p);

/* ---- building ----------------------------------------------------------- */

/** Where a record came from: a file registered with the builder and a line. */
struct ls_zone_src {
	uint32_t file; /* from ls_zone_builder_add_file() */
	uint32_t line;
};

/** Start a zone for @origin (wire form, any case). NULL on -ENOMEM/-EINVAL. */
struct ls_zone_builder *ls_zone_builder_new(const uint8_t *origin);

/** Free an unfinished builder; NULL is fine. */
void ls_zone_builder_free(struct ls_zone_builder *b);

/**
 * Limits checked while adding: at most @max_records records and @max_bytes
 * octets of records counted as on the wire (owner + 10 + rdata, uncompressed,
 * i.e. roughly an AXFR's size). 0 means no limit of that kind; the arenas'
 * 32-bit offsets cap a zone at 4 GiB regardless.
 */
void ls_zone_builder_set_limits(struct ls_zone_builder *b, size_t max_records, size_t max_bytes);

/**
 * Register a source file name for ls_zone_src.file; returns its index (>= 0)
 * or -ENOMEM. Registering the same name again returns the same index.
 */
int ls_zone_builder_add_file(struct ls_zone_builder *b, const char *name);

/**
 * Add one record. @owner is a wire name in any case, @rdata wire rdata
 * (uncompressed). @src may be NULL.
 * Returns 0 when the record was taken (a duplicate is taken and dropped at
 * finish), -EFBIG when a limit is exceeded (the builder is then only good for
 * freeing or finishing into a refusal), -ENOMEM, or -EINVAL when the record
 * was refused (class not IN, owner outside the zone, malformed rdata, meta
 * type); a refusal is also recorded as a problem, so a loader may go on to
 * report every bad record.
 */
int ls_zone_builder_add(struct ls_zone_builder *b, const uint8_t *owner, uint16_t type,
			uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen,
			const struct ls_zone_src *src);

/**
 * Record a problem found by the caller (a syntax error, say) so that it is
 * reported in order with the builder's own; it makes finish refuse the zone
 * when @sev is LS_ZONE_ERROR. Returns 0 or -ENOMEM.
 */
int ls_zone_builder_problem(struct ls_zone_builder *b, enum ls_zone_severity sev, const char *check,
			    const struct ls_zone_src *src, const char *message);

/** Records added so far (duplicates included). */
size_t ls_zone_builder_records(const struct ls_zone_builder *b);

/**
 * Sort, index, and run the structural checks. Consumes @b in every case.
 * On success returns 0 and sets *@zone. When any error was found returns
 * -EBADMSG and sets *@zone to NULL. -ENOMEM on allocation failure. In all
 * cases *@problems (when @problems is not NULL) receives every problem found,
 * warnings included, or NULL when there were none; free it with
 * ls_zone_problems_free().
 */
int ls_zone_builder_finish(struct ls_zone_builder *b, struct ls_zone **zone,
			   struct ls_zone_problems **problems);

/**
 * Give up on a zone: return the problems recorded so far (NULL when none,
 * or on -ENOMEM) and free @b. For a load that failed before its end (I/O
 * error, too many errors), where the structural checks would only add noise.
 */
struct ls_zone_problems *ls_zone_builder_abandon(struct ls_zone_builder *b);

/** Free a zone; NULL is fine. */
void ls_zone_free(struct ls_zone *z);

/* ---- the whole zone ----------------------------------------------------- */

/** The origin (lowercased wire name). */
const uint8_t *ls_zone_origin(const struct ls_zone *z);
/** The SOA serial. */
uint32_t ls_zone_serial(const struct ls_zone *z);
/** Number of nodes (ENTs included), RRsets, records, delegations. */
size_t ls_zone_node_count(const struct ls_zone *z);
size_t ls_zone_rrset_count(const struct ls_zone *z);
size_t ls_zone_record_count(const struct ls_zone *z);
size_t ls_zone_delegation_count(const struct ls_zone *z);
/** Bytes held by the zone (all arrays, arenas, the index and the chains). */
size_t ls_zone_memory(const struct ls_zone *z);
/**
 * Whether the zone is signed: its apex holds a DNSKEY RRset. Worked out once
 * at finish, so the answer engine, the XDP compiler and the data plane ask
 * the same question the same way.
 */
bool ls_zone_is_signed(const struct ls_zone *z);

/* ---- nodes, in canonical order ------------------------------------------ */

/** The node at canonical position @i (< node count); the apex is 0. */
const struct ls_zone_node *ls_zone_node_at(const struct ls_zone *z, size_t i);
/** Canonical position of @node. */
size_t ls_zone_node_index(const struct ls_zone *z, const struct ls_zone_node *node);
/** The apex node. */
const struct ls_zone_node *ls_zone_apex(const struct ls_zone *z);
/** The node's (lowercased) wire name. */
const uint8_t *ls_zone_node_name(const struct ls_zone *z, const struct ls_zone_node *node);
/** The parent node, NULL for the apex. */
const struct ls_zone_node *ls_zone_node_parent(const struct ls_zone *z,
					       const struct ls_zone_node *node);

/** All RRsets of @node (sorted by type, RRSIG groups by covered type). */
const struct ls_zone_rrset *ls_zone_node_rrsets(const struct ls_zone *z,
						const struct ls_zone_node *node, size_t *count);
/** The RRset of @type at @node, or NULL. For RRSIG, the first group. */
const struct ls_zone_rrset *ls_zone_node_rrset(const struct ls_zone *z,
					       const struct ls_zone_node *node, uint16_t type);
/** The RRSIGs at @node that cover @covered, or NULL. */
const struct ls_zone_rrset *ls_zone_rrsigs(const struct ls_zone *z, const struct ls_zone_node *node,
					   uint16_t covered);

/** Start iterating the rdatas of @rrset. */
void ls_zone_rdata_begin(const struct ls_zone *z, const struct ls_zone_rrset *rrset,
			 struct ls_zone_rdata_iter *it);
/** Next rdata; false at the end (then *@rdata is NULL and *@len 0). */
static inline bool ls_zone_rdata_next(struct ls_zone_rdata_iter *it, const uint8_t **rdata,
				      uint16_t *len)
{
	uint16_t l;

	if (it->left == 0) {
		*rdata = NULL;
		*len = 0;
		return false;
	}
	memcpy(&l, it->pos, sizeof(l));
	*rdata = it->pos + sizeof(l);
	*len = l;
	it->pos += sizeof(l) + l;
	it->left--;
	return true;
}

/* ---- lookups (names in any case) ----------------------------------------- */

/** The node named exactly @name, or NULL. */
const struct ls_zone_node *ls_zone_find(const struct ls_zone *z, const uint8_t *name);

/**
 * The closest encloser of @name: the node of the longest existing ancestor
 * of @name or @name itself (ENTs count). NULL when @name is outside the zone.
 */
const struct ls_zone_node *ls_zone_closest_encloser(const struct ls_zone *z, const uint8_t *name);

/**
 * The highest zone cut at or above @name (a delegation, never the apex), or
 * NULL when @name is authoritative data (or outside the zone).
 */
const struct ls_zone_node *ls_zone_find_cut(const struct ls_zone *z, const uint8_t *name);

/** The highest node holding a DNAME at or above @name, or NULL. */
const struct ls_zone_node *ls_zone_find_dname(const struct ls_zone *z, const uint8_t *name);

/** The wildcard "*.<encloser>" if it exists, else NULL. */
const struct ls_zone_node *ls_zone_wildcard(const struct ls_zone *z,
					    const struct ls_zone_node *encloser);

/**
 * The owner of the NSEC (@type LS_TYPE_NSEC) or NSEC3 (LS_TYPE_NSEC3) record
 * that sorts last strictly before @name in canonical order — the record that
 * covers @name (for NSEC3, pass the hashed owner name). Wraps around: when no
 * owner sorts before @name it is the last owner of the chain. NULL when the
 * zone has no such record (or @type is neither).
 * The NSEC chain holds the authoritative owners only (not ENTs, not nodes
 * below a zone cut or a DNAME — a zone with NSEC there is refused anyway); the
 * NSEC3 chain every node with an NSEC3 RRset. One binary search over the
 * chain, built at finish: O(log owners), whatever lies between two owners.
 */
const struct ls_zone_node *ls_zone_chain_prev(const struct ls_zone *z, const uint8_t *name,
					      uint16_t type);

/**
 * The chain ls_zone_chain_prev() searches: node indices of the owners of
 * @type (LS_TYPE_NSEC or LS_TYPE_NSEC3) in canonical order; *@count receives
 * their number (0, and NULL returned, when there are none).
 */
const uint32_t *ls_zone_chain(const struct ls_zone *z, uint16_t type, size_t *count);

/**
 * The canonical predecessor of @name: the last node that sorts strictly
 * before it, skipping nodes with any of @skip_flags (e.g. ENT | OCCLUDED for
 * an NSEC chain). Wraps around: for the apex, or a name sorting before every
 * node, it is the last node. NULL only when every node is skipped. The steps
 * back cost one per skipped node: for denial proofs use ls_zone_chain_prev().
 */
const struct ls_zone_node *ls_zone_predecessor(const struct ls_zone *z, const uint8_t *name,
					       unsigned skip_flags);

#endif
