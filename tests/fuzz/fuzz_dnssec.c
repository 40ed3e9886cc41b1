/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for common/dnssec: hostile DNSKEY, RRSIG and RRset data
 * through the parsers, key import, signed-data builder and verification,
 * plus DS digests, NSEC3 hashing and base32hex round trips.
 *
 * Input layout (every field optional; a short input just stops early):
 *   u8 selector | u16 dnskey_len | DNSKEY RDATA | u16 rrsig_len | RRSIG RDATA
 *   | u8 owner_len | owner (wire) | { u16 len | RDATA }*
 * The seeds in corpus/dnssec/ are real DNSKEY/RRSIG/RRset triples from the
 * RFC vectors and tests/data/dnssec/, so verification is reached and passes.
 * Besides sanitizer reports, the target aborts when an invariant breaks:
 * base32hex must round-trip, a signature that verifies must stop
 * verifying when one bit of it flips, and the reusable verifier must give
 * the one-shot functions' answer every time (it lives across inputs, so its
 * per-key contexts outlive the keys they were made for).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/dnssec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cursor {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
	const uint8_t *p = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

static int take16(struct cursor *c)
{
	const uint8_t *p = take(c, 2);

	return p ? (p[0] << 8) | p[1] : -1;
}

static void fuzz_b32(const uint8_t *data, size_t size)
{
	uint8_t dec[64], dec2[64];
	char enc[128];
	int n, m;

	if (size > 100)
		size = 100;
	n = ls_dnssec_b32hex_decode(dec, sizeof(dec), (const char *)data, size);
	if (n < 0)
		return;
	m = ls_dnssec_b32hex_encode(enc, sizeof(enc), dec, (size_t)n);
	if (m != (int)size)
		abort();
	/* one encoding per octet string: decoding was strict */
	for (size_t i = 0; i < size; i++)
		if (enc[i] != (char)((data[i] >= 'A' && data[i] <= 'Z') ? data[i] + 32 : data[i]))
			abort();
	if (ls_dnssec_b32hex_decode(dec2, sizeof(dec2), enc, (size_t)m) != n ||
	    memcmp(dec, dec2, (size_t)n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };
	struct ls_dnssec_rdata_ref refs[32];
	struct ls_dnssec_rrsig sig;
	struct ls_dnssec_dnskey dk;
	struct ls_dnssec_key *key = NULL;
	uint8_t owner[LS_DNAME_MAXLEN], out[LS_DNSSEC_DS_MAXLEN], *copy = NULL;
	const uint8_t *krd, *srd, *o;
	size_t nrefs = 0, outlen;
	int klen, slen, olen, sel, err;
	/* one for the whole run, as a zone verifier's worker keeps one */
	static struct ls_dnssec_verifier *ver;

	if (!ver)
		(void)ls_dnssec_verifier_new(&ver); /* NULL on -ENOMEM: checks skipped */

	/* The whole input as each kind of RDATA. */
	(void)ls_dnssec_keytag(data, size);
	(void)ls_dnssec_dnskey_parse(&dk, data, size);
	(void)ls_dnssec_rrsig_parse(&sig, data, size);
	fuzz_b32(data, size);

	sel = size ? data[0] : 0;
	take(&c, 1);
	klen = take16(&c);
	if (klen < 0 || !(krd = take(&c, (size_t)klen)))
		return 0;
	err = ls_dnssec_key_load(krd, (size_t)klen, &key);
	if (err == 0 && ls_dnssec_key_tag(key) != ls_dnssec_keytag(krd, (size_t)klen))
		abort();

	/* DS and NSEC3 over the key's owner, when there is one. */
	slen = take16(&c);
	if (slen < 0 || !(srd = take(&c, (size_t)slen)))
		goto free_key;
	olen = c.left ? c.p[0] : -1;
	if (olen < 0 || !take(&c, 1) || !(o = take(&c, (size_t)olen)) ||
	    ls_dname_wire_check(o, (size_t)olen) != olen)
		goto free_key;
	memcpy(owner, o, (size_t)olen);
	(void)ls_dnssec_ds_digest(owner, krd, (size_t)klen, (uint8_t)(sel & 7), out, &outlen);
	{
		uint8_t h[LS_DNSSEC_NSEC3_HASHLEN];

		(void)ls_dnssec_nsec3_hash(h, owner, 1, (uint16_t)(sel >> 5), srd,
					   (size_t)(slen > 255 ? 255 : slen));
	}

	if (!key || ls_dnssec_rrsig_parse(&sig, srd, (size_t)slen) != 0)
		goto free_key;
	(void)ls_dnssec_rrsig_valid_at(&sig, (uint64_t)sig.inception + (uint64_t)sel * 1000);
	while (nrefs < 32) {
		int len = take16(&c);
		const uint8_t *rd;

		if (len < 0 || !(rd = take(&c, (size_t)len)))
			break;
		refs[nrefs].data = rd;
		refs[nrefs++].len = (uint16_t)len;
	}
	err = ls_dnssec_rrset_verify(key, &sig, owner, 1, refs, nrefs);
	if (ver && ls_dnssec_verifier_rrset(ver, key, &sig, owner, 1, refs, nrefs) != err)
		abort();
	if (err == 0) {
		/* a valid signature must not survive a flipped bit */
		copy = malloc((size_t)slen);
		if (!copy)
			goto free_key;
		memcpy(copy, srd, (size_t)slen);
		if (ls_dnssec_rrsig_parse(&sig, copy, (size_t)slen) != 0)
			abort();
		copy[slen - 1 - sel % sig.signature_len] ^= (uint8_t)(1u << (sel & 7));
		if (ls_dnssec_rrset_verify(key, &sig, owner, 1, refs, nrefs) != -EBADMSG)
			abort();
		if (ver &&
		    ls_dnssec_verifier_rrset(ver, key, &sig, owner, 1, refs, nrefs) != -EBADMSG)
			abort();
	}
	/* and the raw verifier on the RRset bytes as if they were signed data */
	err = ls_dnssec_verify(key, c.p, c.left, sig.signature, sig.signature_len);
	if (ver && ls_dnssec_verifier_verify(ver, key, c.p, c.left, sig.signature,
					     sig.signature_len) != err)
		abort();
free_key:
	free(copy);
	ls_dnssec_key_free(key);
	return 0;
}
