"""AuditRecord: everything an audit found, as plain records.

The record the engines build and the report writers read. It imports nothing above the model:
the DataFrames, views, serialisation and ``rethreshold`` a notebook uses are methods of
:class:`chachong.api.AuditResult`, the subclass :func:`chachong.audit` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from chachong.config import AuditConfig
from chachong.model import (Cluster, Document, DocumentPair, DocumentStats, LazyDocuments, ParagraphPair, Skipped,
                            document_ids)


@dataclass
class AuditRecord:
    """Everything an audit found, as the records the stages made.

    ``document_records``, ``paragraph_pair_records`` ... are what the stages and report writers
    work with; ``stats`` holds per-document metrics by id. :class:`chachong.api.AuditResult` adds
    the notebook's DataFrames (``documents``, ``paragraphs`` ...), views and ``rethreshold``.
    """

    config: AuditConfig
    document_records: Sequence[Document]  # a list, or LazyDocuments (texts read when used: the Dask engine's)
    paragraph_pair_records: list[ParagraphPair]
    document_pair_records: list[DocumentPair]
    cluster_records: list[Cluster]
    stats: dict[str, DocumentStats]
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stock_phrase_records: list[dict[str, Any]] = field(default_factory=list)
    boilerplate_records: list[dict[str, Any]] = field(default_factory=list)
    stock_paragraphs: list[dict[str, Any]] = field(default_factory=list)
    passage_records: list[Any] = field(default_factory=list)  # chachong.stages.describe.Passage, copied passages
    # attribution (stages/attribution.py): the reference texts (never documents), each passage's
    # class by id, the year-over-year rows
    reference_records: list[Document] = field(default_factory=list)
    passage_classes: dict[str, str] = field(default_factory=dict)
    year_over_year: list[dict[str, Any]] = field(default_factory=list)
    corpus: Any = field(default=None, repr=False)  # the prepared Corpus, for re-thresholding
    cache: Any = field(default=None, repr=False)  # chachong.runtime.stagecache.StageCache, for re-thresholding

    def record(self, doc_id: str, text: bool = True) -> Document:
        """The plain Document record with this id. Not ``text``: a record that may come without its
        text (``text=""``: :class:`~chachong.model.LazyDocuments` reads none), for its title,
        source and paragraph offsets."""
        docs, refs = self.document_records, self.reference_records
        held = self.__dict__.get("_by_id")  # (documents, references, their lengths, the index)
        if held is None or held[0] is not docs or held[1] is not refs or held[2] != (len(docs), len(refs)):
            # references at ~k, documents at k: a document's id wins, as before
            index = {d.id: ~k for k, d in enumerate(refs)}
            index.update((did, k) for k, did in enumerate(document_ids(docs)))
            held = self.__dict__["_by_id"] = (docs, refs, (len(docs), len(refs)), index)
        index = held[3]
        try:
            k = index[doc_id]
        except KeyError:
            first = self.document_records[0].id if self.document_records else "-"
            last = self.document_records[-1].id if self.document_records else "-"
            raise KeyError(f"no document {doc_id!r}; ids run from {first} to {last}") from None
        if k < 0:
            return refs[~k]
        return docs[k] if text or not isinstance(docs, LazyDocuments) else docs.outline(k)


__all__ = ["AuditRecord"]
