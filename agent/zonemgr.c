/* SPDX-License-Identifier: MIT */
/*
 * zonemgr.c — see zonemgr.h; docs/operations.md explains the behaviour.
 *
 * Division of labour:
 *   - one worker thread takes jobs in FIFO order: read a stored version,
 *     load a zone file, verify (common/verify, which itself spreads the
 *     signature checks over every CPU) and write the verified version to
 *     the store (write + fsync: blocking, so never on the loop). FIFO keeps
 *     a zone's live file adopted before its staged ones after a restart.
 *   - the loop gets each finished job through an ev_async and decides:
 *     live now, staged as next for T, held for a plan, or dropped. The
 *     zone table (agent/zoneset.h) is the truth for what is live and next;
 *     this module keeps only what the table cannot: plans, policies,
 *     verdicts and what it last reported.
 *   - withdraw_at is a function of (hand/expiry withdrawal, clock trust,
 *     plan) and is recomputed by program() after every change, so no
 *     transition can forget to clear it.
 *   - states and serve/withdraw events are derived by refresh() from the
 *     zone table's own time rule (ls_ctl_decide) at "now", so what is
 *     reported is what a query would get.
 * Zones are kept in an array searched linearly: fine for the hundreds of
 * zones a mesh serves; a catalog with tens of thousands of members would
 * want a hash here.
 */
#include "agent/zonemgr.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>

#include "agent/store.h"
#include "agent/zoneset.h"
#include "common/config.h"
#include "common/log.h"
#include "common/serial.h"
#include "common/verify.h"
#include "common/zonefile.h"

#define TICK_INTERVAL 1.0
#define NS_PER_S 1000000000ull

enum job_kind {
	JOB_ZONE, /* a built zone offered by intake (or a loaded spool file) */
	JOB_FILE, /* a configured zone file */
	JOB_STORE_LIVE, /* the live version kept in the state directory */
	JOB_STORE_STAGED, /* a staged version kept in the state directory */
	JOB_SPOOL, /* a spool file: load only, the loop then offers it */
};

struct job {
	struct job *next; /* worker queue / done list (under the lock) */
	struct job *lnext; /* the loop's list of pending jobs (loop only) */
	enum job_kind kind;
	uint8_t origin[LS_DNAME_MAXLEN];
	uint64_t zone_id;
	struct ls_zone *zone; /* input for JOB_ZONE; output for the others */
	char *path;
	char source[128];
	struct ls_verify_opts opts;
	uint64_t plan_at; /* T the version was verified for; 0: verified for now */
	bool has_floor; /* a file not newer than this is skipped unverified */
	uint32_t floor;
	bool write_store;
	struct ls_store *store;
	atomic_bool cancelled;
	ls_zonemgr_file_done_fn done;
	void *done_ctx;
	char *done_path;
	/* results */
	int err;
	uint32_t serial; /* known at submission (loop side) */
	bool has_serial;
	uint32_t out_serial; /* learnt by the worker; copied at finish */
	bool out_has_serial;
	bool stored;
	int store_err;
	double verify_ms, store_ms;
	char verdict[512];
};

struct mzone {
	uint8_t origin[LS_DNAME_MAXLEN];
	char name[LS_DNAME_STRLEN];
	uint64_t id;
	bool from_config;
	char *file;
	struct stat file_st;
	bool file_known;
	enum ls_config_policy zonemd, dnssec;
	enum ls_config_activation activation;
	struct ls_zplan plan;
	uint32_t plan_nsec;
	enum ls_zreason manual; /* NONE, or why it was withdrawn by hand/expiry */
	bool has_adopt; /* a stored live version was found at start: its serial is the floor */
	uint32_t adopt_serial;
	uint64_t withdraw_at;
	/* what was last reported */
	enum ls_zstate state;
	enum ls_zreason reason;
	bool answering;
	uint32_t answering_serial;
	char why[160]; /* the cause of the next serve event */
	/* for ls_zinfo */
	char last_verdict[512];
	uint64_t last_verdict_unix;
	char last_source[128];
	uint64_t last_transfer_unix;
	uint64_t offers, verify_failures, switches, withdrawals;
};

struct ls_zonemgr {
	struct ev_loop *loop;
	struct ls_zoneset *zones;
	struct ls_zonemgr_events ev;
	struct ls_store *store; /* NULL: no state directory, nothing kept */
	const struct ls_config *cfg; /* the last one given: which zones are catalogs */
	uint64_t dnssec_margin_s;
	struct mzone **z;
	size_t nz, capz;
	uint64_t next_zone_id;
	bool clock_trusted;
	uint64_t budget_ns;
	uint64_t fake_now;
	struct job *pending; /* submitted, result not yet processed (loop only) */
	size_t npending;
	ev_timer tick;
	ev_async wake;
	pthread_t worker;
	bool worker_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *queue, **queue_tail; /* under lock */
	struct job *done; /* under lock */
	bool quit; /* under lock */
};

/* ---- names ------------------------------------------------------------------ */

const char *ls_zstate_name(enum ls_zstate s)
{
	switch (s) {
	case LS_ZSTATE_EMPTY:
		return "empty";
	case LS_ZSTATE_SERVING:
		return "serving";
	case LS_ZSTATE_PLANNED:
		return "planned";
	case LS_ZSTATE_STAGED:
		return "staged";
	case LS_ZSTATE_WITHDRAWN:
		return "withdrawn";
	}
	return "unknown";
}

const char *ls_zreason_name(enum ls_zreason r)
{
	switch (r) {
	case LS_ZREASON_NONE:
		return "none";
	case LS_ZREASON_MISSED_PLAN:
		return "missed-plan";
	case LS_ZREASON_CLOCK:
		return "clock";
	case LS_ZREASON_EXPIRED:
		return "expired";
	case LS_ZREASON_REMOVED:
		return "removed";
	case LS_ZREASON_OPERATOR:
		return "operator";
	case LS_ZREASON_LEASE:
		return "lease";
	}
	return "unknown";
}

/* ---- time --------------------------------------------------------------------- */

uint64_t ls_zonemgr_utc_to_tai_with(uint64_t at_unix, uint32_t at_nsec, int64_t tai, int leap_state,
				    uint64_t now_unix)
{
	/* the kernel applies an announced leap at the first UTC midnight it reaches */
	uint64_t midnight = (now_unix / 86400 + 1) * 86400;
	int64_t secs;

	if (at_unix >= midnight) {
		/* from that midnight on, CLOCK_TAI - CLOCK_REALTIME is one more (or less) */
		if (leap_state == TIME_INS)
			tai++;
		else if (leap_state == TIME_DEL)
			tai--;
	}
	if (at_unix > (uint64_t)INT64_MAX / NS_PER_S - 2 * 86400 || tai > 86400 || tai < -86400)
		return LS_TIME_NEVER - 1; /* year 2262 or an absurd offset: never, in practice */
	secs = (int64_t)at_unix + tai;
	if (secs < 0)
		return at_nsec; /* before the epoch on CLOCK_TAI: long passed */
	return (uint64_t)secs * NS_PER_S + at_nsec;
}

