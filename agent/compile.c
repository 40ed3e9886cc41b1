/* SPDX-License-Identifier: MIT */
/*
 * compile.c — see compile.h; docs/dataplane.md explains the layout.
 *
 * Every body comes from ls_engine_respond() answering a synthetic query:
 * EDNS with a payload of LS_ENGINE_EDNS_PAYLOAD (the most the engine uses),
 * so the body is the largest form; the program derives the smaller ones
 * (no OPT for a query without EDNS, TC=1 when the required sections do not
 * fit) by the engine's own rules. Bodies are deduplicated: the NODATA and
 * NXDOMAIN bodies of an unsigned zone are one each for the whole zone,
 * because compression pointers into the question are stored relative to
 * the query name's length.
 */
#include "agent/compile.h"

#include "agent/engine.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define QBUF 512
#define RBUF 4096
#define MAX_TYPES 64

#define MAX_PSEUDO 64

struct cc {
	const struct ls_zone *z;
	/* Names that do not exist but appear in below-bodies (a SOA RNAME,
	 * an NS target without glue): each gets entries of its own, so the
	 * walk stops there and the engine's compression against them holds. */
	uint8_t pseudo[MAX_PSEUDO][LS_DNAME_MAXLEN];
	bool pseudo_do[MAX_PSEUDO];
	size_t npseudo;
	bool cur_do;
	uint8_t offender[LS_DNAME_MAXLEN]; /* the last name-dependent body's name */
	bool have_offender;
	struct ls_compiled *c;
	uint16_t types[MAX_TYPES]; /* every type the zone holds */
	size_t ntypes;
	uint16_t other; /* a type the zone does not hold, for LS_QTYPE_OTHER */
	/* body dedup: open addressing over body indices + 1 */
	uint32_t *tab;
	size_t tabsize;
	uint8_t q[QBUF];
	uint8_t r[RBUF];
};

static const struct ls_zone *one_zone(void *ctx, const uint8_t *qname_lower, bool *silent)
{
	const struct ls_zone *z = ctx;

	*silent = false;
	return ls_dname_is_sub(qname_lower, ls_zone_origin(z)) ? z : NULL;
}

/* Types the data plane passes whatever the tables say (lockstep.bpf.c). */
static bool passed_type(uint16_t t)
{
	return t == 0 || t == LS_TYPE_OPT || t == LS_TYPE_DS || t == LS_TYPE_RRSIG ||
	       (t >= 128 && t <= 255);
}

static size_t build_query(uint8_t *q, const uint8_t *name, uint16_t qtype, bool edns, bool dnssec)
{
	size_t n = ls_dname_len(name), p = 0;

	memset(q, 0, 12);
	q[5] = 1; /* qdcount */
	q[11] = edns ? 1 : 0;
	p = 12;
	memcpy(q + p, name, n);
	p += n;
	q[p++] = (uint8_t)(qtype >> 8);
	q[p++] = (uint8_t)qtype;
	q[p++] = 0;
	q[p++] = LS_CLASS_IN;
	if (edns) {
		const uint8_t opt[LS_XDP_OPT_LEN] = { 0,
						      0,
						      41,
						      LS_ENGINE_EDNS_PAYLOAD >> 8,
						      LS_ENGINE_EDNS_PAYLOAD & 0xff,
						      0,
						      0,
						      dnssec ? 0x80 : 0,
						      0,
						      0,
						      0 };
		memcpy(q + p, opt, sizeof(opt));
		p += sizeof(opt);
	}
	return p;
}

/*
 * Walk a name in the message at *@pos; a compression pointer's position
 * goes to *@ptr_at (or stays SIZE_MAX). Returns 0 or -EBADMSG.
 */
static int walk_name(const uint8_t *m, size_t len, size_t *pos, size_t *ptr_at)
{
	size_t p = *pos;

	*ptr_at = SIZE_MAX;
	for (int i = 0; i < 128; i++) {
		if (p >= len)
			return -EBADMSG;
		uint8_t c = m[p];
		if ((c & 0xC0) == 0xC0) {
			if (p + 2 > len)
				return -EBADMSG;
			*ptr_at = p;
			*pos = p + 2;
			return 0;
		}
		if (c > 63)
			return -EBADMSG;
		p += 1 + (size_t)c;
		if (c == 0) {
			*pos = p;
			return 0;
		}
	}
	return -EBADMSG;
}

