/* SPDX-License-Identifier: MIT */
/*
 * dnssec.c — see dnssec.h. OpenSSL 3 provider APIs only (EVP_PKEY_fromdata,
 * EVP_DigestVerify*): no RSA_/EC_KEY_ calls, which are deprecated.
 *
 * Speed matters in two places. A zone verification loads each key once and
 * then checks up to millions of signatures, so everything that can be done
 * per key (import, size checks, choosing the digest) is done at load time,
 * and digests are fetched from the provider once per process: OpenSSL 3
 * otherwise looks EVP_sha256() & co. up again on every use. NSEC3 hashing
 * runs once per name of a zone and reuses one digest context for all its
 * iterations.
 *
 * A verifier (struct ls_dnssec_verifier) goes further for the zone verifier's
 * workers: per thread one digest context and per key one verification
 * context, made once, and one buffer for the signed data, so the only
 * per-signature work left is hashing and the signature maths.
 *
 * Signed data is built in a buffer rather than streamed into a digest:
 * Ed25519/Ed448 in OpenSSL are one-shot only (EVP_DigestVerify, no Update),
 * and the copy costs far less than the signature check it feeds.
 */
#include "common/dnssec.h"

#include "common/dname.h"
#include "common/serial.h"
#include "common/wire.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

enum key_kind {
	KIND_RSA,
	KIND_ECDSA,
	KIND_EDDSA,
};

struct ls_dnssec_key {
	EVP_PKEY *pkey;
	const char *mdname; /* NULL for EdDSA (the digest is part of it) */
	int mdid; /* enum md_id of mdname; -1 for EdDSA */
	enum key_kind kind;
	size_t siglen; /* exact wire signature length */
	uint64_t serial; /* unique per loaded key: verifier caches match on it */
	uint8_t alg;
	uint16_t tag;
};

/* Serials of loaded keys. A verifier caches per-key contexts by key pointer
 * and serial, so a key freed and another loaded at the same address is
 * never mistaken for the old one. */
static _Atomic uint64_t key_serial_next = 1;

/* ---- digests fetched once ---------------------------------------------- */

enum md_id {
	MD_SHA1,
	MD_SHA256,
	MD_SHA384,
	MD_SHA512,
	MD_COUNT,
};

static const char *const md_names[MD_COUNT] = { "SHA1", "SHA256", "SHA384", "SHA512" };
static EVP_MD *md_table[MD_COUNT];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

/* The fetched digests live as long as the process: freeing them at exit
 * would race with other threads' last uses and gains nothing. */
