/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/clockguard: the error bound, the verdict and its
 * transitions driven by a fake clock (readings fed with chosen monotonic
 * times), and the chrony client's socket I/O against a stand-in chronyd
 * (a Unix datagram socket in a temporary directory that answers with a
 * reply captured from a real chronyd 4.3).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/clockguard.h"
#include "common/chrony.h"

#define MS 1000000ull
#define S 1000000000ull

struct calls {
	int n;
	bool last_trusted;
	uint64_t last_budget;
};

static void on_change(void *ctx, bool trusted, uint64_t budget_ns)
{
	struct calls *c = ctx;

	c->n++;
	c->last_trusted = trusted;
	c->last_budget = budget_ns;
}

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * S + (uint64_t)ts.tv_nsec;
}

static struct ls_clock_reading reading(enum ls_clock_source src, bool sync, double offset,
				       uint64_t at)
{
	struct ls_clock_reading r = {
		.source = src,
		.synchronised = sync,
		.offset = offset,
		.root_delay = 0.002,
		.root_dispersion = 0.0005,
		.leap = sync ? 0 : 3,
		.stratum = sync ? 2 : 0,
		.at_ns = at,
	};

	return r;
}

static void test_bound(void **state)
{
	/* |-0.5| + 0.25 / 2 + 0.125, exactly, plus the margin */
	assert_int_equal(ls_clock_bound_ns(-0.5, 0.25, 0.125, 7), 750000007ull);
	assert_int_equal(ls_clock_bound_ns(0.5, 0.25, 0.125, 0), 750000000ull);
	/* rounded up, never down */
	assert_int_equal(ls_clock_bound_ns(1e-10, 0, 0, 0), 1);
	assert_int_equal(ls_clock_bound_ns(0, 0, 0, 0), 0);
	/* not a number, infinite, too large, a margin that overflows */
	assert_int_equal(ls_clock_bound_ns(NAN, 0, 0, 0), UINT64_MAX);
	assert_int_equal(ls_clock_bound_ns(0, INFINITY, 0, 0), UINT64_MAX);
	assert_int_equal(ls_clock_bound_ns(1e10, 0, 0, 0), UINT64_MAX);
	assert_int_equal(ls_clock_bound_ns(1.0, 0, 0, UINT64_MAX), UINT64_MAX);
	/* negative delay or dispersion cannot make a bound below zero */
	assert_int_equal(ls_clock_bound_ns(0, -1.0, 0, 0), UINT64_MAX);
}

static struct ls_clockguard *guard(struct ev_loop *loop, struct calls *c, bool enforce)
{
	const struct ls_clockguard_opts o = {
		.budget_ns = 10 * MS,
		.kernel_enforce = enforce,
		.on_change = on_change,
		.ctx = c,
	};
	struct ls_clockguard *g;

	assert_int_equal(ls_clockguard_new(loop, &o, &g), 0);
	return g;
}

