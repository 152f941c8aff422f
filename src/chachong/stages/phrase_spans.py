"""Which word-aligned spans of the windows may be stock phrases, which of them a longer phrase
closes over, and the family each belongs to.

A candidate spans two or more words of one window (or one word jieba's dictionary calls a set
phrase or an idiom), never starting with a particle or conjunction nor ending with a
preposition or conjunction, and never starting or ending with an enumerator word (二是, 首先). Closure and families are dynamic programmes over span widths: the
widest spread of a phrase around each span, and the most widespread phrase inside it.
"""

from __future__ import annotations

import numpy as np

from chachong.runtime.arrays import unique
from chachong.stages.phrase_text import JoinedText, ranges, text_of
from chachong.stages.phrase_words import fixed_expressions
from chachong.text.normalize import MASK

# a phrase does not start with a particle, a conjunction, a copula or a disposal/passive marker, nor end
# with a preposition or conjunction: 的二十大精神, 把学习贯彻党的二十大精神 (its verb comes later)
# and 学习贯彻党的 are pieces of a formula, not formulas
_NO_START = frozenset("的了地得着之和与及或并而等其把被将是")
_NO_END = frozenset("的地得之和与及或并而其对把被将从向在以于为是")


def _codes(chars: frozenset[str]) -> np.ndarray:
    return np.array(sorted(ord(ch) for ch in chars), dtype=np.uint64)


_NO_START_CODES = _codes(_NO_START | {MASK})
_NO_END_CODES = _codes(_NO_END | {MASK})

# enumerators that run straight into the clause they number (一是部分老旧小区, 首先要): a phrase neither
# starts nor ends with one of these words, or 二是部分 would be a formula. An ordinal that begins a
# formula of its own (第一议题, 最后一公里) is no such word, nor is 再次 (总书记再次亲临: "again"), and an
# enumerator followed by a comma is cut off by the comma already.
ENUMERATORS = frozenset([f"{n}是" for n in "一二三四五六七八九十"] + [f"{n}要" for n in "二三四五六七八九十"]
                        + [f"其{n}" for n in "一二三四五六七八九十"] + ["首先", "其次", "一方面", "另一方面"])
_ENUM_LENGTHS = sorted({len(w) for w in ENUMERATORS})
_ENUM_FIRST = _codes(frozenset(w[0] for w in ENUMERATORS))


def enumerator_words(c: np.ndarray, bpos: np.ndarray, bwin: np.ndarray) -> np.ndarray:
    """Whether the word starting at each boundary (and ending at the next one of its window) is
    an enumerator (:data:`ENUMERATORS`)."""
    out = np.zeros(bpos.size, bool)
    if bpos.size < 2:
        return out
    j = np.flatnonzero(bwin[:-1] == bwin[1:])
    j = j[np.isin(c[bpos[j]], _ENUM_FIRST) & np.isin(bpos[j + 1] - bpos[j], _ENUM_LENGTHS)]
    out[j] = np.fromiter((text_of(c, a, b) in ENUMERATORS for a, b in zip(bpos[j].tolist(), bpos[j + 1].tolist())),
                         dtype=bool, count=j.size)
    return out


def candidates(text: JoinedText, bpos: np.ndarray, bwin: np.ndarray, max_level: int, min_chars: int,
               max_chars: int) -> dict[str, np.ndarray]:
    """Spans of two or more words of one window that may be phrases, and single words that
    are set phrases (see :func:`fixed_expressions`).

    A span runs from boundary ``i`` to boundary ``i + d`` (indices into ``bpos``); returned as
    arrays ``i``, ``d`` and ``length`` (canonical characters), ordered by ``d``.
    """
    nb = bpos.size
    c = text.cps
    # characters that are not the mask before each boundary, counted within its window
    same = np.flatnonzero(bwin[:-1] == bwin[1:]) if nb > 1 else np.zeros(0, np.int64)
    k, owner = ranges(bpos[same], bpos[same + 1])
    seg = np.zeros(nb, np.int64)
    seg[same] = np.bincount(owner, weights=c[k] != ord(MASK), minlength=same.size).astype(np.int64)
    nonmask = np.concatenate(([0], np.cumsum(seg)))
    enum = enumerator_words(c, bpos, bwin)
    out_i, out_d = [], []
    # one word is a phrase only when jieba's dictionary calls it a set phrase or an idiom
    i = same
    nm = nonmask[i + 1] - nonmask[i]
    i = i[(nm >= min_chars) & (nm <= max_chars) & (bpos[i + 1] - bpos[i] <= max_level)]
    if i.size:
        fixed = fixed_expressions()
        i = i[np.fromiter((text_of(c, a, b) in fixed for a, b in zip(bpos[i].tolist(), bpos[i + 1].tolist())),
                          dtype=bool, count=i.size)]
        out_i.append(i)
        out_d.append(np.ones(i.size, np.int64))
    for d in range(2, nb):
        i = np.arange(nb - d)
        i = i[bwin[i] == bwin[i + d]]
        s, e = bpos[i], bpos[i + d]
        nm = nonmask[i + d] - nonmask[i]
        fits = (e - s <= max_level) & (nm <= max_chars)
        if not fits.any():
            break
        i, s, e, nm = i[fits], s[fits], e[fits], nm[fits]
        first_single = bpos[i + 1] - s == 1
        last_single = e - bpos[i + d - 1] == 1
        stop = (first_single & np.isin(c[s], _NO_START_CODES)) | (last_single & np.isin(c[e - 1], _NO_END_CODES))
        stop |= enum[i] | enum[i + d - 1]
        keep = (nm >= min_chars) & ~stop
        out_i.append(i[keep])
        out_d.append(np.full(int(keep.sum()), d, np.int64))
    ci = np.concatenate(out_i) if out_i else np.zeros(0, np.int64)
    cd = np.concatenate(out_d) if out_d else np.zeros(0, np.int64)
    return {"i": ci, "d": cd, "length": bpos[ci + cd] - bpos[ci]}


