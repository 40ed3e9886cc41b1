/* SPDX-License-Identifier: MIT */
/*
 * health.c — see health.h.
 *
 * Connections: each has a fixed input buffer of LS_HTTP_MAX_REQUEST octets
 * and a growable output buffer. A request is answered only when the output
 * of the previous one has gone out, and reading stops while output is
 * pending, so a client that pipelines without reading holds at most one
 * response in memory. The read timeout covers a whole request (it is reset
 * when a request completes or output makes progress, not per octet), so a
 * client trickling octets cannot hold a connection. At the connection limit
 * a new connection gets a one-shot 503 and is closed: a health checker sees
 * "unhealthy" rather than a hang.
 */
#include "agent/health.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/zoneset.h"
#include "common/dname.h"
#include "common/log.h"
#include "ebpf/lockstep.h"

struct conn {
	struct ls_health *h;
	struct conn *prev, *next;
	int fd;
	ev_io io;
	ev_timer timer;
	uint8_t in[LS_HTTP_MAX_REQUEST];
	size_t inlen;
	struct ls_buf out;
	bool closing; /* close once the output is sent */
};

struct ls_health {
	struct ev_loop *loop;
	struct ls_health_providers p;
	double timeout;
	unsigned max_conns;
	int fd;
	ev_io accept_io;
	struct conn *conns;
	unsigned nconns;
	struct ls_health_stats stats;
};

static uint64_t now_tai(const struct ls_health_providers *p)
{
	return p->now_tai ? p->now_tai(p->ctx) : ls_zoneset_clock();
}

static size_t zone_count(const struct ls_health_providers *p)
{
	return p->zone_count ? p->zone_count(p->ctx) : 0;
}

static int zone_info(const struct ls_health_providers *p, size_t i, struct ls_zinfo *z)
{
	memset(z, 0, sizeof(*z));
	return p->zone_info ? p->zone_info(p->ctx, i, z) : -ENOENT;
}

static void zone_name(const struct ls_zinfo *z, char *buf, size_t len)
{
	if (ls_dname_to_str(buf, len, z->origin) < 0)
		snprintf(buf, len, "?");
}

/*
 * Whether @z answers now: the zone manager's state explains an empty or
 * withdrawn zone; otherwise the verdict is the time rule itself,
 * ls_ctl_decide() on the zone set's control entry, as the slow path and the
 * XDP program decide each query (the lease is the data plane's alone).
 */
static bool zone_serves(const struct ls_zinfo *z, uint64_t now, const char **why)
{
	static const char *const drop_why[] = {
		[LS_DROP_LEASE] = "lease expired",
		[LS_DROP_WITHDRAWN] = "withdrawn",
		[LS_DROP_NOT_READY] = "switch time passed without the planned serial",
		[LS_DROP_NO_LIVE] = "no live version",
	};

	switch (z->state) {
	case LS_ZSTATE_EMPTY:
		*why = "no verified version yet";
		return false;
	case LS_ZSTATE_WITHDRAWN:
		*why = ls_zreason_name(z->reason);
		return false;
	default:
		break;
	}
	if (!z->served) {
		*why = "a catalog zone: given to peers, not answered on the service address";
		return false;
	}
	if (!z->has_ctl) {
		*why = "not in the zone table";
		return false;
	}
	if (ls_ctl_decide(&z->ctl, now, LS_TIME_NEVER) == LS_CTL_DROP) {
		*why = drop_why[ls_ctl_drop_reason(&z->ctl, now, LS_TIME_NEVER)];
		return false;
	}
	return true;
}

bool ls_health_ok(const struct ls_health_providers *p, struct ls_buf *why)
{
	size_t n = zone_count(p), bad = 0, served = 0;
	uint64_t now = now_tai(p);
	char name[LS_DNAME_STRLEN];
	struct ls_zinfo *z = malloc(sizeof(*z));

	if (!z) {
		ls_buf_puts(why, "out of memory\n");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const char *reason = NULL;

		if (zone_info(p, i, z))
			continue; /* removed between count and info */
		if (!z->served)
			continue; /* a catalog: given to peers, not answered here */
		served++;
		if (zone_serves(z, now, &reason))
			continue;
		zone_name(z, name, sizeof(name));
		ls_buf_printf(why, "%s: %s (%s)\n", name, ls_zstate_name(z->state), reason);
		bad++;
	}
	if (!bad)
		ls_buf_printf(why, "ok: %zu zone(s) served\n", served);
	free(z);
	return bad == 0;
}

