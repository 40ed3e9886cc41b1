/* SPDX-License-Identifier: MIT */
/*
 * admin.c — see admin.h.
 *
 * The loop side follows agent/server.c (non-blocking sockets, level-
 * triggered libev watchers, bounded work per event) with two differences
 * that the administrative traffic brings:
 *  - A TCP request may be answered by a stream (a zone transfer) or later
 *    (the opcode-5 handler asks the notifier first). Requests on one
 *    connection are answered strictly in order, so while a stream or a
 *    deferred answer is outstanding the connection reads nothing more; the
 *    peer's requests wait in its socket buffer (RFC 7766 allows a server to
 *    process them one after another).
 *  - A stream is produced as the socket drains: messages are appended to
 *    the connection's output while it holds less than OUT_HIGH octets, and
 *    the write watcher asks for more. A transfer of any size therefore
 *    costs one message of work per turn of the loop, never a blocking
 *    write, and memory of about OUT_HIGH plus one message per connection.
 * The idle timeout counts progress in either direction, so a slow but
 * moving transfer is not cut; a peer that stops reading is.
 * Traffic here is low (peers and primaries), so UDP uses plain
 * recvfrom/sendto rather than the service path's batches.
 *
 * XoT connections (admin.tls-listen) are the same struct conn with an SSL
 * on top: a handshake first (bounded by the idle timeout), then the same
 * framing, dispatcher and streaming, with reads and writes through
 * agent/tls.h. Two TLS wrinkles: OpenSSL may hold decrypted requests the
 * socket no longer signals (the read watcher is then fed by hand), and a
 * write may have to wait for the socket to be readable (write_wants_read).
 * A reload re-reads the certificate and re-binds the XoT listeners to the
 * addresses now configured, keeping the sockets of addresses kept.
 *
 * Transfers out need TSIG; a zone's allow-transfer (or its catalog's)
 * narrows that to listed remotes, each by key and address together: the
 * key alone would let every holder of a mesh-wide key in.
 */
#include "agent/admin.h"
#include "agent/tcpout.h"
#include "agent/tls.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/xfrin.h"
#include "agent/xfrout.h"
#include "common/log.h"
#include "common/message.h"
#include "common/tsig.h"

#define UDP_ROUNDS 64 /* datagrams per readiness event */
#define TCP_MAX_REQUEST 16384 /* larger length prefixes close the connection */
#define OUT_HIGH (64u * 1024) /* unsent octets above which nothing more is produced */
#define RESP_LEN LS_MSG_MAXLEN
#define ACCEPT_RETRY 0.1 /* seconds to pause accept() when out of descriptors */

struct ls_admin;

struct udp_sock {
	ev_io io;
	int fd;
	struct ls_admin *a;
};

struct tcp_listener {
	ev_io io;
	ev_timer retry; /* accept() paused after EMFILE and the like */
	int fd;
	struct ls_admin *a;
	bool tls; /* admin.tls-listen: connections start with a TLS handshake */
	struct ls_config_addr addr; /* as configured: a reload keeps a listener it still lists */
};

