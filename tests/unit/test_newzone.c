/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/newzone: NEWZONE_NOTIFY recognition against real
 * UPDATE shapes, reading a request (the master from the answer section,
 * hostile answer sections refused), the SOA and NS answers of the master
 * (wrong ID, question, RCODE, no AA, TC, missing records), the draft's
 * §5.2 check, the response, and the persisted list (round trip, every
 * kind of bad line, cut-off files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/message.h"
#include "common/newzone.h"
#include "common/rdata.h"

static const uint8_t *N(const char *s)
{
	static uint8_t ring[8][LS_DNAME_MAXLEN];
	static int next;
	uint8_t *n = ring[next++ % 8];

	assert_true(ls_dname_from_str(n, s, NULL) > 0);
	return n;
}

static struct sockaddr_storage A4(const char *s) {
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, s, &sin->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
A6(const char *s) {
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
	return ss;
}

/* A message builder over a static buffer. */
static uint8_t wire[4096];
static struct ls_msg_writer W;
static struct ls_msg M;

static void start(uint16_t id, uint16_t flags)
{
	assert_int_equal(ls_msg_writer_init(&W, wire, sizeof(wire)), 0);
	ls_msg_set_header(&W, id, flags);
}

static void question(const char *name, uint16_t type, uint16_t cls)
{
	assert_int_equal(ls_msg_put_question(&W, N(name), type, cls), 0);
}

static void rr(enum ls_msg_section s, const char *owner, uint16_t type, const void *rd, size_t len)
{
	assert_int_equal(ls_msg_put_rr(&W, s, N(owner), type, LS_CLASS_IN, 0, rd, len), 0);
}

static const struct ls_msg *finish(void)
{
	assert_int_equal(ls_msg_parse(&M, wire, ls_msg_len(&W)), 0);
	return &M;
}

#define UPD (LS_OPCODE_UPDATE << LS_OPCODE_SHIFT)

static void test_classify(void **state)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };

	/* the NEWZONE shape */
	start(1, UPD);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	rr(LS_SECTION_ANSWER, "ns1.example.", LS_TYPE_A, v4, 4);
	assert_int_equal(ls_newzone_classify(finish()), LS_NEWZONE_CANDIDATE);
	/* a real UPDATE: zone section SOA */
	start(2, UPD);
	question("example.", LS_TYPE_SOA, LS_CLASS_IN);
	rr(LS_SECTION_AUTHORITY, "www.example.", LS_TYPE_A, v4, 4);
	assert_int_equal(ls_newzone_classify(finish()), LS_NEWZONE_UPDATE);
	/* ANY but class ANY: not ours */
	start(3, UPD);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_ANY);
	assert_int_equal(ls_newzone_classify(finish()), LS_NEWZONE_UPDATE);
	/* no question at all */
	start(4, UPD);
	assert_int_equal(ls_newzone_classify(finish()), LS_NEWZONE_UPDATE);
	/* two questions: wire written by hand (the writer allows it too) */
	start(5, UPD);
	question("a.example.", LS_TYPE_ANY, LS_CLASS_IN);
	question("b.example.", LS_TYPE_ANY, LS_CLASS_IN);
	assert_int_equal(ls_newzone_classify(finish()), LS_NEWZONE_UPDATE);
	/* a response with opcode 5 is not a request */
	start(6, UPD | LS_FLAG_QR);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	assert_int_equal(ls_newzone_classify(finish()), LS_NEWZONE_OTHER);
	/* other opcodes */
	start(7, LS_OPCODE_NOTIFY << LS_OPCODE_SHIFT);
	question("new.example.", LS_TYPE_SOA, LS_CLASS_IN);
	assert_int_equal(ls_newzone_classify(finish()), LS_NEWZONE_OTHER);
	start(8, 0);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	assert_int_equal(ls_newzone_classify(finish()), LS_NEWZONE_OTHER);
}

