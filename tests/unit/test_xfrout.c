/* SPDX-License-Identifier: MIT */
/*
 * test_xfrout.c — transfers out (agent/xfrout): a zone built here is sent
 * as AXFR, every message's TSIG verified with the client side of
 * common/tsig (ls_tsig_verify_response, ls_tsig_verify_end), the stream
 * parsed back with the transfer parser of agent/xfrin and compared record
 * for record; messages stay within the size (one oversized record gets a
 * larger one); IXFR from a current client is the SOA alone, from an older
 * one the full zone AXFR-style; a replaced version cuts the stream; a
 * tampered message is caught by the MAC. IXFR from a serial the journal
 * (agent/ixfr) knows is answered incrementally — the stream, TSIG-checked
 * message by message, is applied to the old version by xfrin's parser and
 * gives the new version — and keeps going when the journal drops its steps
 * or a newer version goes live meanwhile; an unknown serial gets the AXFR
 * form. The admin dispatcher hands its journal to xfrout and counts the
 * three IXFR answers (incremental, AXFR form, SOA alone).
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
#include <arpa/inet.h>

#include "agent/admin.h"
#include "agent/ixfr.h"
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

/* Build a request, with an OPT of @udp_size unless 0; signed when @t has a key. */
static size_t request_edns(uint8_t *buf, size_t cap, uint16_t qtype, uint32_t client_serial,
			   struct ls_tsig *t, uint16_t udp_size)
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
	if (udp_size) {
		const struct ls_msg_edns e = { .udp_size = udp_size };

		assert_int_equal(ls_msg_put_opt(&w, &e), 0);
	}
	len = ls_msg_len(&w);
	if (t && t->key)
		assert_int_equal(ls_tsig_sign(t, buf, &len, cap, (uint64_t)time(NULL), 0), 0);
	return len;
}

static size_t request(uint8_t *buf, size_t cap, uint16_t qtype, uint32_t client_serial,
		      struct ls_tsig *t)
{
	return request_edns(buf, cap, qtype, client_serial, t, 0);
}

struct session {
	struct ls_config *cfg;
	struct ls_tsig client, server;
	uint8_t q[1024];
	struct ls_msg m;
	struct ls_xfrout *x;
};

static void start_j(struct session *s, const struct ls_zone *z, const struct ls_ixfr *j,
		    uint16_t qtype, uint32_t serial)
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
	assert_int_equal(ls_xfrout_new(&s->m, z, j, &s->server, &s->x), 0);
	assert_null(s->server.key); /* moved */
}

static void start(struct session *s, const struct ls_zone *z, uint16_t qtype, uint32_t serial)
{
	start_j(s, z, NULL, qtype, serial);
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
	assert_int_equal(ls_xfrout_new(&m, z, NULL, NULL, &x), 0);
	ls_xfrout_free(x);
	len = request(q, sizeof(q), LS_TYPE_AXFR, 0, NULL);
	assert_int_equal(ls_msg_parse(&m, q, len), 0);
	m.count[LS_SECTION_AUTHORITY] = 0;
	m.qtype = LS_TYPE_IXFR; /* an IXFR that lacks the SOA */
	assert_int_equal(ls_xfrout_new(&m, z, NULL, NULL, &x), -EINVAL);
	m.qtype = LS_TYPE_A;
	assert_int_equal(ls_xfrout_new(&m, z, NULL, NULL, &x), -EINVAL);
	m.qtype = LS_TYPE_AXFR;
	m.qname[1] = 'x'; /* another zone */
	assert_int_equal(ls_xfrout_new(&m, z, NULL, NULL, &x), -EINVAL);
	assert_int_equal(ls_xfrout_new(&m, NULL, NULL, NULL, &x), -EINVAL);
	/* an IXFR whose SOA has an empty RDATA (class NONE lets it parse): found by fuzz/xfrout */
	{
		struct ls_msg_writer w;

		assert_int_equal(ls_msg_writer_init(&w, q, sizeof(q)), 0);
		ls_msg_set_header(&w, 0x1234, 0);
		assert_int_equal(ls_msg_put_question(&w, origin, LS_TYPE_IXFR, LS_CLASS_IN), 0);
		assert_int_equal(ls_msg_put_rr(&w, LS_SECTION_AUTHORITY, origin, LS_TYPE_SOA,
					       LS_CLASS_NONE, 0, q + sizeof(q) - 1, 0),
				 0);
		assert_int_equal(ls_msg_parse(&m, q, ls_msg_len(&w)), 0);
		assert_int_equal(ls_xfrout_new(&m, z, NULL, NULL, &x), -EINVAL);
	}
	ls_zone_free(z);
}

