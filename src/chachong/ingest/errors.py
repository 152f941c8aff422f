"""What may go wrong reading an input, and how it is said: limits, errors and their one-line reasons.

:class:`Limits` bounds what one input may cost. A reader raises :class:`Bad` with a reason (it does
not know how the path is shown); :func:`chachong.ingest.read.read_source` turns it into an
:class:`IngestError` carrying the path. Every reason is one line that names the fix, so a skipped
file tells its owner what to do. The reasons shared by several readers are worded here once.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

__all__ = [
    "MiB",
    "SUPPORTED",
    "Bad",
    "IngestError",
    "Limits",
    "binary",
    "human",
    "one_line",
    "os_reason",
    "unsupported",
]

SUPPORTED = (
    ".txt", ".md", ".docx", ".pdf", ".csv", ".jsonl",
    ".doc", ".wps", ".rtf", ".odt",  # through LibreOffice (office.py)
    ".ofd",  # GB/T 33190 packages (ofd.py)
    ".png", ".jpg", ".jpeg", ".tif", ".tiff",  # by OCR with --ocr auto|always (ocr.py)
)

MiB = 2**20

# What to do with a file type we do not read, by extension.
_CONVERT_HINTS = {
    ".docm": "open it in Word and save as .docx",
    ".dot": "open it in Word/LibreOffice and save as .docx",
    ".dotx": "open it in Word and save as .docx",
    ".uof": "open it in WPS/LibreOffice and save as .docx",
    ".mht": "open it in Word and save as .docx",
    ".xls": "save the sheet as .csv (one document per row)",
    ".xlsx": "save the sheet as .csv (one document per row)",
    ".et": "save the sheet as .csv (one document per row)",
    ".ods": "save the sheet as .csv (one document per row)",
    ".json": "write one JSON object per line and name it .jsonl",
    ".htm": "save the page as .txt",
    ".html": "save the page as .txt",
    ".zip": "extract the archive first",
    ".rar": "extract the archive first",
    ".7z": "extract the archive first",
}


@dataclass(frozen=True)
class Limits:
    """Resource limits for reading one input, with the reason for each default.

    max_file_bytes: files larger than this (256 MiB) are skipped before any byte is read.
        Decoding needs up to about three times a file's size in memory, and 256 MiB of
        text is some 85 million Chinese characters, far beyond any compilation: a bigger
        input is nearly always the wrong file (a database dump, a video). Raise it for a
        genuine giant with ``--max-file-mb`` (``AuditConfig.max_file_mb``), which sets it.
    max_docx_uncompressed: a ``.docx`` is a zip archive; the sum of its members' sizes as
        declared in the zip directory must not exceed this (512 MiB). It is checked before
        anything is extracted, and Python's zipfile never inflates a member beyond its
        declared size, so a zip bomb cannot get past it. Genuine documents with many
        images stay far below.
    max_docx_ratio: no member larger than 1 MiB may expand more than this many times
        (100) its compressed size. Word XML compresses 5-20 times; only crafted data
        (a zip bomb) gets near the deflate maximum of about 1000.
        Both zip limits also bound ``.ofd`` packages (zips of XML too).
    office_seconds: LibreOffice may spend this long (60 s) on one ``.doc``/``.wps``/``.rtf``/
        ``.odt`` file before the file is given up as hanging (a batch is watched file by file:
        the time runs from the previous file's output). A 300-page report converts in under
        20 s on one slow core; a minute is a hang, not a long document. The first file of a
        batch has 30 s more, for LibreOffice to start.
    max_image_pixels: an image, or a PDF page rendered for OCR, may have at most this many
        pixels (60 million, an A0 poster at 200 dpi). Decoding needs 3 bytes a pixel and the
        OCR models several times that; a bigger image is crafted (a decompression bomb) or
        a photo far sharper than OCR needs. PDF pages larger than that are rendered at a
        lower resolution instead of being refused.
    """

    max_file_bytes: int = 256 * MiB
    max_docx_uncompressed: int = 512 * MiB
    max_docx_ratio: float = 100.0
    office_seconds: float = 60.0
    max_image_pixels: int = 60_000_000


class IngestError(Exception):
    """A file that cannot be used; ``str()`` is one line: ``PATH: reason; fix``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)  # both in args, so the error pickles across processes
        self.path = path
        self.reason = one_line(reason)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class Bad(Exception):
    """Within ingest: a reason why the file being read cannot be used (the path is added later)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" or n == int(n) else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def os_reason(exc: OSError, *, folder: bool = False) -> str:
    what = "folder" if folder else "file"
    if isinstance(exc, PermissionError):
        return f"cannot read (permission denied); check the {what}'s permissions"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory; check the path"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file; give the folder itself to read all files in it"
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop (it leads back to itself); fix or remove the link"
    detail = exc.strerror or type(exc).__name__
    return f"cannot read ({detail}); check the {what} and the disk"


def unsupported(ext: str) -> str:
    hint = _CONVERT_HINTS.get(ext, "convert it to one of " + ", ".join(SUPPORTED))
    return f"unsupported file type {ext or '(no extension)'}; {hint}"


def binary(what: str = "", fix: str = "give the text itself") -> Bad:
    detail = f" ({what})" if what else ""
    return Bad(f"looks like a binary file{detail}, not text; {fix}")
