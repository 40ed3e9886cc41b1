/* SPDX-License-Identifier: MIT */
/*
 * test_admin.c — the administrative listener (agent/admin): the dispatcher
 * on its own (NOTIFY accepted only from a primary with its key and then a
 * refresh; unsigned, unknown-key, bad-MAC and foreign NOTIFYs refused with
 * the right RCODE and TSIG error; SOA answers; AXFR refused unsigned, NOTIMP
 * over UDP, IXFR over UDP the SOA alone; opcode 5 to the handler or NOTIMP;
 * other opcodes NOTIMP, other queries REFUSED; malformed input FORMERR or
 * silence), and the sockets: a signed AXFR of a zone larger than the output
 * high-water mark over a real loopback TCP connection, read back, every
 * message verified, and a NOTIFY over UDP; out of descriptors, accept()
 * pauses instead of spinning and the waiting connection is taken later.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent/admin.h"
#include "agent/xfrin.h"
#include "agent/xfrout.h"
#include "common/config.h"
#include "common/message.h"
#include "common/rdata.h"
#include "common/tsig.h"
#include "common/zonefile.h"

static const uint8_t origin[] = "\x07"
				"example\x03"
				"com";

static const char cfgtext[] = "node:\n  id: t\n  state-dir: /tmp\n"
			      "admin:\n  listen: [127.0.0.1@53]\n  http: off\n"
			      "key:\n  - id: k1\n    algorithm: hmac-sha256\n"
			      "    secret: c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\n"
			      "  - id: other\n    algorithm: hmac-sha256\n"
			      "    secret: b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcg==\n"
			      "  - id: unused\n    algorithm: hmac-sha256\n"
			      "    secret: dW51c2VkdW51c2VkdW51c2Vk\n"
			      "remote:\n  - id: pri\n    address: 127.0.0.1\n    key: k1\n"
			      "  - id: peer2\n    address: 198.51.100.30\n    key: other\n"
			      "zone:\n  - domain: example.com.\n    primaries: pri\n";

struct fixture {
	struct ls_config *cfg;
	struct ls_zone *zone;
	struct ls_admin *a;
	int refreshes;
	int updates;
	int update_ret;
	struct sockaddr_in from; /* 127.0.0.1: the primary */
	struct sockaddr_in stranger; /* 198.51.100.99 */
};

/* The daemon binds primary() to ls_xfrin_primary(); the same rule here,
 * with ls_xfrin_remote_by_addr() over the zone's primaries. */
static int op_primary(void *ctx, const uint8_t *o, const struct sockaddr *from,
		      const struct ls_config_remote **remote)
{
	struct fixture *f = ctx;
	const struct ls_config_zone *z = ls_config_zone_find(f->cfg, o);
	const struct ls_config_remote *r;

	if (!z || z->primary_count == 0)
		return -ENOENT;
	r = ls_xfrin_remote_by_addr(f->cfg, from, false);
	for (size_t i = 0; r && i < z->primary_count; i++) {
		if (z->primaries[i] == r) {
			*remote = r;
			return 0;
		}
	}
	return -EPERM;
}

static int op_refresh(void *ctx, const uint8_t *o)
{
	((struct fixture *)ctx)->refreshes++;
	return 0;
}

static const struct ls_zone *op_live(void *ctx, const uint8_t *o)
{
	struct fixture *f = ctx;

	return ls_dname_equal(o, origin) ? f->zone : NULL;
}

static struct ls_zone *make_zone(size_t n)
{
	size_t cap = 256 + n * 40, len = 0;
	char *text = malloc(cap);
	struct ls_zonefile_opts opts = { .no_include = true };
	struct ls_zone *z;

