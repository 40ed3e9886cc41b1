/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/zone: the builder (TTL mismatch, duplicates, class,
 * limits), every lookup (exact, case-insensitive, closest encloser with
 * ENTs, zone cut, DNAME, wildcard, canonical predecessor with wrap-around,
 * the NSEC/NSEC3 chains against the node-by-node walk they replace),
 * canonical order against RFC 4034 §6.1's example, RRSIG grouping, node
 * flags, and each structural check both firing and not firing.
 * Zones are written as zone text and read through common/zonefile for
 * brevity; the builder API is also driven directly.
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

#include "common/dname.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/zonefile.h"

static const uint8_t *N(const char *s)
{
	/* a ring of buffers so several names can be live in one expression */
	static uint8_t ring[8][LS_DNAME_MAXLEN];
	static int next;
	uint8_t *n = ring[next++ % 8];

	assert_true(ls_dname_from_str(n, s, NULL) > 0);
	return n;
}

#define HEAD                                                     \
	"$TTL 300\n"                                             \
	"@ SOA ns hostmaster 2024010101 7200 3600 1209600 300\n" \
	"@ NS ns\n"                                              \
	"ns A 192.0.2.1\n"

/* Load zone text for "example."; returns the error, fills zone/problems. */
static int load(const char *text, struct ls_zone **z, struct ls_zone_problems **p)
{
	return ls_zonefile_load_string(text, strlen(text), "test", N("example."), NULL, z, p);
}

static struct ls_zone *load_ok(const char *text)
{
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	int err = load(text, &z, &p);
	char line[4096];

	for (size_t i = 0; p && i < p->count; i++) {
		ls_zone_problem_format(line, sizeof(line), &p->v[i]);
		print_message("%s\n", line);
	}
	assert_int_equal(err, 0);
	assert_non_null(z);
	ls_zone_problems_free(p);
	return z;
}

/* Number of problems named @check (errors and warnings). */
static size_t count_check(const struct ls_zone_problems *p, const char *check)
{
	size_t n = 0;

	for (size_t i = 0; p && i < p->count; i++)
		if (strcmp(p->v[i].check, check) == 0)
			n++;
	return n;
}

static const char *node_str(const struct ls_zone *z, const struct ls_zone_node *n)
{
	static char buf[LS_DNAME_STRLEN];

	if (!n)
		return "(null)";
	ls_dname_to_str(buf, sizeof(buf), ls_zone_node_name(z, n));
	return buf;
}

static void test_build_and_find(void **state)
{
	struct ls_zone *z = load_ok(HEAD "www A 192.0.2.10\n"
					 "www A 192.0.2.11\n"
					 "www AAAA 2001:db8::10\n"
					 "www TXT \"hello\"\n");
	const struct ls_zone_node *n;
	const struct ls_zone_rrset *rs;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	size_t cnt;

	assert_int_equal(ls_zone_serial(z), 2024010101);
	assert_true(ls_dname_equal(ls_zone_origin(z), N("example.")));
	assert_int_equal(ls_zone_record_count(z), 7);
	assert_int_equal(ls_zone_node_count(z), 3);
	assert_int_equal(ls_zone_rrset_count(z), 6);
	assert_int_equal(ls_zone_delegation_count(z), 0);
	assert_true(ls_zone_memory(z) > 0);

	n = ls_zone_find(z, N("www.example."));
	assert_non_null(n);
	assert_ptr_equal(ls_zone_find(z, N("WWW.eXaMpLe.")), n);
	assert_null(ls_zone_find(z, N("nope.example.")));
	assert_null(ls_zone_find(z, N("www.example.net.")));
	assert_string_equal(node_str(z, ls_zone_node_parent(z, n)), "example.");
	assert_ptr_equal(ls_zone_apex(z), ls_zone_node_at(z, 0));
	assert_null(ls_zone_node_parent(z, ls_zone_apex(z)));
	assert_int_equal(ls_zone_node_index(z, ls_zone_apex(z)), 0);

	rs = ls_zone_node_rrsets(z, n, &cnt);
	assert_int_equal(cnt, 3);
	/* sorted by type */
	assert_int_equal(rs[0].type, LS_TYPE_A);
	assert_int_equal(rs[1].type, LS_TYPE_TXT);
	assert_int_equal(rs[2].type, LS_TYPE_AAAA);

	rs = ls_zone_node_rrset(z, n, LS_TYPE_A);
	assert_non_null(rs);
	assert_int_equal(rs->count, 2);
	assert_int_equal(rs->ttl, 300);
	ls_zone_rdata_begin(z, rs, &it);
	assert_true(ls_zone_rdata_next(&it, &rd, &len));
	assert_int_equal(len, 4);
	assert_memory_equal(rd, "\xc0\x00\x02\x0a", 4);
	assert_true(ls_zone_rdata_next(&it, &rd, &len));
	assert_memory_equal(rd, "\xc0\x00\x02\x0b", 4);
	assert_false(ls_zone_rdata_next(&it, &rd, &len));
	assert_null(ls_zone_node_rrset(z, n, LS_TYPE_MX));
	ls_zone_free(z);
	ls_zone_free(NULL);
	ls_zone_problems_free(NULL);
	ls_zone_builder_free(NULL);
}

