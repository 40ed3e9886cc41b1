/* SPDX-License-Identifier: MIT */
/*
 * test_ixfr.c — the IXFR journal (agent/ixfr): the difference of two zone
 * versions, checked by applying it to the old version's records and
 * comparing with the new version's (adds, deletes, changed RRsets, TTL
 * changes, SOA-only changes, identical zones, DNSSEC records, a nearly
 * empty zone growing); the size limits; the chain of steps, its budget
 * and eviction (oldest first; a step larger than the budget is refused
 * without evicting others), a broken chain, references that outlive an
 * eviction; the record decoder on hostile (cut) input; and the zone
 * table's replacement hook feeding the journal as lockstepd wires it (a
 * live version replaced, a next one promoted, the zone removed), with
 * zones large enough to be diffed in slices: the journal keeps the old
 * version meanwhile, a version replaced again while its diff is pending is
 * handed over too, removal and a zero budget cancel pending diffs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ixfr.h"
#include "agent/zoneset.h"
#include "common/rdata.h"
#include "common/wire.h"
#include "common/zonefile.h"

static const uint8_t origin[] = "\x07"
				"example\x03"
				"com";

static struct ls_zone *zone_text(uint32_t serial, const char *body)
{
	struct ls_zonefile_opts opts = { .no_include = true };
	struct ls_zone *z;
	char *text;
	int len;

	len = asprintf(&text,
		       "$ORIGIN example.com.\n$TTL 3600\n"
		       "@ SOA ns1 hm %u 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n%s",
		       serial, body);
	assert_true(len > 0);
	assert_int_equal(ls_zonefile_load_string(text, (size_t)len, NULL, origin, &opts, &z, NULL),
			 0);
	free(text);
	return z;
}

/* ---- records as byte strings, in the journal's own layout ---------------- */

struct rec {
	uint8_t *b;
	size_t len;
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static void recs_add(struct recs *r, const uint8_t *owner, uint16_t type, uint32_t ttl,
		     const uint8_t *rd, uint16_t rdlen)
{
	size_t ol = ls_dname_len(owner);
	struct rec *x;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		assert_non_null(r->v);
	}
	x = &r->v[r->n++];
	x->len = ol + 8 + rdlen;
	x->b = malloc(x->len);
	assert_non_null(x->b);
	memcpy(x->b, owner, ol);
	ls_put16(x->b + ol, type);
	ls_put32(x->b + ol + 2, ttl);
	ls_put16(x->b + ol + 6, rdlen);
	memcpy(x->b + ol + 8, rd, rdlen);
}

static size_t recs_find(const struct recs *r, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].len == len && memcmp(r->v[i].b, b, len) == 0)
			return i;
	}
	return SIZE_MAX;
}

static void recs_free(struct recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].b);
	free(r->v);
}

static void zone_recs(const struct ls_zone *z, struct recs *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < ls_zone_node_count(z); i++) {
		const struct ls_zone_node *n = ls_zone_node_at(z, i);
		size_t count;
		const struct ls_zone_rrset *s = ls_zone_node_rrsets(z, n, &count);

		for (size_t k = 0; k < count; k++) {
			struct ls_zone_rdata_iter it;
			const uint8_t *rd;
			uint16_t len;

			ls_zone_rdata_begin(z, &s[k], &it);
			while (ls_zone_rdata_next(&it, &rd, &len))
				recs_add(r, ls_zone_node_name(z, n), s[k].type, s[k].ttl, rd, len);
		}
	}
}

/*
 * Apply @d to @old's records (every deletion must be there, no addition
 * may be) and compare with @new's. Also checks the layout: old SOA first,
 * new SOA at d->new_soa, the counts.
 */
