/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/zonefile: the zone files in tests/data/zones
 * ($ORIGIN, $TTL, relative $INCLUDE, $GENERATE, every supported type, an
 * unknown type in RFC 3597 form) and hostile ones (bad base64 and hex, a
 * 64-octet label, a 256-octet name, syntax errors, missing and looping
 * includes, a missing file), each problem at the right file:line; origin
 * guessing; includes refused for untrusted text; the error limit.
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

#include "common/dname.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/zonefile.h"

#define ZONES LS_TEST_DATA "/zones/"

static const uint8_t *N(const char *s)
{
	static uint8_t ring[8][LS_DNAME_MAXLEN];
	static int next;
	uint8_t *n = ring[next++ % 8];

	assert_true(ls_dname_from_str(n, s, NULL) > 0);
	return n;
}

static void dump(const struct ls_zone_problems *p)
{
	char line[4096];

	for (size_t i = 0; p && i < p->count; i++) {
		ls_zone_problem_format(line, sizeof(line), &p->v[i]);
		print_message("  %s\n", line);
	}
}

static struct ls_zone *load_file_ok(const char *file, const char *origin)
{
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	int err = ls_zonefile_load(file, origin ? N(origin) : NULL, NULL, &z, &p);

	dump(p);
	assert_int_equal(err, 0);
	assert_non_null(z);
	ls_zone_problems_free(p);
	return z;
}

/* Load a file that must fail with @want; returns its problems. */
static struct ls_zone_problems *load_file_bad(const char *file, const char *origin, int want)
{
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	int err = ls_zonefile_load(file, origin ? N(origin) : NULL, NULL, &z, &p);

	dump(p);
	assert_int_equal(err, want);
	assert_null(z);
	assert_non_null(p);
	return p;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Assert that problem @i is @check at @file (suffix) : @line. */
static void assert_problem(const struct ls_zone_problems *p, size_t i, const char *check,
			   const char *file, unsigned long line)
{
	assert_true(i < p->count);
	assert_string_equal(p->v[i].check, check);
	assert_non_null(p->v[i].file);
	if (!ends_with(p->v[i].file, file))
		fail_msg("problem %zu in %s, want %s", i, p->v[i].file, file);
	assert_int_equal(p->v[i].line, line);
}

static const struct ls_zone_rrset *rrset(const struct ls_zone *z, const char *owner, uint16_t type)
{
	const struct ls_zone_node *n = ls_zone_find(z, N(owner));

	if (!n)
		fail_msg("no node %s", owner);
	return ls_zone_node_rrset(z, n, type);
}

static void test_example(void **state)
{
	struct ls_zone *z = load_file_ok(ZONES "example.com.zone", "example.com.");

	assert_int_equal(ls_zone_serial(z), 2024010101);
	assert_int_equal(ls_zone_record_count(z), 13);
	assert_int_equal(ls_zone_delegation_count(z), 1);
	assert_non_null(rrset(z, "a.b.c.example.com.", LS_TYPE_A));
	assert_non_null(rrset(z, "*.wild.example.com.", LS_TYPE_TXT));
	assert_int_equal(rrset(z, "example.com.", LS_TYPE_SOA)->ttl, 3600);
	ls_zone_free(z);
}

static void test_all_types(void **state)
{
	static const struct {
		const char *owner;
		uint16_t type;
	} want[] = {
		{ "types.example.", LS_TYPE_SOA },
		{ "types.example.", LS_TYPE_NS },
		{ "types.example.", LS_TYPE_MX },
		{ "types.example.", LS_TYPE_TXT },
		{ "types.example.", LS_TYPE_CAA },
		{ "types.example.", LS_TYPE_DNSKEY },
		{ "types.example.", LS_TYPE_NSEC3PARAM },
		{ "types.example.", LS_TYPE_ZONEMD },
		{ "types.example.", LS_TYPE_RRSIG },
		{ "types.example.", LS_TYPE_NSEC },
		{ "ns1.types.example.", LS_TYPE_A },
		{ "ns1.types.example.", LS_TYPE_AAAA },
		{ "alias.types.example.", LS_TYPE_CNAME },
		{ "redirect.types.example.", LS_TYPE_DNAME },
		{ "1.2.0.192.in-addr.types.example.", LS_TYPE_PTR },
		{ "_sip._tcp.types.example.", LS_TYPE_SRV },
		{ "naptr.types.example.", LS_TYPE_NAPTR },
		{ "svc.types.example.", LS_TYPE_SVCB },
		{ "web.types.example.", LS_TYPE_HTTPS },
		{ "sub.types.example.", LS_TYPE_NS },
		{ "sub.types.example.", LS_TYPE_DS },
		{ "2vptu5timamqttgl4luu9kg21e0aor3s.types.example.", LS_TYPE_NSEC3 },
		{ "private.types.example.", 65280 },
	};
	struct ls_zone *z = load_file_ok(ZONES "all-types.zone", "types.example.");
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!rrset(z, want[i].owner, want[i].type))
			fail_msg("no type %u at %s", want[i].type, want[i].owner);
	assert_int_equal(ls_zone_record_count(z), 26);
	ls_zone_rdata_begin(z, rrset(z, "private.types.example.", 65280), &it);
	assert_true(ls_zone_rdata_next(&it, &rd, &len));
	assert_int_equal(len, 4);
	assert_memory_equal(rd, "\x0a\x00\x00\x01", 4);
	/* two character-strings in one TXT */
	ls_zone_rdata_begin(z, rrset(z, "types.example.", LS_TYPE_TXT), &it);
	assert_true(ls_zone_rdata_next(&it, &rd, &len));
	assert_int_equal(rd[0], 11);
	assert_int_equal(len, 1 + 11 + 1 + 13);
	assert_non_null(ls_zone_rrsigs(z, ls_zone_apex(z), LS_TYPE_SOA));
	ls_zone_free(z);
}

