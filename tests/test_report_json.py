"""report.json bytes: the fast encoder writes exactly ``json.dumps(indent=1, ensure_ascii=False)``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.audit import audit
from chachong.report.json import dumps, report_bytes, report_dict
from chachong.report.tables import TABLES, to_csv

ROOT = Path(__file__).resolve().parents[1]


def _plain(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# strings full of what could confuse a byte scanner: quotes, backslash runs, brackets, commas,
# control characters (escaped), Chinese text and characters outside the BMP
_TEXT = st.text(alphabet=st.sampled_from(list('"\\[]{},: \n\t\x00x报告。，“”𠀀\u2028')), max_size=12)
_SCALAR = st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True) | _TEXT
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=40,
)


@given(_JSON)
@settings(max_examples=400, deadline=None)
def test_report_bytes_equal_indented_json_dumps(obj):
    assert report_bytes(obj) == _plain(obj)


@given(_JSON, st.integers(1, 40))
@settings(max_examples=300, deadline=None)
def test_report_bytes_equal_indented_json_dumps_in_small_pieces(obj, piece):
    # a large report is scanned a piece at a time: escapes, strings and brackets across pieces
    import chachong.report.json as report_json

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_json, "_PIECE", piece)
        assert report_bytes(obj) == _plain(obj)


def test_empty_and_nested_containers():
    for obj in ([], {}, [[]], [{}], {"a": []}, [[[]], {}], {"": {"": [[], [1]]}}, "", 0, None, "[,]"):
        assert report_bytes(obj) == _plain(obj), obj


def test_backslash_runs_before_quotes():
    # an escaped quote ends a run of backslashes of odd length; an even run leaves the quote closing
    for s in ['\\', '\\\\', '"', '\\"', '\\\\"', '\\\\\\"]', '", "x": [', "a\\", "\\\\\\\\"]:
        obj = {s: [s, {s: s}], "k": s}
        assert report_bytes(obj) == _plain(obj), s


def test_example_report_is_plain_indented_json(monkeypatch):
    committed = (ROOT / "reports" / "example" / "report.json").read_bytes()
    assert report_bytes(json.loads(committed)) == committed
    monkeypatch.chdir(ROOT)  # the report names its source as given on the command line
    result = audit(["examples/compilation.txt"])
    report = report_dict(result)
    assert report_bytes(report) == _plain(report) == committed
    assert dumps(result) == committed.decode("utf-8")


def test_seed_report_is_plain_indented_json(seed_result):
    report = report_dict(seed_result)
    assert report_bytes(report) == _plain(report)
    assert dumps(seed_result) == _plain(report).decode("utf-8")


def test_report_dict_is_deterministic_and_left_unchanged_by_csv(seed_result):
    first = report_dict(seed_result)
    before = _plain(first)
    for table in TABLES:
        to_csv(first, table)
    assert _plain(first) == before == _plain(report_dict(seed_result))


def test_written_report_json_is_plain_indented_json_after_every_other_format(tmp_path, seed_result):
    from chachong.report.writer import write_report

    write_report(seed_result, tmp_path, ["html", "md", "csv", "json"])
    assert (tmp_path / "report.json").read_bytes() == _plain(report_dict(seed_result))
