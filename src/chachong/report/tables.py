"""CSV tables of an audit (documents, paragraph pairs, document pairs, clusters, passages).

Written with the csv module from the JSON report dict, so the tables and report.json can
never disagree and writing them needs no pandas.

A spreadsheet (Excel, WPS, LibreOffice) runs a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula, and titles and file names come from the documents: such
a text cell is written with a single quote before it (OWASP's rule against CSV injection), which
the spreadsheet shows as text. Numbers are written as they are (-0.5 stays a number).
"""

from __future__ import annotations

import csv
import io
import json
from itertools import repeat
from typing import Any

from chachong.report.attribution import DOCUMENT_COLUMNS as BY_CLASS, document_row

TABLES = ("documents", "paragraph_pairs", "document_pairs", "clusters", "passages")


# one encoder for every cell: json.dumps with options builds a new encoder per call
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _cell(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        return _COMPACT.encode(v)
    return "" if v is None else v


_PLAIN = frozenset({str, int, float, bool})  # the types the csv module writes as they are
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a text cell as a formula


def neutral(value: Any) -> Any:
    r"""A text cell a spreadsheet shows as text (OWASP: a quote before a formula's first character).

    >>> neutral('=HYPERLINK("http://x")'), neutral("+cmd|calc"), neutral("标题"), neutral(-1)
    ('\'=HYPERLINK("http://x")', "'+cmd|calc", '标题', -1)
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _column(values: list[Any]) -> list[Any]:
    """One column's cells: dicts and lists as compact JSON, None as empty, text neutralised
    (:func:`neutral`), the rest unchanged."""
    if not set(map(type, values)) <= _PLAIN:
        values = list(map(_cell, values))
    try:  # one C-level pass over a column of text (all of them, nearly always, are harmless)
        risky = any(map(str.startswith, values, repeat(FORMULA_START)))
    except TypeError:  # not only text
        risky = any(isinstance(v, str) and v.startswith(FORMULA_START) for v in values)
    return list(map(neutral, values)) if risky else values


def rows(report: dict[str, Any], table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    items = report[table]
    if table == "documents":
        cols = ["id", "title", "source", "line", "paragraphs", "chars", "copied_chars", "copy_ratio",
                "copy_ratio_excluding_stock", "stock_ratio", "top_source", "top_source_ratio", "placeholders",
                *BY_CLASS]
        out = []
        for d in items:
            top = d["top_source"] or {}
            out.append([d["id"], d["title"], d["source"], d["line"], d["paragraphs"], d["chars"], d["copied_chars"],
                        d["copy_ratio"], d["copy_ratio_excluding_stock"], d["stock_ratio"],
                        top.get("document", ""), top.get("ratio", ""), d["placeholders"],
                        *["" if v is None else v for v in document_row(d)]])
        return cols, list(zip(*[_column(list(col)) for col in zip(*out)]))
    if table == "passages":
        cols = ["id", "a", "b", "a_start", "a_end", "b_start", "b_end", "a_chars", "b_chars", "matched", "kind",
                "edits", "a_paragraphs", "b_paragraphs", "class"]
    elif table == "clusters":
        cols = ["id", "source", "size", "members"]
        return cols, [(neutral(c["id"]), neutral(c["source"]), len(c["members"]), neutral(" ".join(c["members"])))
                      for c in items]
    else:
        cols = list(items[0].keys()) if items else (
            ["a", "b", "jaccard", "containment", "kind", "spans"] if table == "paragraph_pairs"
            else ["a", "b", "jaccard", "a_in_b", "b_in_a", "shared_paragraphs", "shared_chars", "kind"])
    if not items:
        return cols, []
    # column by column: the type check and the JSON encoding run once per column, not per cell
    return cols, list(zip(*[_column([it[c] for it in items]) for c in cols]))


def to_csv(report: dict[str, Any], table: str) -> str:
    """One table as CSV text (header row first)."""
    cols, data = rows(report, table)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    w.writerows(data)
    return buf.getvalue()
