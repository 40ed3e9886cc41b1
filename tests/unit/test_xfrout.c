/* SPDX-License-Identifier: MIT */
/*
 * test_xfrout.c — transfers out (agent/xfrout): a zone built here is sent
 * as AXFR, every message's TSIG verified with the client side of
 * common/tsig (ls_tsig_verify_response, ls_tsig_verify_end), the stream
 * parsed back with the transfer parser of agent/xfrin and compared record
 * for record; messages stay within the size (one oversized record gets a
 * larger one); IXFR from a current client is the SOA alone, from an older
 * one the full zone AXFR-style; a replaced version cuts the stream; a
 * tampered message is caught by the MAC.
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
#include <time.h>

#include "agent/xfrin.h"
#include "agent/xfrout.h"
#include "common/config.h"
#include "common/message.h"
#include "common/rdata.h"
#include "common/tsig.h"
#include "common/zonefile.h"

static const uint8_t origin[] = "\x07"
				"example\x03"
				"com";

static const char cfgtext[] = "node:\n  id: t\n  state-dir: /tmp\n"
			      "key:\n  - id: k1\n    algorithm: hmac-sha256\n"
			      "    secret: c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\n"
			      "remote:\n  - id: peer\n    address: 198.51.100.20\n    key: k1\n"
			      "zone:\n  - domain: example.com.\n    primaries: peer\n";

static struct ls_config *config(void)
{
	struct ls_config *cfg;

	assert_int_equal(ls_config_parse_string(cfgtext, sizeof(cfgtext) - 1, NULL, &cfg, NULL), 0);
	return cfg;
}

/* A zone of @n A records, some TXT, a delegation with glue, and one huge TXT. */
static struct ls_zone *make_zone(uint32_t serial, size_t n, bool huge)
{
	size_t cap = 256 + n * 64 + (huge ? 40000 : 0), len = 0;
	char *text = malloc(cap);
	struct ls_zonefile_opts opts = { .no_include = true };
	struct ls_zone *z;

	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len,
				"$ORIGIN example.com.\n$TTL 3600\n"
				"@ SOA ns1 hm %u 3600 600 86400 300\n@ NS ns1\n"
				"ns1 A 192.0.2.1\nsub NS ns.sub\nns.sub A 192.0.2.9\n"
				"@ TXT \"apex text\"\n",
				serial);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%zu A 192.0.2.%zu\n", i, i % 250);
	if (huge) {
		len += (size_t)snprintf(text + len, cap - len, "big TXT");
		for (int i = 0; i < 100; i++) {
			text[len++] = ' ';
			text[len++] = '"';
			memset(text + len, 'a' + i % 26, 200);
			len += 200;
			text[len++] = '"';
		}
		text[len++] = '\n';
	}
	assert_int_equal(ls_zonefile_load_string(text, len, NULL, origin, &opts, &z, NULL), 0);
	free(text);
	return z;
}

/* Build a request; signed when @t has a key. */
static size_t request(uint8_t *buf, size_t cap, uint16_t qtype, uint32_t client_serial,
		      struct ls_tsig *t)
{
	struct ls_msg_writer w;
	size_t len;

	assert_int_equal(ls_msg_writer_init(&w, buf, cap), 0);
	ls_msg_set_header(&w, 0x1234, 0);
	assert_int_equal(ls_msg_put_question(&w, origin, qtype, LS_CLASS_IN), 0);
	if (qtype == LS_TYPE_IXFR) {
		uint8_t rd[64] = "\x03ns1\x07"
				 "example\x03"
				 "com\x00\x02hm\x07"
				 "example\x03"
				 "com\x00";
		size_t n = 33;

		rd[n++] = (uint8_t)(client_serial >> 24);
		rd[n++] = (uint8_t)(client_serial >> 16);
		rd[n++] = (uint8_t)(client_serial >> 8);
		rd[n++] = (uint8_t)client_serial;
		memset(rd + n, 0, 16);
		n += 16;
		assert_int_equal(ls_msg_put_rr(&w, LS_SECTION_AUTHORITY, origin, LS_TYPE_SOA,
					       LS_CLASS_IN, 0, rd, n),
				 0);
	}
	len = ls_msg_len(&w);
	if (t && t->key)
		assert_int_equal(ls_tsig_sign(t, buf, &len, cap, (uint64_t)time(NULL), 0), 0);
	return len;
}

struct session {
	struct ls_config *cfg;
	struct ls_tsig client, server;
	uint8_t q[1024];
	struct ls_msg m;
	struct ls_xfrout *x;
};

static void start(struct session *s, const struct ls_zone *z, uint16_t qtype, uint32_t serial)
{
	struct ls_tsig_status st;
	size_t len;

	s->cfg = config();
	ls_tsig_init(&s->client, &s->cfg->keys[0]);
	ls_tsig_init(&s->server, NULL);
	len = request(s->q, sizeof(s->q), qtype, serial, &s->client);
	assert_int_equal(ls_msg_parse(&s->m, s->q, len), 0);
	assert_int_equal(ls_tsig_verify_request(&s->server, s->cfg->keys, s->cfg->key_count, &s->m,
						(uint64_t)time(NULL), 0, &st),
			 0);
	assert_int_equal(ls_xfrout_new(&s->m, z, &s->server, &s->x), 0);
	assert_null(s->server.key); /* moved */
}

