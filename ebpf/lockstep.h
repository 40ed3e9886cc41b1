/* SPDX-License-Identifier: MIT */
/*
 * lockstep.h — the contract between the agent and the XDP data plane.
 *
 * Owns: the structs and constants both sides use, and the one rule that
 * decides, per query, which generation of a zone answers (DESIGN.md
 * invariants 2, 3 and 5). The userspace slow path and the XDP program both
 * call ls_ctl_decide(); nobody else writes that rule.
 * Also owns the layout of every map the XDP program (ebpf/lockstep.bpf.c)
 * shares with the agent (agent/compile.c fills the answer tables,
 * agent/dataplane.c everything else); docs/dataplane.md explains it.
 * Must not: include anything but <linux/types.h> and <linux/bpf.h> (UAPI
 * only), so that it compiles in BPF C and in userspace alike; the user
 * side checks sizes with _Static_assert.
 */
#ifndef LOCKSTEP_EBPF_LOCKSTEP_H
#define LOCKSTEP_EBPF_LOCKSTEP_H

#include <linux/types.h>
#include <linux/bpf.h>

#define LS_TIME_NEVER ((__u64)~0ULL)

/* ls_zone_ctl.flags */
#define LS_CTL_NEXT_READY (1u << 0) /* the next generation is verified and fully loaded */
#define LS_CTL_HAS_LIVE (1u << 1) /* a live generation exists */
/* Data plane only: the generation is DNSSEC-signed, so a DO query is looked
 * up under LS_KEY_DO (in an unsigned zone DO changes nothing but the OPT). */
#define LS_CTL_LIVE_SIGNED (1u << 2)
#define LS_CTL_NEXT_SIGNED (1u << 3)

/*
 * Per-zone control state. Times are CLOCK_TAI nanoseconds (the XDP side
 * reads bpf_ktime_get_tai_ns(), the slow path clock_gettime(CLOCK_TAI)).
 *   switch_at   — T: from then on the next generation answers, if ready;
 *                 LS_TIME_NEVER when no switch is pending.
 *   withdraw_at — from then on the zone is silent (a withdrawal, or the
 *                 clock guard's "silent from T - budget"); 0 = withdrawn
 *                 now, LS_TIME_NEVER = not withdrawn.
 * A plan is programmed as switch_at = T without LS_CTL_NEXT_READY: the
 * default outcome at T is silence; only a verified, fully loaded S sets
 * LS_CTL_NEXT_READY (invariant 3).
 */
struct ls_zone_ctl {
	__u64 switch_at;
	__u64 withdraw_at;
	__u32 live_gen; /* generation ids: index the answer tables */
	__u32 next_gen;
	__u32 flags; /* LS_CTL_* */
	__u32 zone_id;
};

enum ls_ctl_verdict {
	LS_CTL_DROP = 0, /* silent: no response at all */
	LS_CTL_LIVE = 1, /* answer from live_gen */
	LS_CTL_NEXT = 2, /* answer from next_gen */
};

/*
 * The time rule, written once. @lease_deadline is the agent's lease (the
 * data plane stops answering when it passes; the slow path, being the agent
 * itself, passes LS_TIME_NEVER).
 */
static inline enum ls_ctl_verdict ls_ctl_decide(const struct ls_zone_ctl *c, __u64 now,
						__u64 lease_deadline)
{
	if (now >= lease_deadline)
		return LS_CTL_DROP;
	if (now >= c->withdraw_at)
		return LS_CTL_DROP;
	if (now >= c->switch_at)
		return (c->flags & LS_CTL_NEXT_READY) ? LS_CTL_NEXT : LS_CTL_DROP;
	return (c->flags & LS_CTL_HAS_LIVE) ? LS_CTL_LIVE : LS_CTL_DROP;
}

/* Why ls_ctl_decide() said LS_CTL_DROP, for counters only: it follows the
 * rule's order and decides nothing. */
enum ls_ctl_drop_reason {
	LS_DROP_LEASE = 0,
	LS_DROP_WITHDRAWN = 1,
	LS_DROP_NOT_READY = 2, /* T passed, next generation not ready */
	LS_DROP_NO_LIVE = 3, /* configured, nothing loaded yet */
};

static inline enum ls_ctl_drop_reason ls_ctl_drop_reason(const struct ls_zone_ctl *c, __u64 now,
							 __u64 lease_deadline)
{
	if (now >= lease_deadline)
		return LS_DROP_LEASE;
	if (now >= c->withdraw_at)
		return LS_DROP_WITHDRAWN;
	if (now >= c->switch_at)
		return LS_DROP_NOT_READY;
	return LS_DROP_NO_LIVE;
}

