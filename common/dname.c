/* SPDX-License-Identifier: MIT */
/*
 * dname.c — see dname.h. Names are walked label by label; nothing here
 * allocates, so every function is safe on hostile input as long as the
 * caller's buffer sizes are honest.
 */
#include "common/dname.h"

#include <errno.h>
#include <string.h>

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

int ls_dname_wire_check(const uint8_t *buf, size_t buflen)
{
	size_t pos = 0;

	for (;;) {
		if (pos >= buflen)
			return -EBADMSG;
		uint8_t len = buf[pos];
		if (len > LS_LABEL_MAXLEN) /* pointers and reserved label types */
			return -EBADMSG;
		if (pos + 1 + len > LS_DNAME_MAXLEN)
			return -EBADMSG;
		pos += 1 + (size_t)len;
		if (len == 0)
			return (int)pos;
	}
}

size_t ls_dname_len(const uint8_t *name)
{
	size_t pos = 0;

	while (name[pos] != 0)
		pos += 1 + (size_t)name[pos];
	return pos + 1;
}

int ls_dname_unpack(uint8_t *dst, const uint8_t *msg, size_t msglen, size_t *pos)
{
	size_t cur = *pos;
	size_t seg_start = cur; /* start of the label sequence being read */
	size_t end = 0; /* where the caller's cursor lands */
	bool jumped = false;
	size_t out = 0;

	for (;;) {
		if (cur >= msglen)
			return -EBADMSG;
		uint8_t len = msg[cur];
		if ((len & 0xC0) == 0xC0) {
			if (cur + 1 >= msglen)
				return -EBADMSG;
			size_t target = ((size_t)(len & 0x3F) << 8) | msg[cur + 1];
			/* Strictly backwards from the sequence holding the pointer:
			 * forward pointers are refused and every jump lowers
			 * seg_start, so a loop cannot form. */
			if (target >= seg_start)
				return -EBADMSG;
			if (!jumped) {
				end = cur + 2;
				jumped = true;
			}
			cur = target;
			seg_start = target;
			continue;
		}
		if (len > LS_LABEL_MAXLEN) /* 0x40 and 0x80: reserved label types */
			return -EBADMSG;
		if (cur + 1 + len > msglen)
			return -EBADMSG;
		if (out + 1 + len > LS_DNAME_MAXLEN)
			return -EBADMSG;
		if (dst)
			memcpy(dst + out, msg + cur, 1 + (size_t)len);
		out += 1 + (size_t)len;
		cur += 1 + (size_t)len;
		if (len == 0)
			break;
	}
	*pos = jumped ? end : cur;
	return (int)out;
}

static int hexdigit_val(char c)
{
	return (c >= '0' && c <= '9') ? c - '0' : -1;
}

int ls_dname_from_str(uint8_t dst[LS_DNAME_MAXLEN], const char *str, const uint8_t *origin)
{
	size_t out = 0;
	size_t label_start;
	const char *p = str;

	if (str[0] == '\0')
		return -EINVAL;
	if (str[0] == '@' && str[1] == '\0') {
		if (!origin)
			return -EINVAL;
		size_t olen = ls_dname_len(origin);
		memcpy(dst, origin, olen);
		return (int)olen;
	}
	if (str[0] == '.' && str[1] == '\0') {
		dst[0] = 0;
		return 1;
	}

	for (;;) {
		label_start = out;
		if (out + 1 > LS_DNAME_MAXLEN)
			return -EMSGSIZE;
		dst[out++] = 0; /* length, filled in below */
		size_t llen = 0;
		while (*p != '\0' && *p != '.') {
			uint8_t c;
			if (*p == '\\') {
				p++;
				if (hexdigit_val(p[0]) >= 0) {
					if (hexdigit_val(p[1]) < 0 || hexdigit_val(p[2]) < 0)
						return -EINVAL;
					int v = hexdigit_val(p[0]) * 100 + hexdigit_val(p[1]) * 10 +
						hexdigit_val(p[2]);
					if (v > 255)
						return -EINVAL;
					c = (uint8_t)v;
					p += 3;
				} else if (*p == '\0') {
					return -EINVAL;
				} else {
					c = (uint8_t)*p++;
				}
			} else {
				c = (uint8_t)*p++;
			}
			if (llen == LS_LABEL_MAXLEN)
				return -EMSGSIZE;
			if (out + 1 > LS_DNAME_MAXLEN)
				return -EMSGSIZE;
			dst[out++] = c;
			llen++;
		}
		if (llen == 0)
			return -EINVAL; /* empty label: "a..b", ".a" */
		dst[label_start] = (uint8_t)llen;
		if (*p == '\0') {
			/* relative */
			if (!origin)
				return -EINVAL;
			size_t olen = ls_dname_len(origin);
			if (out + olen > LS_DNAME_MAXLEN)
				return -EMSGSIZE;
			memcpy(dst + out, origin, olen);
			return (int)(out + olen);
		}
		p++; /* the dot */
		if (*p == '\0') {
			if (out + 1 > LS_DNAME_MAXLEN)
				return -EMSGSIZE;
			dst[out++] = 0;
			return (int)out;
		}
	}
}

