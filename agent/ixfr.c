/* SPDX-License-Identifier: MIT */
/*
 * ixfr.c — see ixfr.h.
 *
 * The diff is one merge of the two zones' node arrays, which are both in
 * canonical order (common/zone.h): equal names are compared RRset by
 * RRset, a name on one side only is deleted or added whole. Most nodes of
 * a one-record change are identical, so the common case is a memcmp of
 * the names (stored lowercased, so equal names are equal bytes) and of
 * each RRset's rdatas in order — both zones keep rdatas in the same
 * canonical order, so equal sets are equal sequences. Only a node whose
 * RRset differs pays for a set difference (two sorted index arrays).
 *
 * The journal is a list of zones, each with its chain of steps, and one
 * age-ordered list of every step: eviction pops the oldest step of the
 * node, which is always the head of its zone's chain (steps are appended
 * in time order). Everything runs on the loop; a step a transfer still
 * references outlives its eviction through the reference count.
 *
 * Diffs being computed are jobs in one FIFO: each owns the outgoing
 * version it reads (when the zone table handed it over) and reads the new
 * one, which is either still live or the next job's outgoing version —
 * owned by that later job, so it lives at least as long as this one. Jobs
 * finish in order, which keeps every zone's chain in serial order.
 */
#include "agent/ixfr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/grow.h"
#include "common/rdata.h"
#include "common/serial.h"
#include "common/wire.h"

struct ls_ixfr_zone {
	struct ls_ixfr_zone *next;
	struct ls_ixfr_diff *head, *tail; /* oldest, newest */
	size_t nsteps;
	uint8_t origin[LS_DNAME_MAXLEN]; /* lowercased */
};

struct ls_ixfr {
	struct ls_ixfr_zone *zones;
	struct ls_ixfr_diff *oldest, *newest; /* age order over all zones */
	size_t budget, bytes, count;
	uint64_t evicted;
	struct job *jobs, *jobs_tail; /* diffs being computed, oldest first */
};

/* ---- records in wire form ----------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	size_t n; /* records */
};

static int buf_rr(struct buf *b, const uint8_t *owner, uint16_t type, uint32_t ttl,
		  const uint8_t *rd, uint16_t rdlen)
{
	size_t olen = ls_dname_len(owner), need = olen + 8 + rdlen;
	uint8_t *p = ls_grow(b->p, &b->cap, b->len + need, 1, 4096);

	if (!p)
		return -ENOMEM;
	b->p = p;
	p += b->len;
	memcpy(p, owner, olen);
	ls_put16(p + olen, type);
	ls_put32(p + olen + 2, ttl);
	ls_put16(p + olen + 6, rdlen);
	memcpy(p + olen + 8, rd, rdlen);
	b->len += need;
	b->n++;
	return 0;
}

size_t ls_ixfr_rr_next(const struct ls_ixfr_diff *d, size_t off, struct ls_ixfr_rr *rr)
{
	size_t olen;

	if (off >= d->len)
		return 0;
	olen = ls_dname_len(d->wire + off);
	if (olen == 0 || off + olen + 8 > d->len)
		return 0;
	rr->owner = d->wire + off;
	rr->type = ls_get16(d->wire + off + olen);
	rr->ttl = ls_get32(d->wire + off + olen + 2);
	rr->rdlen = ls_get16(d->wire + off + olen + 6);
	rr->rdata = d->wire + off + olen + 8;
	if (off + olen + 8 + rr->rdlen > d->len)
		return 0;
	return off + olen + 8 + rr->rdlen;
}

/* ---- the diff -------------------------------------------------------------- */

struct walk {
	const struct ls_zone *old, *new;
	struct buf del, add;
	size_t max_bytes, max_records;
	size_t i, k; /* the merge's cursor: next node of old, of new */
};

static int over(const struct walk *w)
{
	if (w->max_bytes && w->del.len + w->add.len > w->max_bytes)
		return -EFBIG;
	if (w->max_records && w->del.n + w->add.n > w->max_records)
		return -EFBIG;
	return 0;
}

