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

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np

from chachong.runtime.arrays import range_indices
from chachong.stages.dictionary import tagged_words
from chachong.stages.passages import DocumentMatch, corpus_layout, evidence, pieces
from chachong.stages.prepare import Corpus

_ADMIN_SUFFIXES = ("自治区", "自治州", "自治县", "街道", "社区", "省", "市", "区", "县", "镇", "乡", "村", "州", "盟", "旗")
EDIT_OPS = ("replace", "insert", "delete", "figure", "place")


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Place names (``ns``) of 2 to 6 characters in jieba's dictionary (:mod:`.dictionary`: read
    without importing jieba). Empty when jieba is not installed; the administrative-suffix rule
    still applies then.
    """
    return frozenset(w for w in tagged_words()["ns"] if 2 <= len(w) <= 6)


_CJK = re.compile("[\u4e00-\u9fff]+")


def place_substitution(ta: str, a0: int, a1: int, tb: str, b0: int, b1: int) -> bool:
    """Whether ``ta[a0:a1]`` -> ``tb[b0:b1]`` swaps one place name for another.

    The differing characters are widened by up to two shared characters on each side, so
    阳光区 -> 星河区 (narrowed to 阳光 -> 星河) and 江西 -> 广西 (江 -> 广) are recognised. A place
    name is 2 to 8 CJK characters, in jieba's dictionary (``ns``) or of at least three ending in
    an administrative suffix (区, 县, 街道...).

    >>> place_substitution("在阳光区开展", 1, 3, "在星河区开展", 1, 3)
    True
    >>> place_substitution("开展检查", 2, 3, "开展调查", 2, 3)
    False
    """
    if a1 <= a0 or b1 <= b0 or a1 - a0 > 8 or b1 - b0 > 8:
        return False  # a name is 2 to 8 characters, all of them CJK: so are both cores
    if not _CJK.fullmatch(ta, a0, a1) or not _CJK.fullmatch(tb, b0, b1):
        return False
    # widened by shared CJK characters only (a name is all CJK), so every widening is all CJK
    lefts = [0]
    while len(lefts) < 3:
        at = len(lefts)
        if at > a0 or at > b0 or ta[a0 - at] != tb[b0 - at] or not "\u4e00" <= ta[a0 - at] <= "\u9fff":
            break
        lefts.append(at)
    rights = [0]
    while len(rights) < 3:
        at = len(rights)
        if a1 + at > len(ta) or b1 + at > len(tb) or ta[a1 + at - 1] != tb[b1 + at - 1] \
                or not "\u4e00" <= ta[a1 + at - 1] <= "\u9fff":
            break
        rights.append(at)
    names = place_names()
    for left in lefts:
        for right in rights:
            if not (2 <= a1 - a0 + left + right <= 8 and 2 <= b1 - b0 + left + right <= 8):
                continue
            x = ta[a0 - left:a1 + right]
            if x in names or (len(x) >= 3 and x.endswith(_ADMIN_SUFFIXES)):
                y = tb[b0 - left:b1 + right]
                if y in names or (len(y) >= 3 and y.endswith(_ADMIN_SUFFIXES)):
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


class _Offsets(NamedTuple):
    """What :func:`describe` reads of the corpus for one passage, looked up for many at once
    (:func:`_offsets`): one numpy call per question, not two per edit (an ``Ends`` lookup costs
    microseconds)."""

    edits: list[tuple[int, int, int, int]]  # each of match.edits in original offsets (_original's rule)
    span: tuple[int, int, int, int]  # the passage in original offsets
    free: tuple[int, int, int, int]  # how far around it each text holds no canonical character
    figures: list[tuple[int, int, int, int]]  # each masked position inside an exact block, in a and b
    paragraphs: tuple[tuple[str, ...], tuple[str, ...]]  # ids of the non-empty paragraphs it overlaps


def _offsets(corpus: Corpus, matches: Sequence[DocumentMatch]) -> list[_Offsets]:
    """The :class:`_Offsets` of each of these passages.

    A local canonical ``[c0, c1)`` of a document maps to original ``[start, end)``; an empty one
    to its insertion point: just after the character before ``c0``, or, when ``c0`` is the start
    of the passage the edit belongs to, the passage's own start (the text between the two, a line
    break or punctuation, lies outside the passage). ``free``: the end of the character before
    the passage (0 at the document's start) and the start of the one after it (the text's length
    at its end).
    """
    lay = corpus_layout(corpus)
    offs, first_par = lay.offsets, lay.first
    base: list[int] = []  # spans mapped by the rule above: document offset, c0, c1, passage start
    c0s: list[int] = []
    c1s: list[int] = []
    starts: list[int] = []
    after: list[int] = []  # global canonical position after each passage (per side), or -1 - text length
    blocks: list[tuple[int, int, int]] = []  # the exact blocks of every passage
    block_bases: list[int] = []  # the document offsets of each passage, a then b
    sizes: list[tuple[int, int]] = []  # edits and exact blocks of each passage
    paragraphs = []
    for dm in matches:
        m = dm.match
        ba, bb = offs[dm.a], offs[dm.b]
        for ca0, ca1, cb0, cb1 in m.edits:
            base += (ba, bb)
            c0s += (ca0, cb0)
            c1s += (ca1, cb1)
            starts += (m.a_start, m.b_start)
        # the passage, then the (empty, not at a passage start) insertion point before it
        base += (ba, bb, ba, bb)
        c0s += (m.a_start, m.b_start, m.a_start, m.b_start)
        c1s += (m.a_end, m.b_end, m.a_start, m.b_start)
        starts += (-1, -1, -1, -1)
        for d, o, c1 in ((dm.a, ba, m.a_end), (dm.b, bb, m.b_end)):
            after.append(o + c1 if o + c1 < offs[d + 1] else -1 - len(corpus.documents[d].text))
        blocks.extend(m.blocks)
        block_bases += (ba, bb)
        sizes.append((len(m.edits), len(m.blocks)))
        over = []
        for d, c0, c1 in ((dm.a, m.a_start, m.a_end), (dm.b, m.b_start, m.b_end)):
            ps = corpus.documents[d].paragraphs
            over.append(tuple(ps.id_at(p - first_par[d]) for p in lay.over(d, c0, c1) if lay.ends[p] > lay.starts[p]))
        paragraphs.append(tuple(over))
    if not matches:
        return []
    b, c0, c1, first = (np.array(v, dtype=np.int64) for v in (base, c0s, c1s, starts))
    top = corpus.cps.size - 1
    full = c1 > c0
    at_start = np.asarray(corpus.orig_start[np.clip(b + c0, 0, top)])
    at_end = np.asarray(corpus.orig_end[np.clip(np.where(full, b + c1, b + c0) - 1, 0, top)])
    lo = np.where(full | (c0 == first), at_start, np.where(c0 > 0, at_end, 0))
    spans = np.stack((lo, np.where(full, at_end, lo)), axis=1).tolist()
    nxt = np.array(after, dtype=np.int64)
    hi = np.where(nxt >= 0, np.asarray(corpus.orig_start[np.clip(nxt, 0, top)]), -1 - nxt).tolist()
    fig, per_passage = _masked_in_blocks(lay.mask_array, blocks, block_bases, [n for _, n in sizes])
    fig = np.stack((np.asarray(corpus.orig_start[fig]), np.asarray(corpus.orig_end[fig])), axis=1).reshape(-1, 4).tolist()
    out = []
    i = j = 0
    for k, ((n_edits, _), n_figures) in enumerate(zip(sizes, per_passage)):
        edits = [(*spans[i + 2 * e], *spans[i + 2 * e + 1]) for e in range(n_edits)]
        i += 2 * n_edits
        (a0, a1), (b0, b1), (fa, _), (fb, _) = spans[i:i + 4]
        i += 4
        out.append(_Offsets(edits, (a0, a1, b0, b1), (fa, hi[2 * k], fb, hi[2 * k + 1]), fig[j:j + n_figures],
                            paragraphs[k]))
        j += n_figures
    return out


def _masked_in_blocks(masks: np.ndarray, blocks: list[tuple[int, int, int]], bases: list[int],
                      counts: list[int]) -> tuple[np.ndarray, list[int]]:
    """The masked positions inside the exact blocks ``(a0, b0, length)`` of passages: each as its
    global position in a then in b (flat, in block order), and how many each passage has.
    ``bases``: each passage's document offsets in a and b; ``counts``: its number of blocks;
    ``masks``: the corpus's masked positions, ascending."""
    base = np.array(bases, dtype=np.int64).reshape(-1, 2)
    blk = np.array(blocks, dtype=np.int64).reshape(-1, 3)
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    at = base[owner, 0] + blk[:, 0]  # each block's start in a, global
    lo = np.searchsorted(masks, at)
    found = np.searchsorted(masks, at + blk[:, 2]) - lo
    pos_a = masks[range_indices(lo, found)]
    pos_b = pos_a + np.repeat(base[owner, 1] + blk[:, 1] - at, found)
    per_passage = np.bincount(np.repeat(owner, found), minlength=len(counts)).tolist()
    return np.stack((pos_a, pos_b), axis=1).reshape(-1), per_passage