uint64_t ls_zonemgr_utc_to_tai(uint64_t at_unix, uint32_t at_nsec)
{
	struct timex tx = { 0 };
	int state;

	/*
	 * modes = 0 only reads. tai is 0 unless a leap-second table was
	 * loaded; the return value is the leap state (TIME_INS / TIME_DEL while
	 * a leap second is announced for the coming midnight, TIME_OOP during
	 * it, when tai has already moved). tx.time is the UTC the offset and
	 * the state belong to, read in the same call.
	 */
	state = adjtimex(&tx);
	if (state < 0)
		return ls_zonemgr_utc_to_tai_with(at_unix, at_nsec, 0, TIME_OK, 0);
	return ls_zonemgr_utc_to_tai_with(at_unix, at_nsec, tx.tai, state,
					  (uint64_t)tx.time.tv_sec);
}

static uint64_t now_tai(const struct ls_zonemgr *m)
{
	return m->fake_now ? m->fake_now : ls_zoneset_clock();
}

void ls_zonemgr_set_now(struct ls_zonemgr *m, uint64_t tai_ns)
{
	m->fake_now = tai_ns;
	if (tai_ns)
		ls_zoneset_set_now(m->zones, tai_ns);
}

/* ---- the worker ----------------------------------------------------------------- */

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void format_verdict(struct job *j, const struct ls_verify_result *res)
{
	const struct ls_zone_problems *f = res->findings;

	for (size_t i = 0; f && i < f->count; i++) {
		if (f->v[i].severity == LS_ZONE_ERROR) {
			ls_verify_format(j->verdict, sizeof(j->verdict), res, &f->v[i]);
			return;
		}
	}
	snprintf(j->verdict, sizeof(j->verdict), "%s", strerror(-j->err));
}

/* A zone file that did not load: its first error, else the errno; "@prefix: " before it. */
static void format_load_error(struct job *j, const char *prefix,
			      const struct ls_zone_problems *problems, int err)
{
	char line[400];

	snprintf(line, sizeof(line), "%s", strerror(-err));
	for (size_t i = 0; problems && i < problems->count; i++) {
		if (problems->v[i].severity == LS_ZONE_ERROR) {
			ls_zone_problem_format(line, sizeof(line), &problems->v[i]);
			break;
		}
	}
	if (prefix)
		snprintf(j->verdict, sizeof(j->verdict), "%s: %s", prefix, line);
	else
		snprintf(j->verdict, sizeof(j->verdict), "%s", line);
}

static void run_job(struct job *j)
{
	struct ls_verify_result res = { 0 };
	struct ls_zone_problems *problems = NULL;
	struct timespec t0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	switch (j->kind) {
	case JOB_SPOOL: {
		struct ls_zonefile_opts zo = { .no_include = true };

		err = ls_zonefile_load(j->path, NULL, &zo, &j->zone, &problems);
		if (err) {
			format_load_error(j, NULL, problems, err);
		} else {
			memcpy(j->origin, ls_zone_origin(j->zone),
			       ls_dname_len(ls_zone_origin(j->zone)));
			j->out_serial = ls_zone_serial(j->zone);
			j->out_has_serial = true;
		}
		ls_zone_problems_free(problems);
		j->err = err;
		return;
	}
	case JOB_STORE_LIVE:
	case JOB_STORE_STAGED: {
		struct ls_store_meta meta;

		err = ls_store_read(j->path, &j->zone, &meta);
		if (err == 0 && !ls_dname_equal(meta.origin, j->origin)) {
			ls_zone_free(j->zone);
			j->zone = NULL;
			err = -EBADMSG;
		}
		if (err) {
			snprintf(j->verdict, sizeof(j->verdict), "stored file %s: %s", j->path,
				 err == -EBADMSG ? "torn or corrupted (length, checksum or "
						   "structure check failed)" :
						   strerror(-err));
			if (err == -EBADMSG && j->store)
				ls_store_quarantine(j->store, j->path);
			j->err = err;
			return;
		}
		break;
	}
	case JOB_FILE:
		err = ls_zonefile_load(j->path, j->origin, NULL, &j->zone, &problems);
		if (err) {
			format_load_error(j, j->path, problems, err);
			ls_zone_problems_free(problems);
			j->err = err;
			return;
		}
		ls_zone_problems_free(problems);
		break;
	case JOB_ZONE:
		break;
	}
	/* the loop reads serial/has_serial of pending jobs: the worker writes out_* only */
	j->out_serial = ls_zone_serial(j->zone);
	j->out_has_serial = true;
	if (j->has_floor && !ls_serial_newer(j->out_serial, j->floor)) {
		/* a file that did not change across a restart: not worth a verification */
		j->err = -EALREADY;
		snprintf(j->verdict, sizeof(j->verdict),
			 "serial %" PRIu32 " not newer than %" PRIu32, j->out_serial, j->floor);
		return;
	}
	if (atomic_load(&j->cancelled)) {
		j->err = -ECANCELED;
		snprintf(j->verdict, sizeof(j->verdict), "superseded by a newer serial");
		return;
	}
	err = ls_verify_zone(j->zone, &j->opts, &res);
	j->verify_ms = ms_since(&t0);
	j->err = err;
	if (err) {
		format_verdict(j, &res);
		ls_verify_result_free(&res);
		return;
	}
	ls_verify_result_free(&res);
	snprintf(j->verdict, sizeof(j->verdict), "ok");
	if (j->write_store && j->store && !atomic_load(&j->cancelled)) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		j->store_err = ls_store_write(j->store, j->zone, LS_STORE_STAGED, "ok");
		j->stored = j->store_err == 0;
		j->store_ms = ms_since(&t0);
	}
}

static void *worker_main(void *arg)
{
	struct ls_zonemgr *m = arg;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		struct job *j;

		while (!m->queue && !m->quit)
			pthread_cond_wait(&m->cond, &m->lock);
		if (m->quit)
			break;
		j = m->queue;
		m->queue = j->next;
		if (!m->queue)
			m->queue_tail = &m->queue;
		pthread_mutex_unlock(&m->lock);
		run_job(j);
		pthread_mutex_lock(&m->lock);
		j->next = m->done;
		m->done = j;
		ev_async_send(m->loop, &m->wake);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	ls_zone_free(j->zone);
	free(j->path);
	free(j->done_path);
	free(j);
}

