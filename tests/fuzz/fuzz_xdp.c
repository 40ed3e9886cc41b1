/* SPDX-License-Identifier: MIT */
/*
 * fuzz_xdp.c — arbitrary DNS messages through the XDP program.
 *
 * Owns: one libFuzzer target over ebpf/lockstep.bpf.c run with
 * BPF_PROG_TEST_RUN. At start it loads the program (agent/dataplane.c, no
 * pinning, as tests/bpf/test_xdp.c does) and compiles the zones of
 * tests/data/engine (unsigned, NSEC, NSEC3) into three generations. Per
 * input, octet 0 picks the family, the zone's generation and a frame
 * variant (plain UDP, TCP, a first fragment, IPv4 options or an IPv6
 * destination options header, another port); octet 1 the client's source port; the rest is the
 * DNS message. Invariants checked (abort on violation):
 *  - XDP_TX only for plain UDP to the shared address and port, and then the
 *    frame is well-formed (MACs and addresses swapped, lengths consistent,
 *    IPv4 header and UDP checksums verify) and its DNS payload is
 *    byte-identical to ls_engine_respond()'s response to the same query;
 *  - otherwise XDP_PASS with the frame untouched (the fixture never makes a
 *    zone silent, so XDP_DROP is a finding too).
 * Without root or BPF it prints "SKIP" and exits 77 from
 * LLVMFuzzerInitialize, which tests/fuzz/run.sh and CTest (SKIP_RETURN_CODE)
 * report as skipped, never as passed.
 * Must not: keep state between inputs other than the tables loaded once
 * (the control entry is rewritten for each input).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/compile.h"
#include "agent/dataplane.h"
#include "agent/engine.h"
#include "common/config.h"
#include "common/dname.h"
#include "common/zone.h"
#include "common/zonefile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PKTMAX 4096
#define DNSMAX 1400 /* a query fits one Ethernet frame */
#define NZONES 3

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };
static uint8_t shared4[4], client4[4], shared6[16], client6[16];

static struct ls_dataplane *dp;
static struct ls_zone *zones[NZONES];
static uint32_t gens[NZONES];
static const struct ls_zone *cur_zone;
static bool verbose; /* LS_FUZZ_XDP_VERBOSE=1: one line per input */
static uint64_t stats_prev[LS_STAT_MAX];

/*
 * libFuzzer sees only userspace coverage; the program's own branches are
 * invisible to it. The outcome counter that moved (answered, passed for
 * which reason) is the program's coverage as far as we can see it: feed
 * it back as extra counters so inputs reaching a new outcome are kept.
 */
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t
	outcome_seen[LS_STAT_MAX * NZONES * 2];

enum variant { V_PLAIN, V_TCP, V_FRAG, V_IPOPT, V_V6EXT, V_PORT, V_MAX };

/* A finding: say which invariant broke, then crash so libFuzzer saves it. */
#define check(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz_xdp: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                             \
		}                                                                            \
	} while (0)

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4/IPv6 + UDP (or TCP-numbered) around @dns; returns its length. */
static size_t wrap(uint8_t *f, const uint8_t *dns, size_t dlen, bool v6, enum variant var,
		   uint16_t sport)
{
	uint8_t *ip = f + 14;
	size_t l3;

	memset(f, 0, 14 + 60 + 8);
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	if (!v6) {
		size_t opt = var == V_IPOPT ? 4 : 0;
		ip[0] = (uint8_t)(0x40 | (5 + opt / 4));
		put16(ip + 2, 20 + opt + 8 + dlen);
		ip[6] = var == V_FRAG ? 0x20 : 0x40;
		ip[8] = 64;
		ip[9] = var == V_TCP ? 6 : 17;
		memcpy(ip + 12, client4, 4);
		memcpy(ip + 16, shared4, 4);
		if (opt)
			ip[20] = 1, ip[21] = 1, ip[22] = 1, ip[23] = 0;
		put16(ip + 10, fold(sum16(ip, 20 + opt, 0)));
		l3 = 20 + opt;
	} else {
		size_t ext = var == V_V6EXT || var == V_FRAG ? 8 : 0;
		ip[0] = 0x60;
		put16(ip + 4, ext + 8 + dlen);
		ip[6] = var == V_V6EXT ? 60 : var == V_FRAG ? 44 : var == V_TCP ? 6 : 17;
		ip[7] = 64;
		memcpy(ip + 8, client6, 16);
		memcpy(ip + 24, shared6, 16);
		if (var == V_V6EXT) /* destination options: PadN, then UDP */
			ip[40] = 17, ip[41] = 0, ip[42] = 1, ip[43] = 4;
		else if (var == V_FRAG) /* fragment header: offset 0, M set */
			ip[40] = 17, ip[41] = 0, ip[42] = 0, ip[43] = 1, ip[47] = 7;
		l3 = 40 + ext;
	}
	uint8_t *u = ip + l3;
	put16(u, sport);
	put16(u + 2, var == V_PORT ? 54 : 53);
	put16(u + 4, 8 + dlen);
	memcpy(u + 8, dns, dlen);
	/* a real client's UDP checksum, so the frame is what a NIC would hand over */
	uint32_t ph = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
	uint16_t c = fold(sum16(u, 8 + dlen, ph + 17 + (uint32_t)(8 + dlen)));
	put16(u + 6, c ? c : 0xffff);
	return 14 + l3 + 8 + dlen;
}

