/* SPDX-License-Identifier: MIT */
/*
 * fuzz_verify.c — libFuzzer target for common/verify.
 *
 * The input is zone text for "example." (seeds in corpus/verify/: zonemd,
 * signed-nsec, signed-nsec3 are copies of tests/data/verify/ (gen.sh there);
 * small-nsec and small-nsec3 are a 6-record zone signed by ldns-signzone
 * with one Ed25519 key and ZONEMD SHA-384, NSEC and NSEC3 opt-out, so they
 * fit libFuzzer's -max_len of 4096), loaded without $INCLUDE and
 * verified with ZONEMD and DNSSEC optional (so whatever the text carries is
 * checked: keys it brings are imported, its signatures verified, its chains
 * walked, its digests computed), at a fixed instant inside the seeds'
 * signature windows, on two threads so the chunked merge is exercised too.
 * Every verdict is formatted. Crashes, leaks and sanitizer reports are the
 * failures; verdicts themselves are not judged here.
 */
#include "common/dname.h"
#include "common/verify.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t origin[LS_DNAME_MAXLEN];
	struct ls_verify_opts o;
	struct ls_verify_result res;
	char line[4096];

	if (!origin[0] && ls_dname_from_str(origin, "example.", NULL) < 0)
		return 0;
	ls_verify_opts_init(&o);
	o.at = 1735689600; /* 2025-01-01, inside the seeds' windows */
	o.margin = 86400;
	o.threads = 2;
	o.no_include = true;
	o.max_records = 5000; /* bounds the work per input */
	o.max_findings = 20;
	if (ls_verify_string((const char *)data, size, "fuzz", origin, &o, &res, NULL) == -ENOMEM)
		goto free_res;
	if (res.findings)
		for (size_t i = 0; i < res.findings->count; i++)
			ls_verify_format(line, sizeof(line), &res, &res.findings->v[i]);
free_res:
	ls_verify_result_free(&res);
	return 0;
}
