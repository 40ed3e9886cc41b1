/* SPDX-License-Identifier: MIT */
/*
 * test_tsig.c — common/tsig: requests and responses signed by kdig and
 * knotd verified here (another implementation's MACs), every algorithm
 * signed and verified both ways, multi-message streams with unsigned gaps
 * (99 allowed, 100 refused, the last must be signed), and every error:
 * BADKEY (unknown key, wrong algorithm), BADSIG (flipped octets anywhere),
 * BADTIME (and its signed response), BADTRUNC and the FORMERR MAC-length
 * rules, hostile TSIG records (class, MAC length, missing TSIG).
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

#include "common/message.h"
#include "common/rdata.h"
#include "common/tsig.h"

static uint8_t secret_knot[] = "testsecrettestsecrettestsecret12"; /* base64 in README */

static struct ls_config_key knot_key(void)
{
	struct ls_config_key k = { .algorithm = LS_CONFIG_HMAC_SHA256,
				   .secret = secret_knot,
				   .secret_len = 32 };

	memcpy(k.name, "\x04tkey\x00", 6);
	return k;
}

static size_t read_file(const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/xfr/%s", LS_TEST_DATA, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* The @i-th message of a TCP stream (two-octet length prefixes). */
static const uint8_t *tcp_msg(const uint8_t *s, size_t n, int i, size_t *len)
{
	size_t pos = 0;

	for (;;) {
		assert_true(pos + 2 <= n);
		size_t l = (size_t)s[pos] << 8 | s[pos + 1];
		assert_true(pos + 2 + l <= n);
		if (i-- == 0) {
			*len = l;
			return s + pos + 2;
		}
		pos += 2 + l;
	}
}

static void knot_exchange(const char *q, const char *r, int nresp)
{
	static uint8_t qs[1024], rs[70000];
	size_t qn = read_file(q, qs, sizeof(qs)), rn = read_file(r, rs, sizeof(rs)), len;
	struct ls_config_key k = knot_key();
	struct ls_tsig_status st;
	struct ls_tsig srv, cli;
	const uint8_t *w;
	struct ls_msg m;
	uint64_t now;

	w = tcp_msg(qs, qn, 0, &len);
	assert_int_equal(ls_msg_parse(&m, w, len), 0);
	assert_true(m.has_tsig);
	now = m.tsig.time_signed;
	ls_tsig_init(&srv, NULL);
	assert_int_equal(ls_tsig_verify_request(&srv, &k, 1, &m, now, 0, &st), 0);
	assert_ptr_equal(srv.key, &k);
	/* the client side: the request MAC chains into the responses */
	ls_tsig_init(&cli, &k);
	memcpy(cli.prior, srv.prior, srv.prior_len);
	cli.prior_len = srv.prior_len;
	cli.has_prior = true;
	for (int i = 0; i < nresp; i++) {
		w = tcp_msg(rs, rn, i, &len);
		assert_int_equal(ls_msg_parse(&m, w, len), 0);
		assert_int_equal(ls_tsig_verify_response(&cli, &m, now, &st), 0);
	}
	assert_int_equal(ls_tsig_verify_end(&cli), 0);
	ls_tsig_clear(&cli);
	ls_tsig_clear(&srv);
}

static void test_knot_soa(void **state)
{
	knot_exchange("knot-soa.query", "knot-soa.response", 1);
}

static void test_knot_axfr_two_messages(void **state)
{
	knot_exchange("knot-axfr.query", "knot-axfr.response", 2);
}

/* A query for example.com SOA in @buf; returns its length. */
static size_t make_query(uint8_t *buf, size_t cap, uint16_t id)
{
	struct ls_msg_writer *w = malloc(sizeof(*w));
	size_t n;

	assert_non_null(w);
	assert_int_equal(ls_msg_writer_init(w, buf, cap), 0);
	ls_msg_set_header(w, id, 0);
	assert_int_equal(ls_msg_put_question(w,
					     (const uint8_t *)"\x07"
							      "example\x03"
							      "com",
					     LS_TYPE_SOA, 1),
			 0);
	n = ls_msg_len(w);
	free(w);
	return n;
}

/* A response with @n A records, id @id. */
static size_t make_response(uint8_t *buf, size_t cap, uint16_t id, int n)
{
	struct ls_msg_writer *w = malloc(sizeof(*w));
	const uint8_t a[4] = { 192, 0, 2, 1 };
	size_t len;

	assert_non_null(w);
	assert_int_equal(ls_msg_writer_init(w, buf, cap), 0);
	ls_msg_set_header(w, id, LS_FLAG_QR | LS_FLAG_AA);
	for (int i = 0; i < n; i++)
		assert_int_equal(ls_msg_put_rr(w, LS_SECTION_ANSWER,
					       (const uint8_t *)"\x03www\x07"
								"example\x03"
								"com",
					       LS_TYPE_A, 1, 3600 + i, a, 4),
				 0);
	len = ls_msg_len(w);
	free(w);
	return len;
}

struct pair {
	struct ls_config_key key;
	struct ls_tsig cli, srv;
	uint8_t q[512];
	size_t qlen;
	struct ls_tsig_status st;
};

static void pair_setup(struct pair *p, enum ls_config_key_alg alg, size_t secret_len)
{
	static uint8_t secret[64] = "0123456789abcdef0123456789abcdef0123456789abcdef";
	struct ls_msg m;

	memset(p, 0, sizeof(*p));
	p->key.algorithm = alg;
	p->key.secret = secret;
	p->key.secret_len = secret_len;
	memcpy(p->key.name, "\x03xfr\x04test\x00", 10);
	ls_tsig_init(&p->cli, &p->key);
	p->qlen = make_query(p->q, sizeof(p->q), 0x1234);
	assert_int_equal(ls_tsig_sign(&p->cli, p->q, &p->qlen, sizeof(p->q), 1000000, 0), 0);
	assert_int_equal(ls_msg_parse(&m, p->q, p->qlen), 0);
	assert_true(m.has_tsig);
	assert_int_equal(m.count[LS_SECTION_ADDITIONAL], 1);
	assert_int_equal(m.tsig.mac_len, ls_tsig_digest_len(alg));
	ls_tsig_init(&p->srv, NULL);
	assert_int_equal(ls_tsig_verify_request(&p->srv, &p->key, 1, &m, 1000010, 0, &p->st), 0);
}

static void pair_clear(struct pair *p)
{
	ls_tsig_clear(&p->cli);
	ls_tsig_clear(&p->srv);
}

static void test_all_algorithms_roundtrip(void **state)
{
	for (int alg = LS_CONFIG_HMAC_SHA1; alg <= LS_CONFIG_HMAC_SHA512; alg++) {
		struct pair *p = malloc(sizeof(*p));
		uint8_t r[2048];
		struct ls_msg m;

		assert_non_null(p);
		pair_setup(p, (enum ls_config_key_alg)alg, 32);
		for (int i = 0; i < 3; i++) {
			size_t len = make_response(r, sizeof(r), 0x1234, i + 1);

			assert_int_equal(ls_tsig_sign(&p->srv, r, &len, sizeof(r), 1000020, 0), 0);
			assert_int_equal(ls_msg_parse(&m, r, len), 0);
			assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st), 0);
		}
		assert_int_equal(ls_tsig_verify_end(&p->cli), 0);
		pair_clear(p);
		free(p);
	}
}

