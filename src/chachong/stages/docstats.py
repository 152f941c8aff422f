"""Paragraph pairs with their spans, and copy ratios per document and per document pair.

The last stage of :func:`chachong.engine.local.assemble`, in numpy over all pairs at once: at
600,000 paragraphs it handles about 30,000 passages, 30,000 linked document pairs and
25,000 paragraph pairs, where a Python loop per pair (one small numpy call per document,
one ``to_original`` per piece) cost seconds on one core while the other waited. Only the
records of the report (one per pair, per document) are still built one by one.

The results are those of the loops they replace, element for element:

- a document's copied intervals from one partner merge when they overlap or only
  punctuation and white space lie between them, and reach the text's edge when they reach
  its first or last canonical character (see :func:`merge_copied`);
- a document's copied characters are the length of the union over its partners.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain
from typing import Any

import numpy as np

from chachong.ingest.renumber import is_reference
from chachong.runtime.arrays import unique
from chachong.stages.docpairs import document_digests, identical_documents, document_jaccard, document_jaccards, estimated_jaccard
from chachong.stages.prepare import Corpus
from chachong.runtime.gcpause import paused_gc
from chachong.runtime.stagecache import StageCache
from chachong.model import DocumentPair, ParagraphPair
from chachong.stages.candidates import IDENTICAL
from chachong.stages.passages import evidence, pieces
from chachong.model import DocumentStats
from chachong.stages.verify import similarity

PARTIAL = "partial"  # a paragraph pair sharing a copied passage, not similar as wholes


def segment_searchsorted(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each query, the first index i in ``[lo, hi]`` with ``values[i] >= x`` (``values``
    sorted within each ``[lo, hi)``): ``np.searchsorted`` on many segments at once.

    >>> v = np.array([1, 4, 9, 2, 3])
    >>> segment_searchsorted(v, np.array([0, 0, 3, 3]), np.array([3, 3, 5, 5]), np.array([4, 10, 0, 3])).tolist()
    [1, 3, 3, 4]
    """
    lo = np.asarray(lo, dtype=np.int64).copy()
    hi = np.asarray(hi, dtype=np.int64).copy()
    x = np.asarray(x)
    idx = np.flatnonzero(lo < hi)
    while idx.size:  # a bisection step for every open query: log2 of the longest segment steps
        mid = (lo[idx] + hi[idx]) >> 1
        right = values[mid] < x[idx]
        lo[idx[right]] = mid[right] + 1
        hi[idx[~right]] = mid[~right]
        idx = idx[lo[idx] < hi[idx]]
    return lo


