/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for common/config: every key and default, every kind of error
 * with its exact line:column, hostile YAML (aliases, nesting, several
 * documents, tabs, NULs, binary junk, a 1 MB scalar), and the exported
 * duration and ADDR@PORT parsers; the XoT keys (remote tls-*, admin tls-*).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

static struct ls_config_errors errs;

static struct ls_config *parse_ok(const char *text)
{
	struct ls_config *cfg = NULL;
	int err = ls_config_parse_string(text, strlen(text), "t.yaml", &cfg, &errs);

	for (size_t i = 0; i < errs.count; i++)
		print_message("unexpected: %s\n", errs.err[i].text);
	assert_int_equal(err, 0);
	assert_non_null(cfg);
	assert_int_equal(errs.count, 0);
	return cfg;
}

static int parse_bad_len(const char *text, size_t len)
{
	struct ls_config *cfg = (struct ls_config *)1;
	int err = ls_config_parse_string(text, len, "t.yaml", &cfg, &errs);

	assert_true(err < 0);
	assert_null(cfg);
	return err;
}

/* The configuration fails, and among its errors is @want at @line:@col. */
static bool has_error(const char *text, unsigned line, unsigned col, const char *want)
{
	assert_int_equal(parse_bad_len(text, strlen(text)), -EINVAL);
	for (size_t i = 0; i < errs.count; i++) {
		if (errs.err[i].line == line && errs.err[i].column == col &&
		    strstr(errs.err[i].msg, want))
			return true;
	}
	print_message("wanted %u:%u: ...%s... in:\n%s\n", line, col, want, text);
	for (size_t i = 0; i < errs.count; i++)
		print_message("  got %s\n", errs.err[i].text);
	return false;
}

static void expect_error(const char *text, unsigned line, unsigned col, const char *want)
{
	if (!has_error(text, line, col, want))
		fail();
}

/* As expect_error(), and that is the only error. */
static void expect_only(const char *text, unsigned line, unsigned col, const char *want)
{
	expect_error(text, line, col, want);
	if (errs.total != 1) {
		for (size_t i = 0; i < errs.count; i++)
			print_message("  got %s\n", errs.err[i].text);
	}
	assert_int_equal(errs.total, 1);
}

static const char *addr(const struct ls_config_addr *a)
{
	static char buf[LS_CONFIG_ADDR_STRLEN];

	return ls_config_addr_str(a, buf, sizeof(buf));
}

static void test_defaults(void **state)
{
	struct ls_config *cfg = parse_ok("node: {id: n1}\n");

	assert_string_equal(cfg->source, "t.yaml");
	assert_string_equal(cfg->node.id, "n1");
	assert_string_equal(cfg->node.state_dir, "/var/lib/lockstep");
	assert_null(cfg->node.spool_dir);
	assert_string_equal(cfg->node.control_socket, "/run/lockstep/control.sock");
	assert_int_equal(cfg->clock.dnssec_margin_ns, 3600000000000ull);
	assert_int_equal(cfg->service.addr_count, 0);
	assert_int_equal(cfg->service.port, 53);
	assert_null(cfg->service.interface);
	assert_int_equal(cfg->service.xdp, LS_CONFIG_XDP_OFF);
	assert_int_equal(cfg->admin.listen_count, 0);
	assert_true(cfg->admin.http_enabled);
	assert_string_equal(addr(&cfg->admin.http), "127.0.0.1@8053");
	assert_string_equal(cfg->clock.chrony_socket, "/run/chrony/chronyd.sock");
	assert_false(cfg->clock.has_ntp_server);
	assert_int_equal(cfg->clock.skew_budget_ns, 10000000ull);
	assert_int_equal(cfg->clock.lease_ns, 5000000000ull);
	assert_null(cfg->hooks.on_serve);
	assert_null(cfg->hooks.on_withdraw);
	assert_int_equal(cfg->log_level, LS_LOG_INFO);
	assert_int_equal(cfg->key_count + cfg->remote_count + cfg->catalog_count + cfg->zone_count,
			 0);
	ls_config_free(cfg);

	/* With an interface, XDP defaults to native. */
	cfg = parse_ok("node: {id: n1}\nservice: {interface: eth0}\n");
	assert_int_equal(cfg->service.xdp, LS_CONFIG_XDP_NATIVE);
	ls_config_free(cfg);

	/* Empty sections are empty mappings and lists. */
	cfg = parse_ok("node: {id: n1}\nservice:\nadmin:\nclock:\nkey:\nremote:\ncatalog:\n"
		       "zone: []\nhooks: ~\nlog: null\n");
	ls_config_free(cfg);
	ls_config_free(NULL);
}

static const char every_key[] =
	"node:\n"
	"  id: node-1_a.b\n"
	"  state-dir: /srv/lockstep\n"
	"  spool-dir: /srv/spool\n"
	"  control-socket: /srv/ctl.sock\n"
	"service:\n"
	"  addresses: [192.0.2.53, 2001:db8::53, '[2001:db8::54]', 'fe80::1%7']\n"
	"  port: 5353\n"
	"  interface: ens3\n"
	"  xdp: generic\n"
	"admin:\n"
	"  listen: [198.51.100.1@5300, '[2001:db8::1]@53', 2001:db8::2@54, 198.51.100.2]\n"
	"  http: '[::1]@9000'\n"
	"clock:\n"
	"  chrony-socket: /run/c.sock\n"
	"  ntp-server: 192.0.2.123@1123\n"
	"  skew-budget: 500us\n"
	"  lease: 2m\n"
	"  dnssec-margin: 90m\n"
	"log:\n"
	"  level: debug\n"
	"key:\n"
	"  - {id: k1, algorithm: hmac-sha1, secret: YQ==}\n"
	"  - {id: k2, algorithm: hmac-sha224, secret: YWI=}\n"
	"  - {id: k3, algorithm: hmac-sha256, secret: YWJj}\n"
	"  - {id: xfr.example., algorithm: hmac-sha384, secret: AAEC/w==}\n"
	"  - {id: k5, algorithm: hmac-sha512, secret: \"+/+/\"}\n"
	"remote:\n"
	"  - id: p1\n"
	"    address: 198.51.100.10\n"
	"    key: K1.\n"
	"  - id: p2\n"
	"    address: [198.51.100.11@5353, 2001:db8::11]\n"
	"catalog:\n"
	"  - zone: Catalog.Invalid\n"
	"    primaries: p2\n"
	"zone:\n"
	"  - domain: Example.COM.\n"
	"    primaries: [p2, p1]\n"
	"    zonemd: required\n"
	"    dnssec: off\n"
	"    activation: plans-only\n"
	"  - domain: example.net\n"
	"    file: /z/example.net.zone\n"
	"    zonemd: off\n"
	"    dnssec: required\n"
	"  - domain: .\n"
	"    file: /z/root.zone\n"
	"    primaries: p1\n"
	"hooks:\n"
	"  on-serve: /bin/up\n"
	"  on-withdraw: /bin/down\n";

