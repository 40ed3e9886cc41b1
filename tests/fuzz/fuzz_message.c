/* SPDX-License-Identifier: MIT */
/*
 * fuzz_message.c — libFuzzer target for common/message (and the RDATA code
 * it drives). Parse an arbitrary message; iterate every section; render
 * every record; check each RDATA's canonical form; then write the message
 * again with the writer and require that it reads back to the same records.
 * Must not: crash, leak, read out of bounds, or find a round-trip mismatch.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/message.h"
#include "common/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[LS_MSG_MAXLEN];
static struct ls_msg_writer w;
static struct ls_msg_rr r1, r2;
static char s1[70000], s2[70000];
static uint8_t canon[LS_RDATA_MAXLEN];
static uint8_t c1[LS_RDATA_MAXLEN], c2[LS_RDATA_MAXLEN];

/* The RDATA checks every record must pass once iteration accepted it. */
static void check_rdata(const struct ls_msg_rr *r)
{
	if (r->section == LS_SECTION_QUESTION || r->rdlen == 0)
		return;
	if (ls_rdata_check(r->type, r->rdata, r->rdlen) != 0)
		abort();
	memcpy(canon, r->rdata, r->rdlen);
	if (ls_rdata_canonicalize(r->type, canon, r->rdlen) != 0)
		abort();
	if (ls_rdata_check(r->type, canon, r->rdlen) != 0)
		abort();
	if (ls_rdata_to_str(s2, sizeof(s2), r->type, canon, r->rdlen) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_msg m, m2;
	struct ls_msg_iter it, it2;
	int err;

	if (ls_msg_parse(&m, data, size) != 0)
		return 0;
	(void)ls_msg_rcode_name(ls_msg_rcode(&m));
	(void)ls_msg_opcode_name(ls_msg_opcode(&m));

	if (ls_msg_writer_init(&w, out, sizeof(out)) != 0)
		abort();
	ls_msg_set_header(&w, m.id, m.flags);
	for (int s = LS_SECTION_QUESTION; s <= LS_SECTION_ADDITIONAL; s++) {
		ls_msg_iter_init(&it, &m, (enum ls_msg_section)s);
		while ((err = ls_msg_iter_next(&it, &r1)) > 0) {
			if (ls_msg_rr_to_str(s1, sizeof(s1), &r1) < 0)
				abort();
			check_rdata(&r1);
			if (s == LS_SECTION_QUESTION)
				err = ls_msg_put_question(&w, r1.owner, r1.type, r1.rclass);
			else if (r1.type == LS_TYPE_OPT)
				err = ls_msg_put_opt(&w, &m.edns);
			else
				err = ls_msg_put_rr(&w, (enum ls_msg_section)s, r1.owner, r1.type,
						    r1.rclass, r1.ttl, r1.rdata, r1.rdlen);
			/* Decompressed names may not fit 64 KiB again; nothing
			 * else may fail. */
			if (err == -ENOSPC)
				return 0;
			if (err != 0)
				abort();
		}
		if (err < 0)
			return 0; /* malformed RDATA: the message is refused */
	}

	/* Read the rewrite back: the same records, in the same order. */
	if (ls_msg_parse(&m2, out, ls_msg_len(&w)) != 0)
		abort();
	if (m2.id != m.id || m2.flags != m.flags || m2.has_edns != m.has_edns ||
	    m2.has_tsig != m.has_tsig || m2.end != ls_msg_len(&w))
		abort();
	for (int s = LS_SECTION_QUESTION; s <= LS_SECTION_ADDITIONAL; s++) {
		if (m2.count[s] != m.count[s])
			abort();
		ls_msg_iter_init(&it, &m, (enum ls_msg_section)s);
		ls_msg_iter_init(&it2, &m2, (enum ls_msg_section)s);
		while (ls_msg_iter_next(&it, &r1) > 0) {
			if (ls_msg_iter_next(&it2, &r2) != 1)
				abort();
			if (ls_msg_rr_to_str(s1, sizeof(s1), &r1) < 0 ||
			    ls_msg_rr_to_str(s2, sizeof(s2), &r2) < 0 || strcasecmp(s1, s2) != 0)
				abort();
			/* Equal but for the case of compressed names: compression
			 * ignores case (as knotd's does), so a name may read back
			 * in the spelling it points to. Canonical forms lowercase
			 * every name a writer may compress. */
			if (r1.owner_len != r2.owner_len || !ls_dname_equal(r1.owner, r2.owner) ||
			    r1.type != r2.type || r1.rclass != r2.rclass || r1.ttl != r2.ttl ||
			    r1.rdlen != r2.rdlen)
				abort();
			if (r1.rdlen) {
				memcpy(c1, r1.rdata, r1.rdlen);
				memcpy(c2, r2.rdata, r2.rdlen);
				if (ls_rdata_canonicalize(r1.type, c1, r1.rdlen) == 0 &&
				    (ls_rdata_canonicalize(r2.type, c2, r2.rdlen) != 0 ||
				     memcmp(c1, c2, r1.rdlen) != 0))
					abort();
				if (!ls_rdata_may_compress(r1.type) &&
				    memcmp(r1.rdata, r2.rdata, r1.rdlen) != 0)
					abort();
			}
		}
	}
	return 0;
}
