"""The one orchestration function: ``audit(sources, config) -> AuditRecord``.

read -> split -> normalise/shingle/sign -> pair (LSH + fingerprints, verified) -> align ->
cluster -> document pairs and copy ratios. Every stage is a pure function of its inputs
and the config.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import defaultdict
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from chachong.runtime.background import Background, BackgroundError, cores
from chachong.runtime.background import available as background_available
from chachong.stages.cluster import stock_plan
from chachong.config import AuditConfig
from chachong.stages.prepare import Corpus, prepare
from chachong.stages.docstats import PARTIAL, document_stats, paragraph_pairs  # noqa: F401 - PARTIAL re-exported
from chachong.model import Document, Skipped
from chachong.stages.candidates import PairTable, pair_candidates, select_pairs
from chachong.stages.describe import Passage, describe_found, number_passages, passage_order
from chachong.stages.fingerprints import fingerprints, Winnowed, winnowed
from chachong.stages.passages import DocumentMatch, find_passages, hits_by_pair, holds_span, paragraph_regions
from chachong.stages.seeds import seed_hits
from chachong.runtime.gcpause import freeze_now
from chachong.runtime.workdir import WorkDir, fork_fits, spill_needed
from chachong.result import AuditRecord
from chachong.runtime.stagecache import StageCache, digest
from chachong.stages.load import load_documents, with_references
from chachong.ingest.metadata import load_metadata
from chachong.stages.attribution import annotate_attribution
from chachong.stages.stock import annotate_stock, copy_groups, remember_stock, stock_key, stock_work
from chachong.stages.docpairs import document_groups, document_jaccards, document_signatures, short_twins


Progress = Callable[[str], None]


def audit(
    inputs: Sequence[str | Path] | Sequence[Document],
    config: AuditConfig | None = None,
    progress: Progress | None = None,
    *,
    skipped: Sequence[Skipped] = (),
    warnings: Sequence[str] = (),
    references: Sequence[Document] = (),
) -> AuditRecord:
    """The local executor: audit files/folders (paths) or already-built documents in this process
    (with threads and forked processes on large corpora, see :func:`audit_corpus`).

    ``skipped``/``warnings``: what reading the documents gave already (kept in the result);
    ``references``: the documents of the ``config.references`` that are indexes (``api.audit`` fetches them).
    :func:`chachong.api.audit` is the entry point that chooses the executor.

    >>> r = audit([Document("d01", "甲", "a.txt", "同一段文字，用来说明完全相同的两篇文档如何被发现。", 1),
    ...            Document("d02", "乙", "b.txt", "同一段文字，用来说明完全相同的两篇文档如何被发现。", 1)])
    >>> [(p.a, p.b, p.kind) for p in r.document_pair_records]
    [('d01', 'd02', 'identical')]
    """
    config = config or AuditConfig()
    say = progress or (lambda _stage: None)
    say("read")
    from chachong.runtime.gcpause import frozen_gc
    from chachong.runtime.heap import kept_heap

    # the documents, the prepared corpus and the records stay alive to the end and hold no
    # cyclic garbage: collections leave them out (see gcpause.frozen_gc); freed arrays' memory
    # is kept for the next ones until the audit ends (heap.kept_heap)
    with frozen_gc(), ExitStack() as heap:
        heap.enter_context(kept_heap())
        if inputs and all(isinstance(x, Document) for x in inputs):
            documents, skipped, warnings = list(inputs), list(skipped), list(warnings)  # type: ignore[arg-type]
        else:
            # a progress object with a page(path, done, total) method also hears of each page OCR'd
            documents, skipped, warnings = load_documents(inputs, config,  # type: ignore[arg-type]
                                                          on_page=getattr(progress, "page", None))
        documents, skipped, warnings = with_references(documents, skipped, warnings, config, references)
        load_metadata(documents, config)  # bad metadata fails now, not after the audit
        freeze_now()
        say("sign")
        # a corpus estimated larger than config.memory_limit keeps its big arrays and
        # intermediate data in a work folder, removed when the audit ends, fails or is stopped
        spill = spill_needed(sum(len(d.text) for d in documents), config.memory_limit)
        if spill:
            heap.close()  # an audit that spills is short of memory: freed memory goes back at once
        with WorkDir(config.work_dir) if spill else nullcontext() as work:
            corpus = prepare(documents, config, work=work)
            freeze_now()
            return audit_corpus(corpus, skipped, warnings, _dropping(say, work))


def _dropping(say: Progress, work: WorkDir | None) -> Progress:
    """``say``, which also lets the kernel take back the pages of ``work``'s files at each stage."""
    if work is None:
        return say

    def each(stage: str) -> None:
        work.drop()
        say(stage)

    return each


def audit_corpus(corpus: Corpus, skipped: list[Skipped] | None = None, warnings: list[str] | None = None,
                 progress: Progress | None = None, cache: StageCache | None = None) -> AuditRecord:
    """Pairing, alignment, clustering and stock annotation of an already prepared corpus.

    ``cache`` (a :class:`chachong.runtime.stagecache.StageCache` of an earlier audit of the same
    corpus) lets the stages reuse what does not depend on the settings changed since.
    """
    say = progress or (lambda _stage: None)
    say("pair")
    cache = cache if cache is not None else StageCache()
    # the fingerprint index, once built, is held in this list only (see below)
    box: list[Winnowed] = []
    index = None
    two = _two_processes(corpus)  # decided once: the memory it depends on changes as the audit goes
    if not cache.hits and two:
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
            document_signatures(corpus, cache)
            corpus.release_signatures()
        groups = copy_groups(corpus, table, cache) if two and cache.boilerplate is None else None
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
    if two:
        # alignment is the longest stage: a second process shares it (claiming pieces as it
        # goes, see _align_shared), started when the phrase process below has finished
        share = 0.5
        if groups is not None:
            # stock phrases and boilerplate need only the documents and which of them are copies
            # of each other (groups); mined on the second core while the passages are aligned here
            # the child drops its copy of the fingerprint index first: pages this process frees
            # after the fork would otherwise stay with the child (0.5 GB at 600k paragraphs)
            job = (groups, Background(lambda: (box.clear(), stock_work(corpus, warnings, groups))[1]))
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
            remember_stock(cache, result.config, groups, found, phrases)
            covered = (stock_key(result.config, groups), covered)
    annotate_stock(result, cache, covered)
    annotate_attribution(result)
    result.cache = cache
    return result


