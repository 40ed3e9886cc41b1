/* SPDX-License-Identifier: MIT */
/*
 * config.c — see config.h.
 *
 * Two passes. libyaml's event parser feeds a small tree of our own (scalars,
 * lists, mappings, each with its 1-based position); building it ourselves
 * rather than with yaml_parser_load() is what lets us refuse aliases where
 * they appear (no billion laughs), bound depth and node count, and insist on
 * one document. Then the tree is walked against tables of known keys, each
 * value parsed by a typed helper that reports into the error list and carries
 * on, so one run reports every problem. References between entries (a remote
 * naming a key, a zone naming a remote) and uniqueness are checked last, when
 * every entry is known, so the file order of sections does not matter.
 *
 * A syntax error in the YAML itself stops the parse: libyaml cannot resume,
 * and validating half a tree would report nonsense.
 */
#include "common/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Bounds on hostile input. The schema nests four levels deep. */
#define MAX_DEPTH 32
#define MAX_NODES 1000000 /* ~100 MB of tree; ~150 000 zone entries */
#define MAX_ID_LEN 63
#define MAX_PATH_LEN 4095
#define MAX_SECRET_LEN 4096 /* base64 characters */
#define MAX_FIELDS 16 /* keys of the largest mapping in the schema */

static const uint8_t root_name[1] = { 0 };

/* ---- The YAML tree ---------------------------------------------------- */

enum yn_type { YN_SCALAR, YN_SEQ, YN_MAP };

struct yn {
	enum yn_type type;
	bool null; /* plain "", "~" or "null": absent value */
	unsigned int line, col;
	char *str; /* YN_SCALAR, NUL-terminated; may hold NULs (len says) */
	size_t len;
	struct yn **kid; /* YN_SEQ: items; YN_MAP: key, value, key, value, ... */
	size_t n, cap;
};

static void yn_free(struct yn *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		yn_free(n->kid[i]); /* depth is bounded by MAX_DEPTH */
	free(n->kid);
	free(n->str);
	free(n);
}

/* ---- Errors -------------------------------------------------------------- */

struct ref {
	const struct yn *node; /* the id as written: its text and position */
	bool is_key; /* a key id, else a remote id */
	bool need_key; /* allow-transfer: the remote must have a TSIG key */
	void *slot; /* const struct ls_config_{key,remote} ** */
	char path[32]; /* "zone.primaries" */
};

struct ctx {
	const char *name;
	struct ls_config_errors *errs;
	struct ls_config *cfg;
	size_t nerr;
	bool oom;
	struct ref *refs;
	size_t nrefs, refcap;
	/* Where each entry's id was written, for "first at" in duplicates. */
	const struct yn **key_pos, **remote_pos, **catalog_pos, **zone_pos;
	const struct yn *key; /* the key whose value is being parsed */
	const struct yn *xdp_node; /* service.xdp, if given */
	const struct yn *admin_tls_node; /* the first admin.tls-* key given */
	bool http_off;
};

static void vreport(struct ctx *c, unsigned int line, unsigned int col, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void vreport(struct ctx *c, unsigned int line, unsigned int col, const char *fmt, va_list ap)
{
	struct ls_config_errors *e = c->errs;
	struct ls_config_error *x;
	char msg[LS_CONFIG_MSG_LEN];

	c->nerr++;
	if (!e)
		return;
	e->total++;
	if (e->count == LS_CONFIG_MAX_ERRORS)
		return;
	x = &e->err[e->count++];
	x->line = line;
	x->column = col;
	/* Through a local buffer: gcc cannot see that msg and text do not overlap. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	memcpy(x->msg, msg, sizeof(msg));
	if (line)
		snprintf(x->text, sizeof(x->text), "%s:%u:%u: %s", c->name, line, col, msg);
	else
		snprintf(x->text, sizeof(x->text), "%s: %s", c->name, msg);
}

static void report(struct ctx *c, unsigned int line, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(struct ctx *c, unsigned int line, unsigned int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, line, col, fmt, ap);
	va_end(ap);
}

static void err_at(struct ctx *c, const struct yn *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void err_at(struct ctx *c, const struct yn *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

/* Errors are found in walk order, references last; show them in file order. */
static void sort_errors(struct ls_config_errors *e)
{
	for (size_t i = 1; i < e->count; i++) {
		struct ls_config_error tmp = e->err[i];
		size_t j = i;

		while (j > 0 &&
		       (e->err[j - 1].line > tmp.line ||
			(e->err[j - 1].line == tmp.line && e->err[j - 1].column > tmp.column))) {
			e->err[j] = e->err[j - 1];
			j--;
		}
		e->err[j] = tmp;
	}
}

/*
 * User text quoted into a message: printable ASCII as is, anything else as
 * \xHH (a config must not be able to write escape sequences to a terminal),
 * cut at 40 characters.
 */
struct qbuf {
	char s[176];
};

static const char *quote(struct qbuf *q, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t out = 0, i;

	for (i = 0; i < len && i < 40; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			q->s[out++] = (char)ch;
		} else {
			q->s[out++] = '\\';
			q->s[out++] = 'x';
			q->s[out++] = hex[ch >> 4];
			q->s[out++] = hex[ch & 15];
		}
	}
	if (i < len) {
		memcpy(q->s + out, "...", 3);
		out += 3;
	}
	q->s[out] = '\0';
	return q->s;
}

static const char *qn(struct qbuf *q, const struct yn *n)
{
	return quote(q, n->str, n->len);
}

/* Levenshtein distance of short strings, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The candidate closest to @s, if close enough to be a likely typo. */
static const char *closest(const char *s, const char *const *cand, size_t n)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(s, cand[i]);

		if (d < bestd && d < strlen(cand[i])) {
			bestd = d;
			best = cand[i];
		}
	}
	return best;
}

/* ---- Loading YAML into the tree ---------------------------------------- */

struct loader {
	yaml_parser_t parser;
	struct ctx *c;
	const char *text;
	size_t len;
	size_t nodes;
};

/* 1-based line and column (in characters) of byte @off of the input. */
static void offset_pos(const struct loader *ld, size_t off, unsigned int *line, unsigned int *col)
{
	unsigned int l = 1, cl = 1;

	for (size_t i = 0; i < off && i < ld->len; i++) {
		unsigned char ch = (unsigned char)ld->text[i];

		if (ch == '\n') {
			l++;
			cl = 1;
		} else if ((ch & 0xC0) != 0x80) {
			cl++;
		}
	}
	*line = l;
	*col = cl;
}

/* The input byte at 0-based line/column @m (ASCII columns), or 0. */
static char char_at(const struct loader *ld, yaml_mark_t m)
{
	size_t i = 0, line = 0;

	while (i < ld->len && line < m.line) {
		if (ld->text[i++] == '\n')
			line++;
	}
	if (i + m.column < ld->len)
		return ld->text[i + m.column];
	return 0;
}

static void report_yaml_error(struct loader *ld)
{
	yaml_parser_t *p = &ld->parser;
	struct ctx *c = ld->c;
	unsigned int line, col;
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		c->oom = true;
		report(c, 0, 0, "out of memory");
		return;
	case YAML_READER_ERROR:
		offset_pos(ld, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			report(c, line, col, "YAML: %s (#x%X)", problem,
			       (unsigned)p->problem_value);
		else
			report(c, line, col, "YAML: %s", problem);
		return;
	default:
		break;
	}
	line = (unsigned)p->problem_mark.line + 1;
	col = (unsigned)p->problem_mark.column + 1;
	const char *hint = char_at(ld, p->problem_mark) == '\t' && !strstr(problem, "tab") ?
				   " (YAML does not allow tabs for indentation; use spaces)" :
				   "";
	if (p->context && (p->context_mark.line != p->problem_mark.line ||
			   p->context_mark.column != p->problem_mark.column))
		report(c, line, col, "YAML: %s (%s at %u:%u)%s", problem, p->context,
		       (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1,
		       hint);
	else if (p->context)
		report(c, line, col, "YAML: %s (%s)%s", problem, p->context, hint);
	else
		report(c, line, col, "YAML: %s%s", problem, hint);
}

static int next_event(struct loader *ld, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ld->parser, ev)) {
		report_yaml_error(ld);
		return ld->c->oom ? -ENOMEM : -EINVAL;
	}
	return 0;
}

static void mark_report(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void mark_report(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, (unsigned)m.line + 1, (unsigned)m.column + 1, fmt, ap);
	va_end(ap);
}

/* Only the core tags that say what the node already is are accepted. */
static bool tag_ok(const yaml_char_t *tag, const char *allowed)
{
	return !tag || strcmp((const char *)tag, allowed) == 0;
}

static int yn_append(struct yn *parent, struct yn *kid)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct yn **k = realloc(parent->kid, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		parent->kid = k;
		parent->cap = cap;
	}
	parent->kid[parent->n++] = kid;
	return 0;
}

