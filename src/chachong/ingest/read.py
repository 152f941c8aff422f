"""Reading inputs: files and folders in, decoded :class:`~chachong.model.Source` records out.

Supported: ``.txt``/``.md`` (encoding detected), ``.docx`` (body paragraphs and tables),
``.doc``/``.wps``/``.rtf``/``.odt`` (through LibreOffice, then as ``.docx``), ``.ofd`` (GB/T 33190
packages), ``.pdf`` (text layer; pages without one by OCR with ``ocr="auto"``), images
``.png``/``.jpg``/``.tif`` (by OCR), ``.csv``/``.jsonl`` (one source per row). :func:`read_sources`
never raises for a bad file: each one becomes a :class:`~chachong.model.Skipped` with a one-line
reason that names the fix, so one broken file never stops an audit of a thousand.

This module holds the entry points; the work is done by one module per step: ``errors``
(limits and reasons), ``files`` (paths, the size-limited read), ``encoding`` with ``guess`` and
``cleanup`` (text decoding, see :func:`detect_encoding`), one reader per format (``plain``,
``docx``, ``office``, ``ofd``, ``pdf``, ``ocr``, ``tables``; ``package`` and ``layout`` serve
several) and ``walk`` (folders).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from chachong.ingest.encoding import detect_encoding, validate_encoding
from chachong.ingest.errors import SUPPORTED, Bad, IngestError, Limits, MiB, one_line, os_reason, unsupported
from chachong.ingest.files import PathArg, display_path, suffix, to_fs_path
from chachong.ingest.office import OFFICE, Converter, read_office
from chachong.ingest.ofd import read_ofd
from chachong.ingest.ocr import IMAGES, PageProgress, read_image, validate_ocr
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
    ocr: str = "never",
    on_page: PageProgress | None = None,
) -> list[Source]:
    """Read one file: one Source, or one per row for ``.csv``/``.jsonl``.

    Raises :class:`IngestError` (path and a reason naming the fix) for a file that cannot be
    used, and ConfigError for an unknown ``encoding`` or ``ocr``. ``encoding`` forces the codec
    of ``.txt``, ``.md``, ``.csv`` and ``.jsonl`` files; the other formats carry Unicode and
    report ``encoding="unicode"``. ``ocr`` (``AuditConfig.ocr``): ``never`` reads no image and
    only PDF text layers, ``auto`` recognises images and PDF pages without a text layer,
    ``always`` every page; ``on_page(path, done, total)`` is called as each page is recognised.
    """
    encoding = validate_encoding(encoding)
    ocr = validate_ocr(ocr)
    with Converter(limits) as converter:
        return _read(to_fs_path(path), encoding, text_column, title_column, limits, ocr, on_page, converter)


def _read(
    fs_path: str,
    encoding: str | None,
    text_column: str,
    title_column: str,
    limits: Limits,
    ocr: str,
    on_page: PageProgress | None,
    converter: Converter,
) -> list[Source]:
    display = display_path(fs_path)
    ext = suffix(fs_path)
    try:
        if ext in (".txt", ".md"):
            return read_text(fs_path, display, encoding, limits)
        if ext in (".docx", *OFFICE):
            return read_office(fs_path, display, limits, converter)
        if ext == ".pdf":
            return read_pdf(fs_path, display, limits, ocr, on_page)
        if ext == ".ofd":
            return read_ofd(fs_path, display, limits, ocr, on_page)
        if ext in IMAGES:
            return read_image(fs_path, display, limits, ocr, on_page)
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
    ocr: str = "never",
    on_page: PageProgress | None = None,
) -> tuple[list[Source], list[Skipped]]:
    """Read files and folders: (sources in input order, skipped inputs with reasons).

    Folders are walked recursively; their files come sorted by path. Every file found is read
    or skipped with a reason, except hidden files and folders, Word lock files (``~$...``) and
    chachong's own reports (see :mod:`chachong.ingest.walk`). A file reached twice (given twice,
    or through a symbolic link) is read once. The files LibreOffice converts are converted
    together first, in as few processes as possible. Every problem with one input, even an
    unexpected exception, becomes a Skipped; only an unknown ``encoding`` or ``ocr`` raises
    (ConfigError), because it concerns every file. ``ocr`` and ``on_page``: see :func:`read_source`.
    """
    encoding = validate_encoding(encoding)
    ocr = validate_ocr(ocr)
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    plan: list[Skipped | str] = []  # skipped inputs and files to read, in the order they are reported
    seen: set[str] = set()
    for given in paths:
        try:
            fs_given = to_fs_path(given)
        except TypeError:
            plan.append(Skipped(display_path(repr(given)), "is not a path; give a str or pathlib.Path"))
            continue
        skips: list[Skipped] = []
        try:
            files = expand(fs_given, skips)
        except Exception as exc:  # noqa: BLE001 - never let one input stop the others
            plan.extend(skips)
            plan.append(Skipped(display_path(fs_given), _unexpected(exc, "listed")))
            continue
        plan.extend(skips)
        for fs_path in files:
            key = os.path.realpath(fs_path)
            if key not in seen:
                seen.add(key)
                plan.append(fs_path)
    sources: list[Source] = []
    skipped: list[Skipped] = []
    with Converter(limits) as converter:
        try:
            converter.convert([p for p in plan if isinstance(p, str) and suffix(p) in (".docx", *OFFICE)])
        except Exception:  # noqa: BLE001 - each file is converted on its own then, and says what went wrong
            pass
        for item in plan:
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            try:
                sources.extend(_read(item, encoding, text_column, title_column, limits, ocr, on_page, converter))
            except IngestError as exc:
                skipped.append(Skipped(exc.path, exc.reason))
            except Exception as exc:  # noqa: BLE001 - a bug must cost one file, not the audit
                skipped.append(Skipped(display_path(item), _unexpected(exc, "read")))
    return sources, skipped


def _unexpected(exc: Exception, doing: str) -> str:
    if isinstance(exc, MemoryError):
        return f"could not be {doing} (MemoryError: not enough memory); split the file or free memory"
    detail = one_line(str(exc), 160)
    return (
        f"could not be {doing} ({type(exc).__name__}{': ' + detail if detail else ''}); "
        "this is a chachong bug, please report it with the file"
    )
