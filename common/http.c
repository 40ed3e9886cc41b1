/* SPDX-License-Identifier: MIT */
/*
 * http.c — see http.h.
 *
 * The parser looks for the end of the header section (CRLF CRLF) first and
 * only then reads the lines, so a request trickling in is parsed once, and
 * the limit on its size is one comparison. Every field is checked against
 * the RFC 9110 grammar (token, field-vchar) rather than "anything up to the
 * colon": the endpoint sits on an administrative address, but what it reads
 * is still outside input.
 */
#include "common/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2 tchar */
static bool is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar / obs-text, plus SP and HTAB inside a value */
static bool is_field_char(uint8_t c)
{
	return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

static bool ci_equal(const uint8_t *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp((const char *)s, word, len) == 0;
}

static const uint8_t *find_crlf(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = memchr(p, '\r', (size_t)(end - p));

	return q && q + 1 < end && q[1] == '\n' ? q : NULL;
}

/* Strip optional whitespace (SP, HTAB: RFC 9110 §5.6.3) from both ends of [*s, *e). */
static void trim_ows(const uint8_t **s, const uint8_t **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

static int parse_request_line(const uint8_t *p, const uint8_t *eol, struct ls_http_request *req)
{
	const uint8_t *sp1, *sp2, *t;
	size_t n;

	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp1 || sp1 == p)
		return -EBADMSG;
	n = (size_t)(sp1 - p);
	for (t = p; t < sp1; t++)
		if (!is_tchar(*t))
			return -EBADMSG;
	if (n > LS_HTTP_MAX_METHOD)
		return -EBADMSG;
	memcpy(req->method_str, p, n);
	req->method_str[n] = '\0';
	/* methods are case-sensitive (RFC 9110 §9.1) */
	if (strcmp(req->method_str, "GET") == 0)
		req->method = LS_HTTP_GET;
	else if (strcmp(req->method_str, "HEAD") == 0)
		req->method = LS_HTTP_HEAD;
	else
		req->method = LS_HTTP_OTHER;

	p = sp1 + 1;
	sp2 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp2 || sp2 == p)
		return -EBADMSG;
	/* origin-form only: the endpoint is no proxy */
	if (*p != '/')
		return -EBADMSG;
	for (t = p; t < sp2; t++)
		if (*t < 0x21 || *t > 0x7e)
			return -EBADMSG;
	t = memchr(p, '?', (size_t)(sp2 - p));
	n = (size_t)((t ? t : sp2) - p);
	if ((size_t)(sp2 - p) > LS_HTTP_MAX_TARGET)
		return -EMSGSIZE;
	memcpy(req->path, p, n);
	req->path[n] = '\0';

	p = sp2 + 1;
	if (eol - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' ||
	    p[7] < '0' || p[7] > '9')
		return -EBADMSG;
	if (p[5] != '1')
		return -EPROTONOSUPPORT;
	req->minor = p[7] - '0';
	if (req->minor > 1)
		req->minor = 1; /* HTTP/1.2+ is answered as 1.1 (RFC 9110 §2.5) */
	return 0;
}

/* Connection: a comma-separated list of tokens; close wins over keep-alive. */
static void parse_connection(const uint8_t *v, const uint8_t *end, bool *close, bool *keep)
{
	while (v < end) {
		const uint8_t *c = memchr(v, ',', (size_t)(end - v)), *e = c ? c : end, *s = v;

		trim_ows(&s, &e);
		if (ci_equal(s, (size_t)(e - s), "close"))
			*close = true;
		else if (ci_equal(s, (size_t)(e - s), "keep-alive"))
			*keep = true;
		v = c ? c + 1 : end;
	}
}