static bool is_null_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag)
		return false;
	return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* Build the node that @ev starts; consumes the events up to its end. */
static int load_node(struct loader *ld, const yaml_event_t *ev, unsigned int depth, struct yn **out)
{
	struct ctx *c = ld->c;
	struct yn *n = NULL;
	yaml_event_type_t end;
	const char *tag;
	struct qbuf q;
	int err;

	*out = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		mark_report(c, ev->start_mark, "YAML aliases are not supported (*%s)",
			    quote(&q, (const char *)ev->data.alias.anchor,
				  strlen((const char *)ev->data.alias.anchor)));
		return -EINVAL;
	case YAML_SCALAR_EVENT:
		if (!tag_ok(ev->data.scalar.tag, YAML_STR_TAG))
			goto bad_tag;
		end = YAML_NO_EVENT;
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (!tag_ok(ev->data.sequence_start.tag, YAML_SEQ_TAG))
			goto bad_tag;
		end = YAML_SEQUENCE_END_EVENT;
		break;
	case YAML_MAPPING_START_EVENT:
		if (!tag_ok(ev->data.mapping_start.tag, YAML_MAP_TAG))
			goto bad_tag;
		end = YAML_MAPPING_END_EVENT;
		break;
	default:
		mark_report(c, ev->start_mark, "YAML: unexpected event");
		return -EINVAL;
	}

	if (ld->nodes >= MAX_NODES) {
		report(c, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
		       "YAML document has more than %d nodes", MAX_NODES);
		return -EINVAL;
	}
	if (end != YAML_NO_EVENT && depth >= MAX_DEPTH) {
		report(c, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
		       "YAML nesting deeper than %d levels", MAX_DEPTH);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	ld->nodes++;
	n->line = (unsigned)ev->start_mark.line + 1;
	n->col = (unsigned)ev->start_mark.column + 1;

	if (ev->type == YAML_SCALAR_EVENT) {
		n->type = YN_SCALAR;
		n->len = ev->data.scalar.length;
		n->null = is_null_scalar(ev);
		n->str = malloc(n->len + 1);
		if (!n->str) {
			err = -ENOMEM;
			goto free_node;
		}
		memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = '\0';
		*out = n;
		return 0;
	}

	n->type = ev->type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP;
	for (;;) {
		yaml_event_t kev;
		struct yn *kid;

		err = next_event(ld, &kev);
		if (err)
			goto free_node;
		if (kev.type == end) {
			yaml_event_delete(&kev);
			break;
		}
		err = load_node(ld, &kev, depth + 1, &kid);
		yaml_event_delete(&kev);
		if (err)
			goto free_node;
		err = yn_append(n, kid);
		if (err) {
			yn_free(kid);
			goto free_node;
		}
	}
	*out = n;
	return 0;

bad_tag:
	tag = ev->type == YAML_SCALAR_EVENT	    ? (const char *)ev->data.scalar.tag :
	      ev->type == YAML_SEQUENCE_START_EVENT ? (const char *)ev->data.sequence_start.tag :
						      (const char *)ev->data.mapping_start.tag;
	mark_report(c, ev->start_mark, "YAML tags are not supported ('%s')",
		    quote(&q, tag, strlen(tag)));
	return -EINVAL;
free_node:
	yn_free(n);
	return err;
}

/* One stream holding at most one document; *root is NULL for an empty one. */
static int load_document(struct loader *ld, struct yn **root)
{
	yaml_event_t ev;
	int err;

	*root = NULL;
	err = next_event(ld, &ev); /* STREAM-START */
	if (err)
		return err;
	yaml_event_delete(&ev);

	err = next_event(ld, &ev);
	if (err)
		return err;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */

	err = next_event(ld, &ev);
	if (err)
		return err;
	err = load_node(ld, &ev, 0, root);
	yaml_event_delete(&ev);
	if (err)
		return err;

	err = next_event(ld, &ev); /* DOCUMENT-END */
	if (err)
		goto free_root;
	yaml_event_delete(&ev);

	err = next_event(ld, &ev);
	if (err)
		goto free_root;
	if (ev.type != YAML_STREAM_END_EVENT) {
		mark_report(ld->c, ev.start_mark,
			    "more than one YAML document; a configuration is one document");
		yaml_event_delete(&ev);
		err = -EINVAL;
		goto free_root;
	}
	yaml_event_delete(&ev);
	return 0;

free_root:
	yn_free(*root);
	*root = NULL;
	return err;
}

/* ---- Typed values ------------------------------------------------------- */

static const char *type_name(const struct yn *n)
{
	switch (n->type) {
	case YN_SEQ:
		return "a list";
	case YN_MAP:
		return "a mapping";
	default:
		return n->null ? "no value" : "a single value";
	}
}

/* The string of a scalar value, or NULL after reporting why not. */
static const char *scalar(struct ctx *c, const char *path, const struct yn *v)
{
	if (v->type != YN_SCALAR) {
		err_at(c, v, "%s: expected a single value, found %s", path, type_name(v));
		return NULL;
	}
	if (v->null) {
		err_at(c, v, "%s: missing value", path);
		return NULL;
	}
	if (strlen(v->str) != v->len) {
		err_at(c, v, "%s: value contains a NUL character", path);
		return NULL;
	}
	return v->str;
}

static void set_str(struct ctx *c, char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
	if (!*dst)
		c->oom = true;
}

/* Ids of nodes and remotes: short, and safe in logs, JSON and file names. */
static bool id_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > MAX_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return false;
	}
	return true;
}

static const char *get_id(struct ctx *c, const char *path, const struct yn *v)
{
	const char *s = scalar(c, path, v);
	struct qbuf q;

	if (!s)
		return NULL;
	if (!id_ok(s)) {
		err_at(c, v, "%s: '%s' is not a valid id (1 to %d letters, digits, '-', '_', '.')",
		       path, qn(&q, v), MAX_ID_LEN);
		return NULL;
	}
	return s;
}

static void get_abs_path(struct ctx *c, const char *path, const struct yn *v, char **dst)
{
	const char *s = scalar(c, path, v);
	struct qbuf q;

	if (!s)
		return;
	if (s[0] != '/') {
		err_at(c, v, "%s: '%s' is not an absolute path", path, qn(&q, v));
		return;
	}
	if (v->len > MAX_PATH_LEN) {
		err_at(c, v, "%s: path longer than %d characters", path, MAX_PATH_LEN);
		return;
	}
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			err_at(c, v, "%s: path contains a control character", path);
			return;
		}
	}
	set_str(c, dst, s);
}

/*
 * Index of the value in @names (a NULL-terminated list, in enum order), or
 * -1 after reporting; @expected lists them as the documentation does.
 */
static int get_enum(struct ctx *c, const char *path, const struct yn *v, const char *const *names,
		    const char *expected)
{
	const char *s = scalar(c, path, v);
	struct qbuf q;

	if (!s)
		return -1;
	for (int i = 0; names[i]; i++) {
		if (strcmp(s, names[i]) == 0)
			return i;
	}
	err_at(c, v, "%s: bad value '%s': expected %s", path, qn(&q, v), expected);
	return -1;
}

/* An absolute domain name; a name without the final dot is taken as absolute. */
static bool get_dname(struct ctx *c, const char *path, const struct yn *v,
		      uint8_t name[LS_DNAME_MAXLEN], char **domain)
{
	const char *s = scalar(c, path, v);
	char text[LS_DNAME_STRLEN];
	struct qbuf q;
	int err;

	if (!s)
		return false;
	err = ls_dname_from_str(name, s, root_name);
	if (err < 0) {
		err_at(c, v, "%s: '%s' is not a valid domain name (%s)", path, qn(&q, v),
		       err == -EMSGSIZE ? "a label over 63 octets or a name over 255" :
					  "empty label or bad escape");
		return false;
	}
	ls_dname_lower(name);
	if (domain) {
		if (ls_dname_to_str(text, sizeof(text), name) < 0)
			return false;
		set_str(c, domain, text);
	}
	return true;
}

static bool get_duration(struct ctx *c, const char *path, const struct yn *v, uint64_t min,
			 uint64_t max, const char *range, uint64_t *dst)
{
	const char *s = scalar(c, path, v);
	struct qbuf q;
	uint64_t ns;
	int err;

	if (!s)
		return false;
	err = ls_config_parse_duration(s, &ns);
	if (err == -EINVAL) {
		err_at(c, v,
		       "%s: bad duration '%s': expected an integer and a unit (ns, us, ms, s, m, h), "
		       "e.g. 10ms",
		       path, qn(&q, v));
		return false;
	}
	if (err || ns < min || ns > max) {
		err_at(c, v, "%s: duration '%s' out of range %s", path, qn(&q, v), range);
		return false;
	}
	*dst = ns;
	return true;
}

