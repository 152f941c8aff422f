"""The data model: plain frozen records shared by every stage.

Offsets are character offsets into ``Document.text`` (the document body as read from
its source, decoded, title line excluded). Line numbers are 1-based lines of the source
file, so a finding can be located in the original file.

A document's paragraphs are held as one array of (start, end, line) per paragraph
(:class:`Paragraphs`); a :class:`Paragraph` record is made when one is read, its text a
slice of the document's text. One object and one copy of the text per paragraph cost
1.1 KB a paragraph (issue 21: 0.65 GB of the 3 GB peak at 600,000 paragraphs).
"""

from __future__ import annotations

import operator
import sys
import threading
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence, overload

import numpy as np


@dataclass(frozen=True)
class Source:
    """One decoded input: a whole file, or one row of a .csv/.jsonl file.

    ``text`` has its line endings normalised to ``\\n``; ``first_line`` is the source
    line of ``text[0]`` (1 for a file; the row's line for a table row).
    """

    path: str
    text: str
    encoding: str
    kind: str  # "text" | "docx" | "pdf" | "table" | "doc" | "wps" | "rtf" | "odt" | "ofd" | "image"
    title: str | None = None
    first_line: int = 1
    warnings: tuple[str, ...] = ()
    # set when some of the text was recognised by OCR: mean confidence of its characters (0-1)
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class Skipped:
    """An input that could not be used, with a one-line reason that names the fix."""

    path: str
    reason: str


@dataclass(frozen=True)
class Paragraph:
    id: str  # "d01:p001"
    document: str  # "d01"
    index: int  # 0-based position in the document
    start: int  # offset into Document.text
    end: int
    line: int  # 1-based line in the source file
    text: str  # Document.text[start:end]


def paragraph_id(document: str, n: int, count: int) -> str:
    """Paragraph ``n`` (from 0) of ``count`` in a document: ``d01:p001``, zero-padded to at least 3 digits."""
    return _id_pattern(document, count) % (n + 1)


def _id_pattern(document: str, count: int) -> str:
    """The %-pattern of the ids of a document's paragraphs, for their number from 1."""
    return f"{document.replace('%', '%%')}:p%0{max(3, len(str(count)))}d"


# Paragraphs are made without the frozen dataclass's __init__ (one object.__setattr__ per
# field: 0.3 s per 100 000 paragraphs); the fields are the same, so equality, hashing and
# repr are too. Only while Paragraph is a plain (no __slots__, no __post_init__) dataclass.
_FAST_PARAGRAPH = "__slots__" not in vars(Paragraph) and not hasattr(Paragraph, "__post_init__")
_new = object.__new__


