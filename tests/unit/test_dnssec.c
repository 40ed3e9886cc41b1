/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/dnssec: published vectors (RFC 4034, 4509, 5155,
 * 5702, 6605, 8080, 4648), zones signed by ldns-signzone and
 * dnssec-signzone (tests/data/dnssec/, made by gen.sh there) verified RRSIG
 * by RRSIG, validity windows across the 32-bit wrap, and hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/dnssec.h"

#define T_A 1
#define T_NS 2
#define T_MX 15
#define T_RRSIG 46
#define T_NSEC3 50
#define T_DNSKEY 48
#define T_NSEC3PARAM 51
#define C_IN 1

/* ---- helpers --------------------------------------------------------------- */

static size_t b64(uint8_t *out, const char *s)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s; s++) {
		const char *p = strchr(al, *s);

		if (*s == '=' || *s == ' ')
			continue;
		assert_non_null(p);
		acc = (acc << 6) | (uint32_t)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static size_t hex(uint8_t *out, const char *s)
{
	size_t n = 0;

	while (s[0] && s[1]) {
		unsigned int v;

		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Into a full-size buffer first: ls_dname_from_str() may use all 255. */
static size_t name(uint8_t *out, const char *s)
{
	uint8_t tmp[LS_DNAME_MAXLEN];
	int len = ls_dname_from_str(tmp, s, NULL);

	assert_true(len > 0);
	memcpy(out, tmp, (size_t)len);
	return (size_t)len;
}

static size_t mk_dnskey(uint8_t *out, uint16_t flags, uint8_t alg, const char *key_b64)
{
	out[0] = (uint8_t)(flags >> 8);
	out[1] = (uint8_t)flags;
	out[2] = 3;
	out[3] = alg;
	return 4 + b64(out + 4, key_b64);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t mk_rrsig(uint8_t *out, uint16_t type, uint8_t alg, uint8_t labels, uint32_t ttl,
		       uint32_t expiration, uint32_t inception, uint16_t tag, const char *signer,
		       const char *sig_b64)
{
	size_t n;

	out[0] = (uint8_t)(type >> 8);
	out[1] = (uint8_t)type;
	out[2] = alg;
	out[3] = labels;
	put32(out + 4, ttl);
	put32(out + 8, expiration);
	put32(out + 12, inception);
	out[16] = (uint8_t)(tag >> 8);
	out[17] = (uint8_t)tag;
	n = 18 + name(out + 18, signer);
	return n + b64(out + n, sig_b64);
}

/* ---- RFC signature vectors ---------------------------------------------------- */

struct sig_vector {
	const char *desc;
	const char *owner;
	uint16_t type;
	uint8_t rdata[32];
	uint16_t rdlen;
	uint16_t flags;
	uint8_t alg;
	uint16_t tag;
	const char *key;
	uint8_t labels;
	uint32_t expiration, inception;
	const char *signer;
	const char *sig;
};

/* MX 10 mail.example.com. */
#define MX_RDATA                                                                                 \
	{                                                                                        \
		0, 10, 4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', \
			'm', 0                                                                   \
	}

static const struct sig_vector sig_vectors[] = {
	{ "RFC 5702 §6.1 RSASHA256",
	  "www.example.net.",
	  T_A,
	  { 192, 0, 2, 91 },
	  4,
	  256,
	  8,
	  9033,
	  "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/"
	  "DlUmObdk=",
	  3,
	  1893456000,
	  946684800,
	  "example.net.",
	  "kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/"
	  "lPtPiVYP4bwg==" },
	{ "RFC 5702 §6.2 RSASHA512",
	  "www.example.net.",
	  T_A,
	  { 192, 0, 2, 91 },
	  4,
	  256,
	  10,
	  3740,
	  "AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/"
	  "AyhqFDxj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8gpMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL",
	  3,
	  1893456000,
	  946684800,
	  "example.net.",
	  "tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRaeUw1ep94PzEWzr0iGYgZ"
	  "BWm/zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1MBGk0fthPgxdDLw=" },
	{ "RFC 6605 §6.1 ECDSAP256SHA256",
	  "www.example.net.",
	  T_A,
	  { 192, 0, 2, 1 },
	  4,
	  257,
	  13,
	  55648,
	  "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
	  3,
	  1284026679,
	  1281607479,
	  "example.net.",
	  "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==" },
	{ "RFC 6605 §6.2 ECDSAP384SHA384",
	  "www.example.net.",
	  T_A,
	  { 192, 0, 2, 1 },
	  4,
	  257,
	  14,
	  10771,
	  "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/"
	  "uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
	  3,
	  1284027625,
	  1281608425,
	  "example.net.",
	  "/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTS"
	  "SPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm" },
	/*
	 * RFC 8080 §6 as printed: the RRSIG lines lack the algorithm field and
	 * the signatures were made with labels = 3 for the two-label
	 * example.com., so they verify only with 3 in the signed data.
	 */
	{ "RFC 8080 §6.1 ED25519 #1 (as printed)", "mail.example.com.", T_MX, MX_RDATA, 20, 257, 15,
	  3613, "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3, 1440021600, 1438207200,
	  "example.com.",
	  "Edk+IB9KNNWg0HAjm7FazXyrd5m3Rk8zNZbvNpAcM+eysqcUOMIjWoevFkjH5GaMWeG96GUVZu6ECKOQmemHDg==" },
	{ "RFC 8080 §6.1 ED25519 #2 (as printed)", "mail.example.com.", T_MX, MX_RDATA, 20, 257, 15,
	  35217, "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 3, 1440021600, 1438207200,
	  "example.com.",
	  "5LL2obmzdqjWI+Xto5eP5adXt/T5tMhasWvwcyW4L3SzfcRawOle9bodhC+oip9ayUGjY9T/rL4rN3bOuESGDA==" },
	{ "RFC 8080 §6.2 ED448 #1 (as printed)", "mail.example.com.", T_MX, MX_RDATA, 20, 257, 16,
	  9713, "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA", 3,
	  1440021600, 1438207200, "example.com.",
	  "Nmc0rgGKpr3GKYXcB1JmqqS4NYwhmechvJTqVzt3jR+Qy/lSLFoIk1L+9e39GPL+5tVzDPN3f9kAwiu8KCuPPjtl"
	  "227ayaCZtRKZuJax7n9NuYlZJIusX0SOIOKBGzG+yWYtz1/jjbzl5GGkWvREUCUA" },
	{ "RFC 8080 §6.2 ED448 #2 (as printed)", "mail.example.com.", T_MX, MX_RDATA, 20, 257, 16,
	  38353, "kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVMRDmgcNLp5HlHAMy12VoISsA", 3,
	  1440021600, 1438207200, "example.com.",
	  "+JjANio/LIzp7osmMYE5XD3H/YES8kXs5Vb9H8MjPS8OAGZMD37+LsCIcjg5ivt0d4Om/UaqETEAsJjaYe56CEQP"
	  "5lhRWuD2ivBqE0zfwJTyp4WqvpULbpvaukswvv/WNEFxzEYQEIm9+xDlXj4pMAMA" },
	/* RFC 8080 Errata 4935: the same RRsets signed with labels = 2. */
	{ "RFC 8080 errata 4935 ED25519 #1", "example.com.", T_MX, MX_RDATA, 20, 257, 15, 3613,
	  "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 2, 1440021600, 1438207200, "example.com.",
	  "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==" },
	{ "RFC 8080 errata 4935 ED25519 #2", "example.com.", T_MX, MX_RDATA, 20, 257, 15, 35217,
	  "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 2, 1440021600, 1438207200, "example.com.",
	  "zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5k2pcBg==" },
};

/*
 * The RFC 8080 "as printed" vectors sign "example.com." with labels 3; the
 * owner in the signed data must be example.com. itself, and a three-label
 * RRSIG over a two-label owner is refused by the builder. So those vectors
 * build their signed data by hand; every other vector goes through
 * ls_dnssec_rrset_verify().
 */
static size_t rfc8080_printed_data(uint8_t *buf, const uint8_t *rrsig_rdata, size_t signed_prefix,
				   const struct sig_vector *v)
{
	size_t n = signed_prefix;

	memcpy(buf, rrsig_rdata, n);
	n += name(buf + n, "example.com.");
	memcpy(buf + n, "\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x14", 10);
	n += 10;
	memcpy(buf + n, v->rdata, v->rdlen);
	return n + v->rdlen;
}

static void test_rfc_signatures(void **state)
{
	for (size_t i = 0; i < sizeof(sig_vectors) / sizeof(sig_vectors[0]); i++) {
		const struct sig_vector *v = &sig_vectors[i];
		uint8_t key_rd[1024], sig_rd[1024], owner[LS_DNAME_MAXLEN], data[2048];
		struct ls_dnssec_rdata_ref ref = { v->rdata, v->rdlen };
		size_t klen, slen, dlen;
		struct ls_dnssec_rrsig sig;
		struct ls_dnssec_key *key;
		bool printed = strstr(v->desc, "as printed") != NULL;

		print_message("%s\n", v->desc);
		klen = mk_dnskey(key_rd, v->flags, v->alg, v->key);
		assert_int_equal(ls_dnssec_keytag(key_rd, klen), v->tag);
		assert_int_equal(ls_dnssec_key_load(key_rd, klen, &key), 0);
		assert_int_equal(ls_dnssec_key_tag(key), v->tag);
		assert_int_equal(ls_dnssec_key_algorithm(key), v->alg);
		slen = mk_rrsig(sig_rd, v->type, v->alg, v->labels, 3600, v->expiration,
				v->inception, v->tag, v->signer, v->sig);
		assert_int_equal(ls_dnssec_rrsig_parse(&sig, sig_rd, slen), 0);
		assert_int_equal(sig.key_tag, v->tag);
		assert_int_equal(ls_dnssec_rrsig_valid_at(&sig, v->inception + 1), 0);
		name(owner, v->owner);

		if (printed) {
			dlen = rfc8080_printed_data(data, sig_rd, 18 + sig.signer_len, v);
			assert_int_equal(
				ls_dnssec_verify(key, data, dlen, sig.signature, sig.signature_len),
				0);
			data[dlen - 1] ^= 1;
			assert_int_equal(
				ls_dnssec_verify(key, data, dlen, sig.signature, sig.signature_len),
				-EBADMSG);
		} else {
			assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, C_IN, &ref, 1),
					 0);
			/* the owner in capitals signs the same */
			for (size_t j = 0; owner[j]; j += owner[j] + 1)
				for (size_t k = 1; k <= owner[j]; k++)
					owner[j + k] = (uint8_t)toupper(owner[j + k]);
			assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, C_IN, &ref, 1),
					 0);
			/* a different TTL is different signed data */
			sig.original_ttl = 3601;
			sig_rd[7] ^= 1;
			assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, C_IN, &ref, 1),
					 -EBADMSG);
			sig_rd[7] ^= 1;
			sig.original_ttl = 3600;
			/* one flipped bit in the signature */
			sig_rd[slen - 5] ^= 0x10;
			assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, C_IN, &ref, 1),
					 -EBADMSG);
			sig_rd[slen - 5] ^= 0x10;
			/* class CH is not what was signed */
			assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, 3, &ref, 1),
					 -EBADMSG);
			/* a truncated signature */
			sig.signature_len--;
			assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, C_IN, &ref, 1),
					 -EBADMSG);
		}
		ls_dnssec_key_free(key);
	}
}

