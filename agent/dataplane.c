/* SPDX-License-Identifier: MIT */
/*
 * dataplane.c — see dataplane.h; docs/dataplane.md explains the maps.
 *
 * Body slots: each size class is an array map; a generation's bodies of a
 * class take one contiguous range, found first-fit in a free list. A
 * restarted agent learns which ranges are taken by reading the answer
 * table (every reference names its class and slot), so it never overwrites
 * a body a live generation still uses.
 *
 * Growth and pins: when a generation does not fit, the maps are grown by
 * loading a second instance of the program and copying every map into it
 * (see "growth" below); pins live in one directory per instance, named by
 * the symlink `current` (see "pins").
 */
#include "agent/dataplane.h"

#include "agent/compile.h"
#include "agent/zoneset.h"
#include "common/dname.h"
#include "common/log.h"
#include "common/rdata.h"
#include "common/zone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one map can hold: body references carry a 28-bit slot index; the
 * zone and answer tables are bounded well below where the kernel's own
 * size arithmetic would refuse them. */
#define CAP_BODIES ((size_t)LS_BODY_INDEX_MASK + 1)
#define CAP_ANSWERS ((size_t)1 << 30)
#define CAP_ZONES ((size_t)1 << 24)

static int grow_dim(size_t cur, size_t need, size_t limit, size_t *out)
{
	size_t a = cur * 2, b = need * 2 + need / 4;

	*out = cur;
	if (need <= cur)
		return 0;
	if (need > limit)
		return -E2BIG;
	*out = a > b ? a : b;
	if (*out > limit)
		*out = limit;
	return 1;
}

int ls_dataplane_grow_target(const struct ls_dataplane_caps *cur,
			     const struct ls_dataplane_caps *need, struct ls_dataplane_caps *out)
{
	struct ls_dataplane_caps t;
	int r, any = 0;

	r = grow_dim(cur->answers, need->answers, CAP_ANSWERS, &t.answers);
	if (r < 0)
		return r;
	any |= r;
	for (int k = 0; k < LS_BODY_CLASSES; k++) {
		r = grow_dim(cur->bodies[k], need->bodies[k], CAP_BODIES, &t.bodies[k]);
		if (r < 0)
			return r;
		any |= r;
	}
	r = grow_dim(cur->zones, need->zones, CAP_ZONES, &t.zones);
	if (r < 0)
		return r;
	any |= r;
	*out = t;
	return any;
}

#ifndef LOCKSTEP_HAVE_BPF

int ls_dataplane_open(const struct ls_dataplane_opts *opts, struct ls_dataplane **out)
{
	*out = NULL;
	return opts->mode == LS_CONFIG_XDP_OFF ? 0 : -EOPNOTSUPP;
}
bool ls_dataplane_readopted(const struct ls_dataplane *dp)
{
	return false;
}
void ls_dataplane_free(struct ls_dataplane *dp)
{
}
void ls_dataplane_shutdown(struct ls_dataplane *dp)
{
}
int ls_dataplane_add_addr(struct ls_dataplane *dp, const struct sockaddr_storage *ss)
{
	return -EOPNOTSUPP;
}
int ls_dataplane_keep_addrs(struct ls_dataplane *dp, const struct ls_config_addr *keep, size_t n)
{
	return -EOPNOTSUPP;
}
uint32_t ls_dataplane_new_gen(struct ls_dataplane *dp)
{
	return 0;
}
int ls_dataplane_load(struct ls_dataplane *dp, const struct ls_compiled *c, size_t *left_out)
{
	return -EOPNOTSUPP;
}
int ls_dataplane_unload(struct ls_dataplane *dp, uint32_t gen)
{
	return -EOPNOTSUPP;
}
int ls_dataplane_set_zone(struct ls_dataplane *dp, const uint8_t *origin,
			  const struct ls_zone_ctl *ctl)
{
	return -EOPNOTSUPP;
}
int ls_dataplane_get_zone(struct ls_dataplane *dp, const uint8_t *origin, struct ls_zone_ctl *ctl)
{
	return -EOPNOTSUPP;
}
int ls_dataplane_remove_zone(struct ls_dataplane *dp, const uint8_t *origin)
{
	return -EOPNOTSUPP;
}
int ls_dataplane_first_next(struct ls_dataplane *dp, const uint8_t *origin, uint32_t gen,
			    uint64_t *tai_ns)
{
	return -EOPNOTSUPP;
}
void ls_dataplane_renew(struct ls_dataplane *dp, uint64_t deadline)
{
}
void ls_dataplane_set_casefold(struct ls_dataplane *dp, bool on)
{
}
int ls_dataplane_stats(struct ls_dataplane *dp, uint64_t out[LS_STAT_MAX])
{
	return -EOPNOTSUPP;
}
int ls_dataplane_prog_fd(const struct ls_dataplane *dp)
{
	return -1;
}
int ls_dataplane_noop_fd(const struct ls_dataplane *dp)
{
	return -1;
}
size_t ls_dataplane_map_memory(struct ls_dataplane *dp)
{
	return 0;
}
int ls_dataplane_estimate(const struct ls_zoneset *zs, const uint8_t *const *origins, size_t n,
			  struct ls_dataplane_opts *opts)
{
	return 0;
}
int ls_dataplane_sync(struct ls_dataplane *dp, const struct ls_zoneset *zs,
		      const uint8_t *const *origins, size_t n)
{
	return -EOPNOTSUPP;
}
const char *ls_dataplane_mode_name(const struct ls_dataplane *dp)
{
	return "off";
}
const char *ls_dataplane_ifname(const struct ls_dataplane *dp)
{
	return "";
}
uint64_t ls_dataplane_lease(const struct ls_dataplane *dp)
{
	return 0;
}
void ls_dataplane_capacity(const struct ls_dataplane *dp, struct ls_dataplane_caps *cap,
			   struct ls_dataplane_caps *used)
{
	if (cap)
		memset(cap, 0, sizeof(*cap));
	if (used)
		memset(used, 0, sizeof(*used));
}
int ls_dataplane_grow(struct ls_dataplane *dp, const struct ls_dataplane_caps *to)
{
	return -EOPNOTSUPP;
}
int ls_dataplane_reserve(struct ls_dataplane *dp, const struct ls_compiled *c, size_t zones)
{
	return -EOPNOTSUPP;
}
void ls_dataplane_growth_stats(const struct ls_dataplane *dp, struct ls_dataplane_growth *out)
{
	memset(out, 0, sizeof(*out));
}

#else /* LOCKSTEP_HAVE_BPF */

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lockstep.skel.h"

_Static_assert(sizeof(struct ls_ans_key) == 16, "answer key layout");
_Static_assert(sizeof(struct ls_ans_val) == 16 + LS_XDP_NAME_MAX, "answer value layout");
_Static_assert(sizeof(struct ls_zone_val) == 8 + LS_XDP_NAME_MAX, "zone value layout");
_Static_assert(sizeof(struct ls_ctl_slot) == 64, "control slot: one cache line");
_Static_assert(sizeof(struct ls_global) == 88, "global layout");
_Static_assert(sizeof(struct ls_body_hdr) % 2 == 0, "body header layout");

#define DEF_ANSWERS (1u << 16)
#define DEF_ZONES 1024
#define BATCH 4096

struct range {
	uint32_t start, len;
};

struct free_list {
	struct range *v;
	size_t n, cap;
};

struct gen_slots {
	uint32_t gen;
	struct range r[LS_BODY_CLASSES];
};

/* What ls_dataplane_sync() loaded for one zone. */
struct dp_zone {
	uint8_t origin[LS_DNAME_MAXLEN];
	const struct ls_zone *gz[2]; /* live, next: the zone set's generations */
	uint32_t serial[2];
	uint32_t gen[2]; /* their ids here; 0: none */
	struct ls_zone_ctl written; /* the control entry last written */
	bool have_written;
	bool seen; /* still configured, this sync */
};

struct ls_dataplane {
	struct lockstep_bpf *skel;
	struct dp_zone *zones;
	size_t nzones, zones_cap;
	volatile struct ls_global *global; /* mmapped */
	volatile struct ls_ctl_slot *ctl; /* ls_ctl, mmapped: written as a seqlock */
	size_t ctl_len; /* octets mapped */
	uint8_t *slot_used; /* one bit per ls_ctl slot: held by a zone */
	uint32_t slot_cap, slot_hint;
	int ifindex;
	char ifname[32];
	__u32 attach_flags;
	bool casefold_checked;
	bool readopted;
	char pin_dir[256];
	struct free_list free[LS_BODY_CLASSES];
	struct gen_slots *gens;
	size_t ngens, gens_cap;
	int ncpus;
	char inst[32]; /* this instance's pin directory under pin_dir ("": none yet) */
	size_t answers_used; /* entries in ls_answers */
	uint64_t lease_ns; /* opts->lease_ns */
	uint32_t *zidx; /* index of zones by origin, see dpz_find() */
	size_t zidx_cap;
	/* label counts of origins refused a control entry (another origin
	 * holds their hash): the program must still probe that length, find
	 * the other origin's entry and pass, not fall through to a parent
	 * zone. Never cleared: a stale bit only costs a probe. */
	uint64_t refused_mask;
	struct ls_dataplane_growth growth;
};

static struct bpf_map *skel_body_map(struct lockstep_bpf *skel, int cls)
{
	switch (cls) {
	case 0:
		return skel->maps.ls_bodies0;
	case 1:
		return skel->maps.ls_bodies1;
	case 2:
		return skel->maps.ls_bodies2;
	default:
		return skel->maps.ls_bodies3;
	}
}

static struct bpf_map *body_map(struct ls_dataplane *dp, int cls)
{
	return skel_body_map(dp->skel, cls);
}

static size_t body_value_size(int cls)
{
	static const size_t s[LS_BODY_CLASSES] = { sizeof(struct ls_body0), sizeof(struct ls_body1),
						   sizeof(struct ls_body2),
						   sizeof(struct ls_body3) };
	return s[cls];
}

