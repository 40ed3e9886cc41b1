/* SPDX-License-Identifier: MIT */
/*
 * test_xdp.c — the XDP program through BPF_PROG_TEST_RUN, with tables the
 * agent's compiler (agent/compile.c) built from real zones and loaded with
 * agent/dataplane.c.
 *
 * Owns: packet tables in the style of katran's fixtures — {description,
 * input packet, expected verdict, expected output} — for every outcome the
 * program counts; the byte-identity check (wherever XDP answers, its DNS
 * payload equals ls_engine_respond()'s response to the same query, and
 * its IPv4 and UDP checksums are right) over the engine's differential
 * corpus when LS_XDP_CORPUS names one; the time rule through the control
 * entry (live, next, withdrawn, not ready, lease); mixed case.
 * Needs root and BPF: exits 77 (skipped) without them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/compile.h"
#include "agent/dataplane.h"
#include "agent/engine.h"
#include "common/dname.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/zonefile.h"
#include "agent/zoneset.h"
#include "common/config.h"

#define SHARED4 "192.0.2.53"
#define SHARED6 "2001:db8::53"
#define CLIENT4 "198.51.100.7"
#define CLIENT6 "2001:db8:1::7"
#define PKTMAX 4096

static struct ls_dataplane *dp;
static struct ls_zone *zone; /* tests/data/engine/example.zone */
static struct ls_zone *zone_nsec; /* its signed variant */
static const uint8_t *origin;
static uint32_t gen_live, gen_next;
static struct ls_zone *next_zone; /* a second generation: an A record changed */

static uint64_t tai_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- packets ----------------------------------------------------------- */

struct pkt {
	uint8_t b[PKTMAX];
	size_t len;
};

static uint16_t csum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t sum16(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	return s;
}

enum variant {
	V_PLAIN = 0,
	V_TCP,
	V_FRAG,
	V_IPOPT,
	V_V6EXT,
	V_OTHER_ADDR,
	V_OTHER_PORT,
};

/* Wrap @dns in Ethernet, IP (v4 or v6) and UDP headers with right checksums. */
static void wrap(struct pkt *p, const uint8_t *dns, size_t dlen, bool v6, enum variant var)
{
	uint8_t *e = p->b;
	size_t l3 = v6 ? 40 : 20, opt = 0, ext = 0;

	memset(p->b, 0, sizeof(p->b));
	memcpy(e, "\x02\x00\x00\x00\x00\x01", 6); /* dst */
	memcpy(e + 6, "\x02\x00\x00\x00\x00\x02", 6); /* src */
	e[12] = v6 ? 0x86 : 0x08;
	e[13] = v6 ? 0xdd : 0x00;
	uint8_t *ip = e + 14;
	if (!v6) {
		opt = var == V_IPOPT ? 4 : 0;
		ip[0] = (uint8_t)(0x40 | (5 + opt / 4));
		size_t tot = 20 + opt + 8 + dlen;
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[6] = var == V_FRAG ? 0x20 : 0x40; /* MF, or DF as Linux sends */
		ip[8] = 64;
		ip[9] = var == V_TCP ? 6 : 17;
		inet_pton(AF_INET, CLIENT4, ip + 12);
		inet_pton(AF_INET, var == V_OTHER_ADDR ? "192.0.2.99" : SHARED4, ip + 16);
		if (opt)
			ip[20] = 1, ip[21] = 1, ip[22] = 1, ip[23] = 0; /* NOPs, EOL */
		uint16_t c = csum16(ip, 20 + opt, 0);
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		l3 = 20 + opt;
	} else {
		ext = var == V_V6EXT ? 8 : 0;
		ip[0] = 0x60;
		size_t pl = ext + 8 + dlen;
		ip[4] = (uint8_t)(pl >> 8);
		ip[5] = (uint8_t)pl;
		ip[6] = var == V_V6EXT ? 60 : (var == V_TCP ? 6 : 17);
		ip[7] = 64;
		inet_pton(AF_INET6, CLIENT6, ip + 8);
		inet_pton(AF_INET6, var == V_OTHER_ADDR ? "2001:db8::99" : SHARED6, ip + 24);
		if (ext) {
			ip[40] = 17; /* destination options, then UDP */
			ip[41] = 0;
			ip[42] = 1; /* PadN */
			ip[43] = 4;
		}
		l3 = 40 + ext;
	}
	uint8_t *u = ip + l3;
	u[0] = 0x9c; /* source port 40000 */
	u[1] = 0x40;
	u[2] = 0;
	u[3] = var == V_OTHER_PORT ? 54 : 53;
	size_t ul = 8 + dlen;
	u[4] = (uint8_t)(ul >> 8);
	u[5] = (uint8_t)ul;
	memcpy(u + 8, dns, dlen);
	p->len = 14 + l3 + ul;
}

/* Check the response's IP and UDP headers and checksums; returns its DNS payload. */
static const uint8_t *unwrap(const struct pkt *p, bool v6, size_t *dlen)
{
	const uint8_t *ip = p->b + 14;

	assert_memory_equal(p->b, "\x02\x00\x00\x00\x00\x02", 6); /* MACs swapped */
	assert_memory_equal(p->b + 6, "\x02\x00\x00\x00\x00\x01", 6);
	if (!v6) {
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(ip[6] & 0x40, 0); /* DF clear, RFC 3258 §2.5 */
		assert_int_equal(ip[8], 64);
		assert_int_equal(csum16(ip, 20, 0), 0);
		uint8_t a[4];
		inet_pton(AF_INET, SHARED4, a);
		assert_memory_equal(ip + 12, a, 4);
		size_t tot = (size_t)(ip[2] << 8 | ip[3]);
		assert_int_equal(tot + 14, p->len);
		const uint8_t *u = ip + 20;
		size_t ul = (size_t)(u[4] << 8 | u[5]);
		assert_int_equal(ul, tot - 20);
		assert_int_equal(u[0] << 8 | u[1], 53);
		assert_int_equal(u[2] << 8 | u[3], 40000);
		assert_true(u[6] || u[7]); /* computed, never zero */
		uint32_t ph = sum16(ip + 12, 8) + 17 + (uint32_t)ul;
		assert_int_equal(csum16(u, ul, ph), 0);
		*dlen = ul - 8;
		return u + 8;
	}
	assert_int_equal(ip[7], 64);
	uint8_t a[16];
	inet_pton(AF_INET6, SHARED6, a);
	assert_memory_equal(ip + 8, a, 16);
	size_t pl = (size_t)(ip[4] << 8 | ip[5]);
	assert_int_equal(pl + 54, p->len);
	const uint8_t *u = ip + 40;
	assert_true(u[6] || u[7]);
	uint32_t ph = sum16(ip + 8, 32) + 17 + (uint32_t)pl;
	assert_int_equal(csum16(u, pl, ph), 0);
	*dlen = pl - 8;
	return u + 8;
}

