/* SPDX-License-Identifier: MIT */
/*
 * bench_xdp.c — drives the XDP data plane without lockstepd, for the
 * integration tests (tests/integration/test_xdp_*.sh) and the benchmarks
 * (tests/bench/xdp*.sh).
 *
 *   bench_xdp serve --if IFACE [--mode native|generic] [--pin DIR]
 *                   --addr ADDR... --zone FILE [--next FILE --switch-ms MS]
 *                   [--lease-ms MS] [--renew-ms MS] [--withdraw-ms MS] [--cut N]
 *       Load (or re-adopt from DIR) and attach, compile the zone(s) with the
 *       engine, serve until SIGTERM (then detach and unpin) or SIGKILL (then
 *       the program stays attached and answers until the lease runs out).
 *       Prints "ready T=<switch TAI ns>" once serving.
 *   bench_xdp testrun --zone FILE [--runs N]
 *       ns per query through BPF_PROG_TEST_RUN for a query mix, the
 *       answering program beside the no-op program, each measured with
 *       single runs (the program rewrites the packet in place, so a repeat
 *       count would measure the response being passed from the second run on).
 *   bench_xdp steps --zone FILE [--runs N]
 *       The same mix through programs cut short after each step (enum
 *       ls_bench_cut: headers, parse, zone + control, clock + decision,
 *       answer lookup, body copy) beside the whole program and the no-op,
 *       round-robin in one loop: what each step adds, hot cache.
 *   bench_xdp attach-pass --if IFACE
 *       Attach the no-op program (for a veth peer; see attach_pass()).
 *   bench_xdp memory --zone FILE
 *       Compile and load the zone; print the kernel's map memory per name.
 *
 * Owns nothing the daemon uses: it only calls agent/compile and
 * agent/dataplane the way lockstepd will.
 */
#ifndef LOCKSTEP_HAVE_BPF
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "bench_xdp: built without the BPF data plane\n");
	return 77;
}
#else
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/compile.h"
#include "agent/dataplane.h"
#include "agent/engine.h"
#include "common/dname.h"
#include "common/log.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/zonefile.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t tai_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct ls_zone *load_zone(const char *path)
{
	struct ls_zone *z = NULL;
	int err = ls_zonefile_load(path, NULL, NULL, &z, NULL);

	if (err)
		fprintf(stderr, "bench_xdp: %s: %s\n", path, strerror(-err));
	return z;
}

static int add_gen(struct ls_dataplane *dp, const struct ls_zone *z, uint32_t *gen)
{
	struct ls_compiled *c;
	size_t left = 0;
	int err;

	*gen = ls_dataplane_new_gen(dp);
	err = ls_compile_zone(z, *gen, &c);
	if (err)
		return err;
	err = ls_dataplane_load(dp, c, &left);
	fprintf(stderr, "bench_xdp: generation %u: %zu entries, %zu bodies, %zu left out\n", *gen,
		c->n, c->nbodies, left);
	ls_compiled_free(c);
	return err;
}

/* Sizes for the maps: room for two generations of @z and some. */
static void size_for(const struct ls_zone *z, struct ls_dataplane_opts *o)
{
	struct ls_compiled *c;

	if (ls_compile_zone(z, 0, &c) < 0)
		return;
	o->answers_max = 2 * c->n + 1024;
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		o->bodies_max[k] = 2 * c->per_class[k] + 64;
	ls_compiled_free(c);
}

