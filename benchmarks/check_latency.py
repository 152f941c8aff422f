"""Latency of the CI gate: `chachong check` of one 3,000-character document against an index
of 100,000 paragraphs (or ``--paragraphs 1000000``), the whole process from start to exit,
median of several runs; and the index's size in bytes per indexed character.

Targets: median <= 1.0 s with the SQLite index, at 100,000 and at 1,000,000 paragraphs; the
index file <= 4 bytes per character of indexed text. The same run measures the floor a CI run cannot
go under (Python starting and importing chachong's check path) so the figure can be read on a
loaded machine, and confirms that neither pandas nor jieba is imported on the check path.

The reference corpus comes from ``synth.generate`` (seeded word salad with planted near-duplicates
and stock phrases); the new document is fresh text from another seed with two paragraphs copied
from two indexed documents (one verbatim, one with its figures changed), so the check has real
candidates to pull, align and report (it exits 1). The index is cached between runs in
``--work`` (default ``benchmarks/out/check_latency``; built once: ~1 min at 100,000
paragraphs, several at 1,000,000); ``--rebuild`` makes it again.

    python benchmarks/check_latency.py [--paragraphs 100000] [--runs 7] [--work DIR]
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGET_SECONDS = 1.0
TARGET_BYTES_PER_CHAR = 4.0


_PART_BYTES = 200 << 20  # one input file stays under the 256 MiB a file may have (--max-file-mb)


def _write_references(folder: Path, paragraphs: int, seed: int) -> list[Path]:
    """The reference corpus as JSONL files of at most 200 MB: references.jsonl, or references.NN.jsonl."""
    from synth import generate, write_jsonl

    path = folder / "references.jsonl"
    write_jsonl(generate(paragraphs, seed=seed), str(path))
    if path.stat().st_size <= _PART_BYTES:
        return [path]
    parts: list[Path] = []
    out = None
    with path.open("rb") as fh:
        for line in fh:
            if out is None or out.tell() + len(line) > _PART_BYTES:
                if out is not None:
                    out.close()
                parts.append(folder / f"references.{len(parts) + 1:02d}.jsonl")
                out = parts[-1].open("wb")
            out.write(line)
    if out is not None:
        out.close()
    path.unlink()
    return parts


def _references(folder: Path) -> list[Path]:
    whole = folder / "references.jsonl"
    return [whole] if whole.exists() else sorted(folder.glob("references.[0-9][0-9].jsonl"))


def _new_document(folder: Path, references: Path, seed: int) -> Path:
    """About 3,000 characters: fresh paragraphs, one copied verbatim, one with changed figures."""
    import json

    from synth import generate

    fresh = generate(200, seed=seed + 1000, dup_fraction=0.0)
    refs = [json.loads(line) for _, line in zip(range(400), references.open(encoding="utf-8"))]
    copied = [refs[37]["text"].split("\n")[2], re.sub(r"\d+", "77", refs[301]["text"].split("\n")[4])]
    paras: list[str] = []
    for doc in fresh.documents:
        for p in doc["paragraphs"]:
            if sum(map(len, paras + copied)) + len(p) > 3000:
                break
            paras.append(p)
    paras[2:2] = copied[:1]
    paras[6:6] = copied[1:]
    path = folder / "new_submission.txt"
    text = "城西片区2024年工作总结\n" + "\n".join(paras) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def _run(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t, proc


def _cpu(cmd: list[str]) -> float:
    """CPU seconds (user + system) of one run: what the check costs whatever else the machine does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paragraphs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=HERE / "out" / "check_latency")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args(argv)

    from chachong.index.index import Index

    work = args.work / f"p{args.paragraphs}-s{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "refs.db"
    refs = _references(work)
    if args.rebuild or not db.exists() or not refs:
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            p.unlink(missing_ok=True)
        t = time.perf_counter()
        refs = _write_references(work, args.paragraphs, args.seed)
        t_gen = time.perf_counter() - t
        t = time.perf_counter()
        Index.build(db, refs)
        print(f"reference corpus generated in {t_gen:.1f} s, indexed in {time.perf_counter() - t:.1f} s "
              f"(peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB)")
    with Index.open(db) as idx:
        info = idx.info()
        chars = sum(d.chars for d in idx.documents())
    new = _new_document(work, refs[0], args.seed)
    per_char = info["bytes"] / max(chars, 1)
    print(f"index: {info['documents']} documents, {info['paragraphs']} paragraphs "
          f"({info['indexed_paragraphs']} indexed), {chars:,} characters, {info['bytes'] / 1e6:.1f} MB: "
          f"{per_char:.2f} bytes per character (target <= {TARGET_BYTES_PER_CHAR:.0f}); "
          f"new document: {len(new.read_text(encoding='utf-8')) - 1} characters")

    check = [sys.executable, "-m", "chachong", "check", str(new), "--index", str(db), "--format", "json"]
    floor = [sys.executable, "-c", "import chachong.cli, chachong.index.check"]
    bare = [sys.executable, "-c", "pass"]
    _run(check)  # warm the page cache and the bytecode cache: CI runners reuse both between commits
    times, floors, bares = [], [], []
    last = None
    for _ in range(args.runs):
        # interleaved, so a burst of load elsewhere hits all three alike
        dt, last = _run(check)
        times.append(dt)
        floors.append(_run(floor)[0])
        bares.append(_run(bare)[0])
    if last is None or last.returncode not in (0, 1):
        print(f"check failed (exit {last.returncode if last else '?'}): {last.stderr if last else ''}")
        return 2
    import json

    report = json.loads(last.stdout)
    doc = report["documents"][0]
    imports = subprocess.run([sys.executable, "-X", "importtime", "-m", "chachong", "check", str(new),
                              "--index", str(db)], capture_output=True, text=True, check=False).stderr
    heavy = sorted({m for m in ("pandas", "jieba") if re.search(rf"\|\s+{m}(\.|$)", imports, re.MULTILINE)})
    top = sum(int(m.group(1)) for m in re.finditer(r"^import time:\s+\d+ \|\s+(\d+) \| \S", imports, re.MULTILINE))
    med = statistics.median(times)
    print(f"check (exit {last.returncode}): copy ratio {doc['checked_copy_ratio']:.1%}, "
          f"{len(doc['matches'])} matches, {report['reference']['compared']} reference documents compared")
    print(f"whole process, {args.runs} runs: median {med:.3f} s (min {min(times):.3f}, max {max(times):.3f})")
    print(f"baseline in this run: python start {statistics.median(bares):.3f} s, "
          f"start + import chachong.cli/check {statistics.median(floors):.3f} s; "
          f"import time (-X importtime, top level) {top / 1e6:.3f} s")
    print(f"check work above the import floor: {med - statistics.median(floors):.3f} s")
    cpu = statistics.median(_cpu(check) for _ in range(args.runs))
    print(f"CPU time (user + system) of the check process: median {cpu:.3f} s")
    print(f"pandas/jieba imported on the check path: {', '.join(heavy) if heavy else 'no'}")
    ok = med <= TARGET_SECONDS and not heavy and per_char <= TARGET_BYTES_PER_CHAR
    print(f"targets <= {TARGET_SECONDS:.1f} s and <= {TARGET_BYTES_PER_CHAR:.0f} bytes per character: "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
