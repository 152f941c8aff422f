"""The windows of stock-phrase mining cut out of a batch's joined text, with what the later steps read.

Once the frequent shortest n-grams are known (counted over every batch, phrase_ngrams.py), all
the mining reads lies in and around the windows, the stretches those n-grams cover: the longer
n-grams, jieba's words, the candidates, the occurrences and the phrases' original text. A
batch of documents (a partition of a cluster, or the whole corpus) hands over a
:class:`WindowPiece`: the canonical characters of its windows and of the character on either
side, their original offsets and run starts, the whole runs (clauses) of the window
occurrences jieba may read (the first three of each distinct window in the batch: the corpus's
first three are among them) and the original text of each distinct window's first occurrence
(where a phrase is first found). :func:`join_pieces` joins the batches' pieces, in document
order, into a :class:`WindowText` that stands in for the joined text of every document:
positions inside and next to windows keep their neighbours, so every step gives what it gives
on the whole text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chachong.runtime.arrays import unique
from chachong.stages.phrase_ngrams import windows
from chachong.stages.phrase_text import JoinedText, ranges
from chachong.stages.phrase_words import sample_windows


@dataclass
class WindowPiece:
    """One batch's windows (positions are indices into this piece's arrays, "sub positions")."""

    cps: np.ndarray  # canonical code points of the characters kept, and a last one that starts a run
    start: np.ndarray  # original offsets of those characters
    end: np.ndarray
    brk: np.ndarray  # a run starts at that character
    doc_first: np.ndarray  # sub position of each text's first kept character
    doc_chars: np.ndarray  # canonical characters of each text
    first: np.ndarray  # sub positions of the frequent shortest n-grams
    ws: np.ndarray  # sub positions of the windows: starts and ends
    we: np.ndarray
    run_of: np.ndarray  # each window's run: the sub position of the run's first window
    run_keys: np.ndarray  # the runs handed over (jieba's sample), ascending
    run_start: np.ndarray  # their original start offsets
    run_text: str  # their original text, joined; run i is run_text[run_off[i]:run_off[i + 1]]
    run_off: np.ndarray
    text_keys: np.ndarray  # windows whose original text is handed over (first of their text), ascending
    text_start: np.ndarray
    text: str
    text_off: np.ndarray

    @property
    def nbytes(self) -> int:
        arrays = (self.cps, self.start, self.end, self.brk, self.doc_first, self.doc_chars, self.first, self.ws,
                  self.we, self.run_of, self.run_keys, self.run_start, self.run_off, self.text_keys,
                  self.text_start, self.text_off)
        return sum(a.nbytes for a in arrays) + 4 * (len(self.run_text) + len(self.text))


def _joined(texts: Sequence[str], docs: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[str, np.ndarray]:
    parts = [texts[d][x:y] for d, x, y in zip(docs.tolist(), a.tolist(), b.tolist())]
    return "".join(parts), np.cumsum([0] + [len(p) for p in parts]).astype(np.int64)


def window_piece(text: JoinedText, texts: Sequence[str], first: np.ndarray, length: int) -> WindowPiece:
    """The :class:`WindowPiece` of a batch: ``text`` its joined text (of ``texts``), ``first``
    the positions (ascending) of its ``length``-grams that are frequent in the whole corpus."""
    ws, we = windows(text, first, length)
    n = text.n
    keep = unique(ranges(np.maximum(ws - 1, 0), np.minimum(we, n - 1) + 1)[0]) if n else np.zeros(0, np.int64)
    last_end = text.end[keep[-1]] if keep.size else 0
    cps = np.append(text.cps[keep], np.uint32(0))
    start = np.append(text.start[keep], last_end)  # the character after the batch: a run start
    end = np.append(text.end[keep], last_end)
    brk = np.append(text.brk[keep], True)

    dt = np.int32 if keep.size < 2**31 - 1 else np.int64

    def sub(pos: np.ndarray) -> np.ndarray:
        return np.searchsorted(keep, pos).astype(dt)

    rs, re_ = text.runs(ws)
    new = np.ones(ws.size, bool)
    new[1:] = rs[1:] != rs[:-1]
    head = np.flatnonzero(new)[np.cumsum(new) - 1]  # each window's run's first window
    sws = sub(ws)
    _wid, _n, order, first_of, sampled = sample_windows(text.cps, ws, we)
    r = unique(head[sampled])
    run_text, run_off = _joined(texts, text.doc(rs[r]), text.start[rs[r]], text.end[re_[r] - 1])
    lead = np.sort(order[first_of])  # each distinct window's first occurrence
    win_text, win_off = _joined(texts, text.doc(ws[lead]), text.start[ws[lead]], text.end[we[lead] - 1])
    return WindowPiece(cps, start, end, brk, sub(text.doc_offsets[:-1]), np.diff(text.doc_offsets), sub(first),
                       sws, sub(we), sws[head], sws[r], text.start[rs[r]].astype(np.int64), run_text, run_off,
                       sws[lead], text.start[ws[lead]].astype(np.int64), win_text, win_off)


@dataclass
class WindowText(JoinedText):
    """The batches' windows joined (:func:`join_pieces`), read as the joined text of every document.

    ``doc_offsets`` maps positions to documents as on the whole text; the runs (clauses) of the
    windows are known by key (:meth:`run_key`), and the original text is read from the pieces
    (:meth:`run_texts`, :meth:`original`), never from the documents.
    """

    doc_chars: np.ndarray | None = None
    first: np.ndarray | None = None
    ws: np.ndarray | None = None
    we: np.ndarray | None = None
    parts: Any = None  # (run_of, run_keys, run_start, run_text, run_off, text_keys, text_start, text, text_off)

    def run_key(self, pos: np.ndarray) -> np.ndarray:
        """The run of each window start ``pos``: the position of its run's first window."""
        return self.parts[0][np.searchsorted(self.ws, pos)]

    def run_texts(self, keys: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Original start offsets and original texts of the runs ``keys`` (jieba's sample)."""
        _of, run_keys, run_start, run_text, run_off = self.parts[:5]
        j = np.searchsorted(run_keys, keys)
        if keys.size and (j.max() >= run_keys.size or (run_keys[j] != keys).any()):
            raise RuntimeError("a run jieba reads was not handed over by its batch")
        return run_start[j], [run_text[a:b] for a, b in zip(run_off[j].tolist(), run_off[j + 1].tolist())]

    def original(self, pos: int, a: int, b: int) -> str:
        """Original text a..b (offsets in its document) of the window occurrence starting at or
        before position ``pos``, the first of its window text."""
        text_keys, text_start, text, text_off = self.parts[5:]
        w = int(np.searchsorted(text_keys, pos, side="right")) - 1
        base = int(text_off[w]) - int(text_start[w])
        return text[a + base:b + base]


def join_pieces(pieces: Sequence[WindowPiece], piece: int) -> WindowText:
    """The :class:`WindowText` of the batches' pieces, in document order; ``piece`` as :class:`JoinedText`."""
    base = np.cumsum([0] + [p.cps.size for p in pieces]).astype(np.int64)

    def cat(name: str, shift: bool = False) -> np.ndarray:
        return np.concatenate([getattr(p, name).astype(np.int64) + (b if shift else 0)
                               for p, b in zip(pieces, base)]) if pieces else np.zeros(0, np.int64)

    def texts(name: str, off: str) -> tuple[str, np.ndarray]:
        joined = "".join(getattr(p, name) for p in pieces)
        sizes = [len(getattr(p, name)) for p in pieces]
        shifts = np.cumsum([0] + sizes)
        offs = [getattr(p, off)[:-1] + s for p, s in zip(pieces, shifts)]
        return joined, np.concatenate([*offs, [shifts[-1]]]).astype(np.int64)

    run_text, run_off = texts("run_text", "run_off")
    win_text, win_off = texts("text", "text_off")
    cps = np.concatenate([p.cps for p in pieces]) if pieces else np.zeros(0, np.uint32)
    brk = np.append(np.concatenate([p.brk for p in pieces]) if pieces else np.zeros(0, bool), True)
    doc_offsets = np.append(cat("doc_first", True), cps.size)
    parts = (cat("run_of", True), cat("run_keys", True), cat("run_start"), run_text, run_off,
             cat("text_keys", True), cat("text_start"), win_text, win_off)
    return WindowText(cps, cat("start"), cat("end"), doc_offsets, brk, piece, None, cat("doc_chars"),
                      cat("first", True), cat("ws", True), cat("we", True), parts)


__all__ = ["WindowPiece", "WindowText", "join_pieces", "window_piece"]
