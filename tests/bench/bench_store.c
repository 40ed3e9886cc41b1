/* SPDX-License-Identifier: MIT */
/*
 * bench_store — what keeping a version on disk costs (agent/store).
 *
 *   bench_store ZONEFILE ORIGIN DIR   load the zone, then write it to the
 *                                     store in DIR (serialise + SHA-256 +
 *                                     write + fsync + rename + fsync dir)
 *                                     and read it back (read + SHA-256 +
 *                                     zone builder), printing "key value"
 *                                     lines; zone file load time beside it
 *
 * Generate a zone with `bench_zoneload gen 1000000 FILE`. Not a test: it
 * asserts nothing, it measures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/store.h"
#include "common/zonefile.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	uint8_t origin[LS_DNAME_MAXLEN];
	struct ls_zone *z = NULL, *back = NULL;
	struct ls_store *s = NULL;
	char path[4096];
	struct stat st;
	double t0, t1, t2, t3;
	int err;

	if (argc != 4 || ls_dname_from_str(origin, argv[2], NULL) <= 0) {
		fprintf(stderr, "usage: %s ZONEFILE ORIGIN DIR\n", argv[0]);
		return 2;
	}
	t0 = now_ms();
	err = ls_zonefile_load(argv[1], origin, NULL, &z, NULL);
	t1 = now_ms();
	if (err || ls_store_open(argv[3], &s)) {
		fprintf(stderr, "cannot load %s or open %s\n", argv[1], argv[3]);
		return 1;
	}
	err = ls_store_write(s, z, LS_STORE_STAGED, "ok");
	t2 = now_ms();
	ls_store_path(s, origin, ls_zone_serial(z), LS_STORE_STAGED, path, sizeof(path));
	if (err || ls_store_read(path, &back, NULL) || stat(path, &st)) {
		fprintf(stderr, "store write/read failed\n");
		return 1;
	}
	t3 = now_ms();
	printf("records %zu\n", ls_zone_record_count(z));
	printf("zonefile_load_ms %.1f\n", t1 - t0);
	printf("store_write_fsync_ms %.1f\n", t2 - t1);
	printf("store_read_ms %.1f\n", t3 - t2);
	printf("store_file_bytes %lld\n", (long long)st.st_size);
	ls_zone_free(back);
	ls_zone_free(z);
	ls_store_free(s);
	return 0;
}
