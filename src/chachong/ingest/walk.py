"""Folder walks: the supported files one given path stands for, sorted; problems become Skipped.

Every file in a folder is either read or listed as skipped with its reason (an unsupported type
says what to convert it to), except hidden files and folders, Word lock files and chachong's own
reports (the files of an output folder, recognised by its report.json), which are not documents.
"""

from __future__ import annotations

import os
import stat
from pathlib import PurePath

from chachong.ingest.errors import SUPPORTED, os_reason, unsupported
from chachong.ingest.files import display_path, suffix
from chachong.model import Skipped

__all__ = ["REPORT_FILES", "expand"]

# The files `chachong audit` writes into its output folder (report/writer.py; a test keeps the
# two in step). They are left out of a walk when the folder's report.json is chachong's.
REPORT_FILES = frozenset({
    "report.json", "report.html", "report.md",
    "documents.csv", "paragraph_pairs.csv", "document_pairs.csv", "clusters.csv", "passages.csv",
})
_SCHEMA = b'"schema": "chachong.audit/'


def _is_ignored(name: str) -> bool:
    # Hidden files and folders (.git, .DS_Store, macOS "._x.docx") and the lock files Word
    # leaves next to an open document ("~$报告.docx"), which are not documents.
    return name.startswith((".", "~$"))


def _is_report_folder(folder: str, names: set[str]) -> bool:
    if "report.json" not in names:
        return False
    try:
        with open(os.path.join(folder, "report.json"), "rb") as handle:
            return _SCHEMA in handle.read(256)
    except OSError:
        return False


def _walk(root: str, skipped: list[Skipped]) -> list[str]:
    """Supported files under ``root``, sorted by path; symbolic-link loops are visited once.
    Everything else found is appended to ``skipped`` (sorted by path) unless it is ignored."""
    files: list[str] = []
    skips: list[Skipped] = []
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
            skips.append(Skipped(display_path(folder), os_reason(exc, folder=True)))
            continue
        reports = _is_report_folder(folder, {e.name for e in entries})
        for entry in entries:
            if _is_ignored(entry.name) or (reports and entry.name in REPORT_FILES):
                continue
            try:
                if entry.is_dir():
                    stack.append(entry.path)
                elif entry.is_symlink() and not os.path.exists(entry.path):
                    skips.append(
                        Skipped(display_path(entry.path), "is a broken symbolic link; fix or remove the link")
                    )
                elif suffix(entry.name) not in SUPPORTED:
                    skips.append(Skipped(display_path(entry.path), unsupported(suffix(entry.name))))
                elif entry.is_file():
                    files.append(entry.path)
                else:
                    skips.append(Skipped(display_path(entry.path), "is not a regular file (a device, pipe or "
                                         "socket); give a file or a folder"))
            except OSError as exc:
                skips.append(Skipped(display_path(entry.path), os_reason(exc)))
    skipped.extend(sorted(skips, key=lambda s: s.path))
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
