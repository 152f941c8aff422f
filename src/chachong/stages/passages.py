"""Copied passages between documents: a winnowed fingerprint index proposes where to look,
the aligner (align.py) finds the passages around those places on the canonical text.

Matching runs on each document's canonical text as one string, so a passage may run across
paragraph boundaries (paragraphs split or merged by the copier).

**Fingerprints.** Every ``FP_K``-gram of the canonical text is hashed; winnowing keeps the
minimum hash of each window of ``w = min_span - FP_K + 1`` consecutive k-grams. Any exact
match of ``min_span`` characters holds a whole window, so both documents keep the same
fingerprint for it (Schleimer, Wilkerson and Aiken 2003), at about ``2 / (w + 1)`` of the
k-grams.

**Seed hits.** A fingerprint two documents share is a seed hit when it is evidence of a copy:
its exact match holds ``min_span`` characters outside common text (see below), or a second
shared fingerprint on another exact run lies near it on nearly the same diagonal (an edited
copy, whose 8-grams are few and far apart).
Verified paragraph pairs (LSH, containment) are aligned whole. No pair of documents is
compared unless one of these proposes it, and only around the hits: the work grows with
the copies found, not with the documents' length.

**Stock fingerprints and recall.** A fingerprint found in ``stock_groups`` or more
independent documents (copies of one document count once), or at more than
``MAX_OCCURRENCES`` places, is stock phrasing (or too common to pair up) and seeds nothing:
it is *common*. Nor do the characters of a common k-gram count towards a seed's ``min_span``
(``free_chars``): otherwise a formula every unit writes, followed by the same word in two
documents, would be a 13-character copy between them (at 600k synthetic paragraphs that was
four passages in five; on 143 independent city reports, two in three). Winnowing keeps a
k-gram of every ``w`` consecutive ones, so up to ``w - 1`` characters at each end of a formula
may still count. So a passage is found when it holds one fingerprint that is not common and
``min_span`` free characters around it: any copy with an exact run of ``min_span`` characters
outside widespread phrasing is. Text that only many
documents share (a ritual formula) is found only where it adjoins such a copy, or inside a
verified paragraph pair; on its own it is not counted as copied. An exact match always
holds a fingerprint, but an edited copy may hold none when its exact runs are all shorter
than ``min_span`` and no paragraph pair links it: at 10 % edits, copies of a few dozen
characters can be missed that way.

**Passage ends.** Canonical text has no paragraph breaks, so an end that reaches fewer than
``SEED_K`` characters past a break is chance and cut off; a passage one changed word short
of both paragraphs' edges (``SNAP``) is carried to them; a passage counts when one of its
pieces between paragraph breaks has ``min_span`` exactly matched characters (two stock
phrases meeting across a break are not a copy of their joint length).
"""

from __future__ import annotations

import importlib.util
import re
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from chachong.runtime.gcpause import paused_gc
from chachong.runtime.arrays import unique
from chachong.stages.align import MAX_GAP, SEED_K, Match, range_indices, as_text, blocks, blocks_many, chain_blocks, extend
from chachong.stages.prepare import Corpus
from chachong.stages.lsh import pairs_in_groups
from chachong.text.normalize import MASK
from chachong.text.shingle import HASH_BASE

FP_K = 8  # an 8-gram is rarely shared by chance, and leaves a window of 6 for a 13-character copy
MAX_OCCURRENCES = 64  # a fingerprint at more places than this proposes no pairs (quadratic cost)
NEAR = 200  # two fingerprints this close (in a) on diagonals DRIFT apart support each other
DRIFT = 2 * MAX_GAP  # insertions and deletions of an edited copy move its diagonal
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MASK_CP = ord(MASK)
_CHUNK = 1 << 22


@dataclass
class Fingerprints:
    """Winnowed fingerprints of a corpus, in order of position.

    ``pos`` are global canonical positions (k-gram starts), ``doc`` their documents,
    ``hash`` the mixed 64-bit values and ``stock`` whether a fingerprint is stock phrasing.
    """

    k: int
    pos: np.ndarray
    doc: np.ndarray
    hash: np.ndarray
    stock: np.ndarray
    order: np.ndarray | None = None  # a stable argsort of ``hash``, when computed (seed_hits reuses it)
    common: np.ndarray | None = None  # stock, or at more than MAX_OCCURRENCES places (see common_hashes)

    def in_range(self, lo: int, hi: int) -> slice:
        """Fingerprints whose k-gram lies inside global canonical ``[lo, hi)``."""
        return slice(int(np.searchsorted(self.pos, lo)), int(np.searchsorted(self.pos, hi - self.k + 1)))


def _mix(v: np.ndarray) -> np.ndarray:
    # winnowing takes minima, so the hash must look uniform: splitmix64's finaliser
    with np.errstate(over="ignore"):
        v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return v ^ (v >> np.uint64(31))


def winnow(values: np.ndarray, valid: np.ndarray, w: int) -> np.ndarray:
    """Positions kept by winnowing: the (leftmost) minimum of every window of ``w`` values.

    Invalid positions (k-grams crossing a document end) are never kept unless a whole
    window is invalid, which is then dropped. The window minima take ``log2 w`` passes (minima
    of windows of 1, 2, 4, ... overlap), the leftmost position of each ``w`` passes.

    >>> winnow(np.array([5, 3, 9, 1, 7, 8], np.uint64), np.ones(6, bool), 3).tolist()
    [1, 3]
    """
    n = values.size
    if n == 0:
        return np.zeros(0, np.int64)
    w = min(w, n)
    v = np.where(valid, values, np.uint64(np.iinfo(np.uint64).max))
    m = n - w + 1  # number of windows
    low, width = v, 1  # low[i] = min(v[i:i + width])
    while 2 * width <= w:
        low = np.minimum(low[:-width], low[width:])
        width *= 2
    if width < w:
        low = np.minimum(low[:m], low[w - width:w - width + m])
    else:
        low = low[:m]
    off = np.full(m, w - 1, dtype=np.int16 if w < 2**15 else np.int64)
    for j in range(w - 2, -1, -1):  # last write wins: the leftmost minimum
        np.copyto(off, j, where=v[j:j + m] == low)
    pos = np.arange(m, dtype=np.int64)
    pos += off
    # window minima move right monotonically, so equal neighbours are the only repeats
    keep = np.ones(m, dtype=bool)
    keep[1:] = pos[1:] != pos[:-1]
    kept = pos[keep]
    return kept[valid[kept]]


