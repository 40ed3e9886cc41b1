/* SPDX-License-Identifier: MIT */
/*
 * tls.c — XoT (RFC 9103) on OpenSSL 3; see tls.h.
 *
 * Sockets reach OpenSSL through a small BIO of our own rather than
 * BIO_s_socket(): that one writes with write(2), and a peer that went
 * away would then raise SIGPIPE in a daemon that keeps the default
 * disposition (its hooks' children inherit it). Ours sends with
 * MSG_NOSIGNAL, as agent/tcpout.c does for plain TCP.
 *
 * Every call clears OpenSSL's error queue first, so the reason given for
 * a failure is this connection's, not something an earlier one left.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "agent/tls.h"

static const unsigned char alpn_dot[] = { 3, 'd', 'o', 't' };

/* ---- the socket BIO ---------------------------------------------------------- */

static BIO_METHOD *fd_method;

static int fd_write(BIO *b, const char *buf, size_t len, size_t *done)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	BIO_clear_retry_flags(b);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			BIO_set_retry_write(b);
		return 0;
	}
	*done = (size_t)n;
	return 1;
}

static int fd_read(BIO *b, char *buf, size_t len, size_t *done)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

	BIO_clear_retry_flags(b);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			BIO_set_retry_read(b);
		return 0;
	}
	if (n == 0)
		return 0; /* the end of the stream: no retry flag */
	*done = (size_t)n;
	return 1;
}

static long fd_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int fd_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int init_method(void)
{
	if (fd_method)
		return 0;
	fd_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "lockstep-fd");
	if (!fd_method || !BIO_meth_set_write_ex(fd_method, fd_write) ||
	    !BIO_meth_set_read_ex(fd_method, fd_read) || !BIO_meth_set_ctrl(fd_method, fd_ctrl) ||
	    !BIO_meth_set_create(fd_method, fd_create)) {
		BIO_meth_free(fd_method);
		fd_method = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int attach_fd(SSL *ssl, int fd)
{
	BIO *b = BIO_new(fd_method);

	if (!b)
		return -ENOMEM;
	BIO_set_data(b, (void *)(intptr_t)fd);
	SSL_set_bio(ssl, b, b); /* one reference, taken by the SSL */
	return 0;
}

/* ---- reasons --------------------------------------------------------------- */

/* The most useful OpenSSL reason for the failure just seen. */
static void ssl_reason(SSL *ssl, char *why, size_t len, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	char buf[200];

	if (!why || !len)
		return;
	if (ssl && vr != X509_V_OK && SSL_get0_peer_certificate(ssl)) {
		snprintf(why, len, "%s: certificate verify failed: %s", what,
			 X509_verify_cert_error_string(vr));
	} else if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		/* "error:0A000086:SSL routines::certificate verify failed" -> the reason */
		const char *r = ERR_reason_error_string(e);

		snprintf(why, len, "%s: %s", what, r ? r : buf);
		if (ssl && vr != X509_V_OK)
			snprintf(why, len, "%s: certificate verify failed: %s", what,
				 X509_verify_cert_error_string(vr));
	} else {
		snprintf(why, len, "%s: %s", what, errno ? strerror(errno) : "connection reset");
	}
	ERR_clear_error();
}

/* ---- contexts -------------------------------------------------------------- */

static SSL_CTX *ctx_common(const SSL_METHOD *m)
{
	SSL_CTX *ctx = SSL_CTX_new(m);

	if (!ctx)
		return NULL;
	/* RFC 9103: XoT needs TLS 1.3 or later */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

int ls_tls_client_ctx_new(const struct ls_config_remote *r, SSL_CTX **out, char *why, size_t len)
{
	SSL_CTX *ctx = NULL;
	int err;

	*out = NULL;
	ERR_clear_error();
	if (init_method() || !(ctx = ctx_common(TLS_client_method()))) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	/* SSL_CTX_set_alpn_protos() returns 0 on success */
	if (SSL_CTX_set_alpn_protos(ctx, alpn_dot, sizeof(alpn_dot))) {
		err = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto free_ctx;
	}
	if (r->tls_ca) {
		if (!SSL_CTX_load_verify_file(ctx, r->tls_ca)) {
			err = -ENOENT;
			ssl_reason(NULL, why, len, r->tls_ca);
			goto free_ctx;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		/* opportunistic, or pins alone: no chain to check (pins after the handshake) */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	*out = ctx;
	return 0;

free_ctx:
	SSL_CTX_free(ctx);
	return err;
}

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, alpn_dot, sizeof(alpn_dot), in, inlen) ==
	    OPENSSL_NPN_NEGOTIATED) {
		*out = sel;
		return SSL_TLSEXT_ERR_OK;
	}
	/* no "dot": the connection goes on without ALPN and gets no transfers */
	return SSL_TLSEXT_ERR_NOACK;
}

