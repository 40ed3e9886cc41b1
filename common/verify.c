/* SPDX-License-Identifier: MIT */
/*
 * verify.c — see verify.h.
 *
 * Order of work in ls_verify_zone():
 *  1. serial on the caller's thread;
 *  2. apex DNSKEYs imported once; then worker threads take the nodes in
 *     chunks of CHUNK_NODES from an atomic counter and check every RRSIG
 *     there (window, key, signature), the per-algorithm coverage of every
 *     authoritative RRset, and that nothing non-authoritative is signed;
 *     each chunk keeps its own findings, so the merged verdict is in
 *     canonical order whatever the scheduling; each worker has its own
 *     ls_dnssec_verifier, so a signature check sets up no OpenSSL context;
 *  3. meanwhile the caller's thread computes ZONEMD (one pass over the zone
 *     feeds every digest the ZONEMD RRset asks for) and checks the NSEC or
 *     NSEC3 chain, then joins the workers as one of them.
 * Signature checks dominate (a P-256 verification costs ~60 µs of CPU here,
 * everything else ~6% of a run), so they are what is spread; the rest
 * overlaps them instead of preceding them. Without DNSSEC, ZONEMD runs
 * alone after the serial.
 *
 * Findings are struct ls_zone_problem, the same as the loader's, so a
 * verdict lists structure, syntax and integrity problems alike.
 */
#include "common/verify.h"

#include "common/catalog.h"
#include "common/dnssec.h"
#include "common/grow.h"
#include "common/rdata.h"
#include "common/serial.h"
#include "common/wire.h"
#include "common/zonefile.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_NODES 512
#define MAX_THREADS 64
#define ZONEMD_SCHEME_SIMPLE 1
#define ZONEMD_MIN_DIGEST 12
#define NSEC3_FLAG_OPTOUT 0x01

/* ---- findings ----------------------------------------------------------- */

/*
 * A finding list with its own cap: the zone module's lists stop at
 * LS_ZONE_MAX_PROBLEMS; a verdict stops at opts->max_findings and only
 * counts the rest.
 */
struct flist {
	struct ls_zone_problems p;
	size_t cap;
	/*
	 * Signature chunks only (NULL otherwise): chunks with an index at or
	 * above *skip_from only count their findings. It is lowered only when
	 * earlier chunks are known to hold at least @cap stored findings, so
	 * what is skipped would be cut at the merge anyway, and which findings
	 * a verdict shows never depends on thread timing.
	 */
	_Atomic size_t *skip_from;
	size_t index; /* the chunk's index */
	int err; /* -ENOMEM seen */
};

static void flist_init(struct flist *f, size_t cap, _Atomic size_t *skip_from, size_t index)
{
	memset(f, 0, sizeof(*f));
	f->cap = cap;
	f->skip_from = skip_from;
	f->index = index;
}

/* *@a = min(*@a, @v), atomically. */
static void atomic_lower(_Atomic size_t *a, size_t v)
{
	size_t cur = atomic_load_explicit(a, memory_order_relaxed);

	while (v < cur && !atomic_compare_exchange_weak_explicit(a, &cur, v, memory_order_relaxed,
								 memory_order_relaxed))
		;
}

static void flist_release(struct flist *f)
{
	for (size_t i = 0; i < f->p.count; i++) {
		free(f->p.v[i].file);
		free(f->p.v[i].owner);
		free(f->p.v[i].rdata);
		free(f->p.v[i].message);
	}
	free(f->p.v);
	memset(&f->p, 0, sizeof(f->p));
}

static bool flist_room(struct flist *f)
{
	if (f->skip_from && f->index >= atomic_load_explicit(f->skip_from, memory_order_relaxed))
		return false;
	return f->p.count < f->cap;
}

/* The presentation form of rdata, heap-allocated (RRSIGs are long). */
static char *rdata_str(uint16_t type, const uint8_t *rdata, size_t len)
{
	size_t cap = len * 4 + 256;
	char *s = malloc(cap);

	if (s && ls_rdata_to_str(s, cap, type, rdata, len) < 0)
		snprintf(s, cap, "(%zu octets, malformed)", len);
	return s;
}

