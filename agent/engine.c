/* SPDX-License-Identifier: MIT */
/*
 * engine.c — see engine.h; docs/answering.md explains the choices.
 *
 * One call builds one response in the caller's buffer. Everything the call
 * needs lives in one struct on the stack (the message writer with its
 * compression table, the names synthesised along a CNAME/DNAME chain, the
 * lists of RRsets still to write to the authority and additional sections),
 * so there is no allocation and nothing survives the call.
 *
 * The lookup follows knotd's state machine, because knotd is what the
 * differential test holds us to: solve one name (HIT, NODATA, MISS, DELEG or
 * FOLLOW a CNAME/DNAME), repeat along the chain, then add the authority
 * section for the final state and the DNSSEC proofs, then additional
 * addresses for NS/MX/SRV targets. A required RRset that does not fit turns
 * the whole response into header + question (+ OPT) with TC set, as knotd
 * does; additional records are optional and are left out when they do not
 * fit (RFC 1034 §4.3.2 step 6, RFC 2181 §9).
 */
#include "agent/engine.h"

#include "common/dname.h"
#include "common/dnssec.h"
#include "common/message.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/wire.h"

#include <errno.h>
#include <string.h>

/* CNAMEs/DNAMEs followed per query: knotd stops after five, and so do we;
 * the client follows the rest itself (RFC 1034 §3.6.2 discourages chains). */
#define FOLLOW_MAX 5
/* Bound of the per-query arrays along a chain. */
#define CHAIN_MAX 16
/* RRsets a response may gather per section before the engine stops adding
 * more; far above what any answer type needs (a NXDOMAIN proof under NSEC3
 * is SOA + 3 NSEC3, each with its RRSIGs). */
#define AUTH_MAX 32
#define ANSWER_MAX (2 * CHAIN_MAX + 8)
#define ADD_MAX 64

enum state {
	ST_HIT,
	ST_NODATA,
	ST_MISS,
	ST_DELEG,
	ST_FOLLOW,
};

/* One RRset written or to be written. @node holds its RRSIGs. */
struct item {
	const uint8_t *owner;
	const struct ls_zone_node *node;
	const struct ls_zone_rrset *rrset;
	uint32_t ttl;
	bool required; /* in-domain glue of a referral (RFC 9471) */
	const uint8_t *key; /* the owner duplicate checks of later sections see */
};

/* A wildcard expansion on the way: @name matched @wc. */
struct wc_hit {
	const uint8_t *name;
	const struct ls_zone_node *wc;
};

struct eng {
	const struct ls_zone *z;
	struct ls_msg_writer w;
	uint16_t qtype;
	bool dnssec; /* DO set and the zone signed */
	bool nsec3;
	uint8_t n3alg;
	uint16_t n3iter;
	const uint8_t *n3salt;
	uint8_t n3saltlen;
	unsigned rcode;
	unsigned follows; /* CNAMEs and DNAMEs followed so far */
	bool tc; /* in-domain glue left out */

	/* the final state of the chain */
	const uint8_t *name; /* the name last solved */
	const struct ls_zone_node *node; /* its node (wildcard node if expanded), or NULL */
	const struct ls_zone_node *ce; /* its closest encloser (MISS) */
	const struct ls_zone_node *cut; /* DELEG */
	bool from_wc;

	struct item answer[ANSWER_MAX];
	unsigned nanswer;
	struct item auth[AUTH_MAX];
	unsigned nauth;
	struct item add[ADD_MAX];
	unsigned nadd;
	struct wc_hit wc[CHAIN_MAX + 1];
	unsigned nwc;
	uint8_t names[CHAIN_MAX][LS_DNAME_MAXLEN]; /* DNAME-synthesised targets */
	unsigned nnames;
};

static void stat_inc(uint64_t *counter)
{
	if (counter)
		(*counter)++;
}

#define STAT(s, field) stat_inc((s) ? &(s)->field : NULL)

/* ---- writing RRsets ------------------------------------------------------ */

static int put_set(struct eng *c, enum ls_msg_section sec, const uint8_t *owner,
		   const struct ls_zone_rrset *rs, uint32_t ttl)
{
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	ls_zone_rdata_begin(c->z, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		int err = ls_msg_put_rr(&c->w, sec, owner, rs->type, LS_CLASS_IN, ttl, rd, len);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The RRSIGs covering an RRset (RFC 4035 §3.1.1). knotd writes a section's
 * RRsets first and their RRSIGs after all of them; so does lockstep, which
 * decides the same way which optional records still fit.
 */
static int put_sigs(struct eng *c, enum ls_msg_section sec, const struct item *it)
{
	const struct ls_zone_rrset *sigs;

	if (it->rrset->type == LS_TYPE_RRSIG)
		return 0;
	sigs = ls_zone_rrsigs(c->z, it->node, it->rrset->type);
	if (!sigs)
		return 0;
	/* a negative answer's SOA TTL (RFC 2308 §3) holds for its RRSIG too, as in knotd */
	return put_set(c, sec, it->owner, sigs,
		       it->ttl != it->rrset->ttl && it->ttl < sigs->ttl ? it->ttl : sigs->ttl);
}

/*
 * Duplicate checks, as knotd's behave: in the answer an RRset repeats only
 * under another owner (two names expanded from one wildcard CNAME). A proof
 * for the authority section is dropped when the answer already holds the
 * same RRset under the same key: the node's own name, except that the first
 * answer, when expanded from a wildcard, keeps the wildcard's name (knotd
 * writes it through a pointer to the question; a NSEC query at a wildcard
 * name gets no second copy of that NSEC as proof).
 */
static bool item_eq(const struct item *a, const struct ls_zone_rrset *rs, const uint8_t *owner)
{
	return a->rrset == rs && ls_dname_equal(a->owner, owner);
}

static bool in_list_key(const struct item *v, unsigned n, const struct ls_zone_rrset *rs,
			const uint8_t *key)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i].rrset == rs && ls_dname_equal(v[i].key, key))
			return true;
	return false;
}

