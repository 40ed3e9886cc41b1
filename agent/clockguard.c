/* SPDX-License-Identifier: MIT */
/*
 * clockguard.c — see clockguard.h.
 *
 * One timer drives everything: each second it reads adjtimex(), decides
 * (a reading that did not come back in time is stale now), and sends the
 * next queries. Answers are taken by ev_io callbacks and decided at once,
 * so a fresh answer counts without waiting for the next tick.
 *
 * chronyd answers on its command socket only to a peer it can write back
 * to, so the client binds a socket of its own: in a private directory
 * (mkdtemp) under clock.socket-dir, mode 0711 so chronyd, which drops to
 * its own user, can reach the socket by its unguessable name but nobody
 * can list it. connect() to chronyd's socket makes the kernel drop
 * datagrams from anyone else; the sequence number pairs reply and request.
 * The NTP socket is connected to the server for the same reason, and the
 * reply must echo a random 64-bit nonce (common/ntp.h).
 */
#include "agent/clockguard.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/chrony.h"
#include "common/log.h"
#include "common/ntp.h"

#define NS_PER_S 1000000000.0
#define RECV_BURST 8 /* datagrams read per readiness event */

struct ls_clockguard {
	struct ev_loop *loop;
	char *chrony_socket; /* NULL: none */
	struct ls_config_addr ntp_server;
	bool has_ntp;
	uint64_t budget_ns, margin_ns;
	bool kernel_enforce;
	void (*on_change)(void *ctx, bool trusted, uint64_t budget_ns);
	void *ctx;

	ev_timer poll;
	bool started;
	uint64_t ticks;

	int chrony_fd; /* -1: chronyd is not asked */
	ev_io chrony_io;
	char *dir; /* the private directory of the client socket */
	char *sock_path;
	bool chrony_connected;
	uint32_t chrony_seq;
	int chrony_last_err; /* the last problem logged, to log each kind once */

	int ntp_fd;
	ev_io ntp_io;
	bool ntp_outstanding;
	uint64_t ntp_nonce;
	int64_t ntp_t1_ns;
	int ntp_last_err;

	bool have_chrony, have_ntp;
	struct ls_clock_reading chrony_last, ntp_last;
	struct ls_clock_kernel kernel;

