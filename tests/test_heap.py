"""runtime.heap.kept_heap: freed memory stays in the process while an audit runs, and goes back after."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt (Linux)")

_SCRIPT = textwrap.dedent("""
    import json, numpy as np
    from chachong.runtime.heap import kept_heap

    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024

    def churn():  # 96 MB in blocks of 8 MB, touched, then freed
        blocks = [np.ones(8 << 20, np.uint8) for _ in range(12)]
        del blocks

    out = {"start": rss()}
    with kept_heap():
        with kept_heap():  # nested: only the outermost block gives memory back
            churn()
            out["inner"] = rss()
        out["outer"] = rss()
    out["after"] = rss()
    churn()
    out["again"] = rss()
    print(json.dumps(out))
""")


@glibc
def test_freed_memory_is_kept_inside_and_given_back_after():
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True)
    mb = json.loads(done.stdout)
    # inside the blocks the 96 MB freed stay in the process for the next arrays
    assert mb["inner"] - mb["start"] >= 80, mb
    assert mb["outer"] - mb["start"] >= 80, mb
    # the outermost block's end gives them back, and glibc's defaults trim again afterwards
    assert mb["after"] - mb["start"] <= 24, mb
    assert mb["again"] - mb["start"] <= 24, mb


def test_an_exception_leaves_the_block_and_restores_it():
    from chachong.runtime import heap

    with pytest.raises(RuntimeError):
        with heap.kept_heap():
            assert heap._DEPTH == 1
            raise RuntimeError("stage failed")
    assert heap._DEPTH == 0  # the next audit's block is the outermost again


def test_overlapping_blocks_in_two_threads_give_back_at_the_last_exit():
    """Audits in two threads: the first to finish must not restore glibc's defaults under the other."""
    import threading

    from chachong.runtime import heap

    inside, release = threading.Event(), threading.Event()

    def other():
        with heap.kept_heap():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    with heap.kept_heap():
        t.start()
        inside.wait(10)
        assert heap._DEPTH == 2
    assert heap._DEPTH == 1  # the other thread's block is still open
    release.set()
    t.join()
    assert heap._DEPTH == 0


def test_the_local_engine_keeps_the_heap_in_memory_only(tmp_path, monkeypatch):
    """An in-memory audit keeps freed memory for reuse; one that spills to a work folder (short of
    memory) does not. Both give the same report."""
    from contextlib import contextmanager
    from pathlib import Path

    import chachong
    from chachong.runtime import heap

    events = []
    real = heap.kept_heap

    @contextmanager
    def spy():
        events.append("keep")
        with real():
            yield
        events.append("give back")

    def stage(name):
        events.append(name)

    monkeypatch.setattr(heap, "kept_heap", spy)
    example = str(Path(__file__).resolve().parents[1] / "examples" / "compilation.txt")
    in_memory = chachong.audit([example], progress=stage, workers=1)
    assert events[:3] == ["read", "keep", "sign"] and events[-1] == "give back", events
    events.clear()
    spilled = chachong.audit([example], progress=stage, workers=1, memory_limit=0, work_dir=str(tmp_path))
    # kept while reading (the corpus's size is not known before), given back before preparing
    assert events[:5] == ["read", "keep", "sign", "give back", "pair"] and events.count("give back") == 1, events
    assert spilled.to_json() == in_memory.to_json()
