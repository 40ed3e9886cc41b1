/* SPDX-License-Identifier: MIT */
/*
 * lockstepd.c — the agent's command line.
 *
 * Owns: option parsing, --check-config, and handing a validated
 * configuration to the daemon (agent/daemon.c), which owns everything after.
 * Must not: grow module logic; main() stays small so every module can be
 * tested without it.
 *
 * Exit status: 0 success, 1 bad configuration or failure, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon.h"
#include "common/config.h"
#include "common/log.h"

#ifndef LOCKSTEP_VERSION
#define LOCKSTEP_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lockstepd [-c FILE] [--check-config] [-v]...\n"
		"\n"
		"Anycast DNS agent: serves verified zone versions in lockstep across a mesh.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"      --check-config  validate the configuration and exit: 0 if it is good,\n"
		"                      1 with every error as FILE:LINE:COLUMN: MESSAGE\n"
		"  -v, --verbose       log more than the configured log.level (repeatable)\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n",
		LS_CONFIG_DEFAULT_PATH);
}

static int check_config(const char *path)
{
	struct ls_config_errors errs;
	struct ls_config *cfg;
	int err;

	err = ls_config_load(path, &cfg, &errs);
	if (err) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.err[i].text);
		if (errs.total > errs.count)
			fprintf(stderr, "%s: ... and %zu more errors\n", path,
				errs.total - errs.count);
		if (errs.count == 0)
			fprintf(stderr, "%s: %s\n", path, strerror(-err));
		return 1;
	}
	ls_config_free(cfg);
	printf("%s: configuration OK\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = LS_CONFIG_DEFAULT_PATH;
	struct ls_config_errors errs;
	struct ls_daemon *d = NULL;
	struct ls_config *cfg;
	bool check = false;
	int verbosity = 0, opt, err;

	while ((opt = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'K':
			check = true;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("lockstepd %s\n", LOCKSTEP_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockstepd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (check)
		return check_config(path);

	ls_log_init_auto();
	err = ls_config_load(path, &cfg, &errs);
	if (err) {
		ls_daemon_log_config_errors(&errs);
		if (err == -EINVAL)
			pr_err("%s: configuration refused: %zu error(s)", path, errs.total);
		else
			pr_err("%s: configuration refused (%s)", path, strerror(-err));
		return 1;
	}
	err = ls_daemon_new(path, cfg, verbosity, &d);
	if (err) {
		pr_err("cannot start: %s", strerror(-err));
		return 1;
	}
	err = ls_daemon_run(d);
	ls_daemon_free(d);
	return err ? 1 : 0;
}
