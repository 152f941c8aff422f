"""Reading ``.pdf`` files: the text layer as pdfminer extracts it, unmapped glyphs removed."""

from __future__ import annotations

import io
import re

from chachong.ingest.cleanup import clean_decoded, finish_text
from chachong.ingest.errors import Bad, Limits, one_line
from chachong.ingest.files import read_bytes
from chachong.model import Source

__all__ = ["read_pdf"]

_CID = re.compile(r"\(cid:\d+\)")


def read_pdf(fs_path: str, display: str, limits: Limits) -> list[Source]:
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
    text = clean_decoded(text.replace("\f", "\n"), warnings)  # pdfminer ends each page with \f
    glyphs = len(_CID.findall(text))
    if glyphs:
        # "(cid:123)" is a glyph pdfminer could not map to a character (font without a
        # Unicode table); left in, identical fonts would make unrelated files look copied.
        text = _CID.sub("", text)
        if not any(ch.isalpha() for ch in text):
            raise Bad("has text in fonts without a Unicode mapping, so it cannot be read; OCR it first")
        warnings.append(f"removed {glyphs} glyph(s) that could not be mapped to characters")
    if not any(ch.isalpha() for ch in text):
        raise Bad("has no text layer (scanned?); OCR it first")
    text = finish_text(text, warnings, check_binary=False)
    return [Source(path=display, text=text, encoding="unicode", kind="pdf", warnings=tuple(warnings))]
