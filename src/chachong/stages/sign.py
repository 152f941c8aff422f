"""MinHash signatures in bulk, bit-identical to datasketch 2.x (``scheme="affine32"``).

datasketch's affine32 scheme pre-mixes each 32-bit shingle hash with the MurmurHash3
finalizer, then applies ``a_k * h + b_k mod 2**32`` per permutation and keeps the minimum.
Here the shingles of many paragraphs are concatenated, mixed once, and each permutation
is one multiply-add over a cache-sized 1-D chunk followed by ``np.minimum.reduceat``:
no Python call per shingle or per paragraph.

``signatures(...)[i]`` equals ``datasketch.MinHash(num_perm, seed, scheme="affine32",
hashfunc=chachong.text.shingle.shingle_hash)`` updated with paragraph i's shingle strings.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

_CHUNK = 1 << 15  # shingles per block
# permutations per numpy call (a block times these: 4 MB). Measured at 600k paragraphs on the
# 2-core machine, two signing threads took 5.5-6.2 s with 8 (1 MB, in L2), more than one thread
# alone (5.0 s): calls that short leave the threads waiting on each other between calls. With 32,
# 4.2 s; one thread 5.1-5.4 s.
_PERMS = 32


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


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_PARALLEL_MIN = 1 << 20  # shingles below which one thread signs (thread start-up is not worth it)


def signatures(hashes: np.ndarray, offsets: np.ndarray, num_perm: int = 128, seed: int = 1,
               threads: int | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """MinHash signatures (n, num_perm) uint32 of n segments of ``hashes`` given by CSR ``offsets``.

    Every segment must be non-empty (shingling guarantees one shingle per paragraph).
    ``threads``: how many threads sign blocks of segments at once (numpy releases the GIL
    while it multiplies and reduces a block); ``None`` uses every available core once there
    are a million shingles or more. The result does not depend on it. ``out``: an (n, num_perm)
    uint32 array to fill (a work folder's mapped file), instead of a new one.
    """
    n = len(offsets) - 1
    out = np.empty((n, num_perm), dtype=np.uint32) if out is None else out
    if n == 0:
        return out
    if np.any(np.diff(offsets) <= 0):
        raise ValueError("every segment needs at least one shingle")
    a, b = permutations(num_perm, seed)
    # blocks of whole segments, each about _CHUNK shingles
    pos = np.searchsorted(offsets, np.arange(_CHUNK, int(offsets[-1]), _CHUNK), side="left")
    cuts = np.unique(np.concatenate(([0], pos[(pos > 0) & (pos < n)], [n]))).tolist()
    blocks = list(zip(cuts[:-1], cuts[1:]))
    if threads is None:
        threads = available_cores() if int(offsets[-1]) >= _PARALLEL_MIN else 1
    threads = max(1, min(threads, len(blocks)))
    a_col, b_col = a[:, None], b[:, None]

    def sign(part: list[tuple[int, int]]) -> None:
        tmp = np.empty((_PERMS, _CHUNK), dtype=np.uint32)
        with np.errstate(over="ignore"):
            for s, e in part:
                lo, hi = int(offsets[s]), int(offsets[e])
                # mixed a block at a time: a mixed copy of every hash is 4 bytes per shingle
                block = fmix32(hashes[lo:hi])
                starts = offsets[s:e] - lo
                # a block of one huge segment (a whole document on one line) takes fewer
                # permutations per call, so that tmp stays _PERMS * _CHUNK values
                per = max(1, min(_PERMS, _PERMS * _CHUNK // block.size))
                if tmp.shape[0] < per or tmp.shape[1] < block.size:
                    tmp = np.empty((per, max(block.size, _CHUNK)), dtype=np.uint32)
                for p in range(0, num_perm, per):
                    rows = min(per, num_perm - p)
                    t = tmp[:rows, : block.size]
                    # a few permutations per call (rows of t): fewer numpy calls, so threads
                    # spend less time waiting for the GIL between calls
                    np.multiply(a_col[p:p + rows], block, out=t)
                    t += b_col[p:p + rows]
                    out[s:e, p:p + rows] = np.minimum.reduceat(t, starts, axis=1).T

    if threads == 1:
        sign(blocks)
    else:
        from concurrent.futures import ThreadPoolExecutor  # not on `chachong check`'s path

        # interleaved blocks, so each thread gets a share of every part of the corpus
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(sign, [blocks[i::threads] for i in range(threads)]))
    return out


def signature_of(hashes: np.ndarray, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """Signature of one shingle set (1-D)."""
    return signatures(hashes, np.array([0, hashes.size]), num_perm, seed)[0]
