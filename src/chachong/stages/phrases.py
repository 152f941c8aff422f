"""Stock phrases (套话): formulas many independent documents write, mined without a list.

A stock phrase is two or more whole jieba words, or one word jieba's dictionary tags as a set
phrase or idiom (切实加强, 高度重视), 4–30 characters long (counted on the canonical text: a run
of digits or a placeholder is one character and does not count towards the minimum), found in
at least ``phrase_min_documents`` *independent* documents: copies of one document (a group of
identical or near-duplicate documents) count once. It never crosses punctuation or a line
break, is whole words where it occurs (not only where it was found), never starts with a
particle or conjunction (的, 和, 把 ...) nor ends with a preposition or conjunction (的, 和,
对, 在 ...), and is dropped when a longer phrase around it keeps ``phrase_closure`` (90 %) of
its documents: 二十大精神 goes when nearly every document writing it writes 学习贯彻党的二十大精神.
A one-word set phrase must also be five times as widespread as its frequency in general
writing predicts, or 组成部分 would be a formula. Each phrase belongs to the family of the most
widespread phrase inside it (itself when there is none), so 取得了一定成效 and 取得了一定成绩 sit
in the family 取得了一定. Phrases are ranked by spread in characters: documents × length.

How, at corpus scale (100,000 paragraphs in seconds, jieba reading about 1 % of the text):

1. the canonical text (normalize.py: digits and placeholders masked, punctuation removed;
   the prepared corpus's own arrays when the audit passes it) is cut into runs at
   punctuation, line breaks and excluded intervals (boilerplate): one flag per character;
2. frequent character n-grams are found level by level with 64-bit rolling hashes in numpy:
   4-grams in at least ``phrase_min_documents`` groups, then (n+1)-grams only where both
   n-grams they start and end with are frequent, up to 30. The 4-grams are hashed twice,
   in pieces of 2 M positions: once to count them per hash bucket (an upper bound of their
   groups), once to keep those of heavy buckets, whose groups are then counted exactly; so
   memory follows the frequent text (a few % of a corpus), never 8 bytes per character;
3. windows, the stretches covered by frequent 4-grams, are the only text jieba reads: up to
   three occurrences of each distinct window, in their whole runs, and a boundary counts
   when most of them cut there;
4. the word-aligned spans of the windows are looked up in the n-gram tables, checked against
   the word boundaries of every occurrence, closed under extension and grouped into families
   by dynamic programming over span widths, and located in every document.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, pairwise
from typing import Any

import numpy as np

from chachong.runtime.arrays import unique
from chachong.config import AuditConfig
from chachong.text.normalize import MASK, canonicalize_array, codepoints
from chachong.text.variants import fold_han

_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, so the rolling hash is a bijection per step
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_VOTES = 3  # occurrences of a window segmented; a boundary counts when most cut there
# a one-word set phrase (高度重视) is a formula only when this many times more documents use it
# than its frequency in general writing predicts: writing of one genre easily doubles or triples
# ordinary vocabulary (组成部分, 实事求是), formulas of the genre are orders of magnitude above it
_LIFT = 5.0
_PREFILTER = 1_000_000  # above this many 4-grams, count occurrences in hash buckets first
# a phrase does not start with a particle, a conjunction, a copula or a disposal/passive marker, nor end
# with a preposition or conjunction: 的二十大精神, 把学习贯彻党的二十大精神 (its verb comes later)
# and 学习贯彻党的 are pieces of a formula, not formulas
_NO_START = frozenset("的了地得着之和与及或并而等其把被将是")
_NO_END = frozenset("的地得之和与及或并而其对把被将从向在以于为是")
_SPACES = (0x20, 0x09, 0x3000, 0xA0)


@dataclass(frozen=True)
class Phrase:
    """One stock phrase.

    ``text`` is the phrase as first written (original characters); ``key`` its canonical
    form (what was counted); ``words`` the jieba words of ``text``; ``documents`` the
    independent documents (groups) using it; ``occurrences`` its occurrences in all texts;
    ``family`` the ``text`` of its family's head; ``locations`` (text index, start, end) of
    every occurrence, in source order, as offsets into the original texts.
    """

    text: str
    key: str
    words: tuple[str, ...]
    documents: int
    occurrences: int
    family: str
    locations: tuple[tuple[int, int, int], ...]


def phrase_threshold(config: AuditConfig, independent_documents: int) -> int:
    """Independent documents a phrase needs: ``phrase_min_documents``, or max(3, 2 %).

    >>> phrase_threshold(AuditConfig(), 15), phrase_threshold(AuditConfig(), 5000)
    (3, 100)
    """
    if config.phrase_min_documents is not None:
        return config.phrase_min_documents
    return max(3, math.ceil(0.02 * independent_documents))


_PIECE = 1 << 21  # positions hashed at a time: ~80 MB of temporaries, whatever the corpus size


@dataclass
class _Text:
    """All texts' canonical characters, concatenated, and where runs (clauses) start.

    Per character it holds only the canonical code point (uint32), its original span (32-bit
    offsets when every text is shorter than 2**31 characters) and one flag: with a prepared
    corpus the first three are the corpus's own arrays, so mining adds about a byte per
    character; everything else is kept for the frequent stretches (windows) only.
    """

    cps: np.ndarray  # uint32 canonical code points
    start: np.ndarray  # original start offset of each character, in its text
    end: np.ndarray  # original end offset
    doc_offsets: np.ndarray  # int64: text i is cps[doc_offsets[i]:doc_offsets[i + 1]]
    brk: np.ndarray  # bool, one more than characters: a run starts here (brk[n] is True)
    _brk_pos: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.cps.size)

    def doc(self, pos: np.ndarray) -> np.ndarray:
        """Text index of each position."""
        return np.searchsorted(self.doc_offsets, pos, side="right") - 1

    def runs(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First position of each position's run, and one past its last."""
        if self._brk_pos is None:
            # int32 pieces when positions fit: a run start every few characters
            dt = np.int32 if self.n < 2**31 - 1 else np.int64
            self._brk_pos = np.concatenate([np.flatnonzero(self.brk[a:a + _PIECE]).astype(dt) + dt(a)
                                            for a in range(0, self.n + 1, _PIECE)])
        j = np.searchsorted(self._brk_pos, pos, side="right")
        return self._brk_pos[j - 1].astype(np.int64), self._brk_pos[np.minimum(j, self._brk_pos.size - 1)].astype(
            np.int64)

    def after_figure(self, pos: np.ndarray) -> np.ndarray:
        """Whether each position follows a masked figure in its run (年 in 2023年)."""
        prev = np.maximum(pos - 1, 0)
        return (pos > 0) & (self.cps[prev] == ord(MASK)) & ~self.brk[pos]


