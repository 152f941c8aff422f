"""Time the alignment stage of ``assemble`` (copied passages) at corpus scale, against a baseline.

The alignment stage is ``audit._align_documents`` (fingerprints, seed hits, ``find_passages``,
``describe``) followed by ``audit._paragraph_pairs`` (passages cut at paragraph boundaries). This
script prepares a synthetic corpus once (read, prepare, ``find_pairs``, and ``assemble`` up to the
alignment, whose arguments it keeps), then runs the alignment ``--repeat`` times with the code in
``src/`` and with the same three functions as they were at ``--baseline-rev`` (a git revision: their
``align.py``, ``passages.py`` and ``audit.py`` are loaded from git into private module names), and
prints the median wall and CPU seconds of each, the speed-up, and whether both give the same
passages and paragraph pairs. CPU seconds include worker processes (``RUSAGE_CHILDREN``).

    python benchmarks/bench_align.py --paragraphs 100000 --repeat 3
    python benchmarks/bench_align.py --paragraphs 100000 --workers 2 --profile
    python benchmarks/bench_align.py --input examples/compilation.txt   # the same passages as the baseline?
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import importlib
import pstats
import resource
import statistics
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE_REV = "47d5ae73fdef614267095c20e9c39c2e8f0be1c2"  # the alignment before issue 7's rework


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load_baseline(rev: str) -> types.SimpleNamespace:
    """``_align_documents`` and ``_paragraph_pairs`` of revision ``rev`` with its own align/passages."""
    sys.path.insert(0, str(HERE))
    from revision import load_revision

    audit = load_revision(rev, ["align", "passages", "audit"])["audit"]
    return types.SimpleNamespace(align_documents=audit._align_documents, paragraph_pairs=audit._paragraph_pairs)


def prepare_inputs(n: int, seed: int, workers: int, inputs: list[str] | None = None) -> tuple:
    """Corpus, verified pairs and the alignment's arguments, as ``assemble`` passes them.

    ``inputs`` (files or folders) replace the synthetic corpus of ``n`` paragraphs.
    """
    sys.path.insert(0, str(HERE))
    from bench_audit import ensure_corpus

    A = importlib.import_module("chachong.engine.local")
    from chachong.config import AuditConfig
    from chachong.stages.prepare import prepare
    from chachong.stages.candidates import find_pairs

    paths = [Path(p) for p in inputs] if inputs else ensure_corpus(n, seed)
    config = AuditConfig(workers=workers)
    t = time.perf_counter()
    documents, _, _ = A.load_documents(paths, config)
    corpus = prepare(documents, config)
    table = find_pairs(corpus)
    print(f"prepared {len(documents)} documents, {corpus.n_paragraphs} paragraphs, {corpus.cps.size} canonical "
          f"characters, {len(table)} verified pairs in {time.perf_counter() - t:.1f} s", flush=True)
    kept: dict = {}
    real_align, real_pairs = A._align_documents, A._paragraph_pairs

    # assemble up to the alignment, keeping its arguments (stock_members is a local of assemble)
    def grab_align(corpus, rows, doc_group, min_docs, *more):
        kept["align"] = (rows, doc_group, min_docs)
        return ([], [], []) if more else ([], [])

    def grab_pairs(corpus, rows, matches, passages, stock_members, *more):
        kept["stock"] = stock_members
        raise _Enough

    A._align_documents, A._paragraph_pairs = grab_align, grab_pairs
    try:
        A.assemble(corpus, table, [], [], lambda _s: None)
    except _Enough:
        pass
    finally:
        A._align_documents, A._paragraph_pairs = real_align, real_pairs
    return corpus, (*kept["align"], kept["stock"])


class _Enough(Exception):
    pass


def run(fn_align, fn_pairs, corpus, args) -> tuple[float, float, tuple]:
    rows, doc_group, min_docs, stock = args
    w0, c0 = time.perf_counter(), _cpu()
    # the signatures of the current code and of the baseline may differ by trailing extras
    # (a stage cache in, the passages' paragraph pieces out): a fresh cache each run
    got = fn_align(corpus, rows, doc_group, min_docs)
    matches, passages, *cuts = got
    par_pairs, pair_count, copied = fn_pairs(corpus, rows, matches, passages, stock, *cuts)
    return time.perf_counter() - w0, _cpu() - c0, (matches, passages, par_pairs, dict(pair_count), copied)


def same(x: tuple, y: tuple) -> str:
    (m1, p1, pp1, pc1, c1), (m2, p2, pp2, pc2, c2) = x, y
    checks = {
        "passages": [dataclasses.astuple(p) for p in p1] == [dataclasses.astuple(p) for p in p2],
        "matches": [(m.a, m.b, m.match.span, m.match.blocks, m.match.edits) for m in m1]
                   == [(m.a, m.b, m.match.span, m.match.blocks, m.match.edits) for m in m2],
        "paragraph pairs": pp1 == pp2,
        "pair counts": pc1 == pc2,
        "copied": {k: sorted(v) for k, v in c1.items()} == {k: sorted(v) for k, v in c2.items()},
    }
    bad = [k for k, ok in checks.items() if not ok]
    return "identical" if not bad else "DIFFER: " + ", ".join(bad)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paragraphs", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1, help="AuditConfig.workers for the current code")
    ap.add_argument("--baseline-rev", default=BASELINE_REV, help="git revision of the baseline ('' for none)")
    ap.add_argument("--baseline-repeat", type=int, default=1, help="runs of the (slow) baseline")
    ap.add_argument("--input", nargs="*", help="files or folders to audit instead of the synthetic corpus")
    ap.add_argument("--gc-off", action="store_true",
                    help="cyclic garbage collection off for the whole run (what collections cost)")
    ap.add_argument("--profile", action="store_true", help="cProfile one run of the current code (top 30)")
    ap.add_argument("--sort", default="cumulative", help="cProfile sort key (cumulative, tottime)")
    opts = ap.parse_args()

    if opts.gc_off:
        gc.disable()
    A = importlib.import_module("chachong.engine.local")
    corpus, args = prepare_inputs(opts.paragraphs, opts.seed, opts.workers, opts.input)
    results = {}
    variants = [("current", A._align_documents, A._paragraph_pairs, opts.repeat)]
    if opts.baseline_rev:
        base = load_baseline(opts.baseline_rev)
        variants.append((f"baseline {opts.baseline_rev[:8]}", base.align_documents, base.paragraph_pairs,
                         opts.baseline_repeat))
    print(f"\n{'variant':<20}{'runs':>5}{'wall s (median)':>17}{'cpu s (median)':>16}{'passages':>10}"
          f"{'par pairs':>11}")
    for name, fa, fp, reps in variants:
        walls, cpus, out = [], [], None
        for _ in range(max(1, reps)):
            w, c, out = run(fa, fp, corpus, args)
            walls.append(w)
            cpus.append(c)
        results[name] = (statistics.median(walls), statistics.median(cpus), out)
        print(f"{name:<20}{len(walls):>5}{results[name][0]:>17.2f}{results[name][1]:>16.2f}{len(out[1]):>10}"
              f"{len(out[2]):>11}", flush=True)
    if len(results) == 2:
        (_, (w1, c1, o1)), (bname, (w2, c2, o2)) = results.items()
        print(f"\nspeed-up vs {bname}: wall x{w2 / w1:.1f}, cpu x{c2 / c1:.1f}; results {same(o1, o2)}")
    if opts.profile:
        prof = cProfile.Profile()
        prof.enable()
        run(A._align_documents, A._paragraph_pairs, corpus, args)
        prof.disable()
        pstats.Stats(prof).sort_stats(opts.sort).print_stats(30)


if __name__ == "__main__":
    main()
