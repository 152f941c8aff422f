"""Reading inputs: files and folders in, decoded :class:`~chachong.model.Source` records out.

Supported: ``.txt``/``.md`` (encoding detected), ``.docx`` (body paragraphs and tables),
``.pdf`` (text layer), ``.csv``/``.jsonl`` (one source per row). :func:`read_sources` never
raises for a bad file: each one becomes a :class:`~chachong.model.Skipped` with a one-line
reason that names the fix, so one broken file never stops an audit of a thousand.

Text decoding, in order (see :func:`detect_encoding`):

1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
2. UTF-16 without a mark, when the bytes contain NULs and decode as UTF-16 to plausible
   text (ASCII in UTF-16 is half zero bytes);
3. strict UTF-8;
4. mostly UTF-8: lines that are not UTF-8 are decoded on their own (a file pasted together
   from UTF-8 and GBK sources) or, for a few damaged bytes, replaced by U+FFFD, with a warning;
5. GB18030 (a superset of GBK and GB2312) or Big5, whichever decodes to text made of
   common characters (GB2312 level 1 and Big5 常用字);
6. UTF-16 without a mark and without NULs (all-Chinese text), when it decodes to plausible text;
7. charset-normalizer's guess, for anything else.

Paths in ``Source.path`` and ``Skipped.path`` are POSIX strings as given or walked; bytes
that do not decode in a file name are shown escaped (``\\xff``) so every path is printable.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import json
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import PurePath
from typing import Any

from chachong.config import ConfigError
from chachong.model import Skipped, Source

__all__ = [
    "SUPPORTED",
    "IngestError",
    "Limits",
    "detect_encoding",
    "read_source",
    "read_sources",
]

SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".csv", ".jsonl")

PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]

MiB = 2**20

# What to do with a file type we do not read, by extension.
_CONVERT_HINTS = {
    ".doc": "open it in Word/LibreOffice and save as .docx",
    ".wps": "open it in WPS/Word and save as .docx",
    ".rtf": "open it in Word/LibreOffice and save as .docx",
    ".odt": "open it in LibreOffice and save as .docx",
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

# A few NULs in a text file are debris (a broken copy, a padded editor buffer); more than
# this many, or NULs making up a quarter of a small file, mean the file is not text at all.
_NUL_TOLERANCE = 16
# Detection looks at the start of a file only: 64 KiB is ~20 000 Chinese characters, far
# more than the statistics need, and keeps detection cheap on a 100 MB file.
_SAMPLE = 64 * 1024
# Share of control characters (other than tab, newlines, form feed) above which decoded
# "text" is really binary data; real text has next to none.
_CONTROL_SHARE = 0.05
# Deflate cannot expand small members dangerously; the ratio cap only applies above this.
_RATIO_FLOOR = 1 * MiB
_CHUNK = 8 * MiB
_MAX_LISTED = 5  # line numbers shown in a warning before "..."

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Signatures of binary formats people save with a .txt name, and what to do about each.
_MAGIC = (
    (b"%PDF-", "a PDF document", "rename it to .pdf"),
    (b"PK\x03\x04", "a zip archive, e.g. a .docx", "if it is a Word document, rename it to .docx"),
    (_OLE_MAGIC, "a legacy Office document", "open it in Word/LibreOffice and save as .docx"),
    (b"\x89PNG", "a PNG image", "OCR it or give the text instead"),
    (b"\xff\xd8\xff", "a JPEG image", "OCR it or give the text instead"),
    (b"GIF8", "a GIF image", "give the text instead"),
    (b"\x1f\x8b", "a gzip archive", "extract it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive", "extract it first"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract it first"),
    (b"\x7fELF", "a program", "give a text file instead"),
    (b"SQLite format 3\x00", "an SQLite database", "export the text first"),
)


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
    """

    max_file_bytes: int = 256 * MiB
    max_docx_uncompressed: int = 512 * MiB
    max_docx_ratio: float = 100.0


class IngestError(Exception):
    """A file that cannot be used; ``str()`` is one line: ``PATH: reason; fix``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)  # both in args, so the error pickles across processes
        self.path = path
        self.reason = _one_line(reason)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class _Bad(Exception):
    """Internal: a reason why the file being read cannot be used (the path is added later)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" or n == int(n) else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- paths


def _fs_path(path: PathArg) -> str:
    """The path as ``str``; undecodable bytes of a file name survive as lone surrogates."""
    return os.fsdecode(os.fspath(path))


