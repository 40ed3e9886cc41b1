/* SPDX-License-Identifier: MIT */
/*
 * test_xfrin.c — the transfer stream parser of agent/xfrin: a real
 * two-message AXFR captured from knotd, and crafted streams for every rule:
 * the first and the closing SOA, records after the end, a truncated stream,
 * error RCODEs, TC, a foreign question, records outside the zone or of
 * another class, the size limits; IXFR up to date, incremental deltas
 * (chained, with cancellation and TTL changes), AXFR-style IXFR answers,
 * deltas that do not chain, go backwards or delete what is not there.
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

#include "agent/xfrin.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/rdata.h"
#include "common/zonefile.h"

static const uint8_t origin[] = "\x07"
				"example\x03"
				"com";

/* ---- building responses ---- */

struct resp {
	uint8_t buf[8192];
	struct ls_msg_writer w;
	struct ls_msg m;
};

static struct resp *resp_new(uint16_t qtype, uint16_t flags)
{
	struct resp *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	assert_int_equal(ls_msg_writer_init(&r->w, r->buf, sizeof(r->buf)), 0);
	ls_msg_set_header(&r->w, 1, LS_FLAG_QR | LS_FLAG_AA | flags);
	if (qtype)
		assert_int_equal(ls_msg_put_question(&r->w, origin, qtype, LS_CLASS_IN), 0);
	return r;
}

static void soa(struct resp *r, uint32_t serial)
{
	uint8_t rd[64];
	size_t n = 0;

	memcpy(rd,
	       "\x03ns1\x07"
	       "example\x03"
	       "com\x00",
	       17);
	n = 17;
	memcpy(rd + n,
	       "\x02hm\x07"
	       "example\x03"
	       "com\x00",
	       16);
	n += 16;
	uint32_t v[5] = { serial, 3600, 600, 86400, 300 };
	for (int i = 0; i < 5; i++) {
		rd[n++] = (uint8_t)(v[i] >> 24);
		rd[n++] = (uint8_t)(v[i] >> 16);
		rd[n++] = (uint8_t)(v[i] >> 8);
		rd[n++] = (uint8_t)v[i];
	}
	assert_int_equal(ls_msg_put_rr(&r->w, LS_SECTION_ANSWER, origin, LS_TYPE_SOA, LS_CLASS_IN,
				       3600, rd, n),
			 0);
}

static void rr(struct resp *r, const char *owner, uint16_t type, uint32_t ttl, const char *rdhex,
	       uint16_t rclass)
{
	uint8_t name[LS_DNAME_MAXLEN], rd[256];
	size_t n = strlen(rdhex) / 2;

	assert_true(ls_dname_from_str(name, owner, NULL) > 0);
	for (size_t i = 0; i < n; i++)
		sscanf(rdhex + 2 * i, "%2hhx", &rd[i]);
	assert_int_equal(ls_msg_put_rr(&r->w, LS_SECTION_ANSWER, name, type, rclass, ttl, rd, n),
			 0);
}

static void ns(struct resp *r)
{
	rr(r, "example.com.", LS_TYPE_NS, 3600, "036e7331076578616d706c6503636f6d00", LS_CLASS_IN);
}

static void a(struct resp *r, const char *owner, const char *hex)
{
	rr(r, owner, LS_TYPE_A, 3600, hex, LS_CLASS_IN);
}

static int feed(struct ls_xfr_parser *p, struct resp *r)
{
	int err;

	assert_int_equal(ls_msg_parse(&r->m, r->buf, ls_msg_len(&r->w)), 0);
	err = ls_xfr_parser_feed(p, &r->m);
	free(r);
	return err;
}

static struct ls_xfr_parser *parser(uint16_t qtype, const struct ls_zone *base)
{
	struct ls_xfr_parser *p;

	assert_int_equal(ls_xfr_parser_new(origin, qtype, base, 0, 0, &p), 0);
	return p;
}

/* A minimal valid AXFR body after the first SOA. */
static void body(struct resp *r)
{
	ns(r);
	a(r, "ns1.example.com.", "c0000201");
	a(r, "www.example.com.", "c0000202");
}

