// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * lockstep.bpf.c — the XDP data plane (DESIGN.md "Data plane",
 * docs/dataplane.md).
 *
 * Owns: per packet, the choice between answering in place (XDP_TX with a
 * response the agent precomputed with the answer engine), dropping (the
 * zone is silent now: withdrawn, lease expired, T passed without a ready
 * next generation) and passing to the slow path (everything else), and the
 * per-CPU counter of that outcome.
 * Must not: decide which generation answers other than through
 * ls_ctl_decide(), build any DNS data itself (every octet after the
 * question comes from a body the engine produced), or touch a packet that
 * is not UDP to a shared address on the service port.
 */
#include "parsing.bpf.h"
#include "lockstep.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Benchmarks only (enum ls_bench_cut): 0, and every CUT() below is dead
 * code the verifier removes. Set before load by agent/dataplane.c. */
const volatile __u32 ls_bench_cut = LS_CUT_NONE;

#define CUT(n)                           \
	do {                             \
		if (ls_bench_cut == (n)) \
			return XDP_DROP; \
	} while (0)

/* answers: (generation, qtype, flags, name) -> ls_ans_val; written by agent/compile.c.
 * Not preallocated: memory follows the zones, max_entries is only the cap. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct ls_ans_key);
	__type(value, struct ls_ans_val);
} ls_answers SEC(".maps");

/* bodies0..3: body index -> body of that size class; written by agent/compile.c. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ls_body0);
} ls_bodies0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ls_body1);
} ls_bodies1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct ls_body2);
} ls_bodies2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct ls_body3);
} ls_bodies3 SEC(".maps");

/* zones: lowercased origin -> labels, control slot; written by agent/dataplane.c. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ls_zone_key);
	__type(value, struct ls_zone_val);
} ls_zones SEC(".maps");

/* ctl: zone slot -> sequence-counted control entry (ebpf/lockstep.h);
 * mmapped and written by agent/dataplane.c. Sized as ls_zones. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ls_ctl_slot);
} ls_ctl SEC(".maps");

/* first_next: zone_id -> per-CPU time of the first query decided for next_gen
 * (ebpf/lockstep.h); written here, read by agent/dataplane.c. LRU: a zone
 * that is gone ages out even if the agent does not delete its record. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct ls_first_next);
} ls_first_next SEC(".maps");

/* addrs: shared service address -> 1; written by agent/dataplane.c. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct ls_addr_key);
	__type(value, __u32);
} ls_addrs SEC(".maps");

/* global: 0 -> lease, label mask, port; mmapped and written by agent/dataplane.c. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_global);
} ls_global SEC(".maps");

/* stats: enum ls_stat -> per-CPU count; written here, summed by agent/dataplane.c. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ls_stats SEC(".maps");

/* What the parse found out about the query. */
struct query {
	__u32 l3len; /* 20 or 40 */
	__u32 qlen; /* wire length of the query name */
	__u32 nlabels;
	__u16 qtype;
	__u16 qflags;
	__u16 udp_size; /* 0 without EDNS */
	__u8 edns;
	__u8 dnssec_ok;
	__u8 v6;
};

#define NAME_BUF 256 /* > LS_XDP_NAME_MAX + the mask of an offset below it (127) */
#define OFF_MASK 127

/* @off (< LS_XDP_NAME_MAX, checked by the caller) as the verifier can
 * bound it: clang drops a mask it can prove redundant, and the check it
 * relied on may be on a copy the verifier no longer links to this one. */
static __always_inline __u64 name_off(__u64 off)
{
	asm volatile("" : "+r"(off));
	return off & OFF_MASK;
}

/* The program's working memory (the stack has 512 octets); nobody else touches it. */
struct scratch {
	struct ls_ans_key key;
	struct ls_zone_key zkey;
	/* the lowercased query name, zero for seven octets past its end
	 * (name_eq() compares whole words); the rest is only there so the
	 * verifier can bound a masked offset plus the words compared */
	__u8 name[NAME_BUF];
	__u8 lab[LS_XDP_LABELS_MAX]; /* offsets of its labels */
	/* hash of the suffix from label k ([nl]: the root); while parsing,
	 * the hash of label k alone (ebpf/lockstep.h) */
	__u64 sh[2 * LS_XDP_LABELS_MAX];
	__u32 qsum; /* RFC 1071 sum of the query name as sent (not folded) */
	/* Loop state kept in memory on purpose: values read back from a map
	 * are unknown to the verifier, so it does not walk every possible
	 * label count as a separate path. */
	__u32 next, nl, qlen, zlabels;
	struct query q; /* in memory too, for the same reason */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} ls_scratch SEC(".maps");

/* The checksum's copy of the packet, 512 octets at a time (+4 of zero padding). */
struct csum_buf {
	__u8 b[512 + 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct csum_buf);
} ls_csum_scratch SEC(".maps");

/*
 * Grow the frame by @delta octets at the front instead of the back, and
 * move the first @prefix octets (headers and question) to the new start:
 * a frame from the stack (veth, generic XDP) may have little tailroom but
 * always has XDP_PACKET_HEADROOM in front. Returns 0, -1 when the head
 * cannot move (nothing changed), -2 when the copy failed (frame changed).
 */
