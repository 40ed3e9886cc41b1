/* SPDX-License-Identifier: MIT */
/*
 * bench_ixfr — what the IXFR journal (agent/ixfr.h) costs the event loop.
 *
 *   bench_ixfr RECORDS [ROUNDS]
 *
 * Builds two versions of a zone of about RECORDS records (delegations
 * with NS and glue, A records, a DS for some) that differ in one record
 * and the SOA serial, then times, in CPU time of this process, the
 * diff ls_ixfr_diff_compute() (what lockstepd runs on the loop when a
 * version is promoted) beside ls_zone_free() of one version (what the loop
 * already paid at every promotion before the journal existed), and the
 * same diff as lockstepd runs it: ls_ixfr_replace() and ls_ixfr_work() in
 * slices of LS_IXFR_SLICE_NODES nodes (one per loop turn), reporting the
 * longest slice — what one loop turn pays. Prints "key value" lines.
 * Not a test: it asserts nothing, it measures.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/ixfr.h"
#include "common/dname.h"
#include "common/rdata.h"
#include "common/zone.h"

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void add(struct ls_zone_builder *b, const char *owner, uint16_t type, const uint8_t *rd,
		size_t rdlen)
{
	uint8_t name[LS_DNAME_MAXLEN];
	static const uint8_t root[] = "";

	if (ls_dname_from_str(name, owner, root) < 0 ||
	    ls_zone_builder_add(b, name, type, LS_CLASS_IN, 3600, rd, rdlen, NULL)) {
		fprintf(stderr, "bench_ixfr: cannot add %s\n", owner);
		exit(1);
	}
}

/* About @records records; the record of delegation @changed gets another glue address. */
static struct ls_zone *make(size_t records, uint32_t serial, size_t changed)
{
	static const uint8_t origin[] = "\x03tld";
	struct ls_zone_builder *b = ls_zone_builder_new(origin);
	uint8_t soa[64], ns[LS_DNAME_MAXLEN + 1], a[4] = { 192, 0, 2, 1 }, ds[36] = { 0 };
	char owner[64], target[64];
	size_t n = 0, soalen;
	struct ls_zone *z;
	int nlen;

	if (!b)
		exit(1);
	nlen = ls_dname_from_str(ns, "ns.nic.tld.", (const uint8_t *)"");
	memcpy(soa, ns, (size_t)nlen);
	memcpy(soa + nlen, ns, (size_t)nlen);
	soalen = (size_t)nlen * 2;
	memset(soa + soalen, 0, 20);
	soa[soalen] = (uint8_t)(serial >> 24);
	soa[soalen + 1] = (uint8_t)(serial >> 16);
	soa[soalen + 2] = (uint8_t)(serial >> 8);
	soa[soalen + 3] = (uint8_t)serial;
	soa[soalen + 7] = 60;
	soalen += 20;
	add(b, "tld.", LS_TYPE_SOA, soa, soalen);
	add(b, "tld.", LS_TYPE_NS, ns, (size_t)nlen);
	add(b, "ns.nic.tld.", LS_TYPE_A, a, 4);
	n = 3;
	for (size_t i = 0; n < records; i++) {
		snprintf(owner, sizeof(owner), "d%zu.tld.", i);
		snprintf(target, sizeof(target), "ns.d%zu.tld.", i);
		nlen = ls_dname_from_str(ns, target, (const uint8_t *)"");
		add(b, owner, LS_TYPE_NS, ns, (size_t)nlen);
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)(i == changed ? 255 : i);
		add(b, target, LS_TYPE_A, a, 4);
		n += 2;
		if (i % 5 == 0) {
			ds[0] = (uint8_t)i;
			ds[2] = 13;
			ds[3] = 2;
			add(b, owner, LS_TYPE_DS, ds, sizeof(ds));
			n++;
		}
	}
	if (ls_zone_builder_finish(b, &z, NULL)) {
		fprintf(stderr, "bench_ixfr: the zone does not build\n");
		exit(1);
	}
	return z;
}

int main(int argc, char **argv)
{
	size_t records = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	double diff_ms = 1e30, free_ms = 1e30;
	struct ls_zone *a, *b;

	if (records < 10 || rounds < 1) {
		fprintf(stderr, "usage: bench_ixfr RECORDS [ROUNDS]\n");
		return 2;
	}
	a = make(records, 1, records / 4);
	for (int r = 0; r < rounds; r++) {
		struct ls_ixfr_diff *d;
		struct ls_zone *victim;
		double t0, t1;

		b = make(records, 2, (size_t)-1);
		t0 = cpu_ms();
		if (ls_ixfr_diff_compute(a, b, 0, ls_zone_record_count(b) / 2, &d)) {
			fprintf(stderr, "bench_ixfr: diff failed\n");
			return 1;
		}
		t1 = cpu_ms();
		if (t1 - t0 < diff_ms)
			diff_ms = t1 - t0;
		if (r == 0)
			printf("records %zu\nchanged_deleted %zu\nchanged_added %zu\nstep_octets %zu\n",
			       ls_zone_record_count(b), d->ndel, d->nadd, ls_ixfr_diff_size(d));
		ls_ixfr_diff_put(d);
		victim = b;
		t0 = cpu_ms();
		ls_zone_free(victim);
		t1 = cpu_ms();
		if (t1 - t0 < free_ms)
			free_ms = t1 - t0;
	}
	printf("diff_cpu_ms %.3f\nzone_free_cpu_ms %.3f\ndiff_per_record_ns %.1f\n", diff_ms,
	       free_ms, diff_ms * 1e6 / (double)records);
	{
		struct ls_ixfr *j;
		double t0, t1, worst, total;
		size_t slices = 1;
		bool kept, more;

		b = make(records, 2, (size_t)-1);
		if (ls_ixfr_new(LS_IXFR_DEFAULT_BUDGET, &j))
			return 1;
		t0 = cpu_ms();
		kept = ls_ixfr_replace(j, a, b); /* the first slice */
		t1 = cpu_ms();
		worst = total = t1 - t0;
		do {
			t0 = cpu_ms();
			more = ls_ixfr_work(j, LS_IXFR_SLICE_NODES);
			t1 = cpu_ms();
			if (t1 - t0 > worst)
				worst = t1 - t0;
			total += t1 - t0;
			slices++;
		} while (more);
		printf("slice_nodes %d\nslices %zu\nslice_max_cpu_ms %.3f\nsliced_total_cpu_ms "
		       "%.3f\nsteps_kept %zu\n",
		       LS_IXFR_SLICE_NODES, slices, worst, total, ls_ixfr_count(j));
		ls_ixfr_free(j); /* frees @a when it kept it */
		if (!kept)
			ls_zone_free(a);
		ls_zone_free(b);
	}
	return 0;
}
