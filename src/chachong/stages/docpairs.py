"""Document pairs: digests, signatures and shingle sets of whole documents, their Jaccards, and groups.

One implementation for every executor: the local engine calls these on the whole corpus, the Dask
engine on the documents of one partition (a prepared :class:`~chachong.stages.prepare.Corpus` of
just them), ``check`` on references plus new documents.

- :func:`document_digests`: a digest of each document's canonical text (identical documents);
- :func:`document_signatures` / :func:`estimated_jaccard`: a document's MinHash signature is the
  element-wise minimum of its paragraphs' (the MinHash of the union of their shingle sets);
- :func:`document_set` / :func:`exact_jaccard` / :func:`document_jaccards`: exact Jaccards of the
  few pairs whose estimate comes within ``DOC_SLACK`` of ``document_threshold`` (:func:`may_reach`);
- :func:`document_groups`: documents that are copies of each other (union-find over those);
- :func:`short_twins`: identical short paragraphs (headings) of two near-duplicate documents.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from chachong.runtime.arrays import equal_runs, unique
from chachong.runtime.stagecache import StageCache
from chachong.stages.candidates import IDENTICAL, PairTable, text_digests
from chachong.stages.cluster import UnionFind
from chachong.stages.prepare import Corpus, unique_sets


DOC_SLACK = 0.15  # ~4 standard deviations of a 128-permutation estimate near Jaccard 0.8


def document_groups(corpus: Corpus, table: PairTable, cache: StageCache | None = None) -> tuple[list[int], dict]:
    """Group documents that are copies of each other (identical or near-duplicate).

    Returns the group root of each document and the exact Jaccard of the document pairs linked
    by a paragraph pair whose MinHash estimate comes within ``DOC_SLACK`` of
    document_threshold (the others cannot reach it: a stock paragraph links thousands of
    pairs, and exact Jaccard costs both documents' sizes per pair).
    """
    n = len(corpus.documents)
    uf = UnionFind(n)
    jac: dict[tuple[int, int], float] = {}
    codes = unique(corpus.par_doc[table.a].astype(np.int64) * n + corpus.par_doc[table.b])
    doc_pairs = list(zip((codes // n).tolist(), (codes % n).tolist()))
    est = estimated_jaccard(corpus, doc_pairs, cache)
    close = [p for p in doc_pairs if may_reach(est[p], corpus.config.document_threshold)]
    document_jaccards(corpus, close, cache)
    for da, db in close:
        jac[(da, db)] = document_jaccard(corpus, da, db, cache)
        if jac[(da, db)] >= corpus.config.document_threshold:
            uf.union(da, db)
    return [uf.find(d) for d in range(n)], jac


def may_reach(est, threshold: float):
    """Whether document pairs with MinHash estimate ``est`` may reach ``threshold``: within
    ``DOC_SLACK`` of it (their exact Jaccard is computed; the others are below it)."""
    return est >= threshold - DOC_SLACK


def document_digests(corpus: Corpus, cache: StageCache | None) -> np.ndarray:
    """128-bit digest (blake2b) of each document's canonical text, as two uint64 columns; zeros when
    it has none. Cached: it depends on the corpus only."""
    if cache is not None and cache.doc_digests is not None:
        return cache.doc_digests
    offs = corpus.doc_offsets
    out = text_digests(corpus.cps, offs[:-1], offs[1:])
    if cache is not None:
        cache.doc_digests = out
    return out


def document_jaccard(corpus: Corpus, da: int, db: int, cache: StageCache | None) -> float:
    """Exact Jaccard of two documents' shingle sets (kept in ``cache``: it depends on the corpus only)."""
    memo = cache.doc_jaccard if cache is not None else {}
    if (da, db) not in memo:
        memo[(da, db)] = exact_jaccard(document_set(corpus, da), document_set(corpus, db))
    return memo[(da, db)]


_SETS_KEPT = 4096  # document shingle sets sorted together per batch of document pairs


def document_jaccards(corpus: Corpus, pairs: list[tuple[int, int]], cache: StageCache | None) -> None:
    """Exact Jaccard of many document pairs into the cache, the documents' sets sorted together.

    The sets of up to ``_SETS_KEPT`` documents at a time are sorted as one CSR batch
    (corpus.unique_sets sorts many segments as padded rows, far faster than one sort each).
    """
    if cache is None:
        return
    todo = [p for p in pairs if p not in cache.doc_jaccard]
    i = 0
    while i < len(todo):
        docs: dict[int, int] = {}
        j = i
        while j < len(todo) and len(docs) < _SETS_KEPT - 1:
            for d in todo[j]:
                docs.setdefault(d, len(docs))
            j += 1
        ids = np.fromiter(docs, dtype=np.int64)
        first = corpus.par_first[ids]
        last = first + np.array([len(corpus.documents[d].paragraphs) for d in ids.tolist()], dtype=np.int64)
        lo, hi = corpus.set_offsets[first], corpus.set_offsets[last]
        sizes = (hi - lo).astype(np.int64)
        offsets = np.zeros(ids.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        gathered = corpus.set_hashes[np.repeat(lo - offsets[:-1], sizes) + np.arange(int(offsets[-1]))]
        values, bounds = unique_sets(gathered, offsets)
        del gathered
        sets = {d: values[bounds[k]:bounds[k + 1]] for d, k in docs.items()}
        for da, db in todo[i:j]:
            cache.doc_jaccard[(da, db)] = exact_jaccard(sets[da], sets[db])
        i = j


def exact_jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Jaccard of two sorted sets without duplicates.

    >>> exact_jaccard(np.array([1, 3, 5, 7]), np.array([3, 4, 5]))
    0.4
    """
    if x.size < y.size:
        x, y = y, x
    at = np.minimum(np.searchsorted(x, y), max(x.size - 1, 0))
    inter = int(np.count_nonzero(x[at] == y)) if x.size else 0
    union = x.size + y.size - inter
    return inter / union if union else 0.0


def document_signatures(corpus: Corpus, cache: StageCache | None) -> np.ndarray:
    """Each document's MinHash signature: the element-wise minimum of its paragraphs' (cached)."""
    sig = cache.doc_signatures if cache is not None else None
    if sig is None:
        counts = np.array([len(d.paragraphs) for d in corpus.documents])
        has = np.flatnonzero(counts > 0)
        sig = np.zeros((len(corpus.documents), corpus.signatures.shape[1]), dtype=corpus.signatures.dtype)
        sig[has] = np.minimum.reduceat(corpus.signatures, corpus.par_first[has], axis=0)
        if cache is not None:
            cache.doc_signatures = sig
    return sig


def estimated_jaccard(corpus: Corpus, pairs: list[tuple[int, int]],
                       cache: StageCache | None = None) -> dict[tuple[int, int], float]:
    """MinHash estimate of document Jaccard for pairs linked by passages only.

    A document's signature is the element-wise minimum of its paragraphs' signatures (the
    MinHash of the union of their shingle sets). Exact Jaccard would cost the size of both
    documents per pair; a pair linked only by passages is far below document_threshold.
    """
    if not pairs:
        return {}
    sig = document_signatures(corpus, cache)
    p = np.array(pairs, dtype=np.int64)
    est = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
    return {(int(a), int(b)): float(e) for (a, b), e in zip(p.tolist(), est)}


def short_twins(corpus: Corpus, doc_jac: dict, rows: list) -> list[tuple]:
    """Identical short paragraphs (headings) of two near-duplicate documents, paired in order.

    Short paragraphs never *find* a document pair, but once two documents are copies of
    each other their identical headings are part of the copy.
    """
    cfg = corpus.config
    lengths = corpus.canonical_length()
    first = corpus.par_first
    out = []
    for (da, db), jac in sorted(doc_jac.items()):
        if jac < cfg.document_threshold:
            continue
        pa = [i for i in range(int(first[da]), int(first[da]) + len(corpus.documents[da].paragraphs))
              if 0 < lengths[i] < cfg.min_paragraph_chars]
        pb = [i for i in range(int(first[db]), int(first[db]) + len(corpus.documents[db].paragraphs))
              if 0 < lengths[i] < cfg.min_paragraph_chars]
        free: dict[str, list[int]] = defaultdict(list)
        for j in pb:
            free[corpus.canonical_text(j)].append(j)
        for i in pa:
            twins = free.get(corpus.canonical_text(i))
            if twins:
                out.append((i, twins.pop(0), 1.0, 1.0, IDENTICAL))
    return out


def document_set(corpus: Corpus, d: int) -> np.ndarray:
    """Document d's shingle set (sorted, unique), computed when a pair needs its exact Jaccard."""
    p0 = int(corpus.par_first[d])
    p1 = p0 + len(corpus.documents[d].paragraphs)
    x = np.sort(corpus.set_hashes[corpus.set_offsets[p0]:corpus.set_offsets[p1]])
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if x.size else x


def identical_documents(digests: np.ndarray) -> set[tuple[int, int]]:
    """Every pair of documents with the same non-empty canonical text (equal :func:`document_digests`).

    The merge step of the digests: the local engine runs it on the corpus's, the Dask client on
    the rows its partitions sent.

    >>> d = np.array([[1, 2], [0, 0], [1, 2], [3, 4], [1, 2], [0, 0]], dtype=np.uint64)
    >>> sorted(identical_documents(d))
    [(0, 2), (0, 4), (2, 4)]
    """
    keep = np.flatnonzero(digests.any(axis=1))
    o = keep[np.lexsort((keep, digests[keep, 1], digests[keep, 0]))]
    starts, sizes = equal_runs(digests[o, 0], digests[o, 1])
    out: set[tuple[int, int]] = set()
    for s, z in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist()):
        group = o[s:s + z].tolist()
        out.update((x, y) for i, x in enumerate(group) for y in group[i + 1:])
    return out
