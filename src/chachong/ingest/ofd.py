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
is. With ``ocr`` auto or always, a page without text (a scan) is recognised from its images
(:mod:`chachong.ingest.ocr`). A package that is a zip bomb, holds a DTD or refers outside itself is
refused.
"""

from __future__ import annotations

import math
import posixpath
from typing import Any, Iterator

from chachong.ingest.cleanup import finish_text
from chachong.ingest.errors import Bad, Limits
from chachong.ingest.files import display_path, read_bytes
from chachong.ingest.layout import Fragment, paragraphs
from chachong.ingest.ocr import INSTALL, PageProgress, Recognised, open_image
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


def _objects(element: _Xml, kind: str) -> Iterator[_Xml]:
    """``kind`` objects (TextObject, ImageObject) of a page's content, through layers and (nested)
    page blocks, in document order."""
    for child in element:
        name = _name(child)
        if name == kind:
            yield child
        elif name in ("Layer", "PageBlock", "CompositeObject"):
            yield from _objects(child, kind)


def _place(frags: list[Fragment], size: tuple[int, int], image_object: _Xml) -> list[Fragment]:
    """Fragments found in an image (pixels) placed on the page (mm): the image fills the unit square,
    which the object's CTM maps into its Boundary."""
    box = _numbers(image_object.get("Boundary")) + [0.0] * 4
    bx, by, bw, bh = box[:4]
    ctm = _numbers(image_object.get("CTM"))
    a, d, e, f = (ctm[0], ctm[3], ctm[4], ctm[5]) if len(ctm) == 6 else (bw, bh, 0.0, 0.0)
    w, h = max(size[0], 1), max(size[1], 1)
    return [Fragment(bx + e + a * fr.x0 / w, bx + e + a * fr.x1 / w, by + f + d * fr.top / h,
                     by + f + d * fr.bottom / h, fr.text) for fr in frags]


def _media(load: Any, res_paths: list[str]) -> dict[str, str]:
    """Multimedia resource ID -> member path, from resource files (``PublicRes``, ``DocumentRes``,
    ``PageRes``); a missing or broken resource file only costs its images."""
    out: dict[str, str] = {}
    for res_path in res_paths:
        try:
            res = load(res_path, "a resource file")
        except Bad:
            continue
        base = (res.get("BaseLoc") or "").strip()
        for media in res.iter():
            if _name(media) != "MultiMedia" or not media.get("ID"):
                continue
            file = _child(media, "MediaFile")
            if file is not None and (file.text or "").strip():
                ref = file.text.strip()
                try:
                    out[media.get("ID")] = member_path(res_path, ref if ref.startswith("/") else
                                                       posixpath.join(base, ref) if base else ref)
                except Bad:
                    continue
    return out


def _res_paths(holder: _Xml, path: str, names: tuple[str, ...]) -> list[str]:
    out = []
    for child in holder if holder is not None else ():
        if _name(child) in names and (child.text or "").strip():
            out.append(member_path(path, child.text))
    return out


def _check_names(names: list[str]) -> None:
    for name in names:
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (parts and parts[0].endswith(":")):
            raise Bad(
                f"has a member named {display_path(name)!r}, a path outside the package (a damaged or "
                "crafted file); export it again"
            )


def read_ofd(fs_path: str, display: str, limits: Limits, ocr: str = "never",
             on_page: PageProgress | None = None) -> list[Source]:
    """Read an OFD file; with ``ocr`` auto or always, pages without text (scans) are recognised
    from their images."""
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

    def member(name: str, what: str) -> bytes:
        return read_member(archive, by_lower.get(name.lower(), name), what)

    def load(name: str, what: str) -> _Xml:
        return parse_xml(member(name, what), name)

    entry = load("OFD.xml", "the package's entry point")
    if _name(entry) != "OFD":
        raise Bad("is not an OFD package (OFD.xml has no OFD root element); export it again as .ofd or .pdf")
    title = None
    pages: list[list[Fragment]] = []
    scans: dict[int, list[tuple[str, _Xml]]] = {}  # page -> (image member, ImageObject), pages without text
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
        shared = _res_paths(_child(document, "CommonData"), doc_path, ("PublicRes", "DocumentRes"))
        listed = _child(document, "Pages")
        for page in listed if listed is not None else ():
            if _name(page) != "Page" or not page.get("BaseLoc"):
                continue
            page_path = member_path(doc_path, page.get("BaseLoc"))
            if posixpath.basename(page_path).lower() != "content.xml" and page_path.lower() + "/content.xml" \
                    in by_lower:
                page_path += "/Content.xml"  # some producers give the page's folder
            page_xml = load(page_path, "a page named in Document.xml")
            content = _child(page_xml, "Content")
            content = content if content is not None else ()
            frags = [f for obj in _objects(content, "TextObject") for f in _fragments(obj)]
            if not frags and ocr != "never":
                images = list(_objects(content, "ImageObject"))
                if images:
                    media = _media(load, shared + _res_paths(page_xml, page_path, ("PageRes",)))
                    scans[len(pages)] = [(media[i.get("ResourceID")], i) for i in images
                                         if i.get("ResourceID") in media]
            pages.append(frags)
    if not pages:
        raise Bad("has no pages (OFD.xml names no document with pages); export it again as .ofd or .pdf")
    warnings: list[str] = []
    confidence = None
    if any(scans.values()):
        confidence = _recognise(scans, pages, member, limits, display, on_page, warnings)
    text = "\n".join(paragraphs(pages))
    if not text.strip():
        if ocr != "never":
            raise Bad(f"has no text on its {len(pages)} page(s), and OCR found none in their images; "
                      "check that it is the document you meant")
        raise Bad(
            f"has no text on its {len(pages)} page(s) (a scanned OFD, pages of images?); "
            f"read it by OCR with --ocr auto (needs {INSTALL})"
        )
    text = finish_text(text, warnings, check_binary=False)
    return [Source(path=display, text=text, encoding="unicode", kind="ofd", title=title, warnings=tuple(warnings),
                   ocr_confidence=confidence)]


def _recognise(scans: dict[int, list[tuple[str, _Xml]]], pages: list[list[Fragment]], member: Any, limits: Limits,
               display: str, on_page: PageProgress | None, warnings: list[str]) -> float | None:
    """OCR the images of the pages without text, their lines placed on those pages; the mean confidence."""
    found = Recognised()
    todo = [n for n in sorted(scans) if scans[n]]
    for done, n in enumerate(todo, 1):
        for name, image_object in scans[n]:
            try:
                image = open_image(member(name, "an image named in a resource file"), limits).convert("RGB")
            except Bad as bad:
                warnings.append(f"page {n + 1}: an image ({display_path(name)}) {bad.reason}")
                continue
            pages[n].extend(_place(found.recognise(image), image.size, image_object))
        if on_page:
            on_page(display, done, len(todo))
    warnings.insert(0, found.note(len(pages), len(todo)))
    return found.confidence
