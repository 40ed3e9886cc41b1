/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the run-time zones of the transfer client (agent/xfrin.h:
 * ls_xfrin_add_zone / _remove_zone): catalog members and NEWZONE zones,
 * which the configuration does not list, transferred on a real libev loop
 * from primaries in this process (TCP listeners on 127.0.0.1 that check
 * the TSIG of each query and answer SOA and AXFR, signed). Covered: a
 * run-time zone is transferred at once and hands its version over; NOTIFY
 * sources are recognised for it; removal stops it; configured zones cannot
 * be added or removed; bad arguments; the same primaries again change
 * nothing, others restart the transfer from the new ones; and a reload
 * while a transfer is in flight (the known bug: pointers into the old
 * configuration's remotes) — the old configuration is freed before the
 * transfer resumes, from the new configuration's address (AddressSanitizer
 * would catch any pointer left behind); a remote that is gone drops the
 * zone; a run-time zone that becomes configured gives way. Backoff: a cut
 * or refused round is retried after the backoff, and neither the backoff
 * nor RETRY carries a failing zone past SOA EXPIRE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/xfrin.h"
#include "common/config.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/tsig.h"
#include "common/wire.h"

#define NPRIM 2

struct prim {
	struct fx *f;
	int lfd, cfd;
	unsigned port;
	ev_io lio, cio;
	uint8_t in[2 + 65535];
	size_t inlen;
	bool silent; /* read queries, answer nothing */
	int cut; /* this many AXFR queries are answered by closing the connection */
	int refuse; /* this many queries are answered REFUSED (signed, no records) */
	int queries;
};

struct fx {
	char dir[64];
	struct ev_loop *loop;
	struct ls_config *cfg;
	struct prim p[NPRIM];
	/* what the client handed over */
	int offers;
	char last_origin[LS_DNAME_STRLEN];
	char last_source[160];
	uint32_t last_serial;
	ev_timer guard;
	bool timed_out;
	int expired; /* withdrawals at SOA EXPIRE */
	int queries_at_expiry; /* primary p's queries when the zone was withdrawn */
};

static const uint8_t *N(const char *s)
{
	static uint8_t ring[8][LS_DNAME_MAXLEN];
	static int next;
	uint8_t *n = ring[next++ % 8];

	assert_true(ls_dname_from_str(n, s, NULL) > 0);
	return n;
}

/* ---- the primaries ---- */

/* the primaries' SOA timers (setup() sets the defaults below) */
static uint32_t soa_refresh, soa_retry, soa_expire;

static size_t soa_rdata(uint8_t *rd, uint32_t serial)
{
	size_t n = ls_dname_copy_lower(rd, N("ns.example."));

	n += ls_dname_copy_lower(rd + n, N("hostmaster.example."));
	memset(rd + n, 0, 20);
	rd[n] = (uint8_t)(serial >> 24);
	rd[n + 1] = (uint8_t)(serial >> 16);
	rd[n + 2] = (uint8_t)(serial >> 8);
	rd[n + 3] = (uint8_t)serial;
	ls_put32(rd + n + 4, soa_refresh);
	ls_put32(rd + n + 8, soa_retry);
	ls_put32(rd + n + 12, soa_expire);
	rd[n + 19] = 60;
	return n + 20;
}

