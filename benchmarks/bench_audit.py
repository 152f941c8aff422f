"""Speed, memory and accuracy of ``chachong audit`` at corpus scale (issue 7).

One run of this script:

1. writes a seeded synthetic corpus once (``synth.generate`` -> ``benchmarks/out/corpus_<n>_s<seed>/
   corpus.jsonl``, one ``{"title", "text"}`` document per line) and reuses it afterwards;
2. runs the pipeline stage by stage in a fresh process, ``--repeat`` times: read (ingest + split),
   prepare (normalise, shingle, de-duplicate, sign), pairs (identical groups, LSH candidates,
   fingerprint candidates, verification), assemble+phrases (cluster, align, documents, phrases: the
   stock phrases are mined in a forked process meanwhile, as in `chachong audit`), write
   (JSON + CSV). Each stage reports wall and CPU seconds and its peak RSS: the kernel's VmHWM, reset
   at the start of the stage (``/proc/self/clear_refs``), and VmRSS of the process and any children
   sampled every 10 ms. Sub-stages are timed by wrapping the module functions the stage calls
   (``chachong.stages.prepare.signatures``, ``chachong.stages.candidates.candidates`` ...) in this process only: the real
   code path runs once, nothing under ``src/`` is changed;
3. times ``chachong audit corpus.jsonl -o DIR --format json,csv`` as a subprocess, ``--repeat`` times
   (wall; peak RSS from ``wait4`` and the sampled RSS of its process tree);
4. with ``--exact``: recall and precision of chachong's verified paragraph pairs (``find_pairs`` run
   with ``threshold=t``, its pairs with Jaccard >= t, *before* stock paragraphs are set apart) against
   an exact all-pairs Jaccard join (``exact_pairs.py``) at t = 0.8 and 0.5;
5. with ``--baseline``: datasketch the ordinary way on the same paragraphs and shingles
   (``MinHash.update_batch`` with shared permutations, ``MinHashLSH`` with default parameters, insert
   all, query each), its time and recall, and the ratios chachong / baseline.

It prints tables and writes every figure to ``benchmarks/out/bench_<n>.json``. Every run is killed
when a stage passes ``--timeout`` seconds (the whole run ``--run-timeout``) or the run passes
``--mem-limit-gb`` of RSS, and the stage it was in is named.

    python benchmarks/bench_audit.py --paragraphs 100000 --repeat 3 --exact --baseline
    python benchmarks/bench_audit.py --paragraphs 600000 --repeat 3 --profile
    python benchmarks/bench_audit.py --growth benchmarks/out/bench_10000.json benchmarks/out/bench_600000.json
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import inspect
import itertools
import json
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
THRESHOLDS = (0.8, 0.5)
TARGETS = {  # issue 7
    "wall_600k_s": 60.0,
    "rss_600k_gb": 4.0,
    "wall_100k_s": 12.0,
    "recall": 0.99,
    "precision": 1.0,
    "speedup_vs_baseline": 8.0,
}
_J_EPS = 1e-12  # both sides compute Jaccard as inter / union in float64; compare with the same slack


# ------------------------------------------------------------------------------------------------
# memory: RSS of a process tree, sampled; VmHWM reset per stage


def _status_kb(pid: int | str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                out.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            pass
    return out


def _tree_sum(pid: int, read) -> int:
    """``read(pid)`` summed over ``pid`` and all its descendants (workers a stage may start count too)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += read(p)
        todo.extend(_children(p))
    return total


def tree_rss(pid: int) -> int:
    """Bytes of RSS of ``pid`` and all its descendants."""
    return _tree_sum(pid, lambda p: _status_kb(p, "VmRSS:") * 1024)


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_pss(pid: int) -> int:
    """Bytes of PSS of ``pid`` and its descendants: pages shared by a forked child and its parent
    count once (split between them), so this is the memory the process tree takes from the machine;
    the sum of RSS counts shared pages in every process that maps them."""
    return _tree_sum(pid, _pss)