/* A deferred UDP answer (opcode 5): where it goes. */
struct udp_pending {
	struct udp_pending *prev, *next;
	struct ls_admin *a;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

struct conn {
	struct conn *prev, *next;
	struct ls_admin *a;
	int fd;
	ev_io rio, wio;
	ev_timer timer;
	ev_tstamp last;
	uint8_t *in;
	size_t in_len, in_cap;
	struct ls_tcpout out;
	struct ls_xfrout *xfr; /* a transfer being sent */
	uint8_t xfr_origin[LS_DNAME_MAXLEN];
	struct sockaddr_storage from; /* the peer, as accept() gave it */
	char peer[LS_CONFIG_ADDR_STRLEN]; /* the same, for the log */
	bool waiting; /* a deferred answer is outstanding */
	bool in_dispatch; /* inside ls_admin_dispatch(): a reply must not re-enter */
	bool eof;
	bool closing; /* closed as soon as the output is out */
	SSL *ssl; /* XoT connection; NULL for plain TCP */
	bool handshaking; /* the TLS handshake is not finished */
	bool alpn_dot; /* it negotiated ALPN "dot" (RFC 9103 §7.1) */
	bool write_wants_read; /* TLS output waits for the socket to be readable */
};

struct ls_admin {
	struct ev_loop *loop;
	const struct ls_config *cfg;
	struct ls_admin_ops ops;
	struct ls_admin_opts opts;
	/* shallow copies of the keys some remote uses: only those may sign */
	struct ls_config_key *keys;
	size_t nkeys;
	ls_admin_update_fn update;
	ls_admin_forget_fn forget;
	void *hctx;
	struct udp_sock *udp;
	struct tcp_listener *tcp;
	size_t naddrs;
	struct tcp_listener *tls; /* admin.tls-listen */
	size_t ntls;
	SSL_CTX *tls_ctx;
	struct conn *conns;
	size_t nconns;
	struct udp_pending *pending;
	struct ls_admin_stats st;
	uint8_t resp[RESP_LEN];
	uint8_t rbuf[LS_ADMIN_UDP_BUFLEN];
};

static uint64_t unix_now(void)
{
	return (uint64_t)time(NULL);
}

/* @sa (NULL: unknown) as ls_config_addr_str() writes it. */
static const char *peer_str(const struct sockaddr *sa, char *buf, size_t len)
{
	struct ls_config_addr addr = { 0 };

	if (sa && sa->sa_family == AF_INET)
		memcpy(&addr.ss, sa, sizeof(struct sockaddr_in));
	else if (sa && sa->sa_family == AF_INET6)
		memcpy(&addr.ss, sa, sizeof(struct sockaddr_in6));
	return ls_config_addr_str(&addr, buf, len);
}

/* ---- keys ------------------------------------------------------------------ */

static int collect_keys(const struct ls_config *cfg, struct ls_config_key **keys, size_t *n)
{
	struct ls_config_key *v = calloc(cfg->key_count ? cfg->key_count : 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->key_count; i++) {
		bool used = false;

		for (size_t j = 0; j < cfg->remote_count && !used; j++)
			used = cfg->remotes[j].key == &cfg->keys[i];
		if (used)
			v[k++] = cfg->keys[i];
	}
	*keys = v;
	*n = k;
	return 0;
}

/* ---- the dispatcher -------------------------------------------------------- */

/* Start a response to @m (header and, when it parsed that far, the question). */
static void begin(struct ls_msg_writer *w, const struct ls_msg *m, uint8_t *resp, size_t cap,
		  unsigned rcode, bool question)
{
	ls_msg_writer_init(w, resp, cap);
	ls_msg_set_header(w, m->id,
			  LS_FLAG_QR | (m->flags & (LS_OPCODE_MASK | LS_FLAG_RD)) | (rcode & 0xf));
	if (question && m->qname_len > 0 && m->count[LS_SECTION_QUESTION] > 0)
		ls_msg_put_question(w, m->qname, m->qtype, m->qclass);
}

/* An OPT when the request had one (RFC 6891 §7: a responder MUST include
 * one then), advertising our size; before any TSIG, which comes last. */
static int put_opt(struct ls_msg_writer *w, const struct ls_msg *m)
{
	const struct ls_msg_edns opt = { .udp_size = LS_XFROUT_EDNS_PAYLOAD };

	return m->has_edns ? ls_msg_put_opt(w, &opt) : 0;
}

/* Finish: the OPT, then sign when the request was verified. Returns the
 * length or 0. */
static int finish(struct ls_msg_writer *w, const struct ls_msg *m, struct ls_tsig *t, uint64_t now,
		  uint16_t error)
{
	size_t len;

	if (put_opt(w, m))
		return 0;
	len = ls_msg_len(w);

	if (t->key && ls_tsig_sign(t, w->buf, &len, w->size, now, error))
		return 0;
	return (int)len;
}

static int answer_flags(const struct ls_msg *m, struct ls_tsig *t, uint64_t now, uint8_t *resp,
			size_t cap, unsigned rcode, uint16_t flags)
{
	struct ls_msg_writer w;

	begin(&w, m, resp, cap, rcode, true);
	ls_msg_set_flags(&w, ls_msg_get_flags(&w) | flags);
	return finish(&w, m, t, now, 0);
}

static int answer_rcode(const struct ls_msg *m, struct ls_tsig *t, uint64_t now, uint8_t *resp,
			size_t cap, unsigned rcode)
{
	return answer_flags(m, t, now, resp, cap, rcode, 0);
}

/* BADVERS to an EDNS version we do not implement (RFC 6891 §6.1.3): the
 * extended RCODE travels in our OPT, which says version 0; signed as asked. */
static int answer_badvers(const struct ls_msg *m, struct ls_tsig *t, uint64_t now, uint8_t *resp,
			  size_t cap)
{
	const struct ls_msg_edns opt = { .udp_size = LS_XFROUT_EDNS_PAYLOAD,
					 .ext_rcode = LS_RCODE_BADVERS >> 4 };
	struct ls_msg_writer w;
	size_t len;

	begin(&w, m, resp, cap, LS_RCODE_BADVERS & 0xf, true);
	if (ls_msg_put_opt(&w, &opt))
		return 0;
	len = ls_msg_len(&w);
	if (t->key && ls_tsig_sign(t, w.buf, &len, w.size, now, 0))
		return 0;
	return (int)len;
}

/* FORMERR to a message that did not parse: the header alone, unsigned. */
static int answer_formerr(const struct ls_msg *m, uint8_t *resp, size_t cap)
{
	struct ls_msg_writer w;

	begin(&w, m, resp, cap, LS_RCODE_FORMERR, false);
	return (int)ls_msg_len(&w);
}

static int answer_soa(struct ls_admin *a, const struct ls_msg *m, const struct ls_zone *z,
		      struct ls_tsig *t, uint64_t now, uint8_t *resp, size_t cap)
{
	const struct ls_zone_node *apex = ls_zone_apex(z);
	const struct ls_zone_rrset *soa = ls_zone_node_rrset(z, apex, LS_TYPE_SOA);
	struct ls_zone_rdata_iter it;
	struct ls_msg_writer w;
	const uint8_t *rd;
	uint16_t len;

	begin(&w, m, resp, cap, LS_RCODE_NOERROR, true);
	ls_msg_set_flags(&w, ls_msg_get_flags(&w) | LS_FLAG_AA);
	if (soa) {
		ls_zone_rdata_begin(z, soa, &it);
		if (ls_zone_rdata_next(&it, &rd, &len))
			ls_msg_put_rr(&w, LS_SECTION_ANSWER, m->qname, LS_TYPE_SOA, LS_CLASS_IN,
				      soa->ttl, rd, len);
	}
	a->st.soa_answered++;
	return finish(&w, m, t, now, 0);
}

/* The TSIG of a request failed: NOTAUTH with the error (RFC 8945 §5.2). */
static int answer_tsig_error(struct ls_admin *a, const struct ls_msg *m, struct ls_tsig *t,
			     const struct ls_tsig_status *st, uint64_t now, uint8_t *resp,
			     size_t cap, const char *peer)
{
	struct ls_msg_writer w;
	size_t len;

	a->st.tsig_refused++;
	pr_warn("admin: %s from %s: TSIG: %s",
		ls_msg_opcode(m) == LS_OPCODE_NOTIFY ? "NOTIFY" : "request", peer,
		st->why ? st->why : "refused");
	begin(&w, m, resp, cap, st->rcode, true);
	if (st->error == LS_RCODE_BADTIME)
		return finish(&w, m, t, now, LS_RCODE_BADTIME);
	if (put_opt(&w, m))
		return 0;
	len = ls_msg_len(&w);
	if (st->error && ls_tsig_append_error(m, resp, &len, cap, now, st->error))
		return 0;
	return (int)len;
}

static int do_notify(struct ls_admin *a, const struct ls_msg *m, const uint8_t *origin,
		     const struct ls_config_key *key, struct ls_tsig *t,
		     const struct ls_admin_req *req, uint8_t *resp, size_t cap, const char *peer)
{
	const struct ls_config_remote *remote = NULL;
	char zone[LS_DNAME_STRLEN];
	int err, len;

	ls_dname_to_str(zone, sizeof(zone), origin);
	if (m->count[LS_SECTION_QUESTION] != 1 || m->qtype != LS_TYPE_SOA) {
		a->st.malformed++;
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_FORMERR);
	}
	err = a->ops.primary ? a->ops.primary(a->ops.ctx, origin, req->from, &remote) : -ENOENT;
	if (err == -ENOENT) {
		a->st.notify_refused++;
		pr_warn("admin: NOTIFY for %s from %s refused: not a zone with primaries here",
			zone, peer);
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_NOTAUTH);
	}
	if (err) {
		a->st.notify_refused++;
		pr_warn("admin: NOTIFY for %s from %s refused: not a primary of the zone", zone,
			peer);
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_REFUSED);
	}
	if (remote->key && (!key || !ls_dname_equal(key->name, remote->key->name))) {
		a->st.notify_refused++;
		pr_warn("admin: NOTIFY for %s from %s refused: not signed with key %s of "
			"primary %s",
			zone, peer, remote->key->id, remote->id);
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_NOTAUTH);
	}
	a->st.notify_accepted++;
	len = answer_flags(m, t, req->now, resp, cap, LS_RCODE_NOERROR, LS_FLAG_AA);
	pr_info("admin: NOTIFY for %s from %s (primary %s): refreshing", zone, peer, remote->id);
	if (a->ops.refresh)
		a->ops.refresh(a->ops.ctx, origin);
	return len;
}

