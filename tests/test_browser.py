"""report.html in a real browser: headless Chromium (Debian's ``chromium``) over the DevTools
protocol. Screenshots are saved in each test's tmp dir (the path is printed)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from chachong.api import audit
from chachong.report.html import render
from chachong.report.json import report_dict
from chachong.report.sheet import fragments, ranked_documents

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402  (the report tests' corpus and browser driver)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    pytest.importorskip("websocket", reason="websocket-client is not installed: pip install -e '.[test]'")
    binary = browser.find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/setup.sh installs it for CI)")
    with browser.Chromium(binary, tmp_path_factory.mktemp("profile")) as b:
        yield b


def write_page(result, path: Path) -> Path:
    path.write_text(render(result, report_dict(result)), encoding="utf-8")
    return path


def ranked_ids(result) -> list[str]:
    return [d["id"] for d in ranked_documents(report_dict(result)["documents"])]


def identical_pair(result) -> tuple[str, str]:
    pair = next(p for p in sorted(result.document_pair_records, key=lambda p: (p.a, p.b)) if p.kind == "identical")
    return pair.a, pair.b


def rect(b, selector: str) -> dict:
    return b.js(f"(() => {{ const r = document.querySelector({selector!r}).getClientRects()[0]; "
                "return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })()")


def visible(b, selector: str) -> bool:
    """Whether the element is displayed and lies wholly inside the window, unscrolled or not."""
    return b.js(f"(() => {{ const e = document.querySelector({selector!r}); if (!e) return false;"
                " const r = e.getBoundingClientRect(); return r.height > 0 && r.top >= 0"
                " && r.bottom <= window.innerHeight && r.right <= window.innerWidth; })()")


def first_screen(b, ranked: list[str]) -> None:
    assert b.js("scrollY") == 0
    assert b.js("Array.from(document.querySelectorAll('#ranked tbody tr')).map(r => r.dataset.id)") == ranked[:10]
    assert visible(b, "#ranked") and visible(b, "#duplicate-groups"), b.js("innerHeight")
    for folded in ("#settings-table", "#formulas"):
        assert b.js(f"document.querySelector({folded!r}).closest('details').open") is False
        assert not b.js(f"document.querySelector({folded!r}).getClientRects().length")


def check_report(b, page: Path, a: str, z: str, shots: Path, n_docs: int, ranked: list[str]) -> None:
    """Open a report and check the overview, the matrix and the twin jump for the identical pair a, z."""
    b.open(page)
    b.screenshot(shots / "overview.png")
    assert b.problems() == []
    assert b.js("document.querySelectorAll('#documents-table tbody tr').length") == min(n_docs, 100)
    # no unit or year given: the columns of own reuse would repeat the others, so they are left out
    heads = b.js("Array.from(document.querySelectorAll('#documents-table th small')).map(s => s.textContent)")
    assert "excl. quotes" in heads and not {"excl. own", "net", "own", "unit", "year"} & set(heads), heads
    cells = b.js("Array.from(document.querySelectorAll('#documents-table tbody tr')).map(r => r.children.length)")
    assert set(cells) == {len(heads)}, (cells, heads)

    # the overview names the identical pair
    groups = b.js("Array.from(document.querySelectorAll('#duplicate-groups li')).map(li => li.textContent)")
    assert any(re.search(rf"\b{a} [^=≈;]*= {z} ", g) for g in groups), groups

    # the first screen answers first: the documents ranked by copy ratio and the duplicate groups,
    # visible without scrolling in a 1280 x 900 window; settings and formulas folded in their own tab
    first_screen(b, ranked)

    # the matrix: the pair's cell is full red, the two rows are neighbours, hover and click work
    b.js("location.hash = 'matrix'")
    b.pump(0.2)
    m = b.js("(() => { const c = document.getElementById('matrix-canvas'); const r = c.getBoundingClientRect();"
             " return {order: c.dataset.order.split(' '), cell: +c.dataset.cell, off: +c.dataset.offset,"
             " left: r.left, top: r.top}; })()")
    i, j = m["order"].index(a), m["order"].index(z)
    assert abs(i - j) == 1
    x = m["left"] + m["off"] + j * m["cell"] + m["cell"] / 2
    y = m["top"] + m["off"] + i * m["cell"] + m["cell"] / 2
    pixel = b.js(f"(() => {{ const c = document.getElementById('matrix-canvas'); const k = window.devicePixelRatio || 1;"
                 f" return Array.from(c.getContext('2d').getImageData(Math.floor(({x} - {m['left']}) * k),"
                 f" Math.floor(({y} - {m['top']}) * k), 1, 1).data); }})()")
    assert pixel[:3] == [201, 42, 42]
    b.hover(x, y)
    tip = b.js("document.getElementById('matrix-tip').textContent")
    assert a in tip and z in tip and "identical" in tip and "100.0%" in tip
    b.screenshot(shots / "matrix.png")
    b.click(x, y)
    assert b.js("location.hash") == f"#pair={a}~{z}"
    assert b.js("!!document.getElementById('pair-view') && document.getElementById('main').hidden")
    b.screenshot(shots / "pair.png")
    assert b.problems() == []

    # clicking a copied passage deep in the left text scrolls the same place of the twin into view
    b.js("(() => { for (const id of ['pv-a', 'pv-b']) document.getElementById(id).style.maxHeight = '120px';"
         " const all = Array.from(document.querySelectorAll('#pv-a [data-passage]')).filter(e => e.textContent.trim());"
         " window.__from = all[all.length - 1];"
         " window.__from.scrollIntoView({block: 'center'}); document.getElementById('pv-b').scrollTop = 0; })()")
    b.pump(0.1)
    last_b = ("(() => { const all = Array.from(document.querySelectorAll('#pv-b [data-passage]'))"
              ".filter(e => e.textContent.trim()); return all[all.length - 1]; })()")
    last = b.js(last_b + ".textContent")
    assert last == b.js("window.__from.textContent")  # identical documents: the same last line
    col = rect(b, "#pv-b")
    before = b.js(last_b + ".getClientRects()[0].top")
    assert before > col["bottom"], "the twin must start out of view"
    src = b.js("(() => { const c = document.getElementById('pv-a').getBoundingClientRect();"
               " const r = Array.from(window.__from.getClientRects()).find(r => r.top >= c.top && r.bottom <= c.bottom);"
               " return [(r.left + r.right) / 2, (r.top + r.bottom) / 2]; })()")
    b.click(*src)
    assert b.js("document.querySelectorAll('#pv-b [data-jumped]').length") == 1
    twin = rect(b, "#pv-b [data-jumped]")
    col = rect(b, "#pv-b")
    assert col["top"] - 1 <= twin["top"] and twin["bottom"] <= col["bottom"] + 1, (col, twin)
    assert b.js("document.querySelector('#pv-b [data-jumped]').textContent") == last
    assert b.js("document.getElementById('pv-b').scrollTop") > 0
    b.screenshot(shots / "jump.png")

    # the document view marks copied text with its source on hover
    b.js(f"location.hash = 'doc={a}'")
    b.pump(0.2)
    titles = b.js("Array.from(document.querySelectorAll('#doc-text .cp')).map(e => e.title)")
    assert titles and any(z in t for t in titles)
    b.screenshot(shots / "document.png")
    assert b.problems() == []
    assert all(u.startswith("file://") for u in b.requests()), b.requests()


def test_example_report_in_a_browser(chromium, tmp_path):
    source = EXAMPLE if EXAMPLE.is_file() else browser.write_corpus(tmp_path / "in", hostile=False)
    result = audit([source])
    page = write_page(result, tmp_path / "report.html")
    a, z = identical_pair(result)
    check_report(chromium, page, a, z, tmp_path, len(result.document_records), ranked_ids(result))
    print(f"screenshots: {tmp_path}")


def test_seed_report_in_a_browser(chromium, seed_result, tmp_path):
    page = write_page(seed_result, tmp_path / "report.html")
    a, z = identical_pair(seed_result)
    check_report(chromium, page, a, z, tmp_path, len(seed_result.document_records), ranked_ids(seed_result))
    print(f"screenshots: {tmp_path}")


def test_hostile_text_does_not_execute(chromium, tmp_path):
    b = chromium
    result = audit([browser.write_corpus(tmp_path / "in")])
    hostile = next(d for d in result.document_records if d.title == browser.HOSTILE_TITLE)
    page = write_page(result, tmp_path / "report.html")
    b.open(page)
    no_markup = ("(() => ({xss: typeof window.__xss, scripts: document.scripts.length,"
                 " embeds: document.querySelectorAll('img, iframe, object, embed, textarea, svg[onload]').length,"
                 " handlers: Array.from(document.querySelectorAll('*')).filter(e =>"
                 " Array.from(e.attributes).some(a => a.name.startsWith('on'))).length}))()")
    clean = {"xss": "undefined", "scripts": 2, "embeds": 0, "handlers": 0}
    assert b.js(no_markup) == clean
    # the documents table, filtered by the hostile title itself
    b.js("(() => { const i = document.querySelector('#doc-table input'); i.value = '<script>';"
         " i.dispatchEvent(new Event('input')); })()")
    rows = b.js("Array.from(document.querySelectorAll('#documents-table tbody tr')).map(r => r.textContent)")
    assert len(rows) == 1 and browser.HOSTILE_TITLE in rows[0]
    assert b.js(no_markup) == clean
    views = [f"doc={hostile.id}", f"sheet={hostile.id}"] + [f"pair={p.a}~{p.b}" for p in result.document_pair_records
                                                          if hostile.id in (p.a, p.b)]
    for view in views:
        b.js(f"location.hash = {view!r}")
        b.pump(0.2)
        assert b.js(no_markup) == clean, view
        shown = b.js("document.getElementById('view').textContent")
        assert browser.HOSTILE_TITLE in shown
        if view.startswith("doc="):
            assert b.js("document.getElementById('doc-text').textContent") == hostile.text
            assert hostile.source in shown  # the file name, as text
        elif view.startswith("sheet="):
            assert hostile.source in shown and b.js("document.querySelectorAll('#sheet-fragments tbody tr').length")
            b.screenshot(tmp_path / "hostile-sheet.png")
        else:
            side = "b" if view.endswith(hostile.id) else "a"
            assert b.js(f"document.getElementById('pv-{side}').textContent") == hostile.text
            b.js("document.querySelector('#pv-b [data-passage]').click()")
            b.screenshot(tmp_path / "hostile-pair.png")
    b.js("location.hash = 'matrix'")
    b.pump(0.2)
    b.screenshot(tmp_path / "hostile-matrix.png")
    assert b.js(no_markup) == clean
    assert b.problems() == []
    assert all(u.startswith("file://") for u in b.requests()), b.requests()
    print(f"screenshots: {tmp_path}")


def test_deep_links_open_their_view_when_loaded(chromium, tmp_path):
    """A link from outside (an e-mail, a bookmark, `chromium --screenshot report.html#documents`) opens
    its view at the top of the page: a section as the page's only one, a document, a pair, a sheet."""
    b = chromium
    source = EXAMPLE if EXAMPLE.is_file() else browser.write_corpus(tmp_path / "in", hostile=False)
    result = audit([source])
    page = write_page(result, tmp_path / "report.html")
    a, z = identical_pair(result)
    copier = ranked_ids(result)[-1]
    for fragment, shown in [("documents", "#documents-table tbody tr"), ("matrix", "#matrix-canvas"),
                            ("settings", "#settings h2"), ("duplicate-groups", "#duplicate-groups"),
                            (f"doc={copier}", "#doc-text"), (f"pair={a}~{z}", "#pair-view"),
                            (f"sheet={copier}", "#sheet-figures"), ("", "#ranked")]:
        b.open(page, fragment)
        shot = b.screenshot(tmp_path / f"link-{fragment.replace('=', '-').replace('~', '-') or 'none'}.png")
        assert b.problems() == [], fragment
        assert b.js(f"!!document.querySelector({shown!r}).getClientRects().length"), fragment
        top = b.js(f"document.querySelector({shown!r}).getBoundingClientRect().top")
        assert 0 <= top < b.js("innerHeight") - 40, (fragment, top, shot)
        if "=" in fragment:
            assert b.js("document.getElementById('main').hidden && !document.getElementById('view').hidden")
        else:
            sections = b.js("Array.from(document.querySelectorAll('main > section'))"
                            ".filter(s => s.getClientRects().length).map(s => s.id)")
            assert len(sections) == 1 and sections[0] in (fragment, "overview", "matrix", "settings"), sections
    print(f"screenshots: {tmp_path}")