/* The SOA at the apex opens and closes each half; it is not a body record. */
static bool is_soa(const struct ls_zone_node *n, const struct ls_zone_rrset *s)
{
	return s->type == LS_TYPE_SOA && (n->flags & LS_ZONE_NODE_APEX);
}

/* RRSIG groups are told apart by the type they cover (first rdata field). */
static uint16_t covered(const struct ls_zone *z, const struct ls_zone_rrset *s)
{
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	if (s->type != LS_TYPE_RRSIG)
		return 0;
	ls_zone_rdata_begin(z, s, &it);
	if (!ls_zone_rdata_next(&it, &rd, &len) || len < 2)
		return 0;
	return ls_get16(rd);
}

static int rrset_all(struct buf *b, const struct ls_zone *z, const uint8_t *owner,
		     const struct ls_zone_rrset *s)
{
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	int err;

	ls_zone_rdata_begin(z, s, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		err = buf_rr(b, owner, s->type, s->ttl, rd, len);
		if (err)
			return err;
	}
	return 0;
}

static int node_all(struct walk *w, struct buf *b, const struct ls_zone *z,
		    const struct ls_zone_node *n)
{
	const uint8_t *owner = ls_zone_node_name(z, n);
	size_t count;
	const struct ls_zone_rrset *sets = ls_zone_node_rrsets(z, n, &count);
	int err;

	for (size_t i = 0; i < count; i++) {
		if (is_soa(n, &sets[i]))
			continue;
		err = rrset_all(b, z, owner, &sets[i]);
		if (err)
			return err;
	}
	return over(w);
}

struct rdref {
	const uint8_t *p;
	uint16_t len;
};

static int rdref_cmp(const void *a, const void *b)
{
	const struct rdref *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return (int)x->len - (int)y->len;
}

static struct rdref *rdrefs(const struct ls_zone *z, const struct ls_zone_rrset *s)
{
	struct rdref *v = malloc(sizeof(*v) * s->count);
	struct ls_zone_rdata_iter it;
	size_t k = 0;

	if (!v)
		return NULL;
	ls_zone_rdata_begin(z, s, &it);
	while (k < s->count && ls_zone_rdata_next(&it, &v[k].p, &v[k].len))
		k++;
	qsort(v, k, sizeof(*v), rdref_cmp);
	return v;
}

/* Two RRsets of one owner, type (and covered type) and TTL: their set difference. */
static int rrset_diff(struct walk *w, const uint8_t *owner, const struct ls_zone_rrset *a,
		      const struct ls_zone_rrset *b)
{
	struct ls_zone_rdata_iter ia, ib;
	const uint8_t *ra, *rb;
	uint16_t la, lb;
	struct rdref *va, *vb;
	size_t i = 0, k = 0;
	int err = 0;

	if (a->count == b->count) {
		bool same = true;

		ls_zone_rdata_begin(w->old, a, &ia);
		ls_zone_rdata_begin(w->new, b, &ib);
		while (same && ls_zone_rdata_next(&ia, &ra, &la) &&
		       ls_zone_rdata_next(&ib, &rb, &lb))
			same = la == lb && memcmp(ra, rb, la) == 0;
		if (same)
			return 0;
	}
	va = rdrefs(w->old, a);
	vb = rdrefs(w->new, b);
	if (!va || !vb) {
		err = -ENOMEM;
		goto free_refs;
	}
	while (!err && (i < a->count || k < b->count)) {
		int c = i == a->count ? 1 : k == b->count ? -1 : rdref_cmp(&va[i], &vb[k]);

		if (c < 0) {
			err = buf_rr(&w->del, owner, a->type, a->ttl, va[i].p, va[i].len);
			i++;
		} else if (c > 0) {
			err = buf_rr(&w->add, owner, b->type, b->ttl, vb[k].p, vb[k].len);
			k++;
		} else {
			i++;
			k++;
		}
	}
free_refs:
	free(va);
	free(vb);
	return err;
}

