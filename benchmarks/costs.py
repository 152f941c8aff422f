"""Measured per-stage costs of the local audit, how they grow, and a projection (issue 21, part 6).

For each size (synthetic corpora of ``synth.generate``, seed 1, made once under ``benchmarks/out/``)
a fresh child process audits the corpus with ``workers=1`` (every stage in that one process, so
each stage's CPU seconds are its own: with two workers the phrase mining and half the alignment
run in forked children and their CPU is counted where they are reaped) and records, per stage of
the local engine (the progress callback's ``read``, ``sign``, ``pair``, ``cluster``, ``align``,
``documents``, ``phrases``): wall and CPU seconds, and the resident size at the stage's end.
``--also-default`` runs each size once more with the default workers for the wall time a user sees.

It prints per stage the seconds per size, the growth exponent ``b`` of ``cost = a * n**b`` fitted
through the sizes (log-log least squares; 1.0 is linear) and the ratio per doubling, then a
**projection** to ``--project`` paragraphs (100 M by default) on K workers: each stage's CPU
extrapolated from the largest size measured with its own exponent (the larger of the fit through every
size and that of the last doubling, at least 1), divided by K for the stages
that run per partition (all but ``cluster``, which the executors run once over the pair table),
and the memory a worker would need if the corpus were split K ways at the largest size's
bytes per paragraph. It is a projection from three sizes on one machine, not a measurement:
it leaves out the shuffle's network time and assumes the stages divide evenly.

    nice python benchmarks/costs.py                                   # 150k 300k 600k
    nice python benchmarks/costs.py --sizes 75000,150000,300000 --project 100000000 --k 1,16,64,256
    python benchmarks/costs.py --from-json small.json big.json      # the tables of earlier --json runs together

CPU is shared: run it on a quiet machine; CPU seconds are steadier than wall seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STAGES = ("read", "sign", "pair", "cluster", "align", "documents", "phrases")
CENTRAL = {"cluster"}  # run once over the whole pair table by every executor


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu() -> float:
    import resource

    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF,
                                                                         resource.RUSAGE_CHILDREN)))


def child(n: int, workers: int) -> dict:
    """One audit of the corpus of ``n`` paragraphs: per stage wall, CPU and RSS at its end."""
    import resource

    sys.path.insert(0, str(HERE))
    from bench_audit import ensure_corpus

    import chachong

    paths = ensure_corpus(n, 1)
    stages: dict[str, dict] = {}
    mark = {"stage": None, "wall": time.perf_counter(), "cpu": _cpu()}

    def say(stage: str) -> None:
        now, cpu = time.perf_counter(), _cpu()
        if mark["stage"] is not None:
            s = stages.setdefault(mark["stage"], {"wall": 0.0, "cpu": 0.0, "rss_mb": 0.0})
            s["wall"] += now - mark["wall"]
            s["cpu"] += cpu - mark["cpu"]
            s["rss_mb"] = max(s["rss_mb"], _rss_mb())
        mark.update(stage=stage, wall=now, cpu=cpu)

    t0, c0 = time.perf_counter(), _cpu()
    kwargs = {"workers": workers} if workers else {}
    result = chachong.audit([str(p) for p in paths], progress=say, **kwargs)
    say("end")
    return {"paragraphs": int(result.corpus.n_paragraphs) if result.corpus is not None else n,
            "characters": int(result.corpus.cps.size) if result.corpus is not None else 0,
            "wall": time.perf_counter() - t0, "cpu": _cpu() - c0,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "stages": stages}


def run(n: int, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--child", str(n), "--workers", str(workers)]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the audit of {n} paragraphs failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def exponent(sizes: list[int], values: list[float]) -> float:
    """The slope of log(value) on log(size) (least squares): the b of value = a * size**b.

    >>> round(exponent([1, 2, 4], [3.0, 6.0, 12.0]), 6)
    1.0
    >>> round(exponent([100, 200, 400], [1.0, 4.0, 16.0]), 6)
    2.0
    """
    pts = [(math.log(s), math.log(v)) for s, v in zip(sizes, values) if v > 0]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else float("nan")


def project(sizes: list[int], runs: list[dict], target: int, ks: list[int]) -> list[str]:
    """The projection table (markdown lines) of ``target`` paragraphs on each K of ``ks``."""
    last, n = runs[-1], sizes[-1]
    lines = [f"Projection to {target:,} paragraphs (from {n:,}, each stage with its own exponent, the larger of "
             "that through every size and that of the last doubling; "
             "a projection, not a measurement)", "",
             "| stage | b | CPU s at target | " + " | ".join(f"K={k} s" for k in ks) + " |",
             "|---|---|---|" + "---|" * len(ks)]
    totals = [0.0] * len(ks)
    for st in STAGES:
        vals = [r["stages"].get(st, {}).get("cpu", 0.0) for r in runs]
        # the larger of the exponent through every size and that of the last doubling: growth that
        # speeds up with size is carried on, not averaged away; and no stage gets cheaper per paragraph
        b = max([x for x in (exponent(sizes, vals), exponent(sizes[-2:], vals[-2:])) if not math.isnan(x)] + [1.0])
        cpu = last["stages"].get(st, {}).get("cpu", 0.0) * (target / n) ** b
        per_k = [cpu if st in CENTRAL else cpu / k for k in ks]
        totals = [t + v for t, v in zip(totals, per_k)]
        lines.append(f"| {st} | {b:.2f} | {cpu:,.0f} | " + " | ".join(f"{v:,.0f}" for v in per_k) + " |")
    lines.append("| **total** | | | " + " | ".join(f"**{t:,.0f}**" for t in totals) + " |")
    per_par = last["peak_mb"] / n
    lines += ["", f"Memory: {per_par * 1024:.1f} KB per paragraph at {n:,} (peak RSS {last['peak_mb']:,.0f} MB); "
              "a worker holding 1/K of the corpus would need about "
              + ", ".join(f"K={k}: {per_par * target / k / 1024:,.1f} GB" for k in ks) + "."]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="150000,300000,600000")
    ap.add_argument("--project", type=int, default=100_000_000, help="paragraphs to project to")
    ap.add_argument("--k", default="1,16,64,256", help="worker counts of the projection")
    ap.add_argument("--also-default", action="store_true", help="also time each size with the default workers")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--from-json", nargs="+", metavar="FILE",
                    help="print the tables of earlier runs' --json files together (no new run)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.workers)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    runs, default = [], []
    if args.from_json:
        got = [json.loads(Path(f).read_text()) for f in args.from_json]
        rows = sorted((n, r) for g in got for n, r in zip(g["sizes"], g["workers1"]))
        sizes, runs = [n for n, _ in rows], [r for _, r in rows]
        with_default = sorted((n, d) for g in got if len(g["default"]) == len(g["sizes"])
                              for n, d in zip(g["sizes"], g["default"]))
        if [n for n, _ in with_default] == sizes:
            default = [d for _, d in with_default]
    for n in sizes if not args.from_json else ():
        runs.append(run(n, 1))
        r = runs[-1]
        print(f"{n:>9} workers=1: wall {r['wall']:.1f} s, CPU {r['cpu']:.1f} s, peak {r['peak_mb']:.0f} MB, "
              f"{r['characters']:,} characters", flush=True)
        if args.also_default:
            default.append(run(n, 0))
            d = default[-1]
            print(f"{n:>9} default workers: wall {d['wall']:.1f} s, CPU {d['cpu']:.1f} s, "
                  f"peak {d['peak_mb']:.0f} MB (main process)", flush=True)
    print("\nCPU seconds per stage (workers=1)\n")
    print("| stage | " + " | ".join(f"{n:,}" for n in sizes) + " | b | per doubling |")
    print("|---|" + "---|" * len(sizes) + "---|---|")
    for st in STAGES + ("total",):
        vals = [r["cpu"] if st == "total" else r["stages"].get(st, {}).get("cpu", 0.0) for r in runs]
        ratios = ", ".join(f"{b / a:.2f}x" if a else "-" for a, b in zip(vals, vals[1:]))
        print(f"| {st} | " + " | ".join(f"{v:.2f}" for v in vals) + f" | {exponent(sizes, vals):.2f} | {ratios} |")
    peaks = [r["peak_mb"] for r in runs]
    print("| peak RSS MB | " + " | ".join(f"{v:,.0f}" for v in peaks) + f" | {exponent(sizes, peaks):.2f} | "
          + ", ".join(f"{b / a:.2f}x" for a, b in zip(peaks, peaks[1:])) + " |")
    if default:
        walls = [d["wall"] for d in default]
        print("| wall, default workers | " + " | ".join(f"{v:.1f}" for v in walls)
              + f" | {exponent(sizes, walls):.2f} | " + ", ".join(f"{b / a:.2f}x" for a, b in zip(walls, walls[1:]))
              + " |")
    print()
    print("\n".join(project(sizes, runs, args.project, [int(k) for k in args.k.split(",")])))
    if args.json and not args.from_json:
        Path(args.json).write_text(json.dumps({"sizes": sizes, "workers1": runs, "default": default}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