static bool in_list(const struct item *v, unsigned n, const struct ls_zone_rrset *rs,
		    const uint8_t *owner)
{
	for (unsigned i = 0; i < n; i++)
		if (item_eq(&v[i], rs, owner))
			return true;
	return false;
}

/*
 * Put an RRset into the answer section now. Returns 1 when it was already
 * there (a CNAME loop: knotd's duplicate check stops the chain the same
 * way), 0 when written, -ENOSPC when it does not fit.
 */
static int answer_put(struct eng *c, const uint8_t *owner, const struct ls_zone_node *node,
		      const struct ls_zone_rrset *rs)
{
	struct item it = {
		.owner = owner, .node = node, .rrset = rs, .ttl = rs->ttl, .key = owner
	};

	if (c->nanswer == 0 && (node->flags & LS_ZONE_NODE_WILDCARD))
		it.key = ls_zone_node_name(c->z, node);

	if (in_list(c->answer, c->nanswer, rs, owner))
		return 1;
	if (c->nanswer == ANSWER_MAX)
		return 1; /* cannot happen within CHAIN_MAX; stop rather than overflow */
	int err = put_set(c, LS_SECTION_ANSWER, owner, rs, rs->ttl);
	if (err)
		return err;
	c->answer[c->nanswer++] = it;
	return 0;
}

/* Queue an RRset for the authority section (duplicates dropped). */
static void auth_add(struct eng *c, const struct ls_zone_node *node, const struct ls_zone_rrset *rs,
		     uint32_t ttl)
{
	const uint8_t *owner = ls_zone_node_name(c->z, node);

	if (!rs || c->nauth == AUTH_MAX || in_list(c->auth, c->nauth, rs, owner) ||
	    in_list_key(c->answer, c->nanswer, rs, owner))
		return;
	c->auth[c->nauth++] = (struct item){
		.owner = owner, .node = node, .rrset = rs, .ttl = ttl, .key = owner
	};
}

static void auth_add_type(struct eng *c, const struct ls_zone_node *node, uint16_t type)
{
	if (node) {
		const struct ls_zone_rrset *rs = ls_zone_node_rrset(c->z, node, type);
		if (rs)
			auth_add(c, node, rs, rs->ttl);
	}
}

/* ---- DNSSEC denial proofs ------------------------------------------------ */

/*
 * The NSEC whose owner sorts last before @name: it covers @name. The zone
 * keeps its NSEC owners in a sorted list (ls_zone_chain_prev()), so this is
 * one binary search, not a walk back over the glue, ENTs and unsigned
 * delegations between two owners.
 */
static void nsec_cover(struct eng *c, const uint8_t *name)
{
	auth_add_type(c, ls_zone_chain_prev(c->z, name, LS_TYPE_NSEC), LS_TYPE_NSEC);
}

/* "<base32hex(H(name))>.<origin>" into @out; false when it cannot be built. */
static bool nsec3_owner(struct eng *c, const uint8_t *name, uint8_t out[LS_DNAME_MAXLEN])
{
	uint8_t hash[LS_DNSSEC_NSEC3_HASHLEN];
	char b32[LS_DNSSEC_NSEC3_B32LEN + 1];
	const uint8_t *origin = ls_zone_origin(c->z);
	size_t olen = ls_dname_len(origin);

	if (1 + LS_DNSSEC_NSEC3_B32LEN + olen > LS_DNAME_MAXLEN)
		return false;
	if (ls_dnssec_nsec3_hash(hash, name, c->n3alg, c->n3iter, c->n3salt, c->n3saltlen) < 0)
		return false;
	if (ls_dnssec_b32hex_encode(b32, sizeof(b32), hash, sizeof(hash)) != LS_DNSSEC_NSEC3_B32LEN)
		return false;
	out[0] = LS_DNSSEC_NSEC3_B32LEN;
	memcpy(out + 1, b32, LS_DNSSEC_NSEC3_B32LEN);
	memcpy(out + 1 + LS_DNSSEC_NSEC3_B32LEN, origin, olen);
	return true;
}

static const struct ls_zone_node *nsec3_match(struct eng *c, const uint8_t *name)
{
	uint8_t h[LS_DNAME_MAXLEN];
	const struct ls_zone_node *n;

	if (!nsec3_owner(c, name, h))
		return NULL;
	n = ls_zone_find(c->z, h);
	return n && ls_zone_node_rrset(c->z, n, LS_TYPE_NSEC3) ? n : NULL;
}

