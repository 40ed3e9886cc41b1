/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tsig.c — libFuzzer target for common/tsig. The input is a message
 * verified as a request (server side, with the key kdig and knotd used for
 * the seed corpus, at the time it names, so the MAC check is reached), then
 * as the first and as a later response of a stream (client side), and, when
 * it verified as a request, answered with a signed response that must verify
 * back. Must not: crash, leak, read out of bounds, or accept a tampered
 * response.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/message.h"
#include "common/tsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t secret[] = "testsecrettestsecrettestsecret12";
static uint8_t resp[LS_MSG_MAXLEN];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_config_key keys[2] = {
		{ .algorithm = LS_CONFIG_HMAC_SHA256, .secret = secret, .secret_len = 32 },
		{ .algorithm = LS_CONFIG_HMAC_SHA1, .secret = secret, .secret_len = 20 },
	};
	struct ls_tsig_status st;
	struct ls_tsig srv, cli;
	struct ls_msg m, r;
	uint64_t now;
	size_t len;

	memcpy(keys[0].name, "\x04tkey\x00", 6);
	memcpy(keys[1].name, "\x03xfr\x04test\x00", 10);
	if (ls_msg_parse(&m, data, size) != 0)
		return 0;
	now = m.has_tsig ? m.tsig.time_signed : 0;

	ls_tsig_init(&srv, NULL);
	int err = ls_tsig_verify_request(&srv, keys, 2, &m, now, 0, &st);
	if (err == 0 && srv.key == NULL)
		abort();
	if (err == 0 || st.error == 18 /* BADTIME: answered signed */) {
		/* answer it: the client with the same request MAC must accept */
		memcpy(resp, data, size < LS_MSG_HDRLEN ? size : LS_MSG_HDRLEN);
		memset(resp + 4, 0, 8); /* no records */
		resp[2] |= 0x80;
		len = LS_MSG_HDRLEN;
		if (ls_tsig_sign(&srv, resp, &len, sizeof(resp), now, (uint16_t)st.error) != 0)
			abort();
		if (ls_msg_parse(&r, resp, len) != 0)
			abort();
		ls_tsig_init(&cli, srv.key);
		memcpy(cli.prior, m.tsig.mac, m.tsig.mac_len);
		cli.prior_len = m.tsig.mac_len;
		cli.has_prior = true;
		err = ls_tsig_verify_response(&cli, &r, now, &st);
		if (st.error == 0 && err != 0)
			abort();
		if (err == 0) {
			/* one flipped octet of the signed part must be caught */
			resp[3] ^= 0x10;
			ls_tsig_clear(&cli);
			ls_tsig_init(&cli, srv.key);
			memcpy(cli.prior, m.tsig.mac, m.tsig.mac_len);
			cli.prior_len = m.tsig.mac_len;
			cli.has_prior = true;
			if (ls_msg_parse(&r, resp, len) == 0 &&
			    ls_tsig_verify_response(&cli, &r, now, &st) == 0)
				abort();
		}
		ls_tsig_clear(&cli);
	}
	ls_tsig_clear(&srv);

	/* as responses to a request signed with keys[0] */
	ls_tsig_init(&cli, &keys[0]);
	cli.has_prior = true;
	cli.prior_len = 32;
	memset(cli.prior, 0xab, 32);
	(void)ls_tsig_verify_response(&cli, &m, now, &st);
	(void)ls_tsig_verify_response(&cli, &m, now, &st);
	(void)ls_tsig_verify_end(&cli);
	ls_tsig_clear(&cli);
	return 0;
}
