/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/health: /health, /status (parsed back with json-c)
 * and /metrics from fixed provider data, the response to each method and
 * path, and the listener on loopback (pipelined requests, a hostile request,
 * the read timeout, the connection limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/health.h"
#include "common/dname.h"
#include "ebpf/lockstep.h"

#define NOW 1000000000000ULL

struct fixture {
	struct ls_zinfo zones[3];
	size_t nzones;
	struct ls_server_stats server;
	struct ls_engine_stats engine;
	struct ls_admin_stats admin;
	bool with_clock, with_dp;
};

static struct fixture fx;

static const char *p_node(void *ctx)
{
	return "node-\"1\"";
}

static size_t p_count(void *ctx)
{
	return fx.nzones;
}

static int p_info(void *ctx, size_t i, struct ls_zinfo *out)
{
	if (i >= fx.nzones)
		return -ENOENT;
	*out = fx.zones[i];
	return 0;
}

static int p_clock(void *ctx, struct ls_health_clock *c)
{
	if (!fx.with_clock)
		return -ENOENT;
	snprintf(c->source, sizeof(c->source), "chrony");
	c->synchronised = true;
	c->trusted = true;
	c->error_bound_ns = 1500000;
	c->budget_ns = 50000000;
	return 0;
}

static int p_dp(void *ctx, struct ls_health_dataplane *dp)
{
	if (!fx.with_dp)
		return -ENOENT;
	dp->attached = true;
	snprintf(dp->interface, sizeof(dp->interface), "eth0");
	snprintf(dp->mode, sizeof(dp->mode), "native");
	dp->outcome_count = 2;
	snprintf(dp->outcomes[0].name, sizeof(dp->outcomes[0].name), "answered");
	dp->outcomes[0].packets = 42;
	snprintf(dp->outcomes[1].name, sizeof(dp->outcomes[1].name), "drop_withdrawn");
	dp->outcomes[1].packets = 7;
	dp->grows = 2;
	dp->left_out = 5;
	return 0;
}

static int p_lease(void *ctx, struct ls_health_lease *l)
{
	l->deadline_tai_ns = NOW + 3000000000ULL;
	return 0;
}

static const struct ls_server_stats *p_server(void *ctx)
{
	return &fx.server;
}

static const struct ls_engine_stats *p_engine(void *ctx)
{
	return &fx.engine;
}

static const struct ls_admin_stats *p_admin(void *ctx)
{
	return &fx.admin;
}

static uint64_t p_now(void *ctx)
{
	return NOW;
}

static const struct ls_health_providers providers = {
	.node_id = p_node,
	.zone_count = p_count,
	.zone_info = p_info,
	.clock = p_clock,
	.dataplane = p_dp,
	.lease = p_lease,
	.server_stats = p_server,
	.engine_stats = p_engine,
	.admin_stats = p_admin,
	.now_tai = p_now,
};

static void zone(struct ls_zinfo *z, const char *name, enum ls_zstate st, uint32_t live)
{
	memset(z, 0, sizeof(*z));
	assert_true(ls_dname_from_str(z->origin, name, NULL) > 0);
	z->state = st;
	z->has_live = live != 0;
	z->live_serial = live;
	z->withdraw_at_tai_ns = LS_TIME_NEVER;
	/* the zone table's control entry, as ls_zonemgr_info() reports it */
	z->served = z->has_ctl = true;
	z->ctl = (struct ls_zone_ctl){ .switch_at = LS_TIME_NEVER,
				       .withdraw_at = LS_TIME_NEVER,
				       .flags = live ? LS_CTL_HAS_LIVE : 0 };
	snprintf(z->last_verdict, sizeof(z->last_verdict), "ok");
	snprintf(z->last_source, sizeof(z->last_source), "axfr 198.51.100.10@53");
	z->last_transfer_unix = 1760000000;
	z->offers = 3;
	z->verify_failures = 1;
}

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	zone(&fx.zones[0], "example.com.", LS_ZSTATE_SERVING, 2026010101);
	zone(&fx.zones[1], "example.net.", LS_ZSTATE_STAGED, 7);
	fx.zones[1].has_next = true;
	fx.zones[1].next_serial = 8;
	fx.zones[1].next_ready = true;
	fx.zones[1].plan = (struct ls_zplan){ .active = true,
					      .serial = 8,
					      .at_tai_ns = NOW + 60000000000ULL,
					      .at_unix = 1760000060 };
	fx.zones[1].ctl.switch_at = fx.zones[1].plan.at_tai_ns;
	fx.zones[1].ctl.flags |= LS_CTL_NEXT_READY;
	/* a hostile verdict: quotes, backslash, control characters, bad UTF-8 */
	snprintf(fx.zones[1].last_verdict, sizeof(fx.zones[1].last_verdict),
		 "bad \"rr\" \\ \n\t\x01\xff end");
	fx.nzones = 2;
	fx.server.udp_queries = 10;
	fx.server.tcp_queries = 2;
	fx.engine.answered = 12;
	fx.engine.nxdomain = 4;
	fx.with_clock = fx.with_dp = true;
	return 0;
}

