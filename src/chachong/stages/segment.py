"""Splitting sources into documents, and documents into paragraphs.

A compilation (汇编) is one file holding many documents. When it has a 目录 (lines of
``title<TAB>page`` or ``title……page``), the body is cut at those titles, in order; the
目录 block and the compilation's own title line are not documents. Without a 目录,
``split="auto"`` cuts at lines that look like document titles (short, no closing
punctuation, ending in 总结/报告/方案/... and followed by a body); a file with fewer
than two such titles stays one document. A Traditional compilation (目錄, 工作總結) is cut
the same way: title words are tested with Traditional characters folded.

Paragraphs are the non-empty lines of a document (blank-line separated blocks for PDF
text, whose lines are wrapped), trimmed of surrounding white space; their offsets are
character offsets into the document text.
"""

from __future__ import annotations

import gc
import os
import re
import unicodedata
from array import array
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from chachong.stages.boilerplate import TrailerNote, trailing_block
from chachong.ingest.renumber import document_id
from chachong.model import Document, Paragraphs, Source
from chachong.text.variants import fold_han

_TOC_HEADER = re.compile(r"^\s*目\s*[录錄]\s*$")  # 目錄 in a Traditional compilation
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
        and bool(_TITLE_WORDS.search(fold_han(s)))  # 工作總結 is a 工作总结
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
    :func:`chachong.stages.boilerplate.trailing_block`) is not part of it: the last piece ends before
    the block, and a :class:`~chachong.stages.boilerplate.TrailerNote` warning carries its lines.
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
    r"""(start, end) of each paragraph, trimmed of surrounding white space.

    A paragraph is a non-empty line; in hard-wrapped text (see :func:`wrap_width`) a line
    filling the width (less two characters, for a first line that lost its indent) without
    closing punctuation continues on the next line; with
    ``blank_line_blocks`` (PDF text) paragraphs are blocks separated by blank lines.

    >>> paragraph_bounds("  一、总体情况\n\n今年以来。 ")
    [(2, 8), (10, 15)]
    """
    if blank_line_blocks:
        return _blocks(text)
    lines = text.split("\n")
    return _join_lines(lines, wrap_width(lines))


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs separated by blank lines (PDF text)."""
    return [(m.start(), m.start() + len(m.group().rstrip())) for m in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text)]


def _join_lines(lines: list[str], width: int | None) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
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


_CLASSES: np.ndarray | None = None  # BMP code point -> _SPACE | _WIDE | _ASK bits
_SPACE, _WIDE, _ASK = 1, 2, 4
_BATCH = 1 << 21  # characters per pass of paragraphs_many (~50 MB of temporaries)


def _classes() -> np.ndarray:
    """White space (str.isspace) and wide (display width 2) flags of the BMP; _ASK for U+FFFF,
    which stands for every code point above the BMP too and is looked up one by one."""
    global _CLASSES
    if _CLASSES is None:
        table = _wide_table().astype(np.uint8) * np.uint8(_WIDE)
        table[[c for c in range(0x3001) if chr(c).isspace()]] |= _SPACE  # all white space is below U+3001
        table[0xFFFF] = _ASK
        _CLASSES = table
    return _CLASSES


def _wide_table() -> np.ndarray:
    global _BMP_WIDE
    if _BMP_WIDE is None:
        _BMP_WIDE = np.array([unicodedata.east_asian_width(chr(c)) in "WF" for c in range(0x10000)])
    return _BMP_WIDE


def paragraphs_many(texts: list[str], blank_line_blocks: list[bool]) -> list[tuple[list[tuple[int, int]], list[int]]]:
    r""":func:`paragraph_bounds` of many texts at once, with each paragraph's 0-based line.

    Returns, per text, the (start, end) bounds and the line of each start. Equal to calling
    :func:`paragraph_bounds` text by text, but the lines of every text are measured with a
    few numpy passes over all their characters: per text, the Python loop over lines cost
    more than everything else in splitting a large library.

    >>> paragraphs_many(["甲\n\n  乙 ", "x"], [False, False])
    [([(0, 1), (5, 6)], [0, 2]), ([(0, 1)], [0])]
    """
    spans = []
    i = 0
    while i < len(texts):
        j, size = i, 0
        while j < len(texts) and (j == i or size + len(texts[j]) <= _BATCH):
            size += len(texts[j]) + 1
            j += 1
        spans.append((i, j))
        i = j
    threads = min(len(spans), _cores())
    if threads <= 1:
        parts = [_paragraphs_batch(texts[i:j], blank_line_blocks[i:j]) for i, j in spans]
    else:
        from concurrent.futures import ThreadPoolExecutor  # not on `chachong check`'s path

        # numpy releases the GIL in the passes over the characters: batches side by side
        with ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(lambda span: _paragraphs_batch(texts[span[0]:span[1]],
                                                                 blank_line_blocks[span[0]:span[1]]), spans))
    return [item for part in parts for item in part]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _paragraphs_batch(texts: list[str], blocks: list[bool]) -> list[tuple[list[tuple[int, int]], list[int]]]:
    n_docs = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n_docs)
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=doc_start[1:])  # texts joined by "\n": a text starts a line
    cps = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = cps.size
    cls = _classes()[np.minimum(cps, 0xFFFF)]
    for x in np.flatnonzero(cls & _ASK):
        c = chr(int(cps[x]))
        cls[x] = (_WIDE if _WIDTHS[c] == 2 else 0) | (_SPACE if c.isspace() else 0)
    # Chinese text has few white space and few narrow characters: work on their positions only
    space = np.flatnonzero(cls & _SPACE)
    narrow = np.flatnonzero((cls & _WIDE) == 0)
    del cls
    newlines = space[cps[space] == 10]
    line_start = np.concatenate(([0], newlines + 1))
    line_end = np.append(newlines, n)
    # runs of white space: a line's text starts where the run holding the line break before it
    # ends, and ends where the run holding its last character starts (when that is white space)
    first, stop = line_start.copy(), line_end.copy()
    if space.size:
        new_run = np.ones(space.size, dtype=bool)
        new_run[1:] = space[1:] != space[:-1] + 1
        run_first = np.flatnonzero(new_run)
        run_start = space[run_first]
        run_end = np.append(space[run_first[1:] - 1], space[-1]) + 1
        first[1:] = run_end[np.searchsorted(run_start, newlines, side="right") - 1]
        if run_start[0] == 0:
            first[0] = run_end[0]
        last = line_end - 1
        r = np.maximum(np.searchsorted(run_start, last, side="right") - 1, 0)
        white = (last >= 0) & (run_start[r] <= last) & (last < run_end[r])
        stop[white] = run_start[r[white]]
    rows = np.flatnonzero(first < stop)
    first, stop = first[rows], stop[rows]
    # display width of each non-blank line without its trailing white space: 2 per character,
    # less one per narrow character
    row_width = 2 * (stop - line_start[rows]) - (np.searchsorted(narrow, stop) - np.searchsorted(narrow, line_start[rows]))
    line_doc = np.searchsorted(doc_start, line_start[rows], side="right") - 1
    width = _wrap_widths(line_doc, row_width, n_docs)
    first_line = np.searchsorted(line_start, doc_start[:-1])
    row_bounds = np.searchsorted(line_doc, np.arange(n_docs + 1))
    starts = (first - doc_start[line_doc]).tolist()
    ends = (stop - doc_start[line_doc]).tolist()
    lines = (rows - first_line[line_doc]).tolist()
    out = []
    for d in range(n_docs):
        if blocks[d] or width[d] > 0:
            text = texts[d]
            bounds = _blocks(text) if blocks[d] else _join_lines(text.split("\n"), int(width[d]))
            out.append((bounds, [text.count("\n", 0, s) for s, _ in bounds]))
        else:
            a, b = int(row_bounds[d]), int(row_bounds[d + 1])
            out.append((list(zip(starts[a:b], ends[a:b])), lines[a:b]))
    return out


def _wrap_widths(row_doc: np.ndarray, row_width: np.ndarray, n_docs: int) -> np.ndarray:
    """:func:`wrap_width` of every text from its non-blank lines' widths (0 for None)."""
    out = np.zeros(n_docs, dtype=np.int64)
    n_rows = np.bincount(row_doc, minlength=n_docs)
    if not row_doc.size:
        return out
    top = int(row_width.max()) + 1
    keys, counts = np.unique(row_doc * top + row_width, return_counts=True)
    doc, w = keys // top, keys % top
    # the most common width of each text, the larger on a tie: last of each text in (count, width) order
    order = np.lexsort((w, counts, doc))
    last_of_doc = order[np.append(doc[order][1:] != doc[order][:-1], True)]
    mode = np.zeros(n_docs, dtype=np.int64)
    mode[doc[last_of_doc]] = w[last_of_doc]
    near = np.bincount(doc, weights=counts * (np.abs(w - mode[doc]) <= 2), minlength=n_docs)
    longer = np.bincount(doc, weights=counts * (w > mode[doc] + 2), minlength=n_docs)
    wrapped = (n_rows >= 5) & (mode >= 30) & (near >= 5) & (near >= 0.4 * n_rows) & (longer <= 0.05 * n_rows)
    out[wrapped] = mode[wrapped]
    return out


