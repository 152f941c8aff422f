"""Byte-identity of chachong's outputs between two versions of the code (a refactor proves itself here).

Runs the same cases with the code under ``--src`` (a checkout's ``src`` folder, put first on
``PYTHONPATH``), writes every output under ``--out/<label>/`` and prints one SHA-256 per output.
With ``--against OLD_SRC`` it runs the cases with both versions and compares the files byte for byte.

Cases (each skipped when its input is absent):

- ``seed``: ``../shared/corpus/000_*.txt`` (the seed compilation), ``chachong audit`` with
  ``--engine local`` and ``--engine dask``, report.json, the CSV tables, report.md and report.html;
- ``city``: the 143 city reports of ``../shared/corpus/gwr_city_2024/``, both engines;
- ``synth``: a ``synth.generate(--paragraphs, seed 1)`` JSONL corpus, both engines;
- ``rethreshold``: ``result.rethreshold(threshold=0.7, min_span=20).to_json()`` and a lower threshold
  (0.5) on the seed, the city reports and the synthetic corpus;
- ``check``: an index built by each version from the city reports but the last ten (an index's
  format may change between versions: ``chachong.index/2`` cannot be read by the code of
  ``/1`` nor the other way round), then ``chachong check`` of those ten and of the bundled examples
  against it with ``--format md``, ``json`` and ``junit`` (exit codes kept).

    python benchmarks/identity.py --src src --against ../baseline/src            # everything
    python benchmarks/identity.py --src src --cases seed,check --no-dask         # a quick look
    python benchmarks/identity.py --src ../baseline/src --label old; ...; python benchmarks/identity.py --compare old new

The cases run from one working folder (``--out``) with the same relative paths, because a report
names its sources as they were given.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "corpus"
CASES = ("seed", "city", "synth", "rethreshold", "check")

_RETHRESHOLD = r"""
import sys
import chachong

r = chachong.audit(sys.argv[1:-1] if len(sys.argv) > 3 else [sys.argv[1]])
out = sys.argv[-1]
open(out + "/first.json", "w", encoding="utf-8").write(r.to_json())
open(out + "/stricter.json", "w", encoding="utf-8").write(r.rethreshold(threshold=0.7, min_span=20).to_json())
open(out + "/lower.json", "w", encoding="utf-8").write(r.rethreshold(threshold=0.5).to_json())
"""


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src.resolve()) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("CI", None)
    return env


def _run(src: Path, cwd: Path, args: list[str], stdout: Path | None = None) -> int:
    t0 = time.perf_counter()
    with open(stdout, "wb") if stdout else open(os.devnull, "wb") as out:
        rc = subprocess.run([sys.executable, *args], cwd=cwd, env=_env(src), stdout=out,
                            stderr=subprocess.PIPE).returncode
    print(f"    {time.perf_counter() - t0:6.1f} s  rc {rc}  {' '.join(args[:6])}", file=sys.stderr)
    return rc


def _inputs(work: Path, paragraphs: int) -> dict[str, str]:
    """Relative paths (from ``work``) of each case's input, made or linked once."""
    found: dict[str, str] = {}
    seed = sorted(SHARED.glob("000_*.txt")) if SHARED.is_dir() else []
    if seed:
        link = work / "seed.txt"
        if not link.exists():
            link.symlink_to(seed[0])
        found["seed"] = "seed.txt"
    city = SHARED / "gwr_city_2024"
    if city.is_dir():
        link = work / "city"
        if not link.exists():
            link.symlink_to(city)
        found["city"] = "city"
    synth = work / f"synth{paragraphs}.jsonl"
    if not synth.exists():
        sys.path.insert(0, str(HERE))
        from synth import generate, write_jsonl

        write_jsonl(generate(paragraphs, seed=1), str(synth))
    found["synth"] = synth.name
    return found


def run_version(label: str, src: Path, work: Path, cases: set[str], dask: bool, paragraphs: int) -> Path:
    out = work / label
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    inputs = _inputs(work, paragraphs)
    print(f"== {label}: {src}", file=sys.stderr)
    for name in ("seed", "city", "synth"):
        if name not in cases or name not in inputs:
            continue
        for engine in ("local", "dask") if dask else ("local",):
            target = out / f"{name}_{engine}"
            _run(src, work, ["-m", "chachong", "audit", inputs[name], "-o", str(target.relative_to(work)),
                             "--format", "json,csv,md,html", "--no-progress", "--engine", engine,
                             *(["--workers", "2"] if engine == "dask" else [])])
    if "rethreshold" in cases:
        for name in ("seed", "city", "synth"):
            if name in inputs:
                target = out / f"rethreshold_{name}"
                target.mkdir()
                _run(src, work, ["-c", _RETHRESHOLD, inputs[name], str(target)])
    if "check" in cases and "city" in inputs:
        target = out / "check"
        target.mkdir()
        files = sorted(p.name for p in (work / inputs["city"]).iterdir() if p.suffix == ".txt")
        refs, new = files[:-10], files[-10:]
        index = work / "index.db"
        for stale in (index, Path(f"{index}-wal"), Path(f"{index}-shm")):
            stale.unlink(missing_ok=True)
        if not index.exists():  # built by this version (the reports name it, so one name for both)
            refdir = work / "city_refs"
            refdir.mkdir(exist_ok=True)
            for f in refs:
                if not (refdir / f).exists():
                    (refdir / f).symlink_to((work / inputs["city"] / f).resolve())
            _run(src, work, ["-m", "chachong", "index", "build", index.name, refdir.name])
        news = [f"{inputs['city']}/{f}" for f in new]
        examples = [str(REPO / "examples" / f) for f in ("copied_submission.txt", "fresh_submission.txt")]
        for fmt in ("md", "json", "junit", "text"):
            for i, group in enumerate((news, examples)):
                stdout = target / f"check{i}.{fmt}"
                rc = _run(src, work, ["-m", "chachong", "check", *group, "--index", index.name,
                                      "--format", fmt, "--max-copy-ratio", "0.3"], stdout=stdout)
                (target / f"check{i}.{fmt}.rc").write_text(f"{rc}\n")
    return out


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", type=Path, default=REPO / "src", help="the code to run (a src folder)")
    ap.add_argument("--against", type=Path, default=None, help="an older src folder to compare with")
    ap.add_argument("--label", default="new", help="folder name of --src's outputs")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="only compare two labels' outputs")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "identity")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--paragraphs", type=int, default=100_000, help="size of the synthetic case")
    ap.add_argument("--no-dask", action="store_true", help="local engine only")
    args = ap.parse_args(argv)
    cases = set(args.cases.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out.resolve()
    dask = not args.no_dask
    if args.compare:
        old, new = (work / label for label in args.compare)
    else:
        if args.against:
            old = run_version("old", args.against, work, cases, dask, args.paragraphs)
        new = run_version(args.label, args.src, work, cases, dask, args.paragraphs)
        for name, h in digests(new).items():
            print(f"{h}  {name}")
        if not args.against:
            return 0
    a, b = digests(old), digests(new)
    differ = sorted(n for n in a.keys() | b.keys()
                    if n not in a or n not in b or not filecmp.cmp(old / n, new / n, shallow=False))
    print(f"{len(b)} files compared: {'all byte-identical' if not differ else f'{len(differ)} differ'}")
    for n in differ:
        print(f"DIFFERS: {n}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
