/* SPDX-License-Identifier: MIT */
/*
 * catalog.c — see catalog.h.
 *
 * The zone model keeps nodes in canonical order (RFC 4034 §6.1), where every
 * name is followed directly by all the names below it. So one walk over the
 * nodes below zones.<catz> sees each member node <unique-N> and then all of
 * its properties before the next member: the parser keeps a "current
 * member" and needs no lookup per property.
 */
#include "common/catalog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "common/rdata.h"
#include "common/zone.h"

#define CAT_RDATA_STRLEN 4096 /* presentation form of one property; longer is cut */

/* A note the caller will log. Losing one to -ENOMEM only costs a log line. */
static void note(struct ls_catalog *cat, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct ls_catalog *cat, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (cat->note_count >= LS_CATALOG_MAX_NOTES) {
		cat->notes_suppressed++;
		return;
	}
	if (!cat->notes) {
		cat->notes = calloc(LS_CATALOG_MAX_NOTES, sizeof(*cat->notes));
		if (!cat->notes) {
			cat->notes_suppressed++;
			return;
		}
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		cat->notes_suppressed++;
		return;
	}
	cat->notes[cat->note_count++] = s;
}

static const char *name_str(const uint8_t *name, char *buf, size_t len)
{
	if (ls_dname_to_str(buf, len, name) < 0)
		snprintf(buf, len, "?");
	return buf;
}

/* @label (a C string) + @origin into @dst; -EMSGSIZE when it would not fit. */
static int prefix_name(uint8_t dst[LS_DNAME_MAXLEN], const char *label, const uint8_t *origin)
{
	size_t l = strlen(label), ol = ls_dname_len(origin);

	if (l > LS_LABEL_MAXLEN || 1 + l + ol > LS_DNAME_MAXLEN)
		return -EMSGSIZE;
	dst[0] = (uint8_t)l;
	memcpy(dst + 1, label, l);
	memcpy(dst + 1 + l, origin, ol);
	return 0;
}

static bool label_is(const uint8_t *label, const char *s)
{
	size_t l = strlen(s);

	return label[0] == l && strncasecmp((const char *)label + 1, s, l) == 0;
}

/* The first @n labels of @name in presentation form, without the final dot. */
static void rel_str(char *dst, size_t dstlen, const uint8_t *name, int n)
{
	uint8_t tmp[LS_DNAME_MAXLEN];
	size_t off = 0;
	int len;

	for (int i = 0; i < n; i++) {
		memcpy(tmp + off, name + off, 1u + name[off]);
		off += 1u + name[off];
	}
	tmp[off] = 0;
	len = ls_dname_to_str(dst, dstlen, tmp);
	if (len > 1 && dst[len - 1] == '.')
		dst[len - 1] = '\0';
	else if (len < 0)
		snprintf(dst, dstlen, "?");
}

/* ---- time stamps -------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned digits(const char *s, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

int ls_catalog_timestamp_parse(const char *s, size_t len, int64_t *unix_sec, uint32_t *nsec)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec, dim;
	uint32_t frac = 0;

	if (len < 14)
		return -EINVAL;
	for (size_t i = 0; i < 14; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	if (len > 14) {
		size_t n = len - 15;

		/* '.' and 1..9 digits, scaled to nanoseconds */
		if (s[14] != '.' || n < 1 || n > 9)
			return -EINVAL;
		for (size_t i = 15; i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return -EINVAL;
		frac = digits(s + 15, n);
		for (size_t i = n; i < 9; i++)
			frac *= 10;
	}
	y = digits(s, 4);
	mo = digits(s + 4, 2);
	d = digits(s + 6, 2);
	h = digits(s + 8, 2);
	mi = digits(s + 10, 2);
	sec = digits(s + 12, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	dim = mdays[mo - 1] + (mo == 2 && is_leap(y));
	if (d > dim)
		return -EINVAL;
	*unix_sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	*nsec = frac;
	return 0;
}

const char *ls_catalog_plan_str(const struct ls_catalog_plan *plan, char *buf, size_t len)
{
	time_t t = (time_t)plan->at_unix;
	struct tm tm;
	char ts[32];

	if (!gmtime_r(&t, &tm) || strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm) == 0)
		snprintf(ts, sizeof(ts), "@%" PRId64, plan->at_unix);
	if (plan->at_nsec)
		snprintf(buf, len, "serial=%" PRIu32 " at=%s.%09" PRIu32, plan->serial, ts,
			 plan->at_nsec);
	else
		snprintf(buf, len, "serial=%" PRIu32 " at=%s", plan->serial, ts);
	return buf;
}

