"""The markup of report.html's sections: header, overview, documents, matrix, stock phrases,
boilerplate and the histogram of paragraph-pair similarities.

Every piece of document text, title, file name and finding written here passes through
:func:`html.escape`; figures are formatted here. The documents table and the matrix are drawn
by the page's script from the data block (html_page.py); these sections hold their frames.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from html import escape
from typing import Any

from chachong.report.html_data import merge
from chachong.report.html_page import ROW_LIMIT, Page
from chachong.report.ranking import duplicate_groups
from chachong.report.sheet import ranked_documents

KIND_ZH = {"identical": "完全相同", "near-duplicate": "近似重复", "partial": "部分复制",
           "contained": "包含", "repeated-line": "重复行", "marker": "标记", "placeholder": "占位符"}


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _brief(value: Any, limit: int = 3) -> str:
    """A short plain-text rendering of a field whose shape another stage owns."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_brief(v)}" for k, v in value.items() if not isinstance(v, (dict, list)))
    if isinstance(value, (list, tuple)):
        more = f" … (+{len(value) - limit})" if len(value) > limit else ""
        return "; ".join(_brief(v) for v in value[:limit]) + more
    return "" if value is None else str(value)


def _clip(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def _doc_link(page: Page, doc_id: str) -> str:
    title = page.by_id[doc_id]["title"] if doc_id in page.by_id else ""
    return f'<a href="#doc={escape(doc_id)}">{escape(doc_id)} {escape(title)}</a>'


def _pair_link(page: Page, a: str, b: str, text: str = "对照 side by side") -> str:
    if a not in page.index or b not in page.index:
        return ""  # a reference text (r01...): matched, never a document with a view
    a, b = min(a, b, key=page.index.__getitem__), max(a, b, key=page.index.__getitem__)
    if (a, b) not in page.viewed:
        return ""
    return f' <a href="#pair={escape(a)}~{escape(b)}">{escape(text)}</a>'


def _card(value: str, label: str, alert: bool = False) -> str:
    return f'<div class="card{" alert" if alert else ""}"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


RANK_LIMIT = 10  # documents ranked by copy ratio on the overview, the first screen
GROUP_LIMIT = 5  # duplicate groups on the first screen; the others one click away


def overview(page: Page) -> str:
    """The first screen: counts, the documents ranked by copy ratio with their top source, and the
    identical and near-duplicate groups; the page's limits, skipped files and warnings folded."""
    rep, stats = page.report, page.result.stats
    corpus = rep["corpus"]
    total = max(corpus["chars"], 1)
    identical = duplicate_groups(rep, ["identical"])
    near = duplicate_groups(rep, ["identical", "near-duplicate"])
    copied = sum(d["copied_chars"] for d in page.docs)
    stock = sum(sum(e - s for s, e in merge(st.stock)) for st in stats.values())
    placeholders = sum(d["placeholders"] for d in page.docs)
    n_ident = sum(len(g) for g in identical)
    out = ['<section id="overview">\n<h2>概览 <small>Overview</small></h2>\n<div class="cards">',
           _card(f"{corpus['documents']:,}", f"篇文档 documents · {corpus['paragraphs']:,} 段 paragraphs"),
           _card(f"{corpus['chars']:,}", "字 characters"),
           _card(f"{n_ident}", f"完全相同的文档 identical documents ({len(identical)} 组 groups)", bool(n_ident)),
           _card(f"{len(near)}", "近似重复组 near-duplicate groups", bool(near)),
           _card(f"{copied:,}", f"复制字数 copied characters ({_pct(copied / total)})", bool(copied)),
           _card(_pct(stock / total), f"套话占比 stock-phrase share ({len(rep['stock_phrases'])} 条 phrases)"),
           _card(f"{len(rep['boilerplate'])}", f"模板残留 boilerplate findings · {placeholders} 占位符 placeholders",
                 bool(rep["boilerplate"] or placeholders)),
           "</div>", _ranked(page), _groups(page, near, identical), _folded(page), "</section>\n"]
    return "\n".join(out)


def _bar(x: float, cls: str = "") -> str:
    return f'<td class="num bar{cls}" style="--w:{round(max(0.0, min(1.0, x)) * 100)}%">{_pct(x)}</td>'


def _ranked(page: Page) -> str:
    """Which documents copy, how much and from where: the table an auditor comes for."""
    ranked = ranked_documents(page.docs)
    out = ['<h3>复制比排名 <small>Documents ranked by copy ratio (文字复制比), with their top source</small></h3>']
    if not ranked:
        return out[0] + '\n<p class="note" id="ranked-none">未发现复制 no copied passages found.</p>'
    out.append('<table id="ranked" class="rows"><thead><tr><th class="num">#</th><th>文档 document</th>'
               '<th class="num">字数 chars</th><th class="num">文字复制比 copy ratio</th>'
               '<th class="num">去除套话 excl. stock</th><th>最大来源 top source (单篇最大)</th>'
               '<th>报告单 sheet</th></tr></thead><tbody>')
    for n, d in enumerate(ranked[:RANK_LIMIT], 1):
        top = d["top_source"]
        src = (f"{_pct(top['ratio'])}{_pair_link(page, d['id'], top['document'], '对照')} "
               f"{_doc_link(page, top['document'])}") if top else "—"
        out.append(f'<tr data-id="{escape(d["id"])}"><td class="num">{n}</td><td class="clip">{_doc_link(page, d["id"])}'
                   f'</td><td class="num">{d["chars"]:,}</td>{_bar(d["copy_ratio"])}{_bar(d["copy_ratio_excluding_stock"])}'
                   f'<td class="src">{src}</td><td><a href="#sheet={escape(d["id"])}">报告单</a></td></tr>')
    out.append("</tbody></table>")
    more = len(ranked) - RANK_LIMIT
    out.append(f'<p class="note">{f"另有 {more} 篇有复制 {more} more documents with copied text; " if more > 0 else ""}'
               f'<a href="#documents">全部 {len(page.docs):,} 篇文档 all documents, sortable →</a> · 文字复制比 = 复制字数 ÷ '
               "总字数 copy ratio = copied characters ÷ characters (passages of at least "
               f'{escape(str(page.report["settings"].get("min_span", "")))} matching characters).</p>')
    return "\n".join(out)


def _groups(page: Page, near: list[list[str]], identical: list[list[str]]) -> str:
    rep = page.report
    out = ['<h3>完全相同与近似重复的文档 <small>Identical and near-duplicate documents</small></h3>']
    if not near:
        out.append('<p class="note">未发现 none found.</p>')
        return "\n".join(out)
    group_of = {d: i for i, g in enumerate(near) for d in g}
    links_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in rep["document_pairs"]:  # already sorted by (a, b)
        if p["kind"] in ("identical", "near-duplicate") and p["a"] in group_of:
            links_of[group_of[p["a"]]].append(p)
    items = []
    for gi, group in enumerate(near):
        same = any(set(group) == set(g) for g in identical)
        kind = "identical" if same else "near-duplicate"
        head = f'<span class="kind-{kind}">{KIND_ZH[kind]} {kind}</span> '
        if same:
            body = " = ".join(_doc_link(page, d) for d in group)
            body += "".join(_pair_link(page, group[0], d, f"对照 {group[0]}↔{d}") for d in group[1:])
        else:
            links = []
            for p in links_of[gi]:
                sym = "=" if p["kind"] == "identical" else "≈"
                links.append(f"{_doc_link(page, p['a'])} {sym} {_doc_link(page, p['b'])} "
                             f"(Jaccard {p['jaccard']:.3f}){_pair_link(page, p['a'], p['b'])}")
            body = "; ".join(links[:10]) + (f" … (+{len(links) - 10})" if len(links) > 10 else "")
        items.append(f"<li>{head}{body}</li>")
    out.append('<ul class="groups" id="duplicate-groups">' + "".join(items[:GROUP_LIMIT]) + "</ul>")
    if len(items) > GROUP_LIMIT:
        out.append(f'<details class="more"><summary>另 {len(items) - GROUP_LIMIT} 组 {len(items) - GROUP_LIMIT} more '
                   f'groups</summary><ul class="groups">{"".join(items[GROUP_LIMIT:])}</ul></details>')
    return "\n".join(out)


def _folded(page: Page) -> str:
    """The page's limits, the skipped files and the warnings: one click away, open in print."""
    rep = page.report
    out = [f"<details><summary>本页的限制 Limits of this page</summary>{page.limits_html()}</details>"]
    if rep.get("skipped"):
        out.append(f"<details><summary>未能读取的文件 Skipped files ({len(rep['skipped'])})</summary><ul>")
        out += [f"<li>{escape(s['path'])}: {escape(s['reason'])}</li>" for s in rep["skipped"]]
        out.append("</ul></details>")
    if rep.get("warnings"):
        out.append(f"<details><summary>提示 Warnings ({len(rep['warnings'])})</summary><ul>")
        out += [f"<li>{escape(str(w))}</li>" for w in rep["warnings"][:ROW_LIMIT]]
        out.append("</ul></details>")
    return "\n".join(out)


def settings_section(page: Page) -> str:
    """Every setting and how each figure is computed, folded (the reference, not the answer)."""
    rep = page.report
    settings = rep["settings"]
    key = ["k", "shingle", "threshold", "containment", "document_threshold", "min_span", "mask_digits",
           "mask_placeholders", "min_paragraph_chars"]
    brief = " · ".join(f"{k} = {escape(json.dumps(settings[k], ensure_ascii=False))}" for k in key if k in settings)
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(json.dumps(v, ensure_ascii=False))}</td></tr>"
                   for k, v in settings.items())
    formulas = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>"
                       for k, v in rep.get("formulas", {}).items())
    return ('<section id="settings">\n<h2>设置与公式 <small>Settings and formulas</small></h2>\n'
            f"<p>{brief}</p>\n"
            f'<details><summary>全部设置 All settings</summary><table id="settings-table">{rows}</table></details>\n'
            f'<details><summary>公式 How each figure is computed</summary><table id="formulas">{formulas}</table>'
            "</details>\n</section>\n")


