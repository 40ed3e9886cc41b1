/* SPDX-License-Identifier: MIT */
/*
 * daemon.c — see daemon.h.
 *
 * The loop is a private ev_loop_new() rather than libev's default loop so a
 * test can create and free daemons one after another; libev (since 4.0)
 * delivers signals to any loop, one loop per signal. Signals arrive as
 * watcher callbacks inside the loop, never as asynchronous handlers, so a
 * reload runs between two events and no module ever sees a configuration
 * half swapped.
 */
#include "agent/daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/engine.h"
#include "agent/server.h"
#include "agent/zoneset.h"
#include "common/log.h"

/* How often generations whose switch time passed are promoted (memory only). */
#define HOUSEKEEPING_INTERVAL 1.0

struct ls_daemon {
	struct ev_loop *loop;
	ev_signal sigterm, sigint, sighup;
	ev_timer housekeeping;
	struct ls_config *cfg;
	char *config_path;
	int verbosity;
	struct ls_zoneset *zones;
	struct ls_server *server; /* NULL: no service addresses */
	struct ls_engine_stats engine_stats;
};

static void apply_log_level(const struct ls_daemon *d)
{
	int level = (int)d->cfg->log_level + d->verbosity;

	ls_log_set_level(level > LS_LOG_DEBUG ? LS_LOG_DEBUG : (enum ls_log_level)level);
}

void ls_daemon_log_config_errors(const struct ls_config_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		pr_err("%s", errs->err[i].text);
	if (errs->total > errs->count)
		pr_err("... and %zu more configuration errors", errs->total - errs->count);
}

static void primaries_str(char *buf, size_t len, const struct ls_config_remote *const *p, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? "," : "", p[i]->id);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static void log_zone(const char *what, const struct ls_config_zone *z)
{
	char prim[256];

	primaries_str(prim, sizeof(prim), z->primaries, z->primary_count);
	pr_info("zone %s: %sfile %s, primaries %s, zonemd %s, dnssec %s, activation %s", z->domain,
		what, z->file ? z->file : "-", z->primary_count ? prim : "-",
		ls_config_policy_name(z->zonemd), ls_config_policy_name(z->dnssec),
		ls_config_activation_name(z->activation));
}

static void log_config(const struct ls_config *cfg)
{
	char prim[256];

	pr_info("node %s: %zu zone(s), %zu catalog(s), %zu remote(s), %zu key(s)", cfg->node.id,
		cfg->zone_count, cfg->catalog_count, cfg->remote_count, cfg->key_count);
	for (size_t i = 0; i < cfg->catalog_count; i++) {
		const struct ls_config_catalog *cat = &cfg->catalogs[i];

		primaries_str(prim, sizeof(prim), cat->primaries, cat->primary_count);
		pr_info("catalog %s: primaries %s", cat->domain, prim);
	}
	for (size_t i = 0; i < cfg->zone_count; i++)
		log_zone("", &cfg->zones[i]);
	if (cfg->service.addr_count == 0)
		pr_notice("no service addresses: this node distributes zones but answers no "
			  "queries on a shared address");
}

static bool addrs_equal(const struct ls_config_addr *a, size_t na, const struct ls_config_addr *b,
			size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (a[i].len != b[i].len || memcmp(&a[i].ss, &b[i].ss, a[i].len) != 0)
			return false;
	}
	return true;
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * Settings the running modules fixed at start (sockets bound, the XDP
 * program attached, the state directory opened) change only on restart;
 * say so rather than pretend.
 */
static void log_restart_only(const struct ls_config *o, const struct ls_config *n)
{
	const char *what[6];
	size_t k = 0;

	if (!str_equal(o->node.id, n->node.id) || !str_equal(o->node.state_dir, n->node.state_dir))
		what[k++] = "node";
	if (!addrs_equal(o->service.addrs, o->service.addr_count, n->service.addrs,
			 n->service.addr_count) ||
	    o->service.port != n->service.port ||
	    !str_equal(o->service.interface, n->service.interface) ||
	    o->service.xdp != n->service.xdp)
		what[k++] = "service";
	if (!addrs_equal(o->admin.listen, o->admin.listen_count, n->admin.listen,
			 n->admin.listen_count) ||
	    o->admin.http_enabled != n->admin.http_enabled ||
	    (n->admin.http_enabled && !addrs_equal(&o->admin.http, 1, &n->admin.http, 1)))
		what[k++] = "admin";
	for (size_t i = 0; i < k; i++)
		pr_warn("configuration reload: changes to '%s' take effect after a restart",
			what[i]);
}

