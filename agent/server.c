/* SPDX-License-Identifier: MIT */
/*
 * server.c — see server.h.
 *
 * How the loop is used. Every socket is non-blocking and watched by libev
 * (level-triggered), so a callback may do a bounded amount of work and
 * return: whatever is left makes the watcher fire again on the next turn.
 * That is what keeps one busy socket from starving the others.
 *
 * UDP: one socket per shared address. When it is readable we take up to
 * UDP_ROUNDS batches of datagrams with recvmmsg(), answer each batch into
 * per-slot buffers and send the answers with one sendmmsg(). One system call
 * per direction per batch is where the CPU saving over a recvfrom/sendto
 * server comes from; the batch callback (the zone set's clock read) runs
 * once per batch too. We never queue UDP: if the socket buffer is full
 * (EAGAIN on send) the rest of the batch is dropped and counted, as the
 * network would have dropped it — a resolver retries. After UDP_ROUNDS
 * batches we return to the loop even if more are waiting, so TCP and
 * signals get their turn under a flood.
 *
 * TCP (RFC 7766): one listener per shared address; each connection has an
 * input buffer that grows to the largest declared message (bounded by
 * LS_SERVER_TCP_MAX_QUERY) and an output buffer. One read() per readiness
 * event; every complete query in the input is answered in order and the
 * answers are appended to the output, which is written at once and, if the
 * peer is slow, from a write watcher. A peer that stops reading gets
 * backpressure: above OUT_HIGH octets of unsent answers we stop reading
 * its queries (the kernel's window then stops the peer) until the output
 * drains. Partial reads and writes are ordinary: the buffers carry them
 * over.
 *
 * Idle timeout: the classic libev trick — each connection stores the time
 * of its last activity and one timer per connection, armed for the earliest
 * moment it could expire; when it fires it re-arms for the remainder
 * instead of being reset on every packet.
 *
 * Connection limit: connections sit on a list ordered by last activity
 * (least recent first). A new connection over the limit evicts the least
 * recently active one if that one is idle (no partial query, no unsent
 * answer — RFC 7766 §6.2.3 lets a server close idle connections under
 * pressure); if even that one is busy, the new connection is accepted and
 * closed at once (refused), so busy clients are not punished for a flood
 * of new ones.
 */
#include "agent/server.h"
#include "agent/tcpout.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#ifndef IP_PMTUDISC_OMIT
#define IP_PMTUDISC_OMIT 5
#endif
#ifndef IPV6_PMTUDISC_OMIT
#define IPV6_PMTUDISC_OMIT 5
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define UDP_ROUNDS 8 /* batches per readiness event */
#define TCP_IN_INITIAL 512 /* most queries fit; grown per connection on demand */
#define OUT_HIGH (64u * 1024) /* unsent answers above this: stop reading the peer */
#define ACCEPT_RETRY 0.1 /* seconds to pause accept() when out of descriptors */
#define TCP_RESP_MAX 65535

struct ls_server;

struct udp_sock {
	ev_io io;
	int fd;
	struct ls_server *s;
};

struct tcp_listener {
	ev_io io;
	ev_timer retry; /* accept() paused after EMFILE and the like */
	int fd;
	struct ls_server *s;
};

struct conn {
	struct conn *prev, *next; /* by last activity, least recent first */
	struct ls_server *s;
	int fd;
	ev_io rio, wio;
	ev_timer timer;
	ev_tstamp last; /* last activity */
	uint8_t *in;
	size_t in_len, in_cap;
	struct ls_tcpout out;
	bool eof; /* the peer shut down its side: close once the answers are out */
};

struct ls_server {
	struct ev_loop *loop;
	struct ls_server_opts opts;
	struct udp_sock *udp;
	struct tcp_listener *tcp;
	size_t naddrs;
	struct conn *head, *tail;
	size_t nconns;
	struct ls_server_stats st;

