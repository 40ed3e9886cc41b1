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
#include <sys/stat.h>

#include "agent/catalog.h"
#include "agent/clockguard.h"
#include "agent/control.h"
#include "agent/dataplane.h"
#include "agent/engine.h"
#include "agent/health.h"
#include "agent/newzone.h"
#include "agent/hooks.h"
#include "agent/ixfr.h"
#include "agent/sdnotify.h"
#include "agent/server.h"
#include "agent/spool.h"
#include "agent/admin.h"
#include "agent/notify.h"
#include "agent/xfrin.h"
#include "agent/zonemgr.h"
#include "agent/zoneset.h"
#include "common/catalog.h"
#include "common/log.h"

/*
 * How often the data plane is brought in line with the zone set. The zone
 * manager reports serve and withdraw but not every stage / ready / plan
 * change, so a short timer catches those. A tick on an unchanged set
 * (ls_zoneset_changes()) costs one comparison; a next generation staged
 * for T reaches the maps within this interval — long before any T.
 */
#define DP_SYNC_INTERVAL 0.1
/* The lease is renewed at least this often (and at clock.lease / 3). */
#define LEASE_RENEW_MAX 1.0

struct ls_daemon {
	struct ev_loop *loop;
	ev_signal sigterm, sigint, sighup;
	struct ls_config *cfg;
	char *config_path;
	int verbosity;
	struct ls_zoneset *zones;
	struct ls_ixfr *ixfr; /* diffs between served versions, for IXFR out */
	struct ls_zonemgr *zonemgr; /* every version of every zone enters here */
	struct ls_hooks *hooks; /* on-serve / on-withdraw, fed by the zone manager's events */
	struct ls_zonemgr_events hook_events; /* the hooks' handlers, called from ours */
	struct ls_catalogs *catalogs; /* catalog zones: their members and plans */
	struct ls_clockguard *clock; /* tells the zone manager whether the clock is trusted */
	struct ls_xfrin *xfrin; /* transfers in from primaries */
	struct ls_admin *admin; /* NULL: no admin.listen; NOTIFY in, SOA, transfers out */
	struct ls_newzone *newzone; /* NEWZONE_NOTIFY: opcode 5 on the admin listener */
	struct ls_notify *notify; /* NOTIFY out to the notify: remotes of a zone */
	struct ls_spool *spool; /* NULL: no node.spool-dir */
	struct ls_server *server; /* NULL: no service addresses */
	struct ls_engine_stats engine_stats;
	struct ls_health *health; /* NULL: admin.http off */
	struct ls_sdnotify *sdnotify;
	struct ls_control *control; /* NULL: the control socket could not be made */
	struct ls_dataplane *dp; /* NULL: service.xdp off, no interface, or it failed */
	ev_timer lease_timer; /* renews the data plane's lease */
	ev_timer ixfr_timer; /* one slice of pending IXFR diffs per loop turn */
	ev_timer dp_timer; /* waits for the zones, then keeps the data plane in sync */
	const uint8_t **origins; /* scratch for ls_dataplane_sync() */
	size_t origins_cap;
	uint64_t dp_changes; /* ls_zoneset_changes() at the last sync */
	bool dp_synced; /* a sync ran since the data plane was opened */
	bool loaded; /* the zone manager finished the first offers (files, store) */
	bool ready; /* READY=1 sent */
	bool clean_stop; /* SIGTERM / SIGINT: detach the data plane and unpin it */
};

static void dp_sync(struct ls_daemon *d);
static void member_transfers(struct ls_daemon *d);

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

	if (!str_equal(o->node.id, n->node.id) ||
	    !str_equal(o->node.state_dir, n->node.state_dir) ||
	    !str_equal(o->node.spool_dir, n->node.spool_dir) ||
	    !str_equal(o->node.control_socket, n->node.control_socket))
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

/*
 * Catalog zones are transferred, verified and stored like any zone, so the
 * zone manager must hold them: it registers only `zone` entries, so the
 * daemon adds every configured catalog (and drops the ones a reload
 * removed, before the old configuration goes).
 */
static void add_catalog_zones(struct ls_daemon *d)
{
	for (size_t i = 0; i < d->cfg->catalog_count; i++) {
		int err = ls_zonemgr_add_zone(d->zonemgr, d->cfg->catalogs[i].name, NULL);

		if (err && err != -EEXIST)
			pr_err("catalog %s: not registered: %s", d->cfg->catalogs[i].domain,
			       strerror(-err));
	}
}