static void test_parse_good(void **state)
{
	struct sockaddr_storage addrs[2] = { A4("198.51.100.10"), A6("2001:db8::10") };
	struct ls_newzone_req req;
	char err[256];
	int len;

	len = ls_newzone_request(77, N("New.Example."), N("NS1.example."), addrs, 2, wire,
				 sizeof(wire));
	assert_true(len > 0);
	assert_int_equal(ls_msg_parse(&M, wire, (size_t)len), 0);
	assert_int_equal(ls_newzone_classify(&M), LS_NEWZONE_CANDIDATE);
	assert_int_equal(M.id, 77);
	assert_int_equal(ls_newzone_parse(&M, &req, err, sizeof(err)), 0);
	assert_true(ls_dname_equal(req.zone, N("new.example.")));
	assert_memory_equal(req.zone, N("new.example."), 13); /* lowercased */
	assert_memory_equal(req.master, N("ns1.example."), 13);
	assert_int_equal(req.naddrs, 2);
	assert_int_equal(req.addrs[0].ss_family, AF_INET);
	assert_memory_equal(&((struct sockaddr_in *)&req.addrs[0])->sin_addr,
			    &((struct sockaddr_in *)&addrs[0])->sin_addr, 4);
	assert_int_equal(req.addrs[1].ss_family, AF_INET6);
	assert_memory_equal(&((struct sockaddr_in6 *)&req.addrs[1])->sin6_addr,
			    &((struct sockaddr_in6 *)&addrs[1])->sin6_addr, 16);
	/* the request builder refuses nonsense */
	assert_int_equal(ls_newzone_request(1, N("x."), N("y."), addrs, 0, wire, sizeof(wire)),
			 -EINVAL);
	assert_int_equal(ls_newzone_request(1, N("x."), N("y."), addrs, 2, wire, 20), -ENOSPC);
}

static void expect_parse_fails(const char *why)
{
	struct ls_newzone_req req;
	char err[256] = "";

	assert_int_equal(ls_newzone_parse(finish(), &req, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, why));
}

static void test_parse_hostile(void **state)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	static const uint8_t ns[] = "\003ns2\007example";
	static const uint8_t soa[] = "\003ns1\007example\000\005admin\007example\000"
				     "\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1";

	/* no master */
	start(1, UPD);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	expect_parse_fails("does not name the master");
	/* a record type that is not an address */
	start(1, UPD);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	rr(LS_SECTION_ANSWER, "new.example.", LS_TYPE_NS, ns, sizeof(ns));
	expect_parse_fails("only A/AAAA");
	start(1, UPD);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	rr(LS_SECTION_ANSWER, "new.example.", LS_TYPE_SOA, soa, sizeof(soa) - 1);
	expect_parse_fails("only A/AAAA");
	/* two masters */
	start(1, UPD);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	rr(LS_SECTION_ANSWER, "ns1.example.", LS_TYPE_A, v4, 4);
	rr(LS_SECTION_ANSWER, "ns2.example.", LS_TYPE_A, v4, 4);
	expect_parse_fails("more than one master");
	/* too many addresses */
	start(1, UPD);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	for (int i = 0; i <= LS_NEWZONE_MAX_ADDRS; i++) {
		uint8_t a[4] = { 192, 0, 2, (uint8_t)(i + 1) };

		rr(LS_SECTION_ANSWER, "ns1.example.", LS_TYPE_A, a, 4);
	}
	expect_parse_fails("more than");
	/* the root as the new zone */
	start(1, UPD);
	question(".", LS_TYPE_ANY, LS_CLASS_IN);
	rr(LS_SECTION_ANSWER, "ns1.example.", LS_TYPE_A, v4, 4);
	expect_parse_fails("root");
	/* a real UPDATE handed to the parser */
	start(1, UPD);
	question("example.", LS_TYPE_SOA, LS_CLASS_IN);
	expect_parse_fails("not a NEWZONE_NOTIFY");
	/* class CH address record */
	start(1, UPD);
	question("new.example.", LS_TYPE_ANY, LS_CLASS_IN);
	assert_int_equal(
		ls_msg_put_rr(&W, LS_SECTION_ANSWER, N("ns1.example."), LS_TYPE_A, 3, 0, v4, 4), 0);
	expect_parse_fails("only A/AAAA");
}

