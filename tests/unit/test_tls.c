/* SPDX-License-Identifier: MIT */
/*
 * test_tls.c — XoT (RFC 9103, agent/tls.h) in both directions, in one
 * process over loopback: the dispatcher refuses transfers on a TLS
 * connection without ALPN "dot" and keeps requiring TSIG on one with it;
 * then a real XoT transfer of a zone many times the output high-water mark
 * from the administrative listener's TLS socket to the transfer client,
 * whose primaries are tried in order — one trusting another CA (handshake
 * refused), one with a wrong SPKI pin (refused after the handshake, before
 * any query), one strict and right (CA, name, pin) — so exactly one
 * transfer happens and the version offered is the whole zone; a server
 * that negotiates no ALPN is left before any query (§7.1); over IPv6 the
 * address in the certificate is what a CA without a name checks. The
 * certificates are made here with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "agent/admin.h"
#include "agent/tls.h"
#include "agent/xfrin.h"
#include "agent/xfrout.h"
#include "common/config.h"
#include "common/message.h"
#include "common/tsig.h"
#include "common/zonefile.h"

static const uint8_t origin[] = "\x07"
				"example\x03"
				"com";

#define SECRET "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"

struct fixture {
	char dir[64];
	char cert[96], key[96], other[96], otherkey[96];
	char pin[64]; /* base64 SHA-256 of the server's SPKI */
	struct ls_zone *zone;
	int offers;
	size_t records;
	char source[160];
};