/* RFC 4034 §6.1: "the following names are sorted in canonical DNS name order". */
static void test_canonical_order(void **state)
{
	static const char *const want[] = {
		"example.",	    "a.example.",      "yljkjljk.a.example.",
		"Z.a.example.",	    "zABC.a.EXAMPLE.", "z.example.",
		"\\001.z.example.", "*.z.example.",    "\\200.z.example.",
	};
	/* added in a scrambled order, with an NS target outside the zone */
	struct ls_zone *z = load_ok("$TTL 300\n"
				    "\\200.z A 192.0.2.9\n"
				    "zABC.a.EXAMPLE. A 192.0.2.5\n"
				    "@ SOA ns.other. hostmaster 1 2 3 4 5\n"
				    "@ NS ns.other.\n"
				    "*.z A 192.0.2.8\n"
				    "yljkjljk.a A 192.0.2.3\n"
				    "z A 192.0.2.6\n"
				    "a A 192.0.2.2\n"
				    "\\001.z A 192.0.2.7\n"
				    "Z.a A 192.0.2.4\n");

	assert_int_equal(ls_zone_node_count(z), 9);
	for (size_t i = 0; i < 9; i++) {
		const struct ls_zone_node *n = ls_zone_node_at(z, i);
		assert_true(ls_dname_equal(ls_zone_node_name(z, n), N(want[i])));
		if (i > 0)
			assert_true(ls_dname_cmp(ls_zone_node_name(z, ls_zone_node_at(z, i - 1)),
						 ls_zone_node_name(z, n)) < 0);
	}
	assert_null(ls_zone_node_at(z, 9));
	/* owners are stored lowercased */
	assert_memory_equal(ls_zone_node_name(z, ls_zone_node_at(z, 4)),
			    "\x04zabc\x01"
			    "a",
			    7);
	ls_zone_free(z);
}

static const char *LOOKUP_ZONE = HEAD "a.b.c A 192.0.2.2\n"
				      "*.wild TXT \"wildcard\"\n"
				      "sub NS ns.sub\n"
				      "sub NS ns.other.\n"
				      "ns.sub A 192.0.2.3\n"
				      "dn DNAME target.other.\n"
				      "x.y.z TXT \"deep\"\n";

static void test_closest_encloser(void **state)
{
	struct ls_zone *z = load_ok(LOOKUP_ZONE);
	const struct ls_zone_node *n;

	/* ENTs: c, b.c, wild, y.z, z */
	n = ls_zone_find(z, N("b.c.example."));
	assert_non_null(n);
	assert_true(n->flags & LS_ZONE_NODE_ENT);
	assert_int_equal(n->nrrsets, 0);
	assert_true(ls_zone_find(z, N("c.example."))->flags & LS_ZONE_NODE_ENT);
	assert_false(ls_zone_find(z, N("a.b.c.example."))->flags & LS_ZONE_NODE_ENT);

	assert_string_equal(node_str(z, ls_zone_closest_encloser(z, N("a.b.c.example."))),
			    "a.b.c.example.");
	assert_string_equal(node_str(z, ls_zone_closest_encloser(z, N("x.b.c.example."))),
			    "b.c.example.");
	assert_string_equal(node_str(z, ls_zone_closest_encloser(z, N("q.x.B.C.example."))),
			    "b.c.example.");
	assert_string_equal(node_str(z, ls_zone_closest_encloser(z, N("nothing.example."))),
			    "example.");
	assert_string_equal(node_str(z, ls_zone_closest_encloser(z, N("example."))), "example.");
	assert_null(ls_zone_closest_encloser(z, N("example.net.")));
	assert_null(ls_zone_closest_encloser(z, N(".")));
	assert_null(ls_zone_closest_encloser(z, N("xexample.")));
	/* the origin's depth is checked by comparison, not lookup: case and
	 * outside names whose labels match the zone's all the way there */
	assert_string_equal(node_str(z, ls_zone_closest_encloser(z, N("EXAMPLE."))), "example.");
	assert_string_equal(node_str(z, ls_zone_closest_encloser(z, N("x.Example."))), "example.");
	assert_null(ls_zone_closest_encloser(z, N("x.other.")));
	assert_null(ls_zone_closest_encloser(z, N("a.b.c.example.net.")));
	ls_zone_free(z);
}

static void test_cut_dname_wildcard(void **state)
{
	struct ls_zone *z = load_ok(LOOKUP_ZONE);
	const struct ls_zone_node *sub = ls_zone_find(z, N("sub.example."));
	const struct ls_zone_node *glue = ls_zone_find(z, N("ns.sub.example."));
	const struct ls_zone_node *dn = ls_zone_find(z, N("dn.example."));
	const struct ls_zone_node *wild, *enc;

	assert_non_null(sub);
	assert_true(sub->flags & LS_ZONE_NODE_DELEG);
	assert_false(sub->flags & LS_ZONE_NODE_OCCLUDED);
	assert_true(glue->flags & LS_ZONE_NODE_OCCLUDED);
	assert_true(glue->flags & LS_ZONE_NODE_NS_TARGET);
	assert_true(ls_zone_apex(z)->flags & LS_ZONE_NODE_APEX);
	assert_false(ls_zone_apex(z)->flags & LS_ZONE_NODE_DELEG);
	assert_int_equal(ls_zone_delegation_count(z), 1);

	assert_ptr_equal(ls_zone_find_cut(z, N("sub.example.")), sub);
	assert_ptr_equal(ls_zone_find_cut(z, N("ns.sub.example.")), sub);
	assert_ptr_equal(ls_zone_find_cut(z, N("a.b.c.d.sub.example.")), sub);
	assert_null(ls_zone_find_cut(z, N("example.")));
	assert_null(ls_zone_find_cut(z, N("www.example.")));
	assert_null(ls_zone_find_cut(z, N("a.b.c.example.")));
	assert_null(ls_zone_find_cut(z, N("other.")));

	assert_true(dn->flags & LS_ZONE_NODE_DNAME);
	assert_ptr_equal(ls_zone_find_dname(z, N("dn.example.")), dn);
	assert_ptr_equal(ls_zone_find_dname(z, N("x.y.dn.example.")), dn);
	assert_null(ls_zone_find_dname(z, N("sub.example.")));

	enc = ls_zone_closest_encloser(z, N("anything.wild.example."));
	assert_string_equal(node_str(z, enc), "wild.example.");
	assert_true(enc->flags & LS_ZONE_NODE_WILDCARD_CHILD);
	wild = ls_zone_wildcard(z, enc);
	assert_string_equal(node_str(z, wild), "*.wild.example.");
	assert_true(wild->flags & LS_ZONE_NODE_WILDCARD);
	assert_null(ls_zone_wildcard(z, ls_zone_apex(z)));
	assert_null(ls_zone_wildcard(z, ls_zone_find(z, N("b.c.example."))));
	ls_zone_free(z);
}

