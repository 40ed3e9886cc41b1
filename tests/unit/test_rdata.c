/* SPDX-License-Identifier: MIT */
/*
 * test_rdata.c — common/rdata: type names, check/to_str/canonicalize for
 * every type with a layout, and hostile RDATA (truncation, bad bitmaps,
 * bad SVCB parameters, oversized labels and names, compression pointers).
 * Expected presentation strings are what kdig 3.2 prints for the same data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/dname.h"
#include "common/rdata.h"

/* A little RDATA builder, so the tables below read like the fields. */
struct wb {
	uint8_t b[1024];
	size_t n;
};

static void u8(struct wb *w, unsigned v)
{
	w->b[w->n++] = (uint8_t)v;
}

static void u16(struct wb *w, unsigned v)
{
	u8(w, v >> 8);
	u8(w, v & 0xff);
}

static void u32(struct wb *w, uint32_t v)
{
	u16(w, v >> 16);
	u16(w, v & 0xffff);
}

static void name(struct wb *w, const char *s)
{
	int n = ls_dname_from_str(w->b + w->n, s, NULL);
	assert_true(n > 0);
	w->n += (size_t)n;
}

static void cstr(struct wb *w, const char *s)
{
	u8(w, (unsigned)strlen(s));
	memcpy(w->b + w->n, s, strlen(s));
	w->n += strlen(s);
}

