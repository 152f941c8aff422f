"""report.html: content, escaping, self-containment, limits, determinism (no browser here;
tests/test_browser.py opens the page in headless Chromium)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.api import audit
from chachong.cli import main
from chachong.config import AuditConfig
from chachong.model import Document, DocumentPair, Paragraph, ParagraphPair
from chachong.report.html import char_diff, histogram_svg, pack, render, script_json, seriate
from chachong.report.json import report_dict
from chachong.model import DocumentStats
from chachong.result import AuditRecord

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402  (the report tests' corpus and browser driver)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "compilation.txt"
COMMITTED = ROOT / "reports" / "example" / "report.html"


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="chachong-data">(.*?)</script>', page, re.S)
    assert m, "the data block is missing"
    return json.loads(m.group(1))


def outside_data(page: str) -> str:
    return re.sub(r'<script type="application/json" id="chachong-data">.*?</script>', "", page, flags=re.S)


@pytest.fixture(scope="module")
def corpus_result(tmp_path_factory):
    folder = browser.write_corpus(tmp_path_factory.mktemp("corpus"))
    result = audit([folder])
    return result, report_dict(result)


@pytest.fixture(scope="module")
def corpus_page(corpus_result):
    return render(*corpus_result)


# ------------------------------------------------------------------ the committed example, byte for byte
def test_example_report_is_regenerated_byte_identically(tmp_path, monkeypatch):
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    monkeypatch.chdir(ROOT)  # the README's command, run where the README runs it
    pages = []
    for run in ("one", "two"):
        res = CliRunner().invoke(main, ["audit", "examples/compilation.txt", "-o", str(tmp_path / run),
                                        "--format", "html,json"])
        assert res.exit_code == 0, res.output
        pages.append((tmp_path / run / "report.html").read_bytes())
    assert pages[0] == pages[1]
    assert b"d06" in pages[0] and len(pages[0]) < 300_000
    if COMMITTED.is_file():
        assert COMMITTED.read_bytes() == pages[0], (
            "reports/example/report.html is stale; regenerate it with "
            "`chachong audit examples/compilation.txt -o reports/example` and commit it")


def test_example_pair_view_marks_changed_figures():
    if not EXAMPLE.is_file():
        pytest.skip("examples/compilation.txt is absent")
    result = audit([EXAMPLE])
    data = page_data(render(result, report_dict(result)))
    text = {d.id: d.text for d in result.document_records}
    view = data["views"]["d01~d05"]  # the template copy (examples/README.md plant 2)
    left = [text["d01"][s:e] for s, e, _ in view["da"]]
    right = [text["d05"][s:e] for s, e, _ in view["db"]]
    assert "3862" in left and "4105" in right and "12.4" in left and "9.8" in right
    assert any("张庄" in x for x in left) and any("李集" in x for x in right)  # changed names are marked too
    assert "d06~d07" in data["views"] and not data["views"]["d06~d07"]["da"]  # identical: nothing differs


# ------------------------------------------------------------------ content
def test_overview_names_groups_counts_settings_and_formulas(corpus_result, corpus_page):
    _, report = corpus_result
    groups = re.search(r'<ul class="groups" id="duplicate-groups">(.*?)</ul>', corpus_page, re.S).group(1)
    # d01 = d02 identical, d03 a near-duplicate of both: one group of three, its links listed
    assert groups.count("<li>") == 1 and "近似重复 near-duplicate" in groups
    title = html.escape(browser.A_TITLE)
    assert f'<a href="#doc=d01">d01 {title}</a> = <a href="#doc=d02">d02 {title}</a> (Jaccard 1.000)' in groups
    assert groups.count(" ≈ ") == 2 and "#pair=d01~d02" in groups and "#pair=d02~d03" in groups
    formulas = re.search(r'<table id="formulas">(.*?)</table>', corpus_page, re.S).group(1)
    for key, formula in report["formulas"].items():
        assert f"<tr><th>{key}</th><td>{html.escape(formula)}</td></tr>" in formulas
    assert "<tr><th>min_span</th><td>13</td></tr>" in corpus_page
    copied = sum(d["copied_chars"] for d in report["documents"])
    assert f"<b>{copied:,}</b>" in corpus_page
    assert "<b>2</b><span>完全相同的文档 identical documents (1 组 groups)</span>" in corpus_page
    assert "<b>1</b><span>近似重复组 near-duplicate groups</span>" in corpus_page


def test_overview_ranks_documents_with_their_top_source_and_folds_the_settings(corpus_result, corpus_page):
    from chachong.report.html_sections import RANK_LIMIT
    from chachong.report.sheet import ranked_documents

    result, report = corpus_result
    table = re.search(r'<table id="ranked" class="rows">(.*?)</table>', corpus_page, re.S).group(1)
    rows = re.findall(r'<tr data-id="(d\d+)"><td class="num">(\d+)</td>(.*?)</tr>', table, re.S)
    ranked = ranked_documents(report["documents"])
    assert [(r[0], int(r[1])) for r in rows] == [(d["id"], n) for n, d in enumerate(ranked[:RANK_LIMIT], 1)]
    for (doc_id, _, cells), d in zip(rows, ranked):
        assert f'<a href="#doc={doc_id}">{doc_id} {html.escape(d["title"])}</a>' in cells
        assert f'>{d["copy_ratio"] * 100:.1f}%</td>' in cells and f'<a href="#sheet={doc_id}">' in cells
        top = d["top_source"]["document"]
        assert f'<a href="#doc={top}">' in cells and f'{d["top_source"]["ratio"] * 100:.1f}%' in cells
    # the overview comes before every other section; settings and formulas are folded, in a section of their own
    assert corpus_page.index('<table id="ranked"') < corpus_page.index('id="duplicate-groups"') < corpus_page.index(
        '<section id="documents">')
    settings = re.search(r'<section id="settings">(.*?)</section>', corpus_page, re.S).group(1)
    assert settings.count("<details>") == 2 and "<details open" not in corpus_page
    assert '<table id="settings-table">' in settings and '<table id="formulas">' in settings


def test_file_names_in_the_header_are_escaped(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = "\n".join([browser.HOSTILE_TITLE, *browser.HOSTILE_PARAS]) + "\n"
    (folder / browser.HOSTILE_FILE).write_text(text, encoding="utf-8")
    (folder / "07_copy.txt").write_text(text, encoding="utf-8")
    result = audit([folder])
    page = render(result, report_dict(result))
    assert html.escape(str(folder / browser.HOSTILE_FILE)) in outside_data(page)
    assert "<img" not in page and page.count("<script") == 2


def test_data_block_carries_views_texts_and_marks(corpus_result, corpus_page):
    result, report = corpus_result
    data = page_data(corpus_page)
    assert [d["id"] for d in data["docs"]] == [d.id for d in result.document_records]
    assert set(data["views"]) == {f"{p['a']}~{p['b']}" for p in report["document_pairs"]}
    texts = {d.id: d.text for d in result.document_records}
    # identical texts are stored once
    assert data["docs"][0]["text"] == data["docs"][1]["text"]
    assert len(data["texts"]) == len(set(texts.values()))
    for d in data["docs"]:
        assert data["texts"][d["text"]] == texts[d["id"]]
    # spans are twins: the copied paragraph of d04 in d05 reads the same on both sides
    view = data["views"]["d04~d05"]
    assert view["spans"] and not view["da"] and not view["db"]
    for a0, a1, b0, b1, *_ in view["spans"]:
        assert texts["d04"][a0:a1] == texts["d05"][b0:b1]
    # changed figures are marked inside the copy d01 -> d03, and only in copied passages
    view = data["views"]["d01~d03"]
    assert "2716" in [texts["d01"][s:e] for s, e, _ in view["da"]]
    assert "3094" in [texts["d03"][s:e] for s, e, _ in view["db"]]
    for s, e, _ in view["da"]:
        assert any(sp[0] <= s and e <= sp[1] for sp in view["spans"])
    # the document view's marks are the audit's copied intervals
    assert data["marks"]["d04"]["copied"] == [[src, pack(ivs)] for src, ivs in sorted(result.stats["d04"].copied.items())]
    src, flat = data["marks"]["d04"]["copied"][0]
    assert flat[0] == result.stats["d04"].copied[src][0][0]
    # the matrix holds every document, groups contiguous
    order = data["order"]
    assert sorted(order) == [d.id for d in result.document_records]
    pos = sorted(order.index(x) for x in ("d01", "d02", "d03"))
    assert pos == list(range(pos[0], pos[0] + 3))


def test_page_is_self_contained_with_a_strict_policy(corpus_page):
    page = corpus_page
    refs = re.findall(r'\b(?:src|href|action|srcset|poster|data)\s*=\s*"([^"]*)"', outside_data(page))
    assert refs and all(r.startswith("#") for r in refs), [r for r in refs if not r.startswith("#")]
    assert "url(" not in page and "@import" not in page
    assert re.findall(r"https?://[^\s\"'<]+", page) == ["http://www.w3.org/2000/svg"]  # an SVG namespace, not a request
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src &#x27;none&#x27;" in csp and f"sha256-{digest}" in csp
    assert page.count("<script") == 2 and page.count("</script>") == 2


def test_hostile_text_stays_text(corpus_result, corpus_page):
    result, _ = corpus_result
    page = corpus_page
    markup = outside_data(page)
    for s in browser.HOSTILE_STRINGS:
        assert s not in page
    assert "<img" not in page and "<svg onload" not in page and "</textarea>" not in page
    assert page.count("<script") == 2
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in markup  # the title, escaped in the overview tables
    data = page_data(page)
    assert "\u2028" not in page.split('id="chachong-data">')[1].split("</script>")[0]
    hostile = next(d for d in data["docs"] if d["title"] == browser.HOSTILE_TITLE)
    assert hostile["source"].endswith(browser.HOSTILE_FILE)
    assert data["texts"][hostile["text"]] == result.document(hostile["id"]).text


def test_stock_phrases_boilerplate_and_placeholders_render(corpus_result):
    result, _ = corpus_result
    res = replace(result, stats=dict(result.stats))
    res.stats["d04"] = replace(result.stats["d04"], stock=[(0, 4), (2, 8)], boilerplate=[(10, 14, "placeholder")],
                               placeholders=1, stock_ratio=8 / len(result.document("d04").text))
    res.stock_phrase_records = [{"phrase": "今年以来<b>", "documents": 7, "occurrences": 9,
                          "examples": [{"document": "d04", "start": 0, "end": 4}]}]
    res.boilerplate_records = [{"text": "【广告】关注公众号</td><script>", "kind": "repeated-line", "occurrences": 3,
                        "locations": [{"document": "d04", "line": 3}, {"document": "d05", "line": 4},
                                      {"document": None, "line": 40}]}]
    res.stock_paragraphs = [{"text": "现在，我代表<i>", "documents": 6, "independent_documents": 6,
                             "members": ["d01:p001", "d02:p001"]}]
    page = render(res, report_dict(res))
    table = re.search(r'<table id="stock-phrases">(.*?)</table>', page, re.S).group(1)
    assert "<td>今年以来&lt;b&gt;</td><td class=num>7</td><td class=num></td><td class=num>9</td>" in table
    assert "<td>1 · d04</td>" in table
    table = re.search(r'<table id="boilerplate-table">(.*?)</table>', page, re.S).group(1)
    assert "【广告】关注公众号&lt;/td&gt;&lt;script&gt;" in table and "3 · d04, d05, line 40" in table
    assert "现在，我代表&lt;i&gt;" in page
    marks = page_data(page)["marks"]["d04"]
    assert marks["stock"] == [0, 8] and marks["boiler"] == [[10, 14, "placeholder"]]
    assert "<b>1</b><span>模板残留 boilerplate findings · 1 占位符 placeholders</span>" in page


# ------------------------------------------------------------------ big corpora
def fake_result(n_docs: int, chars: int = 60) -> AuditResult:
    """n documents of one paragraph each; d(i) copies half of d(i-1) when i is odd."""
    width = len(str(n_docs))
    docs, stats, dpairs, ppairs = [], {}, [], []
    for i in range(n_docs):
        did = f"d{i + 1:0{width}d}"
        text = (f"第{i}篇" + "文" * chars)[:chars]
        docs.append(Document(did, f"标题{i}", f"f{i}.txt", text, 1, (Paragraph(f"{did}:p001", did, 0, 0, chars, 2, text),)))
        stats[did] = DocumentStats()
    for i in range(1, n_docs, 2):
        a, b = docs[i - 1].id, docs[i].id
        ratio = round(0.5 + 0.5 * i / n_docs, 4)
        half = int(chars * ratio)
        dpairs.append(DocumentPair(a, b, ratio, ratio, ratio, 1, half, "partial"))
        ppairs.append(ParagraphPair(f"{a}:p001", f"{b}:p001", ratio, ratio, "contained", ((0, half, 0, half),)))
        for x, y in ((a, b), (b, a)):
            stats[x] = DocumentStats(copied_chars=half, copy_ratio=ratio, copy_ratio_excluding_stock=ratio,
                                     top_source={"document": y, "ratio": ratio},
                                     sources=[{"document": y, "ratio": ratio}], copied={y: [(0, half)]})
    return AuditRecord(AuditConfig(), docs, ppairs, dpairs, [], stats)


def test_limits_cap_views_texts_table_and_matrix_and_are_printed():
    result = fake_result(400)
    report = report_dict(result)
    page = render(result, report, pair_limit=5, text_budget=600, table_limit=50, matrix_limit=20)
    data = page_data(page)
    best = sorted(report["document_pairs"], key=lambda p: -p["a_in_b"])[:5]
    assert set(data["views"]) == {f"{p['a']}~{p['b']}" for p in best}
    assert sum(len(t) for t in data["texts"]) <= 600 and len(data["texts"]) == 10
    embedded = {d["id"] for d in data["docs"] if d["text"] is not None}
    assert embedded == {x for p in best for x in (p["a"], p["b"])}  # the top pairs' documents come first
    assert 50 <= len(data["docs"]) <= 50 + 20 + 10
    assert len(data["order"]) == 20
    for needle in ("the top 5 of 200 document pairs", "10 of 400 documents", "of 400 documents (limit 50",
                   "Matrix: 20 of 400 documents (limit 20"):
        assert needle in page, needle


def test_page_grows_with_the_limits_not_with_the_corpus():
    small_result = fake_result(2_000)
    small = render(small_result, report_dict(small_result), table_limit=500)
    big_result = fake_result(20_000)
    big = render(big_result, report_dict(big_result), table_limit=500)
    assert len(big) < 1.2 * len(small) + 200_000
    assert len(big.encode()) < 2_000_000


def test_city_reports_page_is_under_5_mb(gwr_path, tmp_path):
    result = audit([gwr_path])
    page = render(result, report_dict(result))
    assert len(page.encode("utf-8")) < 5_000_000
    data = page_data(page)
    for a, b in (("d022", "d108"), ("d022", "d110"), ("d108", "d110")):
        assert f"{a}~{b}" in data["views"]


# ------------------------------------------------------------------ helpers, exactly
@given(st.lists(st.sampled_from(list("<>&\u2028\u2029\"'/\\ 文a!-") + ["</script>", "<!--", "]]>"]), max_size=20).map("".join))
def test_script_json_never_closes_the_script_and_round_trips(s):
    out = script_json({"t": s, "l": [s]})
    assert not re.search("[<>&\u2028\u2029]", out)
    assert json.loads(out) == {"t": s, "l": [s]}


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.floats(0.01, 1.0)), max_size=30))
def test_seriate_is_a_permutation_with_every_linked_group_contiguous(links):
    ids = [f"d{i:02d}" for i in range(12)]
    pairs = [(ids[min(a, b)], ids[max(a, b)], s) for a, b, s in links if a != b]
    order = seriate(ids, pairs)
    assert sorted(order) == ids
    parent = {d: d for d in ids}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b, _ in pairs:
        parent[find(a)] = find(b)
    comps: dict[str, list[int]] = {}
    for i, d in enumerate(order):
        comps.setdefault(find(d), []).append(i)
    for positions in comps.values():
        assert positions == list(range(positions[0], positions[0] + len(positions)))


@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 30)), max_size=20))
def test_pack_round_trips_to_merged_intervals(raw):
    intervals = [(s, s + n) for s, n in raw]
    flat = pack(intervals)
    out, end = [], 0
    for gap, length in zip(flat[::2], flat[1::2]):
        out.append((end + gap, end + gap + length))
        end += gap + length
    covered = {i for s, e in intervals for i in range(s, e)}
    assert {i for s, e in out for i in range(s, e)} == covered
    assert all(gap >= 0 and length > 0 for gap, length in zip(flat[::2], flat[1::2]))
    assert all(b[0] > a[1] for a, b in zip(out, out[1:]))  # merged: disjoint and not touching


@given(st.text(alphabet="甲乙丙丁戊，。", max_size=30), st.text(alphabet="甲乙丙丁戊，。", max_size=30))
def test_char_diff_leaves_equal_residues(a, b):
    da, db = char_diff(a, b)
    keep_a = "".join(c for i, c in enumerate(a) if not any(s <= i < e for s, e in da))
    keep_b = "".join(c for i, c in enumerate(b) if not any(s <= i < e for s, e in db))
    assert keep_a == keep_b
    assert (not da and not db) == (a == b)


def test_histogram_stacks_kinds_per_bin():
    svg = histogram_svg([(1.0, "identical"), (0.97, "identical"), (0.96, "near-duplicate"), (0.12, "contained")])
    assert svg.count("<rect") == 3
    assert "<title>0.95–1.00: 2 identical</title>" in svg
    assert "<title>0.95–1.00: 1 near-duplicate</title>" in svg
    assert "<title>0.10–0.15: 1 contained</title>" in svg
    assert "Jaccard (4 pairs)" in svg


def test_cli_writes_html_by_default(tmp_path):
    folder = browser.write_corpus(tmp_path / "in", hostile=False)
    res = CliRunner().invoke(main, ["audit", str(folder), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "d01~d02" in page
