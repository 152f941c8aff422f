"""Write an audit's reports to a folder, each file atomically.

Formats: ``json`` (report.json), ``csv`` (documents.csv, paragraph_pairs.csv,
document_pairs.csv, clusters.csv), ``md`` (report.md) and ``html`` (report.html) where
those writers are available. Every file is written to a temporary name and the set is
renamed into place only when complete, so an interrupted run leaves the previous report.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chachong.runtime.fsio import AtomicFiles, write_all, write_fix
from chachong.result import AuditRecord

FORMATS = ("html", "json", "csv", "md")
DEFAULT_FORMATS = ("html", "json", "csv")


class ReportError(ValueError):
    """A report cannot be written; the message names the fix."""


def parse_formats(spec: str | Iterable[str]) -> tuple[str, ...]:
    items = [s.strip().lower() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    unknown = [s for s in items if s not in FORMATS]
    if unknown:
        raise ReportError(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def _renderer(fmt: str):
    """The render function of an optional writer module, or None while it is not built."""
    try:
        module = importlib.import_module(f"chachong.report.{ {'md': 'markdown'}.get(fmt, fmt) }")
    except ModuleNotFoundError:
        return None
    return getattr(module, "render", None)


def write_report(result: AuditRecord, out_dir: str | Path, formats: Iterable[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write the chosen formats into ``out_dir`` (created if needed); returns the files written.

    All files of one report replace their previous versions together: each is rendered and
    written to a temporary name in ``out_dir`` first, and only when every one is complete are
    they renamed into place. If anything fails, the previous report stays as it was and no
    temporary file is left. File names are fixed (``report.json``, ``documents.csv``, ...),
    never taken from the documents, and a symbolic link planted at one of those names is
    replaced, not followed, so nothing is written outside ``out_dir``.
    """
    from chachong.report import json as report_json

    fmts = parse_formats(formats)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{out}: cannot create the output folder ({exc.strerror}); choose another with -o") from exc
    if not out.is_dir():
        raise ReportError(f"{out}: is not a folder; choose another with -o")
    # one report dict for every format (renderers only read it)
    with report_json.no_gc():
        report = report_json.report_dict(result, rendered=True)
        with report_json.built_report(result, report):
            return _write(result, out, fmts, report)


_FORK_MIN_CHARS = 2_000_000  # corpus characters from which report.json is encoded in a second process


def _json_elsewhere_wanted(result: AuditRecord, fmts: tuple[str, ...]) -> bool:
    """Whether report.json is encoded in a second process: a large corpus written in more formats than JSON
    (encoding the 130 MB of a 600 000-paragraph corpus's report takes as long as its CSV tables)."""
    from chachong.runtime.background import available, cores

    corpus = getattr(result, "corpus", None)
    return ("json" in fmts and len(fmts) >= 2 and corpus is not None and corpus.cps.size >= _FORK_MIN_CHARS
            and cores(result.config.workers) >= 2 and available())


def _json_elsewhere(report: dict, fd: int) -> Any:
    """A forked process (a Background job) that encodes report.json from ``report`` and writes it
    to the reserved file ``fd`` while this one renders the other formats; None when it cannot
    fork. Its answer is True once the bytes are written."""
    from chachong.runtime.background import Background
    from chachong.report import json as report_json

    def encode() -> bool:
        write_all(fd, report_json.report_bytes(report))
        return True

    try:
        return Background(encode)
    except OSError:
        return None


def _write(result: AuditRecord, out: Path, fmts: tuple[str, ...], report: dict) -> list[Path]:
    from chachong.runtime.background import BackgroundError
    from chachong.report import json as report_json
    from chachong.report.tables import TABLES, to_csv

    path = out
    job = None
    written: list[Path] = []  # in the order of the formats asked for (report.json may be staged first)
    try:
        with AtomicFiles() as batch:
            slot = None
            if _json_elsewhere_wanted(result, fmts):
                # report.json is staged first and written by a second process meanwhile
                path = out / "report.json"
                slot = batch.reserve(path)
                job = _json_elsewhere(report, slot.fd)
            for fmt in fmts:
                if fmt == "json":
                    path = out / "report.json"
                    if slot is None:
                        batch.add_bytes(path, report_json.dump_bytes(result))
                    written.append(path)
                elif fmt == "csv":
                    for table in TABLES:
                        path = out / f"{table}.csv"
                        batch.add_text(path, to_csv(report, table))
                        written.append(path)
                else:
                    render = _renderer(fmt)
                    if render is None:
                        continue
                    path = out / ("report.md" if fmt == "md" else "report.html")
                    batch.add_text(path, render(result, report))
                    written.append(path)
            if slot is not None:
                path = out / "report.json"
                done = False
                if job is not None:
                    try:
                        done = job.result()
                    except BackgroundError:
                        pass  # encoded here instead
                    job = None
                batch.fill(slot, None if done else report_json.dump_bytes(result))
            batch.commit()
            return written
    except BaseException as exc:
        if job is not None:
            job.cancel()  # another format failed: report.json is not wanted now
        if not isinstance(exc, OSError):
            raise
        raise ReportError(
            f"{path}: cannot write the report ({exc.strerror or exc}); the previous report is unchanged; "
            + write_fix(exc)
        ) from exc
