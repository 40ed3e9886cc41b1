/* SPDX-License-Identifier: MIT */
/*
 * test_control.c — the local control socket (agent/control.h): the request
 * parser on good and hostile lines, the JSON replies, and the socket itself
 * in a real loop: a request answered, a caller of another uid refused, an
 * over-long request, a silent client timed out, a stale socket file
 * replaced and a live one left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control.h"
#include "common/log.h"

static const uint8_t *wire(const char *name)
{
	static uint8_t buf[LS_DNAME_MAXLEN];

	assert_true(ls_dname_from_str(buf, name, NULL) > 0);
	return buf;
}

static int parse(const char *line, struct ls_control_request *req, const char **why)
{
	*why = NULL;
	return ls_control_parse(line, strlen(line), req, why);
}

static void test_parse_good(void **state)
{
	static const struct {
		const char *line;
		enum ls_control_cmd cmd;
		const char *zone;
	} good[] = {
		{ "retransfer example.com.", LS_CONTROL_RETRANSFER, "example.com." },
		{ "retransfer example.com", LS_CONTROL_RETRANSFER, "example.com." },
		{ "withdraw Example.COM.", LS_CONTROL_WITHDRAW, "example.com." },
		{ "  \tretransfer \t example.org.\t \r", LS_CONTROL_RETRANSFER, "example.org." },
		{ "retransfer .", LS_CONTROL_RETRANSFER, "." },
		{ "retransfer a\\046b.test.", LS_CONTROL_RETRANSFER, "a\\.b.test." },
	};
	struct ls_control_request req;
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(parse(good[i].line, &req, &why), 0);
		assert_int_equal(req.cmd, good[i].cmd);
		assert_true(ls_dname_equal(req.zone, wire(good[i].zone)));
	}
}

static void test_parse_hostile(void **state)
{
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
		{ "", "empty request" },
		{ " \t \r", "empty request" },
		{ "retransfer", "missing zone name" },
		{ "retransfer   ", "missing zone name" },
		{ "RETRANSFER example.com.", "unknown command" },
		{ "flush example.com.", "unknown command" },
		{ "retransferretransferretransfer example.", "unknown command" },
		{ "retransfer example.com. now", "trailing words after the zone name" },
		{ "retransfer a..b.", "bad zone name" },
		{ "retransfer a\\", "bad zone name" },
		{ "retransfer a\\999.", "bad zone name" },
		{ "retransfer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
		  "bad zone name" },
		{ "retransfer ex\x01mple.", "control character in the request" },
		{ "retransfer ex\nample.", "control character in the request" },
		{ "retransfer ex\x7fmple.", "non-ASCII octet in the request" },
		{ "retransfer \xc3\xa9.", "non-ASCII octet in the request" },
	};
	struct ls_control_request req;
	char longname[LS_DNAME_STRLEN + 64];
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].line, &req, &why), -EINVAL);
		assert_non_null(why);
		assert_string_equal(why, bad[i].why);
	}
	/* a NUL inside the line is not the end of it */
	assert_int_equal(ls_control_parse("retransfer a\0b.", 15, &req, &why), -EINVAL);
	assert_string_equal(why, "control character in the request");
	/* longer than any name's presentation form */
	memcpy(longname, "retransfer ", 11);
	memset(longname + 11, 'a', sizeof(longname) - 12);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(parse(longname, &req, &why), -EINVAL);
	assert_string_equal(why, "zone name too long");
	/* 300 octets in labels of 60: a name over 255 octets */
	{
		char n[11 + 5 * 61 + 1] = "retransfer ";

		for (int k = 0; k < 5; k++) {
			memset(n + 11 + k * 61, 'b', 60);
			n[11 + k * 61 + 60] = '.';
		}
		n[sizeof(n) - 1] = '\0';
		assert_int_equal(parse(n, &req, &why), -EINVAL);
		assert_string_equal(why, "bad zone name");
	}
}

struct calls {
	int retransfer, withdraw;
	uint8_t last[LS_DNAME_MAXLEN];
	int result;
};

static int op_retransfer(void *ctx, const uint8_t *origin)
{
	struct calls *c = ctx;

	c->retransfer++;
	memcpy(c->last, origin, ls_dname_len(origin));
	return c->result;
}