class Paragraphs(Sequence[Paragraph]):
    r"""A document's paragraphs: a read-only sequence of :class:`Paragraph`, held as one array.

    ``spans`` is a flat ``array("q")`` of (start, end, line) per paragraph, offsets into
    ``text`` (the document's text, the same object); ids (``d01:p001``), positions and texts
    follow from them, and each record is made when it is read (24 bytes a paragraph instead
    of an object, an id and a copy of the text: 1.1 KB). Paragraphs that do not follow from
    their spans (ids of another form, a text that is not the slice; hand-built documents)
    are kept as they are in ``items``. Equal to a tuple of the same paragraphs.

    >>> ps = Paragraphs("d01", "甲乙\n丙", array("q", [0, 2, 3, 3, 4, 4]))
    >>> len(ps), ps[1], [p.id for p in ps] == ps.ids()
    (2, Paragraph(id='d01:p002', document='d01', index=1, start=3, end=4, line=4, text='丙'), True)
    >>> ps == (ps[0], ps[1]), ps.spans().tolist()
    (True, [[0, 2, 3], [3, 4, 4]])
    """

    __slots__ = ("document", "text", "_spans", "_items")

    def __init__(self, document: str, text: str, spans: Iterable[int] = (),
                 items: tuple[Paragraph, ...] | None = None) -> None:
        self.document = document
        self.text = text
        self._spans = spans if isinstance(spans, array) and spans.typecode == "q" else array("q", spans)
        self._items = items

    @property
    def nbytes(self) -> int:
        """Bytes of the spans (and of the records kept as they are, about 200 bytes each besides their
        texts); the text is the document's."""
        return sys.getsizeof(self._spans) + (sum(sys.getsizeof(p.text) + 200 for p in self._items)
                                             if self._items is not None else 0)

    @classmethod
    def of(cls, document: str, text: str, paragraphs: Iterable[Paragraph]) -> Paragraphs:
        """These paragraphs of the document ``document`` with text ``text``: held as spans when
        they follow from them, else as they are."""
        items = tuple(paragraphs)
        spans = array("q", [x for p in items for x in (p.start, p.end, p.line)])
        plain = cls(document, text, spans)
        same = all(p.document == document and p.index == k and p.id == pid and p.text == text[p.start:p.end]
                   for k, (p, pid) in enumerate(zip(items, plain.ids())))
        return plain if same else cls(document, text, spans, items)

    def renamed(self, document: str) -> Paragraphs:
        """The same paragraphs in the document now called ``document`` (ids ``document:p001``...)."""
        if self._items is None:
            return Paragraphs(document, self.text, self._spans)
        n = len(self)
        return Paragraphs.of(document, self.text, (
            Paragraph(paragraph_id(document, k, n), document, k, p.start, p.end, p.line, p.text)
            for k, p in enumerate(self._items)))

    def outline(self) -> Paragraphs:
        """The same paragraphs with empty texts (ids, positions, offsets and lines kept), over an
        empty document text: what a process that needs no texts holds (the Dask engine's client)."""
        items = None if self._items is None else tuple(
            _paragraph(p.id, p.document, p.index, p.start, p.end, p.line, "") for p in self._items)
        return Paragraphs(self.document, "", self._spans, items)

    def own_texts(self) -> list[str] | None:
        """The paragraphs' texts when they are held as records (ids of another form, texts that
        are not the slices: what :meth:`filled` needs back); None when they follow from the spans."""
        return None if self._items is None else [p.text for p in self._items]

    def filled(self, text: str, texts: Sequence[str] | None = None) -> Paragraphs:
        """These paragraphs (an :meth:`outline`'s) over the document text ``text``; ``texts``: the
        records' own texts (:meth:`own_texts`) when they are held as records, else their slices."""
        if self._items is None:
            return Paragraphs(self.document, text, self._spans)
        texts = texts if texts is not None else [text[p.start:p.end] for p in self._items]
        return Paragraphs(self.document, text, self._spans, tuple(
            _paragraph(p.id, p.document, p.index, p.start, p.end, p.line, t) for p, t in zip(self._items, texts)))

    def __len__(self) -> int:
        return len(self._spans) // 3

    @overload
    def __getitem__(self, i: int) -> Paragraph: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Paragraph, ...]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[k] for k in range(*i.indices(len(self))))
        if self._items is not None:
            return self._items[i]
        k, n = self._position(i), len(self)
        s, e, line = self._spans[3 * k], self._spans[3 * k + 1], self._spans[3 * k + 2]
        return _paragraph(paragraph_id(self.document, k, n), self.document, k, s, e, line, self.text[s:e])

    def _position(self, i: int) -> int:
        n = len(self)
        k = operator.index(i)
        k += n if k < 0 else 0
        if not 0 <= k < n:
            raise IndexError(f"paragraph {i} of a document of {n}")
        return k

    def __iter__(self) -> Iterator[Paragraph]:
        if self._items is not None:
            yield from self._items
            return
        did, text, it = self.document, self.text, iter(self._spans)
        for k, (pid, s, e, line) in enumerate(zip(self.ids(), it, it, it)):
            yield _paragraph(pid, did, k, s, e, line, text[s:e])

    def ids(self) -> list[str]:
        """Each paragraph's id, without making the records."""
        if self._items is not None:
            return [p.id for p in self._items]
        pattern = _id_pattern(self.document, len(self))
        return [pattern % k for k in range(1, len(self) + 1)]

    def id_at(self, i: int) -> str:
        """Paragraph ``i``'s id, without making its record."""
        if self._items is not None:
            return self._items[i].id
        return paragraph_id(self.document, self._position(i), len(self))

    def index_of(self, pid: str) -> int | None:
        r"""The position of the paragraph with id ``pid``, or None when none has it.

        >>> ps = Paragraphs("d01", "甲乙\n丙", array("q", [0, 2, 3, 3, 4, 4]))
        >>> ps.index_of("d01:p002"), ps.index_of("d01:p2"), ps.index_of("d02:p001"), ps.index_of("d01:p003")
        (1, None, None, None)
        """
        head, _, number = pid.rpartition(":p")
        k = int(number) - 1 if head == self.document and number.isdecimal() else -1
        if self._items is not None:
            if 0 <= k < len(self) and self._items[k].id == pid:
                return k
            return next((k for k, p in enumerate(self._items) if p.id == pid), None)
        return k if 0 <= k < len(self) and paragraph_id(self.document, k, len(self)) == pid else None

    def end(self, i: int) -> int:
        """Paragraph ``i``'s end offset in the document's text."""
        return self._spans[3 * self._position(i) + 1]

    def texts(self) -> list[str]:
        """Each paragraph's text, without making the records."""
        if self._items is not None:
            return [p.text for p in self._items]
        text, it = self.text, iter(self._spans)
        return [text[s:e] for s, e, _ in zip(it, it, it)]

    def spans(self) -> np.ndarray:
        """(start, end, line) of each paragraph: a read-only (n, 3) int64 view."""
        out = np.frombuffer(self._spans, dtype=np.int64).reshape(-1, 3)
        out.flags.writeable = False
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Paragraphs):
            if (self._items is None and other._items is None and self.document == other.document
                    and self._spans == other._spans and self.text == other.text):
                return True
            return tuple(self) == tuple(other)
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<{len(self)} paragraphs of {self.document}>"

    def __reduce__(self) -> tuple:
        return Paragraphs, (self.document, self.text, self._spans, self._items)


