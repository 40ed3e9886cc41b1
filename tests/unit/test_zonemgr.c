/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/zonemgr: the per-zone state machine of issue 7 driven
 * with a fake clock (ls_zonemgr_set_now), real verification on the worker
 * thread and a real state directory. Every transition: immediate activation
 * and no rollback; plan -> staged -> serving at T; plan missed -> withdrawn
 * -> S arrives -> serving; a plan for an older serial ignored; a plan whose
 * T passed; the clock guard's withdrawal from T - budget and recovery (also
 * across T); plans-only activation; a failed verification; withdrawal by
 * hand; removal; DNSSEC validity at T plus the margin; and re-adoption of
 * live, staged and plan after a restart (and of a corrupted file: refused).
 * What a query gets is checked through the zone table's own lookup.
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
#include <sys/timex.h>
#include <unistd.h>

#include "agent/zonemgr.h"
#include "agent/zoneset.h"
#include "common/config.h"
#include "common/zonefile.h"

#define S_NS 1000000000ull
#define T_UNIX 1900000000ull /* a plan's T, UTC */

struct fx {
	char dir[64];
	struct ev_loop *loop;
	struct ls_zoneset *zs;
	struct ls_config *cfg;
	struct ls_zonemgr *m;
	uint64_t T; /* T_UNIX on CLOCK_TAI */
	/* events */
	int serves, withdraws;
	uint32_t last_serve;
	enum ls_zreason last_reason;
};

static const uint8_t *wire(const char *name)
{
	static uint8_t buf[4][LS_DNAME_MAXLEN];
	static int k;
	uint8_t *b = buf[k++ % 4];

	assert_true(ls_dname_from_str(b, name, NULL) > 0);
	return b;
}

static struct ls_zone *make_zone(const char *origin, uint32_t serial)
{
	struct ls_zone *z = NULL;
	char text[512];

	snprintf(text, sizeof(text),
		 "@ 3600 IN SOA ns hostmaster %u 7200 3600 1209600 300\n"
		 "@ 3600 IN NS ns\n"
		 "ns 3600 IN A 192.0.2.1\n",
		 serial);
	assert_int_equal(
		ls_zonefile_load_string(text, strlen(text), NULL, wire(origin), NULL, &z, NULL), 0);
	return z;
}

static void on_serve(void *ctx, const uint8_t *origin, uint32_t serial, const char *why)
{
	struct fx *f = ctx;

	f->serves++;
	f->last_serve = serial;
}

static void on_withdraw(void *ctx, const uint8_t *origin, enum ls_zreason reason, const char *why)
{
	struct fx *f = ctx;

	f->withdraws++;
	f->last_reason = reason;
}

static void start(struct fx *f)
{
	const struct ls_zonemgr_events ev = { .on_serve = on_serve,
					      .on_withdraw = on_withdraw,
					      .ctx = f };

	assert_int_equal(ls_zoneset_new(&f->zs), 0);
	assert_int_equal(ls_zonemgr_new(f->loop, f->cfg, f->zs, &ev, &f->m), 0);
}

static void stop(struct fx *f)
{
	ls_zonemgr_free(f->m);
	ls_zoneset_free(f->zs);
	f->m = NULL;
	f->zs = NULL;
}

static void make_fx(struct fx *f, const char *activation)
{
	struct ls_config_errors errs;
	char text[512];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-zonemgr-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(text, sizeof(text),
		 "node: {id: t, state-dir: %s}\n"
		 "remote: [{id: p, address: 192.0.2.1}]\n"
		 "zone:\n"
		 "  - {domain: example.org., primaries: [p], activation: %s}\n"
		 "  - {domain: signed.example., primaries: [p], zonemd: required}\n"
		 "  - {domain: example., primaries: [p], dnssec: required}\n",
		 f->dir, activation);
	assert_int_equal(ls_config_parse_string(text, strlen(text), "t.yaml", &f->cfg, &errs), 0);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->loop);
	f->T = ls_zonemgr_utc_to_tai(T_UNIX, 0);
	start(f);
	ls_zonemgr_set_now(f->m, f->T - 100 * S_NS);
}

static int setup_immediate(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	make_fx(f, "immediate");
	*state = f;
	return 0;
}

