/* SPDX-License-Identifier: MIT */
/*
 * Tests for growing the XDP maps (ls_dataplane_reserve() / _grow() in
 * agent/dataplane.c) with the real program through BPF_PROG_TEST_RUN:
 *   - a zone that does not fit the opening sizes grows the maps, loads
 *     whole, and its names are answered (XDP_TX) by the new program;
 *   - a growth carries everything over: control entries, addresses, the
 *     lease, the generation counter, the counters, earlier generations;
 *   - a growth that cannot happen (a map larger than the kernel allows)
 *     fails cleanly: counted, the old instance untouched and answering.
 * Needs root and BPF: exits 77 (skipped) without them. No pins, no
 * interface (integration/xdp_resize covers those).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "agent/compile.h"
#include "agent/dataplane.h"
#include "common/dname.h"
#include "common/zone.h"
#include "common/zonefile.h"

#ifdef LOCKSTEP_HAVE_BPF
#include <bpf/bpf.h>
#include <linux/bpf.h>

#define NAMES 3000
#define XDP_TX_VERDICT 3

static struct ls_dataplane *dp;
static struct ls_zone *zone;
static uint8_t origin[LS_DNAME_MAXLEN];

static struct ls_zone *make_zone(void)
{
	size_t cap = 64 * NAMES + 256, len = 0;
	char *text = malloc(cap);
	struct ls_zone *z = NULL;

	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len,
				"$TTL 3600\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\n"
				"ns1 A 192.0.2.1\n");
	for (int i = 0; i < NAMES; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%d A 10.0.%d.%d\n", i, i / 256,
					i % 256);
	assert_int_equal(ls_dname_from_str(origin, "example.com.", NULL) > 0, 1);
	assert_int_equal(ls_zonefile_load_string(text, len, "grow", origin, NULL, &z, NULL), 0);
	free(text);
	return z;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A query for @name A to 192.0.2.53:53 over IPv4; the frame's length. */
static size_t query(uint8_t *b, const char *name)
{
	uint8_t wire[LS_DNAME_MAXLEN];
	int n = ls_dname_from_str(wire, name, NULL);
	uint8_t *ip = b + 14, *u = ip + 20, *d = u + 8;
	size_t dl = 12 + (size_t)n + 4;

	assert_true(n > 0);
	memset(b, 0, 14 + 20 + 8 + dl);
	memcpy(b, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + 8 + dl) >> 8);
	ip[3] = (uint8_t)(20 + 8 + dl);
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, "192.0.2.10", ip + 12);
	inet_pton(AF_INET, "192.0.2.53", ip + 16);
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	u[0] = 0x9c;
	u[1] = 0x40; /* 40000 */
	u[3] = 53;
	u[4] = (uint8_t)((8 + dl) >> 8);
	u[5] = (uint8_t)(8 + dl);
	d[1] = 7;
	d[5] = 1; /* QDCOUNT */
	memcpy(d + 12, wire, (size_t)n);
	d[12 + n + 1] = 1; /* A */
	d[12 + n + 3] = 1; /* IN */
	return 14 + 20 + 8 + dl;
}

/* The program's verdict for @name, and the answer's first address octets. */
static int ask(const char *name, uint8_t rdata[4])
{
	uint8_t in[256], out[2048];
	size_t len = query(in, name);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(ls_dataplane_prog_fd(dp), &o), 0);
	if (o.retval == XDP_TX_VERDICT && rdata) {
		assert_true(o.data_size_out >= 4);
		memcpy(rdata, out + o.data_size_out - 4, 4); /* the A record's RDATA ends it */
	}
	return (int)o.retval;
}

