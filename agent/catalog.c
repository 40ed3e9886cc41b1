/* SPDX-License-Identifier: MIT */
/*
 * catalog.c — see catalog.h.
 *
 * Each catalog keeps its parsed member list and, parallel to it, a flag per
 * member saying whether this catalog owns the zone on this node. Ownership
 * is looked up across catalogs by binary search in each list: a node has a
 * handful of catalogs, so that is cheaper than keeping a second index in
 * step.
 */
#include "agent/catalog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "common/config.h"
#include "common/dname.h"
#include "common/log.h"
#include "common/zone.h"

struct cat_state {
	const struct ls_config_catalog *cfg;
	uint8_t name[LS_DNAME_MAXLEN];
	struct ls_catalog *cur; /* NULL until a first version parsed */
	bool *owned; /* parallel to cur->members */
};

struct ls_catalogs {
	const struct ls_config *cfg;
	struct ls_catalogs_ops ops;
	struct cat_state *v;
	size_t n;
};

static const char *dn(const uint8_t *name, char *buf, size_t len)
{
	if (ls_dname_to_str(buf, len, name) < 0)
		buf[0] = '\0';
	return buf;
}

static struct cat_state *state_of(const struct ls_catalogs *cs, const uint8_t *origin)
{
	for (size_t i = 0; i < cs->n; i++)
		if (ls_dname_equal(cs->v[i].name, origin))
			return &cs->v[i];
	return NULL;
}

bool ls_catalogs_is_catalog(const struct ls_catalogs *cs, const uint8_t *origin)
{
	return state_of(cs, origin) != NULL;
}

/* The catalog owning @zone and the member entry there, or NULL. */
static struct cat_state *owner_of(const struct ls_catalogs *cs, const uint8_t *zone,
				  const struct ls_catalog_member **entry)
{
	for (size_t i = 0; i < cs->n; i++) {
		struct cat_state *st = &cs->v[i];
		const struct ls_catalog_member *m = ls_catalog_find(st->cur, zone);

		if (m && st->owned[m - st->cur->members]) {
			if (entry)
				*entry = m;
			return st;
		}
	}
	return NULL;
}

const uint8_t *ls_catalogs_owner(const struct ls_catalogs *cs, const uint8_t *zone)
{
	struct cat_state *st = owner_of(cs, zone, NULL);

	return st ? st->name : NULL;
}

int ls_catalogs_primaries(const struct ls_catalogs *cs, const uint8_t *zone,
			  const struct ls_config_remote *const **primaries, size_t *count)
{
	struct cat_state *st = owner_of(cs, zone, NULL);

	if (!st)
		return -ENOENT;
	*primaries = st->cfg->primaries;
	*count = st->cfg->primary_count;
	return 0;
}

const struct ls_catalog *ls_catalogs_members(const struct ls_catalogs *cs, const uint8_t *catalog)
{
	struct cat_state *st = state_of(cs, catalog);

	return st ? st->cur : NULL;
}

/* The configured zone whose settings a member's group maps to, or NULL. */
static const uint8_t *group_settings(const struct cat_state *st, const struct ls_catalog_member *m)
{
	const struct ls_config_catalog *c = st->cfg;
	char a[LS_DNAME_STRLEN];

	if (!m->has_group)
		return NULL;
	for (size_t i = 0; i < c->group_count; i++)
		if (strcmp(c->groups[i].name, m->group) == 0)
			return c->groups[i].zone;
	pr_notice("catalog %s: member %s: group '%s' is not mapped in catalog.groups; default "
		  "settings",
		  c->domain, dn(m->zone, a, sizeof(a)), m->group);
	return NULL;
}

static void apply_plan(struct ls_catalogs *cs, const struct cat_state *st,
		       const struct ls_catalog_member *m)
{
	char a[LS_DNAME_STRLEN], p[96];
	int err;

	if (!m->has_plan) {
		err = cs->ops.unplan(cs->ops.ctx, m->zone);
		if (err && err != -ENOENT)
			pr_warn("catalog %s: member %s: dropping its plan failed: %s",
				st->cfg->domain, dn(m->zone, a, sizeof(a)), strerror(-err));
		return;
	}
	ls_catalog_plan_str(&m->plan, p, sizeof(p));
	err = cs->ops.plan(cs->ops.ctx, m->zone, m->plan.serial, (uint64_t)m->plan.at_unix,
			   m->plan.at_nsec);
	if (err == -ESTALE)
		pr_notice("catalog %s: member %s: plan %s names a serial older than the live "
			  "one; ignored",
			  st->cfg->domain, dn(m->zone, a, sizeof(a)), p);
	else if (err)
		pr_warn("catalog %s: member %s: plan %s not accepted: %s", st->cfg->domain,
			dn(m->zone, a, sizeof(a)), p, strerror(-err));
	else
		pr_info("catalog %s: member %s: plan %s", st->cfg->domain,
			dn(m->zone, a, sizeof(a)), p);
}