static void test_every_key(void **state)
{
	struct ls_config *cfg = parse_ok(every_key);
	const struct ls_config_zone *z;

	assert_string_equal(cfg->node.id, "node-1_a.b");
	assert_string_equal(cfg->node.state_dir, "/srv/lockstep");
	assert_string_equal(cfg->node.spool_dir, "/srv/spool");
	assert_string_equal(cfg->node.control_socket, "/srv/ctl.sock");

	assert_int_equal(cfg->service.addr_count, 4);
	assert_string_equal(addr(&cfg->service.addrs[0]), "192.0.2.53@5353");
	assert_int_equal(cfg->service.addrs[0].len, sizeof(struct sockaddr_in));
	assert_string_equal(addr(&cfg->service.addrs[1]), "2001:db8::53@5353");
	assert_int_equal(cfg->service.addrs[1].len, sizeof(struct sockaddr_in6));
	assert_string_equal(addr(&cfg->service.addrs[2]), "2001:db8::54@5353");
	assert_int_equal(((struct sockaddr_in6 *)&cfg->service.addrs[3].ss)->sin6_scope_id, 7);
	assert_int_equal(cfg->service.port, 5353);
	assert_string_equal(cfg->service.interface, "ens3");
	assert_int_equal(cfg->service.xdp, LS_CONFIG_XDP_GENERIC);

	assert_int_equal(cfg->admin.listen_count, 4);
	assert_string_equal(addr(&cfg->admin.listen[0]), "198.51.100.1@5300");
	assert_string_equal(addr(&cfg->admin.listen[1]), "2001:db8::1@53");
	assert_string_equal(addr(&cfg->admin.listen[2]), "2001:db8::2@54");
	assert_string_equal(addr(&cfg->admin.listen[3]), "198.51.100.2@53");
	assert_true(cfg->admin.http_enabled);
	assert_string_equal(addr(&cfg->admin.http), "::1@9000");

	assert_string_equal(cfg->clock.chrony_socket, "/run/c.sock");
	assert_true(cfg->clock.has_ntp_server);
	assert_string_equal(addr(&cfg->clock.ntp_server), "192.0.2.123@1123");
	assert_int_equal(cfg->clock.skew_budget_ns, 500000ull);
	assert_int_equal(cfg->clock.lease_ns, 120000000000ull);
	assert_int_equal(cfg->clock.dnssec_margin_ns, 5400000000000ull);
	assert_int_equal(cfg->log_level, LS_LOG_DEBUG);

	assert_int_equal(cfg->key_count, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(cfg->keys[i].algorithm, (enum ls_config_key_alg)i);
	assert_int_equal(cfg->keys[0].secret_len, 1);
	assert_memory_equal(cfg->keys[0].secret, "a", 1);
	assert_int_equal(cfg->keys[1].secret_len, 2);
	assert_memory_equal(cfg->keys[1].secret, "ab", 2);
	assert_int_equal(cfg->keys[2].secret_len, 3);
	assert_memory_equal(cfg->keys[2].secret, "abc", 3);
	assert_int_equal(cfg->keys[3].secret_len, 4);
	assert_memory_equal(cfg->keys[3].secret, "\x00\x01\x02\xff", 4);
	assert_memory_equal(cfg->keys[4].secret, "\xfb\xff\xbf", 3);
	assert_memory_equal(cfg->keys[0].name, "\x02k1\x00", 4);
	assert_memory_equal(cfg->keys[3].name,
			    "\x03xfr\x07"
			    "example\x00",
			    13);
	assert_string_equal(ls_config_key_alg_name(cfg->keys[2].algorithm), "hmac-sha256");

	assert_int_equal(cfg->remote_count, 2);
	assert_string_equal(cfg->remotes[0].id, "p1");
	assert_int_equal(cfg->remotes[0].addr_count, 1);
	assert_string_equal(addr(&cfg->remotes[0].addrs[0]), "198.51.100.10@53");
	assert_ptr_equal(cfg->remotes[0].key, &cfg->keys[0]); /* "K1." names k1 */
	assert_int_equal(cfg->remotes[1].addr_count, 2);
	assert_string_equal(addr(&cfg->remotes[1].addrs[0]), "198.51.100.11@5353");
	assert_string_equal(addr(&cfg->remotes[1].addrs[1]), "2001:db8::11@53");
	assert_null(cfg->remotes[1].key);

	assert_int_equal(cfg->catalog_count, 1);
	assert_string_equal(cfg->catalogs[0].domain, "catalog.invalid.");
	assert_int_equal(cfg->catalogs[0].primary_count, 1);
	assert_ptr_equal(cfg->catalogs[0].primaries[0], &cfg->remotes[1]);

	assert_int_equal(cfg->zone_count, 3);
	z = &cfg->zones[0];
	assert_string_equal(z->domain, "example.com.");
	assert_memory_equal(z->name,
			    "\x07"
			    "example\x03"
			    "com\x00",
			    13);
	assert_null(z->file);
	assert_int_equal(z->primary_count, 2);
	assert_ptr_equal(z->primaries[0], &cfg->remotes[1]);
	assert_ptr_equal(z->primaries[1], &cfg->remotes[0]);
	assert_int_equal(z->zonemd, LS_CONFIG_POLICY_REQUIRED);
	assert_int_equal(z->dnssec, LS_CONFIG_POLICY_OFF);
	assert_int_equal(z->activation, LS_CONFIG_ACTIVATION_PLANS_ONLY);
	z = &cfg->zones[1];
	assert_string_equal(z->domain, "example.net.");
	assert_string_equal(z->file, "/z/example.net.zone");
	assert_int_equal(z->primary_count, 0);
	assert_int_equal(z->zonemd, LS_CONFIG_POLICY_OFF);
	assert_int_equal(z->dnssec, LS_CONFIG_POLICY_REQUIRED);
	assert_int_equal(z->activation, LS_CONFIG_ACTIVATION_IMMEDIATE);
	z = &cfg->zones[2];
	assert_string_equal(z->domain, ".");
	assert_int_equal(z->primary_count, 1);
	assert_int_equal(z->zonemd, LS_CONFIG_POLICY_OPTIONAL);
	assert_int_equal(z->dnssec, LS_CONFIG_POLICY_OPTIONAL);

	assert_string_equal(cfg->hooks.on_serve, "/bin/up");
	assert_string_equal(cfg->hooks.on_withdraw, "/bin/down");
	ls_config_free(cfg);

	cfg = parse_ok("node: {id: n}\nadmin: {http: 'off'}\nlog: {level: error}\n");
	assert_false(cfg->admin.http_enabled);
	assert_int_equal(cfg->log_level, LS_LOG_ERR);
	ls_config_free(cfg);
}

static void test_lookups(void **state)
{
	struct ls_config *cfg = parse_ok(every_key);
	struct ls_config *cfg2 = parse_ok(every_key);
	uint8_t name[LS_DNAME_MAXLEN];

	assert_ptr_equal(ls_config_key_find(cfg, "k1"), &cfg->keys[0]);
	assert_ptr_equal(ls_config_key_find(cfg, "K1."), &cfg->keys[0]);
	assert_ptr_equal(ls_config_key_find(cfg, "XFR.example"), &cfg->keys[3]);
	assert_null(ls_config_key_find(cfg, "k9"));
	assert_null(ls_config_key_find(cfg, ""));
	assert_ptr_equal(ls_config_remote_find(cfg, "p2"), &cfg->remotes[1]);
	assert_null(ls_config_remote_find(cfg, "P2"));
	assert_int_equal(ls_dname_from_str(name, "EXAMPLE.com.", NULL), 13);
	assert_ptr_equal(ls_config_zone_find(cfg, name), &cfg->zones[0]);
	assert_int_equal(ls_dname_from_str(name, "example.org.", NULL), 13);
	assert_null(ls_config_zone_find(cfg, name));

	assert_true(ls_config_zone_equal(&cfg->zones[0], &cfg2->zones[0]));
	assert_false(ls_config_zone_equal(&cfg->zones[0], &cfg2->zones[1]));
	cfg2->zones[0].activation = LS_CONFIG_ACTIVATION_IMMEDIATE;
	assert_false(ls_config_zone_equal(&cfg->zones[0], &cfg2->zones[0]));
	ls_config_free(cfg);
	ls_config_free(cfg2);
}

static void test_example_files(void **state)
{
	struct ls_config *cfg = NULL;
	int err;

	err = ls_config_load(LS_TEST_DATA "/../../docs/lockstep.conf.example", &cfg, &errs);
	for (size_t i = 0; i < errs.count; i++)
		print_message("%s\n", errs.err[i].text);
	assert_int_equal(err, 0);
	assert_string_equal(cfg->node.id, "node1");
	assert_int_equal(cfg->zone_count, 3);
	assert_ptr_equal(cfg->remotes[0].key, &cfg->keys[0]);
	ls_config_free(cfg);

	err = ls_config_load(LS_TEST_DATA "/config/minimal.yaml", &cfg, &errs);
	assert_int_equal(err, 0);
	ls_config_free(cfg);

	err = ls_config_load(LS_TEST_DATA "/config/bad-many.yaml", &cfg, &errs);
	assert_int_equal(err, -EINVAL);
	assert_null(cfg);
	assert_true(errs.count > 5);
	assert_non_null(strstr(errs.err[0].text, "/config/bad-many.yaml:"));

	err = ls_config_load(LS_TEST_DATA "/config/does-not-exist.yaml", &cfg, &errs);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(errs.count, 1);
	assert_int_equal(errs.err[0].line, 0);
	assert_non_null(strstr(errs.err[0].text, "does-not-exist.yaml: cannot open"));

	err = ls_config_load(LS_TEST_DATA "/config", &cfg, &errs);
	assert_int_equal(err, -EINVAL);
	assert_non_null(strstr(errs.err[0].msg, "not a regular file"));

	/* errs is optional. */
	err = ls_config_load(LS_TEST_DATA "/config/bad-many.yaml", &cfg, NULL);
	assert_int_equal(err, -EINVAL);
}

struct error_case {
	const char *text;
	unsigned line, col;
	const char *msg;
};

#define N "node: {id: n}\n"

static const struct error_case error_cases[] = {
	/* YAML syntax */
	{ "node:\n  id: x\n  bad: [\n", 4, 1, "YAML: did not find expected node content" },
	{ "a: b\n c: d\n", 2, 3, "YAML: mapping values are not allowed" },
	{ "node: {id: 'x}\n", 2, 1, "YAML: found unexpected end of stream" },
	/* unknown keys, with suggestions */
	{ N "servce: {}\n", 2, 1,
	  "unknown key 'servce' at the top level (did you mean 'service'?)" },
	{ "node: {id: n, state_dir: /x}\n", 1, 15,
	  "unknown key 'state_dir' in 'node' (did you mean 'state-dir'?)" },
	{ N "zone: [{domain: a., file: /a, dnsec: off}]\n", 2, 31,
	  "unknown key 'dnsec' in a 'zone' entry (did you mean 'dnssec'?)" },
	{ N "clock: {xyzzy: 1}\n", 2, 9, "unknown key 'xyzzy' in 'clock'" },
	/* types */
	{ "node: [a]\n", 1, 7, "node: expected a mapping, found a list" },
	{ "node: x\n", 1, 7, "node: expected a mapping, found a single value" },
	{ "node: {id: [a]}\n", 1, 12, "node.id: expected a single value, found a list" },
	{ "node: {id: {a: b}}\n", 1, 12, "node.id: expected a single value, found a mapping" },
	{ "node: {id: }\n", 1, 12, "node.id: missing value" },
	{ N "service: {addresses: {a: b}}\n", 2, 22,
	  "service.addresses: expected a list, found a mapping" },
	{ N "zone: {domain: a.}\n", 2, 7, "zone: expected a list, found a mapping" },
	{ N "zone: a.\n", 2, 7, "zone: expected a list, found a single value" },
	{ N "zone: [a.]\n", 2, 8, "zone: each entry must be a mapping, found a single value" },
	{ "- a\n", 1, 1, "the configuration must be a mapping of sections, found a list" },
	{ "[a]: b\n" N, 1, 1, "expected a key name at the top level, found a list" },
	/* addresses */
	{ N "service: {addresses: [192.0.2.256]}\n", 2, 23, "bad address '192.0.2.256'" },
	{ N "service: {addresses: [192.0.2.1@53]}\n", 2, 23,
	  "must not have a port (set service.port)" },
	{ N "admin: {listen: [example.com@53]}\n", 2, 18, "bad address 'example.com@53'" },
	{ N "admin: {listen: [198.51.100.1@0]}\n", 2, 18, "bad port in '198.51.100.1@0'" },
	{ N "admin: {listen: [198.51.100.1@65536]}\n", 2, 18, "bad port" },
	{ N "admin: {listen: ['198.51.100.1@']}\n", 2, 18, "bad address" },
	{ N "admin: {http: '[192.0.2.1]@80'}\n", 2, 15, "bad address" },
	{ N "admin: {http: '[2001:db8::1@80'}\n", 2, 15, "bad address" },
	{ N "clock: {ntp-server: 'fe80::1%nosuchif0'}\n", 2, 21, "unknown interface" },
	{ N "remote: [{id: r, address: []}]\n", 2, 27,
	  "remote.address: needs at least one address" },
	/* durations */
	{ N "clock: {lease: 5}\n", 2, 16, "bad duration '5'" },
	{ N "clock: {lease: 5 s}\n", 2, 16, "bad duration" },
	{ N "clock: {lease: 1.5s}\n", 2, 16, "bad duration" },
	{ N "clock: {lease: -5s}\n", 2, 16, "bad duration" },
	{ N "clock: {lease: 5d}\n", 2, 16, "bad duration" },
	{ N "clock: {lease: 50ms}\n", 2, 16,
	  "clock.lease: duration '50ms' out of range 100ms..1h" },
	{ N "clock: {lease: 2h}\n", 2, 16, "out of range" },
	{ N "clock: {skew-budget: 0ms}\n", 2, 22, "out of range 1us..60s" },
	{ N "clock: {skew-budget: 99999999999999999999h}\n", 2, 22, "out of range" },
	{ N "clock: {dnssec-margin: 169h}\n", 2, 24,
	  "clock.dnssec-margin: duration '169h' out of range 0s..168h" },
	{ N "clock: {dnssec-margin: 1}\n", 2, 24, "bad duration '1'" },
	{ N "clock: {margin: 61s}\n", 2, 17, "clock.margin: duration '61s' out of range 0s..60s" },
	{ N "clock: {kernel-check: off}\n", 2, 23, "enforce or report" },
	{ N "clock: {socket-dir: run/lockstep}\n", 2, 21, "not an absolute path" },
	{ N "hooks: {timeout: 50ms}\n", 2, 18,
	  "hooks.timeout: duration '50ms' out of range 100ms..1h" },
	{ "node: {id: n, spool-dir: relative/dir}\n", 1, 26, "node.spool-dir" },
	/* domain names */
	{ N "zone: [{domain: a..b., file: /a}]\n", 2, 17,
	  "zone.domain: 'a..b.' is not a valid domain name" },
	{ N "catalog: [{zone: '', primaries: [r]}]\nremote: [{id: r, address: 192.0.2.1}]\n", 2, 18,
	  "not a valid domain name" },
	{ N
	  "zone: [{domain: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa., file: /a}]\n",
	  2, 17, "a label over 63 octets" },
	/* enums */
	{ N "service: {interface: e, xdp: yes}\n", 2, 30,
	  "service.xdp: bad value 'yes': expected native, generic or off" },
	{ N "zone: [{domain: a., file: /a, zonemd: maybe}]\n", 2, 39,
	  "expected required, optional or off" },
	{ N "zone: [{domain: a., file: /a, dnssec: true}]\n", 2, 39,
	  "zone.dnssec: bad value 'true'" },
	{ N "zone: [{domain: a., file: /a, activation: later}]\n", 2, 43,
	  "expected immediate or plans-only" },
	{ N "log: {level: verbose}\n", 2, 14, "expected error, warning, notice, info or debug" },
	{ N "key: [{id: k, algorithm: hmac-md5, secret: YQ==}]\n", 2, 26,
	  "key.algorithm: bad value 'hmac-md5'" },
	/* numbers */
	{ N "service: {port: 0}\n", 2, 17, "service.port: 0 out of range 1..65535" },
	{ N "service: {port: 65536}\n", 2, 17, "out of range" },
	{ N "service: {port: 99999999999}\n", 2, 17, "out of range" },
	{ N "service: {port: 0x35}\n", 2, 17, "'0x35' is not a port number" },
	{ N "service: {port: -1}\n", 2, 17, "is not a port number" },
	/* duplicate keys */
	{ "node: {id: n}\nnode: {id: m}\n", 2, 1,
	  "duplicate key 'node' at the top level (first at 1:1)" },
	{ "node:\n  id: a\n  id: b\n", 3, 3, "duplicate key 'id' in 'node' (first at 2:3)" },
	/* missing required keys */
	{ "service: {}\n", 1, 1, "missing required key 'node' at the top level" },
	{ "", 1, 1, "missing required key 'node'" },
	{ "# only a comment\n", 1, 1, "missing required key 'node'" },
	{ "node:\n  state-dir: /x\n", 1, 1, "missing required key 'id' in 'node'" },
	{ "node:\n", 1, 1, "missing required key 'id' in 'node'" },
	{ N "key:\n  - id: k\n    secret: YQ==\n", 3, 5,
	  "missing required key 'algorithm' in a 'key' entry" },
	{ N "key:\n  - id: k\n    algorithm: hmac-sha256\n", 3, 5,
	  "missing required key 'secret'" },
	{ N "remote:\n  - id: r\n", 3, 5, "missing required key 'address' in a 'remote' entry" },
	{ N "remote:\n  - address: 192.0.2.1\n", 3, 5, "missing required key 'id'" },
	{ N "zone:\n  - file: /a\n", 3, 5, "missing required key 'domain' in a 'zone' entry" },
	{ N "catalog:\n  - zone: c.\n", 3, 5,
	  "missing required key 'primaries' in a 'catalog' entry" },
	{ N "zone:\n  - domain: a.\n", 3, 5, "zone 'a.': needs 'file', 'primaries' or both" },
	{ N "zone:\n  - domain: a.\n    primaries: []\n", 3, 5,
	  "needs 'file', 'primaries' or both" },
	{ N "remote: [{id: r, address: 192.0.2.1}]\ncatalog: [{zone: c., primaries: []}]\n", 3, 33,
	  "catalog.primaries: needs at least one remote" },
	/* references */
	{ N "remote: [{id: r, address: 192.0.2.1, key: k1}]\n", 2, 43,
	  "remote.key: no key with id 'k1'" },
	{ N
	  "key: [{id: k1, algorithm: hmac-sha256, secret: YQ==}]\nremote: [{id: r, address: 192.0.2.1, key: k2}]\n",
	  3, 43, "no key with id 'k2' (did you mean 'k1'?)" },
	{ N "zone: [{domain: a., primaries: [nope]}]\n", 2, 33,
	  "zone.primaries: no remote with id 'nope'" },
	{ N "catalog: [{zone: c., primaries: primary}]\n", 2, 33,
	  "catalog.primaries: no remote with id 'primary'" },
	{ N "remote: [{id: r, address: 192.0.2.1}]\nzone: [{domain: a., primaries: [r, r]}]\n", 3,
	  36, "remote 'r' is listed twice" },
	/* duplicate ids and zones */
	{ N
	  "key: [{id: k, algorithm: hmac-sha256, secret: YQ==}, {id: K., algorithm: hmac-sha256, secret: YQ==}]\n",
	  2, 59, "key 'K.' is already defined as a key at 2:12" },
	{ N "remote:\n  - {id: r, address: 192.0.2.1}\n  - {id: r, address: 192.0.2.2}\n", 4, 10,
	  "remote 'r' is already defined as a remote at 3:10" },
	{ N "zone:\n  - {domain: a., file: /a}\n  - {domain: A, file: /b}\n", 4, 14,
	  "zone 'A' is already defined as a zone at 3:14" },
	{ N
	  "remote: [{id: r, address: 192.0.2.1}]\ncatalog: [{zone: c., primaries: r}]\nzone: [{domain: C., file: /c}]\n",
	  4, 17, "zone 'C.' is already defined as a catalog at 3:18" },
	/* other values */
	{ "node: {id: 'a b'}\n", 1, 12, "node.id: 'a b' is not a valid id" },
	{ "node: {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n", 1, 12,
	  "is not a valid id" },
	{ "node: {id: n, state-dir: var/lib}\n", 1, 26,
	  "node.state-dir: 'var/lib' is not an absolute path" },
	{ "node: {id: n, control-socket: run/c.sock}\n", 1, 31,
	  "node.control-socket: 'run/c.sock' is not an absolute path" },
	{ "node: {id: n, control-socket: /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n",
	  1, 31, "a socket path longer than 107 characters" },
	{ N "hooks: {on-serve: 'announce --up'}\n", 2, 19, "not an absolute path" },
	{ N "hooks: {on-withdraw: \"/bin/x\\ny\"}\n", 2, 22, "control character" },
	{ N "service: {interface: 'eth0/1'}\n", 2, 22, "not a valid interface name" },
	{ N "service: {interface: abcdefghijklmnopq}\n", 2, 22, "not a valid interface name" },
	{ N "service: {xdp: native}\n", 2, 16, "service.xdp: 'native' needs service.interface" },
	{ N "key: [{id: k, algorithm: hmac-sha256, secret: 'YQ='}]\n", 2, 47, "not valid base64" },
	{ N "key: [{id: k, algorithm: hmac-sha256, secret: 'YR=='}]\n", 2, 47, "not valid base64" },
	{ N "key: [{id: k, algorithm: hmac-sha256, secret: 'Y Q=='}]\n", 2, 47,
	  "not valid base64" },
	{ N "key: [{id: k, algorithm: hmac-sha256, secret: 'Y=Q='}]\n", 2, 47, "not valid base64" },
	{ N "key: [{id: k, algorithm: hmac-sha256, secret: 'YQ==YQ=='}]\n", 2, 47,
	  "not valid base64" },
	{ N "key: [{id: k.., algorithm: hmac-sha256, secret: YQ==}]\n", 2, 12,
	  "not a valid key name" },
	/* hostile YAML */
	{ "node: &a {id: x}\nservice: *a\n", 2, 10, "YAML aliases are not supported (*a)" },
	{ "node: !!map {id: !custom x}\n", 1, 18, "YAML tags are not supported ('!custom')" },
	{ "node: {id: x}\n---\nnode: {id: y}\n", 2, 1, "more than one YAML document" },
	{ "node: {id: x}\n...\n---\n", 3, 1, "more than one YAML document" },
	{ "node:\n\tid: x\n", 2, 1, "YAML does not allow tabs for indentation" },
	{ "node: {id: \"x\\0y\"}\n", 1, 12, "node.id: value contains a NUL character" },
	{ "node: {id: x}\n\"a\\e[0m\": 1\n", 2, 1, "unknown key 'a\\x1b[0m' at the top level" },
};

static void test_errors(void **state)
{
	size_t failed = 0;

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *e = &error_cases[i];

		failed += !has_error(e->text, e->line, e->col, e->msg);
	}
	assert_int_equal(failed, 0);
}