static void assert_applies(const struct ls_zone *old, const struct ls_zone *new,
			   const struct ls_ixfr_diff *d)
{
	struct recs have, want;
	struct ls_ixfr_rr rr;
	size_t off = 0, next, ndel = 0, nadd = 0;
	bool adding = false;

	zone_recs(old, &have);
	zone_recs(new, &want);
	assert_int_equal(d->from, ls_zone_serial(old));
	assert_int_equal(d->to, ls_zone_serial(new));
	while ((next = ls_ixfr_rr_next(d, off, &rr)) != 0) {
		size_t len = next - off, i = recs_find(&have, d->wire + off, len);

		if (off == 0) {
			assert_int_equal(rr.type, LS_TYPE_SOA);
		} else if (off == d->new_soa) {
			assert_int_equal(rr.type, LS_TYPE_SOA);
			adding = true;
		} else if (adding) {
			nadd++;
		} else {
			ndel++;
		}
		if (!adding) {
			assert_int_not_equal(i, SIZE_MAX); /* a deletion of what is there */
			free(have.v[i].b);
			have.v[i] = have.v[--have.n];
		} else {
			assert_int_equal(i, SIZE_MAX); /* an addition of what is not */
			recs_add(&have, rr.owner, rr.type, rr.ttl, rr.rdata, rr.rdlen);
		}
		off = next;
	}
	assert_int_equal(off, d->len);
	assert_true(adding);
	assert_int_equal(ndel, d->ndel);
	assert_int_equal(nadd, d->nadd);
	assert_int_equal(have.n, want.n);
	for (size_t i = 0; i < want.n; i++)
		assert_int_not_equal(recs_find(&have, want.v[i].b, want.v[i].len), SIZE_MAX);
	recs_free(&have);
	recs_free(&want);
}

static struct ls_ixfr_diff *diff(const struct ls_zone *a, const struct ls_zone *b)
{
	struct ls_ixfr_diff *d;

	assert_int_equal(ls_ixfr_diff_compute(a, b, 0, 0, &d), 0);
	assert_applies(a, b, d);
	return d;
}

/* ---- the diff ------------------------------------------------------------------ */

static void test_identical(void **state)
{
	struct ls_zone *a = zone_text(1, "www A 192.0.2.80\n");
	struct ls_zone *b = zone_text(1, "www A 192.0.2.80\n");
	struct ls_ixfr_diff *d = diff(a, b);

	(void)state;
	assert_int_equal(d->ndel, 0);
	assert_int_equal(d->nadd, 0);
	ls_ixfr_diff_put(d);
	ls_zone_free(a);
	ls_zone_free(b);
}

static void test_soa_only(void **state)
{
	struct ls_zone *a = zone_text(1, "www A 192.0.2.80\n");
	struct ls_zone *b = zone_text(2, "www A 192.0.2.80\n");
	struct ls_ixfr_diff *d = diff(a, b);
	struct ls_ixfr_rr rr;

	(void)state;
	assert_int_equal(d->ndel, 0);
	assert_int_equal(d->nadd, 0);
	assert_true(ls_ixfr_rr_next(d, d->new_soa, &rr) > 0);
	assert_int_equal(rr.type, LS_TYPE_SOA);
	assert_int_equal(ls_get32(rr.rdata + rr.rdlen - 20), 2); /* the new serial */
	assert_true(ls_ixfr_rr_next(d, 0, &rr) > 0);
	assert_int_equal(ls_get32(rr.rdata + rr.rdlen - 20), 1);
	ls_ixfr_diff_put(d);
	ls_zone_free(a);
	ls_zone_free(b);
}

static void test_adds_deletes_changes(void **state)
{
	struct ls_zone *a = zone_text(1, "www A 192.0.2.80\nwww A 192.0.2.81\n"
					 "gone A 192.0.2.9\nmail MX 10 mx\nmx A 192.0.2.25\n"
					 "ttl 60 TXT \"t\"\nsub NS ns.sub\nns.sub A 192.0.2.53\n"
					 "@ TXT \"apex\"\n");
	struct ls_zone *b = zone_text(2, "www A 192.0.2.80\nwww A 192.0.2.82\n"
					 "new AAAA 2001:db8::1\nmail MX 20 mx\nmx A 192.0.2.25\n"
					 "ttl 120 TXT \"t\"\nsub NS ns.sub\nns.sub A 192.0.2.54\n"
					 "@ TXT \"apex\"\n@ TXT \"apex2\"\n");
	struct ls_ixfr_diff *d = diff(a, b);

	(void)state;
	/* www .81, gone, MX 10, TXT ttl 60, glue .53 */
	assert_int_equal(d->ndel, 5);
	/* www .82, new, MX 20, TXT ttl 120, glue .54, apex2 */
	assert_int_equal(d->nadd, 6);
	ls_ixfr_diff_put(d);
	/* and backwards */
	d = diff(b, a);
	assert_int_equal(d->ndel, 6);
	assert_int_equal(d->nadd, 5);
	ls_ixfr_diff_put(d);
	ls_zone_free(a);
	ls_zone_free(b);
}