/* ---- AXFR ---- */

static void test_knot_axfr(void **state)
{
	static uint8_t s[70000];
	char path[512], why[256];
	struct ls_xfr_parser *p = parser(LS_TYPE_AXFR, NULL);
	struct ls_zone *z;
	struct ls_msg m;
	size_t n, pos = 0;
	int err = 0, msgs = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/xfr/knot-axfr.response", LS_TEST_DATA);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(s, 1, sizeof(s), f);
	fclose(f);
	while (pos + 2 <= n) {
		size_t l = (size_t)s[pos] << 8 | s[pos + 1];

		assert_int_equal(ls_msg_parse(&m, s + pos + 2, l), 0);
		err = ls_xfr_parser_feed(p, &m);
		msgs++;
		pos += 2 + l;
		if (pos < n)
			assert_int_equal(err, LS_XFR_MORE);
	}
	assert_int_equal(msgs, 2);
	assert_int_equal(err, LS_XFR_DONE);
	assert_int_equal(ls_xfr_parser_records(p), 1505);
	assert_int_equal(ls_xfr_parser_finish(p, &z, why, sizeof(why)), 0);
	assert_int_equal(ls_zone_serial(z), 2024010101);
	assert_int_equal(ls_zone_record_count(z), 1504);
	ls_zone_free(z);
}

static void test_axfr_two_messages(void **state)
{
	struct ls_xfr_parser *p = parser(LS_TYPE_AXFR, NULL);
	struct resp *r = resp_new(LS_TYPE_AXFR, 0);
	struct ls_zone *z;
	char why[256];

	soa(r, 5);
	ns(r);
	assert_int_equal(feed(p, r), LS_XFR_MORE);
	r = resp_new(0, 0); /* later messages may omit the question */
	a(r, "ns1.example.com.", "c0000201");
	soa(r, 5);
	assert_int_equal(feed(p, r), LS_XFR_DONE);
	assert_int_equal(ls_xfr_parser_finish(p, &z, why, sizeof(why)), 0);
	assert_int_equal(ls_zone_serial(z), 5);
	ls_zone_free(z);
}

static void test_axfr_first_not_soa(void **state)
{
	struct ls_xfr_parser *p = parser(LS_TYPE_AXFR, NULL);
	struct resp *r = resp_new(LS_TYPE_AXFR, 0);

	ns(r);
	soa(r, 5);
	assert_int_equal(feed(p, r), -EBADMSG);
	assert_non_null(strstr(ls_xfr_parser_error(p), "start with"));
	ls_xfr_parser_free(p);
}

static void test_axfr_closing_serial(void **state)
{
	struct ls_xfr_parser *p = parser(LS_TYPE_AXFR, NULL);
	struct resp *r = resp_new(LS_TYPE_AXFR, 0);

	soa(r, 5);
	body(r);
	soa(r, 6);
	assert_int_equal(feed(p, r), -EBADMSG);
	assert_non_null(strstr(ls_xfr_parser_error(p), "closing SOA"));
	ls_xfr_parser_free(p);
}

static void test_axfr_after_end(void **state)
{
	struct ls_xfr_parser *p = parser(LS_TYPE_AXFR, NULL);
	struct resp *r = resp_new(LS_TYPE_AXFR, 0);

	soa(r, 5);
	body(r);
	soa(r, 5);
	a(r, "junk.example.com.", "c0000209");
	assert_int_equal(feed(p, r), -EBADMSG);
	ls_xfr_parser_free(p);

	/* a whole message after the end */
	p = parser(LS_TYPE_AXFR, NULL);
	r = resp_new(LS_TYPE_AXFR, 0);
	soa(r, 5);
	body(r);
	soa(r, 5);
	assert_int_equal(feed(p, r), LS_XFR_DONE);
	r = resp_new(0, 0);
	a(r, "junk.example.com.", "c0000209");
	assert_int_equal(feed(p, r), -EBADMSG);
	ls_xfr_parser_free(p);
}