static void end(struct session *s)
{
	ls_xfrout_free(s->x);
	ls_tsig_clear(&s->client);
	ls_tsig_clear(&s->server);
	ls_config_free(s->cfg);
}

/*
 * Run the stream through the client's TSIG check and the xfrin parser.
 * Returns the zone parsed back; *@msgs counts messages, *@big those over
 * LS_XFROUT_MSG_SIZE.
 */
static struct ls_zone *receive(struct session *s, const struct ls_zone *z, uint16_t qtype,
			       const struct ls_zone *base, size_t *msgs, size_t *big)
{
	uint8_t *buf = malloc(LS_XFROUT_BUF_SIZE);
	struct ls_xfr_parser *p;
	struct ls_zone *out = NULL;
	char why[256];
	int n, r = LS_XFR_MORE;

	assert_non_null(buf);
	assert_int_equal(ls_xfr_parser_new(origin, qtype, base, 0, 0, &p), 0);
	*msgs = *big = 0;
	while ((n = ls_xfrout_next(s->x, z, (uint64_t)time(NULL), buf, LS_XFROUT_BUF_SIZE)) > 0) {
		struct ls_tsig_status st;
		struct ls_msg m;

		(*msgs)++;
		if (n > LS_XFROUT_MSG_SIZE)
			(*big)++;
		assert_int_equal(ls_msg_parse(&m, buf, (size_t)n), 0);
		assert_true(m.has_tsig);
		assert_int_equal(m.id, 0x1234);
		assert_int_equal(ls_tsig_verify_response(&s->client, &m, (uint64_t)time(NULL), &st),
				 0);
		assert_int_equal(r, LS_XFR_MORE);
		r = ls_xfr_parser_feed(p, &m);
		assert_true(r >= 0);
	}
	assert_int_equal(n, 0);
	assert_int_equal(ls_tsig_verify_end(&s->client), 0);
	if (r == LS_XFR_UPTODATE) {
		ls_xfr_parser_free(p);
		free(buf);
		return NULL;
	}
	assert_int_equal(r, LS_XFR_DONE);
	assert_int_equal(ls_xfr_parser_finish(p, &out, why, sizeof(why)), 0);
	free(buf);
	return out;
}

/* Every record of @a is in @b, same TTL, and the counts agree. */
static void same_zone(const struct ls_zone *a, const struct ls_zone *b)
{
	assert_int_equal(ls_zone_serial(a), ls_zone_serial(b));
	assert_int_equal(ls_zone_record_count(a), ls_zone_record_count(b));
	assert_int_equal(ls_zone_node_count(a), ls_zone_node_count(b));
	for (size_t i = 0; i < ls_zone_node_count(a); i++) {
		const struct ls_zone_node *na = ls_zone_node_at(a, i);
		const struct ls_zone_node *nb = ls_zone_node_at(b, i);
		size_t ca, cb;
		const struct ls_zone_rrset *sa = ls_zone_node_rrsets(a, na, &ca);
		const struct ls_zone_rrset *sb = ls_zone_node_rrsets(b, nb, &cb);

		assert_true(ls_dname_equal(ls_zone_node_name(a, na), ls_zone_node_name(b, nb)));
		assert_int_equal(ca, cb);
		for (size_t k = 0; k < ca; k++) {
			struct ls_zone_rdata_iter ia, ib;
			const uint8_t *ra, *rb;
			uint16_t la, lb;

			assert_int_equal(sa[k].type, sb[k].type);
			assert_int_equal(sa[k].ttl, sb[k].ttl);
			assert_int_equal(sa[k].count, sb[k].count);
			ls_zone_rdata_begin(a, &sa[k], &ia);
			ls_zone_rdata_begin(b, &sb[k], &ib);
			while (ls_zone_rdata_next(&ia, &ra, &la)) {
				assert_true(ls_zone_rdata_next(&ib, &rb, &lb));
				assert_int_equal(la, lb);
				assert_memory_equal(ra, rb, la);
			}
		}
	}
}

static void test_axfr_roundtrip(void **state)
{
	struct ls_zone *z = make_zone(7, 5000, true), *back;
	struct session s;
	size_t msgs, big;

	(void)state;
	start(&s, z, LS_TYPE_AXFR, 0);
	back = receive(&s, z, LS_TYPE_AXFR, NULL, &msgs, &big);
	assert_non_null(back);
	same_zone(z, back);
	assert_true(msgs > 3); /* 5000 records do not fit in one 16 KiB message */
	assert_int_equal(big, 1); /* only the message with the 20 KB TXT is larger */
	assert_int_equal(ls_xfrout_records(s.x), ls_zone_record_count(z) + 1); /* SOA twice */
	ls_zone_free(back);
	end(&s);
	ls_zone_free(z);
}

