/* SPDX-License-Identifier: MIT */
/*
 * zonefile.c — see zonefile.h.
 *
 * libzscanner does $ORIGIN, $TTL and $INCLUDE but not $GENERATE (it stops
 * with a fatal "invalid directive"). So the text is read (mapped) here and
 * handed to the scanner in blocks that end just before each line starting
 * with $GENERATE: the scanner keeps its state (origin, $TTL, previous
 * owner) across blocks, the directive is expanded here with the origin and
 * TTL in force at that point, and the line counter is set back to the true
 * line after each directive.
 *
 * The scanner runs in manual mode (zs_parse_record() in a loop), not with
 * zs_parse_all(): in automatic mode libzscanner opens $INCLUDE files on its
 * own, without a depth bound (a file that includes itself recurses until
 * the stack ends), without $GENERATE, and with no way to refuse includes for
 * untrusted text.
 */
#include "common/zonefile.h"

#include "common/rdata.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libzscanner/scanner.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* $GENERATE ranges larger than this are refused (BIND allows any). */
#define ZF_GENERATE_MAX 65536
#define ZF_GENERATE_LINE 4096

struct zf_ctx {
	struct ls_zone_builder *b;
	const struct ls_zonefile_opts *opts;
	unsigned errors;
	unsigned max_errors;
	bool gave_up;
	bool have_soa_owner;
	uint8_t soa_owner[LS_DNAME_MAXLEN];
};

static void zf_problem(struct zf_ctx *c, int file, unsigned long line, const char *check,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void zf_problem(struct zf_ctx *c, int file, unsigned long line, const char *check,
		       const char *fmt, ...)
{
	struct ls_zone_src src = { .file = file < 0 ? 0 : (uint32_t)file, .line = (uint32_t)line };
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)ls_zone_builder_problem(c->b, LS_ZONE_ERROR, check, file < 0 ? NULL : &src, msg);
}

/* Count one bad record; false once the caller should give up. */
static bool zf_count_error(struct zf_ctx *c, int file, unsigned long line)
{
	if (++c->errors < c->max_errors)
		return true;
	if (!c->gave_up)
		zf_problem(c, file, line, "too-many-errors", "giving up after %u errors",
			   c->errors);
	c->gave_up = true;
	return false;
}

/* Give one scanned record to the builder. 0, -ECANCELED, -EFBIG, -ENOMEM. */
static int zf_add(struct zf_ctx *c, const zs_scanner_t *s, int file, unsigned long line)
{
	struct ls_zone_src src = { .file = (uint32_t)file, .line = (uint32_t)line };
	int err;

	if (s->r_type == LS_TYPE_SOA && !c->have_soa_owner &&
	    s->r_owner_length <= LS_DNAME_MAXLEN) {
		memcpy(c->soa_owner, s->r_owner, s->r_owner_length);
		c->have_soa_owner = true;
	}
	err = ls_zone_builder_add(c->b, s->r_owner, s->r_type, s->r_class, s->r_ttl, s->r_data,
				  s->r_data_length, &src);
	if (err == -EINVAL)
		return zf_count_error(c, file, line) ? 0 : -ECANCELED;
	return err;
}

/* ---- reading files ------------------------------------------------------ */

struct zf_text {
	const char *data;
	size_t len;
	void *map; /* mmap()ed, or NULL */
	char *heap; /* read() into memory, or NULL */
};

static void zf_text_free(struct zf_text *t)
{
	if (t->map)
		munmap(t->map, t->len);
	free(t->heap);
	memset(t, 0, sizeof(*t));
}