static void drop_catalog_zones(struct ls_daemon *d, const struct ls_config *n)
{
	for (size_t i = 0; i < d->cfg->catalog_count; i++) {
		const uint8_t *name = d->cfg->catalogs[i].name;
		bool kept = ls_config_zone_find(n, name) != NULL;

		for (size_t j = 0; j < n->catalog_count && !kept; j++)
			kept = ls_dname_equal(n->catalogs[j].name, name);
		if (!kept)
			ls_zonemgr_remove_zone(d->zonemgr, name);
	}
}

int ls_daemon_reload(struct ls_daemon *d)
{
	struct ls_config_errors *errs;
	struct ls_config *cfg = NULL, *old;
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
	drop_catalog_zones(d, cfg);
	/* the old configuration lives until every module let go of it (catalogs) */
	old = d->cfg;
	d->cfg = cfg;
	apply_log_level(d);
	/* zone files that changed are re-read; a bad one leaves its zone as served */
	/* hooks first: the zone manager's reconfiguration already fires events */
	{
		struct ls_hooks_opts ho;

		ls_hooks_opts_from_config(d->cfg, &ho);
		if (ls_hooks_reconfigure(d->hooks, &ho))
			pr_err("hooks: out of memory; the previous hooks stay in force");
		/* chrony-socket, ntp-server and socket-dir change on restart */
		ls_clockguard_set_limits(d->clock, d->cfg->clock.skew_budget_ns,
					 d->cfg->clock.margin_ns,
					 !d->cfg->clock.kernel_check_report);
	}
	ls_zonemgr_reconfigure(d->zonemgr, d->cfg);
	add_catalog_zones(d);
	if (ls_catalogs_reconfigure(d->catalogs, d->cfg))
		pr_err("catalogs: out of memory; reconfiguration incomplete");
	ls_xfrin_reconfigure(d->xfrin, d->cfg);
	member_transfers(d); /* a catalog's primaries may have changed */
	ls_newzone_reconfigure(d->newzone, d->cfg);
	if (d->admin && ls_admin_reconfigure(d->admin, d->cfg))
		pr_err("admin: out of memory; the previous keys stay in force");
	ls_notify_reconfigure(d->notify, d->cfg);
	ls_ixfr_set_budget(d->ixfr, d->cfg->node.ixfr_journal_size);
	ls_config_free(old);
	dp_sync(d); /* zones added or removed, files re-read */
free_errs:
	free(errs);
	return err;
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ls_daemon *d = w->data;

	pr_notice("%s received, stopping", w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
	d->clean_stop = true;
	ls_daemon_stop(d);
}

static void on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ls_daemon *d = w->data;

	ls_sdnotify_reloading();
	ls_daemon_reload(d);
	/* also after a refused reload: the old config serves; not before start-up is done */
	if (d->ready)
		ls_sdnotify_ready(NULL);
}

/* Providers of the health endpoint (agent/health.h): zones from the zone manager. */
static const char *health_node_id(void *ctx)
{
	return ((struct ls_daemon *)ctx)->cfg->node.id;
}

static size_t health_zone_count(void *ctx)
{
	return ls_zonemgr_count(((struct ls_daemon *)ctx)->zonemgr);
}

/*
 * The data plane's first answer from the last switch's generation
 * (docs/clock.md). Its record is keyed by the data plane's generation id:
 * next_gen while the switch is pending, live_gen once the zone set
 * promoted that very generation (not a later one, which has no record).
 */
static void zinfo_first_next_xdp(struct ls_daemon *d, struct ls_zinfo *z)
{
	struct ls_zoneset_switch sw;
	struct ls_zone_ctl ctl;
	uint32_t gen = 0;
	uint64_t ts;

	if (!d->dp || ls_zoneset_switch_info(d->zones, z->origin, &sw) || sw.at == LS_TIME_NEVER ||
	    ls_dataplane_get_zone(d->dp, z->origin, &ctl))
		return;
	if (ctl.switch_at == sw.at)
		gen = ctl.next_gen;
	else if (sw.promoted && ctl.switch_at == LS_TIME_NEVER)
		gen = ctl.live_gen;
	if (gen && ls_dataplane_first_next(d->dp, z->origin, gen, &ts) == 0)
		z->first_next_xdp_ns = ts;
}

static int health_zone_info(void *ctx, size_t i, struct ls_zinfo *out)
{
	struct ls_daemon *d = ctx;
	int err = ls_zonemgr_info(d->zonemgr, i, out);

	if (!err)
		zinfo_first_next_xdp(d, out);
	return err;
}