static void submit(struct ls_zonemgr *m, struct job *j)
{
	j->store = m->store;
	j->lnext = m->pending;
	m->pending = j;
	m->npending++;
	pthread_mutex_lock(&m->lock);
	j->next = NULL;
	*m->queue_tail = j;
	m->queue_tail = &j->next;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static void unlink_pending(struct ls_zonemgr *m, struct job *j)
{
	for (struct job **p = &m->pending; *p; p = &(*p)->lnext) {
		if (*p == j) {
			*p = j->lnext;
			m->npending--;
			return;
		}
	}
}

size_t ls_zonemgr_pending(const struct ls_zonemgr *m)
{
	return m->npending;
}

/* ---- zones ---------------------------------------------------------------------- */

static struct mzone *find(const struct ls_zonemgr *m, const uint8_t *origin)
{
	for (size_t i = 0; i < m->nz; i++) {
		if (ls_dname_equal(m->z[i]->origin, origin))
			return m->z[i];
	}
	return NULL;
}

/*
 * A catalog zone is held like any zone (verified, stored, served to peers
 * by AXFR) but never answered on the service addresses: its names are
 * not part of the DNS the mesh publishes (RFC 9432 §1), and its switch
 * plans are the mesh's business. The zone table hides it from both paths.
 */
static void apply_served(struct ls_zonemgr *m, const struct mzone *z)
{
	bool catalog = false;

	for (size_t i = 0; m->cfg && i < m->cfg->catalog_count && !catalog; i++)
		catalog = ls_dname_equal(m->cfg->catalogs[i].name, z->origin);
	ls_zoneset_set_served(m->zones, z->origin, !catalog);
}

static bool live_serial(const struct ls_zonemgr *m, const struct mzone *z, uint32_t *serial)
{
	const struct ls_zone *live = ls_zoneset_live(m->zones, z->origin);

	if (live)
		*serial = ls_zone_serial(live);
	return live != NULL;
}

static void base_opts(const struct ls_zonemgr *m, const struct mzone *z, struct ls_verify_opts *o)
{
	uint32_t live = 0;

	ls_verify_opts_init(o);
	o->zonemd = (enum ls_verify_policy)z->zonemd;
	o->dnssec = (enum ls_verify_policy)z->dnssec;
	o->has_live_serial = live_serial(m, z, &live);
	o->live_serial = live;
	if (!o->has_live_serial && z->has_adopt) {
		/* the stored live version is not (yet, or no longer) served: still no rollback */
		o->has_live_serial = true;
		o->live_serial = z->adopt_serial;
	}
}

/* Verify a version of @z for the plan's T when it is the planned serial. */
static void opts_for(const struct ls_zonemgr *m, const struct mzone *z, uint32_t serial, bool known,
		     struct job *j)
{
	base_opts(m, z, &j->opts);
	if (known && z->plan.active && serial == z->plan.serial) {
		/* signatures must be valid at T and for the margin after it */
		j->opts.at = z->plan.at_unix;
		j->opts.margin = (uint32_t)m->dnssec_margin_s;
		j->plan_at = z->plan.at_tai_ns;
	}
}

static struct job *job_new(const struct mzone *z, enum job_kind kind, const char *source)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kind = kind;
	if (z) {
		memcpy(j->origin, z->origin, ls_dname_len(z->origin));
		j->zone_id = z->id;
	}
	snprintf(j->source, sizeof(j->source), "%s", source);
	atomic_init(&j->cancelled, false);
	return j;
}

/* withdraw_at as the facts demand it (see the file comment). */
static void program(struct ls_zonemgr *m, struct mzone *z)
{
	uint64_t w = LS_TIME_NEVER;

	if (z->manual != LS_ZREASON_NONE)
		w = 0;
	else if (!m->clock_trusted && z->plan.active)
		w = z->plan.at_tai_ns > m->budget_ns ? z->plan.at_tai_ns - m->budget_ns : 0;
	z->withdraw_at = w;
	ls_zoneset_withdraw(m->zones, z->origin, w);
}

