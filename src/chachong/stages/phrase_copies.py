"""A phrase written inside a copied paragraph was copied with it: such carriers count once.

Stock phrases are formulas many *independent* documents write. Copies of one whole document
count once already (their group); this step does the same for copied paragraphs. When two
documents of different groups hold a verified paragraph pair (identical, near-duplicate,
contained or partial) and the phrase occurs in both paragraphs, the two occurrences are one
piece of writing. A phrase's independent documents are then

    the groups with an occurrence outside such copied paragraphs (each writes it itself), plus
    one for each set of groups linked through copied paragraphs none of which writes it itself.

So 电动自行车, in three documents of a compilation of which two share the paragraph that names it
(one unit's safety paragraph pasted into another's summary) and the third is a copy of a fourth,
is carried by two independent writings, not three: a topic that one text spread, not a formula
many units write. A phrase left with fewer than ``phrase_min_documents`` is no stock phrase.

It runs on the mined phrases and the audit's paragraph pairs (after alignment, in every engine),
so the mining itself and its cache do not depend on the pairing settings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import chain
from typing import Any

import numpy as np

from chachong.stages.phrases import rank_key


def _find(root: dict[int, int], x: int) -> int:
    while root.setdefault(x, x) != x:
        root[x] = root[root[x]]
        x = root[x]
    return x


def _numbering(documents: Sequence[Any], par_first: list[int]) -> Callable[[str], int | None]:
    """The number of a paragraph id across ``documents`` (None for an unknown id): read from
    the id (``d01:p003``) where it has that form, from a table of every id otherwise."""
    doc_index = {d.id: i for i, d in enumerate(documents)}
    table: dict[str, int] = {}

    def number(pid: str) -> int | None:
        i = doc_index.get(pid.rpartition(":p")[0])
        k = None if i is None else documents[i].paragraphs.index_of(pid)
        if k is not None:
            return par_first[i] + k
        if not table:
            table.update((q, par_first[i] + k) for i, d in enumerate(documents)
                         for k, q in enumerate(d.paragraphs.ids()))
        return table.get(pid)

    return number


def independent_writers(phrases: Sequence[Any], documents: Sequence[Any], groups: Sequence[int],
                        paragraph_pairs: Sequence[Any], min_docs: int) -> list[Any]:
    """``phrases`` (:class:`~chachong.stages.phrases.Phrase`, most widespread first) with their
    ``documents`` counted as independent writings (see the module docstring); those left under
    ``min_docs`` are dropped, and a phrase whose family head was dropped heads its own family.
    ``groups[i]`` is the group of copies of ``documents[i]``. Returns ``phrases`` itself when no
    phrase occurs in a copied paragraph pair of two groups.

    >>> from chachong.model import Document, Paragraph, ParagraphPair
    >>> from chachong.stages.phrases import Phrase
    >>> docs = [Document(f"d{i}", "t", "s", "甲乙丙丁", 1, (Paragraph(f"d{i}:p001", f"d{i}", 0, 0, 4, 1, "甲乙丙丁"),))
    ...         for i in range(1, 4)]
    >>> p = Phrase("甲乙丙丁", "甲乙丙丁", ("甲乙", "丙丁"), 3, 3, "甲乙丙丁", ((0, 0, 4), (1, 0, 4), (2, 0, 4)))
    >>> [x.documents for x in independent_writers([p], docs, [0, 1, 2], [], 3)]
    [3]
    >>> independent_writers([p], docs, [0, 1, 2], [ParagraphPair("d2:p001", "d3:p001", 1.0, 1.0, "identical")], 3)
    []
    """
    par_first = np.cumsum([0] + [len(d.paragraphs) for d in documents])
    par_of = _numbering(documents, par_first.tolist())
    par_group = np.repeat(np.asarray(groups, dtype=np.int64), np.diff(par_first))
    links = []
    for pp in paragraph_pairs:
        a, b = par_of(pp.a), par_of(pp.b)
        if a is not None and b is not None and par_group[a] != par_group[b]:
            links.append((a, b))
    count = sum(len(p.locations) for p in phrases)
    if not links or not count:
        return list(phrases)
    linked = np.unique(np.asarray(links, dtype=np.int64))

    # the paragraph of every occurrence, kept when that paragraph is in a link
    loc = np.fromiter(chain.from_iterable(chain.from_iterable(p.locations for p in phrases)), dtype=np.int64,
                      count=3 * count).reshape(-1, 3)
    owner = np.repeat(np.arange(len(phrases)), [len(p.locations) for p in phrases])
    spans = np.concatenate([d.paragraphs.spans() for d in documents] or [np.zeros((0, 3), np.int64)])
    starts, ends = spans[:, 0], spans[:, 1]
    span = int(max(ends.max(initial=0), loc[:, 2].max())) + 1  # (document, offset) as one sortable key
    par_key = np.repeat(np.arange(len(documents), dtype=np.int64), np.diff(par_first)) * span + starts
    par = np.searchsorted(par_key, loc[:, 0] * span + loc[:, 1], side="right") - 1
    inside = (par >= 0) & (loc[:, 1] < ends[np.maximum(par, 0)]) & np.isin(par, linked)
    in_par: dict[int, set[int]] = defaultdict(set)  # linked paragraph -> phrases occurring in it
    for q, k in zip(owner[inside].tolist(), par[inside].tolist()):
        in_par[k].add(q)

    # occurrences written twice: (phrase, paragraph) pairs, and the groups they link per phrase
    copied: dict[int, set[int]] = defaultdict(set)  # phrase -> the paragraphs it was copied in
    edges: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a, b in links:
        for q in in_par.get(a, set()) & in_par.get(b, set()):
            copied[q].update((a, b))
            edges[q].append((int(par_group[a]), int(par_group[b])))
    if not edges:
        return list(phrases)
    doc_group = np.asarray(groups, dtype=np.int64)
    cut = np.searchsorted(owner, np.arange(len(phrases) + 1))
    counts: dict[int, int] = {}
    for q, qe in edges.items():
        # the groups of the occurrences outside the paragraphs the phrase was copied in
        mine = ~np.isin(par[cut[q]:cut[q + 1]], np.fromiter(copied[q], dtype=np.int64, count=len(copied[q])))
        free = set(doc_group[loc[cut[q]:cut[q + 1], 0][mine]].tolist())
        root: dict[int, int] = {}
        for x, y in qe:
            rx, ry = _find(root, x), _find(root, y)
            if rx != ry:
                root[max(rx, ry)] = min(rx, ry)
        parts: dict[int, bool] = {}
        for g in root:
            r = _find(root, g)
            parts[r] = parts.get(r, False) or g in free
        counts[q] = len(free) + sum(not has_free for has_free in parts.values())
    kept = [replace(p, documents=counts.get(q, p.documents)) for q, p in enumerate(phrases)
            if counts.get(q, p.documents) >= min_docs]
    heads = {p.text for p in kept}
    kept = [p if p.family in heads else replace(p, family=p.text) for p in kept]
    kept.sort(key=rank_key)
    return kept


__all__ = ["independent_writers"]