static void raw(struct wb *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void hex(struct wb *w, const char *h)
{
	while (h[0] && h[1]) {
		unsigned v;
		sscanf(h, "%2x", &v);
		u8(w, v);
		h += 2;
	}
}

static void test_type_names(void **state)
{
	char buf[16];
	uint16_t t;

	assert_string_equal(ls_rrtype_name(LS_TYPE_A, buf), "A");
	assert_string_equal(ls_rrtype_name(LS_TYPE_NSEC3, buf), "NSEC3");
	assert_string_equal(ls_rrtype_name(LS_TYPE_HTTPS, buf), "HTTPS");
	assert_string_equal(ls_rrtype_name(LS_TYPE_CAA, buf), "CAA");
	assert_string_equal(ls_rrtype_name(LS_TYPE_DLV, buf), "DLV");
	assert_string_equal(ls_rrtype_name(LS_TYPE_ANY, buf), "ANY");
	assert_string_equal(ls_rrtype_name(65280, buf), "TYPE65280");
	assert_string_equal(ls_rrtype_name(0, buf), "TYPE0");
	assert_string_equal(ls_rrtype_name(300, buf), "TYPE300");

	assert_int_equal(ls_rrtype_from_str("nsec3param", &t), 0);
	assert_int_equal(t, LS_TYPE_NSEC3PARAM);
	assert_int_equal(ls_rrtype_from_str("Caa", &t), 0);
	assert_int_equal(t, LS_TYPE_CAA);
	assert_int_equal(ls_rrtype_from_str("type65280", &t), 0);
	assert_int_equal(t, 65280);
	assert_int_equal(ls_rrtype_from_str("TYPE1", &t), 0);
	assert_int_equal(t, LS_TYPE_A);
	assert_int_equal(ls_rrtype_from_str("TYPE65536", &t), -EINVAL);
	assert_int_equal(ls_rrtype_from_str("TYPE", &t), -EINVAL);
	assert_int_equal(ls_rrtype_from_str("TYPE1x", &t), -EINVAL);
	assert_int_equal(ls_rrtype_from_str("FOO", &t), -EINVAL);
	assert_int_equal(ls_rrtype_from_str("", &t), -EINVAL);

	/* every mnemonic parses back to its number */
	for (unsigned i = 0; i < 65536; i += (i < 300 ? 1 : 97)) {
		ls_rrtype_name((uint16_t)i, buf);
		assert_int_equal(ls_rrtype_from_str(buf, &t), 0);
		assert_int_equal(t, i);
	}
	assert_true(ls_rrtype_is_meta(LS_TYPE_OPT));
	assert_true(ls_rrtype_is_meta(LS_TYPE_AXFR));
	assert_false(ls_rrtype_is_meta(LS_TYPE_A));
	assert_true(ls_rrtype_known(LS_TYPE_SVCB));
	assert_false(ls_rrtype_known(65280));
}

static void test_class_names(void **state)
{
	char buf[16];
	uint16_t c;

	assert_string_equal(ls_rrclass_name(LS_CLASS_IN, buf), "IN");
	assert_string_equal(ls_rrclass_name(LS_CLASS_CH, buf), "CH");
	assert_string_equal(ls_rrclass_name(1232, buf), "CLASS1232");
	assert_int_equal(ls_rrclass_from_str("in", &c), 0);
	assert_int_equal(c, LS_CLASS_IN);
	assert_int_equal(ls_rrclass_from_str("CLASS42", &c), 0);
	assert_int_equal(c, 42);
	assert_int_equal(ls_rrclass_from_str("XX", &c), -EINVAL);
}

/*
 * One entry per type: build its wire form, the expected presentation, and
 * the expected canonical form's presentation (NULL: same as the input).
 */
struct rcase {
	uint16_t type;
	void (*build)(struct wb *w);
	const char *str;
	const char *canon;
};

static void b_a(struct wb *w)
{
	hex(w, "C0000201");
}
static void b_aaaa(struct wb *w)
{
	hex(w, "20010DB8000000000000000000000001");
}
static void b_ns(struct wb *w)
{
	name(w, "NS1.Example.COM.");
}
static void b_cname(struct wb *w)
{
	name(w, "Target.example.");
}
static void b_ptr(struct wb *w)
{
	name(w, "Host.Example.");
}
static void b_dname(struct wb *w)
{
	name(w, "Target.Example.NET.");
}
static void b_soa(struct wb *w)
{
	name(w, "NS1.Example.com.");
	name(w, "HostMaster.example.com.");
	u32(w, 2024010101);
	u32(w, 7200);
	u32(w, 3600);
	u32(w, 1209600);
	u32(w, 300);
}
static void b_mx(struct wb *w)
{
	u16(w, 10);
	name(w, "Mail.example.com.");
}
static void b_txt(struct wb *w)
{
	cstr(w, "v=spf1 -all");
	cstr(w, "q\"b\\");
	cstr(w, "tab\tx\xff");
	cstr(w, "");
}
static void b_hinfo(struct wb *w)
{
	cstr(w, "PC");
	cstr(w, "Linux");
}
static void b_minfo(struct wb *w)
{
	name(w, "RM.example.");
	name(w, "EM.example.");
}
static void b_rp(struct wb *w)
{
	name(w, "Admin.example.");
	name(w, "TXT.example.");
}
static void b_afsdb(struct wb *w)
{
	u16(w, 1);
	name(w, "AFS.example.");
}
static void b_srv(struct wb *w)
{
	u16(w, 10);
	u16(w, 20);
	u16(w, 5060);
	name(w, "SIP.Example.com.");
}
static void b_naptr(struct wb *w)
{
	u16(w, 100);
	u16(w, 10);
	cstr(w, "u");
	cstr(w, "E2U+sip");
	cstr(w, "!^.*$!sip:info@example.com!");
	name(w, ".");
}
static void b_kx(struct wb *w)
{
	u16(w, 10);
	name(w, "KX.example.");
}
static void b_caa(struct wb *w)
{
	u8(w, 0);
	cstr(w, "issue");
	raw(w, "letsencrypt.org", 15);
}
static void b_caa_empty(struct wb *w)
{
	u8(w, 128);
	cstr(w, "iodef");
}
static void b_ds(struct wb *w)
{
	u16(w, 12345);
	u8(w, 8);
	u8(w, 2);
	hex(w, "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE9A7E3D7A0F5E2F3A0B1C2D3E");
}
static void b_dnskey(struct wb *w)
{
	u16(w, 257);
	u8(w, 3);
	u8(w, 13);
	raw(w, "any key bytes!", 14);
}
static void b_rrsig(struct wb *w)
{
	u16(w, LS_TYPE_SOA);
	u8(w, 8);
	u8(w, 2);
	u32(w, 3600);
	u32(w, 1706745600); /* 2024-02-01 00:00:00 */
	u32(w, 1704067200); /* 2024-01-01 00:00:00 */
	u16(w, 12345);
	name(w, "Example.COM.");
	raw(w, "testsignature", 13);
}
static void b_nsec(struct wb *w)
{
	name(w, "NS1.example.com.");
	/* window 0: A NS SOA MX TXT AAAA RRSIG NSEC DNSKEY; window 1: CAA; window 4: TYPE1234 */
	hex(w, "0007"
	       "62018008000380");
	hex(w, "010140");
	hex(w, "04"
	       "1B"
	       "000000000000000000000000000000000000000000000000000020");
}
static void b_nsec3(struct wb *w)
{
	u8(w, 1);
	u8(w, 1);
	u16(w, 10);
	u8(w, 4);
	hex(w, "AABBCCDD");
	u8(w, 20);
	hex(w, "17F3DF17B2B2ADAEF615257DE4D2020B80AC6C7D"); /* 2vptu5timamqttgl4luu9kg21e0aor3t */
	hex(w, "0006400000000002");
}
static void b_nsec3_nosalt(struct wb *w)
{
	u8(w, 1);
	u8(w, 0);
	u16(w, 0);
	u8(w, 0);
	u8(w, 20);
	hex(w, "17F3DF17B2B2ADAEF615257DE4D2020B80AC6C7D");
}
static void b_nsec3param(struct wb *w)
{
	u8(w, 1);
	u8(w, 0);
	u16(w, 10);
	u8(w, 4);
	hex(w, "AABBCCDD");
}
static void b_zonemd(struct wb *w)
{
	u32(w, 2024010101);
	u8(w, 1);
	u8(w, 1);
	hex(w, "A0B1C2D3E4F5061728394A5B");
}
static void b_svcb(struct wb *w)
{
	u16(w, 1);
	name(w, "Svc2.example.com.");
	u16(w, LS_SVC_MANDATORY);
	u16(w, 4);
	u16(w, LS_SVC_ALPN);
	u16(w, LS_SVC_PORT);
	u16(w, LS_SVC_ALPN);
	u16(w, 6);
	cstr(w, "h2");
	cstr(w, "h3");
	u16(w, LS_SVC_PORT);
	u16(w, 2);
	u16(w, 8443);
	u16(w, LS_SVC_IPV4HINT);
	u16(w, 8);
	hex(w, "C0000201C0000202");
	u16(w, LS_SVC_IPV6HINT);
	u16(w, 16);
	hex(w, "20010DB8000000000000000000000002");
}
static void b_https_alias(struct wb *w)
{
	u16(w, 0);
	name(w, "www.example.com.");
}
static void b_https(struct wb *w)
{
	u16(w, 1);
	name(w, ".");
	u16(w, LS_SVC_ALPN);
	u16(w, 7);
	cstr(w, "h3");
	cstr(w, "h,2");
	u16(w, LS_SVC_NO_DEFAULT_ALPN);
	u16(w, 0);
	u16(w, LS_SVC_ECH);
	u16(w, 3);
	hex(w, "000000");
	u16(w, 65000);
	u16(w, 2);
	raw(w, "hi", 2);
}
static void b_sshfp(struct wb *w)
{
	u8(w, 1);
	u8(w, 1);
	hex(w, "0123456789ABCDEF0123456789ABCDEF01234567");
}
static void b_tlsa(struct wb *w)
{
	u8(w, 3);
	u8(w, 1);
	u8(w, 1);
	hex(w, "0123456789ABCDEF");
}
static void b_uri(struct wb *w)
{
	u16(w, 10);
	u16(w, 1);
	raw(w, "https://example.com/", 20);
}
static void b_eui48(struct wb *w)
{
	hex(w, "AABBCCDDEEFF");
}
static void b_eui64(struct wb *w)
{
	hex(w, "0011223344556677");
}
static void b_l64(struct wb *w)
{
	u16(w, 10);
	hex(w, "20010DB811401000");
}
static void b_csync(struct wb *w)
{
	u32(w, 66);
	u16(w, 3);
	hex(w, "000460000008");
}
static void b_loc(struct wb *w)
{
	/* 52 22 23 N 4 53 32 E -2m 0m 10000m 10m, from kdig */
	hex(w, "000016138B3CF018810CBCE0009895B8");
}
static void b_a6(struct wb *w)
{
	u8(w, 64);
	hex(w, "0000000000000001");
	name(w, "Prefix.Example.");
}
static void b_tsig(struct wb *w)
{
	name(w, "hmac-sha256.");
	u16(w, 0);
	u32(w, 1700000000);
	u16(w, 300);
	u16(w, 4);
	hex(w, "DEADBEEF");
	u16(w, 4660);
	u16(w, 16);
	u16(w, 0);
}
static void b_opt(struct wb *w)
{
	u16(w, 10); /* COOKIE */
	u16(w, 8);
	hex(w, "0102030405060708");
}
static void b_unknown(struct wb *w)
{
	hex(w, "0A000001");
}
static void b_empty(struct wb *w)
{
	(void)w;
}

static const struct rcase cases[] = {
	{ LS_TYPE_A, b_a, "192.0.2.1", NULL },
	{ LS_TYPE_AAAA, b_aaaa, "2001:db8::1", NULL },
	{ LS_TYPE_NS, b_ns, "NS1.Example.COM.", "ns1.example.com." },
	{ LS_TYPE_CNAME, b_cname, "Target.example.", "target.example." },
	{ LS_TYPE_PTR, b_ptr, "Host.Example.", "host.example." },
	{ LS_TYPE_DNAME, b_dname, "Target.Example.NET.", "target.example.net." },
	{ LS_TYPE_SOA, b_soa,
	  "NS1.Example.com. HostMaster.example.com. 2024010101 7200 3600 1209600 300",
	  "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300" },
	{ LS_TYPE_MX, b_mx, "10 Mail.example.com.", "10 mail.example.com." },
	{ LS_TYPE_TXT, b_txt, "\"v=spf1 -all\" \"q\\\"b\\\\\" \"tab\\009x\\255\" \"\"", NULL },
	{ LS_TYPE_SPF, b_txt, "\"v=spf1 -all\" \"q\\\"b\\\\\" \"tab\\009x\\255\" \"\"", NULL },
	{ LS_TYPE_HINFO, b_hinfo, "\"PC\" \"Linux\"", NULL },
	{ LS_TYPE_MINFO, b_minfo, "RM.example. EM.example.", "rm.example. em.example." },
	{ LS_TYPE_RP, b_rp, "Admin.example. TXT.example.", "admin.example. txt.example." },
	{ LS_TYPE_AFSDB, b_afsdb, "1 AFS.example.", "1 afs.example." },
	{ LS_TYPE_SRV, b_srv, "10 20 5060 SIP.Example.com.", "10 20 5060 sip.example.com." },
	{ LS_TYPE_NAPTR, b_naptr, "100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
	  NULL },
	{ LS_TYPE_KX, b_kx, "10 KX.example.", "10 kx.example." },
	{ LS_TYPE_CAA, b_caa, "0 issue \"letsencrypt.org\"", NULL },
	{ LS_TYPE_CAA, b_caa_empty, "128 iodef \"\"", NULL },
	{ LS_TYPE_DS, b_ds,
	  "12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE9A7E3D7A0F5E2F3A0B1C2D3E", NULL },
	{ LS_TYPE_CDS, b_ds,
	  "12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE9A7E3D7A0F5E2F3A0B1C2D3E", NULL },
	{ LS_TYPE_DNSKEY, b_dnskey, "257 3 13 YW55IGtleSBieXRlcyE=", NULL },
	{ LS_TYPE_CDNSKEY, b_dnskey, "257 3 13 YW55IGtleSBieXRlcyE=", NULL },
	{ LS_TYPE_RRSIG, b_rrsig,
	  "SOA 8 2 3600 20240201000000 20240101000000 12345 Example.COM. dGVzdHNpZ25hdHVyZQ==",
	  "SOA 8 2 3600 20240201000000 20240101000000 12345 example.com. dGVzdHNpZ25hdHVyZQ==" },
	/* RFC 6840 §5.1: the NSEC next name keeps its case */
	{ LS_TYPE_NSEC, b_nsec,
	  "NS1.example.com. A NS SOA MX TXT AAAA RRSIG NSEC DNSKEY CAA TYPE1234", NULL },
	{ LS_TYPE_NSEC3, b_nsec3, "1 1 10 AABBCCDD 2vptu5timamqttgl4luu9kg21e0aor3t A RRSIG",
	  NULL },
	{ LS_TYPE_NSEC3, b_nsec3_nosalt, "1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3t", NULL },
	{ LS_TYPE_NSEC3PARAM, b_nsec3param, "1 0 10 AABBCCDD", NULL },
	{ LS_TYPE_ZONEMD, b_zonemd, "2024010101 1 1 A0B1C2D3E4F5061728394A5B", NULL },
	/* SVCB is newer than RFC 4034's list: the target keeps its case */
	{ LS_TYPE_SVCB, b_svcb,
	  "1 Svc2.example.com. mandatory=alpn,port alpn=h2,h3 port=8443 "
	  "ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::2",
	  NULL },
	{ LS_TYPE_HTTPS, b_https_alias, "0 www.example.com.", NULL },
	{ LS_TYPE_HTTPS, b_https, "1 . alpn=h3,h\\\\,2 no-default-alpn ech=AAAA key65000=\"hi\"",
	  NULL },
	{ LS_TYPE_SSHFP, b_sshfp, "1 1 0123456789ABCDEF0123456789ABCDEF01234567", NULL },
	{ LS_TYPE_TLSA, b_tlsa, "3 1 1 0123456789ABCDEF", NULL },
	{ LS_TYPE_URI, b_uri, "10 1 \"https://example.com/\"", NULL },
	{ LS_TYPE_EUI48, b_eui48, "AA-BB-CC-DD-EE-FF", NULL },
	{ LS_TYPE_EUI64, b_eui64, "00-11-22-33-44-55-66-77", NULL },
	{ LS_TYPE_L64, b_l64, "10 2001:0DB8:1140:1000", NULL },
	{ LS_TYPE_CSYNC, b_csync, "66 3 A NS AAAA", NULL },
	{ LS_TYPE_LOC, b_loc, "52 22 23 N 4 53 32 E -2m 0m 10000m 10m", NULL },
	{ LS_TYPE_A6, b_a6, "64 ::1 Prefix.Example.", "64 ::1 prefix.example." },
	{ LS_TYPE_TSIG, b_tsig, "hmac-sha256. 1700000000 300 4 3q2+7w== 4660 BADSIG 0", NULL },
	{ LS_TYPE_OPT, b_opt, "\\# 12 000A00080102030405060708", NULL },
	{ 65280, b_unknown, "\\# 4 0A000001", NULL },
	{ 65281, b_empty, "\\# 0", NULL },
	{ LS_TYPE_NULL, b_unknown, "\\# 4 0A000001", NULL },
};

static void test_every_type(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		struct wb w = { .n = 0 };
		char str[1024];
		uint8_t copy[1024];

		c->build(&w);
		assert_int_equal(ls_rdata_check(c->type, w.b, w.n), 0);
		int n = ls_rdata_to_str(str, sizeof(str), c->type, w.b, w.n);
		if (n < 0 || strcmp(str, c->str) != 0)
			fail_msg("type %u: got \"%s\" (%d), want \"%s\"", c->type, str, n, c->str);
		assert_int_equal((size_t)n, strlen(c->str));

		/* every shorter output buffer is refused, and never overrun */
		for (size_t cap = 0; cap <= (size_t)n; cap++) {
			char small[1024];
			memset(small, 'X', sizeof(small));
			assert_int_equal(ls_rdata_to_str(small, cap, c->type, w.b, w.n), -ENOSPC);
			assert_int_equal(small[cap], 'X');
		}

		memcpy(copy, w.b, w.n);
		assert_int_equal(ls_rdata_canonicalize(c->type, copy, w.n), 0);
		assert_int_equal(ls_rdata_to_str(str, sizeof(str), c->type, copy, w.n) >= 0, 1);
		assert_string_equal(str, c->canon ? c->canon : c->str);
		/* canonical form is a fixed point */
		assert_int_equal(ls_rdata_canonicalize(c->type, copy, w.n), 0);
		assert_int_equal(ls_rdata_check(c->type, copy, w.n), 0);

		/* a trailing octet never makes well-formed RDATA of a fixed layout */
		if (ls_rrtype_known(c->type) && c->type != LS_TYPE_TXT && c->type != LS_TYPE_SPF &&
		    c->type != LS_TYPE_NULL) {
			uint8_t longer[1025];
			memcpy(longer, w.b, w.n);
			longer[w.n] = 0x01;
			int r = ls_rdata_check(c->type, longer, w.n + 1);
			/* remainders (base64, hex, text) legitimately absorb it */
			if (r == 0)
				assert_true(ls_rdata_to_str(str, sizeof(str), c->type, longer,
							    w.n + 1) > 0);
		}

		/* Truncations: never a crash; those that still check must render. */
		for (size_t len = 0; len < w.n; len++) {
			if (ls_rdata_check(c->type, w.b, len) == 0)
				assert_true(ls_rdata_to_str(str, sizeof(str), c->type, w.b, len) >=
					    0);
			else
				assert_int_equal(
					ls_rdata_to_str(str, sizeof(str), c->type, w.b, len),
					-EBADMSG);
		}
	}
}

