/* SPDX-License-Identifier: MIT */
/*
 * config.h — the configuration of lockstepd.
 *
 * Owns: reading the one YAML configuration file (through libyaml) into a
 * typed, fully validated struct ls_config; every problem found is reported as
 * "file:line:column: message" (1-based), all of them up to a cap, so an
 * operator fixes a file in one round. Also the small value parsers the CLI
 * flags share with it (durations, ADDR@PORT).
 * Must not: open sockets, touch the files the configuration names (zone
 * files, the state directory, hooks: their existence is the business of the
 * modules that use them), log, or keep global state. A struct ls_config is
 * immutable once returned; a reload builds a new one and the caller swaps.
 *
 * Hostile input is expected (the fuzzer feeds it): YAML aliases and explicit
 * tags are refused, nesting depth, node count, input size and every string's
 * length are bounded, a file holds exactly one document, NUL bytes are
 * refused.
 */
#ifndef LOCKSTEP_COMMON_CONFIG_H
#define LOCKSTEP_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/dname.h"
#include "common/log.h"

#define LS_CONFIG_DEFAULT_PATH "/etc/lockstep/lockstep.conf"

#define LS_CONFIG_MAX_ERRORS 32 /* stored; more are counted, not kept */
#define LS_CONFIG_MSG_LEN 256
#define LS_CONFIG_TEXT_LEN 512
#define LS_CONFIG_MAX_SIZE (16u << 20) /* largest configuration file, octets */
#define LS_CONFIG_ADDR_STRLEN 72 /* "[v6%scope]@65535" fits */

struct ls_config_error {
	unsigned int line; /* 1-based; 0 when the error has no position */
	unsigned int column; /* 1-based; 0 when the error has no position */
	char msg[LS_CONFIG_MSG_LEN]; /* the message alone */
	char text[LS_CONFIG_TEXT_LEN]; /* "file:line:column: message" */
};

struct ls_config_errors {
	size_t count; /* entries in err[], in file order */
	size_t total; /* errors found, including those beyond the cap */
	struct ls_config_error err[LS_CONFIG_MAX_ERRORS];
};

/* An address ready for bind(2) or connect(2); the port is always set. */
struct ls_config_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

enum ls_config_xdp {
	LS_CONFIG_XDP_OFF = 0,
	LS_CONFIG_XDP_NATIVE,
	LS_CONFIG_XDP_GENERIC,
};

/* zonemd: and dnssec: of a zone. */
enum ls_config_policy {
	LS_CONFIG_POLICY_OFF = 0,
	LS_CONFIG_POLICY_OPTIONAL, /* checked when present, absence accepted */
	LS_CONFIG_POLICY_REQUIRED, /* absence is a verification failure */
};

enum ls_config_activation {
	LS_CONFIG_ACTIVATION_IMMEDIATE = 0, /* serve each newer verified serial at once */
	LS_CONFIG_ACTIVATION_PLANS_ONLY, /* switch only at a plan's time */
};

enum ls_config_key_alg {
	LS_CONFIG_HMAC_SHA1 = 0,
	LS_CONFIG_HMAC_SHA224,
	LS_CONFIG_HMAC_SHA256,
	LS_CONFIG_HMAC_SHA384,
	LS_CONFIG_HMAC_SHA512,
};

struct ls_config_key {
	char *id; /* as written */
	uint8_t name[LS_DNAME_MAXLEN]; /* TSIG key name: the id as an absolute, lowercased name */
	enum ls_config_key_alg algorithm;
	uint8_t *secret; /* decoded; wiped by ls_config_free() */
	size_t secret_len;
};

struct ls_config_remote {
	char *id;
	struct ls_config_addr *addrs; /* tried in order */
	size_t addr_count; /* >= 1 */
	const struct ls_config_key *key; /* NULL: no TSIG */
	/*
	 * XoT (RFC 9103): transfers and SOA queries to this remote over TLS 1.3
	 * (ALPN "dot"); addresses without @PORT then default to 853. With
	 * neither tls_ca nor pins the server is not authenticated
	 * (opportunistic: encrypted, TSIG still authenticates the data); with
	 * either it is (strict), and a failure ends the attempt.
	 */
	bool tls;
	char *tls_ca; /* CA file (PEM) the server's chain must verify against; NULL: none */
	char *tls_hostname; /* name the certificate must carry (and SNI); NULL: the address */
	uint8_t (*tls_pins)[32]; /* SHA-256 of the server's SubjectPublicKeyInfo, any matches */
	size_t tls_pin_count;
};

