/* SPDX-License-Identifier: MIT */
/*
 * rdata.c — see rdata.h. One table, `descs`, says for every known type which
 * fields its RDATA holds; field_len() is the only place that decides where a
 * field ends and whether its octets are well-formed, and every operation
 * (check, to_str, canonicalize, unpack, names) walks the fields through it.
 * Nothing here allocates: presentation goes straight into the caller's
 * buffer through a small bounded string builder.
 */
#include "common/rdata.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/*
 * Field kinds. The *_REM kinds, BITMAP, SVC, OPTS and A6 take the rest of
 * the RDATA and so only ever come last in a descriptor.
 */
enum fk {
	F_END = 0,
	F_NAME_C, /* RFC 1035 type: compressed on write, decompressed on read, lowercased */
	F_NAME_D, /* decompressed on read (RFC 3597 §4), never compressed, lowercased */
	F_NAME_L, /* never compressed, lowercased in canonical form */
	F_NAME, /* never compressed, case kept (NSEC next name, SVCB target) */
	F_U8,
	F_U16,
	F_U32,
	F_U48,
	F_TYPE, /* 16-bit RR type, shown as a mnemonic */
	F_TIME, /* 32-bit seconds, shown as YYYYMMDDHHmmSS */
	F_A,
	F_AAAA,
	F_EUI48,
	F_EUI64,
	F_ILNP64, /* NID/L64 locator: four hex groups */
	F_STR, /* one character-string */
	F_STRS, /* one or more character-strings up to the end */
	F_SALT, /* length octet + hex, "-" when empty */
	F_B32, /* length octet + base32hex (NSEC3 next hashed owner) */
	F_MAC, /* 16-bit length + base64, shown as "len base64" */
	F_RCODE, /* 16-bit (TSIG) error, shown as a mnemonic */
	F_CAA_TAG, /* length octet + letters/digits */
	F_B64_REM, /* the rest, base64 */
	F_HEX_REM, /* the rest, hex */
	F_TEXT_REM, /* the rest as one quoted string (CAA value, URI target) */
	F_OPAQUE_REM, /* the rest, only checked as a whole */
	F_BITMAP, /* NSEC type bitmap (RFC 4034 §4.1.2) */
	F_SVC, /* SVCB SvcParams (RFC 9460 §2.2) */
	F_OPTS, /* EDNS options (RFC 6891 §6.1.2) */
	F_A6, /* prefix length, address suffix, prefix name (RFC 2874) */
	F_LOC, /* version 0 LOC (RFC 1876 §2): 16 octets */
};

/* Descriptor flags. */
#define D_GENERIC 0x01 /* layout checked, but shown in the RFC 3597 generic form */

#define MAXF 10

struct rdesc {
	const char *name;
	uint8_t flags;
	uint8_t f[MAXF]; /* F_END terminated unless all slots are used */
};

#define DESC(n, fl, ...)                                     \
	{                                                    \
		.name = n, .flags = fl, .f = { __VA_ARGS__ } \
	}

/*
 * Indexed by type. Types past the array (URI, CAA, DLV) are mapped by
 * desc_index(). An entry without a name is "unknown": opaque.
 */