/* Errors must not cascade: one mistake, one message. */
static void test_single_errors(void **state)
{
	expect_only(N "zone: [{domain: a., file: x}]\n", 2, 27, "not an absolute path");
	expect_only(N "zone: [{domain: a., primaries: [nope]}]\n", 2, 33, "no remote");
	expect_only(N "key: [{id: k, algorithm: hmac-sha256, secret: '!'}]\n"
		      "remote: [{id: r, address: 192.0.2.1, key: k}]\n",
		    2, 47, "not valid base64");
	expect_only(N "remote: [{id: r, address: [192.0.2.1, 192.0.2.300]}]\n"
		      "zone: [{domain: a., primaries: r}]\n",
		    2, 39, "bad address");
	expect_only("node: {id: x}\nnode: {id: 'bad id'}\n", 2, 1, "duplicate key");
}

static void test_error_format(void **state)
{
	struct ls_config *cfg;

	assert_int_equal(
		ls_config_parse_string("node: {id: 'a b'}\n", 18, "/etc/x.conf", &cfg, &errs),
		-EINVAL);
	assert_int_equal(errs.count, 1);
	assert_int_equal(errs.total, 1);
	assert_string_equal(errs.err[0].text, "/etc/x.conf:1:12: node.id: 'a b' is not a valid id "
					      "(1 to 63 letters, digits, '-', '_', '.')");
	assert_int_equal(ls_config_parse_string("node: {id: 'a b'}\n", 18, NULL, &cfg, &errs),
			 -EINVAL);
	assert_non_null(strstr(errs.err[0].text, "<string>:1:12: "));
	/* NULL errs is fine. */
	assert_int_equal(ls_config_parse_string("node: {id: 'a b'}\n", 18, NULL, &cfg, NULL),
			 -EINVAL);
	assert_null(cfg);
}

