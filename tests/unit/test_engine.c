/* SPDX-License-Identifier: MIT */
/*
 * test_engine.c — the answer engine, one test per answer type.
 *
 * Owns: queries against tests/data/engine/example.zone and its signed
 * variants (NSEC, NSEC3; made by tests/data/engine/gen.sh) and the checks
 * that each answer type has the sections RFC 1034/4035/4592/5155/6672 ask
 * for; plus generated zones where a denial proof's NSEC/NSEC3 lies a
 * thousand nodes back (glue, opt-out delegations). The differential test against knotd (tests/integration/
 * test_engine_knot.sh) covers the same ground at volume; these tests say
 * what each case must look like.
 * Must not: depend on knotd or the network.
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

#include "agent/engine.h"
#include "common/dname.h"
#include "common/dnssec.h"
#include "common/message.h"
#include "common/zone.h"
#include "common/zonefile.h"

static struct ls_zone *plain, *nsec, *nsec3;

struct lookup_ctx {
	const struct ls_zone *z;
	bool withdrawn;
};

static const struct ls_zone *lookup_one(void *ctx, const uint8_t *qname, bool *silent)
{
	struct lookup_ctx *c = ctx;

	*silent = false;
	if (!ls_dname_is_sub(qname, ls_zone_origin(c->z)))
		return NULL;
	if (c->withdrawn) {
		*silent = true;
		return NULL;
	}
	return c->z;
}

/* query options */
#define Q_NOEDNS 0x10000u
#define Q_DO 0x20000u
#define Q_TCP 0x40000u

static uint8_t qbuf[LS_MSG_MAXLEN], rbuf[LS_MSG_MAXLEN];
static struct ls_msg resp;
static struct ls_engine_stats stats;
static int rlen;

/* Build a query: @opts holds the EDNS payload size in its low 16 bits (0:
 * 1232) and the Q_* flags. */
static size_t make_query(const char *name, uint16_t qtype, unsigned opts)
{
	static struct ls_msg_writer w;
	uint8_t qname[LS_DNAME_MAXLEN];

	assert_true(ls_dname_from_str(qname, name, NULL) > 0);
	assert_int_equal(ls_msg_writer_init(&w, qbuf, sizeof(qbuf)), 0);
	ls_msg_set_header(&w, 0xbeef, 0);
	assert_int_equal(ls_msg_put_question(&w, qname, qtype, LS_CLASS_IN), 0);
	if (!(opts & Q_NOEDNS)) {
		struct ls_msg_edns e = { .udp_size = (opts & 0xffff) ? (opts & 0xffff) : 1232,
					 .flags = (opts & Q_DO) ? LS_EDNS_DO : 0 };
		assert_int_equal(ls_msg_put_opt(&w, &e), 0);
	}
	return ls_msg_len(&w);
}

static int ask_raw(const struct ls_zone *z, const uint8_t *q, size_t qlen, int transport,
		   bool withdrawn)
{
	struct lookup_ctx ctx = { .z = z, .withdrawn = withdrawn };

	rlen = ls_engine_respond(q, qlen, transport, lookup_one, &ctx, rbuf, sizeof(rbuf), &stats);
	if (rlen > 0)
		assert_int_equal(ls_msg_parse(&resp, rbuf, (size_t)rlen), 0);
	return rlen;
}

static void ask(const struct ls_zone *z, const char *name, uint16_t qtype, unsigned opts)
{
	size_t qlen = make_query(name, qtype, opts);

	assert_true(ask_raw(z, qbuf, qlen, (opts & Q_TCP) ? LS_ENGINE_TCP : LS_ENGINE_UDP, false) >
		    0);
}

static unsigned rcode(void)
{
	return ls_msg_rcode(&resp);
}

static bool flag(uint16_t f)
{
	return (resp.flags & f) != 0;
}