static void set_why(struct mzone *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(struct mzone *z, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(z->why, sizeof(z->why), fmt, ap);
	va_end(ap);
}

/* Derive state and report serve/withdraw transitions at @now. */
static void refresh(struct ls_zonemgr *m, struct mzone *z, uint64_t now)
{
	struct ls_zone_ctl ctl;
	enum ls_ctl_verdict v;
	enum ls_zstate st;
	enum ls_zreason reason = LS_ZREASON_NONE;
	const struct ls_zone *gen = NULL;
	bool answering;

	if (ls_zoneset_ctl(m->zones, z->origin, &ctl) != 0)
		return;
	v = ls_ctl_decide(&ctl, now, LS_TIME_NEVER);
	if (v == LS_CTL_LIVE)
		gen = ls_zoneset_live(m->zones, z->origin);
	else if (v == LS_CTL_NEXT)
		gen = ls_zoneset_next(m->zones, z->origin);
	answering = gen != NULL;
	if (z->manual != LS_ZREASON_NONE) {
		st = LS_ZSTATE_WITHDRAWN;
		reason = z->manual;
	} else if (!answering) {
		if (z->plan.active && (now >= z->plan.at_tai_ns || now >= ctl.withdraw_at)) {
			st = LS_ZSTATE_WITHDRAWN;
			reason = now >= ctl.withdraw_at && !m->clock_trusted ?
					 LS_ZREASON_CLOCK :
					 LS_ZREASON_MISSED_PLAN;
		} else if (z->plan.active) {
			st = (ctl.flags & LS_CTL_NEXT_READY) ? LS_ZSTATE_STAGED : LS_ZSTATE_PLANNED;
		} else if (ls_zoneset_live_held(m->zones, z->origin)) {
			st = LS_ZSTATE_WITHDRAWN; /* a missed plan, dropped: see hold_if_missed() */
			reason = LS_ZREASON_MISSED_PLAN;
		} else {
			st = LS_ZSTATE_EMPTY;
		}
	} else if (z->plan.active && now < z->plan.at_tai_ns) {
		st = (ctl.flags & LS_CTL_NEXT_READY) ? LS_ZSTATE_STAGED : LS_ZSTATE_PLANNED;
	} else {
		st = LS_ZSTATE_SERVING;
	}
	if (st != z->state || reason != z->reason)
		pr_info("zone %s: %s%s%s", z->name, ls_zstate_name(st), reason ? ", reason " : "",
			reason ? ls_zreason_name(reason) : "");
	z->state = st;
	z->reason = reason;
	if (answering && (!z->answering || ls_zone_serial(gen) != z->answering_serial)) {
		uint32_t s = ls_zone_serial(gen);

		pr_notice("zone %s: serving serial %" PRIu32 " (%s)", z->name, s,
			  z->why[0] ? z->why : "verified");
		if (m->ev.on_serve)
			m->ev.on_serve(m->ev.ctx, z->origin, s, z->why[0] ? z->why : "verified");
		z->answering = true;
		z->answering_serial = s;
		z->why[0] = '\0';
	} else if (!answering && z->answering) {
		char why[200];

		snprintf(why, sizeof(why), "%s",
			 reason == LS_ZREASON_MISSED_PLAN ?
				 "T passed without a verified planned serial" :
			 reason == LS_ZREASON_CLOCK ? "clock not trusted before T" :
			 reason == LS_ZREASON_NONE  ? "no version" :
						      ls_zreason_name(reason));
		pr_warn("zone %s: withdrawn, reason %s (%s; last served serial %" PRIu32 ")",
			z->name, ls_zreason_name(reason), why, z->answering_serial);
		z->withdrawals++;
		if (m->ev.on_withdraw)
			m->ev.on_withdraw(m->ev.ctx, z->origin, reason, why);
		z->answering = false;
	}
}

static void plan_clear(struct ls_zonemgr *m, struct mzone *z)
{
	z->plan = (struct ls_zplan){ 0 };
	if (m->store)
		ls_store_plan_remove(m->store, z->origin);
}

/* Make a verified version live now (immediate activation, re-adoption, late plan). */
static void go_live(struct ls_zonemgr *m, struct mzone *z, struct ls_zone *zone, bool stored_live)
{
	uint32_t serial = ls_zone_serial(zone);

	if (ls_zoneset_set_live(m->zones, zone) != 0) {
		pr_err("zone %s: serial %" PRIu32 " could not be installed (out of memory)",
		       z->name, serial);
		return;
	}
	z->manual = LS_ZREASON_NONE; /* a newer verified version ends a withdrawal */
	if (m->store && !stored_live) {
		int err = ls_store_make_live(m->store, z->origin, serial);

		if (err)
			pr_warn("zone %s: serial %" PRIu32 " served but not recorded as live in "
				"the store: %s",
				z->name, serial, strerror(-err));
	}
}

static void submit_stored(struct ls_zonemgr *m, struct mzone *z, enum ls_store_kind kind,
			  uint32_t serial, const char *path)
{
	char src[128];
	struct job *j;

	snprintf(src, sizeof(src), "store %s", path);
	j = job_new(z, kind == LS_STORE_LIVE ? JOB_STORE_LIVE : JOB_STORE_STAGED, src);
	if (!j)
		return;
	j->path = strdup(path);
	if (!j->path) {
		job_free(j);
		return;
	}
	opts_for(m, z, serial, true, j);
	if (kind == LS_STORE_LIVE) {
		/* it was live: it is re-adopted whatever the serial of what is live now */
		j->opts.has_live_serial = false;
		j->plan_at = 0;
		j->opts.at = 0;
		j->opts.margin = 0;
	}
	j->serial = serial;
	j->has_serial = true;
	submit(m, j);
}

static bool pending_serial(const struct ls_zonemgr *m, const struct mzone *z, uint32_t serial)
{
	for (const struct job *j = m->pending; j; j = j->lnext) {
		if (j->zone_id == z->id && j->has_serial && j->serial == serial &&
		    j->kind != JOB_SPOOL && !atomic_load(&j->cancelled))
			return true;
	}
	return false;
}

/* Look for the staged file of the planned serial and verify it for T. */
static void fetch_planned(struct ls_zonemgr *m, struct mzone *z)
{
	struct ls_store_entry v[32];
	int n;

	if (!m->store || pending_serial(m, z, z->plan.serial))
		return;
	n = ls_store_scan(m->store, z->origin, v, 32);
	for (int i = 0; i < n && i < 32; i++) {
		if (v[i].kind == LS_STORE_STAGED && v[i].serial == z->plan.serial) {
			submit_stored(m, z, LS_STORE_STAGED, v[i].serial, v[i].path);
			return;
		}
	}
}

static int set_plan(struct ls_zonemgr *m, struct mzone *z, uint32_t serial, uint64_t at_unix,
		    uint32_t at_nsec, bool persist)
{
	z->plan = (struct ls_zplan){ .active = true,
				     .serial = serial,
				     .at_unix = at_unix,
				     .at_tai_ns = ls_zonemgr_utc_to_tai(at_unix, at_nsec) };
	z->plan_nsec = at_nsec;
	if (persist && m->store) {
		struct ls_store_plan p = { .serial = serial,
					   .at_unix = at_unix,
					   .at_nsec = at_nsec };
		int err = ls_store_plan_write(m->store, z->origin, &p);

		if (err)
			pr_warn("zone %s: plan not stored (%s): a restart before T forgets it",
				z->name, strerror(-err));
	}
	/* "withdraw at T" first: only a verified S replaces it (invariant 3) */
	ls_zoneset_stage_next(m->zones, z->origin, NULL, z->plan.at_tai_ns);
	program(m, z);
	fetch_planned(m, z);
	return 0;
}

/* Re-adopt what the state directory holds for @z. */
static void adopt(struct ls_zonemgr *m, struct mzone *z)
{
	struct ls_store_entry v[64];
	struct ls_store_plan p;
	bool have_live = false;
	int n, err;

	n = ls_store_scan(m->store, z->origin, v, 64);
	if (n < 0) {
		pr_warn("zone %s: cannot list the store: %s", z->name, strerror(-n));
		return;
	}
	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++) {
		if (v[i].kind != LS_STORE_LIVE)
			continue;
		if (!have_live || ls_serial_newer(v[i].serial, z->adopt_serial)) {
			z->adopt_serial = v[i].serial;
			have_live = true;
		}
	}
	if (have_live) {
		for (int i = 0; i < n; i++) {
			if (v[i].kind == LS_STORE_LIVE && v[i].serial == z->adopt_serial) {
				z->has_adopt = true;
				pr_info("zone %s: re-adopting live serial %" PRIu32 " from %s",
					z->name, v[i].serial, v[i].path);
				submit_stored(m, z, LS_STORE_LIVE, v[i].serial, v[i].path);
			}
		}
	}
	err = ls_store_plan_read(m->store, z->origin, &p);
	if (err == 0) {
		if (have_live && !ls_serial_newer(p.serial, z->adopt_serial)) {
			ls_store_plan_remove(m->store, z->origin);
		} else {
			pr_info("zone %s: re-adopting plan serial %" PRIu32 " at %" PRIu64, z->name,
				p.serial, p.at_unix);
			set_plan(m, z, p.serial, p.at_unix, p.at_nsec, false);
		}
	} else if (err == -EBADMSG) {
		pr_err("zone %s: stored plan unreadable, moved aside", z->name);
	}
	for (int i = 0; i < n; i++) {
		if (v[i].kind != LS_STORE_STAGED)
			continue;
		if (have_live && !ls_serial_newer(v[i].serial, z->adopt_serial)) {
			unlink(v[i].path); /* older than live: never served again */
			continue;
		}
		if (!pending_serial(m, z, v[i].serial))
			submit_stored(m, z, LS_STORE_STAGED, v[i].serial, v[i].path);
	}
}

static void offer_file(struct ls_zonemgr *m, struct mzone *z)
{
	char src[128];
	struct stat st;
	struct job *j;
	uint32_t live = 0;

	if (!z->file)
		return;
	if (stat(z->file, &st) != 0) {
		pr_err("zone %s: cannot read %s: %s", z->name, z->file, strerror(errno));
		return;
	}
	if (z->file_known && st.st_ino == z->file_st.st_ino && st.st_dev == z->file_st.st_dev &&
	    st.st_size == z->file_st.st_size && st.st_mtim.tv_sec == z->file_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == z->file_st.st_mtim.tv_nsec)
		return;
	z->file_st = st;
	z->file_known = true;
	snprintf(src, sizeof(src), "file %s", z->file);
	j = job_new(z, JOB_FILE, src);
	if (!j)
		return;
	j->path = strdup(z->file);
	if (!j->path) {
		job_free(j);
		return;
	}
	base_opts(m, z, &j->opts);
	if (live_serial(m, z, &live)) {
		j->has_floor = true;
		j->floor = live;
	} else if (z->has_adopt) {
		j->has_floor = true;
		j->floor = z->adopt_serial;
	}
	j->write_store = true;
	z->offers++;
	submit(m, j);
}