static void test_health_ok(void **state)
{
	struct ls_buf why = { 0 };

	assert_true(ls_health_ok(&providers, &why));
	assert_string_equal(why.data, "ok: 2 zone(s) served\n");
	ls_buf_free(&why);
}

static void test_health_unavailable(void **state)
{
	struct ls_buf why = { 0 };

	zone(&fx.zones[2], "missing.example.", LS_ZSTATE_EMPTY, 0);
	fx.zones[0].state = LS_ZSTATE_WITHDRAWN;
	fx.zones[0].reason = LS_ZREASON_CLOCK;
	fx.nzones = 3;
	assert_false(ls_health_ok(&providers, &why));
	assert_non_null(strstr(why.data, "example.com.: withdrawn (clock)\n"));
	assert_non_null(strstr(why.data, "missing.example.: empty (no verified version yet)\n"));
	assert_null(strstr(why.data, "example.net."));
	ls_buf_free(&why);
}

/* A catalog zone (not served on the service address): left out of /health. */
static void test_health_catalog_left_out(void **state)
{
	struct ls_buf why = { 0 }, b = { 0 };

	zone(&fx.zones[2], "catalog.invalid.", LS_ZSTATE_SERVING, 5);
	fx.zones[2].served = false;
	fx.nzones = 3;
	assert_true(ls_health_ok(&providers, &why));
	assert_string_equal(why.data, "ok: 2 zone(s) served\n");
	assert_int_equal(ls_health_status_json(&providers, &b), 0);
	assert_non_null(strstr(b.data, "\"zone\":\"catalog.invalid.\",\"state\":\"serving\","
				       "\"reason\":null,\"served\":false,\"serving\":false"));
	ls_buf_free(&why);
	ls_buf_free(&b);
}

/* The time rule's verdict, not the state's: a zone in no table does not answer. */
static void test_health_no_ctl(void **state)
{
	struct ls_buf why = { 0 };

	fx.zones[0].has_ctl = false;
	assert_false(ls_health_ok(&providers, &why));
	assert_non_null(strstr(why.data, "example.com.: serving (not in the zone table)"));
	ls_buf_free(&why);
}

static void test_health_time_rule(void **state)
{
	struct ls_buf why = { 0 };

	/* T passed without a ready next: silent even if the state lags */
	fx.zones[1].next_ready = false;
	fx.zones[1].plan.at_tai_ns = NOW - 1;
	fx.zones[1].ctl.switch_at = NOW - 1;
	fx.zones[1].ctl.flags &= ~LS_CTL_NEXT_READY;
	assert_false(ls_health_ok(&providers, &why));
	assert_non_null(strstr(why.data, "example.net.: staged (switch time passed"));
	ls_buf_reset(&why);
	fx.zones[1].next_ready = true;
	fx.zones[1].ctl.flags |= LS_CTL_NEXT_READY;
	fx.zones[0].withdraw_at_tai_ns = NOW;
	fx.zones[0].ctl.withdraw_at = NOW;
	assert_false(ls_health_ok(&providers, &why));
	assert_non_null(strstr(why.data, "example.com.: serving (withdrawn)"));
	ls_buf_free(&why);
}