def _paragraph(pid: str, did: str, n: int, start: int, end: int, line: int, text: str) -> Paragraph:
    if not _FAST_PARAGRAPH:
        return Paragraph(pid, did, n, start, end, line, text)
    p = _new(Paragraph)
    p.__dict__.update(id=pid, document=did, index=n, start=start, end=end, line=line, text=text)
    return p


@dataclass(frozen=True)
class Document:
    """One document; ``paragraphs`` given as any sequence of :class:`Paragraph` is held as
    :class:`Paragraphs`."""

    id: str  # "d01"
    title: str
    source: str  # path (and "#row N" for table rows)
    text: str
    line: int  # source line of text[0]
    paragraphs: Paragraphs = field(default=(), repr=False)  # type: ignore[assignment]
    # set when some of the text was recognised by OCR: mean confidence of its characters (0-1)
    ocr_confidence: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.paragraphs, Paragraphs):
            object.__setattr__(self, "paragraphs", Paragraphs.of(self.id, self.text, self.paragraphs))

    @property
    def chars(self) -> int:
        return len(self.text)

    def __sizeof__(self) -> int:
        """The bytes the document holds: its text and its paragraphs' spans, not just the record.
        Dask weighs a task's inputs by it (``sys.getsizeof``) when it chooses where the task runs:
        a read file's documents counted as 60 bytes each were moved to another worker for the
        cutting into partitions."""
        return (object.__sizeof__(self) + sys.getsizeof(self.text) + sys.getsizeof(self.title)
                + self.paragraphs.nbytes)


# (text, the paragraphs' own texts or None) of each document asked for: what LazyDocuments reads
TextReader = Callable[[Sequence[int]], list[tuple[str, "list[str] | None"]]]


