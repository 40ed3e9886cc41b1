/* SPDX-License-Identifier: MIT */
/*
 * rdata.h — resource record types, classes and RDATA.
 *
 * Owns: the RR type and class numbers, their mnemonics, and one table that
 * describes the wire layout of every RDATA type lockstep knows (a list of
 * fields: names with their compression and case rules, fixed-size numbers,
 * character-strings, base64/hex remainders, type bitmaps, SVCB parameters).
 * Validation, presentation, canonicalisation (RFC 4034 §6.2 with RFC 6840
 * §5.1), and the RDATA part of reading and writing DNS messages (name
 * decompression on read as RFC 3597 §4 allows, compression on write only for
 * the RFC 1035 types) all walk that one table, so they cannot disagree.
 * Types not in the table are opaque (RFC 3597).
 * Must not: allocate, or know about zones, messages beyond the RDATA octets,
 * or DNSSEC validation.
 *
 * "RDATA" in this API is always the uncompressed wire form unless a function
 * says otherwise.
 */
#ifndef LOCKSTEP_COMMON_RDATA_H
#define LOCKSTEP_COMMON_RDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RR types (IANA "Resource Record (RR) TYPEs"). */
#define LS_TYPE_A 1
#define LS_TYPE_NS 2
#define LS_TYPE_MD 3
#define LS_TYPE_MF 4
#define LS_TYPE_CNAME 5
#define LS_TYPE_SOA 6
#define LS_TYPE_MB 7
#define LS_TYPE_MG 8
#define LS_TYPE_MR 9
#define LS_TYPE_NULL 10
#define LS_TYPE_WKS 11
#define LS_TYPE_PTR 12
#define LS_TYPE_HINFO 13
#define LS_TYPE_MINFO 14
#define LS_TYPE_MX 15
#define LS_TYPE_TXT 16
#define LS_TYPE_RP 17
#define LS_TYPE_AFSDB 18
#define LS_TYPE_X25 19
#define LS_TYPE_ISDN 20
#define LS_TYPE_RT 21
#define LS_TYPE_NSAP 22
#define LS_TYPE_NSAP_PTR 23
#define LS_TYPE_SIG 24
#define LS_TYPE_KEY 25
#define LS_TYPE_PX 26
#define LS_TYPE_GPOS 27
#define LS_TYPE_AAAA 28
#define LS_TYPE_LOC 29
#define LS_TYPE_NXT 30
#define LS_TYPE_SRV 33
#define LS_TYPE_NAPTR 35
#define LS_TYPE_KX 36
#define LS_TYPE_CERT 37
#define LS_TYPE_A6 38
#define LS_TYPE_DNAME 39
#define LS_TYPE_OPT 41
#define LS_TYPE_APL 42
#define LS_TYPE_DS 43
#define LS_TYPE_SSHFP 44
#define LS_TYPE_IPSECKEY 45
#define LS_TYPE_RRSIG 46
#define LS_TYPE_NSEC 47
#define LS_TYPE_DNSKEY 48
#define LS_TYPE_DHCID 49
#define LS_TYPE_NSEC3 50
#define LS_TYPE_NSEC3PARAM 51
#define LS_TYPE_TLSA 52
#define LS_TYPE_SMIMEA 53
#define LS_TYPE_HIP 55
#define LS_TYPE_CDS 59
#define LS_TYPE_CDNSKEY 60
#define LS_TYPE_OPENPGPKEY 61
#define LS_TYPE_CSYNC 62
#define LS_TYPE_ZONEMD 63
#define LS_TYPE_SVCB 64
#define LS_TYPE_HTTPS 65
#define LS_TYPE_SPF 99
#define LS_TYPE_NID 104
#define LS_TYPE_L32 105
#define LS_TYPE_L64 106
#define LS_TYPE_LP 107
#define LS_TYPE_EUI48 108
#define LS_TYPE_EUI64 109
#define LS_TYPE_TKEY 249
#define LS_TYPE_TSIG 250
#define LS_TYPE_IXFR 251
#define LS_TYPE_AXFR 252
#define LS_TYPE_MAILB 253
#define LS_TYPE_MAILA 254
#define LS_TYPE_ANY 255
#define LS_TYPE_URI 256
#define LS_TYPE_CAA 257
#define LS_TYPE_DLV 32769

/* Classes. */
#define LS_CLASS_IN 1
#define LS_CLASS_CH 3
#define LS_CLASS_HS 4
#define LS_CLASS_NONE 254
#define LS_CLASS_ANY 255

/* SVCB/HTTPS SvcParamKeys (RFC 9460 §14.3.2, RFC 9461, RFC 9540). */
#define LS_SVC_MANDATORY 0
#define LS_SVC_ALPN 1
#define LS_SVC_NO_DEFAULT_ALPN 2
#define LS_SVC_PORT 3
#define LS_SVC_IPV4HINT 4
#define LS_SVC_ECH 5
#define LS_SVC_IPV6HINT 6
#define LS_SVC_DOHPATH 7
#define LS_SVC_OHTTP 8