static int add_member(struct ls_catalogs *cs, struct cat_state *st,
		      const struct ls_catalog_member *m)
{
	char a[LS_DNAME_STRLEN], id[LS_DNAME_STRLEN];
	int err = cs->ops.add_zone(cs->ops.ctx, m->zone, group_settings(st, m));

	if (err && err != -EEXIST) {
		pr_err("catalog %s: member %s: cannot add the zone: %s", st->cfg->domain,
		       dn(m->zone, a, sizeof(a)), strerror(-err));
		return err;
	}
	pr_info("catalog %s: member %s added (unique id %s%s%s)", st->cfg->domain,
		dn(m->zone, a, sizeof(a)), dn(m->id, id, sizeof(id)),
		m->has_group ? ", group " : "", m->has_group ? m->group : "");
	return 0;
}

/*
 * Try to make catalog @st the owner of its member @idx. @quiet: a retry for
 * a member that was refused before, which need not be logged again.
 */
static void claim(struct ls_catalogs *cs, struct cat_state *st, size_t idx, bool quiet)
{
	const struct ls_catalog_member *m = &st->cur->members[idx], *om = NULL;
	struct cat_state *owner;
	char a[LS_DNAME_STRLEN];

	if (st->owned[idx])
		return;
	if (ls_config_zone_find(cs->cfg, m->zone) || state_of(cs, m->zone)) {
		if (!quiet)
			pr_notice("catalog %s: member %s is configured as a %s on this node; the "
				  "configuration wins",
				  st->cfg->domain, dn(m->zone, a, sizeof(a)),
				  state_of(cs, m->zone) ? "catalog" : "zone");
		return;
	}
	owner = owner_of(cs, m->zone, &om);
	if (owner && om->has_coo && ls_dname_equal(om->coo, st->name)) {
		/* RFC 9432 §5.5: the owner handed the zone over; its data stays */
		owner->owned[om - owner->cur->members] = false;
		st->owned[idx] = true;
		pr_notice("catalog %s: member %s taken over from catalog %s (coo)", st->cfg->domain,
			  dn(m->zone, a, sizeof(a)), owner->cfg->domain);
		apply_plan(cs, st, m);
		return;
	}
	if (owner) {
		if (!quiet)
			pr_warn("catalog %s: member %s is already a member of catalog %s; ignored",
				st->cfg->domain, dn(m->zone, a, sizeof(a)), owner->cfg->domain);
		return;
	}
	if (add_member(cs, st, m))
		return;
	st->owned[idx] = true;
	apply_plan(cs, st, m);
}

static void release(struct ls_catalogs *cs, const struct cat_state *st,
		    const struct ls_catalog_member *m, const char *why)
{
	char a[LS_DNAME_STRLEN];
	int err = cs->ops.remove_zone(cs->ops.ctx, m->zone);

	if (err && err != -ENOENT)
		pr_warn("catalog %s: member %s: removing the zone failed: %s", st->cfg->domain,
			dn(m->zone, a, sizeof(a)), strerror(-err));
	pr_info("catalog %s: member %s %s", st->cfg->domain, dn(m->zone, a, sizeof(a)), why);
}

/* Members nobody owns (their owner let them go) go to a catalog that lists them. */
static void claim_orphans(struct ls_catalogs *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		struct cat_state *st = &cs->v[i];

		for (size_t k = 0; st->cur && k < st->cur->member_count; k++)
			if (!st->owned[k] && !owner_of(cs, st->cur->members[k].zone, NULL))
				claim(cs, st, k, true);
	}
}

static void log_notes(const struct cat_state *st, const struct ls_catalog *c)
{
	for (size_t i = 0; i < c->note_count; i++)
		pr_warn("catalog %s serial %" PRIu32 ": %s", st->cfg->domain, c->serial,
			c->notes[i]);
	if (c->notes_suppressed)
		pr_warn("catalog %s serial %" PRIu32 ": ... and %zu more", st->cfg->domain,
			c->serial, c->notes_suppressed);
}

/* An owned member that changed: reset, new settings, or a new plan. */
static void apply_change(struct ls_catalogs *cs, struct cat_state *st,
			 const struct ls_catalog_delta *d)
{
	char a[LS_DNAME_STRLEN];

	if (d->changes & (LS_CATALOG_ID | LS_CATALOG_GROUP)) {
		/* RFC 9432 §5.6 (new unique-N), or new settings: start the zone afresh */
		release(cs, st, d->old,
			d->changes & LS_CATALOG_ID ? "reset (new unique id)" :
						     "re-added (group changed)");
		if (add_member(cs, st, d->new) == 0)
			apply_plan(cs, st, d->new);
		return;
	}
	if (d->changes & LS_CATALOG_COO)
		pr_info("catalog %s: member %s: coo %s", st->cfg->domain,
			dn(d->new->zone, a, sizeof(a)),
			d->new->has_coo ? "set; another catalog may take it over" : "cleared");
	if (d->changes & LS_CATALOG_PLAN)
		apply_plan(cs, st, d->new);
}

