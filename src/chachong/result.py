"""AuditResult: everything an audit found, as plain records (DataFrames on demand)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chachong.config import AuditConfig
from chachong.model import Cluster, Document, DocumentPair, ParagraphPair, Skipped


@dataclass
class DocumentStats:
    """Per-document metrics (design.md §4 ``documents``)."""

    copied_chars: int = 0
    copy_ratio: float = 0.0
    copy_ratio_excluding_stock: float = 0.0
    stock_ratio: float = 0.0
    top_source: dict[str, Any] | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    placeholders: int = 0
    # copied intervals of the document text, per source document id: [(start, end), ...]
    copied: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # intervals of the document text covered by stock phrasing (phrases, stock paragraphs)
    stock: list[tuple[int, int]] = field(default_factory=list)
    # boilerplate and placeholders in the document text: (start, end, kind)
    boilerplate: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass
class AuditResult:
    config: AuditConfig
    documents: list[Document]
    paragraph_pairs: list[ParagraphPair]
    document_pairs: list[DocumentPair]
    clusters: list[Cluster]
    stats: dict[str, DocumentStats]
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stock_phrases: list[dict[str, Any]] = field(default_factory=list)
    boilerplate: list[dict[str, Any]] = field(default_factory=list)
    stock_paragraphs: list[dict[str, Any]] = field(default_factory=list)
    corpus: Any = field(default=None, repr=False)  # the prepared Corpus, for re-thresholding

    def document(self, doc_id: str) -> Document:
        for d in self.documents:
            if d.id == doc_id:
                return d
        raise KeyError(f"no document {doc_id!r}; ids run from {self.documents[0].id if self.documents else '-'}")

    def to_dict(self) -> dict[str, Any]:
        from chachong.report.json import report_dict

        return report_dict(self)

    def to_json(self) -> str:
        from chachong.report.json import dumps

        return dumps(self)