static const struct rdesc descs[] = {
	[LS_TYPE_A] = DESC("A", 0, F_A),
	[LS_TYPE_NS] = DESC("NS", 0, F_NAME_C),
	[LS_TYPE_MD] = DESC("MD", 0, F_NAME_C),
	[LS_TYPE_MF] = DESC("MF", 0, F_NAME_C),
	[LS_TYPE_CNAME] = DESC("CNAME", 0, F_NAME_C),
	[LS_TYPE_SOA] = DESC("SOA", 0, F_NAME_C, F_NAME_C, F_U32, F_U32, F_U32, F_U32, F_U32),
	[LS_TYPE_MB] = DESC("MB", 0, F_NAME_C),
	[LS_TYPE_MG] = DESC("MG", 0, F_NAME_C),
	[LS_TYPE_MR] = DESC("MR", 0, F_NAME_C),
	[LS_TYPE_NULL] = DESC("NULL", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_WKS] = DESC("WKS", D_GENERIC, F_A, F_U8, F_OPAQUE_REM),
	[LS_TYPE_PTR] = DESC("PTR", 0, F_NAME_C),
	[LS_TYPE_HINFO] = DESC("HINFO", 0, F_STR, F_STR),
	[LS_TYPE_MINFO] = DESC("MINFO", 0, F_NAME_C, F_NAME_C),
	[LS_TYPE_MX] = DESC("MX", 0, F_U16, F_NAME_C),
	[LS_TYPE_TXT] = DESC("TXT", 0, F_STRS),
	[LS_TYPE_RP] = DESC("RP", 0, F_NAME_D, F_NAME_D),
	[LS_TYPE_AFSDB] = DESC("AFSDB", 0, F_U16, F_NAME_D),
	[LS_TYPE_X25] = DESC("X25", 0, F_STR),
	[LS_TYPE_ISDN] = DESC("ISDN", 0, F_STRS),
	[LS_TYPE_RT] = DESC("RT", 0, F_U16, F_NAME_D),
	[LS_TYPE_NSAP] = DESC("NSAP", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_NSAP_PTR] = DESC("NSAP-PTR", 0, F_NAME),
	[LS_TYPE_SIG] = DESC("SIG", 0, F_TYPE, F_U8, F_U8, F_U32, F_TIME, F_TIME, F_U16, F_NAME_D,
			     F_B64_REM),
	[LS_TYPE_KEY] = DESC("KEY", 0, F_U16, F_U8, F_U8, F_B64_REM),
	[LS_TYPE_PX] = DESC("PX", 0, F_U16, F_NAME_D, F_NAME_D),
	[LS_TYPE_GPOS] = DESC("GPOS", 0, F_STR, F_STR, F_STR),
	[LS_TYPE_AAAA] = DESC("AAAA", 0, F_AAAA),
	[LS_TYPE_LOC] = DESC("LOC", 0, F_LOC),
	[LS_TYPE_NXT] = DESC("NXT", D_GENERIC, F_NAME_D, F_OPAQUE_REM),
	[LS_TYPE_SRV] = DESC("SRV", 0, F_U16, F_U16, F_U16, F_NAME_D),
	[LS_TYPE_NAPTR] = DESC("NAPTR", 0, F_U16, F_U16, F_STR, F_STR, F_STR, F_NAME_D),
	[LS_TYPE_KX] = DESC("KX", 0, F_U16, F_NAME_L),
	[LS_TYPE_CERT] = DESC("CERT", 0, F_U16, F_U16, F_U8, F_B64_REM),
	[LS_TYPE_A6] = DESC("A6", 0, F_A6),
	[LS_TYPE_DNAME] = DESC("DNAME", 0, F_NAME_L),
	[LS_TYPE_OPT] = DESC("OPT", D_GENERIC, F_OPTS),
	[LS_TYPE_APL] = DESC("APL", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_DS] = DESC("DS", 0, F_U16, F_U8, F_U8, F_HEX_REM),
	[LS_TYPE_SSHFP] = DESC("SSHFP", 0, F_U8, F_U8, F_HEX_REM),
	[LS_TYPE_IPSECKEY] = DESC("IPSECKEY", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_RRSIG] = DESC("RRSIG", 0, F_TYPE, F_U8, F_U8, F_U32, F_TIME, F_TIME, F_U16,
			       F_NAME_L, F_B64_REM),
	[LS_TYPE_NSEC] = DESC("NSEC", 0, F_NAME, F_BITMAP),
	[LS_TYPE_DNSKEY] = DESC("DNSKEY", 0, F_U16, F_U8, F_U8, F_B64_REM),
	[LS_TYPE_DHCID] = DESC("DHCID", 0, F_B64_REM),
	[LS_TYPE_NSEC3] = DESC("NSEC3", 0, F_U8, F_U8, F_U16, F_SALT, F_B32, F_BITMAP),
	[LS_TYPE_NSEC3PARAM] = DESC("NSEC3PARAM", 0, F_U8, F_U8, F_U16, F_SALT),
	[LS_TYPE_TLSA] = DESC("TLSA", 0, F_U8, F_U8, F_U8, F_HEX_REM),
	[LS_TYPE_SMIMEA] = DESC("SMIMEA", 0, F_U8, F_U8, F_U8, F_HEX_REM),
	[LS_TYPE_HIP] = DESC("HIP", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_CDS] = DESC("CDS", 0, F_U16, F_U8, F_U8, F_HEX_REM),
	[LS_TYPE_CDNSKEY] = DESC("CDNSKEY", 0, F_U16, F_U8, F_U8, F_B64_REM),
	[LS_TYPE_OPENPGPKEY] = DESC("OPENPGPKEY", 0, F_B64_REM),
	[LS_TYPE_CSYNC] = DESC("CSYNC", 0, F_U32, F_U16, F_BITMAP),
	[LS_TYPE_ZONEMD] = DESC("ZONEMD", 0, F_U32, F_U8, F_U8, F_HEX_REM),
	[LS_TYPE_SVCB] = DESC("SVCB", 0, F_U16, F_NAME, F_SVC),
	[LS_TYPE_HTTPS] = DESC("HTTPS", 0, F_U16, F_NAME, F_SVC),
	[LS_TYPE_SPF] = DESC("SPF", 0, F_STRS),
	[LS_TYPE_NID] = DESC("NID", 0, F_U16, F_ILNP64),
	[LS_TYPE_L32] = DESC("L32", 0, F_U16, F_A),
	[LS_TYPE_L64] = DESC("L64", 0, F_U16, F_ILNP64),
	[LS_TYPE_LP] = DESC("LP", 0, F_U16, F_NAME),
	[LS_TYPE_EUI48] = DESC("EUI48", 0, F_EUI48),
	[LS_TYPE_EUI64] = DESC("EUI64", 0, F_EUI64),
	[LS_TYPE_TKEY] =
		DESC("TKEY", D_GENERIC, F_NAME, F_U32, F_U32, F_U16, F_RCODE, F_MAC, F_MAC),
	[LS_TYPE_TSIG] = DESC("TSIG", 0, F_NAME, F_U48, F_U16, F_MAC, F_U16, F_RCODE, F_MAC),
	[LS_TYPE_IXFR] = DESC("IXFR", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_AXFR] = DESC("AXFR", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_MAILB] = DESC("MAILB", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_MAILA] = DESC("MAILA", D_GENERIC, F_OPAQUE_REM),
	[LS_TYPE_ANY] = DESC("ANY", D_GENERIC, F_OPAQUE_REM),
};