/* Map a regular file, read anything else (a pipe, /dev/stdin). -errno. */
static int zf_text_read(const char *path, struct zf_text *t)
{
	struct stat st;
	int fd, err = 0;

	memset(t, 0, sizeof(*t));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto close_fd;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto close_fd;
	}
	if (S_ISREG(st.st_mode)) {
		if (st.st_size > 0) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m == MAP_FAILED) {
				err = -errno;
				goto close_fd;
			}
			(void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			t->map = m;
			t->data = m;
			t->len = (size_t)st.st_size;
		} else {
			t->data = "";
		}
		goto close_fd;
	}
	size_t cap = 0;
	for (;;) {
		if (t->len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *h = realloc(t->heap, cap);
			if (!h) {
				err = -ENOMEM;
				goto free_heap;
			}
			t->heap = h;
		}
		ssize_t n = read(fd, t->heap + t->len, cap - t->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto free_heap;
		}
		if (n == 0)
			break;
		t->len += (size_t)n;
	}
	t->data = t->heap ? t->heap : "";
	goto close_fd;
free_heap:
	free(t->heap);
	t->heap = NULL;
close_fd:
	close(fd);
	return err;
}

/* ---- $GENERATE ---------------------------------------------------------- */

/* Offset of the next line at or after @pos starting with "$GENERATE", or @len. */
static size_t find_generate(const char *text, size_t pos, size_t len)
{
	while (pos < len) {
		const char *q = memchr(text + pos, '$', len - pos);
		if (!q)
			return len;
		size_t off = (size_t)(q - text);
		if ((off == 0 || text[off - 1] == '\n') && len - off >= 9 &&
		    strncasecmp(q, "$GENERATE", 9) == 0 &&
		    (len - off == 9 || q[9] == ' ' || q[9] == '\t'))
			return off;
		pos = off + 1;
	}
	return len;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t lines = 0;
	const char *end = p + n;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p++;
	}
	return lines;
}

/*
 * Substitute the iterator into a $GENERATE template (BIND syntax): "$" is
 * the value, "${offset[,width[,base]]}" with base d, o, x, X, n or N
 * (nibbles, reversed and dot-separated, for ip6.arpa), "\$" a literal
 * dollar. Returns the output length or -EINVAL (bad modifier) / -ENOSPC.
 */
static int gen_subst(char *out, size_t outlen, const char *tpl, long value)
{
	size_t o = 0;

	for (const char *p = tpl; *p; p++) {
		char num[128];
		int n;
		if (*p == '\\' && p[1]) {
			if (o + 2 >= outlen)
				return -ENOSPC;
			out[o++] = *p++;
			out[o++] = *p;
			continue;
		}
		if (*p != '$') {
			if (o + 1 >= outlen)
				return -ENOSPC;
			out[o++] = *p;
			continue;
		}
		long offset = 0, width = 0;
		char base = 'd';
		if (p[1] == '{') {
			char *end;
			p += 2;
			offset = strtol(p, &end, 10);
			/* bounded, so value + offset cannot overflow */
			if (end == p || offset > (long)UINT32_MAX || offset < -(long)UINT32_MAX)
				return -EINVAL;
			p = end;
			if (*p == ',') {
				width = strtol(p + 1, &end, 10);
				if (end == p + 1 || width < 0 || width > 64)
					return -EINVAL;
				p = end;
				if (*p == ',') {
					base = p[1];
					if (!base || !strchr("doxXnN", base))
						return -EINVAL;
					p += 2;
				}
			}
			if (*p != '}')
				return -EINVAL;
		}
		long v = value + offset;
		if (v < 0)
			return -EINVAL;
		switch (base) {
		case 'o':
			n = snprintf(num, sizeof(num), "%0*lo", (int)width, v);
			break;
		case 'x':
			n = snprintf(num, sizeof(num), "%0*lx", (int)width, v);
			break;
		case 'X':
			n = snprintf(num, sizeof(num), "%0*lX", (int)width, v);
			break;
		case 'n':
		case 'N': {
			char hex[64];
			int h = snprintf(hex, sizeof(hex), base == 'n' ? "%0*lx" : "%0*lX",
					 (int)(width ? width : 1), v);
			n = 0;
			for (int i = h - 1; i >= 0; i--) {
				num[n++] = hex[i];
				if (i > 0)
					num[n++] = '.';
			}
			num[n] = '\0';
			break;
		}
		default:
			n = snprintf(num, sizeof(num), "%0*ld", (int)width, v);
			break;
		}
		if (n < 0 || o + (size_t)n >= outlen)
			return -ENOSPC;
		memcpy(out + o, num, (size_t)n);
		o += (size_t)n;
	}
	out[o] = '\0';
	return (int)o;
}