static void md_fetch_all(void)
{
	for (int i = 0; i < MD_COUNT; i++)
		md_table[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
}

/* NULL when the provider lacks it (e.g. SHA-1 disabled by policy). */
static const EVP_MD *md_get(enum md_id id)
{
	pthread_once(&md_once, md_fetch_all);
	return md_table[id];
}

/* ---- small helpers ------------------------------------------------------ */

/* ---- key tags, parsed views, names -------------------------------------- */

uint16_t ls_dnssec_keytag(const uint8_t *rdata, size_t len)
{
	uint64_t ac = 0;

	/* RFC 4034 App. B.1: RSA/MD5 keys take their tag from the modulus. */
	if (len >= 4 && rdata[3] == LS_DNSSEC_RSAMD5)
		return len >= 7 ? ls_get16(rdata + len - 3) : 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rdata[i] : (uint64_t)rdata[i] << 8;
	ac += (ac >> 16) & 0xFFFF;
	return (uint16_t)(ac & 0xFFFF);
}

int ls_dnssec_rrsig_parse(struct ls_dnssec_rrsig *sig, const uint8_t *rdata, size_t len)
{
	int nlen;

	if (len < LS_DNSSEC_RRSIG_FIXED + 1)
		return -EBADMSG;
	nlen = ls_dname_wire_check(rdata + LS_DNSSEC_RRSIG_FIXED, len - LS_DNSSEC_RRSIG_FIXED);
	if (nlen < 0)
		return -EBADMSG;
	/* An empty signature cannot verify; refusing it here keeps every
	 * later stage from having to think about it. */
	if (LS_DNSSEC_RRSIG_FIXED + (size_t)nlen >= len)
		return -EBADMSG;
	sig->type_covered = ls_get16(rdata);
	sig->algorithm = rdata[2];
	sig->labels = rdata[3];
	sig->original_ttl = ls_get32(rdata + 4);
	sig->expiration = ls_get32(rdata + 8);
	sig->inception = ls_get32(rdata + 12);
	sig->key_tag = ls_get16(rdata + 16);
	sig->signer = rdata + LS_DNSSEC_RRSIG_FIXED;
	sig->signer_len = (size_t)nlen;
	sig->signature = rdata + LS_DNSSEC_RRSIG_FIXED + nlen;
	sig->signature_len = len - LS_DNSSEC_RRSIG_FIXED - (size_t)nlen;
	sig->rdata = rdata;
	return 0;
}

int ls_dnssec_dnskey_parse(struct ls_dnssec_dnskey *key, const uint8_t *rdata, size_t len)
{
	if (len < 5 || rdata[2] != 3)
		return -EBADMSG;
	key->flags = ls_get16(rdata);
	key->protocol = rdata[2];
	key->algorithm = rdata[3];
	key->key = rdata + 4;
	key->key_len = len - 4;
	return 0;
}

bool ls_dnssec_alg_supported(uint8_t alg)
{
	switch (alg) {
	case LS_DNSSEC_RSASHA1:
	case LS_DNSSEC_RSASHA1_NSEC3_SHA1:
		return md_get(MD_SHA1) != NULL;
	case LS_DNSSEC_RSASHA256:
	case LS_DNSSEC_RSASHA512:
	case LS_DNSSEC_ECDSAP256SHA256:
	case LS_DNSSEC_ECDSAP384SHA384:
	case LS_DNSSEC_ED25519:
	case LS_DNSSEC_ED448:
		return true;
	default:
		return false;
	}
}

const char *ls_dnssec_alg_name(uint8_t alg)
{
	switch (alg) {
	case LS_DNSSEC_RSAMD5:
		return "RSAMD5";
	case LS_DNSSEC_DSA:
		return "DSA";
	case LS_DNSSEC_RSASHA1:
		return "RSASHA1";
	case LS_DNSSEC_DSA_NSEC3_SHA1:
		return "DSA-NSEC3-SHA1";
	case LS_DNSSEC_RSASHA1_NSEC3_SHA1:
		return "RSASHA1-NSEC3-SHA1";
	case LS_DNSSEC_RSASHA256:
		return "RSASHA256";
	case LS_DNSSEC_RSASHA512:
		return "RSASHA512";
	case LS_DNSSEC_ECC_GOST:
		return "ECC-GOST";
	case LS_DNSSEC_ECDSAP256SHA256:
		return "ECDSAP256SHA256";
	case LS_DNSSEC_ECDSAP384SHA384:
		return "ECDSAP384SHA384";
	case LS_DNSSEC_ED25519:
		return "ED25519";
	case LS_DNSSEC_ED448:
		return "ED448";
	default:
		return "unknown";
	}
}

/* ---- key import ---------------------------------------------------------- */

/*
 * A freshly imported EC key is checked once by the provider (point on the
 * curve, not at infinity), so a hostile DNSKEY fails here with a clear error
 * instead of failing every signature later. Not for RSA: OpenSSL's check is
 * SP 800-56B's, which refuses e = 3 and small moduli that DNSSEC allows;
 * rsa_import() applies the RFC bounds instead.
 */
static int pkey_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx;
	int err = 0;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_public_check(ctx) != 1)
		err = -EBADMSG;
	EVP_PKEY_CTX_free(ctx);
	return err;
}