/* A self-signed certificate for @san, key and certificate as PEM files. */
static void make_cert(const char *cert, const char *key, const char *cn, const char *san, char *pin)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	X509_NAME *name;
	unsigned char *der = NULL, md[32];
	unsigned int mdlen;
	FILE *f;
	int n;

	assert_non_null(pk);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	assert_int_equal(X509_set_pubkey(x, pk), 1);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	f = fopen(cert, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	f = fopen(key, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	if (pin) {
		n = i2d_PUBKEY(pk, &der);
		assert_true(n > 0);
		assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
		EVP_EncodeBlock((unsigned char *)pin, md, 32);
		OPENSSL_free(der);
	}
	X509_free(x);
	EVP_PKEY_free(pk);
}

static struct ls_zone *make_zone(size_t n)
{
	size_t cap = 256 + n * 40, len = 0;
	char *text = malloc(cap);
	struct ls_zonefile_opts opts = { .no_include = true };
	struct ls_zone *z;

	len += (size_t)snprintf(text, cap,
				"$ORIGIN example.com.\n$TTL 3600\n"
				"@ SOA ns1 hm 42 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "h%zu A 192.0.2.%zu\n", i, i % 250);
	assert_int_equal(ls_zonefile_load_string(text, len, NULL, origin, &opts, &z, NULL), 0);
	free(text);
	return z;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/lockstep-tls.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cert, sizeof(f->cert), "%s/server.pem", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/server.key", f->dir);
	snprintf(f->other, sizeof(f->other), "%s/other.pem", f->dir);
	snprintf(f->otherkey, sizeof(f->otherkey), "%s/other.key", f->dir);
	make_cert(f->cert, f->key, "xot.test", "DNS:xot.test,IP:127.0.0.1,IP:::1", f->pin);
	make_cert(f->other, f->otherkey, "other.test", "DNS:other.test", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->cert);
	unlink(f->key);
	unlink(f->other);
	unlink(f->otherkey);
	rmdir(f->dir);
	ls_zone_free(f->zone);
	free(f);
	return 0;
}

static const struct ls_zone *op_live(void *ctx, const uint8_t *o)
{
	struct fixture *f = ctx;

	return ls_dname_equal(o, origin) ? f->zone : NULL;
}

static struct ls_config *server_config(struct fixture *f)
{
	char text[1024];
	struct ls_config *cfg = NULL;
	struct ls_config_errors errs;
	int n;

	n = snprintf(text, sizeof(text),
		     "node: {id: s}\n"
		     "admin: {listen: ['127.0.0.1@53'], http: off, tls-listen: ['127.0.0.1'],\n"
		     "        tls-certificate: %s, tls-key: %s}\n"
		     "key: [{id: k1, algorithm: hmac-sha256, secret: " SECRET "}]\n"
		     "remote: [{id: peer, address: 198.51.100.30, key: k1}]\n",
		     f->cert, f->key);
	assert_int_equal(ls_config_parse_string(text, (size_t)n, NULL, &cfg, &errs), 0);
	/* ephemeral ports (the configuration refuses port 0) */
	((struct sockaddr_in *)&cfg->admin.listen[0].ss)->sin_port = 0;
	((struct sockaddr_in *)&cfg->admin.tls_listen[0].ss)->sin_port = 0;
	return cfg;
}

/* A signed AXFR for example.com. */
static size_t build_axfr(uint8_t *buf, size_t cap, const struct ls_config_key *key,
			 struct ls_tsig *t)
{
	struct ls_msg_writer w;
	size_t len;

	assert_int_equal(ls_msg_writer_init(&w, buf, cap), 0);
	ls_msg_set_header(&w, 0xbeef, 0);
	assert_int_equal(ls_msg_put_question(&w, origin, LS_TYPE_AXFR, LS_CLASS_IN), 0);
	len = ls_msg_len(&w);
	ls_tsig_init(t, key);
	if (key)
		assert_int_equal(ls_tsig_sign(t, buf, &len, cap, (uint64_t)time(NULL), 0), 0);
	return len;
}

/* RFC 9103 §7.1 in the dispatcher: no ALPN "dot", no transfer; TSIG still needed. */
static void test_dispatch_alpn(void **state)
{
	struct fixture *f = *state;
	const struct ls_admin_ops ops = { .live = op_live, .ctx = f };
	struct ls_config *cfg = server_config(f);
	struct ls_admin_result res;
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(5353) };
	uint8_t q[512], *resp = malloc(LS_MSG_MAXLEN);
	struct ls_admin *a;
	struct ls_tsig t;
	struct ls_msg m;
	int r;

	f->zone = make_zone(10);
	inet_pton(AF_INET, "198.51.100.99", &from.sin_addr);
	assert_int_equal(ls_admin_new_detached(cfg, &ops, &a), 0);

	struct ls_admin_req req = { .wire = q,
				    .from = (struct sockaddr *)&from,
				    .tcp = true,
				    .tls = true,
				    .alpn_dot = false,
				    .now = (uint64_t)time(NULL) };
	/* signed, over TLS without "dot": REFUSED, signed answer, no stream */
	req.len = build_axfr(q, sizeof(q), &cfg->keys[0], &t);
	r = ls_admin_dispatch(a, &req, resp, LS_MSG_MAXLEN, &res);
	assert_true(r > 0);
	assert_null(res.xfr);
	assert_int_equal(ls_msg_parse(&m, resp, (size_t)r), 0);
	assert_int_equal(ls_msg_rcode(&m), LS_RCODE_REFUSED);
	assert_true(m.has_tsig);
	assert_int_equal(ls_admin_stats(a)->tls_no_dot_refused, 1);
	ls_tsig_clear(&t);
	/* the same with "dot": the stream starts */
	req.alpn_dot = true;
	req.len = build_axfr(q, sizeof(q), &cfg->keys[0], &t);
	r = ls_admin_dispatch(a, &req, resp, LS_MSG_MAXLEN, &res);
	assert_int_equal(r, 0);
	assert_non_null(res.xfr);
	ls_xfrout_free(res.xfr);
	ls_tsig_clear(&t);
	/* unsigned with "dot": NOTAUTH, as over plain TCP */
	req.len = build_axfr(q, sizeof(q), NULL, &t);
	r = ls_admin_dispatch(a, &req, resp, LS_MSG_MAXLEN, &res);
	assert_true(r > 0);
	assert_null(res.xfr);
	assert_int_equal(ls_msg_parse(&m, resp, (size_t)r), 0);
	assert_int_equal(ls_msg_rcode(&m), LS_RCODE_NOTAUTH);
	/* a SOA query over TLS without "dot" is still answered */
	{
		struct ls_msg_writer w;

		ls_msg_writer_init(&w, q, sizeof(q));
		ls_msg_set_header(&w, 1, 0);
		ls_msg_put_question(&w, origin, LS_TYPE_SOA, LS_CLASS_IN);
		req.len = ls_msg_len(&w);
		req.alpn_dot = false;
		r = ls_admin_dispatch(a, &req, resp, LS_MSG_MAXLEN, &res);
		assert_true(r > 0);
		assert_int_equal(ls_msg_parse(&m, resp, (size_t)r), 0);
		assert_int_equal(ls_msg_rcode(&m), LS_RCODE_NOERROR);
		assert_int_equal(m.count[LS_SECTION_ANSWER], 1);
	}
	assert_int_equal(ls_admin_stats(a)->tls_no_dot_refused, 1);
	ls_admin_free(a);
	ls_config_free(cfg);
	free(resp);
}

static int op_offer(void *ctx, const uint8_t *o, struct ls_zone *zone, const char *source)
{
	struct fixture *f = ctx;

	f->offers++;
	f->records = ls_zone_record_count(zone);
	snprintf(f->source, sizeof(f->source), "%s", source);
	ls_zone_free(zone);
	return 0;
}

static const struct ls_zone *op_none(void *ctx, const uint8_t *o)
{
	return NULL;
}

/* A whole XoT transfer, lockstep to lockstep, with the wrong servers first. */
static void test_xot_loopback(void **state)
{
	struct fixture *f = *state;
	const struct ls_admin_ops aops = { .live = op_live, .ctx = f };
	const struct ls_xfrin_ops xops = { .offer = op_offer, .live = op_none, .ctx = f };
	const struct ls_xfrin_opts xopts = { .timeout = 30 };
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ls_config *scfg = server_config(f), *ccfg = NULL;
	struct ls_admin *a;
	struct ls_xfrin *x;
	struct sockaddr_storage ss;
	socklen_t sl;
	char *text = malloc(4096);
	const char wrong_pin[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	unsigned port;
	int n;

	f->zone = make_zone(20000); /* ~400 KB: many times the output high-water mark */
	assert_int_equal(ls_admin_new(loop, scfg, &aops, NULL, &a), 0);
	assert_int_equal(ls_admin_tls_sockname(a, 0, &ss, &sl), 0);
	assert_int_equal(ls_admin_tls_sockname(a, 1, &ss, &sl), -ENOENT);
	assert_int_equal(ls_admin_tls_sockname(a, 0, &ss, &sl), 0);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	n = snprintf(text, 4096,
		     "node: {id: c}\n"
		     "key: [{id: k1, algorithm: hmac-sha256, secret: " SECRET "}]\n"
		     "remote:\n"
		     "  - {id: other-ca, address: '127.0.0.1@%u', key: k1, tls: true, tls-ca: %s}\n"
		     "  - {id: bad-pin, address: '127.0.0.1@%u', key: k1, tls: true,\n"
		     "     tls-pin-sha256: '%s'}\n"
		     "  - {id: good, address: '127.0.0.1@%u', key: k1, tls: true, tls-ca: %s,\n"
		     "     tls-hostname: xot.test, tls-pin-sha256: '%s'}\n"
		     "zone: [{domain: example.com., primaries: [other-ca, bad-pin, good]}]\n",
		     port, f->other, port, wrong_pin, port, f->cert, f->pin);
	assert_int_equal(ls_config_parse_string(text, (size_t)n, NULL, &ccfg, NULL), 0);
	assert_int_equal(ls_xfrin_new(loop, ccfg, &xops, &xopts, &x), 0);
	for (int i = 0; i < 200000 && !f->offers; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		if (i % 100 == 99)
			usleep(1000);
	}
	assert_int_equal(f->offers, 1);
	assert_int_equal(f->records, ls_zone_record_count(f->zone));
	assert_int_equal(strncmp(f->source, "axfr 127.0.0.1@", 15), 0);
	assert_non_null(strstr(f->source, " over TLS"));
	/* the other CA's client gave up in the handshake, the wrong pin after it */
	assert_int_equal(ls_admin_stats(a)->tls_failed, 1);
	assert_int_equal(ls_admin_stats(a)->tls_handshakes, 2);
	assert_int_equal(ls_admin_stats(a)->xfr_started, 1);
	/* the last message has left the server: its stream is done */
	for (int i = 0; i < 100000 && !ls_admin_stats(a)->xfr_done; i++)
		ev_run(loop, EVRUN_NOWAIT);
	assert_int_equal(ls_admin_stats(a)->xfr_done, 1);
	ls_xfrin_free(x);
	ls_admin_free(a);
	ls_config_free(ccfg);
	ls_config_free(scfg);
	ev_loop_destroy(loop);
	free(text);
}

/*
 * IPv6, strict with a CA and no name: the certificate must carry the
 * address connected to (IP:::1); a remote naming another host fails
 * verification first.
 */
static void test_xot_ipv6(void **state)
{
	struct fixture *f = *state;
	const struct ls_admin_ops aops = { .live = op_live, .ctx = f };
	const struct ls_xfrin_ops xops = { .offer = op_offer, .live = op_none, .ctx = f };
	const struct ls_xfrin_opts xopts = { .timeout = 30 };
	struct sockaddr_in6 probe = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct ev_loop *loop;
	struct ls_config *scfg = NULL, *ccfg = NULL;
	struct ls_admin *a;
	struct ls_xfrin *x;
	struct sockaddr_storage ss;
	socklen_t sl;
	char text[1024];
	int n, fd;

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&probe, sizeof(probe)) != 0) {
		if (fd >= 0)
			close(fd);
		skip(); /* no IPv6 loopback here */
	}
	close(fd);
	loop = ev_loop_new(EVFLAG_AUTO);
	n = snprintf(text, sizeof(text),
		     "node: {id: s}\n"
		     "admin: {listen: ['[::1]@53'], http: off, tls-listen: ['[::1]'],\n"
		     "        tls-certificate: %s, tls-key: %s}\n"
		     "key: [{id: k1, algorithm: hmac-sha256, secret: " SECRET "}]\n"
		     "remote: [{id: peer, address: 2001:db8::30, key: k1}]\n",
		     f->cert, f->key);
	assert_int_equal(ls_config_parse_string(text, (size_t)n, NULL, &scfg, NULL), 0);
	((struct sockaddr_in6 *)&scfg->admin.listen[0].ss)->sin6_port = 0;
	((struct sockaddr_in6 *)&scfg->admin.tls_listen[0].ss)->sin6_port = 0;
	f->zone = make_zone(100);
	assert_int_equal(ls_admin_new(loop, scfg, &aops, NULL, &a), 0);
	assert_int_equal(ls_admin_tls_sockname(a, 0, &ss, &sl), 0);
	n = snprintf(text, sizeof(text),
		     "node: {id: c}\n"
		     "key: [{id: k1, algorithm: hmac-sha256, secret: " SECRET "}]\n"
		     "remote:\n"
		     "  - {id: other-name, address: '[::1]@%u', key: k1, tls: true, tls-ca: %s,\n"
		     "     tls-hostname: other.test}\n"
		     "  - {id: by-address, address: '[::1]@%u', key: k1, tls: true, tls-ca: %s}\n"
		     "zone: [{domain: example.com., primaries: [other-name, by-address]}]\n",
		     ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), f->cert,
		     ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), f->cert);
	assert_int_equal(ls_config_parse_string(text, (size_t)n, NULL, &ccfg, NULL), 0);
	assert_int_equal(ls_xfrin_new(loop, ccfg, &xops, &xopts, &x), 0);
	for (int i = 0; i < 200000 && !f->offers; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		if (i % 100 == 99)
			usleep(1000);
	}
	assert_int_equal(f->offers, 1);
	assert_int_equal(f->records, ls_zone_record_count(f->zone));
	assert_int_equal(strncmp(f->source, "axfr ::1@", 9), 0);
	assert_int_equal(ls_admin_stats(a)->tls_failed, 1); /* other.test: name mismatch */
	assert_int_equal(ls_admin_stats(a)->xfr_started, 1);
	ls_xfrin_free(x);
	ls_admin_free(a);
	ls_config_free(ccfg);
	ls_config_free(scfg);
	ev_loop_destroy(loop);
}