/* The RFC 5702 §6.1 512-bit key is below RSASHA512's 1024-bit minimum. */
static void test_rsa_sizes(void **state)
{
	static const char k512[] = "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36Bponcwt"
				   "kZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=";
	uint8_t rd[1200];
	struct ls_dnssec_key *key = (void *)1;
	size_t n;

	n = mk_dnskey(rd, 256, 10, k512);
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), -EBADMSG);
	assert_null(key);
	n = mk_dnskey(rd, 256, 8, k512);
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), 0);
	ls_dnssec_key_free(key);

	/* 4097-bit modulus, exponent 65537 */
	rd[0] = 1, rd[1] = 0, rd[2] = 3, rd[3] = 8;
	rd[4] = 3, rd[5] = 1, rd[6] = 0, rd[7] = 1;
	rd[8] = 1;
	memset(rd + 9, 0xA5, 512);
	rd[9 + 511] |= 1;
	assert_int_equal(ls_dnssec_key_load(rd, 9 + 512, &key), -EBADMSG);
	/* 4096 bits loads (the provider checks it is odd) */
	assert_int_equal(ls_dnssec_key_load(rd, 8 + 512, &key), 0);
	ls_dnssec_key_free(key);
	/* three-octet exponent length form: 0, 0x0003, then the exponent */
	memmove(rd + 7, rd + 5, 3 + 512);
	rd[4] = 0, rd[5] = 0, rd[6] = 3;
	assert_int_equal(ls_dnssec_key_load(rd, 10 + 512, &key), 0);
	ls_dnssec_key_free(key);
	/* ... with a length running past the end */
	rd[5] = 0x10;
	assert_int_equal(ls_dnssec_key_load(rd, 10 + 512, &key), -EBADMSG);
	/* ... and with length 0 */
	rd[5] = 0, rd[6] = 0;
	assert_int_equal(ls_dnssec_key_load(rd, 10 + 512, &key), -EBADMSG);
}

