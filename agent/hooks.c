/* SPDX-License-Identifier: MIT */
/*
 * hooks.c — see hooks.h.
 *
 * Events are kept in lanes, one per zone name ("*" is a lane of its own):
 * a lane runs one hook at a time and starts its next event when the
 * running one has been reaped, so a withdraw followed by a serve reaches
 * BIRD in that order. Different zones' hooks run side by side.
 *
 * The daemon's loop is not libev's default loop, and only the default loop
 * has child watchers; a pidfd (pidfd_open(2)) becomes readable when the
 * child exits, which an ordinary ev_io sees on any loop, and it names that
 * very child, never a recycled pid. posix_spawn() rather than fork(): the
 * verifier runs threads, and glibc's spawn is a vfork-like clone that
 * reports a failed exec as an error.
 */
#include "agent/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/dname.h"
#include "common/log.h"

#define REASON_LEN 32
#define DETAIL_LEN 256
#define LINE_MAX_LEN 1024 /* longer output lines are logged in pieces */

struct event {
	struct event *next;
	bool serve;
	bool has_serial; /* not for "*" */
	uint32_t serial;
	char reason[REASON_LEN];
	char detail[DETAIL_LEN];
	char *cmd; /* the hook in force when the event was queued */
	uint64_t timeout_ns;
};

struct run;

struct lane {
	struct lane *next;
	char zone[LS_DNAME_STRLEN];
	struct event *head, *tail;
	size_t queued;
	struct run *running;
};

struct run {
	struct ls_hooks *h;
	struct lane *lane;
	struct event *ev;
	pid_t pid;
	int pidfd, outfd;
	ev_io pid_io, out_io;
	ev_timer timer;
	bool timed_out;
	size_t linelen;
	char line[LINE_MAX_LEN + 1];
};

struct ls_hooks {
	struct ev_loop *loop;
	char *on_serve, *on_withdraw;
	uint64_t timeout_ns;
	struct lane *lanes;
	struct ls_hooks_stats stats;
	/* zones being served, as the zone manager's events said: for "*" */
	uint8_t **serving;
	size_t nserving, capserving;
};

static const char *event_name(const struct event *e)
{
	return e->serve ? "on-serve" : "on-withdraw";
}

void ls_hooks_opts_from_config(const struct ls_config *cfg, struct ls_hooks_opts *o)
{
	o->on_serve = cfg->hooks.on_serve;
	o->on_withdraw = cfg->hooks.on_withdraw;
	o->timeout_ns = cfg->hooks.timeout_ns;
}

static int dup_opt(const char *s, char **dst)
{
	char *d = NULL;

	if (s) {
		d = strdup(s);
		if (!d)
			return -ENOMEM;
	}
	free(*dst);
	*dst = d;
	return 0;
}

int ls_hooks_reconfigure(struct ls_hooks *h, const struct ls_hooks_opts *o)
{
	char *serve = NULL, *withdraw = NULL;

	if (dup_opt(o->on_serve, &serve) || dup_opt(o->on_withdraw, &withdraw)) {
		free(serve);
		return -ENOMEM;
	}
	free(h->on_serve);
	free(h->on_withdraw);
	h->on_serve = serve;
	h->on_withdraw = withdraw;
	h->timeout_ns = o->timeout_ns ? o->timeout_ns : 10000000000ull;
	return 0;
}

int ls_hooks_new(struct ev_loop *loop, const struct ls_hooks_opts *o, struct ls_hooks **out)
{
	struct ls_hooks *h;
	int err;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	err = ls_hooks_reconfigure(h, o);
	if (err) {
		free(h);
		return err;
	}
	*out = h;
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static void flush_line(struct run *r)
{
	if (!r->linelen)
		return;
	r->line[r->linelen] = '\0';
	pr_info("hook %s %s: %s", event_name(r->ev), r->lane->zone, r->line);
	r->linelen = 0;
}

static void take_output(struct run *r, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n') {
			flush_line(r);
			continue;
		}
		/* keep the log one line per line: no control characters */
		r->line[r->linelen++] = (c >= 0x20 && c != 0x7f) || c < 0 ? c : '?';
		if (r->linelen == LINE_MAX_LEN)
			flush_line(r);
	}
}

static void close_output(struct run *r)
{
	if (r->outfd < 0)
		return;
	ev_io_stop(r->h->loop, &r->out_io);
	close(r->outfd);
	r->outfd = -1;
	flush_line(r);
}

