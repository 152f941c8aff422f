"""OCR of scanned pages: images (``.png``, ``.jpg``, ``.tif``) and PDF pages without a text layer.

Text is recognised by RapidOCR (PP-OCR's Chinese detection, direction and recognition models,
run by onnxruntime; the ``rapidocr_onnxruntime`` wheel ships them, so nothing is downloaded),
PDF pages are rendered by pypdfium2 at :data:`DPI`. Lines are put back into paragraphs from
their boxes by :mod:`chachong.ingest.layout`, as OFD text is.

OCR is an extra (``pip install "chachong[ocr]"``) and a choice made per run
(``AuditConfig.ocr``): ``never`` (the default) reads no image and only the text layer of PDFs,
``auto`` recognises images and the PDF pages without a text layer, ``always`` every page. Its
libraries are imported on the first page recognised, never by an audit that needs none.
A source read partly or wholly by OCR carries ``ocr_confidence``: the mean recognition
confidence of its recognised lines, weighted by their characters, which the reports show
because OCR errors lower copy ratios.
"""

from __future__ import annotations

import io
import math
from typing import Any, Callable

from chachong.config import validate_ocr
from chachong.ingest.cleanup import finish_text
from chachong.ingest.errors import Bad, Limits, one_line
from chachong.ingest.files import read_bytes
from chachong.ingest.layout import Fragment, paragraphs
from chachong.model import Source

__all__ = ["DPI", "IMAGES", "PageProgress", "Recognised", "ocr_pdf_pages", "open_image", "read_image",
           "validate_ocr"]

IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

# PDF pages are rendered at 200 dpi: a scan's usual resolution, and enough for the recogniser,
# which works on text lines 48 pixels high (10.5 pt 仿宋 at 200 dpi is 29 pixels).
DPI = 200

PageProgress = Callable[[str, int, int], None]  # (path as shown, pages done, pages to do)

INSTALL = "pip install 'chachong[ocr]'"
_ENGINE: list[Any] = []  # the RapidOCR engine, made on first use


def engine() -> Any:
    """The OCR engine (RapidOCR), made on first use; raises Bad naming the extra when it is missing."""
    if not _ENGINE:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # the extra is not installed (or OpenCV's system libraries are missing)
            missing = getattr(exc, "name", None) or one_line(str(exc), 80)
            raise Bad(f"needs OCR, which is not installed ({missing} is missing); {INSTALL}") from None
        _ENGINE.append(RapidOCR())
    return _ENGINE[0]


class Recognised:
    """What OCR read on some pages: the lines' boxes, and the characters and confidence behind them."""

    def __init__(self) -> None:
        self._frags: dict[int, list[Fragment]] = {}
        self.chars = 0
        self._weighted = 0.0

    def recognise(self, image: Any) -> list[Fragment]:
        """The lines OCR finds in an image (a PIL image), in its pixels; their characters and
        confidence are counted in this record."""
        result, _ = engine()(image)
        frags = []
        for box, text, score in result or []:
            xs = [p[0] for p in box]
            ys = [p[1] for p in box]
            frags.append(Fragment(float(min(xs)), float(max(xs)), float(min(ys)), float(max(ys)), text))
            n = len("".join(text.split()))
            self.chars += n
            self._weighted += float(score) * n
        return frags

    def add(self, page: int, image: Any) -> None:
        """Recognise one page (a PIL image) as page number ``page``."""
        self._frags[page] = self.recognise(image)

    @property
    def pages(self) -> dict[int, list[str]]:
        """The paragraphs of each page recognised. A paragraph running on to the next page (when
        that was recognised too) is joined, and given to the page where it starts."""
        out: dict[int, list[str]] = {}
        numbers = sorted(self._frags)
        start = 0
        for i, n in enumerate(numbers):
            if i + 1 == len(numbers) or numbers[i + 1] != n + 1:  # the end of a run of pages
                run = numbers[start:i + 1]
                out[run[0]] = paragraphs(self._frags[p] for p in run)
                out.update((p, []) for p in run[1:])
                start = i + 1
        return out

    @property
    def confidence(self) -> float | None:
        """Mean recognition confidence of the characters read, or None when none were."""
        return self._weighted / self.chars if self.chars else None

    def note(self, pages: int, read: int | None = None) -> str:
        """The warning a source read by OCR carries: ``read`` (default: the pages added) of ``pages``."""
        c = self.confidence
        conf = f", mean confidence {c:.2f}" if c is not None else ""
        read = len(self._frags) if read is None else read
        return (f"{read} of {pages} page(s) read by OCR{conf}; recognition errors lower "
                "copy ratios, check important findings against the scan")