/* The response frame's headers and checksums; returns its DNS payload. */
static const uint8_t *unwrap(const uint8_t *f, size_t len, bool v6, uint16_t sport, size_t *dlen)
{
	const uint8_t *ip = f + 14, *u;
	size_t ul;

	check(len >= 14 + (v6 ? 40u : 20u) + 8 + 12);
	check(!memcmp(f, mac_b, 6) && !memcmp(f + 6, mac_a, 6));
	check(f[12] == (v6 ? 0x86 : 0x08) && f[13] == (v6 ? 0xdd : 0x00));
	if (!v6) {
		check(ip[0] == 0x45);
		check((ip[6] & 0x3f) == 0 && ip[7] == 0); /* not a fragment */
		check((ip[6] & 0x40) == 0); /* DF clear, RFC 3258 §2.5 */
		check(ip[9] == 17);
		check(fold(sum16(ip, 20, 0)) == 0);
		check(!memcmp(ip + 12, shared4, 4) && !memcmp(ip + 16, client4, 4));
		size_t tot = (size_t)(ip[2] << 8 | ip[3]);
		check(tot + 14 == len);
		u = ip + 20;
		ul = (size_t)(u[4] << 8 | u[5]);
		check(ul == tot - 20);
		check(u[6] || u[7]);
		check(fold(sum16(u, ul, sum16(ip + 12, 8, 0) + 17 + (uint32_t)ul)) == 0);
	} else {
		check((ip[0] >> 4) == 6);
		check(ip[6] == 17);
		check(!memcmp(ip + 8, shared6, 16) && !memcmp(ip + 24, client6, 16));
		ul = (size_t)(ip[4] << 8 | ip[5]);
		check(ul + 54 == len);
		u = ip + 40;
		check((size_t)(u[4] << 8 | u[5]) == ul);
		check(u[6] || u[7]); /* zero is forbidden over IPv6 */
		check(fold(sum16(u, ul, sum16(ip + 8, 32, 0) + 17 + (uint32_t)ul)) == 0);
	}
	check((u[0] << 8 | u[1]) == 53 && (u[2] << 8 | u[3]) == sport);
	*dlen = ul - 8;
	return u + 8;
}

static const struct ls_zone *lookup(void *ctx, const uint8_t *q, bool *silent)
{
	(void)ctx;
	*silent = false;
	return ls_dname_is_sub(q, ls_zone_origin(cur_zone)) ? cur_zone : NULL;
}

static void skip(const char *why, int err)
{
	fprintf(stderr, "SKIP: fuzz_xdp: %s: %s\n", why, strerror(err < 0 ? -err : err));
	ls_dataplane_shutdown(dp);
	for (int i = 0; i < NZONES; i++)
		ls_zone_free(zones[i]);
	exit(77);
}

static int put_gen(struct ls_zone *z, uint32_t *gen)
{
	struct ls_compiled *c;
	size_t left;
	int err;

	*gen = ls_dataplane_new_gen(dp);
	err = ls_compile_zone(z, *gen, &c);
	if (err)
		return err;
	err = ls_dataplane_load(dp, c, &left);
	ls_compiled_free(c);
	return err ? err : (left ? -ENOSPC : 0);
}