static int zone_ptr_cmp(const void *a, const void *b)
{
	const struct ls_config_zone *const *za = a, *const *zb = b;

	return ls_dname_cmp((*za)->name, (*zb)->name);
}

/* The zones of @cfg sorted by name, so two configurations merge in O(n log n). */
static const struct ls_config_zone **sorted_zones(const struct ls_config *cfg)
{
	const struct ls_config_zone **v = calloc(cfg->zone_count + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < cfg->zone_count; i++)
		v[i] = &cfg->zones[i];
	qsort(v, cfg->zone_count, sizeof(*v), zone_ptr_cmp);
	return v;
}

static void log_catalog_changes(const struct ls_config *o, const struct ls_config *n)
{
	for (size_t i = 0; i < n->catalog_count; i++) {
		bool found = false;

		for (size_t j = 0; j < o->catalog_count && !found; j++)
			found = ls_dname_equal(o->catalogs[j].name, n->catalogs[i].name);
		if (!found)
			pr_info("catalog %s: added", n->catalogs[i].domain);
	}
	for (size_t i = 0; i < o->catalog_count; i++) {
		bool found = false;

		for (size_t j = 0; j < n->catalog_count && !found; j++)
			found = ls_dname_equal(n->catalogs[j].name, o->catalogs[i].name);
		if (!found)
			pr_info("catalog %s: removed", o->catalogs[i].domain);
	}
}

static void log_zone_changes(const struct ls_config *o, const struct ls_config *n)
{
	const struct ls_config_zone **ov = sorted_zones(o), **nv = sorted_zones(n);
	size_t added = 0, removed = 0, changed = 0, i = 0, j = 0;

	if (!ov || !nv) {
		pr_warn("configuration reload: out of memory listing zone changes");
		goto free_lists;
	}
	while (i < o->zone_count || j < n->zone_count) {
		int d = i == o->zone_count ? 1 :
			j == n->zone_count ? -1 :
					     ls_dname_cmp(ov[i]->name, nv[j]->name);

		if (d < 0) {
			pr_info("zone %s: removed", ov[i++]->domain);
			removed++;
		} else if (d > 0) {
			log_zone("added: ", nv[j++]);
			added++;
		} else {
			if (!ls_config_zone_equal(ov[i], nv[j])) {
				log_zone("changed: ", nv[j]);
				changed++;
			}
			i++;
			j++;
		}
	}
free_lists:
	free(ov);
	free(nv);
	log_catalog_changes(o, n);
	pr_notice("configuration reloaded from %s: %zu zone(s); %zu added, %zu removed, "
		  "%zu changed",
		  n->source, n->zone_count, added, removed, changed);
}

int ls_daemon_reload(struct ls_daemon *d)
{
	struct ls_config_errors *errs;
	struct ls_config *cfg = NULL;
	int err;

	/* Too big for the stack of a callback deep in a loop; it is rare anyway. */
	errs = malloc(sizeof(*errs));
	if (!errs)
		return -ENOMEM;
	pr_info("reloading configuration from %s", d->config_path);
	err = ls_config_load(d->config_path, &cfg, errs);
	if (err) {
		ls_daemon_log_config_errors(errs);
		if (err == -EINVAL)
			pr_err("configuration reload refused: %zu error(s); keeping the running "
			       "configuration",
			       errs->total);
		else
			pr_err("configuration reload refused (%s); keeping the running "
			       "configuration",
			       strerror(-err));
		goto free_errs;
	}
	log_restart_only(d->cfg, cfg);
	log_zone_changes(d->cfg, cfg);
	ls_config_free(d->cfg);
	d->cfg = cfg;
	apply_log_level(d);
	/* zone files that changed are re-read; a bad one leaves its zone as served */
	ls_zoneset_sync_config(d->zones, d->cfg);
free_errs:
	free(errs);
	return err;
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ls_daemon *d = w->data;

	pr_notice("%s received, stopping", w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
	ls_daemon_stop(d);
}

static void on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	ls_daemon_reload(w->data);
}