static int setup_plans_only(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	make_fx(f, "plans-only");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	stop(f);
	ev_loop_destroy(f->loop);
	ls_config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Run the loop until every offered version has its verdict (bounded). */
static void settle(struct fx *f)
{
	for (int i = 0; i < 1000 && ls_zonemgr_pending(f->m); i++)
		ev_run(f->loop, EVRUN_ONCE);
	assert_int_equal(ls_zonemgr_pending(f->m), 0);
}

static void at(struct fx *f, uint64_t now)
{
	ls_zonemgr_set_now(f->m, now);
	ls_zonemgr_tick(f->m);
}

/* The serial a query for example.org gets now; -1 when silent. */
static long answer(struct fx *f, const char *origin)
{
	uint8_t lower[LS_DNAME_MAXLEN];
	const struct ls_zone *z;
	bool silent = false;

	ls_dname_copy_lower(lower, wire(origin));
	z = ls_zoneset_lookup(f->zs, lower, &silent);
	return z ? (long)ls_zone_serial(z) : -1;
}

static struct ls_zinfo info(struct fx *f, const char *origin)
{
	struct ls_zinfo i;

	assert_int_equal(ls_zonemgr_find_info(f->m, wire(origin), &i), 0);
	return i;
}

static void offer(struct fx *f, uint32_t serial)
{
	assert_int_equal(ls_zonemgr_offer(f->m, wire("example.org."),
					  make_zone("example.org.", serial), "test"),
			 0);
	settle(f);
}

#define EX "example.org."

static void test_immediate_no_rollback(void **state)
{
	struct fx *f = *state;

	assert_int_equal(info(f, EX).state, LS_ZSTATE_EMPTY);
	assert_int_equal(answer(f, EX), -1);
	offer(f, 1);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_SERVING);
	assert_int_equal(answer(f, EX), 1);
	assert_int_equal(f->serves, 1);
	assert_int_equal(ls_zonemgr_offer(f->m, wire(EX), make_zone(EX, 1), "again"), -EALREADY);
	offer(f, 2);
	assert_int_equal(answer(f, EX), 2);
	assert_int_equal(f->last_serve, 2);
	/* an older serial is refused: nothing rolls back */
	offer(f, 1);
	assert_int_equal(answer(f, EX), 2);
	assert_non_null(strstr(info(f, EX).last_verdict, "older than the live"));
	assert_int_equal(
		ls_zonemgr_offer(f->m, wire("nope.example."), make_zone("nope.example.", 1), "x"),
		-ENOENT);
}

static void test_plan_staged_switch(void **state)
{
	struct fx *f = *state;
	struct ls_zinfo i;

	offer(f, 1);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 2, T_UNIX, 0), 0);
	i = info(f, EX);
	assert_int_equal(i.state, LS_ZSTATE_PLANNED);
	assert_true(i.plan.active);
	assert_int_equal(i.plan.at_tai_ns, f->T);
	/* withdraw-at-T programmed at once: at T without S, silence */
	ls_zoneset_set_now(f->zs, f->T);
	assert_int_equal(answer(f, EX), -1);
	ls_zoneset_set_now(f->zs, f->T - 1);
	assert_int_equal(answer(f, EX), 1);
	offer(f, 2);
	i = info(f, EX);
	assert_int_equal(i.state, LS_ZSTATE_STAGED);
	assert_true(i.has_next && i.next_ready);
	assert_int_equal(i.next_serial, 2);
	assert_int_equal(answer(f, EX), 1); /* before T: still the old serial */
	ls_zoneset_set_now(f->zs, f->T);
	i = info(f, EX);
	assert_int_equal(i.switch_at_tai_ns, f->T);
	assert_int_equal(i.first_next_slow_ns, 0); /* answers before T leave no record */
	ls_zoneset_set_now(f->zs, f->T + 7);
	assert_int_equal(answer(f, EX), 2); /* the first answer from S: recorded */
	ls_zoneset_set_now(f->zs, f->T);
	assert_int_equal(answer(f, EX), 2); /* exactly at T: the new one */
	assert_int_equal(info(f, EX).first_next_slow_ns, f->T + 7);
	assert_int_equal(info(f, EX).first_next_xdp_ns, 0); /* the daemon's to fill */
	at(f, f->T + S_NS);
	i = info(f, EX);
	assert_int_equal(i.first_next_slow_ns, f->T + 7); /* kept after promotion */
	assert_int_equal(i.state, LS_ZSTATE_SERVING);
	assert_false(i.plan.active);
	assert_int_equal(i.live_serial, 2);
	assert_int_equal(i.switches, 1);
	assert_int_equal(f->last_serve, 2);
	assert_int_equal(f->withdraws, 0);
}

