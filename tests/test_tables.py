"""CSV tables: cells converted a column at a time equal the plain cell-by-cell conversion, and no text
cell reaches a spreadsheet as a formula."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.report.tables import to_csv

_VALUE = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
          | st.text(alphabet=st.sampled_from(list('a,"\n报 \\=+-@\t\r')), max_size=5)
          | st.lists(st.integers(0, 9), max_size=3) | st.dictionaries(st.sampled_from("xy"), st.integers(0, 9), max_size=2))


def _reference(cols: list[str], items: list[dict]) -> str:
    def cell(v):
        if isinstance(v, (dict, list)):
            v = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + v  # a spreadsheet would run it as a formula
        return "" if v is None else v

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for it in items:
        w.writerow([cell(it[c]) for c in cols])
    return buf.getvalue()


@given(st.lists(st.fixed_dictionaries({"a": _VALUE, "b": _VALUE, "kind": _VALUE}), max_size=6))
@settings(max_examples=300, deadline=None)
def test_pair_tables_equal_cell_by_cell_conversion(items):
    for table in ("document_pairs", "paragraph_pairs"):
        if items:
            assert to_csv({table: items}, table) == _reference(list(items[0]), items)


_PASSAGE_COLS = ["id", "a", "b", "a_start", "a_end", "b_start", "b_end", "a_chars", "b_chars", "matched", "kind",
                 "edits", "a_paragraphs", "b_paragraphs", "class"]


@given(st.lists(st.fixed_dictionaries({c: _VALUE for c in _PASSAGE_COLS}), max_size=5))
@settings(max_examples=200, deadline=None)
def test_passages_table_equals_cell_by_cell_conversion(items):
    assert to_csv({"passages": items}, "passages") == _reference(_PASSAGE_COLS, items)
