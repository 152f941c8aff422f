"""Encoding guesses: what Chinese text is made of, and how plausible bytes read in one codec are.

Decoded with the right codec, Chinese text consists almost only of common characters (GB2312
level 1, Big5 常用字, punctuation); decoded with a wrong one, it does not. The scores here rank
the legacy code pages and UTF-16 without a byte-order mark; charset-normalizer guesses the rest.
Only the start of a file (:data:`SAMPLE`) is looked at.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from functools import cache

__all__ = [
    "SAMPLE",
    "any_common",
    "common_share",
    "guess_fallback",
    "guess_legacy",
    "guess_utf16",
    "score_legacy",
    "score_utf16",
]

# Detection looks at the start of a file only: 64 KiB is ~20 000 Chinese characters, far
# more than the statistics need, and keeps detection cheap on a 100 MB file.
SAMPLE = 64 * 1024


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
def any_common() -> frozenset[str]:
    return _gb_common() | _big5_common()


def common_share(text: str, common: frozenset[str]) -> tuple[float, float]:
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
    common = any_common()
    ok = sum(1 for ch in text if (" " <= ch <= "~") or ch in "\t\n\r\f" or ch in common)
    return ok / len(text)


def _sample_decode(data: bytes | memoryview, codec: str, errors: str = "strict") -> str:
    """Decode the start of ``data``; a character cut by the sample's end is not an error."""
    sample = memoryview(data)[:SAMPLE]
    decoder = codecs.getincrementaldecoder(codec)(errors)
    return decoder.decode(sample, final=len(data) <= SAMPLE)


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _from_first_non_ascii_line(data: bytes) -> memoryview:
    """``data`` from the line where non-ASCII text starts: what the statistics need to see,
    even after a long ASCII preamble."""
    found = _NON_ASCII.search(data)
    start = data.rfind(b"\n", 0, found.start()) + 1 if found else 0
    return memoryview(data)[start:]


def guess_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when ``data`` decodes as UTF-16 to plausible text, else None."""
    found = score_utf16(data)
    return found[1] if found else None


def score_utf16(data: bytes) -> tuple[float, str] | None:
    """(plausibility, codec) of ``data`` read as UTF-16, when plausible enough, else None."""
    if len(data) < 2 or len(data) % 2:
        return None
    sample = data[:SAMPLE]
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


def guess_legacy(data: bytes) -> str | None:
    """GB18030, Big5 or CP950 for Chinese in a legacy code page, else None."""
    found = score_legacy(data)
    return found[1] if found else None


def score_legacy(data: bytes) -> tuple[float, str] | None:
    """(score, codec) of the best legacy Chinese code page for ``data``, or None.

    Both codecs decode most of each other's bytes, so validity alone cannot decide. Decoded
    with the right codec, Chinese text consists almost only of common characters (GB2312
    level 1 for simplified, Big5 常用字 for traditional Chinese, which GBK can also hold);
    decoded with the wrong one, of about 60 % at most.
    """
    best: tuple[float, str] | None = None
    common = any_common()
    window = _from_first_non_ascii_line(data)
    for codec in ("gb18030", "big5", "cp950"):  # cp950: Microsoft's Big5, a few more characters
        try:
            text = _sample_decode(window, codec, "replace")
        except UnicodeDecodeError:  # pragma: no cover - "replace" does not raise
            continue
        share, damaged = common_share(text, common)
        if damaged > 0.01 or share < 0.5:
            continue
        score = share - damaged
        if best is None or score > best[0]:  # ties keep the earlier (more common) codec
            best = (score, codec)
    return best


def guess_fallback(data: bytes) -> str | None:
    """charset-normalizer's guess for text in some other encoding (Latin-1, Shift-JIS ...)."""
    try:
        from charset_normalizer import from_bytes

        match = from_bytes(bytes(_from_first_non_ascii_line(data)[:SAMPLE])).best()
    except Exception:  # noqa: BLE001 - a heuristic that fails only means "unknown"
        return None
    if match is None:
        return None
    try:
        return codecs.lookup(match.encoding).name
    except LookupError:
        return None
