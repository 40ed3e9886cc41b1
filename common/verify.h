/* SPDX-License-Identifier: MIT */
/*
 * verify.h — the integrity verifier (RFC 3258 §2.3 steps b and d).
 *
 * Owns: deciding whether one version of one zone may be served: structure
 * (the zone builder's checks, run when a zone is loaded through this module),
 * serial arithmetic against the live version (RFC 1982), ZONEMD (RFC 8976,
 * SIMPLE with SHA-384/SHA-512), DNSSEC (every RRSIG against the apex DNSKEY
 * RRset, an algorithm-complete signature set per authoritative RRset, the
 * DNSKEY RRset signed by a SEP key, delegations, NSEC/NSEC3 chains, validity
 * windows at a given instant plus a margin) and size limits enforced while
 * reading. Signature checks run on several threads; everything else runs on
 * the caller's.
 * Must not: change a zone, read the clock except when the caller asks for
 * "now" (at == 0), log, or decide what the agent does with a verdict.
 * The verdict names the zone, the serial, the check and the offending record
 * in every finding.
 */
#ifndef LOCKSTEP_COMMON_VERIFY_H
#define LOCKSTEP_COMMON_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/zone.h"

/* How a check applies to a zone. */
enum ls_verify_policy {
	LS_VERIFY_OFF = 0, /* not checked at all */
	LS_VERIFY_OPTIONAL = 1, /* checked when the zone carries it (ZONEMD / DNSKEY) */
	LS_VERIFY_REQUIRED = 2, /* the zone must carry it, and it must be valid */
};

/* Findings stored per verdict unless the options say otherwise. */
#define LS_VERIFY_MAX_FINDINGS 100

struct ls_verify_opts {
	enum ls_verify_policy zonemd;
	enum ls_verify_policy dnssec;
	bool has_live_serial; /* false: no live version ("none"); any serial is new */
	uint32_t live_serial;
	uint64_t at; /* UNIX seconds every signature must be valid at; 0: now */
	uint32_t margin; /* ... and still valid this many seconds after @at */
	size_t max_records; /* limits enforced while reading (loaders); 0: none */
	size_t max_bytes;
	unsigned threads; /* signature threads; 0: one per online CPU */
	size_t max_findings; /* stored findings; 0: LS_VERIFY_MAX_FINDINGS */
	bool no_include; /* loaders refuse $INCLUDE (text from outside) */
};

/** What was checked, for summaries and metrics. */
struct ls_verify_stats {
	size_t rrsets_signed; /* authoritative RRsets whose signatures were checked */
	size_t signatures; /* RRSIGs looked at */
	size_t signatures_ok; /* RRSIGs that verified */
	size_t keys; /* apex DNSKEYs imported */
	size_t denial; /* NSEC or NSEC3 records checked */
	bool nsec3; /* the chain is NSEC3 */
	bool zonemd_ok; /* a ZONEMD digest matched */
	unsigned threads; /* signature threads used */
};

/**
 * A verdict. @zone and @serial are those of the version checked (when the
 * zone did not load, @zone is the requested origin and @has_serial false).
 * @findings holds errors and warnings in check order (structure, serial,
 * ZONEMD, DNSSEC signatures in canonical order, denial chain); NULL when
 * there are none.
 */
struct ls_verify_result {
	char zone[LS_DNAME_STRLEN];
	uint32_t serial;
	bool has_serial;
	bool valid;
	struct ls_zone_problems *findings;
	struct ls_verify_stats stats;
};

/** Defaults: ZONEMD and DNSSEC optional, no live serial, now, no margin. */
void ls_verify_opts_init(struct ls_verify_opts *o);

/**
 * Verify a built zone (structure already passed at finish). @res is
 * overwritten; free it with ls_verify_result_free(). Returns 0 when the zone
 * is valid, -EBADMSG when it is not (the reasons are in @res->findings),
 * -ENOMEM or another negative errno when the check itself failed.
 */
int ls_verify_zone(const struct ls_zone *z, const struct ls_verify_opts *o,
		   struct ls_verify_result *res);

/**
 * Load the zone file @path (origin as ls_zonefile_load(): NULL guesses)
 * with @o's limits, then verify it. Load problems become findings.
 * Returns 0 valid, -EBADMSG invalid (bad syntax, structure, limits, or
 * verification), an errno such as -ENOENT when the file cannot be read, or
 * -ENOMEM. On 0 and -EBADMSG after a successful load, *@zone (when @zone is
 * not NULL) receives the zone, else NULL.
 */
int ls_verify_file(const char *path, const uint8_t *origin, const struct ls_verify_opts *o,
		   struct ls_verify_result *res, struct ls_zone **zone);

/** As ls_verify_file() for zone text in memory; @origin is required. */
int ls_verify_string(const char *text, size_t len, const char *name, const uint8_t *origin,
		     const struct ls_verify_opts *o, struct ls_verify_result *res,
		     struct ls_zone **zone);

/** Free what a result holds (not @res itself); NULL is fine. */
void ls_verify_result_free(struct ls_verify_result *res);

/**
 * Format one finding of @res as
 * "ZONE serial N: [file:line: ][warning: ]check: owner TYPE rdata — message".
 * Returns the length needed (snprintf semantics).
 */
int ls_verify_format(char *dst, size_t dstlen, const struct ls_verify_result *res,
		     const struct ls_zone_problem *p);

/** "off", "optional", "required" -> policy; -EINVAL otherwise. */
int ls_verify_policy_from_str(const char *s, enum ls_verify_policy *p);
const char *ls_verify_policy_name(enum ls_verify_policy p);

/**
 * Parse a time as YYYYMMDDHHmmSS (UTC, 14 digits, a real calendar date, as
 * ls_catalog_timestamp_parse() reads it) or as UNIX seconds (any other run
 * of digits). Returns 0 or -EINVAL.
 */
int ls_verify_time_from_str(const char *s, uint64_t *t);

#endif