class Sampler(threading.Thread):
    """Samples the RSS of a process tree every ``interval`` s, keeping the peak per label.

    With ``stacks=True`` (profiling) it also counts the line the main thread is executing, both the
    innermost line and the innermost line inside chachong: a statistical line profiler with no
    dependency and little overhead.
    """

    def __init__(self, pid: int, interval: float = 0.01, stacks: bool = False,
                 status_file: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.stacks, self.status_file = pid, interval, stacks, status_file
        self.label = ""
        self.trace: list[tuple] = []  # (seconds, label, RSS, chachong line when profiling) about once a second
        self.peak = 0
        self.pss_peak = 0  # sampled every 25th time: reading smaps walks the page tables
        self.footprint = 0  # what the memory limit guards: the larger of the process's RSS and the tree's PSS
        self.peaks: dict[str, int] = {}
        self.lines: Counter = Counter()
        self.chachong_lines: Counter = Counter()
        self.samples = 0
        self.sources: dict[str, list[str]] = {}  # read on first sample: others edit src/ during long runs
        self._halt = threading.Event()
        self._main = threading.main_thread().ident

    def run(self) -> None:
        t0, shown, next_trace = time.perf_counter(), None, 0.0
        count = 0
        while not self._halt.is_set():
            rss = tree_rss(self.pid)
            label = self.label
            self.peak = max(self.peak, rss)
            if count % 25 == 0:  # about 4 times a second: reading smaps takes ~5 ms per GB mapped
                self.pss_peak = max(self.pss_peak, tree_pss(self.pid))
            # forked children share their parent's pages: the RSS sum counts them twice, PSS once
            self.footprint = max(self.footprint, self.pss_peak, _status_kb(self.pid, "VmRSS:") * 1024)
            count += 1
            self.peaks[label] = max(self.peaks.get(label, 0), rss)
            if self.stacks:
                self._sample_stack(label)
            now = time.perf_counter() - t0
            if now >= next_trace:
                self.trace.append((round(now, 2), label, rss, self._where() if self.stacks else ""))
                next_trace = now + 1.0
            if self.status_file is not None and label and label != shown:
                # the parent reads this to name the (sub-)stage a killed run was in
                with contextlib.suppress(OSError):
                    self.status_file.write_text(label, encoding="utf-8")
                shown = label
            self._halt.wait(self.interval)

    def _sample_stack(self, label: str) -> None:
        frame = sys._current_frames().get(self._main)
        if frame is None:
            return
        self.samples += 1
        code = frame.f_code
        for f in (frame, frame.f_back):
            if f is not None and f.f_code.co_filename not in self.sources:
                self._remember(f.f_code.co_filename)
        self.lines[(label, code.co_filename, frame.f_lineno, code.co_name)] += 1
        f = frame
        while f is not None and "/chachong/" not in f.f_code.co_filename:
            f = f.f_back
        if f is not None:
            if f.f_code.co_filename not in self.sources:
                self._remember(f.f_code.co_filename)
            self.chachong_lines[(label, f.f_code.co_filename, f.f_lineno, f.f_code.co_name)] += 1

    def _where(self) -> str:
        """The line of chachong the main thread is in (to tell which line RSS grows in)."""
        f = sys._current_frames().get(self._main)
        while f is not None and "/chachong/" not in f.f_code.co_filename:
            f = f.f_back
        return f"{_short(f.f_code.co_filename)}:{f.f_lineno}" if f is not None else ""

    def _remember(self, path: str) -> None:
        try:
            self.sources[path] = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            self.sources[path] = []

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _reset_hwm() -> None:
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")


# ------------------------------------------------------------------------------------------------
# timing stages and sub-stages inside one worker process


class _Frame:
    __slots__ = ("c0", "child_cpu", "child_wall", "label", "t0")

    def __init__(self, label: str) -> None:
        self.label, self.t0, self.c0 = label, time.perf_counter(), time.process_time()
        self.child_wall = self.child_cpu = 0.0

    def elapsed(self) -> tuple[float, float]:
        return time.perf_counter() - self.t0, time.process_time() - self.c0


class Stages:
    """Times named stages; sub-stages are module functions wrapped for the duration of a stage.

    Sub-stage times are exclusive: a wrapped function called from another wrapped function is
    charged to itself only. What no wrapper covers is reported as ``(rest)``.
    """

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.rows: list[dict] = []
        self._subs: dict[str, dict] = {}
        self._stack: list[_Frame] = []

    @contextlib.contextmanager
    def stage(self, name: str, wrap: list[tuple[object, str, str]] = ()):
        patched = []
        for module, attr, label in wrap:
            fn = getattr(module, attr, None)
            if callable(fn):
                setattr(module, attr, self._wrapper(fn, label))
                patched.append((module, attr, fn))
        self._subs = {}
        self.sampler.label = name
        _reset_hwm()
        t0, c0 = time.perf_counter(), time.process_time()
        stopped = False
        try:
            yield self
        except BaseException:
            stopped = True
            raise
        finally:
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            for module, attr, fn in patched:
                setattr(module, attr, fn)
            self.sampler.label = ""
            hwm = _status_kb("self", "VmHWM:") * 1024
            sampled = max((v for k, v in self.sampler.peaks.items() if k == name or k.startswith(name + "/")),
                          default=0)
            subs = dict(self._subs)
            if subs:
                subs["(rest)"] = {"wall": max(wall - sum(s["wall"] for s in subs.values()), 0.0),
                                  "cpu": max(cpu - sum(s["cpu"] for s in subs.values()), 0.0), "calls": 0}
            for label, s in subs.items():
                s["peak_rss"] = self.sampler.peaks.get(f"{name}/{label}", 0)
            self.rows.append({"stage": name, "wall": wall, "cpu": cpu, "peak_rss": max(hwm, sampled), "hwm": hwm,
                              "rss_end": _status_kb("self", "VmRSS:") * 1024, "subs": subs,
                              **({"stopped": True} if stopped else {})})

    def mark(self, label: str) -> None:
        """Start a sub-stage by name (for functions that report progress, like ``assemble``)."""
        self.end_marks()
        self._stack.insert(0, _Frame("@" + label))
        stage = self.sampler.label.split("/")[0]
        self.sampler.label = f"{stage}/{label}"

    def end_marks(self) -> None:
        if self._stack and self._stack[0].label.startswith("@"):
            frame = self._stack.pop(0)
            wall, cpu = frame.elapsed()
            self._charge(frame.label[1:], wall - frame.child_wall, cpu - frame.child_cpu)

    def _charge(self, label: str, wall: float, cpu: float) -> None:
        s = self._subs.setdefault(label, {"wall": 0.0, "cpu": 0.0, "calls": 0})
        s["wall"] += wall
        s["cpu"] += cpu
        s["calls"] += 1

    def _wrapper(self, fn, label: str):
        stages = self

        def timed(*args, **kwargs):
            outer = stages.sampler.label
            stages.sampler.label = f"{outer.split('/')[0]}/{label}"
            frame = _Frame(label)
            stages._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                stages._stack.pop()
                wall, cpu = frame.elapsed()
                stages._charge(label, wall - frame.child_wall, cpu - frame.child_cpu)
                if stages._stack:  # the caller's own time excludes this call
                    stages._stack[-1].child_wall += wall
                    stages._stack[-1].child_cpu += cpu
                stages.sampler.label = outer

        timed.__wrapped__ = fn
        return timed


def _call(fn, *args):
    """Call ``fn`` with as many of ``args`` as it takes positionally (signatures drift while the
    pipeline is being worked on; the benchmark should not break on an added or dropped argument)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return fn(*args)
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return fn(*args)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return fn(*args[: len(positional)])


# ------------------------------------------------------------------------------------------------
# worker: the pipeline stage by stage


class Stopped(Exception):
    """The parent asked this worker to stop (SIGTERM): report what was measured so far."""


def _raise_stopped(signum, frame):
    raise Stopped()


def run_stages(corpus_paths: list[Path], out_dir: Path, status_file: Path | None, profile: Path | None) -> dict:
    sampler = Sampler(os.getpid(), stacks=profile is not None, status_file=status_file)
    sampler.start()
    st = Stages(sampler)
    prof = cProfile.Profile() if profile is not None else None
    out: dict = {}
    signal.signal(signal.SIGTERM, _raise_stopped)
    if prof:
        prof.enable()
    try:
        _pipeline(st, corpus_paths, out_dir, out)
    except Stopped:
        out["stopped_in"] = st.rows[-1]["stage"] if st.rows else "?"
        out["stopped_at"] = sampler.label or out["stopped_in"]
    finally:
        if prof:
            prof.disable()
        sampler.stop()
    out.update({
        "stages": st.rows,
        # the kernel's high-water mark is reset per stage, which resets ru_maxrss too: the process's
        # ru_maxrss is the largest per-stage VmHWM
        "ru_maxrss": max((r["hwm"] for r in st.rows), default=0),
        "sampled_peak": sampler.peak,
        "rss_trace": sampler.trace,
    })
    if prof is not None and profile is not None:
        prof.dump_stats(str(profile))
        out["profile"] = _profile_summary(profile, sampler)
    return out


def _pipeline(st: Stages, corpus_paths: list[Path], out_dir: Path, out: dict) -> None:
    # importlib, not `import chachong.engine.local as A`: the package re-exports a function named audit
    with st.stage("import"):
        A = importlib.import_module("chachong.engine.local")
        C = importlib.import_module("chachong.stages.prepare")
        I = importlib.import_module("chachong.ingest.read")
        P = importlib.import_module("chachong.stages.candidates")
        RJ = importlib.import_module("chachong.report.json")
        RT = importlib.import_module("chachong.report.tables")
        W = importlib.import_module("chachong.report.writer")
        from chachong.config import AuditConfig
    config = AuditConfig()
    with st.stage("read", [(I, "read_sources", "ingest"), (A, "documents_from_sources", "split")]):
        documents, skipped, warnings = A.load_documents(corpus_paths, config)
    _check_read(documents, skipped)
    out.update(documents=len(documents), paragraphs=sum(len(d.paragraphs) for d in documents),
               chars=int(sum(len(d.text) for d in documents)))
    with st.stage("prepare", [(C, "codepoints", "normalise"), (C, "canonicalize_array", "normalise"),
                              (C, "segment_kgrams", "shingle"), (C, "word_shingles", "shingle"),
                              (C, "_unique_sets", "dedupe"), (C, "signatures", "sign")]):
        corpus = C.prepare(documents, config)
    with st.stage("pairs", [(P, "_canonical_keys", "identical"), (P, "candidates", "lsh"),
                            (P, "estimated_jaccard", "lsh"), (P, "fingerprint_candidates", "fingerprints"),
                            (P, "similarity", "verify"), (P, "run_coverage", "verify")]):
        if hasattr(P, "pair_candidates"):
            cache = importlib.import_module("chachong.runtime.stagecache").StageCache()
            cache.candidates = P.pair_candidates(corpus)
            table = P.select_pairs(corpus, cache.candidates)
        else:
            cache, table = None, P.find_pairs(corpus)
    out["verified_pairs"] = len(table)
    if cache is not None:
        # as `chachong audit` runs them: stock phrases are mined in a forked process (the second
        # core) while the passages are aligned; sub-stages are audit_corpus's progress marks, and
        # "phrases" is the wait for the background process plus applying its result
        with st.stage("assemble+phrases"):
            result = A.audit_corpus(corpus, list(skipped), list(warnings), st.mark, cache)
            st.end_marks()
    else:
        with st.stage("assemble"):
            result = _call(A.assemble, corpus, table, list(skipped), list(warnings), st.mark)
            st.end_marks()
        with st.stage("phrases"):
            A.annotate_stock(result)
    out["paragraph_pairs_reported"] = len(getattr(result, "paragraph_pair_records", None) or getattr(result, "paragraph_pairs", None) or [])
    shutil.rmtree(out_dir, ignore_errors=True)
    with st.stage("write", [(RJ, "report_dict", "report_dict"), (RJ, "dumps", "json"),
                            (RT, "to_csv", "csv"), (W, "atomic_write_text", "file io")]):
        W.write_report(result, out_dir, ["json", "csv"])


def _check_read(documents: list, skipped: list) -> None:
    if skipped or not documents:
        raise SystemExit(f"chachong skipped input: {'; '.join(map(str, skipped)) or 'no documents read'}")


def _short(path: str) -> str:
    for marker in ("/src/chachong/", "/site-packages/", "/benchmarks/"):
        if marker in path:
            return marker.strip("/").split("/")[-1] + "/" + path.split(marker, 1)[1]
    return path


def _source_line(sources: dict[str, list[str]], path: str, lineno: int | None) -> str:
    lines = sources.get(path) or []
    return lines[lineno - 1].strip()[:100] if lineno and 0 < lineno <= len(lines) else ""


def _profile_summary(path: Path, sampler: Sampler, top: int = 25) -> dict:
    stats = pstats.Stats(str(path))
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{_short(file)}:{line}({func})", "calls": nc, "tottime": tt, "cumtime": ct})
    by_tot = sorted(rows, key=lambda r: -r["tottime"])[:top]
    by_cum = sorted((r for r in rows if "chachong" in r["function"]), key=lambda r: -r["cumtime"])[:top]
    total = max(sampler.samples, 1)

    def lines(counter: Counter) -> list[dict]:
        return [{"stage": label, "where": f"{_short(f)}:{ln} ({fn})", "samples": c, "share": c / total,
                 "code": _source_line(sampler.sources, f, ln)} for (label, f, ln, fn), c in counter.most_common(top)]

    return {"by_tottime": by_tot, "chachong_by_cumtime": by_cum, "samples": sampler.samples,
            "lines_innermost": lines(sampler.lines), "lines_chachong": lines(sampler.chachong_lines)}


# ------------------------------------------------------------------------------------------------
# worker: recall and precision against exact Jaccard; the datasketch baseline


def _py_shingle_hash_factory():
    """``chachong.text.shingle.shingle_hash`` in plain Python, checked bit for bit against it.

    chachong's own function runs numpy on every call (about 20 us per shingle), which would make the
    baseline look slower than datasketch really is; plain integer arithmetic gives the same value in
    about 1 us, a little faster than datasketch's default sha1_hash32. Falls back to chachong's
    function when the constants no longer reproduce it.
    """
    S = importlib.import_module("chachong.text.shingle")

    try:
        base, mul = int(S._BASE), int(S._FOLD_MUL)
    except AttributeError:
        return S.shingle_hash, False
    mask = (1 << 64) - 1

    def py_shingle_hash(s: str) -> int:
        h = 0
        for ch in s:
            h = (h * base + ord(ch)) & mask
        return ((h * mul) & mask) >> 32

    probe = ["工作开展情", "abcde", "#年#区完", "一", "进一步提高思想认识", "𠀀𠀁x"]
    if all(py_shingle_hash(s) == S.shingle_hash(s) for s in probe):
        return py_shingle_hash, True
    return S.shingle_hash, False


def _codes(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    return np.minimum(a, b) * n + np.maximum(a, b)


def _jaccard_hist(values: np.ndarray, edges=(0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0, 1.01)) -> dict:
    counts, _ = np.histogram(values, bins=list(edges))
    return {f"[{lo:.2f},{hi:.2f})": int(c) for lo, hi, c in zip(edges[:-1], edges[1:], counts) if c}


def run_quality(corpus_paths: list[Path], status_file: Path | None, baseline: bool, baseline_max: int) -> dict:
    """Recall/precision against the exact join (always: the baseline's recall needs it too), and the baseline."""
    sys.path.insert(0, str(HERE))
    from exact_pairs import ExactJoin

    A = importlib.import_module("chachong.engine.local")
    C = importlib.import_module("chachong.stages.prepare")
    P = importlib.import_module("chachong.stages.candidates")
    from chachong.config import AuditConfig

    sampler = Sampler(os.getpid(), status_file=status_file)
    sampler.start()
    st = Stages(sampler)
    config = AuditConfig()
    with st.stage("read"):
        documents, skipped, _warnings = A.load_documents(corpus_paths, config)
    _check_read(documents, skipped)
    with st.stage("prepare", [(C, "codepoints", "normalise"), (C, "canonicalize_array", "normalise"),
                              (C, "segment_kgrams", "shingle"), (C, "_unique_sets", "dedupe"),
                              (C, "signatures", "sign")]):
        corpus = C.prepare(documents, config)
    subs = st.rows[-1]["subs"]
    sign_like = sum(subs.get(k, {}).get("wall", 0.0) for k in ("shingle", "dedupe", "sign"))
    sign_like_cpu = sum(subs.get(k, {}).get("cpu", 0.0) for k in ("shingle", "dedupe", "sign"))
    n = corpus.n_paragraphs
    lengths = corpus.canonical_length()
    # chachong.stages.candidates' eligibility: at least min_paragraph_chars canonical characters (and one)
    eligible = np.flatnonzero(lengths >= max(config.min_paragraph_chars, 1))
    out: dict = {"paragraphs": n, "eligible": int(eligible.size), "documents": len(documents),
                 "compared": ("chachong.stages.candidates.find_pairs(corpus with threshold=t): its verified pairs with "
                              "jaccard >= t, before stock paragraphs are set apart, against every pair of "
                              "paragraphs of different documents, both with >= min_paragraph_chars "
                              f"({config.min_paragraph_chars}) canonical characters, whose exact Jaccard of "
                              f"chachong's shingle sets (char {config.k}-grams, hashed) is >= t"),
                 "chachong_shingle_dedupe_sign_s": sign_like, "thresholds": {}}

    with st.stage("exact join"):
        join = ExactJoin(corpus.set_hashes, corpus.set_offsets, members=eligible, groups=corpus.par_doc)
        ea, eb, ej = join.pairs(min(THRESHOLDS))
    out["exact_join_s"] = st.rows[-1]["wall"]
    out["exact_candidates"] = {str(t): join.candidate_count(t) for t in THRESHOLDS}
    truth = {t: (_codes(ea[ej >= t - _J_EPS], eb[ej >= t - _J_EPS], n)) for t in THRESHOLDS}
    truth_j = {t: ej[ej >= t - _J_EPS] for t in THRESHOLDS}

    for t in THRESHOLDS:
        cfg_t = config.replace(threshold=t)
        corpus_t = corpus.with_config(cfg_t) if hasattr(corpus, "with_config") else corpus
        with st.stage(f"find_pairs t={t}", [(P, "_canonical_keys", "identical"), (P, "candidates", "lsh"),
                                            (P, "estimated_jaccard", "lsh"),
                                            (P, "fingerprint_candidates", "fingerprints"),
                                            (P, "similarity", "verify"), (P, "run_coverage", "verify")]):
            table = P.find_pairs(corpus_t)
        fp_wall, fp_cpu = st.rows[-1]["wall"], st.rows[-1]["cpu"]
        jac = np.asarray(table.jaccard, dtype=np.float64)
        sel = jac >= t - _J_EPS
        got = _codes(table.a[sel], table.b[sel], n)
        got_j = jac[sel]
        order = np.argsort(got)
        got, got_j = got[order], got_j[order]
        want = truth[t]
        hit = np.isin(want, got)
        extra = ~np.isin(got, want)
        common = np.intersect1d(got, want)
        j_diff = (float(np.max(np.abs(got_j[np.searchsorted(got, common)]
                                      - truth_j[t][np.searchsorted(want, common)])))
                  if common.size else 0.0)
        missed = want[~hit]
        rec = {
            "exact_pairs": int(want.size),
            "chachong_pairs": int(got.size),
            "found": int(hit.sum()),
            "recall": float(hit.mean()) if want.size else 1.0,
            "precision": float(1 - extra.mean()) if got.size else 1.0,
            "max_abs_jaccard_diff": j_diff,
            "exact_by_jaccard": _jaccard_hist(truth_j[t]),
            "missed_by_jaccard": _jaccard_hist(truth_j[t][~hit]),
            "missed_examples": [
                {"a": corpus.paragraph_ids[int(c // n)], "b": corpus.paragraph_ids[int(c % n)],
                 "jaccard": round(float(j), 4), "chars": [int(lengths[c // n]), int(lengths[c % n])]}
                for c, j in zip(missed[:8], truth_j[t][~hit][:8])],
            "false_positive_examples": [
                {"a": corpus.paragraph_ids[int(c // n)], "b": corpus.paragraph_ids[int(c % n)],
                 "jaccard": round(float(j), 4)} for c, j in zip(got[extra][:8], got_j[extra][:8])],
            "find_pairs_s": fp_wall,
            "find_pairs_subs": {k: v["wall"] for k, v in st.rows[-1]["subs"].items()},
            "chachong_s": sign_like + fp_wall,
            "chachong_cpu_s": sign_like_cpu + fp_cpu,
        }
        out["thresholds"][str(t)] = rec
    if baseline:
        out["baseline"] = _baseline(corpus, eligible, join, truth, baseline_max, st)
        for t in THRESHOLDS:
            b = out["baseline"]["thresholds"][str(t)]
            r = out["thresholds"][str(t)]
            r["baseline_s"] = b["total_s_full"]
            r["speedup"] = b["total_s_full"] / r["chachong_s"] if r["chachong_s"] else None
            r["baseline_cpu_s"] = b["total_cpu_s_full"]
            r["speedup_cpu"] = b["total_cpu_s_full"] / r["chachong_cpu_s"] if r["chachong_cpu_s"] else None
            r["recall_ratio"] = r["recall"] / b["recall"] if b["recall"] else None
    sampler.stop()
    out["stages"] = st.rows
    out["ru_maxrss"] = max(r["hwm"] for r in st.rows)
    return out


def _baseline(corpus, eligible: np.ndarray, join, truth: dict, baseline_max: int, st: Stages) -> dict:
    from datasketch import MinHash, MinHashLSH

    from chachong.text.shingle import shingle_hash, shingle_strings

    cfg = corpus.config
    n = corpus.n_paragraphs
    subset = eligible[:baseline_max]
    scale = eligible.size / max(subset.size, 1)
    texts = [corpus.canonical_text(int(i)) for i in subset]
    hashfunc, pure = _py_shingle_hash_factory()
    template = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, scheme="affine32")
    out: dict = {
        "paragraphs": int(subset.size),
        "extrapolated": bool(subset.size < eligible.size),
        "scale": scale,
        "hashfunc": ("plain-Python copy of chachong.text.shingle.shingle_hash (bit-identical)" if pure
                     else "chachong.text.shingle.shingle_hash"),
        "thresholds": {},
    }

    def sign(texts_, fn):
        ms = []
        for text in texts_:
            m = MinHash(num_perm=cfg.num_perm, scheme="affine32", permutations=template.permutations, hashfunc=fn)
            m.update_batch(shingle_strings(text, cfg.k))
            ms.append(m)
        return ms

    with st.stage("baseline sign"):
        minhashes = sign(texts, hashfunc)
    out["sign_s"], out["sign_cpu_s"] = st.rows[-1]["wall"], st.rows[-1]["cpu"]
    out["sign_s_full"] = out["sign_s"] * scale
    probe = range(0, subset.size, max(1, subset.size // 200))
    out["signatures_identical"] = bool(all(
        np.array_equal(np.asarray(minhashes[i].hashvalues, dtype=np.uint64),
                       corpus.signatures[int(subset[i])].astype(np.uint64)) for i in probe))
    # for reference: the literal recipe (chachong's numpy shingle_hash per shingle) and datasketch's
    # default sha1 hash, on a sample
    sample = texts[:1000]
    t0 = time.perf_counter()
    sign(sample, shingle_hash)
    out["sign_rate_chachong_shingle_hash"] = len(sample) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for text in sample:
        m = MinHash(num_perm=cfg.num_perm, scheme="affine32", permutations=template.permutations)
        m.update_batch([s.encode("utf-8") for s in shingle_strings(text, cfg.k)])
    out["sign_rate_sha1_default"] = len(sample) / (time.perf_counter() - t0)
    out["sign_rate"] = subset.size / max(out["sign_s"], 1e-9)

    in_subset = np.zeros(n, dtype=bool)
    in_subset[subset] = True
    par_doc = corpus.par_doc
    keys = [int(i) for i in subset]
    for t in THRESHOLDS:
        lsh = MinHashLSH(threshold=t, num_perm=cfg.num_perm)
        with st.stage(f"baseline lsh insert t={t}"):
            for key, m in zip(keys, minhashes):
                lsh.insert(key, m)
        insert_s, insert_cpu = st.rows[-1]["wall"], st.rows[-1]["cpu"]
        with st.stage(f"baseline lsh query t={t}"):
            found = []
            for key, m in zip(keys, minhashes):
                for other in lsh.query(m):
                    if other > key and par_doc[other] != par_doc[key]:
                        found.append((key, other))
        query_s, query_cpu = st.rows[-1]["wall"], st.rows[-1]["cpu"]
        cand = np.array(found, dtype=np.int64).reshape(-1, 2)
        codes = np.unique(_codes(cand[:, 0], cand[:, 1], n))
        want = truth[t]
        want = want[in_subset[want // n] & in_subset[want % n]]
        hit = np.isin(want, codes)
        cj = join.jaccard(codes // n, codes % n) if codes.size else np.zeros(0)
        total = out["sign_s"] + insert_s + query_s
        out["thresholds"][str(t)] = {
            "bands_rows": [int(lsh.b), int(lsh.r)],
            "insert_s": insert_s,
            "query_s": query_s,
            "total_s": total,
            "total_s_full": total * scale,
            "total_cpu_s_full": (out["sign_cpu_s"] + insert_cpu + query_cpu) * scale,
            "candidates": int(codes.size),
            "exact_pairs_in_subset": int(want.size),
            "recall": float(hit.mean()) if want.size else 1.0,
            "candidate_precision": float((cj >= t - _J_EPS).mean()) if cj.size else 1.0,
            "missed_by_jaccard": _jaccard_hist(join.jaccard(want[~hit] // n, want[~hit] % n)),
        }
        del lsh
    return out


# ------------------------------------------------------------------------------------------------
# orchestration: corpus, child processes with limits, tables


_SHARD_BYTES = 128 * 2**20  # chachong refuses single files over 256 MiB; a library comes as many files


def ensure_corpus(n: int, seed: int) -> list[Path]:
    """The corpus as JSONL files (one, or shards of at most _SHARD_BYTES in document order)."""
    folder = OUT / f"corpus_{n}_s{seed}"
    done = folder / "files.txt"
    if done.is_file():
        return [folder / name for name in done.read_text(encoding="utf-8").split()]
    single = folder / "corpus.jsonl"
    if single.is_file() and single.stat().st_size <= _SHARD_BYTES and (folder / "truth.json").is_file():
        done.write_text("corpus.jsonl\n", encoding="utf-8")  # written by an earlier version of this script
        return [single]
    tmp = OUT / f".corpus_{n}_s{seed}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    whole = tmp / "corpus.jsonl"
    subprocess.run([sys.executable, str(HERE / "synth.py"), "--paragraphs", str(n), "--seed", str(seed),
                    "--format", "jsonl", "-o", str(whole)], check=True)
    names = ["corpus.jsonl"]
    if whole.stat().st_size > _SHARD_BYTES:
        names, size, fh = [], 0, None
        with open(whole, "rb") as src:
            for line in src:
                if fh is None or size + len(line) > _SHARD_BYTES:
                    if fh:
                        fh.close()
                    names.append(f"corpus.part{len(names) + 1:02d}.jsonl")
                    fh, size = open(tmp / names[-1], "wb"), 0  # noqa: SIM115
                fh.write(line)
                size += len(line)
        fh.close()
        whole.unlink()
    (tmp / "files.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    print(f"corpus written in {time.perf_counter() - t0:.1f} s: {', '.join(names)} in {folder}", file=sys.stderr)
    return [folder / name for name in names]


def spawn(cmd: list[str], limits: tuple[float, float, int], status_file: Path | None, log: Path) -> dict:
    """Run ``cmd`` in its own process group and wait for it.

    ``limits`` = (seconds per stage, seconds per run, bytes of RSS). A stage is what the worker last
    wrote to ``status_file``; without one the whole run is one stage. Past a limit the process group
    is killed and the stage it was in is reported.
    """
    stage_limit, run_limit, mem_limit = limits
    code = _code_state()["src_digest"]  # others edit src/ meanwhile: say which code each run measured
    if status_file is not None:
        status_file.write_text("start", encoding="utf-8")
    stage, stage_t0 = "start", time.perf_counter()
    with open(log, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        sampler = Sampler(proc.pid, interval=0.02)
        sampler.start()
        killed = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.perf_counter()
            if status_file is not None:
                with contextlib.suppress(OSError):
                    current = status_file.read_text(encoding="utf-8")
                    if current.split("/")[0] != stage.split("/")[0]:
                        stage_t0 = now
                    stage = current
            reason = None
            if now - stage_t0 > stage_limit:
                reason = f"stage ran past {stage_limit:.0f} s"
            elif now - t0 > run_limit:
                reason = f"run went past {run_limit:.0f} s"
            elif sampler.footprint > mem_limit:
                reason = f"memory {sampler.footprint / 2**30:.1f} GB past {mem_limit / 2**30:.1f} GB"
            if killed is None and reason:
                killed = {"reason": reason, "stage": stage, "after_s": now - t0, "rss": sampler.peak}
                # a worker stops on SIGTERM and reports the stages it finished; the CLI is killed
                os.killpg(proc.pid, signal.SIGTERM if status_file is not None else signal.SIGKILL)
            elif killed is not None and (now - t0 - killed["after_s"] > 30 or sampler.footprint > 1.15 * mem_limit):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "returncode": proc.returncode,
            "maxrss_wait4": usage.ru_maxrss * 1024, "tree_peak": sampler.peak, "tree_pss_peak": sampler.pss_peak,
            "killed": killed,
            "stderr_tail": tail, "load_avg": _load_avg(), "src_digest": code}


def _code_state() -> dict:
    """Which pipeline was measured: the commit and a digest of src/chachong as it is on disk."""
    import hashlib

    src = HERE.parent / "src" / "chachong"
    digest = hashlib.sha256()
    for f in sorted(src.rglob("*.py")):
        digest.update(f.relative_to(src).as_posix().encode() + b"\0" + f.read_bytes())
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=HERE, capture_output=True, text=True,
                           check=False)
    return {"commit": head.stdout.strip(), "src_changed_since_commit": bool(dirty.stdout.strip()),
            "src_digest": digest.hexdigest()[:12]}


def _load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _fmt_mb(b: float) -> str:
    return f"{b / 2**20:,.0f}"


def print_stages(stage_runs: list[dict]) -> list[dict]:
    """Median wall/CPU per stage over runs, max peak RSS; returns the merged rows."""
    merged = []
    for i, row in enumerate(stage_runs[0]["stages"]):
        same = [r["stages"][i] for r in stage_runs if i < len(r["stages"])]
        subs = {}
        for label in row["subs"]:
            vals = [s["subs"][label]["wall"] for s in same if label in s["subs"]]
            cpus = [s["subs"][label].get("cpu", 0.0) for s in same if label in s["subs"]]
            subs[label] = {"wall": statistics.median(vals), "cpu": statistics.median(cpus),
                           "calls": row["subs"][label]["calls"],
                           "peak_rss": max(s["subs"][label].get("peak_rss", 0) for s in same if label in s["subs"])}
        merged.append({"stage": row["stage"], "wall": statistics.median(s["wall"] for s in same),
                       "cpu": statistics.median(s["cpu"] for s in same),
                       "peak_rss": max(s["peak_rss"] for s in same), "subs": subs,
                       "walls": [round(s["wall"], 3) for s in same]})
    total = sum(r["wall"] for r in merged)
    print(f"\n{'stage':<24}{'wall s':>9}{'cpu s':>9}{'share':>8}{'peak RSS MB':>13}   runs (wall s)")
    for r in merged:
        print(f"{r['stage']:<24}{r['wall']:>9.2f}{r['cpu']:>9.2f}{r['wall'] / total:>8.0%}"
              f"{_fmt_mb(r['peak_rss']):>13}   {r['walls']}")
        for label, s in r["subs"].items():
            calls = f"  ({s['calls']} calls)" if s["calls"] > 1 else ""
            print(f"  {label:<22}{s['wall']:>9.2f}{s['cpu']:>9.2f}{s['wall'] / total:>8.0%}"
                  f"{_fmt_mb(s['peak_rss']) if s['peak_rss'] else '':>13}{calls}")
    runs_peak = max(r["sampled_peak"] for r in stage_runs)
    runs_maxrss = max(r["ru_maxrss"] for r in stage_runs)
    print(f"{'total (in-process)':<24}{total:>9.2f}{sum(r['cpu'] for r in merged):>9.2f}{'':>8}"
          f"{_fmt_mb(max(runs_peak, runs_maxrss)):>13}   (ru_maxrss {_fmt_mb(runs_maxrss)} MB, "
          f"sampled {_fmt_mb(runs_peak)} MB)")
    return merged


def print_quality(q: dict) -> None:
    print(f"\nrecall / precision against exact Jaccard ({q['eligible']:,} eligible paragraphs of "
          f"{q['paragraphs']:,}; exact join {q['exact_join_s']:.1f} s)")
    print("  compared: " + q["compared"])
    print(f"{'t':>5}{'exact':>9}{'chachong':>10}{'found':>9}{'recall':>9}{'precision':>11}"
          f"{'|dJ|max':>9}{'find_pairs s':>14}   missed by Jaccard")
    for t, r in q["thresholds"].items():
        print(f"{t:>5}{r['exact_pairs']:>9,}{r['chachong_pairs']:>10,}{r['found']:>9,}{r['recall']:>9.4f}"
              f"{r['precision']:>11.4f}{r['max_abs_jaccard_diff']:>9.1e}{r['find_pairs_s']:>14.2f}   "
              f"{r['missed_by_jaccard'] or '-'}")
        print(f"      exact pairs by Jaccard: {r['exact_by_jaccard']}")
        for ex in r["missed_examples"][:3]:
            print(f"      missed {ex['a']} {ex['b']} J={ex['jaccard']} chars={ex['chars']}")
        for ex in r["false_positive_examples"][:3]:
            print(f"      false positive {ex['a']} {ex['b']} J={ex['jaccard']}")
    b = q.get("baseline")
    if not b:
        return
    note = (f", timed on the first {b['paragraphs']:,} eligible paragraphs and scaled x{b['scale']:.2f}"
            if b["extrapolated"] else "")
    print(f"\ndatasketch baseline (MinHash affine32 update_batch, MinHashLSH defaults{note})")
    print(f"  hashfunc: {b['hashfunc']}; signatures identical to chachong's: {b['signatures_identical']}")
    print(f"  signing: {b['sign_s']:.2f} s = {b['sign_rate']:,.0f} paragraphs/s "
          f"(with chachong.text.shingle.shingle_hash: {b['sign_rate_chachong_shingle_hash']:,.0f}/s; "
          f"datasketch default sha1: {b['sign_rate_sha1_default']:,.0f}/s)")
    print(f"{'t':>5}{'b x r':>8}{'insert s':>10}{'query s':>9}{'total s':>9}{'cands':>9}{'recall':>9}"
          f"{'cand prec':>10}   | chachong s{'speedup':>9}{'(cpu s)':>9}{'recall ratio':>14}")
    for t, r in b["thresholds"].items():
        c = q["thresholds"][t]
        print(f"{t:>5}{r['bands_rows'][0]:>4}x{r['bands_rows'][1]:<3}{r['insert_s']:>10.2f}{r['query_s']:>9.2f}"
              f"{r['total_s_full']:>9.2f}{r['candidates']:>9,}{r['recall']:>9.4f}{r['candidate_precision']:>10.3f}"
              f"   | {c['chachong_s']:>10.2f}{c['speedup']:>8.1f}x{c['speedup_cpu']:>8.1f}x"
              f"{c['recall_ratio']:>14.3f}")
    print("  chachong s = shingle + de-duplicate + sign (prepare) + find_pairs(threshold=t), the work the "
          "baseline does (both start from canonical text; the baseline does not verify). speedup = baseline "
          "/ chachong seconds, wall and (cpu s) CPU; recall ratio = chachong recall / baseline recall")


def growth(paths: list[str]) -> None:
    """Per-stage seconds and peak RSS per size, and how they grow (x per x of paragraphs)."""
    runs = sorted((json.loads(Path(p).read_text(encoding="utf-8")) for p in paths), key=lambda r: r["paragraphs"])
    for r in runs:
        stopped = next((f for f in r.get("failures", []) if f.get("partial", {}).get("stages")), None)
        if not r.get("stages") and stopped:
            # a run stopped at a limit: its finished stages, and the unfinished one as far as it got
            r["stages"] = stopped["partial"]["stages"]
            print(f"{r['paragraphs']:,} paragraphs: stopped ({stopped['killed']['reason']}) in "
                  f"{stopped['killed']['stage']}; that stage's figures are up to the stop")
    names: list[tuple[str, str | None]] = []
    for r in runs:
        for st in r.get("stages", []):
            for key in [(st["stage"], None)] + [(st["stage"], sub) for sub in st.get("subs", {})]:
                if key not in names and key[1] != "(rest)":
                    names.append(key)

    def get(r: dict, name: tuple[str, str | None], field: str) -> float | None:
        for st in r.get("stages", []):
            if st["stage"] == name[0]:
                return st[field] if name[1] is None else st.get("subs", {}).get(name[1], {}).get(field)
        return None

    head = "".join(f"{r['paragraphs']:>12,}" for r in runs)
    steps = "".join(f"{'x' + format(b['paragraphs'] / a['paragraphs'], '.0f'):>10}" for a, b in itertools.pairwise(runs))
    print(f"\nseconds per stage{'':<7}{head}   growth per step {steps}")

    def line(label, values):
        vals = "".join(f"{v:>12.2f}" if v is not None else f"{'-':>12}" for v in values)
        g = "".join(f"{b / a:>10.1f}" if a and b else f"{'-':>10}" for a, b in itertools.pairwise(values))
        print(f"{label:<24}{vals}   {'':<16}{g}")

    label = (lambda nm: nm[0] if nm[1] is None else "  " + nm[1])
    for name in names:
        line(label(name), [get(r, name, "wall") for r in runs])
    line("total (in-process)", [sum(s["wall"] for s in r["stages"]) if r.get("stages") else None for r in runs])
    line("chachong audit (cli)", [r.get("cli", {}).get("wall_median") for r in runs])
    print(f"\nCPU seconds per stage{'':<3}{head}")
    for name in names:
        line(label(name), [get(r, name, "cpu") for r in runs])
    line("total (in-process)", [sum(s["cpu"] for s in r["stages"]) if r.get("stages") else None for r in runs])
    line("chachong audit (cli)", [r.get("cli", {}).get("cpu_median") for r in runs])
    print(f"\npeak RSS GB{'':<13}{head}")
    for name in names:
        if name[1] is None:
            line(name[0], [(get(r, name, "peak_rss") or 0) / 2**30 or None for r in runs])
    line("chachong audit (cli)", [(r.get("cli", {}).get("peak_rss") or 0) / 2**30 or None for r in runs])
    # a forked child's pages shared with its parent counted once
    line("cli, max(main, tree PSS)", [max(max(r.get("cli", {}).get("maxrss_wait4") or [0]),
                                          max(r.get("cli", {}).get("tree_pss_peak") or [0])) / 2**30 or None
                                      for r in runs])


def _targets(result: dict) -> list[str]:
    n, lines = result["paragraphs"], []
    cli = result.get("cli") or {}
    if cli.get("wall_median") is not None:
        if n >= 600_000:
            lines.append(f"600k wall {cli['wall_median']:.1f} s <= {TARGETS['wall_600k_s']:.0f} s: "
                         f"{'PASS' if cli['wall_median'] <= TARGETS['wall_600k_s'] else 'FAIL'}")
            # the process's own peak, or the process tree's PSS (a forked child's pages shared with
            # its parent counted once), whichever is larger; the plain sum of RSS counts them twice
            own = max(cli.get("maxrss_wait4") or [0])
            pss = max(cli.get("tree_pss_peak") or [0])
            gb = (max(own, pss) if own or pss else cli["peak_rss"]) / 1e9  # decimal GB: the stricter reading
            lines.append(f"600k peak memory {gb:.2f} GB = 10^9 bytes (max of the main process's RSS and the tree's PSS) "
                         f"<= {TARGETS['rss_600k_gb']:.0f} GB: {'PASS' if gb <= TARGETS['rss_600k_gb'] else 'FAIL'}")
        if n == 100_000:
            lines.append(f"100k wall {cli['wall_median']:.1f} s <= {TARGETS['wall_100k_s']:.0f} s: "
                         f"{'PASS' if cli['wall_median'] <= TARGETS['wall_100k_s'] else 'FAIL'}")
    q = result.get("quality") or {}
    for t, r in q.get("thresholds", {}).items():
        ok = r["recall"] >= TARGETS["recall"] and r["precision"] >= TARGETS["precision"]
        lines.append(f"t={t}: recall {r['recall']:.4f} >= 0.99 and precision {r['precision']:.4f} = 1: "
                     f"{'PASS' if ok else 'FAIL'}")
        if r.get("speedup") is not None:
            lines.append(f"t={t}: {r['speedup']:.1f}x faster than the datasketch baseline (>= 8x): "
                         f"{'PASS' if r['speedup'] >= TARGETS['speedup_vs_baseline'] else 'FAIL'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paragraphs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the stages and of the CLI (median)")
    ap.add_argument("--exact", action="store_true", help="recall/precision against exact all-pairs Jaccard")
    ap.add_argument("--baseline", action="store_true", help="datasketch MinHash + MinHashLSH baseline (implies --exact)")
    ap.add_argument("--baseline-max", type=int, default=100_000,
                    help="time the baseline on at most this many paragraphs and scale linearly")
    ap.add_argument("--profile", action="store_true", help="one more stage run under cProfile + line sampling")
    ap.add_argument("--no-stages", action="store_true", help="skip the in-process stage runs")
    ap.add_argument("--no-cli", action="store_true", help="skip the chachong audit subprocess runs")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds a stage may take before its run is killed")
    ap.add_argument("--run-timeout", type=float, default=1800.0, help="seconds a whole run may take")
    ap.add_argument("--mem-limit-gb", type=float, default=8.0, help="RSS at which a run is killed")
    ap.add_argument("--out", help="JSON file for the figures (default benchmarks/out/bench_<n>.json)")
    ap.add_argument("--growth", nargs="+", metavar="JSON", help="print growth across earlier runs and exit")
    ap.add_argument("--worker", choices=["stages", "quality"], help=argparse.SUPPRESS)
    ap.add_argument("--corpus", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--status", help=argparse.SUPPRESS)
    ap.add_argument("--report-dir", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.growth:
        growth(args.growth)
        return 0
    if args.worker:
        status = Path(args.status) if args.status else None
        if args.worker == "stages":
            res = run_stages([Path(p) for p in args.corpus], Path(args.report_dir), status,
                             Path(args.profile_out) if args.profile_out else None)
        else:
            res = run_quality([Path(p) for p in args.corpus], status, args.baseline, args.baseline_max)
        Path(args.result).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    n = args.paragraphs
    files = ensure_corpus(n, args.seed)
    corpus_bytes = sum(f.stat().st_size for f in files)
    shown = files[0].name if len(files) == 1 else f"{files[0].parent.name}/corpus.part*.jsonl"
    # one folder per invocation: two benchmarks of one size at once must not share status or result files
    run_dir = OUT / f"run_{n}.{os.getpid()}"
    run_dir.mkdir(exist_ok=True)
    mem_limit = int(args.mem_limit_gb * 2**30)
    limits = (args.timeout, args.run_timeout, mem_limit)
    result: dict = {"paragraphs": n, "seed": args.seed, "repeat": args.repeat, "corpus": [str(f) for f in files],
                    "corpus_bytes": corpus_bytes, "cpus": os.cpu_count(), "load_avg_start": _load_avg(),
                    "code": _code_state(),
                    "python": sys.version.split()[0], "numpy": np.__version__, "when": time.strftime("%Y-%m-%d %H:%M")}
    me = [sys.executable, str(Path(__file__).resolve())]
    out = Path(args.out) if args.out else OUT / f"bench_{n}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after every phase, so a long run that is stopped still leaves its figures
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")

    status = run_dir / "status.txt"
    failed = False

    def worker(kind: str, i: int, extra: list[str]) -> dict | None:
        res_file = run_dir / f"{kind}_{i}.json"
        res_file.unlink(missing_ok=True)
        run = spawn(me + ["--worker", kind, "--corpus", *map(str, files), "--result", str(res_file),
                          "--status", str(status)] + extra,
                    limits, status, run_dir / f"{kind}_{i}.log")
        if run["killed"] or run["returncode"] != 0 or not res_file.exists():
            what = (f"killed ({run['killed']['reason']}) in {run['killed']['stage']} after "
                    f"{run['killed']['after_s']:.0f} s" if run["killed"] else f"failed (exit {run['returncode']})")
            print(f"\n{kind} run {i}: {what}; stderr: {' | '.join(run['stderr_tail'])}")
            failure = {"run": f"{kind} {i}", **run}
            if res_file.exists():  # a stopped worker reports the stages it finished
                partial = json.loads(res_file.read_text(encoding="utf-8"))
                failure["partial"] = partial
                if partial.get("stages"):
                    print("stages measured before the run was stopped (the last one unfinished):")
                    print_stages([partial])
                    trace = partial.get("rss_trace", [])
                    step = max(1, len(trace) // 25)
                    print("RSS over time: " + ", ".join(f"{t:.0f}s {lab} {rss / 2**30:.1f}G"
                                                        for t, lab, rss, *_ in trace[::step]))
                    climbs = [(b[2] - a[2], b) for a, b in itertools.pairwise(trace) if len(b) > 3 and b[3]]
                    if climbs:
                        print("steepest RSS climbs (per second, with the chachong line running): " + ", ".join(
                            f"+{d / 2**30:.1f}G at {b[0]:.0f}s {b[3]}" for d, b in sorted(climbs, reverse=True)[:6]))
            result.setdefault("failures", []).append(failure)
            save()
            return None
        res = json.loads(res_file.read_text(encoding="utf-8"))
        res["src_digest"], res["load_avg"] = run["src_digest"], run["load_avg"]
        return res

    print(f"code: {result['code']}")
    print(f"chachong audit benchmark: {n:,} paragraphs, seed {args.seed}, {corpus_bytes / 2**20:.0f} MB "
          f"JSONL in {len(files)} file(s), {os.cpu_count()} cores, load average {result['load_avg_start']}")
    if not args.no_stages:
        runs = []
        for i in range(args.repeat):
            r = worker("stages", i, ["--report-dir", str(run_dir / "report")])
            if r is None:
                failed = True
                break
            runs.append(r)
            print(f"  stages run {i + 1}: {sum(s['wall'] for s in r['stages']):.1f} s", file=sys.stderr)
            result["stages_partial"] = [r["stages"] for r in runs]
            save()
        if runs:
            result.update({k: runs[0][k] for k in ("documents", "chars", "verified_pairs",
                                                   "paragraph_pairs_reported")})
            print(f"{runs[0]['documents']:,} documents, {runs[0]['paragraphs']:,} paragraphs, "
                  f"{runs[0]['chars'] / 1e6:.1f} M characters; {runs[0]['verified_pairs']:,} verified pairs, "
                  f"{runs[0]['paragraph_pairs_reported']:,} reported")
            result["stages"] = print_stages(runs)
            result.pop("stages_partial", None)
            result["stage_runs"] = [{"ru_maxrss": r["ru_maxrss"], "sampled_peak": r["sampled_peak"],
                                     "src_digest": r.get("src_digest"), "load_avg": r.get("load_avg"),
                                     "total_wall": sum(s["wall"] for s in r["stages"])} for r in runs]
    if not args.no_cli:
        exe = shutil.which("chachong")
        cmd = [exe] if exe else [sys.executable, "-m", "chachong"]
        cli_runs = []
        for i in range(1 if failed else args.repeat):  # one try when the stage runs already failed
            status.write_text("chachong audit", encoding="utf-8")
            out_dir = run_dir / "cli"
            shutil.rmtree(out_dir, ignore_errors=True)
            run = spawn(cmd + ["audit", *map(str, files), "-o", str(out_dir), "--format", "json,csv"],
                        (args.timeout, args.run_timeout, mem_limit), None, run_dir / f"cli_{i}.log")
            if run["killed"] or run["returncode"] != 0:
                print(f"chachong audit run {i}: {run['killed'] or 'exit ' + str(run['returncode'])}; "
                      f"{' | '.join(run['stderr_tail'])}", file=sys.stderr)
                result.setdefault("failures", []).append({"run": f"cli {i}", **run})
                break
            cli_runs.append(run)
            result["cli_partial"] = cli_runs
            save()
        result.pop("cli_partial", None)
        if cli_runs:
            walls = [r["wall"] for r in cli_runs]
            peak = max(max(r["maxrss_wait4"], r["tree_peak"]) for r in cli_runs)
            cpus = [r["cpu"] for r in cli_runs]
            result["cli"] = {"cpus": cpus, "cpu_median": statistics.median(cpus),
                             "command": f"chachong audit {shown} -o DIR --format json,csv",
                             "walls": walls, "wall_median": statistics.median(walls), "peak_rss": peak,
                             "maxrss_wait4": [r["maxrss_wait4"] for r in cli_runs],
                             "tree_peak": [r["tree_peak"] for r in cli_runs],
                             "tree_pss_peak": [r.get("tree_pss_peak", 0) for r in cli_runs],
                             "src_digest": [r["src_digest"] for r in cli_runs],
                             "load_avg": [r["load_avg"] for r in cli_runs]}
            print(f"\nchachong audit {shown} -o DIR --format json,csv (subprocess, {len(walls)} runs): "
                  f"median {statistics.median(walls):.2f} s [{', '.join(f'{w:.2f}' for w in walls)}] "
                  f"(CPU {statistics.median(cpus):.2f} s), "
                  f"peak RSS {peak / 2**30:.2f} GB (wait4 ru_maxrss "
                  f"{max(r['maxrss_wait4'] for r in cli_runs) / 2**30:.2f} GB, sampled process tree "
                  f"{max(r['tree_peak'] for r in cli_runs) / 2**30:.2f} GB as the sum of RSS, "
                  f"{max(r.get('tree_pss_peak', 0) for r in cli_runs) / 2**30:.2f} GB as the sum of PSS: "
                  f"pages a forked process shares with its parent counted once)")
    if args.exact or args.baseline:
        extra = (["--exact"] if args.exact else []) + (["--baseline"] if args.baseline else [])
        q = worker("quality", 0, extra + ["--baseline-max", str(args.baseline_max)])
        if q is not None:
            result["quality"] = {k: v for k, v in q.items() if k != "stages"}
            result["quality_stages"] = [{k: s[k] for k in ("stage", "wall", "peak_rss")} for s in q["stages"]]
            print_quality(q)
    if args.profile:
        pfile = OUT / f"profile_{n}.pstats"
        r = worker("stages", 99, ["--report-dir", str(run_dir / "report"), "--profile-out", str(pfile)])
        if r is None and result.get("failures"):  # stopped: profile what ran until then
            r = result["failures"][-1].get("partial")
        if r is not None and r.get("profile"):
            result["profile"] = r["profile"]
            result["profile_stages"] = [{k: s[k] for k in ("stage", "wall")} for s in r["stages"]]
            print_profile(r, pfile)
    result["load_avg_end"] = _load_avg()
    seen = {result["code"]["src_digest"], _code_state()["src_digest"],
            *(r.get("src_digest") for r in result.get("stage_runs", [])),
            *result.get("cli", {}).get("src_digest", [])} - {None}
    if len(seen) > 1:
        print(f"\nWARNING: src/chachong changed while this benchmark ran (digests {sorted(seen)}); "
              "runs measured different code (per-run digests are in the JSON)")
    lines = _targets(result)
    if lines:
        print("\nissue 7 targets:")
        for line in lines:
            print("  " + line)
    print(f"\nload average {result['load_avg_start']} -> {result['load_avg_end']} "
          f"(figures are wall time on a shared machine; CPU seconds are in the JSON)")
    save()
    for big in ("report", "cli"):  # reports of 600k paragraphs run to hundreds of MB; the figures are kept
        shutil.rmtree(run_dir / big, ignore_errors=True)
    print(f"figures: {out} (logs and per-run figures: {run_dir})")
    return 1 if result.get("failures") else 0


def print_profile(run: dict, pfile: Path) -> None:
    p = run["profile"]
    walls = ", ".join(f"{s['stage']} {s['wall']:.1f}" for s in run["stages"])
    print(f"\nprofile (one extra run under cProfile, which slows Python-level loops; stages: {walls})")
    print(f"  top functions by own time ({pfile}):")
    for r in p["by_tottime"][:15]:
        print(f"    {r['tottime']:>7.2f} s own {r['cumtime']:>7.2f} s cum {r['calls']:>9,}x  {r['function']}")
    print(f"  hottest lines inside chachong (sampled every 10 ms; {p['samples']:,} samples):")
    for r in p["lines_chachong"][:15]:
        print(f"    {r['share']:>6.1%}  [{r['stage']}] {r['where']}: {r['code']}")
    print("  hottest innermost lines:")
    for r in p["lines_innermost"][:10]:
        print(f"    {r['share']:>6.1%}  [{r['stage']}] {r['where']}: {r['code']}")


if __name__ == "__main__":
    sys.exit(main())