/* An SOA or NS answer from the master. */
static const struct ls_msg *answer(uint16_t id, uint16_t flags, const char *qname, uint16_t qtype,
				   int nrecords)
{
	static const uint8_t soa[] = "\003ns1\007example\000\005admin\007example\000"
				     "\x77\x35\x94\x00\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1";
	static const uint8_t ns1[] = "\003NS1\007example";
	static const uint8_t ns2[] = "\003ns2\007example";

	start(id, LS_FLAG_QR | flags);
	question(qname, qtype, LS_CLASS_IN);
	for (int i = 0; i < nrecords; i++) {
		if (qtype == LS_TYPE_SOA)
			rr(LS_SECTION_ANSWER, qname, LS_TYPE_SOA, soa, sizeof(soa) - 1);
		else
			rr(LS_SECTION_ANSWER, qname, LS_TYPE_NS, i % 2 ? ns2 : ns1, sizeof(ns1));
	}
	return finish();
}

static void test_read_answer(void **state)
{
	const uint8_t *zone = N("new.example.");
	struct ls_newzone_auth auth;
	char err[256];

	memset(&auth, 0, sizeof(auth));
	assert_int_equal(
		ls_newzone_read_answer(answer(9, LS_FLAG_AA, "new.example.", LS_TYPE_SOA, 1), zone,
				       LS_TYPE_SOA, 9, &auth, err, sizeof(err)),
		0);
	assert_true(auth.has_soa);
	assert_true(ls_dname_equal(auth.mname, N("ns1.example.")));
	assert_int_equal(auth.serial, 2000000000u);
	/* the question may come back in another case */
	assert_int_equal(
		ls_newzone_read_answer(answer(10, LS_FLAG_AA, "NEW.example.", LS_TYPE_NS, 2), zone,
				       LS_TYPE_NS, 10, &auth, err, sizeof(err)),
		0);
	assert_int_equal(auth.nns, 2);
	assert_memory_equal(auth.ns[0], N("ns1.example."), 13); /* lowercased */
	assert_true(ls_dname_equal(auth.ns[1], N("ns2.example.")));

	/* wrong ID, wrong question, not authoritative, truncated, an error */
	assert_int_equal(
		ls_newzone_read_answer(answer(11, LS_FLAG_AA, "new.example.", LS_TYPE_SOA, 1), zone,
				       LS_TYPE_SOA, 12, &auth, err, sizeof(err)),
		-EPROTO);
	assert_int_equal(
		ls_newzone_read_answer(answer(11, LS_FLAG_AA, "other.example.", LS_TYPE_SOA, 1),
				       zone, LS_TYPE_SOA, 11, &auth, err, sizeof(err)),
		-EPROTO);
	assert_int_equal(
		ls_newzone_read_answer(answer(11, LS_FLAG_AA, "new.example.", LS_TYPE_NS, 1), zone,
				       LS_TYPE_SOA, 11, &auth, err, sizeof(err)),
		-EPROTO);
	assert_int_equal(ls_newzone_read_answer(answer(11, 0, "new.example.", LS_TYPE_SOA, 1), zone,
						LS_TYPE_SOA, 11, &auth, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "not authoritative"));
	assert_int_equal(ls_newzone_read_answer(answer(11, LS_FLAG_AA | LS_FLAG_TC, "new.example.",
						       LS_TYPE_SOA, 1),
						zone, LS_TYPE_SOA, 11, &auth, err, sizeof(err)),
			 -EPROTO);
	assert_int_equal(ls_newzone_read_answer(answer(11, LS_FLAG_AA | LS_RCODE_REFUSED,
						       "new.example.", LS_TYPE_SOA, 0),
						zone, LS_TYPE_SOA, 11, &auth, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "REFUSED"));
	/* NODATA, and two SOA records */
	assert_int_equal(
		ls_newzone_read_answer(answer(11, LS_FLAG_AA, "new.example.", LS_TYPE_NS, 0), zone,
				       LS_TYPE_NS, 11, &auth, err, sizeof(err)),
		-ENODATA);
	assert_int_equal(auth.nns, 0);
	assert_int_equal(
		ls_newzone_read_answer(answer(11, LS_FLAG_AA, "new.example.", LS_TYPE_SOA, 2), zone,
				       LS_TYPE_SOA, 11, &auth, err, sizeof(err)),
		-EPROTO);
	/* a request is not an answer; other qtypes are not read */
	start(11, LS_FLAG_AA);
	question("new.example.", LS_TYPE_SOA, LS_CLASS_IN);
	assert_int_equal(
		ls_newzone_read_answer(finish(), zone, LS_TYPE_SOA, 11, &auth, err, sizeof(err)),
		-EPROTO);
	assert_int_equal(ls_newzone_read_answer(&M, zone, LS_TYPE_A, 11, &auth, err, sizeof(err)),
			 -EINVAL);
}

