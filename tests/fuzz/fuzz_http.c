/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the HTTP request parser (the health endpoint's outside input) and the
 * response parser (lockstepctl reading other nodes): whatever the input, a
 * parse either fails with one of the documented errors, needs more input, or
 * consumes a length within the input; pipelined requests are parsed in turn.
 * The JSON string writer gets the input too and must produce valid quoting.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_http_request req;
	struct ls_buf b = { 0 };
	size_t off = 0, boff, blen;
	int status;

	for (int i = 0; i < 64 && off < size; i++) {
		int n = ls_http_parse_request(data + off, size - off, &req);

		if (n == 0)
			break;
		if (n < 0) {
			if (n != -EBADMSG && n != -EMSGSIZE && n != -E2BIG && n != -EPROTONOSUPPORT)
				abort();
			break;
		}
		if ((size_t)n > size - off || strlen(req.path) > LS_HTTP_MAX_TARGET ||
		    req.path[0] != '/')
			abort();
		off += (size_t)n;
	}
	if (ls_http_parse_response(data, size, &status, &boff, &blen) == 0) {
		if (boff > size || blen > size - boff || status < 100 || status > 599)
			abort();
	}
	ls_buf_json_str(&b, (const char *)data, size);
	if (!b.oom && (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"'))
		abort();
	for (size_t i = 0; i < b.len && !b.oom; i++)
		if ((uint8_t)b.data[i] < 0x20)
			abort();
	ls_buf_free(&b);
	return 0;
}