/* ======================================================================
 * The XDP data plane's maps (docs/dataplane.md). Keys hold a hash of a
 * name; values hold the name itself, lowercased, uncompressed and
 * zero-padded to LS_XDP_NAME_MAX; longer query names are passed to the
 * slow path.
 * ====================================================================== */

#ifndef LS_XDP_NAME_MAX
#define LS_XDP_NAME_MAX 96 /* multiple of 8: names are compared in 8-octet words */
#endif
#ifndef LS_XDP_LABELS_MAX
#define LS_XDP_LABELS_MAX 32 /* labels of a query name the program follows */
#endif
#ifndef LS_XDP_WALK_MAX
#define LS_XDP_WALK_MAX 8 /* ancestors tried for a name that does not exist */
#endif
#define LS_XDP_FIXUPS 24 /* compression pointers per body that move with the qname */
#define LS_XDP_PORT_DEFAULT 53

/* ls_ans_key.flags */
#define LS_KEY_DO (1u << 0) /* DO set and the generation signed */
#define LS_KEY_BELOW (1u << 1) /* typed answer for names below (wildcard synthesis) */

/* ls_ans_key.qtype of the per-name fallback: "any type without its own key" */
#define LS_QTYPE_OTHER 0

/*
 * Name hashes. A table key carries a 64-bit hash of the lowercased wire
 * name instead of the name (16-octet keys: the kernel's jhash and key
 * compare over 104 octets were a third of the program's time), and the
 * value carries the name itself, which the program compares before it
 * trusts a hit: a collision is passed to the slow path, never answered.
 * The hash is built from label hashes combined from the right, so the
 * program gets every suffix's hash (every zone and ancestor it may probe)
 * from one pass over the name plus one over its labels:
 *   label  L = fold of ls_hash_step() over (length octet, octets...)
 *   suffix H(root) = LS_HASH_ROOT, H(label.rest) = ls_hash_join(H(rest), L)
 * Not secret: a crafted collision only sends its own query to the slow path.
 */
#define LS_HASH_P 0x100000001b3ULL /* the FNV prime: octets within a label */
#define LS_HASH_Q 0x9e3779b97f4a7c15ULL /* odd: labels onto their suffix */
#define LS_HASH_ROOT 0x5bd1e9955bd1e995ULL

static inline __u64 ls_hash_step(__u64 h, __u8 c)
{
	return h * LS_HASH_P + (__u64)c + 1;
}

static inline __u64 ls_hash_join(__u64 below, __u64 label)
{
	__u64 h = (below ^ label) * LS_HASH_Q;

	return h ^ (h >> 29);
}

/* The hash of uncompressed wire name @name (at most 255 octets, labels
 * well-formed), folding ASCII upper case as the program does. */
static inline __u64 ls_name_hash(const __u8 *name)
{
	__u64 lab[128];
	__u32 n = 0, off = 0;
	__u64 h = LS_HASH_ROOT;

	while (name[off] && n < 128 && off < 255) {
		__u32 len = name[off];
		__u64 l = ls_hash_step(0, (__u8)len);
		for (__u32 i = 1; i <= len; i++) {
			__u8 c = name[off + i];
			l = ls_hash_step(l, (c >= 'A' && c <= 'Z') ? (__u8)(c | 0x20) : c);
		}
		lab[n++] = l;
		off += 1 + len;
	}
	while (n)
		h = ls_hash_join(h, lab[--n]);
	return h;
}

/*
 * answers: key (generation, qtype, flags, hash of the name) -> ls_ans_val
 * holding the name; written by agent/compile.c. A generation's entries
 * are all inserted before any control entry names its id.
 */
struct ls_ans_key {
	__u32 gen;
	__u16 qtype; /* host order; LS_QTYPE_OTHER for the fallback */
	__u8 flags; /* LS_KEY_* */
	__u8 pad;
	__u64 hash; /* ls_name_hash() of the name */
};

/* ls_ans_val.flags */
#define LS_ANS_WILDCARD (1u << 0) /* "*.<name>" exists: try (qtype, LS_KEY_BELOW) first */

struct ls_ans_val {
	__u32 body; /* answer for this name (LS_BODY_*); 0: pass */
	__u32 below; /* answer for names below it that do not exist; 0: pass */
	__u32 flags; /* LS_ANS_* */
	__u32 pad;
	__u8 name[LS_XDP_NAME_MAX]; /* lowercased, zero-padded: what the hash stands for */
};

/*
 * Bodies: what follows the question in the response (answer, authority,
 * additional, and always a trailing OPT of LS_XDP_OPT_LEN octets, which a
 * query without EDNS does not get). A body reference is
 * (class + 1) << LS_BODY_CLASS_SHIFT | index into that class's array.
 * Compression pointers that aim past offset 12 (at a suffix of the query
 * name, or into the body) move with the query name's length: each such
 * pointer is stored minus the compiled name's length and the program adds
 * the query's, so one body serves every name with the same answer.
 */
