"""A unit and a year per document: from a CSV file (``--metadata``), from columns of .csv/.jsonl
sources (``--unit-column``/``--year-column``) or from a file-name pattern (``--meta-pattern``).

The CSV has a header with ``path`` or ``title`` (which documents a row describes), ``unit`` and
``year``. A ``path`` row describes every document read from that file (all documents of a
compilation); a ``title`` row the documents of that title. The pattern is a regular expression
with named groups ``unit`` and ``year``, searched in each document's file name; where both are
given the CSV wins. Bad metadata (a row naming no document, a year that is not a number, a
pattern without the groups) raises :class:`MetadataError` naming the file and line.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from typing import Sequence

from chachong.config import AuditConfig, ConfigError
from chachong.model import Document


class MetadataError(ConfigError):
    """Metadata chachong cannot use; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Meta:
    unit: str | None = None
    year: int | None = None


def _year(value: str, where: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"\d{1,4}", value):
        raise MetadataError(f"{where}: year {value!r} is not a number; write the year as digits, such as 2025")
    return int(value)


def _file(source: str) -> str:
    return source.split("#")[0]


def from_pattern(docs: Sequence[Document], pattern: str) -> dict[str, Meta]:
    """Unit and year of each document whose file name the pattern matches (``re.search``).

    >>> d = Document("d01", "t", "reports/广州_2025.txt", "x", 1)
    >>> from_pattern([d], r"(?P<unit>[^_/]+)_(?P<year>\\d{4})")
    {'d01': Meta(unit='广州', year=2025)}
    """
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise MetadataError(f"--meta-pattern {pattern!r}: not a regular expression ({exc})") from None
    missing = [g for g in ("unit", "year") if g not in rx.groupindex]
    if missing:
        raise MetadataError(f"--meta-pattern {pattern!r}: no named group {' or '.join(missing)}; write "
                            "(?P<unit>...) and (?P<year>...)")
    out = {}
    for d in docs:
        m = rx.search(os.path.basename(_file(d.source)))
        if m:
            unit = m.group("unit") or None
            out[d.id] = Meta(unit, _year(m.group("year") or "", f"--meta-pattern on {d.source}"))
    return out


def from_csv(docs: Sequence[Document], path: str) -> dict[str, Meta]:
    """Unit and year of the documents each row of the CSV file names (by ``path`` or ``title``)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MetadataError(f"{path}: cannot read the metadata ({exc}); give a UTF-8 CSV file") from None
    if not rows:
        raise MetadataError(f"{path}: empty; write a header line: path,unit,year (or title,unit,year)")
    head = [h.strip().lower() for h in rows[0]]
    key = "path" if "path" in head else "title" if "title" in head else None
    if key is None or "unit" not in head and "year" not in head:
        raise MetadataError(f"{path}:1: the header needs a path or title column and unit, year columns; "
                            f"found {', '.join(head) or 'nothing'}")
    col = {name: head.index(name) for name in ("unit", "year", key) if name in head}
    by_key: dict[str, list[str]] = {}
    for d in docs:
        if key == "title":
            by_key.setdefault(d.title.strip(), []).append(d.id)
        else:
            file = _file(d.source)
            for k in {file, os.path.normpath(file), os.path.realpath(file), os.path.basename(file)}:
                by_key.setdefault(k, []).append(d.id)
    out: dict[str, Meta] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = {name: (row[i].strip() if i < len(row) else "") for name, i in col.items()}
        where = f"{path}:{n}"
        name = cell[key]
        ids = by_key.get(name) or (by_key.get(os.path.realpath(name)) if key == "path" else None)
        if not ids:
            raise MetadataError(f"{where}: no document has the {key} {name!r}; give the {key} as the audit "
                                "reads it (see documents.csv) or remove the line")
        meta = Meta(cell.get("unit") or None, _year(cell.get("year", ""), where))
        for i in dict.fromkeys(ids):
            out[i] = meta
    return out


def from_columns(docs: Sequence[Document], config: AuditConfig) -> dict[str, Meta]:
    """Unit and year of documents read from .csv/.jsonl rows, from the columns ``config.unit_column``
    and ``config.year_column`` of the same rows (read again, one column at a time)."""
    from chachong.ingest.read import read_sources

    tables = sorted({d.source.rsplit("#", 1)[0] for d in docs if "#" in d.source})
    values: dict[str, dict[str, tuple[str, int]]] = {}
    for name in ("unit", "year"):
        column = getattr(config, f"{name}_column")
        if not column:
            continue
        found, skipped = read_sources(tables, encoding=config.encoding, text_column=column,
                                      title_column=config.title_column)
        if skipped:
            raise MetadataError(f"{skipped[0].path}: no {name} in column {column!r} ({skipped[0].reason}); "
                                f"give the right --{name}-column")
        values[name] = {src.path: (src.text.strip(), src.first_line) for src in found}
    out = {}
    for d in docs:
        unit = values.get("unit", {}).get(d.source)
        year = values.get("year", {}).get(d.source)
        if unit or year:
            where = f"{d.source.rsplit('#', 1)[0]}:{year[1]}" if year else d.source
            out[d.id] = Meta(unit[0] if unit else None, _year(year[0], where) if year else None)
    return out


def load_metadata(docs: Sequence[Document], config: AuditConfig) -> dict[str, Meta]:
    """Each document's unit and year by id (documents without metadata left out): from the file-name
    pattern, then the table columns, then the CSV file, a later one winning."""
    out: dict[str, Meta] = {}
    if config.meta_pattern:
        out.update(from_pattern(docs, config.meta_pattern))
    if config.unit_column or config.year_column:
        out.update(from_columns(docs, config))
    if config.metadata:
        out.update(from_csv(docs, config.metadata))
    return out


__all__ = ["Meta", "MetadataError", "from_columns", "from_csv", "from_pattern", "load_metadata"]