static void test_directives(void **state)
{
	struct ls_zone *z = load_file_ok(ZONES "directives.zone", "dir.example.");
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	char name[64];

	assert_int_equal(ls_zone_serial(z), 7);
	/* $TTL before and after a change */
	assert_int_equal(rrset(z, "ns.dir.example.", LS_TYPE_A)->ttl, 600);
	assert_int_equal(rrset(z, "short.dir.example.", LS_TYPE_A)->ttl, 120);
	/* $INCLUDE relative to this file's directory, with the current $TTL */
	assert_int_equal(rrset(z, "inc-host.dir.example.", LS_TYPE_A)->ttl, 120);
	assert_int_equal(rrset(z, "inc-host2.dir.example.", LS_TYPE_A)->ttl, 300);
	/* $INCLUDE with its own origin */
	assert_non_null(rrset(z, "other.dir.example.", LS_TYPE_TXT));
	assert_non_null(rrset(z, "x.other.dir.example.", LS_TYPE_A));
	/* $GENERATE 1-10 host$ A 198.51.100.$ */
	for (int i = 1; i <= 10; i++) {
		snprintf(name, sizeof(name), "host%d.dir.example.", i);
		const struct ls_zone_rrset *rs = rrset(z, name, LS_TYPE_A);
		assert_non_null(rs);
		assert_int_equal(rs->ttl, 120);
		ls_zone_rdata_begin(z, rs, &it);
		assert_true(ls_zone_rdata_next(&it, &rd, &len));
		assert_int_equal(rd[3], i);
	}
	assert_null(ls_zone_find(z, N("host0.dir.example.")));
	assert_null(ls_zone_find(z, N("host11.dir.example.")));
	/* $ORIGIN after $GENERATE still applies: the scanner kept its state */
	assert_non_null(rrset(z, "deep.sub2.dir.example.", LS_TYPE_TXT));
	assert_int_equal(ls_zone_record_count(z), 19);
	ls_zone_free(z);
}