static void flist_add(struct flist *f, enum ls_zone_severity sev, const char *check,
		      const uint8_t *owner, uint16_t type, const uint8_t *rdata, size_t rdlen,
		      const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/*
 * Record a finding about @owner/@type (the record @rdata when not NULL).
 * Formatting happens only for findings that are stored.
 */
static void flist_add(struct flist *f, enum ls_zone_severity sev, const char *check,
		      const uint8_t *owner, uint16_t type, const uint8_t *rdata, size_t rdlen,
		      const char *fmt, ...)
{
	char obuf[LS_DNAME_STRLEN], msg[1024];
	char *rs = NULL;
	va_list ap;
	int err;

	if (!flist_room(f)) {
		if (sev == LS_ZONE_ERROR)
			f->p.errors++;
		else
			f->p.warnings++;
		f->p.suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (owner && ls_dname_to_str(obuf, sizeof(obuf), owner) < 0)
		snprintf(obuf, sizeof(obuf), "(bad name)");
	if (rdata)
		rs = rdata_str(type, rdata, rdlen);
	err = ls_zone_problems_add(&f->p, sev, check, NULL, 0, owner ? obuf : NULL, type, rs, msg);
	free(rs);
	if (err)
		f->err = err;
	else if (f->skip_from && f->p.count >= f->cap)
		/* this chunk alone fills the verdict: later ones need not store */
		atomic_lower(f->skip_from, f->index + 1);
}

/* Move the findings of @src to the end of @dst (which keeps its own cap). */
static int flist_move(struct ls_zone_problems *dst, size_t cap, struct ls_zone_problems *src)
{
	dst->errors += src->errors;
	dst->warnings += src->warnings;
	dst->suppressed += src->suppressed;
	for (size_t i = 0; i < src->count; i++) {
		struct ls_zone_problem *q = &src->v[i];
		if (dst->count >= cap) {
			dst->suppressed++;
			free(q->file);
			free(q->owner);
			free(q->rdata);
			free(q->message);
			continue;
		}
		if (dst->count == dst->cap) {
			size_t ncap = dst->cap ? dst->cap * 2 : 16;
			struct ls_zone_problem *v = realloc(dst->v, ncap * sizeof(*v));
			if (!v) {
				/* give the rest back to @src's owner to free */
				memmove(src->v, src->v + i, (src->count - i) * sizeof(*q));
				src->count -= i;
				return -ENOMEM;
			}
			dst->v = v;
			dst->cap = ncap;
		}
		dst->v[dst->count++] = *q;
	}
	/* moved, counts included: a second move of the same list adds nothing */
	src->count = 0;
	src->errors = 0;
	src->warnings = 0;
	src->suppressed = 0;
	return 0;
}

/* ---- small helpers ------------------------------------------------------ */

static bool node_has(const struct ls_zone *z, const struct ls_zone_node *n, uint16_t type)
{
	return ls_zone_node_rrset(z, n, type) != NULL;
}

static uint16_t rrsig_group_covered(const struct ls_zone *z, const struct ls_zone_rrset *rs)
{
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	ls_zone_rdata_begin(z, rs, &it);
	if (!ls_zone_rdata_next(&it, &rd, &len) || len < 2)
		return 0;
	return ls_get16(rd);
}

/* A growable byte buffer, per thread. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
	uint8_t *p = ls_grow(b->p, &b->cap, b->len + more, 1, 4096);

	if (!p)
		return -ENOMEM;
	b->p = p;
	return 0;
}

/*
 * Copy the rdatas of @rs into @b in canonical form (RFC 4034 §6.2: names
 * in the RDATA of the listed types lowercased) and fill @refs. The zone keeps
 * the received case; digests and signatures are over canonical form.
 */
static int canon_rrset(const struct ls_zone *z, const struct ls_zone_rrset *rs, struct buf *b,
		       struct ls_dnssec_rdata_ref **refs, size_t *refs_cap)
{
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	size_t i = 0, total = 0;

	ls_zone_rdata_begin(z, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len))
		total += len;
	b->len = 0;
	if (buf_reserve(b, total + 1))
		return -ENOMEM;
	if (rs->count > *refs_cap) {
		struct ls_dnssec_rdata_ref *r = realloc(*refs, rs->count * sizeof(*r));
		if (!r)
			return -ENOMEM;
		*refs = r;
		*refs_cap = rs->count;
	}
	ls_zone_rdata_begin(z, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		uint8_t *dst = b->p + b->len;
		memcpy(dst, rd, len);
		/* checked when the zone was built; cannot fail */
		(void)ls_rdata_canonicalize(rs->type, dst, len);
		(*refs)[i].data = dst;
		(*refs)[i].len = len;
		b->len += len;
		i++;
	}
	return 0;
}

/* ---- serial ------------------------------------------------------------- */

static void check_serial(const struct ls_zone *z, const struct ls_verify_opts *o, struct flist *f)
{
	uint32_t s = ls_zone_serial(z);
	const struct ls_zone_node *apex = ls_zone_apex(z);
	const char *what;

	if (!o->has_live_serial || ls_serial_newer(s, o->live_serial))
		return;
	switch (ls_serial_cmp(s, o->live_serial)) {
	case LS_SERIAL_EQUAL:
		what = "equal to";
		break;
	case LS_SERIAL_LESS:
		what = "older than";
		break;
	default:
		what = "exactly 2^31 away from (undefined order) ";
		break;
	}
	flist_add(f, LS_ZONE_ERROR, "serial", ls_zone_node_name(z, apex), LS_TYPE_SOA, NULL, 0,
		  "serial %u is %s the live serial %u; only a newer serial (RFC 1982) is taken", s,
		  what, o->live_serial);
}

/* ---- ZONEMD (RFC 8976) --------------------------------------------------- */

static int zonemd_hash_len(uint8_t alg)
{
	return alg == LS_DNSSEC_ZONEMD_SHA384 ? 48 : alg == LS_DNSSEC_ZONEMD_SHA512 ? 64 : -1;
}

/*
 * RFC 8976 §3.3 SIMPLE: every RR in canonical order, duplicates removed,
 * except the apex ZONEMD RRset and the apex RRSIGs covering it. Glue and
 * occluded data are included. One pass feeds both hash algorithms when
 * both are wanted (@want bit 1 << alg).
 */
static int zonemd_compute(const struct ls_zone *z, unsigned want,
			  uint8_t out[3][LS_DNSSEC_DIGEST_MAXLEN])
{
	struct ls_dnssec_digest d[3] = { { 0 } };
	struct buf b = { 0 };
	size_t nn = ls_zone_node_count(z);
	int err = 0;

	for (uint8_t a = 1; a <= 2; a++) {
		if ((want & (1u << a)) && (err = ls_dnssec_digest_init(&d[a], a)))
			goto cleanup_digests;
	}
	for (size_t i = 0; i < nn; i++) {
		const struct ls_zone_node *n = ls_zone_node_at(z, i);
		const uint8_t *owner = ls_zone_node_name(z, n);
		size_t olen = ls_dname_len(owner), cnt;
		const struct ls_zone_rrset *rss = ls_zone_node_rrsets(z, n, &cnt);
		bool apex = n->flags & LS_ZONE_NODE_APEX;

		for (size_t r = 0; r < cnt; r++) {
			const struct ls_zone_rrset *rs = &rss[r];
			struct ls_zone_rdata_iter it;
			const uint8_t *rd;
			uint16_t len;

			if (apex && (rs->type == LS_TYPE_ZONEMD ||
				     (rs->type == LS_TYPE_RRSIG &&
				      rrsig_group_covered(z, rs) == LS_TYPE_ZONEMD)))
				continue;
			b.len = 0;
			ls_zone_rdata_begin(z, rs, &it);
			while (ls_zone_rdata_next(&it, &rd, &len)) {
				uint8_t *p;
				if ((err = buf_reserve(&b, olen + 10 + len)))
					goto free_buf;
				p = b.p + b.len;
				memcpy(p, owner, olen);
				p += olen;
				*p++ = (uint8_t)(rs->type >> 8);
				*p++ = (uint8_t)rs->type;
				*p++ = 0;
				*p++ = LS_CLASS_IN;
				*p++ = (uint8_t)(rs->ttl >> 24);
				*p++ = (uint8_t)(rs->ttl >> 16);
				*p++ = (uint8_t)(rs->ttl >> 8);
				*p++ = (uint8_t)rs->ttl;
				*p++ = (uint8_t)(len >> 8);
				*p++ = (uint8_t)len;
				memcpy(p, rd, len);
				(void)ls_rdata_canonicalize(rs->type, p, len);
				b.len += olen + 10 + len;
			}
			for (int a = 1; a <= 2; a++)
				if ((want & (1u << a)) &&
				    (err = ls_dnssec_digest_update(&d[a], b.p, b.len)))
					goto free_buf;
		}
	}
	for (int a = 1; a <= 2; a++) {
		size_t olen;
		if ((want & (1u << a)) && (err = ls_dnssec_digest_final(&d[a], out[a], &olen)))
			goto free_buf;
	}
free_buf:
	free(b.p);
cleanup_digests:
	for (int a = 1; a <= 2; a++)
		ls_dnssec_digest_cleanup(&d[a]);
	return err;
}

static int check_zonemd(const struct ls_zone *z, enum ls_verify_policy pol, struct flist *f,
			struct ls_verify_stats *st)
{
	const struct ls_zone_node *apex = ls_zone_apex(z);
	const uint8_t *origin = ls_zone_node_name(z, apex);
	const struct ls_zone_rrset *rs;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	uint8_t digests[3][LS_DNSSEC_DIGEST_MAXLEN];
	unsigned want = 0, seen = 0;
	bool dup = false, any_supported = false;
	uint32_t soa = ls_zone_serial(z);
	int err;

	if (pol == LS_VERIFY_OFF)
		return 0;
	rs = ls_zone_node_rrset(z, apex, LS_TYPE_ZONEMD);
	if (!rs) {
		if (pol == LS_VERIFY_REQUIRED)
			flist_add(
				f, LS_ZONE_ERROR, "zonemd-missing", origin, LS_TYPE_ZONEMD, NULL, 0,
				"the zone has no ZONEMD RRset at its apex and ZONEMD is required");
		return 0;
	}

	/* Which digests to compute; duplicates of scheme+hash make the RRset unusable (§2.4). */
	ls_zone_rdata_begin(z, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		uint8_t scheme = rd[4], alg = rd[5];
		if (scheme == ZONEMD_SCHEME_SIMPLE && zonemd_hash_len(alg) > 0) {
			if (seen & (1u << alg))
				dup = true;
			seen |= 1u << alg;
			if (ls_get32(rd) == soa && len - 6 == zonemd_hash_len(alg))
				want |= 1u << alg;
		}
	}
	if (dup) {
		flist_add(
			f, LS_ZONE_ERROR, "zonemd-duplicate", origin, LS_TYPE_ZONEMD, NULL, 0,
			"the ZONEMD RRset holds more than one record with the same scheme and hash algorithm (RFC 8976 §2.4); digest verification is not possible");
		return 0;
	}
	if (want && (err = zonemd_compute(z, want, digests)))
		return err;

	/* §4: one supported record whose serial and digest match suffices. */
	ls_zone_rdata_begin(z, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		uint8_t alg = rd[5];
		if (rd[4] == ZONEMD_SCHEME_SIMPLE && zonemd_hash_len(alg) > 0 &&
		    ls_get32(rd) == soa && len - 6 == zonemd_hash_len(alg) &&
		    memcmp(rd + 6, digests[alg], len - 6) == 0) {
			st->zonemd_ok = true;
			return 0;
		}
	}

	/* None verified: say why for each record. */
	ls_zone_rdata_begin(z, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		uint8_t scheme = rd[4], alg = rd[5];
		int hl = zonemd_hash_len(alg);
		if (scheme != ZONEMD_SCHEME_SIMPLE || hl < 0) {
			/* unusable, not wrong: reported only if nothing else is */
			continue;
		}
		any_supported = true;
		if (ls_get32(rd) != soa)
			flist_add(f, LS_ZONE_ERROR, "zonemd-serial", origin, LS_TYPE_ZONEMD, rd,
				  len, "ZONEMD serial %u differs from the SOA serial %u",
				  ls_get32(rd), soa);
		else if (len - 6 != hl)
			flist_add(f, LS_ZONE_ERROR, "zonemd-digest", origin, LS_TYPE_ZONEMD, rd,
				  len, "digest is %d octets, hash algorithm %u gives %d", len - 6,
				  alg, hl);
		else
			flist_add(f, LS_ZONE_ERROR, "zonemd-digest", origin, LS_TYPE_ZONEMD, rd,
				  len, "digest does not match the zone's %s digest",
				  alg == LS_DNSSEC_ZONEMD_SHA384 ? "SHA-384" : "SHA-512");
	}
	if (!any_supported)
		flist_add(
			f, pol == LS_VERIFY_REQUIRED ? LS_ZONE_ERROR : LS_ZONE_WARNING,
			"zonemd-unsupported", origin, LS_TYPE_ZONEMD, NULL, 0,
			"no ZONEMD record has a supported scheme (SIMPLE) and hash algorithm (SHA-384, SHA-512)%s",
			pol == LS_VERIFY_REQUIRED ? "; ZONEMD is required" :
						    "; the zone is treated as carrying no ZONEMD");
	return 0;
}

/* ---- DNSSEC: keys ------------------------------------------------------- */

struct vkey {
	struct ls_dnssec_key *key;
	uint16_t tag;
	uint16_t flags;
	uint8_t alg;
};

struct keyset {
	struct vkey *v;
	size_t n;
	uint32_t required; /* bit per algorithm (< 32) a valid signature is needed for */
	bool have_sep;
};

static void keyset_release(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		ls_dnssec_key_free(ks->v[i].key);
	free(ks->v);
	memset(ks, 0, sizeof(*ks));
}

/*
 * Import every zone key of the apex DNSKEY RRset. The algorithms that must
 * sign every RRset are those of the usable, unrevoked zone keys: the
 * verifier never sees the parent's DS set, and RFC 4035 §2.2 (as clarified
 * by RFC 6840 §5.11) asks signers for one signature per algorithm of the
 * apex DNSKEY RRset. Several signers' keys in one set (RFC 8901) are simply
 * more keys.
 */
static int keyset_load(const struct ls_zone *z, const struct ls_zone_rrset *rs, struct keyset *ks,
		       struct flist *f)
{
	const uint8_t *origin = ls_zone_origin(z);
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	ks->v = calloc(rs->count, sizeof(*ks->v));
	if (!ks->v)
		return -ENOMEM;
	ls_zone_rdata_begin(z, rs, &it);
	while (ls_zone_rdata_next(&it, &rd, &len)) {
		struct ls_dnssec_dnskey dk;
		struct vkey *k = &ks->v[ks->n];
		int err;

		if (ls_dnssec_dnskey_parse(&dk, rd, len)) {
			flist_add(f, LS_ZONE_ERROR, "dnssec-dnskey", origin, LS_TYPE_DNSKEY, rd,
				  len, "malformed DNSKEY");
			continue;
		}
		if (!(dk.flags & LS_DNSKEY_F_ZONE))
			continue; /* not a zone key: cannot sign zone data (RFC 4034 §2.1.1) */
		err = ls_dnssec_key_load(rd, len, &k->key);
		if (err == -ENOMEM)
			return err;
		if (err == -EOPNOTSUPP) {
			flist_add(
				f, LS_ZONE_WARNING, "dnssec-algorithm-unsupported", origin,
				LS_TYPE_DNSKEY, rd, len,
				"algorithm %u (%s) cannot be verified here; its signatures are not checked",
				dk.algorithm, ls_dnssec_alg_name(dk.algorithm));
			continue;
		}
		if (err) {
			flist_add(
				f, LS_ZONE_ERROR, "dnssec-dnskey", origin, LS_TYPE_DNSKEY, rd, len,
				"the public key does not import: malformed or of a size the algorithm does not allow");
			continue;
		}
		k->tag = ls_dnssec_keytag(rd, len);
		k->flags = dk.flags;
		k->alg = dk.algorithm;
		ks->n++;
		if (!(dk.flags & LS_DNSKEY_F_REVOKE) && dk.algorithm < 32) {
			ks->required |= 1u << dk.algorithm;
			if (dk.flags & LS_DNSKEY_F_SEP)
				ks->have_sep = true;
		}
	}
	if (!ks->required)
		flist_add(f, LS_ZONE_ERROR, "dnssec-dnskey", origin, LS_TYPE_DNSKEY, NULL, 0,
			  "the apex DNSKEY RRset holds no usable zone key");
	return 0;
}

static void alg_list(char *dst, size_t len, uint32_t mask)
{
	size_t pos = 0;

	dst[0] = '\0';
	for (int a = 0; a < 32; a++)
		if (mask & (1u << a))
			pos += (size_t)snprintf(dst + pos, pos < len ? len - pos : 0, "%s%s",
						pos ? ", " : "", ls_dnssec_alg_name((uint8_t)a));
}

/* ---- DNSSEC: signatures, on worker threads ------------------------------- */

struct sigshared {
	const struct ls_zone *z;
	const struct keyset *ks;
	uint64_t at, at_end;
	size_t nnodes;
	size_t nchunks;
	_Atomic size_t next_chunk;
	size_t cap;
	struct flist *chunks; /* one finding list per chunk, merged in order */
	/* chunks 0 .. prefix_done-1 are finished and stored prefix_sum
	 * findings; once that reaches @cap, later chunks only count theirs */
	_Atomic size_t skip_from;
	pthread_mutex_t lock; /* guards done, prefix_done, prefix_sum */
	bool *done;
	size_t prefix_done, prefix_sum;
};

struct sigworker {
	pthread_t tid;
	struct sigshared *sh;
	struct buf canon;
	struct ls_dnssec_rdata_ref *refs;
	size_t refs_cap;
	struct ls_dnssec_verifier *ver; /* this thread's reused OpenSSL contexts */
	size_t rrsets, sigs, sigs_ok;
	int err;
};

static void check_rrset_sigs(struct sigworker *w, struct flist *f, const struct ls_zone_node *n,
			     const struct ls_zone_rrset *rs)
{
	const struct sigshared *sh = w->sh;
	const struct ls_zone *z = sh->z;
	const struct keyset *ks = sh->ks;
	const uint8_t *owner = ls_zone_node_name(z, n);
	const uint8_t *origin = ls_zone_origin(z);
	const struct ls_zone_rrset *sigs = ls_zone_rrsigs(z, n, rs->type);
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	uint32_t valid_algs = 0;
	bool sep_ok = false, have_refs = false;
	int owner_labels = ls_dname_labels(owner);
	char tbuf[LS_RRTYPE_STRLEN], algs[256];

	w->rrsets++;
	if (sigs)
		ls_zone_rdata_begin(z, sigs, &it);
	while (sigs && ls_zone_rdata_next(&it, &rd, &len)) {
		struct ls_dnssec_rrsig sig;
		bool tried = false, ok = false, sep = false;
		int e1, e2;

		w->sigs++;
		if (ls_dnssec_rrsig_parse(&sig, rd, len)) {
			flist_add(f, LS_ZONE_ERROR, "dnssec-rrsig", owner, LS_TYPE_RRSIG, rd, len,
				  "malformed RRSIG");
			continue;
		}
		if (!ls_dname_equal(sig.signer, origin)) {
			flist_add(f, LS_ZONE_ERROR, "dnssec-rrsig-signer", owner, LS_TYPE_RRSIG, rd,
				  len, "signer's name is not the zone's apex");
			continue;
		}
		if (sig.labels > owner_labels ||
		    (sig.labels < owner_labels &&
		     !(ls_dname_is_wildcard(owner) && sig.labels == owner_labels - 1))) {
			flist_add(f, LS_ZONE_ERROR, "dnssec-rrsig-labels", owner, LS_TYPE_RRSIG, rd,
				  len, "labels field %u does not fit the owner's %d labels",
				  sig.labels, owner_labels);
			continue;
		}
		e1 = ls_dnssec_rrsig_valid_at(&sig, sh->at);
		e2 = ls_dnssec_rrsig_valid_at(&sig, sh->at_end);
		if (e1 == -EKEYREJECTED || e2 == -EKEYREJECTED) {
			flist_add(f, LS_ZONE_ERROR, "dnssec-rrsig-not-yet-valid", owner,
				  LS_TYPE_RRSIG, rd, len,
				  "inception %u is after the check time %llu", sig.inception,
				  (unsigned long long)sh->at);
			continue;
		}
		if (e1 || e2) {
			flist_add(f, LS_ZONE_ERROR, "dnssec-rrsig-expired", owner, LS_TYPE_RRSIG,
				  rd, len, "expiration %u is before %llu (check time + margin)",
				  sig.expiration, (unsigned long long)sh->at_end);
			continue;
		}
		if (!have_refs) {
			if (canon_rrset(z, rs, &w->canon, &w->refs, &w->refs_cap)) {
				w->err = -ENOMEM;
				return;
			}
			have_refs = true;
		}
		for (size_t k = 0; k < ks->n && !ok; k++) {
			const struct vkey *key = &ks->v[k];
			int err;
			if (key->tag != sig.key_tag || key->alg != sig.algorithm)
				continue;
			tried = true;
			err = ls_dnssec_verifier_rrset(w->ver, key->key, &sig, owner, LS_CLASS_IN,
						       w->refs, rs->count);
			if (err == -ENOMEM) {
				w->err = err;
				return;
			}
			if (!err) {
				ok = true;
				sep = key->flags & LS_DNSKEY_F_SEP;
			}
		}
		if (!tried) {
			/* a signature by a key not (or no longer) in the set: harmless
			 * unless it is the only one of its algorithm, which the
			 * coverage check below reports */
			flist_add(f, LS_ZONE_WARNING, "dnssec-rrsig-nokey", owner, LS_TYPE_RRSIG,
				  rd, len, "no apex DNSKEY with tag %u and algorithm %u",
				  sig.key_tag, sig.algorithm);
			continue;
		}
		if (!ok) {
			flist_add(f, LS_ZONE_ERROR, "dnssec-rrsig-bogus", owner, LS_TYPE_RRSIG, rd,
				  len, "signature over %s RRset does not verify with key %u",
				  ls_rrtype_name(rs->type, tbuf), sig.key_tag);
			continue;
		}
		w->sigs_ok++;
		if (sig.algorithm < 32)
			valid_algs |= 1u << sig.algorithm;
		sep_ok |= sep;
	}
	if (ks->required & ~valid_algs) {
		alg_list(algs, sizeof(algs), ks->required & ~valid_algs);
		flist_add(
			f, LS_ZONE_ERROR, "dnssec-rrsig-missing", owner, rs->type, NULL, 0,
			"%s RRset has no valid signature by a key of algorithm %s (one per algorithm of the apex DNSKEY RRset, RFC 4035 §2.2, RFC 6840 §5.11)",
			ls_rrtype_name(rs->type, tbuf), algs);
	}
	if (rs->type == LS_TYPE_DNSKEY && (n->flags & LS_ZONE_NODE_APEX) && ks->have_sep && !sep_ok)
		flist_add(f, LS_ZONE_ERROR, "dnssec-dnskey-sep", owner, LS_TYPE_DNSKEY, NULL, 0,
			  "the DNSKEY RRset has no valid signature by a SEP key");
}

static void check_node_sigs(struct sigworker *w, struct flist *f, const struct ls_zone_node *n)
{
	const struct ls_zone *z = w->sh->z;
	const uint8_t *owner = ls_zone_node_name(z, n);
	size_t cnt;
	const struct ls_zone_rrset *rss = ls_zone_node_rrsets(z, n, &cnt);
	bool occluded = n->flags & LS_ZONE_NODE_OCCLUDED;
	bool deleg = n->flags & LS_ZONE_NODE_DELEG;
	char tbuf[LS_RRTYPE_STRLEN];

	for (size_t r = 0; r < cnt && !w->err; r++) {
		const struct ls_zone_rrset *rs = &rss[r];

		if (rs->type == LS_TYPE_RRSIG) {
			uint16_t cov = rrsig_group_covered(z, rs);
			if (occluded)
				flist_add(
					f, LS_ZONE_ERROR, "dnssec-glue-signed", owner,
					LS_TYPE_RRSIG, NULL, 0,
					"RRSIG over %s below a zone cut: glue and occluded data are not signed",
					ls_rrtype_name(cov, tbuf));
			else if (deleg && cov != LS_TYPE_DS && cov != LS_TYPE_NSEC)
				flist_add(
					f, LS_ZONE_ERROR, "dnssec-delegation-signed", owner,
					LS_TYPE_RRSIG, NULL, 0,
					"RRSIG over %s at a delegation: only DS and NSEC are signed there (RFC 4035 §2.2)",
					ls_rrtype_name(cov, tbuf));
			else if (!node_has(z, n, cov))
				flist_add(f, LS_ZONE_ERROR, "dnssec-rrsig-orphan", owner,
					  LS_TYPE_RRSIG, NULL, 0,
					  "RRSIG covers %s, which is not at this name",
					  ls_rrtype_name(cov, tbuf));
			continue;
		}
		if (occluded)
			continue; /* glue: not authoritative, not signed */
		if (deleg && rs->type != LS_TYPE_DS && rs->type != LS_TYPE_NSEC)
			continue; /* NS (and anything else) at a cut belongs to the child */
		check_rrset_sigs(w, f, n, rs);
	}
}

/* Chunk @c is finished: advance the finished prefix and, when it holds a
 * verdict's worth of findings, let every later chunk stop storing. */
static void chunk_done(struct sigshared *sh, size_t c)
{
	pthread_mutex_lock(&sh->lock);
	sh->done[c] = true;
	while (sh->prefix_done < sh->nchunks && sh->done[sh->prefix_done])
		sh->prefix_sum += sh->chunks[sh->prefix_done++].p.count;
	if (sh->prefix_sum >= sh->cap)
		atomic_lower(&sh->skip_from, sh->prefix_done);
	pthread_mutex_unlock(&sh->lock);
}

static void *sig_thread(void *arg)
{
	struct sigworker *w = arg;
	struct sigshared *sh = w->sh;

	for (;;) {
		size_t c = atomic_fetch_add(&sh->next_chunk, 1);
		size_t lo = c * CHUNK_NODES, hi = lo + CHUNK_NODES;
		if (c >= sh->nchunks || w->err)
			break;
		if (hi > sh->nnodes)
			hi = sh->nnodes;
		for (size_t i = lo; i < hi && !w->err; i++) {
			const struct ls_zone_node *n = ls_zone_node_at(sh->z, i);
			if (!(n->flags & LS_ZONE_NODE_ENT))
				check_node_sigs(w, &sh->chunks[c], n);
		}
		if (sh->chunks[c].err)
			w->err = sh->chunks[c].err;
		chunk_done(sh, c);
	}
	return NULL;
}

/* ---- DNSSEC: type bitmaps ------------------------------------------------ */

/*
 * Compare a type bitmap (RFC 4034 §4.1.2) with the types present at @n
 * (NULL: an empty non-terminal, no types). Writes the first difference to
 * @why and returns false on mismatch or a malformed bitmap.
 */
static bool bitmap_matches(const struct ls_zone *z, const struct ls_zone_node *n, const uint8_t *bm,
			   size_t bmlen, char *why, size_t whylen)
{
	size_t cnt = 0, r = 0;
	const struct ls_zone_rrset *rss = n ? ls_zone_node_rrsets(z, n, &cnt) : NULL;
	char tbuf[LS_RRTYPE_STRLEN];
	int last_window = -1;
	size_t pos = 0;

	while (pos < bmlen) {
		unsigned win, blen;
		if (bmlen - pos < 2) {
			snprintf(why, whylen, "truncated type bitmap");
			return false;
		}
		win = bm[pos];
		blen = bm[pos + 1];
		if ((int)win <= last_window || blen < 1 || blen > 32 || pos + 2 + blen > bmlen) {
			snprintf(why, whylen, "malformed type bitmap");
			return false;
		}
		last_window = (int)win;
		for (unsigned i = 0; i < blen * 8; i++) {
			uint16_t t;
			if (!(bm[pos + 2 + i / 8] & (0x80 >> (i % 8))))
				continue;
			t = (uint16_t)(win << 8 | i);
			/* skip present types below t: they are missing from the bitmap */
			if (r < cnt && rss[r].type < t) {
				snprintf(why, whylen, "type %s is present but not in the bitmap",
					 ls_rrtype_name(rss[r].type, tbuf));
				return false;
			}
			if (r >= cnt || rss[r].type != t) {
				snprintf(why, whylen, "bitmap lists %s, which is not present",
					 ls_rrtype_name(t, tbuf));
				return false;
			}
			while (r < cnt && rss[r].type == t)
				r++; /* RRSIG groups share one type */
		}
		pos += 2 + blen;
	}
	if (r < cnt) {
		snprintf(why, whylen, "type %s is present but not in the bitmap",
			 ls_rrtype_name(rss[r].type, tbuf));
		return false;
	}
	return true;
}

/* ---- DNSSEC: NSEC chain -------------------------------------------------- */

static bool nsec_owner(const struct ls_zone_node *n)
{
	return !(n->flags & (LS_ZONE_NODE_ENT | LS_ZONE_NODE_OCCLUDED));
}

static void check_nsec(const struct ls_zone *z, struct flist *f, struct ls_verify_stats *st)
{
	size_t nn = ls_zone_node_count(z), first = 0;
	char why[256], nbuf[LS_DNAME_STRLEN];

	for (size_t i = 0; i < nn; i++) {
		const struct ls_zone_node *n = ls_zone_node_at(z, i);
		const uint8_t *owner = ls_zone_node_name(z, n);
		const struct ls_zone_rrset *rs = ls_zone_node_rrset(z, n, LS_TYPE_NSEC);
		const struct ls_zone_node *next = NULL;
		struct ls_zone_rdata_iter it;
		const uint8_t *rd;
		uint16_t len;
		int nlen;

		if (!nsec_owner(n)) {
			if (rs)
				flist_add(f, LS_ZONE_ERROR, "nsec-unexpected", owner, LS_TYPE_NSEC,
					  NULL, 0, "NSEC below a zone cut (occluded data)");
			continue;
		}
		/* the next name in the chain: the next authoritative name, or the apex */
		for (size_t j = i + 1; j < nn && !next; j++)
			if (nsec_owner(ls_zone_node_at(z, j)))
				next = ls_zone_node_at(z, j);
		if (!next)
			next = ls_zone_node_at(z, first);
		if (!rs) {
			flist_add(f, LS_ZONE_ERROR, "nsec-missing", owner, LS_TYPE_NSEC, NULL, 0,
				  "no NSEC record at this authoritative name: the chain is broken");
			continue;
		}
		st->denial++;
		ls_zone_rdata_begin(z, rs, &it);
		ls_zone_rdata_next(&it, &rd, &len);
		if (rs->count != 1) {
			flist_add(f, LS_ZONE_ERROR, "nsec-multiple", owner, LS_TYPE_NSEC, NULL, 0,
				  "%u NSEC records at one name", rs->count);
			continue;
		}
		nlen = ls_dname_wire_check(rd, len);
		if (nlen < 0) {
			flist_add(f, LS_ZONE_ERROR, "nsec-next", owner, LS_TYPE_NSEC, rd, len,
				  "malformed next name");
			continue;
		}
		if (!ls_dname_equal(rd, ls_zone_node_name(z, next))) {
			ls_dname_to_str(nbuf, sizeof(nbuf), ls_zone_node_name(z, next));
			flist_add(f, LS_ZONE_ERROR, "nsec-next", owner, LS_TYPE_NSEC, rd, len,
				  "next name should be %s (the next name in canonical order)",
				  nbuf);
		}
		if (!bitmap_matches(z, n, rd + nlen, len - (size_t)nlen, why, sizeof(why)))
			flist_add(f, LS_ZONE_ERROR, "nsec-bitmap", owner, LS_TYPE_NSEC, rd, len,
				  "%s", why);
	}
}

/* ---- DNSSEC: NSEC3 chain ------------------------------------------------- */

struct n3rec {
	uint8_t hash[LS_DNSSEC_NSEC3_HASHLEN];
	const uint8_t *next; /* into the rdata */
	const uint8_t *bitmap;
	size_t bmlen;
	const uint8_t *rdata;
	uint16_t rdlen;
	uint8_t flags;
	bool matched;
	uint32_t node;
};

static int n3_cmp(const void *a, const void *b)
{
	return memcmp(((const struct n3rec *)a)->hash, ((const struct n3rec *)b)->hash,
		      LS_DNSSEC_NSEC3_HASHLEN);
}

/* The record whose hash is exactly @h, or NULL. */
static struct n3rec *n3_find(struct n3rec *v, size_t n, const uint8_t *h)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(v[mid].hash, h, LS_DNSSEC_NSEC3_HASHLEN);
		if (c == 0)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The covering record of @h: the last one before it in hash order, wrapping. */
static const struct n3rec *n3_cover(const struct n3rec *v, size_t n, const uint8_t *h)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(v[mid].hash, h, LS_DNSSEC_NSEC3_HASHLEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? &v[n - 1] : &v[lo - 1];
}

struct n3param {
	uint8_t alg;
	uint16_t iter;
	const uint8_t *salt;
	uint8_t saltlen;
};

/* Parse NSEC3 rdata (RFC 5155 §3.2) into @r; false when malformed. */
static bool n3_parse(struct n3rec *r, struct n3param *p, const uint8_t *rd, uint16_t len)
{
	size_t pos;

	if (len < 5 || len < 5 + rd[4] + 1)
		return false;
	p->alg = rd[0];
	r->flags = rd[1];
	p->iter = ls_get16(rd + 2);
	p->saltlen = rd[4];
	p->salt = rd + 5;
	pos = 5 + (size_t)rd[4];
	if (rd[pos] != LS_DNSSEC_NSEC3_HASHLEN || pos + 1 + LS_DNSSEC_NSEC3_HASHLEN > len)
		return false;
	r->next = rd + pos + 1;
	r->bitmap = rd + pos + 1 + LS_DNSSEC_NSEC3_HASHLEN;
	r->bmlen = len - (pos + 1 + LS_DNSSEC_NSEC3_HASHLEN);
	r->rdata = rd;
	r->rdlen = len;
	return true;
}

static bool is_nsec3_node(const struct ls_zone *z, const struct ls_zone_node *n)
{
	return !(n->flags & LS_ZONE_NODE_ENT) && node_has(z, n, LS_TYPE_NSEC3);
}

static int check_nsec3(const struct ls_zone *z, const struct ls_zone_rrset *prs, struct flist *f,
		       struct ls_verify_stats *st)
{
	const uint8_t *origin = ls_zone_origin(z);
	size_t nn = ls_zone_node_count(z), m = 0, cap = 0;
	struct n3rec *v = NULL;
	struct n3param param;
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;
	char why[256], hbuf[64];
	int origin_labels = ls_dname_labels(origin), err = 0;

	ls_zone_rdata_begin(z, prs, &it);
	ls_zone_rdata_next(&it, &rd, &len);
	if (prs->count != 1)
		flist_add(f, LS_ZONE_WARNING, "nsec3param", origin, LS_TYPE_NSEC3PARAM, NULL, 0,
			  "%u NSEC3PARAM records; the first (canonical order) is used", prs->count);
	if (len < 5 || len != 5 + rd[4]) {
		flist_add(f, LS_ZONE_ERROR, "nsec3param", origin, LS_TYPE_NSEC3PARAM, rd, len,
			  "malformed NSEC3PARAM");
		return 0;
	}
	param.alg = rd[0];
	param.iter = ls_get16(rd + 2);
	param.saltlen = rd[4];
	param.salt = rd + 5;
	if (rd[1] != 0)
		flist_add(f, LS_ZONE_ERROR, "nsec3param", origin, LS_TYPE_NSEC3PARAM, rd, len,
			  "flags must be 0 in NSEC3PARAM (RFC 5155 §4.1.2)");

	/* every NSEC3 record, checked against the parameters */
	for (size_t i = 0; i < nn; i++) {
		const struct ls_zone_node *n = ls_zone_node_at(z, i);
		const uint8_t *owner = ls_zone_node_name(z, n);
		const struct ls_zone_rrset *rs;
		struct n3param p;
		char lbl[64];

		if (!is_nsec3_node(z, n))
			continue;
		rs = ls_zone_node_rrset(z, n, LS_TYPE_NSEC3);
		if (n->flags & LS_ZONE_NODE_OCCLUDED) {
			flist_add(f, LS_ZONE_ERROR, "nsec3-owner", owner, LS_TYPE_NSEC3, NULL, 0,
				  "NSEC3 below a zone cut");
			continue;
		}
		if (ls_dname_labels(owner) != origin_labels + 1 || owner[0] != 32) {
			flist_add(f, LS_ZONE_ERROR, "nsec3-owner", owner, LS_TYPE_NSEC3, NULL, 0,
				  "NSEC3 owner is not a hash label directly below the apex");
			continue;
		}
		if (m == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct n3rec *nv = realloc(v, ncap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto free_v;
			}
			v = nv;
			cap = ncap;
		}
		memcpy(lbl, owner + 1, 32);
		if (ls_dnssec_b32hex_decode(v[m].hash, sizeof(v[m].hash), lbl, 32) !=
		    LS_DNSSEC_NSEC3_HASHLEN) {
			flist_add(f, LS_ZONE_ERROR, "nsec3-owner", owner, LS_TYPE_NSEC3, NULL, 0,
				  "NSEC3 owner label is not base32hex of a SHA-1 hash");
			continue;
		}
		ls_zone_rdata_begin(z, rs, &it);
		ls_zone_rdata_next(&it, &rd, &len);
		st->denial++;
		if (rs->count != 1) {
			flist_add(f, LS_ZONE_ERROR, "nsec3-multiple", owner, LS_TYPE_NSEC3, NULL, 0,
				  "%u NSEC3 records at one name", rs->count);
			continue;
		}
		if (!n3_parse(&v[m], &p, rd, len)) {
			flist_add(f, LS_ZONE_ERROR, "nsec3", owner, LS_TYPE_NSEC3, rd, len,
				  "malformed NSEC3");
			continue;
		}
		if (p.alg != param.alg || p.iter != param.iter || p.saltlen != param.saltlen ||
		    memcmp(p.salt, param.salt, p.saltlen) != 0) {
			flist_add(f, LS_ZONE_ERROR, "nsec3-param-mismatch", owner, LS_TYPE_NSEC3,
				  rd, len,
				  "hash algorithm, iterations or salt differ from the NSEC3PARAM");
			continue;
		}
		v[m].matched = false;
		v[m].node = (uint32_t)i;
		m++;
	}
	if (m == 0) {
		flist_add(f, LS_ZONE_ERROR, "nsec3-missing", origin, LS_TYPE_NSEC3PARAM, NULL, 0,
			  "NSEC3PARAM present but no usable NSEC3 record");
		goto free_v;
	}
	qsort(v, m, sizeof(*v), n3_cmp);

	/* one cycle in hash order */
	for (size_t i = 0; i < m; i++) {
		const struct n3rec *nx = &v[(i + 1) % m];
		if (memcmp(v[i].next, nx->hash, LS_DNSSEC_NSEC3_HASHLEN) != 0) {
			ls_dnssec_b32hex_encode(hbuf, sizeof(hbuf), nx->hash,
						LS_DNSSEC_NSEC3_HASHLEN);
			flist_add(f, LS_ZONE_ERROR, "nsec3-next",
				  ls_zone_node_name(z, ls_zone_node_at(z, v[i].node)),
				  LS_TYPE_NSEC3, v[i].rdata, v[i].rdlen,
				  "next hashed owner should be %s (the next hash in the chain)",
				  hbuf);
		}
	}

	/* every authoritative name (ENTs included) has its NSEC3, or opt-out covers it */
	for (size_t i = 0; i < nn; i++) {
		const struct ls_zone_node *n = ls_zone_node_at(z, i);
		const uint8_t *owner = ls_zone_node_name(z, n);
		uint8_t h[LS_DNSSEC_NSEC3_HASHLEN];
		struct n3rec *r;
		bool ent = n->flags & LS_ZONE_NODE_ENT;

		if ((n->flags & LS_ZONE_NODE_OCCLUDED) || is_nsec3_node(z, n))
			continue;
		err = ls_dnssec_nsec3_hash(h, owner, param.alg, param.iter, param.salt,
					   param.saltlen);
		if (err == -ERANGE || err == -EOPNOTSUPP) {
			flist_add(
				f, LS_ZONE_ERROR, "nsec3param", origin, LS_TYPE_NSEC3PARAM, NULL, 0,
				"%s",
				err == -ERANGE ?
					"NSEC3 iterations above the configured cap; the chain is not checked" :
					"unsupported NSEC3 hash algorithm; the chain is not checked");
			err = 0;
			goto free_v;
		}
		if (err)
			goto free_v;
		r = n3_find(v, m, h);
		if (r) {
			r->matched = true;
			if (!bitmap_matches(z, ent ? NULL : n, r->bitmap, r->bmlen, why,
					    sizeof(why)))
				flist_add(f, LS_ZONE_ERROR, "nsec3-bitmap", owner, LS_TYPE_NSEC3,
					  r->rdata, r->rdlen, "for %s: %s",
					  ent ? "this empty non-terminal" : "this name", why);
			continue;
		}
		if ((ent || ((n->flags & LS_ZONE_NODE_DELEG) && !(n->flags & LS_ZONE_NODE_DS))) &&
		    (n3_cover(v, m, h)->flags & NSEC3_FLAG_OPTOUT))
			continue; /* an insecure delegation (or ENT above one) under opt-out */
		ls_dnssec_b32hex_encode(hbuf, sizeof(hbuf), h, sizeof(h));
		flist_add(f, LS_ZONE_ERROR, "nsec3-missing", owner, 0, NULL, 0,
			  "no NSEC3 for this name (hash %s)%s", hbuf,
			  (n->flags & LS_ZONE_NODE_DELEG) && !(n->flags & LS_ZONE_NODE_DS) ?
				  " and the covering NSEC3 has no opt-out flag" :
				  "");
	}
	for (size_t i = 0; i < m; i++)
		if (!v[i].matched)
			flist_add(f, LS_ZONE_ERROR, "nsec3-orphan",
				  ls_zone_node_name(z, ls_zone_node_at(z, v[i].node)),
				  LS_TYPE_NSEC3, NULL, 0,
				  "NSEC3 whose hash matches no authoritative name of the zone");
free_v:
	free(v);
	return err;
}

/* ---- DNSSEC: the whole ---------------------------------------------------- */

static bool zone_has_type(const struct ls_zone *z, uint16_t type)
{
	size_t nn = ls_zone_node_count(z);

	for (size_t i = 0; i < nn; i++)
		if (node_has(z, ls_zone_node_at(z, i), type))
			return true;
	return false;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

/*
 * Signatures on worker threads; ZONEMD and the denial chain on this thread
 * meanwhile, so the single-threaded work overlaps the signature checks
 * instead of preceding them. Findings: keys into their own list, signatures
 * into per-chunk lists (both moved into @sigs at the end, in canonical
 * order), ZONEMD into @zmd and *@zonemd_done set, the chain into @post.
 * When DNSSEC is off or the zone unsigned, findings go to @post and the
 * caller checks ZONEMD. The caller merges the lists.
 */
static int check_dnssec(const struct ls_zone *z, const struct ls_verify_opts *o, uint64_t at,
			size_t cap, struct flist *zmd, struct flist *sigs, struct flist *post,
			struct ls_verify_stats *st, bool *zonemd_done)
{
	const struct ls_zone_node *apex = ls_zone_apex(z);
	const uint8_t *origin = ls_zone_origin(z);
	const struct ls_zone_rrset *dnskey = ls_zone_node_rrset(z, apex, LS_TYPE_DNSKEY);
	const struct ls_zone_rrset *n3p;
	struct keyset ks = { 0 };
	struct flist keys;
	struct sigshared sh;
	struct sigworker *w = NULL;
	unsigned nthreads = 0, started = 0;
	int err = 0;

	*zonemd_done = false;
	flist_init(&keys, cap, NULL, 0);
	if (o->dnssec == LS_VERIFY_OFF)
		return 0;
	if (!dnskey) {
		if (o->dnssec == LS_VERIFY_REQUIRED)
			flist_add(post, LS_ZONE_ERROR, "dnssec-unsigned", origin, LS_TYPE_DNSKEY,
				  NULL, 0, "no DNSKEY RRset at the apex and DNSSEC is required");
		else if (zone_has_type(z, LS_TYPE_RRSIG))
			/* signatures without keys: a signed zone that lost its keys, which
			 * validators would refuse; never served as "unsigned" */
			flist_add(post, LS_ZONE_ERROR, "dnssec-dnskey-missing", origin,
				  LS_TYPE_DNSKEY, NULL, 0,
				  "the zone carries RRSIGs but no DNSKEY RRset at the apex");
		return 0;
	}
	err = keyset_load(z, dnskey, &ks, &keys);
	if (err)
		goto release_keys;
	st->keys = ks.n;

	memset(&sh, 0, sizeof(sh));
	sh.z = z;
	sh.ks = &ks;
	sh.at = at;
	sh.at_end = at + o->margin;
	sh.nnodes = ls_zone_node_count(z);
	sh.nchunks = (sh.nnodes + CHUNK_NODES - 1) / CHUNK_NODES;
	sh.cap = cap;
	sh.chunks = calloc(sh.nchunks ? sh.nchunks : 1, sizeof(*sh.chunks));
	if (!sh.chunks) {
		err = -ENOMEM;
		goto release_keys;
	}
	sh.done = calloc(sh.nchunks ? sh.nchunks : 1, sizeof(*sh.done));
	if (!sh.done) {
		err = -ENOMEM;
		goto free_chunks;
	}
	atomic_init(&sh.skip_from, SIZE_MAX);
	pthread_mutex_init(&sh.lock, NULL);
	for (size_t c = 0; c < sh.nchunks; c++)
		flist_init(&sh.chunks[c], cap, &sh.skip_from, c);

	nthreads = o->threads ? o->threads : online_cpus();
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	if (nthreads > sh.nchunks)
		nthreads = sh.nchunks ? (unsigned)sh.nchunks : 1;
	w = calloc(nthreads, sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		goto destroy_lock;
	}
	for (unsigned t = 0; t < nthreads; t++) {
		w[t].sh = &sh;
		err = ls_dnssec_verifier_new(&w[t].ver);
		if (err)
			goto free_workers;
	}
	for (unsigned t = 1; t < nthreads; t++) {
		/* the first worker is this thread, after ZONEMD and the chain */
		if (pthread_create(&w[t].tid, NULL, sig_thread, &w[t]) != 0)
			break; /* fewer threads: the rest of the work is still done */
		started++;
	}
	st->threads = started + 1;

	/* ZONEMD and the denial chain, while the workers run */
	err = check_zonemd(z, o->zonemd, zmd, st);
	*zonemd_done = true;
	n3p = ls_zone_node_rrset(z, apex, LS_TYPE_NSEC3PARAM);
	if (err) {
		/* the check itself failed; the workers still finish their chunks */
	} else if (n3p) {
		st->nsec3 = true;
		err = check_nsec3(z, n3p, post, st);
	} else if (node_has(z, apex, LS_TYPE_NSEC)) {
		check_nsec(z, post, st);
	} else {
		flist_add(post, LS_ZONE_ERROR, "dnssec-denial-missing", origin, 0, NULL, 0,
			  "signed zone without an NSEC record or NSEC3PARAM at the apex");
	}
	sig_thread(&w[0]);

	for (unsigned t = 1; t <= started; t++)
		pthread_join(w[t].tid, NULL);
	for (unsigned t = 0; t <= started; t++) {
		st->rrsets_signed += w[t].rrsets;
		st->signatures += w[t].sigs;
		st->signatures_ok += w[t].sigs_ok;
		if (w[t].err && !err)
			err = w[t].err;
	}
	if (!err)
		err = keys.err;
	/* keys, then signatures in canonical order */
	if (!err)
		err = flist_move(&sigs->p, cap, &keys.p);
	for (size_t c = 0; c < sh.nchunks && !err; c++)
		err = flist_move(&sigs->p, cap, &sh.chunks[c].p);
free_workers:
	for (unsigned t = 0; t < nthreads; t++) {
		ls_dnssec_verifier_free(w[t].ver);
		free(w[t].canon.p);
		free(w[t].refs);
	}
	free(w);
destroy_lock:
	pthread_mutex_destroy(&sh.lock);
free_chunks:
	for (size_t c = 0; c < sh.nchunks; c++)
		flist_release(&sh.chunks[c]);
	free(sh.chunks);
	free(sh.done);
release_keys:
	flist_release(&keys);
	keyset_release(&ks);
	return err;
}

/* ---- entry points --------------------------------------------------------- */

void ls_verify_opts_init(struct ls_verify_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->zonemd = LS_VERIFY_OPTIONAL;
	o->dnssec = LS_VERIFY_OPTIONAL;
}

static size_t opts_cap(const struct ls_verify_opts *o)
{
	size_t cap = o->max_findings ? o->max_findings : LS_VERIFY_MAX_FINDINGS;

	return cap > LS_ZONE_MAX_PROBLEMS ? LS_ZONE_MAX_PROBLEMS : cap;
}

/* Verify @z, appending to @res->findings (which may already hold load problems). */
static int verify_into(const struct ls_zone *z, const struct ls_verify_opts *o,
		       struct ls_verify_result *res)
{
	size_t cap = opts_cap(o);
	struct flist pre, zmd, sigs, post;
	bool zonemd_done;
	uint64_t at = o->at ? o->at : (uint64_t)time(NULL);
	int err;

	ls_dname_to_str(res->zone, sizeof(res->zone), ls_zone_origin(z));
	res->serial = ls_zone_serial(z);
	res->has_serial = true;
	if (!res->findings && !(res->findings = calloc(1, sizeof(*res->findings))))
		return -ENOMEM;

	flist_init(&pre, cap, NULL, 0);
	flist_init(&zmd, cap, NULL, 0);
	flist_init(&sigs, cap, NULL, 0);
	flist_init(&post, cap, NULL, 0);
	check_serial(z, o, &pre);
	err = check_dnssec(z, o, at, cap, &zmd, &sigs, &post, &res->stats, &zonemd_done);
	if (!err && !zonemd_done)
		err = check_zonemd(z, o->zonemd, &zmd, &res->stats);
	if (!err)
		err = pre.err ? pre.err : zmd.err ? zmd.err : post.err;
	/* serial, ZONEMD, keys and signatures, then the chain */
	if (!err)
		err = flist_move(res->findings, cap, &pre.p);
	if (!err)
		err = flist_move(res->findings, cap, &zmd.p);
	if (!err)
		err = flist_move(res->findings, cap, &sigs.p);
	if (!err)
		err = flist_move(res->findings, cap, &post.p);
	flist_release(&pre);
	flist_release(&zmd);
	flist_release(&sigs);
	flist_release(&post);
	if (err)
		return err;
	res->valid = res->findings->errors == 0;
	return res->valid ? 0 : -EBADMSG;
}

static void result_reset(struct ls_verify_result *res)
{
	memset(res, 0, sizeof(*res));
}

int ls_verify_zone(const struct ls_zone *z, const struct ls_verify_opts *o,
		   struct ls_verify_result *res)
{
	struct ls_verify_opts defaults;

	result_reset(res);
	if (!o) {
		ls_verify_opts_init(&defaults);
		o = &defaults;
	}
	return verify_into(z, o, res);
}

/* Shared tail of the loaders: a load failure is a verdict too. */
static int after_load(int err, struct ls_zone *z, struct ls_zone_problems *problems,
		      const uint8_t *origin, const struct ls_verify_opts *o,
		      struct ls_verify_result *res, struct ls_zone **zone)
{
	res->findings = problems;
	if (err == -EBADMSG || err == -EFBIG) {
		if (origin)
			ls_dname_to_str(res->zone, sizeof(res->zone), origin);
		else
			snprintf(res->zone, sizeof(res->zone), "(unknown zone)");
		if (!res->findings) {
			res->findings = calloc(1, sizeof(*res->findings));
			if (!res->findings)
				return -ENOMEM;
			res->findings->errors = 1; /* refused without a stated reason */
		}
		return -EBADMSG;
	}
	if (err)
		return err;
	err = verify_into(z, o, res);
	if ((err == 0 || err == -EBADMSG) && zone)
		*zone = z;
	else
		ls_zone_free(z);
	return err;
}

/*
 * Shared head of the loaders: reset the outputs and derive the zone file
 * limits from @o (or the defaults, kept in @defaults). Returns the options
 * to verify with.
 */
static const struct ls_verify_opts *before_load(const struct ls_verify_opts *o,
						struct ls_verify_opts *defaults,
						struct ls_zonefile_opts *zo,
						struct ls_verify_result *res, struct ls_zone **zone)
{
	result_reset(res);
	if (zone)
		*zone = NULL;
	if (!o) {
		ls_verify_opts_init(defaults);
		o = defaults;
	}
	memset(zo, 0, sizeof(*zo));
	zo->max_records = o->max_records;
	zo->max_bytes = o->max_bytes;
	zo->no_include = o->no_include;
	return o;
}

int ls_verify_file(const char *path, const uint8_t *origin, const struct ls_verify_opts *o,
		   struct ls_verify_result *res, struct ls_zone **zone)
{
	struct ls_zonefile_opts zo;
	struct ls_verify_opts defaults;
	struct ls_zone_problems *problems = NULL;
	struct ls_zone *z = NULL;
	int err;

	o = before_load(o, &defaults, &zo, res, zone);
	err = ls_zonefile_load(path, origin, &zo, &z, &problems);
	return after_load(err, z, problems, origin, o, res, zone);
}

int ls_verify_string(const char *text, size_t len, const char *name, const uint8_t *origin,
		     const struct ls_verify_opts *o, struct ls_verify_result *res,
		     struct ls_zone **zone)
{
	struct ls_zonefile_opts zo;
	struct ls_verify_opts defaults;
	struct ls_zone_problems *problems = NULL;
	struct ls_zone *z = NULL;
	int err;

	o = before_load(o, &defaults, &zo, res, zone);
	err = ls_zonefile_load_string(text, len, name, origin, &zo, &z, &problems);
	return after_load(err, z, problems, origin, o, res, zone);
}

void ls_verify_result_free(struct ls_verify_result *res)
{
	if (!res)
		return;
	ls_zone_problems_free(res->findings);
	res->findings = NULL;
}

int ls_verify_format(char *dst, size_t dstlen, const struct ls_verify_result *res,
		     const struct ls_zone_problem *p)
{
	char serial[32];
	int n, m;

	if (res->has_serial)
		snprintf(serial, sizeof(serial), " serial %u", res->serial);
	else
		serial[0] = '\0';
	n = snprintf(dst, dstlen, "%s%s: ", res->zone, serial);
	if (n < 0)
		return n;
	m = ls_zone_problem_format((size_t)n < dstlen ? dst + n : NULL,
				   (size_t)n < dstlen ? dstlen - (size_t)n : 0, p);
	return m < 0 ? m : n + m;
}

int ls_verify_policy_from_str(const char *s, enum ls_verify_policy *p)
{
	if (strcmp(s, "off") == 0)
		*p = LS_VERIFY_OFF;
	else if (strcmp(s, "optional") == 0)
		*p = LS_VERIFY_OPTIONAL;
	else if (strcmp(s, "required") == 0)
		*p = LS_VERIFY_REQUIRED;
	else
		return -EINVAL;
	return 0;
}

const char *ls_verify_policy_name(enum ls_verify_policy p)
{
	switch (p) {
	case LS_VERIFY_OFF:
		return "off";
	case LS_VERIFY_OPTIONAL:
		return "optional";
	case LS_VERIFY_REQUIRED:
		return "required";
	}
	return "unknown";
}

int ls_verify_time_from_str(const char *s, uint64_t *t)
{
	size_t len = strlen(s);
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (len == 14) {
		/* the catalog's TIMESTAMP without a fraction: one parser, one calendar */
		int64_t sec;
		uint32_t nsec;

		if (ls_catalog_timestamp_parse(s, len, &sec, &nsec) != 0)
			return -EINVAL;
		v = (uint64_t)sec;
	}
	*t = v;
	return 0;
}