/* All errors are reported, in file order, up to the cap; the rest are counted. */
static void test_many_errors(void **state)
{
	char text[8192];
	size_t off;

	off = (size_t)snprintf(text, sizeof(text), "node: {id: n}\nzone:\n");
	for (int i = 0; i < 40; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"  - {domain: z%d., file: /z, zonemd: bad}\n", i);
	off += (size_t)snprintf(text + off, sizeof(text) - off, "x: 1\n");
	parse_bad_len(text, off);
	assert_int_equal(errs.total, 41);
	assert_int_equal(errs.count, LS_CONFIG_MAX_ERRORS);
	for (size_t i = 1; i < errs.count; i++)
		assert_true(errs.err[i - 1].line < errs.err[i].line);
	assert_int_equal(errs.err[0].line, 3);
	assert_int_equal(errs.err[0].column, 37);

	/* Found last (references), reported in file order. */
	expect_error(N "zone: [{domain: a., primaries: [x]}]\nbogus: 1\n", 2, 33, "no remote");
	assert_int_equal(errs.count, 2);
	assert_int_equal(errs.err[0].line, 2);
	assert_int_equal(errs.err[1].line, 3);
}

static void test_hostile(void **state)
{
	char *big;
	size_t len;

	/* Billion laughs: refused at the first alias, nothing expanded. */
	const char *laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n"
			     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
	expect_error(laughs, 2, 8, "YAML aliases are not supported");

	/* Deep nesting, flow and block. */
	len = 20000;
	big = malloc(2 * len + 64);
	assert_non_null(big);
	memcpy(big, "node: {id: x}\nzone: ", 20);
	memset(big + 20, '[', len);
	memset(big + 20 + len, ']', len);
	parse_bad_len(big, 20 + 2 * len);
	assert_non_null(strstr(errs.err[0].msg, "YAML nesting deeper than 32 levels"));
	assert_int_equal(errs.err[0].line, 2);
	free(big);

	big = malloc(64 * 40 * 2);
	assert_non_null(big);
	len = 0;
	for (int i = 0; i < 40; i++)
		len += (size_t)sprintf(big + len, "%*sk:\n", 2 * i, "");
	parse_bad_len(big, len);
	assert_non_null(strstr(errs.err[0].msg, "nesting deeper"));
	free(big);

	/* A 1 MB scalar: as a value, as a key, and in a comment. */
	len = 1 << 20;
	big = malloc(len + 64);
	assert_non_null(big);
	memcpy(big, "node: {id: n, state-dir: /", 26);
	memset(big + 26, 'a', len);
	memcpy(big + 26 + len, "}\n", 2);
	parse_bad_len(big, 28 + len);
	assert_int_equal(errs.total, 1);
	assert_non_null(strstr(errs.err[0].msg, "path longer than"));

	memcpy(big, "node: {id: n}\n", 14);
	memset(big + 14, 'k', len);
	memcpy(big + 14 + len, ": 1\n", 4);
	/* YAML caps implicit keys at 1024 characters, so libyaml refuses it. */
	parse_bad_len(big, 18 + len);
	assert_int_equal(errs.total, 1);
	assert_non_null(strstr(errs.err[0].msg, "could not find expected ':'"));
	assert_int_equal(errs.err[0].column, len + 1);
	/* A long key within that limit is quoted, cut short, in the message. */
	memcpy(big, "node: {id: n}\n", 14);
	memset(big + 14, 'k', 1000);
	memcpy(big + 14 + 1000, ": 1\n", 4);
	parse_bad_len(big, 18 + 1000);
	assert_non_null(strstr(errs.err[0].msg, "unknown key 'kkkkkkkk"));
	assert_true(strlen(errs.err[0].msg) < 120);

	memcpy(big, "node: {id: n}\n#", 15);
	memset(big + 15, 'c', len);
	big[15 + len] = '\n';
	struct ls_config *cfg;
	assert_int_equal(ls_config_parse_string(big, 16 + len, "t", &cfg, &errs), 0);
	ls_config_free(cfg);
	free(big);

	/* A raw NUL byte, and text after it. */
	parse_bad_len("node: {id: x}\0junk", 18);
	assert_non_null(strstr(errs.err[0].msg, "control characters are not allowed"));
	assert_int_equal(errs.err[0].line, 1);
	assert_int_equal(errs.err[0].column, 14);

	/* Invalid UTF-8. */
	parse_bad_len("node: {id: \xff\xfe}\n", 15);

	/* Binary junk: deterministic pseudo-random bytes, many seeds; must not crash. */
	uint32_t x = 12345;
	char junk[512];
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(round % 500) + 1;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			/* Bias towards YAML's own syntax so the parser gets past byte 1. */
			static const char alpha[] = "{}[]:,-&*!|>'\"#%@`? \n\tab1.";
			junk[i] = (round & 1) ? (char)(x >> 16) :
						alpha[(x >> 16) % (sizeof(alpha) - 1)];
		}
		if (ls_config_parse_string(junk, n, "junk", &cfg, &errs) == 0)
			ls_config_free(cfg);
		else
			assert_true(errs.count > 0);
	}

	/* Too large. */
	assert_int_equal(ls_config_parse_string("", LS_CONFIG_MAX_SIZE + 1, "t", &cfg, &errs),
			 -EINVAL);
	assert_non_null(strstr(errs.err[0].msg, "larger than"));
}

