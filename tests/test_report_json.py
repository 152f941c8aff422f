"""report.json bytes: the fast encoder writes exactly ``json.dumps(indent=1, ensure_ascii=False)``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.api import audit
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


@given(st.dictionaries(_TEXT, _JSON, min_size=1, max_size=5), st.data())
@settings(max_examples=200, deadline=None)
def test_a_rendered_top_level_value_is_written_as_its_plain_encoding(report, data):
    # the writer holds the paragraphs list as finished text; the file is the same bytes
    from chachong.report.json import Rendered

    key = data.draw(st.sampled_from(sorted(report)))
    value = report[key]
    plain = _plain(report)
    text = json.dumps({key: value}, ensure_ascii=False, indent=1)
    head = "{\n " + json.dumps(key, ensure_ascii=False) + ": "
    data_bytes = text[len(head):-2].encode("utf-8")  # the value as it stands after its key
    mixed = dict(report)
    mixed[key] = Rendered(data_bytes, lambda: value)
    assert report_bytes(mixed) == plain


@pytest.mark.parametrize("doc_id", ["d01", 'q"1', "back\\slash", "ctl\x01\n", "报告", '",', "\u2028x"])
def test_rendered_paragraphs_equal_the_plain_report_for_any_document_id(doc_id, tmp_path):
    from chachong.model import Document
    from chachong.report.json import dump_bytes
    from chachong.report.writer import write_report

    from chachong.model import Paragraph

    text = "第一段讲述了本单位全年的主要工作和取得的成绩。\n第二段说明存在的问题和下一步的打算。"
    cut = text.index("\n")

    def doc(did: str) -> Document:
        paras = (Paragraph(f"{did}:p1", did, 0, 0, cut, 1, text[:cut]),
                 Paragraph(f"{did}:p2", did, 1, cut + 1, len(text), 2, text[cut + 1:]))
        return Document(did, "甲", "a.txt", text, 1, paras)

    result = audit([doc(doc_id), doc("z" + doc_id)])
    assert len(report_dict(result)["paragraphs"]) == 4
    plain = _plain(report_dict(result))
    rendered = report_dict(result, rendered=True)
    assert rendered["paragraphs"].value() == report_dict(result)["paragraphs"]
    assert dump_bytes(result) == report_bytes(rendered) == plain
    write_report(result, tmp_path, ["json", "csv"])
    assert (tmp_path / "report.json").read_bytes() == plain


@pytest.mark.parametrize("child_fails", [False, True, "midway"])
def test_report_json_encoded_in_a_second_process_is_the_same_file(tmp_path, monkeypatch, child_fails):
    # a large corpus's report.json is encoded and written by a forked process while the other
    # formats are rendered; the files and their order are those of the plain writer, also when
    # the child fails before or while writing (this process writes the file again)
    import os

    import chachong.report.json as report_json
    from chachong.runtime.background import available
    from chachong.report import writer

    if not available():
        pytest.skip("needs fork")
    monkeypatch.chdir(ROOT)
    result = audit(["examples/compilation.txt"])
    plain = writer.write_report(result, tmp_path / "plain", ["md", "json", "csv"])
    parent = os.getpid()
    real = report_json.report_bytes

    def in_child_fails(report):
        if os.getpid() != parent:
            raise RuntimeError("the second process failed")
        return real(report)

    def half_then_fail(fd, data):
        if os.getpid() != parent:
            os.write(fd, data[: len(data) // 2])
            raise RuntimeError("the second process failed while writing")
        return real_write(fd, data)

    real_write = writer.write_all
    if child_fails == "midway":
        monkeypatch.setattr(writer, "write_all", half_then_fail)
    elif child_fails:
        monkeypatch.setattr(report_json, "report_bytes", in_child_fails)
    monkeypatch.setattr(writer, "_FORK_MIN_CHARS", 0)
    jobs = []
    real_job = writer._json_elsewhere
    monkeypatch.setattr(writer, "_json_elsewhere", lambda *a: jobs.append(real_job(*a)) or jobs[-1])
    forked = writer.write_report(result, tmp_path / "forked", ["md", "json", "csv"])
    assert jobs and jobs[0] is not None  # the second process was used
    assert [p.name for p in forked] == [p.name for p in plain]
    for p in plain:
        assert (tmp_path / "forked" / p.name).read_bytes() == p.read_bytes(), p.name
    assert (tmp_path / "forked" / "report.json").read_bytes() == _plain(report_dict(result))
    assert not [p for p in (tmp_path / "forked").iterdir() if p.name.endswith(".tmp")]
    # --workers 1 keeps the writing in this process too
    assert not writer._json_elsewhere_wanted(audit(["examples/compilation.txt"], workers=1), ("json", "csv"))


def test_a_failing_format_stops_the_json_process_and_leaves_the_old_report(tmp_path, monkeypatch):
    import chachong.report.tables as tables
    from chachong.runtime.background import available
    from chachong.report import writer

    if not available():
        pytest.skip("needs fork")
    monkeypatch.chdir(ROOT)
    result = audit(["examples/compilation.txt"])
    out = tmp_path / "out"
    writer.write_report(result, out, ["json", "csv"])
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(writer, "_FORK_MIN_CHARS", 0)
    jobs = []
    real_job = writer._json_elsewhere
    monkeypatch.setattr(writer, "_json_elsewhere", lambda *a: jobs.append(real_job(*a)) or jobs[-1])

    def broken(report, table):
        raise RuntimeError("a table writer crashed")

    monkeypatch.setattr(tables, "to_csv", broken)
    with pytest.raises(RuntimeError, match="crashed"):
        writer.write_report(result, out, ["json", "csv"])
    assert jobs and jobs[0] is not None and not jobs[0]._proc.is_alive()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old