/*
 * The allow-transfer list that applies to @origin (*@v, *@n entries): its
 * zone entry's, else its catalog entry's, else (a member) its owning
 * catalog's. False: none is configured, every key some remote uses may
 * transfer it (as before the option existed).
 */
static bool acl_of(const struct ls_admin *a, const uint8_t *origin,
		   const struct ls_config_remote *const **v, size_t *n)
{
	const struct ls_config *cfg = a->cfg;
	const struct ls_config_zone *cz = ls_config_zone_find(cfg, origin);
	const uint8_t *cat = NULL;

	*v = NULL;
	*n = 0;
	if (cz) {
		*v = cz->allow_transfer;
		*n = cz->allow_transfer_count;
		return cz->has_allow_transfer;
	}
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t *name = pass ? cat : origin;

		for (size_t i = 0; name && i < cfg->catalog_count; i++) {
			const struct ls_config_catalog *cc = &cfg->catalogs[i];

			if (!ls_dname_equal(cc->name, name))
				continue;
			*v = cc->allow_transfer;
			*n = cc->allow_transfer_count;
			return cc->has_allow_transfer;
		}
		if (!pass && a->ops.owner)
			cat = a->ops.owner(a->ops.ctx, origin);
	}
	return false;
}

/*
 * May a transfer of @origin signed with @key from @from go ahead? With an
 * allow-transfer list only when a listed remote has that key and @from is
 * one of its addresses (any port: a client's source port is its own).
 */
static bool transfer_allowed(const struct ls_admin *a, const uint8_t *origin,
			     const struct ls_config_key *key, const struct sockaddr *from)
{
	const struct ls_config_remote *const *v;
	size_t n;

	if (!acl_of(a, origin, &v, &n))
		return true;
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->key || !ls_dname_equal(v[i]->key->name, key->name))
			continue;
		for (size_t j = 0; j < v[i]->addr_count; j++) {
			if (ls_xfrin_addr_match(&v[i]->addrs[j], from, false))
				return true;
		}
	}
	return false;
}

/*
 * IXFR over UDP (RFC 1995 §2): the incremental answer when it fits in the
 * client's UDP size (512, or its EDNS size), else our SOA alone, which
 * sends the client to TCP. The stream ends here: nothing is left for the
 * loop, and the transaction it took over is cleared with it.
 */
static int ixfr_udp(struct ls_admin *a, const struct ls_msg *m, const char *zone, const char *peer,
		    const struct ls_config_key *key, const struct ls_admin_req *req, uint8_t *resp,
		    size_t cap, struct ls_admin_result *res)
{
	size_t limit = m->has_edns && m->edns.udp_size > 512 ? m->edns.udp_size : 512;
	bool incremental;
	int len;

	if (limit > cap)
		limit = cap;
	len = ls_xfrout_udp(res->xfr, req->now, resp, limit, &incremental);
	if (len > 0 && incremental) {
		a->st.ixfr_incremental++;
		pr_info("admin: IXFR of %s serial %u to %s (key %s) over UDP: incremental, %d "
			"octets",
			zone, ls_xfrout_serial(res->xfr), peer, key->id, len);
	} else if (len > 0) {
		a->st.soa_answered++;
	}
	ls_xfrout_free(res->xfr);
	res->xfr = NULL;
	return len > 0 ? len : 0;
}

static int do_query(struct ls_admin *a, const struct ls_msg *m, const uint8_t *origin,
		    const struct ls_config_key *key, struct ls_tsig *t,
		    const struct ls_admin_req *req, uint8_t *resp, size_t cap,
		    struct ls_admin_result *res, const char *peer)
{
	const struct ls_zone *z;
	char zone[LS_DNAME_STRLEN];
	int err;

