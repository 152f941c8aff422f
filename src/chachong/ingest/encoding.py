"""Decoding text files: the encoding detected (or given) and the bytes decoded, with warnings.

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

The scores behind steps 2 and 5-7 are in :mod:`chachong.ingest.guess`; the clean-up of decoded
text in :mod:`chachong.ingest.cleanup`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from chachong.config import ConfigError
from chachong.ingest.cleanup import NUL_TOLERANCE
from chachong.ingest.errors import Bad, MiB, binary
from chachong.ingest.guess import (
    any_common,
    common_share,
    guess_fallback,
    guess_legacy,
    guess_utf16,
    score_legacy,
    score_utf16,
)

__all__ = ["OLE_MAGIC", "decode_bytes", "detect_encoding", "validate_encoding"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
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
    (OLE_MAGIC, "a legacy Office document", "open it in Word/LibreOffice and save as .docx"),
    (b"\x89PNG", "a PNG image", "OCR it or give the text instead"),
    (b"\xff\xd8\xff", "a JPEG image", "OCR it or give the text instead"),
    (b"GIF8", "a GIF image", "give the text instead"),
    (b"\x1f\x8b", "a gzip archive", "extract it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive", "extract it first"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract it first"),
    (b"\x7fELF", "a program", "give a text file instead"),
    (b"SQLite format 3\x00", "an SQLite database", "export the text first"),
)

_CHUNK = 8 * MiB


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


def _bom(data: bytes) -> tuple[str, int] | None:
    for mark, codec in _BOMS:
        if data.startswith(mark):
            return codec, len(mark)
    return None


def _binary_magic(data: bytes) -> tuple[str, str] | None:
    for magic, what, fix in _MAGIC:
        if data.startswith(magic):
            return what, fix
    return None


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
        legacy_codec = guess_legacy(legacy_blob)
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
            if decoded is not None and common_share(decoded, any_common())[0] >= 0.5:
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
        raise binary(*magic)
    nuls = data.count(0)
    if nuls:
        utf16 = guess_utf16(data)
        if utf16:
            text, warnings = _decode_replacing(data, utf16)
            return text, utf16, warnings
        if nuls > NUL_TOLERANCE or nuls * 4 > len(data):
            raise binary()
    try:
        return _decode_all(data, "utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    mixed = _decode_mostly_utf8(data)
    if mixed:
        return mixed[0], "utf-8", mixed[1]
    legacy = score_legacy(data)
    # UTF-16 without NULs is a file without a single ASCII character, not even a newline:
    # rare, so it has to beat the legacy code pages clearly (GBK-encoded traditional
    # characters can look like UTF-16).
    bare_utf16 = None if nuls else score_utf16(data)
    codec: str | None
    if bare_utf16 and (legacy is None or bare_utf16[0] > legacy[0] + 0.1):
        codec = bare_utf16[1]
    else:
        codec = legacy[1] if legacy else guess_fallback(data)
    if codec is None:
        raise Bad("cannot tell its text encoding; pass --encoding (for example --encoding gb18030)")
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
    except Bad:
        return None
    return codec


def decode_bytes(data: bytes, encoding: str | None) -> tuple[str, str, list[str]]:
    """Decode with ``encoding`` if given, else detect: (text, codec, warnings)."""
    if encoding is None:
        return _decode_auto(data)
    try:
        return _decode_all(data, encoding), encoding, []
    except UnicodeDecodeError as exc:
        guess = detect_encoding(data)
        hint = f"it looks like {guess}" if guess else "try another --encoding"
        byte = data[exc.start : exc.start + 1].hex()
        raise Bad(
            f"is not valid {encoding} (byte 0x{byte} at offset {exc.start}); "
            f"check --encoding ({hint}, or leave --encoding out to detect it)"
        ) from None


def validate_encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ConfigError(
            f"unknown encoding {encoding!r}; use a codec name such as utf-8, gb18030, big5 or utf-16"
        ) from None
