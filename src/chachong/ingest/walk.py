"""Folder walks: the supported files one given path stands for, sorted; problems become Skipped.

Hidden files and folders and Word lock files are ignored; so are unsupported types inside a
folder, while a file named explicitly with one is skipped with a reason.
"""

from __future__ import annotations

import os
import stat
from pathlib import PurePath

from chachong.ingest.errors import SUPPORTED, os_reason, unsupported
from chachong.ingest.files import display_path, suffix
from chachong.model import Skipped

__all__ = ["expand"]


def _is_ignored(name: str) -> bool:
    # Hidden files and folders (.git, .DS_Store, macOS "._x.docx") and the lock files Word
    # leaves next to an open document ("~$报告.docx"), which are not documents.
    return name.startswith((".", "~$"))


def _walk(root: str, skipped: list[Skipped]) -> list[str]:
    """Supported files under ``root``, sorted by path; symbolic-link loops are visited once."""
    files: list[str] = []
    visited: set[str] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(folder) as it:
                # scandir order is the file system's: sorted, the skipped list is the same everywhere
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skipped(display_path(folder), os_reason(exc, folder=True)))
            continue
        for entry in entries:
            if _is_ignored(entry.name):
                continue
            try:
                if entry.is_dir():
                    stack.append(entry.path)
                    continue
                if suffix(entry.name) not in SUPPORTED:
                    continue
                if entry.is_file():
                    files.append(entry.path)
                elif entry.is_symlink() and not os.path.exists(entry.path):
                    skipped.append(
                        Skipped(display_path(entry.path), "is a broken symbolic link; fix or remove the link")
                    )
            except OSError as exc:
                skipped.append(Skipped(display_path(entry.path), os_reason(exc)))
    return sorted(files, key=lambda p: PurePath(p).as_posix())


def expand(fs_path: str, skipped: list[Skipped]) -> list[str]:
    """The files to read for one given path; problems go to ``skipped``."""
    display = display_path(fs_path)
    try:
        info = os.stat(fs_path)
    except FileNotFoundError:
        reason = (
            "is a broken symbolic link; fix or remove the link"
            if os.path.islink(fs_path)
            else "no such file or directory; check the path"
        )
        skipped.append(Skipped(display, reason))
        return []
    except OSError as exc:
        skipped.append(Skipped(display, os_reason(exc)))
        return []
    if stat.S_ISDIR(info.st_mode):
        found = _walk(fs_path, skipped)
        if not found:
            kinds = ", ".join(SUPPORTED)
            skipped.append(Skipped(display, f"has no {kinds} files; nothing to audit"))
        return found
    if suffix(fs_path) not in SUPPORTED:
        skipped.append(Skipped(display, unsupported(suffix(fs_path))))
        return []
    return [fs_path]
