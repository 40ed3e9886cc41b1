/* SPDX-License-Identifier: MIT */
/*
 * tls.h — TLS for zone transfers (XoT, RFC 9103) through OpenSSL 3, for
 * both ends: the transfer client (agent/xfrin.c, a remote with tls: true)
 * and the administrative listener (agent/admin.c, admin.tls-listen).
 *
 * Owns: the SSL_CTX of each side (TLS 1.3 only, ALPN "dot" as RFC 9103
 * §7.1 requires), server authentication on the client side (a CA file with
 * the host name or the address checked, and/or SPKI SHA-256 pins), and
 * non-blocking handshake, read and write steps that report what the
 * socket must wait for, with one readable reason when something fails.
 * Must not: touch the event loop or the sockets' life (callers own both),
 * parse DNS, or block: every call returns -EAGAIN instead of waiting.
 */
#ifndef LOCKSTEP_AGENT_TLS_H
#define LOCKSTEP_AGENT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "agent/tcpout.h"
#include "common/config.h"

#define LS_TLS_ALPN "dot"
#define LS_TLS_WHY_LEN 256

/* What a step that returned -EAGAIN waits for. */
enum ls_tls_want {
	LS_TLS_WANT_READ = 1,
	LS_TLS_WANT_WRITE = 2,
};

/**
 * The client context for remote @r (r->tls set): TLS 1.3, ALPN "dot",
 * r->tls_ca loaded when given (the chain is then verified). Reads the CA
 * file, so call it when the configuration is taken in, not per transfer.
 * Returns 0, or -EINVAL / -ENOENT / -ENOMEM with @why saying why.
 */
int ls_tls_client_ctx_new(const struct ls_config_remote *r, SSL_CTX **out, char *why, size_t len);

/**
 * The server context of the XoT listener: TLS 1.3, the certificate chain
 * and key files (PEM), ALPN "dot" selected when the client offers it (a
 * client that offers only other protocols, or none, gets no ALPN and no
 * transfers: ls_tls_alpn_dot()). Returns 0, or -EINVAL / -ENOMEM with @why.
 */
int ls_tls_server_ctx_new(const char *cert_file, const char *key_file, SSL_CTX **out, char *why,
			  size_t len);

/**
 * A client connection on the connected (or connecting) socket @fd to
 * remote @r at @addr: SNI and certificate name check from r->tls_hostname,
 * else the certificate must carry the address (when a CA is set). Returns
 * 0 or -ENOMEM.
 */
int ls_tls_client_new(SSL_CTX *ctx, const struct ls_config_remote *r,
		      const struct ls_config_addr *addr, int fd, SSL **out);

/** A server connection on the accepted socket @fd. 0 or -ENOMEM. */
int ls_tls_server_new(SSL_CTX *ctx, int fd, SSL **out);

/**
 * Advance the handshake. Returns 0 when it is complete and the peer is
 * acceptable (for a client of remote @r, NULL on the server side: the
 * pins match, and the server negotiated ALPN "dot"), -EAGAIN with *@want
 * set, or -EPROTO / -ECONNRESET with @why saying why in one line
 * ("certificate verify failed: ...", "no tls-pin-sha256 matches ...").
 */
int ls_tls_handshake(SSL *ssl, const struct ls_config_remote *r, enum ls_tls_want *want, char *why,
		     size_t len);

/**
 * Read up to @len octets: returns the count (> 0), 0 at the end of the
 * stream (close_notify or the TCP end), -EAGAIN with *@want set, or
 * -EPROTO / -ECONNRESET with @why.
 */
ssize_t ls_tls_read(SSL *ssl, void *buf, size_t len, enum ls_tls_want *want, char *why,
		    size_t whylen);

/** Write: as ls_tls_read(); partial writes are allowed and returned. */
ssize_t ls_tls_write(SSL *ssl, const void *buf, size_t len, enum ls_tls_want *want, char *why,
		     size_t whylen);

/**
 * Send what @o holds through @ssl until it is out or TLS would block: the
 * TLS twin of ls_tcpout_send(). Returns the octets sent (0 included),
 * -EAGAIN with *@want set when nothing could be sent for that reason, or
 * -EPROTO / -ECONNRESET.
 */
ssize_t ls_tls_send_out(SSL *ssl, struct ls_tcpout *o, enum ls_tls_want *want);

/** True when the handshake negotiated ALPN "dot" (RFC 9103 §7.1: transfers need it). */
bool ls_tls_alpn_dot(const SSL *ssl);

/** Send close_notify if possible (never waits) and free @ssl. NULL is fine. */
void ls_tls_close(SSL *ssl);

#endif