static int load_text(const char *text, struct ls_zone **z, struct ls_zone_problems **p)
{
	return ls_zonefile_load_string(text, strlen(text), "gen", N("g.example."), NULL, z, p);
}

#define GHEAD "$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"

static void test_generate(void **state)
{
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	assert_int_equal(load_text(GHEAD "$GENERATE 0-4/2 h${10,3,d} 60 IN A 192.0.2.$ ; comment\n"
					 "$generate 10-11 ${0,4,n} PTR host${0,2,x}.example.\n"
					 "$GENERATE 1-2 txt$ TXT \"v=$ and \\$\"\n"
					 "after A 192.0.2.99\n",
				   &z, &p),
			 0);
	dump(p);
	assert_int_equal(rrset(z, "h010.g.example.", LS_TYPE_A)->ttl, 60);
	assert_non_null(rrset(z, "h012.g.example.", LS_TYPE_A));
	assert_non_null(rrset(z, "h014.g.example.", LS_TYPE_A));
	assert_null(ls_zone_find(z, N("h011.g.example.")));
	assert_null(ls_zone_find(z, N("h016.g.example.")));
	ls_zone_rdata_begin(z, rrset(z, "h014.g.example.", LS_TYPE_A), &it);
	assert_true(ls_zone_rdata_next(&it, &rd, &len));
	assert_int_equal(rd[3], 4);
	/* nibbles, reversed: 10 = 000a */
	assert_non_null(rrset(z, "a.0.0.0.g.example.", LS_TYPE_PTR));
	assert_non_null(rrset(z, "b.0.0.0.g.example.", LS_TYPE_PTR));
	ls_zone_rdata_begin(z, rrset(z, "b.0.0.0.g.example.", LS_TYPE_PTR), &it);
	assert_true(ls_zone_rdata_next(&it, &rd, &len));
	assert_true(ls_dname_equal(rd, N("host0b.example.")));
	ls_zone_rdata_begin(z, rrset(z, "txt2.g.example.", LS_TYPE_TXT), &it);
	assert_true(ls_zone_rdata_next(&it, &rd, &len));
	assert_int_equal(rd[0], 9);
	assert_memory_equal(rd + 1, "v=2 and $", 9);
	assert_non_null(rrset(z, "after.g.example.", LS_TYPE_A));
	ls_zone_free(z);
	ls_zone_problems_free(p);

	/* each broken $GENERATE at its own line, the rest still read */
	assert_int_equal(load_text(GHEAD
				   "$GENERATE 5-1 h$ A 192.0.2.$\n" /* 5 */
				   "$GENERATE 1-300 h$ A 192.0.2.$\n" /* 6 */
				   "$GENERATE 1-2 h${x} A 192.0.2.1\n" /* 7 */
				   "$GENERATE 1-2 h$\n" /* 8 */
				   "$GENERATE 1-99999999 h$ A 192.0.2.1\n" /* 9 */
				   "ok A 192.0.2.7\n" /* 10 */
				   "bad A 192.0.2\n" /* 11 */
				   /* offset overflow, found by the fuzzer */
				   "$GENERATE 1-2 h${9223372036854775807} A 192.0.2.1\n", /* 12 */
				   &z, &p),
			 -EBADMSG);
	dump(p);
	assert_int_equal(p->errors, 7);
	assert_problem(p, 0, "generate", "gen", 5);
	assert_problem(p, 1, "generate", "gen", 6);
	assert_non_null(strstr(p->v[1].message, "192.0.2.256"));
	assert_problem(p, 2, "generate", "gen", 7);
	assert_problem(p, 3, "generate", "gen", 8);
	assert_problem(p, 4, "generate", "gen", 9);
	assert_problem(p, 5, "syntax", "gen", 11);
	assert_problem(p, 6, "generate", "gen", 12);
	ls_zone_problems_free(p);
}