/* ---- the switch plan ---------------------------------------------------- */

static int parse_serial(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n < 1 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ls_catalog_plan_parse(const uint8_t *rdata, size_t len, struct ls_catalog_plan *plan, char *err,
			  size_t errlen)
{
	bool have_serial = false, have_at = false;
	size_t pos = 0;

	memset(plan, 0, sizeof(*plan));
	while (pos < len) {
		size_t l = rdata[pos];
		const char *s = (const char *)rdata + pos + 1;
		const char *eq;
		size_t kl, vl;

		if (pos + 1 + l > len) {
			ls_errf(err, errlen, "truncated TXT rdata");
			return -EINVAL;
		}
		pos += 1 + l;
		eq = memchr(s, '=', l);
		if (!eq) {
			ls_errf(err, errlen, "'%.*s' is not key=value", (int)l, s);
			return -EINVAL;
		}
		kl = (size_t)(eq - s);
		vl = l - kl - 1;
		if (kl == 6 && strncasecmp(s, "serial", 6) == 0) {
			if (have_serial) {
				ls_errf(err, errlen, "serial given twice");
				return -EINVAL;
			}
			if (parse_serial(eq + 1, vl, &plan->serial)) {
				ls_errf(err, errlen, "bad serial '%.*s': expected 0..4294967295",
					(int)vl, eq + 1);
				return -EINVAL;
			}
			have_serial = true;
		} else if (kl == 2 && strncasecmp(s, "at", 2) == 0) {
			if (have_at) {
				ls_errf(err, errlen, "at given twice");
				return -EINVAL;
			}
			if (ls_catalog_timestamp_parse(eq + 1, vl, &plan->at_unix,
						       &plan->at_nsec)) {
				ls_errf(err, errlen,
					"bad at '%.*s': expected YYYYMMDDHHmmSS[.fff] in UTC",
					(int)vl, eq + 1);
				return -EINVAL;
			}
			have_at = true;
		} else {
			/* strict: a misspelt key must not turn into a plan without it */
			ls_errf(err, errlen, "unknown key '%.*s'", (int)kl, s);
			return -EINVAL;
		}
	}
	if (!have_serial || !have_at) {
		ls_errf(err, errlen, "missing %s", !have_serial ? "serial" : "at");
		return -EINVAL;
	}
	return 0;
}

/* ---- freeing ------------------------------------------------------------ */

static void props_free(struct ls_catalog_prop *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].rdata);
	}
	free(p);
}

static void member_clear(struct ls_catalog_member *m)
{
	props_free(m->props, m->prop_count);
	m->props = NULL;
	m->prop_count = 0;
}

void ls_catalog_free(struct ls_catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->member_count; i++)
		member_clear(&cat->members[i]);
	free(cat->members);
	props_free(cat->props, cat->prop_count);
	for (size_t i = 0; i < cat->note_count; i++)
		free(cat->notes[i]);
	free(cat->notes);
	free(cat);
}

/* ---- parsing ------------------------------------------------------------ */

struct parser {
	const struct ls_zone *z;
	struct ls_catalog *cat;
	size_t cap;
	char *err;
	size_t errlen;
};

static int prop_add(struct ls_catalog_prop **v, size_t *n, const char *name, bool priv,
		    uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	char text[CAT_RDATA_STRLEN];
	struct ls_catalog_prop *nv, *p;

	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	p = &nv[*n];
	memset(p, 0, sizeof(*p));
	if (ls_rdata_to_str(text, sizeof(text), type, rd, rdlen) < 0)
		snprintf(text, sizeof(text), "\\# %u ...", rdlen);
	p->name = strdup(name);
	p->rdata = strdup(text);
	if (!p->name || !p->rdata) {
		free(p->name);
		free(p->rdata);
		return -ENOMEM;
	}
	p->private_extension = priv;
	p->type = type;
	p->ttl = ttl;
	(*n)++;
	return 0;
}

static bool dnssec_type(uint16_t t)
{
	return t == LS_TYPE_RRSIG || t == LS_TYPE_NSEC || t == LS_TYPE_NSEC3 ||
	       t == LS_TYPE_NSEC3PARAM || t == LS_TYPE_DNSKEY;
}

