"""Seed hits: the shared fingerprints that are evidence of a copy.

**Seed hits.** A fingerprint two documents share is a seed hit when it is evidence of a copy:
its exact match holds ``min_span`` characters outside common text (see below), or a second
shared fingerprint on another exact run lies near it on nearly the same diagonal (an edited
copy, whose 8-grams are few and far apart).
Verified paragraph pairs (LSH, containment) are aligned whole. No pair of documents is
compared unless one of these proposes it, and only around the hits: the work grows with
the copies found, not with the documents' length.

One implementation for both engines: the local engine runs :func:`seed_hits` on the whole
corpus; the Dask engine runs its parts on the batches its shuffles bring together:
:func:`occurrence_pairs` on each bucket of fingerprints of one hash (with
``fingerprints.common_runs``), :func:`merge_common` on the buckets' common hashes,
:func:`exact_evidence` and :func:`seed_rows` on the occurrence pairs of some document pairs.
"""

from __future__ import annotations

import numpy as np

from chachong.runtime.arrays import unique
from chachong.stages.align import MAX_GAP
from chachong.stages.fingerprints import MAX_OCCURRENCES, MIX, Fingerprints, kgram_poly, mix64
from chachong.stages.lsh import pairs_in_groups
from chachong.stages.prepare import Corpus

NEAR = 200  # two fingerprints this close (in a) on diagonals DRIFT apart support each other
DRIFT = 2 * MAX_GAP  # insertions and deletions of an edited copy move its diagonal
_PIECE = 1 << 18  # entries of the hash order per piece of seed_hits (its temporaries stay in the cache)