/* SOA: the SOA; AXFR: SOA, NS, the NS target's A, SOA — one message, signed. */
static void prim_answer(struct prim *p, const struct ls_msg *q)
{
	const struct ls_config_key *key = &p->f->cfg->keys[0];
	uint8_t out[2 + 2048], rd[300];
	struct ls_msg_writer w;
	struct ls_tsig_status st;
	struct ls_tsig t;
	uint32_t serial = 7;
	size_t len, n;

	ls_tsig_init(&t, key);
	assert_int_equal(ls_tsig_verify_request(&t, key, 1, q, (uint64_t)time(NULL), 0, &st), 0);
	assert_int_equal(ls_msg_writer_init(&w, out + 2, sizeof(out) - 2), 0);
	ls_msg_set_header(&w, q->id,
			  LS_FLAG_QR | LS_FLAG_AA | (p->refuse > 0 ? LS_RCODE_REFUSED : 0));
	assert_int_equal(ls_msg_put_question(&w, q->qname, q->qtype, q->qclass), 0);
	if (p->refuse > 0) {
		p->refuse--;
		goto sign;
	}
	n = soa_rdata(rd, serial);
	assert_int_equal(
		ls_msg_put_rr(&w, LS_SECTION_ANSWER, q->qname, LS_TYPE_SOA, LS_CLASS_IN, 60, rd, n),
		0);
	if (q->qtype == LS_TYPE_AXFR) {
		uint8_t owner[LS_DNAME_MAXLEN], a[4] = { 192, 0, 2, 53 };
		size_t k = 0;

		owner[k++] = 2;
		owner[k++] = 'n';
		owner[k++] = 's';
		ls_dname_copy_lower(owner + k, q->qname);
		assert_int_equal(ls_msg_put_rr(&w, LS_SECTION_ANSWER, q->qname, LS_TYPE_NS,
					       LS_CLASS_IN, 60, owner, ls_dname_len(owner)),
				 0);
		assert_int_equal(ls_msg_put_rr(&w, LS_SECTION_ANSWER, owner, LS_TYPE_A, LS_CLASS_IN,
					       60, a, sizeof(a)),
				 0);
		assert_int_equal(ls_msg_put_rr(&w, LS_SECTION_ANSWER, q->qname, LS_TYPE_SOA,
					       LS_CLASS_IN, 60, rd, n),
				 0);
	}
sign:
	len = ls_msg_len(&w);
	assert_int_equal(ls_tsig_sign(&t, out + 2, &len, sizeof(out) - 2, (uint64_t)time(NULL), 0),
			 0);
	ls_tsig_clear(&t);
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	assert_int_equal(send(p->cfd, out, len + 2, 0), (ssize_t)(len + 2));
}

static void on_prim_conn(struct ev_loop *loop, ev_io *w, int revents)
{
	struct prim *p = w->data;
	ssize_t n = recv(p->cfd, p->in + p->inlen, sizeof(p->in) - p->inlen, 0);
	struct ls_msg q;
	size_t mlen;

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		ev_io_stop(loop, w);
		close(p->cfd);
		p->cfd = -1;
		return;
	}
	p->inlen += (size_t)n;
	while (p->inlen >= 2 && p->inlen >= 2 + (mlen = (size_t)p->in[0] << 8 | p->in[1])) {
		assert_int_equal(ls_msg_parse(&q, p->in + 2, mlen), 0);
		p->queries++;
		if (q.qtype == LS_TYPE_AXFR && p->cut > 0) {
			/* a transfer cut before its first octet, after the SOA answer */
			p->cut--;
			ev_io_stop(loop, w);
			close(p->cfd);
			p->cfd = -1;
			return;
		}
		if (!p->silent)
			prim_answer(p, &q);
		else
			ev_break(loop, EVBREAK_ALL); /* the test acts while it waits */
		memmove(p->in, p->in + 2 + mlen, p->inlen - 2 - mlen);
		p->inlen -= 2 + mlen;
	}
}

static void on_prim_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct prim *p = w->data;

	if (p->cfd >= 0) { /* the client gave up on the last one */
		ev_io_stop(loop, &p->cio);
		close(p->cfd);
	}
	p->cfd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(p->cfd >= 0);
	p->inlen = 0;
	ev_io_init(&p->cio, on_prim_conn, p->cfd, EV_READ);
	p->cio.data = p;
	ev_io_start(loop, &p->cio);
}

/* ---- the client's side ---- */

static int op_offer(void *ctx, const uint8_t *origin, struct ls_zone *zone, const char *source)
{
	struct fx *f = ctx;

	f->offers++;
	ls_dname_to_str(f->last_origin, sizeof(f->last_origin), origin);
	snprintf(f->last_source, sizeof(f->last_source), "%s", source);
	f->last_serial = ls_zone_serial(zone);
	ls_zone_free(zone);
	ev_break(f->loop, EVBREAK_ALL);
	return 0;
}

static const struct ls_zone *op_live(void *ctx, const uint8_t *origin)
{
	return NULL; /* nothing held: always AXFR */
}

