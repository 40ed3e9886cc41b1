/* SPDX-License-Identifier: MIT */
/*
 * catalog.h — catalog zones (RFC 9432, schema version "2") and the switch
 * plan property.
 *
 * Owns: reading one version of a catalog zone (a struct ls_zone, however it
 * arrived) into a member list — per member its name, its unique-N label, its
 * `group`, its `coo` (change of ownership) target, its custom properties
 * under `ext` (and the 2021 draft's `private-extension`), and the switch
 * plan among them (DESIGN.md "Switch plans"):
 *
 *     switch.ext.<unique-N>.zones.<catz> 0 IN TXT "serial=S" "at=YYYYMMDDHHmmSS[.fff]"
 *
 * and comparing two member lists (added, removed, changed).
 *
 * What is fatal and what is not follows the RFC: a catalog without the
 * supported version, with several PTRs for one unique-N, or with a member
 * at or below the catalog itself is broken and refused entirely (the caller
 * keeps its previous list). A bad plan, a bad group, several coo targets or
 * the same member under two unique-N are only notes: the property (or the
 * newcomer) is ignored and the rest of the catalog stands. Records the RFC
 * does not define are ignored, as §3 requires.
 *
 * Must not: log (findings are returned as notes for the caller to log),
 * know about other catalogs (clashes between catalogs, and coo migration,
 * are the agent's: agent/catalog.h), or touch the network, the clock or the
 * zone manager.
 */
#ifndef LOCKSTEP_COMMON_CATALOG_H
#define LOCKSTEP_COMMON_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"

struct ls_zone;

/* The only schema version lockstep consumes (RFC 9432 §4.2.1). */
#define LS_CATALOG_VERSION "2"
/* Notes kept per parse; more are counted in notes_suppressed. */
#define LS_CATALOG_MAX_NOTES 64
/* Longest group name (one TXT character-string). */
#define LS_CATALOG_GROUP_MAXLEN 255
/* Buffer for a unique-N label in presentation form (63 octets as \DDD). */
#define LS_CATALOG_ID_STRLEN (LS_LABEL_MAXLEN * 4 + 1)

/** A switch plan: from @at_unix (+ @at_nsec), serve exactly @serial. */
struct ls_catalog_plan {
	uint32_t serial;
	int64_t at_unix; /* UTC seconds since the epoch (leap seconds not counted) */
	uint32_t at_nsec; /* the fraction, 0..999999999 */
};

/** One custom property record (under ext or private-extension). */
struct ls_catalog_prop {
	char *name; /* owner relative to the ext label, lowercased: "switch", "a.b" */
	bool private_extension; /* under the 2021 draft's "private-extension" label */
	uint16_t type;
	uint32_t ttl;
	char *rdata; /* presentation form, as a zone file shows it */
};

struct ls_catalog_member {
	uint8_t zone[LS_DNAME_MAXLEN]; /* the member zone, lowercased wire form */
	uint8_t id[LS_LABEL_MAXLEN + 2]; /* unique-N as a one-label wire name, lowercased */
	bool has_group;
	char group[LS_CATALOG_GROUP_MAXLEN + 1];
	bool has_coo;
	uint8_t coo[LS_DNAME_MAXLEN]; /* the catalog this member may move to */
	bool has_plan;
	struct ls_catalog_plan plan;
	struct ls_catalog_prop *props; /* every ext / private-extension record, plan included */
	size_t prop_count;
};

struct ls_catalog {
	uint8_t name[LS_DNAME_MAXLEN]; /* the catalog zone, lowercased */
	uint32_t serial; /* of the version parsed */
	struct ls_catalog_member *members; /* sorted by zone name (canonical order) */
	size_t member_count;
	struct ls_catalog_prop *props; /* catalog-wide ext properties (ext.<catz>) */
	size_t prop_count;
	char **notes; /* what was ignored and why, one line each */
	size_t note_count;
	size_t notes_suppressed;
};

/* What changed for one member between two versions of a catalog. */
enum ls_catalog_change {
	LS_CATALOG_ADDED = 1u << 0,
	LS_CATALOG_REMOVED = 1u << 1,
	LS_CATALOG_ID = 1u << 2, /* new unique-N: RFC 9432 §5.6 zone reset */
	LS_CATALOG_GROUP = 1u << 3,
	LS_CATALOG_COO = 1u << 4,
	LS_CATALOG_PLAN = 1u << 5, /* plan added, removed or changed */
	LS_CATALOG_PROPS = 1u << 6, /* any ext property (the plan's included) */
};

struct ls_catalog_delta {
	const struct ls_catalog_member *old; /* NULL when added */
	const struct ls_catalog_member *new; /* NULL when removed */
	unsigned changes; /* enum ls_catalog_change */
};

/* Only members that changed appear, in zone name order. */
struct ls_catalog_diff {
	struct ls_catalog_delta *v;
	size_t count;
	size_t added, removed, changed;
};

/**
 * Read catalog @zone. @prev (may be NULL) is the list in force: when one
 * member appears under two unique-N, the one @prev knows is kept, else the
 * first in canonical order, and the other is ignored with a note.
 * Returns 0 and *@out, or — with *@out NULL and the reason in @err (may be
 * NULL) — -EPROTONOSUPPORT when the version property is missing or not
 * "2", -EBADMSG when the catalog is broken, -ENOMEM.
 */
int ls_catalog_parse(const struct ls_zone *zone, const struct ls_catalog *prev,
		     struct ls_catalog **out, char *err, size_t errlen);

/** Free a catalog; NULL is fine. */
void ls_catalog_free(struct ls_catalog *cat);

/** The member named @zone (any case), or NULL. */
const struct ls_catalog_member *ls_catalog_find(const struct ls_catalog *cat, const uint8_t *zone);

/**
 * Compare two lists (either may be NULL: empty). The deltas point into
 * @old and @new, which must outlive @diff. Returns 0 or -ENOMEM.
 */
int ls_catalog_diff(const struct ls_catalog *old, const struct ls_catalog *new,
		    struct ls_catalog_diff *diff);
void ls_catalog_diff_free(struct ls_catalog_diff *diff);

/**
 * Parse the rdata of a switch property (a TXT RR: one character-string
 * "serial=S" with S in 0..4294967295 and one "at=TIMESTAMP", in any order,
 * nothing else) into @plan. TIMESTAMP is YYYYMMDDHHmmSS in UTC (years
 * 1970..9999, a real calendar date, seconds 0..59), optionally followed by
 * '.' and 1 to 9 digits of fraction. Returns 0, or -EINVAL with the reason
 * in @err.
 */
int ls_catalog_plan_parse(const uint8_t *rdata, size_t len, struct ls_catalog_plan *plan, char *err,
			  size_t errlen);

/**
 * Parse a TIMESTAMP as above ("20261122183000", "20261122183000.250").
 * Returns 0 or -EINVAL.
 */
int ls_catalog_timestamp_parse(const char *s, size_t len, int64_t *unix_sec, uint32_t *nsec);

/** Format "serial=S at=YYYYMMDDHHmmSS[.fffffffff]" into @buf; returns @buf. */
const char *ls_catalog_plan_str(const struct ls_catalog_plan *plan, char *buf, size_t len);

#endif
