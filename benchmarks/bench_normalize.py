"""Normalisation alone, with and without ``fold_variants``, alternating in one process (issue 20).

Canonicalises the synthetic corpus of ``--paragraphs`` paragraphs (``bench_audit.ensure_corpus``) in
pieces of 2 M characters, as prepare's batches do, with ``fold_variants`` off and on in turn, and
prints the CPU seconds of each run, the medians and the ratio on / off. ``fold_variants=False`` is
the normalisation of chachong before the setting existed (same code path, same output), so the ratio
is the cost of folding. The first run of each is a warm-up (it fills the lazily built tables).

    python benchmarks/bench_normalize.py --paragraphs 600000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_audit import ensure_corpus

from chachong.text.normalize import canonicalize_array, codepoints

_PIECE = 2_000_000


def _run(cps: np.ndarray, breaks: np.ndarray, fold: bool) -> float:
    t = time.process_time()
    for a in range(0, cps.size, _PIECE):
        b = min(a + _PIECE, cps.size)
        inside = breaks[(breaks > a) & (breaks < b)] - a
        canonicalize_array(cps[a:b], fold_variants=fold, breaks=inside)
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paragraphs", type=int, default=600000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    texts = [json.loads(line)["text"] for f in ensure_corpus(args.paragraphs, args.seed)
             for line in f.open(encoding="utf-8")]
    cps = codepoints("".join(texts))
    breaks = np.cumsum(np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)))[:-1]
    print(f"{args.paragraphs:,} paragraphs, {len(texts):,} documents, {cps.size:,} characters")
    _run(cps, breaks, False), _run(cps, breaks, True)  # warm-up: fills the lazily built tables
    runs: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.rounds):
        for fold in (False, True):
            runs[fold].append(_run(cps, breaks, fold))
    off, on = statistics.median(runs[False]), statistics.median(runs[True])
    print(f"fold_variants off: {' '.join(f'{x:.2f}' for x in runs[False])} s CPU, median {off:.2f}")
    print(f"fold_variants on:  {' '.join(f'{x:.2f}' for x in runs[True])} s CPU, median {on:.2f}")
    print(f"on / off: {on / off:.3f}")


if __name__ == "__main__":
    main()