static void test_duration(void **state)
{
	uint64_t ns = 0;

	assert_int_equal(ls_config_parse_duration("10ms", &ns), 0);
	assert_int_equal(ns, 10000000ull);
	assert_int_equal(ls_config_parse_duration("0ns", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(ls_config_parse_duration("7ns", &ns), 0);
	assert_int_equal(ns, 7);
	assert_int_equal(ls_config_parse_duration("500us", &ns), 0);
	assert_int_equal(ns, 500000ull);
	assert_int_equal(ls_config_parse_duration("2s", &ns), 0);
	assert_int_equal(ns, 2000000000ull);
	assert_int_equal(ls_config_parse_duration("5m", &ns), 0);
	assert_int_equal(ns, 300000000000ull);
	assert_int_equal(ls_config_parse_duration("1h", &ns), 0);
	assert_int_equal(ns, 3600000000000ull);
	assert_int_equal(ls_config_parse_duration("18446744073709551615ns", &ns), 0);
	assert_int_equal(ns, UINT64_MAX);
	assert_int_equal(ls_config_parse_duration("18446744073709551616ns", &ns), -ERANGE);
	assert_int_equal(ls_config_parse_duration("5124096h", &ns), -ERANGE);
	assert_int_equal(ls_config_parse_duration("5124095h", &ns), 0);
	static const char *const bad[] = {
		"",    "s",    "10",   "10 ms", " 10ms", "10ms ", "-1s",
		"+1s", "1.5s", "10MS", "1d",	"1sec",	 "1m30s", "0x10s"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ls_config_parse_duration(bad[i], &ns), -EINVAL);
}

static void test_addr_port(void **state)
{
	struct ls_config_addr a;
	char buf[LS_CONFIG_ADDR_STRLEN];
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a.ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a.ss;

	assert_int_equal(ls_config_parse_addr_port("192.0.2.1", 53, &a), 0);
	assert_int_equal(a.ss.ss_family, AF_INET);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(s4->sin_port), 53);
	assert_int_equal(ntohl(s4->sin_addr.s_addr), 0xc0000201);
	assert_int_equal(ls_config_parse_addr_port("192.0.2.1@5353", 53, &a), 0);
	assert_int_equal(ntohs(s4->sin_port), 5353);
	assert_int_equal(ls_config_parse_addr_port("2001:db8::1@53", 0, &a), 0);
	assert_int_equal(a.ss.ss_family, AF_INET6);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(s6->sin6_port), 53);
	assert_string_equal(ls_config_addr_str(&a, buf, sizeof(buf)), "2001:db8::1@53");
	assert_int_equal(ls_config_parse_addr_port("[2001:db8::1]@8053", 0, &a), 0);
	assert_int_equal(ntohs(s6->sin6_port), 8053);
	assert_int_equal(ls_config_parse_addr_port("[2001:db8::1]", 7, &a), 0);
	assert_int_equal(ntohs(s6->sin6_port), 7);
	assert_int_equal(ls_config_parse_addr_port("::ffff:192.0.2.1", 1, &a), 0);
	assert_int_equal(a.ss.ss_family, AF_INET6);
	assert_int_equal(ls_config_parse_addr_port("fe80::1%3@53", 0, &a), 0);
	assert_int_equal(s6->sin6_scope_id, 3);
	assert_int_equal(ls_config_parse_addr_port("fe80::1%lo", 53, &a), 0);
	assert_true(s6->sin6_scope_id > 0);
	assert_string_equal(ls_config_addr_str(&a, buf, sizeof(buf)), "fe80::1%lo@53");
	assert_int_equal(ls_config_parse_addr_port("fe80::1%no-such-if9", 53, &a), -ENODEV);

	/* A port is mandatory when there is no default. */
	assert_int_equal(ls_config_parse_addr_port("192.0.2.1", 0, &a), -EINVAL);
	assert_int_equal(ls_config_parse_addr_port("192.0.2.1@0", 53, &a), -ERANGE);
	assert_int_equal(ls_config_parse_addr_port("192.0.2.1@65536", 53, &a), -ERANGE);
	assert_int_equal(ls_config_parse_addr_port("192.0.2.1@99999999999999999999", 53, &a),
			 -ERANGE);
	static const char *const bad[] = {
		"",
		"@53",
		"192.0.2.1@",
		"192.0.2.1@x",
		"192.0.2.1@+53",
		"192.0.2",
		"192.0.2.1.",
		" 192.0.2.1",
		"localhost",
		"[192.0.2.1]",
		"[2001:db8::1",
		"2001:db8::1]",
		"[]@53",
		"2001:db8::g",
		"fe80::1%",
		"1.2.3.4@53@53",
		"fe80::1%1x",
		"192.0.2.1%1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = ls_config_parse_addr_port(bad[i], 53, &a);

		if (err != -EINVAL)
			print_message("%s: %d\n", bad[i], err);
		assert_true(err == -EINVAL);
	}
}