	if (m->count[LS_SECTION_QUESTION] != 1) {
		a->st.malformed++;
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_FORMERR);
	}
	if (m->qclass != LS_CLASS_IN ||
	    (m->qtype != LS_TYPE_SOA && m->qtype != LS_TYPE_AXFR && m->qtype != LS_TYPE_IXFR)) {
		a->st.refused++;
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_REFUSED);
	}
	z = a->ops.live ? a->ops.live(a->ops.ctx, origin) : NULL;
	if (m->qtype == LS_TYPE_SOA) {
		if (!z) {
			a->st.refused++;
			return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_REFUSED);
		}
		return answer_soa(a, m, z, t, req->now, resp, cap);
	}
	ls_dname_to_str(zone, sizeof(zone), origin);
	if (req->tls && !req->alpn_dot) {
		/* RFC 9103 §7.1: XoT is TLS with ALPN "dot"; other TLS gets no zones */
		a->st.xfr_refused++;
		a->st.tls_no_dot_refused++;
		pr_warn("admin: %s of %s from %s refused: the TLS connection did not negotiate "
			"ALPN \"dot\"",
			m->qtype == LS_TYPE_AXFR ? "AXFR" : "IXFR", zone, peer);
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_REFUSED);
	}
	if (!key) {
		a->st.xfr_refused++;
		pr_warn("admin: %s of %s from %s refused: not TSIG-signed",
			m->qtype == LS_TYPE_AXFR ? "AXFR" : "IXFR", zone, peer);
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_NOTAUTH);
	}
	if (!transfer_allowed(a, origin, key, req->from)) {
		a->st.xfr_refused++;
		a->st.xfr_acl_refused++;
		pr_warn("admin: %s of %s from %s refused: its allow-transfer lists no remote "
			"with key %s at this address",
			m->qtype == LS_TYPE_AXFR ? "AXFR" : "IXFR", zone, peer, key->id);
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_REFUSED);
	}
	if (!z) {
		a->st.xfr_refused++;
		pr_warn("admin: %s of %s from %s refused: no verified version held",
			m->qtype == LS_TYPE_AXFR ? "AXFR" : "IXFR", zone, peer);
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_NOTAUTH);
	}
	if (!req->tcp && m->qtype != LS_TYPE_IXFR) {
		a->st.notimp++;
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_NOTIMP);
	}
	err = ls_xfrout_new(m, z, a->ops.ixfr, t, &res->xfr);
	if (err == -EINVAL) {
		a->st.malformed++;
		return answer_rcode(m, t, req->now, resp, cap, LS_RCODE_FORMERR);
	}
	if (err)
		return err;
	if (!req->tcp)
		return ixfr_udp(a, m, zone, peer, key, req, resp, cap, res);
	memcpy(res->xfr_origin, origin, ls_dname_len(origin));
	a->st.xfr_started++;
	if (m->qtype == LS_TYPE_IXFR && ls_xfrout_uptodate(res->xfr))
		a->st.ixfr_uptodate++;
	else if (m->qtype == LS_TYPE_IXFR && ls_xfrout_incremental(res->xfr))
		a->st.ixfr_incremental++;
	else if (m->qtype == LS_TYPE_IXFR)
		a->st.ixfr_axfr++;
	pr_info("admin: %s of %s serial %u to %s (key %s)%s",
		m->qtype == LS_TYPE_AXFR ? "AXFR" : "IXFR", zone, ls_xfrout_serial(res->xfr), peer,
		key->id,
		ls_xfrout_uptodate(res->xfr)	? ": up to date" :
		ls_xfrout_incremental(res->xfr) ? ": incremental" :
		m->qtype == LS_TYPE_IXFR	? ": in AXFR form" :
						  "");
	return 0;
}

int ls_admin_dispatch(struct ls_admin *a, const struct ls_admin_req *req, uint8_t *resp, size_t cap,
		      struct ls_admin_result *res)
{
	struct ls_msg m;
	struct ls_tsig t;
	struct ls_tsig_status st = { 0 };
	const struct ls_config_key *key = NULL;
	uint8_t origin[LS_DNAME_MAXLEN];
	char peer[LS_CONFIG_ADDR_STRLEN];
	unsigned opcode;
	int err, len = 0;

	memset(res, 0, sizeof(*res));
	if (req->len < LS_MSG_HDRLEN || cap < LS_ADMIN_UDP_BUFLEN) {
		a->st.malformed++;
		return 0;
	}
	if (req->wire[2] & (LS_FLAG_QR >> 8))
		return 0; /* a response: answering it could start a loop */
	peer_str(req->from, peer, sizeof(peer));
	opcode = (req->wire[2] >> 3) & 0xf;
	if (opcode == LS_OPCODE_UPDATE && a->update) {
		/* NEWZONE_NOTIFY or UPDATE: the handler parses, authenticates, answers */
		res->deferred = true;
		if (a->update(a->hctx, req->wire, req->len, req->from, req->reply, req->rctx) ==
		    0) {
			a->st.update_handled++;
			return 0;
		}
		res->deferred = false;
	}
	ls_tsig_init(&t, NULL);
	err = ls_msg_parse(&m, req->wire, req->len);
	if (err || m.end != m.len) {
		a->st.malformed++;
		return answer_formerr(&m, resp, cap);
	}
	if (opcode != LS_OPCODE_QUERY && opcode != LS_OPCODE_NOTIFY) {
		a->st.notimp++;
		return answer_rcode(&m, &t, req->now, resp, cap, LS_RCODE_NOTIMP);
	}
	if (m.has_tsig) {
		err = ls_tsig_verify_request(&t, a->keys, a->nkeys, &m, req->now, 0, &st);
		if (err == -EBADMSG) {
			a->st.malformed++;
			a->st.tsig_refused++;
			len = answer_rcode(&m, &t, req->now, resp, cap, LS_RCODE_FORMERR);
			goto clear_tsig;
		}
		if (err) {
			len = answer_tsig_error(a, &m, &t, &st, req->now, resp, cap, peer);
			goto clear_tsig;
		}
		key = st.key;
	}
	if (m.has_edns && m.edns.version != 0) {
		len = answer_badvers(&m, &t, req->now, resp, cap);
		goto clear_tsig;
	}
	if (m.count[LS_SECTION_QUESTION] == 0) {
		a->st.malformed++;
		len = answer_rcode(&m, &t, req->now, resp, cap, LS_RCODE_FORMERR);
		goto clear_tsig;
	}
	ls_dname_copy_lower(origin, m.qname);
	if (opcode == LS_OPCODE_NOTIFY)
		len = do_notify(a, &m, origin, key, &t, req, resp, cap, peer);
	else
		len = do_query(a, &m, origin, key, &t, req, resp, cap, res, peer);
clear_tsig:
	ls_tsig_clear(&t); /* a no-op when the transfer took the transaction over */
	return len;
}

/* ---- UDP --------------------------------------------------------------------- */

static void udp_reply(void *rctx, const uint8_t *resp, size_t len)
{
	struct udp_pending *p = rctx;
	struct ls_admin *a = p->a;

	if (len)
		sendto(p->fd, resp, len, MSG_DONTWAIT, (struct sockaddr *)&p->peer, p->peerlen);
	if (p->prev)
		p->prev->next = p->next;
	else
		a->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	free(p);
}

