"""Splitting sources into documents, and documents into paragraphs.

A compilation (汇编) is one file holding many documents. When it has a 目录 (lines of
``title<TAB>page`` or ``title……page``), the body is cut at those titles, in order; the
目录 block and the compilation's own title line are not documents. Without a 目录,
``split="auto"`` cuts at lines that look like document titles (short, no closing
punctuation, ending in 总结/报告/方案/... and followed by a body); a file with fewer
than two such titles stays one document.

Paragraphs are the non-empty lines of a document (blank-line separated blocks for PDF
text, whose lines are wrapped), trimmed of surrounding white space; their offsets are
character offsets into the document text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from chachong.boilerplate import TrailerNote, trailing_block
from chachong.model import Document, Paragraph, Source

_TOC_HEADER = re.compile(r"^\s*目\s*录\s*$")
# title, then a TAB or dot leaders (…… ... ·· ．．) or 2+ spaces, then a page number
_TOC_ENTRY = re.compile(r"^\s*(?P<title>\S.*?)\s*(?:\t+|[.…·．]{2,}|\s{2,})\s*(?P<page>\d{1,4})\s*$")
_TITLE_WORDS = re.compile(
    r"(总结|报告|方案|计划|意见|通知|讲话|发言|汇报|材料|规划|要点|办法|细则|决定|公告|通报|纪要|函|说明|述职|心得|体会)$"
)
_ENUMERATED = re.compile(r"^\s*([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\(?\d+[.、)）]|第[一二三四五六七八九十]+[章节条])")
_CLOSING_PUNCT = "。；：，！？;:,!?"
_MAX_TITLE = 60


@dataclass(frozen=True)
class Piece:
    """One document cut from a source, before ids are assigned."""

    title: str
    text: str
    line: int  # source line of text[0]
    source: str


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each line, without the newline."""
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _key(s: str) -> str:
    """Comparison key for titles: NFKC, no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def find_toc(text: str) -> tuple[list[str], int, int] | None:
    """The 目录 entries of a compilation, with the line range of the 目录 block.

    Returns (titles, first_line_index, last_line_index) or None. Entries naming the 目录
    itself are dropped; the caller drops the compilation title.
    """
    lines = text.split("\n")
    n = len(lines)
    header = next((i for i, line in enumerate(lines[:200]) if _TOC_HEADER.match(line)), None)
    i = (header + 1) if header is not None else 0
    best: tuple[list[str], int, int] | None = None
    while i < n:
        # find a run of entry lines (blank lines allowed inside)
        if not _TOC_ENTRY.match(lines[i]):
            if header is not None and i > header + 40 and best is None:
                break
            i += 1
            continue
        start = i
        entries: list[str] = []
        last = i
        while i < n and (not lines[i].strip() or _TOC_ENTRY.match(lines[i])):
            m = _TOC_ENTRY.match(lines[i])
            if m:
                entries.append(m.group("title").strip())
                last = i
            i += 1
        if len(entries) >= 2 and (header is not None or len(entries) >= 3):
            best = (entries, header if header is not None else start, last)
            break
        if header is None and i > 400:
            break
    if best is None:
        return None
    titles = [t for t in best[0] if not _TOC_HEADER.match(t)]
    return titles, best[1], best[2]


def _looks_like_title(line: str) -> bool:
    s = line.strip()
    return (
        0 < len(s) <= _MAX_TITLE
        and s[-1] not in _CLOSING_PUNCT
        and not _ENUMERATED.match(s)
        and bool(_TITLE_WORDS.search(s))
    )


def _piece(text: str, lines: list[tuple[int, int]], title: str, body_from: int, body_to: int,
           first_line: int, source: str) -> Piece:
    """Document body = lines [body_from, body_to), blank lines at both ends dropped."""
    while body_from < body_to and not text[lines[body_from][0]:lines[body_from][1]].strip():
        body_from += 1
    while body_to > body_from and not text[lines[body_to - 1][0]:lines[body_to - 1][1]].strip():
        body_to -= 1
    if body_from >= body_to:
        return Piece(title, "", first_line + body_from, source)
    start = lines[body_from][0]
    end = lines[body_to - 1][1]
    return Piece(title, text[start:end], first_line + body_from, source)


def split_source(source: Source, mode: str = "auto") -> tuple[list[Piece], list[str]]:
    """Cut one source into documents. Returns the pieces and warnings (one line each).

    A block of advert and marker lines after the last document (see
    :func:`chachong.boilerplate.trailing_block`) is not part of it: the last piece ends before
    the block, and a :class:`~chachong.boilerplate.TrailerNote` warning carries its lines.
    """
    pieces, warnings = _split_source(source, mode)
    if source.kind != "table" and pieces:
        last, note = _cut_trailer(pieces[-1])
        if note is not None:
            pieces[-1] = last
            warnings.append(note)
    return pieces, warnings


def _cut_trailer(piece: Piece) -> tuple[Piece, TrailerNote | None]:
    lines = piece.text.split("\n")
    first = trailing_block(lines)
    if first is None:
        return piece, None
    keep = first
    while keep > 0 and not lines[keep - 1].strip():
        keep -= 1
    note = TrailerNote.make(piece.source, ((piece.line + i, lines[i]) for i in range(first, len(lines))))
    return Piece(piece.title, "\n".join(lines[:keep]), piece.line, piece.source), note


def _split_source(source: Source, mode: str) -> tuple[list[Piece], list[str]]:
    text = source.text
    lines = _lines(text)
    warnings: list[str] = []
    stem = PurePath(source.path.split("#", 1)[0]).stem if source.kind != "table" else source.path
    if source.kind == "table" or mode == "none":
        return [_whole(source, text, lines, stem)], warnings
    toc = find_toc(text)
    if toc is None and mode == "toc":
        warnings.append(f"{source.path}: no 目录 (table of contents) found; kept as one document "
                        "(use --split auto or none)")
        return [_whole(source, text, lines, stem)], warnings
    if toc is not None:
        titles, toc_first, toc_last = toc
        # the compilation's own title: the first non-empty line before the 目录
        head = [text[s:e].strip() for s, e in lines[:toc_first] if text[s:e].strip()]
        comp_title = _key(head[0]) if head else None
        titles = [t for t in titles if _key(t) != comp_title] if comp_title else titles
        keys = [_key(t) for t in titles]
        starts: list[tuple[int, str]] = []
        cursor = toc_last + 1
        for title, key in zip(titles, keys):
            j = cursor
            while j < len(lines) and _key(text[lines[j][0]:lines[j][1]]) != key:
                j += 1
            if j >= len(lines):
                warnings.append(f"{source.path}: 目录 entry {title!r} does not appear in the body; "
                                "its text stays with the previous document (check the 目录)")
                continue
            starts.append((j, title))
            cursor = j + 1
        if starts:
            pieces = []
            for n, (j, title) in enumerate(starts):
                end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
                pieces.append(_piece(text, lines, title, j + 1, end, source.first_line, source.path))
            return pieces, warnings
        warnings.append(f"{source.path}: none of the 目录 entries appear in the body; split by headings instead")
    # heading heuristics
    cands = [i for i, (s, e) in enumerate(lines) if _looks_like_title(text[s:e])]
    # a title is followed by a body: next non-empty line is not itself a title candidate
    heads: list[int] = []
    for i in cands:
        nxt = next((j for j in range(i + 1, len(lines)) if text[lines[j][0]:lines[j][1]].strip()), None)
        if nxt is not None and nxt not in cands and (i == 0 or not text[lines[i - 1][0]:lines[i - 1][1]].strip()
                                                      or i - 1 in cands):
            heads.append(i)
    pieces = []
    for n, i in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        pieces.append(_piece(text, lines, text[lines[i][0]:lines[i][1]].strip(), i + 1, end,
                             source.first_line, source.path))
    if len(pieces) >= 2 and all(len(p.text) >= 200 for p in pieces):
        return pieces, warnings
    return [_whole(source, text, lines, stem)], warnings


def _whole(source: Source, text: str, lines: list[tuple[int, int]], stem: str) -> Piece:
    """The whole source as one document; its first line is the title when it looks like one."""
    first = next((i for i, (s, e) in enumerate(lines) if text[s:e].strip()), None)
    if source.title:
        return _piece(text, lines, source.title, 0, len(lines), source.first_line, source.path)
    if first is not None:
        line = text[lines[first][0]:lines[first][1]].strip()
        if len(line) <= _MAX_TITLE and line[-1] not in _CLOSING_PUNCT and len(lines) > first + 1 \
                and not _ENUMERATED.match(line):
            return _piece(text, lines, line, first + 1, len(lines), source.first_line, source.path)
    return _piece(text, lines, stem, 0, len(lines), source.first_line, source.path)


_SENTENCE_END = "。！？!?；;：:”’」』…)）"


class _Widths(dict):
    """Column width per character, looked up once per distinct character."""

    def __missing__(self, c: str) -> int:
        w = self[c] = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        return w


_WIDTHS = _Widths()


def display_width(s: str) -> int:
    """Columns ``s`` takes in a fixed-width font: wide and full-width characters count two.

    >>> display_width("GDP增长5%")
    9
    """
    if s.isascii():
        return len(s)
    # a dict lookup per character in C (map) instead of a Python generator: split reads
    # every line of a 90-million-character library through here
    return sum(map(_WIDTHS.__getitem__, s))


_BMP_WIDE: np.ndarray | None = None
_SEEN = 0  # characters measured one by one so far


def _widths(rows: list[str]) -> list[int]:
    """display_width of each row, in one numpy pass over all their characters."""
    global _BMP_WIDE, _SEEN
    if _BMP_WIDE is None and _SEEN < 1 << 16:
        # building the table costs about as much as looking up 64 K characters one by one
        _SEEN += sum(map(len, rows))
        return [display_width(r) for r in rows]
    if _BMP_WIDE is None:
        _BMP_WIDE = np.array([unicodedata.east_asian_width(chr(c)) in "WF" for c in range(0x10000)])
    cps = np.frombuffer("".join(rows).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    wide = np.zeros(cps.size, dtype=np.int64)
    bmp = cps < 0x10000
    wide[bmp] = _BMP_WIDE[cps[bmp]]
    for i in np.flatnonzero(~bmp):
        wide[i] = _WIDTHS[chr(int(cps[i]))] - 1
    ends = np.cumsum([len(r) for r in rows])
    acc = np.concatenate(([0], np.cumsum(wide)))
    return (ends - np.concatenate(([0], ends[:-1])) + acc[ends] - acc[np.concatenate(([0], ends[:-1]))]).tolist()


def wrap_width(lines: list[str]) -> int | None:
    """The fixed width of hard-wrapped text (PDF extractions, e-mail dumps), or None.

    Widths are display columns (a Chinese character is two, a digit one). Text is
    hard-wrapped when at least 40 % of its non-empty lines (and 5 or more) have the most
    common width, give or take two columns, that width is 30 or more, and at most 5 % of
    the lines are wider.
    """
    rows = [x.rstrip() for x in lines if x.strip()]
    if len(rows) < 5:
        return None
    lengths = _widths(rows)
    counts: dict[int, int] = {}
    for n in lengths:
        counts[n] = counts.get(n, 0) + 1
    mode = max(counts, key=lambda n: (counts[n], n))
    near = sum(counts.get(m, 0) for m in range(mode - 2, mode + 3))
    longer = sum(c for n, c in counts.items() if n > mode + 2)
    # wrapped text has (almost) no line longer than the width; headings of one length
    # between long paragraphs are not wrapping
    if mode >= 30 and near >= 5 and near >= 0.4 * len(lengths) and longer <= 0.05 * len(lengths):
        return mode
    return None


def paragraph_bounds(text: str, blank_line_blocks: bool = False) -> list[tuple[int, int]]:
    """(start, end) of each paragraph, trimmed of surrounding white space.

    A paragraph is a non-empty line; in hard-wrapped text (see :func:`wrap_width`) a line
    filling the width (less two characters, for a first line that lost its indent) without
    closing punctuation continues on the next line; with
    ``blank_line_blocks`` (PDF text) paragraphs are blocks separated by blank lines.
    """
    out = []
    if blank_line_blocks:
        for m in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text):
            out.append((m.start(), m.start() + len(m.group().rstrip())))
        return out
    lines = text.split("\n")
    width = wrap_width(lines)
    pos = 0
    joining = False
    for line in lines:
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            if joining and out:
                out[-1] = (out[-1][0], pos + lead + len(stripped))
            else:
                out.append((pos + lead, pos + lead + len(stripped)))
            joining = width is not None and display_width(line.rstrip()) >= width - 4 and stripped[-1] not in _SENTENCE_END
        elif width is None:
            joining = False
        # in hard-wrapped text a blank line does not end a paragraph whose last line is full:
        # some extractions put a blank line after every wrapped line
        pos += len(line) + 1
    return out


def document_id(i: int, total: int) -> str:
    """``d01`` ... numbered from 1, zero-padded to the corpus size (at least 2 digits)."""
    return f"d{i + 1:0{max(2, len(str(total)))}d}"


def build_documents(pieces: list[tuple[Piece, str]]) -> list[Document]:
    """Assign ids and cut paragraphs. ``pieces`` are (piece, source kind) in source order."""
    total = len(pieces)
    docs = []
    for i, (piece, kind) in enumerate(pieces):
        did = document_id(i, total)
        bounds = paragraph_bounds(piece.text, blank_line_blocks=(kind == "pdf"))
        width = max(3, len(str(len(bounds))))
        paras = []
        line = piece.line
        last = 0
        for n, (s, e) in enumerate(bounds):
            line += piece.text.count("\n", last, s)
            last = s
            paras.append(Paragraph(f"{did}:p{n + 1:0{width}d}", did, n, s, e, line, piece.text[s:e]))
        docs.append(Document(did, piece.title, piece.source, piece.text, piece.line, tuple(paras)))
    return docs
