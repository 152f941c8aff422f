"""Year over year: each document of a unit beside the same unit's document of the previous year.

``reused`` is the share of the document's characters copied from that previous document (its
``sources`` entry); ``flagged`` when above ``AuditConfig.max_own_ratio`` (照抄往年). The previous
year is the latest earlier year the unit has a document for; a unit with several documents in
one year compares each with the one of them it reused most.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from chachong.model import Document, DocumentStats


def year_over_year(docs: Sequence[Document], stats: dict[str, DocumentStats], limit: float) -> list[dict[str, Any]]:
    """One row per document with a unit, a year and an earlier document of the same unit.

    >>> d = [Document("d01", "甲2025", "a", "x" * 10, 1), Document("d02", "甲2026", "b", "x" * 10, 1)]
    >>> st = {"d01": DocumentStats(unit="甲", year=2025),
    ...       "d02": DocumentStats(unit="甲", year=2026, sources=[{"document": "d01", "ratio": 0.8}])}
    >>> year_over_year(d, st, 0.5)[0]["reused"], year_over_year(d, st, 0.5)[0]["flagged"]
    (0.8, True)
    """
    by_unit: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for d in docs:
        st = stats[d.id]
        if st.unit is not None and st.year is not None:
            by_unit[st.unit][st.year].append(d.id)
    rows = []
    for unit in sorted(by_unit):
        years = sorted(by_unit[unit])
        for before, year in zip(years, years[1:]):
            for doc in by_unit[unit][year]:
                ratio = {s["document"]: s["ratio"] for s in stats[doc].sources}
                prev = max(by_unit[unit][before], key=lambda p: (ratio.get(p, 0.0), [-ord(c) for c in p]))
                reused = ratio.get(prev, 0.0)
                rows.append({"unit": unit, "year": year, "document": doc, "previous_year": before,
                             "previous": prev, "reused": reused, "flagged": reused > limit})
    return rows


__all__ = ["year_over_year"]
