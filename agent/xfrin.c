/* SPDX-License-Identifier: MIT */
/*
 * xfrin.c — the transfer client of xfrin.h (the stream parser is in
 * xfrin_parse.c).
 *
 * One refresh per zone at a time, each a small state machine on one
 * non-blocking TCP connection: connect, SOA query, and — when the primary
 * holds a newer serial — IXFR (AXFR when there is no live version, or after
 * the primary refused IXFR) on the same connection (RFC 7766 allows several
 * queries per connection). Every step is bounded by one timer that is
 * re-armed on progress, so a stalled primary costs at most opts.timeout
 * before the next address or primary is tried. Addresses are tried in
 * configuration order: every address of the first primary, then the next.
 * A response is authenticated (TSIG) before anything in it is believed.
 * A round that failed for the connection's sake (cut, stalled, refused)
 * is tried again after a doubling backoff capped at SOA RETRY (backoff()):
 * such failures are usually passing, and RETRY can be hours; a round that
 * failed on content waits RETRY, since asking again would fetch the same.
 *
 * XoT (RFC 9103): for a remote with tls: true a TLS 1.3 handshake (ALPN
 * "dot", agent/tls.h) follows the connect, and the SOA query and the
 * transfer use the TLS stream — there is no fallback to cleartext. The
 * client contexts (CA files read) are built when a configuration is taken
 * in, one per TLS remote, never per transfer. OpenSSL may hold decrypted
 * octets the socket no longer signals, so a TLS read goes on until
 * OpenSSL itself asks to wait.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/tls.h"
#include "agent/xfrin.h"
#include "common/log.h"
#include "common/rdata.h"
#include "common/serial.h"
#include "common/tsig.h"
#include "common/wire.h"

#define DEFAULT_TIMEOUT 10.0
#define DEFAULT_RETRY_MIN 1.0
#define DEFAULT_BACKOFF_FIRST 2.0
#define DEFAULT_BACKOFF_CEILING 600.0
#define BUF_LEN (LS_MSG_MAXLEN + 2)

enum step { ST_IDLE, ST_CONNECT, ST_TLS, ST_SOA, ST_XFR };

struct xzone {
	struct ls_xfrin *x;
	uint8_t origin[LS_DNAME_MAXLEN];
	char name[LS_DNAME_STRLEN];
	const struct ls_config_remote *const *primaries;
	size_t nprimaries;
	/*
	 * A zone added at run time (catalog member, NEWZONE) rather than
	 * configured: @primaries is then this copy, looked up again by remote
	 * id in every new configuration, so nothing points into a freed one.
	 */
	bool runtime;
	const struct ls_config_remote **own;
	ev_timer timer; /* the next refresh */
	bool pending; /* a NOTIFY or refresh request arrived while busy */
	double last_ok; /* ev_now of the last successful refresh; 0: never */
	bool expired;
	uint32_t refresh, retry, expire; /* from the zone's SOA */
	bool soa_known; /* refresh/retry/expire came from an SOA, not the defaults */
	/*
	 * Refresh rounds in a row that failed for the connection's sake (cut,
	 * stalled, refused): the next try comes after a backoff, not RETRY.
	 */
	unsigned failures;
	bool transient; /* an attempt of the round in progress failed that way */
	bool failing; /* the last round failed: the next one may be due at EXPIRE */

	/* the attempt in progress */
	enum step step;
	size_t prim, addr; /* which address of which primary */
	bool no_ixfr; /* this primary refused IXFR: AXFR */
	int fd;
	ev_io io;
	ev_timer stall;
	uint16_t id;
	uint16_t qtype;
	struct ls_tsig tsig;
	struct ls_xfr_parser *parser;
	uint8_t *wbuf, *rbuf;
	size_t wlen, woff, rlen;
	char source[128];
	SSL *ssl; /* XoT: the TLS stream over fd, NULL for plain TCP */
};

/* A TLS remote's client context, or why there is none. */
struct tlsctx {
	const struct ls_config_remote *remote;
	SSL_CTX *ctx; /* NULL: the configuration cannot be used (why) */
	char why[LS_TLS_WHY_LEN];
};

struct ls_xfrin {
	struct ev_loop *loop;
	const struct ls_config *cfg;
	struct ls_xfrin_ops ops;
	struct ls_xfrin_opts opts;
	struct xzone **zones;
	size_t nzones, cap;
	struct tlsctx *tls; /* one per TLS remote of cfg */
	size_t ntls;
	struct ls_xfrin_stats stats;
};

static uint64_t unix_now(void)
{
	return (uint64_t)time(NULL);
}

/* A delay of @s seconds less up to 10 % (RFC 1996 §3.11's spirit: no herds). */
static double jitter(double s)
{
	return s * (0.9 + 0.1 * (double)random() / (double)RAND_MAX);
}

static void attempt_close(struct xzone *z)
{
	struct ev_loop *loop = z->x->loop;

	ev_io_stop(loop, &z->io);
	ev_timer_stop(loop, &z->stall);
	ls_tls_close(z->ssl);
	z->ssl = NULL;
	if (z->fd >= 0)
		close(z->fd);
	z->fd = -1;
	ls_tsig_clear(&z->tsig);
	ls_xfr_parser_free(z->parser);
	z->parser = NULL;
	z->wlen = z->woff = z->rlen = 0;
}

