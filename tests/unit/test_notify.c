/* SPDX-License-Identifier: MIT */
/*
 * test_notify.c — which remotes NOTIFY out (agent/notify.h) goes to: a
 * configured zone's own `notify:` list, a catalog's list for the catalog and
 * for each of its members (ls_notify_member), nothing for a zone without a
 * list. The "peers" are UDP sockets on 127.0.0.1 in the test process; each
 * NOTIFY is sent once at start, so the test reads it without running the
 * loop (the poll bound is a guard against a hang, not a timing assertion).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ev.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/notify.h"
#include "common/config.h"
#include "common/dname.h"

struct fixture {
	int peer, other; /* the catalog's notify target, the configured zone's */
	struct ls_config *cfg;
	struct ev_loop *loop;
	struct ls_notify *n;
};

static int udp_socket(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint16_t pport, oport;
	char text[1024];
	int len;

	assert_non_null(f);
	f->peer = udp_socket(&pport);
	f->other = udp_socket(&oport);
	len = snprintf(text, sizeof(text),
		       "node:\n  id: t\nadmin:\n  listen: [127.0.0.1]\n  http: off\n"
		       "remote:\n  - id: up\n    address: 192.0.2.1\n"
		       "  - id: peer\n    address: 127.0.0.1@%u\n"
		       "  - id: other\n    address: 127.0.0.1@%u\n"
		       "catalog:\n  - zone: cat.example.\n    primaries: [up]\n"
		       "    notify: [peer]\n"
		       "zone:\n  - domain: conf.example.\n    primaries: [up]\n"
		       "    notify: [other]\n"
		       "  - domain: quiet.example.\n    primaries: [up]\n",
		       pport, oport);
	assert_true(len > 0 && (size_t)len < sizeof(text));
	assert_int_equal(ls_config_parse_string(text, (size_t)len, NULL, &f->cfg, NULL), 0);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->loop);
	assert_int_equal(ls_notify_new(f->loop, f->cfg, NULL, &f->n), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ls_notify_free(f->n);
	ev_loop_destroy(f->loop);
	ls_config_free(f->cfg);
	close(f->peer);
	close(f->other);
	free(f);
	return 0;
}

static void wire(const char *name, uint8_t *out)
{
	assert_true(ls_dname_from_str(out, name, NULL) > 0);
}

/* The next datagram on @fd must be a NOTIFY (opcode 4) for @zone. */
static void expect_notify(int fd, const char *zone)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t buf[1024], name[LS_DNAME_MAXLEN];
	ssize_t n;
	size_t nlen;

	wire(zone, name);
	nlen = ls_dname_len(name);
	assert_int_equal(poll(&p, 1, 5000), 1);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n >= (ssize_t)(12 + nlen + 4));
	assert_int_equal((buf[2] >> 3) & 0xf, 4); /* opcode NOTIFY */
	assert_int_equal(buf[2] & 0x80, 0); /* a query, not a response */
	assert_int_equal(buf[4] << 8 | buf[5], 1); /* one question */
	assert_memory_equal(buf + 12, name, nlen);
	assert_int_equal(buf[12 + nlen] << 8 | buf[12 + nlen + 1], 6); /* SOA */
}

static void expect_nothing(int fd)
{
	uint8_t buf[1024];

	assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
}

/* A member has no list of its own: its catalog's list is used. */
static void test_member_uses_catalog_list(void **state)
{
	struct fixture *f = *state;
	uint8_t zone[LS_DNAME_MAXLEN], cat[LS_DNAME_MAXLEN];

	wire("m1.example.", zone);
	wire("cat.example.", cat);
	assert_int_equal(ls_notify_member(f->n, zone, 7, cat), 1);
	expect_notify(f->peer, "m1.example.");
	expect_nothing(f->other);
	/* what the daemon did before: the member has no list, nobody hears */
	assert_int_equal(ls_notify_zone(f->n, zone, 8), 0);
}

/* The catalog itself is notified through its own list. */
static void test_catalog_itself(void **state)
{
	struct fixture *f = *state;
	uint8_t cat[LS_DNAME_MAXLEN];

	wire("cat.example.", cat);
	assert_int_equal(ls_notify_member(f->n, cat, 3, NULL), 1);
	expect_notify(f->peer, "cat.example.");
	expect_nothing(f->other);
}

/* A zone configured by name keeps its own list, even named as a member. */
static void test_configured_zone_wins(void **state)
{
	struct fixture *f = *state;
	uint8_t zone[LS_DNAME_MAXLEN], cat[LS_DNAME_MAXLEN];

	wire("conf.example.", zone);
	wire("cat.example.", cat);
	assert_int_equal(ls_notify_member(f->n, zone, 5, cat), 1);
	expect_notify(f->other, "conf.example.");
	expect_nothing(f->peer);
	assert_int_equal(ls_notify_member(f->n, zone, 6, NULL), 1);
	expect_notify(f->other, "conf.example.");
}

/* No list, an unknown catalog, an unknown zone: nothing is sent. */
static void test_nobody_to_notify(void **state)
{
	struct fixture *f = *state;
	uint8_t quiet[LS_DNAME_MAXLEN], zone[LS_DNAME_MAXLEN], nocat[LS_DNAME_MAXLEN];

	wire("quiet.example.", quiet);
	wire("m2.example.", zone);
	wire("nocat.example.", nocat);
	assert_int_equal(ls_notify_member(f->n, quiet, 1, NULL), 0);
	assert_int_equal(ls_notify_member(f->n, zone, 1, nocat), 0);
	assert_int_equal(ls_notify_member(f->n, zone, 1, NULL), 0);
	assert_int_equal(ls_notify_pending(f->n), 0);
	expect_nothing(f->peer);
	expect_nothing(f->other);
}

static int udp_socket_at(const char *addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A XoT remote (tls: true, port 853 by default) in a notify list: NOTIFY is
 * plain DNS, so it goes to port 53 of the remote's address, not to its TLS
 * port. Needs port 53 on a loopback address (root); skipped otherwise.
 */
static void test_tls_remote_notified_on_53(void **state)
{
	static const char text[] = "node:\n  id: t\nadmin:\n  listen: [127.0.0.1]\n  http: off\n"
				   "remote:\n  - id: up\n    address: 192.0.2.1\n"
				   "  - id: xot\n    address: 127.0.9.53\n    tls: true\n"
				   "zone:\n  - domain: conf.example.\n    primaries: [up]\n"
				   "    notify: [xot]\n";
	struct ls_config *cfg = NULL;
	struct ev_loop *loop;
	struct ls_notify *n = NULL;
	uint8_t zone[LS_DNAME_MAXLEN];
	int dns = udp_socket_at("127.0.9.53", 53), tls = udp_socket_at("127.0.9.53", 853);

	(void)state;
	if (dns < 0 || tls < 0) {
		if (dns >= 0)
			close(dns);
		if (tls >= 0)
			close(tls);
		skip(); /* not root, or the ports are taken */
	}
	assert_int_equal(ls_config_parse_string(text, sizeof(text) - 1, NULL, &cfg, NULL), 0);
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(loop);
	assert_int_equal(ls_notify_new(loop, cfg, NULL, &n), 0);
	wire("conf.example.", zone);
	assert_int_equal(ls_notify_zone(n, zone, 9), 1);
	expect_notify(dns, "conf.example.");
	expect_nothing(tls);
	ls_notify_free(n);
	ev_loop_destroy(loop);
	ls_config_free(cfg);
	close(dns);
	close(tls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_member_uses_catalog_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configured_zone_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nobody_to_notify, setup, teardown),
		cmocka_unit_test(test_tls_remote_notified_on_53),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
