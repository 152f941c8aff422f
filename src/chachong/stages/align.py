"""Copied passages between two canonical texts: seed, chain, mark the edits.

1. **Seeds**: every k-gram (``SEED_K`` characters) the two texts share gives seed positions
   ``(i, j)``; consecutive seeds on one diagonal ``j - i`` are one exact block. A k-gram so
   frequent in both texts that it would give more than ``MAX_SEED_PAIRS`` seeds (``#年#月``
   and the like) is left out; the blocks around it are joined again by the chaining.
2. **Chains**: blocks are chained by dynamic programming when the next one starts at most
   ``MAX_GAP`` characters after the previous one on each side (a substitution, insertion or
   deletion of a few characters, or a short stretch with no shared k-gram). A chain scores
   its exactly matched characters minus the characters of its gaps, so noise at its ends
   does not pay for itself and is left off. Chains are taken best first; a block belongs to
   one chain.
3. **Passages**: a chain counts when it matches at least ``min_span`` characters exactly,
   not counting the mask symbol ``#`` (a masked figure matches any other figure, so it is no
   evidence). The gaps whose texts differ are the chain's edits, narrowed to the differing
   characters.

Everything is in canonical offsets; callers map them to the original text. Step 1 is the
costly one in pure Python; :func:`blocks_many` does it for many windows in one vectorised pass
(the same blocks), and :func:`chain_blocks` does steps 2 and 3 on whatever found them.

>>> [m.span for m in align("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳", "天地甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳玄黄")]
[(0, 16, 2, 18)]

A copy with one character substituted is one passage with one edit:

>>> m, = align("春眠不觉晓处处闻啼鸟夜来风雨声花落知多少", "春眠不觉晓处处听啼鸟夜来风雨声花落知多少")
>>> m.span, m.edits
((0, 20, 0, 20), ((7, 8, 7, 8),))
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from difflib import SequenceMatcher

import numpy as np

from chachong.runtime.arrays import range_indices
from chachong.text.normalize import MASK

SEED_K = 5  # long enough that chance matches are rare, short enough to reseed between edits 10 % apart
MAX_GAP = 8  # characters on either side between two blocks of one passage; a clause (>= 13) is never bridged
MAX_SEED_PAIRS = 64  # a k-gram with count_a * count_b above this seeds nothing (repeated stock k-grams)

Edit = tuple[int, int, int, int]


@dataclass(frozen=True)
class Match:
    """One aligned passage: ``a[a_start:a_end]`` was copied from/to ``b[b_start:b_end]``.

    ``blocks`` are the exactly equal stretches ``(a_start, b_start, length)`` in order;
    ``edits`` are the stretches between them whose texts differ, ``(a_start, a_end, b_start,
    b_end)`` (an empty side is an insertion or deletion); ``matched`` counts the characters
    of the blocks.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    matched: int
    blocks: tuple[tuple[int, int, int], ...]
    edits: tuple[Edit, ...]

    @property
    def span(self) -> tuple[int, int, int, int]:
        return (self.a_start, self.a_end, self.b_start, self.b_end)

    def clip(self, a_lo: int, a_hi: int) -> Match | None:
        """The part of the passage inside ``a[a_lo:a_hi]`` (None when nothing is left)."""
        kept = []
        for x, y, n in self.blocks:
            lo, hi = max(x, a_lo), min(x + n, a_hi)
            if hi > lo:
                kept.append((lo, y + lo - x, hi - lo))
        if not kept:
            return None
        (fa, fb, _), (la, lb, ln) = kept[0], kept[-1]
        edits = tuple(e for e in self.edits if fa <= e[0] and e[1] <= la + ln and fb <= e[2] and e[3] <= lb + ln)
        return Match(fa, la + ln, fb, lb + ln, sum(n for _, _, n in kept), tuple(kept), edits)

    def to_b(self, x: np.ndarray | int) -> np.ndarray:
        """Positions in ``a`` (within the passage) mapped to ``b`` along the alignment.

        Inside a block the map is exact; inside an edit it is linear, which is all a
        paragraph boundary falling inside an edit can ask for.
        """
        xp, fp = self._knots
        return np.rint(np.interp(x, xp, fp)).astype(np.int64)

    def to_a(self, y: np.ndarray | int) -> np.ndarray:
        """Positions in ``b`` (within the passage) mapped to ``a``; the inverse of :meth:`to_b`."""
        xp, fp = self._knots
        return np.rint(np.interp(y, fp, xp)).astype(np.int64)

    def b_at(self, x: int) -> int:
        """:meth:`to_b` of one position, without numpy's per-call cost (the same arithmetic)."""
        xp, fp = self._knots
        return _interp(x, xp, fp)

    def a_at(self, y: int) -> int:
        """:meth:`to_a` of one position, without numpy's per-call cost (the same arithmetic)."""
        xp, fp = self._knots
        return _interp(y, fp, xp)

    @cached_property
    def _knots(self) -> tuple[list[int], list[int]]:
        xp: list[int] = []
        fp: list[int] = []
        for a0, b0, n in self.blocks:
            xp += [a0, a0 + n]
            fp += [b0, b0 + n]
        return xp, fp