static void test_axfr_truncated(void **state)
{
	struct ls_xfr_parser *p = parser(LS_TYPE_AXFR, NULL);
	struct resp *r = resp_new(LS_TYPE_AXFR, 0);
	struct ls_zone *z;
	char why[256];

	soa(r, 5);
	body(r);
	assert_int_equal(feed(p, r), LS_XFR_MORE);
	/* the connection ends here */
	assert_int_equal(ls_xfr_parser_finish(p, &z, why, sizeof(why)), -EINVAL);
	assert_null(z);
}

static void test_axfr_bad_answers(void **state)
{
	struct ls_xfr_parser *p;
	struct resp *r;

	p = parser(LS_TYPE_AXFR, NULL);
	r = resp_new(LS_TYPE_AXFR, LS_RCODE_NOTAUTH);
	assert_int_equal(feed(p, r), -EPROTO);
	assert_non_null(strstr(ls_xfr_parser_error(p), "NOTAUTH"));
	ls_xfr_parser_free(p);

	p = parser(LS_TYPE_AXFR, NULL);
	r = resp_new(LS_TYPE_AXFR, LS_FLAG_TC);
	soa(r, 5);
	assert_int_equal(feed(p, r), -EPROTO);
	ls_xfr_parser_free(p);

	p = parser(LS_TYPE_AXFR, NULL);
	r = resp_new(LS_TYPE_IXFR, 0); /* another question */
	soa(r, 5);
	assert_int_equal(feed(p, r), -EPROTO);
	ls_xfr_parser_free(p);

	p = parser(LS_TYPE_AXFR, NULL);
	r = resp_new(LS_TYPE_AXFR, 0);
	ls_msg_set_flags(&r->w, LS_FLAG_AA); /* not a response */
	soa(r, 5);
	assert_int_equal(feed(p, r), -EPROTO);
	ls_xfr_parser_free(p);

	p = parser(LS_TYPE_AXFR, NULL);
	r = resp_new(LS_TYPE_AXFR, 0); /* empty first message */
	assert_int_equal(feed(p, r), -EBADMSG);
	ls_xfr_parser_free(p);
}

static void test_axfr_junk_records(void **state)
{
	struct ls_xfr_parser *p = parser(LS_TYPE_AXFR, NULL);
	struct resp *r = resp_new(LS_TYPE_AXFR, 0);

	soa(r, 5);
	ns(r);
	a(r, "www.example.net.", "c0000202"); /* outside the zone */
	soa(r, 5);
	assert_int_equal(feed(p, r), -EBADMSG);
	assert_non_null(strstr(ls_xfr_parser_error(p), "example.net"));
	ls_xfr_parser_free(p);

	p = parser(LS_TYPE_AXFR, NULL);
	r = resp_new(LS_TYPE_AXFR, 0);
	soa(r, 5);
	ns(r);
	rr(r, "www.example.com.", LS_TYPE_TXT, 0, "0141", 3 /* CH */);
	soa(r, 5);
	assert_int_equal(feed(p, r), -EBADMSG);
	ls_xfr_parser_free(p);
}

static void test_axfr_structure_refused(void **state)
{
	struct ls_xfr_parser *p = parser(LS_TYPE_AXFR, NULL);
	struct resp *r = resp_new(LS_TYPE_AXFR, 0);
	struct ls_zone *z;
	char why[256];

	soa(r, 5);
	a(r, "www.example.com.", "c0000202"); /* no NS at the apex */
	soa(r, 5);
	assert_int_equal(feed(p, r), LS_XFR_DONE);
	assert_int_equal(ls_xfr_parser_finish(p, &z, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "ns-apex-missing"));
}