static void test_hostile_files(void **state)
{
	struct ls_zone_problems *p;

	p = load_file_bad(ZONES "bad-base64.zone", "b64.example.", -EBADMSG);
	assert_int_equal(p->errors, 1);
	assert_problem(p, 0, "syntax", "bad-base64.zone", 6);
	ls_zone_problems_free(p);

	p = load_file_bad(ZONES "bad-hex.zone", "hex.example.", -EBADMSG);
	assert_int_equal(p->errors, 1);
	assert_problem(p, 0, "syntax", "bad-hex.zone", 7);
	ls_zone_problems_free(p);

	p = load_file_bad(ZONES "long-label.zone", "label.example.", -EBADMSG);
	assert_int_equal(p->errors, 1);
	assert_problem(p, 0, "syntax", "long-label.zone", 7);
	ls_zone_problems_free(p);

	p = load_file_bad(ZONES "long-name.zone", "name.example.", -EBADMSG);
	assert_int_equal(p->errors, 1);
	assert_problem(p, 0, "syntax", "long-name.zone", 6);
	ls_zone_problems_free(p);

	/* every error up to the fatal bad directive; nothing after it */
	p = load_file_bad(ZONES "syntax.zone", "syntax.example.", -EBADMSG);
	assert_int_equal(p->errors, 6);
	assert_problem(p, 0, "syntax", "syntax.zone", 6);
	assert_problem(p, 1, "syntax", "syntax.zone", 7);
	assert_problem(p, 2, "syntax", "syntax.zone", 8);
	assert_problem(p, 3, "syntax", "syntax.zone", 10);
	assert_problem(p, 4, "syntax", "syntax.zone", 11);
	assert_problem(p, 5, "syntax", "syntax.zone", 13);
	ls_zone_problems_free(p);

	/* structural problems in a file that parses */
	p = load_file_bad(ZONES "broken.zone", "broken.example.", -EBADMSG);
	assert_int_equal(p->errors, 13);
	assert_int_equal(p->warnings, 2);
	assert_problem(p, 0, "soa-multiple", "broken.zone", 4);
	ls_zone_problems_free(p);

	/* a problem in a multi-line record is reported at its last line */
	p = load_file_bad(ZONES "multiline-error.zone", "ml.example.", -EBADMSG);
	assert_problem(p, 0, "ns-address-missing", "multiline-error.zone", 7);
	ls_zone_problems_free(p);
}

static void test_io_errors(void **state)
{
	struct ls_zone *z = (struct ls_zone *)1;
	struct ls_zone_problems *p = NULL;

	assert_int_equal(ls_zonefile_load(ZONES "no-such.zone", N("x."), NULL, &z, &p), -ENOENT);
	assert_null(z);
	assert_int_equal(p->count, 1);
	assert_string_equal(p->v[0].check, "io");
	assert_true(ends_with(p->v[0].file, "no-such.zone"));
	ls_zone_problems_free(p);

	assert_int_equal(ls_zonefile_load(ZONES, N("x."), NULL, &z, &p), -EISDIR);
	ls_zone_problems_free(p);

	/* problems may be NULL */
	assert_int_equal(ls_zonefile_load(ZONES "no-such.zone", N("x."), NULL, &z, NULL), -ENOENT);
}