/* ---- JSON ------------------------------------------------------------- */

static void json_key(struct ls_buf *b, bool *first, const char *key)
{
	if (!*first)
		ls_buf_append(b, ",", 1);
	*first = false;
	ls_buf_json_str(b, key, strlen(key));
	ls_buf_append(b, ":", 1);
}

static void json_kstr(struct ls_buf *b, bool *first, const char *key, const char *val)
{
	json_key(b, first, key);
	if (val)
		ls_buf_json_str(b, val, strlen(val));
	else
		ls_buf_puts(b, "null");
}

static void json_ku64(struct ls_buf *b, bool *first, const char *key, uint64_t v)
{
	json_key(b, first, key);
	ls_buf_printf(b, "%" PRIu64, v);
}

static void json_kbool(struct ls_buf *b, bool *first, const char *key, bool v)
{
	json_key(b, first, key);
	ls_buf_puts(b, v ? "true" : "false");
}

/* @v, or null when @has is false */
static void json_kopt(struct ls_buf *b, bool *first, const char *key, bool has, uint64_t v)
{
	if (has) {
		json_ku64(b, first, key, v);
	} else {
		json_key(b, first, key);
		ls_buf_puts(b, "null");
	}
}

/*
 * "switch": the last switch's T and the first answer from its generation
 * per path (docs/clock.md); "offset_ns" is the earlier of the two minus T,
 * signed, so a monitor sees an answer before T (which the rule forbids) as
 * what it is. null before the first plan.
 */
static void json_switch(struct ls_buf *b, bool *first, const struct ls_zinfo *z)
{
	uint64_t x = z->first_next_xdp_ns, s = z->first_next_slow_ns, t = z->switch_at_tai_ns;
	uint64_t m = x && (!s || x <= s) ? x : s;
	bool sf = true;

	json_key(b, first, "switch");
	if (!t || t == LS_TIME_NEVER) {
		ls_buf_puts(b, "null");
		return;
	}
	ls_buf_append(b, "{", 1);
	json_ku64(b, &sf, "at_tai_ns", t);
	json_kopt(b, &sf, "first_next_xdp_ns", x, x);
	json_kopt(b, &sf, "first_next_slow_ns", s, s);
	json_key(b, &sf, "offset_ns");
	if (m)
		ls_buf_printf(b, "%" PRId64, (int64_t)(m - t));
	else
		ls_buf_puts(b, "null");
	json_kstr(b, &sf, "path", !m ? NULL : m == x ? "xdp" : "slow");
	ls_buf_append(b, "}", 1);
}

static void json_zone(struct ls_buf *b, const struct ls_zinfo *z, uint64_t now)
{
	char name[LS_DNAME_STRLEN];
	const char *reason = NULL;
	bool first = true, serves = zone_serves(z, now, &reason);

	zone_name(z, name, sizeof(name));
	ls_buf_append(b, "{", 1);
	json_kstr(b, &first, "zone", name);
	json_kstr(b, &first, "state", ls_zstate_name(z->state));
	json_kstr(b, &first, "reason",
		  z->state == LS_ZSTATE_WITHDRAWN ? ls_zreason_name(z->reason) : NULL);
	json_kbool(b, &first, "served", z->served);
	json_kbool(b, &first, "serving", serves);
	json_kopt(b, &first, "live_serial", z->has_live, z->live_serial);
	json_kopt(b, &first, "next_serial", z->has_next, z->next_serial);
	json_kbool(b, &first, "next_ready", z->next_ready);
	json_key(b, &first, "plan");
	if (z->plan.active) {
		bool pf = true;

		ls_buf_append(b, "{", 1);
		json_ku64(b, &pf, "serial", z->plan.serial);
		json_ku64(b, &pf, "at", z->plan.at_unix);
		json_ku64(b, &pf, "at_tai_ns", z->plan.at_tai_ns);
		ls_buf_append(b, "}", 1);
	} else {
		ls_buf_puts(b, "null");
	}
	json_kopt(b, &first, "withdraw_at_tai_ns", z->withdraw_at_tai_ns != LS_TIME_NEVER,
		  z->withdraw_at_tai_ns);
	json_kstr(b, &first, "last_verdict", z->last_verdict[0] ? z->last_verdict : NULL);
	json_ku64(b, &first, "last_verdict_at", z->last_verdict_unix);
	json_kstr(b, &first, "last_source", z->last_source[0] ? z->last_source : NULL);
	json_ku64(b, &first, "last_transfer_at", z->last_transfer_unix);
	json_ku64(b, &first, "offers", z->offers);
	json_ku64(b, &first, "verify_failures", z->verify_failures);
	json_ku64(b, &first, "switches", z->switches);
	json_ku64(b, &first, "withdrawals", z->withdrawals);
	json_switch(b, &first, z);
	ls_buf_append(b, "}", 1);
}

