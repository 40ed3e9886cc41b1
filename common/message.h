/* SPDX-License-Identifier: MIT */
/*
 * message.h — DNS messages (RFC 1035 §4, EDNS0 RFC 6891, TSIG placement
 * RFC 8945).
 *
 * Owns: reading a message as a zero-copy view into the caller's buffer
 * (header, question, a walk of every RR that refuses truncation, overruns,
 * bad names, misplaced or repeated OPT and a TSIG that is not last; then
 * iteration of each section with RDATA names decompressed), and writing a
 * message into a caller buffer with a size limit (name compression only to
 * byte-identical earlier names, section counts kept in the header at every
 * step, marks to roll back a partly added RRset, OPT).
 * Must not: allocate, verify TSIG MACs, or decide how a server answers —
 * that is the engine's job; this module only reports what the wire says.
 *
 * The parse path costs one pass over the message and touches no RDATA
 * except OPT's and TSIG's, so the answer engine can parse every query.
 */
#ifndef LOCKSTEP_COMMON_MESSAGE_H
#define LOCKSTEP_COMMON_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/rdata.h"

#define LS_MSG_HDRLEN 12
#define LS_MSG_MAXLEN 65535

/* Bits of the header's flags word (the 16 bits after the ID). */
#define LS_FLAG_QR 0x8000
#define LS_FLAG_AA 0x0400
#define LS_FLAG_TC 0x0200
#define LS_FLAG_RD 0x0100
#define LS_FLAG_RA 0x0080
#define LS_FLAG_Z 0x0040
#define LS_FLAG_AD 0x0020
#define LS_FLAG_CD 0x0010
#define LS_OPCODE_MASK 0x7800
#define LS_OPCODE_SHIFT 11
#define LS_RCODE_MASK 0x000f

/* Opcodes. */
#define LS_OPCODE_QUERY 0
#define LS_OPCODE_IQUERY 1
#define LS_OPCODE_STATUS 2
#define LS_OPCODE_NOTIFY 4
#define LS_OPCODE_UPDATE 5 /* also NEWZONE_NOTIFY, told apart by the engine */
#define LS_OPCODE_DSO 6

/* RCODEs; 16 and up need the OPT's extended bits (or are TSIG errors). */
#define LS_RCODE_NOERROR 0
#define LS_RCODE_FORMERR 1
#define LS_RCODE_SERVFAIL 2
#define LS_RCODE_NXDOMAIN 3
#define LS_RCODE_NOTIMP 4
#define LS_RCODE_REFUSED 5
#define LS_RCODE_YXDOMAIN 6
#define LS_RCODE_YXRRSET 7
#define LS_RCODE_NXRRSET 8
#define LS_RCODE_NOTAUTH 9
#define LS_RCODE_NOTZONE 10
#define LS_RCODE_DSOTYPENI 11
#define LS_RCODE_BADVERS 16 /* in OPT */
#define LS_RCODE_BADSIG 16 /* in TSIG, RFC 8945 */
#define LS_RCODE_BADKEY 17
#define LS_RCODE_BADTIME 18
#define LS_RCODE_BADMODE 19
#define LS_RCODE_BADNAME 20
#define LS_RCODE_BADALG 21
#define LS_RCODE_BADTRUNC 22
#define LS_RCODE_BADCOOKIE 23

/* EDNS (RFC 6891): flags in the OPT TTL's low 16 bits, option codes. */
#define LS_EDNS_DO 0x8000
#define LS_EDNS_OPT_NSID 3
#define LS_EDNS_OPT_CLIENT_SUBNET 8
#define LS_EDNS_OPT_EXPIRE 9
#define LS_EDNS_OPT_COOKIE 10
#define LS_EDNS_OPT_TCP_KEEPALIVE 11
#define LS_EDNS_OPT_PADDING 12
#define LS_EDNS_OPT_EDE 15

enum ls_msg_section {
	LS_SECTION_QUESTION = 0,
	LS_SECTION_ANSWER = 1,
	LS_SECTION_AUTHORITY = 2,
	LS_SECTION_ADDITIONAL = 3,
};

/* EDNS as read from an OPT record, or as to be written. */
struct ls_msg_edns {
	uint16_t udp_size; /* the OPT CLASS */
	uint8_t ext_rcode; /* upper 8 bits of the 12-bit RCODE */
	uint8_t version;
	uint16_t flags; /* LS_EDNS_DO and the Z bits */
	const uint8_t *options; /* code, length, data, ...; points into the message */
	uint16_t options_len;
};

/* A TSIG record as found, for the verifier (RFC 8945 §4.2). */
struct ls_msg_tsig {
	size_t offset; /* where the TSIG RR starts: the MAC covers the octets before it */
	uint8_t key[LS_DNAME_MAXLEN]; /* owner, uncompressed, case as sent */
	uint8_t alg[LS_DNAME_MAXLEN];
	uint16_t rclass;
	uint32_t ttl;
	uint64_t time_signed; /* 48 bits */
	uint16_t fudge;
	const uint8_t *mac;
	uint16_t mac_len;
	uint16_t orig_id;
	uint16_t error;
	const uint8_t *other;
	uint16_t other_len;
};

