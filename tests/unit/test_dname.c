/* SPDX-License-Identifier: MIT */
/* Unit tests for common/dname: presentation <-> wire, limits, message
 * decompression (pointers, loops, forward pointers), comparison, order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"

static int from(uint8_t *dst, const char *s)
{
	return ls_dname_from_str(dst, s, NULL);
}

static void test_from_str_basic(void **state)
{
	uint8_t n[LS_DNAME_MAXLEN];
	static const uint8_t want[] = "\x03www\x07"
				      "example\x03"
				      "com";

	assert_int_equal(from(n, "www.example.com."), 17);
	assert_memory_equal(n, want, 17);
	assert_int_equal(from(n, "."), 1);
	assert_int_equal(n[0], 0);
	/* relative without origin */
	assert_int_equal(from(n, "www.example.com"), -EINVAL);
	assert_int_equal(from(n, ""), -EINVAL);
	assert_int_equal(from(n, "a..b."), -EINVAL);
	assert_int_equal(from(n, ".a."), -EINVAL);
	assert_int_equal(from(n, "a\\"), -EINVAL);
	assert_int_equal(from(n, "a\\25."), -EINVAL);
	assert_int_equal(from(n, "a\\256."), -EINVAL);
}

static void test_from_str_origin(void **state)
{
	uint8_t origin[LS_DNAME_MAXLEN], n[LS_DNAME_MAXLEN];

	assert_int_equal(from(origin, "Example.COM."), 13);
	assert_int_equal(ls_dname_from_str(n, "www", origin), 17);
	assert_memory_equal(n,
			    "\x03www\x07"
			    "Example\x03"
			    "COM",
			    17);
	assert_int_equal(ls_dname_from_str(n, "@", origin), 13);
	assert_memory_equal(n, origin, 13);
	assert_int_equal(ls_dname_from_str(n, "@", NULL), -EINVAL);
	/* absolute ignores origin */
	assert_int_equal(ls_dname_from_str(n, "a.", origin), 3);
}

static void test_escapes(void **state)
{
	uint8_t n[LS_DNAME_MAXLEN];
	char s[LS_DNAME_STRLEN];

	assert_int_equal(from(n, "a\\.b.c."), 7);
	assert_memory_equal(n,
			    "\x03"
			    "a.b\x01"
			    "c",
			    7);
	assert_int_equal(from(n, "\\000\\255\\065."), 5);
	assert_memory_equal(n,
			    "\x03\x00\xff"
			    "A",
			    5);
	assert_int_equal(ls_dname_to_str(s, sizeof(s), n), (int)strlen("\\000\\255A."));
	assert_string_equal(s, "\\000\\255A.");
	assert_int_equal(from(n, "a\\.b.c."), 7);
	ls_dname_to_str(s, sizeof(s), n);
	assert_string_equal(s, "a\\.b.c.");
	n[0] = 0;
	ls_dname_to_str(s, sizeof(s), n);
	assert_string_equal(s, ".");
	/* too small a buffer */
	from(n, "abc.");
	assert_int_equal(ls_dname_to_str(s, 4, n), -ENOSPC);
	assert_int_equal(ls_dname_to_str(s, 5, n), 4);
}

static void test_limits(void **state)
{
	uint8_t n[LS_DNAME_MAXLEN];
	char s[600];

	/* 63-octet label is fine, 64 is not */
	memset(s, 'a', 63);
	strcpy(s + 63, ".");
	assert_int_equal(from(n, s), 65);
	memset(s, 'a', 64);
	strcpy(s + 64, ".");
	assert_int_equal(from(n, s), -EMSGSIZE);

	/* 255 octets total is fine: 4 labels of 63 (4*64=256) is too long;
	 * 3*64 + 62 = 254 + root = 255 ok */
	char *p = s;
	for (int i = 0; i < 3; i++) {
		memset(p, 'b', 63);
		p += 63;
		*p++ = '.';
	}
	memset(p, 'c', 61);
	p += 61;
	*p++ = '.';
	*p = 0;
	assert_int_equal(from(n, s), 255);
	/* one more octet: 256 */
	p[-1] = 'c';
	p[0] = '.';
	p[1] = 0;
	assert_int_equal(from(n, s), -EMSGSIZE);

	/* relative + origin exceeding */
	uint8_t origin[LS_DNAME_MAXLEN];
	assert_int_equal(from(origin, s), -EMSGSIZE);
	memset(s, 'x', 63);
	s[63] = 0;
	from(n, "a.");
	uint8_t big[LS_DNAME_MAXLEN];
	char s2[3 * sizeof(s) + 4]; /* as big as gcc's worst case for the snprintf below */
	snprintf(s2, sizeof(s2), "%s.%s.%s.", s, s, s); /* 193 octets */
	assert_int_equal(from(big, s2), 193);
	assert_int_equal(ls_dname_from_str(n, s, big), -EMSGSIZE);
}