/* The NSEC3 whose hashed owner sorts last before H(@name): it covers it. */
static void nsec3_cover(struct eng *c, const uint8_t *name)
{
	uint8_t h[LS_DNAME_MAXLEN];

	if (!nsec3_owner(c, name, h))
		return;
	/* the hashed owners interleave with the zone's other names under the
	 * apex: the sorted NSEC3 owner list skips them (ls_zone_chain_prev()) */
	auth_add_type(c, ls_zone_chain_prev(c->z, h, LS_TYPE_NSEC3), LS_TYPE_NSEC3);
}

/* The NSEC3 covering the next closer name of @name below its encloser @cename (RFC 5155 §1.3). */
static void nsec3_cover_next_closer(struct eng *c, const uint8_t *name, const uint8_t *cename)
{
	int nl = ls_dname_labels(name), cl = ls_dname_labels(cename);

	if (nl > cl)
		nsec3_cover(c, ls_dname_skip(name, nl - cl - 1));
}

/*
 * Closest (provable) encloser proof of RFC 5155 §7.2.1: the NSEC3 matching
 * the closest encloser of @name that has one (walking up past opt-out
 * ENTs), and the NSEC3 covering the next closer name. Returns that
 * encloser's name.
 */
static const uint8_t *nsec3_ce_proof(struct eng *c, const uint8_t *name,
				     const struct ls_zone_node *ce)
{
	const struct ls_zone_node *match = NULL;
	const uint8_t *cename = ls_zone_node_name(c->z, ce);

	for (; ce; ce = ls_zone_node_parent(c->z, ce)) {
		cename = ls_zone_node_name(c->z, ce);
		match = nsec3_match(c, cename);
		if (match)
			break;
	}
	auth_add_type(c, match, LS_TYPE_NSEC3);
	nsec3_cover_next_closer(c, name, cename);
	return cename;
}

static void wildcard_of(uint8_t out[LS_DNAME_MAXLEN], const uint8_t *name)
{
	size_t len = ls_dname_len(name);

	if (len + 2 > LS_DNAME_MAXLEN) {
		memcpy(out, name, len);
		return;
	}
	out[0] = 1;
	out[1] = '*';
	memcpy(out + 2, name, len);
}

/* RFC 4035 §3.1.3.3 / RFC 5155 §7.2.6: the expanded name does not exist. */
static void prove_wildcards(struct eng *c)
{
	for (unsigned i = 0; i < c->nwc; i++) {
		const uint8_t *name = c->wc[i].name;
		const struct ls_zone_node *ce = ls_zone_node_parent(c->z, c->wc[i].wc);

		if (!c->nsec3) {
			nsec_cover(c, name);
		} else if (ce) {
			nsec3_cover_next_closer(c, name, ls_zone_node_name(c->z, ce));
		}
	}
}

/* RFC 4035 §3.1.3.1 and §3.1.3.4, RFC 5155 §7.2.3 to §7.2.5. */
static void prove_nodata(struct eng *c)
{
	const struct ls_zone_node *n = c->node;

	if (!n)
		return;
	if (!c->nsec3) {
		if (ls_zone_node_rrset(c->z, n, LS_TYPE_NSEC))
			auth_add_type(c, n, LS_TYPE_NSEC);
		else
			nsec_cover(c, c->name); /* an ENT: the NSEC that skips it */
		return;
	}
	const struct ls_zone_node *m = nsec3_match(c, ls_zone_node_name(c->z, n));
	if (c->from_wc) {
		/* closest encloser proof for the query name, plus the wildcard's NSEC3 */
		nsec3_ce_proof(c, c->name, ls_zone_node_parent(c->z, n));
		auth_add_type(c, m, LS_TYPE_NSEC3);
	} else if (m) {
		auth_add_type(c, m, LS_TYPE_NSEC3);
	} else {
		/* opt-out: no NSEC3 for this name (RFC 5155 §7.2.4) */
		nsec3_ce_proof(c, c->name, n);
	}
}

/* RFC 4035 §3.1.3.2, RFC 5155 §7.2.2. */
static void prove_nxdomain(struct eng *c)
{
	uint8_t wc[LS_DNAME_MAXLEN];

	if (!c->ce)
		return;
	if (!c->nsec3) {
		nsec_cover(c, c->name);
		wildcard_of(wc, ls_zone_node_name(c->z, c->ce));
		nsec_cover(c, wc);
		return;
	}
	wildcard_of(wc, nsec3_ce_proof(c, c->name, c->ce));
	nsec3_cover(c, wc);
}

/* RFC 4035 §3.1.4, RFC 5155 §7.2.7: DS, or the proof that there is none. */
static void prove_delegation(struct eng *c)
{
	const struct ls_zone_node *cut = c->cut;
	const struct ls_zone_rrset *ds = ls_zone_node_rrset(c->z, cut, LS_TYPE_DS);

	if (ds) {
		auth_add(c, cut, ds, ds->ttl);
	} else if (!c->nsec3) {
		auth_add_type(c, cut, LS_TYPE_NSEC);
	} else {
		const struct ls_zone_node *m = nsec3_match(c, ls_zone_node_name(c->z, cut));
		if (m)
			auth_add_type(c, m, LS_TYPE_NSEC3);
		else
			nsec3_ce_proof(c, ls_zone_node_name(c->z, cut),
				       ls_zone_node_parent(c->z, cut));
	}
}