/* ---- slot ranges -------------------------------------------------------- */

/* Room for one more range (a growth makes it for each free list before the
 * swap, so adding after it cannot fail). */
static int fl_room(struct free_list *fl)
{
	if (fl->n < fl->cap)
		return 0;
	size_t cap = fl->cap ? fl->cap * 2 : 16;
	struct range *v = realloc(fl->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	fl->v = v;
	fl->cap = cap;
	return 0;
}

static int fl_add(struct free_list *fl, uint32_t start, uint32_t len)
{
	if (!len)
		return 0;
	if (fl_room(fl))
		return -ENOMEM;
	fl->v[fl->n++] = (struct range){ start, len };
	return 0;
}

static int fl_take(struct free_list *fl, uint32_t len, uint32_t *start)
{
	if (!len) {
		*start = 0;
		return 0;
	}
	for (size_t i = 0; i < fl->n; i++) {
		if (fl->v[i].len >= len) {
			*start = fl->v[i].start;
			fl->v[i].start += len;
			fl->v[i].len -= len;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Take [start, start+len) out of the free list (re-adoption). */
static int fl_reserve(struct free_list *fl, uint32_t start, uint32_t len)
{
	for (size_t i = 0; i < fl->n; i++) {
		struct range r = fl->v[i];
		if (start >= r.start && start + len <= r.start + r.len) {
			fl->v[i].len = start - r.start;
			return fl_add(fl, start + len, r.start + r.len - start - len);
		}
	}
	return -EEXIST;
}

static struct gen_slots *gen_find(struct ls_dataplane *dp, uint32_t gen, bool create)
{
	for (size_t i = 0; i < dp->ngens; i++)
		if (dp->gens[i].gen == gen)
			return &dp->gens[i];
	if (!create)
		return NULL;
	if (dp->ngens == dp->gens_cap) {
		size_t cap = dp->gens_cap ? dp->gens_cap * 2 : 16;
		struct gen_slots *g = realloc(dp->gens, cap * sizeof(*g));
		if (!g)
			return NULL;
		dp->gens = g;
		dp->gens_cap = cap;
	}
	struct gen_slots *g = &dp->gens[dp->ngens++];
	memset(g, 0, sizeof(*g));
	g->gen = gen;
	return g;
}

/* After a restart: which body slots do the generations in the maps use? */
static int relearn_slots(struct ls_dataplane *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.ls_answers);
	struct ls_ans_key key, next;
	struct ls_ans_val val;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		dp->answers_used++;
		struct gen_slots *g = gen_find(dp, key.gen, true);
		if (!g)
			return -ENOMEM;
		uint32_t refs[2] = { val.body, val.below };
		for (int k = 0; k < 2; k++) {
			uint32_t cls = refs[k] >> LS_BODY_CLASS_SHIFT;
			uint32_t idx = refs[k] & LS_BODY_INDEX_MASK;
			if (cls == 0 || cls > LS_BODY_CLASSES)
				continue;
			struct range *r = &g->r[cls - 1];
			if (r->len == 0) {
				*r = (struct range){ idx, 1 };
			} else {
				uint32_t end = r->start + r->len;
				if (idx < r->start)
					r->start = idx;
				if (idx + 1 > end)
					end = idx + 1;
				r->len = end - r->start;
			}
		}
	}
	for (size_t i = 0; i < dp->ngens; i++)
		for (int c = 0; c < LS_BODY_CLASSES; c++)
			if (dp->gens[i].r[c].len)
				fl_reserve(&dp->free[c], dp->gens[i].r[c].start,
					   dp->gens[i].r[c].len);
	return 0;
}

/* ---- pins ----------------------------------------------------------------
 *
 * Layout: <pin_dir>/current is a symlink naming the live instance's
 * directory <pin_dir>/i<N>, which holds one pin per map. A new instance
 * (at the first open, after a growth) is pinned into a fresh directory,
 * then a new symlink is renamed over `current` — one atomic rename on
 * bpffs — and only then the other directories are removed. A SIGKILL at
 * any point leaves `current` naming one complete set, the old or the new;
 * the next agent adopts that and removes the rest. (bpffs refuses names
 * with a dot, hence `current_new` for the symlink being made.) The layout
 * of earlier versions, the pins directly in <pin_dir>, is adopted when
 * there is no `current` and migrated: pinned again into an instance
 * directory, `current` made, the old pins removed.
 */

#define MAX_PINNED 32

/* A pin set is complete, and adopted, when it has at least these. */
static const char *const required_pins[] = { "ls_answers", "ls_bodies0", "ls_bodies1", "ls_bodies2",
					     "ls_bodies3", "ls_zones",	 "ls_ctl",     "ls_addrs",
					     "ls_global",  "ls_stats" };

/* Every map of the object but the internal ones (.rodata, .bss, ...):
 * maps the program gains later are pinned and adopted without a change here. */
static size_t pinned_maps(struct lockstep_bpf *skel, struct bpf_map *maps[MAX_PINNED])
{
	struct bpf_map *m;
	size_t n = 0;

	bpf_object__for_each_map(m, skel->obj)
	{
		if (!bpf_map__is_internal(m) && n < MAX_PINNED)
			maps[n++] = m;
	}
	return n;
}

static bool pin_required(const struct bpf_map *m)
{
	for (size_t i = 0; i < sizeof(required_pins) / sizeof(required_pins[0]); i++)
		if (!strcmp(bpf_map__name(m), required_pins[i]))
			return true;
	return false;
}

/* <pin_dir>/<inst>/<map>, or <pin_dir>/<map> for the earlier layout (inst ""). */
static int pin_path(const struct ls_dataplane *dp, const char *inst, const struct bpf_map *m,
		    char *buf, size_t len)
{
	int n = inst[0] ? snprintf(buf, len, "%s/%s/%s", dp->pin_dir, inst, bpf_map__name(m)) :
			  snprintf(buf, len, "%s/%s", dp->pin_dir, bpf_map__name(m));
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_current(const struct ls_dataplane *dp, char *inst, size_t len)
{
	char path[512];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/current", dp->pin_dir);
	n = readlink(path, inst, len - 1);
	if (n <= 0)
		return -ENOENT;
	inst[n] = '\0';
	/* only a sibling directory is ours to follow */
	return strchr(inst, '/') || inst[0] == '.' ? -EINVAL : 0;
}

/*
 * Remove the entries of @dir but @keep1 and @keep2 (NULL: none kept),
 * directories with their contents. Names are taken one at a time with the
 * directory reopened, so removal never races our own readdir; bounded.
 */
static void remove_entries(const char *dir, const char *keep1, const char *keep2)
{
	for (int round = 0; round < 4096; round++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		char path[512];
		bool is_dir = false, found = false;

		if (!d)
			return;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if ((keep1 && !strcmp(e->d_name, keep1)) ||
			    (keep2 && !strcmp(e->d_name, keep2)))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			is_dir = e->d_type == DT_DIR;
			found = true;
			break;
		}
		closedir(d);
		if (!found)
			return;
		if (is_dir) {
			remove_entries(path, NULL, NULL);
			if (rmdir(path) < 0)
				return;
		} else if (unlink(path) < 0) {
			return;
		}
	}
}

/* A fresh instance directory name: one past the highest i<N> there. */
static void next_inst(const struct ls_dataplane *dp, char *inst, size_t len)
{
	unsigned long max = 0;
	DIR *d = opendir(dp->pin_dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *end;
		unsigned long v;

		if (e->d_name[0] != 'i')
			continue;
		v = strtoul(e->d_name + 1, &end, 10);
		if (*end == '\0' && v > max)
			max = v;
	}
	if (d)
		closedir(d);
	snprintf(inst, len, "i%lu", max + 1);
}

/* Pin @skel's maps into a fresh instance directory, named in @inst. */
static int pin_instance(struct ls_dataplane *dp, struct lockstep_bpf *skel, char *inst, size_t len)
{
	struct bpf_map *maps[MAX_PINNED];
	size_t n = pinned_maps(skel, maps);
	char path[512];
	int err = 0;

	if (mkdir(dp->pin_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	next_inst(dp, inst, len);
	snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, inst);
	if (mkdir(path, 0700) < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		err = pin_path(dp, inst, maps[i], path, sizeof(path));
		/* bpf_obj_pin, not bpf_map__pin: a map may be pinned at a second path */
		if (!err && bpf_obj_pin(bpf_map__fd(maps[i]), path) < 0)
			err = -errno;
		if (err)
			goto remove_dir;
	}
	return 0;

remove_dir:
	snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, inst);
	remove_entries(path, NULL, NULL);
	rmdir(path);
	return err;
}

/* Point `current` at @inst: one atomic rename of a new symlink over it. */
static int switch_current(const struct ls_dataplane *dp, const char *inst)
{
	char tmp[512], cur[512];
	int err;

	snprintf(tmp, sizeof(tmp), "%s/current_new", dp->pin_dir);
	snprintf(cur, sizeof(cur), "%s/current", dp->pin_dir);
	unlink(tmp);
	if (symlink(inst, tmp) < 0)
		return -errno;
	if (rename(tmp, cur) < 0) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/* The lease pushed to now + @lease_ns, never shortened: the agent is alive
 * and about to block in a long step (see ls_dataplane_opts.lease_ns). */
static void push_lease(volatile struct ls_global *g, uint64_t lease_ns)
{
	struct timespec ts;
	uint64_t until;

	if (!lease_ns || clock_gettime(CLOCK_TAI, &ts) != 0)
		return;
	until = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + lease_ns;
	if (g->lease_deadline < until)
		g->lease_deadline = until; /* one aligned 64-bit store, as ls_dataplane_renew() */
}

/* The same through a pinned global map's fd (re-adoption: not mapped yet). */
static void extend_lease(int fd, uint64_t lease_ns)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	volatile struct ls_global *g;

	if (!lease_ns)
		return;
	g = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (g == MAP_FAILED)
		return;
	push_lease(g, lease_ns);
	munmap((void *)g, page);
}

/* Whether the map pinned at @path has @m's type, key and value sizes. */
static bool pin_compatible(const struct bpf_map *m, const char *path)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	bool ok;

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	ok = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == (__u32)bpf_map__type(m) &&
	     info.key_size == bpf_map__key_size(m) && info.value_size == bpf_map__value_size(m);
	close(fd);
	return ok;
}

/* Reuse every map of the set `current` names (or of the earlier layout), or none. */
static int adopt_pins(struct ls_dataplane *dp, uint64_t lease_ns)
{
	struct bpf_map *maps[MAX_PINNED];
	size_t n = pinned_maps(dp->skel, maps), found = 0;
	char inst[32], path[512];

	if (read_current(dp, inst, sizeof(inst)) < 0)
		inst[0] = '\0'; /* no `current`: the earlier layout, if anything */
	for (size_t i = 0; i < n; i++) {
		if (pin_required(maps[i]) && pin_path(dp, inst, maps[i], path, sizeof(path)) == 0 &&
		    access(path, F_OK) == 0)
			found++;
	}
	if (found != sizeof(required_pins) / sizeof(required_pins[0]))
		return 0; /* none, or a partial set: stale, removed by pin_all() */
	/* Maps left by an agent of another version (killed, not stopped) may
	 * have other key or value layouts: reusing them would make the new
	 * program fail to load while the old one stays attached and, once the
	 * lease runs out, drops. Such a set is stale: start afresh (the attach
	 * replaces the old program atomically; its answers come back as the
	 * zones are loaded again). */
	for (size_t i = 0; i < n; i++) {
		if (pin_path(dp, inst, maps[i], path, sizeof(path)) || access(path, F_OK))
			continue;
		if (!pin_compatible(maps[i], path)) {
			ls_log(LS_LOG_WARNING,
			       "dataplane: pinned map %s has another layout (an agent of another "
			       "version?): not re-adopted, starting with fresh maps",
			       path);
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		/* a map an older program did not have starts empty */
		if (pin_path(dp, inst, maps[i], path, sizeof(path)) || access(path, F_OK))
			continue;
		int fd = bpf_obj_get(path);
		if (fd < 0)
			return -errno;
		if (maps[i] == dp->skel->maps.ls_global)
			extend_lease(fd, lease_ns);
		int err = bpf_map__reuse_fd(maps[i], fd);
		close(fd);
		if (err)
			return err;
	}
	dp->readopted = true;
	snprintf(dp->inst, sizeof(dp->inst), "%s", inst); /* "": migrated by pin_all() */
	return 0;
}

/* At open: the maps pinned as an instance `current` names; everything else removed. */
static int pin_all(struct ls_dataplane *dp)
{
	char inst[32], path[512];
	int err;

	if (mkdir(dp->pin_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (!dp->inst[0]) {
		err = pin_instance(dp, dp->skel, inst, sizeof(inst));
		if (err)
			return err;
		err = switch_current(dp, inst);
		if (err) {
			snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, inst);
			remove_entries(path, NULL, NULL);
			rmdir(path);
			return err;
		}
		snprintf(dp->inst, sizeof(dp->inst), "%s", inst);
	}
	/* other instances (a growth cut short), pins of the earlier layout */
	remove_entries(dp->pin_dir, "current", dp->inst);
	return 0;
}

/* ---- control slots ------------------------------------------------------ */

/* Map @skel's ls_ctl array (the agent is its only writer, through this). */
static int map_ctl(struct lockstep_bpf *skel, volatile struct ls_ctl_slot **out, size_t *len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (size_t)bpf_map__max_entries(skel->maps.ls_ctl) * sizeof(struct ls_ctl_slot);
	void *p;

	n = (n + page - 1) / page * page;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel->maps.ls_ctl), 0);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	*len = n;
	return 0;
}

/* The slot bitmap for @cap slots; bits already set are kept. */
static int slots_resize(struct ls_dataplane *dp, uint32_t cap)
{
	size_t old = (dp->slot_cap + 7) / 8, want = ((size_t)cap + 7) / 8;
	uint8_t *b;

	if (cap <= dp->slot_cap)
		return 0;
	b = realloc(dp->slot_used, want ? want : 1);
	if (!b)
		return -ENOMEM;
	memset(b + old, 0, want - old);
	dp->slot_used = b;
	dp->slot_cap = cap;
	return 0;
}

static bool slot_held(const struct ls_dataplane *dp, uint32_t i)
{
	return i < dp->slot_cap && (dp->slot_used[i / 8] & (1u << (i % 8)));
}

static void slot_mark(struct ls_dataplane *dp, uint32_t i, bool held)
{
	if (i >= dp->slot_cap)
		return;
	if (held)
		dp->slot_used[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		dp->slot_used[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

/* A free slot, or -ENOSPC; a rotating hint keeps a run of additions linear.
 * Bounded by the mapped array too: a growth that failed after making the
 * bitmap larger leaves bits for slots the array does not have. */
static uint32_t ctl_slots(const struct ls_dataplane *dp)
{
	uint32_t cap = bpf_map__max_entries(dp->skel->maps.ls_ctl);

	return cap < dp->slot_cap ? cap : dp->slot_cap;
}

static int slot_take(struct ls_dataplane *dp, uint32_t *out)
{
	uint32_t cap = ctl_slots(dp);

	for (uint32_t n = 0; n < cap; n++) {
		uint32_t i = (dp->slot_hint + n) % cap;
		if (!slot_held(dp, i)) {
			slot_mark(dp, i, true);
			dp->slot_hint = i + 1;
			*out = i;
			return 0;
		}
	}
	return -ENOSPC;
}

/*
 * Write slot @i as a seqlock writer: seq odd, the fields, seq even, each
 * step ordered after the one before by a release fence (a plain compiler
 * barrier on x86-64). A seq left odd by an agent killed half-way stays
 * odd until this write ends it: readers pass meanwhile.
 */
static void ctl_write(volatile struct ls_ctl_slot *c, uint64_t zhash, const struct ls_zone_ctl *ctl)
{
	uint32_t seq = c->seq | 1u;

	__atomic_store_n(&c->seq, seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	c->zhash = zhash;
	c->ctl.switch_at = ctl->switch_at;
	c->ctl.withdraw_at = ctl->withdraw_at;
	c->ctl.live_gen = ctl->live_gen;
	c->ctl.next_gen = ctl->next_gen;
	c->ctl.flags = ctl->flags;
	c->ctl.zone_id = ctl->zone_id;
	__atomic_store_n(&c->seq, seq + 1, __ATOMIC_RELEASE);
}

/* After a restart: which slots do the adopted zones hold? */
static int relearn_zone_slots(struct ls_dataplane *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.ls_zones);
	struct ls_zone_key key, next;
	struct ls_zone_val v;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) == 0)
			slot_mark(dp, v.slot, true);
	}
	return 0;
}

/* ---- open / close ----------------------------------------------------- */

static int attach(struct ls_dataplane *dp, const char *ifname, enum ls_config_xdp mode)
{
	int fd = bpf_program__fd(dp->skel->progs.ls_xdp);
	int err;

	dp->ifindex = (int)if_nametoindex(ifname);
	if (!dp->ifindex)
		return -errno;
	snprintf(dp->ifname, sizeof(dp->ifname), "%s", ifname);
	/* Replacing whatever is attached in the same mode is one atomic swap. */
	if (mode == LS_CONFIG_XDP_NATIVE) {
		err = bpf_xdp_attach(dp->ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
		if (!err) {
			dp->attach_flags = XDP_FLAGS_DRV_MODE;
			return 0;
		}
		ls_log(LS_LOG_WARNING,
		       "dataplane: native XDP on %s failed (%s), falling back to generic XDP",
		       ifname, strerror(-err));
	}
	err = bpf_xdp_attach(dp->ifindex, fd, XDP_FLAGS_SKB_MODE, NULL);
	if (!err)
		dp->attach_flags = XDP_FLAGS_SKB_MODE;
	return err;
}

int ls_dataplane_open(const struct ls_dataplane_opts *opts, struct ls_dataplane **out)
{
	struct ls_dataplane *dp;
	int err = -ENOMEM;

	*out = NULL;
	if (opts->mode == LS_CONFIG_XDP_OFF)
		return 0;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s",
		 opts->pin_dir ? opts->pin_dir : LS_DATAPLANE_PIN_DIR);
	dp->lease_ns = opts->lease_ns;
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		err = -EINVAL;
		goto free_dp;
	}

	dp->skel = lockstep_bpf__open();
	if (!dp->skel) {
		err = -errno;
		goto free_dp;
	}
	bpf_map__set_max_entries(dp->skel->maps.ls_answers,
				 (uint32_t)(opts->answers_max ? opts->answers_max : DEF_ANSWERS));
	for (int c = 0; c < LS_BODY_CLASSES; c++) {
		static const uint32_t def[LS_BODY_CLASSES] = { 1u << 14, 1u << 12, 1u << 10, 256 };
		bpf_map__set_max_entries(
			body_map(dp, c),
			(uint32_t)(opts->bodies_max[c] ? opts->bodies_max[c] : def[c]));
	}
	bpf_map__set_max_entries(dp->skel->maps.ls_zones,
				 (uint32_t)(opts->zones_max ? opts->zones_max : DEF_ZONES));
	bpf_map__set_max_entries(dp->skel->maps.ls_ctl,
				 (uint32_t)(opts->zones_max ? opts->zones_max : DEF_ZONES));
	dp->skel->rodata->ls_bench_cut = opts->bench_cut;
	if (dp->pin_dir[0]) {
		err = adopt_pins(dp, opts->lease_ns);
		if (err)
			goto destroy_skel;
	}
	err = lockstep_bpf__load(dp->skel);
	if (err)
		goto destroy_skel;

	dp->global = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
			  bpf_map__fd(dp->skel->maps.ls_global), 0);
	if (dp->global == MAP_FAILED) {
		dp->global = NULL;
		err = -errno;
		goto destroy_skel;
	}
	err = map_ctl(dp->skel, &dp->ctl, &dp->ctl_len);
	if (err)
		goto destroy_skel;
	err = slots_resize(dp, bpf_map__max_entries(dp->skel->maps.ls_ctl));
	if (err)
		goto destroy_skel;
	for (int c = 0; c < LS_BODY_CLASSES; c++) {
		err = fl_add(&dp->free[c], 0, bpf_map__max_entries(body_map(dp, c)));
		if (err)
			goto destroy_skel;
	}
	if (dp->readopted) {
		err = relearn_slots(dp);
		if (!err)
			err = relearn_zone_slots(dp);
		if (err)
			goto destroy_skel;
	} else {
		dp->global->port = opts->port ? opts->port : LS_XDP_PORT_DEFAULT;
		dp->global->next_gen = 1;
	}
	if (dp->pin_dir[0]) {
		err = pin_all(dp);
		if (err)
			goto destroy_skel;
	}
	if (opts->ifname) {
		err = attach(dp, opts->ifname, opts->mode);
		if (err)
			goto destroy_skel;
		ls_log(LS_LOG_INFO, "dataplane: XDP %s on %s%s",
		       dp->attach_flags == XDP_FLAGS_DRV_MODE ? "native" : "generic", opts->ifname,
		       dp->readopted ? " (re-adopted pinned maps)" : "");
	}
	*out = dp;
	return 0;

