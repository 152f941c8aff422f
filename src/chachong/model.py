"""The data model: plain frozen records shared by every stage.

Offsets are character offsets into ``Document.text`` (the document body as read from
its source, decoded, title line excluded). Line numbers are 1-based lines of the source
file, so a finding can be located in the original file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class Document:
    id: str  # "d01"
    title: str
    source: str  # path (and "#row N" for table rows)
    text: str
    line: int  # source line of text[0]
    paragraphs: tuple[Paragraph, ...] = field(default=(), repr=False)
    # set when some of the text was recognised by OCR: mean confidence of its characters (0-1)
    ocr_confidence: float | None = None

    @property
    def chars(self) -> int:
        return len(self.text)


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