static int serve(int argc, char **argv)
{
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE };
	const char *zone_path = NULL, *next_path = NULL, *addrs[8];
	long lease_ms = 2000, renew_ms = 100, switch_ms = -1, withdraw_ms = -1;
	size_t naddrs = 0;
	struct ls_dataplane *dp = NULL;
	struct ls_zone *z = NULL, *nz = NULL;
	uint32_t gen = 0, ngen = 0;
	int err = 1;
	static const struct option lo[] = {
		{ "if", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pin", required_argument, NULL, 'p' },
		{ "addr", required_argument, NULL, 'a' },
		{ "zone", required_argument, NULL, 'z' },
		{ "next", required_argument, NULL, 'n' },
		{ "switch-ms", required_argument, NULL, 's' },
		{ "lease-ms", required_argument, NULL, 'l' },
		{ "renew-ms", required_argument, NULL, 'r' },
		{ "withdraw-ms", required_argument, NULL, 'w' },
		{ "cut", required_argument, NULL, 'c' },
		{ 0 },
	};
	for (int ch; (ch = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
		switch (ch) {
		case 'i':
			o.ifname = optarg;
			break;
		case 'm':
			o.mode = strcmp(optarg, "generic") == 0 ? LS_CONFIG_XDP_GENERIC :
								  LS_CONFIG_XDP_NATIVE;
			break;
		case 'p':
			o.pin_dir = optarg;
			break;
		case 'a':
			if (naddrs < 8)
				addrs[naddrs++] = optarg;
			break;
		case 'z':
			zone_path = optarg;
			break;
		case 'n':
			next_path = optarg;
			break;
		case 'c':
			o.bench_cut = (uint32_t)atoi(optarg);
			break;
		case 's':
			switch_ms = atol(optarg);
			break;
		case 'l':
			lease_ms = atol(optarg);
			break;
		case 'r':
			renew_ms = atol(optarg);
			break;
		case 'w':
			withdraw_ms = atol(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!zone_path || !o.ifname)
		return 2;
	z = load_zone(zone_path);
	if (!z || (next_path && !(nz = load_zone(next_path))))
		goto free_zones;
	size_for(z, &o);
	o.lease_ns =
		(uint64_t)lease_ms * 1000000ull; /* pushed out before re-adoption's long steps */
	err = ls_dataplane_open(&o, &dp);
	if (err) {
		fprintf(stderr, "bench_xdp: dataplane: %s\n", strerror(-err));
		err = 1;
		goto free_zones;
	}
	for (size_t i = 0; i < naddrs; i++) {
		struct sockaddr_storage ss = { 0 };
		if (strchr(addrs[i], ':')) {
			ss.ss_family = AF_INET6;
			inet_pton(AF_INET6, addrs[i], &((struct sockaddr_in6 *)&ss)->sin6_addr);
		} else {
			ss.ss_family = AF_INET;
			inet_pton(AF_INET, addrs[i], &((struct sockaddr_in *)&ss)->sin_addr);
		}
		ls_dataplane_add_addr(dp, &ss);
	}
	/* A restarted agent: the pinned control entry still names the old
	 * generation, which keeps answering until the new one is in. */
	struct ls_zone_ctl old = { 0 };
	bool had = ls_dataplane_get_zone(dp, ls_zone_origin(z), &old) == 0;
	ls_dataplane_renew(dp, tai_now() + (uint64_t)lease_ms * 1000000ull);
	ls_dataplane_set_casefold(dp, ls_compile_casefold_ok(z, ls_zone_origin(z)));
	if (add_gen(dp, z, &gen) < 0)
		goto free_dp;
	struct ls_zone_ctl ctl = { .switch_at = LS_TIME_NEVER,
				   .withdraw_at = LS_TIME_NEVER,
				   .live_gen = gen,
				   .flags = LS_CTL_HAS_LIVE,
				   .zone_id = 1 };
	if (ls_zone_node_rrset(z, ls_zone_apex(z), LS_TYPE_DNSKEY))
		ctl.flags |= LS_CTL_LIVE_SIGNED;
	if (nz) {
		if (add_gen(dp, nz, &ngen) < 0)
			goto free_dp;
		ctl.next_gen = ngen;
		ctl.switch_at = tai_now() + (uint64_t)(switch_ms < 0 ? 0 : switch_ms) * 1000000ull;
		ctl.flags |= LS_CTL_NEXT_READY;
	}
	if (withdraw_ms >= 0)
		ctl.withdraw_at = tai_now() + (uint64_t)withdraw_ms * 1000000ull;
	ls_dataplane_set_zone(dp, ls_zone_origin(z), &ctl);
	if (had) {
		/* readers that looked up the old generation are long done after this */
		usleep(100000);
		if (old.live_gen && old.live_gen != gen)
			ls_dataplane_unload(dp, old.live_gen);
		if (old.next_gen && old.next_gen != gen)
			ls_dataplane_unload(dp, old.next_gen);
	}
	printf("ready T=%llu readopted=%d\n", (unsigned long long)ctl.switch_at,
	       ls_dataplane_readopted(dp));
	fflush(stdout);

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!stop) {
		ls_dataplane_renew(dp, tai_now() + (uint64_t)lease_ms * 1000000ull);
		usleep((useconds_t)renew_ms * 1000);
	}
	uint64_t st[LS_STAT_MAX];
	if (ls_dataplane_stats(dp, st) == 0)
		for (int i = 0; i < LS_STAT_MAX; i++)
			if (st[i])
				fprintf(stderr, "stat %s %llu\n", ls_dataplane_stat_name(i),
					(unsigned long long)st[i]);
	ls_dataplane_shutdown(dp);
	dp = NULL;
	err = 0;
free_dp:
	ls_dataplane_free(dp);
free_zones:
	ls_zone_free(z);
	ls_zone_free(nz);
	return err;
}

/* ---- testrun: ns per query --------------------------------------------- */

static size_t mkpacket(uint8_t *p, const char *name, uint16_t qtype)
{
	uint8_t wire[LS_DNAME_MAXLEN];
	int n = ls_dname_from_str(wire, name, NULL);
	size_t dlen = 12 + (size_t)n + 4 + 11, ul = 8 + dlen, tot = 20 + ul;
	uint8_t *ip = p + 14, *u = ip + 20, *d = u + 8;

	memset(p, 0, 14 + tot);
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, "198.51.100.7", ip + 12);
	inet_pton(AF_INET, "192.0.2.53", ip + 16);
	u[0] = 0x9c;
	u[3] = 53;
	u[4] = (uint8_t)(ul >> 8);
	u[5] = (uint8_t)ul;
	d[0] = 0x12;
	d[5] = 1;
	d[11] = 1;
	memcpy(d + 12, wire, (size_t)n);
	d[12 + n] = (uint8_t)(qtype >> 8);
	d[13 + n] = (uint8_t)qtype;
	d[15 + n] = 1;
	const uint8_t opt[11] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0 };
	memcpy(d + 16 + n, opt, 11);
	return 14 + tot;
}

