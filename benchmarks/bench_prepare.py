"""Read, prepare and write at corpus scale: CPU, wall and peak RSS per stage and sub-stage (issue 7).

Each run is a fresh process (lazily filled tables and allocator state start cold, as in the CLI):

- read: ``load_documents`` (ingest + split);
- prepare: ``corpus.prepare`` (normalise, shingle, de-duplicate, sign);
- write: ``write_report(result, DIR, ["json", "csv"])`` (report dict, JSON, CSV); the stages in
  between (pairs, assemble, phrases) run untimed to give it a result. ``--no-write`` skips them.

The medians of ``--repeat`` runs are printed next to the same runs of a baseline revision of the code
(``--baseline-rev``, default the commit this work started from; its ``src/`` is extracted with
``git archive`` under ``benchmarks/out/`` and put first on ``PYTHONPATH``), so the comparison is made
on the same machine at the same time. The figures measured at the start of the session are printed
too, for reference. Sub-stages are timed by wrapping module functions in the worker process only
(see ``bench_audit.Stages``).

    python benchmarks/bench_prepare.py --paragraphs 100000 --repeat 3
    python benchmarks/bench_prepare.py --paragraphs 600000 --repeat 3 --no-write
    python benchmarks/bench_prepare.py --paragraphs 100000 --repeat 1 --baseline-rev none --profile
    python benchmarks/bench_prepare.py --paragraphs 100000 --repeat 1 --threads 1   # prepare's sub-stages

Sub-stages of prepare are timed only with ``--threads 1``: its batches run on every core by default,
and the timing wrappers are not thread-safe.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
START_REV = "47d5ae7"  # the commit this work started from
# `python benchmarks/bench_audit.py --paragraphs N --repeat 1 --no-cli` at START_REV (wall seconds, MB)
START_FIGURES = {
    100000: {"read": 1.6, "prepare": 3.9, "write": 4.3, "prepare_peak_mb": 548},
    600000: {"read": 8.9, "prepare": 22.2, "prepare_peak_mb": 2800},
}
TARGETS = {100000: {"read+prepare+write": 4.0}, 600000: {"read+prepare": 15.0, "prepare_peak_mb": 2048}}


def _worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    from bench_audit import Sampler, Stages, _call, ensure_corpus

    paths = ensure_corpus(args.paragraphs, args.seed)
    sampler = Sampler(os.getpid())
    sampler.start()
    st = Stages(sampler)
    prof = cProfile.Profile() if args.profile else None
    A = importlib.import_module("chachong.engine.local")
    C = importlib.import_module("chachong.stages.prepare")
    I = importlib.import_module("chachong.ingest.read")
    P = importlib.import_module("chachong.stages.candidates")
    RJ = importlib.import_module("chachong.report.json")
    RT = importlib.import_module("chachong.report.tables")
    W = importlib.import_module("chachong.report.writer")
    from chachong.config import AuditConfig

    config = AuditConfig()
    out: dict = {"code": str(Path(C.__file__).resolve().parents[1]), "threads": args.threads or "default"}
    if prof:
        prof.enable()
    with st.stage("read", [(I, "read_sources", "ingest"), (A, "documents_from_sources", "split")]):
        documents, skipped, warnings = A.load_documents(paths, config)
    # sub-stages are timed by wrappers that are not thread-safe: only with --threads 1
    subs = [(C, "codepoints", "normalise"), (C, "canonicalize_array", "normalise"), (C, "segment_kgrams", "shingle"),
            (C, "_unique_sets", "dedupe"), (C, "signatures", "sign")] if args.threads == 1 else []
    with st.stage("prepare", subs):
        corpus = _call(C.prepare, documents, config, args.threads) if args.threads else C.prepare(documents, config)
    if prof:
        prof.disable()
    out.update(documents=len(documents), paragraphs=corpus.n_paragraphs, chars=sum(len(d.text) for d in documents))
    # what the prepared corpus holds, array by array
    out["arrays"] = {name: [int(getattr(corpus, name).nbytes), str(getattr(corpus, name).dtype), int(getattr(corpus, name).size)]
                     for name in ("cps", "orig_start", "orig_end", "doc_offsets", "par_doc", "par_bounds", "set_hashes",
                                  "set_offsets", "signatures")}
    if args.write:
        with st.stage("(pairs, assemble, phrases)"):
            table = P.find_pairs(corpus)
            result = _call(A.assemble, corpus, table, list(skipped), list(warnings), lambda *a, **k: None)
            A.annotate_stock(result)
        del corpus, table
        folder = OUT / f"prepare_write_{os.getpid()}"
        shutil.rmtree(folder, ignore_errors=True)
        if prof:
            prof.enable()
        with st.stage("write", [(RJ, "report_dict", "report_dict"), (RJ, "dumps", "json"),
                                (RJ, "dumps_report", "json"), (RT, "to_csv", "csv")]):
            W.write_report(result, folder, ["json", "csv"])
        if prof:
            prof.disable()
        out["report_bytes"] = (folder / "report.json").stat().st_size
        shutil.rmtree(folder, ignore_errors=True)
    sampler.stop()
    out["stages"] = st.rows
    if prof:
        pfile = OUT / f"prepare_profile_{args.paragraphs}.pstats"
        prof.dump_stats(str(pfile))
        pstats.Stats(str(pfile)).sort_stats("tottime").print_stats(25)
    Path(args.worker).write_text(json.dumps(out), encoding="utf-8")


def _baseline_tree(rev: str) -> Path:
    """``src/`` of ``rev``, extracted once under benchmarks/out (no change to the repository)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=HERE, capture_output=True, text=True,
                         check=True).stdout.strip()
    dest = OUT / f"rev_{sha}"
    if not (dest / "src" / "chachong").is_dir():
        tmp = OUT / f".rev_{sha}.{os.getpid()}"
        tmp.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "src"], cwd=HERE.parent, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        tmp.rename(dest)
    return dest / "src"


