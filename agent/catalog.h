/* SPDX-License-Identifier: MIT */
/*
 * catalog.h — the node's catalog zones: which zones their versions add,
 * remove and plan.
 *
 * Owns: for every configured `catalog`, the member list in force (the last
 * version that parsed, common/catalog.h) and which of its members this
 * catalog owns on this node; applying a new verified version of a catalog
 * zone as the difference to the list in force: members added are
 * registered as zones (with the settings their `group` maps to), members
 * removed are dropped, a new unique-N resets the zone (RFC 9432 §5.6),
 * switch plans are accepted or dropped. Ownership across catalogs: a zone
 * named by two catalogs belongs to the first that listed it and the
 * newcomer is logged and ignored — unless the owner's entry names the
 * newcomer in `coo` (RFC 9432 §5.5: then ownership moves, the zone keeps its
 * data); a zone configured in `zone` always wins over a catalog member.
 * When an owner lets a member go, another catalog that lists it takes it.
 *
 * Must not: transfer anything (the catalog zone arrives like any zone,
 * through the zone manager; the daemon calls ls_catalogs_update() when a
 * new version of a catalog zone goes live), verify, or serve. It acts on
 * zones only through the ops below, which the daemon binds to
 * ls_zonemgr_add_zone / _remove_zone / _plan / _unplan (agent/zonemgr.h);
 * keeping the binding out of this module lets it be tested on its own.
 */
#ifndef LOCKSTEP_AGENT_CATALOG_H
#define LOCKSTEP_AGENT_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ls_catalog;
struct ls_catalogs;
struct ls_config;
struct ls_config_remote;
struct ls_zone;

/* What the catalogs do to zones; each returns 0 or a negative errno. */
struct ls_catalogs_ops {
	/* @settings_from: a configured zone whose policies to copy, or NULL */
	int (*add_zone)(void *ctx, const uint8_t *origin, const uint8_t *settings_from);
	int (*remove_zone)(void *ctx, const uint8_t *origin);
	int (*plan)(void *ctx, const uint8_t *origin, uint32_t serial, uint64_t at_unix,
		    uint32_t at_nsec);
	int (*unplan)(void *ctx, const uint8_t *origin);
	void *ctx;
};

/**
 * Set up the catalogs of @cfg (empty until their first version arrives).
 * @cfg must stay valid until ls_catalogs_reconfigure() replaces it or the
 * catalogs are freed. Returns 0 or -ENOMEM.
 */
int ls_catalogs_new(const struct ls_config *cfg, const struct ls_catalogs_ops *ops,
		    struct ls_catalogs **out);

/** Drop everything (zones are not removed: the zone manager goes too). NULL is fine. */
void ls_catalogs_free(struct ls_catalogs *cs);

/** True when @origin is a configured catalog zone. */
bool ls_catalogs_is_catalog(const struct ls_catalogs *cs, const uint8_t *origin);

/**
 * A new version of catalog zone @zone went live: parse it and apply the
 * difference. A broken catalog (or one without version "2") is refused
 * with one error line and the member list in force stays (RFC 9432 §3);
 * every note of the parser (a bad plan, a clash, ...) is logged as a
 * warning. Returns 0, -ENOENT when @zone is not a configured catalog,
 * -EPROTONOSUPPORT / -EBADMSG for a refused catalog, -ENOMEM.
 */
int ls_catalogs_update(struct ls_catalogs *cs, const struct ls_zone *zone);

/**
 * Apply a new configuration (SIGHUP): catalogs removed give up their
 * members, catalogs added start empty, members that are now configured
 * zones are let go, and a changed group mapping is logged (it takes effect
 * when the member is next added). Returns 0 or -ENOMEM.
 */
int ls_catalogs_reconfigure(struct ls_catalogs *cs, const struct ls_config *cfg);

/**
 * The primaries of member zone @zone — those of the catalog that owns it —
 * for the transfer client. Returns 0, or -ENOENT when no catalog owns it.
 */
int ls_catalogs_primaries(const struct ls_catalogs *cs, const uint8_t *zone,
			  const struct ls_config_remote *const **primaries, size_t *count);

/** The member list in force for catalog @catalog (NULL: none yet or unknown). */
const struct ls_catalog *ls_catalogs_members(const struct ls_catalogs *cs, const uint8_t *catalog);

/** The catalog that owns member @zone (its wire name), or NULL. */
const uint8_t *ls_catalogs_owner(const struct ls_catalogs *cs, const uint8_t *zone);

#endif
