/* SPDX-License-Identifier: MIT */
/*
 * zoneset.c — see zoneset.h.
 *
 * The table is an open-addressing hash of lowercased origins with linear
 * probing, kept at most half full, with backward-shift deletion (no
 * tombstones, so a long-lived set never degrades). Each slot holds the
 * origin's hash next to the entry pointer, so a probe that misses costs no
 * pointer chase.
 *
 * Lookup walks the query name's suffixes from the longest to the shortest
 * and probes each: the first hit is the longest matching origin. Suffixes
 * with more labels than the deepest origin, or fewer than the shallowest,
 * cannot match and are skipped, so a typical query ("www.example.com." in
 * a set of second-level zones) costs one or two probes.
 */
#include "agent/zoneset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What identifies the version of a zone file on disk. */
struct entry {
	uint8_t origin[LS_DNAME_MAXLEN]; /* lowercased */
	uint8_t origin_len;
	uint8_t labels;
	uint32_t hash;
	struct ls_zone *live;
	struct ls_zone *next;
	struct ls_zone_ctl ctl;
	bool not_served; /* held and transferred, never answered (catalogs) */
	bool hold_live; /* the live generation may not answer (ls_zoneset_hold_live) */
	/*
	 * The last switch (ls_zoneset_switch_info()): its T, the generation
	 * staged for it (still named after promotion, when it became live),
	 * and the batch time of the first lookup that answered from it.
	 */
	uint64_t sw_at;
	uint32_t sw_gen;
	uint64_t sw_first;
	bool sw_promoted; /* the generation staged for sw_at became live */
};

struct slot {
	uint32_t hash;
	struct entry *e; /* NULL: empty */
};

struct ls_zoneset {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t count;
	uint64_t now;
	uint32_t next_zone_id;
	uint32_t next_gen_id;
	uint64_t changes; /* ls_zoneset_changes() */
	/* how many origins have each label count: bounds the suffixes to probe */
	uint32_t per_labels[LS_DNAME_MAXLABELS + 1];
	int min_labels, max_labels;
	ls_zoneset_replace_fn on_replace; /* ls_zoneset_on_replace() */
	void *replace_ctx;
};

#define INITIAL_CAP 16

int ls_zoneset_new(struct ls_zoneset **out)
{
	struct ls_zoneset *zs;

	*out = NULL;
	zs = calloc(1, sizeof(*zs));
	if (!zs)
		return -ENOMEM;
	zs->slots = calloc(INITIAL_CAP, sizeof(*zs->slots));
	if (!zs->slots) {
		free(zs);
		return -ENOMEM;
	}
	zs->cap = INITIAL_CAP;
	zs->next_zone_id = 1;
	zs->next_gen_id = 1;
	zs->min_labels = 1;
	zs->max_labels = 0; /* empty: no suffix is probed */
	*out = zs;
	return 0;
}

static void entry_free(struct entry *e)
{
	ls_zone_free(e->live);
	ls_zone_free(e->next);
	free(e);
}

void ls_zoneset_free(struct ls_zoneset *zs)
{
	if (!zs)
		return;
	for (size_t i = 0; i < zs->cap; i++) {
		if (zs->slots[i].e)
			entry_free(zs->slots[i].e);
	}
	free(zs->slots);
	free(zs);
}

size_t ls_zoneset_count(const struct ls_zoneset *zs)
{
	return zs->count;
}

uint64_t ls_zoneset_changes(const struct ls_zoneset *zs)
{
	return zs->changes;
}

size_t ls_zoneset_origins(const struct ls_zoneset *zs, const uint8_t **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < zs->cap; i++) {
		if (!zs->slots[i].e)
			continue;
		if (n < max)
			out[n] = zs->slots[i].e->origin;
		n++;
	}
	return n;
}

static void update_label_bounds(struct ls_zoneset *zs)
{
	zs->min_labels = 1;
	zs->max_labels = 0;
	for (int i = 0; i <= LS_DNAME_MAXLABELS; i++) {
		if (zs->per_labels[i]) {
			zs->min_labels = i;
			break;
		}
	}
	for (int i = LS_DNAME_MAXLABELS; i >= 0; i--) {
		if (zs->per_labels[i]) {
			zs->max_labels = i;
			break;
		}
	}
}

