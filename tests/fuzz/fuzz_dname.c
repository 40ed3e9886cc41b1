/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the name readers: the input is treated as a DNS message and every
 * offset is tried as the start of a (compressed) name; names that parse are
 * round-tripped through presentation form. The input as a C string is also
 * given to the presentation parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t name[LS_DNAME_MAXLEN], again[LS_DNAME_MAXLEN];
	char text[LS_DNAME_STRLEN];

	for (size_t off = 0; off < size && off < 512; off++) {
		size_t pos = off;
		int len = ls_dname_unpack(name, data, size, &pos);
		if (len < 0)
			continue;
		if (pos <= off || pos > size)
			abort();
		if (ls_dname_wire_check(name, (size_t)len) != len)
			abort();
		if (ls_dname_to_str(text, sizeof(text), name) < 0)
			abort();
		if (ls_dname_from_str(again, text, NULL) != len)
			abort();
		if (!ls_dname_equal(name, again) || ls_dname_cmp(name, again) != 0)
			abort();
		ls_dname_lower(again);
		if (ls_dname_hash(again) != ls_dname_hash(name))
			abort();
	}

	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	uint8_t origin[] = "\x07"
			   "example";
	int len = ls_dname_from_str(name, s, origin);
	if (len > 0 && ls_dname_wire_check(name, (size_t)len) != len)
		abort();
	free(s);
	return 0;
}
