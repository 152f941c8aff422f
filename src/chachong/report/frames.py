"""pandas DataFrames of an AuditRecord, with stable, documented columns.

pandas is imported here only, so the CLI's check path never pays for it. Every table is
built from the same report dict that ``report.json`` is written from, so the notebook and
the CLI can never disagree.

Columns
    documents: id, title, source, line, paragraphs, chars, copied_chars, copy_ratio,
        copy_ratio_excluding_stock, stock_ratio, top_source, top_source_ratio, placeholders,
        copy_ratio_excluding_quotes, copy_ratio_excluding_own, copy_ratio_net, own_ratio, top_source_class,
        unit, year (report/attribution.py)
    paragraphs: id, document, index, start, end, line, chars, text, copied_chars, copied_share
    paragraph_pairs: a, b, document_a, document_b, jaccard, containment, kind, spans, copied_chars_a
    document_pairs: a, b, title_a, title_b, jaccard, a_in_b, b_in_a, shared_paragraphs,
        shared_chars, kind
    clusters: id, source, size, documents, members
    passages: id, a, b, a_start, a_end, b_start, b_end, a_chars, b_chars, matched, kind, edits,
        a_paragraphs, b_paragraphs, class (copied passages between documents, document-text offsets;
        class reference, quoted, own or copied)
    stock_phrases, boilerplate: the fields of report.json, one row per entry
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from chachong.report.attribution import DOCUMENT_COLUMNS as BY_CLASS, document_row

if TYPE_CHECKING:
    from chachong.result import AuditRecord

DOCUMENT_COLUMNS = ["id", "title", "source", "line", "paragraphs", "chars", "copied_chars", "copy_ratio",
                    "copy_ratio_excluding_stock", "stock_ratio", "top_source", "top_source_ratio", "placeholders",
                    *BY_CLASS]
PARAGRAPH_COLUMNS = ["id", "document", "index", "start", "end", "line", "chars", "text", "copied_chars",
                     "copied_share"]
PARAGRAPH_PAIR_COLUMNS = ["a", "b", "document_a", "document_b", "jaccard", "containment", "kind", "spans",
                          "copied_chars_a"]
DOCUMENT_PAIR_COLUMNS = ["a", "b", "title_a", "title_b", "jaccard", "a_in_b", "b_in_a", "shared_paragraphs",
                         "shared_chars", "kind"]
CLUSTER_COLUMNS = ["id", "source", "size", "documents", "members"]
PASSAGE_COLUMNS = ["id", "a", "b", "a_start", "a_end", "b_start", "b_end", "a_chars", "b_chars", "matched", "kind",
                   "edits", "a_paragraphs", "b_paragraphs", "class"]


def _overlap(intervals: list[tuple[int, int]], start: int, end: int) -> int:
    return sum(max(0, min(e, end) - max(s, start)) for s, e in intervals)


def documents(result: AuditRecord, report: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for d in report["documents"]:
        top = d["top_source"] or {}
        rows.append([d["id"], d["title"], d["source"], d["line"], d["paragraphs"], d["chars"], d["copied_chars"],
                     d["copy_ratio"], d["copy_ratio_excluding_stock"], d["stock_ratio"], top.get("document"),
                     top.get("ratio", 0.0), d["placeholders"], *document_row(d)])
    return pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)


def paragraphs(result: AuditRecord) -> pd.DataFrame:
    rows = []
    for doc in result.document_records:
        st = result.stats[doc.id]
        merged = _merged(st.copied)
        for p in doc.paragraphs:
            copied = _overlap(merged, p.start, p.end)
            rows.append([p.id, p.document, p.index, p.start, p.end, p.line, p.end - p.start, p.text, copied,
                         round(copied / max(p.end - p.start, 1), 4)])
    return pd.DataFrame(rows, columns=PARAGRAPH_COLUMNS)


def _merged(copied: dict[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(iv for ivs in copied.values() for iv in ivs):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def paragraph_pairs(report: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for p in report["paragraph_pairs"]:
        spans = [tuple(s[:4]) for s in p["spans"]]
        rows.append([p["a"], p["b"], p["a"].split(":")[0], p["b"].split(":")[0], p["jaccard"], p["containment"],
                     p["kind"], spans, sum(s[1] - s[0] for s in spans)])
    return pd.DataFrame(rows, columns=PARAGRAPH_PAIR_COLUMNS)


def document_pairs(report: dict[str, Any]) -> pd.DataFrame:
    titles = {d["id"]: d["title"] for d in report["documents"]}
    rows = [[p["a"], p["b"], titles[p["a"]], titles[p["b"]], p["jaccard"], p["a_in_b"], p["b_in_a"],
             p["shared_paragraphs"], p["shared_chars"], p["kind"]] for p in report["document_pairs"]]
    return pd.DataFrame(rows, columns=DOCUMENT_PAIR_COLUMNS)


def clusters(report: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for c in report["clusters"]:
        docs = sorted({m.split(":")[0] for m in c["members"]})
        rows.append([c["id"], c["source"], len(c["members"]), docs, list(c["members"])])
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)


def passages(report: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([[p[c] for c in PASSAGE_COLUMNS] for p in report.get("passages", [])],
                        columns=PASSAGE_COLUMNS)


def records(items: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(items, columns=columns if not items else None)


def similarity_matrix(report: dict[str, Any], metric: str = "copy") -> pd.DataFrame:
    """Documents x documents. ``metric="copy"``: share of the row document covered by passages
    found in the column document (a_in_b; asymmetric). ``metric="jaccard"``: document Jaccard.
    The diagonal is 1.0."""
    if metric not in ("copy", "jaccard"):
        raise ValueError("metric must be 'copy' or 'jaccard'")
    ids = [d["id"] for d in report["documents"]]
    m = pd.DataFrame(0.0, index=ids, columns=ids)
    for p in report["document_pairs"]:
        if metric == "jaccard":
            m.loc[p["a"], p["b"]] = m.loc[p["b"], p["a"]] = p["jaccard"]
        else:
            m.loc[p["a"], p["b"]] = p["a_in_b"]
            m.loc[p["b"], p["a"]] = p["b_in_a"]
    for i in ids:
        m.loc[i, i] = 1.0
    return m