static void test_empty_secret(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	uint8_t r[512];
	struct ls_msg m;
	size_t len;

	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 0);
	len = make_response(r, sizeof(r), 0x1234, 1);
	assert_int_equal(ls_tsig_sign(&p->srv, r, &len, sizeof(r), 1000020, 0), 0);
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st), 0);
	pair_clear(p);
	free(p);
}

/* Stream: signed, @gap unsigned, signed. */
static int stream_with_gap(int gap, bool end_signed)
{
	struct pair *p = malloc(sizeof(*p));
	uint8_t r[512];
	struct ls_msg m;
	size_t len;
	int err = 0;

	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA384, 48);
	len = make_response(r, sizeof(r), 0x1234, 1);
	assert_int_equal(ls_tsig_sign(&p->srv, r, &len, sizeof(r), 1000020, 0), 0);
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st), 0);
	for (int i = 0; i < gap && !err; i++) {
		len = make_response(r, sizeof(r), 0x1234, 2 + i % 5);
		if (i < LS_TSIG_MAX_UNSIGNED)
			assert_int_equal(ls_tsig_sign_skip(&p->srv, r, len), 0);
		else
			assert_int_equal(ls_tsig_sign_skip(&p->srv, r, len), -EINVAL);
		assert_int_equal(ls_msg_parse(&m, r, len), 0);
		err = ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st);
	}
	if (!err && end_signed) {
		len = make_response(r, sizeof(r), 0x1234, 7);
		assert_int_equal(ls_tsig_sign(&p->srv, r, &len, sizeof(r), 1000020, 0), 0);
		assert_int_equal(ls_msg_parse(&m, r, len), 0);
		err = ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st);
	}
	if (!err)
		err = ls_tsig_verify_end(&p->cli);
	pair_clear(p);
	free(p);
	return err;
}

