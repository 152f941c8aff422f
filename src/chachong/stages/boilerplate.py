"""Boilerplate: text that is not content at all.

Three kinds of finding, each with its locations in documents (character offsets and source
lines) or, for the advert block cut from the end of a compilation, in the source file only:

- ``repeated-line`` / ``advert``: lines put in by the site a compilation came from (adverts,
  contact and watermark lines). A line is one when it reads like an advert (see
  :func:`looks_like_advert`) or is repeated three times or more inside one document (page
  headers, watermarks). ``repeated-line`` when the same line occurs at least twice, ``advert``
  when it occurs once.
- ``marker``: inline markers such as ``##paidbegin##`` left by a paywall or an editor.
- ``placeholder``: unfilled template placeholders: ``XX``, ``XXX``, a lone ``x`` as in
  ``x次``/``x万元``, ``某某``, ``○○``, ``××``. The same characters are masked for matching
  (normalize.py), so a filled copy of a template still matches it.

A block of advert and marker lines after the last document of a compilation is cut off by
the splitter (:func:`trailing_block`); it reaches the report through a :class:`TrailerNote`
warning, the only channel from the splitter to an audit result.

>>> [m.group() for m in PLACEHOLDER.finditer("完成XX项，x次检查，第X批，某某同志，www.xxx.com，X光，“1+3+X”体系")]
['XX', 'x', 'X', '某某']
>>> looks_like_advert("【某某素材网】——每日更新公文范文，关注公众号获取更多资料")
True
>>> looks_like_advert("通过政务微信公众号发布信息，关注群众诉求。")
False
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from chachong.model import Document

MARKER = re.compile(r"##[^#\s]{1,40}##")
# XX, XXX next to CJK text, or a lone x standing for a figure (x次, x万元, 第x次); never part of
# a Latin word, a number (3x4), a URL (www.xxx.com) or a formula name ("1+3+X" 产业体系)
_NOT_X = r"A-Za-z0-9Ａ-Ｚａ-ｚ０-９._/@+＋\-"
_UNIT = "次个万亿千百元人户家项名件套起分%％倍天年月日余多条批场所处平米亩吨辆台座期"
# Every alternative starts by consuming a placeholder character and looks behind from there
# ((?<!Y.) after X is (?<!Y) before it), and a leading lookahead names those characters: the
# regex engine then rejects most positions with one test (7x faster over a corpus)
PLACEHOLDER = re.compile(
    rf"(?=[XxＸｘ某○◯×✕])(?:[XxＸｘ](?<![{_NOT_X}].)[XxＸｘ]+(?![{_NOT_X}])"
    rf"|[XxＸｘ](?<![{_NOT_X}].)(?=[{_UNIT}])|[XxＸｘ](?<=第.)(?![{_NOT_X}])"
    r"|某某+|[○◯]{2,}|[×✕]{2,})"
)
_PLACEHOLDER_CHARS = "XxＸｘ某○◯×✕"
# phrases of promotion that official writing does not use (strong), and words official writing
# uses too but adverts pile up (weak); 公众号, 微信 and 二维码 alone are weak: 政务公众号 is content
# (each alternative starts with a literal, which lets the regex engine scan for the first
# characters: QQ群 is spelt out as Q[Qq]群|q[Qq]群 for that)
_STRONG = re.compile(
    r"客服|素材库|素材网|代笔|加微信|微信号|Q[Qq]群|q[Qq]群|svip|vip会员|会员群|有意加入|请联系|关注公众号|"
    r"获取更多|每日更新|每天更新|一键下载|谨防假冒|原创高质量|https?://|www\."
)
_WEAK = re.compile(r"公众号|微信|二维码|扫码|网盘|会员|下载|关注|加入|联系|更新|原创|版权|转载|资料|素材|获取|范文|好评|接单")
_BRAND = re.compile(r"^\s*【[^】]{1,20}】")
_ENUMERATED = re.compile(r"^\s*([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\(?\d+[.、)）])")

KINDS = ("repeated-line", "advert", "marker", "placeholder")
_PRIORITY = {"repeated-line": 0, "advert": 0, "marker": 1, "placeholder": 2}


def looks_like_advert(line: str) -> bool:
    """True when a line reads like an advert or a contact/watermark line, not like content.

    It needs phrases official writing does not use (客服, 素材库, 关注公众号, 每日更新, a URL ...):
    two of them, or one after a bracketed brand (【...】), or one with two more advert words
    (会员, 下载, 资料 ...).
    """
    strong = {m.group().lower() for m in _STRONG.finditer(line)}
    if not strong:
        return False
    weak = {m.group() for m in _WEAK.finditer(line)}
    return len(strong) >= 2 or bool(_BRAND.match(line)) or len(weak) >= 2


def is_marker_line(line: str) -> bool:
    """A line holding nothing but markers (``##paidend##``)."""
    s = line.strip()
    return bool(s) and not MARKER.sub("", s).strip()


def trailing_block(lines: Sequence[str]) -> int | None:
    """Index of the first line of a trailing block of advert and marker lines, or None.

    The block is the longest run of lines at the end (blank lines inside allowed) each of
    which is a marker line, reads like an advert, or repeats a line already in the block. It
    counts only with firm evidence, a marker line or a line repeated verbatim in it, or two
    advert lines; and at least one line of content must stay before it.

    >>> trailing_block(["正文第一段。", "正文第二段。", "【某网】——关注公众号获取资料", "【某网】——关注公众号获取资料", "", "##end##"])
    2
    >>> trailing_block(["正文第一段。", "联系人：王某，联系电话：1234567"]) is None
    True
    """
    seen: set[str] = set()
    evidence = adverts = 0
    first = None
    for i in range(len(lines) - 1, -1, -1):
        s = lines[i].strip()
        if not s:
            continue
        if is_marker_line(s) or s in seen:
            evidence += 1
        elif looks_like_advert(s):
            adverts += 1
        else:
            break
        seen.add(s)
        first = i
    if first is None or not (evidence or adverts >= 2):
        return None
    if not any(line.strip() for line in lines[:first]):
        return None
    return first


class TrailerNote(str):
    """A splitter warning that also carries the lines it cut from the end of a source.

    It is an ordinary warning string (so every caller prints it as such); ``source`` and
    ``lines`` ((source line number, text) of each non-blank line cut) let the audit report the
    lines as boilerplate findings.
    """

    source: str
    lines: tuple[tuple[int, str], ...]

    @classmethod
    def make(cls, source: str, lines: Iterable[tuple[int, str]]) -> TrailerNote:
        kept = tuple((n, t) for n, t in lines if t.strip())
        first, last = kept[0][0], kept[-1][0]
        note = cls(f"{source}: lines {first}-{last} after the last document are adverts or markers, not content; "
                   "left out of the document and reported as boilerplate")
        note.source = source
        note.lines = kept
        return note


@dataclass
class Boilerplate:
    """What :func:`find_boilerplate` found.

    ``findings`` are report-ready records; ``intervals[i]`` are (start, end, kind) in the text
    of document i, sorted and non-overlapping (lines before markers before placeholders);
    ``placeholders[i]`` counts the placeholders of document i.
    """

    findings: list[dict[str, Any]] = field(default_factory=list)
    intervals: list[list[tuple[int, int, str]]] = field(default_factory=list)
    placeholders: list[int] = field(default_factory=list)


def _location(doc: Document | None, source: str, line: int, start: int | None = None,
              end: int | None = None) -> dict[str, Any]:
    return {"document": doc.id if doc else None, "source": source, "line": line, "start": start, "end": end}


class _Lines:
    """Source line of offsets into a document's text, counting line breaks from the last
    offset asked (matches come in order: counting from 0 each time was quadratic)."""

    def __init__(self, doc: Document) -> None:
        self.doc, self.at, self.line = doc, 0, doc.line

    def __call__(self, offset: int) -> int:
        if offset < self.at:
            self.at, self.line = 0, self.doc.line
        self.line += self.doc.text.count("\n", self.at, offset)
        self.at = offset
        return self.line


def _flatten(raw: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sorted, non-overlapping intervals: each character keeps the kind of the first interval
    covering it in the order (priority of its kind, start, end, position in ``raw``); touching
    intervals of one kind merge; empty intervals cover nothing.

    One sweep over the interval ends with a heap of the intervals open, O(n log n): a file
    repeating one summary thousands of times has thousands of intervals.

    >>> _flatten([(0, 10, "placeholder"), (2, 4, "marker"), (3, 6, "advert"), (10, 12, "placeholder")])
    [(0, 2, 'placeholder'), (2, 3, 'marker'), (3, 6, 'advert'), (6, 12, 'placeholder')]
    """
    items = [(_PRIORITY[k], s, e, i, k) for i, (s, e, k) in enumerate(raw) if s < e]
    if not items:
        return []
    items.sort()  # rank = index in this order: lower wins
    by_start = sorted(range(len(items)), key=lambda r: items[r][1])
    bounds = sorted({x for _p, s, e, _i, _k in items for x in (s, e)})
    open_: list[tuple[int, int]] = []  # (rank, end)
    out: list[tuple[int, int, str]] = []
    j = 0
    for a, b in pairwise(bounds):
        while j < len(by_start) and items[by_start[j]][1] <= a:
            heapq.heappush(open_, (by_start[j], items[by_start[j]][2]))
            j += 1
        while open_ and open_[0][1] <= a:
            heapq.heappop(open_)
        if not open_:
            continue
        kind = items[open_[0][0]][4]
        if out and out[-1][2] == kind and out[-1][1] == a:
            out[-1] = (out[-1][0], b, kind)
        else:
            out.append((a, b, kind))
    return out


def find_boilerplate(documents: Sequence[Document], trailers: Iterable[TrailerNote] = ()) -> Boilerplate:
    """Advert and repeated lines, markers and placeholders of ``documents``.

    ``trailers`` are the blocks the splitter cut from the ends of sources; their lines are
    reported with their source line numbers and no document.
    """
    return merge_boilerplate([boilerplate_batch(documents)], trailers)


@dataclass
class BoilerplateBatch:
    """What :func:`boilerplate_batch` found in a batch of documents, before the kinds of its
    lines are known: ``lines[i]`` (start, end, line) and ``other[i]`` (start, end, kind) of
    document i, ``found`` the locations of each (kind or "line", text), ``counts`` how often
    each line found occurs in the batch."""

    ids: list[str]
    lines: list[list[tuple[int, int, str]]]
    other: list[list[tuple[int, int, str]]]
    placeholders: list[int]
    found: dict[tuple[str, str], list[dict[str, Any]]]
    counts: dict[str, int]


def boilerplate_batch(documents: Sequence[Document]) -> BoilerplateBatch:
    """The findings of a batch of documents (a partition, or all), merged by :func:`merge_boilerplate`.

    A line is boilerplate when it is repeated three times in its document or reads like an
    advert; whether it is a ``repeated-line`` (twice or more in the corpus) or an ``advert`` is
    decided on merging. Both are known from the batches alone: a line three times in one
    document is repeated, and every occurrence of an advert line is found (its document has the
    strong advert phrase that makes its lines tested), so its batches' counts add up.
    """
    line_count: Counter[str] = Counter()
    per_doc_count: list[Counter[str]] = []
    for doc in documents:
        lines = [t.strip() for t in doc.paragraphs.texts()]
        per_doc_count.append(Counter(lines))
        line_count.update(lines)
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    lines_of: list[list[tuple[int, int, str]]] = []
    other: list[list[tuple[int, int, str]]] = []
    placeholders: list[int] = []
    for doc, counts in zip(documents, per_doc_count):
        raw_lines: list[tuple[int, int, str]] = []
        raw: list[tuple[int, int, str]] = []
        # a line reads like an advert only with a strong advert phrase, which the whole text then
        # has too; most documents have none and no line three times, and need no line-by-line test
        lines_to_test = doc.paragraphs if (max(counts.values(), default=0) >= 3
                                           or _STRONG.search(doc.text)) else ()
        for p in lines_to_test:
            t = p.text.strip()
            if "##" in t and is_marker_line(t):
                continue  # reported below as markers
            within = counts[t] >= 3 and len(t) >= 6 and not _ENUMERATED.match(t)
            if within or looks_like_advert(t):
                found[("line", t)].append(_location(doc, doc.source, p.line, p.start, p.end))
                raw_lines.append((p.start, p.end, t))
        line_of = _Lines(doc)
        for m in MARKER.finditer(doc.text):
            found[("marker", m.group())].append(_location(doc, doc.source, line_of(m.start()), m.start(), m.end()))
            raw.append((m.start(), m.end(), "marker"))
        n_place = 0
        line_of = _Lines(doc)
        # no placeholder starts before the first placeholder character (lookbehinds still see
        # the text before it); str.find is several times faster than a regex scan
        first = min((i for i in map(doc.text.find, _PLACEHOLDER_CHARS) if i >= 0), default=len(doc.text))
        for m in PLACEHOLDER.finditer(doc.text, first):
            found[("placeholder", m.group())].append(
                _location(doc, doc.source, line_of(m.start()), m.start(), m.end()))
            raw.append((m.start(), m.end(), "placeholder"))
            n_place += 1
        placeholders.append(n_place)
        lines_of.append(raw_lines)
        other.append(raw)
    counts_found = {t: line_count[t] for kind, t in found if kind == "line"}
    return BoilerplateBatch([d.id for d in documents], lines_of, other, placeholders, dict(found), counts_found)


def merge_boilerplate(batches: Sequence[BoilerplateBatch], trailers: Iterable[TrailerNote] = ()) -> Boilerplate:
    """The :class:`Boilerplate` of the documents of ``batches`` (in order) and of ``trailers``."""
    trailers = list(trailers)
    # how often each line found occurs, in documents and in cut blocks
    line_count: Counter[str] = Counter()
    for batch in batches:
        line_count.update(batch.counts)
    for note in trailers:
        for _n, t in note.lines:
            line_count[t.strip()] += 1

    def kind_of(t: str) -> str:
        return "repeated-line" if line_count[t] >= 2 else "advert"

    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    intervals: list[list[tuple[int, int, str]]] = []
    placeholders: list[int] = []
    for batch in batches:
        for (kind, text), locs in batch.found.items():
            found[(kind_of(text) if kind == "line" else kind, text)].extend(locs)
        for lines, raw in zip(batch.lines, batch.other):
            intervals.append(_flatten([(s, e, kind_of(t)) for s, e, t in lines] + raw))
        placeholders.extend(batch.placeholders)
    for note in trailers:
        for n, t in note.lines:
            s = t.strip()
            if is_marker_line(s):
                for m in MARKER.finditer(s):
                    found[("marker", m.group())].append(_location(None, note.source, n))
            else:
                found[(kind_of(s), s)].append(_location(None, note.source, n))
    order = {i: k for k, i in enumerate(i for batch in batches for i in batch.ids)}

    def loc_key(loc: dict[str, Any]) -> tuple:
        return (loc["source"], loc["line"], order.get(loc["document"], -1), loc["start"] or 0)

    order_found = sorted(found.items(), key=lambda kv: (KINDS.index(kv[0][0]), -len(kv[1]), kv[0][1]))
    findings: list[dict[str, Any]] = [
        {"text": text, "kind": kind, "occurrences": len(locs), "locations": sorted(locs, key=loc_key)}
        for (kind, text), locs in order_found]
    return Boilerplate(findings, intervals, placeholders)


__all__ = [
    "MARKER",
    "PLACEHOLDER",
    "Boilerplate",
    "BoilerplateBatch",
    "TrailerNote",
    "boilerplate_batch",
    "find_boilerplate",
    "is_marker_line",
    "looks_like_advert",
    "merge_boilerplate",
    "trailing_block",
]