def _canonical(texts: Sequence[str], config: AuditConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Canonical code points and original spans of ``texts``, concatenated (as corpus.prepare)."""
    total = sum(len(t) for t in texts)
    off_t = np.int32 if max((len(t) for t in texts), default=0) < 2**31 - 1 else np.int64
    cps = np.empty(total, np.uint32)
    st = np.empty(total, off_t)
    en = np.empty(total, off_t)
    offsets = np.zeros(len(texts) + 1, np.int64)
    base = 0
    for i, t in enumerate(texts):
        out, s, e = canonicalize_array(codepoints(t), mask_digits=config.mask_digits,
                                       mask_placeholders=config.mask_placeholders,
                                       fold_variants=config.fold_variants)
        cps[base:base + out.size] = out
        st[base:base + out.size] = s
        en[base:base + out.size] = e
        base += out.size
        offsets[i + 1] = base
    return cps[:base], st[:base], en[:base], offsets


def _breaks(texts: Sequence[str], cps: np.ndarray, st: np.ndarray, en: np.ndarray, offsets: np.ndarray,
            exclude: Sequence[Sequence[tuple[int, int]]] | None) -> np.ndarray:
    """Where runs start: at each text's first character, after original characters that no
    canonical character stands for (punctuation, line breaks; spaces do not count, PDF text
    puts them inside phrases), and around every excluded character (a run of its own)."""
    n = cps.size
    brk = np.zeros(n + 1, bool)
    brk[n] = True
    sizes = np.diff(offsets)
    brk[offsets[:-1][sizes > 0]] = True
    for d0, d1, lo, hi in _text_pieces(sizes, max(_PIECE // 4, 1)):  # ~25 MB of temporaries a piece
        # the gap before each character lo..hi-1 (texts d0..d1-1, or a piece of text d0),
        # read in the texts joined: original offsets shift by the lengths of the texts before
        o0 = int(en[lo - 1]) if lo > offsets[d0] else 0
        o1 = int(st[hi - 1]) + 1 if d1 == d0 + 1 else len(texts[d1 - 1])
        joined = texts[d0][o0:o1] if d1 == d0 + 1 else "".join(texts[d0:d1])
        cp = codepoints(joined)
        if d1 == d0 + 1:
            shift = np.full(hi - lo, -o0, np.int64)
        else:
            lengths = np.array([len(t) for t in texts[d0:d1]], np.int64)
            shift = np.repeat(np.cumsum(lengths) - lengths, sizes[d0:d1])
        a = st[lo:hi] + shift  # original start of each character, in the joined text
        b = np.empty(hi - lo, np.int64)  # original end of the character before it
        b[1:] = en[lo:hi - 1]
        b[1:] += shift[:-1]
        b[0] = int(en[lo - 1]) - o0 if lo > offsets[d0] else a[0]  # a text's first: a run anyway
        gaps = np.flatnonzero(a > b)
        # the characters of each gap (punctuation mostly, one or two), tested in one pass
        k, owner = _ranges(b[gaps], a[gaps])
        g = cp[k]
        other = (g != 0x20) & (g != 0x09) & (g != 0x3000) & (g != 0xA0)
        hit = np.bincount(owner[other], minlength=gaps.size) > 0
        brk[lo + gaps[hit]] = True
    if exclude is not None:
        for d, ivs in enumerate(exclude[:len(texts)]):
            if not len(ivs) or sizes[d] == 0:
                continue
            a0, b0 = int(offsets[d]), int(offsets[d + 1])
            se = np.searchsorted(st[a0:b0], np.asarray(ivs, np.int64).reshape(-1, 2)) + a0
            for lo, hi in se.tolist():
                brk[lo:hi + 1] = True
    return brk


def _text_pieces(sizes: np.ndarray, piece: int) -> list[tuple[int, int, int, int]]:
    """(first text, end text, first position, end position) of pieces of about ``piece``
    positions: whole texts together, a longer text in pieces of its own."""
    out = []
    ends = np.cumsum(sizes)
    d, n_texts = 0, sizes.size
    while d < n_texts:
        lo = int(ends[d] - sizes[d])
        if sizes[d] >= piece:
            out.extend((d, d + 1, x, min(x + piece, int(ends[d]))) for x in range(lo, int(ends[d]), piece))
            d += 1
            continue
        e = int(np.searchsorted(ends, lo + piece, side="right"))
        e = max(min(e, n_texts), d + 1)
        while e > d + 1 and sizes[e - 1] >= piece:
            e -= 1
        if ends[e - 1] > lo:
            out.append((d, e, lo, int(ends[e - 1])))
        d = e
    return out


def _build_text(texts: Sequence[str], config: AuditConfig, exclude: Sequence[Sequence[tuple[int, int]]] | None,
                corpus: Any) -> _Text:
    usable = (corpus is not None and len(getattr(corpus, "documents", ())) == len(texts)
              and corpus.config.mask_digits == config.mask_digits
              and corpus.config.mask_placeholders == config.mask_placeholders
              and corpus.config.fold_variants == config.fold_variants)
    if usable:
        cps, st, en, offsets = corpus.cps, corpus.orig_start, corpus.orig_end, np.asarray(corpus.doc_offsets, np.int64)
    else:
        cps, st, en, offsets = _canonical(texts, config)
    return _Text(cps, st, en, offsets, _breaks(texts, cps, st, en, offsets, exclude))


@dataclass
class _Table:
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
    b = h * _MIX
    b >>= np.uint64(64 - bits)
    return b.view(np.int64)


def _frequent(pos: np.ndarray, h: np.ndarray, group: np.ndarray, min_docs: int) -> tuple[np.ndarray, _Table]:
    """Indices (ascending) of the n-grams ``h`` (at positions ``pos``, of groups ``group``) that
    are in at least ``min_docs`` groups, and the table of those n-grams."""
    if pos.size > _PREFILTER:
        # an n-gram in min_docs groups occurs min_docs times; most n-grams are rare, so a
        # bucket count (no sort) discards them before the exact count
        b = _bucket(h, 22)
        idx = np.flatnonzero(np.bincount(b, minlength=1 << 22)[b] >= min_docs)
        del b
        order = idx[np.argsort(h[idx], kind="stable")]
    else:
        order = np.argsort(h, kind="stable")
    hs = h[order]
    new = np.ones(hs.size, bool)
    new[1:] = hs[1:] != hs[:-1]
    gid = np.cumsum(new) - 1
    occ = np.bincount(gid) if gid.size else np.zeros(0, np.int64)
    keep = occ[gid] >= min_docs
    order, hs, gid, new = order[keep], hs[keep], gid[keep], new[keep]
    # distinct (n-gram, group) pairs: one sort of a combined key (a lexsort of two keys
    # takes twice the time and memory)
    width = int(group.max()) + 1 if group.size else 1
    if occ.size * width < 2**62:
        key = gid * width + group[order]
        key.sort()
        first = np.ones(key.size, bool)
        first[1:] = key[1:] != key[:-1]
        ndocs = np.bincount(key[first] // width, minlength=int(occ.size))
        del key, first
    else:
        g = group[order]
        o2 = np.lexsort((g, gid))
        gg, ii = g[o2], gid[o2]
        first = np.ones(gg.size, bool)
        first[1:] = (gg[1:] != gg[:-1]) | (ii[1:] != ii[:-1])
        ndocs = np.bincount(ii[first], minlength=int(occ.size))
    ok = ndocs[gid] >= min_docs
    sel = new & ok
    return np.sort(order[ok]), _Table(hs[sel], ndocs[gid[sel]].astype(np.int64))


def _hash_piece(text: _Text, lo: int, hi: int, length: int) -> np.ndarray:
    """Hashes of the ``length``-grams at positions lo..hi-1 (0 where none fits; across runs
    or not, see :func:`_whole`)."""
    c = text.cps
    last = max(min(hi - lo, text.n - length + 1 - lo), 0)  # positions whose n-gram fits
    h = np.zeros(hi - lo, np.uint64)
    hv = h[:last]
    for k in range(length if last else 0):
        if k:
            np.multiply(hv, _BASE, out=hv)
        np.add(hv, c[lo + k:lo + k + last], out=hv, casting="unsafe")
    return h


def _whole(text: _Text, pos: np.ndarray, length: int) -> np.ndarray:
    """Whether the ``length``-gram at each position fits in the text within one run."""
    ok = pos + length <= text.n
    for k in range(1, length):
        ok &= ~text.brk[np.minimum(pos + k, text.n)]
    return ok


def _pieces(text: _Text, big: int) -> list[tuple[int, int, int]]:
    """(start, end, text index or -1) of position ranges to hash: small texts together, a text
    of ``big`` characters or more alone (its n-grams are then counted once per text)."""
    out: list[tuple[int, int, int]] = []
    sizes = np.diff(text.doc_offsets)
    lo = 0
    for d in np.flatnonzero(sizes >= big).tolist():
        a, b = int(text.doc_offsets[d]), int(text.doc_offsets[d + 1])
        out.extend((x, min(x + _PIECE, a), -1) for x in range(lo, a, _PIECE))
        out.extend((x, min(x + _PIECE, b), d) for x in range(a, b, _PIECE))
        lo = b
    out.extend((x, min(x + _PIECE, text.n), -1) for x in range(lo, text.n, _PIECE))
    return out


def _frequent_grams(text: _Text, group_of: np.ndarray, min_docs: int, length: int
                    ) -> tuple[np.ndarray, np.ndarray, _Table]:
    """Positions (ascending) of the ``length``-grams in at least ``min_docs`` groups, their
    hashes, and their table, in two passes over the text piece by piece.

    The first pass counts n-grams per hash bucket (an upper bound of the groups of every n-gram
    in the bucket; a long text adds one per bucket, not one per occurrence); the second keeps
    the n-grams of heavy buckets and counts their groups exactly.
    """
    # 2**21 buckets at most: their counts (16 MB) stay in cache, twice as fast as 2**22
    bits = int(min(max(math.ceil(math.log2(max(text.n, 1))) - 2, 12), 21))
    pieces = _pieces(text, 1 << (bits - 2))
    counts = np.zeros(1 << bits, np.int64)
    seen = None
    for lo, hi, d in pieces:
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
    heavy = counts >= min_docs
    del counts
    pos_p, h_p = [], []
    for lo, hi, _d in pieces:
        h = _hash_piece(text, lo, hi, length)
        keep = np.flatnonzero(heavy[_bucket(h, bits)])
        keep = keep[_whole(text, keep + lo, length)]
        pos_p.append(keep + lo)
        h_p.append(h[keep])
    pos = np.concatenate(pos_p) if pos_p else np.zeros(0, np.int64)
    h = np.concatenate(h_p) if h_p else np.zeros(0, np.uint64)
    idx, table = _frequent(pos, h, group_of[text.doc(pos)], min_docs)
    return pos[idx], h[idx], table


def _ngram_tables(text: _Text, group_of: np.ndarray, min_docs: int, min_len: int, max_len: int
                  ) -> tuple[dict[int, _Table], dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Level-wise frequent n-grams, min_len <= n <= max_len: tables, positions and the
    n-grams' hashes there, per length.

    An (n+1)-gram can be frequent only where the n-grams it starts and ends with both are, so
    after the first level only the positions of frequent n-grams are read.
    """
    tables: dict[int, _Table] = {}
    positions: dict[int, np.ndarray] = {}
    hashes: dict[int, np.ndarray] = {}
    if text.n < min_len:
        return tables, positions, hashes
    S, hS, tables[min_len] = _frequent_grams(text, group_of, min_docs, min_len)
    positions[min_len], hashes[min_len] = S, hS
    for n in range(min_len, max_len):
        # the n-grams at S and S + 1 are within one run, so the (n+1)-gram at S is too
        j = np.minimum(np.searchsorted(S, S + 1), max(S.size - 1, 0))
        idx = np.flatnonzero(S[j] == S + 1) if S.size else S
        if not idx.size:
            break
        cand = S[idx]
        h = hS[idx] * _BASE + text.cps[cand + n]
        keep, table = _frequent(cand, h, group_of[text.doc(cand)], min_docs)
        if not keep.size:
            break
        S, hS = cand[keep], h[keep]
        tables[n + 1] = table
        positions[n + 1], hashes[n + 1] = S, hS
    return tables, positions, hashes


def _hashes(c: np.ndarray, pos: np.ndarray, length: int) -> np.ndarray:
    h = np.zeros(pos.size, np.uint64)
    for k in range(length):
        h = h * _BASE + c[pos + k]
    return h


def _windows(text: _Text, first: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
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


def _text_of(cps: np.ndarray, a: int, b: int) -> str:
    return cps[a:b].astype("<u4", copy=False).tobytes().decode("utf-32-le")


def _jieba():
    from chachong.text.wordseg import jieba

    return jieba()


def _ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(s, e)`` for each pair, and the pair each element comes from."""
    lengths = ends - starts
    owner = np.repeat(np.arange(starts.size), lengths)
    if not owner.size:
        return np.zeros(0, np.int64), owner
    offsets = np.cumsum(lengths) - lengths
    return starts[owner] + (np.arange(owner.size) - offsets[owner]), owner


def _run_cuts(text: _Text, texts: Sequence[str], firsts: np.ndarray, query: np.ndarray,
              work: dict[str, int], fold: bool = False) -> np.ndarray:
    """Whether jieba starts a word at each position of ``query``, all inside (or at the end of)
    the runs beginning at ``firsts`` (ascending, distinct).

    Each run (a clause between punctuation) is segmented whole, each distinct run text once;
    a canonical position starts a word when a jieba cut falls between the original
    characters of it and of its predecessor, and always at the start and end of its run.
    ``fold``: jieba reads the runs with Traditional characters folded (its dictionary is
    Simplified), character for character, so the offsets stay those of the original.
    """
    out = text.brk[query].copy()
    if not firsts.size:
        return out
    _f, lasts = text.runs(firsts)
    docs, o0, o1 = text.doc(firsts), text.start[firsts].astype(np.int64), text.end[lasts - 1].astype(np.int64)
    distinct: dict[str, int] = {}
    which = np.empty(firsts.size, np.int64)
    for r, (d, a, b) in enumerate(zip(docs.tolist(), o0.tolist(), o1.tolist())):
        which[r] = distinct.setdefault(texts[d][a:b].replace("\n", " "), len(distinct))
    pieces = [fold_han(t) for t in distinct] if fold else list(distinct)
    work["segmented_chars"] = sum(len(t) for t in pieces)
    base = np.cumsum([0] + [len(t) + 1 for t in pieces])[:-1]
    cuts = [0]
    pos = 0
    for tok in _jieba().cut("\n".join(pieces), HMM=True):
        pos += len(tok)
        cuts.append(pos)
    cut_arr = np.asarray(cuts, dtype=np.int64)
    work["words"] = cut_arr.size - len(pieces)  # tokens, less the separators between runs
    k = query[~out]
    r = np.searchsorted(firsts, k, side="right") - 1
    shift = base[which[r]] - o0[r]  # document offset -> offset in the joined text
    lo, hi = text.end[k - 1] + shift, text.start[k] + shift
    j = np.minimum(np.searchsorted(cut_arr, lo), cut_arr.size - 1)
    out[~out] = (cut_arr[j] >= lo) & (cut_arr[j] <= hi)
    return out


@dataclass
class _Bounds:
    """Word boundaries of every window occurrence: ``flag[base[w] + p - ws[w]]`` for position p
    of window w (its end included)."""

    ws: np.ndarray
    base: np.ndarray
    flag: np.ndarray

    def __getitem__(self, pos: np.ndarray) -> np.ndarray:
        # a position shared by the end of one window and the start of the next reads the next
        w = np.searchsorted(self.ws, pos, side="right") - 1
        return self.flag[self.base[w] + pos - self.ws[w]]


def _segment(text: _Text, texts: Sequence[str], ws: np.ndarray, we: np.ndarray, work: dict[str, int],
             fold: bool = False) -> tuple[np.ndarray, np.ndarray, _Bounds]:
    """Word boundaries of the windows: jieba reads up to three occurrences of each distinct
    window (in their whole runs) and a boundary counts when most of them cut there.

    Returns the boundaries of each distinct window's first occurrence (absolute positions,
    window by window, and the window each belongs to) and the boundaries of every occurrence
    of every window (:class:`_Bounds`). A word never starts right after a figure (年 in 2023年
    belongs to the figure).
    """
    c = text.cps
    ident: dict[bytes, int] = {}
    wid = np.fromiter((ident.setdefault(c[s:e].tobytes(), len(ident)) for s, e in zip(ws.tolist(), we.tolist())),
                      dtype=np.int64, count=ws.size)
    n_win = len(ident)
    order = np.argsort(wid, kind="stable")
    first_of = np.searchsorted(wid[order], np.arange(n_win))
    rank = np.empty(ws.size, np.int64)
    rank[order] = np.arange(ws.size) - first_of[wid[order]]
    sampled = np.flatnonzero(rank < _VOTES)
    idx, owner = _ranges(ws[sampled], we[sampled] + 1)
    firsts = unique(text.runs(ws[sampled])[0])
    cut = _run_cuts(text, texts, firsts, idx, work, fold)

    rep = order[first_of]  # first occurrence of each distinct window
    wlen = we[rep] - ws[rep] + 1  # boundaries 0..length
    wbase = np.cumsum(wlen) - wlen
    slot = wbase[wid[sampled][owner]] + (idx - ws[sampled][owner])
    votes = np.bincount(slot, weights=cut, minlength=int(wlen.sum()))
    n_samples = np.minimum(np.bincount(wid, minlength=n_win), _VOTES)
    ridx, rown = _ranges(ws[rep], we[rep] + 1)
    flag = (votes * 2 > n_samples[rown]) & ~text.after_figure(ridx)
    bpos, bwin = ridx[flag], rown[flag]

    alen = we - ws + 1
    abase = np.cumsum(alen) - alen
    every = np.empty(int(alen.sum()), bool)
    delta = wbase[wid] - ws  # the flag of position p of window w is flag[delta[w] + p]
    cuts = np.unique(np.searchsorted(abase, np.arange(0, every.size, _PIECE), side="right") - 1)
    for w0, w1 in pairwise([*cuts.tolist(), ws.size]):  # windows in pieces: bounded temporaries
        aidx, aown = _ranges(ws[w0:w1], we[w0:w1] + 1)
        every[abase[w0]:abase[w0] + aidx.size] = flag[delta[w0:w1][aown] + aidx] & ~text.after_figure(aidx)
    return bpos, bwin, _Bounds(ws, abase, every)
def _expected_documents(words: list[str], doc_words: np.ndarray) -> np.ndarray:
    """Documents expected to use each word if it were as common as in general writing (jieba's
    dictionary frequencies), for documents of ``doc_words`` words."""
    dt = _jieba().dt
    rate = np.array([dt.FREQ.get(w, 0) for w in words], dtype=np.float64) / max(dt.total, 1)
    out = np.zeros(len(words))
    for lo in range(0, len(words), 256):  # rows x documents at a time, to bound memory
        out[lo:lo + 256] = (1.0 - np.exp(-np.outer(rate[lo:lo + 256], doc_words))).sum(axis=1)
    return out


@lru_cache(maxsize=1)
def _fixed_expressions() -> frozenset[str]:
    """Words of jieba's dictionary tagged as set phrases (l, 习用语) or idioms (i, 成语).

    切实加强, 高度重视 and 进一步提高 are single entries of the dictionary, so jieba never cuts
    them, yet they are formulas; 社会主义 or 人民政府 (nouns) are vocabulary, not phrases.
    """
    out = set()
    with _jieba().dt.get_dict_file() as fh:
        for raw in fh:
            parts = raw.decode("utf-8").split()
            if len(parts) >= 3 and parts[2] in ("i", "l"):
                out.add(parts[0])
    return frozenset(out)


def _codes(chars: frozenset[str]) -> np.ndarray:
    return np.array(sorted(ord(ch) for ch in chars), dtype=np.uint64)


_NO_START_CODES = _codes(_NO_START | {MASK})
_NO_END_CODES = _codes(_NO_END | {MASK})


def _candidates(text: _Text, bpos: np.ndarray, bwin: np.ndarray, max_level: int, min_chars: int,
                max_chars: int) -> dict[str, np.ndarray]:
    """Spans of two or more words of one window that may be phrases, and single words that
    are set phrases (see :func:`_fixed_expressions`).

    A span runs from boundary ``i`` to boundary ``i + d`` (indices into ``bpos``); returned as
    arrays ``i``, ``d`` and ``length`` (canonical characters), ordered by ``d``.
    """
    nb = bpos.size
    c = text.cps
    # characters that are not the mask before each boundary, counted within its window
    same = np.flatnonzero(bwin[:-1] == bwin[1:]) if nb > 1 else np.zeros(0, np.int64)
    k, owner = _ranges(bpos[same], bpos[same + 1])
    seg = np.zeros(nb, np.int64)
    seg[same] = np.bincount(owner, weights=c[k] != ord(MASK), minlength=same.size).astype(np.int64)
    nonmask = np.concatenate(([0], np.cumsum(seg)))
    out_i, out_d = [], []
    # one word is a phrase only when jieba's dictionary calls it a set phrase or an idiom
    i = same
    nm = nonmask[i + 1] - nonmask[i]
    i = i[(nm >= min_chars) & (nm <= max_chars) & (bpos[i + 1] - bpos[i] <= max_level)]
    if i.size:
        fixed = _fixed_expressions()
        i = i[np.fromiter((_text_of(c, a, b) in fixed for a, b in zip(bpos[i].tolist(), bpos[i + 1].tolist())),
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
        keep = (nm >= min_chars) & ~stop
        out_i.append(i[keep])
        out_d.append(np.full(int(keep.sum()), d, np.int64))
    ci = np.concatenate(out_i) if out_i else np.zeros(0, np.int64)
    cd = np.concatenate(out_d) if out_d else np.zeros(0, np.int64)
    return {"i": ci, "d": cd, "length": bpos[ci + cd] - bpos[ci]}


def _locate(gram_hashes: dict[int, np.ndarray], positions: dict[int, np.ndarray], lengths: np.ndarray,
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


def _closure(cand: dict[str, np.ndarray], pid: np.ndarray, docs: np.ndarray, bwin: np.ndarray) -> np.ndarray:
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


def _families(cand: dict[str, np.ndarray], pid: np.ndarray, kept: np.ndarray, docs: np.ndarray,
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


def mine_phrases(
    texts: Sequence[str],
    groups: Sequence[int] | None = None,
    config: AuditConfig | None = None,
    exclude: Sequence[Sequence[tuple[int, int]]] | None = None,
    stats: dict[str, int] | None = None,
    *,
    corpus: Any = None,
) -> list[Phrase]:
    """Stock phrases of ``texts``, most widespread first (see the module docstring).

    ``groups[i]`` names the group of text i (copies of one document share a group and count
    once); by default every text is its own. ``exclude[i]`` are original intervals of text i
    that are not content (boilerplate) and never part of a phrase. ``stats``, when given, is
    filled with counts of the work done (characters, window characters, characters jieba
    read, candidates, phrases), for benchmarks. ``corpus``, the prepared corpus of the same
    texts (:func:`chachong.stages.prepare.prepare`), lends its canonical text instead of normalising
    the texts again; the result is the same.

    >>> lead = ["今年我们", "全年坚持", "我局深入", "镇里认真"]
    >>> tail = ["工作", "整改", "创建", "治理"]
    >>> texts = [f"{w}学习贯彻党的二十大精神，{t}取得了一定成效。" for w, t in zip(lead, tail)]
    >>> [(p.text, p.documents) for p in mine_phrases(texts)]
    [('学习贯彻党的二十大精神', 4), ('取得了一定成效', 4)]
    """
    config = config or AuditConfig()
    texts = list(texts)
    group = np.asarray(groups if groups is not None else range(len(texts)), dtype=np.int64)
    if group.size != len(texts):
        raise ValueError(f"groups has {group.size} entries for {len(texts)} texts; give one group per text")
    group = np.unique(group, return_inverse=True)[1].reshape(-1).astype(np.int64)  # 0, 1, ... in label order
    independent = len({int(g) for g, t in zip(group, texts) if t.strip()})
    min_docs = phrase_threshold(config, independent)
    min_chars, max_chars = config.phrase_min_chars, config.phrase_max_chars
    work = stats if stats is not None else {}
    work.update(chars=0, min_documents=min_docs, window_chars=0, segmented_chars=0, candidates=0, phrases=0)
    if independent < min_docs:
        return []  # no n-gram can be in min_docs groups
    text = _build_text(texts, config, exclude, corpus)
    work["chars"] = text.n
    tables, positions, gram_hashes = _ngram_tables(text, group, min_docs, min_chars, max_chars)
    if min_chars not in tables or not positions[min_chars].size:
        return []
    ws, we = _windows(text, positions[min_chars], min_chars)
    work["window_chars"] = int((we - ws).sum())
    bpos, bwin, bnd = _segment(text, texts, ws, we, work, config.fold_variants)
    c = text.cps
    cand = _candidates(text, bpos, bwin, max(tables), min_chars, max_chars)
    work["candidates"] = int(cand["i"].size)
    if not cand["i"].size:
        return []

    # spread of every candidate from the n-gram tables; distinct phrases by (length, hash)
    c_len, c_start = cand["length"], bpos[cand["i"]]
    c_hash = np.zeros(c_len.size, np.uint64)
    c_docs = np.zeros(c_len.size, np.int64)
    for L in np.unique(c_len).tolist():
        sel = np.flatnonzero(c_len == L)
        c_hash[sel] = _hashes(c, c_start[sel], L)
        c_docs[sel] = tables[L].lookup(c_hash[sel])
    frequent = np.flatnonzero(c_docs >= min_docs)
    if not frequent.size:
        return []
    ident = c_hash[frequent] ^ (c_len[frequent].astype(np.uint64) * _MIX)
    _u, first, inverse = np.unique(ident, return_index=True, return_inverse=True)
    rep = frequent[first]  # one candidate per distinct phrase
    pid = np.full(c_len.size, -1, np.int64)
    pid[frequent] = inverse.ravel()
    p_len, p_docs = c_len[rep], c_docs[rep]
    occ_ph, occ_pos = _locate(gram_hashes, positions, p_len, c_hash[rep])
    # a phrase is whole words where it occurs, not only where it was cut out: 步工作打算 is
    # whole words in 下步工作打算 but a fragment of every 下一步工作打算
    aligned = bnd[occ_pos] & bnd[occ_pos + p_len[occ_ph]]
    share = np.bincount(occ_ph, weights=aligned, minlength=rep.size) / np.maximum(
        np.bincount(occ_ph, minlength=rep.size), 1)
    valid = share > 0.5
    single = np.flatnonzero(valid & (cand["d"][rep] == 1))
    if single.size:
        words = [_text_of(c, s, s + L) for s, L in zip(c_start[rep[single]].tolist(), p_len[single].tolist())]
        per_word = work["segmented_chars"] / max(work.get("words", 0), 1)  # characters per word, as jieba cut
        # canonical characters per group
        lengths = np.bincount(group, weights=np.diff(text.doc_offsets), minlength=int(group.max()) + 1)
        expected = _expected_documents(words, lengths[lengths > 0] / max(per_word, 1.0))
        valid[single] = p_docs[single] >= _LIFT * expected
    pid[(pid >= 0) & ~valid[np.maximum(pid, 0)]] = -1

    keys = [_text_of(c, s, s + L) if ok else ""
            for s, L, ok in zip(c_start[rep].tolist(), p_len.tolist(), valid.tolist())]
    container = _closure(cand, pid, p_docs, bwin)
    kept = valid & (container < config.phrase_closure * p_docs)
    head = _families(cand, pid, kept, p_docs, keys, bwin)

    cut = np.searchsorted(occ_ph, np.arange(rep.size + 1))
    found: dict[int, tuple[str, tuple[str, ...], tuple[tuple[int, int, int], ...]]] = {}
    for q in np.flatnonzero(kept).tolist():
        L = int(p_len[q])
        occ = occ_pos[cut[q]:cut[q + 1]]
        locs = tuple(zip(text.doc(occ).tolist(), text.start[occ].tolist(), text.end[occ + L - 1].tolist()))
        d, s0, e0 = locs[0]
        p0 = int(occ[0])
        inner = np.arange(p0 + 1, p0 + L)
        cuts = [s0] + text.start[inner[bnd[inner]]].tolist() + [e0]
        found[q] = (texts[d][s0:e0], tuple(texts[d][a:b] for a, b in pairwise(cuts)), locs)
    out = [Phrase(text_, keys[q], words_, int(p_docs[q]), len(locs), found[int(head[q])][0], locs)
           for q, (text_, words_, locs) in found.items()]
    out.sort(key=_rank)
    work["phrases"] = len(out)
    return out


def _rank(p: Phrase) -> tuple:
    # spread in characters: the independent writing a formula accounts for, so an
    # eleven-character formula in four documents outranks a two-word collocation in eight
    return (-p.documents * len(p.key), -p.documents, -p.occurrences, p.key)


def coverage(phrases: Sequence[Phrase], n_texts: int) -> list[list[tuple[int, int]]]:
    """Original intervals of each text covered by the phrases, sorted and merged (as :func:`merge`).

    >>> p = Phrase("甲乙丙丁", "甲乙丙丁", ("甲乙", "丙丁"), 3, 3, "甲乙丙丁", ((0, 5, 9), (1, 0, 4), (0, 2, 6)))
    >>> coverage([p], 3)
    [[(2, 9)], [(0, 4)], []]
    """
    out: list[list[tuple[int, int]]] = [[] for _ in range(n_texts)]
    count = sum(len(p.locations) for p in phrases)
    if not count:
        return out
    flat = chain.from_iterable(chain.from_iterable(p.locations for p in phrases))
    loc = np.fromiter(flat, dtype=np.int64, count=3 * count).reshape(-1, 3)
    loc = loc[np.lexsort((loc[:, 2], loc[:, 1], loc[:, 0]))]
    d, s, e = loc[:, 0], loc[:, 1], loc[:, 2]
    # a running maximum of the ends serves every text at once when each text's ends are
    # lifted above the previous text's
    lift = d * (int(e.max()) + 1)
    reach = np.maximum.accumulate(e + lift) - lift
    new = np.ones(d.size, bool)
    new[1:] = (d[1:] != d[:-1]) | (s[1:] > reach[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:], d.size) - 1
    docs = d[first]
    starts, ends = s[first].tolist(), reach[last].tolist()
    # each text's intervals are one run of the sorted rows: sliced, not appended one by one
    cuts = np.flatnonzero(np.diff(docs)) + 1
    for doc, lo, hi in zip(docs[np.append(0, cuts)].tolist(), [0, *cuts.tolist()], [*cuts.tolist(), docs.size]):
        out[doc] = list(zip(starts[lo:hi], ends[lo:hi]))
    return out


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


def independent_groups(document_ids: Sequence[str], pairs: Sequence[Any]) -> list[int]:
    """Group index of each document: copies of one document (pairs of kind ``identical`` or
    ``near-duplicate``) share the index of the earliest of them.

    >>> from chachong.model import DocumentPair
    >>> independent_groups(["d1", "d2", "d3"], [DocumentPair("d1", "d3", 1.0, 1.0, 1.0, 3, 90, "identical")])
    [0, 1, 0]
    """
    index = {d: i for i, d in enumerate(document_ids)}
    root = list(range(len(index)))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for p in pairs:
        if p.kind in ("identical", "near-duplicate") and p.a in index and p.b in index:
            a, b = find(index[p.a]), find(index[p.b])
            root[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(index))]


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


def phrase_records(phrases: Sequence[Phrase], documents: Sequence[Any], independent: int,
                   examples: int = 3) -> list[dict[str, Any]]:
    """Report records (``stock_phrases`` of report.json) for phrases mined over ``documents``.

    Each: phrase, documents (independent), share (of the independent documents),
    occurrences, family, words, and up to ``examples`` examples from distinct documents
    (document, paragraph, line, start, end, text).
    """
    starts = [[q.start for q in doc.paragraphs] for doc in documents]
    out = []
    for p in phrases:
        ex = []
        seen: set[int] = set()
        for d, s, e in p.locations:
            if d in seen:
                continue
            seen.add(d)
            doc = documents[d]
            k = bisect_right(starts[d], s) - 1
            para = doc.paragraphs[k] if k >= 0 and s < doc.paragraphs[k].end else None
            line = para.line + doc.text.count("\n", para.start, s) if para else doc.line + doc.text.count("\n", 0, s)
            ex.append({"document": doc.id, "paragraph": para.id if para else None, "line": line,
                       "start": s, "end": e, "text": doc.text[s:e]})
            if len(ex) >= examples:
                break
        out.append({"phrase": p.text, "documents": p.documents,
                    "share": round(p.documents / max(independent, 1), 4), "occurrences": p.occurrences,
                    "family": p.family, "words": list(p.words), "examples": ex})
    return out


__all__ = ["Phrase", "coverage", "independent_groups", "merge", "mine_phrases", "overlap", "paragraph_shares",
           "phrase_records", "phrase_threshold", "shares", "subtract"]
