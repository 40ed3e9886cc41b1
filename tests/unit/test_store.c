/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for agent/store: a version written and read back is the same
 * zone; a flipped byte, a truncated file and a wrong length are detected and
 * moved aside; hostile zone names stay inside the directory; live/staged
 * bookkeeping; plans round trip and a corrupted plan is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/store.h"
#include "common/zonefile.h"

static char dir[64];

static struct ls_zone *make_zone(const char *origin, uint32_t serial)
{
	uint8_t o[LS_DNAME_MAXLEN];
	struct ls_zone *z = NULL;
	char text[1024];

	assert_true(ls_dname_from_str(o, origin, NULL) > 0);
	snprintf(text, sizeof(text),
		 "@ 3600 IN SOA ns hostmaster %u 7200 3600 1209600 300\n"
		 "@ 3600 IN NS ns\n"
		 "@ 300 IN MX 10 mail\n"
		 "ns 3600 IN A 192.0.2.1\n"
		 "ns 3600 IN AAAA 2001:db8::1\n"
		 "mail 60 IN A 192.0.2.2\n"
		 "mail 60 IN A 192.0.2.3\n"
		 "a.b.c 60 IN TXT \"hello\" \"world\"\n"
		 "*.w 60 IN CNAME mail\n",
		 serial);
	assert_int_equal(ls_zonefile_load_string(text, strlen(text), NULL, o, NULL, &z, NULL), 0);
	return z;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ls-store-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void zones_equal(const struct ls_zone *a, const struct ls_zone *b)
{
	assert_true(ls_dname_equal(ls_zone_origin(a), ls_zone_origin(b)));
	assert_int_equal(ls_zone_serial(a), ls_zone_serial(b));
	assert_int_equal(ls_zone_record_count(a), ls_zone_record_count(b));
	assert_int_equal(ls_zone_node_count(a), ls_zone_node_count(b));
	for (size_t i = 0; i < ls_zone_node_count(a); i++) {
		const struct ls_zone_node *na = ls_zone_node_at(a, i), *nb = ls_zone_node_at(b, i);
		size_t ca, cb;
		const struct ls_zone_rrset *ra = ls_zone_node_rrsets(a, na, &ca);
		const struct ls_zone_rrset *rb = ls_zone_node_rrsets(b, nb, &cb);

		assert_true(ls_dname_equal(ls_zone_node_name(a, na), ls_zone_node_name(b, nb)));
		assert_int_equal(ca, cb);
		for (size_t k = 0; k < ca; k++) {
			struct ls_zone_rdata_iter ia, ib;
			const uint8_t *da, *db;
			uint16_t la, lb;

			assert_int_equal(ra[k].type, rb[k].type);
			assert_int_equal(ra[k].ttl, rb[k].ttl);
			assert_int_equal(ra[k].count, rb[k].count);
			ls_zone_rdata_begin(a, &ra[k], &ia);
			ls_zone_rdata_begin(b, &rb[k], &ib);
			while (ls_zone_rdata_next(&ia, &da, &la)) {
				assert_true(ls_zone_rdata_next(&ib, &db, &lb));
				assert_int_equal(la, lb);
				assert_memory_equal(da, db, la);
			}
		}
	}
}

static void test_round_trip(void **state)
{
	struct ls_zone *z = make_zone("example.org.", 7), *back = NULL;
	struct ls_store_meta meta;
	struct ls_store *s;
	char path[512];

	assert_int_equal(ls_store_open(dir, &s), 0);
	assert_int_equal(ls_store_write(s, z, LS_STORE_STAGED, "ok"), 0);
	assert_int_equal(
		ls_store_path(s, ls_zone_origin(z), 7, LS_STORE_STAGED, path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/example.org.7.staged"));
	assert_int_equal(ls_store_read(path, &back, &meta), 0);
	zones_equal(z, back);
	assert_int_equal(meta.serial, 7);
	assert_string_equal(meta.verdict, "ok");
	assert_int_equal(meta.records, ls_zone_record_count(z));
	assert_true(ls_dname_equal(meta.origin, ls_zone_origin(z)));
	ls_zone_free(back);
	ls_zone_free(z);
	ls_store_free(s);
}

static void corrupt_and_check(void (*damage)(const char *path, size_t size))
{
	struct ls_zone *z = make_zone("example.org.", 9), *back = NULL;
	struct ls_store *s;
	char path[512], moved[512];
	struct stat st;

	assert_int_equal(ls_store_open(dir, &s), 0);
	assert_int_equal(ls_store_write(s, z, LS_STORE_LIVE, "ok"), 0);
	ls_store_path(s, ls_zone_origin(z), 9, LS_STORE_LIVE, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	damage(path, (size_t)st.st_size);
	assert_int_equal(ls_store_read(path, &back, NULL), -EBADMSG);
	assert_null(back);
	assert_int_equal(ls_store_quarantine(s, path), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(moved, sizeof(moved), "%s/corrupt", dir);
	assert_int_equal(stat(moved, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	ls_zone_free(z);
	ls_store_free(s);
}

static void flip_middle(const char *path, size_t size)
{
	int fd = open(path, O_RDWR);
	uint8_t c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t)size / 2), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)size / 2), 1);
	close(fd);
}

static void flip_last(const char *path, size_t size)
{
	int fd = open(path, O_RDWR);
	uint8_t c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t)size - 1), 1);
	c ^= 0x80;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)size - 1), 1);
	close(fd);
}