static int pkey_fromdata(EVP_PKEY **out, const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx;
	int err = 0;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		err = -EBADMSG;
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* RFC 3110 §2: exponent length (1 octet, or 0 and then 2 octets), exponent,
 * modulus. Sizes are bounded before OpenSSL sees them: verification time
 * grows with the exponent, and RFC 3110/5702 bound the modulus. */
static int rsa_import(struct ls_dnssec_key *k, const uint8_t *p, size_t len)
{
	const uint8_t *e, *n;
	size_t elen, nlen, off, bits;
	BIGNUM *bn_e = NULL, *bn_n = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	int err;

	if (len < 1)
		return -EBADMSG;
	if (p[0] != 0) {
		elen = p[0];
		off = 1;
	} else {
		if (len < 3)
			return -EBADMSG;
		elen = ls_get16(p + 1);
		off = 3;
	}
	if (elen == 0 || elen >= len - off)
		return -EBADMSG;
	e = p + off;
	n = e + elen;
	nlen = len - off - elen;
	while (elen > 0 && e[0] == 0) {
		e++;
		elen--;
	}
	while (nlen > 0 && n[0] == 0) {
		n++;
		nlen--;
	}
	if (elen == 0 || elen > 8 || nlen == 0)
		return -EBADMSG;
	if (!(e[elen - 1] & 1) || (elen == 1 && e[0] == 1))
		return -EBADMSG;
	bits = nlen * 8 - (size_t)__builtin_clz(n[0]) + 24;
	if (bits < (k->alg == LS_DNSSEC_RSASHA512 ? 1024u : 512u) || bits > 4096)
		return -EBADMSG;
	k->siglen = nlen;

	err = -ENOMEM;
	bn_e = BN_bin2bn(e, (int)elen, NULL);
	bn_n = BN_bin2bn(n, (int)nlen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn_e || !bn_n || !bld)
		goto free_bn;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto free_bn;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto free_bn;
	err = pkey_fromdata(&k->pkey, "RSA", params);
	OSSL_PARAM_free(params);
free_bn:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return err;
}

/* RFC 6605 §4: the key is X || Y, no point-format octet. */
static int ecdsa_import(struct ls_dnssec_key *k, const uint8_t *p, size_t len, const char *group,
			size_t coord)
{
	uint8_t point[1 + 2 * 48];
	OSSL_PARAM params[3];

	if (len != 2 * coord)
		return -EBADMSG;
	point[0] = 0x04; /* uncompressed, as OpenSSL wants it */
	memcpy(point + 1, p, len);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len + 1);
	params[2] = OSSL_PARAM_construct_end();
	k->siglen = 2 * coord;
	return pkey_fromdata(&k->pkey, "EC", params);
}

/* RFC 8080 §3: the raw public key of RFC 8032. */
static int eddsa_import(struct ls_dnssec_key *k, const uint8_t *p, size_t len, const char *type,
			size_t keylen, size_t siglen)
{
	if (len != keylen)
		return -EBADMSG;
	k->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, type, NULL, p, len);
	if (!k->pkey)
		return -EBADMSG;
	k->siglen = siglen;
	return 0;
}

int ls_dnssec_key_load(const uint8_t *rdata, size_t len, struct ls_dnssec_key **out)
{
	struct ls_dnssec_dnskey dk;
	struct ls_dnssec_key *k;
	int err;

	*out = NULL;
	err = ls_dnssec_dnskey_parse(&dk, rdata, len);
	if (err)
		return err;
	if (!ls_dnssec_alg_supported(dk.algorithm))
		return -EOPNOTSUPP;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->alg = dk.algorithm;
	k->tag = ls_dnssec_keytag(rdata, len);
	k->mdid = -1;
	k->serial = atomic_fetch_add_explicit(&key_serial_next, 1, memory_order_relaxed);

	switch (dk.algorithm) {
	case LS_DNSSEC_RSASHA1:
	case LS_DNSSEC_RSASHA1_NSEC3_SHA1:
	case LS_DNSSEC_RSASHA256:
	case LS_DNSSEC_RSASHA512:
		k->kind = KIND_RSA;
		k->mdname = dk.algorithm == LS_DNSSEC_RSASHA256 ? "SHA256" :
			    dk.algorithm == LS_DNSSEC_RSASHA512 ? "SHA512" :
								  "SHA1";
		k->mdid = dk.algorithm == LS_DNSSEC_RSASHA256 ? MD_SHA256 :
			  dk.algorithm == LS_DNSSEC_RSASHA512 ? MD_SHA512 :
								MD_SHA1;
		err = rsa_import(k, dk.key, dk.key_len);
		break;
	case LS_DNSSEC_ECDSAP256SHA256:
		k->kind = KIND_ECDSA;
		k->mdname = "SHA256";
		k->mdid = MD_SHA256;
		err = ecdsa_import(k, dk.key, dk.key_len, "P-256", 32);
		break;
	case LS_DNSSEC_ECDSAP384SHA384:
		k->kind = KIND_ECDSA;
		k->mdname = "SHA384";
		k->mdid = MD_SHA384;
		err = ecdsa_import(k, dk.key, dk.key_len, "P-384", 48);
		break;
	case LS_DNSSEC_ED25519:
		k->kind = KIND_EDDSA;
		err = eddsa_import(k, dk.key, dk.key_len, "ED25519", 32, 64);
		break;
	case LS_DNSSEC_ED448:
		k->kind = KIND_EDDSA;
		err = eddsa_import(k, dk.key, dk.key_len, "ED448", 57, 114);
		break;
	default:
		err = -EOPNOTSUPP;
		break;
	}
	if (!err && k->kind == KIND_ECDSA)
		err = pkey_check(k->pkey);
	if (err)
		goto free_key;
	*out = k;
	return 0;

free_key:
	/* Leave no OpenSSL error behind for unrelated later callers. */
	ERR_clear_error();
	ls_dnssec_key_free(k);
	return err;
}