class LazyDocuments(Sequence[Document]):
    """Documents whose texts are read when a document is: a read-only sequence over their
    outlines (each a :class:`Document` with ``text=""`` and :meth:`Paragraphs.outline`) and ``read``,
    which gives the texts of the documents at some positions (a file the texts were written to).

    What the Dask engine's client holds (issue 21): ids, titles and paragraph offsets of every
    document, the text of none. ``docs[i]`` makes the document with its text; iterating reads
    ``block`` documents at a time; each is dropped when the caller drops it (the last
    ``KEEP`` read are kept, for callers that look one document up again and again). Slices are
    lazy too. Pickling gives the plain list (every text read).
    """

    KEEP = 64

    def __init__(self, outlines: Sequence[Document], read: TextReader, lengths: Sequence[int],
                 rows: range | None = None, block: int = 256) -> None:
        self._outlines = outlines
        self._read = read
        self._lengths = lengths
        self._rows = range(len(outlines)) if rows is None else rows
        self._block = max(1, block)
        self._kept: dict[int, Document] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> Document: ...

    @overload
    def __getitem__(self, i: slice) -> LazyDocuments: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return LazyDocuments(self._outlines, self._read, self._lengths, self._rows[i], self._block)
        row = self._rows[i]
        doc = self._kept.get(row)
        if doc is None:
            doc = self._made([row])[0]
            with self._lock:  # report writers may read from threads
                if len(self._kept) >= self.KEEP:
                    del self._kept[next(iter(self._kept))]
                self._kept[row] = doc
        return doc

    def _made(self, rows: Sequence[int]) -> list[Document]:
        out = []
        for row, (text, own) in zip(rows, self._read(rows)):
            o = self._outlines[row]
            d = _new(Document)  # the outline's fields (whatever they are), with the text
            d.__dict__.update(o.__dict__, text=text, paragraphs=o.paragraphs.filled(text, own))
            out.append(d)
        return out

    def __iter__(self) -> Iterator[Document]:
        rows = self._rows
        for k in range(0, len(rows), self._block):
            yield from self._made(rows[k:k + self._block])

    def ids(self) -> list[str]:
        """Each document's id, without reading a text."""
        return [self._outlines[r].id for r in self._rows]

    def outline(self, i: int) -> Document:
        """Document ``i`` without its text (``text=""``; ids, titles, paragraph offsets)."""
        return self._outlines[self._rows[i]]

    def outlines(self) -> Sequence[Document]:
        """Every document without its text."""
        rows = self._rows
        if rows == range(len(self._outlines)):
            return self._outlines
        return [self._outlines[r] for r in rows]

    def lengths(self) -> list[int]:
        """Each text's length in characters, without reading it."""
        return [self._lengths[r] for r in self._rows]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, LazyDocuments)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} documents, texts read when used>"

    def __reduce__(self) -> tuple:
        return list, (list(self),)


def document_ids(docs: Sequence[Document]) -> list[str]:
    """The documents' ids; a :class:`LazyDocuments` gives them without reading its texts."""
    return docs.ids() if isinstance(docs, LazyDocuments) else [d.id for d in docs]


def outlines(docs: Sequence[Document]) -> Sequence[Document]:
    """The documents for a reader of their ids, titles, sources and paragraph offsets only: a
    :class:`LazyDocuments`' outlines (``text=""``, nothing read), any other sequence as it is."""
    return docs.outlines() if isinstance(docs, LazyDocuments) else docs


def text_lengths(docs: Sequence[Document]) -> list[int]:
    """Each document's length in characters; a :class:`LazyDocuments` gives them without reading its texts."""
    return docs.lengths() if isinstance(docs, LazyDocuments) else [len(d.text) for d in docs]


@dataclass(frozen=True)
class ParagraphPair:
    a: str  # paragraph id, a < b in source order
    b: str
    jaccard: float
    containment: float  # |A∩B| / min(|A|, |B|) on shingle sets
    kind: str  # "identical" | "near-duplicate" | "contained"
    spans: tuple[tuple[int, int, int, int], ...] = ()  # document offsets a_start, a_end, b_start, b_end


@dataclass(frozen=True)
class DocumentPair:
    a: str
    b: str
    jaccard: float
    a_in_b: float
    b_in_a: float
    shared_paragraphs: int
    shared_chars: int
    kind: str  # "identical" | "near-duplicate" | "partial"


@dataclass(frozen=True)
class Cluster:
    id: str  # "c001"
    source: str  # earliest member paragraph id (presumed source)
    members: tuple[str, ...]


@dataclass
class DocumentStats:
    """Per-document metrics (design.md §4 ``documents``)."""

    copied_chars: int = 0
    copy_ratio: float = 0.0
    copy_ratio_excluding_stock: float = 0.0
    stock_ratio: float = 0.0
    # attribution (stages/attribution.py): ratios without reference/quoted, without own, without both
    copy_ratio_excluding_quotes: float = 0.0
    copy_ratio_excluding_own: float = 0.0
    copy_ratio_net: float = 0.0
    own_ratio: float = 0.0
    unit: str | None = None
    year: int | None = None
    # the copied text by class: {"reference": [(start, end), ...], "quoted": ..., "own": ..., "copied": ...}
    classes: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    top_source: dict[str, Any] | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    placeholders: int = 0
    # copied intervals of the document text, per source document id: [(start, end), ...]
    copied: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # intervals of the document text covered by stock phrasing (phrases, stock paragraphs)
    stock: list[tuple[int, int]] = field(default_factory=list)
    # boilerplate and placeholders in the document text: (start, end, kind)
    boilerplate: list[tuple[int, int, str]] = field(default_factory=list)
