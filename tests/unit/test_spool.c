/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/spool: a good zone file renamed into the spool is
 * taken, verified and served, and moved to done/; a broken one and one for
 * a zone this node does not serve go to rejected/ and change nothing;
 * dot-files and *.tmp are never taken; a file already there at start is
 * taken; $INCLUDE in spool input is refused.
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
#include <sys/stat.h>
#include <unistd.h>

#include "agent/spool.h"
#include "agent/zonemgr.h"
#include "agent/zoneset.h"
#include "common/config.h"

struct fx {
	char dir[64], spool[96], state[96];
	struct ev_loop *loop;
	struct ls_zoneset *zs;
	struct ls_config *cfg;
	struct ls_zonemgr *m;
	struct ls_spool *sp;
};

static const char good[] = "$ORIGIN example.org.\n"
			   "@ 3600 IN SOA ns hostmaster 10 7200 3600 1209600 300\n"
			   "@ 3600 IN NS ns\n"
			   "ns 3600 IN A 192.0.2.1\n";
/* no NS at the apex: refused by the structural checks */
static const char bad[] = "$ORIGIN example.org.\n"
			  "@ 3600 IN SOA ns hostmaster 11 7200 3600 1209600 300\n"
			  "ns 3600 IN A 192.0.2.1\n";
static const char other[] = "$ORIGIN other.example.\n"
			    "@ 3600 IN SOA ns hostmaster 1 7200 3600 1209600 300\n"
			    "@ 3600 IN NS ns\n"
			    "ns 3600 IN A 192.0.2.1\n";
/* valid only with its $INCLUDE, which spool input must not use */
static const char include_fmt[] = "$ORIGIN example.org.\n"
				  "@ 3600 IN SOA ns hostmaster 12 7200 3600 1209600 300\n"
				  "@ 3600 IN NS ns\n"
				  "$INCLUDE %s/ns.inc\n";

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Write as a sender must: a dot-file, then rename into place. */
static void deliver(struct fx *f, const char *name, const char *text)
{
	char from[256], to[256];

	put(f->spool, ".incoming.tmp", text);
	snprintf(from, sizeof(from), "%s/.incoming.tmp", f->spool);
	snprintf(to, sizeof(to), "%s/%s", f->spool, name);
	assert_int_equal(rename(from, to), 0);
}

static bool exists(const char *dir, const char *sub, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	return access(path, F_OK) == 0;
}

static void run_until(struct fx *f, uint64_t verdicts)
{
	const struct ls_spool_stats *st = ls_spool_stats(f->sp);

	for (int i = 0; i < 2000 && st->accepted + st->rejected < verdicts; i++)
		ev_run(f->loop, EVRUN_ONCE);
	assert_int_equal(st->accepted + st->rejected, verdicts);
}

static long answer(struct fx *f)
{
	uint8_t o[LS_DNAME_MAXLEN];
	const struct ls_zone *z;
	bool silent;

	ls_dname_from_str(o, "www.example.org.", NULL);
	z = ls_zoneset_lookup(f->zs, o, &silent);
	return z ? (long)ls_zone_serial(z) : -1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ls_config_errors errs;
	char text[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-spool-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->spool, sizeof(f->spool), "%s/spool", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	assert_int_equal(mkdir(f->spool, 0700), 0);
	assert_int_equal(mkdir(f->state, 0700), 0);
	snprintf(text, sizeof(text),
		 "node: {id: t, state-dir: %s, spool-dir: %s}\n"
		 "remote: [{id: p, address: 192.0.2.1}]\n"
		 "zone: [{domain: example.org., primaries: [p]}]\n",
		 f->state, f->spool);
	assert_int_equal(ls_config_parse_string(text, strlen(text), "t.yaml", &f->cfg, &errs), 0);
	assert_string_equal(f->cfg->node.spool_dir, f->spool);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(ls_zoneset_new(&f->zs), 0);
	assert_int_equal(ls_zonemgr_new(f->loop, f->cfg, f->zs, NULL, &f->m), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	ls_spool_free(f->sp);
	ls_zonemgr_free(f->m);
	ls_zoneset_free(f->zs);
	ev_loop_destroy(f->loop);
	ls_config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_good_and_bad(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ls_spool_new(f->loop, f->spool, f->m, &f->sp), 0);
	deliver(f, "example.org.zone", good);
	run_until(f, 1);
	assert_int_equal(ls_spool_stats(f->sp)->accepted, 1);
	assert_true(exists(f->spool, "done", "example.org.zone"));
	assert_false(exists(f->spool, ".", "example.org.zone"));
	assert_int_equal(answer(f), 10);
	deliver(f, "broken.zone", bad);
	run_until(f, 2);
	assert_int_equal(ls_spool_stats(f->sp)->rejected, 1);
	assert_true(exists(f->spool, "rejected", "broken.zone"));
	assert_int_equal(answer(f), 10); /* what is served is untouched */
	deliver(f, "other.zone", other);
	run_until(f, 3);
	assert_true(exists(f->spool, "rejected", "other.zone"));
	{
		char include[512];

		put(f->dir, "ns.inc", "ns.example.org. 3600 IN A 192.0.2.1\n");
		snprintf(include, sizeof(include), include_fmt, f->dir);
		deliver(f, "inc.zone", include);
	}
	run_until(f, 4);
	assert_true(exists(f->spool, "rejected", "inc.zone"));
	assert_int_equal(answer(f), 10);
	/* the same serial again: already held */
	deliver(f, "again.zone", good);
	run_until(f, 5);
	assert_true(exists(f->spool, "rejected", "again.zone"));
	/* dot-files and .tmp files are left alone */
	put(f->spool, ".hidden", good);
	put(f->spool, "partial.tmp", good);
	for (int i = 0; i < 5; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(ls_spool_stats(f->sp)->taken, 5);
	assert_true(exists(f->spool, ".", "partial.tmp"));
}

static void test_present_at_start(void **state)
{
	struct fx *f = *state;

	put(f->spool, "example.org.zone", good);
	assert_int_equal(ls_spool_new(f->loop, f->spool, f->m, &f->sp), 0);
	run_until(f, 1);
	assert_true(exists(f->spool, "done", "example.org.zone"));
	assert_int_equal(answer(f), 10);
}

static void test_names(void **state)
{
	struct ls_spool *sp = (void *)1;

	assert_true(ls_spool_name_ok("example.org.zone"));
	assert_true(ls_spool_name_ok("x"));
	assert_false(ls_spool_name_ok(".example.org.zone"));
	assert_false(ls_spool_name_ok("example.org.zone.tmp"));
	assert_false(ls_spool_name_ok(""));
	assert_false(ls_spool_name_ok("a/b"));
	assert_int_equal(ls_spool_new(NULL, "/nonexistent/spool", NULL, &sp), -ENOENT);
	assert_null(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_and_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_present_at_start, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
