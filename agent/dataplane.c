/* SPDX-License-Identifier: MIT */
/*
 * dataplane.c — see dataplane.h; docs/dataplane.md explains the maps.
 *
 * Body slots: each size class is an array map; a generation's bodies of a
 * class take one contiguous range, found first-fit in a free list. A
 * restarted agent learns which ranges are taken by reading the answer
 * table (every reference names its class and slot), so it never overwrites
 * a body a live generation still uses.
 */
#include "agent/dataplane.h"

#include "agent/compile.h"
#include "agent/zoneset.h"
#include "common/dname.h"
#include "common/log.h"
#include "common/rdata.h"
#include "common/zone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#else /* LOCKSTEP_HAVE_BPF */

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockstep.skel.h"

_Static_assert(sizeof(struct ls_ans_key) == 8 + LS_XDP_NAME_MAX, "answer key layout");
_Static_assert(sizeof(struct ls_ans_val) == 12, "answer value layout");
_Static_assert(sizeof(struct ls_zone_val) == 8 + sizeof(struct ls_zone_ctl), "zone value layout");
_Static_assert(sizeof(struct ls_global) == 32, "global layout");
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
};

static struct bpf_map *body_map(struct ls_dataplane *dp, int cls)
{
	switch (cls) {
	case 0:
		return dp->skel->maps.ls_bodies0;
	case 1:
		return dp->skel->maps.ls_bodies1;
	case 2:
		return dp->skel->maps.ls_bodies2;
	default:
		return dp->skel->maps.ls_bodies3;
	}
}

static size_t body_value_size(int cls)
{
	static const size_t s[LS_BODY_CLASSES] = { sizeof(struct ls_body0), sizeof(struct ls_body1),
						   sizeof(struct ls_body2),
						   sizeof(struct ls_body3) };
	return s[cls];
}

/* ---- slot ranges -------------------------------------------------------- */