static void on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct udp_sock *u = w->data;
	struct ls_admin *a = u->a;

	for (int i = 0; i < UDP_ROUNDS; i++) {
		struct udp_pending *p = calloc(1, sizeof(*p));
		struct ls_admin_result res;
		struct ls_admin_req req;
		ssize_t n;
		int len;

		if (!p)
			return;
		p->peerlen = sizeof(p->peer);
		n = recvfrom(u->fd, a->rbuf, sizeof(a->rbuf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&p->peer, &p->peerlen);
		if (n < 0) {
			free(p);
			return;
		}
		a->st.udp_requests++;
		if ((size_t)n > sizeof(a->rbuf)) {
			a->st.malformed++;
			free(p);
			continue;
		}
		p->a = a;
		p->fd = u->fd;
		/* linked first: a handler may reply before returning */
		p->next = a->pending;
		if (a->pending)
			a->pending->prev = p;
		a->pending = p;
		req = (struct ls_admin_req){ .wire = a->rbuf,
					     .len = (size_t)n,
					     .from = (struct sockaddr *)&p->peer,
					     .tcp = false,
					     .now = unix_now(),
					     .reply = udp_reply,
					     .rctx = p };
		len = ls_admin_dispatch(a, &req, a->resp, LS_ADMIN_UDP_BUFLEN, &res);
		ls_xfrout_free(res.xfr); /* never over UDP; defensive */
		if (res.deferred)
			continue;
		udp_reply(p, a->resp, len > 0 ? (size_t)len : 0); /* send, unlink, free */
	}
}

/* ---- TCP ----------------------------------------------------------------------- */

static void conn_close(struct conn *c)
{
	struct ls_admin *a = c->a;

	if (c->waiting && a->forget)
		a->forget(a->hctx, c);
	if (c->xfr) {
		a->st.xfr_aborted++;
		pr_warn("admin: transfer to %s cut after %llu messages", c->peer,
			(unsigned long long)ls_xfrout_messages(c->xfr));
		ls_xfrout_free(c->xfr);
	}
	ev_io_stop(a->loop, &c->rio);
	ev_io_stop(a->loop, &c->wio);
	ev_timer_stop(a->loop, &c->timer);
	ls_tls_close(c->ssl);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		a->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	a->nconns--;
	a->st.tcp_closed++;
	free(c->in);
	ls_tcpout_free(&c->out);
	free(c);
}

/* Write what is pending. 0, or -1 when the connection was closed. */
static int conn_flush(struct conn *c)
{
	struct ls_admin *a = c->a;
	enum ls_tls_want want = LS_TLS_WANT_WRITE;
	ssize_t n;

	if (c->ssl) {
		c->write_wants_read = false;
		n = ls_tls_send_out(c->ssl, &c->out, &want);
		if (n == -EAGAIN) {
			n = 0;
			c->write_wants_read = want == LS_TLS_WANT_READ;
		}
	} else {
		n = ls_tcpout_send(&c->out, c->fd);
	}
	if (n < 0) {
		conn_close(c);
		return -1;
	}
	if (n > 0)
		c->last = ev_now(a->loop);
	if (ls_tcpout_unsent(&c->out) && !c->write_wants_read)
		ev_io_start(a->loop, &c->wio);
	else
		ev_io_stop(a->loop, &c->wio);
	return 0;
}

static size_t unsent(const struct conn *c)
{
	return ls_tcpout_unsent(&c->out);
}

/* Produce transfer messages while the output has room. 0, or -1: closed. */
static int pump(struct conn *c)
{
	struct ls_admin *a = c->a;

	while (c->xfr && unsent(c) < OUT_HIGH) {
		const struct ls_zone *z =
			a->ops.live ? a->ops.live(a->ops.ctx, c->xfr_origin) : NULL;
		int n = ls_xfrout_next(c->xfr, z, unix_now(), a->resp, sizeof(a->resp));

		if (n == 0) {
			a->st.xfr_done++;
			pr_info("admin: transfer of serial %u to %s: %llu records in %llu messages",
				ls_xfrout_serial(c->xfr), c->peer,
				(unsigned long long)ls_xfrout_records(c->xfr),
				(unsigned long long)ls_xfrout_messages(c->xfr));
			ls_xfrout_free(c->xfr);
			c->xfr = NULL;
			break;
		}
		if (n < 0 || ls_tcpout_put(&c->out, a->resp, (size_t)n)) {
			/* the version changed under the stream (or no memory): the
			 * client sees a cut stream and retries against the new one */
			if (n == -ESTALE)
				pr_info("admin: transfer to %s: a newer version went live; "
					"stream cut",
					c->peer);
			conn_close(c);
			return -1;
		}
	}
	return 0;
}

static void conn_reply(void *rctx, const uint8_t *resp, size_t len);

/*
 * Answer complete requests in order while nothing is outstanding, then
 * write. 0, or -1 when the connection was closed.
 */
