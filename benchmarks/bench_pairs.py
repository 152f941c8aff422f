"""Time the pairing stage (``pair_candidates`` + ``select_pairs``) at corpus scale, against a baseline.

The corpus is prepared once; then the pairing runs ``--repeat`` times with the code in ``src/``
and with ``pairs.py``, ``lsh.py`` and ``verify.py`` as they were at ``--baseline-rev`` (loaded from
git into private module names), printing median CPU and wall seconds, the peak RSS the stage adds
(VmHWM after resetting it through ``/proc/self/clear_refs``), and whether both give the same
verified pairs (asserted, bit for bit).

    python benchmarks/bench_pairs.py --paragraphs 100000
    python benchmarks/bench_pairs.py --paragraphs 600000 --repeat 1
"""

from __future__ import annotations

import argparse
import gc
import importlib
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def load_baseline(rev: str) -> types.ModuleType:
    """``pairs`` of revision ``rev``, with its own ``lsh`` and ``verify``."""
    sys.path.insert(0, str(HERE))
    from revision import load_revision

    return load_revision(rev, ["lsh", "verify", "pairs"])["pairs"]


def _hwm_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _run(mod, corpus):
    gc.collect()
    _hwm_reset()
    base = _rss_kb("VmRSS")
    c0, w0 = time.process_time(), time.perf_counter()
    table = mod.select_pairs(corpus, mod.pair_candidates(corpus))
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return table, cpu, wall, (_rss_kb("VmHWM") - base) / 1024


def _same(t1, t2) -> bool:
    return (len(t1) == len(t2) and all(np.array_equal(getattr(t1, f), getattr(t2, f))
                                       for f in ("a", "b", "jaccard", "containment", "kind")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--baseline-rev", default="HEAD")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from bench_audit import ensure_corpus

    A = importlib.import_module("chachong.engine.local")
    from chachong.stages import candidates as current
    from chachong.config import AuditConfig
    from chachong.stages.prepare import prepare

    config = AuditConfig(workers=args.workers)
    documents, _, _ = A.load_documents(ensure_corpus(args.paragraphs, args.seed), config)
    corpus = prepare(documents, config)
    del documents
    print(f"{corpus.n_paragraphs} paragraphs, {corpus.cps.size} canonical characters")
    runs = {"current": (current, [])}
    if not args.no_baseline:
        runs["baseline"] = (load_baseline(args.baseline_rev), [])
    tables = {}
    for _ in range(args.repeat):
        for name, (mod, res) in runs.items():
            table, cpu, wall, peak = _run(mod, corpus)
            tables[name] = table
            res.append((cpu, wall, peak))
            print(f"  {name:8s} cpu {cpu:6.2f} s  wall {wall:6.2f} s  +peak {peak:7.0f} MB  pairs {len(table)}")
    for name, (_, res) in runs.items():
        cpu, wall, peak = (statistics.median(r[i] for r in res) for i in range(3))
        print(f"{name:8s} median cpu {cpu:6.2f} s  wall {wall:6.2f} s  +peak {max(r[2] for r in res):7.0f} MB")
    if "baseline" in tables:
        same = _same(tables["current"], tables["baseline"])
        print(f"same pairs as {args.baseline_rev}: {same}")
        assert same, "the verified pairs differ from the baseline"
    return 0


if __name__ == "__main__":
    sys.exit(main())