static size_t dns_query(uint8_t *q, const char *name, uint16_t qtype, int edns, bool dnssec,
			uint16_t id)
{
	uint8_t wire[LS_DNAME_MAXLEN];
	int n = ls_dname_from_str(wire, name, NULL);
	size_t p = 12;

	assert_true(n > 0);
	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* RD, which the engine echoes */
	q[5] = 1;
	q[11] = edns >= 0 ? 1 : 0;
	memcpy(q + p, wire, (size_t)n);
	p += (size_t)n;
	q[p++] = (uint8_t)(qtype >> 8);
	q[p++] = (uint8_t)qtype;
	q[p++] = 0;
	q[p++] = 1;
	if (edns >= 0) {
		const uint8_t opt[11] = {
			0, 0, 41, (uint8_t)(edns >> 8), (uint8_t)edns, 0, 0, dnssec ? 0x80 : 0,
			0, 0, 0
		};
		memcpy(q + p, opt, 11);
		p += 11;
	}
	return p;
}

static int run(const struct pkt *in, struct pkt *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = (__u32)in->len,
		    .data_out = out->b, .data_size_out = sizeof(out->b), .repeat = 1);
	int err = bpf_prog_test_run_opts(ls_dataplane_prog_fd(dp), &o);

	assert_int_equal(err, 0);
	out->len = o.data_size_out;
	return (int)o.retval;
}

/* The slow path's view: the engine over the zone the control entry says answers. */
static const struct ls_zone *cur_zone;

static const struct ls_zone *lookup_cur(void *ctx, const uint8_t *q, bool *silent)
{
	*silent = false;
	return cur_zone && ls_dname_is_sub(q, ls_zone_origin(cur_zone)) ? cur_zone : NULL;
}

static int engine(const uint8_t *q, size_t qlen, uint8_t *r)
{
	return ls_engine_respond(q, qlen, LS_ENGINE_UDP, lookup_cur, NULL, r, PKTMAX, NULL);
}

/* ---- fixtures ---------------------------------------------------------- */

static struct ls_zone *load(const char *file)
{
	char path[512];
	struct ls_zone *z = NULL;