static void zone_policies(struct mzone *z, const struct ls_config_zone *cz)
{
	z->zonemd = cz ? cz->zonemd : LS_CONFIG_POLICY_OPTIONAL;
	z->dnssec = cz ? cz->dnssec : LS_CONFIG_POLICY_OPTIONAL;
	z->activation = cz ? cz->activation : LS_CONFIG_ACTIVATION_IMMEDIATE;
}

static int zone_add(struct ls_zonemgr *m, const uint8_t *origin, const struct ls_config_zone *cz,
		    bool from_config, struct mzone **out)
{
	struct mzone *z;
	int err;

	if (m->nz == m->capz) {
		size_t cap = m->capz ? m->capz * 2 : 16;
		struct mzone **v = realloc(m->z, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->z = v;
		m->capz = cap;
	}
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	ls_dname_copy_lower(z->origin, origin);
	ls_dname_to_str(z->name, sizeof(z->name), z->origin);
	z->id = ++m->next_zone_id;
	z->from_config = from_config;
	z->withdraw_at = LS_TIME_NEVER;
	zone_policies(z, cz);
	if (from_config && cz->file) {
		z->file = strdup(cz->file);
		if (!z->file) {
			free(z);
			return -ENOMEM;
		}
	}
	err = ls_zoneset_add(m->zones, z->origin);
	if (err) {
		free(z->file);
		free(z);
		return err;
	}
	m->z[m->nz++] = z;
	apply_served(m, z);
	if (m->store)
		adopt(m, z);
	offer_file(m, z);
	*out = z;
	return 0;
}

static void zone_free(struct mzone *z)
{
	if (!z)
		return;
	free(z->file);
	free(z);
}

static void cancel_jobs(struct ls_zonemgr *m, const struct mzone *z)
{
	for (struct job *j = m->pending; j; j = j->lnext) {
		if (j->zone_id == z->id)
			atomic_store(&j->cancelled, true);
	}
}

static void zone_remove_at(struct ls_zonemgr *m, size_t i)
{
	struct mzone *z = m->z[i];

	cancel_jobs(m, z);
	if (z->answering) {
		pr_warn("zone %s: withdrawn, reason removed", z->name);
		z->withdrawals++;
		if (m->ev.on_withdraw)
			m->ev.on_withdraw(m->ev.ctx, z->origin, LS_ZREASON_REMOVED,
					  "removed from the configuration or the catalog");
	}
	if (m->store)
		ls_store_plan_remove(m->store, z->origin);
	ls_zoneset_remove(m->zones, z->origin);
	m->z[i] = m->z[--m->nz];
	zone_free(z);
}

/* ---- results ---------------------------------------------------------------------- */

static void log_result(const struct mzone *z, const struct job *j)
{
	if (j->err == 0)
		pr_info("zone %s: serial %" PRIu32 " from %s verified (%.1f ms)%s", z->name,
			j->serial, j->source, j->verify_ms,
			j->write_store ? (j->stored ? ", stored" : ", NOT stored") : "");
	else if (j->err == -EALREADY)
		pr_info("zone %s: %s: %s; nothing to do", z->name, j->source, j->verdict);
	else if (j->has_serial)
		pr_err("zone %s: serial %" PRIu32 " from %s refused: %s", z->name, j->serial,
		       j->source, j->verdict);
	else
		pr_err("zone %s: version from %s refused: %s", z->name, j->source, j->verdict);
	if (j->write_store && j->store_err)
		pr_err("zone %s: serial %" PRIu32 " could not be stored: %s; not served", z->name,
		       j->serial, strerror(-j->store_err));
}

/* A newer serial of the same zone is still on its way: this one is stale already. */
static bool superseded(const struct ls_zonemgr *m, const struct mzone *z, const struct job *self,
		       uint32_t *by)
{
	for (const struct job *j = m->pending; j; j = j->lnext) {
		if (j != self && j->zone_id == z->id && j->has_serial &&
		    !atomic_load(&j->cancelled) && ls_serial_newer(j->serial, self->serial) &&
		    j->kind != JOB_STORE_LIVE) {
			*by = j->serial;
			return true;
		}
	}
	return false;
}

static void requeue_for_plan(struct ls_zonemgr *m, struct mzone *z, struct job *old)
{
	char src[128];
	struct job *j;

	snprintf(src, sizeof(src), "%s", old->source);
	j = job_new(z, JOB_ZONE, src);
	if (!j)
		return;
	j->zone = old->zone;
	old->zone = NULL;
	j->serial = old->serial;
	j->has_serial = true;
	opts_for(m, z, j->serial, true, j);
	j->opts.has_live_serial = false; /* checked already; the loop checks again */
	pr_info("zone %s: serial %" PRIu32 " re-verified for the plan's T", z->name, j->serial);
	submit(m, j);
}

/* Returns true when the version is held (live, staged or waiting). */
static bool accept_version(struct ls_zonemgr *m, struct mzone *z, struct job *j)
{
	uint64_t now = now_tai(m);
	uint32_t live = 0, by = 0;
	bool has_live = live_serial(m, z, &live);
	struct ls_zone *zone = j->zone;

	if (j->kind == JOB_STORE_LIVE) {
		if (has_live && !ls_serial_newer(j->serial, live))
			return false;
		j->zone = NULL;
		set_why(z, "re-adopted from the store");
		go_live(m, z, zone, true);
		if (z->plan.active && !ls_serial_newer(z->plan.serial, j->serial)) {
			pr_info("zone %s: plan for serial %" PRIu32 " dropped: live is %" PRIu32,
				z->name, z->plan.serial, j->serial);
			plan_clear(m, z);
			ls_zoneset_stage_next(m->zones, z->origin, NULL, LS_TIME_NEVER);
		}
		return true;
	}
	if (!has_live && z->has_adopt) {
		has_live = true; /* the floor of a stored live version (see finish_job) */
		live = z->adopt_serial;
	}
	if (has_live && !ls_serial_newer(j->serial, live)) {
		snprintf(j->verdict, sizeof(j->verdict),
			 "serial %" PRIu32 " not newer than the live %" PRIu32 " (no rollback)",
			 j->serial, live);
		pr_warn("zone %s: serial %" PRIu32 " from %s refused: %s", z->name, j->serial,
			j->source, j->verdict);
		if (j->stored)
			ls_store_remove(m->store, z->origin, j->serial, LS_STORE_STAGED);
		return false;
	}
	if (z->plan.active && j->serial == z->plan.serial) {
		if (j->plan_at != z->plan.at_tai_ns) {
			requeue_for_plan(m, z, j);
			return true;
		}
		j->zone = NULL;
		z->manual = LS_ZREASON_NONE;
		if (now >= z->plan.at_tai_ns && m->clock_trusted) {
			set_why(z, "plan serial %" PRIu32 ", T already passed", j->serial);
			ls_zoneset_stage_next(m->zones, z->origin, NULL, LS_TIME_NEVER);
			go_live(m, z, zone, false);
			z->switches++;
			plan_clear(m, z);
		} else {
			set_why(z, "plan serial %" PRIu32 " at T", j->serial);
			if (ls_zoneset_stage_next(m->zones, z->origin, zone, z->plan.at_tai_ns) ==
			    0)
				ls_zoneset_next_ready(m->zones, z->origin);
			pr_notice("zone %s: serial %" PRIu32 " staged for T=%" PRIu64
				  " (UTC %" PRIu64 ")",
				  z->name, j->serial, z->plan.at_tai_ns, z->plan.at_unix);
		}
		return true;
	}
	if (j->kind != JOB_STORE_LIVE && superseded(m, z, j, &by)) {
		snprintf(j->verdict, sizeof(j->verdict), "superseded by serial %" PRIu32, by);
		pr_info("zone %s: serial %" PRIu32 " dropped: %s", z->name, j->serial, j->verdict);
		if (j->stored)
			ls_store_remove(m->store, z->origin, j->serial, LS_STORE_STAGED);
		return false;
	}
	if (z->plan.active) {
		pr_info("zone %s: serial %" PRIu32 " held: the plan names serial %" PRIu32, z->name,
			j->serial, z->plan.serial);
		return true;
	}
	if (z->activation == LS_CONFIG_ACTIVATION_IMMEDIATE) {
		j->zone = NULL;
		set_why(z, "activation immediate, from %s", j->source);
		go_live(m, z, zone, false);
		return true;
	}
	pr_info("zone %s: serial %" PRIu32 " held: activation plans-only waits for a plan", z->name,
		j->serial);
	return true;
}

static void finish_spool_load(struct ls_zonemgr *m, struct job *j)
{
	struct mzone *z = j->err ? NULL : find(m, j->origin);
	struct job *o;
	char name[LS_DNAME_STRLEN];
	uint32_t live = 0;

	if (j->err || !z) {
		if (!j->err) {
			ls_dname_to_str(name, sizeof(name), j->origin);
			snprintf(j->verdict, sizeof(j->verdict),
				 "zone %.400s is not served by this node", name);
		}
		pr_err("spool: %s refused: %s", j->path, j->verdict);
		if (j->done)
			j->done(j->done_ctx, j->done_path, false, j->verdict);
		return;
	}
	if ((live_serial(m, z, &live) && live == j->serial) || pending_serial(m, z, j->serial)) {
		snprintf(j->verdict, sizeof(j->verdict), "serial %" PRIu32 " already held",
			 j->serial);
		pr_warn("spool: %s refused: zone %s %s", j->path, z->name, j->verdict);
		if (j->done)
			j->done(j->done_ctx, j->done_path, false, j->verdict);
		return;
	}
	o = job_new(z, JOB_ZONE, j->source);
	if (!o) {
		if (j->done)
			j->done(j->done_ctx, j->done_path, false, "out of memory");
		return;
	}
	o->zone = j->zone;
	j->zone = NULL;
	o->serial = j->serial;
	o->has_serial = true;
	opts_for(m, z, o->serial, true, o);
	o->write_store = true;
	o->done = j->done;
	o->done_ctx = j->done_ctx;
	o->done_path = j->done_path;
	j->done_path = NULL;
	z->offers++;
	z->last_transfer_unix = (uint64_t)time(NULL);
	snprintf(z->last_source, sizeof(z->last_source), "%s", o->source);
	submit(m, o);
}

static void finish_job(struct ls_zonemgr *m, struct job *j)
{
	struct mzone *z;
	bool held = false;

	unlink_pending(m, j);
	if (j->out_has_serial) {
		j->serial = j->out_serial;
		j->has_serial = true;
	}
	if (j->kind == JOB_SPOOL) {
		if (!atomic_load(&j->cancelled))
			finish_spool_load(m, j);
		goto free_job;
	}
	z = find(m, j->origin);
	if (!z || z->id != j->zone_id || j->err == -ECANCELED) {
		if (j->stored && m->store)
			ls_store_remove(m->store, j->origin, j->serial, LS_STORE_STAGED);
		if (j->done)
			j->done(j->done_ctx, j->done_path, false, "cancelled");
		goto free_job;
	}
	/*
	 * A stored live version that fails its checks keeps its serial as the
	 * floor (has_adopt stays): this node served it, so nothing older may
	 * go live in its place (no rollback); the zone waits for a newer one.
	 */
	log_result(z, j);
	if (j->err == 0 && (!j->write_store || !m->store || j->stored))
		held = accept_version(m, z, j);
	else if (j->err == 0)
		snprintf(j->verdict, sizeof(j->verdict), "could not be stored: %s",
			 strerror(-j->store_err));
	if (j->err && j->err != -EALREADY)
		z->verify_failures++;
	if (j->err != -EALREADY) {
		snprintf(z->last_verdict, sizeof(z->last_verdict), "%s", j->verdict);
		z->last_verdict_unix = (uint64_t)time(NULL);
	}
	program(m, z);
	refresh(m, z, now_tai(m));
	if (j->done)
		j->done(j->done_ctx, j->done_path, held, j->verdict);
free_job:
	job_free(j);
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct ls_zonemgr *m = w->data;
	struct job *done, *rev = NULL;

	pthread_mutex_lock(&m->lock);
	done = m->done;
	m->done = NULL;
	pthread_mutex_unlock(&m->lock);
	/* the done list is last-in first; results are handled in submission order */
	while (done) {
		struct job *n = done->next;

		done->next = rev;
		rev = done;
		done = n;
	}
	while (rev) {
		struct job *n = rev->next;

		finish_job(m, rev);
		rev = n;
	}
}

/* ---- housekeeping ------------------------------------------------------------------- */

void ls_zonemgr_tick(struct ls_zonemgr *m)
{
	uint64_t now = now_tai(m);

	ls_zoneset_promote(m->zones, now);
	for (size_t i = 0; i < m->nz; i++) {
		struct mzone *z = m->z[i];
		uint32_t live = 0;

		if (z->plan.active && now >= z->plan.at_tai_ns && m->clock_trusted &&
		    live_serial(m, z, &live) && live == z->plan.serial) {
			/* the time rule switched at T; this only records it */
			if (m->store)
				ls_store_make_live(m->store, z->origin, live);
			z->switches++;
			if (!z->why[0])
				set_why(z, "plan serial %" PRIu32 " at T", live);
			plan_clear(m, z);
			program(m, z);
		}
		refresh(m, z, now);
	}
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	ls_zonemgr_tick(w->data);
}

/* ---- public API ------------------------------------------------------------------- */

static int sync_config(struct ls_zonemgr *m, const struct ls_config *cfg)
{
	int failed = 0;

	m->cfg = cfg;
	m->dnssec_margin_s = cfg->clock.dnssec_margin_ns / NS_PER_S;
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct ls_config_zone *cz = &cfg->zones[i];
		struct mzone *z = find(m, cz->name);

		if (!z) {
			if (zone_add(m, cz->name, cz, true, &z) != 0) {
				pr_err("zone %s: out of memory", cz->domain);
				failed++;
			}
			continue;
		}
		z->from_config = true;
		zone_policies(z, cz);
		if (!(z->file && cz->file && strcmp(z->file, cz->file) == 0)) {
			free(z->file);
			z->file = cz->file ? strdup(cz->file) : NULL;
			z->file_known = false;
		}
		offer_file(m, z);
	}
	for (size_t i = 0; i < m->nz;) {
		if (m->z[i]->from_config && !ls_config_zone_find(cfg, m->z[i]->origin)) {
			pr_notice("zone %s: no longer configured, not served", m->z[i]->name);
			zone_remove_at(m, i);
			continue;
		}
		apply_served(m,
			     m->z[i]); /* a name may have become a catalog, or stopped being one */
		i++;
	}
	return failed ? -ENOMEM : 0;
}

