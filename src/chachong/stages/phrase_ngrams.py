"""Frequent character n-grams of the joined text (phrase_text.py), counted in independent groups.

The shortest n-grams (``phrase_min_chars``, 4) in at least ``min_docs`` groups are found with 64-bit
rolling hashes in numpy, in batches of documents whose counts merge exactly: each batch counts
its n-grams per hash bucket (:func:`bucket_counts`: an upper bound of their groups), the sums
name the heavy buckets (:func:`heavy_buckets`), each batch gives the distinct (hash, group)
pairs of its n-grams in them (:func:`heavy_grams`, :func:`distinct_pairs`) and their union
counts every n-gram's groups, a group split across batches once (:func:`merge_pairs`); so
memory follows the frequent text, never 8 bytes per character. Then (n+1)-grams only where
both n-grams they start and end with are frequent, up to the longest phrase
(:func:`extend_levels`), inside the windows: the stretches the frequent shortest n-grams
cover (:func:`windows`), all that the later steps read (phrase_windows.py, phrase_words.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chachong.runtime.arrays import unique
from chachong.stages.phrase_text import JoinedText

BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, so the rolling hash is a bijection per step
MIX = np.uint64(0xBF58476D1CE4E5B9)
_PREFILTER = 1_000_000  # above this many n-grams, count occurrences in hash buckets first


@dataclass
class Table:
    """Frequent n-grams of one length: sorted hashes and their groups."""

    hashes: np.ndarray
    documents: np.ndarray

    def lookup(self, h: np.ndarray) -> np.ndarray:
        """Groups of each hash in ``h`` (0 when it is not frequent)."""
        if not self.hashes.size:
            return np.zeros(h.size, np.int64)
        idx = np.minimum(np.searchsorted(self.hashes, h), self.hashes.size - 1)
        return np.where(self.hashes[idx] == h, self.documents[idx], 0)


def _bucket(h: np.ndarray, bits: int) -> np.ndarray:
    """Bucket of each hash: the top bits of a multiplicative hash (in place of a copy of ``h``)."""
    b = h * MIX
    b >>= np.uint64(64 - bits)
    return b.view(np.int64)


def distinct_pairs(h: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (hash, group) pairs of n-grams ``h`` of groups ``group``, sorted by hash then
    group: a batch's partial table, merged with others' by :func:`merge_pairs`."""
    order = np.argsort(h, kind="stable")
    hs = h[order]
    new = np.ones(hs.size, bool)
    new[1:] = hs[1:] != hs[:-1]
    gid = np.cumsum(new) - 1
    n_hash = int(gid[-1]) + 1 if gid.size else 0
    g = group[order].astype(np.int64)
    # one sort of a combined key (a lexsort of two keys takes twice the time and memory)
    width = int(g.max()) + 1 if g.size else 1
    if n_hash * width < 2**62:
        key = unique(gid * width + g)
        gid, g = key // width, key % width
    else:
        o2 = np.lexsort((g, gid))
        gid, g = gid[o2], g[o2]
        first = np.ones(g.size, bool)
        first[1:] = (g[1:] != g[:-1]) | (gid[1:] != gid[:-1])
        gid, g = gid[first], g[first]
    return hs[new][gid], g


def merge_pairs(parts: Sequence[tuple[np.ndarray, np.ndarray]], min_docs: int) -> Table:
    """The n-grams in at least ``min_docs`` groups, from the batches' :func:`distinct_pairs`: a
    group whose documents lie in several batches counts once (the union of the pairs)."""
    h = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.uint64)
    if len(parts) > 1:
        h, _g = distinct_pairs(h, np.concatenate([p[1] for p in parts]))
    new = np.ones(h.size, bool)
    new[1:] = h[1:] != h[:-1]
    first = np.flatnonzero(new)
    ndocs = np.diff(np.append(first, h.size))
    ok = ndocs >= min_docs
    return Table(h[first[ok]], ndocs[ok].astype(np.int64))


