"""Reading ``.ofd`` files (GB/T 33190-2016, the national fixed-layout document format): the text
of every page in reading order, paragraphs rebuilt from line positions.

An OFD file is a zip package of XML: ``OFD.xml`` names each document's ``Document.xml``
(``DocBody/DocRoot``), which lists the pages (``Pages/Page@BaseLoc``); a page's ``Content`` holds
layers of ``TextObject`` elements, each placed by its ``Boundary`` (millimetres, optionally
transformed by a ``CTM``) and holding ``TextCode`` runs (``X``/``Y`` of the first character's
baseline inside the boundary, ``DeltaX`` the advances of the next ones). The text is read from
there with lxml, entities and DTDs off (:mod:`chachong.ingest.package`): easyofd, the Python
OFD library, renders to PDF through PyMuPDF and reportlab and parses with xmltodict, far more
than reading text needs. Templates (letterheads), annotations and signatures are not read, as
headers and footers of ``.docx`` files are not; invisible text (the OCR layer of a scanned OFD)
is. A package that is a zip bomb, holds a DTD or refers outside itself is refused.
"""

from __future__ import annotations

import math
import posixpath
from typing import Any, Iterator

from chachong.ingest.cleanup import finish_text
from chachong.ingest.errors import Bad, Limits
from chachong.ingest.files import display_path, read_bytes
from chachong.ingest.layout import Fragment, paragraphs
from chachong.ingest.package import member_path, open_zip, parse_xml, read_member
from chachong.model import Source

__all__ = ["read_ofd"]

_Xml = Any  # an lxml element (lxml ships no type information)


def _name(element: _Xml) -> str:
    """The local name of an element (producers differ in namespace prefixes, some use none)."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: _Xml, name: str) -> _Xml | None:
    return next((c for c in element if _name(c) == name), None)


def _numbers(text: str | None) -> list[float]:
    """A list of numbers (ST_Array), with the ``g N value`` shorthand for N repeats expanded.

    >>> _numbers("1 g 3 2.5 4")
    [1.0, 2.5, 2.5, 2.5, 4.0]
    """
    tokens = (text or "").split()
    out: list[float] = []
    i = 0
    try:
        while i < len(tokens):
            if tokens[i] == "g" and i + 2 < len(tokens):
                out.extend([float(tokens[i + 2])] * min(int(float(tokens[i + 1])), 100_000))
                i += 3
            else:
                out.append(float(tokens[i]))
                i += 1
    except ValueError:
        return out
    return [x for x in out if math.isfinite(x)]


def _width(ch: str, size: float) -> float:
    """Advance of one character: full for CJK and full-width forms, half for the rest."""
    return size if ord(ch) >= 0x2E80 else size / 2


def _fragments(text_object: _Xml) -> Iterator[Fragment]:
    box = _numbers(text_object.get("Boundary"))
    if len(box) < 2:
        return
    bx, by = box[0], box[1]
    size = (_numbers(text_object.get("Size")) or [3.5])[0]
    ctm = _numbers(text_object.get("CTM"))
    a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    scale = math.sqrt(abs(a * d - b * c)) or 1.0
    x = y = 0.0
    for code in text_object:
        if _name(code) != "TextCode":
            continue
        text = "".join(code.itertext())
        if not text.strip():
            continue
        # a TextCode without X/Y goes on where the previous one ended
        x = (_numbers(code.get("X")) or [x])[0]
        y = (_numbers(code.get("Y")) or [y])[0]
        # DeltaX: the advance after each character but the last; those not given are the glyphs' own
        deltas = _numbers(code.get("DeltaX"))
        advance = sum(deltas[i] if i < len(deltas) else _width(ch, size) for i, ch in enumerate(text[:-1]))
        advance += _width(text[-1], size)
        x0, y0 = a * x + c * y + e, b * x + d * y + f
        x1 = a * (x + advance) + c * y + e
        height = size * scale
        left, right = (x0, x1) if x0 <= x1 else (x1, x0)
        yield Fragment(bx + left, bx + right, by + y0 - 0.85 * height, by + y0 + 0.15 * height, text)
        x += advance


def _text_objects(element: _Xml) -> Iterator[_Xml]:
    """TextObjects of a page's content, through layers and (nested) page blocks, in document order."""
    for child in element:
        name = _name(child)
        if name == "TextObject":
            yield child
        elif name in ("Layer", "PageBlock", "CompositeObject"):
            yield from _text_objects(child)


def _check_names(names: list[str]) -> None:
    for name in names:
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (parts and parts[0].endswith(":")):
            raise Bad(
                f"has a member named {display_path(name)!r}, a path outside the package (a damaged or "
                "crafted file); export it again"
            )


def read_ofd(fs_path: str, display: str, limits: Limits) -> list[Source]:
    data = read_bytes(fs_path, limits)
    if not data.startswith(b"PK"):
        looks = " (it is a PDF)" if data.startswith(b"%PDF") else ""
        raise Bad(f"is not an OFD package (not a zip archive){looks}; export it again as .ofd or .pdf")
    archive = open_zip(data, limits, corrupt="is a corrupt .ofd", resave="export it again as .ofd or .pdf",
                       fix="export it as .pdf")
    names = archive.namelist()
    _check_names(names)
    # member names are matched without regard to case: producers write Doc_0/ and doc_0/ alike
    by_lower = {n.lower(): n for n in names}

    def load(name: str, what: str) -> _Xml:
        return parse_xml(read_member(archive, by_lower.get(name.lower(), name), what), name)

    entry = load("OFD.xml", "the package's entry point")
    if _name(entry) != "OFD":
        raise Bad("is not an OFD package (OFD.xml has no OFD root element); export it again as .ofd or .pdf")
    title = None
    pages: list[list[Fragment]] = []
    for body in entry:
        if _name(body) != "DocBody":
            continue
        info = _child(body, "DocInfo")
        found = _child(info, "Title") if info is not None else None
        if title is None and found is not None and (found.text or "").strip():
            title = " ".join(found.text.split())
        root = _child(body, "DocRoot")
        if root is None or not (root.text or "").strip():
            continue
        doc_path = member_path("OFD.xml", root.text)
        document = load(doc_path, "a document named in OFD.xml")
        listed = _child(document, "Pages")
        for page in listed if listed is not None else ():
            if _name(page) != "Page" or not page.get("BaseLoc"):
                continue
            page_path = member_path(doc_path, page.get("BaseLoc"))
            if posixpath.basename(page_path).lower() != "content.xml" and page_path.lower() + "/content.xml" \
                    in by_lower:
                page_path += "/Content.xml"  # some producers give the page's folder
            content = _child(load(page_path, "a page named in Document.xml"), "Content")
            frags: list[Fragment] = []
            for obj in _text_objects(content if content is not None else ()):
                frags.extend(_fragments(obj))
            pages.append(frags)
    if not pages:
        raise Bad("has no pages (OFD.xml names no document with pages); export it again as .ofd or .pdf")
    text = "\n".join(paragraphs(pages))
    if not text.strip():
        raise Bad(
            f"has no text on its {len(pages)} page(s) (a scanned OFD, pages of images?); "
            "export it as PDF and read that with --ocr auto"
        )
    warnings: list[str] = []
    text = finish_text(text, warnings, check_binary=False)
    return [Source(path=display, text=text, encoding="unicode", kind="ofd", title=title, warnings=tuple(warnings))]
