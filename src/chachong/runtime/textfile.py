"""Texts kept in an unnamed temporary file instead of memory, read back by position.

The Dask engine's client (issue 21) writes the documents' texts here a partition at a time as it
fetches them from the workers, and the record's documents (:class:`chachong.model.LazyDocuments`)
read a document's text back when a stage or a report writer reads that document: the client holds
the texts of a few documents at a time, never the corpus's.

The file is made with ``tempfile.TemporaryFile`` in the work folder (``AuditConfig.work_dir``; the
system's temporary folder by default). It has no name, so it is gone when the object is dropped or
the process ends, however it ends (Ctrl-C, killed): nothing is left behind. The texts are stored as
UTF-8 with lone surrogates kept (``surrogatepass``): what is read back is what was written. A full
disk gives :class:`~chachong.runtime.workdir.WorkDirFull` (one line: the folder, its free space, the fix).
"""

from __future__ import annotations

import os
import tempfile
import threading
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chachong.runtime.workdir import folder_error

_CODEC = ("utf-8", "surrogatepass")


def _pack(texts: Sequence[str]) -> bytes:
    """The texts as their count and byte lengths (int64) and their bytes (not JSON: its decoder
    joins an escaped pair of lone surrogates into one character)."""
    blobs = [t.encode(*_CODEC) for t in texts]
    return array("q", [len(blobs), *map(len, blobs)]).tobytes() + b"".join(blobs)


def _unpack(data: memoryview) -> list[str]:
    sizes = array("q")
    sizes.frombytes(data[:8])
    at = 8 * (sizes.pop() + 1)
    sizes.frombytes(data[8:at])
    out = []
    for size in sizes:
        out.append(str(data[at:at + size], *_CODEC))
        at += size
    return out


@dataclass(frozen=True)
class EncodedTexts:
    """Texts as the bytes :class:`TextFile` writes (:func:`encode_texts`): ``ends``, where each text
    ends in ``data``; ``own``, text -> the byte range of its paragraphs' own texts."""

    data: bytes
    ends: array
    own: dict[int, tuple[int, int]]


def encode_texts(items: Iterable[tuple[str, Sequence[str] | None]]) -> EncodedTexts:
    """(text, paragraphs' own texts or None) pairs as :class:`TextFile`'s bytes. A Dask worker encodes
    its partition's texts (``engine.dask.partitions.texts``): the client receives one
    bytes object instead of unpickling a string per text and encoding it again."""
    buf = bytearray()
    ends, own = array("q"), {}
    for text, texts in items:
        buf += text.encode(*_CODEC)
        ends.append(len(buf))
        if texts is not None:
            start = len(buf)
            buf += _pack(texts)
            own[len(ends) - 1] = (start, len(buf))
    return EncodedTexts(bytes(buf), ends, own)


class TextFile:
    """Texts appended in order (each with its paragraphs' own texts, or None) and read back by position.

    >>> f = TextFile()
    >>> f.append([("甲乙", None), ("丙", ["丙"])])
    >>> f.append([("\\ud800\\udfff 丁", ["\\ud800\\udfff", ""])])
    >>> len(f), f.read([2, 0]), f.read([1])
    (3, [('\\ud800\\udfff 丁', ['\\ud800\\udfff', '']), ('甲乙', None)], [('丙', ['丙'])])
    >>> f.close()
    """

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.where = Path(folder) if folder else Path(tempfile.gettempdir())
        try:
            self.where.mkdir(parents=True, exist_ok=True)
            self._file = tempfile.TemporaryFile(dir=self.where)
        except OSError as exc:
            raise folder_error(exc, self.where) from None
        self._fd = self._file.fileno()
        self._ends = array("q", [0])  # the byte offset where each text ends (after the first 0)
        self._own: dict[int, tuple[int, int]] = {}  # text -> byte range of its paragraphs' texts (_pack)
        self._size = 0  # bytes written
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ends) - 1

    def append(self, items: Iterable[tuple[str, Sequence[str] | None]]) -> None:
        """Write these texts after the others, in one write."""
        self.append_encoded(encode_texts(items))

    def append_encoded(self, encoded: EncodedTexts) -> None:
        """Write texts made into bytes by :func:`encode_texts` (perhaps in another process) after the others."""
        with self._lock:
            at = self._size
            self._write(encoded.data, at)
            first = len(self._ends) - 1
            self._ends.extend(at + e for e in encoded.ends)
            self._own.update((first + i, (at + s, at + e)) for i, (s, e) in encoded.own.items())
            self._size = at + len(encoded.data)

    def _write(self, buf: bytes | bytearray, at: int) -> None:
        view = memoryview(buf)
        try:
            while view:
                n = os.pwrite(self._fd, view, at)
                view, at = view[n:], at + n
        except OSError as exc:
            raise folder_error(exc, self.where) from None

    def _pread(self, size: int, at: int) -> memoryview:
        """``size`` bytes at ``at``: a read may return fewer (Linux stops one near 2 GB)."""
        buf = bytearray(size)
        view, done = memoryview(buf), 0
        while done < size:
            n = os.preadv(self._fd, [view[done:]], at + done)
            if n <= 0:
                raise OSError(f"text file ended {size - done} bytes early")
            done += n
        return memoryview(buf)

    def _start(self, i: int) -> int:
        before = self._own.get(i - 1)
        return before[1] if before is not None else self._ends[i]

    def read(self, rows: Sequence[int]) -> list[tuple[str, list[str] | None]]:
        """(text, paragraphs' own texts or None) of the texts at ``rows``; consecutive rows in one read."""
        out: list[tuple[str, list[str] | None]] = []
        k = 0
        rows = list(rows)
        while k < len(rows):
            j = k + 1
            while j < len(rows) and rows[j] == rows[j - 1] + 1:
                j += 1
            lo, hi = rows[k], rows[j - 1]
            if not (0 <= lo < len(self) and 0 <= hi < len(self)):
                raise IndexError(f"text {lo if not 0 <= lo < len(self) else hi} of {len(self)}")
            first = self._start(lo)
            last = self._own[hi][1] if hi in self._own else self._ends[hi + 1]
            data = self._pread(last - first, first)
            for i in range(lo, hi + 1):
                s = self._start(i) - first
                text = str(data[s:self._ends[i + 1] - first], *_CODEC)
                own = self._own.get(i)
                texts = _unpack(data[own[0] - first:own[1] - first]) if own is not None else None
                out.append((text, texts))
            k = j
        return out

    def close(self) -> None:
        self._file.close()


__all__ = ["EncodedTexts", "TextFile", "encode_texts"]
