/* SPDX-License-Identifier: MIT */
/*
 * store.c — see store.h.
 *
 * A version is serialised into one buffer and written with a single
 * write loop: for a million records that is ~40 MB and one fsync(), which
 * costs far less than the checksum and far less than verification. Reading
 * takes the whole file into memory, checks the checksum before parsing a
 * single record (so a corrupted length can never send the parser astray),
 * and parses with explicit bounds anyway.
 */
#include "agent/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "common/grow.h"
#include "common/serial.h"

#define MAGIC "LSZONE1\n"
#define FORMAT 1u
#define HASH_LEN 32
#define PLAN_MAX 256

struct ls_store {
	char *dir;
	int dirfd;
};

/* ---- helpers ------------------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t n)
{
	uint8_t *p = ls_grow(b->p, &b->cap, b->len + n, 1, 65536);

	if (!p)
		return -ENOMEM;
	b->p = p;
	return 0;
}

static void put_u8(struct buf *b, uint8_t v)
{
	b->p[b->len++] = v;
}

static void put_u16(struct buf *b, uint16_t v)
{
	b->p[b->len++] = (uint8_t)(v >> 8);
	b->p[b->len++] = (uint8_t)v;
}

static void put_u32(struct buf *b, uint32_t v)
{
	put_u16(b, (uint16_t)(v >> 16));
	put_u16(b, (uint16_t)v);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void put_bytes(struct buf *b, const void *p, size_t n)
{
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* A bounded reader: every get fails once past the end, and stays failed. */
struct rd {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

static const uint8_t *get(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->len - r->pos < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint64_t get_be(struct rd *r, size_t n)
{
	const uint8_t *p = get(r, n);
	uint64_t v = 0;

	for (size_t i = 0; p && i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int sha256(const uint8_t *p, size_t len, uint8_t out[HASH_LEN])
{
	unsigned int n = HASH_LEN;

	return EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write @len octets to @name in the store atomically and durably. */
static int atomic_write(struct ls_store *s, const char *name, const uint8_t *p, size_t len)
{
	char tmp[512];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	err = write_all(fd, p, len);
	if (!err && fsync(fd) != 0)
		err = -errno;
	if (close(fd) != 0 && !err)
		err = -errno;
	if (err)
		goto unlink_tmp;
	if (renameat(s->dirfd, tmp, s->dirfd, name) != 0) {
		err = -errno;
		goto unlink_tmp;
	}
	/* the rename itself is durable only once the directory is */
	if (fsync(s->dirfd) != 0)
		return -errno;
	return 0;

unlink_tmp:
	unlinkat(s->dirfd, tmp, 0);
	return err;
}

static int read_file(const char *path, uint8_t **out, size_t *outlen)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t off = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EBADMSG;
		goto close_fd;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		err = -ENOMEM;
		goto close_fd;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, p + off, (size_t)st.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EBADMSG;
			goto free_p;
		}
		off += (size_t)r;
	}
	*out = p;
	*outlen = off;
	close(fd);
	return 0;

free_p:
	free(p);
close_fd:
	close(fd);
	return err;
}

/* ---- names --------------------------------------------------------------- */

int ls_store_zone_stem(const uint8_t *origin, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = origin;
	size_t o = 0;

	if (origin[0] == 0) {
		if (len < 6)
			return -ENAMETOOLONG;
		memcpy(buf, "_root", 6);
		return 5;
	}
	while (*p) {
		uint8_t n = *p++;

		if (p != origin + 1) {
			if (o + 1 >= len)
				return -ENAMETOOLONG;
			buf[o++] = '.';
		}
		for (uint8_t i = 0; i < n; i++, p++) {
			uint8_t c = *p;

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '_') {
				if (o + 1 >= len)
					return -ENAMETOOLONG;
				buf[o++] = (char)c;
			} else {
				/* '.', '/', '%' and the rest: never ambiguous, never a path */
				if (o + 3 >= len)
					return -ENAMETOOLONG;
				buf[o++] = '%';
				buf[o++] = hex[c >> 4];
				buf[o++] = hex[c & 15];
			}
		}
	}
	buf[o] = '\0';
	return (int)o;
}

static const char *kind_ext(enum ls_store_kind k)
{
	return k == LS_STORE_LIVE ? "live" : "staged";
}

static int file_name(const uint8_t *origin, uint32_t serial, enum ls_store_kind kind, char *buf,
		     size_t len)
{
	char stem[LS_DNAME_STRLEN * 3];
	int n = ls_store_zone_stem(origin, stem, sizeof(stem));

	if (n < 0)
		return n;
	if (snprintf(buf, len, "%s.%" PRIu32 ".%s", stem, serial, kind_ext(kind)) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int ls_store_path(const struct ls_store *s, const uint8_t *origin, uint32_t serial,
		  enum ls_store_kind kind, char *buf, size_t len)
{
	char name[1024];
	int err = file_name(origin, serial, kind, name, sizeof(name));

	if (err)
		return err;
	if (snprintf(buf, len, "%s/%s", s->dir, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- open / close --------------------------------------------------------- */

int ls_store_open(const char *dir, struct ls_store **out)
{
	struct ls_store *s;
	struct dirent *de;
	DIR *d;
	int err;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dirfd = -1;
	s->dir = strdup(dir);
	if (!s->dir) {
		err = -ENOMEM;
		goto free_store;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		err = -errno;
		goto free_store;
	}
	/* leftovers of writes a crash interrupted: never complete, never read */
	d = fdopendir(dup(s->dirfd));
	if (d) {
		while ((de = readdir(d))) {
			size_t n = strlen(de->d_name);

			if (de->d_name[0] == '.' && n > 4 &&
			    strcmp(de->d_name + n - 4, ".tmp") == 0)
				unlinkat(s->dirfd, de->d_name, 0);
		}
		closedir(d);
	}
	*out = s;
	return 0;

free_store:
	ls_store_free(s);
	return err;
}

void ls_store_free(struct ls_store *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

const char *ls_store_dir(const struct ls_store *s)
{
	return s->dir;
}

/* ---- versions ------------------------------------------------------------- */

static int serialize(const struct ls_zone *z, const char *verdict, struct buf *b)
{
	const uint8_t *origin = ls_zone_origin(z);
	size_t vlen = strlen(verdict), olen = ls_dname_len(origin), payload_at, n = 0;
	size_t nodes = ls_zone_node_count(z);
	int err;

	if (vlen > 255)
		vlen = 255;
	err = buf_reserve(b, 64 + vlen + olen);
	if (err)
		return err;
	put_bytes(b, MAGIC, 8);
	put_u32(b, FORMAT);
	put_u32(b, ls_zone_serial(z));
	put_u64(b, (uint64_t)ls_zone_record_count(z));
	payload_at = b->len;
	put_u64(b, 0); /* payload length, filled in below */
	put_u64(b, (uint64_t)time(NULL));
	put_u16(b, (uint16_t)vlen);
	put_bytes(b, verdict, vlen);
	put_u8(b, (uint8_t)olen);
	put_bytes(b, origin, olen);
	{
		size_t start = b->len;

		for (size_t i = 0; i < nodes; i++) {
			const struct ls_zone_node *node = ls_zone_node_at(z, i);
			const uint8_t *owner = ls_zone_node_name(z, node);
			size_t count, owner_len = ls_dname_len(owner);
			const struct ls_zone_rrset *rr = ls_zone_node_rrsets(z, node, &count);
			bool first = true;

			for (size_t k = 0; k < count; k++) {
				struct ls_zone_rdata_iter it;
				const uint8_t *rdata;
				uint16_t rdlen;

				ls_zone_rdata_begin(z, &rr[k], &it);
				while (ls_zone_rdata_next(&it, &rdata, &rdlen)) {
					err = buf_reserve(b, 1 + owner_len + 10 + rdlen);
					if (err)
						return err;
					if (first) {
						put_u8(b, (uint8_t)owner_len);
						put_bytes(b, owner, owner_len);
						first = false;
					} else {
						put_u8(b, 0);
					}
					put_u16(b, rr[k].type);
					put_u32(b, rr[k].ttl);
					put_u16(b, rdlen);
					put_bytes(b, rdata, rdlen);
					n++;
				}
			}
		}
		{
			uint64_t plen = b->len - start;
			size_t save = b->len;

			b->len = payload_at;
			put_u64(b, plen);
			b->len = save;
		}
	}
	if (n != ls_zone_record_count(z))
		return -EINVAL;
	err = buf_reserve(b, HASH_LEN);
	if (err)
		return err;
	err = sha256(b->p, b->len, b->p + b->len);
	if (err)
		return err;
	b->len += HASH_LEN;
	return 0;
}

int ls_store_write(struct ls_store *s, const struct ls_zone *zone, enum ls_store_kind kind,
		   const char *verdict)
{
	struct buf b = { 0 };
	char name[1024];
	int err;

	err = file_name(ls_zone_origin(zone), ls_zone_serial(zone), kind, name, sizeof(name));
	if (err)
		return err;
	err = serialize(zone, verdict ? verdict : "ok", &b);
	if (!err)
		err = atomic_write(s, name, b.p, b.len);
	free(b.p);
	return err;
}

static int parse(const uint8_t *p, size_t len, struct ls_zone **zone, struct ls_store_meta *meta)
{
	struct rd r = { .p = p, .len = len };
	struct ls_zone_builder *b;
	uint8_t hash[HASH_LEN], owner[LS_DNAME_MAXLEN];
	uint64_t records, plen, seen = 0;
	const uint8_t *v, *o;
	uint16_t vlen;
	uint8_t olen;
	size_t end;
	int err;

	if (len < 8 + HASH_LEN || memcmp(p, MAGIC, 8) != 0)
		return -EBADMSG;
	/* the checksum first: nothing below trusts a length it has not covered */
	if (sha256(p, len - HASH_LEN, hash) != 0)
		return -EIO;
	if (memcmp(hash, p + len - HASH_LEN, HASH_LEN) != 0)
		return -EBADMSG;
	r.len = len - HASH_LEN;
	get(&r, 8);
	if (get_be(&r, 4) != FORMAT)
		return -EBADMSG;
	meta->serial = (uint32_t)get_be(&r, 4);
	records = get_be(&r, 8);
	plen = get_be(&r, 8);
	meta->verified_unix = get_be(&r, 8);
	vlen = (uint16_t)get_be(&r, 2);
	v = get(&r, vlen);
	olen = (uint8_t)get_be(&r, 1);
	o = get(&r, olen);
	if (r.bad || !v || !o || vlen >= sizeof(meta->verdict) ||
	    ls_dname_wire_check(o, olen) != (int)olen || plen != r.len - r.pos)
		return -EBADMSG;
	memcpy(meta->verdict, v, vlen);
	meta->verdict[vlen] = '\0';
	memcpy(meta->origin, o, olen);
	meta->records = records;
	b = ls_zone_builder_new(meta->origin);
	if (!b)
		return -ENOMEM;
	end = r.len;
	owner[0] = 0xff; /* no previous owner yet */
	while (r.pos < end) {
		uint8_t n = (uint8_t)get_be(&r, 1);
		uint16_t type, rdlen;
		const uint8_t *rdata;
		uint32_t ttl;

		if (n) {
			const uint8_t *w = get(&r, n);

			if (!w || ls_dname_wire_check(w, n) != (int)n) {
				err = -EBADMSG;
				goto abandon;
			}
			memcpy(owner, w, n);
		} else if (owner[0] == 0xff) {
			err = -EBADMSG;
			goto abandon;
		}
		type = (uint16_t)get_be(&r, 2);
		ttl = (uint32_t)get_be(&r, 4);
		rdlen = (uint16_t)get_be(&r, 2);
		rdata = get(&r, rdlen);
		if (r.bad) {
			err = -EBADMSG;
			goto abandon;
		}
		err = ls_zone_builder_add(b, owner, type, 1 /* IN */, ttl, rdata, rdlen, NULL);
		if (err) {
			err = err == -ENOMEM ? err : -EBADMSG;
			goto abandon;
		}
		seen++;
	}
	if (seen != records) {
		err = -EBADMSG;
		goto abandon;
	}
	err = ls_zone_builder_finish(b, zone, NULL);
	if (err == 0 && ls_zone_serial(*zone) != meta->serial) {
		ls_zone_free(*zone);
		*zone = NULL;
		err = -EBADMSG;
	}
	return err == -ENOMEM ? err : err ? -EBADMSG : 0;

abandon:
	ls_zone_problems_free(ls_zone_builder_abandon(b));
	return err;
}

int ls_store_parse(const uint8_t *p, size_t len, struct ls_zone **zone, struct ls_store_meta *meta)
{
	struct ls_store_meta m;

	*zone = NULL;
	return parse(p, len, zone, meta ? meta : &m);
}

int ls_store_read(const char *path, struct ls_zone **zone, struct ls_store_meta *meta)
{
	struct ls_store_meta m;
	uint8_t *p = NULL;
	size_t len = 0;
	int err;

	*zone = NULL;
	err = read_file(path, &p, &len);
	if (err)
		return err;
	err = parse(p, len, zone, meta ? meta : &m);
	free(p);
	return err;
}

/* ---- listing and renaming -------------------------------------------------- */

/* "<stem>.<serial>.<kind>" of exactly @stem: the serial and kind, or false. */
static bool match_name(const char *name, const char *stem, size_t stemlen, uint32_t *serial,
		       enum ls_store_kind *kind)
{
	const char *p = name + stemlen + 1;
	char *end;
	unsigned long v;

	if (strncmp(name, stem, stemlen) != 0 || name[stemlen] != '.' || *p < '0' || *p > '9')
		return false;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || v > UINT32_MAX || *end != '.')
		return false;
	if (strcmp(end + 1, "live") == 0)
		*kind = LS_STORE_LIVE;
	else if (strcmp(end + 1, "staged") == 0)
		*kind = LS_STORE_STAGED;
	else
		return false;
	*serial = (uint32_t)v;
	return true;
}

int ls_store_scan(struct ls_store *s, const uint8_t *origin, struct ls_store_entry *v, size_t cap)
{
	char stem[LS_DNAME_STRLEN * 3];
	struct dirent *de;
	size_t n = 0, live = 0;
	int fd, sl;
	DIR *d;

	sl = ls_store_zone_stem(origin, stem, sizeof(stem));
	if (sl < 0)
		return sl;
	fd = dup(s->dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		struct ls_store_entry e;

		if (!match_name(de->d_name, stem, (size_t)sl, &e.serial, &e.kind))
			continue;
		if (snprintf(e.path, sizeof(e.path), "%s/%s", s->dir, de->d_name) >=
		    (int)sizeof(e.path))
			continue;
		if (n < cap) {
			/* live files first: they are adopted before anything staged */
			if (e.kind == LS_STORE_LIVE && live < n) {
				v[n] = v[live];
				v[live++] = e;
			} else {
				v[n] = e;
				live += e.kind == LS_STORE_LIVE;
			}
		}
		n++;
	}
	closedir(d);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int ls_store_make_live(struct ls_store *s, const uint8_t *origin, uint32_t serial)
{
	struct ls_store_entry v[64];
	char from[1024], to[1024];
	int n, err;

	err = file_name(origin, serial, LS_STORE_STAGED, from, sizeof(from));
	if (!err)
		err = file_name(origin, serial, LS_STORE_LIVE, to, sizeof(to));
	if (err)
		return err;
	if (renameat(s->dirfd, from, s->dirfd, to) != 0) {
		err = -errno;
		if (err != -ENOENT || faccessat(s->dirfd, to, F_OK, 0) != 0)
			return err;
	}
	n = ls_store_scan(s, origin, v, sizeof(v) / sizeof(v[0]));
	for (int i = 0; i < n && i < (int)(sizeof(v) / sizeof(v[0])); i++) {
		if (v[i].serial == serial && v[i].kind == LS_STORE_LIVE)
			continue;
		if (v[i].kind == LS_STORE_LIVE || !ls_serial_newer(v[i].serial, serial))
			unlink(v[i].path);
	}
	if (fsync(s->dirfd) != 0)
		return -errno;
	return 0;
}

int ls_store_remove(struct ls_store *s, const uint8_t *origin, uint32_t serial,
		    enum ls_store_kind kind)
{
	char name[1024];
	int err = file_name(origin, serial, kind, name, sizeof(name));

	if (err)
		return err;
	if (unlinkat(s->dirfd, name, 0) != 0)
		return -errno;
	return 0;
}

int ls_store_quarantine(struct ls_store *s, const char *path)
{
	const char *base = strrchr(path, '/');
	char to[1024];

	base = base ? base + 1 : path;
	if (mkdirat(s->dirfd, "corrupt", 0750) != 0 && errno != EEXIST)
		return -errno;
	if (snprintf(to, sizeof(to), "corrupt/%s.%lld", base, (long long)time(NULL)) >=
	    (int)sizeof(to))
		return -ENAMETOOLONG;
	if (renameat(AT_FDCWD, path, s->dirfd, to) != 0)
		return -errno;
	pr_warn("store: moved %s aside to %s/%s", path, s->dir, to);
	return 0;
}

/* ---- plans ------------------------------------------------------------------- */

static int plan_name(const uint8_t *origin, char *buf, size_t len)
{
	char stem[LS_DNAME_STRLEN * 3];
	int n = ls_store_zone_stem(origin, stem, sizeof(stem));

	if (n < 0)
		return n;
	if (snprintf(buf, len, "%s.plan", stem) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int ls_store_plan_write(struct ls_store *s, const uint8_t *origin, const struct ls_store_plan *p)
{
	char name[1024], text[PLAN_MAX];
	int n, err;

	err = plan_name(origin, name, sizeof(name));
	if (err)
		return err;
	n = snprintf(text, sizeof(text), "serial=%" PRIu32 " at=%" PRIu64 " nsec=%" PRIu32 "\n",
		     p->serial, p->at_unix, p->at_nsec);
	return atomic_write(s, name, (const uint8_t *)text, (size_t)n);
}

int ls_store_plan_read(struct ls_store *s, const uint8_t *origin, struct ls_store_plan *p)
{
	char name[1024], text[PLAN_MAX], path[4096 + 1024];
	uint32_t serial, nsec;
	uint64_t at;
	ssize_t n;
	int fd, err, used = 0;

	err = plan_name(origin, name, sizeof(name));
	if (err)
		return err;
	fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	text[n] = '\0';
	if (sscanf(text, "serial=%" SCNu32 " at=%" SCNu64 " nsec=%" SCNu32 "\n%n", &serial, &at,
		   &nsec, &used) != 3 ||
	    used != n || nsec >= 1000000000u) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, name);
		ls_store_quarantine(s, path);
		return -EBADMSG;
	}
	*p = (struct ls_store_plan){ .serial = serial, .at_unix = at, .at_nsec = nsec };
	return 0;
}

int ls_store_plan_remove(struct ls_store *s, const uint8_t *origin)
{
	char name[1024];
	int err = plan_name(origin, name, sizeof(name));

	if (err)
		return err;
	if (unlinkat(s->dirfd, name, 0) != 0)
		return -errno;
	fsync(s->dirfd);
	return 0;
}