def _interp(x: int, xp: list[int], fp: list[int]) -> int:
    """``int(np.rint(np.interp(x, xp, fp)))`` for one ``x``, the same steps in the same double arithmetic.

    Knots may repeat (a block ends where the next starts after an insertion on the other side);
    numpy then takes the last knot at or below ``x``, and so does this.

    >>> xp, fp = [0, 4, 4, 9], [0, 4, 7, 12]
    >>> [_interp(x, xp, fp) for x in (-1, 0, 2, 4, 6, 9, 10)] == np.rint(np.interp([-1, 0, 2, 4, 6, 9, 10], xp, fp)).tolist()
    True
    """
    j = bisect_right(xp, x) - 1
    if j < 0:
        return fp[0]
    if j >= len(xp) - 1 or xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    return round(slope * (x - xp[j]) + fp[j])


def as_text(x: str | np.ndarray) -> str:
    if isinstance(x, str):
        return x
    return np.ascontiguousarray(x, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


def blocks(a: str, b: str, k: int = SEED_K) -> list[list[int]]:
    """Exact blocks ``[a_start, a_end, b_start, b_end]``: runs of shared k-grams on one diagonal.

    Plain Python on purpose: the texts are windows of a few hundred characters around a
    seed, where a dict of k-grams costs less than the fixed overhead of a dozen numpy calls.

    >>> blocks("甲乙丙丁戊己庚", "乙丙丁戊己子", 3)
    [[1, 6, 0, 5]]
    """
    index: dict[str, list[int]] = {}
    for j in range(len(b) - k + 1):
        index.setdefault(b[j:j + k], []).append(j)
    counts_a: dict[str, int] | None = None
    open_: dict[int, int] = {}  # diagonal -> its last block
    out: list[list[int]] = []
    for i in range(len(a) - k + 1):
        gram = a[i:i + k]
        where = index.get(gram)
        if where is None:
            continue
        if len(where) > 1:
            if counts_a is None:
                counts_a = {}
                for x in range(len(a) - k + 1):
                    g = a[x:x + k]
                    counts_a[g] = counts_a.get(g, 0) + 1
            if len(where) * counts_a[gram] > MAX_SEED_PAIRS:
                continue
        for j in where:
            d = j - i
            last = open_.get(d)
            if last is not None and out[last][1] == i + k - 1:
                out[last][1] += 1
                out[last][3] += 1
            else:
                open_[d] = len(out)
                out.append([i, i + k, j, j + k])
    return out


def _chain(bl: list[list[int]], a: str, b: str, max_gap: int) -> tuple[list[int], list[int]]:
    """Best chain score ending at each block and its predecessor (blocks sorted by a_end)."""
    A0, A1, B0, B1 = ([x[c] for x in bl] for c in range(4))
    n = len(A0)
    score = [0] * n
    pred = [-1] * n
    for q in range(n):
        qa0, qa1, qb0, qb1 = A0[q], A1[q], B0[q], B1[q]
        length = qa1 - qa0
        best, bp = length, -1
        for p in range(bisect_left(A1, qa0 - max_gap, 0, q), q):
            pa0, pa1, pb0, pb1 = A0[p], A1[p], B0[p], B1[p]
            if pa1 >= qa1 or pb1 >= qb1 or pa0 >= qa0 or pb0 >= qb0 or pb1 < qb0 - max_gap:
                continue
            ov = max(0, pa1 - qa0, pb1 - qb0)
            ga, gb = qa0 + ov - pa1, qb0 + ov - pb1
            if ga > max_gap or gb > max_gap or length - ov <= 0:
                continue
            if ga == gb and a[pa1:qa0 + ov] == b[pb1:qb0 + ov]:
                cost = -ga  # a stretch left unseeded (a frequent k-gram) but equal: it is matched text
            else:
                cost = ga + gb
            s = score[p] + length - ov - cost
            if s > best:
                best, bp = s, p
        score[q], pred[q] = best, bp
    return score, pred


def _gap(a: str, b: str, a0: int, a1: int, b0: int, b1: int) -> tuple[list[tuple[int, int, int]], list[Edit]]:
    """Equal runs and edits inside a short stretch between two blocks (difflib opcodes).

    Two edits with one equal character between them (张庄镇、河西 -> 李集镇、城南, 镇 kept)
    are two edits, not one.
    """
    if a0 == a1 or b0 == b1:
        return [], ([(a0, a1, b0, b1)] if a1 > a0 or b1 > b0 else [])
    x, y = a[a0:a1], b[b0:b1]
    # what difflib answers without matching: no character in common is one replacement
    if x == y:
        return [(a0, b0, a1 - a0)], []
    if set(x).isdisjoint(y):
        return [], [(a0, a1, b0, b1)]
    runs, edits = [], []
    for op, i0, i1, j0, j1 in SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append((a0 + i0, b0 + j0, i1 - i0))
        else:
            edits.append((a0 + i0, a0 + i1, b0 + j0, b0 + j1))
    return runs, edits


def build(a: str, b: str, runs: list[tuple[int, int, int]]) -> Match:
    """A passage through exact runs ``(a_start, b_start, length)``, in order and not
    overlapping; the stretches between them become edits and short equal runs. A run of
    length 0 only marks where the passage starts or ends.
    """
    blocks_: list[tuple[int, int, int]] = []
    edits: list[Edit] = []
    ends = [runs[0][0], runs[0][1]]

    def add(x: int, y: int, n: int) -> None:
        if blocks_ and blocks_[-1][0] + blocks_[-1][2] == x and blocks_[-1][1] + blocks_[-1][2] == y:
            blocks_[-1] = (blocks_[-1][0], blocks_[-1][1], blocks_[-1][2] + n)
        elif n > 0:
            blocks_.append((x, y, n))

    px, py = runs[0][0], runs[0][1]
    for x, y, n in runs:
        eq, ed = _gap(a, b, px, x, py, y)
        for r in eq:
            add(*r)
        edits.extend(ed)
        add(x, y, n)
        px, py = x + n, y + n
    return Match(ends[0], px, ends[1], py, sum(n for _, _, n in blocks_), tuple(blocks_), tuple(edits))


def extend(a: str | np.ndarray, b: str | np.ndarray, m: Match, a_lo: int, b_lo: int, a_hi: int, b_hi: int,
           limit: int) -> Match:
    """``m`` widened to start at ``(a_lo, b_lo)`` and to end at ``(a_hi, b_hi)``, each end only
    when both sides have characters there, at most ``limit`` of them, or at most ``2 * MAX_GAP``
    with half of them shared; what is added becomes edits and equal runs. Carries a copy to its paragraph's edges over a changed first or
    last word, which no seed can reach.

    >>> t = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰"
    >>> m, = align(t, "天" + t[1:])
    >>> m.span, extend(t, "天" + t[1:], m, 0, 0, 15, 15, 4).edits
    ((1, 15, 1, 15), ((0, 1, 0, 1),))
    """
    a, b = as_text(a), as_text(b)
    runs = list(m.blocks)
    if m.a_start >= a_lo and m.b_start >= b_lo and _bridges(a[a_lo:m.a_start], b[b_lo:m.b_start], limit):
        runs.insert(0, (a_lo, b_lo, 0))
    if a_hi >= m.a_end and b_hi >= m.b_end and _bridges(a[m.a_end:a_hi], b[m.b_end:b_hi], limit):
        runs.append((a_hi, b_hi, 0))
    return m if len(runs) == len(m.blocks) else build(a, b, runs)


def _bridges(x: str, y: str, limit: int) -> bool:
    """Whether an edge stretch is a changed word of the copy: text on both sides, short, or up to
    2 * MAX_GAP with half its characters shared (two edits close to a copy's edge leave no seed
    between them and the edge)."""
    n = max(len(x), len(y))
    if not x or not y:
        return False  # text on one side only is that side's own, not a changed word
    if n <= limit:
        return True
    if n > 2 * MAX_GAP:
        return False
    same = sum(blk.size for blk in SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks())
    return 2 * same >= n


def align_codes(
    a: str | np.ndarray, b: str | np.ndarray, min_span: int = 13, *, k: int = SEED_K, max_gap: int = MAX_GAP
) -> list[Match]:
    """Copied passages between two canonical texts (strings or code point arrays), sorted by position in ``a``."""
    a, b = as_text(a), as_text(b)
    k = max(1, min(k, min_span))
    return chain_blocks(a, b, blocks(a, b, k), min_span, max_gap)


def chain_blocks(a: str, b: str, bl: list[list[int]], min_span: int = 13, max_gap: int = MAX_GAP) -> list[Match]:
    """The passages :func:`align_codes` makes of exact blocks ``bl`` (as :func:`blocks` gives them, any order).

    ``a`` and ``b`` may be longer than the stretches the blocks were found in (whole documents
    around a window): only text between chained blocks is read, so the result is that of the
    window, in the offsets of ``a`` and ``b``.
    """
    if not bl:
        return []
    bl.sort(key=lambda x: (x[1], x[3]))  # (a_end, b_end) is one block's alone: any input order gives this one
    score, pred = _chain(bl, a, b, max_gap)
    used = [False] * len(bl)
    out: list[Match] = []
    # best chains first; ties broken by position so the result is deterministic
    for q in sorted(range(len(bl)), key=lambda x: (-score[x], bl[x][0], bl[x][2])):
        if used[q]:
            continue
        chain = []
        x = q
        while x >= 0 and not used[x]:
            chain.append(x)
            used[x] = True
            x = pred[x]
        chain.reverse()
        runs: list[tuple[int, int, int]] = []  # (a_start, b_start, length) with overlaps trimmed
        for x in chain:
            a0, a1, b0, _ = bl[x]
            if runs:
                pa0, pb0, pn = runs[-1]
                ov = max(0, pa0 + pn - a0, pb0 + pn - b0)
                a0, b0 = a0 + ov, b0 + ov
            runs.append((a0, b0, a1 - a0))
        m = build(a, b, runs)
        if m.matched - sum(a.count(MASK, s, s + n) for s, _, n in m.blocks) < min_span:
            continue
        # a repeat of text already aligned on both sides (a phrase used twice in a copied
        # document) says nothing new
        if any(o.a_start <= m.a_start and m.a_end <= o.a_end and o.b_start <= m.b_start and m.b_end <= o.b_end
               for o in out):
            continue
        out.append(m)
    out.sort(key=lambda m: (m.a_start, m.b_start))
    return out


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MAX_ENTRIES = 1 << 22  # k-grams per vectorised pass: keeps 30 bits of hash beside window and index


def _grams(cps: np.ndarray, lo: np.ndarray, hi: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray,
                                                                            np.ndarray, np.ndarray]:
    """The k-grams of the texts ``cps[lo:hi]``: (window, start, exact value, hash) of each.

    The exact value is the k code points of 21 bits in two words (equal values, equal k-grams);
    the hash mixes them for sorting.
    """
    size = np.maximum(hi - lo, 0)
    text = cps[range_indices(lo, size)].astype(np.uint64)
    count = np.maximum(size - k + 1, 0)
    # k-gram t of the concatenated texts starts a k-gram of its window when it does not cross its end
    base = np.cumsum(size) - size
    at = range_indices(base, count)
    pos = at - np.repeat(base - lo, count)
    wid = np.repeat(np.arange(lo.size, dtype=np.int64), count)
    half = (k + 1) // 2
    hi_word = np.zeros(at.size, np.uint64)
    lo_word = np.zeros(at.size, np.uint64)
    with np.errstate(over="ignore"):
        for o in range(k):
            part = text[at + o]
            if o < half:
                hi_word = (hi_word << np.uint64(21)) | part
            else:
                lo_word = (lo_word << np.uint64(21)) | part
        v = hi_word * _GOLDEN + lo_word
        v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        v ^= v >> np.uint64(31)
    return wid, pos, np.stack([hi_word, lo_word], axis=1), v


def blocks_many(cps: np.ndarray, windows: np.ndarray, k: int = SEED_K) -> list[list[list[int]]]:
    """:func:`blocks` of many windows of one code point array at once, vectorised.

    ``windows`` is an (n, 6) array of ``(a0, a1, b0, b1, oa, ob)``: the texts are
    ``cps[a0:a1]`` and ``cps[b0:b1]``, and each window's blocks come back in offsets relative
    to ``oa`` and ``ob`` (its documents' starts). They are the blocks of :func:`blocks` (the
    same set; the order may differ, which :func:`chain_blocks` does not mind). The k-grams of
    all windows are sorted once by (window, hash, side); k-grams sorted next to each other
    under one key are compared exactly, and a window where two different k-grams shared a key
    is done by :func:`blocks` instead (k <= 6: 21 bits per code point fit two words).

    >>> cps = np.array([ord(c) for c in "甲乙丙丁戊己庚" + "乙丙丁戊己子"], dtype=np.uint32)
    >>> blocks_many(cps, np.array([[0, 7, 7, 13, 0, 7]]), 3)
    [[[1, 6, 0, 5]]]
    """
    w = np.asarray(windows, dtype=np.int64).reshape(-1, 6)
    n = len(w)
    if k > 6:
        return [_blocks_of(cps, row, k) for row in w.tolist()]
    a0, a1, b0, b1 = w[:, 0], w[:, 1], w[:, 2], w[:, 3]
    entries = int(np.maximum(a1 - a0 - k + 1, 0).sum() + np.maximum(b1 - b0 - k + 1, 0).sum())
    if entries > _MAX_ENTRIES and n > 1:
        return blocks_many(cps, w[:n // 2], k) + blocks_many(cps, w[n // 2:], k)
    wid_b, pos_b, ex_b, h_b = _grams(cps, b0, b1, k)
    wid_a, pos_a, ex_a, h_a = _grams(cps, a0, a1, k)
    nb = pos_b.size
    wid, pos, exact = np.concatenate((wid_b, wid_a)), np.concatenate((pos_b, pos_a)), np.concatenate((ex_b, ex_a))
    # one sort key: window | hash | entry (b entries first, then a, each in position order)
    bits_i = max(1, int(pos.size).bit_length())
    bits_w = max(1, int(n).bit_length())
    bits_h = 64 - bits_w - bits_i
    if bits_h < 16:
        return [_blocks_of(cps, row, k) for row in w.tolist()]
    key = ((wid.astype(np.uint64) << np.uint64(bits_h + bits_i))
           | ((np.concatenate((h_b, h_a)) >> np.uint64(64 - bits_h)) << np.uint64(bits_i))
           | np.arange(pos.size, dtype=np.uint64))
    key.sort()
    idx = (key & np.uint64((1 << bits_i) - 1)).astype(np.int64)
    grp = key >> np.uint64(bits_i)
    del key
    same = grp[1:] == grp[:-1]
    dirty = np.zeros(n, dtype=bool)
    eq = np.flatnonzero(same)
    if eq.size:
        x, y = idx[eq], idx[eq + 1]
        diff = (exact[x, 0] != exact[y, 0]) | (exact[x, 1] != exact[y, 1])
        if diff.any():
            dirty[wid[x[diff]]] = True
    start = np.flatnonzero(np.concatenate(([True], ~same)))
    gid = np.cumsum(np.concatenate(([False], ~same)))  # group of each sorted entry
    is_b = idx < nb
    count_b = np.bincount(gid[is_b], minlength=start.size)
    count_a = np.diff(np.append(start, idx.size)) - count_b
    # as blocks(): a k-gram found more than once in b and count_a * count_b > MAX_SEED_PAIRS seeds nothing
    ok = (count_b >= 1) & ~((count_b >= 2) & (count_a * count_b > MAX_SEED_PAIRS))
    t = np.flatnonzero(~is_b & ok[gid])  # sorted entries of a that seed
    g = gid[t]
    reps = count_b[g]
    src = np.repeat(idx[t], reps)
    nth = np.arange(src.size, dtype=np.int64) - np.repeat(np.cumsum(reps) - reps, reps)
    si, sj, sw = pos[src], pos[idx[np.repeat(start[g], reps) + nth]], wid[src]
    # runs of consecutive seeds on one diagonal: sort by (window, diagonal, position in a)
    ia = si - a0[sw]
    dg = (sj - b0[sw]) - ia + (a1 - a0)[sw]
    span_i = int((a1 - a0).max(initial=0)) + 1
    span_d = int(((a1 - a0) + (b1 - b0)).max(initial=0)) + 1
    if (n * span_d).bit_length() + span_i.bit_length() <= 62:
        run_key = (sw * span_d + dg) * span_i + ia
        srt = np.argsort(run_key)
        run_key = run_key[srt]
        new = np.ones(run_key.size, dtype=bool)
        new[1:] = run_key[1:] != run_key[:-1] + 1
    else:
        srt = np.lexsort((ia, dg, sw))
        new = np.ones(srt.size, dtype=bool)
        new[1:] = (sw[srt][1:] != sw[srt][:-1]) | (dg[srt][1:] != dg[srt][:-1]) | (ia[srt][1:] != ia[srt][:-1] + 1)
    si, sj, sw = si[srt], sj[srt], sw[srt]
    first = np.flatnonzero(new)
    last = np.append(first[1:], si.size)[:first.size] - 1
    bw = sw[first]
    oa, ob = w[bw, 4], w[bw, 5]
    rows = np.stack([si[first] - oa, si[last] + k - oa, sj[first] - ob, sj[last] + k - ob], axis=1).tolist()
    out: list[list[list[int]]] = []
    at = 0
    for c in np.bincount(bw, minlength=n).tolist():
        out.append(rows[at:at + c])
        at += c
    for i in np.flatnonzero(dirty).tolist():
        out[i] = _blocks_of(cps, w[i].tolist(), k)
    return out


def _blocks_of(cps: np.ndarray, row: list[int], k: int) -> list[list[int]]:
    x0, x1, y0, y1, oa, ob = row
    return [[p + x0 - oa, q + x0 - oa, r + y0 - ob, t + y0 - ob]
            for p, q, r, t in blocks(as_text(cps[x0:x1]), as_text(cps[y0:y1]), k)]


def align(a: str | np.ndarray, b: str | np.ndarray, min_span: int = 13) -> list[Match]:
    """Copied passages between two canonical texts (strings or code point arrays)."""
    return align_codes(a, b, min_span)