/* The same owner name in both versions. */
static int node_diff(struct walk *w, const struct ls_zone_node *on, const struct ls_zone_node *nn)
{
	const uint8_t *owner = ls_zone_node_name(w->new, nn);
	size_t oc, nc;
	const struct ls_zone_rrset *os = ls_zone_node_rrsets(w->old, on, &oc);
	const struct ls_zone_rrset *ns = ls_zone_node_rrsets(w->new, nn, &nc);
	int err;

	for (size_t i = 0; i < oc; i++) {
		const struct ls_zone_rrset *match = NULL;
		uint16_t cov = covered(w->old, &os[i]);

		if (is_soa(on, &os[i]))
			continue;
		for (size_t k = 0; k < nc && !match; k++) {
			if (ns[k].type == os[i].type && covered(w->new, &ns[k]) == cov)
				match = &ns[k];
		}
		if (!match) {
			err = rrset_all(&w->del, w->old, owner, &os[i]);
		} else if (match->ttl != os[i].ttl) {
			/* IXFR carries no TTL change: the RRset goes and comes back */
			err = rrset_all(&w->del, w->old, owner, &os[i]);
			if (!err)
				err = rrset_all(&w->add, w->new, owner, match);
		} else {
			err = rrset_diff(w, owner, &os[i], match);
		}
		if (err)
			return err;
	}
	for (size_t k = 0; k < nc; k++) {
		bool found = false;
		uint16_t cov = covered(w->new, &ns[k]);

		if (is_soa(nn, &ns[k]))
			continue;
		for (size_t i = 0; i < oc && !found; i++)
			found = os[i].type == ns[k].type && covered(w->old, &os[i]) == cov;
		if (!found) {
			err = rrset_all(&w->add, w->new, owner, &ns[k]);
			if (err)
				return err;
		}
	}
	return over(w);
}

/*
 * Advance the merge by at most *@nodes nodes (counted down). Returns 1
 * when there is more
 * to do, 0 when the walk is complete, or a negative errno (-EFBIG: over
 * the limits).
 */
static int merge(struct walk *w, size_t *nodes)
{
	size_t no = ls_zone_node_count(w->old), nn = ls_zone_node_count(w->new);
	int err = 0;

	while (!err && (w->i < no || w->k < nn)) {
		const struct ls_zone_node *a = w->i < no ? ls_zone_node_at(w->old, w->i) : NULL;
		const struct ls_zone_node *b = w->k < nn ? ls_zone_node_at(w->new, w->k) : NULL;
		int c;

		if (*nodes == 0)
			return 1;
		(*nodes)--;
		if (!a) {
			c = 1;
		} else if (!b) {
			c = -1;
		} else {
			const uint8_t *an = ls_zone_node_name(w->old, a);
			const uint8_t *bn = ls_zone_node_name(w->new, b);
			size_t al = ls_dname_len(an);

			/* lowercased on both sides: equal names are equal octets */
			if (al == ls_dname_len(bn) && memcmp(an, bn, al) == 0)
				c = 0;
			else
				c = ls_dname_cmp(an, bn);
		}
		if (c < 0) {
			err = node_all(w, &w->del, w->old, a);
			w->i++;
		} else if (c > 0) {
			err = node_all(w, &w->add, w->new, b);
			w->k++;
		} else {
			err = node_diff(w, a, b);
			w->i++;
			w->k++;
		}
	}
	return err;
}

static int soa_rr(struct buf *b, const struct ls_zone *z)
{
	const struct ls_zone_node *apex = ls_zone_apex(z);
	const struct ls_zone_rrset *soa = ls_zone_node_rrset(z, apex, LS_TYPE_SOA);

	if (!soa)
		return -EINVAL;
	return rrset_all(b, z, ls_zone_node_name(z, apex), soa);
}

static void walk_free(struct walk *w)
{
	free(w->del.p);
	free(w->add.p);
	memset(w, 0, sizeof(*w));
}

