"""Passages as the report gives them: offsets into the original text, kind (exact, template,
edited) and edits (figures, place names, replaced/inserted/deleted characters), their pieces
per paragraph pair and the evidence each piece holds.

:func:`describe_pair` (:func:`describe_found` for many pairs) and :func:`number_passages` are the
steps every executor runs on the passages it found: describe a document pair's passages together
(a name swapped as a place anywhere in a pair is a place everywhere in it), then number all
passages in one order.
"""

from __future__ import annotations

import dataclasses

import importlib.util
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from chachong.stages.passages import DocumentMatch, corpus_layout, evidence, pieces
from chachong.stages.prepare import Corpus

_ADMIN_SUFFIXES = ("自治区", "自治州", "自治县", "街道", "社区", "省", "市", "区", "县", "镇", "乡", "村", "州", "盟", "旗")
EDIT_OPS = ("replace", "insert", "delete", "figure", "place")


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Place names (``ns``) of jieba's dictionary, read from its file without importing jieba.

    Empty when jieba is not installed; the administrative-suffix rule still applies then.
    """
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return frozenset()
    path = Path(spec.origin).parent / "dict.txt"
    if not path.is_file():
        return frozenset()
    out = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "ns" and 2 <= len(parts[0]) <= 6:
                out.add(parts[0])
    return frozenset(out)


_PLACE_SHAPE = re.compile("[\u4e00-\u9fff]{2,8}")
_CJK = re.compile("[\u4e00-\u9fff]+")


def _is_place(s: str) -> bool:
    if not _PLACE_SHAPE.fullmatch(s):
        return False
    return s in place_names() or (len(s) >= 3 and s.endswith(_ADMIN_SUFFIXES))


def place_substitution(ta: str, a0: int, a1: int, tb: str, b0: int, b1: int) -> bool:
    """Whether ``ta[a0:a1]`` -> ``tb[b0:b1]`` swaps one place name for another.

    The differing characters are widened by up to two shared characters on each side, so
    阳光区 -> 星河区 (narrowed to 阳光 -> 星河) and 江西 -> 广西 (江 -> 广) are recognised.

    >>> place_substitution("在阳光区开展", 1, 3, "在星河区开展", 1, 3)
    True
    >>> place_substitution("开展检查", 2, 3, "开展调查", 2, 3)
    False
    """
    if a1 <= a0 or b1 <= b0 or a1 - a0 > 8 or b1 - b0 > 8:
        return False  # a name is 2 to 8 characters, all of them CJK: so are both cores
    if not _CJK.fullmatch(ta, a0, a1) or not _CJK.fullmatch(tb, b0, b1):
        return False
    lefts = [left for left in range(3) if a0 - left >= 0 and b0 - left >= 0 and ta[a0 - left:a0] == tb[b0 - left:b0]]
    rights = [right for right in range(3) if a1 + right <= len(ta) and ta[a1:a1 + right] == tb[b1:b1 + right]]
    for left in lefts:
        for right in rights:
            if _is_place(ta[a0 - left:a1 + right]) and _is_place(tb[b0 - left:b1 + right]):
                return True
    return False


@dataclass(frozen=True)
class Passage:
    """A copied passage between documents ``a`` < ``b`` (ids), in offsets of their texts.

    ``edits`` are ``(a_start, a_end, b_start, b_end, op)``: how b's copy differs from a's
    text, ``op`` one of ``replace``, ``insert`` (text only in b), ``delete`` (text only in a),
    ``figure`` (a digit run or placeholder, equal once masked) and ``place`` (one place name
    for another). ``kind`` is ``exact`` (no edits), ``template`` (only figures and place
    names differ) or ``edited``. ``matched`` counts the canonical characters matched exactly.
    """

    id: str
    a: str
    b: str
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    matched: int
    kind: str
    edits: tuple[tuple[int, int, int, int, str], ...]
    a_paragraphs: tuple[str, ...]
    b_paragraphs: tuple[str, ...]


def _original(corpus: Corpus, d: int, c0: int, c1: int, first: int = -1) -> tuple[int, int]:
    """Local canonical [c0, c1) of document d -> original [start, end); empty gives its insertion point.

    The insertion point is just after the character before ``c0``, or, when ``c0`` is
    ``first`` (the start of the passage the edit belongs to), the passage's own start: the
    text between the two (a line break, punctuation) lies outside the passage.
    """
    base = int(corpus.doc_offsets[d])
    if c1 > c0:
        return int(corpus.orig_start[base + c0]), int(corpus.orig_end[base + c1 - 1])
    if c0 == first:
        p = int(corpus.orig_start[base + c0])
    else:
        p = int(corpus.orig_end[base + c0 - 1]) if c0 > 0 else 0
    return p, p


def _free(corpus: Corpus, d: int, c0: int, c1: int) -> tuple[int, int]:
    """How far around canonical [c0, c1) of document d its text holds no canonical character."""
    base, end = int(corpus.doc_offsets[d]), int(corpus.doc_offsets[d + 1])
    lo = int(corpus.orig_end[base + c0 - 1]) if c0 > 0 else 0
    hi = int(corpus.orig_start[base + c1]) if base + c1 < end else len(corpus.documents[d].text)
    return lo, hi


def _paragraphs_over(corpus: Corpus, d: int, c0: int, c1: int) -> list[int]:
    """Global indices of document d's paragraphs overlapping local canonical [c0, c1)."""
    lay = corpus_layout(corpus)
    return [p for p in lay.over(d, c0, c1) if lay.ends[p] > lay.starts[p]]


