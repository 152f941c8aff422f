"""Duplicate groups and the stock rule: union-find over verified pairs.

:func:`stock_plan` is the global step after pairing, the same for every executor: documents that
are copies of each other form groups; a paragraph whose copies (or direct partners) come from
``stock_threshold`` independent groups is stock phrasing, not copying; the other groups of
near-duplicate paragraphs are the clusters.

>>> groups(5, [(0, 3), (3, 4)])
[[0, 3, 4]]
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from chachong.config import AuditConfig
from chachong.ingest.renumber import is_reference
from chachong.model import Cluster, Document
from chachong.stages.candidates import IDENTICAL, NEAR


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


@dataclass
class StockPlan:
    """The global part of ``assemble``: document groups, stock paragraphs, clusters, kept pairs."""

    doc_group: list[int]
    min_docs: int
    stock_members: set[int]
    stock_paragraphs: list[dict]
    clusters: list[Cluster]
    keep: np.ndarray


def stock_plan(docs: list[Document], par_doc: np.ndarray, table, doc_jac: dict[tuple[int, int], float],
               config: AuditConfig) -> StockPlan:
    """Document groups, the stock-paragraph rule and clusters from the verified pair table.

    On the pair table and the exact document Jaccards alone (no shingle arrays needed), so that
    the Dask client runs it as the local engine does. Documents are grouped by ``doc_jac`` pairs at
    or above ``document_threshold``.
    """
    n = len(docs)
    uf = UnionFind(n)
    for (da, db) in sorted(doc_jac):
        if doc_jac[(da, db)] >= config.document_threshold:
            uf.union(da, db)
    doc_group = [uf.find(d) for d in range(n)]
    n_par = int(par_doc.size)
    par_first = np.concatenate(([0], np.cumsum([len(d.paragraphs) for d in docs])))[:-1]

    def pid(x: int) -> str:
        d = int(par_doc[x])
        return docs[d].paragraphs.id_at(x - int(par_first[d]))

    similar = (table.kind == IDENTICAL) | (table.kind == NEAR)
    near = list(zip(table.a[similar].tolist(), table.b[similar].tolist()))
    par_groups = groups(n_par, near)
    min_docs = stock_threshold(config, len(set(doc_group)))
    stock_members: set[int] = set()
    stock_paragraphs = []
    kept_groups = []
    partners: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(table.a, table.b):
        a, b = int(a), int(b)
        partners[a].add(doc_group[int(par_doc[b])])
        partners[b].add(doc_group[int(par_doc[a])])
    quoting = _quoting_references(docs, par_doc, par_first, table)
    for x, spread in partners.items():
        if len(spread | {doc_group[int(par_doc[x])]}) >= min_docs and x not in quoting:
            stock_members.add(x)
    for g in par_groups:
        spread = {doc_group[int(par_doc[x])] for x in g}
        if any(x in quoting for x in g):
            kept_groups.append(g)  # a quotation of a reference text is reported as such, never as stock
        elif len(spread) >= min_docs or any(x in stock_members for x in g):
            stock_members.update(g)
            d0 = int(par_doc[g[0]])
            first = docs[d0].paragraphs[g[0] - int(par_first[d0])]
            stock_paragraphs.append({"text": first.text, "documents": len({int(par_doc[x]) for x in g}),
                                     "independent_documents": len(spread), "members": [pid(x) for x in g]})
        else:
            kept_groups.append(g)
    clusters = [Cluster(f"c{i + 1:03d}", pid(g[0]), tuple(pid(x) for x in g)) for i, g in enumerate(kept_groups)]
    is_stock = np.zeros(n_par, dtype=bool)
    is_stock[list(stock_members)] = True
    keep = ~is_stock[table.a] & ~is_stock[table.b]
    return StockPlan(doc_group, min_docs, stock_members, stock_paragraphs, clusters, keep)


def _quoting_references(docs: list[Document], par_doc: np.ndarray, par_first: np.ndarray, table) -> set[int]:
    """The paragraphs of reference texts (``r01``...) and those paired with one: never stock
    paragraphs, so that a law quoted by many documents is classed ``reference``, not left out."""
    refs = [d for d, doc in enumerate(docs) if is_reference(doc.id)]
    if not refs:
        return set()
    ref_par = np.zeros(int(par_doc.size), dtype=bool)
    for d in refs:
        ref_par[int(par_first[d]):int(par_first[d]) + len(docs[d].paragraphs)] = True
    a, b = np.asarray(table.a, dtype=np.int64), np.asarray(table.b, dtype=np.int64)
    return set(np.flatnonzero(ref_par).tolist()) | set(b[ref_par[a]].tolist()) | set(a[ref_par[b]].tolist())


def stock_threshold(config: AuditConfig, independent_documents: int) -> int:
    """Independent documents a text must occur in to be stock phrasing (3 %, at least 5; or the setting)."""
    if config.stock_min_documents is not None:
        return config.stock_min_documents
    return max(5, math.ceil(0.03 * independent_documents))
