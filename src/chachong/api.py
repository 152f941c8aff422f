"""The Python API the package re-exports: loading, auditing (choosing the executor) and phrase mining.

The CLI commands call the same functions, so the numbers a notebook shows are the numbers
the command line prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from chachong.config import AuditConfig, ConfigError
from chachong.model import Document, Skipped
from chachong.result import AuditResult

if TYPE_CHECKING:
    import pandas as pd


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
    if engine == "dask":
        from chachong.engine.dask.engine import audit_dask

        return audit_dask(inputs, config, progress, scheduler=scheduler)
    if engine != "local" or scheduler is not None:
        raise ConfigError(f"engine must be local or dask, not {engine!r}; --scheduler needs --engine dask")
    from chachong.engine import local

    if isinstance(inputs, LoadedCorpus):
        return local.audit(list(inputs.documents), config, progress, skipped=inputs.skipped, warnings=inputs.warnings)
    return local.audit(inputs, config, progress)


def mine_phrases(inputs: Sequence[str | Path] | Sequence[Document] | LoadedCorpus, config: AuditConfig | None = None,
                 **settings: Any) -> "pd.DataFrame":
    """Stock phrases (套话) of a corpus as a DataFrame, most widespread first.

    Copies of one document count once: phrases are counted over independent documents,
    which needs the audit's document groups, so this runs the audit (the same as
    ``chachong phrases``).
    """
    from chachong.api import audit

    result = audit(inputs, config, **settings)
    return result.stock_phrases