static void test_wire_check(void **state)
{
	static const uint8_t ok[] = "\x01"
				    "a\x00";
	static const uint8_t ptr[] = "\x01"
				     "a\xc0\x00";
	static const uint8_t res[] = "\x41"
				     "a";
	uint8_t long_name[300];

	assert_int_equal(ls_dname_wire_check(ok, 3), 3);
	assert_int_equal(ls_dname_wire_check(ok, 2), -EBADMSG);
	assert_int_equal(ls_dname_wire_check(ptr, 4), -EBADMSG);
	assert_int_equal(ls_dname_wire_check(res, 2), -EBADMSG);
	/* 256 octets of valid-looking labels */
	memset(long_name, 0, sizeof(long_name));
	for (int i = 0; i < 4; i++) {
		long_name[i * 64] = 63;
		memset(long_name + i * 64 + 1, 'a', 63);
	}
	long_name[256] = 0;
	assert_int_equal(ls_dname_wire_check(long_name, sizeof(long_name)), -EBADMSG);
}

static void test_unpack(void **state)
{
	/* header(12) + "example.com" at 12 + "www" + ptr(12) at 25 */
	uint8_t msg[64] = { 0 };
	uint8_t n[LS_DNAME_MAXLEN];
	size_t pos;

	memcpy(msg + 12,
	       "\x07"
	       "example\x03"
	       "com\x00",
	       13);
	memcpy(msg + 25, "\x03www\xc0\x0c", 6);
	pos = 25;
	assert_int_equal(ls_dname_unpack(n, msg, 31, &pos), 17);
	assert_int_equal(pos, 31);
	assert_memory_equal(n,
			    "\x03www\x07"
			    "example\x03"
			    "com",
			    17);
	/* NULL dst only validates */
	pos = 25;
	assert_int_equal(ls_dname_unpack(NULL, msg, 31, &pos), 17);
	/* truncated: pointer cut in half */
	pos = 25;
	assert_int_equal(ls_dname_unpack(n, msg, 30, &pos), -EBADMSG);
	assert_int_equal(pos, 25); /* untouched on error */
	/* pointer to itself */
	memcpy(msg + 40, "\xc0\x28", 2);
	pos = 40;
	assert_int_equal(ls_dname_unpack(n, msg, 42, &pos), -EBADMSG);
	/* forward pointer */
	memcpy(msg + 40, "\xc0\x2a\x00", 3);
	pos = 40;
	assert_int_equal(ls_dname_unpack(n, msg, 43, &pos), -EBADMSG);
	/* two-step loop: 44 -> 46? construct a at 44: label "a" then ptr to 44 */
	memcpy(msg + 44,
	       "\x01"
	       "a\xc0\x2c",
	       4);
	pos = 44;
	assert_int_equal(ls_dname_unpack(n, msg, 48, &pos), -EBADMSG);
	/* reserved label types 0x40 and 0x80 */
	msg[50] = 0x40;
	pos = 50;
	assert_int_equal(ls_dname_unpack(n, msg, 52, &pos), -EBADMSG);
	msg[50] = 0x80;
	pos = 50;
	assert_int_equal(ls_dname_unpack(n, msg, 52, &pos), -EBADMSG);
	/* start beyond the message */
	pos = 70;
	assert_int_equal(ls_dname_unpack(n, msg, 64, &pos), -EBADMSG);
}