static const struct rdesc desc_uri = DESC("URI", 0, F_U16, F_U16, F_TEXT_REM);
static const struct rdesc desc_caa = DESC("CAA", 0, F_U8, F_CAA_TAG, F_TEXT_REM);
static const struct rdesc desc_dlv = DESC("DLV", 0, F_U16, F_U8, F_U8, F_HEX_REM);

#define NDESCS (sizeof(descs) / sizeof(descs[0]))

static const struct rdesc *desc_of(uint16_t type)
{
	if (type < NDESCS)
		return descs[type].name ? &descs[type] : NULL;
	switch (type) {
	case LS_TYPE_URI:
		return &desc_uri;
	case LS_TYPE_CAA:
		return &desc_caa;
	case LS_TYPE_DLV:
		return &desc_dlv;
	default:
		return NULL;
	}
}

static bool is_name(uint8_t k)
{
	return k == F_NAME_C || k == F_NAME_D || k == F_NAME_L || k == F_NAME;
}

/* ---- types and classes ---- */

const char *ls_rrtype_name(uint16_t type, char buf[16])
{
	const struct rdesc *d = desc_of(type);

	if (d)
		snprintf(buf, LS_RRTYPE_STRLEN, "%s", d->name);
	else
		snprintf(buf, LS_RRTYPE_STRLEN, "TYPE%u", (unsigned)type);
	return buf;
}

/* "PREFIXnnn" with a decimal 0..65535 and nothing else; 0 or -EINVAL. */
static int parse_generic(const char *s, const char *prefix, uint16_t *out)
{
	size_t pl = strlen(prefix);
	unsigned long v = 0;

	if (strncasecmp(s, prefix, pl) != 0)
		return -EINVAL;
	s += pl;
	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

int ls_rrtype_from_str(const char *s, uint16_t *type)
{
	for (size_t i = 0; i < NDESCS; i++) {
		if (descs[i].name && strcasecmp(s, descs[i].name) == 0) {
			*type = (uint16_t)i;
			return 0;
		}
	}
	if (strcasecmp(s, "URI") == 0) {
		*type = LS_TYPE_URI;
		return 0;
	}
	if (strcasecmp(s, "CAA") == 0) {
		*type = LS_TYPE_CAA;
		return 0;
	}
	if (strcasecmp(s, "DLV") == 0) {
		*type = LS_TYPE_DLV;
		return 0;
	}
	return parse_generic(s, "TYPE", type);
}

static const struct {
	uint16_t rclass;
	const char *name;
} classes[] = {
	{ LS_CLASS_IN, "IN" },	   { LS_CLASS_CH, "CH" },   { LS_CLASS_HS, "HS" },
	{ LS_CLASS_NONE, "NONE" }, { LS_CLASS_ANY, "ANY" },
};

const char *ls_rrclass_name(uint16_t rclass, char buf[16])
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (classes[i].rclass == rclass) {
			snprintf(buf, 16, "%s", classes[i].name);
			return buf;
		}
	}
	snprintf(buf, 16, "CLASS%u", (unsigned)rclass);
	return buf;
}

int ls_rrclass_from_str(const char *s, uint16_t *rclass)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strcasecmp(s, classes[i].name) == 0) {
			*rclass = classes[i].rclass;
			return 0;
		}
	}
	return parse_generic(s, "CLASS", rclass);
}

bool ls_rrtype_is_meta(uint16_t type)
{
	return type == LS_TYPE_OPT || (type >= LS_TYPE_TKEY && type <= LS_TYPE_ANY);
}

bool ls_rrtype_known(uint16_t type)
{
	return desc_of(type) != NULL;
}

/* ---- field boundaries: the one place that decides what is well-formed ---- */

/* RFC 4034 §4.1.2: windows in increasing order, each 1..32 octets. */
static int bitmap_check(const uint8_t *p, size_t len)
{
	size_t pos = 0;
	int last = -1;

	while (pos < len) {
		if (len - pos < 2)
			return -EBADMSG;
		uint8_t win = p[pos], blen = p[pos + 1];
		if ((int)win <= last || blen == 0 || blen > 32 || len - pos - 2 < blen)
			return -EBADMSG;
		last = win;
		pos += 2 + (size_t)blen;
	}
	return 0;
}

