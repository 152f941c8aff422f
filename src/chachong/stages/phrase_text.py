"""The text stock-phrase mining reads: every text's canonical characters, joined, and where runs start.

A run is a clause: it ends at punctuation, a line break or an excluded interval (boilerplate), and
a phrase never crosses one. The canonical text is normalize.py's (digits and placeholders masked,
punctuation removed), or the prepared corpus's own arrays when the audit passes them; the run
starts are one flag per character, found piece by piece so that temporaries stay bounded
(``piece`` positions at a time, set by :mod:`chachong.stages.phrases`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chachong.config import AuditConfig
from chachong.runtime.arrays import range_indices
from chachong.text.normalize import MASK, canonicalize_array, codepoints

_SPACES = (0x20, 0x09, 0x3000, 0xA0)


@dataclass
class JoinedText:
    """All texts' canonical characters, concatenated, and where runs (clauses) start.

    Per character it holds only the canonical code point (uint32), its original span (32-bit
    offsets when every text is shorter than 2**31 characters) and one flag: with a prepared
    corpus the first three are the corpus's own arrays, so mining adds about a byte per
    character; everything else is kept for the frequent stretches (windows) only. ``piece``
    is how many positions a step handles at a time (it bounds the temporaries, never a result).
    """

    cps: np.ndarray  # uint32 canonical code points
    start: np.ndarray  # original start offset of each character, in its text
    end: np.ndarray  # original end offset
    doc_offsets: np.ndarray  # int64: text i is cps[doc_offsets[i]:doc_offsets[i + 1]]
    brk: np.ndarray  # bool, one more than characters: a run starts here (brk[n] is True)
    piece: int  # positions handled at a time
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
            self._brk_pos = np.concatenate([np.flatnonzero(self.brk[a:a + self.piece]).astype(dt) + dt(a)
                                            for a in range(0, self.n + 1, self.piece)])
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
            exclude: Sequence[Sequence[tuple[int, int]]] | None, piece: int) -> np.ndarray:
    """Where runs start: at each text's first character, after original characters that no
    canonical character stands for (punctuation, line breaks; spaces do not count, PDF text
    puts them inside phrases), and around every excluded character (a run of its own)."""
    n = cps.size
    brk = np.zeros(n + 1, bool)
    brk[n] = True
    sizes = np.diff(offsets)
    brk[offsets[:-1][sizes > 0]] = True
    for d0, d1, lo, hi in _text_pieces(sizes, max(piece // 4, 1)):  # ~25 MB of temporaries a piece
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
        k, owner = ranges(b[gaps], a[gaps])
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


def build_text(texts: Sequence[str], config: AuditConfig, exclude: Sequence[Sequence[tuple[int, int]]] | None,
               corpus: Any, piece: int) -> JoinedText:
    """The joined text of ``texts``: the prepared ``corpus``'s arrays when it was prepared from
    them under the same masking, else the texts normalised again; ``piece`` as :class:`JoinedText`."""
    usable = (corpus is not None and len(getattr(corpus, "documents", ())) == len(texts)
              and corpus.config.mask_digits == config.mask_digits
              and corpus.config.mask_placeholders == config.mask_placeholders
              and corpus.config.fold_variants == config.fold_variants)
    if usable:
        cps, st, en, offsets = corpus.cps, corpus.orig_start, corpus.orig_end, np.asarray(corpus.doc_offsets, np.int64)
    else:
        cps, st, en, offsets = _canonical(texts, config)
    return JoinedText(cps, st, en, offsets, _breaks(texts, cps, st, en, offsets, exclude, piece), piece)


def ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(s, e)`` for each pair, and the pair each element comes from."""
    lengths = ends - starts
    return range_indices(starts, lengths), np.repeat(np.arange(starts.size), lengths)


def text_of(cps: np.ndarray, a: int, b: int) -> str:
    return cps[a:b].astype("<u4", copy=False).tobytes().decode("utf-32-le")


__all__ = ["JoinedText", "build_text", "ranges", "text_of"]