static int setup(void **state)
{
	/* tiny on purpose: a few hundred names do not fit */
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE,
				       .pin_dir = "",
				       .answers_max = 64,
				       .bodies_max = { 16, 16, 16, 16 },
				       .zones_max = 4 };
	struct sockaddr_storage ss = { 0 };
	int err = ls_dataplane_open(&o, &dp);

	if (err) {
		fprintf(stderr, "no BPF here (%s): skipped\n", strerror(-err));
		exit(77);
	}
	ss.ss_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.53", &((struct sockaddr_in *)&ss)->sin_addr);
	assert_int_equal(ls_dataplane_add_addr(dp, &ss), 0);
	ls_dataplane_renew(dp, LS_TIME_NEVER - 1);
	zone = make_zone();
	return 0;
}

static int teardown(void **state)
{
	ls_dataplane_shutdown(dp);
	ls_zone_free(zone);
	return 0;
}

/* Compile, make room, load, name it live. Returns the generation. */
static uint32_t serve(void)
{
	struct ls_compiled *c;
	size_t left = 99;
	uint32_t gen = ls_dataplane_new_gen(dp);
	struct ls_zone_ctl ctl = { .switch_at = LS_TIME_NEVER,
				   .withdraw_at = LS_TIME_NEVER,
				   .flags = LS_CTL_HAS_LIVE,
				   .zone_id = 1 };

	assert_int_equal(ls_compile_zone(zone, gen, &c), 0);
	assert_int_equal(ls_dataplane_reserve(dp, c, 1), 0);
	assert_int_equal(ls_dataplane_load(dp, c, &left), 0);
	assert_int_equal(left, 0); /* nothing left out: the maps grew */
	ls_compiled_free(c);
	ctl.live_gen = gen;
	assert_int_equal(ls_dataplane_set_zone(dp, origin, &ctl), 0);
	return gen;
}