/* Records of @type (0: any) in @sec; with @owner, only those it owns. */
static int count(enum ls_msg_section sec, uint16_t type, const char *owner)
{
	static struct ls_msg_rr rr;
	struct ls_msg_iter it;
	uint8_t o[LS_DNAME_MAXLEN];
	int n = 0, r;

	if (owner)
		assert_true(ls_dname_from_str(o, owner, NULL) > 0);
	ls_msg_iter_init(&it, &resp, sec);
	while ((r = ls_msg_iter_next(&it, &rr)) == 1)
		if ((!type || rr.type == type) && (!owner || ls_dname_equal(rr.owner, o)))
			n++;
	assert_int_equal(r, 0);
	return n;
}

/* TTL of the first record of @type in @sec. */
static uint32_t ttl_of(enum ls_msg_section sec, uint16_t type)
{
	static struct ls_msg_rr rr;
	struct ls_msg_iter it;

	ls_msg_iter_init(&it, &resp, sec);
	while (ls_msg_iter_next(&it, &rr) == 1)
		if (rr.type == type)
			return rr.ttl;
	fail_msg("no record of type %u", type);
	return 0;
}

static int load(const char *file, struct ls_zone **z)
{
	char path[512];
	uint8_t origin[LS_DNAME_MAXLEN];

	ls_dname_from_str(origin, "example.", NULL);
	snprintf(path, sizeof(path), "%s/engine/%s", LS_TEST_DATA, file);
	return ls_zonefile_load(path, origin, NULL, z, NULL);
}

static int setup(void **state)
{
	if (load("example.zone", &plain) || load("example.nsec.zone", &nsec) ||
	    load("example.nsec3.zone", &nsec3))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	ls_zone_free(plain);
	ls_zone_free(nsec);
	ls_zone_free(nsec3);
	return 0;
}

/* ---- positive answers ---- */

static void test_exact(void **state)
{
	ask(plain, "www.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_true(flag(LS_FLAG_AA));
	assert_false(flag(LS_FLAG_TC));
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_A, "www.example."), 1);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 1);
	assert_int_equal(resp.count[LS_SECTION_AUTHORITY], 0);
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_OPT, NULL), 1);
	assert_int_equal(resp.edns.udp_size, LS_ENGINE_EDNS_PAYLOAD);
}

static void test_cname_chain(void **state)
{
	ask(plain, "alias2.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_true(flag(LS_FLAG_AA));
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_CNAME, "alias2.example."), 1);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_CNAME, "alias.example."), 1);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_A, "www.example."), 1);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 3);
}

static void test_cname_loop(void **state)
{
	ask(plain, "loop1.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_CNAME, NULL), 2);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 2);
}

static void test_cname_out_of_zone(void **state)
{
	ask(plain, "out.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 1);
	assert_int_equal(resp.count[LS_SECTION_AUTHORITY], 0);
}

static void test_dname(void **state)
{
	static struct ls_msg_rr rr;
	struct ls_msg_iter it;
	char target[LS_DNAME_STRLEN];

	ask(plain, "x.y.dn.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_true(flag(LS_FLAG_AA));
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_DNAME, "dn.example."), 1);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_CNAME, "x.y.dn.example."), 1);
	ls_msg_iter_init(&it, &resp, LS_SECTION_ANSWER);
	while (ls_msg_iter_next(&it, &rr) == 1) {
		if (rr.type != LS_TYPE_CNAME)
			continue;
		ls_dname_to_str(target, sizeof(target), rr.rdata);
		assert_string_equal(target, "x.y.target.example.net.");
		assert_int_equal(rr.ttl, 3600); /* the DNAME's TTL (RFC 6672 §3.3) */
	}
}

static void test_wildcard(void **state)
{
	ask(plain, "foo.wild.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_true(flag(LS_FLAG_AA));
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_A, "foo.wild.example."), 1);

	/* RFC 4592 §2.2.1: no match below an existing name... */
	ask(plain, "x.exists.wild.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NXDOMAIN);
	/* ...nor below an empty non-terminal */
	ask(plain, "x.b.ent.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NXDOMAIN);
	/* the literal wildcard name answers as itself */
	ask(plain, "*.wild.example.", LS_TYPE_TXT, 0);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_TXT, "*.wild.example."), 1);
	/* wildcard NODATA */
	ask(plain, "foo.wild.example.", LS_TYPE_MX, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 0);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_SOA, NULL), 1);
}