static void test_nested_cut(void **state)
{
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;

	/* A cut below a cut: the highest wins and the lower NS is occluded data. */
	assert_int_equal(load(HEAD "sub NS ns.other.\n"
				   "deeper.sub NS ns.other.\n",
			      &z, &p),
			 -EBADMSG);
	assert_int_equal(count_check(p, "below-delegation"), 1);
	ls_zone_problems_free(p);
}

static void test_predecessor(void **state)
{
	/* example. < a < b < b.b (ENT? no: has data) < x.c (c is an ENT) < z */
	struct ls_zone *z = load_ok("$TTL 300\n"
				    "@ SOA ns.other. h 1 2 3 4 5\n"
				    "@ NS ns.other.\n"
				    "a A 192.0.2.1\n"
				    "b A 192.0.2.2\n"
				    "b.b A 192.0.2.3\n"
				    "x.c A 192.0.2.4\n"
				    "z A 192.0.2.5\n");

	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("b.example."), 0)), "a.example.");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("B.example."), 0)), "a.example.");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("a.example."), 0)), "example.");
	/* names that do not exist */
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("aa.example."), 0)), "a.example.");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("a.a.example."), 0)),
			    "a.example.");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("c.example."), 0)),
			    "b.b.example.");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("d.example."), 0)),
			    "x.c.example.");
	/* the ENT c.example. is a node; skipping ENTs steps over it */
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("x.c.example."), 0)),
			    "c.example.");
	assert_string_equal(
		node_str(z, ls_zone_predecessor(z, N("x.c.example."), LS_ZONE_NODE_ENT)),
		"b.b.example.");
	/* wrap-around: before the apex and past the end both give the last node */
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("example."), 0)), "z.example.");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("zz.example."), 0)), "z.example.");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("a.z.example."), 0)),
			    "z.example.");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("."), 0)), "z.example.");
	ls_zone_free(z);

	/* a zone of the apex alone: its own predecessor, unless skipped */
	z = load_ok("$TTL 300\n@ SOA ns.other. h 1 2 3 4 5\n@ NS ns.other.\n");
	assert_string_equal(node_str(z, ls_zone_predecessor(z, N("example."), 0)), "example.");
	assert_null(ls_zone_predecessor(z, N("a.example."), LS_ZONE_NODE_APEX));
	ls_zone_free(z);
}

static void test_rrsig_groups(void **state)
{
	/* RRSIGs covering different types may have different TTLs */
	struct ls_zone *z = load_ok(
		HEAD "www 300 A 192.0.2.10\n"
		     "www 60 TXT \"t\"\n"
		     "www 300 RRSIG A 13 2 300 20300101000000 20240101000000 1 example. AAAA\n"
		     "www 300 RRSIG A 13 2 300 20300101000000 20240101000000 2 example. BBBB\n"
		     "www 60 RRSIG TXT 13 2 60 20300101000000 20240101000000 1 example. CCCC\n");
	const struct ls_zone_node *n = ls_zone_find(z, N("www.example."));
	const struct ls_zone_rrset *a = ls_zone_rrsigs(z, n, LS_TYPE_A);
	const struct ls_zone_rrset *t = ls_zone_rrsigs(z, n, LS_TYPE_TXT);
	size_t cnt;
	const struct ls_zone_rrset *all = ls_zone_node_rrsets(z, n, &cnt);

	assert_non_null(a);
	assert_non_null(t);
	assert_null(ls_zone_rrsigs(z, n, LS_TYPE_AAAA));
	assert_int_equal(a->type, LS_TYPE_RRSIG);
	assert_int_equal(a->count, 2);
	assert_int_equal(a->ttl, 300);
	assert_int_equal(t->count, 1);
	assert_int_equal(t->ttl, 60);
	assert_int_equal(cnt, 4); /* A, TXT, RRSIG(A), RRSIG(TXT) */
	assert_ptr_equal(ls_zone_node_rrset(z, n, LS_TYPE_RRSIG), a);
	assert_ptr_equal(&all[2], a);
	assert_ptr_equal(&all[3], t);
	ls_zone_free(z);
}

static void test_ttl_mismatch_and_duplicates(void **state)
{
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	const struct ls_zone_rrset *rs;
	char line[1024];

	assert_int_equal(load(HEAD "www 600 A 192.0.2.10\n"
				   "www 60 A 192.0.2.11\n"
				   "www 600 A 192.0.2.10\n"
				   "www NS ns1.other.\n"
				   "www NS NS1.OTHER.\n",
			      &z, &p),
			 -EBADMSG); /* www NS makes it a delegation... with A: not glue */
	ls_zone_problems_free(p);

	assert_int_equal(load(HEAD "www 600 A 192.0.2.10\n"
				   "www 60 A 192.0.2.11\n"
				   "www 600 A 192.0.2.10\n"
				   "www MX 10 mx.other.\n"
				   "www MX 10 MX.OTHER.\n",
			      &z, &p),
			 0);
	assert_non_null(p);
	assert_int_equal(p->errors, 0);
	assert_int_equal(count_check(p, "ttl-mismatch"), 1);
	assert_int_equal(count_check(p, "duplicate"), 2); /* names compare case-insensitively */
	assert_int_equal(p->v[0].severity, LS_ZONE_WARNING);
	assert_int_equal(p->v[0].line, 6);
	ls_zone_problem_format(line, sizeof(line), &p->v[0]);
	assert_string_equal(line,
			    "test:6: warning: ttl-mismatch: www.example. A 192.0.2.11 — "
			    "TTL 60 differs from the RRset's TTL 600; using 600 (RFC 2181 §5.2)");
	rs = ls_zone_node_rrset(z, ls_zone_find(z, N("www.example.")), LS_TYPE_A);
	assert_int_equal(rs->count, 2);
	assert_int_equal(rs->ttl, 600); /* the first one added */
	rs = ls_zone_node_rrset(z, ls_zone_find(z, N("www.example.")), LS_TYPE_MX);
	assert_int_equal(rs->count, 1);
	assert_int_equal(ls_zone_record_count(z), 3 + 3);
	ls_zone_problems_free(p);
	ls_zone_free(z);
}

