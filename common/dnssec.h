/* SPDX-License-Identifier: MIT */
/*
 * dnssec.h — DNSSEC and digest primitives (OpenSSL 3).
 *
 * Owns: the wire views of RRSIG and DNSKEY RDATA, key tags (RFC 4034 App. B),
 * public key import (RSA RFC 3110/5702, ECDSA RFC 6605, EdDSA RFC 8080),
 * signature verification, the RRSIG signed data (RFC 4034 §3.1.8.1, §6),
 * validity windows in serial arithmetic, DS digests, NSEC3 hashing
 * (RFC 5155 §5), base32hex (RFC 4648 §7) and the ZONEMD digest contexts
 * (RFC 8976 §5.3).
 * Must not: know about zones, RRsets in memory, the rdata module or the
 * clock. Every function is pure and zone-independent: the verifier decides
 * which key goes with which signature and what time to check against.
 * Canonical RDATA (names inside RDATA lowercased) is the caller's job.
 *
 * Threads: a loaded key is read-only after ls_dnssec_key_load() and may be
 * used by several threads at once; a digest context and a verifier belong to
 * one thread.
 */
#ifndef LOCKSTEP_COMMON_DNSSEC_H
#define LOCKSTEP_COMMON_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DNSSEC algorithm numbers (IANA "DNS Security Algorithm Numbers"). */
enum ls_dnssec_alg {
	LS_DNSSEC_RSAMD5 = 1,
	LS_DNSSEC_DSA = 3,
	LS_DNSSEC_RSASHA1 = 5,
	LS_DNSSEC_DSA_NSEC3_SHA1 = 6,
	LS_DNSSEC_RSASHA1_NSEC3_SHA1 = 7,
	LS_DNSSEC_RSASHA256 = 8,
	LS_DNSSEC_RSASHA512 = 10,
	LS_DNSSEC_ECC_GOST = 12,
	LS_DNSSEC_ECDSAP256SHA256 = 13,
	LS_DNSSEC_ECDSAP384SHA384 = 14,
	LS_DNSSEC_ED25519 = 15,
	LS_DNSSEC_ED448 = 16,
};

/* DS digest types (RFC 4034, 4509, 6605). */
enum ls_dnssec_ds_type {
	LS_DNSSEC_DS_SHA1 = 1,
	LS_DNSSEC_DS_SHA256 = 2,
	LS_DNSSEC_DS_SHA384 = 4,
};
#define LS_DNSSEC_DS_MAXLEN 48 /* SHA-384 */

/* ZONEMD hash algorithms (RFC 8976 §5.3). */
enum ls_dnssec_zonemd_hash {
	LS_DNSSEC_ZONEMD_SHA384 = 1,
	LS_DNSSEC_ZONEMD_SHA512 = 2,
};
#define LS_DNSSEC_DIGEST_MAXLEN 64 /* SHA-512 */

/* NSEC3 (RFC 5155). */
#define LS_DNSSEC_NSEC3_SHA1 1
#define LS_DNSSEC_NSEC3_HASHLEN 20
#define LS_DNSSEC_NSEC3_B32LEN 32 /* base32hex of a SHA-1 hash, no padding */
/*
 * Default cap on NSEC3 iterations. RFC 9276 §3.1 asks signers for 0; BIND
 * validates up to 150 (older releases) and the cost of hashing every name of
 * a large zone grows linearly with it, so anything above is refused rather
 * than computed. The agent may lower or raise it from its configuration.
 */
#define LS_DNSSEC_NSEC3_MAX_ITER_DEFAULT 150

/* Fixed part of RRSIG RDATA before the signer's name. */
#define LS_DNSSEC_RRSIG_FIXED 18

/**
 * A parsed RRSIG RDATA (RFC 4034 §3.1). Pointers point into the RDATA the
 * view was parsed from, which must outlive it.
 */
struct ls_dnssec_rrsig {
	uint16_t type_covered;
	uint8_t algorithm;
	uint8_t labels;
	uint32_t original_ttl;
	uint32_t expiration;
	uint32_t inception;
	uint16_t key_tag;
	const uint8_t *signer; /* uncompressed wire name */
	size_t signer_len;
	const uint8_t *signature;
	size_t signature_len;
	const uint8_t *rdata; /* the whole RDATA: the signed prefix is its head */
};

/** A parsed DNSKEY RDATA (RFC 4034 §2.1); @key points into the RDATA. */
struct ls_dnssec_dnskey {
	uint16_t flags;
	uint8_t protocol;
	uint8_t algorithm;
	const uint8_t *key;
	size_t key_len;
};
#define LS_DNSKEY_F_ZONE 0x0100
#define LS_DNSKEY_F_REVOKE 0x0080
#define LS_DNSKEY_F_SEP 0x0001