static void test_wildcard_cname(void **state)
{
	ask(plain, "foo.wc.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_CNAME, "foo.wc.example."), 1);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_A, "www.example."), 1);
}

static void test_referral_glue(void **state)
{
	ask(plain, "host.sub.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_false(flag(LS_FLAG_AA));
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 0);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NS, "sub.example."), 2);
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_A, "ns.sub.example."), 1);
	/* a query for the glue itself is a referral too */
	ask(plain, "ns.sub.example.", LS_TYPE_A, 0);
	assert_false(flag(LS_FLAG_AA));
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 0);
}

static void test_ds_referral_dnssec(void **state)
{
	ask(nsec, "host.sec.example.", LS_TYPE_A, Q_DO);
	assert_false(flag(LS_FLAG_AA));
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NS, "sec.example."), 1);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_DS, "sec.example."), 1);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_RRSIG, "sec.example."), 1);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, NULL), 0);
	/* insecure delegation: the NSEC without DS in its bitmap */
	ask(nsec, "host.sub.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, "sub.example."), 1);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_RRSIG, "sub.example."), 1);
	/* NSEC3: the NSEC3 matching the cut */
	ask(nsec3, "host.sub.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC3, NULL), 1);
	/* the DS itself is the parent's authoritative data */
	ask(nsec, "sec.example.", LS_TYPE_DS, Q_DO);
	assert_true(flag(LS_FLAG_AA));
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_DS, NULL), 1);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_RRSIG, NULL), 1);
	/* without DO: no DNSSEC records at all */
	ask(nsec, "host.sec.example.", LS_TYPE_A, 0);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_DS, NULL), 0);
}

static void test_nodata(void **state)
{
	ask(plain, "www.example.", LS_TYPE_TXT, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_true(flag(LS_FLAG_AA));
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 0);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_SOA, "example."), 1);
	assert_int_equal(ttl_of(LS_SECTION_AUTHORITY, LS_TYPE_SOA), 300); /* RFC 2308 §3 */
	/* an empty non-terminal is NODATA, not NXDOMAIN */
	ask(plain, "b.ent.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_SOA, NULL), 1);
}

static void test_nxdomain(void **state)
{
	ask(plain, "nx.example.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_NXDOMAIN);
	assert_true(flag(LS_FLAG_AA));
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_SOA, "example."), 1);
	assert_int_equal(ttl_of(LS_SECTION_AUTHORITY, LS_TYPE_SOA), 300);
	assert_int_equal(stats.nxdomain > 0, 1);
}

static void test_nsec_denial(void **state)
{
	ask(nsec, "nx.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(rcode(), LS_RCODE_NXDOMAIN);
	/* "ns1" covers "nx"; the apex NSEC covers "*.example" */
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, "ns1.example."), 1);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, "example."), 1);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_RRSIG, NULL), 3);
	/* NODATA: the node's own NSEC */
	ask(nsec, "www.example.", LS_TYPE_TXT, Q_DO);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, "www.example."), 1);
	/* a wildcard answer carries the NSEC that proves the name absent */
	ask(nsec, "foo.wild.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_RRSIG, "foo.wild.example."), 1);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, "exists.wild.example."), 1);
}