/* A parsed message: a view into the caller's buffer, which must outlive it. */
struct ls_msg {
	const uint8_t *wire;
	size_t len;
	uint16_t id;
	uint16_t flags; /* LS_FLAG_*, opcode and the low RCODE bits */
	uint16_t count[4]; /* indexed by enum ls_msg_section */
	size_t section_off[4]; /* where each section starts */
	size_t end; /* end of the last RR; octets after it are trailing data */

	/* The first question (qdcount > 0). */
	uint8_t qname[LS_DNAME_MAXLEN]; /* uncompressed, case as sent */
	size_t qname_len;
	uint16_t qtype;
	uint16_t qclass;

	bool has_edns;
	struct ls_msg_edns edns;
	size_t opt_offset; /* where the OPT RR starts */

	bool has_tsig;
	struct ls_msg_tsig tsig;

	/* After a failed parse: what was wrong and at which offset. */
	const char *err_what;
	size_t err_off;
};

/**
 * Parse @wire (@len octets) into @m: the header, the first question, and a
 * walk over every RR to find section boundaries, OPT and TSIG.
 * Returns 0; -EBADMSG for malformed wire (shorter than a header, truncated
 * anywhere, an RDLENGTH past the end, a bad or looping name, section counts
 * the octets cannot hold, malformed OPT options or TSIG RDATA); -EPROTO for
 * a well-formed message that breaks EDNS/TSIG placement rules (OPT outside
 * the additional section, a second OPT, OPT not owned by the root, TSIG not
 * the last record of the additional section). On error, @m->err_what and
 * @m->err_off say why and where; the header fields are valid whenever @len
 * is at least LS_MSG_HDRLEN (so a FORMERR can still be built), the question
 * whenever its parse got that far (@m->qname_len > 0).
 * Trailing octets after the last RR are not an error: @m->end < @m->len
 * tells the caller, who decides.
 * Cost: linear in @len; a count that the octets cannot hold fails at the
 * first RR that does not fit.
 */
int ls_msg_parse(struct ls_msg *m, const uint8_t *wire, size_t len);

static inline unsigned ls_msg_opcode(const struct ls_msg *m)
{
	return (m->flags & LS_OPCODE_MASK) >> LS_OPCODE_SHIFT;
}

/** The full RCODE: the header's 4 bits extended by the OPT's 8, if any. */
static inline unsigned ls_msg_rcode(const struct ls_msg *m)
{
	return (m->flags & LS_RCODE_MASK) | (m->has_edns ? (unsigned)m->edns.ext_rcode << 4 : 0);
}

/** One record (or, in the question section, one question) of a message. */
struct ls_msg_rr {
	enum ls_msg_section section;
	size_t offset; /* where the RR starts in the message */
	uint8_t owner[LS_DNAME_MAXLEN]; /* uncompressed, case as sent */
	size_t owner_len;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	/* Uncompressed RDATA: into the message when the type has no names that
	 * may be compressed, else into rdbuf below. */
	const uint8_t *rdata;
	uint16_t rdlen;
	size_t wire_rdata_off; /* the RDATA as it sits in the message */
	uint16_t wire_rdlen;
	uint8_t rdbuf[LS_RDATA_DECOMP_BUFLEN];
};

struct ls_msg_iter {
	const struct ls_msg *m;
	enum ls_msg_section section;
	size_t pos;
	uint16_t left;
};

/** Start iterating the records of @section of a successfully parsed @m. */
void ls_msg_iter_init(struct ls_msg_iter *it, const struct ls_msg *m, enum ls_msg_section section);

/**
 * Fill @rr with the next record: returns 1, or 0 at the end of the section,
 * or -EBADMSG when its RDATA is malformed for its type (checked as
 * ls_rdata_unpack() does; an empty RDATA is accepted in classes NONE and ANY,
 * as DNS UPDATE uses them) or -EMSGSIZE when decompressed RDATA exceeds
 * rr->rdbuf. Iteration may not continue after an error.
 */
int ls_msg_iter_next(struct ls_msg_iter *it, struct ls_msg_rr *rr);

/* ---- writing ---- */

#define LS_MSG_COMP_SLOTS 1024 /* power of two; 3/4 of it are ever filled */

struct ls_msg_comp_slot {
	uint32_t hash; /* of the name suffix that starts at @off, lowercased */
	uint16_t off; /* valid only while the slot's bit in @used is set */
};

