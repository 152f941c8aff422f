"""numpy's sorts on AMD Zen 4: its AVX2 kernels, not its AVX-512 ones (5 times faster there).

numpy sorts integers with x86-simd-sort, and picks the AVX-512 kernels on any CPU that has
AVX-512. On AMD Zen 4 (family 19h with AVX-512) the compress-store to memory those kernels
issue for every vector is microcoded (AMD's Zen 4 optimisation guide: "avoid the memory
destination form of COMPRESS"), which makes them slower than numpy's AVX2 kernels: on this
project's 2-core Zen 4 machine ``np.sort`` of 11 M int64 took 64 ns an element against 11 with
AVX2, ``argsort`` 140 against 71 (numpy 2.4; numpy/numpy#32690 and x86-simd-sort#6 discuss it).
Sorting is a fifth of an audit's CPU time, so on such a CPU chachong asks numpy, before numpy is
imported, to leave its AVX-512 kernels out (``NPY_DISABLE_CPU_FEATURES``, numpy's own switch).
Results are the same: a sort gives the same array, and the one unstable ``argsort`` chachong
calls (``align.blocks_many``) sorts distinct keys, so its order does not depend on the kernel
(the reports are byte-identical with and without, ``benchmarks/identity.py``); only the speed differs.

Nothing is changed when the user set ``NPY_DISABLE_CPU_FEATURES`` (to anything, even empty:
that is also how to keep the AVX-512 kernels), when numpy is imported already (a notebook that
imported pandas first: numpy reads the variable once), on other CPUs (Intel's AVX-512 kernels are
its fastest; Zen 5, family 1Ah, has a fast compress-store), or with a numpy older than 2.4 (whose
dispatch targets have other names: naming one it lacks makes numpy warn). Forked processes inherit
this process's numpy; the workers of a local Dask cluster are new processes and get the variable
from :func:`worker_environ`, whether or not this process could still set it for itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

VARIABLE = "NPY_DISABLE_CPU_FEATURES"
# numpy >= 2.4's x86-64-v4 dispatch target, which every AVX-512 kernel needs: off, the sorts take the
# AVX2 kernels (naming also AVX512_ICL and AVX512_SPR, the targets above it, measured the same; a
# target a numpy build lacks would make numpy warn, so only the one every such build has)
AVX512_TARGETS = "X86_V4"


def slow_avx512_sort(cpuinfo: str) -> bool:
    """Whether the first processor of ``/proc/cpuinfo``'s text is an AMD family 19h with AVX-512 (Zen 4).

    >>> slow_avx512_sort("vendor_id\\t: AuthenticAMD\\ncpu family\\t: 25\\nflags\\t\\t: fpu avx2 avx512f avx512dq\\n")
    True
    >>> slow_avx512_sort("vendor_id\\t: AuthenticAMD\\ncpu family\\t: 26\\nflags\\t\\t: fpu avx2 avx512f\\n")
    False
    >>> slow_avx512_sort("vendor_id\\t: GenuineIntel\\ncpu family\\t: 6\\nflags\\t\\t: fpu avx2 avx512f\\n")
    False
    >>> slow_avx512_sort("vendor_id\\t: AuthenticAMD\\ncpu family\\t: 25\\nflags\\t\\t: fpu avx2\\n")
    False
    """
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the first processor's block only
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return (fields.get("vendor_id") == "AuthenticAMD" and fields.get("cpu family") == "25"
            and "avx512f" in fields.get("flags", "").split())


def _numpy_version() -> tuple[int, ...]:
    """numpy's (major, minor) without importing it: from its ``version.py`` (``importlib.metadata``
    would add 15 ms to every start), else its metadata."""
    import importlib.util
    import re

    spec = importlib.util.find_spec("numpy")
    if spec is None or not spec.origin:
        return ()
    try:
        text = Path(spec.origin).with_name("version.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    found = re.search(r'^version\s*(?::\s*str\s*)?=\s*["\'](\d+)\.(\d+)', text, re.M)
    if found:
        return int(found[1]), int(found[2])
    from importlib.metadata import PackageNotFoundError, version

    try:
        return tuple(int(x) for x in version("numpy").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return ()


def _first_processor(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read(16384)
    except OSError:
        return ""


def prefer_avx2_sort(environ: MutableMapping[str, str] = os.environ, cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Set ``NPY_DISABLE_CPU_FEATURES`` so that numpy sorts with its AVX2 kernels, on a Zen 4 CPU
    only and only when it can still take effect (see the module docstring); whether it was set."""
    if "numpy" in sys.modules:
        return False
    wanted = worker_environ(environ, cpuinfo)
    environ.update(wanted)
    return bool(wanted)


def worker_environ(environ: Mapping[str, str] = os.environ, cpuinfo: str = "/proc/cpuinfo") -> dict[str, str]:
    """The variable for the processes this one starts to run stages (a local Dask cluster's workers),
    whether or not numpy is loaded here: ``{NPY_DISABLE_CPU_FEATURES: X86_V4}`` on a Zen 4 CPU with
    numpy 2.4 or later, unless ``environ`` has the variable (the user's choice, or this process's own,
    which they inherit anyway); else empty.

    A process that loaded numpy before chachong (``distributed`` loads it, so does pandas) cannot change
    its own sorts any more, but its workers are new processes: without this, a Dask cluster started from
    a notebook or a script that imported ``distributed`` first had its workers sort with the AVX-512
    kernels, 5 times slower on Zen 4.
    """
    if VARIABLE in environ or not sys.platform.startswith("linux"):
        return {}
    if not slow_avx512_sort(_first_processor(cpuinfo)) or _numpy_version() < (2, 4):
        return {}
    return {VARIABLE: AVX512_TARGETS}


__all__ = ["AVX512_TARGETS", "VARIABLE", "prefer_avx2_sort", "slow_avx512_sort", "worker_environ"]