static void test_transitions(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct calls c = { 0 };
	struct ls_clockguard *g = guard(loop, &c, true);
	struct ls_clock_kernel k = { .valid = true, .unsync = false, .maxerror_us = 100 };
	struct ls_clock_reading r;
	struct ls_clock_status st;
	uint64_t t = 1000 * S;

	ls_clockguard_feed_kernel(g, &k);
	/* the first verdict is always reported: no reading yet, so not trusted */
	ls_clockguard_evaluate(g, t);
	assert_int_equal(c.n, 1);
	assert_false(c.last_trusted);
	assert_int_equal(c.last_budget, 10 * MS);
	ls_clockguard_status(g, &st);
	assert_false(st.have_reading);
	assert_int_equal(st.bound_ns, UINT64_MAX);
	assert_non_null(strstr(st.reason, "no answer"));

	/* synchronised, bound 1 + 1 + 0.5 ms within 10 ms: trusted */
	r = reading(LS_CLOCK_SOURCE_CHRONY, true, -0.001, t + S);
	ls_clockguard_feed(g, &r);
	ls_clockguard_evaluate(g, t + S);
	assert_int_equal(c.n, 2);
	assert_true(c.last_trusted);
	ls_clockguard_status(g, &st);
	assert_true(st.trusted);
	assert_true(st.synchronised);
	assert_int_equal(st.source, LS_CLOCK_SOURCE_CHRONY);
	assert_true(st.bound_ns >= 2500000 && st.bound_ns <= 2500001);
	assert_int_equal(st.stratum, 2);
	assert_int_equal(st.leap, 0);

	/* no change, no report */
	ls_clockguard_evaluate(g, t + 2 * S);
	assert_int_equal(c.n, 2);

	/* three seconds without a fresh answer: stale, not trusted */
	ls_clockguard_evaluate(g, t + S + LS_CLOCKGUARD_STALE_NS);
	assert_int_equal(c.n, 2);
	ls_clockguard_evaluate(g, t + S + LS_CLOCKGUARD_STALE_NS + 1);
	assert_int_equal(c.n, 3);
	assert_false(c.last_trusted);
	ls_clockguard_status(g, &st);
	assert_non_null(strstr(st.reason, "no fresh answer"));

	/* fresh again */
	r = reading(LS_CLOCK_SOURCE_CHRONY, true, 0.001, t + 5 * S);
	ls_clockguard_feed(g, &r);
	ls_clockguard_evaluate(g, t + 5 * S);
	assert_int_equal(c.n, 4);
	assert_true(c.last_trusted);

	/* an offset of 20 ms is beyond the budget */
	r = reading(LS_CLOCK_SOURCE_CHRONY, true, 0.020, t + 6 * S);
	ls_clockguard_feed(g, &r);
	ls_clockguard_evaluate(g, t + 6 * S);
	assert_int_equal(c.n, 5);
	assert_false(c.last_trusted);
	ls_clockguard_status(g, &st);
	assert_non_null(strstr(st.reason, "budget"));

	/* unsynchronised stays untrusted: no new report */
	r = reading(LS_CLOCK_SOURCE_CHRONY, false, 0.0, t + 7 * S);
	ls_clockguard_feed(g, &r);
	ls_clockguard_evaluate(g, t + 7 * S);
	assert_int_equal(c.n, 5);
	ls_clockguard_status(g, &st);
	assert_false(st.synchronised);
	assert_non_null(strstr(st.reason, "not synchronised"));

	/* a good reading, but the kernel says STA_UNSYNC: enforced, not trusted */
	k.unsync = true;
	ls_clockguard_feed_kernel(g, &k);
	r = reading(LS_CLOCK_SOURCE_CHRONY, true, 0.0, t + 8 * S);
	ls_clockguard_feed(g, &r);
	ls_clockguard_evaluate(g, t + 8 * S);
	assert_int_equal(c.n, 5);
	ls_clockguard_status(g, &st);
	assert_non_null(strstr(st.reason, "STA_UNSYNC"));
	k.unsync = false;
	ls_clockguard_feed_kernel(g, &k);
	ls_clockguard_evaluate(g, t + 8 * S);
	assert_int_equal(c.n, 6);
	assert_true(c.last_trusted);

	ls_clockguard_free(g);
	ev_loop_destroy(loop);
}

static void test_margin_and_limits(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct calls c = { 0 };
	struct ls_clockguard *g = guard(loop, &c, true);
	struct ls_clock_kernel k = { .valid = true, .unsync = true };
	uint64_t now = mono();
	struct ls_clock_reading r = reading(LS_CLOCK_SOURCE_CHRONY, true, 0.005, now);
	struct ls_clock_status st;

	/* bound 5 + 1 + 0.5 = 6.5 ms; the kernel's STA_UNSYNC is enforced */
	ls_clockguard_feed_kernel(g, &k);
	ls_clockguard_feed(g, &r);
	ls_clockguard_evaluate(g, now);
	assert_int_equal(c.n, 1);
	assert_false(c.last_trusted);
	/* reported only: trusted (set_limits decides at once, on the real clock) */
	ls_clockguard_set_limits(g, 10 * MS, 0, false);
	assert_int_equal(c.n, 2);
	assert_true(c.last_trusted);
	ls_clockguard_status(g, &st);
	assert_true(st.kernel.unsync);
	assert_false(st.kernel_enforced);
	/* a 4 ms margin takes 6.5 ms over 10 ms */
	ls_clockguard_set_limits(g, 10 * MS, 4 * MS, false);
	assert_int_equal(c.n, 3);
	assert_false(c.last_trusted);
	ls_clockguard_status(g, &st);
	assert_int_equal(st.margin_ns, 4 * MS);
	/* a larger budget: trusted again, and the callback carries the budget */
	ls_clockguard_set_limits(g, 20 * MS, 4 * MS, false);
	assert_int_equal(c.n, 4);
	assert_true(c.last_trusted);
	assert_int_equal(c.last_budget, 20 * MS);

	ls_clockguard_free(g);
	ev_loop_destroy(loop);
}

