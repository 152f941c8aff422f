"""The one orchestration function: ``audit(sources, config) -> AuditResult``.

read -> split -> normalise/shingle/sign -> pair (LSH + fingerprints, verified) -> align ->
cluster -> document pairs and copy ratios. Every stage is a pure function of its inputs
and the config.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from chachong.align import align
from chachong.cluster import UnionFind, groups
from chachong.config import AuditConfig
from chachong.corpus import Corpus, prepare
from chachong.model import Cluster, Document, DocumentPair, ParagraphPair, Skipped, Source
from chachong.pairs import CONTAINED, IDENTICAL, NEAR, PairTable, find_pairs
from chachong.result import AuditResult, DocumentStats
from chachong.split import Piece, build_documents, split_source

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
    out: list[list[int]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _covered(corpus: Corpus, d: int, canon: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Canonical intervals (local to document d) -> original intervals of its text.

    Touching canonical intervals merge, so the punctuation and line breaks between two
    copied passages count as copied; so do those before the first and after the last
    canonical character when the copy reaches the document's edge.
    """
    base = int(corpus.doc_offsets[d])
    n = int(corpus.doc_offsets[d + 1]) - base
    text_len = len(corpus.documents[d].text)
    out = []
    for s, e in _merge(canon):
        lo = 0 if s == 0 else int(corpus.orig_start[base + s])
        hi = text_len if e >= n else int(corpus.orig_end[base + e - 1])
        out.append((lo, hi))
    return out


def _length(intervals: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in _merge(intervals))