def documents_section(page: Page) -> str:
    n = len(page.docs)
    return ('<section id="documents">\n<h2>文档 <small>Documents</small></h2>\n'
            f'<p class="note">{len(page.listed)} of {n} documents. 点击表头排序 click a header to sort; '
            "点击一行查看全文 click a row to read the document with its copied passages marked.</p>\n"
            '<div id="doc-table"></div>\n</section>\n')


def matrix_section(page: Page) -> str:
    out = ['<section id="matrix">\n<h2>相似度矩阵 <small>Document similarity matrix</small></h2>',
           '<p class="note">格子（行，列）= 行文档的字符中能在列文档里找到的比例 cell (row, column) = a_in_b, the share '
           "of the row document's characters covered by passages found in the column document. 排序：单链聚类排列，"
           "相互复制的文档相邻 ordered by single-linkage seriation of max(a_in_b, b_in_a), so duplicate groups sit "
           "together. 悬停看数值，点击打开对照 hover for values, click for the side-by-side view.</p>",
           '<div class="legend"><span><i class="scale"></i>0% → 100% (square-root scale)</span><span><i style="background:#adb5bd">'
           "</i>对角线 diagonal</span></div>",
           '<div class="matrix-wrap"><canvas id="matrix-canvas" width="10" height="10"></canvas>'
           '<div id="matrix-tip" hidden></div></div>',
           '<h3>相似文档对 <small>Top document pairs</small></h3>']
    pairs = page.ranked[:ROW_LIMIT]
    if not pairs:
        out.append('<p class="note">未发现 none found.</p>')
    else:
        out.append('<table id="pairs-table"><thead><tr><th>A</th><th>B</th><th>类型 kind</th>'
                   '<th class="num">A 在 B 中 a_in_b</th><th class="num">B 在 A 中 b_in_a</th>'
                   '<th class="num">Jaccard</th><th class="num">共同段落 shared paragraphs</th><th></th></tr></thead><tbody>')
        for p in pairs:
            out.append(f"<tr><td>{_doc_link(page, p['a'])}</td><td>{_doc_link(page, p['b'])}</td>"
                       f'<td class="kind-{escape(p["kind"])}">{escape(KIND_ZH.get(p["kind"], ""))} {escape(p["kind"])}</td>'
                       f'<td class="num">{_pct(p["a_in_b"])}</td><td class="num">{_pct(p["b_in_a"])}</td>'
                       f'<td class="num">{p["jaccard"]:.3f}</td><td class="num">{p["shared_paragraphs"]}</td>'
                       f"<td>{_pair_link(page, p['a'], p['b'])}</td></tr>")
        out.append("</tbody></table>")
        if len(page.ranked) > ROW_LIMIT:
            out.append(f'<p class="note">{len(page.ranked) - ROW_LIMIT} more pairs in report.json and document_pairs.csv.</p>')
    out.append("</section>\n")
    return "\n".join(out)