/* Does one NSEC3 in the authority section match or cover H(@name)? */
static bool nsec3_proves(const char *name, bool match)
{
	static struct ls_msg_rr rr;
	struct ls_msg_iter it;
	uint8_t wire[LS_DNAME_MAXLEN], h[LS_DNSSEC_NSEC3_HASHLEN], own[LS_DNSSEC_NSEC3_HASHLEN];

	ls_dname_from_str(wire, name, NULL);
	assert_int_equal(ls_dnssec_nsec3_hash(h, wire, 1, 0, NULL, 0), 0);
	ls_msg_iter_init(&it, &resp, LS_SECTION_AUTHORITY);
	while (ls_msg_iter_next(&it, &rr) == 1) {
		if (rr.type != LS_TYPE_NSEC3)
			continue;
		assert_int_equal(ls_dnssec_b32hex_decode(own, sizeof(own), (char *)rr.owner + 1,
							 rr.owner[0]),
				 LS_DNSSEC_NSEC3_HASHLEN);
		const uint8_t *next = rr.rdata + 5 + rr.rdata[4] + 1;
		int lo = memcmp(own, h, sizeof(h)), hi = memcmp(h, next, sizeof(h));
		bool wraps = memcmp(own, next, sizeof(h)) >= 0;
		if (match && lo == 0)
			return true;
		if (!match && ((lo < 0 && hi < 0) || (wraps && (lo < 0 || hi < 0))))
			return true;
	}
	return false;
}

static void test_nsec3_denial(void **state)
{
	ask(nsec3, "nx.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(rcode(), LS_RCODE_NXDOMAIN);
	/* RFC 5155 §7.2.2: closest encloser, next closer, wildcard */
	assert_true(nsec3_proves("example.", true));
	assert_true(nsec3_proves("nx.example.", false));
	assert_true(nsec3_proves("*.example.", false));
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_SOA, NULL), 1);
	/* NODATA: the matching NSEC3 */
	ask(nsec3, "www.example.", LS_TYPE_TXT, Q_DO);
	assert_true(nsec3_proves("www.example.", true));
	/* ENT NODATA: ENTs have NSEC3s */
	ask(nsec3, "b.ent.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_true(nsec3_proves("b.ent.example.", true));
	/* wildcard answer: next closer covered */
	ask(nsec3, "foo.wild.example.", LS_TYPE_A, Q_DO);
	assert_true(nsec3_proves("foo.wild.example.", false));
	/* wildcard NODATA, RFC 5155 §7.2.5 */
	ask(nsec3, "foo.wild.example.", LS_TYPE_MX, Q_DO);
	assert_true(nsec3_proves("wild.example.", true));
	assert_true(nsec3_proves("foo.wild.example.", false));
	assert_true(nsec3_proves("*.wild.example.", true));
}

/* ---- denial proofs across long stretches without NSEC/NSEC3 ---- */

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

static struct ls_zone *load_text(void)
{
	struct ls_zone *z = NULL;
	uint8_t origin[LS_DNAME_MAXLEN];

	ls_dname_from_str(origin, "example.", NULL);
	assert_int_equal(ls_zonefile_load_string(ztext, zlen, "test", origin, NULL, &z, NULL), 0);
	return z;
}

/*
 * NSEC: a cut with 1000 glue hosts between two NSEC owners. The NSEC that
 * covers a name after the last host is the cut's, found by the chain's
 * binary search (before: a walk back over every host, per query).
 */