void ls_dnssec_key_free(struct ls_dnssec_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

uint8_t ls_dnssec_key_algorithm(const struct ls_dnssec_key *key)
{
	return key->alg;
}

uint16_t ls_dnssec_key_tag(const struct ls_dnssec_key *key)
{
	return key->tag;
}

/* ---- verification --------------------------------------------------------- */

/* One DER INTEGER from an unsigned big-endian value: minimal, with a zero
 * octet in front when the top bit is set. */
static size_t der_uint(uint8_t *out, const uint8_t *v, size_t n)
{
	size_t pad;

	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	pad = (v[0] & 0x80) ? 1 : 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v, n);
	return 2 + pad + n;
}

/* RFC 6605 §4 signatures are r || s; OpenSSL wants ECDSA-Sig-Value in DER.
 * With r and s at most 48 octets the SEQUENCE stays under 128 octets, so
 * every length is one octet. */
static size_t ecdsa_to_der(uint8_t *der, const uint8_t *sig, size_t siglen)
{
	size_t half = siglen / 2, pos = 2;

	pos += der_uint(der + pos, sig, half);
	pos += der_uint(der + pos, sig + half, half);
	der[0] = 0x30;
	der[1] = (uint8_t)(pos - 2);
	return pos;
}

int ls_dnssec_verify(const struct ls_dnssec_key *key, const uint8_t *data, size_t len,
		     const uint8_t *sig, size_t siglen)
{
	uint8_t der[2 + 2 * (3 + 48)];
	EVP_MD_CTX *mctx;
	int err;

	if (siglen != key->siglen)
		return -EBADMSG;
	if (key->kind == KIND_ECDSA) {
		siglen = ecdsa_to_der(der, sig, siglen);
		sig = der;
	}
	mctx = EVP_MD_CTX_new();
	if (!mctx)
		return -ENOMEM;
	/* The key is only read: OpenSSL 3 takes a reference on it, which is
	 * atomic, so one key serves many threads. */
	if (EVP_DigestVerifyInit_ex(mctx, NULL, key->mdname, NULL, NULL, key->pkey, NULL) != 1) {
		/* The key loaded, so what fails is the digest: a policy
		 * (e.g. SHA-1 signatures disabled) or a missing provider. */
		err = -EOPNOTSUPP;
		goto free_mctx;
	}
	err = EVP_DigestVerify(mctx, sig, siglen, data, len) == 1 ? 0 : -EBADMSG;
free_mctx:
	EVP_MD_CTX_free(mctx);
	if (err)
		ERR_clear_error();
	return err;
}

/* ---- signed data -------------------------------------------------------- */

/* RFC 4034 §6.3: RDATA as left-justified octet strings, a missing octet
 * sorting before any present one. */
static int rdata_cmp(const struct ls_dnssec_rdata_ref *a, const struct ls_dnssec_rdata_ref *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->data, b->data, n) : 0;

	if (c)
		return c;
	return (int)a->len - (int)b->len;
}

static int rdata_qsort_cmp(const void *a, const void *b)
{
	return rdata_cmp(a, b);
}

/* The owner as it is signed: lowercased, or the wildcard it was expanded
 * from when it has more labels than the RRSIG says (RFC 4035 §5.3.2). */
static int canonical_owner(uint8_t dst[LS_DNAME_MAXLEN], const uint8_t *owner, uint8_t labels)
{
	int have = ls_dname_labels(owner);

	if (have < labels)
		return -EBADMSG;
	if (have == labels)
		return (int)ls_dname_copy_lower(dst, owner);
	dst[0] = 1;
	dst[1] = '*';
	return 2 + (int)ls_dname_copy_lower(dst + 2, ls_dname_skip(owner, have - labels));
}