def _frequent(pos: np.ndarray, h: np.ndarray, group: np.ndarray, min_docs: int) -> tuple[np.ndarray, Table]:
    """Indices (ascending) of the n-grams ``h`` (at positions ``pos``, of groups ``group``) that
    are in at least ``min_docs`` groups, and the table of those n-grams."""
    if pos.size > _PREFILTER:
        # an n-gram in min_docs groups occurs min_docs times; most n-grams are rare, so a
        # bucket count (no sort) discards them before the exact count
        b = _bucket(h, 22)
        idx = np.flatnonzero(np.bincount(b, minlength=1 << 22)[b] >= min_docs)
        del b
    else:
        idx = np.arange(pos.size)
    table = merge_pairs([distinct_pairs(h[idx], group[idx])], min_docs)
    return idx[table.lookup(h[idx]) > 0], table


def _hash_piece(text: JoinedText, lo: int, hi: int, length: int) -> np.ndarray:
    """Hashes of the ``length``-grams at positions lo..hi-1 (0 where none fits; across runs
    or not, see :func:`_whole`)."""
    c = text.cps
    last = max(min(hi - lo, text.n - length + 1 - lo), 0)  # positions whose n-gram fits
    h = np.zeros(hi - lo, np.uint64)
    hv = h[:last]
    for k in range(length if last else 0):
        if k:
            np.multiply(hv, BASE, out=hv)
        np.add(hv, c[lo + k:lo + k + last], out=hv, casting="unsafe")
    return h


def _whole(text: JoinedText, pos: np.ndarray, length: int) -> np.ndarray:
    """Whether the ``length``-gram at each position fits in the text within one run."""
    ok = pos + length <= text.n
    for k in range(1, length):
        ok &= ~text.brk[np.minimum(pos + k, text.n)]
    return ok


def _pieces(text: JoinedText, big: int) -> list[tuple[int, int, int]]:
    """(start, end, text index or -1) of position ranges to hash: small texts together, a text
    of ``big`` characters or more alone (its n-grams are then counted once per text)."""
    out: list[tuple[int, int, int]] = []
    sizes = np.diff(text.doc_offsets)
    lo = 0
    for d in np.flatnonzero(sizes >= big).tolist():
        a, b = int(text.doc_offsets[d]), int(text.doc_offsets[d + 1])
        out.extend((x, min(x + text.piece, a), -1) for x in range(lo, a, text.piece))
        out.extend((x, min(x + text.piece, b), d) for x in range(a, b, text.piece))
        lo = b
    out.extend((x, min(x + text.piece, text.n), -1) for x in range(lo, text.n, text.piece))
    return out


def bucket_bits(n: int) -> int:
    """Bits of the hash buckets for a corpus of ``n`` canonical characters (every batch of it
    counts in the same buckets): 2**21 at most, whose counts (16 MB) stay in cache."""
    return int(min(max(math.ceil(math.log2(max(n, 1))) - 2, 12), 21))


def bucket_counts(text: JoinedText, length: int, bits: int, cap: int) -> np.ndarray:
    """A batch's count of ``length``-grams per hash bucket (an upper bound of the groups of every
    n-gram in the bucket; a long text adds one per bucket, not one per occurrence), clipped at
    ``cap`` (``min_docs``: a bucket is heavy when the batches' sum reaches it, which clipping
    keeps exact) in the smallest integers that hold it."""
    counts = np.zeros(1 << bits, np.int64)
    seen = None
    for lo, hi, d in _pieces(text, 1 << (bits - 2)):
        # n-grams across runs are counted too: fewer operations, and still an upper bound
        b = _bucket(_hash_piece(text, lo, hi, length), bits)
        if d < 0:
            counts += np.bincount(b, minlength=counts.size)
            continue
        if seen is None:
            seen = np.zeros(counts.size, bool)
        seen[b] = True
        if hi == text.doc_offsets[d + 1]:
            counts += seen
            seen[:] = False
    np.minimum(counts, cap, out=counts)
    return counts.astype(np.uint16 if cap < 2**16 else np.int64)


def heavy_buckets(parts: Sequence[np.ndarray], min_docs: int) -> np.ndarray:
    """Whether each bucket is heavy: its count over all batches (:func:`bucket_counts`) reaches ``min_docs``."""
    total = np.zeros(parts[0].size, np.int64) if parts else np.zeros(0, np.int64)
    for p in parts:
        total += p
    return total >= min_docs


