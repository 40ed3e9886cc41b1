/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/catalog: catalog zones written as zone text and
 * loaded through common/zonefile, then parsed — members, coo, group, ext
 * and private-extension properties, switch plans (good, fractions, bad
 * time stamps, bad serials, missing and repeated keys, several records),
 * broken catalogs (no or wrong version, several PTRs, a member inside the
 * catalog), one member under two unique-N, and diffs between versions.
 * Then agent/catalog: versions applied to a recording set of zone
 * operations — members added with their group's settings, removed, reset
 * on a new unique-N, plans set and dropped, a refused version keeping the
 * list in force, a configured zone winning, clashes between catalogs, coo
 * hand-over, and a released member taken by another catalog.
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

#include "agent/catalog.h"
#include "common/catalog.h"
#include "common/config.h"
#include "common/dname.h"
#include "common/zone.h"
#include "common/zonefile.h"

#define HEAD                                           \
	"$ORIGIN catz.example.\n"                      \
	"$TTL 0\n"                                     \
	"@ SOA invalid. invalid. 7 3600 600 86400 0\n" \
	"@ NS invalid.\n"
#define V2 "version TXT \"2\"\n"

static const uint8_t *N(const char *s)
{
	static uint8_t ring[8][LS_DNAME_MAXLEN];
	static int next;
	uint8_t *n = ring[next++ % 8];

	assert_true(ls_dname_from_str(n, s, NULL) > 0);
	return n;
}

static struct ls_zone *load(const char *text)
{
	struct ls_zonefile_opts opts = { .no_include = true };
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	char line[1024];
	int err = ls_zonefile_load_string(text, strlen(text), "catz", N("catz.example."), &opts, &z,
					  &p);

	for (size_t i = 0; p && i < p->count; i++) {
		ls_zone_problem_format(line, sizeof(line), &p->v[i]);
		print_message("  %s\n", line);
	}
	ls_zone_problems_free(p);
	assert_int_equal(err, 0);
	return z;
}

static void dump_notes(const struct ls_catalog *c)
{
	for (size_t i = 0; i < c->note_count; i++)
		print_message("  note: %s\n", c->notes[i]);
}

/* Parse @text, which must be a good catalog; @prev may be NULL. */
static struct ls_catalog *parse_ok(const char *text, const struct ls_catalog *prev)
{
	struct ls_zone *z = load(text);
	struct ls_catalog *c = NULL;
	char err[256];

	assert_int_equal(ls_catalog_parse(z, prev, &c, err, sizeof(err)), 0);
	assert_non_null(c);
	dump_notes(c);
	ls_zone_free(z);
	return c;
}

/* Parse @text, which must be refused with @want; the reason must contain @why. */
static void parse_bad(const char *text, int want, const char *why)
{
	struct ls_zone *z = load(text);
	struct ls_catalog *c = (void *)1;
	char err[256];
	int ret = ls_catalog_parse(z, NULL, &c, err, sizeof(err));

	print_message("  refused: %s\n", err);
	assert_int_equal(ret, want);
	assert_null(c);
	assert_non_null(strstr(err, why));
	ls_zone_free(z);
}

static bool has_note(const struct ls_catalog *c, const char *what)
{
	for (size_t i = 0; i < c->note_count; i++)
		if (strstr(c->notes[i], what))
			return true;
	return false;
}

static void test_members(void **state)
{
	struct ls_catalog *c = parse_ok(HEAD V2 "m1.zones PTR Example.COM.\n"
						"m2.zones PTR example.net.\n"
						"zones TXT \"ignored\"\n"
						"other TXT \"ignored\"\n"
						"m3.zones TXT \"no PTR here\"\n",
					NULL);
	const struct ls_catalog_member *m;

	assert_int_equal(c->member_count, 2);
	assert_int_equal(c->serial, 7);
	assert_true(ls_dname_equal(c->name, N("catz.example.")));
	/* sorted by zone name, lowercased */
	assert_memory_equal(c->members[0].zone,
			    "\x07"
			    "example"
			    "\x03"
			    "com",
			    13);
	m = ls_catalog_find(c, N("EXAMPLE.com."));
	assert_ptr_equal(m, &c->members[0]);
	assert_true(ls_dname_equal(m->id, N("m1.")));
	assert_false(m->has_group);
	assert_false(m->has_coo);
	assert_false(m->has_plan);
	assert_int_equal(m->prop_count, 0);
	assert_non_null(ls_catalog_find(c, N("example.net.")));
	assert_null(ls_catalog_find(c, N("example.org.")));
	assert_true(has_note(c, "m3.zones.catz.example.: no PTR"));
	ls_catalog_free(c);
}