/* ---- the lookup ----------------------------------------------------------- */

static bool wc_visited(const struct eng *c, const struct ls_zone_node *wc)
{
	for (unsigned i = 0; i < c->nwc; i++)
		if (c->wc[i].wc == wc)
			return true;
	return false;
}

/*
 * ANY (RFC 8482 §4.1): one RRset, the node's lowest type, as knotd picks
 * it. knotd keeps all of a node's RRSIGs in one RRset; so when RRSIG is the
 * lowest type (a node with only CAA, say), every RRSIG group is that one
 * RRset. Returns how many RRsets of the node's array form it.
 */
static size_t any_rrsets(const struct ls_zone *z, const struct ls_zone_node *n,
			 const struct ls_zone_rrset **first)
{
	size_t count, k = 0;
	const struct ls_zone_rrset *rs = ls_zone_node_rrsets(z, n, &count);

	*first = rs;
	if (count == 0)
		return 0;
	if (rs[0].type != LS_TYPE_RRSIG)
		return 1;
	while (k < count && rs[k].type == LS_TYPE_RRSIG)
		k++;
	return k;
}

/* @name exists as @node (or matched the wildcard @node): answer from it. */
static int name_found(struct eng *c, const uint8_t *name, const struct ls_zone_node *node,
		      bool is_wc, const uint8_t **next)
{
	const struct ls_zone *z = c->z;
	uint16_t qt = c->qtype;
	int err;

	c->name = name;
	c->node = node;
	c->from_wc = is_wc;
	/* every expansion needs its proof, a looping one included (as knotd) */
	bool seen = is_wc && wc_visited(c, node);
	if (is_wc && c->nwc <= CHAIN_MAX)
		c->wc[c->nwc++] = (struct wc_hit){ .name = name, .wc = node };
	/* the CNAME is the answer for these types; NSEC and RRSIG may sit
	 * beside a CNAME (RFC 4035 §2.5) and are answered from the node */
	if ((node->flags & LS_ZONE_NODE_CNAME) && qt != LS_TYPE_CNAME && qt != LS_TYPE_RRSIG &&
	    qt != LS_TYPE_NSEC && qt != LS_TYPE_ANY) {
		const struct ls_zone_rrset *cn = ls_zone_node_rrset(z, node, LS_TYPE_CNAME);
		struct ls_zone_rdata_iter it;
		const uint8_t *rd;
		uint16_t len;

		if (c->follows++ == FOLLOW_MAX)
			return ST_HIT; /* chain too long: the client follows the rest */
		err = answer_put(c, name, node, cn);
		if (err < 0)
			return err;
		if (err > 0 || seen) {
			c->node = NULL; /* a loop: act as if the chain led nowhere */
			return ST_HIT;
		}
		ls_zone_rdata_begin(z, cn, &it);
		ls_zone_rdata_next(&it, &rd, &len);
		*next = rd;
		return ST_FOLLOW;
	}
	if (qt == LS_TYPE_ANY) {
		const struct ls_zone_rrset *rs;
		size_t n = any_rrsets(z, node, &rs);
		for (size_t i = 0; i < n; i++) {
			err = answer_put(c, name, node, &rs[i]);
			if (err < 0)
				return err;
		}
		return n ? ST_HIT : ST_NODATA;
	}
	if (qt == LS_TYPE_RRSIG) {
		size_t count;
		const struct ls_zone_rrset *rs = ls_zone_node_rrsets(z, node, &count);
		bool any = false;
		for (size_t i = 0; i < count; i++) {
			if (rs[i].type != LS_TYPE_RRSIG)
				continue;
			err = answer_put(c, name, node, &rs[i]);
			if (err < 0)
				return err;
			any = true;
		}
		return any ? ST_HIT : ST_NODATA;
	}
	const struct ls_zone_rrset *rs = ls_zone_node_rrset(z, node, qt);
	if (!rs)
		return ST_NODATA;
	err = answer_put(c, name, node, rs);
	return err < 0 ? err : ST_HIT;
}