/* Versions 7 -> 8 -> 9 of a 6000-name zone, and a journal of both steps. */
struct chain {
	struct ls_zone *z[3];
	struct ls_ixfr *j;
};

static void chain_make(struct chain *c)
{
	c->z[0] = make_zone(7, 6000, false);
	c->z[1] = make_zone(8, 9000, false); /* 3000 names added: several messages */
	c->z[2] = make_zone(9, 8990, true); /* 10 gone, one huge TXT added */
	assert_int_equal(ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &c->j), 0);
	assert_int_equal(ls_ixfr_record(c->j, c->z[0], c->z[1]), 0);
	assert_int_equal(ls_ixfr_record(c->j, c->z[1], c->z[2]), 0);
	assert_int_equal(ls_ixfr_count(c->j), 2);
}

static void chain_free(struct chain *c)
{
	ls_ixfr_free(c->j);
	for (int i = 0; i < 3; i++)
		ls_zone_free(c->z[i]);
}

static void test_ixfr_incremental(void **state)
{
	struct chain c;
	struct session s;
	struct ls_zone *back;
	size_t msgs, big;

	(void)state;
	chain_make(&c);
	for (uint32_t from = 7; from <= 8; from++) {
		struct ls_xfr_parser *p;

		start_j(&s, c.z[2], c.j, LS_TYPE_IXFR, from);
		assert_false(ls_xfrout_uptodate(s.x));
		assert_int_equal(ls_xfrout_incremental(s.x), 9 - from);
		back = receive(&s, c.z[2], LS_TYPE_IXFR, c.z[from - 7], &msgs, &big);
		assert_non_null(back);
		same_zone(c.z[2], back); /* the old version with the steps applied is the new */
		ls_zone_free(back);
		if (from == 7)
			assert_true(msgs > 3); /* 3000+ records: several messages, each signed */
		assert_int_equal(big, 1); /* the huge TXT */
		/* far fewer records than the zone: it was not the AXFR form */
		assert_true(ls_xfrout_records(s.x) < ls_zone_record_count(c.z[2]) / 2);
		end(&s);
		/* and the parser saw deltas, not a whole zone */
		start_j(&s, c.z[2], c.j, LS_TYPE_IXFR, from);
		assert_int_equal(ls_xfr_parser_new(origin, LS_TYPE_IXFR, c.z[from - 7], 0, 0, &p),
				 0);
		{
			uint8_t *buf = malloc(LS_XFROUT_BUF_SIZE);
			struct ls_msg m;
			int n;

			assert_non_null(buf);
			while ((n = ls_xfrout_next(s.x, c.z[2], (uint64_t)time(NULL), buf,
						   LS_XFROUT_BUF_SIZE)) > 0) {
				assert_int_equal(ls_msg_parse(&m, buf, (size_t)n), 0);
				assert_true(ls_xfr_parser_feed(p, &m) >= 0);
			}
			assert_true(ls_xfr_parser_incremental(p));
			free(buf);
		}
		ls_xfr_parser_free(p);
		end(&s);
	}
	chain_free(&c);
}

static void test_ixfr_unknown_serial_axfr_form(void **state)
{
	struct ls_zone *base = make_zone(5, 10, false), *back;
	struct chain c;
	struct session s;
	size_t msgs, big;

	(void)state;
	chain_make(&c);
	start_j(&s, c.z[2], c.j, LS_TYPE_IXFR, 5); /* older than the chain */
	assert_int_equal(ls_xfrout_incremental(s.x), 0);
	back = receive(&s, c.z[2], LS_TYPE_IXFR, base, &msgs, &big);
	same_zone(c.z[2], back);
	assert_int_equal(ls_xfrout_records(s.x), ls_zone_record_count(c.z[2]) + 1);
	ls_zone_free(back);
	end(&s);
	/* no journal at all: the same */
	start_j(&s, c.z[2], NULL, LS_TYPE_IXFR, 7);
	assert_int_equal(ls_xfrout_incremental(s.x), 0);
	end(&s);
	/* a chain that does not end at the live serial is not used */
	start_j(&s, c.z[1], c.j, LS_TYPE_IXFR, 7);
	assert_int_equal(ls_xfrout_incremental(s.x), 0);
	end(&s);
	chain_free(&c);
	ls_zone_free(base);
}

