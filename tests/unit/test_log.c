/* SPDX-License-Identifier: MIT */
/* Unit tests for common/log: level filter, journal prefixes, one line per
 * call, truncation of over-long lines. stderr is redirected into a pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static int saved_stderr = -1;
static int pipefd[2];

static int capture_start(void **state)
{
	if (pipe2(pipefd, O_NONBLOCK) != 0)
		return -1;
	fcntl(pipefd[0], F_SETPIPE_SZ, 1 << 16);
	saved_stderr = dup(STDERR_FILENO);
	dup2(pipefd[1], STDERR_FILENO);
	return 0;
}

static int capture_stop(void **state)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(pipefd[0]);
	close(pipefd[1]);
	ls_log_set_level(LS_LOG_INFO);
	ls_log_set_journal(false);
	return 0;
}

static size_t drain(char *buf, size_t cap)
{
	ssize_t n = read(pipefd[0], buf, cap - 1);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return (size_t)n;
}

static void test_levels(void **state)
{
	char buf[4096];

	ls_log_set_journal(true);
	ls_log_set_level(LS_LOG_NOTICE);
	pr_info("hidden %d", 1);
	pr_debug("hidden too");
	assert_int_equal(drain(buf, sizeof(buf)), 0);
	pr_warn("zone %s serial %u rejected", "example.", 7u);
	drain(buf, sizeof(buf));
	assert_string_equal(buf, "<4>zone example. serial 7 rejected\n");
	pr_err("x\n");
	drain(buf, sizeof(buf));
	assert_string_equal(buf, "<3>x\n"); /* no doubled newline */
}

static void test_human_format(void **state)
{
	char buf[4096];

	ls_log_set_journal(false);
	ls_log_set_level(LS_LOG_DEBUG);
	pr_debug("hello");
	drain(buf, sizeof(buf));
	/* 2026-11-23T00:00:00.000Z debug: hello */
	assert_int_equal(buf[4], '-');
	assert_int_equal(buf[10], 'T');
	assert_non_null(strstr(buf, "Z debug: hello\n"));
}

static void test_truncation(void **state)
{
	char buf[8192];
	char *big = malloc(5000);

	assert_non_null(big);
	memset(big, 'q', 4999);
	big[4999] = '\0';
	ls_log_set_journal(true);
	pr_err("%s", big);
	size_t n = drain(buf, sizeof(buf));
	assert_true(n < 2100);
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', n - 1)); /* still exactly one line */
	free(big);
}

/* ls_errf: formats into the caller's buffer, truncates, tolerates none. */
static void test_errf(void **state)
{
	char buf[8];

	(void)state;
	ls_errf(buf, sizeof(buf), "%s %d", "zone", 42);
	assert_string_equal(buf, "zone 42");
	ls_errf(buf, sizeof(buf), "serial %u too old", 2026112201u);
	assert_string_equal(buf, "serial ");
	memset(buf, 'x', sizeof(buf));
	ls_errf(buf, 0, "not written");
	assert_int_equal(buf[0], 'x');
	ls_errf(NULL, 16, "not written");
}

static void test_level_names(void **state)
{
	enum ls_log_level l;

	assert_int_equal(ls_log_level_from_str("debug", &l), 0);
	assert_int_equal(l, LS_LOG_DEBUG);
	assert_int_equal(ls_log_level_from_str("WARNING", &l), 0);
	assert_int_equal(l, LS_LOG_WARNING);
	assert_int_equal(ls_log_level_from_str("loud", &l), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_levels, capture_start, capture_stop),
		cmocka_unit_test_setup_teardown(test_human_format, capture_start, capture_stop),
		cmocka_unit_test_setup_teardown(test_truncation, capture_start, capture_stop),
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_errf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
