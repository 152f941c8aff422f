"""Growth of the pair stage (or the whole audit) per doubling of the corpus, against a baseline (issue 21).

For each size (synthetic corpora of ``synth.generate``, seed 1, made once under ``benchmarks/out/``)
a fresh child process per version of the code loads and prepares the corpus, then times

- ``--stage pairs`` (default): ``candidates.pair_candidates`` + ``select_pairs`` (the local engine's
  pair stage), with the peak RSS that stage adds (VmHWM reset through ``/proc/self/clear_refs``);
- ``--stage audit``: ``chachong.audit`` of the files with ``--engine local`` or ``dask`` (load and
  prepare included), with the CPU seconds of the child and its forks and the child's peak RSS
  (``peak_mb``: VmHWM, file pages mapped from the work folder included; ``anon_mb``: the highest
  RssAnon sampled every 0.1 s, the memory nothing but the process holds; ``fork_mb``: the largest
  forked worker's). ``--memory-limit GIB`` and ``--work-dir DIR`` are passed to the audit
  (``--memory-limit 0`` spills always); ``spilled_mb`` is what it put in the work folder.

It prints per size: wall and CPU seconds (CPU is steadier on a shared machine), peak RSS,
candidate pairs (identical pairs + the candidates verified), verified pairs, and with ``--sources`` where the candidates come from (LSH band-pair rows
of representatives, of which in buckets over 64 members; sampled-fingerprint pair rows, one per
shared fingerprint, as the Dask engine's buckets make them: the local engine's prefix filter makes
few of them; pairs added by expanding repeated texts); then the ratio of each figure to the
previous size's (the doubling ratio; issue 21 asks for at most 2.1). With ``--against SRC`` (a
``src`` folder) or ``--against-rev REV`` (exported with ``git archive``; ``HEAD`` by default when
neither is given and the tree has changes) the same runs are made with that code, side by side, and
the verified pairs of both are compared (their SHA-256). ``--timeline`` (``--stage audit``) adds, per
stage of the audit (its progress marks), the wall seconds and the machine's busy cores meanwhile
(``/proc/stat``): a stage near 1.0 on a two-core machine leaves a core idle.

    nice python benchmarks/scale.py                                  # 150k 300k 600k, pairs, vs HEAD
    nice python benchmarks/scale.py --sizes 150000,300000 --against ../base/src
    nice python benchmarks/scale.py --stage audit --engine dask --sizes 150000,300000 --no-baseline
    nice python benchmarks/scale.py --stage audit --sizes 600000 --memory-limit 0 --no-baseline
    python benchmarks/scale.py --stage audit --sizes 600000 --no-baseline --timeline  # where a core idles
    nice python benchmarks/scale.py --stage audit --sizes 600000,1200000 --no-baseline --rounds 3  # medians

CPU is shared: run it with ``nice``; times vary with the load of the machine, run twice to judge.
``--rounds N`` runs every size N times, interleaved, and shows medians: on the project's virtual
machine one 600k audit's wall varies by 10 % with how much freshly freed memory the host has not yet
taken back (a page the host backs again costs about 2 s per GB), which moves a doubling ratio by 0.1: a run just after a large one starts with warm memory.
``--settle 20`` waits before each run until the host has taken back what the previous run freed,
so every run starts alike (as an audit on an idle machine does).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from procfs import cpu_ticks, proc_kb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIG = 64  # an LSH bucket "over-full" in the breakdown: more members than this


def _digest(table) -> str:
    h = hashlib.sha256()
    for f in ("a", "b", "jaccard", "containment"):
        h.update(getattr(table, f).tobytes())
    h.update("\n".join(map(str, table.kind)).encode())
    return h.hexdigest()[:16]


def _sources(corpus) -> dict:
    """Where the candidates of ``corpus`` come from (rows before de-duplication and filters)."""
    import numpy as np

    from chachong.stages import candidates as C
    from chachong.stages.lsh import band_key, groups_of
    from chachong.stages.verify import estimated_jaccard

    cfg = corpus.config
    bands, rows = C.lsh_bands(cfg)
    el = C.eligible(corpus)
    texts = C.text_groups(el, C._canonical_keys(corpus, el), corpus.par_doc[el])
    band_rows = big_rows = 0
    for b in range(bands):
        _, _, z = groups_of(band_key(corpus.signatures, b, rows, texts.reps))
        z = z[z > 1]
        band_rows += int((z * (z - 1) // 2).sum())
        big_rows += int((z[z > BIG] * (z[z > BIG] - 1) // 2).sum())
    rep = C.candidates(corpus.signatures, bands, rows, rows_of=texts.reps, subset=texts.reps)
    if len(rep):
        rep = rep[C.passes_estimate(estimated_jaccard(corpus.signatures, rep), cfg.threshold)]
    in_scope = np.zeros(corpus.n_paragraphs, bool)
    in_scope[el] = True
    fh, _ = C.sampled(corpus, in_scope=in_scope)
    fh.sort()
    _, sizes = C.fingerprint_runs(fh)
    return {"lsh_rows": band_rows, f"lsh_rows_over_{BIG}": big_rows,
            "fp_rows": int((sizes * (sizes - 1) // 2).sum()),
            "expanded": len(C.expand(rep, texts.rep_of, texts.member))}


def _timeline(marks: list) -> list[list]:
    """Per stage (progress marks): its name, wall seconds and the cores busy meanwhile on average
    (the machine's, forks and other processes included: run it on a quiet machine)."""
    out = []
    for (stage, t, (busy, total)), (_, t1, (busy1, total1)) in zip(marks, marks[1:]):
        cores = (busy1 - busy) / max(total1 - total, 1) * (os.cpu_count() or 1)
        out.append([stage, round(t1 - t, 2), round(cores, 2)])
    return out


def child(args) -> dict:
    """One size, one version of the code (this process's ``sys.path``): the figures as a dict."""
    import gc
    import resource

    # chachong first, as the command line loads it: before numpy is imported it may choose numpy's
    # sort kernels (chachong.runtime.simd); a version without that module just loads
    import chachong  # noqa: F401

    sys.path.insert(0, str(HERE))
    from bench_audit import ensure_corpus

    paths = ensure_corpus(args.child, 1)
    if args.stage == "audit":
        import chachong

        import threading

        c0 = sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage,
                                                         (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))
        spill = {} if args.memory_limit is None else {"memory_limit": args.memory_limit}
        if args.work_dir:
            spill["work_dir"] = args.work_dir
        anon = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                anon[0] = max(anon[0], proc_kb("RssAnon"))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        marks: list[tuple[str, float, tuple[int, int]]] = []

        def progress(stage: str) -> None:
            marks.append((stage, time.perf_counter(), cpu_ticks()))

        t0 = time.perf_counter()
        result = chachong.audit([str(p) for p in paths], engine=args.engine, workers=args.workers,
                                progress=progress if args.timeline else None, **spill)
        wall = time.perf_counter() - t0
        progress("end")
        done.set()
        use = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        work = getattr(getattr(result, "corpus", None), "work", None)
        return {"wall": wall, "cpu": sum(u.ru_utime + u.ru_stime for u in use) - c0,
                "peak_mb": use[0].ru_maxrss / 1024, "anon_mb": max(anon[0], proc_kb("RssAnon")) / 1024,
                "fork_mb": use[1].ru_maxrss / 1024, "spilled_mb": (work.written if work else 0) / 2**20,
                "paragraph_pairs": len(result.paragraph_pair_records),
                "digest": hashlib.sha256(result.to_json().encode()).hexdigest()[:16],
                # numpy's dispatch as this run had it (chachong.runtime.simd may have left AVX-512 out)
                "npy_disabled": os.environ.get("NPY_DISABLE_CPU_FEATURES", "-").replace(" ", "+") or "-",
                **({"timeline": _timeline(marks)} if args.timeline else {})}
    from chachong.config import AuditConfig
    from chachong.engine import local
    from chachong.stages import candidates as C
    from chachong.stages.prepare import prepare

    config = AuditConfig(workers=args.workers)
    documents, _, _ = local.load_documents(paths, config)
    corpus = prepare(documents, config)
    del documents
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    base = proc_kb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    cands = C.pair_candidates(corpus)
    table = C.select_pairs(corpus, cands)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {"paragraphs": corpus.n_paragraphs, "wall": wall, "cpu": cpu, "peak_mb": (proc_kb("VmHWM") - base) / 1024,
           "candidates": len(cands.ident) + len(cands.pairs), "verified": len(table), "digest": _digest(table)}
    if args.sources:
        out.update(_sources(corpus))
    return out