static int conn_process(struct conn *c)
{
	struct ls_admin *a = c->a;

	for (;;) {
		if (pump(c))
			return -1;
		while (!c->xfr && !c->waiting && unsent(c) < OUT_HIGH && c->in_len >= 2) {
			size_t len = (size_t)c->in[0] << 8 | c->in[1];
			struct ls_admin_result res;
			struct ls_admin_req req;
			int r;

			if (len < LS_MSG_HDRLEN || len > TCP_MAX_REQUEST) {
				a->st.malformed++;
				conn_close(c);
				return -1;
			}
			if (c->in_len < 2 + len)
				break;
			a->st.tcp_requests++;
			req = (struct ls_admin_req){ .wire = c->in + 2,
						     .len = len,
						     .from = (struct sockaddr *)&c->from,
						     .tcp = true,
						     .tls = c->ssl != NULL,
						     .alpn_dot = c->alpn_dot,
						     .now = unix_now(),
						     .reply = conn_reply,
						     .rctx = c };
			c->waiting = true;
			c->in_dispatch = true;
			r = ls_admin_dispatch(a, &req, a->resp, sizeof(a->resp), &res);
			c->in_dispatch = false;
			memmove(c->in, c->in + 2 + len, c->in_len - 2 - len);
			c->in_len -= 2 + len;
			if (!res.deferred)
				c->waiting = false;
			if (r > 0 && ls_tcpout_put(&c->out, a->resp, (size_t)r)) {
				conn_close(c);
				return -1;
			}
			if (res.xfr) {
				c->xfr = res.xfr;
				memcpy(c->xfr_origin, res.xfr_origin, sizeof(c->xfr_origin));
				if (pump(c))
					return -1;
			}
		}
		if (conn_flush(c))
			return -1;
		/* the output drained at once and a stream still has messages */
		if (!(c->xfr && unsent(c) == 0))
			break;
	}
	if (c->eof && !c->xfr && !c->waiting && unsent(c) == 0) {
		conn_close(c);
		return -1;
	}
	/* read only when the next request could be answered */
	if (!c->write_wants_read && (c->eof || c->xfr || c->waiting || unsent(c) >= OUT_HIGH)) {
		ev_io_stop(a->loop, &c->rio);
	} else {
		ev_io_start(a->loop, &c->rio);
		/* requests OpenSSL already decrypted: the socket will not signal them */
		if (c->ssl && !c->eof && SSL_has_pending(c->ssl))
			ev_feed_event(a->loop, &c->rio, EV_READ);
	}
	return 0;
}

/* Advance a TLS handshake; when done, requests are read as on plain TCP. */
static void conn_handshake(struct conn *c)
{
	struct ls_admin *a = c->a;
	char why[LS_TLS_WHY_LEN];
	enum ls_tls_want want = LS_TLS_WANT_READ;
	int err = ls_tls_handshake(c->ssl, NULL, &want, why, sizeof(why));

	if (err == -EAGAIN) {
		if (want == LS_TLS_WANT_WRITE) {
			ev_io_stop(a->loop, &c->rio);
			ev_io_start(a->loop, &c->wio);
		} else {
			ev_io_stop(a->loop, &c->wio);
			ev_io_start(a->loop, &c->rio);
		}
		return;
	}
	if (err) {
		a->st.tls_failed++;
		pr_info("admin: XoT connection from %s: %s", c->peer, why);
		conn_close(c);
		return;
	}
	a->st.tls_handshakes++;
	c->handshaking = false;
	c->alpn_dot = ls_tls_alpn_dot(c->ssl);
	c->last = ev_now(a->loop);
	pr_debug("admin: XoT connection from %s: %s%s", c->peer, SSL_get_version(c->ssl),
		 c->alpn_dot ? ", ALPN dot" : ", no ALPN dot: no transfers");
	ev_io_stop(a->loop, &c->wio);
	conn_process(c);
}

static void conn_reply(void *rctx, const uint8_t *resp, size_t len)
{
	struct conn *c = rctx;

	c->waiting = false;
	if (len && ls_tcpout_put(&c->out, resp, len)) {
		if (!c->in_dispatch)
			conn_close(c);
		return;
	}
	if (!c->in_dispatch)
		conn_process(c);
}

static void on_conn_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t n;

	if (c->ssl && c->handshaking) {
		conn_handshake(c);
		return;
	}
	if (c->write_wants_read) {
		if (conn_flush(c) || conn_process(c) || c->write_wants_read)
			return;
	}

	if (c->in_len == c->in_cap) {
		uint8_t *p;

		if (c->in_cap >= 2 + TCP_MAX_REQUEST) {
			/* full of requests we may not answer yet: wait for the output */
			ev_io_stop(loop, w);
			return;
		}
		p = realloc(c->in, 2 + TCP_MAX_REQUEST);
		if (!p) {
			conn_close(c);
			return;
		}
		c->in = p;
		c->in_cap = 2 + TCP_MAX_REQUEST;
	}
	if (c->ssl) {
		char why[LS_TLS_WHY_LEN];
		enum ls_tls_want want = LS_TLS_WANT_READ;

		n = ls_tls_read(c->ssl, c->in + c->in_len, c->in_cap - c->in_len, &want, why,
				sizeof(why));
		if (n == -EAGAIN) {
			if (want == LS_TLS_WANT_WRITE)
				ev_io_start(loop, &c->wio);
			return;
		}
		if (n < 0) {
			pr_debug("admin: XoT connection from %s: %s", c->peer, why);
			conn_close(c);
			return;
		}
	} else {
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_close(c);
		return;
	}
	if (n == 0)
		c->eof = true;
	c->in_len += (size_t)n;
	c->last = ev_now(loop);
	conn_process(c);
}

static void on_conn_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	if (c->ssl && c->handshaking) {
		conn_handshake(c);
		return;
	}
	if (conn_flush(c))
		return;
	conn_process(c);
}

static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	ev_tstamp after = c->last + c->a->opts.tcp_idle_timeout - ev_now(loop);

	/* a deferred answer has its own timeout (the handler's); wait for it */
	if (after > 0 || c->waiting) {
		ev_timer_set(w, after > 0 ? after : c->a->opts.tcp_idle_timeout, 0.);
		ev_timer_start(loop, w);
		return;
	}
	c->a->st.tcp_timeouts++;
	conn_close(c);
}