/* The step out of a complete walk. 0, -EINVAL (no SOA) or -ENOMEM. */
static int walk_finish(struct walk *w, struct ls_ixfr_diff **out)
{
	struct buf soa_old = { 0 }, soa_new = { 0 };
	struct ls_ixfr_diff *d;
	uint8_t *p;
	int err;

	*out = NULL;
	err = soa_rr(&soa_old, w->old);
	if (!err)
		err = soa_rr(&soa_new, w->new);
	if (err)
		goto free_soas;
	d = calloc(1, sizeof(*d));
	if (!d) {
		err = -ENOMEM;
		goto free_soas;
	}
	/* RFC 1995 §4: old SOA, deletions, new SOA, additions */
	d->len = soa_old.len + w->del.len + soa_new.len + w->add.len;
	d->wire = p = malloc(d->len);
	if (!p) {
		free(d);
		err = -ENOMEM;
		goto free_soas;
	}
	memcpy(p, soa_old.p, soa_old.len);
	p += soa_old.len;
	if (w->del.len)
		memcpy(p, w->del.p, w->del.len);
	p += w->del.len;
	d->new_soa = (size_t)(p - d->wire);
	memcpy(p, soa_new.p, soa_new.len);
	p += soa_new.len;
	if (w->add.len)
		memcpy(p, w->add.p, w->add.len);
	d->refs = 1;
	d->from = ls_zone_serial(w->old);
	d->to = ls_zone_serial(w->new);
	d->ndel = w->del.n;
	d->nadd = w->add.n;
	*out = d;
free_soas:
	free(soa_old.p);
	free(soa_new.p);
	return err;
}

int ls_ixfr_diff_compute(const struct ls_zone *old, const struct ls_zone *new, size_t max_bytes,
			 size_t max_records, struct ls_ixfr_diff **out)
{
	struct walk w = {
		.old = old, .new = new, .max_bytes = max_bytes, .max_records = max_records
	};
	size_t all = SIZE_MAX;
	int err;

	*out = NULL;
	if (!ls_dname_equal(ls_zone_origin(old), ls_zone_origin(new)))
		return -EINVAL;
	err = merge(&w, &all);
	if (!err)
		err = walk_finish(&w, out);
	walk_free(&w);
	return err;
}

void ls_ixfr_diff_get(struct ls_ixfr_diff *d)
{
	d->refs++;
}

void ls_ixfr_diff_put(struct ls_ixfr_diff *d)
{
	if (!d || --d->refs > 0)
		return;
	free(d->wire);
	free(d);
}

size_t ls_ixfr_diff_size(const struct ls_ixfr_diff *d)
{
	return sizeof(*d) + d->len;
}

/* ---- the journal ------------------------------------------------------------ */

/* A diff being computed in slices (ls_ixfr_replace()). */
struct job {
	struct job *next;
	struct ls_zone *old; /* freed with the job when @owns */
	bool owns;
	struct walk w; /* w.new: the live version, or the next job's old */
	uint8_t origin[LS_DNAME_MAXLEN];
};

int ls_ixfr_new(size_t budget, struct ls_ixfr **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->budget = budget;
	return 0;
}

static struct ls_ixfr_zone *zone_find(const struct ls_ixfr *j, const uint8_t *origin)
{
	for (struct ls_ixfr_zone *z = j->zones; z; z = z->next) {
		if (ls_dname_equal(z->origin, origin))
			return z;
	}
	return NULL;
}

/* Take the oldest step of @z's chain out of the journal. */
static void drop_head(struct ls_ixfr *j, struct ls_ixfr_zone *z)
{
	struct ls_ixfr_diff *d = z->head;

	z->head = d->znext;
	if (!z->head)
		z->tail = NULL;
	z->nsteps--;
	if (d->gprev)
		d->gprev->gnext = d->gnext;
	else
		j->oldest = d->gnext;
	if (d->gnext)
		d->gnext->gprev = d->gprev;
	else
		j->newest = d->gprev;
	j->bytes -= ls_ixfr_diff_size(d);
	j->count--;
	d->zone = NULL;
	d->znext = d->gprev = d->gnext = NULL;
	ls_ixfr_diff_put(d);
}

/* Empty @z's chain and forget the zone. */
static void zone_drop(struct ls_ixfr *j, struct ls_ixfr_zone *z)
{
	struct ls_ixfr_zone **pp = &j->zones;

	while (z->head)
		drop_head(j, z);
	while (*pp != z)
		pp = &(*pp)->next;
	*pp = z->next;
	free(z);
}