	/* UDP batch state, reused for every batch of every socket */
	struct mmsghdr rx[LS_SERVER_UDP_BATCH], tx[LS_SERVER_UDP_BATCH];
	struct iovec riov[LS_SERVER_UDP_BATCH], tiov[LS_SERVER_UDP_BATCH];
	struct sockaddr_storage peer[LS_SERVER_UDP_BATCH];
	uint8_t rbuf[LS_SERVER_UDP_BATCH][LS_SERVER_UDP_BUFLEN];
	uint8_t tbuf[LS_SERVER_UDP_BATCH][LS_SERVER_UDP_BUFLEN];
	/* one TCP answer at a time, framed into the connection's output after */
	uint8_t tcp_resp[TCP_RESP_MAX];
};

/* ---- UDP ---------------------------------------------------------------- */

static void udp_send(struct ls_server *s, int fd, unsigned n)
{
	unsigned off = 0;

	while (off < n) {
		int m = sendmmsg(fd, s->tx + off, n - off, MSG_DONTWAIT);

		if (m > 0) {
			off += (unsigned)m;
			s->st.udp_responses += (unsigned)m;
			continue;
		}
		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			/* socket buffer full: drop the rest, as a congested link would */
			s->st.udp_send_errors += n - off;
			return;
		}
		/* an error about this one datagram (unreachable peer, ...): skip it */
		s->st.udp_send_errors++;
		off++;
	}
}

