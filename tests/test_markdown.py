"""report.md: the Markdown summary for a CI step summary or a review comment."""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from chachong.api import audit
from chachong.cli import main
from chachong.report.json import report_dict
from chachong.report.markdown import md_escape, render

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402  (the report tests' corpus)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"


@pytest.fixture(scope="module")
def corpus_result(tmp_path_factory):
    result = audit([browser.write_corpus(tmp_path_factory.mktemp("corpus"))])
    return result, report_dict(result)


def section(md: str, heading: str) -> str:
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", md, re.S | re.M)
    assert m, heading
    return m.group(1)


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_summary_counts_groups_pairs_and_ratios(corpus_result):
    result, report = corpus_result
    md = render(result, report)
    a = f"d01 {browser.A_TITLE}"
    assert "| 完全相同的文档 identical documents | 2 (1 group) |" in md
    assert "| 近似重复组 near-duplicate groups | 1 |" in md
    copied = sum(d["copied_chars"] for d in report["documents"])
    total = report["corpus"]["chars"]
    assert f"| 复制字数 copied characters | {copied:,} ({copied / total * 100:.1f}%) |" in md
    groups = section(md, "完全相同与近似重复 Identical and near-duplicate documents")
    assert f"- **near-duplicate 近似重复**: {a} = d02 {browser.A_TITLE} (Jaccard 1.000); " in groups
    pairs = section(md, "文档对 Top document pairs").strip().splitlines()
    assert pairs[2] == f"| {a} | d02 {browser.A_TITLE} | identical | 100.0% | 100.0% | 1.000 |"
    ratios = section(md, "复制比最高 Highest copy ratios").strip().splitlines()
    top = next(d for d in report["documents"] if d["id"] == "d03")
    assert (f"| d03 {browser.C_TITLE} | {top['chars']:,} | {top['copy_ratio'] * 100:.1f}% | "
            f"{top['copy_ratio_excluding_stock'] * 100:.1f}% | ") in "\n".join(ratios)
    # ranked by copy ratio: d01 and d02 (100 %) before d03
    ids = [m.group(1) for m in (re.match(r"\| (d\d+) ", line) for line in ratios) if m]
    assert ids[:2] == ["d01", "d02"] and ids.index("d03") == 2


def test_hostile_titles_cannot_break_tables_or_inject_markup(corpus_result):
    result, report = corpus_result
    md = render(result, report)
    assert "<script>" not in md and "<img" not in md
    assert "\\<script\\>window.\\_\\_xss=1\\</script\\>" in md


def test_table_rows_have_as_many_cells_as_their_header(corpus_result):
    result, report = corpus_result
    lines = render(result, report).splitlines()
    header = None
    for line in lines:
        if not line.startswith("|"):
            header = None
            continue
        if header is None:
            header = unescaped_pipes(line)
        assert unescaped_pipes(line) == header, line


def test_stock_phrases_and_boilerplate_listed_when_present(corpus_result):
    result, _ = corpus_result
    res = replace(result)
    res.stock_phrase_records = [{"phrase": "切实加强|*", "documents": 8, "occurrences": 12}]
    res.boilerplate_records = [{"text": "【广告】[点此](http://x)", "kind": "repeated-line", "occurrences": 2}]
    md = render(res, report_dict(res))
    assert "| 切实加强\\|\\* | 8 | 12 |" in section(md, "套话 Stock phrases")
    assert "| 【广告】\\[点此\\](http://x) | repeated-line | 2 |" in section(md, "模板残留 Boilerplate")
    none = replace(result)
    none.stock_phrase_records, none.boilerplate_records = [], []
    bare = render(none, report_dict(none))
    assert "## 套话" not in bare and "## 模板残留" not in bare  # absent when there are none


def test_top_cuts_long_lists_and_says_so(corpus_result):
    result, report = corpus_result
    md = render(result, report, top=1)
    rows = [x for x in section(md, "文档对 Top document pairs").splitlines() if re.match(r"\| d\d+ ", x)]
    assert len(rows) == 1
    assert f"{len(report['document_pairs']) - 1} more pairs in report.json." in md


@given(st.text(max_size=60))
def test_md_escape_is_one_line_without_live_markup(s):
    out = md_escape(s, limit=200)
    assert "\n" not in out and "\r" not in out
    assert not re.search(r"(?<!\\)[|<>\[\]`*_]", out)


def test_example_summary_is_deterministic_and_names_the_identical_pair(tmp_path, monkeypatch):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    monkeypatch.chdir(EXAMPLE.parents[1])
    outs = []
    for run in ("one", "two"):
        res = CliRunner().invoke(main, ["audit", "examples/compilation.txt", "-o", str(tmp_path / run), "--format", "md"])
        assert res.exit_code == 0, res.output
        outs.append((tmp_path / run / "report.md").read_bytes())
        assert not (tmp_path / run / "report.html").exists()
    assert outs[0] == outs[1]
    md = outs[0].decode("utf-8")
    assert "- **identical 完全相同**: d06 区卫生健康委员会2023年工作总结 = d07 区卫生健康委员会2023年工作总结" in md
    result = audit(["examples/compilation.txt"])
    assert md == render(result, report_dict(result))


def test_per_document_summaries_give_figures_sources_and_copied_passages(corpus_result):
    from chachong.report.sheet import fragments, ranked_documents

    result, report = corpus_result
    md = render(result, report, top=3)
    sheets = section(md, "单篇检测报告单 Per-document summaries")
    ranked = ranked_documents(report["documents"])
    heads = re.findall(r"^### (d\d+) ", sheets, re.M)
    assert heads == [d["id"] for d in ranked[:3]]
    assert f"{len(ranked) - 3} more documents with copied passages" in sheets
    texts = {d.id: d.text for d in result.document_records}
    for d in ranked[:3]:
        part = sheets.split(f"### {d['id']} ")[1].split("\n### ")[0]
        assert f"文字复制比 copy ratio **{d['copy_ratio'] * 100:.1f}%** · 去除套话 excl. stock " \
               f"{d['copy_ratio_excluding_stock'] * 100:.1f}%" in part
        sources = re.findall(r"^\| \d+ \| (d\d+) .*\| (\d+\.\d)% \|$", part, re.M)
        assert sources == [(s["document"], f"{s['ratio'] * 100:.1f}") for s in d["sources"]]
        frags = fragments(result.stats[d["id"]].copied, texts[d["id"]], d["line"], [s["document"] for s in d["sources"]])
        rows = [line for line in part.splitlines() if re.match(r"\| \d+ \| .* \| line \d+ · ", line)]
        assert len(rows) == len(frags) >= 1
        for row, f in zip(rows, frags):
            assert f"| line {f.line} · {f.start}–{f.end} | {f.end - f.start:,} | {' '.join(f.sources)} |" in row
            assert unescaped_pipes(row) == 6  # the passage's own text cannot break the table


def test_hostile_titles_stay_text_in_the_summaries(corpus_result):
    result, report = corpus_result
    md = render(result, report, top=20)
    assert "<script>" not in md and "\\<script\\>" in md
    tables = re.findall(r"(?:^\|.*\n)+", md, re.M)  # every row of a table has its header's cells
    assert len(tables) >= 8
    for table in tables:
        counts = {unescaped_pipes(line) for line in table.splitlines()}
        assert len(counts) == 1, table