	len += (size_t)snprintf(text, cap,
				"$ORIGIN example.com.\n$TTL 3600\n"
				"@ SOA ns1 hm 42 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%zu A 192.0.2.%zu\n", i, i % 250);
	assert_int_equal(ls_zonefile_load_string(text, len, NULL, origin, &opts, &z, NULL), 0);
	free(text);
	return z;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct ls_admin_ops ops = {
		.primary = op_primary, .refresh = op_refresh, .live = op_live, .ctx = f
	};

	assert_int_equal(ls_config_parse_string(cfgtext, sizeof(cfgtext) - 1, NULL, &f->cfg, NULL),
			 0);
	/* an ephemeral port instead of 53 (the configuration refuses port 0) */
	((struct sockaddr_in *)&f->cfg->admin.listen[0].ss)->sin_port = 0;
	f->zone = make_zone(10);
	assert_int_equal(ls_admin_new_detached(f->cfg, &ops, &f->a), 0);
	f->from.sin_family = AF_INET;
	f->from.sin_port = htons(5353);
	inet_pton(AF_INET, "127.0.0.1", &f->from.sin_addr);
	f->stranger = f->from;
	inet_pton(AF_INET, "198.51.100.99", &f->stranger.sin_addr);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ls_admin_free(f->a);
	ls_zone_free(f->zone);
	ls_config_free(f->cfg);
	free(f);
	return 0;
}

/* A request: @opcode, question (@qtype for example.com), signed with @key. */
static size_t build(uint8_t *buf, size_t cap, unsigned opcode, uint16_t qtype,
		    const struct ls_config_key *key, struct ls_tsig *t)
{
	struct ls_msg_writer w;
	size_t len;

	assert_int_equal(ls_msg_writer_init(&w, buf, cap), 0);
	ls_msg_set_header(&w, 0xbeef, (uint16_t)(opcode << LS_OPCODE_SHIFT));
	assert_int_equal(ls_msg_put_question(&w, origin, qtype, LS_CLASS_IN), 0);
	len = ls_msg_len(&w);
	ls_tsig_init(t, key);
	if (key)
		assert_int_equal(ls_tsig_sign(t, buf, &len, cap, (uint64_t)time(NULL), 0), 0);
	return len;
}

struct answer {
	uint8_t resp[LS_MSG_MAXLEN];
	struct ls_msg m;
	struct ls_admin_result res;
	int len;
};

static void ask(struct fixture *f, struct answer *ans, const uint8_t *q, size_t qlen,
		const struct sockaddr_in *from, bool tcp)
{
	struct ls_admin_req req = { .wire = q,
				    .len = qlen,
				    .from = (const struct sockaddr *)from,
				    .tcp = tcp,
				    .now = (uint64_t)time(NULL) };

	ans->len = ls_admin_dispatch(f->a, &req, ans->resp, sizeof(ans->resp), &ans->res);
	if (ans->len > 0)
		assert_int_equal(ls_msg_parse(&ans->m, ans->resp, (size_t)ans->len), 0);
}

static unsigned rcode_of(const struct answer *a)
{
	return ls_msg_rcode(&a->m);
}

static void test_notify_accepted(void **state)
{
	struct fixture *f = *state;
	struct answer *ans = malloc(sizeof(*ans));
	struct ls_tsig_status st;
	struct ls_tsig t;
	uint8_t q[512];
	size_t len = build(q, sizeof(q), LS_OPCODE_NOTIFY, LS_TYPE_SOA, &f->cfg->keys[0], &t);

	ask(f, ans, q, len, &f->from, false);
	assert_true(ans->len > 0);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOERROR);
	assert_true(ans->m.flags & LS_FLAG_QR);
	assert_true(ans->m.flags & LS_FLAG_AA);
	assert_int_equal(ls_msg_opcode(&ans->m), LS_OPCODE_NOTIFY);
	assert_int_equal(ans->m.id, 0xbeef);
	assert_true(ans->m.has_tsig);
	assert_int_equal(ls_tsig_verify_response(&t, &ans->m, (uint64_t)time(NULL), &st), 0);
	assert_int_equal(f->refreshes, 1);
	assert_int_equal(ls_admin_stats(f->a)->notify_accepted, 1);
	ls_tsig_clear(&t);
	free(ans);
}

