/* SPDX-License-Identifier: MIT */
/*
 * bench_resize.c — what a growth of the XDP maps costs (tests/bench/resize.sh).
 *
 * Owns: timing ls_dataplane_grow() for one zone file in two situations:
 *   empty  the maps opened at their default sizes, the zone's generation
 *          then made room for (ls_dataplane_reserve(): one growth, little
 *          to copy), as when a node transfers its zones after opening;
 *   full   the maps sized exactly for one generation of the zone and holding
 *          it, then doubled (everything copied), as when a second large zone
 *          or a much larger serial arrives.
 * Prints wall and CPU time of each growth and the map memory before and
 * after. Needs root and BPF (exits 77 without). Must not: assert timings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/compile.h"
#include "agent/dataplane.h"
#include "common/zone.h"
#include "common/zonefile.h"

static double ms_since(clockid_t id, const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(id, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Time @what on the wall and on this thread's CPU. */
struct stopwatch {
	struct timespec wall, cpu;
};

static void sw_start(struct stopwatch *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->wall);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &s->cpu);
}

static void sw_print(const struct stopwatch *s, const char *what, struct ls_dataplane *dp,
		     size_t mem_before)
{
	double wall = ms_since(CLOCK_MONOTONIC, &s->wall);
	double cpu = ms_since(CLOCK_THREAD_CPUTIME_ID, &s->cpu);

	printf("%s wall_ms %.1f cpu_ms %.1f map_kib_before %zu map_kib_after %zu\n", what, wall,
	       cpu, mem_before / 1024, ls_dataplane_map_memory(dp) / 1024);
}

static int load(struct ls_dataplane *dp, struct ls_compiled *c)
{
	size_t left = 0;

	c->gen = ls_dataplane_new_gen(dp);
	for (size_t i = 0; i < c->n; i++)
		c->keys[i].gen = c->gen;
	if (ls_dataplane_load(dp, c, &left) < 0 || left) {
		fprintf(stderr, "bench_resize: %zu of %zu entries left out\n", left, c->n);
		return -ENOSPC;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *pin = argc > 2 ? argv[2] : "";
	struct ls_dataplane_opts o = { .mode = LS_CONFIG_XDP_NATIVE, .pin_dir = pin };
	struct ls_dataplane *dp = NULL;
	struct ls_dataplane_caps cap;
	struct ls_compiled *c = NULL;
	struct ls_zone *z = NULL;
	struct stopwatch sw;
	size_t mem;
	int rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_resize ZONEFILE [PIN-DIR]\n");
		return 2;
	}
	if (ls_zonefile_load(argv[1], NULL, NULL, &z, NULL) < 0 || ls_compile_zone(z, 1, &c) < 0)
		goto free_zone;
	printf("zone %s nodes %zu entries %zu bodies %zu\n", argv[1], ls_zone_node_count(z), c->n,
	       c->nbodies);

	/* empty: default sizes, then room made for the zone */
	if (ls_dataplane_open(&o, &dp) < 0) {
		rc = 77;
		goto free_zone;
	}
	mem = ls_dataplane_map_memory(dp);
	sw_start(&sw);
	if (ls_dataplane_reserve(dp, c, 1) < 0)
		goto shutdown;
	sw_print(&sw, "empty", dp, mem);
	if (load(dp, c) < 0)
		goto shutdown;
	ls_dataplane_shutdown(dp);
	dp = NULL;

	/* full: exactly one generation, then doubled */
	o.answers_max = c->n;
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		o.bodies_max[k] = c->per_class[k] ? c->per_class[k] : 1;
	if (ls_dataplane_open(&o, &dp) < 0 || load(dp, c) < 0)
		goto shutdown;
	ls_dataplane_capacity(dp, &cap, NULL);
	cap.answers *= 2;
	for (int k = 0; k < LS_BODY_CLASSES; k++)
		cap.bodies[k] *= 2;
	mem = ls_dataplane_map_memory(dp);
	sw_start(&sw);
	if (ls_dataplane_grow(dp, &cap) < 0)
		goto shutdown;
	sw_print(&sw, "full", dp, mem);
	rc = 0;
shutdown:
	ls_dataplane_shutdown(dp);
free_zone:
	ls_compiled_free(c);
	ls_zone_free(z);
	return rc;
}