static void schedule(struct xzone *z, double after)
{
	ev_timer_stop(z->x->loop, &z->timer);
	ev_timer_set(&z->timer, after, 0.);
	ev_timer_start(z->x->loop, &z->timer);
}

/* SOA timers of @zone (the live version, or the one just received). */
static void soa_timers_of(struct xzone *z, const struct ls_zone *zone)
{
	const struct ls_zone_rrset *rs;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	if (!zone || !(rs = ls_zone_node_rrset(zone, ls_zone_apex(zone), LS_TYPE_SOA)))
		return;
	ls_zone_rdata_begin(zone, rs, &it);
	if (!ls_zone_rdata_next(&it, &rd, &len) || len < 20)
		return;
	z->refresh = ls_get32(rd + len - 16);
	z->retry = ls_get32(rd + len - 12);
	z->expire = ls_get32(rd + len - 8);
	z->soa_known = true;
}

static void read_soa_timers(struct xzone *z)
{
	soa_timers_of(z, z->x->ops.live ? z->x->ops.live(z->x->ops.ctx, z->origin) : NULL);
}

static void start_attempt(struct xzone *z);

/*
 * The wait after a round that failed for the connection's sake: the
 * backoff's first step, doubled for each such round in a row, never more
 * than SOA RETRY (the primary's, from its SOA answer, when nothing was
 * received yet) or, with no SOA seen at all, the configured ceiling. A cut
 * first transfer is thus tried again in seconds, not after RETRY, and a
 * primary that stays away is asked no more often than RFC 1035 says once
 * the backoff has reached RETRY.
 */