/* ---- key tags and DS (RFC 4034 §5.4, RFC 4509 §2.3, RFC 6605, RFC 8080) ---- */

struct ds_vector {
	const char *owner;
	uint16_t flags;
	uint8_t alg;
	const char *key;
	uint16_t tag;
	uint8_t dtype;
	const char *digest;
};

#define RFC4034_KEY                                                                                  \
	"AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmA" \
	"phXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw=="

static const struct ds_vector ds_vectors[] = {
	{ "dskey.example.com.", 256, 5, RFC4034_KEY, 60485, 1,
	  "2bb183af5f22588179a53b0a98631fad1a292118" },
	{ "dskey.example.com.", 256, 5, RFC4034_KEY, 60485, 2,
	  "d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a" },
	{ "example.net.", 257, 13,
	  "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
	  55648, 2, "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17" },
	{ "example.net.", 257, 14,
	  "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/"
	  "uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
	  10771, 4,
	  "72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0563a9b5f4d288405c3008a946df9"
	  "83d6" },
	{ "example.com.", 257, 15, "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3613, 2,
	  "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b" },
	{ "example.com.", 257, 15, "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 35217, 2,
	  "401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c" },
	{ "EXAMPLE.com.", 257, 16,
	  "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA", 9713, 2,
	  "6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2b19c7" },
};

static void test_ds(void **state)
{
	for (size_t i = 0; i < sizeof(ds_vectors) / sizeof(ds_vectors[0]); i++) {
		const struct ds_vector *v = &ds_vectors[i];
		uint8_t rd[512], owner[LS_DNAME_MAXLEN], want[64], got[LS_DNSSEC_DS_MAXLEN];
		size_t n, wlen, glen = 0;
		struct ls_dnssec_key *key;

		n = mk_dnskey(rd, v->flags, v->alg, v->key);
		assert_int_equal(ls_dnssec_keytag(rd, n), v->tag);
		name(owner, v->owner);
		wlen = hex(want, v->digest);
		assert_int_equal(ls_dnssec_ds_digest(owner, rd, n, v->dtype, got, &glen), 0);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		/* and the key imports (RSA/MD5 aside) */
		assert_int_equal(ls_dnssec_key_load(rd, n, &key), 0);
		ls_dnssec_key_free(key);
	}
	{
		uint8_t rd[8] = { 1, 0, 3, 8, 1, 3, 0xff }, owner[2] = { 0 }, out[64];
		size_t olen;

		assert_int_equal(ls_dnssec_ds_digest(owner, rd, 7, 3, out, &olen), -EOPNOTSUPP);
		assert_int_equal(ls_dnssec_ds_digest(owner, rd, 7, 0, out, &olen), -EOPNOTSUPP);
	}
	/* RFC 4034 App. B.1: RSA/MD5 takes the tag from the modulus' end. */
	{
		uint8_t rd[] = { 1, 0, 3, 1, 1, 3, 0xAB, 0xCD, 0xEF, 0x12, 0x34, 0x56 };

		assert_int_equal(ls_dnssec_keytag(rd, sizeof(rd)), 0x1234);
	}
}

/* ---- NSEC3 (RFC 5155 App. A) and base32hex (RFC 4648 §10) ------------------- */