static void on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct udp_sock *u = w->data;
	struct ls_server *s = u->s;
	unsigned batch = s->opts.udp_batch;

	for (int round = 0; round < UDP_ROUNDS; round++) {
		unsigned nt = 0;
		int n;

		for (unsigned i = 0; i < batch; i++) {
			s->rx[i].msg_hdr.msg_namelen = sizeof(s->peer[i]);
			s->rx[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(u->fd, s->rx, batch, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break; /* EAGAIN: drained; other errors are per-datagram and rare */
		if (s->opts.batch)
			s->opts.batch(s->opts.ctx);
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &s->rx[i].msg_hdr;
			int len;

			s->st.udp_queries++;
			if (h->msg_flags & MSG_TRUNC) {
				/* a query longer than any we answer; no sane client sends one */
				s->st.udp_dropped++;
				continue;
			}
			len = s->opts.respond(s->opts.ctx, s->rbuf[i], s->rx[i].msg_len,
					      LS_SERVER_UDP, s->tbuf[nt], LS_SERVER_UDP_BUFLEN);
			if (len <= 0) {
				s->st.udp_dropped++;
				continue;
			}
			s->tx[nt].msg_hdr.msg_name = &s->peer[i];
			s->tx[nt].msg_hdr.msg_namelen = h->msg_namelen;
			s->tiov[nt].iov_len = (size_t)len;
			nt++;
		}
		if (nt)
			udp_send(s, u->fd, nt);
		if ((unsigned)n < batch)
			break;
	}
}

/* ---- TCP connections ------------------------------------------------------ */

static void lru_unlink(struct ls_server *s, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

static void lru_append(struct ls_server *s, struct conn *c)
{
	c->prev = s->tail;
	c->next = NULL;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
}

static void touch(struct conn *c)
{
	struct ls_server *s = c->s;

	c->last = ev_now(s->loop);
	if (s->tail != c) {
		lru_unlink(s, c);
		lru_append(s, c);
	}
}

static void conn_close(struct conn *c)
{
	struct ls_server *s = c->s;

	ev_io_stop(s->loop, &c->rio);
	ev_io_stop(s->loop, &c->wio);
	ev_timer_stop(s->loop, &c->timer);
	close(c->fd);
	lru_unlink(s, c);
	s->nconns--;
	s->st.tcp_closed++;
	free(c->in);
	ls_tcpout_free(&c->out);
	free(c);
}

static bool conn_idle(const struct conn *c)
{
	return c->in_len == 0 && ls_tcpout_unsent(&c->out) == 0;
}

/* Write what is pending. Returns 0, or -1 when the connection was closed. */
static int conn_flush(struct conn *c)
{
	struct ls_server *s = c->s;
	ssize_t n = ls_tcpout_send(&c->out, c->fd);

	if (n < 0) {
		s->st.tcp_errors++;
		conn_close(c);
		return -1;
	}
	if (n > 0)
		touch(c);
	if (ls_tcpout_unsent(&c->out))
		ev_io_start(s->loop, &c->wio);
	else
		ev_io_stop(s->loop, &c->wio);
	return 0;
}

/* Is a whole message (or a length prefix we will refuse) in the input? */
static bool complete_query(const struct conn *c)
{
	return c->in_len >= 2 && c->in_len >= 2 + ((size_t)c->in[0] << 8 | c->in[1]);
}

/*
 * Answer every complete query in the input, in order, unless the peer has
 * too many unread answers already. Returns 0, or -1 when the connection was
 * closed.
 */
static int conn_process(struct conn *c)
{
	struct ls_server *s = c->s;
	bool ticked = false;
	size_t off;
	int err = 0;

again:
	off = 0;
	while (c->in_len - off >= 2 && ls_tcpout_unsent(&c->out) < OUT_HIGH) {
		size_t len = (size_t)c->in[off] << 8 | c->in[off + 1];
		int r;

		if (len < 12 || len > LS_SERVER_TCP_MAX_QUERY) {
			/* no DNS message is that short; none we answer is that long */
			s->st.tcp_bad_length++;
			conn_close(c);
			return -1;
		}
		if (c->in_len - off < 2 + len) {
			if (c->in_cap < 2 + len) {
				uint8_t *p;

				memmove(c->in, c->in + off, c->in_len - off);
				c->in_len -= off;
				off = 0;
				p = realloc(c->in, 2 + len);
				if (!p) {
					err = -ENOMEM;
					break;
				}
				c->in = p;
				c->in_cap = 2 + len;
			}
			break;
		}
		if (!ticked && s->opts.batch) {
			s->opts.batch(s->opts.ctx);
			ticked = true;
		}
		s->st.tcp_queries++;
		r = s->opts.respond(s->opts.ctx, c->in + off + 2, len, LS_SERVER_TCP, s->tcp_resp,
				    sizeof(s->tcp_resp));
		off += 2 + len;
		if (r <= 0) {
			s->st.tcp_dropped++;
			continue;
		}
		err = ls_tcpout_put(&c->out, s->tcp_resp, (size_t)r);
		if (err) {
			s->st.tcp_dropped++;
			break;
		}
		s->st.tcp_responses++;
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (err) {
		s->st.tcp_errors++;
		conn_close(c);
		return -1;
	}
	if (conn_flush(c))
		return -1;
	/* the output drained at once: answer what backpressure held back */
	if (ls_tcpout_unsent(&c->out) == 0 && complete_query(c))
		goto again;
	if (c->eof && ls_tcpout_unsent(&c->out) == 0) {
		/* everything answered; a partial query left at EOF is dropped */
		conn_close(c);
		return -1;
	}
	/* read on unless the peer must first take its answers (backpressure) */
	if (c->eof || ls_tcpout_unsent(&c->out) >= OUT_HIGH)
		ev_io_stop(s->loop, &c->rio);
	else
		ev_io_start(s->loop, &c->rio);
	return 0;
}

static void on_conn_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct ls_server *s = c->s;
	ssize_t n;

	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		s->st.tcp_errors++;
		conn_close(c);
		return;
	}
	if (n == 0) {
		/* half close: answer what is complete, then close (RFC 7766 §6.2.4) */
		c->eof = true;
		conn_process(c);
		return;
	}
	c->in_len += (size_t)n;
	touch(c);
	conn_process(c);
}

static void on_conn_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	if (conn_flush(c))
		return;
	/* drained: answer what backpressure held back, read again (or close at EOF) */
	if (ls_tcpout_unsent(&c->out) == 0)
		conn_process(c);
}

