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

import gc
import multiprocessing
import os
import pickle
import threading
import traceback
from typing import Any, Callable

from chachong.runtime.gcpause import paused_gc


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
    # what the child inherited is the parent's: a collection walking it would write to every
    # object's header and so copy every page of them (the corpus's documents and paragraphs)
    gc.freeze()
    try:
        conn.send(("ok", fn()))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent, which decides
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class Background:
    """``fn()`` running in a forked child from construction; :meth:`result` waits for it.

    A thread of the caller reads the child's answer as soon as it is sent, so the child exits
    then and its memory (the pages it copied from the parent, its own temporaries) is freed,
    rather than held until the caller asks for the result. The answer is unpickled only in
    :meth:`result`.
    """

    def __init__(self, fn: Callable[[], Any]) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(fn, child_end), daemon=True)
        self._proc.start()
        child_end.close()
        self._answer: bytes | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            self._answer = self._conn.recv_bytes()
        except (EOFError, OSError):
            self._answer = None

    def wait(self) -> None:
        """Until the child has sent its answer (or ended without one): it exits then."""
        self._reader.join()

    def cancel(self) -> None:
        """Stop the child (its answer is no longer wanted) and reap it."""
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()
        self._conn.close()

    def result(self) -> Any:
        """The child's return value; :class:`BackgroundError` when it raised or died."""
        self._reader.join()
        self._conn.close()
        self._proc.join()
        if self._answer is None:
            raise BackgroundError(
                f"the background process ended without an answer (exit code {self._proc.exitcode})")
        # many small acyclic objects: collections during the load would walk this whole process
        with paused_gc():
            kind, value = pickle.loads(self._answer)
        self._answer = None
        if kind == "error":
            raise BackgroundError(value)
        return value


__all__ = ["Background", "BackgroundError", "available", "cores"]
