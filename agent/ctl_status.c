/* SPDX-License-Identifier: MIT */
/*
 * ctl_status.c — lockstepctl status, zones, plans and explain: what one
 * node or a whole mesh says on its health endpoint (/status).
 *
 * Owns: a small blocking HTTP/1.1 client (IPv4/IPv6, one deadline for
 * connect + request + response, a size limit), the readiness rule of a
 * mesh ("ready for the next T": every zone with a plan is staged, every
 * zone without one is serving; an unreachable node is not ready), and the
 * tables people read (`switches`: where each node's last switch happened,
 * from its data-plane and slow-path time stamps). --json prints what
 * scripts read.
 * Must not: parse JSON by hand. Other nodes' documents are outside input;
 * json-c (the parser BIND's statistics channel uses) reads them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/ctl.h"
#include "common/http.h"

#define DEFAULT_NODE "http://127.0.0.1:8053"
#define MAX_RESPONSE (4u << 20)
#define MAX_NODES 256

struct node {
	const char *url;
	struct json_object *doc; /* the node's /status, NULL when unreachable */
	char error[256];
	bool ready;
};

/* "http://HOST[:PORT][/]", "HOST:PORT", "[V6]:PORT" or "HOST@PORT" (as in the config). */
static int split_url(const char *url, char *host, size_t hlen, char *port, size_t plen)
{
	const char *p = url, *end, *colon;

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://"))
		return -EPROTONOSUPPORT;
	end = p + strcspn(p, "/");
	snprintf(port, plen, "8053");
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		if (!rb || (size_t)(rb - p - 1) >= hlen)
			return -EINVAL;
		snprintf(host, hlen, "%.*s", (int)(rb - p - 1), p + 1);
		colon = rb + 1 < end && (rb[1] == ':' || rb[1] == '@') ? rb + 1 : NULL;
	} else {
		colon = NULL;
		for (const char *q = p; q < end; q++)
			if (*q == ':' || *q == '@')
				colon = q;
		/* a bare IPv6 address has several colons and no port */
		if (colon && *colon == ':' && memchr(p, ':', (size_t)(colon - p)))
			colon = NULL;
		if ((size_t)((colon ? colon : end) - p) >= hlen)
			return -EINVAL;
		snprintf(host, hlen, "%.*s", (int)((colon ? colon : end) - p), p);
	}
	if (colon) {
		if (end - colon - 1 < 1 || end - colon - 1 > 5)
			return -EINVAL;
		snprintf(port, plen, "%.*s", (int)(end - colon - 1), colon + 1);
	}
	return host[0] ? 0 : -EINVAL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_fd(int fd, short ev, double deadline)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	double left = deadline - now_s();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&pfd, 1, (int)(left * 1000) + 1);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* GET @path from @url; the body (NUL-terminated) into @body. */
static int http_get(const char *url, const char *path, double timeout, int *status,
		    struct ls_buf *body, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL, *a;
	char host[256], port[8];
	struct ls_buf req = { 0 }, resp = { .max = MAX_RESPONSE + 1 };
	double deadline = now_s() + timeout;
	size_t off = 0, boff, blen;
	int fd = -1, rc, e;

	if (split_url(url, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "bad node address");
		return -EINVAL;
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	rc = -ECONNREFUSED;
	for (a = ai; a; a = a->ai_next) {
		socklen_t sl = sizeof(e);

		fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && (rc = wait_fd(fd, POLLOUT, deadline)) == 0 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && (rc = -e) == 0)) {
			rc = 0;
			break;
		}
		if (rc == 0)
			rc = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		snprintf(err, errlen, "connect: %s", strerror(-rc));
		return rc;
	}
	ls_buf_printf(&req,
		      "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lockstepctl\r\n"
		      "Accept: application/json\r\nConnection: close\r\n\r\n",
		      path, host);
	while (off < req.len) {
		ssize_t w = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN && (rc = wait_fd(fd, POLLOUT, deadline)) == 0)
			continue;
		if (w < 0) {
			rc = rc ? rc : -errno;
			snprintf(err, errlen, "send: %s", strerror(-rc));
			goto close_fd;
		}
		off += (size_t)w;
	}
	for (;;) {
		char chunk[16384];
		ssize_t r = recv(fd, chunk, sizeof(chunk), 0);

		if (r == 0)
			break;
		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			rc = wait_fd(fd, POLLIN, deadline);
			if (rc) {
				snprintf(err, errlen, "no response within %.1f s", timeout);
				goto close_fd;
			}
			continue;
		}
		if (r < 0 || ls_buf_append(&resp, chunk, (size_t)r)) {
			rc = r < 0 ? -errno : -EFBIG;
			snprintf(err, errlen, "%s", r < 0 ? strerror(errno) : "response too large");
			goto close_fd;
		}
	}
	rc = ls_http_parse_response((uint8_t *)resp.data, resp.len, status, &boff, &blen);
	if (rc) {
		snprintf(err, errlen, "malformed HTTP response");
		goto close_fd;
	}
	ls_buf_append(body, resp.data + boff, blen);
