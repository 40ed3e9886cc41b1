/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the configuration parser: the input is a configuration file. Whatever
 * it holds, the parser must return either a configuration or at least one
 * error, never both, never crash or leak. The first bytes are also given to
 * the two exported value parsers as C strings.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ls_config_errors errs;
	struct ls_config *cfg = NULL;
	struct ls_config_addr addr;
	char text[LS_CONFIG_ADDR_STRLEN];
	char small[128];
	uint64_t ns;
	int err;

	err = ls_config_parse_string((const char *)data, size, "fuzz", &cfg, &errs);
	if (err == 0) {
		if (!cfg || errs.count != 0 || !cfg->node.id)
			abort();
		for (size_t i = 0; i < cfg->zone_count; i++) {
			if (ls_config_zone_find(cfg, cfg->zones[i].name) == NULL)
				abort();
		}
		for (size_t i = 0; i < cfg->remote_count; i++)
			ls_config_addr_str(&cfg->remotes[i].addrs[0], text, sizeof(text));
		ls_config_free(cfg);
	} else if (cfg || (err == -EINVAL && errs.count == 0)) {
		abort();
	}

	size_t n = size < sizeof(small) - 1 ? size : sizeof(small) - 1;
	memcpy(small, data, n);
	small[n] = '\0';
	ls_config_parse_duration(small, &ns);
	if (ls_config_parse_addr_port(small, 53, &addr) == 0)
		ls_config_addr_str(&addr, text, sizeof(text));
	return 0;
}
