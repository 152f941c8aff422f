"""Run one stage in a forked process while the caller runs another: the second core's share.

Stock-phrase mining and boilerplate detection read only the documents and the prepared
corpus, which a forked child shares with its parent without copying; alignment runs in the
parent meanwhile. The child sends its result back through a pipe and exits. Only on systems
that fork (Linux); elsewhere, or when the child fails, the caller computes the result itself,
so the answer never depends on whether the work ran in the background.

>>> job = Background(lambda: sum(range(10)))
>>> job.result()
45
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from typing import Any, Callable


class BackgroundError(RuntimeError):
    """The background process failed; the message carries its traceback."""


def available() -> bool:
    """Whether work can run in a forked process here: a system that forks, and not inside a
    daemonic process (a multiprocessing pool's worker may not start children)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def cores(workers: int) -> int:
    """Processes to use for ``workers`` (0: one per core)."""
    return workers if workers > 0 else (os.cpu_count() or 1)


def _child(fn: Callable[[], Any], conn: Any) -> None:
    try:
        conn.send(("ok", fn()))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent, which decides
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class Background:
    """``fn()`` running in a forked child from construction; :meth:`result` waits for it."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(fn, child_end), daemon=True)
        self._proc.start()
        child_end.close()

    def result(self) -> Any:
        """The child's return value; :class:`BackgroundError` when it raised or died."""
        try:
            kind, value = self._conn.recv()
        except EOFError:
            self._proc.join()
            kind, value = "error", f"the background process ended without an answer (exit code {self._proc.exitcode})"
        finally:
            self._conn.close()
            self._proc.join()
        if kind == "error":
            raise BackgroundError(value)
        return value


__all__ = ["Background", "BackgroundError", "available", "cores"]