/* Drive the builder directly. */
static void test_builder_direct(void **state)
{
	static const uint8_t soa[] = "\x02ns\x00\x01h\x00"
				     "\x00\x00\x00\x07\x00\x00\x00\x01\x00\x00\x00\x01"
				     "\x00\x00\x00\x01\x00\x00\x00\x01";
	static const uint8_t ns[] = "\x03ns1\x05other\x00";
	static const uint8_t a[] = { 192, 0, 2, 1 };
	struct ls_zone_builder *b = ls_zone_builder_new(N("Example."));
	struct ls_zone_src src = { 0, 42 };
	struct ls_zone *z;
	struct ls_zone_problems *p;
	int f;

	assert_non_null(b);
	f = ls_zone_builder_add_file(b, "axfr");
	assert_int_equal(f, 0);
	assert_int_equal(ls_zone_builder_add_file(b, "axfr"), 0);
	assert_int_equal(ls_zone_builder_add_file(b, "other"), 1);
	assert_int_equal(ls_zone_builder_add(b, N("EXAMPLE."), LS_TYPE_SOA, LS_CLASS_IN, 60, soa,
					     sizeof(soa) - 1, &src),
			 0);
	assert_int_equal(ls_zone_builder_add(b, N("example."), LS_TYPE_NS, LS_CLASS_IN, 60, ns,
					     sizeof(ns) - 1, NULL),
			 0);
	/* refused: class, outside the zone, bad rdata, meta type */
	assert_int_equal(
		ls_zone_builder_add(b, N("a.example."), LS_TYPE_A, LS_CLASS_CH, 60, a, 4, &src),
		-EINVAL);
	assert_int_equal(
		ls_zone_builder_add(b, N("a.example.net."), LS_TYPE_A, LS_CLASS_IN, 60, a, 4, &src),
		-EINVAL);
	assert_int_equal(
		ls_zone_builder_add(b, N("a.example."), LS_TYPE_A, LS_CLASS_IN, 60, a, 3, &src),
		-EINVAL);
	assert_int_equal(
		ls_zone_builder_add(b, N("a.example."), LS_TYPE_ANY, LS_CLASS_IN, 60, a, 4, &src),
		-EINVAL);
	assert_int_equal(ls_zone_builder_records(b), 2);
	assert_int_equal(ls_zone_builder_finish(b, &z, &p), -EBADMSG);
	assert_null(z);
	assert_non_null(p);
	assert_int_equal(p->errors, 4);
	assert_int_equal(count_check(p, "class"), 1);
	assert_int_equal(count_check(p, "out-of-zone"), 1);
	assert_int_equal(count_check(p, "rdata"), 1);
	assert_int_equal(count_check(p, "type"), 1);
	assert_string_equal(p->v[0].file, "axfr");
	assert_int_equal(p->v[0].line, 42);
	ls_zone_problems_free(p);

	/* the same without the bad records is a good zone */
	b = ls_zone_builder_new(N("example."));
	assert_int_equal(ls_zone_builder_add(b, N("example."), LS_TYPE_SOA, LS_CLASS_IN, 60, soa,
					     sizeof(soa) - 1, NULL),
			 0);
	assert_int_equal(ls_zone_builder_add(b, N("example."), LS_TYPE_NS, LS_CLASS_IN, 60, ns,
					     sizeof(ns) - 1, NULL),
			 0);
	assert_int_equal(ls_zone_builder_finish(b, &z, &p), 0);
	assert_null(p);
	assert_int_equal(ls_zone_serial(z), 7);
	ls_zone_free(z);

	/* an abandoned builder hands back what it found */
	b = ls_zone_builder_new(N("example."));
	assert_null(ls_zone_builder_abandon(b));
	assert_null(ls_zone_builder_abandon(NULL));
	assert_null(ls_zone_builder_new((const uint8_t *)"\x40"));
}

static void test_limits(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 1 };
	struct ls_zone_builder *b = ls_zone_builder_new(N("example."));
	struct ls_zone *z;
	struct ls_zone_problems *p;
	uint8_t owner[LS_DNAME_MAXLEN];
	char name[32];

	ls_zone_builder_set_limits(b, 10, 0);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "h%d.example.", i);
		ls_dname_from_str(owner, name, NULL);
		assert_int_equal(
			ls_zone_builder_add(b, owner, LS_TYPE_A, LS_CLASS_IN, 1, a, 4, NULL), 0);
	}
	assert_int_equal(ls_zone_builder_add(b, owner, LS_TYPE_A, LS_CLASS_IN, 1, a, 4, NULL),
			 -EFBIG);
	assert_int_equal(ls_zone_builder_add(b, owner, LS_TYPE_A, LS_CLASS_IN, 1, a, 4, NULL),
			 -EFBIG);
	assert_int_equal(ls_zone_builder_finish(b, &z, &p), -EBADMSG);
	assert_int_equal(count_check(p, "limit"), 1);
	ls_zone_problems_free(p);

	/* bytes: "h0.example." is 12 octets + 10 + 4 = 26 per record */
	b = ls_zone_builder_new(N("example."));
	ls_zone_builder_set_limits(b, 0, 52);
	ls_dname_from_str(owner, "h0.example.", NULL);
	assert_int_equal(ls_zone_builder_add(b, owner, LS_TYPE_A, LS_CLASS_IN, 1, a, 4, NULL), 0);
	assert_int_equal(ls_zone_builder_add(b, owner, LS_TYPE_A, LS_CLASS_IN, 2, a, 4, NULL), 0);
	assert_int_equal(ls_zone_builder_add(b, owner, LS_TYPE_A, LS_CLASS_IN, 3, a, 4, NULL),
			 -EFBIG);
	ls_zone_builder_free(b);

	/* through the zone file loader */
	struct ls_zonefile_opts opts = { .max_records = 3 };
	const char *text = HEAD "a A 192.0.2.2\n";
	assert_int_equal(
		ls_zonefile_load_string(text, strlen(text), "t", N("example."), &opts, &z, &p),
		-EFBIG);
	assert_null(z);
	assert_int_equal(count_check(p, "limit"), 1);
	assert_int_equal(p->v[0].line, 5);
	ls_zone_problems_free(p);
}