int ls_health_status_json(const struct ls_health_providers *p, struct ls_buf *b)
{
	struct ls_health_dataplane *dp = NULL;
	struct ls_health_clock clk;
	struct ls_health_lease lease;
	struct ls_zinfo *z = NULL;
	const char *node = p->node_id ? p->node_id(p->ctx) : NULL;
	uint64_t now = now_tai(p);
	const struct ls_server_stats *s = p->server_stats ? p->server_stats(p->ctx) : NULL;
	size_t n = zone_count(p);
	bool first = true, zf = true;
	struct ls_buf why = { 0 };

	z = malloc(sizeof(*z));
	dp = malloc(sizeof(*dp));
	if (!z || !dp) {
		b->oom = true;
		goto free_all;
	}
	ls_buf_append(b, "{", 1);
	json_kstr(b, &first, "node", node);
	json_ku64(b, &first, "now_tai_ns", now);
	json_kbool(b, &first, "healthy", ls_health_ok(p, &why));
	json_key(b, &first, "zones");
	ls_buf_append(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (zone_info(p, i, z))
			continue;
		if (!zf)
			ls_buf_append(b, ",", 1);
		zf = false;
		json_zone(b, z, now);
	}
	ls_buf_append(b, "]", 1);

	json_key(b, &first, "clock");
	memset(&clk, 0, sizeof(clk));
	if (p->clock && p->clock(p->ctx, &clk) == 0) {
		bool cf = true;

		ls_buf_append(b, "{", 1);
		json_kstr(b, &cf, "source", clk.source);
		json_kbool(b, &cf, "synchronised", clk.synchronised);
		json_kbool(b, &cf, "trusted", clk.trusted);
		json_ku64(b, &cf, "error_bound_ns", clk.error_bound_ns);
		json_ku64(b, &cf, "budget_ns", clk.budget_ns);
		ls_buf_append(b, "}", 1);
	} else {
		ls_buf_puts(b, "null");
	}

	json_key(b, &first, "dataplane");
	memset(dp, 0, sizeof(*dp));
	if (p->dataplane && p->dataplane(p->ctx, dp) == 0) {
		bool df = true, of = true;

		ls_buf_append(b, "{", 1);
		json_kbool(b, &df, "attached", dp->attached);
		json_kstr(b, &df, "interface", dp->interface);
		json_kstr(b, &df, "mode", dp->mode);
		json_key(b, &df, "outcomes");
		ls_buf_append(b, "{", 1);
		for (size_t i = 0; i < dp->outcome_count && i < LS_HEALTH_MAX_OUTCOMES; i++)
			json_ku64(b, &of, dp->outcomes[i].name, dp->outcomes[i].packets);
		ls_buf_puts(b, "}}");
	} else {
		ls_buf_puts(b, "null");
	}

	json_key(b, &first, "lease");
	if (p->lease && p->lease(p->ctx, &lease) == 0) {
		bool lf = true;

		ls_buf_append(b, "{", 1);
		json_ku64(b, &lf, "deadline_tai_ns", lease.deadline_tai_ns);
		json_kbool(b, &lf, "fresh", lease.deadline_tai_ns > now);
		ls_buf_append(b, "}", 1);
	} else {
		ls_buf_puts(b, "null");
	}

	json_key(b, &first, "slowpath");
	if (s) {
		bool sf = true;

		ls_buf_append(b, "{", 1);
		json_ku64(b, &sf, "udp_queries", s->udp_queries);
		json_ku64(b, &sf, "udp_responses", s->udp_responses);
		json_ku64(b, &sf, "tcp_queries", s->tcp_queries);
		json_ku64(b, &sf, "tcp_responses", s->tcp_responses);
		ls_buf_append(b, "}", 1);
	} else {
		ls_buf_puts(b, "null");
	}
	ls_buf_puts(b, "}\n");
free_all:
	ls_buf_free(&why);
	free(z);
	free(dp);
	return b->oom ? -ENOMEM : 0;
}