def audit(
    inputs: Sequence[str | Path] | Sequence[Document],
    config: AuditConfig | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Audit files/folders (paths) or already-built documents."""
    config = config or AuditConfig()
    say = progress or (lambda _stage: None)
    say("read")
    if inputs and all(isinstance(x, Document) for x in inputs):
        documents, skipped, warnings = list(inputs), [], []  # type: ignore[arg-type]
    else:
        documents, skipped, warnings = load_documents(inputs, config)  # type: ignore[arg-type]
    say("sign")
    corpus = prepare(documents, config)
    return audit_corpus(corpus, skipped, warnings, say)


def audit_corpus(corpus: Corpus, skipped: list[Skipped] | None = None, warnings: list[str] | None = None,
                 progress: Progress | None = None) -> AuditResult:
    """Pairing, alignment, clustering and stock annotation of an already prepared corpus."""
    say = progress or (lambda _stage: None)
    say("pair")
    table = find_pairs(corpus)
    result = assemble(corpus, table, list(skipped or []), list(warnings or []), say)
    say("phrases")
    annotate_stock(result)
    return result


def annotate_stock(result: AuditResult) -> None:
    """Stock phrases, boilerplate findings and placeholders (phrases.py, boilerplate.py).

    Fills ``result.stock_phrases``, ``result.boilerplate`` and, per document,
    ``stock``, ``stock_ratio``, ``copy_ratio_excluding_stock`` and ``placeholders``.
    """
    from chachong.boilerplate import TrailerNote, find_boilerplate
    from chachong.phrases import coverage, independent_groups, merge, mine_phrases, phrase_records, shares

    docs = result.documents
    # the stock paragraphs found while pairing are stock phrasing in every document they occur in
    for sp in result.stock_paragraphs:
        for member in sp["members"]:
            doc_id = member.split(":")[0]
            para = result.document(doc_id).paragraphs[int(member.split(":p")[1]) - 1]
            result.stats[doc_id].stock.append((para.start, para.end))
    found = find_boilerplate(docs, [w for w in result.warnings if isinstance(w, TrailerNote)])
    groups = independent_groups([d.id for d in docs], result.document_pairs)
    # adverts and markers are not content: no phrase reaches into them (placeholders are
    # masked like figures and stay part of the text)
    not_content = [[(s, e) for s, e, kind in ivs if kind != "placeholder"] for ivs in found.intervals]
    phrases = mine_phrases([d.text for d in docs], groups, result.config, exclude=not_content)
    covered = coverage(phrases, len(docs))
    for i, doc in enumerate(docs):
        st = result.stats[doc.id]
        st.stock = merge(st.stock + covered[i])
        st.stock_ratio, st.copy_ratio_excluding_stock = shares(
            0, len(doc.text), st.stock, merge([iv for ivs in st.copied.values() for iv in ivs]))
        st.placeholders = found.placeholders[i]
        st.boilerplate = found.intervals[i]
    result.stock_phrases = phrase_records(phrases, docs, len(set(groups)))
    result.boilerplate = found.findings


def stock_threshold(config: AuditConfig, independent_documents: int) -> int:
    if config.stock_min_documents is not None:
        return config.stock_min_documents
    return max(5, math.ceil(0.03 * independent_documents))


def _document_groups(corpus: Corpus, table: PairTable, doc_sets: list[np.ndarray]) -> tuple[list[int], dict]:
    """Group documents that are copies of each other (identical or near-duplicate).

    Returns the group root of each document and the exact Jaccard of every document pair
    linked by at least one paragraph pair.
    """
    n = len(corpus.documents)
    uf = UnionFind(n)
    jac: dict[tuple[int, int], float] = {}
    doc_pairs = {(int(corpus.par_doc[a]), int(corpus.par_doc[b])) for a, b in zip(table.a, table.b)}
    for da, db in sorted(doc_pairs):
        inter = np.intersect1d(doc_sets[da], doc_sets[db], assume_unique=True).size
        union = doc_sets[da].size + doc_sets[db].size - inter
        jac[(da, db)] = inter / union if union else 0.0
        if jac[(da, db)] >= corpus.config.document_threshold:
            uf.union(da, db)
    return [uf.find(d) for d in range(n)], jac


def assemble(corpus: Corpus, table: PairTable, skipped: list[Skipped], warnings: list[str],
             say: Progress) -> AuditResult:
    """From verified paragraph pairs to the full result (stock paragraphs, spans, clusters, documents)."""
    config = corpus.config
    docs = corpus.documents
    pids = corpus.paragraph_ids
    say("cluster")
    doc_sets = _document_sets(corpus)
    doc_group, doc_jac = _document_groups(corpus, table, doc_sets)
    near = [(int(a), int(b)) for a, b, k in zip(table.a, table.b, table.kind) if k in (IDENTICAL, NEAR)]
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
    keep = np.array([int(a) not in stock_members and int(b) not in stock_members
                     for a, b in zip(table.a, table.b)], dtype=bool)
    rows = list(zip(table.a[keep], table.b[keep], table.jaccard[keep], table.containment[keep], table.kind[keep]))
    rows.extend(_short_twins(corpus, doc_jac, rows))
    rows.sort(key=lambda r: (int(r[0]), int(r[1])))
    say("align")
    par_pairs: list[ParagraphPair] = []
    # canonical intervals (local to each document) copied, per (document, partner)
    copied: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    pair_count: dict[tuple[int, int], int] = defaultdict(int)
    for a, b, jac, cont, kind in rows:
        a, b = int(a), int(b)
        da, db = int(corpus.par_doc[a]), int(corpus.par_doc[b])
        (sa, ea), (sb, eb) = corpus.par_bounds[a], corpus.par_bounds[b]
        ta, tb = corpus.canonical_text(a), corpus.canonical_text(b)
        local = [(0, len(ta), 0, len(tb))] if kind == IDENTICAL else align(ta, tb, config.min_span)
        spans = []
        oa, ob = int(corpus.doc_offsets[da]), int(corpus.doc_offsets[db])
        for x0, x1, y0, y1 in local:
            spans.append((*corpus.to_original(sa + x0, sa + x1), *corpus.to_original(sb + y0, sb + y1)))
            copied[(da, db)].append((sa + x0 - oa, sa + x1 - oa))
            copied[(db, da)].append((sb + y0 - ob, sb + y1 - ob))
        pair_count[(da, db)] += 1
        par_pairs.append(ParagraphPair(pids[a], pids[b], round(float(jac), 4), round(float(cont), 4), str(kind),
                                       tuple(spans)))
    say("documents")
    doc_canon = [corpus.cps[corpus.doc_offsets[d]:corpus.doc_offsets[d + 1]] for d in range(len(docs))]
    stats = {d.id: DocumentStats() for d in docs}
    coverage: dict[tuple[int, int], list[tuple[int, int]]] = {}
    doc_pairs = []
    for da, db in sorted(pair_count):
        identical = doc_canon[da].size > 0 and np.array_equal(doc_canon[da], doc_canon[db])
        if identical:
            coverage[(da, db)] = [(0, len(docs[da].text))]
            coverage[(db, da)] = [(0, len(docs[db].text))]
        else:
            coverage[(da, db)] = _covered(corpus, da, copied.get((da, db), []))
            coverage[(db, da)] = _covered(corpus, db, copied.get((db, da), []))
        jac = 1.0 if identical else doc_jac[(da, db)]
        a_cov, b_cov = _length(coverage[(da, db)]), _length(coverage[(db, da)])
        kind = "identical" if identical else ("near-duplicate" if jac >= config.document_threshold else "partial")
        doc_pairs.append(DocumentPair(docs[da].id, docs[db].id, round(jac, 4),
                                      round(a_cov / max(len(docs[da].text), 1), 4),
                                      round(b_cov / max(len(docs[db].text), 1), 4),
                                      pair_count[(da, db)], a_cov, kind))
    for d, doc in enumerate(docs):
        st = stats[doc.id]
        per_source = sorted((docs[e].id, ivs) for (x, e), ivs in coverage.items() if x == d and ivs)
        st.copied_chars = _length([iv for _, ivs in per_source for iv in ivs])
        st.copy_ratio = round(st.copied_chars / max(len(doc.text), 1), 4)
        st.copy_ratio_excluding_stock = st.copy_ratio
        srcs = sorted(((round(_length(ivs) / max(len(doc.text), 1), 4), sid) for sid, ivs in per_source),
                      key=lambda t: (-t[0], t[1]))
        st.sources = [{"document": sid, "ratio": r} for r, sid in srcs]
        st.top_source = st.sources[0] if st.sources else None
        st.copied = {sid: _merge(ivs) for sid, ivs in per_source}
    result = AuditResult(config, docs, par_pairs, doc_pairs, clusters, stats, skipped, warnings, corpus=corpus)
    result.stock_paragraphs = stock_paragraphs
    return result


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


def _document_sets(corpus: Corpus) -> list[np.ndarray]:
    out = []
    first = corpus.par_first
    for d, doc in enumerate(corpus.documents):
        p0, p1 = int(first[d]), int(first[d]) + len(doc.paragraphs)
        out.append(np.unique(corpus.set_hashes[corpus.set_offsets[p0]:corpus.set_offsets[p1]]))
    return out


__all__ = ["audit", "assemble", "load_documents", "documents_from_sources", "CONTAINED"]