static void test_includes(void **state)
{
	struct ls_zone_problems *p;
	struct ls_zone *z = NULL;

	/* an error inside an included file is reported there */
	p = load_file_bad(ZONES "include-bad.zone", "incbad.example.", -EBADMSG);
	assert_int_equal(p->errors, 1);
	assert_problem(p, 0, "syntax", "/zones/inc/bad.inc", 2);
	ls_zone_problems_free(p);

	p = load_file_bad(ZONES "include-missing.zone", "incmiss.example.", -EBADMSG);
	assert_int_equal(p->errors, 1);
	assert_problem(p, 0, "include", "include-missing.zone", 6);
	assert_non_null(strstr(p->v[0].message, "does-not-exist.inc"));
	ls_zone_problems_free(p);

	/* a file including itself stops at the depth limit */
	p = load_file_bad(ZONES "include-loop.zone", "loop.example.", -EBADMSG);
	assert_int_equal(p->errors, 1);
	assert_problem(p, p->count - 1, "include", "include-loop.zone", 6);
	ls_zone_problems_free(p);

	/* text from outside may not include files */
	struct ls_zonefile_opts opts = { .no_include = true };
	const char *text = GHEAD "$INCLUDE /etc/hostname\n";
	assert_int_equal(ls_zonefile_load_string(text, strlen(text), "spool", N("g.example."),
						 &opts, &z, &p),
			 -EBADMSG);
	assert_problem(p, 0, "include", "spool", 5);
	ls_zone_problems_free(p);
}

static void test_origin_guess(void **state)
{
	uint8_t o[LS_DNAME_MAXLEN];
	struct ls_zone *z;

	assert_true(ls_zonefile_origin_from_path("/a/b/example.com.zone", o) > 0);
	assert_true(ls_dname_equal(o, N("example.com.")));
	assert_true(ls_zonefile_origin_from_path("example.org.db", o) > 0);
	assert_true(ls_dname_equal(o, N("example.org.")));
	assert_true(ls_zonefile_origin_from_path("x/example.net.", o) > 0);
	assert_true(ls_dname_equal(o, N("example.net.")));
	assert_true(ls_zonefile_origin_from_path("dir/", o) < 0);
	assert_true(ls_zonefile_origin_from_path("a..b.zone", o) < 0);

	/* from the file name */
	z = load_file_ok(ZONES "example.com.zone", NULL);
	assert_true(ls_dname_equal(ls_zone_origin(z), N("example.com.")));
	ls_zone_free(z);
	/* from the file's own $ORIGIN and SOA (the name "own-origin." is wrong) */
	z = load_file_ok(ZONES "own-origin.zone", NULL);
	assert_true(ls_dname_equal(ls_zone_origin(z), N("real.example.")));
	assert_int_equal(ls_zone_serial(z), 42);
	ls_zone_free(z);
}

static void test_error_limit(void **state)
{
	size_t cap = 200 * 32 + 256;
	char *text = malloc(cap);
	size_t len = (size_t)snprintf(text, cap, "%s", GHEAD);
	struct ls_zone *z;
	struct ls_zone_problems *p;

	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%d A 192.0.2.999\n", i);
	assert_int_equal(ls_zonefile_load_string(text, len, "many", N("g.example."), NULL, &z, &p),
			 -EBADMSG);
	assert_int_equal(p->errors, LS_ZONEFILE_MAX_ERRORS + 1);
	assert_string_equal(p->v[p->count - 1].check, "too-many-errors");
	ls_zone_problems_free(p);

	struct ls_zonefile_opts opts = { .max_errors = 3 };
	assert_int_equal(ls_zonefile_load_string(text, len, "many", N("g.example."), &opts, &z, &p),
			 -EBADMSG);
	assert_int_equal(p->errors, 4);
	ls_zone_problems_free(p);
	free(text);
}

static void test_warnings_only(void **state)
{
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;

	/* a zone with warnings loads and hands the warnings back */
	assert_int_equal(load_text(GHEAD "a A 192.0.2.2\na A 192.0.2.2\n", &z, &p), 0);
	assert_non_null(z);
	assert_int_equal(p->warnings, 1);
	assert_int_equal(p->errors, 0);
	assert_problem(p, 0, "duplicate", "gen", 6);
	ls_zone_problems_free(p);
	ls_zone_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),	      cmocka_unit_test(test_all_types),
		cmocka_unit_test(test_directives),    cmocka_unit_test(test_generate),
		cmocka_unit_test(test_hostile_files), cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_includes),      cmocka_unit_test(test_origin_guess),
		cmocka_unit_test(test_error_limit),   cmocka_unit_test(test_warnings_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