__noinline int ls_grow_head(struct xdp_md *ctx, __u32 delta, __u32 prefix)
{
	__u32 zero = 0;
	struct csum_buf *cb = bpf_map_lookup_elem(&ls_csum_scratch, &zero);

	__u64 m = (__u64)prefix - 1; /* prefix - 1 < 512 in the helpers' register */

	asm volatile("" : "+r"(m));
	if (!cb || delta == 0 || delta > 256 || m >= 512)
		return -1;
	if (bpf_xdp_adjust_head(ctx, -(int)delta))
		return -1;
	if (bpf_xdp_load_bytes(ctx, delta, cb->b, m + 1) ||
	    bpf_xdp_store_bytes(ctx, 0, cb->b, m + 1))
		return -2;
	return 0;
}

#ifndef LS_XDP_CSUM_CHUNKS
#define LS_XDP_CSUM_CHUNKS 4 /* x 512 octets: more than any UDP answer built here */
#endif

/*
 * The Internet checksum of @len packet octets from offset @off, with the
 * partial sum @seed (the pseudo-header) added; folded and complemented.
 * bpf_csum_diff() takes at most 512 octets, a multiple of four, so the
 * octets are copied 512 at a time into a buffer whose tail is zeroed: an
 * odd length is then padded with zero exactly as RFC 768 asks.
 * A global function: the verifier checks it once, not once per path of
 * the caller. Returns the checksum (0..0xffff) or -1.
 */
__noinline int ls_csum(struct xdp_md *ctx, __u32 off, __u32 len, __u32 seed)
{
	__u32 zero = 0;
	struct csum_buf *cb = bpf_map_lookup_elem(&ls_csum_scratch, &zero);
	__s64 sum = seed;

	if (!cb)
		return -1;
	for (int i = 0; i < LS_XDP_CSUM_CHUNKS; i++) {
		if (len == 0)
			break;
		/* n - 1 < 512 proven in the register the helpers get */
		__u64 m = (len > 512 ? 512 : len) - 1;
		asm volatile("" : "+r"(m));
		if (m >= 512)
			return -1;
		__u64 n = m + 1;
		*(__u32 *)&cb->b[m & 508] = 0;
		*(__u32 *)&cb->b[(m & 508) + 4] = 0;
		if (bpf_xdp_load_bytes(ctx, off, cb->b, n))
			return -1;
		__u64 n4 = (m | 3) + 1; /* n rounded up to a multiple of 4 */
		if (n4 > 512)
			return -1;
		sum = bpf_csum_diff(0, 0, (__be32 *)cb->b, n4, (__u32)sum);
		if (sum < 0)
			return -1;
		off += n;
		len -= n;
	}
	if (len)
		return -1;
	return csum_fold(sum);
}

#define DNS_HDRLEN 12
#define DNS_QR 0x8000
#define DNS_OPCODE 0x7800
#define DNS_TC 0x0200
#define DNS_RD 0x0100
#define DNS_CD 0x0010
#define EDNS_PAYLOAD 1232
#ifndef LS_XDP_EDNS_OPTS
#define LS_XDP_EDNS_OPTS 8 /* EDNS options walked per query */
#endif
#define FRAME_MAX 4096

struct dnshdr {
	__be16 id;
	__be16 flags;
	__be16 qd, an, ns, ar;
};

static __always_inline int count(__u32 idx, int action)
{
	__u64 *c = bpf_map_lookup_elem(&ls_stats, &idx);

	if (c)
		*c += 1;
	return action;
}

#define PASS(reason) count(reason, XDP_PASS)

/* Remember this CPU's first LS_CTL_NEXT decision for the zone: a lookup
 * when the record is there and names @gen already, which is every query
 * after the first. The time is written before the generation, so a reader
 * that sees @gen sees its time (the agent reads per-CPU copies while this
 * CPU may write; x86 stores are not reordered with each other). */
static __always_inline void note_first_next(__u32 zone_id, __u32 gen, __u64 now)
{
	struct ls_first_next *f = bpf_map_lookup_elem(&ls_first_next, &zone_id);

	if (f) {
		if (f->gen == gen)
			return;
		f->tai_ns = now;
		asm volatile("" ::: "memory");
		f->gen = gen;
		return;
	}
	struct ls_first_next n = { .tai_ns = now, .gen = gen };
	bpf_map_update_elem(&ls_first_next, &zone_id, &n, BPF_NOEXIST);
}

/* Is the name a table entry holds (@stored, zero-padded) the name suffix
 * at @q, @len octets long with its root label (zero-padded past it for at
 * least seven octets)? Only the words holding the suffix are compared: a
 * wire name ends at its first zero-length label, so a stored name that
 * equals the suffix's first @len octets ends there too; the words past it
 * are not read, which keeps a short name to the value's first cache
 * lines. Without data-dependent branches on the names: a key holds only
 * a hash, and a hit whose name differs is a collision, which must not
 * answer. */
static __always_inline int name_eq(const __u8 *stored, const __u8 *q, __u32 len)
{
	__u64 d = 0;

#pragma unroll
	for (int i = 0; i < LS_XDP_NAME_MAX / 8; i++)
		if (8 * i < len)
			d |= *(const __u64 *)(stored + 8 * i) ^ *(const __u64 *)(q + 8 * i);
	return d == 0;
}

_Static_assert(sizeof(struct ls_body_hdr) % 4 == 0, "body header: whole 32-bit words");

/* Copy a body header in eight-octet words: map values are 8-aligned, and
 * a plain struct copy of 2-aligned fields compiles to single octets. */