destroy_skel:
	ls_dataplane_free(dp);
	return err;
free_dp:
	free(dp);
	return err;
}

bool ls_dataplane_readopted(const struct ls_dataplane *dp)
{
	return dp && dp->readopted;
}

void ls_dataplane_free(struct ls_dataplane *dp)
{
	if (!dp)
		return;
	if (dp->global)
		munmap((void *)dp->global, (size_t)sysconf(_SC_PAGESIZE));
	if (dp->ctl)
		munmap((void *)dp->ctl, dp->ctl_len);
	free(dp->slot_used);
	lockstep_bpf__destroy(dp->skel); /* closes fds; the attachment and pins stay */
	for (int c = 0; c < LS_BODY_CLASSES; c++)
		free(dp->free[c].v);
	free(dp->gens);
	free(dp->zones);
	free(dp->zidx);
	free(dp);
}

void ls_dataplane_shutdown(struct ls_dataplane *dp)
{
	if (!dp)
		return;
	if (dp->ifindex)
		bpf_xdp_detach(dp->ifindex, dp->attach_flags, NULL);
	if (dp->pin_dir[0]) {
		/* `current` first: a crash half-way leaves nothing to adopt */
		char cur[512];
		snprintf(cur, sizeof(cur), "%s/current", dp->pin_dir);
		unlink(cur);
		remove_entries(dp->pin_dir, NULL, NULL);
		rmdir(dp->pin_dir);
	}
	ls_dataplane_free(dp);
}