static void test_large_rrset_change(void **state)
{
	char *ba = NULL, *bb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&ba, &la), *fb = open_memstream(&bb, &lb);
	struct ls_zone *a, *b;
	struct ls_ixfr_diff *d;

	(void)state;
	for (int i = 0; i < 300; i++) {
		fprintf(fa, "many TXT \"v%d\"\n", i);
		if (i % 7 != 3)
			fprintf(fb, "many TXT \"v%d\"\n", i);
	}
	fprintf(fb, "many TXT \"extra\"\n");
	fclose(fa);
	fclose(fb);
	a = zone_text(5, ba);
	b = zone_text(6, bb);
	d = diff(a, b);
	assert_int_equal(d->ndel, 43);
	assert_int_equal(d->nadd, 1);
	ls_ixfr_diff_put(d);
	ls_zone_free(a);
	ls_zone_free(b);
	free(ba);
	free(bb);
}

static void test_dnssec_records(void **state)
{
	const char *sig_a = "www RRSIG A 13 3 3600 20300101000000 20200101000000 1 example.com. "
			    "AAAA\n";
	const char *sig_a2 = "www RRSIG A 13 3 3600 20300101000000 20200101000000 1 example.com. "
			     "BBBB\n";
	const char *sig_nsec = "www RRSIG NSEC 13 3 300 20300101000000 20200101000000 1 "
			       "example.com. CCCC\n";
	char *ta, *tb;
	struct ls_zone *a, *b;
	struct ls_ixfr_diff *d;

	(void)state;
	assert_true(asprintf(&ta,
			     "www A 192.0.2.80\n%s%swww NSEC example.com. A RRSIG NSEC\n"
			     "@ DNSKEY 257 3 13 AAAA\n",
			     sig_a, sig_nsec) > 0);
	assert_true(asprintf(&tb,
			     "www A 192.0.2.80\n%s%swww NSEC example.com. A RRSIG NSEC\n"
			     "@ DNSKEY 257 3 13 AAAA\n@ DNSKEY 256 3 13 BBBB\n",
			     sig_a2, sig_nsec) > 0);
	a = zone_text(1, ta);
	b = zone_text(2, tb);
	d = diff(a, b);
	/* the A signature replaced; the NSEC one, covering another type, kept */
	assert_int_equal(d->ndel, 1);
	assert_int_equal(d->nadd, 2); /* the new A signature and the new DNSKEY */
	ls_ixfr_diff_put(d);
	ls_zone_free(a);
	ls_zone_free(b);
	free(ta);
	free(tb);
}

static void test_empty_to_something(void **state)
{
	struct ls_zone *a = zone_text(1, "");
	struct ls_zone *b = zone_text(2, "a A 192.0.2.1\nb.c.d A 192.0.2.2\n*.w TXT \"w\"\n");
	struct ls_ixfr_diff *d = diff(a, b);

	(void)state;
	assert_int_equal(d->ndel, 0);
	assert_int_equal(d->nadd, 3);
	ls_ixfr_diff_put(d);
	d = diff(b, a);
	assert_int_equal(d->ndel, 3);
	assert_int_equal(d->nadd, 0);
	ls_ixfr_diff_put(d);
	ls_zone_free(a);
	ls_zone_free(b);
}

static void test_limits(void **state)
{
	struct ls_zone *a = zone_text(1, "");
	struct ls_zone *b = zone_text(2, "a A 192.0.2.1\nb A 192.0.2.2\nc A 192.0.2.3\n");
	struct ls_ixfr_diff *d;

	(void)state;
	assert_int_equal(ls_ixfr_diff_compute(a, b, 0, 2, &d), -EFBIG);
	assert_null(d);
	assert_int_equal(ls_ixfr_diff_compute(a, b, 20, 0, &d), -EFBIG);
	assert_int_equal(ls_ixfr_diff_compute(a, b, 0, 3, &d), 0);
	ls_ixfr_diff_put(d);
	ls_zone_free(a);
	ls_zone_free(b);
}

