/* SPDX-License-Identifier: MIT */
/*
 * message.c — see message.h. Reading is one bounded pass (every step
 * consumes octets, so no count can make it loop longer than the message is
 * long); names go through ls_dname_unpack(), which refuses forward and
 * looping pointers. Writing keeps the buffer a complete message after every
 * call, so a failed or rolled-back step leaves nothing half-written.
 */
#include "common/message.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/wire.h"

/* ---- reading ---- */

static int fail(struct ls_msg *m, int err, const char *what, size_t off)
{
	m->err_what = what;
	m->err_off = off;
	return err;
}

/* TSIG RDATA (RFC 8945 §4.2), already checked by ls_rdata_check(). */
static void tsig_fields(struct ls_msg_tsig *t, const uint8_t *rd)
{
	size_t alen = ls_dname_len(rd);
	const uint8_t *p = rd + alen;

	memcpy(t->alg, rd, alen);
	t->time_signed = ((uint64_t)ls_get16(p) << 32) | ls_get32(p + 2);
	t->fudge = ls_get16(p + 6);
	t->mac_len = ls_get16(p + 8);
	t->mac = p + 10;
	p += 10 + t->mac_len;
	t->orig_id = ls_get16(p);
	t->error = ls_get16(p + 2);
	t->other_len = ls_get16(p + 4);
	t->other = p + 6;
}

/* One RR of an answer/authority/additional section; advances *pos. */
static int parse_rr(struct ls_msg *m, enum ls_msg_section sec, size_t *pos)
{
	const uint8_t *w = m->wire;
	size_t start = *pos, p = *pos;

	if (m->has_tsig)
		return fail(m, -EPROTO, "TSIG is not the last record", start);
	if (ls_dname_unpack(NULL, w, m->len, &p) < 0)
		return fail(m, -EBADMSG, "bad owner name", start);
	if (m->len - p < 10)
		return fail(m, -EBADMSG, "RR header truncated", p);
	uint16_t type = ls_get16(w + p);
	uint16_t rclass = ls_get16(w + p + 2);
	uint32_t ttl = ls_get32(w + p + 4);
	uint16_t rdlen = ls_get16(w + p + 8);
	p += 10;
	if (m->len - p < rdlen)
		return fail(m, -EBADMSG, "RDLENGTH past the end", p - 2);
	*pos = p + rdlen;

	if (type == LS_TYPE_OPT) {
		/* RFC 6891 §6.1.1 */
		if (sec != LS_SECTION_ADDITIONAL)
			return fail(m, -EPROTO, "OPT outside the additional section", start);
		if (m->has_edns)
			return fail(m, -EPROTO, "second OPT record", start);
		/* the root, also when reached through a pointer */
		size_t q = start;
		if (ls_dname_unpack(NULL, w, m->len, &q) != 1)
			return fail(m, -EPROTO, "OPT owner is not the root", start);
		if (ls_rdata_check(LS_TYPE_OPT, w + p, rdlen) < 0)
			return fail(m, -EBADMSG, "malformed EDNS option", p);
		m->has_edns = true;
		m->opt_offset = start;
		m->edns.udp_size = rclass;
		m->edns.ext_rcode = (uint8_t)(ttl >> 24);
		m->edns.version = (uint8_t)(ttl >> 16);
		m->edns.flags = (uint16_t)ttl;
		m->edns.options = w + p;
		m->edns.options_len = rdlen;
	} else if (type == LS_TYPE_TSIG) {
		/* RFC 8945 §5.1: the last record of the additional section */
		if (sec != LS_SECTION_ADDITIONAL)
			return fail(m, -EPROTO, "TSIG outside the additional section", start);
		if (ls_rdata_check(LS_TYPE_TSIG, w + p, rdlen) < 0)
			return fail(m, -EBADMSG, "malformed TSIG RDATA", p);
		size_t q = start;
		ls_dname_unpack(m->tsig.key, w, m->len, &q);
		tsig_fields(&m->tsig, w + p);
		m->has_tsig = true;
		m->tsig.offset = start;
		m->tsig.rclass = rclass;
		m->tsig.ttl = ttl;
	}
	return 0;
}