static void test_names(void **state)
{
	assert_string_equal(ls_config_key_alg_name(LS_CONFIG_HMAC_SHA512), "hmac-sha512");
	assert_string_equal(ls_config_policy_name(LS_CONFIG_POLICY_OFF), "off");
	assert_string_equal(ls_config_policy_name(LS_CONFIG_POLICY_REQUIRED), "required");
	assert_string_equal(ls_config_activation_name(LS_CONFIG_ACTIVATION_PLANS_ONLY),
			    "plans-only");
	assert_string_equal(ls_config_xdp_name(LS_CONFIG_XDP_GENERIC), "generic");
}

/* catalog.groups: RFC 9432 group names mapped to a configured zone's settings. */
/* The clock guard's and the hooks' options (agent/clockguard.h, agent/hooks.h). */
static void test_clock_and_hooks(void **state)
{
	struct ls_config *cfg = parse_ok("node: {id: n1}\n");

	assert_int_equal(cfg->clock.margin_ns, 0);
	assert_false(cfg->clock.kernel_check_report);
	assert_string_equal(cfg->clock.socket_dir, "/run/lockstep");
	assert_int_equal(cfg->hooks.timeout_ns, 10000000000ull);
	ls_config_free(cfg);
	cfg = parse_ok("node: {id: n1}\n"
		       "clock: {margin: 250us, kernel-check: report, socket-dir: /run/x}\n"
		       "hooks: {on-serve: /bin/up, timeout: 3s}\n");
	assert_int_equal(cfg->clock.margin_ns, 250000ull);
	assert_true(cfg->clock.kernel_check_report);
	assert_string_equal(cfg->clock.socket_dir, "/run/x");
	assert_int_equal(cfg->hooks.timeout_ns, 3000000000ull);
	ls_config_free(cfg);
	cfg = parse_ok("node: {id: n1}\nclock: {kernel-check: enforce, margin: 0s}\n");
	assert_false(cfg->clock.kernel_check_report);
	ls_config_free(cfg);
}