/* ---- contents ----------------------------------------------------------- */

/* Add @k to the inline list in @g (ebpf/lockstep.h, struct ls_global),
 * or, when it is full (or @k's first 32 bits are zero, which marks an
 * unused slot), flag that ls_addrs holds more. An IPv4 slot is one
 * aligned 32-bit store; an IPv6 slot gets its first word last (x86-64
 * keeps stores in order; the fence keeps the compiler from reordering
 * them), so the program never matches a half-written one. */
static void global_add_addr(volatile struct ls_global *g, const struct ls_addr_key *k)
{
	static const uint8_t zero[4];

	/* an unused slot is zero; a slot being written has a zero first word
	 * (IPv6: written last): such addresses stay in the map */
	if (!memcmp(k->addr, zero, 4)) {
		g->flags |= LS_GLOBAL_ADDRS_MAP;
		return;
	}
	if (k->family == 4) {
		__u32 a, n = g->n4;
		memcpy(&a, k->addr, 4);
		for (__u32 i = 0; i < n && i < LS_GLOBAL_ADDR4; i++)
			if (g->addr4[i] == a)
				return;
		if (n >= LS_GLOBAL_ADDR4) {
			g->flags |= LS_GLOBAL_ADDRS_MAP;
			return;
		}
		g->addr4[n] = a;
		__atomic_thread_fence(__ATOMIC_RELEASE);
		g->n4 = n + 1;
		return;
	}
	__u32 n = g->n6;
	for (__u32 i = 0; i < n && i < LS_GLOBAL_ADDR6; i++)
		if (!memcmp((const void *)g->addr6[i], k->addr, 16))
			return;
	if (n >= LS_GLOBAL_ADDR6) {
		g->flags |= LS_GLOBAL_ADDRS_MAP;
		return;
	}
	memcpy((void *)(g->addr6[n] + 4), k->addr + 4, 12);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy((void *)g->addr6[n], k->addr, 4);
	g->n6 = n + 1;
}

static int addr_key(const struct sockaddr_storage *ss, struct ls_addr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (ss->ss_family == AF_INET) {
		k->family = 4;
		memcpy(k->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		k->family = 6;
		memcpy(k->addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

/*
 * The addresses a re-adopted data plane serves are the previous run's: one
 * the configuration no longer names would still be answered in XDP while
 * the slow path no longer listens there. The inline list is emptied first
 * (first words zeroed, with LS_GLOBAL_ADDRS_MAP set, so the program looks
 * every address up in ls_addrs meanwhile and none is missed), the others
 * are deleted from ls_addrs, then the kept ones go inline again.
 */
int ls_dataplane_keep_addrs(struct ls_dataplane *dp, const struct ls_config_addr *keep, size_t n)
{
	volatile struct ls_global *g = dp->global;
	int fd = bpf_map__fd(dp->skel->maps.ls_addrs);
	struct ls_addr_key key, last, k;
	size_t kept = 0;
	void *prev = NULL;
	char a[INET6_ADDRSTRLEN];

	g->flags |= LS_GLOBAL_ADDRS_MAP;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (unsigned i = 0; i < LS_GLOBAL_ADDR4; i++)
		g->addr4[i] = 0;
	for (unsigned i = 0; i < LS_GLOBAL_ADDR6; i++)
		memset((void *)g->addr6[i], 0, 4);
	g->n4 = g->n6 = 0;
	while (bpf_map_get_next_key(fd, prev, &key) == 0) {
		bool wanted = false;

		for (size_t i = 0; i < n && !wanted; i++)
			wanted = addr_key(&keep[i].ss, &k) == 0 && !memcmp(&k, &key, sizeof(k));
		if (!wanted && bpf_map_delete_elem(fd, &key) == 0) {
			inet_ntop(key.family == 4 ? AF_INET : AF_INET6, key.addr, a, sizeof(a));
			pr_notice("dataplane: %s, served by the previous run, is no longer "
				  "configured: no longer answered in XDP",
				  a);
			continue; /* the walk goes on from the last key kept */
		}
		last = key;
		prev = &last;
		kept++;
		global_add_addr(g, &key);
	}
	if (kept == g->n4 + g->n6) {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		g->flags &= ~LS_GLOBAL_ADDRS_MAP;
	}
	return 0;
}

int ls_dataplane_add_addr(struct ls_dataplane *dp, const struct sockaddr_storage *ss)
{
	struct ls_addr_key k;
	__u32 one = 1;
	int err = addr_key(ss, &k);

	if (err)
		return err;
	/* ls_addrs holds every address; the first few also go inline */
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.ls_addrs), &k, &one, BPF_ANY))
		return -errno;
	global_add_addr(dp->global, &k);
	return 0;
}

uint32_t ls_dataplane_new_gen(struct ls_dataplane *dp)
{
	uint64_t g = dp->global->next_gen;

	if (g == 0 || g > UINT32_MAX)
		g = 1;
	dp->global->next_gen = g + 1;
	return (uint32_t)g;
}

static int update_batch(int fd, const void *keys, const void *vals, size_t n, size_t *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	__u32 count = (__u32)n;
	int err = bpf_map_update_batch(fd, keys, vals, &count, &o);

	*done = err ? count : n;
	return err ? -errno : 0;
}

int ls_dataplane_load(struct ls_dataplane *dp, const struct ls_compiled *c, size_t *left_out)
{
	struct gen_slots *g = gen_find(dp, c->gen, true);
	uint32_t *slot = NULL, *keys = NULL;
	struct ls_ans_val *vals = NULL;
	uint8_t *vbuf = NULL;
	size_t loaded = 0;
	int err = -ENOMEM;

	if (left_out)
		*left_out = c->n;
	if (!g)
		return -ENOMEM;
	for (int k = 0; k < LS_BODY_CLASSES; k++) {
		err = fl_take(&dp->free[k], (uint32_t)c->per_class[k], &g->r[k].start);
		if (err) {
			ls_log(LS_LOG_WARNING,
			       "dataplane: generation %u: no room for %zu bodies of class %d; "
			       "its queries go to the slow path",
			       c->gen, c->per_class[k], k);
			for (int j = 0; j < k; j++)
				fl_add(&dp->free[j], g->r[j].start, g->r[j].len);
			memset(g->r, 0, sizeof(g->r));
			return 0;
		}
		g->r[k].len = (uint32_t)c->per_class[k];
	}

	/* bodies, class by class, in batches */
	slot = calloc(c->nbodies ? c->nbodies : 1, sizeof(*slot));
	keys = calloc(BATCH, sizeof(*keys));
	vbuf = calloc(BATCH, sizeof(struct ls_body3));
	vals = calloc(BATCH, sizeof(*vals));
	if (!slot || !keys || !vbuf || !vals)
		goto free_bufs;
	uint32_t next[LS_BODY_CLASSES];
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		next[k] = g->r[k].start;
	for (size_t i = 0; i < c->nbodies; i++)
		slot[i] = next[c->bodies[i].cls]++;
	for (int k = 0; k < LS_BODY_CLASSES; k++) {
		size_t vs = body_value_size(k), n = 0, done;
		int fd = bpf_map__fd(body_map(dp, k));
		for (size_t i = 0; i <= c->nbodies; i++) {
			if (i < c->nbodies && c->bodies[i].cls == k) {
				keys[n] = slot[i];
				memcpy(vbuf + n * vs, &c->bodies[i], vs); /* header, then data */
				n++;
			}
			if (n == BATCH || (i == c->nbodies && n)) {
				err = update_batch(fd, keys, vbuf, n, &done);
				if (err)
					goto free_bufs;
				n = 0;
			}
		}
	}

	/* entries, in compile order, until the table is full */
	int afd = bpf_map__fd(dp->skel->maps.ls_answers);
	for (size_t i = 0; i < c->n; i += BATCH) {
		size_t n = c->n - i < BATCH ? c->n - i : BATCH, done;
		for (size_t j = 0; j < n; j++) {
			vals[j] = c->vals[i + j];
			uint32_t *refs[2] = { &vals[j].body, &vals[j].below };
			for (int r = 0; r < 2; r++) {
				uint32_t idx = *refs[r] & LS_BODY_INDEX_MASK;
				if (*refs[r])
					*refs[r] = (*refs[r] & ~LS_BODY_INDEX_MASK) | slot[idx];
			}
		}
		err = update_batch(afd, &c->keys[i], vals, n, &done);
		loaded += done;
		dp->answers_used += done;
		if (err) {
			ls_log(LS_LOG_WARNING,
			       "dataplane: generation %u: answer table full after %zu of %zu entries "
			       "(%s); the rest go to the slow path",
			       c->gen, loaded, c->n, strerror(-err));
			err = 0;
			break;
		}
	}
	if (left_out)
		*left_out = c->n - loaded;
	err = 0;
free_bufs:
	free(slot);
	free(keys);
	free(vbuf);
	free(vals);
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool gen_in(const uint32_t *sorted, size_t n, uint32_t gen)
{
	return n && bsearch(&gen, sorted, n, sizeof(*sorted), cmp_u32);
}

typedef int (*walk_fn)(void *ctx, const uint8_t *keys, const uint8_t *vals, size_t n);
static int walk_map(int fd, size_t ks, size_t vs, walk_fn fn, void *ctx);

struct collect_ctx {
	const uint32_t *gens;
	size_t ngens;
	struct ls_ans_key *del;
	size_t n, cap;
};

static int collect_gens(void *ctx, const uint8_t *keys, const uint8_t *vals, size_t n)
{
	struct collect_ctx *c = ctx;

	for (size_t i = 0; i < n; i++) {
		struct ls_ans_key k;

		memcpy(&k, keys + i * sizeof(k), sizeof(k));
		if (!gen_in(c->gens, c->ngens, k.gen))
			continue;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 1024;
			struct ls_ans_key *d = realloc(c->del, cap * sizeof(*d));

			if (!d)
				return -ENOMEM;
			c->del = d;
			c->cap = cap;
		}
		c->del[c->n++] = k;
	}
	return 0;
}

/* Unload the generations @gens (sorted, @n of them) in one walk of the answer table. */
static int unload_gens(struct ls_dataplane *dp, const uint32_t *gens, size_t ngens)
{
	struct bpf_map *m = dp->skel->maps.ls_answers;
	int fd = bpf_map__fd(m);
	struct collect_ctx c = { .gens = gens, .ngens = ngens };
	size_t i = 0;
	int err;

	/* collect first: deleting while walking would restart the walk */
	err = walk_map(fd, sizeof(struct ls_ans_key), bpf_map__value_size(m), collect_gens, &c);
	if (err)
		goto free_del;
	while (i < c.n) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 count = (__u32)(c.n - i < BATCH ? c.n - i : BATCH);

		if (bpf_map_delete_batch(fd, &c.del[i], &count, &o) == 0) {
			i += count;
			dp->answers_used = dp->answers_used > count ? dp->answers_used - count : 0;
			continue;
		}
		/* count: how many went; the rest (gone already, or no batch
		 * delete here) one by one */
		i += count;
		dp->answers_used = dp->answers_used > count ? dp->answers_used - count : 0;
		for (; i < c.n; i++)
			if (bpf_map_delete_elem(fd, &c.del[i]) == 0 && dp->answers_used)
				dp->answers_used--;
	}
	for (size_t k = 0; k < ngens; k++) {
		struct gen_slots *g = gen_find(dp, gens[k], false);
		if (!g)
			continue;
		for (int cl = 0; cl < LS_BODY_CLASSES; cl++)
			fl_add(&dp->free[cl], g->r[cl].start, g->r[cl].len);
		*g = dp->gens[--dp->ngens];
	}
free_del:
	free(c.del);
	return err;
}