static void test_notify_refused(void **state)
{
	struct fixture *f = *state;
	struct answer *ans = malloc(sizeof(*ans));
	struct ls_config_key bogus = f->cfg->keys[0];
	uint8_t badsecret[32] = { 1, 2, 3 };
	struct ls_tsig t;
	uint8_t q[512];
	size_t len;

	/* unsigned, from the primary whose remote has a key */
	len = build(q, sizeof(q), LS_OPCODE_NOTIFY, LS_TYPE_SOA, NULL, &t);
	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTAUTH);
	assert_false(ans->m.has_tsig);
	/* signed by another configured key */
	len = build(q, sizeof(q), LS_OPCODE_NOTIFY, LS_TYPE_SOA, &f->cfg->keys[1], &t);
	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTAUTH);
	ls_tsig_clear(&t);
	/* a key no remote uses: unknown here, BADKEY */
	len = build(q, sizeof(q), LS_OPCODE_NOTIFY, LS_TYPE_SOA, &f->cfg->keys[2], &t);
	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTAUTH);
	assert_true(ans->m.has_tsig);
	assert_int_equal(ans->m.tsig.error, LS_RCODE_BADKEY);
	assert_int_equal(ans->m.tsig.mac_len, 0);
	ls_tsig_clear(&t);
	/* the right key name with a wrong secret: BADSIG */
	bogus.secret = badsecret;
	bogus.secret_len = sizeof(badsecret);
	len = build(q, sizeof(q), LS_OPCODE_NOTIFY, LS_TYPE_SOA, &bogus, &t);
	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTAUTH);
	assert_true(ans->m.has_tsig);
	assert_int_equal(ans->m.tsig.error, LS_RCODE_BADSIG);
	ls_tsig_clear(&t);
	/* from an address that is no primary of the zone */
	len = build(q, sizeof(q), LS_OPCODE_NOTIFY, LS_TYPE_SOA, &f->cfg->keys[0], &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_REFUSED);
	ls_tsig_clear(&t);
	/* NOTIFY for a zone without primaries here */
	{
		struct ls_msg_writer w;

		ls_msg_writer_init(&w, q, sizeof(q));
		ls_msg_set_header(&w, 7, LS_OPCODE_NOTIFY << LS_OPCODE_SHIFT);
		ls_msg_put_question(&w,
				    (const uint8_t *)"\x07"
						     "example\x03"
						     "org",
				    LS_TYPE_SOA, LS_CLASS_IN);
		ask(f, ans, q, ls_msg_len(&w), &f->from, false);
		assert_int_equal(rcode_of(ans), LS_RCODE_NOTAUTH);
	}
	/* NOTIFY with a QTYPE that is not SOA */
	len = build(q, sizeof(q), LS_OPCODE_NOTIFY, LS_TYPE_A, &f->cfg->keys[0], &t);
	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_FORMERR);
	ls_tsig_clear(&t);
	assert_int_equal(f->refreshes, 0);
	assert_int_equal(ls_admin_stats(f->a)->notify_accepted, 0);
	free(ans);
}

