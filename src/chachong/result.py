"""AuditResult: everything an audit found, as plain records (DataFrames on demand)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chachong.config import AuditConfig
from chachong.model import Cluster, Document, DocumentPair, DocumentStats, ParagraphPair, Skipped


@dataclass
class AuditResult:
    """Everything an audit found.

    For notebooks the plain names are pandas DataFrames with the columns listed in
    :mod:`chachong.report.frames`: ``documents``, ``paragraphs``, ``paragraph_pairs``,
    ``document_pairs``, ``clusters``, ``passages``, ``stock_phrases``, ``boilerplate`` (and
    ``skipped_df``). They are built from the same dict ``report.json`` is written from. The
    records behind them (``document_records``, ``paragraph_pair_records`` ...) are what the
    stages and report writers work with; ``stats`` holds per-document metrics by id.
    """

    config: AuditConfig
    # the records every stage and writer works with; the plain names (documents, ...) are DataFrames
    document_records: list[Document]
    paragraph_pair_records: list[ParagraphPair]
    document_pair_records: list[DocumentPair]
    cluster_records: list[Cluster]
    stats: dict[str, DocumentStats]
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stock_phrase_records: list[dict[str, Any]] = field(default_factory=list)
    boilerplate_records: list[dict[str, Any]] = field(default_factory=list)
    stock_paragraphs: list[dict[str, Any]] = field(default_factory=list)
    passage_records: list[Any] = field(default_factory=list)  # chachong.stages.passages.Passage, copied passages
    corpus: Any = field(default=None, repr=False)  # the prepared Corpus, for re-thresholding
    cache: Any = field(default=None, repr=False)  # chachong.runtime.stagecache.StageCache, for re-thresholding

    # ---- DataFrames (pandas imported on first use; see chachong.report.frames for the columns) ----

    def _frame(self, name: str):
        cache = self.__dict__.setdefault("_frames", {})
        if name not in cache:
            from chachong.report import frames

            report = self.to_dict()
            builders = {
                "documents": lambda: frames.documents(self, report),
                "paragraphs": lambda: frames.paragraphs(self),
                "paragraph_pairs": lambda: frames.paragraph_pairs(report),
                "document_pairs": lambda: frames.document_pairs(report),
                "clusters": lambda: frames.clusters(report),
                "stock_phrases": lambda: frames.records(report["stock_phrases"],
                                                        ["phrase", "documents", "occurrences", "examples"]),
                "boilerplate": lambda: frames.records(report["boilerplate"],
                                                      ["text", "kind", "occurrences", "locations"]),
                "skipped": lambda: frames.records(report["skipped"], ["path", "reason"]),
                "passages": lambda: frames.passages(report),
            }
            cache[name] = builders[name]()
        return cache[name].copy()

    @property
    def documents(self):
        """One row per document (``frames.DOCUMENT_COLUMNS``)."""
        return self._frame("documents")

    @property
    def paragraphs(self):
        return self._frame("paragraphs")

    @property
    def paragraph_pairs(self):
        return self._frame("paragraph_pairs")

    @property
    def document_pairs(self):
        return self._frame("document_pairs")

    @property
    def clusters(self):
        return self._frame("clusters")

    @property
    def stock_phrases(self):
        return self._frame("stock_phrases")

    @property
    def boilerplate(self):
        return self._frame("boilerplate")

    @property
    def passages(self):
        """One row per copied passage (``frames.PASSAGE_COLUMNS``)."""
        return self._frame("passages")

    @property
    def skipped_df(self):
        return self._frame("skipped")

    def similarity_matrix(self, metric: str = "copy"):
        """Documents x documents DataFrame: ``copy`` (a_in_b, row in column) or ``jaccard``."""
        from chachong.report.frames import similarity_matrix

        return similarity_matrix(self.to_dict(), metric)

    def rethreshold(self, **settings: Any) -> "AuditResult":
        """The same audit at other pairing settings, without re-reading or re-hashing the corpus.

        Accepts settings that do not change shingles or signatures (threshold, containment,
        min_paragraph_chars, document_threshold, stock_min_documents, min_span, bands/rows, and
        phrase settings); changing any of ``config.signature_key()`` needs a new ``audit``.
        """
        from chachong.engine.local import audit_corpus
        from chachong.config import ConfigError

        if self.corpus is None:
            raise ConfigError("this result has no prepared corpus (it was loaded from JSON); run audit() again")
        config = self.config.replace(**settings)
        if config.signature_key() != self.config.signature_key() or config.split != self.config.split \
                or config.encoding != self.config.encoding:
            changed = sorted(k for k in settings if getattr(config, k) != getattr(self.config, k)
                             and (k in config.signature_key() or k in ("split", "encoding", "text_column",
                                                                       "title_column")))
            raise ConfigError(f"rethreshold cannot change {', '.join(changed)} (they change the shingles, "
                              "signatures or documents); run audit() with the new settings")
        return audit_corpus(self.corpus.with_config(config), list(self.skipped), list(self.warnings),
                            cache=self.cache)

    def pair(self, a: str, b: str) -> "PairView":
        """Two documents side by side with their copied passages (renders in Jupyter)."""
        self.record(a), self.record(b)
        return PairView(self, a, b)

    def document(self, doc_id: str) -> "DocumentView":
        """One document: its fields (title, text, paragraphs ...), ``stats``, and in Jupyter the
        report's document view with copied, stock and boilerplate text marked."""
        return DocumentView(self, self.record(doc_id))

    def record(self, doc_id: str) -> Document:
        """The plain Document record with this id."""
        index = self.__dict__.get("_by_id")
        if index is None or len(index) != len(self.document_records):
            index = self.__dict__["_by_id"] = {d.id: d for d in self.document_records}
        try:
            return index[doc_id]
        except KeyError:
            first = self.document_records[0].id if self.document_records else "-"
            last = self.document_records[-1].id if self.document_records else "-"
            raise KeyError(f"no document {doc_id!r}; ids run from {first} to {last}") from None

    def to_dict(self) -> dict[str, Any]:
        from chachong.report.json import report_dict

        return report_dict(self)

    def to_json(self) -> str:
        from chachong.report.json import dumps

        return dumps(self)


class DocumentView:
    """A document of an audit; attributes are the Document's, ``_repr_html_`` the report's view."""

    def __init__(self, result: AuditResult, document: Document) -> None:
        self._result = result
        self.document = document

    def __getattr__(self, name: str) -> Any:
        return getattr(self.document, name)

    @property
    def stats(self) -> DocumentStats:
        return self._result.stats[self.document.id]

    def _repr_html_(self) -> str:
        from chachong.report.views import document_html

        return document_html(self._result, self.document.id)

    def __repr__(self) -> str:
        return f"<{self.document.id} {self.document.title!r}: copy ratio {self.stats.copy_ratio:.1%}>"


class PairView:
    """Two documents of an audit side by side (``_repr_html_``), with their passages."""

    def __init__(self, result: AuditResult, a: str, b: str) -> None:
        self._result = result
        self.a, self.b = sorted((a, b))

    @property
    def passages(self) -> list[Any]:
        return [p for p in self._result.passage_records if (p.a, p.b) == (self.a, self.b)]

    def _repr_html_(self) -> str:
        from chachong.report.views import pair_html

        return pair_html(self._result, self.a, self.b)

    def __repr__(self) -> str:
        return f"<pair {self.a} {self.b}: {len(self.passages)} passage(s)>"
