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
             "that of its later document b; a document's characters are classed the same way from its side",
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


def passage_class(result: AuditRecord, passage_id: str) -> str:
    return result.passage_classes.get(passage_id, "copied")


__all__ = ["DOCUMENT_COLUMNS", "FORMULAS", "document_row", "RATIOS", "document_fields", "passage_class", "reference_dicts"]
