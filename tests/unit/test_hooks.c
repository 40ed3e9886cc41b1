/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/hooks: real executables (shell scripts written into
 * a temporary directory) run on a real libev loop. They record their
 * arguments and environment; one hangs and must be killed at the timeout
 * with its child; one fails; events of one zone must run one at a time and
 * in order; output must reach the log one line per line.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/hooks.h"
#include "common/dname.h"

struct tmp {
	char dir[64];
	char path[256];
};

static const char *script(struct tmp *t, const char *name, const char *body)
{
	FILE *f;

	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(t->path, 0755), 0);
	return t->path;
}

static char *slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

struct waiter {
	struct ls_hooks *h;
	uint64_t want_done; /* succeeded + failed */
	double start;
	bool timed_out;
};

static void check_done(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct waiter *wt = w->data;
	struct ls_hooks_stats st;

	ls_hooks_stats(wt->h, &st);
	if (st.running == 0 && st.succeeded + st.failed >= wt->want_done)
		ev_break(loop, EVBREAK_ALL);
	/* a bound on the test, not an assertion on speed */
	if (ev_now(loop) - wt->start > 30.0) {
		wt->timed_out = true;
		ev_break(loop, EVBREAK_ALL);
	}
}

static void run_until(struct ev_loop *loop, struct ls_hooks *h, uint64_t done)
{
	struct waiter wt = { .h = h, .want_done = done, .start = ev_now(loop) };
	ev_timer t;

	ev_timer_init(&t, check_done, 0.02, 0.02);
	t.data = &wt;
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
	assert_false(wt.timed_out);
}

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/ls-test-hooks.XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void test_arguments_and_environment(void **state)
{
	struct tmp *t = *state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char rec[128], serve[256], withdraw[256], body[512], *out;
	struct ls_hooks_opts o = { .timeout_ns = 10000000000ull };
	struct ls_hooks *h;
	struct ls_hooks_stats st;
	uint8_t origin[LS_DNAME_MAXLEN];

	snprintf(rec, sizeof(rec), "%s/record", t->dir);
	snprintf(body, sizeof(body),
		 "echo \"$# [$1] [$2] ev=$LOCKSTEP_EVENT zone=$LOCKSTEP_ZONE "
		 "serial=${LOCKSTEP_SERIAL-unset} reason=$LOCKSTEP_REASON "
		 "detail=$LOCKSTEP_DETAIL home=${HOME-unset}\" >> %s",
		 rec);
	snprintf(serve, sizeof(serve), "%s", script(t, "serve.sh", body));
	snprintf(withdraw, sizeof(withdraw), "%s", script(t, "withdraw.sh", body));
	o.on_serve = serve;
	o.on_withdraw = withdraw;
	assert_int_equal(ls_hooks_new(loop, &o, &h), 0);
	assert_true(ls_dname_from_str(origin, "Example.COM.", NULL) > 0);

	assert_int_equal(ls_hooks_serve(h, origin, 2026112202u, "plan", NULL), 0);
	assert_int_equal(ls_hooks_withdraw(h, origin, "missed-plan", "T passed without S"), 0);
	assert_int_equal(ls_hooks_withdraw(h, NULL, "clock", NULL), 0);
	run_until(loop, h, 3);
	ls_hooks_stats(h, &st);
	assert_int_equal(st.started, 3);
	assert_int_equal(st.succeeded, 3);
	assert_int_equal(st.failed, 0);

	out = slurp(rec);
	assert_non_null(out);
	/* one zone's events in order; the "*" lane may run beside them */
	assert_non_null(strstr(out, "2 [Example.COM.] [plan] ev=serve zone=Example.COM. "
				    "serial=2026112202 reason=plan detail= home=unset\n"));
	assert_non_null(strstr(out, "2 [Example.COM.] [missed-plan] ev=withdraw "
				    "zone=Example.COM. serial=unset reason=missed-plan "
				    "detail=T passed without S home=unset\n"));
	assert_true(strstr(out, "ev=serve zone=Example.COM.") <
		    strstr(out, "ev=withdraw zone=Example.COM."));
	assert_non_null(strstr(out, "2 [*] [clock] ev=withdraw zone=* serial=unset "
				    "reason=clock detail= home=unset\n"));
	ls_hooks_free(h);
	ev_loop_destroy(loop);
}