static int testrun(int argc, char **argv)
{
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE, .pin_dir = "" };
	const char *zone_path = NULL;
	long runs = 200000;
	struct ls_dataplane *dp = NULL;
	struct ls_zone *z;
	uint32_t gen;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--zone") == 0)
			zone_path = argv[i + 1];
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atol(argv[i + 1]);
	}
	if (!zone_path || !(z = load_zone(zone_path)))
		return 2;
	size_for(z, &o);
	if (ls_dataplane_open(&o, &dp) < 0)
		return 77;
	struct sockaddr_storage ss = { .ss_family = AF_INET };
	inet_pton(AF_INET, "192.0.2.53", &((struct sockaddr_in *)&ss)->sin_addr);
	ls_dataplane_add_addr(dp, &ss);
	add_gen(dp, z, &gen);
	struct ls_zone_ctl ctl = { .switch_at = LS_TIME_NEVER,
				   .withdraw_at = LS_TIME_NEVER,
				   .live_gen = gen,
				   .flags = LS_CTL_HAS_LIVE };
	ls_dataplane_set_zone(dp, ls_zone_origin(z), &ctl);
	ls_dataplane_renew(dp, LS_TIME_NEVER);

	/* the mix of tests/bench/xdp.sh's zone (example.com.zone) */
	static const struct {
		const char *what, *name;
		uint16_t qtype;
	} mix[] = {
		{ "positive", "mail.example.com.", 1 },
		{ "NODATA", "mail.example.com.", 28 },
		{ "NXDOMAIN", "nope.example.com.", 1 },
		{ "referral", "www.sub.example.com.", 1 },
		{ "wildcard", "foo.wild.example.com.", 16 },
		{ "passed", "example.com.", 255 },
	};
	uint8_t in[512], out[4096];
	printf("| query | verdict | lockstep ns/query | no-op ns/query | ratio |\n|---|---|---|---|---|\n");
	double sum_ls = 0, sum_noop = 0;
	for (size_t m = 0; m < sizeof(mix) / sizeof(mix[0]); m++) {
		size_t len = mkpacket(in, mix[m].name, mix[m].qtype);
		uint64_t t_ls = 0, t_noop = 0;
		int verdict = -1;
		for (long r = 0; r < runs; r++) {
			for (int which = 0; which < 2; which++) {
				LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in,
					    .data_size_in = (__u32)len, .data_out = out,
					    .data_size_out = sizeof(out), .repeat = 1);
				int fd =
					which ? ls_dataplane_noop_fd(dp) : ls_dataplane_prog_fd(dp);
				if (bpf_prog_test_run_opts(fd, &t) < 0)
					return 1;
				if (which)
					t_noop += t.duration;
				else {
					t_ls += t.duration;
					verdict = (int)t.retval;
				}
			}
		}
		double a = (double)t_ls / (double)runs, b = (double)t_noop / (double)runs;
		sum_ls += a;
		sum_noop += b;
		printf("| %s | %s | %.1f | %.1f | %.1f |\n", mix[m].what,
		       verdict == XDP_TX   ? "TX" :
		       verdict == XDP_PASS ? "PASS" :
					     "DROP",
		       a, b, b > 0 ? a / b : 0);
	}
	printf("| mix (mean) | | %.1f | %.1f | %.1f |\n", sum_ls / 6, sum_noop / 6,
	       sum_noop > 0 ? sum_ls / sum_noop : 0);
	ls_dataplane_shutdown(dp);
	ls_zone_free(z);
	return 0;
}