/* RFC 6672 §3.3: the DNAME, and a CNAME synthesised from it. */
static int follow_dname(struct eng *c, const uint8_t *name, const struct ls_zone_node *dn,
			const uint8_t **next)
{
	const struct ls_zone *z = c->z;
	const struct ls_zone_rrset *rs = ls_zone_node_rrset(z, dn, LS_TYPE_DNAME);
	struct ls_zone_rdata_iter it;
	const uint8_t *target;
	uint16_t tlen;
	int err;

	c->name = name;
	c->node = NULL;
	if (c->follows++ == FOLLOW_MAX)
		return ST_HIT;
	err = answer_put(c, ls_zone_node_name(z, dn), dn, rs);
	if (err)
		return err < 0 ? err : ST_HIT;
	ls_zone_rdata_begin(z, rs, &it);
	ls_zone_rdata_next(&it, &target, &tlen);

	size_t nlen = ls_dname_len(name);
	size_t prefix = nlen - ls_dname_len(ls_zone_node_name(z, dn));
	if (prefix + tlen > LS_DNAME_MAXLEN) {
		c->rcode = LS_RCODE_YXDOMAIN; /* RFC 6672 §2.2 */
		return ST_HIT;
	}
	if (c->nnames == CHAIN_MAX)
		return ST_HIT;
	uint8_t *syn = c->names[c->nnames++];
	memcpy(syn, name, prefix);
	memcpy(syn + prefix, target, tlen);
	err = ls_msg_put_rr(&c->w, LS_SECTION_ANSWER, name, LS_TYPE_CNAME, LS_CLASS_IN, rs->ttl,
			    syn, prefix + tlen);
	if (err)
		return err;
	/* the synthesised CNAME answers a CNAME query; knotd stops there too */
	if (c->qtype == LS_TYPE_CNAME)
		return ST_HIT;
	*next = syn;
	return ST_FOLLOW;
}

static int solve_name(struct eng *c, const uint8_t *name, const uint8_t **next)
{
	const struct ls_zone *z = c->z;
	/*
	 * One lookup answers three questions: the closest encloser is the
	 * name's own node when that exists (same length: an ancestor is
	 * shorter), and the highest cut lies on its parent chain. Asking
	 * ls_zone_find_cut() and ls_zone_find() would hash the name again.
	 */
	const struct ls_zone_node *ce = ls_zone_closest_encloser(z, name);
	const struct ls_zone_node *cut = NULL, *node = NULL, *wc;

	for (const struct ls_zone_node *n = ce; n; n = ls_zone_node_parent(z, n))
		if (n->flags & LS_ZONE_NODE_DELEG)
			cut = n;
	/* a DS query at the cut itself is answered from the parent's data */
	if (cut && !(c->qtype == LS_TYPE_DS && ls_dname_equal(ls_zone_node_name(z, cut), name))) {
		c->name = name;
		c->cut = cut;
		return ST_DELEG;
	}
	if (!ce)
		return ST_HIT;
	if (ls_dname_len(ls_zone_node_name(z, ce)) == ls_dname_len(name))
		node = ce;
	if (node && !(node->flags & LS_ZONE_NODE_OCCLUDED))
		return name_found(c, name, node, false, next);
	/* RFC 4592 §3.3.1: only "*.<closest encloser>" may match */
	wc = ls_zone_wildcard(z, ce);
	if (wc)
		return name_found(c, name, wc, true, next);
	if (ce->flags & LS_ZONE_NODE_DNAME)
		return follow_dname(c, name, ce, next);
	c->name = name;
	c->node = NULL;
	c->ce = ce;
	return ST_MISS;
}

/* Additional addresses for the targets of NS, MX and SRV (RFC 1034 §4.3.2
 * step 6, RFC 2782): A and AAAA, from the zone, wildcards included. */
static void additional_for(struct eng *c, const struct item *it)
{
	const struct ls_zone *z = c->z;
	struct ls_zone_rdata_iter ri;
	const uint8_t *rd;
	uint16_t len;
	size_t off;

	switch (it->rrset->type) {
	case LS_TYPE_NS:
		off = 0;
		break;
	case LS_TYPE_MX:
		off = 2;
		break;
	case LS_TYPE_SRV:
		off = 6;
		break;
	default:
		return;
	}
	ls_zone_rdata_begin(z, it->rrset, &ri);
	while (ls_zone_rdata_next(&ri, &rd, &len)) {
		const uint8_t *target = rd + off;
		const struct ls_zone_node *n;

		if (len <= off || !ls_dname_is_sub(target, ls_zone_origin(z)))
			continue;
		n = ls_zone_find(z, target);
		if (!n) {
			const struct ls_zone_node *ce = ls_zone_closest_encloser(z, target);
			n = ce ? ls_zone_wildcard(z, ce) : NULL;
		}
		if (!n)
			continue;
		/* RFC 9471 §3: glue below the cut must fit, or TC is set */
		bool required = it->rrset->type == LS_TYPE_NS && c->cut && it->node == c->cut &&
				ls_dname_is_sub(target, ls_zone_node_name(z, c->cut));
		static const uint16_t types[] = { LS_TYPE_A, LS_TYPE_AAAA };
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
			const struct ls_zone_rrset *rs = ls_zone_node_rrset(z, n, types[k]);
			if (!rs || c->nadd == ADD_MAX || in_list(c->add, c->nadd, rs, target) ||
			    in_list(c->answer, c->nanswer, rs, target))
				continue;
			c->add[c->nadd++] = (struct item){ .owner = target,
							   .node = n,
							   .rrset = rs,
							   .ttl = rs->ttl,
							   .required = required };
		}
	}
}

/*
 * Answer @qname (case as sent) from the zone: the answer section as the
 * chain goes, then authority and additional. -ENOSPC when a required RRset
 * does not fit.
 */
