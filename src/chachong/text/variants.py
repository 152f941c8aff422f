"""Traditional and variant Han characters folded to Simplified, one character for one.

Matching must find a copy whatever its script: converting a copied text to Traditional
characters (OpenCC's s2t, s2tw, s2hk) is the first trick the 降重 trade sells, and real sources
come in Traditional too. :func:`fold_han` gives, for each Han character, the Simplified
character matching reads in its place; normalisation applies it as a per-character table
(:mod:`chachong.text.normalize`), so the position map back to the original stays one to one
and reports still show the original characters.

The table is OpenCC's own data, read at run time by the installed ``opencc`` package's own
converter, one character at a time (characters joined by line breaks, which no dictionary
entry crosses), so only its single-character entries take part:

- ``tw2t`` (TWVariantsRev: Taiwan forms to OpenCC's standard Traditional, 裡→裏, 為→爲) and,
  for a character it leaves, ``hk2t`` (HKVariantsRev: Hong Kong forms, 綫→線, 衞→衛), as
  OpenCC's own tw2s and hk2s run them before t2s;
- then ``t2s`` (TSCharactersExt over TSCharacters: Traditional to Simplified, 爲→为, 裏→里);
  where OpenCC lists several Simplified candidates (乾: 干 乾), the first, its default.

What is dropped, and why:

- the phrase tables (TSPhrases, TWVariantsRevPhrases, HKVariantsRevPhrases), which choose a
  character by its neighbours (乾隆 keeps 乾, 乾燥 becomes 干燥): a choice by context is not a
  per-character table, and matching does not need the right word, only the same character
  on both sides;
- the Japanese Shinjitai tables: their Japanese forms are also Simplified characters of
  other meanings (沪 would become 濾, 欠 缺);
- every GB 2312 character keeps its own form. GB 2312 is the Simplified Chinese character
  set, and some of its characters are Traditional or variant forms of others: 著 is the
  Taiwan form of 着 but also the Simplified 著 of 显著, 么 a variant of 幺 but also the 么 of
  什么, 後/於/乾 are Traditional for 后/于/干 but stand in Simplified names and words. So
  Simplified text written in GB 2312 is never changed by the fold (its reports stay as
  they were), at the price of not matching 着/著, 后/後, 于/於, 干/乾, 征/徵, 伙/夥, 复/覆 when a
  copy was converted: one character in 940 of the city reports converted with s2t or s2hk, one
  in 610 with s2tw (着 becomes 著 there), which leaves their copy ratios at 0.998 or more.

>>> fold_han("爲裏裡臺灣後於")
'为里里台湾後於'
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from chachong.config import ConfigError

# converters run in this order on one character; see the module docstring
_VARIANTS = ("tw2t", "hk2t")
_TO_SIMPLIFIED = "t2s"


class FoldDataError(ConfigError):
    """The data fold_variants needs cannot be read; the message names the fix (a ConfigError, so
    the command line reports it in one line)."""


@lru_cache(maxsize=None)
def _converter(config: str) -> Any:
    try:
        import opencc  # type: ignore[import-untyped]

        return opencc.OpenCC(config)
    except Exception as exc:  # ImportError, or the package's own error for missing data
        raise FoldDataError(f"cannot load OpenCC's {config} tables ({exc}); install the opencc package "
                            "(pip install opencc) or run with --no-fold-variants") from exc


def _convert(config: str, chars: list[str]) -> list[str]:
    """Each character converted alone by the OpenCC configuration ``config``."""
    out = _converter(config).convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):  # never seen: a dictionary entry with a line break in it
        raise FoldDataError(f"OpenCC's {config} changed the number of lines; run with --no-fold-variants")
    return out


def _simplified(c: str) -> bool:
    """Whether ``c`` is a GB 2312 character (a Simplified character, see the module docstring)."""
    try:
        c.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def is_han(cp: int) -> bool:
    """Whether code point ``cp`` is in a block of CJK ideographs (the only ones OpenCC converts)."""
    return (0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x3FFFF)


_FOLDED: dict[str, str] = {}  # every string looked up so far -> its folded form (itself if none)


def fold_map(chars: Iterable[str]) -> dict[str, str]:
    """The folded form of each of ``chars`` that the fold changes (see the module docstring)."""
    seen = set(chars)
    todo = sorted(c for c in seen - _FOLDED.keys()
                  if len(c) == 1 and is_han(ord(c)) and not _simplified(c))
    if todo:
        standard = list(todo)
        for config in _VARIANTS:
            conv = _convert(config, todo)
            standard = [s if s != c else v for c, s, v in zip(todo, standard, conv)]
        simple = _convert(_TO_SIMPLIFIED, [s if len(s) == 1 else c for c, s in zip(todo, standard)])
        _FOLDED.update((c, s if len(s) == 1 else c) for c, s in zip(todo, simple))
    # the characters the fold leaves alone are remembered too: they are most of every text, and
    # telling them apart (a GB 2312 encoding each) cost more than the fold itself
    _FOLDED.update((c, c) for c in seen - _FOLDED.keys())
    return {c: f for c in seen if (f := _FOLDED[c]) != c}


def fold_han(text: str) -> str:
    """``text`` with every Han character folded (same length, character by character)."""
    table = fold_map(text)
    return text.translate({ord(k): v for k, v in table.items()}) if table else text


__all__ = ["FoldDataError", "fold_han", "fold_map", "is_han"]