static void on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fx *f = w->data;

	f->timed_out = true;
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until something breaks it; false when 5 s passed first. */
static bool run(struct fx *f)
{
	f->timed_out = false;
	ev_timer_init(&f->guard, on_guard, 5.0, 0);
	f->guard.data = f;
	ev_timer_start(f->loop, &f->guard);
	ev_run(f->loop, 0);
	ev_timer_stop(f->loop, &f->guard);
	return !f->timed_out;
}

/* A configuration whose remote "p" is primary @pi; @extra is appended. */
static struct ls_config *config(struct fx *f, int pi, const char *extra)
{
	struct ls_config_errors errs;
	struct ls_config *cfg = NULL;
	char text[1024];

	snprintf(text, sizeof(text),
		 "node: {id: t, state-dir: %s}\n"
		 "key:\n  - id: k1\n    algorithm: hmac-sha256\n"
		 "    secret: 4j6HJ4uX9sEBCrbLp9zgNUZ+B1HqnPKvdwz1lgRtkUA=\n"
		 "remote:\n  - id: p\n    address: 127.0.0.1@%u\n    key: k1\n"
		 "  - id: q\n    address: 127.0.0.1@%u\n    key: k1\n"
		 "%s",
		 f->dir, f->p[pi].port, f->p[1 - pi].port, extra ? extra : "");
	assert_int_equal(ls_config_parse_string(text, strlen(text), "t.yaml", &cfg, &errs), 0);
	return cfg;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-xfrin-rt.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->loop = ev_loop_new(EVFLAG_AUTO);
	for (int i = 0; i < NPRIM; i++) {
		struct prim *p = &f->p[i];
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sin);

		p->f = f;
		p->cfd = -1;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(bind(p->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
		assert_int_equal(listen(p->lfd, 4), 0);
		assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&sin, &sl), 0);
		p->port = ntohs(sin.sin_port);
		ev_io_init(&p->lio, on_prim_accept, p->lfd, EV_READ);
		p->lio.data = p;
		ev_io_start(f->loop, &p->lio);
	}
	f->cfg = config(f, 0, "zone:\n  - {domain: conf.example., primaries: [p]}\n");
	soa_refresh = 60; /* no second refresh within a test */
	soa_retry = 60;
	soa_expire = 3600;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	for (int i = 0; i < NPRIM; i++) {
		ev_io_stop(f->loop, &f->p[i].lio);
		ev_io_stop(f->loop, &f->p[i].cio);
		close(f->p[i].lfd);
		if (f->p[i].cfd >= 0)
			close(f->p[i].cfd);
	}
	ev_loop_destroy(f->loop);
	ls_config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct ls_xfrin *client(struct fx *f)
{
	const struct ls_xfrin_ops ops = { .offer = op_offer, .live = op_live, .ctx = f };
	const struct ls_xfrin_opts opts = { .timeout = 2.0 };
	struct ls_xfrin *x;

	assert_int_equal(ls_xfrin_new(f->loop, f->cfg, &ops, &opts, &x), 0);
	return x;
}

/* Run until the offer of @origin arrives (others are counted and passed over). */
static void expect_offer(struct fx *f, const char *origin)
{
	for (int i = 0; i < 8; i++) {
		assert_true(run(f));
		if (strcmp(f->last_origin, origin) == 0)
			return;
	}
	fail_msg("no offer of %s", origin);
}

static struct sockaddr_in from_addr(const char *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5353) };

	inet_pton(AF_INET, a, &sin.sin_addr);
	return sin;
}

