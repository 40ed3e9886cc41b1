/* SPDX-License-Identifier: MIT */
/*
 * Fuzz common/newzone. The first octet picks the input kind:
 *  - even: a DNS message — classified; a NEWZONE_NOTIFY candidate is read
 *    as a request; any message is read as the master's SOA and NS answers
 *    and the §5.2 check runs over what was read; a response is built.
 *  - odd: a persisted newzone list — parsed; a list that parses is
 *    formatted and parsed again, and must come back equal.
 * Invariants checked: a candidate is opcode 5 with one ANY IN question; a
 * parsed request names a master with 1..8 addresses; the list round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/message.h"
#include "common/newzone.h"
#include "common/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_message(const uint8_t *data, size_t size)
{
	static struct ls_newzone_auth auth;
	struct ls_newzone_req req;
	struct ls_msg m;
	uint8_t out[600];
	char err[256];

	if (ls_msg_parse(&m, data, size) != 0)
		return;
	if (ls_newzone_classify(&m) == LS_NEWZONE_CANDIDATE) {
		if (ls_msg_opcode(&m) != LS_OPCODE_UPDATE || m.qtype != LS_TYPE_ANY ||
		    m.count[LS_SECTION_QUESTION] != 1)
			abort();
		if (ls_newzone_parse(&m, &req, err, sizeof(err)) == 0 &&
		    (req.naddrs == 0 || req.naddrs > LS_NEWZONE_MAX_ADDRS))
			abort();
	}
	memset(&auth, 0, sizeof(auth));
	memset(&req, 0, sizeof(req));
	if (m.qname_len > 0) {
		ls_newzone_read_answer(&m, m.qname, LS_TYPE_SOA, m.id, &auth, err, sizeof(err));
		ls_newzone_read_answer(&m, m.qname, LS_TYPE_NS, m.id, &auth, err, sizeof(err));
		if (auth.nns > LS_NEWZONE_MAX_NS)
			abort();
		ls_newzone_check(&req, &auth, err, sizeof(err));
	}
	ls_newzone_response(&m, LS_RCODE_SERVFAIL, out, sizeof(out));
}

static void fuzz_list(const char *text, size_t size)
{
	struct ls_newzone_list l = { 0 }, back = { 0 };
	char err[256], *out;
	long len;

	if (ls_newzone_list_parse(&l, text, size, err, sizeof(err)) != 0)
		goto clear;
	len = ls_newzone_list_format(&l, &out);
	if (len < 0)
		goto clear;
	if (ls_newzone_list_parse(&back, out, (size_t)len, err, sizeof(err)) != 0 ||
	    back.count != l.count)
		abort();
	for (size_t i = 0; i < l.count; i++) {
		if (!ls_dname_equal(l.v[i].zone, back.v[i].zone) ||
		    strcmp(l.v[i].remote, back.v[i].remote) != 0)
			abort();
	}
	free(out);
clear:
	ls_newzone_list_clear(&l);
	ls_newzone_list_clear(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_list((const char *)data + 1, size - 1);
	else
		fuzz_message(data + 1, size - 1);
	return 0;
}