static void test_status_json(void **state)
{
	struct ls_buf b = { 0 };
	struct json_object *root, *zones, *z, *v, *clock, *dp;
	enum json_tokener_error jerr;

	assert_int_equal(ls_health_status_json(&providers, &b), 0);
	root = json_tokener_parse_verbose(b.data, &jerr);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "node", &v));
	assert_string_equal(json_object_get_string(v), "node-\"1\"");
	assert_true(json_object_object_get_ex(root, "healthy", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(root, "zones", &zones));
	assert_int_equal(json_object_array_length(zones), 2);
	z = json_object_array_get_idx(zones, 0);
	assert_true(json_object_object_get_ex(z, "zone", &v));
	assert_string_equal(json_object_get_string(v), "example.com.");
	assert_true(json_object_object_get_ex(z, "state", &v));
	assert_string_equal(json_object_get_string(v), "serving");
	assert_true(json_object_object_get_ex(z, "live_serial", &v));
	assert_int_equal(json_object_get_int64(v), 2026010101);
	assert_true(json_object_object_get_ex(z, "plan", &v));
	assert_true(json_object_is_type(v, json_type_null));
	assert_true(json_object_object_get_ex(z, "last_source", &v));
	assert_string_equal(json_object_get_string(v), "axfr 198.51.100.10@53");
	z = json_object_array_get_idx(zones, 1);
	assert_true(json_object_object_get_ex(z, "next_serial", &v));
	assert_int_equal(json_object_get_int64(v), 8);
	assert_true(json_object_object_get_ex(z, "plan", &v));
	assert_true(json_object_object_get_ex(v, "at", &v));
	assert_int_equal(json_object_get_int64(v), 1760000060);
	assert_true(json_object_object_get_ex(z, "last_verdict", &v));
	assert_string_equal(json_object_get_string(v), "bad \"rr\" \\ \n\t\x01\xef\xbf\xbd end");
	assert_true(json_object_object_get_ex(root, "clock", &clock));
	assert_true(json_object_object_get_ex(clock, "error_bound_ns", &v));
	assert_int_equal(json_object_get_int64(v), 1500000);
	assert_true(json_object_object_get_ex(clock, "source", &v));
	assert_string_equal(json_object_get_string(v), "chrony");
	assert_true(json_object_object_get_ex(root, "dataplane", &dp));
	assert_true(json_object_object_get_ex(dp, "outcomes", &v));
	assert_true(json_object_object_get_ex(v, "drop_withdrawn", &v));
	assert_int_equal(json_object_get_int64(v), 7);
	assert_true(json_object_object_get_ex(root, "lease", &v));
	assert_true(json_object_object_get_ex(v, "fresh", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(root);
	ls_buf_free(&b);
}

/* /status "switch": T, the first answer from next per path, the earlier one's offset */
static int64_t switch_field(const char *key, const char **path)
{
	struct ls_buf b = { 0 };
	struct json_object *root, *z, *sw, *v;
	enum json_tokener_error jerr;
	int64_t out = INT64_MIN;

	assert_int_equal(ls_health_status_json(&providers, &b), 0);
	root = json_tokener_parse_verbose(b.data, &jerr);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "zones", &v));
	z = json_object_array_get_idx(v, 1);
	assert_true(json_object_object_get_ex(z, "switch", &sw));
	if (json_object_is_type(sw, json_type_null)) {
		*path = "none";
		goto put;
	}
	assert_true(json_object_object_get_ex(sw, "path", &v));
	*path = json_object_is_type(v, json_type_null)	  ? "null" :
		!strcmp(json_object_get_string(v), "xdp") ? "xdp" :
							    "slow";
	assert_true(json_object_object_get_ex(sw, key, &v));
	if (!json_object_is_type(v, json_type_null))
		out = json_object_get_int64(v);
put:
	json_object_put(root);
	ls_buf_free(&b);
	return out;
}

static void test_status_json_switch(void **state)
{
	struct ls_zinfo *z = &fx.zones[1];
	const char *path;

	/* no switch yet (zeroed, or LS_TIME_NEVER): null */
	switch_field("offset_ns", &path);
	assert_string_equal(path, "none");
	z->switch_at_tai_ns = LS_TIME_NEVER;
	switch_field("offset_ns", &path);
	assert_string_equal(path, "none");
	/* planned, nothing answered from next yet */
	z->switch_at_tai_ns = 5000000000ULL;
	assert_int_equal(switch_field("at_tai_ns", &path), 5000000000LL);
	assert_string_equal(path, "null");
	assert_int_equal(switch_field("offset_ns", &path), INT64_MIN);
	assert_int_equal(switch_field("first_next_xdp_ns", &path), INT64_MIN);
	/* only the slow path answered */
	z->first_next_slow_ns = 5000000700ULL;
	assert_int_equal(switch_field("offset_ns", &path), 700);
	assert_string_equal(path, "slow");
	/* both: the earlier one counts */
	z->first_next_xdp_ns = 5000000042ULL;
	assert_int_equal(switch_field("offset_ns", &path), 42);
	assert_string_equal(path, "xdp");
	assert_int_equal(switch_field("first_next_slow_ns", &path), 5000000700LL);
	z->first_next_slow_ns = 5000000010ULL;
	assert_int_equal(switch_field("offset_ns", &path), 10);
	assert_string_equal(path, "slow");
	/* an answer before T is shown as a negative offset, not hidden */
	z->first_next_slow_ns = 0;
	z->first_next_xdp_ns = 4999999000ULL;
	assert_int_equal(switch_field("offset_ns", &path), -1000);
	assert_string_equal(path, "xdp");
}