static void addr_error(struct ctx *c, const char *path, const struct yn *v, int err)
{
	struct qbuf q;

	if (err == -ERANGE)
		err_at(c, v, "%s: bad port in '%s': expected 1..65535", path, qn(&q, v));
	else if (err == -ENODEV)
		err_at(c, v, "%s: unknown interface in the zone index of '%s'", path, qn(&q, v));
	else
		err_at(c, v,
		       "%s: bad address '%s': expected ADDR or ADDR@PORT (IPv6 as 2001:db8::1@53 "
		       "or [2001:db8::1]@53)",
		       path, qn(&q, v));
}

static bool get_addr(struct ctx *c, const char *path, const struct yn *v, uint16_t default_port,
		     struct ls_config_addr *dst)
{
	const char *s = scalar(c, path, v);
	int err;

	if (!s)
		return false;
	err = ls_config_parse_addr_port(s, default_port, dst);
	if (err) {
		addr_error(c, path, v, err);
		return false;
	}
	return true;
}

/*
 * A list value: a YAML list, one scalar standing for a list of one, or no
 * value at all for an empty list.
 */
struct items {
	struct yn *const *v;
	size_t n;
	struct yn *one;
};

static bool get_list(struct ctx *c, const char *path, const struct yn *v, struct items *it)
{
	it->n = 0;
	it->v = NULL;
	if (v->type == YN_SEQ) {
		it->v = v->kid;
		it->n = v->n;
		return true;
	}
	if (v->type == YN_SCALAR) {
		if (v->null)
			return true;
		it->one = (struct yn *)v;
		it->v = &it->one;
		it->n = 1;
		return true;
	}
	err_at(c, v, "%s: expected a list, found %s", path, type_name(v));
	return false;
}

static void *alloc_array(struct ctx *c, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	p = calloc(n, size);
	if (!p)
		c->oom = true;
	return p;
}

static void add_ref(struct ctx *c, const struct yn *v, bool is_key, void *slot, const char *path)
{
	if (c->nrefs == c->refcap) {
		size_t cap = c->refcap ? c->refcap * 2 : 16;
		struct ref *r = realloc(c->refs, cap * sizeof(*r));

		if (!r) {
			c->oom = true;
			return;
		}
		c->refs = r;
		c->refcap = cap;
	}
	c->refs[c->nrefs] = (struct ref){ .node = v, .is_key = is_key, .slot = slot };
	snprintf(c->refs[c->nrefs].path, sizeof(c->refs[c->nrefs].path), "%s", path);
	c->nrefs++;
}

/* A list of remote ids, resolved once every remote is known. */
static void get_primaries(struct ctx *c, const char *path, const struct yn *v,
			  const struct ls_config_remote ***dst, size_t *count)
{
	struct items it;
	struct qbuf q;

	if (!get_list(c, path, v, &it))
		return;
	free(*dst);
	*dst = alloc_array(c, it.n, sizeof(**dst));
	*count = 0;
	if (!*dst)
		return;
	*count = it.n;
	for (size_t i = 0; i < it.n; i++) {
		if (!get_id(c, path, it.v[i]))
			continue;
		for (size_t j = 0; j < i; j++) {
			if (it.v[j]->type == YN_SCALAR && strcmp(it.v[j]->str, it.v[i]->str) == 0) {
				err_at(c, it.v[i], "%s: remote '%s' is listed twice", path,
				       qn(&q, it.v[i]));
				break;
			}
		}
		add_ref(c, it.v[i], false, &(*dst)[i], path);
	}
}

/* ---- Mappings against tables of known keys ---------------------------- */

typedef void (*field_fn)(struct ctx *c, const char *path, const struct yn *v, void *obj);

struct field {
	const char *key;
	bool required;
	field_fn fn;
};

/*
 * Walk mapping @map: every key must be one of @f, at most once; the
 * required ones must be there. @section prefixes paths in messages ("" at
 * the top), @what names the mapping in prose, @where is where a missing key
 * is reported: the key that introduced the mapping, or the list entry.
 */
static void walk_map(struct ctx *c, const char *section, const char *what, const struct yn *map,
		     const struct yn *where, const struct field *f, size_t nf, void *obj)
{
	const struct yn *seen[MAX_FIELDS] = { 0 };
	const char *names[MAX_FIELDS];
	struct qbuf q;

	for (size_t i = 0; i < nf; i++)
		names[i] = f[i].key;
	if (map && !(map->type == YN_SCALAR && map->null)) {
		if (map->type != YN_MAP) {
			err_at(c, map, "%s: expected a mapping, found %s",
			       section[0] ? section : "configuration", type_name(map));
			return;
		}
		for (size_t i = 0; i + 1 < map->n; i += 2) {
			const struct yn *k = map->kid[i], *v = map->kid[i + 1];
			char path[128];
			size_t idx;

			if (k->type != YN_SCALAR || k->null || strlen(k->str) != k->len) {
				err_at(c, k, "expected a key name %s, found %s", what,
				       k->type == YN_SCALAR ? "a bad key" : type_name(k));
				continue;
			}
			for (idx = 0; idx < nf; idx++) {
				if (strcmp(k->str, f[idx].key) == 0)
					break;
			}
			if (idx == nf) {
				const char *near = closest(k->str, names, nf);

				if (near)
					err_at(c, k, "unknown key '%s' %s (did you mean '%s'?)",
					       qn(&q, k), what, near);
				else
					err_at(c, k, "unknown key '%s' %s", qn(&q, k), what);
				continue;
			}
			if (seen[idx]) {
				err_at(c, k, "duplicate key '%s' %s (first at %u:%u)", f[idx].key,
				       what, seen[idx]->line, seen[idx]->col);
				continue;
			}
			seen[idx] = k;
			c->key = k;
			if (section[0])
				snprintf(path, sizeof(path), "%s.%s", section, f[idx].key);
			else
				snprintf(path, sizeof(path), "%s", f[idx].key);
			f[idx].fn(c, path, v, obj);
		}
	}
	for (size_t i = 0; i < nf; i++) {
		if (f[i].required && !seen[i])
			err_at(c, where, "missing required key '%s' %s", f[i].key, what);
	}
}

#define NFIELDS(f) (sizeof(f) / sizeof((f)[0]))

/* ---- node --------------------------------------------------------------- */

static void node_id(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	const char *s = get_id(c, path, v);

	if (s)
		set_str(c, &c->cfg->node.id, s);
}

static void node_state_dir(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_abs_path(c, path, v, &c->cfg->node.state_dir);
}

static void node_spool_dir(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_abs_path(c, path, v, &c->cfg->node.spool_dir);
}

/* a Unix socket path: sun_path holds 107 characters and the NUL */
static void node_control_socket(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_abs_path(c, path, v, &c->cfg->node.control_socket);
	if (c->cfg->node.control_socket && strlen(c->cfg->node.control_socket) > 107)
		err_at(c, v, "%s: a socket path longer than 107 characters", path);
}

static void node_ixfr_journal_size(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	const char *s = scalar(c, path, v);
	struct qbuf q;
	int err;

	if (!s)
		return;
	err = ls_config_parse_size(s, &c->cfg->node.ixfr_journal_size);
	if (err == -ERANGE)
		err_at(c, v, "%s: size '%s' out of range 0..1T", path, qn(&q, v));
	else if (err)
		err_at(c, v,
		       "%s: bad size '%s': expected an integer and an optional unit (K, M, G), "
		       "e.g. 16M",
		       path, qn(&q, v));
}

static const struct field node_fields[] = {
	{ "id", true, node_id },
	{ "ixfr-journal-size", false, node_ixfr_journal_size },
	{ "state-dir", false, node_state_dir },
	{ "spool-dir", false, node_spool_dir },
	{ "control-socket", false, node_control_socket },
};

/* ---- service ------------------------------------------------------------ */

/* The port of @ss (AF_INET or AF_INET6), in network order. */
static in_port_t *ss_port(struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? &((struct sockaddr_in *)ss)->sin_port :
					  &((struct sockaddr_in6 *)ss)->sin6_port;
}

/*
 * A list of ADDR[@PORT] (ADDR alone when !@port_ok), @default_port where no
 * port is given: the good ones are stored in *@addrs and counted in *@count,
 * each bad one is reported.
 */
static void get_addr_list(struct ctx *c, const char *path, const struct yn *v,
			  uint16_t default_port, bool port_ok, struct ls_config_addr **addrs,
			  size_t *count)
{
	struct items it;
	struct qbuf q;

	if (!get_list(c, path, v, &it))
		return;
	*addrs = alloc_array(c, it.n, sizeof(**addrs));
	if (!*addrs)
		return;
	for (size_t i = 0; i < it.n; i++) {
		const char *s = scalar(c, path, it.v[i]);

		if (!s)
			continue;
		if (!port_ok && strchr(s, '@')) {
			err_at(c, it.v[i], "%s: '%s' must not have a port (set service.port)", path,
			       qn(&q, it.v[i]));
			continue;
		}
		if (get_addr(c, path, it.v[i], default_port, &(*addrs)[*count]))
			(*count)++;
	}
}

