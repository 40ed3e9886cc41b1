/* SPDX-License-Identifier: MIT */
/*
 * dnsdiff.c — the engine against a reference server, query by query.
 *
 * Owns: loading the zones the reference serves, reading a query list
 * (one "name type do edns" line per query: do 0/1, edns -1 for none or the
 * payload size), sending each query over UDP to the reference (a window of
 * queries in flight, each with a timeout and bounded retries), answering the
 * same query octets with ls_engine_respond() in-process, and comparing RCODE,
 * AA, TC, the OPT (payload, DO, version) and the RRsets of every section as
 * multisets. Differences that docs/answering.md lists are recognised by
 * narrow rules (see allowed()) and counted per class; anything else fails.
 * With --bench N and no server it only times the engine over the list.
 * Must not: be used as a load generator against anything but a test server.
 *
 *   dnsdiff --zone ORIGIN=FILE... --queries FILE [--server ADDR --port N]
 *           [--show N] [--bench ROUNDS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/engine.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/rdata.h"
#include "common/zone.h"
#include "common/zonefile.h"

#define MAX_ZONES 16
#define WINDOW 64
#define TIMEOUT_NS 1000000000ull
#define RETRIES 3

struct query {
	uint8_t wire[LS_DNAME_MAXLEN + 32];
	uint16_t len;
	uint8_t tries;
	char text[300];
};

static struct ls_zone *zones[MAX_ZONES];
static int nzones;

static const struct ls_zone *lookup(void *ctx, const uint8_t *qname, bool *silent)
{
	const struct ls_zone *best = NULL;
	int best_labels = -1;

	*silent = false;
	for (int i = 0; i < nzones; i++) {
		const uint8_t *o = ls_zone_origin(zones[i]);
		int l = ls_dname_labels(o);
		if (l > best_labels && ls_dname_is_sub(qname, o)) {
			best = zones[i];
			best_labels = l;
		}
	}
	return best;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "name type do edns" -> wire query with @id. */
static int build_query(struct query *q, const char *line, uint16_t id)
{
	char name[256], type[32];
	int dobit, edns;
	uint8_t qname[LS_DNAME_MAXLEN];
	uint16_t qtype;
	struct ls_msg_writer *w = malloc(sizeof(*w));
	int err = -EINVAL;

	if (!w)
		return -ENOMEM;
	if (sscanf(line, "%255s %31s %d %d", name, type, &dobit, &edns) != 4 ||
	    ls_dname_from_str(qname, name, NULL) < 0 || ls_rrtype_from_str(type, &qtype) < 0)
		goto out;
	ls_msg_writer_init(w, q->wire, sizeof(q->wire));
	ls_msg_set_header(w, id, 0);
	if (ls_msg_put_question(w, qname, qtype, LS_CLASS_IN))
		goto out;
	if (edns >= 0) {
		struct ls_msg_edns e = { .udp_size = (uint16_t)edns,
					 .flags = dobit ? LS_EDNS_DO : 0 };
		if (ls_msg_put_opt(w, &e))
			goto out;
	}
	q->len = (uint16_t)ls_msg_len(w);
	/* the query line, cut to fit: it is only shown in mismatch reports */
	size_t tl = strcspn(line, "\n");
	if (tl >= sizeof(q->text))
		tl = sizeof(q->text) - 1;
	memcpy(q->text, line, tl);
	q->text[tl] = 0;
	err = 0;
out:
	free(w);
	return err;
}

/* ---- comparison ---- */

#define MAX_RRS 512

struct view {
	struct ls_msg m;
	unsigned rcode;
	bool aa, tc, opt, do_bit;
	uint16_t udp;
	uint8_t version;
	int n[4];
	char *rr[4][MAX_RRS];
};

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void view_clear(struct view *v)
{
	for (int s = 1; s < 4; s++)
		for (int i = 0; i < v->n[s]; i++)
			free(v->rr[s][i]);
	memset(v->n, 0, sizeof(v->n));
}