def _run(args: argparse.Namespace, src: Path | None, i: int) -> dict:
    result_file = OUT / f".prepare_{os.getpid()}_{i}.json"
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, __file__, "--worker", str(result_file), "--paragraphs", str(args.paragraphs),
           "--seed", str(args.seed), "--threads", str(args.threads)] + ([] if args.write else ["--no-write"]) + (["--profile"] if args.profile else [])
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    data = json.loads(result_file.read_text(encoding="utf-8"))
    result_file.unlink()
    data["process_wall"] = time.perf_counter() - t0
    return data


def _median_rows(runs: list[dict]) -> dict[str, dict]:
    """stage -> {wall, cpu, peak_mb, subs: {name: {wall, cpu}}} as medians over runs."""
    out: dict[str, dict] = {}
    names = [r["stage"] for r in runs[0]["stages"]]
    for name in names:
        rows = [next(r for r in run["stages"] if r["stage"] == name) for run in runs]
        subs = {}
        for sub in rows[0]["subs"]:
            subs[sub] = {k: statistics.median(r["subs"].get(sub, {}).get(k, 0.0) for r in rows) for k in ("wall", "cpu")}
        out[name] = {"wall": statistics.median(r["wall"] for r in rows),
                     "cpu": statistics.median(r["cpu"] for r in rows),
                     "peak_mb": statistics.median(r["peak_rss"] for r in rows) / 2**20, "subs": subs}
    return out