/* Value format of one SvcParam (RFC 9460 §7, RFC 9461, RFC 9540). */
static int svc_value_check(uint16_t key, const uint8_t *v, size_t len)
{
	size_t pos;

	switch (key) {
	case LS_SVC_MANDATORY: {
		int last = -1;
		if (len == 0 || len % 2)
			return -EBADMSG;
		for (pos = 0; pos < len; pos += 2) {
			int k = ls_get16(v + pos);
			/* strictly increasing, and "mandatory" may not list itself */
			if (k <= last || k == LS_SVC_MANDATORY)
				return -EBADMSG;
			last = k;
		}
		return 0;
	}
	case LS_SVC_ALPN:
		if (len == 0)
			return -EBADMSG;
		for (pos = 0; pos < len; pos += 1 + (size_t)v[pos])
			if (v[pos] == 0 || len - pos - 1 < v[pos])
				return -EBADMSG;
		return 0;
	case LS_SVC_NO_DEFAULT_ALPN:
	case LS_SVC_OHTTP:
		return len == 0 ? 0 : -EBADMSG;
	case LS_SVC_PORT:
		return len == 2 ? 0 : -EBADMSG;
	case LS_SVC_IPV4HINT:
		return (len > 0 && len % 4 == 0) ? 0 : -EBADMSG;
	case LS_SVC_IPV6HINT:
		return (len > 0 && len % 16 == 0) ? 0 : -EBADMSG;
	case LS_SVC_DOHPATH:
		return len > 0 ? 0 : -EBADMSG;
	default:
		return 0;
	}
}

/* RFC 9460 §2.2: keys strictly increasing, values inside the RDATA and well-formed. */
static int svc_check(const uint8_t *p, size_t len)
{
	size_t pos = 0;
	int last = -1;

	while (pos < len) {
		if (len - pos < 4)
			return -EBADMSG;
		uint16_t key = ls_get16(p + pos), vlen = ls_get16(p + pos + 2);
		if ((int)key <= last || len - pos - 4 < vlen)
			return -EBADMSG;
		if (svc_value_check(key, p + pos + 4, vlen) < 0)
			return -EBADMSG;
		last = key;
		pos += 4 + (size_t)vlen;
	}
	return 0;
}

static int opts_check(const uint8_t *p, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		if (len - pos < 4)
			return -EBADMSG;
		uint16_t olen = ls_get16(p + pos + 2);
		if (len - pos - 4 < olen)
			return -EBADMSG;
		pos += 4 + (size_t)olen;
	}
	return 0;
}

/* Octets of the A6 address suffix for a prefix length (RFC 2874 §3.1). */
static size_t a6_suffix_len(uint8_t plen)
{
	return (size_t)(128 - plen + 7) / 8;
}

static int a6_check(const uint8_t *p, size_t rem)
{
	if (rem < 1 || p[0] > 128)
		return -EBADMSG;
	size_t sl = a6_suffix_len(p[0]);
	if (rem - 1 < sl)
		return -EBADMSG;
	if (p[0] == 0)
		return rem == 1 + sl ? (int)rem : -EBADMSG;
	int n = ls_dname_wire_check(p + 1 + sl, rem - 1 - sl);
	if (n < 0 || 1 + sl + (size_t)n != rem)
		return -EBADMSG;
	return (int)rem;
}

/*
 * Length of the field of kind @k at @p, with @rem octets left in the RDATA,
 * after checking its octets; -EBADMSG when it does not fit or is malformed.
 */
static int field_len(uint8_t k, const uint8_t *p, size_t rem)
{
	size_t n = 0;

	switch (k) {
	case F_NAME_C:
	case F_NAME_D:
	case F_NAME_L:
	case F_NAME:
		return ls_dname_wire_check(p, rem);
	case F_U8:
		n = 1;
		break;
	case F_U16:
	case F_TYPE:
	case F_RCODE:
		n = 2;
		break;
	case F_U32:
	case F_TIME:
	case F_A:
		n = 4;
		break;
	case F_U48:
	case F_EUI48:
		n = 6;
		break;
	case F_EUI64:
	case F_ILNP64:
		n = 8;
		break;
	case F_AAAA:
		n = 16;
		break;
	case F_STR:
	case F_SALT:
		if (rem < 1)
			return -EBADMSG;
		n = 1 + (size_t)p[0];
		break;
	case F_B32:
		if (rem < 1 || p[0] == 0)
			return -EBADMSG;
		n = 1 + (size_t)p[0];
		break;
	case F_CAA_TAG:
		/* RFC 8659 §4.1: a non-empty tag of ASCII letters and digits */
		if (rem < 1 || p[0] == 0 || rem - 1 < p[0])
			return -EBADMSG;
		for (size_t i = 1; i <= p[0]; i++) {
			uint8_t c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9')))
				return -EBADMSG;
		}
		n = 1 + (size_t)p[0];
		break;
	case F_MAC:
		if (rem < 2)
			return -EBADMSG;
		n = 2 + (size_t)ls_get16(p);
		break;
	case F_STRS:
		/* RFC 1035 §3.3.14: one or more strings, filling the RDATA */
		if (rem < 1)
			return -EBADMSG;
		while (n < rem) {
			n += 1 + (size_t)p[n];
			if (n > rem)
				return -EBADMSG;
		}
		return (int)n;
	case F_B64_REM:
	case F_HEX_REM:
	case F_TEXT_REM:
	case F_OPAQUE_REM:
		return (int)rem;
	case F_BITMAP:
		return bitmap_check(p, rem) < 0 ? -EBADMSG : (int)rem;
	case F_SVC:
		return svc_check(p, rem) < 0 ? -EBADMSG : (int)rem;
	case F_OPTS:
		return opts_check(p, rem) < 0 ? -EBADMSG : (int)rem;
	case F_A6:
		return a6_check(p, rem);
	case F_LOC:
		/* RFC 1876 §2: other versions have no defined layout */
		if (rem < 1 || p[0] != 0)
			return -EBADMSG;
		n = 16;
		break;
	default:
		return -EBADMSG;
	}
	return n <= rem ? (int)n : -EBADMSG;
}