int ls_zonemgr_new(struct ev_loop *loop, const struct ls_config *cfg, struct ls_zoneset *zones,
		   const struct ls_zonemgr_events *ev, struct ls_zonemgr **out)
{
	struct ls_zonemgr *m;
	int err;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->zones = zones;
	if (ev)
		m->ev = *ev;
	m->clock_trusted = true;
	m->queue_tail = &m->queue;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	ev_async_init(&m->wake, on_wake);
	m->wake.data = m;
	ev_async_start(loop, &m->wake);
	ev_timer_init(&m->tick, on_tick, TICK_INTERVAL, TICK_INTERVAL);
	m->tick.data = m;
	ev_timer_start(loop, &m->tick);
	err = pthread_create(&m->worker, NULL, worker_main, m);
	if (err) {
		err = -err;
		goto free_mgr;
	}
	m->worker_started = true;
	if (cfg->node.state_dir) {
		err = ls_store_open(cfg->node.state_dir, &m->store);
		if (err)
			pr_warn("state directory %s unusable (%s): verified versions are not kept "
				"across restarts",
				cfg->node.state_dir, strerror(-err));
	}
	err = sync_config(m, cfg);
	if (err)
		goto free_mgr;
	*out = m;
	return 0;

free_mgr:
	ls_zonemgr_free(m);
	return err;
}