static void test_add_transfer_remove(void **state)
{
	struct fx *f = *state;
	struct ls_xfrin *x = client(f);
	const struct ls_config_remote *p = ls_config_remote_find(f->cfg, "p"), *r = NULL;
	struct sockaddr_in prim = from_addr("127.0.0.1"), stranger = from_addr("127.0.0.9");
	char want[64];

	/* the configured zone first, then a run-time one */
	expect_offer(f, "conf.example.");
	assert_false(ls_xfrin_has_zone(x, N("member.example.")));
	assert_int_equal(ls_xfrin_refresh(x, N("member.example.")), -ENOENT);
	assert_int_equal(ls_xfrin_add_zone(x, N("Member.Example."), &p, 1), 0);
	assert_true(ls_xfrin_has_zone(x, N("member.example.")));
	expect_offer(f, "member.example.");
	assert_int_equal(f->last_serial, 7);
	snprintf(want, sizeof(want), "axfr 127.0.0.1@%u", f->p[0].port);
	assert_string_equal(f->last_source, want);
	/* NOTIFY: from the primary's address (any port) only */
	assert_int_equal(ls_xfrin_primary(x, N("member.example."), (struct sockaddr *)&prim, &r),
			 0);
	assert_ptr_equal(r, p);
	assert_int_equal(
		ls_xfrin_primary(x, N("member.example."), (struct sockaddr *)&stranger, &r),
		-EPERM);
	/* a refresh on demand transfers again */
	assert_int_equal(ls_xfrin_refresh(x, N("member.example.")), 0);
	expect_offer(f, "member.example.");
	/* the same primaries again: nothing changes (no new transfer is started) */
	assert_int_equal(ls_xfrin_add_zone(x, N("member.example."), &p, 1), 0);
	/* configured zones are the configuration's */
	assert_int_equal(ls_xfrin_add_zone(x, N("conf.example."), &p, 1), -EEXIST);
	assert_int_equal(ls_xfrin_remove_zone(x, N("conf.example.")), -EPERM);
	/* bad arguments */
	assert_int_equal(ls_xfrin_add_zone(x, N("other.example."), &p, 0), -EINVAL);
	assert_int_equal(ls_xfrin_add_zone(x, N("other.example."), NULL, 1), -EINVAL);
	/* removal: gone, and NOTIFY for it is not ours any more */
	assert_int_equal(ls_xfrin_remove_zone(x, N("member.example.")), 0);
	assert_false(ls_xfrin_has_zone(x, N("member.example.")));
	assert_int_equal(ls_xfrin_refresh(x, N("member.example.")), -ENOENT);
	assert_int_equal(ls_xfrin_primary(x, N("member.example."), (struct sockaddr *)&prim, &r),
			 -ENOENT);
	assert_int_equal(ls_xfrin_remove_zone(x, N("member.example.")), -ENOENT);
	ls_xfrin_free(x);
}

/* New primaries for a run-time zone: the transfer in flight starts over from them. */
static void test_change_primaries(void **state)
{
	struct fx *f = *state;
	struct ls_xfrin *x = client(f);
	const struct ls_config_remote *p = ls_config_remote_find(f->cfg, "p");
	const struct ls_config_remote *q = ls_config_remote_find(f->cfg, "q");
	char want[64];

	expect_offer(f, "conf.example.");
	f->p[0].queries = 0;
	f->p[0].silent = true;
	assert_int_equal(ls_xfrin_add_zone(x, N("member.example."), &p, 1), 0);
	assert_true(run(f)); /* broken by the silent primary: the SOA query is in flight */
	assert_int_equal(f->p[0].queries, 1);
	assert_int_equal(ls_xfrin_add_zone(x, N("member.example."), &q, 1), 0);
	expect_offer(f, "member.example.");
	snprintf(want, sizeof(want), "axfr 127.0.0.1@%u", f->p[1].port);
	assert_string_equal(f->last_source, want);
	ls_xfrin_free(x);
}

/*
 * The reload bug: a transfer in flight across ls_xfrin_reconfigure() must
 * not keep pointers into the old configuration's remotes. The old one is
 * freed before the loop runs again; the transfer resumes from the remote
 * of the same id in the new configuration, which now names the other
 * primary.
 */
static void test_reload_in_flight(void **state)
{
	struct fx *f = *state;
	struct ls_xfrin *x = client(f);
	const struct ls_config_remote *p = ls_config_remote_find(f->cfg, "p"), *r = NULL;
	struct sockaddr_in prim = from_addr("127.0.0.1");
	struct ls_config *cfg2;
	char want[64];

	expect_offer(f, "conf.example.");
	f->p[0].queries = 0;
	f->p[0].silent = true;
	assert_int_equal(ls_xfrin_add_zone(x, N("member.example."), &p, 1), 0);
	assert_true(run(f));
	assert_int_equal(f->p[0].queries, 1);
	/* "p" is now the second primary; the configured zone is gone */
	cfg2 = config(f, 1, NULL);
	assert_int_equal(ls_xfrin_reconfigure(x, cfg2), 0);
	ls_config_free(f->cfg);
	f->cfg = cfg2;
	assert_true(ls_xfrin_has_zone(x, N("member.example.")));
	assert_false(ls_xfrin_has_zone(x, N("conf.example.")));
	assert_int_equal(ls_xfrin_primary(x, N("member.example."), (struct sockaddr *)&prim, &r),
			 0);
	assert_ptr_equal(r, ls_config_remote_find(cfg2, "p"));
	expect_offer(f, "member.example.");
	snprintf(want, sizeof(want), "axfr 127.0.0.1@%u", f->p[1].port);
	assert_string_equal(f->last_source, want);
	ls_xfrin_free(x);
}