static void test_status_json_unknown_providers(void **state)
{
	const struct ls_health_providers none = { 0 };
	struct ls_buf b = { 0 };
	struct json_object *root, *v;

	assert_int_equal(ls_health_status_json(&none, &b), 0);
	root = json_tokener_parse(b.data);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "clock", &v));
	assert_true(json_object_is_type(v, json_type_null));
	assert_true(json_object_object_get_ex(root, "dataplane", &v));
	assert_true(json_object_is_type(v, json_type_null));
	assert_true(json_object_object_get_ex(root, "zones", &v));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(root);
	ls_buf_free(&b);
}

/* Every sample line's metric has HELP and TYPE lines before it. */
static void check_exposition(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char typed[64][96];
	size_t ntyped = 0;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[96];
		bool found = false;

		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%95s", typed[ntyped]), 1);
			ntyped++;
			assert_true(ntyped < 64);
			continue;
		}
		assert_int_equal(sscanf(line, "%95[a-z_]", name), 1);
		for (size_t i = 0; i < ntyped && !found; i++)
			found = strcmp(typed[i], name) == 0;
		if (!found)
			fail_msg("sample without TYPE: %s", line);
		/* a family's samples stand together, right under its TYPE */
		if (strcmp(typed[ntyped - 1], name) != 0)
			fail_msg("sample away from its family: %s", line);
	}
	free(copy);
}

static void test_metrics(void **state)
{
	struct ls_buf b = { 0 };

	fx.admin.xfr_done = 3;
	fx.admin.tls_failed = 1;
	fx.admin.notify_refused = 9;
	assert_int_equal(ls_health_metrics(&providers, &b), 0);
	check_exposition(b.data);
	assert_non_null(strstr(b.data, "# TYPE lockstep_zone_live_serial gauge\n"));
	assert_non_null(strstr(b.data, "lockstep_admin_transfers_total{result=\"done\"} 3\n"));
	assert_non_null(
		strstr(b.data, "lockstep_admin_tls_handshakes_total{result=\"failed\"} 1\n"));
	assert_non_null(strstr(b.data, "lockstep_admin_notify_total{result=\"refused\"} 9\n"));
	assert_non_null(strstr(b.data, "lockstep_xdp_map_grows_total 2\n"));
	assert_non_null(strstr(b.data, "lockstep_xdp_left_out_entries_total 5\n"));
	assert_non_null(
		strstr(b.data, "lockstep_zone_live_serial{zone=\"example.com.\"} 2026010101\n"));
	assert_non_null(
		strstr(b.data, "lockstep_zone_state{zone=\"example.net.\",state=\"staged\"} 1\n"));
	assert_non_null(
		strstr(b.data, "lockstep_zone_state{zone=\"example.net.\",state=\"serving\"} 0\n"));
	assert_non_null(
		strstr(b.data, "lockstep_zone_verify_failures_total{zone=\"example.com.\"} 1\n"));
	assert_non_null(strstr(b.data, "lockstep_clock_error_bound_seconds 0.001500000\n"));
	assert_non_null(
		strstr(b.data, "lockstep_xdp_packets_total{outcome=\"drop_withdrawn\"} 7\n"));
	assert_non_null(strstr(b.data, "lockstep_slowpath_queries_total{transport=\"udp\"} 10\n"));
	assert_non_null(strstr(b.data, "lockstep_slowpath_responses_total{kind=\"nxdomain\"} 4\n"));
	assert_non_null(strstr(b.data, "lockstep_lease_remaining_seconds 3.000000000\n"));
	assert_non_null(strstr(b.data, "lockstep_node_info{node=\"node-\\\"1\\\"\"} 1\n"));
	assert_non_null(strstr(b.data, "lockstep_healthy 1\n"));
	ls_buf_free(&b);
}