/* One query mix entry of tests/bench/xdp.sh's zone (example.com.zone). */
static const struct {
	const char *what, *name;
	uint16_t qtype;
} steps_mix[] = {
	{ "positive", "mail.example.com.", 1 },	     { "NODATA", "mail.example.com.", 28 },
	{ "NXDOMAIN", "nope.example.com.", 1 },	     { "referral", "www.sub.example.com.", 1 },
	{ "wildcard", "foo.wild.example.com.", 16 },
};

#define NCUTS 7 /* LS_CUT_HEADERS .. LS_CUT_STORE, then the whole program */

/* A data plane serving @z as live, cut at @cut (0: whole). */
static struct ls_dataplane *open_cut(const struct ls_zone *z, uint32_t cut)
{
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE,
				       .pin_dir = "",
				       .bench_cut = cut };
	struct ls_dataplane *dp = NULL;
	struct sockaddr_storage ss = { .ss_family = AF_INET };
	uint32_t gen;

	size_for(z, &o);
	if (ls_dataplane_open(&o, &dp) < 0)
		return NULL;
	inet_pton(AF_INET, "192.0.2.53", &((struct sockaddr_in *)&ss)->sin_addr);
	ls_dataplane_add_addr(dp, &ss);
	add_gen(dp, z, &gen);
	struct ls_zone_ctl ctl = { .switch_at = LS_TIME_NEVER,
				   .withdraw_at = LS_TIME_NEVER,
				   .live_gen = gen,
				   .flags = LS_CTL_HAS_LIVE };
	ls_dataplane_set_zone(dp, ls_zone_origin(z), &ctl);
	ls_dataplane_renew(dp, LS_TIME_NEVER);
	return dp;
}

static int steps(int argc, char **argv)
{
	static const char *const names[NCUTS] = { "headers", "parse", "zone+ctl", "clock+decide",
						  "answer",  "store", "whole" };
	struct ls_dataplane *dp[NCUTS] = { 0 };
	const char *zone_path = NULL;
	long runs = 20000;
	struct ls_zone *z;
	int err = 1;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--zone") == 0)
			zone_path = argv[i + 1];
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atol(argv[i + 1]);
	}
	if (!zone_path || !(z = load_zone(zone_path)) || runs <= 0)
		return 2;
	for (int k = 0; k < NCUTS; k++) {
		dp[k] = open_cut(z, k + 1 < NCUTS ? (uint32_t)(k + 1) : LS_CUT_NONE);
		if (!dp[k]) {
			err = 77;
			goto free_dp;
		}
	}
	printf("| query | no-op |");
	for (int k = 0; k < NCUTS; k++)
		printf(" %s |", names[k]);
	printf("\n|---|---|");
	for (int k = 0; k < NCUTS; k++)
		printf("---|");
	printf("\n");
	double mean[NCUTS + 1] = { 0 };
	size_t nmix = sizeof(steps_mix) / sizeof(steps_mix[0]);
	for (size_t m = 0; m < nmix; m++) {
		uint8_t in[512], out[4096];
		size_t len = mkpacket(in, steps_mix[m].name, steps_mix[m].qtype);
		uint64_t t[NCUTS + 1] = { 0 };
		for (long r = 0; r < runs; r++) {
			for (int k = 0; k <= NCUTS; k++) {
				LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
					    .data_size_in = (__u32)len, .data_out = out,
					    .data_size_out = sizeof(out), .repeat = 1);
				int fd = k == 0 ? ls_dataplane_noop_fd(dp[0]) :
						  ls_dataplane_prog_fd(dp[k - 1]);
				if (bpf_prog_test_run_opts(fd, &o) < 0)
					goto free_dp;
				t[k] += o.duration;
			}
		}
		printf("| %s |", steps_mix[m].what);
		for (int k = 0; k <= NCUTS; k++) {
			double ns = (double)t[k] / (double)runs;
			mean[k] += ns / (double)nmix;
			printf(" %.1f |", ns);
		}
		printf("\n");
	}
	printf("| mean |");
	for (int k = 0; k <= NCUTS; k++)
		printf(" %.1f |", mean[k]);
	printf("\n| step adds |  |");
	for (int k = 1; k <= NCUTS; k++)
		printf(" %.1f |", mean[k] - mean[k - 1]);
	printf("\n");
	err = 0;
