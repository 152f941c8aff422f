"""The Dask engine against the local engine on the synthetic corpus (issue 10).

One run:

1. writes ``synth.generate(n, seed)`` once as JSONL shards (``benchmarks/out/dask_<n>_s<seed>/corpus/
   part-NNN.jsonl``, one ``{"title", "text"}`` document per line, documents in order); shards let the
   workers read in parallel and keep every file under the 256 MiB per-file limit;
2. runs ``chachong.engine.local`` (local engine) on the folder in a fresh process: wall time per stage and
   peak RSS (``ru_maxrss``);
3. runs ``chachong.engine.dask.engine.audit_dask`` in a fresh process on a ``LocalCluster`` of
   ``--workers`` worker processes (one thread each) through the scheduler's TCP address: wall time
   per stage, the client's peak RSS (the scheduler runs in that process too) and each worker's
   (``client.run`` + ``resource.getrusage``), and the task stream: compute seconds per kind of task
   and the seconds spent moving data between workers;
4. checks that both ``report.json`` files are byte-identical, and prints the per-unit costs
   measured in this run and what they imply for 100 M paragraphs on 50 workers.

    python benchmarks/bench_dask.py                       # 600,000 paragraphs, 2 workers
    python benchmarks/bench_dask.py --paragraphs 100000 --partition-paragraphs 10000
    python benchmarks/bench_dask.py --skip-local          # the Dask run only
    python benchmarks/bench_dask.py --skip-local --against ../base/src --rounds 3   # an A/B of the Dask engine

``--against SRC`` runs the Dask audit with chachong imported from another ``src`` folder (a worktree of
the previous commit) before each of this one's, ``--rounds`` times, and prints each round's wall, CPU
and client seconds, their medians, the per-round ratios and whether the reports are byte-identical:
on a small shared machine the same code's wall time moves by a quarter between spells, so only
interleaved rounds compare two versions.

Timings on a shared machine move with its load: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

_LOCAL = r"""
import json, resource, sys, time
from chachong.api import audit
from chachong.report.json import dumps
from chachong.runtime.fsio import atomic_write_text
t0 = time.perf_counter()
marks = {}
r = audit(json.loads(sys.argv[1]), progress=lambda s: marks.setdefault(s, time.perf_counter() - t0))
marks["end"] = time.perf_counter() - t0
atomic_write_text(sys.argv[2], dumps(r))
u, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": marks["end"], "marks": marks, "peak": u.ru_maxrss * 1024,
                  "cpu": u.ru_utime + u.ru_stime + c.ru_utime + c.ru_stime,
                  "paragraph_pairs": len(r.paragraph_pair_records), "document_pairs": len(r.document_pair_records)}))
"""

_DASK = r"""
import json, logging, resource, sys, time
import chachong  # first, as the command line imports it: numpy's sorts are chosen before distributed loads numpy
from collections import defaultdict
from dask.utils import key_split
from distributed import Client, get_task_stream
from chachong.engine.dask.cluster import local_cluster
from chachong.engine.dask.engine import audit_dask
from chachong.report.json import dumps
from chachong.runtime.fsio import atomic_write_text

def peak():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

def cpu():
    import resource
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime

def vm():
    # the client's (current, peak) resident memory when a stage starts, from /proc
    got = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            got[line.split(":")[0]] = int(line.split()[1]) * 1024
    return [got.get("VmRSS", 0), got.get("VmHWM", 0)]

if __name__ == "__main__":
    path, out, workers, part = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sized = {"partition_paragraphs": part} if part else {}  # 0: the engine's own default (partition_size)
    cluster = local_cluster(workers, silence_logs=logging.ERROR)  # as audit_dask starts one
    client = Client(cluster.scheduler_address)  # through TCP, as with --scheduler
    idle = client.run(peak)
    cpu0 = client.run(cpu)
    stats = {}
    t0 = time.perf_counter()
    marks, at = {}, {}

    rss = {}

    def say(stage):
        marks.setdefault(stage, time.perf_counter() - t0)
        at.setdefault(stage, time.time())
        rss.setdefault(stage, vm())

    with get_task_stream(client) as ts:
        r = audit_dask(json.loads(path), client=client, stats=stats, progress=say, **sized)
    marks["end"] = time.perf_counter() - t0
    at["end"] = time.time()
    rss["end"] = vm()
    atomic_write_text(out, dumps(r))
    # task seconds per stage (by when they ran) and per kind of task
    windows = sorted(at.items(), key=lambda kv: kv[1])
    def stage_of(t):
        name = windows[0][0]
        for n, w in windows:
            if t >= w:
                name = n
        return name
    compute = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    transfer = defaultdict(lambda: [0.0, 0])
    for t in ts.data:
        for s in t.get("startstops", ()):
            stage = stage_of(s["start"])
            if s["action"] == "compute":
                c = compute[stage][key_split(t["key"])]
                c[0] += s["stop"] - s["start"]
                c[1] += 1
            elif s["action"] == "transfer":
                transfer[stage][0] += s["stop"] - s["start"]
                transfer[stage][1] += 1
    print(json.dumps({"wall": marks["end"], "marks": marks, "client_peak": peak(), "worker_peaks": client.run(peak),
                      "client_cpu": cpu(), "worker_cpu": {k: v - cpu0.get(k, 0) for k, v in client.run(cpu).items()},
                      "worker_idle": idle, "stats": stats, "client_rss": rss, "compute": compute, "transfer": transfer,
                      "paragraph_pairs": len(r.paragraph_pair_records), "document_pairs": len(r.document_pair_records)}))
    client.close()
    cluster.close()
