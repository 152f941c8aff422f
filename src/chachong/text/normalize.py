"""Canonical text for matching, with a position map back to the original.

Matching runs on a canonical form of the text; reports show the original. The canonical
form is built character by character with a lookup table, so a whole corpus is
normalised with a few numpy passes:

- NFKC and case folding (full-width ``ＡＢＣ１２３`` becomes ``abc123``);
- punctuation, symbols, whitespace and control characters are removed;
- every run of digits becomes one mask symbol ``#`` (``mask_digits``), so ``15次`` and
  ``23次`` read the same and a copy with changed figures still matches;
- template placeholders become the same mask (``mask_placeholders``): runs of ``X``/``x``
  not touching other Latin letters, ``某某``, ``○○``;
- variants are folded (``fold_variants``): Traditional and variant Han characters to
  Simplified (:mod:`chachong.text.variants`: 爲/為 -> 为, 裏/裡 -> 里), look-alike letters of
  other scripts to the Latin letter, digit or punctuation they imitate, invisible marks
  dropped, and o/l/i between two digits read as 0/1 (:mod:`chachong.text.lookalike`).
  Without it the canonical form is what it was before the setting existed.

Each canonical character ``i`` comes with ``starts[i]``/``ends[i]``: the original
characters it stands for are ``text[starts[i]:ends[i]]``.

>>> c = canonicalize("2023年，ＸＸ区完成１５次检查。")
>>> c.text
'#年#区完成#次检查'
>>> "2023年，ＸＸ区完成１５次检查。"[c.starts[6]:c.ends[6]]
'１５'
>>> canonicalize("爲人民服務，2О24年").text
'为人民服务#年'
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from chachong.text.lookalike import DIGIT_LOOKALIKES, default_ignorable, lookalike
from chachong.text.variants import fold_map, is_han

MASK = "#"
_MASK_CP = ord(MASK)
_DROP = 0
_PLACEHOLDER_X = ord("x")
_MOU = ord("某")
_CIRCLES = (ord("○"), ord("◯"))  # ○ U+25CB, ◯ U+25EF; 〇 (U+3007) is the numeral zero and is kept


def _canonical_cp(cp: int) -> tuple[int, bool]:
    """Canonical code point of ``cp`` (0 = drop) and whether it is a digit."""
    if 0xD800 <= cp <= 0xDFFF:
        return _DROP, False
    ch = chr(cp)
    cat = unicodedata.category(ch)
    # punctuation, separators and controls go; symbols stay for now, because a few become
    # letters or digits under NFKC (e.g. ① -> 1), which is handled below
    if cat[0] in "PZC" and cp not in _CIRCLES:
        return _DROP, False
    if cp in _CIRCLES:
        return cp, False
    folded = unicodedata.normalize("NFKC", ch).casefold()
    keep = [c for c in folded if unicodedata.category(c)[0] in "LNM"]
    if not keep:
        return _DROP, False
    first = keep[0]
    digit = unicodedata.category(first) == "Nd" or (first.isdigit() and unicodedata.category(first)[0] == "N")
    return ord(first), digit


_SIZE = 0x110000
# The lookup table is filled lazily, only for code points actually met: building it for all of
# Unicode costs ~0.5 s at start-up, too much for `chachong check` in CI, while a corpus uses a few
# thousand distinct code points. np.zeros is lazily allocated, so the unused pages cost nothing.
_TABLE = np.zeros(_SIZE, dtype=np.uint32)
_DIGIT = np.zeros(_SIZE, dtype=bool)
_KNOWN = np.zeros(_SIZE, dtype=bool)
# digit flag by *canonical* code point: the flag is a function of the canonical character
# alone (see _canonical_cp), so canonicalize_array reads it from its output with one lookup
_CANON_DIGIT = np.zeros(_SIZE, dtype=bool)


def _lookup(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Canonical code points and digit flags of ``cps``, filling the table for new code points."""
    known = _KNOWN[cps]
    if not known.all():
        fresh = cps[~known]
        for cp in np.unique(fresh).tolist():
            _TABLE[cp], _DIGIT[cp] = _canonical_cp(cp)
            if _DIGIT[cp]:
                _CANON_DIGIT[_TABLE[cp]] = True
        # marked known only after the values are in, so a concurrent reader never sees a hole
        _KNOWN[fresh] = True
    return _TABLE[cps], _DIGIT