struct check_case {
	const char *what;
	const char *text; /* full zone text for "example." */
	const char *check; /* expected check name, NULL: none fires */
	size_t count; /* how many times */
};

static const struct check_case check_cases[] = {
	{ "good zone", HEAD, NULL, 0 },
	{ "no SOA", "@ 300 NS ns\nns 300 A 192.0.2.1\n", "soa-missing", 1 },
	{ "two SOAs", HEAD "@ SOA ns h 2 2 3 4 5\n", "soa-multiple", 1 },
	{ "SOA below apex", HEAD "x SOA ns h 1 2 3 4 5\n", "soa-not-apex", 1 },
	{ "no NS at apex", "$TTL 300\n@ SOA ns h 1 2 3 4 5\nns A 192.0.2.1\n", "ns-apex-missing",
	  1 },
	{ "data outside", HEAD "www.example.net. A 192.0.2.9\nexample. TXT \"in\"\n", "out-of-zone",
	  1 },
	{ "glue present", HEAD "sub NS ns.sub\nns.sub A 192.0.2.3\nns.sub AAAA 2001:db8::3\n", NULL,
	  0 },
	{ "glue at the cut", HEAD "sub NS sub\nsub A 192.0.2.3\n", NULL, 0 },
	{ "sibling glue", HEAD "a NS ns.b\nb NS ns.b\nns.b A 192.0.2.3\n", NULL, 0 },
	{ "glue missing", HEAD "sub NS ns.sub\nsub NS ns2.sub\nns.sub A 192.0.2.3\n",
	  "glue-missing", 1 },
	{ "apex NS below a cut without glue", HEAD "@ NS ns.sub\nsub NS ns.other.\n",
	  "glue-missing", 1 },
	{ "out-of-zone NS needs nothing", HEAD "sub NS ns.example.net.\n", NULL, 0 },
	{ "apex NS in zone without address", HEAD "@ NS ns2\n", "ns-address-missing", 1 },
	{ "delegation NS in zone without address", HEAD "sub NS host\nhost TXT \"x\"\n",
	  "ns-address-missing", 1 },
	{ "data below delegation",
	  HEAD "sub NS ns.other.\nwww.sub A 192.0.2.5\nwww.sub TXT \"x\"\n", "below-delegation",
	  2 },
	{ "non-glue data at delegation",
	  HEAD "sub NS ns.other.\nsub MX 10 mail\nsub DS 1 13 2 00\n", "below-delegation", 1 },
	{ "CNAME alone", HEAD "www CNAME ns\n", NULL, 0 },
	{ "CNAME with RRSIG and NSEC",
	  HEAD "www CNAME ns\nwww NSEC ns CNAME RRSIG NSEC\n"
	       "www RRSIG CNAME 13 2 300 20300101000000 20240101000000 1 example. AAAA\n",
	  NULL, 0 },
	{ "CNAME and other data", HEAD "www CNAME ns\nwww A 192.0.2.9\nwww TXT \"x\"\n",
	  "cname-exclusive", 2 },
	{ "two CNAMEs", HEAD "www CNAME ns\nwww CNAME ns.other.\n", "cname-multiple", 1 },
	{ "CNAME at the apex", HEAD "@ CNAME other.\n", "cname-exclusive", 2 },
	{ "one DNAME", HEAD "d DNAME other.\n", NULL, 0 },
	{ "two DNAMEs", HEAD "d DNAME other.\nd DNAME another.\n", "dname-multiple", 1 },
	{ "data below DNAME", HEAD "d DNAME other.\nx.d A 192.0.2.1\ny.x.d TXT \"x\"\n",
	  "below-dname", 2 },
	{ "DNAME with data at its own name", HEAD "d DNAME other.\nd A 192.0.2.1\n", NULL, 0 },
};

static void test_checks_table(void **state)
{
	char line[4096];

	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];
		struct ls_zone *z = NULL;
		struct ls_zone_problems *p = NULL;
		int err = load(c->text, &z, &p);
		print_message("case: %s\n", c->what);
		for (size_t k = 0; p && k < p->count; k++) {
			ls_zone_problem_format(line, sizeof(line), &p->v[k]);
			print_message("  %s\n", line);
		}
		if (!c->check) {
			assert_int_equal(err, 0);
			assert_non_null(z);
			assert_true(!p || p->errors == 0);
		} else {
			assert_int_equal(err, -EBADMSG);
			assert_null(z);
			assert_int_equal(count_check(p, c->check), c->count);
			assert_int_equal(p->errors, c->count);
		}
		ls_zone_free(z);
		ls_zone_problems_free(p);
	}
}