static void service_addresses(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	/* The port is service.port for all of them: one knob, not two. */
	get_addr_list(c, path, v, 53, false, &c->cfg->service.addrs, &c->cfg->service.addr_count);
}

static int parse_port(const char *s, uint16_t *port);

static bool get_port(struct ctx *c, const char *path, const struct yn *v, uint16_t *dst)
{
	const char *s = scalar(c, path, v);
	struct qbuf q;
	int err;

	if (!s)
		return false;
	err = parse_port(s, dst);
	if (err == -ERANGE)
		err_at(c, v, "%s: %s out of range 1..65535", path, qn(&q, v));
	else if (err)
		err_at(c, v, "%s: '%s' is not a port number", path, qn(&q, v));
	return err == 0;
}

static void service_port(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_port(c, path, v, &c->cfg->service.port);
}

static void service_interface(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	const char *s = scalar(c, path, v);
	struct qbuf q;

	if (!s)
		return;
	/* What the kernel accepts as a name: under IFNAMSIZ, no '/', no space. */
	bool ok = v->len > 0 && v->len < IF_NAMESIZE && strcmp(s, ".") && strcmp(s, "..");
	for (const char *p = s; ok && *p; p++) {
		if (*p == '/' || *p == ':' || (unsigned char)*p <= 0x20 || *p == 0x7f)
			ok = false;
	}
	if (!ok) {
		err_at(c, v, "%s: '%s' is not a valid interface name", path, qn(&q, v));
		return;
	}
	set_str(c, &c->cfg->service.interface, s);
}

static const char *const xdp_names[] = { "off", "native", "generic", NULL };

static void service_xdp(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	int i = get_enum(c, path, v, xdp_names, "native, generic or off");

	if (i >= 0) {
		c->cfg->service.xdp = (enum ls_config_xdp)i;
		c->xdp_node = v;
	}
}

static const struct field service_fields[] = {
	{ "addresses", false, service_addresses },
	{ "port", false, service_port },
	{ "interface", false, service_interface },
	{ "xdp", false, service_xdp },
};

/* ---- admin -------------------------------------------------------------- */

static void admin_listen(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_addr_list(c, path, v, 53, true, &c->cfg->admin.listen, &c->cfg->admin.listen_count);
}

static void admin_http(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	if (v->type == YN_SCALAR && strcmp(v->str, "off") == 0) {
		c->cfg->admin.http_enabled = false;
		return;
	}
	get_addr(c, path, v, 8053, &c->cfg->admin.http);
}

static void admin_tls_listen(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	if (!c->admin_tls_node)
		c->admin_tls_node = c->key;
	get_addr_list(c, path, v, 853, true, &c->cfg->admin.tls_listen,
		      &c->cfg->admin.tls_listen_count);
}

static void admin_tls_certificate(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	if (!c->admin_tls_node)
		c->admin_tls_node = c->key;
	get_abs_path(c, path, v, &c->cfg->admin.tls_certificate);
}

static void admin_tls_key(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	if (!c->admin_tls_node)
		c->admin_tls_node = c->key;
	get_abs_path(c, path, v, &c->cfg->admin.tls_key);
}

static const struct field admin_fields[] = {
	{ "listen", false, admin_listen },
	{ "http", false, admin_http },
	{ "tls-listen", false, admin_tls_listen },
	{ "tls-certificate", false, admin_tls_certificate },
	{ "tls-key", false, admin_tls_key },
};

/* ---- clock -------------------------------------------------------------- */

#define NS_US 1000ull
#define NS_MS 1000000ull
#define NS_S 1000000000ull

static void clock_chrony(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_abs_path(c, path, v, &c->cfg->clock.chrony_socket);
}

static void clock_ntp(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	c->cfg->clock.has_ntp_server = get_addr(c, path, v, 123, &c->cfg->clock.ntp_server);
}

static void clock_skew(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_duration(c, path, v, 1 * NS_US, 60 * NS_S, "1us..60s", &c->cfg->clock.skew_budget_ns);
}

static void clock_lease(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_duration(c, path, v, 100 * NS_MS, 3600 * NS_S, "100ms..1h", &c->cfg->clock.lease_ns);
}

static void clock_dnssec_margin(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_duration(c, path, v, 0, 168 * 3600 * NS_S, "0s..168h", &c->cfg->clock.dnssec_margin_ns);
}

static void clock_margin(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_duration(c, path, v, 0, 60 * NS_S, "0s..60s", &c->cfg->clock.margin_ns);
}

static const char *const kernel_check_names[] = { "enforce", "report", NULL };

static void clock_kernel_check(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	int i = get_enum(c, path, v, kernel_check_names, "enforce or report");

	if (i >= 0)
		c->cfg->clock.kernel_check_report = i == 1;
}

static void clock_socket_dir(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_abs_path(c, path, v, &c->cfg->clock.socket_dir);
}

static const struct field clock_fields[] = {
	{ "chrony-socket", false, clock_chrony },
	{ "kernel-check", false, clock_kernel_check },
	{ "margin", false, clock_margin },
	{ "socket-dir", false, clock_socket_dir },
	{ "dnssec-margin", false, clock_dnssec_margin },
	{ "ntp-server", false, clock_ntp },
	{ "skew-budget", false, clock_skew },
	{ "lease", false, clock_lease },
};

/* ---- hooks, log --------------------------------------------------------- */

static void hook_serve(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_abs_path(c, path, v, &c->cfg->hooks.on_serve);
}

static void hook_withdraw(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_abs_path(c, path, v, &c->cfg->hooks.on_withdraw);
}

static void hook_timeout(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_duration(c, path, v, 100 * NS_MS, 3600 * NS_S, "100ms..1h", &c->cfg->hooks.timeout_ns);
}

static const struct field hooks_fields[] = {
	{ "on-serve", false, hook_serve },
	{ "on-withdraw", false, hook_withdraw },
	{ "timeout", false, hook_timeout },
};

static const char *const level_names[] = { "error", "warning", "notice", "info", "debug", NULL };
static const enum ls_log_level level_values[] = { LS_LOG_ERR, LS_LOG_WARNING, LS_LOG_NOTICE,
						  LS_LOG_INFO, LS_LOG_DEBUG };

static void log_level(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	int i = get_enum(c, path, v, level_names, "error, warning, notice, info or debug");

	if (i >= 0)
		c->cfg->log_level = level_values[i];
}

static const struct field log_fields[] = {
	{ "level", false, log_level },
};

/* ---- key ---------------------------------------------------------------- */

static int b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Strict RFC 4648 base64: padded to a multiple of four, no whitespace, and
 * the unused bits of the last group zero, so one secret has one spelling.
 */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t *outlen)
{
	size_t o = 0;

	if (len == 0 || len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;

		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
			} else if (pad) {
				return -EINVAL; /* data after '=' */
			} else if ((v[j] = b64_value(s[i + j])) < 0) {
				return -EINVAL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -EINVAL;
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)w;
	}
	*outlen = o;
	return 0;
}

static void key_id(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_key *k = obj;
	const char *s = get_id(c, path, v);
	struct qbuf q;

	if (!s)
		return;
	/* The id is the TSIG key name (RFC 8945 §4.2), so it must be a name. */
	if (ls_dname_from_str(k->name, s, root_name) <= 1) {
		err_at(c, v,
		       "%s: '%s' is not a valid key name (a domain name, like 'k1' or "
		       "'xfr.example.')",
		       path, qn(&q, v));
		return;
	}
	ls_dname_lower(k->name);
	set_str(c, &k->id, s);
	c->key_pos[k - c->cfg->keys] = v;
}

static const char *const alg_names[] = { "hmac-sha1",	"hmac-sha224", "hmac-sha256",
					 "hmac-sha384", "hmac-sha512", NULL };

static void key_algorithm(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_key *k = obj;
	int i = get_enum(c, path, v, alg_names,
			 "hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512");

	if (i >= 0)
		k->algorithm = (enum ls_config_key_alg)i;
}

static void key_secret(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_key *k = obj;
	const char *s = scalar(c, path, v);
	size_t len;

	if (!s)
		return;
	if (v->len > MAX_SECRET_LEN) {
		err_at(c, v, "%s: secret longer than %d base64 characters", path, MAX_SECRET_LEN);
		return;
	}
	k->secret = malloc(v->len / 4 * 3 + 3);
	if (!k->secret) {
		c->oom = true;
		return;
	}
	if (b64_decode(s, v->len, k->secret, &len)) {
		err_at(c, v, "%s: not valid base64 (RFC 4648, padded, no spaces)", path);
		free(k->secret);
		k->secret = NULL;
		return;
	}
	k->secret_len = len;
}