static void test_stream_unsigned_gaps(void **state)
{
	assert_int_equal(stream_with_gap(1, true), 0);
	assert_int_equal(stream_with_gap(99, true), 0);
	assert_int_equal(stream_with_gap(100, true), -EACCES);
	/* the last message must be signed */
	assert_int_equal(stream_with_gap(3, false), -EACCES);
}

static void test_stream_gap_tampered(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	uint8_t r[512];
	struct ls_msg m;
	size_t len;

	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 32);
	len = make_response(r, sizeof(r), 0x1234, 1);
	assert_int_equal(ls_tsig_sign(&p->srv, r, &len, sizeof(r), 1000020, 0), 0);
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st), 0);
	len = make_response(r, sizeof(r), 0x1234, 2);
	assert_int_equal(ls_tsig_sign_skip(&p->srv, r, len), 0);
	r[len - 1] ^= 1; /* the unsigned message changes on the way */
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st), 0);
	len = make_response(r, sizeof(r), 0x1234, 3);
	assert_int_equal(ls_tsig_sign(&p->srv, r, &len, sizeof(r), 1000020, 0), 0);
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st), -EACCES);
	assert_int_equal(p->st.error, LS_RCODE_BADSIG);
	pair_clear(p);
	free(p);
}

static void test_unsigned_first_response(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	uint8_t r[512];
	struct ls_msg m;
	size_t len;

	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 32);
	len = make_response(r, sizeof(r), 0x1234, 1);
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000030, &p->st), -EACCES);
	pair_clear(p);
	free(p);
}

/* Verify a request as a server would; returns the result, fills @st. */
static int verify_q(const uint8_t *q, size_t len, const struct ls_config_key *keys, size_t n,
		    uint64_t now, size_t policy, struct ls_tsig_status *st)
{
	struct ls_tsig t;
	struct ls_msg m;
	int err;

	if (ls_msg_parse(&m, q, len) != 0)
		return -EPROTO;
	ls_tsig_init(&t, NULL);
	err = ls_tsig_verify_request(&t, keys, n, &m, now, policy, st);
	ls_tsig_clear(&t);
	return err;
}

