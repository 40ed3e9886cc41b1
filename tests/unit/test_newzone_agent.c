/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/newzone: the whole slave-side exchange on a real
 * libev loop against a master in this process (a TCP listener on
 * 127.0.0.1 that checks the TSIG of each query and answers SOA and NS,
 * signed). Covered: a good NEWZONE_NOTIFY creates, persists and transfers
 * the zone and is answered NOERROR (signed); a restart re-adds it from the
 * list; the named master neither MNAME nor in the NS set, a failed
 * transfer start and a silent master give SERVFAIL and create nothing; an
 * unsigned request, a request from an unknown address and one signed with
 * the wrong key are refused; a real UPDATE gets NOTIMP.
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

#include "agent/newzone.h"
#include "common/config.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/newzone.h"
#include "common/rdata.h"
#include "common/tsig.h"

struct fx {
	char dir[64];
	struct ev_loop *loop;
	struct ls_config *cfg;
	/* the master */
	int lfd, cfd;
	ev_io lio, cio;
	uint8_t in[2 + 65535];
	size_t inlen;
	const char *mname; /* the SOA MNAME it answers */
	const char *ns; /* its one NS target */
	bool silent;
	/* what the node did */
	int adds, removes, transfers, transfer_err;
	char transfer_from[64];
	bool replied;
	uint8_t resp[1024];
	size_t resplen;
	ev_timer guard;
};

static const uint8_t *N(const char *s)
{
	static uint8_t ring[8][LS_DNAME_MAXLEN];
	static int next;
	uint8_t *n = ring[next++ % 8];

	assert_true(ls_dname_from_str(n, s, NULL) > 0);
	return n;
}

/* ---- the master ---- */

static void master_answer(struct fx *f, const struct ls_msg *q)
{
	const struct ls_config_key *key = &f->cfg->keys[0];
	uint8_t out[2 + 1024], rd[300];
	struct ls_msg_writer w;
	struct ls_tsig_status st;
	struct ls_tsig t;
	size_t len;
	int n;

	ls_tsig_init(&t, key);
	assert_int_equal(ls_tsig_verify_request(&t, key, 1, q, (uint64_t)time(NULL), 0, &st), 0);
	assert_int_equal(ls_msg_writer_init(&w, out + 2, sizeof(out) - 2), 0);
	ls_msg_set_header(&w, q->id, LS_FLAG_QR | LS_FLAG_AA);
	assert_int_equal(ls_msg_put_question(&w, q->qname, q->qtype, q->qclass), 0);
	if (q->qtype == LS_TYPE_SOA) {
		n = (int)ls_dname_copy_lower(rd, N(f->mname));
		n += (int)ls_dname_copy_lower(rd + n, N("admin.example."));
		memset(rd + n, 0, 20);
		rd[n + 3] = 42; /* serial 42 */
		n += 20;
	} else {
		n = (int)ls_dname_copy_lower(rd, N(f->ns));
	}
	assert_int_equal(ls_msg_put_rr(&w, LS_SECTION_ANSWER, q->qname, q->qtype, LS_CLASS_IN, 0,
				       rd, (size_t)n),
			 0);
	len = ls_msg_len(&w);
	assert_int_equal(ls_tsig_sign(&t, out + 2, &len, sizeof(out) - 2, (uint64_t)time(NULL), 0),
			 0);
	ls_tsig_clear(&t);
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	assert_int_equal(send(f->cfd, out, len + 2, 0), (ssize_t)(len + 2));
}

static void on_master_conn(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fx *f = w->data;
	ssize_t n = recv(f->cfd, f->in + f->inlen, sizeof(f->in) - f->inlen, 0);
	struct ls_msg q;
	size_t mlen;

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		ev_io_stop(loop, w);
		close(f->cfd);
		f->cfd = -1;
		return;
	}
	f->inlen += (size_t)n;
	while (f->inlen >= 2 && f->inlen >= 2 + (mlen = (size_t)f->in[0] << 8 | f->in[1])) {
		assert_int_equal(ls_msg_parse(&q, f->in + 2, mlen), 0);
		if (!f->silent)
			master_answer(f, &q);
		memmove(f->in, f->in + 2 + mlen, f->inlen - 2 - mlen);
		f->inlen -= 2 + mlen;
	}
}

