#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_merkle_block (fuzz/corpus/merkle_block):
real blocks of leaf hashes with their proofs, for the fixed trees of the
target (leaf hash bytes b of the tree of n leaves: (b * 31 + n) & 0xff)."""
import hashlib
import os
import sys


def levels(leaves):
    out = [leaves]
    while len(out[-1]) > 1:
        lv, up = out[-1], []
        for i in range(0, len(lv) - 1, 2):
            up.append(hashlib.sha256(b'\1' + lv[i] + lv[i + 1]).digest())
        if len(lv) % 2:
            up.append(lv[-1])   # promoted
        out.append(up)
    return out


def main(dest):
    os.makedirs(dest, exist_ok=True)
    for n, shift, block in [(1, 0, 0), (5, 1, 2), (5, 2, 1), (8, 3, 0), (9, 3, 1),
                            (13, 2, 3), (13, 3, 1), (12, 0, 11), (7, 1, 0)]:
        raw = bytes(((b * 31 + n) & 0xff) for b in range(n * 32))
        lv = levels([raw[i * 32:(i + 1) * 32] for i in range(n)])
        first = block << shift
        hashes = b''.join(lv[0][first:first + (1 << shift)])
        proof, p = [], block
        for level in lv[shift:] if shift < len(lv) else []:
            if len(level) <= 1:
                break
            if p % 2:
                proof.append(level[p - 1])
            elif p + 1 < len(level):
                proof.append(level[p + 1])
            p //= 2
        data = bytes([n - 1, shift, block, len(proof)]) + b''.join(proof) + hashes
        with open(os.path.join(dest, f'n{n}-s{shift}-b{block}'), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else
         os.path.join(os.path.dirname(__file__), 'corpus', 'merkle_block'))