/* ---- Prometheus text format ----------------------------------------------- */

/* Label values escape '\\', '"' and newline (exposition format 0.0.4). */
static void prom_label(struct ls_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			ls_buf_puts(b, "\\\\");
		else if (*s == '"')
			ls_buf_puts(b, "\\\"");
		else if (*s == '\n')
			ls_buf_puts(b, "\\n");
		else
			ls_buf_append(b, s, 1);
	}
}

static void prom_head(struct ls_buf *b, const char *name, const char *type, const char *help)
{
	ls_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{key="val"} value */
static void prom_val(struct ls_buf *b, const char *name, const char *key, const char *val,
		     uint64_t v)
{
	ls_buf_puts(b, name);
	if (key) {
		ls_buf_printf(b, "{%s=\"", key);
		prom_label(b, val);
		ls_buf_puts(b, "\"}");
	}
	ls_buf_printf(b, " %" PRIu64 "\n", v);
}

/* A family of one sample without labels. */
static void prom_one(struct ls_buf *b, const char *name, const char *type, const char *help,
		     uint64_t v)
{
	prom_head(b, name, type, help);
	prom_val(b, name, NULL, NULL, v);
}

/* A gauge of one sample in seconds, from nanoseconds. */
static void prom_seconds(struct ls_buf *b, const char *name, const char *help, uint64_t ns)
{
	prom_head(b, name, "gauge", help);
	ls_buf_printf(b, "%s %" PRIu64 ".%09" PRIu64 "\n", name, ns / 1000000000u,
		      ns % 1000000000u);
}

struct prom_sample {
	const char *label;
	uint64_t v;
};

static void prom_by(struct ls_buf *b, const char *name, const char *type, const char *help,
		    const char *key, const struct prom_sample *s, size_t n)
{
	prom_head(b, name, type, help);
	for (size_t i = 0; i < n; i++)
		prom_val(b, name, key, s[i].label, s[i].v);
}

/* A family of samples told apart by one label @key: PROM_BY(..., "kind", {"a", 1}, {"b", 2}) */
#define PROM_BY(b, name, type, help, key, ...)                                         \
	prom_by(b, name, type, help, key, (const struct prom_sample[]){ __VA_ARGS__ }, \
		sizeof((const struct prom_sample[]){ __VA_ARGS__ }) / sizeof(struct prom_sample))

/* One sample per zone; false: the zone has none. */
typedef bool (*zone_value_fn)(const struct ls_zinfo *z, uint64_t now, uint64_t *v);

static bool zv_serving(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	const char *why;

	*v = zone_serves(z, now, &why);
	return true;
}

static bool zv_live(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	*v = z->live_serial;
	return z->has_live;
}

static bool zv_next(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	*v = z->has_next ? z->next_serial : z->plan.serial;
	return z->has_next || z->plan.active;
}

static bool zv_plan_at(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	*v = z->plan.at_unix;
	return z->plan.active;
}

static bool zv_offers(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	*v = z->offers;
	return true;
}

static bool zv_vfail(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	*v = z->verify_failures;
	return true;
}

static bool zv_switches(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	*v = z->switches;
	return true;
}

static bool zv_withdrawals(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	*v = z->withdrawals;
	return true;
}

static bool zv_transfer(const struct ls_zinfo *z, uint64_t now, uint64_t *v)
{
	*v = z->last_transfer_unix;
	return z->last_transfer_unix != 0;
}

/* The per-zone families after lockstep_zone_state, in the order they are written. */
static const struct {
	const char *name, *type, *help;
	zone_value_fn get;
} zone_families[] = {
	{ "lockstep_zone_serving", "gauge", "1 when the zone is answered now", zv_serving },
	{ "lockstep_zone_live_serial", "gauge", "SOA serial of the version served now", zv_live },
	{ "lockstep_zone_next_serial", "gauge", "serial staged or planned for the next switch",
	  zv_next },
	{ "lockstep_zone_switch_time_seconds", "gauge",
	  "T of the zone's plan, UTC seconds since the epoch", zv_plan_at },
	{ "lockstep_zone_offers_total", "counter",
	  "versions offered to the zone (transfers, files, spool)", zv_offers },
	{ "lockstep_zone_verify_failures_total", "counter", "versions that failed verification",
	  zv_vfail },
	{ "lockstep_zone_switches_total", "counter", "switches to a new serial", zv_switches },
	{ "lockstep_zone_withdrawals_total", "counter", "times the zone fell silent",
	  zv_withdrawals },
	{ "lockstep_zone_last_transfer_timestamp_seconds", "gauge",
	  "when the zone last took in a version, UTC seconds", zv_transfer },
};

static void prom_zone_state(struct ls_buf *b, const struct ls_zinfo *z, const char *zn)
{
	static const enum ls_zstate states[] = { LS_ZSTATE_EMPTY, LS_ZSTATE_SERVING,
						 LS_ZSTATE_PLANNED, LS_ZSTATE_STAGED,
						 LS_ZSTATE_WITHDRAWN };

	for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
		ls_buf_puts(b, "lockstep_zone_state{zone=\"");
		prom_label(b, zn);
		ls_buf_printf(b, "\",state=\"%s\"} %d\n", ls_zstate_name(states[s]),
			      z->state == states[s]);
	}
}