int ls_dataplane_unload(struct ls_dataplane *dp, uint32_t gen)
{
	return unload_gens(dp, &gen, 1);
}

/* The key of @origin and, in @name, the lowercased origin its value holds. */
static void zone_key(const uint8_t *origin, struct ls_zone_key *k, uint8_t name[LS_XDP_NAME_MAX])
{
	memset(k, 0, sizeof(*k));
	memset(name, 0, LS_XDP_NAME_MAX);
	if (ls_dname_len(origin) <= LS_XDP_NAME_MAX)
		ls_dname_copy_lower(name, origin);
	k->hash = ls_name_hash(name);
}

/* @origin's entry; -ENOENT also when the entry under its hash belongs to
 * another origin (a collision: that one keeps it). */
static int zone_lookup(struct ls_dataplane *dp, const uint8_t *origin, struct ls_zone_key *k,
		       struct ls_zone_val *v)
{
	uint8_t name[LS_XDP_NAME_MAX];

	zone_key(origin, k, name);
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.ls_zones), k, v))
		return -errno;
	return memcmp(v->name, name, sizeof(name)) ? -ENOENT : 0;
}

/* The label mask: which origin lengths exist, so the program probes only
 * those; recomputed after a removal (ls_dataplane_set_zone() only adds). */
static void update_mask(struct ls_dataplane *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.ls_zones);
	struct ls_zone_key key, next;
	void *prev = NULL;
	uint64_t mask = dp->refused_mask;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		struct ls_zone_val v;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		mask |= v.labels < 64 ? 1ULL << v.labels : 0;
	}
	dp->global->label_mask = mask;
}

int ls_dataplane_set_zone(struct ls_dataplane *dp, const uint8_t *origin,
			  const struct ls_zone_ctl *ctl)
{
	struct ls_zone_key k;
	struct ls_zone_val v;
	int fd = bpf_map__fd(dp->skel->maps.ls_zones);
	int err;

	if (ls_dname_len(origin) > LS_XDP_NAME_MAX)
		return -ENAMETOOLONG; /* the program never finds it: the slow path answers */
	err = zone_lookup(dp, origin, &k, &v);
	if (err == -ENOENT && bpf_map_lookup_elem(fd, &k, &v) == 0) {
		/* another origin has this hash: the slow path answers this one */
		int labels = ls_dname_labels(origin);
		if (labels < 64) {
			dp->refused_mask |= 1ULL << labels;
			dp->global->label_mask |= 1ULL << labels;
		}
		return -EEXIST;
	}
	if (err == 0) {
		/* served already: only the control entry changes, in place */
		if (v.slot >= ctl_slots(dp))
			return -EINVAL;
		ctl_write(&dp->ctl[v.slot], k.hash, ctl);
		return 0;
	}
	memset(&v, 0, sizeof(v));
	zone_key(origin, &k, v.name);
	v.labels = (__u32)ls_dname_labels(origin);
	err = slot_take(dp, &v.slot);
	if (err)
		return err;
	/* the control entry first: the program finds the zone only after */
	ctl_write(&dp->ctl[v.slot], k.hash, ctl);
	/* the program probes this length before the entry is there: a bit
	 * only gains here (a stale one costs a probe; removals recompute) */
	if (v.labels < 64)
		dp->global->label_mask |= 1ULL << v.labels;
	if (bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST)) {
		err = -errno;
		ctl_write(&dp->ctl[v.slot], 0, &(struct ls_zone_ctl){ 0 });
		slot_mark(dp, v.slot, false);
		return err;
	}
	return 0;
}

int ls_dataplane_get_zone(struct ls_dataplane *dp, const uint8_t *origin, struct ls_zone_ctl *ctl)
{
	struct ls_zone_key k;
	struct ls_zone_val v;
	int err = zone_lookup(dp, origin, &k, &v);

	if (err)
		return err;
	if (v.slot >= ctl_slots(dp))
		return -EINVAL;
	/* the agent is the only writer: its own mapping reads whole */
	volatile struct ls_ctl_slot *c = &dp->ctl[v.slot];
	ctl->switch_at = c->ctl.switch_at;
	ctl->withdraw_at = c->ctl.withdraw_at;
	ctl->live_gen = c->ctl.live_gen;
	ctl->next_gen = c->ctl.next_gen;
	ctl->flags = c->ctl.flags;
	ctl->zone_id = c->ctl.zone_id;
	return 0;
}

int ls_dataplane_remove_zone(struct ls_dataplane *dp, const uint8_t *origin)
{
	struct ls_zone_key k;
	struct ls_zone_val v;
	int err = zone_lookup(dp, origin, &k, &v);

	if (err)
		return err; /* also: not ours under a colliding hash, so not deleted */
	if (v.slot >= ctl_slots(dp))
		return -EINVAL;
	__u32 zone_id = dp->ctl[v.slot].ctl.zone_id;
	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.ls_zones), &k))
		return -errno;
	/* a reader that found the element just before sees hash 0 and passes;
	 * the slot is free for the next zone added */
	ctl_write(&dp->ctl[v.slot], 0, &(struct ls_zone_ctl){ 0 });
	slot_mark(dp, v.slot, false);
	/* its first-answer record goes with it (the LRU would age it out too) */
	bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.ls_first_next), &zone_id);
	update_mask(dp);
	return 0;
}