static void test_ixfr_stream_outlives_journal(void **state)
{
	struct ls_zone *newer = make_zone(10, 10, false), *back;
	uint8_t *buf = malloc(LS_XFROUT_BUF_SIZE);
	struct ls_xfr_parser *p;
	struct chain c;
	struct session s;
	struct ls_msg m;
	char why[256];
	int n, r = LS_XFR_MORE;

	(void)state;
	assert_non_null(buf);
	chain_make(&c);
	start_j(&s, c.z[2], c.j, LS_TYPE_IXFR, 7);
	assert_int_equal(ls_xfr_parser_new(origin, LS_TYPE_IXFR, c.z[0], 0, 0, &p), 0);
	n = ls_xfrout_next(s.x, c.z[2], (uint64_t)time(NULL), buf, LS_XFROUT_BUF_SIZE);
	assert_true(n > 0);
	assert_int_equal(ls_msg_parse(&m, buf, (size_t)n), 0);
	assert_int_equal(ls_xfr_parser_feed(p, &m), LS_XFR_MORE);
	/* the journal drops every step and a newer version goes live */
	ls_ixfr_set_budget(c.j, 0);
	assert_int_equal(ls_ixfr_count(c.j), 0);
	while ((n = ls_xfrout_next(s.x, newer, (uint64_t)time(NULL), buf, LS_XFROUT_BUF_SIZE)) >
	       0) {
		assert_int_equal(ls_msg_parse(&m, buf, (size_t)n), 0);
		r = ls_xfr_parser_feed(p, &m);
		assert_true(r >= 0);
	}
	assert_int_equal(n, 0);
	assert_int_equal(r, LS_XFR_DONE);
	assert_int_equal(ls_xfr_parser_finish(p, &back, why, sizeof(why)), 0);
	same_zone(c.z[2], back);
	ls_zone_free(back);
	end(&s);
	chain_free(&c);
	ls_zone_free(newer);
	free(buf);
}

static const struct ls_zone *admin_live;

static const struct ls_zone *op_live(void *ctx, const uint8_t *o)
{
	return ls_dname_equal(o, origin) ? admin_live : NULL;
}

static void test_admin_counts_ixfr_forms(void **state)
{
	static const uint32_t from[] = { 7, 5, 9, 8 };
	struct ls_config *cfg = config();
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(53) };
	uint8_t *resp = malloc(LS_MSG_MAXLEN), q[1024];
	const struct ls_admin_stats *st;
	struct ls_admin *a;
	struct chain c;

	(void)state;
	assert_non_null(resp);
	chain_make(&c);
	admin_live = c.z[2];
	struct ls_admin_ops ops = { .live = op_live, .ixfr = c.j };
	assert_int_equal(ls_admin_new_detached(cfg, &ops, &a), 0);
	inet_pton(AF_INET, "198.51.100.20", &peer.sin_addr);
	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		struct ls_tsig t;
		struct ls_admin_result res;
		struct ls_admin_req req = { .wire = q,
					    .from = (struct sockaddr *)&peer,
					    .tcp = true,
					    .now = (uint64_t)time(NULL) };

		ls_tsig_init(&t, &cfg->keys[0]);
		req.len = request(q, sizeof(q), LS_TYPE_IXFR, from[i], &t);
		assert_int_equal(ls_admin_dispatch(a, &req, resp, LS_MSG_MAXLEN, &res), 0);
		assert_non_null(res.xfr);
		assert_int_equal(ls_xfrout_incremental(res.xfr), from[i] == 7 ? 2 :
								 from[i] == 8 ? 1 :
										0);
		ls_xfrout_free(res.xfr);
		ls_tsig_clear(&t);
	}
	st = ls_admin_stats(a);
	assert_int_equal(st->ixfr_incremental, 2);
	assert_int_equal(st->ixfr_axfr, 1);
	assert_int_equal(st->ixfr_uptodate, 1);
	ls_admin_free(a);
	ls_config_free(cfg);
	chain_free(&c);
	free(resp);
}

/*
 * IXFR over UDP (RFC 1995 §2) through the admin dispatcher: a step that
 * fits in 512 octets is answered incrementally in one signed datagram that
 * xfrin's parser applies to the client's version; one that fits only in
 * the client's EDNS size is answered so only when the request carries
 * that size; anything larger (or a serial the journal does not lead from)
 * gets our SOA alone, so the client asks over TCP. The old code answered
 * every IXFR over UDP with the SOA alone.
 */