static void expect_bad(uint16_t type, const struct wb *w)
{
	char str[512];
	uint8_t copy[1024];

	assert_int_equal(ls_rdata_check(type, w->b, w->n), -EBADMSG);
	assert_int_equal(ls_rdata_to_str(str, sizeof(str), type, w->b, w->n), -EBADMSG);
	memcpy(copy, w->b, w->n);
	assert_int_equal(ls_rdata_canonicalize(type, copy, w->n), -EBADMSG);
	assert_memory_equal(copy, w->b, w->n);
}

static void test_truncated(void **state)
{
	struct wb w = { .n = 0 };

	hex(&w, "C00002"); /* 3-octet A */
	expect_bad(LS_TYPE_A, &w);
	w.n = 0;
	hex(&w, "C000020101"); /* 5-octet A */
	expect_bad(LS_TYPE_A, &w);

	w.n = 0; /* SOA without its last number */
	name(&w, "a.");
	name(&w, "b.");
	for (int i = 0; i < 4; i++)
		u32(&w, 1);
	expect_bad(LS_TYPE_SOA, &w);

	w.n = 0; /* MX name cut inside a label */
	u16(&w, 10);
	hex(&w, "046D61");
	expect_bad(LS_TYPE_MX, &w);

	w.n = 0; /* MX name without its root label */
	u16(&w, 10);
	hex(&w, "046D61696C");
	expect_bad(LS_TYPE_MX, &w);

	w.n = 0; /* TXT string longer than the RDATA */
	hex(&w, "0561626364");
	expect_bad(LS_TYPE_TXT, &w);
	w.n = 0; /* empty TXT: RFC 1035 wants one or more strings */
	expect_bad(LS_TYPE_TXT, &w);

	w.n = 0; /* NSEC3 salt length past the end */
	hex(&w, "0100000A08AABB");
	expect_bad(LS_TYPE_NSEC3PARAM, &w);

	w.n = 0; /* NSEC3 with an empty next hashed owner */
	hex(&w, "0100000A00"
		"00");
	expect_bad(LS_TYPE_NSEC3, &w);

	w.n = 0; /* RRSIG cut in its fixed part */
	hex(&w, "0006080200000E10");
	expect_bad(LS_TYPE_RRSIG, &w);

	w.n = 0; /* TSIG MAC size past the end */
	name(&w, "hmac-sha256.");
	hex(&w, "000065000000012C0020DEADBEEF");
	expect_bad(LS_TYPE_TSIG, &w);

	w.n = 0; /* DS without digest type */
	hex(&w, "303908");
	expect_bad(LS_TYPE_DS, &w);

	w.n = 0; /* EDNS option longer than the RDATA */
	hex(&w, "000A000801020304");
	expect_bad(LS_TYPE_OPT, &w);

	w.n = 0; /* CAA tag empty, then not alphanumeric */
	hex(&w, "0000");
	expect_bad(LS_TYPE_CAA, &w);
	w.n = 0;
	hex(&w, "0003");
	raw(&w, "is-", 3);
	expect_bad(LS_TYPE_CAA, &w);

	w.n = 0; /* LOC of another version, or short */
	hex(&w, "010016138B3CF018810CBCE0009895B8");
	expect_bad(LS_TYPE_LOC, &w);
	w.n = 0;
	hex(&w, "000016138B3CF018810CBCE0009895");
	expect_bad(LS_TYPE_LOC, &w);

	w.n = 0; /* A6 prefix length over 128 */
	hex(&w, "81");
	expect_bad(LS_TYPE_A6, &w);
}

