"""Where the memory of a local audit goes (issue 21): the documents' bytes per paragraph, and each stage's peak.

For each size (synthetic corpora of ``synth.generate``, seed 1, made once under ``benchmarks/out/``)
a fresh child process with ``--src`` first on ``PYTHONPATH``

- reads and splits the corpus (``stages.load.load_documents``) and prints what the documents hold:
  the bytes still allocated once it returns (``tracemalloc``, after a collection: every object the
  documents keep, nothing freed, nothing of the allocator's own) per paragraph, and of that the
  texts' own share (``sys.getsizeof`` of each document's text, the UCS-2 or UCS-4 string Python keeps);
- with ``--stages``, audits it (``chachong.audit``, the default workers, ``--memory-limit`` and
  ``--work-dir`` passed on) and prints per stage of the progress callback (``read``, ``sign``,
  ``pair``, ``cluster``, ``align``, ``documents``, ``phrases``) its end in seconds, RssAnon at its end
  and the highest RssAnon sampled every 50 ms while it ran (the main process; forked workers apart),
  then VmHWM and the largest forked worker's peak. The last column is the highest sum of Pss_Anon of
  the main process and its forked children (sampled every 0.2 s): what the audit takes of the machine
  while a fork runs, shared pages counted once (``runtime.workdir.FORK_BYTES_PER_CHAR`` comes from it).

    nice python benchmarks/memory.py --sizes 600000 --stages
    nice python benchmarks/memory.py --sizes 600000 --src ../base/src     # another version's documents

CPU is shared: the seconds vary with the load; the megabytes do not much.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from procfs import children, proc_kb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _mb(field: str, pid: int | str = "self", file: str = "status") -> float:
    return proc_kb(field, pid, file) / 1024


def _pss_anon_mb(pid: int | str = "self") -> float:
    return _mb("Pss_Anon", pid, "smaps_rollup")


def documents(n: int) -> dict:
    import gc
    import tracemalloc

    from chachong.config import AuditConfig
    from chachong.stages.load import load_documents

    from bench_audit import ensure_corpus

    paths = ensure_corpus(n, 1)
    gc.collect()
    tracemalloc.start()
    docs, _, _ = load_documents(paths, AuditConfig())
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    paragraphs = sum(len(d.paragraphs) for d in docs)
    texts = sum(sys.getsizeof(d.text) for d in docs) / 2**20
    return {"documents": len(docs), "paragraphs": paragraphs, "chars": sum(len(d.text) for d in docs),
            "held_mb": round(held, 1), "bytes_per_paragraph": round(held * 2**20 / max(paragraphs, 1)),
            "texts_mb": round(texts, 1), "text_bytes_per_paragraph": round(texts * 2**20 / max(paragraphs, 1))}


def stages(n: int, args) -> dict:
    import resource

    import chachong
    from bench_audit import ensure_corpus

    paths = ensure_corpus(n, 1)
    spill = {} if args.memory_limit is None else {"memory_limit": args.memory_limit}
    if args.work_dir:
        spill["work_dir"] = args.work_dir
    current, peaks, ends, together = ["start"], {}, [], {}
    done = threading.Event()

    def sample() -> None:
        tick = 0
        while not done.wait(0.05):
            peaks[current[0]] = max(peaks.get(current[0], 0.0), _mb("RssAnon"))
            tick += 1
            if tick % 4 == 0:
                total = _pss_anon_mb() + sum(_pss_anon_mb(c) for c in children())
                together[current[0]] = max(together.get(current[0], 0.0), total)

    t0 = time.perf_counter()

    def progress(stage: str) -> None:
        ends.append((current[0], round(time.perf_counter() - t0, 1), round(_mb("RssAnon"))))
        current[0] = stage

    threading.Thread(target=sample, daemon=True).start()
    result = chachong.audit([str(p) for p in paths], progress=progress, **spill)
    result_chars = result.corpus.cps.size  # canonical characters, as workdir.fork_fits counts them
    progress("end")  # the phrases stage ends when the audit returns its record, still held here
    del result
    done.set()
    return {"stages": [{"stage": s, "end_s": t, "anon_mb": a, "peak_anon_mb": round(peaks.get(s, a)),
                        "with_forks_mb": round(together[s]) if s in together else None}
                       for s, t, a in ends if s != "start"],
            "chars": int(result_chars),
            "vmhwm_mb": round(_mb("VmHWM")),
            "fork_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="600000")
    ap.add_argument("--stages", action="store_true", help="audit too, with each stage's peak")
    ap.add_argument("--memory-limit", type=float, help="the audit's memory_limit in GiB (0: spill always)")
    ap.add_argument("--work-dir", help="the audit's work_dir")
    ap.add_argument("--src", default=str(ROOT / "src"))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(HERE))
        what, n = args.child[0], int(args.child[1])
        print(json.dumps(documents(n) if what == "documents" else stages(n, args)))
        return 0
    env = dict(os.environ, PYTHONPATH=str(Path(args.src).resolve()))
    for n in (int(s) for s in args.sizes.split(",")):
        for what in ("documents", "stages") if args.stages else ("documents",):
            cmd = [sys.executable, __file__, "--child", what, str(n)]
            if args.memory_limit is not None:
                cmd += ["--memory-limit", str(args.memory_limit)]
            if args.work_dir:
                cmd += ["--work-dir", args.work_dir]
            run = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if run.returncode:
                sys.stderr.write(run.stderr)
                raise SystemExit(f"the {what} run of {n} failed")
            f = json.loads(run.stdout.strip().splitlines()[-1])
            if what == "documents":
                print(f"{n}: {f['documents']} documents, {f['paragraphs']} paragraphs, {f['chars']} characters; "
                      f"the documents hold {f['held_mb']} MB = {f['bytes_per_paragraph']} bytes a paragraph "
                      f"(their texts {f['texts_mb']} MB = {f['text_bytes_per_paragraph']} bytes a paragraph)")
                continue
            print(f"{n}: audit, RssAnon of the main process per stage (MB)")
            print(f"  {'stage':10}{'ends at s':>11}{'at end':>9}{'peak':>9}{'with forks':>12}")
            for s in f["stages"]:
                print(f"  {s['stage']:10}{s['end_s']:>11.1f}{s['anon_mb']:>9}{s['peak_anon_mb']:>9}"
                      f"{'-' if s['with_forks_mb'] is None else s['with_forks_mb']:>12}")
            print(f"  VmHWM {f['vmhwm_mb']} MB; largest forked worker {f['fork_mb']} MB; "
                  f"{f['chars']:,} canonical characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