static void test_cut_wire(void **state)
{
	struct ls_zone *a = zone_text(1, "x A 192.0.2.1\n");
	struct ls_zone *b = zone_text(2, "y A 192.0.2.1\n");
	struct ls_ixfr_diff *d = diff(a, b);
	struct ls_ixfr_rr rr;
	size_t len = d->len;

	(void)state;
	/* every cut of the wire stops the decoder cleanly before the cut */
	for (size_t cut = 0; cut < len; cut++) {
		size_t off = 0, next;

		d->len = cut;
		while ((next = ls_ixfr_rr_next(d, off, &rr)) != 0) {
			assert_true(next <= cut);
			off = next;
		}
	}
	d->len = len;
	ls_ixfr_diff_put(d);
	ls_zone_free(a);
	ls_zone_free(b);
}

/* ---- the journal ---------------------------------------------------------- */

/* Zone version @serial: 40 names, name @serial changed. */
static struct ls_zone *version(uint32_t serial)
{
	char body[4096];
	size_t len = 0;

	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len, "h%d A 192.0.2.%d\n", i,
					(uint32_t)i == serial % 40 ? 200 : i);
	return zone_text(serial, body);
}

static void steps_from(struct ls_ixfr *j, uint32_t from, uint32_t to, size_t want)
{
	struct ls_ixfr_diff **v;
	size_t n;

	if (!want) {
		assert_int_equal(ls_ixfr_steps(j, origin, from, to, &v, &n), -ENOENT);
		return;
	}
	assert_int_equal(ls_ixfr_steps(j, origin, from, to, &v, &n), 0);
	assert_int_equal(n, want);
	assert_int_equal(v[0]->from, from);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(v[i]->from, v[i - 1]->to);
	assert_int_equal(v[n - 1]->to, to);
	ls_ixfr_steps_put(v, n);
}

static void test_chain(void **state)
{
	struct ls_zone *z[5];
	struct ls_ixfr *j;

	(void)state;
	for (int i = 0; i < 5; i++)
		z[i] = version(10 + (uint32_t)i);
	assert_int_equal(ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &j), 0);
	assert_int_equal(ls_ixfr_record(j, NULL, z[0]), 0); /* first version: nothing */
	assert_int_equal(ls_ixfr_count(j), 0);
	for (int i = 1; i < 5; i++)
		assert_int_equal(ls_ixfr_record(j, z[i - 1], z[i]), 0);
	assert_int_equal(ls_ixfr_count(j), 4);
	steps_from(j, 10, 14, 4);
	steps_from(j, 12, 14, 2);
	steps_from(j, 13, 14, 1);
	steps_from(j, 9, 14, 0); /* older than the chain */
	steps_from(j, 10, 13, 0); /* the chain does not end there */
	/* a version installed over one that is not the chain's end breaks it */
	assert_int_equal(ls_ixfr_record(j, z[2], z[4]), 0);
	assert_int_equal(ls_ixfr_count(j), 1);
	steps_from(j, 12, 14, 1);
	steps_from(j, 10, 14, 0);
	/* a serial that is not newer empties the chain */
	assert_int_equal(ls_ixfr_record(j, z[4], z[3]), 0);
	assert_int_equal(ls_ixfr_count(j), 0);
	assert_int_equal(ls_ixfr_bytes(j), 0);
	/* so does removal */
	assert_int_equal(ls_ixfr_record(j, z[0], z[1]), 0);
	assert_int_equal(ls_ixfr_count(j), 1);
	assert_int_equal(ls_ixfr_record(j, z[1], NULL), 0);
	assert_int_equal(ls_ixfr_count(j), 0);
	ls_ixfr_free(j);
	for (int i = 0; i < 5; i++)
		ls_zone_free(z[i]);
}

