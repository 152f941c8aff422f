"""Sources to Documents: ingest (read files) then segment (split compilations, cut paragraphs).

The first two stages as one call, the same for every executor: the local engine runs it on every
path, each Dask read task on one file, ``check`` on the new documents and the references.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from chachong.config import AuditConfig
from chachong.model import Document, Skipped, Source
from chachong.stages.segment import Piece, build_documents, split_source


def load_documents(
    paths: Sequence[str | Path], config: AuditConfig, on_page: Callable[[str, int, int], None] | None = None
) -> tuple[list[Document], list[Skipped], list[str]]:
    """Read and split sources into documents with ids, paragraphs and offsets.

    ``on_page(path, done, total)`` is called as OCR finishes each page (``config.ocr``).
    """
    from chachong.ingest.read import Limits, MiB, read_sources

    sources, skipped = read_sources(
        [str(p) for p in paths], encoding=config.encoding,
        text_column=config.text_column, title_column=config.title_column,
        limits=Limits(max_file_bytes=config.max_file_mb * MiB), ocr=config.ocr, on_page=on_page,
    )
    return documents_from_sources(sources, config, skipped)


def with_references(documents: list[Document], skipped: list[Skipped], warnings: list[str], config: AuditConfig,
                    indexed: Sequence[Document] = ()) -> tuple[list[Document], list[Skipped], list[str]]:
    """The reference texts of ``config.references`` (ids ``r01``...) first, then the documents
    (``d01``...), as every executor orders them: the earliest member of a group of copies is its
    source, so a passage of a law quoted by two documents names the law. A file given both as a
    reference and as an input is a reference only. Unchanged without references.

    ``indexed``: the documents of the references that are indexes (:func:`reference_files` leaves
    them out; ``api.audit`` fetches them), after those read from files.
    """
    if not config.references:
        return documents, skipped, warnings
    from chachong.ingest.renumber import renumber

    refs, ref_skipped, ref_warnings = load_documents(reference_files(config), config)
    refs += list(indexed)
    seen = {_real(d.source) for d in refs}
    documents = [d for d in documents if _real(d.source) not in seen]
    docs = renumber(refs + documents, 0, len(refs) + len(documents), references=len(refs))
    return docs, ref_skipped + list(skipped), ref_warnings + list(warnings)


def reference_files(config: AuditConfig) -> list[str]:
    """The references to read as files or folders: all but the index URIs."""
    from chachong.ingest.index_uri import is_index_uri

    return [r for r in config.references if not is_index_uri(r)]


def _real(source: str) -> str:
    import os

    return os.path.realpath(source.split("#")[0])


def documents_from_sources(
    sources: Iterable[Source], config: AuditConfig, skipped: list[Skipped] | None = None
) -> tuple[list[Document], list[Skipped], list[str]]:
    """Split sources into documents (empty ones left out with a warning), with the skipped files.
    A document cut from a source read by OCR keeps the source's ``ocr_confidence``."""
    pieces: list[tuple[Piece, str]] = []
    confidence: list[float | None] = []
    warnings: list[str] = []
    skipped = list(skipped or [])
    for src in sources:
        warnings.extend(f"{src.path}: {w}" for w in src.warnings)
        cut, warn = split_source(src, config.split)
        warnings.extend(warn)
        for p in cut:
            if p.text.strip():
                pieces.append((p, src.kind))
                confidence.append(src.ocr_confidence)
            else:
                warnings.append(f"{src.path}: document {p.title!r} has no text; left out")
    documents = build_documents(pieces)
    if any(c is not None for c in confidence):
        documents = [d if c is None else replace(d, ocr_confidence=c) for d, c in zip(documents, confidence)]
    return documents, skipped, warnings


__all__ = ["documents_from_sources", "load_documents", "reference_files", "with_references"]