# the same, with variants folded (fold_variants): filled lazily from _TABLE
_FOLDED = np.zeros(_SIZE, dtype=np.uint32)
_FKNOWN = np.zeros(_SIZE, dtype=bool)


def _folded_cp(cp: int, canon: int, han: dict[str, str]) -> int:
    """Canonical code point of ``cp`` (canonical form ``canon``) with variants folded."""
    if canon == _DROP:
        return _DROP
    if is_han(canon):  # most of a Chinese text: no invisible mark or look-alike among them
        return ord(han.get(chr(canon), chr(canon)))
    if default_ignorable(cp) or default_ignorable(canon):
        return _DROP
    if canon >= 0x80:  # NFKC made full-width Ｉ the i it is
        for c in (chr(canon), chr(cp)):  # the case-folded letter first: Cyrillic І is i, as Latin I is
            t = lookalike(c)
            if t is not None:
                return ord(t) if t else _DROP
    return canon


def _lookup_folded(cps: np.ndarray) -> np.ndarray:
    """Canonical code points of ``cps`` with variants folded, filling the table for new code points."""
    known = _FKNOWN[cps]
    if not known.all():
        fresh = np.unique(cps[~known])
        canon, _digit = _lookup(fresh)
        han = fold_map(chr(c) for c in canon.tolist() if is_han(c))
        folded = np.array([_folded_cp(cp, c, han) for cp, c in zip(fresh.tolist(), canon.tolist())], dtype=np.uint32)
        _lookup(folded)  # sets the digit flag of a digit look-alike (З -> 3)
        _FOLDED[fresh] = folded
        _FKNOWN[fresh] = True  # marked known only after the values are in
    return _FOLDED[cps]


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, np.ndarray]:
    """Code point -> canonical code point (0 = drop), and a digit flag, for all of Unicode.

    The eager form of the lazily filled table :func:`_lookup` reads (kept for tests and tools).
    """
    table = np.zeros(_SIZE, dtype=np.uint32)
    digit = np.zeros(_SIZE, dtype=bool)
    for cp in range(_SIZE):
        table[cp], digit[cp] = _canonical_cp(cp)
    return table, digit


@dataclass(frozen=True)
class Canonical:
    """Canonical text plus, for each of its characters, the original span it stands for."""

    text: str
    starts: np.ndarray  # int64, offsets into the original text
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.text)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covered by canonical characters ``[start, end)``."""
        if end <= start:
            pos = int(self.starts[start]) if start < len(self.starts) else (int(self.ends[-1]) if len(self.ends) else 0)
            return pos, pos
        return int(self.starts[start]), int(self.ends[end - 1])


def codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def flag_runs(flag: np.ndarray, cut: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Start and end indices of runs of True in a boolean array; a run also ends before each
    index where ``cut`` is True (the start of another text)."""
    if not flag.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    d = np.diff(np.concatenate(([0], flag.view(np.int8), [0])))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    if cut is not None:
        inner = np.flatnonzero(cut & flag)
        inner = inner[inner > 0]
        inner = inner[flag[inner - 1]]  # a run going on across a cut is two runs
        if inner.size:
            starts = np.sort(np.concatenate((starts, inner)))
            ends = np.sort(np.concatenate((ends, inner)))
    return starts, ends


