#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_engine_corpus.py — zones and queries for the engine's differential test.

Owns: one deterministic (seeded) zone structure written under several
origins — delegations (with and without DS, in-bailiwick and sibling glue),
wildcards (plain, CNAME, with existing names and ENTs below their parent),
CNAME chains (in-zone, out of zone, into NXDOMAIN, NODATA, delegations,
wildcards, loops), DNAMEs, deep empty non-terminals and large RRsets — and a
query list covering hits, misses, NODATA, names below delegations, wildcard
matches, ANY, DO on and off, EDNS sizes 512..4096 and none, mixed case.
Must not: sign anything (the test script signs with ldns-signzone) or talk to
any server.

    gen_engine_corpus.py OUTDIR ORIGIN... [--queries N] [--seed S]

Writes OUTDIR/<origin>zone and OUTDIR/queries.txt ("name type do edns").
"""
import argparse
import random

TYPES_Q = ["A", "AAAA", "TXT", "MX", "SRV", "NS", "SOA", "CNAME", "DS", "ANY",
           "DNSKEY", "NSEC", "CAA", "PTR", "HINFO", "DNAME"]


def zone_text(origin, rnd):
    """Returns (text, names): names maps a category to names (relative)."""
    out = []
    cat = {k: [] for k in ("host", "big", "deleg", "glue", "wild", "wildexist",
                           "wcname", "chain", "dname", "ent", "entleaf", "apex")}
    a = out.append
    a("$ORIGIN %s" % origin)
    a("$TTL 3600")
    a("@ 3600 SOA ns1 hostmaster 2026112201 7200 3600 1209600 300")
    a("@ NS ns1")
    a("@ NS ns2")
    a("@ NS ns.outside.example.")
    a("@ A 192.0.2.1")
    a("@ AAAA 2001:db8::1")
    a("@ MX 10 mail")
    a("@ MX 20 mx.outside.example.")
    a('@ TXT "v=spf1 -all"')
    a('@ CAA 0 issue "ca.example"')
    for ns in ("ns1", "ns2", "mail"):
        a("%s A 192.0.2.%d" % (ns, rnd.randint(2, 250)))
        a("%s AAAA 2001:db8::%x" % (ns, rnd.randint(2, 65000)))
        cat["host"].append(ns)
    cat["apex"].append("@")
    # hosts with a mix of types
    for i in range(300):
        n = "h%d" % i
        cat["host"].append(n)
        if rnd.random() < 0.8:
            a("%s A 198.51.100.%d" % (n, rnd.randint(1, 254)))
        if rnd.random() < 0.4:
            a("%s AAAA 2001:db8:1::%x" % (n, rnd.randint(1, 65000)))
        if rnd.random() < 0.3:
            a('%s TXT "host %d" "%s"' % (n, i, "x" * rnd.randint(1, 60)))
        if rnd.random() < 0.15:
            a("%s MX %d h%d" % (n, rnd.randint(1, 50), rnd.randint(0, 299)))
        if rnd.random() < 0.05:
            a("%s MX 5 mx%d.outside.example." % (n, i))
        if rnd.random() < 0.05:
            a("_svc._tcp.%s SRV 0 5 443 h%d" % (n, rnd.randint(0, 299)))
            cat["host"].append("_svc._tcp." + n)
        if rnd.random() < 0.05:
            a("%s HINFO \"pc\" \"linux\"" % n)
        if rnd.random() < 0.05:
            a("%s PTR h%d.%s" % (n, rnd.randint(0, 299), origin))
        if rnd.random() < 0.04:
            a('%s CAA 0 issue "ca%d.example"' % (n, i))
    # large RRsets: around 512, 1232 and well past
    for i, k in enumerate((4, 6, 10, 14, 20, 40)):
        n = "big%d" % i
        cat["big"].append(n)
        for j in range(k):
            a('%s TXT "%s-%d"' % (n, "y" * 80, j))
        for j in range(k * 2):
            a("%s A 203.0.113.%d" % (n, j + 1))
        for j in range(k):
            a("%s AAAA 2001:db8:2::%x" % (n, j + 1))
    # delegations
    for i in range(40):
        d = "d%d" % i
        cat["deleg"].append(d)
        a("%s NS ns.%s" % (d, d))
        cat["glue"].append("ns." + d)
        a("ns.%s A 192.0.2.%d" % (d, rnd.randint(1, 254)))
        if rnd.random() < 0.5:
            a("ns.%s AAAA 2001:db8:3::%x" % (d, i + 1))
        if rnd.random() < 0.5:
            a("%s NS ns.outside.example." % d)
        if rnd.random() < 0.3:
            a("%s NS ns1" % d)  # sibling/in-zone authoritative server
        if rnd.random() < 0.3 and i > 0:
            a("%s NS ns.d%d" % (d, i - 1))  # sibling glue
        if rnd.random() < 0.5:
            a("%s DS %d 13 2 %064x" % (d, 1000 + i, rnd.getrandbits(256)))
        if rnd.random() < 0.2:
            a("deep.%s NS ns.deep.%s" % (d, d) if False else "; no nested cut")
    # big referral: many NS with glue
    cat["deleg"].append("bigd")
    for j in range(30):
        a("bigd NS ns%d.bigd" % j)
        a("ns%d.bigd A 192.0.2.%d" % (j, j + 1))
        a("ns%d.bigd AAAA 2001:db8:4::%x" % (j, j + 1))
    # wildcards
    for i in range(12):
        w = "w%d" % i
        cat["wild"].append(w)
        a("*.%s A 192.0.2.%d" % (w, 100 + i))
        if i % 2:
            a('*.%s TXT "wild %d"' % (w, i))
        if i % 3 == 0:
            a("*.%s MX 10 h%d" % (w, i))
        a("e.%s A 192.0.2.200" % w)
        cat["wildexist"].append("e." + w)
        if i % 4 == 0:
            a("x.ent.%s A 192.0.2.201" % w)  # ent.wN is an ENT under the wildcard's parent
            cat["wildexist"].append("ent." + w)
    for i in range(4):
        w = "wc%d" % i
        cat["wcname"].append(w)
        tgt = ["h1", "nothere", "d1", "w1"][i]
        if tgt == "w1":
            a("*.%s CNAME foo.w1" % w)
        elif tgt == "d1":
            a("*.%s CNAME host.d1" % w)
        else:
            a("*.%s CNAME %s" % (w, tgt))
    a("*.wloop CNAME x.wloop")
    cat["wcname"].append("wloop")
    # CNAME chains
    targets = ["h%d" % rnd.randint(0, 299), "nothere", "host.d2", "foo.w2",
               "www.outside.example.", "b.e1.ent", "h7", "x.dn0"]
    for i in range(60):
        n = "c%d" % i
        cat["chain"].append(n)
        if i % 10 == 9:
            a("%s CNAME c%d" % (n, i - 9))  # loop back to the head
        elif i % 5 == 4:
            a("%s CNAME %s" % (n, targets[(i // 5) % len(targets)]))
        else:
            a("%s CNAME c%d" % (n, i + 1))
    # DNAMEs: out of zone and into the zone
    a("dn0 DNAME h1.outside.example.")
    a("dn1 DNAME w3.%s" % origin)
    a("dn2 DNAME d3.%s" % origin)
    a("dn3 DNAME %s" % origin)
    cat["dname"] += ["dn0", "dn1", "dn2", "dn3"]
    # deep empty non-terminals
    for i in range(20):
        a("a.b.c.e%d.ent A 192.0.2.%d" % (i, i + 1))
        cat["ent"] += ["e%d.ent" % i, "c.e%d.ent" % i, "b.c.e%d.ent" % i]
        cat["entleaf"].append("a.b.c.e%d.ent" % i)
    cat["ent"].append("ent")
    return "\n".join(out) + "\n", cat


def mixcase(name, rnd):
    return "".join(c.upper() if c.isalpha() and rnd.random() < 0.5 else c for c in name)


def gen_queries(origins, cats, n, rnd):
    lines = []
    for _ in range(n):
        origin = rnd.choice(origins)
        cat = cats[origin]
        r = rnd.random()
        if r < 0.22:
            name = rnd.choice(cat["host"] + cat["big"])
        elif r < 0.32:
            name = "nx%d" % rnd.randint(0, 5000)  # miss
        elif r < 0.38:
            name = rnd.choice(["nx.h%d" % rnd.randint(0, 299), "q.nx%d" % rnd.randint(0, 99)])
        elif r < 0.48:
            d = rnd.choice(cat["deleg"])
            name = rnd.choice([d, "www." + d, "a.b." + d, rnd.choice(cat["glue"])])
        elif r < 0.58:
            w = rnd.choice(cat["wild"] + cat["wcname"])
            name = rnd.choice(["m%d.%s" % (rnd.randint(0, 999), w), "a.b.%s" % w, "*.%s" % w, w])
        elif r < 0.62:
            name = rnd.choice(cat["wildexist"] + ["z." + x for x in cat["wildexist"]])
        elif r < 0.72:
            name = rnd.choice(cat["chain"])
        elif r < 0.78:
            d = rnd.choice(cat["dname"])
            name = rnd.choice([d, "x." + d, "a.b." + d, "m1." + d, "host." + d])
        elif r < 0.86:
            name = rnd.choice(cat["ent"] + cat["entleaf"] + ["zz." + x for x in cat["ent"][:10]])
        elif r < 0.95:
            name = "@"
        elif r < 0.98:
            name = "x.outside.example."  # REFUSED
        else:
            name = "nothere"
        if name == "@":
            fq = origin
        elif name.endswith("."):
            fq = name
        else:
            fq = name + "." + origin
        if rnd.random() < 0.3:
            fq = mixcase(fq, rnd)
        t = rnd.random()
        if t < 0.30:
            qtype = "A"
        elif t < 0.40:
            qtype = "AAAA"
        elif t < 0.48:
            qtype = "ANY"
        else:
            qtype = rnd.choice(TYPES_Q)
        do = 1 if rnd.random() < 0.5 else 0
        e = rnd.random()
        if e < 0.2:
            edns = -1
            do = 0
        elif e < 0.35:
            edns = 512
        elif e < 0.5:
            edns = 1232
        elif e < 0.6:
            edns = 4096
        else:
            edns = rnd.randint(512, 4096)
        lines.append("%s %s %d %d" % (fq, qtype, do, edns))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("origins", nargs="+")
    ap.add_argument("--queries", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=20261122)
    args = ap.parse_args()
    cats = {}
    for origin in args.origins:
        rnd = random.Random(args.seed)  # same structure under every origin
        text, cat = zone_text(origin, rnd)
        cats[origin] = cat
        with open("%s/%szone" % (args.outdir, origin), "w") as f:
            f.write(text)
    rnd = random.Random(args.seed + 1)
    with open("%s/queries.txt" % args.outdir, "w") as f:
        f.write("\n".join(gen_queries(args.origins, cats, args.queries, rnd)) + "\n")


if __name__ == "__main__":
    main()