def describe(corpus: Corpus, dm: DocumentMatch, places: set[tuple[str, str]] | None = None) -> Passage:
    """The report record of a passage (id left empty): original offsets, edits, kind.

    ``places`` collects the place-name substitutions of one document pair, so that a name
    renamed consistently (阳光区 -> 星河区, then 阳光监管 -> 星河监管) counts as a place there too.
    """
    m = dm.match
    ta, tb = corpus.documents[dm.a].text, corpus.documents[dm.b].text
    ba, bb = int(corpus.doc_offsets[dm.a]), int(corpus.doc_offsets[dm.b])
    edits: list[tuple[int, int, int, int, str]] = []
    places = places if places is not None else set()
    for ca0, ca1, cb0, cb1 in m.edits:
        a0, a1 = _original(corpus, dm.a, ca0, ca1, m.a_start)
        b0, b1 = _original(corpus, dm.b, cb0, cb1, m.b_start)
        if ca1 == ca0:
            op = "insert"
        elif cb1 == cb0:
            op = "delete"
        elif place_substitution(ta, a0, a1, tb, b0, b1) or (ta[a0:a1], tb[b0:b1]) in places:
            op = "place"
            places.add((ta[a0:a1], tb[b0:b1]))
        else:
            op = "replace"
        edits.append((a0, a1, b0, b1, op))
    # masked figures and placeholders inside the exact blocks: equal canonically, maybe not in the text
    masks = corpus_layout(corpus).masks
    for a0, b0, n in m.blocks:
        for x in range(bisect_left(masks, ba + a0), bisect_left(masks, ba + a0 + n)):
            ia = masks[x]
            ib = bb + b0 + ia - ba - a0
            sa = (int(corpus.orig_start[ia]), int(corpus.orig_end[ia]))
            sb = (int(corpus.orig_start[ib]), int(corpus.orig_end[ib]))
            if ta[sa[0]:sa[1]] != tb[sb[0]:sb[1]]:
                edits.append((sa[0], sa[1], sb[0], sb[1], "figure"))
    edits.sort()
    ops = {e[4] for e in edits}
    kind = "exact" if not ops else ("template" if ops <= {"figure", "place"} else "edited")
    a0, a1 = _original(corpus, dm.a, m.a_start, m.a_end)
    b0, b1 = _original(corpus, dm.b, m.b_start, m.b_end)
    # punctuation around the passage that both texts share is part of the copy (not line breaks)
    na, nb = _free(corpus, dm.a, m.a_start, m.a_end), _free(corpus, dm.b, m.b_start, m.b_end)
    while a1 < na[1] and b1 < nb[1] and ta[a1] == tb[b1] and ta[a1] != "\n":
        a1, b1 = a1 + 1, b1 + 1
    while a0 > na[0] and b0 > nb[0] and ta[a0 - 1] == tb[b0 - 1] and ta[a0 - 1] != "\n":
        a0, b0 = a0 - 1, b0 - 1
    pids = corpus.paragraph_ids
    return Passage("", corpus.documents[dm.a].id, corpus.documents[dm.b].id, a0, a1, b0, b1, m.matched, kind,
                   tuple(edits),
                   tuple(pids[p] for p in _paragraphs_over(corpus, dm.a, m.a_start, m.a_end)),
                   tuple(pids[p] for p in _paragraphs_over(corpus, dm.b, m.b_start, m.b_end)))


