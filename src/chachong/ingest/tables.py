"""Reading ``.csv`` and ``.jsonl`` files: one Source per row with text, ``path#n`` by row.

The text column (or field) is found by name; rows without text are skipped with a warning, and
warnings about the whole file ride on its first row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from chachong.ingest.cleanup import clean_decoded, finish_text
from chachong.ingest.encoding import decode_bytes
from chachong.ingest.errors import Bad, Limits
from chachong.ingest.files import read_bytes
from chachong.model import Source

__all__ = ["read_csv", "read_jsonl"]

_MAX_LISTED = 5  # line numbers shown in a warning before "..."


def _listed(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_MAX_LISTED])
    return shown + (", ..." if len(numbers) > _MAX_LISTED else "")


def _find_column(names: list[str], wanted: str) -> int | None:
    """Index of column ``wanted``: exact match first, else a unique case-insensitive one."""
    if wanted in names:
        return names.index(wanted)
    folded = [i for i, name in enumerate(names) if name.casefold() == wanted.casefold()]
    return folded[0] if len(folded) == 1 else None


def _missing_column(kind: str, wanted: str, names: Iterable[str]) -> Bad:
    listed = ", ".join(repr(n) for n in names) or "none"
    return Bad(f"has no {wanted!r} {kind} ({kind}s: {listed}); pass --text-column with one of them")


def _text_lines(text: str) -> Iterator[str]:
    """Lines with their "\\n", without copying the text (unlike splitlines, no split at U+2028)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _delimiter(text: str) -> str:
    # Excel in a Chinese locale writes commas; exports named .csv are sometimes TAB- or
    # semicolon-separated. The header line decides; csv.Sniffer guesses wrong on CJK text.
    header = next((line for line in _text_lines(text) if line.strip()), "")
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _decode_table_file(fs_path: str, encoding: str | None, limits: Limits) -> tuple[str, str, list[str]]:
    data = read_bytes(fs_path, limits)
    text, codec, warnings = decode_bytes(data, encoding)
    del data
    return finish_text(text, warnings), codec, warnings


def _with_file_warnings(sources: list[Source], warnings: list[str]) -> list[Source]:
    # File-level warnings ride on the file's first row, so they are reported once.
    if warnings and sources:
        first = sources[0]
        sources[0] = Source(
            first.path,
            first.text,
            first.encoding,
            first.kind,
            first.title,
            first.first_line,
            tuple(warnings) + first.warnings,
        )
    return sources


def read_csv(
    fs_path: str, display: str, encoding: str | None, text_column: str, title_column: str, limits: Limits
) -> list[Source]:
    text, codec, warnings = _decode_table_file(fs_path, encoding, limits)
    # The default limit (128 Ki characters per field) would reject a long document in one cell.
    if csv.field_size_limit() < limits.max_file_bytes:
        csv.field_size_limit(limits.max_file_bytes)
    reader = csv.reader(_text_lines(text), delimiter=_delimiter(text))
    sources: list[Source] = []
    header: list[str] | None = None
    text_at = title_at = None
    empty_rows: list[int] = []
    n = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise Bad(
                f"is not valid CSV (line {reader.line_num}: {exc}); fix the quoting or export it again"
            )
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            text_at = _find_column(header, text_column)
            if text_at is None:
                raise _missing_column("column", text_column, header)
            title_at = _find_column(header, title_column)
            continue
        n += 1
        assert text_at is not None
        body = row[text_at] if text_at < len(row) else ""
        if not body.strip():
            empty_rows.append(n)
            continue
        title = row[title_at].strip() or None if title_at is not None and title_at < len(row) else None
        sources.append(Source(f"{display}#{n}", body, codec, "table", title, start))
    if not sources:
        what = "has a header but no rows" if n == 0 else f"has no text in column {text_column!r}"
        raise Bad(f"{what}; nothing to audit")
    if empty_rows:
        warnings.append(
            f"{len(empty_rows)} row(s) with an empty {text_column!r} cell skipped "
            f"(rows {_listed(empty_rows)})"
        )
    return _with_file_warnings(sources, warnings)


def read_jsonl(
    fs_path: str, display: str, encoding: str | None, text_column: str, title_column: str, limits: Limits
) -> list[Source]:
    text, codec, warnings = _decode_table_file(fs_path, encoding, limits)
    if text.lstrip().startswith("["):
        # A pretty-printed JSON array would otherwise half-parse: lines such as `{"text": ...}`
        # without a trailing comma are valid on their own.
        raise Bad("is a JSON array, not JSON Lines; put one JSON object on each line")
    sources: list[Source] = []
    bad: list[str] = []
    keys: dict[str, None] = {}  # field names seen, in first-seen order
    objects = 0
    missing: list[int] = []
    empty: list[int] = []
    fixes: list[str] = []  # one entry per field with unpaired surrogates, summarised once
    n = 0
    for lineno, line in enumerate(_text_lines(text), 1):
        if not line.strip():
            continue
        n += 1
        try:
            obj = json.loads(line)
        except ValueError as exc:
            msg = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
            bad.append(f"line {lineno}: not valid JSON ({msg})")
            continue
        except RecursionError:
            bad.append(f"line {lineno}: JSON nested too deeply")
            continue
        if not isinstance(obj, dict):
            bad.append(f"line {lineno}: a JSON {type(obj).__name__}, not an object")
            continue
        objects += 1
        if len(keys) < 50:
            keys.update(dict.fromkeys(str(k) for k in obj))
        if text_column not in obj:
            missing.append(lineno)
            continue
        value = obj[text_column]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            if value is None:
                empty.append(lineno)
            else:
                bad.append(f"line {lineno}: {text_column!r} is a JSON {type(value).__name__}, not text")
            continue
        if not value.strip():
            empty.append(lineno)
            continue
        # the file's text has no NUL, CR or lone surrogate (a codec decoded it, finish_text
        # cleaned it), so a JSON string holds one only when its line spells an escape: most
        # lines skip the scan, which was a third of reading a large library
        escaped = "\\u" in line or "\\r" in line
        if escaped:
            value = clean_decoded(value, fixes)
            if not value.strip():
                empty.append(lineno)
                continue
        raw_title = obj.get(title_column)
        title = ((clean_decoded(str(raw_title), fixes) if escaped else str(raw_title)).strip() or None
                 if raw_title is not None else None)
        sources.append(Source(f"{display}#{n}", value, codec, "table", title, lineno))
    if not sources:
        if objects == 0 and bad:
            raise Bad(f"is not JSON Lines ({bad[0]}); put one JSON object on each line")
        if missing and len(missing) == objects:
            raise _missing_column("field", text_column, keys)
        raise Bad(f"has no text in field {text_column!r}; nothing to audit")
    if bad:
        more = f" and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
        warnings.append(f"{len(bad)} row(s) skipped: " + "; ".join(bad[:_MAX_LISTED]) + more)
    if missing:
        warnings.append(
            f"{len(missing)} row(s) without a {text_column!r} field skipped (lines {_listed(missing)})"
        )
    if empty:
        warnings.append(f"{len(empty)} row(s) with an empty {text_column!r} skipped (lines {_listed(empty)})")
    if fixes:
        warnings.append(f"unpaired surrogate code points replaced with U+FFFD in {len(fixes)} field(s)")
    return _with_file_warnings(sources, warnings)