static int answer(struct eng *c, const uint8_t *qname, bool *aa)
{
	const uint8_t *name = qname, *next = NULL;
	int state;

	*aa = true; /* a truncated first step is still authoritative, as in knotd */
	for (unsigned step = 0;; step++) {
		state = solve_name(c, name, &next);
		if (state < 0)
			return state;
		if (step == 0)
			*aa = state != ST_DELEG;
		if (state != ST_FOLLOW)
			break;
		/* only names in this zone are followed; the client chases the rest */
		if (step + 1 >= CHAIN_MAX || !ls_dname_is_sub(next, ls_zone_origin(c->z))) {
			state = ST_HIT;
			break;
		}
		name = next;
	}

	const struct ls_zone_node *apex = ls_zone_apex(c->z);
	const struct ls_zone_rrset *soa = ls_zone_node_rrset(c->z, apex, LS_TYPE_SOA);
	uint32_t neg_ttl = soa->ttl;
	if (state == ST_NODATA || state == ST_MISS) {
		/* RFC 2308 §3: the SOA's TTL is min(TTL, MINIMUM) */
		struct ls_zone_rdata_iter it;
		const uint8_t *rd;
		uint16_t len;
		ls_zone_rdata_begin(c->z, soa, &it);
		if (ls_zone_rdata_next(&it, &rd, &len) && len >= 4) {
			uint32_t min = (uint32_t)rd[len - 4] << 24 | (uint32_t)rd[len - 3] << 16 |
				       (uint32_t)rd[len - 2] << 8 | rd[len - 1];
			if (min < neg_ttl)
				neg_ttl = min;
		}
	}
	switch (state) {
	case ST_NODATA:
		auth_add(c, apex, soa, neg_ttl);
		if (c->dnssec)
			prove_nodata(c);
		break;
	case ST_MISS:
		if (c->rcode == LS_RCODE_NOERROR)
			c->rcode = LS_RCODE_NXDOMAIN;
		auth_add(c, apex, soa, neg_ttl);
		if (c->dnssec)
			prove_nxdomain(c);
		break;
	case ST_DELEG:
		auth_add_type(c, c->cut, LS_TYPE_NS);
		if (c->dnssec)
			prove_delegation(c);
		break;
	default:
		break;
	}
	if (c->dnssec)
		prove_wildcards(c);

	int err = 0;
	for (unsigned i = 0; c->dnssec && !err && i < c->nanswer; i++)
		err = put_sigs(c, LS_SECTION_ANSWER, &c->answer[i]);
	for (unsigned i = 0; !err && i < c->nauth; i++) {
		const struct item *it = &c->auth[i];
		err = put_set(c, LS_SECTION_AUTHORITY, it->owner, it->rrset, it->ttl);
	}
	for (unsigned i = 0; c->dnssec && !err && i < c->nauth; i++)
		err = put_sigs(c, LS_SECTION_AUTHORITY, &c->auth[i]);
	if (err)
		return err;

	for (unsigned i = 0; i < c->nanswer; i++)
		additional_for(c, &c->answer[i]);
	for (unsigned i = 0; i < c->nauth; i++)
		additional_for(c, &c->auth[i]);
	/* optional: what does not fit is left out, RRset by RRset */
	bool written[ADD_MAX];
	/* in-domain glue first (RFC 9471 §3), then the optional rest, as knotd */
	unsigned order[ADD_MAX], n = 0;
	for (unsigned i = 0; i < c->nadd; i++)
		if (c->add[i].required)
			order[n++] = i;
	for (unsigned i = 0; i < c->nadd; i++)
		if (!c->add[i].required)
			order[n++] = i;
	for (unsigned k = 0; k < c->nadd; k++) {
		unsigned i = order[k];
		const struct item *it = &c->add[i];
		struct ls_msg_mark mark;
		ls_msg_mark(&c->w, &mark);
		written[i] = put_set(c, LS_SECTION_ADDITIONAL, it->owner, it->rrset, it->ttl) == 0;
		if (!written[i])
			ls_msg_rollback(&c->w, &mark);
		/* knotd keeps what fitted and sets TC; so does lockstep */
		if (!written[i] && it->required)
			c->tc = true;
	}
	for (unsigned k = 0; c->dnssec && k < c->nadd; k++) {
		unsigned i = order[k];
		struct ls_msg_mark mark;
		if (!written[i])
			continue;
		ls_msg_mark(&c->w, &mark);
		if (put_sigs(c, LS_SECTION_ADDITIONAL, &c->add[i]))
			ls_msg_rollback(&c->w, &mark);
	}
	return 0;
}

/* ---- the entry point ----------------------------------------------------- */

static bool zone_signed(struct eng *c)
{
	const struct ls_zone_node *apex = ls_zone_apex(c->z);
	const struct ls_zone_rrset *p;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	if (!ls_zone_is_signed(c->z))
		return false;
	p = ls_zone_node_rrset(c->z, apex, LS_TYPE_NSEC3PARAM);
	if (p) {
		ls_zone_rdata_begin(c->z, p, &it);
		if (ls_zone_rdata_next(&it, &rd, &len) && len >= 5 && len >= 5u + rd[4]) {
			c->nsec3 = true;
			c->n3alg = rd[0];
			c->n3iter = ls_get16(rd + 2);
			c->n3saltlen = rd[4];
			c->n3salt = rd + 5;
		}
	}
	return true;
}

