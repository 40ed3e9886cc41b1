/* SPDX-License-Identifier: MIT */
/*
 * newzone.c — see newzone.h; docs/catalog.md ("NEWZONE_NOTIFY") describes
 * the behaviour.
 *
 * One exchange per accepted request: a non-blocking TCP connection to the
 * notifier's configured address, the SOA query, then the NS query on the
 * same connection (RFC 7766 allows several), each signed with the
 * notifier's key and each answer's TSIG checked. One timer bounds the
 * whole exchange, so a silent master costs opts.timeout and a SERVFAIL.
 */
#include "agent/newzone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agent/xfrin.h"
#include "common/log.h"
#include "common/newzone.h"
#include "common/rdata.h"
#include "common/tsig.h"

#define DEFAULT_TIMEOUT 10.0
#define LIST_FILE "newzones"
#define RESP_CAP 1024

enum step { STEP_SOA, STEP_NS };

struct xchg {
	struct xchg *next;
	struct ls_newzone *nz;
	ls_newzone_reply_fn reply;
	void *ctx;
	uint8_t *q; /* the request, kept to answer it */
	size_t qlen;
	struct ls_tsig tsig; /* the request's: signs the response */
	const struct ls_config_remote *notifier, *master;
	struct ls_newzone_req req;
	struct ls_newzone_auth auth;
	char name[LS_DNAME_STRLEN];
	int fd;
	ev_io io;
	ev_timer timer;
	enum step step;
	uint16_t qid;
	struct ls_tsig qtsig; /* our query's */
	uint8_t out[2 + 512 + LS_TSIG_MAX_RR_LEN];
	size_t outlen, outoff;
	uint8_t *in; /* 2 + 65535 */
	size_t inlen;
};

struct ls_newzone {
	struct ev_loop *loop;
	const struct ls_config *cfg;
	struct ls_newzone_ops ops;
	double timeout;
	struct ls_newzone_list list;
	char *path; /* NULL: no state directory, nothing kept */
	struct xchg *xs;
};

static uint64_t now_unix(void)
{
	return (uint64_t)time(NULL);
}

static uint16_t random_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(rand() ^ (int)time(NULL));
	return id;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			      &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

/* The configured remote with a key that has one of the @n addresses. */
static const struct ls_config_remote *remote_for(const struct ls_config *cfg,
						 const struct sockaddr_storage *addrs, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const struct ls_config_remote *r =
			ls_xfrin_remote_by_addr(cfg, (const struct sockaddr *)&addrs[k], false);

		if (r && r->key)
			return r;
	}
	return NULL;
}

/* ---- the persisted list ------------------------------------------------ */

/* fsync() the directory holding @path. 0 or -errno. */
static int fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd, err = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		err = -errno;
	close(fd);
	return err;
}