/* Across reloads: a remote that is gone drops the zone; a configured zone wins. */
static void test_reload_gone_and_configured(void **state)
{
	struct fx *f = *state;
	struct ls_xfrin *x = client(f);
	const struct ls_config_remote *p = ls_config_remote_find(f->cfg, "p");
	const struct ls_config_remote *q = ls_config_remote_find(f->cfg, "q");
	const struct ls_config_remote *pq[2] = { p, q };
	struct ls_config_errors errs;
	struct ls_config *cfg2, *cfg3;
	char text[512];

	assert_int_equal(ls_xfrin_add_zone(x, N("a.example."), &p, 1), 0);
	assert_int_equal(ls_xfrin_add_zone(x, N("b.example."), pq, 2), 0);
	assert_int_equal(ls_xfrin_add_zone(x, N("c.example."), &q, 1), 0);
	/* the same remotes, and c.example. now configured */
	cfg2 = config(f, 0, "zone:\n  - {domain: c.example., primaries: [q]}\n");
	assert_int_equal(ls_xfrin_reconfigure(x, cfg2), 0);
	ls_config_free(f->cfg);
	f->cfg = cfg2;
	assert_true(ls_xfrin_has_zone(x, N("a.example.")));
	assert_int_equal(ls_xfrin_remove_zone(x, N("c.example.")), -EPERM);
	/* without remote "p": a.example. has no primary left, b.example. keeps q */
	snprintf(text, sizeof(text),
		 "node: {id: t, state-dir: %s}\n"
		 "key:\n  - id: k1\n    algorithm: hmac-sha256\n"
		 "    secret: 4j6HJ4uX9sEBCrbLp9zgNUZ+B1HqnPKvdwz1lgRtkUA=\n"
		 "remote:\n  - id: q\n    address: 127.0.0.1@%u\n    key: k1\n",
		 f->dir, f->p[1].port);
	assert_int_equal(ls_config_parse_string(text, strlen(text), "t.yaml", &cfg3, &errs), 0);
	assert_int_equal(ls_xfrin_reconfigure(x, cfg3), 0);
	ls_config_free(f->cfg);
	f->cfg = cfg3;
	assert_false(ls_xfrin_has_zone(x, N("a.example.")));
	assert_true(ls_xfrin_has_zone(x, N("b.example.")));
	assert_false(ls_xfrin_has_zone(x, N("c.example."))); /* unconfigured: gone */
	expect_offer(f, "b.example.");
	ls_xfrin_free(x);
}

/*
 * A cut transfer: the next round comes after the backoff (here 0.05 s,
 * then 0.1 s), not after the SOA RETRY of 60 s the primary's SOA answer
 * gave — each run() gives up after 5 s, so the RETRY wait of the old code
 * fails the test. With a second primary the cut one is passed over in
 * the same round, without any backoff.
 */
