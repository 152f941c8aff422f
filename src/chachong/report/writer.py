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

from chachong.fsio import AtomicFiles, write_fix
from chachong.result import AuditResult

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


def write_report(result: AuditResult, out_dir: str | Path, formats: Iterable[str] = DEFAULT_FORMATS) -> list[Path]:
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
        job = _json_elsewhere(result, fmts)
        report = report_json.report_dict(result, rendered=True, paragraphs=job is None)
        with report_json.built_report(result, report):
            return _write(result, out, fmts, report, job)


_FORK_MIN_CHARS = 2_000_000  # corpus characters from which report.json is encoded in a second process


def _json_elsewhere(result: AuditResult, fmts: tuple[str, ...]) -> Any:
    """report.json's bytes encoded in a forked process (a Background job) while this one writes
    the other formats, for a large corpus written in more formats than JSON; else None.

    The child builds the report itself (the paragraphs list, half of the file, is needed by
    JSON alone) and sends the finished bytes back; if it fails, they are encoded here.
    """
    from chachong.background import Background, available

    corpus = getattr(result, "corpus", None)
    if "json" not in fmts or len(fmts) < 2 or corpus is None or corpus.cps.size < _FORK_MIN_CHARS or not available():
        return None
    from chachong.report import json as report_json

    try:
        return Background(lambda: report_json.report_bytes(report_json.report_dict(result, rendered=True)))
    except OSError:
        return None


def _json_bytes(result: AuditResult, job: Any) -> bytes:
    from chachong.background import BackgroundError
    from chachong.report import json as report_json

    if job is not None:
        try:
            return job.result()
        except BackgroundError:
            pass
        # the report built here lacks the paragraphs list: build the whole report again
        return report_json.report_bytes(report_json.report_dict(result, rendered=True))
    return report_json.dump_bytes(result)


def _write(result: AuditResult, out: Path, fmts: tuple[str, ...], report: dict, job: Any = None) -> list[Path]:
    from chachong.report.tables import TABLES, to_csv

    path = out
    # with report.json encoded elsewhere, the other formats are rendered first meanwhile
    # (held until it arrives, then all written in the order asked for)
    held: dict[str, list[tuple[Path, bytes]]] | None = {} if job is not None else None

    def files(fmt: str) -> list[tuple[Path, bytes]]:
        if fmt == "json":
            return [(out / "report.json", _json_bytes(result, job))]
        if fmt == "csv":
            return [(out / f"{table}.csv", to_csv(report, table).encode("utf-8")) for table in TABLES]
        render = _renderer(fmt)
        if render is None:
            return []
        return [(out / ("report.md" if fmt == "md" else "report.html"), render(result, report).encode("utf-8"))]

    try:
        with AtomicFiles() as batch:
            if held is not None:
                for fmt in [f for f in fmts if f != "json"] + ["json"]:
                    held[fmt] = files(fmt)
            for fmt in fmts:
                for path, data in (held.pop(fmt) if held is not None else files(fmt)):
                    batch.add_bytes(path, data)
            return batch.commit()
    except OSError as exc:
        raise ReportError(
            f"{path}: cannot write the report ({exc.strerror or exc}); the previous report is unchanged; "
            + write_fix(exc)
        ) from exc
