"""numpy's AVX2 sorts on AMD Zen 4 (runtime/simd.py): chosen before numpy loads, only where it
helps and only when the user has not chosen."""

import subprocess
import sys
from pathlib import Path

import pytest

from chachong.runtime import simd

ZEN4 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nflags\t\t: fpu avx2 avx512f avx512dq\n\nprocessor\t: 1\n"
INTEL = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nflags\t\t: fpu avx2 avx512f\n"


@pytest.fixture
def before_numpy(monkeypatch):
    """As at chachong's import in a fresh process: numpy not loaded yet (restored afterwards)."""
    monkeypatch.delitem(sys.modules, "numpy")
    monkeypatch.setattr(simd.sys, "platform", "linux")


def _cpuinfo(tmp_path: Path, text: str) -> str:
    path = tmp_path / "cpuinfo"
    path.write_text(text)
    return str(path)


def test_set_on_zen4_before_numpy_loads(tmp_path, before_numpy, monkeypatch):
    monkeypatch.setattr(simd, "_numpy_version", lambda: (2, 4))
    env: dict[str, str] = {}
    assert simd.prefer_avx2_sort(env, _cpuinfo(tmp_path, ZEN4)) is True
    assert env == {"NPY_DISABLE_CPU_FEATURES": "X86_V4"}


@pytest.mark.parametrize("case", ["user chose", "user kept avx512", "intel", "zen5", "old numpy", "numpy loaded",
                                  "no cpuinfo"])
def test_left_alone(tmp_path, before_numpy, monkeypatch, case):
    monkeypatch.setattr(simd, "_numpy_version", lambda: (2, 3) if case == "old numpy" else (2, 4))
    env = {"user chose": {"NPY_DISABLE_CPU_FEATURES": "AVX512_SPR"},
           "user kept avx512": {"NPY_DISABLE_CPU_FEATURES": ""}}.get(case, {})
    before = dict(env)
    text = {"intel": INTEL, "zen5": ZEN4.replace(": 25", ": 26")}.get(case, ZEN4)
    path = _cpuinfo(tmp_path, text) if case != "no cpuinfo" else str(tmp_path / "missing")
    if case == "numpy loaded":
        monkeypatch.setitem(sys.modules, "numpy", object())
    assert simd.prefer_avx2_sort(env, path) is False and env == before


def test_workers_get_it_even_after_numpy_loaded(tmp_path, monkeypatch):
    """The processes chachong starts (a local Dask cluster's workers) load numpy anew: they get the
    variable whether or not this process loaded numpy first, and never against the user's choice."""
    monkeypatch.setitem(sys.modules, "numpy", sys.modules.get("numpy") or object())
    monkeypatch.setattr(simd.sys, "platform", "linux")
    monkeypatch.setattr(simd, "_numpy_version", lambda: (2, 4))
    assert simd.worker_environ({}, _cpuinfo(tmp_path, ZEN4)) == {"NPY_DISABLE_CPU_FEATURES": "X86_V4"}
    assert simd.worker_environ({"NPY_DISABLE_CPU_FEATURES": ""}, _cpuinfo(tmp_path, ZEN4)) == {}
    assert simd.worker_environ({}, _cpuinfo(tmp_path, INTEL)) == {}
    env: dict[str, str] = {}
    assert simd.prefer_avx2_sort(env, _cpuinfo(tmp_path, ZEN4)) is False and env == {}  # too late for this one
    monkeypatch.setattr(simd, "_numpy_version", lambda: (2, 3))
    assert simd.worker_environ({}, _cpuinfo(tmp_path, ZEN4)) == {}


def test_a_fresh_process_gets_numpys_dispatch_as_the_rule_says():
    """In a new process, importing chachong decides before numpy loads; numpy accepts the names
    (no warning, even as an error) and leaves its AVX-512 kernels out exactly on Zen 4."""
    code = ("import os, chachong\n"
            "from numpy._core._multiarray_umath import __cpu_features__ as f\n"
            "print(repr(os.environ.get('NPY_DISABLE_CPU_FEATURES')), f.get('AVX512F'), f.get('X86_V4'))\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        cpuinfo = ""
    import numpy

    wanted = sys.platform.startswith("linux") and simd.slow_avx512_sort(cpuinfo) \
        and tuple(int(x) for x in numpy.__version__.split(".")[:2]) >= (2, 4)
    if wanted:
        assert out == ["'X86_V4'", "True", "False"]
    else:
        assert out[0] == "None"
    # a user's choice stands
    env["NPY_DISABLE_CPU_FEATURES"] = ""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out[0] == "''"


def test_numpys_version_is_read_without_importing_it():
    import numpy

    assert simd._numpy_version() == tuple(int(x) for x in numpy.__version__.split(".")[:2])