static const struct ls_admin_stats *health_admin_stats(void *ctx)
{
	struct ls_daemon *d = ctx;

	return d->admin ? ls_admin_stats(d->admin) : NULL;
}

static const struct ls_xfrin_stats *health_xfrin_stats(void *ctx)
{
	struct ls_daemon *d = ctx;

	return d->xfrin ? ls_xfrin_stats(d->xfrin) : NULL;
}

static const struct ls_server_stats *health_server_stats(void *ctx)
{
	struct ls_daemon *d = ctx;

	return d->server ? ls_server_stats(d->server) : NULL;
}

static const struct ls_engine_stats *health_engine_stats(void *ctx)
{
	return &((struct ls_daemon *)ctx)->engine_stats;
}

/* The clock guard's verdict and the reading behind it. */
static int health_clock(void *ctx, struct ls_health_clock *out)
{
	struct ls_daemon *d = ctx;
	struct ls_clock_status st;

	if (!d->clock)
		return -ENOENT;
	ls_clockguard_status(d->clock, &st);
	snprintf(out->source, sizeof(out->source), "%s", ls_clock_source_name(st.source));
	out->synchronised = st.synchronised;
	out->trusted = st.trusted;
	out->error_bound_ns = st.bound_ns;
	out->budget_ns = st.budget_ns;
	return 0;
}

/* The data plane: where it is attached and what its program did with packets. */
static int health_dataplane(void *ctx, struct ls_health_dataplane *out)
{
	struct ls_daemon *d = ctx;
	uint64_t st[LS_STAT_MAX];

	memset(out, 0, sizeof(*out));
	if (!d->dp) {
		snprintf(out->mode, sizeof(out->mode), "off");
		snprintf(out->interface, sizeof(out->interface), "%s",
			 d->cfg->service.interface ? d->cfg->service.interface : "");
		return 0;
	}
	out->attached = ls_dataplane_ifname(d->dp)[0] != '\0';
	snprintf(out->mode, sizeof(out->mode), "%s", ls_dataplane_mode_name(d->dp));
	snprintf(out->interface, sizeof(out->interface), "%s", ls_dataplane_ifname(d->dp));
	{
		struct ls_dataplane_growth g;

		ls_dataplane_growth_stats(d->dp, &g);
		out->grows = g.grows;
		out->grow_failures = g.failures;
		out->left_out = g.left_out;
	}
	if (ls_dataplane_stats(d->dp, st) < 0)
		return 0;
	for (int s = 0; s < LS_STAT_MAX && out->outcome_count < LS_HEALTH_MAX_OUTCOMES; s++) {
		snprintf(out->outcomes[out->outcome_count].name, sizeof(out->outcomes[0].name),
			 "%s", ls_dataplane_stat_name(s));
		out->outcomes[out->outcome_count++].packets = st[s];
	}
	return 0;
}

static int health_lease(void *ctx, struct ls_health_lease *out)
{
	struct ls_daemon *d = ctx;

	if (!d->dp)
		return -ENOENT;
	out->deadline_tai_ns = ls_dataplane_lease(d->dp);
	return 0;
}

static int start_health(struct ls_daemon *d)
{
	const struct ls_health_providers p = {
		.ctx = d,
		.node_id = health_node_id,
		.zone_count = health_zone_count,
		.zone_info = health_zone_info,
		.clock = health_clock,
		.dataplane = health_dataplane,
		.lease = health_lease,
		.server_stats = health_server_stats,
		.engine_stats = health_engine_stats,
		.admin_stats = health_admin_stats,
		.xfrin_stats = health_xfrin_stats,
	};
	char addr[LS_CONFIG_ADDR_STRLEN];
	int err;

	if (!d->cfg->admin.http_enabled)
		return 0;
	ls_config_addr_str(&d->cfg->admin.http, addr, sizeof(addr));
	err = ls_health_new(d->loop, &d->cfg->admin.http, &p, NULL, &d->health);
	if (err)
		pr_err("health endpoint on %s: %s", addr, strerror(-err));
	else
		pr_info("health endpoint on http://%s (/health, /status, /metrics)", addr);
	return err;
}

/* Transfers in (agent/xfrin.h) hand what they receive to the zone manager. */
static int xfrin_offer(void *ctx, const uint8_t *origin, struct ls_zone *zone, const char *source)
{
	return ls_zonemgr_offer(((struct ls_daemon *)ctx)->zonemgr, origin, zone, source);
}

