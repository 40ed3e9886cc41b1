/* SPDX-License-Identifier: MIT */
/*
 * newzone.c — see newzone.h; docs/catalog.md ("NEWZONE_NOTIFY") says how
 * the daemon uses it.
 *
 * The draft's text was not at hand while this was written; what it takes
 * from the draft is what DESIGN.md and issue 6 say of it: opcode 5, one
 * question of QTYPE ANY naming the new zone, the master named in the answer
 * section, the §5.2 checks (the notifier is a trusted master; SOA and NS
 * are queried from it; the named master is the SOA MNAME or in the NS set),
 * NOERROR or SERVFAIL in the response. Where the draft leaves a choice (how
 * the answer section names the master) this module is strict: A/AAAA
 * records of one owner, nothing else.
 */
#include "common/newzone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/rdata.h"

enum ls_newzone_kind ls_newzone_classify(const struct ls_msg *m)
{
	if (ls_msg_opcode(m) != LS_OPCODE_UPDATE || (m->flags & LS_FLAG_QR))
		return LS_NEWZONE_OTHER;
	/* An UPDATE's zone section is one SOA question (RFC 2136 §3.1.1); a
	 * NEWZONE_NOTIFY asks ANY. Anything else is UPDATE-shaped, not ours. */
	if (m->count[LS_SECTION_QUESTION] != 1 || m->qname_len == 0 || m->qtype != LS_TYPE_ANY ||
	    m->qclass != LS_CLASS_IN)
		return LS_NEWZONE_UPDATE;
	return LS_NEWZONE_CANDIDATE;
}

int ls_newzone_parse(const struct ls_msg *m, struct ls_newzone_req *req, char *err, size_t errlen)
{
	struct ls_msg_rr *rr;
	struct ls_msg_iter it;
	int r, ret = -EBADMSG;

	memset(req, 0, sizeof(*req));
	if (ls_newzone_classify(m) != LS_NEWZONE_CANDIDATE) {
		ls_errf(err, errlen, "not a NEWZONE_NOTIFY (opcode 5, one question, ANY IN)");
		return -EBADMSG;
	}
	if (m->qname[0] == 0) {
		ls_errf(err, errlen, "the root cannot be a new zone");
		return -EBADMSG;
	}
	ls_dname_copy_lower(req->zone, m->qname);
	/* struct ls_msg_rr carries a decompression buffer: keep it off the stack */
	rr = malloc(sizeof(*rr));
	if (!rr) {
		ls_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ls_msg_iter_init(&it, m, LS_SECTION_ANSWER);
	while ((r = ls_msg_iter_next(&it, rr)) == 1) {
		struct sockaddr_storage *ss;

		if (rr->rclass != LS_CLASS_IN ||
		    (rr->type != LS_TYPE_A && rr->type != LS_TYPE_AAAA)) {
			ls_errf(err, errlen,
				"answer section: only A/AAAA records of the master, not type %u class %u",
				rr->type, rr->rclass);
			goto free_rr;
		}
		if (req->naddrs == 0) {
			ls_dname_copy_lower(req->master, rr->owner);
		} else if (!ls_dname_equal(req->master, rr->owner)) {
			ls_errf(err, errlen, "answer section names more than one master");
			goto free_rr;
		}
		if (req->naddrs == LS_NEWZONE_MAX_ADDRS) {
			ls_errf(err, errlen, "answer section: more than %d addresses",
				LS_NEWZONE_MAX_ADDRS);
			goto free_rr;
		}
		ss = &req->addrs[req->naddrs++];
		if (rr->type == LS_TYPE_A) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, rr->rdata, 4);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, rr->rdata, 16);
		}
	}
	if (r < 0) {
		ls_errf(err, errlen, "answer section: malformed record");
		goto free_rr;
	}
	if (req->naddrs == 0) {
		ls_errf(err, errlen, "answer section does not name the master (no A/AAAA record)");
		goto free_rr;
	}
	ret = 0;
free_rr:
	free(rr);
	return ret;
}

