"""The one orchestration function: ``audit(sources, config) -> AuditResult``.

read -> split -> normalise/shingle/sign -> pair (LSH + fingerprints, verified) -> align ->
cluster -> document pairs and copy ratios. Every stage is a pure function of its inputs
and the config.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import multiprocessing
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from chachong.arrays import unique
from chachong.background import Background, BackgroundError, cores
from chachong.background import available as background_available
from chachong.cluster import UnionFind, groups
from chachong.config import AuditConfig, ConfigError
from chachong.corpus import Corpus, _unique_sets, prepare
from chachong.docstats import PARTIAL, document_stats, paragraph_pairs  # noqa: F401 - PARTIAL re-exported
from chachong.model import Cluster, Document, DocumentPair, ParagraphPair, Skipped, Source
from chachong.pairs import CONTAINED, IDENTICAL, NEAR, PairTable, pair_candidates, select_pairs
from chachong.passages import (
    DocumentMatch,
    Passage,
    describe,
    evidence,
    find_passages,
    fingerprints,
    pieces,
    seed_hits,
    Winnowed,
    winnowed,
)
from chachong.gcpause import freeze_now
from chachong.result import AuditResult, DocumentStats
from chachong.split import Piece, build_documents, split_source
from chachong.stagecache import StageCache, digest

_DOC_SLACK = 0.15  # ~4 standard deviations of a 128-permutation estimate near Jaccard 0.8

Progress = Callable[[str], None]


def load_documents(
    paths: Sequence[str | Path], config: AuditConfig
) -> tuple[list[Document], list[Skipped], list[str]]:
    """Read and split sources into documents with ids, paragraphs and offsets."""
    from chachong.ingest import MiB, Limits, read_sources

    sources, skipped = read_sources(
        [str(p) for p in paths], encoding=config.encoding,
        text_column=config.text_column, title_column=config.title_column,
        limits=Limits(max_file_bytes=config.max_file_mb * MiB),
    )
    return documents_from_sources(sources, config, skipped)


def documents_from_sources(
    sources: Iterable[Source], config: AuditConfig, skipped: list[Skipped] | None = None
) -> tuple[list[Document], list[Skipped], list[str]]:
    pieces: list[tuple[Piece, str]] = []
    warnings: list[str] = []
    skipped = list(skipped or [])
    for src in sources:
        warnings.extend(f"{src.path}: {w}" for w in src.warnings)
        cut, warn = split_source(src, config.split)
        warnings.extend(warn)
        for p in cut:
            if p.text.strip():
                pieces.append((p, src.kind))
            else:
                warnings.append(f"{src.path}: document {p.title!r} has no text; left out")
    return build_documents(pieces), skipped, warnings


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    from chachong.phrases import merge  # one definition (phrases imports neither jieba nor pandas)

    return merge(intervals)


def _length(intervals: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in _merge(intervals))


def audit(
    inputs: Sequence[str | Path] | Sequence[Document],
    config: AuditConfig | None = None,
    progress: Progress | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    **settings: Any,
) -> AuditResult:
    """Audit files/folders (paths) or already-built documents.

    Settings are an ``AuditConfig`` or its fields as keywords (``audit(paths, threshold=0.6)``).
    ``engine="dask"`` runs the same stages as Dask tasks (chachong.engine_dask), on the cluster
    at ``scheduler`` (``tcp://host:port``) or a LocalCluster; the result is the same.

    >>> r = audit([Document("d01", "甲", "a.txt", "同一段文字，用来说明完全相同的两篇文档如何被发现。", 1),
    ...            Document("d02", "乙", "b.txt", "同一段文字，用来说明完全相同的两篇文档如何被发现。", 1)])
    >>> [(p.a, p.b, p.kind) for p in r.document_pair_records]
    [('d01', 'd02', 'identical')]
    """
    if settings:
        config = (config or AuditConfig()).replace(**settings)
    if engine == "dask":
        from chachong.engine_dask import audit_dask

        return audit_dask(inputs, config, progress, scheduler=scheduler)
    if engine != "local" or scheduler is not None:
        raise ConfigError(f"engine must be local or dask, not {engine!r}; --scheduler needs --engine dask")
    config = config or AuditConfig()
    say = progress or (lambda _stage: None)
    say("read")
    from chachong.api import LoadedCorpus
    from chachong.gcpause import frozen_gc

    # the documents, the prepared corpus and the records stay alive to the end and hold no
    # cyclic garbage: collections leave them out (see gcpause.frozen_gc)
    with frozen_gc():
        if isinstance(inputs, LoadedCorpus):
            documents, skipped, warnings = list(inputs.documents), list(inputs.skipped), list(inputs.warnings)
        elif inputs and all(isinstance(x, Document) for x in inputs):
            documents, skipped, warnings = list(inputs), [], []  # type: ignore[arg-type]
        else:
            documents, skipped, warnings = load_documents(inputs, config)  # type: ignore[arg-type]
        freeze_now()
        say("sign")
        corpus = prepare(documents, config)
        freeze_now()
        return audit_corpus(corpus, skipped, warnings, say)


def audit_corpus(corpus: Corpus, skipped: list[Skipped] | None = None, warnings: list[str] | None = None,
                 progress: Progress | None = None, cache: StageCache | None = None) -> AuditResult:
    """Pairing, alignment, clustering and stock annotation of an already prepared corpus.

    ``cache`` (a :class:`chachong.stagecache.StageCache` of an earlier audit of the same
    corpus) lets the stages reuse what does not depend on the settings changed since.
    """
    say = progress or (lambda _stage: None)
    say("pair")
    cache = cache if cache is not None else StageCache()
    # the fingerprint index, once built, is held in this list only (see below)
    box: list[Winnowed] = []
    index = None
    if not cache.hits and _two_processes(corpus):
        # the fingerprint index (passages.winnowed) does not depend on the pairs: built on a
        # thread meanwhile, it takes the second core pairing leaves idle; joined before
        # anything forks, and after the steps below that need only the pairs
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1)
        index = pool.submit(winnowed, corpus)
        pool.shutdown(wait=False)
    try:
        if cache.candidates is None or not cache.candidates.serves(corpus.config):
            cache.candidates = pair_candidates(corpus)
        table = select_pairs(corpus, cache.candidates)
        if corpus.cps.size >= _RELEASE_MIN_CHARS:
            # after pairing only the documents' signatures are read; the paragraphs' are the
            # largest array left and are computed again if a later re-threshold pairs again
            _document_signatures(corpus, cache)
            corpus.release_signatures()
        groups = _copy_groups(corpus, table, cache) if _two_processes(corpus) and cache.boilerplate is None else None
    except BaseException:
        if index is not None:
            index.exception()  # waits: the thread reads the corpus
        raise
    if index is not None:
        box.append(index.result())
        del index
    freeze_now()
    warnings = list(warnings or [])
    job = None
    share = 0.0
    if _two_processes(corpus):
        # alignment is the longest stage: a second process shares it (claiming pieces as it
        # goes, see _align_shared), started when the phrase process below has finished
        share = 0.5
        if groups is not None:
            # stock phrases and boilerplate need only the documents and which of them are copies
            # of each other (groups); mined on the second core while the passages are aligned here
            # the child drops its copy of the fingerprint index first: pages this process frees
            # after the fork would otherwise stay with the child (0.5 GB at 600k paragraphs)
            job = (groups, Background(lambda: (box.clear(), _stock_job(corpus, warnings, groups))[1]))
            share = _ALIGN_SHARE_WITH_PHRASES
    # alignment empties the box: the index must not outlive the seed hits made from it
    result = assemble(corpus, table, list(skipped or []), warnings, say, cache, share, box,
                      job[1] if job is not None else None)
    say("phrases")
    covered = None
    if job is not None:
        groups, background = job
        try:
            found, phrases, covered = background.result()
        except BackgroundError:
            pass  # computed again below, in this process
        else:
            _remember_stock(cache, result.config, groups, found, phrases)
            covered = (_stock_key(result.config, groups), covered)
    annotate_stock(result, cache, covered)
    result.cache = cache
    return result


_BACKGROUND_MIN_CHARS = 2_000_000  # below this, forking costs more than the phrase mining it moves
_RELEASE_MIN_CHARS = 2_000_000  # above this, paragraph signatures are freed after pairing (computed again when needed)
# a share above 0 turns on the second aligning process; how much it aligns is decided as it
# goes (_align_shared), so the value no longer shapes the split (tests vary it to show that)
_ALIGN_SHARE_WITH_PHRASES = 0.5


def _two_processes(corpus: Corpus) -> bool:
    """Whether to use a forked second process for phrases and alignment (large corpora, >= 2 workers)."""
    from chachong.phrases import independent_groups  # noqa: F401 - imported before forking

    return cores(corpus.config.workers) >= 2 and background_available() and corpus.cps.size >= _BACKGROUND_MIN_CHARS


def _copy_groups(corpus: Corpus, table: PairTable, cache: StageCache) -> list[int]:
    """The groups of copied documents as annotate_stock will see them, known before alignment.

    Identical canonical texts and the near-duplicate documents of :func:`_document_groups`;
    each document's group is its earliest member, as in phrases.independent_groups. Should
    the final document pairs group differently, the phrases are mined again for those groups.
    """
    doc_group, _ = _document_groups(corpus, table, cache)
    uf = UnionFind(len(doc_group))
    for d, g in enumerate(doc_group):
        uf.union(d, g)
    seen: dict[tuple[int, bytes], int] = {}
    for d, key in enumerate(_document_digests(corpus, cache)):
        if key is not None:
            uf.union(d, seen.setdefault(key, d))
    return [uf.find(d) for d in range(len(doc_group))]


def _stock_job(corpus: Corpus, warnings: list, groups: list[int]) -> tuple[Any, Any, list]:
    """The forked phrase process's work: boilerplate, stock phrases and the text they cover."""
    from chachong.phrases import coverage

    found, phrases = _stock_inputs(corpus.documents, corpus.config, corpus, warnings, groups, None)
    return found, phrases, coverage(phrases, len(corpus.documents))


def _stock_key(config: AuditConfig, groups: list[int]) -> bytes:
    settings = {k: v for k, v in config.to_dict().items() if k not in _NOT_PHRASES}
    return digest(sorted(settings.items()), np.asarray(groups, dtype=np.int64))


def _remember_stock(cache: StageCache, config: AuditConfig, groups: list[int], found: Any, phrases: Any) -> None:
    if cache.boilerplate is None:
        cache.boilerplate = found
    cache.phrases[_stock_key(config, groups)] = phrases
    cache.trim()


def _stock_inputs(docs: Sequence[Document], config: AuditConfig, corpus: Corpus | None, warnings: list,
                  groups: list[int], cache: StageCache | None) -> tuple[Any, Any]:
    """Boilerplate findings and stock phrases of the documents for these groups of copies (cached).

    ``corpus`` is the prepared corpus of ``docs`` when there is one (phrase mining reuses its
    canonical text).
    """
    from chachong.boilerplate import TrailerNote, find_boilerplate
    from chachong.phrases import mine_phrases

    found = cache.boilerplate if cache is not None else None
    if found is None:
        found = find_boilerplate(docs, [w for w in warnings if isinstance(w, TrailerNote)])
    key = _stock_key(config, groups)
    phrases = cache.phrases.get(key) if cache is not None else None
    if phrases is None:
        # adverts and markers are not content: no phrase reaches into them (placeholders are
        # masked like figures and stay part of the text)
        not_content = [[(s, e) for s, e, kind in ivs if kind != "placeholder"] for ivs in found.intervals]
        phrases = mine_phrases([d.text for d in docs], groups, config, exclude=not_content, corpus=corpus)
    if cache is not None:
        _remember_stock(cache, config, groups, found, phrases)
    return found, phrases


# settings that change pairing and alignment but not stock phrases or boilerplate
_NOT_PHRASES = ("threshold", "containment", "min_paragraph_chars", "document_threshold", "stock_min_documents",
                "min_span", "bands", "rows", "workers", "phrase_report_limit")


def annotate_stock(result: AuditResult, cache: StageCache | None = None,
                   covered: tuple[bytes, list] | None = None) -> None:
    """Stock phrases, boilerplate findings and placeholders (phrases.py, boilerplate.py).

    Fills ``result.stock_phrase_records``, ``result.boilerplate_records`` and, per document,
    ``stock``, ``stock_ratio``, ``copy_ratio_excluding_stock`` and ``placeholders``.
    ``covered``: (stock key, ``phrases.coverage``) computed with the phrases elsewhere; used
    when the final groups of copies give the same key.
    """
    from chachong.phrases import coverage, independent_groups, merge, phrase_records, shares

    docs = result.document_records
    # the stock paragraphs found while pairing are stock phrasing in every document they occur in
    for sp in result.stock_paragraphs:
        for member in sp["members"]:
            doc_id = member.split(":")[0]
            para = result.document(doc_id).paragraphs[int(member.split(":p")[1]) - 1]
            result.stats[doc_id].stock.append((para.start, para.end))
    cache = cache if cache is not None else StageCache()
    groups = independent_groups([d.id for d in docs], result.document_pair_records)
    found, phrases = _stock_inputs(docs, result.config, result.corpus, result.warnings, groups, cache)
    if covered is not None and covered[0] == _stock_key(result.config, groups):
        cover = covered[1]
    else:
        cover = coverage(phrases, len(docs))
    for i, doc in enumerate(docs):
        st = result.stats[doc.id]
        # coverage is sorted and merged already: most documents have no stock paragraph to add
        st.stock = merge(st.stock + cover[i]) if st.stock else cover[i]
        st.stock_ratio, st.copy_ratio_excluding_stock = shares(
            0, len(doc.text), st.stock, merge([iv for ivs in st.copied.values() for iv in ivs]))
        st.placeholders = found.placeholders[i]
        st.boilerplate = found.intervals[i]
    limit = result.config.phrase_report_limit
    result.stock_phrase_records = phrase_records(phrases[:limit] if limit else phrases, docs, len(set(groups)))
    result.boilerplate_records = found.findings


def stock_threshold(config: AuditConfig, independent_documents: int) -> int:
    if config.stock_min_documents is not None:
        return config.stock_min_documents
    return max(5, math.ceil(0.03 * independent_documents))


def _document_groups(corpus: Corpus, table: PairTable, cache: StageCache | None = None) -> tuple[list[int], dict]:
    """Group documents that are copies of each other (identical or near-duplicate).

    Returns the group root of each document and the exact Jaccard of the document pairs linked
    by a paragraph pair whose MinHash estimate comes within ``_DOC_SLACK`` of
    document_threshold (the others cannot reach it: a stock paragraph links thousands of
    pairs, and exact Jaccard costs both documents' sizes per pair).
    """
    n = len(corpus.documents)
    uf = UnionFind(n)
    jac: dict[tuple[int, int], float] = {}
    codes = unique(corpus.par_doc[table.a].astype(np.int64) * n + corpus.par_doc[table.b])
    doc_pairs = list(zip((codes // n).tolist(), (codes % n).tolist()))
    est = _estimated_jaccard(corpus, doc_pairs, cache)
    close = [p for p in doc_pairs if est[p] >= corpus.config.document_threshold - _DOC_SLACK]
    _document_jaccards(corpus, close, cache)
    for da, db in close:
        jac[(da, db)] = _document_jaccard(corpus, da, db, cache)
        if jac[(da, db)] >= corpus.config.document_threshold:
            uf.union(da, db)
    return [uf.find(d) for d in range(n)], jac


def _document_digests(corpus: Corpus, cache: StageCache | None) -> list[tuple[int, bytes] | None]:
    """(length, digest) of each document's canonical text (None when it has none), cached."""
    if cache is not None and cache.doc_digests is not None:
        return cache.doc_digests
    offs = corpus.doc_offsets.tolist()
    out = [(e - s, hashlib.blake2b(corpus.cps[s:e], digest_size=16).digest()) if e > s else None
           for s, e in zip(offs[:-1], offs[1:])]
    if cache is not None:
        cache.doc_digests = out
    return out


def _document_jaccard(corpus: Corpus, da: int, db: int, cache: StageCache | None) -> float:
    """Exact Jaccard of two documents' shingle sets (kept in ``cache``: it depends on the corpus only)."""
    memo = cache.doc_jaccard if cache is not None else {}
    if (da, db) not in memo:
        memo[(da, db)] = _exact_jaccard(_document_set(corpus, da), _document_set(corpus, db))
    return memo[(da, db)]


_SETS_KEPT = 4096  # document shingle sets sorted together per batch of document pairs


def _document_jaccards(corpus: Corpus, pairs: list[tuple[int, int]], cache: StageCache | None) -> None:
    """Exact Jaccard of many document pairs into the cache, the documents' sets sorted together.

    The sets of up to ``_SETS_KEPT`` documents at a time are sorted as one CSR batch
    (corpus._unique_sets sorts many segments as padded rows, far faster than one sort each).
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
        values, bounds = _unique_sets(gathered, offsets)
        del gathered
        sets = {d: values[bounds[k]:bounds[k + 1]] for d, k in docs.items()}
        for da, db in todo[i:j]:
            cache.doc_jaccard[(da, db)] = _exact_jaccard(sets[da], sets[db])
        i = j


def _exact_jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Jaccard of two sorted sets without duplicates.

    >>> _exact_jaccard(np.array([1, 3, 5, 7]), np.array([3, 4, 5]))
    0.4
    """
    if x.size < y.size:
        x, y = y, x
    at = np.minimum(np.searchsorted(x, y), max(x.size - 1, 0))
    inter = int(np.count_nonzero(x[at] == y)) if x.size else 0
    union = x.size + y.size - inter
    return inter / union if union else 0.0


def assemble(corpus: Corpus, table: PairTable, skipped: list[Skipped], warnings: list[str],
             say: Progress, cache: StageCache | None = None, share: float = 0.0,
             index: list[Winnowed] | None = None, after: Background | None = None) -> AuditResult:
    """From verified paragraph pairs to the full result (stock paragraphs, spans, clusters, documents).

    ``share`` > 0: part of the passage alignment runs in a forked process (see :func:`_align_documents`);
    ``index``: a list holding the corpus's :func:`chachong.passages.winnowed` when built already
    (emptied once the seed hits are made); ``after``: a forked process (the stock phrases) that
    the alignment's own forked process waits for, so that no more than two run at once.
    """
    config = corpus.config
    docs = corpus.documents
    pids = corpus.paragraph_ids
    say("cluster")
    doc_group, doc_jac = _document_groups(corpus, table, cache)
    similar = (table.kind == IDENTICAL) | (table.kind == NEAR)
    near = list(zip(table.a[similar].tolist(), table.b[similar].tolist()))
    par_groups = groups(corpus.n_paragraphs, near)
    min_docs = stock_threshold(config, len(set(doc_group)))
    stock_members: set[int] = set()
    stock_paragraphs = []
    kept_groups = []
    # a paragraph whose direct partners (of any kind, containment included) come from many
    # independent documents is a formula too, e.g. a central slogan quoted inside paragraphs
    partners: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(table.a, table.b):
        a, b = int(a), int(b)
        partners[a].add(doc_group[int(corpus.par_doc[b])])
        partners[b].add(doc_group[int(corpus.par_doc[a])])
    for x, spread in partners.items():
        if len(spread | {doc_group[int(corpus.par_doc[x])]}) >= min_docs:
            stock_members.add(x)
    for g in par_groups:
        spread = {doc_group[int(corpus.par_doc[x])] for x in g}
        if len(spread) >= min_docs or any(x in stock_members for x in g):
            stock_members.update(g)
            stock_members.update(g)
            first = corpus.paragraph(g[0])
            stock_paragraphs.append({"text": first.text, "documents": len({int(corpus.par_doc[x]) for x in g}),
                                     "independent_documents": len(spread), "members": [pids[x] for x in g]})
        else:
            kept_groups.append(g)
    clusters = [Cluster(f"c{i + 1:03d}", pids[g[0]], tuple(pids[x] for x in g)) for i, g in enumerate(kept_groups)]
    is_stock = np.zeros(corpus.n_paragraphs, dtype=bool)
    is_stock[list(stock_members)] = True
    keep = ~is_stock[table.a] & ~is_stock[table.b]
    rows = list(zip(table.a[keep], table.b[keep], table.jaccard[keep], table.containment[keep], table.kind[keep]))
    rows.extend(_short_twins(corpus, doc_jac, rows))
    rows.sort(key=lambda r: (int(r[0]), int(r[1])))
    say("align")
    # the exact Jaccard of every document pair with a verified paragraph pair is reported; the
    # second process computes it while this one aligns (see _align_documents)
    pd = corpus.par_doc
    jaccards = sorted({(int(pd[a]), int(pd[b])) for a, b, *_ in rows if pd[a] != pd[b]} - set(doc_jac)
                      - (set(cache.doc_jaccard) if cache is not None else set()))
    matches, passages, cuts = _align_documents(corpus, rows, doc_group, min_docs, cache, stock_members, share,
                                               jaccards, index, after)
    freeze_now()
    par_pairs, pair_count, copied = _paragraph_pairs(corpus, rows, matches, passages, stock_members, cuts)
    say("documents")
    stats, doc_pairs = _document_stats(corpus, pair_count, copied, doc_jac, cache)
    result = AuditResult(config, docs, par_pairs, doc_pairs, clusters, stats, skipped, warnings, corpus=corpus)
    result.stock_paragraphs = stock_paragraphs
    # not a declared field of AuditResult yet (result.py is not this stage's file); report/json.py reads it
    result.passage_records = passages  # type: ignore[attr-defined]
    return result


_PARALLEL_MIN_PAIRS = 500  # document pairs to align below which a second process costs more than it saves


def _align_part(corpus: Corpus, pairs: list[tuple[int, int]], hit_rows: dict, regions: dict) -> dict:
    """Passages (with report records and pieces) of these document pairs, by pair."""
    from chachong.gcpause import paused_gc

    if not pairs:
        return {}
    none = np.zeros((0, 4), np.int64)
    found = find_passages(corpus, np.concatenate([hit_rows.get(p, none) for p in pairs]),
                          [r for p in pairs for r in regions.get(p, ())])
    per_pair: dict[tuple[int, int], list[DocumentMatch]] = defaultdict(list)
    for dm in found:
        per_pair[(dm.a, dm.b)].append(dm)
    with paused_gc():  # many small acyclic records: full collections would walk the corpus each time
        return {p: _describe_pair(corpus, per_pair.get(p, [])) for p in pairs}


def _align_documents(corpus: Corpus, rows: list, doc_group: list[int], min_docs: int,
                     cache: StageCache | None = None, stock_members: set[int] | frozenset[int] = frozenset(),
                     share: float = 0.0, jaccards: Sequence[tuple[int, int]] = (),
                     index: list[Winnowed] | None = None, after: Background | None = None
                     ) -> tuple[list[DocumentMatch], list[Passage], list[list]]:
    """Copied passages between every proposed document pair, with their report records and
    their pieces per paragraph pair (``(pa, pb, a0, a1, b0, b1, evidence)``, see
    :func:`chachong.passages.pieces`).

    Document pairs come from the verified paragraph pairs (LSH, containment) and from the
    winnowed fingerprint index (passages.py); a fingerprint in ``min_docs`` independent
    documents is stock phrasing and proposes nothing. A document pair whose inputs (regions,
    seed hits, ``min_span``) are in ``cache`` reuses its passages.

    Passages do not depend on the pairing thresholds, only on what is aligned: a re-threshold
    aligns the verified paragraph pairs of the first audit too (those without a stock paragraph
    now), so raising a threshold re-filters the pairs and keeps the passages.

    When ``share`` > 0 and there are many pairs, a forked process aligns part of them
    (:func:`_align_shared`, claiming pieces of the work as it goes) and computes the exact Jaccard
    of the document pairs ``jaccards`` into the cache; the passages of a pair do not depend on
    which process aligned it.
    """
    cache = cache if cache is not None else StageCache()
    min_span = corpus.config.min_span
    # a longer span than one aligned before re-filters that one's passages: a passage stays when
    # one of its pieces between paragraph breaks matches min_span characters (the rule of
    # passages._qualifies); a span not longer than any aligned so far is aligned afresh
    shorter = [x for x in cache.spans if x < min_span]
    span = min_span if min_span in cache.spans or not shorter else max(shorter)
    cache.spans.add(span)
    if span != min_span:
        corpus = corpus.with_config(corpus.config.replace(min_span=span))
    group_arr = np.asarray(doc_group, dtype=np.int64)
    hkey = digest(span, min_docs, group_arr)
    hits = cache.hits.get(hkey)
    if hits is None:
        usable = index.pop() if index and span == min_span else None  # winnowed for config.min_span
        hits = cache.hits[hkey] = seed_hits(corpus, fingerprints(corpus, group_arr, min_docs, usable))
        del usable
        cache.trim()
    offs = corpus.doc_offsets
    aligned = {(int(a), int(b)) for a, b, *_ in rows}
    if cache.region_pairs is None:
        cache.region_pairs = frozenset(aligned)
    else:
        aligned |= {(a, b) for a, b in cache.region_pairs if a not in stock_members and b not in stock_members}
    regions: dict[tuple[int, int], list[tuple[int, int, int, int, int, int]]] = defaultdict(list)
    for a, b in sorted(aligned):
        da, db = int(corpus.par_doc[a]), int(corpus.par_doc[b])
        (a0, a1), (b0, b1) = corpus.par_bounds[a] - offs[da], corpus.par_bounds[b] - offs[db]
        regions[(da, db)].append((da, db, int(a0), int(a1), int(b0), int(b1)))
    hit_rows: dict[tuple[int, int], np.ndarray] = {}
    if len(hits):
        brk = np.flatnonzero((hits[1:, 0] != hits[:-1, 0]) | (hits[1:, 1] != hits[:-1, 1])) + 1
        for s, e in zip(np.concatenate(([0], brk)).tolist(), np.concatenate((brk, [len(hits)])).tolist()):
            hit_rows[(int(hits[s, 0]), int(hits[s, 1]))] = hits[s:e]
    keys = {p: (span, *p, tuple(regions.get(p, ())), hit_rows[p].tobytes() if p in hit_rows else b"")
            for p in sorted(set(regions) | set(hit_rows))}
    todo = [p for p, k in keys.items() if k not in cache.passages]
    if todo:
        fork = share > 0 and len(todo) >= _PARALLEL_MIN_PAIRS and background_available()
        if not fork:
            done = _align_part(corpus, todo, hit_rows, regions)
        else:
            done = _align_shared(corpus, todo, hit_rows, regions, jaccards, after, cache)
        for p in todo:
            cache.passages[keys[p]] = done[p]
    entries = [e for p in keys for e in cache.passages[keys[p]]
               if span == min_span or any(c[6] >= min_span for c in e[2])]
    entries.sort(key=lambda e: (e[0].a, e[0].match.a_start, e[0].b, e[0].match.b_start,
                                e[0].match.a_end, e[0].match.b_end))
    width = max(4, len(str(len(entries))))
    passages = [Passage(f"s{i + 1:0{width}d}", *_fields(e[1])) for i, e in enumerate(entries)]
    return [e[0] for e in entries], passages, [e[2] for e in entries]


_CHUNKS = 48  # pieces the document pairs to align are claimed in (the imbalance at the end is one piece)


def _align_shared(corpus: Corpus, todo: list[tuple[int, int]], hit_rows: dict, regions: dict,
                  jaccards: Sequence[tuple[int, int]], after: Background | None, cache: StageCache) -> dict:
    """Align ``todo`` here and in a forked process, which also computes the exact Jaccards of
    ``jaccards`` into the cache.

    The two claim pieces of ``todo`` from either end of a counter in shared memory (this process
    from the front, the other from the back) until they meet, so neither waits for the other
    however late the other starts: it starts when the phrase process ``after`` has exited (two
    children at once make the memory peak). A piece the other process claimed but did not
    return (it failed or died) is aligned here. The passages do not depend on the split.
    """
    none = np.zeros((0, 4), np.int64)
    cost = np.cumsum([len(hit_rows.get(p, none)) + 4 * len(regions.get(p, ())) for p in todo])
    # piece boundaries of about equal cost
    edges = np.unique(np.concatenate(([0], np.searchsorted(cost, cost[-1] * np.arange(1, _CHUNKS) / _CHUNKS),
                                      [len(todo)])))
    claim = multiprocessing.get_context("fork").Array("q", [0, len(edges) - 1])  # [front, back) of pieces

    def take(front: bool) -> list[tuple[int, int]] | None:
        with claim.get_lock():
            lo, hi = claim[0], claim[1]
            if lo >= hi:
                return None
            if front:
                claim[0] = lo + 1
                return todo[edges[lo]:edges[lo + 1]]
            claim[1] = hi - 1
            return todo[edges[hi - 1]:edges[hi]]

    # a pair found only by its passages gets its exact Jaccard where it was aligned, rather than
    # all of them in this process after the alignment (document_stats asks for those with
    # paragraph pairs; the value is the same wherever it is computed)
    known = set(jaccards) | set(cache.doc_jaccard)

    def part(piece: list[tuple[int, int]], values: dict) -> dict:
        found = _align_part(corpus, piece, hit_rows, regions)
        values.update(_jaccard_values(corpus, [p for p in piece if found.get(p) and p not in known]))
        return found

    def theirs() -> tuple[dict, dict]:
        values = _jaccard_values(corpus, jaccards)
        found: dict = {}
        while (piece := take(False)) is not None:
            found.update(part(piece, values))
        return found, values

    jobs: list[Background] = []

    def start() -> None:
        if after is not None:
            after.wait()
        try:
            jobs.append(Background(theirs))
        except OSError:
            pass  # could not fork: this process takes every piece

    # started from a thread, so that this process aligns meanwhile
    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    done: dict = {}
    while (piece := take(True)) is not None:
        done.update(part(piece, cache.doc_jaccard))
        freeze_now()  # the records live to the end: later collections need not walk them
    starter.join()
    try:
        if not jobs:
            raise BackgroundError("the second process could not be started")
        found, values = jobs[0].result()
    except BackgroundError:
        found, values = {}, {}
    done.update(found)
    cache.doc_jaccard.update(values)
    missing = [p for p in todo if p not in done]
    if missing:
        done.update(_align_part(corpus, missing, hit_rows, regions))
    return done


def _jaccard_values(corpus: Corpus, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """Exact Jaccard of these document pairs (in a forked process: returned, not cached)."""
    scratch = StageCache()
    _document_jaccards(corpus, list(pairs), scratch)
    return scratch.doc_jaccard


_PASSAGE_FIELDS = tuple(f.name for f in dataclasses.fields(Passage) if f.name != "id")


def _fields(p: Passage) -> tuple:
    """A passage's fields after its id (a new id without dataclasses.replace, which is slow in bulk)."""
    return tuple(getattr(p, f) for f in _PASSAGE_FIELDS)


def _describe_pair(corpus: Corpus, matches: list[DocumentMatch]) -> list[tuple[DocumentMatch, Passage, list]]:
    """Report records (ids left empty) and paragraph pieces of the passages of one document pair."""
    matches = sorted(matches, key=lambda dm: (dm.match.a_start, dm.match.b_start, dm.match.a_end, dm.match.b_end))
    places: set[tuple[str, str]] = set()
    passages = [describe(corpus, dm, places) for dm in matches]
    # a name swapped as a place anywhere in a document pair is a place everywhere in it
    if places:
        passages = [describe(corpus, dm, places) if any(e[4] == "replace" for e in p.edits) else p
                    for dm, p in zip(matches, passages)]
    return [(dm, p, [(*c, evidence(corpus, dm, c[2], c[3])) for c in pieces(corpus, dm)])
            for dm, p in zip(matches, passages)]


def _paragraph_pairs(corpus: Corpus, rows: list, matches: list[DocumentMatch], passages: list[Passage],
                     stock_members: set[int], cuts: list[list] | None = None) -> tuple[list[ParagraphPair], dict, dict]:
    """Paragraph pairs with their spans, the paragraph pairs per document pair and the copied
    intervals per (document, partner): :func:`chachong.docstats.paragraph_pairs`."""
    return paragraph_pairs(corpus, rows, matches, passages, stock_members, cuts)


def _document_signatures(corpus: Corpus, cache: StageCache | None) -> np.ndarray:
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


def _estimated_jaccard(corpus: Corpus, pairs: list[tuple[int, int]],
                       cache: StageCache | None = None) -> dict[tuple[int, int], float]:
    """MinHash estimate of document Jaccard for pairs linked by passages only.

    A document's signature is the element-wise minimum of its paragraphs' signatures (the
    MinHash of the union of their shingle sets). Exact Jaccard would cost the size of both
    documents per pair; a pair linked only by passages is far below document_threshold.
    """
    if not pairs:
        return {}
    sig = _document_signatures(corpus, cache)
    p = np.array(pairs, dtype=np.int64)
    est = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
    return {(int(a), int(b)): float(e) for (a, b), e in zip(p.tolist(), est)}


def _document_stats(corpus: Corpus, pair_count: dict, copied: dict, doc_jac: dict,
                    cache: StageCache | None = None) -> tuple[dict[str, DocumentStats], list[DocumentPair]]:
    """Copy ratios per document (with sources) and per document pair: :func:`chachong.docstats.document_stats`."""
    return document_stats(corpus, pair_count, copied, doc_jac, cache)


def _short_twins(corpus: Corpus, doc_jac: dict, rows: list) -> list[tuple]:
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


def _document_set(corpus: Corpus, d: int) -> np.ndarray:
    """Document d's shingle set (sorted, unique), computed when a pair needs its exact Jaccard."""
    p0 = int(corpus.par_first[d])
    p1 = p0 + len(corpus.documents[d].paragraphs)
    x = np.sort(corpus.set_hashes[corpus.set_offsets[p0]:corpus.set_offsets[p1]])
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if x.size else x


__all__ = ["audit", "assemble", "load_documents", "documents_from_sources", "CONTAINED"]
