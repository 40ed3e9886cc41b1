/* SPDX-License-Identifier: MIT */
/*
 * zone.c — see zone.h.
 *
 * Building works in three phases so that no phase does per-record work that
 * is more than a hash probe or a small sort:
 *  1. add: owner names are interned (lowercased) in a hash table that hands
 *     out name ids; records go to one array, their rdata to one arena.
 *  2. finish/sort: missing ancestors become ENT names (sharing the bytes of a
 *     descendant's name), names are sorted once in canonical order through
 *     byte-comparable keys, records are bucketed per node by a counting sort
 *     and each node's few records sorted by type and canonical rdata.
 *  3. finish/check: flags are computed top-down in canonical order (a parent
 *     always sorts before its children) and the structural checks run over
 *     nodes and RRsets, with each record's file:line still at hand.
 */
#include "common/zone.h"

#include "common/grow.h"
#include "common/rdata.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- problems ----------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void problem_clear(struct ls_zone_problem *p)
{
	free(p->file);
	free(p->owner);
	free(p->rdata);
	free(p->message);
}

void ls_zone_problems_free(struct ls_zone_problems *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->count; i++)
		problem_clear(&p->v[i]);
	free(p->v);
	free(p);
}

int ls_zone_problems_add(struct ls_zone_problems *p, enum ls_zone_severity sev, const char *check,
			 const char *file, unsigned long line, const char *owner, uint16_t type,
			 const char *rdata, const char *message)
{
	struct ls_zone_problem *q;

	if (sev == LS_ZONE_ERROR)
		p->errors++;
	else
		p->warnings++;
	if (p->count >= LS_ZONE_MAX_PROBLEMS) {
		p->suppressed++;
		return 0;
	}
	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct ls_zone_problem *v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	q = &p->v[p->count];
	memset(q, 0, sizeof(*q));
	q->severity = sev;
	q->check = check;
	q->line = line;
	q->type = type;
	q->file = dup_or_null(file);
	q->owner = dup_or_null(owner);
	q->rdata = dup_or_null(rdata);
	q->message = dup_or_null(message);
	if ((file && !q->file) || (owner && !q->owner) || (rdata && !q->rdata) ||
	    (message && !q->message)) {
		problem_clear(q);
		return -ENOMEM;
	}
	p->count++;
	return 0;
}

int ls_zone_problem_format(char *dst, size_t dstlen, const struct ls_zone_problem *p)
{
	char tbuf[LS_RRTYPE_STRLEN];
	char place[64 + 4096];
	const char *sev = p->severity == LS_ZONE_WARNING ? "warning: " : "";

	if (p->file && p->line)
		snprintf(place, sizeof(place), "%s:%lu: ", p->file, p->line);
	else if (p->file)
		snprintf(place, sizeof(place), "%s: ", p->file);
	else
		place[0] = '\0';
	if (p->owner)
		return snprintf(dst, dstlen, "%s%s%s: %s%s%s%s%s — %s", place, sev, p->check,
				p->owner, p->type ? " " : "",
				p->type ? ls_rrtype_name(p->type, tbuf) : "", p->rdata ? " " : "",
				p->rdata ? p->rdata : "", p->message ? p->message : "");
	return snprintf(dst, dstlen, "%s%s%s: %s", place, sev, p->check,
			p->message ? p->message : "");
}

/* ---- the zone ----------------------------------------------------------- */

struct ls_zone {
	uint8_t origin[LS_DNAME_MAXLEN];
	uint32_t serial;
	struct ls_zone_node *nodes;
	uint32_t nnodes;
	struct ls_zone_rrset *rrsets;
	uint32_t nrrsets;
	uint8_t *names;
	size_t names_len;
	uint8_t *rdata;
	size_t rdata_len;
	uint32_t *index; /* node numbers; LS_ZONE_NONE marks an empty slot */
	uint32_t index_mask;
	uint32_t *chain[2]; /* CHAIN_NSEC, CHAIN_NSEC3: owner node numbers, canonical order */
	uint32_t nchain[2];
	size_t nrecords;
	size_t ndelegations;
	bool is_signed;
};

enum { CHAIN_NSEC = 0, CHAIN_NSEC3 = 1 };

void ls_zone_free(struct ls_zone *z)
{
	if (!z)
		return;
	free(z->nodes);
	free(z->rrsets);
	free(z->names);
	free(z->rdata);
	free(z->index);
	free(z->chain[CHAIN_NSEC]);
	free(z->chain[CHAIN_NSEC3]);
	free(z);
}

const uint8_t *ls_zone_origin(const struct ls_zone *z)
{
	return z->origin;
}

uint32_t ls_zone_serial(const struct ls_zone *z)
{
	return z->serial;
}

size_t ls_zone_node_count(const struct ls_zone *z)
{
	return z->nnodes;
}

size_t ls_zone_rrset_count(const struct ls_zone *z)
{
	return z->nrrsets;
}

size_t ls_zone_record_count(const struct ls_zone *z)
{
	return z->nrecords;
}

size_t ls_zone_delegation_count(const struct ls_zone *z)
{
	return z->ndelegations;
}

size_t ls_zone_memory(const struct ls_zone *z)
{
	return sizeof(*z) + (size_t)z->nnodes * sizeof(*z->nodes) +
	       (size_t)z->nrrsets * sizeof(*z->rrsets) + z->names_len + z->rdata_len +
	       ((size_t)z->index_mask + 1) * sizeof(*z->index) +
	       ((size_t)z->nchain[CHAIN_NSEC] + z->nchain[CHAIN_NSEC3]) * sizeof(uint32_t);
}

bool ls_zone_is_signed(const struct ls_zone *z)
{
	return z->is_signed;
}

const struct ls_zone_node *ls_zone_node_at(const struct ls_zone *z, size_t i)
{
	return i < z->nnodes ? &z->nodes[i] : NULL;
}

size_t ls_zone_node_index(const struct ls_zone *z, const struct ls_zone_node *node)
{
	return (size_t)(node - z->nodes);
}

const struct ls_zone_node *ls_zone_apex(const struct ls_zone *z)
{
	return &z->nodes[0];
}

const uint8_t *ls_zone_node_name(const struct ls_zone *z, const struct ls_zone_node *node)
{
	return z->names + node->name;
}

const struct ls_zone_node *ls_zone_node_parent(const struct ls_zone *z,
					       const struct ls_zone_node *node)
{
	return node->parent == LS_ZONE_NONE ? NULL : &z->nodes[node->parent];
}

const struct ls_zone_rrset *ls_zone_node_rrsets(const struct ls_zone *z,
						const struct ls_zone_node *node, size_t *count)
{
	*count = node->nrrsets;
	return &z->rrsets[node->rrsets];
}

const struct ls_zone_rrset *ls_zone_node_rrset(const struct ls_zone *z,
					       const struct ls_zone_node *node, uint16_t type)
{
	const struct ls_zone_rrset *rs = &z->rrsets[node->rrsets];

	/* A node has a handful of RRsets; a linear scan beats anything clever. */
	for (uint16_t i = 0; i < node->nrrsets; i++) {
		if (rs[i].type == type)
			return &rs[i];
		if (rs[i].type > type)
			break;
	}
	return NULL;
}