	snprintf(path, sizeof(path), "%s/%s", LS_TEST_DATA, file);
	if (ls_zonefile_load(path, NULL, NULL, &z, NULL) < 0)
		return NULL;
	return z;
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

static void set_ctl(const uint8_t *org, uint32_t live, uint32_t next, uint64_t t, uint64_t wd,
		    uint32_t flags)
{
	struct ls_zone_ctl ctl = { .switch_at = t,
				   .withdraw_at = wd,
				   .live_gen = live,
				   .next_gen = next,
				   .flags = flags,
				   .zone_id = 1 };
	assert_int_equal(ls_dataplane_set_zone(dp, org, &ctl), 0);
}

static void serve_live(void)
{
	set_ctl(origin, gen_live, 0, LS_TIME_NEVER, LS_TIME_NEVER, LS_CTL_HAS_LIVE);
	cur_zone = zone;
}

static int setup(void **state)
{
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE,
				       .pin_dir = "",
				       .answers_max = 1u << 19,
				       .bodies_max = { 1u << 16, 1u << 15, 1u << 13, 1u << 11 } };
	struct sockaddr_storage ss;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root for BPF\n");
		exit(77);
	}
	int err = ls_dataplane_open(&o, &dp);
	if (err) {
		fprintf(stderr, "SKIP: cannot load the XDP program: %s\n", strerror(-err));
		exit(77);
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET;
	inet_pton(AF_INET, SHARED4, &((struct sockaddr_in *)&ss)->sin_addr);
	assert_int_equal(ls_dataplane_add_addr(dp, &ss), 0);
	ss.ss_family = AF_INET6;
	inet_pton(AF_INET6, SHARED6, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	assert_int_equal(ls_dataplane_add_addr(dp, &ss), 0);

	zone = load("engine/example.zone");
	zone_nsec = load("engine/example.nsec.zone");
	assert_non_null(zone);
	assert_non_null(zone_nsec);
	origin = ls_zone_origin(zone);
	assert_int_equal(put_gen(zone, &gen_live), 0);

	/* the next generation: www's A record changed, serial up */
	const char *next_text = "$ORIGIN example.\n$TTL 3600\n"
				"@ SOA ns1 hostmaster 2026112202 7200 3600 1209600 300\n"
				"@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.81\n";
	assert_int_equal(ls_zonefile_load_string(next_text, strlen(next_text), "next", origin, NULL,
						 &next_zone, NULL),
			 0);
	assert_int_equal(put_gen(next_zone, &gen_next), 0);
	ls_dataplane_set_casefold(dp,
				  ls_compile_casefold_ok(zone, (const uint8_t *)"\3WwW\7ExAmPlE"));
	ls_dataplane_renew(dp, LS_TIME_NEVER);
	serve_live();
	(void)state;
	return 0;
}

static int teardown(void **state)
{
	ls_dataplane_shutdown(dp);
	ls_zone_free(zone);
	ls_zone_free(zone_nsec);
	ls_zone_free(next_zone);
	(void)state;
	return 0;
}

/* ---- the packet table --------------------------------------------------- */

enum expect {
	ANSWER, /* XDP_TX, payload == engine's response */
	ANSWER_TC, /* as ANSWER, and TC is set */
	PASS, /* XDP_PASS, packet untouched */
	DROP, /* XDP_DROP */
};

struct fixture {
	const char *desc;
	const char *name;
	uint16_t qtype;
	int edns; /* -1: none */
	bool dnssec;
	bool v6;
	enum variant var;
	uint16_t flags_or; /* extra header flag bits */
	int tweak; /* 1: ancount 1, 2: qdcount 2, 3: OPT option, 4: EDNS version 1, 5: class CH,
		      6: trailing octet, 7: COOKIE, 8: malformed option */
	enum expect expect;
	enum ls_stat stat; /* the counter that must move */
};

static const struct fixture table[] = {
	{ "positive A, IPv4, EDNS", "www.example.", 1, 1232, 0, 0, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "positive AAAA, IPv6, no EDNS", "www.example.", 28, -1, 0, 1, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "apex MX with additional", "example.", 15, 4096, 0, 0, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "apex SOA, DO set on an unsigned zone", "example.", 6, 1232, 1, 1, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "NODATA", "www.example.", 16, 1232, 0, 0, V_PLAIN, 0, 0, ANSWER, LS_STAT_ANSWERED },
	{ "NODATA, IPv6, no EDNS, mixed case", "MaIl.ExAmPlE.", 28, -1, 0, 1, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "NODATA at an empty non-terminal", "b.ent.example.", 1, -1, 0, 0, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "NXDOMAIN", "nope.example.", 1, 1232, 0, 0, V_PLAIN, 0, 0, ANSWER, LS_STAT_ANSWERED },
	{ "NXDOMAIN two labels below", "x.y.nope.example.", 28, -1, 0, 1, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "referral at the cut", "sub.example.", 1, 1232, 0, 0, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "referral below the cut", "www.deep.sub.example.", 1, 1232, 0, 1, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "referral for glue", "ns.sub.example.", 1, -1, 0, 0, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "wildcard synthesis", "anything.wild.example.", 16, 1232, 0, 0, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "wildcard NODATA", "a.b.wild.example.", 15, 1232, 0, 0, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "wildcard CNAME", "foo.wc.example.", 1, 1232, 0, 1, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "CNAME chain", "alias2.example.", 1, -1, 0, 0, V_PLAIN, 0, 0, ANSWER, LS_STAT_ANSWERED },
	{ "CNAME to NODATA", "alias.example.", 16, 1232, 0, 0, V_PLAIN, 0, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "RD and CD echoed", "mail.example.", 1, 1232, 0, 0, V_PLAIN, 0x0010, 0, ANSWER,
	  LS_STAT_ANSWERED },
	{ "TCP", "www.example.", 1, 1232, 0, 0, V_TCP, 0, 0, PASS, LS_STAT_PASS_TCP },
	{ "IPv4 fragment", "www.example.", 1, 1232, 0, 0, V_FRAG, 0, 0, PASS,
	  LS_STAT_PASS_FRAGMENT },
	{ "IPv4 options", "www.example.", 1, 1232, 0, 0, V_IPOPT, 0, 0, PASS,
	  LS_STAT_PASS_IP_OPTIONS },
	{ "IPv6 extension header", "www.example.", 1, 1232, 0, 1, V_V6EXT, 0, 0, PASS,
	  LS_STAT_PASS_IP_OPTIONS },
	{ "not a shared address", "www.example.", 1, 1232, 0, 0, V_OTHER_ADDR, 0, 0, PASS,
	  LS_STAT_PASS_OTHER },
	{ "not the service port", "www.example.", 1, 1232, 0, 1, V_OTHER_PORT, 0, 0, PASS,
	  LS_STAT_PASS_OTHER },
	{ "opcode NOTIFY", "example.", 6, -1, 0, 0, V_PLAIN, 4 << 11, 0, PASS,
	  LS_STAT_PASS_HEADER },
	{ "a response (QR)", "example.", 6, -1, 0, 0, V_PLAIN, 0x8000, 0, PASS,
	  LS_STAT_PASS_HEADER },
	{ "ANCOUNT 1", "example.", 6, -1, 0, 0, V_PLAIN, 0, 1, PASS, LS_STAT_PASS_HEADER },
	{ "QDCOUNT 2", "example.", 6, -1, 0, 0, V_PLAIN, 0, 2, PASS, LS_STAT_PASS_HEADER },
	{ "EDNS option (NSID), ignored as the engine does", "example.", 6, 1232, 0, 0, V_PLAIN, 0,
	  3, ANSWER, LS_STAT_ANSWERED },
	{ "EDNS COOKIE option", "mail.example.", 1, 1232, 1, 1, V_PLAIN, 0, 7, ANSWER,
	  LS_STAT_ANSWERED },
	{ "malformed EDNS option", "example.", 6, 1232, 0, 0, V_PLAIN, 0, 8, PASS,
	  LS_STAT_PASS_EDNS },
	{ "EDNS version 1", "example.", 6, 1232, 0, 0, V_PLAIN, 0, 4, PASS, LS_STAT_PASS_EDNS },
	{ "class CH", "example.", 6, -1, 0, 0, V_PLAIN, 0, 5, PASS, LS_STAT_PASS_QTYPE },
	{ "trailing octet", "example.", 6, -1, 0, 0, V_PLAIN, 0, 6, PASS, LS_STAT_PASS_MALFORMED },
	{ "qtype ANY", "www.example.", 255, 1232, 0, 0, V_PLAIN, 0, 0, PASS, LS_STAT_PASS_QTYPE },
	{ "qtype DS", "sec.example.", 43, 1232, 0, 0, V_PLAIN, 0, 0, PASS, LS_STAT_PASS_QTYPE },
	{ "qtype AXFR", "example.", 252, -1, 0, 0, V_PLAIN, 0, 0, PASS, LS_STAT_PASS_QTYPE },
	{ "no zone", "www.example.org.", 1, 1232, 0, 0, V_PLAIN, 0, 0, PASS, LS_STAT_PASS_NO_ZONE },
	{ "below a DNAME: name-dependent", "x.y.dn.example.", 1, 1232, 0, 0, V_PLAIN, 0, 0, PASS,
	  LS_STAT_PASS_NOT_IN_TABLE },
	{ "name over the table's length",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.",
	  1, 1232, 0, 0, V_PLAIN, 0, 0, PASS, LS_STAT_PASS_QNAME },
};

static void apply_tweak(uint8_t *q, size_t *qlen, int tweak)
{
	switch (tweak) {
	case 1:
		q[7] = 1;
		break;
	case 2:
		q[5] = 2;
		break;
	case 3: /* NSID option, empty */
		q[*qlen - 1] = 4;
		q[(*qlen)++] = 0;
		q[(*qlen)++] = 3;
		q[(*qlen)++] = 0;
		q[(*qlen)++] = 0;
		break;
	case 4:
		q[*qlen - 5] = 1;
		break;
	case 5: {
		size_t at = *qlen - 1; /* no EDNS: class is the last octet */
		q[at] = 3;
		break;
	}
	case 6:
		q[(*qlen)++] = 0;
		break;
	case 7: /* COOKIE, client cookie only (8 octets) */
		q[*qlen - 1] = 12;
		q[(*qlen)++] = 0;
		q[(*qlen)++] = 10;
		q[(*qlen)++] = 0;
		q[(*qlen)++] = 8;
		for (int i = 0; i < 8; i++)
			q[(*qlen)++] = (uint8_t)(0xa0 + i);
		break;
	case 8: /* an option whose length runs past the OPT */
		q[*qlen - 1] = 4;
		q[(*qlen)++] = 0;
		q[(*qlen)++] = 3;
		q[(*qlen)++] = 0;
		q[(*qlen)++] = 9;
		break;
	}
}

static void test_packet_table(void **state)
{
	uint64_t before[LS_STAT_MAX], after[LS_STAT_MAX];

	serve_live();
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct fixture *f = &table[i];
		uint8_t q[600], r[PKTMAX];
		struct pkt in, out;
		size_t qlen =
			dns_query(q, f->name, f->qtype, f->edns, f->dnssec, (uint16_t)(0x1000 + i));

		q[2] |= (uint8_t)(f->flags_or >> 8);
		q[3] |= (uint8_t)f->flags_or;
		apply_tweak(q, &qlen, f->tweak);
		wrap(&in, q, qlen, f->v6, f->var);
		assert_int_equal(ls_dataplane_stats(dp, before), 0);
		int verdict = run(&in, &out);
		assert_int_equal(ls_dataplane_stats(dp, after), 0);
		print_message("  %-40s verdict %d\n", f->desc, verdict);
		assert_int_equal(after[f->stat], before[f->stat] + 1);
		switch (f->expect) {
		case ANSWER:
		case ANSWER_TC: {
			assert_int_equal(verdict, XDP_TX);
			size_t dlen;
			const uint8_t *d = unwrap(&out, f->v6, &dlen);
			int rl = engine(q, qlen, r);
			assert_true(rl > 0);
			if (dlen != (size_t)rl || memcmp(d, r, dlen)) {
				for (size_t k = 0; k < dlen; k++)
					print_message("%02x%s", d[k], k % 32 == 31 ? "\n" : " ");
				print_message("\n");
				for (int k = 0; k < rl; k++)
					print_message("%02x%s", r[k], k % 32 == 31 ? "\n" : " ");
				print_message("\n");
			}
			assert_int_equal(dlen, (size_t)rl);
			assert_memory_equal(d, r, dlen);
			break;
		}
		case PASS:
			assert_int_equal(verdict, XDP_PASS);
			assert_int_equal(out.len, in.len);
			assert_memory_equal(out.b, in.b, in.len);
			break;
		case DROP:
			assert_int_equal(verdict, XDP_DROP);
			break;
		}
	}
}