static void test_bitmaps(void **state)
{
	struct wb w = { .n = 0 };
	char str[256];

	/* windows out of order */
	name(&w, "a.");
	hex(&w, "010102"
		"000140");
	expect_bad(LS_TYPE_NSEC, &w);
	/* the same window twice */
	w.n = 0;
	name(&w, "a.");
	hex(&w, "000140"
		"000140");
	expect_bad(LS_TYPE_NSEC, &w);
	/* a window of length 0 */
	w.n = 0;
	name(&w, "a.");
	hex(&w, "0000");
	expect_bad(LS_TYPE_NSEC, &w);
	/* a window of length 33 */
	w.n = 0;
	name(&w, "a.");
	u8(&w, 0);
	u8(&w, 33);
	for (int i = 0; i < 33; i++)
		u8(&w, 0xff);
	expect_bad(LS_TYPE_NSEC, &w);
	/* a window header without its bitmap */
	w.n = 0;
	name(&w, "a.");
	hex(&w, "0004400000");
	expect_bad(LS_TYPE_NSEC, &w);
	/* a lone window octet */
	w.n = 0;
	name(&w, "a.");
	hex(&w, "00");
	expect_bad(LS_TYPE_NSEC, &w);
	/* NSEC3 with bad bitmap */
	w.n = 0;
	hex(&w, "0100000A00"
		"0111"
		"0000");
	expect_bad(LS_TYPE_NSEC3, &w);
	/* 32 octets in window 255 is the largest well-formed window */
	w.n = 0;
	name(&w, "a.");
	u8(&w, 255);
	u8(&w, 32);
	for (int i = 0; i < 31; i++)
		u8(&w, 0);
	u8(&w, 1);
	assert_int_equal(ls_rdata_check(LS_TYPE_NSEC, w.b, w.n), 0);
	assert_true(ls_rdata_to_str(str, sizeof(str), LS_TYPE_NSEC, w.b, w.n) > 0);
	assert_string_equal(str, "a. TYPE65535");
	/* empty bitmap (NSEC3 of an empty non-terminal) */
	w.n = 0;
	name(&w, "a.");
	assert_int_equal(ls_rdata_check(LS_TYPE_NSEC, w.b, w.n), 0);
	assert_int_equal(ls_rdata_to_str(str, sizeof(str), LS_TYPE_NSEC, w.b, w.n), 2);
}