static void test_catalog_groups(void **state)
{
	static const char base[] = "node: {id: n1}\n"
				   "remote: [{id: r, address: 192.0.2.1}]\n"
				   "zone: [{domain: tpl.example., file: /z, dnssec: required}]\n";
	char text[1024];
	struct ls_config *cfg;

	snprintf(text, sizeof(text),
		 "%scatalog:\n  - zone: catz.\n    primaries: r\n    groups:\n"
		 "      - {group: signed, settings-from: TPL.example}\n",
		 base);
	cfg = parse_ok(text);
	assert_int_equal(cfg->catalogs[0].group_count, 1);
	assert_string_equal(cfg->catalogs[0].groups[0].name, "signed");
	assert_string_equal(cfg->catalogs[0].groups[0].domain, "tpl.example.");
	assert_ptr_equal(ls_config_zone_find(cfg, cfg->catalogs[0].groups[0].zone), &cfg->zones[0]);
	ls_config_free(cfg);

	snprintf(text, sizeof(text),
		 "%scatalog:\n  - zone: catz.\n    primaries: r\n    groups:\n"
		 "      - {group: signed, settings-from: nope.example.}\n",
		 base);
	expect_only(text, 8, 40, "'nope.example.' is not a configured zone");
	snprintf(text, sizeof(text),
		 "%scatalog:\n  - zone: catz.\n    primaries: r\n    groups:\n"
		 "      - {group: a, settings-from: tpl.example.}\n"
		 "      - {group: a, settings-from: tpl.example.}\n",
		 base);
	expect_only(text, 9, 35, "group 'a' mapped twice");
	snprintf(text, sizeof(text),
		 "%scatalog:\n  - zone: catz.\n    primaries: r\n    groups:\n"
		 "      - {group: a}\n",
		 base);
	expect_only(text, 8, 9, "missing required key 'settings-from'");
	snprintf(text, sizeof(text),
		 "%scatalog:\n  - zone: catz.\n    primaries: r\n    groups: x\n", base);
	expect_only(text, 7, 13, "expected a list");
}

/* notify: on zones and catalogs, a list of remote ids like primaries. */
static void test_notify_lists(void **state)
{
	static const char base[] =
		"node: {id: n1}\nremote: [{id: r, address: 192.0.2.1}, {id: s, address: 192.0.2.2}]\n";
	char text[1024];
	struct ls_config *cfg;

	snprintf(text, sizeof(text),
		 "%szone: [{domain: a.example., primaries: r, notify: [s, r]},\n"
		 "       {domain: b.example., primaries: r}]\n"
		 "catalog: [{zone: catz., primaries: r, notify: s}]\n",
		 base);
	cfg = parse_ok(text);
	assert_int_equal(cfg->zones[0].notify_count, 2);
	assert_string_equal(cfg->zones[0].notify[0]->id, "s");
	assert_string_equal(cfg->zones[0].notify[1]->id, "r");
	assert_int_equal(cfg->zones[1].notify_count, 0);
	assert_null(cfg->zones[1].notify);
	assert_int_equal(cfg->catalogs[0].notify_count, 1);
	assert_string_equal(cfg->catalogs[0].notify[0]->id, "s");
	ls_config_free(cfg);

	snprintf(text, sizeof(text), "%szone: [{domain: a.example., primaries: r, notify: [t]}]\n",
		 base);
	assert_true(has_error(text, 3, 52, "no remote with id 't'"));
	snprintf(text, sizeof(text),
		 "%szone: [{domain: a.example., primaries: r, notify: [s, s]}]\n", base);
	assert_true(has_error(text, 3, 55, "remote 's' is listed twice"));
}

/*
 * allow-transfer: on zones and catalogs, remote ids that must have a key;
 * absent means "as before" (has_allow_transfer false), an empty list
 * means nobody.
 */
static void test_allow_transfer(void **state)
{
	static const char base[] =
		"node: {id: n1}\nkey: [{id: k, algorithm: hmac-sha256, secret: c2VjcmV0}]\n"
		"remote: [{id: r, address: 192.0.2.1, key: k}, {id: s, address: 192.0.2.2, key: k},\n"
		"         {id: nokey, address: 192.0.2.3}]\n";
	char text[1024];
	struct ls_config *cfg;

	snprintf(text, sizeof(text),
		 "%szone: [{domain: a.example., primaries: r, allow-transfer: [s, r]},\n"
		 "       {domain: b.example., primaries: r},\n"
		 "       {domain: c.example., primaries: r, allow-transfer: []}]\n"
		 "catalog: [{zone: catz., primaries: r, allow-transfer: s}]\n",
		 base);
	cfg = parse_ok(text);
	assert_true(cfg->zones[0].has_allow_transfer);
	assert_int_equal(cfg->zones[0].allow_transfer_count, 2);
	assert_string_equal(cfg->zones[0].allow_transfer[0]->id, "s");
	assert_string_equal(cfg->zones[0].allow_transfer[1]->id, "r");
	assert_false(cfg->zones[1].has_allow_transfer);
	assert_int_equal(cfg->zones[1].allow_transfer_count, 0);
	assert_true(cfg->zones[2].has_allow_transfer);
	assert_int_equal(cfg->zones[2].allow_transfer_count, 0);
	assert_true(cfg->catalogs[0].has_allow_transfer);
	assert_int_equal(cfg->catalogs[0].allow_transfer_count, 1);
	assert_string_equal(cfg->catalogs[0].allow_transfer[0]->id, "s");
	ls_config_free(cfg);

	/* hostile and wrong: unknown ids, twice, a remote without key, not a list */
	snprintf(text, sizeof(text),
		 "%szone: [{domain: a.example., primaries: r, allow-transfer: [t]}]\n", base);
	assert_true(has_error(text, 5, 60, "no remote with id 't'"));
	snprintf(text, sizeof(text),
		 "%szone: [{domain: a.example., primaries: r, allow-transfer: [s, s]}]\n", base);
	assert_true(has_error(text, 5, 63, "remote 's' is listed twice"));
	snprintf(text, sizeof(text),
		 "%szone: [{domain: a.example., primaries: r, allow-transfer: [s, nokey]}]\n",
		 base);
	assert_true(has_error(text, 5, 63, "remote 'nokey' has no key"));
	snprintf(text, sizeof(text),
		 "%scatalog: [{zone: catz., primaries: r, allow-transfer: nokey}]\n", base);
	assert_true(has_error(text, 5, 55, "remote 'nokey' has no key"));
	snprintf(text, sizeof(text),
		 "%szone: [{domain: a.example., primaries: r, allow-transfer: {r: 1}}]\n", base);
	assert_true(has_error(text, 5, 59, "expected a list"));
	snprintf(text, sizeof(text),
		 "%szone: [{domain: a.example., primaries: r, allow-transfer: [[r]]}]\n", base);
	assert_true(has_error(text, 5, 60, "expected a single value"));
}

