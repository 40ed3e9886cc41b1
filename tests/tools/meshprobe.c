/* SPDX-License-Identifier: MIT */
/*
 * meshprobe.c — the mesh test's and the switch benchmark's client, in C.
 *
 * Owns: asking one node's shared address for a zone's SOA over UDP, one
 * query outstanding, from a start time to an end time (CLOCK_REALTIME ns),
 * and writing one line per query: "NODE SEND_NS RECV_NS ANSWER", where
 * ANSWER is the SOA serial, "R<rcode>", "R-noSOA", "-" (no answer within
 * the timeout: silence) or "E" (the send failed); RECV_NS is 0 without an
 * answer. The same format as the "probe" command of probe.py in
 * tests/integration/mesh.sh, whose "check" and "report" read it.
 * Why C: the switch benchmark brackets each node's switch between the last
 * old and the first new answer, so its resolution is the gap between
 * queries; a python prober on two busy CPUs left gaps of milliseconds.
 * Must not: send anywhere but the address it is given (a test's namespace),
 * or run unbounded: the end time and a record cap bound it.
 *
 *   meshprobe OUT START_NS END_NS TARGET GAP_US ZONE NODE=SOURCE_ADDR
 *   env MESH_PROBE_TIMEOUT_MS (default 100)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORDS (4u << 20) /* 4 M queries: far more than a probe sends */

struct rec {
	uint64_t ts, tr;
	char ans[16];
};

static void sleep_ns(uint64_t d)
{
	struct timespec ts = { .tv_sec = (time_t)(d / 1000000000ull),
			       .tv_nsec = (long)(d % 1000000000ull) };

	nanosleep(&ts, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static size_t build_query(uint8_t *q, size_t cap, uint16_t id, const char *zone)
{
	size_t o = 12;
	const char *p = zone;

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[5] = 1; /* QDCOUNT */
	while (*p && *p != '.') {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 63 || o + 1 + l + 5 > cap)
			return 0;
		q[o++] = (uint8_t)l;
		memcpy(q + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	q[o++] = 0;
	q[o++] = 0;
	q[o++] = 6; /* SOA */
	q[o++] = 0;
	q[o++] = 1; /* IN */
	return o;
}

/* Offset after the name at @o, or 0 when it runs past @len. */
static size_t skip_name(const uint8_t *m, size_t len, size_t o)
{
	while (o < len) {
		uint8_t l = m[o];

		if (l == 0)
			return o + 1;
		if ((l & 0xC0) == 0xC0)
			return o + 2 <= len ? o + 2 : 0;
		o += 1u + l;
	}
	return 0;
}

/* 1 and @ans set when @m answers query @id; 0 when it is not ours. */
static int parse_answer(const uint8_t *m, size_t len, uint16_t id, char *ans, size_t cap)
{
	size_t o = 12;
	unsigned qd, an, rcode;

	if (len < 12 || (uint16_t)(m[0] << 8 | m[1]) != id || !(m[2] & 0x80))
		return 0;
	rcode = m[3] & 0xF;
	if (rcode) {
		snprintf(ans, cap, "R%u", rcode);
		return 1;
	}
	qd = (unsigned)(m[4] << 8 | m[5]);
	an = (unsigned)(m[6] << 8 | m[7]);
	for (unsigned i = 0; i < qd; i++) {
		o = skip_name(m, len, o);
		if (!o || o + 4 > len)
			goto no_soa;
		o += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		uint16_t type, rdl;

		o = skip_name(m, len, o);
		if (!o || o + 10 > len)
			goto no_soa;
		type = (uint16_t)(m[o] << 8 | m[o + 1]);
		rdl = (uint16_t)(m[o + 8] << 8 | m[o + 9]);
		o += 10;
		if (o + rdl > len)
			goto no_soa;
		if (type == 6) {
			size_t r = skip_name(m, len, o);

			r = r ? skip_name(m, len, r) : 0;
			if (!r || r + 4 > len)
				goto no_soa;
			snprintf(ans, cap, "%u",
				 (unsigned)((uint32_t)m[r] << 24 | (uint32_t)m[r + 1] << 16 |
					    (uint32_t)m[r + 2] << 8 | m[r + 3]));
			return 1;
		}
		o += rdl;
	}
no_soa:
	snprintf(ans, cap, "R-noSOA");
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	uint64_t start, end, gap, timeout = 100, next = 0;
	const char *env = getenv("MESH_PROBE_TIMEOUT_MS");
	struct rec *rec;
	size_t n = 0;
	char *eq;
	int fd, node;
	FILE *out;

	if (argc != 8 || !(eq = strchr(argv[7], '='))) {
		fprintf(stderr, "usage: meshprobe OUT START_NS END_NS TARGET GAP_US ZONE "
				"NODE=SOURCE_ADDR\n");
		return 2;
	}
	start = strtoull(argv[2], NULL, 10);
	end = strtoull(argv[3], NULL, 10);
	gap = strtoull(argv[5], NULL, 10) * 1000ull;
	node = atoi(argv[7]);
	if (env && atoi(env) > 0)
		timeout = (uint64_t)atoi(env);
	timeout *= 1000000ull;
	*eq = '\0';
	if (inet_pton(AF_INET, eq + 1, &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[4], &dst.sin_addr) != 1 || end <= start) {
		fprintf(stderr, "meshprobe: bad address or times\n");
		return 2;
	}
	dst.sin_port = htons(53);
	rec = calloc(MAX_RECORDS, sizeof(*rec));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!rec || fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("meshprobe");
		return 1;
	}

	for (uint64_t t = now_ns(); t < start; t = now_ns()) {
		sleep_ns(start - t > 50000000ull ? 50000000ull : start - t);
	}
	while (n < MAX_RECORDS) {
		uint8_t q[300], m[4096];
		uint16_t id;
		size_t qlen;
		uint64_t t = now_ns();
		struct rec *r = &rec[n];

		if (t >= end)
			break;
		if (t < next) { /* the configured gap between queries */
			sleep_ns(next - t);
			continue;
		}
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint16_t)rand();
		qlen = build_query(q, sizeof(q), id, argv[6]);
		if (!qlen) {
			fprintf(stderr, "meshprobe: bad zone name %s\n", argv[6]);
			return 2;
		}
		r->ts = now_ns();
		next = r->ts + gap;
		if (send(fd, q, qlen, 0) < 0) {
			r->tr = 0;
			snprintf(r->ans, sizeof(r->ans), "E");
			next = r->ts + timeout;
			n++;
			continue;
		}
		for (;;) {
			uint64_t w = now_ns();
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t got;

			if (w - r->ts >= timeout) {
				r->tr = 0;
				snprintf(r->ans, sizeof(r->ans), "-");
				break;
			}
			{
				uint64_t left = timeout - (w - r->ts);
				struct timespec ts = { .tv_sec = (time_t)(left / 1000000000ull),
						       .tv_nsec = (long)(left % 1000000000ull) };

				/* ppoll: nanosecond timeouts, and it sleeps (the probers
				 * share two CPUs with the nodes they measure) */
				if (ppoll(&p, 1, &ts, NULL) <= 0)
					continue;
			}
			got = recv(fd, m, sizeof(m), MSG_DONTWAIT);
			if (got < 0)
				continue;
			if (parse_answer(m, (size_t)got, id, r->ans, sizeof(r->ans))) {
				r->tr = now_ns();
				break;
			}
		}
		n++;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%d %llu %llu %s\n", node, (unsigned long long)rec[i].ts,
			(unsigned long long)rec[i].tr, rec[i].ans);
	if (fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	free(rec);
	close(fd);
	return 0;
}