/* catalog.groups: members whose RFC 9432 group is @name take @zone's settings. */
struct ls_config_catalog_group {
	char *name; /* the group property's value, compared exactly */
	uint8_t zone[LS_DNAME_MAXLEN]; /* settings-from: a configured zone, lowercased */
	char *domain; /* presentation form of zone */
	unsigned int line, column; /* where settings-from was written, for messages */
};

struct ls_config_catalog {
	uint8_t name[LS_DNAME_MAXLEN]; /* lowercased wire form */
	char *domain; /* presentation form of name, absolute */
	const struct ls_config_remote **primaries;
	size_t primary_count; /* >= 1 */
	const struct ls_config_remote **notify; /* sent NOTIFY when a new version serves */
	size_t notify_count; /* may be 0 */
	/*
	 * allow-transfer: who may AXFR/IXFR this catalog and its members from
	 * this node (a remote's key, from one of its addresses). Without the
	 * key (!has_allow_transfer): any key some remote uses, as before.
	 */
	const struct ls_config_remote **allow_transfer;
	size_t allow_transfer_count; /* 0 with has_allow_transfer: nobody */
	bool has_allow_transfer;
	struct ls_config_catalog_group *groups; /* group mappings, may be empty */
	size_t group_count;
};

struct ls_config_zone {
	uint8_t name[LS_DNAME_MAXLEN]; /* lowercased wire form */
	char *domain; /* presentation form of name, absolute */
	char *file; /* NULL: none */
	const struct ls_config_remote **primaries;
	size_t primary_count; /* file != NULL || primary_count >= 1 */
	const struct ls_config_remote **notify; /* sent NOTIFY when a new version serves */
	size_t notify_count; /* may be 0 */
	/* allow-transfer: as for a catalog (struct ls_config_catalog) */
	const struct ls_config_remote **allow_transfer;
	size_t allow_transfer_count;
	bool has_allow_transfer;
	enum ls_config_policy zonemd;
	enum ls_config_policy dnssec;
	enum ls_config_activation activation;
};

struct ls_config {
	char *source; /* the file name errors were reported against */

	struct {
		char *id;
		char *state_dir;
		char *spool_dir; /* NULL: no spool */
		char *control_socket; /* lockstepctl's local socket (agent/control.h) */
		uint64_t ixfr_journal_size; /* octets of IXFR diffs kept, all zones; 0: none */
	} node;

	struct {
		struct ls_config_addr *addrs; /* ports set to port */
		size_t addr_count; /* may be 0: a distribution-only node */
		uint16_t port;
		char *interface; /* NULL: none */
		enum ls_config_xdp xdp;
	} service;

	struct {
		struct ls_config_addr *listen;
		size_t listen_count;
		/* XoT listener (RFC 9103): AXFR/IXFR, SOA, NOTIFY over TLS 1.3, ALPN "dot" */
		struct ls_config_addr *tls_listen; /* ports default to 853 */
		size_t tls_listen_count;
		char *tls_certificate; /* PEM chain; required with tls_listen */
		char *tls_key; /* PEM private key; required with tls_listen */
		bool http_enabled;
		struct ls_config_addr http;
	} admin;

	struct {
		char *chrony_socket;
		bool has_ntp_server;
		struct ls_config_addr ntp_server;
		uint64_t skew_budget_ns;
		uint64_t lease_ns;
		uint64_t dnssec_margin_ns; /* signatures must stay valid this long after T */
		uint64_t margin_ns; /* added to the clock guard's error bound */
		bool kernel_check_report; /* adjtimex() STA_UNSYNC reported only, not enforced */
		char *socket_dir; /* where the chrony client's private socket directory is made */
	} clock;

	struct {
		char *on_serve; /* NULL: none */
		char *on_withdraw; /* NULL: none */
		uint64_t timeout_ns; /* a hook still running then is killed (its process group) */
	} hooks;

	enum ls_log_level log_level;

