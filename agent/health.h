/* SPDX-License-Identifier: MIT */
/*
 * health.h — the health endpoint: HTTP/1.1 on admin.http, read-only.
 *
 * Owns: the listening socket and its connections (bounded: request size
 * LS_HTTP_MAX_REQUEST, LS_HTTP_MAX_HEADERS fields, a read timeout, a
 * connection limit; keep-alive with pipelined requests answered one at a
 * time, in order), and what the three resources say:
 *   /health  — 200 when the node serves every zone it knows, 503 with one
 *              line per zone that is silent and why (for health checkers);
 *   /status  — JSON: node, zones (zinfo), clock, data plane, lease, slow path;
 *   /metrics — Prometheus text exposition format 0.0.4.
 * GET and HEAD only; other methods 405, other paths 404.
 *
 * Must not: know how the numbers are made. Everything it reports comes from
 * providers, function pointers the daemon fills (zone manager, clock guard,
 * data plane, server, engine); a provider left NULL is reported as unknown
 * (JSON null, no metric). So the module is testable with fixed data and
 * does not change when a provider's module does. It never blocks: one
 * non-blocking socket per connection in the caller's libev loop.
 */
#ifndef LOCKSTEP_AGENT_HEALTH_H
#define LOCKSTEP_AGENT_HEALTH_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "agent/admin.h"
#include "agent/engine.h"
#include "agent/server.h"
#include "agent/xfrin.h"
#include "agent/zonemgr.h"
#include "common/config.h"
#include "common/http.h"

#define LS_HEALTH_READ_TIMEOUT 5.0 /* seconds for a whole request, default */
#define LS_HEALTH_MAX_CONNS 16 /* default */
#define LS_HEALTH_MAX_OUTCOMES 32

/* The clock guard's view (agent/clockguard.h fills it). */
struct ls_health_clock {
	char source[32]; /* "chrony", "ntp", "adjtimex", "none" */
	bool synchronised; /* the source says so */
	bool trusted; /* error bound within budget: switches may happen */
	uint64_t error_bound_ns;
	uint64_t budget_ns;
};

/* The data plane (agent/dataplane.h fills it). */
struct ls_health_dataplane {
	bool attached;
	char interface[32];
	char mode[16]; /* "native", "generic", "off" */
	size_t outcome_count;
	struct {
		char name[32]; /* "answered", "pass_tcp", "drop_withdrawn", ... */
		uint64_t packets;
	} outcomes[LS_HEALTH_MAX_OUTCOMES];
	/* map growth (agent/dataplane.h, struct ls_dataplane_growth) */
	uint64_t grows, grow_failures, left_out;
};

/* The agent's lease on the data plane. */
struct ls_health_lease {
	uint64_t deadline_tai_ns; /* 0: never leased */
};

/*
 * What the endpoint reports, from whom. Every pointer may be NULL; the
 * functions return 0 or a negative errno (-ENOENT: nothing to report now).
 */
struct ls_health_providers {
	void *ctx;
	const char *(*node_id)(void *ctx);
	size_t (*zone_count)(void *ctx);
	int (*zone_info)(void *ctx, size_t i, struct ls_zinfo *out);
	int (*clock)(void *ctx, struct ls_health_clock *out);
	int (*dataplane)(void *ctx, struct ls_health_dataplane *out);
	int (*lease)(void *ctx, struct ls_health_lease *out);
	const struct ls_server_stats *(*server_stats)(void *ctx);
	const struct ls_engine_stats *(*engine_stats)(void *ctx);
	const struct ls_admin_stats *(*admin_stats)(void *ctx); /* administrative interface */
	const struct ls_xfrin_stats *(*xfrin_stats)(void *ctx); /* transfers in; may be NULL */
	uint64_t (*now_tai)(void *ctx); /* NULL: CLOCK_TAI */
};

struct ls_health_opts {
	double read_timeout; /* seconds; 0: LS_HEALTH_READ_TIMEOUT */
	unsigned max_conns; /* 0: LS_HEALTH_MAX_CONNS */
};

struct ls_health_stats {
	uint64_t requests; /* answered, any status */
	uint64_t bad_requests; /* parse errors (4xx/5xx then close) */
	uint64_t accepted, refused, timeouts;
};

struct ls_health;

/**
 * Listen on @addr (port 0: an ephemeral one, see ls_health_sockname()) and
 * serve in @loop. @p and @opts are copied. Returns 0 or a negative errno.
 */
int ls_health_new(struct ev_loop *loop, const struct ls_config_addr *addr,
		  const struct ls_health_providers *p, const struct ls_health_opts *opts,
		  struct ls_health **out);

/** Close the socket and every connection; free. NULL is fine. */
void ls_health_free(struct ls_health *h);

int ls_health_sockname(const struct ls_health *h, struct sockaddr_storage *ss, socklen_t *len);
const struct ls_health_stats *ls_health_stats(const struct ls_health *h);

/**
 * Whether the node serves every zone now (the /health verdict). Appends to
 * @why one line per zone that does not ("example.com.: withdrawn
 * (missed-plan)"), or "ok: N zone(s) served" when all do.
 */
bool ls_health_ok(const struct ls_health_providers *p, struct ls_buf *why);

/** Append the /status document (JSON). Returns 0 or -ENOMEM. */
int ls_health_status_json(const struct ls_health_providers *p, struct ls_buf *out);

/** Append the /metrics document. Returns 0 or -ENOMEM. */
int ls_health_metrics(const struct ls_health_providers *p, struct ls_buf *out);

/**
 * Append the whole response to @req (status line, headers, body); returns
 * the status code. @keep_alive: whether the connection stays open after it.
 */
int ls_health_respond(const struct ls_health_providers *p, const struct ls_http_request *req,
		      bool keep_alive, struct ls_buf *out);

#endif
