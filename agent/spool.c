/* SPDX-License-Identifier: MIT */
/*
 * spool.c — see spool.h.
 *
 * A taken file is first renamed into .taken/ (same file system, atomic):
 * from then on the sender may deliver a file of the same name again
 * without touching the one being verified, and a restart finds no
 * half-processed file in the spool itself. Files left in .taken/ by a
 * crash are offered again at start.
 */
#include "agent/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/zonemgr.h"
#include "common/log.h"

struct ls_spool {
	struct ev_loop *loop;
	struct ls_zonemgr *m;
	char *dir;
	int ifd, wd;
	ev_io io;
	struct ls_spool_stats stats;
};

bool ls_spool_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || name[0] == '.' || strchr(name, '/'))
		return false;
	return !(n >= 4 && strcmp(name + n - 4, ".tmp") == 0);
}

static void on_done(void *ctx, const char *path, bool accepted, const char *verdict)
{
	struct ls_spool *s = ctx;
	const char *base = strrchr(path, '/');
	char to[PATH_MAX];

	base = base ? base + 1 : path;
	if (accepted)
		s->stats.accepted++;
	else
		s->stats.rejected++;
	snprintf(to, sizeof(to), "%s/%s/%s", s->dir, accepted ? "done" : "rejected", base);
	if (rename(path, to) != 0)
		pr_err("spool: cannot move %s to %s: %s", path, to, strerror(errno));
	if (accepted)
		pr_notice("spool: %s accepted (%s), moved to done/", base, verdict);
	else
		pr_warn("spool: %s rejected: %s; moved to rejected/", base, verdict);
}

/* Take @name (in @from, the spool or its .taken/) if it is a complete regular file. */
static void take(struct ls_spool *s, const char *from, const char *name)
{
	char path[PATH_MAX], taken[PATH_MAX], src[128];
	struct stat st;
	int err;

	if (!ls_spool_name_ok(name))
		return;
	if (snprintf(path, sizeof(path), "%s/%s", from, name) >= (int)sizeof(path) ||
	    snprintf(taken, sizeof(taken), "%s/.taken/%s", s->dir, name) >= (int)sizeof(taken))
		return;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if (strcmp(path, taken) != 0 && rename(path, taken) != 0) {
		pr_err("spool: cannot take %s: %s", path, strerror(errno));
		return;
	}
	s->stats.taken++;
	snprintf(src, sizeof(src), "spool %s", name);
	pr_info("spool: taking %s", name);
	err = ls_zonemgr_offer_spool(s->m, taken, src, on_done, s);
	if (err)
		pr_err("spool: %s not offered: %s", name, strerror(-err));
}

static void scan(struct ls_spool *s, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		take(s, dir, de->d_name);
	closedir(d);
}

static void on_inotify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ls_spool *s = w->data;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(s->ifd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->mask & IN_Q_OVERFLOW)
				scan(s, s->dir); /* events were lost: look at everything */
			else if (e->len && !(e->mask & IN_ISDIR))
				take(s, s->dir, e->name);
			p += sizeof(*e) + e->len;
		}
	}
}

static int mksub(const char *dir, const char *sub)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	if (mkdir(p, 0750) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ls_spool_new(struct ev_loop *loop, const char *dir, struct ls_zonemgr *m, struct ls_spool **out)
{
	char taken[PATH_MAX];
	struct ls_spool *s;
	struct stat st;
	int err;

	*out = NULL;
	if (stat(dir, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->m = m;
	s->ifd = -1;
	s->dir = strdup(dir);
	if (!s->dir) {
		err = -ENOMEM;
		goto free_spool;
	}
	err = mksub(dir, "done");
	if (!err)
		err = mksub(dir, "rejected");
	if (!err)
		err = mksub(dir, ".taken");
	if (err)
		goto free_spool;
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ifd < 0) {
		err = -errno;
		goto free_spool;
	}
	/* watch first, then scan: a file arriving in between is seen at least once */
	s->wd = inotify_add_watch(s->ifd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
	if (s->wd < 0) {
		err = -errno;
		goto free_spool;
	}
	ev_io_init(&s->io, on_inotify, s->ifd, EV_READ);
	s->io.data = s;
	ev_io_start(loop, &s->io);
	snprintf(taken, sizeof(taken), "%s/.taken", dir);
	scan(s, taken); /* left over by a crash */
	scan(s, dir);
	pr_info("spool: watching %s", dir);
	*out = s;
	return 0;

free_spool:
	ls_spool_free(s);
	return err;
}

void ls_spool_free(struct ls_spool *s)
{
	if (!s)
		return;
	if (s->ifd >= 0) {
		ev_io_stop(s->loop, &s->io);
		close(s->ifd);
	}
	if (s->m)
		ls_zonemgr_forget(s->m, s);
	free(s->dir);
	free(s);
}

const struct ls_spool_stats *ls_spool_stats(const struct ls_spool *s)
{
	return &s->stats;
}
