/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rdata.c — libFuzzer target for common/rdata. Input: a 16-bit type,
 * then RDATA. Whatever ls_rdata_check() accepts must render (and refuse
 * short output buffers cleanly), canonicalise idempotently, read back
 * unchanged through ls_rdata_unpack(), and survive a trip through the
 * message writer (with name compression) and parser byte for byte.
 * Must not: crash, leak, read out of bounds, or find a disagreement.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/message.h"
#include "common/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char str[300000];
static uint8_t copy[LS_RDATA_MAXLEN], copy2[LS_RDATA_MAXLEN], msg[LS_MSG_MAXLEN];
static uint8_t out[LS_RDATA_MAXLEN + 1024];
static struct ls_msg_writer w;
static struct ls_msg_rr rr;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the owner is also the question, so RDATA names can compress to it */
	static const uint8_t owner[] = "\3www\7Example\3com";
	struct ls_msg m;
	struct ls_msg_iter it;

	if (size < 2 || size - 2 > LS_RDATA_MAXLEN)
		return 0;
	uint16_t type = (uint16_t)(data[0] << 8 | data[1]);
	const uint8_t *rd = data + 2;
	size_t len = size - 2;
	int ok = ls_rdata_check(type, rd, len);
	int n = ls_rdata_to_str(str, sizeof(str), type, rd, len);

	if (ok != 0) {
		if (ok != -EBADMSG || n != -EBADMSG)
			abort();
		memcpy(copy, rd, len);
		if (ls_rdata_canonicalize(type, copy, len) != -EBADMSG ||
		    memcmp(copy, rd, len) != 0)
			abort();
		return 0;
	}
	if (n < 0 || (size_t)n != strlen(str))
		abort();
	/* a buffer one short is refused */
	if (ls_rdata_to_str(str, (size_t)n, type, rd, len) != -ENOSPC)
		abort();

	memcpy(copy, rd, len);
	if (ls_rdata_canonicalize(type, copy, len) != 0)
		abort();
	memcpy(copy2, copy, len);
	if (ls_rdata_canonicalize(type, copy2, len) != 0 || memcmp(copy, copy2, len) != 0)
		abort();

	/* uncompressed RDATA in a message reads back as it is */
	memcpy(msg, rd, len);
	if (ls_rdata_unpack(type, msg, len, 0, len, out, sizeof(out)) != (int)len ||
	    memcmp(out, rd, len) != 0)
		abort();

	/* through the writer and back */
	if (ls_msg_writer_init(&w, msg, sizeof(msg)) != 0 ||
	    ls_msg_put_question(&w, owner, type, LS_CLASS_IN) != 0)
		abort();
	if (type == LS_TYPE_OPT || type == LS_TYPE_TSIG)
		return 0; /* placement rules of their own */
	int err = ls_msg_put_rr(&w, LS_SECTION_ANSWER, owner, type, LS_CLASS_IN, 3600, rd, len);
	if (err == -ENOSPC)
		return 0;
	if (err != 0)
		abort();
	err = ls_msg_put_rr(&w, LS_SECTION_ANSWER, owner, type, LS_CLASS_IN, 3600, rd, len);
	if (err != 0 && err != -ENOSPC)
		abort();
	if (ls_msg_parse(&m, msg, ls_msg_len(&w)) != 0)
		abort();
	ls_msg_iter_init(&it, &m, LS_SECTION_ANSWER);
	/* Compression ignores case (as knotd's does), so a compressed name may
	 * read back in the spelling it points to: compare canonical forms,
	 * which lowercase every name a writer may compress. */
	while (ls_msg_iter_next(&it, &rr) == 1) {
		if (rr.rdlen != len || !ls_dname_equal(rr.owner, owner))
			abort();
		memcpy(copy2, rr.rdata, len);
		if (ls_rdata_canonicalize(type, copy2, len) != 0 || memcmp(copy2, copy, len) != 0)
			abort();
		if (!ls_rdata_may_compress(type) && memcmp(rr.rdata, rd, len) != 0)
			abort();
	}
	return 0;
}