/*
 * The client's side of RFC 9103 §7.1: a TLS server that negotiates no ALPN
 * (here plain OpenSSL without an ALPN callback, with the right key, so the
 * pin passes) is left after the handshake, before any query is sent.
 */
static void test_client_needs_dot(void **state)
{
	struct fixture *f = *state;
	const struct ls_xfrin_ops xops = { .offer = op_offer, .live = op_none, .ctx = f };
	const struct ls_xfrin_opts xopts = { .timeout = 30 };
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	struct ls_config *ccfg = NULL;
	struct ls_xfrin *x;
	SSL *ssl = NULL;
	char text[512], buf[512];
	bool accepted = false, ended = false;
	size_t got = 0;
	int lfd, fd = -1, n;

	assert_non_null(sctx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(sctx, f->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(sctx, f->key, SSL_FILETYPE_PEM), 1);
	/* this server writes with write(2): no tickets after the client left */
	SSL_CTX_set_num_tickets(sctx, 0);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	n = snprintf(text, sizeof(text),
		     "node: {id: c}\n"
		     "remote: [{id: nodot, address: '127.0.0.1@%u', tls: true,\n"
		     "          tls-pin-sha256: '%s'}]\n"
		     "zone: [{domain: example.com., primaries: nodot}]\n",
		     ntohs(sin.sin_port), f->pin);
	assert_int_equal(ls_config_parse_string(text, (size_t)n, NULL, &ccfg, NULL), 0);
	assert_int_equal(ls_xfrin_new(loop, ccfg, &xops, &xopts, &x), 0);
	for (int i = 0; i < 200000 && !ended; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		if (fd < 0 && (fd = accept(lfd, NULL, NULL)) >= 0) {
			ssl = SSL_new(sctx);
			SSL_set_fd(ssl, fd);
			SSL_set_accept_state(ssl);
			assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
		}
		if (ssl && !accepted) {
			accepted = SSL_do_handshake(ssl) == 1;
		} else if (ssl) {
			n = SSL_read(ssl, buf, sizeof(buf));
			if (n > 0)
				got += (size_t)n;
			else if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ)
				ended = true; /* the client closed the connection */
		}
		if (i % 100 == 99)
			usleep(1000);
	}
	assert_true(accepted);
	assert_true(ended);
	assert_int_equal(got, 0); /* not even the SOA query */
	assert_int_equal(f->offers, 0);
	SSL_free(ssl);
	close(fd);
	close(lfd);
	SSL_CTX_free(sctx);
	ls_xfrin_free(x);
	ls_config_free(ccfg);
	ev_loop_destroy(loop);
}