#define SORT_STACK 32

int ls_dnssec_signed_data(uint8_t *buf, size_t cap, size_t *outlen,
			  const struct ls_dnssec_rrsig *sig, const uint8_t *owner, uint16_t rclass,
			  const struct ls_dnssec_rdata_ref *rdatas, size_t n)
{
	struct ls_dnssec_rdata_ref stack[SORT_STACK], *sorted = NULL;
	const struct ls_dnssec_rdata_ref *list = rdatas;
	uint8_t cowner[LS_DNAME_MAXLEN];
	size_t need, pos, olen;
	bool in_order = true;
	int err;

	err = canonical_owner(cowner, owner, sig->labels);
	if (err < 0)
		return err;
	olen = (size_t)err;

	need = LS_DNSSEC_RRSIG_FIXED + sig->signer_len;
	for (size_t i = 0; i < n; i++) {
		need += olen + 10 + rdatas[i].len;
		if (i > 0 && rdata_cmp(&rdatas[i - 1], &rdatas[i]) >= 0)
			in_order = false;
	}
	*outlen = need;
	if (need > cap)
		return -ENOSPC;

	/* Zones usually hand RRsets over already sorted; only sort a copy
	 * when they do not, so @rdatas stays the caller's. */
	if (!in_order) {
		sorted = n <= SORT_STACK ? stack : malloc(n * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, rdatas, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), rdata_qsort_cmp);
		list = sorted;
	}

	memcpy(buf, sig->rdata, LS_DNSSEC_RRSIG_FIXED);
	pos = LS_DNSSEC_RRSIG_FIXED;
	pos += ls_dname_copy_lower(buf + pos, sig->signer);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && rdata_cmp(&list[i - 1], &list[i]) == 0)
			continue; /* an RRset is a set: duplicates are not signed */
		memcpy(buf + pos, cowner, olen);
		pos += olen;
		ls_put16(buf + pos, sig->type_covered);
		ls_put16(buf + pos + 2, rclass);
		ls_put32(buf + pos + 4, sig->original_ttl);
		ls_put16(buf + pos + 8, list[i].len);
		pos += 10;
		if (list[i].len)
			memcpy(buf + pos, list[i].data, list[i].len);
		pos += list[i].len;
	}
	*outlen = pos;
	if (sorted != stack)
		free(sorted);
	return 0;
}

#define SIGNED_STACK 4096

int ls_dnssec_rrset_verify(const struct ls_dnssec_key *key, const struct ls_dnssec_rrsig *sig,
			   const uint8_t *owner, uint16_t rclass,
			   const struct ls_dnssec_rdata_ref *rdatas, size_t n)
{
	uint8_t stack[SIGNED_STACK], *buf = stack, *heap = NULL;
	size_t len;
	int err;

	if (sig->algorithm != key->alg)
		return -EBADMSG;
	err = ls_dnssec_signed_data(buf, sizeof(stack), &len, sig, owner, rclass, rdatas, n);
	if (err == -ENOSPC) {
		heap = malloc(len);
		if (!heap)
			return -ENOMEM;
		buf = heap;
		err = ls_dnssec_signed_data(buf, len, &len, sig, owner, rclass, rdatas, n);
	}
	if (err)
		goto free_heap;
	err = ls_dnssec_verify(key, buf, len, sig->signature, sig->signature_len);
free_heap:
	free(heap);
	return err;
}

/* ---- reusable verification contexts ---------------------------------------- */

/*
 * What ls_dnssec_verify() does per call and a verifier does once:
 * EVP_DigestVerifyInit_ex() makes an EVP_PKEY_CTX, looks up the signature
 * algorithm in the provider and re-derives the key's operation state; a
 * verifier keeps one EVP_PKEY_CTX per key, initialised for verification
 * once, hashes the signed data with one reused EVP_MD_CTX and hands the
 * digest to EVP_PKEY_verify(). The signature maths is the same (OpenSSL's
 * P-256 code, ecp_nistz256 on x86-64, because the keys are built from the
 * curve's name); only the bookkeeping around it goes.
 */
#define VERIFIER_KEYS 16

struct verifier_key {
	const struct ls_dnssec_key *key;
	uint64_t serial;
	EVP_PKEY_CTX *pctx; /* holds its own reference to the key's EVP_PKEY */
};