static void xfrin_expire(void *ctx, const uint8_t *origin)
{
	ls_zonemgr_withdraw(((struct ls_daemon *)ctx)->zonemgr, origin, LS_ZREASON_EXPIRED);
}

static const struct ls_zone *xfrin_live(void *ctx, const uint8_t *origin)
{
	return ls_zoneset_live(((struct ls_daemon *)ctx)->zones, origin);
}

static int start_xfrin(struct ls_daemon *d)
{
	const struct ls_xfrin_ops ops = {
		.offer = xfrin_offer, .expire = xfrin_expire, .live = xfrin_live, .ctx = d
	};

	return ls_xfrin_new(d->loop, d->cfg, &ops, NULL, &d->xfrin);
}

/* The administrative listener (agent/admin.h): NOTIFY in goes to xfrin. */
static int admin_primary(void *ctx, const uint8_t *origin, const struct sockaddr *from,
			 const struct ls_config_remote **remote)
{
	return ls_xfrin_primary(((struct ls_daemon *)ctx)->xfrin, origin, from, remote);
}

/* NOTIFY in and lockstepctl retransfer; -ENOENT: not ours, or no primaries */
static int xfrin_refresh(void *ctx, const uint8_t *origin)
{
	return ls_xfrin_refresh(((struct ls_daemon *)ctx)->xfrin, origin);
}

/* A catalog member follows its catalog's allow-transfer (agent/admin.c). */
static const uint8_t *admin_owner(void *ctx, const uint8_t *origin)
{
	struct ls_daemon *d = ctx;

	return d->catalogs ? ls_catalogs_owner(d->catalogs, origin) : NULL;
}

static int start_admin(struct ls_daemon *d)
{
	const struct ls_admin_ops ops = { .primary = admin_primary,
					  .refresh = xfrin_refresh,
					  .live = xfrin_live,
					  .owner = admin_owner,
					  .ixfr = d->ixfr,
					  .ctx = d };
	int err = ls_notify_new(d->loop, d->cfg, NULL, &d->notify);

	/* XoT alone is a listener too (it used to be ignored without admin.listen) */
	if (err || (d->cfg->admin.listen_count == 0 && d->cfg->admin.tls_listen_count == 0))
		return err;
	return ls_admin_new(d->loop, d->cfg, &ops, NULL, &d->admin);
}

/*
 * NEWZONE_NOTIFY (agent/newzone.h): opcode 5 on the admin listener; zones
 * it creates go to the zone manager and are pulled by the transfer client.
 */
static int nz_add_zone(void *ctx, const uint8_t *origin)
{
	return ls_zonemgr_add_zone(((struct ls_daemon *)ctx)->zonemgr, origin, NULL);
}

/* NEWZONE and catalogs remove a zone alike: its transfers stop, the zone manager drops it. */
static int remove_zone(void *ctx, const uint8_t *origin)
{
	struct ls_daemon *d = ctx;

	if (d->xfrin)
		ls_xfrin_remove_zone(d->xfrin, origin); /* -ENOENT: not transferred (yet) */
	return ls_zonemgr_remove_zone(d->zonemgr, origin);
}

/* A zone NEWZONE created is pulled from its master, as a run-time zone of xfrin. */
static int nz_transfer(void *ctx, const uint8_t *origin, const struct ls_config_remote *master)
{
	return ls_xfrin_add_zone(((struct ls_daemon *)ctx)->xfrin, origin, &master, 1);
}

static int nz_update(void *hctx, const uint8_t *wire, size_t len, const struct sockaddr *from,
		     ls_admin_reply_fn reply, void *rctx)
{
	return ls_newzone_handle(((struct ls_daemon *)hctx)->newzone, wire, len, from, reply, rctx);
}

static void nz_forget(void *hctx, void *rctx)
{
	ls_newzone_forget(((struct ls_daemon *)hctx)->newzone, rctx);
}