static int list_save(struct ls_newzone *nz)
{
	char *text = NULL, *tmp = NULL;
	long len;
	int fd = -1, err;

	if (!nz->path)
		return 0;
	len = ls_newzone_list_format(&nz->list, &text);
	if (len < 0)
		return (int)len;
	if (asprintf(&tmp, "%s.tmp", nz->path) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto free_text;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		goto free_tmp;
	}
	for (long off = 0; off < len;) {
		ssize_t w = write(fd, text + off, (size_t)(len - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = -errno;
			goto close_fd;
		}
		off += w;
	}
	/* the list is trusted at the next start: on disk before it is named */
	if (fsync(fd) < 0 || close(fd) < 0) {
		err = -errno;
		fd = -1;
		goto unlink_tmp;
	}
	fd = -1;
	if (rename(tmp, nz->path) < 0) {
		err = -errno;
		goto unlink_tmp;
	}
	/* the rename itself is durable only once the directory is */
	err = fsync_parent(nz->path);
	goto free_tmp;
close_fd:
	close(fd);
unlink_tmp:
	unlink(tmp);
free_tmp:
	free(tmp);
free_text:
	free(text);
	return err;
}

static void list_load(struct ls_newzone *nz)
{
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	f = fopen(nz->path, "re");
	if (!f) {
		if (errno != ENOENT)
			pr_err("newzone: cannot read %s: %s", nz->path, strerror(errno));
		return;
	}
	text = malloc(1 << 20);
	if (text)
		len = fread(text, 1, 1 << 20, f);
	if (!text || ferror(f) || !feof(f)) {
		pr_err("newzone: cannot read %s (too big or unreadable); zones created by "
		       "NEWZONE_NOTIFY are not re-added",
		       nz->path);
		goto close_f;
	}
	if (ls_newzone_list_parse(&nz->list, text, len, err, sizeof(err)) != 0)
		pr_err("newzone: %s: %s; zones created by NEWZONE_NOTIFY are not re-added",
		       nz->path, err);
close_f:
	free(text);
	fclose(f);
}

static void readd_listed(struct ls_newzone *nz)
{
	char name[LS_DNAME_STRLEN];

	for (size_t i = 0; i < nz->list.count; i++) {
		const struct ls_newzone_entry *e = &nz->list.v[i];
		const struct ls_config_remote *r = ls_config_remote_find(nz->cfg, e->remote);
		int err = nz->ops.add_zone(nz->ops.ctx, e->zone);

		ls_dname_to_str(name, sizeof(name), e->zone);
		if (err && err != -EEXIST) {
			pr_err("newzone: zone %s not re-added: %s", name, strerror(-err));
			continue;
		}
		if (!r || !r->key) {
			pr_warn("newzone: zone %s: remote %s is no longer configured with a key; "
				"not transferred",
				name, e->remote);
			continue;
		}
		err = nz->ops.transfer(nz->ops.ctx, e->zone, r);
		if (err)
			pr_warn("newzone: zone %s: transfer from %s not started: %s", name, r->id,
				strerror(-err));
		else
			pr_info("newzone: zone %s re-added (created by NEWZONE_NOTIFY from %s)",
				name, r->id);
	}
}

/* ---- replies ----------------------------------------------------------- */

/* Answer @q with @rcode; signed when @t verified the request. */
static void answer(const uint8_t *wire, size_t len, struct ls_tsig *t, unsigned rcode,
		   uint16_t tsig_error, ls_newzone_reply_fn reply, void *ctx)
{
	uint8_t resp[RESP_CAP];
	struct ls_msg q;
	size_t rlen;
	int n;

	/* the question was read before, so this parse only fails without a header */
	if (ls_msg_parse(&q, wire, len) != 0 && len >= LS_MSG_HDRLEN)
		q.count[LS_SECTION_QUESTION] = 0;
	n = ls_newzone_response(&q, rcode, resp, sizeof(resp));
	if (n < 0)
		return;
	rlen = (size_t)n;
	if (t && t->key) {
		if (ls_tsig_sign(t, resp, &rlen, sizeof(resp), now_unix(), tsig_error) != 0)
			return;
	} else if (tsig_error && q.has_tsig) {
		ls_tsig_append_error(&q, resp, &rlen, sizeof(resp), now_unix(), tsig_error);
	}
	reply(ctx, resp, rlen);
}

static void xchg_free(struct xchg *x)
{
	struct xchg **pp;

	for (pp = &x->nz->xs; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	ev_timer_stop(x->nz->loop, &x->timer);
	ev_io_stop(x->nz->loop, &x->io);
	if (x->fd >= 0)
		close(x->fd);
	ls_tsig_clear(&x->tsig);
	ls_tsig_clear(&x->qtsig);
	free(x->in);
	free(x->q);
	free(x);
}

static void xchg_done(struct xchg *x, unsigned rcode)
{
	answer(x->q, x->qlen, &x->tsig, rcode, 0, x->reply, x->ctx);
	xchg_free(x);
}

static void xchg_fail(struct xchg *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void xchg_fail(struct xchg *x, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pr_warn("newzone: zone %s from %s: %s; answered SERVFAIL", x->name, x->notifier->id, why);
	xchg_done(x, LS_RCODE_SERVFAIL);
}

/* ---- the exchange with the master -------------------------------------- */

static int build_query(struct xchg *x)
{
	struct ls_msg_writer *w = malloc(sizeof(*w));
	size_t len;
	int err;

	if (!w)
		return -ENOMEM;
	x->qid = random_id();
	err = ls_msg_writer_init(w, x->out + 2, sizeof(x->out) - 2);
	if (!err) {
		ls_msg_set_header(w, x->qid, 0);
		err = ls_msg_put_question(w, x->req.zone,
					  x->step == STEP_SOA ? LS_TYPE_SOA : LS_TYPE_NS,
					  LS_CLASS_IN);
	}
	len = ls_msg_len(w);
	free(w);
	if (err)
		return err;
	ls_tsig_clear(&x->qtsig);
	ls_tsig_init(&x->qtsig, x->notifier->key);
	err = ls_tsig_sign(&x->qtsig, x->out + 2, &len, sizeof(x->out) - 2, now_unix(), 0);
	if (err)
		return err;
	x->out[0] = (uint8_t)(len >> 8);
	x->out[1] = (uint8_t)len;
	x->outlen = len + 2;
	x->outoff = 0;
	x->inlen = 0;
	return 0;
}

/* Checks passed: create, persist, transfer. Returns the RCODE. */
static unsigned create_zone(struct xchg *x)
{
	struct ls_newzone *nz = x->nz;
	int err;

	err = nz->ops.add_zone(nz->ops.ctx, x->req.zone);
	if (err) {
		pr_warn("newzone: zone %s: not created: %s", x->name, strerror(-err));
		return LS_RCODE_SERVFAIL;
	}
	err = ls_newzone_list_add(&nz->list, x->req.zone, x->master->id);
	if (!err)
		err = list_save(nz);
	if (err) {
		pr_warn("newzone: zone %s: not recorded in %s: %s; not created", x->name, nz->path,
			strerror(-err));
	} else {
		err = nz->ops.transfer(nz->ops.ctx, x->req.zone, x->master);
		if (err)
			pr_warn("newzone: zone %s: the transfer client cannot take it (%s); not "
				"created",
				x->name, strerror(-err));
	}
	if (err) {
		ls_newzone_list_remove(&nz->list, x->req.zone);
		list_save(nz);
		nz->ops.remove_zone(nz->ops.ctx, x->req.zone);
		return LS_RCODE_SERVFAIL;
	}
	pr_notice("newzone: zone %s created on NEWZONE_NOTIFY from %s (SOA serial %u, MNAME "
		  "checked); transferring from %s",
		  x->name, x->notifier->id, x->auth.serial, x->master->id);
	return LS_RCODE_NOERROR;
}

static void on_answer(struct xchg *x)
{
	struct ls_tsig_status st;
	char err[256];
	struct ls_msg m;
	int r;

	if (ls_msg_parse(&m, x->in + 2, x->inlen - 2) != 0)
		return xchg_fail(x, "malformed answer from the master");
	if (ls_tsig_verify_response(&x->qtsig, &m, now_unix(), &st) != 0 ||
	    ls_tsig_verify_end(&x->qtsig) != 0)
		return xchg_fail(x, "TSIG of the master's answer: %s",
				 st.why ? st.why : "unsigned");
	r = ls_newzone_read_answer(&m, x->req.zone, x->step == STEP_SOA ? LS_TYPE_SOA : LS_TYPE_NS,
				   x->qid, &x->auth, err, sizeof(err));
	if (r)
		return xchg_fail(x, "%s query: %s", x->step == STEP_SOA ? "SOA" : "NS", err);
	if (x->step == STEP_SOA) {
		x->step = STEP_NS;
		if (build_query(x) != 0)
			return xchg_fail(x, "cannot build the NS query");
		ev_io_stop(x->nz->loop, &x->io);
		ev_io_set(&x->io, x->fd, EV_WRITE);
		ev_io_start(x->nz->loop, &x->io);
		return;
	}
	if (ls_newzone_check(&x->req, &x->auth, err, sizeof(err)) != 0)
		return xchg_fail(x, "draft §5.2: %s", err);
	xchg_done(x, create_zone(x));
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct xchg *x = w->data;
	ssize_t n;

	if (revents & EV_WRITE) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (x->outoff == 0 && getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr)
			return xchg_fail(x, "connect to the master: %s", strerror(soerr));
		n = send(x->fd, x->out + x->outoff, x->outlen - x->outoff, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			return xchg_fail(x, "send to the master: %s", strerror(errno));
		x->outoff += (size_t)n;
		if (x->outoff == x->outlen) {
			ev_io_stop(loop, w);
			ev_io_set(w, x->fd, EV_READ);
			ev_io_start(loop, w);
		}
		return;
	}
	{
		size_t want = x->inlen < 2 ? 2 : 2 + ((size_t)x->in[0] << 8 | x->in[1]);

		n = recv(x->fd, x->in + x->inlen, want - x->inlen, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			return xchg_fail(x, "the master closed the connection");
		x->inlen += (size_t)n;
		if (x->inlen == 2 && want == 2 && (x->in[0] | x->in[1]) == 0)
			return xchg_fail(x, "empty answer from the master");
		if (x->inlen >= 2 && x->inlen == 2 + ((size_t)x->in[0] << 8 | x->in[1]))
			on_answer(x);
	}
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct xchg *x = w->data;

	xchg_fail(x, "no answer from the master within %.1f s", x->nz->timeout);
}

/* The notifier's configured address (with its port) that @from matched. */
static const struct ls_config_addr *notifier_addr(const struct ls_config_remote *r,
						  const struct sockaddr *from)
{
	for (size_t i = 0; i < r->addr_count; i++) {
		if (same_addr(&r->addrs[i].ss, from))
			return &r->addrs[i];
	}
	return NULL;
}

static int xchg_start(struct xchg *x, const struct sockaddr *from)
{
	const struct ls_config_addr *a = notifier_addr(x->notifier, from);
	int err;

	if (!a)
		return -EADDRNOTAVAIL;
	x->in = malloc(2 + LS_MSG_MAXLEN);
	if (!x->in)
		return -ENOMEM;
	err = build_query(x);
	if (err)
		return err;
	x->fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd < 0)
		return -errno;
	if (connect(x->fd, (const struct sockaddr *)&a->ss, a->len) < 0 && errno != EINPROGRESS)
		return -errno;
	ev_io_init(&x->io, on_io, x->fd, EV_WRITE);
	x->io.data = x;
	ev_io_start(x->nz->loop, &x->io);
	ev_timer_init(&x->timer, on_timeout, x->nz->timeout, 0);
	x->timer.data = x;
	ev_timer_start(x->nz->loop, &x->timer);
	return 0;
}

/* ---- requests ------------------------------------------------------------ */

int ls_newzone_handle(struct ls_newzone *nz, const uint8_t *wire, size_t len,
		      const struct sockaddr *from, ls_newzone_reply_fn reply, void *ctx)
{
	char addr[INET6_ADDRSTRLEN] = "?", err[256];
	const struct ls_config_remote *r;
	struct ls_tsig_status st;
	struct xchg *x;
	struct ls_msg m;
	int rc;

	if (len < LS_MSG_HDRLEN ||
	    ((wire[2] << 8 | wire[3]) & LS_OPCODE_MASK) >> LS_OPCODE_SHIFT != LS_OPCODE_UPDATE)
		return -EINVAL;
	if (from->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, addr,
			  sizeof(addr));
	else if (from->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, addr,
			  sizeof(addr));
	if (ls_msg_parse(&m, wire, len) != 0) {
		answer(wire, len, NULL, LS_RCODE_FORMERR, 0, reply, ctx);
		return 0;
	}
	if (m.flags & LS_FLAG_QR)
		return -EINVAL; /* a response: nothing to answer */
	if (ls_newzone_classify(&m) != LS_NEWZONE_CANDIDATE) {
		pr_info("UPDATE from %s refused: DNS UPDATE is not implemented (NOTIMP)", addr);
		answer(wire, len, NULL, LS_RCODE_NOTIMP, 0, reply, ctx);
		return 0;
	}
	/* draft §5.2: only a trusted master, and only with its own key */
	r = ls_xfrin_remote_by_addr(nz->cfg, from, false);
	if (!r || !r->key) {
		pr_warn("newzone: NEWZONE_NOTIFY from %s refused: %s", addr,
			r ? "its remote has no TSIG key" : "not a configured remote");
		answer(wire, len, NULL, LS_RCODE_REFUSED, 0, reply, ctx);
		return 0;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		answer(wire, len, NULL, LS_RCODE_SERVFAIL, 0, reply, ctx);
		return 0;
	}
	x->nz = nz;
	x->fd = -1;
	x->reply = reply;
	x->ctx = ctx;
	x->notifier = r;
	ls_tsig_init(&x->qtsig, NULL);
	ls_tsig_init(&x->tsig, r->key);
	if (!m.has_tsig ||
	    ls_tsig_verify_request(&x->tsig, r->key, 1, &m, now_unix(), 0, &st) != 0) {
		pr_warn("newzone: NEWZONE_NOTIFY from %s (%s) refused: %s", addr, r->id,
			m.has_tsig ? st.why : "not signed");
		if (m.has_tsig && st.error == LS_RCODE_BADTIME)
			answer(wire, len, &x->tsig, LS_RCODE_NOTAUTH, LS_RCODE_BADTIME, reply, ctx);
		else
			answer(wire, len, NULL, m.has_tsig ? st.rcode : LS_RCODE_REFUSED,
			       m.has_tsig ? st.error : 0, reply, ctx);
		ls_tsig_clear(&x->tsig);
		free(x);
		return 0;
	}
	x->next = nz->xs;
	nz->xs = x;
	x->q = malloc(len);
	if (!x->q) {
		answer(wire, len, &x->tsig, LS_RCODE_SERVFAIL, 0, reply, ctx);
		xchg_free(x);
		return 0;
	}
	memcpy(x->q, wire, len);
	x->qlen = len;
	if (ls_newzone_parse(&m, &x->req, err, sizeof(err)) != 0) {
		pr_warn("newzone: NEWZONE_NOTIFY from %s (%s): %s", addr, r->id, err);
		xchg_done(x, LS_RCODE_FORMERR);
		return 0;
	}
	ls_dname_to_str(x->name, sizeof(x->name), x->req.zone);
	pr_info("newzone: NEWZONE_NOTIFY for %s from %s (%s)", x->name, addr, r->id);
	if (ls_newzone_list_find(&nz->list, x->req.zone)) {
		pr_info("newzone: zone %s exists already (created by NEWZONE_NOTIFY)", x->name);
		xchg_done(x, LS_RCODE_NOERROR);
		return 0;
	}
	if (ls_config_zone_find(nz->cfg, x->req.zone)) {
		xchg_fail(x, "the zone is configured on this node");
		return 0;
	}
	for (size_t i = 0; i < nz->cfg->catalog_count; i++) {
		if (ls_dname_equal(nz->cfg->catalogs[i].name, x->req.zone)) {
			xchg_fail(x, "the zone is a configured catalog");
			return 0;
		}
	}
	x->master = remote_for(nz->cfg, x->req.addrs, x->req.naddrs);
	if (!x->master) {
		xchg_fail(x,
			  "the master named in the request is not a configured remote with a key");
		return 0;
	}
	rc = xchg_start(x, from);
	if (rc)
		xchg_fail(x, "cannot query the master: %s", strerror(-rc));
	return 0;
}

void ls_newzone_forget(struct ls_newzone *nz, void *ctx)
{
	struct xchg *x = nz->xs, *next;

	for (; x; x = next) {
		next = x->next;
		if (x->ctx == ctx)
			xchg_free(x);
	}
}

/* ---- life ------------------------------------------------------------------ */

int ls_newzone_new(struct ev_loop *loop, const struct ls_config *cfg,
		   const struct ls_newzone_ops *ops, const struct ls_newzone_opts *opts,
		   struct ls_newzone **out)
{
	struct ls_newzone *nz;

	*out = NULL;
	nz = calloc(1, sizeof(*nz));
	if (!nz)
		return -ENOMEM;
	nz->loop = loop;
	nz->cfg = cfg;
	nz->ops = *ops;
	nz->timeout = opts && opts->timeout > 0 ? opts->timeout : DEFAULT_TIMEOUT;
	if (cfg->node.state_dir) {
		if (asprintf(&nz->path, "%s/%s", cfg->node.state_dir, LIST_FILE) < 0) {
			free(nz);
			return -ENOMEM;
		}
		list_load(nz);
		readd_listed(nz);
	}
	*out = nz;
	return 0;
}

void ls_newzone_reconfigure(struct ls_newzone *nz, const struct ls_config *cfg)
{
	/* exchanges in flight hold remotes of the old configuration: finish them now */
	while (nz->xs)
		xchg_fail(nz->xs, "configuration reloaded during the checks");
	nz->cfg = cfg;
}

size_t ls_newzone_count(const struct ls_newzone *nz)
{
	return nz->list.count;
}

void ls_newzone_free(struct ls_newzone *nz)
{
	if (!nz)
		return;
	while (nz->xs)
		xchg_free(nz->xs);
	ls_newzone_list_clear(&nz->list);
	free(nz->path);
	free(nz);
}
