"""Set operations on large integer arrays, by sorting; runs and slices of them.

numpy 2.3+ computes ``np.unique`` (and ``setdiff1d``, ``intersect1d``, ``unique_values``, which
call it) with a hash table first: on this machine 20-25 times slower than a sort on millions of
distinct values (3 M int64: 5.4 s against 0.28 s with numpy 2.4.6). Every large de-duplication in
chachong goes through here.

>>> unique(np.array([5, 1, 5, 3, 1])).tolist()
[1, 3, 5]
>>> setdiff(np.array([4, 1, 9, 1, 7]), np.array([7, 2, 4])).tolist()
[1, 9]
>>> segments_of(np.array([0, 2, 3, 3, 9]), np.array([0, 3, 3, 5, 10])).tolist()
[0, 0, 2, 2, 3]

``gather_csr`` concatenates many slices of one array (a partition's texts, a batch of documents' rows).
"""

from __future__ import annotations

import numpy as np


def unique(x: np.ndarray) -> np.ndarray:
    """The sorted distinct values of ``x`` (``np.unique(x)`` for 1-D arrays)."""
    s = np.sort(np.ravel(x))
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def setdiff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values of ``a`` not in ``b`` (``np.setdiff1d(a, b)``)."""
    ua = unique(a)
    if not ua.size or not np.size(b):
        return ua
    ub = unique(b)
    at = np.minimum(np.searchsorted(ub, ua), ub.size - 1)
    return ua[ub[at] != ua]


def segments_of(pos: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The segment of each of the ascending positions ``pos`` among the segments
    ``[offsets[i], offsets[i + 1])`` (``offsets`` ascending): ``np.searchsorted(offsets, pos,
    side="right") - 1``, from the segments' first positions (a binary search per segment the
    positions span, not per position) and one ``np.repeat``: about a tenth of the time on
    millions of positions.
    """
    pos = np.asarray(pos)
    if not pos.size:
        return np.zeros(0, np.int64)
    first = int(np.searchsorted(offsets, pos[0], side="right")) - 1
    end = int(np.searchsorted(offsets, pos[-1], side="right"))
    cuts = np.searchsorted(pos, offsets[first + 1:end], side="left")
    return np.repeat(np.arange(first, end), np.diff(cuts, prepend=0, append=pos.size))


def range_indices(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` without the loop."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - counts), counts)


def gather_csr(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slices ``values[starts[i]:starts[i] + lengths[i]]`` concatenated, with their offsets.

    Slices of nearly one length (the alignment's contexts: 60 characters but at a document's edge) are
    copied as rows of that width (a view of every window of ``values``) and cut to their lengths, 3-4
    times faster than an index per value; others are gathered value by value.

    >>> v, o = gather_csr(np.arange(10), np.array([7, 0, 3]), np.array([3, 2, 3]))
    >>> v.tolist(), o.tolist()
    ([7, 8, 9, 0, 1, 3, 4, 5], [0, 3, 5, 8])
    """
    lengths = np.asarray(lengths, np.int64)
    starts = np.asarray(starts, np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    total = int(offsets[-1])
    width = int(lengths.max()) if lengths.size else 0
    if 0 < width <= values.size and lengths.size * width <= total + total // 4:
        rows = np.empty((lengths.size, width), values.dtype)
        fits = starts + width <= values.size  # a slice near the end: its row is read short, then cut
        rows[fits] = np.lib.stride_tricks.sliding_window_view(values, width)[starts[fits]]
        if not fits.all():
            rows[~fits] = values[np.minimum(starts[~fits, None] + np.arange(width), values.size - 1)]
        return rows[np.arange(width) < lengths[:, None]], offsets
    return values[range_indices(starts, lengths)], offsets


def equal_runs(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of runs of equal rows in already sorted columns."""
    n = cols[0].size
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    brk = np.zeros(n, dtype=bool)
    brk[0] = True
    for c in cols:
        brk[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(brk)
    return starts, np.diff(np.append(starts, n))


__all__ = ["equal_runs", "gather_csr", "range_indices", "segments_of", "setdiff", "unique"]
