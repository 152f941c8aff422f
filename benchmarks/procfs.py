"""Figures of a running process (and of the machine's CPUs) read from ``/proc`` (Linux), for the benchmarks."""

from __future__ import annotations

from pathlib import Path


def proc_kb(field: str, pid: int | str = "self", file: str = "status") -> int:
    """A ``field:`` of ``/proc/<pid>/<file>`` in kB (``VmHWM``, ``RssAnon``; ``Pss_Anon`` of
    ``smaps_rollup``); 0 when the process or the field is gone."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def children() -> list[int]:
    """The pids of this process's children (of any of its threads)."""
    out: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            out.extend(int(x) for x in (task / "children").read_text().split())
        except OSError:
            pass
    return out


def cpu_ticks() -> tuple[int, int]:
    """The machine's busy and total CPU ticks so far (``/proc/stat``: every process, not only ours)."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)