static int start_newzone(struct ls_daemon *d)
{
	const struct ls_newzone_ops ops = {
		.add_zone = nz_add_zone,
		.remove_zone = remove_zone,
		.transfer = nz_transfer,
		.ctx = d,
	};
	int err = ls_newzone_new(d->loop, d->cfg, &ops, NULL, &d->newzone);

	if (!err && d->admin)
		ls_admin_set_update_handler(d->admin, nz_update, nz_forget, d);
	return err;
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

static int start_hooks(struct ls_daemon *d, struct ls_zonemgr_events *events)
{
	struct ls_hooks_opts o;
	int err;

	ls_hooks_opts_from_config(d->cfg, &o);
	err = ls_hooks_new(d->loop, &o, &d->hooks);
	if (!err)
		ls_hooks_zonemgr_events(d->hooks, events);
	return err;
}

/* The clock guard's verdict goes to the zone manager on every change. */
static void on_clock(void *ctx, bool trusted, uint64_t budget_ns)
{
	struct ls_daemon *d = ctx;

	ls_zonemgr_clock(d->zonemgr, trusted, budget_ns);
}

static int start_clock(struct ls_daemon *d)
{
	struct ls_clockguard_opts o;
	int err;

	ls_clockguard_opts_from_config(d->cfg, &o);
	o.on_change = on_clock;
	o.ctx = d;
	err = ls_clockguard_new(d->loop, &o, &d->clock);
	if (!err)
		ls_clockguard_start(d->clock);
	return err;
}

/*
 * Catalogs (agent/catalog.h) act on zones only through these four
 * operations, bound to the zone manager here. A member the zone manager
 * already holds (-EEXIST: a restart re-adding it) is not an error.
 */
static int cat_add_zone(void *ctx, const uint8_t *origin, const uint8_t *settings_from)
{
	int err = ls_zonemgr_add_zone(((struct ls_daemon *)ctx)->zonemgr, origin, settings_from);

	return err == -EEXIST ? 0 : err;
}

static int cat_plan(void *ctx, const uint8_t *origin, uint32_t serial, uint64_t at_unix,
		    uint32_t at_nsec)
{
	return ls_zonemgr_plan(((struct ls_daemon *)ctx)->zonemgr, origin, serial, at_unix,
			       at_nsec);
}

static int cat_unplan(void *ctx, const uint8_t *origin)
{
	return ls_zonemgr_unplan(((struct ls_daemon *)ctx)->zonemgr, origin);
}

/*
 * Every member a catalog owns is transferred from that catalog's
 * primaries (ls_catalogs_primaries()). Run after each catalog update and
 * reload, and once the transfer client exists: ownership is settled only
 * after the add_zone callback (and moves by coo without one), so the pass
 * looks at the result. Adding a member xfrin already has with the same
 * primaries changes nothing; removed members left xfrin in
 * remove_zone(). A catalog without primaries (fed by the spool) gives
 * its members none: they come the same way.
 */
static void member_transfers(struct ls_daemon *d)
{
	if (!d->xfrin || !d->catalogs)
		return;
	for (size_t i = 0; i < d->cfg->catalog_count; i++) {
		const struct ls_config_catalog *cat = &d->cfg->catalogs[i];
		const struct ls_catalog *c = ls_catalogs_members(d->catalogs, cat->name);

		for (size_t k = 0; c && cat->primary_count && k < c->member_count; k++) {
			const uint8_t *zone = c->members[k].zone;
			const uint8_t *owner = ls_catalogs_owner(d->catalogs, zone);
			int err;

			if (!owner || !ls_dname_equal(owner, cat->name))
				continue;
			err = ls_xfrin_add_zone(d->xfrin, zone, cat->primaries, cat->primary_count);
			if (err && err != -EEXIST) {
				char name[LS_DNAME_STRLEN];

				ls_dname_to_str(name, sizeof(name), zone);
				pr_err("catalog %s: member %s: not transferred: %s", cat->domain,
				       name, strerror(-err));
			}
		}
	}
}

/*
 * The zone manager's events: the hooks get them all; a catalog zone that
 * starts serving a new serial is applied to its member list.
 */
static void on_zone_serve(void *ctx, const uint8_t *origin, uint32_t serial, const char *why)
{
	struct ls_daemon *d = ctx;

	if (d->hook_events.on_serve)
		d->hook_events.on_serve(d->hook_events.ctx, origin, serial, why);
	if (d->catalogs && ls_catalogs_is_catalog(d->catalogs, origin)) {
		ls_catalogs_update(d->catalogs, ls_zoneset_live(d->zones, origin));
		member_transfers(d);
	}
	/*
	 * peers in the zone's notify: list pull the new version at once; a
	 * catalog member's peers are those of its catalog
	 */
	if (d->notify && origin)
		ls_notify_member(d->notify, origin, serial,
				 d->catalogs ? ls_catalogs_owner(d->catalogs, origin) : NULL);
	dp_sync(d);
}

static void on_zone_withdraw(void *ctx, const uint8_t *origin, enum ls_zreason reason,
			     const char *why)
{
	struct ls_daemon *d = ctx;

	if (d->hook_events.on_withdraw)
		d->hook_events.on_withdraw(d->hook_events.ctx, origin, reason, why);
	dp_sync(d);
}

static int start_catalogs(struct ls_daemon *d)
{
	const struct ls_catalogs_ops ops = {
		.add_zone = cat_add_zone,
		.remove_zone = remove_zone,
		.plan = cat_plan,
		.unplan = cat_unplan,
		.ctx = d,
	};
	int err = ls_catalogs_new(d->cfg, &ops, &d->catalogs);

	if (!err)
		add_catalog_zones(d);
	return err;
}

/*
 * The XDP data plane (agent/dataplane.h) mirrors the zone set. It is
 * opened once the zone manager has finished its first offers (zone files,
 * versions kept in the state directory), so its maps are sized for the
 * zones actually held — except after a restart that finds the previous
 * agent's maps pinned: then it is opened at once and the lease renewed, so
 * the program keeps answering from those maps (the previous agent's
 * verified generations, with their own T and withdrawals) while this agent
 * loads; the first sync after loading replaces them without a gap.
 */
static bool dp_wanted(const struct ls_daemon *d)
{
	return d->cfg->service.xdp != LS_CONFIG_XDP_OFF && d->cfg->service.interface;
}

/* Every origin of the zone set into d->origins; false when out of memory. */
static bool dp_origins(struct ls_daemon *d, size_t *n)
{
	size_t k = ls_zoneset_origins(d->zones, d->origins, d->origins_cap);

	if (k > d->origins_cap) {
		size_t cap = k + k / 2 + 16;
		const uint8_t **v = realloc(d->origins, cap * sizeof(*v));

		if (!v)
			return false;
		d->origins = v;
		d->origins_cap = cap;
		k = ls_zoneset_origins(d->zones, d->origins, cap);
	}
	*n = k;
	return true;
}

static void dp_sync(struct ls_daemon *d)
{
	size_t n;

	if (!d->dp || !d->loaded)
		return;
	/* the timer's calls cost nothing while the set is unchanged */
	if (d->dp_synced && d->dp_changes == ls_zoneset_changes(d->zones))
		return;
	if (!dp_origins(d, &n)) {
		pr_err("dataplane: out of memory listing zones; not synced");
		return;
	}
	/* what fails is logged there and left to the slow path; retried on the next change */
	ls_dataplane_sync(d->dp, d->zones, (const uint8_t *const *)d->origins, n);
	d->dp_changes = ls_zoneset_changes(d->zones);
	d->dp_synced = true;
}

static void renew_lease(struct ls_daemon *d)
{
	uint64_t now = ls_zoneset_clock();

	if (d->dp && now)
		ls_dataplane_renew(d->dp, now + d->cfg->clock.lease_ns);
}

static void on_lease(struct ev_loop *loop, ev_timer *w, int revents)
{
	renew_lease(w->data);
}

static void dp_open(struct ls_daemon *d)
{
	const struct ls_config *cfg = d->cfg;
	struct ls_dataplane_opts o = { .ifname = cfg->service.interface,
				       .mode = cfg->service.xdp,
				       .port = cfg->service.port,
				       .lease_ns = cfg->clock.lease_ns };
	double every = (double)cfg->clock.lease_ns / 3e9;
	size_t n = 0;
	int err;

	if (dp_origins(d, &n) &&
	    ls_dataplane_estimate(d->zones, (const uint8_t *const *)d->origins, n, &o) < 0)
		pr_warn("dataplane: cannot size the maps for %zu zone(s); default sizes", n);
	err = ls_dataplane_open(&o, &d->dp);
	if (err) {
		pr_err("dataplane: %s XDP on %s: %s; answering from the slow path only",
		       ls_config_xdp_name(cfg->service.xdp), cfg->service.interface,
		       strerror(-err));
		d->dp = NULL;
		return;
	}
	if (!d->dp)
		return;
	err = ls_dataplane_keep_addrs(d->dp, cfg->service.addrs, cfg->service.addr_count);
	if (err)
		pr_err("dataplane: cannot drop addresses no longer configured: %s", strerror(-err));
	for (size_t i = 0; i < cfg->service.addr_count; i++) {
		char a[LS_CONFIG_ADDR_STRLEN];

		err = ls_dataplane_add_addr(d->dp, &cfg->service.addrs[i].ss);
		if (err) {
			ls_config_addr_str(&cfg->service.addrs[i], a, sizeof(a));
			pr_err("dataplane: address %s not served in XDP: %s", a, strerror(-err));
		}
	}
	renew_lease(d);
	if (every > LEASE_RENEW_MAX || every <= 0)
		every = LEASE_RENEW_MAX;
	ev_timer_init(&d->lease_timer, on_lease, every, every);
	d->lease_timer.data = d;
	ev_timer_start(d->loop, &d->lease_timer);
	pr_notice("dataplane: %s XDP on %s, lease %.1f s renewed every %.2f s%s",
		  ls_dataplane_mode_name(d->dp), ls_dataplane_ifname(d->dp),
		  (double)cfg->clock.lease_ns / 1e9, every,
		  ls_dataplane_readopted(d->dp) ? "; re-adopted the pinned maps" : "");
}

/*
 * Start-up, then the data plane's sync: the zones are loaded when the zone
 * manager has no version queued or being verified any more; then the data
 * plane is opened (if not already, see above) and synced, and systemd is
 * told READY=1 — zones loaded, data plane attached (or failed, logged:
 * the slow path serves alone).
 */
static void on_dp_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ls_daemon *d = w->data;

	if (!d->loaded) {
		if (ls_zonemgr_pending(d->zonemgr))
			return;
		d->loaded = true;
		pr_info("zones loaded: %zu zone(s)", ls_zonemgr_count(d->zonemgr));
		if (dp_wanted(d) && !d->dp)
			dp_open(d);
	}
	dp_sync(d);
	if (!d->ready) {
		d->ready = true;
		ls_sdnotify_ready(d->dp ? "serving (XDP)" : "serving");
		pr_notice("ready: zones loaded%s", d->dp ? ", data plane attached" : "");
	}
}