static void test_missed_then_arrives(void **state)
{
	struct fx *f = *state;

	offer(f, 1);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 2, T_UNIX, 0), 0);
	at(f, f->T + S_NS);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_WITHDRAWN);
	assert_int_equal(info(f, EX).reason, LS_ZREASON_MISSED_PLAN);
	assert_int_equal(answer(f, EX), -1);
	assert_int_equal(f->withdraws, 1);
	assert_int_equal(f->last_reason, LS_ZREASON_MISSED_PLAN);
	/* a newer serial that is not S does not end the silence */
	offer(f, 3);
	assert_int_equal(answer(f, EX), -1);
	offer(f, 2);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_SERVING);
	assert_int_equal(answer(f, EX), 2);
	assert_int_equal(f->last_serve, 2);
}

/*
 * Invariant 3 across plans: a node that missed S stays silent until
 * something newer than what it served is verified, even when the catalog
 * replaces the plan (new S' at a later T') or drops it; it never falls back
 * to the older live serial in between.
 */
static void test_missed_then_replanned(void **state)
{
	struct fx *f = *state;

	offer(f, 1);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 2, T_UNIX, 0), 0);
	at(f, f->T + S_NS);
	assert_int_equal(answer(f, EX), -1);
	/* a new plan for 3 at T + 10 s: still silent before it, not serial 1 */
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 3, T_UNIX + 10, 0), 0);
	at(f, f->T + 2 * S_NS);
	assert_int_equal(answer(f, EX), -1);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_PLANNED);
	/* 3 arrives verified and is staged: silent until T', 3 from T' */
	offer(f, 3);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_STAGED);
	assert_int_equal(answer(f, EX), -1);
	at(f, f->T + 10 * S_NS);
	assert_int_equal(answer(f, EX), 3);
	at(f, f->T + 11 * S_NS); /* promoted: the hold is over, 3 is live */
	assert_int_equal(answer(f, EX), 3);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_SERVING);
}

static void test_missed_then_dropped(void **state)
{
	struct fx *f = *state;

	offer(f, 1);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 2, T_UNIX, 0), 0);
	at(f, f->T + S_NS);
	assert_int_equal(answer(f, EX), -1);
	/* the catalog drops the plan: serial 1 must not come back */
	assert_int_equal(ls_zonemgr_unplan(f->m, wire(EX)), 0);
	at(f, f->T + 2 * S_NS);
	assert_int_equal(answer(f, EX), -1);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_WITHDRAWN);
	assert_int_equal(info(f, EX).reason, LS_ZREASON_MISSED_PLAN);
	/* a newer verified version ends it */
	offer(f, 4);
	assert_int_equal(answer(f, EX), 4);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_SERVING);
}

static void test_stale_plan(void **state)
{
	struct fx *f = *state;

	offer(f, 5);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 3, T_UNIX, 0), -ESTALE);
	assert_false(info(f, EX).plan.active);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 5, T_UNIX, 0), 0); /* live already */
	assert_false(info(f, EX).plan.active);
	at(f, f->T + S_NS);
	assert_int_equal(answer(f, EX), 5);
	assert_int_equal(ls_zonemgr_plan(f->m, wire("nope."), 5, T_UNIX, 0), -ENOENT);
}

static void test_passed_plan(void **state)
{
	struct fx *f = *state;

	offer(f, 1);
	at(f, f->T + 100 * S_NS);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 2, T_UNIX, 0), 0);
	assert_int_equal(answer(f, EX), -1); /* at T: S or silence */
	offer(f, 2);
	assert_int_equal(answer(f, EX), 2);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_SERVING);
	assert_false(info(f, EX).plan.active);
}

