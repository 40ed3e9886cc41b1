/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/server: UDP batching and TCP per RFC 7766 (split
 * length prefix, pipelined queries, a query split across reads, bad length
 * prefixes, half close, backpressure with large answers, idle timeout,
 * connection limit), over loopback on ephemeral ports, driving the libev
 * loop from the test. The responder is a stub (the query echoed with QR
 * set) so these tests see the server alone, not the answer engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/server.h"

#define ID_DROP 0xdead /* the stub sends nothing */
#define ID_BIG 0xbeef /* the stub answers with BIG_LEN octets */
#define BIG_LEN 60000

struct fixture {
	struct ev_loop *loop;
	struct ls_server *srv;
	struct sockaddr_in udp, tcp;
	unsigned batches;
	unsigned responded;
};

static int stub_respond(void *ctx, const uint8_t *q, size_t qlen, int transport, uint8_t *resp,
			size_t cap)
{
	struct fixture *f = ctx;
	unsigned id = (unsigned)q[0] << 8 | q[1];
	size_t len = qlen;

	if (id == ID_DROP)
		return 0;
	if (id == ID_BIG) {
		if (transport != LS_SERVER_TCP || cap < BIG_LEN)
			return -ENOSPC;
		len = BIG_LEN;
		memset(resp, 0xab, len);
	}
	if (qlen > cap)
		return -ENOSPC;
	memcpy(resp, q, qlen);
	resp[2] |= 0x80; /* QR */
	f->responded++;
	return (int)len;
}

static void stub_batch(void *ctx)
{
	((struct fixture *)ctx)->batches++;
}

static struct fixture *start(double idle, unsigned max_conns)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ls_config_addr a = { 0 };
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;
	struct ls_server_opts opts = {
		.respond = stub_respond,
		.batch = stub_batch,
		.tcp_idle_timeout = idle,
		.tcp_max_conns = max_conns,
	};
	socklen_t len;

	assert_non_null(f);
	opts.ctx = f;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = 0;
	a.len = sizeof(*sin);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->loop);
	assert_int_equal(ls_server_new(f->loop, &a, 1, &opts, &f->srv), 0);
	assert_int_equal(ls_server_sockname(f->srv, 0, LS_SERVER_UDP, &ss, &len), 0);
	memcpy(&f->udp, &ss, sizeof(f->udp));
	assert_int_equal(ls_server_sockname(f->srv, 0, LS_SERVER_TCP, &ss, &len), 0);
	memcpy(&f->tcp, &ss, sizeof(f->tcp));
	assert_int_equal(ls_server_sockname(f->srv, 1, LS_SERVER_TCP, &ss, &len), -ENOENT);
	return f;
}

static void stop(struct fixture *f)
{
	ls_server_free(f->srv);
	ev_loop_destroy(f->loop);
	free(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run the server's loop for @secs without blocking in it. */
static void pump(struct fixture *f, double secs)
{
	double end = now_s() + secs;

	do {
		ev_run(f->loop, EVRUN_NOWAIT);
		usleep(500);
	} while (now_s() < end);
}

/* A 17-octet query: header with @id, the root name, type A, class IN. */
static void query(uint8_t q[17], unsigned id)
{
	static const uint8_t tmpl[17] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 };

	memcpy(q, tmpl, sizeof(tmpl));
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
}

static void framed(uint8_t out[19], unsigned id)
{
	out[0] = 0;
	out[1] = 17;
	query(out + 2, id);
}

static int tcp_connect(struct fixture *f)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->tcp, sizeof(f->tcp)), 0);
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * Read @n octets, running the loop meanwhile. Returns the number read
 * (short on EOF or after @timeout seconds); *@eof tells which.
 */
static size_t recv_n(struct fixture *f, int fd, uint8_t *buf, size_t n, double timeout, bool *eof)
{
	double end = now_s() + timeout;
	size_t got = 0;

	*eof = false;
	while (got < n && now_s() < end) {
		ssize_t r;

		ev_run(f->loop, EVRUN_NOWAIT);
		r = recv(fd, buf + got, n - got, MSG_DONTWAIT);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			*eof = true;
			break;
		}
		usleep(500);
	}
	return got;
}

