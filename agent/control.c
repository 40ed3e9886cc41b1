/* SPDX-License-Identifier: MIT */
/*
 * control.c — see control.h.
 *
 * One request per connection keeps the state of a connection to a buffer
 * and two watchers: the reply (well under a kilobyte) is written with one
 * non-blocking send() into an empty socket buffer, so it never has to wait
 * for the peer; a peer that does not read it loses it, the agent never
 * waits.
 */
#include "agent/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

struct conn {
	struct ls_control *owner;
	struct conn *next;
	int fd;
	ev_io io;
	ev_timer timer;
	size_t len;
	char buf[LS_CONTROL_MAX_LINE];
};

struct ls_control {
	struct ev_loop *loop;
	struct ls_control_ops ops;
	struct ls_control_opts opts;
	struct ls_control_stats stats;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	ev_io accept_io;
	struct conn *conns;
	unsigned nconns;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int ls_control_parse(const char *line, size_t len, struct ls_control_request *req, const char **why)
{
	static const uint8_t root[1] = { 0 };
	char word[16], name[LS_DNAME_STRLEN];
	size_t i = 0, w, n;

	memset(req, 0, sizeof(*req));
	while (len && (is_blank(line[len - 1]) || line[len - 1] == '\r'))
		len--;
	for (size_t k = 0; k < len; k++) {
		if ((unsigned char)line[k] < 0x20 && line[k] != '\t') {
			*why = "control character in the request";
			return -EINVAL;
		}
		if ((unsigned char)line[k] >= 0x7f) {
			*why = "non-ASCII octet in the request";
			return -EINVAL;
		}
	}
	while (i < len && is_blank(line[i]))
		i++;
	for (w = 0; i < len && !is_blank(line[i]); i++) {
		if (w + 1 >= sizeof(word)) {
			*why = "unknown command";
			return -EINVAL;
		}
		word[w++] = line[i];
	}
	word[w] = '\0';
	if (strcmp(word, "retransfer") == 0) {
		req->cmd = LS_CONTROL_RETRANSFER;
	} else if (strcmp(word, "withdraw") == 0) {
		req->cmd = LS_CONTROL_WITHDRAW;
	} else {
		*why = w ? "unknown command" : "empty request";
		return -EINVAL;
	}
	while (i < len && is_blank(line[i]))
		i++;
	for (n = 0; i < len && !is_blank(line[i]); i++) {
		if (n + 1 >= sizeof(name)) {
			*why = "zone name too long";
			return -EINVAL;
		}
		name[n++] = line[i];
	}
	name[n] = '\0';
	if (!n) {
		*why = "missing zone name";
		return -EINVAL;
	}
	if (i < len) {
		*why = "trailing words after the zone name";
		return -EINVAL;
	}
	if (ls_dname_from_str(req->zone, name, root) < 0) {
		*why = "bad zone name";
		return -EINVAL;
	}
	return 0;
}

static const char *cmd_name(enum ls_control_cmd c)
{
	return c == LS_CONTROL_RETRANSFER ? "retransfer" : "withdraw";
}

int ls_control_execute(const struct ls_control_ops *ops, const char *line, size_t len,
		       struct ls_buf *reply)
{
	struct ls_control_request req;
	char zone[LS_DNAME_STRLEN];
	const char *why = NULL;
	int err;

	err = ls_control_parse(line, len, &req, &why);
	if (err) {
		ls_buf_puts(reply, "{\"ok\":false,\"error\":");
		ls_buf_json_str(reply, why, strlen(why));
		ls_buf_puts(reply, "}\n");
		return err;
	}
	ls_dname_to_str(zone, sizeof(zone), req.zone);
	if (req.cmd == LS_CONTROL_RETRANSFER)
		err = ops->retransfer ? ops->retransfer(ops->ctx, req.zone) : -EOPNOTSUPP;
	else
		err = ops->withdraw ? ops->withdraw(ops->ctx, req.zone) : -EOPNOTSUPP;
	ls_buf_printf(reply, "{\"ok\":%s,\"command\":\"%s\",\"zone\":", err ? "false" : "true",
		      cmd_name(req.cmd));
	ls_buf_json_str(reply, zone, strlen(zone));
	if (err) {
		const char *e = err == -ENOENT ? "no such zone here, or it has no primaries" :
						 strerror(-err);

		ls_buf_puts(reply, ",\"error\":");
		ls_buf_json_str(reply, e, strlen(e));
	}
	ls_buf_puts(reply, "}\n");
	pr_notice("control: %s %s: %s", cmd_name(req.cmd), zone, err ? strerror(-err) : "done");
	return err;
}

static void conn_close(struct conn *c)
{
	struct ls_control *ctl = c->owner;

	for (struct conn **p = &ctl->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	ctl->nconns--;
	ev_io_stop(ctl->loop, &c->io);
	ev_timer_stop(ctl->loop, &c->timer);
	close(c->fd);
	free(c);
}

/* Best effort: the peer's socket buffer is empty, one small line fits. */
static void send_line(int fd, const char *s, size_t len)
{
	ssize_t r = send(fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)r;
}

static void conn_answer(struct conn *c, size_t len)
{
	struct ls_control *ctl = c->owner;
	struct ls_buf reply = { 0 };

	ctl->stats.requests++;
	if (ls_control_execute(&ctl->ops, c->buf, len, &reply) == -EINVAL)
		ctl->stats.bad_requests++;
	if (reply.oom)
		send_line(c->fd, "{\"ok\":false,\"error\":\"out of memory\"}\n", 36);
	else
		send_line(c->fd, reply.data, reply.len);
	ls_buf_free(&reply);
	conn_close(c);
}

static void on_conn_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	char *nl;

	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_close(c);
		return;
	}
	if (r == 0) {
		/* the peer is done writing: what it sent is the request */
		if (c->len)
			conn_answer(c, c->len);
		else
			conn_close(c);
		return;
	}
	c->len += (size_t)r;
	nl = memchr(c->buf, '\n', c->len);
	if (nl) {
		conn_answer(c, (size_t)(nl - c->buf));
	} else if (c->len == sizeof(c->buf)) {
		c->owner->stats.bad_requests++;
		send_line(c->fd, "{\"ok\":false,\"error\":\"request too long\"}\n", 40);
		conn_close(c);
	}
}