static void test_unpack_chain_too_long(void **state)
{
	/* A chain of backward pointers that each add a 63-octet label:
	 * legal pointers, but the expanded name exceeds 255 octets. */
	uint8_t msg[1024] = { 0 };
	uint8_t n[LS_DNAME_MAXLEN];
	size_t off = 12, prev;
	size_t pos;

	msg[off] = 0; /* root */
	prev = off;
	off += 1;
	for (int i = 0; i < 5; i++) {
		size_t here = off;
		msg[off++] = 63;
		memset(msg + off, 'a' + i, 63);
		off += 63;
		msg[off++] = 0xc0 | (uint8_t)(prev >> 8);
		msg[off++] = (uint8_t)prev;
		prev = here;
	}
	pos = prev;
	assert_int_equal(ls_dname_unpack(n, msg, off, &pos), -EBADMSG);
}

static void test_compare(void **state)
{
	/* RFC 4034 §6.1 example, in canonical order */
	static const char *const order[] = {
		"example.",	    "a.example.",      "yljkjljk.a.example.",
		"Z.a.example.",	    "zABC.a.EXAMPLE.", "z.example.",
		"\\001.z.example.", "*.z.example.",    "\\200.z.example.",
	};
	uint8_t a[LS_DNAME_MAXLEN], b[LS_DNAME_MAXLEN];
	size_t cnt = sizeof(order) / sizeof(order[0]);

	for (size_t i = 0; i < cnt; i++) {
		for (size_t j = 0; j < cnt; j++) {
			assert_true(from(a, order[i]) > 0);
			assert_true(from(b, order[j]) > 0);
			int c = ls_dname_cmp(a, b);
			if (i < j)
				assert_true(c < 0);
			else if (i > j)
				assert_true(c > 0);
			else
				assert_int_equal(c, 0);
		}
	}
	from(a, "WWW.Example.COM.");
	from(b, "www.example.com.");
	assert_true(ls_dname_equal(a, b));
	assert_int_equal(ls_dname_cmp(a, b), 0);
	assert_int_equal(ls_dname_hash(a), ls_dname_hash(b));
	from(b, "www.example.co.");
	assert_false(ls_dname_equal(a, b));
	/* case-folding is ASCII only: 0xC1 and 0xE1 differ */
	from(a, "\\193.");
	from(b, "\\225.");
	assert_false(ls_dname_equal(a, b));
}

static void test_lower_and_labels(void **state)
{
	uint8_t a[LS_DNAME_MAXLEN], b[LS_DNAME_MAXLEN], p[LS_DNAME_MAXLEN];
	char s[LS_DNAME_STRLEN];

	from(a, "WwW.ExAmPlE.\\195.");
	ls_dname_copy_lower(b, a);
	ls_dname_to_str(s, sizeof(s), b);
	assert_string_equal(s, "www.example.\\195.");
	ls_dname_lower(a);
	assert_memory_equal(a, b, ls_dname_len(b));

	assert_int_equal(ls_dname_labels(a), 3);
	from(p, "example.\\195.");
	assert_true(ls_dname_is_sub(a, p));
	assert_true(ls_dname_is_sub(p, p));
	assert_false(ls_dname_is_sub(p, a));
	from(p, "ample.\\195.");
	assert_false(ls_dname_is_sub(a, p));
	p[0] = 0;
	assert_true(ls_dname_is_sub(a, p));
	assert_null(ls_dname_parent(p));
	assert_true(ls_dname_equal(ls_dname_parent(ls_dname_parent(a)), ls_dname_skip(a, 2)));

	from(a, "*.example.");
	assert_true(ls_dname_is_wildcard(a));
	from(a, "*a.example.");
	assert_false(ls_dname_is_wildcard(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_str_basic),
		cmocka_unit_test(test_from_str_origin),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_wire_check),
		cmocka_unit_test(test_unpack),
		cmocka_unit_test(test_unpack_chain_too_long),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_lower_and_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
