"""Stock phrases (套话): formulas many independent documents write, mined without a list.

A stock phrase is two or more whole jieba words, or one word jieba's dictionary tags as a set
phrase or idiom (切实加强, 高度重视), 4–30 characters long (counted on the canonical text: a run
of digits or a placeholder is one character and does not count towards the minimum), found in
at least ``phrase_min_documents`` *independent* documents: copies of one document (a group of
identical or near-duplicate documents) count once. It never crosses punctuation or a line
break, is whole words where it occurs (not only where it was found), never starts with a
particle or conjunction (的, 和, 把 ...) nor ends with a preposition or conjunction (的, 和,
对, 在 ...), never starts or ends with an enumerator word (二是部分 is a cut across 二是 and the
next word, not a formula: phrase_spans.ENUMERATORS), and is dropped when a longer phrase around it keeps ``phrase_closure`` (90 %) of
its documents: 二十大精神 goes when nearly every document writing it writes 学习贯彻党的二十大精神.
A one-word set phrase must also be five times as widespread as its frequency in general
writing predicts, or 组成部分 would be a formula. Each phrase belongs to the family of the most
widespread phrase inside it (itself when there is none), so 取得了一定成效 and 取得了一定成绩 sit
in the family 取得了一定. Phrases are ranked by spread in characters: documents × length.

How, at corpus scale (100,000 paragraphs in seconds, jieba reading about 1 % of the text):

1. the canonical text (normalize.py: digits and placeholders masked, punctuation removed;
   the prepared corpus's own arrays when the audit passes it) is cut into runs at
   punctuation, line breaks and excluded intervals (boilerplate): one flag per character
   (phrase_text.py);
2. frequent character n-grams are found level by level with 64-bit rolling hashes in numpy:
   4-grams in at least ``phrase_min_documents`` groups, then (n+1)-grams only where both
   n-grams they start and end with are frequent, up to 30. The 4-grams are hashed twice,
   in pieces of 2 M positions: once to count them per hash bucket (an upper bound of their
   groups), once to keep those of heavy buckets, whose distinct (hash, group) pairs are then
   counted; so memory follows the frequent text (a few % of a corpus), never 8 bytes per
   character (phrase_ngrams.py). Both counts are per batch of documents and merge exactly
   (phrase_batches.py): the local engine mines the corpus as one batch, the Dask engine one
   batch per partition;
3. windows, the stretches covered by frequent 4-grams, are cut out of each batch with the
   character on either side, their original offsets and the runs jieba may read
   (phrase_windows.py); the longer n-grams and everything after read only them
   (:func:`mine_windows`). jieba reads up to three occurrences of each distinct window, in
   their whole runs, and a boundary counts when most of them cut there (phrase_words.py);
4. the word-aligned spans of the windows are looked up in the n-gram tables, checked against
   the word boundaries of every occurrence, closed under extension and grouped into families
   by dynamic programming over span widths (phrase_spans.py), and located in every document.

After the audit, phrase_copies.py counts a phrase's documents again: occurrences inside a paragraph
copied between two groups of documents are one writing (电动自行车, named by one pasted paragraph,
is a topic, not a formula).

This module holds what a phrase is and the stage's entry points: :func:`mine_phrases` (one batch)
and :func:`mine_windows` (the merged batches), the
groups of copies that count once, the intervals phrases cover and their report records. The
interval arithmetic (merge, subtract, overlap, shares) is intervals.py's, importable here too.
"""


from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Any

import numpy as np

from chachong.config import AuditConfig
from chachong.model import outlines
from chachong.stages.intervals import merge, overlap, paragraph_shares, shares, subtract
from chachong.stages.phrase_batches import batch_counts, batch_grams, batch_pairs, batch_windows, phrase_batch, written
from chachong.stages.phrase_ngrams import MIX, Table, bucket_bits, extend_levels, hashes, heavy_buckets, locate, merge_pairs
from chachong.stages.phrase_spans import candidates, closure, families
from chachong.stages.phrase_text import text_of
from chachong.stages.phrase_windows import WindowPiece, join_pieces
from chachong.stages.phrase_words import expected_documents, segment
# benchmarks/phrases_quality.py warms jieba's set phrases through this name before it times the stage
from chachong.stages.phrase_words import fixed_expressions as _fixed_expressions  # noqa: F401

