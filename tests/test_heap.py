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