def _print(label: str, med: dict[str, dict], base: dict[str, dict] | None) -> None:
    print(f"\n{label}")
    print(f"  {'stage':<26}{'wall s':>9}{'cpu s':>9}{'peak MB':>10}" + (f"{'base wall':>11}{'base cpu':>10}"
                                                                     f"{'base MB':>9}{'cpu x':>7}" if base else ""))
    for name, row in med.items():
        if name.startswith("("):
            continue
        b = (base or {}).get(name)
        extra = (f"{b['wall']:>11.2f}{b['cpu']:>10.2f}{b['peak_mb']:>9,.0f}{b['cpu'] / max(row['cpu'], 1e-9):>7.1f}"
                 if b else "")
        print(f"  {name:<26}{row['wall']:>9.2f}{row['cpu']:>9.2f}{row['peak_mb']:>10,.0f}{extra}")
        for sub, s in row["subs"].items():
            bs = (b or {}).get("subs", {}).get(sub) if b else None
            extra = f"{bs['wall']:>11.2f}{bs['cpu']:>10.2f}" if bs else ""
            print(f"    {sub:<24}{s['wall']:>9.2f}{s['cpu']:>9.2f}{'':>10}{extra}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paragraphs", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", dest="write", action="store_false", help="read and prepare only")
    ap.add_argument("--baseline-rev", default=START_REV, help="git revision to compare with, or 'none'")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads for prepare (0: its default, every core); 1 also times its sub-stages")
    ap.add_argument("--profile", action="store_true", help="cProfile read, prepare and write (top 25 by tottime)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    OUT.mkdir(exist_ok=True)
    runs, base_runs = [], []
    base_src = None if args.baseline_rev == "none" else _baseline_tree(args.baseline_rev)
    for i in range(args.repeat):  # interleaved, so both see the same machine load
        runs.append(_run(args, None, i))
        if base_src is not None:
            base_runs.append(_run(args, base_src, i))
    med = _median_rows(runs)
    base = _median_rows(base_runs) if base_runs else None
    info = runs[0]
    print(f"\n{info['paragraphs']:,} paragraphs, {info['documents']:,} documents, {info['chars']:,} characters; "
          f"median of {args.repeat} fresh processes; load {os.getloadavg()[0]:.1f}")
    _print(f"this tree ({info['code']})", med, base)
    if base is not None:
        _print(f"baseline {args.baseline_rev} ({base_runs[0]['code']})", base, None)
    arrays = info.get("arrays", {})
    if arrays:
        print(f"\narrays the prepared corpus holds ({sum(v[0] for v in arrays.values()) / 2**20:,.0f} MB):")
        for name, (nbytes, dtype, size) in arrays.items():
            print(f"  {name:<12}{nbytes / 2**20:>9,.1f} MB  {dtype:<7}{size:>14,} values  "
                  f"{nbytes / info['chars']:.2f} B/char  {nbytes / info['paragraphs']:,.1f} B/paragraph")
    stages = [s for s in ("read", "prepare", "write") if s in med]
    total_w = sum(med[s]["wall"] for s in stages)
    total_c = sum(med[s]["cpu"] for s in stages)
    line = f"\n{' + '.join(stages)}: wall {total_w:.2f} s, cpu {total_c:.2f} s"
    if base is not None:
        bw, bc = sum(base[s]["wall"] for s in stages), sum(base[s]["cpu"] for s in stages)
        line += f"  (baseline wall {bw:.2f} s, cpu {bc:.2f} s: {bw / max(total_w, 1e-9):.1f}x wall)"
    print(line)
    start = START_FIGURES.get(args.paragraphs)
    if start:
        print(f"start-of-session figures (bench_audit, wall): {start}")
    for key, limit in TARGETS.get(args.paragraphs, {}).items():
        if key.endswith("_mb"):
            value, unit = med["prepare"]["peak_mb"], "MB"
        else:
            value, unit = sum(med[s]["wall"] for s in key.split("+") if s in med), "s wall"
        print(f"target {key} <= {limit:g} {unit}: {value:.2f} {'ok' if value <= limit else 'MISSED'}")
    (OUT / f"bench_prepare_{args.paragraphs}.json").write_text(
        json.dumps({"median": med, "baseline": base, "runs": runs, "baseline_runs": base_runs}, indent=1),
        encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
