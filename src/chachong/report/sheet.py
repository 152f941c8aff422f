"""A document's one-page summary (检测报告单), as CNKI users hand one in.

The figures (文字复制比 copy ratio, the ratio without stock phrases, 单篇最大 the top source), the
sources ranked by the share of the document each covers, and the copied passages (片段): the
document's copied text, cut where no copy runs on, each with the documents it is found in. One
implementation for report.html (its printable sheet view) and report.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fragment:
    """One copied passage of a document (片段): ``[start, end)`` of its text, the line it starts
    on in the source file, and the documents it is found in (most of the document first)."""

    start: int
    end: int
    line: int
    sources: tuple[str, ...]


def fragments(copied: Mapping[str, Sequence[tuple[int, int]]], text: str, first_line: int,
              order: Sequence[str] = ()) -> list[Fragment]:
    """The union of a document's copied intervals over its sources, in text order.

    ``copied`` maps each source document to the intervals of ``text`` found in it (the audit's
    per-document ``copied``); intervals that overlap or touch make one fragment, whose sources
    are every document one of its intervals comes from, in the order of ``order`` (the sources
    ranked) and then by id. ``first_line`` is the source line of the text's first character.

    >>> [(f.start, f.end, f.line, f.sources) for f in fragments(
    ...     {"d2": [(0, 4), (9, 12)], "d3": [(3, 6)]}, "甲乙丙丁戊\\n己庚辛壬癸子丑", 7, ["d3", "d2"])]
    [(0, 6, 7, ('d3', 'd2')), (9, 12, 8, ('d2',))]
    """
    rank = {d: i for i, d in enumerate(order)}
    spans = sorted((int(s), int(e), src) for src, ivs in copied.items() for s, e in ivs if e > s)
    out: list[Fragment] = []
    cur_s = cur_e = -1
    cur: set[str] = set()
    line, at = first_line, 0

    def close() -> None:
        nonlocal line, at
        line += text.count("\n", at, cur_s)
        at = cur_s
        out.append(Fragment(cur_s, cur_e, line, tuple(sorted(cur, key=lambda d: (rank.get(d, len(rank)), d)))))

    for s, e, src in spans:
        if cur_e >= 0 and s <= cur_e:
            cur_e = max(cur_e, e)
            cur.add(src)
            continue
        if cur_e >= 0:
            close()
        cur_s, cur_e, cur = s, e, {src}
    if cur_e >= 0:
        close()
    return out


def ranked_documents(documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Documents with copied text, highest copy ratio first (then by id): the first thing a report
    says, in report.html's overview, report.md and the terminal summary's order."""
    return sorted((d for d in documents if d["copy_ratio"] > 0), key=lambda d: (-d["copy_ratio"], d["id"]))


def clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters (white space runs become one space).

    >>> clip("第一行\\n第二行很长很长", 6)
    '第一行 第…'
    """
    one = " ".join(text.split())
    return one if len(one) <= limit else one[:limit - 1] + "…"


__all__ = ["Fragment", "clip", "fragments", "ranked_documents"]