static void test_nsec3_rfc5155(void **state)
{
	static const char *const v[][2] = {
		{ "example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
		{ "a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl" },
		{ "ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi" },
		{ "ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
		{ "ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r" },
		{ "w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h" },
		{ "*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en" },
		{ "x.w.example.", "b4um86eghhds6nea196smvmlo4ors995" },
		{ "y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc" },
		{ "x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s" },
		{ "xx.example.", "t644ebqk9bibcna874givr6joj62mlhv" },
		{ "X.Y.W.Example.", "2vptu5timamqttgl4luu9kg21e0aor3s" },
	};
	const uint8_t salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t n[LS_DNAME_MAXLEN], h[20], back[32];
		char b32[40];

		name(n, v[i][0]);
		assert_int_equal(ls_dnssec_nsec3_hash(h, n, 1, 12, salt, sizeof(salt)), 0);
		assert_int_equal(ls_dnssec_b32hex_encode(b32, sizeof(b32), h, 20), 32);
		assert_string_equal(b32, v[i][1]);
		assert_int_equal(ls_dnssec_b32hex_decode(back, sizeof(back), v[i][1], 32), 20);
		assert_memory_equal(back, h, 20);
	}
}

static void test_nsec3_limits(void **state)
{
	uint8_t n[LS_DNAME_MAXLEN], h[20], salt[256] = { 0 };

	name(n, "example.");
	assert_int_equal(ls_dnssec_nsec3_max_iterations(), LS_DNSSEC_NSEC3_MAX_ITER_DEFAULT);
	assert_int_equal(ls_dnssec_nsec3_hash(h, n, 1, 150, salt, 255), 0);
	assert_int_equal(ls_dnssec_nsec3_hash(h, n, 1, 151, salt, 4), -ERANGE);
	assert_int_equal(ls_dnssec_nsec3_hash(h, n, 1, 65535, salt, 4), -ERANGE);
	assert_int_equal(ls_dnssec_nsec3_hash(h, n, 2, 0, salt, 4), -EOPNOTSUPP);
	assert_int_equal(ls_dnssec_nsec3_hash(h, n, 1, 0, salt, 256), -EINVAL);
	ls_dnssec_nsec3_set_max_iterations(0);
	assert_int_equal(ls_dnssec_nsec3_hash(h, n, 1, 1, salt, 0), -ERANGE);
	assert_int_equal(ls_dnssec_nsec3_hash(h, n, 1, 0, NULL, 0), 0);
	ls_dnssec_nsec3_set_max_iterations(LS_DNSSEC_NSEC3_MAX_ITER_DEFAULT);
}

static void test_b32hex(void **state)
{
	static const char *const v[][2] = {
		{ "", "" },
		{ "f", "co" },
		{ "fo", "cpng" },
		{ "foo", "cpnmu" },
		{ "foob", "cpnmuog" },
		{ "fooba", "cpnmuoj1" },
		{ "foobar", "cpnmuoj1e8" },
	};
	uint8_t out[16];
	char s[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = strlen(v[i][0]);

		assert_int_equal(
			ls_dnssec_b32hex_encode(s, sizeof(s), (const uint8_t *)v[i][0], len),
			(int)strlen(v[i][1]));
		assert_string_equal(s, v[i][1]);
		assert_int_equal(
			ls_dnssec_b32hex_decode(out, sizeof(out), v[i][1], strlen(v[i][1])),
			(int)len);
		assert_memory_equal(out, v[i][0], len);
	}
	assert_int_equal(ls_dnssec_b32hex_decode(out, sizeof(out), "CPNMUOJ1E8", 10), 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(ls_dnssec_b32hex_decode(out, sizeof(out), "cpnmuoj1e9", 10), -EINVAL);
	assert_int_equal(ls_dnssec_b32hex_decode(out, sizeof(out), "cpnmuoj1e", 9), -EINVAL);
	assert_int_equal(ls_dnssec_b32hex_decode(out, sizeof(out), "cpnmuowx", 8), -EINVAL);
	assert_int_equal(ls_dnssec_b32hex_decode(out, sizeof(out), "cpnmuoj=", 8), -EINVAL);
	assert_int_equal(ls_dnssec_b32hex_decode(out, 5, "cpnmuoj1e8", 10), -ENOSPC);
	assert_int_equal(ls_dnssec_b32hex_encode(s, 10, (const uint8_t *)"foobar", 6), -ENOSPC);
}

/* ---- ZONEMD digests ------------------------------------------------------------ */

static void test_digest(void **state)
{
	static const char sha384_abc[] =
		"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5b"
		"ed8086072ba1e7cc2358baeca134c825a7";
	static const char sha512_abc[] =
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d3"
		"9a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54c"
		"a49f";
	struct ls_dnssec_digest d = { 0 };
	uint8_t out[LS_DNSSEC_DIGEST_MAXLEN], want[64];
	size_t len;

	ls_dnssec_digest_cleanup(NULL);
	ls_dnssec_digest_cleanup(&d);
	assert_int_equal(ls_dnssec_digest_init(&d, 1), 0);
	assert_int_equal(d.len, 48);
	assert_int_equal(ls_dnssec_digest_update(&d, "a", 1), 0);
	assert_int_equal(ls_dnssec_digest_update(&d, "bc", 2), 0);
	assert_int_equal(ls_dnssec_digest_final(&d, out, &len), 0);
	assert_int_equal(len, hex(want, sha384_abc));
	assert_memory_equal(out, want, len);
	ls_dnssec_digest_cleanup(&d);
	ls_dnssec_digest_cleanup(&d);

	assert_int_equal(ls_dnssec_digest_init(&d, 2), 0);
	assert_int_equal(ls_dnssec_digest_update(&d, "abc", 3), 0);
	assert_int_equal(ls_dnssec_digest_final(&d, out, &len), 0);
	assert_int_equal(len, hex(want, sha512_abc));
	assert_memory_equal(out, want, len);
	ls_dnssec_digest_cleanup(&d);

	assert_int_equal(ls_dnssec_digest_init(&d, 0), -EOPNOTSUPP);
	assert_int_equal(ls_dnssec_digest_init(&d, 3), -EOPNOTSUPP);
	assert_int_equal(ls_dnssec_digest_update(&d, "abc", 3), -EINVAL);
	ls_dnssec_digest_cleanup(&d);
}

/* ---- validity windows ------------------------------------------------------------ */

static void test_window(void **state)
{
	struct ls_dnssec_rrsig s = { 0 };

	s.inception = 1000;
	s.expiration = 2000;
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 999), -EKEYREJECTED);
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 1000), 0);
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 2000), 0);
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 2001), -EKEYEXPIRED);
	/* the same window 2^32 s later (2106 onwards) */
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, (1ull << 32) + 1500), 0);
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, (1ull << 32) + 2500), -EKEYEXPIRED);

	/* a window across the wrap: expiration numerically below inception */
	s.inception = 0xFFFFFF00u;
	s.expiration = 0x100;
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 0xFFFFFEFFull), -EKEYREJECTED);
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 0xFFFFFFF0ull), 0);
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 1ull << 32), 0);
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, (1ull << 32) + 0x100), 0);
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, (1ull << 32) + 0x101), -EKEYEXPIRED);

	/* a long-lived signature (over 68 years) still reads relative to now */
	s.inception = 0;
	s.expiration = 0xC0000000u;
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 0x50000000u), 0);
	/* exactly 2^31 away is neither side: refused */
	s.inception = 0;
	s.expiration = 0x80000000u;
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 0), -EKEYEXPIRED);
	s.expiration = 0x90000000u;
	assert_int_equal(ls_dnssec_rrsig_valid_at(&s, 0x80000000u), -EKEYREJECTED);
}

/* ---- signed data: sorting, duplicates, wildcards ----------------------------------- */

