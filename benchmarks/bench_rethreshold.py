"""How fast ``AuditResult.rethreshold`` answers at corpus scale (issue 8: < 2 s at 100,000 paragraphs).

The corpus is read and prepared once and audited once (``audit_corpus``: that audit fills the
stage cache). Then, for each change of settings an analyst tries in a notebook, the script times

- ``rethreshold(**change)`` starting from a copy of the cache as the first audit left it
  (cold for that change; median of ``--repeat`` runs), and
- the baseline: a fresh ``audit_corpus`` of the same prepared corpus at those settings, without
  the cache (what re-thresholding cost before the cache, and what any tool without one pays),

and prints both, their ratio, and whether the two results agree (paragraph pairs, document
pairs, passages, copy ratios). Corpora come from benchmarks/synth.py through the real ingest,
as in bench_audit.py (``benchmarks/out/corpus_<n>_s<seed>/``).

    python benchmarks/bench_rethreshold.py --paragraphs 100000
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CHANGES = [
    {"threshold": 0.8},
    {"threshold": 0.6, "containment": 0.9},
    {"min_span": 20},
    {"document_threshold": 0.9},
    {"stock_min_documents": 20},
    {"threshold": 0.5},  # back to the first audit's settings
    {"phrase_closure": 0.8},  # stock phrases mined again: not a pairing threshold
    {"threshold": 0.4},  # below the first audit's threshold: candidates proposed again
]


def _corpus_paths(n: int, seed: int) -> list[Path]:
    folder = HERE / "out" / f"corpus_{n}_s{seed}"
    paths = sorted(folder.glob("corpus*.jsonl"))
    if not paths:
        import bench_audit

        paths = bench_audit.ensure_corpus(n, seed) if hasattr(bench_audit, "ensure_corpus") else []
    if not paths:
        raise SystemExit(f"no corpus in {folder}; run `python benchmarks/bench_audit.py --paragraphs {n}` once")
    return paths


def _summary(result) -> dict:
    return {
        "paragraph_pairs": [(p.a, p.b, p.kind, p.jaccard, p.containment, p.spans) for p in result.paragraph_pair_records],
        "document_pairs": [(p.a, p.b, p.kind, p.jaccard, p.a_in_b, p.b_in_a) for p in result.document_pair_records],
        "passages": [(p.a, p.b, p.a_start, p.a_end, p.b_start, p.b_end, p.kind) for p in result.passage_records],
        "copy_ratios": [(d, s.copy_ratio, s.copy_ratio_excluding_stock) for d, s in sorted(result.stats.items())],
    }


def _agree(x: dict, y: dict) -> dict:
    out = {}
    for key in x:
        a, b = set(x[key]), set(y[key])
        out[key] = "same" if a == b else f"{len(a - b)} only in rethreshold, {len(b - a)} only in fresh"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="cold rethreshold runs per change (median)")
    ap.add_argument("--baseline-repeat", type=int, default=1, help="fresh audits per change (median)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    A = importlib.import_module("chachong.engine.local")
    from chachong.config import AuditConfig
    from chachong.stages.prepare import prepare

    config = AuditConfig()
    t = time.perf_counter()
    documents, skipped, warnings = A.load_documents(_corpus_paths(args.paragraphs, args.seed), config)
    corpus = prepare(documents, config)
    prep = time.perf_counter() - t
    t = time.perf_counter()
    first = A.audit_corpus(corpus, skipped, warnings)
    first_s = time.perf_counter() - t
    snapshot = first.cache.copy()
    print(f"{args.paragraphs:,} paragraphs, {len(documents):,} documents; read+prepare {prep:.1f} s, "
          f"first audit_corpus {first_s:.1f} s ({len(first.paragraph_pair_records):,} paragraph pairs, "
          f"{len(first.passage_records):,} passages)")
    print(f"{'change':<40} {'rethreshold':>12} {'fresh audit':>12} {'ratio':>7}  agreement with the fresh audit")
    rows = []
    for change in CHANGES:
        walls = []
        for _ in range(args.repeat):
            first.cache = snapshot.copy()
            t = time.perf_counter()
            again = first.rethreshold(**change)
            walls.append(time.perf_counter() - t)
        base = []
        for _ in range(args.baseline_repeat):
            t = time.perf_counter()
            fresh = A.audit_corpus(corpus.with_config(config.replace(**change)), skipped, warnings)
            base.append(time.perf_counter() - t)
        re_s, base_s = statistics.median(walls), statistics.median(base)
        agree = _agree(_summary(again), _summary(fresh))
        label = ", ".join(f"{k}={v}" for k, v in change.items())
        print(f"{label:<40} {re_s:>10.2f} s {base_s:>10.2f} s {base_s / re_s:>6.1f}x  "
              + "; ".join(f"{k}: {v}" for k, v in agree.items()))
        rows.append({"change": change, "rethreshold_s": walls, "fresh_s": base, "agreement": agree,
                     "paragraph_pairs": len(again.paragraph_pair_records), "passages": len(again.passage_records)})
    first.cache = snapshot
    out = args.out or HERE / "out" / f"rethreshold_{args.paragraphs}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"paragraphs": args.paragraphs, "seed": args.seed, "first_audit_s": first_s,
                               "prepare_s": prep, "changes": rows}, indent=1), encoding="utf-8")
    print(f"figures: {out}")


if __name__ == "__main__":
    main()