static void test_soa_and_queries(void **state)
{
	struct fixture *f = *state;
	struct answer *ans = malloc(sizeof(*ans));
	struct ls_msg_iter it;
	struct ls_msg_rr *rr = malloc(sizeof(*rr));
	struct ls_tsig t;
	uint8_t q[512];
	size_t len;

	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_SOA, NULL, &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOERROR);
	assert_true(ans->m.flags & LS_FLAG_AA);
	assert_int_equal(ans->m.count[LS_SECTION_ANSWER], 1);
	ls_msg_iter_init(&it, &ans->m, LS_SECTION_ANSWER);
	assert_int_equal(ls_msg_iter_next(&it, rr), 1);
	assert_int_equal(rr->type, LS_TYPE_SOA);
	/* serial 42 sits 20 octets before the end of the SOA RDATA */
	assert_int_equal(rr->rdata[rr->rdlen - 17], 42);
	/* signed SOA query: signed answer */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_SOA, &f->cfg->keys[0], &t);
	ask(f, ans, q, len, &f->stranger, true);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOERROR);
	assert_true(ans->m.has_tsig);
	ls_tsig_clear(&t);
	/* other types: REFUSED; other opcodes: NOTIMP */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_A, NULL, &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_REFUSED);
	len = build(q, sizeof(q), LS_OPCODE_STATUS, LS_TYPE_SOA, NULL, &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTIMP);
	len = build(q, sizeof(q), 15, LS_TYPE_SOA, NULL, &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTIMP);
	free(rr);
	free(ans);
}

/* A request with an OPT record (EDNS, 4096), signed with @key if given. */
static size_t build_edns_v(uint8_t *buf, size_t cap, uint16_t qtype, uint8_t version,
			   const struct ls_config_key *key, struct ls_tsig *t)
{
	const struct ls_msg_edns opt = { .udp_size = 4096, .version = version };
	struct ls_msg_writer w;
	size_t len;

	assert_int_equal(ls_msg_writer_init(&w, buf, cap), 0);
	ls_msg_set_header(&w, 0xbeef, 0);
	assert_int_equal(ls_msg_put_question(&w, origin, qtype, LS_CLASS_IN), 0);
	assert_int_equal(ls_msg_put_opt(&w, &opt), 0);
	len = ls_msg_len(&w);
	ls_tsig_init(t, key);
	if (key)
		assert_int_equal(ls_tsig_sign(t, buf, &len, cap, (uint64_t)time(NULL), 0), 0);
	return len;
}

static size_t build_edns(uint8_t *buf, size_t cap, uint16_t qtype, const struct ls_config_key *key,
			 struct ls_tsig *t)
{
	return build_edns_v(buf, cap, qtype, 0, key, t);
}

/* RFC 6891 §7: an answer to a request with an OPT carries one (before the
 * TSIG); an answer to one without carries none. */
static void test_edns_echoed(void **state)
{
	struct fixture *f = *state;
	struct answer *ans = malloc(sizeof(*ans));
	struct ls_tsig_status st;
	struct ls_tsig t;
	uint8_t q[512];
	size_t len;

	len = build_edns(q, sizeof(q), LS_TYPE_SOA, NULL, &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOERROR);
	assert_true(ans->m.has_edns);
	assert_int_equal(ans->m.edns.udp_size, LS_XFROUT_EDNS_PAYLOAD);
	assert_int_equal(ans->m.count[LS_SECTION_ADDITIONAL], 1);
	/* an error answer too */
	len = build_edns(q, sizeof(q), LS_TYPE_A, NULL, &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_REFUSED);
	assert_true(ans->m.has_edns);
	/* signed: OPT and then a TSIG that verifies */
	len = build_edns(q, sizeof(q), LS_TYPE_SOA, &f->cfg->keys[0], &t);
	ask(f, ans, q, len, &f->stranger, true);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOERROR);
	assert_true(ans->m.has_edns);
	assert_true(ans->m.has_tsig);
	assert_int_equal(ls_tsig_verify_response(&t, &ans->m, (uint64_t)time(NULL), &st), 0);
	ls_tsig_clear(&t);
	/* an EDNS version we do not implement: BADVERS in our version-0 OPT,
	 * signed when asked signed (RFC 6891 §6.1.3) */
	len = build_edns_v(q, sizeof(q), LS_TYPE_SOA, 1, NULL, &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_BADVERS);
	assert_int_equal(ans->m.edns.version, 0);
	assert_int_equal(ans->m.count[LS_SECTION_ANSWER], 0);
	len = build_edns_v(q, sizeof(q), LS_TYPE_AXFR, 1, &f->cfg->keys[0], &t);
	ask(f, ans, q, len, &f->stranger, true);
	assert_int_equal(rcode_of(ans), LS_RCODE_BADVERS);
	assert_null(ans->res.xfr);
	assert_int_equal(ls_tsig_verify_response(&t, &ans->m, (uint64_t)time(NULL), &st), 0);
	ls_tsig_clear(&t);
	/* no OPT asked: none sent */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_SOA, NULL, &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_false(ans->m.has_edns);
	assert_int_equal(ans->m.count[LS_SECTION_ADDITIONAL], 0);
	free(ans);
}