/*
 * Walk the fields of @rdata, calling @fn (when not NULL) for each with its
 * kind, offset and length. The RDATA must end exactly with the last field.
 */
typedef int (*field_fn)(void *ctx, uint8_t kind, const uint8_t *rdata, size_t off, size_t len);

static int walk(const struct rdesc *d, const uint8_t *rdata, size_t len, field_fn fn, void *ctx)
{
	size_t pos = 0;

	for (int i = 0; i < MAXF && d->f[i] != F_END; i++) {
		int n = field_len(d->f[i], rdata + pos, len - pos);
		if (n < 0)
			return -EBADMSG;
		if (fn) {
			int err = fn(ctx, d->f[i], rdata, pos, (size_t)n);
			if (err)
				return err;
		}
		pos += (size_t)n;
	}
	return pos == len ? 0 : -EBADMSG;
}

int ls_rdata_check(uint16_t type, const uint8_t *rdata, size_t len)
{
	const struct rdesc *d = desc_of(type);

	if (len > LS_RDATA_MAXLEN)
		return -EBADMSG;
	if (!d)
		return 0;
	return walk(d, rdata, len, NULL, NULL);
}

/* ---- canonical form and name enumeration ---- */

static int lower_field(void *ctx, uint8_t kind, const uint8_t *rdata, size_t off, size_t len)
{
	uint8_t *rd = ctx; /* the same buffer as @rdata, writable */

	if (kind == F_NAME_C || kind == F_NAME_D || kind == F_NAME_L)
		ls_dname_lower(rd + off);
	else if (kind == F_A6 && rdata[off] > 0)
		ls_dname_lower(rd + off + 1 + a6_suffix_len(rdata[off]));
	return 0;
}

int ls_rdata_canonicalize(uint16_t type, uint8_t *rdata, size_t len)
{
	const struct rdesc *d = desc_of(type);

	if (len > LS_RDATA_MAXLEN)
		return -EBADMSG;
	if (!d)
		return 0;
	/* validate first, so a malformed RDATA is left untouched */
	int err = walk(d, rdata, len, NULL, NULL);
	if (err)
		return err;
	return walk(d, rdata, len, lower_field, rdata);
}

struct names_ctx {
	ls_rdata_name_fn fn;
	void *ctx;
	bool compress;
};

static int names_field(void *ctx, uint8_t kind, const uint8_t *rdata, size_t off, size_t len)
{
	struct names_ctx *nc = ctx;

	if (is_name(kind))
		return nc->fn(nc->ctx, off, nc->compress && kind == F_NAME_C);
	if (kind == F_A6 && rdata[off] > 0)
		return nc->fn(nc->ctx, off + 1 + a6_suffix_len(rdata[off]), false);
	return 0;
}

int ls_rdata_names(uint16_t type, const uint8_t *rdata, size_t len, ls_rdata_name_fn fn, void *ctx)
{
	const struct rdesc *d = desc_of(type);
	struct names_ctx nc = { .fn = fn, .ctx = ctx, .compress = ls_rdata_may_compress(type) };

	if (!d)
		return 0;
	return walk(d, rdata, len, names_field, &nc);
}

bool ls_rdata_may_compress(uint16_t type)
{
	const struct rdesc *d = desc_of(type);

	if (!d)
		return false;
	for (int i = 0; i < MAXF && d->f[i] != F_END; i++)
		if (d->f[i] == F_NAME_C)
			return true;
	return false;
}

bool ls_rdata_may_decompress(uint16_t type)
{
	const struct rdesc *d = desc_of(type);

	if (!d)
		return false;
	for (int i = 0; i < MAXF && d->f[i] != F_END; i++)
		if (d->f[i] == F_NAME_C || d->f[i] == F_NAME_D)
			return true;
	return false;
}

/* ---- reading RDATA out of a message ---- */