static void test_request_errors(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct ls_config_key other;
	struct ls_tsig_status st;
	uint8_t q[512];
	struct ls_msg m;

	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 32);
	assert_int_equal(ls_msg_parse(&m, p->q, p->qlen), 0);

	/* unknown key */
	other = p->key;
	memcpy(other.name, "\x05other\x00", 7);
	assert_int_equal(verify_q(p->q, p->qlen, &other, 1, 1000000, 0, &st), -EACCES);
	assert_int_equal(st.rcode, LS_RCODE_NOTAUTH);
	assert_int_equal(st.error, LS_RCODE_BADKEY);
	/* known key, other algorithm */
	other = p->key;
	other.algorithm = LS_CONFIG_HMAC_SHA512;
	assert_int_equal(verify_q(p->q, p->qlen, &other, 1, 1000000, 0, &st), -EACCES);
	assert_int_equal(st.error, LS_RCODE_BADKEY);
	/* other secret */
	other = p->key;
	other.secret_len = 31;
	assert_int_equal(verify_q(p->q, p->qlen, &other, 1, 1000000, 0, &st), -EACCES);
	assert_int_equal(st.error, LS_RCODE_BADSIG);
	/* the key is found among several, in any case */
	{
		struct ls_config_key two[2] = { other, p->key };

		memcpy(two[0].name, "\x01x\x00", 3);
		memcpy(two[1].name, "\x03XFR\x04Test\x00", 10);
		assert_int_equal(verify_q(p->q, p->qlen, two, 2, 1000000, 0, &st), 0);
		assert_ptr_equal(st.key, &two[1]);
	}
	/* every octet before the MAC matters */
	for (size_t i = 0; i < m.tsig.offset; i++) {
		memcpy(q, p->q, p->qlen);
		q[i] ^= 0x20;
		int err = verify_q(q, p->qlen, &p->key, 1, 1000000, 0, &st);
		/* the ID is signed as the TSIG's original ID (a forwarder may
		 * change it); any other change breaks the parse or the MAC */
		if (i < 2)
			assert_int_equal(err, 0);
		else
			assert_true(err == -EPROTO || err == -EACCES);
	}
	/* the MAC itself */
	memcpy(q, p->q, p->qlen);
	q[(size_t)(m.tsig.mac - p->q)] ^= 1;
	assert_int_equal(verify_q(q, p->qlen, &p->key, 1, 1000000, 0, &st), -EACCES);
	assert_int_equal(st.error, LS_RCODE_BADSIG);
	/* time: inside the fudge both ways, outside not */
	assert_int_equal(verify_q(p->q, p->qlen, &p->key, 1, 1000000 + 300, 0, &st), 0);
	assert_int_equal(verify_q(p->q, p->qlen, &p->key, 1, 1000000 - 300, 0, &st), 0);
	assert_int_equal(verify_q(p->q, p->qlen, &p->key, 1, 1000000 + 301, 0, &st), -EACCES);
	assert_int_equal(st.error, LS_RCODE_BADTIME);
	assert_int_equal(verify_q(p->q, p->qlen, &p->key, 1, 1000000 - 301, 0, &st), -EACCES);
	assert_int_equal(st.error, LS_RCODE_BADTIME);
	pair_clear(p);
	free(p);
}

static void test_no_tsig_and_bad_class(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct ls_tsig_status st;
	uint8_t q[512];
	size_t len;
	struct ls_msg m;

	assert_non_null(p);
	len = make_query(q, sizeof(q), 7);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 32);
	assert_int_equal(verify_q(q, len, &p->key, 1, 1000000, 0, &st), -EACCES);
	assert_int_equal(st.rcode, LS_RCODE_NOTAUTH);
	assert_int_equal(st.error, 0);
	/* class IN instead of ANY on the TSIG record */
	memcpy(q, p->q, p->qlen);
	assert_int_equal(ls_msg_parse(&m, q, p->qlen), 0);
	q[m.tsig.offset + 10 + 2 + 1] = 1; /* owner "xfr.test." is 10 octets */
	q[m.tsig.offset + 10 + 2] = 0;
	assert_int_equal(verify_q(q, p->qlen, &p->key, 1, 1000000, 0, &st), -EBADMSG);
	assert_int_equal(st.rcode, LS_RCODE_FORMERR);
	pair_clear(p);
	free(p);
}

