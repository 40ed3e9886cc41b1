/* SPDX-License-Identifier: MIT */
/*
 * ctl_retransfer.c — lockstepctl retransfer ZONE / withdraw ZONE: one
 * request on the local agent's control socket (agent/control.h).
 *
 * Owns: finding the socket (--socket, else node.control-socket of --config,
 * else the default), sending one request line, waiting a bounded time for
 * the one JSON reply line, printing it, and the exit code from its "ok".
 * Must not: act on zones itself, or guess: a reply that is not the
 * agent's JSON is an error.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/control.h"
#include "agent/ctl.h"
#include "common/config.h"

#define DEFAULT_SOCKET "/run/lockstep/control.sock"

static void usage(FILE *out, const char *cmd)
{
	fprintf(out,
		"usage: lockstepctl %s ZONE [--socket PATH | --config FILE] [--timeout S]\n"
		"  %s\n"
		"  --socket PATH   the agent's control socket (default " DEFAULT_SOCKET ")\n"
		"  --config FILE   take node.control-socket from this configuration\n"
		"  --timeout S     seconds to wait for the reply (default 10)\n"
		"Needs root (the agent checks the caller's uid). Prints the agent's JSON\n"
		"reply; exit 0 when it says ok.\n",
		cmd,
		strcmp(cmd, "retransfer") == 0 ?
			"ask the zone's primaries for it now (SOA, then a transfer if newer)" :
			"silence the zone on this node until a newer verified version");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send @req, read one reply line into @buf within @timeout_ms. */
static int ask(const char *path, const char *req, char *buf, size_t cap, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t end = now_ms() + timeout_ms;
	size_t len = 0, rlen = strlen(req);
	int fd, err = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto close_fd;
	}
	/*
	 * A local stream socket takes a line this short at once. If it fails,
	 * the agent already answered and closed (a refused uid): its reply is
	 * still there to read, so read it before reporting the send.
	 */
	if (send(fd, req, rlen, MSG_NOSIGNAL) != (ssize_t)rlen)
		err = -EIO;
	while (len + 1 < cap && !memchr(buf, '\n', len)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			err = -ETIMEDOUT;
			goto close_fd;
		}
		r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (len)
		err = 0;
	else if (!err)
		err = -ECONNRESET;
close_fd:
	close(fd);
	return err;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cmd = argv[0], *sock = NULL, *config = NULL;
	struct ls_config *cfg = NULL;
	struct json_object *doc = NULL, *ok;
	char req[LS_DNAME_STRLEN + 16], reply[4096], *path = NULL;
	double timeout = 10;
	int c, err, rc = CTL_EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:c:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			if (!(timeout > 0 && timeout <= 3600)) {
				fprintf(stderr, "lockstepctl %s: bad --timeout '%s'\n", cmd,
					optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout, cmd);
			return CTL_EXIT_OK;
		default:
			usage(stderr, cmd);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr, cmd);
		return CTL_EXIT_USAGE;
	}
	/* the agent takes LS_CONTROL_MAX_LINE octets with the command and newline */
	if (strlen(argv[optind]) > LS_CONTROL_MAX_LINE - 16 || strpbrk(argv[optind], "\r\n")) {
		fprintf(stderr, "lockstepctl %s: bad zone name\n", cmd);
		return CTL_EXIT_USAGE;
	}
	if (!sock && config) {
		err = ls_config_load(config, &cfg, NULL);
		if (err) {
			fprintf(stderr,
				"lockstepctl %s: cannot use %s: %s (lockstepd --check-config "
				"says why)\n",
				cmd, config, strerror(-err));
			return CTL_EXIT_USAGE;
		}
		path = strdup(cfg->node.control_socket);
		ls_config_free(cfg);
		if (!path)
			return CTL_EXIT_USAGE;
		sock = path;
	}
	if (!sock)
		sock = DEFAULT_SOCKET;
	snprintf(req, sizeof(req), "%s %s\n", cmd, argv[optind]);
	err = ask(sock, req, reply, sizeof(reply), (int)(timeout * 1000));
	if (err) {
		fprintf(stderr, "lockstepctl %s: %s: %s\n", cmd, sock, strerror(-err));
		goto free_path;
	}
	reply[strcspn(reply, "\n")] = '\0';
	doc = json_tokener_parse(reply);
	if (!doc || !json_object_object_get_ex(doc, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		fprintf(stderr, "lockstepctl %s: not an agent's reply: %s\n", cmd, reply);
		goto put_doc;
	}
	printf("%s\n", reply);
	rc = json_object_get_boolean(ok) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
put_doc:
	json_object_put(doc);
free_path:
	free(path);
	return rc;
}

int ctl_retransfer(int argc, char **argv)
{
	return run(argc, argv);
}

int ctl_withdraw(int argc, char **argv)
{
	return run(argc, argv);
}