static int reply_start(struct ls_msg_writer *w, const struct ls_msg *m, bool question)
{
	uint16_t flags = LS_FLAG_QR | (m->flags & (LS_OPCODE_MASK | LS_FLAG_RD | LS_FLAG_CD));

	ls_msg_set_header(w, m->id, flags);
	if (question)
		return ls_msg_put_question(w, m->qname, m->qtype, m->qclass);
	return 0;
}

static int put_our_opt(struct ls_msg_writer *w, const struct ls_msg *m, unsigned rcode)
{
	struct ls_msg_edns e = {
		.udp_size = LS_ENGINE_EDNS_PAYLOAD,
		.ext_rcode = (uint8_t)(rcode >> 4),
		.version = 0,
		.flags = m->edns.flags & LS_EDNS_DO, /* RFC 3225 §3: DO copied */
	};
	return ls_msg_put_opt(w, &e);
}

/* An error response: header, question (if @question), OPT (if EDNS). */
static int error_reply(struct ls_msg_writer *w, const struct ls_msg *m, unsigned rcode,
		       bool question, bool opt)
{
	int err = reply_start(w, m, question);

	if (!err && opt)
		err = put_our_opt(w, m, rcode);
	ls_msg_set_rcode(w, rcode & LS_RCODE_MASK);
	return err ? err : (int)ls_msg_len(w);
}

/* RFC 8945 §5.2: a key we do not know is NOTAUTH with TSIG error BADKEY, unsigned. */
static int badkey_reply(struct ls_msg_writer *w, const struct ls_msg *m)
{
	const struct ls_msg_tsig *t = &m->tsig;
	uint8_t rd[LS_DNAME_MAXLEN + 16];
	size_t alen = ls_dname_len(t->alg), p = alen;
	int err = reply_start(w, m, true);

	if (err)
		return err;
	if (m->has_edns) {
		err = put_our_opt(w, m, LS_RCODE_NOERROR);
		if (err)
			return err;
	}
	memcpy(rd, t->alg, alen);
	/* time signed and fudge echoed: no clock, so the answer stays deterministic */
	for (int i = 5; i >= 0; i--)
		rd[p++] = (uint8_t)(t->time_signed >> (8 * i));
	rd[p++] = (uint8_t)(t->fudge >> 8);
	rd[p++] = (uint8_t)t->fudge;
	rd[p++] = 0; /* MAC size 0 */
	rd[p++] = 0;
	rd[p++] = (uint8_t)(t->orig_id >> 8);
	rd[p++] = (uint8_t)t->orig_id;
	rd[p++] = 0;
	rd[p++] = LS_RCODE_BADKEY;
	rd[p++] = 0; /* other len */
	rd[p++] = 0;
	err = ls_msg_put_rr(w, LS_SECTION_ADDITIONAL, t->key, LS_TYPE_TSIG, LS_CLASS_ANY, 0, rd, p);
	ls_msg_set_rcode(w, LS_RCODE_NOTAUTH);
	return err ? err : (int)ls_msg_len(w);
}

/* The zone for @qname_lower; for DS the parent's first (RFC 4035 §3.1.4.1). */
static const struct ls_zone *find_zone(const uint8_t *qname_lower, uint16_t qtype,
				       ls_engine_lookup_fn lookup, void *ctx, bool *silent)
{
	const struct ls_zone *z;

	*silent = false;
	if (qtype == LS_TYPE_DS && qname_lower[0] != 0) {
		z = lookup(ctx, ls_dname_parent(qname_lower), silent);
		if (z || *silent)
			return z;
	}
	return lookup(ctx, qname_lower, silent);
}

