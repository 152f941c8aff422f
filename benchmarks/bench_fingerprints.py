"""Peak memory and CPU of the fingerprint index (``fingerprints.fingerprints`` + ``seeds.seed_hits``).

Prepares the synthetic corpus once (``audit.load_documents`` + ``corpus.prepare``; the code
points and document offsets, all these two functions read, are cached under benchmarks/out),
then runs the current functions and those of ``--baseline-rev`` one after the other and
prints, per stage, CPU seconds and the peak RSS added above the RSS before the call (VmHWM
after resetting it through /proc/self/clear_refs), and whether the results are identical.

    python benchmarks/bench_fingerprints.py --paragraphs 600000
    python benchmarks/bench_fingerprints.py --paragraphs 100000 --baseline-rev HEAD~1
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import time
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def measure(fn, *args):
    """(result, CPU seconds, peak bytes added above the RSS before the call)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    t = time.process_time()
    out = fn(*args)
    cpu = time.process_time() - t
    return out, cpu, _status("VmHWM") - before


def load_baseline(rev: str) -> types.ModuleType:
    """``chachong.stages.passages`` as it was at revision ``rev``, as a separate module."""
    sys.path.insert(0, str(HERE))
    from revision import load_revision

    return load_revision(rev, ["passages"])["passages"]


def corpus_arrays(n: int, seed: int, fresh: bool) -> tuple[np.ndarray, np.ndarray]:
    """The prepared corpus's code points and document offsets (cached: preparing 600k takes minutes)."""
    cache = HERE / "out" / f"fp_cache_{n}_s{seed}"
    if not fresh and (cache / "cps.npy").exists():
        return np.load(cache / "cps.npy"), np.load(cache / "offsets.npy")
    sys.path.insert(0, str(HERE))
    from bench_audit import ensure_corpus

    from chachong.stages.load import load_documents
    from chachong.config import AuditConfig
    from chachong.stages.prepare import prepare

    config = AuditConfig()
    docs, _, _ = load_documents(ensure_corpus(n, seed), config)
    corpus = prepare(docs, config)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(cache / "cps.npy", corpus.cps)
    np.save(cache / "offsets.npy", corpus.doc_offsets)
    return np.asarray(corpus.cps), np.asarray(corpus.doc_offsets)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paragraphs", type=int, default=600000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--baseline-rev", default="HEAD", help="git revision of the baseline ('' for none)")
    ap.add_argument("--fresh", action="store_true", help="prepare the corpus again")
    ap.add_argument("--only", choices=("current", "baseline"), help="run one variant")
    opts = ap.parse_args()

    from chachong.stages import fingerprints as fingerprints_module
    from chachong.stages import seeds
    from chachong.config import AuditConfig

    cps, offsets = corpus_arrays(opts.paragraphs, opts.seed, opts.fresh)
    corpus = types.SimpleNamespace(cps=cps, doc_offsets=offsets, config=AuditConfig())
    n_docs = offsets.size - 1
    group = np.arange(n_docs, dtype=np.int64)
    min_docs = max(5, math.ceil(0.03 * n_docs))
    print(f"{opts.paragraphs} paragraphs: {n_docs} documents, {cps.size} canonical characters, min_docs {min_docs}")
    variants = [("current", types.SimpleNamespace(fingerprints=fingerprints_module.fingerprints,
                                                  seed_hits=seeds.seed_hits))]
    if opts.baseline_rev:
        variants.append((f"baseline {opts.baseline_rev}", load_baseline(opts.baseline_rev)))
    if opts.only:
        variants = [v for v in variants if v[0].startswith(opts.only)]
    results = []
    for name, mod in variants:
        fps, cpu_f, peak_f = measure(mod.fingerprints, corpus, group, min_docs)
        fp_bytes = sum(a.nbytes for a in (fps.pos, fps.doc, fps.hash, fps.stock, fps.order) if a is not None)
        summary = (fps.pos.astype(np.int64), fps.doc.astype(np.int64), fps.hash.copy(), fps.stock.copy())
        hits, cpu_s, peak_s = measure(mod.seed_hits, corpus, fps)
        del fps
        print(f"{name:>18}: fingerprints {cpu_f:6.2f} s CPU, peak +{peak_f / 2**20:6.0f} MiB "
              f"(index {fp_bytes / 2**20:.0f} MiB, {summary[0].size} fingerprints); "
              f"seed_hits {cpu_s:6.2f} s CPU, peak +{peak_s / 2**20:6.0f} MiB above the index "
              f"({len(hits)} hits)", flush=True)
        results.append((summary, hits))
    if len(results) == 2:
        (fa, ha), (fb, hb) = results
        same_fp = all(np.array_equal(x, y) for x, y in zip(fa, fb))
        same_hits = ha.dtype == hb.dtype and np.array_equal(ha, hb)
        print(f"identical fingerprints: {same_fp}; identical seed hits: {same_hits}")
        if not (same_fp and same_hits):
            sys.exit(1)


if __name__ == "__main__":
    main()