/* The slow path: the server hands each query to the engine over the zone set. */
static int respond(void *ctx, const uint8_t *query, size_t qlen, int transport, uint8_t *resp,
		   size_t cap)
{
	struct ls_daemon *d = ctx;

	return ls_engine_respond(query, qlen, transport, ls_zoneset_lookup, d->zones, resp, cap,
				 &d->engine_stats);
}

static void on_batch(void *ctx)
{
	struct ls_daemon *d = ctx;

	ls_zoneset_tick(d->zones);
}

static void on_housekeeping(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ls_daemon *d = w->data;

	ls_zoneset_promote(d->zones, ls_zoneset_clock());
}

/* Zones first, then the sockets: the first query already finds its zone. */
static int start_serving(struct ls_daemon *d)
{
	const struct ls_server_opts opts = { .respond = respond, .batch = on_batch, .ctx = d };
	int err;

	err = ls_zoneset_new(&d->zones);
	if (err)
		return err;
	ls_zoneset_sync_config(d->zones, d->cfg);
	if (d->cfg->service.addr_count) {
		err = ls_server_new(d->loop, d->cfg->service.addrs, d->cfg->service.addr_count,
				    &opts, &d->server);
		if (err)
			return err;
	}
	ev_timer_init(&d->housekeeping, on_housekeeping, HOUSEKEEPING_INTERVAL,
		      HOUSEKEEPING_INTERVAL);
	d->housekeeping.data = d;
	ev_timer_start(d->loop, &d->housekeeping);
	return 0;
}

int ls_daemon_new(const char *config_path, struct ls_config *cfg, int verbosity,
		  struct ls_daemon **out)
{
	struct ls_daemon *d;
	int err;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		err = -ENOMEM;
		goto free_cfg;
	}
	d->cfg = cfg;
	d->verbosity = verbosity;
	d->config_path = strdup(config_path);
	if (!d->config_path) {
		err = -ENOMEM;
		goto free_daemon;
	}
	d->loop = ev_loop_new(EVFLAG_AUTO);
	if (!d->loop) {
		err = -ENOMEM;
		goto free_daemon;
	}
	ev_signal_init(&d->sigterm, on_stop_signal, SIGTERM);
	ev_signal_init(&d->sigint, on_stop_signal, SIGINT);
	ev_signal_init(&d->sighup, on_sighup, SIGHUP);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	ev_signal_start(d->loop, &d->sigterm);
	ev_signal_start(d->loop, &d->sigint);
	ev_signal_start(d->loop, &d->sighup);
	apply_log_level(d);
	err = start_serving(d);
	if (err)
		goto free_daemon;
	*out = d;
	return 0;

free_daemon:
	ls_daemon_free(d); /* frees cfg too */
	return err;
free_cfg:
	ls_config_free(cfg);
	return err;
}

int ls_daemon_run(struct ls_daemon *d)
{
	log_config(d->cfg);
	pr_notice("lockstepd running (node %s, config %s)", d->cfg->node.id, d->config_path);
	ev_run(d->loop, 0);
	if (d->server) {
		const struct ls_server_stats *st = ls_server_stats(d->server);

		pr_info("served %" PRIu64 " UDP and %" PRIu64 " TCP queries, %" PRIu64
			" and %" PRIu64 " responses",
			st->udp_queries, st->tcp_queries, st->udp_responses, st->tcp_responses);
	}
	pr_notice("lockstepd stopped");
	return 0;
}

void ls_daemon_stop(struct ls_daemon *d)
{
	ev_break(d->loop, EVBREAK_ALL);
}

const struct ls_config *ls_daemon_config(const struct ls_daemon *d)
{
	return d->cfg;
}

struct ev_loop *ls_daemon_loop(struct ls_daemon *d)
{
	return d->loop;
}

void ls_daemon_free(struct ls_daemon *d)
{
	if (!d)
		return;
	ls_server_free(d->server);
	ls_zoneset_free(d->zones);
	if (d->loop) {
		ev_timer_stop(d->loop, &d->housekeeping);
		ev_signal_stop(d->loop, &d->sigterm);
		ev_signal_stop(d->loop, &d->sigint);
		ev_signal_stop(d->loop, &d->sighup);
		ev_loop_destroy(d->loop);
	}
	ls_config_free(d->cfg);
	free(d->config_path);
	free(d);
}
