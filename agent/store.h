/* SPDX-License-Identifier: MIT */
/*
 * store.h — verified zone versions and accepted plans on disk (node.state-dir).
 *
 * Owns: the files in the state directory. Per zone:
 *   <zone>.<serial>.live    the version being served (at most one);
 *   <zone>.<serial>.staged  verified versions waiting (for a plan's T, or for
 *                           a plan at all under `activation: plans-only`);
 *   <zone>.plan             the plan accepted for the zone (text, one line);
 *   corrupt/                files that failed their checks, moved aside.
 * <zone> is the zone's name without the final dot ("_root" for the root),
 * lowercased, with every byte outside [a-z0-9-_.] written as %XX, so a
 * hostile name (a catalog member called "../x") cannot escape the directory.
 *
 * A version file is one header, the records, and a SHA-256 over both:
 *   "LSZONE1\n" | u32 format | u32 serial | u64 records | u64 payload octets
 *   | u64 verified (UNIX s) | u16 verdict length | verdict | u8 origin length
 *   | origin (wire) | payload | SHA-256 of everything before it
 * all integers big-endian. Each record in the payload is
 *   u8 owner length (0: the previous owner again) | owner | u16 type
 *   | u32 TTL | u16 rdata length | rdata
 * in the zone's canonical order, so reading it back is one pass through a
 * zone builder with no sorting surprises. Every write goes to a dot-file,
 * is fsync()ed, renamed into place and the directory fsync()ed: a crash
 * leaves either the old state or the new one, and a torn file (a crash of
 * the disk, not of the process) fails its length or checksum check.
 *
 * Must not: decide what is served (zonemgr does), verify DNSSEC or ZONEMD
 * (a re-read version goes through the verifier like any other), or log
 * anything but what it moves aside. Thread-safe for different files: the
 * zone manager writes from its worker thread and renames from the loop.
 */
#ifndef LOCKSTEP_AGENT_STORE_H
#define LOCKSTEP_AGENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/zone.h"

struct ls_store;

enum ls_store_kind {
	LS_STORE_STAGED = 0,
	LS_STORE_LIVE = 1,
};

/* What the header of a version file says. */
struct ls_store_meta {
	uint8_t origin[LS_DNAME_MAXLEN];
	uint32_t serial;
	uint64_t records;
	uint64_t verified_unix;
	char verdict[256];
};

/* One file found for a zone by ls_store_scan(). */
struct ls_store_entry {
	enum ls_store_kind kind;
	uint32_t serial;
	char path[4096];
};

/* A plan as stored. */
struct ls_store_plan {
	uint32_t serial;
	uint64_t at_unix;
	uint32_t at_nsec;
};

/**
 * Open the state directory @dir, which must exist (systemd's StateDirectory=
 * or the package creates it; lockstepd does not create system directories).
 * Leftover dot-files of interrupted writes are removed. Returns 0, -ENOENT,
 * -ENOTDIR, -EACCES or -ENOMEM.
 */
int ls_store_open(const char *dir, struct ls_store **out);

/** Close the store. NULL is fine. */
void ls_store_free(struct ls_store *s);

/** The directory the store was opened on. */
const char *ls_store_dir(const struct ls_store *s);

/**
 * Write @zone as a version file of @kind with @verdict ("ok"), atomically
 * and durably (see above). Replaces a file of the same zone, serial and
 * kind. Returns 0 or a negative errno (-ENOSPC, -EIO, ...); on failure
 * nothing is left behind.
 */
int ls_store_write(struct ls_store *s, const struct ls_zone *zone, enum ls_store_kind kind,
		   const char *verdict);

/**
 * Read the version file @path: every length and the checksum are checked
 * and the records go through a zone builder (so the structural checks of
 * common/zone.h run again). Returns 0 with *@zone set (and @meta filled when
 * not NULL), -EBADMSG for a torn, corrupted or structurally bad file, or the
 * errno of reading it. The caller moves a bad file aside
 * (ls_store_quarantine()).
 */
int ls_store_read(const char *path, struct ls_zone **zone, struct ls_store_meta *meta);

/** As ls_store_read() on @len octets at @p (a file's whole content). */
int ls_store_parse(const uint8_t *p, size_t len, struct ls_zone **zone, struct ls_store_meta *meta);

/**
 * Make the stored @serial of @origin the live file: the staged file is
 * renamed to live, every other live file of the zone and every staged file
 * not newer (RFC 1982) than @serial removed. Returns 0, -ENOENT when no
 * staged or live file of that serial exists, or an errno.
 */
int ls_store_make_live(struct ls_store *s, const uint8_t *origin, uint32_t serial);

/** Remove the file of @origin, @serial and @kind; 0 or -ENOENT. */
int ls_store_remove(struct ls_store *s, const uint8_t *origin, uint32_t serial,
		    enum ls_store_kind kind);

/**
 * List the version files of @origin (live first, then staged by serial
 * order of the file system) into @v (at most @cap). Returns the number
 * found (may exceed @cap) or a negative errno.
 */
int ls_store_scan(struct ls_store *s, const uint8_t *origin, struct ls_store_entry *v, size_t cap);

/** The path of the file of @origin, @serial and @kind, into @buf. */
int ls_store_path(const struct ls_store *s, const uint8_t *origin, uint32_t serial,
		  enum ls_store_kind kind, char *buf, size_t len);

/** Move a bad file into corrupt/ (never served again, kept for inspection). */
int ls_store_quarantine(struct ls_store *s, const char *path);

/** Store, read (0 / -ENOENT / -EBADMSG, bad files moved aside) or remove the plan of @origin. */
int ls_store_plan_write(struct ls_store *s, const uint8_t *origin, const struct ls_store_plan *p);
int ls_store_plan_read(struct ls_store *s, const uint8_t *origin, struct ls_store_plan *p);
int ls_store_plan_remove(struct ls_store *s, const uint8_t *origin);

/** The file name stem of @origin (see above) into @buf; its length or -ENAMETOOLONG. */
int ls_store_zone_stem(const uint8_t *origin, char *buf, size_t len);

#endif