static void test_clock_distrust(void **state)
{
	struct fx *f = *state;
	struct ls_zinfo i;

	offer(f, 1);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 2, T_UNIX, 0), 0);
	offer(f, 2);
	ls_zonemgr_clock(f->m, false, S_NS);
	i = info(f, EX);
	assert_int_equal(i.withdraw_at_tai_ns, f->T - S_NS);
	at(f, f->T - 2 * S_NS);
	assert_int_equal(answer(f, EX), 1); /* before T - budget: still serving */
	at(f, f->T - S_NS);
	assert_int_equal(answer(f, EX), -1); /* from T - budget: silent */
	assert_int_equal(info(f, EX).state, LS_ZSTATE_WITHDRAWN);
	assert_int_equal(info(f, EX).reason, LS_ZREASON_CLOCK);
	assert_int_equal(f->last_reason, LS_ZREASON_CLOCK);
	ls_zonemgr_clock(f->m, true, S_NS);
	assert_int_equal(answer(f, EX), 1);
	assert_int_equal(info(f, EX).withdraw_at_tai_ns, LS_TIME_NEVER);
	at(f, f->T);
	assert_int_equal(answer(f, EX), 2); /* the planned serial, at T */
}

/* T passes while the clock is distrusted: silent, then S once trusted. */
static void test_clock_distrust_across_T(void **state)
{
	struct fx *f = *state;

	offer(f, 1);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 2, T_UNIX, 0), 0);
	offer(f, 2);
	ls_zonemgr_clock(f->m, false, 10 * S_NS);
	at(f, f->T + 5 * S_NS);
	assert_int_equal(answer(f, EX), -1);
	assert_true(info(f, EX).plan.active); /* not finished while distrusted */
	at(f, f->T + 6 * S_NS);
	assert_int_equal(answer(f, EX), -1);
	ls_zonemgr_clock(f->m, true, 10 * S_NS);
	assert_int_equal(answer(f, EX), 2); /* only the planned serial */
	assert_int_equal(info(f, EX).state, LS_ZSTATE_SERVING);
	assert_false(info(f, EX).plan.active);
}

static void test_plans_only(void **state)
{
	struct fx *f = *state;

	offer(f, 1);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_EMPTY); /* held, waiting */
	assert_int_equal(answer(f, EX), -1);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 1, T_UNIX, 0), 0);
	settle(f); /* the held version comes back from the store, verified for T */
	assert_int_equal(info(f, EX).state, LS_ZSTATE_STAGED); /* nothing live before T */
	assert_true(info(f, EX).next_ready);
	assert_int_equal(answer(f, EX), -1);
	ls_zoneset_set_now(f->zs, f->T);
	assert_int_equal(answer(f, EX), 1);
	at(f, f->T + S_NS);
	assert_int_equal(info(f, EX).state, LS_ZSTATE_SERVING);
	offer(f, 2);
	assert_int_equal(answer(f, EX), 1); /* plans-only: 2 waits */
}

static void test_verify_failure(void **state)
{
	struct fx *f = *state;
	struct ls_zinfo i;

	/* zonemd: required, and the zone carries none */
	assert_int_equal(ls_zonemgr_offer(f->m, wire("signed.example."),
					  make_zone("signed.example.", 1), "test"),
			 0);
	settle(f);
	i = info(f, "signed.example.");
	assert_int_equal(i.state, LS_ZSTATE_EMPTY);
	assert_int_equal(i.verify_failures, 1);
	assert_non_null(strstr(i.last_verdict, "zonemd"));
	assert_int_equal(answer(f, "signed.example."), -1);
}

static void test_withdraw_by_hand(void **state)
{
	struct fx *f = *state;

	offer(f, 1);
	assert_int_equal(ls_zonemgr_withdraw(f->m, wire(EX), LS_ZREASON_EXPIRED), 0);
	assert_int_equal(answer(f, EX), -1);
	assert_int_equal(info(f, EX).reason, LS_ZREASON_EXPIRED);
	assert_int_equal(f->last_reason, LS_ZREASON_EXPIRED);
	offer(f, 2);
	assert_int_equal(answer(f, EX), 2);
	assert_int_equal(ls_zonemgr_remove_zone(f->m, wire(EX)), 0);
	assert_int_equal(f->last_reason, LS_ZREASON_REMOVED);
	assert_int_equal(ls_zonemgr_remove_zone(f->m, wire(EX)), -ENOENT);
	assert_int_equal(ls_zonemgr_add_zone(f->m, wire("cat.example."), wire(EX)), -ENOENT);
	assert_int_equal(ls_zonemgr_add_zone(f->m, wire("cat.example."), NULL), 0);
	assert_int_equal(ls_zonemgr_add_zone(f->m, wire("cat.example."), NULL), -EEXIST);
	assert_int_equal(ls_zonemgr_count(f->m), 3);
}