static const struct field key_fields[] = {
	{ "id", true, key_id },
	{ "algorithm", true, key_algorithm },
	{ "secret", true, key_secret },
};

/* ---- remote ------------------------------------------------------------- */

static void remote_id(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_remote *r = obj;
	const char *s = get_id(c, path, v);

	if (!s)
		return;
	set_str(c, &r->id, s);
	c->remote_pos[r - c->cfg->remotes] = v;
}

static void remote_address(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_remote *r = obj;
	struct items it;

	if (!get_list(c, path, v, &it))
		return;
	if (it.n == 0) {
		err_at(c, v, "%s: needs at least one address", path);
		return;
	}
	r->addrs = alloc_array(c, it.n, sizeof(*r->addrs));
	if (!r->addrs)
		return;
	for (size_t i = 0; i < it.n; i++) {
		struct ls_config_addr *a = &r->addrs[r->addr_count];

		if (!get_addr(c, path, it.v[i], 53, a))
			continue;
		/*
		 * No @PORT: port 0 until finish() knows whether this is a TLS
		 * remote (853) or not (53); keys come in any order.
		 */
		if (!strchr(it.v[i]->str, '@'))
			*ss_port(&a->ss) = 0;
		r->addr_count++;
	}
}

static void remote_tls(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	static const char *const names[] = { "false", "true", NULL };
	struct ls_config_remote *r = obj;
	int i = get_enum(c, path, v, names, "true or false");

	if (i >= 0)
		r->tls = i == 1;
}

static void remote_tls_ca(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	get_abs_path(c, path, v, &((struct ls_config_remote *)obj)->tls_ca);
}

static void remote_tls_hostname(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_remote *r = obj;
	const char *s = scalar(c, path, v);
	struct qbuf q;
	size_t len;

	if (!s)
		return;
	/* a host name as certificates carry it (RFC 6125): no escapes, no spaces */
	len = strlen(s);
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_')) {
			len = 0;
			break;
		}
	}
	if (len == 0 || len > 253) {
		err_at(c, v, "%s: '%s' is not a host name", path, qn(&q, v));
		return;
	}
	set_str(c, &r->tls_hostname, s);
}

/* base64 of the SHA-256 of the SubjectPublicKeyInfo (as kdig +tls-pin, RFC 7858 §4.2) */
static void remote_tls_pin(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_remote *r = obj;
	struct items it;

	if (!get_list(c, path, v, &it))
		return;
	if (it.n == 0) {
		err_at(c, v, "%s: needs at least one pin", path);
		return;
	}
	r->tls_pins = alloc_array(c, it.n, sizeof(*r->tls_pins));
	if (!r->tls_pins)
		return;
	for (size_t i = 0; i < it.n; i++) {
		const char *s = scalar(c, path, it.v[i]);
		uint8_t buf[36];
		size_t len;

		if (!s)
			continue;
		if (it.v[i]->len != 44 || b64_decode(s, 44, buf, &len) || len != 32) {
			err_at(c, it.v[i], "%s: expected the base64 of a SHA-256 digest", path);
			continue;
		}
		memcpy(r->tls_pins[r->tls_pin_count++], buf, 32);
	}
}

static void remote_key(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_remote *r = obj;

	if (get_id(c, path, v))
		add_ref(c, v, true, &r->key, "remote.key");
}

static const struct field remote_fields[] = {
	{ "id", true, remote_id },
	{ "address", true, remote_address },
	{ "key", false, remote_key },
	{ "tls", false, remote_tls },
	{ "tls-ca", false, remote_tls_ca },
	{ "tls-hostname", false, remote_tls_hostname },
	{ "tls-pin-sha256", false, remote_tls_pin },
};

/* Ports of remote addresses written without one, and the TLS keys' coherence. */
static void finish_remotes(struct ctx *c)
{
	struct ls_config *cfg = c->cfg;

	for (size_t i = 0; i < cfg->remote_count; i++) {
		struct ls_config_remote *r = &cfg->remotes[i];
		const struct yn *at = c->remote_pos ? c->remote_pos[i] : NULL;
		uint16_t port = htons(r->tls ? 853 : 53);

		for (size_t j = 0; j < r->addr_count; j++) {
			in_port_t *p = ss_port(&r->addrs[j].ss);

			if (*p == 0)
				*p = port;
		}
		if (!r->tls && (r->tls_ca || r->tls_hostname || r->tls_pin_count))
			report(c, at ? at->line : 0, at ? at->col : 0,
			       "remote '%s': tls-ca, tls-hostname and tls-pin-sha256 need tls: true",
			       r->id ? r->id : "?");
		if (r->tls_hostname && !r->tls_ca)
			report(c, at ? at->line : 0, at ? at->col : 0,
			       "remote '%s': tls-hostname is checked against tls-ca's chain; "
			       "it needs tls-ca",
			       r->id ? r->id : "?");
	}
	if (c->admin_tls_node &&
	    (!cfg->admin.tls_listen || !cfg->admin.tls_certificate || !cfg->admin.tls_key))
		err_at(c, c->admin_tls_node,
		       "admin: tls-listen, tls-certificate and tls-key go together");
}

/* ---- catalog ------------------------------------------------------------ */

static void catalog_zone(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_catalog *cat = obj;

	if (get_dname(c, path, v, cat->name, &cat->domain))
		c->catalog_pos[cat - c->cfg->catalogs] = v;
}

static void catalog_primaries(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_catalog *cat = obj;

	get_primaries(c, path, v, &cat->primaries, &cat->primary_count);
	if (cat->primary_count == 0 && !c->oom)
		err_at(c, v, "%s: needs at least one remote", path);
}

static void catalog_notify(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_catalog *cat = obj;

	get_primaries(c, path, v, &cat->notify, &cat->notify_count);
}

/*
 * allow-transfer of a zone or catalog: remote ids whose key (and address)
 * may transfer it; each listed remote must have a key, checked once the
 * remotes are resolved.
 */
static void get_allow_transfer(struct ctx *c, const char *path, const struct yn *v,
			       const struct ls_config_remote ***dst, size_t *count, bool *has)
{
	size_t first = c->nrefs;

	*has = true;
	get_primaries(c, path, v, dst, count);
	for (size_t i = first; i < c->nrefs; i++)
		c->refs[i].need_key = true;
}

static void catalog_allow_transfer(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_catalog *cat = obj;

	get_allow_transfer(c, path, v, &cat->allow_transfer, &cat->allow_transfer_count,
			   &cat->has_allow_transfer);
}

/* catalog.groups is a list of entries inside an entry: the list helpers come later. */
static size_t list_section(struct ctx *c, const char *path, const struct yn *v, void **array,
			   size_t size, const struct yn ***pos);
static void each_entry(struct ctx *c, const char *path, const struct yn *v, void *array,
		       size_t size, size_t n, const struct field *f, size_t nf);

static void group_name(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_catalog_group *g = obj;
	const char *s = scalar(c, path, v);

	if (!s)
		return;
	/* one TXT character-string, as RFC 9432 §4.4.2 carries it */
	if (v->len == 0 || v->len > 255) {
		err_at(c, v, "%s: a group name has 1 to 255 characters", path);
		return;
	}
	set_str(c, &g->name, s);
}

static void group_settings_from(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_catalog_group *g = obj;

	/* that it names a configured zone is checked once all zones are read */
	if (get_dname(c, path, v, g->zone, &g->domain)) {
		g->line = v->line;
		g->column = v->col;
	}
}

static const struct field group_fields[] = {
	{ "group", true, group_name },
	{ "settings-from", true, group_settings_from },
};

static void catalog_groups(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_catalog *cat = obj;

	cat->group_count =
		list_section(c, path, v, (void **)&cat->groups, sizeof(*cat->groups), NULL);
	each_entry(c, path, v, cat->groups, sizeof(*cat->groups), cat->group_count, group_fields,
		   NFIELDS(group_fields));
}

static const struct field catalog_fields[] = {
	{ "zone", true, catalog_zone },
	{ "primaries", true, catalog_primaries },
	{ "groups", false, catalog_groups },
	{ "notify", false, catalog_notify },
	{ "allow-transfer", false, catalog_allow_transfer },
};

/* ---- zone --------------------------------------------------------------- */

static void zone_domain(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_zone *z = obj;

	if (get_dname(c, path, v, z->name, &z->domain))
		c->zone_pos[z - c->cfg->zones] = v;
}

static void zone_file(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_zone *z = obj;

	get_abs_path(c, path, v, &z->file);
}

static void zone_primaries(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_zone *z = obj;

	get_primaries(c, path, v, &z->primaries, &z->primary_count);
}

