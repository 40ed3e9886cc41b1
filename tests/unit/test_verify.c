/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/verify: zones signed by real tools
 * (tests/data/dnssec/ for every algorithm and both signers,
 * tests/data/verify/ for ZONEMD, delegations, NSEC3 opt-out and
 * multi-signer — see gen.sh in each) verified whole, then mutated in memory
 * one way at a time; each mutation must be refused with the check it is
 * named for, and each verdict must name the zone, the serial and the record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/verify.h"

#define DATA LS_TEST_DATA "/verify/"
#define AT_2025 1735689600ull /* 2025-01-01 00:00:00 UTC */

/* ---- helpers ----------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* Replace the first occurrence of @old in @s (which must be there). */
static char *replace(char *s, const char *old, const char *new)
{
	char *p = strstr(s, old);
	size_t ol = strlen(old), nl = strlen(new), sl = strlen(s);
	char *r;

	assert_non_null(p);
	r = malloc(sl - ol + nl + 1);
	assert_non_null(r);
	memcpy(r, s, (size_t)(p - s));
	memcpy(r + (p - s), new, nl);
	strcpy(r + (p - s) + nl, p + ol);
	free(s);
	return r;
}

/* Delete the first line that contains @needle (which must be there). */
static char *delete_line(char *s, const char *needle)
{
	char *p = strstr(s, needle), *b, *e;

	assert_non_null(p);
	for (b = p; b > s && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	e = e ? e + 1 : p + strlen(p);
	memmove(b, e, strlen(e) + 1);
	return s;
}

static void opts_2025(struct ls_verify_opts *o)
{
	ls_verify_opts_init(o);
	o->at = AT_2025;
}

static int verify_text(const char *text, const struct ls_verify_opts *o,
		       struct ls_verify_result *res)
{
	uint8_t origin[LS_DNAME_MAXLEN];

	assert_true(ls_dname_from_str(origin, "example.", NULL) > 0);
	return ls_verify_string(text, strlen(text), "test.zone", origin, o, res, NULL);
}

static const struct ls_zone_problem *finding(const struct ls_verify_result *res, const char *check)
{
	if (!res->findings)
		return NULL;
	for (size_t i = 0; i < res->findings->count; i++)
		if (strcmp(res->findings->v[i].check, check) == 0)
			return &res->findings->v[i];
	return NULL;
}

static void dump(const struct ls_verify_result *res)
{
	char line[8192];

	if (!res->findings)
		return;
	for (size_t i = 0; i < res->findings->count; i++) {
		ls_verify_format(line, sizeof(line), res, &res->findings->v[i]);
		print_message("  %s\n", line);
	}
}

/* Verify @text and require the verdict invalid with a finding @check (an error). */
static void expect_refused(const char *text, const struct ls_verify_opts *o, const char *check)
{
	struct ls_verify_result res;
	const struct ls_zone_problem *p;
	int err = verify_text(text, o, &res);

	if (err != -EBADMSG || !(p = finding(&res, check)) || p->severity != LS_ZONE_ERROR) {
		print_message("expected %s, got %d:\n", check, err);
		dump(&res);
		fail();
	}
	assert_false(res.valid);
	ls_verify_result_free(&res);
}

static void expect_valid(const char *text, const struct ls_verify_opts *o,
			 struct ls_verify_result *out)
{
	struct ls_verify_result res;
	int err = verify_text(text, o, &res);

	if (err != 0) {
		print_message("expected valid, got %d:\n", err);
		dump(&res);
		fail();
	}
	assert_true(res.valid);
	if (out)
		*out = res;
	else
		ls_verify_result_free(&res);
}

/* ---- parsing helpers ------------------------------------------------------- */

static void test_time(void **state)
{
	uint64_t t;

	assert_int_equal(ls_verify_time_from_str("20250101000000", &t), 0);
	assert_int_equal(t, AT_2025);
	assert_int_equal(ls_verify_time_from_str("20370101123456", &t), 0);
	assert_int_equal(t, 2114426096ull);
	assert_int_equal(ls_verify_time_from_str("1735689600", &t), 0);
	assert_int_equal(t, AT_2025);
	assert_int_equal(ls_verify_time_from_str("0", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(ls_verify_time_from_str("20251301000000", &t), -EINVAL);
	/* a real calendar date, as the catalog's TIMESTAMP: no 30 February */
	assert_int_equal(ls_verify_time_from_str("20250230000000", &t), -EINVAL);
	assert_int_equal(ls_verify_time_from_str("20240229000000", &t), 0);
	assert_int_equal(t, 1709164800ull);
	assert_int_equal(ls_verify_time_from_str("19691231235959", &t), -EINVAL);
	assert_int_equal(ls_verify_time_from_str("2025-01-01", &t), -EINVAL);
	assert_int_equal(ls_verify_time_from_str("", &t), -EINVAL);
	assert_int_equal(ls_verify_time_from_str("12a", &t), -EINVAL);
}

static void test_policy(void **state)
{
	enum ls_verify_policy p;

	assert_int_equal(ls_verify_policy_from_str("required", &p), 0);
	assert_int_equal(p, LS_VERIFY_REQUIRED);
	assert_int_equal(ls_verify_policy_from_str("optional", &p), 0);
	assert_int_equal(p, LS_VERIFY_OPTIONAL);
	assert_int_equal(ls_verify_policy_from_str("off", &p), 0);
	assert_int_equal(p, LS_VERIFY_OFF);
	assert_int_equal(ls_verify_policy_from_str("yes", &p), -EINVAL);
	assert_string_equal(ls_verify_policy_name(LS_VERIFY_REQUIRED), "required");
}

/* ---- every algorithm, both signers, NSEC and NSEC3 ------------------------------ */

static void test_signed_by_tools(void **state)
{
	struct ls_verify_opts o;
	glob_t g;
	size_t n3 = 0;

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	assert_int_equal(glob(LS_TEST_DATA "/dnssec/*.zone", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 16);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct ls_verify_result res;
		int err = ls_verify_file(g.gl_pathv[i], NULL, &o, &res, NULL);
		if (err) {
			print_message("%s: %d\n", g.gl_pathv[i], err);
			dump(&res);
			fail();
		}
		assert_true(res.stats.signatures > 0);
		assert_int_equal(res.stats.signatures, res.stats.signatures_ok);
		assert_true(res.stats.denial > 0);
		n3 += res.stats.nsec3;
		ls_verify_result_free(&res);
	}
	assert_true(n3 >= 4 && n3 < g.gl_pathc); /* both kinds were checked */
	globfree(&g);
}

static void test_verify_data(void **state)
{
	static const char *const files[] = { "signed-nsec.zone", "signed-nsec3.zone",
					     "multisigner.zone" };
	struct ls_verify_opts o;

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	for (size_t i = 0; i < 3; i++) {
		char path[512];
		char *text;
		struct ls_verify_result res;

		snprintf(path, sizeof(path), DATA "%s", files[i]);
		text = slurp(path);
		expect_valid(text, &o, &res);
		assert_true(res.stats.signatures > 0);
		assert_int_equal(res.stats.signatures, res.stats.signatures_ok);
		assert_int_equal(res.stats.nsec3, i == 1);
		if (i == 0)
			assert_true(res.stats.zonemd_ok);
		if (i == 2)
			assert_int_equal(res.stats.keys, 4);
		ls_verify_result_free(&res);
		free(text);
	}
}

/* ---- serial --------------------------------------------------------------------- */

static void test_serial(void **state)
{
	char *text = slurp(DATA "zonemd.zone");
	struct ls_verify_opts o;

	opts_2025(&o);
	o.has_live_serial = true;
	o.live_serial = 2025010100;
	expect_valid(text, &o, NULL);
	o.live_serial = 2025010101;
	expect_refused(text, &o, "serial");
	o.live_serial = 2025010102;
	expect_refused(text, &o, "serial");
	o.live_serial = 2025010101u + 0x80000000u; /* 2^31 apart: undefined, refused */
	expect_refused(text, &o, "serial");
	o.live_serial = 4200000000u; /* wrapped: 2025010101 is newer by RFC 1982 */
	expect_valid(text, &o, NULL);
	o.has_live_serial = false;
	expect_valid(text, &o, NULL);
	free(text);
}

/* ---- ZONEMD ----------------------------------------------------------------------- */

#define SHA384_HEAD "2025010101 1 1 5d0e67ee"
#define SHA512_HEAD "2025010101 1 2 22ecfe12"

static void test_zonemd_valid(void **state)
{
	char *text = slurp(DATA "zonemd.zone");
	struct ls_verify_opts o;
	struct ls_verify_result res;

	opts_2025(&o);
	o.zonemd = LS_VERIFY_REQUIRED;
	/* the zone has "MX 10 Mail.Example.": the digest is over canonical form */
	assert_non_null(strstr(text, "Mail.Example."));
	expect_valid(text, &o, &res);
	assert_true(res.stats.zonemd_ok);
	ls_verify_result_free(&res);
	/* different case in RDATA names and owners: the same canonical zone */
	text = replace(text, "NS\tns1.example.", "NS\tNS1.EXAMPLE.");
	text = replace(text, "www.example.", "WwW.example.");
	expect_valid(text, &o, NULL);
	/* a duplicate record is dropped before digesting */
	text = replace(text, "mail.example.",
		       "mail.example.\t3600\tIN\tA\t192.0.2.25\nmail.example.");
	expect_valid(text, &o, NULL);
	free(text);
}

static void test_zonemd_one_suffices(void **state)
{
	char *text = slurp(DATA "zonemd.zone");
	struct ls_verify_opts o;

	opts_2025(&o);
	o.zonemd = LS_VERIFY_REQUIRED;
	text = replace(text, SHA384_HEAD, "2025010101 1 1 5d0e67ef");
	expect_valid(text, &o, NULL); /* SHA-512 still matches */
	text = replace(text, SHA512_HEAD, "2025010101 1 2 22ecfe13");
	expect_refused(text, &o, "zonemd-digest");
	free(text);
}

static void test_zonemd_data_changed(void **state)
{
	struct ls_verify_opts o;
	char *text;

	opts_2025(&o);
	/* authoritative data */
	text = replace(slurp(DATA "zonemd.zone"), "192.0.2.80", "192.0.2.81");
	expect_refused(text, &o, "zonemd-digest");
	free(text);
	/* glue is in the digest too (RFC 8976 §3.3.1.1) */
	text = replace(slurp(DATA "zonemd.zone"), "192.0.2.61", "192.0.2.62");
	expect_refused(text, &o, "zonemd-digest");
	free(text);
	/* a TTL */
	text = replace(slurp(DATA "zonemd.zone"), "mail.example.\t3600", "mail.example.\t3601");
	expect_refused(text, &o, "zonemd-digest");
	free(text);
	/* a record less */
	text = delete_line(slurp(DATA "zonemd.zone"), "AAAA");
	expect_refused(text, &o, "zonemd-digest");
	free(text);
	/* off: not looked at */
	text = replace(slurp(DATA "zonemd.zone"), "192.0.2.80", "192.0.2.81");
	o.zonemd = LS_VERIFY_OFF;
	expect_valid(text, &o, NULL);
	free(text);
}

static void test_zonemd_serial(void **state)
{
	struct ls_verify_opts o;
	char *text;

	opts_2025(&o);
	/* the SOA moves on, the ZONEMD records do not */
	text = replace(slurp(DATA "zonemd.zone"), "hostmaster.example. 2025010101",
		       "hostmaster.example. 2025010102");
	expect_refused(text, &o, "zonemd-serial");
	free(text);
}

static void test_zonemd_schemes(void **state)
{
	struct ls_verify_opts o;
	struct ls_verify_result res;
	char *text;

	opts_2025(&o);
	o.zonemd = LS_VERIFY_REQUIRED;
	/* an unknown scheme and a private hash algorithm next to a valid record */
	text = replace(slurp(DATA "zonemd.zone"), "example.\t3600\tIN\tZONEMD",
		       "example. 3600 IN ZONEMD 2025010101 9 1 00112233445566778899aabbccdd\n"
		       "example. 3600 IN ZONEMD 2025010101 1 241 00112233445566778899aabbccdd\n"
		       "example.\t3600\tIN\tZONEMD");
	expect_valid(text, &o, NULL);
	free(text);

	/* only unsupported records: required refuses, optional passes with a warning */
	text = delete_line(delete_line(slurp(DATA "zonemd.zone"), SHA384_HEAD), SHA512_HEAD);
	text = replace(text, "example.\t3600\tIN\tMX",
		       "example. 3600 IN ZONEMD 2025010101 9 1 00112233445566778899aabbccdd\n"
		       "example.\t3600\tIN\tMX");
	expect_refused(text, &o, "zonemd-unsupported");
	o.zonemd = LS_VERIFY_OPTIONAL;
	expect_valid(text, &o, &res);
	assert_non_null(finding(&res, "zonemd-unsupported"));
	assert_int_equal(finding(&res, "zonemd-unsupported")->severity, LS_ZONE_WARNING);
	assert_false(res.stats.zonemd_ok);
	ls_verify_result_free(&res);
	free(text);

	/* two records with the same scheme and hash: verification impossible */
	text = replace(slurp(DATA "zonemd.zone"), "example.\t3600\tIN\tZONEMD",
		       "example. 3600 IN ZONEMD 2025010101 1 1 "
		       "000000000000000000000000000000000000000000000000"
		       "000000000000000000000000000000000000000000000000\n"
		       "example.\t3600\tIN\tZONEMD");
	expect_refused(text, &o, "zonemd-duplicate");
	free(text);

	/* no ZONEMD: required refuses, optional passes */
	text = delete_line(delete_line(slurp(DATA "zonemd.zone"), SHA384_HEAD), SHA512_HEAD);
	expect_valid(text, &o, NULL);
	o.zonemd = LS_VERIFY_REQUIRED;
	expect_refused(text, &o, "zonemd-missing");
	free(text);
}

/* A ZONEMD below the apex is ordinary data; the apex RRSIG over ZONEMD is excluded. */
static void test_zonemd_signed(void **state)
{
	struct ls_verify_opts o;
	char *text = slurp(DATA "signed-nsec.zone");

	opts_2025(&o);
	o.zonemd = LS_VERIFY_REQUIRED;
	o.dnssec = LS_VERIFY_OFF;
	/* a different signature over ZONEMD changes nothing in the digest ... */
	text = delete_line(text, "RRSIG\tZONEMD");
	expect_valid(text, &o, NULL);
	/* ... while any other RRSIG is part of it */
	text = delete_line(text, "RRSIG\tMX");
	expect_refused(text, &o, "zonemd-digest");
	free(text);
}

/* ---- DNSSEC mutations ---------------------------------------------------------------- */

static void test_dnssec_time(void **state)
{
	char *text = slurp(DATA "signed-nsec.zone");
	struct ls_verify_opts o;

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	o.at = 2114467200ull; /* 2037-01-01 12:00: after expiration */
	expect_refused(text, &o, "dnssec-rrsig-expired");
	o.at = 1672531200ull; /* 2023-01-01: before inception */
	expect_refused(text, &o, "dnssec-rrsig-not-yet-valid");
	o.at = 2114467200ull - 86400 * 2; /* valid now, but not a week later */
	expect_valid(text, &o, NULL);
	o.margin = 7 * 86400;
	expect_refused(text, &o, "dnssec-rrsig-expired");
	free(text);
}

static void test_dnssec_mutations(void **state)
{
	struct ls_verify_opts o;
	char *text;

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	o.zonemd = LS_VERIFY_OFF; /* each case tests DNSSEC alone */

	/* a flipped byte in signed RDATA */
	text = replace(slurp(DATA "signed-nsec.zone"), "192.0.2.80", "192.0.2.81");
	expect_refused(text, &o, "dnssec-rrsig-bogus");
	free(text);
	/* a dropped RRSIG */
	text = delete_line(slurp(DATA "signed-nsec.zone"), "www.example.\t3600\tIN\tRRSIG\tAAAA");
	expect_refused(text, &o, "dnssec-rrsig-missing");
	free(text);
	/* a removed DNSKEY (the ZSK: nothing else verifies) */
	text = delete_line(slurp(DATA "signed-nsec.zone"), "DNSKEY\t256 3 13");
	expect_refused(text, &o, "dnssec-rrsig-missing");
	free(text);
	/* no DNSKEY at all, signatures left: never passes as "unsigned" */
	text = delete_line(delete_line(slurp(DATA "signed-nsec.zone"), "DNSKEY\t256 3 13"),
			   "DNSKEY\t257 3 13");
	o.dnssec = LS_VERIFY_OPTIONAL;
	expect_refused(text, &o, "dnssec-dnskey-missing");
	o.dnssec = LS_VERIFY_REQUIRED;
	free(text);
	/* a broken NSEC link: www's NSEC skips nothing but points elsewhere */
	text = replace(slurp(DATA "signed-nsec.zone"), "NSEC\tinsecure.example.",
		       "NSEC\tmail.example.");
	expect_refused(text, &o, "nsec-next");
	free(text);
	/* an NSEC bitmap that lies */
	text = replace(slurp(DATA "signed-nsec.zone"), "NSEC\tns1.example. A RRSIG NSEC",
		       "NSEC\tns1.example. A AAAA RRSIG NSEC");
	expect_refused(text, &o, "nsec-bitmap");
	free(text);
	/* a name without its NSEC */
	text = delete_line(slurp(DATA "signed-nsec.zone"), "mail.example.\t300\tIN\tNSEC");
	expect_refused(text, &o, "nsec-missing");
	free(text);
	/* an unsigned zone when DNSSEC is required; fine when optional */
	text = slurp(DATA "zonemd.zone");
	expect_refused(text, &o, "dnssec-unsigned");
	o.dnssec = LS_VERIFY_OPTIONAL;
	expect_valid(text, &o, NULL);
	free(text);
}

static void test_nsec3_mutations(void **state)
{
	struct ls_verify_opts o;
	char *text, *p, owner[80];

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	/* take the first NSEC3 owner and remove its records: the chain breaks */
	text = slurp(DATA "signed-nsec3.zone");
	p = strstr(text, "\tNSEC3\t");
	assert_non_null(p);
	while (p > text && p[-1] != '\n')
		p--;
	memcpy(owner, p, 32);
	owner[32] = '\0';
	while (strstr(text, owner))
		text = delete_line(text, owner);
	expect_refused(text, &o, "nsec3-next");
	expect_refused(text, &o, "nsec3-missing");
	free(text);
	/* NSEC3PARAM that does not match the chain */
	text = replace(slurp(DATA "signed-nsec3.zone"), "NSEC3PARAM\t1 0 1 ab",
		       "NSEC3PARAM\t1 0 1 cd");
	expect_refused(text, &o, "nsec3-param-mismatch");
	free(text);
	/* opt-out: the insecure delegation has no NSEC3 and needs none */
	text = slurp(DATA "signed-nsec3.zone");
	assert_non_null(strstr(text, "NSEC3\t1 1 1 ab"));
	expect_valid(text, &o, NULL);
	/* without the opt-out flag the same chain misses a name */
	while (strstr(text, "NSEC3\t1 1 1 ab"))
		text = replace(text, "NSEC3\t1 1 1 ab", "NSEC3\t1 0 1 ab");
	o.zonemd = LS_VERIFY_OFF;
	expect_refused(text, &o, "nsec3-missing");
	free(text);
}

static void test_multisigner(void **state)
{
	struct ls_verify_opts o;
	char *text = slurp(DATA "multisigner.zone");
	char *p, *line;

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	expect_valid(text, &o, NULL);
	/* one signer's RRSIG over www A gone: the other signer's suffices */
	p = strstr(text, "www.example.\t3600\tIN\tRRSIG\tA ");
	assert_non_null(p);
	line = strndup(p, (size_t)(strchr(p, '\n') - p));
	text = delete_line(text, line);
	free(line);
	expect_valid(text, &o, NULL);
	/* both gone: refused */
	text = delete_line(text, "www.example.\t3600\tIN\tRRSIG\tA ");
	expect_refused(text, &o, "dnssec-rrsig-missing");
	free(text);
	/* a DNSKEY removed from the shared set: its signatures no longer verify */
	text = delete_line(slurp(DATA "multisigner.zone"), "DNSKEY\t256 3 13");
	expect_refused(text, &o, "dnssec-rrsig-bogus");
	free(text);
}

/* ---- structure, limits, verdicts, threads ---------------------------------------- */

static void test_structure_and_limits(void **state)
{
	struct ls_verify_opts o;
	struct ls_verify_result res;
	char *text;

	opts_2025(&o);
	/* a record outside the zone: refused by the loader's checks */
	text = slurp(DATA "zonemd.zone");
	text = replace(text, "mail.example.",
		       "mail.example.org.\t3600\tIN\tA\t192.0.2.1\nmail.example.");
	expect_refused(text, &o, "out-of-zone");
	free(text);
	/* limits while reading */
	text = slurp(DATA "zonemd.zone");
	o.max_records = 5;
	assert_int_equal(verify_text(text, &o, &res), -EBADMSG);
	assert_non_null(finding(&res, "limit"));
	ls_verify_result_free(&res);
	o.max_records = 0;
	o.max_bytes = 200;
	assert_int_equal(verify_text(text, &o, &res), -EBADMSG);
	assert_non_null(finding(&res, "limit"));
	ls_verify_result_free(&res);
	free(text);
}

static void test_verdict_format(void **state)
{
	struct ls_verify_opts o;
	struct ls_verify_result res;
	const struct ls_zone_problem *p;
	char *text, line[8192];

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	text = replace(slurp(DATA "signed-nsec.zone"), "192.0.2.80", "192.0.2.81");
	assert_int_equal(verify_text(text, &o, &res), -EBADMSG);
	p = finding(&res, "dnssec-rrsig-bogus");
	assert_non_null(p);
	ls_verify_format(line, sizeof(line), &res, p);
	/* zone, serial, check, owner, type and the record itself */
	assert_non_null(strstr(line, "example. serial 2025010101: "));
	assert_non_null(strstr(line, "dnssec-rrsig-bogus: www.example. RRSIG A 13 2 3600"));
	assert_non_null(strstr(line, "does not verify"));
	assert_string_equal(res.zone, "example.");
	ls_verify_result_free(&res);
	free(text);
}

static void test_threads_and_cap(void **state)
{
	struct ls_verify_opts o;
	struct ls_verify_result a, b;
	char *text;

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	o.at = 2114467200ull; /* everything expired: one finding per RRSIG */
	text = slurp(DATA "multisigner.zone");
	o.threads = 1;
	assert_int_equal(verify_text(text, &o, &a), -EBADMSG);
	o.threads = 8;
	assert_int_equal(verify_text(text, &o, &b), -EBADMSG);
	assert_int_equal(a.findings->errors, b.findings->errors);
	assert_int_equal(a.findings->count, b.findings->count);
	for (size_t i = 0; i < a.findings->count; i++) {
		assert_string_equal(a.findings->v[i].check, b.findings->v[i].check);
		assert_string_equal(a.findings->v[i].owner, b.findings->v[i].owner);
		if (a.findings->v[i].rdata || b.findings->v[i].rdata)
			assert_string_equal(a.findings->v[i].rdata, b.findings->v[i].rdata);
	}
	assert_true(a.findings->errors > 20);
	ls_verify_result_free(&a);
	ls_verify_result_free(&b);
	/* the cap: stored up to max_findings, the rest counted */
	o.max_findings = 3;
	assert_int_equal(verify_text(text, &o, &a), -EBADMSG);
	assert_int_equal(a.findings->count, 3);
	assert_true(a.findings->suppressed > 0);
	assert_int_equal(a.findings->count + a.findings->suppressed,
			 a.findings->errors + a.findings->warnings);
	ls_verify_result_free(&a);
	free(text);
}

/* Every finding of @res formatted, one a line, then the counts: the verdict as
 * an operator reads it. */
static char *verdict_text(const struct ls_verify_result *res)
{
	size_t cap = 4096, len = 0;
	char *s = malloc(cap), line[8192];

	assert_non_null(s);
	s[0] = '\0';
	for (size_t i = 0; res->findings && i < res->findings->count; i++) {
		int n = ls_verify_format(line, sizeof(line), res, &res->findings->v[i]);

		assert_true(n > 0 && (size_t)n < sizeof(line));
		while (len + (size_t)n + 2 > cap) {
			cap *= 2;
			s = realloc(s, cap);
			assert_non_null(s);
		}
		memcpy(s + len, line, (size_t)n);
		len += (size_t)n;
		s[len++] = '\n';
		s[len] = '\0';
	}
	snprintf(line, sizeof(line), "errors %zu warnings %zu suppressed %zu\n",
		 res->findings ? res->findings->errors : 0,
		 res->findings ? res->findings->warnings : 0,
		 res->findings ? res->findings->suppressed : 0);
	s = realloc(s, len + strlen(line) + 1);
	assert_non_null(s);
	strcpy(s + len, line);
	return s;
}

/*
 * Verify @text @runs times, alternating 1 and 2 threads (and 8 once), and
 * require the same verdict text every time. Returns the verdict.
 */
static char *same_verdict(const char *text, struct ls_verify_opts *o, int runs)
{
	struct ls_verify_result res;
	char *first = NULL;

	for (int i = 0; i < runs; i++) {
		char *v;

		o->threads = i == runs - 1 ? 8 : (unsigned)(i % 2 + 1);
		assert_int_equal(verify_text(text, o, &res), -EBADMSG);
		v = verdict_text(&res);
		if (i == 1)
			assert_int_equal(res.stats.threads, 2);
		ls_verify_result_free(&res);
		if (!first) {
			first = v;
			continue;
		}
		if (strcmp(first, v) != 0) {
			print_message("run %d (%u threads) differs:\n%s\n--- first run:\n%s\n", i,
				      o->threads, v, first);
			fail();
		}
		free(v);
	}
	return first;
}

/*
 * The verdict does not depend on thread timing: a zone of about 1,200 nodes
 * (three signature chunks) with damage in each third gives the same findings
 * in the same order on 1 and 2 threads, run after run, also when the
 * finding cap cuts the list (the first failure reported is always the one
 * with the lowest canonical position).
 */
static void test_threads_deterministic(void **state)
{
	struct ls_verify_opts o;
	char *text, *v, *h2;

	opts_2025(&o);
	o.dnssec = LS_VERIFY_REQUIRED;
	o.zonemd = LS_VERIFY_OFF;
	text = slurp(DATA "large-nsec.zone");
	text = replace(text, "h2.example.\t3600\tIN\tA\t198.51.0.3\n",
		       "h2.example.\t3600\tIN\tA\t198.51.0.4\n");
	text = delete_line(text, "h600.example.\t3600\tIN\tRRSIG\tA ");
	text = replace(text, "h999.example.\t3600\tIN\tA\t198.51.3.250\n",
		       "h999.example.\t3600\tIN\tA\t198.51.3.251\n");

	v = same_verdict(text, &o, 8);
	/* all three, in canonical order: h2 < h600 < h999 */
	h2 = strstr(v, "dnssec-rrsig-bogus: h2.example.");
	assert_non_null(h2);
	assert_true(h2 < strchr(v, '\n')); /* the first finding */
	assert_non_null(strstr(v, "dnssec-rrsig-missing: h600.example."));
	assert_non_null(strstr(v, "dnssec-rrsig-bogus: h999.example."));
	assert_true(strstr(v, "h600.example.") < strstr(v, "h999.example."));
	assert_non_null(strstr(v, "errors 5 warnings 0 suppressed 0")); /* bogus + missing twice */
	free(v);

	/* cut to one finding: always the first in canonical order */
	o.max_findings = 1;
	v = same_verdict(text, &o, 6);
	assert_memory_equal(v, "example. serial 2025010101: dnssec-rrsig-bogus: h2.example.",
			    strlen("example. serial 2025010101: dnssec-rrsig-bogus: h2.example."));
	assert_non_null(strstr(v, "errors 5 warnings 0 suppressed 4"));
	free(v);

	/* with ZONEMD on, its mismatch comes first, then the signatures */
	o.zonemd = LS_VERIFY_REQUIRED;
	o.max_findings = 0;
	v = same_verdict(text, &o, 3);
	assert_memory_equal(v, "example. serial 2025010101: zonemd-digest: ",
			    strlen("example. serial 2025010101: zonemd-digest: "));
	/* each finding counted once (ZONEMD's used to be counted twice) */
	assert_non_null(strstr(v, "errors 6 warnings 0 suppressed 0"));
	free(v);

	/* every signature expired: every chunk fills the cap on its own, so
	 * later chunks stop storing early; the stored ones are still the first */
	o.zonemd = LS_VERIFY_OFF;
	o.at = 2114467200ull;
	o.max_findings = 5;
	v = same_verdict(text, &o, 6);
	assert_non_null(strstr(v, "suppressed"));
	assert_memory_equal(v, "example. serial 2025010101: dnssec-rrsig-expired: example.",
			    strlen("example. serial 2025010101: dnssec-rrsig-expired: example."));
	free(v);
	free(text);
}

static void test_missing_file(void **state)
{
	struct ls_verify_result res;

	assert_int_equal(ls_verify_file(DATA "no-such.zone", NULL, NULL, &res, NULL), -ENOENT);
	ls_verify_result_free(&res);
	ls_verify_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_signed_by_tools),
		cmocka_unit_test(test_verify_data),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_zonemd_valid),
		cmocka_unit_test(test_zonemd_one_suffices),
		cmocka_unit_test(test_zonemd_data_changed),
		cmocka_unit_test(test_zonemd_serial),
		cmocka_unit_test(test_zonemd_schemes),
		cmocka_unit_test(test_zonemd_signed),
		cmocka_unit_test(test_dnssec_time),
		cmocka_unit_test(test_dnssec_mutations),
		cmocka_unit_test(test_nsec3_mutations),
		cmocka_unit_test(test_multisigner),
		cmocka_unit_test(test_structure_and_limits),
		cmocka_unit_test(test_verdict_format),
		cmocka_unit_test(test_threads_and_cap),
		cmocka_unit_test(test_threads_deterministic),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