static void on_master_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fx *f = w->data;

	if (f->cfd >= 0) { /* the node gave up on the last one */
		ev_io_stop(loop, &f->cio);
		close(f->cfd);
	}
	f->cfd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(f->cfd >= 0);
	f->inlen = 0;
	ev_io_init(&f->cio, on_master_conn, f->cfd, EV_READ);
	f->cio.data = f;
	ev_io_start(loop, &f->cio);
}

/* ---- the node's side ---- */

static int op_add(void *ctx, const uint8_t *origin)
{
	((struct fx *)ctx)->adds++;
	return 0;
}

static int op_remove(void *ctx, const uint8_t *origin)
{
	((struct fx *)ctx)->removes++;
	return 0;
}

static int op_transfer(void *ctx, const uint8_t *origin, const struct ls_config_remote *m)
{
	struct fx *f = ctx;

	f->transfers++;
	snprintf(f->transfer_from, sizeof(f->transfer_from), "%s", m->id);
	return f->transfer_err;
}

static void on_reply(void *ctx, const uint8_t *resp, size_t len)
{
	struct fx *f = ctx;

	assert_false(f->replied);
	assert_true(len <= sizeof(f->resp));
	memcpy(f->resp, resp, len);
	f->resplen = len;
	f->replied = true;
	ev_break(f->loop, EVBREAK_ALL);
}

static void on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	fail_msg("no reply within the bound");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char path[128];
	FILE *c;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ls-newzone-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->loop = ev_loop_new(EVFLAG_AUTO);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(path, sizeof(path), "%s/lockstep.conf", f->dir);
	c = fopen(path, "w");
	fprintf(c,
		"node:\n  id: t\n  state-dir: %s\n"
		"key:\n  - id: k1\n    algorithm: hmac-sha256\n"
		"    secret: 4j6HJ4uX9sEBCrbLp9zgNUZ+B1HqnPKvdwz1lgRtkUA=\n"
		"  - id: k2\n    algorithm: hmac-sha256\n"
		"    secret: AAAAJ4uX9sEBCrbLp9zgNUZ+B1HqnPKvdwz1lgRtkUA=\n"
		"remote:\n  - id: master\n    address: 127.0.0.1@%u\n    key: k1\n"
		"  - id: nokey\n    address: 127.0.0.3\n"
		"zone:\n  - domain: configured.example.\n    file: /nonexistent\n",
		f->dir, ntohs(sin.sin_port));
	fclose(c);
	assert_int_equal(ls_config_load(path, &f->cfg, NULL), 0);
	ev_io_init(&f->lio, on_master_accept, f->lfd, EV_READ);
	f->lio.data = f;
	ev_io_start(f->loop, &f->lio);
	f->cfd = -1;
	f->mname = "ns1.example.";
	f->ns = "ns2.example.";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	ev_io_stop(f->loop, &f->lio);
	ev_io_stop(f->loop, &f->cio);
	close(f->lfd);
	if (f->cfd >= 0)
		close(f->cfd);
	ev_loop_destroy(f->loop);
	ls_config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct ls_newzone *node(struct fx *f)
{
	const struct ls_newzone_ops ops = {
		.add_zone = op_add, .remove_zone = op_remove, .transfer = op_transfer, .ctx = f
	};
	const struct ls_newzone_opts opts = { .timeout = 0.5 };
	struct ls_newzone *nz;

	assert_int_equal(ls_newzone_new(f->loop, f->cfg, &ops, &opts, &nz), 0);
	return nz;
}