static void set_live(int i)
{
	struct ls_zone_ctl ctl = { .switch_at = LS_TIME_NEVER,
				   .withdraw_at = LS_TIME_NEVER,
				   .live_gen = gens[i],
				   .flags = LS_CTL_HAS_LIVE | (i ? LS_CTL_LIVE_SIGNED : 0),
				   .zone_id = 1 };

	check(ls_dataplane_set_zone(dp, ls_zone_origin(zones[i]), &ctl) == 0);
	cur_zone = zones[i];
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const files[NZONES] = { "example.zone", "example.nsec.zone",
						   "example.nsec3.zone" };
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE,
				       .pin_dir = "",
				       .answers_max = 1u << 16,
				       .bodies_max = { 1u << 14, 1u << 13, 1u << 11, 1u << 9 } };
	static const uint8_t mixed[] = "\3WwW\7ExAmPlE";
	struct sockaddr_storage ss;
	char dir[512], path[640];
	int err;

	(void)argc;
	(void)argv;
	inet_pton(AF_INET, "192.0.2.53", shared4);
	inet_pton(AF_INET, "198.51.100.7", client4);
	inet_pton(AF_INET6, "2001:db8::53", shared6);
	inet_pton(AF_INET6, "2001:db8:1::7", client6);
	if (geteuid() != 0)
		skip("needs root for BPF", EPERM);
	err = ls_dataplane_open(&o, &dp);
	if (err)
		skip("cannot load the XDP program", err);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET;
	memcpy(&((struct sockaddr_in *)&ss)->sin_addr, shared4, 4);
	check(ls_dataplane_add_addr(dp, &ss) == 0);
	ss.ss_family = AF_INET6;
	memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, shared6, 16);
	check(ls_dataplane_add_addr(dp, &ss) == 0);

	/* the zones live beside the tests: tests/fuzz/../data/engine */
	snprintf(dir, sizeof(dir), "%s", __FILE__);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	for (int i = 0; i < NZONES; i++) {
		snprintf(path, sizeof(path), "%s/../data/engine/%s", dir, files[i]);
		check(ls_zonefile_load(path, NULL, NULL, &zones[i], NULL) == 0);
		err = put_gen(zones[i], &gens[i]);
		if (err)
			skip("cannot load the tables", err);
	}
	/* mixed-case queries in XDP only if the engine echoes case alone */
	ls_dataplane_set_casefold(dp, ls_compile_casefold_ok(zones[0], mixed));
	ls_dataplane_renew(dp, LS_TIME_NEVER);
	set_live(0);
	check(ls_dataplane_stats(dp, stats_prev) == 0);
	verbose = getenv("LS_FUZZ_XDP_VERBOSE") != NULL;
	return 0;
}

static void note_outcome(int zi, bool v6, uint32_t verdict, enum variant var)
{
	uint64_t now[LS_STAT_MAX];

	check(ls_dataplane_stats(dp, now) == 0);
	for (int s = 0; s < LS_STAT_MAX; s++) {
		if (now[s] == stats_prev[s])
			continue;
		outcome_seen[(zi * 2 + v6) * LS_STAT_MAX + s]++;
		if (verbose)
			fprintf(stderr, "fuzz_xdp: zone %d v6 %d variant %d: verdict %u, %s\n", zi,
				v6, var, verdict, ls_dataplane_stat_name((enum ls_stat)s));
	}
	memcpy(stats_prev, now, sizeof(now));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t in[PKTMAX], out[PKTMAX], resp[PKTMAX];

	if (size < 2)
		return 0;
	bool v6 = data[0] & 1;
	int zi = (data[0] >> 1 & 3) % NZONES;
	/* mostly plain UDP: the other variants must always pass */
	enum variant var = (data[0] >> 3) < 24 ? V_PLAIN : (enum variant)((data[0] >> 3) % V_MAX);
	uint16_t sport = (uint16_t)(1024 + data[1] * 211);
	const uint8_t *dns = data + 2;
	size_t dlen = size - 2 > DNSMAX ? DNSMAX : size - 2;

	if (var == V_V6EXT && !v6)
		var = V_IPOPT;
	if (var == V_IPOPT && v6)
		var = V_V6EXT;
	if (cur_zone != zones[zi])
		set_live(zi);
	size_t len = wrap(in, dns, dlen, v6, var, sport);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	check(bpf_prog_test_run_opts(ls_dataplane_prog_fd(dp), &o) == 0);
	note_outcome(zi, v6, o.retval, var);
	switch (o.retval) {
	case XDP_TX: {
		check(var == V_PLAIN);
		size_t rlen;
		const uint8_t *r = unwrap(out, o.data_size_out, v6, sport, &rlen);
		int n = ls_engine_respond(dns, dlen, LS_ENGINE_UDP, lookup, NULL, resp,
					  sizeof(resp), NULL);
		if (n != (int)rlen || memcmp(r, resp, rlen) != 0) {
			fprintf(stderr, "fuzz_xdp: XDP answered %zu octets, engine %d:\n", rlen, n);
			for (size_t k = 0; k < rlen; k++)
				fprintf(stderr, "%02x%s", r[k], k % 32 == 31 ? "\n" : " ");
			fprintf(stderr, "\n");
			for (int k = 0; k < n; k++)
				fprintf(stderr, "%02x%s", resp[k], k % 32 == 31 ? "\n" : " ");
			fprintf(stderr, "\n");
			abort();
		}
		break;
	}
	case XDP_PASS:
		check(o.data_size_out == len && memcmp(out, in, len) == 0);
		break;
	default:
		fprintf(stderr, "fuzz_xdp: verdict %u\n", o.retval);
		abort();
	}
	return 0;
}
