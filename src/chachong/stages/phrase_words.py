"""Words for stock-phrase mining, from jieba: the word boundaries of the windows, the set phrases
and idioms of its dictionary, and how widespread a word would be in general writing.

jieba reads only the windows (about 1 % of a corpus): up to three occurrences of each distinct
window, in their whole runs, and a boundary counts when most of them cut there. jieba is
imported on first use, never with this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np

from chachong.text.variants import fold_han
from chachong.runtime.arrays import unique
from chachong.stages.dictionary import tagged_words
from chachong.stages.phrase_ngrams import BASE, MIX
from chachong.stages.phrase_text import JoinedText, ranges

_VOTES = 3  # occurrences of a window segmented; a boundary counts when most cut there


def _jieba():
    from chachong.text.wordseg import jieba

    return jieba()


def _run_cuts(text: JoinedText, firsts: np.ndarray, query: np.ndarray, work: dict[str, int],
              fold: bool = False) -> np.ndarray:
    """Whether jieba starts a word at each position of ``query``, all inside (or at the end of)
    the runs whose keys (:meth:`~chachong.stages.phrase_windows.WindowText.run_key`) are ``firsts``
    (ascending, distinct).

    Each run (a clause between punctuation) is segmented whole, each distinct run text once;
    a canonical position starts a word when a jieba cut falls between the original
    characters of it and of its predecessor, and always at the start and end of its run.
    ``fold``: jieba reads the runs with Traditional characters folded (its dictionary is
    Simplified), character for character, so the offsets stay those of the original.
    """
    out = text.brk[query].copy()
    if not firsts.size:
        return out
    o0, run_texts = text.run_texts(firsts)
    distinct: dict[str, int] = {}
    which = np.empty(firsts.size, np.int64)
    for r, run in enumerate(run_texts):
        which[r] = distinct.setdefault(run.replace("\n", " "), len(distinct))
    # folded together (one pass; the fold keeps every character's place and no run holds a newline)
    pieces = fold_han("\n".join(distinct)).split("\n") if fold and distinct else list(distinct)
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


def sample_windows(c: np.ndarray, ws: np.ndarray, we: np.ndarray
                   ) -> tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]:
    """Which occurrences of the windows (ws, we) jieba reads: the first ``_VOTES`` of each
    distinct window text, in position order. Returns the window id of each occurrence
    (numbered in order of first occurrence), the number of distinct windows, the occurrences
    ordered by id, each id's first place in that order, and the occurrences sampled.

    A window text is known by a 64-bit rolling hash of its characters and its length (as the
    n-grams are, phrase_ngrams.py), hashed for all windows at once, longest first.
    """
    lengths = we - ws
    by_length = np.argsort(-lengths, kind="stable")
    h = np.zeros(ws.size, np.uint64)
    starts, sorted_lengths = ws[by_length], lengths[by_length]
    active = ws.size
    for k in range(int(sorted_lengths[0]) if ws.size else 0):
        while active and sorted_lengths[active - 1] <= k:
            active -= 1
        hv = h[:active]
        np.multiply(hv, BASE, out=hv)
        np.add(hv, c[starts[:active] + k], out=hv, casting="unsafe")
    key = np.empty(ws.size, np.uint64)
    key[by_length] = h ^ (sorted_lengths.astype(np.uint64) * MIX)
    _u, first_idx, inverse = np.unique(key, return_index=True, return_inverse=True)
    n_win = first_idx.size
    renumber = np.empty(n_win, np.int64)
    renumber[np.argsort(first_idx, kind="stable")] = np.arange(n_win)
    wid = renumber[inverse.reshape(-1)]
    order = np.argsort(wid, kind="stable")
    first_of = np.searchsorted(wid[order], np.arange(n_win))
    rank = np.empty(ws.size, np.int64)
    rank[order] = np.arange(ws.size) - first_of[wid[order]]
    return wid, n_win, order, first_of, np.flatnonzero(rank < _VOTES)


def segment(text: JoinedText, ws: np.ndarray, we: np.ndarray, work: dict[str, int],
            fold: bool = False) -> tuple[np.ndarray, np.ndarray, _Bounds]:
    """Word boundaries of the windows of ``text`` (a :class:`~chachong.stages.phrase_windows.WindowText`):
    jieba reads up to three occurrences of each distinct window (in their whole runs) and a
    boundary counts when most of them cut there.

    Returns the boundaries of each distinct window's first occurrence (absolute positions,
    window by window, and the window each belongs to) and the boundaries of every occurrence
    of every window (:class:`_Bounds`). A word never starts right after a figure (年 in 2023年
    belongs to the figure).
    """
    wid, n_win, order, first_of, sampled = sample_windows(text.cps, ws, we)
    idx, owner = ranges(ws[sampled], we[sampled] + 1)
    firsts = unique(text.run_key(ws[sampled]))
    cut = _run_cuts(text, firsts, idx, work, fold)

    rep = order[first_of]  # first occurrence of each distinct window
    wlen = we[rep] - ws[rep] + 1  # boundaries 0..length
    wbase = np.cumsum(wlen) - wlen
    slot = wbase[wid[sampled][owner]] + (idx - ws[sampled][owner])
    votes = np.bincount(slot, weights=cut, minlength=int(wlen.sum()))
    n_samples = np.minimum(np.bincount(wid, minlength=n_win), _VOTES)
    ridx, rown = ranges(ws[rep], we[rep] + 1)
    flag = (votes * 2 > n_samples[rown]) & ~text.after_figure(ridx)
    bpos, bwin = ridx[flag], rown[flag]

    alen = we - ws + 1
    abase = np.cumsum(alen) - alen
    every = np.empty(int(alen.sum()), bool)
    delta = wbase[wid] - ws  # the flag of position p of window w is flag[delta[w] + p]
    cuts = np.unique(np.searchsorted(abase, np.arange(0, every.size, text.piece), side="right") - 1)
    for w0, w1 in pairwise([*cuts.tolist(), ws.size]):  # windows in pieces: bounded temporaries
        aidx, aown = ranges(ws[w0:w1], we[w0:w1] + 1)
        every[abase[w0]:abase[w0] + aidx.size] = flag[delta[w0:w1][aown] + aidx] & ~text.after_figure(aidx)
    return bpos, bwin, _Bounds(ws, abase, every)


def expected_documents(words: list[str], doc_words: np.ndarray) -> np.ndarray:
    """Documents expected to use each word if it were as common as in general writing (jieba's
    dictionary frequencies), for documents of ``doc_words`` words."""
    dt = _jieba().dt
    rate = np.array([dt.FREQ.get(w, 0) for w in words], dtype=np.float64) / max(dt.total, 1)
    out = np.zeros(len(words))
    for lo in range(0, len(words), 256):  # rows x documents at a time, to bound memory
        out[lo:lo + 256] = (1.0 - np.exp(-np.outer(rate[lo:lo + 256], doc_words))).sum(axis=1)
    return out


@lru_cache(maxsize=1)
def fixed_expressions() -> frozenset[str]:
    """Words of jieba's dictionary tagged as set phrases (l, 习用语) or idioms (i, 成语).

    切实加强, 高度重视 and 进一步提高 are single entries of the dictionary, so jieba never cuts
    them, yet they are formulas; 社会主义 or 人民政府 (nouns) are vocabulary, not phrases.
    """
    words = tagged_words()
    return words["i"] | words["l"]


__all__ = ["expected_documents", "fixed_expressions", "sample_windows", "segment"]