static void test_grows_and_answers(void **state)
{
	struct ls_dataplane_caps cap0, cap1, used;
	struct ls_dataplane_growth g;
	uint64_t st[LS_STAT_MAX];
	uint8_t a[4];

	ls_dataplane_capacity(dp, &cap0, NULL);
	serve();
	ls_dataplane_capacity(dp, &cap1, &used);
	ls_dataplane_growth_stats(dp, &g);
	assert_true(g.grows >= 1);
	assert_int_equal(g.left_out, 0);
	assert_true(cap1.answers > cap0.answers);
	assert_true(used.answers <= cap1.answers);
	/* names across the zone, answered by the grown instance's program */
	const int pick[] = { 0, 1, NAMES / 2, NAMES - 1 };
	for (size_t i = 0; i < sizeof(pick) / sizeof(pick[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "h%d.example.com.", pick[i]);
		assert_int_equal(ask(name, a), XDP_TX_VERDICT);
		assert_int_equal(a[2], pick[i] / 256);
		assert_int_equal(a[3], pick[i] % 256);
	}
	assert_int_equal(ls_dataplane_stats(dp, st), 0);
	assert_true(st[LS_STAT_ANSWERED] >= 4);
}

/* Everything a growth must carry over. */
static void test_grow_keeps_state(void **state)
{
	struct ls_dataplane_caps cap, want, after, used0, used1;
	struct ls_zone_ctl ctl0, ctl1;
	uint64_t st0[LS_STAT_MAX], st1[LS_STAT_MAX], lease0;
	uint32_t gen_before;
	uint8_t a[4];

	assert_int_equal(ask("h7.example.com.", a), XDP_TX_VERDICT);
	assert_int_equal(ls_dataplane_get_zone(dp, origin, &ctl0), 0);
	assert_int_equal(ls_dataplane_stats(dp, st0), 0);
	ls_dataplane_capacity(dp, &cap, &used0);
	lease0 = ls_dataplane_lease(dp);
	gen_before = ls_dataplane_new_gen(dp);

	want = cap;
	want.answers = cap.answers * 2;
	want.bodies[0] = cap.bodies[0] * 2;
	want.zones = cap.zones * 2;
	assert_int_equal(ls_dataplane_grow(dp, &want), 0);
	ls_dataplane_capacity(dp, &after, &used1);
	assert_int_equal(after.answers, want.answers);
	assert_int_equal(after.bodies[0], want.bodies[0]);
	assert_int_equal(after.zones, want.zones);
	assert_int_equal(after.bodies[3], cap.bodies[3]); /* not asked: kept */
	assert_memory_equal(&used0, &used1, sizeof(used0));

	assert_int_equal(ls_dataplane_get_zone(dp, origin, &ctl1), 0);
	assert_memory_equal(&ctl0, &ctl1, sizeof(ctl0));
	assert_int_equal(ls_dataplane_lease(dp), lease0);
	assert_int_equal(ls_dataplane_new_gen(dp), gen_before + 1); /* ids stay unique */
	assert_int_equal(ls_dataplane_stats(dp, st1), 0);
	for (int s = 0; s < LS_STAT_MAX; s++)
		assert_true(st1[s] >= st0[s]);
	assert_int_equal(st1[LS_STAT_ANSWERED], st0[LS_STAT_ANSWERED]);
	/* the address table came along: answered, not passed */
	assert_int_equal(ask("h7.example.com.", a), XDP_TX_VERDICT);
	assert_int_equal(a[3], 7);

	/* a next generation loads beside the live one, into the room made */
	serve();
	assert_int_equal(ask("h8.example.com.", a), XDP_TX_VERDICT);
}

/* A growth the kernel refuses: counted, and the old instance keeps serving. */
static void test_grow_fails_cleanly(void **state)
{
	struct ls_dataplane_caps cap, want, after;
	struct ls_dataplane_growth g0, g1;
	int fd0 = ls_dataplane_prog_fd(dp);
	uint8_t a[4];

	ls_dataplane_capacity(dp, &cap, NULL);
	ls_dataplane_growth_stats(dp, &g0);
	want = cap;
	want.bodies[3] = (size_t)LS_BODY_INDEX_MASK + 1; /* 2^28 × 1.2 KB: never allocated */
	assert_true(ls_dataplane_grow(dp, &want) < 0);
	ls_dataplane_growth_stats(dp, &g1);
	assert_int_equal(g1.failures, g0.failures + 1);
	assert_int_equal(g1.grows, g0.grows);
	ls_dataplane_capacity(dp, &after, NULL);
	assert_memory_equal(&after, &cap, sizeof(cap));
	assert_int_equal(ls_dataplane_prog_fd(dp), fd0);
	assert_int_equal(ask("h9.example.com.", a), XDP_TX_VERDICT);
	assert_int_equal(a[3], 9);
}

/*
 * Unloading a generation deletes its entries from the answer table (in
 * batches, after one batched walk): the program then finds nothing for a
 * name of it and passes the query, and the bookkeeping counts them gone.
 */
static void test_unload_deletes_entries(void **state)
{
	struct ls_dataplane_caps used0, used1, used2;
	uint32_t gen;
	uint8_t a[4];

	ls_dataplane_capacity(dp, NULL, &used0);
	gen = serve();
	ls_dataplane_capacity(dp, NULL, &used1);
	assert_true(used1.answers > used0.answers + NAMES - 1);
	assert_int_equal(ask("h5.example.com.", a), XDP_TX_VERDICT);
	assert_int_equal(ask("h2999.example.com.", a), XDP_TX_VERDICT);
	assert_int_equal(ls_dataplane_unload(dp, gen), 0);
	ls_dataplane_capacity(dp, NULL, &used2);
	assert_int_equal(used2.answers, used0.answers);
	/* the control entry still names the generation: its names are gone */
	assert_int_equal(ask("h5.example.com.", a), XDP_PASS);
	assert_int_equal(ask("h2999.example.com.", a), XDP_PASS);
	/* the tests share one data plane: leave the zone served */
	serve();
	assert_int_equal(ask("h5.example.com.", a), XDP_TX_VERDICT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_and_answers),
		cmocka_unit_test(test_grow_keeps_state),
		cmocka_unit_test(test_unload_deletes_entries),
		cmocka_unit_test(test_grow_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

#else

int main(void)
{
	fprintf(stderr, "built without BPF: skipped\n");
	return 77;
}

#endif