static uint16_t rrsig_covered(const uint8_t *rdata)
{
	return (uint16_t)((rdata[0] << 8) | rdata[1]);
}

const struct ls_zone_rrset *ls_zone_rrsigs(const struct ls_zone *z, const struct ls_zone_node *node,
					   uint16_t covered)
{
	const struct ls_zone_rrset *rs = &z->rrsets[node->rrsets];

	for (uint16_t i = 0; i < node->nrrsets; i++) {
		if (rs[i].type < LS_TYPE_RRSIG)
			continue;
		if (rs[i].type > LS_TYPE_RRSIG)
			break;
		/* every rdata of the group covers the same type: look at the first */
		if (rrsig_covered(z->rdata + rs[i].rdata + 2) == covered)
			return &rs[i];
	}
	return NULL;
}

void ls_zone_rdata_begin(const struct ls_zone *z, const struct ls_zone_rrset *rrset,
			 struct ls_zone_rdata_iter *it)
{
	it->pos = z->rdata + rrset->rdata;
	it->left = rrset->count;
}

/* ---- lookups ------------------------------------------------------------ */

static uint32_t index_find(const struct ls_zone *z, const uint8_t *name, uint32_t hash)
{
	for (uint32_t i = hash & z->index_mask;; i = (i + 1) & z->index_mask) {
		uint32_t n = z->index[i];
		if (n == LS_ZONE_NONE)
			return LS_ZONE_NONE;
		if (ls_dname_equal(z->names + z->nodes[n].name, name))
			return n;
	}
}

const struct ls_zone_node *ls_zone_find(const struct ls_zone *z, const uint8_t *name)
{
	uint32_t n = index_find(z, name, ls_dname_hash(name));

	return n == LS_ZONE_NONE ? NULL : &z->nodes[n];
}

const struct ls_zone_node *ls_zone_closest_encloser(const struct ls_zone *z, const uint8_t *name)
{
	int labels = ls_dname_labels(name);
	int olabels = ls_dname_labels(z->origin);
	const uint8_t *p = name;

	if (labels < olabels)
		return NULL;
	/*
	 * Bottom up: most queries name an existing node or one just below one.
	 * A hit proves @name is inside the zone (every node is), so whether it
	 * is needs checking only when the walk reaches the origin's depth, and
	 * there a comparison replaces the apex's hash lookup.
	 */
	for (; labels > olabels; labels--, p = ls_dname_parent(p)) {
		const struct ls_zone_node *n = ls_zone_find(z, p);
		if (n)
			return n;
	}
	return ls_dname_equal(p, z->origin) ? &z->nodes[0] : NULL;
}

/* Highest ancestor-or-self of the closest encloser of @name with @flag. */
static const struct ls_zone_node *highest_with(const struct ls_zone *z, const uint8_t *name,
					       unsigned flag)
{
	const struct ls_zone_node *n = ls_zone_closest_encloser(z, name);
	const struct ls_zone_node *found = NULL;

	for (; n; n = ls_zone_node_parent(z, n))
		if (n->flags & flag)
			found = n;
	return found;
}

const struct ls_zone_node *ls_zone_find_cut(const struct ls_zone *z, const uint8_t *name)
{
	return highest_with(z, name, LS_ZONE_NODE_DELEG);
}

const struct ls_zone_node *ls_zone_find_dname(const struct ls_zone *z, const uint8_t *name)
{
	return highest_with(z, name, LS_ZONE_NODE_DNAME);
}

const struct ls_zone_node *ls_zone_wildcard(const struct ls_zone *z,
					    const struct ls_zone_node *encloser)
{
	uint8_t wc[LS_DNAME_MAXLEN];
	const uint8_t *name = ls_zone_node_name(z, encloser);
	size_t len = ls_dname_len(name);

	/* The flag avoids building and hashing "*.name" for the common miss. */
	if (!(encloser->flags & LS_ZONE_NODE_WILDCARD_CHILD) || len + 2 > LS_DNAME_MAXLEN)
		return NULL;
	wc[0] = 1;
	wc[1] = '*';
	memcpy(wc + 2, name, len);
	return ls_zone_find(z, wc);
}

static int chain_of(uint16_t type)
{
	if (type == LS_TYPE_NSEC)
		return CHAIN_NSEC;
	if (type == LS_TYPE_NSEC3)
		return CHAIN_NSEC3;
	return -1;
}

const uint32_t *ls_zone_chain(const struct ls_zone *z, uint16_t type, size_t *count)
{
	int c = chain_of(type);

	*count = c < 0 ? 0 : z->nchain[c];
	return *count ? z->chain[c] : NULL;
}

const struct ls_zone_node *ls_zone_chain_prev(const struct ls_zone *z, const uint8_t *name,
					      uint16_t type)
{
	int c = chain_of(type);
	const uint32_t *v;
	uint32_t lo = 0, hi;

	if (c < 0 || z->nchain[c] == 0)
		return NULL;
	v = z->chain[c];
	hi = z->nchain[c];
	/* Binary search for the first owner not before @name. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ls_dname_cmp(z->names + z->nodes[v[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the one before it; before the first owner, the chain wraps to the last */
	return &z->nodes[v[lo ? lo - 1 : z->nchain[c] - 1]];
}

