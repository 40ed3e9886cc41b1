/* SPDX-License-Identifier: MIT */
/*
 * xfrin_parse.c — the transfer stream parser of xfrin.h.
 *
 * AXFR (RFC 5936 §2.2): SOA, the zone's records, the same SOA again; every
 * record goes straight into a zone builder, so a stream is never held
 * twice in memory. IXFR (RFC 1995 §4): the new SOA, then deltas — old SOA,
 * deletions, new SOA, additions — chained serial to serial from the live
 * version's, then the new SOA again; or, when the primary chooses, an
 * AXFR-style answer (told apart by the second record: an SOA starts a
 * delta, anything else is zone data).
 *
 * Deltas are reduced as they arrive to two sets keyed by owner, type and
 * canonical RDATA: records deleted from the live version, records added.
 * A deletion of something added earlier in the stream cancels the
 * addition; an addition of a deleted record stays an addition (its TTL may
 * be new). At the end the new version is built from the live one minus the
 * deleted set plus the added set, with the stream's SOA. The cost is one
 * pass over the live version and memory for the delta only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/xfrin.h"
#include "common/dname.h"
#include "common/rdata.h"
#include "common/serial.h"

enum phase {
	PH_FIRST_SOA, /* nothing yet */
	PH_SECOND, /* IXFR: the first SOA seen; the next record decides */
	PH_AXFR, /* zone data until the closing SOA */
	PH_DEL, /* IXFR delta: deletions until the delta's new SOA */
	PH_ADD, /* IXFR delta: additions until the next SOA */
	PH_DONE, /* the closing SOA was seen */
	PH_FAILED,
};

struct rec {
	uint32_t hash;
	uint32_t ttl;
	uint16_t type;
	uint16_t owner_len;
	uint32_t rdlen;
	uint8_t key[]; /* lowercased owner, then canonical RDATA */
};

struct rec_set {
	struct rec **slot;
	size_t cap, count; /* cap: a power of two, kept at most half full */
};

struct ls_xfr_parser {
	uint8_t origin[LS_DNAME_MAXLEN];
	uint16_t qtype;
	const struct ls_zone *base;
	size_t max_records, max_bytes, records, bytes;
	enum phase phase;
	bool incremental;
	uint32_t serial; /* the first SOA's */
	uint8_t soa[LS_RDATA_MAXLEN];
	uint16_t soa_len;
	uint32_t soa_ttl;
	uint32_t chain; /* IXFR: the serial the next delta must start from */
	uint32_t delta_new; /* IXFR: the current delta's new serial */
	uint64_t messages;
	struct ls_zone_builder *b; /* AXFR-style */
	struct rec_set del, add; /* IXFR */
	uint8_t canon[LS_RDATA_MAXLEN];
	char err[256];
};

static int fail(struct ls_xfr_parser *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ls_xfr_parser *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->phase = PH_FAILED;
	return err;
}

/* ---- record sets --------------------------------------------------------- */

static uint32_t key_hash(const uint8_t *k, size_t n, uint16_t type)
{
	uint32_t h = 2166136261u ^ type;

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static struct rec **set_find(const struct rec_set *s, const struct rec *r)
{
	if (!s->cap)
		return NULL;
	for (size_t i = r->hash & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		struct rec *e = s->slot[i];

		if (!e)
			return &s->slot[i];
		if (e->hash == r->hash && e->type == r->type && e->owner_len == r->owner_len &&
		    e->rdlen == r->rdlen && memcmp(e->key, r->key, r->owner_len + r->rdlen) == 0)
			return &s->slot[i];
	}
}

static int set_grow(struct rec_set *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	struct rec **n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		struct rec *e = s->slot[i];

		if (!e)
			continue;
		size_t j = e->hash & (ncap - 1);
		while (n[j])
			j = (j + 1) & (ncap - 1);
		n[j] = e;
	}
	free(s->slot);
	s->slot = n;
	s->cap = ncap;
	return 0;
}