static void test_nsec_cover_far(void **state)
{
	struct ls_zone *z;

	zlen = 0;
	zput("$TTL 300\n@ SOA ns.other. h 1 2 3 4 300\n@ NS ns.other.\n"
	     "@ DNSKEY 256 3 13 YW55IGtleSBieXRlcyE=\n@ NSEC a SOA NS DNSKEY NSEC\n"
	     "a A 192.0.2.1\na NSEC m A NSEC\nm NSEC z NS NSEC\nz A 192.0.2.2\n"
	     "z NSEC @ A NSEC\n");
	for (int i = 0; i < 1000; i++)
		zput("m NS ns%d.m\nns%d.m A 192.0.2.3\n", i, i);
	z = load_text();

	ask(z, "n.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(rcode(), LS_RCODE_NXDOMAIN);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, NULL), 2);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, "m.example."), 1);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, "example."), 1);
	/* a name below the glue hosts' level and one before the first owner */
	ask(z, "zz.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, "z.example."), 1);
	/* without DO no proof at all */
	ask(z, "n.example.", LS_TYPE_A, 0);
	assert_int_equal(count(LS_SECTION_AUTHORITY, LS_TYPE_NSEC, NULL), 0);
	ls_zone_free(z);
}

/* base32hex of H(@name) (SHA-1, no extra iterations, no salt), lowercased, into @out. */
static void hash_label(char out[LS_DNSSEC_NSEC3_B32LEN + 1], const char *name)
{
	uint8_t wire[LS_DNAME_MAXLEN], h[LS_DNSSEC_NSEC3_HASHLEN];

	assert_true(ls_dname_from_str(wire, name, NULL) > 0);
	assert_int_equal(ls_dnssec_nsec3_hash(h, wire, 1, 0, NULL, 0), 0);
	assert_int_equal(ls_dnssec_b32hex_encode(out, LS_DNSSEC_NSEC3_B32LEN + 1, h, sizeof(h)),
			 LS_DNSSEC_NSEC3_B32LEN);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * NSEC3 with opt-out: 1000 unsigned delegations with glue, whose names sort
 * among the hashed owners, and an NSEC3 chain of three (apex, a, z). Every
 * proof must still name the right NSEC3s.
 */
static void test_nsec3_opt_out_far(void **state)
{
	static char h[3][LS_DNSSEC_NSEC3_B32LEN + 1];
	struct ls_zone *z;

	hash_label(h[0], "example.");
	hash_label(h[1], "a.example.");
	hash_label(h[2], "z.example.");
	qsort(h, 3, sizeof(h[0]), str_cmp);
	zlen = 0;
	zput("$TTL 300\n@ SOA ns.other. h 1 2 3 4 300\n@ NS ns.other.\n"
	     "@ DNSKEY 256 3 13 YW55IGtleSBieXRlcyE=\n@ NSEC3PARAM 1 0 0 -\n"
	     "a A 192.0.2.1\nz A 192.0.2.2\n");
	/* the bitmaps do not matter to the engine; the order and flags do */
	for (int i = 0; i < 3; i++)
		zput("%s NSEC3 1 1 0 - %s A\n", h[i], h[(i + 1) % 3]);
	for (int i = 0; i < 1000; i++)
		zput("%c%03d NS ns.%c%03d\nns.%c%03d A 192.0.2.4\n", 'c' + i % 20, i, 'c' + i % 20,
		     i, 'c' + i % 20, i);
	z = load_text();

	ask(z, "nx.example.", LS_TYPE_A, Q_DO);
	assert_int_equal(rcode(), LS_RCODE_NXDOMAIN);
	assert_true(nsec3_proves("example.", true));
	assert_true(nsec3_proves("nx.example.", false));
	assert_true(nsec3_proves("*.example.", false));
	/* NODATA at a name with an NSEC3 */
	ask(z, "a.example.", LS_TYPE_TXT, Q_DO);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_true(nsec3_proves("a.example.", true));
	/* an opt-out delegation: closest provable encloser and next closer */
	ask(z, "host.e002.example.", LS_TYPE_A, Q_DO);
	assert_false(flag(LS_FLAG_AA));
	assert_true(nsec3_proves("example.", true));
	assert_true(nsec3_proves("e002.example.", false));
	ls_zone_free(z);
}

static void test_any(void **state)
{
	/* RFC 8482 §4.1: one RRset, as knotd picks it (the lowest type) */
	ask(plain, "example.", LS_TYPE_ANY, 0);
	assert_int_equal(rcode(), LS_RCODE_NOERROR);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 1);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_A, NULL), 1);
	/* same over TCP */
	ask(plain, "example.", LS_TYPE_ANY, Q_TCP);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 1);
	/* under DO the RRset comes with its signatures */
	ask(nsec, "www.example.", LS_TYPE_ANY, Q_DO);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_A, NULL), 1);
	assert_int_equal(count(LS_SECTION_ANSWER, LS_TYPE_RRSIG, NULL), 1);
	assert_int_equal(count(LS_SECTION_ANSWER, 0, NULL), 2);
}

