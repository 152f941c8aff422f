"""Copied passages between two canonical texts.

A passage counts when it is at least ``min_span`` canonical characters long. Matching
blocks are found with difflib (no junk heuristic, so repeated characters are not
ignored), and neighbouring blocks separated by a small edit on both sides are joined, so
a copy with a few characters substituted, inserted or deleted is one passage.

>>> align("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳", "天地甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳玄黄", 13)
[(0, 16, 2, 18)]
"""

from __future__ import annotations

from difflib import SequenceMatcher

_MAX_GAP = 3  # edits of up to this many characters on each side join two blocks


def align(a: str, b: str, min_span: int = 13) -> list[tuple[int, int, int, int]]:
    """Copied passages ``(a_start, a_end, b_start, b_end)`` in canonical offsets."""
    if not a or not b:
        return []
    blocks = [m for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size]
    spans: list[list[int]] = []
    for m in blocks:
        if spans:
            last = spans[-1]
            ga, gb = m.a - last[1], m.b - last[3]
            if 0 <= ga <= _MAX_GAP and 0 <= gb <= _MAX_GAP:
                last[1], last[3] = m.a + m.size, m.b + m.size
                continue
        spans.append([m.a, m.a + m.size, m.b, m.b + m.size])
    return [tuple(s) for s in spans if min(s[1] - s[0], s[3] - s[2]) >= min_span]  # type: ignore[misc]