/* Append @part to @b and free it; an incomplete @part makes @b incomplete. */
static void prom_append(struct ls_buf *b, struct ls_buf *part)
{
	if (part->oom)
		b->oom = true;
	else if (part->len)
		ls_buf_append(b, part->data, part->len);
	ls_buf_free(part);
}

/*
 * lockstep_healthy and every per-zone family from one pass over the zones:
 * a zone's info is not free (the daemon asks the data plane's maps for
 * it), and a family's samples must stand together, so each family collects
 * in a buffer of its own and the buffers are appended in order. "healthy"
 * is ls_health_ok()'s verdict: every served zone that has info answers.
 */
static void prom_zones(struct ls_buf *b, const struct ls_health_providers *p, struct ls_zinfo *z,
		       uint64_t now)
{
	enum { NFAM = sizeof(zone_families) / sizeof(zone_families[0]) };
	struct ls_buf state = { 0 }, fam[NFAM] = { { 0 } };
	char zn[LS_DNAME_STRLEN];
	size_t n = zone_count(p);
	bool healthy = true;

	for (size_t i = 0; i < n; i++) {
		const char *why;
		uint64_t v;

		if (zone_info(p, i, z))
			continue; /* removed between count and info */
		if (z->served && !zone_serves(z, now, &why))
			healthy = false; /* as ls_health_ok(): catalogs are not answered here */
		zone_name(z, zn, sizeof(zn));
		prom_zone_state(&state, z, zn);
		for (size_t f = 0; f < NFAM; f++) {
			if (zone_families[f].get(z, now, &v))
				prom_val(&fam[f], zone_families[f].name, "zone", zn, v);
		}
	}
	prom_one(b, "lockstep_healthy", "gauge", "1 when the node serves every zone (/health 200)",
		 healthy);
	prom_head(b, "lockstep_zone_state", "gauge",
		  "1 for the state the zone is in, 0 for the others");
	prom_append(b, &state);
	for (size_t f = 0; f < NFAM; f++) {
		prom_head(b, zone_families[f].name, zone_families[f].type, zone_families[f].help);
		prom_append(b, &fam[f]);
	}
}

static void prom_engine(struct ls_buf *b, const struct ls_engine_stats *e)
{
	PROM_BY(b, "lockstep_slowpath_responses_total", "counter",
		"responses of the userspace answer engine by kind (answered counts all)", "kind",
		{ "answered", e->answered }, { "refused", e->refused }, { "formerr", e->formerr },
		{ "notimp", e->notimp }, { "badvers", e->badvers }, { "nxdomain", e->nxdomain },
		{ "nodata", e->nodata }, { "referral", e->referral }, { "truncated", e->truncated },
		{ "badkey", e->badkey });
	PROM_BY(b, "lockstep_slowpath_dropped_total", "counter",
		"queries the answer engine left unanswered, by reason", "reason",
		{ "withdrawn", e->dropped_withdrawn }, { "malformed", e->dropped_malformed },
		{ "internal", e->internal });
}