static void truncate_half(const char *path, size_t size)
{
	assert_int_equal(truncate(path, (off_t)size / 2), 0);
}

static void truncate_empty(const char *path, size_t size)
{
	assert_int_equal(truncate(path, 0), 0);
}

static void append_byte(const char *path, size_t size)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fputc('x', f);
	fclose(f);
}

static void test_flipped_byte(void **state)
{
	corrupt_and_check(flip_middle);
	corrupt_and_check(flip_last);
}

static void test_truncated(void **state)
{
	corrupt_and_check(truncate_half);
	corrupt_and_check(truncate_empty);
	corrupt_and_check(append_byte);
}

/* A valid checksum over a hostile body: the parser must still refuse it. */
static void test_hostile_body(void **state)
{
	struct ls_zone *z = make_zone("example.org.", 3), *back = NULL;
	struct ls_store *s;
	char path[512];
	uint8_t *buf;
	size_t len;
	struct stat st;
	FILE *f;

	assert_int_equal(ls_store_open(dir, &s), 0);
	assert_int_equal(ls_store_write(s, z, LS_STORE_STAGED, "ok"), 0);
	ls_store_path(s, ls_zone_origin(z), 3, LS_STORE_STAGED, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	len = (size_t)st.st_size;
	buf = malloc(len);
	f = fopen(path, "rb");
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
	/* every prefix, checksum or not, is refused and never crashes */
	for (size_t n = 0; n < len; n += 7)
		assert_int_not_equal(ls_store_parse(buf, n, &back, NULL), 0);
	assert_int_equal(ls_store_parse(buf, len, &back, NULL), 0);
	ls_zone_free(back);
	free(buf);
	ls_zone_free(z);
	ls_store_free(s);
}

static void test_stem(void **state)
{
	uint8_t o[LS_DNAME_MAXLEN];
	char buf[1024];

	assert_true(ls_dname_from_str(o, "Example.ORG.", NULL) > 0);
	assert_int_equal(ls_store_zone_stem(o, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "example.org");
	assert_true(ls_dname_from_str(o, ".", NULL) > 0);
	ls_store_zone_stem(o, buf, sizeof(buf));
	assert_string_equal(buf, "_root");
	/* a label holding "../x" and a "/" cannot name another directory */
	assert_true(ls_dname_from_str(o, "\\.\\.\\/x.evil.", NULL) > 0);
	ls_store_zone_stem(o, buf, sizeof(buf));
	assert_string_equal(buf, "%2e%2e%2fx.evil");
	assert_null(strchr(buf, '/'));
	assert_int_equal(ls_store_zone_stem(o, buf, 4), -ENAMETOOLONG);
}

static void test_live_and_scan(void **state)
{
	struct ls_zone *z1 = make_zone("example.org.", 1), *z2 = make_zone("example.org.", 2),
		       *z3 = make_zone("example.org.", 3);
	struct ls_store_entry v[8];
	struct ls_store *s;
	int n;

	assert_int_equal(ls_store_open(dir, &s), 0);
	assert_int_equal(ls_store_write(s, z1, LS_STORE_LIVE, "ok"), 0);
	assert_int_equal(ls_store_write(s, z2, LS_STORE_STAGED, "ok"), 0);
	assert_int_equal(ls_store_write(s, z3, LS_STORE_STAGED, "ok"), 0);
	n = ls_store_scan(s, ls_zone_origin(z1), v, 8);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].kind, LS_STORE_LIVE);
	assert_int_equal(v[0].serial, 1);
	assert_int_equal(ls_store_make_live(s, ls_zone_origin(z2), 2), 0);
	n = ls_store_scan(s, ls_zone_origin(z1), v, 8);
	assert_int_equal(n, 2); /* live 2, staged 3; live 1 gone */
	assert_int_equal(v[0].kind, LS_STORE_LIVE);
	assert_int_equal(v[0].serial, 2);
	assert_int_equal(v[1].kind, LS_STORE_STAGED);
	assert_int_equal(v[1].serial, 3);
	assert_int_equal(ls_store_make_live(s, ls_zone_origin(z2), 9), -ENOENT);
	assert_int_equal(ls_store_remove(s, ls_zone_origin(z3), 3, LS_STORE_STAGED), 0);
	assert_int_equal(ls_store_scan(s, ls_zone_origin(z1), v, 8), 1);
	ls_zone_free(z1);
	ls_zone_free(z2);
	ls_zone_free(z3);
	ls_store_free(s);
}