static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	ev_tstamp after = c->last + c->s->opts.tcp_idle_timeout - ev_now(loop);

	if (after > 0) {
		ev_timer_set(w, after, 0.);
		ev_timer_start(loop, w);
		return;
	}
	c->s->st.tcp_timeouts++;
	conn_close(c);
}

static int conn_new(struct ls_server *s, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c)
		goto close_fd;
	c->in = malloc(TCP_IN_INITIAL);
	if (!c->in)
		goto free_conn;
	c->in_cap = TCP_IN_INITIAL;
	c->s = s;
	c->fd = fd;
	/* answers are written whole; Nagle would only hold back the next one */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ev_io_init(&c->rio, on_conn_read, fd, EV_READ);
	ev_io_init(&c->wio, on_conn_write, fd, EV_WRITE);
	ev_timer_init(&c->timer, on_conn_timer, s->opts.tcp_idle_timeout, 0.);
	c->rio.data = c->wio.data = c->timer.data = c;
	c->last = ev_now(s->loop);
	lru_append(s, c);
	s->nconns++;
	s->st.tcp_accepted++;
	ev_io_start(s->loop, &c->rio);
	ev_timer_start(s->loop, &c->timer);
	return 0;

free_conn:
	free(c);
close_fd:
	close(fd);
	return -ENOMEM;
}

static void on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_listener *l = w->data;

	ev_io_start(loop, &l->io);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_listener *l = w->data;
	struct ls_server *s = l->s;

	/* a bounded number per event, like UDP_ROUNDS, so a SYN flood cannot starve UDP */
	for (int i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* level-triggered: retrying now would spin */
				pr_warn("tcp: accept: %s; pausing for %.1f s", strerror(errno),
					ACCEPT_RETRY);
				ev_io_stop(loop, &l->io);
				ev_timer_set(&l->retry, ACCEPT_RETRY, 0.);
				ev_timer_start(loop, &l->retry);
			}
			return;
		}
		if (s->nconns >= s->opts.tcp_max_conns) {
			if (s->head && conn_idle(s->head)) {
				s->st.tcp_evicted++;
				conn_close(s->head);
			} else {
				s->st.tcp_refused++;
				close(fd);
				continue;
			}
		}
		conn_new(s, fd);
	}
}

/* ---- sockets -------------------------------------------------------------- */

static int open_socket(const struct ls_config_addr *a, int type)
{
	int family = a->ss.ss_family, one = 1, fd, err;
	int omit = family == AF_INET6 ? IPV6_PMTUDISC_OMIT : IP_PMTUDISC_OMIT;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	/*
	 * RFC 3258 §2.5: an ICMP "too big" for a reply from the shared
	 * address may be routed to another mesh member, so replies must not
	 * depend on path MTU discovery: DF clear on IPv4, the interface MTU on
	 * IPv6. OMIT (not DONT) also ignores any PMTU already cached for the
	 * peer, which an attacker could have planted with forged ICMP.
	 */
	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit, sizeof(omit)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)))
			goto fail;
	} else {
		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof(omit)) ||
		    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)))
			goto fail;
	}
	/*
	 * FREEBIND (above): the shared address is often put on the host only
	 * when the node is ready to announce it (hooks.on-serve), or moved
	 * between interfaces; binding it beforehand must not fail, and the
	 * sockets start receiving the moment the address appears.
	 */
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len))
		goto fail;
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN))
		goto fail;
	return fd;

fail:
	err = -errno;
	close(fd);
	return err;
}

