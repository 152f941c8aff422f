"""Winnowed fingerprints of a corpus: where two documents may share a copied passage.

Matching runs on each document's canonical text as one string, so a passage may run across
paragraph boundaries (paragraphs split or merged by the copier).

**Fingerprints.** Every ``FP_K``-gram of the canonical text is hashed; winnowing keeps the
minimum hash of each window of ``w = min_span - FP_K + 1`` consecutive k-grams. Any exact
match of ``min_span`` characters holds a whole window, so both documents keep the same
fingerprint for it (Schleimer, Wilkerson and Aiken 2003), at about ``2 / (w + 1)`` of the
k-grams.

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

The seed hits made from them are :mod:`chachong.stages.seeds`; the passages aligned around
those, :mod:`chachong.stages.passages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from chachong.runtime.arrays import range_indices, segments_of, unique
from chachong.stages.prepare import Corpus
from chachong.text.normalize import MASK
from chachong.text.shingle import HASH_BASE

FP_K = 8  # an 8-gram is rarely shared by chance, and leaves a window of 6 for a 13-character copy
MAX_OCCURRENCES = 64  # a fingerprint at more places than this proposes no pairs (quadratic cost)
MIX = np.uint64(0x9E3779B97F4A7C15)
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


def mix64(v: np.ndarray) -> np.ndarray:
    # winnowing takes minima, so the hash must look uniform: splitmix64's finaliser
    with np.errstate(over="ignore"):
        v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return v ^ (v >> np.uint64(31))


def winnow(values: np.ndarray, valid: np.ndarray, w: int) -> np.ndarray:
    """Positions kept by winnowing: the (leftmost) minimum of every window of ``w`` values.

    Invalid positions (k-grams crossing a document end) are never kept unless a whole
    window is invalid, which is then dropped. The minima and where they are take ``log2 w``
    passes: the minima of windows of 1, 2, 4, ... values, each with the offset of its leftmost
    minimum, combine two overlapping windows at a time (the right one's only when smaller).

    >>> winnow(np.array([5, 3, 9, 1, 7, 8], np.uint64), np.ones(6, bool), 3).tolist()
    [1, 3]
    """
    n = values.size
    if n == 0:
        return np.zeros(0, np.int64)
    w = min(w, n)
    v = np.where(valid, values, np.uint64(np.iinfo(np.uint64).max))
    m = n - w + 1  # number of windows
    otype = np.int16 if w < 2**15 else np.int64
    low, off, width = v, np.zeros(n, otype), 1  # low[i]: min(v[i:i + width]), at i + off[i] (leftmost)

    def combine(shift: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        # windows at i and i + shift: the right one's minimum when strictly smaller (arithmetic, not
        # np.where, whose random branches cost five times as much)
        right = (low[shift:shift + size] < low[:size]).view(np.int8).astype(otype)
        moved = off[shift:shift + size] - off[:size]
        moved += otype(shift)
        moved *= right
        moved += off[:size]
        return np.minimum(low[shift:shift + size], low[:size]), moved

    while 2 * width <= w:
        low, off = combine(width, low.size - width)
        width *= 2
    if width < w:
        low, off = combine(w - width, m)
    pos = np.arange(m, dtype=np.int64)
    pos += off[:m]
    del low, off
    # window minima move right monotonically, so equal neighbours are the only repeats
    keep = valid[pos]
    keep[1:] &= pos[1:] != pos[:-1]
    return pos[keep]


def kgram_poly(cps: np.ndarray, k: int) -> np.ndarray:
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
# windows winnowed at a time: their temporaries (about 40 bytes each) stay near the core: at 600k
# paragraphs winnow_text took 1.08 s a run with 2**18, 1.71 s with 2**20 (medians of four)
_WINDOWS = 1 << 18
_TOP_BITS = 16  # the hash ranges are cut at multiples of 2 ** 48 (a 64 KB table tells a hash's range)


def _position_type(size: int) -> type:
    # int32 halves the index below 2 GB of text; the margin covers _extent's look-ahead
    return np.int32 if size < 2**31 - 2**20 else np.int64


def _hash_bounds(h: np.ndarray, parts: int) -> np.ndarray:
    """Ascending hash values splitting ``h`` into about ``parts`` ranges of similar size.

    Kept fingerprints are window minima, so their hashes crowd the low end: the bounds are
    quantiles of a regular sample rather than equal ranges of the top bits. The bounds are
    multiples of ``2 ** (64 - _TOP_BITS)``, so that a table indexed by a hash's top bits tells its
    range (:func:`_range_of`).
    """
    if parts <= 1 or h.size == 0:
        return np.zeros(0, np.uint64)
    sample = np.sort(h[:: max(1, h.size // (64 * parts))])
    shift = np.uint64(64 - _TOP_BITS)
    top = unique(sample[(np.arange(1, parts) * sample.size) // parts] >> shift)
    return top[top > 0] << shift


def _range_of(bounds: np.ndarray, dtype: type) -> Callable[[np.ndarray], np.ndarray]:
    """``np.searchsorted(bounds, h, side="right")`` (as ``dtype``) for :func:`_hash_bounds`'s bounds:
    a lookup of the hash's top bits in a table of 2 ** _TOP_BITS ranges (a binary search per hash
    took a quarter of the index's time)."""
    shift = np.uint64(64 - _TOP_BITS)
    table = np.searchsorted(bounds >> shift, np.arange(1 << _TOP_BITS, dtype=np.uint64),
                            side="right").astype(dtype)
    return lambda h: table[h >> shift]


def _grow(a: np.ndarray, need: int, alloc=np.empty) -> np.ndarray:
    if need <= a.size:
        return a
    b = alloc(max(need, a.size + a.size // 2), a.dtype)
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


def window(min_span: int) -> tuple[int, int]:
    """(k, w): the k-gram length and the winnowing window for ``min_span`` (any exact match of
    ``min_span`` characters holds a whole window of ``w`` k-grams)."""
    k = max(1, min(FP_K, min_span))
    return k, max(1, min_span - k + 1)


def winnow_text(cps: np.ndarray, offsets: np.ndarray, min_span: int,
                alloc=None) -> tuple[np.ndarray, np.ndarray]:
    """The winnowed fingerprints of documents ``cps[offsets[d]:offsets[d + 1]]``: positions (k-gram
    starts in ``cps``, ascending) and hashes.

    The documents are one string, so a window may hold k-grams of two neighbours (only k-grams
    crossing a document's end are invalid): a batch of documents cut from a corpus keeps the
    corpus's fingerprints when it holds a window's worth of its neighbours' text on each side.
    ``alloc`` (``np.empty``'s signature: a work folder's ``empty``) makes the two arrays, which are
    then returned as slices of them.
    """
    k, w = window(min_span)
    n = max(cps.size - k + 1, 0)  # k-gram start positions
    ptype = _position_type(cps.size)
    # winnowing keeps about 2 / (w + 1) of the positions; the buffers grow if text repeats a lot
    make = np.empty if alloc is None else alloc
    pos = make(int(n * 2.5 / (w + 1)) + 1024, ptype)
    h = make(pos.size, np.uint64)
    filled = 0
    # in pieces of _WINDOWS windows, so that temporary arrays stay small on any corpus
    for s in range(0, max(n - w + 1, 1) if n else 0, _WINDOWS):
        e = min(n, s + _WINDOWS + w - 1)  # values for the windows starting in [s, s + _WINDOWS)
        values = mix64(kgram_poly(cps[s:e + k - 1], k) * MIX)
        # a k-gram is valid when it ends inside its document: every start but the last k - 1
        # before a document's end (a short document may have none)
        got = winnow(values, _invalid(offsets, k, s, e), w)
        # a minimum can be kept by the last window of one piece and the first of the next
        if filled and got.size and got[0] + s == pos[filled - 1]:
            got = got[1:]
        pos, h = _grow(pos, filled + got.size, make), _grow(h, filled + got.size, make)
        pos[filled:filled + got.size] = got + s
        h[filled:filled + got.size] = values[got]
        filled += got.size
        del values, got
    if alloc is not None:
        return pos[:filled], h[:filled]
    # shrinking in place (realloc) copies nothing, unlike a slice's copy
    pos.resize(filled, refcheck=False)
    h.resize(filled, refcheck=False)
    return pos, h


def winnowed(corpus: Corpus) -> Winnowed:
    """Winnow the corpus and sort the fingerprints by hash (the costly, group-independent part of
    :func:`fingerprints`; it can run while the paragraphs are paired).

    Positions and documents are int32 below 2 GB of text, ``order`` uint32 below 4 G
    fingerprints. The hash order is computed one range of hash values at a time, so its sort
    temporaries stay small. With a work folder (``corpus.work``) the index's arrays are files
    there (the same values).
    """
    min_span = corpus.config.min_span
    k, _ = window(min_span)
    offsets = corpus.doc_offsets
    work = corpus.work if corpus.work is not None and corpus.work.usable else None
    alloc = np.empty if work is None else work.empty
    pos, h = winnow_text(corpus.cps, offsets, min_span, None if work is None else alloc)
    filled = pos.size
    doc = alloc(filled, np.int32 if offsets.size < 2**31 else np.int64)
    for s in range(0, filled, _WINDOWS):
        doc[s:s + _WINDOWS] = segments_of(pos[s:s + _WINDOWS], offsets)  # positions ascend
    order = alloc(filled, np.uint32 if filled < 2**32 else np.int64)
    bounds = _hash_bounds(h, -(-filled // _PART))
    part = alloc(filled, np.uint8 if bounds.size < 255 else np.int64)
    range_of = _range_of(bounds, part.dtype.type)
    for s in range(0, filled, _WINDOWS):
        part[s:s + _WINDOWS] = range_of(h[s:s + _WINDOWS])
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


def common_runs(order: np.ndarray, run_start: np.ndarray, run_size: np.ndarray, doc: np.ndarray,
                doc_group: np.ndarray, stock_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Which runs of one hash are stock and which common (see the module docstring).

    Run i holds the fingerprints ``order[run_start[i]:run_start[i] + run_size[i]]`` of documents
    ``doc[...]``; it is stock when they are in ``stock_groups`` or more groups of copies
    (``doc_group``), and common when stock or at more than ``MAX_OCCURRENCES`` places. The
    local engine runs it on the corpus's repeated hashes, the Dask engine on each bucket of its
    fingerprint shuffle.

    >>> [x.tolist() for x in common_runs(np.arange(5), np.array([0, 3]), np.array([3, 2]),
    ...                                  np.array([0, 1, 2, 0, 1]), np.array([0, 0, 2]), 2)]
    [[True, False], [True, False]]
    """
    stock = np.zeros(run_size.size, dtype=bool)
    if stock_groups <= 1:
        stock[:] = True  # every hash is in one group at least
    else:
        # only a hash at stock_groups places or more can be in stock_groups groups: count the
        # distinct groups of those few
        big = np.flatnonzero(run_size >= stock_groups)
        if big.size:
            rows = order[range_indices(run_start[big], run_size[big])].astype(np.int64)
            run_of = np.repeat(np.arange(big.size), run_size[big])
            gb = doc_group[doc[rows]]
            o = np.lexsort((gb, run_of))
            first = np.ones(o.size, dtype=bool)
            first[1:] = (run_of[o][1:] != run_of[o][:-1]) | (gb[o][1:] != gb[o][:-1])
            stock[big] = np.bincount(run_of[o][first], minlength=big.size) >= stock_groups
    return stock, stock | (run_size > MAX_OCCURRENCES)


def fingerprints(corpus: Corpus, doc_group: np.ndarray, stock_groups: int,
                 index: Winnowed | None = None) -> Fingerprints:
    """The winnowed fingerprint index of ``corpus`` (see the module docstring), with its stock and
    common flags for these groups of copies; ``index``: :func:`winnowed` of the corpus, when
    computed already. It takes about 21 bytes per fingerprint.
    """
    wi = index if index is not None else winnowed(corpus)
    stock_run, common_run = common_runs(wi.order, wi.run_start, wi.run_size, wi.doc, doc_group, stock_groups)
    stock = np.zeros(wi.hash.size, dtype=bool)
    if stock_groups <= 1:
        stock[:] = True  # a hash at one place too
    elif stock_run.any():
        stock[wi.order[range_indices(wi.run_start[stock_run], wi.run_size[stock_run])]] = True
    crowded = stock.copy()
    many = common_run & ~stock_run
    if many.any():
        crowded[wi.order[range_indices(wi.run_start[many], wi.run_size[many])]] = True
    return Fingerprints(wi.k, wi.pos, wi.doc, wi.hash, stock, wi.order, crowded)


def winnowed_hashes(cps: np.ndarray, min_span: int) -> np.ndarray:
    """Winnowed fingerprints (unique, sorted as ``uint64``, returned as ``int64``) of one document's
    canonical code points ``cps``: the fingerprints the reference index stores for a document and
    looks up for a checked one.

    The same ``FP_K``-grams, window of ``min_span - FP_K + 1`` and rule (:func:`winnow`: the
    leftmost minimum of every window) as :func:`winnowed`, so two texts sharing an exact run of
    ``min_span`` characters share a fingerprint. Unlike :func:`winnowed` the k-gram values are
    mixed by :func:`mix64` alone, without the ``MIX`` multiplier first: these values are stored in
    indexes (``chachong.index/1``), so this formula must not change. A text shorter than
    ``min_span`` cannot hold a copy that counts and has none.

    >>> from chachong.text.normalize import codepoints
    >>> a = winnowed_hashes(codepoints("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳"), 13)
    >>> b = winnowed_hashes(codepoints("天地玄黄乙丙丁戊己庚辛壬癸子丑寅卯"), 13)
    >>> bool(np.intersect1d(a, b).size), a.size
    (True, 2)
    """
    k = max(1, min(FP_K, min_span))
    w = max(1, min_span - k + 1)
    if cps.size < min_span:
        return np.zeros(0, np.int64)
    values = mix64(kgram_poly(cps, k))
    return unique(values[winnow(values, np.ones(values.size, dtype=bool), w)]).view(np.int64)