static void svc_param(struct wb *w, unsigned key, const char *hexval)
{
	u16(w, key);
	u16(w, (unsigned)strlen(hexval) / 2);
	hex(w, hexval);
}

static void test_svcb_bad(void **state)
{
	struct wb w;
	static const struct {
		unsigned k1;
		const char *v1;
		unsigned k2;
		const char *v2;
	} bad[] = {
		{ LS_SVC_PORT, "01BB", LS_SVC_ALPN, "026832" }, /* keys decreasing */
		{ LS_SVC_ALPN, "026832", LS_SVC_ALPN, "026833" }, /* key twice */
		{ LS_SVC_PORT, "01BB00", 65535, "" }, /* port of 3 octets */
		{ LS_SVC_ALPN, "", 65535, "" }, /* empty alpn */
		{ LS_SVC_ALPN, "00", 65535, "" }, /* empty alpn-id */
		{ LS_SVC_ALPN, "0368", 65535, "" }, /* alpn-id past its value */
		{ LS_SVC_MANDATORY, "0000", 65535, "" }, /* mandatory lists itself */
		{ LS_SVC_MANDATORY, "00030001", 65535, "" }, /* mandatory unordered */
		{ LS_SVC_MANDATORY, "000", 65535, "" }, /* odd length (one octet) */
		{ LS_SVC_NO_DEFAULT_ALPN, "01", 65535, "" }, /* value where none is allowed */
		{ LS_SVC_IPV4HINT, "C00002", 65535, "" }, /* 3-octet address */
		{ LS_SVC_IPV6HINT, "20010DB8", 65535, "" }, /* 4-octet IPv6 */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w.n = 0;
		u16(&w, 1);
		name(&w, ".");
		svc_param(&w, bad[i].k1, bad[i].v1);
		svc_param(&w, bad[i].k2, bad[i].v2);
		if (ls_rdata_check(LS_TYPE_SVCB, w.b, w.n) != -EBADMSG)
			fail_msg("case %zu accepted", i);
		expect_bad(LS_TYPE_HTTPS, &w);
	}
	/* a value longer than the RDATA */
	w.n = 0;
	u16(&w, 1);
	name(&w, ".");
	hex(&w, "00030004"
		"01BB");
	expect_bad(LS_TYPE_SVCB, &w);
	/* a key without its length */
	w.n = 0;
	u16(&w, 1);
	name(&w, ".");
	hex(&w, "000300");
	expect_bad(LS_TYPE_SVCB, &w);
}