def merge_copied(corpus: Corpus, doc: np.ndarray, partner: np.ndarray, start: np.ndarray, end: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Copied intervals of each document's text, merged per (document, partner).

    ``doc[i]``'s text ``[start[i], end[i])`` was copied from (or to) ``partner[i]``. Intervals
    of one (document, partner) merge when they overlap or only punctuation and white space
    (no canonical character) lies between them; a run reaching before the document's first
    canonical character starts at 0, one reaching its last canonical character's end ends at
    the text's end. Returns the merged intervals sorted by (document, partner, start) as
    ``(doc, partner, start, end)`` arrays.
    """
    doc, partner = np.asarray(doc, np.int64), np.asarray(partner, np.int64)
    start, end = np.asarray(start, np.int64), np.asarray(end, np.int64)
    empty = np.zeros(0, np.int64)
    if not doc.size:
        return empty, empty, empty, empty
    order = np.lexsort((end, start, partner, doc))
    doc, partner, start, end = doc[order], partner[order], start[order], end[order]
    fresh = np.ones(doc.size, dtype=bool)  # first interval of its (document, partner)
    fresh[1:] = (doc[1:] != doc[:-1]) | (partner[1:] != partner[:-1])
    group = np.cumsum(fresh) - 1
    # offsetting each group past the previous one makes one running maximum serve them all
    big = int(max(end.max(), start.max(), 0)) + 1
    shift = group * big
    reach = np.maximum.accumulate(end + shift) - shift
    joins = ~fresh
    gap = np.flatnonzero(joins[1:] & (start[1:] > reach[:-1])) + 1
    if gap.size:
        # a gap joins when no canonical character of the document starts inside it
        offs = corpus.doc_offsets
        d = doc[gap]
        lo, hi = offs[d].astype(np.int64), offs[d + 1].astype(np.int64)
        q = np.concatenate((start[gap], reach[gap - 1]))
        at = segment_searchsorted(corpus.orig_start, np.concatenate((lo, lo)), np.concatenate((hi, hi)), q)
        joins[gap] = at[:gap.size] == at[gap.size:]
    first = np.flatnonzero(~joins)
    last = np.append(first[1:], doc.size) - 1
    d = doc[first]
    lo, hi = start[first].copy(), reach[last].copy()
    base, stop = corpus.doc_offsets[d].astype(np.int64), corpus.doc_offsets[d + 1].astype(np.int64)
    has = stop > base
    lead = fresh[first] & has
    lead[lead] = lo[lead] <= corpus.orig_start[base[lead]]
    lo[lead] = 0
    tail = np.ones(first.size, dtype=bool)
    tail[:-1] = fresh[first[1:]]
    tail &= has
    if tail.any():
        text_len = np.array([len(corpus.documents[x].text) for x in d[tail].tolist()], dtype=np.int64)
        reaches = hi[tail] >= np.asarray(corpus.orig_end[stop[tail] - 1], dtype=np.int64)
        idx = np.flatnonzero(tail)
        hi[idx[reaches]] = text_len[reaches]
    return d, partner[first], lo, hi


def union_length(doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> dict[int, int]:
    """Characters covered by the intervals of each document (each with start <= end), by document.

    >>> union_length(np.array([0, 0, 0, 1]), np.array([0, 5, 2, 3]), np.array([4, 8, 3, 3]))
    {0: 7, 1: 0}
    """
    doc, start, end = np.asarray(doc, np.int64), np.asarray(start, np.int64), np.asarray(end, np.int64)
    if not doc.size:
        return {}
    order = np.lexsort((end, start, doc))
    doc, start, end = doc[order], start[order], end[order]
    fresh = np.ones(doc.size, dtype=bool)
    fresh[1:] = doc[1:] != doc[:-1]
    big = int(max(end.max(), start.max(), 0)) + 1
    shift = (np.cumsum(fresh) - 1) * big
    reach = np.maximum.accumulate(end + shift) - shift
    before = np.empty_like(reach)
    before[0] = start[0]
    before[1:] = np.where(fresh[1:], start[1:], reach[:-1])
    part = np.maximum(end - np.maximum(start, before), 0)
    first = np.flatnonzero(fresh)
    return dict(zip(doc[first].tolist(), np.add.reduceat(part, first).tolist()))


def paragraph_pairs(corpus: Corpus, rows: list, matches: list, passages: list, stock_members: set[int],
                    cuts: list[list] | None = None) -> tuple[list[ParagraphPair], dict, dict]:
    """Paragraph pairs with their spans, from verified pairs and passages cut at paragraph boundaries.

    A passage piece whose exactly matched characters (figures not counted) make up
    ``containment`` of the shorter paragraph (of at least ``min_paragraph_chars``) makes a
    paragraph pair of kind ``partial`` when pairing did not verify it; a copied sentence
    inside longer paragraphs stays a passage only, so paragraph pairs keep meaning "this
    paragraph was copied". Pairs with a stock paragraph stay out, as in pairing. Also returns
    the paragraph pairs per document pair and the copied intervals of the text per
    (document, partner).
    """
    with paused_gc():  # many small acyclic records: full collections would walk the corpus each time
        return _paragraph_pairs(corpus, rows, matches, passages, stock_members,
                                cuts if cuts is not None else
                                [[(*c, evidence(corpus, dm, c[2], c[3])) for c in pieces(corpus, dm)]
                                 for dm in matches])


def _par_ends(corpus: Corpus, ps: np.ndarray) -> np.ndarray:
    """Each paragraph's end in its document's text."""
    docs = corpus.documents
    d = corpus.par_doc[ps]
    return np.array([docs[x].paragraphs.end(i) for x, i in zip(d.tolist(), (ps - corpus.par_first[d]).tolist())],
                    dtype=np.int64)


def _member(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each of ``x`` is one of ``values`` (sorted, distinct): ``np.isin`` by sorting."""
    if not values.size:
        return np.zeros(x.shape, dtype=bool)
    return values[np.minimum(np.searchsorted(values, x), values.size - 1)] == x


def _clipped_original(corpus: Corpus, p: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                      pars: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Original [start, end) of global canonical [lo, hi) of paragraph ``p``, the end stopped at p's end.

    A canonical character can reach past its paragraph's end: a paragraph ending in a digit
    and the next starting with one make one masked figure (a run of digits collapses into one
    mask symbol, line breaks are not canonical): a span is text of its paragraph.
    ``ends[i]`` is the end of paragraph ``pars[i]`` (sorted), every one of ``p`` among them.
    """
    start = np.asarray(corpus.orig_start[lo], dtype=np.int64)
    end = np.asarray(corpus.orig_end[hi - 1], dtype=np.int64)
    return start, np.minimum(end, ends[np.searchsorted(pars, p)])


def _paragraph_pairs(corpus: Corpus, rows: list, matches: list, passages: list, stock_members: set[int],
                     cuts: list[list]) -> tuple[list[ParagraphPair], dict, dict]:
    config = corpus.config
    n = max(corpus.n_paragraphs, 1)
    lengths = corpus.canonical_length()
    known = {(int(a), int(b)): (float(j), float(c), str(k)) for a, b, j, c, k in rows}
    copied: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for dm, p in zip(matches, passages):
        copied[(dm.a, dm.b)].append((p.a_start, p.a_end))
        copied[(dm.b, dm.a)].append((p.b_start, p.b_end))
    counts = [len(c) for c in cuts]
    piece = np.array(list(chain.from_iterable(cuts)), dtype=np.int64).reshape(-1, 7)
    ab = np.array([(dm.a, dm.b) for dm in matches], dtype=np.int64).reshape(-1, 2)
    da, db = np.repeat(ab[:len(counts), 0], counts), np.repeat(ab[:len(counts), 1], counts)
    pa, pb, a0, a1, b0, b1, matched = piece.T
    stock = np.zeros(n, dtype=bool)
    if stock_members:
        stock[np.fromiter(stock_members, dtype=np.int64)] = True
    known_codes = unique(np.fromiter((a * n + b for a, b in known), dtype=np.int64, count=len(known)))
    shorter = np.minimum(lengths[pa], lengths[pb])
    # share of the shorter paragraph matched exactly (figures are no evidence)
    share = matched / np.maximum(shorter, 1)
    keep = ~stock[pa] & ~stock[pb] & (_member(pa * n + pb, known_codes)
                                      | ((shorter >= config.min_paragraph_chars) & (share >= config.containment)))
    pa, pb, da, db = pa[keep], pb[keep], da[keep], db[keep]
    oa, ob = corpus.doc_offsets[da].astype(np.int64), corpus.doc_offsets[db].astype(np.int64)
    # identical short paragraphs (headings) of copied documents: below min_span, still copied
    with_span = unique(pa * n + pb)
    twins = [(a, b) for (a, b), (_, _, kind) in known.items() if kind == IDENTICAL]
    twins = [t for t, has in zip(twins, _member(np.array([a * n + b for a, b in twins], dtype=np.int64),
                                                    with_span).tolist()) if not has]
    ta = np.array([a for a, _ in twins], dtype=np.int64)
    tb = np.array([b for _, b in twins], dtype=np.int64)
    bounds = corpus.par_bounds.astype(np.int64)
    every = unique(np.concatenate((pa, pb, ta, tb)))
    ends = _par_ends(corpus, every)
    sa, ea = _clipped_original(corpus, np.concatenate((pa, ta)), np.concatenate((oa + a0[keep], bounds[ta, 0])),
                               np.concatenate((oa + a1[keep], bounds[ta, 1])), every, ends)
    sb, eb = _clipped_original(corpus, np.concatenate((pb, tb)), np.concatenate((ob + b0[keep], bounds[tb, 0])),
                               np.concatenate((ob + b1[keep], bounds[tb, 1])), every, ends)
    if twins:
        pd = corpus.par_doc
        for x, y, s0, e0, s1, e1 in zip(pd[ta].tolist(), pd[tb].tolist(), sa[pa.size:].tolist(),
                                        ea[pa.size:].tolist(), sb[pa.size:].tolist(), eb[pa.size:].tolist()):
            copied[(x, y)].append((s0, e0))
            copied[(y, x)].append((s1, e1))
    span = np.stack([np.concatenate((pa, ta)), np.concatenate((pb, tb)), sa, ea, sb, eb], axis=1)
    # sorted and distinct rows (np.unique(axis=0) sorts them as bytes, far slower)
    span = span[np.lexsort(span.T[::-1])]
    if len(span) > 1:
        span = span[np.concatenate(([True], (span[1:] != span[:-1]).any(axis=1)))]
    spans: dict[tuple[int, int], tuple] = {}
    if len(span):
        code = span[:, 0] * n + span[:, 1]
        cut = np.flatnonzero(np.concatenate(([True], code[1:] != code[:-1])))
        whole = list(map(tuple, span[:, 2:].tolist()))
        for i, j, a, b in zip(cut.tolist(), np.append(cut[1:], len(span)).tolist(),
                              span[cut, 0].tolist(), span[cut, 1].tolist()):
            spans[(a, b)] = tuple(whole[i:j])
    new = np.array([k for k in spans if k not in known], dtype=np.int64).reshape(-1, 2)
    if len(new):
        jac, cont = similarity(corpus.set_hashes, corpus.set_offsets, new)
        for (a, b), j, c in zip(new.tolist(), jac.tolist(), cont.tolist()):
            known[(a, b)] = (j, c, PARTIAL)
    par_pairs = []
    pair_count: dict[tuple[int, int], int] = defaultdict(int)
    order = sorted(known)
    docs_of = corpus.par_doc[np.array(order, dtype=np.int64).reshape(-1, 2)].tolist()
    docs, first = corpus.documents, corpus.par_first.tolist()
    for (a, b), (x, y) in zip(order, docs_of):
        j, c, kind = known[(a, b)]
        pair_count[(x, y)] += 1
        par_pairs.append(ParagraphPair(docs[x].paragraphs.id_at(a - first[x]), docs[y].paragraphs.id_at(b - first[y]),
                                       round(j, 4), round(c, 4), kind, spans.get((a, b), ())))
    return par_pairs, pair_count, copied


def document_stats(corpus: Corpus, pair_count: dict, copied: dict, doc_jac: dict,
                   cache: Any = None) -> tuple[dict[str, DocumentStats], list[DocumentPair]]:
    """Copy ratios per document (with sources) and per document pair, from the copied intervals.

    ``doc_jac`` (exact document Jaccards known so far) receives those of the linked pairs
    it lacks: exact for pairs with paragraph pairs, the MinHash estimate for the others.
    Without a ``cache`` (a Dask partition's block) a scratch one holds what the exact Jaccards
    share (each document's shingle set is sorted once, not once per pair it is in).
    """
    with paused_gc():
        return _document_stats(corpus, pair_count, copied, doc_jac, cache if cache is not None else StageCache())


def _document_stats(corpus: Corpus, pair_count: dict, copied: dict, doc_jac: dict,
                    cache: Any) -> tuple[dict[str, DocumentStats], list[DocumentPair]]:
    config = corpus.config
    docs = corpus.documents
    ids = [d.id for d in docs]
    text_len = [len(d.text) for d in docs]
    linked = set(pair_count) | {(a, b) for a, b in copied if a < b}
    # identical documents are copies of each other however short (a body below min_span too)
    # keyed by a digest, not the bytes: those would copy the whole canonical corpus at once;
    # identity is checked element by element below
    fingerprint = document_digests(corpus, cache)
    linked |= identical_documents(fingerprint)
    missing = sorted(p for p in linked if p not in doc_jac)
    # exact Jaccard for pairs with paragraph pairs (few), the MinHash estimate for passages only
    doc_jac.update(estimated_jaccard(corpus, [p for p in missing if not pair_count.get(p)], cache))
    exact = [p for p in missing if pair_count.get(p)]
    document_jaccards(corpus, exact, cache)
    for da, db in exact:
        doc_jac[(da, db)] = document_jaccard(corpus, da, db, cache)
    stats, identical_pairs = _coverage(corpus, linked, copied, fingerprint, ids, text_len, covered_len := {})
    doc_pairs = []
    threshold = config.document_threshold
    for da, db in sorted(linked):
        # an identical pair covers both texts whole
        identical = (da, db) in identical_pairs
        jac = 1.0 if identical else doc_jac[(da, db)]
        a_cov = text_len[da] if identical else covered_len[(da, db)]
        b_cov = text_len[db] if identical else covered_len[(db, da)]
        kind = "identical" if identical else ("near-duplicate" if jac >= threshold else "partial")
        doc_pairs.append(DocumentPair(ids[da], ids[db], round(jac, 4), round(a_cov / max(text_len[da], 1), 4),
                                      round(b_cov / max(text_len[db], 1), 4), pair_count.get((da, db), 0),
                                      a_cov, kind))
    return stats, doc_pairs


def _coverage(corpus: Corpus, linked: set[tuple[int, int]], copied: dict, fingerprint: np.ndarray, ids: list[str],
              text_len: list[int], covered_len: dict[tuple[int, int], int]
              ) -> tuple[dict[str, DocumentStats], set[tuple[int, int]]]:
    """Each document's copied intervals per partner, merged, and its copy ratios; and which
    linked pairs are identical documents.

    ``covered_len`` receives the characters covered per (document, partner) of each linked
    pair that is not identical (an identical pair covers both texts whole).
    """
    offs = corpus.doc_offsets
    # equal digests of the canonical texts (compared for every pair at once), confirmed element by element
    pairs = np.array(sorted(linked), dtype=np.int64).reshape(-1, 2)
    fa, fb = fingerprint[pairs[:, 0]], fingerprint[pairs[:, 1]]
    same = fa.any(axis=1) & (fa == fb).all(axis=1)  # (two uint64 each: docpairs.document_digests)
    identical_pairs = {(da, db) for da, db in pairs[same].tolist()
                       if np.array_equal(corpus.cps[offs[da]:offs[da + 1]], corpus.cps[offs[db]:offs[db + 1]])}
    # each direction of each linked pair that is not identical: its copied intervals, merged
    wanted = sorted({w for da, db in linked if (da, db) not in identical_pairs for w in ((da, db), (db, da))})
    lists = [copied.get(w, ()) for w in wanted]
    counts = [len(x) for x in lists]
    flat = np.array(list(chain.from_iterable(lists)), dtype=np.int64).reshape(-1, 2)
    w = np.array(wanted, dtype=np.int64).reshape(-1, 2)
    cx, ce, cs, ct = merge_copied(corpus, np.repeat(w[:, 0], counts), np.repeat(w[:, 1], counts),
                                  flat[:, 0], flat[:, 1])
    coverage: dict[tuple[int, int], list[tuple[int, int]]] = {}
    covered_len.update(dict.fromkeys(wanted, 0))
    for x, e, s, t in zip(cx.tolist(), ce.tolist(), cs.tolist(), ct.tolist()):
        key = (x, e)
        if key in coverage:
            coverage[key].append((s, t))
        else:
            coverage[key] = [(s, t)]
        covered_len[key] += t - s
    for da, db in identical_pairs:
        coverage[(da, db)], coverage[(db, da)] = [(0, text_len[da])], [(0, text_len[db])]
    by_doc: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(dict)
    for (x, e), ivs in coverage.items():
        by_doc[x][ids[e]] = ivs
    stats = figures(ids, text_len, by_doc)
    return stats, identical_pairs


def figures(ids: list[str], text_len: list[int], by_doc: dict[int, dict[str, list[tuple[int, int]]]]
            ) -> dict[str, DocumentStats]:
    """Each document's copy ratio, ranked sources and copied intervals (the end of the document stage).

    ``by_doc``: per document index, the merged disjoint intervals copied from each source (by id);
    a document without one keeps the empty figures. Every executor ends here: the local engine
    with the whole corpus's intervals, the Dask engine with those its partitions sent back
    (:func:`merge_figures`).

    >>> st = figures(["d1", "d2"], [10, 10], {0: {"d2": [(0, 4)]}})
    >>> st["d1"].copy_ratio, st["d1"].top_source, st["d2"].copy_ratio
    (0.4, {'document': 'd2', 'ratio': 0.4}, 0.0)
    """
    stats = {i: DocumentStats() for i in ids}
    # every partner's intervals of a document are merged and disjoint: a partner's share is their length
    every = [(x, s, t) for x, per in by_doc.items() for ivs in per.values() for s, t in ivs]
    union = union_length(*np.array(every, dtype=np.int64).reshape(-1, 3).T) if every else {}
    for x, copied in by_doc.items():
        per = [(sid, ivs, sum(t - s for s, t in ivs)) for sid, ivs in copied.items() if ivs]
        if not per:
            continue
        n = max(text_len[x], 1)
        per.sort(key=lambda r: r[0])
        st = stats[ids[x]]
        st.copied_chars = union[x]
        st.copy_ratio = round(st.copied_chars / n, 4)
        st.copy_ratio_excluding_stock = st.copy_ratio
        # ties: reference texts first (they come first in the corpus: the earliest member is the source)
        srcs = sorted(((round(length / n, 4), sid) for sid, _, length in per),
                      key=lambda t: (-t[0], not is_reference(t[1]), t[1]))
        st.sources = [{"document": sid, "ratio": r} for r, sid in srcs]
        st.top_source = st.sources[0]
        st.copied = {sid: list(ivs) for sid, ivs, _ in per}
    return stats


def merge_figures(ids: list[str], text_len: list[int],
                  batches: list[dict[str, dict[str, list[tuple[int, int]]]]]) -> dict[str, DocumentStats]:
    """The merge step of the document stage: :func:`figures` from the copied intervals that batches of
    document pairs found (each ``DocumentStats.copied`` of :func:`document_stats` on a batch: document id
    -> source id -> merged intervals), each (document, source) in one batch only.

    >>> st = merge_figures(["d1", "d2"], [10, 10], [{"d1": {"d2": [(0, 4)]}}, {"d2": {"d1": [(5, 8)]}}])
    >>> st["d1"].copied, st["d2"].copied
    ({'d2': [(0, 4)]}, {'d1': [(5, 8)]})
    """
    by_doc: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(dict)
    at = {d: x for x, d in enumerate(ids)}
    for batch in batches:
        for doc_id, per in batch.items():
            by_doc[at[doc_id]].update(per)
    return figures(ids, text_len, dict(sorted(by_doc.items())))


__all__ = ["document_stats", "figures", "merge_figures",
           "merge_copied", "paragraph_pairs", "segment_searchsorted", "union_length"]
