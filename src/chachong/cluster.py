"""Duplicate groups: union-find over verified pairs.

>>> groups(5, [(0, 3), (3, 4)])
[[0, 3, 4]]
"""

from __future__ import annotations

from typing import Iterable


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the smaller index (earlier in source order) stays the root
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def groups(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected groups of size >= 2, each sorted, ordered by their first member."""
    uf = UnionFind(n)
    touched = set()
    for a, b in pairs:
        uf.union(int(a), int(b))
        touched.update((int(a), int(b)))
    out: dict[int, list[int]] = {}
    for x in sorted(touched):
        out.setdefault(uf.find(x), []).append(x)
    return [g for _, g in sorted(out.items()) if len(g) > 1]
