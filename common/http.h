/* SPDX-License-Identifier: MIT */
/*
 * http.h — the small part of HTTP/1.1 (RFC 9110, RFC 9112) that lockstep
 * speaks: parsing a request (the health endpoint's outside input), writing a
 * response, parsing a response (lockstepctl fetching other nodes' /status),
 * and a growable text buffer with a JSON string writer for the bodies.
 *
 * Owns: the limits of a request (size, header count, lengths) and what a
 * well-formed one is. Parsing is strict on purpose: lines end in CRLF (a
 * bare LF or CR is an error, so no two parsers can disagree on where a
 * request ends), no obs-fold, no control characters but HTAB in header
 * values, HTTP/1.1 needs Host, Content-Length and Transfer-Encoding are
 * noted (a request with a body is answered and the connection closed: the
 * endpoint is read-only and never reads a body).
 * Must not: touch sockets, the clock or the event loop; allocate while
 * parsing (only the buffer allocates).
 */
#ifndef LOCKSTEP_COMMON_HTTP_H
#define LOCKSTEP_COMMON_HTTP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LS_HTTP_MAX_REQUEST 8192 /* request line and header section, octets */
#define LS_HTTP_MAX_HEADERS 32
#define LS_HTTP_MAX_TARGET 1024
#define LS_HTTP_MAX_METHOD 16

enum ls_http_method {
	LS_HTTP_OTHER = 0, /* a well-formed method the endpoint does not allow: 405 */
	LS_HTTP_GET,
	LS_HTTP_HEAD,
};

struct ls_http_request {
	enum ls_http_method method;
	char method_str[LS_HTTP_MAX_METHOD + 1];
	char path[LS_HTTP_MAX_TARGET + 1]; /* the target up to '?', NUL-terminated */
	int minor; /* HTTP/1.<minor>: 0 or 1 */
	bool keep_alive; /* the connection may carry another request */
	bool has_body; /* Content-Length > 0 or Transfer-Encoding: never read */
	size_t header_count;
	size_t length; /* octets of the request (request line + header section) */
};

/**
 * Parse one request from the start of @buf (@len octets, not NUL-terminated).
 * Returns the number of octets it used (> 0, also in @req->length) when a
 * whole request is there; 0 when more input is needed; or an error, with the
 * status to answer before closing: -EBADMSG (400: malformed), -EMSGSIZE
 * (431: no end of the header section within LS_HTTP_MAX_REQUEST, or a target
 * longer than LS_HTTP_MAX_TARGET: 414), -E2BIG (431: more than
 * LS_HTTP_MAX_HEADERS fields), -EPROTONOSUPPORT (505: not HTTP/1.x).
 * Pipelined requests: call again on the rest of the buffer.
 */
int ls_http_parse_request(const uint8_t *buf, size_t len, struct ls_http_request *req);

/** The status code to answer for an error of ls_http_parse_request(). */
int ls_http_error_status(int err);

/** The reason phrase of @status ("OK", "Not Found", ...; "" when unknown). */
const char *ls_http_reason(int status);

/* A growable text buffer; once an allocation fails it stays failed (oom). */
struct ls_buf {
	char *data; /* NUL-terminated while len < cap */
	size_t len, cap;
	size_t max; /* 0: LS_BUF_DEFAULT_MAX */
	bool oom; /* an append failed: the contents are incomplete */
};

#define LS_BUF_DEFAULT_MAX (16u << 20)

/** Append; on failure set @b->oom and return -ENOMEM. */
int ls_buf_append(struct ls_buf *b, const void *data, size_t len);
int ls_buf_puts(struct ls_buf *b, const char *s);
int ls_buf_printf(struct ls_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Drop the first @n octets (what was sent). */
void ls_buf_consume(struct ls_buf *b, size_t n);
void ls_buf_reset(struct ls_buf *b);
/** Free the storage; the buffer is empty and usable again. NULL is fine. */
void ls_buf_free(struct ls_buf *b);

/**
 * Append @s (@len octets) as a JSON string with its quotes: '"', '\\' and
 * every control character escaped, octets >= 0x80 that are not valid UTF-8
 * written as U+FFFD, so the output is always valid JSON whatever @s holds.
 */
int ls_buf_json_str(struct ls_buf *b, const char *s, size_t len);

/**
 * Append a response: status line, Content-Type, Content-Length,
 * Cache-Control: no-store, Connection (keep-alive or close), @extra (whole
 * header lines each ending in CRLF, or NULL), then @body unless @head (a
 * HEAD response carries the GET length, no body).
 */
int ls_http_write_response(struct ls_buf *out, int status, const char *content_type,
			   const char *extra, const char *body, size_t body_len, bool head,
			   bool keep_alive);

/**
 * Parse a whole response read until the peer closed (lockstepctl sends
 * "Connection: close"). Sets the status, and the body as an offset and
 * length into @buf. Content-Length, if present, must fit what arrived;
 * chunked transfer coding is not supported (-ENOTSUP). Returns 0, -EBADMSG
 * or -ENOTSUP.
 */
int ls_http_parse_response(const uint8_t *buf, size_t len, int *status, size_t *body_off,
			   size_t *body_len);

#endif
