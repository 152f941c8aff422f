"""Reading ``.docx`` files: the zip archive checked first (legacy, encrypted and foreign Office
files, zip bombs), then the body's paragraphs and tables read from the document XML.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from chachong.ingest.cleanup import finish_text
from chachong.ingest.encoding import OLE_MAGIC
from chachong.ingest.errors import Bad, Limits, one_line
from chachong.ingest.files import read_bytes
from chachong.ingest.package import open_zip
from chachong.model import Source

__all__ = ["read_docx"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Never part of the reading text: properties (w:tabs holds tab *stops*), deleted text,
# text boxes (anchored out of the flow) and the fallback copy of alternate content.
_PRUNE = frozenset({_W + "pPr", _W + "rPr", _W + "del", _W + "moveFrom", _W + "txbxContent", _MC_FALLBACK})
# Containers that only wrap blocks, rows or cells (content controls, custom XML).
_WRAPPERS = frozenset({_W + "sdt", _W + "sdtContent", _W + "customXml", _W + "smartTag"})
_ENCRYPTED_OLE = "EncryptionInfo".encode("utf-16-le")
_Xml = Any  # an lxml element of the document body (lxml ships no type information)


def _check_zip(data: bytes, limits: Limits) -> None:
    head = data[:8]
    if head.startswith(OLE_MAGIC):
        # Word saves a password-protected .docx as an encrypted OLE container.
        if _ENCRYPTED_OLE in data:
            raise Bad("is password-protected; remove the password in Word and save again")
        raise Bad("is a legacy Word .doc, not .docx; open it in Word/LibreOffice and save as .docx")
    if head.startswith(b"{\\rtf"):
        raise Bad("is an RTF document, not .docx; open it in Word/LibreOffice and save as .docx")
    if not head.startswith(b"PK"):
        raise Bad("is not a .docx (not a zip archive); open it in Word/LibreOffice and save as .docx")
    archive = open_zip(
        data, limits, corrupt="is a corrupt .docx", resave="open it in Word/LibreOffice and save again",
        fix="save it as .txt in Word",
    )
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        raise Bad("is an Excel workbook, not a Word document; save the sheet as .csv (one document per row)")
    if "ppt/presentation.xml" in names:
        raise Bad("is a PowerPoint presentation, not a Word document; save it as .pdf or .docx")


def _children(element: _Xml, tag: str) -> Iterator[_Xml]:
    """Children of ``element`` with ``tag``, looking through content-control wrappers."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _paragraph_text(paragraph: _Xml) -> str:
    parts: list[str] = []

    def walk(element: _Xml) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _PRUNE:  # comments, processing instructions
                continue
            if tag == _W + "t":
                parts.append(child.text or "")
            elif tag == _W + "tab":
                parts.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                parts.append("\n")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
            else:  # runs, hyperlinks, insertions, fields, smart tags ...
                walk(child)

    walk(paragraph)
    return "".join(parts)


def _block_lines(element: _Xml, lines: list[str]) -> None:
    """Append the lines of a body-level block: a paragraph, a table, or a wrapper of them."""
    tag = element.tag
    if tag == _W + "p":
        lines.append(_paragraph_text(element))
    elif tag == _W + "tbl":
        for row in _children(element, _W + "tr"):
            cells = [_cell_text(cell) for cell in _children(row, _W + "tc")]
            lines.append("\t".join(cells))
    elif tag in _WRAPPERS:
        for child in element:
            _block_lines(child, lines)


def _cell_text(cell: _Xml) -> str:
    # Reads the cell's own XML (not python-docx's row.cells), so a merged cell is read once
    # instead of being repeated for every grid column or row it spans.
    inner: list[str] = []
    for child in cell:
        _block_lines(child, inner)
    # A row is one line with TAB between cells, so line breaks and tabs inside become spaces.
    return " ".join(" ".join(line.split()) for line in inner if line.strip())


def read_docx(fs_path: str, display: str, limits: Limits) -> list[Source]:
    import docx  # python-docx; imported here so that `chachong check` on .txt starts fast

    data = read_bytes(fs_path, limits)
    _check_zip(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except Exception as exc:  # noqa: BLE001 - python-docx raises KeyError, ValueError, lxml errors ...
        raise Bad(
            f"is a corrupt .docx ({type(exc).__name__}: {one_line(str(exc), 120)}); "
            "open it in Word/LibreOffice and save again"
        ) from None
    lines: list[str] = []
    for child in body:
        _block_lines(child, lines)
    try:
        title = (document.core_properties.title or "").strip() or None
    except Exception:  # noqa: BLE001 - a damaged core.xml only costs the title
        title = None
    warnings: list[str] = []
    text = "\n".join(lines)
    if not text.strip():
        raise Bad(
            "is empty (no text in the document body; text boxes, headers and footers are not read); "
            "nothing to audit"
        )
    text = finish_text(text, warnings, check_binary=False)
    return [
        Source(
            path=display, text=text, encoding="unicode", kind="docx", title=title, warnings=tuple(warnings)
        )
    ]
