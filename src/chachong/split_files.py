"""``chachong split``: write each document of a compilation to its own UTF-8 file.

File names come from titles made safe (no ``/``, ``..``, NUL, reserved names), are
de-duplicated, and are always inside the output folder; files are written atomically and
an existing file is never overwritten silently (a numbered name is used instead).
"""

from __future__ import annotations

from pathlib import Path

from chachong.fsio import atomic_write_text, inside, safe_filename


class SplitError(ValueError):
    """The compilation cannot be split; the message names the file and the fix."""


def split_to_folder(path: str, out_dir: str | Path, *, encoding: str | None = None,
                    mode: str = "auto") -> tuple[list[Path], list[str]]:
    from chachong.ingest import IngestError, read_source
    from chachong.split import split_source

    try:
        sources = read_source(path, encoding=encoding)
    except IngestError as exc:
        raise SplitError(str(exc)) from exc
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SplitError(f"{out}: cannot create the output folder ({exc.strerror}); choose another with -o") from exc
    taken = {p.name for p in out.iterdir()}
    written: list[Path] = []
    warnings: list[str] = []
    for src in sources:
        pieces, warn = split_source(src, mode)
        warnings.extend(warn)
        for n, piece in enumerate(pieces, 1):
            name = safe_filename(f"{n:02d}-{piece.title}", taken)
            target = out / name
            if not inside(out, target):  # safe_filename forbids this; keep the guard anyway
                raise SplitError(f"{piece.title!r}: refusing to write outside {out}")
            atomic_write_text(target, f"{piece.title}\n\n{piece.text}\n")
            written.append(target)
    return written, warnings
