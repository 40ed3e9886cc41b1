/* SPDX-License-Identifier: MIT */
/*
 * bench_zoneload — helper for tests/bench/zoneload.sh.
 *
 *   bench_zoneload gen RECORDS FILE   write a TLD-like zone "tld." of about
 *                                     RECORDS records (deterministic)
 *   bench_zoneload load FILE ORIGIN   load and check it in-process; print
 *                                     time, bytes held (ls_zone_memory), the
 *                                     RSS the process grew by, and lookup
 *                                     costs, as "key value" lines
 *
 * The zone: an apex with SOA, two NS and their addresses; per delegation
 * two NS — 90 % at one of 5000 out-of-zone hosting providers, 10 % in
 * bailiwick with A and AAAA glue for both — and a DS for 20 %. That is
 * about 2.6 records per delegation, like a real TLD.
 * Not a test: it asserts nothing, it measures.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dname.h"
#include "common/zone.h"
#include "common/zonefile.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* xorshift64*: deterministic, so every run benchmarks the same zone */
static uint64_t next_rand(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* A label that looks like a registered domain, unique through @i. */
static void domain_label(char *out, size_t outlen, unsigned long i)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	char base36[16];
	int n = 0, len = 3 + (int)(next_rand() % 10);
	unsigned long v = i;

	for (int k = 0; k < len && (size_t)k < outlen - 20; k++)
		out[k] = letters[next_rand() % 26];
	do {
		base36[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v);
	out[len++] = '-';
	while (n)
		out[len++] = base36[--n];
	out[len] = '\0';
}

static int gen(unsigned long records, const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned long written = 0, i = 0;
	char dom[64];

	if (!f) {
		perror(path);
		return 1;
	}
	fprintf(f, "$ORIGIN tld.\n$TTL 86400\n"
		   "@ SOA a.nic.tld. hostmaster.nic.tld. 2024010101 1800 900 604800 3600\n"
		   "@ NS a.nic.tld.\n@ NS b.nic.tld.\n"
		   "a.nic A 192.0.2.1\na.nic AAAA 2001:db8::1\n"
		   "b.nic A 192.0.2.2\nb.nic AAAA 2001:db8::2\n");
	written = 7;
	while (written < records) {
		uint64_t r = next_rand();
		domain_label(dom, sizeof(dom), i++);
		if (r % 10 == 0) {
			unsigned a = (unsigned)(r >> 8), b = (unsigned)(r >> 24);
			fprintf(f, "%s NS ns1.%s\n%s NS ns2.%s\n", dom, dom, dom, dom);
			fprintf(f, "ns1.%s A 198.51.%u.%u\nns1.%s AAAA 2001:db8:%x::1\n", dom,
				a & 255, (a >> 8) & 255, dom, b & 0xffff);
			fprintf(f, "ns2.%s A 203.0.%u.%u\nns2.%s AAAA 2001:db8:%x::2\n", dom,
				b & 255, (b >> 8) & 255, dom, a & 0xffff);
			written += 6;
		} else {
			unsigned h = (unsigned)((r >> 16) % 5000);
			fprintf(f, "%s NS ns1.hoster%u.net.\n%s NS ns2.hoster%u.net.\n", dom, h,
				dom, h);
			written += 2;
		}
		if ((r >> 40) % 5 == 0) {
			fprintf(f, "%s DS %u 13 2 ", dom, (unsigned)(r >> 45) & 0xffff);
			for (int k = 0; k < 4; k++)
				fprintf(f, "%016llX", (unsigned long long)next_rand());
			fputc('\n', f);
			written++;
		}
	}
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	printf("records %lu\ndelegations %lu\n", written, i);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int load(const char *path, const char *origin_str)
{
	uint8_t origin[LS_DNAME_MAXLEN];
	struct ls_zone *z = NULL;
	struct ls_zone_problems *p = NULL;
	double t0, t1;
	long rss0, rss1;
	int err;

	if (ls_dname_from_str(origin, origin_str, NULL) < 0) {
		fprintf(stderr, "bad origin %s\n", origin_str);
		return 2;
	}
	rss0 = rss_kib();
	t0 = now();
	err = ls_zonefile_load(path, origin, NULL, &z, &p);
	t1 = now();
	if (err) {
		fprintf(stderr, "load failed: %s (%zu errors)\n", strerror(-err),
			p ? p->errors : 0);
		ls_zone_problems_free(p);
		return 1;
	}
	/* what the process holds once the builder's scratch is returned */
	malloc_trim(0);
	rss1 = rss_kib();

	size_t records = ls_zone_record_count(z), nodes = ls_zone_node_count(z);
	printf("records %zu\nnodes %zu\ndelegations %zu\n", records, nodes,
	       ls_zone_delegation_count(z));
	printf("load_seconds %.3f\n", t1 - t0);
	printf("bytes_held %zu\nbytes_per_record %.1f\n", ls_zone_memory(z),
	       (double)ls_zone_memory(z) / (double)records);
	printf("rss_delta_kib %ld\nrss_bytes_per_record %.1f\n", rss1 - rss0,
	       (double)(rss1 - rss0) * 1024.0 / (double)records);

	/*
	 * Per-query cost of the exact-match index against the alternative the
	 * design weighed, a binary search over the canonical array (which is
	 * what ls_zone_predecessor() does). Names in mixed case, as queries are.
	 */
	enum { Q = 1000000 };
	uint8_t(*names)[LS_DNAME_MAXLEN] = malloc((size_t)4096 * LS_DNAME_MAXLEN);
	size_t found = 0;
	if (!names)
		return 2;
	for (int i = 0; i < 4096; i++) {
		const uint8_t *n = ls_zone_node_name(z, ls_zone_node_at(z, next_rand() % nodes));
		size_t len = ls_dname_len(n);
		memcpy(names[i], n, len);
		if (len > 2)
			names[i][1] = (uint8_t)(names[i][1] & ~0x20); /* upper-case a letter */
	}
	t0 = now();
	for (int i = 0; i < Q; i++)
		found += ls_zone_find(z, names[i & 4095]) != NULL;
	t1 = now();
	printf("find_ns %.1f\n", (t1 - t0) * 1e9 / Q);
	t0 = now();
	for (int i = 0; i < Q; i++)
		found += ls_zone_closest_encloser(z, names[i & 4095]) != NULL;
	t1 = now();
	printf("closest_encloser_ns %.1f\n", (t1 - t0) * 1e9 / Q);
	t0 = now();
	for (int i = 0; i < Q; i++)
		found += ls_zone_predecessor(z, names[i & 4095], 0) != NULL;
	t1 = now();
	printf("binary_search_ns %.1f\n", (t1 - t0) * 1e9 / Q);
	if (found != 3ull * Q)
		fprintf(stderr, "lookups missed (%zu)\n", found);
	free(names);
	ls_zone_problems_free(p);
	ls_zone_free(z);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return gen(strtoul(argv[2], NULL, 10), argv[3]);
	if (argc == 4 && strcmp(argv[1], "load") == 0)
		return load(argv[2], argv[3]);
	fprintf(stderr, "usage: bench_zoneload gen RECORDS FILE\n"
			"       bench_zoneload load FILE ORIGIN\n");
	return 2;
}