static int read_soa(struct ls_newzone_auth *auth, const struct ls_msg_rr *rr)
{
	size_t mlen = ls_dname_len(rr->rdata);
	size_t rlen;

	/* the iterator checked the RDATA's shape: two names and 20 octets */
	if (mlen == 0 || mlen > rr->rdlen)
		return -EBADMSG;
	rlen = ls_dname_len(rr->rdata + mlen);
	if (rlen == 0 || mlen + rlen + 20 > rr->rdlen)
		return -EBADMSG;
	ls_dname_copy_lower(auth->mname, rr->rdata);
	auth->serial = (uint32_t)rr->rdata[mlen + rlen] << 24 |
		       (uint32_t)rr->rdata[mlen + rlen + 1] << 16 |
		       (uint32_t)rr->rdata[mlen + rlen + 2] << 8 | rr->rdata[mlen + rlen + 3];
	auth->has_soa = true;
	return 0;
}

int ls_newzone_read_answer(const struct ls_msg *m, const uint8_t *zone, uint16_t qtype, uint16_t id,
			   struct ls_newzone_auth *auth, char *err, size_t errlen)
{
	struct ls_msg_rr *rr;
	struct ls_msg_iter it;
	size_t found = 0;
	int r, ret = -EPROTO;

	if (qtype != LS_TYPE_SOA && qtype != LS_TYPE_NS) {
		ls_errf(err, errlen, "only SOA and NS answers are read");
		return -EINVAL;
	}
	if (!(m->flags & LS_FLAG_QR) || m->id != id || ls_msg_opcode(m) != LS_OPCODE_QUERY ||
	    m->count[LS_SECTION_QUESTION] != 1 || m->qtype != qtype || m->qclass != LS_CLASS_IN ||
	    !ls_dname_equal(m->qname, zone)) {
		ls_errf(err, errlen, "not the answer to the %s query",
			qtype == LS_TYPE_SOA ? "SOA" : "NS");
		return -EPROTO;
	}
	if (ls_msg_rcode(m) != LS_RCODE_NOERROR) {
		const char *name = ls_msg_rcode_name(ls_msg_rcode(m));

		ls_errf(err, errlen, "the master answered %s", name ? name : "an unknown RCODE");
		return -EPROTO;
	}
	if (m->flags & LS_FLAG_TC) {
		ls_errf(err, errlen, "the answer was truncated");
		return -EPROTO;
	}
	if (!(m->flags & LS_FLAG_AA)) {
		ls_errf(err, errlen, "the master is not authoritative for the zone");
		return -EPROTO;
	}
	rr = malloc(sizeof(*rr));
	if (!rr) {
		ls_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (qtype == LS_TYPE_SOA)
		auth->has_soa = false;
	else
		auth->nns = 0;
	ls_msg_iter_init(&it, m, LS_SECTION_ANSWER);
	while ((r = ls_msg_iter_next(&it, rr)) == 1) {
		if (rr->type != qtype || rr->rclass != LS_CLASS_IN ||
		    !ls_dname_equal(rr->owner, zone))
			continue; /* CNAMEs and the like: not the zone's own records */
		found++;
		if (qtype == LS_TYPE_SOA) {
			if (found > 1) {
				ls_errf(err, errlen, "more than one SOA record");
				goto free_rr;
			}
			if (read_soa(auth, rr) != 0) {
				ls_errf(err, errlen, "malformed SOA record");
				goto free_rr;
			}
		} else if (auth->nns < LS_NEWZONE_MAX_NS) {
			/* more NS than kept: the named master must be among the first */
			ls_dname_copy_lower(auth->ns[auth->nns++], rr->rdata);
		}
	}
	if (r < 0) {
		ls_errf(err, errlen, "malformed record in the answer");
		goto free_rr;
	}
	if (!found) {
		ls_errf(err, errlen, "no %s record for the zone in the answer",
			qtype == LS_TYPE_SOA ? "SOA" : "NS");
		ret = -ENODATA;
		goto free_rr;
	}
	ret = 0;
free_rr:
	free(rr);
	return ret;
}

int ls_newzone_check(const struct ls_newzone_req *req, const struct ls_newzone_auth *auth,
		     char *err, size_t errlen)
{
	char name[LS_DNAME_STRLEN];

	if (!auth->has_soa || auth->nns == 0) {
		ls_errf(err, errlen, "the master's SOA and NS answers are both required");
		return -EPERM;
	}
	if (ls_dname_equal(req->master, auth->mname))
		return 0;
	for (size_t i = 0; i < auth->nns; i++) {
		if (ls_dname_equal(req->master, auth->ns[i]))
			return 0;
	}
	ls_dname_to_str(name, sizeof(name), req->master);
	ls_errf(err, errlen, "master %s is neither the SOA MNAME nor in the NS set", name);
	return -EPERM;
}

int ls_newzone_response(const struct ls_msg *q, unsigned rcode, uint8_t *buf, size_t cap)
{
	struct ls_msg_writer *w;
	int ret;

	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	ret = ls_msg_writer_init(w, buf, cap);
	if (ret)
		goto free_writer;
	ls_msg_set_header(w, q->id, (uint16_t)(LS_FLAG_QR | (q->flags & LS_OPCODE_MASK)));
	ls_msg_set_rcode(w, rcode & LS_RCODE_MASK);
	if (q->count[LS_SECTION_QUESTION] >= 1 && q->qname_len > 0) {
		ret = ls_msg_put_question(w, q->qname, q->qtype, q->qclass);
		if (ret)
			goto free_writer;
	}
	ret = (int)ls_msg_len(w);
free_writer:
	free(w);
	return ret;
}

int ls_newzone_request(uint16_t id, const uint8_t *zone, const uint8_t *master,
		       const struct sockaddr_storage *addrs, size_t naddrs, uint8_t *buf,
		       size_t cap)
{
	struct ls_msg_writer *w;
	int ret;

	if (naddrs == 0 || naddrs > LS_NEWZONE_MAX_ADDRS)
		return -EINVAL;
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	ret = ls_msg_writer_init(w, buf, cap);
	if (ret)
		goto free_writer;
	ls_msg_set_header(w, id, LS_OPCODE_UPDATE << LS_OPCODE_SHIFT);
	ret = ls_msg_put_question(w, zone, LS_TYPE_ANY, LS_CLASS_IN);
	for (size_t i = 0; !ret && i < naddrs; i++) {
		const struct sockaddr_storage *ss = &addrs[i];

		if (ss->ss_family == AF_INET)
			ret = ls_msg_put_rr(
				w, LS_SECTION_ANSWER, master, LS_TYPE_A, LS_CLASS_IN, 0,
				(const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr, 4);
		else if (ss->ss_family == AF_INET6)
			ret = ls_msg_put_rr(
				w, LS_SECTION_ANSWER, master, LS_TYPE_AAAA, LS_CLASS_IN, 0,
				(const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		else
			ret = -EINVAL;
	}
	if (!ret)
		ret = (int)ls_msg_len(w);
free_writer:
	free(w);
	return ret;
}

/* ---- the persisted list ------------------------------------------------- */

void ls_newzone_list_clear(struct ls_newzone_list *list)
{
	if (!list)
		return;
	free(list->v);
	memset(list, 0, sizeof(*list));
}

const struct ls_newzone_entry *ls_newzone_list_find(const struct ls_newzone_list *list,
						    const uint8_t *zone)
{
	for (size_t i = 0; i < list->count; i++) {
		if (ls_dname_equal(list->v[i].zone, zone))
			return &list->v[i];
	}
	return NULL;
}

static bool remote_ok(const char *s, size_t len)
{
	if (len == 0 || len > LS_NEWZONE_REMOTE_MAXLEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	}
	return true;
}

static int list_add(struct ls_newzone_list *list, const uint8_t *zone, const char *remote,
		    size_t rlen)
{
	struct ls_newzone_entry *e;

	if (!remote_ok(remote, rlen))
		return -EINVAL;
	if (ls_newzone_list_find(list, zone))
		return -EEXIST;
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		struct ls_newzone_entry *v = realloc(list->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		list->v = v;
		list->cap = cap;
	}
	e = &list->v[list->count++];
	memset(e, 0, sizeof(*e));
	ls_dname_copy_lower(e->zone, zone);
	memcpy(e->remote, remote, rlen);
	return 0;
}

int ls_newzone_list_add(struct ls_newzone_list *list, const uint8_t *zone, const char *remote)
{
	return list_add(list, zone, remote, strlen(remote));
}

int ls_newzone_list_remove(struct ls_newzone_list *list, const uint8_t *zone)
{
	for (size_t i = 0; i < list->count; i++) {
		if (ls_dname_equal(list->v[i].zone, zone)) {
			memmove(&list->v[i], &list->v[i + 1],
				(list->count - i - 1) * sizeof(list->v[0]));
			list->count--;
			return 0;
		}
	}
	return -ENOENT;
}

/* One line "<zone> <remote>" (without its newline). */
static int parse_line(struct ls_newzone_list *list, const char *s, size_t len, char *err,
		      size_t errlen, size_t lineno)
{
	char zbuf[LS_DNAME_STRLEN];
	uint8_t zone[LS_DNAME_MAXLEN];
	const char *sp = memchr(s, ' ', len);
	size_t zlen;
	int r;

	if (!sp) {
		ls_errf(err, errlen, "line %zu: expected \"<zone> <remote>\"", lineno);
		return -EBADMSG;
	}
	zlen = (size_t)(sp - s);
	if (zlen == 0 || zlen >= sizeof(zbuf) || memchr(s, '\0', len)) {
		ls_errf(err, errlen, "line %zu: bad zone name", lineno);
		return -EBADMSG;
	}
	memcpy(zbuf, s, zlen);
	zbuf[zlen] = '\0';
	/* absolute names only: no origin to complete a relative one */
	if (ls_dname_from_str(zone, zbuf, NULL) < 0 || zone[0] == 0) {
		ls_errf(err, errlen, "line %zu: bad zone name", lineno);
		return -EBADMSG;
	}
	r = list_add(list, zone, sp + 1, len - zlen - 1);
	if (r == -EINVAL)
		ls_errf(err, errlen, "line %zu: bad remote id", lineno);
	else if (r == -EEXIST)
		ls_errf(err, errlen, "line %zu: %s listed twice", lineno, zbuf);
	else if (r)
		ls_errf(err, errlen, "out of memory");
	return r == -ENOMEM ? r : r ? -EBADMSG : 0;
}

int ls_newzone_list_parse(struct ls_newzone_list *list, const char *text, size_t len, char *err,
			  size_t errlen)
{
	size_t pos = 0, lineno = 0;
	int r;

	ls_newzone_list_clear(list);
	if (len == 0 || text[len - 1] != '\n') {
		ls_errf(err, errlen, "empty or not ending in a newline (cut short?)");
		return -EBADMSG;
	}
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t l = (size_t)(nl - s);

		lineno++;
		pos += l + 1;
		if (lineno == 1) {
			if (l != strlen(LS_NEWZONE_LIST_MAGIC) ||
			    memcmp(s, LS_NEWZONE_LIST_MAGIC, l) != 0) {
				ls_errf(err, errlen, "line 1: not a lockstep newzone list");
				r = -EBADMSG;
				goto clear;
			}
			continue;
		}
		if (l == 0 || s[0] == '#')
			continue;
		r = parse_line(list, s, l, err, errlen, lineno);
		if (r)
			goto clear;
	}
	return 0;
clear:
	ls_newzone_list_clear(list);
	return r;
}

long ls_newzone_list_format(const struct ls_newzone_list *list, char **out)
{
	size_t cap = strlen(LS_NEWZONE_LIST_MAGIC) + 2, len;
	char *buf;

	*out = NULL;
	for (size_t i = 0; i < list->count; i++)
		cap += LS_DNAME_STRLEN + strlen(list->v[i].remote) + 2;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	len = (size_t)snprintf(buf, cap, "%s\n", LS_NEWZONE_LIST_MAGIC);
	for (size_t i = 0; i < list->count; i++) {
		int n = ls_dname_to_str(buf + len, cap - len, list->v[i].zone);

		if (n < 0) {
			free(buf);
			return -ENOMEM; /* cannot happen: cap counts the longest name */
		}
		len += (size_t)n;
		len += (size_t)snprintf(buf + len, cap - len, " %s\n", list->v[i].remote);
	}
	*out = buf;
	return (long)len;
}