/* Expect one framed answer to @id. */
static void expect_answer(struct fixture *f, int fd, unsigned id)
{
	uint8_t buf[2 + 17];
	bool eof;

	assert_int_equal(recv_n(f, fd, buf, sizeof(buf), 5, &eof), sizeof(buf));
	assert_int_equal(buf[0] << 8 | buf[1], 17);
	assert_int_equal(buf[2] << 8 | buf[3], id);
	assert_true(buf[4] & 0x80);
}

static bool closed_by_server(struct fixture *f, int fd, double timeout)
{
	uint8_t b;
	bool eof;

	return recv_n(f, fd, &b, 1, timeout, &eof) == 0 && eof;
}

static void test_udp_batch(void **state)
{
	struct fixture *f = start(0, 0);
	const struct ls_server_stats *st = ls_server_stats(f->srv);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t q[17], r[64];
	unsigned seen = 0, mask[4] = { 0 };
	double end;

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->udp, sizeof(f->udp)), 0);
	/* 100 queries queued before the server looks: two recvmmsg batches */
	for (unsigned i = 0; i < 100; i++) {
		query(q, i);
		send_all(fd, q, sizeof(q));
	}
	query(q, ID_DROP);
	send_all(fd, q, sizeof(q));
	end = now_s() + 5;
	while (seen < 100 && now_s() < end) {
		ssize_t n;

		ev_run(f->loop, EVRUN_NOWAIT);
		n = recv(fd, r, sizeof(r), MSG_DONTWAIT);
		if (n < 0) {
			usleep(500);
			continue;
		}
		assert_int_equal(n, 17);
		assert_true(r[2] & 0x80);
		assert_true((r[0] << 8 | r[1]) < 100);
		mask[r[1] / 32] |= 1u << (r[1] % 32);
		seen++;
	}
	pump(f, 0.05);
	assert_int_equal(seen, 100);
	assert_int_equal(mask[0] & mask[1] & mask[2], 0xffffffffu);
	assert_int_equal(mask[3], 0xf);
	assert_int_equal(st->udp_queries, 101);
	assert_int_equal(st->udp_responses, 100);
	assert_int_equal(st->udp_dropped, 1);
	assert_int_equal(st->udp_send_errors, 0);
	/* the clock is read per batch, not per packet */
	assert_true(f->batches >= 2 && f->batches <= 4);

	/* a datagram too large to be a query is dropped, not answered */
	{
		static uint8_t big[LS_SERVER_UDP_BUFLEN + 100];

		query(big, 7);
		send_all(fd, big, sizeof(big));
		pump(f, 0.05);
		assert_int_equal(st->udp_queries, 102);
		assert_int_equal(st->udp_dropped, 2);
		assert_true(recv(fd, r, sizeof(r), MSG_DONTWAIT) < 0);
	}
	close(fd);
	stop(f);
}

static void test_tcp_split_prefix(void **state)
{
	struct fixture *f = start(0, 0);
	int fd = tcp_connect(f);
	uint8_t m[19];

	framed(m, 42);
	send_all(fd, m, 1); /* half of the length */
	pump(f, 0.05);
	send_all(fd, m + 1, 1); /* the other half */
	pump(f, 0.05);
	send_all(fd, m + 2, 5); /* part of the header */
	pump(f, 0.05);
	assert_int_equal(ls_server_stats(f->srv)->tcp_queries, 0);
	send_all(fd, m + 7, sizeof(m) - 7);
	expect_answer(f, fd, 42);
	assert_int_equal(ls_server_stats(f->srv)->tcp_queries, 1);
	assert_int_equal(ls_server_stats(f->srv)->tcp_responses, 1);
	/* and the connection stays open for more */
	framed(m, 43);
	send_all(fd, m, sizeof(m));
	expect_answer(f, fd, 43);
	close(fd);
	pump(f, 0.05);
	assert_int_equal(ls_server_tcp_conns(f->srv), 0);
	assert_int_equal(ls_server_stats(f->srv)->tcp_closed, 1);
	stop(f);
}

