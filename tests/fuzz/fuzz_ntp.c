/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the NTP reply decoder. The first 24 input octets choose the nonce
 * and the local send and receive times (so extremes are reached); the rest
 * is the reply. Half the time the nonce is the reply's own origin field,
 * so the fuzzer gets past the anti-spoofing check. What decodes must hold
 * the promised ranges; the timestamp conversions must not overflow.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_ntp_result r;
	uint64_t nonce;
	int64_t t1, t4;
	int err;

	if (size < 24)
		return 0;
	nonce = get64(data);
	t1 = (int64_t)get64(data + 8);
	t4 = (int64_t)get64(data + 16);
	data += 24;
	size -= 24;
	if (size >= 32 && (nonce & 1))
		nonce = get64(data + 24);
	(void)ls_ntp_ts_to_unix_ns(nonce, t1);
	(void)ls_ntp_unix_ns_to_ts(t4);
	err = ls_ntp_parse(data, size, nonce, t1, t4, &r);
	if (err == -ECONNREFUSED && strlen(r.kiss) != 4)
		abort();
	if (err)
		return 0;
	if (!isfinite(r.offset) || !(r.delay >= 0.0) || !(r.root_delay >= 0.0) ||
	    !(r.root_dispersion >= 0.0) || r.leap > 3 || r.stratum == 0 || r.version < 1 ||
	    r.version > 4)
		abort();
	if (r.synchronised && (r.leap == 3 || r.stratum >= 16))
		abort();
	return 0;
}
