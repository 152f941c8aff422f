"""Safe file output: atomic writes, file names made from document titles, path containment.

Reports and split documents are written where users keep their work, so a crash or a full
disk must never leave a half-written file behind, and a document title (which comes from
the audited files, i.e. from strangers) must never become a path outside the output folder
or a name the operating system refuses.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AtomicFiles", "atomic_write_bytes", "atomic_write_text", "inside", "safe_filename", "write_fix"]

StrPath = str | os.PathLike[str]

# Names Windows reserves for devices, with or without an extension ("CON.txt" opens the console).
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)
# Path separators and the characters Windows forbids in names; each run becomes one "_" so
# that "2023/2024 总结" stays readable as "2023_2024 总结".
_FORBIDDEN = re.compile(r'[/\\:*?"<>|]+')
_SPACES = re.compile(r"\s+")


def _current_umask() -> int:
    # os.umask can only be read by setting it; done once at import, before any threads run.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _mode_for(target: Path) -> int:
    """Permissions for a new version of ``target``: those of the file it replaces, else the default.

    ``lstat``: a symbolic link at ``target`` is replaced, never followed, so the mode of
    whatever it points to (outside the output folder, perhaps) is not copied. Only the
    permission bits are kept: a report must not inherit set-user-ID or sticky bits.
    """
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return 0o666 & ~_UMASK
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "a folder has this name", str(target))
    return stat.S_IMODE(info.st_mode) & 0o777 if stat.S_ISREG(info.st_mode) else 0o666 & ~_UMASK


def _new_temp(target: Path) -> tuple[int, str]:
    """A new, empty temporary file beside ``target``: (open descriptor, name)."""
    # mkstemp opens with O_EXCL: it creates a fresh file and never follows a planted link
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")


def _finish(fd: int, tmp: str, mode: int, data: bytes | None) -> None:
    """Write ``data`` as the whole content of the temporary file (None: keep what is there),
    flush it to disk, close it and give it ``mode``."""
    try:
        if data is not None:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)


def _stage(target: Path, data: bytes) -> tuple[str, int]:
    """Write ``data`` to a new temporary file beside ``target`` and flush it to disk: (name, mode)."""
    mode = _mode_for(target)
    fd, tmp = _new_temp(target)
    try:
        _finish(fd, tmp, mode, data)
    except BaseException:
        _remove(tmp)
        raise
    return tmp, mode


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def atomic_write_bytes(path: StrPath, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    The data goes to a temporary file in the same folder (``os.replace`` is only atomic
    within one file system), is flushed to disk with ``fsync``, then renamed over ``path``.
    An existing file keeps its permissions; a new one gets the usual ``0o666 & ~umask``.
    A symbolic link at ``path`` is replaced by the file, not followed. On any failure the
    temporary file is removed and the exception propagates.
    """
    target = Path(path)
    tmp, _mode = _stage(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise
    _fsync_folder(target.parent)


class AtomicFiles:
    """Replace several files together: all new versions, or (on any failure) all old ones.

    Each :meth:`add` writes one file's content to a temporary name beside it at once (so
    only one file's content need be in memory); :meth:`commit` renames them all into place,
    which is quick and does not fail for want of disk space. Leaving the ``with`` block by an
    exception, or without ``commit``, removes the temporary files and leaves every existing
    file as it was.

    >>> import pathlib, shutil, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with AtomicFiles() as batch:
    ...     batch.add_text(folder / "a.txt", "一")
    ...     batch.add_text(folder / "b.txt", "二")
    ...     written = batch.commit()
    >>> [p.name for p in written], sorted(p.name for p in folder.iterdir())
    (['a.txt', 'b.txt'], ['a.txt', 'b.txt'])
    >>> shutil.rmtree(folder)
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path]] = []
        self._open: dict[str, int] = {}  # reserved files not filled yet: their descriptors
        self._done = False

    def __enter__(self) -> AtomicFiles:
        return self

    def _check(self, path: StrPath) -> Path:
        if self._done:
            raise RuntimeError("this batch is already committed")
        target = Path(path)
        if any(t == target for _, t in self._staged):
            raise ValueError(f"{target} is already in this batch")
        return target

    def add_bytes(self, path: StrPath, data: bytes) -> None:
        """Stage ``data`` for ``path`` (written to disk now, visible at :meth:`commit`)."""
        target = self._check(path)
        tmp, _mode = _stage(target, data)
        self._staged.append((tmp, target))

    def reserve(self, path: StrPath) -> "Reserved":
        """Stage ``path`` now and write its content later (:meth:`fill`), possibly from a forked
        process that writes to the reserved file's descriptor (:func:`write_all`)."""
        target = self._check(path)
        mode = _mode_for(target)
        fd, tmp = _new_temp(target)
        self._staged.append((tmp, target))
        self._open[tmp] = fd
        return Reserved(fd, tmp, mode)

    def fill(self, slot: "Reserved", data: bytes | None) -> None:
        """Finish a reserved file: ``data`` replaces whatever was written to it, or (None) what
        was written through its descriptor is kept; flushed to disk either way."""
        _finish(self._open.pop(slot.tmp), slot.tmp, slot.mode, data)

    def add_text(self, path: StrPath, text: str) -> None:
        """Stage ``text`` as UTF-8 (encoded before anything touches the disk)."""
        self.add_bytes(path, text.encode("utf-8"))

    def commit(self) -> list[Path]:
        """Rename every staged file into place; returns the paths, in the order added."""
        if self._open:
            raise RuntimeError("a reserved file was not filled")
        self._done = True
        folders: dict[Path, None] = {}
        for tmp, target in self._staged:
            os.replace(tmp, target)
            folders[target.parent] = None
        for folder in folders:
            _fsync_folder(folder)
        written = [target for _, target in self._staged]
        self._staged = []
        return written

    def __exit__(self, *exc: object) -> None:
        # temporary files not renamed (an exception, or no commit) are removed
        for fd in self._open.values():
            os.close(fd)
        self._open = {}
        for tmp, _target in self._staged:
            _remove(tmp)
        self._staged = []
        self._done = True


@dataclass(frozen=True)
class Reserved:
    """A file staged by :meth:`AtomicFiles.reserve`: its open descriptor, temporary name and mode."""

    fd: int
    tmp: str
    mode: int


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the descriptor ``fd`` (at its current offset)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; some file systems (and Windows) cannot
    # open a folder for fsync, and the write has already succeeded, so that is not an error.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: StrPath, text: str) -> None:
    """Write ``text`` atomically as UTF-8 with ``\\n`` line endings on every platform.

    The text is encoded before anything touches the disk, so unencodable text (lone
    surrogates) raises ``UnicodeEncodeError`` and leaves any existing file untouched.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def write_fix(exc: OSError) -> str:
    """What a user can do about a failed write, for the end of a one-line error message.

    >>> write_fix(OSError(errno.ENOSPC, "No space left on device"))
    'free disk space or choose another folder with -o'
    """
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free disk space or choose another folder with -o"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "check the folder's permissions or choose another folder with -o"
    if exc.errno == errno.EISDIR:
        return "move that folder or choose another folder with -o"
    return "choose another folder with -o"


def _clean_title(title: str) -> str:
    text = unicodedata.normalize("NFC", title)
    # Whitespace controls (newline, tab) separate words, so they become spaces; other
    # control and format characters (NUL, bidi overrides, zero-width spaces) are dropped.
    text = _SPACES.sub(" ", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    text = _FORBIDDEN.sub("_", text)
    return _trim(text)


def _trim(stem: str) -> str:
    # Leading dots would hide the file (and ".." is a parent folder); Windows drops
    # trailing dots and spaces silently, which would make two names collide.
    return stem.strip(" ").lstrip(".").rstrip(". ").strip()


def _is_reserved(stem: str) -> bool:
    return stem.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def safe_filename(title: str, taken: set[str], *, suffix: str = ".txt", max_len: int = 80) -> str:
    """A file name for ``title`` that is safe on Linux, macOS and Windows and not in ``taken``.

    Separators and characters Windows forbids become ``_``, control and format characters are
    removed, leading dots and trailing dots/spaces are stripped, Windows device names (CON,
    NUL, COM1, ...) get a leading ``_``, and Chinese (any letter) is kept. The name, suffix
    included, is at most ``max_len`` characters (80 Chinese characters are 240 bytes in
    UTF-8, under the 255-byte limit of common file systems). A result without any letter or
    digit becomes ``document``. Clashes with ``taken`` (compared exactly) get ``-2``, ``-3``, ...; the
    chosen name is added to ``taken``.

    >>> taken = set()
    >>> safe_filename("关于2023/2024年度工作的报告", taken)
    '关于2023_2024年度工作的报告.txt'
    >>> safe_filename("关于2023/2024年度工作的报告", taken)
    '关于2023_2024年度工作的报告-2.txt'
    >>> safe_filename("../..", taken), safe_filename("CON", taken)
    ('document.txt', '_CON.txt')
    """
    if max_len < len(suffix) + 1:
        raise ValueError(f"max_len {max_len} leaves no room for a name before {suffix!r}")
    stem = _clean_title(title)
    if not any(ch.isalnum() for ch in stem):  # "_", "——" or "..." say nothing about the document
        stem = "document"
    if _is_reserved(stem):
        stem = "_" + stem
    n = 1
    while True:
        marker = "" if n == 1 else f"-{n}"
        room = max_len - len(suffix) - len(marker)
        if room < 1:
            raise ValueError(f"no unique name for {title!r} fits in {max_len} characters")
        base = _trim(stem[:room]) or "document"[:room]
        if _is_reserved(base):
            base = ("_" + base)[:room]
        name = f"{base}{marker}{suffix}"
        if name not in taken:
            taken.add(name)
            return name
        n += 1


def inside(base: StrPath, path: StrPath) -> bool:
    """True when ``path``, with symbolic links and ``..`` resolved, is ``base`` or lies within it.

    A relative ``path`` is taken relative to ``base`` (the way an output name is used),
    so ``inside(out, "../x")`` is False.

    >>> inside("/srv/out", "/srv/out/a/b.txt"), inside("/srv/out", "a/../../etc/passwd")
    (True, False)
    """
    root = Path(base).resolve()
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root / candidate
    resolved = candidate.resolve()
    return resolved == root or resolved.is_relative_to(root)