void ls_zonemgr_free(struct ls_zonemgr *m)
{
	struct job *j;

	if (!m)
		return;
	if (m->worker_started) {
		pthread_mutex_lock(&m->lock);
		m->quit = true;
		for (j = m->pending; j; j = j->lnext)
			atomic_store(&j->cancelled, true);
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->worker, NULL);
	}
	ev_timer_stop(m->loop, &m->tick);
	ev_async_stop(m->loop, &m->wake);
	/* every job is on the pending list, whether queued, done or never started */
	while ((j = m->pending)) {
		m->pending = j->lnext;
		job_free(j);
	}
	for (size_t i = 0; i < m->nz; i++)
		zone_free(m->z[i]);
	free(m->z);
	ls_store_free(m->store);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int ls_zonemgr_reconfigure(struct ls_zonemgr *m, const struct ls_config *cfg)
{
	return sync_config(m, cfg);
}

int ls_zonemgr_add_zone(struct ls_zonemgr *m, const uint8_t *origin, const uint8_t *settings_from)
{
	struct mzone *z, *from = settings_from ? find(m, settings_from) : NULL;
	struct ls_config_zone cz;

	if (find(m, origin))
		return -EEXIST;
	if (settings_from && !from)
		return -ENOENT;
	memset(&cz, 0, sizeof(cz));
	cz.zonemd = from ? from->zonemd : LS_CONFIG_POLICY_OPTIONAL;
	cz.dnssec = from ? from->dnssec : LS_CONFIG_POLICY_OPTIONAL;
	cz.activation = from ? from->activation : LS_CONFIG_ACTIVATION_IMMEDIATE;
	return zone_add(m, origin, &cz, false, &z);
}

int ls_zonemgr_remove_zone(struct ls_zonemgr *m, const uint8_t *origin)
{
	for (size_t i = 0; i < m->nz; i++) {
		if (ls_dname_equal(m->z[i]->origin, origin)) {
			zone_remove_at(m, i);
			return 0;
		}
	}
	return -ENOENT;
}

int ls_zonemgr_offer(struct ls_zonemgr *m, const uint8_t *origin, struct ls_zone *zone,
		     const char *source)
{
	struct mzone *z = find(m, origin);
	const struct ls_zone *next;
	uint32_t serial, live;
	struct job *j;
	int err;

	if (!z) {
		err = -ENOENT;
		goto free_zone;
	}
	if (!ls_dname_equal(ls_zone_origin(zone), z->origin)) {
		err = -EINVAL;
		goto free_zone;
	}
	serial = ls_zone_serial(zone);
	next = ls_zoneset_next(m->zones, z->origin);
	if ((live_serial(m, z, &live) && live == serial) ||
	    (next && ls_zone_serial(next) == serial) || pending_serial(m, z, serial)) {
		err = -EALREADY;
		goto free_zone;
	}
	j = job_new(z, JOB_ZONE, source ? source : "offer");
	if (!j) {
		err = -ENOMEM;
		goto free_zone;
	}
	j->zone = zone;
	j->serial = serial;
	j->has_serial = true;
	opts_for(m, z, serial, true, j);
	j->write_store = true;
	/* older versions still queued will not be served: skip their verification */
	for (struct job *o = m->pending; o; o = o->lnext) {
		if (o->zone_id == z->id && o->has_serial && o->kind != JOB_STORE_LIVE &&
		    ls_serial_newer(serial, o->serial) &&
		    !(z->plan.active && o->serial == z->plan.serial))
			atomic_store(&o->cancelled, true);
	}
	z->offers++;
	z->last_transfer_unix = (uint64_t)time(NULL);
	snprintf(z->last_source, sizeof(z->last_source), "%s", j->source);
	submit(m, j);
	return 0;

free_zone:
	ls_zone_free(zone);
	return err;
}

int ls_zonemgr_offer_spool(struct ls_zonemgr *m, const char *path, const char *source,
			   ls_zonemgr_file_done_fn done, void *ctx)
{
	struct job *j = job_new(NULL, JOB_SPOOL, source);

	if (!j)
		return -ENOMEM;
	j->path = strdup(path);
	j->done_path = strdup(path);
	if (!j->path || !j->done_path) {
		job_free(j);
		return -ENOMEM;
	}
	j->done = done;
	j->done_ctx = ctx;
	submit(m, j);
	return 0;
}

void ls_zonemgr_forget(struct ls_zonemgr *m, void *ctx)
{
	for (struct job *j = m->pending; j; j = j->lnext) {
		if (j->done_ctx == ctx) {
			j->done = NULL;
			j->done_ctx = NULL;
		}
	}
}

