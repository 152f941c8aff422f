"""Which document pairs and documents a report shows first, and which documents are copies.

Pairs rank by how much of the more-copied document the other holds; documents are seriated so
that documents copying each other sit together (the similarity matrix); groups of identical or
near-duplicate documents are the overview's. Shared by report.html and report.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any


def pair_score(pair: dict[str, Any]) -> float:
    """How much of the more-copied document of a pair is found in the other one.

    >>> pair_score({"a_in_b": 0.2, "b_in_a": 0.9})
    0.9
    """
    return max(pair["a_in_b"], pair["b_in_a"])


def rank_pairs(pairs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Document pairs, most copied first (then most shared characters, then ids)."""
    return sorted(pairs, key=lambda p: (-pair_score(p), -p["shared_chars"], -p["jaccard"], p["a"], p["b"]))


def seriate(ids: Sequence[str], pairs: Iterable[tuple[str, str, float]]) -> list[str]:
    """Order documents so that documents copying each other sit next to each other.

    Single-linkage merging from the strongest pair down: every group is a chain, two
    chains join end to end at the documents of the linking pair where those are chain
    ends, so each group is contiguous and its closest members are neighbours. Groups
    keep the source order of their first member; unlinked documents stay in source order.

    >>> seriate(["d1", "d2", "d3", "d4"], [("d1", "d3", 0.9), ("d2", "d4", 0.5)])
    ['d1', 'd3', 'd2', 'd4']
    >>> seriate(["d1", "d2", "d3"], [("d1", "d3", 0.4), ("d2", "d3", 1.0)])
    ['d1', 'd3', 'd2']
    """
    pos = {d: i for i, d in enumerate(ids)}
    chains = {d: [d] for d in ids}
    owner = {d: d for d in ids}
    links = sorted((p for p in pairs if p[0] in pos and p[1] in pos and p[2] > 0),
                   key=lambda p: (-p[2], pos[p[0]], pos[p[1]]))
    for a, b, _ in links:
        ra, rb = owner[a], owner[b]
        if ra == rb:
            continue
        ca, cb = chains.pop(ra), chains.pop(rb)
        if ca[0] == a and ca[-1] != a:
            ca.reverse()
        if cb[-1] == b and cb[0] != b:
            cb.reverse()
        merged = ca + cb
        rep = min(ra, rb, key=pos.__getitem__)
        chains[rep] = merged
        for d in merged:
            owner[d] = rep
    heads = sorted(chains, key=lambda r: min(pos[d] for d in chains[r]))
    return [d for r in heads for d in chains[r]]


def duplicate_groups(report: dict[str, Any], kinds: Sequence[str]) -> list[list[str]]:
    """Groups of documents linked by pairs of the given kinds, in source order.

    >>> rep = {"documents": [{"id": "d1"}, {"id": "d2"}, {"id": "d3"}],
    ...        "document_pairs": [{"a": "d1", "b": "d3", "kind": "identical"}]}
    >>> duplicate_groups(rep, ["identical"])
    [['d1', 'd3']]
    """
    order = {d["id"]: i for i, d in enumerate(report["documents"])}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in report["document_pairs"]:
        if p["kind"] in kinds:
            ra, rb = find(p["a"]), find(p["b"])
            if ra != rb:
                parent[max(ra, rb, key=order.__getitem__)] = min(ra, rb, key=order.__getitem__)
    members: dict[str, list[str]] = defaultdict(list)
    for d in sorted(parent, key=order.__getitem__):
        members[find(d)].append(d)
    return sorted((m for m in members.values() if len(m) > 1), key=lambda m: order[m[0]])


__all__ = ["duplicate_groups", "pair_score", "rank_pairs", "seriate"]
