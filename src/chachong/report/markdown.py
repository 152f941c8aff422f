"""``report.md``: a short Markdown summary for a CI step summary or a review comment.

Counts, identical and near-duplicate documents, the top document pairs, the highest copy
ratios with their top source, a one-page summary (检测报告单) of each of the most copied
documents (sheet.py: figures, sources ranked, copied passages), stock-phrase share and
boilerplate, each list cut at ``top`` rows (the full lists are in report.json and report.html). Deterministic: the
same report gives the same bytes. Every piece of document text is escaped so a title
cannot become a link, an image, HTML or a table break.
"""

from __future__ import annotations

import re
from typing import Any

from chachong.report.attribution import markdown_lines
from chachong.report.ranking import duplicate_groups, pair_score, rank_pairs
from chachong.report.sheet import clip, fragments, ranked_documents
from chachong.result import AuditRecord

TOP = 10
SHEET_ROWS = 20  # sources and copied passages listed per document summary

# ASCII punctuation that means something inline in CommonMark/GFM; each may be backslash-escaped
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$!#{}])")


def md_escape(text: Any, limit: int | None = 80) -> str:
    """One line of plain text, safe inside a Markdown table cell or list item (``limit``
    characters at most; None: no limit).

    >>> md_escape('标题<img src=x>|*强调*')
    '标题\\\\<img src=x\\\\>\\\\|\\\\*强调\\\\*'
    >>> md_escape("第一行\\n第二行", limit=4)
    '第一行…'
    """
    s = " ".join(str(text).split())
    if limit is not None and len(s) > limit:
        s = s[:limit - 1] + "…"
    return _SPECIAL.sub(r"\\\1", s)


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _doc(report_docs: dict[str, dict[str, Any]], doc_id: str) -> str:
    d = report_docs.get(doc_id)
    return f"{doc_id} {md_escape(d['title'], 40)}" if d else doc_id


def render(result: AuditRecord, report: dict[str, Any], *, top: int = TOP) -> str:
    """The Markdown summary (``report`` is :func:`chachong.report.json.report_dict`)."""
    docs = report["documents"]
    by_id = {d["id"]: d for d in docs}
    corpus = report["corpus"]
    total = max(corpus["chars"], 1)
    settings = report["settings"]
    tool = report.get("tool", {})
    sources = list(dict.fromkeys(d["source"].split("#row")[0].strip() for d in docs))
    shown = ", ".join(md_escape(s, 60) for s in sources[:3]) + (f" … (+{len(sources) - 3})" if len(sources) > 3 else "")
    identical = duplicate_groups(report, ["identical"])
    near = duplicate_groups(report, ["identical", "near-duplicate"])
    copied = sum(d["copied_chars"] for d in docs)
    stock = sum(round(d["stock_ratio"] * d["chars"]) for d in docs)
    placeholders = sum(d["placeholders"] for d in docs)
    brief = ", ".join(f"{k}={settings[k]}" for k in ("k", "threshold", "document_threshold", "min_span")
                      if k in settings)
    out = [f"# chachong 查重报告: {shown}" if shown else "# chachong 查重报告", "",
           f"{corpus['documents']:,} documents · {corpus['paragraphs']:,} paragraphs · {corpus['chars']:,} "
           f"characters · {tool.get('name', 'chachong')} {tool.get('version', '')} · {brief}", "",
           "| 指标 metric | 数值 value |", "| --- | ---: |",
           f"| 完全相同的文档 identical documents | {sum(len(g) for g in identical)} "
           f"({len(identical)} group{'' if len(identical) == 1 else 's'}) |",
           f"| 近似重复组 near-duplicate groups | {len(near)} |",
           f"| 复制字数 copied characters | {copied:,} ({_pct(copied / total)}) |",
           f"| 套话占比 stock-phrase share | {_pct(stock / total)} ({len(report.get('stock_phrases') or [])} phrases) |",
           f"| 模板残留 boilerplate findings | {len(report.get('boilerplate') or [])} "
           f"({placeholders} placeholders) |",
           f"| 未能读取 skipped files | {len(report.get('skipped') or [])} |"]
    ocr = [d for d in docs if d.get("ocr")]
    if ocr:  # recognised text has errors that lower copy ratios: say how much of the corpus is OCR'd
        mean = sum(d["ocr_confidence"] for d in ocr) / len(ocr)
        out.append(f"| OCR 识别的文档 documents read by OCR | {len(ocr)} (mean confidence {mean:.2f}) |")
    out.append("")

    out += ["## 完全相同与近似重复 Identical and near-duplicate documents", ""]
    if near:
        links: dict[int, list[dict[str, Any]]] = {}
        group_of = {d: i for i, g in enumerate(near) for d in g}
        for p in report["document_pairs"]:
            if p["kind"] in ("identical", "near-duplicate") and p["a"] in group_of:
                links.setdefault(group_of[p["a"]], []).append(p)
        for i, group in enumerate(near[:top]):
            if any(set(group) == set(g) for g in identical):
                out.append("- **identical 完全相同**: " + " = ".join(_doc(by_id, d) for d in group))
            else:
                parts = [f"{_doc(by_id, p['a'])} {'=' if p['kind'] == 'identical' else '≈'} {_doc(by_id, p['b'])} "
                         f"(Jaccard {p['jaccard']:.3f})" for p in links.get(i, [])[:5]]
                out.append("- **near-duplicate 近似重复**: " + "; ".join(parts))
        if len(near) > top:
            out.append(f"- … {len(near) - top} more groups")
    else:
        out.append("None found.")
    out.append("")

    ranked = rank_pairs(report["document_pairs"])
    out += ["## 文档对 Top document pairs", ""]
    if ranked:
        out += ["| A | B | kind | a_in_b | b_in_a | Jaccard |", "| --- | --- | --- | ---: | ---: | ---: |"]
        out += [f"| {_doc(by_id, p['a'])} | {_doc(by_id, p['b'])} | {p['kind']} | {_pct(p['a_in_b'])} | "
                f"{_pct(p['b_in_a'])} | {p['jaccard']:.3f} |" for p in ranked[:top]]
        if len(ranked) > top:
            out.append(f"\n{len(ranked) - top} more pairs in report.json.")
    else:
        out.append("None found.")
    out.append("")

    copiers = ranked_documents(docs)
    out += ["## 复制比最高 Highest copy ratios", ""]
    if copiers:
        out += ["| document | chars | copy ratio | excl. stock | top source |", "| --- | ---: | ---: | ---: | --- |"]
        for d in copiers[:top]:
            t = d["top_source"]
            src = f"{_doc(by_id, t['document'])} ({_pct(t['ratio'])})" if t else "—"
            mark = f" (OCR, confidence {d['ocr_confidence']:.2f})" if d.get("ocr") else ""
            out.append(f"| {_doc(by_id, d['id'])}{mark} | {d['chars']:,} | {_pct(d['copy_ratio'])} | "
                       f"{_pct(d['copy_ratio_excluding_stock'])} | {src} |")
        if len(copiers) > top:
            out.append(f"\n{len(copiers) - top} more documents with copied passages in report.json.")
    else:
        out.append("No copied passages found.")
    out.append("")

    out += markdown_lines(report, lambda i: _doc(by_id, i) if i in by_id else md_escape(i), md_escape, top)
    out += _sheets(result, by_id, copiers, top)

    phrases = report.get("stock_phrases") or []
    if phrases:
        out += ["## 套话 Stock phrases", "", "| phrase | documents | occurrences |", "| --- | ---: | ---: |"]
        for ph in phrases[:top]:
            text = ph.get("phrase", ph.get("text", "")) if isinstance(ph, dict) else ph
            docs_n = ph.get("documents", "") if isinstance(ph, dict) else ""
            occ = ph.get("occurrences", "") if isinstance(ph, dict) else ""
            out.append(f"| {md_escape(text, 40)} | {md_escape(docs_n if not isinstance(docs_n, list) else len(docs_n))} | "
                       f"{md_escape(occ if not isinstance(occ, list) else len(occ))} |")
        out.append("")
    boiler = report.get("boilerplate") or []
    if boiler:
        out += ["## 模板残留 Boilerplate", "", "| text | kind | occurrences |", "| --- | --- | ---: |"]
        for b in boiler[:top]:
            occ = b.get("occurrences", "")
            out.append(f"| {md_escape(b.get('text', ''), 60)} | {md_escape(b.get('kind', ''))} | "
                       f"{md_escape(occ if not isinstance(occ, list) else len(occ))} |")
        out.append("")
    best = ranked[0] if ranked else None
    if best is not None and pair_score(best) >= 1.0:
        out.append(f"Side-by-side views and every copied passage: report.html (start with {best['a']} ↔ {best['b']}).")
    else:
        out.append("Side-by-side views and every copied passage: report.html; all figures: report.json.")
    return "\n".join(out) + "\n"