def _poly(cps: np.ndarray, k: int) -> np.ndarray:
    """``shingle.kgram_values(cps, k)`` by doubling: about ``log2 k`` multiply-adds instead of ``k - 1``.

    The value of a (p + q)-gram is the value of its first p characters times ``BASE ** q``
    plus the value of the q characters after them, in the same wrapping 64-bit arithmetic;
    k is built from its binary digits, most significant first.
    """
    n = cps.size - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    ones = cps.astype(np.uint64)
    value, length = ones, 1  # value[i]: the length-gram at i
    power = {1: ones}  # the 2**j-grams, built on the way
    j = 1
    while 2 * j <= k:
        size = cps.size - 2 * j + 1
        with np.errstate(over="ignore"):
            nxt = power[j][:size] * np.uint64(pow(int(HASH_BASE), j, 1 << 64))
            nxt += power[j][j:j + size]
        power[2 * j] = nxt
        j *= 2
    value, length = power[j], j
    rest = k - j
    while rest:
        q = 1 << (rest.bit_length() - 1)
        size = cps.size - length - q + 1
        with np.errstate(over="ignore"):
            out = value[:size] * np.uint64(pow(int(HASH_BASE), q, 1 << 64))
            out += power[q][length:length + size]
        value, length, rest = out, length + q, rest - q
    return value[:n]


def _invalid(offsets: np.ndarray, k: int, s: int, e: int) -> np.ndarray:
    """Which k-gram starts in [s, e) cross the end of their document (the last k - 1 before each end)."""
    valid = np.ones(e - s, dtype=bool)
    ends = offsets[1:]
    ends = ends[(ends > s) & (ends - k + 1 < e)]
    if ends.size and k > 1:
        at = (ends[:, None] - np.arange(1, k, dtype=np.int64)).ravel() - s
        valid[at[(at >= 0) & (at < e - s)]] = False
    return valid