/* Rewrite @q's TSIG MAC to @n octets (cut, or one octet added). */
static size_t set_mac_len(const uint8_t *in, size_t len, uint8_t *out, uint16_t n)
{
	struct ls_msg m;
	size_t macoff, old, rdoff;

	assert_int_equal(ls_msg_parse(&m, in, len), 0);
	macoff = (size_t)(m.tsig.mac - in);
	old = m.tsig.mac_len;
	rdoff = m.tsig.offset + 10 + 10; /* RDLENGTH: after owner (10) and 8 octets */
	memcpy(out, in, macoff);
	memcpy(out + macoff, in + macoff, n < old ? n : old);
	if (n > old)
		memset(out + macoff + old, 0, n - old);
	memcpy(out + macoff + n, in + macoff + old, len - macoff - old);
	out[macoff - 2] = (uint8_t)(n >> 8);
	out[macoff - 1] = (uint8_t)n;
	size_t rdlen = ((size_t)in[rdoff - 2] << 8 | in[rdoff - 1]) + n - old;
	out[rdoff - 2] = (uint8_t)(rdlen >> 8);
	out[rdoff - 1] = (uint8_t)rdlen;
	return len + n - old;
}

static void test_truncation_rules(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct ls_tsig_status st;
	uint8_t q[600];
	size_t len;

	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 32);
	/* 16 octets: half of SHA-256, the RFC minimum: accepted */
	len = set_mac_len(p->q, p->qlen, q, 16);
	assert_int_equal(verify_q(q, len, &p->key, 1, 1000000, 0, &st), 0);
	/* local policy wants 32: BADTRUNC, after the MAC was found good */
	assert_int_equal(verify_q(q, len, &p->key, 1, 1000000, 32, &st), -EACCES);
	assert_int_equal(st.error, LS_RCODE_BADTRUNC);
	/* under half: FORMERR */
	len = set_mac_len(p->q, p->qlen, q, 15);
	assert_int_equal(verify_q(q, len, &p->key, 1, 1000000, 0, &st), -EBADMSG);
	assert_int_equal(st.rcode, LS_RCODE_FORMERR);
	/* longer than the digest: FORMERR */
	len = set_mac_len(p->q, p->qlen, q, 33);
	assert_int_equal(verify_q(q, len, &p->key, 1, 1000000, 0, &st), -EBADMSG);
	/* empty MAC */
	len = set_mac_len(p->q, p->qlen, q, 0);
	assert_int_equal(verify_q(q, len, &p->key, 1, 1000000, 0, &st), -EBADMSG);
	pair_clear(p);
	free(p);

	/* SHA-1 (20 octets): the floor is 10, not half */
	p = malloc(sizeof(*p));
	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA1, 20);
	len = set_mac_len(p->q, p->qlen, q, 10);
	assert_int_equal(verify_q(q, len, &p->key, 1, 1000000, 0, &st), 0);
	len = set_mac_len(p->q, p->qlen, q, 9);
	assert_int_equal(verify_q(q, len, &p->key, 1, 1000000, 0, &st), -EBADMSG);
	pair_clear(p);
	free(p);
}

static void test_badtime_response_signed(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct ls_tsig srv;
	uint8_t r[512];
	struct ls_msg m;
	size_t len;

	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 32);
	assert_int_equal(ls_msg_parse(&m, p->q, p->qlen), 0);
	ls_tsig_init(&srv, NULL);
	assert_int_equal(ls_tsig_verify_request(&srv, &p->key, 1, &m, 2000000, 0, &p->st), -EACCES);
	assert_int_equal(p->st.error, LS_RCODE_BADTIME);
	len = make_response(r, sizeof(r), 0x1234, 0);
	assert_int_equal(ls_tsig_sign(&srv, r, &len, sizeof(r), 2000000, LS_RCODE_BADTIME), 0);
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_int_equal(m.tsig.error, LS_RCODE_BADTIME);
	assert_int_equal(m.tsig.other_len, 6);
	assert_int_equal(m.tsig.mac_len, 32);
	/* the client sees the server's error */
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000000, &p->st), -EACCES);
	assert_int_equal(p->st.error, LS_RCODE_BADTIME);
	ls_tsig_clear(&srv);
	pair_clear(p);
	free(p);
}