/* XoT (RFC 9103): a remote's tls keys, its port default, admin.tls-*. */
static void test_xot_options(void **state)
{
	static const char pin[] = "JRqCvpMgyF7bwYCYQm3yHIS2rfWvhE4cOhSNr75L7X0=";
	char text[1024];
	struct ls_config *cfg;

	snprintf(text, sizeof(text),
		 "node: {id: n1}\n"
		 "admin: {tls-listen: [192.0.2.9, '192.0.2.9@8853'], tls-certificate: /c.pem,\n"
		 "        tls-key: /k.pem}\n"
		 "remote:\n"
		 "  - {id: r, address: [192.0.2.1, '192.0.2.2@8853', '2001:db8::1'], tls: true,\n"
		 "     tls-ca: /ca.pem, tls-hostname: primary.example, tls-pin-sha256: [%s, %s]}\n"
		 "  - {address: 192.0.2.3, id: plain}\n"
		 "  - {tls: true, id: opp, address: 192.0.2.4, tls-pin-sha256: %s}\n"
		 "zone: [{domain: a.example., primaries: [r, plain, opp]}]\n",
		 pin, pin, pin);
	cfg = parse_ok(text);
	assert_int_equal(cfg->admin.tls_listen_count, 2);
	assert_string_equal(addr(&cfg->admin.tls_listen[0]), "192.0.2.9@853");
	assert_string_equal(addr(&cfg->admin.tls_listen[1]), "192.0.2.9@8853");
	assert_string_equal(cfg->admin.tls_certificate, "/c.pem");
	assert_string_equal(cfg->admin.tls_key, "/k.pem");
	assert_true(cfg->remotes[0].tls);
	assert_string_equal(addr(&cfg->remotes[0].addrs[0]), "192.0.2.1@853");
	assert_string_equal(addr(&cfg->remotes[0].addrs[1]), "192.0.2.2@8853");
	assert_string_equal(addr(&cfg->remotes[0].addrs[2]), "2001:db8::1@853");
	assert_string_equal(cfg->remotes[0].tls_ca, "/ca.pem");
	assert_string_equal(cfg->remotes[0].tls_hostname, "primary.example");
	assert_int_equal(cfg->remotes[0].tls_pin_count, 2);
	assert_int_equal(cfg->remotes[0].tls_pins[0][0], 0x25); /* 'J','R' -> 0x25 */
	assert_int_equal(cfg->remotes[0].tls_pins[1][31], 0x7d);
	/* a plain remote keeps port 53, whatever the order of its keys */
	assert_false(cfg->remotes[1].tls);
	assert_string_equal(addr(&cfg->remotes[1].addrs[0]), "192.0.2.3@53");
	assert_null(cfg->remotes[1].tls_ca);
	/* tls before address: still 853 */
	assert_true(cfg->remotes[2].tls);
	assert_string_equal(addr(&cfg->remotes[2].addrs[0]), "192.0.2.4@853");
	assert_null(cfg->remotes[2].tls_ca);
	assert_int_equal(cfg->remotes[2].tls_pin_count, 1);
	ls_config_free(cfg);

	/* defaults: no TLS anywhere */
	cfg = parse_ok("node: {id: n1}\nremote: [{id: r, address: 192.0.2.1}]\n");
	assert_false(cfg->remotes[0].tls);
	assert_int_equal(cfg->remotes[0].tls_pin_count, 0);
	assert_null(cfg->remotes[0].tls_pins);
	assert_int_equal(cfg->admin.tls_listen_count, 0);
	assert_null(cfg->admin.tls_certificate);
	ls_config_free(cfg);

	/* hostile and inconsistent values */
	expect_only("node: {id: n1}\nremote: [{id: r, address: 192.0.2.1, tls: yes}]\n", 2, 43,
		    "remote.tls: bad value 'yes': expected true or false");
	expect_only("node: {id: n1}\nremote: [{id: r, address: 192.0.2.1, tls: true, "
		    "tls-pin-sha256: [abcd]}]\n",
		    2, 66, "expected the base64 of a SHA-256 digest");
	expect_only("node: {id: n1}\nremote: [{id: r, address: 192.0.2.1, tls: true, "
		    "tls-pin-sha256: 'JRqCvpMgyF7bwYCYQm3yHIS2rfWvhE4cOhSNr75L7X0'}]\n",
		    2, 65, "expected the base64 of a SHA-256 digest");
	expect_only("node: {id: n1}\nremote: [{id: r, address: 192.0.2.1, tls: true, "
		    "tls-ca: ca.pem}]\n",
		    2, 57, "not an absolute path");
	expect_only("node: {id: n1}\nremote: [{id: r, address: 192.0.2.1, tls: true, "
		    "tls-ca: /ca.pem, tls-hostname: 'a b'}]\n",
		    2, 80, "'a b' is not a host name");
	expect_only("node: {id: n1}\nremote: [{id: r, address: 192.0.2.1, tls-ca: /ca.pem}]\n", 2,
		    15, "remote 'r': tls-ca, tls-hostname and tls-pin-sha256 need tls: true");
	expect_only("node: {id: n1}\nremote: [{id: r, address: 192.0.2.1, tls: true, "
		    "tls-hostname: x.example}]\n",
		    2, 15, "remote 'r': tls-hostname is checked against tls-ca's chain");
	expect_only("node: {id: n1}\nadmin: {tls-listen: 192.0.2.9}\n", 2, 9,
		    "admin: tls-listen, tls-certificate and tls-key go together");
	expect_only("node: {id: n1}\nadmin: {tls-certificate: /c.pem, tls-key: /k.pem}\n", 2, 9,
		    "admin: tls-listen, tls-certificate and tls-key go together");
	expect_only("node: {id: n1}\nadmin: {tls-listen: '192.0.2.9@0', tls-certificate: /c.pem,"
		    " tls-key: /k.pem}\n",
		    2, 21, "bad port");
}

/* node.ixfr-journal-size: a size with K/M/G units; 0 turns the journal off. */
static void test_ixfr_journal_size(void **state)
{
	struct ls_config *cfg = parse_ok("node: {id: n1}\n");
	uint64_t b = 0;

	assert_int_equal(cfg->node.ixfr_journal_size, 16u << 20); /* the default */
	ls_config_free(cfg);
	cfg = parse_ok("node: {id: n1, ixfr-journal-size: 64M}\n");
	assert_int_equal(cfg->node.ixfr_journal_size, 64u << 20);
	ls_config_free(cfg);
	cfg = parse_ok("node: {id: n1, ixfr-journal-size: 0}\n");
	assert_int_equal(cfg->node.ixfr_journal_size, 0);
	ls_config_free(cfg);
	expect_only("node: {id: n1, ixfr-journal-size: 16 MB}\n", 1, 35, "bad size '16 MB'");
	expect_only("node: {id: n1, ixfr-journal-size: 2048G}\n", 1, 35, "out of range");
	expect_only("node: {id: n1, ixfr-journal-size: [1]}\n", 1, 35, "ixfr-journal-size");
	assert_int_equal(ls_config_parse_size("1024", &b), 0);
	assert_int_equal(b, 1024);
	assert_int_equal(ls_config_parse_size("3K", &b), 0);
	assert_int_equal(b, 3072);
	assert_int_equal(ls_config_parse_size("2GiB", &b), 0);
	assert_int_equal(b, 2ull << 30);
	assert_int_equal(ls_config_parse_size("1024G", &b), 0);
	assert_int_equal(b, 1ull << 40);
	assert_int_equal(ls_config_parse_size("1025G", &b), -ERANGE);
	assert_int_equal(ls_config_parse_size("99999999999999999999999999", &b), -ERANGE);
	static const char *const bad[] = {
		"", "M", "-1", "1.5M", "1 M", "1m", "1MB", "0x10", "1KK"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ls_config_parse_size(bad[i], &b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_groups), cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),      cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_example_files),  cmocka_unit_test(test_errors),
		cmocka_unit_test(test_single_errors),  cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_many_errors),    cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_duration),       cmocka_unit_test(test_addr_port),
		cmocka_unit_test(test_names),	       cmocka_unit_test(test_clock_and_hooks),
		cmocka_unit_test(test_notify_lists),   cmocka_unit_test(test_xot_options),
		cmocka_unit_test(test_allow_transfer), cmocka_unit_test(test_ixfr_journal_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
