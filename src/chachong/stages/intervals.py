"""Character intervals, (start, end) pairs: merged, subtracted, and the characters of a text
they cover, which give the stock and copy shares of a paragraph.

Stock phrasing (phrases.py) and copied passages both end up as intervals of a document's
original text; the report's stock_ratio and copy_ratio_excluding_stock are their shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def merge(intervals: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged intervals (touching ones join).

    >>> merge([(5, 8), (0, 2), (2, 3), (7, 9)])
    [(0, 3), (5, 9)]
    """
    out: list[tuple[int, int]] = []
    if not intervals:
        return out
    it = iter(sorted(intervals))
    cs, ce = next(it)
    for s, e in it:
        if s <= ce:
            if e > ce:
                ce = e
        else:
            out.append((cs, ce))
            cs, ce = s, e
    out.append((cs, ce))
    return out


def subtract(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Intervals of ``a`` not covered by ``b`` (both sorted and merged).

    >>> subtract([(0, 10), (20, 30)], [(5, 22)])
    [(0, 5), (22, 30)]
    """
    out = []
    j = 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < len(b) and b[k][0] < e:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def overlap(intervals: Sequence[tuple[int, int]], start: int, end: int) -> int:
    """Characters of [start, end) covered by sorted, merged ``intervals``.

    >>> overlap([(0, 5), (8, 12), (20, 30)], 3, 25)
    11
    """
    total = 0
    if end <= start:
        return 0
    for s, e in intervals:  # a plain loop: called for every document and paragraph
        if s < end and e > start:
            total += (e if e < end else end) - (s if s > start else start)
    return total


def shares(start: int, end: int, stock: Sequence[tuple[int, int]], copied: Sequence[tuple[int, int]]
           ) -> tuple[float, float]:
    """(stock_ratio, copy_ratio_excluding_stock) of the text [start, end) given sorted, merged
    stock and copied intervals: characters covered by stock phrasing, and characters copied
    but not stock, each over the characters of the text.

    >>> shares(0, 100, [(10, 30)], [(20, 60)])
    (0.2, 0.3)
    """
    n = max(end - start, 1)
    own = subtract(copied, stock)
    return round(overlap(stock, start, end) / n, 4), round(overlap(own, start, end) / n, 4)


def paragraph_shares(documents: Sequence[Any], stock: Mapping[str, Sequence[tuple[int, int]]],
                     copied: Mapping[str, Sequence[tuple[int, int]]]) -> dict[str, dict[str, float]]:
    """Per paragraph id: ``stock_ratio`` and ``copy_ratio_excluding_stock`` (see :func:`shares`),
    from each document's merged stock and copied intervals (keyed by document id)."""
    out = {}
    for doc in documents:
        st, cp = stock.get(doc.id, []), copied.get(doc.id, [])
        for p in doc.paragraphs:
            s, c = shares(p.start, p.end, st, cp)
            out[p.id] = {"stock_ratio": s, "copy_ratio_excluding_stock": c}
    return out


__all__ = ["merge", "overlap", "paragraph_shares", "shares", "subtract"]