static __always_inline void copy_hdr(struct ls_body_hdr *h, const void *v)
{
	const __u64 *src = v;
	__u64 *dst = (__u64 *)h;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*h) / 8); i++)
		dst[i] = src[i];
	if (sizeof(*h) % 8)
		((__u32 *)h)[sizeof(*h) / 4 - 1] = ((const __u32 *)v)[sizeof(*h) / 4 - 1];
}

/* One class: its own lookup with a constant map, which the verifier
 * inlines; the barrier keeps clang from merging the four lookups into one
 * call through a map pointer chosen at run time (an indirect call). */
#define HDR_CLASS(map)                                     \
	do {                                               \
		void *v = bpf_map_lookup_elem(&map, &idx); \
		asm volatile("" : "+r"(v));                \
		if (!v)                                    \
			return -1;                         \
		copy_hdr(h, v);                            \
		return 0;                                  \
	} while (0)

/* The header of body @ref, copied (@h 8-aligned); -1 when there is none. */
static __always_inline int body_hdr(__u32 ref, struct ls_body_hdr *h)
{
	__u32 idx = ref & LS_BODY_INDEX_MASK;

	switch (ref >> LS_BODY_CLASS_SHIFT) {
	case 1:
		HDR_CLASS(ls_bodies0);
	case 2:
		HDR_CLASS(ls_bodies1);
	case 3:
		HDR_CLASS(ls_bodies2);
	case 4:
		HDR_CLASS(ls_bodies3);
	}
	return -1;
}

/* The length is bounded as len - 1 < size in one register: clang turns two
 * separate checks (len != 0, len <= size) into forms the verifier cannot
 * follow into the helper's size argument. */
#define STORE_CLASS(map, type, size)                                  \
	do {                                                          \
		type *b = bpf_map_lookup_elem(&map, &idx);            \
		__u64 l = len - 1;                                    \
		asm volatile("" : "+r"(l));                           \
		if (!b || l >= (size))                                \
			return -1;                                    \
		return bpf_xdp_store_bytes(ctx, off, b->data, l + 1); \
	} while (0)

/*
 * A small body (class 0, at most LS_BODY_SIZE0 octets, at least 8)
 * written with direct packet stores, eight octets at a time, the last
 * word ending exactly at @len (it may overlap the one before): cheaper
 * than bpf_xdp_store_bytes() for what most answers are. The frame
 * already has its final length.
 */
static __always_inline long store_small(struct xdp_md *ctx, __u32 off, __u32 idx, __u64 len)
{
	struct ls_body0 *b = bpf_map_lookup_elem(&ls_bodies0, &idx);
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *dst = data + (off & (FRAME_MAX - 1));
	__u64 last = len - 8; /* < LS_BODY_SIZE0 - 8 in the register used below */

	asm volatile("" : "+r"(last));
	if (!b || last > LS_BODY_SIZE0 - 8)
		return -1;
#pragma unroll
	for (int i = 0; i < LS_BODY_SIZE0 / 8 - 1; i++) {
		if (8 * i < last) {
			if ((void *)(dst + 8 * i + 8) > end)
				return -1;
			*(__u64 *)(dst + 8 * i) = *(const __u64 *)(b->data + 8 * i);
		}
	}
	__u8 *p = dst + last;
	if ((void *)(p + 8) > end)
		return -1;
	*(__u64 *)p = *(const __u64 *)(b->data + last);
	return 0;
}

/* Write the first @len octets of body @ref's data at packet offset @off. */
static __always_inline long store_body(struct xdp_md *ctx, __u32 off, __u32 ref, __u64 len)
{
	__u32 idx = ref & LS_BODY_INDEX_MASK;

	switch (ref >> LS_BODY_CLASS_SHIFT) {
	case 1:
		if (len >= 8)
			return store_small(ctx, off, idx, len);
		STORE_CLASS(ls_bodies0, struct ls_body0, LS_BODY_SIZE0);
	case 2:
		STORE_CLASS(ls_bodies1, struct ls_body1, LS_BODY_SIZE1);
	case 3:
		STORE_CLASS(ls_bodies2, struct ls_body2, LS_BODY_SIZE2);
	case 4:
		STORE_CLASS(ls_bodies3, struct ls_body3, LS_BODY_SIZE3);
	}
	return -1;
}

/*
 * The DNS part: header, question, optional OPT; fills @q and the scratch
 * name. Returns -1 when the query can be answered here, else the ls_stat
 * to pass with.
 */
static __always_inline int parse_dns(void *dns, void *end, __u32 dlen, struct scratch *s,
				     struct query *q, __u32 casefold)
{
	struct dnshdr *h = dns;
	__u32 len, nl;

	if ((void *)(h + 1) > end || dlen < DNS_HDRLEN + 1 + 4)
		return LS_STAT_PASS_MALFORMED;
	q->qflags = bpf_ntohs(h->flags);
	if (q->qflags & (DNS_QR | DNS_OPCODE))
		return LS_STAT_PASS_HEADER;
	if (h->qd != bpf_htons(1) || h->an || h->ns || bpf_ntohs(h->ar) > 1)
		return LS_STAT_PASS_HEADER;