def _fill(masked: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """Set ``masked[s:e]`` for every run, without a Python loop over runs."""
    lengths = ends - starts
    if not lengths.size:
        return
    first = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    masked[first + np.arange(int(lengths.sum()))] = True


def _digit_lookalikes(out: np.ndarray, digit: np.ndarray, cut: np.ndarray | None) -> None:
    """Read o, l and i between two digits of one text as 0 and 1 (2o23, 1l5), in place in ``out``
    and its digit flags ``digit``; up to three in a row (2oo5)."""
    last = np.flatnonzero(digit)  # work on the digits only, a few % of a text
    last = last[last + 2 < out.size]
    last = last[~digit[last + 1]]  # the last digit of a run, followed by something else
    nxt = out[last + 1]
    last = last[(nxt == _LOOKALIKE_CPS[0]) | (nxt == _LOOKALIKE_CPS[1]) | (nxt == _LOOKALIKE_CPS[2])]
    for width in (1, 2, 3):  # nearly always no run is left by now
        last = last[last + width + 1 < out.size]
        if not last.size:
            return
        ok = digit[last + width + 1]
        for j in range(1, width + 1):
            ok &= np.isin(out[last + j], _LOOKALIKE_CPS)
            if cut is not None:
                ok &= ~cut[last + j]
        if cut is not None:
            ok &= ~cut[last + width + 1]
        for j in range(1, width + 1):
            at = last[ok] + j
            out[at] = _LOOKALIKE_DIGIT[np.searchsorted(_LOOKALIKE_CPS, out[at])]
            digit[at] = True


_LOOKALIKE_CPS = np.array(sorted(ord(k) for k in DIGIT_LOOKALIKES), dtype=np.uint32)  # i, l, o
_LOOKALIKE_DIGIT = np.array([ord(DIGIT_LOOKALIKES[chr(c)]) for c in _LOOKALIKE_CPS.tolist()], dtype=np.uint32)
_CANON_DIGIT[_LOOKALIKE_DIGIT] = True  # they are ASCII digits, whether or not one was met yet


def canonicalize_array(
    cps: np.ndarray, *, mask_digits: bool = True, mask_placeholders: bool = True, fold_variants: bool = True,
    breaks: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised core: original code points -> (canonical code points, starts, ends).

    ``breaks`` (sorted indices into ``cps``) mark where another text starts when many texts
    are canonicalised at once: no mask run, placeholder or neighbour test reaches across
    one, so the result is the concatenation of the texts' own results.
    """
    mapped = _lookup_folded(cps) if fold_variants else _lookup(cps)[0]
    keep_idx = np.flatnonzero(mapped != _DROP)
    out = mapped[keep_idx]
    starts = keep_idx  # int64 already, and a fresh array
    if not out.size:
        return out, starts, starts + 1
    cut = None
    if breaks is not None and len(breaks):
        # the first kept character of each text starts a new text in the canonical array
        cut = np.zeros(out.size + 1, dtype=bool)
        cut[np.searchsorted(keep_idx, breaks)] = True
        cut = cut[:-1]
    if fold_variants:
        masked = _CANON_DIGIT[out]
        _digit_lookalikes(out, masked, cut)
        if not mask_digits:
            masked[:] = False
    else:
        masked = _CANON_DIGIT[out] if mask_digits else np.zeros(out.size, dtype=bool)
    if mask_placeholders:
        is_x = out == _PLACEHOLDER_X
        if is_x.any():
            latin = ((out >= ord("a")) & (out <= ord("z"))) & ~is_x
            rs, re_ = flag_runs(is_x, cut)
            before = np.where(rs > 0, latin[np.maximum(rs - 1, 0)], False)
            after = np.where(re_ < out.size, latin[np.minimum(re_, out.size - 1)], False)
            if cut is not None:
                # nothing of another text is a neighbour
                before &= ~cut[rs]
                after &= ~np.append(cut, True)[re_]
            alone = ~(before | after)
            _fill(masked, rs[alone], re_[alone])
        for sym, min_run in ((_MOU, 2),) + tuple((c, 2) for c in _CIRCLES):
            flag = out == sym
            if flag.any():
                rs, re_ = flag_runs(flag, cut)
                long_ = re_ - rs >= min_run
                _fill(masked, rs[long_], re_[long_])
    # lone ○ that are not placeholders stay as they are: they are rare symbols
    if not masked.any():
        return out, starts, starts + 1
    out[masked] = _MASK_CP
    # collapse each run of masked characters into one mask symbol (runs end at a new text)
    prev = np.concatenate(([False], masked[:-1]))
    first = ~(masked & prev)
    if cut is not None:
        first |= cut
    # a run's end is its last character's end, and every kept character is one original one
    ends = starts[np.concatenate((first[1:], [True]))] + 1
    return out[first], starts[first], ends


def canonicalize(text: str, *, mask_digits: bool = True, mask_placeholders: bool = True,
                 fold_variants: bool = True) -> Canonical:
    """Canonical form of ``text`` with its position map (see the module docstring)."""
    out, starts, ends = canonicalize_array(
        codepoints(text), mask_digits=mask_digits, mask_placeholders=mask_placeholders, fold_variants=fold_variants
    )
    return Canonical(out.astype("<u4").tobytes().decode("utf-32-le"), starts, ends)
