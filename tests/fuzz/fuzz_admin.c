/* SPDX-License-Identifier: MIT */
/*
 * fuzz_admin.c — libFuzzer target for the administrative dispatcher of
 * agent/admin: arbitrary messages, as if received over UDP and over TCP
 * from a configured primary (with a key) and from a stranger. A transfer
 * the dispatcher starts is run to its end. Must not: crash, leak, read out
 * of bounds, or answer with more than the buffer holds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/admin.h"
#include "agent/xfrin.h"
#include "agent/xfrout.h"
#include "common/config.h"
#include "common/log.h"
#include "common/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t origin[] = "\x07"
				"example\x03"
				"com";
static const char cfgtext[] = "node:\n  id: f\n  state-dir: /tmp\n"
			      "key:\n  - id: k1\n    algorithm: hmac-sha256\n"
			      "    secret: c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\n"
			      "remote:\n  - id: pri\n    address: 127.0.0.1\n    key: k1\n"
			      "zone:\n  - domain: example.com.\n    primaries: pri\n";
static struct ls_config *cfg;
static struct ls_zone *zone;
static struct ls_admin *admin;
static uint8_t resp[LS_MSG_MAXLEN];

static int op_primary(void *ctx, const uint8_t *o, const struct sockaddr *from,
		      const struct ls_config_remote **remote)
{
	const struct ls_config_remote *r = ls_xfrin_remote_by_addr(cfg, from, false);

	if (!ls_dname_equal(o, origin))
		return -ENOENT;
	if (!r)
		return -EPERM;
	*remote = r;
	return 0;
}

static int op_refresh(void *ctx, const uint8_t *o)
{
	return 0;
}

static const struct ls_zone *op_live(void *ctx, const uint8_t *o)
{
	return ls_dname_equal(o, origin) ? zone : NULL;
}

static int init(void)
{
	static const char text[] = "$ORIGIN example.com.\n$TTL 3600\n"
				   "@ SOA ns1 hm 1 3600 600 86400 300\n@ NS ns1\n"
				   "ns1 A 192.0.2.1\nwww A 192.0.2.2\n";
	struct ls_zonefile_opts opts = { .no_include = true };
	const struct ls_admin_ops ops = { .primary = op_primary,
					  .refresh = op_refresh,
					  .live = op_live };

	ls_log_set_level(LS_LOG_ERR);
	if (ls_config_parse_string(cfgtext, sizeof(cfgtext) - 1, NULL, &cfg, NULL) ||
	    ls_zonefile_load_string(text, sizeof(text) - 1, NULL, origin, &opts, &zone, NULL) ||
	    ls_admin_new_detached(cfg, &ops, &admin))
		abort();
	return 0;
}

static void run(const uint8_t *data, size_t size, const struct sockaddr *from, bool tcp)
{
	struct ls_admin_req req = {
		.wire = data, .len = size, .from = from, .tcp = tcp, .now = 1700000000
	};
	struct ls_admin_result res;
	int n = ls_admin_dispatch(admin, &req, resp, sizeof(resp), &res);

	if (n > (int)sizeof(resp))
		abort();
	while (res.xfr) {
		n = ls_xfrout_next(res.xfr, zone, 1700000000, resp, sizeof(resp));
		if (n <= 0) {
			ls_xfrout_free(res.xfr);
			res.xfr = NULL;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sockaddr_in pri = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct sockaddr_in other = pri;

	if (!ready)
		ready = !init();
	inet_pton(AF_INET, "127.0.0.1", &pri.sin_addr);
	inet_pton(AF_INET, "198.51.100.7", &other.sin_addr);
	run(data, size, (struct sockaddr *)&pri, false);
	run(data, size, (struct sockaddr *)&pri, true);
	run(data, size, (struct sockaddr *)&other, true);
	return 0;
}
