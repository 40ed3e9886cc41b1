/* SPDX-License-Identifier: MIT */
/*
 * clockguard.h — whether this node's clock may decide a switch (DESIGN.md
 * invariant 4, "the clock must earn trust").
 *
 * Owns: asking chronyd for its tracking report over chronyd's command
 * socket (common/chrony.h) once a second, or an NTP server (common/ntp.h)
 * when chronyd does not answer and clock.ntp-server is set; reading the
 * kernel's view (adjtimex(): STA_UNSYNC, maxerror, esterror, the TAI
 * offset); the error bound
 *     bound = |offset| + root delay / 2 + root dispersion + clock.margin
 * and the verdict trusted = synchronised && fresh && bound <= budget,
 * reported on every change (one log line, and the on_change callback the
 * daemon points at ls_zonemgr_clock()); the last reading for health/status.
 * A reading older than LS_CLOCKGUARD_STALE_NS, or none, is unsynchronised.
 * Must not: set or slew the clock (it only reads), block the loop (every
 * socket is non-blocking and answered by ev_io), or decide what a zone
 * serves (the zone manager does, from the verdict).
 */
#ifndef LOCKSTEP_AGENT_CLOCKGUARD_H
#define LOCKSTEP_AGENT_CLOCKGUARD_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

#define LS_CLOCKGUARD_POLL_NS 1000000000ull /* one query per second */
#define LS_CLOCKGUARD_STALE_NS 3000000000ull /* no fresh answer for 3 s: unsynchronised */

enum ls_clock_source {
	LS_CLOCK_SOURCE_NONE = 0,
	LS_CLOCK_SOURCE_CHRONY,
	LS_CLOCK_SOURCE_NTP,
};

/* One answer from a source, reduced to what the verdict needs. */
struct ls_clock_reading {
	enum ls_clock_source source;
	bool synchronised; /* the source says so: leap != 3, stratum 1..15 */
	double offset; /* seconds; chrony: current correction, NTP: theta */
	double root_delay; /* seconds; NTP: the server's plus the round trip */
	double root_dispersion; /* seconds */
	int leap; /* 0..3 */
	int stratum;
	uint32_t ref_id;
	uint64_t at_ns; /* CLOCK_MONOTONIC when the answer arrived */
};

/* The kernel's view, from adjtimex() (modes 0: read only). */
struct ls_clock_kernel {
	bool valid; /* adjtimex() answered */
	bool unsync; /* STA_UNSYNC */
	long maxerror_us;
	long esterror_us;
	int tai_offset; /* CLOCK_TAI - CLOCK_REALTIME, seconds; 0 without a leap table */
};

/* The guard's current verdict and the reading behind it. */
struct ls_clock_status {
	bool trusted;
	bool synchronised; /* a fresh reading says synchronised */
	bool have_reading; /* a fresh reading exists */
	enum ls_clock_source source; /* of that reading */
	double offset; /* seconds */
	double root_delay, root_dispersion; /* seconds */
	uint64_t bound_ns; /* UINT64_MAX when there is no fresh reading */
	uint64_t budget_ns, margin_ns;
	int leap, stratum;
	uint32_t ref_id;
	uint64_t age_ns; /* of the reading; UINT64_MAX when none ever came */
	struct ls_clock_kernel kernel;
	bool kernel_enforced; /* clock.kernel-check: enforce */
	uint64_t changes; /* verdict changes reported so far */
	char reason[160]; /* why the clock is (not) trusted, for logs and status */
};

struct ls_clockguard_opts {
	const char *chrony_socket; /* NULL: no chronyd */
	const char *socket_dir; /* the client socket's private directory is made here */
	const struct ls_config_addr *ntp_server; /* NULL: no fallback */
	uint64_t budget_ns;
	uint64_t margin_ns;
	bool kernel_enforce; /* STA_UNSYNC makes the clock untrusted */
	/* Called on every change of the verdict, the first included. */
	void (*on_change)(void *ctx, bool trusted, uint64_t budget_ns);
	void *ctx;
};

struct ls_clockguard;

/** Fill @o from the configuration (callback fields left zero). */
void ls_clockguard_opts_from_config(const struct ls_config *cfg, struct ls_clockguard_opts *o);

/**
 * Create the guard on @loop. Nothing is sent until ls_clockguard_start().
 * The chrony client's socket is bound in a new private directory under
 * @o->socket_dir (created when missing); failing that, chronyd is not
 * asked and a warning says why. Returns 0 or a negative errno.
 */
int ls_clockguard_new(struct ev_loop *loop, const struct ls_clockguard_opts *o,
		      struct ls_clockguard **out);

/** Start polling: a query at once, then every LS_CLOCKGUARD_POLL_NS. */
void ls_clockguard_start(struct ls_clockguard *g);

/** New budget, margin and kernel check (SIGHUP); re-evaluates at once. */
void ls_clockguard_set_limits(struct ls_clockguard *g, uint64_t budget_ns, uint64_t margin_ns,
			      bool kernel_enforce);

/** The current verdict and the reading behind it. */
void ls_clockguard_status(const struct ls_clockguard *g, struct ls_clock_status *out);

/** Stop, close the sockets, remove the private directory. NULL is fine. */
void ls_clockguard_free(struct ls_clockguard *g);

/**
 * The error bound in nanoseconds: |@offset| + @root_delay / 2 +
 * @root_dispersion (seconds) + @margin_ns, rounded up; UINT64_MAX when it
 * does not fit or an input is not a finite number.
 */
uint64_t ls_clock_bound_ns(double offset, double root_delay, double root_dispersion,
			   uint64_t margin_ns);

/*
 * For tests (a fake clock) and for the socket callbacks: take a reading or
 * a kernel view as if it had just arrived, and decide at monotonic time
 * @now_ns. The verdict is reported when it changed.
 */
void ls_clockguard_feed(struct ls_clockguard *g, const struct ls_clock_reading *r);
void ls_clockguard_feed_kernel(struct ls_clockguard *g, const struct ls_clock_kernel *k);
void ls_clockguard_evaluate(struct ls_clockguard *g, uint64_t now_ns);

/** Read the kernel's view now. Returns 0 or a negative errno. */
int ls_clock_kernel_read(struct ls_clock_kernel *k);

const char *ls_clock_source_name(enum ls_clock_source s);

#endif
