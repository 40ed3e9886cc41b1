/* SPDX-License-Identifier: MIT */
/* Unit tests for common/http: the request parser against well-formed and
 * hostile requests (oversize, missing CRLF, bad method and version, header
 * floods, NULs, pipelining), the response writer and parser, the buffer and
 * the JSON string writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"

static int parse(const char *s, struct ls_http_request *req)
{
	return ls_http_parse_request((const uint8_t *)s, strlen(s), req);
}

static void test_simple_get(void **state)
{
	const char *s = "GET /health?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n";
	struct ls_http_request r;

	assert_int_equal(parse(s, &r), (int)strlen(s));
	assert_int_equal(r.method, LS_HTTP_GET);
	assert_string_equal(r.path, "/health");
	assert_int_equal(r.minor, 1);
	assert_true(r.keep_alive);
	assert_false(r.has_body);
	assert_int_equal(r.header_count, 2);
}

static void test_head_and_other_methods(void **state)
{
	struct ls_http_request r;

	assert_true(parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
	assert_int_equal(r.method, LS_HTTP_HEAD);
	assert_true(parse("POST /health HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
	assert_int_equal(r.method, LS_HTTP_OTHER);
	assert_string_equal(r.method_str, "POST");
	/* methods are case-sensitive: "get" is another method */
	assert_true(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
	assert_int_equal(r.method, LS_HTTP_OTHER);
}

static void test_bad_method(void **state)
{
	struct ls_http_request r;

	assert_int_equal(parse("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("AVERYLONGMETHODNAMEXX / HTTP/1.1\r\nHost: a\r\n\r\n", &r),
			 -EBADMSG);
}

static void test_connection_semantics(void **state)
{
	struct ls_http_request r;

	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n",
			  &r) > 0);
	assert_false(r.keep_alive);
	assert_true(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0);
	assert_int_equal(r.minor, 0);
	assert_false(r.keep_alive);
	assert_true(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) > 0);
	assert_true(r.keep_alive);
}

static void test_versions(void **state)
{
	struct ls_http_request r;

	assert_int_equal(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n", &r), -EPROTONOSUPPORT);
	assert_int_equal(parse("GET / HTTP/0.9\r\n\r\n", &r), -EPROTONOSUPPORT);
	assert_int_equal(parse("GET / HTTP/1\r\nHost: a\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / http/1.1\r\nHost: a\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET /\r\n\r\n", &r), -EBADMSG); /* HTTP/0.9 style */
	assert_int_equal(ls_http_error_status(-EPROTONOSUPPORT), 505);
}

static void test_host_required(void **state)
{
	struct ls_http_request r;

	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &r), -EBADMSG);
}

static void test_incomplete(void **state)
{
	struct ls_http_request r;

	assert_int_equal(parse("", &r), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n", &r), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n\r", &r), 0);
}

static void test_missing_crlf(void **state)
{
	struct ls_http_request r;

	/* bare LF line ends are refused, also when a CRLF CRLF follows */
	assert_int_equal(parse("GET / HTTP/1.1\nHost: a\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", &r), -EBADMSG);
	/* a bare CR inside a line */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", &r), -EBADMSG);
	/* LF-only requests never end: once the limit is reached they are refused */
	{
		char *big = malloc(LS_HTTP_MAX_REQUEST + 10);

		assert_non_null(big);
		memset(big, 'a', LS_HTTP_MAX_REQUEST + 10);
		memcpy(big, "GET / HTTP/1.1\nHost: a\n\n", 24);
		assert_int_equal(
			ls_http_parse_request((uint8_t *)big, LS_HTTP_MAX_REQUEST + 10, &r),
			-EMSGSIZE);
		free(big);
	}
}

static void test_oversize(void **state)
{
	struct ls_http_request r;
	size_t n = LS_HTTP_MAX_REQUEST * 2;
	char *big = malloc(n + 1);
	int len;

	assert_non_null(big);
	/* one huge header: no end of the head within the limit */
	len = snprintf(big, n + 1, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(big + len, 'x', n - (size_t)len);
	big[n] = '\0';
	assert_int_equal(parse(big, &r), -EMSGSIZE);
	assert_int_equal(ls_http_error_status(-EMSGSIZE), 431);
	/* a target over the limit */
	len = snprintf(big, n + 1, "GET /");
	memset(big + len, 'p', LS_HTTP_MAX_TARGET + 5);
	snprintf(big + len + LS_HTTP_MAX_TARGET + 5, n + 1 - (size_t)len - LS_HTTP_MAX_TARGET - 5,
		 " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse(big, &r), -EMSGSIZE);
	free(big);
}

static void test_header_flood(void **state)
{
	struct ls_buf b = { 0 };
	struct ls_http_request r;

	ls_buf_puts(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < LS_HTTP_MAX_HEADERS; i++)
		ls_buf_printf(&b, "X-%d: %d\r\n", i, i);
	ls_buf_puts(&b, "\r\n");
	assert_int_equal(ls_http_parse_request((uint8_t *)b.data, b.len, &r), -E2BIG);
	assert_int_equal(ls_http_error_status(-E2BIG), 431);
	ls_buf_free(&b);
}

static void test_nul_and_controls(void **state)
{
	static const char nul_target[] = "GET /he\0alth HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char nul_value[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	static const char nul_name[] = "GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n";
	struct ls_http_request r;

	assert_int_equal(
		ls_http_parse_request((const uint8_t *)nul_target, sizeof(nul_target) - 1, &r),
		-EBADMSG);
	assert_int_equal(
		ls_http_parse_request((const uint8_t *)nul_value, sizeof(nul_value) - 1, &r),
		-EBADMSG);
	assert_int_equal(ls_http_parse_request((const uint8_t *)nul_name, sizeof(nul_name) - 1, &r),
			 -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", &r), -EBADMSG);
	/* obs-fold and a space before the colon */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nnocolon\r\n\r\n", &r), -EBADMSG);
	/* absolute-form and asterisk targets: not a proxy */
	assert_int_equal(parse("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET * HTTP/1.1\r\nHost: a\r\n\r\n", &r), -EBADMSG);
}

static void test_bodies(void **state)
{
	struct ls_http_request r;

	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &r) > 0);
	assert_false(r.has_body);
	assert_true(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", &r) > 0);
	assert_true(r.has_body);
	assert_true(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &r) >
		    0);
	assert_true(r.has_body);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
			       "Content-Length: 0\r\n\r\n",
			       &r),
			 -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", &r),
			 -EBADMSG);
}