static void test_empty_catalog(void **state)
{
	struct ls_catalog *c = parse_ok(HEAD V2, NULL);

	assert_int_equal(c->member_count, 0);
	assert_int_equal(c->note_count, 0);
	ls_catalog_free(c);
	ls_catalog_free(NULL);
}

static void test_coo_group_ext(void **state)
{
	struct ls_catalog *c = parse_ok(HEAD V2 "m1.zones PTR example.com.\n"
						"coo.m1.zones PTR other-catz.example.\n"
						"group.m1.zones TXT \"signed\"\n"
						"color.ext.m1.zones TXT \"blue\"\n"
						"a.b.ext.m1.zones A 192.0.2.1\n"
						"old.private-extension.m1.zones TXT \"x\"\n"
						"unknown.m1.zones TXT \"not ours\"\n"
						"ext TXT \"catalog-wide\"\n"
						"p.ext TXT \"deeper\"\n"
						"m2.zones PTR example.net.\n"
						"coo.m2.zones PTR a.example.\n"
						"coo.m2.zones PTR b.example.\n"
						"group.m2.zones TXT \"one\" \"two\"\n",
					NULL);
	const struct ls_catalog_member *m = ls_catalog_find(c, N("example.com."));

	assert_non_null(m);
	assert_true(m->has_coo);
	assert_true(ls_dname_equal(m->coo, N("other-catz.example.")));
	assert_true(m->has_group);
	assert_string_equal(m->group, "signed");
	assert_false(m->has_plan);
	assert_int_equal(m->prop_count, 3);
	/* canonical order: a.b, color, then the private-extension one */
	assert_string_equal(m->props[0].name, "a.b");
	assert_int_equal(m->props[0].type, 1);
	assert_string_equal(m->props[0].rdata, "192.0.2.1");
	assert_false(m->props[0].private_extension);
	assert_string_equal(m->props[1].name, "color");
	assert_string_equal(m->props[1].rdata, "\"blue\"");
	assert_string_equal(m->props[2].name, "old");
	assert_true(m->props[2].private_extension);
	/* catalog-wide: only names below ext.<catz> are properties */
	assert_int_equal(c->prop_count, 1);
	assert_string_equal(c->props[0].name, "p");

	m = ls_catalog_find(c, N("example.net."));
	assert_non_null(m);
	assert_false(m->has_coo);
	assert_false(m->has_group);
	assert_true(has_note(c, "2 coo records"));
	assert_true(has_note(c, "group is not one TXT"));
	ls_catalog_free(c);
}

static void test_plan_good(void **state)
{
	struct ls_catalog *c = parse_ok(
		HEAD V2 "m1.zones PTR example.com.\n"
			"switch.ext.m1.zones TXT \"serial=2026112202\" \"at=20261122183000\"\n"
			"m2.zones PTR example.net.\n"
			"switch.private-extension.m2.zones TXT \"at=20240229000000.25\" "
			"\"serial=4294967295\"\n",
		NULL);
	const struct ls_catalog_member *m = ls_catalog_find(c, N("example.com."));
	char buf[128];

	assert_true(m->has_plan);
	assert_int_equal(m->plan.serial, 2026112202u);
	/* date -u -d '2026-11-22 18:30:00' +%s */
	assert_int_equal(m->plan.at_unix, 1795372200);
	assert_int_equal(m->plan.at_nsec, 0);
	assert_int_equal(m->prop_count, 1);
	assert_string_equal(m->props[0].name, "switch");
	assert_string_equal(ls_catalog_plan_str(&m->plan, buf, sizeof(buf)),
			    "serial=2026112202 at=20261122183000");

	m = ls_catalog_find(c, N("example.net."));
	assert_true(m->has_plan);
	assert_int_equal(m->plan.serial, 4294967295u);
	assert_int_equal(m->plan.at_unix, 1709164800); /* 2024-02-29, a leap day */
	assert_int_equal(m->plan.at_nsec, 250000000);
	assert_string_equal(ls_catalog_plan_str(&m->plan, buf, sizeof(buf)),
			    "serial=4294967295 at=20240229000000.250000000");
	assert_int_equal(c->note_count, 0);
	ls_catalog_free(c);
}