static void zone_notify(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_zone *z = obj;

	get_primaries(c, path, v, &z->notify, &z->notify_count);
}

static void zone_allow_transfer(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_zone *z = obj;

	get_allow_transfer(c, path, v, &z->allow_transfer, &z->allow_transfer_count,
			   &z->has_allow_transfer);
}

static const char *const policy_names[] = { "off", "optional", "required", NULL };
static const char *const activation_names[] = { "immediate", "plans-only", NULL };

static void zone_zonemd(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_zone *z = obj;
	int i = get_enum(c, path, v, policy_names, "required, optional or off");

	if (i >= 0)
		z->zonemd = (enum ls_config_policy)i;
}

static void zone_dnssec(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_zone *z = obj;
	int i = get_enum(c, path, v, policy_names, "required, optional or off");

	if (i >= 0)
		z->dnssec = (enum ls_config_policy)i;
}

static void zone_activation(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config_zone *z = obj;
	int i = get_enum(c, path, v, activation_names, "immediate or plans-only");

	if (i >= 0)
		z->activation = (enum ls_config_activation)i;
}

static const struct field zone_fields[] = {
	{ "domain", true, zone_domain },	{ "file", false, zone_file },
	{ "primaries", false, zone_primaries }, { "zonemd", false, zone_zonemd },
	{ "dnssec", false, zone_dnssec },	{ "activation", false, zone_activation },
	{ "notify", false, zone_notify },	{ "allow-transfer", false, zone_allow_transfer },
};

/* ---- Top level ------------------------------------------------------------ */

/* Sections that are one mapping. */
#define SECTION_FN(name)                                                                           \
	static void section_##name(struct ctx *c, const char *path, const struct yn *v, void *obj) \
	{                                                                                          \
		walk_map(c, #name, "in '" #name "'", v, c->key, name##_fields,                     \
			 NFIELDS(name##_fields), obj);                                             \
	}
SECTION_FN(node)
SECTION_FN(service)
SECTION_FN(admin)
SECTION_FN(clock)
SECTION_FN(hooks)
SECTION_FN(log)

/*
 * Sections that are lists of entries: the array is sized once from the
 * list, so pointers into it (references) stay valid.
 */
static size_t list_section(struct ctx *c, const char *path, const struct yn *v, void **array,
			   size_t size, const struct yn ***pos)
{
	struct items it;

	if (v->type == YN_SCALAR && !v->null) {
		err_at(c, v, "%s: expected a list, found a single value", path);
		return 0;
	}
	if (!get_list(c, path, v, &it) || it.n == 0)
		return 0;
	*array = alloc_array(c, it.n, size);
	if (pos)
		*pos = alloc_array(c, it.n, sizeof(**pos));
	if (!*array || (pos && !*pos))
		return 0;
	return it.n;
}

static void each_entry(struct ctx *c, const char *path, const struct yn *v, void *array,
		       size_t size, size_t n, const struct field *f, size_t nf)
{
	char what[64];

	snprintf(what, sizeof(what), "in a '%s' entry", path);
	for (size_t i = 0; i < n; i++) {
		const struct yn *e = v->kid[i];

		if (e->type != YN_MAP) {
			err_at(c, e, "%s: each entry must be a mapping, found %s", path,
			       type_name(e));
			continue;
		}
		walk_map(c, path, what, e, e, f, nf, (char *)array + i * size);
	}
}

static void section_key(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config *cfg = c->cfg;

	cfg->key_count =
		list_section(c, path, v, (void **)&cfg->keys, sizeof(*cfg->keys), &c->key_pos);
	each_entry(c, path, v, cfg->keys, sizeof(*cfg->keys), cfg->key_count, key_fields,
		   NFIELDS(key_fields));
}

static void section_remote(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config *cfg = c->cfg;

	cfg->remote_count = list_section(c, path, v, (void **)&cfg->remotes, sizeof(*cfg->remotes),
					 &c->remote_pos);
	each_entry(c, path, v, cfg->remotes, sizeof(*cfg->remotes), cfg->remote_count,
		   remote_fields, NFIELDS(remote_fields));
}

static void section_catalog(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config *cfg = c->cfg;

	cfg->catalog_count = list_section(c, path, v, (void **)&cfg->catalogs,
					  sizeof(*cfg->catalogs), &c->catalog_pos);
	each_entry(c, path, v, cfg->catalogs, sizeof(*cfg->catalogs), cfg->catalog_count,
		   catalog_fields, NFIELDS(catalog_fields));
}

static bool map_has(const struct yn *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		if (map->kid[i]->type == YN_SCALAR && strcmp(map->kid[i]->str, key) == 0)
			return true;
	}
	return false;
}

static void section_zone(struct ctx *c, const char *path, const struct yn *v, void *obj)
{
	struct ls_config *cfg = c->cfg;

	cfg->zone_count =
		list_section(c, path, v, (void **)&cfg->zones, sizeof(*cfg->zones), &c->zone_pos);
	for (size_t i = 0; i < cfg->zone_count; i++) {
		cfg->zones[i].zonemd = LS_CONFIG_POLICY_OPTIONAL;
		cfg->zones[i].dnssec = LS_CONFIG_POLICY_OPTIONAL;
		cfg->zones[i].activation = LS_CONFIG_ACTIVATION_IMMEDIATE;
	}
	each_entry(c, path, v, cfg->zones, sizeof(*cfg->zones), cfg->zone_count, zone_fields,
		   NFIELDS(zone_fields));
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct ls_config_zone *z = &cfg->zones[i];
		const struct yn *e = v->kid[i];
		struct qbuf q;

		/*
		 * Without either there is nothing the node could ever serve. Keys
		 * present with a bad value were reported already.
		 */
		if (e->type == YN_MAP && z->domain && !map_has(e, "file") &&
		    (!map_has(e, "primaries") || z->primary_count == 0))
			err_at(c, e, "zone '%s': needs 'file', 'primaries' or both",
			       quote(&q, z->domain, strlen(z->domain)));
	}
}

static const struct field top_fields[] = {
	{ "node", true, section_node },	       { "service", false, section_service },
	{ "admin", false, section_admin },     { "clock", false, section_clock },
	{ "key", false, section_key },	       { "remote", false, section_remote },
	{ "catalog", false, section_catalog }, { "zone", false, section_zone },
	{ "hooks", false, section_hooks },     { "log", false, section_log },
};

/*
 * The parser's own key tables, by section, so that ls_config_keys_foreach()
 * can never list a key the parser does not take, or miss one it does: a key
 * added to a table above is listed with no further edit.
 */
static const struct {
	const char *section;
	const struct field *f;
	size_t n;
} key_tables[] = {
	{ "", top_fields, NFIELDS(top_fields) },
	{ "node", node_fields, NFIELDS(node_fields) },
	{ "service", service_fields, NFIELDS(service_fields) },
	{ "admin", admin_fields, NFIELDS(admin_fields) },
	{ "clock", clock_fields, NFIELDS(clock_fields) },
	{ "log", log_fields, NFIELDS(log_fields) },
	{ "key", key_fields, NFIELDS(key_fields) },
	{ "remote", remote_fields, NFIELDS(remote_fields) },
	{ "catalog", catalog_fields, NFIELDS(catalog_fields) },
	{ "catalog.groups", group_fields, NFIELDS(group_fields) },
	{ "zone", zone_fields, NFIELDS(zone_fields) },
	{ "hooks", hooks_fields, NFIELDS(hooks_fields) },
};

void ls_config_keys_foreach(void (*fn)(const char *section, const char *key, bool required,
				       void *arg),
			    void *arg)
{
	for (size_t i = 0; i < NFIELDS(key_tables); i++) {
		for (size_t j = 0; j < key_tables[i].n; j++)
			fn(key_tables[i].section, key_tables[i].f[j].key,
			   key_tables[i].f[j].required, arg);
	}
}

/* ---- Cross-checks --------------------------------------------------------- */

