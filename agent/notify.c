/* SPDX-License-Identifier: MIT */
/*
 * notify.c — see notify.h.
 *
 * One job per (zone, remote address): its own connected UDP socket (so the
 * kernel only hands us datagrams from that address, and an ICMP error
 * shows up as a socket error rather than silence), an I/O watcher and a
 * retry timer. The message is built once and re-sent as is on every try:
 * RFC 1996 §3.6 has the retry carry the same ID, and a TSIG time a few
 * seconds old is well inside the fudge. A reply is believed only with the
 * ID, QR, opcode and question of the request, and, when the remote has a
 * key, a valid TSIG in the request's transaction.
 */
#include "agent/notify.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/message.h"
#include "common/tsig.h"

#define MSG_CAP 1024

struct job {
	struct job *prev, *next;
	struct ls_notify *n;
	const struct ls_config_remote *remote;
	size_t addr; /* which of the remote's addresses */
	uint8_t origin[LS_DNAME_MAXLEN];
	char zone[LS_DNAME_STRLEN];
	char where[LS_CONFIG_ADDR_STRLEN];
	uint32_t serial;
	uint16_t id;
	int fd;
	ev_io io;
	ev_timer timer;
	unsigned tries;
	double wait;
	struct ls_tsig tsig;
	uint8_t msg[MSG_CAP];
	size_t len;
};

struct ls_notify {
	struct ev_loop *loop;
	const struct ls_config *cfg;
	struct ls_notify_opts opts;
	struct job *jobs;
	size_t njobs;
	struct ls_notify_stats st;
};

static void job_free(struct job *j)
{
	struct ls_notify *n = j->n;

	ev_io_stop(n->loop, &j->io);
	ev_timer_stop(n->loop, &j->timer);
	if (j->fd >= 0)
		close(j->fd);
	ls_tsig_clear(&j->tsig);
	if (j->prev)
		j->prev->next = j->next;
	else
		n->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	n->njobs--;
	free(j);
}