close_fd:
	close(fd);
	ls_buf_free(&req);
	ls_buf_free(&resp);
	return rc;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool jnum(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static struct json_object *jobj(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* Ready for the next T: planned zones staged, the others serving. */
static bool zone_ready(struct json_object *z)
{
	const char *state = jstr(z, "state");
	bool planned = jobj(z, "plan", json_type_object) != NULL;

	if (!state)
		return false;
	return planned ? strcmp(state, "staged") == 0 : strcmp(state, "serving") == 0;
}

static void fetch(struct node *n, double timeout)
{
	struct ls_buf body = { 0 };
	enum json_tokener_error jerr;
	struct json_object *zones;
	int status = 0;

	n->ready = false;
	if (http_get(n->url, "/status", timeout, &status, &body, n->error, sizeof(n->error)))
		goto free_body;
	if (status != 200) {
		snprintf(n->error, sizeof(n->error), "HTTP status %d", status);
		goto free_body;
	}
	n->doc = json_tokener_parse_verbose(body.data ? body.data : "", &jerr);
	zones = jobj(n->doc, "zones", json_type_array);
	if (!n->doc || !zones) {
		snprintf(n->error, sizeof(n->error), "not a lockstep status document%s%s",
			 n->doc ? "" : ": ", n->doc ? "" : json_tokener_error_desc(jerr));
		json_object_put(n->doc);
		n->doc = NULL;
		goto free_body;
	}
	n->ready = true;
	for (size_t i = 0; i < json_object_array_length(zones); i++)
		if (!zone_ready(json_object_array_get_idx(zones, i)))
			n->ready = false;
free_body:
	ls_buf_free(&body);
}

static void fmt_serial(char *buf, size_t len, struct json_object *o, const char *key)
{
	int64_t v;

	if (jnum(o, key, &v))
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "-");
}

static void fmt_time(char *buf, size_t len, int64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (unix_s <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

enum view { VIEW_STATUS, VIEW_ZONES, VIEW_PLANS, VIEW_SWITCHES };

/* Microseconds from T of a switch field, "-" when the node has none. */
static void fmt_offset(char *buf, size_t len, struct json_object *sw, const char *key, int64_t t)
{
	int64_t v;

	if (key && jnum(sw, key, &v))
		v -= t;
	else if (key || !jnum(sw, "offset_ns", &v))
		v = INT64_MIN;
	if (v == INT64_MIN)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.3f", (double)v / 1e3);
}

/*
 * The last switch of every zone on every node: T (CLOCK_TAI ns), where the
 * first answer from the new generation came from and how long after T, per
 * path. Returns false when a node recorded such an answer before T, which
 * the time rule forbids (or a node was unreachable).
 */
static bool print_switches(struct node *nodes, size_t n)
{
	bool ok = true;

	printf("%-16s %-28s %-11s %-20s %12s %-5s %12s %12s\n", "NODE", "ZONE", "LIVE",
	       "T (TAI ns)", "OFFSET us", "PATH", "XDP us", "SLOW us");
	for (size_t i = 0; i < n; i++) {
		struct json_object *zones = jobj(nodes[i].doc, "zones", json_type_array);
		const char *id = jstr(nodes[i].doc, "node");

		if (!nodes[i].doc) {
			printf("%-16s %s: unreachable (%s)\n", "?", nodes[i].url, nodes[i].error);
			ok = false;
			continue;
		}
		for (size_t k = 0; k < json_object_array_length(zones); k++) {
			struct json_object *z = json_object_array_get_idx(zones, k);
			struct json_object *sw = jobj(z, "switch", json_type_object);
			char live[16], off[32], x[32], sl[32];
			int64_t t = 0, o;

			if (!sw || !jnum(sw, "at_tai_ns", &t))
				continue;
			fmt_serial(live, sizeof(live), z, "live_serial");
			fmt_offset(off, sizeof(off), sw, NULL, t);
			fmt_offset(x, sizeof(x), sw, "first_next_xdp_ns", t);
			fmt_offset(sl, sizeof(sl), sw, "first_next_slow_ns", t);
			if (jnum(sw, "offset_ns", &o) && o < 0)
				ok = false;
			printf("%-16s %-28s %-11s %-20lld %12s %-5s %12s %12s%s\n", id ? id : "?",
			       jstr(z, "zone") ? jstr(z, "zone") : "?", live, (long long)t, off,
			       jstr(sw, "path") ? jstr(sw, "path") : "-", x, sl,
			       jnum(sw, "offset_ns", &o) && o < 0 ? "  BEFORE T" : "");
		}
	}
	return ok;
}

static void print_table(struct node *nodes, size_t n, enum view view)
{
	printf("%-16s %-28s %-10s %-11s %-11s %-20s %s\n", "NODE", "ZONE", "STATE", "LIVE", "NEXT",
	       "T", view == VIEW_ZONES ? "LAST VERDICT" : "READY");
	for (size_t i = 0; i < n; i++) {
		struct json_object *zones = jobj(nodes[i].doc, "zones", json_type_array);
		const char *id = jstr(nodes[i].doc, "node");

		if (!nodes[i].doc) {
			printf("%-16s %s: unreachable (%s)\n", "?", nodes[i].url, nodes[i].error);
			continue;
		}
		for (size_t k = 0; k < json_object_array_length(zones); k++) {
			struct json_object *z = json_object_array_get_idx(zones, k);
			struct json_object *plan = jobj(z, "plan", json_type_object);
			const char *verdict = jstr(z, "last_verdict");
			char live[16], next[16], at[32];
			int64_t t = 0;

			if (view == VIEW_PLANS && !plan)
				continue;
			fmt_serial(live, sizeof(live), z, "live_serial");
			if (plan)
				fmt_serial(next, sizeof(next), plan, "serial");
			else
				fmt_serial(next, sizeof(next), z, "next_serial");
			jnum(plan, "at", &t);
			fmt_time(at, sizeof(at), t);
			printf("%-16s %-28s %-10s %-11s %-11s %-20s %s\n", id ? id : "?",
			       jstr(z, "zone") ? jstr(z, "zone") : "?",
			       jstr(z, "state") ? jstr(z, "state") : "?", live, next, at,
			       view == VIEW_ZONES ? (verdict ? verdict : "-") :
			       zone_ready(z)	  ? "yes" :
						    "no");
		}
	}
}

static int explain(struct node *nd, const char *zone)
{
	struct json_object *zones = jobj(nd->doc, "zones", json_type_array), *z = NULL, *plan;
	size_t zl = strlen(zone);
	const char *state, *reason, *v;
	char buf[32], at[32];
	int64_t t = 0;

	for (size_t k = 0; zones && k < json_object_array_length(zones) && !z; k++) {
		const char *name = jstr(json_object_array_get_idx(zones, k), "zone");

		/* "example.com" and "example.com." name the same zone */
		if (name && (strcasecmp(name, zone) == 0 ||
			     (strlen(name) == zl + 1 && strncasecmp(name, zone, zl) == 0)))
			z = json_object_array_get_idx(zones, k);
	}
	if (!z) {
		fprintf(stderr, "lockstepctl: %s: no zone %s\n", nd->url, zone);
		return CTL_EXIT_FAIL;
	}
	state = jstr(z, "state");
	reason = jstr(z, "reason");
	plan = jobj(z, "plan", json_type_object);
	printf("zone %s on node %s: %s\n", jstr(z, "zone"), jstr(nd->doc, "node") ?: "?",
	       state ?: "?");
	fmt_serial(buf, sizeof(buf), z, "live_serial");
	printf("  live serial: %s\n", buf);
	if (plan) {
		fmt_serial(buf, sizeof(buf), plan, "serial");
		jnum(plan, "at", &t);
		fmt_time(at, sizeof(at), t);
		printf("  plan: serve serial %s from %s\n", buf, at);
	}
	if (state && strcmp(state, "empty") == 0)
		printf("  why: no version has been verified yet, so the zone is silent; it "
		       "answers once a version arrives and passes verification\n");
	else if (state && strcmp(state, "serving") == 0)
		printf("  why: a verified version is live and nothing is pending\n");
	else if (state && strcmp(state, "planned") == 0)
		printf("  why: a plan was accepted but serial %s is not verified yet; if it is "
		       "not by T the zone falls silent at T\n",
		       buf);
	else if (state && strcmp(state, "staged") == 0)
		printf("  why: serial %s is verified and loaded; it answers from T\n", buf);
	else if (state && strcmp(state, "withdrawn") == 0)
		printf("  why: withdrawn (%s): %s\n", reason ?: "?",
		       !reason ? "" :
		       strcmp(reason, "missed-plan") == 0 ?
				 "T passed without a verified copy of the planned serial" :
		       strcmp(reason, "clock") == 0 ?
				 "the clock's error bound exceeds the skew budget" :
		       strcmp(reason, "expired") == 0 ?
				 "no primary refreshed the zone within SOA EXPIRE" :
		       strcmp(reason, "lease") == 0 ? "the agent's lease on the data plane lapsed" :
		       strcmp(reason, "operator") == 0 ?
						      "withdrawn by hand" :
		       strcmp(reason, "removed") == 0 ?
						      "removed from the configuration or catalog" :
						      "");
	v = jstr(z, "last_verdict");
	printf("  last verdict: %s\n", v ?: "-");
	v = jstr(z, "last_source");
	printf("  last version from: %s\n", v ?: "-");
	printf("  ready for the next T: %s\n", zone_ready(z) ? "yes" : "no");
	plan = jobj(z, "switch", json_type_object);
	if (plan && jnum(plan, "at_tai_ns", &t)) {
		char x[32], sl[32];

		fmt_offset(x, sizeof(x), plan, "first_next_xdp_ns", t);
		fmt_offset(sl, sizeof(sl), plan, "first_next_slow_ns", t);
		printf("  last switch: T = %lld ns (CLOCK_TAI); first answer from the new "
		       "generation: XDP %s us, slow path %s us after T\n",
		       (long long)t, x, sl);
	}
	return CTL_EXIT_OK;
}

static void usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"usage: lockstepctl %s [--node URL]... [--nodes FILE] [--timeout S] [--json]%s\n"
		"  --node URL    a node's health endpoint (http://ADDR:PORT, [V6]:PORT or\n"
		"                ADDR@PORT; repeatable; default " DEFAULT_NODE ")\n"
		"  --nodes FILE  one URL per line ('#' comments)\n"
		"  --timeout S   per node (default 3)\n"
		"  --json        print the nodes' documents and the verdict as JSON\n"
		"Exit status: 0 every node is ready for the next T (every zone with a plan\n"
		"staged, every other zone serving), 1 not (or unreachable), 2 usage.\n",
		cmd, strcmp(cmd, "explain") == 0 ? " ZONE" : "");
}

static int read_nodes(const char *file, struct node *nodes, size_t *n, char **store)
{
	FILE *f = fopen(file, "r");
	char line[512];

	if (!f) {
		fprintf(stderr, "lockstepctl: %s: %s\n", file, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t"), *e;

		s[strcspn(s, "#\r\n")] = '\0';
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s)
			continue;
		if (*n >= MAX_NODES) {
			fclose(f);
			fprintf(stderr, "lockstepctl: more than %d nodes\n", MAX_NODES);
			return -E2BIG;
		}
		store[*n] = strdup(s);
		nodes[*n].url = store[*n];
		(*n)++;
	}
	fclose(f);
	return 0;
}

static int run(int argc, char **argv, enum view view, bool is_explain)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "nodes", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct node *nodes = calloc(MAX_NODES, sizeof(*nodes));
	char **store = calloc(MAX_NODES, sizeof(*store));
	double timeout = 3;
	bool json = false, all_ready = true;
	size_t n = 0;
	int opt, rc = CTL_EXIT_USAGE;

	if (!nodes || !store)
		goto free_all;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (n >= MAX_NODES)
				goto free_all;
			nodes[n++].url = optarg;
			break;
		case 'f':
			if (read_nodes(optarg, nodes, &n, store))
				goto free_all;
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			if (!(timeout > 0 && timeout <= 600)) {
				fprintf(stderr, "lockstepctl: bad --timeout\n");
				goto free_all;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			rc = CTL_EXIT_OK;
			goto free_all;
		default:
			usage(stderr, argv[0]);
			goto free_all;
		}
	}
	if (optind != argc - (is_explain ? 1 : 0)) {
		usage(stderr, argv[0]);
		goto free_all;
	}
	if (n == 0)
		nodes[n++].url = DEFAULT_NODE;
	for (size_t i = 0; i < n; i++) {
		fetch(&nodes[i], timeout);
		all_ready = all_ready && nodes[i].ready;
	}
	if (is_explain) {
		rc = CTL_EXIT_OK;
		for (size_t i = 0; i < n; i++) {
			if (!nodes[i].doc) {
				fprintf(stderr, "lockstepctl: %s: unreachable (%s)\n", nodes[i].url,
					nodes[i].error);
				rc = CTL_EXIT_FAIL;
			} else if (explain(&nodes[i], argv[optind]) != CTL_EXIT_OK) {
				rc = CTL_EXIT_FAIL;
			}
		}
		goto free_all;
	}
	if (json) {
		struct json_object *out = json_object_new_object(), *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "url", json_object_new_string(nodes[i].url));
			json_object_object_add(o, "reachable",
					       json_object_new_boolean(nodes[i].doc != NULL));
			json_object_object_add(o, "ready", json_object_new_boolean(nodes[i].ready));
			json_object_object_add(
				o, "error",
				nodes[i].doc ? NULL : json_object_new_string(nodes[i].error));
			json_object_object_add(o, "status", json_object_get(nodes[i].doc));
			json_object_array_add(arr, o);
		}
		json_object_object_add(out, "ready", json_object_new_boolean(all_ready));
		json_object_object_add(out, "nodes", arr);
		puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
	} else if (view == VIEW_SWITCHES) {
		rc = print_switches(nodes, n) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
		goto free_all;
	} else {
		print_table(nodes, n, view);
		if (view == VIEW_STATUS)
			printf("\n%s\n",
			       all_ready ?
				       "mesh ready for the next switch" :
				       "mesh NOT ready: see the rows marked 'no' or unreachable");
	}
	rc = all_ready ? CTL_EXIT_OK : CTL_EXIT_FAIL;
free_all:
	for (size_t i = 0; nodes && i < MAX_NODES; i++)
		json_object_put(nodes[i].doc);
	for (size_t i = 0; store && i < MAX_NODES; i++)
		free(store[i]);
	free(nodes);
	free(store);
	return rc;
}

int ctl_status(int argc, char **argv)
{
	return run(argc, argv, VIEW_STATUS, false);
}

int ctl_zones(int argc, char **argv)
{
	return run(argc, argv, VIEW_ZONES, false);
}

int ctl_plans(int argc, char **argv)
{
	return run(argc, argv, VIEW_PLANS, false);
}

int ctl_switches(int argc, char **argv)
{
	return run(argc, argv, VIEW_SWITCHES, false);
}

int ctl_explain(int argc, char **argv)
{
	return run(argc, argv, VIEW_STATUS, true);
}