def _table(rows: list[list[str]], head: list[str], num: set[int], table_id: str) -> str:
    """Rows are already escaped markup."""
    th = "".join(f'<th{" class=num" if i in num else ""}>{h}</th>' for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in num else ""}>{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f'<table id="{table_id}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _more(total: int) -> str:
    return f'<p class="note">{total - ROW_LIMIT} more rows in report.json.</p>' if total > ROW_LIMIT else ""


def phrases_section(page: Page) -> str:
    rep = page.report
    out = ['<section id="phrases">\n<h2>套话 <small>Stock phrases</small></h2>',
           '<p class="note">多个互不相关的文档共用的固定说法，单独列出，不算作复制 formulas shared by many independent '
           "documents, reported apart from copying.</p>"]
    phrases = rep.get("stock_phrases") or []
    if phrases:
        rows = []
        for ph in phrases[:ROW_LIMIT]:
            ph = ph if isinstance(ph, dict) else {"phrase": ph}
            share = ph.get("share")
            rows.append([escape(str(ph.get("phrase", ph.get("text", "")))), escape(_brief(ph.get("documents", ""))),
                         _pct(share) if isinstance(share, (int, float)) else "",
                         escape(_brief(ph.get("occurrences", ""))), escape(_brief(ph.get("family", ""))),
                         escape(_locations(ph.get("examples", []), 8))])
        out.append(_table(rows, ["套话 phrase", "文档数 documents", "占比 share", "出现次数 occurrences", "族 family",
                                 "例 examples (documents)"], {1, 2, 3}, "stock-phrases"))
        out.append(_more(len(phrases)))
    else:
        out.append('<p class="note">未发现套话 no stock phrases found.</p>')
    paras = rep.get("stock_paragraphs") or []
    out.append('<h3>套话段落 <small>Stock paragraphs (shared by many independent documents)</small></h3>')
    if paras:
        rows = [[escape(_clip(str(p.get("text", "")), 160)), escape(_brief(p.get("documents", ""))),
                 escape(_brief(p.get("independent_documents", ""))),
                 escape(_brief(p.get("members", []), 6))] for p in paras[:ROW_LIMIT]]
        out.append(_table(rows, ["段落 paragraph", "文档数 documents", "独立文档数 independent", "段落 members"],
                          {1, 2}, "stock-paragraphs"))
        out.append(_more(len(paras)))
    else:
        out.append('<p class="note">未发现 none found.</p>')
    out.append("</section>\n")
    return "\n".join(out)


def _locations(value: Any, limit: int = 12) -> str:
    """Where a phrase or a boilerplate line occurs, as document ids (or source lines outside documents)."""
    if not isinstance(value, list):
        return _brief(value)
    places: list[str] = []
    for loc in value:
        if isinstance(loc, dict):
            label = loc.get("document") or (f"line {loc['line']}" if loc.get("line") is not None else None)
        elif isinstance(loc, (list, tuple)) and loc:
            label = loc[0]
        else:
            label = loc
        if label is not None and str(label) not in places:
            places.append(str(label))
    shown = ", ".join(places[:limit]) + (f" … (+{len(places) - limit})" if len(places) > limit else "")
    return f"{len(value)} · {shown}" if places else str(len(value))


def boilerplate_section(page: Page) -> str:
    items = page.report.get("boilerplate") or []
    out = ['<section id="boilerplate">\n<h2>模板残留 <small>Boilerplate: repeated lines, markers, placeholders</small></h2>']
    if items:
        rows = [[escape(_clip(str(b.get("text", "")), 160)),
                 escape(f"{KIND_ZH.get(str(b.get('kind')), '')} {b.get('kind', '')}".strip()),
                 escape(_brief(b.get("occurrences", ""))), escape(_locations(b.get("locations", "")))]
                for b in items[:ROW_LIMIT]]
        out.append(_table(rows, ["内容 text", "类型 kind", "次数 occurrences", "位置 locations (documents)"], {2},
                          "boilerplate-table"))
        out.append(_more(len(items)))
    else:
        out.append('<p class="note">未发现 none found.</p>')
    out.append("</section>\n")
    return "\n".join(out)


HIST_KINDS = (("identical", "#c92a2a"), ("near-duplicate", "#f76707"), ("contained", "#1c7ed6"))


def histogram_svg(values: Iterable[tuple[float, str]], bins: int = 20) -> str:
    """An inline SVG histogram of (similarity, kind) values in [0, 1], bars stacked by kind."""
    counts = [defaultdict(int) for _ in range(bins)]
    n = 0
    for v, kind in values:
        counts[min(bins - 1, max(0, int(float(v) * bins)))][kind] += 1
        n += 1
    w, h, left, bottom, top = 640, 220, 46, 30, 10
    peak = max([sum(c.values()) for c in counts] + [1])
    bw = (w - left - 10) / bins
    parts = [f'<svg id="histogram-svg" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'viewBox="0 0 {w} {h}" role="img" aria-label="histogram of paragraph-pair Jaccard">']
    plot = h - bottom - top
    for i, c in enumerate(counts):
        y = h - bottom
        for kind, colour in HIST_KINDS + tuple((k, "#868e96") for k in sorted(c) if k not in dict(HIST_KINDS)):
            if not c.get(kind):
                continue
            bh = c[kind] / peak * plot
            y -= bh
            lo, hi = i / bins, (i + 1) / bins
            parts.append(f'<rect x="{left + i * bw + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" '
                         f'fill="{colour}"><title>{lo:.2f}–{hi:.2f}: {c[kind]} {escape(kind)}</title></rect>')
    parts.append(f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="#495057"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#495057"/>')
    for t in range(5):
        x = left + t * (w - left - 10) / 4
        parts.append(f'<text x="{x:.1f}" y="{h - bottom + 16}" text-anchor="middle">{t / 4:.2f}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{h - bottom}" text-anchor="end">0</text>')
    parts.append(f'<text x="{(left + w) / 2:.0f}" y="{h - 2}" text-anchor="middle">Jaccard ({n} pairs)</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_section(page: Page) -> str:
    pairs = page.report["paragraph_pairs"]
    legend = "".join(f'<span><i style="background:{c}"></i>{KIND_ZH[k]} {k}</span>' for k, c in HIST_KINDS)
    return ('<section id="histogram">\n<h2>段落相似度分布 <small>Paragraph-pair similarities</small></h2>\n'
            '<p class="note">已核实段落对的精确 Jaccard（按类型堆叠）；包含型段落对的 Jaccard 可以很低。 Exact Jaccard of '
            "every verified paragraph pair, stacked by kind; a contained pair can have a low Jaccard.</p>\n"
            f'<div class="legend">{legend}</div>\n'
            + histogram_svg((p["jaccard"], p["kind"]) for p in pairs) + "\n</section>\n")


def page_header(page: Page) -> tuple[str, str]:
    sources = list(dict.fromkeys(d["source"].split("#row")[0].strip() for d in page.docs))
    shown = ", ".join(sources[:3]) + (f" … (+{len(sources) - 3})" if len(sources) > 3 else "")
    tool = page.report.get("tool", {})
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("overview", "概览 Overview"), ("documents", "文档 Documents"), ("attribution", "引用 Quotation"),
        ("matrix", "矩阵 Matrix"),
        ("phrases", "套话 Stock phrases"), ("boilerplate", "模板残留 Boilerplate"),
        ("histogram", "分布 Histogram"), ("settings", "设置 Settings")))
    header = ("<h1>查重报告 <small>chachong similarity report</small></h1>\n"
              f'<p class="sub">{escape(shown)} · {escape(str(tool.get("name", "chachong")))} '
              f'{escape(str(tool.get("version", "")))} · {escape(str(page.report.get("schema", "")))}</p>\n'
              f"<nav>{nav}</nav>\n")
    return header, f"查重报告 · {shown}" if shown else "查重报告"


__all__ = ["GROUP_LIMIT", "HIST_KINDS", "KIND_ZH", "RANK_LIMIT", "boilerplate_section", "documents_section",
           "histogram_section", "histogram_svg", "matrix_section", "overview", "page_header", "phrases_section",
           "settings_section"]