def run(src: Path, n: int, args) -> dict:
    cmd = [sys.executable, __file__, "--child", str(n), "--stage", args.stage, "--engine", args.engine,
           "--workers", str(args.workers)] + (["--sources"] if args.sources else [])
    if args.timeline:
        cmd.append("--timeline")
    if args.memory_limit is not None:
        cmd += ["--memory-limit", str(args.memory_limit)]
    if args.work_dir:
        cmd += ["--work-dir", args.work_dir]
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the run of {n} with {src} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:9.2f}"
    return f"{v!s:>9}"


def _median(rounds: list[dict]) -> dict:
    """The median of each number over the rounds of one size (the first round's other values; a
    digest that differs between rounds shows as ``varies``)."""
    out = dict(rounds[0])
    for k, v in out.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            m = statistics.median(r[k] for r in rounds)
            out[k] = int(m) if isinstance(v, int) and m == int(m) else m
        elif k == "digest" and any(r[k] != v for r in rounds):
            out[k] = "varies"
    return out


def report(name: str, sizes: list[int], figures: list[dict]) -> None:
    keys = [k for k in figures[0] if k not in ("digest", "timeline", "npy_disabled")]
    print(f"\n{name}")
    w = [max(11, len(k) + 2) for k in keys]
    print("  " + "size".rjust(9) + "".join(k.rjust(x) for k, x in zip(keys, w)))
    for n, f in zip(sizes, figures):
        print("  " + f"{n:9d}" + "".join(_fmt(f.get(k)).strip().rjust(x) for k, x in zip(keys, w)))
    print("  doubling ratios (this size / previous)")
    for i in range(1, len(sizes)):
        cells = []
        for k, x in zip(keys, w):
            a, b = figures[i - 1].get(k), figures[i].get(k)
            cells.append((f"{b / a:.2f}x" if isinstance(a, (int, float)) and a and b is not None else "-").rjust(x))
        print("  " + f"{sizes[i]:9d}" + "".join(cells))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="150000,300000,600000")
    ap.add_argument("--stage", choices=("pairs", "audit"), default="pairs")
    ap.add_argument("--engine", choices=("local", "dask"), default="local")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--sources", action="store_true", help="the breakdown of the candidates (pair stage)")
    ap.add_argument("--memory-limit", type=float, help="the audit's memory_limit in GiB (0: spill always)")
    ap.add_argument("--work-dir", help="the audit's work_dir")
    ap.add_argument("--timeline", action="store_true",
                    help="per stage of the audit: wall seconds and the cores busy meanwhile (--stage audit)")
    ap.add_argument("--src", default=str(ROOT / "src"))
    ap.add_argument("--against", help="a src folder to compare with")
    ap.add_argument("--against-rev", help="a git revision to compare with (exported with git archive)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of each size and version, interleaved (all sizes, then all again); the tables "
                         "show the medians, and the wall ratios of each round follow")
    ap.add_argument("--settle", type=float, default=0.0,
                    help="seconds to wait before each run, so that every run starts with the memory the "
                         "previous one freed given back to the host (see above); 20 is enough here")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    if args.engine == "dask" and args.stage == "pairs":
        ap.error("--engine dask times the whole audit: add --stage audit")
    if args.timeline and args.stage != "audit":
        ap.error("--timeline follows the stages of the audit: add --stage audit")
    sizes = [int(s) for s in args.sizes.split(",")]
    versions = {"current": Path(args.src).resolve()}
    tmp = None
    if not args.no_baseline:
        if args.against:
            versions["baseline"] = Path(args.against).resolve()
        else:
            rev = args.against_rev or "HEAD"
            tmp = tempfile.TemporaryDirectory(prefix="scale-")
            archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", tmp.name], input=archive.stdout, check=True)
            versions[f"baseline ({rev})"] = Path(tmp.name) / "src"
    runs: dict[str, dict[int, list[dict]]] = {name: {n: [] for n in sizes} for name in versions}
    for r in range(args.rounds):
        for n in sizes:
            for name, src in versions.items():
                time.sleep(args.settle)
                f = run(src, n, args)
                runs[name][n].append(f)
                tag = f" (round {r + 1})" if args.rounds > 1 else ""
                print(f"{n:>9} {name}{tag}: " + ", ".join(f"{k} {_fmt(v).strip()}" for k, v in f.items()
                                                          if k != "timeline"), flush=True)
                for stage, secs, cores in f.get("timeline", ()):
                    print(f"{'':>11}{stage:<10} {secs:7.2f} s, {cores:.2f} cores busy", flush=True)
    figures = {name: [_median(runs[name][n]) for n in sizes] for name in versions}
    for name in versions:
        report(name, sizes, figures[name])
        if args.rounds > 1 and len(sizes) > 1:
            # each round's sizes ran minutes apart: their ratio is steadier than that of the medians
            # when the machine's speed drifts between rounds
            ratios = {b: [y["wall"] / x["wall"] for x, y in zip(runs[name][a], runs[name][b])]
                      for a, b in zip(sizes, sizes[1:])}
            print("  wall ratio of each round: " + "; ".join(
                f"{b}: " + " ".join(f"{r:.2f}x" for r in rs) + f" (median {statistics.median(rs):.2f}x)"
                for b, rs in ratios.items()))
    if len(versions) == 2:
        (a, fa), (b, fb) = figures.items()
        same = [x["digest"] == y["digest"] for x, y in zip(fa, fb)]
        what = "verified pairs" if args.stage == "pairs" else "report.json"
        print(f"\nsame {what} as {b}: " + ", ".join(f"{n}: {s}" for n, s in zip(sizes, same)))
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
