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


__all__ = ["documents_from_sources", "load_documents"]