int ls_msg_parse(struct ls_msg *m, const uint8_t *wire, size_t len)
{
	size_t pos = LS_MSG_HDRLEN;

	/* Everything but the three name buffers, which are only read when
	 * their length or flag says they were filled. */
	memset(m, 0, offsetof(struct ls_msg, qname));
	m->qname_len = 0;
	m->qtype = m->qclass = 0;
	m->has_edns = false;
	memset(&m->edns, 0, sizeof(m->edns));
	m->opt_offset = 0;
	m->has_tsig = false;
	m->err_what = NULL;
	m->err_off = 0;
	m->wire = wire;
	m->len = len;
	if (len < LS_MSG_HDRLEN)
		return fail(m, -EBADMSG, "shorter than a header", 0);
	if (len > LS_MSG_MAXLEN)
		return fail(m, -EBADMSG, "longer than 65535 octets", LS_MSG_MAXLEN);
	m->id = ls_get16(wire);
	m->flags = ls_get16(wire + 2);
	for (int s = 0; s < 4; s++)
		m->count[s] = ls_get16(wire + 4 + 2 * s);

	m->section_off[LS_SECTION_QUESTION] = pos;
	for (unsigned i = 0; i < m->count[LS_SECTION_QUESTION]; i++) {
		size_t start = pos;
		int n = ls_dname_unpack(i == 0 ? m->qname : NULL, wire, len, &pos);
		if (n < 0)
			return fail(m, -EBADMSG, "bad question name", start);
		if (len - pos < 4)
			return fail(m, -EBADMSG, "question truncated", pos);
		if (i == 0) {
			m->qname_len = (size_t)n;
			m->qtype = ls_get16(wire + pos);
			m->qclass = ls_get16(wire + pos + 2);
		}
		pos += 4;
	}
	for (int s = LS_SECTION_ANSWER; s <= LS_SECTION_ADDITIONAL; s++) {
		m->section_off[s] = pos;
		for (unsigned i = 0; i < m->count[s]; i++) {
			int err = parse_rr(m, (enum ls_msg_section)s, &pos);
			if (err)
				return err;
		}
	}
	m->end = pos;
	return 0;
}

void ls_msg_iter_init(struct ls_msg_iter *it, const struct ls_msg *m, enum ls_msg_section section)
{
	it->m = m;
	it->section = section;
	it->pos = m->section_off[section];
	it->left = m->count[section];
}

int ls_msg_iter_next(struct ls_msg_iter *it, struct ls_msg_rr *rr)
{
	const struct ls_msg *m = it->m;
	const uint8_t *w = m->wire;
	size_t p = it->pos;
	int n;

	if (it->left == 0)
		return 0;
	/* The walk in ls_msg_parse() proved owner and header fit. */
	rr->section = it->section;
	rr->offset = p;
	n = ls_dname_unpack(rr->owner, w, m->len, &p);
	if (n < 0)
		return -EBADMSG;
	rr->owner_len = (size_t)n;
	rr->type = ls_get16(w + p);
	rr->rclass = ls_get16(w + p + 2);
	if (it->section == LS_SECTION_QUESTION) {
		rr->ttl = 0;
		rr->rdata = NULL;
		rr->rdlen = rr->wire_rdlen = 0;
		rr->wire_rdata_off = p + 4;
		it->pos = p + 4;
		it->left--;
		return 1;
	}
	rr->ttl = ls_get32(w + p + 4);
	rr->wire_rdlen = ls_get16(w + p + 8);
	rr->wire_rdata_off = p + 10;
	it->pos = p + 10 + rr->wire_rdlen;
	it->left--;

	if (rr->wire_rdlen == 0 && (rr->rclass == LS_CLASS_ANY || rr->rclass == LS_CLASS_NONE)) {
		rr->rdata = w + rr->wire_rdata_off;
		rr->rdlen = 0;
		return 1;
	}
	if (!ls_rdata_may_decompress(rr->type)) {
		if (ls_rdata_check(rr->type, w + rr->wire_rdata_off, rr->wire_rdlen) < 0)
			return -EBADMSG;
		rr->rdata = w + rr->wire_rdata_off; /* zero-copy */
		rr->rdlen = rr->wire_rdlen;
		return 1;
	}
	n = ls_rdata_unpack(rr->type, w, m->len, rr->wire_rdata_off, rr->wire_rdlen, rr->rdbuf,
			    sizeof(rr->rdbuf));
	if (n < 0)
		return n;
	rr->rdata = rr->rdbuf;
	rr->rdlen = (uint16_t)n;
	return 1;
}