static void on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_listener *l = w->data;

	ev_io_start(loop, &l->io);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_listener *l = w->data;
	struct ls_admin *a = l->a;

	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		int one = 1;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* level-triggered: retrying now would spin */
				pr_warn("admin: accept: %s; pausing for %.1f s", strerror(errno),
					ACCEPT_RETRY);
				ev_io_stop(loop, &l->io);
				ev_timer_set(&l->retry, ACCEPT_RETRY, 0.);
				ev_timer_start(loop, &l->retry);
			}
			return;
		}
		if (a->nconns >= a->opts.tcp_max_conns) {
			a->st.tcp_refused++;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->in = malloc(512);
		if (!c || !c->in) {
			free(c);
			close(fd);
			continue;
		}
		c->in_cap = 512;
		c->a = a;
		c->fd = fd;
		if (l->tls && ls_tls_server_new(a->tls_ctx, fd, &c->ssl)) {
			free(c->in);
			free(c);
			close(fd);
			continue;
		}
		c->handshaking = l->tls;
		c->from = ss;
		peer_str((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev_io_init(&c->rio, on_conn_read, fd, EV_READ);
		ev_io_init(&c->wio, on_conn_write, fd, EV_WRITE);
		ev_timer_init(&c->timer, on_conn_timer, a->opts.tcp_idle_timeout, 0.);
		c->rio.data = c->wio.data = c->timer.data = c;
		c->last = ev_now(loop);
		c->next = a->conns;
		if (a->conns)
			a->conns->prev = c;
		a->conns = c;
		a->nconns++;
		a->st.tcp_accepted++;
		ev_io_start(loop, &c->rio);
		ev_timer_start(loop, &c->timer);
	}
}

/* ---- sockets and life ----------------------------------------------------------- */

/* Watch listening socket @fd as @l. */
static void listener_start(struct ls_admin *a, struct tcp_listener *l, int fd, bool tls)
{
	l->fd = fd;
	l->a = a;
	l->tls = tls;
	ev_io_init(&l->io, on_accept, fd, EV_READ);
	ev_timer_init(&l->retry, on_accept_retry, ACCEPT_RETRY, 0.);
	l->io.data = l->retry.data = l;
	ev_io_start(a->loop, &l->io);
}

static void listener_stop(struct ls_admin *a, struct tcp_listener *l)
{
	ev_io_stop(a->loop, &l->io);
	ev_timer_stop(a->loop, &l->retry);
	close(l->fd);
}

static int open_socket(const struct ls_config_addr *addr, int type)
{
	int one = 1, fd, err;

	fd = socket(addr->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (addr->ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)&addr->ss, addr->len) ||
	    (type == SOCK_STREAM && listen(fd, 64)))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int ls_admin_new_detached(const struct ls_config *cfg, const struct ls_admin_ops *ops,
			  struct ls_admin **out)
{
	struct ls_admin *a = calloc(1, sizeof(*a));
	int err;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->cfg = cfg;
	if (ops)
		a->ops = *ops;
	a->opts.tcp_idle_timeout = LS_ADMIN_TCP_IDLE_TIMEOUT;
	a->opts.tcp_max_conns = LS_ADMIN_TCP_MAX_CONNS;
	err = collect_keys(cfg, &a->keys, &a->nkeys);
	if (err) {
		free(a);
		return err;
	}
	*out = a;
	return 0;
}

/* The XoT listeners of admin.tls-listen, and their server context. */
static int open_tls(struct ls_admin *a, const struct ls_config *cfg)
{
	char abuf[LS_CONFIG_ADDR_STRLEN], why[LS_TLS_WHY_LEN];
	size_t n = cfg->admin.tls_listen_count;
	int err;

	if (!n)
		return 0;
	err = ls_tls_server_ctx_new(cfg->admin.tls_certificate, cfg->admin.tls_key, &a->tls_ctx,
				    why, sizeof(why));
	if (err) {
		pr_err("admin: XoT: %s", why);
		return err;
	}
	a->tls = calloc(n, sizeof(*a->tls));
	if (!a->tls)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ls_config_addr *addr = &cfg->admin.tls_listen[i];
		int fd = open_socket(addr, SOCK_STREAM);

		if (fd < 0) {
			pr_err("admin: cannot listen on %s (XoT): %s",
			       ls_config_addr_str(addr, abuf, sizeof(abuf)), strerror(-fd));
			return fd;
		}
		listener_start(a, &a->tls[i], fd, true);
		a->tls[i].addr = *addr;
		a->ntls = i + 1;
		pr_info("administrative listener on %s (XoT, RFC 9103: TLS 1.3, ALPN dot)",
			ls_config_addr_str(addr, abuf, sizeof(abuf)));
	}
	return 0;
}

int ls_admin_new(struct ev_loop *loop, const struct ls_config *cfg, const struct ls_admin_ops *ops,
		 const struct ls_admin_opts *opts, struct ls_admin **out)
{
	char abuf[LS_CONFIG_ADDR_STRLEN];
	struct ls_admin *a;
	size_t n = cfg->admin.listen_count, i;
	int err, fd;

	err = ls_admin_new_detached(cfg, ops, &a);
	if (err)
		return err;
	a->loop = loop;
	if (opts && opts->tcp_idle_timeout > 0)
		a->opts.tcp_idle_timeout = opts->tcp_idle_timeout;
	if (opts && opts->tcp_max_conns)
		a->opts.tcp_max_conns = opts->tcp_max_conns;
	a->udp = calloc(n ? n : 1, sizeof(*a->udp));
	a->tcp = calloc(n ? n : 1, sizeof(*a->tcp));
	if (!a->udp || !a->tcp) {
		err = -ENOMEM;
		goto free_admin;
	}
	for (i = 0; i < n; i++) {
		const struct ls_config_addr *addr = &cfg->admin.listen[i];

		a->udp[i].fd = open_socket(addr, SOCK_DGRAM);
		if (a->udp[i].fd < 0) {
			err = a->udp[i].fd;
			goto fail_bind;
		}
		fd = open_socket(addr, SOCK_STREAM);
		if (fd < 0) {
			err = fd;
			close(a->udp[i].fd);
			goto fail_bind;
		}
		a->udp[i].a = a;
		ev_io_init(&a->udp[i].io, on_udp, a->udp[i].fd, EV_READ);
		a->udp[i].io.data = &a->udp[i];
		ev_io_start(loop, &a->udp[i].io);
		listener_start(a, &a->tcp[i], fd, false);
		a->naddrs = i + 1;
		pr_info("administrative listener on %s (UDP and TCP: NOTIFY, SOA, AXFR/IXFR)",
			ls_config_addr_str(addr, abuf, sizeof(abuf)));
	}
	err = open_tls(a, cfg);
	if (err)
		goto free_admin;
	*out = a;
	return 0;

fail_bind:
	pr_err("admin: cannot listen on %s: %s",
	       ls_config_addr_str(&cfg->admin.listen[i], abuf, sizeof(abuf)), strerror(-err));
free_admin:
	ls_admin_free(a);
	return err;
}

