/* SPDX-License-Identifier: MIT */
/*
 * tsig.h — transaction signatures (TSIG, RFC 8945) with HMAC-SHA1/224/256/
 * 384/512 over OpenSSL.
 *
 * Owns: signing a message (a request, a response, every message of a
 * multi-message response), verifying a request on the server side (key and
 * algorithm lookup: BADKEY; the MAC: BADSIG; MAC length rules: FORMERR and
 * BADTRUNC; the time fudge: BADTIME, in the order of RFC 8945 §5.2), and
 * verifying a stream of responses on the client side with the running MAC
 * of §5.3.1 (prior MAC, then every unsigned message, then the signed one
 * with the timers only; at most 99 unsigned messages in a row; the last
 * one must be signed). Also the unsigned TSIG record of an error response
 * (BADKEY, BADSIG).
 * Must not: parse messages (common/message.h finds the TSIG record and its
 * offset), decide who may do what (callers pick the keys they accept), keep
 * global state, or log.
 *
 * A struct ls_tsig is the state of one transaction: a query and all its
 * responses. It holds no copy of the key: the key (struct ls_config_key,
 * from the configuration) must outlive it.
 */
#ifndef LOCKSTEP_COMMON_TSIG_H
#define LOCKSTEP_COMMON_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/message.h"

#define LS_TSIG_MAX_MAC 64 /* SHA-512 */
#define LS_TSIG_FUDGE 300 /* seconds, RFC 8945 §10 recommends 300 */
#define LS_TSIG_MAX_UNSIGNED 99 /* RFC 8945 §5.3.1: a signed message at least every 100 */
/* Octets a TSIG record can take: owner and algorithm names, fixed fields,
 * the longest MAC and 6 octets of other data (BADTIME). */
#define LS_TSIG_MAX_RR_LEN (LS_DNAME_MAXLEN + 10 + LS_DNAME_MAXLEN + 16 + LS_TSIG_MAX_MAC + 6)

struct evp_mac_ctx_st;

/* The state of one TSIG transaction. Initialise with ls_tsig_init(). */
struct ls_tsig {
	const struct ls_config_key *key;
	struct evp_mac_ctx_st *run; /* the running MAC of a response stream, NULL when none */
	uint8_t prior[LS_TSIG_MAX_MAC]; /* the request's, then the last signed message's MAC */
	uint16_t prior_len;
	bool run_fed; /* @run already holds the prior MAC (signing side) */
	bool has_prior; /* a request was signed or verified: responses chain on it */
	bool subsequent; /* the next signature covers the timers only (§5.3.1) */
	unsigned unsigned_run; /* unsigned messages since the last signed one */
	uint64_t messages; /* responses verified (signed or not) */
};

/* What a verification found, for the response and the log. */
struct ls_tsig_status {
	uint16_t rcode; /* NOERROR, FORMERR or NOTAUTH */
	uint16_t error; /* the TSIG error: 0, BADSIG, BADKEY, BADTIME, BADTRUNC */
	const char *why; /* one line for the log; static */
	const struct ls_config_key *key; /* the key the request named, when known */
};

/** Start a transaction with @key (NULL: none; every operation then fails). */
void ls_tsig_init(struct ls_tsig *t, const struct ls_config_key *key);

/** Release what the transaction holds; the struct may be initialised again. */
void ls_tsig_clear(struct ls_tsig *t);

/** The HMAC output length of @alg in octets (20, 28, 32, 48, 64). */
size_t ls_tsig_digest_len(enum ls_config_key_alg alg);

/**
 * The octets ls_tsig_sign() needs free after the message to sign it with
 * @t's key (0 without a key): what a writer keeps back to fit a message
 * and its TSIG into a size such as a UDP limit.
 */
size_t ls_tsig_room(const struct ls_tsig *t);

/** The algorithm's wire name ("\013hmac-sha256\000"). */
const uint8_t *ls_tsig_alg_wire(enum ls_config_key_alg alg);

/** The algorithm named by the wire name @name (any case); -ENOENT if unknown. */
int ls_tsig_alg_from_wire(const uint8_t *name, enum ls_config_key_alg *alg);

/**
 * Sign the complete message in @wire (@*len octets; room for @cap): append
 * a TSIG record and bump ARCOUNT. Without a prior MAC this signs a request;
 * after ls_tsig_verify_request() or a previous signature it signs the next
 * response (the first with all TSIG variables, later ones of a stream with
 * the timers only, RFC 8945 §5.3.1). @now is UNIX time in seconds.
 * @error (0 normally; BADTIME for that error response, which then carries
 * the server's time as other data) goes into the record.
 * Returns 0, -ENOSPC (nothing appended), -EINVAL (no key, not a message)
 * or -ENOMEM.
 */
int ls_tsig_sign(struct ls_tsig *t, uint8_t *wire, size_t *len, size_t cap, uint64_t now,
		 uint16_t error);

/**
 * Signing side of a stream: leave the response @wire unsigned; it enters
 * the MAC of the next ls_tsig_sign() (RFC 8945 §5.3.1). Only after a first
 * signed response, at most LS_TSIG_MAX_UNSIGNED in a row (-EINVAL).
 */
int ls_tsig_sign_skip(struct ls_tsig *t, const uint8_t *wire, size_t len);

/**
 * Server side: verify the TSIG of the request @m (parsed, has_tsig) against
 * @keys. On success returns 0 and @t is ready to sign the responses with
 * the key found. Otherwise returns -EBADMSG (FORMERR: a bad MAC length, a
 * TSIG class that is not ANY) or -EACCES (NOTAUTH with a TSIG error:
 * BADKEY for an unknown key or an algorithm that is not the key's, BADSIG,
 * BADTIME, BADTRUNC when the MAC is shorter than @min_mac_len), with @st
 * saying which. For BADTIME the caller answers signed (ls_tsig_sign() with
 * that error: @t is ready for it); for BADKEY and BADSIG unsigned, through
 * ls_tsig_append_error().
 * @min_mac_len: local truncation policy, 0 for the RFC minimum only.
 */
int ls_tsig_verify_request(struct ls_tsig *t, const struct ls_config_key *keys, size_t nkeys,
			   const struct ls_msg *m, uint64_t now, size_t min_mac_len,
			   struct ls_tsig_status *st);

/**
 * Client side: verify the next response @m of the transaction whose
 * request @t signed. The first response must be signed; later ones may go
 * unsigned, at most LS_TSIG_MAX_UNSIGNED in a row. Returns 0 (an unsigned
 * message is accepted for now: only a later signed one proves it),
 * -EACCES (a bad MAC, a TSIG error from the server, a wrong key or
 * algorithm, the time out of the fudge, an unsigned first response, too
 * many unsigned messages) or -EBADMSG (a malformed record), with @st
 * saying which.
 */
int ls_tsig_verify_response(struct ls_tsig *t, const struct ls_msg *m, uint64_t now,
			    struct ls_tsig_status *st);

/**
 * Client side, at the end of a response stream: 0 when the last message
 * was signed (so every message is covered), -EACCES otherwise.
 */
int ls_tsig_verify_end(const struct ls_tsig *t);

/**
 * Append the unsigned TSIG record of an error response (BADKEY, BADSIG;
 * RFC 8945 §5.3.2) to the response in @wire: the request @q's key and
 * algorithm names, an empty MAC, @error. Bumps ARCOUNT. Returns 0 or
 * -ENOSPC.
 */
int ls_tsig_append_error(const struct ls_msg *q, uint8_t *wire, size_t *len, size_t cap,
			 uint64_t now, uint16_t error);

#endif