	bool reported; /* a verdict was reported at least once */
	struct ls_clock_status st;
	uint64_t st_reading_at; /* at_ns of the reading behind st */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

const char *ls_clock_source_name(enum ls_clock_source s)
{
	switch (s) {
	case LS_CLOCK_SOURCE_NONE:
		return "none";
	case LS_CLOCK_SOURCE_CHRONY:
		return "chrony";
	case LS_CLOCK_SOURCE_NTP:
		return "ntp";
	}
	return "?";
}

uint64_t ls_clock_bound_ns(double offset, double root_delay, double root_dispersion,
			   uint64_t margin_ns)
{
	double b = (offset < 0.0 ? -offset : offset) + root_delay / 2.0 + root_dispersion;
	double ns;
	uint64_t u;

	if (!isfinite(b) || b < 0.0)
		return UINT64_MAX;
	ns = b * NS_PER_S;
	/* 2^63 is exactly representable; anything near it is no clock anyway */
	if (ns >= 9223372036854775808.0)
		return UINT64_MAX;
	u = (uint64_t)ns;
	if ((double)u < ns)
		u++; /* round up: a bound must not shrink */
	if (u > UINT64_MAX - margin_ns)
		return UINT64_MAX;
	return u + margin_ns;
}

int ls_clock_kernel_read(struct ls_clock_kernel *k)
{
	struct timex tx = { .modes = 0 };
	int state = adjtimex(&tx);

	memset(k, 0, sizeof(*k));
	if (state < 0)
		return -errno;
	k->valid = true;
	k->unsync = (tx.status & STA_UNSYNC) != 0;
	k->maxerror_us = tx.maxerror;
	k->esterror_us = tx.esterror;
	k->tai_offset = tx.tai;
	return 0;
}

void ls_clockguard_opts_from_config(const struct ls_config *cfg, struct ls_clockguard_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->chrony_socket = cfg->clock.chrony_socket;
	o->socket_dir = cfg->clock.socket_dir;
	o->ntp_server = cfg->clock.has_ntp_server ? &cfg->clock.ntp_server : NULL;
	o->budget_ns = cfg->clock.skew_budget_ns;
	o->margin_ns = cfg->clock.margin_ns;
	o->kernel_enforce = !cfg->clock.kernel_check_report;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* The freshest reading: chronyd's first, the NTP server's as the fallback. */
static const struct ls_clock_reading *pick(const struct ls_clockguard *g, uint64_t now)
{
	if (g->have_chrony && now - g->chrony_last.at_ns <= LS_CLOCKGUARD_STALE_NS)
		return &g->chrony_last;
	if (g->have_ntp && now - g->ntp_last.at_ns <= LS_CLOCKGUARD_STALE_NS)
		return &g->ntp_last;
	return NULL;
}

static void explain_stale(const struct ls_clockguard *g, uint64_t now, struct ls_clock_status *s)
{
	const struct ls_clock_reading *last = NULL;

	if (g->have_chrony)
		last = &g->chrony_last;
	if (g->have_ntp && (!last || g->ntp_last.at_ns > last->at_ns))
		last = &g->ntp_last;
	if (last)
		snprintf(s->reason, sizeof(s->reason),
			 "no fresh answer (the last, from %s, is %.1fs old)",
			 ls_clock_source_name(last->source), (double)(now - last->at_ns) / 1e9);
	else
		snprintf(s->reason, sizeof(s->reason), "no answer from %s%s%s",
			 g->chrony_fd >= 0 ? "chronyd" : "",
			 g->chrony_fd >= 0 && g->has_ntp ? " or " : "",
			 g->has_ntp	  ? "the NTP server" :
			 g->chrony_fd < 0 ? "any clock source" :
					    "");
}

static void report(struct ls_clockguard *g)
{
	const struct ls_clock_status *s = &g->st;

	if (s->trusted)
		pr_notice("clock trusted: %s", s->reason);
	else
		pr_warn("clock NOT trusted: %s; pending switches become withdrawals from T - %.3fms",
			s->reason, ms(s->budget_ns));
	if (g->on_change)
		g->on_change(g->ctx, s->trusted, s->budget_ns);
}

void ls_clockguard_evaluate(struct ls_clockguard *g, uint64_t now)
{
	const struct ls_clock_reading *r = pick(g, now);
	struct ls_clock_status s = { 0 };

	s.budget_ns = g->budget_ns;
	s.margin_ns = g->margin_ns;
	s.kernel = g->kernel;
	s.kernel_enforced = g->kernel_enforce;
	s.changes = g->st.changes;
	s.bound_ns = UINT64_MAX;
	s.age_ns = UINT64_MAX;
	s.leap = 3;
	if (!r) {
		explain_stale(g, now, &s);
		goto decided;
	}
	s.have_reading = true;
	s.source = r->source;
	s.synchronised = r->synchronised;
	s.offset = r->offset;
	s.root_delay = r->root_delay;
	s.root_dispersion = r->root_dispersion;
	s.leap = r->leap;
	s.stratum = r->stratum;
	s.ref_id = r->ref_id;
	s.age_ns = now - r->at_ns;
	s.bound_ns = ls_clock_bound_ns(r->offset, r->root_delay, r->root_dispersion, g->margin_ns);
	if (!r->synchronised) {
		snprintf(s.reason, sizeof(s.reason), "%s: not synchronised (leap %d, stratum %d)",
			 ls_clock_source_name(r->source), r->leap, r->stratum);
		goto decided;
	}
	if (s.bound_ns > g->budget_ns) {
		snprintf(s.reason, sizeof(s.reason),
			 "%s: error bound %.3fms > budget %.3fms (offset %+.6fs, root delay "
			 "%.6fs, root dispersion %.6fs, margin %.3fms)",
			 ls_clock_source_name(r->source), ms(s.bound_ns), ms(g->budget_ns),
			 r->offset, r->root_delay, r->root_dispersion, ms(g->margin_ns));
		goto decided;
	}
	if (g->kernel_enforce && g->kernel.valid && g->kernel.unsync) {
		snprintf(s.reason, sizeof(s.reason),
			 "the kernel says unsynchronised (adjtimex STA_UNSYNC, maxerror %ldus)",
			 g->kernel.maxerror_us);
		goto decided;
	}
	s.trusted = true;
	snprintf(s.reason, sizeof(s.reason),
		 "%s: error bound %.3fms <= budget %.3fms (offset %+.6fs, stratum %d, leap %s)",
		 ls_clock_source_name(r->source), ms(s.bound_ns), ms(g->budget_ns), r->offset,
		 r->stratum, ls_chrony_leap_name((enum ls_chrony_leap)r->leap));
decided:
	if (r)
		g->st_reading_at = r->at_ns;
	if (!g->reported || s.trusted != g->st.trusted) {
		s.changes++;
		g->st = s;
		g->reported = true;
		report(g);
	} else {
		g->st = s;
	}
}

void ls_clockguard_feed(struct ls_clockguard *g, const struct ls_clock_reading *r)
{
	if (r->source == LS_CLOCK_SOURCE_NTP) {
		g->ntp_last = *r;
		g->have_ntp = true;
	} else {
		g->chrony_last = *r;
		g->have_chrony = true;
	}
	pr_debug("clock reading from %s: %s, offset %+.9fs, root delay %.6fs, root dispersion "
		 "%.6fs, stratum %d, leap %d",
		 ls_clock_source_name(r->source),
		 r->synchronised ? "synchronised" : "unsynchronised", r->offset, r->root_delay,
		 r->root_dispersion, r->stratum, r->leap);
}

void ls_clockguard_feed_kernel(struct ls_clockguard *g, const struct ls_clock_kernel *k)
{
	g->kernel = *k;
}

/* Log a source's problem once per kind, not once a second. */
static void source_problem(int *last, int err, const char *what, const char *detail)
{
	if (*last == err)
		return;
	*last = err;
	pr_warn("clock guard: %s%s: %s", what, detail, strerror(-err));
}

/* ---- chronyd ------------------------------------------------------------ */

static void chrony_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ls_clockguard *g = w->data;
	uint8_t buf[512];

	for (int i = 0; i < RECV_BURST; i++) {
		struct ls_chrony_tracking t;
		struct ls_clock_reading r = { .source = LS_CLOCK_SOURCE_CHRONY };
		ssize_t n = recv(g->chrony_fd, buf, sizeof(buf), 0);
		int err;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				g->chrony_connected = false; /* chronyd went away */
			return;
		}
		err = ls_chrony_tracking_parse(buf, (size_t)n, g->chrony_seq, &t);
		if (err == -ENOMSG)
			continue; /* an old answer, after a retry */
		if (err) {
			source_problem(&g->chrony_last_err, err, g->chrony_socket,
				       " (chronyd): bad reply");
			continue;
		}
		g->chrony_last_err = 0;
		r.synchronised =
			t.leap != LS_CHRONY_LEAP_UNSYNC && t.stratum >= 1 && t.stratum <= 15;
		r.offset = t.current_correction;
		r.root_delay = t.root_delay;
		r.root_dispersion = t.root_dispersion;
		r.leap = (int)t.leap;
		r.stratum = t.stratum;
		r.ref_id = t.ref_id;
		r.at_ns = mono_ns();
		g->chrony_seq++; /* the answered sequence is spent */
		ls_clockguard_feed(g, &r);
		ls_clockguard_evaluate(g, r.at_ns);
	}
}

