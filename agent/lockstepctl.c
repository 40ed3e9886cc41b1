/* SPDX-License-Identifier: MIT */
/*
 * lockstepctl.c — the command-line tool: dispatch to a subcommand.
 *
 * Owns: the table of subcommands and the top-level usage text. Each
 * subcommand lives in its own ctl_*.c and parses its own options.
 * Must not: implement a subcommand here, or list one that does not exist.
 */
#include "agent/ctl.h"

#include <stdio.h>
#include <string.h>

static const struct ctl_cmd commands[] = {
	{ "zone-check", "[--origin NAME] [--zonemd[=POLICY]] [--dnssec[=POLICY]] [--at TIME] FILE",
	  "load a zone file, run the structural checks and the verifier (serial, ZONEMD,\n"
	  "      DNSSEC), print a summary or every problem",
	  ctl_zone_check },
	{ "status", "[--node URL]... [--nodes FILE] [--timeout S] [--json]",
	  "every zone of one node or a mesh; exit 0 only if every node is ready for\n"
	  "      the next T (planned zones staged, the others serving)",
	  ctl_status },
	{ "zones", "[--node URL]... [--nodes FILE] [--json]",
	  "the zones of each node: state, serials, last verdict", ctl_zones },
	{ "plans", "[--node URL]... [--nodes FILE] [--json]",
	  "the zones with a switch plan: serial, T, staged or not", ctl_plans },
	{ "switches", "[--node URL]... [--nodes FILE] [--json]",
	  "the last switch per zone and node: first answer from S, offset from T, path",
	  ctl_switches },
	{ "explain", "[--node URL]... ZONE", "why a zone is in its state on each node",
	  ctl_explain },
	{ "retransfer", "ZONE [--socket PATH | --config FILE] [--timeout S]",
	  "ask the local agent to refresh ZONE from its primaries now (root only)",
	  ctl_retransfer },
	{ "withdraw", "ZONE [--socket PATH | --config FILE] [--timeout S]",
	  "silence ZONE on the local agent until a newer verified version (root only)",
	  ctl_withdraw },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: lockstepctl COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %s %s\n      %s\n", commands[i].name, commands[i].synopsis,
			commands[i].summary);
	fprintf(out, "\n'lockstepctl COMMAND --help' describes a command.\n"
		     "Exit status: 0 success, 1 the check failed, 2 usage or I/O error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "lockstepctl: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