const struct ls_zone_node *ls_zone_predecessor(const struct ls_zone *z, const uint8_t *name,
					       unsigned skip_flags)
{
	/* Binary search for the first node not before @name. */
	size_t lo = 0, hi = z->nnodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ls_dname_cmp(z->names + z->nodes[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo nodes sort before @name; step back from there, wrapping around. */
	for (size_t step = 0; step < z->nnodes; step++) {
		size_t i = (lo + z->nnodes - 1 - step) % z->nnodes;
		if (!(z->nodes[i].flags & skip_flags))
			return &z->nodes[i];
	}
	return NULL;
}

/* ---- the builder -------------------------------------------------------- */

/* One record as added; 24 octets. */
struct zb_rec {
	uint32_t name; /* name id */
	uint32_t ttl;
	uint32_t rdata; /* offset in the builder's rdata arena */
	uint32_t line;
	uint16_t type;
	uint16_t rdlen;
	uint16_t file; /* registered file + 1; 0: unknown */
	uint16_t pad;
};

struct ls_zone_builder {
	uint8_t origin[LS_DNAME_MAXLEN];
	int origin_labels;

	/* interned owner names, lowercased */
	uint8_t *names;
	size_t names_len, names_cap;
	uint32_t *name_off; /* by name id */
	uint32_t nnames, name_off_cap;
	uint32_t *slots; /* name ids; LS_ZONE_NONE marks an empty slot */
	uint32_t slot_mask;
	uint32_t last_name; /* fast path: consecutive records share owners */

	struct zb_rec *recs;
	size_t nrecs, recs_cap;
	uint8_t *rdata;
	size_t rdata_len, rdata_cap;

	char **files;
	uint32_t nfiles;

	size_t max_records, max_bytes, bytes;
	bool limit_hit;
	bool nomem;

	struct ls_zone_problems *problems;
	char *render; /* scratch for presentation forms in problems */
	uint8_t *canon[2]; /* scratch for canonical rdata comparison */
};

#define RENDER_LEN (4 * LS_RDATA_MAXLEN + 64)

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	void *q = ls_grow(*p, cap, need, elem, 64);

	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

/* Label-wise equality of two lowercased wire names without reading past either. */
static bool wire_eq(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		if (*a == 0)
			return true;
		if (memcmp(a + 1, b + 1, *a) != 0)
			return false;
		b += 1 + *a;
		a += 1 + *a;
	}
}

static uint32_t zb_find(const struct ls_zone_builder *b, const uint8_t *lname, uint32_t hash)
{
	for (uint32_t i = hash & b->slot_mask;; i = (i + 1) & b->slot_mask) {
		uint32_t id = b->slots[i];
		if (id == LS_ZONE_NONE || wire_eq(b->names + b->name_off[id], lname))
			return id;
	}
}

static int zb_rehash(struct ls_zone_builder *b, uint32_t nslots)
{
	uint32_t *slots = malloc((size_t)nslots * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	memset(slots, 0xff, (size_t)nslots * sizeof(*slots));
	free(b->slots);
	b->slots = slots;
	b->slot_mask = nslots - 1;
	for (uint32_t id = 0; id < b->nnames; id++) {
		uint32_t h = ls_dname_hash(b->names + b->name_off[id]);
		uint32_t i = h & b->slot_mask;
		while (slots[i] != LS_ZONE_NONE)
			i = (i + 1) & b->slot_mask;
		slots[i] = id;
	}
	return 0;
}

/*
 * Intern the lowercased name at arena offset @off (already in the arena) as a
 * new id. The caller has checked it is not there yet.
 */
static int zb_insert_at(struct ls_zone_builder *b, uint32_t off, uint32_t hash, uint32_t *id)
{
	size_t cap = b->name_off_cap;
	int err;

	if (b->nnames >= LS_ZONE_NONE - 1)
		return -EFBIG;
	err = grow((void **)&b->name_off, &cap, (size_t)b->nnames + 1, sizeof(*b->name_off));
	if (err)
		return err;
	b->name_off_cap = (uint32_t)cap;
	/* Load at most 1/2 while building: probes stay short. */
	if (((size_t)b->nnames + 1) * 2 > (size_t)b->slot_mask + 1) {
		err = zb_rehash(b, (b->slot_mask + 1) * 2);
		if (err)
			return err;
	}
	b->name_off[b->nnames] = off;
	uint32_t i = hash & b->slot_mask;
	while (b->slots[i] != LS_ZONE_NONE)
		i = (i + 1) & b->slot_mask;
	b->slots[i] = b->nnames;
	*id = b->nnames++;
	return 0;
}

/* Intern @owner (any case); sets *@id. */
static int zb_intern(struct ls_zone_builder *b, const uint8_t *owner, uint32_t *id)
{
	uint8_t lname[LS_DNAME_MAXLEN];
	size_t len = ls_dname_copy_lower(lname, owner);
	uint32_t hash, found;
	int err;

	if (b->last_name != LS_ZONE_NONE && wire_eq(b->names + b->name_off[b->last_name], lname)) {
		*id = b->last_name;
		return 0;
	}
	hash = ls_dname_hash(lname);
	found = zb_find(b, lname, hash);
	if (found == LS_ZONE_NONE) {
		if (b->names_len + len > UINT32_MAX)
			return -EFBIG;
		err = grow((void **)&b->names, &b->names_cap, b->names_len + len, 1);
		if (err)
			return err;
		memcpy(b->names + b->names_len, lname, len);
		err = zb_insert_at(b, (uint32_t)b->names_len, hash, &found);
		if (err)
			return err;
		b->names_len += len;
	}
	b->last_name = found;
	*id = found;
	return 0;
}

struct ls_zone_builder *ls_zone_builder_new(const uint8_t *origin)
{
	struct ls_zone_builder *b;
	int len = ls_dname_wire_check(origin, LS_DNAME_MAXLEN);

	if (len < 0)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	ls_dname_copy_lower(b->origin, origin);
	b->origin_labels = ls_dname_labels(b->origin);
	b->last_name = LS_ZONE_NONE;
	b->problems = calloc(1, sizeof(*b->problems));
	if (!b->problems || zb_rehash(b, 1024) != 0) {
		ls_zone_builder_free(b);
		return NULL;
	}
	return b;
}

void ls_zone_builder_free(struct ls_zone_builder *b)
{
	if (!b)
		return;
	free(b->names);
	free(b->name_off);
	free(b->slots);
	free(b->recs);
	free(b->rdata);
	for (uint32_t i = 0; i < b->nfiles; i++)
		free(b->files[i]);
	free(b->files);
	ls_zone_problems_free(b->problems);
	free(b->render);
	free(b->canon[0]);
	free(b->canon[1]);
	free(b);
}

void ls_zone_builder_set_limits(struct ls_zone_builder *b, size_t max_records, size_t max_bytes)
{
	b->max_records = max_records;
	b->max_bytes = max_bytes;
}

int ls_zone_builder_add_file(struct ls_zone_builder *b, const char *name)
{
	char **files;

	for (uint32_t i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i], name) == 0)
			return (int)i;
	if (b->nfiles >= UINT16_MAX - 1)
		return -EFBIG;
	files = realloc(b->files, (b->nfiles + 1) * sizeof(*files));
	if (!files)
		return -ENOMEM;
	b->files = files;
	files[b->nfiles] = strdup(name);
	if (!files[b->nfiles])
		return -ENOMEM;
	return (int)b->nfiles++;
}

size_t ls_zone_builder_records(const struct ls_zone_builder *b)
{
	return b->nrecs;
}

static const char *zb_file(const struct ls_zone_builder *b, uint16_t file)
{
	return (file && file <= b->nfiles) ? b->files[file - 1] : NULL;
}

/*
 * Record a problem about one record (@owner may be NULL for zone-wide
 * ones). The rdata is rendered in presentation form when it is valid.
 */
__attribute__((format(printf, 10, 11))) static void
zb_report(struct ls_zone_builder *b, enum ls_zone_severity sev, const char *check,
	  const uint8_t *owner, uint16_t type, const uint8_t *rdata, size_t rdlen, uint16_t file,
	  uint32_t line, const char *fmt, ...)
{
	char ownerbuf[LS_DNAME_STRLEN];
	char msg[1024];
	const char *rstr = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (owner && ls_dname_to_str(ownerbuf, sizeof(ownerbuf), owner) < 0)
		owner = NULL;
	if (rdata) {
		if (!b->render)
			b->render = malloc(RENDER_LEN);
		if (b->render && ls_rdata_to_str(b->render, RENDER_LEN, type, rdata, rdlen) >= 0)
			rstr = b->render;
	}
	if (ls_zone_problems_add(b->problems, sev, check, zb_file(b, file), line,
				 owner ? ownerbuf : NULL, owner ? type : 0, rstr, msg) != 0)
		b->nomem = true;
}

int ls_zone_builder_problem(struct ls_zone_builder *b, enum ls_zone_severity sev, const char *check,
			    const struct ls_zone_src *src, const char *message)
{
	zb_report(b, sev, check, NULL, 0, NULL, 0, src ? (uint16_t)(src->file + 1) : 0,
		  src ? src->line : 0, "%s", message);
	return b->nomem ? -ENOMEM : 0;
}

