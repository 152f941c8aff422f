"""Copied passages between documents: the aligner (align.py) finds them around the seed hits
(:mod:`chachong.stages.seeds`) and inside verified paragraph pairs, on the canonical text.

Matching runs on each document's canonical text as one string, so a passage may run across
paragraph boundaries (paragraphs split or merged by the copier).

**Passage ends.** Canonical text has no paragraph breaks, so an end that reaches fewer than
``SEED_K`` characters past a break is chance and cut off; a passage one changed word short
of both paragraphs' edges (``SNAP``) is carried to them; a passage counts when one of its
pieces between paragraph breaks has ``min_span`` exactly matched characters (two stock
phrases meeting across a break are not a copy of their joint length).

What a passage is in the report (its kind, edits and offsets into the original text) is
:mod:`chachong.stages.describe`.
"""

from __future__ import annotations

import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chachong.runtime.gcpause import paused_gc
from chachong.stages.align import MAX_GAP, SEED_K, Match, as_text, blocks, blocks_many, chain_blocks, extend
from chachong.stages.prepare import Corpus
from chachong.text.normalize import MASK

_MASK_CP = ord(MASK)


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


class Layout:
    """Paragraph bounds and masked positions of a corpus as Python lists, for ``bisect``.

    Every passage asks a few questions of its documents' paragraphs (which paragraphs it
    overlaps, where the next break is); one numpy call costs more than the answer, so the
    bounds are turned into lists once per corpus. Within a document, starts and ends are
    non-decreasing (paragraphs are in order and do not overlap).
    """

    __slots__ = ("offsets", "first", "last", "starts", "ends", "masks", "mask_array", "__weakref__")

    def __init__(self, corpus: Corpus) -> None:
        self.offsets: list[int] = corpus.doc_offsets.tolist()
        first = corpus.par_first.tolist()
        self.first: list[int] = first
        self.last: list[int] = [f + len(d.paragraphs) for f, d in zip(first, corpus.documents)]
        self.starts: list[int] = corpus.par_bounds[:, 0].tolist()  # global canonical offsets
        self.ends: list[int] = corpus.par_bounds[:, 1].tolist()
        self.mask_array = np.flatnonzero(corpus.cps == _MASK_CP)  # for numpy's searches of many at once
        self.masks: list[int] = self.mask_array.tolist()

    def over(self, d: int, c0: int, c1: int) -> range:
        """Paragraphs of document d (global indices, empty ones included) overlapping local [c0, c1)."""
        o = self.offsets[d]
        lo = bisect_right(self.ends, o + c0, self.first[d], self.last[d])
        return range(lo, max(lo, bisect_left(self.starts, o + c1, lo, self.last[d])))

    def mask_count(self, lo: int, hi: int) -> int:
        """Masked figures in global canonical [lo, hi)."""
        return bisect_left(self.masks, hi) - bisect_left(self.masks, lo)


_LAYOUTS: dict[int, tuple[Any, Layout]] = {}


def corpus_layout(corpus: Corpus) -> Layout:
    """The corpus's :class:`Layout`, built once and dropped with the corpus."""
    got = _LAYOUTS.get(id(corpus))
    if got is not None and got[0]() is corpus and got[1].offsets[-1] == corpus.cps.size:
        return got[1]
    lay = Layout(corpus)
    _LAYOUTS[id(corpus)] = (weakref.ref(corpus), lay)
    weakref.finalize(corpus, _LAYOUTS.pop, id(corpus), None)
    return lay


def _snap(corpus: Corpus, da: int, db: int, a: np.ndarray | str, b: np.ndarray | str, m: Match) -> Match:
    """Carry a passage to the start/end of its paragraphs when only ``SNAP`` characters short on both sides."""
    lay = corpus_layout(corpus)
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
    lay = corpus_layout(corpus)
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
    lay = corpus_layout(corpus)
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


def pieces(corpus: Corpus, dm: DocumentMatch) -> list[tuple[int, int, int, int, int, int]]:
    """A passage cut at the paragraph boundaries of both documents.

    Returns ``(pa, pb, a0, a1, b0, b1)``: global paragraph indices and the local canonical
    stretches of the passage inside them (a boundary inside an edit is mapped linearly).
    """
    m = dm.match
    lay = corpus_layout(corpus)
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
    lay = corpus_layout(corpus)
    base = lay.offsets[dm.a]
    total = 0
    for s, _, n in dm.match.blocks:
        lo, hi = max(s, a0), min(s + n, a1)
        if hi > lo:
            total += hi - lo - lay.mask_count(base + lo, base + hi)
    return total


def paragraph_regions(corpus: Corpus, pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int, int, int, int, int]]:
    """Paragraph pairs (global indices) as regions to align whole: ``(da, db, a0, a1, b0, b1)``,
    the documents and each paragraph's local canonical stretch, in the order given."""
    offs = corpus.doc_offsets
    out = []
    for a, b in pairs:
        da, db = int(corpus.par_doc[a]), int(corpus.par_doc[b])
        (a0, a1), (b0, b1) = corpus.par_bounds[a] - offs[da], corpus.par_bounds[b] - offs[db]
        out.append((da, db, int(a0), int(a1), int(b0), int(b1)))
    return out


def hits_by_pair(hits: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
    """Seed hits (rows ``(da, db, ...)`` sorted by document pair, as :func:`seeds.seed_hits` gives
    them) cut into each document pair's rows."""
    out: dict[tuple[int, int], np.ndarray] = {}
    if len(hits):
        brk = np.flatnonzero((hits[1:, 0] != hits[:-1, 0]) | (hits[1:, 1] != hits[:-1, 1])) + 1
        for s, e in zip(np.concatenate(([0], brk)).tolist(), np.concatenate((brk, [len(hits)])).tolist()):
            out[(int(hits[s, 0]), int(hits[s, 1]))] = hits[s:e]
    return out


def holds_span(pieces_with_evidence: Sequence[tuple], min_span: int) -> bool:
    """Whether a passage aligned at a shorter span is still one at ``min_span``: one of its pieces
    between paragraph breaks (:func:`pieces` with :func:`evidence` appended) has ``min_span``
    characters of evidence, the rule :func:`find_passages` applies (so re-filtering a shorter
    span's passages equals aligning afresh)."""
    return any(c[6] >= min_span for c in pieces_with_evidence)