static void test_check(void **state)
{
	struct ls_newzone_req req;
	struct ls_newzone_auth auth;
	char err[256];

	memset(&req, 0, sizeof(req));
	memset(&auth, 0, sizeof(auth));
	ls_dname_copy_lower(req.master, N("ns2.example."));
	/* nothing read yet */
	assert_int_equal(ls_newzone_check(&req, &auth, err, sizeof(err)), -EPERM);
	auth.has_soa = true;
	ls_dname_copy_lower(auth.mname, N("ns1.example."));
	assert_int_equal(ls_newzone_check(&req, &auth, err, sizeof(err)), -EPERM); /* no NS */
	ls_dname_copy_lower(auth.ns[auth.nns++], N("ns3.example."));
	assert_int_equal(ls_newzone_check(&req, &auth, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "ns2.example."));
	/* in the NS set */
	ls_dname_copy_lower(auth.ns[auth.nns++], N("ns2.example."));
	assert_int_equal(ls_newzone_check(&req, &auth, err, sizeof(err)), 0);
	/* the MNAME */
	auth.nns = 1;
	ls_dname_copy_lower(req.master, N("NS1.example."));
	assert_int_equal(ls_newzone_check(&req, &auth, err, sizeof(err)), 0);
}

static void test_response(void **state)
{
	struct sockaddr_storage a = A4("198.51.100.10");
	uint8_t q[512], r[512];
	struct ls_msg qm, rm;
	int qlen, rlen;

	qlen = ls_newzone_request(4242, N("New.example."), N("ns1.example."), &a, 1, q, sizeof(q));
	assert_true(qlen > 0);
	assert_int_equal(ls_msg_parse(&qm, q, (size_t)qlen), 0);
	rlen = ls_newzone_response(&qm, LS_RCODE_SERVFAIL, r, sizeof(r));
	assert_true(rlen > 0);
	assert_int_equal(ls_msg_parse(&rm, r, (size_t)rlen), 0);
	assert_int_equal(rm.id, 4242);
	assert_true(rm.flags & LS_FLAG_QR);
	assert_int_equal(ls_msg_opcode(&rm), LS_OPCODE_UPDATE);
	assert_int_equal(ls_msg_rcode(&rm), LS_RCODE_SERVFAIL);
	assert_int_equal(rm.count[LS_SECTION_QUESTION], 1);
	assert_int_equal(rm.count[LS_SECTION_ANSWER], 0);
	assert_memory_equal(rm.qname, qm.qname, qm.qname_len); /* case echoed */
	assert_int_equal(rm.qtype, LS_TYPE_ANY);
	assert_int_equal(ls_newzone_response(&qm, LS_RCODE_NOERROR, r, 11), -ENOSPC);
	assert_int_equal(ls_newzone_response(&qm, LS_RCODE_NOERROR, r, 20), -ENOSPC);
}

static void test_list_roundtrip(void **state)
{
	struct ls_newzone_list l = { 0 }, back = { 0 };
	char err[256], *text;
	long len;

	assert_int_equal(ls_newzone_list_add(&l, N("A.example."), "knot"), 0);
	assert_int_equal(ls_newzone_list_add(&l, N("b\\ c.example."), "peer-2"), 0);
	assert_int_equal(ls_newzone_list_add(&l, N("a.EXAMPLE."), "knot"), -EEXIST);
	assert_int_equal(ls_newzone_list_add(&l, N("c.example."), ""), -EINVAL);
	assert_int_equal(ls_newzone_list_add(&l, N("c.example."), "has space"), -EINVAL);
	for (int i = 0; i < 20; i++) {
		char name[64];

		snprintf(name, sizeof(name), "z%d.example.", i);
		assert_int_equal(ls_newzone_list_add(&l, N(name), "knot"), 0);
	}
	len = ls_newzone_list_format(&l, &text);
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(text));
	assert_non_null(strstr(text, "a.example. knot\n"));
	assert_non_null(strstr(text, "b\\032c.example. peer-2\n"));
	assert_int_equal(ls_newzone_list_parse(&back, text, (size_t)len, err, sizeof(err)), 0);
	assert_int_equal(back.count, l.count);
	for (size_t i = 0; i < l.count; i++) {
		assert_true(ls_dname_equal(back.v[i].zone, l.v[i].zone));
		assert_string_equal(back.v[i].remote, l.v[i].remote);
	}
	assert_non_null(ls_newzone_list_find(&back, N("B\\032C.example.")));
	assert_int_equal(ls_newzone_list_remove(&back, N("a.example.")), 0);
	assert_int_equal(ls_newzone_list_remove(&back, N("a.example.")), -ENOENT);
	assert_null(ls_newzone_list_find(&back, N("a.example.")));
	assert_int_equal(back.count, l.count - 1);
	free(text);
	/* an empty list is the magic line alone, and reads back empty */
	ls_newzone_list_clear(&back);
	len = ls_newzone_list_format(&back, &text);
	assert_string_equal(text, LS_NEWZONE_LIST_MAGIC "\n");
	assert_int_equal(ls_newzone_list_parse(&back, text, (size_t)len, err, sizeof(err)), 0);
	assert_int_equal(back.count, 0);
	free(text);
	ls_newzone_list_clear(&l);
	ls_newzone_list_clear(&back);
	ls_newzone_list_clear(NULL);
}

