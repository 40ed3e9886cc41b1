/* SPDX-License-Identifier: MIT */
/*
 * bench_engine — helper for tests/bench/engine_signed.sh: the answer engine
 * alone, in process, on one zone and one query list.
 *
 *   bench_engine ZONEFILE ORIGIN QUERIES ROUNDS
 *
 * QUERIES holds one "name type do" line per query (type as a mnemonic such
 * as A or TXT, or a number; do 0/1; every query carries EDNS with 1232).
 * Prints "key value" lines: the zone's nodes and bytes held
 * (ls_zone_memory), the CPU time (CLOCK_PROCESS_CPUTIME_ID, so a busy
 * machine inflates it less than wall time) per query over ROUNDS passes,
 * the outcome counters, and an FNV-1a digest of every response's octets
 * from the first pass, so that two builds can be shown to answer
 * byte-identically.
 * Uses only API that predates the NSEC/NSEC3 chains, so the same file builds
 * against the tree before them for a side-by-side run.
 * Not a test: it asserts nothing, it measures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/engine.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/zonefile.h"

struct query {
	uint8_t wire[LS_DNAME_MAXLEN + 32];
	uint16_t len;
};

static const struct ls_zone *the_zone;

static const struct ls_zone *lookup(void *ctx, const uint8_t *qname, bool *silent)
{
	(void)ctx;
	*silent = false;
	return ls_dname_is_sub(qname, ls_zone_origin(the_zone)) ? the_zone : NULL;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "name type do" into a query message; 0 or -1 on a line it cannot read. */
static int build_query(struct query *q, const char *line, uint16_t id)
{
	char name[300], type[32];
	int dnssec = 0;
	uint16_t t;
	uint8_t qname[LS_DNAME_MAXLEN];
	struct ls_msg_writer w;
	struct ls_msg_edns e = { .udp_size = 1232 };

	if (sscanf(line, "%299s %31s %d", name, type, &dnssec) < 2)
		return -1;
	if (ls_rrtype_from_str(type, &t) < 0 || ls_dname_from_str(qname, name, NULL) < 0)
		return -1;
	if (ls_msg_writer_init(&w, q->wire, sizeof(q->wire)))
		return -1;
	ls_msg_set_header(&w, id, 0);
	if (dnssec)
		e.flags = LS_EDNS_DO;
	if (ls_msg_put_question(&w, qname, t, LS_CLASS_IN) || ls_msg_put_opt(&w, &e))
		return -1;
	q->len = (uint16_t)ls_msg_len(&w);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t resp[LS_MSG_MAXLEN];
	struct ls_engine_stats st = { 0 };
	uint8_t origin[LS_DNAME_MAXLEN];
	struct ls_zone *z = NULL;
	struct query *qs = NULL;
	size_t nq = 0, capq = 0;
	uint64_t digest = 0xcbf29ce484222325ull, t0, t1, bytes = 0;
	char line[512];
	FILE *f;
	int rounds, err;

	if (argc != 5 || (rounds = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: bench_engine ZONEFILE ORIGIN QUERIES ROUNDS\n");
		return 2;
	}
	if (ls_dname_from_str(origin, argv[2], NULL) < 0) {
		fprintf(stderr, "bench_engine: bad origin %s\n", argv[2]);
		return 2;
	}
	t0 = cpu_ns();
	err = ls_zonefile_load(argv[1], origin, NULL, &z, NULL);
	t1 = cpu_ns();
	if (err) {
		fprintf(stderr, "bench_engine: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	the_zone = z;
	f = fopen(argv[3], "r");
	if (!f) {
		perror(argv[3]);
		goto free_zone;
	}
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (nq == capq) {
			struct query *q2 =
				realloc(qs, (capq = capq ? 2 * capq : 1024) * sizeof(*qs));
			if (!q2)
				break;
			qs = q2;
		}
		if (build_query(&qs[nq], line, (uint16_t)nq) == 0)
			nq++;
		else
			fprintf(stderr, "bench_engine: skipped: %s", line);
	}
	fclose(f);
	if (nq == 0) {
		fprintf(stderr, "bench_engine: no queries\n");
		goto free_queries;
	}

	/* the digest pass: every response octet, in order */
	for (size_t i = 0; i < nq; i++) {
		int n = ls_engine_respond(qs[i].wire, qs[i].len, LS_ENGINE_UDP, lookup, NULL, resp,
					  sizeof(resp), &st);
		for (int k = 0; k < n; k++)
			digest = (digest ^ resp[k]) * 0x100000001b3ull;
		bytes += n > 0 ? (uint64_t)n : 0;
	}
	uint64_t b0 = cpu_ns();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < nq; i++)
			ls_engine_respond(qs[i].wire, qs[i].len, LS_ENGINE_UDP, lookup, NULL, resp,
					  sizeof(resp), NULL);
	uint64_t b1 = cpu_ns();

	printf("nodes %zu\n", ls_zone_node_count(z));
	printf("records %zu\n", ls_zone_record_count(z));
	printf("zone_bytes %zu\n", ls_zone_memory(z));
	printf("load_cpu_s %.3f\n", (double)(t1 - t0) / 1e9);
	printf("queries %zu\n", nq);
	printf("rounds %d\n", rounds);
	printf("ns_per_query %.1f\n", (double)(b1 - b0) / ((double)nq * rounds));
	printf("nxdomain %llu\nnodata %llu\nreferral %llu\ntruncated %llu\n",
	       (unsigned long long)st.nxdomain, (unsigned long long)st.nodata,
	       (unsigned long long)st.referral, (unsigned long long)st.truncated);
	printf("response_octets %llu\n", (unsigned long long)bytes);
	printf("digest %016llx\n", (unsigned long long)digest);
	free(qs);
	ls_zone_free(z);
	return 0;

free_queries:
	free(qs);
free_zone:
	ls_zone_free(z);
	return 1;
}
