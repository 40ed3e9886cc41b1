/* SPDX-License-Identifier: MIT */
/*
 * zonefile.h — RFC 1035 master files into the zone model.
 *
 * Owns: reading zone text through libzscanner ($ORIGIN, $TTL and $INCLUDE
 * are the scanner's; $GENERATE, which libzscanner lacks, is expanded here in
 * BIND's syntax, at most 65536 records per directive), feeding every record
 * with its file:line into a zone builder, and turning scanner errors into
 * problems — all of them, up to a limit, not only the first; a fatal
 * scanner error (a bad directive, an unclosed parenthesis) ends the read.
 * $INCLUDE paths are relative to the directory of the including file, as in
 * Knot, and problems in an included file name that file (absolute path);
 * nesting is bounded, and includes can be refused for untrusted text.
 * A record spanning lines (parentheses) is reported at its last line: that
 * is where the scanner completes it.
 * Must not: keep anything after a load returns, or decide policy (what a
 * caller does with a zone that has warnings is the caller's business).
 */
#ifndef LOCKSTEP_COMMON_ZONEFILE_H
#define LOCKSTEP_COMMON_ZONEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/zone.h"

#define LS_ZONEFILE_DEFAULT_TTL 3600
#define LS_ZONEFILE_MAX_ERRORS 100
#define LS_ZONEFILE_MAX_INCLUDE_DEPTH 8

struct ls_zonefile_opts {
	uint32_t default_ttl; /* for records before any $TTL; 0: LS_ZONEFILE_DEFAULT_TTL */
	size_t max_records; /* builder limits, 0: none */
	size_t max_bytes;
	unsigned max_errors; /* stop after this many bad records; 0: LS_ZONEFILE_MAX_ERRORS */
	bool no_include; /* refuse $INCLUDE (text from outside, fuzzing) */
};

/**
 * Load and check the zone file at @path.
 * @origin: the zone's name (wire form); NULL to guess: the file name without
 * a trailing ".zone", ".db" or ".txt" when that parses as a name, else the
 * root — and if the first SOA in the file is owned by another name, the file
 * is read once more with that owner as the origin, so a file that sets its
 * own $ORIGIN needs no origin from the caller.
 * @opts may be NULL for defaults.
 * Returns 0 with *@zone set; -EBADMSG when the zone has errors (syntax or
 * structure); -EFBIG when a limit was exceeded; an errno such as -ENOENT,
 * -EACCES or -EISDIR when @path cannot be read; -ENOMEM. *@zone is NULL on
 * every failure. *@problems, when @problems is not NULL, receives every
 * problem (errors and warnings, each with file:line where known) or NULL.
 */
int ls_zonefile_load(const char *path, const uint8_t *origin, const struct ls_zonefile_opts *opts,
		     struct ls_zone **zone, struct ls_zone_problems **problems);

/**
 * As ls_zonefile_load() for zone text in memory; @name is the file name
 * used in problems (may be NULL: "<string>"), @origin is required.
 * Relative $INCLUDEs are taken from the current directory; set
 * opts->no_include for text from outside.
 */
int ls_zonefile_load_string(const char *text, size_t len, const char *name, const uint8_t *origin,
			    const struct ls_zonefile_opts *opts, struct ls_zone **zone,
			    struct ls_zone_problems **problems);

/**
 * The origin guessed from a file name (see ls_zonefile_load()): the base
 * name without ".zone", ".db" or ".txt", as an absolute name. Returns the wire
 * length, or -EINVAL when it does not parse as a name.
 */
int ls_zonefile_origin_from_path(const char *path, uint8_t origin[LS_DNAME_MAXLEN]);

#endif