/* Restart: the live version serves, the staged one and the plan are kept. */
static void test_restart_readopt(void **state)
{
	struct fx *f = *state;
	struct ls_zinfo i;

	offer(f, 1);
	offer(f, 2);
	assert_int_equal(ls_zonemgr_plan(f->m, wire(EX), 3, T_UNIX, 0), 0);
	offer(f, 3);
	stop(f);
	start(f);
	ls_zonemgr_set_now(f->m, f->T - 100 * S_NS);
	settle(f);
	i = info(f, EX);
	assert_true(i.has_live);
	assert_int_equal(i.live_serial, 2);
	assert_true(i.plan.active);
	assert_int_equal(i.plan.serial, 3);
	assert_true(i.has_next && i.next_ready);
	assert_int_equal(i.state, LS_ZSTATE_STAGED);
	assert_int_equal(answer(f, EX), 2);
	at(f, f->T);
	assert_int_equal(answer(f, EX), 3);
	/* after the switch a restart serves 3 */
	stop(f);
	start(f);
	ls_zonemgr_set_now(f->m, f->T + 10 * S_NS);
	settle(f);
	assert_int_equal(answer(f, EX), 3);
	assert_false(info(f, EX).plan.active);
}

/* A corrupted stored live file is moved aside, never served, never fatal. */
static void test_restart_corrupt(void **state)
{
	struct fx *f = *state;
	char path[256];
	FILE *fp;

	offer(f, 4);
	stop(f);
	snprintf(path, sizeof(path), "%s/example.org.4.live", f->dir);
	fp = fopen(path, "r+");
	assert_non_null(fp);
	fseek(fp, 60, SEEK_SET);
	fputc('X', fp);
	fclose(fp);
	start(f);
	settle(f);
	assert_int_equal(answer(f, EX), -1);
	assert_false(info(f, EX).has_live);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/corrupt", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	/* the bad file's serial stays the floor: an older version is no rollback target */
	offer(f, 3);
	assert_int_equal(answer(f, EX), -1);
	assert_non_null(strstr(info(f, EX).last_verdict, "older than the live serial 4"));
	offer(f, 5); /* and the zone takes newer versions as before */
	assert_int_equal(answer(f, EX), 5);
}

/*
 * DNSSEC at T: tests/data/verify/signed-nsec.zone is signed from 2024-01-01
 * to 2037-01-01 00:00:00 UTC (2114380800). With the default margin of 1 h, a
 * plan 30 min before expiry is refused; 2 h before is staged.
 */
static void test_dnssec_at_T(void **state)
{
	struct fx *f = *state;
	const uint64_t expiry = 2114380800;
	struct ls_zone *z = NULL;
	struct ls_zinfo i;

	assert_int_equal(ls_zonemgr_plan(f->m, wire("example."), 2025010101, expiry - 1800, 0), 0);
	assert_int_equal(ls_zonefile_load(LS_TEST_DATA "/verify/signed-nsec.zone", wire("example."),
					  NULL, &z, NULL),
			 0);
	assert_int_equal(ls_zonemgr_offer(f->m, wire("example."), z, "test"), 0);
	settle(f);
	i = info(f, "example.");
	assert_int_equal(i.state, LS_ZSTATE_PLANNED);
	assert_false(i.has_next);
	assert_int_equal(i.verify_failures, 1);
	assert_non_null(strstr(i.last_verdict, "RRSIG"));
	/* the same version for a T that leaves the margin: staged */
	assert_int_equal(ls_zonemgr_plan(f->m, wire("example."), 2025010101, expiry - 7200, 0), 0);
	assert_int_equal(ls_zonefile_load(LS_TEST_DATA "/verify/signed-nsec.zone", wire("example."),
					  NULL, &z, NULL),
			 0);
	assert_int_equal(ls_zonemgr_offer(f->m, wire("example."), z, "test"), 0);
	settle(f);
	i = info(f, "example.");
	assert_int_equal(i.state, LS_ZSTATE_STAGED);
	assert_true(i.next_ready);
	assert_int_equal(i.next_serial, 2025010101);
}