struct ls_dnssec_verifier {
	EVP_MD_CTX *mctx; /* hashes the signed data (RSA, ECDSA) */
	EVP_MD_CTX *ectx; /* EdDSA, which OpenSSL verifies one-shot only */
	struct verifier_key keys[VERIFIER_KEYS];
	size_t nkeys, evict;
	uint8_t *buf; /* signed data, grown as needed, never shrunk */
	size_t cap;
};

int ls_dnssec_verifier_new(struct ls_dnssec_verifier **out)
{
	struct ls_dnssec_verifier *v;

	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->mctx = EVP_MD_CTX_new();
	v->ectx = EVP_MD_CTX_new();
	if (!v->mctx || !v->ectx) {
		ls_dnssec_verifier_free(v);
		return -ENOMEM;
	}
	*out = v;
	return 0;
}

void ls_dnssec_verifier_free(struct ls_dnssec_verifier *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nkeys; i++)
		EVP_PKEY_CTX_free(v->keys[i].pctx);
	EVP_MD_CTX_free(v->mctx);
	EVP_MD_CTX_free(v->ectx);
	free(v->buf);
	free(v);
}

/* The verification context of @key in @v, made on first use. A zone has a
 * handful of keys; past VERIFIER_KEYS the oldest context is replaced. */
static int verifier_pctx(struct ls_dnssec_verifier *v, const struct ls_dnssec_key *key,
			 EVP_PKEY_CTX **out)
{
	const EVP_MD *md = md_get((enum md_id)key->mdid);
	struct verifier_key *slot;
	EVP_PKEY_CTX *pctx;

	for (size_t i = 0; i < v->nkeys; i++) {
		if (v->keys[i].key == key && v->keys[i].serial == key->serial) {
			*out = v->keys[i].pctx;
			return 0;
		}
	}
	if (!md)
		return -EOPNOTSUPP;
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
	if (!pctx)
		return -ENOMEM;
	if (EVP_PKEY_verify_init(pctx) != 1 ||
	    (key->kind == KIND_RSA && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
				       EVP_PKEY_CTX_set_signature_md(pctx, md) != 1))) {
		/* as in ls_dnssec_verify(): the key loaded, so it is the
		 * digest or a policy that is refused */
		EVP_PKEY_CTX_free(pctx);
		return -EOPNOTSUPP;
	}
	if (v->nkeys < VERIFIER_KEYS) {
		slot = &v->keys[v->nkeys++];
	} else {
		slot = &v->keys[v->evict];
		v->evict = (v->evict + 1) % VERIFIER_KEYS;
		EVP_PKEY_CTX_free(slot->pctx);
	}
	slot->key = key;
	slot->serial = key->serial;
	slot->pctx = pctx;
	*out = pctx;
	return 0;
}