/* lockstep_healthy and lockstep_zone_serving agree with ls_health_ok() (/health). */
static void test_metrics_unhealthy(void **state)
{
	struct ls_buf b = { 0 }, why = { 0 };

	fx.zones[1].next_ready = false;
	fx.zones[1].plan.at_tai_ns = NOW - 1;
	fx.zones[1].ctl.switch_at = NOW - 1;
	fx.zones[1].ctl.flags &= ~LS_CTL_NEXT_READY;
	assert_false(ls_health_ok(&providers, &why));
	assert_int_equal(ls_health_metrics(&providers, &b), 0);
	check_exposition(b.data);
	assert_non_null(strstr(b.data, "lockstep_healthy 0\n"));
	assert_non_null(strstr(b.data, "lockstep_zone_serving{zone=\"example.com.\"} 1\n"));
	assert_non_null(strstr(b.data, "lockstep_zone_serving{zone=\"example.net.\"} 0\n"));
	/* every family's samples stand under its own HELP/TYPE, zone after zone */
	assert_true(strstr(b.data, "lockstep_zone_offers_total{zone=\"example.net.\"} 3\n") <
		    strstr(b.data, "# HELP lockstep_zone_verify_failures_total "));
	ls_buf_free(&why);
	ls_buf_free(&b);
}

static void test_metrics_without_clock_and_dataplane(void **state)
{
	struct ls_buf b = { 0 };

	fx.with_clock = fx.with_dp = false;
	assert_int_equal(ls_health_metrics(&providers, &b), 0);
	check_exposition(b.data);
	assert_null(strstr(b.data, "lockstep_clock_"));
	assert_null(strstr(b.data, "lockstep_xdp_"));
	ls_buf_free(&b);
}

static int respond(const char *method, const char *path, struct ls_buf *out)
{
	struct ls_http_request req = { 0 };

	snprintf(req.method_str, sizeof(req.method_str), "%s", method);
	req.method = strcmp(method, "GET") == 0	 ? LS_HTTP_GET :
		     strcmp(method, "HEAD") == 0 ? LS_HTTP_HEAD :
						   LS_HTTP_OTHER;
	snprintf(req.path, sizeof(req.path), "%s", path);
	return ls_health_respond(&providers, &req, true, out);
}

static void test_respond(void **state)
{
	struct ls_buf b = { 0 };

	assert_int_equal(respond("GET", "/health", &b), 200);
	assert_non_null(strstr(b.data, "\r\n\r\nok: 2 zone(s) served\n"));
	ls_buf_reset(&b);
	assert_int_equal(respond("HEAD", "/status", &b), 200);
	assert_non_null(strstr(b.data, "Content-Type: application/json\r\n"));
	assert_int_equal(memcmp(b.data + b.len - 4, "\r\n\r\n", 4), 0);
	ls_buf_reset(&b);
	assert_int_equal(respond("POST", "/health", &b), 405);
	assert_non_null(strstr(b.data, "Allow: GET, HEAD\r\n"));
	ls_buf_reset(&b);
	assert_int_equal(respond("GET", "/nope", &b), 404);
	ls_buf_reset(&b);
	fx.zones[0].state = LS_ZSTATE_EMPTY;
	assert_int_equal(respond("GET", "/health", &b), 503);
	assert_non_null(strstr(b.data, "example.com.: empty"));
	ls_buf_free(&b);
}

/* ---- the listener on loopback --------------------------------------------- */

struct net {
	struct ev_loop *loop;
	struct ls_health *h;
	int fd;
	char got[65536];
	size_t gotlen;
	bool eof;
	ev_io io;
	ev_timer guard;
};