static void start_dataplane(struct ls_daemon *d)
{
	struct stat st;

	if (d->cfg->service.xdp != LS_CONFIG_XDP_OFF && !d->cfg->service.interface)
		pr_notice("service.xdp is %s but no service.interface is set: no data plane",
			  ls_config_xdp_name(d->cfg->service.xdp));
	/* pinned maps of a previous agent: take them over now, see above */
	if (dp_wanted(d) && stat(LS_DATAPLANE_PIN_DIR, &st) == 0)
		dp_open(d);
	ev_timer_init(&d->dp_timer, on_dp_timer, 0., DP_SYNC_INTERVAL);
	d->dp_timer.data = d;
	ev_timer_start(d->loop, &d->dp_timer);
}

/* The local control socket (agent/control.h): lockstepctl retransfer / withdraw. */
static int ctl_withdraw(void *ctx, const uint8_t *origin)
{
	struct ls_daemon *d = ctx;
	int err = ls_zonemgr_withdraw(d->zonemgr, origin, LS_ZREASON_OPERATOR);

	dp_sync(d);
	return err;
}

static void start_control(struct ls_daemon *d)
{
	const struct ls_control_ops ops = { .retransfer = xfrin_refresh,
					    .withdraw = ctl_withdraw,
					    .ctx = d };
	const char *path = d->cfg->node.control_socket;
	int err = ls_control_new(d->loop, path, &ops, NULL, &d->control);

	/* not fatal: the node serves without it; lockstepctl says it cannot connect */
	if (err)
		pr_err("control socket %s: %s; lockstepctl retransfer/withdraw unavailable", path,
		       strerror(-err));
	else
		pr_info("control socket on %s", path);
}