static void chrony_send(struct ls_clockguard *g)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t req[LS_CHRONY_TRACKING_LEN];
	int len;

	if (g->chrony_fd < 0)
		return;
	if (!g->chrony_connected) {
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", g->chrony_socket);
		if (connect(g->chrony_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			source_problem(&g->chrony_last_err, -errno, g->chrony_socket, " (chronyd)");
			return;
		}
		g->chrony_connected = true;
	}
	len = ls_chrony_tracking_request(g->chrony_seq, req, sizeof(req));
	if (send(g->chrony_fd, req, (size_t)len, 0) < 0) {
		int err = -errno;

		source_problem(&g->chrony_last_err, err, g->chrony_socket, " (chronyd)");
		if (err != -EAGAIN && err != -EINTR)
			g->chrony_connected = false;
	}
}

static int chrony_open(struct ls_clockguard *g, const char *socket_dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t dlen;
	int err;

	if (strlen(g->chrony_socket) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (mkdir(socket_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	dlen = strlen(socket_dir) + sizeof("/chrony.XXXXXX");
	g->dir = malloc(dlen);
	if (!g->dir)
		return -ENOMEM;
	snprintf(g->dir, dlen, "%s/chrony.XXXXXX", socket_dir);
	if (!mkdtemp(g->dir)) {
		err = -errno;
		goto free_dir;
	}
	/* chronyd (its own user) must reach the socket; nobody may list the directory */
	if (chmod(g->dir, 0711) < 0) {
		err = -errno;
		goto remove_dir;
	}
	if (strlen(g->dir) + sizeof("/c.sock") > sizeof(sun.sun_path)) {
		err = -ENAMETOOLONG;
		goto remove_dir;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/c.sock", g->dir);
	g->sock_path = strdup(sun.sun_path);
	if (!g->sock_path) {
		err = -ENOMEM;
		goto remove_dir;
	}
	g->chrony_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->chrony_fd < 0) {
		err = -errno;
		goto free_path;
	}
	if (bind(g->chrony_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		goto close_fd;
	}
	if (chmod(g->sock_path, 0666) < 0) {
		err = -errno;
		goto unlink_sock;
	}
	return 0;

unlink_sock:
	unlink(g->sock_path);
close_fd:
	close(g->chrony_fd);
	g->chrony_fd = -1;
free_path:
	free(g->sock_path);
	g->sock_path = NULL;
remove_dir:
	rmdir(g->dir);
free_dir:
	free(g->dir);
	g->dir = NULL;
	return err;
}

/* ---- NTP ---------------------------------------------------------------- */

static void ntp_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ls_clockguard *g = w->data;
	uint8_t buf[LS_NTP_MAX_PACKET_LEN + 1];

	for (int i = 0; i < RECV_BURST; i++) {
		struct ls_clock_reading r = { .source = LS_CLOCK_SOURCE_NTP };
		struct ls_ntp_result res;
		ssize_t n = recv(g->ntp_fd, buf, sizeof(buf), 0);
		int64_t t4 = real_ns();
		int err;

		if (n < 0)
			return;
		if (!g->ntp_outstanding)
			continue; /* a duplicate, or no question asked */
		err = ls_ntp_parse(buf, (size_t)n, g->ntp_nonce, g->ntp_t1_ns, t4, &res);
		if (err == -ENOMSG)
			continue;
		if (err == -ECONNREFUSED) {
			if (g->ntp_last_err != err)
				pr_warn("NTP server: kiss-o'-death %s", res.kiss);
			g->ntp_last_err = err;
			g->ntp_outstanding = false;
			continue;
		}
		if (err) {
			source_problem(&g->ntp_last_err, err, "NTP server", ": bad reply");
			continue;
		}
		g->ntp_last_err = 0;
		g->ntp_outstanding = false;
		r.synchronised = res.synchronised;
		r.offset = res.offset;
		/* the server's distance to its reference, plus ours to the server */
		r.root_delay = res.root_delay + res.delay;
		r.root_dispersion = res.root_dispersion;
		r.leap = res.leap;
		r.stratum = res.stratum;
		r.ref_id = res.ref_id;
		r.at_ns = mono_ns();
		ls_clockguard_feed(g, &r);
		ls_clockguard_evaluate(g, r.at_ns);
	}
}

static void ntp_send(struct ls_clockguard *g)
{
	uint8_t req[LS_NTP_PACKET_LEN];

	if (g->ntp_fd < 0) {
		g->ntp_fd = socket(g->ntp_server.ss.ss_family,
				   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (g->ntp_fd < 0) {
			source_problem(&g->ntp_last_err, -errno, "NTP server", ": socket");
			return;
		}
		if (connect(g->ntp_fd, (struct sockaddr *)&g->ntp_server.ss, g->ntp_server.len) <
		    0) {
			source_problem(&g->ntp_last_err, -errno, "NTP server", ": connect");
			close(g->ntp_fd);
			g->ntp_fd = -1;
			return;
		}
		ev_io_init(&g->ntp_io, ntp_read, g->ntp_fd, EV_READ);
		g->ntp_io.data = g;
		ev_io_start(g->loop, &g->ntp_io);
	}
	if (getrandom(&g->ntp_nonce, sizeof(g->ntp_nonce), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(g->ntp_nonce))
		return; /* no entropy yet: no query a spoofer could answer */
	ls_ntp_request(g->ntp_nonce, req, sizeof(req));
	g->ntp_t1_ns = real_ns();
	if (send(g->ntp_fd, req, sizeof(req), 0) < 0) {
		source_problem(&g->ntp_last_err, -errno, "NTP server", ": send");
		return;
	}
	g->ntp_outstanding = true;
}

/* ---- the poll ----------------------------------------------------------- */

static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ls_clockguard *g = w->data;
	struct ls_clock_kernel k;
	uint64_t now = mono_ns();

	ls_clock_kernel_read(&k);
	ls_clockguard_feed_kernel(g, &k);
	/* the first tick only asks: its answer, or the next tick, decides */
	if (g->ticks++)
		ls_clockguard_evaluate(g, now);
	chrony_send(g);
	/* the fallback only while chronyd gives nothing fresh */
	if (g->has_ntp &&
	    (!g->have_chrony || now - g->chrony_last.at_ns > LS_CLOCKGUARD_STALE_NS / 2))
		ntp_send(g);
}

int ls_clockguard_new(struct ev_loop *loop, const struct ls_clockguard_opts *o,
		      struct ls_clockguard **out)
{
	struct ls_clockguard *g;
	int err;

	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->loop = loop;
	g->chrony_fd = -1;
	g->ntp_fd = -1;
	g->budget_ns = o->budget_ns;
	g->margin_ns = o->margin_ns;
	g->kernel_enforce = o->kernel_enforce;
	g->on_change = o->on_change;
	g->ctx = o->ctx;
	g->st.bound_ns = UINT64_MAX;
	g->st.age_ns = UINT64_MAX;
	if (o->ntp_server) {
		g->ntp_server = *o->ntp_server;
		g->has_ntp = true;
	}
	if (o->chrony_socket) {
		g->chrony_socket = strdup(o->chrony_socket);
		if (!g->chrony_socket) {
			err = -ENOMEM;
			goto free_guard;
		}
		err = chrony_open(g, o->socket_dir ? o->socket_dir : "/run/lockstep");
		if (err == -ENOMEM)
			goto free_guard;
		if (err)
			pr_warn("clock guard: cannot make a client socket for chronyd under %s: %s; "
				"chronyd is not asked%s",
				o->socket_dir ? o->socket_dir : "/run/lockstep", strerror(-err),
				g->has_ntp ? " (the NTP server is)" : "");
	}
	if (g->chrony_fd >= 0) {
		ev_io_init(&g->chrony_io, chrony_read, g->chrony_fd, EV_READ);
		g->chrony_io.data = g;
		ev_io_start(loop, &g->chrony_io);
	}
	{
		/* the sequence starts anywhere, so a restart is not fed old answers */
		uint32_t seq = 0;

		if (getrandom(&seq, sizeof(seq), GRND_NONBLOCK) == (ssize_t)sizeof(seq))
			g->chrony_seq = seq;
	}
	ev_timer_init(&g->poll, on_poll, 0.0, (double)LS_CLOCKGUARD_POLL_NS / NS_PER_S);
	g->poll.data = g;
	*out = g;
	return 0;

free_guard:
	ls_clockguard_free(g);
	return err;
}

void ls_clockguard_start(struct ls_clockguard *g)
{
	if (g->started)
		return;
	g->started = true;
	ev_timer_start(g->loop, &g->poll);
}

void ls_clockguard_set_limits(struct ls_clockguard *g, uint64_t budget_ns, uint64_t margin_ns,
			      bool kernel_enforce)
{
	g->budget_ns = budget_ns;
	g->margin_ns = margin_ns;
	g->kernel_enforce = kernel_enforce;
	if (g->reported)
		ls_clockguard_evaluate(g, mono_ns());
}

void ls_clockguard_status(const struct ls_clockguard *g, struct ls_clock_status *out)
{
	*out = g->st;
	if (out->have_reading)
		out->age_ns = mono_ns() - g->st_reading_at;
}

void ls_clockguard_free(struct ls_clockguard *g)
{
	if (!g)
		return;
	if (g->loop) {
		ev_timer_stop(g->loop, &g->poll);
		if (g->chrony_fd >= 0)
			ev_io_stop(g->loop, &g->chrony_io);
		if (g->ntp_fd >= 0)
			ev_io_stop(g->loop, &g->ntp_io);
	}
	if (g->chrony_fd >= 0)
		close(g->chrony_fd);
	if (g->ntp_fd >= 0)
		close(g->ntp_fd);
	if (g->sock_path)
		unlink(g->sock_path);
	if (g->dir)
		rmdir(g->dir);
	free(g->sock_path);
	free(g->dir);
	free(g->chrony_socket);
	free(g);
}