static void test_pipelined(void **state)
{
	const char *s = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
			"HEAD /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
			"GET /sta";
	struct ls_http_request r;
	size_t off = 0;
	int n;

	n = ls_http_parse_request((const uint8_t *)s, strlen(s), &r);
	assert_true(n > 0);
	assert_string_equal(r.path, "/health");
	off += (size_t)n;
	n = ls_http_parse_request((const uint8_t *)s + off, strlen(s) - off, &r);
	assert_true(n > 0);
	assert_int_equal(r.method, LS_HTTP_HEAD);
	assert_string_equal(r.path, "/metrics");
	assert_false(r.keep_alive);
	off += (size_t)n;
	assert_int_equal(ls_http_parse_request((const uint8_t *)s + off, strlen(s) - off, &r), 0);
}

static void test_leading_empty_lines(void **state)
{
	struct ls_http_request r;
	const char *s = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

	assert_int_equal(parse(s, &r), (int)strlen(s));
}

static void test_response_roundtrip(void **state)
{
	struct ls_buf b = { 0 };
	int status;
	size_t off, len;

	assert_int_equal(
		ls_http_write_response(&b, 503, "text/plain", NULL, "down\n", 5, false, false), 0);
	assert_non_null(strstr(b.data, "HTTP/1.1 503 Service Unavailable\r\n"));
	assert_non_null(strstr(b.data, "Content-Length: 5\r\n"));
	assert_non_null(strstr(b.data, "Connection: close\r\n"));
	assert_int_equal(ls_http_parse_response((uint8_t *)b.data, b.len, &status, &off, &len), 0);
	assert_int_equal(status, 503);
	assert_int_equal(len, 5);
	assert_memory_equal(b.data + off, "down\n", 5);
	ls_buf_reset(&b);
	/* HEAD: the GET length, no body */
	ls_http_write_response(&b, 200, "text/plain", "Allow: GET, HEAD\r\n", "ok\n", 3, true,
			       true);
	assert_non_null(strstr(b.data, "Content-Length: 3\r\n"));
	assert_non_null(strstr(b.data, "\r\nAllow: GET, HEAD\r\n\r\n"));
	assert_int_equal(memcmp(b.data + b.len - 4, "\r\n\r\n", 4), 0);
	ls_buf_free(&b);
}

static void test_response_hostile(void **state)
{
	int status;
	size_t off, len;
	const char *cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello";
	const char *nohead = "HTTP/1.1 200 OK\r\n";
	const char *badstatus = "HTTP/1.1 2x0 OK\r\n\r\n";
	const char *noreason = "HTTP/1.0 404\r\n\r\n";

	assert_int_equal(
		ls_http_parse_response((const uint8_t *)cut, strlen(cut), &status, &off, &len),
		-EBADMSG);
	assert_int_equal(ls_http_parse_response((const uint8_t *)chunked, strlen(chunked), &status,
						&off, &len),
			 -ENOTSUP);
	assert_int_equal(ls_http_parse_response((const uint8_t *)nohead, strlen(nohead), &status,
						&off, &len),
			 -EBADMSG);
	assert_int_equal(ls_http_parse_response((const uint8_t *)badstatus, strlen(badstatus),
						&status, &off, &len),
			 -EBADMSG);
	assert_int_equal(ls_http_parse_response((const uint8_t *)noreason, strlen(noreason),
						&status, &off, &len),
			 0);
	assert_int_equal(status, 404);
	assert_int_equal(len, 0);
}

static void test_json_str(void **state)
{
	struct ls_buf b = { 0 };
	const char in[] = "a\"b\\c\n\x01\x7f\xff\xc3\xa9\xed\xa0\x80z";

	ls_buf_json_str(&b, in, sizeof(in) - 1);
	assert_false(b.oom);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\xef\xbf\xbd\xc3\xa9"
				    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\"");
	ls_buf_free(&b);
}

static void test_buf_limit(void **state)
{
	struct ls_buf b = { .max = 64 };

	for (int i = 0; i < 10; i++)
		ls_buf_puts(&b, "0123456789");
	assert_true(b.oom);
	assert_true(b.len < 64);
	assert_int_equal(ls_buf_puts(&b, "x"), -ENOMEM);
	ls_buf_free(&b);
	ls_buf_free(NULL);
	b = (struct ls_buf){ 0 };
	ls_buf_puts(&b, "hello world");
	ls_buf_consume(&b, 6);
	assert_string_equal(b.data, "world");
	ls_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_head_and_other_methods),
		cmocka_unit_test(test_bad_method),
		cmocka_unit_test(test_connection_semantics),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_host_required),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_missing_crlf),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_header_flood),
		cmocka_unit_test(test_nul_and_controls),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_leading_empty_lines),
		cmocka_unit_test(test_response_roundtrip),
		cmocka_unit_test(test_response_hostile),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_buf_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