int ls_tls_server_ctx_new(const char *cert_file, const char *key_file, SSL_CTX **out, char *why,
			  size_t len)
{
	SSL_CTX *ctx = NULL;
	int err = -EINVAL;

	*out = NULL;
	ERR_clear_error();
	if (init_method() || !(ctx = ctx_common(TLS_server_method()))) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		ssl_reason(NULL, why, len, cert_file);
		goto free_ctx;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		ssl_reason(NULL, why, len, key_file);
		goto free_ctx;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_reason(NULL, why, len, "the key does not match the certificate");
		goto free_ctx;
	}
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
	/* no resumption is offered: tickets would only cost a write per connection */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	*out = ctx;
	return 0;

free_ctx:
	SSL_CTX_free(ctx);
	return err;
}

/* ---- connections ----------------------------------------------------------- */

int ls_tls_client_new(SSL_CTX *ctx, const struct ls_config_remote *r,
		      const struct ls_config_addr *addr, int fd, SSL **out)
{
	SSL *ssl;

	*out = NULL;
	ERR_clear_error();
	ssl = SSL_new(ctx);
	if (!ssl || attach_fd(ssl, fd))
		goto free_ssl;
	if (r->tls_hostname) {
		if (!SSL_set_tlsext_host_name(ssl, r->tls_hostname) ||
		    !SSL_set1_host(ssl, r->tls_hostname))
			goto free_ssl;
	} else if (r->tls_ca) {
		/* strict without a name: the certificate must carry the address (RFC 6125 iPAddress) */
		X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
		const struct sockaddr_storage *ss = &addr->ss;
		int ok = ss->ss_family == AF_INET ?
				 X509_VERIFY_PARAM_set1_ip(
					 p,
					 (const unsigned char *)&((const struct sockaddr_in *)ss)
						 ->sin_addr,
					 4) :
				 X509_VERIFY_PARAM_set1_ip(
					 p,
					 (const unsigned char *)&((const struct sockaddr_in6 *)ss)
						 ->sin6_addr,
					 16);

		if (!ok)
			goto free_ssl;
	}
	SSL_set_connect_state(ssl);
	*out = ssl;
	return 0;

free_ssl:
	SSL_free(ssl);
	ERR_clear_error();
	return -ENOMEM;
}

int ls_tls_server_new(SSL_CTX *ctx, int fd, SSL **out)
{
	SSL *ssl;

	*out = NULL;
	ERR_clear_error();
	ssl = SSL_new(ctx);
	if (!ssl || attach_fd(ssl, fd)) {
		SSL_free(ssl);
		ERR_clear_error();
		return -ENOMEM;
	}
	SSL_set_accept_state(ssl);
	*out = ssl;
	return 0;
}

/* What an SSL call's failure @ret means: -EAGAIN (*@want), 0 (clean end) or an error. */
static int classify(SSL *ssl, int ret, enum ls_tls_want *want, char *why, size_t len,
		    const char *what)
{
	int e = SSL_get_error(ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = LS_TLS_WANT_READ;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = LS_TLS_WANT_WRITE;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (!ERR_peek_error()) {
			/* the TCP stream ended or broke without close_notify */
			snprintf(why, len, "%s: connection closed by the peer", what);
			return -ECONNRESET;
		}
		ssl_reason(ssl, why, len, what);
		return -EPROTO;
	default:
		ssl_reason(ssl, why, len, what);
		return -EPROTO;
	}
}