static void test_ntp_fallback_choice(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct calls c = { 0 };
	struct ls_clockguard *g = guard(loop, &c, false);
	uint64_t t = 50 * S;
	struct ls_clock_reading chrony = reading(LS_CLOCK_SOURCE_CHRONY, false, 0.0, t);
	struct ls_clock_reading ntp = reading(LS_CLOCK_SOURCE_NTP, true, 0.0001, t);
	struct ls_clock_status st;

	/* a fresh chronyd answer wins, even an unsynchronised one */
	ls_clockguard_feed(g, &chrony);
	ls_clockguard_feed(g, &ntp);
	ls_clockguard_evaluate(g, t);
	ls_clockguard_status(g, &st);
	assert_int_equal(st.source, LS_CLOCK_SOURCE_CHRONY);
	assert_false(st.trusted);
	/* chronyd silent for longer than the stale time: the NTP server decides */
	ntp.at_ns = t + 4 * S;
	ls_clockguard_feed(g, &ntp);
	ls_clockguard_evaluate(g, t + 4 * S);
	ls_clockguard_status(g, &st);
	assert_int_equal(st.source, LS_CLOCK_SOURCE_NTP);
	assert_true(st.trusted);
	assert_int_equal(c.n, 2);

	ls_clockguard_free(g);
	ev_loop_destroy(loop);
}

/* ---- the socket I/O against a stand-in chronyd -------------------------- */

/* chronyd 4.3, synchronised client; the sequence (offset 16) is patched */
static const char *const SYNCED =
	"060200000021000500000000000000001234567800000000000000007f0000017f0000010000000000"
	"000000000000000001000000020000000000006b038e640f7e4843dd45cac4d0fd149ed0b3fd27f75e"
	"1706f0a3b8e2fa814651e0ce4254da8ca649fc826493";

struct fake {
	int fd;
	ev_io io;
	int requests;
	bool bad_request;
	double started;
	struct calls *c;
};

static void fake_answer(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fake *f = w->data;
	uint8_t req[512], rep[LS_CHRONY_TRACKING_LEN];
	struct sockaddr_un from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(f->fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);

	if (n < 0)
		return;
	f->requests++;
	/* version 6, request, REQ_TRACKING, padded to the reply's 104 octets */
	if (n != LS_CHRONY_TRACKING_LEN || req[0] != 6 || req[1] != 1 || req[4] != 0 ||
	    req[5] != 33)
		f->bad_request = true;
	for (size_t i = 0; i < LS_CHRONY_TRACKING_LEN; i++) {
		unsigned int b;

		sscanf(SYNCED + 2 * i, "%2x", &b);
		rep[i] = (uint8_t)b;
	}
	memcpy(rep + 16, req + 8, 4);
	sendto(f->fd, rep, sizeof(rep), 0, (struct sockaddr *)&from, fl);
}

static void stop_when_told(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fake *f = w->data;

	/* done once the guard has decided "trusted", or at the bound */
	if ((f->c->n > 0 && f->c->last_trusted) || ev_now(loop) - f->started > 10.0)
		ev_break(loop, EVBREAK_ALL);
}

static void test_chrony_socket(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char dir[] = "/tmp/ls-test-clockguard.XXXXXX", sock[96], sockdir[96];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct calls c = { 0 };
	struct fake f = { .c = &c };
	struct ls_clockguard_opts o = {
		.chrony_socket = sock,
		.socket_dir = sockdir,
		.budget_ns = 10 * MS,
		.kernel_enforce = false,
		.on_change = on_change,
		.ctx = &c,
	};
	struct ls_clockguard *g;
	struct ls_clock_status st;
	ev_timer check;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/chronyd.sock", dir);
	snprintf(sockdir, sizeof(sockdir), "%s/run", dir);
	f.fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(f.fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	assert_int_equal(bind(f.fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ev_io_init(&f.io, fake_answer, f.fd, EV_READ);
	f.io.data = &f;
	ev_io_start(loop, &f.io);

	assert_int_equal(ls_clockguard_new(loop, &o, &g), 0);
	/* the private directory exists under socket-dir, not listable by others */
	{
		struct stat sb;

		assert_int_equal(stat(sockdir, &sb), 0);
	}
	ls_clockguard_start(g);
	f.started = ev_now(loop);
	ev_timer_init(&check, stop_when_told, 0.05, 0.05);
	check.data = &f;
	ev_timer_start(loop, &check);
	ev_run(loop, 0);

	assert_true(f.requests >= 1);
	assert_false(f.bad_request);
	assert_true(c.last_trusted);
	ls_clockguard_status(g, &st);
	assert_true(st.trusted);
	assert_int_equal(st.source, LS_CLOCK_SOURCE_CHRONY);
	assert_int_equal(st.stratum, 2);
	assert_int_equal(st.ref_id, 0x7f000001u);

	ev_timer_stop(loop, &check);
	ev_io_stop(loop, &f.io);
	ls_clockguard_free(g);
	/* the private directory is gone: socket-dir is empty again */
	assert_int_equal(rmdir(sockdir), 0);
	close(f.fd);
	unlink(sock);
	rmdir(dir);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_margin_and_limits),
		cmocka_unit_test(test_ntp_fallback_choice),
		cmocka_unit_test(test_chrony_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