/* Find the slot of a lowercased name, or the empty slot where it would go. */
static size_t probe(const struct ls_zoneset *zs, const uint8_t *name, size_t len, uint32_t hash)
{
	size_t mask = zs->cap - 1;
	size_t i = hash & mask;

	for (;;) {
		const struct slot *s = &zs->slots[i];

		if (!s->e)
			return i;
		if (s->hash == hash && s->e->origin_len == len &&
		    memcmp(s->e->origin, name, len) == 0)
			return i;
		i = (i + 1) & mask;
	}
}

static struct entry *find(const struct ls_zoneset *zs, const uint8_t *origin)
{
	uint8_t lower[LS_DNAME_MAXLEN];
	size_t len = ls_dname_copy_lower(lower, origin);
	uint32_t hash = ls_dname_hash(lower);

	return zs->slots[probe(zs, lower, len, hash)].e;
}

static int grow(struct ls_zoneset *zs)
{
	size_t cap = zs->cap * 2;
	struct slot *old = zs->slots;
	size_t old_cap = zs->cap;
	struct slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	zs->slots = slots;
	zs->cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		struct entry *e = old[i].e;

		if (e)
			zs->slots[probe(zs, e->origin, e->origin_len, e->hash)] = old[i];
	}
	free(old);
	return 0;
}