int ls_zone_builder_add(struct ls_zone_builder *b, const uint8_t *owner, uint16_t type,
			uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen,
			const struct ls_zone_src *src)
{
	uint16_t file = src ? (uint16_t)(src->file + 1) : 0;
	uint32_t line = src ? src->line : 0;
	char tbuf[LS_RRTYPE_STRLEN];
	struct zb_rec *r;
	uint32_t id;
	int olen, err;

	if (b->limit_hit)
		return -EFBIG;
	if (b->nomem)
		return -ENOMEM;
	olen = ls_dname_wire_check(owner, LS_DNAME_MAXLEN);
	if (olen < 0) {
		zb_report(b, LS_ZONE_ERROR, "owner", NULL, 0, NULL, 0, file, line,
			  "malformed owner name");
		return -EINVAL;
	}
	if (rclass != LS_CLASS_IN) {
		char cbuf[16];
		zb_report(b, LS_ZONE_ERROR, "class", owner, type, NULL, 0, file, line,
			  "class %s: only IN zones are served", ls_rrclass_name(rclass, cbuf));
		return -EINVAL;
	}
	if (ls_rrtype_is_meta(type) || type == 0) {
		zb_report(b, LS_ZONE_ERROR, "type", owner, type, NULL, 0, file, line,
			  "%s is a meta type and cannot be zone data", ls_rrtype_name(type, tbuf));
		return -EINVAL;
	}
	if (rdlen > LS_RDATA_MAXLEN || ls_rdata_check(type, rdata, rdlen) != 0) {
		zb_report(b, LS_ZONE_ERROR, "rdata", owner, type, NULL, 0, file, line,
			  "malformed %s rdata (%zu octets)", ls_rrtype_name(type, tbuf), rdlen);
		return -EINVAL;
	}
	if (type == LS_TYPE_RRSIG && rdlen < 2) {
		zb_report(b, LS_ZONE_ERROR, "rdata", owner, type, NULL, 0, file, line,
			  "RRSIG without a type covered");
		return -EINVAL;
	}
	if (!ls_dname_is_sub(owner, b->origin)) {
		char obuf[LS_DNAME_STRLEN];
		ls_dname_to_str(obuf, sizeof(obuf), b->origin);
		zb_report(b, LS_ZONE_ERROR, "out-of-zone", owner, type, rdata, rdlen, file, line,
			  "owner is outside the zone %s", obuf);
		return -EINVAL;
	}

	/* Limits: the caller stops at the first -EFBIG; report it once. */
	size_t wire = (size_t)olen + 10 + rdlen;
	if ((b->max_records && b->nrecs + 1 > b->max_records) ||
	    (b->max_bytes && b->bytes + wire > b->max_bytes) ||
	    b->rdata_len + rdlen + 2 * (b->nrecs + 1) > UINT32_MAX) {
		b->limit_hit = true;
		zb_report(b, LS_ZONE_ERROR, "limit", NULL, 0, NULL, 0, file, line,
			  "zone exceeds its limit of %zu records / %zu octets", b->max_records,
			  b->max_bytes);
		return -EFBIG;
	}

	err = zb_intern(b, owner, &id);
	if (!err)
		err = grow((void **)&b->recs, &b->recs_cap, b->nrecs + 1, sizeof(*b->recs));
	if (!err)
		err = grow((void **)&b->rdata, &b->rdata_cap, b->rdata_len + rdlen, 1);
	if (err) {
		if (err == -ENOMEM)
			b->nomem = true;
		else
			b->limit_hit = true;
		return err;
	}
	if (rdlen) /* an empty first rdata: the arena may still be NULL */
		memcpy(b->rdata + b->rdata_len, rdata, rdlen);
	r = &b->recs[b->nrecs++];
	r->name = id;
	r->ttl = ttl;
	r->rdata = (uint32_t)b->rdata_len;
	r->line = line;
	r->type = type;
	r->rdlen = (uint16_t)rdlen;
	r->file = file;
	r->pad = 0;
	b->rdata_len += rdlen;
	b->bytes += wire;
	return 0;
}

struct ls_zone_problems *ls_zone_builder_abandon(struct ls_zone_builder *b)
{
	struct ls_zone_problems *p = NULL;

	if (!b)
		return NULL;
	if (b->problems->count || b->problems->suppressed) {
		p = b->problems;
		b->problems = NULL;
	}
	ls_zone_builder_free(b);
	return p;
}

/* ---- finish: sorting ---------------------------------------------------- */

/*
 * Canonical order (RFC 4034 §6.1) as plain byte order: labels from the right,
 * each followed by 0x00. Octets 0 and 1 inside a label are escaped as 01 01
 * and 01 02 so that the separator still sorts before every label octet and a
 * shorter label before a longer one with the same start.
 */
static size_t canon_key(uint8_t *dst, const uint8_t *name)
{
	uint8_t off[LS_DNAME_MAXLABELS + 1];
	int n = 0;
	size_t pos = 0, out = 0;

	while (name[pos] != 0) {
		off[n++] = (uint8_t)pos;
		pos += 1 + (size_t)name[pos];
	}
	while (n-- > 0) {
		const uint8_t *l = name + off[n];
		for (uint8_t i = 1; i <= l[0]; i++) {
			if (l[i] <= 1) {
				dst[out++] = 1;
				dst[out++] = (uint8_t)(l[i] + 1);
			} else {
				dst[out++] = l[i];
			}
		}
		dst[out++] = 0;
	}
	return out;
}

struct key_ent {
	uint32_t off;
	uint32_t id;
	uint16_t len;
};

static int key_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct key_ent *a = pa, *b = pb;
	const uint8_t *keys = ctx;
	uint16_t min = a->len < b->len ? a->len : b->len;
	int c = memcmp(keys + a->off, keys + b->off, min);

	if (c)
		return c;
	return (int)a->len - (int)b->len;
}

/* Sort key of a record's type: RRSIGs by the type they cover. */
static uint32_t rec_typekey(const struct ls_zone_builder *b, const struct zb_rec *r)
{
	uint32_t k = (uint32_t)r->type << 16;

	if (r->type == LS_TYPE_RRSIG)
		k |= rrsig_covered(b->rdata + r->rdata);
	return k;
}

static bool has_upper(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			return true;
	return false;
}

/*
 * RFC 4034 §6.3: canonical rdata as left-justified octets, shorter first.
 * Canonicalisation only lowercases, so when neither rdata holds an
 * upper-case letter the wire octets already are the canonical form and
 * the copies are skipped (the common case, and most of the sort's cost).
 */
static int rdata_cmp(struct ls_zone_builder *b, const struct zb_rec *x, const struct zb_rec *y)
{
	uint16_t min = x->rdlen < y->rdlen ? x->rdlen : y->rdlen;
	const uint8_t *px = b->rdata + x->rdata, *py = b->rdata + y->rdata;
	int c;

	if (b->canon[0] && b->canon[1] && (has_upper(px, x->rdlen) || has_upper(py, y->rdlen))) {
		memcpy(b->canon[0], px, x->rdlen);
		memcpy(b->canon[1], py, y->rdlen);
		/* Both were checked when added; canonicalisation cannot fail. */
		if (ls_rdata_canonicalize(x->type, b->canon[0], x->rdlen) == 0 &&
		    ls_rdata_canonicalize(y->type, b->canon[1], y->rdlen) == 0) {
			px = b->canon[0];
			py = b->canon[1];
		}
	}
	c = memcmp(px, py, min);
	if (c)
		return c;
	return (int)x->rdlen - (int)y->rdlen;
}