/** One RDATA of an RRset, already in canonical form (RFC 4034 §6.2). */
struct ls_dnssec_rdata_ref {
	const uint8_t *data;
	uint16_t len;
};

/** An imported public key (opaque). */
struct ls_dnssec_key;

/** A streaming digest for ZONEMD; zero it or init it before use. */
struct ls_dnssec_digest {
	struct evp_md_ctx_st *mdctx;
	size_t len; /* digest length in octets */
};

/**
 * Key tag of a DNSKEY RDATA (RFC 4034 App. B, with the algorithm 1 special
 * case). Any input gives a number; garbage in, garbage tag out.
 */
uint16_t ls_dnssec_keytag(const uint8_t *dnskey_rdata, size_t len);

/**
 * Parse RRSIG RDATA. The signer's name must be uncompressed and valid, and
 * the signature non-empty. Returns 0 or -EBADMSG.
 */
int ls_dnssec_rrsig_parse(struct ls_dnssec_rrsig *sig, const uint8_t *rdata, size_t len);

/**
 * Parse DNSKEY RDATA: at least one octet of key and protocol 3 (RFC 4034
 * §2.1.2 makes any other value invalid). Returns 0 or -EBADMSG.
 */
int ls_dnssec_dnskey_parse(struct ls_dnssec_dnskey *key, const uint8_t *rdata, size_t len);

/** True when ls_dnssec_key_load() can import keys of algorithm @alg. */
bool ls_dnssec_alg_supported(uint8_t alg);

/** Mnemonic of an algorithm ("ECDSAP256SHA256"), or "unknown". */
const char *ls_dnssec_alg_name(uint8_t alg);

/**
 * Import the public key of a DNSKEY RDATA, once, for many verifications.
 * Returns 0, -EOPNOTSUPP for an algorithm this build does not verify
 * (including ones OpenSSL's policy has disabled), -EBADMSG for key data
 * that is malformed or of a size outside the algorithm's RFC bounds
 * (RSA: modulus 512..4096 bits, 1024.. for RSASHA512, exponent at most
 * 64 bits, odd and > 1), or -ENOMEM.
 */
int ls_dnssec_key_load(const uint8_t *dnskey_rdata, size_t len, struct ls_dnssec_key **out);

/** Free a key; NULL is fine. */
void ls_dnssec_key_free(struct ls_dnssec_key *key);

/** The algorithm and key tag of a loaded key. */
uint8_t ls_dnssec_key_algorithm(const struct ls_dnssec_key *key);
uint16_t ls_dnssec_key_tag(const struct ls_dnssec_key *key);

/**
 * Check a DNSSEC signature (wire form: raw r||s for ECDSA) over @data.
 * Returns 0 when valid, -EBADMSG when the signature is wrong or malformed
 * (wrong length included), -EOPNOTSUPP when OpenSSL refuses the digest,
 * -ENOMEM.
 */
int ls_dnssec_verify(const struct ls_dnssec_key *key, const uint8_t *data, size_t len,
		     const uint8_t *sig, size_t siglen);

/**
 * Build the data an RRSIG signs (RFC 4034 §3.1.8.1): the RRSIG RDATA up to
 * the signature with the signer's name lowercased, then every RR of the
 * RRset as owner | type | class | original TTL | RDLENGTH | RDATA, where the
 * owner is @owner lowercased or, when it has more labels than @sig->labels,
 * "*." and its rightmost @sig->labels labels (RFC 4035 §5.3.2). The type is
 * @sig->type_covered. RRs are sorted by canonical RDATA (RFC 4034 §6.3) and
 * duplicates dropped; @rdatas itself is left as it was.
 * On success *@outlen is the length written. -ENOSPC when @cap is too small,
 * with *@outlen set to a size that suffices; -EBADMSG when the owner has
 * fewer labels than @sig->labels; -ENOMEM.
 */
int ls_dnssec_signed_data(uint8_t *buf, size_t cap, size_t *outlen,
			  const struct ls_dnssec_rrsig *sig, const uint8_t *owner, uint16_t rclass,
			  const struct ls_dnssec_rdata_ref *rdatas, size_t n);

/**
 * Verify one RRSIG over one RRset with one key: ls_dnssec_signed_data()
 * into a stack buffer (heap when the RRset is large), then
 * ls_dnssec_verify(). A signature whose algorithm is not the key's is
 * -EBADMSG. The key tag is not compared: tags collide, the caller picks
 * candidate keys. Does not look at the validity window.
 */
int ls_dnssec_rrset_verify(const struct ls_dnssec_key *key, const struct ls_dnssec_rrsig *sig,
			   const uint8_t *owner, uint16_t rclass,
			   const struct ls_dnssec_rdata_ref *rdatas, size_t n);

