/* SPDX-License-Identifier: MIT */
/*
 * ctl_zone.c — lockstepctl zone-check: load a zone file and check it.
 *
 * Owns: the zone-check options and output. Problems go to stdout, one a
 * line as "file:line: check: owner TYPE rdata — explanation"; usage and I/O
 * errors to stderr.
 * Must not: serve, store or change anything; it only reads the file.
 */
#include "agent/ctl.h"

#include "common/dname.h"
#include "common/verify.h"
#include "common/zone.h"
#include "common/zonefile.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void zone_check_usage(FILE *out)
{
	fprintf(out,
		"usage: lockstepctl zone-check [--origin NAME] [--zonemd[=POLICY]]\n"
		"                              [--dnssec[=POLICY]] [--at TIME] [--margin SECONDS]\n"
		"                              [--live-serial N] [--threads N] FILE\n"
		"\n"
		"Load an RFC 1035 zone file ($ORIGIN, $TTL, $INCLUDE, $GENERATE) and run the\n"
		"structural checks: one SOA at the apex, NS at the apex, no data outside the\n"
		"zone, nothing below a delegation but glue, CNAME exclusivity, one DNAME and\n"
		"nothing below it, addresses for in-zone name servers. Then verify it as the\n"
		"agent does (docs/verification.md): ZONEMD (RFC 8976) and DNSSEC signatures,\n"
		"keys and NSEC/NSEC3 chains.\n"
		"\n"
		"  -o, --origin NAME  the zone's name. Without it: the file name less a\n"
		"                     trailing .zone/.db/.txt, or the root if that is no name;\n"
		"                     and if the file's first SOA is owned by another name\n"
		"                     (the file sets its own $ORIGIN), that name.\n"
		"  -z, --zonemd[=POLICY]  required | optional | off (default optional: a\n"
		"                     ZONEMD present must verify); bare --zonemd: required\n"
		"  -d, --dnssec[=POLICY]  required | optional | off (default optional: a zone\n"
		"                     with a DNSKEY RRset must verify); bare --dnssec: required\n"
		"  -t, --at TIME      check signature validity at TIME, YYYYMMDDHHmmSS (UTC) or\n"
		"                     UNIX seconds (default now)\n"
		"  -m, --margin SECONDS  signatures must still be valid SECONDS after TIME\n"
		"  -s, --live-serial N   the serial being served: the zone's must be newer\n"
		"                     (RFC 1982)\n"
		"  -j, --threads N    signature-checking threads (default: one per CPU)\n"
		"  -h, --help         this text\n"
		"\n"
		"Prints a summary and exits 0 when the zone is good (warnings are printed\n"
		"too); prints every problem and exits 1 when it is not; exits 2 on usage or\n"
		"I/O errors.\n");
}

static void print_findings(const struct ls_verify_result *res)
{
	char line[8192];
	const struct ls_zone_problems *p = res->findings;

	if (!p)
		return;
	for (size_t i = 0; i < p->count; i++) {
		ls_verify_format(line, sizeof(line), res, &p->v[i]);
		printf("%s\n", line);
	}
	if (p->suppressed)
		printf("... and %zu more problems not shown\n", p->suppressed);
}

static void print_verify_summary(const struct ls_verify_result *res)
{
	const struct ls_verify_stats *st = &res->stats;

	if (st->zonemd_ok)
		printf("zonemd:      verified\n");
	if (st->keys)
		printf("dnssec:      %zu of %zu signatures verified over %zu RRsets with %zu keys, %s chain of %zu checked (%u threads)\n",
		       st->signatures_ok, st->signatures, st->rrsets_signed, st->keys,
		       st->nsec3 ? "NSEC3" : "NSEC", st->denial, st->threads);
}