struct fixups {
	uint16_t at[LS_XDP_FIXUPS];
	size_t n;
	bool overflow;
	/* for a body that answers names below @below (NULL: an exact body) */
	const struct ls_zone *z;
	const uint8_t *below;
	const uint8_t *probe;
	struct cc *cc; /* its pseudo names count as existing */
	bool whole_moves; /* a pointer to offset 12 names a suffix too (see compile_node) */
	bool name_dependent;
	uint8_t offender[LS_DNAME_MAXLEN];
};

static bool is_pseudo(const struct cc *cc, const uint8_t *name);

/*
 * A body compiled for a probe name below @f->below serves every name whose
 * closest existing ancestor is @f->below only if no name in it lies below
 * @f->below without existing: such a name could be the query name or a
 * suffix of it, and the engine would then compress it differently.
 */
static void check_name(struct fixups *f, const uint8_t *m, size_t len, size_t pos)
{
	uint8_t name[LS_DNAME_MAXLEN];

	if (!f->below || ls_dname_unpack(name, m, len, &pos) < 0)
		return;
	if (ls_dname_is_sub(name, f->below) && !ls_dname_equal(name, f->below) &&
	    !ls_dname_equal(name, f->probe) && !ls_zone_find(f->z, name) &&
	    !is_pseudo(f->cc, name) && !f->name_dependent) {
		f->name_dependent = true;
		ls_dname_copy_lower(f->offender, name);
	}
}

/* A pointer at @at (message offset) aiming past the question's first octet moves with the name. */
static void note_pointer(struct fixups *f, const uint8_t *m, size_t at, size_t body_off)
{
	if (at == SIZE_MAX)
		return;
	uint16_t target = ls_get16(m + at) & 0x3fff;
	if (target < LS_MSG_HDRLEN || (target == LS_MSG_HDRLEN && !f->whole_moves))
		return;
	if (f->n == LS_XDP_FIXUPS) {
		f->overflow = true;
		return;
	}
	f->at[f->n++] = (uint16_t)(at - body_off);
}

struct rd_names {
	size_t off[16];
	size_t n;
};

static int collect_name(void *ctx, size_t off, bool compressible)
{
	struct rd_names *rn = ctx;

	(void)compressible;
	if (rn->n == sizeof(rn->off) / sizeof(rn->off[0]))
		return -E2BIG;
	rn->off[rn->n++] = off;
	return 0;
}

/*
 * The compression pointers of the records from @pos on, and where the
 * additional section starts. Names inside RDATA are found with
 * ls_rdata_names() on the decompressed RDATA and mapped back to the wire:
 * octets between names are copied verbatim, so the wire offset of a name
 * is its decompressed offset minus what earlier names saved by compression.
 */
static int scan_records(const uint8_t *m, size_t len, size_t pos, const uint16_t counts[3],
			size_t body_off, struct fixups *f, size_t *add_off)
{
	uint8_t unc[LS_RDATA_DECOMP_BUFLEN];

	for (int sec = 0; sec < 3; sec++) {
		if (sec == 2)
			*add_off = pos;
		for (unsigned i = 0; i < counts[sec]; i++) {
			size_t at, start = pos;
			if (walk_name(m, len, &pos, &at) < 0 || pos + 10 > len)
				return -EBADMSG;
			note_pointer(f, m, at, body_off);
			check_name(f, m, len, start);
			uint16_t type = ls_get16(m + pos), rdlen = ls_get16(m + pos + 8);
			size_t rpos = pos + 10;
			if (rpos + rdlen > len)
				return -EBADMSG;
			if (type != LS_TYPE_OPT && ls_rdata_may_compress(type)) {
				struct rd_names rn = { .n = 0 };
				size_t saved = 0;
				int ulen = ls_rdata_unpack(type, m, len, rpos, rdlen, unc,
							   sizeof(unc));
				if (ulen < 0)
					return ulen;
				int err =
					ls_rdata_names(type, unc, (size_t)ulen, collect_name, &rn);
				if (err)
					return err;
				for (size_t k = 0; k < rn.n; k++) {
					size_t wpos = rpos + rn.off[k] - saved, wstart = wpos;
					if (walk_name(m, rpos + rdlen, &wpos, &at) < 0)
						return -EBADMSG;
					note_pointer(f, m, at, body_off);
					check_name(f, m, len, wstart);
					saved += ls_dname_len(unc + rn.off[k]) - (wpos - wstart);
				}
			}
			pos = rpos + rdlen;
		}
	}
	return pos == len ? 0 : -EBADMSG;
}