static void test_signed_data(void **state)
{
	uint8_t rd[64], owner[LS_DNAME_MAXLEN], buf[512], want[512];
	struct ls_dnssec_rrsig sig;
	/* sorted canonically: {1}, {1,0}, {2}; a duplicate {2} too */
	const uint8_t a[] = { 2 }, b[] = { 1, 0 }, c[] = { 1 }, d[] = { 2 };
	struct ls_dnssec_rdata_ref refs[] = { { a, 1 }, { b, 2 }, { c, 1 }, { d, 1 } };
	size_t slen, len, w;

	/* TXT, alg 13, labels 2, TTL 300, signer "Ex.Test." */
	slen = mk_rrsig(rd, 16, 13, 2, 300, 2000, 1000, 7, "Ex.Test.", "AAAA");
	assert_int_equal(ls_dnssec_rrsig_parse(&sig, rd, slen), 0);
	assert_int_equal(sig.signature_len, 3);
	name(owner, "A.b.Ex.Test.");

	assert_int_equal(ls_dnssec_signed_data(buf, sizeof(buf), &len, &sig, owner, 1, refs, 4), 0);
	memcpy(want, rd, 18);
	w = 18 + name(want + 18, "ex.test.");
	{
		const struct ls_dnssec_rdata_ref order[] = { { c, 1 }, { b, 2 }, { a, 1 } };

		for (size_t i = 0; i < 3; i++) {
			/* the owner has 4 labels, the RRSIG 2: "*.ex.test." */
			w += name(want + w, "*.ex.test.");
			memcpy(want + w, "\x00\x10\x00\x01\x00\x00\x01\x2c\x00", 9);
			want[w + 9] = (uint8_t)order[i].len;
			w += 10;
			memcpy(want + w, order[i].data, order[i].len);
			w += order[i].len;
		}
	}
	assert_int_equal(len, w);
	assert_memory_equal(buf, want, w);
	/* the caller's array is untouched */
	assert_ptr_equal(refs[0].data, a);

	/* too small: -ENOSPC with a size that suffices */
	assert_int_equal(ls_dnssec_signed_data(buf, 20, &len, &sig, owner, 1, refs, 4), -ENOSPC);
	assert_true(len >= w && len <= sizeof(buf));
	/* owner with fewer labels than the RRSIG claims */
	name(owner, "test.");
	assert_int_equal(ls_dnssec_signed_data(buf, sizeof(buf), &len, &sig, owner, 1, refs, 4),
			 -EBADMSG);
	/* an empty RRset is just the RRSIG prefix */
	name(owner, "ex.test.");
	assert_int_equal(ls_dnssec_signed_data(buf, sizeof(buf), &len, &sig, owner, 1, NULL, 0), 0);
	assert_int_equal(len, 18 + 9);
}

/* Many RRs: past the stack sort buffer and the stack signed-data buffer. */
static void test_signed_data_large(void **state)
{
	enum { N = 300 };
	static uint8_t store[N][40], buf[N * 64];
	struct ls_dnssec_rdata_ref refs[N];
	uint8_t rd[64], owner[LS_DNAME_MAXLEN];
	struct ls_dnssec_rrsig sig;
	size_t slen, len;

	for (int i = 0; i < N; i++) {
		memset(store[i], 0, sizeof(store[i]));
		store[i][0] = (uint8_t)((N - 1 - i) >> 4);
		store[i][1] = (uint8_t)((N - 1 - i) & 15);
		refs[i].data = store[i];
		refs[i].len = (uint16_t)(sizeof(store[i]));
	}
	slen = mk_rrsig(rd, 16, 15, 1, 300, 2000, 1000, 7, "test.", "AAAA");
	assert_int_equal(ls_dnssec_rrsig_parse(&sig, rd, slen), 0);
	name(owner, "test.");
	assert_int_equal(ls_dnssec_signed_data(buf, sizeof(buf), &len, &sig, owner, 1, refs, N), 0);
	assert_int_equal(len, 18 + 6 + N * (6 + 10 + 40));
	for (int i = 1; i < N; i++) {
		const uint8_t *p = buf + 24 + (size_t)i * 56 + 16, *q = p - 56;

		assert_true(memcmp(q, p, 40) < 0);
	}
	/* through the verifier: the heap path, then a wrong signature */
	{
		const struct sig_vector *v = &sig_vectors[8];
		struct ls_dnssec_key *key;
		uint8_t krd[64];
		size_t klen = mk_dnskey(krd, v->flags, v->alg, v->key);

		assert_int_equal(ls_dnssec_key_load(krd, klen, &key), 0);
		sig.signature = buf; /* 64 octets of something */
		sig.signature_len = 64;
		assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, 1, refs, N), -EBADMSG);
		sig.algorithm = 13;
		assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, 1, refs, N), -EBADMSG);
		ls_dnssec_key_free(key);
	}
}

/* ---- zones signed by ldns-signzone and dnssec-signzone ------------------------------ */

struct rr {
	uint8_t owner[LS_DNAME_MAXLEN];
	uint16_t type;
	uint16_t rclass;
	uint16_t len;
	uint8_t *rdata;
};

struct zone {
	struct rr *rrs;
	size_t n;
};

static void zone_load(struct zone *z, const char *file)
{
	char path[512], line[8192], owner[300], cls[8], type[16], mark[4];
	unsigned int ttl, len;
	FILE *f;
	int off;

	snprintf(path, sizeof(path), "%s/dnssec/%s", LS_TEST_DATA, file);
	f = fopen(path, "r");
	assert_non_null(f);
	z->rrs = NULL;
	z->n = 0;
	while (fgets(line, sizeof(line), f)) {
		struct rr *rr;

		if (line[0] == ';' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%299s %u %7s %15s %3s %u %n", owner, &ttl, cls, type,
					mark, &len, &off),
				 6);
		assert_string_equal(cls, "IN");
		assert_string_equal(mark, "\\#");
		assert_true(strncmp(type, "TYPE", 4) == 0);
		z->rrs = realloc(z->rrs, (z->n + 1) * sizeof(*z->rrs));
		assert_non_null(z->rrs);
		rr = &z->rrs[z->n++];
		name(rr->owner, owner);
		rr->type = (uint16_t)atoi(type + 4);
		rr->rclass = C_IN;
		rr->len = (uint16_t)len;
		rr->rdata = malloc(len + 1);
		assert_non_null(rr->rdata);
		line[strcspn(line, "\r\n")] = '\0';
		assert_int_equal(hex(rr->rdata, line + off), len);
	}
	fclose(f);
}

static void zone_free(struct zone *z)
{
	for (size_t i = 0; i < z->n; i++)
		free(z->rrs[i].rdata);
	free(z->rrs);
}

/* One verifier for every zone verify_zone() reads, freed in main(): it keeps
 * contexts for keys of earlier zones that are freed by then, whose
 * addresses the allocator hands out again. */