int ls_http_parse_request(const uint8_t *buf, size_t len, struct ls_http_request *req)
{
	const uint8_t *p = buf, *end, *eol, *hdr_end;
	bool close = false, keep = false, host = false, clen = false;
	int err;

	memset(req, 0, sizeof(*req));
	/* RFC 9112 §2.2: empty lines before the request line may be ignored (a
	 * few clients send CRLF after a body); at most a handful. */
	for (int i = 0; i < 4 && len - (size_t)(p - buf) >= 2 && p[0] == '\r' && p[1] == '\n'; i++)
		p += 2;
	hdr_end = NULL;
	{
		size_t avail = len - (size_t)(p - buf);
		size_t scan = avail > LS_HTTP_MAX_REQUEST ? LS_HTTP_MAX_REQUEST : avail;
		const uint8_t *h = scan >= 4 ? memmem(p, scan, "\r\n\r\n", 4) : NULL;

		if (!h)
			return avail >= LS_HTTP_MAX_REQUEST ? -EMSGSIZE : 0;
		hdr_end = h + 2; /* the CRLF ending the last line is part of it */
	}
	end = hdr_end;

	eol = find_crlf(p, end);
	if (!eol)
		return -EBADMSG;
	/* a bare CR or LF anywhere in the head is malformed */
	if (memchr(p, '\n', (size_t)(eol - p)) || memchr(p, '\0', (size_t)(eol - p)))
		return -EBADMSG;
	err = parse_request_line(p, eol, req);
	if (err)
		return err;
	p = eol + 2;

	while (p < end) {
		const uint8_t *colon, *v, *ve, *t;

		eol = find_crlf(p, end);
		if (!eol)
			return -EBADMSG;
		if (memchr(p, '\n', (size_t)(eol - p)))
			return -EBADMSG;
		if (++req->header_count > LS_HTTP_MAX_HEADERS)
			return -E2BIG;
		/* obs-fold (a line starting with SP/HTAB) is refused (RFC 9112 §5.2) */
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p)
			return -EBADMSG;
		for (t = p; t < colon; t++)
			if (!is_tchar(*t))
				return -EBADMSG;
		for (t = colon + 1; t < eol; t++)
			if (!is_field_char(*t))
				return -EBADMSG;
		v = colon + 1;
		ve = eol;
		trim_ows(&v, &ve);
		if (ci_equal(p, (size_t)(colon - p), "host")) {
			if (host)
				return -EBADMSG; /* RFC 9112 §3.2: exactly one */
			host = true;
		} else if (ci_equal(p, (size_t)(colon - p), "connection")) {
			parse_connection(v, ve, &close, &keep);
		} else if (ci_equal(p, (size_t)(colon - p), "content-length")) {
			bool zero = ve > v;

			if (clen)
				return -EBADMSG; /* two lengths: a smuggling attempt */
			clen = true;
			for (t = v; t < ve; t++) {
				if (*t < '0' || *t > '9')
					return -EBADMSG;
				if (*t != '0')
					zero = false;
			}
			if (!zero)
				req->has_body = true;
		} else if (ci_equal(p, (size_t)(colon - p), "transfer-encoding")) {
			req->has_body = true;
		}
		p = eol + 2;
	}
	if (req->minor == 1 && !host)
		return -EBADMSG;
	req->keep_alive = !close && (req->minor == 1 || keep);
	req->length = (size_t)(end + 2 - buf);
	return (int)req->length;
}

int ls_http_error_status(int err)
{
	switch (err) {
	case -EMSGSIZE:
	case -E2BIG:
		return 431;
	case -EPROTONOSUPPORT:
		return 505;
	default:
		return 400;
	}
}

const char *ls_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "";
	}
}

static int buf_reserve(struct ls_buf *b, size_t more)
{
	size_t max = b->max ? b->max : LS_BUF_DEFAULT_MAX, cap;
	char *d;

	if (b->oom)
		return -ENOMEM;
	if (more < b->cap - b->len)
		return 0;
	if (more >= max || b->len >= max - more) {
		b->oom = true;
		return -ENOMEM;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - b->len <= more)
		cap *= 2;
	if (cap > max)
		cap = max;
	d = realloc(b->data, cap);
	if (!d) {
		b->oom = true;
		return -ENOMEM;
	}
	b->data = d;
	b->cap = cap;
	return 0;
}