	struct ls_config_key *keys;
	size_t key_count;
	struct ls_config_remote *remotes;
	size_t remote_count;
	struct ls_config_catalog *catalogs;
	size_t catalog_count;
	struct ls_config_zone *zones;
	size_t zone_count;
};

/**
 * Read and validate the configuration file @path.
 * On success *@out is a new configuration (free with ls_config_free()) and
 * 0 is returned. Otherwise *@out is NULL, every error found is in @errs
 * (which may be NULL), and the result is -EINVAL for a bad configuration,
 * -ENOMEM, or the negative errno of opening or reading the file (that too is
 * recorded in @errs, without a position).
 */
int ls_config_load(const char *path, struct ls_config **out, struct ls_config_errors *errs);

/**
 * As ls_config_load(), from @len octets at @text (NUL bytes included, no
 * terminator needed); @name is the file name used in messages ("<string>"
 * when NULL).
 */
int ls_config_parse_string(const char *text, size_t len, const char *name, struct ls_config **out,
			   struct ls_config_errors *errs);

/** Free a configuration and wipe its key secrets. NULL is fine. */
void ls_config_free(struct ls_config *cfg);

/** The key whose TSIG name equals @id ("k1" and "K1." match), or NULL. */
const struct ls_config_key *ls_config_key_find(const struct ls_config *cfg, const char *id);

/** The remote named @id (case-sensitive), or NULL. */
const struct ls_config_remote *ls_config_remote_find(const struct ls_config *cfg, const char *id);

/** The zone whose name equals the wire name @name (case-insensitively), or NULL. */
const struct ls_config_zone *ls_config_zone_find(const struct ls_config *cfg, const uint8_t *name);

/**
 * True when two zone entries configure the same thing: name, file,
 * primaries (by remote id, in order) and policies.
 */
bool ls_config_zone_equal(const struct ls_config_zone *a, const struct ls_config_zone *b);

/**
 * Parse a duration: a decimal integer immediately followed by one unit of
 * ns, us, ms, s, m or h ("10ms", "5s"), into nanoseconds.
 * Returns 0, -EINVAL for bad syntax (no unit, unknown unit, sign, space,
 * fraction) or -ERANGE when it does not fit in 64 bits of nanoseconds.
 */
int ls_config_parse_duration(const char *str, uint64_t *ns);

/**
 * Parse a size in octets: a decimal integer, optionally followed by one
 * unit of K, M or G (binary: KiB, MiB, GiB; those spellings too), e.g.
 * "16M". Returns 0, -EINVAL for bad syntax or -ERANGE above 2^40.
 */
int ls_config_parse_size(const char *str, uint64_t *bytes);

/**
 * Parse "ADDR" or "ADDR@PORT": ADDR is an IPv4 address in dotted-quad form
 * or an IPv6 address, optionally in brackets and optionally with a zone
 * index ("fe80::1%eth0", numeric or an existing interface name). PORT is
 * decimal 1..65535; without one, @default_port is used, and when that is 0
 * a port is mandatory. Host names are not resolved.
 * Returns 0, -EINVAL for a bad address or missing port, -ERANGE for a bad
 * port number.
 */
int ls_config_parse_addr_port(const char *str, uint16_t default_port, struct ls_config_addr *addr);

/** Write @addr as "192.0.2.1@53" or "2001:db8::1@53"; returns @buf. */
const char *ls_config_addr_str(const struct ls_config_addr *addr, char *buf, size_t len);

/** "hmac-sha256" etc. */
const char *ls_config_key_alg_name(enum ls_config_key_alg alg);
/** "off", "optional", "required". */
const char *ls_config_policy_name(enum ls_config_policy policy);
/** "immediate", "plans-only". */
const char *ls_config_activation_name(enum ls_config_activation activation);
/** "off", "native", "generic". */
const char *ls_config_xdp_name(enum ls_config_xdp xdp);

/**
 * Calls @fn once for every key the parser accepts, straight from the
 * parser's own tables, in schema order: @section is "" for the top-level
 * sections, "node", "zone", … for their keys and "catalog.groups" for the
 * keys of a catalog's group entries; @required as the parser enforces it.
 * For tests and tools that must agree with the parser (docs/configuration.md
 * is checked against it by tests/unit/test_docs.c).
 */
void ls_config_keys_foreach(void (*fn)(const char *section, const char *key, bool required,
				       void *arg),
			    void *arg);

#endif