static void ixfr_logged(const struct ls_daemon *d)
{
	pr_debug("ixfr: journal updated (%zu steps, %zu octets)", ls_ixfr_count(d->ixfr),
		 ls_ixfr_bytes(d->ixfr));
}

/* One slice of the pending IXFR diffs per loop turn: queries in between. */
static void on_ixfr_slice(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ls_daemon *d = w->data;

	(void)revents;
	if (ls_ixfr_work(d->ixfr, LS_IXFR_SLICE_NODES)) {
		ev_timer_set(w, 0., 0.);
		ev_timer_start(loop, w);
		return;
	}
	ixfr_logged(d);
}

/*
 * The served version of a zone changed: keep the difference for IXFR out.
 * Called by the zone table while both versions are in memory; the diff's
 * first slice runs now (a small zone is done at once), the rest one slice
 * per loop turn with the old version kept by the journal meanwhile
 * (docs/intake.md, "Transfers out").
 */
static bool on_replace(void *ctx, struct ls_zone *old, const struct ls_zone *new)
{
	struct ls_daemon *d = ctx;
	bool kept = ls_ixfr_replace(d->ixfr, old, new);

	if (kept)
		pr_debug("ixfr: %u -> %u: the step is computed over the next loop turns",
			 ls_zone_serial(old), ls_zone_serial(new));
	if (ls_ixfr_pending(d->ixfr)) {
		if (!ev_is_active(&d->ixfr_timer)) {
			ev_timer_set(&d->ixfr_timer, 0., 0.);
			ev_timer_start(d->loop, &d->ixfr_timer);
		}
	} else {
		ixfr_logged(d);
	}
	return kept;
}