int ls_buf_append(struct ls_buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len))
		return -ENOMEM;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int ls_buf_puts(struct ls_buf *b, const char *s)
{
	return ls_buf_append(b, s, strlen(s));
}

int ls_buf_printf(struct ls_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n)) {
		b->oom = true;
		return -ENOMEM;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void ls_buf_consume(struct ls_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

void ls_buf_reset(struct ls_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

void ls_buf_free(struct ls_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

/* Length of the valid UTF-8 sequence at @s (RFC 3629), 0 if it is not one. */
static size_t utf8_len(const uint8_t *s, size_t len)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int ls_buf_json_str(struct ls_buf *b, const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;

	ls_buf_append(b, "\"", 1);
	while (i < len) {
		uint8_t c = s[i];
		size_t n;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			ls_buf_append(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			ls_buf_printf(b, "\\u%04x", c);
			i++;
		} else if ((n = utf8_len(s + i, len - i)) > 0) {
			ls_buf_append(b, s + i, n);
			i += n;
		} else {
			ls_buf_append(b, "\xef\xbf\xbd", 3); /* U+FFFD */
			i++;
		}
	}
	return ls_buf_append(b, "\"", 1);
}

int ls_http_write_response(struct ls_buf *out, int status, const char *content_type,
			   const char *extra, const char *body, size_t body_len, bool head,
			   bool keep_alive)
{
	ls_buf_printf(out,
		      "HTTP/1.1 %d %s\r\n"
		      "Content-Type: %s\r\n"
		      "Content-Length: %zu\r\n"
		      "Cache-Control: no-store\r\n"
		      "Connection: %s\r\n"
		      "%s"
		      "\r\n",
		      status, ls_http_reason(status), content_type, body_len,
		      keep_alive ? "keep-alive" : "close", extra ? extra : "");
	if (!head)
		ls_buf_append(out, body, body_len);
	return out->oom ? -ENOMEM : 0;
}

int ls_http_parse_response(const uint8_t *buf, size_t len, int *status, size_t *body_off,
			   size_t *body_len)
{
	const uint8_t *p = buf, *end = buf + len, *eol, *h;
	bool have_len = false;
	size_t clen = 0;

	h = len >= 4 ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
	if (!h)
		return -EBADMSG;
	eol = find_crlf(p, h + 2);
	/* "HTTP/1.x DDD" then SP reason or nothing */
	if (!eol || eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' ||
	    p[11] > '9' || (eol - p > 12 && p[12] != ' '))
		return -EBADMSG;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	p = eol + 2;
	while (p < h + 2) {
		const uint8_t *colon, *v, *ve;

		eol = find_crlf(p, h + 2);
		if (!eol)
			return -EBADMSG;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			return -EBADMSG;
		v = colon + 1;
		ve = eol;
		trim_ows(&v, &ve);
		if (ci_equal(p, (size_t)(colon - p), "content-length")) {
			if (have_len || v == ve)
				return -EBADMSG;
			have_len = true;
			for (const uint8_t *t = v; t < ve; t++) {
				if (*t < '0' || *t > '9' || clen > (SIZE_MAX - 9) / 10)
					return -EBADMSG;
				clen = clen * 10 + (size_t)(*t - '0');
			}
		} else if (ci_equal(p, (size_t)(colon - p), "transfer-encoding")) {
			return -ENOTSUP;
		}
		p = eol + 2;
	}
	*body_off = (size_t)(h + 4 - buf);
	*body_len = (size_t)(end - (h + 4));
	if (have_len) {
		if (clen > *body_len)
			return -EBADMSG; /* cut short */
		*body_len = clen;
	}
	return 0;
}