int ls_engine_respond(const uint8_t *query, size_t qlen, int transport, ls_engine_lookup_fn lookup,
		      void *ctx, uint8_t *resp, size_t cap, struct ls_engine_stats *stats)
{
	struct eng c;
	struct ls_msg m;
	uint8_t lower[LS_DNAME_MAXLEN];
	const struct ls_zone *z;
	size_t limit;
	bool silent, aa = false;
	int err;

	if (!query || !resp || !lookup)
		return -EINVAL;
	if (cap < 512)
		return -ENOSPC;
	/* No header, or a response: never answer (RFC 1035 §4.1.1; answering
	 * responses invites loops between servers). */
	if (qlen < LS_MSG_HDRLEN || (query[2] & 0x80)) {
		STAT(stats, dropped_malformed);
		return 0;
	}
	err = ls_msg_writer_init(&c.w, resp, cap > LS_MSG_MAXLEN ? LS_MSG_MAXLEN : cap);
	if (err)
		goto internal;
	ls_msg_set_limit(&c.w, 512);

	err = ls_msg_parse(&m, query, qlen);
	if (err || m.end != m.len || m.count[LS_SECTION_QUESTION] != 1) {
		/* a question we cannot read: silence, as knotd; else FORMERR */
		if (m.count[LS_SECTION_QUESTION] > 0 && m.qname_len == 0) {
			STAT(stats, dropped_malformed);
			return 0;
		}
		STAT(stats, formerr);
		err = error_reply(&c.w, &m, LS_RCODE_FORMERR, m.count[LS_SECTION_QUESTION] > 0,
				  false);
		goto done;
	}

	/* From here the question is sound: every response echoes it. */
	if (m.has_edns && m.edns.version > 0) {
		STAT(stats, badvers);
		err = error_reply(&c.w, &m, LS_RCODE_BADVERS, true, true);
		goto done;
	}
	limit = transport == LS_ENGINE_TCP ? LS_MSG_MAXLEN : 512;
	if (transport != LS_ENGINE_TCP && m.has_edns && m.edns.udp_size > 512)
		limit = m.edns.udp_size < LS_ENGINE_EDNS_PAYLOAD ? m.edns.udp_size :
								   LS_ENGINE_EDNS_PAYLOAD;
	if (limit > c.w.size)
		limit = c.w.size;
	ls_msg_set_limit(&c.w, limit);

	if (m.has_tsig) {
		STAT(stats, badkey);
		err = badkey_reply(&c.w, &m);
		goto done;
	}
	switch (ls_msg_opcode(&m)) {
	case LS_OPCODE_QUERY:
		break;
	case LS_OPCODE_NOTIFY:
		/* zones come in on the administrative interface only */
		STAT(stats, refused);
		err = error_reply(&c.w, &m, LS_RCODE_REFUSED, true, m.has_edns);
		goto done;
	default:
		STAT(stats, notimp);
		err = error_reply(&c.w, &m, LS_RCODE_NOTIMP, true, m.has_edns);
		goto done;
	}
	if (m.qclass != LS_CLASS_IN && m.qclass != LS_CLASS_ANY) {
		STAT(stats, refused);
		err = error_reply(&c.w, &m, LS_RCODE_REFUSED, true, m.has_edns);
		goto done;
	}
	if (m.qtype == LS_TYPE_AXFR || m.qtype == LS_TYPE_IXFR) {
		/* transfers are served on the administrative interface only */
		bool udp_axfr = m.qtype == LS_TYPE_AXFR && transport != LS_ENGINE_TCP;
		if (udp_axfr)
			STAT(stats, notimp);
		else
			STAT(stats, refused);
		err = error_reply(&c.w, &m, udp_axfr ? LS_RCODE_NOTIMP : LS_RCODE_REFUSED, true,
				  m.has_edns);
		goto done;
	}

	ls_dname_copy_lower(lower, m.qname);
	z = find_zone(lower, m.qtype, lookup, ctx, &silent);
	if (!z) {
		if (silent) {
			STAT(stats, dropped_withdrawn);
			return 0;
		}
		STAT(stats, refused);
		err = error_reply(&c.w, &m, LS_RCODE_REFUSED, true, m.has_edns);
		goto done;
	}

	/* the answer proper */
	c.z = z;
	c.qtype = m.qtype;
	c.nsec3 = false;
	c.dnssec = m.has_edns && (m.edns.flags & LS_EDNS_DO) && zone_signed(&c);
	c.rcode = LS_RCODE_NOERROR;
	c.name = NULL;
	c.node = c.ce = c.cut = NULL;
	c.from_wc = false;
	c.nanswer = c.nauth = c.nadd = c.nwc = c.nnames = c.follows = 0;
	c.tc = false;

	err = reply_start(&c.w, &m, true);
	if (err)
		goto internal;
	size_t optlen = 0;
	if (m.has_edns) {
		struct ls_msg_edns e = { 0 };
		optlen = ls_msg_opt_size(&e);
		err = ls_msg_reserve(&c.w, optlen);
		if (err)
			goto internal;
	}
	struct ls_msg_mark after_question;
	ls_msg_mark(&c.w, &after_question);
	err = answer(&c, m.qname, &aa);
	if (err == -ENOSPC) {
		/* RFC 2181 §9: never a partial answer; knotd sends the question only */
		ls_msg_rollback(&c.w, &after_question);
		ls_msg_set_flags(&c.w, ls_msg_get_flags(&c.w) | LS_FLAG_TC);
		STAT(stats, truncated);
		err = 0;
	}
	if (err)
		goto internal;
	if (aa)
		ls_msg_set_flags(&c.w, ls_msg_get_flags(&c.w) | LS_FLAG_AA);
	if (c.tc) {
		ls_msg_set_flags(&c.w, ls_msg_get_flags(&c.w) | LS_FLAG_TC);
		STAT(stats, truncated);
	}
	if (m.has_edns) {
		ls_msg_unreserve(&c.w, optlen);
		err = put_our_opt(&c.w, &m, c.rcode);
		if (err)
			goto internal;
	}
	ls_msg_set_rcode(&c.w, c.rcode & LS_RCODE_MASK);
	if (c.rcode == LS_RCODE_NXDOMAIN)
		STAT(stats, nxdomain);
	else if (!aa)
		STAT(stats, referral);
	else if (c.w.count[LS_SECTION_ANSWER] == 0 && !(ls_msg_get_flags(&c.w) & LS_FLAG_TC))
		STAT(stats, nodata);
	err = (int)ls_msg_len(&c.w);

done:
	if (err < 0)
		goto internal;
	STAT(stats, answered);
	return err;

internal:
	STAT(stats, internal);
	return err < 0 ? err : -EINVAL;
}