static uint32_t hash_body(const struct ls_compile_body *b)
{
	const uint8_t *p = (const uint8_t *)&b->h;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(b->h); i++)
		h = (h ^ p[i]) * 16777619u;
	for (size_t i = 0; i < b->h.len; i++)
		h = (h ^ b->data[i]) * 16777619u;
	return h;
}

static bool same_body(const struct ls_compile_body *a, const struct ls_compile_body *b)
{
	return memcmp(&a->h, &b->h, sizeof(a->h)) == 0 && memcmp(a->data, b->data, a->h.len) == 0;
}

static int grow_tab(struct cc *cc)
{
	size_t size = cc->tabsize ? cc->tabsize * 2 : 1024;
	uint32_t *tab = calloc(size, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < cc->c->nbodies; i++) {
		size_t s = hash_body(&cc->c->bodies[i]) & (size - 1);
		while (tab[s])
			s = (s + 1) & (size - 1);
		tab[s] = (uint32_t)i + 1;
	}
	free(cc->tab);
	cc->tab = tab;
	cc->tabsize = size;
	return 0;
}

/* Store @b (deduplicated); returns its reference, or 0 on -ENOMEM. */
static uint32_t add_body(struct cc *cc, const struct ls_compile_body *b)
{
	struct ls_compiled *c = cc->c;
	uint32_t h = hash_body(b);
	size_t s;

	if ((c->nbodies + 1) * 2 > cc->tabsize && grow_tab(cc) < 0)
		return 0;
	for (s = h & (cc->tabsize - 1); cc->tab[s]; s = (s + 1) & (cc->tabsize - 1))
		if (same_body(&c->bodies[cc->tab[s] - 1], b))
			return ls_compile_ref(c, cc->tab[s] - 1);
	if (c->nbodies == c->bodies_cap) {
		size_t cap = c->bodies_cap ? c->bodies_cap * 2 : 64;
		struct ls_compile_body *nb = realloc(c->bodies, cap * sizeof(*nb));
		if (!nb)
			return 0;
		c->bodies = nb;
		c->bodies_cap = cap;
	}
	c->bodies[c->nbodies] = *b;
	c->per_class[b->cls]++;
	cc->tab[s] = (uint32_t)c->nbodies + 1;
	return ls_compile_ref(c, c->nbodies++);
}

/* The RFC 1071 sum of @len octets as big-endian words, folded, not
 * complemented (ls_body_hdr.sum). */
