/* SPDX-License-Identifier: MIT */
/*
 * daemon.h — the life of lockstepd: its libev loop, its signals and its
 * current configuration.
 *
 * Owns: the one event loop, SIGTERM/SIGINT (a clean stop), SIGHUP (reload
 * the configuration: a bad file is refused with its errors logged and the
 * running configuration kept; a good one replaces it and what changed is
 * logged), and the effective log level (the config's, raised by -v).
 * It also wires the slow path: the zone set (agent/zoneset.h), loaded from
 * the configured zone files at start and re-synced on SIGHUP, answered by
 * the engine through the server on the service addresses (agent/server.h).
 * Must not: parse configuration itself (common/config does), or know what
 * the other modules do with a zone. Modules arriving later (intake, store,
 * dataplane, health, ...) get the loop from ls_daemon_loop() and will be
 * told about configuration changes from ls_daemon_reload().
 */
#ifndef LOCKSTEP_AGENT_DAEMON_H
#define LOCKSTEP_AGENT_DAEMON_H

#include <ev.h>

#include "common/config.h"

struct ls_daemon;

/**
 * Create the daemon around a validated configuration, which it takes over
 * (also on failure). @config_path is re-read on SIGHUP; @verbosity (the
 * number of -v) raises the configured log level by that many steps.
 * Returns 0 or a negative errno.
 */
int ls_daemon_new(const char *config_path, struct ls_config *cfg, int verbosity,
		  struct ls_daemon **out);

/** Log the configuration; run the loop until ls_daemon_stop() or SIGTERM/SIGINT. */
int ls_daemon_run(struct ls_daemon *d);

/** Leave the loop at its next turn (what SIGTERM and SIGINT do). */
void ls_daemon_stop(struct ls_daemon *d);

/**
 * Re-read the configuration file (what SIGHUP does). Returns 0 when the new
 * configuration is in place, or a negative errno with the old one kept.
 */
int ls_daemon_reload(struct ls_daemon *d);

const struct ls_config *ls_daemon_config(const struct ls_daemon *d);
struct ev_loop *ls_daemon_loop(struct ls_daemon *d);

/** Free the daemon and its configuration. NULL is fine. */
void ls_daemon_free(struct ls_daemon *d);

/** Log every error of a failed configuration load, one line each. */
void ls_daemon_log_config_errors(const struct ls_config_errors *errs);

#endif
