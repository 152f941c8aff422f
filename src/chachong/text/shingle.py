"""Shingles: character (or jieba word) k-grams of canonical text, hashed to 32-bit integers.

Shingles are never held as Python strings: a k-gram's hash is a polynomial over its code
points modulo 2**64, folded to 32 bits, computed for a whole text with ``k`` numpy passes.
:func:`shingle_hash` computes the same value for one string, so it can be given to
``datasketch.MinHash(hashfunc=shingle_hash)`` and the signatures agree bit for bit.

A text shorter than ``k`` gets one shingle, the hash of the whole text, never an empty set.

>>> shingle_hashes("工作开展情况", 5).size
2
>>> int(shingle_hashes("工作开展情况", 5)[0]) == shingle_hash("工作开展")
False
>>> int(shingle_hashes("工作开展情况", 5)[0]) == shingle_hash("工作开展情")
True
"""

from __future__ import annotations

import numpy as np

HASH_BASE = np.uint64(0x100000001B3)  # FNV-64 prime: odd, spreads code points over 64 bits
_FOLD_MUL = np.uint64(0x9E3779B97F4A7C15)


def _fold(h: np.ndarray) -> np.ndarray:
    """64-bit polynomial value -> well-mixed 32-bit hash (Fibonacci hashing, high half)."""
    with np.errstate(over="ignore"):
        return ((h * _FOLD_MUL) >> np.uint64(32)).astype(np.uint32)


def kgram_values(cps: np.ndarray, k: int) -> np.ndarray:
    """Unfolded 64-bit polynomial value of every k-gram of a code point array (len - k + 1 values)."""
    n = cps.size - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    c = cps.astype(np.uint64)
    h = c[:n].copy()
    with np.errstate(over="ignore"):
        for j in range(1, k):
            h *= HASH_BASE
            h += c[j : j + n]
    return h


def _poly(cps: np.ndarray) -> np.uint64:
    h = np.uint64(0)
    with np.errstate(over="ignore"):
        for c in cps.astype(np.uint64):
            h = h * HASH_BASE + c
    return h


def shingle_hash(s: str | bytes) -> int:
    """32-bit hash of one shingle string, as used for MinHash (datasketch ``hashfunc``)."""
    if isinstance(s, bytes):
        s = s.decode("utf-8")
    cps = np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return int(_fold(np.array([_poly(cps)], dtype=np.uint64))[0])


def shingle_hashes(text_or_cps: str | np.ndarray, k: int) -> np.ndarray:
    """All k-gram hashes of a canonical text, in text order (duplicates kept)."""
    if isinstance(text_or_cps, str):
        cps = np.frombuffer(text_or_cps.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    else:
        cps = text_or_cps
    if cps.size < k:
        return _fold(np.array([_poly(cps)], dtype=np.uint64))
    return _fold(kgram_values(cps, k))


def shingle_strings(text: str, k: int) -> list[str]:
    """The k-gram strings whose hashes :func:`shingle_hashes` returns (for tests and datasketch)."""
    if len(text) < k:
        return [text]
    return [text[i : i + k] for i in range(len(text) - k + 1)]


def segment_kgrams(cps: np.ndarray, bounds: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k-gram hashes of many segments of one code point array at once.

    ``bounds`` is an (n, 2) array of canonical [start, end) per segment. Returns the
    concatenated hashes and CSR offsets (n + 1). A segment shorter than ``k`` gets the
    hash of its whole text.
    """
    all_h = _fold(kgram_values(cps, k)) if cps.size >= k else np.zeros(0, np.uint32)
    starts = bounds[:, 0].astype(np.int64)
    ends = bounds[:, 1].astype(np.int64)
    counts = np.maximum(ends - starts - k + 1, 0)
    short = counts == 0
    counts = np.where(short, 1, counts)
    offsets = np.zeros(len(bounds) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    out = np.empty(total, dtype=np.uint32)
    long_ = ~short
    if all_h.size and np.all(starts[1:] >= ends[:-1]):
        # segments in order and disjoint (paragraphs): the k-grams kept are those inside a
        # segment, in text order, so a mask over all_h selects them; no index per shingle
        inside = np.zeros(all_h.size + 1, dtype=np.int8)
        inside[starts[long_]] = 1
        leave = np.zeros(all_h.size + 1, dtype=np.int8)
        leave[ends[long_] - k + 1] = 1
        np.cumsum(inside - leave, dtype=np.int8, out=inside)
        slot = np.ones(total, dtype=bool)
        slot[offsets[:-1][short]] = False
        out[slot] = all_h[inside[:-1].view(bool)]
    elif all_h.size:
        # index of each output shingle into all_h: start of its segment + rank within segment
        seg = np.repeat(np.arange(len(bounds)), counts)
        rank = np.arange(total) - offsets[:-1][seg]
        src = starts[seg] + rank
        long_mask = long_[seg]
        out[long_mask] = all_h[src[long_mask]]
    if short.any():
        out[offsets[:-1][short]] = _short_hashes(cps, starts[short], ends[short] - starts[short])
    return out, offsets


def _short_hashes(cps: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """:func:`shingle_hash` of many texts shorter than k at once (one pass per character position)."""
    h = np.zeros(starts.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(int(lengths.max(initial=0))):
            live = j < lengths
            h[live] = h[live] * HASH_BASE + cps[starts[live] + j].astype(np.uint64)
    return _fold(h)


def word_shingles(text: str, k: int) -> np.ndarray:
    """Hashes of jieba word k-grams of a canonical text (``shingle="word"``).

    jieba is imported here only, so character shingling never pays for it.
    """
    from chachong.text.wordseg import jieba

    words = [w for w in jieba().lcut(text, HMM=False) if w.strip()]
    if not words:
        return shingle_hashes(text, k)
    word_h = np.array([_poly(np.frombuffer(w.encode("utf-32-le", "surrogatepass"), np.uint32)) for w in words],
                      dtype=np.uint64)
    if word_h.size < k:
        with np.errstate(over="ignore"):
            h = np.uint64(0)
            for v in word_h:
                h = h * HASH_BASE + v
        return _fold(np.array([h], dtype=np.uint64))
    return _fold(kgram_values(word_h, k))