def describe(corpus: Corpus, dm: DocumentMatch, places: set[tuple[str, str]] | None = None,
             offsets: _Offsets | None = None) -> Passage:
    """The report record of a passage (id left empty): original offsets, edits, kind.

    ``places`` collects the place-name substitutions of one document pair, so that a name
    renamed consistently (阳光区 -> 星河区, then 阳光监管 -> 星河监管) counts as a place there too.
    ``offsets``: :func:`_offsets` of the passage, when looked up already.
    """
    m = dm.match
    got = offsets if offsets is not None else _offsets(corpus, [dm])[0]
    ta, tb = corpus.documents[dm.a].text, corpus.documents[dm.b].text
    edits: list[tuple[int, int, int, int, str]] = []
    places = places if places is not None else set()
    for (ca0, ca1, cb0, cb1), (a0, a1, b0, b1) in zip(m.edits, got.edits):
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
    for sa0, sa1, sb0, sb1 in got.figures:
        if ta[sa0:sa1] != tb[sb0:sb1]:
            edits.append((sa0, sa1, sb0, sb1, "figure"))
    edits.sort()
    ops = {e[4] for e in edits}
    kind = "exact" if not ops else ("template" if ops <= {"figure", "place"} else "edited")
    a0, a1, b0, b1 = got.span
    # punctuation around the passage that both texts share is part of the copy (not line breaks)
    na0, na1, nb0, nb1 = got.free
    while a1 < na1 and b1 < nb1 and ta[a1] == tb[b1] and ta[a1] != "\n":
        a1, b1 = a1 + 1, b1 + 1
    while a0 > na0 and b0 > nb0 and ta[a0 - 1] == tb[b0 - 1] and ta[a0 - 1] != "\n":
        a0, b0 = a0 - 1, b0 - 1
    return Passage("", corpus.documents[dm.a].id, corpus.documents[dm.b].id, a0, a1, b0, b1, m.matched, kind,
                   tuple(edits), *got.paragraphs)