static void test_axfr_limits(void **state)
{
	struct ls_xfr_parser *p;
	struct resp *r = resp_new(LS_TYPE_AXFR, 0);

	assert_int_equal(ls_xfr_parser_new(origin, LS_TYPE_AXFR, NULL, 3, 0, &p), 0);
	soa(r, 5);
	body(r);
	soa(r, 5);
	assert_int_equal(feed(p, r), -EFBIG);
	ls_xfr_parser_free(p);

	assert_int_equal(ls_xfr_parser_new(origin, LS_TYPE_AXFR, NULL, 0, 100, &p), 0);
	r = resp_new(LS_TYPE_AXFR, 0);
	soa(r, 5);
	body(r);
	soa(r, 5);
	assert_int_equal(feed(p, r), -EFBIG);
	ls_xfr_parser_free(p);
	assert_int_equal(ls_xfr_parser_new(origin, LS_TYPE_IXFR, NULL, 0, 0, &p), -EINVAL);
}

/* ---- IXFR ---- */

static struct ls_zone *base_zone(void)
{
	static const char text[] = "$ORIGIN example.com.\n$TTL 3600\n"
				   "@ SOA ns1 hm 1 3600 600 86400 300\n"
				   "@ NS ns1\n"
				   "ns1 A 192.0.2.1\n"
				   "www A 192.0.2.2\n"
				   "old A 192.0.2.9\n";
	struct ls_zonefile_opts opts = { .no_include = true };
	struct ls_zone *z;

	assert_int_equal(
		ls_zonefile_load_string(text, sizeof(text) - 1, NULL, origin, &opts, &z, NULL), 0);
	return z;
}

static bool has_a(const struct ls_zone *z, const char *owner, uint8_t last, uint32_t *ttl)
{
	uint8_t name[LS_DNAME_MAXLEN];
	const struct ls_zone_node *n;
	const struct ls_zone_rrset *rs;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	ls_dname_from_str(name, owner, NULL);
	n = ls_zone_find(z, name);
	if (!n || !(rs = ls_zone_node_rrset(z, n, LS_TYPE_A)))
		return false;
	ls_zone_rdata_begin(z, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		if (len == 4 && rd[3] == last) {
			if (ttl)
				*ttl = rs->ttl;
			return true;
		}
	}
	return false;
}

static void test_ixfr_uptodate(void **state)
{
	struct ls_zone *b = base_zone();
	struct ls_xfr_parser *p = parser(LS_TYPE_IXFR, b);
	struct resp *r = resp_new(LS_TYPE_IXFR, 0);

	soa(r, 1);
	assert_int_equal(feed(p, r), LS_XFR_UPTODATE);
	ls_xfr_parser_free(p);
	ls_zone_free(b);
}

static void test_ixfr_incremental(void **state)
{
	struct ls_zone *b = base_zone(), *z;
	struct ls_xfr_parser *p = parser(LS_TYPE_IXFR, b);
	struct resp *r = resp_new(LS_TYPE_IXFR, 0);
	uint32_t serial, ttl;
	char why[256];

	soa(r, 3);
	/* 1 -> 2: www moves to .3, "tmp" added */
	soa(r, 1);
	a(r, "WWW.example.com.", "c0000202"); /* any case */
	soa(r, 2);
	a(r, "www.example.com.", "c0000203");
	a(r, "tmp.example.com.", "c0000205");
	assert_int_equal(feed(p, r), LS_XFR_MORE);
	assert_true(ls_xfr_parser_serial(p, &serial));
	assert_int_equal(serial, 3);
	r = resp_new(0, 0);
	/* 2 -> 3: tmp removed again, old removed, ns1 gets a new TTL, new added */
	soa(r, 2);
	a(r, "tmp.example.com.", "c0000205");
	a(r, "old.example.com.", "c0000209");
	a(r, "ns1.example.com.", "c0000201");
	soa(r, 3);
	rr(r, "ns1.example.com.", LS_TYPE_A, 60, "c0000201", LS_CLASS_IN);
	a(r, "new.example.com.", "c0000206");
	soa(r, 3);
	assert_int_equal(feed(p, r), LS_XFR_DONE);
	assert_true(ls_xfr_parser_incremental(p));
	assert_int_equal(ls_xfr_parser_finish(p, &z, why, sizeof(why)), 0);
	assert_int_equal(ls_zone_serial(z), 3);
	assert_true(has_a(z, "www.example.com.", 3, NULL));
	assert_false(has_a(z, "www.example.com.", 2, NULL));
	assert_false(has_a(z, "tmp.example.com.", 5, NULL));
	assert_false(has_a(z, "old.example.com.", 9, NULL));
	assert_true(has_a(z, "new.example.com.", 6, NULL));
	assert_true(has_a(z, "ns1.example.com.", 1, &ttl));
	assert_int_equal(ttl, 60);
	ls_zone_free(z);
	ls_zone_free(b);
}