static int rec_cmp(const void *pa, const void *pb, void *ctx)
{
	struct ls_zone_builder *b = ctx;
	uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
	const struct zb_rec *x = &b->recs[ia], *y = &b->recs[ib];
	uint32_t kx = rec_typekey(b, x), ky = rec_typekey(b, y);
	int c;

	if (kx != ky)
		return kx < ky ? -1 : 1;
	c = rdata_cmp(b, x, y);
	if (c)
		return c;
	/* equal records: the one added first comes first and is the one kept */
	return ia < ib ? -1 : (ia > ib);
}

/* ---- finish: checks ----------------------------------------------------- */

/* Everything finish needs while it works; freed before it returns. */
struct fin {
	struct ls_zone_builder *b;
	struct ls_zone *z;
	uint32_t *kept; /* builder record of each stored rdata, in arena order */
	uint32_t *rrset_rec; /* index into kept of each RRset's first rdata */
};

static void fin_report_rr(struct fin *f, enum ls_zone_severity sev, const char *check,
			  const struct ls_zone_node *n, const struct ls_zone_rrset *rs, uint32_t k,
			  const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Report the @k-th record of @rs at @n. */
static void fin_report_rr(struct fin *f, enum ls_zone_severity sev, const char *check,
			  const struct ls_zone_node *n, const struct ls_zone_rrset *rs, uint32_t k,
			  const char *fmt, ...)
{
	uint32_t rs_idx = (uint32_t)(rs - f->z->rrsets);
	const struct zb_rec *r = &f->b->recs[f->kept[f->rrset_rec[rs_idx] + k]];
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	zb_report(f->b, sev, check, f->z->names + n->name, r->type, f->b->rdata + r->rdata,
		  r->rdlen, r->file, r->line, "%s", msg);
}

static bool has_type(const struct ls_zone *z, const struct ls_zone_node *n, uint16_t type)
{
	return ls_zone_node_rrset(z, n, type) != NULL;
}

static const char *name_str(char buf[LS_DNAME_STRLEN], const uint8_t *name)
{
	if (ls_dname_to_str(buf, LS_DNAME_STRLEN, name) < 0)
		strcpy(buf, "?");
	return buf;
}

/* The highest zone cut or DNAME above occluded node @n. */
static const struct ls_zone_node *occluder(const struct ls_zone *z, const struct ls_zone_node *n)
{
	const struct ls_zone_node *top = NULL;

	for (n = ls_zone_node_parent(z, n); n; n = ls_zone_node_parent(z, n))
		if (n->flags & (LS_ZONE_NODE_DELEG | LS_ZONE_NODE_DNAME))
			top = n;
	return top;
}

static void check_occluded(struct fin *f, const struct ls_zone_node *n)
{
	const struct ls_zone *z = f->z;
	const struct ls_zone_node *top = occluder(z, n);
	char tbuf[LS_DNAME_STRLEN], ybuf[LS_RRTYPE_STRLEN];
	size_t cnt;
	const struct ls_zone_rrset *rs = ls_zone_node_rrsets(z, n, &cnt);

	if (!top)
		return;
	name_str(tbuf, z->names + top->name);
	for (size_t i = 0; i < cnt; i++) {
		bool addr = rs[i].type == LS_TYPE_A || rs[i].type == LS_TYPE_AAAA;
		for (uint32_t k = 0; k < rs[i].count; k++) {
			if (top->flags & LS_ZONE_NODE_DNAME && !(top->flags & LS_ZONE_NODE_DELEG))
				fin_report_rr(f, LS_ZONE_ERROR, "below-dname", n, &rs[i], k,
					      "data below the DNAME at %s (RFC 6672 §2.4)", tbuf);
			else if (!addr)
				fin_report_rr(f, LS_ZONE_ERROR, "below-delegation", n, &rs[i], k,
					      "%s below the delegation point %s is not glue",
					      ls_rrtype_name(rs[i].type, ybuf), tbuf);
			else if (!(n->flags & LS_ZONE_NODE_NS_TARGET))
				fin_report_rr(
					f, LS_ZONE_ERROR, "below-delegation", n, &rs[i], k,
					"address below the delegation point %s is not glue: no NS record of the zone names this host",
					tbuf);
		}
	}
}

static void check_delegation_point(struct fin *f, const struct ls_zone_node *n)
{
	const struct ls_zone *z = f->z;
	char ybuf[LS_RRTYPE_STRLEN];
	size_t cnt;
	const struct ls_zone_rrset *rs = ls_zone_node_rrsets(z, n, &cnt);

	for (size_t i = 0; i < cnt; i++) {
		uint16_t t = rs[i].type;
		if (t == LS_TYPE_NS || t == LS_TYPE_DS || t == LS_TYPE_RRSIG || t == LS_TYPE_NSEC)
			continue;
		if ((t == LS_TYPE_A || t == LS_TYPE_AAAA) && (n->flags & LS_ZONE_NODE_NS_TARGET))
			continue; /* glue at the cut itself: "sub. NS sub." */
		for (uint32_t k = 0; k < rs[i].count; k++)
			fin_report_rr(
				f, LS_ZONE_ERROR, "below-delegation", n, &rs[i], k,
				"%s at a delegation point is not authoritative: only NS, DS, NSEC, RRSIG and glue belong here",
				ls_rrtype_name(t, ybuf));
	}
}

static void check_cname_dname(struct fin *f, const struct ls_zone_node *n)
{
	const struct ls_zone *z = f->z;
	char ybuf[LS_RRTYPE_STRLEN];
	size_t cnt;
	const struct ls_zone_rrset *rs = ls_zone_node_rrsets(z, n, &cnt);
	const struct ls_zone_rrset *cname = ls_zone_node_rrset(z, n, LS_TYPE_CNAME);
	const struct ls_zone_rrset *dname = ls_zone_node_rrset(z, n, LS_TYPE_DNAME);

	if (cname) {
		for (uint32_t k = 1; k < cname->count; k++)
			fin_report_rr(f, LS_ZONE_ERROR, "cname-multiple", n, cname, k,
				      "more than one CNAME at this name (RFC 1034 §3.6.2)");
		for (size_t i = 0; i < cnt; i++) {
			uint16_t t = rs[i].type;
			if (t == LS_TYPE_CNAME || t == LS_TYPE_RRSIG || t == LS_TYPE_NSEC)
				continue;
			for (uint32_t k = 0; k < rs[i].count; k++)
				fin_report_rr(
					f, LS_ZONE_ERROR, "cname-exclusive", n, &rs[i], k,
					"%s at a CNAME owner: a CNAME owner holds no other data (RFC 1034 §3.6.2, RFC 2181 §10.1)",
					ls_rrtype_name(t, ybuf));
		}
	}
	if (dname)
		for (uint32_t k = 1; k < dname->count; k++)
			fin_report_rr(f, LS_ZONE_ERROR, "dname-multiple", n, dname, k,
				      "more than one DNAME at this name (RFC 6672 §2.4)");
}

/* Every NS target inside the zone needs an address (glue below a cut). */
static void check_ns_targets(struct fin *f, const struct ls_zone_node *n)
{
	const struct ls_zone *z = f->z;
	const struct ls_zone_rrset *ns = ls_zone_node_rrset(z, n, LS_TYPE_NS);
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	char tbuf[LS_DNAME_STRLEN], cbuf[LS_DNAME_STRLEN];

	if (!ns)
		return;
	ls_zone_rdata_begin(z, ns, &it);
	for (uint32_t k = 0; ls_zone_rdata_next(&it, &rd, &len); k++) {
		if (!ls_dname_is_sub(rd, z->origin))
			continue;
		const struct ls_zone_node *t = ls_zone_find(z, rd);
		if (t && (has_type(z, t, LS_TYPE_A) || has_type(z, t, LS_TYPE_AAAA)))
			continue;
		const struct ls_zone_node *dn = ls_zone_find_dname(z, rd);
		if (dn && !ls_dname_equal(z->names + dn->name, rd))
			continue; /* below a DNAME: reported there, not resolvable here */
		const struct ls_zone_node *cut = ls_zone_find_cut(z, rd);
		name_str(tbuf, rd);
		if (cut)
			fin_report_rr(
				f, LS_ZONE_ERROR, "glue-missing", n, ns, k,
				"name server %s is at or below the delegation point %s and has no A or AAAA glue",
				tbuf, name_str(cbuf, z->names + cut->name));
		else
			fin_report_rr(
				f, LS_ZONE_ERROR, "ns-address-missing", n, ns, k,
				"name server %s is inside the zone and has no A or AAAA record",
				tbuf);
	}
}

static void run_checks(struct fin *f)
{
	struct ls_zone *z = f->z;
	const struct ls_zone_node *apex = &z->nodes[0];
	const struct ls_zone_rrset *soa = ls_zone_node_rrset(z, apex, LS_TYPE_SOA);
	char obuf[LS_DNAME_STRLEN];

	name_str(obuf, z->origin);
	if (!soa) {
		zb_report(f->b, LS_ZONE_ERROR, "soa-missing", z->origin, 0, NULL, 0, 0, 0,
			  "no SOA record at the zone apex %s", obuf);
	} else {
		struct ls_zone_rdata_iter it;
		const uint8_t *rd;
		uint16_t len;
		ls_zone_rdata_begin(z, soa, &it);
		if (ls_zone_rdata_next(&it, &rd, &len)) {
			size_t m = ls_dname_len(rd);
			size_t r = ls_dname_len(rd + m);
			const uint8_t *s = rd + m + r;
			if (m + r + 20 <= len)
				z->serial = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
					    (uint32_t)s[2] << 8 | s[3];
		}
		for (uint32_t k = 1; k < soa->count; k++)
			fin_report_rr(f, LS_ZONE_ERROR, "soa-multiple", apex, soa, k,
				      "more than one SOA record at the apex");
	}
	if (!has_type(z, apex, LS_TYPE_NS))
		zb_report(f->b, LS_ZONE_ERROR, "ns-apex-missing", z->origin, 0, NULL, 0, 0, 0,
			  "no NS records at the zone apex %s", obuf);

	for (uint32_t i = 0; i < z->nnodes; i++) {
		const struct ls_zone_node *n = &z->nodes[i];
		if (i > 0) {
			const struct ls_zone_rrset *s = ls_zone_node_rrset(z, n, LS_TYPE_SOA);
			for (uint32_t k = 0; s && k < s->count; k++)
				fin_report_rr(f, LS_ZONE_ERROR, "soa-not-apex", n, s, k,
					      "SOA record below the zone apex %s", obuf);
		}
		if (n->flags & LS_ZONE_NODE_OCCLUDED) {
			check_occluded(f, n);
			continue; /* the other checks would only repeat it */
		}
		if (n->flags & LS_ZONE_NODE_DELEG)
			check_delegation_point(f, n);
		check_cname_dname(f, n);
		if (n->flags & (LS_ZONE_NODE_APEX | LS_ZONE_NODE_DELEG))
			check_ns_targets(f, n);
	}
}

/* ---- finish ------------------------------------------------------------- */

/* Make every missing ancestor (below the apex) an ENT name. */
static int add_ents(struct ls_zone_builder *b)
{
	for (uint32_t id = 0; id < b->nnames; id++) {
		uint32_t off = b->name_off[id];
		const uint8_t *name = b->names + off;
		int labels = ls_dname_labels(name);
		while (--labels > b->origin_labels) {
			off += 1 + (uint32_t)b->names[off];
			uint32_t hash = ls_dname_hash(b->names + off);
			if (zb_find(b, b->names + off, hash) != LS_ZONE_NONE)
				break; /* it and (when its turn comes) its ancestors exist */
			uint32_t nid;
			int err = zb_insert_at(b, off, hash, &nid);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Sort name ids canonically; returns the order (caller frees) or NULL. */
static uint32_t *sort_names(struct ls_zone_builder *b)
{
	size_t keys_cap = 0;
	uint8_t *keys;
	struct key_ent *ents;
	uint32_t *order = NULL;
	size_t out = 0;

	for (uint32_t id = 0; id < b->nnames; id++)
		keys_cap += 2 * ls_dname_len(b->names + b->name_off[id]);
	keys = malloc(keys_cap ? keys_cap : 1);
	ents = malloc(((size_t)b->nnames + 1) * sizeof(*ents));
	if (!keys || !ents)
		goto free_tmp;
	for (uint32_t id = 0; id < b->nnames; id++) {
		size_t len = canon_key(keys + out, b->names + b->name_off[id]);
		ents[id].off = (uint32_t)out;
		ents[id].len = (uint16_t)len;
		ents[id].id = id;
		out += len;
	}
	qsort_r(ents, b->nnames, sizeof(*ents), key_cmp, keys);
	order = malloc(((size_t)b->nnames + 1) * sizeof(*order));
	if (order)
		for (uint32_t i = 0; i < b->nnames; i++)
			order[i] = ents[i].id;
free_tmp:
	free(ents);
	free(keys);
	return order;
}

static uint32_t index_size(uint32_t n)
{
	uint32_t s = 16;

	/* load at most 3/4: compact, and probes stay short */
	while ((uint64_t)s * 3 < (uint64_t)n * 4)
		s *= 2;
	return s;
}

static int build_index(struct ls_zone *z, struct ls_zone_builder *b, const uint32_t *rank)
{
	uint32_t size = index_size(z->nnodes);

	if (b->slot_mask + 1 == size) {
		/* The builder's table already has the right size: renumber it. */
		z->index = b->slots;
		b->slots = NULL;
		z->index_mask = size - 1;
		for (uint32_t i = 0; i < size; i++)
			if (z->index[i] != LS_ZONE_NONE)
				z->index[i] = rank[z->index[i]];
		return 0;
	}
	z->index = malloc((size_t)size * sizeof(*z->index));
	if (!z->index)
		return -ENOMEM;
	memset(z->index, 0xff, (size_t)size * sizeof(*z->index));
	z->index_mask = size - 1;
	for (uint32_t n = 0; n < z->nnodes; n++) {
		uint32_t i = ls_dname_hash(z->names + z->nodes[n].name) & z->index_mask;
		while (z->index[i] != LS_ZONE_NONE)
			i = (i + 1) & z->index_mask;
		z->index[i] = n;
	}
	return 0;
}

/*
 * Bucket records per node, sort each bucket, and write RRsets and the rdata
 * arena; duplicates are dropped and TTL differences reported here.
 */
static int build_rrsets(struct fin *f, const uint32_t *rank, uint32_t **rec_order_out)
{
	struct ls_zone_builder *b = f->b;
	struct ls_zone *z = f->z;
	uint32_t *start = calloc((size_t)z->nnodes + 1, sizeof(*start));
	uint32_t *order = malloc((b->nrecs + 1) * sizeof(*order));
	size_t nrs = 0, nkept = 0, rd = 0;
	char ybuf[LS_RRTYPE_STRLEN];
	int err = -ENOMEM;

	*rec_order_out = order;
	z->rrsets = malloc((b->nrecs + 1) * sizeof(*z->rrsets));
	z->rdata = malloc(b->rdata_len + 2 * b->nrecs + 1);
	f->kept = malloc((b->nrecs + 1) * sizeof(*f->kept));
	f->rrset_rec = malloc((b->nrecs + 1) * sizeof(*f->rrset_rec));
	b->canon[0] = malloc(LS_RDATA_MAXLEN);
	b->canon[1] = malloc(LS_RDATA_MAXLEN);
	if (!start || !order || !z->rrsets || !z->rdata || !f->kept || !f->rrset_rec ||
	    !b->canon[0] || !b->canon[1])
		goto free_start;

	/* counting sort by node, stable in the order records were added */
	for (size_t i = 0; i < b->nrecs; i++)
		start[rank[b->recs[i].name] + 1]++;
	for (uint32_t n = 0; n < z->nnodes; n++)
		start[n + 1] += start[n];
	{
		uint32_t *fill = malloc(((size_t)z->nnodes + 1) * sizeof(*fill));
		if (!fill)
			goto free_start;
		memcpy(fill, start, ((size_t)z->nnodes + 1) * sizeof(*fill));
		for (size_t i = 0; i < b->nrecs; i++)
			order[fill[rank[b->recs[i].name]]++] = (uint32_t)i;
		free(fill);
	}

	for (uint32_t n = 0; n < z->nnodes; n++) {
		struct ls_zone_node *node = &z->nodes[n];
		uint32_t lo = start[n], hi = start[n + 1];
		if (hi - lo > 1)
			qsort_r(order + lo, hi - lo, sizeof(*order), rec_cmp, b);
		node->rrsets = (uint32_t)nrs;
		node->nrrsets = 0;
		for (uint32_t i = lo; i < hi;) {
			const struct zb_rec *first = &b->recs[order[i]];
			uint32_t key = rec_typekey(b, first);
			uint32_t j = i, min_idx = order[i];
			/* the RRset's TTL is that of its record added first */
			while (j < hi && rec_typekey(b, &b->recs[order[j]]) == key) {
				if (order[j] < min_idx)
					min_idx = order[j];
				j++;
			}
			struct ls_zone_rrset *rs = &z->rrsets[nrs];
			rs->type = first->type;
			rs->ttl = b->recs[min_idx].ttl;
			rs->rdata = (uint32_t)rd;
			rs->count = 0;
			f->rrset_rec[nrs] = (uint32_t)nkept;
			for (uint32_t k = i; k < j; k++) {
				const struct zb_rec *r = &b->recs[order[k]];
				const uint8_t *owner = b->names + b->name_off[r->name];
				if (k > i && rdata_cmp(b, &b->recs[order[k - 1]], r) == 0) {
					zb_report(b, LS_ZONE_WARNING, "duplicate", owner, r->type,
						  b->rdata + r->rdata, r->rdlen, r->file, r->line,
						  "duplicate record dropped (RFC 2181 §5)");
					continue;
				}
				if (r->ttl != rs->ttl)
					zb_report(
						b, LS_ZONE_WARNING, "ttl-mismatch", owner, r->type,
						b->rdata + r->rdata, r->rdlen, r->file, r->line,
						"TTL %u differs from the RRset's TTL %u; using %u (RFC 2181 §5.2)",
						r->ttl, rs->ttl, rs->ttl);
				if (rs->count == UINT16_MAX) {
					zb_report(b, LS_ZONE_ERROR, "rrset-size", owner, r->type,
						  NULL, 0, r->file, r->line,
						  "more than 65535 %s records at one name",
						  ls_rrtype_name(r->type, ybuf));
					break;
				}
				memcpy(z->rdata + rd, &r->rdlen, sizeof(r->rdlen));
				memcpy(z->rdata + rd + 2, b->rdata + r->rdata, r->rdlen);
				rd += 2 + (size_t)r->rdlen;
				f->kept[nkept++] = order[k];
				rs->count++;
			}
			nrs++;
			if (node->nrrsets == UINT16_MAX) {
				zb_report(b, LS_ZONE_ERROR, "rrset-size", b->names + node->name, 0,
					  NULL, 0, first->file, first->line,
					  "more than 65535 RRsets at one name");
				nrs--;
			} else {
				node->nrrsets++;
			}
			i = j;
		}
	}
	z->nrrsets = (uint32_t)nrs;
	z->nrecords = nkept;
	z->rdata_len = rd;
	err = 0;
free_start:
	free(start);
	return err;
}

/*
 * Parents and flags, top-down. Canonical order is a depth-first preorder of
 * the name tree, and every ancestor exists (ENTs), so a node's parent is the
 * entry on a stack of the current path that has one label less: no lookups.
 */
static int build_flags(struct fin *f)
{
	struct ls_zone *z = f->z;
	uint32_t path[LS_DNAME_MAXLABELS + 1];
	int depth = 0, olabels = ls_dname_labels(z->origin);

	for (uint32_t n = 0; n < z->nnodes; n++) {
		struct ls_zone_node *node = &z->nodes[n];
		const uint8_t *name = z->names + node->name;
		int level = ls_dname_labels(name) - olabels; /* 0 at the apex */
		uint16_t fl = 0;

		if (level < 0 || level > depth + 1 || (n == 0) != (level == 0))
			return -EFAULT; /* cannot happen: sorted, ancestors added */
		depth = level;
		path[depth] = n;
		if (n == 0) {
			node->parent = LS_ZONE_NONE;
			fl |= LS_ZONE_NODE_APEX;
		} else {
			uint32_t p = path[depth - 1];
			node->parent = p;
			if (z->nodes[p].flags &
			    (LS_ZONE_NODE_DELEG | LS_ZONE_NODE_DNAME | LS_ZONE_NODE_OCCLUDED))
				fl |= LS_ZONE_NODE_OCCLUDED;
			if (ls_dname_is_wildcard(name))
				z->nodes[p].flags |= LS_ZONE_NODE_WILDCARD_CHILD;
		}
		if (ls_dname_is_wildcard(name))
			fl |= LS_ZONE_NODE_WILDCARD;
		if (node->nrrsets == 0)
			fl |= LS_ZONE_NODE_ENT;
		if (has_type(z, node, LS_TYPE_CNAME))
			fl |= LS_ZONE_NODE_CNAME;
		if (has_type(z, node, LS_TYPE_DNAME))
			fl |= LS_ZONE_NODE_DNAME;
		if (has_type(z, node, LS_TYPE_DS))
			fl |= LS_ZONE_NODE_DS;
		if (n > 0 && !(fl & LS_ZONE_NODE_OCCLUDED) && has_type(z, node, LS_TYPE_NS)) {
			fl |= LS_ZONE_NODE_DELEG;
			z->ndelegations++;
		}
		node->flags = fl;
	}
	/* Mark the hosts the zone's NS records name, for glue. */
	for (uint32_t n = 0; n < z->nnodes; n++) {
		const struct ls_zone_node *node = &z->nodes[n];
		if (!(node->flags & (LS_ZONE_NODE_APEX | LS_ZONE_NODE_DELEG)))
			continue;
		const struct ls_zone_rrset *ns = ls_zone_node_rrset(z, node, LS_TYPE_NS);
		struct ls_zone_rdata_iter it;
		const uint8_t *rd;
		uint16_t len;
		if (!ns)
			continue;
		ls_zone_rdata_begin(z, ns, &it);
		while (ls_zone_rdata_next(&it, &rd, &len)) {
			uint32_t t = index_find(z, rd, ls_dname_hash(rd));
			if (t != LS_ZONE_NONE)
				z->nodes[t].flags |= LS_ZONE_NODE_NS_TARGET;
		}
	}
	return 0;
}

/*
 * The NSEC and NSEC3 chains (see ls_zone_chain_prev()), and whether the
 * zone is signed. Counted first so each list is one exact allocation, and
 * an unsigned zone allocates nothing.
 */
static int build_chains(struct ls_zone *z)
{
	static const uint16_t types[2] = {
		[CHAIN_NSEC] = LS_TYPE_NSEC, [CHAIN_NSEC3] = LS_TYPE_NSEC3
	};
	/* NSEC owners are authoritative names: a proof never lands on an ENT
	 * or below a cut, which the old walk skipped the same way */
	static const unsigned skip[2] = {
		[CHAIN_NSEC] = LS_ZONE_NODE_ENT | LS_ZONE_NODE_OCCLUDED, [CHAIN_NSEC3] = 0
	};

	z->is_signed = has_type(z, &z->nodes[0], LS_TYPE_DNSKEY);
	for (int c = 0; c < 2; c++) {
		uint32_t n = 0;

		for (int pass = 0; pass < 2; pass++) {
			n = 0;
			for (uint32_t i = 0; i < z->nnodes; i++) {
				if ((z->nodes[i].flags & skip[c]) ||
				    !has_type(z, &z->nodes[i], types[c]))
					continue;
				if (pass == 1)
					z->chain[c][n] = i;
				n++;
			}
			if (pass == 1 || n == 0)
				break;
			z->chain[c] = malloc((size_t)n * sizeof(*z->chain[c]));
			if (!z->chain[c])
				return -ENOMEM;
		}
		z->nchain[c] = n;
	}
	return 0;
}

/*
 * Problems in reading order: by file (in the order files were first seen),
 * then line; problems without a place (a missing SOA) last. The builder's
 * own findings come from different passes, so they need this to read well.
 */
struct prob_key {
	uint32_t file, line, seq;
};

static int prob_key_cmp(const void *pa, const void *pb)
{
	const struct prob_key *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

static void sort_problems(struct ls_zone_builder *b)
{
	struct ls_zone_problems *p = b->problems;
	struct prob_key *keys;
	struct ls_zone_problem *v;

	if (!p || p->count < 2)
		return;
	keys = malloc(p->count * sizeof(*keys));
	v = malloc(p->count * sizeof(*v));
	if (!keys || !v)
		goto free_tmp; /* unsorted is still correct */
	for (size_t i = 0; i < p->count; i++) {
		keys[i].file = UINT32_MAX;
		for (uint32_t f = 0; p->v[i].file && f < b->nfiles; f++)
			if (strcmp(p->v[i].file, b->files[f]) == 0) {
				keys[i].file = f;
				break;
			}
		keys[i].line = (uint32_t)p->v[i].line;
		keys[i].seq = (uint32_t)i;
	}
	qsort(keys, p->count, sizeof(*keys), prob_key_cmp);
	for (size_t i = 0; i < p->count; i++)
		v[i] = p->v[keys[i].seq];
	memcpy(p->v, v, p->count * sizeof(*v));
free_tmp:
	free(v);
	free(keys);
}

static void *shrink(void *p, size_t len)
{
	void *q = realloc(p, len ? len : 1);

	return q ? q : p;
}

int ls_zone_builder_finish(struct ls_zone_builder *b, struct ls_zone **zone,
			   struct ls_zone_problems **problems)
{
	struct fin f = { .b = b };
	struct ls_zone *z = NULL;
	uint32_t *order = NULL, *rank = NULL, *rec_order = NULL;
	uint32_t apex_id;
	int err = -ENOMEM;

	*zone = NULL;
	if (problems)
		*problems = NULL;
	if (b->nomem)
		goto free_builder;
	if (b->limit_hit) {
		err = -EBADMSG;
		goto free_builder;
	}
	err = zb_intern(b, b->origin, &apex_id);
	if (!err)
		err = add_ents(b);
	if (err)
		goto free_builder;
	err = -ENOMEM;
	order = sort_names(b);
	rank = malloc(((size_t)b->nnames + 1) * sizeof(*rank));
	z = calloc(1, sizeof(*z));
	if (!order || !rank || !z)
		goto free_tmp;
	f.z = z;
	memcpy(z->origin, b->origin, ls_dname_len(b->origin));
	z->nnodes = b->nnames;
	z->nodes = malloc(((size_t)z->nnodes + 1) * sizeof(*z->nodes));
	if (!z->nodes)
		goto free_tmp;
	for (uint32_t i = 0; i < b->nnames; i++) {
		rank[order[i]] = i;
		z->nodes[i].name = b->name_off[order[i]];
		z->nodes[i].flags = 0;
	}
	/*
	 * The names arena moves into the zone as it is; the builder keeps an
	 * alias (its name ids still index name_off) until the end of finish.
	 */
	z->names = shrink(b->names, b->names_len);
	z->names_len = b->names_len;
	b->names = z->names;

	err = build_rrsets(&f, rank, &rec_order);
	if (err)
		goto free_tmp;
	err = build_index(z, b, rank);
	if (!err)
		err = build_flags(&f);
	if (!err)
		err = build_chains(z);
	if (err)
		goto free_tmp;
	run_checks(&f);
	if (b->nomem) {
		err = -ENOMEM;
		goto free_tmp;
	}
	z->rrsets = shrink(z->rrsets, (size_t)z->nrrsets * sizeof(*z->rrsets));
	z->rdata = shrink(z->rdata, z->rdata_len);
	err = b->problems->errors ? -EBADMSG : 0;
free_tmp:
	if (z && z->names)
		b->names = NULL; /* owned by the zone (and freed with it) */
	free(f.kept);
	free(f.rrset_rec);
	free(rec_order);
	free(rank);
	free(order);
	if (err) {
		ls_zone_free(z);
		z = NULL;
	}
free_builder:
	sort_problems(b);
	if (problems && (b->problems->count || b->problems->suppressed)) {
		*problems = b->problems;
		b->problems = NULL;
	}
	ls_zone_builder_free(b);
	*zone = z;
	return err;
}
