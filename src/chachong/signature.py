"""MinHash signatures in bulk, bit-identical to datasketch 2.x (``scheme="affine32"``).

datasketch's affine32 scheme pre-mixes each 32-bit shingle hash with the MurmurHash3
finalizer, then applies ``a_k * h + b_k mod 2**32`` per permutation and keeps the minimum.
Here the shingles of many paragraphs are concatenated, mixed once, and each permutation
is one multiply-add over a cache-sized 1-D chunk followed by ``np.minimum.reduceat``:
no Python call per shingle or per paragraph.

``signatures(...)[i]`` equals ``datasketch.MinHash(num_perm, seed, scheme="affine32",
hashfunc=chachong.shingle.shingle_hash)`` updated with paragraph i's shingle strings.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_CHUNK = 1 << 16  # shingles per block: a few hundred KB per temporary, stays in L2


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) parameters datasketch draws for affine32 with this seed."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (the pre-mix datasketch applies)."""
    h = h.astype(np.uint32, copy=True)
    with np.errstate(over="ignore"):
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h


def signatures(hashes: np.ndarray, offsets: np.ndarray, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """MinHash signatures (n, num_perm) uint32 of n segments of ``hashes`` given by CSR ``offsets``.

    Every segment must be non-empty (shingling guarantees one shingle per paragraph).
    """
    n = len(offsets) - 1
    out = np.empty((n, num_perm), dtype=np.uint32)
    if n == 0:
        return out
    if np.any(np.diff(offsets) <= 0):
        raise ValueError("every segment needs at least one shingle")
    a, b = permutations(num_perm, seed)
    mixed = fmix32(hashes)
    # blocks of whole segments, each about _CHUNK shingles
    cuts = [0]
    target = _CHUNK
    pos = np.searchsorted(offsets, np.arange(_CHUNK, int(offsets[-1]), _CHUNK), side="left")
    for p in np.unique(pos):
        if p > cuts[-1] and p < n:
            cuts.append(int(p))
    cuts.append(n)
    del target
    buf = np.empty(_CHUNK * 2, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for s, e in zip(cuts[:-1], cuts[1:]):
            lo, hi = int(offsets[s]), int(offsets[e])
            block = mixed[lo:hi]
            starts = offsets[s:e] - lo
            if block.size > buf.size:
                buf = np.empty(block.size, dtype=np.uint32)
            tmp = buf[: block.size]
            for p in range(num_perm):
                np.multiply(block, a[p], out=tmp)
                tmp += b[p]
                out[s:e, p] = np.minimum.reduceat(tmp, starts)
    return out


def signature_of(hashes: np.ndarray, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """Signature of one shingle set (1-D)."""
    return signatures(hashes, np.array([0, hashes.size]), num_perm, seed)[0]