/* Zones first, then the sockets: the first query already finds its zone. */
static int start_serving(struct ls_daemon *d)
{
	const struct ls_server_opts opts = { .respond = respond, .batch = on_batch, .ctx = d };
	struct ls_zonemgr_events events = { 0 };
	int err;

	err = ls_zoneset_new(&d->zones);
	if (err)
		return err;
	err = ls_ixfr_new(d->cfg->node.ixfr_journal_size, &d->ixfr);
	if (err)
		return err;
	ev_timer_init(&d->ixfr_timer, on_ixfr_slice, 0., 0.);
	d->ixfr_timer.data = d;
	ls_zoneset_on_replace(d->zones, on_replace, d);
	err = start_hooks(d, &events);
	if (err)
		return err;
	d->hook_events = events;
	events = (struct ls_zonemgr_events){ .on_serve = on_zone_serve,
					     .on_withdraw = on_zone_withdraw,
					     .ctx = d };
	/* stored versions are re-adopted, zone files offered: verified off the loop */
	err = ls_zonemgr_new(d->loop, d->cfg, d->zones, &events, &d->zonemgr);
	if (err)
		return err;
	err = start_catalogs(d);
	if (err)
		return err;
	err = start_clock(d);
	if (err)
		return err;
	err = start_xfrin(d);
	if (err)
		return err;
	member_transfers(d); /* members of catalog versions re-adopted from disk */
	err = start_admin(d);
	if (err)
		return err;
	err = start_newzone(d);
	if (err)
		return err;
	if (d->cfg->node.spool_dir) {
		err = ls_spool_new(d->loop, d->cfg->node.spool_dir, d->zonemgr, &d->spool);
		if (err)
			pr_err("spool %s not watched: %s", d->cfg->node.spool_dir, strerror(-err));
	}
	if (d->cfg->service.addr_count) {
		err = ls_server_new(d->loop, d->cfg->service.addrs, d->cfg->service.addr_count,
				    &opts, &d->server);
		if (err)
			return err;
	}
	start_dataplane(d);
	start_control(d);
	err = start_health(d);
	if (err)
		return err;
	return ls_sdnotify_new(d->loop, &d->sdnotify);
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
	/* READY=1 comes from on_dp_timer(): zones loaded, data plane attached */
	ev_run(d->loop, 0);
	ls_sdnotify_stopping();
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
	ls_sdnotify_free(d->sdnotify);
	ls_control_free(d->control);
	/* a clean stop detaches; otherwise the program stays, pinned, for a restart */
	if (d->clean_stop)
		ls_dataplane_shutdown(d->dp);
	else
		ls_dataplane_free(d->dp);
	free(d->origins);
	ls_health_free(d->health);
	ls_server_free(d->server);
	ls_spool_free(d->spool);
	ls_admin_free(d->admin);
	ls_newzone_free(d->newzone);
	ls_notify_free(d->notify);
	ls_xfrin_free(d->xfrin);
	ls_clockguard_free(d->clock);
	ls_zonemgr_free(d->zonemgr);
	ls_catalogs_free(d->catalogs);
	ls_hooks_free(d->hooks);
	ls_zoneset_free(d->zones);
	ls_ixfr_free(d->ixfr); /* transfers still sending steps hold their own references */
	if (d->loop) {
		ev_timer_stop(d->loop, &d->dp_timer);
		ev_timer_stop(d->loop, &d->ixfr_timer);
		ev_timer_stop(d->loop, &d->lease_timer);
		ev_signal_stop(d->loop, &d->sigterm);
		ev_signal_stop(d->loop, &d->sigint);
		ev_signal_stop(d->loop, &d->sighup);
		ev_loop_destroy(d->loop);
	}
	ls_config_free(d->cfg);
	free(d->config_path);
	free(d);
}