static uint16_t sum16(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static const uint8_t opt_tail[LS_XDP_OPT_LEN - 4] = {
	0, 0, 41, LS_ENGINE_EDNS_PAYLOAD >> 8, LS_ENGINE_EDNS_PAYLOAD & 0xff, 0, 0
};

/*
 * The engine's answer to @name/@qtype as a body; 0 when it cannot be one
 * (the data plane then passes the query). *@err gets -ENOMEM, if that was it.
 */
static uint32_t compile_one(struct cc *cc, const uint8_t *name, uint16_t qtype, bool dnssec,
			    const uint8_t *below, bool whole_moves, int *err)
{
	static const size_t cls_size[LS_BODY_CLASSES] = { LS_BODY_SIZE0, LS_BODY_SIZE1,
							  LS_BODY_SIZE2, LS_BODY_SIZE3 };
	struct ls_compile_body b;
	size_t nlen = ls_dname_len(name), qend = LS_MSG_HDRLEN + nlen + 4;
	size_t qlen = build_query(cc->q, name, qtype, true, dnssec);
	int rlen = ls_engine_respond(cc->q, qlen, LS_ENGINE_UDP, one_zone, (void *)cc->z, cc->r,
				     sizeof(cc->r), NULL);

	if (rlen <= 0 || (size_t)rlen < qend + LS_XDP_OPT_LEN)
		return 0;
	uint16_t flags = ls_get16(cc->r + 2);
	if (flags & LS_FLAG_TC)
		return 0; /* even the largest form is truncated: the slow path */
	/* the OPT is last, and the engine's own: payload 1232, version 0, no options */
	const uint8_t *opt = cc->r + rlen - LS_XDP_OPT_LEN;
	if (memcmp(opt, opt_tail, sizeof(opt_tail)) != 0 || opt[8] != 0 || opt[9] != 0 ||
	    opt[10] != 0)
		return 0;

	memset(&b.h, 0, sizeof(b.h));
	b.h.flags = flags & (uint16_t) ~(LS_FLAG_RD | LS_FLAG_CD);
	b.h.an = ls_get16(cc->r + 6);
	b.h.ns = ls_get16(cc->r + 8);
	b.h.ar = ls_get16(cc->r + 10);
	b.h.len = (uint16_t)(rlen - qend);
	if (b.h.len > LS_BODY_SIZE3)
		return 0;

	struct fixups f = { .n = 0,
			    .z = cc->z,
			    .below = below,
			    .probe = name,
			    .cc = cc,
			    .whole_moves = whole_moves };
	size_t add_off = 0;
	uint16_t counts[3] = { b.h.an, b.h.ns, b.h.ar };
	if (scan_records(cc->r, (size_t)rlen, qend, counts, qend, &f, &add_off) < 0 || f.overflow)
		return 0;
	if (f.name_dependent) {
		memcpy(cc->offender, f.offender, sizeof(f.offender));
		cc->have_offender = true;
		return 0;
	}
	b.h.req = (uint16_t)(add_off - qend);
	b.h.nfix = (uint16_t)f.n;
	memcpy(b.h.fix, f.at, f.n * sizeof(f.at[0]));
	memcpy(b.data, cc->r + qend, b.h.len);
	memset(b.data + b.h.len, 0, sizeof(b.data) - b.h.len);
	/* pointers past the question's start, stored minus the name's length */
	for (size_t i = 0; i < f.n; i++) {
		uint8_t *p = b.data + f.at[i];
		uint16_t v = (uint16_t)(ls_get16(p) - nlen);
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
	b.data[b.h.len - 4] = 0; /* the DO bit is set per query */
	b.h.sum = sum16(b.data, b.h.len);
	b.h.sum_noopt = sum16(b.data, b.h.len - LS_XDP_OPT_LEN);

	/* The truncated form, when a query without EDNS (512 octets) would get it. */
	if (qend + b.h.req > 512) {
		size_t q2 = build_query(cc->q, name, qtype, false, false);
		int r2 = ls_engine_respond(cc->q, q2, LS_ENGINE_UDP, one_zone, (void *)cc->z, cc->r,
					   sizeof(cc->r), NULL);
		if (r2 == (int)qend && (ls_get16(cc->r + 2) & LS_FLAG_TC))
			b.h.tc_flags = ls_get16(cc->r + 2) & (uint16_t) ~(LS_FLAG_RD | LS_FLAG_CD);
	}

	b.cls = 0;
	while (cls_size[b.cls] < b.h.len)
		b.cls++;
	uint32_t ref = add_body(cc, &b);
	if (!ref)
		*err = -ENOMEM;
	return ref;
}

static int add_entry(struct cc *cc, const uint8_t *name, uint16_t qtype, uint8_t flags,
		     uint32_t body, uint32_t below, uint32_t vflags)
{
	struct ls_compiled *c = cc->c;

	if (ls_dname_len(name) > LS_XDP_NAME_MAX)
		return 0; /* callers skip such names; the program passes them */
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct ls_ans_key *k = realloc(c->keys, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		c->keys = k;
		struct ls_ans_val *v = realloc(c->vals, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->vals = v;
		c->cap = cap;
	}
	struct ls_ans_key *k = &c->keys[c->n];
	memset(k, 0, sizeof(*k));
	k->gen = c->gen;
	k->qtype = qtype;
	k->flags = flags;
	struct ls_ans_val *v = &c->vals[c->n];
	*v = (struct ls_ans_val){ .body = body, .below = below, .flags = vflags };
	/* the program compares the name before it trusts a hash hit */
	ls_dname_copy_lower(v->name, name);
	k->hash = ls_name_hash(v->name);
	if (!body)
		c->passed++;
	c->n++;
	return 0;
}

/* A name "<probe>.<parent>" that does not exist in the zone. */
static bool probe_child(const struct ls_zone *z, const uint8_t *parent,
			uint8_t out[LS_DNAME_MAXLEN])
{
	size_t plen = ls_dname_len(parent);

	if (plen + 2 > LS_XDP_NAME_MAX)
		return false;
	for (int i = 0; i < 62; i++) {
		out[0] = 1;
		out[1] = (uint8_t)("0123456789abcdefghijklmnopqrstuvwxyz-_"[i % 38]);
		if (i >= 38)
			out[1] = (uint8_t)('A' + i - 38) | 0x80; /* octets no name uses */
		memcpy(out + 2, parent, plen);
		if (!ls_zone_find(z, out))
			return true;
	}
	return false;
}

static void node_types(const struct cc *cc, const struct ls_zone_node *n, uint16_t *types,
		       size_t *count)
{
	size_t nr;
	const struct ls_zone_rrset *rs = ls_zone_node_rrsets(cc->z, n, &nr);

	*count = 0;
	if (n->flags & LS_ZONE_NODE_CNAME) {
		/* the answer depends on where the chain leads: every type the zone
		 * has, and the types the engine does not follow a CNAME for */
		static const uint16_t own[] = { LS_TYPE_CNAME, LS_TYPE_NSEC, LS_TYPE_NSEC3 };
		memcpy(types, cc->types, cc->ntypes * sizeof(types[0]));
		*count = cc->ntypes;
		for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++) {
			bool seen = false;
			for (size_t j = 0; j < *count; j++)
				seen |= types[j] == own[k];
			if (!seen && *count < MAX_TYPES)
				types[(*count)++] = own[k];
		}
		return;
	}
	for (size_t i = 0; i < nr && *count < MAX_TYPES; i++)
		if (!passed_type(rs[i].type) && (*count == 0 || types[*count - 1] != rs[i].type))
			types[(*count)++] = rs[i].type;
}

static bool is_pseudo(const struct cc *cc, const uint8_t *name)
{
	for (size_t i = 0; i < cc->npseudo; i++)
		if (cc->pseudo_do[i] == cc->cur_do && ls_dname_equal(cc->pseudo[i], name))
			return true;
	return false;
}

static int compile_pseudo(struct cc *cc, const uint8_t *name, bool dnssec, int depth);

/*
 * The body for names below @parent (compiled for @child), made valid for
 * all of them: names in it that lie below @parent without existing become
 * pseudo nodes first (see struct cc).
 */
static uint32_t below_body(struct cc *cc, const uint8_t *parent, const uint8_t *child,
			   uint16_t qtype, bool dnssec, int depth, int *err)
{
	for (int round = 0; round < 4; round++) {
		cc->have_offender = false;
		uint32_t ref = compile_one(cc, child, qtype, dnssec, parent, false, err);
		if (ref || *err || !cc->have_offender || depth > 4)
			return ref;
		/* the offender and its missing ancestors below @parent, deepest first */
		uint8_t off[LS_DNAME_MAXLEN];
		memcpy(off, cc->offender, sizeof(off));
		for (const uint8_t *x = off; x && !ls_dname_equal(x, parent);
		     x = ls_dname_parent(x)) {
			if (ls_zone_find(cc->z, x) || is_pseudo(cc, x))
				continue;
			*err = compile_pseudo(cc, x, dnssec, depth + 1);
			if (*err)
				return 0;
		}
	}
	return 0;
}

static int compile_pseudo(struct cc *cc, const uint8_t *name, bool dnssec, int depth)
{
	uint8_t child[LS_DNAME_MAXLEN];
	int err = 0;

	if (cc->npseudo == MAX_PSEUDO || ls_dname_len(name) > LS_XDP_NAME_MAX)
		return 0; /* the ancestor's body stays 0: those names are passed */
	ls_dname_copy_lower(cc->pseudo[cc->npseudo], name);
	cc->pseudo_do[cc->npseudo++] = dnssec;
	uint32_t body = compile_one(cc, name, cc->other, dnssec, NULL, false, &err);
	uint32_t below = !err && probe_child(cc->z, name, child) ?
				 below_body(cc, name, child, cc->other, dnssec, depth, &err) :
				 0;
	if (err)
		return err;
	return add_entry(cc, name, LS_QTYPE_OTHER, dnssec ? LS_KEY_DO : 0, body, below, 0);
}

static int compile_node(struct cc *cc, const struct ls_zone_node *n, bool dnssec)
{
	const uint8_t *name = ls_zone_node_name(cc->z, n);
	uint8_t kflags = dnssec ? LS_KEY_DO : 0;
	uint8_t child[LS_DNAME_MAXLEN];
	uint16_t types[MAX_TYPES];
	size_t nt;
	int err = 0;

	if (n->flags & (LS_ZONE_NODE_DELEG | LS_ZONE_NODE_OCCLUDED)) {
		/* a referral for the cut, for glue below it and for everything
		 * below those, whatever the type (DS, answered from this side,
		 * is passed by the program) */
		/* In a referral the name itself is the cut (or glue) and every
		 * pointer to it moves like one to a suffix: so the body for the
		 * name and the body for names below it become one (dedup). */
		uint32_t ref = compile_one(cc, name, cc->other, dnssec, NULL, true, &err);
		uint32_t below = !err && probe_child(cc->z, name, child) ?
					 below_body(cc, name, child, cc->other, dnssec, 0, &err) :
					 0;
		if (err)
			return err;
		return add_entry(cc, name, LS_QTYPE_OTHER, kflags, ref, below, 0);
	}

	node_types(cc, n, types, &nt);
	for (size_t i = 0; i < nt; i++) {
		uint32_t ref = compile_one(cc, name, types[i], dnssec, NULL, false, &err);
		if (err || (err = add_entry(cc, name, types[i], kflags, ref, 0, 0)))
			return err;
	}

	uint32_t body = compile_one(cc, name, cc->other, dnssec, NULL, false, &err), below = 0,
		 vflags = 0;
	if (err)
		return err;
	bool have_child = probe_child(cc->z, name, child);
	if (n->flags & LS_ZONE_NODE_DNAME) {
		below = 0; /* synthesis copies the query name: the slow path */
	} else if (dnssec && cc->c->is_signed) {
		below = 0; /* the denial proof depends on the name */
	} else if (have_child && (n->flags & LS_ZONE_NODE_WILDCARD_CHILD)) {
		const struct ls_zone_node *wc = ls_zone_wildcard(cc->z, n);
		vflags = LS_ANS_WILDCARD;
		if (wc) {
			node_types(cc, wc, types, &nt);
			for (size_t i = 0; i < nt; i++) {
				uint32_t ref =
					below_body(cc, name, child, types[i], dnssec, 0, &err);
				if (err || (err = add_entry(cc, name, types[i],
							    kflags | LS_KEY_BELOW, ref, 0, 0)))
					return err;
			}
		}
		below = below_body(cc, name, child, cc->other, dnssec, 0, &err);
	} else if (have_child) {
		below = below_body(cc, name, child, cc->other, dnssec, 0, &err); /* NXDOMAIN */
	}
	if (err)
		return err;
	return add_entry(cc, name, LS_QTYPE_OTHER, kflags, body, below, vflags);
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void zone_types(struct cc *cc)
{
	size_t count = ls_zone_node_count(cc->z);

	cc->ntypes = 0;
	for (size_t i = 0; i < count; i++) {
		size_t nr;
		const struct ls_zone_rrset *rs =
			ls_zone_node_rrsets(cc->z, ls_zone_node_at(cc->z, i), &nr);
		for (size_t k = 0; k < nr; k++) {
			uint16_t t = rs[k].type;
			bool seen = passed_type(t);
			for (size_t j = 0; j < cc->ntypes && !seen; j++)
				seen = cc->types[j] == t;
			if (!seen && cc->ntypes < MAX_TYPES)
				cc->types[cc->ntypes++] = t;
		}
	}
	qsort(cc->types, cc->ntypes, sizeof(cc->types[0]), cmp_u16);
	/* private-use types (RFC 6895 §3.1) the zone does not hold */
	cc->other = 65280;
	for (size_t j = 0; j < cc->ntypes; j++)
		if (cc->types[j] == cc->other)
			cc->other++;
}

int ls_compile_zone(const struct ls_zone *zone, uint32_t gen, struct ls_compiled **out)
{
	struct cc *cc;
	struct ls_compiled *c;
	int err = -ENOMEM;

	*out = NULL;
	cc = calloc(1, sizeof(*cc));
	c = calloc(1, sizeof(*c));
	if (!cc || !c)
		goto free_all;
	cc->z = zone;
	cc->c = c;
	c->gen = gen;
	c->is_signed = ls_zone_is_signed(zone);
	zone_types(cc);

	/* descendants before ancestors: see compile.h */
	for (size_t i = ls_zone_node_count(zone); i-- > 0;) {
		const struct ls_zone_node *n = ls_zone_node_at(zone, i);
		if ((n->flags & LS_ZONE_NODE_OCCLUDED) &&
		    !ls_zone_find_cut(zone, ls_zone_node_name(zone, n)))
			continue; /* below a DNAME: the DNAME's owner passes what is below */
		if (ls_dname_len(ls_zone_node_name(zone, n)) > LS_XDP_NAME_MAX) {
			c->skipped_long++; /* its queries are too long for the program too */
			continue;
		}
		cc->cur_do = false;
		err = compile_node(cc, n, false);
		cc->cur_do = true;
		if (!err && c->is_signed)
			err = compile_node(cc, n, true);
		if (err)
			goto free_all;
	}
	*out = c;
	c = NULL;
	err = 0;
free_all:
	ls_compiled_free(c);
	if (cc)
		free(cc->tab);
	free(cc);
	return err;
}

void ls_compiled_free(struct ls_compiled *c)
{
	if (!c)
		return;
	free(c->keys);
	free(c->vals);
	free(c->bodies);
	free(c);
}

bool ls_compile_casefold_ok(const struct ls_zone *zone, const uint8_t *qname)
{
	uint8_t q1[QBUF], q2[QBUF], r1[RBUF], r2[RBUF], lower[LS_DNAME_MAXLEN],
		mixed[LS_DNAME_MAXLEN];
	size_t nlen = ls_dname_len(qname);
	bool any = false;

	/* the lowercase spelling and one with every other letter upper case */
	ls_dname_copy_lower(lower, qname);
	memcpy(mixed, lower, nlen);
	for (size_t i = 0; i < nlen; i++) {
		if (mixed[i] >= 'a' && mixed[i] <= 'z' && (i & 1)) {
			mixed[i] = (uint8_t)(mixed[i] - 'a' + 'A');
			any = true;
		}
	}
	if (!any)
		return false; /* nothing to compare: say no, the safe answer */
	size_t l1 = build_query(q1, mixed, LS_TYPE_SOA, true, false);
	size_t l2 = build_query(q2, lower, LS_TYPE_SOA, true, false);
	int n1 = ls_engine_respond(q1, l1, LS_ENGINE_UDP, one_zone, (void *)zone, r1, sizeof(r1),
				   NULL);
	int n2 = ls_engine_respond(q2, l2, LS_ENGINE_UDP, one_zone, (void *)zone, r2, sizeof(r2),
				   NULL);
	if (n1 <= 0 || n1 != n2)
		return false;
	/* the question differs by case; everything else must be equal */
	return memcmp(r1, r2, 12) == 0 &&
	       memcmp(r1 + 12 + nlen, r2 + 12 + nlen, (size_t)n1 - 12 - nlen) == 0;
}