static void test_budget_eviction(void **state)
{
	struct ls_zone *z[6];
	struct ls_ixfr_diff **held;
	struct ls_ixfr *j;
	size_t one, nheld;

	(void)state;
	for (int i = 0; i < 6; i++)
		z[i] = version(20 + (uint32_t)i);
	assert_int_equal(ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &j), 0);
	assert_int_equal(ls_ixfr_record(j, z[0], z[1]), 0);
	one = ls_ixfr_bytes(j);
	assert_true(one > 0);
	ls_ixfr_set_budget(j, one * 3 + one / 2); /* room for three steps */
	for (int i = 2; i < 6; i++)
		assert_int_equal(ls_ixfr_record(j, z[i - 1], z[i]), 0);
	assert_int_equal(ls_ixfr_count(j), 3);
	assert_int_equal(ls_ixfr_evicted(j), 2); /* 20->21 and 21->22, the oldest */
	steps_from(j, 20, 25, 0);
	steps_from(j, 22, 25, 3);
	/* a transfer holds steps: dropping them all leaves its copies intact */
	assert_int_equal(ls_ixfr_steps(j, origin, 22, 25, &held, &nheld), 0);
	ls_ixfr_set_budget(j, 0);
	assert_int_equal(ls_ixfr_count(j), 0);
	assert_int_equal(ls_ixfr_bytes(j), 0);
	steps_from(j, 22, 25, 0);
	assert_applies(z[2], z[3], held[0]);
	assert_applies(z[4], z[5], held[2]);
	/* a disabled journal keeps nothing */
	assert_int_equal(ls_ixfr_record(j, z[4], z[5]), 0);
	assert_int_equal(ls_ixfr_count(j), 0);
	ls_ixfr_free(j);
	assert_applies(z[3], z[4], held[1]); /* the journal is gone, the steps are not */
	ls_ixfr_steps_put(held, nheld);
	for (int i = 0; i < 6; i++)
		ls_zone_free(z[i]);
}

static void test_large_change_not_kept(void **state)
{
	struct ls_zone *a = version(30), *b = version(31);
	struct ls_zone *c = zone_text(32, "other A 192.0.2.1\n"); /* nearly all gone */
	struct ls_ixfr *j;

	(void)state;
	assert_int_equal(ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &j), 0);
	assert_int_equal(ls_ixfr_record(j, a, b), 0);
	assert_int_equal(ls_ixfr_count(j), 1);
	assert_int_equal(ls_ixfr_record(j, b, c), 0);
	assert_int_equal(ls_ixfr_count(j), 0); /* not kept, and the chain cannot skip it */
	steps_from(j, 30, 32, 0);
	steps_from(j, 30, 31, 0);
	ls_ixfr_free(j);
	ls_zone_free(a);
	ls_zone_free(b);
	ls_zone_free(c);
}

/*
 * A step whose changes fit the budget but which, with its SOAs and its
 * bookkeeping, is larger than the budget is not kept — and must not flush
 * the other zones' steps on its way out. The old code appended it first
 * and then evicted oldest-first until the journal fitted: every other
 * step went, and then the new one too, leaving an empty journal.
 */
static void test_oversized_step_keeps_others(void **state)
{
	static const uint8_t other[] = "\x05"
				       "other\x03"
				       "net";
	struct ls_zonefile_opts opts = { .no_include = true };
	const char *t1 = "$ORIGIN other.net.\n@ 60 SOA ns hm 1 1 1 1 1\n@ 60 NS ns\nns 60 A "
			 "192.0.2.1\nx 60 A 192.0.2.1\ny 60 A 192.0.2.1\nz 60 A 192.0.2.1\n";
	const char *t2 = "$ORIGIN other.net.\n@ 60 SOA ns hm 2 1 1 1 1\n@ 60 NS ns\nns 60 A "
			 "192.0.2.1\nx 60 A 192.0.2.2\ny 60 A 192.0.2.1\nz 60 A 192.0.2.1\n";
	struct ls_zone *a = version(40), *b = version(41), *o1, *o2;
	struct ls_ixfr_diff *d;
	struct ls_ixfr *j;
	size_t small, large;

	(void)state;
	assert_int_equal(ls_zonefile_load_string(t1, strlen(t1), NULL, other, &opts, &o1, NULL), 0);
	assert_int_equal(ls_zonefile_load_string(t2, strlen(t2), NULL, other, &opts, &o2, NULL), 0);
	d = diff(a, b);
	large = ls_ixfr_diff_size(d);
	/* its changes alone are far below its size: the walk's limit lets it through */
	assert_true(d->new_soa < large / 2);
	ls_ixfr_diff_put(d);
	assert_int_equal(ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &j), 0);
	assert_int_equal(ls_ixfr_record(j, o1, o2), 0);
	small = ls_ixfr_bytes(j);
	assert_true(small < large);
	ls_ixfr_set_budget(j, large - 1);
	assert_int_equal(ls_ixfr_count(j), 1);
	assert_int_equal(ls_ixfr_record(j, a, b), 0);
	assert_int_equal(ls_ixfr_count(j), 1); /* the other zone's step is still there */
	assert_int_equal(ls_ixfr_bytes(j), small);
	assert_int_equal(ls_ixfr_evicted(j), 0);
	steps_from(j, 40, 41, 0);
	ls_ixfr_free(j);
	ls_zone_free(a);
	ls_zone_free(b);
	ls_zone_free(o1);
	ls_zone_free(o2);
}