static void test_backoff_after_cut(void **state)
{
	struct fx *f = *state;
	const struct ls_xfrin_ops ops = { .offer = op_offer, .live = op_live, .ctx = f };
	const struct ls_xfrin_opts opts = { .timeout = 2.0,
					    .retry_min = 0.01,
					    .backoff_first = 0.05 };
	const struct ls_config_remote *p = ls_config_remote_find(f->cfg, "p");
	const struct ls_config_remote *q = ls_config_remote_find(f->cfg, "q");
	const struct ls_config_remote *pq[2] = { p, q };
	struct ls_xfrin *x;
	char want[64];

	f->p[0].cut = 2;
	assert_int_equal(ls_xfrin_new(f->loop, f->cfg, &ops, &opts, &x), 0);
	expect_offer(f, "conf.example.");
	assert_int_equal(f->p[0].cut, 0);
	assert_int_equal(ls_xfrin_stats(x)->backoff_retries, 2);
	assert_int_equal(f->last_serial, 7);
	/* primaries [p, q], p cuts: q is asked in the same round, no backoff */
	f->p[0].cut = 1;
	assert_int_equal(ls_xfrin_add_zone(x, N("member.example."), pq, 2), 0);
	expect_offer(f, "member.example.");
	assert_int_equal(f->p[0].cut, 0);
	snprintf(want, sizeof(want), "axfr 127.0.0.1@%u", f->p[1].port);
	assert_string_equal(f->last_source, want);
	assert_int_equal(ls_xfrin_stats(x)->backoff_retries, 2);
	/*
	 * a primary that answers the SOA query REFUSED is asked again after
	 * the backoff too (no SOA seen: capped at the ceiling, 600 s by
	 * default; the old code waited the 600 s default RETRY outright)
	 */
	f->p[0].refuse = 1;
	assert_int_equal(ls_xfrin_add_zone(x, N("refused.example."), &p, 1), 0);
	expect_offer(f, "refused.example.");
	assert_int_equal(f->p[0].refuse, 0);
	assert_int_equal(ls_xfrin_stats(x)->backoff_retries, 3);
	ls_xfrin_free(x);
}

static void op_expire(void *ctx, const uint8_t *origin)
{
	struct fx *f = ctx;

	(void)origin;
	f->expired++;
	f->queries_at_expiry = f->p[0].queries;
	ev_break(f->loop, EVBREAK_ALL);
}

/*
 * SOA EXPIRE 2 s, REFRESH 1 s, RETRY 3600 s, a first backoff of 30 s: the
 * refresh after the transfer is REFUSED, and the zone must be withdrawn at
 * EXPIRE (RFC 1035 §3.3.13), not when the retry after the backoff fails
 * half a minute later (run() gives up after 5 s: the old code fails here)
 * — and before that retry asks the primary again.
 */
static void test_expire_not_delayed_by_backoff(void **state)
{
	struct fx *f = *state;
	const struct ls_xfrin_ops ops = {
		.offer = op_offer, .live = op_live, .expire = op_expire, .ctx = f
	};
	const struct ls_xfrin_opts opts = { .timeout = 2.0,
					    .retry_min = 0.01,
					    .backoff_first = 30.0 };
	struct ls_xfrin *x;
	int asked;

	soa_refresh = 1;
	soa_retry = 3600;
	soa_expire = 2;
	assert_int_equal(ls_xfrin_new(f->loop, f->cfg, &ops, &opts, &x), 0);
	expect_offer(f, "conf.example.");
	asked = f->p[0].queries;
	f->p[0].refuse = 1000;
	assert_true(run(f));
	assert_int_equal(f->expired, 1);
	/* the refresh that was refused, and nothing after it */
	assert_int_equal(f->queries_at_expiry, asked + 1);
	ls_xfrin_free(x);
}

/*
 * The backoff is capped at SOA RETRY even when RETRY is shorter than the
 * backoff's first step: a primary whose SOA says RETRY 1 s is asked again
 * after 1 s, not after the 30 s first step configured here (the old code
 * raised the cap to the first step; run() gives up after 5 s).
 */
static void test_backoff_capped_below_first_step(void **state)
{
	struct fx *f = *state;
	const struct ls_xfrin_ops ops = { .offer = op_offer, .live = op_live, .ctx = f };
	const struct ls_xfrin_opts opts = { .timeout = 2.0,
					    .retry_min = 0.01,
					    .backoff_first = 30.0 };
	struct ls_xfrin *x;

	soa_retry = 1;
	f->p[0].cut = 1; /* the SOA answer gives RETRY 1 s, then the AXFR is cut */
	assert_int_equal(ls_xfrin_new(f->loop, f->cfg, &ops, &opts, &x), 0);
	expect_offer(f, "conf.example.");
	assert_int_equal(f->p[0].cut, 0);
	assert_int_equal(ls_xfrin_stats(x)->backoff_retries, 1);
	ls_xfrin_free(x);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_transfer_remove),
		T(test_change_primaries),
		T(test_reload_in_flight),
		T(test_reload_gone_and_configured),
		T(test_backoff_after_cut),
		T(test_expire_not_delayed_by_backoff),
		T(test_backoff_capped_below_first_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
