"""The work folder of an audit larger than memory: where its big intermediate data spills.

A :class:`WorkDir` is a private folder (``chachong-XXXXXXXX``, mode 0700) made inside the folder
the user chose (``AuditConfig.work_dir``; the system's temporary folder by default) the first
time something spills, and removed with all it holds when the audit ends: normally, on an
exception, on Ctrl-C (SIGINT) and on SIGTERM (turned into ``SystemExit`` while the folder is
open, so that the ``finally`` clauses run). Only the process that made it removes it: forked
workers inherit the object and the handlers but never delete the folder (each runs a watcher of
its own over the pages it maps, see below).

It holds two kinds of data:

- arrays that must stay randomly accessible (the corpus's code points, shingle hashes,
  signatures, the fingerprint index): :meth:`WorkDir.empty` maps a file of the array's size
  (reserved on the disk first, so a full disk fails at once rather than with SIGBUS on a later
  write), which the stages fill in place. :meth:`WorkDir.drop` lets the kernel
  take back the pages of every mapped array: they stay in the file (and the page cache while
  memory allows) and are read again when touched. A watcher thread drops them whenever the
  process holds more than ``FILE_BUDGET`` bytes of them (``RssFile``), so what the process
  holds is what it uses now, whatever the size of the corpus;
- rows that are produced in any order and consumed a partition at a time (candidate pair rows,
  fingerprint keys): :class:`Partitions` appends them to one Parquet file per partition
  (pyarrow) and reads one partition back at a time.

A write that finds the disk full (``ENOSPC``, ``EDQUOT``) raises :class:`WorkDirFull`, one line
naming the folder, its free space and the fix; no report is written since the audit stops.

:func:`spill_needed` decides whether an audit spills at all: when its estimated peak memory
exceeds ``AuditConfig.memory_limit`` (GiB; by default the memory the machine has available),
so small audits never touch the disk.
"""

from __future__ import annotations

import errno
import mmap
import os
import shutil
import signal
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Iterator

import numpy as np

from chachong.runtime.heap import trim_heap

_FULL = (errno.ENOSPC, errno.EDQUOT)
# peak bytes of an in-memory audit per character of text, measured with the local engine at
# 600,000 synthetic paragraphs (93 M characters): 3.1 GB in the main process, 33 bytes a
# character, and the forked phrase and alignment workers add to it; rounded up
BYTES_PER_CHAR = 40
HOLD_BYTES = 64 << 20  # rows held in memory by a Partitions before they are written (all partitions)
FILE_BUDGET = 512 << 20  # pages of the work folder's files the process may hold before they are dropped
_WATCH_SECONDS = 0.25


class WorkDirError(RuntimeError):
    """The work folder cannot be used (made, written); the message names the folder and the fix."""


class WorkDirFull(WorkDirError):
    """The work folder's disk (or quota) is full."""