def _sheets(result: AuditRecord, by_id: dict[str, dict[str, Any]], copiers: list[dict[str, Any]],
            top: int) -> list[str]:
    """Per document with copied text, most copied first: its one-page summary (检测报告单), as in
    report.html's sheet view: the figures, the sources ranked and the copied passages (片段)."""
    if not copiers:
        return []
    out = ["## 单篇检测报告单 Per-document summaries", ""]
    for d in copiers[:top]:
        t = d["top_source"]
        text = result.record(d["id"]).text
        out += [f"### {_doc(by_id, d['id'])}", "",
                f"文字复制比 copy ratio **{_pct(d['copy_ratio'])}** · 去除套话 excl. stock "
                f"{_pct(d['copy_ratio_excluding_stock'])} · 单篇最大 top source "
                + (f"{_doc(by_id, t['document'])} {_pct(t['ratio'])}" if t else "—")
                + f" · 复制 {d['copied_chars']:,} / {d['chars']:,} 字 characters", "",
                "| # | 相似文献 source | 复制比 share |", "| ---: | --- | ---: |"]
        out += [f"| {n} | {_doc(by_id, s['document'])} | {_pct(s['ratio'])} |"
                for n, s in enumerate(d["sources"][:SHEET_ROWS], 1)]
        if len(d["sources"]) > SHEET_ROWS:
            out.append(f"\n{len(d['sources']) - SHEET_ROWS} more sources in report.json.")
        frags = fragments(result.stats[d["id"]].copied, text, d["line"],
                          [s["document"] for s in d["sources"]])
        out += ["", "| # | 片段 copied passage | 位置 where | 字数 chars | 来源 found in |", "| ---: | --- | --- | ---: | --- |"]
        out += [f"| {n} | {md_escape(clip(text[f.start:f.end], 48), None)} | line {f.line} · "
                f"{f.start}–{f.end} | {f.end - f.start:,} | {' '.join(f.sources)} |"
                for n, f in enumerate(frags[:SHEET_ROWS], 1)]
        if len(frags) > SHEET_ROWS:
            out.append(f"\n{len(frags) - SHEET_ROWS} more copied passages in report.html (#sheet={d['id']}).")
        out.append("")
    if len(copiers) > top:
        out += [f"{len(copiers) - top} more documents with copied passages: their summaries are in report.html.", ""]
    return out


__all__ = ["SHEET_ROWS", "render", "md_escape", "TOP"]