static void chain_drop(struct ls_ixfr *j, const uint8_t *origin)
{
	struct ls_ixfr_zone *z = zone_find(j, origin);

	if (z)
		zone_drop(j, z);
}

static void fit(struct ls_ixfr *j)
{
	while (j->oldest && j->bytes > j->budget) {
		struct ls_ixfr_zone *z = j->oldest->zone;

		drop_head(j, z);
		j->evicted++;
		if (!z->head)
			zone_drop(j, z);
	}
}

static void job_free(struct job *job)
{
	walk_free(&job->w);
	if (job->owns)
		ls_zone_free(job->old);
	free(job);
}

/* Drop the diffs still being computed for @origin (NULL: all zones). */
static void jobs_cancel(struct ls_ixfr *j, const uint8_t *origin)
{
	struct job **pp = &j->jobs;

	j->jobs_tail = NULL;
	while (*pp) {
		struct job *job = *pp;

		if (!origin || ls_dname_equal(job->origin, origin)) {
			*pp = job->next;
			job_free(job);
			continue;
		}
		j->jobs_tail = job;
		pp = &job->next;
	}
}

/* Append a computed step to its zone's chain, or start a new chain. */
static int append(struct ls_ixfr *j, const uint8_t *origin, struct ls_ixfr_diff *d)
{
	struct ls_ixfr_zone *z = zone_find(j, origin);

	if (z && z->tail->to != d->from) {
		zone_drop(j, z); /* the chain cannot go on from here */
		z = NULL;
	}
	if (!z) {
		z = calloc(1, sizeof(*z));
		if (!z) {
			ls_ixfr_diff_put(d);
			return -ENOMEM;
		}
		ls_dname_copy_lower(z->origin, origin);
		z->next = j->zones;
		j->zones = z;
	}
	d->zone = z;
	if (z->tail)
		z->tail->znext = d;
	else
		z->head = d;
	z->tail = d;
	z->nsteps++;
	d->gprev = j->newest;
	if (j->newest)
		j->newest->gnext = d;
	else
		j->oldest = d;
	j->newest = d;
	j->bytes += ls_ixfr_diff_size(d);
	j->count++;
	if (z->nsteps > LS_IXFR_MAX_STEPS)
		drop_head(j, z);
	fit(j);
	return 0;
}

/* A job's walk ended with @err (0: complete). */
static void job_done(struct ls_ixfr *j, struct job *job, int err)
{
	struct ls_ixfr_diff *d = NULL;
	char name[LS_DNAME_STRLEN];

	if (!err)
		err = walk_finish(&job->w, &d);
	/*
	 * The walk bounds the changes; with its SOAs and bookkeeping the step
	 * may still exceed the budget. Appended, fit() would evict every other
	 * zone's steps before dropping this one: refuse it here instead.
	 */
	if (!err && ls_ixfr_diff_size(d) > j->budget) {
		ls_ixfr_diff_put(d);
		err = -EFBIG;
	}
	if (!err)
		err = append(j, job->origin, d);
	if (err) {
		chain_drop(j, job->origin);
		ls_dname_to_str(name, sizeof(name), job->origin);
		if (err == -EFBIG)
			pr_info("ixfr: %s %u -> %u: too large a change to keep; IXFR from %u and "
				"before is answered in AXFR form",
				name, ls_zone_serial(job->w.old), ls_zone_serial(job->w.new),
				ls_zone_serial(job->w.old));
		else
			pr_warn("ixfr: %s %u -> %u: %s; IXFR is answered in AXFR form until the "
				"next version",
				name, ls_zone_serial(job->w.old), ls_zone_serial(job->w.new),
				strerror(-err));
	}
	job_free(job);
}

bool ls_ixfr_work(struct ls_ixfr *j, size_t nodes)
{
	while (j->jobs && nodes) {
		struct job *job = j->jobs;
		int r = merge(&job->w, &nodes);

		if (r == 1)
			return true;
		j->jobs = job->next;
		if (!j->jobs)
			j->jobs_tail = NULL;
		job_done(j, job, r);
	}
	return j->jobs != NULL;
}

bool ls_ixfr_pending(const struct ls_ixfr *j)
{
	return j->jobs != NULL;
}