"""


def write_corpus(n: int, seed: int, folder: Path, shards: int) -> None:
    sys.path.insert(0, str(HERE))
    import synth

    corpus = synth.generate(n, seed)
    folder.mkdir(parents=True, exist_ok=True)
    docs = corpus.documents
    per = -(-len(docs) // shards)
    for i in range(shards):
        chunk = docs[i * per:(i + 1) * per]
        lines = "".join(json.dumps({"title": d["title"], "text": synth.body(d)}, ensure_ascii=False) + "\n"
                        for d in chunk)
        tmp = folder / f".part-{i:03d}.jsonl.tmp"
        tmp.write_text(lines, encoding="utf-8")
        tmp.replace(folder / f"part-{i:03d}.jsonl")


def widened(corpus: Path, k: int) -> Path:
    """A copy of the JSONL corpus ``corpus`` (written once) whose paragraphs are each repeated ``k`` times."""
    out = OUT / f"{corpus.name}_w{k}"
    if (out / "files.txt").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    names = (corpus / "files.txt").read_text(encoding="utf-8").split() if (corpus / "files.txt").is_file() \
        else sorted(p.name for p in corpus.glob("*.jsonl"))
    for name in names:
        with open(corpus / name, encoding="utf-8") as src, open(out / f".{name}.tmp", "w", encoding="utf-8") as dst:
            for line in src:
                d = json.loads(line)
                d["text"] = "\n".join(par * k if par.strip() else par for par in d["text"].split("\n"))
                dst.write(json.dumps(d, ensure_ascii=False) + "\n")
        (out / f".{name}.tmp").replace(out / name)
    (out / "files.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    return out


def run(code: str, *args: str, src: str | None = None) -> dict:
    """``code`` in a fresh process; with ``src``, importing chachong from that folder (PYTHONPATH)."""
    env = None
    if src is not None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", code, *args], check=False, capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"run failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare_rounds(runs: dict[str, list[dict]], base: Path | None) -> None:
    """Each round's wall and CPU seconds per version, their medians and (with --against) the ratios."""
    if len(runs["current"]) < 2 and not runs["against"]:
        return

    def cpu(r: dict) -> float:
        return r["client_cpu"] + sum(r["worker_cpu"].values())

    def joined(values) -> str:
        return " / ".join(f"{v:.1f}" for v in values)

    for name, got in runs.items():
        if got:
            walls = [r["wall"] for r in got]
            print(f"{name:<8} wall {joined(walls)} s (median {statistics.median(walls):.1f}), CPU "
                  f"{joined(cpu(r) for r in got)} s, client+scheduler {joined(r['client_cpu'] for r in got)} s")
            for r in got:
                print(f"           {r['wall']:.1f} s: {stages(r['marks'])}")
    if runs["against"]:
        ratios = [c["wall"] / a["wall"] for c, a in zip(runs["current"], runs["against"])]
        same = base is not None and (base / "dask.json").read_bytes() == (base / "dask_against.json").read_bytes()
        print(f"current / against, per round: {' / '.join(f'{x:.2f}' for x in ratios)} "
              f"(median {statistics.median(ratios):.2f}); the last rounds' report.json byte-identical: {same}")


def mb(x: float) -> str:
    return f"{x / 2**20:,.0f} MB"