/* One RR as "owner ttl class type rdata", owner and embedded names lowercased. */
static int view_load(struct view *v, const uint8_t *wire, size_t len)
{
	static struct ls_msg_rr rr;
	static char buf[4 * 65536 + 1024];
	struct ls_msg_iter it;
	int r;

	view_clear(v);
	if (ls_msg_parse(&v->m, wire, len) < 0)
		return -EBADMSG;
	v->rcode = ls_msg_rcode(&v->m);
	v->aa = v->m.flags & LS_FLAG_AA;
	v->tc = v->m.flags & LS_FLAG_TC;
	v->opt = v->m.has_edns;
	v->do_bit = v->m.has_edns && (v->m.edns.flags & LS_EDNS_DO);
	v->udp = v->m.edns.udp_size;
	v->version = v->m.edns.version;
	for (int s = 1; s < 4; s++) {
		ls_msg_iter_init(&it, &v->m, s);
		while ((r = ls_msg_iter_next(&it, &rr)) == 1) {
			if (rr.type == LS_TYPE_OPT)
				continue;
			if (v->n[s] == MAX_RRS)
				return -E2BIG;
			ls_dname_lower(rr.owner);
			if (rr.rdata != rr.rdbuf) {
				memcpy(rr.rdbuf, rr.rdata, rr.rdlen);
				rr.rdata = rr.rdbuf;
			}
			ls_rdata_canonicalize(rr.type, rr.rdbuf, rr.rdlen);
			if (ls_msg_rr_to_str(buf, sizeof(buf), &rr) < 0)
				return -EBADMSG;
			v->rr[s][v->n[s]++] = strdup(buf);
		}
		if (r < 0)
			return r;
		qsort(v->rr[s], (size_t)v->n[s], sizeof(char *), cmpstr);
	}
	return 0;
}

static bool same_section(const struct view *a, const struct view *b, int s)
{
	if (a->n[s] != b->n[s])
		return false;
	for (int i = 0; i < a->n[s]; i++)
		if (strcmp(a->rr[s][i], b->rr[s][i]))
			return false;
	return true;
}

/* Sections equal except @s, where @sub's records are all in @super's. */
static bool subset_in(const struct view *sub, const struct view *super, int s)
{
	int j = 0;

	for (int i = 0; i < sub->n[s]; i++) {
		while (j < super->n[s] && strcmp(super->rr[s][j], sub->rr[s][i]) < 0)
			j++;
		if (j == super->n[s] || strcmp(super->rr[s][j], sub->rr[s][i]))
			return false;
		j++;
	}
	return true;
}

static bool header_equal(const struct view *a, const struct view *b)
{
	return a->rcode == b->rcode && a->aa == b->aa && a->tc == b->tc && a->opt == b->opt &&
	       (!a->opt ||
		(a->do_bit == b->do_bit && a->udp == b->udp && a->version == b->version));
}

/* The whole response of the reference over TCP (RFC 7766 framing). */
static int tcp_query(const struct sockaddr_in *sa, const uint8_t *q, size_t qlen, uint8_t *out,
		     size_t cap)
{
	struct timeval tv = { .tv_sec = 2 };
	uint8_t hdr[2] = { (uint8_t)(qlen >> 8), (uint8_t)qlen };
	size_t got = 0, want = 2;
	int fd = socket(AF_INET, SOCK_STREAM, 0), n = -1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    send(fd, hdr, 2, MSG_MORE) != 2 || send(fd, q, qlen, 0) != (ssize_t)qlen)
		goto out;
	while (got < want) {
		ssize_t r = recv(fd, out + got, want - got, 0);
		if (r <= 0)
			goto out;
		got += (size_t)r;
		if (got == 2 && want == 2) {
			want = 2 + (size_t)((out[0] << 8) | out[1]);
			if (want > cap)
				goto out;
		}
	}
	memmove(out, out + 2, want - 2);
	n = (int)(want - 2);
out:
	close(fd);
	return n;
}

static bool sections_equal(const struct view *a, const struct view *b)
{
	return same_section(a, b, 1) && same_section(a, b, 2) && same_section(a, b, 3);
}

/*
 * Differences docs/answering.md explains, each recognised as narrowly as
 * possible. Returns the class name, or NULL: a real mismatch.
 */