static void test_serialised_per_zone(void **state)
{
	struct tmp *t = *state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char rec[128], body[512], *out;
	struct ls_hooks_opts o = { .timeout_ns = 10000000000ull };
	struct ls_hooks *h;
	uint8_t origin[LS_DNAME_MAXLEN];

	snprintf(rec, sizeof(rec), "%s/order", t->dir);
	/* a slow hook: if two ran at once their lines would interleave */
	snprintf(body, sizeof(body),
		 "echo \"start $LOCKSTEP_EVENT $LOCKSTEP_SERIAL\" >> %s; sleep 0.1; "
		 "echo \"end $LOCKSTEP_EVENT $LOCKSTEP_SERIAL\" >> %s",
		 rec, rec);
	o.on_serve = script(t, "slow.sh", body);
	o.on_withdraw = o.on_serve;
	assert_int_equal(ls_hooks_new(loop, &o, &h), 0);
	assert_true(ls_dname_from_str(origin, "example.net.", NULL) > 0);
	assert_int_equal(ls_hooks_serve(h, origin, 1, "verified", NULL), 0);
	assert_int_equal(ls_hooks_withdraw(h, origin, "clock", NULL), 0);
	assert_int_equal(ls_hooks_serve(h, origin, 2, "plan", NULL), 0);
	run_until(loop, h, 3);
	out = slurp(rec);
	assert_non_null(out);
	assert_string_equal(out, "start serve 1\nend serve 1\nstart withdraw \nend withdraw \n"
				 "start serve 2\nend serve 2\n");
	ls_hooks_free(h);
	ev_loop_destroy(loop);
}

static void test_timeout_kills_group(void **state)
{
	struct tmp *t = *state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char pidfile[128], body[512], *out;
	struct ls_hooks_opts o = { .timeout_ns = 300000000ull }; /* 300 ms */
	struct ls_hooks *h;
	struct ls_hooks_stats st;
	int child;

	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", t->dir);
	/* it starts a child of its own, then hangs; both must die */
	snprintf(body, sizeof(body), "sleep 100 & echo $! > %s; wait", pidfile);
	o.on_withdraw = script(t, "hang.sh", body);
	assert_int_equal(ls_hooks_new(loop, &o, &h), 0);
	assert_int_equal(ls_hooks_withdraw(h, NULL, "operator", NULL), 0);
	run_until(loop, h, 1);
	ls_hooks_stats(h, &st);
	assert_int_equal(st.timed_out, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.succeeded, 0);
	out = slurp(pidfile);
	assert_non_null(out);
	child = atoi(out);
	assert_true(child > 0);
	/* the grandchild was in the hook's process group: gone (or a zombie of init) */
	for (int i = 0; i < 100 && kill(child, 0) == 0; i++)
		usleep(10000);
	{
		char stat_path[64], *s;

		snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", child);
		s = slurp(stat_path);
		/* either gone, or a zombie waiting for its reaper */
		assert_true(s == NULL || strstr(s, ") Z ") != NULL);
	}
	ls_hooks_free(h);
	ev_loop_destroy(loop);
}

static void test_failures(void **state)
{
	struct tmp *t = *state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char missing[128];
	struct ls_hooks_opts o = { .timeout_ns = 10000000000ull };
	struct ls_hooks *h;
	struct ls_hooks_stats st;

	o.on_serve = script(t, "fail.sh", "echo failing >&2; exit 3");
	snprintf(missing, sizeof(missing), "%s/does-not-exist", t->dir);
	o.on_withdraw = missing;
	assert_int_equal(ls_hooks_new(loop, &o, &h), 0);
	assert_int_equal(ls_hooks_serve(h, NULL, 5, "clock", NULL), 0);
	/* cannot start: counted as failed at once, nothing left running */
	assert_int_equal(ls_hooks_withdraw(h, NULL, "clock", NULL), 0);
	run_until(loop, h, 2);
	ls_hooks_stats(h, &st);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.succeeded, 0);
	assert_int_equal(st.running, 0);
	ls_hooks_free(h);
	ev_loop_destroy(loop);
}