static void test_truncation(void **state)
{
	/* six 105-octet TXT: too big for 512, fine for 1232 */
	ask(plain, "big.example.", LS_TYPE_TXT, Q_NOEDNS);
	assert_true(flag(LS_FLAG_TC));
	assert_true(flag(LS_FLAG_AA));
	assert_int_equal(resp.count[LS_SECTION_QUESTION], 1);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 0);
	assert_true(rlen <= 512);
	ask(plain, "big.example.", LS_TYPE_TXT, 512);
	assert_true(flag(LS_FLAG_TC));
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_OPT, NULL), 1);
	ask(plain, "big.example.", LS_TYPE_TXT, 4096);
	assert_false(flag(LS_FLAG_TC));
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 6);
	ask(plain, "big.example.", LS_TYPE_TXT, Q_NOEDNS | Q_TCP);
	assert_false(flag(LS_FLAG_TC));
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 6);
	/* a payload below 512 counts as 512 (RFC 6891 §6.2.3) */
	ask(plain, "example.", LS_TYPE_SOA, 100);
	assert_false(flag(LS_FLAG_TC));
}

static void test_refused(void **state)
{
	ask(plain, "www.example.org.", LS_TYPE_A, 0);
	assert_int_equal(rcode(), LS_RCODE_REFUSED);
	assert_false(flag(LS_FLAG_AA));
	assert_int_equal(resp.count[LS_SECTION_QUESTION], 1);
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_OPT, NULL), 1);
	/* CHAOS and other classes are refused too */
	size_t len = make_query("www.example.", LS_TYPE_A, Q_NOEDNS);
	qbuf[len - 1] = LS_CLASS_CH;
	ask_raw(plain, qbuf, len, LS_ENGINE_UDP, false);
	assert_int_equal(rcode(), LS_RCODE_REFUSED);
}

static void test_formerr(void **state)
{
	size_t len = make_query("www.example.", LS_TYPE_A, Q_NOEDNS);
	uint64_t before = stats.formerr;

	/* QDCOUNT 2 */
	memcpy(qbuf + len, qbuf + 12, len - 12);
	qbuf[5] = 2;
	assert_true(ask_raw(plain, qbuf, len + (len - 12), LS_ENGINE_UDP, false) > 0);
	assert_int_equal(rcode(), LS_RCODE_FORMERR);
	/* QDCOUNT 0: header only */
	qbuf[5] = 0;
	assert_true(ask_raw(plain, qbuf, 12, LS_ENGINE_UDP, false) > 0);
	assert_int_equal(rcode(), LS_RCODE_FORMERR);
	assert_int_equal(resp.count[LS_SECTION_QUESTION], 0);
	/* trailing garbage */
	qbuf[5] = 1;
	qbuf[len] = 0xff;
	assert_true(ask_raw(plain, qbuf, len + 1, LS_ENGINE_UDP, false) > 0);
	assert_int_equal(rcode(), LS_RCODE_FORMERR);
	assert_int_equal(resp.count[LS_SECTION_QUESTION], 1);
	/* an answer count the octets cannot hold */
	qbuf[7] = 50;
	assert_true(ask_raw(plain, qbuf, len, LS_ENGINE_UDP, false) > 0);
	assert_int_equal(rcode(), LS_RCODE_FORMERR);
	assert_int_equal(stats.formerr, before + 4);
}