/* TC=1: a response larger than 512 octets to a query without EDNS. */
static void test_truncation(void **state)
{
	struct ls_zone *big = NULL;
	char text[8192];
	size_t n = (size_t)snprintf(
		text, sizeof(text),
		"$ORIGIN big.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "t TXT \"%040d\"\n", i);
	uint8_t borigin[LS_DNAME_MAXLEN];
	ls_dname_from_str(borigin, "big.", NULL);
	assert_int_equal(ls_zonefile_load_string(text, n, "big", borigin, NULL, &big, NULL), 0);
	uint32_t g;
	assert_int_equal(put_gen(big, &g), 0);
	set_ctl(borigin, g, 0, LS_TIME_NEVER, LS_TIME_NEVER, LS_CTL_HAS_LIVE);

	const struct {
		int edns;
		bool tc;
	} cases[] = { { -1, true }, { 512, true }, { 1232, false }, { 4096, false } };
	for (size_t i = 0; i < 4; i++) {
		uint8_t q[600], r[PKTMAX];
		struct pkt in, out;
		size_t qlen = dns_query(q, "t.big.", 16, cases[i].edns, false, 7);
		wrap(&in, q, qlen, i & 1, V_PLAIN);
		int v = run(&in, &out);
		cur_zone = big;
		int rl = engine(q, qlen, r);
		cur_zone = zone;
		assert_int_equal(v, XDP_TX);
		size_t dlen;
		const uint8_t *d = unwrap(&out, i & 1, &dlen);
		assert_int_equal(dlen, (size_t)rl);
		assert_memory_equal(d, r, dlen);
		assert_int_equal(!!(d[2] & 0x02), cases[i].tc);
	}
	ls_dataplane_remove_zone(dp, borigin);
	ls_dataplane_unload(dp, g);
	ls_zone_free(big);
}

/* Mixed case: answered, with the question echoed as sent (when the engine allows). */
static void test_mixed_case(void **state)
{
	uint8_t q[600], r[PKTMAX];
	struct pkt in, out;

	serve_live();
	assert_true(ls_compile_casefold_ok(zone, (const uint8_t *)"\3WwW\7ExAmPlE"));
	const char *names[] = { "WWW.Example.", "NoPe.EXAMPLE.", "Www.Deep.SUB.example.",
				"X.wIlD.example." };
	for (size_t i = 0; i < 4; i++) {
		size_t qlen = dns_query(q, names[i], 1, 1232, false, 99);
		wrap(&in, q, qlen, false, V_PLAIN);
		assert_int_equal(run(&in, &out), XDP_TX);
		size_t dlen;
		const uint8_t *d = unwrap(&out, false, &dlen);
		int rl = engine(q, qlen, r);
		assert_int_equal(dlen, (size_t)rl);
		assert_memory_equal(d, r, dlen);
	}
}

/* A signed zone: positive answers and referrals under DO; name-dependent denials passed. */
static void test_signed(void **state)
{
	uint32_t g;

	assert_int_equal(put_gen(zone_nsec, &g), 0);
	set_ctl(origin, g, 0, LS_TIME_NEVER, LS_TIME_NEVER, LS_CTL_HAS_LIVE | LS_CTL_LIVE_SIGNED);
	cur_zone = zone_nsec;
	const struct {
		const char *name;
		uint16_t qtype;
		bool dnssec;
		int expect;
	} cases[] = {
		{ "www.example.", 1, true, XDP_TX },   { "www.example.", 1, false, XDP_TX },
		{ "sub.example.", 1, true, XDP_TX },   { "x.sec.example.", 1, true, XDP_TX },
		{ "example.", 48, true, XDP_TX },      { "nope.example.", 1, true, XDP_PASS },
		{ "nope.example.", 1, false, XDP_TX }, { "z.wild.example.", 16, true, XDP_PASS },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t q[600], r[PKTMAX];
		struct pkt in, out;
		size_t qlen = dns_query(q, cases[i].name, cases[i].qtype, 1232, cases[i].dnssec, 5);
		wrap(&in, q, qlen, true, V_PLAIN);
		int v = run(&in, &out);
		print_message("  signed %s/%u DO=%d: %d\n", cases[i].name, cases[i].qtype,
			      cases[i].dnssec, v);
		assert_int_equal(v, cases[i].expect);
		if (v == XDP_TX) {
			size_t dlen;
			const uint8_t *d = unwrap(&out, true, &dlen);
			int rl = engine(q, qlen, r);
			assert_int_equal(dlen, (size_t)rl);
			assert_memory_equal(d, r, dlen);
		}
	}
	serve_live();
	ls_dataplane_unload(dp, g);
}

/* The time rule through the control entry: live, next at T, silence. */
static void test_control(void **state)
{
	uint8_t q[600], r[PKTMAX];
	struct pkt in, out;
	uint64_t now = tai_now(), hour = 3600ull * 1000000000ull;
	size_t qlen = dns_query(q, "www.example.", 1, 1232, false, 1);
	uint64_t st[LS_STAT_MAX];

	wrap(&in, q, qlen, false, V_PLAIN);

	/* T ahead: live answers */
	set_ctl(origin, gen_live, gen_next, now + hour, LS_TIME_NEVER,
		LS_CTL_HAS_LIVE | LS_CTL_NEXT_READY);
	assert_int_equal(run(&in, &out), XDP_TX);
	cur_zone = zone;
	size_t dlen;
	const uint8_t *d = unwrap(&out, false, &dlen);
	int rl = engine(q, qlen, r);
	assert_memory_equal(d, r, (size_t)rl);

	/* T passed, next ready: next answers */
	set_ctl(origin, gen_live, gen_next, now - 1, LS_TIME_NEVER,
		LS_CTL_HAS_LIVE | LS_CTL_NEXT_READY);
	assert_int_equal(run(&in, &out), XDP_TX);
	cur_zone = next_zone;
	d = unwrap(&out, false, &dlen);
	rl = engine(q, qlen, r);
	assert_int_equal(dlen, (size_t)rl);
	assert_memory_equal(d, r, (size_t)rl);

	/* T passed, next not ready: silence */
	ls_dataplane_stats(dp, st);
	uint64_t nr = st[LS_STAT_DROP_NOT_READY];
	set_ctl(origin, gen_live, gen_next, now - 1, LS_TIME_NEVER, LS_CTL_HAS_LIVE);
	assert_int_equal(run(&in, &out), XDP_DROP);
	ls_dataplane_stats(dp, st);
	assert_int_equal(st[LS_STAT_DROP_NOT_READY], nr + 1);

	/* withdrawn */
	uint64_t wd = st[LS_STAT_DROP_WITHDRAWN];
	set_ctl(origin, gen_live, 0, LS_TIME_NEVER, 0, LS_CTL_HAS_LIVE);
	assert_int_equal(run(&in, &out), XDP_DROP);
	ls_dataplane_stats(dp, st);
	assert_int_equal(st[LS_STAT_DROP_WITHDRAWN], wd + 1);

	/* configured, nothing loaded */
	set_ctl(origin, 0, 0, LS_TIME_NEVER, LS_TIME_NEVER, 0);
	assert_int_equal(run(&in, &out), XDP_DROP);

	/* lease expired */
	serve_live();
	uint64_t le = st[LS_STAT_DROP_LEASE];
	ls_dataplane_renew(dp, now - 1);
	assert_int_equal(run(&in, &out), XDP_DROP);
	ls_dataplane_stats(dp, st);
	assert_int_equal(st[LS_STAT_DROP_LEASE], le + 1);
	ls_dataplane_renew(dp, LS_TIME_NEVER);
	assert_int_equal(run(&in, &out), XDP_TX);
}