static void test_tcp_pipelined(void **state)
{
	struct fixture *f = start(0, 0);
	int fd = tcp_connect(f);
	uint8_t m[50 * 19];

	/* 50 queries in one segment, one dropped by the responder */
	for (unsigned i = 0; i < 50; i++)
		framed(m + i * 19, i == 25 ? ID_DROP : 1000 + i);
	send_all(fd, m, sizeof(m));
	for (unsigned i = 0; i < 50; i++) {
		if (i != 25)
			expect_answer(f, fd, 1000 + i); /* in order */
	}
	assert_int_equal(ls_server_stats(f->srv)->tcp_queries, 50);
	assert_int_equal(ls_server_stats(f->srv)->tcp_responses, 49);
	assert_int_equal(ls_server_stats(f->srv)->tcp_dropped, 1);

	/* a query that straddles two segments after a complete one */
	framed(m, 1);
	framed(m + 19, 2);
	send_all(fd, m, 19 + 10);
	expect_answer(f, fd, 1);
	send_all(fd, m + 29, 9);
	expect_answer(f, fd, 2);
	close(fd);
	stop(f);
}

static void test_tcp_bad_length(void **state)
{
	struct fixture *f = start(0, 0);
	uint8_t big[2] = { 0xff, 0xff }, tiny[2 + 5] = { 0, 5 };
	int fd;

	fd = tcp_connect(f);
	send_all(fd, big, sizeof(big));
	assert_true(closed_by_server(f, fd, 5));
	close(fd);

	fd = tcp_connect(f);
	send_all(fd, tiny, sizeof(tiny));
	assert_true(closed_by_server(f, fd, 5));
	close(fd);

	/* the largest accepted query length is accepted (and waited for) */
	fd = tcp_connect(f);
	big[0] = LS_SERVER_TCP_MAX_QUERY >> 8;
	big[1] = LS_SERVER_TCP_MAX_QUERY & 0xff;
	send_all(fd, big, sizeof(big));
	assert_false(closed_by_server(f, fd, 0.1));
	close(fd);
	pump(f, 0.05);
	assert_int_equal(ls_server_stats(f->srv)->tcp_bad_length, 2);
	assert_int_equal(ls_server_tcp_conns(f->srv), 0);
	stop(f);
}

/* RFC 7766 §6.2.4: the client half-closes; pending answers still arrive. */
static void test_tcp_half_close(void **state)
{
	struct fixture *f = start(0, 0);
	int fd = tcp_connect(f);
	uint8_t m[3 * 19];

	framed(m, 7);
	framed(m + 19, 8);
	framed(m + 38, 9);
	send_all(fd, m, 2 * 19 + 5); /* only 5 octets of the third: dropped at EOF */
	shutdown(fd, SHUT_WR);
	expect_answer(f, fd, 7);
	expect_answer(f, fd, 8);
	assert_true(closed_by_server(f, fd, 5));
	close(fd);
	assert_int_equal(ls_server_tcp_conns(f->srv), 0);
	stop(f);
}