/* Every record at @node becomes a property named @rel. */
static int props_at(struct parser *ps, const struct ls_zone_node *node, const char *rel, bool priv,
		    struct ls_catalog_prop **v, size_t *n)
{
	size_t cnt;
	const struct ls_zone_rrset *rs = ls_zone_node_rrsets(ps->z, node, &cnt);

	for (size_t k = 0; k < cnt; k++) {
		struct ls_zone_rdata_iter it;
		const uint8_t *rd;
		uint16_t len;

		if (dnssec_type(rs[k].type))
			continue;
		ls_zone_rdata_begin(ps->z, &rs[k], &it);
		while (ls_zone_rdata_next(&it, &rd, &len)) {
			int err = prop_add(v, n, rel, priv, rs[k].type, rs[k].ttl, rd, len);

			if (err)
				return err;
		}
	}
	return 0;
}

/* The single TXT character-string of @rs into @dst; false when not exactly one. */
static bool single_txt(const struct ls_zone *z, const struct ls_zone_rrset *rs, char *dst,
		       size_t dstlen)
{
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	if (!rs || rs->count != 1)
		return false;
	ls_zone_rdata_begin(z, rs, &it);
	if (!ls_zone_rdata_next(&it, &rd, &len) || len < 1 || rd[0] + 1u != len ||
	    rd[0] + 1u > dstlen)
		return false;
	memcpy(dst, rd + 1, rd[0]);
	dst[rd[0]] = '\0';
	return true;
}

