"""The stock stage: stock phrases (套话), stock paragraphs and boilerplate applied to an audit's result.

Stock phrases are mined over *independent* documents (copies of one document count once), so
this stage runs after the document pairs are known; its inputs are cached per setting and per
grouping of copies (:class:`~chachong.runtime.stagecache.StageCache`), so a re-threshold that
groups the documents the same way mines nothing again. Every executor ends with
:func:`annotate_stock`; the local engine may run :func:`stock_work` in a forked process meanwhile.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from chachong.config import AuditConfig
from chachong.model import Document, document_ids, outlines, text_lengths
from chachong.result import AuditRecord
from chachong.runtime.stagecache import StageCache, digest
from chachong.stages.prepare import Corpus


def stock_work(corpus: Corpus, warnings: list, groups: list[int]) -> tuple[Any, Any, list]:
    """The forked phrase process's work: boilerplate, stock phrases and the text they cover."""
    return stock_of(corpus.documents, corpus.config, warnings, groups, corpus)


def stock_of(docs: Sequence[Document], config: AuditConfig, warnings: list, groups: list[int],
             corpus: Corpus | None = None) -> tuple[Any, Any, list]:
    """Boilerplate, stock phrases and the text they cover, for groups of copies known before the
    alignment (:func:`copy_groups`): what the local engine computes meanwhile in a forked process
    (the Dask engine runs the same stages by partition, ``engine/dask/phrasing.py``) and hands to
    :func:`annotate_stock` through :func:`remember_stock` and ``covered``."""
    from chachong.stages.phrases import coverage

    found, phrases = stock_inputs(docs, config, corpus, warnings, groups, None)
    return found, phrases, coverage(phrases, len(docs))


def copy_groups(corpus: Corpus, table: Any, cache: StageCache | None) -> list[int]:
    """The groups of copied documents as :func:`annotate_stock` will see them, known before alignment.

    Identical canonical texts and the near-duplicate documents of
    :func:`~chachong.stages.docpairs.document_groups` (``table``: the verified paragraph pairs);
    each document's group is its earliest member, as in ``phrases.independent_groups``. Should
    the final document pairs group differently, the phrases are mined again for those groups.
    """
    from chachong.stages.docpairs import document_digests, document_groups, identical_documents

    doc_group, _ = document_groups(corpus, table, cache)
    return groups_of_copies(doc_group, identical_documents(document_digests(corpus, cache)))


def groups_of_copies(doc_group: Sequence[int], identical: Any) -> list[int]:
    """Each document's group of copies (its earliest member) from the near-duplicate groups
    ``doc_group`` and the ``identical`` document pairs (``docpairs.identical_documents``)."""
    from chachong.stages.cluster import UnionFind

    uf = UnionFind(len(doc_group))
    for d, g in enumerate(doc_group):
        uf.union(d, g)
    for x, y in identical:
        uf.union(x, y)
    return [uf.find(d) for d in range(len(doc_group))]


def stock_key(config: AuditConfig, groups: list[int]) -> bytes:
    settings = {k: v for k, v in config.to_dict().items() if k not in _NOT_PHRASES}
    return digest(sorted(settings.items()), np.asarray(groups, dtype=np.int64))


def remember_stock(cache: StageCache, config: AuditConfig, groups: list[int], found: Any, phrases: Any) -> None:
    if cache.boilerplate is None:
        cache.boilerplate = found
    cache.phrases[stock_key(config, groups)] = phrases
    cache.trim()


def stock_inputs(docs: Sequence[Document], config: AuditConfig, corpus: Corpus | None, warnings: list,
                  groups: list[int], cache: StageCache | None) -> tuple[Any, Any]:
    """Boilerplate findings and stock phrases of the documents for these groups of copies (cached).

    ``corpus`` is the prepared corpus of ``docs`` when there is one (phrase mining reuses its
    canonical text).
    """
    from chachong.stages.boilerplate import TrailerNote, find_boilerplate
    from chachong.stages.phrases import mine_phrases

    found = cache.boilerplate if cache is not None else None
    if found is None:
        found = find_boilerplate(docs, [w for w in warnings if isinstance(w, TrailerNote)])
    key = stock_key(config, groups)
    phrases = cache.phrases.get(key) if cache is not None else None
    if phrases is None:
        phrases = mine_phrases([d.text for d in docs], groups, config, exclude=not_content(found), corpus=corpus)
    if cache is not None:
        remember_stock(cache, config, groups, found, phrases)
    return found, phrases