/*
 * The switch: T a few hundred milliseconds ahead, queries back to back
 * across it. Every answer that came from the old generation must have
 * started before T, every answer from the new one must have ended after
 * T, and once the new one answered the old one never does again.
 */
static void test_switch(void **state)
{
	uint8_t q[600], r_old[PKTMAX], r_new[PKTMAX];
	struct pkt in, out;
	size_t qlen = dns_query(q, "www.example.", 1, 1232, false, 1);
	uint64_t t = tai_now() + 300 * 1000000ull;
	size_t n_old = 0, n_new = 0;
	bool seen_new = false;

	wrap(&in, q, qlen, false, V_PLAIN);
	cur_zone = zone;
	int l_old = engine(q, qlen, r_old);
	cur_zone = next_zone;
	int l_new = engine(q, qlen, r_new);
	assert_true(l_old > 0 && l_new > 0);
	assert_true(l_old != l_new || memcmp(r_old, r_new, (size_t)l_old) != 0);

	set_ctl(origin, gen_live, gen_next, t, LS_TIME_NEVER, LS_CTL_HAS_LIVE | LS_CTL_NEXT_READY);
	for (;;) {
		uint64_t before = tai_now();
		assert_int_equal(run(&in, &out), XDP_TX);
		uint64_t after = tai_now();
		size_t dlen;
		const uint8_t *d = unwrap(&out, false, &dlen);
		if (dlen == (size_t)l_old && memcmp(d, r_old, dlen) == 0) {
			assert_false(seen_new);
			assert_true(before < t);
			n_old++;
		} else {
			assert_int_equal(dlen, (size_t)l_new);
			assert_memory_equal(d, r_new, dlen);
			assert_true(after >= t);
			seen_new = true;
			n_new++;
		}
		if (before > t + 200 * 1000000ull)
			break;
	}
	print_message("  switch: %zu old answers before T, %zu new after\n", n_old, n_new);
	assert_true(n_old > 0 && n_new > 0);
	serve_live();
}

/*
 * The data plane's own timestamp of the switch: the first query decided
 * for the next generation is recorded per CPU, once per generation, and
 * ls_dataplane_first_next() returns it; a generation that never answered
 * has none.
 */
static void test_first_next(void **state)
{
	uint8_t q[600];
	struct pkt in, out;
	uint64_t tai, again, now = tai_now(), hour = 3600ull * 1000000000ull;
	size_t qlen = dns_query(q, "www.example.", 1, 1232, false, 1);
	/* a zone id no other test used, so no earlier switch left a record */
	struct ls_zone_ctl ctl = { .switch_at = now + hour,
				   .withdraw_at = LS_TIME_NEVER,
				   .live_gen = gen_live,
				   .next_gen = gen_next,
				   .flags = LS_CTL_HAS_LIVE | LS_CTL_NEXT_READY,
				   .zone_id = 4242 };

	_Static_assert(sizeof(struct ls_first_next) == 16, "first_next layout");
	wrap(&in, q, qlen, false, V_PLAIN);

	/* T ahead: live answers, nothing recorded */
	assert_int_equal(ls_dataplane_set_zone(dp, origin, &ctl), 0);
	assert_int_equal(run(&in, &out), XDP_TX);
	assert_int_equal(ls_dataplane_first_next(dp, origin, gen_next, &tai), -ENOENT);

	/* T passed (switch_at in the past), next ready: the first next answer is recorded */
	ctl.switch_at = now - 1;
	assert_int_equal(ls_dataplane_set_zone(dp, origin, &ctl), 0);
	uint64_t before = tai_now();
	assert_int_equal(run(&in, &out), XDP_TX);
	uint64_t after = tai_now();
	assert_int_equal(ls_dataplane_first_next(dp, origin, gen_next, &tai), 0);
	assert_true(tai >= before && tai <= after);
	assert_true(tai >= ctl.switch_at);

	/* later answers from the same generation leave the first one */
	assert_int_equal(run(&in, &out), XDP_TX);
	assert_int_equal(ls_dataplane_first_next(dp, origin, gen_next, &again), 0);
	assert_int_equal(again, tai);

	/* the record names its generation: another one has none */
	assert_int_equal(ls_dataplane_first_next(dp, origin, gen_live, &again), -ENOENT);

	/* promoted (next became live, no switch pending): the record stays */
	ctl.live_gen = gen_next;
	ctl.next_gen = 0;
	ctl.switch_at = LS_TIME_NEVER;
	ctl.flags = LS_CTL_HAS_LIVE;
	assert_int_equal(ls_dataplane_set_zone(dp, origin, &ctl), 0);
	assert_int_equal(run(&in, &out), XDP_TX);
	assert_int_equal(ls_dataplane_first_next(dp, origin, gen_next, &again), 0);
	assert_int_equal(again, tai);

	/* the next switch (to another generation id, here the old live one)
	 * records anew; this CPU's record is replaced, not kept */
	ctl.next_gen = gen_live;
	ctl.switch_at = now - 1;
	ctl.flags = LS_CTL_HAS_LIVE | LS_CTL_NEXT_READY;
	assert_int_equal(ls_dataplane_set_zone(dp, origin, &ctl), 0);
	before = tai_now();
	assert_int_equal(run(&in, &out), XDP_TX);
	after = tai_now();
	assert_int_equal(ls_dataplane_first_next(dp, origin, gen_live, &again), 0);
	assert_true(again >= before && again <= after);

	/* a zone the data plane does not hold */
	assert_true(ls_dataplane_first_next(dp, (const uint8_t *)"\7nowhere", gen_next, &again) <
		    0);
	serve_live();
	(void)state;
}

/* The fd of the program's map called @name (found through the program, as
 * bpftool does), or -1. */