static int insert(struct ls_zoneset *zs, const uint8_t *origin, struct entry **out)
{
	struct entry *e;
	size_t i;
	int err;

	if (ls_dname_wire_check(origin, LS_DNAME_MAXLEN) < 0)
		return -EINVAL;
	e = find(zs, origin);
	if (e)
		goto found;
	if ((zs->count + 1) * 2 > zs->cap) {
		err = grow(zs);
		if (err)
			return err;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->origin_len = (uint8_t)ls_dname_copy_lower(e->origin, origin);
	e->labels = (uint8_t)ls_dname_labels(e->origin);
	e->hash = ls_dname_hash(e->origin);
	e->ctl.switch_at = LS_TIME_NEVER;
	e->ctl.withdraw_at = LS_TIME_NEVER;
	e->sw_at = LS_TIME_NEVER;
	e->ctl.zone_id = zs->next_zone_id++;
	i = probe(zs, e->origin, e->origin_len, e->hash);
	zs->slots[i].hash = e->hash;
	zs->slots[i].e = e;
	zs->count++;
	zs->changes++;
	zs->per_labels[e->labels]++;
	update_label_bounds(zs);
found:
	*out = e;
	return 0;
}

int ls_zoneset_add(struct ls_zoneset *zs, const uint8_t *origin)
{
	struct entry *e;

	return insert(zs, origin, &e);
}

int ls_zoneset_remove(struct ls_zoneset *zs, const uint8_t *origin)
{
	uint8_t lower[LS_DNAME_MAXLEN];
	size_t len = ls_dname_copy_lower(lower, origin);
	size_t mask = zs->cap - 1;
	size_t i = probe(zs, lower, len, ls_dname_hash(lower));
	struct entry *e = zs->slots[i].e;

	if (!e)
		return -ENOENT;
	zs->per_labels[e->labels]--;
	update_label_bounds(zs);
	if (e->live && zs->on_replace && zs->on_replace(zs->replace_ctx, e->live, NULL))
		e->live = NULL; /* taken over */
	entry_free(e);
	zs->slots[i].e = NULL;
	zs->count--;
	zs->changes++;
	/*
	 * Backward-shift deletion: move later members of the probe run into
	 * the hole when their home slot does not lie cyclically in (i, j].
	 */
	for (size_t j = (i + 1) & mask; zs->slots[j].e; j = (j + 1) & mask) {
		size_t home = zs->slots[j].hash & mask;

		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		zs->slots[i] = zs->slots[j];
		zs->slots[j].e = NULL;
		i = j;
	}
	return 0;
}

int ls_zoneset_set_live(struct ls_zoneset *zs, struct ls_zone *zone)
{
	struct entry *e;
	int err;

	err = insert(zs, ls_zone_origin(zone), &e);
	if (err) {
		ls_zone_free(zone);
		return err;
	}
	/* single-threaded: nobody holds the old generation (zoneset.h) */
	if (!e->live || !zs->on_replace || !zs->on_replace(zs->replace_ctx, e->live, zone))
		ls_zone_free(e->live);
	e->live = zone;
	e->ctl.live_gen = zs->next_gen_id++;
	e->ctl.flags |= LS_CTL_HAS_LIVE;
	e->hold_live = false; /* a new live generation is what the hold waited for */
	zs->changes++;
	return 0;
}

int ls_zoneset_hold_live(struct ls_zoneset *zs, const uint8_t *origin, bool hold)
{
	struct entry *e = find(zs, origin);

	if (!e)
		return -ENOENT;
	if (e->hold_live == hold)
		return 0;
	e->hold_live = hold;
	if (hold)
		e->ctl.flags &= ~LS_CTL_HAS_LIVE;
	else if (e->live)
		e->ctl.flags |= LS_CTL_HAS_LIVE;
	zs->changes++;
	return 0;
}

bool ls_zoneset_live_held(const struct ls_zoneset *zs, const uint8_t *origin)
{
	const struct entry *e = find(zs, origin);

	return e && e->hold_live;
}

int ls_zoneset_stage_next(struct ls_zoneset *zs, const uint8_t *origin, struct ls_zone *next,
			  uint64_t switch_at)
{
	struct entry *e = find(zs, origin);
	int err;

	if (!e) {
		err = -ENOENT;
		goto free_next;
	}
	if (next && !ls_dname_equal(ls_zone_origin(next), e->origin)) {
		err = -EINVAL;
		goto free_next;
	}
	/* Not ready first: the rule must never see the new T with the old ready flag. */
	e->ctl.flags &= ~LS_CTL_NEXT_READY;
	ls_zone_free(e->next);
	e->next = next;
	e->ctl.next_gen = next ? zs->next_gen_id++ : 0;
	e->ctl.switch_at = switch_at;
	/*
	 * A new T starts a new record; the same T re-staged (the plan's data
	 * arriving) keeps it. Dropping a plan (LS_TIME_NEVER) keeps the last
	 * switch on record: it is what the operator still wants to see.
	 */
	if (switch_at != LS_TIME_NEVER) {
		if (switch_at != e->sw_at) {
			e->sw_at = switch_at;
			e->sw_first = 0;
			e->sw_promoted = false;
		}
		e->sw_gen = e->ctl.next_gen;
	}
	zs->changes++;
	return 0;

free_next:
	ls_zone_free(next);
	return err;
}

int ls_zoneset_next_ready(struct ls_zoneset *zs, const uint8_t *origin)
{
	struct entry *e = find(zs, origin);

	if (!e)
		return -ENOENT;
	if (!e->next)
		return -ENODATA;
	e->ctl.flags |= LS_CTL_NEXT_READY;
	zs->changes++;
	return 0;
}

int ls_zoneset_withdraw(struct ls_zoneset *zs, const uint8_t *origin, uint64_t at)
{
	struct entry *e = find(zs, origin);

	if (!e)
		return -ENOENT;
	e->ctl.withdraw_at = at;
	zs->changes++;
	return 0;
}

size_t ls_zoneset_promote(struct ls_zoneset *zs, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < zs->cap; i++) {
		struct entry *e = zs->slots[i].e;

		if (!e || now < e->ctl.switch_at || !(e->ctl.flags & LS_CTL_NEXT_READY))
			continue;
		/*
		 * From T the rule already answers from next; after this it
		 * answers from live, which is the same generation: no query
		 * sees a difference.
		 */
		e->sw_promoted = e->sw_promoted || e->ctl.next_gen == e->sw_gen;
		if (!e->live || !zs->on_replace ||
		    !zs->on_replace(zs->replace_ctx, e->live, e->next))
			ls_zone_free(e->live);
		e->live = e->next;
		e->next = NULL;
		e->ctl.live_gen = e->ctl.next_gen;
		e->ctl.next_gen = 0;
		e->ctl.switch_at = LS_TIME_NEVER;
		e->ctl.flags = (e->ctl.flags & ~LS_CTL_NEXT_READY) | LS_CTL_HAS_LIVE;
		e->hold_live = false; /* the promoted generation is newer than the held one */
		zs->changes++;
		n++;
	}
	return n;
}