/* Read what is there; false at end of file or error. */
static bool read_output(struct run *r)
{
	char buf[4096];

	for (int i = 0; i < 16; i++) {
		ssize_t n = read(r->outfd, buf, sizeof(buf));

		if (n > 0) {
			take_output(r, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		return false;
	}
	return true;
}

static void on_output(struct ev_loop *loop, ev_io *w, int revents)
{
	struct run *r = w->data;

	if (!read_output(r))
		close_output(r);
}

/* ---- lanes -------------------------------------------------------------- */

static void lane_next(struct ls_hooks *h, struct lane *l);

static void event_free(struct event *e)
{
	if (!e)
		return;
	free(e->cmd);
	free(e);
}

static void run_free(struct run *r)
{
	struct ls_hooks *h = r->h;

	close_output(r);
	ev_timer_stop(h->loop, &r->timer);
	if (r->pidfd >= 0) {
		ev_io_stop(h->loop, &r->pid_io);
		close(r->pidfd);
	}
	event_free(r->ev);
	free(r);
}

static void on_exit_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	struct run *r = w->data;
	struct ls_hooks *h = r->h;
	struct lane *l = r->lane;
	int status;
	pid_t p = waitpid(r->pid, &status, WNOHANG);

	if (p == 0 || (p < 0 && errno == EINTR))
		return;
	/* what the hook wrote before it ended belongs before its status line */
	if (r->outfd >= 0)
		read_output(r);
	close_output(r);
	if (p < 0) {
		pr_err("hook %s %s: waitpid: %s", event_name(r->ev), l->zone, strerror(errno));
		h->stats.failed++;
	} else if (r->timed_out) {
		h->stats.failed++;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		pr_info("hook %s %s (%s): exit 0", event_name(r->ev), l->zone, r->ev->reason);
		h->stats.succeeded++;
	} else if (WIFEXITED(status)) {
		pr_warn("hook %s %s (%s): exit %d", event_name(r->ev), l->zone, r->ev->reason,
			WEXITSTATUS(status));
		h->stats.failed++;
	} else {
		pr_warn("hook %s %s (%s): killed by signal %d", event_name(r->ev), l->zone,
			r->ev->reason, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		h->stats.failed++;
	}
	l->running = NULL;
	h->stats.running--;
	run_free(r);
	lane_next(h, l);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct run *r = w->data;

	r->timed_out = true;
	r->h->stats.timed_out++;
	pr_warn("hook %s %s (%s): still running after %.3fs, killing its process group",
		event_name(r->ev), r->lane->zone, r->ev->reason, (double)r->ev->timeout_ns / 1e9);
	/* the hook leads its own group (POSIX_SPAWN_SETPGROUP): take its children too */
	kill(-r->pid, SIGKILL);
}

static int spawn(struct run *r, const struct event *e, const char *zone)
{
	char serial[32], env_event[64], env_zone[LS_DNAME_STRLEN + 16], env_serial[48],
		env_reason[REASON_LEN + 32], env_detail[DETAIL_LEN + 32];
	char *argv[] = { e->cmd, (char *)zone, (char *)e->reason, NULL };
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 env_event,
			 env_zone,
			 env_reason,
			 env_detail,
			 e->serve && e->has_serial ? env_serial : NULL,
			 NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int pipefd[2], err;

	snprintf(serial, sizeof(serial), "%" PRIu32, e->serial);
	snprintf(env_event, sizeof(env_event), "LOCKSTEP_EVENT=%s",
		 e->serve ? "serve" : "withdraw");
	snprintf(env_zone, sizeof(env_zone), "LOCKSTEP_ZONE=%s", zone);
	snprintf(env_serial, sizeof(env_serial), "LOCKSTEP_SERIAL=%s", serial);
	snprintf(env_reason, sizeof(env_reason), "LOCKSTEP_REASON=%s", e->reason);
	snprintf(env_detail, sizeof(env_detail), "LOCKSTEP_DETAIL=%s", e->detail);

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	err = -posix_spawn_file_actions_init(&fa);
	if (err)
		goto close_pipe;
	err = -posix_spawnattr_init(&attr);
	if (err)
		goto destroy_fa;
	sigemptyset(&none);
	sigfillset(&all);
	/*
	 * A clean child: its own process group (so the timeout takes its
	 * children too), no signal blocked or ignored (libev blocks some in
	 * this process), stdin from /dev/null, output to the pipe, no other fd.
	 */
	err = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						       POSIX_SPAWN_SETSIGDEF);
	if (!err)
		err = -posix_spawnattr_setpgroup(&attr, 0);
	if (!err)
		err = -posix_spawnattr_setsigmask(&attr, &none);
	if (!err)
		err = -posix_spawnattr_setsigdefault(&attr, &all);
	if (!err)
		err = -posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!err)
		err = -posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	if (!err)
		err = -posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	if (!err)
		err = -posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!err)
		err = -posix_spawn(&r->pid, e->cmd, &fa, &attr, argv, envp);
	if (err)
		goto destroy_attr;
	close(pipefd[1]);
	pipefd[1] = -1;
	r->outfd = pipefd[0];
	fcntl(r->outfd, F_SETFL, O_NONBLOCK);
	r->pidfd = pidfd_open(r->pid, 0);
	if (r->pidfd < 0) {
		/* cannot watch it: do not leave it running unobserved */
		err = -errno;
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		r->outfd = -1; /* closed below as pipefd[0] */
		goto destroy_attr;
	}
	err = 0;
