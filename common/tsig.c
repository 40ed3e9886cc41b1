/* SPDX-License-Identifier: MIT */
/*
 * tsig.c — see tsig.h.
 *
 * The MAC is computed streaming (EVP_MAC "HMAC"): the parts RFC 8945 §4.3
 * lists are fed one after the other, so nothing is copied — the message
 * header is the one exception, fed as a 12-octet copy with the original ID
 * put back and ARCOUNT lowered by one for the TSIG record itself. For a
 * response stream the running MAC stays open across unsigned messages, so
 * a 99-message gap costs no buffering either.
 */
#include "common/tsig.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/rdata.h"
#include "common/wire.h"

#define TSIG_CLASS 255 /* ANY */

struct alg_info {
	const uint8_t *wire;
	const char *digest;
	size_t len;
};

static const struct alg_info algs[] = {
	[LS_CONFIG_HMAC_SHA1] = { (const uint8_t *)"\x09hmac-sha1", "SHA1", 20 },
	[LS_CONFIG_HMAC_SHA224] = { (const uint8_t *)"\x0bhmac-sha224", "SHA224", 28 },
	[LS_CONFIG_HMAC_SHA256] = { (const uint8_t *)"\x0bhmac-sha256", "SHA256", 32 },
	[LS_CONFIG_HMAC_SHA384] = { (const uint8_t *)"\x0bhmac-sha384", "SHA384", 48 },
	[LS_CONFIG_HMAC_SHA512] = { (const uint8_t *)"\x0bhmac-sha512", "SHA512", 64 },
};

static void wr48(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(v >> (8 * (5 - i)));
}

size_t ls_tsig_digest_len(enum ls_config_key_alg alg)
{
	return (unsigned)alg < sizeof(algs) / sizeof(algs[0]) ? algs[alg].len : 0;
}

const uint8_t *ls_tsig_alg_wire(enum ls_config_key_alg alg)
{
	return (unsigned)alg < sizeof(algs) / sizeof(algs[0]) ? algs[alg].wire : NULL;
}

int ls_tsig_alg_from_wire(const uint8_t *name, enum ls_config_key_alg *alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (ls_dname_equal(name, algs[i].wire)) {
			*alg = (enum ls_config_key_alg)i;
			return 0;
		}
	}
	return -ENOENT;
}

void ls_tsig_init(struct ls_tsig *t, const struct ls_config_key *key)
{
	memset(t, 0, sizeof(*t));
	t->key = key;
}

void ls_tsig_clear(struct ls_tsig *t)
{
	EVP_MAC_CTX_free(t->run);
	OPENSSL_cleanse(t->prior, sizeof(t->prior));
	ls_tsig_init(t, t->key);
}