static void expect_list_bad(const char *text, size_t len, const char *why)
{
	struct ls_newzone_list l = { 0 };
	char err[256] = "";

	assert_int_equal(ls_newzone_list_parse(&l, text, len, err, sizeof(err)), -EBADMSG);
	assert_int_equal(l.count, 0);
	assert_null(l.v);
	if (!strstr(err, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err);
}

#define MAGIC LS_NEWZONE_LIST_MAGIC "\n"
#define BAD(s, why) expect_list_bad(s, sizeof(s) - 1, why)

static void test_list_hostile(void **state)
{
	static const char nul[] = MAGIC "a.example\0. knot\n";
	struct ls_newzone_list l = { 0 };
	char err[256], big[1200];

	BAD("", "empty");
	BAD(MAGIC "a.example. knot", "newline");
	BAD("# lockstep newzone list v2\n", "line 1");
	BAD("a.example. knot\n", "line 1");
	BAD(MAGIC "a.example.\n", "line 2");
	BAD(MAGIC "a.example.  knot\n", "line 2: bad remote");
	BAD(MAGIC "a.example. knot extra\n", "line 2: bad remote");
	BAD(MAGIC "a.example. kn\tot\n", "line 2: bad remote");
	BAD(MAGIC "relative knot\n", "line 2: bad zone");
	BAD(MAGIC ". knot\n", "line 2: bad zone");
	BAD(MAGIC " knot\n", "line 2: bad zone");
	BAD(MAGIC "a..example. knot\n", "line 2: bad zone");
	BAD(MAGIC "\n# note\na.example. knot\nA.Example. knot\n",
	    "line 5: A.Example. listed twice");
	expect_list_bad(nul, sizeof(nul) - 1, "line 2: bad zone");
	/* a label over 63 octets */
	memset(big, 'a', sizeof(big));
	memcpy(big, MAGIC, strlen(MAGIC));
	memcpy(big + strlen(MAGIC) + 70, ". knot\n", 7);
	expect_list_bad(big, strlen(MAGIC) + 77, "line 2: bad zone");
	/* a remote id over 255 octets */
	memcpy(big + strlen(MAGIC), "a. ", 3);
	big[strlen(MAGIC) + 3 + 300] = '\n';
	expect_list_bad(big, strlen(MAGIC) + 304, "line 2: bad remote");
	/* a good file after a bad one: the list is cleared first */
	assert_int_equal(
		ls_newzone_list_parse(&l, MAGIC "x. r\n", strlen(MAGIC) + 5, err, sizeof(err)), 0);
	assert_int_equal(l.count, 1);
	assert_int_equal(
		ls_newzone_list_parse(&l, MAGIC "y. r\n", strlen(MAGIC) + 5, err, sizeof(err)), 0);
	assert_int_equal(l.count, 1);
	assert_true(ls_dname_equal(l.v[0].zone, N("y.")));
	ls_newzone_list_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),       cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_hostile),  cmocka_unit_test(test_read_answer),
		cmocka_unit_test(test_check),	       cmocka_unit_test(test_response),
		cmocka_unit_test(test_list_roundtrip), cmocka_unit_test(test_list_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