static void close_conns(struct ls_admin *a)
{
	while (a->conns)
		conn_close(a->conns);
}

void ls_admin_free(struct ls_admin *a)
{
	if (!a)
		return;
	if (a->loop)
		close_conns(a);
	while (a->pending) {
		struct udp_pending *p = a->pending;

		a->pending = p->next;
		if (a->forget)
			a->forget(a->hctx, p);
		free(p);
	}
	for (size_t i = 0; i < a->naddrs; i++) {
		ev_io_stop(a->loop, &a->udp[i].io);
		close(a->udp[i].fd);
		listener_stop(a, &a->tcp[i]);
	}
	for (size_t i = 0; i < a->ntls; i++)
		listener_stop(a, &a->tls[i]);
	free(a->tls);
	SSL_CTX_free(a->tls_ctx);
	free(a->udp);
	free(a->tcp);
	free(a->keys);
	free(a);
}

static bool addr_same(const struct ls_config_addr *x, const struct ls_config_addr *y)
{
	return x->len == y->len && memcmp(&x->ss, &y->ss, x->len) == 0;
}

/*
 * admin.tls-listen across a reload. The certificate and key are read
 * again, so a renewed one is taken without a restart. A listener whose
 * address is still listed keeps its socket (no connection attempt is
 * refused during the reload), a new address is bound, one no longer
 * listed is closed. A certificate or key that cannot be used keeps the
 * previous context; with none to keep (XoT added by this reload) no
 * listener is opened. A failed bind is logged and the others go on: a
 * reload never stops what already serves.
 */
static void reconfigure_tls(struct ls_admin *a, const struct ls_config *cfg)
{
	char abuf[LS_CONFIG_ADDR_STRLEN], why[LS_TLS_WHY_LEN];
	size_t n = cfg->admin.tls_listen_count, k = 0;
	struct tcp_listener *v = NULL;
	bool *kept = NULL;
	SSL_CTX *ctx;

	if (n) {
		if (ls_tls_server_ctx_new(cfg->admin.tls_certificate, cfg->admin.tls_key, &ctx, why,
					  sizeof(why)) == 0) {
			SSL_CTX_free(a->tls_ctx);
			a->tls_ctx = ctx;
		} else if (a->tls_ctx) {
			pr_err("admin: XoT: %s; the previous certificate stays in use", why);
		} else {
			pr_err("admin: XoT: %s; no XoT listener opened", why);
			n = 0;
		}
	}
	if (!a->loop)
		return; /* detached (tests, fuzzer): no sockets */
	v = calloc(n ? n : 1, sizeof(*v));
	kept = calloc(a->ntls ? a->ntls : 1, sizeof(*kept));
	if (!v || !kept) {
		pr_err("admin: XoT: out of memory; the listeners stay as they were");
		goto free_arrays;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ls_config_addr *addr = &cfg->admin.tls_listen[i];
		int fd = -1;

		for (size_t j = 0; j < a->ntls && fd < 0; j++) {
			if (!kept[j] && addr_same(&a->tls[j].addr, addr)) {
				kept[j] = true;
				/* the watchers point at the old slot: move them */
				ev_io_stop(a->loop, &a->tls[j].io);
				ev_timer_stop(a->loop, &a->tls[j].retry);
				fd = a->tls[j].fd;
			}
		}
		if (fd < 0) {
			fd = open_socket(addr, SOCK_STREAM);
			if (fd < 0) {
				pr_err("admin: cannot listen on %s (XoT): %s",
				       ls_config_addr_str(addr, abuf, sizeof(abuf)), strerror(-fd));
				continue;
			}
			pr_info("administrative listener on %s (XoT, RFC 9103: TLS 1.3, ALPN dot), "
				"opened by the reload",
				ls_config_addr_str(addr, abuf, sizeof(abuf)));
		}
		listener_start(a, &v[k], fd, true);
		v[k++].addr = *addr;
	}
	for (size_t j = 0; j < a->ntls; j++) {
		if (kept[j])
			continue;
		listener_stop(a, &a->tls[j]);
		pr_info("administrative listener on %s (XoT) closed by the reload",
			ls_config_addr_str(&a->tls[j].addr, abuf, sizeof(abuf)));
	}
	free(a->tls);
	a->tls = v;
	a->ntls = k;
	v = NULL;
	if (!k) {
		/* connections in flight hold their own reference (SSL_new) */
		SSL_CTX_free(a->tls_ctx);
		a->tls_ctx = NULL;
	}
free_arrays:
	free(kept);
	free(v);
}

int ls_admin_reconfigure(struct ls_admin *a, const struct ls_config *cfg)
{
	struct ls_config_key *keys;
	size_t n;
	int err = collect_keys(cfg, &keys, &n);

	if (err)
		return err;
	reconfigure_tls(a, cfg);
	/* streams and TSIG transactions point at the old keys: cut them */
	if (a->loop)
		close_conns(a);
	free(a->keys);
	a->keys = keys;
	a->nkeys = n;
	a->cfg = cfg;
	return 0;
}

void ls_admin_set_update_handler(struct ls_admin *a, ls_admin_update_fn fn,
				 ls_admin_forget_fn forget, void *hctx)
{
	a->update = fn;
	a->forget = forget;
	a->hctx = hctx;
}

int ls_admin_sockname(const struct ls_admin *a, size_t i, int tcp, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	if (i >= a->naddrs)
		return -ENOENT;
	*len = sizeof(*ss);
	if (getsockname(tcp ? a->tcp[i].fd : a->udp[i].fd, (struct sockaddr *)ss, len))
		return -errno;
	return 0;
}

int ls_admin_tls_sockname(const struct ls_admin *a, size_t i, struct sockaddr_storage *ss,
			  socklen_t *len)
{
	if (i >= a->ntls)
		return -ENOENT;
	*len = sizeof(*ss);
	if (getsockname(a->tls[i].fd, (struct sockaddr *)ss, len))
		return -errno;
	return 0;
}

const struct ls_admin_stats *ls_admin_stats(const struct ls_admin *a)
{
	return &a->st;
}