destroy_attr:
	posix_spawnattr_destroy(&attr);
destroy_fa:
	posix_spawn_file_actions_destroy(&fa);
close_pipe:
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (err && r->outfd < 0)
		close(pipefd[0]);
	return err;
}

static void lane_unlink(struct ls_hooks *h, struct lane *l)
{
	for (struct lane **p = &h->lanes; *p; p = &(*p)->next) {
		if (*p == l) {
			*p = l->next;
			break;
		}
	}
	free(l);
}

/* Start the lane's next event; a lane with nothing left goes away. */
static void lane_next(struct ls_hooks *h, struct lane *l)
{
	while (!l->running && l->head) {
		struct event *e = l->head;
		struct run *r;
		int err;

		l->head = e->next;
		if (!l->head)
			l->tail = NULL;
		l->queued--;
		r = calloc(1, sizeof(*r));
		if (!r) {
			pr_err("hook %s %s: out of memory", event_name(e), l->zone);
			h->stats.failed++;
			event_free(e);
			continue;
		}
		r->h = h;
		r->lane = l;
		r->ev = e;
		r->pidfd = r->outfd = -1;
		err = spawn(r, e, l->zone);
		h->stats.started++;
		if (err) {
			pr_err("hook %s %s (%s): cannot run %s: %s", event_name(e), l->zone,
			       e->reason, e->cmd, strerror(-err));
			h->stats.failed++;
			event_free(e);
			free(r);
			continue;
		}
		pr_info("hook %s %s (%s): started %s, pid %d", event_name(e), l->zone, e->reason,
			e->cmd, (int)r->pid);
		ev_io_init(&r->out_io, on_output, r->outfd, EV_READ);
		r->out_io.data = r;
		ev_io_start(h->loop, &r->out_io);
		ev_io_init(&r->pid_io, on_exit_ready, r->pidfd, EV_READ);
		r->pid_io.data = r;
		ev_io_start(h->loop, &r->pid_io);
		ev_timer_init(&r->timer, on_timeout, (double)e->timeout_ns / 1e9, 0.0);
		r->timer.data = r;
		ev_timer_start(h->loop, &r->timer);
		l->running = r;
		h->stats.running++;
	}
	if (!l->running && !l->head)
		lane_unlink(h, l);
}

static struct lane *lane_get(struct ls_hooks *h, const char *zone)
{
	struct lane *l;

	for (l = h->lanes; l; l = l->next) {
		if (strcmp(l->zone, zone) == 0)
			return l;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	snprintf(l->zone, sizeof(l->zone), "%s", zone);
	l->next = h->lanes;
	h->lanes = l;
	return l;
}

static int queue(struct ls_hooks *h, bool serve, const uint8_t *origin, uint32_t serial,
		 const char *reason, const char *detail)
{
	const char *cmd = serve ? h->on_serve : h->on_withdraw;
	char zone[LS_DNAME_STRLEN];
	struct event *e;
	struct lane *l;

	if (!cmd)
		return 0;
	if (!origin)
		snprintf(zone, sizeof(zone), "*");
	else if (ls_dname_to_str(zone, sizeof(zone), origin) < 0)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->serve = serve;
	e->has_serial = origin != NULL;
	e->serial = serial;
	e->timeout_ns = h->timeout_ns;
	snprintf(e->reason, sizeof(e->reason), "%s", reason && *reason ? reason : "-");
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
	e->cmd = strdup(cmd);
	if (!e->cmd) {
		free(e);
		return -ENOMEM;
	}
	l = lane_get(h, zone);
	if (!l) {
		event_free(e);
		return -ENOMEM;
	}
	if (l->queued >= LS_HOOKS_MAX_QUEUE) {
		pr_err("hook %s %s (%s): %d events already waiting, dropped", event_name(e), zone,
		       e->reason, LS_HOOKS_MAX_QUEUE);
		h->stats.dropped++;
		event_free(e);
		return -ENOBUFS;
	}
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
	l->queued++;
	lane_next(h, l);
	return 0;
}

int ls_hooks_serve(struct ls_hooks *h, const uint8_t *origin, uint32_t serial, const char *reason,
		   const char *detail)
{
	return queue(h, true, origin, serial, reason, detail);
}

int ls_hooks_withdraw(struct ls_hooks *h, const uint8_t *origin, const char *reason,
		      const char *detail)
{
	return queue(h, false, origin, 0, reason, detail);
}

/* A short lowercase token is passed as the reason itself, anything else as detail. */
static bool is_token(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
			return false;
	}
	return n > 0 && n < REASON_LEN;
}