/* Every problem is reported, each with its line, the record and a reason. */
static void test_every_problem(void **state)
{
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	char line[4096];

	assert_int_equal(load("$TTL 300\n" /* 1 */
			      "@ NS ns.sub\n" /* 2 */
			      "sub NS ns.sub\n" /* 3 */
			      "junk.sub TXT \"x\"\n" /* 4 */
			      "www CNAME a\n" /* 5 */
			      "www A 192.0.2.1\n" /* 6 */
			      "x SOA a b 1 2 3 4 5\n" /* 7 */
			      "other. A 192.0.2.1\n", /* 8 */
			      &z, &p),
			 -EBADMSG);
	for (size_t k = 0; p && k < p->count; k++) {
		ls_zone_problem_format(line, sizeof(line), &p->v[k]);
		print_message("  %s\n", line);
	}
	/* glue-missing twice (apex NS and sub NS), below-delegation,
	 * cname-exclusive, soa-not-apex, out-of-zone, soa-missing */
	assert_int_equal(p->errors, 7);
	assert_int_equal(count_check(p, "glue-missing"), 2);
	/* in file order; the missing SOA has no line and comes last */
	assert_int_equal(p->v[0].line, 2);
	assert_string_equal(p->v[p->count - 1].check, "soa-missing");
	assert_null(p->v[p->count - 1].file);
	ls_zone_problem_format(line, sizeof(line), &p->v[p->count - 1]);
	assert_string_equal(line,
			    "soa-missing: example. — no SOA record at the zone apex example.");
	for (size_t k = 0; k < p->count; k++)
		if (strcmp(p->v[k].check, "below-delegation") == 0) {
			assert_int_equal(p->v[k].line, 4);
			assert_string_equal(p->v[k].owner, "junk.sub.example.");
			assert_int_equal(p->v[k].type, LS_TYPE_TXT);
			assert_string_equal(p->v[k].rdata, "\"x\"");
			assert_string_equal(p->v[k].file, "test");
		}
	ls_zone_problems_free(p);
}

static void test_problem_list_cap(void **state)
{
	struct ls_zone_problems *p = calloc(1, sizeof(*p));

	for (int i = 0; i < LS_ZONE_MAX_PROBLEMS + 5; i++)
		assert_int_equal(
			ls_zone_problems_add(p, LS_ZONE_ERROR, "x", NULL, 0, NULL, 0, NULL, "m"),
			0);
	assert_int_equal(p->count, LS_ZONE_MAX_PROBLEMS);
	assert_int_equal(p->suppressed, 5);
	assert_int_equal(p->errors, LS_ZONE_MAX_PROBLEMS + 5);
	ls_zone_problems_free(p);
}

/* Many names: the index grows and every name is found again. */
static void test_many_names(void **state)
{
	static const uint8_t a[] = { 192, 0, 2, 1 };
	static const uint8_t soa[] = "\x02ns\x00\x01h\x00"
				     "\x00\x00\x00\x07\x00\x00\x00\x01\x00\x00\x00\x01"
				     "\x00\x00\x00\x01\x00\x00\x00\x01";
	static const uint8_t ns[] = "\x03ns1\x05other\x00";
	struct ls_zone_builder *b = ls_zone_builder_new(N("example."));
	struct ls_zone *z;
	struct ls_zone_problems *p;
	uint8_t owner[LS_DNAME_MAXLEN];
	char name[64];

	ls_zone_builder_add(b, N("example."), LS_TYPE_SOA, LS_CLASS_IN, 60, soa, sizeof(soa) - 1,
			    NULL);
	ls_zone_builder_add(b, N("example."), LS_TYPE_NS, LS_CLASS_IN, 60, ns, sizeof(ns) - 1,
			    NULL);
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "h%d.l%d.example.", i, i % 7);
		ls_dname_from_str(owner, name, NULL);
		assert_int_equal(
			ls_zone_builder_add(b, owner, LS_TYPE_A, LS_CLASS_IN, 1, a, 4, NULL), 0);
	}
	assert_int_equal(ls_zone_builder_finish(b, &z, &p), 0);
	assert_int_equal(ls_zone_node_count(z), 1 + 7 + 20000);
	for (int i = 0; i < 20000; i += 97) {
		snprintf(name, sizeof(name), "H%d.L%d.EXAMPLE.", i, i % 7);
		assert_non_null(ls_zone_find(z, N(name)));
	}
	for (size_t i = 1; i < ls_zone_node_count(z); i++)
		assert_true(ls_dname_cmp(ls_zone_node_name(z, ls_zone_node_at(z, i - 1)),
					 ls_zone_node_name(z, ls_zone_node_at(z, i))) < 0);
	ls_zone_free(z);
}

/* ---- the NSEC/NSEC3 chains ----------------------------------------------- */

/* Zone text grows into one static buffer: the chain tests build big zones. */
static char ztext[1 << 20];
static size_t zlen;

__attribute__((format(printf, 1, 2))) static void zput(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ztext + zlen, sizeof(ztext) - zlen, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(ztext) - zlen);
	zlen += (size_t)n;
}

/*
 * The walk the engine did before the chains existed (predecessor skipping
 * @skip, then back node by node, wrapping, to a holder of @type): the
 * reference ls_zone_chain_prev() must agree with. Counts the nodes it
 * visits in *@visited.
 */
static const struct ls_zone_node *walk_prev(const struct ls_zone *z, const uint8_t *name,
					    uint16_t type, unsigned skip, size_t *visited)
{
	const struct ls_zone_node *p = ls_zone_predecessor(z, name, skip);
	size_t count = ls_zone_node_count(z), i;

	*visited = 0;
	if (!p)
		return NULL;
	i = ls_zone_node_index(z, p);
	for (size_t k = 0; k < count; k++) {
		const struct ls_zone_node *x = ls_zone_node_at(z, (i + count - k) % count);
		(*visited)++;
		if (ls_zone_node_rrset(z, x, type))
			return x;
	}
	return NULL;
}