int ls_rdata_unpack(uint16_t type, const uint8_t *msg, size_t msglen, size_t pos, size_t rdlen,
		    uint8_t *dst, size_t dstlen)
{
	const struct rdesc *d = desc_of(type);
	size_t end = pos + rdlen, out = 0;

	if (pos > msglen || rdlen > msglen - pos)
		return -EBADMSG;
	if (!ls_rdata_may_decompress(type)) {
		/* no pointers allowed: the RDATA is already in its final form */
		if (ls_rdata_check(type, msg + pos, rdlen) < 0)
			return -EBADMSG;
		if (rdlen > dstlen)
			return -EMSGSIZE;
		memcpy(dst, msg + pos, rdlen);
		return (int)rdlen;
	}

	for (int i = 0; i < MAXF && d->f[i] != F_END; i++) {
		uint8_t k = d->f[i];
		if (k == F_NAME_C || k == F_NAME_D) {
			uint8_t name[LS_DNAME_MAXLEN];
			size_t p = pos;
			/* pointers may reach anywhere earlier in the message, but
			 * the octets in place must stay inside this RDATA */
			int n = ls_dname_unpack(name, msg, end, &p);
			if (n < 0)
				return -EBADMSG;
			if ((size_t)n > dstlen - out)
				return -EMSGSIZE;
			memcpy(dst + out, name, (size_t)n);
			out += (size_t)n;
			pos = p;
			continue;
		}
		int n = field_len(k, msg + pos, end - pos);
		if (n < 0)
			return -EBADMSG;
		if ((size_t)n > dstlen - out)
			return -EMSGSIZE;
		memcpy(dst + out, msg + pos, (size_t)n);
		out += (size_t)n;
		pos += (size_t)n;
	}
	if (pos != end || out > LS_RDATA_MAXLEN)
		return -EBADMSG;
	return (int)out;
}

/* ---- presentation ---- */

/* A bounded string builder: output stops at the end, and ->full says so. */
struct sb {
	char *buf;
	size_t cap;
	size_t len;
	bool full;
};

static void sb_putn(struct sb *s, const char *p, size_t n)
{
	if (s->full || s->cap - s->len <= n) {
		s->full = true;
		return;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static void sb_puts(struct sb *s, const char *p)
{
	sb_putn(s, p, strlen(p));
}

static void sb_putc(struct sb *s, char c)
{
	sb_putn(s, &c, 1);
}

static void sb_printf(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *s, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		s->full = true;
		return;
	}
	sb_putn(s, tmp, (size_t)n);
}

static void sb_hex(struct sb *s, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		char two[2] = { hx[p[i] >> 4], hx[p[i] & 15] };
		sb_putn(s, two, 2);
	}
}

static void sb_base64(struct sb *s, const uint8_t *p, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = n - i;
		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		char four[4] = { b64[(v >> 18) & 63], b64[(v >> 12) & 63],
				 left > 1 ? b64[(v >> 6) & 63] : '=',
				 left > 2 ? b64[v & 63] : '=' };
		sb_putn(s, four, 4);
	}
}

/* RFC 4648 §7 base32hex without padding, as RFC 5155 §3.3 shows it. */
static void sb_base32hex(struct sb *s, const uint8_t *p, size_t n)
{
	static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			sb_putc(s, b32[(acc >> (bits - 5)) & 31]);
			bits -= 5;
		}
	}
	if (bits > 0)
		sb_putc(s, b32[(acc << (5 - bits)) & 31]);
}

/*
 * Octets of a character-string: printable ASCII as is, '"' and '\\'
 * backslash-escaped, everything else (and, when @comma, a ',') as \DDD.
 */
static void sb_text(struct sb *s, const uint8_t *p, size_t n, bool comma)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_putn(s, e, 2);
		} else if (c == ',' && comma) {
			sb_puts(s, "\\\\,");
		} else if (c < 0x20 || c > 0x7e) {
			sb_printf(s, "\\%03u", (unsigned)c);
		} else {
			sb_putc(s, (char)c);
		}
	}
}

static void sb_quoted(struct sb *s, const uint8_t *p, size_t n)
{
	sb_putc(s, '"');
	sb_text(s, p, n, false);
	sb_putc(s, '"');
}

static void sb_name(struct sb *s, const uint8_t *name)
{
	char str[LS_DNAME_STRLEN];

	if (ls_dname_to_str(str, sizeof(str), name) < 0) {
		s->full = true; /* cannot happen for a checked name */
		return;
	}
	sb_puts(s, str);
}

static void sb_type(struct sb *s, uint16_t type)
{
	char t[LS_RRTYPE_STRLEN];

	sb_puts(s, ls_rrtype_name(type, t));
}

static void sb_time(struct sb *s, uint32_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm)) {
		s->full = true;
		return;
	}
	sb_printf(s, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		  tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void sb_inet(struct sb *s, int af, const uint8_t *p)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(af, p, a, sizeof(a))) {
		s->full = true;
		return;
	}
	sb_puts(s, a);
}

static void sb_bitmap(struct sb *s, const uint8_t *p, size_t len)
{
	bool first = true;

	for (size_t pos = 0; pos < len; pos += 2 + (size_t)p[pos + 1]) {
		uint8_t win = p[pos], blen = p[pos + 1];
		for (unsigned i = 0; i < blen; i++) {
			for (unsigned b = 0; b < 8; b++) {
				if (!(p[pos + 2 + i] & (0x80 >> b)))
					continue;
				if (!first)
					sb_putc(s, ' ');
				first = false;
				sb_type(s, (uint16_t)(win * 256 + i * 8 + b));
			}
		}
	}
}