/* ---- writing ---- */

#define COMP_MASK (LS_MSG_COMP_SLOTS - 1)
#define COMP_FILL (LS_MSG_COMP_SLOTS / 4 * 3)
#define PTR_MAX 0x3fff /* highest offset a compression pointer can reach */

static inline bool slot_used(const struct ls_msg_writer *w, size_t i)
{
	return (w->used[i / 64] >> (i % 64)) & 1;
}

static inline void slot_clear(struct ls_msg_writer *w, size_t i)
{
	w->used[i / 64] &= ~(1ULL << (i % 64));
}

int ls_msg_writer_init(struct ls_msg_writer *w, uint8_t *buf, size_t size)
{
	if (size < LS_MSG_HDRLEN)
		return -ENOSPC;
	if (size > LS_MSG_MAXLEN)
		size = LS_MSG_MAXLEN;
	w->buf = buf;
	w->size = size;
	w->limit = size;
	w->reserved = 0;
	w->len = LS_MSG_HDRLEN;
	memset(w->count, 0, sizeof(w->count));
	w->section = LS_SECTION_QUESTION;
	w->has_opt = false;
	w->nlog = 0;
	memset(w->used, 0, sizeof(w->used));
	memset(buf, 0, LS_MSG_HDRLEN);
	return 0;
}

void ls_msg_set_header(struct ls_msg_writer *w, uint16_t id, uint16_t flags)
{
	ls_put16(w->buf, id);
	ls_put16(w->buf + 2, flags);
}

uint16_t ls_msg_get_flags(const struct ls_msg_writer *w)
{
	return ls_get16(w->buf + 2);
}

void ls_msg_set_flags(struct ls_msg_writer *w, uint16_t flags)
{
	ls_put16(w->buf + 2, flags);
}

void ls_msg_set_rcode(struct ls_msg_writer *w, unsigned rcode)
{
	uint16_t f = ls_get16(w->buf + 2);

	ls_put16(w->buf + 2, (uint16_t)((f & ~LS_RCODE_MASK) | (rcode & LS_RCODE_MASK)));
}

int ls_msg_set_limit(struct ls_msg_writer *w, size_t limit)
{
	if (limit > w->size)
		limit = w->size;
	if (limit < w->len + w->reserved)
		return -EINVAL;
	w->limit = limit;
	return 0;
}

size_t ls_msg_room(const struct ls_msg_writer *w)
{
	size_t end = w->limit - w->reserved;

	return end > w->len ? end - w->len : 0;
}

int ls_msg_reserve(struct ls_msg_writer *w, size_t n)
{
	if (n > ls_msg_room(w))
		return -ENOSPC;
	w->reserved += n;
	return 0;
}

void ls_msg_unreserve(struct ls_msg_writer *w, size_t n)
{
	w->reserved = n > w->reserved ? 0 : w->reserved - n;
}

static void write_counts(struct ls_msg_writer *w)
{
	for (int s = 0; s < 4; s++)
		ls_put16(w->buf + 4 + 2 * s, w->count[s]);
}

void ls_msg_mark(const struct ls_msg_writer *w, struct ls_msg_mark *mark)
{
	mark->len = w->len;
	memcpy(mark->count, w->count, sizeof(mark->count));
	mark->section = w->section;
	mark->has_opt = w->has_opt;
	mark->nlog = w->nlog;
}

void ls_msg_rollback(struct ls_msg_writer *w, const struct ls_msg_mark *mark)
{
	/* Linear probing undone in reverse insertion order restores exactly
	 * the table the mark saw. */
	while (w->nlog > mark->nlog)
		slot_clear(w, w->log[--w->nlog]);
	w->len = mark->len;
	memcpy(w->count, mark->count, sizeof(w->count));
	w->section = mark->section;
	w->has_opt = mark->has_opt;
	write_counts(w);
}

static inline uint8_t lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/*
 * Hashes of every suffix of @name, case-insensitive: h[i] covers the labels
 * from the i-th on. Returns the number of labels; @off gets their offsets.
 */
static int suffix_hashes(const uint8_t *name, uint32_t h[LS_DNAME_MAXLABELS + 1],
			 uint8_t off[LS_DNAME_MAXLABELS + 1])
{
	int n = 0;
	size_t pos = 0;

	while (name[pos] != 0) {
		off[n++] = (uint8_t)pos;
		pos += 1 + (size_t)name[pos];
	}
	uint32_t acc = 2166136261u;
	for (int i = n - 1; i >= 0; i--) {
		const uint8_t *l = name + off[i];
		for (size_t j = 0; j <= l[0]; j++) {
			acc ^= lc(l[j]);
			acc *= 16777619u;
		}
		h[i] = acc;
	}
	return n;
}