struct ls_msg_writer {
	uint8_t *buf;
	size_t size; /* of @buf */
	size_t limit; /* the message may not grow past this (<= size) */
	size_t reserved; /* room kept free at the end, see ls_msg_reserve() */
	size_t len;
	uint16_t count[4];
	enum ls_msg_section section; /* the last section written to */
	bool has_opt;
	uint16_t nlog;
	uint16_t log[LS_MSG_COMP_SLOTS]; /* slots in insertion order, for rollback */
	/* One bit per slot of @tab: only these 128 octets are cleared per
	 * message, not the 8 KiB table (that memset was ~9% of the engine). */
	uint64_t used[LS_MSG_COMP_SLOTS / 64];
	struct ls_msg_comp_slot tab[LS_MSG_COMP_SLOTS];
};

struct ls_msg_mark {
	size_t len;
	uint16_t count[4];
	enum ls_msg_section section;
	bool has_opt;
	uint16_t nlog;
};

/**
 * Start a message in @buf (@size octets; more than 65535 are not used):
 * a zeroed header, no records, limit = size. -ENOSPC when @size < 12.
 */
int ls_msg_writer_init(struct ls_msg_writer *w, uint8_t *buf, size_t size);

/** Set the ID and the whole flags word (opcode and low RCODE included). */
void ls_msg_set_header(struct ls_msg_writer *w, uint16_t id, uint16_t flags);
uint16_t ls_msg_get_flags(const struct ls_msg_writer *w);
void ls_msg_set_flags(struct ls_msg_writer *w, uint16_t flags);
/** Set the low 4 RCODE bits (the upper ones go into the OPT record). */
void ls_msg_set_rcode(struct ls_msg_writer *w, unsigned rcode);

/**
 * Limit the message to @limit octets (the client's UDP payload size, say).
 * -EINVAL when the message is already longer than that.
 */
int ls_msg_set_limit(struct ls_msg_writer *w, size_t limit);

/**
 * Keep @n octets free at the end for what must still come (an OPT, a TSIG):
 * records added afterwards fail with -ENOSPC rather than eat into it.
 * ls_msg_unreserve() gives the room back. -ENOSPC when not available.
 */
int ls_msg_reserve(struct ls_msg_writer *w, size_t n);
void ls_msg_unreserve(struct ls_msg_writer *w, size_t n);

/** Octets a record may still use. */
size_t ls_msg_room(const struct ls_msg_writer *w);

/** The message so far is buf[0 .. ls_msg_len()); it is always complete. */
static inline size_t ls_msg_len(const struct ls_msg_writer *w)
{
	return w->len;
}

/**
 * Add a question. Only before any record (-EINVAL otherwise). The name is
 * written as given (case kept) and remembered for compression.
 * -ENOSPC when it does not fit (nothing is written).
 */
int ls_msg_put_question(struct ls_msg_writer *w, const uint8_t *qname, uint16_t qtype,
			uint16_t qclass);

/**
 * Add a record to @section (sections only go forward: -EINVAL for an
 * earlier one). @rdata is uncompressed wire RDATA, checked against @type
 * (-EBADMSG). The owner, and RDATA names of the RFC 1035 types, are
 * compressed against earlier names equal but for ASCII case (as knotd
 * does), so a name may read back in the spelling of the earlier name it
 * points to — the query name's spelling, for names under it.
 * -ENOSPC when the record does not fit: nothing is written, and the caller
 * knows to set TC or to stop.
 */
int ls_msg_put_rr(struct ls_msg_writer *w, enum ls_msg_section section, const uint8_t *owner,
		  uint16_t type, uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen);

/** Octets an OPT record with @e takes. */
size_t ls_msg_opt_size(const struct ls_msg_edns *e);

/**
 * Add an OPT record (root owner) to the additional section; @e->options are
 * copied as given and must be well-formed (-EBADMSG). -ENOSPC if it does
 * not fit. Only one per message (-EEXIST).
 */
int ls_msg_put_opt(struct ls_msg_writer *w, const struct ls_msg_edns *e);

/** Remember the current state... */
void ls_msg_mark(const struct ls_msg_writer *w, struct ls_msg_mark *mark);
/** ...and return to it, undoing every record and question added since. */
void ls_msg_rollback(struct ls_msg_writer *w, const struct ls_msg_mark *mark);

/* ---- names for humans and tests ---- */

/** "NOERROR", "NXDOMAIN", "BADVERS" (16 as an extended RCODE) ...; NULL if unknown. */
const char *ls_msg_rcode_name(unsigned rcode);
/** TSIG error names: "BADSIG" for 16, then as ls_msg_rcode_name(). */
const char *ls_msg_tsig_error_name(unsigned error);
/** "QUERY", "NOTIFY", "UPDATE" ...; NULL if unknown. */
const char *ls_msg_opcode_name(unsigned opcode);
/** "QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL". */
const char *ls_msg_section_name(enum ls_msg_section section);

/**
 * One record as a zone file line, fields separated by single spaces:
 * "owner TTL CLASS TYPE RDATA" (a question: "owner CLASS TYPE").
 * Returns the length, -ENOSPC or -EBADMSG.
 */
int ls_msg_rr_to_str(char *dst, size_t dstlen, const struct ls_msg_rr *rr);

#endif
