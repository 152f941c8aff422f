"""Reading inputs: files and folders in, decoded :class:`~chachong.model.Source` records out.

Supported: ``.txt``/``.md`` (encoding detected), ``.docx`` (body paragraphs and tables),
``.pdf`` (text layer), ``.csv``/``.jsonl`` (one source per row). :func:`read_sources` never
raises for a bad file: each one becomes a :class:`~chachong.model.Skipped` with a one-line
reason that names the fix, so one broken file never stops an audit of a thousand.

This module holds the entry points; the work is done by one module per step: ``errors``
(limits and reasons), ``files`` (paths, the size-limited read), ``encoding`` with ``guess`` and
``cleanup`` (text decoding, see :func:`detect_encoding`), one reader per format (``plain``,
``docx``, ``pdf``, ``tables``) and ``walk`` (folders).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from chachong.ingest.docx import read_docx
from chachong.ingest.encoding import detect_encoding, validate_encoding
from chachong.ingest.errors import SUPPORTED, Bad, IngestError, Limits, MiB, one_line, os_reason, unsupported
from chachong.ingest.files import PathArg, display_path, suffix, to_fs_path
from chachong.ingest.pdf import read_pdf
from chachong.ingest.plain import read_text
from chachong.ingest.tables import read_csv, read_jsonl
from chachong.ingest.walk import expand
from chachong.model import Skipped, Source

__all__ = [
    "MiB",
    "SUPPORTED",
    "IngestError",
    "Limits",
    "detect_encoding",
    "read_source",
    "read_sources",
]


def read_source(
    path: PathArg,
    *,
    encoding: str | None = None,
    text_column: str = "text",
    title_column: str = "title",
    limits: Limits = Limits(),
) -> list[Source]:
    """Read one file: one Source, or one per row for ``.csv``/``.jsonl``.

    Raises :class:`IngestError` (path and a reason naming the fix) for a file that cannot be
    used, and ConfigError for an unknown ``encoding``. ``encoding`` forces the codec of
    ``.txt``, ``.md``, ``.csv`` and ``.jsonl`` files; ``.docx`` and ``.pdf`` carry Unicode
    and report ``encoding="unicode"``.
    """
    encoding = validate_encoding(encoding)
    fs_path = to_fs_path(path)
    display = display_path(fs_path)
    ext = suffix(fs_path)
    try:
        if ext in (".txt", ".md"):
            return read_text(fs_path, display, encoding, limits)
        if ext == ".docx":
            return read_docx(fs_path, display, limits)
        if ext == ".pdf":
            return read_pdf(fs_path, display, limits)
        if ext == ".csv":
            return read_csv(fs_path, display, encoding, text_column, title_column, limits)
        if ext == ".jsonl":
            return read_jsonl(fs_path, display, encoding, text_column, title_column, limits)
        raise Bad(unsupported(ext))
    except Bad as bad:
        raise IngestError(display, bad.reason) from None
    except OSError as exc:
        raise IngestError(display, os_reason(exc)) from exc


def read_sources(
    paths: PathArg | Iterable[PathArg],
    *,
    encoding: str | None = None,
    text_column: str = "text",
    title_column: str = "title",
    limits: Limits = Limits(),
) -> tuple[list[Source], list[Skipped]]:
    """Read files and folders: (sources in input order, skipped inputs with reasons).

    Folders are walked recursively; their files come sorted by path. Hidden files and
    folders, Word lock files (``~$...``) and unsupported types inside folders are ignored;
    a file named explicitly with an unsupported type is skipped with a reason. A file
    reached twice (given twice, or through a symbolic link) is read once. Every problem
    with one input, even an unexpected exception, becomes a Skipped; only an unknown
    ``encoding`` raises (ConfigError), because it concerns every file.
    """
    encoding = validate_encoding(encoding)
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    sources: list[Source] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for given in paths:
        try:
            fs_given = to_fs_path(given)
        except TypeError:
            skipped.append(Skipped(display_path(repr(given)), "is not a path; give a str or pathlib.Path"))
            continue
        try:
            files = expand(fs_given, skipped)
        except Exception as exc:  # noqa: BLE001 - never let one input stop the others
            skipped.append(Skipped(display_path(fs_given), _unexpected(exc, "listed")))
            continue
        for fs_path in files:
            key = os.path.realpath(fs_path)
            if key in seen:
                continue
            seen.add(key)
            try:
                sources.extend(
                    read_source(
                        fs_path,
                        encoding=encoding,
                        text_column=text_column,
                        title_column=title_column,
                        limits=limits,
                    )
                )
            except IngestError as exc:
                skipped.append(Skipped(exc.path, exc.reason))
            except Exception as exc:  # noqa: BLE001 - a bug must cost one file, not the audit
                skipped.append(Skipped(display_path(fs_path), _unexpected(exc, "read")))
    return sources, skipped


def _unexpected(exc: Exception, doing: str) -> str:
    if isinstance(exc, MemoryError):
        return f"could not be {doing} (MemoryError: not enough memory); split the file or free memory"
    detail = one_line(str(exc), 160)
    return (
        f"could not be {doing} ({type(exc).__name__}{': ' + detail if detail else ''}); "
        "this is a chachong bug, please report it with the file"
    )