/* Send a NEWZONE_NOTIFY for @zone naming @master at 127.0.0.1, signed with @key. */
static unsigned send_req(struct fx *f, struct ls_newzone *nz, const char *zone, const char *master,
			 const struct ls_config_key *key, const char *from_addr)
{
	struct sockaddr_storage a = { .ss_family = AF_INET }, from = { .ss_family = AF_INET };
	uint8_t buf[1024];
	struct ls_msg m;
	struct ls_tsig t;
	size_t len;
	int n;

	inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&a)->sin_addr);
	inet_pton(AF_INET, from_addr, &((struct sockaddr_in *)&from)->sin_addr);
	n = ls_newzone_request(0x4242, N(zone), N(master), &a, 1, buf, sizeof(buf));
	assert_true(n > 0);
	len = (size_t)n;
	if (key) {
		ls_tsig_init(&t, key);
		assert_int_equal(ls_tsig_sign(&t, buf, &len, sizeof(buf), (uint64_t)time(NULL), 0),
				 0);
		ls_tsig_clear(&t);
	}
	f->replied = false;
	assert_int_equal(ls_newzone_handle(nz, buf, len, (struct sockaddr *)&from, on_reply, f), 0);
	if (!f->replied) {
		ev_timer_init(&f->guard, on_guard, 5.0, 0);
		ev_timer_start(f->loop, &f->guard);
		ev_run(f->loop, 0);
		ev_timer_stop(f->loop, &f->guard);
	}
	assert_true(f->replied);
	assert_int_equal(ls_msg_parse(&m, f->resp, f->resplen), 0);
	assert_int_equal(m.id, 0x4242);
	assert_true(m.flags & LS_FLAG_QR);
	assert_int_equal(ls_msg_opcode(&m), LS_OPCODE_UPDATE);
	if (key == &f->cfg->keys[0] && ls_msg_rcode(&m) != LS_RCODE_REFUSED)
		assert_true(m.has_tsig); /* authenticated requests get signed answers */
	return ls_msg_rcode(&m);
}

static void test_create_and_restart(void **state)
{
	struct fx *f = *state;
	struct ls_newzone *nz = node(f);
	char path[128], text[512];
	FILE *l;
	size_t n;

	assert_int_equal(
		send_req(f, nz, "New.Example.", "ns1.example.", &f->cfg->keys[0], "127.0.0.1"),
		LS_RCODE_NOERROR);
	assert_int_equal(f->adds, 1);
	assert_int_equal(f->transfers, 1);
	assert_string_equal(f->transfer_from, "master");
	assert_int_equal(ls_newzone_count(nz), 1);
	snprintf(path, sizeof(path), "%s/newzones", f->dir);
	l = fopen(path, "r");
	assert_non_null(l);
	n = fread(text, 1, sizeof(text) - 1, l);
	fclose(l);
	text[n] = '\0';
	assert_string_equal(text, LS_NEWZONE_LIST_MAGIC "\nnew.example. master\n");
	/* said again: NOERROR, nothing new */
	assert_int_equal(
		send_req(f, nz, "new.example.", "ns1.example.", &f->cfg->keys[0], "127.0.0.1"),
		LS_RCODE_NOERROR);
	assert_int_equal(f->adds, 1);
	/* the NS set names it too */
	assert_int_equal(
		send_req(f, nz, "two.example.", "ns2.example.", &f->cfg->keys[0], "127.0.0.1"),
		LS_RCODE_NOERROR);
	assert_int_equal(ls_newzone_count(nz), 2);
	ls_newzone_free(nz);
	/* a restart re-adds both and transfers them */
	f->adds = f->transfers = 0;
	nz = node(f);
	assert_int_equal(f->adds, 2);
	assert_int_equal(f->transfers, 2);
	assert_int_equal(ls_newzone_count(nz), 2);
	ls_newzone_free(nz);
}