static void test_notimp(void **state)
{
	size_t len = make_query("www.example.", LS_TYPE_SOA, 0);

	qbuf[2] = LS_OPCODE_UPDATE << 3;
	ask_raw(plain, qbuf, len, LS_ENGINE_UDP, false);
	assert_int_equal(rcode(), LS_RCODE_NOTIMP);
	assert_int_equal(ls_msg_opcode(&resp), LS_OPCODE_UPDATE);
	qbuf[2] = 3 << 3;
	ask_raw(plain, qbuf, len, LS_ENGINE_UDP, false);
	assert_int_equal(rcode(), LS_RCODE_NOTIMP);
	/* NOTIFY is refused on the service address */
	qbuf[2] = LS_OPCODE_NOTIFY << 3;
	ask_raw(plain, qbuf, len, LS_ENGINE_UDP, false);
	assert_int_equal(rcode(), LS_RCODE_REFUSED);
	/* AXFR over UDP */
	len = make_query("example.", LS_TYPE_AXFR, 0);
	ask_raw(plain, qbuf, len, LS_ENGINE_UDP, false);
	assert_int_equal(rcode(), LS_RCODE_NOTIMP);
	ask_raw(plain, qbuf, len, LS_ENGINE_TCP, false);
	assert_int_equal(rcode(), LS_RCODE_REFUSED);
}

static void test_badvers(void **state)
{
	size_t len = make_query("www.example.", LS_TYPE_A, Q_DO);

	qbuf[len - 5] = 1; /* the OPT TTL's version octet */
	ask_raw(plain, qbuf, len, LS_ENGINE_UDP, false);
	assert_int_equal(rcode(), LS_RCODE_BADVERS);
	assert_true(resp.has_edns);
	assert_int_equal(resp.edns.version, 0);
	assert_true(resp.edns.flags & LS_EDNS_DO);
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 0);
}

static void test_badkey(void **state)
{
	static struct ls_msg_writer w;
	uint8_t key[LS_DNAME_MAXLEN], alg[LS_DNAME_MAXLEN], qname[LS_DNAME_MAXLEN], rd[128];
	size_t alen, p;

	ls_dname_from_str(qname, "www.example.", NULL);
	ls_dname_from_str(key, "some-key.", NULL);
	alen = (size_t)ls_dname_from_str(alg, "hmac-sha256.", NULL);
	memcpy(rd, alg, alen);
	p = alen;
	memcpy(rd + p, "\x00\x00\x65\x00\x00\x00\x01\x2c\x00\x20", 10); /* time, fudge, MAC size */
	p += 10;
	memset(rd + p, 0x11, 32);
	p += 32;
	memcpy(rd + p, "\xbe\xef\x00\x00\x00\x00", 6);
	p += 6;
	ls_msg_writer_init(&w, qbuf, sizeof(qbuf));
	ls_msg_set_header(&w, 0xbeef, 0);
	ls_msg_put_question(&w, qname, LS_TYPE_A, LS_CLASS_IN);
	assert_int_equal(
		ls_msg_put_rr(&w, LS_SECTION_ADDITIONAL, key, LS_TYPE_TSIG, LS_CLASS_ANY, 0, rd, p),
		0);
	ask_raw(plain, qbuf, ls_msg_len(&w), LS_ENGINE_UDP, false);
	assert_int_equal(rcode(), LS_RCODE_NOTAUTH);
	assert_true(resp.has_tsig);
	assert_int_equal(resp.tsig.error, LS_RCODE_BADKEY);
	assert_int_equal(resp.tsig.mac_len, 0);
	assert_true(ls_dname_equal(resp.tsig.key, key));
	assert_int_equal(resp.count[LS_SECTION_ANSWER], 0);
}