static void job_send(struct job *j)
{
	struct ls_notify *n = j->n;

	j->tries++;
	if (send(j->fd, j->msg, j->len, MSG_DONTWAIT) == (ssize_t)j->len)
		n->st.sent++;
	else
		pr_debug("notify %s serial %u to %s: send: %s", j->zone, j->serial, j->where,
			 strerror(errno));
	ev_timer_set(&j->timer, j->wait, 0.);
	ev_timer_start(n->loop, &j->timer);
	j->wait *= 2;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct job *j = w->data;

	if (j->tries >= j->n->opts.tries) {
		j->n->st.timed_out++;
		pr_warn("notify %s serial %u to %s (%s): no answer after %u tries", j->zone,
			j->serial, j->where, j->remote->id, j->tries);
		job_free(j);
		return;
	}
	job_send(j);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct job *j = w->data;
	struct ls_notify *n = j->n;
	uint8_t buf[4096];
	struct ls_msg m;
	ssize_t len = recv(j->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (len < 0)
		return; /* ICMP errors and the like: the retry timer goes on */
	if (ls_msg_parse(&m, buf, (size_t)len) || m.id != j->id || !(m.flags & LS_FLAG_QR) ||
	    ls_msg_opcode(&m) != LS_OPCODE_NOTIFY || m.count[LS_SECTION_QUESTION] != 1 ||
	    !ls_dname_equal(m.qname, j->origin))
		return; /* not the answer: keep waiting (RFC 1996 §3.6) */
	if (j->remote->key) {
		struct ls_tsig_status st;

		if (ls_tsig_verify_response(&j->tsig, &m, (uint64_t)time(NULL), &st)) {
			n->st.refused++;
			pr_warn("notify %s serial %u to %s (%s): answer with a bad TSIG: %s",
				j->zone, j->serial, j->where, j->remote->id, st.why);
			job_free(j);
			return;
		}
	}
	if (ls_msg_rcode(&m) != LS_RCODE_NOERROR) {
		const char *rc = ls_msg_rcode_name(ls_msg_rcode(&m));

		n->st.refused++;
		pr_warn("notify %s serial %u to %s (%s): refused with %s", j->zone, j->serial,
			j->where, j->remote->id, rc ? rc : "an unknown RCODE");
	} else {
		n->st.acked++;
		pr_info("notify %s serial %u to %s (%s): acknowledged", j->zone, j->serial,
			j->where, j->remote->id);
	}
	job_free(j);
}

/* The first admin.listen address of @family, port 0: peers know the node by it. */
static const struct ls_config_addr *source_for(const struct ls_config *cfg, int family)
{
	for (size_t i = 0; i < cfg->admin.listen_count; i++) {
		if (cfg->admin.listen[i].ss.ss_family == family)
			return &cfg->admin.listen[i];
	}
	return NULL;
}

static int open_sock(const struct ls_config *cfg, const struct ls_config_addr *to)
{
	const struct ls_config_addr *src = source_for(cfg, to->ss.ss_family);
	int fd = socket(to->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	if (src) {
		struct sockaddr_storage ss = src->ss;

		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		if (bind(fd, (struct sockaddr *)&ss, src->len))
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&to->ss, to->len))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static int build(struct job *j)
{
	struct ls_msg_writer w;
	int err;

	ls_msg_writer_init(&w, j->msg, sizeof(j->msg));
	ls_msg_set_header(&w, j->id, (LS_OPCODE_NOTIFY << LS_OPCODE_SHIFT) | LS_FLAG_AA);
	err = ls_msg_put_question(&w, j->origin, LS_TYPE_SOA, LS_CLASS_IN);
	if (err)
		return err;
	j->len = ls_msg_len(&w);
	ls_tsig_init(&j->tsig, j->remote->key);
	if (j->remote->key)
		return ls_tsig_sign(&j->tsig, j->msg, &j->len, sizeof(j->msg), (uint64_t)time(NULL),
				    0);
	return 0;
}

/* A job for the same zone and address is superseded by the newer serial. */
static void replace_old(struct ls_notify *n, const uint8_t *origin,
			const struct ls_config_addr *addr)
{
	struct job *j = n->jobs, *next;

	for (; j; j = next) {
		const struct ls_config_addr *a = &j->remote->addrs[j->addr];

		next = j->next;
		if (ls_dname_equal(j->origin, origin) && a->len == addr->len &&
		    memcmp(&a->ss, &addr->ss, a->len) == 0) {
			n->st.replaced++;
			job_free(j);
		}
	}
}

int ls_notify_remote(struct ls_notify *n, const uint8_t *origin, uint32_t serial,
		     const struct ls_config_remote *remote)
{
	int started = 0;

	for (size_t i = 0; i < remote->addr_count; i++) {
		struct ls_config_addr to;
		struct job *j;
		int err;

		replace_old(n, origin, &remote->addrs[i]);
		j = calloc(1, sizeof(*j));
		if (!j)
			return started ? started : -ENOMEM;
		j->n = n;
		j->remote = remote;
		j->addr = i;
		j->serial = serial;
		j->wait = n->opts.timeout;
		ls_dname_copy_lower(j->origin, origin);
		ls_dname_to_str(j->zone, sizeof(j->zone), j->origin);
		to = remote->addrs[i];
		if (remote->tls) {
			/* NOTIFY is plain DNS (RFC 9103 moves only transfers to TLS):
			 * the port of a XoT remote is its TLS port, so send to 53. */
			if (to.ss.ss_family == AF_INET)
				((struct sockaddr_in *)&to.ss)->sin_port = htons(53);
			else
				((struct sockaddr_in6 *)&to.ss)->sin6_port = htons(53);
		}
		ls_config_addr_str(&to, j->where, sizeof(j->where));
		if (getrandom(&j->id, sizeof(j->id), 0) != sizeof(j->id))
			j->id = (uint16_t)rand();
		err = build(j);
		j->fd = err ? -1 : open_sock(n->cfg, &to);
		if (err || j->fd < 0) {
			pr_warn("notify %s serial %u to %s (%s): %s", j->zone, serial, j->where,
				remote->id, strerror(err ? -err : -j->fd));
			ls_tsig_clear(&j->tsig);
			free(j);
			continue;
		}
		j->next = n->jobs;
		if (n->jobs)
			n->jobs->prev = j;
		n->jobs = j;
		n->njobs++;
		ev_io_init(&j->io, on_readable, j->fd, EV_READ);
		ev_timer_init(&j->timer, on_timer, j->wait, 0.);
		j->io.data = j->timer.data = j;
		ev_io_start(n->loop, &j->io);
		n->st.started++;
		started++;
		job_send(j);
	}
	return started;
}

/* Notify each of @list (@count remotes). Returns the jobs started. */
static int notify_all(struct ls_notify *n, const uint8_t *origin, uint32_t serial,
		      const struct ls_config_remote *const *list, size_t count)
{
	int total = 0;

	for (size_t i = 0; i < count; i++) {
		int r = ls_notify_remote(n, origin, serial, list[i]);

		if (r > 0)
			total += r;
	}
	return total;
}

/* The catalog named @name, or NULL. */
static const struct ls_config_catalog *catalog_find(const struct ls_config *cfg,
						    const uint8_t *name)
{
	for (size_t i = 0; i < cfg->catalog_count; i++) {
		if (ls_dname_equal(cfg->catalogs[i].name, name))
			return &cfg->catalogs[i];
	}
	return NULL;
}

int ls_notify_zone(struct ls_notify *n, const uint8_t *origin, uint32_t serial)
{
	const struct ls_config_zone *z = ls_config_zone_find(n->cfg, origin);
	const struct ls_config_catalog *cat;

	if (z)
		return notify_all(n, origin, serial, z->notify, z->notify_count);
	cat = catalog_find(n->cfg, origin);
	return cat ? notify_all(n, origin, serial, cat->notify, cat->notify_count) : 0;
}

int ls_notify_member(struct ls_notify *n, const uint8_t *origin, uint32_t serial,
		     const uint8_t *catalog)
{
	const struct ls_config_catalog *cat;

	/* a zone configured by name is configured, whoever lists it too */
	if (ls_config_zone_find(n->cfg, origin) || !catalog)
		return ls_notify_zone(n, origin, serial);
	cat = catalog_find(n->cfg, catalog);
	return cat ? notify_all(n, origin, serial, cat->notify, cat->notify_count) : 0;
}

int ls_notify_new(struct ev_loop *loop, const struct ls_config *cfg,
		  const struct ls_notify_opts *opts, struct ls_notify **out)
{
	struct ls_notify *n = calloc(1, sizeof(*n));

	*out = NULL;
	if (!n)
		return -ENOMEM;
	n->loop = loop;
	n->cfg = cfg;
	n->opts.timeout = opts && opts->timeout > 0 ? opts->timeout : LS_NOTIFY_TIMEOUT;
	n->opts.tries = opts && opts->tries ? opts->tries : LS_NOTIFY_TRIES;
	*out = n;
	return 0;
}

void ls_notify_free(struct ls_notify *n)
{
	if (!n)
		return;
	while (n->jobs)
		job_free(n->jobs);
	free(n);
}

void ls_notify_reconfigure(struct ls_notify *n, const struct ls_config *cfg)
{
	while (n->jobs)
		job_free(n->jobs);
	n->cfg = cfg;
}

size_t ls_notify_pending(const struct ls_notify *n)
{
	return n->njobs;
}

const struct ls_notify_stats *ls_notify_stats(const struct ls_notify *n)
{
	return &n->st;
}