static void print_summary(const struct ls_zone *z, const struct ls_zone_problems *p)
{
	char origin[LS_DNAME_STRLEN];
	size_t ents = 0, records = ls_zone_record_count(z), mem = ls_zone_memory(z);

	for (size_t i = 0; i < ls_zone_node_count(z); i++)
		if (ls_zone_node_at(z, i)->flags & LS_ZONE_NODE_ENT)
			ents++;
	ls_dname_to_str(origin, sizeof(origin), ls_zone_origin(z));
	printf("origin:      %s\n", origin);
	printf("serial:      %u\n", ls_zone_serial(z));
	printf("records:     %zu\n", records);
	printf("names:       %zu (and %zu empty non-terminals)\n", ls_zone_node_count(z) - ents,
	       ents);
	printf("delegations: %zu\n", ls_zone_delegation_count(z));
	printf("memory:      %zu bytes (%.1f per record)\n", mem,
	       records ? (double)mem / (double)records : 0.0);
	if (p && p->warnings)
		printf("warnings:    %zu\n", p->warnings);
}

int ctl_zone_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "origin", required_argument, NULL, 'o' },
		{ "zonemd", optional_argument, NULL, 'z' },
		{ "dnssec", optional_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 't' },
		{ "margin", required_argument, NULL, 'm' },
		{ "live-serial", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t origin[LS_DNAME_MAXLEN];
	bool have_origin = false;
	struct ls_zone *zone = NULL;
	struct ls_verify_result res;
	struct ls_verify_opts vo;
	const char *path;
	char *end;
	unsigned long long num;
	int opt, err, ret;

	ls_verify_opts_init(&vo);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:z::d::t:m:s:j:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'z':
		case 'd': {
			enum ls_verify_policy *pol = opt == 'z' ? &vo.zonemd : &vo.dnssec;
			if (!optarg) {
				*pol = LS_VERIFY_REQUIRED;
			} else if (ls_verify_policy_from_str(optarg, pol) != 0) {
				fprintf(stderr,
					"lockstepctl zone-check: bad policy '%s' (required, optional, off)\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		}
		case 't':
			if (ls_verify_time_from_str(optarg, &vo.at) != 0 || vo.at == 0) {
				fprintf(stderr,
					"lockstepctl zone-check: bad time '%s' (YYYYMMDDHHmmSS or UNIX seconds)\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'm':
		case 's':
		case 'j':
			errno = 0;
			num = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    num > (opt == 'j' ? 64 : UINT32_MAX)) {
				fprintf(stderr, "lockstepctl zone-check: bad number '%s'\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			if (opt == 'm')
				vo.margin = (uint32_t)num;
			else if (opt == 's') {
				vo.has_live_serial = true;
				vo.live_serial = (uint32_t)num;
			} else
				vo.threads = (unsigned)num;
			break;
		case 'o': {
			/* "example.com" means "example.com.": origins are always absolute */
			char buf[LS_DNAME_STRLEN + 2];
			size_t len = strlen(optarg);
			if (len == 0 || len >= sizeof(buf) - 1) {
				fprintf(stderr, "lockstepctl zone-check: bad origin '%s'\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			memcpy(buf, optarg, len + 1);
			if (buf[len - 1] != '.' || (len >= 2 && buf[len - 2] == '\\'))
				strcat(buf, ".");
			if (ls_dname_from_str(origin, buf, NULL) < 0) {
				fprintf(stderr, "lockstepctl zone-check: bad origin '%s'\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			have_origin = true;
			break;
		}
		case 'h':
			zone_check_usage(stdout);
			return CTL_EXIT_OK;
		default:
			zone_check_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		zone_check_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	path = argv[optind];

	err = ls_verify_file(path, have_origin ? origin : NULL, &vo, &res, &zone);
	switch (err) {
	case 0:
		print_findings(&res); /* warnings only */
		print_summary(zone, res.findings);
		print_verify_summary(&res);
		ret = CTL_EXIT_OK;
		break;
	case -EBADMSG:
		print_findings(&res);
		printf("%zu errors, %zu warnings\n", res.findings ? res.findings->errors : 0,
		       res.findings ? res.findings->warnings : 0);
		ret = CTL_EXIT_FAIL;
		break;
	default:
		fprintf(stderr, "lockstepctl zone-check: %s: %s\n", path, strerror(-err));
		ret = CTL_EXIT_USAGE;
		break;
	}
	ls_verify_result_free(&res);
	ls_zone_free(zone);
	return ret;
}