# a one-word set phrase (高度重视) is a formula only when this many times more documents use it
# than its frequency in general writing predicts: writing of one genre easily doubles or triples
# ordinary vocabulary (组成部分, 实事求是), formulas of the genre are orders of magnitude above it
_LIFT = 5.0
# positions hashed at a time: ~80 MB of temporaries, whatever the corpus size; read at each call
# (tests make it small) and carried by the joined text to every step that works in pieces
_PIECE = 1 << 21


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
    min_docs, ok = mining_threshold(config, group, written(texts))
    work = stats if stats is not None else {}
    work.update(chars=0, min_documents=min_docs, window_chars=0, segmented_chars=0, candidates=0, phrases=0)
    if not ok:
        return []  # no n-gram can be in min_docs groups
    # the whole corpus as one batch (phrase_batches.py; the Dask engine makes one per partition)
    batch = phrase_batch(texts, group, config, exclude, corpus, _PIECE)
    work["chars"] = batch.chars
    length = config.phrase_min_chars
    if batch.chars < length:
        return []
    heavy = heavy_buckets([batch_counts(batch, length, bucket_bits(batch.chars), min_docs)], min_docs)
    grams = batch_grams(batch, length, heavy)
    table = merge_pairs([batch_pairs(batch, grams)], min_docs)
    return mine_windows([batch_windows(batch, grams, table, length)], group, config, min_docs, table, work)


def piece_size() -> int:
    """Positions a mining step handles at a time (it bounds temporaries, never a result)."""
    return _PIECE


def mining_threshold(config: AuditConfig, group: np.ndarray, written: np.ndarray) -> tuple[int, bool]:
    """``min_docs`` of texts of groups ``group`` of which ``written`` hold writing, and whether
    there are that many independent documents (else no phrase can be found)."""
    independent = len(set(group[written].tolist()))
    min_docs = phrase_threshold(config, independent)
    return min_docs, independent >= min_docs


