/* SPDX-License-Identifier: MIT */
/*
 * newzone_send — send one NEWZONE_NOTIFY (or, with -u, a real DNS UPDATE)
 * over UDP and print the RCODE of the answer, for
 * tests/integration/test_newzone.sh. The request is built by
 * ls_newzone_request() (common/newzone.h) and signed with ls_tsig_sign()
 * when a key is given, so the test exercises the same wire form lockstep
 * itself reads.
 *
 *   newzone_send [-b SOURCE] [-y ALG:NAME:SECRET] [-u] SERVER[@PORT] ZONE MASTER MASTER-ADDR
 *
 * Prints "NOERROR", "REFUSED", ... and, when the answer is signed, " tsig".
 * Exit 0 when an answer came, 1 on usage or local errors, 2 when none came
 * within 15 s (the node's SOA/NS exchange with the master takes up to 10 s).
 * Must not: be used against anything but the test's own namespaces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/dname.h"
#include "common/message.h"
#include "common/newzone.h"
#include "common/tsig.h"

static int usage(void)
{
	fprintf(stderr, "usage: newzone_send [-b SOURCE] [-y ALG:NAME:SECRET] [-u] SERVER[@PORT] "
			"ZONE MASTER MASTER-ADDR\n");
	return 1;
}

/* ADDR or ADDR@PORT into @ss. */
static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[128];
	char *at;

	snprintf(buf, sizeof(buf), "%s", s);
	at = strrchr(buf, '@');
	if (at) {
		*at = '\0';
		port = (uint16_t)atoi(at + 1);
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons(port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -EINVAL;
}

/* The key of "-y ALG:NAME:SECRET", read through the configuration parser. */
static struct ls_config *key_config(const char *spec)
{
	char alg[32], name[256], secret[256], text[1024];
	struct ls_config_errors *errs = malloc(sizeof(*errs));
	struct ls_config *cfg = NULL;

	if (!errs || sscanf(spec, "%31[^:]:%255[^:]:%255s", alg, name, secret) != 3)
		goto free_errs;
	snprintf(text, sizeof(text),
		 "node: {id: sender}\nkey:\n  - id: %s\n    algorithm: %s\n    secret: %s\n", name,
		 alg, secret);
	if (ls_config_parse_string(text, strlen(text), "-y", &cfg, errs) != 0)
		cfg = NULL;
free_errs:
	free(errs);
	return cfg;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage src, dst, maddr;
	socklen_t srclen = 0, dstlen, mlen;
	uint8_t zone[LS_DNAME_MAXLEN], master[LS_DNAME_MAXLEN], buf[4096];
	const char *source = NULL, *keyspec = NULL;
	struct ls_config *kcfg = NULL;
	bool update = false;
	struct ls_msg m;
	struct pollfd pfd;
	ssize_t n;
	size_t len;
	int opt, fd = -1, rc = 1, w;

	while ((opt = getopt(argc, argv, "b:y:u")) != -1) {
		if (opt == 'b')
			source = optarg;
		else if (opt == 'y')
			keyspec = optarg;
		else if (opt == 'u')
			update = true;
		else
			return usage();
	}
	if (argc - optind != 4)
		return usage();
	if (parse_addr(argv[optind], 53, &dst, &dstlen) ||
	    parse_addr(argv[optind + 3], 53, &maddr, &mlen) ||
	    (source && parse_addr(source, 0, &src, &srclen)) ||
	    ls_dname_from_str(zone, argv[optind + 1], NULL) <= 0 ||
	    ls_dname_from_str(master, argv[optind + 2], NULL) <= 0)
		return usage();
	if (keyspec && !(kcfg = key_config(keyspec))) {
		fprintf(stderr, "newzone_send: bad key %s\n", keyspec);
		return 1;
	}
	if (update) {
		/* RFC 2136: the zone section is the zone's SOA question */
		struct ls_msg_writer wr;

		ls_msg_writer_init(&wr, buf, sizeof(buf));
		ls_msg_set_header(&wr, 0x5151, LS_OPCODE_UPDATE << LS_OPCODE_SHIFT);
		w = ls_msg_put_question(&wr, zone, LS_TYPE_SOA, LS_CLASS_IN);
		w = w ? w : (int)ls_msg_len(&wr);
	} else {
		w = ls_newzone_request(0x4e5a, zone, master, &maddr, 1, buf, sizeof(buf));
	}
	if (w < 0) {
		fprintf(stderr, "newzone_send: cannot build the request: %s\n", strerror(-w));
		goto free_cfg;
	}
	len = (size_t)w;
	if (kcfg) {
		struct ls_tsig t;

		ls_tsig_init(&t, &kcfg->keys[0]);
		w = ls_tsig_sign(&t, buf, &len, sizeof(buf), (uint64_t)time(NULL), 0);
		ls_tsig_clear(&t);
		if (w) {
			fprintf(stderr, "newzone_send: cannot sign: %s\n", strerror(-w));
			goto free_cfg;
		}
	}
	fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (source && bind(fd, (struct sockaddr *)&src, srclen) < 0) ||
	    sendto(fd, buf, len, 0, (struct sockaddr *)&dst, dstlen) != (ssize_t)len) {
		fprintf(stderr, "newzone_send: %s\n", strerror(errno));
		goto close_fd;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	rc = 2;
	if (poll(&pfd, 1, 15000) != 1)
		goto close_fd;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0 || ls_msg_parse(&m, buf, (size_t)n) != 0) {
		fprintf(stderr, "newzone_send: no usable answer\n");
		goto close_fd;
	}
	printf("%s%s\n",
	       ls_msg_rcode_name(ls_msg_rcode(&m)) ? ls_msg_rcode_name(ls_msg_rcode(&m)) : "?",
	       m.has_tsig ? " tsig" : "");
	rc = 0;
close_fd:
	if (fd >= 0)
		close(fd);
free_cfg:
	ls_config_free(kcfg);
	return rc;
}