/* Largest RDATA the wire allows (RDLENGTH is 16 bits). */
#define LS_RDATA_MAXLEN 65535

/**
 * Buffer size that always holds the RDATA of a type whose names are
 * decompressed on read, once decompressed, except SIG and NXT with
 * unreasonably long tails (see ls_rdata_unpack()). NAPTR is the largest:
 * 2 + 2 + 3 * 256 + 255 = 1027 octets.
 */
#define LS_RDATA_DECOMP_BUFLEN 2048

/* Longest type mnemonic or "TYPE65535", with NUL. */
#define LS_RRTYPE_STRLEN 16

/**
 * Mnemonic of @type ("A", "NSEC3"); types without one as "TYPE65280"
 * (RFC 3597 §5). Written to @buf, which is returned.
 */
const char *ls_rrtype_name(uint16_t type, char buf[16]);

/**
 * Parse a type mnemonic or "TYPEnnn" (case-insensitive) into @type.
 * Returns 0 or -EINVAL.
 */
int ls_rrtype_from_str(const char *s, uint16_t *type);

/** Mnemonic of @rclass ("IN", "CH"), others as "CLASS65280" (RFC 3597 §5). */
const char *ls_rrclass_name(uint16_t rclass, char buf[16]);

/** Parse a class mnemonic or "CLASSnnn" (case-insensitive). 0 or -EINVAL. */
int ls_rrclass_from_str(const char *s, uint16_t *rclass);

/** True for QTYPE-only and pseudo types (OPT, TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY). */
bool ls_rrtype_is_meta(uint16_t type);

/** True when lockstep knows the RDATA layout of @type (false: opaque, RFC 3597). */
bool ls_rrtype_known(uint16_t type);

/**
 * Is @rdata (@len octets, uncompressed wire form) well-formed for @type?
 * Checks every field boundary, names (no compression pointers), the
 * structure of type bitmaps and SVCB parameters. Types without a layout are
 * accepted as opaque. Returns 0 or -EBADMSG.
 */
int ls_rdata_check(uint16_t type, const uint8_t *rdata, size_t len);

/**
 * Write the presentation form of @rdata as a zone file (and kdig) shows it,
 * names absolute, to @dst. Types without a layout, and the few whose layout
 * is checked but whose text form is not written here (NULL, WKS, NSAP, NXT,
 * APL, IPSECKEY, HIP, TKEY, OPT and the QTYPEs), use the generic form
 * "\# len HEX" of RFC 3597 §5. Returns the string length, -ENOSPC when
 * @dstlen is too small, or -EBADMSG when @rdata is malformed for @type.
 */
int ls_rdata_to_str(char *dst, size_t dstlen, uint16_t type, const uint8_t *rdata, size_t len);

/**
 * Put @rdata into canonical form in place: lowercase the embedded names that
 * RFC 4034 §6.2, as updated by RFC 6840 §5.1, lists (NS, MD, MF, CNAME, SOA,
 * MB, MG, MR, PTR, MINFO, MX, RP, AFSDB, RT, SIG, PX, NXT, NAPTR, KX, SRV,
 * DNAME, A6, RRSIG signer). The NSEC next name and names of later types
 * (SVCB target, ...) keep their case. Returns 0 or -EBADMSG.
 */
int ls_rdata_canonicalize(uint16_t type, uint8_t *rdata, size_t len);

/**
 * Read the RDATA of one RR out of a DNS message: @msg/@msglen is the whole
 * message, the RDATA occupies [@pos, @pos + @rdlen). Names are decompressed
 * for the RFC 1035 types and for RP, AFSDB, RT, SIG, PX, NXT, NAPTR and SRV,
 * as RFC 3597 §4 asks of receivers; in all other types a compression pointer
 * is an error. The RDATA is validated as ls_rdata_check() does.
 * The result goes to @dst (@dstlen octets; LS_RDATA_DECOMP_BUFLEN is enough
 * for every type where ls_rdata_may_decompress() except pathological SIG/NXT).
 * Returns the uncompressed length, -EBADMSG, or -EMSGSIZE when @dst is short.
 */
int ls_rdata_unpack(uint16_t type, const uint8_t *msg, size_t msglen, size_t pos, size_t rdlen,
		    uint8_t *dst, size_t dstlen);

/** True when names in @type's RDATA may be compressed in a received message. */
bool ls_rdata_may_decompress(uint16_t type);

/**
 * True when a writer may compress names in @type's RDATA: only the
 * well-known RFC 1035 types (RFC 3597 §4).
 */
bool ls_rdata_may_compress(uint16_t type);

/*
 * Field-by-field access for writers and other walkers.
 * ls_rdata_names() calls @fn for every embedded domain name of @rdata (which
 * must be valid, see ls_rdata_check()) with its offset and whether it may be
 * compressed on write; stops and returns the first non-zero return of @fn.
 */
typedef int (*ls_rdata_name_fn)(void *ctx, size_t off, bool compressible);
int ls_rdata_names(uint16_t type, const uint8_t *rdata, size_t len, ls_rdata_name_fn fn, void *ctx);

#endif