static void resolve_refs(struct ctx *c)
{
	struct ls_config *cfg = c->cfg;
	const char *ids[64];
	struct qbuf q;

	for (size_t i = 0; i < c->nrefs; i++) {
		const struct ref *r = &c->refs[i];
		const char *s = r->node->str;
		size_t nids = 0;

		if (r->is_key) {
			const struct ls_config_key *k = ls_config_key_find(cfg, s);

			if (k) {
				*(const struct ls_config_key **)r->slot = k;
				continue;
			}
			for (size_t j = 0; j < cfg->key_count && nids < 64; j++) {
				if (cfg->keys[j].id)
					ids[nids++] = cfg->keys[j].id;
			}
		} else {
			const struct ls_config_remote *rem = ls_config_remote_find(cfg, s);

			if (rem) {
				*(const struct ls_config_remote **)r->slot = rem;
				if (r->need_key && !rem->key)
					err_at(c, r->node,
					       "%s: remote '%s' has no key; transfers out need TSIG, "
					       "so it could never transfer",
					       r->path, qn(&q, r->node));
				continue;
			}
			for (size_t j = 0; j < cfg->remote_count && nids < 64; j++) {
				if (cfg->remotes[j].id)
					ids[nids++] = cfg->remotes[j].id;
			}
		}
		const char *near = closest(s, ids, nids);
		err_at(c, r->node, "%s: no %s with id '%s'%s%s%s", r->path,
		       r->is_key ? "key" : "remote", qn(&q, r->node),
		       near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	}
}

struct named {
	const uint8_t *name; /* for domain names */
	const char *id; /* for ids */
	const struct yn *pos;
	const char *what;
};

static int named_cmp(const void *pa, const void *pb)
{
	const struct named *a = pa, *b = pb;
	int d = a->name ? ls_dname_cmp(a->name, b->name) : strcmp(a->id, b->id);

	if (d)
		return d;
	if (a->pos->line != b->pos->line)
		return a->pos->line < b->pos->line ? -1 : 1;
	return a->pos->col < b->pos->col ? -1 : a->pos->col > b->pos->col;
}

/* Report every entry whose name an earlier entry already has. */
static void check_unique(struct ctx *c, struct named *v, size_t n)
{
	struct qbuf q;

	qsort(v, n, sizeof(*v), named_cmp);
	for (size_t i = 1; i < n; i++) {
		const struct named *first = &v[i - 1];
		size_t j = i;

		while (j < n && (v[j].name ? ls_dname_equal(v[j].name, first->name) :
					     strcmp(v[j].id, first->id) == 0)) {
			err_at(c, v[j].pos, "%s '%s' is already defined as a %s at %u:%u",
			       v[j].what, qn(&q, v[j].pos), first->what, first->pos->line,
			       first->pos->col);
			j++;
		}
		i = j;
	}
}

static void check_duplicates(struct ctx *c)
{
	struct ls_config *cfg = c->cfg;
	size_t max = cfg->key_count + cfg->remote_count + cfg->zone_count + cfg->catalog_count;
	struct named *v = alloc_array(c, max, sizeof(*v));
	size_t n = 0;

	if (!v)
		return;
	for (size_t i = 0; i < cfg->key_count; i++) {
		if (c->key_pos[i])
			v[n++] = (struct named){ .name = cfg->keys[i].name,
						 .pos = c->key_pos[i],
						 .what = "key" };
	}
	check_unique(c, v, n);

	n = 0;
	for (size_t i = 0; i < cfg->remote_count; i++) {
		if (c->remote_pos[i])
			v[n++] = (struct named){ .id = cfg->remotes[i].id,
						 .pos = c->remote_pos[i],
						 .what = "remote" };
	}
	check_unique(c, v, n);

	/* A catalog is a zone too: one name, one configuration. */
	n = 0;
	for (size_t i = 0; i < cfg->catalog_count; i++) {
		if (c->catalog_pos[i])
			v[n++] = (struct named){ .name = cfg->catalogs[i].name,
						 .pos = c->catalog_pos[i],
						 .what = "catalog" };
	}
	for (size_t i = 0; i < cfg->zone_count; i++) {
		if (c->zone_pos[i])
			v[n++] = (struct named){ .name = cfg->zones[i].name,
						 .pos = c->zone_pos[i],
						 .what = "zone" };
	}
	check_unique(c, v, n);
	free(v);
}

static void set_defaults(struct ls_config *cfg)
{
	cfg->service.port = 53;
	cfg->node.ixfr_journal_size = 16u << 20;
	cfg->admin.http_enabled = true;
	ls_config_parse_addr_port("127.0.0.1", 8053, &cfg->admin.http);
	cfg->clock.skew_budget_ns = 10 * NS_MS;
	cfg->clock.lease_ns = 5 * NS_S;
	cfg->clock.dnssec_margin_ns = 3600 * NS_S;
	cfg->hooks.timeout_ns = 10 * NS_S;
	cfg->log_level = LS_LOG_INFO;
}

/* Defaults that depend on other keys, and checks across sections. */
/* catalog.groups: each group once per catalog, settings-from a configured zone. */
static void check_catalog_groups(struct ctx *c)
{
	const struct ls_config *cfg = c->cfg;

	for (size_t i = 0; i < cfg->catalog_count; i++) {
		const struct ls_config_catalog *cat = &cfg->catalogs[i];

		for (size_t j = 0; j < cat->group_count; j++) {
			const struct ls_config_catalog_group *g = &cat->groups[j];

			if (g->domain && !ls_config_zone_find(cfg, g->zone))
				report(c, g->line, g->column,
				       "catalog.groups.settings-from: '%s' is not a configured zone",
				       g->domain);
			for (size_t k = 0; g->name && k < j; k++) {
				if (cat->groups[k].name &&
				    strcmp(cat->groups[k].name, g->name) == 0) {
					report(c, g->line, g->column,
					       "catalog.groups: group '%s' mapped twice", g->name);
					break;
				}
			}
		}
	}
}

static void finish(struct ctx *c)
{
	struct ls_config *cfg = c->cfg;

	if (!cfg->node.state_dir)
		set_str(c, &cfg->node.state_dir, "/var/lib/lockstep");
	if (!cfg->node.control_socket)
		set_str(c, &cfg->node.control_socket, "/run/lockstep/control.sock");
	if (!cfg->clock.chrony_socket)
		set_str(c, &cfg->clock.chrony_socket, "/run/chrony/chronyd.sock");
	if (!cfg->clock.socket_dir)
		set_str(c, &cfg->clock.socket_dir, "/run/lockstep");
	for (size_t i = 0; i < cfg->service.addr_count; i++)
		*ss_port(&cfg->service.addrs[i].ss) = htons(cfg->service.port);
	if (!c->xdp_node)
		cfg->service.xdp =
			cfg->service.interface ? LS_CONFIG_XDP_NATIVE : LS_CONFIG_XDP_OFF;
	else if (cfg->service.xdp != LS_CONFIG_XDP_OFF && !cfg->service.interface)
		err_at(c, c->xdp_node, "service.xdp: '%s' needs service.interface",
		       ls_config_xdp_name(cfg->service.xdp));
	resolve_refs(c);
	check_duplicates(c);
	check_catalog_groups(c);
	finish_remotes(c);
}

/* ---- Public API ----------------------------------------------------------- */

static void errors_reset(struct ls_config_errors *errs)
{
	if (errs) {
		errs->count = 0;
		errs->total = 0;
	}
}

int ls_config_parse_string(const char *text, size_t len, const char *name, struct ls_config **out,
			   struct ls_config_errors *errs)
{
	struct ctx c = { .name = name ? name : "<string>", .errs = errs };
	struct loader ld = { .c = &c, .text = text, .len = len };
	struct yn *root = NULL;
	int err;

	*out = NULL;
	errors_reset(errs);
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (!c.cfg)
		return -ENOMEM;
	set_defaults(c.cfg);
	set_str(&c, &c.cfg->source, c.name);

	if (len > LS_CONFIG_MAX_SIZE) {
		report(&c, 0, 0, "larger than %u octets", LS_CONFIG_MAX_SIZE);
		err = -EINVAL;
		goto free_cfg;
	}
	if (!yaml_parser_initialize(&ld.parser)) {
		err = -ENOMEM;
		goto free_cfg;
	}
	yaml_parser_set_input_string(&ld.parser, (const unsigned char *)text, len);
	err = load_document(&ld, &root);
	yaml_parser_delete(&ld.parser);
	if (err)
		goto free_cfg;

	if (root && root->type != YN_MAP && !(root->type == YN_SCALAR && root->null)) {
		err_at(&c, root, "the configuration must be a mapping of sections, found %s",
		       type_name(root));
	} else {
		struct yn top = { .type = YN_SCALAR, .null = true, .line = 1, .col = 1 };

		walk_map(&c, "", "at the top level", root ? root : &top, root ? root : &top,
			 top_fields, NFIELDS(top_fields), c.cfg);
		finish(&c);
	}
	err = c.oom ? -ENOMEM : c.nerr ? -EINVAL : 0;

free_cfg:
	if (errs)
		sort_errors(errs);
	yn_free(root);
	free(c.refs);
	free(c.key_pos);
	free(c.remote_pos);
	free(c.catalog_pos);
	free(c.zone_pos);
	if (err) {
		ls_config_free(c.cfg);
		return err;
	}
	*out = c.cfg;
	return 0;
}

int ls_config_load(const char *path, struct ls_config **out, struct ls_config_errors *errs)
{
	struct ctx c = { .name = path, .errs = errs };
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, err;

	*out = NULL;
	errors_reset(errs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		report(&c, 0, 0, "cannot open: %s", strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		report(&c, 0, 0, "cannot stat: %s", strerror(-err));
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		report(&c, 0, 0, "not a regular file");
		goto close_fd;
	}
	if (st.st_size > (off_t)LS_CONFIG_MAX_SIZE) {
		err = -EINVAL;
		report(&c, 0, 0, "larger than %u octets", LS_CONFIG_MAX_SIZE);
		goto close_fd;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		err = -ENOMEM;
		goto close_fd;
	}
	/* Read to EOF, not to st_size: the file may change under us. */
	for (;;) {
		ssize_t r = read(fd, text + len, (size_t)st.st_size + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			report(&c, 0, 0, "cannot read: %s", strerror(-err));
			goto free_text;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > (size_t)st.st_size) {
			err = -EAGAIN;
			report(&c, 0, 0, "file grew while being read");
			goto free_text;
		}
	}
	err = ls_config_parse_string(text, len, path, out, errs);

free_text:
	free(text);
close_fd:
	close(fd);
	return err;
}

void ls_config_free(struct ls_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->source);
	free(cfg->node.id);
	free(cfg->node.state_dir);
	free(cfg->node.spool_dir);
	free(cfg->node.control_socket);
	free(cfg->service.addrs);
	free(cfg->service.interface);
	free(cfg->admin.listen);
	free(cfg->admin.tls_listen);
	free(cfg->admin.tls_certificate);
	free(cfg->admin.tls_key);
	free(cfg->clock.chrony_socket);
	free(cfg->clock.socket_dir);
	free(cfg->hooks.on_serve);
	free(cfg->hooks.on_withdraw);
	for (size_t i = 0; i < cfg->key_count; i++) {
		struct ls_config_key *k = &cfg->keys[i];

		free(k->id);
		if (k->secret) {
			explicit_bzero(k->secret, k->secret_len);
			free(k->secret);
		}
	}
	free(cfg->keys);
	for (size_t i = 0; i < cfg->remote_count; i++) {
		free(cfg->remotes[i].id);
		free(cfg->remotes[i].addrs);
		free(cfg->remotes[i].tls_ca);
		free(cfg->remotes[i].tls_hostname);
		free(cfg->remotes[i].tls_pins);
	}
	free(cfg->remotes);
	for (size_t i = 0; i < cfg->catalog_count; i++) {
		free(cfg->catalogs[i].domain);
		free(cfg->catalogs[i].primaries);
		free(cfg->catalogs[i].notify);
		free(cfg->catalogs[i].allow_transfer);
		for (size_t j = 0; j < cfg->catalogs[i].group_count; j++) {
			free(cfg->catalogs[i].groups[j].name);
			free(cfg->catalogs[i].groups[j].domain);
		}
		free(cfg->catalogs[i].groups);
	}
	free(cfg->catalogs);
	for (size_t i = 0; i < cfg->zone_count; i++) {
		free(cfg->zones[i].domain);
		free(cfg->zones[i].file);
		free(cfg->zones[i].primaries);
		free(cfg->zones[i].notify);
		free(cfg->zones[i].allow_transfer);
	}
	free(cfg->zones);
	free(cfg);
}

const struct ls_config_key *ls_config_key_find(const struct ls_config *cfg, const char *id)
{
	uint8_t name[LS_DNAME_MAXLEN];

	if (ls_dname_from_str(name, id, root_name) <= 1)
		return NULL;
	for (size_t i = 0; i < cfg->key_count; i++) {
		if (cfg->keys[i].id && ls_dname_equal(cfg->keys[i].name, name))
			return &cfg->keys[i];
	}
	return NULL;
}

const struct ls_config_remote *ls_config_remote_find(const struct ls_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->remote_count; i++) {
		if (cfg->remotes[i].id && strcmp(cfg->remotes[i].id, id) == 0)
			return &cfg->remotes[i];
	}
	return NULL;
}