def stages(marks: dict) -> str:
    names = list(marks)
    return ", ".join(f"{a} {marks[b] - marks[a]:.1f}" for a, b in itertools.pairwise(names))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paragraphs", type=int, default=600_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partition-paragraphs", type=int, default=0,
                    help="paragraphs per partition; 0 (the default): the engine's own (partitions.partition_size)")
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--skip-dask", action="store_true",
                    help="the local run only, compared with the dask.json of an earlier run (the CPUs are few)")
    ap.add_argument("--corpus", type=Path, default=None,
                    help="a folder of input files to audit instead of the JSONL shards (e.g. benchmarks/out/corpus_600000_s1)")
    ap.add_argument("--against", type=Path, default=None,
                    help="a src folder (e.g. a worktree's src of the previous commit): its Dask run alternates with "
                         "this one's, round by round, and the walls, CPU and per-round ratios are compared")
    ap.add_argument("--rounds", type=int, default=1,
                    help="Dask runs (each after one of --against's when given); medians and each round's figures")
    ap.add_argument("--widen", type=int, default=1,
                    help="with --corpus: audit a copy whose every paragraph is repeated this many times in place "
                         "(the same documents and paragraphs, K times the characters): how the client's memory "
                         "grows with characters")
    args = ap.parse_args(argv)
    if args.widen > 1:
        if args.corpus is None:
            ap.error("--widen needs --corpus")
        args.corpus = widened(args.corpus.resolve(), args.widen)

    base = OUT / f"dask_{args.paragraphs}_s{args.seed}"
    corpus = base / "corpus"
    if args.corpus is not None:
        corpus = args.corpus.resolve()
        base = OUT / f"dask_{corpus.name}"
        base.mkdir(parents=True, exist_ok=True)
    elif not (corpus / f"part-{args.shards - 1:03d}.jsonl").is_file():
        t = time.perf_counter()
        write_corpus(args.paragraphs, args.seed, corpus, args.shards)
        print(f"corpus written in {time.perf_counter() - t:.0f} s: {corpus}")
    listed = corpus / "files.txt"  # benchmarks/bench_audit.py's corpora list their files (no truth.json)
    files = [corpus / n for n in listed.read_text(encoding="utf-8").split()] if listed.is_file() else [corpus]
    inputs = json.dumps([str(f) for f in files])
    size = sum(p.stat().st_size for p in corpus.glob("*.jsonl"))
    what = f"{corpus}" if args.corpus else f"{args.paragraphs:,} paragraphs (synth seed {args.seed}), {args.shards} JSONL shards"
    print(f"corpus: {what}, {mb(size)}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    local = None
    if not args.skip_local:
        local = run(_LOCAL, inputs, str(base / "local.json"))
        print(f"local: {local['wall']:.1f} s wall, {local['cpu']:.1f} s CPU (with its forks), peak RSS {mb(local['peak'])}"
              f"  ({stages(local['marks'])})")
    if args.skip_dask:
        if local is not None and (base / "dask.json").is_file():
            same = (base / "local.json").read_bytes() == (base / "dask.json").read_bytes()
            print(f"report.json byte-identical to the earlier Dask run's: {same}")
        return 0
    runs: dict[str, list[dict]] = {"against": [], "current": []}
    for _ in range(max(1, args.rounds)):  # interleaved: a slow spell of the machine hits both
        if args.against is not None:
            runs["against"].append(run(_DASK, inputs, str(base / "dask_against.json"), str(args.workers),
                                       str(args.partition_paragraphs), src=str(args.against.resolve())))
        runs["current"].append(run(_DASK, inputs, str(base / "dask.json"), str(args.workers),
                                   str(args.partition_paragraphs)))
    dask = runs["current"][-1]
    compare_rounds(runs, base if args.against is not None else None)
    peaks = ", ".join(f"{mb(v)} (idle {mb(dask['worker_idle'][k])})" for k, v in sorted(dask["worker_peaks"].items()))
    wcpu = sum(dask["worker_cpu"].values())
    print(f"dask:  {dask['wall']:.1f} s wall, {dask['client_cpu'] + wcpu:.1f} s CPU (client+scheduler "
          f"{dask['client_cpu']:.1f}, workers {wcpu:.1f}), client+scheduler peak RSS {mb(dask['client_peak'])}, "
          f"worker peaks {peaks}  ({stages(dask['marks'])})")
    print("  client RSS when each stage starts (current / peak so far): "
          + ", ".join(f"{k} {mb(v[0])}/{mb(v[1])}" for k, v in dask["client_rss"].items()))
    # the client holds outlines, pairs and per-pair results; the texts go to a temporary file
    # (runtime/textfile.py) a partition at a time while the workers align, and are read back when used
    before = dask["client_rss"].get("documents", [0, 0])[1]
    peak = dask["client_peak"]
    n_docs, n_pars = max(dask["stats"].get("documents", 1), 1), max(dask["stats"].get("paragraphs", 1), 1)
    print(f"  client peak when the alignment ends (the texts fetched meanwhile): {mb(before)}; "
          f"over the whole run (report.json written): "
          f"{mb(peak)} = {peak / n_docs / 1024:.1f} KB per document, {peak / n_pars:.0f} B per paragraph, "
          f"{peak / max(size, 1):.2f} B per byte of input")
    if local is not None:
        same = (base / "local.json").read_bytes() == (base / "dask.json").read_bytes()
        print(f"report.json byte-identical: {same}  ({dask['paragraph_pairs']:,} paragraph pairs, "
              f"{dask['document_pairs']:,} document pairs)")
        print(f"dask / local wall: {dask['wall'] / local['wall']:.2f}")

    st = dask["stats"]
    comp = dask["compute"]
    total = sum(v[0] for per in comp.values() for v in per.values())
    moved = sum(v[0] for v in dask["transfer"].values())
    print(f"\ntask seconds on the workers: {total:.1f} s computing, {moved:.1f} s moving data between workers")
    for stage, per in comp.items():
        sec = sum(v[0] for v in per.values())
        top = sorted(per.items(), key=lambda kv: -kv[1][0])[:6]
        tasks = sum(v[1] for v in per.values())
        print(f"  {stage:<10} {sec:7.1f} s compute in {tasks:,} tasks, {dask['transfer'].get(stage, [0, 0])[0]:6.1f} s transfer: "
              + ", ".join(f"{k} {v[0]:.1f}" for k, v in top))
    print(f"counts: {json.dumps(st)}")
    # boilerplate and stock phrases: one mine_stock task before the phrases were mined by partition
    stock: dict[str, list] = {}
    for per in comp.values():
        for k, v in per.items():
            if k.startswith(("phrase_", "mine_stock")):
                got = stock.setdefault(k, [0.0, 0])
                got[0] += v[0]
                got[1] += v[1]
    if stock:
        print(f"stock phrases + boilerplate: {sum(v[0] for v in stock.values()):.1f} s of tasks ("
              + ", ".join(f"{k} {v[0]:.1f} s x{v[1]}" for k, v in sorted(stock.items(), key=lambda kv: -kv[1][0]))
              + ")" + (f"; the stock task received {st['stock_task']['received_bytes'] / 2**20:,.1f} MB of windows"
                       if "stock_task" in st else ""))

    def sec(*prefixes: str) -> float:
        return sum(v[0] for per in comp.values() for k, v in per.items() if k.startswith(prefixes))

    shuffle = ("shuffle", "p2p", "rearrange", "set_partitions", "assign", "operation", "sort_index", "getitem",
               "from-delayed", "from_pandas", "to_delayed", "finalize", "len")
    pars = st.get("paragraphs", args.paragraphs)
    units = {
        "read (per 10k paragraphs)": sec("read_file", "list_input", "paragraph_counts") / pars * 1e4,
        "normalise+sign (per 10k paragraphs)": sec("make_part") / pars * 1e4,
        "pair and sample rows + bucket reduce (per 10k paragraphs)": sec("pair_rows", "sample_rows", "bucket_")
        / pars * 1e4,
        "shuffle machinery, all shuffles (per 10k paragraphs)": sec(*shuffle) / pars * 1e4,
        "candidate filters (per 1k proposed pairs)": sec("filter_") / max(st.get("proposed_pairs", 0), 1) * 1e3,
        "exact verification (per 1k candidates)": sec("verify_") / max(st.get("candidates", 0), 1) * 1e3,
        "document Jaccards (per 1k document pairs)": sec("doc_") / max(st.get("linked_document_pairs", 0), 1) * 1e3,
        "fingerprints + seed hits (per 10k paragraphs)": sec("part_fingerprints", "fingerprint", "hits_") / pars * 1e4,
        "alignment (per 1k document pairs)": sec("align_") / max(st.get("document_pairs_aligned", 0), 1) * 1e3,
    }
    print("\nper-unit costs, task seconds on one worker thread:")
    for k, v in units.items():
        print(f"  {k:<55} {v:8.3f} s")
    linear = sum(v for k, v in units.items() if "per 10k paragraphs" in k)
    est = linear * (100e6 / 1e4) / 50
    pair_work = {k: v for k, v in units.items() if "per 1k" in k}
    print(f"stages linear in the corpus: {linear:.2f} s per 10k paragraphs -> 100 M paragraphs on 50 single-thread "
          f"workers: {est / 60:.0f} min of tasks per worker. The per-pair stages ({', '.join(pair_work)}) grow with "
          "the number of proposed pairs and aligned document pairs, which depends on the corpus (compare the counts "
          "of two runs of different sizes); the client-side stages (phrases, merging) are not included.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