static void test_ixfr_udp(void **state)
{
	static const struct {
		uint32_t live, from;
		uint16_t edns;
		size_t answers; /* 1: the SOA alone */
	} cases[] = {
		{ 10, 9, 0, 4 }, /* SOA 10, SOA 9, SOA 10, SOA 10 */
		{ 11, 10, 0, 1 }, /* 30 names added: over 512 */
		{ 11, 10, 1232, 34 }, /* ... but within the client's EDNS size */
		{ 11, 7, 4096, 1 }, /* thousands of records: TCP */
		{ 11, 5, 0, 1 }, /* unknown serial: the AXFR form never goes over UDP */
		{ 11, 11, 0, 1 }, /* current */
	};
	struct ls_config *cfg = config();
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct ls_zone *z10 = make_zone(10, 8990, true), *z11 = make_zone(11, 9020, true);
	uint8_t *resp = malloc(LS_MSG_MAXLEN), q[1024];
	const struct ls_admin_stats *st;
	struct ls_admin *a;
	struct chain c;

	(void)state;
	assert_non_null(resp);
	chain_make(&c);
	assert_int_equal(ls_ixfr_record(c.j, c.z[2], z10), 0);
	admin_live = z10;
	struct ls_admin_ops ops = { .live = op_live, .ixfr = c.j };
	assert_int_equal(ls_admin_new_detached(cfg, &ops, &a), 0);
	inet_pton(AF_INET, "198.51.100.20", &peer.sin_addr);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ls_zone *base = cases[i].from == 9 ? c.z[2] : z10;
		struct ls_tsig t;
		struct ls_tsig_status ts;
		struct ls_admin_result res;
		struct ls_admin_req req = { .wire = q,
					    .from = (struct sockaddr *)&peer,
					    .tcp = false,
					    .now = (uint64_t)time(NULL) };
		struct ls_xfr_parser *p;
		struct ls_zone *back;
		struct ls_msg m;
		char why[256];
		int n;

		if (cases[i].live == 11 && admin_live != z11) {
			assert_int_equal(ls_ixfr_record(c.j, z10, z11), 0);
			admin_live = z11;
		}
		ls_tsig_init(&t, &cfg->keys[0]);
		req.len =
			request_edns(q, sizeof(q), LS_TYPE_IXFR, cases[i].from, &t, cases[i].edns);
		n = ls_admin_dispatch(a, &req, resp, LS_ADMIN_UDP_BUFLEN, &res);
		assert_true(n > 0);
		assert_null(res.xfr); /* nothing left for the loop */
		assert_true((size_t)n <= (cases[i].edns ? cases[i].edns : 512u));
		assert_int_equal(ls_msg_parse(&m, resp, (size_t)n), 0);
		assert_int_equal(ls_msg_rcode(&m), LS_RCODE_NOERROR);
		assert_int_equal(m.qtype, LS_TYPE_IXFR);
		assert_int_equal(m.has_edns, cases[i].edns != 0);
		assert_true(m.has_tsig);
		assert_int_equal(ls_tsig_verify_response(&t, &m, (uint64_t)time(NULL), &ts), 0);
		assert_int_equal(ls_tsig_verify_end(&t), 0);
		assert_int_equal(m.count[LS_SECTION_ANSWER], cases[i].answers);
		if (cases[i].answers > 1) {
			/* the datagram is a complete incremental transfer */
			assert_int_equal(ls_xfr_parser_new(origin, LS_TYPE_IXFR, base, 0, 0, &p),
					 0);
			assert_int_equal(ls_xfr_parser_feed(p, &m), LS_XFR_DONE);
			assert_true(ls_xfr_parser_incremental(p));
			assert_int_equal(ls_xfr_parser_finish(p, &back, why, sizeof(why)), 0);
			same_zone(admin_live, back);
			ls_zone_free(back); /* finish took the parser */
		}
		ls_tsig_clear(&t);
	}
	st = ls_admin_stats(a);
	assert_int_equal(st->ixfr_incremental, 2);
	ls_admin_free(a);
	ls_config_free(cfg);
	chain_free(&c);
	ls_zone_free(z10);
	ls_zone_free(z11);
	free(resp);
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
		cmocka_unit_test(test_ixfr_incremental),
		cmocka_unit_test(test_ixfr_unknown_serial_axfr_form),
		cmocka_unit_test(test_ixfr_stream_outlives_journal),
		cmocka_unit_test(test_admin_counts_ixfr_forms),
		cmocka_unit_test(test_ixfr_udp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
