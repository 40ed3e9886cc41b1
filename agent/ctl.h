/* SPDX-License-Identifier: MIT */
/*
 * ctl.h — the subcommands of lockstepctl.
 *
 * Owns: the contract between lockstepctl.c (which dispatches on the first
 * argument) and each ctl_*.c (one subcommand each): the exit codes and the
 * signature of a subcommand.
 * Must not: hold state; a subcommand is a function from argv to an exit code.
 */
#ifndef LOCKSTEP_AGENT_CTL_H
#define LOCKSTEP_AGENT_CTL_H

#include <stdio.h>

/* Exit codes shared by every subcommand. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1, /* the command ran and found a problem */
	CTL_EXIT_USAGE = 2, /* bad arguments, unreadable input, internal error */
};

struct ctl_cmd {
	const char *name;
	const char *synopsis; /* arguments, for the usage text */
	const char *summary; /* one line */
	/* argv[0] is the subcommand name; returns an enum ctl_exit */
	int (*run)(int argc, char **argv);
};

/* ctl_zone.c: zone-check [--origin NAME] [--zonemd[=P]] [--dnssec[=P]] [--at TIME] ... FILE */
int ctl_zone_check(int argc, char **argv);

/* ctl_status.c: status / zones / plans / explain ZONE [--node URL]... [--nodes FILE] [--json] */
int ctl_status(int argc, char **argv);
int ctl_zones(int argc, char **argv);
int ctl_plans(int argc, char **argv);
int ctl_switches(int argc, char **argv);
int ctl_explain(int argc, char **argv);

/* ctl_retransfer.c: retransfer ZONE / withdraw ZONE [--socket PATH | --config FILE] */
int ctl_retransfer(int argc, char **argv);
int ctl_withdraw(int argc, char **argv);

#endif