static void test_case_echo_and_compression(void **state)
{
	ask(plain, "WwW.ExAmPlE.", LS_TYPE_A, 0);
	/* the question octets are the client's */
	assert_memory_equal(rbuf + 12,
			    "\x03WwW\x07"
			    "ExAmPlE\x00",
			    13);
	/* the answer owner is a pointer to the question name */
	size_t ans = 12 + 13 + 4;
	assert_int_equal(rbuf[ans], 0xc0);
	assert_int_equal(rbuf[ans + 1], 12);
	/* NS targets and SOA names share suffixes */
	ask(plain, "example.", LS_TYPE_NS, 0);
	size_t plainlen = 0;
	static struct ls_msg_rr rr;
	struct ls_msg_iter it;
	for (int s = LS_SECTION_ANSWER; s <= LS_SECTION_ADDITIONAL; s++) {
		ls_msg_iter_init(&it, &resp, s);
		while (ls_msg_iter_next(&it, &rr) == 1)
			plainlen += rr.owner_len + 10 + rr.rdlen;
	}
	assert_true((size_t)rlen < 12 + 13 + plainlen);
	/* NS answer gets the in-zone server's addresses */
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_A, "ns1.example."), 1);
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_AAAA, "ns1.example."), 1);
}

static void test_additional(void **state)
{
	ask(plain, "example.", LS_TYPE_MX, 0);
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_A, "mail.example."), 1);
	ask(plain, "_sip._udp.example.", LS_TYPE_SRV, 0);
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_A, "www.example."), 1);
	assert_int_equal(count(LS_SECTION_ADDITIONAL, LS_TYPE_AAAA, "www.example."), 1);
}

static void test_withdrawn_and_drops(void **state)
{
	size_t len = make_query("www.example.", LS_TYPE_A, 0);
	uint64_t w = stats.dropped_withdrawn, d = stats.dropped_malformed;

	assert_int_equal(ask_raw(plain, qbuf, len, LS_ENGINE_UDP, true), 0);
	assert_int_equal(stats.dropped_withdrawn, w + 1);
	/* not a zone of ours, withdrawn or not: REFUSED */
	len = make_query("www.example.org.", LS_TYPE_A, 0);
	assert_true(ask_raw(plain, qbuf, len, LS_ENGINE_UDP, true) > 0);
	/* QR set, short header, unreadable question: silence */
	len = make_query("www.example.", LS_TYPE_A, 0);
	qbuf[2] |= 0x80;
	assert_int_equal(ask_raw(plain, qbuf, len, LS_ENGINE_UDP, false), 0);
	assert_int_equal(ask_raw(plain, qbuf, 11, LS_ENGINE_UDP, false), 0);
	qbuf[2] &= 0x7f;
	assert_int_equal(ask_raw(plain, qbuf, 16, LS_ENGINE_UDP, false), 0);
	/* a compression loop in the question */
	memcpy(qbuf + 12, "\xc0\x0c\x00\x01\x00\x01", 6);
	qbuf[11] = 0;
	assert_int_equal(ask_raw(plain, qbuf, 18, LS_ENGINE_UDP, false), 0);
	assert_int_equal(stats.dropped_malformed, d + 4);
}

static void test_deterministic(void **state)
{
	static uint8_t first[LS_MSG_MAXLEN];
	const char *names[] = { "nx.example.", "foo.wild.example.", "host.sub.example.",
				"alias2.example." };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = make_query(names[i], LS_TYPE_A, Q_DO);
		int a = ask_raw(nsec3, qbuf, len, LS_ENGINE_UDP, false);
		memcpy(first, rbuf, (size_t)a);
		int b = ask_raw(nsec3, qbuf, len, LS_ENGINE_UDP, false);
		assert_int_equal(a, b);
		assert_memory_equal(first, rbuf, (size_t)a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_loop),
		cmocka_unit_test(test_cname_out_of_zone),
		cmocka_unit_test(test_dname),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_wildcard_cname),
		cmocka_unit_test(test_referral_glue),
		cmocka_unit_test(test_ds_referral_dnssec),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_nsec_denial),
		cmocka_unit_test(test_nsec3_denial),
		cmocka_unit_test(test_nsec_cover_far),
		cmocka_unit_test(test_nsec3_opt_out_far),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_formerr),
		cmocka_unit_test(test_notimp),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_badkey),
		cmocka_unit_test(test_case_echo_and_compression),
		cmocka_unit_test(test_additional),
		cmocka_unit_test(test_withdrawn_and_drops),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