static void test_names_in_rdata(void **state)
{
	struct wb w = { .n = 0 };

	/* a 64-octet label */
	u8(&w, 64);
	for (int i = 0; i < 64; i++)
		u8(&w, 'a');
	u8(&w, 0);
	expect_bad(LS_TYPE_NS, &w);

	/* 63 is fine */
	w.n = 0;
	u8(&w, 63);
	for (int i = 0; i < 63; i++)
		u8(&w, 'a');
	u8(&w, 0);
	assert_int_equal(ls_rdata_check(LS_TYPE_NS, w.b, w.n), 0);

	/* a 256-octet name: 4 * (1 + 62) + 1 + 1 + 1 = 256 */
	w.n = 0;
	for (int l = 0; l < 4; l++) {
		u8(&w, 62);
		for (int i = 0; i < 62; i++)
			u8(&w, 'b');
	}
	u8(&w, 2);
	u8(&w, 'c');
	u8(&w, 'c');
	u8(&w, 0);
	assert_int_equal(w.n, 256);
	expect_bad(LS_TYPE_CNAME, &w);
	/* ... and 255 is the longest */
	w.n = 0;
	for (int l = 0; l < 4; l++) {
		u8(&w, 62);
		for (int i = 0; i < 62; i++)
			u8(&w, 'b');
	}
	u8(&w, 1);
	u8(&w, 'c');
	u8(&w, 0);
	assert_int_equal(w.n, 255);
	assert_int_equal(ls_rdata_check(LS_TYPE_CNAME, w.b, w.n), 0);

	/* a compression pointer is never valid in uncompressed RDATA */
	w.n = 0;
	u16(&w, 10);
	hex(&w, "C00C");
	expect_bad(LS_TYPE_MX, &w);
	/* nor a reserved label type */
	w.n = 0;
	hex(&w, "4100");
	expect_bad(LS_TYPE_NS, &w);
}