int ls_dname_to_str(char *dst, size_t dstlen, const uint8_t *name)
{
	size_t out = 0;
	size_t pos = 0;

	if (name[0] == 0) {
		if (dstlen < 2)
			return -ENOSPC;
		dst[0] = '.';
		dst[1] = '\0';
		return 1;
	}
	while (name[pos] != 0) {
		uint8_t len = name[pos++];
		for (uint8_t i = 0; i < len; i++) {
			uint8_t c = name[pos++];
			char buf[5];
			size_t n;
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*' ||
			    c == '/' || c == '+' || c == '=') {
				buf[0] = (char)c;
				n = 1;
			} else if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' ||
				   c == ';' || c == '@' || c == '$') {
				buf[0] = '\\';
				buf[1] = (char)c;
				n = 2;
			} else {
				buf[0] = '\\';
				buf[1] = (char)('0' + c / 100);
				buf[2] = (char)('0' + (c / 10) % 10);
				buf[3] = (char)('0' + c % 10);
				n = 4;
			}
			if (out + n + 1 > dstlen)
				return -ENOSPC;
			memcpy(dst + out, buf, n);
			out += n;
		}
		if (out + 2 > dstlen)
			return -ENOSPC;
		dst[out++] = '.';
	}
	dst[out] = '\0';
	return (int)out;
}

bool ls_dname_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		uint8_t len = *a;
		if (len == 0)
			return true;
		a++;
		b++;
		for (uint8_t i = 0; i < len; i++)
			if (lower(a[i]) != lower(b[i]))
				return false;
		a += len;
		b += len;
	}
}

/* Offsets of each label's length octet, leftmost first; returns the count. */
static int label_offsets(const uint8_t *name, uint8_t off[LS_DNAME_MAXLABELS + 1])
{
	int n = 0;
	size_t pos = 0;

	while (name[pos] != 0) {
		off[n++] = (uint8_t)pos;
		pos += 1 + (size_t)name[pos];
	}
	return n;
}

int ls_dname_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[LS_DNAME_MAXLABELS + 1], ob[LS_DNAME_MAXLABELS + 1];
	int na = label_offsets(a, oa);
	int nb = label_offsets(b, ob);

	/* From the rightmost label leftwards. */
	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na];
		const uint8_t *lb = b + ob[--nb];
		uint8_t lena = la[0], lenb = lb[0];
		uint8_t min = lena < lenb ? lena : lenb;
		for (uint8_t i = 1; i <= min; i++) {
			uint8_t ca = lower(la[i]), cb = lower(lb[i]);
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (lena != lenb)
			return lena < lenb ? -1 : 1;
	}
	if (na == nb)
		return 0;
	return na < nb ? -1 : 1;
}

void ls_dname_lower(uint8_t *name)
{
	size_t pos = 0;

	while (name[pos] != 0) {
		uint8_t len = name[pos++];
		for (uint8_t i = 0; i < len; i++, pos++)
			name[pos] = lower(name[pos]);
	}
}

size_t ls_dname_copy_lower(uint8_t *dst, const uint8_t *src)
{
	size_t len = ls_dname_len(src);

	memcpy(dst, src, len);
	ls_dname_lower(dst);
	return len;
}

int ls_dname_labels(const uint8_t *name)
{
	int n = 0;

	while (*name != 0) {
		name += 1 + *name;
		n++;
	}
	return n;
}

const uint8_t *ls_dname_skip(const uint8_t *name, int n)
{
	while (n-- > 0 && *name != 0)
		name += 1 + *name;
	return name;
}

bool ls_dname_is_sub(const uint8_t *name, const uint8_t *parent)
{
	int nl = ls_dname_labels(name);
	int pl = ls_dname_labels(parent);

	if (nl < pl)
		return false;
	return ls_dname_equal(ls_dname_skip(name, nl - pl), parent);
}

bool ls_dname_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

const uint8_t *ls_dname_parent(const uint8_t *name)
{
	if (name[0] == 0)
		return NULL;
	return name + 1 + name[0];
}

uint32_t ls_dname_hash(const uint8_t *name)
{
	uint32_t h = 2166136261u;
	size_t len = ls_dname_len(name);

	for (size_t i = 0; i < len; i++) {
		h ^= lower(name[i]);
		h *= 16777619u;
	}
	return h;
}