static const char *allowed(const struct view *ours, const struct view *ref, const struct query *q,
			   const struct sockaddr_in *sa)
{
	static uint8_t full[LS_MSG_MAXLEN], ourfull[LS_MSG_MAXLEN];
	static struct view rtcp, otcp;
	struct ls_msg qm;

	if (ours->rcode != ref->rcode || ours->aa != ref->aa || ours->opt != ref->opt ||
	    ls_msg_parse(&qm, q->wire, q->len) != 0)
		return NULL;
	/* Every allowed class rests on this: the complete answers (TCP, no size
	 * limit) of both servers are identical, so the difference is only in
	 * what each fits into the UDP size. */
	int rn = tcp_query(sa, q->wire, q->len, full, sizeof(full));
	int on = ls_engine_respond(q->wire, q->len, LS_ENGINE_TCP, lookup, NULL, ourfull,
				   sizeof(ourfull), NULL);
	if (rn <= 0 || on <= 0 || view_load(&rtcp, full, (size_t)rn) ||
	    view_load(&otcp, ourfull, (size_t)on) || !sections_equal(&rtcp, &otcp) ||
	    rtcp.rcode != otcp.rcode || rtcp.tc || otcp.tc)
		return NULL;
	size_t limit = 512;
	if (qm.has_edns && qm.edns.udp_size > 512)
		limit = qm.edns.udp_size < 1232 ? qm.edns.udp_size : 1232;

	/* answering.md "Truncation": both set TC; what each kept of a response
	 * that did not fit differs (lockstep: nothing, or the referral without the
	 * in-domain glue that did not fit; knotd: the RRsets that fitted).
	 * RFC 2181 §9: a client re-asks over TCP and ignores the content. */
	if (ours->tc && ref->tc && header_equal(ours, ref))
		return "truncated-content-differs";

	/* answering.md "Compression": lockstep compresses every repeated suffix,
	 * knotd mostly against the question, so near the limit lockstep still fits
	 * what knotd must truncate or leave out (optional additional records). */
	if (!ours->tc && subset_in(ref, ours, 1) && subset_in(ref, ours, 2) &&
	    subset_in(ref, ours, 3) && subset_in(ours, &otcp, 1) && subset_in(ours, &otcp, 2) &&
	    subset_in(ours, &otcp, 3) && (size_t)rn > limit)
		return ref->tc ? "compression-fits-where-knotd-truncates" :
				 "compression-fits-more-additional";

	/* answering.md "Negative answers that do not fit": knotd leaves out the
	 * SOA and the NSEC/NSEC3 proof when they do not fit and clears TC;
	 * lockstep sets TC (RFC 4035 §3.1.1, RFC 2308 §3). */
	if (ours->tc && !ref->tc && ours->n[1] + ours->n[2] + ours->n[3] == 0 &&
	    same_section(ref, &otcp, 1) && subset_in(ref, &otcp, 2) && ref->n[2] < otcp.n[2] &&
	    (size_t)rn > limit)
		return "negative-proof-does-not-fit";
	return NULL;
}

/* ---- the run ---- */

struct stats_class {
	const char *name;
	unsigned long n;
};

static int usage(void)
{
	fprintf(stderr, "usage: dnsdiff --zone ORIGIN=FILE... --queries FILE "
			"[--server ADDR --port N] [--show N] [--bench ROUNDS]\n");
	return 2;
}

static void print_header(const char *who, const struct view *v)
{
	printf("  %s: rcode=%s aa=%d tc=%d opt=%d do=%d udp=%u records=%d/%d/%d\n", who,
	       ls_msg_rcode_name(v->rcode) ? ls_msg_rcode_name(v->rcode) : "?", v->aa, v->tc,
	       v->opt, v->do_bit, v->udp, v->n[1], v->n[2], v->n[3]);
}

/* The records of @a that @b lacks, section by section. */
static void print_only(const char *who, const struct view *a, const struct view *b)
{
	for (int s = 1; s < 4; s++)
		for (int i = 0; i < a->n[s]; i++) {
			bool found = false;
			for (int j = 0; j < b->n[s] && !found; j++)
				found = !strcmp(a->rr[s][i], b->rr[s][j]);
			if (!found)
				printf("    only %s %-10s %s\n", who, ls_msg_section_name(s),
				       a->rr[s][i]);
		}
}