	__u8 *qn = (__u8 *)(h + 1);
	s->next = 0;
	s->nl = 0;
	s->qlen = 0;
	/* The sum, the label hash and the case flag stay in registers: no
	 * branch depends on them, so the verifier's states still match. */
	__u32 qsum = 0, upper = 0;
	__u64 cur = 0;
	for (__u32 i = 0; i < LS_XDP_NAME_MAX; i++) {
		if ((void *)(qn + i + 1) > end)
			return LS_STAT_PASS_MALFORMED;
		__u8 c = qn[i];
		/* the name as sent, in big-endian words from DNS offset 12:
		 * the UDP checksum of the response takes it from here */
		qsum += (i & 1) ? (__u32)c : (__u32)c << 8;
		if (i == s->next) {
			__u32 n = s->nl;
			/* the label before this one is complete: keep its
			 * hash where its suffix's hash will go */
			if (n)
				s->sh[(n - 1) & (LS_XDP_LABELS_MAX - 1)] = cur;
			if (c == 0) {
				s->qlen = i + 1;
				break;
			}
			if (c > 63 || n >= LS_XDP_LABELS_MAX)
				return LS_STAT_PASS_QNAME; /* a pointer, or too deep */
			s->lab[n & (LS_XDP_LABELS_MAX - 1)] = i;
			s->nl = n + 1;
			s->next = i + 1 + c;
			cur = ls_hash_step(0, c);
		} else {
			if (c >= 'A' && c <= 'Z') {
				c |= 0x20;
				upper = 1;
			}
			cur = ls_hash_step(cur, c);
		}
		s->name[i] = c;
	}
	s->qsum = qsum;
	len = s->qlen & (2 * LS_XDP_NAME_MAX - 1);
	nl = s->nl & (2 * LS_XDP_LABELS_MAX - 1);
	if (!len || len > LS_XDP_NAME_MAX || nl > LS_XDP_LABELS_MAX)
		return LS_STAT_PASS_QNAME; /* longer than LS_XDP_NAME_MAX */
	if (upper && !casefold)
		return LS_STAT_PASS_QNAME;
	/* the root label and seven octets past it zero: name_eq() reads
	 * whole words up to there (the loop above did not write them) */
	*(__u64 *)(s->name + ((len - 1) & OFF_MASK)) = 0;
	q->qlen = len;
	q->nlabels = nl;

	/* every suffix's hash, from the root up, each over its label's hash
	 * in place: the zone and ancestor probes below then only pick one */
	__u64 hh = LS_HASH_ROOT;
	s->sh[nl & (2 * LS_XDP_LABELS_MAX - 1)] = hh;
	for (__u32 j = 0; j < LS_XDP_LABELS_MAX; j++) {
		/* the count re-read from memory: a register the verifier
		 * refined here would make every exit a different state */
		__u32 n = s->nl;
		if (j >= n)
			break;
		__u32 k = (n - 1 - j) & (LS_XDP_LABELS_MAX - 1);
		hh = ls_hash_join(hh, s->sh[k]);
		s->sh[k] = hh;
	}

	__u8 *qt = qn + len;
	if ((void *)(qt + 4) > end)
		return LS_STAT_PASS_MALFORMED;
	q->qtype = (__u16)(qt[0] << 8 | qt[1]);
	if (qt[2] != 0 || qt[3] != 1)
		return LS_STAT_PASS_QTYPE; /* class IN only */
	switch (q->qtype) {
	case LS_QTYPE_OTHER:
	case 41: /* OPT */
	case 43: /* DS: answered from the parent side */
	case 46: /* RRSIG */
		return LS_STAT_PASS_QTYPE;
	}
	if (q->qtype >= 128 && q->qtype <= 255)
		return LS_STAT_PASS_QTYPE; /* meta and query types: ANY, AXFR, IXFR, ... */

	__u32 rest = dlen - (DNS_HDRLEN + len + 4);
	q->edns = 0;
	q->dnssec_ok = 0;
	q->udp_size = 0;
	if (h->ar == 0)
		return rest == 0 ? -1 : LS_STAT_PASS_MALFORMED;
	/* exactly one OPT without options, owned by the root */
	__u8 *opt = qt + 4;
	if ((void *)(opt + LS_XDP_OPT_LEN) > end)
		return LS_STAT_PASS_MALFORMED;
	if (opt[0] != 0 || opt[1] != 0 || opt[2] != 41)
		return LS_STAT_PASS_EDNS;
	if (opt[6] != 0)
		return LS_STAT_PASS_EDNS; /* version: BADVERS from the slow path */
	/* Options (cookies, NSID, padding, ...): the engine checks that they
	 * are well-formed and otherwise ignores them, so well-formed ones are
	 * answered here too and anything else goes to the slow path (FORMERR). */
	__u32 rdlen = (__u32)(opt[9] << 8 | opt[10]);
	if (rest != LS_XDP_OPT_LEN + rdlen || rdlen > 512)
		return LS_STAT_PASS_EDNS; /* trailing data, or more than we walk */
	__u32 pos = 0;
	for (int i = 0; i < LS_XDP_EDNS_OPTS; i++) {
		if (pos >= rdlen)
			break;
		if (rdlen - pos < 4)
			return LS_STAT_PASS_EDNS;
		__u8 *o = opt + LS_XDP_OPT_LEN + (pos & 511);
		if ((void *)(o + 4) > end)
			return LS_STAT_PASS_MALFORMED;
		__u32 olen = (__u32)(o[2] << 8 | o[3]);
		if (rdlen - pos - 4 < olen)
			return LS_STAT_PASS_EDNS;
		pos += 4 + olen;
	}
	if (pos != rdlen)
		return LS_STAT_PASS_EDNS; /* more options than LS_XDP_EDNS_OPTS */
	q->edns = 1;
	q->udp_size = (__u16)(opt[3] << 8 | opt[4]);
	q->dnssec_ok = !!(opt[7] & 0x80);
	return -1;
}

