"""The HTML report's attribution section: the classes' colours and formulas, the reference texts and
the year-over-year table (stages/attribution.py, stages/yearly.py)."""

from __future__ import annotations

from html import escape
from typing import Any

from chachong.report.attribution import LABELS

_RATIOS = (("copy_ratio_excluding_quotes", "去除引用复制比 excl. quotes"),
           ("copy_ratio_excluding_own", "去除本人复制比 excl. own"), ("copy_ratio_net", "净复制比 net"),
           ("own_ratio", "本人复制 own"))


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def attribution_section(report: dict[str, Any]) -> str:
    """Legend, formulas, reference texts and year over year, as escaped markup."""
    formulas = report["formulas"]
    out = ['<section id="attribution">\n<h2>引用与本人复制 <small>Quotation, reference texts and own reuse</small></h2>',
           '<div class="legend">' + "".join(
               f'<span><i class="cp{"" if c == "copied" else " cl-" + c}"></i>{escape(label)}</span>'
               for c, label in LABELS.items()) + "</div>",
           f'<p class="note">{escape(formulas["class"])}</p><ul class="note">']
    out += [f"<li><b>{escape(label)}</b> = {escape(formulas[k])}</li>" for k, label in _RATIOS]
    out.append("</ul>")
    refs = report.get("references") or []
    if refs:
        out.append('<p class="note">参照文本 reference texts (matched, not audited): '
                   + "; ".join(f"{escape(r['id'])} {escape(r['title'])} ({r['chars']:,} chars)" for r in refs) + "</p>")
    rows = report.get("year_over_year") or []
    if rows:
        titles = {d["id"]: d["title"] for d in report["documents"]}
        limit = report["settings"].get("max_own_ratio") or 0.0
        out.append(f'<h3>年度对比 <small>Year over year: share reused from the unit\'s previous-year document, flagged '
                   f'above {_pct(limit)}</small></h3>')
        out.append('<table id="year-table" class="rows"><thead><tr><th>单位 unit</th><th class="num">年度 year</th>'
                   '<th>文档 document</th><th class="num">上年 previous year</th><th>上年文档 previous</th>'
                   '<th class="num">沿用 reused</th><th>标记 flag</th></tr></thead><tbody>')
        for r in rows:
            doc, prev = r["document"], r["previous"]
            flag = ' class="flagged"' if r["flagged"] else ""
            out.append(f'<tr{flag}><td>{escape(r["unit"])}</td>'
                       f'<td class="num">{r["year"]}</td>'
                       f'<td><a href="#doc={escape(doc)}">{escape(doc)} {escape(titles.get(doc, ""))}</a></td>'
                       f'<td class="num">{r["previous_year"]}</td>'
                       f'<td><a href="#doc={escape(prev)}">{escape(prev)} {escape(titles.get(prev, ""))}</a></td>'
                       f'<td class="num">{_pct(r["reused"])}</td><td>{"⚠ 照抄往年" if r["flagged"] else ""}</td></tr>')
        out.append("</tbody></table>")
    out.append("</section>\n")
    return "\n".join(out)


__all__ = ["attribution_section"]