static int fl_add(struct free_list *fl, uint32_t start, uint32_t len)
{
	if (!len)
		return 0;
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 16;
		struct range *v = realloc(fl->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fl->v = v;
		fl->cap = cap;
	}
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

/* ---- open / close ----------------------------------------------------- */

static struct bpf_map *const *pinned_maps(struct ls_dataplane *dp, size_t *n)
{
	static struct bpf_map *maps[9];

	maps[0] = dp->skel->maps.ls_answers;
	maps[1] = dp->skel->maps.ls_bodies0;
	maps[2] = dp->skel->maps.ls_bodies1;
	maps[3] = dp->skel->maps.ls_bodies2;
	maps[4] = dp->skel->maps.ls_bodies3;
	maps[5] = dp->skel->maps.ls_zones;
	maps[6] = dp->skel->maps.ls_addrs;
	maps[7] = dp->skel->maps.ls_global;
	maps[8] = dp->skel->maps.ls_stats;
	*n = 9;
	return maps;
}

static int pin_path(const struct ls_dataplane *dp, const struct bpf_map *m, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dp->pin_dir, bpf_map__name(m));
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Reuse every pinned map, or none (a partial set is stale and removed). */
static int adopt_pins(struct ls_dataplane *dp)
{
	size_t n;
	struct bpf_map *const *maps = pinned_maps(dp, &n);
	char path[512];
	size_t found = 0;

	for (size_t i = 0; i < n; i++) {
		if (pin_path(dp, maps[i], path, sizeof(path)) == 0 && access(path, F_OK) == 0)
			found++;
	}
	if (found != n) {
		for (size_t i = 0; i < n; i++)
			if (pin_path(dp, maps[i], path, sizeof(path)) == 0)
				unlink(path);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		pin_path(dp, maps[i], path, sizeof(path));
		int fd = bpf_obj_get(path);
		if (fd < 0)
			return -errno;
		int err = bpf_map__reuse_fd(maps[i], fd);
		close(fd);
		if (err)
			return err;
	}
	dp->readopted = true;
	return 0;
}

static int pin_all(struct ls_dataplane *dp)
{
	size_t n;
	struct bpf_map *const *maps = pinned_maps(dp, &n);
	char path[512];

	if (mkdir(dp->pin_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		int err = pin_path(dp, maps[i], path, sizeof(path));
		if (err)
			return err;
		if (access(path, F_OK) == 0)
			continue; /* re-adopted: already there */
		err = bpf_map__pin(maps[i], path);
		if (err)
			return err;
	}
	return 0;
}

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
	if (dp->pin_dir[0]) {
		err = adopt_pins(dp);
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
	for (int c = 0; c < LS_BODY_CLASSES; c++) {
		err = fl_add(&dp->free[c], 0, bpf_map__max_entries(body_map(dp, c)));
		if (err)
			goto destroy_skel;
	}
	if (dp->readopted) {
		err = relearn_slots(dp);
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
	lockstep_bpf__destroy(dp->skel); /* closes fds; the attachment and pins stay */
	for (int c = 0; c < LS_BODY_CLASSES; c++)
		free(dp->free[c].v);
	free(dp->gens);
	free(dp->zones);
	free(dp);
}

void ls_dataplane_shutdown(struct ls_dataplane *dp)
{
	if (!dp)
		return;
	if (dp->ifindex)
		bpf_xdp_detach(dp->ifindex, dp->attach_flags, NULL);
	if (dp->pin_dir[0]) {
		size_t n;
		struct bpf_map *const *maps = pinned_maps(dp, &n);
		char path[512];
		for (size_t i = 0; i < n; i++)
			if (pin_path(dp, maps[i], path, sizeof(path)) == 0)
				unlink(path);
		rmdir(dp->pin_dir);
	}
	ls_dataplane_free(dp);
}

/* ---- contents ----------------------------------------------------------- */

int ls_dataplane_add_addr(struct ls_dataplane *dp, const struct sockaddr_storage *ss)
{
	struct ls_addr_key k;
	__u32 one = 1;

	memset(&k, 0, sizeof(k));
	if (ss->ss_family == AF_INET) {
		k.family = 4;
		memcpy(k.addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		k.family = 6;
		memcpy(k.addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else {
		return -EAFNOSUPPORT;
	}
	return bpf_map_update_elem(bpf_map__fd(dp->skel->maps.ls_addrs), &k, &one, BPF_ANY) ?
		       -errno :
		       0;
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

int ls_dataplane_unload(struct ls_dataplane *dp, uint32_t gen)
{
	int fd = bpf_map__fd(dp->skel->maps.ls_answers);
	struct ls_ans_key *del = NULL, key, next;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	/* collect first: deleting while walking would restart the walk */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (next.gen != gen)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			struct ls_ans_key *d = realloc(del, cap * sizeof(*d));
			if (!d) {
				err = -ENOMEM;
				goto free_del;
			}
			del = d;
		}
		del[n++] = next;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &del[i]);
	struct gen_slots *g = gen_find(dp, gen, false);
	if (g) {
		for (int c = 0; c < LS_BODY_CLASSES; c++)
			fl_add(&dp->free[c], g->r[c].start, g->r[c].len);
		*g = dp->gens[--dp->ngens];
	}
free_del:
	free(del);
	return err;
}

static void zone_key(const uint8_t *origin, struct ls_zone_key *k)
{
	memset(k, 0, sizeof(*k));
	if (ls_dname_len(origin) <= LS_XDP_NAME_MAX)
		ls_dname_copy_lower(k->name, origin);
}

/* The label mask: which origin lengths exist, so the program probes only those. */
static void update_mask(struct ls_dataplane *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.ls_zones);
	struct ls_zone_key key, next;
	void *prev = NULL;
	uint64_t mask = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		int l = ls_dname_labels(next.name);
		mask |= l < 64 ? 1ULL << l : 0;
	}
	dp->global->label_mask = mask;
}

int ls_dataplane_set_zone(struct ls_dataplane *dp, const uint8_t *origin,
			  const struct ls_zone_ctl *ctl)
{
	struct ls_zone_key k;
	struct ls_zone_val v;
	int fd = bpf_map__fd(dp->skel->maps.ls_zones);

	if (ls_dname_len(origin) > LS_XDP_NAME_MAX)
		return -ENAMETOOLONG; /* the program never finds it: the slow path answers */
	zone_key(origin, &k);
	memset(&v, 0, sizeof(v));
	v.labels = (__u32)ls_dname_labels(origin);
	v.ctl = *ctl;
	/* BPF_F_LOCK: copied under the entry's spin lock, as the program reads it */
	if (bpf_map_update_elem(fd, &k, &v, BPF_F_LOCK))
		return -errno;
	update_mask(dp);
	return 0;
}

int ls_dataplane_get_zone(struct ls_dataplane *dp, const uint8_t *origin, struct ls_zone_ctl *ctl)
{
	struct ls_zone_key k;
	struct ls_zone_val v;

	zone_key(origin, &k);
	if (bpf_map_lookup_elem_flags(bpf_map__fd(dp->skel->maps.ls_zones), &k, &v, BPF_F_LOCK))
		return -errno;
	*ctl = v.ctl;
	return 0;
}

int ls_dataplane_remove_zone(struct ls_dataplane *dp, const uint8_t *origin)
{
	struct ls_zone_key k;

	zone_key(origin, &k);
	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.ls_zones), &k))
		return -errno;
	update_mask(dp);
	return 0;
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
	size_t n, total = 0;
	struct bpf_map *const *maps = pinned_maps(dp, &n);

	for (size_t i = 0; i < n; i++)
		total += fd_memlock(bpf_map__fd(maps[i]));
	return total;
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

static struct dp_zone *dpz_find(struct ls_dataplane *dp, const uint8_t *origin, bool create)
{
	for (size_t i = 0; i < dp->nzones; i++)
		if (ls_dname_equal(dp->zones[i].origin, origin))
			return &dp->zones[i];
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
	struct dp_zone *z = &dp->zones[dp->nzones++];
	memset(z, 0, sizeof(*z));
	ls_dname_copy_lower(z->origin, origin);
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
	err = ls_compile_zone(g, id, &c);
	if (err)
		return err;
	err = ls_dataplane_load(dp, c, &left);
	if (!err) {
		*gen = id;
		if (left)
			ls_log(LS_LOG_WARNING,
			       "dataplane: serial %u: %zu of %zu entries did not fit; those names "
			       "go to the slow path",
			       ls_zone_serial(g), left, c->n);
	}
	ls_compiled_free(c);
	return err;
}

static bool gen_used(const struct ls_dataplane *dp, uint32_t gen)
{
	for (size_t i = 0; i < dp->nzones; i++)
		if (dp->zones[i].gen[0] == gen || dp->zones[i].gen[1] == gen)
			return true;
	return false;
}

int ls_dataplane_sync(struct ls_dataplane *dp, const struct ls_zoneset *zs,
		      const uint8_t *const *origins, size_t n)
{
	int first = 0;

	for (size_t i = 0; i < dp->nzones; i++)
		dp->zones[i].seen = false;
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
		for (int k = 0; k < 2 && !err; k++)
			err = gen_for(dp, z, g[k], &id[k]);
		if (err) {
			/* the control entry keeps what it named: nothing half-loaded is visible */
			char name[LS_DNAME_STRLEN];
			ls_dname_to_str(name, sizeof(name), origin);
			ls_log(LS_LOG_ERR, "dataplane: %s: cannot load: %s", name, strerror(-err));
			first = first ? first : err;
			continue;
		}
		for (int k = 0; k < 2; k++)
			if (g[k] && ls_zone_node_rrset(g[k], ls_zone_apex(g[k]), LS_TYPE_DNSKEY))
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
	for (size_t i = 0; i < dp->nzones;) {
		if (dp->zones[i].seen) {
			i++;
			continue;
		}
		ls_dataplane_remove_zone(dp, dp->zones[i].origin);
		dp->zones[i] = dp->zones[--dp->nzones];
	}
	/* After the control entries stopped naming them: every generation in
	 * the maps that no zone names (replaced ones, and after a restart the
	 * previous agent's). A program run that copied an old control entry
	 * just before finds nothing left and passes to the slow path. */
	for (size_t i = 0; i < dp->ngens;) {
		uint32_t gen = dp->gens[i].gen;
		if (gen_used(dp, gen)) {
			i++;
			continue;
		}
		if (ls_dataplane_unload(dp, gen) < 0) /* removes dp->gens[i] */
			break;
	}
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