def available_memory() -> int:
    """Bytes of memory the machine can give without swapping (``MemAvailable``), or 0 if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


# what an audit's memory grows by, per character of text, while its forked second process (stock
# phrases, then half the alignment) runs: the child's own pages and the main process's growth as it aligns
# meanwhile, 15 bytes (the processes' Pss_Anon summed, at 600k paragraphs, in memory and spilled alike;
# `benchmarks/memory.py --stages`: the align stage's "with forks" less the main process at the fork),
# and a third more for the pages of the mapped files a spilled audit reads meanwhile
FORK_BYTES_PER_CHAR = 20


def fork_fits(chars: int) -> bool:
    """Whether a second process for an audit of ``chars`` characters fits in the memory the machine has
    available now (:data:`FORK_BYTES_PER_CHAR`; when that is unknown, it is assumed to). Two processes
    that do not fit page each other's memory out: at 6 M paragraphs (main process 15.8 GB, child 14.7 GB,
    before paragraphs were held as spans) the kernel took 42-45 % of the CPU."""
    free = available_memory()
    return not free or FORK_BYTES_PER_CHAR * chars <= free


def estimated_peak(chars: int) -> int:
    """Estimated peak bytes of an in-memory audit of ``chars`` characters of text."""
    return BYTES_PER_CHAR * chars


def spill_needed(chars: int, memory_limit: float | None) -> bool:
    """Whether an audit of ``chars`` characters spills to the work folder: its estimated peak
    (:func:`estimated_peak`) exceeds ``memory_limit`` GiB (0: always spill; ``None``: the
    machine's available memory; when that is unknown, never)."""
    limit = available_memory() if memory_limit is None else memory_limit * 2**30
    if memory_limit is None and not limit:
        return False
    return estimated_peak(chars) > limit


def _rss_file() -> int:
    """Bytes of mapped files this process holds in memory (``RssFile``; 0 if unknown)."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"RssFile:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _free_gb(path: Path) -> str:
    try:
        return f"{shutil.disk_usage(path).free / 1e9:.1f} GB free"
    except OSError:
        return "free space unknown"


def folder_error(exc: OSError, where: Path) -> WorkDirError:
    """The one-line error for ``exc`` met writing in the work folder ``where``: full, or unusable."""
    if exc.errno in _FULL:
        return WorkDirFull(f"work folder {where} is full ({_free_gb(where)}): the audit spills its "
                           f"intermediate data there; choose another --work-dir with more room")
    return WorkDirError(f"work folder {where}: {exc.strerror or exc}; choose another --work-dir")


class WorkDir:
    """A private folder for an audit's spilled data (see the module docstring).

    ``base``: the folder to make it in (``None``: the system's temporary folder). Use it as a
    context manager; the folder is made when first needed and removed on leaving.
    """

    def __init__(self, base: str | os.PathLike | None = None) -> None:
        self.base = Path(base) if base is not None else Path(tempfile.gettempdir())
        self._path: Path | None = None
        self._owner = os.getpid()
        self._maps: list[mmap.mmap] = []
        self._count = 0
        self._handlers: dict[int, object] = {}
        self._closed = False
        self._lock = threading.Lock()  # the fingerprint index is built on a thread meanwhile
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.written = 0  # bytes reserved or written in the folder so far

    # -- lifetime
    def __enter__(self) -> "WorkDir":
        if threading.current_thread() is threading.main_thread():
            # SIGTERM would end the process without running any finally clause: made an exception
            for sig in (signal.SIGTERM,):
                try:
                    self._handlers[sig] = signal.signal(sig, _terminate)
                except (ValueError, OSError):
                    pass
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the folder and everything in it (in the process that made it only).

        Arrays mapped from its files stay readable (the files are gone from the folder, their
        pages stay until the arrays are freed), so a result that holds them keeps working.
        """
        if os.getpid() != self._owner:
            return
        self._closed = True
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        for sig, old in self._handlers.items():
            try:
                signal.signal(sig, old)  # type: ignore[arg-type]
            except (ValueError, OSError, TypeError):
                pass
        self._handlers.clear()
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None

    @property
    def path(self) -> Path:
        """The private folder, made on first use."""
        with self._lock:
            if self._path is None:
                try:
                    self.base.mkdir(parents=True, exist_ok=True)
                    self._path = Path(tempfile.mkdtemp(prefix="chachong-", dir=self.base))
                except OSError as exc:
                    raise folder_error(exc, self.base) from None
            return self._path

    def file(self, suffix: str) -> Path:
        """A new file name in the folder."""
        folder = self.path
        with self._lock:
            self._count += 1
            return folder / f"{self._count:04d}{suffix}"

    # -- arrays
    @property
    def usable(self) -> bool:
        """Whether this process may put files in the folder: the one that made it, before it
        was closed (a forked worker, or a result used after the audit, holds arrays in memory)."""
        return not self._closed and os.getpid() == self._owner

    def empty(self, shape: int | tuple[int, ...], dtype) -> np.ndarray:
        """An uninitialised array backed by a file of the folder (like ``np.empty``; in memory when
        not :attr:`usable`)."""
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        dtype = np.dtype(dtype)
        size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if size == 0 or not self.usable:
            return np.empty(shape, dtype)
        name = self.file(".bin")
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                # reserve the blocks now: a write into a hole of a full disk is a SIGBUS later
                os.posix_fallocate(fd, 0, size)
                mm = mmap.mmap(fd, size)
            finally:
                os.close(fd)
        except OSError as exc:
            raise folder_error(exc, self.path) from None
        with self._lock:
            self.written += size
            self._maps.append(mm)
            if self._watcher is None:
                self._start_watcher()
        return np.frombuffer(mm, dtype=dtype, count=size // dtype.itemsize).reshape(shape)

    def _start_watcher(self) -> None:
        self._watcher = threading.Thread(target=self._watch, name="chachong-workdir", daemon=True)
        self._watcher.start()
        _WATCHED.add(self)

    def _after_fork(self) -> None:
        """In a forked worker: its own lock and watcher, for the mapped pages it touches."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        if self._maps and not self._closed:
            self._start_watcher()

    def _watch(self) -> None:
        """Drop the mapped pages whenever the process holds more than ``FILE_BUDGET`` of them."""
        while not self._stop.wait(_WATCH_SECONDS):
            if _rss_file() > FILE_BUDGET:
                self.drop(trim=False)

    def drop(self, trim: bool = True) -> None:
        """Let the kernel take back the memory of every mapped array (see the module docstring),
        and give freed heap memory back (:func:`chachong.runtime.heap.trim_heap`)."""
        with self._lock:
            maps = list(self._maps)
        for mm in maps:
            try:
                mm.madvise(mmap.MADV_DONTNEED)
            except (ValueError, OSError):
                pass  # closed
        if trim:
            trim_heap()

    # -- partitioned rows
    def partitions(self, count: int, columns: dict[str, type]) -> "Partitions":
        return Partitions(self, count, columns)


_WATCHED: "weakref.WeakSet[WorkDir]" = weakref.WeakSet()  # folders whose pages a watcher drops


def _watch_in_child() -> None:
    for work in list(_WATCHED):
        work._after_fork()


os.register_at_fork(after_in_child=_watch_in_child)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def partition_of(by: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Each value's place among the ascending ``bounds``: ``np.searchsorted(bounds, by, side="right")``,
    by one division when the bounds are the multiples of the first (ranges of pair codes, top bits of
    hashes), 20 times faster than a binary search per value.

    >>> partition_of(np.array([-5, 0, 9, 10, 29, 30, 99]), np.array([10, 20, 30])).tolist()
    [0, 0, 0, 1, 2, 3, 3]
    """
    if bounds.size and by.dtype == bounds.dtype and bounds.dtype.kind in "iu":
        step = bounds[0]
        if step > 0 and np.array_equal(bounds, step * np.arange(1, bounds.size + 1, dtype=bounds.dtype)):
            part = by // step
            if bounds.dtype.kind == "i":
                np.maximum(part, 0, out=part)
            return np.minimum(part, bounds.size, out=part).astype(np.intp)
    return np.searchsorted(bounds, by, side="right")


class Partitions:
    """Rows of named integer ``columns`` appended in batches to ``count`` Parquet files (one per
    partition) of a :class:`WorkDir`, read back one partition at a time.

    Appended rows are held per partition and written as one row group once they pass
    ``HOLD_BYTES / count`` (at least 1 MB): thousands of small batches written one by one took
    a fifth of the spilled pair stage. Columns are plain encoded and not compressed: hashes and
    pair codes hardly repeat or compress, and trying a dictionary, then zstd, for each batch cost 3-4
    times and 1.5 times the write.
    Reading a partition may happen on any thread, one partition per thread.
    """

    def __init__(self, work: WorkDir, count: int, columns: dict[str, type]) -> None:
        import pyarrow as pa

        self.work = work
        self.count = count
        self.schema = pa.schema([(name, pa.from_numpy_dtype(np.dtype(t))) for name, t in columns.items()])
        self.files = [work.file(f".p{i}.parquet") for i in range(count)]
        self._writers: list = [None] * count
        self._held: list[list[dict[str, np.ndarray]]] = [[] for _ in range(count)]
        self._held_bytes = [0] * count
        self._flush_at = max(1 << 20, HOLD_BYTES // max(count, 1))
        self.rows = np.zeros(count, np.int64)

    def append(self, part: int, **columns: np.ndarray) -> None:
        """Add rows (equal-length arrays per column, copied) to partition ``part``."""
        self._hold(part, {f.name: np.array(columns[f.name]) for f in self.schema})

    def _hold(self, part: int, columns: dict[str, np.ndarray]) -> None:
        n = len(next(iter(columns.values())))
        if not n:
            return
        self._held[part].append(columns)
        self._held_bytes[part] += sum(c.nbytes for c in columns.values())
        self.rows[part] += n
        if self._held_bytes[part] >= self._flush_at:
            self._flush(part)

    def _flush(self, part: int) -> None:
        """Write the rows held for ``part`` as one row group."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        held = self._held[part]
        if not held:
            return
        table = pa.table({f.name: np.concatenate([h[f.name] for h in held]) for f in self.schema},
                         schema=self.schema)
        self._held[part], self._held_bytes[part] = [], 0
        try:
            if self._writers[part] is None:
                self._writers[part] = pq.ParquetWriter(self.files[part], self.schema, compression="none",
                                                       use_dictionary=False, write_statistics=False)
            self._writers[part].write_table(table)
        except OSError as exc:
            raise folder_error(exc, self.work.path) from None

    def split(self, by: np.ndarray, bounds: np.ndarray, **columns: np.ndarray) -> None:
        """Append each row to the partition of its value ``by`` among the ascending ``bounds``
        (``count - 1`` of them: partition i takes ``bounds[i-1] <= by < bounds[i]``)."""
        part = partition_of(by, bounds)
        # a stable sort of 16-bit values is a radix sort: 8 times a stable sort of int64 here
        order = np.argsort(part.astype(np.uint16) if self.count <= 1 << 16 else part, kind="stable")
        counts = np.bincount(part, minlength=self.count)
        at = 0
        for p, c in enumerate(counts.tolist()):
            if c:
                rows = order[at:at + c]
                self._hold(p, {f.name: columns[f.name][rows] for f in self.schema})
            at += c

    def close(self) -> None:
        """Finish writing (before reading)."""
        for i in range(self.count):
            self._flush(i)
            w = self._writers[i]
            if w is not None:
                try:
                    w.close()
                except OSError as exc:
                    raise folder_error(exc, self.work.path) from None
                self.work.written += self.files[i].stat().st_size
                self._writers[i] = None

    def read(self, part: int) -> dict[str, np.ndarray]:
        """The rows of partition ``part`` in the order they were appended, column by column."""
        import pyarrow.parquet as pq

        if not self.rows[part]:
            return {f.name: np.zeros(0, f.type.to_pandas_dtype()) for f in self.schema}
        table = pq.read_table(self.files[part], use_threads=False)
        out = {}
        for name in self.schema.names:
            col = table.column(name).to_numpy()
            out[name] = col if col.flags.writeable else col.copy()  # the caller may sort it in place
        return out

    def take(self, part: int) -> dict[str, np.ndarray]:
        """:meth:`read`, then delete the partition's file (after :meth:`close`)."""
        out = self.read(part)
        self.files[part].unlink(missing_ok=True)
        return out

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        """Each partition in turn, its file deleted once read."""
        self.close()
        for p in range(self.count):
            yield self.take(p)


__all__ = ["BYTES_PER_CHAR", "FILE_BUDGET", "HOLD_BYTES", "Partitions", "folder_error", "WorkDir", "WorkDirError", "WorkDirFull",
           "available_memory", "estimated_peak", "partition_of", "spill_needed"]