/* Is @a (network order) a shared IPv4 address? The inline list in
 * ls_global first (its cache line is read anyway), ls_addrs only when
 * more addresses are configured than fit there. Unused inline slots are
 * zero, an address the agent never puts inline. A global function: the
 * verifier checks it once and the caller sees one unknown result, so the
 * comparisons do not split the states of everything after them. */
__noinline int ls_shared4(const struct ls_global *g, __u32 a)
{
	if (!g)
		return 0;
#pragma unroll
	for (int i = 0; i < LS_GLOBAL_ADDR4; i++)
		if (a && g->addr4[i] == a)
			return 1;
	if (!(g->flags & LS_GLOBAL_ADDRS_MAP))
		return 0;
	struct ls_addr_key ak = { .family = 4 };
	__builtin_memcpy(ak.addr, &a, 4);
	return bpf_map_lookup_elem(&ls_addrs, &ak) != NULL;
}

/* The same for IPv6 (@w0..@w3: the address's 32-bit words as in the
 * packet). The agent writes a slot's first word last and never puts an
 * address whose first word is zero inline, so a slot being written cannot
 * match: its first word is still zero. */
__noinline int ls_shared6(const struct ls_global *g, __u32 w0, __u32 w1, __u32 w2, __u32 w3)
{
	if (!g)
		return 0;
#pragma unroll
	for (int i = 0; i < LS_GLOBAL_ADDR6; i++) {
		const __u32 *g6 = (const __u32 *)g->addr6[i];
		if (w0 && !((g6[0] ^ w0) | (g6[1] ^ w1) | (g6[2] ^ w2) | (g6[3] ^ w3)))
			return 1;
	}
	if (!(g->flags & LS_GLOBAL_ADDRS_MAP))
		return 0;
	struct ls_addr_key ak = { .family = 6 };
	__builtin_memcpy(ak.addr, &w0, 4);
	__builtin_memcpy(ak.addr + 4, &w1, 4);
	__builtin_memcpy(ak.addr + 8, &w2, 4);
	__builtin_memcpy(ak.addr + 12, &w3, 4);
	return bpf_map_lookup_elem(&ls_addrs, &ak) != NULL;
}

