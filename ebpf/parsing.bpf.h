/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * parsing.bpf.h — header cursor helpers for the XDP data plane, in the
 * style of xdp-tools' parsing_helpers.h: every helper checks the bounds
 * before it touches a byte, so the verifier sees each access proven.
 *
 * Owns: Ethernet, IPv4, IPv6 and UDP header access, and the Internet
 * checksum over packet bytes. Must not: decide anything about DNS.
 */
#ifndef LOCKSTEP_EBPF_PARSING_BPF_H
#define LOCKSTEP_EBPF_PARSING_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct hdr_cursor {
	void *pos;
};

static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *end, struct ethhdr **eth)
{
	struct ethhdr *e = nh->pos;

	if ((void *)(e + 1) > end)
		return -1;
	nh->pos = e + 1;
	*eth = e;
	return e->h_proto; /* network order */
}

static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *end, struct iphdr **iph)
{
	struct iphdr *ip = nh->pos;

	if ((void *)(ip + 1) > end)
		return -1;
	*iph = ip;
	nh->pos = ip + 1; /* options, if any, are refused by the caller */
	return ip->protocol;
}

static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *end, struct ipv6hdr **ip6h)
{
	struct ipv6hdr *ip6 = nh->pos;

	if ((void *)(ip6 + 1) > end)
		return -1;
	*ip6h = ip6;
	nh->pos = ip6 + 1;
	return ip6->nexthdr;
}

static __always_inline int parse_udphdr(struct hdr_cursor *nh, void *end, struct udphdr **udph)
{
	struct udphdr *u = nh->pos;

	if ((void *)(u + 1) > end)
		return -1;
	*udph = u;
	nh->pos = u + 1;
	return 0;
}

/* IPv6 next-header values that are extension headers (RFC 8200 §4, IANA). */
static __always_inline int ipv6_is_ext(__u8 nh)
{
	switch (nh) {
	case 0: /* hop-by-hop */
	case 43: /* routing */
	case 44: /* fragment */
	case 50: /* ESP */
	case 51: /* AH */
	case 60: /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
	case 253:
	case 254:
		return 1;
	}
	return 0;
}

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif
