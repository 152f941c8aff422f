"""The work folder of an audit larger than memory (runtime/workdir.py, issue 21): the spilled audit
gives the in-memory audit's report byte for byte, the folder is removed after the run, on an
exception and on SIGINT/SIGTERM, and a full folder stops the audit with one line and no report."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

import chachong
from chachong.cli import main
from chachong.config import AuditConfig, ConfigError
from chachong.runtime import workdir
from chachong.runtime.workdir import WorkDir, WorkDirFull, spill_needed
from chachong.stages import candidates as C
from chachong.stages import lsh
from chachong.stages.prepare import prepare

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    """A synthetic corpus of 15,000 paragraphs (2.3 M characters: the local engine forks and builds
    the fingerprint index on a thread, as on large corpora) with planted copies."""
    path = tmp_path_factory.mktemp("synth") / "corpus.jsonl"
    synth.write_jsonl(synth.generate(15000, seed=3), str(path))
    return path


def _small_partitions(monkeypatch) -> None:
    # many partitions of few rows, so that rows of one pair or one fingerprint meet across files
    monkeypatch.setattr(C, "_SPILL_ROWS", 2000)


def test_spilled_audit_gives_the_in_memory_report_and_leaves_nothing(corpus_file, tmp_path, monkeypatch):
    _small_partitions(monkeypatch)
    plain = chachong.audit([str(corpus_file)])
    seen: list[list[str]] = []
    (tmp_path / "work").mkdir()
    spilled = chachong.audit([str(corpus_file)], memory_limit=0, work_dir=str(tmp_path / "work"),
                             progress=lambda stage: seen.append(sorted(os.listdir(tmp_path / "work"))))
    assert len(plain.paragraph_pair_records) > 100
    assert spilled.to_json() == plain.to_json()
    # the folder was made (a private subfolder holding the spilled arrays) and is gone
    assert any(names and names[0].startswith("chachong-") for names in seen)
    assert os.listdir(tmp_path / "work") == []
    # the result's arrays were files there (still readable once removed)
    assert spilled.corpus.work is not None and not spilled.corpus.work.usable
    assert not spilled.corpus.cps.flags.owndata and int(spilled.corpus.cps[:1000].sum()) > 0
    # the settings echoed are those of the result, not where it ran
    assert "work_dir" not in json.loads(spilled.to_json())["settings"]


def test_spilled_pair_stage_equals_in_memory(corpus_file, tmp_path, monkeypatch):
    _small_partitions(monkeypatch)
    config = AuditConfig()
    from chachong.engine.local import load_documents

    documents, _, _ = load_documents([corpus_file], config)
    plain = prepare(documents, config)
    with WorkDir(tmp_path) as work:
        spilled = prepare(documents, config, work=work)
        assert np.array_equal(spilled.cps, plain.cps) and np.array_equal(spilled.signatures, plain.signatures)
        el = C.eligible(plain)
        a = C.fingerprint_candidates(plain, el, min_share=0.5)
        b = C.fingerprint_candidates(spilled, el, min_share=0.5)
        assert len(a) > 100 and np.array_equal(a, b)
        ca, cb = C.pair_candidates(plain), C.pair_candidates(spilled)
        for f in ("ident", "pairs", "jaccard", "containment"):
            assert np.array_equal(getattr(ca, f), getattr(cb, f)), f
        assert work.written > spilled.cps.nbytes
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("seed", range(4))
def test_lsh_candidates_spilled_are_those_in_memory(seed, tmp_path):
    rng = np.random.default_rng(seed)
    sig = rng.integers(0, 6, size=(300, 12)).astype(np.uint32)  # small values: many shared bands
    with WorkDir(tmp_path) as work:
        spilled = lsh.candidates(sig, 4, 3, spill=work, threads=2)
    assert np.array_equal(spilled, lsh.candidates(sig, 4, 3)) and len(spilled) > 500


def test_partitions_keep_rows_by_bound_and_order(tmp_path):
    with WorkDir(tmp_path) as work:
        parts = work.partitions(3, {"code": np.int64, "w": np.uint32})
        codes = np.array([5, 17, 2, 40, 11, 30, 9])
        parts.split(codes, np.array([10, 30]), code=codes, w=codes.astype(np.uint32) * 2)
        parts.split(codes[:2], np.array([10, 30]), code=codes[:2], w=np.zeros(2, np.uint32))
        got = [(p["code"].tolist(), p["w"].tolist()) for p in parts]
    assert got == [([5, 2, 9, 5], [10, 4, 18, 0]), ([17, 11, 17], [34, 22, 0]), ([40, 30], [80, 60])]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-2**40, 2**40), max_size=50), st.integers(1, 2**20), st.integers(0, 9),
       st.booleans(), st.booleans())
def test_partition_of_is_searchsorted(values, step, count, unsigned, even):
    dtype = np.uint64 if unsigned else np.int64
    by = np.array([abs(v) for v in values] if unsigned else values, dtype=dtype)
    bounds = (np.arange(1, count + 1) * step).astype(dtype)
    if not even and count > 1:
        bounds[-1] += 1  # not the multiples of the first: the binary search
    assert workdir.partition_of(by, bounds).tolist() == np.searchsorted(bounds, by, side="right").tolist()


def test_partitions_write_held_rows_in_row_groups_and_copy_appended_rows(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    monkeypatch.setattr(workdir, "HOLD_BYTES", 4 * 8 * 100)  # a share below 1 MB: 1 MB a partition
    with WorkDir(tmp_path) as work:
        parts = work.partitions(4, {"code": np.int64})
        rows = np.arange(300_000, dtype=np.int64)
        for piece in np.array_split(rows.copy(), 40):  # 40 appends of 60 KB: a row group per 18 of them
            parts.append(1, code=piece)
            piece[:] = -1  # the caller's array may change after append
        parts.append(3, code=np.array([7, 8]))
        parts.close()
        assert [pq.ParquetFile(f).metadata.num_row_groups for f in parts.files[1::2]] == [3, 1]
        assert parts.rows.tolist() == [0, 300_000, 0, 2]
        got = [p["code"] for p in parts]
    assert [g.tolist() for g in got[::2]] == [[], []] and np.array_equal(got[1], rows) and got[3].tolist() == [7, 8]


def test_folder_made_on_first_use_removed_on_exception_and_not_by_a_fork(tmp_path):
    work = WorkDir(tmp_path / "base")
    with pytest.raises(RuntimeError):
        with work:
            assert not (tmp_path / "base").exists()  # nothing spilled yet: no folder
            arr = work.empty(1000, np.int64)
            arr[:] = 7
            folder = work.path
            pid = os.fork()
            if pid == 0:  # a forked worker leaving the with block must not remove the folder
                work.close()
                os._exit(0 if work.usable is False and folder.exists() else 1)
            assert os.waitpid(pid, 0)[1] == 0 and folder.exists()
            raise RuntimeError("boom")
    assert not folder.exists() and list((tmp_path / "base").iterdir()) == []
    assert int(arr.sum()) == 7000  # mapped arrays stay readable
    # once closed, nothing is put there again (a result used after the audit computes in memory)
    assert work.empty(10, np.int64).flags.owndata and list((tmp_path / "base").iterdir()) == []


def test_spill_needed_by_the_estimate(monkeypatch):
    assert spill_needed(10, 0) and not spill_needed(10**6, 1.0)
    assert spill_needed(10**9, 1.0)  # 40 GB estimated
    monkeypatch.setattr(workdir, "available_memory", lambda: 2**30)
    assert spill_needed(10**8, None) and not spill_needed(10**6, None)
    monkeypatch.setattr(workdir, "available_memory", lambda: 0)
    assert not spill_needed(10**12, None)  # unknown: in memory, as before
    with pytest.raises(ConfigError):
        AuditConfig(memory_limit=-1)
    assert "memory_limit" not in AuditConfig(memory_limit=2).to_dict()


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    text = "第一段文字用来说明完全相同的两篇文档如何被发现，并且足够长可以配对。\n第二段话也要写得长一些才能参与配对和比较。\n"
    (folder / "a.txt").write_text("甲单位\n" + text, encoding="utf-8")
    (folder / "b.txt").write_text("乙单位\n" + text, encoding="utf-8")
    return folder


def test_cli_full_work_folder_is_one_line_and_no_report(tmp_path, monkeypatch):
    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(workdir.os, "posix_fallocate", full)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(_inputs(tmp_path)), "-o", str(out), "--work-dir",
                                    str(tmp_path / "work"), "--memory-limit", "0", "--format", "json,html"])
    assert res.exit_code == 2, res.output
    line = [x for x in res.output.splitlines() if "work folder" in x]
    assert len(line) == 1 and "is full (" in line[0] and "GB free" in line[0] and "--work-dir" in line[0]
    assert "Traceback" not in res.output
    assert not out.exists() or not list(out.iterdir())
    assert list((tmp_path / "work").iterdir()) == []


def test_full_folder_while_writing_partitions(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    def full(*args, **kwargs):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    with WorkDir(tmp_path) as work:
        parts = work.partitions(2, {"code": np.int64})
        parts.append(0, code=np.arange(5))  # held in memory: written at close or once past its share
        with pytest.raises(WorkDirFull, match=r"work folder .* is full \(.*GB free\).*--work-dir"):
            parts.close()
    assert list(tmp_path.iterdir()) == []


def test_cli_work_dir_options_in_help():
    res = CliRunner().invoke(main, ["audit", "--help"])
    assert "--work-dir" in res.output and "--memory-limit" in res.output
    assert "the system's temporary folder" in res.output


_INTERRUPTED = """
import sys, time, chachong
def stage(name):
    if name == "pair":
        print("ready", flush=True)
        time.sleep(60)
chachong.audit([sys.argv[1]], memory_limit=0, work_dir=sys.argv[2], progress=stage)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_audit_removes_its_folder(sig, tmp_path):
    work = tmp_path / "work"
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_INTERRUPTED), str(_inputs(tmp_path)), str(work)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "ready"
        made = list(work.iterdir())
        assert len(made) == 1 and any(made[0].iterdir())  # the corpus's arrays are there
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert list(work.iterdir()) == []


def test_cli_spilled_report_is_the_in_memory_one(tmp_path):
    inputs = _inputs(tmp_path)
    runner = CliRunner()
    plain = runner.invoke(main, ["audit", str(inputs), "-o", str(tmp_path / "a"), "--format", "json"])
    spilled = runner.invoke(main, ["audit", str(inputs), "-o", str(tmp_path / "b"), "--format", "json",
                                   "--work-dir", str(tmp_path / "work"), "--memory-limit", "0"])
    assert plain.exit_code == 0 and spilled.exit_code == 0, spilled.output
    assert (tmp_path / "a" / "report.json").read_bytes() == (tmp_path / "b" / "report.json").read_bytes()
    assert list((tmp_path / "work").iterdir()) == []