/* The client's checks once the handshake is done: pins, ALPN. */
static int check_server(SSL *ssl, const struct ls_config_remote *r, char *why, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int n;

	if (!ls_tls_alpn_dot(ssl)) {
		snprintf(why, len,
			 "TLS: the server did not negotiate ALPN \"dot\" (RFC 9103 §7.1)");
		return -EPROTO;
	}
	if (!r->tls_pin_count)
		return 0;
	X509 *cert = SSL_get0_peer_certificate(ssl);
	EVP_PKEY *pk = cert ? X509_get0_pubkey(cert) : NULL;

	if (!pk || (n = i2d_PUBKEY(pk, &der)) <= 0) {
		snprintf(why, len, "TLS: the server sent no usable certificate for tls-pin-sha256");
		ERR_clear_error();
		return -EPROTO;
	}
	if (!EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
		mdlen = 0;
	OPENSSL_free(der);
	for (size_t i = 0; mdlen == 32 && i < r->tls_pin_count; i++) {
		if (CRYPTO_memcmp(md, r->tls_pins[i], 32) == 0)
			return 0;
	}
	{
		unsigned char b64[64];

		EVP_EncodeBlock(b64, md, 32);
		snprintf(why, len,
			 "TLS: no tls-pin-sha256 matches the server's key (its pin is %s)", b64);
	}
	return -EPROTO;
}

int ls_tls_handshake(SSL *ssl, const struct ls_config_remote *r, enum ls_tls_want *want, char *why,
		     size_t len)
{
	int ret, err;

	ERR_clear_error();
	errno = 0;
	ret = SSL_do_handshake(ssl);
	if (ret == 1)
		return r ? check_server(ssl, r, why, len) : 0;
	err = classify(ssl, ret, want, why, len, "TLS handshake");
	if (err == 0) {
		snprintf(why, len, "TLS handshake: the peer closed the connection");
		err = -ECONNRESET;
	}
	return err;
}

ssize_t ls_tls_read(SSL *ssl, void *buf, size_t len, enum ls_tls_want *want, char *why,
		    size_t whylen)
{
	size_t n = 0;
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_read_ex(ssl, buf, len, &n);
	if (ret == 1)
		return (ssize_t)n;
	return classify(ssl, ret, want, why, whylen, "TLS read");
}

ssize_t ls_tls_write(SSL *ssl, const void *buf, size_t len, enum ls_tls_want *want, char *why,
		     size_t whylen)
{
	size_t n = 0;
	int ret, err;

	ERR_clear_error();
	errno = 0;
	ret = SSL_write_ex(ssl, buf, len, &n);
	if (ret == 1)
		return (ssize_t)n;
	err = classify(ssl, ret, want, why, whylen, "TLS write");
	if (err == 0) {
		snprintf(why, whylen, "TLS write: the peer closed the connection");
		err = -ECONNRESET;
	}
	return err;
}

ssize_t ls_tls_send_out(SSL *ssl, struct ls_tcpout *o, enum ls_tls_want *want)
{
	char why[LS_TLS_WHY_LEN];
	size_t sent = 0;

	while (o->off < o->len) {
		ssize_t n =
			ls_tls_write(ssl, o->buf + o->off, o->len - o->off, want, why, sizeof(why));

		if (n == -EAGAIN)
			return sent ? (ssize_t)sent : -EAGAIN;
		if (n < 0)
			return n;
		o->off += (size_t)n;
		sent += (size_t)n;
	}
	o->off = o->len = 0; /* drained: reuse the buffer from its start */
	return (ssize_t)sent;
}

bool ls_tls_alpn_dot(const SSL *ssl)
{
	const unsigned char *p = NULL;
	unsigned int n = 0;

	SSL_get0_alpn_selected(ssl, &p, &n);
	return n == 3 && memcmp(p, "dot", 3) == 0;
}

void ls_tls_close(SSL *ssl)
{
	if (!ssl)
		return;
	ERR_clear_error();
	/* one try at close_notify, only on a finished handshake; never waits */
	if (SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	SSL_free(ssl);
	ERR_clear_error();
}
