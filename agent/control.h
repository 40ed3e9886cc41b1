/* SPDX-License-Identifier: MIT */
/*
 * control.h — lockstepd's local control socket, for lockstepctl.
 *
 * Owns: a Unix stream socket (node.control-socket), who may use it (the
 * peer's SO_PEERCRED uid must be root's, or the one uid a test allows), and
 * its protocol: one request line, one JSON reply line, then the connection
 * closes.
 *   retransfer ZONE   ask the zone's primaries for it now (SOA, then a
 *                     transfer if their serial is newer)
 *   withdraw ZONE     silence the zone until a newer verified version
 * A reply is {"ok":true,"command":"retransfer","zone":"example.com."} or
 * {"ok":false,"error":"..."} (with "command" and "zone" once known).
 * Everything runs in the daemon's loop and never blocks: non-blocking
 * sockets, a request of at most LS_CONTROL_MAX_LINE octets, a deadline for
 * it, and a bounded number of connections.
 *
 * Must not: act on zones itself. What a command does comes from the
 * daemon's ops (the transfer client, the zone manager); this module only
 * checks who asks and what they ask.
 */
#ifndef LOCKSTEP_AGENT_CONTROL_H
#define LOCKSTEP_AGENT_CONTROL_H

#include <ev.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/dname.h"
#include "common/http.h"

#define LS_CONTROL_MAX_LINE 512 /* one request, with its newline */
#define LS_CONTROL_TIMEOUT 5.0 /* seconds for the request to arrive */
#define LS_CONTROL_MAX_CONNS 8

enum ls_control_cmd {
	LS_CONTROL_RETRANSFER = 1,
	LS_CONTROL_WITHDRAW,
};

struct ls_control_request {
	enum ls_control_cmd cmd;
	uint8_t zone[LS_DNAME_MAXLEN]; /* wire form, as written */
};

/* What the commands do; each returns 0 or a negative errno (-ENOENT: not ours). */
struct ls_control_ops {
	int (*retransfer)(void *ctx, const uint8_t *origin);
	int (*withdraw)(void *ctx, const uint8_t *origin);
	void *ctx;
};

struct ls_control_opts {
	uid_t uid; /* the one uid let in; root's (0) when the opts are NULL */
	double timeout; /* 0: LS_CONTROL_TIMEOUT */
	unsigned max_conns; /* 0: LS_CONTROL_MAX_CONNS */
};

struct ls_control_stats {
	uint64_t accepted, refused_uid, refused_busy, requests, bad_requests, timeouts;
};

struct ls_control;

/**
 * Parse one request line of @len octets (without its newline; a trailing
 * CR and blanks are ignored): a command word and a zone name, separated by
 * spaces or tabs, printable ASCII only. Returns 0, or -EINVAL with *@why
 * set to a static message.
 */
int ls_control_parse(const char *line, size_t len, struct ls_control_request *req,
		     const char **why);

/**
 * Parse and run one request line through @ops, and append the JSON reply
 * (with its newline) to @reply. Returns 0 when the command ran and
 * succeeded, or a negative errno (the reply says why).
 */
int ls_control_execute(const struct ls_control_ops *ops, const char *line, size_t len,
		       struct ls_buf *reply);

/**
 * Listen on the Unix socket @path in @loop. A stale socket file (nobody
 * answers on it) is replaced; one a running agent answers on is not
 * (-EADDRINUSE). The directory is created (0750) if missing. @ops and
 * @opts are copied. Returns 0 or a negative errno.
 */
int ls_control_new(struct ev_loop *loop, const char *path, const struct ls_control_ops *ops,
		   const struct ls_control_opts *opts, struct ls_control **out);

/** Close the socket and every connection, remove the socket file, free. NULL is fine. */
void ls_control_free(struct ls_control *c);

const struct ls_control_stats *ls_control_stats(const struct ls_control *c);

#endif