/*
 * Do the octets at @off in the message spell @suffix, ignoring ASCII case?
 * Compression is case-insensitive, as knotd's is: a later name that matches
 * an earlier suffix but for case points to it and so takes on its spelling
 * (names are case-insensitive, RFC 4343). The point of it: every name under
 * the query name points into the question, so a response differs between
 * spellings of the same query only in the echoed question itself. That is
 * what lets the XDP data plane answer any spelling from one precomputed
 * response (DESIGN.md, invariant 1).
 */
static bool same_name_at(const struct ls_msg_writer *w, size_t off, const uint8_t *suffix)
{
	/* Our own output: pointers go backwards, labels are sane. The bound
	 * only guards against a bug turning into a hang. */
	for (int steps = 0; steps < 2 * LS_DNAME_MAXLEN; steps++) {
		if (off >= w->len)
			return false;
		uint8_t c = w->buf[off];
		if ((c & 0xC0) == 0xC0) {
			off = ((size_t)(c & 0x3F) << 8) | w->buf[off + 1];
			continue;
		}
		if (c != suffix[0])
			return false;
		if (c == 0)
			return true;
		for (size_t j = 1; j <= c; j++)
			if (lc(w->buf[off + j]) != lc(suffix[j]))
				return false;
		off += 1 + (size_t)c;
		suffix += 1 + (size_t)c;
	}
	return false;
}

static void comp_insert(struct ls_msg_writer *w, uint32_t hash, size_t off)
{
	if (off > PTR_MAX || w->nlog >= COMP_FILL)
		return;
	size_t i = hash & COMP_MASK;
	while (slot_used(w, i))
		i = (i + 1) & COMP_MASK;
	w->used[i / 64] |= 1ULL << (i % 64);
	w->tab[i].hash = hash;
	w->tab[i].off = (uint16_t)off;
	w->log[w->nlog++] = (uint16_t)i;
}

/*
 * Write @name at the end of the message, compressed when @compress and an
 * earlier suffix equal but for case exists, and remember its new labels as targets.
 * -ENOSPC when it does not fit below @end.
 */
static int put_name(struct ls_msg_writer *w, const uint8_t *name, bool compress, size_t end)
{
	uint32_t h[LS_DNAME_MAXLABELS + 1];
	uint8_t off[LS_DNAME_MAXLABELS + 1];
	int n = suffix_hashes(name, h, off);
	int hit = n; /* first label of the suffix found, n: none */
	size_t target = 0;

	if (compress) {
		for (int i = 0; i < n && hit == n; i++) {
			for (size_t s = h[i] & COMP_MASK; slot_used(w, s);
			     s = (s + 1) & COMP_MASK) {
				if (w->tab[s].hash == h[i] &&
				    same_name_at(w, w->tab[s].off, name + off[i])) {
					hit = i;
					target = w->tab[s].off;
					break;
				}
			}
		}
	}
	size_t lit = hit < n ? off[hit] : ls_dname_len(name);
	size_t need = lit + (hit < n ? 2 : 0);
	if (need > end - w->len)
		return -ENOSPC;
	memcpy(w->buf + w->len, name, lit);
	for (int i = 0; i < hit; i++)
		comp_insert(w, h[i], w->len + off[i]);
	w->len += lit;
	if (hit < n) {
		ls_put16(w->buf + w->len, (uint16_t)(0xC000 | target));
		w->len += 2;
	}
	return 0;
}

static size_t write_end(const struct ls_msg_writer *w)
{
	size_t end = w->limit - w->reserved;

	return end > w->len ? end : w->len;
}