/**
 * A per-thread verification context (opaque): one reused digest context,
 * one verification context per key (made on first use and kept), and a
 * reused buffer for the signed data, so checking many signatures with the
 * same keys allocates nothing per signature. It does what
 * ls_dnssec_verify() and ls_dnssec_rrset_verify() do, with the same
 * results; it belongs to one thread at a time, the keys it is used with
 * may be shared. Keys may be freed while a verifier remembers them: its
 * contexts hold their own references and are matched by the key's identity,
 * never by its address alone.
 */
struct ls_dnssec_verifier;

/** Make a verifier. Returns 0 or -ENOMEM. */
int ls_dnssec_verifier_new(struct ls_dnssec_verifier **out);

/** Free a verifier; NULL is fine. */
void ls_dnssec_verifier_free(struct ls_dnssec_verifier *v);

/** ls_dnssec_verify() with @v's reused contexts; same return values. */
int ls_dnssec_verifier_verify(struct ls_dnssec_verifier *v, const struct ls_dnssec_key *key,
			      const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen);

/**
 * ls_dnssec_rrset_verify() with @v's reused contexts and signed-data buffer;
 * same return values.
 */
int ls_dnssec_verifier_rrset(struct ls_dnssec_verifier *v, const struct ls_dnssec_key *key,
			     const struct ls_dnssec_rrsig *sig, const uint8_t *owner,
			     uint16_t rclass, const struct ls_dnssec_rdata_ref *rdatas, size_t n);

/**
 * Whether @unix_time lies in [inception, expiration], both compared with
 * RFC 1982 serial arithmetic on 32 bits relative to @unix_time (RFC 4034
 * §3.1.5), so windows across the 2106 wrap work; a time exactly 2^31 away
 * is on neither side and counts as outside. Returns 0 inside,
 * -EKEYEXPIRED after expiration, -EKEYREJECTED before inception.
 */
int ls_dnssec_rrsig_valid_at(const struct ls_dnssec_rrsig *sig, uint64_t unix_time);

/**
 * DS digest of a DNSKEY (RFC 4034 §5.1.4): digest(owner lowercased |
 * DNSKEY RDATA). @out holds LS_DNSSEC_DS_MAXLEN octets; *@outlen gets the
 * digest length. Returns 0, -EOPNOTSUPP for an unknown digest type, -ENOMEM.
 */
int ls_dnssec_ds_digest(const uint8_t *owner, const uint8_t *dnskey_rdata, size_t len,
			uint8_t digest_type, uint8_t *out, size_t *outlen);

/**
 * NSEC3 hash of a wire name (RFC 5155 §5), lowercasing it first.
 * Returns 0, -EOPNOTSUPP for a hash algorithm other than SHA-1, -ERANGE when
 * @iterations exceeds the cap (ls_dnssec_nsec3_set_max_iterations()),
 * -EINVAL for a salt over 255 octets, -ENOMEM.
 */
int ls_dnssec_nsec3_hash(uint8_t out[LS_DNSSEC_NSEC3_HASHLEN], const uint8_t *name, uint8_t alg,
			 uint16_t iterations, const uint8_t *salt, size_t saltlen);

/** Set the NSEC3 iteration cap (process-wide; meant for config load). */
void ls_dnssec_nsec3_set_max_iterations(uint16_t max);
uint16_t ls_dnssec_nsec3_max_iterations(void);

/**
 * Base32hex without padding (RFC 4648 §7), lowercase as NSEC3 owners are
 * written. Writes a NUL-terminated string; returns its length or -ENOSPC.
 */
int ls_dnssec_b32hex_encode(char *dst, size_t dstlen, const uint8_t *src, size_t len);

/**
 * Decode base32hex without padding, either case. Returns the octet count,
 * -EINVAL for a character outside the alphabet, an impossible length or
 * non-zero trailing bits (so every octet string has one encoding), or
 * -ENOSPC.
 */
int ls_dnssec_b32hex_decode(uint8_t *dst, size_t dstlen, const char *src, size_t len);

/**
 * Start a ZONEMD digest: @hash_alg is 1 (SHA-384) or 2 (SHA-512).
 * Returns 0, -EOPNOTSUPP or -ENOMEM. Release with ls_dnssec_digest_cleanup().
 */
int ls_dnssec_digest_init(struct ls_dnssec_digest *d, uint8_t hash_alg);
int ls_dnssec_digest_update(struct ls_dnssec_digest *d, const void *data, size_t len);

/** Finish into @out (LS_DNSSEC_DIGEST_MAXLEN octets); *@outlen = length. */
int ls_dnssec_digest_final(struct ls_dnssec_digest *d, uint8_t *out, size_t *outlen);

/** Release the context; NULL, a zeroed or already cleaned context is fine. */
void ls_dnssec_digest_cleanup(struct ls_dnssec_digest *d);

#endif