static void print_diff(const struct view *ours, const struct view *ref)
{
	print_header("lockstep", ours);
	print_header("knotd   ", ref);
	print_only("lockstep", ours, ref);
	print_only("knotd   ", ref, ours);
}

static int bench(struct query *qs, size_t nq, int rounds)
{
	static uint8_t resp[LS_MSG_MAXLEN];
	struct ls_engine_stats st = { 0 };
	uint64_t t0 = now_ns(), bytes = 0;

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < nq; i++) {
			int n = ls_engine_respond(qs[i].wire, qs[i].len, LS_ENGINE_UDP, lookup,
						  NULL, resp, sizeof(resp), &st);
			bytes += n > 0 ? (uint64_t)n : 0;
		}
	uint64_t dt = now_ns() - t0;
	if (rounds == 1)
		for (size_t i = 0; i < nq && i < 20; i++)
			printf("%s: %d octets\n", qs[i].text,
			       ls_engine_respond(qs[i].wire, qs[i].len, LS_ENGINE_UDP, lookup, NULL,
						 resp, sizeof(resp), NULL));
	printf("engine: %zu queries x %d rounds in %.3f s: %.0f ns/query (%llu response octets)\n",
	       nq, rounds, dt / 1e9, (double)dt / ((double)nq * rounds), (unsigned long long)bytes);
	return 0;
}