/* A version superseded while queued is dropped; the newest one serves. */
static void test_superseded(void **state)
{
	struct fx *f = *state;

	for (uint32_t s = 1; s <= 5; s++)
		assert_int_equal(ls_zonemgr_offer(f->m, wire(EX), make_zone(EX, s), "burst"), 0);
	settle(f);
	assert_int_equal(answer(f, EX), 5);
	assert_int_equal(info(f, EX).offers, 5);
}

/*
 * A catalog zone is held like any zone (verified, live, there for
 * transfers to peers) but the zone table never answers it; its members
 * and other zones are answered. A name that stops being a catalog on a
 * reload is answered again.
 */
static void test_catalog_not_served(void **state)
{
	struct fx *f = *state;
	struct ls_config_errors errs;
	struct ls_config *cfg;
	const struct ls_zone *z;
	bool silent = true;
	char text[512];

	snprintf(text, sizeof(text),
		 "node: {id: t, state-dir: %s}\n"
		 "remote: [{id: p, address: 192.0.2.1}]\n"
		 "zone:\n"
		 "  - {domain: example.org., primaries: [p]}\n"
		 "catalog:\n"
		 "  - {zone: catalog.invalid., primaries: [p]}\n",
		 f->dir);
	assert_int_equal(ls_config_parse_string(text, strlen(text), "t.yaml", &cfg, &errs), 0);
	assert_int_equal(ls_zonemgr_reconfigure(f->m, cfg), 0);
	/* the daemon registers catalogs (zonemgr.h: only zone entries are its own) */
	assert_int_equal(ls_zonemgr_add_zone(f->m, wire("catalog.invalid."), NULL), 0);
	assert_int_equal(ls_zonemgr_add_zone(f->m, wire("member.example."), NULL), 0);
	assert_false(ls_zoneset_served(f->zs, wire("catalog.invalid.")));
	assert_true(ls_zoneset_served(f->zs, wire("member.example.")));
	assert_true(ls_zoneset_served(f->zs, wire(EX)));
	assert_int_equal(ls_zonemgr_offer(f->m, wire("catalog.invalid."),
					  make_zone("catalog.invalid.", 7), "test"),
			 0);
	assert_int_equal(ls_zonemgr_offer(f->m, wire("member.example."),
					  make_zone("member.example.", 1), "test"),
			 0);
	settle(f);
	assert_true(info(f, "catalog.invalid.").has_live);
	assert_int_equal(info(f, "catalog.invalid.").live_serial, 7);
	assert_non_null(ls_zoneset_live(f->zs, wire("catalog.invalid.")));
	ls_zoneset_set_now(f->zs, f->T - 50 * S_NS);
	z = ls_zoneset_lookup(f->zs, wire("ns.catalog.invalid."), &silent);
	assert_null(z);
	assert_false(silent); /* REFUSED, not silence */
	assert_int_equal(answer(f, "member.example."), 1);
	/* back to a configuration without the catalog: the name is answered again */
	assert_int_equal(ls_zonemgr_reconfigure(f->m, f->cfg), 0);
	ls_config_free(cfg);
	assert_true(ls_zoneset_served(f->zs, wire("catalog.invalid.")));
	assert_int_equal(answer(f, "catalog.invalid."), 7);
}

static void test_utc_to_tai(void **state)
{
	uint64_t a = ls_zonemgr_utc_to_tai(100, 5);

	/* the kernel's TAI offset is whole seconds, 0..a few dozen */
	assert_true(a >= 100 * S_NS + 5);
	assert_int_equal((a - 5) % S_NS, 0);
	assert_true(a <= 200 * S_NS);
	assert_string_equal(ls_zstate_name(LS_ZSTATE_STAGED), "staged");
	assert_string_equal(ls_zreason_name(LS_ZREASON_CLOCK), "clock");
}

/*
 * T is converted with the offset that will be in force at T: the kernel's
 * tai, plus or minus one when a leap second is announced (adjtimex()
 * returning TIME_INS / TIME_DEL) for the midnight that ends the current
 * UTC day and T is at or after it (docs/clock.md).
 */