def not_content(found: Any) -> list[list[tuple[int, int]]]:
    """The intervals of each document no stock phrase reaches into: boilerplate (``found``) less
    its placeholders (masked like figures, they stay part of the text). A document's intervals
    are the same whatever other documents are searched with it."""
    return [[(s, e) for s, e, kind in ivs if kind != "placeholder"] for ivs in found.intervals]


# settings that change pairing and alignment but not stock phrases or boilerplate
_NOT_PHRASES = ("threshold", "containment", "min_paragraph_chars", "document_threshold", "stock_min_documents",
                "min_span", "bands", "rows", "workers", "phrase_report_limit")


def annotate_stock(result: AuditRecord, cache: StageCache | None = None,
                   covered: tuple[bytes, list] | None = None, written: Sequence[bool] | None = None) -> None:
    """Stock phrases, boilerplate findings and placeholders (phrases.py, boilerplate.py).

    Fills ``result.stock_phrase_records``, ``result.boilerplate_records`` and, per document,
    ``stock``, ``stock_ratio``, ``copy_ratio_excluding_stock`` and ``placeholders``.
    ``covered``: (stock key, ``phrases.coverage``) computed with the phrases elsewhere; used
    when the final groups of copies give the same key. ``written``: whether each document's text holds
    any writing (``phrase_batches.written``), known where the texts are (the Dask engine's workers);
    read from the texts otherwise.
    """
    from chachong.stages.phrase_batches import written as written_texts
    from chachong.stages.phrase_copies import independent_writers
    from chachong.stages.phrases import coverage, independent_groups, merge, phrase_records, phrase_threshold, shares

    docs = result.document_records
    # the stock paragraphs found while pairing are stock phrasing in every document they occur in
    for sp in result.stock_paragraphs:
        for member in sp["members"]:
            doc_id = member.split(":")[0]
            para = result.record(doc_id, text=False).paragraphs[int(member.split(":p")[1]) - 1]
            result.stats[doc_id].stock.append((para.start, para.end))
    cache = cache if cache is not None else StageCache()
    groups = independent_groups(document_ids(docs), result.document_pair_records)
    found, mined = stock_inputs(docs, result.config, result.corpus, result.warnings, groups, cache)
    has_text = written if written is not None else written_texts(d.text for d in docs)
    writers = len({g for g, w in zip(groups, has_text) if w})
    # a phrase inside a paragraph copied between two groups was written once (phrase_copies.py)
    phrases = independent_writers(mined, outlines(docs), groups, result.paragraph_pair_records,
                                  phrase_threshold(result.config, writers))
    if covered is not None and covered[0] == stock_key(result.config, groups) and len(phrases) == len(mined):
        cover = covered[1]
    else:
        cover = coverage(phrases, len(docs))
    for i, (doc_id, chars) in enumerate(zip(document_ids(docs), text_lengths(docs))):
        st = result.stats[doc_id]
        # coverage is sorted and merged already: most documents have no stock paragraph to add
        st.stock = merge(st.stock + cover[i]) if st.stock else cover[i]
        st.stock_ratio, st.copy_ratio_excluding_stock = shares(
            0, chars, st.stock, merge([iv for ivs in st.copied.values() for iv in ivs]))
        st.placeholders = found.placeholders[i]
        st.boilerplate = found.intervals[i]
    limit = result.config.phrase_report_limit
    result.stock_phrase_records = phrase_records(phrases[:limit] if limit else phrases, docs, len(set(groups)))
    result.boilerplate_records = found.findings


__all__ = ["annotate_stock", "copy_groups", "groups_of_copies", "not_content", "remember_stock", "stock_inputs", "stock_key", "stock_of",
           "stock_work"]
