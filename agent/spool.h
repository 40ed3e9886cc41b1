/* SPDX-License-Identifier: MIT */
/*
 * spool.h — zone files delivered into a directory (node.spool-dir).
 *
 * Owns: watching the spool directory with inotify (IN_MOVED_TO and
 * IN_CLOSE_WRITE: a file is taken once it is complete — renamed into place,
 * or closed after writing); the files already there at start; moving each
 * taken file to .taken/ while it is verified, then to done/ (accepted) or
 * rejected/ (refused), with the verdict logged. Names starting with '.' or
 * ending in ".tmp" are never taken: that is where senders write before the
 * rename (DESIGN.md "Spool").
 * Must not: parse or verify zone files itself (zonemgr loads them off the
 * loop with $INCLUDE refused — spool input comes from outside — and
 * verifies them like any transfer), or follow symbolic links out of the
 * directory (only regular files are taken).
 */
#ifndef LOCKSTEP_AGENT_SPOOL_H
#define LOCKSTEP_AGENT_SPOOL_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

struct ls_spool;
struct ls_zonemgr;

/** Counters, for status and tests. */
struct ls_spool_stats {
	uint64_t taken, accepted, rejected;
};

/**
 * Watch @dir (which must exist; done/, rejected/ and .taken/ are created in
 * it) on @loop and offer every complete file to @m. Files already in @dir
 * are taken at once. Returns 0 or a negative errno.
 */
int ls_spool_new(struct ev_loop *loop, const char *dir, struct ls_zonemgr *m,
		 struct ls_spool **out);

/** Stop watching; verdicts still pending are dropped (the files stay in .taken/). NULL is fine. */
void ls_spool_free(struct ls_spool *s);

const struct ls_spool_stats *ls_spool_stats(const struct ls_spool *s);

/** Whether a file name is one the spool takes (tests). */
bool ls_spool_name_ok(const char *name);

#endif