static struct ls_dnssec_verifier *zone_ver;

/*
 * Verify every RRSIG of a signed zone: the key by tag and algorithm from
 * the apex DNSKEY set, the RRset as the RRs of the same owner (any case),
 * type and class, handed over in reverse file order so the builder's sort
 * runs. Then break each one three ways. Every check is made twice, by the
 * one-shot functions and by a reused ls_dnssec_verifier.
 * RDATA goes in as the file has it: the NSEC records whose next name is
 * "WWW..." verify only that way, since both signers follow RFC 6840 §5.1
 * (NSEC is not in the list of types whose RDATA names are lowercased).
 */
static void verify_zone(const char *file, uint8_t want_alg)
{
	struct zone z;
	struct ls_dnssec_key *keys[8];
	uint16_t tags[8];
	size_t key_rr[8];
	size_t nkeys = 0, verified = 0, nsec3_seen = 0;
	const uint8_t *apex;
	const struct rr *nsec3param = NULL;

	print_message("%s\n", file);
	zone_load(&z, file);
	assert_true(z.n > 20);
	apex = z.rrs[0].owner;
	assert_int_equal(z.rrs[0].type, 6);
	for (size_t i = 0; i < z.n; i++) {
		if (z.rrs[i].type == T_NSEC3PARAM)
			nsec3param = &z.rrs[i];
		if (z.rrs[i].type != T_DNSKEY || !ls_dname_equal(z.rrs[i].owner, apex))
			continue;
		assert_true(nkeys < 8);
		assert_int_equal(z.rrs[i].rdata[3], want_alg);
		assert_int_equal(ls_dnssec_key_load(z.rrs[i].rdata, z.rrs[i].len, &keys[nkeys]), 0);
		key_rr[nkeys] = i;
		tags[nkeys++] = ls_dnssec_keytag(z.rrs[i].rdata, z.rrs[i].len);
	}
	assert_true(nkeys >= 2);
	if (!zone_ver)
		assert_int_equal(ls_dnssec_verifier_new(&zone_ver), 0);

	/* pass 1: the keys freed and loaded again in reverse order, so their
	 * addresses change places; the verifier must follow the keys */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			for (size_t k = 0; k < nkeys; k++)
				ls_dnssec_key_free(keys[k]);
			for (size_t k = nkeys; k-- > 0;)
				assert_int_equal(ls_dnssec_key_load(z.rrs[key_rr[k]].rdata,
								    z.rrs[key_rr[k]].len, &keys[k]),
						 0);
		}
		for (size_t i = 0; i < z.n; i++) {
			struct ls_dnssec_rdata_ref refs[16];
			const struct rr *sigrr = &z.rrs[i];
			const uint8_t *owner = NULL;
			struct ls_dnssec_rrsig sig;
			struct ls_dnssec_key *key = NULL, *other = NULL;
			size_t n = 0;

			if (sigrr->type != T_RRSIG)
				continue;
			assert_int_equal(ls_dnssec_rrsig_parse(&sig, sigrr->rdata, sigrr->len), 0);
			assert_int_equal(sig.algorithm, want_alg);
			for (size_t k = 0; k < nkeys; k++) {
				if (tags[k] == sig.key_tag)
					key = keys[k];
				else
					other = keys[k];
			}
			assert_non_null(key);
			assert_non_null(other);
			for (size_t j = z.n; j-- > 0;) {
				const struct rr *rr = &z.rrs[j];

				if (rr->type != sig.type_covered || rr->rclass != sigrr->rclass ||
				    !ls_dname_equal(rr->owner, sigrr->owner))
					continue;
				assert_true(n < 16);
				refs[n].data = rr->rdata;
				refs[n++].len = rr->len;
				owner = rr->owner; /* as the file writes it, maybe in capitals */
			}
			assert_true(n > 0);
			assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, C_IN, refs, n),
					 0);
			/* the reusable verifier says the same, with the same key, the
		 * other key and a damaged signature */
			assert_int_equal(
				ls_dnssec_verifier_rrset(zone_ver, key, &sig, owner, C_IN, refs, n),
				0);
			assert_int_equal(ls_dnssec_verifier_rrset(zone_ver, other, &sig, owner,
								  C_IN, refs, n),
					 -EBADMSG);
			assert_int_equal(ls_dnssec_rrsig_valid_at(&sig, sig.inception + 1), 0);
			assert_int_equal(
				ls_dnssec_rrsig_valid_at(&sig, (uint64_t)sig.expiration + 1),
				-EKEYEXPIRED);
			assert_int_equal(
				ls_dnssec_rrsig_valid_at(&sig, (uint64_t)sig.inception - 1),
				-EKEYREJECTED);
			/* the other key of the zone did not make it */
			assert_int_equal(ls_dnssec_rrset_verify(other, &sig, owner, C_IN, refs, n),
					 -EBADMSG);
			/* a flipped bit in the middle of the signature */
			((uint8_t *)sig.signature)[sig.signature_len / 2] ^= 0x01;
			assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, C_IN, refs, n),
					 -EBADMSG);
			assert_int_equal(
				ls_dnssec_verifier_rrset(zone_ver, key, &sig, owner, C_IN, refs, n),
				-EBADMSG);
			((uint8_t *)sig.signature)[sig.signature_len / 2] ^= 0x01;
			/* one RR short */
			if (n > 1)
				assert_int_equal(ls_dnssec_rrset_verify(key, &sig, owner, C_IN,
									refs + 1, n - 1),
						 -EBADMSG);
			verified++;
		}
	}
	/* SOA, NS, A, DNSKEY, NSEC/NSEC3 ... at least one per RRset */
	assert_true(verified >= 10);

	/* NSEC3: every NSEC3 owner is the hash of a name of the zone */
	if (nsec3param) {
		const uint8_t *p = nsec3param->rdata;
		uint16_t iter = (uint16_t)((p[2] << 8) | p[3]);

		for (size_t i = 0; i < z.n; i++) {
			uint8_t h[20], got[20];
			char label[64];
			bool found = false;

			if (z.rrs[i].type != T_NSEC3)
				continue;
			memcpy(label, z.rrs[i].owner + 1, z.rrs[i].owner[0]);
			assert_int_equal(
				ls_dnssec_b32hex_decode(got, sizeof(got), label, z.rrs[i].owner[0]),
				20);
			for (size_t j = 0; j < z.n && !found; j++) {
				if (z.rrs[j].type == T_NSEC3 || z.rrs[j].type == T_RRSIG)
					continue;
				assert_int_equal(ls_dnssec_nsec3_hash(h, z.rrs[j].owner, p[0], iter,
								      p + 5, p[4]),
						 0);
				found = memcmp(h, got, 20) == 0;
			}
			assert_true(found);
			nsec3_seen++;
		}
		assert_true(nsec3_seen >= 6);
	}
	for (size_t k = 0; k < nkeys; k++)
		ls_dnssec_key_free(keys[k]);
	zone_free(&z);
}