def hash_groups(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.argsort(h, kind="stable")`` and the starts and sizes of its runs of equal values.

    Sorting values is about twice as fast as sorting indices, so the index is packed under
    the top bits of the hash and the packed keys are sorted; the rare runs where two different
    hashes share those top bits are sorted again by the whole hash.

    >>> [x.tolist() for x in hash_groups(np.array([7, 3, 7, 1], np.uint64))]
    [[3, 1, 0, 2], [0, 1, 2], [1, 1, 2]]
    """
    n = h.size
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    bits = max(1, int(n).bit_length())
    key = ((h >> np.uint64(bits)) << np.uint64(bits)) | np.arange(n, dtype=np.uint64)
    key.sort()
    order = (key & np.uint64((1 << bits) - 1)).astype(np.int64)
    top = key >> np.uint64(bits)
    del key
    hs = h[order]
    new_top = np.concatenate(([True], top[1:] != top[:-1]))
    new_h = np.concatenate(([True], hs[1:] != hs[:-1]))
    mixed = np.flatnonzero(new_h & ~new_top)  # a new hash inside a run of equal top bits
    if mixed.size:
        run_start = np.flatnonzero(new_top)
        runs = unique(np.searchsorted(run_start, mixed, side="right") - 1)
        lo = run_start[runs]
        hi = np.append(run_start, n)[runs + 1]
        at = range_indices(lo, hi - lo)
        run_id = np.repeat(np.arange(runs.size), hi - lo)
        fix = np.lexsort((order[at], hs[at], run_id))
        order[at] = order[at][fix]
        hs = h[order]
        new_h = np.concatenate(([True], hs[1:] != hs[:-1]))
    starts = np.flatnonzero(new_h)
    return order, starts, np.diff(np.append(starts, n))


_PART = 1 << 20  # fingerprints per hash-range partition (its sort's temporaries take about 55 bytes each)
_WINDOWS = 1 << 20  # windows winnowed at a time (their temporaries are about 40 bytes each)
_PIECE = 1 << 21  # entries of the hash order per piece of seed_hits


def _position_type(size: int) -> type:
    # int32 halves the index below 2 GB of text; the margin covers _extent's look-ahead
    return np.int32 if size < 2**31 - 2**20 else np.int64


def _hash_bounds(h: np.ndarray, parts: int) -> np.ndarray:
    """Ascending hash values splitting ``h`` into about ``parts`` ranges of similar size.

    Kept fingerprints are window minima, so their hashes crowd the low end: the bounds are
    quantiles of a regular sample rather than equal ranges of the top bits.
    """
    if parts <= 1 or h.size == 0:
        return np.zeros(0, np.uint64)
    sample = np.sort(h[:: max(1, h.size // (64 * parts))])
    return np.unique(sample[(np.arange(1, parts) * sample.size) // parts])


def _grow(a: np.ndarray, need: int) -> np.ndarray:
    if need <= a.size:
        return a
    b = np.empty(max(need, a.size + a.size // 2), a.dtype)
    b[:a.size] = a
    return b


@dataclass
class Winnowed:
    """The part of the fingerprint index that does not depend on which documents are copies of
    each other: positions, documents, hashes, their stable hash order and the runs of equal
    hashes in it that repeat (``runs``: start in ``order`` and size, for sizes >= 2)."""

    k: int
    pos: np.ndarray
    doc: np.ndarray
    hash: np.ndarray
    order: np.ndarray
    run_start: np.ndarray
    run_size: np.ndarray


def winnowed(corpus: Corpus) -> Winnowed:
    """Winnow the corpus and sort the fingerprints by hash (the costly, group-independent part of
    :func:`fingerprints`; it can run while the paragraphs are paired).

    Positions and documents are int32 below 2 GB of text, ``order`` uint32 below 4 G
    fingerprints. The hash order is computed one range of hash values at a time, so its sort
    temporaries stay small.
    """
    min_span = corpus.config.min_span
    k = max(1, min(FP_K, min_span))
    w = max(1, min_span - k + 1)
    cps = corpus.cps
    offsets = corpus.doc_offsets
    n = max(cps.size - k + 1, 0)  # k-gram start positions
    ptype = _position_type(cps.size)
    # winnowing keeps about 2 / (w + 1) of the positions; the buffers grow if text repeats a lot
    pos = np.empty(int(n * 2.5 / (w + 1)) + 1024, ptype)
    h = np.empty(pos.size, np.uint64)
    filled = 0
    # in pieces of _WINDOWS windows, so that temporary arrays stay small on any corpus
    for s in range(0, max(n - w + 1, 1) if n else 0, _WINDOWS):
        e = min(n, s + _WINDOWS + w - 1)  # values for the windows starting in [s, s + _WINDOWS)
        values = _mix(_poly(cps[s:e + k - 1], k) * _MIX)
        # a k-gram is valid when it ends inside its document: every start but the last k - 1
        # before a document's end (a short document may have none)
        got = winnow(values, _invalid(offsets, k, s, e), w)
        # a minimum can be kept by the last window of one piece and the first of the next
        if filled and got.size and got[0] + s == pos[filled - 1]:
            got = got[1:]
        pos, h = _grow(pos, filled + got.size), _grow(h, filled + got.size)
        pos[filled:filled + got.size] = got + s
        h[filled:filled + got.size] = values[got]
        filled += got.size
        del values, got
    # shrinking in place (realloc) copies nothing, unlike a slice's copy
    pos.resize(filled, refcheck=False)
    h.resize(filled, refcheck=False)
    doc = np.empty(filled, np.int32 if offsets.size < 2**31 else np.int64)
    for s in range(0, filled, _WINDOWS):
        doc[s:s + _WINDOWS] = np.searchsorted(offsets, pos[s:s + _WINDOWS], side="right") - 1
    order = np.empty(filled, np.uint32 if filled < 2**32 else np.int64)
    bounds = _hash_bounds(h, -(-filled // _PART))
    part = np.empty(filled, np.uint8 if bounds.size < 255 else np.int64)
    for s in range(0, filled, _WINDOWS):
        part[s:s + _WINDOWS] = np.searchsorted(bounds, h[s:s + _WINDOWS], side="right")
    # positions grouped by range, ascending within each: a stable counting sort into order
    # itself, a piece at a time (a pass over every position per range took 1.6 s at 600k)
    nparts = bounds.size + 1
    first = np.zeros(nparts + 1, np.int64)
    for s in range(0, filled, _WINDOWS):
        first[1:] += np.bincount(part[s:s + _WINDOWS], minlength=nparts)
    np.cumsum(first, out=first)
    cursor = first[:-1].copy()
    for s in range(0, filled, _WINDOWS):
        piece = part[s:s + _WINDOWS]
        by_range = np.argsort(piece, kind="stable")
        count = np.bincount(piece, minlength=nparts)
        within = np.arange(by_range.size) - np.repeat(np.cumsum(count) - count, count)
        order[np.repeat(cursor, count) + within] = by_range + s
        cursor += count
        del piece, by_range, within
    # the ranges in ascending order, each sorted stably: together a stable argsort of h
    done = 0
    run_start, run_size = [], []
    for p in range(nparts):
        idx = order[first[p]:first[p + 1]].astype(np.int64)  # a copy: order's slice is rewritten below
        local, starts, sizes = hash_groups(h[idx])
        order[done:done + idx.size] = idx[local]
        rep = sizes >= 2
        run_start.append(starts[rep] + done)
        run_size.append(sizes[rep].astype(np.int32))
        done += idx.size
        del idx, local, starts, sizes
    return Winnowed(k, pos, doc, h, order, np.concatenate(run_start) if run_start else np.zeros(0, np.int64),
                    np.concatenate(run_size) if run_size else np.zeros(0, np.int32))


def fingerprints(corpus: Corpus, doc_group: np.ndarray, stock_groups: int,
                 index: Winnowed | None = None) -> Fingerprints:
    """The winnowed fingerprint index of ``corpus`` (see the module docstring), with its stock and
    common flags for these groups of copies; ``index``: :func:`winnowed` of the corpus, when
    computed already. It takes about 21 bytes per fingerprint.
    """
    wi = index if index is not None else winnowed(corpus)
    filled = wi.hash.size
    stock = np.zeros(filled, dtype=bool)
    if stock_groups <= 1:
        stock[:] = True  # every hash is in one group at least
    else:
        # only a hash at stock_groups places or more can be in stock_groups groups: count the
        # distinct groups of those few
        big = wi.run_size >= stock_groups
        if big.any():
            rows = wi.order[range_indices(wi.run_start[big], wi.run_size[big])].astype(np.int64)
            run_of = np.repeat(np.arange(int(big.sum())), wi.run_size[big])
            gb = doc_group[wi.doc[rows]]
            o = np.lexsort((gb, run_of))
            first = np.ones(o.size, dtype=bool)
            first[1:] = (run_of[o][1:] != run_of[o][:-1]) | (gb[o][1:] != gb[o][:-1])
            groups_per_run = np.bincount(run_of[o][first], minlength=int(big.sum()))
            stock[rows[(groups_per_run >= stock_groups)[run_of]]] = True
    crowded = stock.copy()
    many = wi.run_size > MAX_OCCURRENCES
    if many.any():
        crowded[wi.order[range_indices(wi.run_start[many], wi.run_size[many])]] = True
    return Fingerprints(wi.k, wi.pos, wi.doc, wi.hash, stock, wi.order, crowded)


def match_sides(cps: np.ndarray, lo: np.ndarray, hi: np.ndarray, pa: np.ndarray, pb: np.ndarray,
           k: int, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """Characters of exact match before and after the k-grams at global ``pa``/``pb`` (each at most ``reach``).

    ``lo``/``hi`` are (per row) the document bounds of a and b as (n, 2) arrays.
    """
    out = []
    for step in (-1, 1):
        total = np.zeros(pa.size, dtype=np.int64)
        alive = np.ones(pa.size, dtype=bool)
        for o in range(1, reach + 1):
            ia = pa - o if step < 0 else pa + k - 1 + o
            ib = pb - o if step < 0 else pb + k - 1 + o
            inside = (ia >= lo[:, 0]) & (ib >= lo[:, 1]) & (ia < hi[:, 0]) & (ib < hi[:, 1])
            alive &= inside
            idx = np.flatnonzero(alive)
            alive[idx] = cps[ia[idx]] == cps[ib[idx]]
            total += alive
            if not alive.any():
                break
        out.append(total)
    return out[0], out[1]


def _extent(cps: np.ndarray, lo: np.ndarray, hi: np.ndarray, pa: np.ndarray, pb: np.ndarray,
            k: int, limit: int) -> np.ndarray:
    """Length of the exact match around k-grams at global ``pa``/``pb``, capped near ``limit``.

    ``lo``/``hi`` are (per row) the document bounds of a and b as (n, 2) arrays.
    """
    before, after = match_sides(cps, lo, hi, pa, pb, k, max(limit - k, 0))
    return k + before + after


def free_reach(min_span: int) -> int:
    """How far (characters on each side of a seed's k-gram) its exact match is followed to count free characters."""
    return 2 * min_span


def free_chars(cps: np.ndarray, common: np.ndarray, lo: np.ndarray, hi: np.ndarray, pa: np.ndarray,
               pb: np.ndarray, k: int, reach: int,
               sides: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Characters of the exact match around the k-grams at global ``pa``/``pb`` (followed at most
    ``reach`` characters on each side) that lie in no k-gram of that match whose hash is in
    ``common`` (sorted hashes of common fingerprints, :func:`common_hashes`).

    The k-grams are those of the matched text itself, so the count depends only on that text and
    the corpus-wide set of common hashes, not on which k-grams winnowing kept in either document.
    ``sides``: the match's extent before and after the k-grams, when :func:`match_sides` gave it already.

    >>> cps = np.array([1, 2, 3, 4, 9, 1, 2, 3, 4, 8])
    >>> h = _mix(_poly(cps, 2) * _MIX)  # the hash of the 2-gram at each position
    >>> bounds = np.array([[0, 5]]), np.array([[5, 10]])
    >>> free_chars(cps, np.sort(h[[0]]), *bounds, np.array([1]), np.array([6]), 2, 4).tolist()
    [2]
    """
    before, after = sides if sides is not None else match_sides(cps, lo, hi, pa, pb, k, reach)
    length = before + k + after
    width = 2 * reach + k
    grams = width - k + 1
    free = np.empty(pa.size, dtype=np.int64)
    cols = np.arange(width)
    # most k-grams are not common: a table of the top bits of the common hashes rules them out
    # before the exact (binary) search
    table = np.zeros(1 << _TOP_BITS, dtype=bool)
    table[common >> np.uint64(64 - _TOP_BITS)] = True
    for s in range(0, pa.size, _FREE_ROWS):
        e = min(pa.size, s + _FREE_ROWS)
        start, n = pa[s:e] - before[s:e], length[s:e]
        chars = cps[np.minimum(start[:, None] + cols, hi[s:e, :1] - 1)]
        # the k-grams of all rows at once (those across two rows are dropped)
        flat = np.concatenate((chars.ravel(), np.zeros(k - 1, dtype=chars.dtype)))
        h = _mix(_poly(flat, k) * _MIX).reshape(e - s, width)[:, :grams]
        hit = table[h >> np.uint64(64 - _TOP_BITS)]
        hit &= cols[:grams] + k <= n[:, None]  # k-grams inside the match only
        r, c = np.nonzero(hit)
        if r.size:
            cand = h[r, c]
            at = np.minimum(np.searchsorted(common, cand), common.size - 1)
            hit[r, c] = common[at] == cand
        cover = np.zeros((e - s, width), dtype=bool)
        for t in range(k):
            cover[:, t:t + grams] |= hit
        free[s:e] = n - cover.sum(axis=1)
    return free


_TOP_BITS = 22
_FREE_ROWS = 1 << 16  # occurrence pairs whose k-grams are hashed at a time (about 60 columns of 8 bytes)


def common_hashes(fps: "Fingerprints") -> np.ndarray:
    """Sorted distinct hashes of the common fingerprints: stock (in ``stock_groups`` independent
    documents) or at more than ``MAX_OCCURRENCES`` places.

    Common fingerprints seed nothing, and the characters of their k-grams are no evidence of a
    copy either: a seed's exact match must hold ``min_span`` characters outside them
    (:func:`free_chars`), or a formula with one more word on either side would count as copied
    between every two documents writing it the same way.
    """
    return unique(fps.hash[fps.common if fps.common is not None else fps.stock])


def _run_end(h: np.ndarray, order: np.ndarray, e: int) -> int:
    """The end of the run of equal ``h[order]`` holding index ``e - 1`` (``h[order]`` is sorted)."""
    v, lo, hi = h[order[e - 1]], e, order.size
    while lo < hi:  # the first index past e - 1 with a larger hash
        mid = (lo + hi) // 2
        if h[order[mid]] > v:
            hi = mid
        else:
            lo = mid + 1
    return lo


def seed_hits(corpus: Corpus, fps: Fingerprints) -> np.ndarray:
    """Shared fingerprints that are evidence of a copy, as rows ``(a, b, pa, pb)``.

    ``a`` < ``b`` are document indices and ``pa``/``pb`` local canonical positions of the
    shared k-gram. Evidence: the exact match around it holds ``min_span`` characters outside
    the k-grams of common fingerprints (:func:`free_chars`, the match followed up to
    :func:`free_reach` characters on each side), or another shared fingerprint of the same
    pair, on another exact run, lies within ``NEAR`` characters on a diagonal at most
    ``DRIFT`` away (an edited copy: at 10 % edits few 8-grams survive, far apart; two
    k-grams of one run are that run's evidence only). Rows are sorted by (a, b, pa, pb).

    The occurrence pairs are made and checked in pieces of the hash order (whole runs of
    one hash each), so their temporaries stay small.
    """
    empty = np.zeros((0, 4), np.int64)
    h, pos, doc = fps.hash, fps.pos, fps.doc
    if fps.order is not None and fps.order.size == h.size:
        # stock is a property of a hash, so the groups of the other hashes keep their sizes
        order, check_stock = fps.order, True
    else:
        keep = np.flatnonzero(~fps.stock)
        order, check_stock = keep[np.argsort(h[keep], kind="stable")], False
    offs = corpus.doc_offsets
    min_span = corpus.config.min_span
    common = common_hashes(fps)
    found: list[tuple[np.ndarray, ...]] = []
    s = 0
    while s < order.size:
        e = _run_end(h, order, min(order.size, s + _PIECE))
        o = order[s:e].astype(np.int64)
        s = e
        hs = h[o]
        starts = np.flatnonzero(np.concatenate(([True], hs[1:] != hs[:-1])))
        sizes = np.diff(np.append(starts, hs.size))
        ok = (sizes >= 2) & (sizes <= MAX_OCCURRENCES)
        if check_stock:
            ok &= ~fps.stock[o[starts]]
        pairs = pairs_in_groups(o, starts[ok], sizes[ok])  # index pairs into h/pos/doc
        if not len(pairs):
            continue
        pairs = pairs[doc[pairs[:, 0]] != doc[pairs[:, 1]]]
        if not len(pairs):
            continue
        # orient each occurrence pair so that a is the earlier document
        x, y = pairs[:, 0], pairs[:, 1]
        swap = doc[x] > doc[y]
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        da, db = doc[x].astype(np.int64), doc[y].astype(np.int64)
        pa, pb = pos[x].astype(np.int64), pos[y].astype(np.int64)
        lo = np.stack([offs[da], offs[db]], axis=1)
        hi = np.stack([offs[da + 1], offs[db + 1]], axis=1)
        long_enough, before = exact_evidence(corpus.cps, common, lo, hi, pa, pb, fps.k, min_span)
        # held in the index's own (narrower) types until the end
        found.append((da.astype(doc.dtype), db.astype(doc.dtype), (pa - offs[da]).astype(pos.dtype),
                      (pb - offs[db]).astype(pos.dtype), long_enough, (pa - offs[da] - before).astype(pos.dtype)))
    if not found:
        return empty
    da, db, la, lb, long_enough, run = (np.concatenate(c) for c in zip(*found))
    del found
    srt = np.lexsort((lb, la, db, da))
    # one column at a time, so that only one is held twice
    da = da[srt]
    db = db[srt]
    la = la[srt]
    lb = lb[srt]
    long_enough = long_enough[srt]
    run = run[srt]
    del srt
    ev = seed_evidence(da, db, la, lb, long_enough, run)
    return np.stack([da[ev], db[ev], la[ev], lb[ev]], axis=1).astype(np.int64)


def exact_evidence(cps: np.ndarray, common: np.ndarray, lo: np.ndarray, hi: np.ndarray, pa: np.ndarray,
                   pb: np.ndarray, k: int, min_span: int) -> tuple[np.ndarray, np.ndarray]:
    """Which occurrence pairs of a shared k-gram (at ``pa``/``pb`` in ``cps``) are a copy on their own.

    The exact match around the pair (followed up to :func:`free_reach` characters each way, inside
    ``[lo, hi)`` of each side) must hold ``min_span`` characters, and as many outside the k-grams of
    the ``common`` hashes (:func:`free_chars`). Returns that flag and how far each match reaches
    back before the k-gram (where its exact run starts, for :func:`seed_evidence`).
    """
    reach = free_reach(min_span)
    before, after = match_sides(cps, lo, hi, pa, pb, k, reach)
    long_enough = k + before + after >= min_span
    # the exact match must also hold min_span characters outside common text
    idx = np.flatnonzero(long_enough)
    if idx.size:
        # the count depends only on the matched text (where it starts in a, how long it is):
        # the k-grams winnowing kept along one exact run share it, so each is counted once
        key = (pa[idx] - before[idx]) * (2 * reach + 1) + (before[idx] + after[idx])
        key, first, back = np.unique(key, return_index=True, return_inverse=True)
        one = idx[first]
        free = free_chars(cps, common, lo[one], hi[one], pa[one], pb[one], k, reach, (before[one], after[one]))
        long_enough[idx] = free[back] >= min_span
    return long_enough, before


def seed_evidence(da: np.ndarray, db: np.ndarray, la: np.ndarray, lb: np.ndarray, long_enough: np.ndarray,
                  run: np.ndarray) -> np.ndarray:
    """Which occurrence pairs are seed hits: long enough, or near another of the same document pair.

    The rule of :func:`seed_hits`, on occurrence pairs sorted by (document pair, position);
    ``run`` is where each one's exact run starts in a (as far back as :func:`free_reach` looks).
    Two occurrences ``NEAR`` characters apart on diagonals at most ``DRIFT`` apart support each
    other unless they are k-grams of one exact run (whose free characters decided already); a lone
    short one is no evidence:

    >>> seed_evidence(np.array([0, 0, 0]), np.array([1, 1, 1]), np.array([10, 30, 500]),
    ...               np.array([12, 32, 900]), np.array([False, False, False]), np.array([10, 28, 500])).tolist()
    [True, True, False]
    >>> seed_evidence(np.array([0, 0]), np.array([1, 1]), np.array([10, 30]), np.array([12, 32]),
    ...               np.array([False, False]), np.array([5, 5])).tolist()
    [False, False]
    """
    near = np.zeros(da.size, dtype=bool)
    if da.size > 1:
        same = (da[1:] == da[:-1]) & (db[1:] == db[:-1])
        drift = (lb[1:] - la[1:]) - (lb[:-1] - la[:-1])
        close = same & (la[1:] - la[:-1] <= NEAR) & (np.abs(drift) <= DRIFT)
        # two k-grams of one exact run are one piece of evidence (its free characters decide)
        close &= (drift != 0) | (run[1:] != run[:-1])
        near[1:] |= close
        near[:-1] |= close
    return long_enough | near


@dataclass(frozen=True)
class DocumentMatch:
    """A passage between documents ``a`` < ``b`` (indices), in canonical offsets local to each."""

    a: int
    b: int
    match: Match


_EDGE = MAX_GAP + 5  # a passage ending this close to its window's edge may go on: widen the window
_WINDOW = 64  # characters on each side of a seed hit aligned first
SNAP = 4  # a passage this close to both paragraphs' edges (a changed first or last word) reaches them


def _window_passages(a: str, b: str, a0: int, a1: int, b0: int, b1: int, min_span: int,
                     pa: int | None = None, pb: int | None = None) -> Generator[tuple[int, int, int, int],
                                                                                list[list[int]], list[Match]]:
    """:func:`align_window` as a generator: yields each window ``(a0, a1, b0, b1)`` it aligns and
    is sent that window's exact blocks (:func:`chachong.stages.align.blocks` in offsets of ``a``/``b``),
    so that a driver can find the blocks of many windows at once."""
    while True:
        bl = yield (a0, a1, b0, b1)
        found = chain_blocks(a, b, bl, min_span)
        if pa is not None and pb is not None:
            found = [m for m in found if m.a_start <= pa < m.a_end and m.b_start <= pb < m.b_end]
        grow = False
        for m in found:
            grow |= (m.a_start - a0 < _EDGE and a0 > 0) or (m.b_start - b0 < _EDGE and b0 > 0)
            grow |= (a1 - m.a_end < _EDGE and a1 < len(a)) or (b1 - m.b_end < _EDGE and b1 < len(b))
        if not grow:
            return found
        wa, wb = a1 - a0, b1 - b0
        a0, a1 = max(0, a0 - wa), min(len(a), a1 + wa)
        b0, b1 = max(0, b0 - wb), min(len(b), b1 + wb)


def _blocks_one(a: str, b: str, a0: int, a1: int, b0: int, b1: int, k: int) -> list[list[int]]:
    return [[x + a0, y + a0, u + b0, v + b0] for x, y, u, v in blocks(a[a0:a1], b[b0:b1], k)]


def align_window(a: np.ndarray | str, b: np.ndarray | str, a0: int, a1: int, b0: int, b1: int, min_span: int,
                 pa: int | None = None, pb: int | None = None) -> list[Match]:
    """Passages inside the windows ``a[a0:a1]``, ``b[b0:b1]``, widened while one runs into an edge.

    With a seed ``(pa, pb)`` only the passages through it are returned (and followed). Offsets
    are those of ``a`` and ``b``.
    """
    a, b = as_text(a), as_text(b)
    k = max(1, min(SEED_K, min_span))
    gen = _window_passages(a, b, a0, a1, b0, b1, min_span, pa, pb)
    try:
        window = next(gen)
        while True:
            window = gen.send(_blocks_one(a, b, *window, k))
    except StopIteration as done:
        return done.value


class _Layout:
    """Paragraph bounds and masked positions of a corpus as Python lists, for ``bisect``.

    Every passage asks a few questions of its documents' paragraphs (which paragraphs it
    overlaps, where the next break is); one numpy call costs more than the answer, so the
    bounds are turned into lists once per corpus. Within a document, starts and ends are
    non-decreasing (paragraphs are in order and do not overlap).
    """

    __slots__ = ("offsets", "first", "last", "starts", "ends", "masks", "__weakref__")

    def __init__(self, corpus: Corpus) -> None:
        self.offsets: list[int] = corpus.doc_offsets.tolist()
        first = corpus.par_first.tolist()
        self.first: list[int] = first
        self.last: list[int] = [f + len(d.paragraphs) for f, d in zip(first, corpus.documents)]
        self.starts: list[int] = corpus.par_bounds[:, 0].tolist()  # global canonical offsets
        self.ends: list[int] = corpus.par_bounds[:, 1].tolist()
        self.masks: list[int] = np.flatnonzero(corpus.cps == _MASK_CP).tolist()

    def over(self, d: int, c0: int, c1: int) -> range:
        """Paragraphs of document d (global indices, empty ones included) overlapping local [c0, c1)."""
        o = self.offsets[d]
        lo = bisect_right(self.ends, o + c0, self.first[d], self.last[d])
        return range(lo, max(lo, bisect_left(self.starts, o + c1, lo, self.last[d])))

    def mask_count(self, lo: int, hi: int) -> int:
        """Masked figures in global canonical [lo, hi)."""
        return bisect_left(self.masks, hi) - bisect_left(self.masks, lo)


_LAYOUTS: dict[int, tuple[Any, _Layout]] = {}


def _layout(corpus: Corpus) -> _Layout:
    """The corpus's :class:`_Layout`, built once and dropped with the corpus."""
    got = _LAYOUTS.get(id(corpus))
    if got is not None and got[0]() is corpus and got[1].offsets[-1] == corpus.cps.size:
        return got[1]
    lay = _Layout(corpus)
    _LAYOUTS[id(corpus)] = (weakref.ref(corpus), lay)
    weakref.finalize(corpus, _LAYOUTS.pop, id(corpus), None)
    return lay


def _snap(corpus: Corpus, da: int, db: int, a: np.ndarray | str, b: np.ndarray | str, m: Match) -> Match:
    """Carry a passage to the start/end of its paragraphs when only ``SNAP`` characters short on both sides."""
    lay = _layout(corpus)
    fa, la, fb, lb = lay.first[da], lay.last[da], lay.first[db], lay.last[db]
    if la == fa or lb == fb:
        return m
    oa, ob = lay.offsets[da], lay.offsets[db]
    ends, starts = lay.ends, lay.starts
    # the paragraph holding a position: the first whose end is past it (the last one if none)
    ia = min(bisect_right(ends, oa + m.a_start, fa, la), la - 1)
    ib = min(bisect_right(ends, ob + m.b_start, fb, lb), lb - 1)
    ja = min(bisect_right(ends, oa + m.a_end - 1, fa, la), la - 1)
    jb = min(bisect_right(ends, ob + m.b_end - 1, fb, lb), lb - 1)
    return extend(a, b, m, starts[ia] - oa, starts[ib] - ob, ends[ja] - oa, ends[jb] - ob, SNAP)


def _trim(corpus: Corpus, da: int, db: int, m: Match) -> Match | None:
    """Drop an end of a passage that reaches fewer than ``SEED_K`` characters past a paragraph break.

    Canonical text has no paragraph breaks, so an exact match runs on over them when the
    characters before two breaks happen to agree (…场。| and …场。|, or a masked figure).
    """
    lay = _layout(corpus)
    starts = lay.starts
    oa, ob = lay.offsets[da], lay.offsets[db]
    fa, la, fb, lb = lay.first[da], lay.last[da], lay.first[db], lay.last[db]
    for _ in range(2):
        # paragraph starts strictly inside the passage, on each side: the first and the last
        i0, i1 = bisect_right(starts, oa + m.a_start, fa, la), bisect_left(starts, oa + m.a_end, fa, la)
        j0, j1 = bisect_right(starts, ob + m.b_start, fb, lb), bisect_left(starts, ob + m.b_end, fb, lb)
        lo, hi = m.a_start, m.a_end
        if i1 > i0 and starts[i0] - oa - m.a_start < SEED_K:
            lo = starts[i0] - oa
        if j1 > j0 and starts[j0] - ob - m.b_start < SEED_K:
            lo = max(lo, m.a_at(starts[j0] - ob))
        if i1 > i0 and m.a_end - (starts[i1 - 1] - oa) < SEED_K:
            hi = starts[i1 - 1] - oa
        if j1 > j0 and m.b_end - (starts[j1 - 1] - ob) < SEED_K:
            hi = min(hi, m.a_at(starts[j1 - 1] - ob))
        if (lo, hi) == (m.a_start, m.a_end):
            return m
        clipped = m.clip(lo, hi) if hi > lo else None
        if clipped is None:
            return None
        m = clipped
    return m


def _qualifies(corpus: Corpus, dm: DocumentMatch) -> bool:
    """Whether some piece of the passage between two paragraph boundaries has ``min_span`` of evidence.

    Two stock phrases that meet across a paragraph break (…进一步提高。| 三、下一步工作计划) are
    not one copied passage of their joint length.
    """
    return any(evidence(corpus, dm, a0, a1) >= corpus.config.min_span for _, _, a0, a1, _, _ in pieces(corpus, dm))


_BATCH_MIN = 8  # fewer windows than this in one round are aligned one by one (numpy's fixed cost)
_CHUNK_PAIRS = 2048  # document pairs aligned together: their texts are held as strings meanwhile


def _pair_passages(corpus: Corpus, da: int, db: int, regions: list[list[int]], hits: list[list[int]], a: str,
                   b: str) -> Generator[tuple[int, int, int, int], list[list[int]], list[Match]]:
    """The passages of one document pair (a generator of windows, see :func:`_window_passages`).

    ``regions`` are ``[a0, a1, b0, b1]`` and ``hits`` ``[pa, pb]``, in the order they are taken.
    """
    min_span = corpus.config.min_span
    found: list[Match] = []
    # A hit inside a passage found before its turn is skipped. Found passages only ever give
    # way to passages containing them, so a hit covered once stays covered: each new passage
    # marks the later hits it covers (found by bisection when the hits are in order of pa)
    covered = bytearray(len(hits))
    hit_pa = [h[0] for h in hits]
    in_order = all(x <= y for x, y in zip(hit_pa, hit_pa[1:]))

    def mark(m: Match, after: int) -> None:
        lo = bisect_left(hit_pa, m.a_start, after) if in_order else after
        hi = bisect_left(hit_pa, m.a_end, lo) if in_order else len(hits)
        for t in range(lo, hi):
            if m.a_start <= hits[t][0] < m.a_end and m.b_start <= hits[t][1] < m.b_end:
                covered[t] = 1

    todo = [(r, -1) for r in regions] + [(h, i) for i, h in enumerate(hits)]
    for item, i in todo:
        if i < 0:
            x0, x1, y0, y1 = item
            if any(m.a_start <= x0 and x1 <= m.a_end and m.b_start <= y0 and y1 <= m.b_end for m in found):
                continue
            new = yield from _window_passages(a, b, x0, x1, y0, y1, min_span)
        else:
            if covered[i]:
                continue
            pa, pb = item
            new = yield from _window_passages(a, b, max(0, pa - _WINDOW), min(len(a), pa + _WINDOW),
                                              max(0, pb - _WINDOW), min(len(b), pb + _WINDOW), min_span, pa, pb)
        for m in new:
            trimmed = _trim(corpus, da, db, m)
            if trimmed is None:
                continue
            m = _snap(corpus, da, db, a, b, trimmed)
            if not _qualifies(corpus, DocumentMatch(da, db, m)):
                continue
            if not any(o.a_start <= m.a_start and m.a_end <= o.a_end and o.b_start <= m.b_start
                       and m.b_end <= o.b_end for o in found):
                found = [o for o in found if not (m.a_start <= o.a_start and o.a_end <= m.a_end
                                                  and m.b_start <= o.b_start and o.b_end <= m.b_end)]
                found.append(m)
                mark(m, i + 1)
    return found


def find_passages(corpus: Corpus, hits: np.ndarray,
                  regions: Sequence[tuple[int, int, int, int, int, int]] = (), *,
                  batch: bool = True) -> list[DocumentMatch]:
    """Align around every seed hit ``(a, b, pa, pb)`` and inside every region ``(a, b, a0, a1, b0, b1)``.

    Regions (verified paragraph pairs) are aligned whole; a hit already inside a passage
    found for its pair is skipped, so a long copy is aligned once. Work grows with the
    number of copies found, not with the length of the documents.

    Document pairs are independent, so they are aligned side by side: each round takes the
    next window of every pair and finds the exact blocks of all of them in one vectorised
    pass (:func:`chachong.stages.align.blocks_many`); ``batch=False`` finds them window by window
    (:func:`chachong.stages.align.blocks`), the same passages more slowly.
    """
    by_pair: dict[tuple[int, int], tuple[list, list]] = {}
    for r in regions:
        by_pair.setdefault((r[0], r[1]), ([], []))[0].append(list(r[2:]))
    h = np.asarray(hits, dtype=np.int64).reshape(-1, 4)
    if len(h):
        h = h[np.lexsort((h[:, 1], h[:, 0]))]  # grouped by pair, in their given order within it
        brk = np.flatnonzero((h[1:, 0] != h[:-1, 0]) | (h[1:, 1] != h[:-1, 1])) + 1
        heads = h[np.concatenate(([0], brk)), :2].tolist()
        rows = h[:, 2:].tolist()
        for (da, db), s0, s1 in zip(heads, [0, *brk.tolist()], [*brk.tolist(), len(h)]):
            by_pair.setdefault((da, db), ([], []))[1].extend(rows[s0:s1])
    pairs = sorted(by_pair)
    out: list[DocumentMatch] = []
    texts: dict[int, str] = {}
    with paused_gc():
        for s in range(0, len(pairs), _CHUNK_PAIRS):
            chunk = pairs[s:s + _CHUNK_PAIRS]
            found = _align_pairs(corpus, chunk, by_pair, batch, texts)
            for (da, db), ms in zip(chunk, found):
                out.extend(DocumentMatch(da, db, m) for m in sorted(ms, key=lambda m: (m.a_start, m.b_start)))
    return out


_TEXT_CACHE = 1 << 25  # characters of decoded documents kept between chunks of pairs


def _align_pairs(corpus: Corpus, pairs: list[tuple[int, int]], by_pair: dict, batch: bool,
                 texts: dict[int, str] | None = None) -> list[list[Match]]:
    """Passages of each document pair in ``pairs``, their windows' blocks found round by round.

    ``texts`` holds decoded documents from earlier chunks (a document is in many pairs); it is
    emptied when it grows past ``_TEXT_CACHE`` characters.
    """
    lay = _layout(corpus)
    offs = lay.offsets
    k = max(1, min(SEED_K, corpus.config.min_span))
    texts = {} if texts is None else texts
    need = {d for pair in pairs for d in pair if d not in texts}
    if sum(offs[d + 1] - offs[d] for d in texts) + sum(offs[d + 1] - offs[d] for d in need) > _TEXT_CACHE:
        texts.clear()
        need = {d for pair in pairs for d in pair}
    for d in need:
        texts[d] = as_text(corpus.cps[offs[d]:offs[d + 1]])
    results: list[list[Match]] = [[] for _ in pairs]
    live: list[tuple[int, Generator, tuple[int, int, int, int]]] = []
    for i, (da, db) in enumerate(pairs):
        gen = _pair_passages(corpus, da, db, *by_pair[(da, db)], texts[da], texts[db])
        try:
            live.append((i, gen, next(gen)))
        except StopIteration as done:
            results[i] = done.value
    while live:
        if batch and len(live) >= _BATCH_MIN:
            windows = np.array([(offs[pairs[i][0]] + a0, offs[pairs[i][0]] + a1, offs[pairs[i][1]] + b0,
                                 offs[pairs[i][1]] + b1, offs[pairs[i][0]], offs[pairs[i][1]])
                                for i, _, (a0, a1, b0, b1) in live], dtype=np.int64)
            found = blocks_many(corpus.cps, windows, k)
        else:
            found = [_blocks_one(texts[pairs[i][0]], texts[pairs[i][1]], *w, k) for i, _, w in live]
        still = []
        for (i, gen, _), bl in zip(live, found):
            try:
                still.append((i, gen, gen.send(bl)))
            except StopIteration as done:
                results[i] = done.value
        live = still
    return results


# ---- describing a passage in the original text ----

_ADMIN_SUFFIXES = ("自治区", "自治州", "自治县", "街道", "社区", "省", "市", "区", "县", "镇", "乡", "村", "州", "盟", "旗")
EDIT_OPS = ("replace", "insert", "delete", "figure", "place")


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Place names (``ns``) of jieba's dictionary, read from its file without importing jieba.

    Empty when jieba is not installed; the administrative-suffix rule still applies then.
    """
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return frozenset()
    path = Path(spec.origin).parent / "dict.txt"
    if not path.is_file():
        return frozenset()
    out = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "ns" and 2 <= len(parts[0]) <= 6:
                out.add(parts[0])
    return frozenset(out)


_PLACE_SHAPE = re.compile("[\u4e00-\u9fff]{2,8}")
_CJK = re.compile("[\u4e00-\u9fff]+")


def _is_place(s: str) -> bool:
    if not _PLACE_SHAPE.fullmatch(s):
        return False
    return s in place_names() or (len(s) >= 3 and s.endswith(_ADMIN_SUFFIXES))


def place_substitution(ta: str, a0: int, a1: int, tb: str, b0: int, b1: int) -> bool:
    """Whether ``ta[a0:a1]`` -> ``tb[b0:b1]`` swaps one place name for another.

    The differing characters are widened by up to two shared characters on each side, so
    阳光区 -> 星河区 (narrowed to 阳光 -> 星河) and 江西 -> 广西 (江 -> 广) are recognised.

    >>> place_substitution("在阳光区开展", 1, 3, "在星河区开展", 1, 3)
    True
    >>> place_substitution("开展检查", 2, 3, "开展调查", 2, 3)
    False
    """
    if a1 <= a0 or b1 <= b0 or a1 - a0 > 8 or b1 - b0 > 8:
        return False  # a name is 2 to 8 characters, all of them CJK: so are both cores
    if not _CJK.fullmatch(ta, a0, a1) or not _CJK.fullmatch(tb, b0, b1):
        return False
    lefts = [left for left in range(3) if a0 - left >= 0 and b0 - left >= 0 and ta[a0 - left:a0] == tb[b0 - left:b0]]
    rights = [right for right in range(3) if a1 + right <= len(ta) and ta[a1:a1 + right] == tb[b1:b1 + right]]
    for left in lefts:
        for right in rights:
            if _is_place(ta[a0 - left:a1 + right]) and _is_place(tb[b0 - left:b1 + right]):
                return True
    return False


@dataclass(frozen=True)
class Passage:
    """A copied passage between documents ``a`` < ``b`` (ids), in offsets of their texts.

    ``edits`` are ``(a_start, a_end, b_start, b_end, op)``: how b's copy differs from a's
    text, ``op`` one of ``replace``, ``insert`` (text only in b), ``delete`` (text only in a),
    ``figure`` (a digit run or placeholder, equal once masked) and ``place`` (one place name
    for another). ``kind`` is ``exact`` (no edits), ``template`` (only figures and place
    names differ) or ``edited``. ``matched`` counts the canonical characters matched exactly.
    """

    id: str
    a: str
    b: str
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    matched: int
    kind: str
    edits: tuple[tuple[int, int, int, int, str], ...]
    a_paragraphs: tuple[str, ...]
    b_paragraphs: tuple[str, ...]


def _original(corpus: Corpus, d: int, c0: int, c1: int, first: int = -1) -> tuple[int, int]:
    """Local canonical [c0, c1) of document d -> original [start, end); empty gives its insertion point.

    The insertion point is just after the character before ``c0``, or, when ``c0`` is
    ``first`` (the start of the passage the edit belongs to), the passage's own start: the
    text between the two (a line break, punctuation) lies outside the passage.
    """
    base = int(corpus.doc_offsets[d])
    if c1 > c0:
        return int(corpus.orig_start[base + c0]), int(corpus.orig_end[base + c1 - 1])
    if c0 == first:
        p = int(corpus.orig_start[base + c0])
    else:
        p = int(corpus.orig_end[base + c0 - 1]) if c0 > 0 else 0
    return p, p


def _free(corpus: Corpus, d: int, c0: int, c1: int) -> tuple[int, int]:
    """How far around canonical [c0, c1) of document d its text holds no canonical character."""
    base, end = int(corpus.doc_offsets[d]), int(corpus.doc_offsets[d + 1])
    lo = int(corpus.orig_end[base + c0 - 1]) if c0 > 0 else 0
    hi = int(corpus.orig_start[base + c1]) if base + c1 < end else len(corpus.documents[d].text)
    return lo, hi


def _paragraphs_over(corpus: Corpus, d: int, c0: int, c1: int) -> list[int]:
    """Global indices of document d's paragraphs overlapping local canonical [c0, c1)."""
    lay = _layout(corpus)
    return [p for p in lay.over(d, c0, c1) if lay.ends[p] > lay.starts[p]]


def describe(corpus: Corpus, dm: DocumentMatch, places: set[tuple[str, str]] | None = None) -> Passage:
    """The report record of a passage (id left empty): original offsets, edits, kind.

    ``places`` collects the place-name substitutions of one document pair, so that a name
    renamed consistently (阳光区 -> 星河区, then 阳光监管 -> 星河监管) counts as a place there too.
    """
    m = dm.match
    ta, tb = corpus.documents[dm.a].text, corpus.documents[dm.b].text
    ba, bb = int(corpus.doc_offsets[dm.a]), int(corpus.doc_offsets[dm.b])
    edits: list[tuple[int, int, int, int, str]] = []
    places = places if places is not None else set()
    for ca0, ca1, cb0, cb1 in m.edits:
        a0, a1 = _original(corpus, dm.a, ca0, ca1, m.a_start)
        b0, b1 = _original(corpus, dm.b, cb0, cb1, m.b_start)
        if ca1 == ca0:
            op = "insert"
        elif cb1 == cb0:
            op = "delete"
        elif place_substitution(ta, a0, a1, tb, b0, b1) or (ta[a0:a1], tb[b0:b1]) in places:
            op = "place"
            places.add((ta[a0:a1], tb[b0:b1]))
        else:
            op = "replace"
        edits.append((a0, a1, b0, b1, op))
    # masked figures and placeholders inside the exact blocks: equal canonically, maybe not in the text
    masks = _layout(corpus).masks
    for a0, b0, n in m.blocks:
        for x in range(bisect_left(masks, ba + a0), bisect_left(masks, ba + a0 + n)):
            ia = masks[x]
            ib = bb + b0 + ia - ba - a0
            sa = (int(corpus.orig_start[ia]), int(corpus.orig_end[ia]))
            sb = (int(corpus.orig_start[ib]), int(corpus.orig_end[ib]))
            if ta[sa[0]:sa[1]] != tb[sb[0]:sb[1]]:
                edits.append((sa[0], sa[1], sb[0], sb[1], "figure"))
    edits.sort()
    ops = {e[4] for e in edits}
    kind = "exact" if not ops else ("template" if ops <= {"figure", "place"} else "edited")
    a0, a1 = _original(corpus, dm.a, m.a_start, m.a_end)
    b0, b1 = _original(corpus, dm.b, m.b_start, m.b_end)
    # punctuation around the passage that both texts share is part of the copy (not line breaks)
    na, nb = _free(corpus, dm.a, m.a_start, m.a_end), _free(corpus, dm.b, m.b_start, m.b_end)
    while a1 < na[1] and b1 < nb[1] and ta[a1] == tb[b1] and ta[a1] != "\n":
        a1, b1 = a1 + 1, b1 + 1
    while a0 > na[0] and b0 > nb[0] and ta[a0 - 1] == tb[b0 - 1] and ta[a0 - 1] != "\n":
        a0, b0 = a0 - 1, b0 - 1
    pids = corpus.paragraph_ids
    return Passage("", corpus.documents[dm.a].id, corpus.documents[dm.b].id, a0, a1, b0, b1, m.matched, kind,
                   tuple(edits),
                   tuple(pids[p] for p in _paragraphs_over(corpus, dm.a, m.a_start, m.a_end)),
                   tuple(pids[p] for p in _paragraphs_over(corpus, dm.b, m.b_start, m.b_end)))


def pieces(corpus: Corpus, dm: DocumentMatch) -> list[tuple[int, int, int, int, int, int]]:
    """A passage cut at the paragraph boundaries of both documents.

    Returns ``(pa, pb, a0, a1, b0, b1)``: global paragraph indices and the local canonical
    stretches of the passage inside them (a boundary inside an edit is mapped linearly).
    """
    m = dm.match
    lay = _layout(corpus)
    starts, ends = lay.starts, lay.ends
    oa, ob = lay.offsets[dm.a], lay.offsets[dm.b]
    out = []
    for pa in lay.over(dm.a, m.a_start, m.a_end):
        s, e = starts[pa] - oa, ends[pa] - oa
        if e <= s:
            continue
        x0, x1 = max(s, m.a_start), min(e, m.a_end)
        y0, y1 = m.b_at(x0), m.b_at(x1)
        for pb in lay.over(dm.b, y0, y1):
            t, u = starts[pb] - ob, ends[pb] - ob
            if u <= t:
                continue
            z0, z1 = max(t, y0), min(u, y1)
            w0, w1 = max(m.a_at(z0), x0), min(m.a_at(z1), x1)
            if z1 > z0 and w1 > w0:
                out.append((pa, pb, w0, w1, z0, z1))
    return out


def evidence(corpus: Corpus, dm: DocumentMatch, a0: int, a1: int) -> int:
    """Characters of ``a[a0:a1]`` (local canonical) matched exactly by the passage, figures not counted."""
    lay = _layout(corpus)
    base = lay.offsets[dm.a]
    total = 0
    for s, _, n in dm.match.blocks:
        lo, hi = max(s, a0), min(s + n, a1)
        if hi > lo:
            total += hi - lo - lay.mask_count(base + lo, base + hi)
    return total
