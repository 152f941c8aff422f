"""Reading ``.pdf`` files: the text layer as pdfminer extracts it, unmapped glyphs removed; with
``ocr="auto"`` the pages without a text layer (scans) are recognised by OCR, with ``"always"``
every page (:mod:`chachong.ingest.ocr`)."""

from __future__ import annotations

import io
import re

from chachong.ingest.cleanup import clean_decoded, finish_text
from chachong.ingest.errors import Bad, Limits, one_line
from chachong.ingest.files import read_bytes
from chachong.ingest.ocr import INSTALL, PageProgress, ocr_pdf_pages
from chachong.model import Source

__all__ = ["read_pdf"]

_CID = re.compile(r"\(cid:\d+\)")


def _letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def read_pdf(fs_path: str, display: str, limits: Limits, ocr: str = "never",
             on_page: PageProgress | None = None) -> list[Source]:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFEncryptionError

    data = read_bytes(fs_path, limits)
    if b"%PDF-" not in data[:1024]:
        looks = " (it is a web page)" if b"<html" in data[:1024].lower() else ""
        raise Bad(f"is not a PDF (no %PDF header){looks}; download or export the PDF again")
    encrypted = Bad("is encrypted; remove the password and try again")
    try:
        text = extract_text(io.BytesIO(data))
    except PDFEncryptionError:
        raise encrypted from None
    except Exception as exc:  # noqa: BLE001 - pdfminer signals damage with many exception types
        if b"/Encrypt" in data:
            raise encrypted from None
        raise Bad(
            f"is a corrupt or unreadable PDF ({type(exc).__name__}: {one_line(str(exc), 120)}); "
            "open it and save or print it to PDF again"
        ) from None
    warnings: list[str] = []
    confidence = None
    # pdfminer ends each page with \f: pages[i] is page i, and one empty string follows the last
    pages = text.split("\f")
    if ocr != "never":
        todo = [i for i, page in enumerate(pages[:-1]) if ocr == "always" or not _letters(_CID.sub("", page))]
        if todo:
            found = ocr_pdf_pages(data, todo, display, limits, on_page)
            for i, paras in found.pages.items():
                pages[i] = "\n\n".join(paras) + "\n" if paras else ""
            confidence = found.confidence
            warnings.append(found.note(len(pages) - 1))
    text = clean_decoded("\n".join(pages), warnings)
    glyphs = len(_CID.findall(text))
    if glyphs:
        # "(cid:123)" is a glyph pdfminer could not map to a character (font without a
        # Unicode table); left in, identical fonts would make unrelated files look copied.
        text = _CID.sub("", text)
        if not _letters(text):
            raise Bad("has text in fonts without a Unicode mapping, so it cannot be read; "
                      f"read it by OCR with --ocr auto (needs {INSTALL})")
        warnings.append(f"removed {glyphs} glyph(s) that could not be mapped to characters")
    if not _letters(text):
        if ocr != "never":
            raise Bad("has no text layer, and OCR found no text on its pages; check that it is the scan you meant")
        raise Bad(f"has no text layer (scanned?); read it by OCR with --ocr auto (needs {INSTALL})")
    text = finish_text(text, warnings, check_binary=False)
    return [Source(path=display, text=text, encoding="unicode", kind="pdf", warnings=tuple(warnings),
                   ocr_confidence=confidence)]