static void test_xfr_rules(void **state)
{
	struct fixture *f = *state;
	struct answer *ans = malloc(sizeof(*ans));
	struct ls_tsig t;
	uint8_t q[512];
	size_t len;

	/* unsigned AXFR: NOTAUTH, no stream */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, NULL, &t);
	ask(f, ans, q, len, &f->stranger, true);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTAUTH);
	assert_null(ans->res.xfr);
	/* signed AXFR over TCP: a stream */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, &f->cfg->keys[1], &t);
	ask(f, ans, q, len, &f->stranger, true);
	assert_int_equal(ans->len, 0);
	assert_non_null(ans->res.xfr);
	assert_true(ls_dname_equal(ans->res.xfr_origin, origin));
	ls_xfrout_free(ans->res.xfr);
	ls_tsig_clear(&t);
	/* over UDP: NOTIMP, signed */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, &f->cfg->keys[1], &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTIMP);
	assert_true(ans->m.has_tsig);
	assert_null(ans->res.xfr);
	ls_tsig_clear(&t);
	/*
	 * IXFR over UDP without the client's SOA: FORMERR (RFC 1995 §3), as
	 * over TCP; a well-formed one is answered (test_xfrout: test_ixfr_udp)
	 */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_IXFR, &f->cfg->keys[1], &t);
	ask(f, ans, q, len, &f->stranger, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_FORMERR);
	assert_true(ans->m.has_tsig);
	assert_null(ans->res.xfr);
	ls_tsig_clear(&t);
	/* a zone not held: NOTAUTH */
	f->zone = (ls_zone_free(f->zone), NULL);
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, &f->cfg->keys[1], &t);
	ask(f, ans, q, len, &f->stranger, true);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTAUTH);
	assert_null(ans->res.xfr);
	ls_tsig_clear(&t);
	assert_int_equal(ls_admin_stats(f->a)->xfr_refused, 2);
	free(ans);
}

static const uint8_t catz[] = "\x04"
			      "catz";

static const uint8_t *op_owner(void *ctx, const uint8_t *o)
{
	return ls_dname_equal(o, origin) ? catz : NULL;
}

/*
 * allow-transfer: only a listed remote's key from one of its addresses
 * gets a stream; everyone else REFUSED (counted); without the option any
 * key a remote uses may (the fixture's configuration, test_xfr_rules); a
 * catalog member follows its catalog's list.
 */