free_dp:
	for (int k = 0; k < NCUTS; k++)
		ls_dataplane_shutdown(dp[k]);
	ls_zone_free(z);
	return err;
}

static int memory(int argc, char **argv)
{
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE, .pin_dir = "" };
	struct ls_dataplane *dp = NULL;
	struct ls_zone *z;
	struct ls_compiled *c;
	struct timespec t0, t1;

	if (argc < 4 || !(z = load_zone(argv[3])))
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ls_compile_zone(z, 1, &c) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* exactly one generation's worth: what a name costs */
	o.answers_max = c->n;
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		o.bodies_max[k] = c->per_class[k] ? c->per_class[k] : 1;
	if (ls_dataplane_open(&o, &dp) < 0)
		return 77;
	size_t left;
	c->gen = ls_dataplane_new_gen(dp);
	for (size_t i = 0; i < c->n; i++)
		c->keys[i].gen = c->gen;
	ls_dataplane_load(dp, c, &left);
	size_t names = ls_zone_node_count(z), mem = ls_dataplane_map_memory(dp);
	printf("nodes %zu entries %zu bodies %zu (per class %zu %zu %zu %zu) left_out %zu\n", names,
	       c->n, c->nbodies, c->per_class[0], c->per_class[1], c->per_class[2], c->per_class[3],
	       left);
	printf("compile_s %.2f map_bytes %zu bytes_per_node %.1f zone_bytes %zu\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, mem,
	       (double)mem / (double)names, ls_zone_memory(z));
	ls_compiled_free(c);
	ls_dataplane_shutdown(dp);
	ls_zone_free(z);
	return 0;
}

/* Attach the no-op program to @argv[3]: a veth peer needs one for XDP_TX
 * frames to reach it. The attachment outlives this process. */
static int attach_pass(int argc, char **argv)
{
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE, .pin_dir = "" };
	struct ls_dataplane *dp = NULL;

	if (argc < 4)
		return 2;
	if (ls_dataplane_open(&o, &dp) < 0)
		return 77;
	int ifindex = (int)if_nametoindex(argv[3]);
	int err = ifindex ? bpf_xdp_attach(ifindex, ls_dataplane_noop_fd(dp), XDP_FLAGS_DRV_MODE,
					   NULL) :
			    -ENODEV;
	ls_dataplane_free(dp);
	if (err)
		fprintf(stderr, "bench_xdp: attach-pass %s: %s\n", argv[3], strerror(-err));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	ls_log_set_level(LS_LOG_WARNING);
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return serve(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "testrun") == 0)
		return testrun(argc, argv);
	if (argc > 1 && strcmp(argv[1], "steps") == 0)
		return steps(argc, argv);
	if (argc > 1 && strcmp(argv[1], "attach-pass") == 0)
		return attach_pass(argc, argv);
	if (argc > 1 && strcmp(argv[1], "memory") == 0)
		return memory(argc, argv);
	fprintf(stderr, "usage: bench_xdp serve|testrun|steps|attach-pass|memory ...\n");
	return 2;
}
#endif /* LOCKSTEP_HAVE_BPF */