int main(int argc, char **argv)
{
	const char *qfile = NULL, *server = "127.0.0.1";
	int port = 0, show = 20, rounds = 0;
	static struct view ours, ref;
	static uint8_t resp[LS_MSG_MAXLEN], rbuf[LS_MSG_MAXLEN];
	struct stats_class classes[32] = { { 0 } };
	int nclasses = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--zone") && i + 1 < argc) {
			char *eq = strchr(argv[++i], '=');
			uint8_t origin[LS_DNAME_MAXLEN];
			struct ls_zone_problems *pr = NULL;
			if (!eq || nzones == MAX_ZONES)
				return usage();
			*eq = 0;
			if (ls_dname_from_str(origin, argv[i], NULL) < 0)
				return usage();
			int err = ls_zonefile_load(eq + 1, origin, NULL, &zones[nzones], &pr);
			if (err) {
				char line[1024];
				fprintf(stderr, "dnsdiff: %s: %s\n", eq + 1, strerror(-err));
				for (size_t k = 0; pr && k < pr->count && k < 10; k++) {
					ls_zone_problem_format(line, sizeof(line), &pr->v[k]);
					fprintf(stderr, "  %s\n", line);
				}
				ls_zone_problems_free(pr);
				return 1;
			}
			ls_zone_problems_free(pr);
			nzones++;
		} else if (!strcmp(argv[i], "--queries") && i + 1 < argc) {
			qfile = argv[++i];
		} else if (!strcmp(argv[i], "--server") && i + 1 < argc) {
			server = argv[++i];
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			port = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--show") && i + 1 < argc) {
			show = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--bench") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else {
			return usage();
		}
	}
	if (!qfile || !nzones || (!port && !rounds))
		return usage();

	/* the query list */
	FILE *f = fopen(qfile, "r");
	if (!f) {
		perror(qfile);
		return 1;
	}
	size_t nq = 0, capq = 1024;
	struct query *qs = malloc(capq * sizeof(*qs));
	char line[512];
	while (qs && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (nq == capq)
			qs = realloc(qs, (capq *= 2) * sizeof(*qs));
		if (!qs)
			break;
		if (build_query(&qs[nq], line, (uint16_t)nq)) {
			fprintf(stderr, "dnsdiff: bad query line: %s", line);
			return 1;
		}
		qs[nq].tries = 0;
		nq++;
	}
	fclose(f);
	if (!qs)
		return 1;
	if (rounds) {
		int rc = bench(qs, nq, rounds);
		for (int i = 0; i < nzones; i++)
			ls_zone_free(zones[i]);
		free(qs);
		return rc;
	}

	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (fd < 0 || inet_pton(AF_INET, server, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dnsdiff: socket");
		return 1;
	}

	/* the window: slot = id % WINDOW; ids are query indices mod 65536 */
	size_t inflight[WINDOW];
	uint64_t sent_at[WINDOW];
	bool busy[WINDOW] = { false };
	size_t next = 0, done = 0, lost = 0, mismatches = 0, exact = 0;
	unsigned long rcodes[32] = { 0 };

	while (done < nq) {
		/* fill the window */
		for (int k = 0; k < WINDOW && next < nq; k++) {
			size_t slot = next % WINDOW;
			if (busy[slot])
				break;
			if (send(fd, qs[next].wire, qs[next].len, 0) < 0 && errno != EAGAIN)
				perror("dnsdiff: send");
			busy[slot] = true;
			inflight[slot] = next;
			sent_at[slot] = now_ns();
			next++;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		poll(&p, 1, 50);
		ssize_t n;
		while ((n = recv(fd, rbuf, sizeof(rbuf), 0)) > 0) {
			if (n < 12)
				continue;
			uint16_t id = (uint16_t)((rbuf[0] << 8) | rbuf[1]);
			size_t slot = id % WINDOW;
			if (!busy[slot] || (uint16_t)inflight[slot] != id)
				continue; /* a late duplicate after a retry */
			size_t qi = inflight[slot];
			busy[slot] = false;
			done++;

			int ol = ls_engine_respond(qs[qi].wire, qs[qi].len, LS_ENGINE_UDP, lookup,
						   NULL, resp, sizeof(resp), NULL);
			int e1 = ol > 0 ? view_load(&ours, resp, (size_t)ol) : -ENODATA;
			int e2 = view_load(&ref, rbuf, (size_t)n);
			if (e2 == 0)
				rcodes[ref.rcode & 31]++;
			if (e1 == 0 && e2 == 0 && header_equal(&ours, &ref) &&
			    same_section(&ours, &ref, 1) && same_section(&ours, &ref, 2) &&
			    same_section(&ours, &ref, 3)) {
				exact++;
				continue;
			}
			const char *cls =
				(e1 == 0 && e2 == 0) ? allowed(&ours, &ref, &qs[qi], &sa) : NULL;
			if (cls) {
				int c;
				for (c = 0; c < nclasses && strcmp(classes[c].name, cls); c++)
					;
				if (c == nclasses && nclasses < 32)
					classes[nclasses++].name = cls;
				if (c < 32)
					classes[c].n++;
				continue;
			}
			mismatches++;
			if ((int)mismatches <= show) {
				printf("MISMATCH %s (ours %d/%d, ref %d)\n", qs[qi].text, ol, e1,
				       e2);
				if (e1 == 0 && e2 == 0)
					print_diff(&ours, &ref);
			}
		}
		/* timeouts and retries */
		uint64_t t = now_ns();
		for (size_t slot = 0; slot < WINDOW; slot++) {
			if (!busy[slot] || t - sent_at[slot] < TIMEOUT_NS)
				continue;
			size_t qi = inflight[slot];
			if (++qs[qi].tries > RETRIES) {
				busy[slot] = false;
				done++;
				lost++;
				continue;
			}
			send(fd, qs[qi].wire, qs[qi].len, 0);
			sent_at[slot] = t;
		}
	}
	close(fd);

	printf("dnsdiff: %zu queries, %zu identical, %zu lost, %zu mismatches\n", nq, exact, lost,
	       mismatches);
	printf("dnsdiff: reference rcodes:");
	for (int r = 0; r < 32; r++)
		if (rcodes[r])
			printf(" %s=%lu", ls_msg_rcode_name(r) ? ls_msg_rcode_name(r) : "?",
			       rcodes[r]);
	printf("\n");
	for (int c = 0; c < nclasses; c++)
		printf("dnsdiff: allowed difference %-40s %lu\n", classes[c].name, classes[c].n);
	view_clear(&ours);
	view_clear(&ref);
	for (int i = 0; i < nzones; i++)
		ls_zone_free(zones[i]);
	free(qs);
	/* a lost query is a failure too: the comparison must cover every query */
	return mismatches || lost ? 1 : 0;
}