static void test_ixfr_axfr_style(void **state)
{
	struct ls_zone *b = base_zone(), *z;
	struct ls_xfr_parser *p = parser(LS_TYPE_IXFR, b);
	struct resp *r = resp_new(LS_TYPE_IXFR, 0);
	char why[256];

	soa(r, 7);
	body(r);
	soa(r, 7);
	assert_int_equal(feed(p, r), LS_XFR_DONE);
	assert_false(ls_xfr_parser_incremental(p));
	assert_int_equal(ls_xfr_parser_finish(p, &z, why, sizeof(why)), 0);
	assert_int_equal(ls_zone_serial(z), 7);
	assert_false(has_a(z, "old.example.com.", 9, NULL));
	ls_zone_free(z);
	ls_zone_free(b);
}

static int ixfr_one(void (*fill)(struct resp *))
{
	struct ls_zone *b = base_zone();
	struct ls_xfr_parser *p = parser(LS_TYPE_IXFR, b);
	struct resp *r = resp_new(LS_TYPE_IXFR, 0);
	int err;

	fill(r);
	err = feed(p, r);
	ls_xfr_parser_free(p);
	ls_zone_free(b);
	return err;
}

static void fill_wrong_start(struct resp *r)
{
	soa(r, 3);
	soa(r, 2); /* we hold 1 */
	soa(r, 3);
	soa(r, 3);
}

static void fill_missing_delete(struct resp *r)
{
	soa(r, 2);
	soa(r, 1);
	a(r, "nothere.example.com.", "c0000202");
	soa(r, 2);
	soa(r, 2);
}

static void fill_backwards(struct resp *r)
{
	soa(r, 2);
	soa(r, 1);
	soa(r, 0); /* a delta to an older serial */
	soa(r, 2);
}

static void fill_broken_chain(struct resp *r)
{
	soa(r, 3);
	soa(r, 1);
	soa(r, 2);
	soa(r, 1); /* the next delta must start at 2 */
	soa(r, 3);
	soa(r, 3);
}

static void fill_add_outside(struct resp *r)
{
	soa(r, 2);
	soa(r, 1);
	soa(r, 2);
	a(r, "www.example.org.", "c0000202");
	soa(r, 2);
}

static void test_ixfr_bad_deltas(void **state)
{
	assert_int_equal(ixfr_one(fill_wrong_start), -EBADMSG);
	assert_int_equal(ixfr_one(fill_missing_delete), -EBADMSG);
	assert_int_equal(ixfr_one(fill_backwards), -EBADMSG);
	assert_int_equal(ixfr_one(fill_broken_chain), -EBADMSG);
	assert_int_equal(ixfr_one(fill_add_outside), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_knot_axfr),
		cmocka_unit_test(test_axfr_two_messages),
		cmocka_unit_test(test_axfr_first_not_soa),
		cmocka_unit_test(test_axfr_closing_serial),
		cmocka_unit_test(test_axfr_after_end),
		cmocka_unit_test(test_axfr_truncated),
		cmocka_unit_test(test_axfr_bad_answers),
		cmocka_unit_test(test_axfr_junk_records),
		cmocka_unit_test(test_axfr_structure_refused),
		cmocka_unit_test(test_axfr_limits),
		cmocka_unit_test(test_ixfr_uptodate),
		cmocka_unit_test(test_ixfr_incremental),
		cmocka_unit_test(test_ixfr_axfr_style),
		cmocka_unit_test(test_ixfr_bad_deltas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
