"""Is grouping identical texts exact? The pair stage with and without it, compared (issue 21, part 1).

The pair stage never expands a crowd of identical paragraphs into all its pairs before LSH: it
groups paragraphs by canonical text first (``candidates.text_groups``: the identical pairs are
known without hashing), bands only one representative per distinct text, and turns each
representative pair LSH proposes into the pairs of the members (``candidates.expand``), all
verified exactly. A bucket of N copies of one text costs one row, not N*(N-1)/2 candidate pairs.

This runs the stage twice on one corpus: as it is, and with every paragraph its own text (no
grouping: N copies are N rows in every LSH bucket, each pair a candidate), and compares the
verified pairs. Identical texts are reported as ``identical`` by the first and as
``near-duplicate`` with Jaccard 1 by the second; every other field must be equal, and no pair may
be in one run only.

    python benchmarks/grouping.py --corpus ../shared/corpus/gwr_city_2024
    nice python benchmarks/grouping.py --paragraphs 600000        # the synthetic corpus of bench_audit
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


@contextmanager
def ungrouped():
    """Every paragraph its own text in the pair stage (what the grouping saves, undone)."""
    from chachong.stages import candidates as C

    keep = C._canonical_keys
    C._canonical_keys = lambda corpus, idx: np.arange(np.asarray(idx).size, dtype=np.int64)
    try:
        yield
    finally:
        C._canonical_keys = keep


def pair_stage(corpus) -> tuple[object, int, float]:
    """Verified pairs, candidates verified and seconds of one run of the local pair stage."""
    from chachong.stages.candidates import pair_candidates, select_pairs

    t0 = time.perf_counter()
    cands = pair_candidates(corpus)
    return select_pairs(corpus, cands), len(cands.pairs), time.perf_counter() - t0


def compare(corpus) -> dict:
    """Both runs on ``corpus``: their figures and the differences (empty lists when exact)."""
    grouped, g_cands, g_s = pair_stage(corpus)
    with ungrouped():
        flat, f_cands, f_s = pair_stage(corpus)

    def rows(t) -> dict[tuple[int, int], tuple]:
        return {(int(a), int(b)): (float(j), float(c), str(k))
                for a, b, j, c, k in zip(t.a, t.b, t.jaccard, t.containment, t.kind)}

    g, f = rows(grouped), rows(flat)
    differ = []
    for p in sorted(g.keys() & f.keys()):
        (gj, gc, gk), (fj, fc, fk) = g[p], f[p]
        same_text = corpus.canonical_text(p[0]) == corpus.canonical_text(p[1])
        kinds_agree = gk == fk or (gk == "identical" and fk == "near-duplicate" and same_text)
        if gj != fj or gc != fc or not kinds_agree:
            differ.append((p, g[p], f[p]))
    return {"verified": len(g), "identical": sum(1 for v in g.values() if v[2] == "identical"),
            "candidates_grouped": g_cands, "candidates_ungrouped": f_cands,
            "seconds_grouped": g_s, "seconds_ungrouped": f_s,
            "only_grouped": sorted(g.keys() - f.keys()), "only_ungrouped": sorted(f.keys() - g.keys()),
            "differ": differ}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", help="a folder or file to read")
    ap.add_argument("--paragraphs", type=int, help="the synthetic corpus of this many paragraphs (bench_audit)")
    args = ap.parse_args(argv)
    from chachong.config import AuditConfig
    from chachong.stages.load import load_documents
    from chachong.stages.prepare import prepare

    if args.paragraphs:
        sys.path.insert(0, str(HERE))
        from bench_audit import ensure_corpus

        paths = [str(p) for p in ensure_corpus(args.paragraphs, 1)]
    elif args.corpus:
        paths = [args.corpus]
    else:
        ap.error("give --corpus or --paragraphs")
    config = AuditConfig()
    documents, _, _ = load_documents(paths, config)
    corpus = prepare(documents, config)
    r = compare(corpus)
    print(f"{corpus.n_paragraphs:,} paragraphs: {r['verified']:,} verified pairs ({r['identical']:,} identical)")
    print(f"  candidates verified: grouped {r['candidates_grouped']:,}, ungrouped {r['candidates_ungrouped']:,}")
    print(f"  pair stage: grouped {r['seconds_grouped']:.2f} s, ungrouped {r['seconds_ungrouped']:.2f} s")
    print(f"  pairs only in the grouped run: {len(r['only_grouped'])}, only in the ungrouped run: "
          f"{len(r['only_ungrouped'])}, differing: {len(r['differ'])}")
    return 0 if not (r["only_grouped"] or r["only_ungrouped"] or r["differ"]) else 1


if __name__ == "__main__":
    sys.exit(main())