int ls_msg_put_question(struct ls_msg_writer *w, const uint8_t *qname, uint16_t qtype,
			uint16_t qclass)
{
	struct ls_msg_mark mark;
	size_t end = write_end(w);
	int err;

	if (w->section != LS_SECTION_QUESTION || w->count[LS_SECTION_QUESTION] == 0xffff)
		return -EINVAL;
	if (ls_dname_wire_check(qname, LS_DNAME_MAXLEN) < 0)
		return -EINVAL;
	ls_msg_mark(w, &mark);
	err = put_name(w, qname, true, end);
	if (err)
		goto rollback;
	if (end - w->len < 4) {
		err = -ENOSPC;
		goto rollback;
	}
	ls_put16(w->buf + w->len, qtype);
	ls_put16(w->buf + w->len + 2, qclass);
	w->len += 4;
	w->count[LS_SECTION_QUESTION]++;
	write_counts(w);
	return 0;
rollback:
	ls_msg_rollback(w, &mark);
	return err;
}

struct rdata_writer {
	struct ls_msg_writer *w;
	const uint8_t *rdata;
	size_t copied; /* RDATA octets up to here are in the message */
	size_t end;
	int err;
};

static int put_rdata_bytes(struct rdata_writer *rw, size_t upto)
{
	struct ls_msg_writer *w = rw->w;
	size_t n = upto - rw->copied;

	if (n > rw->end - w->len)
		return -ENOSPC;
	memcpy(w->buf + w->len, rw->rdata + rw->copied, n);
	w->len += n;
	rw->copied = upto;
	return 0;
}

static int put_rdata_name(void *ctx, size_t off, bool compressible)
{
	struct rdata_writer *rw = ctx;
	int err = put_rdata_bytes(rw, off);

	if (err)
		return err;
	err = put_name(rw->w, rw->rdata + off, compressible, rw->end);
	if (err)
		return err;
	rw->copied = off + ls_dname_len(rw->rdata + off);
	return 0;
}

int ls_msg_put_rr(struct ls_msg_writer *w, enum ls_msg_section section, const uint8_t *owner,
		  uint16_t type, uint16_t rclass, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	struct ls_msg_mark mark;
	size_t end = write_end(w);
	int err;

	if (section < LS_SECTION_ANSWER || section > LS_SECTION_ADDITIONAL ||
	    section < w->section || w->count[section] == 0xffff)
		return -EINVAL;
	if (ls_dname_wire_check(owner, LS_DNAME_MAXLEN) < 0)
		return -EINVAL;
	if (rdlen > LS_RDATA_MAXLEN)
		return -EBADMSG;
	ls_msg_mark(w, &mark);
	w->section = section;
	err = put_name(w, owner, true, end);
	if (err)
		goto rollback;
	if (end - w->len < 10) {
		err = -ENOSPC;
		goto rollback;
	}
	uint8_t *hdr = w->buf + w->len;
	ls_put16(hdr, type);
	ls_put16(hdr + 2, rclass);
	ls_put32(hdr + 4, ttl);
	w->len += 10;
	size_t rdstart = w->len;

	/* Empty RDATA is how DNS UPDATE deletes; otherwise it must fit the
	 * type, which the walk over its names checks (-EBADMSG). */
	struct rdata_writer rw = { .w = w, .rdata = rdata, .end = end };
	if (rdlen > 0) {
		err = ls_rdata_names(type, rdata, rdlen, put_rdata_name, &rw);
		if (err)
			goto rollback;
	}
	err = put_rdata_bytes(&rw, rdlen);
	if (err)
		goto rollback;
	if (w->len - rdstart > LS_RDATA_MAXLEN) {
		err = -EBADMSG;
		goto rollback;
	}
	ls_put16(hdr + 8, (uint16_t)(w->len - rdstart));
	w->count[section]++;
	write_counts(w);
	return 0;
rollback:
	ls_msg_rollback(w, &mark);
	return err;
}

size_t ls_msg_opt_size(const struct ls_msg_edns *e)
{
	return 11 + (size_t)e->options_len;
}

int ls_msg_put_opt(struct ls_msg_writer *w, const struct ls_msg_edns *e)
{
	uint8_t *p;
	size_t need = ls_msg_opt_size(e);

	if (w->section > LS_SECTION_ADDITIONAL || w->count[LS_SECTION_ADDITIONAL] == 0xffff)
		return -EINVAL;
	if (e->options_len > 0 && ls_rdata_check(LS_TYPE_OPT, e->options, e->options_len) < 0)
		return -EBADMSG;
	if (w->has_opt)
		return -EEXIST;
	if (need > write_end(w) - w->len)
		return -ENOSPC;
	p = w->buf + w->len;
	p[0] = 0;
	ls_put16(p + 1, LS_TYPE_OPT);
	ls_put16(p + 3, e->udp_size);
	p[5] = e->ext_rcode;
	p[6] = e->version;
	ls_put16(p + 7, e->flags);
	ls_put16(p + 9, e->options_len);
	if (e->options_len)
		memcpy(p + 11, e->options, e->options_len);
	w->len += need;
	w->has_opt = true;
	w->section = LS_SECTION_ADDITIONAL;
	w->count[LS_SECTION_ADDITIONAL]++;
	write_counts(w);
	return 0;
}

