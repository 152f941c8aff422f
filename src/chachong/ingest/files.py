"""Paths and bytes of one input: path arguments as ``str``, printable display paths, and the
size-limited read every reader starts with.

Paths in ``Source.path`` and ``Skipped.path`` are POSIX strings as given or walked; bytes that do
not decode in a file name are shown escaped (``\\xff``) so every path is printable.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import PurePath

from chachong.ingest.errors import Bad, Limits, human

__all__ = ["PathArg", "display_path", "read_bytes", "suffix", "to_fs_path"]

PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]


def to_fs_path(path: PathArg) -> str:
    """The path as ``str``; undecodable bytes of a file name survive as lone surrogates."""
    return os.fsdecode(os.fspath(path))


def display_path(fs_path: str) -> str:
    """The path as a printable POSIX string: the form used in every Source and Skipped."""
    text = PurePath(fs_path).as_posix() if fs_path else fs_path
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that did not decode (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def suffix(fs_path: str) -> str:
    return os.path.splitext(fs_path)[1].lower()


def read_bytes(fs_path: str, limits: Limits) -> bytes:
    """The file's bytes, after checking it is a regular file within the size limit."""
    info = os.stat(fs_path)
    if stat.S_ISDIR(info.st_mode):
        raise Bad("is a folder, not a file; give the folder to read_sources to read all files in it")
    if not stat.S_ISREG(info.st_mode):
        # Opening a named pipe would block forever; a device may never end.
        raise Bad("is not a regular file (a device, pipe or socket); give a file or a folder")
    limit = limits.max_file_bytes
    too_big = Bad(
        f"is {human(info.st_size)}, over the {human(limit)} limit for one file; "
        "split it, or raise the limit with --max-file-mb"
    )
    if info.st_size > limit:
        raise too_big
    with open(fs_path, "rb") as handle:
        data = handle.read(limit + 1)  # the file may have grown since stat
    if len(data) > limit:
        raise too_big
    if not data:
        raise Bad("is empty; nothing to audit")
    return data