def _by_width(cand: dict[str, np.ndarray], pid: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(d, start boundaries, phrase ids) of the candidates with a phrase id, per span width d."""
    ok = pid >= 0
    return [(d, cand["i"][ok & (cand["d"] == d)], pid[ok & (cand["d"] == d)])
            for d in unique(cand["d"][ok]).tolist()]


def _inside(bwin: np.ndarray, d: int) -> np.ndarray:
    """Whether boundaries i and i + d belong to one window, for every i (and one past the end)."""
    nb = bwin.size
    out = np.zeros(nb + 1, bool)
    j = np.arange(max(nb - d, 0))
    out[j] = bwin[j] == bwin[j + d]
    return out


def closure(cand: dict[str, np.ndarray], pid: np.ndarray, docs: np.ndarray, bwin: np.ndarray) -> np.ndarray:
    """For each phrase, the largest spread of a longer phrase around it (in any window).

    ``ext_d[i]``, the widest spread of a phrase spanning boundaries i..i+d or more of one
    window, is the larger of its own and ``ext_{d+1}`` of its two one-word extensions; a
    phrase's best container is the larger of those two extensions.
    """
    nb = bwin.size
    container = np.zeros(docs.size, np.int64)
    widths = _by_width(cand, pid)
    if not widths:
        return container
    top = widths[-1][0]
    by_d = {d: (i, p) for d, i, p in widths}
    prev = np.zeros(nb + 1, np.int64)  # ext of width d + 1
    for d in range(top, 0, -1):
        left = np.zeros(nb + 1, np.int64)
        left[1:] = prev[:-1]  # span i-1 .. i+d; zero unless in one window (prev is masked)
        cur = np.maximum(left, prev)
        if d in by_d:
            i, p = by_d[d]
            np.maximum.at(container, p, cur[i])
            cur[i] = np.maximum(cur[i], docs[p])
        prev = np.where(_inside(bwin, d), cur, 0)
    return container


def families(cand: dict[str, np.ndarray], pid: np.ndarray, kept: np.ndarray, docs: np.ndarray,
             keys: list[str], bwin: np.ndarray) -> np.ndarray:
    """The head of each kept phrase's family: the most widespread kept phrase inside it
    (by documents, then length, then text); its own index when it contains none."""
    nb = bwin.size
    order = sorted(np.flatnonzero(kept).tolist(), key=lambda q: (int(docs[q]), len(keys[q]), keys[q]))
    rank = np.full(docs.size, -1, np.int64)
    rank[order] = np.arange(len(order))
    head = rank.copy()
    widths = _by_width(cand, np.where((pid >= 0) & kept[np.maximum(pid, 0)], pid, -1))
    if widths:
        by_d = {d: (i, p) for d, i, p in widths}
        prev = np.full(nb + 1, -1, np.int64)  # best of width d - 1
        for d in range(1, widths[-1][0] + 1):
            right = np.full(nb + 1, -1, np.int64)
            right[:-1] = prev[1:]  # span i+1 .. i+d
            cur = np.maximum(prev, right)
            if d in by_d:
                i, p = by_d[d]
                cur[i] = np.maximum(cur[i], rank[p])
                np.maximum.at(head, p, cur[i])
            prev = np.where(_inside(bwin, d), cur, -1)
    by_rank = np.array(order + [0], dtype=np.int64)
    return np.where(head >= 0, by_rank[np.maximum(head, 0)], np.arange(docs.size))


__all__ = ["ENUMERATORS", "candidates", "closure", "enumerator_words", "families"]
