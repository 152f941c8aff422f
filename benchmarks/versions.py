"""One benchmark, two versions of the code, alternating runs in the same minutes (a refactor's speed check).

On a shared machine the speed drifts by a third within the hour, so a version is only compared
with another measured in the same minutes: this runs ``BENCH ARGS...`` from each checkout in
turn (``old, new, old, new, ...``), each with its own ``src`` first on ``PYTHONPATH`` and its own
copy of the benchmark script (a benchmark imports the module names of its own version), picks
one figure from each run's output with ``--pick`` (a regular expression whose first group is a
number) and prints every run, the medians and the ratio new / old.

    python benchmarks/versions.py --old ../before --rounds 3 \\
        --pick 'subprocess, \\d+ runs\\): median ([\\d.]+) s' -- bench_audit.py --paragraphs 100000 --repeat 1 --no-stages
    python benchmarks/versions.py --old ../before --pick 'median ([\\d.]+) s' -- check_latency.py --runs 7

``--old`` and ``--new`` are checkouts (folders with ``src/`` and ``benchmarks/``); ``--new``
defaults to this one. Exit status 1 when the new median is more than ``--tolerance`` (default
5 %) above the old one.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_once(checkout: Path, bench: list[str], pick: re.Pattern[str], log: Path) -> float | None:
    """Run the benchmark of ``checkout`` with its own code; the picked figure (``None`` if absent)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str((checkout / "src").resolve()) + (os.pathsep + env["PYTHONPATH"]
                                                              if env.get("PYTHONPATH") else "")
    env.pop("CI", None)
    script = checkout / "benchmarks" / bench[0]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script), *bench[1:]], cwd=checkout, env=env,
                          capture_output=True, text=True)
    log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr, encoding="utf-8")
    found = pick.findall(proc.stdout + proc.stderr)
    value = float(found[-1] if isinstance(found[-1], str) else found[-1][0]) if found else None
    print(f"  {checkout.name:>10}: {value if value is not None else '-'}  ({time.perf_counter() - t0:.0f} s, "
          f"exit {proc.returncode}, log {log})", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", type=Path, required=True, help="the earlier checkout")
    ap.add_argument("--new", type=Path, default=HERE.parent, help="the later checkout (default: this one)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each version, alternating")
    ap.add_argument("--pick", required=True, help="regular expression; its first group is the figure")
    ap.add_argument("--tolerance", type=float, default=0.05, help="allowed slowdown of the new median")
    ap.add_argument("--logs", type=Path, default=HERE / "out" / "versions")
    ap.add_argument("bench", nargs="+", help="the benchmark script (in benchmarks/) and its arguments")
    args = ap.parse_args(argv)
    pick = re.compile(args.pick)
    args.logs.mkdir(parents=True, exist_ok=True)
    figures: dict[str, list[float]] = {"old": [], "new": []}
    print(f"{' '.join(args.bench)}: {args.old} against {args.new}, {args.rounds} rounds", flush=True)
    for r in range(args.rounds):
        for label, checkout in (("old", args.old), ("new", args.new)):
            value = run_once(checkout.resolve(), args.bench, pick, args.logs / f"{label}_{r}.log")
            if value is not None:
                figures[label].append(value)
    if not figures["old"] or not figures["new"]:
        print("no figure picked from some version's runs: see the logs")
        return 2
    old, new = statistics.median(figures["old"]), statistics.median(figures["new"])
    print(f"median old {old:.3f} {figures['old']}, new {new:.3f} {figures['new']}: new/old {new / old:.3f}")
    return 0 if new <= old * (1 + args.tolerance) else 1


if __name__ == "__main__":
    sys.exit(main())