/* A message: header, then at offset 12 the name "example.com.", then RDATA. */
static size_t msg_with(uint8_t *m, const char *rdata_hex, size_t *rdpos)
{
	struct wb w = { .n = 0 };

	hex(&w, "000000000000000000000000");
	name(&w, "example.com.");
	*rdpos = w.n;
	hex(&w, rdata_hex);
	memcpy(m, w.b, w.n);
	return w.n;
}

static void test_unpack(void **state)
{
	uint8_t m[512], out[LS_RDATA_DECOMP_BUFLEN];
	char str[512];
	size_t pos, len;
	int n;

	/* MX: "mail" + pointer to example.com. at 12 */
	len = msg_with(m,
		       "000A"
		       "046D61696C"
		       "C00C",
		       &pos);
	n = ls_rdata_unpack(LS_TYPE_MX, m, len, pos, len - pos, out, sizeof(out));
	assert_int_equal(n, 2 + 18);
	ls_rdata_to_str(str, sizeof(str), LS_TYPE_MX, out, (size_t)n);
	assert_string_equal(str, "10 mail.example.com.");
	/* too small a destination */
	assert_int_equal(ls_rdata_unpack(LS_TYPE_MX, m, len, pos, len - pos, out, 10), -EMSGSIZE);

	/* SOA with both names compressed */
	len = msg_with(m,
		       "036E7331C00C"
		       "C00C"
		       "0000000100000002000000030000000400000005",
		       &pos);
	n = ls_rdata_unpack(LS_TYPE_SOA, m, len, pos, len - pos, out, sizeof(out));
	assert_true(n > 0);
	ls_rdata_to_str(str, sizeof(str), LS_TYPE_SOA, out, (size_t)n);
	assert_string_equal(str, "ns1.example.com. example.com. 1 2 3 4 5");

	/* SRV: RFC 3597 §4 asks receivers to decompress it */
	len = msg_with(m,
		       "000100020003"
		       "C00C",
		       &pos);
	n = ls_rdata_unpack(LS_TYPE_SRV, m, len, pos, len - pos, out, sizeof(out));
	assert_int_equal(n, 6 + 13);

	/* RRSIG, NSEC, DNAME, SVCB: compression is an error */
	len = msg_with(m,
		       "C00C"
		       "000100",
		       &pos);
	assert_int_equal(ls_rdata_unpack(LS_TYPE_NSEC, m, len, pos, len - pos, out, sizeof(out)),
			 -EBADMSG);
	len = msg_with(m, "C00C", &pos);
	assert_int_equal(ls_rdata_unpack(LS_TYPE_DNAME, m, len, pos, len - pos, out, sizeof(out)),
			 -EBADMSG);
	len = msg_with(m, "0001C00C", &pos);
	assert_int_equal(ls_rdata_unpack(LS_TYPE_SVCB, m, len, pos, len - pos, out, sizeof(out)),
			 -EBADMSG);
	len = msg_with(m,
		       "0006080200000E1065BAE1806592005C3039"
		       "C00C"
		       "AABB",
		       &pos);
	assert_int_equal(ls_rdata_unpack(LS_TYPE_RRSIG, m, len, pos, len - pos, out, sizeof(out)),
			 -EBADMSG);

	/* a forward pointer, and a pointer to itself */
	len = msg_with(m,
		       "C020"
		       "00",
		       &pos);
	assert_int_equal(ls_rdata_unpack(LS_TYPE_NS, m, len, pos, 2, out, sizeof(out)), -EBADMSG);
	len = msg_with(m, "0000", &pos);
	m[pos] = 0xC0;
	m[pos + 1] = (uint8_t)pos;
	assert_int_equal(ls_rdata_unpack(LS_TYPE_NS, m, len, pos, 2, out, sizeof(out)), -EBADMSG);

	/* a name running past RDLENGTH into what follows */
	len = msg_with(m, "046D61696C00", &pos);
	assert_int_equal(ls_rdata_unpack(LS_TYPE_NS, m, len, pos, 3, out, sizeof(out)), -EBADMSG);
	/* RDLENGTH past the message */
	assert_int_equal(ls_rdata_unpack(LS_TYPE_NS, m, len, pos, 64, out, sizeof(out)), -EBADMSG);
	/* trailing octets after the last field */
	len = msg_with(m, "C00C00", &pos);
	assert_int_equal(ls_rdata_unpack(LS_TYPE_NS, m, len, pos, 3, out, sizeof(out)), -EBADMSG);

	/* opaque types are copied as they are */
	len = msg_with(m, "C00C", &pos);
	assert_int_equal(ls_rdata_unpack(65280, m, len, pos, 2, out, sizeof(out)), 2);
	assert_memory_equal(out, m + pos, 2);

	assert_true(ls_rdata_may_compress(LS_TYPE_MX));
	assert_true(ls_rdata_may_compress(LS_TYPE_SOA));
	assert_false(ls_rdata_may_compress(LS_TYPE_SRV));
	assert_false(ls_rdata_may_compress(LS_TYPE_RRSIG));
	assert_true(ls_rdata_may_decompress(LS_TYPE_SRV));
	assert_true(ls_rdata_may_decompress(LS_TYPE_NAPTR));
	assert_false(ls_rdata_may_decompress(LS_TYPE_NSEC));
	assert_false(ls_rdata_may_decompress(LS_TYPE_DNAME));
	assert_false(ls_rdata_may_decompress(65280));
}

static int count_name(void *ctx, size_t off, bool compressible)
{
	int *n = ctx;

	(*n) += compressible ? 100 : 1;
	return 0;
}

static void test_names_walk(void **state)
{
	struct wb w = { .n = 0 };
	int n = 0;

	b_soa(&w);
	assert_int_equal(ls_rdata_names(LS_TYPE_SOA, w.b, w.n, count_name, &n), 0);
	assert_int_equal(n, 200);
	w.n = 0;
	n = 0;
	b_srv(&w);
	assert_int_equal(ls_rdata_names(LS_TYPE_SRV, w.b, w.n, count_name, &n), 0);
	assert_int_equal(n, 1);
	w.n = 0;
	n = 0;
	b_a(&w);
	assert_int_equal(ls_rdata_names(LS_TYPE_A, w.b, w.n, count_name, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),     cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_every_type),     cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bitmaps),	       cmocka_unit_test(test_svcb_bad),
		cmocka_unit_test(test_names_in_rdata), cmocka_unit_test(test_unpack),
		cmocka_unit_test(test_names_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