/* Large answers to a peer that does not read: backpressure, nothing lost. */
static void test_tcp_backpressure(void **state)
{
	struct fixture *f = start(0, 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0), small = 8192;
	enum { N = 200 };
	static uint8_t m[N * 19], buf[2 + BIG_LEN];
	bool eof;

	/* a small receive window, so the server's socket buffer fills */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->tcp, sizeof(f->tcp)), 0);

	for (unsigned i = 0; i < N; i++)
		framed(m + i * 19, i % 2 ? ID_BIG : i);
	send_all(fd, m, sizeof(m));
	pump(f, 0.2); /* the peer reads nothing yet */
	/* 100 answers of 60000 octets do not fit in the socket buffers */
	assert_true(ls_server_stats(f->srv)->tcp_responses < N);
	for (unsigned i = 0; i < N; i++) {
		if (i % 2) {
			assert_int_equal(recv_n(f, fd, buf, 2 + BIG_LEN, 5, &eof), 2 + BIG_LEN);
			assert_int_equal(buf[0] << 8 | buf[1], BIG_LEN);
			assert_int_equal(buf[2] << 8 | buf[3], ID_BIG);
		} else {
			expect_answer(f, fd, i);
		}
	}
	assert_int_equal(ls_server_stats(f->srv)->tcp_responses, N);
	close(fd);
	stop(f);
}

static void test_tcp_idle_timeout(void **state)
{
	struct fixture *f = start(0.3, 0);
	int fd = tcp_connect(f), busy = tcp_connect(f);
	uint8_t m[19];

	pump(f, 0.05);
	assert_int_equal(ls_server_tcp_conns(f->srv), 2);
	/* activity on one keeps it open past the timeout of the other */
	for (int i = 0; i < 4; i++) {
		pump(f, 0.1);
		framed(m, (unsigned)i);
		send_all(busy, m, sizeof(m));
		expect_answer(f, busy, (unsigned)i);
	}
	assert_true(closed_by_server(f, fd, 2));
	assert_int_equal(ls_server_tcp_conns(f->srv), 1);
	assert_true(closed_by_server(f, busy, 2));
	assert_int_equal(ls_server_stats(f->srv)->tcp_timeouts, 2);
	assert_int_equal(ls_server_tcp_conns(f->srv), 0);
	close(fd);
	close(busy);
	stop(f);
}

static void test_tcp_conn_limit(void **state)
{
	struct fixture *f = start(0, 3);
	const struct ls_server_stats *st = ls_server_stats(f->srv);
	int fd[3], extra, late;
	uint8_t m[19];

	for (int i = 0; i < 3; i++) {
		fd[i] = tcp_connect(f);
		pump(f, 0.02); /* accepted in this order: fd[0] is the least recently active */
	}
	assert_int_equal(ls_server_tcp_conns(f->srv), 3);

	/* over the limit: the least recently active idle connection makes room */
	extra = tcp_connect(f);
	assert_true(closed_by_server(f, fd[0], 2));
	assert_int_equal(st->tcp_evicted, 1);
	assert_int_equal(ls_server_tcp_conns(f->srv), 3);
	framed(m, 5);
	send_all(extra, m, sizeof(m));
	expect_answer(f, extra, 5);

	/* every connection busy (a query half sent): the newcomer is refused */
	send_all(fd[1], m, 1);
	send_all(fd[2], m, 1);
	send_all(extra, m, 1);
	pump(f, 0.05);
	late = tcp_connect(f);
	assert_true(closed_by_server(f, late, 2));
	assert_int_equal(st->tcp_refused, 1);
	assert_int_equal(ls_server_tcp_conns(f->srv), 3);

	/* and the busy ones were left alone */
	send_all(fd[1], m + 1, sizeof(m) - 1);
	send_all(fd[2], m + 1, sizeof(m) - 1);
	send_all(extra, m + 1, sizeof(m) - 1);
	expect_answer(f, fd[1], 5);
	expect_answer(f, fd[2], 5);
	expect_answer(f, extra, 5);
	assert_int_equal(st->tcp_accepted, 4);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	close(extra);
	close(late);
	stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_batch),	 cmocka_unit_test(test_tcp_split_prefix),
		cmocka_unit_test(test_tcp_pipelined),	 cmocka_unit_test(test_tcp_bad_length),
		cmocka_unit_test(test_tcp_half_close),	 cmocka_unit_test(test_tcp_backpressure),
		cmocka_unit_test(test_tcp_idle_timeout), cmocka_unit_test(test_tcp_conn_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