SEC("xdp")
int ls_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	struct iphdr *iph = NULL;
	struct ipv6hdr *ip6h = NULL;
	struct udphdr *udph;
	__u32 zero = 0, l4len;
	int proto, r;

	struct ls_global *g = bpf_map_lookup_elem(&ls_global, &zero);
	struct scratch *s = bpf_map_lookup_elem(&ls_scratch, &zero);
	if (!g || !s)
		return XDP_PASS;
	struct query *qp = &s->q;
	__builtin_memset(qp, 0, sizeof(*qp));
	__u32 port = g->port;

	proto = parse_ethhdr(&nh, end, &eth);
	if (proto == bpf_htons(ETH_P_IP)) {
		proto = parse_iphdr(&nh, end, &iph);
		if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
			return PASS(LS_STAT_PASS_OTHER);
		if (!ls_shared4(g, iph->daddr))
			return PASS(LS_STAT_PASS_OTHER);
		if (iph->ihl != 5)
			return PASS(LS_STAT_PASS_IP_OPTIONS);
		if (iph->frag_off & bpf_htons(0x3fff)) /* MF or an offset */
			return PASS(LS_STAT_PASS_FRAGMENT);
		__u32 tot = bpf_ntohs(iph->tot_len);
		if (tot < sizeof(*iph) || (void *)iph + tot > end)
			return PASS(LS_STAT_PASS_MALFORMED);
		l4len = tot - sizeof(*iph);
		qp->l3len = sizeof(*iph);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		proto = parse_ip6hdr(&nh, end, &ip6h);
		if (proto < 0)
			return PASS(LS_STAT_PASS_OTHER);
		if (!ls_shared6(g, ip6h->daddr.in6_u.u6_addr32[0], ip6h->daddr.in6_u.u6_addr32[1],
				ip6h->daddr.in6_u.u6_addr32[2], ip6h->daddr.in6_u.u6_addr32[3]))
			return PASS(LS_STAT_PASS_OTHER);
		if (proto == 44)
			return PASS(LS_STAT_PASS_FRAGMENT);
		if (ipv6_is_ext(proto))
			return PASS(LS_STAT_PASS_IP_OPTIONS);
		if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
			return PASS(LS_STAT_PASS_OTHER);
		l4len = bpf_ntohs(ip6h->payload_len);
		if (nh.pos + l4len > end)
			return PASS(LS_STAT_PASS_MALFORMED);
		qp->l3len = sizeof(*ip6h);
		qp->v6 = 1;
	} else {
		return PASS(LS_STAT_PASS_OTHER);
	}

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = nh.pos;
		if ((void *)(th + 1) > end || th->dest != bpf_htons(port))
			return PASS(LS_STAT_PASS_OTHER);
		return PASS(LS_STAT_PASS_TCP);
	}
	if (parse_udphdr(&nh, end, &udph) < 0)
		return PASS(LS_STAT_PASS_OTHER);
	if (udph->dest != bpf_htons(port) || port == 0)
		return PASS(LS_STAT_PASS_OTHER);
	if (bpf_ntohs(udph->len) != l4len || l4len < sizeof(*udph))
		return PASS(LS_STAT_PASS_MALFORMED);

	CUT(LS_CUT_HEADERS);
	r = parse_dns(nh.pos, end, l4len - sizeof(*udph), s, qp, g->flags & LS_GLOBAL_CASEFOLD);
	if (r >= 0)
		return PASS(r);
	qp->qlen = s->qlen & (LS_XDP_NAME_MAX * 2 - 1);
	qp->nlabels = s->nl & (LS_XDP_LABELS_MAX * 2 - 1);
	if (qp->qlen > LS_XDP_NAME_MAX || qp->qlen == 0 || qp->nlabels > LS_XDP_LABELS_MAX)
		return PASS(LS_STAT_PASS_QNAME);

	CUT(LS_CUT_PARSE);

	/* The zone: the longest origin that is a suffix of the name. */
	__u64 mask = g->label_mask;
	struct ls_zone_val *zv = NULL;
	__u32 zlabels = 0;
	for (__u32 k = 0; k <= LS_XDP_LABELS_MAX; k++) {
		if (k > qp->nlabels)
			break;
		__u32 labels = qp->nlabels - k;
		if (labels < 64 && !(mask & (1ULL << labels)))
			continue;
		__u32 off = k == qp->nlabels ? qp->qlen - 1 : s->lab[k & (LS_XDP_LABELS_MAX - 1)];
		if (off >= LS_XDP_NAME_MAX)
			break;
		s->zkey.hash = s->sh[k & (2 * LS_XDP_LABELS_MAX - 1)];
		zv = bpf_map_lookup_elem(&ls_zones, &s->zkey);
		if (zv) {
			/* another origin under the same hash: this suffix is
			 * no zone the data plane holds (the agent refused it) */
			if (!name_eq(zv->name, s->name + name_off(off), qp->qlen - off))
				return PASS(LS_STAT_PASS_NO_ZONE);
			s->zlabels = labels;
			break;
		}
	}
	if (!zv)
		return PASS(LS_STAT_PASS_NO_ZONE);
	/* forget what the loop taught the verifier about the counts */
	zlabels = s->zlabels & 63;
	qp->nlabels = s->nl & (LS_XDP_LABELS_MAX * 2 - 1);

	/* The control entry, sequence-counted (ebpf/lockstep.h): seq, the
	 * fields, seq again; odd or moved means a write was under way, and a
	 * copy made for another zone (a slot or element reused) is no copy
	 * of this one: both pass, neither answers. */
	__u32 slot = zv->slot;
	struct ls_ctl_slot *cs = bpf_map_lookup_elem(&ls_ctl, &slot);
	if (!cs)
		return PASS(LS_STAT_PASS_NO_ZONE);
	struct ls_zone_ctl ctl;
	__u32 seq0 = *(volatile __u32 *)&cs->seq;
	asm volatile("" ::: "memory");
	__u64 zhash = cs->zhash;
	ctl = cs->ctl;
	asm volatile("" ::: "memory");
	__u32 seq1 = *(volatile __u32 *)&cs->seq;
	if ((seq0 & 1) || seq0 != seq1 || zhash != s->zkey.hash)
		return PASS(LS_STAT_PASS_CTL_BUSY);
	CUT(LS_CUT_ZONE);

	__u64 now = bpf_ktime_get_tai_ns();
	__u64 lease = g->lease_deadline;
	enum ls_ctl_verdict v = ls_ctl_decide(&ctl, now, lease);
	if (v == LS_CTL_DROP)
		return count(LS_STAT_DROP_LEASE + ls_ctl_drop_reason(&ctl, now, lease), XDP_DROP);
	if (v == LS_CTL_NEXT)
		note_first_next(ctl.zone_id, ctl.next_gen, now);
	CUT(LS_CUT_DECIDE);

	/* The answer: this name and type, this name, or the closest existing ancestor. */
	struct ls_ans_key *key = &s->key;
	__u32 is_signed = ctl.flags & (v == LS_CTL_LIVE ? LS_CTL_LIVE_SIGNED : LS_CTL_NEXT_SIGNED);
	__u8 kflags = (qp->dnssec_ok && is_signed) ? LS_KEY_DO : 0;
	struct ls_ans_val *av;
	__u32 body = 0;

	key->gen = v == LS_CTL_LIVE ? ctl.live_gen : ctl.next_gen;
	key->flags = kflags;
	key->pad = 0;
	key->qtype = qp->qtype;
	key->hash = s->sh[0];
	av = bpf_map_lookup_elem(&ls_answers, key);
	if (!av) {
		key->qtype = LS_QTYPE_OTHER;
		av = bpf_map_lookup_elem(&ls_answers, key);
	}
	if (av) {
		/* a hash collision must not answer, and must not make the walk
		 * below skip the name: pass */
		if (!name_eq(av->name, s->name, qp->qlen))
			return PASS(LS_STAT_PASS_NOT_IN_TABLE);
		body = av->body;
	} else {
		for (__u32 k = 1; k <= LS_XDP_WALK_MAX; k++) {
			if (k + zlabels > qp->nlabels)
				break;
			__u32 off = k == qp->nlabels ? qp->qlen - 1 :
						       s->lab[k & (LS_XDP_LABELS_MAX - 1)];
			if (off >= LS_XDP_NAME_MAX)
				break;
			key->hash = s->sh[k & (2 * LS_XDP_LABELS_MAX - 1)];
			key->qtype = LS_QTYPE_OTHER;
			key->flags = kflags;
			av = bpf_map_lookup_elem(&ls_answers, key);
			if (!av)
				continue;
			if (!name_eq(av->name, s->name + name_off(off), qp->qlen - off))
				return PASS(LS_STAT_PASS_NOT_IN_TABLE);
			body = av->below;
			if (av->flags & LS_ANS_WILDCARD) {
				key->qtype = qp->qtype;
				key->flags = kflags | LS_KEY_BELOW;
				av = bpf_map_lookup_elem(&ls_answers, key);
				if (av) {
					if (!name_eq(av->name, s->name + name_off(off),
						     qp->qlen - off))
						return PASS(LS_STAT_PASS_NOT_IN_TABLE);
					body = av->body;
				}
			}
			break;
		}
	}
	if (!body)
		return PASS(LS_STAT_PASS_NOT_IN_TABLE);

	struct ls_body_hdr bh __attribute__((aligned(8)));
	if (body_hdr(body, &bh) < 0 || bh.len < LS_XDP_OPT_LEN)
		return PASS(LS_STAT_ERROR);
	CUT(LS_CUT_ANSWER);

	/* Size: as the engine does it, the whole answer, or TC=1 with the
	 * question only when the required sections do not fit. In between
	 * (optional additional records left out) the slow path answers. */
	__u32 qend = DNS_HDRLEN + qp->qlen + 4;
	__u32 limit = 512;
	if (qp->edns && qp->udp_size > 512)
		limit = qp->udp_size < EDNS_PAYLOAD ? qp->udp_size : EDNS_PAYLOAD;
	if (qp->edns)
		limit -= LS_XDP_OPT_LEN;
	__u32 full = qend + bh.len - LS_XDP_OPT_LEN;
	__u32 blen, tc = 0;
	__u16 rflags, an, ns, ar;
	if (full <= limit) {
		blen = qp->edns ? bh.len : bh.len - LS_XDP_OPT_LEN;
		rflags = bh.flags;
		an = bh.an;
		ns = bh.ns;
		ar = bh.ar - (qp->edns ? 0 : 1);
	} else if (qend + bh.req > limit) {
		if (!bh.tc_flags)
			return PASS(LS_STAT_PASS_SIZE);
		tc = 1;
		blen = qp->edns ? LS_XDP_OPT_LEN : 0;
		rflags = bh.tc_flags;
		an = ns = 0;
		ar = qp->edns;
	} else {
		return PASS(LS_STAT_PASS_SIZE);
	}
	rflags |= qp->qflags & (DNS_RD | DNS_CD);

	/* Build the response in place: the question stays where it is. */
	__u32 l2 = sizeof(struct ethhdr);
	__u32 l3 = qp->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__u32 dns_off = l2 + l3 + sizeof(struct udphdr);
	__u32 dns_len = qend + blen;
	__u32 frame = dns_off + dns_len;
	int delta = (int)frame - (int)(end - data);
	if (frame > FRAME_MAX)
		return PASS(LS_STAT_PASS_SIZE);
	if (delta && bpf_xdp_adjust_tail(ctx, delta)) {
		r = delta > 0 ? ls_grow_head(ctx, delta, dns_off + qend) : -1;
		if (r == -1)
			return PASS(LS_STAT_PASS_SIZE); /* no room either side */
		if (r < 0)
			return count(LS_STAT_ERROR, XDP_DROP);
	}

	/* From here on the query is gone: a failure can only drop. */
	if (blen) {
		__u32 boff = (dns_off + qend) & (FRAME_MAX - 1);
		if (tc) {
			__u8 optrr[LS_XDP_OPT_LEN] = { 0, 0, 41, EDNS_PAYLOAD >> 8,
						       EDNS_PAYLOAD & 0xff };
			optrr[7] = qp->dnssec_ok ? 0x80 : 0;
			if (bpf_xdp_store_bytes(ctx, boff, optrr, LS_XDP_OPT_LEN))
				return count(LS_STAT_ERROR, XDP_DROP);
		} else if (store_body(ctx, boff, body, blen)) {
			return count(LS_STAT_ERROR, XDP_DROP);
		}
	}

	CUT(LS_CUT_STORE);

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return count(LS_STAT_ERROR, XDP_DROP);
	__u8 mac[ETH_ALEN];
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);

	__u8 *dns = data + (dns_off & (FRAME_MAX - 1));
	/* The body's RFC 1071 sum, as stored (compile time) plus what changes
	 * here, in big-endian words counted from the body's first octet. */
	__u32 bsum = 0;
	if (!tc) {
		__u8 *b = dns + (qend & 511);
		bsum = qp->edns ? bh.sum : bh.sum_noopt;
		/* pointers that move with the query name's length */
		for (__u32 i = 0; i < LS_XDP_FIXUPS; i++) {
			if (i >= bh.nfix)
				break;
			__u32 f = bh.fix[i] & 2047;
			__u8 *p = b + f;
			if ((void *)(p + 2) > end)
				return count(LS_STAT_ERROR, XDP_DROP);
			__u16 old = (__u16)(p[0] << 8 | p[1]);
			__u16 ptr = (__u16)(old + qp->qlen);
			p[0] = ptr >> 8;
			p[1] = ptr & 0xff;
			/* an aligned word grew by qlen (it cannot wrap: a pointer
			 * is below 0xffff - 255); one that straddles two words
			 * counts byte-swapped: add the new, subtract the old */
			if (f & 1)
				bsum += (__u32)__builtin_bswap16(ptr) +
					(__u32)(__builtin_bswap16(old) ^ 0xffff);
			else
				bsum += qp->qlen;
		}
		if (qp->edns) {
			__u32 fo = (blen - 4) & 2047;
			__u8 *fl = b + fo; /* the OPT's flags: DO as asked (stored as 0) */
			if ((void *)(fl + 1) > end)
				return count(LS_STAT_ERROR, XDP_DROP);
			*fl = qp->dnssec_ok ? 0x80 : 0;
			if (qp->dnssec_ok)
				bsum += (fo & 1) ? 0x80 : 0x8000;
		}
	}

	struct dnshdr *dh = (void *)dns;
	if ((void *)(dh + 1) > end)
		return count(LS_STAT_ERROR, XDP_DROP);
	dh->flags = bpf_htons(rflags);
	dh->an = bpf_htons(an);
	dh->ns = bpf_htons(ns);
	dh->ar = bpf_htons(ar);

	/* Checksums by arithmetic on what this program wrote or already read:
	 * bpf_csum_diff() and the copies it needs cost more than the sums. */
	__u32 ulen = sizeof(struct udphdr) + dns_len;
	__u32 t = IPPROTO_UDP + ulen; /* the pseudo-header, big-endian words */
	if (!qp->v6) {
		struct iphdr *ip = data + l2;
		if ((void *)(ip + 1) > end)
			return count(LS_STAT_ERROR, XDP_DROP);
		__be32 a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->tot_len = bpf_htons(sizeof(*ip) + ulen);
		ip->ttl = 64;
		ip->frag_off = 0; /* DF clear: RFC 3258 §2.5 */
		ip->check = 0;
		/* the header's own sum, in memory order (RFC 1071 2(B)) */
		__u16 *w = (__u16 *)ip;
		__u32 is = 0;
#pragma unroll
		for (int i = 0; i < 10; i++)
			is += w[i];
		is = (is & 0xffff) + (is >> 16);
		is = (is & 0xffff) + (is >> 16);
		ip->check = (__u16)~is;
#pragma unroll
		for (int i = 6; i < 10; i++) /* the addresses */
			t += bpf_ntohs(w[i]);
	} else {
		struct ipv6hdr *ip6 = data + l2;
		if ((void *)(ip6 + 1) > end)
			return count(LS_STAT_ERROR, XDP_DROP);
		struct in6_addr a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ip6->payload_len = bpf_htons(ulen);
		ip6->hop_limit = 64;
		__u16 *w = (__u16 *)&ip6->saddr;
#pragma unroll
		for (int i = 0; i < 16; i++) /* both addresses */
			t += bpf_ntohs(w[i]);
	}
	struct udphdr *u = data + l2 + l3;
	if ((void *)(u + 1) > end)
		return count(LS_STAT_ERROR, XDP_DROP);
	__be16 sp = u->source;
	u->source = u->dest;
	u->dest = sp;
	u->len = bpf_htons(ulen);
	u->check = 0;
	int c;
	if (tc) {
		/* rare: the whole datagram through bpf_csum_diff() */
		t = (t & 0xffff) + (t >> 16);
		t = (t & 0xffff) + (t >> 16);
		c = ls_csum(ctx, l2 + l3, ulen, bpf_htons((__u16)t));
		if (c < 0)
			return count(LS_STAT_ERROR, XDP_DROP);
	} else {
		/* UDP header, DNS header, the question as sent (its sum taken
		 * while parsing), type and class, and the body's sum */
		t += ulen + bpf_ntohs(u->source) + bpf_ntohs(u->dest);
		t += bpf_ntohs(dh->id) + rflags + 1 + an + ns + ar;
		t += s->qsum;
		/* a body or question tail at an odd offset pairs its octets the
		 * other way round: its sum byte-swapped (RFC 1071 2(B)) */
		bsum = (bsum & 0xffff) + (bsum >> 16);
		bsum = (bsum & 0xffff) + (bsum >> 16);
		bsum = (bsum & 0xffff) + (bsum >> 16);
		if (qp->qlen & 1)
			t += __builtin_bswap16(qp->qtype) + 0x0100 + __builtin_bswap16((__u16)bsum);
		else
			t += qp->qtype + 1 + bsum;
		t = (t & 0xffff) + (t >> 16);
		t = (t & 0xffff) + (t >> 16);
		t = (t & 0xffff) + (t >> 16);
		c = bpf_htons((__u16)(~t & 0xffff));
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	u = data + l2 + l3;
	if ((void *)(u + 1) > end)
		return count(LS_STAT_ERROR, XDP_DROP);
	u->check = c ? c : 0xffff; /* zero means "no checksum": send all ones */

	if (tc)
		count(LS_STAT_TRUNCATED, 0);
	return count(LS_STAT_ANSWERED, XDP_TX);
}

/* A program that does nothing: the benchmarks' baseline, and what a veth
 * peer needs attached for XDP_TX frames to reach it. */
SEC("xdp")
int ls_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