static void test_zone_ldns(void **state)
{
	verify_zone("ldns-rsasha1.zone", 5);
	verify_zone("ldns-rsasha1-nsec3.zone", 7);
	verify_zone("ldns-rsasha256.zone", 8);
	verify_zone("ldns-rsasha512.zone", 10);
	verify_zone("ldns-ecdsap256.zone", 13);
	verify_zone("ldns-ecdsap384.zone", 14);
	verify_zone("ldns-ed25519.zone", 15);
	verify_zone("ldns-ed448.zone", 16);
}

static void test_zone_bind(void **state)
{
	verify_zone("bind-rsasha1.zone", 5);
	verify_zone("bind-nsec3rsasha1.zone", 7);
	verify_zone("bind-rsasha256.zone", 8);
	verify_zone("bind-rsasha512.zone", 10);
	verify_zone("bind-ecdsap256.zone", 13);
	verify_zone("bind-ecdsap384.zone", 14);
	verify_zone("bind-ed25519.zone", 15);
	verify_zone("bind-ed448.zone", 16);
}

/* ---- hostile input ---------------------------------------------------------------- */

static void test_hostile_rrsig(void **state)
{
	uint8_t rd[64];
	struct ls_dnssec_rrsig sig;
	size_t n;

	n = mk_rrsig(rd, 1, 13, 2, 300, 2000, 1000, 7, "ex.test.", "AAAA");
	assert_int_equal(ls_dnssec_rrsig_parse(&sig, rd, n), 0);
	for (size_t len = 0; len < n - 3; len++)
		assert_int_equal(ls_dnssec_rrsig_parse(&sig, rd, len), -EBADMSG);
	/* a compression pointer as signer */
	rd[18] = 0xC0;
	rd[19] = 0x0C;
	assert_int_equal(ls_dnssec_rrsig_parse(&sig, rd, n), -EBADMSG);
	/* a label running off the end */
	rd[18] = 60;
	assert_int_equal(ls_dnssec_rrsig_parse(&sig, rd, n), -EBADMSG);
	/* root signer, empty signature */
	rd[18] = 0;
	assert_int_equal(ls_dnssec_rrsig_parse(&sig, rd, 19), -EBADMSG);
	assert_int_equal(ls_dnssec_rrsig_parse(&sig, rd, 20), 0);
	assert_int_equal(sig.signer_len, 1);
	assert_int_equal(sig.signature_len, 1);
}

static void test_hostile_keys(void **state)
{
	static const char p256[] =
		"GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==";
	struct ls_dnssec_key *key = NULL;
	struct ls_dnssec_dnskey dk;
	uint8_t rd[256], zero[64] = { 0 };
	size_t n;

	/* truncated DNSKEY RDATA of a supported algorithm */
	n = mk_dnskey(rd, 257, 13, p256);
	for (size_t len = 0; len < n; len++)
		assert_int_equal(ls_dnssec_key_load(rd, len, &key), -EBADMSG);
	/* an EC point one octet long or short, or not on the curve */
	assert_int_equal(ls_dnssec_key_load(rd, n + 1, &key), -EBADMSG);
	rd[20] ^= 1;
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), -EBADMSG);
	rd[20] ^= 1;
	/* a P-256 key sold as P-384 */
	rd[3] = 14;
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), -EBADMSG);
	/* protocol other than 3 */
	rd[3] = 13;
	rd[2] = 2;
	assert_int_equal(ls_dnssec_dnskey_parse(&dk, rd, n), -EBADMSG);
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), -EBADMSG);
	rd[2] = 3;
	assert_int_equal(ls_dnssec_dnskey_parse(&dk, rd, n), 0);
	assert_int_equal(dk.flags, 257);
	assert_int_equal(dk.key_len, 64);
	/* unsupported algorithms are not bad data */
	rd[3] = 3;
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), -EOPNOTSUPP);
	rd[3] = 1;
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), -EOPNOTSUPP);
	rd[3] = 12;
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), -EOPNOTSUPP);
	rd[3] = 200;
	assert_int_equal(ls_dnssec_key_load(rd, n, &key), -EOPNOTSUPP);
	assert_false(ls_dnssec_alg_supported(1));
	assert_true(ls_dnssec_alg_supported(15));
	assert_string_equal(ls_dnssec_alg_name(13), "ECDSAP256SHA256");
	assert_string_equal(ls_dnssec_alg_name(7), "RSASHA1-NSEC3-SHA1");
	assert_string_equal(ls_dnssec_alg_name(99), "unknown");
	/* Ed25519/Ed448 of the wrong size */
	rd[3] = 15;
	assert_int_equal(ls_dnssec_key_load(rd, 4 + 31, &key), -EBADMSG);
	assert_int_equal(ls_dnssec_key_load(rd, 4 + 33, &key), -EBADMSG);
	rd[3] = 16;
	assert_int_equal(ls_dnssec_key_load(rd, 4 + 56, &key), -EBADMSG);

	/* RSA: exponent length 0 (three-octet form truncated), overlong,
	 * exponent filling everything, even exponent, exponent 1, huge one */
	memset(rd, 0, sizeof(rd));
	rd[0] = 1, rd[2] = 3, rd[3] = 8;
	assert_int_equal(ls_dnssec_key_load(rd, 5, &key), -EBADMSG);
	assert_int_equal(ls_dnssec_key_load(rd, 6, &key), -EBADMSG);
	rd[4] = 200;
	memset(rd + 5, 0xff, 100);
	assert_int_equal(ls_dnssec_key_load(rd, 105, &key), -EBADMSG);
	rd[4] = 100;
	assert_int_equal(ls_dnssec_key_load(rd, 105, &key), -EBADMSG);
	rd[4] = 1, rd[5] = 4; /* e = 4 */
	assert_int_equal(ls_dnssec_key_load(rd, 4 + 1 + 1 + 128, &key), -EBADMSG);
	rd[5] = 1; /* e = 1 */
	assert_int_equal(ls_dnssec_key_load(rd, 4 + 1 + 1 + 128, &key), -EBADMSG);
	rd[4] = 9; /* a 72-bit exponent */
	assert_int_equal(ls_dnssec_key_load(rd, 4 + 1 + 9 + 128, &key), -EBADMSG);
	rd[4] = 1, rd[5] = 3; /* e = 3 with a modulus of zeroes */
	memcpy(rd + 6, zero, 64);
	memcpy(rd + 70, zero, 64);
	assert_int_equal(ls_dnssec_key_load(rd, 4 + 1 + 1 + 128, &key), -EBADMSG);
	assert_null(key);
	ls_dnssec_key_free(NULL);
}

