"""Clean-up of decoded text: NULs, control characters, line ends and stray byte-order marks.

:func:`finish_text` is the last step of reading every format: it also decides that decoded "text"
is really binary data, or empty. :func:`clean_decoded` makes text that no codec checked (JSON
strings, PDF fonts) safe to write.
"""

from __future__ import annotations

import re

from chachong.ingest.errors import Bad, binary
from chachong.ingest.guess import SAMPLE

__all__ = ["NUL_TOLERANCE", "clean_decoded", "finish_text"]

# A few NULs in a text file are debris (a broken copy, a padded editor buffer); more than
# this many, or NULs making up a quarter of a small file, mean the file is not text at all.
NUL_TOLERANCE = 16

# Share of control characters (other than tab, newlines, form feed) above which decoded
# "text" is really binary data; real text has next to none.
_CONTROL_SHARE = 0.05
_CONTROLS = dict.fromkeys([*range(1, 9), *range(14, 32), 127, *range(0x80, 0xA0)])


def finish_text(text: str, warnings: list[str], *, check_binary: bool = True) -> str:
    """Common clean-up of decoded text; raises Bad for binary or empty content."""
    nuls = text.count("\x00")
    if nuls:
        if check_binary and (nuls > NUL_TOLERANCE or nuls * 4 > len(text)):
            raise binary()
        text = text.replace("\x00", "")
        warnings.append(f"removed {nuls} NUL character(s) (stray bytes in a text file)")
    if check_binary:
        sample = text[: SAMPLE * 4]
        controls = len(sample) - len(sample.translate(_CONTROLS))
        if controls > 8 and controls > _CONTROL_SHARE * len(sample):
            raise binary(f"{controls} control characters in the first {len(sample)}")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.removeprefix("\ufeff")
    marks = text.count("\ufeff")
    if marks:
        # Files joined with `cat` keep each part's byte-order mark; it is invisible noise.
        text = text.replace("\ufeff", "")
        warnings.append(f"removed {marks} byte-order mark(s) inside the text (files joined together?)")
    if not text or text.isspace():
        raise Bad("is empty; nothing to audit")
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_decoded(text: str, warnings: list[str]) -> str:
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