static void test_allow_transfer(void **state)
{
	static const char extra[] = "    allow-transfer: [peer2]\n";
	static const char member[] = "catalog:\n  - zone: catz.\n    primaries: pri\n"
				     "    allow-transfer: [pri]\n";
	struct fixture *f = *state;
	struct answer *ans = malloc(sizeof(*ans));
	const struct ls_admin_ops ops = {
		.primary = op_primary, .live = op_live, .owner = op_owner, .ctx = f
	};
	struct sockaddr_in peer2 = f->stranger;
	struct ls_config *cfg, *first;
	struct ls_admin *a;
	struct ls_tsig t;
	char text[2048];
	uint8_t q[512];
	size_t len;

	inet_pton(AF_INET, "198.51.100.30", &peer2.sin_addr);
	snprintf(text, sizeof(text), "%s%s", cfgtext, extra);
	assert_int_equal(ls_config_parse_string(text, strlen(text), NULL, &cfg, NULL), 0);
	assert_int_equal(ls_admin_new_detached(cfg, &ops, &a), 0);
	ls_admin_free(f->a);
	f->a = a;
	/* peer2's key from peer2's address: the stream starts */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, &cfg->keys[1], &t);
	ask(f, ans, q, len, &peer2, true);
	assert_int_equal(ans->len, 0);
	assert_non_null(ans->res.xfr);
	ls_xfrout_free(ans->res.xfr);
	ls_tsig_clear(&t);
	/* the same key from another address: REFUSED, signed */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, &cfg->keys[1], &t);
	ask(f, ans, q, len, &f->stranger, true);
	assert_int_equal(rcode_of(ans), LS_RCODE_REFUSED);
	assert_true(ans->m.has_tsig);
	assert_null(ans->res.xfr);
	ls_tsig_clear(&t);
	/* the primary's key (a key some remote uses, so allowed before): REFUSED */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, &cfg->keys[0], &t);
	ask(f, ans, q, len, &f->from, true);
	assert_int_equal(rcode_of(ans), LS_RCODE_REFUSED);
	assert_null(ans->res.xfr);
	ls_tsig_clear(&t);
	/* IXFR over UDP would tell the SOA: refused as well */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_IXFR, &cfg->keys[0], &t);
	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_REFUSED);
	ls_tsig_clear(&t);
	/* SOA queries are not transfers: still answered */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_SOA, &cfg->keys[0], &t);
	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOERROR);
	ls_tsig_clear(&t);
	assert_int_equal(ls_admin_stats(a)->xfr_acl_refused, 3);
	assert_int_equal(ls_admin_stats(a)->xfr_refused, 3);
	first = cfg;

	/* example.com as a member of catz. (not configured by name): catz.'s list */
	snprintf(text, sizeof(text), "%s", cfgtext);
	*strstr(text, "zone:\n") = '\0';
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s", member);
	assert_int_equal(ls_config_parse_string(text, strlen(text), NULL, &cfg, NULL), 0);
	assert_int_equal(ls_admin_reconfigure(a, cfg), 0);
	ls_config_free(first);
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, &cfg->keys[0], &t);
	ask(f, ans, q, len, &f->from, true);
	assert_int_equal(ans->len, 0);
	assert_non_null(ans->res.xfr);
	ls_xfrout_free(ans->res.xfr);
	ls_tsig_clear(&t);
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_AXFR, &cfg->keys[1], &t);
	ask(f, ans, q, len, &peer2, true);
	assert_int_equal(rcode_of(ans), LS_RCODE_REFUSED);
	ls_tsig_clear(&t);
	assert_int_equal(ls_admin_stats(a)->xfr_acl_refused, 4);
	/* the fixture frees f->a (which points at cfg) before f->cfg: swap them */
	ls_config_free(f->cfg);
	f->cfg = cfg;
	free(ans);
}

static int on_update(void *hctx, const uint8_t *wire, size_t len, const struct sockaddr *from,
		     ls_admin_reply_fn reply, void *rctx)
{
	struct fixture *f = hctx;

	f->updates++;
	return f->update_ret;
}