/* One bad plan per member; each must be ignored with a note, the member kept. */
static void test_plan_bad(void **state)
{
	static const struct {
		const char *txt;
		const char *why;
	} cases[] = {
		{ "\"serial=1\" \"at=20261322183000\"", "bad at" }, /* month 13 */
		{ "\"serial=1\" \"at=20230229000000\"", "bad at" }, /* not a leap year */
		{ "\"serial=1\" \"at=20261122243000\"", "bad at" }, /* hour 24 */
		{ "\"serial=1\" \"at=20261122183060\"", "bad at" }, /* second 60 */
		{ "\"serial=1\" \"at=19691231235959\"", "bad at" }, /* before the epoch */
		{ "\"serial=1\" \"at=2026112218300\"", "bad at" }, /* 13 digits */
		{ "\"serial=1\" \"at=20261122183000.\"", "bad at" }, /* empty fraction */
		{ "\"serial=1\" \"at=20261122183000.1234567890\"", "bad at" }, /* 10 digits */
		{ "\"serial=1\" \"at=20261122183000Z\"", "bad at" },
		{ "\"serial=1\" \"at=+0261122183000\"", "bad at" },
		{ "\"serial=4294967296\" \"at=20261122183000\"", "bad serial" },
		{ "\"serial=-1\" \"at=20261122183000\"", "bad serial" },
		{ "\"serial=\" \"at=20261122183000\"", "bad serial" },
		{ "\"serial=0x10\" \"at=20261122183000\"", "bad serial" },
		{ "\"serial=1\"", "missing at" },
		{ "\"at=20261122183000\"", "missing serial" },
		{ "\"serial=1\" \"serial=2\" \"at=20261122183000\"", "serial given twice" },
		{ "\"serial=1\" \"at=20261122183000\" \"at=20261122183000\"", "at given twice" },
		{ "\"serial=1\" \"at=20261122183000\" \"when=now\"", "unknown key 'when'" },
		{ "\"serial=1 at=20261122183000\"", "bad serial" },
		{ "\"serial=1\" \"at=20261122183000\" \"\"", "is not key=value" },
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ls_catalog *c;
		const struct ls_catalog_member *m;

		snprintf(text, sizeof(text),
			 HEAD V2 "m1.zones PTR example.com.\nswitch.ext.m1.zones TXT %s\n",
			 cases[i].txt);
		print_message("case %zu: %s\n", i, cases[i].txt);
		c = parse_ok(text, NULL);
		m = ls_catalog_find(c, N("example.com."));
		assert_non_null(m);
		assert_false(m->has_plan);
		assert_true(has_note(c, "bad switch plan"));
		assert_true(has_note(c, cases[i].why));
		/* the property itself is still kept */
		assert_int_equal(m->prop_count, 1);
		ls_catalog_free(c);
	}
}

static void test_plan_ambiguous(void **state)
{
	struct ls_catalog *c = parse_ok(
		HEAD V2 "m1.zones PTR example.com.\n"
			"switch.ext.m1.zones TXT \"serial=1\" \"at=20261122183000\"\n"
			"switch.ext.m1.zones TXT \"serial=2\" \"at=20261122183000\"\n"
			"m2.zones PTR example.net.\n"
			"switch.ext.m2.zones TXT \"serial=1\" \"at=20261122183000\"\n"
			"switch.private-extension.m2.zones TXT \"serial=1\" \"at=20261122183000\"\n"
			"m3.zones PTR example.org.\n"
			"switch.ext.m3.zones A 192.0.2.1\n",
		NULL);

	assert_false(ls_catalog_find(c, N("example.com."))->has_plan);
	assert_false(ls_catalog_find(c, N("example.net."))->has_plan);
	assert_false(ls_catalog_find(c, N("example.org."))->has_plan);
	assert_true(has_note(c, "2 switch TXT records"));
	assert_true(has_note(c, "more than one switch property"));
	assert_true(has_note(c, "switch property without a TXT record"));
	ls_catalog_free(c);
}