_PASSAGE_FIELDS = tuple(f.name for f in dataclasses.fields(Passage) if f.name != "id")


def _fields(p: Passage) -> tuple:
    """A passage's fields after its id (a new id without dataclasses.replace, which is slow in bulk)."""
    return tuple(getattr(p, f) for f in _PASSAGE_FIELDS)


def describe_pair(corpus: Corpus, matches: list[DocumentMatch],
                  offsets: list[_Offsets] | None = None) -> list[tuple[DocumentMatch, Passage, list]]:
    """Report records (ids left empty) and paragraph pieces of the passages of one document pair.

    Returns ``(match, passage, pieces)`` in the pair's order of position; ``pieces`` are
    :func:`~chachong.stages.passages.pieces` with the :func:`~chachong.stages.passages.evidence`
    of each appended (what paragraph pairs and a longer ``min_span`` re-filter on).
    ``offsets``: :func:`_offsets` of ``matches`` when looked up already (they are then in that order).
    """
    if offsets is None:
        matches = sorted(matches, key=_position)
        offsets = _offsets(corpus, matches)
    places: set[tuple[str, str]] = set()
    passages = [describe(corpus, dm, places, o) for dm, o in zip(matches, offsets)]
    # a name swapped as a place anywhere in a document pair is a place everywhere in it
    if places:
        passages = [describe(corpus, dm, places, o) if any(e[4] == "replace" for e in p.edits) else p
                    for dm, p, o in zip(matches, passages, offsets)]
    return [(dm, p, [(*c, evidence(corpus, dm, c[2], c[3])) for c in pieces(corpus, dm)])
            for dm, p in zip(matches, passages)]


def _position(dm: DocumentMatch) -> tuple[int, int, int, int]:
    """A passage's order within its document pair."""
    return dm.match.a_start, dm.match.b_start, dm.match.a_end, dm.match.b_end


def describe_found(corpus: Corpus, found: list[DocumentMatch],
                   pairs: Sequence[tuple[int, int]] | None = None) -> dict[tuple[int, int], list[tuple]]:
    """The passages ``passages.find_passages`` found, described per document pair (:func:`describe_pair`).

    One entry per pair of ``pairs`` (a pair without a passage has none), or per pair with a
    passage, in order, when ``pairs`` is not given. The local engine runs it on its pieces of the
    corpus's document pairs, the Dask engine on the pairs aligned at one partition. The original
    offsets of all the passages are looked up together (:func:`_offsets`).
    """
    per_pair: dict[tuple[int, int], list[DocumentMatch]] = {}
    for dm in found:
        per_pair.setdefault((dm.a, dm.b), []).append(dm)
    order = sorted(per_pair) if pairs is None else pairs
    runs = [sorted(per_pair.get(p, []), key=_position) for p in order]
    offsets = _offsets(corpus, [dm for run in runs for dm in run])
    out, i = {}, 0
    for p, run in zip(order, runs):
        out[p] = describe_pair(corpus, run, offsets[i:i + len(run)])
        i += len(run)
    return out


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
