/* SPDX-License-Identifier: MIT */
/*
 * sdnotify.h — lockstepd's side of the systemd service protocol.
 *
 * Owns: every sd_notify() message (READY=1, RELOADING=1, STOPPING=1,
 * STATUS=, WATCHDOG=1) and the watchdog timer, a libev timer at half of
 * WatchdogSec= firing in the daemon's loop: if the loop hangs, the pings
 * stop and systemd restarts the agent (DESIGN.md invariant 5).
 * Must not: decide when the node is ready (the daemon does, and calls
 * ls_sdnotify_ready()), or do anything when not run by systemd: without
 * NOTIFY_SOCKET every call is a no-op.
 */
#ifndef LOCKSTEP_AGENT_SDNOTIFY_H
#define LOCKSTEP_AGENT_SDNOTIFY_H

#include <ev.h>

struct ls_sdnotify;

/**
 * Start the watchdog pings in @loop if systemd asked for them
 * (WATCHDOG_USEC for this PID). Returns 0 or -ENOMEM; without a watchdog
 * the object exists and does nothing.
 */
int ls_sdnotify_new(struct ev_loop *loop, struct ls_sdnotify **out);

/** Stop the pings; NULL is fine. */
void ls_sdnotify_free(struct ls_sdnotify *n);

/** READY=1 with @status as STATUS= (NULL: none): zones loaded, data plane attached. */
void ls_sdnotify_ready(const char *status);

/** RELOADING=1 before a configuration reload; ls_sdnotify_ready() after it. */
void ls_sdnotify_reloading(void);

/** STOPPING=1 when the daemon leaves its loop. */
void ls_sdnotify_stopping(void);

#endif
