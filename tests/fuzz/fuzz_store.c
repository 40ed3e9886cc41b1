/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the state directory's version file parser (agent/store): a file on
 * disk may be torn or corrupted, and nothing in it may be trusted. The
 * input is parsed twice: as is (almost always stopped by the checksum), and
 * with a correct SHA-256 appended, so the parser behind the checksum —
 * header lengths, owner compression, records into the zone builder — sees
 * hostile bytes too. A zone that loads must write and read back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "agent/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_store_meta meta;
	struct ls_zone *z = NULL;
	unsigned int n = 32;
	uint8_t *buf;

	if (ls_store_parse(data, size, &z, &meta) == 0)
		ls_zone_free(z);
	buf = malloc(size + 32);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (EVP_Digest(buf, size, buf + size, &n, EVP_sha256(), NULL) == 1 &&
	    ls_store_parse(buf, size + 32, &z, &meta) == 0) {
		if (ls_zone_serial(z) != meta.serial)
			abort();
		ls_zone_free(z);
	}
	free(buf);
	return 0;
}
