/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the control socket's request parser and executor (agent/control.h):
 * whatever the line, a parse either fails with -EINVAL and a reason or
 * yields a known command and a valid wire name; the executor always writes
 * exactly one line of JSON that ends in a newline, and calls an op only for
 * a line that parsed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/control.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int calls;

static int op(void *ctx, const uint8_t *origin)
{
	if (ls_dname_wire_check(origin, LS_DNAME_MAXLEN) < 0)
		abort();
	calls++;
	return (int)(uintptr_t)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ls_control_ops ops = { .retransfer = op,
					    .withdraw = op,
					    .ctx = (void *)(uintptr_t)(size & 1 ? 0 : -ENOENT) };
	struct ls_control_request req;
	struct ls_buf b = { 0 };
	const char *why = NULL;
	int err;

	ls_log_set_level(LS_LOG_ERR); /* every executed request is logged at notice */
	if (size > LS_CONTROL_MAX_LINE)
		size = LS_CONTROL_MAX_LINE;
	err = ls_control_parse((const char *)data, size, &req, &why);
	if (err) {
		if (err != -EINVAL || !why)
			abort();
	} else if ((req.cmd != LS_CONTROL_RETRANSFER && req.cmd != LS_CONTROL_WITHDRAW) ||
		   ls_dname_wire_check(req.zone, sizeof(req.zone)) < 0) {
		abort();
	}
	calls = 0;
	ls_control_execute(&ops, (const char *)data, size, &b);
	if (b.oom || b.len < 2 || b.data[b.len - 1] != '\n' ||
	    memchr(b.data, '\n', b.len) != b.data + b.len - 1 || calls != (err ? 0 : 1) ||
	    strncmp(b.data, "{\"ok\":", 6) != 0)
		abort();
	ls_buf_free(&b);
	return 0;
}
