"""Where two twin passages differ, character by character, for the side-by-side views.

A differing run that touches a figure grows to the whole figure, so a reader compares 3862
with 4105, not 862 with 105.
"""

from __future__ import annotations

import difflib


def char_diff(a: str, b: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character runs that differ between two twin passages, as (start, end) in each.

    A run that touches a figure grows to the whole figure:

    >>> char_diff("新增1247户，增长12.4%", "新增1389户，增长9.8%")
    ([(2, 6), (10, 14)], [(2, 6), (10, 13)])
    >>> char_diff("坚持不懈", "坚持不渝")
    ([(3, 4)], [(3, 4)])
    >>> char_diff("相同", "相同")
    ([], [])
    """
    if a == b:
        return [], []
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    da = [(i1, i2) for op, i1, i2, _, _ in ops if op != "equal" and i2 > i1]
    db = [(j1, j2) for op, _, _, j1, j2 in ops if op != "equal" and j2 > j1]
    return _widen(a, da), _widen(b, db)


def _numeric(text: str, i: int) -> bool:
    c = text[i]
    return c.isdigit() or (c in ".．" and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())


def _widen(text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Grow a differing run that touches a figure to the whole figure: a reader compares
    3862 with 4105, not 862 with 105 after a shared leading digit."""
    out: list[list[int]] = []
    for s, e in runs:
        if any(text[i].isdigit() for i in range(s, e)):
            while s > 0 and _numeric(text, s - 1):
                s -= 1
            while e < len(text) and _numeric(text, e):
                e += 1
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


__all__ = ["char_diff"]