static void test_opcode5(void **state)
{
	struct fixture *f = *state;
	struct answer *ans = malloc(sizeof(*ans));
	struct ls_tsig t;
	uint8_t q[512];
	size_t len = build(q, sizeof(q), LS_OPCODE_UPDATE, LS_TYPE_SOA, NULL, &t);

	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTIMP);
	ls_admin_set_update_handler(f->a, on_update, NULL, f);
	ask(f, ans, q, len, &f->from, false);
	assert_int_equal(ans->len, 0);
	assert_true(ans->res.deferred);
	assert_int_equal(f->updates, 1);
	f->update_ret = -EINVAL; /* the handler declines: NOTIMP */
	ask(f, ans, q, len, &f->from, false);
	assert_false(ans->res.deferred);
	assert_int_equal(rcode_of(ans), LS_RCODE_NOTIMP);
	assert_int_equal(f->updates, 2);
	free(ans);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	struct answer *ans = malloc(sizeof(*ans));
	uint8_t q[64] = { 0x12, 0x34, 0x00, 0x00, 0x00, 0x05 }; /* 5 questions, none there */
	struct ls_tsig t;
	size_t len;

	ask(f, ans, q, 5, &f->from, false);
	assert_int_equal(ans->len, 0); /* no header: silence */
	ask(f, ans, q, 12, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_FORMERR);
	assert_int_equal(ans->m.id, 0x1234);
	q[2] = 0x80; /* a response: never answered */
	ask(f, ans, q, 12, &f->from, false);
	assert_int_equal(ans->len, 0);
	/* no question */
	memset(q, 0, sizeof(q));
	ask(f, ans, q, 12, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_FORMERR);
	/* trailing garbage */
	len = build(q, sizeof(q), LS_OPCODE_QUERY, LS_TYPE_SOA, NULL, &t);
	ask(f, ans, q, len + 3, &f->from, false);
	assert_int_equal(rcode_of(ans), LS_RCODE_FORMERR);
	assert_true(ls_admin_stats(f->a)->malformed >= 4);
	free(ans);
}

/* ---- over real sockets ---- */

static bool read_full(int fd, struct ev_loop *loop, uint8_t *buf, size_t len)
{
	size_t got = 0;

	for (int i = 0; i < 100000 && got < len; i++) {
		ssize_t n = recv(fd, buf + got, len - got, MSG_DONTWAIT);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return false;
		ev_run(loop, EVRUN_NOWAIT);
		if (i % 100 == 99)
			usleep(1000);
	}
	return got == len;
}