_PASSAGE_FIELDS = tuple(f.name for f in dataclasses.fields(Passage) if f.name != "id")


def _fields(p: Passage) -> tuple:
    """A passage's fields after its id (a new id without dataclasses.replace, which is slow in bulk)."""
    return tuple(getattr(p, f) for f in _PASSAGE_FIELDS)


def describe_pair(corpus: Corpus, matches: list[DocumentMatch]) -> list[tuple[DocumentMatch, Passage, list]]:
    """Report records (ids left empty) and paragraph pieces of the passages of one document pair.

    Returns ``(match, passage, pieces)`` in the pair's order of position; ``pieces`` are
    :func:`~chachong.stages.passages.pieces` with the :func:`~chachong.stages.passages.evidence`
    of each appended (what paragraph pairs and a longer ``min_span`` re-filter on).
    """
    matches = sorted(matches, key=lambda dm: (dm.match.a_start, dm.match.b_start, dm.match.a_end, dm.match.b_end))
    places: set[tuple[str, str]] = set()
    passages = [describe(corpus, dm, places) for dm in matches]
    # a name swapped as a place anywhere in a document pair is a place everywhere in it
    if places:
        passages = [describe(corpus, dm, places) if any(e[4] == "replace" for e in p.edits) else p
                    for dm, p in zip(matches, passages)]
    return [(dm, p, [(*c, evidence(corpus, dm, c[2], c[3])) for c in pieces(corpus, dm)])
            for dm, p in zip(matches, passages)]


def describe_found(corpus: Corpus, found: list[DocumentMatch],
                   pairs: Sequence[tuple[int, int]] | None = None) -> dict[tuple[int, int], list[tuple]]:
    """The passages ``passages.find_passages`` found, described per document pair (:func:`describe_pair`).

    One entry per pair of ``pairs`` (a pair without a passage has none), or per pair with a
    passage, in order, when ``pairs`` is not given. The local engine runs it on its pieces of the
    corpus's document pairs, the Dask engine on the pairs aligned at one partition.
    """
    per_pair: dict[tuple[int, int], list[DocumentMatch]] = {}
    for dm in found:
        per_pair.setdefault((dm.a, dm.b), []).append(dm)
    return {p: describe_pair(corpus, per_pair.get(p, [])) for p in (sorted(per_pair) if pairs is None else pairs)}


def passage_order(dm: DocumentMatch) -> tuple[int, int, int, int, int, int]:
    """The report's order of passages: by document a, position in a, document b, position in b."""
    m = dm.match
    return (dm.a, m.a_start, dm.b, m.b_start, m.a_end, m.b_end)


def number_passages(passages: Sequence[Passage]) -> list[Passage]:
    """The passages, in the order given, with ids ``s0001``, ``s0002`` ... (at least four digits).

    The merge step of the passage stage: every executor numbers all passages of the corpus once.
    """
    width = max(4, len(str(len(passages))))
    return [Passage(f"s{i + 1:0{width}d}", *_fields(p)) for i, p in enumerate(passages)]


__all__ = ["EDIT_OPS", "Passage", "describe", "describe_found", "describe_pair", "number_passages", "passage_order", "place_names",
           "place_substitution"]
