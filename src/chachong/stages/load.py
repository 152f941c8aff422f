"""Sources to Documents: ingest (read files) then segment (split compilations, cut paragraphs).

The first two stages as one call, the same for every executor: the local engine runs it on every
path, each Dask read task on one file, ``check`` on the new documents and the references.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from chachong.config import AuditConfig
from chachong.model import Document, Skipped, Source
from chachong.stages.segment import Piece, build_documents, split_source


def load_documents(
    paths: Sequence[str | Path], config: AuditConfig
) -> tuple[list[Document], list[Skipped], list[str]]:
    """Read and split sources into documents with ids, paragraphs and offsets."""
    from chachong.ingest.read import Limits, MiB, read_sources

    sources, skipped = read_sources(
        [str(p) for p in paths], encoding=config.encoding,
        text_column=config.text_column, title_column=config.title_column,
        limits=Limits(max_file_bytes=config.max_file_mb * MiB),
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
    """Split sources into documents (empty ones left out with a warning), with the skipped files."""
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


__all__ = ["documents_from_sources", "load_documents", "reference_files", "with_references"]