static const char *const svc_keys[] = {
	[LS_SVC_MANDATORY] = "mandatory",
	[LS_SVC_ALPN] = "alpn",
	[LS_SVC_NO_DEFAULT_ALPN] = "no-default-alpn",
	[LS_SVC_PORT] = "port",
	[LS_SVC_IPV4HINT] = "ipv4hint",
	[LS_SVC_ECH] = "ech",
	[LS_SVC_IPV6HINT] = "ipv6hint",
	[LS_SVC_DOHPATH] = "dohpath",
	[LS_SVC_OHTTP] = "ohttp",
};

static void sb_svc_key(struct sb *s, uint16_t key)
{
	if (key < sizeof(svc_keys) / sizeof(svc_keys[0]))
		sb_puts(s, svc_keys[key]);
	else
		sb_printf(s, "key%u", (unsigned)key);
}

/* SvcParams in the RFC 9460 §2.1 presentation form. */
static void sb_svc(struct sb *s, const uint8_t *p, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		uint16_t key = ls_get16(p + pos), vlen = ls_get16(p + pos + 2);
		const uint8_t *v = p + pos + 4;
		if (pos > 0)
			sb_putc(s, ' ');
		sb_svc_key(s, key);
		switch (key) {
		case LS_SVC_MANDATORY:
			sb_putc(s, '=');
			for (size_t i = 0; i < vlen; i += 2) {
				if (i)
					sb_putc(s, ',');
				sb_svc_key(s, ls_get16(v + i));
			}
			break;
		case LS_SVC_ALPN:
			/* unquoted, as Knot shows it; "," inside an ID as "\\," */
			sb_putc(s, '=');
			for (size_t i = 0; i < vlen; i += 1 + (size_t)v[i]) {
				if (i)
					sb_putc(s, ',');
				sb_text(s, v + i + 1, v[i], true);
			}
			break;
		case LS_SVC_NO_DEFAULT_ALPN:
		case LS_SVC_OHTTP:
			break;
		case LS_SVC_PORT:
			sb_printf(s, "=%u", (unsigned)ls_get16(v));
			break;
		case LS_SVC_IPV4HINT:
		case LS_SVC_IPV6HINT: {
			size_t step = key == LS_SVC_IPV4HINT ? 4 : 16;
			sb_putc(s, '=');
			for (size_t i = 0; i < vlen; i += step) {
				if (i)
					sb_putc(s, ',');
				sb_inet(s, step == 4 ? AF_INET : AF_INET6, v + i);
			}
			break;
		}
		case LS_SVC_ECH:
			sb_putc(s, '=');
			sb_base64(s, v, vlen);
			break;
		default:
			if (vlen > 0) {
				sb_putc(s, '=');
				sb_quoted(s, v, vlen);
			}
			break;
		}
		pos += 4 + (size_t)vlen;
	}
}

/* Centimetres as metres, the fraction only when there is one. */
static void sb_metres(struct sb *s, int64_t cm)
{
	const char *sign = cm < 0 ? "-" : "";
	uint64_t a = (uint64_t)(cm < 0 ? -cm : cm);

	if (a % 100)
		sb_printf(s, "%s%llu.%02llum", sign, (unsigned long long)(a / 100),
			  (unsigned long long)(a % 100));
	else
		sb_printf(s, "%s%llum", sign, (unsigned long long)(a / 100));
}

/* RFC 1876 size/precision: mantissa and power of ten, in centimetres. */
static int64_t loc_prec(uint8_t v)
{
	int64_t cm = v >> 4;

	for (int e = v & 15; e > 0 && e < 10; e--)
		cm *= 10;
	return cm;
}

static void sb_loc_angle(struct sb *s, uint32_t v, char pos, char neg)
{
	/* thousandths of an arc second, 2^31 at the equator/prime meridian */
	uint32_t a = v >= 0x80000000u ? v - 0x80000000u : 0x80000000u - v;
	char mark = v >= 0x80000000u ? pos : neg;
	unsigned deg = a / 3600000, min = a / 60000 % 60, sec = a / 1000 % 60, ms = a % 1000;

	if (ms)
		sb_printf(s, "%u %u %u.%03u %c", deg, min, sec, ms, mark);
	else
		sb_printf(s, "%u %u %u %c", deg, min, sec, mark);
}

/* "52 22 23 N 4 53 32 E -2m 0m 10000m 10m" (Knot pads with more spaces). */
static void sb_loc(struct sb *s, const uint8_t *p)
{
	sb_loc_angle(s, ls_get32(p + 4), 'N', 'S');
	sb_putc(s, ' ');
	sb_loc_angle(s, ls_get32(p + 8), 'E', 'W');
	sb_putc(s, ' ');
	sb_metres(s, (int64_t)ls_get32(p + 12) - 10000000);
	for (int i = 1; i <= 3; i++) {
		sb_putc(s, ' ');
		sb_metres(s, loc_prec(p[i]));
	}
}

