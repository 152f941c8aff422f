"""The Python API the package re-exports: loading, auditing (choosing the executor), the result a
notebook works with, and phrase mining.

The CLI commands call the same functions, so the numbers a notebook shows are the numbers
the command line prints. :class:`AuditResult` is the engines' plain :class:`AuditRecord` with
the notebook's side: DataFrames (built by :mod:`chachong.report.frames` from the same dict
``report.json`` is written from), views, serialisation and :meth:`AuditResult.rethreshold`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from chachong.config import AuditConfig, ConfigError
from chachong.model import Document, Skipped
from chachong.result import AuditRecord

if TYPE_CHECKING:
    import pandas as pd

    from chachong.report.views import DocumentView, PairView


class AuditResult(AuditRecord):
    """Everything an audit found: the records of :class:`AuditRecord`, and for notebooks
    DataFrames, views, JSON and re-thresholding.

    The plain names are pandas DataFrames with the columns listed in
    :mod:`chachong.report.frames`: ``documents``, ``paragraphs``, ``paragraph_pairs``,
    ``document_pairs``, ``clusters``, ``passages``, ``stock_phrases``, ``boilerplate`` (and
    ``skipped_df``). They are built from the same dict ``report.json`` is written from. The
    records behind them (``document_records``, ``paragraph_pair_records`` ...) are what the
    stages and report writers work with; ``stats`` holds per-document metrics by id.
    """

    @classmethod
    def of(cls, record: AuditRecord) -> "AuditResult":
        """The record an engine returned, with the notebook's methods (the same objects, not copies)."""
        if isinstance(record, cls):
            return record
        result = cls.__new__(cls)
        result.__dict__.update(record.__dict__)
        return result

    # ---- DataFrames (pandas imported on first use; see chachong.report.frames for the columns) ----

    def _frame(self, name: str) -> "pd.DataFrame":
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
    def documents(self) -> "pd.DataFrame":
        """One row per document (``frames.DOCUMENT_COLUMNS``)."""
        return self._frame("documents")

    @property
    def paragraphs(self) -> "pd.DataFrame":
        return self._frame("paragraphs")

    @property
    def paragraph_pairs(self) -> "pd.DataFrame":
        return self._frame("paragraph_pairs")

    @property
    def document_pairs(self) -> "pd.DataFrame":
        return self._frame("document_pairs")

    @property
    def clusters(self) -> "pd.DataFrame":
        return self._frame("clusters")

    @property
    def stock_phrases(self) -> "pd.DataFrame":
        return self._frame("stock_phrases")

    @property
    def boilerplate(self) -> "pd.DataFrame":
        return self._frame("boilerplate")

    @property
    def passages(self) -> "pd.DataFrame":
        """One row per copied passage (``frames.PASSAGE_COLUMNS``)."""
        return self._frame("passages")

    @property
    def skipped_df(self) -> "pd.DataFrame":
        return self._frame("skipped")

    def similarity_matrix(self, metric: str = "copy") -> "pd.DataFrame":
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
        return AuditResult.of(audit_corpus(self.corpus.with_config(config), list(self.skipped),
                                           list(self.warnings), cache=self.cache))

    # ---- views and serialisation ----

    def pair(self, a: str, b: str) -> "PairView":
        """Two documents side by side with their copied passages (renders in Jupyter)."""
        from chachong.report.views import PairView

        self.record(a), self.record(b)
        return PairView(self, a, b)

    def document(self, doc_id: str) -> "DocumentView":
        """One document: its fields (title, text, paragraphs ...), ``stats``, and in Jupyter the
        report's document view with copied, stock and boilerplate text marked."""
        from chachong.report.views import DocumentView

        return DocumentView(self, self.record(doc_id))

    def to_dict(self) -> dict[str, Any]:
        """The report dict ``report.json`` is written from."""
        from chachong.report.json import report_dict

        return report_dict(self)

    def to_json(self) -> str:
        """``report.json``'s text, byte for byte what the CLI writes."""
        from chachong.report.json import dumps

        return dumps(self)