int ls_dataplane_first_next(struct ls_dataplane *dp, const uint8_t *origin, uint32_t gen,
			    uint64_t *tai_ns)
{
	struct ls_first_next *v;
	struct ls_zone_ctl ctl;
	uint64_t best = LS_TIME_NEVER;
	int err;

	err = ls_dataplane_get_zone(dp, origin, &ctl);
	if (err)
		return err;
	v = calloc((size_t)dp->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.ls_first_next), &ctl.zone_id, v)) {
		err = -errno;
		goto free_v;
	}
	for (int c = 0; c < dp->ncpus; c++)
		if (v[c].gen == gen && v[c].tai_ns && v[c].tai_ns < best)
			best = v[c].tai_ns;
	err = best == LS_TIME_NEVER ? -ENOENT : 0;
	if (!err)
		*tai_ns = best;
free_v:
	free(v);
	return err;
}

void ls_dataplane_renew(struct ls_dataplane *dp, uint64_t deadline)
{
	dp->global->lease_deadline = deadline; /* one aligned 64-bit store */
}

void ls_dataplane_set_casefold(struct ls_dataplane *dp, bool on)
{
	if (on)
		dp->global->flags |= LS_GLOBAL_CASEFOLD;
	else
		dp->global->flags &= ~LS_GLOBAL_CASEFOLD;
}

int ls_dataplane_stats(struct ls_dataplane *dp, uint64_t out[LS_STAT_MAX])
{
	int fd = bpf_map__fd(dp->skel->maps.ls_stats);
	uint64_t *v = calloc((size_t)dp->ncpus, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (__u32 i = 0; i < LS_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v) == 0)
			for (int c = 0; c < dp->ncpus; c++)
				out[i] += v[c];
	}
	free(v);
	return 0;
}

const char *ls_dataplane_mode_name(const struct ls_dataplane *dp)
{
	if (!dp)
		return "off";
	return dp->attach_flags == XDP_FLAGS_DRV_MODE ? "native" :
	       dp->attach_flags == XDP_FLAGS_SKB_MODE ? "generic" :
							"loaded";
}

const char *ls_dataplane_ifname(const struct ls_dataplane *dp)
{
	return dp ? dp->ifname : "";
}

uint64_t ls_dataplane_lease(const struct ls_dataplane *dp)
{
	return dp ? dp->global->lease_deadline : 0;
}

int ls_dataplane_prog_fd(const struct ls_dataplane *dp)
{
	return bpf_program__fd(dp->skel->progs.ls_xdp);
}

int ls_dataplane_noop_fd(const struct ls_dataplane *dp)
{
	return bpf_program__fd(dp->skel->progs.ls_xdp_pass);
}

static size_t fd_memlock(int fd)
{
	char path[64], line[256];
	size_t bytes = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %zu", &bytes) == 1)
			break;
	fclose(f);
	return bytes;
}

size_t ls_dataplane_map_memory(struct ls_dataplane *dp)
{
	struct bpf_map *maps[MAX_PINNED];
	size_t n = pinned_maps(dp->skel, maps), total = 0;

	for (size_t i = 0; i < n; i++)
		total += fd_memlock(bpf_map__fd(maps[i]));
	return total;
}

/* ---- growth ---------------------------------------------------------------
 *
 * A growth opens a second instance of the program with larger maps, copies
 * every map of the old instance into it whatever its key and value (the
 * layouts are ebpf/lockstep.h's business, not this code's), pins it into a
 * fresh directory, swaps the attached program in one atomic replace, and
 * only then points `current` at the new pins (see "pins" above). Until the
 * swap every packet sees the old instance, after it the new one — complete
 * from the start: the agent is the only writer of those maps and does
 * nothing else meanwhile (it runs on the event loop). The per-CPU counters
 * are copied last and what the old program counted until the swap is
 * added afterwards.
 */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ls_dataplane_capacity(const struct ls_dataplane *dp, struct ls_dataplane_caps *cap,
			   struct ls_dataplane_caps *used)
{
	if (cap) {
		cap->answers = bpf_map__max_entries(dp->skel->maps.ls_answers);
		for (int k = 0; k < LS_BODY_CLASSES; k++)
			cap->bodies[k] = bpf_map__max_entries(skel_body_map(dp->skel, k));
		cap->zones = bpf_map__max_entries(dp->skel->maps.ls_zones);
	}
	if (used) {
		memset(used, 0, sizeof(*used));
		used->answers = dp->answers_used;
		for (size_t i = 0; i < dp->ngens; i++)
			for (int k = 0; k < LS_BODY_CLASSES; k++)
				used->bodies[k] += dp->gens[i].r[k].len;
		used->zones = dp->nzones;
	}
}

void ls_dataplane_growth_stats(const struct ls_dataplane *dp, struct ls_dataplane_growth *out)
{
	if (dp)
		*out = dp->growth;
	else
		memset(out, 0, sizeof(*out));
}

static bool percpu_type(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Octets of one value as the syscalls see it (per-CPU: one 8-aligned copy per CPU). */
static size_t value_bytes(const struct bpf_map *m, int ncpus)
{
	size_t vs = bpf_map__value_size(m);

	return percpu_type(bpf_map__type(m)) ? ((vs + 7) & ~(size_t)7) * (size_t)ncpus : vs;
}

/* Internal maps a growth does not copy: .rodata is frozen (its initial
 * value is carried over before load instead), .kconfig comes from the kernel. */
static bool copy_skipped(const struct bpf_map *m)
{
	const char *name = bpf_map__name(m);

	return bpf_map__is_internal(m) && (strstr(name, ".rodata") || strstr(name, ".kconfig"));
}

/* Entry by entry, for kernels or map types without the batch calls. */
static int walk_by_key(int fd, size_t ks, uint8_t *key, uint8_t *next, uint8_t *val, walk_fn fn,
		       void *ctx)
{
	void *prev = NULL;
	int err;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, ks);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, val))
			continue; /* deleted meanwhile */
		err = fn(ctx, key, val, 1);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Every entry of the map @fd (@ks-octet keys, @vs-octet values as the
 * syscalls return them) to @fn, BATCH at a time: one syscall per batch
 * instead of two per entry, which matters for tables of millions of
 * entries walked on the event loop. Stops at the first error @fn returns.
 */
static int walk_map(int fd, size_t ks, size_t vs, walk_fn fn, void *ctx)
{
	uint8_t *keys = malloc(BATCH * ks), *vals = malloc(BATCH * vs);
	uint8_t *tok = calloc(1, ks + 8); /* the batch token: a key, or a bucket number */
	bool first = true;
	int err = 0;

	if (!keys || !vals || !tok) {
		err = -ENOMEM;
		goto free_bufs;
	}
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 count = BATCH;
		int r = bpf_map_lookup_batch(fd, first ? NULL : tok, tok, keys, vals, &count, &o);
		int e = r ? errno : 0;

		if (r && e != ENOENT) {
			if (first && (e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP))
				err = walk_by_key(fd, ks, keys, keys + ks, vals, fn, ctx);
			else
				err = -e;
			goto free_bufs;
		}
		if (count) {
			err = fn(ctx, keys, vals, count);
			if (err)
				goto free_bufs;
		}
		if (r) /* ENOENT: that was the last batch */
			break;
		first = false;
	}
free_bufs:
	free(keys);
	free(vals);
	free(tok);
	return err;
}

struct copy_ctx {
	int fd;
	size_t ks, vs;
};

static int copy_batch(void *ctx, const uint8_t *keys, const uint8_t *vals, size_t n)
{
	struct copy_ctx *c = ctx;
	size_t done;
	int err = update_batch(c->fd, keys, vals, n, &done);

	if (err != -EINVAL && err != -ENOTSUP && err != -EOPNOTSUPP)
		return err;
	/* no batch update here: one by one */
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(c->fd, keys + i * c->ks, vals + i * c->vs, BPF_ANY))
			return -errno;
	return 0;
}

/* Every entry of @from into @to (same key and value sizes), in batches. */
static int copy_map(struct bpf_map *from, struct bpf_map *to, int ncpus)
{
	enum bpf_map_type t = bpf_map__type(from);
	struct copy_ctx c = { .fd = bpf_map__fd(to),
			      .ks = bpf_map__key_size(from),
			      .vs = value_bytes(from, ncpus) };

	switch (t) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		break;
	default:
		ls_log(LS_LOG_DEBUG, "dataplane: growth: map %s (type %d) not copied",
		       bpf_map__name(from), (int)t);
		return 0;
	}
	if (c.ks != bpf_map__key_size(to) || c.vs != value_bytes(to, ncpus))
		return -EINVAL;
	return walk_map(bpf_map__fd(from), c.ks, c.vs, copy_batch, &c);
}