#define LS_BODY_CLASS_SHIFT 28
#define LS_BODY_INDEX_MASK ((1u << LS_BODY_CLASS_SHIFT) - 1)
#define LS_BODY_CLASSES 4
#define LS_BODY_SIZE0 128
#define LS_BODY_SIZE1 256
#define LS_BODY_SIZE2 512
#define LS_BODY_SIZE3 1232
#define LS_XDP_OPT_LEN 11

struct ls_body_hdr {
	__u16 flags; /* response flags word without RD/CD (copied from the query) */
	__u16 tc_flags; /* the truncated form's flags without RD/CD; 0: unknown, pass */
	__u16 an, ns, ar; /* section counts, ar counting the OPT */
	__u16 len; /* octets of data[] */
	__u16 req; /* octets before the additional section (what may not be cut) */
	__u16 nfix;
	/* RFC 1071 sums (folded, not complemented, big-endian 16-bit words from
	 * data[0], an odd last octet padded with zero) of data[] as stored and
	 * of data[] without the trailing OPT: the program adds what it changes
	 * (moved pointers, the DO bit) instead of summing the body per query */
	__u16 sum, sum_noopt;
	__u16 fix[LS_XDP_FIXUPS]; /* offsets in data[] of pointers to move */
};

struct ls_body0 {
	struct ls_body_hdr h;
	__u8 data[LS_BODY_SIZE0];
};
struct ls_body1 {
	struct ls_body_hdr h;
	__u8 data[LS_BODY_SIZE1];
};
struct ls_body2 {
	struct ls_body_hdr h;
	__u8 data[LS_BODY_SIZE2];
};
struct ls_body3 {
	struct ls_body_hdr h;
	__u8 data[LS_BODY_SIZE3];
};

/*
 * zones: key ls_name_hash() of the origin -> ls_zone_val holding the
 * origin (compared before a hit is trusted) and the zone's slot in the
 * control array; written by agent/dataplane.c when a zone is added or
 * removed, never while it is served (its origin, labels and slot do not
 * change).
 */
struct ls_zone_key {
	__u64 hash;
};

struct ls_zone_val {
	__u32 labels; /* labels of the origin */
	__u32 slot; /* index into the ctl array */
	__u8 name[LS_XDP_NAME_MAX]; /* the origin, lowercased, zero-padded */
};

/*
 * ctl: zone slot -> ls_ctl_slot, an mmapable array the agent writes
 * through its mapping as a sequence-counted copy (a seqlock without the
 * lock): seq made odd, the fields written, seq made even. The program
 * reads seq, the fields, seq again, and passes the packet to the slow
 * path (counted as pass_ctl_busy) when seq was odd or moved: it never
 * answers from a control entry it may have read half-written. The copy
 * also carries the zone's hash, which the program compares with the hash
 * it looked the zone up by, so a zones element freed and reused between
 * the lookup and the read (a zone removed, another added) or a slot given
 * to another zone is passed, never answered from another zone's entry.
 * Ordering: the agent's writes are ordered by release fences; the
 * program's three reads by compiler barriers, which is enough on x86-64
 * (TSO: loads are not reordered with loads), the architecture this
 * data plane is built and tested for (note_first_next() relies on TSO
 * too). Why not the hash map's own element replacement: an update does
 * insert a new element and unlink the old, but the old goes back to the
 * kernel's per-CPU BPF allocator cache (kernel/bpf/memalloc.c) and the
 * next update on that CPU may reuse it at once; a reader still copying it
 * could then see parts of another entry. The spin lock this replaces
 * cost about 40 ns per query and a shared, written cache line per zone.
 */
struct ls_ctl_slot {
	__u32 seq; /* odd: being written */
	__u32 pad;
	__u64 zhash; /* ls_name_hash() of the origin this slot serves; 0: none */
	struct ls_zone_ctl ctl;
	__u8 pad2[16]; /* one 64-octet cache line per zone */
};

/*
 * first_next: zone_id (ls_zone_ctl.zone_id) -> per-CPU ls_first_next; an
 * LRU per-CPU hash written by the program, read (and deleted with the
 * zone) by agent/dataplane.c (ls_dataplane_first_next()). The data plane's
 * own record of when each CPU first decided LS_CTL_NEXT for a zone, i.e.
 * the switch as the packets saw it (issue 7 measures per-node offsets from
 * T with it). Written only on the LS_CTL_NEXT path, and only when the
 * record is missing or names another generation: after the first query
 * the cost is one lookup. The timestamp is the one the decision used,
 * whether the query was then answered in place or passed to the slow path
 * (which decides by the same rule).
 */