@dataclass
class LoadedCorpus:
    """Documents read and split from sources, with what could not be read.

    Iterating gives the documents; ``audit(loaded)`` audits them (and keeps ``skipped``).
    """

    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def __getitem__(self, i: int) -> Document:
        return self.documents[i]

    @property
    def table(self) -> "pd.DataFrame":
        """One row per document: id, title, source, line, paragraphs, chars."""
        import pandas as pd

        return pd.DataFrame([[d.id, d.title, d.source, d.line, len(d.paragraphs), len(d.text)]
                             for d in self.documents],
                            columns=["id", "title", "source", "line", "paragraphs", "chars"])


def load_corpus(paths: Sequence[str | Path] | str | Path, config: AuditConfig | None = None,
                **settings: Any) -> LoadedCorpus:
    """Read files and folders and split them into documents with paragraphs and offsets.

    >>> from pathlib import Path
    >>> example = Path(__file__).resolve().parents[2] / "examples" / "compilation.txt"
    >>> corpus = load_corpus(example)
    >>> len(corpus), corpus[5].title
    (10, '区卫生健康委员会2023年工作总结')
    """
    from chachong.stages.load import load_documents

    config = (config or AuditConfig()).replace(**settings) if settings else (config or AuditConfig())
    if isinstance(paths, (str, Path)):
        paths = [paths]
    documents, skipped, warnings = load_documents(list(paths), config)
    return LoadedCorpus(documents, skipped, warnings)


def audit(
    inputs: Sequence[str | Path] | Sequence[Document] | LoadedCorpus,
    config: AuditConfig | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    **settings: Any,
) -> AuditResult:
    """Audit files/folders (paths), already-built documents or a :class:`LoadedCorpus`.

    Settings are an ``AuditConfig`` or its fields as keywords (``audit(paths, threshold=0.6)``).
    ``engine="dask"`` runs the same stages as Dask tasks (:mod:`chachong.engine.dask`), on the
    cluster at ``scheduler`` (``tcp://host:port``) or a LocalCluster; the result is the same.
    ``progress`` is called with each stage's name as it starts.

    >>> r = audit([Document("d01", "甲", "a.txt", "同一段文字，用来说明完全相同的两篇文档如何被发现。", 1),
    ...            Document("d02", "乙", "b.txt", "同一段文字，用来说明完全相同的两篇文档如何被发现。", 1)])
    >>> [(p.a, p.b, p.kind) for p in r.document_pair_records]
    [('d01', 'd02', 'identical')]
    """
    if settings:
        config = (config or AuditConfig()).replace(**settings)
    indexed = indexed_references(config)
    if engine == "dask":
        from chachong.engine.dask.engine import audit_dask

        return AuditResult.of(audit_dask(inputs, config, progress, scheduler=scheduler, references=indexed))
    if engine != "local" or scheduler is not None:
        raise ConfigError(f"engine must be local or dask, not {engine!r}; --scheduler needs --engine dask")
    from chachong.engine import local

    if isinstance(inputs, LoadedCorpus):
        return AuditResult.of(local.audit(list(inputs.documents), config, progress, skipped=inputs.skipped,
                                          warnings=inputs.warnings, references=indexed))
    return AuditResult.of(local.audit(inputs, config, progress, references=indexed))


def indexed_references(config: AuditConfig | None) -> list[Document]:
    """Every document of the ``config.references`` that are indexes (``chachong index build``), in order.

    All of them: which could share text with the documents is known only once those are
    prepared, and an index of reference texts (laws, central documents) is small.
    """
    from chachong.ingest.index_uri import is_index_uri

    out: list[Document] = []
    for uri in [r for r in (config.references if config else ()) if is_index_uri(r)]:
        from chachong.index.index import Index, IndexStoreError

        try:
            with Index.open(uri) as idx:
                out += [d for _, d in idx.fetch(sorted(idx.keys().values()))]
        except IndexStoreError as exc:
            raise ConfigError(f"--reference {uri}: {exc}") from None
    return out


def mine_phrases(inputs: Sequence[str | Path] | Sequence[Document] | LoadedCorpus, config: AuditConfig | None = None,
                 **settings: Any) -> "pd.DataFrame":
    """Stock phrases (套话) of a corpus as a DataFrame, most widespread first.

    Copies of one document count once: phrases are counted over independent documents,
    which needs the audit's document groups, so this runs the audit (the same as
    ``chachong phrases``).
    """
    result = audit(inputs, config, **settings)
    return result.stock_phrases


__all__ = ["AuditResult", "LoadedCorpus", "audit", "indexed_references", "load_corpus", "mine_phrases"]
