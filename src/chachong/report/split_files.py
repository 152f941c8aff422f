"""``chachong split``: write each document of a compilation to its own UTF-8 file.

File names come from titles made safe (no ``/``, ``..``, NUL, reserved names), are
de-duplicated, and are always inside the output folder. Names already present in the
folder (files, folders, symbolic links) are never reused, so an existing file is never
overwritten and a planted link is never followed: a numbered name is used instead. The
files are written to temporary names and renamed into place together once all are
complete, so a failed run leaves no partial set behind.
"""

from __future__ import annotations

from pathlib import Path

from chachong.config import ConfigError
from chachong.runtime.fsio import AtomicFiles, inside, safe_filename, write_fix

__all__ = ["SplitError", "split_to_folder"]


class SplitError(ValueError):
    """The compilation cannot be split; the message names the file and the fix."""


def split_to_folder(path: str, out_dir: str | Path, *, encoding: str | None = None,
                    mode: str = "auto", max_file_mb: int = 256) -> tuple[list[Path], list[str]]:
    """Split the compilation at ``path`` into one file per document in ``out_dir``.

    Each file holds the title line, a blank line and the document text. Returns the files
    written, in document order, and warnings (one line each: how the file was read, 目录
    entries not found in the body). ``max_file_mb`` refuses a larger input, as in ``audit``.
    Raises :class:`SplitError` for an unreadable input or output folder.
    """
    from chachong.ingest.read import IngestError, Limits, MiB, read_source
    from chachong.stages.segment import split_source

    try:
        sources = read_source(path, encoding=encoding, limits=Limits(max_file_bytes=max_file_mb * MiB))
    except (IngestError, ConfigError) as exc:
        raise SplitError(str(exc)) from exc
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        taken = {p.name for p in out.iterdir()}
    except OSError as exc:
        raise SplitError(f"{out}: cannot use the output folder ({exc.strerror}); choose another with -o") from exc
    planned: list[tuple[Path, str]] = []
    warnings: list[str] = []
    for src in sources:
        warnings.extend(f"{src.path}: {w}" for w in src.warnings)
        pieces, warn = split_source(src, mode)
        warnings.extend(warn)
        for n, piece in enumerate(pieces, 1):
            # the number keeps names in document order and defuses reserved names ("01-CON");
            # a title without a letter or digit ("..", "——") says nothing, so it is not used
            title = piece.title if any(ch.isalnum() for ch in piece.title) else "document"
            name = safe_filename(f"{n:02d}-{title}", taken)
            target = out / name
            if not inside(out, target):  # safe_filename forbids this; keep the guard anyway
                raise SplitError(f"{piece.title!r}: refusing to write outside {out}")
            planned.append((target, f"{piece.title}\n\n{piece.text}\n"))
    try:
        with AtomicFiles() as batch:
            for target, text in planned:
                batch.add_text(target, text)
            written = batch.commit()
    except OSError as exc:
        raise SplitError(f"{out}: cannot write the documents ({exc.strerror or exc}); nothing was written; "
                         + write_fix(exc)) from exc
    return written, warnings