/* Every node name and a child and a sibling of each: chain_prev == walk. */
static void check_against_walk(const struct ls_zone *z, uint16_t type, unsigned skip)
{
	uint8_t name[LS_DNAME_MAXLEN];
	size_t visited;

	for (size_t i = 0; i < ls_zone_node_count(z); i++) {
		const uint8_t *own = ls_zone_node_name(z, ls_zone_node_at(z, i));
		size_t len = ls_dname_len(own);
		/* the name itself, "zz.<name>" (a child) and "<first label>0.<rest>" */
		const uint8_t *probe[3] = { own, name, name };
		for (int k = 0; k < 3; k++) {
			if (k == 1) {
				if (len + 3 > LS_DNAME_MAXLEN)
					continue;
				name[0] = 2;
				name[1] = 'z';
				name[2] = 'z';
				memcpy(name + 3, own, len);
			} else if (k == 2) {
				if (own[0] == 0 || own[0] == 63 || len + 1 > LS_DNAME_MAXLEN)
					continue;
				memcpy(name, own, len);
				memmove(name + 2 + own[0], name + 1 + own[0], len - 1 - own[0]);
				name[1 + own[0]] = '0';
				name[0]++;
			}
			assert_ptr_equal(ls_zone_chain_prev(z, probe[k], type),
					 walk_prev(z, probe[k], type, skip, &visited));
		}
	}
}

static void test_chain_nsec_far_predecessor(void **state)
{
	const size_t glue = 2000;
	const struct ls_zone_node *m;
	const uint32_t *chain;
	size_t count, visited;

	/* NSEC owners: the apex, a, m (a cut with 2000 glue hosts below), z */
	zlen = 0;
	zput("$TTL 300\n@ SOA ns.other. h 1 2 3 4 5\n@ NS ns.other.\n"
	     "@ DNSKEY 256 3 13 YW55IGtleSBieXRlcyE=\n@ NSEC a SOA NS DNSKEY NSEC\n"
	     "a A 192.0.2.1\na NSEC m A NSEC\nm NSEC z NS NSEC\nz A 192.0.2.2\n"
	     "z NSEC @ A NSEC\n");
	for (size_t i = 0; i < glue; i++)
		zput("m NS ns%zu.m\nns%zu.m A 192.0.2.3\n", i, i);
	struct ls_zone *z = load_ok(ztext);

	assert_true(ls_zone_is_signed(z));
	assert_int_equal(ls_zone_node_count(z), 4 + glue);
	chain = ls_zone_chain(z, LS_TYPE_NSEC, &count);
	assert_int_equal(count, 4);
	assert_string_equal(node_str(z, ls_zone_node_at(z, chain[0])), "example.");
	assert_string_equal(node_str(z, ls_zone_node_at(z, chain[1])), "a.example.");
	assert_string_equal(node_str(z, ls_zone_node_at(z, chain[2])), "m.example.");
	assert_string_equal(node_str(z, ls_zone_node_at(z, chain[3])), "z.example.");
	assert_null(ls_zone_chain(z, LS_TYPE_NSEC3, &count));
	assert_int_equal(count, 0);
	assert_null(ls_zone_chain_prev(z, N("n.example."), LS_TYPE_NSEC3));
	assert_null(ls_zone_chain_prev(z, N("n.example."), LS_TYPE_A));

	/* "n" sorts after every glue host of m: the old walk stepped back over
	 * all of them; the chain is a binary search over four owners */
	m = ls_zone_chain_prev(z, N("n.example."), LS_TYPE_NSEC);
	assert_string_equal(node_str(z, m), "m.example.");
	assert_ptr_equal(walk_prev(z, N("n.example."), LS_TYPE_NSEC,
				   LS_ZONE_NODE_ENT | LS_ZONE_NODE_OCCLUDED, &visited),
			 m);
	assert_int_equal(ls_zone_predecessor(z, N("n.example."), 0) - m, glue);
	/* case does not matter, and an owner does not cover itself */
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("N.Example."), LS_TYPE_NSEC)),
			    "m.example.");
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("z.example."), LS_TYPE_NSEC)),
			    "m.example.");
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("a.example."), LS_TYPE_NSEC)),
			    "example.");
	check_against_walk(z, LS_TYPE_NSEC, LS_ZONE_NODE_ENT | LS_ZONE_NODE_OCCLUDED);
	ls_zone_free(z);
}

static void test_chain_wrap_and_ents(void **state)
{
	/* a, then ENTs c. and b.c. above a.b.c, then d; the apex has no NSEC
	 * here, so names before "a" wrap to the last owner */
	struct ls_zone *z = load_ok("$TTL 300\n@ SOA ns.other. h 1 2 3 4 5\n@ NS ns.other.\n"
				    "a A 192.0.2.1\na NSEC a.b.c A NSEC\n"
				    "a.b.c A 192.0.2.2\na.b.c NSEC d A NSEC\n"
				    "d A 192.0.2.3\nd NSEC a A NSEC\n");
	size_t count;

	assert_false(ls_zone_is_signed(z));
	assert_non_null(ls_zone_chain(z, LS_TYPE_NSEC, &count));
	assert_int_equal(count, 3);
	/* ENT NODATA: the NSEC that skips the ENT */
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("c.example."), LS_TYPE_NSEC)),
			    "a.example.");
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("b.c.example."), LS_TYPE_NSEC)),
			    "a.example.");
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("0.a.b.c.example."), LS_TYPE_NSEC)),
			    "a.b.c.example.");
	/* wrap-around: the apex, a name before "a", and past the end */
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("example."), LS_TYPE_NSEC)),
			    "d.example.");
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("0.example."), LS_TYPE_NSEC)),
			    "d.example.");
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("a.example."), LS_TYPE_NSEC)),
			    "d.example.");
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N("zz.example."), LS_TYPE_NSEC)),
			    "d.example.");
	check_against_walk(z, LS_TYPE_NSEC, LS_ZONE_NODE_ENT | LS_ZONE_NODE_OCCLUDED);
	ls_zone_free(z);
}

