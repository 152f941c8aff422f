"""``report.json``: the machine-readable contract (design.md §4), schema ``chachong.audit/1``.

Deterministic: lists are sorted, floats rounded to 4 places, keys in a fixed order, so the
same input and settings give byte-identical output.
"""

from __future__ import annotations

import json
from typing import Any

from chachong.result import AuditResult

SCHEMA = "chachong.audit/1"

FORMULAS = {
    "copy_ratio": "copied_chars / chars, where copied_chars counts the characters of a document covered by "
                  "passages of >= min_span canonical characters matched in any other document "
                  "(punctuation and line breaks between two copied passages count as copied)",
    "top_source": "the other document covering the most characters of this one; ratio = those characters / chars",
    "a_in_b": "characters of a covered by passages matched in b / characters of a",
    "jaccard": "exact Jaccard of the two shingle sets (character k-grams of the canonical text)",
    "containment": "|A ∩ B| / min(|A|, |B|) on the shingle sets of the two paragraphs",
    "copy_ratio_excluding_stock": "copied characters not covered by stock phrases / chars",
    "stock_ratio": "characters covered by stock phrases / chars",
}


def _r(x: float) -> float:
    return round(float(x), 4)


def report_dict(result: AuditResult) -> dict[str, Any]:
    from chachong import __version__

    docs = result.documents
    corpus = {
        "documents": len(docs),
        "paragraphs": sum(len(d.paragraphs) for d in docs),
        "chars": sum(len(d.text) for d in docs),
    }
    documents = []
    for d in docs:
        st = result.stats[d.id]
        documents.append({
            "id": d.id,
            "title": d.title,
            "source": d.source,
            "line": d.line,
            "paragraphs": len(d.paragraphs),
            "chars": len(d.text),
            "copied_chars": st.copied_chars,
            "copy_ratio": _r(st.copy_ratio),
            "copy_ratio_excluding_stock": _r(st.copy_ratio_excluding_stock),
            "stock_ratio": _r(st.stock_ratio),
            "top_source": st.top_source,
            "sources": st.sources,
            "placeholders": st.placeholders,
        })
    return {
        "schema": SCHEMA,
        "tool": {"name": "chachong", "version": __version__},
        "settings": result.config.to_dict(),
        "formulas": FORMULAS,
        "corpus": corpus,
        "documents": documents,
        "paragraphs": [
            {"id": p.id, "start": p.start, "end": p.end, "line": p.line}
            for d in docs for p in d.paragraphs
        ],
        "document_pairs": [
            {"a": p.a, "b": p.b, "jaccard": _r(p.jaccard), "a_in_b": _r(p.a_in_b), "b_in_a": _r(p.b_in_a),
             "shared_paragraphs": p.shared_paragraphs, "shared_chars": p.shared_chars, "kind": p.kind}
            for p in sorted(result.document_pairs, key=lambda p: (p.a, p.b))
        ],
        "paragraph_pairs": [
            {"a": p.a, "b": p.b, "jaccard": _r(p.jaccard), "containment": _r(p.containment), "kind": p.kind,
             "spans": [list(s) for s in p.spans]}
            for p in sorted(result.paragraph_pairs, key=lambda p: (p.a, p.b))
        ],
        "clusters": [{"id": c.id, "source": c.source, "members": list(c.members)} for c in result.clusters],
        "stock_phrases": result.stock_phrases,
        "stock_paragraphs": result.stock_paragraphs,
        "boilerplate": result.boilerplate,
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
        "warnings": list(result.warnings),
    }


def dumps(result: AuditResult) -> str:
    return json.dumps(report_dict(result), ensure_ascii=False, indent=1) + "\n"