/* The counters, as late as possible; @snap keeps what was copied. */
static int copy_counters(struct bpf_map *from, struct bpf_map *to, int ncpus, uint64_t **snap)
{
	size_t vs = value_bytes(from, ncpus);
	uint32_t n = bpf_map__max_entries(from);

	*snap = calloc(n ? n : 1, vs);
	if (!*snap)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *v = (uint8_t *)*snap + (size_t)i * vs;
		if (bpf_map_lookup_elem(bpf_map__fd(from), &i, v) ||
		    bpf_map_update_elem(bpf_map__fd(to), &i, v, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* After the swap: add what the old program counted since the copy. */
static void add_counters(struct bpf_map *from, struct bpf_map *to, int ncpus, const uint64_t *snap)
{
	size_t vs = value_bytes(from, ncpus), words = vs / 8;
	uint32_t n = bpf_map__max_entries(from);
	uint64_t *now = calloc(2, vs);

	if (!now || bpf_map__value_size(from) != 8)
		goto free_now; /* only 64-bit counters are summed */
	for (uint32_t i = 0; i < n; i++) {
		uint64_t *nv = now + words;
		const uint64_t *s = snap + (size_t)i * words;
		if (bpf_map_lookup_elem(bpf_map__fd(from), &i, now) ||
		    bpf_map_lookup_elem(bpf_map__fd(to), &i, nv))
			continue;
		for (size_t w = 0; w < words; w++)
			nv[w] += now[w] - s[w];
		bpf_map_update_elem(bpf_map__fd(to), &i, nv, BPF_ANY);
	}
free_now:
	free(now);
}

int ls_dataplane_grow(struct ls_dataplane *dp, const struct ls_dataplane_caps *want)
{
	struct lockstep_bpf *old = dp->skel, *nw;
	struct ls_dataplane_caps cur, to;
	struct bpf_map *m;
	volatile struct ls_global *ng = NULL;
	volatile struct ls_ctl_slot *nctl = NULL;
	size_t nctl_len = 0;
	uint64_t *snap = NULL, t0 = clock_ns(CLOCK_MONOTONIC);
	uint64_t cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t_load = 0, t_copy = 0;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char inst[32] = "", path[512];
	int err;

	ls_dataplane_capacity(dp, &cur, NULL);
	to = cur;
	if (want->answers > to.answers)
		to.answers = want->answers;
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		if (want->bodies[k] > to.bodies[k])
			to.bodies[k] = want->bodies[k];
	if (want->zones > to.zones)
		to.zones = want->zones;

	/* loading the new instance can take seconds on a busy host: the old
	 * program must not hit the lease meanwhile */
	push_lease(dp->global, dp->lease_ns);
	nw = lockstep_bpf__open();
	if (!nw) {
		err = -errno;
		goto fail;
	}
	bpf_object__for_each_map(m, old->obj)
	{
		struct bpf_map *n = bpf_object__find_map_by_name(nw->obj, bpf_map__name(m));
		size_t sz;
		const void *v;

		if (!n)
			continue;
		if (!bpf_map__is_internal(m)) {
			bpf_map__set_max_entries(n, bpf_map__max_entries(m));
			continue;
		}
		/* load-time knobs (const volatile globals): as the old instance had them */
		v = bpf_map__initial_value(m, &sz);
		if (v && strstr(bpf_map__name(m), ".rodata")) {
			err = bpf_map__set_initial_value(n, v, sz);
			if (err)
				goto destroy_new;
		}
	}
	bpf_map__set_max_entries(nw->maps.ls_answers, (uint32_t)to.answers);
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		bpf_map__set_max_entries(skel_body_map(nw, k), (uint32_t)to.bodies[k]);
	bpf_map__set_max_entries(nw->maps.ls_zones, (uint32_t)to.zones);
	bpf_map__set_max_entries(nw->maps.ls_ctl, (uint32_t)to.zones);
	err = lockstep_bpf__load(nw); /* -ENOMEM, -E2BIG, -EPERM (memlock) end it here */
	if (err)
		goto destroy_new;
	t_load = clock_ns(CLOCK_MONOTONIC);
	push_lease(dp->global, dp->lease_ns); /* renewed again, and copied so */
	for (int k = 0; k < LS_BODY_CLASSES; k++) {
		err = fl_room(&dp->free[k]);
		if (err)
			goto destroy_new;
	}
	err = slots_resize(dp, (uint32_t)to.zones); /* more bits than slots is harmless */
	if (err)
		goto destroy_new;

	bpf_object__for_each_map(m, old->obj)
	{
		struct bpf_map *n = bpf_object__find_map_by_name(nw->obj, bpf_map__name(m));

		if (!n || m == old->maps.ls_stats || copy_skipped(m))
			continue;
		err = copy_map(m, n, dp->ncpus);
		if (err) {
			ls_log(LS_LOG_WARNING, "dataplane: growth: copying %s: %s",
			       bpf_map__name(m), strerror(-err));
			goto destroy_new;
		}
	}
	t_copy = clock_ns(CLOCK_MONOTONIC);
	ng = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(nw->maps.ls_global),
		  0);
	if (ng == MAP_FAILED) {
		ng = NULL;
		err = -errno;
		goto destroy_new;
	}
	err = map_ctl(nw, &nctl, &nctl_len);
	if (err)
		goto unmap_new;
	if (dp->pin_dir[0]) {
		err = pin_instance(dp, nw, inst, sizeof(inst));
		if (err)
			goto unmap_new;
	}
	err = copy_counters(old->maps.ls_stats, nw->maps.ls_stats, dp->ncpus, &snap);
	if (err)
		goto unpin_new;

	if (dp->ifindex) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao,
			    .old_prog_fd = bpf_program__fd(old->progs.ls_xdp));
		/* the one moment packets move from the old maps to the new */
		err = bpf_xdp_attach(dp->ifindex, bpf_program__fd(nw->progs.ls_xdp),
				     dp->attach_flags | XDP_FLAGS_REPLACE, &ao);
		if (err)
			goto unpin_new;
	}
	if (inst[0]) {
		err = switch_current(dp, inst);
		if (err) {
			/* pins must name what serves: swap the old program back */
			if (dp->ifindex) {
				LIBBPF_OPTS(bpf_xdp_attach_opts, back,
					    .old_prog_fd = bpf_program__fd(nw->progs.ls_xdp));
				bpf_xdp_attach(dp->ifindex, bpf_program__fd(old->progs.ls_xdp),
					       dp->attach_flags | XDP_FLAGS_REPLACE, &back);
			}
			goto unpin_new;
		}
		remove_entries(dp->pin_dir, "current", inst);
		snprintf(dp->inst, sizeof(dp->inst), "%s", inst);
	}
	add_counters(old->maps.ls_stats, nw->maps.ls_stats, dp->ncpus, snap);
	free(snap);

	for (int k = 0; k < LS_BODY_CLASSES; k++)
		if (to.bodies[k] > cur.bodies[k])
			fl_add(&dp->free[k], (uint32_t)cur.bodies[k],
			       (uint32_t)(to.bodies[k] - cur.bodies[k])); /* room made above */
	munmap((void *)dp->global, page);
	dp->global = ng;
	munmap((void *)dp->ctl, dp->ctl_len);
	dp->ctl = nctl;
	dp->ctl_len = nctl_len;
	lockstep_bpf__destroy(old); /* the old maps go with the last reference */
	dp->skel = nw;
	dp->growth.grows++;
	dp->growth.last_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	ls_log(LS_LOG_NOTICE,
	       "dataplane: maps grown to %zu answers, %zu/%zu/%zu/%zu body slots, %zu zones "
	       "in %.1f ms (program load %.1f ms, copy %.1f ms; %.1f ms CPU; %zu KiB of maps)",
	       to.answers, to.bodies[0], to.bodies[1], to.bodies[2], to.bodies[3], to.zones,
	       (double)dp->growth.last_ns / 1e6, (double)(t_load - t0) / 1e6,
	       (double)(t_copy - t_load) / 1e6,
	       (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0) / 1e6,
	       ls_dataplane_map_memory(dp) / 1024);
	return 0;

unpin_new:
	free(snap);
	if (inst[0]) {
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, inst);
		remove_entries(path, NULL, NULL);
		rmdir(path);
	}
unmap_new:
	if (nctl)
		munmap((void *)nctl, nctl_len);
	munmap((void *)ng, page);
destroy_new:
	lockstep_bpf__destroy(nw);
fail:
	dp->growth.failures++;
	ls_log(LS_LOG_WARNING,
	       "dataplane: cannot grow the maps to %zu answers, %zu/%zu/%zu/%zu body slots: %s; "
	       "what does not fit goes to the slow path",
	       to.answers, to.bodies[0], to.bodies[1], to.bodies[2], to.bodies[3], strerror(-err));
	return err;
}

/* Is there a free run of @len slots? */
static bool fl_fits(const struct free_list *fl, size_t len)
{
	for (size_t i = 0; i < fl->n; i++)
		if (fl->v[i].len >= len)
			return true;
	return len == 0;
}

int ls_dataplane_reserve(struct ls_dataplane *dp, const struct ls_compiled *c, size_t zones)
{
	struct ls_dataplane_caps cap, used, need, to;
	int r;

	ls_dataplane_capacity(dp, &cap, &used);
	need = cap;
	need.answers = used.answers + (c ? c->n : 0);
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		if (c && !fl_fits(&dp->free[k], c->per_class[k]))
			need.bodies[k] =
				cap.bodies[k] + c->per_class[k]; /* a new range at the end */
	need.zones = zones > used.zones ? zones : used.zones;
	r = ls_dataplane_grow_target(&cap, &need, &to);
	if (r == -E2BIG) {
		dp->growth.failures++;
		ls_log(LS_LOG_WARNING,
		       "dataplane: %zu answers or their bodies exceed what a map "
		       "can hold; what does not fit goes to the slow path",
		       need.answers);
	}
	if (r <= 0)
		return r;
	return ls_dataplane_grow(dp, &to);
}

/* ---- mirroring the zone set ------------------------------------------- */

int ls_dataplane_estimate(const struct ls_zoneset *zs, const uint8_t *const *origins, size_t n,
			  struct ls_dataplane_opts *opts)
{
	size_t entries = 0, bodies[LS_BODY_CLASSES] = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct ls_zone *z =
			ls_zoneset_served(zs, origins[i]) ? ls_zoneset_live(zs, origins[i]) : NULL;
		struct ls_compiled *c;
		if (!z)
			continue;
		if (ls_compile_zone(z, 0, &c) < 0)
			return -ENOMEM;
		entries += c->n;
		for (int k = 0; k < LS_BODY_CLASSES; k++)
			bodies[k] += c->per_class[k];
		ls_compiled_free(c);
	}
	/* live and next side by side, and room for zones still to come */
	opts->answers_max = 2 * entries + entries / 4 + 4096;
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		opts->bodies_max[k] = 2 * bodies[k] + bodies[k] / 4 + (k < 2 ? 1024 : 128);
	opts->zones_max = 2 * n + 1024;
	return 0;
}