static double backoff(struct xzone *z)
{
	const struct ls_xfrin_opts *o = &z->x->opts;
	double cap = z->soa_known ? (double)z->retry : o->backoff_ceiling, d = o->backoff_first;

	/* a RETRY shorter than the first step caps it too (retry_min floors it) */
	if (cap < d)
		d = cap;
	for (unsigned i = 1; i < z->failures && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

/* RFC 1035 §3.3.13: a secondary stops answering after EXPIRE. */
static void check_expire(struct xzone *z, double now)
{
	struct ls_xfrin *x = z->x;

	/* a millisecond's grace: the timer set for that moment may round below it */
	if (z->last_ok > 0 && z->expire && !z->expired &&
	    now - z->last_ok + 0.001 >= (double)z->expire) {
		z->expired = true;
		pr_err("zone %s: no primary could refresh it for %" PRIu32
		       " s (SOA EXPIRE): withdrawn",
		       z->name, z->expire);
		if (x->ops.expire)
			x->ops.expire(x->ops.ctx, z->origin);
	}
}

/* Done with this zone's refresh, for better or worse. */
static void refresh_done(struct xzone *z, bool ok)
{
	struct ls_xfrin *x = z->x;
	double now = ev_now(x->loop), next;
	bool backing_off = false;

	attempt_close(z);
	z->step = ST_IDLE;
	z->prim = z->addr = 0;
	z->no_ixfr = false;
	if (!z->last_ok)
		read_soa_timers(z); /* a version from disk or a file, before any transfer */
	if (ok) {
		z->last_ok = now;
		z->expired = false;
		z->failures = 0;
		next = z->refresh;
	} else if (z->transient) {
		z->failures++;
		next = backoff(z);
		backing_off = true;
	} else {
		z->failures = 0;
		next = z->retry;
	}
	z->failing = !ok;
	if (!ok)
		check_expire(z, now);
	if (next < x->opts.retry_min)
		next = x->opts.retry_min;
	if (z->pending) {
		/* a NOTIFY or a retransfer came meanwhile: at once, no backoff */
		z->pending = false;
		backing_off = false;
		next = 0;
	}
	next = next ? jitter(next) : 0.;
	/*
	 * Never past EXPIRE: neither RETRY nor a backoff may carry a failing
	 * zone beyond it; the round that starts then withdraws it (on_timer()).
	 */
	if (!ok && z->last_ok > 0 && z->expire && !z->expired &&
	    next > z->last_ok + z->expire - now) {
		next = z->last_ok + z->expire - now;
		if (next < 0.)
			next = 0.;
	}
	if (backing_off) {
		x->stats.backoff_retries++;
		if (z->soa_known)
			pr_notice(
				"zone %s: refresh failed (%u in a row, connection cut, stalled or "
				"refused); next try in %.1f s (backoff, SOA RETRY %" PRIu32 " s)",
				z->name, z->failures, next, z->retry);
		else
			pr_notice(
				"zone %s: refresh failed (%u in a row, connection cut, stalled or "
				"refused); next try in %.1f s (backoff, no SOA seen: at most %.0f s)",
				z->name, z->failures, next, x->opts.backoff_ceiling);
	}
	z->transient = false;
	schedule(z, next);
}

/* Move on to the next address, or the next primary; the end is a failure. */
static void next_address(struct xzone *z)
{
	attempt_close(z);
	if (z->prim < z->nprimaries && ++z->addr >= z->primaries[z->prim]->addr_count) {
		z->addr = 0;
		z->no_ixfr = false;
		z->prim++;
	}
	if (z->prim >= z->nprimaries) {
		pr_warn("zone %s: no primary could be reached or gave a usable answer; "
			"retrying later",
			z->name);
		refresh_done(z, false);
		return;
	}
	start_attempt(z);
}

static void attempt_fail(struct xzone *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void attempt_fail(struct xzone *z, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("zone %s: %s from %s: %s; version discarded", z->name,
		z->step == ST_XFR ? (z->qtype == LS_TYPE_IXFR ? "IXFR" : "AXFR") :
		z->step == ST_TLS ? "connection" :
				    "SOA query",
		z->source, msg);
	next_address(z);
}

static void arm_stall(struct xzone *z)
{
	ev_timer_stop(z->x->loop, &z->stall);
	ev_timer_set(&z->stall, z->x->opts.timeout, 0.);
	ev_timer_start(z->x->loop, &z->stall);
}

static void set_events(struct xzone *z, int events)
{
	ev_io_stop(z->x->loop, &z->io);
	ev_io_set(&z->io, z->fd, events);
	ev_io_start(z->x->loop, &z->io);
}

/* Build and queue a query for @qtype (IXFR carries the live SOA). */
static int send_query(struct xzone *z, uint16_t qtype, const struct ls_zone *live)
{
	const struct ls_config_remote *r = z->primaries[z->prim];
	struct ls_msg_writer *w;
	size_t len;
	int err;

	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	ls_msg_writer_init(w, z->wbuf + 2, BUF_LEN - 2);
	z->id = (uint16_t)random();
	ls_msg_set_header(w, z->id, 0);
	err = ls_msg_put_question(w, z->origin, qtype, LS_CLASS_IN);
	if (!err && qtype == LS_TYPE_IXFR) {
		const struct ls_zone_rrset *rs =
			ls_zone_node_rrset(live, ls_zone_apex(live), LS_TYPE_SOA);
		struct ls_zone_rdata_iter it;
		const uint8_t *rd;
		uint16_t rdlen;

		ls_zone_rdata_begin(live, rs, &it);
		ls_zone_rdata_next(&it, &rd, &rdlen);
		/* RFC 1995 §3: the version we hold, in the authority section */
		err = ls_msg_put_rr(w, LS_SECTION_AUTHORITY, z->origin, LS_TYPE_SOA, LS_CLASS_IN,
				    rs->ttl, rd, rdlen);
	}
	len = ls_msg_len(w);
	free(w);
	if (err)
		return err;
	ls_tsig_clear(&z->tsig);
	ls_tsig_init(&z->tsig, r->key);
	if (r->key) {
		err = ls_tsig_sign(&z->tsig, z->wbuf + 2, &len, BUF_LEN - 2, unix_now(), 0);
		if (err)
			return err;
	}
	z->wbuf[0] = (uint8_t)(len >> 8);
	z->wbuf[1] = (uint8_t)len;
	z->wlen = len + 2;
	z->woff = 0;
	z->qtype = qtype;
	set_events(z, EV_READ | EV_WRITE);
	return 0;
}

/* TSIG of one response, when the primary has a key. */
static int check_tsig(struct xzone *z, const struct ls_msg *m)
{
	struct ls_tsig_status st;

	if (!z->primaries[z->prim]->key)
		return 0;
	if (ls_tsig_verify_response(&z->tsig, m, unix_now(), &st) == 0)
		return 0;
	attempt_fail(z, "TSIG: %s%s%s", st.why, st.error ? " " : "",
		     st.error ? ls_msg_tsig_error_name(st.error) : "");
	return -EACCES;
}

static void start_xfr(struct xzone *z, const struct ls_zone *live)
{
	uint16_t qtype = live && !z->no_ixfr ? LS_TYPE_IXFR : LS_TYPE_AXFR;
	int err;

	err = ls_xfr_parser_new(z->origin, qtype, qtype == LS_TYPE_IXFR ? live : NULL,
				z->x->opts.max_records, z->x->opts.max_bytes, &z->parser);
	if (!err)
		err = send_query(z, qtype, live);
	if (err) {
		attempt_fail(z, "cannot build the query: %s", strerror(-err));
		return;
	}
	z->step = ST_XFR;
}

static void on_soa(struct xzone *z, const struct ls_msg *m)
{
	const struct ls_zone *live =
		z->x->ops.live ? z->x->ops.live(z->x->ops.ctx, z->origin) : NULL;
	struct ls_msg_iter it;
	struct ls_msg_rr *rr;
	bool found = false;
	uint32_t serial = 0;

	if (check_tsig(z, m))
		return;
	if (ls_msg_rcode(m) != LS_RCODE_NOERROR) {
		const char *n = ls_msg_rcode_name(ls_msg_rcode(m));

		z->transient = true;
		attempt_fail(z, "answered %s", n ? n : "an error");
		return;
	}
	rr = malloc(sizeof(*rr));
	if (!rr) {
		attempt_fail(z, "out of memory");
		return;
	}
	ls_msg_iter_init(&it, m, LS_SECTION_ANSWER);
	while (!found && ls_msg_iter_next(&it, rr) > 0) {
		if (rr->type == LS_TYPE_SOA && ls_dname_equal(rr->owner, z->origin) &&
		    rr->rdlen >= 22) {
			serial = ls_get32(rr->rdata + rr->rdlen - 20);
			found = true;
			/*
			 * Nothing held yet: the primary's SOA gives the timers,
			 * so a first transfer that is cut backs off up to the
			 * zone's own RETRY, not to a default.
			 */
			if (!live && !z->last_ok) {
				z->refresh = ls_get32(rr->rdata + rr->rdlen - 16);
				z->retry = ls_get32(rr->rdata + rr->rdlen - 12);
				z->expire = ls_get32(rr->rdata + rr->rdlen - 8);
				z->soa_known = true;
			}
		}
	}
	free(rr);
	if (!found) {
		attempt_fail(z, "no SOA in the answer");
		return;
	}
	if (live && !ls_serial_newer(serial, ls_zone_serial(live))) {
		pr_debug("zone %s: %s has serial %" PRIu32 ", we hold %" PRIu32 ": up to date",
			 z->name, z->source, serial, ls_zone_serial(live));
		refresh_done(z, true);
		return;
	}
	pr_info("zone %s: %s has serial %" PRIu32 "%s, transferring", z->name, z->source, serial,
		live ? "" : " and we hold none");
	start_xfr(z, live);
}

static void on_xfr(struct xzone *z, const struct ls_msg *m)
{
	struct ls_zone *zone = NULL;
	char why[384];
	uint32_t serial = 0;
	int r;

	if (check_tsig(z, m))
		return;
	r = ls_xfr_parser_feed(z->parser, m);
	if (r < 0) {
		/* a primary that cannot do IXFR: fall back to AXFR (RFC 1995 §4) */
		if (z->qtype == LS_TYPE_IXFR && r == -EPROTO &&
		    (ls_msg_rcode(m) == LS_RCODE_NOTIMP || ls_msg_rcode(m) == LS_RCODE_FORMERR)) {
			pr_info("zone %s: %s refused IXFR, trying AXFR", z->name, z->source);
			ls_xfr_parser_free(z->parser);
			z->parser = NULL;
			z->no_ixfr = true;
			start_xfr(z, NULL);
			return;
		}
		/* a primary that answers REFUSED or SERVFAIL may do better in a moment */
		if (ls_msg_rcode(m) != LS_RCODE_NOERROR)
			z->transient = true;
		attempt_fail(z, "%s", ls_xfr_parser_error(z->parser));
		return;
	}
	if (r == LS_XFR_MORE)
		return;
	if (z->primaries[z->prim]->key && ls_tsig_verify_end(&z->tsig) != 0) {
		attempt_fail(z, "TSIG: the last message is unsigned");
		return;
	}
	if (r == LS_XFR_UPTODATE) {
		refresh_done(z, true);
		return;
	}
	ls_xfr_parser_serial(z->parser, &serial);
	bool incremental = ls_xfr_parser_incremental(z->parser);
	size_t records = ls_xfr_parser_records(z->parser);
	r = ls_xfr_parser_finish(z->parser, &zone, why, sizeof(why));
	z->parser = NULL;
	if (r) {
		attempt_fail(z, "serial %" PRIu32 " refused: %s", serial, why);
		return;
	}
	char source[160];
	snprintf(source, sizeof(source), "%s %s",
		 z->qtype == LS_TYPE_AXFR ? "axfr" :
		 incremental		  ? "ixfr" :
					    "ixfr-as-axfr",
		 z->source);
	pr_info("zone %s: serial %" PRIu32 " received from %s (%zu records)", z->name, serial,
		source, records);
	/* the offer verifies off the loop: the timers come from what arrived */
	soa_timers_of(z, zone);
	r = z->x->ops.offer(z->x->ops.ctx, z->origin, zone, source);
	if (r && r != -EALREADY)
		pr_warn("zone %s: serial %" PRIu32 " not taken: %s", z->name, serial, strerror(-r));
	refresh_done(z, r == 0 || r == -EALREADY);
}

/* Handle the complete messages in rbuf (plain TCP and TLS alike). */
static void process_rbuf(struct xzone *z)
{
	struct ls_msg m;

	while (z->fd >= 0 && z->rlen >= 2) {
		size_t len = ls_get16(z->rbuf);
		enum step step = z->step;

		if (z->rlen < 2 + len)
			break;
		if (ls_msg_parse(&m, z->rbuf + 2, len) != 0) {
			attempt_fail(z, "malformed message: %s", m.err_what ? m.err_what : "?");
			return;
		}
		if (m.id != z->id) {
			attempt_fail(z, "response with the wrong ID");
			return;
		}
		if (step == ST_SOA)
			on_soa(z, &m);
		else
			on_xfr(z, &m);
		/* the handler may have closed the attempt, or started the next query */
		if (z->fd < 0 || z->step == ST_IDLE)
			return;
		memmove(z->rbuf, z->rbuf + 2 + len, z->rlen - 2 - len);
		z->rlen -= 2 + len;
	}
}

static void closed_early(struct xzone *z)
{
	z->transient = true;
	attempt_fail(z, "connection closed %s",
		     z->step == ST_XFR ? "before the end of the stream" : "early");
}

/*
 * What one read of the connection (plain or TLS) gave: @n octets appended
 * to rbuf, 0 for the peer's close, < 0 for an error described by @why.
 * Returns false when the attempt ended here.
 */
static bool took_in(struct xzone *z, ssize_t n, const char *why)
{
	if (n < 0) {
		z->transient = true;
		attempt_fail(z, "%s", why);
		return false;
	}
	if (n == 0) {
		closed_early(z);
		return false;
	}
	z->rlen += (size_t)n;
	arm_stall(z);
	process_rbuf(z);
	return true;
}

static void on_readable(struct xzone *z)
{
	char why[64];
	ssize_t n;

	n = read(z->fd, z->rbuf + z->rlen, BUF_LEN - z->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		snprintf(why, sizeof(why), "read: %s", strerror(errno));
	took_in(z, n, why);
}

static void tls_wait(struct xzone *z, enum ls_tls_want want)
{
	set_events(z, want == LS_TLS_WANT_WRITE ? EV_WRITE : EV_READ);
}

/*
 * The TLS stream after the handshake: write what is queued, then read
 * until OpenSSL asks to wait. A handler may queue the next query (the
 * transfer after the SOA answer); it is written in the same round.
 */
static void tls_io(struct xzone *z)
{
	char why[LS_TLS_WHY_LEN];
	enum ls_tls_want want = LS_TLS_WANT_READ;
	ssize_t n;

	for (;;) {
		while (z->woff < z->wlen) {
			n = ls_tls_write(z->ssl, z->wbuf + z->woff, z->wlen - z->woff, &want, why,
					 sizeof(why));
			if (n == -EAGAIN) {
				tls_wait(z, want);
				return;
			}
			if (n < 0) {
				z->transient = true;
				attempt_fail(z, "%s", why);
				return;
			}
			z->woff += (size_t)n;
			arm_stall(z);
		}
		if (z->rlen >= BUF_LEN) {
			attempt_fail(z, "message longer than a DNS message can be");
			return;
		}
		n = ls_tls_read(z->ssl, z->rbuf + z->rlen, BUF_LEN - z->rlen, &want, why,
				sizeof(why));
		if (n == -EAGAIN) {
			tls_wait(z, want);
			return;
		}
		if (!took_in(z, n, why) || z->fd < 0 || z->step == ST_IDLE)
			return;
	}
}

static const struct tlsctx *tls_of(const struct ls_xfrin *x, const struct ls_config_remote *r)
{
	for (size_t i = 0; i < x->ntls; i++) {
		if (x->tls[i].remote == r)
			return &x->tls[i];
	}
	return NULL;
}

/* Connected: start the TLS handshake (the SOA query waits in wbuf). */
static void tls_start(struct xzone *z)
{
	const struct ls_config_remote *r = z->primaries[z->prim];
	const struct tlsctx *t = tls_of(z->x, r);
	int err;

	z->step = ST_TLS;
	if (!t || !t->ctx) {
		attempt_fail(z, "no TLS context for remote '%s': %s", r->id,
			     t ? t->why : "not built for this configuration");
		return;
	}
	err = ls_tls_client_new(t->ctx, r, &r->addrs[z->addr], z->fd, &z->ssl);
	if (err) {
		attempt_fail(z, "TLS: %s", strerror(-err));
		return;
	}
}

static void tls_handshake(struct xzone *z)
{
	const struct ls_config_remote *r = z->primaries[z->prim];
	char why[LS_TLS_WHY_LEN];
	enum ls_tls_want want = LS_TLS_WANT_READ;
	int err = ls_tls_handshake(z->ssl, r, &want, why, sizeof(why));

	if (err == -EAGAIN) {
		tls_wait(z, want);
		return;
	}
	if (err) {
		attempt_fail(z, "%s", why);
		return;
	}
	arm_stall(z);
	pr_debug("zone %s: TLS to %s: %s, %s%s", z->name, z->source, SSL_get_version(z->ssl),
		 SSL_get_cipher_name(z->ssl),
		 r->tls_ca || r->tls_pin_count ? ", server authenticated" :
						 ", server not authenticated (opportunistic)");
	z->step = ST_SOA;
	tls_io(z);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct xzone *z = w->data;

	if (z->step == ST_CONNECT && (revents & EV_WRITE)) {
		int soerr = 0;
		socklen_t l = sizeof(soerr);

		getsockopt(z->fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
		if (soerr) {
			z->transient = true;
			attempt_fail(z, "connect: %s", strerror(soerr));
			return;
		}
		arm_stall(z);
		if (z->primaries[z->prim]->tls) {
			tls_start(z);
			if (z->fd >= 0 && z->step == ST_TLS)
				tls_handshake(z);
			return;
		}
		z->step = ST_SOA;
	}
	if (z->step == ST_TLS) {
		tls_handshake(z);
		return;
	}
	if (z->ssl) {
		tls_io(z);
		return;
	}
	if ((revents & EV_WRITE) && z->woff < z->wlen) {
		/* MSG_NOSIGNAL: a primary that went away must not SIGPIPE the daemon */
		ssize_t n = send(z->fd, z->wbuf + z->woff, z->wlen - z->woff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			z->transient = true;
			attempt_fail(z, "write: %s", strerror(errno));
			return;
		}
		if (n > 0) {
			z->woff += (size_t)n;
			arm_stall(z);
		}
		if (z->woff == z->wlen)
			set_events(z, EV_READ);
		return;
	}
	if (revents & EV_READ)
		on_readable(z);
}

static void on_stall(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xzone *z = w->data;

	z->transient = true;
	attempt_fail(z, "no progress for %.0f s (stalled primary)", z->x->opts.timeout);
}

static void start_attempt(struct xzone *z)
{
	const struct ls_config_remote *r = z->primaries[z->prim];
	const struct ls_config_addr *a = &r->addrs[z->addr];
	char addr[LS_CONFIG_ADDR_STRLEN];
	int err;

	snprintf(z->source, sizeof(z->source), "%s%s", ls_config_addr_str(a, addr, sizeof(addr)),
		 r->tls ? " over TLS" : "");
	z->step = ST_CONNECT;
	z->fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (z->fd < 0) {
		attempt_fail(z, "socket: %s", strerror(errno));
		return;
	}
	if (connect(z->fd, (const struct sockaddr *)&a->ss, a->len) < 0 && errno != EINPROGRESS) {
		z->transient = true;
		attempt_fail(z, "connect: %s", strerror(errno));
		return;
	}
	ev_io_init(&z->io, on_io, z->fd, EV_WRITE);
	z->io.data = z;
	ev_init(&z->stall, on_stall);
	z->stall.data = z;
	arm_stall(z);
	/* the SOA query waits in the buffer until the connection is up */
	err = send_query(z, LS_TYPE_SOA, NULL);
	if (err) {
		attempt_fail(z, "cannot build the query: %s", strerror(-err));
		return;
	}
	z->step = ST_CONNECT;
	set_events(z, EV_WRITE);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xzone *z = w->data;

	if (z->step != ST_IDLE) {
		z->pending = true;
		return;
	}
	/*
	 * After a failure the wait may have been cut short to EXPIRE: withdraw
	 * first, then try. Not after a success: a REFRESH longer than EXPIRE
	 * (a bad SOA) must not withdraw a zone whose primary answers.
	 */
	if (z->failing)
		check_expire(z, ev_now(loop));
	z->prim = z->addr = 0;
	z->no_ixfr = false;
	z->transient = false;
	start_attempt(z);
}

static struct xzone *zone_new(struct ls_xfrin *x, const uint8_t *origin,
			      const struct ls_config_remote *const *prim, size_t n)
{
	struct xzone *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->wbuf = malloc(BUF_LEN);
	z->rbuf = malloc(BUF_LEN);
	if (!z->wbuf || !z->rbuf) {
		free(z->wbuf);
		free(z->rbuf);
		free(z);
		return NULL;
	}
	z->x = x;
	ls_dname_copy_lower(z->origin, origin);
	ls_dname_to_str(z->name, sizeof(z->name), z->origin);
	z->primaries = prim;
	z->nprimaries = n;
	z->fd = -1;
	/* until a version tells us its SOA timers: RFC 1912-ish defaults */
	z->refresh = 3600;
	z->retry = 600;
	z->expire = 0; /* no version: nothing to expire */
	ls_tsig_init(&z->tsig, NULL);
	ev_init(&z->timer, on_timer);
	z->timer.data = z;
	ev_init(&z->io, on_io);
	ev_init(&z->stall, on_stall);
	return z;
}

static void zone_free(struct xzone *z)
{
	if (!z)
		return;
	ev_timer_stop(z->x->loop, &z->timer);
	if (z->step != ST_IDLE) {
		attempt_close(z);
	}
	free(z->own);
	free(z->wbuf);
	free(z->rbuf);
	free(z);
}

static struct xzone *find(const struct ls_xfrin *x, const uint8_t *origin)
{
	for (size_t i = 0; i < x->nzones; i++) {
		if (ls_dname_equal(x->zones[i]->origin, origin))
			return x->zones[i];
	}
	return NULL;
}

static void free_tls(struct tlsctx *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		SSL_CTX_free(t[i].ctx);
	free(t);
}

/*
 * The client contexts of @cfg's TLS remotes, replacing the old ones (a
 * connection in flight keeps its own reference to its context). A remote
 * whose context cannot be built is logged once here; its transfers fail
 * with the reason. Returns 0 or -ENOMEM.
 */
static int build_tls(struct ls_xfrin *x, const struct ls_config *cfg)
{
	struct tlsctx *t;
	size_t n = 0;

	t = calloc(cfg->remote_count + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->remote_count; i++) {
		const struct ls_config_remote *r = &cfg->remotes[i];

		if (!r->tls)
			continue;
		t[n].remote = r;
		if (ls_tls_client_ctx_new(r, &t[n].ctx, t[n].why, sizeof(t[n].why)))
			pr_err("remote '%s': TLS cannot be set up: %s; transfers from it will fail",
			       r->id, t[n].why);
		else if (!r->tls_ca && !r->tls_pin_count)
			pr_notice("remote '%s': XoT without tls-ca or tls-pin-sha256: encrypted, "
				  "the server not authenticated (opportunistic; TSIG still "
				  "authenticates the data)",
				  r->id);
		n++;
	}
	free_tls(x->tls, x->ntls);
	x->tls = t;
	x->ntls = n;
	return 0;
}

static int build(struct ls_xfrin *x, const struct ls_config *cfg)
{
	size_t n = 0;
	int err = build_tls(x, cfg);

	if (err)
		return err;
	x->cap = cfg->zone_count + cfg->catalog_count + 1;
	x->zones = calloc(x->cap, sizeof(*x->zones));
	if (!x->zones)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->zone_count + cfg->catalog_count; i++) {
		const uint8_t *name;
		const struct ls_config_remote *const *prim;
		size_t np;

		if (i < cfg->zone_count) {
			name = cfg->zones[i].name;
			prim = cfg->zones[i].primaries;
			np = cfg->zones[i].primary_count;
		} else {
			name = cfg->catalogs[i - cfg->zone_count].name;
			prim = cfg->catalogs[i - cfg->zone_count].primaries;
			np = cfg->catalogs[i - cfg->zone_count].primary_count;
		}
		if (!np)
			continue;
		x->zones[n] = zone_new(x, name, prim, np);
		if (!x->zones[n])
			return -ENOMEM;
		schedule(x->zones[n], 0.);
		/* counted at once: after a failure half-way, ls_xfrin_free() finds them all */
		x->nzones = ++n;
	}
	x->cfg = cfg;
	return 0;
}

int ls_xfrin_new(struct ev_loop *loop, const struct ls_config *cfg, const struct ls_xfrin_ops *ops,
		 const struct ls_xfrin_opts *opts, struct ls_xfrin **out)
{
	struct ls_xfrin *x;
	int err;

	*out = NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->loop = loop;
	x->ops = *ops;
	if (opts)
		x->opts = *opts;
	if (x->opts.timeout <= 0)
		x->opts.timeout = DEFAULT_TIMEOUT;
	if (x->opts.retry_min <= 0)
		x->opts.retry_min = DEFAULT_RETRY_MIN;
	if (x->opts.backoff_first <= 0)
		x->opts.backoff_first = DEFAULT_BACKOFF_FIRST;
	if (x->opts.backoff_ceiling <= 0)
		x->opts.backoff_ceiling = DEFAULT_BACKOFF_CEILING;
	err = build(x, cfg);
	if (err) {
		ls_xfrin_free(x);
		return err;
	}
	*out = x;
	return 0;
}

void ls_xfrin_free(struct ls_xfrin *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nzones; i++)
		zone_free(x->zones[i]);
	free(x->zones);
	free_tls(x->tls, x->ntls);
	free(x);
}

/* Append @z to the zone list (which grows as run-time zones come). */
static int push(struct ls_xfrin *x, struct xzone *z)
{
	if (x->nzones == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		struct xzone **v = realloc(x->zones, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->zones = v;
		x->cap = cap;
	}
	x->zones[x->nzones++] = z;
	return 0;
}

static void drop_at(struct ls_xfrin *x, size_t i)
{
	zone_free(x->zones[i]);
	x->zones[i] = x->zones[--x->nzones];
}

/* Give a run-time zone its own copy of @prim; the old copy goes. */
static int set_primaries(struct xzone *z, const struct ls_config_remote *const *prim, size_t n)
{
	const struct ls_config_remote **own = calloc(n ? n : 1, sizeof(*own));

	if (!own)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		own[i] = prim[i];
	free(z->own);
	z->own = own;
	z->primaries = own;
	z->nprimaries = n;
	return 0;
}

/* A transfer in progress points at the primaries being replaced: start it again. */
static void restart(struct xzone *z)
{
	if (z->step == ST_IDLE)
		return;
	attempt_close(z);
	z->step = ST_IDLE;
	z->prim = z->addr = 0;
	z->no_ixfr = false;
	schedule(z, 0.);
}

/*
 * A run-time zone across a reload: its primaries are looked up again by id
 * in @cfg (the old configuration is still alive while this runs, and is
 * freed right after). Returns false when none is left: the zone cannot be
 * transferred any more.
 */
static bool reresolve(struct xzone *z, const struct ls_config *cfg)
{
	const struct ls_config_remote **v = calloc(z->nprimaries + 1, sizeof(*v));
	bool changed = false;
	size_t n = 0;

	if (!v) {
		pr_err("zone %s: out of memory across the reload; not transferred any more",
		       z->name);
		return false;
	}
	for (size_t i = 0; i < z->nprimaries; i++) {
		const struct ls_config_remote *r = ls_config_remote_find(cfg, z->primaries[i]->id);

		if (!r)
			pr_warn("zone %s: primary '%s' is no longer configured", z->name,
				z->primaries[i]->id);
		changed |= r != z->primaries[i];
		if (r)
			v[n++] = r;
	}
	if (changed || n != z->nprimaries)
		restart(z);
	free(z->own);
	z->own = v;
	z->primaries = v;
	z->nprimaries = n;
	if (!n)
		pr_err("zone %s: none of its primaries is configured any more; not transferred",
		       z->name);
	return n > 0;
}

/*
 * Configured zones keep their timers and last success across a reload
 * when they keep their name; primaries are taken from the new
 * configuration. A configured zone busy with a transfer is simply
 * restarted: the old configuration's remotes are about to be freed, and a
 * transfer is cheap to repeat. Run-time zones stay as they are, with their
 * primaries looked up again by id (reresolve()); a run-time zone that is
 * now configured gives way to the configured one.
 */
int ls_xfrin_reconfigure(struct ls_xfrin *x, const struct ls_config *cfg)
{
	struct xzone **old = x->zones;
	size_t nold = x->nzones;
	int err;

	x->zones = NULL;
	x->nzones = x->cap = 0;
	err = build(x, cfg);
	for (size_t i = 0; i < nold; i++) {
		struct xzone *n = find(x, old[i]->origin);

		if (old[i]->runtime && !n && !err && reresolve(old[i], cfg) && push(x, old[i]) == 0)
			continue;
		if (old[i]->runtime && n)
			pr_notice("zone %s: now configured; its configured primaries apply",
				  old[i]->name);
		if (n && old[i]->last_ok > 0) {
			n->last_ok = old[i]->last_ok;
			n->refresh = old[i]->refresh;
			n->retry = old[i]->retry;
			n->expire = old[i]->expire;
		}
		zone_free(old[i]);
	}
	free(old);
	return err;
}

int ls_xfrin_add_zone(struct ls_xfrin *x, const uint8_t *origin,
		      const struct ls_config_remote *const *primaries, size_t n)
{
	struct xzone *z;
	int err;

	if (!n || !primaries || ls_dname_wire_check(origin, LS_DNAME_MAXLEN) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!primaries[i] || !primaries[i]->addr_count)
			return -EINVAL;
	}
	z = find(x, origin);
	if (z && !z->runtime)
		return -EEXIST;
	if (z) {
		bool same = z->nprimaries == n;

		for (size_t i = 0; same && i < n; i++)
			same = z->primaries[i] == primaries[i];
		if (same)
			return 0;
		err = set_primaries(z, primaries, n);
		if (err)
			return err;
		pr_info("zone %s: primaries changed", z->name);
		restart(z);
		return 0;
	}
	z = zone_new(x, origin, NULL, 0);
	if (!z)
		return -ENOMEM;
	z->runtime = true;
	err = set_primaries(z, primaries, n);
	if (!err)
		err = push(x, z);
	if (err) {
		zone_free(z);
		return err;
	}
	schedule(z, 0.);
	return 0;
}

int ls_xfrin_remove_zone(struct ls_xfrin *x, const uint8_t *origin)
{
	for (size_t i = 0; i < x->nzones; i++) {
		if (!ls_dname_equal(x->zones[i]->origin, origin))
			continue;
		if (!x->zones[i]->runtime)
			return -EPERM;
		drop_at(x, i);
		return 0;
	}
	return -ENOENT;
}

const struct ls_xfrin_stats *ls_xfrin_stats(const struct ls_xfrin *x)
{
	return &x->stats;
}

bool ls_xfrin_has_zone(const struct ls_xfrin *x, const uint8_t *origin)
{
	return find(x, origin) != NULL;
}

int ls_xfrin_refresh(struct ls_xfrin *x, const uint8_t *origin)
{
	struct xzone *z = find(x, origin);

	if (!z)
		return -ENOENT;
	if (z->step != ST_IDLE)
		z->pending = true;
	else
		schedule(z, 0.);
	return 0;
}

bool ls_xfrin_addr_match(const struct ls_config_addr *a, const struct sockaddr *from, bool port)
{
	if (a->ss.ss_family != from->sa_family)
		return false;
	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->ss, *y = (const void *)from;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!port || x->sin_port == y->sin_port);
	}
	if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->ss, *y = (const void *)from;

		return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		       (!port || x->sin6_port == y->sin6_port);
	}
	return false;
}

const struct ls_config_remote *ls_xfrin_remote_by_addr(const struct ls_config *cfg,
						       const struct sockaddr *from, bool match_port)
{
	for (size_t i = 0; i < cfg->remote_count; i++) {
		for (size_t j = 0; j < cfg->remotes[i].addr_count; j++) {
			if (ls_xfrin_addr_match(&cfg->remotes[i].addrs[j], from, match_port))
				return &cfg->remotes[i];
		}
	}
	return NULL;
}

int ls_xfrin_primary(const struct ls_xfrin *x, const uint8_t *origin, const struct sockaddr *from,
		     const struct ls_config_remote **remote)
{
	struct xzone *z = find(x, origin);

	*remote = NULL;
	if (!z)
		return -ENOENT;
	/* RFC 1996 §3.10: only from a primary of the zone (any port) */
	for (size_t i = 0; i < z->nprimaries; i++) {
		for (size_t j = 0; j < z->primaries[i]->addr_count; j++) {
			if (ls_xfrin_addr_match(&z->primaries[i]->addrs[j], from, false)) {
				*remote = z->primaries[i];
				return 0;
			}
		}
	}
	return -EPERM;
}