static int check_version(struct parser *ps)
{
	const uint8_t *origin = ls_zone_origin(ps->z);
	uint8_t vname[LS_DNAME_MAXLEN];
	const struct ls_zone_node *node = NULL;
	char v[256];

	if (prefix_name(vname, "version", origin) == 0)
		node = ls_zone_find(ps->z, vname);
	if (!node || !ls_zone_node_rrset(ps->z, node, LS_TYPE_TXT)) {
		ls_errf(ps->err, ps->errlen, "no version property (version TXT \"%s\")",
			LS_CATALOG_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (!single_txt(ps->z, ls_zone_node_rrset(ps->z, node, LS_TYPE_TXT), v, sizeof(v))) {
		ls_errf(ps->err, ps->errlen,
			"version property is not one TXT record of one string");
		return -EPROTONOSUPPORT;
	}
	if (strcmp(v, LS_CATALOG_VERSION) != 0) {
		ls_errf(ps->err, ps->errlen, "unsupported schema version \"%s\" (only \"%s\")", v,
			LS_CATALOG_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* Catalog-wide custom properties: every name below ext.<catz> (and private-extension). */
static int catalog_props(struct parser *ps, const char *label, bool priv)
{
	uint8_t ext[LS_DNAME_MAXLEN];
	const struct ls_zone_node *node;
	size_t i, nodes = ls_zone_node_count(ps->z);
	int ext_labels;

	if (prefix_name(ext, label, ls_zone_origin(ps->z)))
		return 0;
	node = ls_zone_find(ps->z, ext);
	if (!node)
		return 0;
	ext_labels = ls_dname_labels(ext);
	for (i = ls_zone_node_index(ps->z, node) + 1; i < nodes; i++) {
		const struct ls_zone_node *n = ls_zone_node_at(ps->z, i);
		const uint8_t *name = ls_zone_node_name(ps->z, n);
		char rel[LS_DNAME_STRLEN];
		int err;

		if (!ls_dname_is_sub(name, ext))
			break;
		rel_str(rel, sizeof(rel), name, ls_dname_labels(name) - ext_labels);
		err = props_at(ps, n, rel, priv, &ps->cat->props, &ps->cat->prop_count);
		if (err)
			return err;
	}
	return 0;
}

static struct ls_catalog_member *member_new(struct parser *ps)
{
	struct ls_catalog *cat = ps->cat;

	if (cat->member_count == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		struct ls_catalog_member *v = realloc(cat->members, cap * sizeof(*v));

		if (!v)
			return NULL;
		cat->members = v;
		ps->cap = cap;
	}
	memset(&cat->members[cat->member_count], 0, sizeof(cat->members[0]));
	return &cat->members[cat->member_count++];
}

/* A member node <unique-N>.zones.<catz>: exactly one PTR, else broken. */
static int member_node(struct parser *ps, const struct ls_zone_node *node,
		       struct ls_catalog_member **cur)
{
	const struct ls_zone_rrset *ptr = ls_zone_node_rrset(ps->z, node, LS_TYPE_PTR);
	const uint8_t *name = ls_zone_node_name(ps->z, node);
	char a[LS_DNAME_STRLEN], b[LS_DNAME_STRLEN];
	struct ls_zone_rdata_iter it;
	struct ls_catalog_member *m;
	const uint8_t *rd;
	uint16_t len;

	*cur = NULL;
	if (!ptr) {
		if (!(node->flags & LS_ZONE_NODE_ENT) && node->nrrsets)
			note(ps->cat, "%s: no PTR record, not a member; ignored",
			     name_str(name, a, sizeof(a)));
		return 0;
	}
	if (ptr->count != 1) {
		ls_errf(ps->err, ps->errlen, "%s: %u PTR records for one member (RFC 9432 §4.1)",
			name_str(name, a, sizeof(a)), ptr->count);
		return -EBADMSG;
	}
	ls_zone_rdata_begin(ps->z, ptr, &it);
	ls_zone_rdata_next(&it, &rd, &len);
	if (ls_dname_wire_check(rd, len) != (int)len) {
		ls_errf(ps->err, ps->errlen, "%s: PTR target is not a valid name",
			name_str(name, a, sizeof(a)));
		return -EBADMSG;
	}
	if (ls_dname_is_sub(rd, ps->cat->name)) {
		ls_errf(ps->err, ps->errlen, "%s: member %s lies within the catalog itself",
			name_str(name, a, sizeof(a)), name_str(rd, b, sizeof(b)));
		return -EBADMSG;
	}
	m = member_new(ps);
	if (!m)
		return -ENOMEM;
	ls_dname_copy_lower(m->zone, rd);
	memcpy(m->id, name, 1u + name[0]);
	m->id[1u + name[0]] = 0;
	ls_dname_lower(m->id);
	*cur = m;
	return 0;
}

static void member_coo(struct parser *ps, struct ls_catalog_member *m,
		       const struct ls_zone_node *node)
{
	const struct ls_zone_rrset *ptr = ls_zone_node_rrset(ps->z, node, LS_TYPE_PTR);
	char a[LS_DNAME_STRLEN];
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	if (!ptr)
		return;
	if (ptr->count != 1) {
		note(ps->cat, "member %s: %u coo records; coo ignored",
		     name_str(m->zone, a, sizeof(a)), ptr->count);
		return;
	}
	ls_zone_rdata_begin(ps->z, ptr, &it);
	ls_zone_rdata_next(&it, &rd, &len);
	if (ls_dname_wire_check(rd, len) != (int)len)
		return;
	ls_dname_copy_lower(m->coo, rd);
	m->has_coo = true;
}

static void member_group(struct parser *ps, struct ls_catalog_member *m,
			 const struct ls_zone_node *node)
{
	const struct ls_zone_rrset *txt = ls_zone_node_rrset(ps->z, node, LS_TYPE_TXT);
	char a[LS_DNAME_STRLEN];

	if (!txt)
		return;
	if (!single_txt(ps->z, txt, m->group, sizeof(m->group)) || !m->group[0]) {
		note(ps->cat,
		     "member %s: group is not one TXT record of one non-empty string; "
		     "group ignored",
		     name_str(m->zone, a, sizeof(a)));
		m->group[0] = '\0';
		return;
	}
	m->has_group = true;
}

/* switch.ext.<unique-N>: the plan. Bad plans are notes, never fatal. */
static void member_switch(struct parser *ps, struct ls_catalog_member *m,
			  const struct ls_zone_node *node, unsigned *seen)
{
	const struct ls_zone_rrset *txt = ls_zone_node_rrset(ps->z, node, LS_TYPE_TXT);
	char a[LS_DNAME_STRLEN], why[256];
	struct ls_zone_rdata_iter it;
	const uint8_t *rd;
	uint16_t len;

	name_str(m->zone, a, sizeof(a));
	if (!txt) {
		note(ps->cat, "member %s: switch property without a TXT record; plan ignored", a);
		return;
	}
	if (++*seen > 1) {
		/* under both ext and private-extension: which one is meant? */
		note(ps->cat, "member %s: more than one switch property; plan ignored", a);
		m->has_plan = false;
		return;
	}
	if (txt->count != 1) {
		note(ps->cat, "member %s: %u switch TXT records; plan ignored", a, txt->count);
		return;
	}
	ls_zone_rdata_begin(ps->z, txt, &it);
	ls_zone_rdata_next(&it, &rd, &len);
	if (ls_catalog_plan_parse(rd, len, &m->plan, why, sizeof(why))) {
		note(ps->cat, "member %s: bad switch plan: %s; plan ignored", a, why);
		return;
	}
	m->has_plan = true;
}

/* A node below a member node: coo, group, or a custom property. */
static int member_prop(struct parser *ps, struct ls_catalog_member *m,
		       const struct ls_zone_node *node, int rel, unsigned *switch_seen)
{
	const uint8_t *name = ls_zone_node_name(ps->z, node);
	const uint8_t *top = ls_dname_skip(name, rel - 2); /* the label below <unique-N> */
	bool priv;
	char relname[LS_DNAME_STRLEN];
	int err;

	if (rel == 2) {
		if (label_is(top, "coo"))
			member_coo(ps, m, node);
		else if (label_is(top, "group"))
			member_group(ps, m, node);
		/* other properties are not ours: ignored (RFC 9432 §3) */
		return 0;
	}
	if (label_is(top, "ext"))
		priv = false;
	else if (label_is(top, "private-extension"))
		priv = true;
	else
		return 0;
	rel_str(relname, sizeof(relname), name, rel - 2);
	err = props_at(ps, node, relname, priv, &m->props, &m->prop_count);
	if (err)
		return err;
	if (rel == 3 && label_is(name, "switch"))
		member_switch(ps, m, node, switch_seen);
	return 0;
}

static int members(struct parser *ps)
{
	uint8_t zones[LS_DNAME_MAXLEN];
	const struct ls_zone_node *node;
	struct ls_catalog_member *cur = NULL;
	size_t i, nodes = ls_zone_node_count(ps->z);
	unsigned switch_seen = 0;
	int zl, err;

	if (prefix_name(zones, "zones", ls_zone_origin(ps->z)))
		return 0;
	node = ls_zone_find(ps->z, zones);
	if (!node)
		return 0;
	zl = ls_dname_labels(zones);
	for (i = ls_zone_node_index(ps->z, node) + 1; i < nodes; i++) {
		const struct ls_zone_node *n = ls_zone_node_at(ps->z, i);
		const uint8_t *name = ls_zone_node_name(ps->z, n);
		int rel;

		if (!ls_dname_is_sub(name, zones))
			break;
		rel = ls_dname_labels(name) - zl;
		if (rel == 1) {
			err = member_node(ps, n, &cur);
			if (err)
				return err;
			switch_seen = 0;
			continue;
		}
		/* below a node that is no member: its properties are orphans */
		if (!cur)
			continue;
		err = member_prop(ps, cur, n, rel, &switch_seen);
		if (err)
			return err;
	}
	return 0;
}

static int member_cmp(const void *a, const void *b)
{
	const struct ls_catalog_member *x = a, *y = b;
	int d = ls_dname_cmp(x->zone, y->zone);

	return d ? d : ls_dname_cmp(x->id, y->id);
}

/*
 * One member under two unique-N (RFC 9432 §4.1 forbids it): keep the one
 * the list in force knows, else the first in canonical order; the rest go.
 */
static void dedupe(struct parser *ps, const struct ls_catalog *prev)
{
	struct ls_catalog *cat = ps->cat;
	size_t out = 0, i = 0;

	if (!cat->member_count)
		return;
	qsort(cat->members, cat->member_count, sizeof(*cat->members), member_cmp);
	while (i < cat->member_count) {
		size_t j = i + 1, keep = i;
		const struct ls_catalog_member *old =
			prev ? ls_catalog_find(prev, cat->members[i].zone) : NULL;
		char a[LS_DNAME_STRLEN], b[LS_DNAME_STRLEN], c[LS_DNAME_STRLEN];

		while (j < cat->member_count &&
		       ls_dname_equal(cat->members[j].zone, cat->members[i].zone))
			j++;
		for (size_t k = i; old && k < j; k++)
			if (ls_dname_equal(cat->members[k].id, old->id))
				keep = k;
		for (size_t k = i; k < j; k++) {
			if (k == keep)
				continue;
			note(cat, "member %s listed under %s and %s; %s ignored",
			     name_str(cat->members[k].zone, a, sizeof(a)),
			     name_str(cat->members[keep].id, b, sizeof(b)),
			     name_str(cat->members[k].id, c, sizeof(c)), c);
			member_clear(&cat->members[k]);
		}
		cat->members[out++] = cat->members[keep];
		i = j;
	}
	cat->member_count = out;
}

int ls_catalog_parse(const struct ls_zone *zone, const struct ls_catalog *prev,
		     struct ls_catalog **out, char *err, size_t errlen)
{
	struct parser ps = { .z = zone, .err = err, .errlen = errlen };
	int ret;

	*out = NULL;
	ls_errf(err, errlen, "ok");
	ps.cat = calloc(1, sizeof(*ps.cat));
	if (!ps.cat) {
		ls_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ls_dname_copy_lower(ps.cat->name, ls_zone_origin(zone));
	ps.cat->serial = ls_zone_serial(zone);
	ret = check_version(&ps);
	if (ret)
		goto free_cat;
	ret = catalog_props(&ps, "ext", false);
	if (!ret)
		ret = catalog_props(&ps, "private-extension", true);
	if (!ret)
		ret = members(&ps);
	if (ret)
		goto free_cat;
	dedupe(&ps, prev);
	*out = ps.cat;
	return 0;

free_cat:
	if (ret == -ENOMEM)
		ls_errf(err, errlen, "out of memory");
	ls_catalog_free(ps.cat);
	return ret;
}

const struct ls_catalog_member *ls_catalog_find(const struct ls_catalog *cat, const uint8_t *zone)
{
	size_t lo = 0, hi;

	if (!cat)
		return NULL;
	hi = cat->member_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = ls_dname_cmp(zone, cat->members[mid].zone);

		if (d == 0)
			return &cat->members[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- diff ----------------------------------------------------------------- */

static bool props_equal(const struct ls_catalog_member *a, const struct ls_catalog_member *b)
{
	if (a->prop_count != b->prop_count)
		return false;
	for (size_t i = 0; i < a->prop_count; i++) {
		const struct ls_catalog_prop *x = &a->props[i], *y = &b->props[i];

		if (x->type != y->type || x->ttl != y->ttl ||
		    x->private_extension != y->private_extension || strcmp(x->name, y->name) ||
		    strcmp(x->rdata, y->rdata))
			return false;
	}
	return true;
}

static unsigned member_changes(const struct ls_catalog_member *a, const struct ls_catalog_member *b)
{
	unsigned c = 0;

	if (!ls_dname_equal(a->id, b->id))
		c |= LS_CATALOG_ID;
	if (a->has_group != b->has_group || strcmp(a->group, b->group) != 0)
		c |= LS_CATALOG_GROUP;
	if (a->has_coo != b->has_coo || (a->has_coo && !ls_dname_equal(a->coo, b->coo)))
		c |= LS_CATALOG_COO;
	if (a->has_plan != b->has_plan || (a->has_plan && (a->plan.serial != b->plan.serial ||
							   a->plan.at_unix != b->plan.at_unix ||
							   a->plan.at_nsec != b->plan.at_nsec)))
		c |= LS_CATALOG_PLAN;
	if (!props_equal(a, b))
		c |= LS_CATALOG_PROPS;
	return c;
}

int ls_catalog_diff(const struct ls_catalog *old, const struct ls_catalog *new,
		    struct ls_catalog_diff *diff)
{
	size_t no = old ? old->member_count : 0, nn = new ? new->member_count : 0;
	size_t i = 0, j = 0;

	memset(diff, 0, sizeof(*diff));
	if (no + nn == 0)
		return 0;
	diff->v = calloc(no + nn, sizeof(*diff->v));
	if (!diff->v)
		return -ENOMEM;
	while (i < no || j < nn) {
		const struct ls_catalog_member *a = i < no ? &old->members[i] : NULL;
		const struct ls_catalog_member *b = j < nn ? &new->members[j] : NULL;
		int d = !a ? 1 : !b ? -1 : ls_dname_cmp(a->zone, b->zone);
		struct ls_catalog_delta *e = &diff->v[diff->count];

		if (d < 0) {
			*e = (struct ls_catalog_delta){ .old = a, .changes = LS_CATALOG_REMOVED };
			diff->count++;
			diff->removed++;
			i++;
		} else if (d > 0) {
			*e = (struct ls_catalog_delta){ .new = b, .changes = LS_CATALOG_ADDED };
			diff->count++;
			diff->added++;
			j++;
		} else {
			unsigned c = member_changes(a, b);

			if (c) {
				*e = (struct ls_catalog_delta){ .old = a, .new = b, .changes = c };
				diff->count++;
				diff->changed++;
			}
			i++;
			j++;
		}
	}
	return 0;
}

void ls_catalog_diff_free(struct ls_catalog_diff *diff)
{
	if (!diff)
		return;
	free(diff->v);
	memset(diff, 0, sizeof(*diff));
}