static ssize_t serving_find(const struct ls_hooks *h, const uint8_t *origin)
{
	for (size_t i = 0; i < h->nserving; i++) {
		if (ls_dname_equal(h->serving[i], origin))
			return (ssize_t)i;
	}
	return -1;
}

/*
 * Keep the set of zones served and say whether it went from empty to
 * non-empty (+1) or back (-1): the node-wide "*" events, for one shared
 * prefix that is announced while any zone is served.
 */
static int serving_update(struct ls_hooks *h, const uint8_t *origin, bool serve)
{
	ssize_t i = serving_find(h, origin);

	if (serve && i < 0) {
		size_t len = ls_dname_len(origin);
		uint8_t *copy;

		if (h->nserving == h->capserving) {
			size_t cap = h->capserving ? 2 * h->capserving : 16;
			uint8_t **v = realloc(h->serving, cap * sizeof(*v));

			if (!v)
				return 0;
			h->serving = v;
			h->capserving = cap;
		}
		copy = malloc(len);
		if (!copy)
			return 0;
		memcpy(copy, origin, len);
		h->serving[h->nserving++] = copy;
		return h->nserving == 1 ? 1 : 0;
	}
	if (!serve && i >= 0) {
		free(h->serving[i]);
		h->serving[i] = h->serving[--h->nserving];
		return h->nserving == 0 ? -1 : 0;
	}
	return 0;
}

static void ev_serve(void *ctx, const uint8_t *origin, uint32_t serial, const char *why)
{
	struct ls_hooks *h = ctx;
	const char *reason = is_token(why) ? why : "serve";
	const char *detail = is_token(why) ? NULL : why;

	ls_hooks_serve(h, origin, serial, reason, detail);
	if (origin && serving_update(h, origin, true) > 0)
		ls_hooks_serve(h, NULL, 0, reason, "the first zone is served");
}

static void ev_withdraw(void *ctx, const uint8_t *origin, enum ls_zreason reason, const char *why)
{
	struct ls_hooks *h = ctx;

	ls_hooks_withdraw(h, origin, ls_zreason_name(reason), why);
	if (origin && serving_update(h, origin, false) < 0)
		ls_hooks_withdraw(h, NULL, ls_zreason_name(reason), "no zone is served any more");
}

void ls_hooks_zonemgr_events(struct ls_hooks *h, struct ls_zonemgr_events *ev)
{
	ev->on_serve = ev_serve;
	ev->on_withdraw = ev_withdraw;
	ev->ctx = h;
}

void ls_hooks_stats(const struct ls_hooks *h, struct ls_hooks_stats *out)
{
	*out = h->stats;
}

void ls_hooks_free(struct ls_hooks *h)
{
	if (!h)
		return;
	while (h->lanes) {
		struct lane *l = h->lanes;

		while (l->head) {
			struct event *e = l->head;

			l->head = e->next;
			event_free(e);
		}
		if (l->running) {
			struct run *r = l->running;

			pr_warn("hook %s %s: still running at shutdown, killed", event_name(r->ev),
				l->zone);
			kill(-r->pid, SIGKILL);
			/* SIGKILL cannot be caught: this wait is short */
			waitpid(r->pid, NULL, 0);
			run_free(r);
		}
		h->lanes = l->next;
		free(l);
	}
	for (size_t i = 0; i < h->nserving; i++)
		free(h->serving[i]);
	free(h->serving);
	free(h->on_serve);
	free(h->on_withdraw);
	free(h);
}