static int map_fd(const char *name)
{
	__u32 ids[32];
	struct bpf_prog_info pi = { .nr_map_ids = 32, .map_ids = (__u64)(uintptr_t)ids };
	__u32 len = sizeof(pi);

	if (bpf_obj_get_info_by_fd(ls_dataplane_prog_fd(dp), &pi, &len))
		return -1;
	for (__u32 i = 0; i < pi.nr_map_ids && i < 32; i++) {
		struct bpf_map_info mi = { 0 };
		__u32 ml = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &mi, &ml) == 0 && strcmp(mi.name, name) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * Keys hold only a hash of the name: a hit whose stored name differs (a
 * collision, made here by writing another name under a real key) must be
 * passed to the slow path — not answered, and not walked past to an
 * ancestor — and a zone entry of another origin under the hash neither
 * answers nor lets ls_dataplane_set_zone() overwrite it.
 */
static void test_collision(void **state)
{
	uint8_t q[600];
	struct pkt in, out;
	uint64_t st[LS_STAT_MAX];
	const uint8_t www[] = "\3www\7example";
	const uint8_t other[] = "\3xyz\7example";
	int afd = map_fd("ls_answers"), zfd = map_fd("ls_zones");
	size_t qlen;

	assert_true(afd >= 0 && zfd >= 0);
	serve_live();

	/* (gen, A, name) and (gen, OTHER, name) of www.example., kept to restore */
	struct ls_ans_key ka = { .gen = gen_live, .qtype = 1, .hash = ls_name_hash(www) };
	struct ls_ans_key ko = { .gen = gen_live, .qtype = LS_QTYPE_OTHER, .hash = ka.hash };
	struct ls_ans_val va, vo, bad;
	assert_int_equal(bpf_map_lookup_elem(afd, &ka, &va), 0);
	assert_int_equal(bpf_map_lookup_elem(afd, &ko, &vo), 0);
	assert_memory_equal(va.name, www, sizeof(www));

	qlen = dns_query(q, "www.example.", 1, 1232, false, 1);
	wrap(&in, q, qlen, false, V_PLAIN);
	assert_int_equal(run(&in, &out), XDP_TX);

	/* the typed entry names another name: pass, counted as not in the table */
	bad = va;
	memset(bad.name, 0, sizeof(bad.name));
	memcpy(bad.name, other, sizeof(other));
	assert_int_equal(bpf_map_update_elem(afd, &ka, &bad, BPF_EXIST), 0);
	ls_dataplane_stats(dp, st);
	uint64_t nit = st[LS_STAT_PASS_NOT_IN_TABLE];
	assert_int_equal(run(&in, &out), XDP_PASS);
	ls_dataplane_stats(dp, st);
	assert_int_equal(st[LS_STAT_PASS_NOT_IN_TABLE], nit + 1);
	assert_int_equal(bpf_map_update_elem(afd, &ka, &va, BPF_EXIST), 0);
	assert_int_equal(run(&in, &out), XDP_TX);

	/* an ancestor's entry names another name: a name below it that does
	 * not exist passes instead of taking the next ancestor's NXDOMAIN */
	qlen = dns_query(q, "nope.www.example.", 1, 1232, false, 1);
	wrap(&in, q, qlen, false, V_PLAIN);
	assert_int_equal(run(&in, &out), XDP_TX);
	bad = vo;
	memset(bad.name, 0, sizeof(bad.name));
	memcpy(bad.name, other, sizeof(other));
	assert_int_equal(bpf_map_update_elem(afd, &ko, &bad, BPF_EXIST), 0);
	assert_int_equal(run(&in, &out), XDP_PASS);
	assert_int_equal(bpf_map_update_elem(afd, &ko, &vo, BPF_EXIST), 0);
	assert_int_equal(run(&in, &out), XDP_TX);

	/* the zone's entry holds another origin under example.'s hash */
	struct ls_zone_key zk = { .hash = ls_name_hash(origin) };
	struct ls_zone_val zv, zbad;
	struct ls_zone_ctl ctl, zctl;
	assert_int_equal(ls_dataplane_get_zone(dp, origin, &zctl), 0);
	assert_int_equal(bpf_map_lookup_elem(zfd, &zk, &zv), 0);
	zbad = zv;
	memset(zbad.name, 0, sizeof(zbad.name));
	memcpy(zbad.name, "\7elpmaxe", 9);
	assert_int_equal(bpf_map_update_elem(zfd, &zk, &zbad, BPF_EXIST), 0);
	ls_dataplane_stats(dp, st);
	uint64_t nz = st[LS_STAT_PASS_NO_ZONE];
	assert_int_equal(run(&in, &out), XDP_PASS);
	ls_dataplane_stats(dp, st);
	assert_int_equal(st[LS_STAT_PASS_NO_ZONE], nz + 1);
	assert_int_equal(ls_dataplane_get_zone(dp, origin, &ctl), -ENOENT);
	assert_int_equal(ls_dataplane_set_zone(dp, origin, &zctl), -EEXIST);
	assert_int_equal(ls_dataplane_remove_zone(dp, origin), -ENOENT);
	assert_int_equal(bpf_map_update_elem(zfd, &zk, &zv, BPF_EXIST), 0);
	assert_int_equal(run(&in, &out), XDP_TX);

	/* ... and when that origin has another label count and an enclosing
	 * zone (here the root, withdrawn) exists: the program must still probe
	 * the refused origin's length and pass, not drop or answer from the
	 * enclosing zone */
	const uint8_t root[] = "";
	struct ls_zone_ctl rctl = { .switch_at = LS_TIME_NEVER,
				    .withdraw_at = 0,
				    .flags = LS_CTL_HAS_LIVE,
				    .zone_id = 0x7fff0001 };
	zbad.labels = 3;
	assert_int_equal(bpf_map_update_elem(zfd, &zk, &zbad, BPF_EXIST), 0);
	assert_int_equal(ls_dataplane_set_zone(dp, origin, &zctl), -EEXIST);
	assert_int_equal(ls_dataplane_set_zone(dp, root, &rctl), 0);
	/* a removal recomputes the label mask from the map */
	assert_int_equal(ls_dataplane_set_zone(dp, (const uint8_t *)"\3foo", &rctl), 0);
	assert_int_equal(ls_dataplane_remove_zone(dp, (const uint8_t *)"\3foo"), 0);
	assert_int_equal(run(&in, &out), XDP_PASS);
	assert_int_equal(ls_dataplane_remove_zone(dp, root), 0);
	assert_int_equal(bpf_map_update_elem(zfd, &zk, &zv, BPF_EXIST), 0);
	assert_int_equal(run(&in, &out), XDP_TX);

	close(afd);
	close(zfd);
	serve_live();
	(void)state;
}

/*
 * The control entry is read without a lock (a sequence-counted copy the
 * agent writes through its mapping, ebpf/lockstep.h): a writer thread
 * alternates between two control entries that both answer from gen_live —
 * C1 serves it as the live generation (no switch), C2 as the next
 * generation after a switch in the past — while the main thread runs
 * queries. A torn mix (C2's switch time with C1's next generation, or
 * C1's "no switch" with C2's live generation) would answer from
 * gen_next: every answer must be gen_live's, every other verdict a pass
 * counted as pass_ctl_busy. No timing assumption: the runs are bounded
 * by count, and how often the two threads met is only printed.
 */
struct ctl_hammer {
	volatile int stop;
	size_t writes;
};

static void *hammer(void *arg)
{
	struct ctl_hammer *h = arg;
	struct ls_zone_ctl c1 = { .switch_at = LS_TIME_NEVER,
				  .withdraw_at = LS_TIME_NEVER,
				  .live_gen = gen_live,
				  .next_gen = gen_next,
				  .flags = LS_CTL_HAS_LIVE | LS_CTL_NEXT_READY,
				  .zone_id = 1 };
	struct ls_zone_ctl c2 = { .switch_at = 0,
				  .withdraw_at = LS_TIME_NEVER,
				  .live_gen = gen_next,
				  .next_gen = gen_live,
				  .flags = LS_CTL_HAS_LIVE | LS_CTL_NEXT_READY,
				  .zone_id = 1 };

	while (!h->stop) {
		if (ls_dataplane_set_zone(dp, origin, (h->writes & 1) ? &c2 : &c1))
			break;
		h->writes++;
	}
	return NULL;
}

static void test_ctl_untorn(void **state)
{
	uint8_t q[600], r_live[PKTMAX], r_next[PKTMAX];
	struct pkt in, out;
	size_t qlen = dns_query(q, "www.example.", 1, 1232, false, 1);
	uint64_t st0[LS_STAT_MAX], st1[LS_STAT_MAX];
	struct ctl_hammer h = { 0 };
	size_t n_tx = 0, n_pass = 0;
	pthread_t th;

	wrap(&in, q, qlen, false, V_PLAIN);
	cur_zone = zone;
	int l_live = engine(q, qlen, r_live);
	cur_zone = next_zone;
	int l_next = engine(q, qlen, r_next);
	assert_true(l_live > 0 && l_next > 0);
	assert_true(l_live != l_next || memcmp(r_live, r_next, (size_t)l_live) != 0);

	ls_dataplane_stats(dp, st0);
	assert_int_equal(pthread_create(&th, NULL, hammer, &h), 0);
	for (int i = 0; i < 100000; i++) {
		int v = run(&in, &out);
		if (v == XDP_PASS) {
			n_pass++;
			continue;
		}
		assert_int_equal(v, XDP_TX);
		size_t dlen;
		const uint8_t *d = unwrap(&out, false, &dlen);
		assert_int_equal(dlen, (size_t)l_live);
		assert_memory_equal(d, r_live, dlen);
		n_tx++;
	}
	h.stop = 1;
	pthread_join(th, NULL);
	ls_dataplane_stats(dp, st1);
	assert_true(h.writes > 0);
	/* every pass was a read that met a write, nothing else */
	assert_int_equal(st1[LS_STAT_PASS_CTL_BUSY] - st0[LS_STAT_PASS_CTL_BUSY], n_pass);
	assert_int_equal(st1[LS_STAT_ANSWERED] - st0[LS_STAT_ANSWERED], n_tx);
	print_message("  untorn: %zu control writes, %zu answers, %zu passed mid-write\n", h.writes,
		      n_tx, n_pass);
	serve_live();
	(void)state;
}

/*
 * Shared addresses: the first few of each family sit in ls_global, the
 * rest (and any whose first 32 bits are zero) only in ls_addrs, which the
 * program then consults. Every configured address answers, whichever
 * list holds it; another address is passed; adding an address twice
 * takes no second slot.
 */
static void set_dst(struct pkt *p, bool v6, const char *addr)
{
	inet_pton(v6 ? AF_INET6 : AF_INET, addr, p->b + 14 + (v6 ? 24 : 16));
}

static int add_addr(bool v6, const char *addr)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = v6 ? AF_INET6 : AF_INET;
	if (v6)
		inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	else
		inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr);
	return ls_dataplane_add_addr(dp, &ss);
}