static int op_withdraw(void *ctx, const uint8_t *origin)
{
	struct calls *c = ctx;

	c->withdraw++;
	memcpy(c->last, origin, ls_dname_len(origin));
	return c->result;
}

/* The reply must be one line of JSON; returns it parsed. */
static struct json_object *reply_json(const struct ls_buf *b)
{
	struct json_object *o;

	assert_true(b->len > 1);
	assert_int_equal(b->data[b->len - 1], '\n');
	assert_ptr_equal(memchr(b->data, '\n', b->len), b->data + b->len - 1);
	o = json_tokener_parse(b->data);
	assert_non_null(o);
	return o;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static bool jok(struct json_object *o)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, "ok", &v));
	return json_object_get_boolean(v);
}

static void test_execute(void **state)
{
	struct calls c = { 0 };
	const struct ls_control_ops ops = { .retransfer = op_retransfer,
					    .withdraw = op_withdraw,
					    .ctx = &c };
	struct ls_buf b = { 0 };
	struct json_object *o;
	const char *line;

	line = "retransfer example.com.";
	assert_int_equal(ls_control_execute(&ops, line, strlen(line), &b), 0);
	o = reply_json(&b);
	assert_true(jok(o));
	assert_string_equal(jstr(o, "command"), "retransfer");
	assert_string_equal(jstr(o, "zone"), "example.com.");
	assert_int_equal(c.retransfer, 1);
	assert_true(ls_dname_equal(c.last, wire("example.com.")));
	json_object_put(o);

	/* a name with a quote and a backslash stays valid JSON */
	ls_buf_reset(&b);
	c.result = -ENOENT;
	line = "withdraw a\\\"b.test.";
	assert_int_equal(ls_control_execute(&ops, line, strlen(line), &b), -ENOENT);
	o = reply_json(&b);
	assert_false(jok(o));
	assert_string_equal(jstr(o, "command"), "withdraw");
	assert_string_equal(jstr(o, "zone"), "a\\\"b.test.");
	assert_non_null(strstr(jstr(o, "error"), "no such zone"));
	assert_int_equal(c.withdraw, 1);
	json_object_put(o);

	/* a bad line calls nothing */
	ls_buf_reset(&b);
	line = "retransfer";
	assert_int_equal(ls_control_execute(&ops, line, strlen(line), &b), -EINVAL);
	o = reply_json(&b);
	assert_false(jok(o));
	assert_string_equal(jstr(o, "error"), "missing zone name");
	assert_null(jstr(o, "zone"));
	assert_int_equal(c.retransfer + c.withdraw, 2);
	json_object_put(o);

	/* an op the daemon did not provide */
	ls_buf_reset(&b);
	{
		const struct ls_control_ops none = { .ctx = &c };

		line = "retransfer example.com.";
		assert_int_equal(ls_control_execute(&none, line, strlen(line), &b), -EOPNOTSUPP);
	}
	ls_buf_free(&b);
}

/* ---- the socket ------------------------------------------------------------------ */

struct sock_env {
	char dir[64];
	char path[128];
	struct ev_loop *loop;
	struct calls calls;
	struct ls_control_ops ops;
};

static int setup(void **state)
{
	struct sock_env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/ls-control-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	/* a directory the module creates itself */
	snprintf(e->path, sizeof(e->path), "%s/run/control.sock", e->dir);
	e->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(e->loop);
	e->ops = (struct ls_control_ops){ .retransfer = op_retransfer,
					  .withdraw = op_withdraw,
					  .ctx = &e->calls };
	ls_log_set_level(LS_LOG_ERR);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct sock_env *e = *state;
	char run[96];

	unlink(e->path);
	snprintf(run, sizeof(run), "%s/run", e->dir);
	rmdir(run);
	rmdir(e->dir);
	ev_loop_destroy(e->loop);
	free(e);
	return 0;
}

static int client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/*
 * Turn the loop until the server closed @fd's connection (bounded), and
 * return what it sent.
 */
static size_t exchange(struct ev_loop *loop, int fd, char *buf, size_t cap)
{
	size_t len = 0;

	for (int i = 0; i < 2000; i++) {
		ssize_t r;

		ev_run(loop, EVRUN_NOWAIT);
		r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r == 0)
			break;
		if (r > 0)
			len += (size_t)r;
		else
			usleep(1000);
	}
	buf[len] = '\0';
	return len;
}

