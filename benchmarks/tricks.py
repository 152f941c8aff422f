"""Copy ratios of mechanically disguised copies (降重 tricks) of the shared city reports.

Each of the city government work reports (``../shared/corpus/gwr_city_2024/``) is disguised by
one trick at run time (nothing converted is written anywhere) and audited beside its original,
two documents per audit; the figure is the copy's ``copy_ratio`` (share of its characters
found copied), averaged over the reports, with the lowest one. Tricks:

- ``s2t``, ``s2tw``, ``s2hk``: converted to Traditional with OpenCC (the installed ``opencc``
  package); ``half``: every other paragraph (non-empty line) converted with s2t;
- ``zwsp``, ``zwnj``, ``zwj``, ``wj``, ``bom``, ``shy``, ``vs16``: U+200B, U+200C, U+200D, U+2060,
  U+FEFF, U+00AD or U+FE0F inserted between every two characters;
- ``fullwidth``: ASCII letters and digits written full width; ``spaces``: a space or a ``·``
  after every third character; ``cyrillic``: every Latin letter that has a Cyrillic twin
  written with it (а, е, о, р, с, х, ...) and every 0 of a figure written as a Cyrillic О;
- ``swap10``, ``swap20``, ``swap30``: that share of the jieba words (of two or more Han
  characters) replaced by a random other word of the same length from the same report,
  a stand-in for synonym substitution, which normalisation cannot undo (fuzziness does).

Targets (issue 20): 0.95 or more for every report under s2t, s2tw, s2hk, half and each
invisible character. ``--pairs`` also audits the unconverted reports with fold_variants on and
off and prints the document pairs that differ (the target is none).

    python benchmarks/tricks.py [--limit N] [--tricks s2t,half] [--pairs] [--no-fold-variants]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

from chachong.api import audit
from chachong.config import AuditConfig
from chachong.stages.segment import Piece, build_documents

CITY = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "gwr_city_2024"
_INVISIBLE = {"zwsp": "\u200b", "zwnj": "\u200c", "zwj": "\u200d", "wj": "\u2060", "bom": "\ufeff", "shy": "\u00ad",
              "vs16": "\ufe0f"}
_CYRILLIC = str.maketrans("aceopxyABCEHKMOPTX", "асеорхуАВСЕНКМОРТХ")
TRICKS = ("s2t", "s2tw", "s2hk", "half", *_INVISIBLE, "fullwidth", "spaces", "cyrillic", "swap10", "swap20",
          "swap30")


def _opencc(name: str):
    import opencc  # type: ignore[import-untyped]

    return opencc.OpenCC(name)


def _between(text: str, mark: str) -> str:
    """``mark`` between every two characters of each line."""
    return "\n".join(mark.join(line) for line in text.split("\n"))


def _words(text: str) -> list[str]:
    from chachong.text.wordseg import jieba

    return list(jieba().cut(text, HMM=False))


def _swap(text: str, share: float, rng: random.Random) -> str:
    words = _words(text)
    han = [i for i, w in enumerate(words) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w)]
    by_len: dict[int, list[str]] = {}
    for i in han:
        by_len.setdefault(len(words[i]), []).append(words[i])
    for i in rng.sample(han, round(share * len(han))):
        pool = [w for w in by_len[len(words[i])] if w != words[i]]
        if pool:
            words[i] = rng.choice(pool)
    return "".join(words)


def disguise(text: str, trick: str, rng: random.Random) -> str:
    if trick in ("s2t", "s2tw", "s2hk"):
        return _opencc(trick).convert(text)
    if trick == "half":  # every other paragraph (non-empty line)
        conv = _opencc("s2t")
        lines = text.split("\n")
        full = [i for i, line in enumerate(lines) if line.strip()]
        for i in full[1::2]:
            lines[i] = conv.convert(lines[i])
        return "\n".join(lines)
    if trick in _INVISIBLE:
        return _between(text, _INVISIBLE[trick])
    if trick == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)
    if trick == "spaces":
        return "\n".join("".join(c + (rng.choice(" ·") if i % 3 == 2 else "") for i, c in enumerate(line))
                         for line in text.split("\n"))
    if trick == "cyrillic":
        return re.sub(r"(?<=\d)0|0(?=\d)", "О", text.translate(_CYRILLIC))
    if trick.startswith("swap"):
        return _swap(text, int(trick[4:]) / 100, rng)
    raise ValueError(f"unknown trick {trick!r}; choose from {', '.join(TRICKS)}")


def _pair_ratio(original: str, copy: str, config: AuditConfig) -> float:
    docs = build_documents([(Piece("original", original, 1, "original.txt"), "text"),
                            (Piece("copy", copy, 1, "copy.txt"), "text")])
    result = audit(docs, config)
    return result.stats[docs[1].id].copy_ratio


def _document_pairs(config: AuditConfig) -> set[tuple[str, str, str]]:
    r = audit([str(CITY)], config)
    return {(p.a, p.b, p.kind) for p in r.document_pair_records}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="first N reports only (0 = all)")
    ap.add_argument("--tricks", default=",".join(TRICKS), help="comma-separated, from: " + ", ".join(TRICKS))
    ap.add_argument("--pairs", action="store_true", help="also compare the unconverted reports' document pairs")
    ap.add_argument("--fold-variants", dest="fold", default=True,
                    action=argparse.BooleanOptionalAction)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if not CITY.is_dir():
        print(f"{CITY} is absent: nothing to measure", file=sys.stderr)
        return 1
    files = sorted(CITY.glob("*.txt"))
    if args.limit:
        files = files[:args.limit]
    texts = [f.read_text(encoding="utf-8") for f in files]
    config = AuditConfig(fold_variants=args.fold, workers=1)
    print(f"{len(texts)} city reports, fold_variants={args.fold}")
    print(f"{'trick':<10} {'mean':>7} {'min':>7} {'<0.95':>6} {'seconds':>8}")
    for trick in args.tricks.split(","):
        rng = random.Random(args.seed)
        t0 = time.perf_counter()
        ratios = [_pair_ratio(t, disguise(t, trick, rng), config) for t in texts]
        print(f"{trick:<10} {statistics.mean(ratios):7.4f} {min(ratios):7.4f} {sum(r < 0.95 for r in ratios):6d} "
              f"{time.perf_counter() - t0:8.1f}", flush=True)
    if args.pairs:
        t0 = time.perf_counter()
        off, on = _document_pairs(config.replace(fold_variants=False, workers=0)), _document_pairs(
            config.replace(fold_variants=True, workers=0))
        print(f"document pairs of the {len(files)} unconverted reports: {len(off)} without folding, {len(on)} with; "
              f"new {sorted(on - off)}, lost {sorted(off - on)} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