/* The administrative interface: NOTIFY in, transfers out, TSIG, XoT. */
static void prom_admin(struct ls_buf *b, const struct ls_admin_stats *a)
{
	PROM_BY(b, "lockstep_admin_requests_total", "counter",
		"requests on the administrative interface, by transport", "transport",
		{ "udp", a->udp_requests }, { "tcp", a->tcp_requests });
	prom_one(b, "lockstep_admin_malformed_total", "counter",
		 "requests answered FORMERR or dropped for not parsing", a->malformed);
	prom_one(b, "lockstep_admin_tsig_refused_total", "counter",
		 "requests refused for TSIG (BADKEY, BADSIG, BADTIME, missing)", a->tsig_refused);
	PROM_BY(b, "lockstep_admin_notify_total", "counter", "NOTIFY messages received", "result",
		{ "accepted", a->notify_accepted }, { "refused", a->notify_refused });
	PROM_BY(b, "lockstep_admin_transfers_total", "counter",
		"zone transfers out (AXFR/IXFR), by result", "result",
		{ "started", a->xfr_started }, { "done", a->xfr_done },
		{ "refused", a->xfr_refused }, { "aborted", a->xfr_aborted });
	PROM_BY(b, "lockstep_admin_ixfr_total", "counter",
		"IXFR requests answered, by form (RFC 1995 §4)", "form",
		{ "incremental", a->ixfr_incremental }, { "axfr", a->ixfr_axfr },
		{ "soa", a->ixfr_uptodate });
	PROM_BY(b, "lockstep_admin_tls_handshakes_total", "counter",
		"XoT (RFC 9103) TLS handshakes on the administrative interface", "result",
		{ "ok", a->tls_handshakes }, { "failed", a->tls_failed });
	prom_one(b, "lockstep_admin_tls_no_dot_refused_total", "counter",
		 "transfers refused on TLS connections that did not negotiate ALPN \"dot\"",
		 a->tls_no_dot_refused);
	prom_one(b, "lockstep_admin_transfers_acl_refused_total", "counter",
		 "signed transfers refused by the zone's allow-transfer (of refused)",
		 a->xfr_acl_refused);
}

static void prom_clock(struct ls_buf *b, const struct ls_health_clock *clk)
{
	PROM_BY(b, "lockstep_clock_synchronised", "gauge",
		"1 when the time source reports the clock synchronised", "source",
		{ clk->source, clk->synchronised });
	prom_one(b, "lockstep_clock_trusted", "gauge",
		 "1 when the error bound is within the skew budget", clk->trusted);
	prom_seconds(b, "lockstep_clock_error_bound_seconds", "bound on the local clock's error",
		     clk->error_bound_ns);
	prom_seconds(b, "lockstep_clock_budget_seconds", "the configured skew budget",
		     clk->budget_ns);
}

static void prom_dataplane(struct ls_buf *b, const struct ls_health_dataplane *dp)
{
	prom_one(b, "lockstep_xdp_attached", "gauge",
		 "1 when the XDP program is attached to the service interface", dp->attached);
	prom_head(b, "lockstep_xdp_packets_total", "counter",
		  "packets seen by the XDP program, by outcome and reason");
	for (size_t i = 0; i < dp->outcome_count && i < LS_HEALTH_MAX_OUTCOMES; i++)
		prom_val(b, "lockstep_xdp_packets_total", "outcome", dp->outcomes[i].name,
			 dp->outcomes[i].packets);
	prom_one(b, "lockstep_xdp_map_grows_total", "counter",
		 "times the data plane's maps were grown for larger zones", dp->grows);
	prom_one(b, "lockstep_xdp_map_grow_failures_total", "counter",
		 "growths that failed (memlock, memory): entries then left out", dp->grow_failures);
	prom_one(b, "lockstep_xdp_left_out_entries_total", "counter",
		 "answer entries that did not fit the maps: the slow path answers them",
		 dp->left_out);
}

static void prom_server(struct ls_buf *b, const struct ls_server_stats *s)
{
	PROM_BY(b, "lockstep_slowpath_queries_total", "counter",
		"queries received by the userspace responder", "transport",
		{ "udp", s->udp_queries }, { "tcp", s->tcp_queries });
	PROM_BY(b, "lockstep_slowpath_sent_total", "counter",
		"responses sent by the userspace responder", "transport",
		{ "udp", s->udp_responses }, { "tcp", s->tcp_responses });
	prom_one(b, "lockstep_slowpath_tcp_connections_total", "counter",
		 "TCP connections accepted", s->tcp_accepted);
}