def mine_windows(pieces: Sequence[WindowPiece], group: np.ndarray, config: AuditConfig, min_docs: int,
                 table: Table, stats: dict[str, int] | None = None) -> list[Phrase]:
    """Stock phrases from the batches' windows (``phrase_batches``; in document order) and the
    merged table of the shortest frequent n-grams: longer n-grams, jieba's words, candidates,
    spreads, closure, families and locations (see the module docstring). ``group``: every
    text's group, numbered 0, 1, ...; ``stats`` as :func:`mine_phrases`."""
    work = stats if stats is not None else {}
    min_chars, max_chars = config.phrase_min_chars, config.phrase_max_chars
    text = join_pieces(pieces, _PIECE)
    group = np.asarray(group, np.int64)
    if not text.first.size:
        return []
    tables, positions, gram_hashes = extend_levels(text, group, min_docs, text.first, table, min_chars, max_chars)
    ws, we = text.ws, text.we
    work["window_chars"] = int((we - ws).sum())
    bpos, bwin, bnd = segment(text, ws, we, work, config.fold_variants)
    c = text.cps
    cand = candidates(text, bpos, bwin, max(tables), min_chars, max_chars)
    work["candidates"] = int(cand["i"].size)
    if not cand["i"].size:
        return []

    # spread of every candidate from the n-gram tables; distinct phrases by (length, hash)
    c_len, c_start = cand["length"], bpos[cand["i"]]
    c_hash = np.zeros(c_len.size, np.uint64)
    c_docs = np.zeros(c_len.size, np.int64)
    for L in np.unique(c_len).tolist():
        sel = np.flatnonzero(c_len == L)
        c_hash[sel] = hashes(c, c_start[sel], L)
        c_docs[sel] = tables[L].lookup(c_hash[sel])
    frequent = np.flatnonzero(c_docs >= min_docs)
    if not frequent.size:
        return []
    ident = c_hash[frequent] ^ (c_len[frequent].astype(np.uint64) * MIX)
    _u, first, inverse = np.unique(ident, return_index=True, return_inverse=True)
    rep = frequent[first]  # one candidate per distinct phrase
    pid = np.full(c_len.size, -1, np.int64)
    pid[frequent] = inverse.ravel()
    p_len, p_docs = c_len[rep], c_docs[rep]
    occ_ph, occ_pos = locate(gram_hashes, positions, p_len, c_hash[rep])
    # a phrase is whole words where it occurs, not only where it was cut out: 步工作打算 is
    # whole words in 下步工作打算 but a fragment of every 下一步工作打算
    aligned = bnd[occ_pos] & bnd[occ_pos + p_len[occ_ph]]
    share = np.bincount(occ_ph, weights=aligned, minlength=rep.size) / np.maximum(
        np.bincount(occ_ph, minlength=rep.size), 1)
    valid = share > 0.5
    single = np.flatnonzero(valid & (cand["d"][rep] == 1))
    if single.size:
        words = [text_of(c, s, s + L) for s, L in zip(c_start[rep[single]].tolist(), p_len[single].tolist())]
        per_word = work["segmented_chars"] / max(work.get("words", 0), 1)  # characters per word, as jieba cut
        # canonical characters per group
        lengths = np.bincount(group, weights=text.doc_chars, minlength=int(group.max()) + 1)
        expected = expected_documents(words, lengths[lengths > 0] / max(per_word, 1.0))
        valid[single] = p_docs[single] >= _LIFT * expected
    pid[(pid >= 0) & ~valid[np.maximum(pid, 0)]] = -1

    keys = [text_of(c, s, s + L) if ok else ""
            for s, L, ok in zip(c_start[rep].tolist(), p_len.tolist(), valid.tolist())]
    container = closure(cand, pid, p_docs, bwin)
    kept = valid & (container < config.phrase_closure * p_docs)
    head = families(cand, pid, kept, p_docs, keys, bwin)

    cut = np.searchsorted(occ_ph, np.arange(rep.size + 1))
    found: dict[int, tuple[str, tuple[str, ...], tuple[tuple[int, int, int], ...]]] = {}
    for q in np.flatnonzero(kept).tolist():
        L = int(p_len[q])
        occ = occ_pos[cut[q]:cut[q + 1]]
        locs = tuple(zip(text.doc(occ).tolist(), text.start[occ].tolist(), text.end[occ + L - 1].tolist()))
        _d, s0, e0 = locs[0]
        p0 = int(occ[0])
        inner = np.arange(p0 + 1, p0 + L)
        cuts = [s0] + text.start[inner[bnd[inner]]].tolist() + [e0]
        found[q] = (text.original(p0, s0, e0), tuple(text.original(p0, a, b) for a, b in pairwise(cuts)), locs)
    out = [Phrase(text_, keys[q], words_, int(p_docs[q]), len(locs), found[int(head[q])][0], locs)
           for q, (text_, words_, locs) in found.items()]
    out.sort(key=rank_key)
    work["phrases"] = len(out)
    return out


def rank_key(p: Phrase) -> tuple:
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


def phrase_records(phrases: Sequence[Phrase], documents: Sequence[Any], independent: int,
                   examples: int = 3) -> list[dict[str, Any]]:
    """Report records (``stock_phrases`` of report.json) for phrases mined over ``documents``.

    Each: phrase, documents (independent), share (of the independent documents),
    occurrences, family, words, and up to ``examples`` examples from distinct documents
    (document, paragraph, line, start, end, text).
    """
    starts = [doc.paragraphs.spans()[:, 0].tolist() for doc in outlines(documents)]
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


__all__ = ["Phrase", "coverage", "independent_groups", "merge", "mine_phrases", "mine_windows", "mining_threshold",
           "piece_size",
           "overlap", "paragraph_shares", "phrase_records", "phrase_threshold", "rank_key", "shares", "subtract"]