/* Signatures of the wrong length, zero length, and ECDSA r or s zero. */
static void test_hostile_signatures(void **state)
{
	const struct sig_vector *p256 = &sig_vectors[2], *ed = &sig_vectors[8];
	struct ls_dnssec_key *kp, *ke;
	struct ls_dnssec_verifier *v;
	uint8_t rd[256], sig[128] = { 0 }, data[8] = "data";
	size_t n;

	n = mk_dnskey(rd, p256->flags, p256->alg, p256->key);
	assert_int_equal(ls_dnssec_key_load(rd, n, &kp), 0);
	n = mk_dnskey(rd, ed->flags, ed->alg, ed->key);
	assert_int_equal(ls_dnssec_key_load(rd, n, &ke), 0);
	assert_int_equal(ls_dnssec_verifier_new(&v), 0);
	for (size_t len = 0; len < sizeof(sig); len++) {
		assert_int_equal(ls_dnssec_verify(kp, data, sizeof(data), sig, len), -EBADMSG);
		assert_int_equal(ls_dnssec_verify(ke, data, sizeof(data), sig, len), -EBADMSG);
		assert_int_equal(ls_dnssec_verifier_verify(v, kp, data, sizeof(data), sig, len),
				 -EBADMSG);
		assert_int_equal(ls_dnssec_verifier_verify(v, ke, data, sizeof(data), sig, len),
				 -EBADMSG);
	}
	memset(sig, 0xff, sizeof(sig));
	assert_int_equal(ls_dnssec_verify(kp, data, sizeof(data), sig, 64), -EBADMSG);
	assert_int_equal(ls_dnssec_verifier_verify(v, kp, data, sizeof(data), sig, 64), -EBADMSG);
	sig[0] = 0;
	assert_int_equal(ls_dnssec_verify(kp, data, 0, sig, 64), -EBADMSG);
	assert_int_equal(ls_dnssec_verifier_verify(v, kp, data, 0, sig, 64), -EBADMSG);
	ls_dnssec_key_free(kp);
	ls_dnssec_key_free(ke);
	ls_dnssec_verifier_free(v);
	ls_dnssec_verifier_free(NULL);
}

/*
 * A verifier keeps a bounded number of key contexts: 40 keys (the RFC 6605
 * P-256 and P-384 keys, each loaded 20 times) used in turn, twice round,
 * evict and re-create contexts and every answer stays right.
 */
static void test_verifier_many_keys(void **state)
{
	struct ls_dnssec_key *keys[40];
	struct ls_dnssec_rrsig sigs[2];
	uint8_t sig_rd[2][1024], owner[2][LS_DNAME_MAXLEN];
	struct ls_dnssec_rdata_ref refs[2];
	struct ls_dnssec_verifier *v;

	for (int i = 0; i < 2; i++) {
		const struct sig_vector *sv = &sig_vectors[2 + i]; /* P-256, P-384 */
		uint8_t key_rd[256];
		size_t klen = mk_dnskey(key_rd, sv->flags, sv->alg, sv->key), slen;

		for (int k = 0; k < 20; k++)
			assert_int_equal(ls_dnssec_key_load(key_rd, klen, &keys[i * 20 + k]), 0);
		slen = mk_rrsig(sig_rd[i], sv->type, sv->alg, sv->labels, 3600, sv->expiration,
				sv->inception, sv->tag, sv->signer, sv->sig);
		assert_int_equal(ls_dnssec_rrsig_parse(&sigs[i], sig_rd[i], slen), 0);
		name(owner[i], sv->owner);
		refs[i].data = sv->rdata;
		refs[i].len = sv->rdlen;
	}
	assert_int_equal(ls_dnssec_verifier_new(&v), 0);
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < 40; k++) {
			int i = k / 20;

			assert_int_equal(ls_dnssec_verifier_rrset(v, keys[k], &sigs[i], owner[i],
								  C_IN, &refs[i], 1),
					 0);
			/* the other curve's signature: refused before any maths */
			assert_int_equal(ls_dnssec_verifier_rrset(v, keys[k], &sigs[1 - i],
								  owner[1 - i], C_IN, &refs[1 - i],
								  1),
					 -EBADMSG);
			/* class CH is other signed data */
			assert_int_equal(ls_dnssec_verifier_rrset(v, keys[k], &sigs[i], owner[i], 3,
								  &refs[i], 1),
					 -EBADMSG);
		}
	}
	for (int k = 0; k < 40; k++)
		ls_dnssec_key_free(keys[k]);
	ls_dnssec_verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_signatures),
		cmocka_unit_test(test_rsa_sizes),
		cmocka_unit_test(test_ds),
		cmocka_unit_test(test_nsec3_rfc5155),
		cmocka_unit_test(test_nsec3_limits),
		cmocka_unit_test(test_b32hex),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_signed_data),
		cmocka_unit_test(test_signed_data_large),
		cmocka_unit_test(test_zone_ldns),
		cmocka_unit_test(test_zone_bind),
		cmocka_unit_test(test_hostile_rrsig),
		cmocka_unit_test(test_hostile_keys),
		cmocka_unit_test(test_hostile_signatures),
		cmocka_unit_test(test_verifier_many_keys),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	ls_dnssec_verifier_free(zone_ver);
	return failed;
}