/* Is @tok a class (IN, CH, HS, CLASSnnn)? */
static bool is_class_token(const char *tok)
{
	return strcasecmp(tok, "IN") == 0 || strcasecmp(tok, "CH") == 0 ||
	       strcasecmp(tok, "HS") == 0 || strncasecmp(tok, "CLASS", 5) == 0;
}

/*
 * Expand "$GENERATE range lhs [ttl] [class] type rhs" (the line at @line of
 * @file, @n octets from @l) with @s's current origin and default TTL.
 * Returns 0 (problems are reported, not returned), -ECANCELED, -EFBIG or
 * -ENOMEM.
 */
static int zf_generate(struct zf_ctx *c, const zs_scanner_t *s, int file, unsigned long line,
		       const char *l, size_t n)
{
	char buf[ZF_GENERATE_LINE], lhs_out[ZF_GENERATE_LINE], rhs_out[ZF_GENERATE_LINE];
	char rec[3 * ZF_GENERATE_LINE];
	char origin[LS_DNAME_STRLEN];
	const char *tok[6] = { 0 };
	const char *ttl = "", *cls = "", *type = NULL, *rhs;
	unsigned long start, stop, step = 1;
	zs_scanner_t *sub;
	char *p, *end;
	bool quoted = false;
	int ntok = 0, err = 0;

	if (n >= sizeof(buf)) {
		zf_problem(c, file, line, "generate", "$GENERATE line too long");
		return zf_count_error(c, file, line) ? 0 : -ECANCELED;
	}
	memcpy(buf, l, n);
	buf[n] = '\0';
	/* drop a comment (outside quotes) and trailing blanks */
	for (p = buf; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == ';' && !quoted) {
			*p = '\0';
			break;
		}
	}
	for (end = buf + strlen(buf); end > buf && strchr(" \t\r", end[-1]); end--)
		end[-1] = '\0';
	/* tokens: "$GENERATE", range, lhs, then up to ttl/class/type; rhs is the rest */
	p = buf;
	while (ntok < 6 && *p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		tok[ntok] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		ntok++;
		if (ntok >= 4) { /* after "$GENERATE", the range and lhs */
			const char *t = tok[ntok - 1];
			if (t[0] >= '0' && t[0] <= '9' && !*ttl && !type)
				ttl = t;
			else if (is_class_token(t) && !*cls && !type)
				cls = t;
			else {
				type = t;
				break;
			}
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	rhs = p;
	if (ntok < 4 || !type || !*rhs) {
		zf_problem(c, file, line, "generate",
			   "$GENERATE needs: range lhs [ttl] [class] type rhs");
		return zf_count_error(c, file, line) ? 0 : -ECANCELED;
	}
	start = strtoul(tok[1], &end, 10);
	if (end == tok[1] || *end != '-')
		goto bad_range;
	const char *s2 = end + 1;
	stop = strtoul(s2, &end, 10);
	if (end == s2)
		goto bad_range;
	if (*end == '/') {
		const char *s3 = end + 1;
		step = strtoul(s3, &end, 10);
		if (end == s3)
			goto bad_range;
	}
	if (*end || step == 0 || stop < start || (stop - start) / step >= ZF_GENERATE_MAX ||
	    stop > UINT32_MAX)
		goto bad_range;

	if (ls_dname_to_str(origin, sizeof(origin), s->zone_origin) < 0)
		return 0; /* cannot happen: the scanner's origin is a valid name */
	sub = malloc(sizeof(*sub));
	if (!sub)
		return -ENOMEM;
	if (zs_init(sub, origin, s->default_class, s->default_ttl) != 0) {
		err = -ENOMEM;
		goto free_sub;
	}
	for (unsigned long i = start; i <= stop; i += step) {
		int a = gen_subst(lhs_out, sizeof(lhs_out), tok[2], (long)i);
		int b = a < 0 ? a : gen_subst(rhs_out, sizeof(rhs_out), rhs, (long)i);
		if (a < 0 || b < 0) {
			zf_problem(c, file, line, "generate", "bad $GENERATE modifier");
			err = zf_count_error(c, file, line) ? 0 : -ECANCELED;
			break;
		}
		int len = snprintf(rec, sizeof(rec), "%s %s %s %s %s\n", lhs_out, ttl, cls, type,
				   rhs_out);
		if (zs_set_input_string(sub, rec, (size_t)len) != 0) {
			err = -ENOMEM;
			break;
		}
		bool failed = false;
		while (!err && zs_parse_record(sub) == 0) {
			if (sub->state == ZS_STATE_DATA) {
				err = zf_add(c, sub, file, line);
			} else if (sub->state == ZS_STATE_ERROR) {
				rec[len - 1] = '\0';
				zf_problem(c, file, line, "generate", "%s in generated record '%s'",
					   zs_strerror(sub->error.code), rec);
				err = zf_count_error(c, file, line) ? 0 : -ECANCELED;
				failed = true;
				break;
			} else if (sub->state == ZS_STATE_INCLUDE) {
				break; /* a generated "$INCLUDE" makes no sense: ignore */
			} else if (sub->state == ZS_STATE_EOF || sub->state == ZS_STATE_STOP) {
				break;
			}
		}
		/* one bad template would fail every iteration: report it once */
		if (err || failed)
			break;
		if (stop - i < step)
			break;
	}
	zs_deinit(sub);
free_sub:
	free(sub);
	return err;
bad_range:
	zf_problem(c, file, line, "generate",
		   "bad $GENERATE range '%s' (start-stop[/step], at most %d)", tok[1],
		   ZF_GENERATE_MAX);
	return zf_count_error(c, file, line) ? 0 : -ECANCELED;
}

/* ---- the scanner loop --------------------------------------------------- */

static int zf_parse_text(struct zf_ctx *c, zs_scanner_t *s, const char *text, size_t len,
			 const char *name, int depth);

static int zf_include(struct zf_ctx *c, zs_scanner_t *s, int file, unsigned long line, int depth)
{
	struct zf_text t;
	zs_scanner_t *ss;
	char *real;
	int err;

	if (c->opts->no_include) {
		zf_problem(c, file, line, "include", "$INCLUDE is not allowed here");
		return zf_count_error(c, file, line) ? 0 : -ECANCELED;
	}
	if (depth >= LS_ZONEFILE_MAX_INCLUDE_DEPTH) {
		zf_problem(c, file, line, "include", "$INCLUDE nested more than %d deep",
			   LS_ZONEFILE_MAX_INCLUDE_DEPTH);
		return zf_count_error(c, file, line) ? 0 : -ECANCELED;
	}
	/* The scanner made the path absolute against the including file's directory. */
	err = zf_text_read(s->include_filename, &t);
	if (err) {
		zf_problem(c, file, line, "include", "cannot read %s: %s", s->include_filename,
			   strerror(-err));
		return zf_count_error(c, file, line) ? 0 : -ECANCELED;
	}
	/* A scanner is ~200 KiB of buffers: not for the stack. */
	ss = malloc(sizeof(*ss));
	if (!ss) {
		err = -ENOMEM;
		goto free_text;
	}
	/* The scanner leaves the include's origin in presentation form in buffer. */
	if (zs_init(ss, (const char *)s->buffer, s->default_class, s->default_ttl) != 0) {
		zf_problem(c, file, line, "include", "bad origin for $INCLUDE: %s",
			   zs_strerror(ss->error.code));
		err = zf_count_error(c, file, line) ? 0 : -ECANCELED;
		goto free_scanner;
	}
	real = realpath(s->include_filename, NULL);
	if (real) {
		/* nested includes are relative to this file's directory */
		free(ss->path);
		ss->path = strdup(dirname(real));
		free(real);
		if (!ss->path) {
			err = -ENOMEM;
			goto deinit;
		}
	}
	err = zf_parse_text(c, ss, t.data, t.len, s->include_filename, depth + 1);
deinit:
	zs_deinit(ss);
free_scanner:
	free(ss);
free_text:
	zf_text_free(&t);
	return err;
}

/*
 * Parse what the scanner's current input block holds. Returns 0 at its end,
 * -ECANCELED when it gave up (too many errors, or a fatal scanner error),
 * -EFBIG or -ENOMEM.
 */
static int zf_records(struct zf_ctx *c, zs_scanner_t *s, int file, int depth)
{
	int err;

	while (zs_parse_record(s) == 0) {
		switch (s->state) {
		case ZS_STATE_DATA:
			err = zf_add(c, s, file, s->line_counter);
			if (err)
				return err;
			break;
		case ZS_STATE_ERROR:
			zf_problem(c, file, s->line_counter, "syntax", "%s",
				   zs_strerror(s->error.code));
			if (!zf_count_error(c, file, s->line_counter))
				return -ECANCELED;
			if (s->error.fatal)
				return -ECANCELED; /* the scanner cannot go on */
			break;
		case ZS_STATE_INCLUDE:
			err = zf_include(c, s, file, s->line_counter, depth);
			if (err)
				return err;
			break;
		case ZS_STATE_EOF:
		case ZS_STATE_STOP:
			return 0;
		default:
			break;
		}
	}
	return s->error.fatal ? -ECANCELED : 0;
}

static int zf_parse_text(struct zf_ctx *c, zs_scanner_t *s, const char *text, size_t len,
			 const char *name, int depth)
{
	int file = ls_zone_builder_add_file(c->b, name);
	size_t pos = 0;
	unsigned long line = 1;
	int err;

	if (file < 0)
		return file;
	for (;;) {
		size_t gen = find_generate(text, pos, len);
		if (zs_set_input_string(s, text + pos, gen - pos) != 0)
			return -ENOMEM;
		err = zf_records(c, s, file, depth);
		if (err || gen == len)
			return err;
		/* the scanner saw the end of a block: put its counter right */
		line += count_lines(text + pos, gen - pos);
		const char *eol = memchr(text + gen, '\n', len - gen);
		size_t n = eol ? (size_t)(eol - (text + gen)) : len - gen;
		err = zf_generate(c, s, file, line, text + gen, n);
		if (err)
			return err;
		pos = eol ? gen + n + 1 : len;
		line++;
		s->line_counter = line;
	}
}

/* ---- loading ------------------------------------------------------------ */

enum zf_input { ZF_FILE, ZF_STRING };

struct zf_source {
	enum zf_input kind;
	const char *path; /* file path, or the name for a string */
	const char *text;
	size_t len;
};

static int zf_load(const struct zf_source *in, const uint8_t *origin,
		   const struct ls_zonefile_opts *opts, struct ls_zone **zone,
		   struct ls_zone_problems **problems, struct zf_ctx *c)
{
	char ostr[LS_DNAME_STRLEN];
	struct zf_text t = { 0 };
	zs_scanner_t *s;
	int err, ferr;

	*zone = NULL;
	if (problems)
		*problems = NULL;
	c->opts = opts;
	c->max_errors = opts->max_errors ? opts->max_errors : LS_ZONEFILE_MAX_ERRORS;
	if (ls_dname_to_str(ostr, sizeof(ostr), origin) < 0)
		return -EINVAL;
	c->b = ls_zone_builder_new(origin);
	if (!c->b)
		return -ENOMEM;
	ls_zone_builder_set_limits(c->b, opts->max_records, opts->max_bytes);
	s = malloc(sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto abandon;
	}
	if (zs_init(s, ostr, LS_CLASS_IN,
		    opts->default_ttl ? opts->default_ttl : LS_ZONEFILE_DEFAULT_TTL) != 0) {
		err = -EINVAL;
		goto free_scanner;
	}
	if (in->kind == ZF_FILE) {
		err = zf_text_read(in->path, &t);
		if (err) {
			zf_problem(c, ls_zone_builder_add_file(c->b, in->path), 0, "io",
				   "cannot read the zone file: %s", strerror(-err));
			goto deinit;
		}
		/* relative $INCLUDEs start from the zone file's directory */
		char *real = realpath(in->path, NULL);
		if (real) {
			free(s->path);
			s->path = strdup(dirname(real));
			free(real);
			if (!s->path) {
				err = -ENOMEM;
				goto deinit;
			}
		}
		err = zf_parse_text(c, s, t.data, t.len, in->path, 0);
	} else {
		err = zf_parse_text(c, s, in->text, in->len, in->path ? in->path : "<string>", 0);
	}
deinit:
	zs_deinit(s);
	zf_text_free(&t);
free_scanner:
	free(s);
	if (err && err != -EFBIG)
		goto abandon;
	/* Finish even after bad records: every problem found is reported. */
	ferr = ls_zone_builder_finish(c->b, zone, problems);
	c->b = NULL;
	if (!err)
		err = ferr;
	if (err && *zone) {
		ls_zone_free(*zone);
		*zone = NULL;
	}
	return err;
abandon:
	/* Stopped before the end: structural checks would only add noise. */
	{
		struct ls_zone_problems *p = ls_zone_builder_abandon(c->b);
		c->b = NULL;
		if (problems)
			*problems = p;
		else
			ls_zone_problems_free(p);
	}
	return err == -ECANCELED ? -EBADMSG : err;
}

static const struct ls_zonefile_opts default_opts;

int ls_zonefile_load_string(const char *text, size_t len, const char *name, const uint8_t *origin,
			    const struct ls_zonefile_opts *opts, struct ls_zone **zone,
			    struct ls_zone_problems **problems)
{
	struct zf_source in = { .kind = ZF_STRING, .path = name, .text = text, .len = len };
	struct zf_ctx c = { 0 };

	return zf_load(&in, origin, opts ? opts : &default_opts, zone, problems, &c);
}

int ls_zonefile_origin_from_path(const char *path, uint8_t origin[LS_DNAME_MAXLEN])
{
	static const char *const suffixes[] = { ".zone", ".db", ".txt" };
	char buf[LS_DNAME_STRLEN + 2];
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len == 0 || len >= sizeof(buf) - 2)
		return -EINVAL;
	memcpy(buf, base, len + 1);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		if (len > sl && strcmp(buf + len - sl, suffixes[i]) == 0) {
			len -= sl;
			buf[len] = '\0';
			break;
		}
	}
	if (buf[len - 1] != '.') {
		buf[len++] = '.';
		buf[len] = '\0';
	}
	return ls_dname_from_str(origin, buf, NULL);
}

int ls_zonefile_load(const char *path, const uint8_t *origin, const struct ls_zonefile_opts *opts,
		     struct ls_zone **zone, struct ls_zone_problems **problems)
{
	struct zf_source in = { .kind = ZF_FILE, .path = path };
	struct zf_ctx c = { 0 };
	uint8_t guess[LS_DNAME_MAXLEN], soa_owner[LS_DNAME_MAXLEN];
	int err;

	if (!opts)
		opts = &default_opts;
	if (origin)
		return zf_load(&in, origin, opts, zone, problems, &c);

	if (ls_zonefile_origin_from_path(path, guess) < 0)
		guess[0] = 0; /* the root; the file's $ORIGIN decides */
	err = zf_load(&in, guess, opts, zone, problems, &c);
	if (!c.have_soa_owner || ls_dname_equal(c.soa_owner, guess))
		return err;
	/* The file names its own apex: read it again with that origin. */
	memcpy(soa_owner, c.soa_owner, ls_dname_len(c.soa_owner));
	ls_zone_free(*zone);
	if (problems) {
		ls_zone_problems_free(*problems);
		*problems = NULL;
	}
	memset(&c, 0, sizeof(c));
	return zf_load(&in, soa_owner, opts, zone, problems, &c);
}