/*
 * dp->zones is indexed by an open-addressing table of origin hashes
 * (dp->zidx: index + 1, 0 empty; at most half full), so a sync over n
 * zones costs O(n), not O(n²). Rebuilt after removals (which move entries).
 * Keyed by ls_name_hash(), the program's own hash (it folds case too).
 */
static void zidx_put(struct ls_dataplane *dp, size_t i)
{
	size_t mask = dp->zidx_cap - 1, j = ls_name_hash(dp->zones[i].origin) & mask;

	while (dp->zidx[j])
		j = (j + 1) & mask;
	dp->zidx[j] = (uint32_t)i + 1;
}

static int zidx_rebuild(struct ls_dataplane *dp, size_t want)
{
	size_t cap = 64;

	while (cap < 2 * want)
		cap *= 2;
	if (cap != dp->zidx_cap) {
		uint32_t *v = realloc(dp->zidx, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		dp->zidx = v;
		dp->zidx_cap = cap;
	}
	memset(dp->zidx, 0, dp->zidx_cap * sizeof(*dp->zidx));
	for (size_t i = 0; i < dp->nzones; i++)
		zidx_put(dp, i);
	return 0;
}

static struct dp_zone *dpz_find(struct ls_dataplane *dp, const uint8_t *origin, bool create)
{
	if (dp->zidx_cap) {
		size_t mask = dp->zidx_cap - 1, j = ls_name_hash(origin) & mask;
		for (; dp->zidx[j]; j = (j + 1) & mask)
			if (ls_dname_equal(dp->zones[dp->zidx[j] - 1].origin, origin))
				return &dp->zones[dp->zidx[j] - 1];
	}
	if (!create)
		return NULL;
	if (dp->nzones == dp->zones_cap) {
		size_t cap = dp->zones_cap ? dp->zones_cap * 2 : 16;
		struct dp_zone *v = realloc(dp->zones, cap * sizeof(*v));
		if (!v)
			return NULL;
		dp->zones = v;
		dp->zones_cap = cap;
	}
	if (2 * (dp->nzones + 1) > dp->zidx_cap && zidx_rebuild(dp, dp->nzones + 1) < 0)
		return NULL;
	struct dp_zone *z = &dp->zones[dp->nzones++];
	memset(z, 0, sizeof(*z));
	ls_dname_copy_lower(z->origin, origin);
	zidx_put(dp, dp->nzones - 1);
	return z;
}

/* The data plane's id for generation @g of a zone, compiling it if new. */
static int gen_for(struct ls_dataplane *dp, const struct dp_zone *old, const struct ls_zone *g,
		   uint32_t *gen)
{
	struct ls_compiled *c;
	size_t left;
	int err;

	*gen = 0;
	if (!g)
		return 0;
	for (int k = 0; k < 2; k++) {
		if (old->gz[k] == g && old->serial[k] == ls_zone_serial(g) && old->gen[k]) {
			*gen = old->gen[k];
			return 0;
		}
	}
	uint32_t id = ls_dataplane_new_gen(dp);
	push_lease(dp->global, dp->lease_ns); /* compiling a large zone is a long step too */
	err = ls_compile_zone(g, id, &c);
	if (err)
		return err;
	/* grow first if it would not fit; if growing fails (logged there), load what fits */
	ls_dataplane_reserve(dp, c, 0);
	err = ls_dataplane_load(dp, c, &left);
	if (!err) {
		*gen = id;
		dp->growth.left_out += left;
		if (left)
			ls_log(LS_LOG_WARNING,
			       "dataplane: serial %u: %zu of %zu entries did not fit; those names "
			       "go to the slow path",
			       ls_zone_serial(g), left, c->n);
	}
	ls_compiled_free(c);
	return err;
}

int ls_dataplane_sync(struct ls_dataplane *dp, const struct ls_zoneset *zs,
		      const uint8_t *const *origins, size_t n)
{
	int first = 0;

	for (size_t i = 0; i < dp->nzones; i++)
		dp->zones[i].seen = false;
	/* a control entry for every zone: grow the zone table first if needed */
	ls_dataplane_reserve(dp, NULL, n);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *origin = origins[i];
		struct ls_zone_ctl ctl;
		struct dp_zone *z;
		int err = 0;

		/* not served (a catalog): left out, so removed below — as the slow path skips it */
		if (!ls_zoneset_served(zs, origin) || ls_zoneset_ctl(zs, origin, &ctl) < 0)
			continue;
		z = dpz_find(dp, origin, true);
		if (!z)
			return -ENOMEM;
		z->seen = true;
		const struct ls_zone *g[2] = { ls_zoneset_live(zs, origin),
					       ls_zoneset_next(zs, origin) };
		uint32_t id[2] = { 0, 0 };
		for (int k = 0; k < 2; k++) {
			err = gen_for(dp, z, g[k], &id[k]);
			if (err) {
				/* id 0 names no entry: the program passes what that
				 * generation would answer (the slow path answers it
				 * from the zone set), while the control entry still
				 * gets the set's times, so drops agree too. Keeping
				 * the old entry would answer a replaced serial. */
				char name[LS_DNAME_STRLEN];
				ls_dname_to_str(name, sizeof(name), origin);
				ls_log(LS_LOG_ERR, "dataplane: %s: cannot load %s: %s", name,
				       k == 0 ? "live" : "next", strerror(-err));
				first = first ? first : err;
			}
		}
		for (int k = 0; k < 2; k++)
			if (g[k] && ls_zone_is_signed(g[k]))
				ctl.flags |= k == 0 ? LS_CTL_LIVE_SIGNED : LS_CTL_NEXT_SIGNED;
		ctl.live_gen = id[0];
		ctl.next_gen = id[1];
		/* unchanged: no write, so a sync on a timer costs lookups only */
		if (!z->have_written || memcmp(&z->written, &ctl, sizeof(ctl)) != 0) {
			err = ls_dataplane_set_zone(dp, origin, &ctl);
			if (err && err != -ENAMETOOLONG) {
				first = first ? first : err;
				continue;
			}
			z->written = ctl;
			z->have_written = true;
		}
		for (int k = 0; k < 2; k++) {
			z->gz[k] = g[k];
			z->serial[k] = g[k] ? ls_zone_serial(g[k]) : 0;
			z->gen[k] = id[k];
		}
		if (g[0] && !dp->casefold_checked) {
			/* a property of the engine, not of a zone: checked once */
			ls_dataplane_set_casefold(dp, ls_compile_casefold_ok(g[0], origin));
			dp->casefold_checked = true;
		}
	}
	size_t before = dp->nzones;
	for (size_t i = 0; i < dp->nzones;) {
		if (dp->zones[i].seen) {
			i++;
			continue;
		}
		ls_dataplane_remove_zone(dp, dp->zones[i].origin);
		dp->zones[i] = dp->zones[--dp->nzones];
	}
	if (dp->nzones != before && zidx_rebuild(dp, dp->nzones) < 0) {
		dp->zidx_cap = 0; /* no index: nothing is found, zones are re-made next sync */
		first = first ? first : -ENOMEM;
	}
	/* After the control entries stopped naming them: every generation in
	 * the maps that no zone names (replaced ones, and after a restart the
	 * previous agent's), all in one walk of the answer table. A program
	 * run that copied an old control entry just before finds nothing left
	 * and passes to the slow path. */
	uint32_t *used = malloc((2 * dp->nzones + 1) * sizeof(*used));
	uint32_t *unused = malloc((dp->ngens + 1) * sizeof(*unused));
	size_t nused = 0, nunused = 0;
	if (!used || !unused) {
		first = first ? first : -ENOMEM;
		goto free_sets;
	}
	for (size_t i = 0; i < dp->nzones; i++)
		for (int k = 0; k < 2; k++)
			if (dp->zones[i].gen[k])
				used[nused++] = dp->zones[i].gen[k];
	qsort(used, nused, sizeof(*used), cmp_u32);
	for (size_t i = 0; i < dp->ngens; i++)
		if (!gen_in(used, nused, dp->gens[i].gen))
			unused[nunused++] = dp->gens[i].gen;
	qsort(unused, nunused, sizeof(*unused), cmp_u32);
	if (nunused)
		unload_gens(dp, unused, nunused);
free_sets:
	free(used);
	free(unused);
	return first;
}

#endif /* LOCKSTEP_HAVE_BPF */

const char *ls_dataplane_stat_name(enum ls_stat s)
{
	static const char *const names[LS_STAT_MAX] = {
		[LS_STAT_ANSWERED] = "answered",
		[LS_STAT_TRUNCATED] = "truncated",
		[LS_STAT_PASS_OTHER] = "pass_other",
		[LS_STAT_PASS_TCP] = "pass_tcp",
		[LS_STAT_PASS_FRAGMENT] = "pass_fragment",
		[LS_STAT_PASS_IP_OPTIONS] = "pass_ip_options",
		[LS_STAT_PASS_MALFORMED] = "pass_malformed",
		[LS_STAT_PASS_HEADER] = "pass_header",
		[LS_STAT_PASS_EDNS] = "pass_edns",
		[LS_STAT_PASS_QNAME] = "pass_qname",
		[LS_STAT_PASS_QTYPE] = "pass_qtype",
		[LS_STAT_PASS_NO_ZONE] = "pass_no_zone",
		[LS_STAT_PASS_CTL_BUSY] = "pass_ctl_busy",
		[LS_STAT_PASS_NOT_IN_TABLE] = "pass_not_in_table",
		[LS_STAT_PASS_SIZE] = "pass_size",
		[LS_STAT_DROP_LEASE] = "drop_lease",
		[LS_STAT_DROP_WITHDRAWN] = "drop_withdrawn",
		[LS_STAT_DROP_NOT_READY] = "drop_not_ready",
		[LS_STAT_DROP_NO_LIVE] = "drop_no_live",
		[LS_STAT_ERROR] = "error",
	};
	return (unsigned)s < LS_STAT_MAX ? names[s] : "?";
}
