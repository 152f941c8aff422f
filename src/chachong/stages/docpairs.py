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
from chachong.stages.prepare import Corpus


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


_SETS_KEPT = 4096  # document shingle sets held at a time (about 12 KB each at 600k synthetic paragraphs)
_TOP_BITS = 18  # a table of the top bits of one document's shingles (256 KB) rules out most of another's


def document_jaccards(corpus: Corpus, pairs: list[tuple[int, int]], cache: StageCache | None) -> None:
    """Exact Jaccard of many document pairs into the cache (:func:`exact_jaccard` of their sets).

    Up to ``_SETS_KEPT`` documents' sets (:func:`document_set`) are held at a time; when full, those
    no later pair needs are dropped (all of them if that frees nothing): at 600k synthetic
    paragraphs 28,291 sets are sorted for 24,195 documents (38,968 when all were dropped). The pairs of one
    document ``a`` in a row share a table of the top bits of its shingles: only the shingles of
    ``b`` found there (its share of the intersection, and about ``|a| / 2**_TOP_BITS`` of the
    others) are looked up in ``a``'s set. Documents proposed by paragraph pairs mostly share a few
    per cent of their shingles, and a binary search of all of ``b`` in ``a`` cost 80 us a pair.
    """
    if cache is None:
        return
    todo = [p for p in pairs if p not in cache.doc_jaccard]
    last = {d: i for i, p in enumerate(todo) for d in p}  # the last pair needing each document
    sets: dict[int, np.ndarray] = {}
    table = np.zeros(1 << _TOP_BITS, dtype=bool)
    shift = None
    marked, keys = -1, None

    def held(d: int, i: int) -> np.ndarray:
        got = sets.get(d)
        if got is None:
            if len(sets) >= _SETS_KEPT:
                for gone in [e for e in sets if last[e] < i]:
                    del sets[gone]
                if len(sets) >= _SETS_KEPT:
                    sets.clear()
            got = sets[d] = document_set(corpus, d)
        return got

    for i, (da, db) in enumerate(todo):
        x, y = held(da, i), held(db, i)
        if shift is None:
            shift = np.array(8 * x.dtype.itemsize - _TOP_BITS, dtype=x.dtype)
        if da != marked:
            if keys is not None:
                table[keys] = False
            keys = x >> shift
            table[keys] = True
            marked = da
        cache.doc_jaccard[(da, db)] = exact_jaccard(x, y[table[y >> shift]], y.size)


def exact_jaccard(x: np.ndarray, y: np.ndarray, y_size: int | None = None) -> float:
    """Jaccard of two sorted sets without duplicates.

    ``y_size``: the size of the second set when ``y`` holds only those of its values that may
    be in ``x`` (the others are not; :func:`document_jaccards`).

    >>> exact_jaccard(np.array([1, 3, 5, 7]), np.array([3, 4, 5]))
    0.4
    >>> exact_jaccard(np.array([1, 3, 5, 7]), np.array([3, 5]), 3)
    0.4
    """
    nx, ny = x.size, (y.size if y_size is None else y_size)
    if x.size < y.size:
        x, y = y, x
    at = np.minimum(np.searchsorted(x, y), max(x.size - 1, 0))
    inter = int(np.count_nonzero(x[at] == y)) if x.size else 0
    union = nx + ny - inter
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
    return unique(corpus.set_hashes[corpus.set_offsets[p0]:corpus.set_offsets[p1]])


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