static void test_chain_nsec3_opt_out(void **state)
{
	/* An opt-out chain of three hashed owners and 1500 unsigned delegations
	 * with glue whose names sort among the hashes ("g..." between the
	 * owners "0..." and "v..."): the old walk from a hash just after the
	 * delegations went back over every one of them. */
	const char *h0 = "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom";
	const char *h1 = "35mthgpgcu1qg68fab165klnsnk3dpvl";
	const char *h2 = "vbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	uint8_t hq[LS_DNAME_MAXLEN];
	char buf[128];
	size_t count, visited;
	const uint32_t *chain;

	zlen = 0;
	zput("$TTL 300\n@ SOA ns.other. h 1 2 3 4 5\n@ NS ns.other.\n"
	     "@ DNSKEY 256 3 13 YW55IGtleSBieXRlcyE=\n@ NSEC3PARAM 1 0 0 -\n");
	zput("%s NSEC3 1 1 0 - %s SOA NS DNSKEY NSEC3PARAM\n", h0, h1);
	zput("%s NSEC3 1 1 0 - %s A\n", h1, h2);
	zput("%s NSEC3 1 1 0 - %s A\n", h2, h0);
	for (int i = 0; i < 1500; i++)
		zput("g%04d NS ns.g%04d\nns.g%04d A 192.0.2.4\n", i, i, i);
	struct ls_zone *z = load_ok(ztext);

	assert_true(ls_zone_is_signed(z));
	assert_int_equal(ls_zone_node_count(z), 1 + 3 + 3000);
	chain = ls_zone_chain(z, LS_TYPE_NSEC3, &count);
	assert_int_equal(count, 3);
	snprintf(buf, sizeof(buf), "%s.example.", h1);
	assert_string_equal(node_str(z, ls_zone_node_at(z, chain[1])), buf);
	assert_null(ls_zone_chain(z, LS_TYPE_NSEC, &count));
	assert_int_equal(count, 0);

	/* "h..." sorts after all the g-delegations: covered by h1's NSEC3 */
	assert_true(ls_dname_from_str(hq, "h0000000000000000000000000000000.example.", NULL) > 0);
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, hq, LS_TYPE_NSEC3)), buf);
	assert_string_equal(node_str(z, walk_prev(z, hq, LS_TYPE_NSEC3, 0, &visited)), buf);
	assert_true(visited > 3000); /* the walk's cost, now one binary search over 3 */
	/* wrap-around: a hash before h0 is covered by the last, h2 */
	snprintf(buf, sizeof(buf), "%s.example.", h2);
	assert_true(ls_dname_from_str(hq, "00000000000000000000000000000000.example.", NULL) > 0);
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, hq, LS_TYPE_NSEC3)), buf);
	snprintf(buf, sizeof(buf), "%s.example.", h0);
	assert_string_equal(node_str(z, ls_zone_chain_prev(z, N(buf), LS_TYPE_NSEC3)),
			    node_str(z, ls_zone_node_at(z, chain[2])));
	check_against_walk(z, LS_TYPE_NSEC3, 0);
	ls_zone_free(z);
}

static void test_chain_none(void **state)
{
	struct ls_zone *z = load_ok(HEAD "www A 192.0.2.10\nsub NS ns.sub\nns.sub A 192.0.2.11\n");
	struct ls_zone *s;
	size_t count = 99;

	assert_false(ls_zone_is_signed(z));
	assert_null(ls_zone_chain(z, LS_TYPE_NSEC, &count));
	assert_int_equal(count, 0);
	assert_null(ls_zone_chain(z, LS_TYPE_NSEC3, &count));
	assert_int_equal(count, 0);
	assert_null(ls_zone_chain_prev(z, N("x.example."), LS_TYPE_NSEC));
	assert_null(ls_zone_chain_prev(z, N("x.example."), LS_TYPE_NSEC3));
	/* the chains cost nothing in an unsigned zone, 4 octets per owner else */
	s = load_ok(HEAD "www A 192.0.2.10\nsub NS ns.sub\nns.sub A 192.0.2.11\n"
			 "@ NSEC www NS SOA NSEC\nwww NSEC @ A NSEC\n");
	size_t nsec_rdata = 0;
	for (size_t i = 0; i < ls_zone_node_count(s); i++) {
		const struct ls_zone_rrset *rs =
			ls_zone_node_rrset(s, ls_zone_node_at(s, i), LS_TYPE_NSEC);
		struct ls_zone_rdata_iter it;
		const uint8_t *rd;
		uint16_t len;
		if (!rs)
			continue;
		ls_zone_rdata_begin(s, rs, &it);
		while (ls_zone_rdata_next(&it, &rd, &len))
			nsec_rdata += sizeof(len) + len;
	}
	assert_int_equal(ls_zone_memory(s) - ls_zone_memory(z),
			 (ls_zone_rrset_count(s) - ls_zone_rrset_count(z)) *
					 sizeof(struct ls_zone_rrset) +
				 nsec_rdata + 2 * sizeof(uint32_t));
	ls_zone_free(s);
	ls_zone_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_find),
		cmocka_unit_test(test_canonical_order),
		cmocka_unit_test(test_closest_encloser),
		cmocka_unit_test(test_cut_dname_wildcard),
		cmocka_unit_test(test_nested_cut),
		cmocka_unit_test(test_predecessor),
		cmocka_unit_test(test_rrsig_groups),
		cmocka_unit_test(test_ttl_mismatch_and_duplicates),
		cmocka_unit_test(test_builder_direct),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_checks_table),
		cmocka_unit_test(test_every_problem),
		cmocka_unit_test(test_problem_list_cap),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_chain_nsec_far_predecessor),
		cmocka_unit_test(test_chain_wrap_and_ents),
		cmocka_unit_test(test_chain_nsec3_opt_out),
		cmocka_unit_test(test_chain_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