static void on_conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	c->owner->stats.timeouts++;
	conn_close(c);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	static const char denied[] = "{\"ok\":false,\"error\":\"permission denied\"}\n";
	static const char busy[] = "{\"ok\":false,\"error\":\"busy\"}\n";
	struct ls_control *ctl = w->data;
	struct conn *c;
	int fd;

	/* bounded: at most a few per wake-up, the rest on the next turn */
	for (int k = 0; k < 16; k++) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		bool known;

		fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* a peer whose credentials cannot be read is refused, and logged as uid -1 */
		known = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 &&
			clen == sizeof(cred);
		if (!known || cred.uid != ctl->opts.uid) {
			ctl->stats.refused_uid++;
			pr_warn("control: refused a request from uid %ld (only uid %ld may)",
				known ? (long)cred.uid : -1L, (long)ctl->opts.uid);
			send_line(fd, denied, sizeof(denied) - 1);
			close(fd);
			continue;
		}
		if (ctl->nconns >= ctl->opts.max_conns) {
			ctl->stats.refused_busy++;
			send_line(fd, busy, sizeof(busy) - 1);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		ctl->stats.accepted++;
		c->owner = ctl;
		c->fd = fd;
		ev_io_init(&c->io, on_conn_read, fd, EV_READ);
		ev_timer_init(&c->timer, on_conn_timeout, ctl->opts.timeout, 0.);
		c->io.data = c->timer.data = c;
		ev_io_start(loop, &c->io);
		ev_timer_start(loop, &c->timer);
		c->next = ctl->conns;
		ctl->conns = c;
		ctl->nconns++;
	}
}

/* Whether an agent answers on @sa: then its socket must not be taken away. */
static bool somebody_listens(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool yes;

	if (fd < 0)
		return false;
	/* a local connect either succeeds or fails at once: no wait */
	yes = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return yes;
}

static int make_dir_of(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ls_control_new(struct ev_loop *loop, const char *path, const struct ls_control_ops *ops,
		   const struct ls_control_opts *opts, struct ls_control **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ls_control *ctl;
	int err;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->loop = loop;
	ctl->ops = *ops;
	if (opts)
		ctl->opts = *opts;
	if (ctl->opts.timeout <= 0)
		ctl->opts.timeout = LS_CONTROL_TIMEOUT;
	if (!ctl->opts.max_conns)
		ctl->opts.max_conns = LS_CONTROL_MAX_CONNS;
	ctl->fd = -1;
	err = make_dir_of(path);
	if (err)
		goto free_ctl;
	if (somebody_listens(&sa)) {
		err = -EADDRINUSE;
		goto free_ctl;
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		err = -errno;
		goto free_ctl;
	}
	unlink(path); /* stale: nobody answered on it */
	if (bind(ctl->fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto close_fd;
	}
	/* SO_PEERCRED decides; the mode only keeps others from even connecting */
	if (chmod(path, 0660) < 0 || listen(ctl->fd, 16) < 0) {
		err = -errno;
		goto unlink_path;
	}
	memcpy(ctl->path, path, strlen(path) + 1);
	ev_io_init(&ctl->accept_io, on_accept, ctl->fd, EV_READ);
	ctl->accept_io.data = ctl;
	ev_io_start(loop, &ctl->accept_io);
	*out = ctl;
	return 0;

unlink_path:
	unlink(path);
close_fd:
	close(ctl->fd);
free_ctl:
	free(ctl);
	return err;
}

void ls_control_free(struct ls_control *ctl)
{
	if (!ctl)
		return;
	while (ctl->conns)
		conn_close(ctl->conns);
	ev_io_stop(ctl->loop, &ctl->accept_io);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

const struct ls_control_stats *ls_control_stats(const struct ls_control *ctl)
{
	return &ctl->stats;
}