int ls_dnssec_verifier_verify(struct ls_dnssec_verifier *v, const struct ls_dnssec_key *key,
			      const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t der[2 + 2 * (3 + 48)], dgst[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_PKEY_CTX *pctx;
	int err;

	if (siglen != key->siglen)
		return -EBADMSG;
	if (key->kind == KIND_EDDSA) {
		/* reset: a re-init would keep the previous key's context */
		EVP_MD_CTX_reset(v->ectx);
		if (EVP_DigestVerifyInit_ex(v->ectx, NULL, NULL, NULL, NULL, key->pkey, NULL) !=
		    1) {
			err = -EOPNOTSUPP;
			goto out;
		}
		err = EVP_DigestVerify(v->ectx, sig, siglen, data, len) == 1 ? 0 : -EBADMSG;
		goto out;
	}
	err = verifier_pctx(v, key, &pctx);
	if (err)
		goto out;
	if (EVP_DigestInit_ex2(v->mctx, md_get((enum md_id)key->mdid), NULL) != 1 ||
	    EVP_DigestUpdate(v->mctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(v->mctx, dgst, &dlen) != 1) {
		err = -ENOMEM; /* digests only fail for lack of memory */
		goto out;
	}
	if (key->kind == KIND_ECDSA) {
		siglen = ecdsa_to_der(der, sig, siglen);
		sig = der;
	}
	err = EVP_PKEY_verify(pctx, sig, siglen, dgst, dlen) == 1 ? 0 : -EBADMSG;
out:
	if (err)
		ERR_clear_error();
	return err;
}

int ls_dnssec_verifier_rrset(struct ls_dnssec_verifier *v, const struct ls_dnssec_key *key,
			     const struct ls_dnssec_rrsig *sig, const uint8_t *owner,
			     uint16_t rclass, const struct ls_dnssec_rdata_ref *rdatas, size_t n)
{
	size_t len;
	int err;

	if (sig->algorithm != key->alg)
		return -EBADMSG;
	err = ls_dnssec_signed_data(v->buf, v->cap, &len, sig, owner, rclass, rdatas, n);
	if (err == -ENOSPC) {
		size_t cap = len < SIGNED_STACK ? SIGNED_STACK : len;
		uint8_t *p = realloc(v->buf, cap);

		if (!p)
			return -ENOMEM;
		v->buf = p;
		v->cap = cap;
		err = ls_dnssec_signed_data(v->buf, v->cap, &len, sig, owner, rclass, rdatas, n);
	}
	if (err)
		return err;
	return ls_dnssec_verifier_verify(v, key, v->buf, len, sig->signature, sig->signature_len);
}

/* ---- validity window ------------------------------------------------------ */

int ls_dnssec_rrsig_valid_at(const struct ls_dnssec_rrsig *sig, uint64_t unix_time)
{
	uint32_t now = (uint32_t)unix_time;
	enum ls_serial_order inc = ls_serial_cmp(sig->inception, now);
	enum ls_serial_order exp = ls_serial_cmp(sig->expiration, now);

	/* RFC 1982 relative to now, so a window across the 2106 wrap works.
	 * A time exactly 2^31 away is on neither side: refused. */
	if (inc == LS_SERIAL_GREATER || inc == LS_SERIAL_UNDEFINED)
		return -EKEYREJECTED;
	if (exp == LS_SERIAL_LESS || exp == LS_SERIAL_UNDEFINED)
		return -EKEYEXPIRED;
	return 0;
}

/* ---- DS ------------------------------------------------------------------- */

int ls_dnssec_ds_digest(const uint8_t *owner, const uint8_t *dnskey_rdata, size_t len,
			uint8_t digest_type, uint8_t *out, size_t *outlen)
{
	uint8_t lower[LS_DNAME_MAXLEN];
	const EVP_MD *md;
	EVP_MD_CTX *mctx;
	unsigned int dlen = 0;
	size_t olen;
	int err = 0;

	switch (digest_type) {
	case LS_DNSSEC_DS_SHA1:
		md = md_get(MD_SHA1);
		break;
	case LS_DNSSEC_DS_SHA256:
		md = md_get(MD_SHA256);
		break;
	case LS_DNSSEC_DS_SHA384:
		md = md_get(MD_SHA384);
		break;
	default:
		md = NULL;
		break;
	}
	if (!md)
		return -EOPNOTSUPP;
	olen = ls_dname_copy_lower(lower, owner);
	mctx = EVP_MD_CTX_new();
	if (!mctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex2(mctx, md, NULL) != 1 || EVP_DigestUpdate(mctx, lower, olen) != 1 ||
	    EVP_DigestUpdate(mctx, dnskey_rdata, len) != 1 ||
	    EVP_DigestFinal_ex(mctx, out, &dlen) != 1) {
		ERR_clear_error();
		err = -ENOMEM; /* digests only fail for lack of memory */
	}
	EVP_MD_CTX_free(mctx);
	*outlen = dlen;
	return err;
}

/* ---- NSEC3 ---------------------------------------------------------------- */

static _Atomic uint16_t nsec3_max_iter = LS_DNSSEC_NSEC3_MAX_ITER_DEFAULT;

void ls_dnssec_nsec3_set_max_iterations(uint16_t max)
{
	atomic_store_explicit(&nsec3_max_iter, max, memory_order_relaxed);
}

uint16_t ls_dnssec_nsec3_max_iterations(void)
{
	return atomic_load_explicit(&nsec3_max_iter, memory_order_relaxed);
}

int ls_dnssec_nsec3_hash(uint8_t out[LS_DNSSEC_NSEC3_HASHLEN], const uint8_t *name, uint8_t alg,
			 uint16_t iterations, const uint8_t *salt, size_t saltlen)
{
	uint8_t lower[LS_DNAME_MAXLEN];
	const EVP_MD *md;
	EVP_MD_CTX *mctx;
	size_t nlen;
	int err = 0;

	if (alg != LS_DNSSEC_NSEC3_SHA1)
		return -EOPNOTSUPP;
	if (iterations > ls_dnssec_nsec3_max_iterations())
		return -ERANGE;
	if (saltlen > 255)
		return -EINVAL;
	md = md_get(MD_SHA1);
	if (!md)
		return -EOPNOTSUPP;
	nlen = ls_dname_copy_lower(lower, name);
	mctx = EVP_MD_CTX_new();
	if (!mctx)
		return -ENOMEM;
	/* IH(0) = H(name | salt), IH(k) = H(IH(k-1) | salt) (RFC 5155 §5). */
	for (unsigned int k = 0; k <= iterations; k++) {
		const uint8_t *in = k ? out : lower;
		size_t inlen = k ? LS_DNSSEC_NSEC3_HASHLEN : nlen;

		if (EVP_DigestInit_ex2(mctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(mctx, in, inlen) != 1 ||
		    EVP_DigestUpdate(mctx, salt, saltlen) != 1 ||
		    EVP_DigestFinal_ex(mctx, out, NULL) != 1) {
			ERR_clear_error();
			err = -ENOMEM;
			break;
		}
	}
	EVP_MD_CTX_free(mctx);
	return err;
}

/* ---- base32hex ------------------------------------------------------------ */

static const char b32hex[] = "0123456789abcdefghijklmnopqrstuv";

int ls_dnssec_b32hex_encode(char *dst, size_t dstlen, const uint8_t *src, size_t len)
{
	size_t outlen = (len * 8 + 4) / 5, pos = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (outlen >= dstlen || outlen > INT32_MAX)
		return -ENOSPC;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | src[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			dst[pos++] = b32hex[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		dst[pos++] = b32hex[(acc << (5 - bits)) & 31];
	dst[pos] = '\0';
	return (int)pos;
}

static int b32hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'v')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'V')
		return c - 'A' + 10;
	return -1;
}

int ls_dnssec_b32hex_decode(uint8_t *dst, size_t dstlen, const char *src, size_t len)
{
	size_t pos = 0;
	uint32_t acc = 0;
	int bits = 0;

	/* 1, 3 and 6 trailing characters cannot come from whole octets. */
	switch (len % 8) {
	case 1:
	case 3:
	case 6:
		return -EINVAL;
	}
	if (len / 8 * 5 > INT32_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int v = b32hex_value(src[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (pos >= dstlen)
				return -ENOSPC;
			dst[pos++] = (uint8_t)(acc >> bits);
		}
	}
	if (acc & ((1u << bits) - 1))
		return -EINVAL;
	return (int)pos;
}

/* ---- ZONEMD digests ------------------------------------------------------- */

int ls_dnssec_digest_init(struct ls_dnssec_digest *d, uint8_t hash_alg)
{
	const EVP_MD *md;

	d->mdctx = NULL;
	d->len = 0;
	switch (hash_alg) {
	case LS_DNSSEC_ZONEMD_SHA384:
		md = md_get(MD_SHA384);
		break;
	case LS_DNSSEC_ZONEMD_SHA512:
		md = md_get(MD_SHA512);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!md)
		return -EOPNOTSUPP;
	d->mdctx = EVP_MD_CTX_new();
	if (!d->mdctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex2(d->mdctx, md, NULL) != 1) {
		ERR_clear_error();
		ls_dnssec_digest_cleanup(d);
		return -ENOMEM;
	}
	d->len = (size_t)EVP_MD_get_size(md);
	return 0;
}

int ls_dnssec_digest_update(struct ls_dnssec_digest *d, const void *data, size_t len)
{
	if (!d->mdctx)
		return -EINVAL;
	if (EVP_DigestUpdate(d->mdctx, data, len) != 1) {
		ERR_clear_error();
		return -EINVAL; /* only after final */
	}
	return 0;
}

int ls_dnssec_digest_final(struct ls_dnssec_digest *d, uint8_t *out, size_t *outlen)
{
	unsigned int len = 0;

	if (!d->mdctx)
		return -EINVAL;
	if (EVP_DigestFinal_ex(d->mdctx, out, &len) != 1) {
		ERR_clear_error();
		return -EINVAL;
	}
	*outlen = len;
	return 0;
}

void ls_dnssec_digest_cleanup(struct ls_dnssec_digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->mdctx);
	d->mdctx = NULL;
	d->len = 0;
}