static void test_output_logged(void **state)
{
	struct tmp *t = *state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char logpath[128], *log;
	struct ls_hooks_opts o = { .timeout_ns = 10000000000ull };
	struct ls_hooks *h;
	uint8_t origin[LS_DNAME_MAXLEN];
	int saved, fd;

	snprintf(logpath, sizeof(logpath), "%s/log", t->dir);
	o.on_serve = script(t, "talk.sh",
			    "echo 'first line'; printf 'second\\033 line\\nno newline'; exit 1");
	assert_int_equal(ls_hooks_new(loop, &o, &h), 0);
	assert_true(ls_dname_from_str(origin, "example.org.", NULL) > 0);
	/* the log goes to stderr: catch it in a file for the length of the test */
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(2);
	dup2(fd, 2);
	assert_int_equal(ls_hooks_serve(h, origin, 7, "verified", NULL), 0);
	run_until(loop, h, 1);
	dup2(saved, 2);
	close(saved);
	close(fd);
	log = slurp(logpath);
	assert_non_null(log);
	assert_non_null(strstr(log, "hook on-serve example.org.: first line\n"));
	/* a control character is not passed into the log */
	assert_non_null(strstr(log, "hook on-serve example.org.: second? line\n"));
	assert_non_null(strstr(log, "hook on-serve example.org.: no newline\n"));
	assert_non_null(strstr(log, "hook on-serve example.org. (verified): exit 1\n"));
	/* the output comes before the exit status */
	assert_true(strstr(log, "no newline") < strstr(log, "exit 1"));
	ls_hooks_free(h);
	ev_loop_destroy(loop);
}

static void test_no_hooks_and_tokens(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ls_hooks_opts o = { 0 };
	struct ls_hooks *h;
	struct ls_hooks_stats st;
	struct ls_zonemgr_events ev;

	assert_int_equal(ls_hooks_new(loop, &o, &h), 0);
	assert_int_equal(ls_hooks_serve(h, NULL, 1, "plan", NULL), 0);
	ls_hooks_zonemgr_events(h, &ev);
	assert_ptr_equal(ev.ctx, h);
	ev.on_withdraw(ev.ctx, NULL, LS_ZREASON_CLOCK, "clock distrusted");
	ev.on_serve(ev.ctx, NULL, 3, "a sentence, not a token");
	ls_hooks_stats(h, &st);
	assert_int_equal(st.started, 0);
	assert_string_equal(ls_zreason_name(LS_ZREASON_MISSED_PLAN), "missed-plan");
	assert_string_equal(ls_zreason_name(LS_ZREASON_CLOCK), "clock");
	assert_string_equal(ls_zreason_name(LS_ZREASON_LEASE), "lease");
	ls_hooks_free(h);
	ls_hooks_free(NULL);
	ev_loop_destroy(loop);
}

/* The node-wide "*" events follow the first zone served and the last withdrawn. */
static void test_all_zones_events(void **state)
{
	struct tmp *t = *state;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char rec[128], body[256], *out;
	struct ls_hooks_opts o = { .timeout_ns = 10000000000ull };
	struct ls_zonemgr_events ev;
	struct ls_hooks *h;
	uint8_t a[LS_DNAME_MAXLEN], b[LS_DNAME_MAXLEN];

	snprintf(rec, sizeof(rec), "%s/star", t->dir);
	snprintf(body, sizeof(body),
		 "[ \"$1\" = '*' ] && echo \"$LOCKSTEP_EVENT $2 ${LOCKSTEP_SERIAL-none}\" >> %s",
		 rec);
	o.on_serve = script(t, "star.sh", body);
	o.on_withdraw = o.on_serve;
	assert_int_equal(ls_hooks_new(loop, &o, &h), 0);
	ls_hooks_zonemgr_events(h, &ev);
	assert_true(ls_dname_from_str(a, "a.example.", NULL) > 0);
	assert_true(ls_dname_from_str(b, "b.example.", NULL) > 0);
	ev.on_serve(ev.ctx, a, 1, "verified"); /* first zone: serve "*" */
	ev.on_serve(ev.ctx, b, 1, "verified");
	ev.on_serve(ev.ctx, a, 2, "plan"); /* a newer serial: no "*" event */
	ev.on_withdraw(ev.ctx, a, LS_ZREASON_MISSED_PLAN, "T passed");
	ev.on_withdraw(ev.ctx, b, LS_ZREASON_CLOCK, "clock"); /* last zone: withdraw "*" */
	run_until(loop, h, 7);
	out = slurp(rec);
	assert_non_null(out);
	assert_string_equal(out, "serve verified none\nwithdraw clock none\n");
	ls_hooks_free(h);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arguments_and_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serialised_per_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_hooks_and_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_zones_events, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