static void test_error_record_unsigned(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct ls_msg q, m;
	uint8_t r[512];
	size_t len;

	assert_non_null(p);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 32);
	assert_int_equal(ls_msg_parse(&q, p->q, p->qlen), 0);
	len = make_response(r, sizeof(r), 0x1234, 0);
	assert_int_equal(ls_tsig_append_error(&q, r, &len, sizeof(r), 1000000, LS_RCODE_BADKEY), 0);
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_true(m.has_tsig);
	assert_int_equal(m.tsig.mac_len, 0);
	assert_int_equal(m.tsig.error, LS_RCODE_BADKEY);
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000000, &p->st), -EACCES);
	assert_int_equal(p->st.error, LS_RCODE_BADKEY);
	/* no room */
	len = make_response(r, sizeof(r), 0x1234, 0);
	assert_int_equal(ls_tsig_append_error(&q, r, &len, len + 10, 1000000, LS_RCODE_BADKEY),
			 -ENOSPC);
	pair_clear(p);
	free(p);
}

static void test_response_other_key(void **state)
{
	struct pair *p = malloc(sizeof(*p)), *o = malloc(sizeof(*o));
	uint8_t r[512];
	struct ls_msg m;
	size_t len;

	assert_non_null(p);
	assert_non_null(o);
	pair_setup(p, LS_CONFIG_HMAC_SHA256, 32);
	pair_setup(o, LS_CONFIG_HMAC_SHA256, 31);
	memcpy(o->key.name, "\x05other\x00", 7);
	len = make_response(r, sizeof(r), 0x1234, 1);
	assert_int_equal(ls_tsig_sign(&o->srv, r, &len, sizeof(r), 1000000, 0), 0);
	assert_int_equal(ls_msg_parse(&m, r, len), 0);
	assert_int_equal(ls_tsig_verify_response(&p->cli, &m, 1000000, &p->st), -EACCES);
	assert_int_equal(p->st.error, LS_RCODE_BADKEY);
	pair_clear(p);
	pair_clear(o);
	free(p);
	free(o);
}

static void test_sign_no_room(void **state)
{
	struct ls_config_key k = knot_key();
	struct ls_tsig t;
	uint8_t q[512];
	size_t len = make_query(q, sizeof(q), 1), before = len;

	ls_tsig_init(&t, &k);
	assert_int_equal(ls_tsig_sign(&t, q, &len, len + 20, 1, 0), -ENOSPC);
	assert_int_equal(len, before);
	ls_tsig_init(&t, NULL);
	assert_int_equal(ls_tsig_sign(&t, q, &len, sizeof(q), 1, 0), -EINVAL);
}

static void test_alg_names(void **state)
{
	enum ls_config_key_alg a;

	assert_int_equal(ls_tsig_alg_from_wire((const uint8_t *)"\x0bHMAC-SHA512", &a), 0);
	assert_int_equal(a, LS_CONFIG_HMAC_SHA512);
	assert_int_equal(
		ls_tsig_alg_from_wire((const uint8_t *)"\x08hmac-md5\x07sig-alg\x03reg\x03int", &a),
		-ENOENT);
	assert_int_equal(ls_tsig_digest_len(LS_CONFIG_HMAC_SHA224), 28);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_knot_soa),
		cmocka_unit_test(test_knot_axfr_two_messages),
		cmocka_unit_test(test_all_algorithms_roundtrip),
		cmocka_unit_test(test_empty_secret),
		cmocka_unit_test(test_stream_unsigned_gaps),
		cmocka_unit_test(test_stream_gap_tampered),
		cmocka_unit_test(test_unsigned_first_response),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_no_tsig_and_bad_class),
		cmocka_unit_test(test_truncation_rules),
		cmocka_unit_test(test_badtime_response_signed),
		cmocka_unit_test(test_error_record_unsigned),
		cmocka_unit_test(test_response_other_key),
		cmocka_unit_test(test_sign_no_room),
		cmocka_unit_test(test_alg_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