/* ---- names ---- */

static const char *const rcode_names[] = {
	[LS_RCODE_NOERROR] = "NOERROR",	  [LS_RCODE_FORMERR] = "FORMERR",
	[LS_RCODE_SERVFAIL] = "SERVFAIL", [LS_RCODE_NXDOMAIN] = "NXDOMAIN",
	[LS_RCODE_NOTIMP] = "NOTIMP",	  [LS_RCODE_REFUSED] = "REFUSED",
	[LS_RCODE_YXDOMAIN] = "YXDOMAIN", [LS_RCODE_YXRRSET] = "YXRRSET",
	[LS_RCODE_NXRRSET] = "NXRRSET",	  [LS_RCODE_NOTAUTH] = "NOTAUTH",
	[LS_RCODE_NOTZONE] = "NOTZONE",	  [LS_RCODE_DSOTYPENI] = "DSOTYPENI",
	[LS_RCODE_BADVERS] = "BADVERS",	  [LS_RCODE_BADKEY] = "BADKEY",
	[LS_RCODE_BADTIME] = "BADTIME",	  [LS_RCODE_BADMODE] = "BADMODE",
	[LS_RCODE_BADNAME] = "BADNAME",	  [LS_RCODE_BADALG] = "BADALG",
	[LS_RCODE_BADTRUNC] = "BADTRUNC", [LS_RCODE_BADCOOKIE] = "BADCOOKIE",
};

const char *ls_msg_rcode_name(unsigned rcode)
{
	if (rcode < sizeof(rcode_names) / sizeof(rcode_names[0]))
		return rcode_names[rcode];
	return NULL;
}

const char *ls_msg_tsig_error_name(unsigned error)
{
	if (error == LS_RCODE_BADSIG)
		return "BADSIG";
	return ls_msg_rcode_name(error);
}

const char *ls_msg_opcode_name(unsigned opcode)
{
	static const char *const names[] = {
		[LS_OPCODE_QUERY] = "QUERY",   [LS_OPCODE_IQUERY] = "IQUERY",
		[LS_OPCODE_STATUS] = "STATUS", [LS_OPCODE_NOTIFY] = "NOTIFY",
		[LS_OPCODE_UPDATE] = "UPDATE", [LS_OPCODE_DSO] = "DSO",
	};

	if (opcode < sizeof(names) / sizeof(names[0]))
		return names[opcode];
	return NULL;
}

const char *ls_msg_section_name(enum ls_msg_section section)
{
	static const char *const names[] = { "QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL" };

	if ((unsigned)section < 4)
		return names[section];
	return NULL;
}

int ls_msg_rr_to_str(char *dst, size_t dstlen, const struct ls_msg_rr *rr)
{
	char owner[LS_DNAME_STRLEN], cls[16], type[LS_RRTYPE_STRLEN];
	int n, r;

	if (ls_dname_to_str(owner, sizeof(owner), rr->owner) < 0)
		return -EBADMSG;
	ls_rrclass_name(rr->rclass, cls);
	ls_rrtype_name(rr->type, type);
	if (rr->section == LS_SECTION_QUESTION)
		n = snprintf(dst, dstlen, "%s %s %s", owner, cls, type);
	else
		n = snprintf(dst, dstlen, "%s %u %s %s ", owner, (unsigned)rr->ttl, cls, type);
	if (n < 0 || (size_t)n >= dstlen)
		return -ENOSPC;
	if (rr->section == LS_SECTION_QUESTION)
		return n;
	r = ls_rdata_to_str(dst + n, dstlen - (size_t)n, rr->type, rr->rdata, rr->rdlen);
	if (r == -EBADMSG && rr->rdlen == 0) /* an UPDATE deletion */
		r = 0;
	if (r < 0)
		return r;
	if (r == 0) /* no trailing space after an empty RDATA */
		dst[--n] = '\0';
	return n + r;
}