static void test_ixfr_current_client(void **state)
{
	struct ls_zone *z = make_zone(7, 10, false);
	struct session s;
	size_t msgs, big;

	(void)state;
	start(&s, z, LS_TYPE_IXFR, 7);
	assert_true(ls_xfrout_uptodate(s.x));
	assert_null(receive(&s, z, LS_TYPE_IXFR, z, &msgs, &big));
	assert_int_equal(msgs, 1);
	end(&s);
	/* a client claiming a newer serial gets our SOA alone too */
	start(&s, z, LS_TYPE_IXFR, 9);
	assert_true(ls_xfrout_uptodate(s.x));
	end(&s);
	ls_zone_free(z);
}

static void test_ixfr_older_client_gets_axfr_form(void **state)
{
	struct ls_zone *z = make_zone(8, 100, false), *base = make_zone(7, 10, false), *back;
	struct session s;
	size_t msgs, big;

	(void)state;
	start(&s, z, LS_TYPE_IXFR, 7);
	assert_false(ls_xfrout_uptodate(s.x));
	back = receive(&s, z, LS_TYPE_IXFR, base, &msgs, &big);
	assert_non_null(back);
	same_zone(z, back);
	ls_zone_free(back);
	end(&s);
	ls_zone_free(base);
	ls_zone_free(z);
}

static void test_replaced_version_cuts(void **state)
{
	struct ls_zone *z = make_zone(7, 3000, false), *other = make_zone(8, 10, false);
	uint8_t *buf = malloc(LS_XFROUT_BUF_SIZE);
	struct session s;

	(void)state;
	start(&s, z, LS_TYPE_AXFR, 0);
	assert_true(ls_xfrout_next(s.x, z, (uint64_t)time(NULL), buf, LS_XFROUT_BUF_SIZE) > 0);
	assert_int_equal(ls_xfrout_next(s.x, other, (uint64_t)time(NULL), buf, LS_XFROUT_BUF_SIZE),
			 -ESTALE);
	assert_int_equal(ls_xfrout_next(s.x, NULL, (uint64_t)time(NULL), buf, LS_XFROUT_BUF_SIZE),
			 -ESTALE);
	free(buf);
	end(&s);
	ls_zone_free(other);
	ls_zone_free(z);
}

static void test_tampered_message_caught(void **state)
{
	struct ls_zone *z = make_zone(7, 10, false);
	uint8_t *buf = malloc(LS_XFROUT_BUF_SIZE);
	struct ls_tsig_status st;
	struct session s;
	struct ls_msg m;
	int n;

	(void)state;
	start(&s, z, LS_TYPE_AXFR, 0);
	n = ls_xfrout_next(s.x, z, (uint64_t)time(NULL), buf, LS_XFROUT_BUF_SIZE);
	assert_true(n > 60);
	buf[n - 120] ^= 0x01; /* inside the records, before the TSIG */
	if (ls_msg_parse(&m, buf, (size_t)n) == 0)
		assert_int_not_equal(
			ls_tsig_verify_response(&s.client, &m, (uint64_t)time(NULL), &st), 0);
	free(buf);
	end(&s);
	ls_zone_free(z);
}

static void test_bad_requests(void **state)
{
	struct ls_zone *z = make_zone(7, 10, false);
	struct ls_xfrout *x = NULL;
	uint8_t q[512];
	struct ls_msg m;
	size_t len;

	(void)state;
	/* an unsigned IXFR with the client's SOA is well-formed */
	len = request(q, sizeof(q), LS_TYPE_IXFR, 1, NULL);
	assert_int_equal(ls_msg_parse(&m, q, len), 0);
	assert_int_equal(ls_xfrout_new(&m, z, NULL, &x), 0);
	ls_xfrout_free(x);
	len = request(q, sizeof(q), LS_TYPE_AXFR, 0, NULL);
	assert_int_equal(ls_msg_parse(&m, q, len), 0);
	m.count[LS_SECTION_AUTHORITY] = 0;
	m.qtype = LS_TYPE_IXFR; /* an IXFR that lacks the SOA */
	assert_int_equal(ls_xfrout_new(&m, z, NULL, &x), -EINVAL);
	m.qtype = LS_TYPE_A;
	assert_int_equal(ls_xfrout_new(&m, z, NULL, &x), -EINVAL);
	m.qtype = LS_TYPE_AXFR;
	m.qname[1] = 'x'; /* another zone */
	assert_int_equal(ls_xfrout_new(&m, z, NULL, &x), -EINVAL);
	assert_int_equal(ls_xfrout_new(&m, NULL, NULL, &x), -EINVAL);
	ls_zone_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_axfr_roundtrip),
		cmocka_unit_test(test_ixfr_current_client),
		cmocka_unit_test(test_ixfr_older_client_gets_axfr_form),
		cmocka_unit_test(test_replaced_version_cuts),
		cmocka_unit_test(test_tampered_message_caught),
		cmocka_unit_test(test_bad_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