static void test_sockets(void **state)
{
	struct fixture *f = *state;
	const struct ls_admin_ops ops = {
		.primary = op_primary, .refresh = op_refresh, .live = op_live, .ctx = f
	};
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ls_admin *a;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct ls_tsig t;
	uint8_t q[512], *buf = malloc(65536 + 2);
	struct ls_xfr_parser *p;
	struct ls_zone *back = NULL;
	char why[128];
	size_t len, msgs = 0;
	int fd, r = LS_XFR_MORE;

	ls_zone_free(f->zone);
	f->zone = make_zone(20000); /* ~400 KB of AXFR: many times the output high-water mark */
	assert_int_equal(ls_admin_new(loop, f->cfg, &ops, NULL, &a), 0);
	assert_int_equal(ls_admin_sockname(a, 0, 1, &ss, &sl), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
	len = build(q + 2, sizeof(q) - 2, LS_OPCODE_QUERY, LS_TYPE_AXFR, &f->cfg->keys[0], &t);
	q[0] = (uint8_t)(len >> 8);
	q[1] = (uint8_t)len;
	assert_int_equal(send(fd, q, len + 2, 0), (ssize_t)len + 2);
	assert_int_equal(ls_xfr_parser_new(origin, LS_TYPE_AXFR, NULL, 0, 0, &p), 0);
	while (r == LS_XFR_MORE) {
		struct ls_tsig_status st;
		struct ls_msg m;
		size_t mlen;

		assert_true(read_full(fd, loop, buf, 2));
		mlen = (size_t)buf[0] << 8 | buf[1];
		assert_true(read_full(fd, loop, buf + 2, mlen));
		assert_int_equal(ls_msg_parse(&m, buf + 2, mlen), 0);
		assert_int_equal(ls_tsig_verify_response(&t, &m, (uint64_t)time(NULL), &st), 0);
		r = ls_xfr_parser_feed(p, &m);
		msgs++;
	}
	assert_int_equal(r, LS_XFR_DONE);
	assert_int_equal(ls_tsig_verify_end(&t), 0);
	assert_int_equal(ls_xfr_parser_finish(p, &back, why, sizeof(why)), 0);
	assert_int_equal(ls_zone_record_count(back), ls_zone_record_count(f->zone));
	assert_true(msgs > 20);
	ls_tsig_clear(&t);
	/* a SOA query on the same connection after the stream */
	len = build(q + 2, sizeof(q) - 2, LS_OPCODE_QUERY, LS_TYPE_SOA, NULL, &t);
	q[0] = (uint8_t)(len >> 8);
	q[1] = (uint8_t)len;
	assert_int_equal(send(fd, q, len + 2, 0), (ssize_t)len + 2);
	assert_true(read_full(fd, loop, buf, 2));
	assert_true(read_full(fd, loop, buf + 2, (size_t)buf[0] << 8 | buf[1]));
	assert_int_equal(ls_admin_stats(a)->xfr_done, 1);
	close(fd);

	/* NOTIFY over UDP from 127.0.0.1, the primary */
	assert_int_equal(ls_admin_sockname(a, 0, 0, &ss, &sl), 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
	len = build(q, sizeof(q), LS_OPCODE_NOTIFY, LS_TYPE_SOA, &f->cfg->keys[0], &t);
	assert_int_equal(send(fd, q, len, 0), (ssize_t)len);
	{
		ssize_t n = -1;

		for (int i = 0; i < 5000 && n < 0; i++) {
			ev_run(loop, EVRUN_NOWAIT);
			n = recv(fd, buf, 65536, MSG_DONTWAIT);
			if (n < 0)
				usleep(1000);
		}
		assert_true(n >= 12);
		assert_int_equal(buf[3] & 0xf, LS_RCODE_NOERROR);
	}
	assert_int_equal(f->refreshes, 1);
	ls_tsig_clear(&t);
	close(fd);
	ls_zone_free(back);
	ls_admin_free(a);
	ev_loop_destroy(loop);
	free(buf);
}

/*
 * Out of descriptors, the listener pauses accept() instead of spinning on
 * its level-triggered watcher, and takes the waiting connection once a
 * descriptor is free again.
 */
static void test_accept_paused(void **state)
{
	struct fixture *f = *state;
	const struct ls_admin_ops ops = { .live = op_live, .ctx = f };
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct rlimit old, low;
	struct ls_admin *a;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, fill[1024], nfill = 0;
	uint64_t accepted;
	ev_tstamp until, t0, waited;

	assert_int_equal(ls_admin_new(loop, f->cfg, &ops, NULL, &a), 0);
	assert_int_equal(ls_admin_sockname(a, 0, 1, &ss, &sl), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
	/* no descriptor left for accept() */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)fd + 32;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	for (;;) {
		int d = dup(fd);

		if (d < 0)
			break;
		assert_true(nfill < (int)(sizeof(fill) / sizeof(fill[0])));
		fill[nfill++] = d;
	}
	assert_int_equal(errno, EMFILE);
	ev_now_update(loop);
	until = ev_now(loop) + 0.05;
	while (ev_now(loop) < until) {
		ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT);
		usleep(1000);
		ev_now_update(loop);
	}
	accepted = ls_admin_stats(a)->tcp_accepted;
	/* paused: the watcher is off, so a blocking turn of the loop waits
	 * for the retry timer instead of returning at once */
	t0 = ev_time();
	ev_run(loop, EVRUN_ONCE);
	waited = ev_time() - t0;
	/* descriptors back before asserting, so a failure reports cleanly */
	while (nfill)
		close(fill[--nfill]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(accepted, 0);
	assert_true(waited > 0.01);
	for (int i = 0; i < 100 && ls_admin_stats(a)->tcp_accepted == 0; i++)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(ls_admin_stats(a)->tcp_accepted, 1);
	close(fd);
	ls_admin_free(a);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soa_and_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edns_echoed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xfr_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allow_transfer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opcode5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_paused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