static EVP_MAC_CTX *mac_begin(const struct ls_config_key *key)
{
	/* HMAC pads the key with zeros to the block size, so an empty secret
	 * is the same key as one zero octet; OpenSSL refuses an empty one. */
	static const uint8_t zero;
	const uint8_t *secret = key->secret_len ? key->secret : &zero;
	size_t secret_len = key->secret_len ? key->secret_len : 1;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context keeps its own reference */
	if (!ctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)algs[key->algorithm].digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, secret, secret_len, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int mac_update(EVP_MAC_CTX *ctx, const void *p, size_t n)
{
	return n == 0 || EVP_MAC_update(ctx, p, n) ? 0 : -ENOMEM;
}

/* The prior MAC, as its 2-octet length and the MAC (§4.3.1, §4.3.2). */
static int feed_prior(EVP_MAC_CTX *ctx, const struct ls_tsig *t)
{
	uint8_t l[2];

	ls_put16(l, t->prior_len);
	return mac_update(ctx, l, 2) ?: mac_update(ctx, t->prior, t->prior_len);
}

/*
 * The message as it was before the TSIG record was added: the original ID
 * and ARCOUNT one less (§4.3.2), then everything up to the record.
 */
static int feed_unsigned_msg(EVP_MAC_CTX *ctx, const uint8_t *wire, size_t tsig_off,
			     uint16_t orig_id)
{
	uint8_t hdr[LS_MSG_HDRLEN];

	memcpy(hdr, wire, LS_MSG_HDRLEN);
	ls_put16(hdr, orig_id);
	ls_put16(hdr + 10, (uint16_t)(ls_get16(hdr + 10) - 1));
	return mac_update(ctx, hdr, sizeof(hdr)) ?:
		       mac_update(ctx, wire + LS_MSG_HDRLEN, tsig_off - LS_MSG_HDRLEN);
}

/* The TSIG variables of §4.3.3, or only the timers (§4.3.1, later messages). */
static int feed_vars(EVP_MAC_CTX *ctx, bool timers_only, const uint8_t *key_name,
		     const uint8_t *alg, uint64_t time_signed, uint16_t fudge, uint16_t error,
		     const uint8_t *other, uint16_t other_len)
{
	uint8_t name[LS_DNAME_MAXLEN], buf[16];
	size_t n;
	int err;

	if (!timers_only) {
		n = ls_dname_copy_lower(name, key_name);
		ls_put16(buf, TSIG_CLASS);
		memset(buf + 2, 0, 4); /* TTL */
		err = mac_update(ctx, name, n) ?: mac_update(ctx, buf, 6);
		if (err)
			return err;
		n = ls_dname_copy_lower(name, alg);
		err = mac_update(ctx, name, n);
		if (err)
			return err;
	}
	wr48(buf, time_signed);
	ls_put16(buf + 6, fudge);
	if (timers_only)
		return mac_update(ctx, buf, 8);
	ls_put16(buf + 8, error);
	ls_put16(buf + 10, other_len);
	return mac_update(ctx, buf, 12) ?: mac_update(ctx, other, other_len);
}

static int mac_final(EVP_MAC_CTX *ctx, uint8_t *out, size_t *len)
{
	return EVP_MAC_final(ctx, out, len, LS_TSIG_MAX_MAC) ? 0 : -ENOMEM;
}

/* Append a TSIG record to the message in @wire and bump ARCOUNT. */
static int append_rr(uint8_t *wire, size_t *len, size_t cap, const uint8_t *key_name,
		     const uint8_t *alg, uint64_t time_signed, uint16_t fudge, const uint8_t *mac,
		     size_t mac_len, uint16_t orig_id, uint16_t error, const uint8_t *other,
		     uint16_t other_len)
{
	size_t kl = ls_dname_len(key_name), al = ls_dname_len(alg);
	size_t rdlen = al + 16 + mac_len + other_len, need = kl + 10 + rdlen;
	uint8_t *p = wire + *len;

	if (*len < LS_MSG_HDRLEN || cap < *len || cap - *len < need || *len + need > LS_MSG_MAXLEN)
		return -ENOSPC;
	if (ls_get16(wire + 10) == 0xffff)
		return -ENOSPC;
	memcpy(p, key_name, kl);
	p += kl;
	ls_put16(p, LS_TYPE_TSIG);
	ls_put16(p + 2, TSIG_CLASS);
	memset(p + 4, 0, 4);
	ls_put16(p + 8, (uint16_t)rdlen);
	p += 10;
	memcpy(p, alg, al);
	p += al;
	wr48(p, time_signed);
	ls_put16(p + 6, fudge);
	ls_put16(p + 8, (uint16_t)mac_len);
	p += 10;
	if (mac_len)
		memcpy(p, mac, mac_len);
	p += mac_len;
	ls_put16(p, orig_id);
	ls_put16(p + 2, error);
	ls_put16(p + 4, other_len);
	p += 6;
	if (other_len)
		memcpy(p, other, other_len);
	*len += need;
	ls_put16(wire + 10, (uint16_t)(ls_get16(wire + 10) + 1));
	return 0;
}

size_t ls_tsig_room(const struct ls_tsig *t)
{
	const struct ls_config_key *k = t->key;

	if (!k || (unsigned)k->algorithm >= sizeof(algs) / sizeof(algs[0]))
		return 0;
	/* owner, type to RDLENGTH (10), algorithm, time and fudge (8), MAC
	 * size (2), MAC, original ID, error, other length (6), other data (6) */
	return ls_dname_len(k->name) + 10 + ls_dname_len(algs[k->algorithm].wire) + 10 +
	       algs[k->algorithm].len + 6 + 6;
}

int ls_tsig_sign(struct ls_tsig *t, uint8_t *wire, size_t *len, size_t cap, uint64_t now,
		 uint16_t error)
{
	const struct ls_config_key *k = t->key;
	uint8_t mac[LS_TSIG_MAX_MAC], other[6];
	uint16_t other_len = 0, id;
	size_t mac_len = 0;
	EVP_MAC_CTX *ctx;
	int err;

	if (!k || *len < LS_MSG_HDRLEN || (unsigned)k->algorithm >= sizeof(algs) / sizeof(algs[0]))
		return -EINVAL;
	if (cap < *len || cap - *len < ls_tsig_room(t))
		return -ENOSPC;
	if (error == LS_RCODE_BADTIME) {
		/* §5.2.3: the server's own time, so the client sees the skew */
		wr48(other, now);
		other_len = sizeof(other);
	}
	/* after ls_tsig_sign_skip() the running MAC holds prior MAC and gap */
	ctx = t->run ? t->run : mac_begin(k);
	t->run = NULL;
	t->unsigned_run = 0;
	if (!ctx)
		return -ENOMEM;
	id = ls_get16(wire);
	/* the message as it is now: ID and ARCOUNT are already the unsigned ones */
	err = (t->has_prior && !t->run_fed ? feed_prior(ctx, t) : 0) ?: mac_update(ctx, wire, *len);
	t->run_fed = false;
	if (!err)
		err = feed_vars(ctx, t->has_prior && t->subsequent, k->name,
				algs[k->algorithm].wire, now, LS_TSIG_FUDGE, error, other,
				other_len);
	if (!err)
		err = mac_final(ctx, mac, &mac_len);
	EVP_MAC_CTX_free(ctx);
	if (err)
		goto wipe;
	err = append_rr(wire, len, cap, k->name, algs[k->algorithm].wire, now, LS_TSIG_FUDGE, mac,
			mac_len, id, error, other, other_len);
	if (err)
		goto wipe;
	/* a request's MAC starts the chain; each response continues it */
	t->subsequent = t->has_prior;
	t->has_prior = true;
	memcpy(t->prior, mac, mac_len);
	t->prior_len = (uint16_t)mac_len;
wipe:
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}

int ls_tsig_sign_skip(struct ls_tsig *t, const uint8_t *wire, size_t len)
{
	int err;

	/* only between signed responses of a stream (§5.3.1) */
	if (!t->key || !t->has_prior || !t->subsequent || t->unsigned_run >= LS_TSIG_MAX_UNSIGNED)
		return -EINVAL;
	if (!t->run) {
		t->run = mac_begin(t->key);
		if (!t->run)
			return -ENOMEM;
		err = feed_prior(t->run, t);
		if (err)
			return err;
		t->run_fed = true;
	}
	err = mac_update(t->run, wire, len);
	if (err)
		return err;
	t->unsigned_run++;
	return 0;
}

static int status(struct ls_tsig_status *st, int err, uint16_t rcode, uint16_t error,
		  const char *why)
{
	if (st) {
		st->rcode = rcode;
		st->error = error;
		st->why = why;
	}
	return err;
}

/* MAC length rules of §5.2.2.1: not longer than the digest, and when
 * truncated not under 10 octets nor under half the digest (rounded up). */
static bool mac_len_ok(size_t mac_len, size_t full)
{
	size_t min = (full + 1) / 2 > 10 ? (full + 1) / 2 : 10;

	return mac_len == full || (mac_len < full && mac_len >= min);
}

/*
 * Compute the MAC of the signed message @m into @out: the running context
 * @ctx already holds what comes before (prior MAC, unsigned messages).
 * Consumes @ctx.
 */
static int finish_mac(EVP_MAC_CTX *ctx, const struct ls_msg *m, bool timers_only, uint8_t *out,
		      size_t *out_len)
{
	const struct ls_msg_tsig *ts = &m->tsig;
	int err;

	err = feed_unsigned_msg(ctx, m->wire, ts->offset, ts->orig_id) ?:
		      feed_vars(ctx, timers_only, ts->key, ts->alg, ts->time_signed, ts->fudge,
				ts->error, ts->other, ts->other_len);
	if (!err)
		err = mac_final(ctx, out, out_len);
	EVP_MAC_CTX_free(ctx);
	return err;
}

/* Finish @ctx (consumed) over @m and compare with the MAC @m carries, as
 * long as it was sent (maybe truncated). 0, or the failure's status. */
static int check_mac(EVP_MAC_CTX *ctx, const struct ls_msg *m, bool timers_only,
		     struct ls_tsig_status *st)
{
	uint8_t mac[LS_TSIG_MAX_MAC];
	size_t mac_len = 0;
	bool match;
	int err;

	err = finish_mac(ctx, m, timers_only, mac, &mac_len);
	if (err)
		return status(st, err, LS_RCODE_SERVFAIL, 0, "MAC computation failed");
	match = CRYPTO_memcmp(mac, m->tsig.mac, m->tsig.mac_len) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	if (!match)
		return status(st, -EACCES, LS_RCODE_NOTAUTH, LS_RCODE_BADSIG, "TSIG MAC mismatch");
	return 0;
}

static bool time_ok(uint64_t now, const struct ls_msg_tsig *ts)
{
	uint64_t d = now > ts->time_signed ? now - ts->time_signed : ts->time_signed - now;

	return d <= ts->fudge;
}

int ls_tsig_verify_request(struct ls_tsig *t, const struct ls_config_key *keys, size_t nkeys,
			   const struct ls_msg *m, uint64_t now, size_t min_mac_len,
			   struct ls_tsig_status *st)
{
	const struct ls_msg_tsig *ts = &m->tsig;
	const struct ls_config_key *k = NULL;
	enum ls_config_key_alg alg;
	size_t full;
	EVP_MAC_CTX *ctx;
	int err;

	ls_tsig_clear(t);
	t->key = NULL;
	if (st)
		st->key = NULL;
	if (!m->has_tsig)
		return status(st, -EACCES, LS_RCODE_NOTAUTH, 0, "no TSIG");
	if (ts->rclass != TSIG_CLASS)
		return status(st, -EBADMSG, LS_RCODE_FORMERR, 0, "TSIG class is not ANY");
	for (size_t i = 0; i < nkeys && !k; i++) {
		if (ls_dname_equal(keys[i].name, ts->key))
			k = &keys[i];
	}
	if (st)
		st->key = k;
	/* §5.2.1: an unknown key, or a known key with another algorithm */
	if (!k)
		return status(st, -EACCES, LS_RCODE_NOTAUTH, LS_RCODE_BADKEY, "unknown TSIG key");
	if (ls_tsig_alg_from_wire(ts->alg, &alg) != 0 || alg != k->algorithm)
		return status(st, -EACCES, LS_RCODE_NOTAUTH, LS_RCODE_BADKEY,
			      "TSIG algorithm is not the key's");
	full = algs[alg].len;
	if (!mac_len_ok(ts->mac_len, full))
		return status(st, -EBADMSG, LS_RCODE_FORMERR, 0, "TSIG MAC length out of range");
	ctx = mac_begin(k);
	if (!ctx)
		return status(st, -ENOMEM, LS_RCODE_SERVFAIL, 0, "out of memory");
	err = check_mac(ctx, m, false, st);
	if (err)
		return err;
	/* The request is authentic from here: responses chain on its MAC,
	 * also the signed BADTIME and BADTRUNC ones. */
	t->key = k;
	memcpy(t->prior, ts->mac, ts->mac_len);
	t->prior_len = ts->mac_len;
	t->has_prior = true;
	t->subsequent = false;
	if (!time_ok(now, ts))
		return status(st, -EACCES, LS_RCODE_NOTAUTH, LS_RCODE_BADTIME,
			      "TSIG time outside the fudge");
	if (ts->mac_len < min_mac_len && ts->mac_len < full)
		return status(st, -EACCES, LS_RCODE_NOTAUTH, LS_RCODE_BADTRUNC,
			      "TSIG MAC truncated below local policy");
	return status(st, 0, LS_RCODE_NOERROR, 0, "TSIG ok");
}

int ls_tsig_verify_response(struct ls_tsig *t, const struct ls_msg *m, uint64_t now,
			    struct ls_tsig_status *st)
{
	const struct ls_msg_tsig *ts = &m->tsig;
	const struct ls_config_key *k = t->key;
	enum ls_config_key_alg alg;
	int err;

	if (st)
		st->key = k;
	if (!k || !t->has_prior)
		return status(st, -EINVAL, LS_RCODE_SERVFAIL, 0, "no signed request");
	if (!t->run) {
		t->run = mac_begin(k);
		if (!t->run)
			return status(st, -ENOMEM, LS_RCODE_SERVFAIL, 0, "out of memory");
		err = feed_prior(t->run, t);
		if (err)
			return status(st, err, LS_RCODE_SERVFAIL, 0, "out of memory");
	}
	if (!m->has_tsig) {
		if (t->messages == 0)
			return status(st, -EACCES, LS_RCODE_NOTAUTH, 0,
				      "unsigned response to a signed request");
		if (t->unsigned_run >= LS_TSIG_MAX_UNSIGNED)
			return status(st, -EACCES, LS_RCODE_NOTAUTH, 0,
				      "more than 99 unsigned messages in a row");
		/* §5.3.1: an unsigned message enters the next MAC whole */
		err = mac_update(t->run, m->wire, m->len);
		if (err)
			return status(st, err, LS_RCODE_SERVFAIL, 0, "out of memory");
		t->unsigned_run++;
		t->messages++;
		return status(st, 0, LS_RCODE_NOERROR, 0, "unsigned message");
	}
	if (ts->rclass != TSIG_CLASS)
		return status(st, -EBADMSG, LS_RCODE_FORMERR, 0, "TSIG class is not ANY");
	if (!ls_dname_equal(ts->key, k->name))
		return status(st, -EACCES, LS_RCODE_NOTAUTH, LS_RCODE_BADKEY,
			      "response signed with another key");
	if (ls_tsig_alg_from_wire(ts->alg, &alg) != 0 || alg != k->algorithm)
		return status(st, -EACCES, LS_RCODE_NOTAUTH, LS_RCODE_BADKEY,
			      "response signed with another algorithm");
	if (ts->error)
		return status(st, -EACCES, LS_RCODE_NOTAUTH, ts->error,
			      "the server reported a TSIG error");
	if (!mac_len_ok(ts->mac_len, algs[alg].len))
		return status(st, -EBADMSG, LS_RCODE_FORMERR, 0, "TSIG MAC length out of range");
	err = check_mac(t->run, m, t->subsequent, st);
	t->run = NULL;
	if (err)
		return err;
	if (!time_ok(now, ts))
		return status(st, -EACCES, LS_RCODE_NOTAUTH, LS_RCODE_BADTIME,
			      "TSIG time outside the fudge");
	memcpy(t->prior, ts->mac, ts->mac_len);
	t->prior_len = ts->mac_len;
	t->subsequent = true;
	t->unsigned_run = 0;
	t->messages++;
	return status(st, 0, LS_RCODE_NOERROR, 0, "TSIG ok");
}

int ls_tsig_verify_end(const struct ls_tsig *t)
{
	return t->messages > 0 && t->unsigned_run == 0 ? 0 : -EACCES;
}

int ls_tsig_append_error(const struct ls_msg *q, uint8_t *wire, size_t *len, size_t cap,
			 uint64_t now, uint16_t error)
{
	return append_rr(wire, len, cap, q->tsig.key, q->tsig.alg, now, LS_TSIG_FUDGE, NULL, 0,
			 ls_get16(wire), error, NULL, 0);
}