static void test_plan_parse_direct(void **state)
{
	struct ls_catalog_plan p;
	char err[128];
	int64_t t;
	uint32_t ns;
	static const uint8_t trunc[] = { 10, 's', 'e' };

	assert_int_equal(ls_catalog_plan_parse(trunc, sizeof(trunc), &p, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(ls_catalog_plan_parse(NULL, 0, &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(ls_catalog_timestamp_parse("19700101000000", 14, &t, &ns), 0);
	assert_int_equal(t, 0);
	assert_int_equal(ls_catalog_timestamp_parse("99991231235959.999999999", 24, &t, &ns), 0);
	assert_int_equal(t, 253402300799);
	assert_int_equal(ns, 999999999);
	assert_int_equal(ls_catalog_timestamp_parse("20000229120000.5", 16, &t, &ns), 0);
	assert_int_equal(t, 951825600);
	assert_int_equal(ns, 500000000);
	assert_int_equal(ls_catalog_timestamp_parse("21000229120000", 14, &t, &ns), -EINVAL);
	assert_int_equal(ls_catalog_timestamp_parse("20261100120000", 14, &t, &ns), -EINVAL);
	assert_int_equal(ls_catalog_timestamp_parse("20260431120000", 14, &t, &ns), -EINVAL);
}

static void test_broken(void **state)
{
	parse_bad(HEAD "m1.zones PTR example.com.\n", -EPROTONOSUPPORT, "no version");
	parse_bad(HEAD "version TXT \"1\"\nm1.zones PTR example.com.\n", -EPROTONOSUPPORT,
		  "unsupported schema version \"1\"");
	parse_bad(HEAD "version TXT \"2\"\nversion TXT \"1\"\n", -EPROTONOSUPPORT,
		  "not one TXT record");
	parse_bad(HEAD "version TXT \"2\" \"2\"\n", -EPROTONOSUPPORT, "not one TXT record");
	parse_bad(HEAD "version A 192.0.2.1\n", -EPROTONOSUPPORT, "no version");
	parse_bad(HEAD V2 "m1.zones PTR example.com.\nm1.zones PTR example.net.\n", -EBADMSG,
		  "2 PTR records");
	parse_bad(HEAD V2 "m1.zones PTR sub.catz.example.\n", -EBADMSG, "lies within the catalog");
	parse_bad(HEAD V2 "m1.zones PTR catz.example.\n", -EBADMSG, "lies within the catalog");
}

static void test_duplicate_member(void **state)
{
	const char *v1 = HEAD V2 "b.zones PTR example.com.\n";
	const char *v2 = HEAD V2 "a.zones PTR example.com.\nb.zones PTR example.com.\n"
				 "group.a.zones TXT \"g\"\n";
	struct ls_catalog *c1, *c2, *c3;

	/* no history: the first in canonical order (a) wins */
	c3 = parse_ok(v2, NULL);
	assert_int_equal(c3->member_count, 1);
	assert_true(ls_dname_equal(c3->members[0].id, N("a.")));
	assert_true(c3->members[0].has_group);
	assert_true(has_note(c3, "b. ignored"));
	/* with history: the unique-N already in force (b) wins, the newcomer goes */
	c1 = parse_ok(v1, NULL);
	c2 = parse_ok(v2, c1);
	assert_int_equal(c2->member_count, 1);
	assert_true(ls_dname_equal(c2->members[0].id, N("b.")));
	assert_false(c2->members[0].has_group);
	assert_true(has_note(c2, "a. ignored"));
	ls_catalog_free(c1);
	ls_catalog_free(c2);
	ls_catalog_free(c3);
}

static const struct ls_catalog_delta *delta_for(const struct ls_catalog_diff *d, const char *zone)
{
	for (size_t i = 0; i < d->count; i++) {
		const struct ls_catalog_member *m = d->v[i].new ? d->v[i].new : d->v[i].old;

		if (ls_dname_equal(m->zone, N(zone)))
			return &d->v[i];
	}
	return NULL;
}

static void test_diff(void **state)
{
	struct ls_catalog *a =
		parse_ok(HEAD V2 "m1.zones PTR keep.example.\n"
				 "m2.zones PTR gone.example.\n"
				 "m3.zones PTR plan.example.\n"
				 "switch.ext.m3.zones TXT \"serial=1\" \"at=20261122183000\"\n"
				 "m4.zones PTR group.example.\n"
				 "group.m4.zones TXT \"a\"\n"
				 "m5.zones PTR reset.example.\n"
				 "m6.zones PTR coo.example.\n"
				 "m7.zones PTR prop.example.\n"
				 "x.ext.m7.zones TXT \"1\"\n",
			 NULL);
	struct ls_catalog *b =
		parse_ok(HEAD V2 "m1.zones PTR keep.example.\n"
				 "m3.zones PTR plan.example.\n"
				 "switch.ext.m3.zones TXT \"serial=2\" \"at=20261122183000\"\n"
				 "m4.zones PTR group.example.\n"
				 "group.m4.zones TXT \"b\"\n"
				 "m5b.zones PTR reset.example.\n"
				 "m6.zones PTR coo.example.\n"
				 "coo.m6.zones PTR other.example.\n"
				 "m7.zones PTR prop.example.\n"
				 "x.ext.m7.zones TXT \"2\"\n"
				 "m8.zones PTR new.example.\n",
			 a);
	struct ls_catalog_diff d;

	assert_int_equal(ls_catalog_diff(a, b, &d), 0);
	assert_int_equal(d.added, 1);
	assert_int_equal(d.removed, 1);
	assert_int_equal(d.changed, 5);
	assert_int_equal(d.count, 7);
	assert_null(delta_for(&d, "keep.example."));
	assert_int_equal(delta_for(&d, "gone.example.")->changes, LS_CATALOG_REMOVED);
	assert_null(delta_for(&d, "gone.example.")->new);
	assert_int_equal(delta_for(&d, "new.example.")->changes, LS_CATALOG_ADDED);
	assert_null(delta_for(&d, "new.example.")->old);
	assert_int_equal(delta_for(&d, "plan.example.")->changes,
			 LS_CATALOG_PLAN | LS_CATALOG_PROPS);
	assert_int_equal(delta_for(&d, "group.example.")->changes, LS_CATALOG_GROUP);
	assert_int_equal(delta_for(&d, "reset.example.")->changes, LS_CATALOG_ID);
	assert_int_equal(delta_for(&d, "coo.example.")->changes, LS_CATALOG_COO);
	assert_int_equal(delta_for(&d, "prop.example.")->changes, LS_CATALOG_PROPS);
	/* deltas are in zone name order */
	for (size_t i = 1; i < d.count; i++) {
		const struct ls_catalog_member *x =
			d.v[i - 1].new ? d.v[i - 1].new : d.v[i - 1].old;
		const struct ls_catalog_member *y = d.v[i].new ? d.v[i].new : d.v[i].old;

		assert_true(ls_dname_cmp(x->zone, y->zone) < 0);
	}
	ls_catalog_diff_free(&d);

	/* against nothing: everything added; nothing against nothing */
	assert_int_equal(ls_catalog_diff(NULL, b, &d), 0);
	assert_int_equal(d.added, b->member_count);
	assert_int_equal(d.count, b->member_count);
	ls_catalog_diff_free(&d);
	assert_int_equal(ls_catalog_diff(a, NULL, &d), 0);
	assert_int_equal(d.removed, a->member_count);
	ls_catalog_diff_free(&d);
	assert_int_equal(ls_catalog_diff(NULL, NULL, &d), 0);
	assert_int_equal(d.count, 0);
	ls_catalog_diff_free(&d);
	ls_catalog_diff_free(NULL);
	assert_int_equal(ls_catalog_diff(b, b, &d), 0);
	assert_int_equal(d.count, 0);
	ls_catalog_diff_free(&d);
	ls_catalog_free(a);
	ls_catalog_free(b);
}

/* Notes are bounded: a hostile catalog cannot make the log (or memory) grow without end. */
static void test_notes_capped(void **state)
{
	char *text = malloc(64 * 1024);
	size_t off;
	struct ls_catalog *c;

	assert_non_null(text);
	off = (size_t)snprintf(text, 64 * 1024, HEAD V2);
	for (int i = 0; i < 200; i++)
		off += (size_t)snprintf(text + off, 64 * 1024 - off,
					"m%d.zones PTR z%d.example.\n"
					"switch.ext.m%d.zones TXT \"serial=x\" \"at=1\"\n",
					i, i, i);
	c = parse_ok(text, NULL);
	assert_int_equal(c->member_count, 200);
	assert_int_equal(c->note_count, LS_CATALOG_MAX_NOTES);
	assert_int_equal(c->notes_suppressed, 200 - LS_CATALOG_MAX_NOTES);
	ls_catalog_free(c);
	free(text);
}

/* ---- agent/catalog over a recording of the zone operations ------------- */

static char oplog[4096];

/* Append "op origin[ settings]tail;" to the log. */
static void rec(const char *op, const uint8_t *a, const uint8_t *b, bool with_b, const char *tail)
{
	char x[LS_DNAME_STRLEN], y[LS_DNAME_STRLEN] = "-";
	size_t off = strlen(oplog);

	ls_dname_to_str(x, sizeof(x), a);
	if (b)
		ls_dname_to_str(y, sizeof(y), b);
	snprintf(oplog + off, sizeof(oplog) - off, "%s %s%s%s%s;", op, x, with_b ? " " : "",
		 with_b ? y : "", tail);
}

static int op_add(void *ctx, const uint8_t *origin, const uint8_t *settings_from)
{
	rec("add", origin, settings_from, true, "");
	return 0;
}

static int op_remove(void *ctx, const uint8_t *origin)
{
	rec("remove", origin, NULL, false, "");
	return 0;
}

static int op_plan(void *ctx, const uint8_t *origin, uint32_t serial, uint64_t at_unix,
		   uint32_t at_nsec)
{
	char t[64];

	snprintf(t, sizeof(t), " %u %llu.%u", serial, (unsigned long long)at_unix, at_nsec);
	rec("plan", origin, NULL, false, t);
	return 0;
}

static int op_unplan(void *ctx, const uint8_t *origin)
{
	rec("unplan", origin, NULL, false, "");
	return 0;
}

static const struct ls_catalogs_ops ops = { .add_zone = op_add,
					    .remove_zone = op_remove,
					    .plan = op_plan,
					    .unplan = op_unplan };

static const char node_cfg[] =
	"node: {id: n1}\n"
	"remote: [{id: a, address: 192.0.2.1}, {id: b, address: 192.0.2.2}]\n"
	"zone: [{domain: tpl.example., file: /z},\n"
	"       {domain: mine.example., file: /z}]\n"
	"catalog:\n"
	"  - zone: catz.example.\n"
	"    primaries: a\n"
	"    groups: [{group: signed, settings-from: tpl.example.}]\n"
	"  - zone: catz2.example.\n"
	"    primaries: b\n";

static struct ls_config *node_config(void)
{
	struct ls_config *cfg = NULL;

	assert_int_equal(ls_config_parse_string(node_cfg, strlen(node_cfg), "n", &cfg, NULL), 0);
	return cfg;
}

/* Apply catalog text for @origin; returns the result, the oplog holds what was done. */
static int apply(struct ls_catalogs *cs, const char *origin, const char *body)
{
	char text[4096];
	struct ls_zone *z = NULL;
	int err;

	snprintf(text, sizeof(text),
		 "$TTL 0\n@ SOA invalid. invalid. 1 3600 600 86400 0\n@ NS invalid.\n%s", body);
	assert_int_equal(
		ls_zonefile_load_string(text, strlen(text), "c", N(origin), NULL, &z, NULL), 0);
	oplog[0] = '\0';
	err = ls_catalogs_update(cs, z);
	print_message("  %s: %s\n", origin, oplog);
	ls_zone_free(z);
	return err;
}

static void test_apply(void **state)
{
	struct ls_config *cfg = node_config();
	struct ls_catalogs *cs;
	const struct ls_config_remote *const *prim;
	size_t n;

	assert_int_equal(ls_catalogs_new(cfg, &ops, &cs), 0);
	assert_true(ls_catalogs_is_catalog(cs, N("CATZ.example.")));
	assert_false(ls_catalogs_is_catalog(cs, N("tpl.example.")));
	assert_null(ls_catalogs_members(cs, N("catz.example.")));

	assert_int_equal(apply(cs, "catz.example.",
			       "version TXT \"2\"\n"
			       "m1.zones PTR a.example.\n"
			       "m2.zones PTR b.example.\n"
			       "group.m2.zones TXT \"signed\"\n"
			       "switch.ext.m2.zones TXT \"serial=5\" \"at=19700101000010.5\"\n"
			       "m3.zones PTR mine.example.\n"
			       "m4.zones PTR c.example.\n"
			       "group.m4.zones TXT \"unmapped\"\n"),
			 0);
	assert_string_equal(oplog, "add a.example. -;unplan a.example.;"
				   "add b.example. tpl.example.;plan b.example. 5 10.500000000;"
				   "add c.example. -;unplan c.example.;");
	assert_int_equal(ls_catalogs_members(cs, N("catz.example."))->member_count, 4);
	/* the configured zone won: no catalog owns it */
	assert_null(ls_catalogs_owner(cs, N("mine.example.")));
	assert_true(ls_dname_equal(ls_catalogs_owner(cs, N("a.example.")), N("catz.example.")));
	assert_int_equal(ls_catalogs_primaries(cs, N("b.example."), &prim, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(prim[0]->id, "a");
	assert_int_equal(ls_catalogs_primaries(cs, N("mine.example."), &prim, &n), -ENOENT);

	/* removed, plan dropped, unique-N changed (reset), plan added */
	assert_int_equal(apply(cs, "catz.example.",
			       "version TXT \"2\"\n"
			       "m2.zones PTR b.example.\n"
			       "group.m2.zones TXT \"signed\"\n"
			       "m4new.zones PTR c.example.\n"
			       "m5.zones PTR d.example.\n"
			       "switch.ext.m5.zones TXT \"serial=9\" \"at=19700101000100\"\n"),
			 0);
	assert_string_equal(oplog, "remove a.example.;unplan b.example.;"
				   "remove c.example.;add c.example. -;unplan c.example.;"
				   "add d.example. -;plan d.example. 9 60.0;");

	/* broken versions change nothing */
	assert_int_equal(apply(cs, "catz.example.", "version TXT \"1\"\nm9.zones PTR z.example.\n"),
			 -EPROTONOSUPPORT);
	assert_string_equal(oplog, "");
	assert_int_equal(
		apply(cs, "catz.example.",
		      "version TXT \"2\"\nm9.zones PTR z.example.\nm9.zones PTR y.example.\n"),
		-EBADMSG);
	assert_string_equal(oplog, "");
	assert_int_equal(ls_catalogs_members(cs, N("catz.example."))->member_count, 3);
	assert_int_equal(apply(cs, "other.example.", "version TXT \"2\"\n"), -ENOENT);

	ls_catalogs_free(cs);
	ls_config_free(cfg);
}

static void test_two_catalogs(void **state)
{
	struct ls_config *cfg = node_config();
	struct ls_catalogs *cs;

	assert_int_equal(ls_catalogs_new(cfg, &ops, &cs), 0);
	assert_int_equal(
		apply(cs, "catz.example.",
		      "version TXT \"2\"\nm1.zones PTR a.example.\nm2.zones PTR b.example.\n"),
		0);
	/* the newcomer is ignored: catz owns both */
	assert_int_equal(
		apply(cs, "catz2.example.",
		      "version TXT \"2\"\nx1.zones PTR a.example.\nx2.zones PTR b.example.\n"
		      "x3.zones PTR catz.example.\n"),
		0);
	assert_string_equal(oplog, "");
	assert_true(ls_dname_equal(ls_catalogs_owner(cs, N("a.example.")), N("catz.example.")));
	assert_null(ls_catalogs_owner(cs, N("catz.example.")));

	/* coo: catz hands a.example. over; catz2 takes it without a reset */
	assert_int_equal(apply(cs, "catz.example.",
			       "version TXT \"2\"\nm1.zones PTR a.example.\n"
			       "coo.m1.zones PTR catz2.example.\nm2.zones PTR b.example.\n"),
			 0);
	assert_string_equal(oplog, "");
	assert_int_equal(
		apply(cs, "catz2.example.",
		      "version TXT \"2\"\nx1.zones PTR a.example.\nx2.zones PTR b.example.\n"
		      "switch.ext.x1.zones TXT \"serial=3\" \"at=19700101000000\"\n"),
		0);
	assert_string_equal(oplog, "plan a.example. 3 0.0;");
	assert_true(ls_dname_equal(ls_catalogs_owner(cs, N("a.example.")), N("catz2.example.")));

	/* catz lets both go: a.example. is no longer its; b.example. goes to catz2 */
	assert_int_equal(apply(cs, "catz.example.", "version TXT \"2\"\n"), 0);
	assert_string_equal(oplog, "remove b.example.;add b.example. -;unplan b.example.;");
	assert_true(ls_dname_equal(ls_catalogs_owner(cs, N("b.example.")), N("catz2.example.")));
	ls_catalogs_free(cs);
	ls_config_free(cfg);
}

static void test_reconfigure(void **state)
{
	struct ls_config *cfg = node_config(), *cfg2 = NULL;
	struct ls_catalogs *cs;
	static const char c2[] =
		"node: {id: n1}\n"
		"remote: [{id: a, address: 192.0.2.1}, {id: b, address: 192.0.2.2}]\n"
		"zone: [{domain: a.example., file: /z}]\n"
		"catalog: [{zone: catz2.example., primaries: b}]\n";

	assert_int_equal(ls_catalogs_new(cfg, &ops, &cs), 0);
	assert_int_equal(
		apply(cs, "catz.example.",
		      "version TXT \"2\"\nm1.zones PTR a.example.\nm2.zones PTR b.example.\n"),
		0);
	assert_int_equal(apply(cs, "catz2.example.", "version TXT \"2\"\nx.zones PTR b.example.\n"),
			 0);
	assert_int_equal(ls_config_parse_string(c2, strlen(c2), "c2", &cfg2, NULL), 0);
	oplog[0] = '\0';
	/* catz goes: its members go; b.example. passes to catz2; a.example. is configured now */
	assert_int_equal(ls_catalogs_reconfigure(cs, cfg2), 0);
	print_message("  reconfigure: %s\n", oplog);
	assert_string_equal(oplog, "remove a.example.;remove b.example.;"
				   "add b.example. -;unplan b.example.;");
	assert_false(ls_catalogs_is_catalog(cs, N("catz.example.")));
	assert_true(ls_dname_equal(ls_catalogs_owner(cs, N("b.example.")), N("catz2.example.")));
	ls_catalogs_free(cs);
	ls_catalogs_free(NULL);
	ls_config_free(cfg);
	ls_config_free(cfg2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members),		  cmocka_unit_test(test_empty_catalog),
		cmocka_unit_test(test_coo_group_ext),	  cmocka_unit_test(test_plan_good),
		cmocka_unit_test(test_plan_bad),	  cmocka_unit_test(test_plan_ambiguous),
		cmocka_unit_test(test_plan_parse_direct), cmocka_unit_test(test_broken),
		cmocka_unit_test(test_duplicate_member),  cmocka_unit_test(test_diff),
		cmocka_unit_test(test_notes_capped),	  cmocka_unit_test(test_apply),
		cmocka_unit_test(test_two_catalogs),	  cmocka_unit_test(test_reconfigure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