def open_image(data: bytes, limits: Limits) -> Any:
    """The PIL image in ``data``, after checking its size against ``limits.max_image_pixels``."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        pixels = image.size[0] * image.size[1]
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours: the size is not known
        pixels = 2 * (Image.MAX_IMAGE_PIXELS or 0)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise Bad(f"is not a readable image ({one_line(str(exc), 120)}); save it again as .png or .jpg") from None
    _check_size(pixels, limits)
    return image


def _check_size(pixels: int, limits: Limits) -> None:
    if pixels > limits.max_image_pixels:
        raise Bad(
            f"is an image of {pixels / 1e6:.0f} million pixels, over the {limits.max_image_pixels / 1e6:.0f} "
            "million limit (a decompression bomb?); scale it down to 300 dpi"
            " (or raise Limits(max_image_pixels=...) in Python)"
        )


def _frames(image: Any, limits: Limits) -> list[Any]:
    """Every page of an image (a TIFF can hold many), upright, as RGB; each within the size limit."""
    from PIL import ImageOps, ImageSequence

    out = []
    for frame in ImageSequence.Iterator(image):
        _check_size(frame.size[0] * frame.size[1], limits)
        out.append(ImageOps.exif_transpose(frame).convert("RGB"))
    return out


def read_image(fs_path: str, display: str, limits: Limits, ocr: str, on_page: PageProgress | None) -> list[Source]:
    if ocr == "never":
        raise Bad(f"is an image; to read it by OCR run with --ocr auto (needs {INSTALL})")
    data = read_bytes(fs_path, limits)
    engine()  # before decoding: without the extra, say so first
    image = open_image(data, limits)
    try:
        frames = _frames(image, limits)
    except (OSError, ValueError, SyntaxError) as exc:
        raise Bad(f"is a damaged image ({one_line(str(exc), 120)}); save it again as .png or .jpg") from None
    found = Recognised()
    for i, frame in enumerate(frames):
        found.add(i, frame)
        if on_page:
            on_page(display, i + 1, len(frames))
    pages = found.pages
    text = "\n".join(p for i in range(len(frames)) for p in pages[i])
    if not text.strip():
        raise Bad("is an image in which OCR found no text; check that it is the scan you meant")
    warnings = [found.note(len(frames))]
    text = finish_text(text, warnings, check_binary=False)
    return [Source(path=display, text=text, encoding="unicode", kind="image", warnings=tuple(warnings),
                   ocr_confidence=found.confidence)]


def ocr_pdf_pages(data: bytes, pages: list[int], display: str, limits: Limits,
                  on_page: PageProgress | None) -> Recognised:
    """Render and recognise the given pages (numbered from 0) of a PDF."""
    engine()
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise Bad(f"needs OCR, which is not installed (pypdfium2 is missing); {INSTALL}") from None

    found = Recognised()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise Bad(f"could not be rendered for OCR ({one_line(str(exc), 120)}); print it to PDF again") from None
    try:
        for done, n in enumerate(pages, 1):
            if n >= len(pdf):
                break
            page = pdf[n]
            width, height = page.get_size()
            scale = DPI / 72
            if width * height * scale * scale > limits.max_image_pixels:  # a poster: a lower resolution
                scale = math.sqrt(limits.max_image_pixels / max(width * height, 1.0))
            image = page.render(scale=scale).to_pil()
            found.add(n, image)
            if on_page:
                on_page(display, done, len(pages))
    finally:
        pdf.close()
    return found