int ls_health_metrics(const struct ls_health_providers *p, struct ls_buf *b)
{
	struct ls_health_dataplane *dp = malloc(sizeof(*dp));
	struct ls_zinfo *z = malloc(sizeof(*z));
	struct ls_health_clock clk;
	struct ls_health_lease lease;
	const char *node = p->node_id ? p->node_id(p->ctx) : NULL;
	const struct ls_server_stats *server = p->server_stats ? p->server_stats(p->ctx) : NULL;
	const struct ls_engine_stats *engine = p->engine_stats ? p->engine_stats(p->ctx) : NULL;
	const struct ls_admin_stats *admin = p->admin_stats ? p->admin_stats(p->ctx) : NULL;
	uint64_t now = now_tai(p);

	if (!z || !dp) {
		b->oom = true;
		goto free_all;
	}
	PROM_BY(b, "lockstep_node_info", "gauge", "the node's id, as a label; always 1", "node",
		{ node ? node : "", 1 });
	prom_zones(b, p, z, now);
	memset(&clk, 0, sizeof(clk));
	if (p->clock && p->clock(p->ctx, &clk) == 0)
		prom_clock(b, &clk);
	memset(dp, 0, sizeof(*dp));
	if (p->dataplane && p->dataplane(p->ctx, dp) == 0)
		prom_dataplane(b, dp);
	if (p->lease && p->lease(p->ctx, &lease) == 0)
		prom_seconds(b, "lockstep_lease_remaining_seconds",
			     "time left on the agent's data plane lease (0: lapsed)",
			     lease.deadline_tai_ns > now ? lease.deadline_tai_ns - now : 0);
	if (server)
		prom_server(b, server);
	if (engine)
		prom_engine(b, engine);
	if (admin)
		prom_admin(b, admin);
	if (p->xfrin_stats && p->xfrin_stats(p->ctx))
		prom_one(b, "lockstep_xfrin_backoff_retries_total", "counter",
			 "refreshes cut, stalled or refused, tried again after a backoff "
			 "instead of SOA RETRY",
			 p->xfrin_stats(p->ctx)->backoff_retries);
free_all:
	free(z);
	free(dp);
	return b->oom ? -ENOMEM : 0;
}

int ls_health_respond(const struct ls_health_providers *p, const struct ls_http_request *req,
		      bool keep_alive, struct ls_buf *out)
{
	struct ls_buf body = { 0 };
	const char *type = "text/plain; charset=utf-8", *extra = NULL;
	bool head = req->method == LS_HTTP_HEAD;
	int status = 200;

	if (req->method == LS_HTTP_OTHER) {
		status = 405;
		extra = "Allow: GET, HEAD\r\n";
		ls_buf_puts(&body, "read-only endpoint: GET and HEAD only\n");
	} else if (strcmp(req->path, "/health") == 0) {
		status = ls_health_ok(p, &body) ? 200 : 503;
	} else if (strcmp(req->path, "/status") == 0) {
		type = "application/json";
		ls_health_status_json(p, &body);
	} else if (strcmp(req->path, "/metrics") == 0) {
		type = "text/plain; version=0.0.4; charset=utf-8";
		ls_health_metrics(p, &body);
	} else {
		status = 404;
		ls_buf_puts(&body, "not found: try /health, /status or /metrics\n");
	}
	if (body.oom) {
		status = 500;
		type = "text/plain; charset=utf-8";
		ls_buf_free(&body);
		ls_buf_puts(&body, "out of memory\n");
	}
	ls_http_write_response(out, status, type, extra, body.data ? body.data : "", body.len, head,
			       keep_alive);
	ls_buf_free(&body);
	return status;
}

/* ---- the listener ---------------------------------------------------------- */

