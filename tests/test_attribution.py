"""Attribution (issue 19): reference texts, units and years, passage classes and the ratios by class."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.api import audit
from chachong.cli import main
from chachong.config import ConfigError
from chachong.report.json import report_dict
from chachong.stages.attribution import quote_spans

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib does not; for attribution_corpus
from attribution_corpus import LAW, OWN, PATTERN, write_corpus  # noqa: E402


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path)


def test_classes_ratios_and_references(corpus):
    refs, docs = corpus
    r = audit([docs], references=(str(refs),), meta_pattern=PATTERN)
    by_title = {d.title: r.stats[d.id] for d in r.document_records}
    # the reference is matched, never a document
    assert [d.id for d in r.reference_records] == ["r01"]
    assert all(not d.id.startswith("r") for d in r.document_records) and len(r.document_records) == 3
    assert all(not p.a.startswith("r") for p in r.document_pair_records)
    # 乙局 copies the law bare: reference, so nothing is left once quotes are excluded
    yi = by_title["乙局2026年工作总结"]
    assert yi.copy_ratio > 0.7 and yi.copy_ratio_excluding_quotes == 0.0 and yi.top_source["class"] == "reference"
    assert yi.copy_ratio_excluding_own == yi.copy_ratio and yi.own_ratio == 0.0 and (yi.unit, yi.year) == ("乙局", 2026)
    # 甲局 2026 reuses its 2025 report: own, not copying
    jia = by_title["甲局2026年工作总结"]
    assert jia.own_ratio == jia.copy_ratio > 0.5 and jia.copy_ratio_excluding_own == 0.0 and jia.copy_ratio_net == 0.0
    assert jia.top_source["class"] == "own"
    classes = {(p.a, p.b): r.passage_classes[p.id] for p in r.passage_records}
    assert sorted(classes.values()) == ["own", "quoted", "reference", "reference"]
    # report.json: the new fields and the references, beside the old ones
    rep = report_dict(r)
    assert rep["references"] == [{"id": "r01", "title": "中华人民共和国安全生产法", "source": str(refs / "law.txt"),
                                  "chars": len(LAW) + 4}]
    assert {p["class"] for p in rep["passages"]} == {"own", "quoted", "reference"}
    assert rep["year_over_year"] == [{"unit": "甲局", "year": 2026, "document": "d03", "previous_year": 2025,
                                      "previous": "d02", "reused": jia.copy_ratio, "flagged": True}]
    assert all("copy_ratio_excluding_quotes" in d and "own_ratio" in d for d in rep["documents"])
    frame = r.documents
    assert {"copy_ratio_excluding_quotes", "copy_ratio_excluding_own", "copy_ratio_net", "own_ratio",
            "top_source_class", "unit", "year"} <= set(frame.columns)
    assert "class" in r.passages.columns


def test_without_references_or_metadata_only_quoted_and_copied(corpus):
    _, docs = corpus
    r = audit([docs])
    assert not r.reference_records and not r.year_over_year
    assert set(r.passage_classes.values()) <= {"quoted", "copied"} and "quoted" in r.passage_classes.values()
    for d in r.document_records:
        st = r.stats[d.id]
        assert st.own_ratio == 0.0 and st.copy_ratio_excluding_own == st.copy_ratio
        assert st.copy_ratio_excluding_quotes <= st.copy_ratio and st.unit is None


def test_metadata_csv_and_its_errors(corpus, tmp_path):
    _, docs = corpus
    good = tmp_path / "meta.csv"
    good.write_text("path,unit,year\n甲局_2025.txt,甲,2025\n甲局_2026.txt,甲,2026\n", encoding="utf-8")
    r = audit([docs], metadata=str(good))
    assert sorted(((st.unit or ""), st.year or 0) for st in r.stats.values()) == [("", 0), ("甲", 2025), ("甲", 2026)]
    assert len(r.year_over_year) == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("path,unit,year\n甲局_2025.txt,甲,2025\n丙局_2026.txt,丙,2026\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.csv:3: no document has the path '丙局_2026.txt'"):
        audit([docs], metadata=str(bad))
    bad.write_text("title,unit,year\n甲局2025年工作总结,甲,二〇二五\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.csv:2: year '二〇二五' is not a number"):
        audit([docs], metadata=str(bad))
    with pytest.raises(ConfigError, match="no named group year"):
        audit([docs], meta_pattern=r"(?P<unit>[^_]+)_")


def test_cli_options_and_one_line_errors(corpus, tmp_path):
    refs, docs = corpus
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(docs), "--reference", str(refs), "--meta-pattern", PATTERN,
                                    "--max-own-ratio", "0.9", "-o", str(out), "--format", "json,csv,md,html"])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["settings"]["references"] == [str(refs)] and rep["settings"]["max_own_ratio"] == 0.9
    assert rep["year_over_year"][0]["flagged"] is False
    assert "copy_ratio_excluding_quotes" in (out / "documents.csv").read_text(encoding="utf-8").splitlines()[0]
    res = CliRunner().invoke(main, ["audit", str(docs), "--meta-pattern", "(?P<unit>x)", "-o", str(out)])
    assert res.exit_code == 2 and "no named group year" in res.output and "Traceback" not in res.output


def test_a_file_both_reference_and_input_is_a_reference_only(corpus):
    refs, docs = corpus
    r = audit([docs, refs / "law.txt"], references=(str(refs),))
    assert len(r.document_records) == 3 and [d.id for d in r.reference_records] == ["r01"]


_MARKS = "「」『』“”‘’"


@given(st.text(alphabet=st.sampled_from(list(_MARKS + "甲乙丙。\n")), max_size=40))
@settings(max_examples=300, deadline=None)
def test_quote_spans_are_balanced_marked_text(text):
    spans = quote_spans(text)
    for (s, e), nxt in zip(spans, spans[1:] + [(len(text) + 1, 0)]):
        assert 0 <= s < e <= len(text) and e < nxt[0]
        # a span opens on an opening mark and closes on a closing one (pairs merge when they touch)
        assert text[s] in _MARKS[::2] and text[e - 1] in _MARKS[1::2]
    # text with no mark of a pair has no span
    if not any(o in text and c in text for o, c in zip(_MARKS[::2], _MARKS[1::2])):
        assert spans == []


def _pairs_by_every_character(text):
    """The pairing rule as first written, one character at a time (the reference for the mark scan)."""
    opening, closing = dict(zip(_MARKS[::2], _MARKS[1::2])), dict(zip(_MARKS[1::2], _MARKS[::2]))
    spans, stack = [], []
    for i, ch in enumerate(text):
        if ch in opening:
            stack.append((ch, i))
        elif ch in closing:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == closing[ch]:
                    spans.append((stack[depth][1], i + 1))
                    del stack[depth:]
                    break
    return spans


@given(st.text(alphabet=st.sampled_from(list(_MARKS + "甲乙丙。\n《》规定：")), max_size=60))
@settings(max_examples=300, deadline=None)
def test_quote_spans_visit_only_the_marks_with_the_same_result(text):
    from chachong.stages.attribution import _CITED, _SENTENCE_END  # noqa: F401 - the cited rule is unchanged
    from chachong.stages.intervals import merge

    spans = _pairs_by_every_character(text)
    for m in _CITED.finditer(text):
        if m.group().endswith(("：", ":")):
            end = text.find("\n", m.end())
            stop = end if end >= 0 else len(text)
        else:
            found = _SENTENCE_END.search(text, m.end())
            stop = found.end() if found and found.group() != "\n" else (found.start() if found else len(text))
        if stop > m.end():
            spans.append((m.end(), stop))
    assert quote_spans(text) == merge(spans)


def test_check_classes_and_the_ratio_its_limit_applies_to(corpus):
    from chachong.index.check import Limits, check

    refs, docs = corpus
    new = [docs / "甲局_2026.txt", docs / "乙局_2026.txt"]
    settings = {"references": (str(refs),), "meta_pattern": PATTERN}
    total = check(new, against=[docs / "甲局_2025.txt"], settings=settings)
    assert [d.passed for d in total.documents] == [False, False]
    classes = {(d.title[:2], m.document.split("/")[-1]): m.cls for d in total.documents for m in d.matches}
    assert classes == {("甲局", "甲局_2025.txt"): "own", ("乙局", "law.txt"): "reference",
                       ("乙局", "甲局_2025.txt"): "copied"}
    by = {}
    for ratio in ("excluding-quotes", "excluding-own", "net"):
        r = check(new, against=[docs / "甲局_2025.txt"], settings=settings, limits=Limits(ratio=ratio))
        by[ratio] = [(d.passed, d.checked_ratio) for d in r.documents]
        assert r.to_dict()["limits"]["ratio"] == ratio
    jia, yi = (d.copy_ratio for d in total.documents)
    assert by["excluding-quotes"] == [(False, jia), (True, 0.0)]  # own reuse is still counted
    assert by["excluding-own"] == [(True, 0.0), (False, yi)]  # the bare law is still counted
    assert by["net"] == [(True, 0.0), (True, 0.0)]
    # an accepted match is left out of the chosen ratio too (the baseline path)
    from chachong.index.check import Accepted

    r = check(new, against=[docs / "甲局_2025.txt"], settings=settings, limits=Limits(ratio="excluding-own"),
              baseline=[Accepted(str(docs / "乙局_2026.txt"), str(refs / "law.txt"), 1.0)])
    assert r.documents[1].checked_ratio < yi


def test_check_cli_ratio_and_reference(corpus):
    refs, docs = corpus
    args = ["check", str(docs / "乙局_2026.txt"), "--against", str(docs / "甲局_2025.txt"), "--reference", str(refs)]
    assert CliRunner().invoke(main, args).exit_code == 1
    res = CliRunner().invoke(main, [*args, "--ratio", "excluding-quotes", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)["documents"][0]
    assert doc["copy_ratio_excluding_quotes"] == 0.0 and doc["matches"][0]["class"] == "reference"
    res = CliRunner().invoke(main, [*args, "--ratio", "bogus"])
    assert res.exit_code == 2 and "bogus" in res.output
    res = CliRunner().invoke(main, [*args[:-1], str(refs / "missing.txt")])
    assert res.exit_code == 2 and "missing.txt" in res.output and "Traceback" not in res.output


def test_an_index_as_reference_in_audit_and_check(corpus, tmp_path):
    from chachong.index.check import Limits, check
    from chachong.index.index import Index

    refs, docs = corpus
    uri = str(tmp_path / "refs.sqlite")
    Index.build(uri, [refs])
    from_files = audit([docs], references=(str(refs),), meta_pattern=PATTERN)
    from_index = audit([docs], references=(uri,), meta_pattern=PATTERN)
    assert [d.id for d in from_index.reference_records] == ["r01"]
    assert ({k: v.copy_ratio_excluding_quotes for k, v in from_index.stats.items()}
            == {k: v.copy_ratio_excluding_quotes for k, v in from_files.stats.items()})
    r = check([docs / "乙局_2026.txt"], against=[docs / "甲局_2025.txt"], settings={"references": (uri,)},
              limits=Limits(ratio="excluding-quotes"))
    assert r.passed and r.documents[0].matches[0].cls == "reference"


def test_unit_and_year_columns_of_table_sources(tmp_path):
    table = tmp_path / "reports.csv"
    table.write_text("title,text,unit,year\n"
                     f"甲2025,{OWN}第一段。,甲,2025\n甲2026,{OWN}第二段。,甲,2026\n乙2026,{OWN}第三段。,乙,\n",
                     encoding="utf-8")
    r = audit([table], unit_column="unit", year_column="year")
    assert [(r.stats[d.id].unit, r.stats[d.id].year) for d in r.document_records] == [
        ("甲", 2025), ("甲", 2026), ("乙", None)]
    classes = {(p.a, p.b): r.passage_classes[p.id] for p in r.passage_records}
    assert classes[("d01", "d02")] == "own" and classes[("d01", "d03")] == "copied"
    assert r.year_over_year[0]["document"] == "d02" and r.year_over_year[0]["flagged"]
    with pytest.raises(ConfigError, match=r"reports.csv.*no year in column 'jahr'"):
        audit([table], year_column="jahr")
    table.write_text(f"title,text,unit,year\n甲2025,{OWN},甲,去年\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"reports.csv:2: year '去年' is not a number"):
        audit([table], year_column="year")


def test_html_and_markdown_show_classes_formulas_and_year_table(corpus, tmp_path):
    from chachong.report.writer import write_report

    refs, docs = corpus
    meta = tmp_path / "meta.csv"
    meta.write_text("path,unit,year\n甲局_2025.txt,<b>甲</b>,2025\n甲局_2026.txt,<b>甲</b>,2026\n乙局_2026.txt,乙,2026\n",
                    encoding="utf-8")
    r = audit([docs], references=(str(refs),), metadata=str(meta))
    write_report(r, tmp_path / "out", ("html", "md"))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="year-table"' in page and "⚠ 照抄往年" in page and "cl-reference" in page
    assert "<b>甲</b>" not in page and "&lt;b&gt;甲&lt;/b&gt;" in page  # a unit is text, never markup
    assert "去除引用文献复制比" in page and '"classes":[["reference"' in page.replace(" ", "")
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "**copy_ratio_excluding_quotes** = (own + copied characters) / chars" in md
    assert "| excl. quotes | excl. own | net | own |" in md and "照抄往年" in md


def test_a_law_quoted_by_many_documents_is_reference_not_stock(tmp_path):
    """Six units quote the same article: without the law it is a stock paragraph (not copying); with
    it, every quotation is classed reference (stages/cluster.py keeps groups with a reference)."""
    refs, docs = tmp_path / "refs", tmp_path / "docs"
    refs.mkdir()
    docs.mkdir()
    (refs / "law.txt").write_text("示范法\n\n" + LAW + "\n", encoding="utf-8")
    tails = ["加强组织领导，压实各方责任。", "完善制度体系，健全长效机制。", "强化宣传教育，营造良好氛围。",
             "深化专项整治，消除重大隐患。", "提升应急能力，做好值班值守。", "推进信息化建设，提高监管效能。"]
    for i, tail in enumerate(tails):
        (docs / f"单位{i}_2026.txt").write_text(
            f"单位{i}工作总结\n\n{LAW}\n\n{tail * 3}第{i}项工作已经全部完成。\n", encoding="utf-8")
    without = audit([docs])
    assert without.stock_paragraphs and all(st.copy_ratio == 0.0 for st in without.stats.values())
    r = audit([docs], references=(str(refs),))
    assert not r.stock_paragraphs
    for st in r.stats.values():
        assert st.copy_ratio > 0.5 and st.copy_ratio_excluding_quotes == 0.0 and st.top_source["class"] == "reference"


def test_bad_metadata_fails_before_the_audit_runs(corpus, tmp_path, monkeypatch):
    import chachong.engine.local as local

    _, docs = corpus
    bad = tmp_path / "bad.csv"
    bad.write_text("path,unit,year\nnowhere.txt,甲,2025\n", encoding="utf-8")

    def never(*_a, **_k):
        raise AssertionError("the audit ran before the metadata was checked")

    monkeypatch.setattr(local, "prepare", never)
    with pytest.raises(ConfigError, match="bad.csv:2: no document has the path 'nowhere.txt'"):
        audit([docs], metadata=str(bad))


def test_a_document_copied_whole_keeps_its_quoted_slogans_as_copying(tmp_path):
    text = ("全年坚持“两个维护”，落实“三会一课”制度，推进“放管服”改革，营造良好营商环境，"
            "全面完成年度目标任务，群众获得感幸福感安全感持续增强。\n")
    (tmp_path / "a.txt").write_text("甲\n" + text, encoding="utf-8")
    (tmp_path / "b.txt").write_text("乙\n" + text, encoding="utf-8")
    r = audit([tmp_path])
    assert all(st.copy_ratio == st.copy_ratio_excluding_quotes == 1.0 for st in r.stats.values())
    assert set(r.passage_classes.values()) <= {"copied"}