void ls_ixfr_free(struct ls_ixfr *j)
{
	if (!j)
		return;
	jobs_cancel(j, NULL);
	while (j->zones)
		zone_drop(j, j->zones);
	free(j);
}

void ls_ixfr_set_budget(struct ls_ixfr *j, size_t budget)
{
	j->budget = budget;
	if (!budget)
		jobs_cancel(j, NULL);
	fit(j);
}

/*
 * Queue the diff of @old → @new; the caller owns @old. False when there is
 * nothing to compute (the zone's chain and pending diffs are dropped) or
 * no memory; true with the job queued last.
 */
static bool enqueue(struct ls_ixfr *j, struct ls_zone *old, const struct ls_zone *new)
{
	const uint8_t *origin = new ? ls_zone_origin(new) : old ? ls_zone_origin(old) : NULL;
	struct job *job;

	if (!origin)
		return false;
	if (!old || !new || j->budget == 0 ||
	    !ls_serial_newer(ls_zone_serial(new), ls_zone_serial(old)) ||
	    !ls_dname_equal(ls_zone_origin(old), ls_zone_origin(new)))
		goto drop;
	job = calloc(1, sizeof(*job));
	if (!job) {
		pr_warn("ixfr: out of memory; IXFR is answered in AXFR form until the next "
			"version");
		goto drop;
	}
	job->old = old;
	ls_dname_copy_lower(job->origin, origin);
	/* more than half the new zone: an AXFR is cheaper than this step */
	job->w = (struct walk){ .old = old,
				.new = new,
				.max_bytes = j->budget,
				.max_records = ls_zone_record_count(new) / 2 };
	if (j->jobs_tail)
		j->jobs_tail->next = job;
	else
		j->jobs = job;
	j->jobs_tail = job;
	return true;

drop:
	jobs_cancel(j, origin);
	chain_drop(j, origin);
	return false;
}

bool ls_ixfr_replace(struct ls_ixfr *j, struct ls_zone *old, const struct ls_zone *new)
{
	struct job *job;

	if (!enqueue(j, old, new))
		return false;
	job = j->jobs_tail;
	ls_ixfr_work(j, LS_IXFR_SLICE_NODES);
	/* FIFO: the job is done exactly when the queue is empty */
	if (j->jobs_tail != job)
		return false; /* computed at once: the caller frees @old as usual */
	job->owns = true;
	return true;
}

int ls_ixfr_record(struct ls_ixfr *j, const struct ls_zone *old, const struct ls_zone *new)
{
	/* not owned: the cast only lets the job hold it, and the job ends here */
	if (enqueue(j, (struct ls_zone *)old, new))
		while (ls_ixfr_work(j, SIZE_MAX))
			;
	return 0;
}

int ls_ixfr_steps(const struct ls_ixfr *j, const uint8_t *origin, uint32_t from, uint32_t to,
		  struct ls_ixfr_diff ***steps, size_t *n)
{
	const struct ls_ixfr_zone *z = zone_find(j, origin);
	struct ls_ixfr_diff *d, **v;
	size_t k = 0;

	*steps = NULL;
	*n = 0;
	if (!z || z->tail->to != to)
		return -ENOENT;
	for (d = z->head; d && d->from != from; d = d->znext)
		;
	if (!d)
		return -ENOENT;
	for (struct ls_ixfr_diff *e = d; e; e = e->znext)
		k++;
	v = malloc(k * sizeof(*v));
	if (!v)
		return -ENOMEM;
	k = 0;
	for (; d; d = d->znext) {
		ls_ixfr_diff_get(d);
		v[k++] = d;
	}
	*steps = v;
	*n = k;
	return 0;
}

void ls_ixfr_steps_put(struct ls_ixfr_diff **steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ls_ixfr_diff_put(steps[i]);
	free(steps);
}

size_t ls_ixfr_bytes(const struct ls_ixfr *j)
{
	return j->bytes;
}

size_t ls_ixfr_count(const struct ls_ixfr *j)
{
	return j->count;
}

uint64_t ls_ixfr_evicted(const struct ls_ixfr *j)
{
	return j->evicted;
}