def build_documents(pieces: list[tuple[Piece, str]]) -> list[Document]:
    """Assign ids and cut paragraphs. ``pieces`` are (piece, source kind) in source order.

    A document's paragraphs are held as the array of their spans (:class:`~chachong.model.Paragraphs`)."""
    was = gc.isenabled()
    # the bounds are hundreds of thousands of new tuples while the whole library is alive:
    # automatic collections would walk it again and again and find nothing to free
    gc.disable()
    try:
        return _build_documents(pieces)
    finally:
        if was:
            gc.enable()


def _build_documents(pieces: list[tuple[Piece, str]]) -> list[Document]:
    total = len(pieces)
    texts = [piece.text for piece, _ in pieces]
    blocks = [kind == "pdf" for _, kind in pieces]
    if sum(map(len, texts)) >= 1 << 16:
        cut = paragraphs_many(texts, blocks)
    else:  # small inputs (chachong check): no tables to build
        cut = []
        for text, block in zip(texts, blocks):
            bounds = paragraph_bounds(text, blank_line_blocks=block)
            cut.append((bounds, [text.count("\n", 0, s) for s, _ in bounds]))
    docs = []
    for i, ((piece, _kind), (bounds, lines)) in enumerate(zip(pieces, cut)):
        did = document_id(i, total)
        first = piece.line
        spans = array("q", [x for (s, e), ln in zip(bounds, lines) for x in (s, e, first + ln)])
        paras = Paragraphs(did, piece.text, spans)
        docs.append(Document(did, piece.title, piece.source, piece.text, first, paras))
    return docs
