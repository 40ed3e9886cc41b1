/* SPDX-License-Identifier: MIT */
/* tcpout.c — see tcpout.h. */
#include "agent/tcpout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/grow.h"

int ls_tcpout_put(struct ls_tcpout *o, const uint8_t *msg, size_t len)
{
	size_t need;
	uint8_t *p;

	if (len > 0xFFFF)
		return -EMSGSIZE;
	/* move the unsent tail to the front before growing: the buffer stays
	 * as small as the peer's backlog */
	if (o->off) {
		memmove(o->buf, o->buf + o->off, o->len - o->off);
		o->len -= o->off;
		o->off = 0;
	}
	need = o->len + 2 + len;
	p = ls_grow(o->buf, &o->cap, need, 1, 1024);
	if (!p)
		return -ENOMEM;
	o->buf = p;
	o->buf[o->len] = (uint8_t)(len >> 8);
	o->buf[o->len + 1] = (uint8_t)len;
	memcpy(o->buf + o->len + 2, msg, len);
	o->len = need;
	return 0;
}

ssize_t ls_tcpout_send(struct ls_tcpout *o, int fd)
{
	size_t sent = 0;

	while (o->off < o->len) {
		ssize_t n = send(fd, o->buf + o->off, o->len - o->off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			o->off += (size_t)n;
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (ssize_t)sent;
		return n < 0 ? -errno : -EPIPE;
	}
	o->off = o->len = 0;
	return (ssize_t)sent;
}

void ls_tcpout_free(struct ls_tcpout *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}