def test_sheet_of_a_document_and_print(chromium, tmp_path):
    """The one-page summary (检测报告单) gives the report's figures, the sources ranked and every copied
    passage with its sources; "Save as PDF" prints it on one A4 page, and a pair side by side."""
    b = chromium
    source = EXAMPLE if EXAMPLE.is_file() else browser.write_corpus(tmp_path / "in", hostile=False)
    result = audit([source])
    report = report_dict(result)
    page = write_page(result, tmp_path / "report.html")
    doc = next(d for d in report["documents"] if 0 < d["copy_ratio"] < 1 and len(d["sources"]) >= 2)
    b.open(page, f"sheet={doc['id']}")
    figures = b.js("Array.from(document.querySelectorAll('#sheet-figures td')).map(c => c.textContent)")
    assert figures[0] == f"{doc['copy_ratio'] * 100:.1f}%" and figures[1] == f"{doc['copy_ratio_excluding_stock'] * 100:.1f}%"
    assert figures[3:5] == [str(doc["copied_chars"]), str(doc["chars"])]
    rows = b.js("Array.from(document.querySelectorAll('#sheet-sources tbody tr')).map(r => r.children[1].textContent)")
    assert [r.split()[0] for r in rows] == [s["document"] for s in doc["sources"]]
    record = next(d for d in result.document_records if d.id == doc["id"])
    frags = fragments(result.stats[doc["id"]].copied, record.text, doc["line"], [s["document"] for s in doc["sources"]])
    shown = b.js("Array.from(document.querySelectorAll('#sheet-fragments tbody tr'))"
                 ".map(r => Array.from(r.children).map(c => c.textContent))")
    assert len(shown) == len(frags) >= 1
    for row, f in zip(shown, frags):
        assert row[1] == f"第 {f.line} 行 line · {f.start}–{f.end}" and row[2] == str(f.end - f.start)
        assert row[3] == " ".join(f.sources) and record.text[f.start:f.end].startswith(row[4].rstrip("…")[:20])
    b.screenshot(tmp_path / "sheet.png")
    pdf = b.pdf()
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and pages(pdf) == 1
    # the pair view prints side by side, every line of both texts, in colour
    a, z = identical_pair(result)
    b.open(page, f"pair={a}~{z}")
    b.send("Emulation.setEmulatedMedia", media="print")
    try:
        layout = b.js("(() => { const g = getComputedStyle(document.getElementById('pair-view'));"
                      " const t = getComputedStyle(document.getElementById('pv-a'));"
                      " return {cols: g.gridTemplateColumns.split(' ').length, overflow: t.overflowY,"
                      " nav: getComputedStyle(document.querySelector('nav')).display}; })()")
    finally:
        b.send("Emulation.setEmulatedMedia", media="")
    assert layout == {"cols": 2, "overflow": "visible", "nav": "none"}
    (tmp_path / "pair.pdf").write_bytes(b.pdf())
    # the whole report: every section on paper, folded parts open
    b.open(page)
    b.send("Emulation.setEmulatedMedia", media="print")
    try:
        shown = b.js("Array.from(document.querySelectorAll('main > section')).filter(s => s.getClientRects().length)"
                     ".map(s => s.id)")
    finally:
        b.send("Emulation.setEmulatedMedia", media="")
    assert shown == ["overview", "documents", "attribution", "matrix", "phrases", "boilerplate", "histogram", "settings"]
    report_pdf = b.pdf()
    (tmp_path / "report.pdf").write_bytes(report_pdf)
    assert pages(report_pdf) >= 7  # each section from a new page
    assert b.js("Array.from(document.querySelectorAll('details')).every(d => !d.open)")  # folded again after print
    assert b.problems() == []
    print(f"screenshots and PDFs: {tmp_path}")


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_attribution_in_a_browser(chromium, tmp_path):
    """A reference text and units: the document view colours each class, the documents table gives
    the ratios side by side and filters by unit, the sheet gives the ratios by class, the year table shows."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from attribution_corpus import PATTERN, write_corpus

    b = chromium
    refs, docs = write_corpus(tmp_path)
    result = audit([docs], references=(str(refs),), meta_pattern=PATTERN)
    page = write_page(result, tmp_path / "report.html")
    yi = next(d.id for d in result.document_records if d.title.startswith("乙局"))
    b.open(page, f"doc={yi}")
    assert b.problems() == []
    assert b.js("document.querySelectorAll('#doc-text span.cp.cl-reference').length") > 0
    assert b.js("Array.from(document.querySelectorAll('.legend i')).some(i => i.className === 'cp cl-own')")
    b.open(page, f"sheet={yi}")
    assert b.js("document.querySelector('#sheet-classes tbody td').textContent") == "0.0%"
    b.open(page, "documents")
    heads = b.js("Array.from(document.querySelectorAll('#documents-table th small')).map(s => s.textContent)")
    assert {"excl. quotes", "excl. own", "net", "own", "unit", "year"} <= set(heads)
    b.js("(() => { const i = document.querySelector('#doc-table input'); i.value = '甲局';"
         " i.dispatchEvent(new Event('input')); })()")
    assert b.js("document.querySelectorAll('#documents-table tbody tr').length") == 2
    b.open(page, "attribution")
    assert b.js("document.querySelectorAll('#year-table tbody tr.flagged').length") == 1
    b.screenshot(tmp_path / "attribution.png")
    print(f"screenshots: {tmp_path}")