static void test_many_zones_and_step_cap(void **state)
{
	static const uint8_t other[] = "\x05"
				       "other\x03"
				       "net";
	struct ls_zonefile_opts opts = { .no_include = true };
	struct ls_ixfr *j;
	struct ls_zone *prev = NULL, *o1, *o2;
	const char *t1 = "$ORIGIN other.net.\n@ 60 SOA ns hm 1 1 1 1 1\n@ 60 NS ns\nns 60 A "
			 "192.0.2.1\nx 60 A 192.0.2.1\nx 60 A 192.0.2.2\nx 60 A 192.0.2.3\n";
	const char *t2 = "$ORIGIN other.net.\n@ 60 SOA ns hm 2 1 1 1 1\n@ 60 NS ns\nns 60 A "
			 "192.0.2.1\nx 60 A 192.0.2.1\nx 60 A 192.0.2.2\nx 60 A 192.0.2.4\n";
	struct ls_ixfr_diff **v;
	size_t n;

	(void)state;
	assert_int_equal(ls_ixfr_new(1u << 30, &j), 0);
	assert_int_equal(ls_zonefile_load_string(t1, strlen(t1), NULL, other, &opts, &o1, NULL), 0);
	assert_int_equal(ls_zonefile_load_string(t2, strlen(t2), NULL, other, &opts, &o2, NULL), 0);
	assert_int_equal(ls_ixfr_record(j, o1, o2), 0);
	for (uint32_t s = 100; s < 100 + LS_IXFR_MAX_STEPS + 10; s++) {
		struct ls_zone *z = version(s);

		if (prev)
			assert_int_equal(ls_ixfr_record(j, prev, z), 0);
		ls_zone_free(prev);
		prev = z;
	}
	assert_int_equal(ls_ixfr_count(j), LS_IXFR_MAX_STEPS + 1);
	steps_from(j, 100 + 9, 100 + LS_IXFR_MAX_STEPS + 9, LS_IXFR_MAX_STEPS);
	steps_from(j, 100 + 8, 100 + LS_IXFR_MAX_STEPS + 9, 0);
	/* the other zone's chain is its own */
	assert_int_equal(ls_ixfr_steps(j, other, 1, 2, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_applies(o1, o2, v[0]);
	ls_ixfr_steps_put(v, n);
	ls_ixfr_free(j);
	ls_zone_free(prev);
	ls_zone_free(o1);
	ls_zone_free(o2);
}

static bool journal_hook(void *ctx, struct ls_zone *old, const struct ls_zone *new)
{
	return ls_ixfr_replace(ctx, old, new);
}

static void test_zoneset_hook(void **state)
{
	struct ls_zoneset *zs;
	struct ls_ixfr *j;

	(void)state;
	assert_int_equal(ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &j), 0);
	assert_int_equal(ls_zoneset_new(&zs), 0);
	ls_zoneset_on_replace(zs, journal_hook, j);
	assert_int_equal(ls_zoneset_set_live(zs, version(40)), 0); /* nothing replaced */
	assert_int_equal(ls_ixfr_count(j), 0);
	assert_int_equal(ls_zoneset_set_live(zs, version(41)), 0);
	steps_from(j, 40, 41, 1);
	/* a next generation promoted at its T */
	assert_int_equal(ls_zoneset_stage_next(zs, origin, version(42), 1000), 0);
	assert_int_equal(ls_zoneset_next_ready(zs, origin), 0);
	assert_int_equal(ls_zoneset_promote(zs, 999), 0);
	steps_from(j, 40, 42, 0); /* not yet: xfrout still serves 41 */
	assert_int_equal(ls_zoneset_promote(zs, 1000), 1);
	steps_from(j, 40, 42, 2);
	/* removed: the chain goes with the zone */
	assert_int_equal(ls_zoneset_remove(zs, origin), 0);
	assert_int_equal(ls_ixfr_count(j), 0);
	ls_zoneset_free(zs);
	ls_ixfr_free(j);
}

/* A zone of @n names, name @changed with another address. */
static struct ls_zone *big(uint32_t serial, size_t n, size_t changed)
{
	size_t cap = n * 32 + 64, len = 0;
	char *body = malloc(cap);
	struct ls_zone *z;

	assert_non_null(body);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(body + len, cap - len, "n%zu A 192.0.2.%d\n", i,
					i == changed ? 250 : (int)(i % 200));
	z = zone_text(serial, body);
	free(body);
	return z;
}

static void test_sliced(void **state)
{
	const size_t n = LS_IXFR_SLICE_NODES + 5000;
	struct ls_zone *copy[3] = { big(50, n, 1), big(51, n, 2), big(52, n, 3) };
	struct ls_ixfr_diff **v;
	struct ls_zoneset *zs;
	struct ls_ixfr *j;
	size_t slices = 0, k;

	(void)state;
	assert_int_equal(ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &j), 0);
	assert_int_equal(ls_zoneset_new(&zs), 0);
	ls_zoneset_on_replace(zs, journal_hook, j);
	assert_int_equal(ls_zoneset_set_live(zs, big(50, n, 1)), 0);
	assert_int_equal(ls_zoneset_set_live(zs, big(51, n, 2)), 0);
	/* one slice ran: the step is pending and 50 is kept by the journal */
	assert_true(ls_ixfr_pending(j));
	steps_from(j, 50, 51, 0);
	/* 51 replaced while its own diff still reads it: handed over as well */
	assert_int_equal(ls_zoneset_set_live(zs, big(52, n, 3)), 0);
	while (ls_ixfr_work(j, 1000))
		slices++;
	/* two slices ran in the replacements; the rest, 1000 nodes at a time */
	assert_true(slices >= (2 * n - 2 * LS_IXFR_SLICE_NODES) / 1000 - 1);
	steps_from(j, 50, 52, 2);
	assert_int_equal(ls_ixfr_steps(j, origin, 50, 52, &v, &k), 0);
	assert_applies(copy[0], copy[1], v[0]);
	assert_applies(copy[1], copy[2], v[1]);
	assert_int_equal(v[0]->ndel + v[0]->nadd, 4);
	ls_ixfr_steps_put(v, k);
	/* pending diffs are dropped (and their versions freed) on removal... */
	assert_int_equal(ls_zoneset_set_live(zs, big(53, n, 4)), 0);
	assert_true(ls_ixfr_pending(j));
	assert_int_equal(ls_zoneset_remove(zs, origin), 0);
	assert_false(ls_ixfr_pending(j));
	assert_int_equal(ls_ixfr_count(j), 0);
	/* ... and when the journal is turned off */
	assert_int_equal(ls_zoneset_set_live(zs, big(60, n, 1)), 0);
	assert_int_equal(ls_zoneset_set_live(zs, big(61, n, 2)), 0);
	assert_true(ls_ixfr_pending(j));
	ls_ixfr_set_budget(j, 0);
	assert_false(ls_ixfr_pending(j));
	/* a journal freed with work pending frees what it kept */
	ls_ixfr_set_budget(j, LS_IXFR_DEFAULT_BUDGET);
	assert_int_equal(ls_zoneset_set_live(zs, big(62, n, 3)), 0);
	assert_true(ls_ixfr_pending(j));
	ls_zoneset_free(zs);
	ls_ixfr_free(j);
	for (int i = 0; i < 3; i++)
		ls_zone_free(copy[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_soa_only),
		cmocka_unit_test(test_adds_deletes_changes),
		cmocka_unit_test(test_large_rrset_change),
		cmocka_unit_test(test_dnssec_records),
		cmocka_unit_test(test_empty_to_something),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_cut_wire),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_budget_eviction),
		cmocka_unit_test(test_large_change_not_kept),
		cmocka_unit_test(test_oversized_step_keeps_others),
		cmocka_unit_test(test_many_zones_and_step_cap),
		cmocka_unit_test(test_zoneset_hook),
		cmocka_unit_test(test_sliced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