def match_sides(cps: np.ndarray, lo: np.ndarray, hi: np.ndarray, pa: np.ndarray, pb: np.ndarray,
           k: int, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """Characters of exact match before and after the k-grams at global ``pa``/``pb`` (each at most ``reach``).

    ``lo``/``hi`` are (per row) the document bounds of a and b as (n, 2) arrays. The characters
    are compared ``_SIDE_STEP`` at a time, for the rows still matching.

    >>> cps = np.array([5, 1, 2, 3, 4, 6, 9, 1, 2, 3, 4, 6])
    >>> [x.tolist() for x in match_sides(cps, np.array([[0, 6]]), np.array([[6, 12]]), np.array([2]),
    ...                                  np.array([8]), 2, 10)]
    [[1], [2]]
    """
    out = []
    top = max(cps.size - 1, 0)
    for step in (-1, 1):
        if step < 0:  # characters pa - 1, pa - 2, ... down to the document's start
            room = np.minimum(pa - lo[:, 0], pb - lo[:, 1])
            sa, sb = pa - 1, pb - 1
        else:  # characters pa + k, pa + k + 1, ... up to the document's end
            room = np.minimum(hi[:, 0] - pa - k, hi[:, 1] - pb - k)
            sa, sb = pa + k, pb + k
        room = np.clip(room, 0, reach)
        total = np.zeros(pa.size, dtype=np.int64)
        rows = np.flatnonzero(room > 0)
        done = 0
        while rows.size:
            w = min(_SIDE_STEP, reach - done)
            cols = step * np.arange(done, done + w)
            same = cps[np.clip(sa[rows, None] + cols, 0, top)] == cps[np.clip(sb[rows, None] + cols, 0, top)]
            same &= np.arange(w) < (room[rows] - done)[:, None]
            run = np.where(same.all(axis=1), w, same.argmin(axis=1))
            total[rows] += run
            done += w
            rows = rows[(run == w) & (room[rows] > done)]
        out.append(total)
    return out[0], out[1]


_SIDE_STEP = 8  # characters compared at a time on each side of a shared k-gram (a random pair differs at once)


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
    >>> h = mix64(kgram_poly(cps, 2) * MIX)  # the hash of the 2-gram at each position
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
        h = mix64(kgram_poly(flat, k) * MIX).reshape(e - s, width)[:, :grams]
        hit = table[h >> np.uint64(64 - _TOP_BITS)]
        hit &= cols[:grams] + k <= n[:, None]  # k-grams inside the match only
        r, c = np.nonzero(hit)
        if r.size:
            cand = h[r, c]
            at = np.minimum(np.searchsorted(common, cand), common.size - 1)
            hit[r, c] = common[at] == cand
        # the characters under common k-grams, in the rows that have any
        free[s:e] = n
        some = np.flatnonzero(hit.any(axis=1))
        if some.size:
            hit = hit[some]
            cover = np.zeros((some.size, width), dtype=bool)
            for t in range(k):
                cover[:, t:t + grams] |= hit
            free[s + some] -= np.count_nonzero(cover, axis=1)
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
    return merge_common([fps.hash[fps.common if fps.common is not None else fps.stock]])


def merge_common(pieces: list[np.ndarray]) -> np.ndarray:
    """The sorted distinct hashes of the common fingerprints of some batches (each batch's hashes of
    its common fingerprints): the merge step of :func:`common_hashes`."""
    return unique(np.concatenate(pieces)) if pieces else np.zeros(0, np.uint64)


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
        x, y = occurrence_pairs(o, starts[ok], sizes[ok], doc)  # index pairs into h/pos/doc
        if not x.size:
            continue
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
    columns = [np.concatenate(c) for c in zip(*found)]
    del found
    return seed_rows(columns)


def occurrence_pairs(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
                     doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of occurrences of one fingerprint in different documents, the earlier document's first.

    Runs ``order[starts[i]:starts[i] + sizes[i]]`` hold the occurrences (indices into ``doc``) of
    a hash that may seed (not common). Returns the two occurrences' indices.

    >>> [x.tolist() for x in occurrence_pairs(np.array([4, 0, 1, 2]), np.array([0]), np.array([3]),
    ...                                       np.array([1, 0, 0, 0, 2]))]
    [[0, 1, 1], [4, 4, 0]]
    """
    pairs = pairs_in_groups(order, starts, sizes)
    pairs = pairs[doc[pairs[:, 0]] != doc[pairs[:, 1]]]
    x, y = pairs[:, 0], pairs[:, 1]
    swap = doc[x] > doc[y]
    return np.where(swap, y, x), np.where(swap, x, y)


def seed_rows(columns: list[np.ndarray]) -> np.ndarray:
    """The seed hits among occurrence pairs as rows ``(a, b, pa, pb)`` sorted, as :func:`seed_hits`
    returns them (:func:`seed_evidence` decides).

    ``columns``: ``[a, b, pa, pb, long_enough, run]`` of the occurrence pairs (:func:`exact_evidence`
    gives the last two); the list is sorted in place, one column at a time, so that only one is
    held twice.
    """
    srt = _row_order(*columns[:4])
    for i in range(len(columns)):
        columns[i] = columns[i][srt]
    del srt
    ev = seed_evidence(*columns)
    da, db, la, lb = columns[:4]
    columns.clear()
    return np.stack([da[ev], db[ev], la[ev], lb[ev]], axis=1).astype(np.int64)


def _row_order(a: np.ndarray, b: np.ndarray, la: np.ndarray, lb: np.ndarray) -> np.ndarray:
    """``np.lexsort((lb, la, b, a))`` of non-negative columns, by the fewest stable sorts their
    widths allow: one of the four packed in 64 bits when they fit (documents and local positions
    of 1.2M synthetic paragraphs take 58 bits; 0.31 against 0.81 s for its 4.2M rows), else two of
    (a, b) and (la, lb) packed when every value fits in 31 bits (a third less than lexsort).

    >>> _row_order(np.array([1, 0, 1]), np.array([2, 2, 2]), np.array([5, 9, 4]), np.array([0, 0, 0])).tolist()
    [1, 2, 0]
    """
    cols = (a, b, la, lb)
    if not a.size or any(int(c.min()) < 0 for c in cols):
        return np.lexsort((lb, la, b, a))
    widths = [int(c.max()).bit_length() for c in cols]
    if sum(widths) <= 64:
        key = a.astype(np.uint64)
        for c, w in zip(cols[1:], widths[1:]):
            key <<= np.uint64(w)
            key |= c.astype(np.uint64)
        return np.argsort(key, kind="stable")
    if max(widths) > 31:
        return np.lexsort((lb, la, b, a))
    key = (la.astype(np.int64) << 32) | lb
    order = np.argsort(key, kind="stable")
    key = (a.astype(np.int64) << 32) | b
    return order[np.argsort(key[order], kind="stable")]


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
