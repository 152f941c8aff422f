"""The report's pieces of attribution (stages/attribution.py): the formulas of the ratios by class,
each document's figures, the reference texts and the year-over-year table, for every format."""

from __future__ import annotations

from typing import Any

from chachong.model import DocumentStats
from chachong.result import AuditRecord

RATIOS = ("copy_ratio", "copy_ratio_excluding_stock", "copy_ratio_excluding_quotes", "copy_ratio_excluding_own",
          "copy_ratio_net", "own_ratio")

FORMULAS = {
    "class": "each copied passage (and each source of a document) is, the first that applies: reference (its "
             "source is a reference text, --reference), quoted (>= 90 % of its characters in the copying document "
             "lie inside 「」『』“”‘’ or a quotation cited from a 《…》 title), own (its source is another document "
             "of the same unit, --metadata / --meta-pattern), copied (everything else); a passage's class is "
             "that of its later document b; a document's copied text is classed the same way from its side, each "
             "run copied from one source as a whole (a document copied whole stays copied, quoted slogans "
             "included)",
    "copy_ratio_excluding_quotes": "(own + copied characters) / chars: reference and quoted characters not counted "
                                   "(去除引用文献复制比)",
    "copy_ratio_excluding_own": "(reference + quoted + copied characters) / chars: own characters not counted "
                                "(去除本人文献复制比)",
    "copy_ratio_net": "copied characters / chars: reference, quoted and own characters not counted",
    "own_ratio": "own characters / chars: copied from other documents of the same unit",
    "year_over_year": "per unit, each document beside the unit's document of the latest earlier year; reused = "
                      "characters copied from it / chars; flagged when reused > max_own_ratio",
}


# appended to the documents table (CSV and DataFrame), after the columns it had before
DOCUMENT_COLUMNS = ["copy_ratio_excluding_quotes", "copy_ratio_excluding_own", "copy_ratio_net", "own_ratio",
                    "top_source_class", "unit", "year"]


def document_row(d: dict[str, Any]) -> list[Any]:
    """The values of :data:`DOCUMENT_COLUMNS` of one document of report.json."""
    top = d["top_source"] or {}
    return [d["copy_ratio_excluding_quotes"], d["copy_ratio_excluding_own"], d["copy_ratio_net"], d["own_ratio"],
            top.get("class"), d["unit"], d["year"]]


def document_fields(st: DocumentStats) -> dict[str, Any]:
    """The attribution fields of one document in report.json (beside copy_ratio)."""
    return {"copy_ratio_excluding_quotes": st.copy_ratio_excluding_quotes,
            "copy_ratio_excluding_own": st.copy_ratio_excluding_own, "copy_ratio_net": st.copy_ratio_net,
            "own_ratio": st.own_ratio, "unit": st.unit, "year": st.year}


def reference_dicts(result: AuditRecord) -> list[dict[str, Any]]:
    """The reference texts: matched, never audited."""
    return [{"id": d.id, "title": d.title, "source": d.source, "chars": len(d.text)}
            for d in result.reference_records]


LABELS = {"reference": "引用文献 reference", "quoted": "引文 quoted", "own": "本人/本单位 own",
          "copied": "复制 copied"}


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def markdown_lines(report: dict[str, Any], label: Any, esc: Any, top: int) -> list[str]:
    """The Markdown section: the ratios by class side by side, their formulas, the reference texts
    and the year-over-year table. ``label(doc_id)`` is how a document is named, ``esc`` escapes text."""
    docs = sorted((d for d in report["documents"] if d["copied_chars"]), key=lambda d: (-d["copy_ratio"], d["id"]))
    out = ["## 引用与本人复制 Quotation, reference texts and own reuse", ""]
    if docs:
        out += ["| document | unit | year | copy ratio | excl. quotes | excl. own | net | own | top source class |",
                "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for d in docs[:top]:
            cls = (d["top_source"] or {}).get("class", "")
            out.append(f"| {label(d['id'])} | {esc(d['unit'] or '—')} | {d['year'] or '—'} | {_pct(d['copy_ratio'])} | "
                       f"{_pct(d['copy_ratio_excluding_quotes'])} | {_pct(d['copy_ratio_excluding_own'])} | "
                       f"{_pct(d['copy_ratio_net'])} | {_pct(d['own_ratio'])} | {cls} |")
        out.append("")
    formulas = report["formulas"]
    out += [f"- **{k}** = {formulas[k]}" for k in ("class", "copy_ratio_excluding_quotes", "copy_ratio_excluding_own",
                                                  "copy_ratio_net", "own_ratio") if k in formulas]
    refs = report.get("references") or []
    if refs:
        out += ["", "Reference texts (matched, not audited): " + "; ".join(f"{r['id']} {esc(r['title'])}" for r in refs)]
    rows = report.get("year_over_year") or []
    if rows:
        limit = report["settings"].get("max_own_ratio")
        out += ["", f"### 年度对比 Year over year (flagged above {_pct(limit or 0)} reused)", "",
                "| unit | year | document | previous year | previous | reused | flag |",
                "| --- | ---: | --- | ---: | --- | ---: | --- |"]
        out += [f"| {esc(r['unit'])} | {r['year']} | {label(r['document'])} | {r['previous_year']} | {label(r['previous'])} | "
                f"{_pct(r['reused'])} | {'⚠ 照抄往年' if r['flagged'] else ''} |" for r in rows]
    return out + [""]


def passage_class(result: AuditRecord, passage_id: str) -> str:
    return result.passage_classes.get(passage_id, "copied")


__all__ = ["DOCUMENT_COLUMNS", "FORMULAS", "LABELS", "markdown_lines", "document_row", "RATIOS", "document_fields", "passage_class", "reference_dicts"]