void ls_zoneset_on_replace(struct ls_zoneset *zs, ls_zoneset_replace_fn fn, void *ctx)
{
	zs->on_replace = fn;
	zs->replace_ctx = ctx;
}

uint64_t ls_zoneset_clock(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_TAI, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ls_zoneset_tick(struct ls_zoneset *zs)
{
	zs->now = ls_zoneset_clock();
}

void ls_zoneset_set_now(struct ls_zoneset *zs, uint64_t now)
{
	zs->now = now;
}

uint64_t ls_zoneset_now(const struct ls_zoneset *zs)
{
	return zs->now;
}

/*
 * Note the first answer from the generation staged for the last switch. It
 * is the time the rule decided with (the batch time), so by construction
 * it is never before T; the record is there to show it, and how late after
 * T the first such answer went out. Once per switch: one comparison per
 * lookup otherwise.
 */
static void note_answer(struct ls_zoneset *zs, struct entry *e, uint32_t gen)
{
	if (!e->sw_first && gen && gen == e->sw_gen)
		e->sw_first = zs->now ? zs->now : 1;
}

const struct ls_zone *ls_zoneset_lookup(void *ctx, const uint8_t *qname_lower, bool *silent)
{
	struct ls_zoneset *zs = ctx;
	const uint8_t *name = qname_lower;
	int labels = ls_dname_labels(qname_lower);
	struct entry *e;

	*silent = false;
	if (labels < zs->min_labels)
		return NULL;
	if (labels > zs->max_labels) {
		name = ls_dname_skip(name, labels - zs->max_labels);
		labels = zs->max_labels;
	}
	for (; labels >= zs->min_labels; labels--, name += name[0] + 1) {
		size_t len = ls_dname_len(name);
		const struct slot *s = &zs->slots[probe(zs, name, len, ls_dname_hash(name))];

		/* a zone held but not served is no zone here: its names go on up */
		if (!s->e || s->e->not_served)
			continue;
		e = s->e;
		switch (ls_ctl_decide(&e->ctl, zs->now, LS_TIME_NEVER)) {
		case LS_CTL_LIVE:
			note_answer(zs, e, e->ctl.live_gen);
			return e->live;
		case LS_CTL_NEXT:
			note_answer(zs, e, e->ctl.next_gen);
			return e->next;
		case LS_CTL_DROP:
			break;
		}
		*silent = true;
		return NULL;
	}
	return NULL;
}

int ls_zoneset_set_served(struct ls_zoneset *zs, const uint8_t *origin, bool served)
{
	struct entry *e = find(zs, origin);

	if (!e)
		return -ENOENT;
	if (e->not_served != !served) {
		e->not_served = !served;
		zs->changes++; /* the data plane adds or drops the zone */
	}
	return 0;
}

bool ls_zoneset_served(const struct ls_zoneset *zs, const uint8_t *origin)
{
	const struct entry *e = find(zs, origin);

	return e && !e->not_served;
}

int ls_zoneset_ctl(const struct ls_zoneset *zs, const uint8_t *origin, struct ls_zone_ctl *ctl)
{
	const struct entry *e = find(zs, origin);

	if (!e)
		return -ENOENT;
	*ctl = e->ctl;
	return 0;
}

int ls_zoneset_switch_info(const struct ls_zoneset *zs, const uint8_t *origin,
			   struct ls_zoneset_switch *out)
{
	const struct entry *e = find(zs, origin);

	if (!e)
		return -ENOENT;
	out->at = e->sw_at;
	out->first_next_ns = e->sw_at == LS_TIME_NEVER ? 0 : e->sw_first;
	out->promoted = e->sw_promoted;
	return 0;
}

const struct ls_zone *ls_zoneset_live(const struct ls_zoneset *zs, const uint8_t *origin)
{
	const struct entry *e = find(zs, origin);

	return e ? e->live : NULL;
}

const struct ls_zone *ls_zoneset_next(const struct ls_zoneset *zs, const uint8_t *origin)
{
	const struct entry *e = find(zs, origin);

	return e ? e->next : NULL;
}

/* ---- configuration ------------------------------------------------------ */