/* Remove the entry at @pos (backward-shift deletion, no tombstones). */
static void set_remove(struct rec_set *s, struct rec **pos)
{
	size_t i = (size_t)(pos - s->slot), mask = s->cap - 1;

	free(s->slot[i]);
	s->slot[i] = NULL;
	s->count--;
	for (size_t j = (i + 1) & mask; s->slot[j]; j = (j + 1) & mask) {
		size_t home = s->slot[j]->hash & mask;

		/* move j back to i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			s->slot[i] = s->slot[j];
			s->slot[j] = NULL;
			i = j;
		}
	}
}

static void set_free(struct rec_set *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	s->slot = NULL;
	s->cap = s->count = 0;
}

/* A record as a set key: lowercased owner, canonical RDATA. NULL: -ENOMEM. */
static struct rec *rec_make(struct ls_xfr_parser *p, const uint8_t *owner, uint16_t type,
			    uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	size_t ol = ls_dname_len(owner);
	struct rec *r = malloc(sizeof(*r) + ol + rdlen);

	if (!r)
		return NULL;
	ls_dname_copy_lower(r->key, owner);
	memcpy(r->key + ol, rdata, rdlen);
	if (ls_rdata_canonicalize(type, r->key + ol, rdlen) != 0) {
		/* unknown to the table: compared as octets */
		memcpy(r->key + ol, rdata, rdlen);
	}
	r->type = type;
	r->ttl = ttl;
	r->owner_len = (uint16_t)ol;
	r->rdlen = (uint32_t)rdlen;
	r->hash = key_hash(r->key, ol + rdlen, type);
	return r;
}

/* Does the live version hold the record @r (owner, type, canonical RDATA)? */
static bool base_has(struct ls_xfr_parser *p, const struct rec *r)
{
	const struct ls_zone_node *node = ls_zone_find(p->base, r->key);
	const struct ls_zone_rrset *rs;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	if (!node)
		return false;
	if (r->type == LS_TYPE_RRSIG) {
		if (r->rdlen < 2)
			return false;
		rs = ls_zone_rrsigs(
			p->base, node,
			(uint16_t)(r->key[r->owner_len] << 8 | r->key[r->owner_len + 1]));
	} else {
		rs = ls_zone_node_rrset(p->base, node, r->type);
	}
	if (!rs)
		return false;
	ls_zone_rdata_begin(p->base, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		if (len != r->rdlen)
			continue;
		memcpy(p->canon, rd, len);
		if (ls_rdata_canonicalize(r->type, p->canon, len) != 0)
			memcpy(p->canon, rd, len);
		if (memcmp(p->canon, r->key + r->owner_len, len) == 0)
			return true;
	}
	return false;
}

static int delta_delete(struct ls_xfr_parser *p, struct rec *r)
{
	struct rec **pos;

	pos = set_find(&p->add, r);
	if (pos && *pos) {
		set_remove(&p->add, pos);
		free(r);
		return 0;
	}
	pos = set_find(&p->del, r);
	if ((pos && *pos) || !base_has(p, r)) {
		char owner[LS_DNAME_STRLEN];
		uint16_t type = r->type;

		ls_dname_to_str(owner, sizeof(owner), r->key);
		free(r);
		return fail(p, -EBADMSG, "IXFR deletes %s type %u, which the zone does not hold",
			    owner, type);
	}
	if (p->del.count + 1 > p->del.cap / 2 && set_grow(&p->del))
		goto nomem;
	*set_find(&p->del, r) = r;
	p->del.count++;
	return 0;
nomem:
	free(r);
	return fail(p, -ENOMEM, "out of memory");
}

static int delta_add(struct ls_xfr_parser *p, struct rec *r)
{
	struct rec **pos = set_find(&p->add, r);

	if (pos && *pos) {
		(*pos)->ttl = r->ttl; /* the same record again: the later TTL */
		free(r);
		return 0;
	}
	if (p->add.count + 1 > p->add.cap / 2 && set_grow(&p->add)) {
		free(r);
		return fail(p, -ENOMEM, "out of memory");
	}
	*set_find(&p->add, r) = r;
	p->add.count++;
	return 0;
}

/* ---- the stream ---------------------------------------------------------- */

int ls_xfr_parser_new(const uint8_t *origin, uint16_t qtype, const struct ls_zone *base,
		      size_t max_records, size_t max_bytes, struct ls_xfr_parser **out)
{
	struct ls_xfr_parser *p;

	*out = NULL;
	if ((qtype != LS_TYPE_AXFR && qtype != LS_TYPE_IXFR) || (qtype == LS_TYPE_IXFR && !base))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ls_dname_copy_lower(p->origin, origin);
	p->qtype = qtype;
	p->base = base;
	p->max_records = max_records ? max_records : LS_XFR_DEFAULT_MAX_RECORDS;
	p->max_bytes = max_bytes ? max_bytes : (size_t)LS_XFR_DEFAULT_MAX_BYTES;
	p->phase = PH_FIRST_SOA;
	*out = p;
	return 0;
}

void ls_xfr_parser_free(struct ls_xfr_parser *p)
{
	if (!p)
		return;
	ls_zone_builder_free(p->b);
	set_free(&p->del);
	set_free(&p->add);
	free(p);
}

const char *ls_xfr_parser_error(const struct ls_xfr_parser *p)
{
	return p->err;
}

bool ls_xfr_parser_serial(const struct ls_xfr_parser *p, uint32_t *serial)
{
	if (p->phase == PH_FIRST_SOA)
		return false;
	*serial = p->serial;
	return true;
}

bool ls_xfr_parser_incremental(const struct ls_xfr_parser *p)
{
	return p->incremental;
}

size_t ls_xfr_parser_records(const struct ls_xfr_parser *p)
{
	return p->records;
}

static uint32_t soa_serial(const uint8_t *rd, size_t len)
{
	const uint8_t *s = rd + len - 20;

	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

static int start_builder(struct ls_xfr_parser *p)
{
	p->b = ls_zone_builder_new(p->origin);
	if (!p->b)
		return fail(p, -ENOMEM, "out of memory");
	ls_zone_builder_set_limits(p->b, p->max_records, p->max_bytes);
	return 0;
}

static int build_add(struct ls_xfr_parser *p, const uint8_t *owner, uint16_t type, uint32_t ttl,
		     const uint8_t *rd, size_t len)
{
	int err = ls_zone_builder_add(p->b, owner, type, LS_CLASS_IN, ttl, rd, len, NULL);
	char name[LS_DNAME_STRLEN];

	if (err == -EFBIG)
		return fail(p, -EFBIG, "zone over the size limits (%zu records, %zu octets)",
			    p->max_records, p->max_bytes);
	if (err == -ENOMEM)
		return fail(p, -ENOMEM, "out of memory");
	if (err) {
		ls_dname_to_str(name, sizeof(name), owner);
		return fail(p, -EBADMSG,
			    "record refused: %s type %u (outside the zone or malformed)", name,
			    type);
	}
	return 0;
}

static int one_rr(struct ls_xfr_parser *p, const struct ls_msg_rr *rr)
{
	bool apex_soa = rr->type == LS_TYPE_SOA && ls_dname_equal(rr->owner, p->origin);
	uint32_t serial = apex_soa ? soa_serial(rr->rdata, rr->rdlen) : 0;
	struct rec *r;
	int err;

	if (p->phase == PH_DONE)
		return fail(p, -EBADMSG, "records after the closing SOA");
	if (rr->rclass != LS_CLASS_IN)
		return fail(p, -EBADMSG, "record of class %u in the stream", rr->rclass);
	p->records++;
	p->bytes += rr->owner_len + 10 + rr->rdlen;
	if (p->records > p->max_records || p->bytes > p->max_bytes)
		return fail(p, -EFBIG, "zone over the size limits (%zu records, %zu octets)",
			    p->max_records, p->max_bytes);

	switch (p->phase) {
	case PH_FIRST_SOA:
		if (!apex_soa)
			return fail(p, -EBADMSG, "the stream does not start with the zone's SOA");
		p->serial = serial;
		memcpy(p->soa, rr->rdata, rr->rdlen);
		p->soa_len = rr->rdlen;
		p->soa_ttl = rr->ttl;
		if (p->qtype == LS_TYPE_AXFR) {
			p->phase = PH_AXFR;
			return start_builder(p) ?:
				       build_add(p, rr->owner, rr->type, rr->ttl, rr->rdata,
						 rr->rdlen);
		}
		p->phase = PH_SECOND;
		return 0;
	case PH_SECOND:
		if (apex_soa && serial != p->serial) {
			/* RFC 1995 §4: a delta starts with the old SOA */
			p->incremental = true;
			p->chain = ls_zone_serial(p->base);
			goto delta_start;
		}
		/* AXFR-style */
		p->phase = PH_AXFR;
		err = start_builder(p) ?:
			      build_add(p, p->origin, LS_TYPE_SOA, p->soa_ttl, p->soa, p->soa_len);
		if (err)
			return err;
		if (apex_soa) { /* an SOA-only zone: the closing SOA */
			p->phase = PH_DONE;
			return 0;
		}
		return build_add(p, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
	case PH_AXFR:
		if (apex_soa) {
			if (serial != p->serial)
				return fail(p, -EBADMSG,
					    "the closing SOA has serial %u, the first had %u",
					    serial, p->serial);
			p->phase = PH_DONE;
			return 0;
		}
		return build_add(p, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
	case PH_DEL:
		if (apex_soa) {
			if (!ls_serial_newer(serial, p->chain))
				return fail(p, -EBADMSG, "IXFR delta from %u goes to %u, not newer",
					    p->chain, serial);
			p->delta_new = serial;
			p->phase = PH_ADD;
			return 0;
		}
		r = rec_make(p, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
		if (!r)
			return fail(p, -ENOMEM, "out of memory");
		return delta_delete(p, r);
	case PH_ADD:
		if (apex_soa) {
			if (serial == p->serial && p->delta_new == p->serial) {
				p->phase = PH_DONE;
				return 0;
			}
			p->chain = p->delta_new;
			goto delta_start;
		}
		if (!ls_dname_is_sub(rr->owner, p->origin))
			return fail(p, -EBADMSG, "IXFR adds a record outside the zone");
		if (ls_rdata_check(rr->type, rr->rdata, rr->rdlen) != 0)
			return fail(p, -EBADMSG, "IXFR adds a malformed record");
		r = rec_make(p, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
		if (!r)
			return fail(p, -ENOMEM, "out of memory");
		return delta_add(p, r);
	default:
		return fail(p, -EINVAL, "parser used after an error");
	}

delta_start:
	if (serial != p->chain)
		return fail(p, -EBADMSG, "IXFR delta starts at serial %u, expected %u", serial,
			    p->chain);
	p->phase = PH_DEL;
	return 0;
}

int ls_xfr_parser_feed(struct ls_xfr_parser *p, const struct ls_msg *m)
{
	struct ls_msg_iter it;
	struct ls_msg_rr *rr;
	unsigned rcode = ls_msg_rcode(m);
	int err;

	if (p->phase == PH_FAILED)
		return -EINVAL;
	if (p->phase == PH_DONE)
		return fail(p, -EBADMSG, "a message after the closing SOA");
	if (!(m->flags & LS_FLAG_QR) || ls_msg_opcode(m) != LS_OPCODE_QUERY)
		return fail(p, -EPROTO, "not a response to a query");
	if (rcode != LS_RCODE_NOERROR) {
		const char *n = ls_msg_rcode_name(rcode);

		return fail(p, -EPROTO, "the primary answered %s", n ? n : "an error");
	}
	if (m->flags & LS_FLAG_TC)
		return fail(p, -EPROTO, "truncated (TC) response");
	if (m->count[LS_SECTION_QUESTION] > 1 ||
	    (m->count[LS_SECTION_QUESTION] == 1 &&
	     (!ls_dname_equal(m->qname, p->origin) || m->qtype != p->qtype)))
		return fail(p, -EPROTO, "the response is for another question");
	if (p->messages++ == 0 && m->count[LS_SECTION_ANSWER] == 0)
		return fail(p, -EBADMSG, "an empty first message");

	rr = malloc(sizeof(*rr));
	if (!rr)
		return fail(p, -ENOMEM, "out of memory");
	ls_msg_iter_init(&it, m, LS_SECTION_ANSWER);
	while ((err = ls_msg_iter_next(&it, rr)) > 0) {
		err = one_rr(p, rr);
		if (err)
			break;
	}
	free(rr);
	if (err < 0) {
		if (p->phase != PH_FAILED)
			fail(p, err, "malformed record in the stream");
		return err;
	}
	if (p->phase == PH_DONE)
		return LS_XFR_DONE;
	/* RFC 1995 §4: a lone current SOA says there is nothing newer */
	if (p->phase == PH_SECOND && p->records == 1 &&
	    !ls_serial_newer(p->serial, ls_zone_serial(p->base)))
		return LS_XFR_UPTODATE;
	return LS_XFR_MORE;
}

/* The live version minus the deleted records plus the added ones. */
static int build_incremental(struct ls_xfr_parser *p)
{
	const struct ls_zone *z = p->base;
	size_t nodes = ls_zone_node_count(z);
	int err;

	err = start_builder(p) ?:
				 build_add(p, p->origin, LS_TYPE_SOA, p->soa_ttl, p->soa, p->soa_len);
	if (err)
		return err;
	for (size_t i = 0; i < nodes; i++) {
		const struct ls_zone_node *node = ls_zone_node_at(z, i);
		const uint8_t *owner = ls_zone_node_name(z, node);
		const struct ls_zone_rrset *sets;
		size_t n;

		sets = ls_zone_node_rrsets(z, node, &n);
		for (size_t j = 0; j < n; j++) {
			struct ls_zone_rdata_iter it;
			const uint8_t *rd;
			uint16_t len;

			if (sets[j].type == LS_TYPE_SOA && i == 0)
				continue;
			ls_zone_rdata_begin(z, &sets[j], &it);
			while (ls_zone_rdata_next(&it, &rd, &len)) {
				if (p->del.count) {
					struct rec *r =
						rec_make(p, owner, sets[j].type, 0, rd, len);
					struct rec **pos;

					if (!r)
						return fail(p, -ENOMEM, "out of memory");
					pos = set_find(&p->del, r);
					free(r);
					if (pos && *pos)
						continue;
				}
				err = build_add(p, owner, sets[j].type, sets[j].ttl, rd, len);
				if (err)
					return err;
			}
		}
	}
	for (size_t i = 0; i < p->add.cap; i++) {
		const struct rec *r = p->add.slot[i];

		if (!r || r->type == LS_TYPE_SOA)
			continue;
		err = build_add(p, r->key, r->type, r->ttl, r->key + r->owner_len, r->rdlen);
		if (err)
			return err;
	}
	return 0;
}

int ls_xfr_parser_finish(struct ls_xfr_parser *p, struct ls_zone **zone, char *why, size_t whylen)
{
	struct ls_zone_problems *probs = NULL;
	struct ls_zone_builder *b;
	int err;

	*zone = NULL;
	snprintf(why, whylen, "ok");
	if (p->phase != PH_DONE) {
		snprintf(why, whylen, "the stream is not complete");
		ls_xfr_parser_free(p);
		return -EINVAL;
	}
	if (p->incremental) {
		err = build_incremental(p);
		if (err) {
			snprintf(why, whylen, "%s", p->err);
			ls_xfr_parser_free(p);
			return err;
		}
	}
	b = p->b;
	p->b = NULL;
	ls_xfr_parser_free(p);
	err = ls_zone_builder_finish(b, zone, &probs);
	if (err && probs) {
		for (size_t i = 0; i < probs->count; i++) {
			if (probs->v[i].severity == LS_ZONE_ERROR) {
				ls_zone_problem_format(why, whylen, &probs->v[i]);
				break;
			}
		}
	} else if (err) {
		snprintf(why, whylen, "%s", strerror(-err));
	}
	ls_zone_problems_free(probs);
	return err;
}