/*
 * Invariant 3: a zone that missed its plan's S is silent from T until S
 * arrives verified, and nothing rolls back. The silence comes from the
 * rule (T reached, next not ready); replacing or dropping the plan moves
 * T away, which would let the older live version answer again. So before
 * the plan changes, a missed one holds the live generation back; a newer
 * version going live, or a staged one promoted at its T, ends the hold.
 */
static void hold_if_missed(struct ls_zonemgr *m, struct mzone *z, uint64_t now)
{
	uint32_t live = 0;

	if (!z->plan.active || now < z->plan.at_tai_ns)
		return;
	if (live_serial(m, z, &live) && !ls_serial_newer(z->plan.serial, live))
		return; /* S (or newer) is live: nothing was missed */
	if (ls_zoneset_live_held(m->zones, z->origin))
		return;
	pr_notice("zone %s: plan for serial %" PRIu32 " was missed; the live serial stays "
		  "silent until a newer verified version",
		  z->name, z->plan.serial);
	ls_zoneset_hold_live(m->zones, z->origin, true);
}

int ls_zonemgr_plan(struct ls_zonemgr *m, const uint8_t *origin, uint32_t serial, uint64_t at_unix,
		    uint32_t at_nsec)
{
	struct mzone *z = find(m, origin);
	uint32_t live = 0;

	if (!z)
		return -ENOENT;
	if (at_nsec >= NS_PER_S)
		return -EINVAL;
	if (z->plan.active && z->plan.serial == serial && z->plan.at_unix == at_unix &&
	    z->plan_nsec == at_nsec)
		return 0; /* the catalog says it again: nothing changes */
	if (live_serial(m, z, &live) && !ls_serial_newer(serial, live)) {
		if (serial == live) {
			pr_info("zone %s: plan names serial %" PRIu32 ", which is live already",
				z->name, serial);
			if (z->plan.active)
				ls_zonemgr_unplan(m, origin);
			return 0;
		}
		pr_warn("zone %s: plan for serial %" PRIu32
			" ignored: older than the live %" PRIu32,
			z->name, serial, live);
		return -ESTALE;
	}
	hold_if_missed(m, z, now_tai(m));
	/* T is converted to CLOCK_TAI here, once (set_plan); the log shows that value */
	set_plan(m, z, serial, at_unix, at_nsec, true);
	pr_notice("zone %s: plan accepted: serial %" PRIu32 " at %" PRIu64 ".%09" PRIu32
		  " UTC (TAI %" PRIu64 " ns)%s",
		  z->name, serial, at_unix, at_nsec, z->plan.at_tai_ns,
		  z->plan.at_tai_ns <= now_tai(m) ? ", T already passed: serving it once verified" :
						    "");
	refresh(m, z, now_tai(m));
	return 0;
}

int ls_zonemgr_unplan(struct ls_zonemgr *m, const uint8_t *origin)
{
	struct mzone *z = find(m, origin);

	if (!z)
		return -ENOENT;
	if (!z->plan.active)
		return 0;
	pr_notice("zone %s: plan for serial %" PRIu32 " dropped", z->name, z->plan.serial);
	hold_if_missed(m, z, now_tai(m));
	plan_clear(m, z);
	ls_zoneset_stage_next(m->zones, z->origin, NULL, LS_TIME_NEVER);
	program(m, z);
	refresh(m, z, now_tai(m));
	return 0;
}

void ls_zonemgr_clock(struct ls_zonemgr *m, bool trusted, uint64_t budget_ns)
{
	if (trusted != m->clock_trusted)
		pr_notice("clock %s: pending switches %s",
			  trusted ? "trusted again" : "not trusted",
			  trusted ? "go ahead as planned" : "become withdrawals from T - budget");
	m->clock_trusted = trusted;
	m->budget_ns = budget_ns;
	for (size_t i = 0; i < m->nz; i++) {
		struct mzone *z = m->z[i];

		program(m, z);
		if (trusted && z->state == LS_ZSTATE_WITHDRAWN && z->reason == LS_ZREASON_CLOCK)
			set_why(z, "clock trusted again");
	}
	/* plans whose T passed while distrusted finish now */
	ls_zonemgr_tick(m);
}

int ls_zonemgr_withdraw(struct ls_zonemgr *m, const uint8_t *origin, enum ls_zreason reason)
{
	struct mzone *z = find(m, origin);

	if (!z)
		return -ENOENT;
	z->manual = reason == LS_ZREASON_NONE ? LS_ZREASON_OPERATOR : reason;
	program(m, z);
	refresh(m, z, now_tai(m));
	return 0;
}

size_t ls_zonemgr_count(const struct ls_zonemgr *m)
{
	return m->nz;
}

static void fill_info(const struct ls_zonemgr *m, const struct mzone *z, struct ls_zinfo *out)
{
	const struct ls_zone *next = ls_zoneset_next(m->zones, z->origin);
	struct ls_zone_ctl ctl = { 0 };

	memset(out, 0, sizeof(*out));
	memcpy(out->origin, z->origin, ls_dname_len(z->origin));
	out->state = z->state;
	out->reason = z->reason;
	out->has_live = live_serial(m, z, &out->live_serial);
	out->has_next = next != NULL;
	out->next_serial = next ? ls_zone_serial(next) : 0;
	if (ls_zoneset_ctl(m->zones, z->origin, &ctl) == 0) {
		out->has_ctl = true;
		out->ctl = ctl;
		out->next_ready = ctl.flags & LS_CTL_NEXT_READY;
	}
	out->served = ls_zoneset_served(m->zones, z->origin);
	out->plan = z->plan;
	out->withdraw_at_tai_ns = z->withdraw_at;
	snprintf(out->last_verdict, sizeof(out->last_verdict), "%s", z->last_verdict);
	out->last_verdict_unix = z->last_verdict_unix;
	snprintf(out->last_source, sizeof(out->last_source), "%s", z->last_source);
	out->last_transfer_unix = z->last_transfer_unix;
	out->offers = z->offers;
	out->verify_failures = z->verify_failures;
	out->switches = z->switches;
	out->withdrawals = z->withdrawals;
	{
		struct ls_zoneset_switch sw = { .at = LS_TIME_NEVER };

		ls_zoneset_switch_info(m->zones, z->origin, &sw);
		out->switch_at_tai_ns = sw.at;
		out->first_next_slow_ns = sw.first_next_ns;
	}
}

int ls_zonemgr_info(const struct ls_zonemgr *m, size_t i, struct ls_zinfo *out)
{
	if (i >= m->nz)
		return -ENOENT;
	fill_info(m, m->z[i], out);
	return 0;
}

int ls_zonemgr_find_info(const struct ls_zonemgr *m, const uint8_t *origin, struct ls_zinfo *out)
{
	const struct mzone *z = find(m, origin);

	if (!z)
		return -ENOENT;
	fill_info(m, z, out);
	return 0;
}

int ls_zonemgr_live_serial(const struct ls_zonemgr *m, const uint8_t *origin, uint32_t *serial)
{
	const struct mzone *z = find(m, origin);

	if (!z || !live_serial(m, z, serial))
		return -ENOENT;
	return 0;
}
