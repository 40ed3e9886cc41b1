/* SPDX-License-Identifier: MIT */
/*
 * sdnotify.c — see sdnotify.h.
 *
 * libsystemd's sd_notify() writes one datagram to $NOTIFY_SOCKET and does
 * nothing when it is unset, so the calls need no "are we under systemd"
 * test of their own. sd_watchdog_enabled() checks WATCHDOG_PID against our
 * PID, so a child (a hook) never pings for us. Half the interval is what
 * sd_watchdog_enabled(3) recommends: one missed turn of the loop is not yet
 * a restart.
 */
#include "agent/sdnotify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "common/log.h"

struct ls_sdnotify {
	struct ev_loop *loop;
	ev_timer watchdog;
	double interval;
};

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	sd_notify(0, "WATCHDOG=1");
}

int ls_sdnotify_new(struct ev_loop *loop, struct ls_sdnotify **out)
{
	struct ls_sdnotify *n = calloc(1, sizeof(*n));
	uint64_t usec = 0;

	*out = NULL;
	if (!n)
		return -ENOMEM;
	n->loop = loop;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->interval = (double)usec / 1e6 / 2;
		ev_timer_init(&n->watchdog, on_watchdog, 0., n->interval);
		n->watchdog.data = n;
		ev_timer_again(loop, &n->watchdog);
		sd_notify(0, "WATCHDOG=1");
		pr_info("systemd watchdog: pinging every %.3f s", n->interval);
	}
	*out = n;
	return 0;
}

void ls_sdnotify_free(struct ls_sdnotify *n)
{
	if (!n)
		return;
	if (n->interval > 0)
		ev_timer_stop(n->loop, &n->watchdog);
	free(n);
}

void ls_sdnotify_ready(const char *status)
{
	if (status)
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	else
		sd_notify(0, "READY=1");
}

void ls_sdnotify_reloading(void)
{
	struct timespec ts;

	/* MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match the
	 * reload to its request; older ones ignore it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ULL +
			   (unsigned long long)ts.tv_nsec / 1000ULL);
}

void ls_sdnotify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
