"""Text placed on pages (OFD text objects, OCR'd boxes) to paragraphs in reading order.

A page gives fragments: a piece of text with its box. Fragments whose boxes share most of their
height are one line, read left to right; lines are read top to bottom. A new paragraph starts
where a reader sees one in a Chinese document:

- the line is indented (公文 indent a paragraph's first line by two characters; a centred title
  is "indented" too);
- the line before ended well short of the right margin (the last line of a paragraph);
- there is more space above the line than between the lines of a paragraph;
- the text size changes (a heading above body text).

A paragraph running on over a page break is joined when the last line of the page reaches the
right margin and the next page starts without an indent. Coordinates grow rightwards and
downwards, in any unit (OFD millimetres, image pixels): every threshold is relative to the
line height.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Iterable, Sequence

__all__ = ["Fragment", "Line", "lines_of", "paragraphs"]

# in line heights
_INDENT = 1.0  # a line starting this much right of the left margin is indented (公文: 2 characters)
_SHORT = 1.5  # a line ending this much left of the right margin ends its paragraph
_GAP = 1.0  # space above a line beyond this starts a paragraph (paragraph lines: 0.2-0.8)
_SIZE = 0.25  # relative change of line height that marks a heading
_SPACE = 0.6  # a gap this wide between two pieces of a line is a space


@dataclass(frozen=True)
class Fragment:
    """A piece of text on a page and its box: left, right, top, bottom."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1e-6)


@dataclass(frozen=True)
class Line(Fragment):
    """A line of a page: its fragments joined in reading order, in the box around them."""


def _overlap(a: Fragment | Line, b: Fragment) -> float:
    """Shared height of two boxes, relative to the lower of the two."""
    shared = min(a.bottom, b.bottom) - max(a.top, b.top)
    return shared / min(a.height, b.height)


def _word(a: str, b: str) -> bool:
    return a[-1:].isascii() and a[-1:].isalnum() and b[:1].isascii() and b[:1].isalnum()


def _join(pieces: Sequence[Fragment]) -> str:
    out = [pieces[0].text]
    for prev, cur in zip(pieces, pieces[1:]):
        gap = cur.x0 - prev.x1
        if gap > _SPACE * min(prev.height, cur.height) or (gap > 0 and _word(prev.text, cur.text)):
            out.append(" ")
        out.append(cur.text)
    return "".join(out)


def lines_of(fragments: Iterable[Fragment]) -> list[Line]:
    """The lines the fragments of one page make, top to bottom."""
    rows: list[list[Fragment]] = []
    boxes: list[Fragment] = []  # the box of each row so far
    for frag in sorted((f for f in fragments if f.text.strip()), key=lambda f: (f.top + f.bottom, f.x0)):
        # a fragment belongs to a recent row it shares most of its height with
        best, share = -1, 0.5
        for i in range(len(rows) - 1, max(len(rows) - 4, -1), -1):
            s = _overlap(boxes[i], frag)
            if s > share:
                best, share = i, s
        if best < 0:
            rows.append([frag])
            boxes.append(frag)
        else:
            rows[best].append(frag)
            b = boxes[best]
            boxes[best] = Fragment(min(b.x0, frag.x0), max(b.x1, frag.x1), min(b.top, frag.top),
                                   max(b.bottom, frag.bottom), "")
    out = []
    for row, box in zip(rows, boxes):
        row.sort(key=lambda f: f.x0)
        # the row's height is its typical fragment's, not the union of all (a stray tall box)
        height = median(f.height for f in row)
        middle = (box.top + box.bottom) / 2
        out.append(Line(box.x0, box.x1, middle - height / 2, middle + height / 2, _join(row).strip()))
    out.sort(key=lambda line: (line.top, line.x0))
    return out


def _margins(lines: Sequence[Line]) -> tuple[float, float]:
    """Left and right margins of the body text: where most lines start and end."""
    starts = sorted(line.x0 for line in lines)
    ends = sorted(line.x1 for line in lines)
    return starts[len(starts) // 10], ends[len(ends) * 9 // 10]


def _is_new(prev: Line, line: Line, left: float, right: float) -> bool:
    h = max(prev.height, line.height)
    return (
        line.x0 - left > _INDENT * line.height
        or right - prev.x1 > _SHORT * prev.height
        or line.top - prev.bottom > _GAP * h
        or abs(line.height - prev.height) > _SIZE * h
    )


def _glue(a: str, b: str) -> str:
    """Two lines of one paragraph: a space between Latin words (after a letter or punctuation),
    none in Chinese text or in a number broken at the line end.

    >>> _glue("revenue grew.", "Second"), _glue("执法人员128", "0人次"), _glue("坚强", "领导")
    ('revenue grew. Second', '执法人员1280人次', '坚强领导')
    """
    x, y = a[-1:], b[:1]
    space = x.isascii() and not x.isspace() and not x.isdigit() and y.isascii() and y.isalnum()
    return a + (" " if space else "") + b


def paragraphs(pages: Iterable[Iterable[Fragment]]) -> list[str]:
    """The paragraphs of a document's pages, in reading order."""
    out: list[str] = []
    carry: Line | None = None  # the last line of the page before, if its paragraph may run on
    for fragments in pages:
        lines = lines_of(fragments)
        if not lines:
            carry = None
            continue
        left, right = _margins(lines)
        first = lines[0]
        if carry is not None and out and first.x0 - left <= _INDENT * first.height \
                and abs(first.height - carry.height) <= _SIZE * max(first.height, carry.height):
            out[-1] = _glue(out[-1], first.text)
        else:
            out.append(first.text)
        for prev, line in zip(lines, lines[1:]):
            if _is_new(prev, line, left, right):
                out.append(line.text)
            else:
                out[-1] = _glue(out[-1], line.text)
        last = lines[-1]
        carry = last if right - last.x1 <= _SHORT * last.height and len(lines) > 1 else None
    return [p for p in out if p.strip()]