int ls_catalogs_update(struct ls_catalogs *cs, const struct ls_zone *zone)
{
	struct cat_state *st = state_of(cs, ls_zone_origin(zone));
	struct ls_catalog *next = NULL;
	struct ls_catalog_diff diff;
	bool *owned = NULL;
	char why[512];
	int err;

	if (!st)
		return -ENOENT;
	err = ls_catalog_parse(zone, st->cur, &next, why, sizeof(why));
	if (err) {
		pr_err("catalog %s serial %" PRIu32 " refused: %s; keeping the %zu member(s) in "
		       "force",
		       st->cfg->domain, ls_zone_serial(zone), why,
		       st->cur ? st->cur->member_count : 0);
		return err;
	}
	log_notes(st, next);
	err = ls_catalog_diff(st->cur, next, &diff);
	if (err)
		goto free_next;
	owned = calloc(next->member_count + 1, sizeof(*owned));
	if (!owned) {
		err = -ENOMEM;
		goto free_diff;
	}
	for (size_t j = 0; j < next->member_count; j++) {
		const struct ls_catalog_member *o = ls_catalog_find(st->cur, next->members[j].zone);

		owned[j] = o && st->owned[o - st->cur->members];
	}
	/* removals and changes first, against the old list the deltas point into */
	for (size_t i = 0; i < diff.count; i++) {
		const struct ls_catalog_delta *d = &diff.v[i];

		if (d->old && !st->owned[d->old - st->cur->members])
			continue;
		if (d->changes & LS_CATALOG_REMOVED)
			release(cs, st, d->old, "removed");
		else if (d->old)
			apply_change(cs, st, d);
	}
	pr_notice("catalog %s serial %" PRIu32 ": %zu member(s); %zu added, %zu removed, %zu "
		  "changed",
		  st->cfg->domain, next->serial, next->member_count, diff.added, diff.removed,
		  diff.changed);
	ls_catalog_diff_free(&diff);
	ls_catalog_free(st->cur);
	free(st->owned);
	st->cur = next;
	st->owned = owned;
	/* then additions, and members other catalogs let go */
	for (size_t j = 0; j < next->member_count; j++)
		if (!owned[j])
			claim(cs, st, j, false);
	claim_orphans(cs);
	return 0;

free_diff:
	ls_catalog_diff_free(&diff);
free_next:
	ls_catalog_free(next);
	return err;
}

static void state_clear(struct cat_state *st)
{
	ls_catalog_free(st->cur);
	free(st->owned);
	st->cur = NULL;
	st->owned = NULL;
}

static int states_for(const struct ls_config *cfg, struct cat_state **out)
{
	struct cat_state *v = calloc(cfg->catalog_count + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->catalog_count; i++) {
		v[i].cfg = &cfg->catalogs[i];
		ls_dname_copy_lower(v[i].name, cfg->catalogs[i].name);
	}
	*out = v;
	return 0;
}

int ls_catalogs_new(const struct ls_config *cfg, const struct ls_catalogs_ops *ops,
		    struct ls_catalogs **out)
{
	struct ls_catalogs *cs;
	int err;

	*out = NULL;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	cs->cfg = cfg;
	cs->ops = *ops;
	err = states_for(cfg, &cs->v);
	if (err) {
		free(cs);
		return err;
	}
	cs->n = cfg->catalog_count;
	*out = cs;
	return 0;
}

int ls_catalogs_reconfigure(struct ls_catalogs *cs, const struct ls_config *cfg)
{
	struct cat_state *v;
	char a[LS_DNAME_STRLEN];
	int err = states_for(cfg, &v);

	if (err)
		return err;
	/* catalogs that stay keep their lists; the rest give up their members */
	for (size_t i = 0; i < cs->n; i++) {
		struct cat_state *old = &cs->v[i];
		bool kept = false;

		for (size_t j = 0; j < cfg->catalog_count && !kept; j++) {
			if (!ls_dname_equal(v[j].name, old->name))
				continue;
			v[j].cur = old->cur;
			v[j].owned = old->owned;
			old->cur = NULL;
			old->owned = NULL;
			kept = true;
		}
		for (size_t k = 0; !kept && old->cur && k < old->cur->member_count; k++)
			if (old->owned[k])
				release(cs, old, &old->cur->members[k],
					"removed (catalog removed)");
		state_clear(old);
	}
	free(cs->v);
	cs->v = v;
	cs->n = cfg->catalog_count;
	cs->cfg = cfg;
	/* a member that is now a configured zone or catalog belongs to the configuration */
	for (size_t i = 0; i < cs->n; i++) {
		struct cat_state *st = &cs->v[i];

		for (size_t k = 0; st->cur && k < st->cur->member_count; k++) {
			const uint8_t *z = st->cur->members[k].zone;

			if (st->owned[k] && (ls_config_zone_find(cfg, z) || state_of(cs, z))) {
				st->owned[k] = false;
				pr_notice("catalog %s: member %s is now configured on this node; "
					  "the configuration wins",
					  st->cfg->domain, dn(z, a, sizeof(a)));
			}
		}
	}
	claim_orphans(cs);
	return 0;
}

void ls_catalogs_free(struct ls_catalogs *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->n; i++)
		state_clear(&cs->v[i]);
	free(cs->v);
	free(cs);
}