static void test_addresses(void **state)
{
	static const char *const more4[] = { "192.0.2.60", "192.0.2.61", "192.0.2.62", "192.0.2.63",
					     "0.0.0.0" };
	static const char *const more6[] = { "2001:db8::60", "2001:db8::61", "::a" };
	uint8_t q[600];
	struct pkt in, out;
	size_t qlen = dns_query(q, "www.example.", 1, 1232, false, 1);
	struct ls_global g;
	__u32 zero = 0;
	int gfd = map_fd("ls_global");

	assert_true(gfd >= 0);
	assert_int_equal(bpf_map_lookup_elem(gfd, &zero, &g), 0);
	assert_int_equal(g.n4, 1);
	assert_int_equal(g.n6, 1);
	assert_int_equal(g.flags & LS_GLOBAL_ADDRS_MAP, 0);
	assert_int_equal(add_addr(false, SHARED4), 0); /* again: no second slot */
	assert_int_equal(add_addr(true, SHARED6), 0);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(add_addr(false, more4[i]), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(add_addr(true, more6[i]), 0);
	assert_int_equal(bpf_map_lookup_elem(gfd, &zero, &g), 0);
	assert_int_equal(g.n4, LS_GLOBAL_ADDR4); /* SHARED4 and the first three */
	assert_int_equal(g.n6, LS_GLOBAL_ADDR6); /* SHARED6 and 2001:db8::60 */
	assert_true(g.flags & LS_GLOBAL_ADDRS_MAP); /* .63, 0.0.0.0, ::61, ::a only in ls_addrs */

	for (int v6 = 0; v6 < 2; v6++) {
		size_t n = v6 ? 3 : 5;
		for (size_t i = 0; i < n; i++) {
			const char *a = v6 ? more6[i] : more4[i];
			uint8_t want[16];
			wrap(&in, q, qlen, v6, V_PLAIN);
			set_dst(&in, v6, a);
			assert_int_equal(run(&in, &out), XDP_TX);
			inet_pton(v6 ? AF_INET6 : AF_INET, a, want);
			/* answered from the address asked */
			assert_memory_equal(out.b + 14 + (v6 ? 8 : 12), want, v6 ? 16 : 4);
		}
		wrap(&in, q, qlen, v6, V_OTHER_ADDR);
		assert_int_equal(run(&in, &out), XDP_PASS);
		assert_memory_equal(out.b, in.b, in.len);
	}

	/* A restart whose configuration dropped addresses: only the kept ones
	 * are answered (inline again, no map lookup), the others are passed. */
	struct ls_config_addr keep[2];
	memset(keep, 0, sizeof(keep));
	keep[0].ss.ss_family = AF_INET;
	inet_pton(AF_INET, SHARED4, &((struct sockaddr_in *)&keep[0].ss)->sin_addr);
	keep[1].ss.ss_family = AF_INET6;
	inet_pton(AF_INET6, SHARED6, &((struct sockaddr_in6 *)&keep[1].ss)->sin6_addr);
	assert_int_equal(ls_dataplane_keep_addrs(dp, keep, 2), 0);
	assert_int_equal(bpf_map_lookup_elem(gfd, &zero, &g), 0);
	assert_int_equal(g.n4, 1);
	assert_int_equal(g.n6, 1);
	assert_int_equal(g.flags & LS_GLOBAL_ADDRS_MAP, 0);
	for (int v6 = 0; v6 < 2; v6++) {
		size_t n = v6 ? 3 : 5;
		for (size_t i = 0; i < n; i++) {
			wrap(&in, q, qlen, v6, V_PLAIN);
			set_dst(&in, v6, v6 ? more6[i] : more4[i]);
			assert_int_equal(run(&in, &out), XDP_PASS);
			assert_memory_equal(out.b, in.b, in.len);
		}
		wrap(&in, q, qlen, v6, V_PLAIN);
		assert_int_equal(run(&in, &out), XDP_TX);
	}
	close(gfd);
	(void)state;
}

/* What the daemon calls: the zone set mirrored with ls_dataplane_sync(). */
static void test_sync(void **state)
{
	struct ls_zoneset *zs;
	const uint8_t *origins[1];
	size_t norigins = 1;
	uint8_t q[600], r[PKTMAX];
	struct pkt in, out;
	size_t qlen = dns_query(q, "www.example.", 1, 1232, false, 3), dlen;
	const uint8_t *d;

	ls_dataplane_remove_zone(dp, origin);
	origins[0] = origin;
	assert_int_equal(ls_zoneset_new(&zs), 0);
	assert_int_equal(ls_zoneset_set_live(zs, load("engine/example.zone")), 0);
	assert_int_equal(ls_dataplane_sync(dp, zs, origins, norigins), 0);
	wrap(&in, q, qlen, false, V_PLAIN);
	assert_int_equal(run(&in, &out), XDP_TX);
	cur_zone = zone;
	d = unwrap(&out, false, &dlen);
	assert_int_equal(dlen, (size_t)engine(q, qlen, r));
	assert_memory_equal(d, r, dlen);

	/* a switch staged in the past, made ready: the next generation answers */
	const char *next_text = "$ORIGIN example.\n$TTL 3600\n"
				"@ SOA ns1 hostmaster 2026112203 7200 3600 1209600 300\n"
				"@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.82\n";
	struct ls_zone *nz = NULL, *nz_copy = NULL;
	assert_int_equal(
		ls_zonefile_load_string(next_text, strlen(next_text), "n", origin, NULL, &nz, NULL),
		0);
	assert_int_equal(ls_zonefile_load_string(next_text, strlen(next_text), "n", origin, NULL,
						 &nz_copy, NULL),
			 0);
	assert_int_equal(ls_zoneset_stage_next(zs, origin, nz, tai_now() - 1), 0);
	assert_int_equal(ls_dataplane_sync(dp, zs, origins, norigins), 0);
	assert_int_equal(run(&in, &out), XDP_DROP); /* T passed, not ready: silent */
	assert_int_equal(ls_zoneset_next_ready(zs, origin), 0);
	assert_int_equal(ls_dataplane_sync(dp, zs, origins, norigins), 0);
	assert_int_equal(run(&in, &out), XDP_TX);
	cur_zone = nz_copy;
	d = unwrap(&out, false, &dlen);
	assert_int_equal(dlen, (size_t)engine(q, qlen, r));
	assert_memory_equal(d, r, dlen);

	/* promotion changes nothing on the wire and frees the old generation */
	ls_zoneset_promote(zs, tai_now());
	assert_int_equal(ls_dataplane_sync(dp, zs, origins, norigins), 0);
	assert_int_equal(run(&in, &out), XDP_TX);
	d = unwrap(&out, false, &dlen);
	assert_memory_equal(d, r, dlen);

	/* withdrawn, then no longer configured */
	assert_int_equal(ls_zoneset_withdraw(zs, origin, 0), 0);
	assert_int_equal(ls_dataplane_sync(dp, zs, origins, norigins), 0);
	assert_int_equal(run(&in, &out), XDP_DROP);
	norigins = 0;
	assert_int_equal(ls_dataplane_sync(dp, zs, origins, norigins), 0);
	assert_int_equal(run(&in, &out), XDP_PASS);

	ls_zoneset_free(zs);
	ls_zone_free(nz_copy);
	/* sync unloaded every generation it did not name, the fixtures' too */
	assert_int_equal(put_gen(zone, &gen_live), 0);
	assert_int_equal(put_gen(next_zone, &gen_next), 0);
	serve_live();
}

/* ---- the differential corpus ------------------------------------------- */

static size_t corpus_zone_count;
static struct ls_zone *corpus_zones[16];

static const struct ls_zone *lookup_corpus(void *ctx, const uint8_t *q, bool *silent)
{
	const struct ls_zone *best = NULL;
	size_t bl = 0;

	*silent = false;
	for (size_t i = 0; i < corpus_zone_count; i++) {
		const uint8_t *o = ls_zone_origin(corpus_zones[i]);
		if (ls_dname_is_sub(q, o) && ls_dname_len(o) > bl) {
			best = corpus_zones[i];
			bl = ls_dname_len(o);
		}
	}
	return best;
}

/*
 * LS_XDP_CORPUS=DIR: DIR/queries.txt ("name type do edns") and the zones
 * DIR/<origin>zone of tests/tools/gen_engine_corpus.py (LS_XDP_CORPUS_SIGNED=1:
 * signed ones). Every query through the program; wherever it answers, the
 * bytes must equal the engine's.
 */
static void test_corpus(void **state)
{
	const char *dir = getenv("LS_XDP_CORPUS");
	char path[1024], line[1024];
	size_t answered = 0, total = 0, per_verdict[8] = { 0 };

	if (!dir) {
		print_message("  no LS_XDP_CORPUS: corpus test skipped\n");
		skip();
	}
	ls_dataplane_remove_zone(dp, origin); /* the corpus zones only */
	snprintf(path, sizeof(path), "%s/zones.txt", dir);
	FILE *zl = fopen(path, "r");
	assert_non_null(zl);
	uint32_t gens[16];
	while (fgets(line, sizeof(line), zl) && corpus_zone_count < 16) {
		line[strcspn(line, "\n")] = 0;
		struct ls_zone *z = NULL;
		assert_int_equal(ls_zonefile_load(line, NULL, NULL, &z, NULL), 0);
		corpus_zones[corpus_zone_count] = z;
		assert_int_equal(put_gen(z, &gens[corpus_zone_count]), 0);
		bool sig = ls_zone_node_rrset(z, ls_zone_apex(z), LS_TYPE_DNSKEY) != NULL;
		set_ctl(ls_zone_origin(z), gens[corpus_zone_count], 0, LS_TIME_NEVER, LS_TIME_NEVER,
			LS_CTL_HAS_LIVE | (sig ? LS_CTL_LIVE_SIGNED : 0));
		corpus_zone_count++;
	}
	fclose(zl);
	snprintf(path, sizeof(path), "%s/queries.txt", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char name[600], type[32];
		int dnssec, edns;
		uint16_t qtype;
		if (sscanf(line, "%599s %31s %d %d", name, type, &dnssec, &edns) != 4 ||
		    ls_rrtype_from_str(type, &qtype) < 0)
			continue;
		uint8_t q[600], r[PKTMAX];
		struct pkt in, out;
		size_t qlen = dns_query(q, name, qtype, edns, dnssec, (uint16_t)total);
		bool v6 = total & 1;
		wrap(&in, q, qlen, v6, V_PLAIN);
		int v = run(&in, &out);
		total++;
		per_verdict[v & 7]++;
		if (v != XDP_TX)
			continue;
		answered++;
		size_t dlen;
		const uint8_t *d = unwrap(&out, v6, &dlen);
		int rl = ls_engine_respond(q, qlen, LS_ENGINE_UDP, lookup_corpus, NULL, r, PKTMAX,
					   NULL);
		if (rl != (int)dlen || memcmp(d, r, dlen) != 0) {
			print_message("MISMATCH: %s", line);
			for (size_t k = 0; k < dlen; k++)
				print_message("%02x%s", d[k], k % 32 == 31 ? "\n" : " ");
			print_message("\n");
			for (int k = 0; k < rl; k++)
				print_message("%02x%s", r[k], k % 32 == 31 ? "\n" : " ");
			print_message("\n");
			fail();
		}
	}
	fclose(f);
	print_message("  corpus: %zu queries, %zu answered in XDP (identical), %zu passed, %zu "
		      "dropped\n",
		      total, answered, per_verdict[XDP_PASS], per_verdict[XDP_DROP]);
	assert_true(answered > total / 4);
	for (size_t i = 0; i < corpus_zone_count; i++) {
		ls_dataplane_remove_zone(dp, ls_zone_origin(corpus_zones[i]));
		ls_dataplane_unload(dp, gens[i]);
		ls_zone_free(corpus_zones[i]);
	}
	serve_live();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_table), cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_mixed_case),   cmocka_unit_test(test_signed),
		cmocka_unit_test(test_control),	     cmocka_unit_test(test_switch),
		cmocka_unit_test(test_first_next),   cmocka_unit_test(test_collision),
		cmocka_unit_test(test_ctl_untorn),   cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_sync),	     cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