struct ls_first_next {
	__u64 tai_ns; /* bpf_ktime_get_tai_ns() of that CPU's first LS_CTL_NEXT query */
	__u32 gen; /* the next_gen it answered from */
	__u32 pad;
};

/* addrs: the shared service addresses -> 1; written by agent/dataplane.c. */
struct ls_addr_key {
	__u32 family; /* 4 or 6 */
	__u8 addr[16]; /* network order; IPv4 in the first 4 octets */
};

/*
 * global: one entry, mmapped by the agent, which writes single aligned
 * 64- or 32-bit words (atomic on every 64-bit target; the inline IPv6
 * addresses as described below); the program reads them once per packet.
 */
#define LS_GLOBAL_ADDR4 4
#define LS_GLOBAL_ADDR6 2

struct ls_global {
	__u64 lease_deadline; /* CLOCK_TAI ns; 0: never leased, silent */
	__u64 label_mask; /* bit n: some zone's origin has n labels (n < 64) */
	__u64 next_gen; /* the agent's generation id counter, kept across restarts */
	__u32 port; /* service.port */
	__u32 flags; /* LS_GLOBAL_* */
	/* The first shared addresses of each family, in the cache line the
	 * program reads anyway: a packet to one of them needs no ls_addrs
	 * lookup. Unused slots are zero, and the program reads no count:
	 * an address whose first 32 bits are zero is never put here, an IPv6
	 * slot gets its first word last, and addresses are only added.
	 * More than fit here (or such an address) set LS_GLOBAL_ADDRS_MAP:
	 * the program then looks up ls_addrs (which holds every address) for
	 * what it does not find here. */
	__u32 n4, n6; /* slots used: the agent's own bookkeeping */
	__u32 addr4[LS_GLOBAL_ADDR4]; /* network order */
	__u8 addr6[LS_GLOBAL_ADDR6][16];
};

/* ls_global.flags */
#define LS_GLOBAL_CASEFOLD (1u << 0) /* responses are case-independent: answer any spelling */
#define LS_GLOBAL_ADDRS_MAP (1u << 1) /* some address is only in ls_addrs */

/* stats: per-CPU array of __u64 indexed by enum ls_stat; written by the program. */
enum ls_stat {
	LS_STAT_ANSWERED = 0,
	LS_STAT_TRUNCATED, /* answered with TC=1 (also counted as answered) */
	LS_STAT_PASS_OTHER, /* not a UDP packet to a service address and port */
	LS_STAT_PASS_TCP,
	LS_STAT_PASS_FRAGMENT,
	LS_STAT_PASS_IP_OPTIONS, /* IPv4 options, IPv6 extension headers */
	LS_STAT_PASS_MALFORMED, /* lengths that do not add up */
	LS_STAT_PASS_HEADER, /* QR, opcode, section counts */
	LS_STAT_PASS_EDNS, /* EDNS version, options, a record that is not OPT */
	LS_STAT_PASS_QNAME, /* too long, too many labels, case when not folding */
	LS_STAT_PASS_QTYPE, /* class not IN, DS, ANY, RRSIG, transfers, meta types */
	LS_STAT_PASS_NO_ZONE,
	LS_STAT_PASS_NOT_IN_TABLE,
	LS_STAT_PASS_SIZE, /* partial additional section, unknown TC form, no room */
	LS_STAT_DROP_LEASE,
	LS_STAT_DROP_WITHDRAWN,
	LS_STAT_DROP_NOT_READY,
	LS_STAT_DROP_NO_LIVE,
	LS_STAT_ERROR, /* a helper failed: passed */
	LS_STAT_PASS_CTL_BUSY, /* the zone's control entry was being written */
	LS_STAT_MAX,
};

/*
 * Benchmarks only: where a program loaded with ls_bench_cut = n drops
 * (XDP_DROP, uncounted) every query it would otherwise go on with, so
 * run_time_ns / run_cnt under real traffic measures the steps before it.
 * 0 is the data plane itself; the verifier removes the cut points then.
 */
enum ls_bench_cut {
	LS_CUT_NONE = 0,
	LS_CUT_HEADERS = 1, /* after Ethernet, IP, UDP and the address lookup */
	LS_CUT_PARSE = 2, /* after the DNS header, name, hashes and EDNS */
	LS_CUT_ZONE = 3, /* after the zone lookup and the control copy */
	LS_CUT_DECIDE = 4, /* after the clock read and ls_ctl_decide() */
	LS_CUT_ANSWER = 5, /* after the answer lookups and the body header */
	LS_CUT_STORE = 6, /* after adjust_tail and the body copy */
};

#endif