static void test_utc_to_tai_leap(void **state)
{
	const uint64_t day = 20454ull * 86400; /* 2026-01-01 00:00:00 UTC */
	const uint64_t now = day - 3600; /* 2025-12-31 23:00 */

	/* no leap announced: the offset as it is, also 0 (no leap table) */
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day + 10, 5, 37, TIME_OK, now),
			 (day + 47) * S_NS + 5);
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day + 10, 5, 0, TIME_OK, now),
			 (day + 10) * S_NS + 5);
	/* inserted leap: T before the midnight keeps the offset, T from it on gets one more */
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day - 1, 0, 37, TIME_INS, now),
			 (day - 1 + 37) * S_NS);
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day, 0, 37, TIME_INS, now), (day + 38) * S_NS);
	/* without a leap table the kernel still counts the leap: 0 becomes 1 */
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day + 60, 0, 0, TIME_INS, now),
			 (day + 61) * S_NS);
	/* deleted leap: one less */
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day + 60, 0, 37, TIME_DEL, now),
			 (day + 96) * S_NS);
	/* announced for tonight, accepted earlier in the day: same */
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day + 60, 0, 37, TIME_INS, day - 86399),
			 (day + 98) * S_NS);
	/* during the leap second (TIME_OOP) and after it (TIME_WAIT) tai has moved already */
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day + 60, 0, 38, TIME_OOP, day - 1),
			 (day + 98) * S_NS);
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day + 60, 0, 38, TIME_WAIT, day + 1),
			 (day + 98) * S_NS);
	/* hostile values: far future saturates short of "never", negative stays sane */
	assert_int_equal(ls_zonemgr_utc_to_tai_with(UINT64_MAX / 2, 0, 37, TIME_OK, now),
			 LS_TIME_NEVER - 1);
	assert_int_equal(ls_zonemgr_utc_to_tai_with(day, 0, 1000000, TIME_OK, now),
			 LS_TIME_NEVER - 1);
	assert_int_equal(ls_zonemgr_utc_to_tai_with(0, 9, -37, TIME_OK, 0), 9);
}

/* A spool file that does not load: refused with its first error, file and line. */
struct spool_done {
	int calls;
	bool accepted;
	char verdict[512];
};

static void on_spool_done(void *ctx, const char *path, bool accepted, const char *verdict)
{
	struct spool_done *d = ctx;

	(void)path;
	d->calls++;
	d->accepted = accepted;
	snprintf(d->verdict, sizeof(d->verdict), "%s", verdict);
}

static void test_spool_load_error(void **state)
{
	struct fx *f = *state;
	struct spool_done d = { 0 };
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/example.org.zone", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("$ORIGIN example.org.\n"
	      "@ 3600 IN SOA ns hostmaster 1 3600 600 86400 300\n"
	      "@ 3600 IN NS ns\n"
	      "ns 3600 IN A 192.0.2.1\n"
	      "www 3600 IN A 192.0.2.300\n",
	      fp);
	fclose(fp);
	assert_int_equal(ls_zonemgr_offer_spool(f->m, path, "spool", on_spool_done, &d), 0);
	for (int i = 0; i < 1000 && d.calls == 0; i++)
		ev_run(f->loop, EVRUN_ONCE);
	assert_int_equal(d.calls, 1);
	assert_false(d.accepted);
	assert_non_null(strstr(d.verdict, "example.org.zone:5: "));
	assert_int_equal(answer(f, EX), -1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_immediate, teardown)
	const struct CMUnitTest tests[] = {
		T(test_immediate_no_rollback),
		T(test_plan_staged_switch),
		T(test_missed_then_arrives),
		T(test_missed_then_replanned),
		T(test_missed_then_dropped),
		T(test_stale_plan),
		T(test_passed_plan),
		T(test_clock_distrust),
		T(test_clock_distrust_across_T),
		cmocka_unit_test_setup_teardown(test_plans_only, setup_plans_only, teardown),
		T(test_verify_failure),
		T(test_withdraw_by_hand),
		T(test_restart_readopt),
		T(test_restart_corrupt),
		T(test_superseded),
		T(test_dnssec_at_T),
		T(test_catalog_not_served),
		T(test_spool_load_error),
		cmocka_unit_test(test_utc_to_tai),
		cmocka_unit_test(test_utc_to_tai_leap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