/* TSIG/TKEY error field: the RFC 8945 §3 names first, then the RCODE names. */
static void sb_rcode(struct sb *s, uint16_t err)
{
	const char *n = ls_msg_tsig_error_name(err);

	if (n)
		sb_puts(s, n);
	else
		sb_printf(s, "%u", (unsigned)err);
}

static int render_field(void *ctx, uint8_t kind, const uint8_t *rd, size_t off, size_t len)
{
	struct sb *s = ctx;
	const uint8_t *p = rd + off;

	if (off > 0)
		sb_putc(s, ' ');
	switch (kind) {
	case F_NAME_C:
	case F_NAME_D:
	case F_NAME_L:
	case F_NAME:
		sb_name(s, p);
		break;
	case F_U8:
		sb_printf(s, "%u", (unsigned)p[0]);
		break;
	case F_U16:
		sb_printf(s, "%u", (unsigned)ls_get16(p));
		break;
	case F_U32:
		sb_printf(s, "%u", (unsigned)ls_get32(p));
		break;
	case F_U48:
		sb_printf(s, "%llu", ((unsigned long long)ls_get16(p) << 32) | ls_get32(p + 2));
		break;
	case F_TYPE:
		sb_type(s, ls_get16(p));
		break;
	case F_TIME:
		sb_time(s, ls_get32(p));
		break;
	case F_A:
		sb_inet(s, AF_INET, p);
		break;
	case F_AAAA:
		sb_inet(s, AF_INET6, p);
		break;
	case F_EUI48:
	case F_EUI64:
		for (size_t i = 0; i < len; i++)
			sb_printf(s, i ? "-%02X" : "%02X", (unsigned)p[i]);
		break;
	case F_ILNP64:
		sb_printf(s, "%04X:%04X:%04X:%04X", (unsigned)ls_get16(p),
			  (unsigned)ls_get16(p + 2), (unsigned)ls_get16(p + 4),
			  (unsigned)ls_get16(p + 6));
		break;
	case F_STR:
		sb_quoted(s, p + 1, p[0]);
		break;
	case F_STRS:
		for (size_t i = 0; i < len; i += 1 + (size_t)p[i]) {
			if (i)
				sb_putc(s, ' ');
			sb_quoted(s, p + i + 1, p[i]);
		}
		break;
	case F_SALT:
		if (p[0] == 0)
			sb_putc(s, '-');
		else
			sb_hex(s, p + 1, p[0]);
		break;
	case F_B32:
		sb_base32hex(s, p + 1, p[0]);
		break;
	case F_MAC:
		sb_printf(s, "%u", (unsigned)ls_get16(p));
		if (len > 2) {
			sb_putc(s, ' ');
			sb_base64(s, p + 2, len - 2);
		}
		break;
	case F_RCODE:
		sb_rcode(s, ls_get16(p));
		break;
	case F_CAA_TAG:
		sb_putn(s, (const char *)p + 1, p[0]);
		break;
	case F_B64_REM:
		sb_base64(s, p, len);
		break;
	case F_HEX_REM:
		sb_hex(s, p, len);
		break;
	case F_TEXT_REM:
		sb_quoted(s, p, len);
		break;
	case F_BITMAP:
		sb_bitmap(s, p, len);
		break;
	case F_SVC:
		sb_svc(s, p, len);
		break;
	case F_A6: {
		uint8_t addr[16] = { 0 };
		size_t sl = a6_suffix_len(p[0]);
		memcpy(addr + 16 - sl, p + 1, sl);
		sb_printf(s, "%u ", (unsigned)p[0]);
		sb_inet(s, AF_INET6, addr);
		if (p[0] > 0) {
			sb_putc(s, ' ');
			sb_name(s, p + 1 + sl);
		}
		break;
	}
	case F_LOC:
		sb_loc(s, p);
		break;
	default: /* F_OPAQUE_REM and F_OPTS only occur in D_GENERIC types */
		s->full = true;
		break;
	}
	/* A trailing space from an empty remainder would not parse back. */
	if (len == 0 && s->len > 0 && s->buf[s->len - 1] == ' ')
		s->buf[--s->len] = '\0';
	return 0;
}

int ls_rdata_to_str(char *dst, size_t dstlen, uint16_t type, const uint8_t *rdata, size_t len)
{
	const struct rdesc *d = desc_of(type);
	struct sb s = { .buf = dst, .cap = dstlen };

	if (dstlen == 0)
		return -ENOSPC;
	dst[0] = '\0';
	if (len > LS_RDATA_MAXLEN)
		return -EBADMSG;
	if (d) {
		int err = walk(d, rdata, len, NULL, NULL);
		if (err)
			return err;
	}
	if (!d || (d->flags & D_GENERIC)) {
		/* RFC 3597 §5 */
		sb_printf(&s, "\\# %zu", len);
		if (len > 0) {
			sb_putc(&s, ' ');
			sb_hex(&s, rdata, len);
		}
	} else {
		walk(d, rdata, len, render_field, &s);
	}
	if (s.full) {
		dst[0] = '\0';
		return -ENOSPC;
	}
	return (int)s.len;
}
