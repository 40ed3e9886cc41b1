/* SPDX-License-Identifier: MIT */
/*
 * dname.h — domain names.
 *
 * Owns: the uncompressed wire form of a name (a sequence of length-prefixed
 * labels ending in the root label, at most 255 octets, labels at most 63),
 * conversion to and from presentation form (with "\." and "\DDD" escapes),
 * reading names out of DNS messages (compression pointers followed, loops and
 * forward pointers refused), case-insensitive comparison, canonical ordering
 * (RFC 4034 §6.1) and lowercasing.
 * Must not: allocate. Every function works in caller-provided buffers; a
 * "name" argument is always a valid uncompressed wire name unless the
 * function says it validates one.
 */
#ifndef LOCKSTEP_COMMON_DNAME_H
#define LOCKSTEP_COMMON_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LS_DNAME_MAXLEN 255 /* octets of wire form, root label included */
#define LS_LABEL_MAXLEN 63
#define LS_DNAME_MAXLABELS 127 /* not counting the root label */
/* Longest presentation form: every octet as "\DDD", plus dots and NUL. */
#define LS_DNAME_STRLEN (LS_DNAME_MAXLEN * 4 + 2)

/**
 * Validate an uncompressed wire name at the start of @buf (at most @buflen
 * octets) and return its length, or -EBADMSG when it is truncated, has a
 * label over 63 octets, a compression pointer or reserved label type, or
 * exceeds 255 octets.
 */
int ls_dname_wire_check(const uint8_t *buf, size_t buflen);

/** Length of a valid wire name (root label included). */
size_t ls_dname_len(const uint8_t *name);

/**
 * Read a possibly compressed name from a DNS message.
 * @msg/@msglen: the whole message; @pos: offset of the name, advanced past
 * its in-place octets (a pointer counts two) on success. The name is written
 * uncompressed to @dst (LS_DNAME_MAXLEN octets) when @dst is not NULL.
 * A pointer must point strictly before the start of the label sequence that
 * holds it, which both refuses forward pointers and makes loops impossible.
 * Returns the uncompressed length, or -EBADMSG (truncated, bad label type,
 * forward or looping pointer, over 255 octets).
 */
int ls_dname_unpack(uint8_t *dst, const uint8_t *msg, size_t msglen, size_t *pos);

/**
 * Parse a presentation-form name into wire form.
 * A name not ending in an unescaped dot is relative and gets @origin appended
 * (it must be absolute when @origin is NULL); "@" alone means @origin.
 * Returns the wire length, -EINVAL for bad syntax (empty label, bad escape,
 * relative name without origin) or -EMSGSIZE for a label over 63 octets or a
 * name over 255.
 */
int ls_dname_from_str(uint8_t dst[LS_DNAME_MAXLEN], const char *str, const uint8_t *origin);

/**
 * Write a name in presentation form, absolute (with the trailing dot; the
 * root is "."). Octets outside letters, digits, '-' and '_' are written as
 * "\DDD", and '.', '\\', '"', '(', ')', ';', '@', '$' as "\c".
 * Returns the string length, or -ENOSPC if @dstlen is too small.
 */
int ls_dname_to_str(char *dst, size_t dstlen, const uint8_t *name);

/** Case-insensitive (ASCII only, as RFC 4343) equality. */
bool ls_dname_equal(const uint8_t *a, const uint8_t *b);

/** Canonical order of RFC 4034 §6.1: <0, 0 or >0. Case-insensitive. */
int ls_dname_cmp(const uint8_t *a, const uint8_t *b);

/** Lowercase ASCII letters in place. */
void ls_dname_lower(uint8_t *name);

/** Copy @src to @dst, lowercasing; returns the length. */
size_t ls_dname_copy_lower(uint8_t *dst, const uint8_t *src);

/** Number of labels, not counting the root label ("." has 0). */
int ls_dname_labels(const uint8_t *name);

/** True when @name equals @parent or lies below it. */
bool ls_dname_is_sub(const uint8_t *name, const uint8_t *parent);

/** True when the first label is the single octet '*'. */
bool ls_dname_is_wildcard(const uint8_t *name);

/** The name without its first label; NULL for the root. Points into @name. */
const uint8_t *ls_dname_parent(const uint8_t *name);

/** Skip the first @n labels (n <= labels). Points into @name. */
const uint8_t *ls_dname_skip(const uint8_t *name, int n);

/**
 * FNV-1a hash of the lowercased name, for hash tables; equal names under
 * ls_dname_equal() hash equally.
 */
uint32_t ls_dname_hash(const uint8_t *name);

#endif
