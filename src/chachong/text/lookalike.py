"""Look-alike and invisible characters, as matching reads them when variants are folded.

Mechanical 降重 tricks that change the code points of a text but not what a reader sees:

- an invisible character between two characters. Format characters (U+200B–U+200D, U+2060,
  U+FEFF, the soft hyphen, bidi controls) are punctuation-like and always dropped by
  normalisation; the other *default-ignorable* code points of Unicode, which are marks or
  letters a renderer shows as nothing (variation selectors U+FE00–U+FE0F and
  U+E0100–U+E01EF, the combining grapheme joiner U+034F, Hangul fillers U+3164/U+FFA0,
  Mongolian variation selectors), are dropped too (:func:`default_ignorable`);
- a letter of another script that looks like a Latin letter, a digit or punctuation:
  Cyrillic а, о, с, Т, З (→ 3), Greek ο, Ι, Lisu ꓸ (a full stop), ǃ (an exclamation mark). The
  prototype is taken from Unicode's confusables (UTS #39) as packaged by
  ``confusable_homoglyphs``; a letter whose prototype is punctuation is dropped as punctuation
  is (:func:`lookalike`);
- a look-alike inside a figure (2O23 with a Latin or Cyrillic O, 1l5 with an l): handled by
  normalisation, which reads o, l and i between two digits as 0 and 1 (:data:`DIGIT_LOOKALIKES`).

Katakana that look like Han characters (ロ 口, エ 工, カ 力) are folded to them by the same
prototype table.

>>> lookalike("Т"), lookalike("З"), lookalike("ꓸ"), lookalike("т"), lookalike("a")
('t', '3', '', None, None)
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from importlib import resources

from chachong.text.variants import FoldDataError

# Default_Ignorable_Code_Point, DerivedCoreProperties.txt (Unicode 15.1); tests check it against
# the regex package's \p{Default_Ignorable_Code_Point}
_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
              (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
              (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
              (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))

# read as a digit between two digits (2O23, 1l5); after case folding
DIGIT_LOOKALIKES = {"o": "0", "l": "1", "i": "1"}


def default_ignorable(cp: int) -> bool:
    """Whether ``cp`` is a default-ignorable code point (shown as nothing)."""
    return any(a <= cp <= b for a, b in _IGNORABLE)


@lru_cache(maxsize=1)
def _confusables() -> dict[str, list[str]]:
    try:
        data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        raise FoldDataError(f"cannot read Unicode's confusables ({exc}); install confusable-homoglyphs "
                            "or run with --no-fold-variants") from exc
    return {k: [e["c"] for e in v] for k, v in json.loads(data).items()}


def _han(c: str) -> bool:
    return unicodedata.name(c, "").startswith("CJK UNIFIED IDEOGRAPH")


def lookalike(c: str) -> str | None:
    """What a look-alike letter ``c`` stands for: a Latin letter (lower case) or an ASCII digit,
    a Han character (for a katakana), ``""`` for punctuation (dropped), ``None`` when ``c`` is
    no look-alike (ASCII, Han, digits, and letters with no ASCII or Han prototype)."""
    if len(c) != 1 or c.isascii() or _han(c) or unicodedata.category(c)[0] not in "LM":
        return None
    kana = unicodedata.name(c, "").startswith("KATAKANA")
    for t in _confusables().get(c, ()):
        if len(t) != 1:
            continue
        if t.isascii() and t.isalnum():
            return t.casefold()
        if t.isascii() and unicodedata.category(t)[0] == "P":
            return ""
        if kana and _han(t):
            return t
    return None


__all__ = ["DIGIT_LOOKALIKES", "default_ignorable", "lookalike"]
