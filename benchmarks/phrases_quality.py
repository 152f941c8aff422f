"""Quality and speed of stock-phrase mining (chachong.stages.phrases) on seeded synthetic corpora.

The corpora come from ``synth.generate``: Chinese word salad drawn from jieba's dictionary, into which
``phrase_count`` formulas (real 公文 formulas written from the genre, plus made-up strings of 2–5
dictionary words) are planted on word boundaries, each in a Zipf-like share of the documents (60 %
down to 3 %). The planted phrases are the ground truth; everything else the miner reports is what
word salad repeats by chance (common words side by side, idioms drawn as words). Printed per seed:

- recall@k: share of the planted phrases among the top k reported, k = number planted; printed as
  is, and with the parts of planted phrases set aside (whole words of a planted phrase, such as
  安全发展 of 守牢安全发展底线 and 牢固树立安全发展理念: the corpus really shares them, more widely than
  either formula, so they are stock phrases in their own right, neither misses nor noise); the
  target applies to the latter;
- fragment rate: reported phrases that are a proper part of a planted phrase cut inside one of its
  words (jieba's words of the planted phrase), among the top k and among all reported;
- boundary exactness: planted phrases reported exactly, among those reported in some form (exactly,
  or as a longer or shorter phrase overlapping them);
- time of ``mine_phrases`` and, in the same run, the naive baseline: jieba over every character
  (timed on a sample of the documents and scaled), with the share of the text jieba actually read.

Targets: recall@k >= 0.95, fragment rate <= 5 %, mining 100,000 paragraphs within 30 s (2 cores).

    python benchmarks/phrases_quality.py [--paragraphs 100000] [--seeds 1,2,3] [--phrases 40]

``--stage 100000,600000`` measures instead the whole stock stage (``audit.annotate_stock``: boilerplate,
phrase mining from the prepared corpus, coverage and shares) on the corpora of bench_audit.py
(benchmarks/out/corpus_N_s1, generated when absent): each size in a process of its own, which audits
the corpus once and then runs the stage ``--runs`` times, printing the median CPU seconds and the
peak RSS the stage adds to what the process holds before it (freed memory given back first). In the same run, and on the same
prepared corpus, the stage runs with phrases.py and boilerplate.py as they were at
``--baseline-rev`` (the start of issues 7/9) for sizes up to ``--baseline-max`` (the old code
needs ~100 bytes per character: 8 GB and more at 600,000 paragraphs). Recorded at the start of
the work, for sizes above that: 100,000 paragraphs 11.9 s wall, 2.5 GB peak RSS of the process
(1.9 GB over the corpus); 600,000 killed at 8 GB RSS inside the stage.

    python benchmarks/phrases_quality.py --stage 100000,600000 [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synth import body, generate

TARGET_RECALL = 0.95
TARGET_FRAGMENTS = 0.05
TARGET_SECONDS = 30.0
# the stock stage (audit.annotate_stock), CPU seconds and RSS added over the prepared corpus
STAGE_TARGETS = {100_000: (2.5, None), 600_000: (15.0, 600)}
BASELINE_REV = "47d5ae7"  # the tree before issues 7/9 were worked on


def word_bounds(phrase: str) -> set[int]:
    """Offsets in ``phrase`` where jieba starts or ends a word (0 and len included)."""
    import jieba

    out, pos = {0}, 0
    for tok in jieba.cut(phrase):
        pos += len(tok)
        out.add(pos)
    return out


def fragment_of(text: str, planted: list[str], bounds: dict[str, set[int]]) -> str | None:
    """The planted phrase ``text`` is a proper part of, cut inside one of its words, or None.

    Not a fragment when it is whole words of some planted phrase (工作责任 is whole words of
    压紧压实工作责任 though it cuts 责任制 of 落实意识形态工作责任制) or is a planted phrase itself.
    """
    cut_in: str | None = None
    for p in planted:
        if text == p:
            return None
        start = 0
        while (at := p.find(text, start)) >= 0:
            if at in bounds[p] and at + len(text) in bounds[p]:
                return None
            cut_in = cut_in or p
            start = at + 1
    return cut_in


def part_of(text: str, planted: list[str], bounds: dict[str, set[int]]) -> bool:
    """Whether ``text`` is whole words of some planted phrase (and not the phrase itself)."""
    for p in planted:
        start = 0
        while text != p and (at := p.find(text, start)) >= 0:
            if at in bounds[p] and at + len(text) in bounds[p]:
                return True
            start = at + 1
    return False


def baseline_seconds(texts: list[str], share: float = 0.05) -> float:
    """jieba over every character: timed on every 1/share-th document, scaled to the corpus."""
    import jieba

    step = max(1, round(1 / share))
    sample = texts[::step]
    t0 = time.perf_counter()
    for t in sample:
        for _ in jieba.cut(t):
            pass
    took = time.perf_counter() - t0
    return took * sum(map(len, texts)) / max(1, sum(map(len, sample)))


def run(n_paragraphs: int, seed: int, n_phrases: int) -> dict:
    from chachong.stages.phrases import mine_phrases

    corpus = generate(n_paragraphs, seed=seed, phrase_count=n_phrases)
    texts = [body(d) for d in corpus.documents]
    stats: dict[str, int] = {}
    t0 = time.perf_counter()
    found = mine_phrases(texts, stats=stats)
    seconds = time.perf_counter() - t0
    planted = list(corpus.phrases)
    k = len(planted)
    top = [p.text for p in found[:k]]
    reported = [p.text for p in found]
    bounds = {p: word_bounds(p) for p in planted}
    parts = {t for t in reported if t not in planted and part_of(t, planted, bounds)}
    ranked = [t for t in reported if t not in parts]
    frag_top = [(t, fragment_of(t, planted, bounds)) for t in top]
    frag_all = [(t, fragment_of(t, planted, bounds)) for t in reported]
    represented = [p for p in planted if any(p in t or t in p for t in reported)]
    exact = [p for p in planted if p in reported]
    return {
        "seed": seed,
        "documents": len(texts),
        "chars": sum(map(len, texts)),
        "k": k,
        "recall_at_k_raw": sum(p in top for p in planted) / k,
        "recall_at_k": sum(p in ranked[:k] for p in planted) / k,
        "parts_top": [t for t in top if t in parts],
        "recall_all": len(exact) / k,
        "missed": [p for p in planted if p not in ranked[:k]],
        "fragments_top": [f for f in frag_top if f[1]],
        "fragment_rate_top": sum(1 for f in frag_top if f[1]) / max(1, len(top)),
        "fragment_rate_all": sum(1 for f in frag_all if f[1]) / max(1, len(reported)),
        "reported": len(reported),
        "exactness": len(exact) / max(1, len(represented)),
        "seconds": seconds,
        "baseline_seconds": baseline_seconds(texts),
        "stats": stats,
        "extra_top": [t for t in ranked[:k] if t not in planted],
    }


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _trim() -> None:
    """Give memory freed by earlier stages back to the system (glibc keeps it mapped otherwise,
    and the stage would reuse it unseen: its peak would look like nothing)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def _old_modules(rev: str) -> None:
    """Put phrases.py and boilerplate.py as they were at ``rev`` in place of today's (before
    anything imports them), so the stage runs the old code on the same input."""
    import importlib.util
    import shutil
    import tempfile

    import chachong.stages.boilerplate  # the package first (its imports need today's modules)

    trailer = chachong.stages.boilerplate.TrailerNote  # the splitter's class, for isinstance in the stage
    folder = Path(tempfile.mkdtemp(prefix="chachong-baseline-"))
    for name in ("boilerplate", "phrases"):
        path = folder / f"{name}.py"
        path.write_text(subprocess.run(["git", "show", f"{rev}:src/chachong/{name}.py"], cwd=HERE.parent,
                                       check=True, capture_output=True, text=True).stdout, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(f"chachong.{name}", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[mod.__name__] = mod
        spec.loader.exec_module(mod)
    shutil.rmtree(folder, ignore_errors=True)  # the modules are loaded
    sys.modules["chachong.stages.boilerplate"].TrailerNote = trailer
    old = sys.modules["chachong.stages.phrases"].mine_phrases

    def mine_phrases(*args, corpus=None, **kwargs):  # the old code takes no prepared corpus
        return old(*args, **kwargs)

    sys.modules["chachong.stages.phrases"].mine_phrases = mine_phrases


def stage_child(n: int, runs: int, rev: str | None) -> dict:
    """In this process: audit the bench corpus of ``n`` paragraphs, then time annotate_stock."""
    if rev:
        _old_modules(rev)
    import importlib

    from bench_audit import ensure_corpus

    from chachong.config import AuditConfig

    audit = importlib.import_module("chachong.engine.local")
    corpus_mod = importlib.import_module("chachong.stages.prepare")
    ingest_phrases = importlib.import_module("chachong.stages.phrases")
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # the dictionary load is start-up, not the stage
    if hasattr(ingest_phrases, "_fixed_expressions"):
        ingest_phrases._fixed_expressions()
    config = AuditConfig()
    documents, skipped, warnings = audit.load_documents(ensure_corpus(n, 1), config)
    corpus = corpus_mod.prepare(documents, config)
    real = audit.annotate_stock
    audit.annotate_stock = lambda *a, **k: None  # the audit without its stock stage
    try:
        result = audit.audit_corpus(corpus, list(skipped), list(warnings))
    finally:
        audit.annotate_stock = real
    held = {d: list(st.stock) for d, st in result.stats.items()}
    out = {"paragraphs": sum(len(d.paragraphs) for d in documents), "chars": int(corpus.cps.size),
           "documents": len(documents), "cpu": [], "wall": [], "added_mb": [], "held_mb": []}
    for _ in range(runs):
        for d, st in result.stats.items():
            st.stock = list(held[d])
        _trim()
        _reset_peak()
        before = _status_mb("VmRSS")
        c0, t0 = time.process_time(), time.perf_counter()
        real(result)
        out["cpu"].append(time.process_time() - c0)
        out["wall"].append(time.perf_counter() - t0)
        out["added_mb"].append(_status_mb("VmHWM") - before)
        out["held_mb"].append(before)
    out["phrases"] = len(result.stock_phrase_records)
    out["boilerplate"] = len(result.boilerplate_records)
    return out


def run_stage(sizes: list[int], runs: int, rev: str, baseline_max: int) -> int:
    ok = True
    for n in sizes:
        rows = {}
        for label, base in (("this code", None), (f"baseline {rev}", rev)):
            if base and n > baseline_max:
                continue
            cmd = [sys.executable, __file__, "--stage-child", str(n), "--runs", str(runs)]
            if base:
                cmd += ["--baseline-rev", base]
            proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
            if proc.returncode:
                print(f"{n:,} paragraphs, {label}: failed\n{proc.stderr[-2000:]}")
                ok = False
                continue
            rows[label] = json.loads(proc.stdout.strip().splitlines()[-1])
        if not rows:
            continue
        first = next(iter(rows.values()))
        print(f"stock stage (annotate_stock) at {n:,} paragraphs: {first['documents']:,} documents, "
              f"{first['chars']:,} canonical characters; median of {runs} run(s)")
        for label, r in rows.items():
            print(f"  {label:18s} cpu {statistics.median(r['cpu']):6.2f} s   wall {statistics.median(r['wall']):6.2f} s"
                  f"   peak RSS +{statistics.median(r['added_mb']):5.0f} MB over {statistics.median(r['held_mb']):5.0f} MB"
                  f" held   ({r['phrases']} phrases, {r['boilerplate']} boilerplate findings)")
        mine = rows.get("this code")
        if f"baseline {rev}" in rows and mine:
            b = rows[f"baseline {rev}"]
            print(f"  speed-up x{statistics.median(b['cpu']) / max(statistics.median(mine['cpu']), 1e-9):.1f} CPU, "
                  f"memory added x{statistics.median(b['added_mb']) / max(statistics.median(mine['added_mb']), 1):.1f} less")
        target = STAGE_TARGETS.get(n)
        if target and mine:
            cpu_ok = statistics.median(mine["cpu"]) <= target[0]
            mem_ok = target[1] is None or statistics.median(mine["added_mb"]) <= target[1]
            print(f"  targets (cpu <= {target[0]} s{f', RSS added <= {target[1]} MB' if target[1] else ''}): "
                  f"{'PASS' if cpu_ok and mem_ok else 'FAIL'}")
            ok &= cpu_ok and mem_ok
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paragraphs", type=int, default=100_000)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--phrases", type=int, default=40, help="planted phrases per corpus")
    ap.add_argument("--stage", help="comma-separated corpus sizes (paragraphs): time the stock stage instead")
    ap.add_argument("--runs", type=int, default=3, help="runs of the stage per size (median)")
    ap.add_argument("--baseline-rev", default=None, help=f"git revision of the baseline code (default {BASELINE_REV})")
    ap.add_argument("--baseline-max", type=int, default=100_000, help="largest size the baseline runs at")
    ap.add_argument("--stage-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.stage_child:
        print(json.dumps(stage_child(args.stage_child, args.runs, args.baseline_rev)))
        return 0
    if args.stage:
        sizes = [int(x) for x in args.stage.split(",") if x.strip()]
        return run_stage(sizes, args.runs, args.baseline_rev or BASELINE_REV, args.baseline_max)
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # its one-off dictionary load is not mining time
    ok = True
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        r = run(args.paragraphs, seed, args.phrases)
        st = r["stats"]
        print(f"seed {seed}: {args.paragraphs:,} paragraphs, {r['documents']:,} documents, {r['chars']:,} characters; "
              f"threshold {st['min_documents']} documents")
        print(f"  recall@{r['k']}        {r['recall_at_k']:.3f}   with parts of planted phrases set aside "
              f"({', '.join(r['parts_top']) or '-'}); as ranked {r['recall_at_k_raw']:.3f}; among all reported "
              f"{r['recall_all']:.3f}; missed: {', '.join(r['missed']) or '-'}")
        print(f"  fragment rate    {r['fragment_rate_top']:.1%} of top k, {r['fragment_rate_all']:.1%} of all "
              f"{r['reported']} reported {r['fragments_top'] or ''}")
        print(f"  exactness        {r['exactness']:.3f}   (planted phrases reported exactly / reported in some form)")
        print(f"  noise in top k (neither planted nor part of it): {', '.join(r['extra_top']) or '-'}")
        print(f"  time             {r['seconds']:.1f} s mining; baseline jieba over every character "
              f"{r['baseline_seconds']:.1f} s (x{r['baseline_seconds'] / max(r['seconds'], 1e-9):.1f}); jieba read "
              f"{st['segmented_chars']:,} characters = {st['segmented_chars'] / max(r['chars'], 1):.1%} of the text")
        passed = (r["recall_at_k"] >= TARGET_RECALL and r["fragment_rate_top"] <= TARGET_FRAGMENTS
                  and (args.paragraphs < 100_000 or r["seconds"] <= TARGET_SECONDS))
        print(f"  targets (recall >= {TARGET_RECALL}, fragments <= {TARGET_FRAGMENTS:.0%}"
              f"{', time <= 30 s' if args.paragraphs >= 100_000 else ''}): {'PASS' if passed else 'FAIL'}")
        ok &= passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