def heavy_grams(text: JoinedText, length: int, heavy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (ascending) and hashes of a batch's ``length``-grams of heavy buckets, each
    within one run: the only n-grams whose groups are counted exactly."""
    bits = int(heavy.size).bit_length() - 1
    pos_p, h_p = [], []
    for lo, hi, _d in _pieces(text, 1 << (bits - 2)):
        h = _hash_piece(text, lo, hi, length)
        keep = np.flatnonzero(heavy[_bucket(h, bits)])
        keep = keep[_whole(text, keep + lo, length)]
        pos_p.append(keep + lo)
        h_p.append(h[keep])
    pos = np.concatenate(pos_p) if pos_p else np.zeros(0, np.int64)
    h = np.concatenate(h_p) if h_p else np.zeros(0, np.uint64)
    return pos, h


def extend_levels(text: JoinedText, group_of: np.ndarray, min_docs: int, first: np.ndarray, table: Table,
                  min_len: int, max_len: int) -> tuple[dict[int, Table], dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Level-wise frequent n-grams, min_len <= n <= max_len, from the frequent
    ``min_len``-grams at ``first`` (ascending) and their ``table``: tables, positions and the
    n-grams' hashes there, per length.

    An (n+1)-gram can be frequent only where the n-grams it starts and ends with both are, so
    only the positions of frequent n-grams are read (the windows, phrase_windows.py, hold them all).
    """
    S, hS = first, hashes(text.cps, first, min_len)
    tables, positions, gram_hashes = {min_len: table}, {min_len: S}, {min_len: hS}
    for n in range(min_len, max_len):
        # the n-grams at S and S + 1 are within one run, so the (n+1)-gram at S is too
        j = np.minimum(np.searchsorted(S, S + 1), max(S.size - 1, 0))
        idx = np.flatnonzero(S[j] == S + 1) if S.size else S
        if not idx.size:
            break
        cand = S[idx]
        h = hS[idx] * BASE + text.cps[cand + n]
        keep, table = _frequent(cand, h, group_of[text.doc(cand)], min_docs)
        if not keep.size:
            break
        S, hS = cand[keep], h[keep]
        tables[n + 1] = table
        positions[n + 1], gram_hashes[n + 1] = S, hS
    return tables, positions, gram_hashes


def hashes(c: np.ndarray, pos: np.ndarray, length: int) -> np.ndarray:
    h = np.zeros(pos.size, np.uint64)
    for k in range(length):
        h = h * BASE + c[pos + k]
    return h


def windows(text: JoinedText, first: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Maximal stretches of a run covered by the frequent n-grams at ``first`` (ascending):
    (starts, ends)."""
    if not first.size:
        z = np.zeros(0, np.int64)
        return z, z
    new = np.ones(first.size, bool)
    new[1:] = (first[1:] > first[:-1] + length) | text.brk[first[1:]]
    last = np.ones(first.size, bool)
    last[:-1] = new[1:]
    return first[new].astype(np.int64), first[last].astype(np.int64) + length


def locate(gram_hashes: dict[int, np.ndarray], positions: dict[int, np.ndarray], lengths: np.ndarray,
           hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every occurrence of the phrases given by (length, hash), among the frequent n-grams
    (``positions`` and ``gram_hashes`` per length): (phrase index, position), sorted by
    phrase then position."""
    ph, pos = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for L in np.unique(lengths).tolist():
        ids = np.flatnonzero(lengths == L)
        order = np.argsort(hashes[ids], kind="stable")
        hs = hashes[ids][order]
        P, h = positions[L], gram_hashes[L]
        j = np.minimum(np.searchsorted(hs, h), hs.size - 1)
        hit = hs[j] == h
        ph.append(ids[order][j[hit]])
        pos.append(P[hit])
    ph_all, pos_all = np.concatenate(ph), np.concatenate(pos)
    o = np.lexsort((pos_all, ph_all))
    return ph_all[o], pos_all[o]


__all__ = ["BASE", "MIX", "Table", "bucket_bits", "bucket_counts", "distinct_pairs", "extend_levels", "hashes",
           "heavy_buckets", "heavy_grams", "locate", "merge_pairs", "windows"]