int ls_server_new(struct ev_loop *loop, const struct ls_config_addr *addrs, size_t naddrs,
		  const struct ls_server_opts *opts, struct ls_server **out)
{
	struct ls_server *s;
	char abuf[LS_CONFIG_ADDR_STRLEN];
	size_t i;
	int err;

	*out = NULL;
	if (!opts->respond)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->opts = *opts;
	if (s->opts.tcp_idle_timeout <= 0)
		s->opts.tcp_idle_timeout = LS_SERVER_TCP_IDLE_TIMEOUT;
	if (s->opts.tcp_max_conns == 0)
		s->opts.tcp_max_conns = LS_SERVER_TCP_MAX_CONNS;
	if (s->opts.udp_batch == 0 || s->opts.udp_batch > LS_SERVER_UDP_BATCH)
		s->opts.udp_batch = LS_SERVER_UDP_BATCH;
	for (i = 0; i < LS_SERVER_UDP_BATCH; i++) {
		s->riov[i] = (struct iovec){ s->rbuf[i], sizeof(s->rbuf[i]) };
		s->rx[i].msg_hdr.msg_iov = &s->riov[i];
		s->rx[i].msg_hdr.msg_iovlen = 1;
		s->rx[i].msg_hdr.msg_name = &s->peer[i];
		s->tiov[i].iov_base = s->tbuf[i];
		s->tx[i].msg_hdr.msg_iov = &s->tiov[i];
		s->tx[i].msg_hdr.msg_iovlen = 1;
	}
	s->udp = calloc(naddrs ? naddrs : 1, sizeof(*s->udp));
	s->tcp = calloc(naddrs ? naddrs : 1, sizeof(*s->tcp));
	if (!s->udp || !s->tcp) {
		err = -ENOMEM;
		goto free_server;
	}
	for (i = 0; i < naddrs; i++) {
		s->udp[i].fd = open_socket(&addrs[i], SOCK_DGRAM);
		if (s->udp[i].fd < 0) {
			err = s->udp[i].fd;
			goto close_sockets;
		}
		s->tcp[i].fd = open_socket(&addrs[i], SOCK_STREAM);
		if (s->tcp[i].fd < 0) {
			err = s->tcp[i].fd;
			close(s->udp[i].fd);
			goto close_sockets;
		}
		s->udp[i].s = s->tcp[i].s = s;
		ev_io_init(&s->udp[i].io, on_udp, s->udp[i].fd, EV_READ);
		s->udp[i].io.data = &s->udp[i];
		ev_io_init(&s->tcp[i].io, on_accept, s->tcp[i].fd, EV_READ);
		ev_timer_init(&s->tcp[i].retry, on_accept_retry, ACCEPT_RETRY, 0.);
		s->tcp[i].io.data = s->tcp[i].retry.data = &s->tcp[i];
		ev_io_start(loop, &s->udp[i].io);
		ev_io_start(loop, &s->tcp[i].io);
		s->naddrs = i + 1;
		pr_info("serving DNS on %s (UDP and TCP)",
			ls_config_addr_str(&addrs[i], abuf, sizeof(abuf)));
	}
	*out = s;
	return 0;

close_sockets:
	pr_err("cannot serve on %s: %s", ls_config_addr_str(&addrs[i], abuf, sizeof(abuf)),
	       strerror(-err));
	ls_server_free(s);
	return err;
free_server:
	free(s->udp);
	free(s->tcp);
	free(s);
	return err;
}

void ls_server_free(struct ls_server *s)
{
	if (!s)
		return;
	while (s->head)
		conn_close(s->head);
	for (size_t i = 0; i < s->naddrs; i++) {
		ev_io_stop(s->loop, &s->udp[i].io);
		ev_io_stop(s->loop, &s->tcp[i].io);
		ev_timer_stop(s->loop, &s->tcp[i].retry);
		close(s->udp[i].fd);
		close(s->tcp[i].fd);
	}
	free(s->udp);
	free(s->tcp);
	free(s);
}

int ls_server_sockname(const struct ls_server *s, size_t i, int transport,
		       struct sockaddr_storage *ss, socklen_t *len)
{
	int fd;

	if (i >= s->naddrs)
		return -ENOENT;
	fd = transport == LS_SERVER_TCP ? s->tcp[i].fd : s->udp[i].fd;
	*len = sizeof(*ss);
	if (getsockname(fd, (struct sockaddr *)ss, len))
		return -errno;
	return 0;
}

const struct ls_server_stats *ls_server_stats(const struct ls_server *s)
{
	return &s->st;
}

size_t ls_server_tcp_conns(const struct ls_server *s)
{
	return s->nconns;
}