static void test_plan(void **state)
{
	struct ls_store_plan p = { .serial = 42, .at_unix = 1900000000, .at_nsec = 5 }, q;
	uint8_t o[LS_DNAME_MAXLEN];
	struct ls_store *s;
	char path[512];
	FILE *f;

	assert_true(ls_dname_from_str(o, "example.org.", NULL) > 0);
	assert_int_equal(ls_store_open(dir, &s), 0);
	assert_int_equal(ls_store_plan_read(s, o, &q), -ENOENT);
	assert_int_equal(ls_store_plan_write(s, o, &p), 0);
	assert_int_equal(ls_store_plan_read(s, o, &q), 0);
	assert_int_equal(q.serial, 42);
	assert_int_equal(q.at_unix, 1900000000);
	assert_int_equal(q.at_nsec, 5);
	snprintf(path, sizeof(path), "%s/example.org.plan", dir);
	f = fopen(path, "w");
	fputs("serial=42 at=19000", f); /* torn */
	fclose(f);
	assert_int_equal(ls_store_plan_read(s, o, &q), -EBADMSG);
	assert_int_not_equal(access(path, F_OK), 0); /* moved aside */
	assert_int_equal(ls_store_plan_write(s, o, &p), 0);
	assert_int_equal(ls_store_plan_remove(s, o), 0);
	assert_int_equal(ls_store_plan_read(s, o, &q), -ENOENT);
	ls_store_free(s);
}

static void test_open_missing(void **state)
{
	struct ls_store *s = (void *)1;
	char path[128];

	snprintf(path, sizeof(path), "%s/nope", dir);
	assert_int_equal(ls_store_open(path, &s), -ENOENT);
	assert_null(s);
	ls_store_free(NULL);
}

/* A leftover of an interrupted write is removed when the store opens. */
static void test_tmp_cleanup(void **state)
{
	struct ls_store *s;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.example.org.1.live.tmp", dir);
	f = fopen(path, "w");
	fputs("partial", f);
	fclose(f);
	assert_int_equal(ls_store_open(dir, &s), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	ls_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_body, setup, teardown),
		cmocka_unit_test(test_stem),
		cmocka_unit_test_setup_teardown(test_live_and_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmp_cleanup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