_BACKGROUND_MIN_CHARS = 2_000_000  # below this, forking costs more than the phrase mining it moves
_RELEASE_MIN_CHARS = 2_000_000  # above this, paragraph signatures are freed after pairing (computed again when needed)
# a share above 0 turns on the second aligning process; how much it aligns is decided as it
# goes (_align_shared), so the value no longer shapes the split (tests vary it to show that)
_ALIGN_SHARE_WITH_PHRASES = 0.5


def _two_processes(corpus: Corpus) -> bool:
    """Whether to use a forked second process for phrases and alignment (large corpora, >= 2 workers,
    and memory for it: ``workdir.fork_fits``)."""
    from chachong.stages.phrases import independent_groups  # noqa: F401 - imported before forking

    chars = int(corpus.cps.size)
    return (cores(corpus.config.workers) >= 2 and background_available() and chars >= _BACKGROUND_MIN_CHARS
            and fork_fits(chars))


def assemble(corpus: Corpus, table: PairTable, skipped: list[Skipped], warnings: list[str],
             say: Progress, cache: StageCache | None = None, share: float = 0.0,
             index: list[Winnowed] | None = None, after: Background | None = None) -> AuditRecord:
    """From verified paragraph pairs to the full result (stock paragraphs, spans, clusters, documents).

    ``share`` > 0: part of the passage alignment runs in a forked process (see :func:`_align_documents`);
    ``index``: a list holding the corpus's :func:`chachong.stages.passages.winnowed` when built already
    (emptied once the seed hits are made); ``after``: a forked process (the stock phrases) that
    the alignment's own forked process waits for, so that no more than two run at once.
    """
    config = corpus.config
    docs = corpus.documents
    say("cluster")
    _, doc_jac = document_groups(corpus, table, cache)
    plan = stock_plan(docs, corpus.par_doc, table, doc_jac, config)
    doc_group, min_docs, stock_members = plan.doc_group, plan.min_docs, plan.stock_members
    keep = plan.keep
    rows = list(zip(table.a[keep], table.b[keep], table.jaccard[keep], table.containment[keep], table.kind[keep]))
    rows.extend(short_twins(corpus, doc_jac, rows))
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
    par_pairs, pair_count, copied = paragraph_pairs(corpus, rows, matches, passages, stock_members, cuts)
    say("documents")
    stats, doc_pairs = document_stats(corpus, pair_count, copied, doc_jac, cache)
    return AuditRecord(config, docs, par_pairs, doc_pairs, plan.clusters, stats, skipped, warnings,
                       stock_paragraphs=plan.stock_paragraphs, passage_records=passages, corpus=corpus)


_PARALLEL_MIN_PAIRS = 500  # document pairs to align below which a second process costs more than it saves


def _align_part(corpus: Corpus, pairs: list[tuple[int, int]], hit_rows: dict, regions: dict) -> dict:
    """Passages (with report records and pieces) of these document pairs, by pair."""
    from chachong.runtime.gcpause import paused_gc

    if not pairs:
        return {}
    none = np.zeros((0, 4), np.int64)
    found = find_passages(corpus, np.concatenate([hit_rows.get(p, none) for p in pairs]),
                          [r for p in pairs for r in regions.get(p, ())])
    with paused_gc():  # many small acyclic records: full collections would walk the corpus each time
        return describe_found(corpus, found, pairs)


def _align_documents(corpus: Corpus, rows: list, doc_group: list[int], min_docs: int,
                     cache: StageCache | None = None, stock_members: set[int] | frozenset[int] = frozenset(),
                     share: float = 0.0, jaccards: Sequence[tuple[int, int]] = (),
                     index: list[Winnowed] | None = None, after: Background | None = None
                     ) -> tuple[list[DocumentMatch], list[Passage], list[list]]:
    """Copied passages between every proposed document pair, with their report records and
    their pieces per paragraph pair (``(pa, pb, a0, a1, b0, b1, evidence)``, see
    :func:`chachong.stages.passages.pieces`).

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
    # a longer span than one aligned before re-filters that one's passages (passages.holds_span);
    # a span not longer than any aligned so far is aligned afresh
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
    aligned = {(int(a), int(b)) for a, b, *_ in rows}
    if cache.region_pairs is None:
        cache.region_pairs = frozenset(aligned)
    else:
        aligned |= {(a, b) for a, b in cache.region_pairs if a not in stock_members and b not in stock_members}
    regions: dict[tuple[int, int], list[tuple[int, int, int, int, int, int]]] = defaultdict(list)
    for region in paragraph_regions(corpus, sorted(aligned)):
        regions[region[:2]].append(region)
    hit_rows = hits_by_pair(hits)
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
               if span == min_span or holds_span(e[2], min_span)]
    entries.sort(key=lambda e: passage_order(e[0]))
    passages = number_passages([e[1] for e in entries])
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
    document_jaccards(corpus, list(pairs), scratch)
    return scratch.doc_jaccard


__all__ = ["assemble", "audit", "audit_corpus"]