static void on_client(struct ev_loop *loop, ev_io *w, int revents)
{
	struct net *n = w->data;
	ssize_t r = recv(n->fd, n->got + n->gotlen, sizeof(n->got) - 1 - n->gotlen, 0);

	if (r <= 0) {
		n->eof = true;
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	n->gotlen += (size_t)r;
	n->got[n->gotlen] = '\0';
}

static void on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static int net_connect(struct net *n)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(ls_health_sockname(n->h, &ss, &len), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

/* Run the loop until the server closes the client's connection (bounded). */
static void net_run_until_eof(struct net *n, double bound)
{
	ev_io_init(&n->io, on_client, n->fd, EV_READ);
	n->io.data = n;
	ev_io_start(n->loop, &n->io);
	ev_timer_init(&n->guard, on_guard, bound, 0);
	ev_timer_start(n->loop, &n->guard);
	ev_run(n->loop, 0);
	ev_io_stop(n->loop, &n->io);
	ev_timer_stop(n->loop, &n->guard);
}

static void net_start(struct net *n, const struct ls_health_opts *opts)
{
	struct ls_config_addr addr;

	memset(n, 0, sizeof(*n));
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr.ss;

	memset(&addr, 0, sizeof(addr));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.len = sizeof(*sin); /* port 0: an ephemeral one */
	n->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(n->loop);
	assert_int_equal(ls_health_new(n->loop, &addr, &providers, opts, &n->h), 0);
}

static void net_stop(struct net *n)
{
	ls_health_free(n->h);
	ev_loop_destroy(n->loop);
}

static size_t count(const char *hay, const char *needle)
{
	size_t k = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		k++;
	return k;
}

static void test_listener_pipelined(void **state)
{
	const char req[] = "GET /health HTTP/1.1\r\nHost: t\r\n\r\n"
			   "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"
			   "GET /status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	struct net n;

	net_start(&n, NULL);
	n.fd = net_connect(&n);
	assert_int_equal(send(n.fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	net_run_until_eof(&n, 10);
	assert_true(n.eof);
	assert_int_equal(count(n.got, "HTTP/1.1 200 OK\r\n"), 3);
	assert_true(strstr(n.got, "ok: 2 zone") < strstr(n.got, "# HELP"));
	assert_true(strstr(n.got, "# HELP") < strstr(n.got, "\"node\""));
	assert_int_equal(ls_health_stats(n.h)->requests, 3);
	close(n.fd);
	net_stop(&n);
}

static void test_listener_hostile(void **state)
{
	const char req[] = "GET / HTTP/1.1\nHost: t\n\n\r\n\r\n";
	struct net n;

	net_start(&n, NULL);
	n.fd = net_connect(&n);
	assert_int_equal(send(n.fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	net_run_until_eof(&n, 10);
	assert_true(n.eof);
	assert_non_null(strstr(n.got, "HTTP/1.1 400 Bad Request\r\n"));
	assert_non_null(strstr(n.got, "Connection: close\r\n"));
	assert_int_equal(ls_health_stats(n.h)->bad_requests, 1);
	close(n.fd);
	net_stop(&n);
}

static void test_listener_timeout(void **state)
{
	const struct ls_health_opts opts = { .read_timeout = 0.2 };
	struct net n;

	net_start(&n, &opts);
	n.fd = net_connect(&n);
	/* half a request, never finished: the server closes the connection */
	assert_int_equal(send(n.fd, "GET /health HT", 14, 0), 14);
	net_run_until_eof(&n, 10);
	assert_true(n.eof);
	assert_int_equal(n.gotlen, 0);
	assert_int_equal(ls_health_stats(n.h)->timeouts, 1);
	close(n.fd);
	net_stop(&n);
}

static void test_listener_limit(void **state)
{
	const struct ls_health_opts opts = { .max_conns = 1 };
	struct net n;
	int first;

	net_start(&n, &opts);
	first = net_connect(&n);
	/* let the server accept the first one */
	ev_run(n.loop, EVRUN_NOWAIT);
	n.fd = net_connect(&n);
	net_run_until_eof(&n, 10);
	assert_true(n.eof);
	assert_non_null(strstr(n.got, "HTTP/1.1 503 Service Unavailable\r\n"));
	assert_int_equal(ls_health_stats(n.h)->refused, 1);
	close(n.fd);
	close(first);
	net_stop(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_health_ok, setup),
		cmocka_unit_test_setup(test_health_unavailable, setup),
		cmocka_unit_test_setup(test_health_time_rule, setup),
		cmocka_unit_test_setup(test_health_catalog_left_out, setup),
		cmocka_unit_test_setup(test_health_no_ctl, setup),
		cmocka_unit_test_setup(test_status_json, setup),
		cmocka_unit_test_setup(test_status_json_unknown_providers, setup),
		cmocka_unit_test_setup(test_status_json_switch, setup),
		cmocka_unit_test_setup(test_metrics, setup),
		cmocka_unit_test_setup(test_metrics_unhealthy, setup),
		cmocka_unit_test_setup(test_metrics_without_clock_and_dataplane, setup),
		cmocka_unit_test_setup(test_respond, setup),
		cmocka_unit_test_setup(test_listener_pipelined, setup),
		cmocka_unit_test_setup(test_listener_hostile, setup),
		cmocka_unit_test_setup(test_listener_timeout, setup),
		cmocka_unit_test_setup(test_listener_limit, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