static void conn_close(struct conn *c)
{
	struct ls_health *h = c->h;

	ev_io_stop(h->loop, &c->io);
	ev_timer_stop(h->loop, &c->timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nconns--;
	ls_buf_free(&c->out);
	free(c);
}

static void conn_watch(struct conn *c, int events)
{
	if ((c->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(c->h->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->h->loop, &c->io);
}

static void conn_touch(struct conn *c)
{
	ev_timer_again(c->h->loop, &c->timer);
}

/* Answer the requests in the input, one at a time; returns -1 if @c was closed. */
static int conn_process(struct conn *c)
{
	struct ls_health *h = c->h;

again:
	while (c->out.len == 0 && !c->closing) {
		struct ls_http_request req;
		int n = ls_http_parse_request(c->in, c->inlen, &req);

		if (n == 0)
			break;
		if (n < 0) {
			int status = ls_http_error_status(n);
			const char *msg = ls_http_reason(status);

			h->stats.bad_requests++;
			ls_http_write_response(&c->out, status, "text/plain; charset=utf-8", NULL,
					       msg, strlen(msg), false, false);
			c->closing = true;
			break;
		}
		/* a body is never read: answer, then close rather than parse it */
		if (req.has_body)
			c->closing = true;
		if (!req.keep_alive)
			c->closing = true;
		ls_health_respond(&h->p, &req, !c->closing, &c->out);
		h->stats.requests++;
		memmove(c->in, c->in + n, c->inlen - (size_t)n);
		c->inlen -= (size_t)n;
		conn_touch(c);
	}
	while (c->out.len) {
		ssize_t w = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				conn_watch(c, EV_WRITE);
				return 0;
			}
			conn_close(c);
			return -1;
		}
		ls_buf_consume(&c->out, (size_t)w);
		conn_touch(c);
	}
	if (c->closing) {
		conn_close(c);
		return -1;
	}
	/* the output is out: a pipelined request may be waiting in the input */
	if (c->inlen && ls_http_parse_request(c->in, c->inlen, &(struct ls_http_request){ 0 }))
		goto again;
	conn_watch(c, EV_READ);
	return 0;
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	if (revents & EV_READ) {
		ssize_t r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);

		if (r == 0 ||
		    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (r > 0)
			c->inlen += (size_t)r;
	}
	conn_process(c);
}

static void on_conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	c->h->stats.timeouts++;
	conn_close(c);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				   "Content-Type: text/plain; charset=utf-8\r\n"
				   "Content-Length: 21\r\nConnection: close\r\n\r\n"
				   "too many connections\n";
	struct ls_health *h = w->data;

	/* a bounded number per wake-up, so a flood cannot starve the loop */
	for (int i = 0; i < 16; i++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;
		if (h->nconns >= h->max_conns) {
			h->stats.refused++;
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->h = h;
		c->fd = fd;
		ev_io_init(&c->io, on_conn_io, fd, EV_READ);
		c->io.data = c;
		ev_init(&c->timer, on_conn_timeout);
		c->timer.repeat = h->timeout;
		c->timer.data = c;
		ev_io_start(loop, &c->io);
		ev_timer_again(loop, &c->timer);
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		h->conns = c;
		h->nconns++;
		h->stats.accepted++;
	}
}

int ls_health_new(struct ev_loop *loop, const struct ls_config_addr *addr,
		  const struct ls_health_providers *p, const struct ls_health_opts *opts,
		  struct ls_health **out)
{
	struct ls_health *h;
	int one = 1, err;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	h->p = *p;
	h->timeout = opts && opts->read_timeout > 0 ? opts->read_timeout : LS_HEALTH_READ_TIMEOUT;
	h->max_conns = opts && opts->max_conns ? opts->max_conns : LS_HEALTH_MAX_CONNS;
	h->fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		err = -errno;
		goto free_health;
	}
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->ss.ss_family == AF_INET6)
		setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(h->fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 ||
	    listen(h->fd, 64) < 0) {
		err = -errno;
		goto close_fd;
	}
	ev_io_init(&h->accept_io, on_accept, h->fd, EV_READ);
	h->accept_io.data = h;
	ev_io_start(loop, &h->accept_io);
	*out = h;
	return 0;

close_fd:
	close(h->fd);
free_health:
	free(h);
	return err;
}

void ls_health_free(struct ls_health *h)
{
	if (!h)
		return;
	while (h->conns)
		conn_close(h->conns);
	ev_io_stop(h->loop, &h->accept_io);
	close(h->fd);
	free(h);
}

int ls_health_sockname(const struct ls_health *h, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof(*ss);
	return getsockname(h->fd, (struct sockaddr *)ss, len) < 0 ? -errno : 0;
}

const struct ls_health_stats *ls_health_stats(const struct ls_health *h)
{
	return &h->stats;
}