static void test_socket(void **state)
{
	struct sock_env *e = *state;
	const struct ls_control_opts opts = { .uid = getuid() };
	struct ls_control *ctl, *other;
	char buf[1024], big[LS_CONTROL_MAX_LINE + 10];
	int fd;

	assert_int_equal(ls_control_new(e->loop, e->path, &e->ops, &opts, &ctl), 0);
	/* a second agent on the same socket is refused; the first keeps it */
	assert_int_equal(ls_control_new(e->loop, e->path, &e->ops, &opts, &other), -EADDRINUSE);
	assert_null(other);

	fd = client(e->path);
	assert_int_equal(send(fd, "retransfer example.com.\n", 24, 0), 24);
	exchange(e->loop, fd, buf, sizeof(buf));
	close(fd);
	assert_non_null(strstr(buf, "\"ok\":true"));
	assert_int_equal(e->calls.retransfer, 1);

	/* the request may come in pieces, and end with the client's EOF */
	fd = client(e->path);
	assert_int_equal(send(fd, "withdraw ", 9, 0), 9);
	ev_run(e->loop, EVRUN_NOWAIT);
	assert_int_equal(send(fd, "example.org.", 12, 0), 12);
	shutdown(fd, SHUT_WR);
	exchange(e->loop, fd, buf, sizeof(buf));
	close(fd);
	assert_non_null(strstr(buf, "\"ok\":true"));
	assert_int_equal(e->calls.withdraw, 1);
	assert_true(ls_dname_equal(e->calls.last, wire("example.org.")));

	/* longer than a request may be: refused, nothing called */
	memset(big, 'a', sizeof(big));
	memcpy(big, "retransfer ", 11);
	fd = client(e->path);
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	exchange(e->loop, fd, buf, sizeof(buf));
	close(fd);
	assert_non_null(strstr(buf, "request too long"));
	assert_int_equal(e->calls.retransfer + e->calls.withdraw, 2);
	assert_int_equal(ls_control_stats(ctl)->bad_requests, 1);

	ls_control_free(ctl);
	/* the socket file goes with it */
	assert_int_equal(access(e->path, F_OK), -1);
}

static void test_socket_refused_uid(void **state)
{
	struct sock_env *e = *state;
	const struct ls_control_opts opts = { .uid = getuid() + 1 };
	struct ls_control *ctl;
	char buf[256];
	int fd;

	assert_int_equal(ls_control_new(e->loop, e->path, &e->ops, &opts, &ctl), 0);
	fd = client(e->path);
	/* the send may fail once the server closed; the reply is what counts */
	(void)!send(fd, "retransfer example.com.\n", 24, MSG_NOSIGNAL);
	exchange(e->loop, fd, buf, sizeof(buf));
	close(fd);
	assert_non_null(strstr(buf, "permission denied"));
	assert_int_equal(e->calls.retransfer, 0);
	assert_int_equal(ls_control_stats(ctl)->refused_uid, 1);
	ls_control_free(ctl);
}

static void test_socket_timeout_and_stale(void **state)
{
	struct sock_env *e = *state;
	const struct ls_control_opts opts = { .uid = getuid(), .timeout = 0.02 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ls_control *ctl;
	char buf[256], run[96];
	int fd;

	/* a stale socket file: bound once, nobody listening */
	snprintf(run, sizeof(run), "%s/run", e->dir);
	assert_int_equal(mkdir(run, 0700), 0);
	assert_true(strlen(e->path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, e->path, strlen(e->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(access(e->path, F_OK), 0);
	assert_int_equal(ls_control_new(e->loop, e->path, &e->ops, &opts, &ctl), 0);

	/* a client that says nothing is closed at the deadline */
	fd = client(e->path);
	assert_int_equal(exchange(e->loop, fd, buf, sizeof(buf)), 0);
	close(fd);
	assert_int_equal(ls_control_stats(ctl)->timeouts, 1);
	assert_int_equal(e->calls.retransfer + e->calls.withdraw, 0);
	ls_control_free(ctl);
	ls_control_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_execute),
		cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_refused_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_timeout_and_stale, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