def _display(fs_path: str) -> str:
    """The path as a printable POSIX string: the form used in every Source and Skipped."""
    text = PurePath(fs_path).as_posix() if fs_path else fs_path
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that did not decode (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _suffix(fs_path: str) -> str:
    return os.path.splitext(fs_path)[1].lower()


def _os_reason(exc: OSError, *, folder: bool = False) -> str:
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


def _unsupported(ext: str) -> str:
    hint = _CONVERT_HINTS.get(ext, "convert it to one of " + ", ".join(SUPPORTED))
    return f"unsupported file type {ext or '(no extension)'}; {hint}"


# ------------------------------------------------------------------ character statistics


@cache
def _punctuation() -> frozenset[str]:
    """Punctuation and symbols Chinese text uses, common to GB2312 and Big5."""
    ranges = (
        (0x3000, 0x303F),  # CJK symbols and punctuation 、。「」
        (0xFF00, 0xFFEF),  # full-width forms ，：（）
        (0x2010, 0x205E),  # dashes, quotes, ellipsis — “” …
        (0x2160, 0x217F),  # Roman numerals
        (0x2460, 0x24FF),  # enclosed numbers ①
        (0x2500, 0x25FF),  # box drawing, geometric shapes ○ ■ △
    )
    chars = {chr(c) for lo, hi in ranges for c in range(lo, hi + 1)}
    return frozenset(chars | set("·×÷§°±"))


def _decode_table(codec: str, leads: range, trails: Iterable[int], stop: int | None = None) -> set[str]:
    out = set()
    trails = list(trails)
    for lead in leads:
        for trail in trails:
            if stop is not None and (lead << 8 | trail) > stop:
                break
            try:
                out.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                pass
    return out


@cache
def _gb_common() -> frozenset[str]:
    """GB2312 level 1: the 3755 most frequent simplified characters, plus punctuation."""
    return frozenset(_decode_table("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)) | _punctuation())


@cache
def _big5_common() -> frozenset[str]:
    """Big5 常用字 (A440-C67E): the 5401 frequent traditional characters, plus punctuation."""
    trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    return frozenset(_decode_table("big5", range(0xA4, 0xC7), trails, stop=0xC67E) | _punctuation())


@cache
def _any_common() -> frozenset[str]:
    return _gb_common() | _big5_common()


def _common_share(text: str, common: frozenset[str]) -> tuple[float, float]:
    """(share of non-ASCII characters in ``common``, share that are U+FFFD) of ``text``."""
    wide = [ch for ch in text if ch >= "\x80"]
    if not wide:
        return 1.0, 0.0
    good = sum(1 for ch in wide if ch in common)
    return good / len(wide), wide.count("\ufffd") / len(wide)


def _plausible_share(text: str) -> float:
    """Share of characters that ordinary Chinese or English text is made of."""
    if not text:
        return 0.0
    common = _any_common()
    ok = sum(1 for ch in text if (" " <= ch <= "~") or ch in "\t\n\r\f" or ch in common)
    return ok / len(text)


def _decode_all(data: bytes | memoryview, codec: str, errors: str = "strict") -> str:
    """Decode ``data`` in chunks of 8 MiB.

    CPython's one-shot decoders reserve up to two bytes of output per input byte before
    shrinking; decoding a 100 MB file in one go peaks at four times its size, in chunks at
    about two and a half. A ``UnicodeDecodeError`` reports offsets into the whole ``data``.
    """
    decoder = codecs.getincrementaldecoder(codec)(errors)
    view = memoryview(data)
    parts = []
    for start in range(0, max(len(view), 1), _CHUNK):
        try:
            parts.append(decoder.decode(view[start : start + _CHUNK], final=start + _CHUNK >= len(view)))
        except UnicodeDecodeError as exc:
            exc.start += start
            exc.end += start
            raise
    return "".join(parts)


def _sample_decode(data: bytes | memoryview, codec: str, errors: str = "strict") -> str:
    """Decode the start of ``data``; a character cut by the sample's end is not an error."""
    sample = memoryview(data)[:_SAMPLE]
    decoder = codecs.getincrementaldecoder(codec)(errors)
    return decoder.decode(sample, final=len(data) <= _SAMPLE)


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _from_first_non_ascii_line(data: bytes) -> memoryview:
    """``data`` from the line where non-ASCII text starts: what the statistics need to see,
    even after a long ASCII preamble."""
    found = _NON_ASCII.search(data)
    start = data.rfind(b"\n", 0, found.start()) + 1 if found else 0
    return memoryview(data)[start:]


# ------------------------------------------------------------------ encoding detection


def _bom(data: bytes) -> tuple[str, int] | None:
    for mark, codec in _BOMS:
        if data.startswith(mark):
            return codec, len(mark)
    return None


def _guess_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when ``data`` decodes as UTF-16 to plausible text, else None."""
    found = _score_utf16(data)
    return found[1] if found else None


def _score_utf16(data: bytes) -> tuple[float, str] | None:
    """(plausibility, codec) of ``data`` read as UTF-16, when plausible enough, else None."""
    if len(data) < 2 or len(data) % 2:
        return None
    sample = data[:_SAMPLE]
    # ASCII characters put their zero byte at odd offsets in LE, even in BE: try that first.
    zeros_odd, zeros_even = sample[1::2].count(0), sample[0::2].count(0)
    order = ("utf-16-le", "utf-16-be") if zeros_odd >= zeros_even else ("utf-16-be", "utf-16-le")
    for codec in order:
        try:
            text = _sample_decode(data, codec)
        except UnicodeDecodeError:
            continue
        # Garbage decoded as UTF-16 is mostly rare CJK or Hangul; real text is >= 95 % common.
        share = _plausible_share(text)
        if share >= 0.9:
            return share, codec
    return None


def _guess_legacy(data: bytes) -> str | None:
    """GB18030, Big5 or CP950 for Chinese in a legacy code page, else None."""
    found = _score_legacy(data)
    return found[1] if found else None


def _score_legacy(data: bytes) -> tuple[float, str] | None:
    """(score, codec) of the best legacy Chinese code page for ``data``, or None.

    Both codecs decode most of each other's bytes, so validity alone cannot decide. Decoded
    with the right codec, Chinese text consists almost only of common characters (GB2312
    level 1 for simplified, Big5 常用字 for traditional Chinese, which GBK can also hold);
    decoded with the wrong one, of about 60 % at most.
    """
    best: tuple[float, str] | None = None
    common = _any_common()
    window = _from_first_non_ascii_line(data)
    for codec in ("gb18030", "big5", "cp950"):  # cp950: Microsoft's Big5, a few more characters
        try:
            text = _sample_decode(window, codec, "replace")
        except UnicodeDecodeError:  # pragma: no cover - "replace" does not raise
            continue
        share, damaged = _common_share(text, common)
        if damaged > 0.01 or share < 0.5:
            continue
        score = share - damaged
        if best is None or score > best[0]:  # ties keep the earlier (more common) codec
            best = (score, codec)
    return best


def _guess_fallback(data: bytes) -> str | None:
    """charset-normalizer's guess for text in some other encoding (Latin-1, Shift-JIS ...)."""
    try:
        from charset_normalizer import from_bytes

        match = from_bytes(bytes(_from_first_non_ascii_line(data)[:_SAMPLE])).best()
    except Exception:  # noqa: BLE001 - a heuristic that fails only means "unknown"
        return None
    if match is None:
        return None
    try:
        return codecs.lookup(match.encoding).name
    except LookupError:
        return None


def _binary_magic(data: bytes) -> tuple[str, str] | None:
    for magic, what, fix in _MAGIC:
        if data.startswith(magic):
            return what, fix
    return None


def _binary(what: str = "", fix: str = "give the text itself") -> _Bad:
    detail = f" ({what})" if what else ""
    return _Bad(f"looks like a binary file{detail}, not text; {fix}")


@dataclass
class _Lines:
    """How the lines of a not-quite-UTF-8 file decode."""

    kinds: list[str]  # per line: "utf8", "damaged" (UTF-8 with bad bytes) or "legacy"
    utf8_bytes: int  # non-ASCII bytes in UTF-8 and damaged lines
    legacy_bytes: int  # non-ASCII bytes in legacy lines


_LONE = re.compile("[\udc80-\udcff]")
_ASCII_BYTES = bytes(range(128))


def _classify_lines(lines: list[bytes]) -> _Lines:
    kinds: list[str] = []
    utf8_bytes = legacy_bytes = 0
    for line in lines:
        if line.isascii():
            kinds.append("utf8")
            continue
        wide = len(line.translate(None, _ASCII_BYTES))
        try:
            line.decode("utf-8")
            kinds.append("utf8")
            utf8_bytes += wide
            continue
        except UnicodeDecodeError:
            pass
        text = line.decode("utf-8", "surrogateescape")
        invalid = len(_LONE.findall(text))
        valid = sum(1 for ch in text if ch >= "\x80") - invalid
        # A UTF-8 line with a damaged byte is still almost all valid sequences; in a GBK or
        # Big5 line valid UTF-8 sequences occur only by chance, for under half the characters.
        if valid >= 4 * invalid:
            kinds.append("damaged")
            utf8_bytes += wide
        else:
            kinds.append("legacy")
            legacy_bytes += wide
    return _Lines(kinds, utf8_bytes, legacy_bytes)


def _decode_mostly_utf8(data: bytes) -> tuple[str, list[str]] | None:
    """Decode a file that is UTF-8 except for some lines, or None if it is not mostly UTF-8.

    Lines in another encoding (a GBK report pasted into a UTF-8 compilation) are decoded
    with the legacy codec that fits them; damaged UTF-8 bytes become U+FFFD. Both are
    counted in warnings. A file with under 10 % of its non-ASCII bytes in UTF-8 lines is a
    legacy file in which a few short lines happen to be valid UTF-8: None.
    """
    lines = data.split(b"\n")
    info = _classify_lines(lines)
    total = info.utf8_bytes + info.legacy_bytes
    if total == 0 or info.utf8_bytes < 0.1 * total:
        return None
    legacy_codec = None
    if info.legacy_bytes:
        legacy_blob = b"\n".join(ln for ln, kind in zip(lines, info.kinds) if kind == "legacy")
        legacy_codec = _guess_legacy(legacy_blob)
    out: list[str] = []
    replaced = legacy_lines = 0
    for line, kind in zip(lines, info.kinds):
        if kind == "utf8":
            out.append(line.decode("utf-8"))
            continue
        if kind == "legacy" and legacy_codec:
            try:
                decoded = line.decode(legacy_codec)
            except UnicodeDecodeError:
                decoded = None
            # A short run of damaged UTF-8 also decodes in a legacy code page, to rare characters.
            if decoded is not None and _common_share(decoded, _any_common())[0] >= 0.5:
                out.append(decoded)
                legacy_lines += 1
                continue
        text = line.decode("utf-8", "surrogateescape")
        replaced += len(_LONE.findall(text))
        out.append(_LONE.sub("\ufffd", text))
    warnings = []
    if legacy_lines:
        warnings.append(
            f"mixed encodings: {legacy_lines} line(s) are not UTF-8 and were read as {legacy_codec}; "
            "re-save the file as UTF-8 to be sure"
        )
    if replaced:
        warnings.append(
            f"mixed encodings: {replaced} invalid UTF-8 byte(s) replaced with U+FFFD; "
            "re-save the file as UTF-8 or pass --encoding"
        )
    return "\n".join(out), warnings


def _decode_replacing(data: bytes | memoryview, codec: str) -> tuple[str, list[str]]:
    try:
        return _decode_all(data, codec), []
    except UnicodeDecodeError:
        text = _decode_all(data, codec, "replace")
    bad = text.count("\ufffd")
    warning = (
        f"{bad} byte sequence(s) that are not valid {codec} replaced with U+FFFD "
        "(a damaged file, or pass --encoding if the guess is wrong)"
    )
    return text, [warning]


def _decode_with_bom(data: bytes, codec: str, size: int) -> tuple[str, str, list[str]]:
    body = memoryview(data)[size:]
    if codec != "utf-8-sig":
        text, warnings = _decode_replacing(body, codec)
        return text, codec, warnings
    try:
        return _decode_all(body, "utf-8"), codec, []
    except UnicodeDecodeError:
        mixed = _decode_mostly_utf8(bytes(body))
    if mixed:
        return mixed[0], codec, mixed[1]
    text, warnings = _decode_replacing(body, "utf-8")
    return text, codec, warnings


def _decode_auto(data: bytes) -> tuple[str, str, list[str]]:
    """Detect the encoding of ``data`` and decode it: (text, codec, warnings)."""
    bom = _bom(data)
    if bom:
        return _decode_with_bom(data, *bom)
    magic = _binary_magic(data)
    if magic:
        raise _binary(*magic)
    nuls = data.count(0)
    if nuls:
        utf16 = _guess_utf16(data)
        if utf16:
            text, warnings = _decode_replacing(data, utf16)
            return text, utf16, warnings
        if nuls > _NUL_TOLERANCE or nuls * 4 > len(data):
            raise _binary()
    try:
        return _decode_all(data, "utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    mixed = _decode_mostly_utf8(data)
    if mixed:
        return mixed[0], "utf-8", mixed[1]
    legacy = _score_legacy(data)
    # UTF-16 without NULs is a file without a single ASCII character, not even a newline:
    # rare, so it has to beat the legacy code pages clearly (GBK-encoded traditional
    # characters can look like UTF-16).
    bare_utf16 = None if nuls else _score_utf16(data)
    codec: str | None
    if bare_utf16 and (legacy is None or bare_utf16[0] > legacy[0] + 0.1):
        codec = bare_utf16[1]
    else:
        codec = legacy[1] if legacy else _guess_fallback(data)
    if codec is None:
        raise _Bad("cannot tell its text encoding; pass --encoding (for example --encoding gb18030)")
    text, warnings = _decode_replacing(data, codec)
    return text, codec, warnings


def detect_encoding(data: bytes) -> str | None:
    """The codec :func:`read_source` would use for ``data``, or None if it is not text.

    A file that is UTF-8 apart from some lines reports ``utf-8`` (the other lines are
    decoded separately, with a warning).

    >>> detect_encoding("今天我们召开工作会议，总结经验。".encode("gb18030"))
    'gb18030'
    >>> detect_encoding("今天我們召開工作會議，總結經驗。".encode("big5"))
    'big5'
    >>> detect_encoding("会议".encode("utf-16"))
    'utf-16-le'
    >>> detect_encoding(bytes(range(256)) * 4) is None
    True
    """
    try:
        _text, codec, _warnings = _decode_auto(data)
    except _Bad:
        return None
    return codec


def _decode_bytes(data: bytes, encoding: str | None) -> tuple[str, str, list[str]]:
    """Decode with ``encoding`` if given, else detect: (text, codec, warnings)."""
    if encoding is None:
        return _decode_auto(data)
    try:
        return _decode_all(data, encoding), encoding, []
    except UnicodeDecodeError as exc:
        guess = detect_encoding(data)
        hint = f"it looks like {guess}" if guess else "try another --encoding"
        byte = data[exc.start : exc.start + 1].hex()
        raise _Bad(
            f"is not valid {encoding} (byte 0x{byte} at offset {exc.start}); "
            f"check --encoding ({hint}, or leave --encoding out to detect it)"
        ) from None


_CONTROLS = dict.fromkeys([*range(1, 9), *range(14, 32), 127, *range(0x80, 0xA0)])


def _finish_text(text: str, warnings: list[str], *, check_binary: bool = True) -> str:
    """Common clean-up of decoded text; raises _Bad for binary or empty content."""
    nuls = text.count("\x00")
    if nuls:
        if check_binary and (nuls > _NUL_TOLERANCE or nuls * 4 > len(text)):
            raise _binary()
        text = text.replace("\x00", "")
        warnings.append(f"removed {nuls} NUL character(s) (stray bytes in a text file)")
    if check_binary:
        sample = text[: _SAMPLE * 4]
        controls = len(sample) - len(sample.translate(_CONTROLS))
        if controls > 8 and controls > _CONTROL_SHARE * len(sample):
            raise _binary(f"{controls} control characters in the first {len(sample)}")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.removeprefix("\ufeff")
    marks = text.count("\ufeff")
    if marks:
        # Files joined with `cat` keep each part's byte-order mark; it is invisible noise.
        text = text.replace("\ufeff", "")
        warnings.append(f"removed {marks} byte-order mark(s) inside the text (files joined together?)")
    if not text or text.isspace():
        raise _Bad("is empty; nothing to audit")
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_decoded(text: str, warnings: list[str]) -> str:
    """Make text that did not come from a codec (JSON strings, PDF fonts) safe to use.

    JSON can spell a NUL (``\\u0000``) or half a surrogate pair (``\\ud800``); a lone
    surrogate cannot be written as UTF-8, so a report would crash on it.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _SURROGATE.search(text):
        count = len(_SURROGATE.findall(text))
        text = _SURROGATE.sub("\ufffd", text)
        warnings.append(f"{count} unpaired surrogate code point(s) replaced with U+FFFD")
    return text


def _validate_encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ConfigError(
            f"unknown encoding {encoding!r}; use a codec name such as utf-8, gb18030, big5 or utf-16"
        ) from None


# --------------------------------------------------------------------------- readers


def _read_bytes(fs_path: str, limits: Limits) -> bytes:
    """The file's bytes, after checking it is a regular file within the size limit."""
    info = os.stat(fs_path)
    if stat.S_ISDIR(info.st_mode):
        raise _Bad("is a folder, not a file; give the folder to read_sources to read all files in it")
    if not stat.S_ISREG(info.st_mode):
        # Opening a named pipe would block forever; a device may never end.
        raise _Bad("is not a regular file (a device, pipe or socket); give a file or a folder")
    limit = limits.max_file_bytes
    too_big = _Bad(
        f"is {_human(info.st_size)}, over the {_human(limit)} limit for one file; "
        "split it, or raise the limit with --max-file-mb"
    )
    if info.st_size > limit:
        raise too_big
    with open(fs_path, "rb") as handle:
        data = handle.read(limit + 1)  # the file may have grown since stat
    if len(data) > limit:
        raise too_big
    if not data:
        raise _Bad("is empty; nothing to audit")
    return data


def _read_text(fs_path: str, display: str, encoding: str | None, limits: Limits) -> list[Source]:
    data = _read_bytes(fs_path, limits)
    text, codec, warnings = _decode_bytes(data, encoding)
    del data  # not needed any more: the clean-up below may copy the text once
    text = _finish_text(text, warnings)
    return [Source(path=display, text=text, encoding=codec, kind="text", warnings=tuple(warnings))]


# .docx ------------------------------------------------------------------------------

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
    if head.startswith(_OLE_MAGIC):
        # Word saves a password-protected .docx as an encrypted OLE container.
        if _ENCRYPTED_OLE in data:
            raise _Bad("is password-protected; remove the password in Word and save again")
        raise _Bad("is a legacy Word .doc, not .docx; open it in Word/LibreOffice and save as .docx")
    if head.startswith(b"{\\rtf"):
        raise _Bad("is an RTF document, not .docx; open it in Word/LibreOffice and save as .docx")
    if not head.startswith(b"PK"):
        raise _Bad("is not a .docx (not a zip archive); open it in Word/LibreOffice and save as .docx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _Bad(f"is a corrupt .docx (broken zip: {exc}); open it in Word/LibreOffice and save again")
    names = {m.filename for m in members}
    if "xl/workbook.xml" in names:
        raise _Bad("is an Excel workbook, not a Word document; save the sheet as .csv (one document per row)")
    if "ppt/presentation.xml" in names:
        raise _Bad("is a PowerPoint presentation, not a Word document; save it as .pdf or .docx")
    total = sum(m.file_size for m in members)
    if total > limits.max_docx_uncompressed:
        raise _Bad(
            f"would expand to {_human(total)}, over the {_human(limits.max_docx_uncompressed)} limit "
            "(a zip bomb?); if the document is genuine, save it as .txt in Word "
            "(or raise Limits(max_docx_uncompressed=...) in Python)"
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > _RATIO_FLOOR and ratio > limits.max_docx_ratio:
            raise _Bad(
                f"has a member ({_display(m.filename)}) that expands {ratio:.0f}x, over the "
                f"{limits.max_docx_ratio:.0f}x limit (a zip bomb?); if the document is genuine, "
                "save it as .txt in Word (or raise Limits(max_docx_ratio=...) in Python)"
            )


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


def _read_docx(fs_path: str, display: str, limits: Limits) -> list[Source]:
    import docx  # python-docx; imported here so that `chachong check` on .txt starts fast

    data = _read_bytes(fs_path, limits)
    _check_zip(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except Exception as exc:  # noqa: BLE001 - python-docx raises KeyError, ValueError, lxml errors ...
        raise _Bad(
            f"is a corrupt .docx ({type(exc).__name__}: {_one_line(str(exc), 120)}); "
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
        raise _Bad(
            "is empty (no text in the document body; text boxes, headers and footers are not read); "
            "nothing to audit"
        )
    text = _finish_text(text, warnings, check_binary=False)
    return [
        Source(
            path=display, text=text, encoding="unicode", kind="docx", title=title, warnings=tuple(warnings)
        )
    ]


# .pdf -------------------------------------------------------------------------------

_CID = re.compile(r"\(cid:\d+\)")


def _read_pdf(fs_path: str, display: str, limits: Limits) -> list[Source]:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFEncryptionError

    data = _read_bytes(fs_path, limits)
    if b"%PDF-" not in data[:1024]:
        looks = " (it is a web page)" if b"<html" in data[:1024].lower() else ""
        raise _Bad(f"is not a PDF (no %PDF header){looks}; download or export the PDF again")
    encrypted = _Bad("is encrypted; remove the password and try again")
    try:
        text = extract_text(io.BytesIO(data))
    except PDFEncryptionError:
        raise encrypted from None
    except Exception as exc:  # noqa: BLE001 - pdfminer signals damage with many exception types
        if b"/Encrypt" in data:
            raise encrypted from None
        raise _Bad(
            f"is a corrupt or unreadable PDF ({type(exc).__name__}: {_one_line(str(exc), 120)}); "
            "open it and save or print it to PDF again"
        ) from None
    warnings: list[str] = []
    text = _clean_decoded(text.replace("\f", "\n"), warnings)  # pdfminer ends each page with \f
    glyphs = len(_CID.findall(text))
    if glyphs:
        # "(cid:123)" is a glyph pdfminer could not map to a character (font without a
        # Unicode table); left in, identical fonts would make unrelated files look copied.
        text = _CID.sub("", text)
        if not any(ch.isalpha() for ch in text):
            raise _Bad("has text in fonts without a Unicode mapping, so it cannot be read; OCR it first")
        warnings.append(f"removed {glyphs} glyph(s) that could not be mapped to characters")
    if not any(ch.isalpha() for ch in text):
        raise _Bad("has no text layer (scanned?); OCR it first")
    text = _finish_text(text, warnings, check_binary=False)
    return [Source(path=display, text=text, encoding="unicode", kind="pdf", warnings=tuple(warnings))]


# .csv and .jsonl --------------------------------------------------------------------


def _listed(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_MAX_LISTED])
    return shown + (", ..." if len(numbers) > _MAX_LISTED else "")


def _find_column(names: list[str], wanted: str) -> int | None:
    """Index of column ``wanted``: exact match first, else a unique case-insensitive one."""
    if wanted in names:
        return names.index(wanted)
    folded = [i for i, name in enumerate(names) if name.casefold() == wanted.casefold()]
    return folded[0] if len(folded) == 1 else None


def _missing_column(kind: str, wanted: str, names: Iterable[str]) -> _Bad:
    listed = ", ".join(repr(n) for n in names) or "none"
    return _Bad(f"has no {wanted!r} {kind} ({kind}s: {listed}); pass --text-column with one of them")


def _text_lines(text: str) -> Iterator[str]:
    """Lines with their "\\n", without copying the text (unlike splitlines, no split at U+2028)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _delimiter(text: str) -> str:
    # Excel in a Chinese locale writes commas; exports named .csv are sometimes TAB- or
    # semicolon-separated. The header line decides; csv.Sniffer guesses wrong on CJK text.
    header = next((line for line in _text_lines(text) if line.strip()), "")
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _decode_table_file(fs_path: str, encoding: str | None, limits: Limits) -> tuple[str, str, list[str]]:
    data = _read_bytes(fs_path, limits)
    text, codec, warnings = _decode_bytes(data, encoding)
    del data
    return _finish_text(text, warnings), codec, warnings


def _with_file_warnings(sources: list[Source], warnings: list[str]) -> list[Source]:
    # File-level warnings ride on the file's first row, so they are reported once.
    if warnings and sources:
        first = sources[0]
        sources[0] = Source(
            first.path,
            first.text,
            first.encoding,
            first.kind,
            first.title,
            first.first_line,
            tuple(warnings) + first.warnings,
        )
    return sources


def _read_csv(
    fs_path: str, display: str, encoding: str | None, text_column: str, title_column: str, limits: Limits
) -> list[Source]:
    text, codec, warnings = _decode_table_file(fs_path, encoding, limits)
    # The default limit (128 Ki characters per field) would reject a long document in one cell.
    if csv.field_size_limit() < limits.max_file_bytes:
        csv.field_size_limit(limits.max_file_bytes)
    reader = csv.reader(_text_lines(text), delimiter=_delimiter(text))
    sources: list[Source] = []
    header: list[str] | None = None
    text_at = title_at = None
    empty_rows: list[int] = []
    n = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _Bad(
                f"is not valid CSV (line {reader.line_num}: {exc}); fix the quoting or export it again"
            )
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            text_at = _find_column(header, text_column)
            if text_at is None:
                raise _missing_column("column", text_column, header)
            title_at = _find_column(header, title_column)
            continue
        n += 1
        assert text_at is not None
        body = row[text_at] if text_at < len(row) else ""
        if not body.strip():
            empty_rows.append(n)
            continue
        title = row[title_at].strip() or None if title_at is not None and title_at < len(row) else None
        sources.append(Source(f"{display}#{n}", body, codec, "table", title, start))
    if not sources:
        what = "has a header but no rows" if n == 0 else f"has no text in column {text_column!r}"
        raise _Bad(f"{what}; nothing to audit")
    if empty_rows:
        warnings.append(
            f"{len(empty_rows)} row(s) with an empty {text_column!r} cell skipped "
            f"(rows {_listed(empty_rows)})"
        )
    return _with_file_warnings(sources, warnings)


def _read_jsonl(
    fs_path: str, display: str, encoding: str | None, text_column: str, title_column: str, limits: Limits
) -> list[Source]:
    text, codec, warnings = _decode_table_file(fs_path, encoding, limits)
    if text.lstrip().startswith("["):
        # A pretty-printed JSON array would otherwise half-parse: lines such as `{"text": ...}`
        # without a trailing comma are valid on their own.
        raise _Bad("is a JSON array, not JSON Lines; put one JSON object on each line")
    sources: list[Source] = []
    bad: list[str] = []
    keys: dict[str, None] = {}  # field names seen, in first-seen order
    objects = 0
    missing: list[int] = []
    empty: list[int] = []
    fixes: list[str] = []  # one entry per field with unpaired surrogates, summarised once
    n = 0
    for lineno, line in enumerate(_text_lines(text), 1):
        if not line.strip():
            continue
        n += 1
        try:
            obj = json.loads(line)
        except ValueError as exc:
            msg = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(exc)
            bad.append(f"line {lineno}: not valid JSON ({msg})")
            continue
        except RecursionError:
            bad.append(f"line {lineno}: JSON nested too deeply")
            continue
        if not isinstance(obj, dict):
            bad.append(f"line {lineno}: a JSON {type(obj).__name__}, not an object")
            continue
        objects += 1
        if len(keys) < 50:
            keys.update(dict.fromkeys(str(k) for k in obj))
        if text_column not in obj:
            missing.append(lineno)
            continue
        value = obj[text_column]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            if value is None:
                empty.append(lineno)
            else:
                bad.append(f"line {lineno}: {text_column!r} is a JSON {type(value).__name__}, not text")
            continue
        if not value.strip():
            empty.append(lineno)
            continue
        # the file's text has no NUL, CR or lone surrogate (a codec decoded it, _finish_text
        # cleaned it), so a JSON string holds one only when its line spells an escape: most
        # lines skip the scan, which was a third of reading a large library
        escaped = "\\u" in line or "\\r" in line
        if escaped:
            value = _clean_decoded(value, fixes)
            if not value.strip():
                empty.append(lineno)
                continue
        raw_title = obj.get(title_column)
        title = ((_clean_decoded(str(raw_title), fixes) if escaped else str(raw_title)).strip() or None
                 if raw_title is not None else None)
        sources.append(Source(f"{display}#{n}", value, codec, "table", title, lineno))
    if not sources:
        if objects == 0 and bad:
            raise _Bad(f"is not JSON Lines ({bad[0]}); put one JSON object on each line")
        if missing and len(missing) == objects:
            raise _missing_column("field", text_column, keys)
        raise _Bad(f"has no text in field {text_column!r}; nothing to audit")
    if bad:
        more = f" and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
        warnings.append(f"{len(bad)} row(s) skipped: " + "; ".join(bad[:_MAX_LISTED]) + more)
    if missing:
        warnings.append(
            f"{len(missing)} row(s) without a {text_column!r} field skipped (lines {_listed(missing)})"
        )
    if empty:
        warnings.append(f"{len(empty)} row(s) with an empty {text_column!r} skipped (lines {_listed(empty)})")
    if fixes:
        warnings.append(f"unpaired surrogate code points replaced with U+FFFD in {len(fixes)} field(s)")
    return _with_file_warnings(sources, warnings)


# --------------------------------------------------------------------------- public API


def read_source(
    path: PathArg,
    *,
    encoding: str | None = None,
    text_column: str = "text",
    title_column: str = "title",
    limits: Limits = Limits(),
) -> list[Source]:
    """Read one file: one Source, or one per row for ``.csv``/``.jsonl``.

    Raises :class:`IngestError` (path and a reason naming the fix) for a file that cannot be
    used, and ConfigError for an unknown ``encoding``. ``encoding`` forces the codec of
    ``.txt``, ``.md``, ``.csv`` and ``.jsonl`` files; ``.docx`` and ``.pdf`` carry Unicode
    and report ``encoding="unicode"``.
    """
    encoding = _validate_encoding(encoding)
    fs_path = _fs_path(path)
    display = _display(fs_path)
    ext = _suffix(fs_path)
    try:
        if ext in (".txt", ".md"):
            return _read_text(fs_path, display, encoding, limits)
        if ext == ".docx":
            return _read_docx(fs_path, display, limits)
        if ext == ".pdf":
            return _read_pdf(fs_path, display, limits)
        if ext == ".csv":
            return _read_csv(fs_path, display, encoding, text_column, title_column, limits)
        if ext == ".jsonl":
            return _read_jsonl(fs_path, display, encoding, text_column, title_column, limits)
        raise _Bad(_unsupported(ext))
    except _Bad as bad:
        raise IngestError(display, bad.reason) from None
    except OSError as exc:
        raise IngestError(display, _os_reason(exc)) from exc


def _is_ignored(name: str) -> bool:
    # Hidden files and folders (.git, .DS_Store, macOS "._x.docx") and the lock files Word
    # leaves next to an open document ("~$报告.docx"), which are not documents.
    return name.startswith((".", "~$"))


def _walk(root: str, skipped: list[Skipped]) -> list[str]:
    """Supported files under ``root``, sorted by path; symbolic-link loops are visited once."""
    files: list[str] = []
    visited: set[str] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(folder) as it:
                # scandir order is the file system's: sorted, the skipped list is the same everywhere
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skipped(_display(folder), _os_reason(exc, folder=True)))
            continue
        for entry in entries:
            if _is_ignored(entry.name):
                continue
            try:
                if entry.is_dir():
                    stack.append(entry.path)
                    continue
                if _suffix(entry.name) not in SUPPORTED:
                    continue
                if entry.is_file():
                    files.append(entry.path)
                elif entry.is_symlink() and not os.path.exists(entry.path):
                    skipped.append(
                        Skipped(_display(entry.path), "is a broken symbolic link; fix or remove the link")
                    )
            except OSError as exc:
                skipped.append(Skipped(_display(entry.path), _os_reason(exc)))
    return sorted(files, key=lambda p: PurePath(p).as_posix())


def _expand(fs_path: str, skipped: list[Skipped]) -> list[str]:
    """The files to read for one given path; problems go to ``skipped``."""
    display = _display(fs_path)
    try:
        info = os.stat(fs_path)
    except FileNotFoundError:
        reason = (
            "is a broken symbolic link; fix or remove the link"
            if os.path.islink(fs_path)
            else "no such file or directory; check the path"
        )
        skipped.append(Skipped(display, reason))
        return []
    except OSError as exc:
        skipped.append(Skipped(display, _os_reason(exc)))
        return []
    if stat.S_ISDIR(info.st_mode):
        found = _walk(fs_path, skipped)
        if not found:
            kinds = ", ".join(SUPPORTED)
            skipped.append(Skipped(display, f"has no {kinds} files; nothing to audit"))
        return found
    if _suffix(fs_path) not in SUPPORTED:
        skipped.append(Skipped(display, _unsupported(_suffix(fs_path))))
        return []
    return [fs_path]


def read_sources(
    paths: PathArg | Iterable[PathArg],
    *,
    encoding: str | None = None,
    text_column: str = "text",
    title_column: str = "title",
    limits: Limits = Limits(),
) -> tuple[list[Source], list[Skipped]]:
    """Read files and folders: (sources in input order, skipped inputs with reasons).

    Folders are walked recursively; their files come sorted by path. Hidden files and
    folders, Word lock files (``~$...``) and unsupported types inside folders are ignored;
    a file named explicitly with an unsupported type is skipped with a reason. A file
    reached twice (given twice, or through a symbolic link) is read once. Every problem
    with one input, even an unexpected exception, becomes a Skipped; only an unknown
    ``encoding`` raises (ConfigError), because it concerns every file.
    """
    encoding = _validate_encoding(encoding)
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    sources: list[Source] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for given in paths:
        try:
            fs_given = _fs_path(given)
        except TypeError:
            skipped.append(Skipped(_display(repr(given)), "is not a path; give a str or pathlib.Path"))
            continue
        try:
            files = _expand(fs_given, skipped)
        except Exception as exc:  # noqa: BLE001 - never let one input stop the others
            skipped.append(Skipped(_display(fs_given), _unexpected(exc, "listed")))
            continue
        for fs_path in files:
            key = os.path.realpath(fs_path)
            if key in seen:
                continue
            seen.add(key)
            try:
                sources.extend(
                    read_source(
                        fs_path,
                        encoding=encoding,
                        text_column=text_column,
                        title_column=title_column,
                        limits=limits,
                    )
                )
            except IngestError as exc:
                skipped.append(Skipped(exc.path, exc.reason))
            except Exception as exc:  # noqa: BLE001 - a bug must cost one file, not the audit
                skipped.append(Skipped(_display(fs_path), _unexpected(exc, "read")))
    return sources, skipped


def _unexpected(exc: Exception, doing: str) -> str:
    if isinstance(exc, MemoryError):
        return f"could not be {doing} (MemoryError: not enough memory); split the file or free memory"
    detail = _one_line(str(exc), 160)
    return (
        f"could not be {doing} ({type(exc).__name__}{': ' + detail if detail else ''}); "
        "this is a chachong bug, please report it with the file"
    )