static void test_checks_fail(void **state)
{
	struct fx *f = *state;
	struct ls_newzone *nz = node(f);

	/* §5.2: the named master is neither MNAME nor NS */
	assert_int_equal(
		send_req(f, nz, "new.example.", "ns9.example.", &f->cfg->keys[0], "127.0.0.1"),
		LS_RCODE_SERVFAIL);
	/* the transfer cannot start: nothing is kept */
	f->transfer_err = -ENOENT;
	assert_int_equal(
		send_req(f, nz, "new.example.", "ns1.example.", &f->cfg->keys[0], "127.0.0.1"),
		LS_RCODE_SERVFAIL);
	assert_int_equal(f->adds, 1);
	assert_int_equal(f->removes, 1);
	assert_int_equal(ls_newzone_count(nz), 0);
	f->transfer_err = 0;
	/* a silent master */
	f->silent = true;
	assert_int_equal(
		send_req(f, nz, "new.example.", "ns1.example.", &f->cfg->keys[0], "127.0.0.1"),
		LS_RCODE_SERVFAIL);
	/* a configured zone is not created again */
	f->silent = false;
	assert_int_equal(send_req(f, nz, "configured.example.", "ns1.example.", &f->cfg->keys[0],
				  "127.0.0.1"),
			 LS_RCODE_SERVFAIL);
	assert_int_equal(f->adds, 1);
	ls_newzone_free(nz);
}

static void test_refused(void **state)
{
	struct fx *f = *state;
	struct ls_newzone *nz = node(f);

	/* not signed */
	assert_int_equal(send_req(f, nz, "new.example.", "ns1.example.", NULL, "127.0.0.1"),
			 LS_RCODE_REFUSED);
	/* not a configured remote */
	assert_int_equal(
		send_req(f, nz, "new.example.", "ns1.example.", &f->cfg->keys[0], "192.0.2.99"),
		LS_RCODE_REFUSED);
	/* a remote without a key */
	assert_int_equal(
		send_req(f, nz, "new.example.", "ns1.example.", &f->cfg->keys[0], "127.0.0.3"),
		LS_RCODE_REFUSED);
	/* the wrong key: NOTAUTH (BADKEY) */
	assert_int_equal(
		send_req(f, nz, "new.example.", "ns1.example.", &f->cfg->keys[1], "127.0.0.1"),
		LS_RCODE_NOTAUTH);
	assert_int_equal(f->adds, 0);
	assert_int_equal(f->transfers, 0);
	ls_newzone_free(nz);
}

static void test_update_notimp(void **state)
{
	struct fx *f = *state;
	struct ls_newzone *nz = node(f);
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct ls_msg_writer w;
	uint8_t buf[512];
	struct ls_msg m;

	assert_int_equal(ls_msg_writer_init(&w, buf, sizeof(buf)), 0);
	ls_msg_set_header(&w, 7, LS_OPCODE_UPDATE << LS_OPCODE_SHIFT);
	assert_int_equal(ls_msg_put_question(&w, N("example."), LS_TYPE_SOA, LS_CLASS_IN), 0);
	f->replied = false;
	assert_int_equal(
		ls_newzone_handle(nz, buf, ls_msg_len(&w), (struct sockaddr *)&from, on_reply, f),
		0);
	assert_true(f->replied);
	assert_int_equal(ls_msg_parse(&m, f->resp, f->resplen), 0);
	assert_int_equal(ls_msg_rcode(&m), LS_RCODE_NOTIMP);
	assert_int_equal(m.id, 7);
	/* not opcode 5: not handled at all */
	ls_msg_set_header(&w, 7, 0);
	f->replied = false;
	assert_int_equal(
		ls_newzone_handle(nz, buf, ls_msg_len(&w), (struct sockaddr *)&from, on_reply, f),
		-EINVAL);
	assert_false(f->replied);
	/* garbage with an opcode-5 header: FORMERR */
	memset(buf + 12, 0xff, 20);
	buf[2] = LS_OPCODE_UPDATE << 3;
	buf[5] = 1; /* QDCOUNT 1 */
	assert_int_equal(ls_newzone_handle(nz, buf, 32, (struct sockaddr *)&from, on_reply, f), 0);
	assert_true(f->replied);
	assert_int_equal(ls_msg_parse(&m, f->resp, f->resplen), 0);
	assert_int_equal(ls_msg_rcode(&m), LS_RCODE_FORMERR);
	ls_newzone_free(nz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_notimp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