const struct ls_config_zone *ls_config_zone_find(const struct ls_config *cfg, const uint8_t *name)
{
	for (size_t i = 0; i < cfg->zone_count; i++) {
		if (cfg->zones[i].domain && ls_dname_equal(cfg->zones[i].name, name))
			return &cfg->zones[i];
	}
	return NULL;
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool ls_config_zone_equal(const struct ls_config_zone *a, const struct ls_config_zone *b)
{
	if (!ls_dname_equal(a->name, b->name) || !str_equal(a->file, b->file) ||
	    a->zonemd != b->zonemd || a->dnssec != b->dnssec || a->activation != b->activation ||
	    a->primary_count != b->primary_count)
		return false;
	for (size_t i = 0; i < a->primary_count; i++) {
		if (!str_equal(a->primaries[i]->id, b->primaries[i]->id))
			return false;
	}
	return true;
}

/* ---- Value parsers ---------------------------------------------------------- */

int ls_config_parse_duration(const char *str, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 },   { "us", NS_US },	   { "ms", NS_MS },
		{ "s", NS_S }, { "m", 60 * NS_S }, { "h", 3600 * NS_S },
	};
	uint64_t v = 0;
	bool overflow = false;
	const char *p = str;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		if (overflow || v > UINT64_MAX / units[i].ns)
			return -ERANGE;
		*ns = v * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

int ls_config_parse_size(const char *str, uint64_t *bytes)
{
	static const struct {
		const char *unit;
		unsigned shift;
	} units[] = {
		{ "", 0 },     { "K", 10 },   { "M", 20 },   { "G", 30 },
		{ "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 },
	};
	const uint64_t max = 1ull << 40;
	uint64_t v = 0;
	const char *p = str;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			v = max + 1; /* saturate: still out of range, never wraps */
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		if (v > max >> units[i].shift)
			return -ERANGE;
		*bytes = v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || s[i] != '\0')
		return -EINVAL;
	if (v < 1 || v > 65535)
		return -ERANGE;
	*port = (uint16_t)v;
	return 0;
}

int ls_config_parse_addr_port(const char *str, uint16_t default_port, struct ls_config_addr *addr)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 4];
	const char *at = strrchr(str, '@');
	size_t hlen = at ? (size_t)(at - str) : strlen(str);
	uint16_t port = default_port;
	bool bracket = false;
	char *h = host, *scope;
	int err;

	if (at) {
		err = parse_port(at + 1, &port);
		if (err)
			return err;
	} else if (default_port == 0) {
		return -EINVAL;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, str, hlen);
	host[hlen] = '\0';
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return -EINVAL;
		host[hlen - 1] = '\0';
		h = host + 1;
		bracket = true;
	}

	memset(addr, 0, sizeof(*addr));
	if (!bracket) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&addr->ss;

		if (inet_pton(AF_INET, h, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(port);
			addr->len = sizeof(*sin);
			return 0;
		}
	}

	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addr->ss;
	scope = strchr(h, '%');
	if (scope)
		*scope++ = '\0';
	if (inet_pton(AF_INET6, h, &sin6->sin6_addr) != 1)
		return -EINVAL;
	if (scope) {
		char *end;
		unsigned long idx;

		if (*scope == '\0')
			return -EINVAL;
		if (*scope >= '0' && *scope <= '9') {
			errno = 0;
			idx = strtoul(scope, &end, 10);
			if (*end != '\0' || errno || idx > UINT32_MAX)
				return -EINVAL;
		} else {
			idx = if_nametoindex(scope);
			if (idx == 0)
				return -ENODEV;
		}
		sin6->sin6_scope_id = (uint32_t)idx;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	addr->len = sizeof(*sin6);
	return 0;
}

const char *ls_config_addr_str(const struct ls_config_addr *addr, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	char scope[IF_NAMESIZE + 2] = "";
	unsigned port;

	if (addr->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&addr->ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (addr->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&addr->ss;
		char ifname[IF_NAMESIZE];

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		if (sin6->sin6_scope_id) {
			if (if_indextoname(sin6->sin6_scope_id, ifname))
				snprintf(scope, sizeof(scope), "%%%s", ifname);
			else
				snprintf(scope, sizeof(scope), "%%%u", sin6->sin6_scope_id);
		}
	} else {
		snprintf(buf, len, "(none)");
		return buf;
	}
	snprintf(buf, len, "%s%s@%u", host, scope, port);
	return buf;
}

const char *ls_config_key_alg_name(enum ls_config_key_alg alg)
{
	return (unsigned)alg < 5 ? alg_names[alg] : "?";
}

const char *ls_config_policy_name(enum ls_config_policy policy)
{
	return (unsigned)policy < 3 ? policy_names[policy] : "?";
}

const char *ls_config_activation_name(enum ls_config_activation activation)
{
	return (unsigned)activation < 2 ? activation_names[activation] : "?";
}

const char *ls_config_xdp_name(enum ls_config_xdp xdp)
{
	return (unsigned)xdp < 3 ? xdp_names[xdp] : "?";
}