/* Files the contexts cannot use: a clear reason, no context. */
static void test_bad_files(void **state)
{
	struct fixture *f = *state;
	struct ls_config_remote r = { .id = "r", .tls = true, .tls_ca = "/nonexistent/ca.pem" };
	char why[LS_TLS_WHY_LEN];
	SSL_CTX *ctx = (SSL_CTX *)1;

	assert_int_equal(ls_tls_client_ctx_new(&r, &ctx, why, sizeof(why)), -ENOENT);
	assert_null(ctx);
	assert_non_null(strstr(why, "/nonexistent/ca.pem"));
	r.tls_ca = NULL;
	assert_int_equal(ls_tls_client_ctx_new(&r, &ctx, why, sizeof(why)), 0);
	SSL_CTX_free(ctx);
	/* a key that does not belong to the certificate */
	assert_int_equal(ls_tls_server_ctx_new(f->cert, f->otherkey, &ctx, why, sizeof(why)),
			 -EINVAL);
	assert_null(ctx);
	assert_non_null(strstr(why, "key"));
	assert_int_equal(ls_tls_server_ctx_new(f->cert, "/nonexistent.key", &ctx, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(ls_tls_server_ctx_new(f->cert, f->key, &ctx, why, sizeof(why)), 0);
	SSL_CTX_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dispatch_alpn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xot_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_needs_dot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xot_ipv6, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
