#!/usr/bin/env python3
"""Write the seed corpus of tests/fuzz/fuzz_dnssec.c from the signed zones
here: for the first RRSIGs of each zone, the signing DNSKEY, the RRSIG, the
owner and the RRset, in the fuzzer's input layout (see fuzz_dnssec.c).
Plus a few base32hex strings. Usage: tests/data/dnssec/mkseeds.py"""
import glob
import hashlib
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, '..', '..', 'fuzz', 'corpus', 'dnssec')
os.makedirs(out, exist_ok=True)


def wire(name):
    b = b''
    for label in name.rstrip('.').split('.'):
        if label:
            b += bytes([len(label)]) + label.encode()
    return b + b'\0'


def keytag(rd):
    ac = 0
    for i, c in enumerate(rd):
        ac += c if i & 1 else c << 8
    ac += (ac >> 16) & 0xFFFF
    return ac & 0xFFFF


def seed(data):
    with open(os.path.join(out, hashlib.sha1(data).hexdigest()[:16]), 'wb') as f:
        f.write(data)


for path in sorted(glob.glob(os.path.join(here, '*.zone'))):
    rrs = []
    for line in open(path):
        f = line.split()
        if len(f) < 7 or f[4] != '\\#':
            continue
        rrs.append((f[0].lower(), int(f[3][4:]), bytes.fromhex(''.join(f[6:]))))
    keys = {keytag(rd): rd for o, t, rd in rrs if t == 48}
    n = 0
    for owner, t, rd in rrs:
        if t != 46 or n >= 3:
            continue
        covered, tag = struct.unpack('!H', rd[:2])[0], struct.unpack('!H', rd[16:18])[0]
        rrset = [r for o, ty, r in rrs if o == owner and ty == covered]
        key = keys[tag]
        w = wire(owner)
        data = bytes([n * 37 & 0xFF]) + struct.pack('!H', len(key)) + key
        data += struct.pack('!H', len(rd)) + rd + bytes([len(w)]) + w
        for r in rrset:
            data += struct.pack('!H', len(r)) + r
        seed(data)
        n += 1

for s in (b'0p9mhaveqvm6t7vbl5lop2u3t2rp3tom', b'CPNMUOJ1E8', b'co', b'cpnmuoj1e9'):
    seed(s)
