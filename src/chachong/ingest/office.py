"""Word-processor files other than ``.docx`` (``.doc``, ``.wps``, ``.rtf``, ``.odt``), converted to
``.docx`` by LibreOffice in headless mode and read by the ``.docx`` reader, so paragraphs, tables
and headings come through as they do from Word.

A file is recognised by its content, not its name (:func:`sniff`): a ``.docx`` that is really a
Word 97-2003 file goes to LibreOffice, a ``.doc`` that is really a ``.docx`` is read directly.
Kingsoft WPS Office saves ``.wps`` files in the Word 97-2003 binary format, so they are read the
same way; a ``.wps`` in an older Kingsoft format (no Word stream inside) is skipped with a reason.

:class:`Converter` converts the files of one :func:`~chachong.ingest.read.read_sources` call in
as few LibreOffice processes as possible (one per kind of content, 100 files each at most; a
fresh process costs a second or more), each with a private profile (``-env:UserInstallation``)
so that runs in parallel never collide, and watches each batch file by file: a file that takes
longer than ``Limits.office_seconds`` is given up (the process is killed) and the rest converted
again; when a batch ends badly every file it did not convert is tried on its own. Everything is
written to one temporary folder, removed when the converter closes.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from chachong.ingest.docx import read_docx
from chachong.ingest.encoding import OLE_MAGIC
from chachong.ingest.errors import Bad, Limits
from chachong.ingest.files import read_bytes, suffix
from chachong.model import Source

__all__ = ["OFFICE", "Converter", "find_soffice", "read_office", "sniff"]

OFFICE = (".doc", ".wps", ".rtf", ".odt")  # the extensions read through LibreOffice, by default

# LibreOffice's import filter for each kind of content. Naming it keeps LibreOffice from falling
# back to importing an unrecognised file as plain text (binary garbage read as a document).
_FILTERS = {
    "doc": "MS Word 97",
    "rtf": "Rich Text Format",
    "odt": "writer8",
    "html": "HTML (StarWriter)",
    "wordml": "MS Word 2003 XML",
}
_NAMES = {
    "doc": "a Word 97-2003 document",
    "rtf": "an RTF document",
    "odt": "an OpenDocument text",
    "html": "a web page saved as a Word file",
    "wordml": "a Word 2003 XML document",
}
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_ODT_MIME = b"application/vnd.oasis.opendocument.text"
_BATCH = 100  # files per LibreOffice process at most: a failure costs at most one batch's restart
_STARTUP_SECONDS = 30.0  # extra time for the first file of a batch: LibreOffice starting up
_POLL_SECONDS = 0.05

INSTALL = (
    "needs LibreOffice to be read, and LibreOffice is not installed; install it "
    "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui; others: libreoffice.org) "
    "or save the file as .docx"
)


def _head(fs_path: str, limits: Limits) -> bytes:
    """The first 512 bytes of a regular, non-empty file within the size limit; raises the reason otherwise."""
    info = os.stat(fs_path)
    if not stat.S_ISREG(info.st_mode) or not 0 < info.st_size <= limits.max_file_bytes:
        return read_bytes(fs_path, limits)[:512]  # raises: a folder, a device, an empty or too large file
    with open(fs_path, "rb") as handle:
        return handle.read(512)


def sniff(fs_path: str, limits: Limits) -> str:
    """What a word-processor file really holds: ``"docx"`` (read directly), the kind of content
    LibreOffice converts (``doc``, ``rtf``, ``odt``, ``html``, ``wordml``), or ``"other"``. Raises
    Bad for an Office file that holds no Word document (the reason says what it is and what to do).
    """
    head = _head(fs_path, limits)
    if head.startswith(OLE_MAGIC):
        data = read_bytes(fs_path, limits)  # the streams' names are in a directory anywhere in the file
        if _ENCRYPTED in data:
            return "docx"  # a password-protected .docx: the .docx reader says so
        if _WORD_STREAM in data:
            return "doc"
        if suffix(fs_path) == ".wps":
            raise Bad(
                "is a Kingsoft WPS file in an old format that is not Word-compatible (no Word stream "
                "inside), which LibreOffice cannot read; open it in WPS Office and save as .docx"
            )
        raise Bad(
            "is an Office file without a Word document inside (Excel, PowerPoint or another program's?); "
            "open it in the program that made it and save as .docx, .pdf or .csv"
        )
    if head.startswith(b"PK"):
        # an OpenDocument package starts with its uncompressed "mimetype" member
        return "odt" if head[30:38] == b"mimetype" and _ODT_MIME in head[:200] else "docx"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<w:worddocument" in text or (text.startswith(b"<?xml") and b"word.document" in text):
        return "wordml"
    if text.startswith((b"<html", b"<!doctype html")) or b"<html" in text[:256]:
        return "html"
    return "other"


def _converts(ext: str, kind: str) -> bool:
    """Whether a file goes to LibreOffice. A .docx holding a web page is a download gone wrong, not
    a Word file: the .docx reader says so."""
    return kind in _FILTERS and (ext != ".docx" or kind in ("doc", "rtf", "odt"))


def _unreadable(head: bytes) -> Bad:
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(b"mime-version:"):
        return Bad("is a web archive (.mht) saved as a Word file; open it in Word and save as .docx")
    return Bad(
        "is not a Word, WPS, RTF or OpenDocument file (its content is none of them); "
        "open it in the program that made it and save as .docx"
    )


def find_soffice() -> str | None:
    """The LibreOffice program (``soffice``) on PATH or where its installer puts it, or None."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    if sys.platform == "darwin":
        candidates = ["/Applications/LibreOffice.app/Contents/MacOS/soffice"]
    elif sys.platform == "win32":
        candidates = [os.path.join(os.environ.get(v, ""), "LibreOffice", "program", "soffice.exe")
                      for v in ("PROGRAMFILES", "PROGRAMFILES(X86)")]
    else:
        candidates = ["/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"]
    return next((c for c in candidates if os.path.isfile(c)), None)


@dataclass
class _Job:
    fs_path: str
    kind: str
    link: str = ""  # the input's name in the converter's folder
    result: str | Bad | None = None  # the converted .docx, or why there is none


class Converter:
    """LibreOffice conversions for one reading of many files; a context manager that removes its
    temporary folder (and stops any LibreOffice it started) on exit.

    :meth:`convert` takes every file to convert up front and converts them in batches;
    :meth:`docx` gives one file's converted ``.docx`` (converting it then if it was not given).
    """

    def __init__(self, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._jobs: dict[str, _Job] = {}
        self._kinds: dict[str, str | Bad] = {}
        self._tmp: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._soffice: str | None | bool = False  # False: not looked up yet
        self._count = 0  # inputs linked and batches run, for unique names

    def __enter__(self) -> "Converter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop()
        if self._tmp is not None:
            _remove_tree(self._tmp)
            self._tmp = None

    def kind(self, fs_path: str) -> str:
        """:func:`sniff` of the file, remembered; raises its Bad."""
        if fs_path not in self._kinds:
            try:
                self._kinds[fs_path] = sniff(fs_path, self.limits)
            except Bad as bad:
                self._kinds[fs_path] = bad
        found = self._kinds[fs_path]
        if isinstance(found, Bad):
            raise found
        return found

    def convert(self, fs_paths: list[str]) -> None:
        """Convert these files (those that need LibreOffice; the others are left alone), in batches."""
        todo: list[_Job] = []
        for path in fs_paths:
            if path in self._jobs:
                continue
            try:
                kind = self.kind(path)
            except (Bad, OSError):
                continue  # read_source says why
            if _converts(suffix(path), kind):
                job = self._jobs[path] = _Job(path, kind)
                todo.append(job)
        if not todo:
            return
        soffice = self._program()
        if soffice is None:
            for job in todo:
                job.result = Bad(INSTALL)
            return
        for kind in _FILTERS:
            group = [j for j in todo if j.kind == kind]
            for i in range(0, len(group), _BATCH):
                self._run(soffice, kind, group[i:i + _BATCH])

    def docx(self, fs_path: str) -> str:
        """The converted ``.docx`` of a file that needs LibreOffice; raises Bad when there is none."""
        if fs_path not in self._jobs:
            self.convert([fs_path])
        job = self._jobs[fs_path]
        if isinstance(job.result, Bad):
            raise job.result
        assert job.result is not None
        return job.result

    # ---- running LibreOffice ----

    def _program(self) -> str | None:
        if self._soffice is False:
            self._soffice = find_soffice()
        return self._soffice or None  # type: ignore[return-value]

    def _folder(self, name: str) -> str:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="chachong-office-")
        path = os.path.join(self._tmp, name)
        os.makedirs(path, exist_ok=True)
        return path

    def _run(self, soffice: str, kind: str, jobs: list[_Job]) -> None:
        """Convert ``jobs`` (one kind), in one process while all goes well."""
        inputs = self._folder("in")
        for job in jobs:
            self._count += 1
            job.link = os.path.join(inputs, f"{self._count:06d}.{kind}")
            try:
                os.symlink(os.path.abspath(job.fs_path), job.link)
            except OSError:  # no symbolic links here (Windows without the privilege)
                shutil.copyfile(job.fs_path, job.link)
        queue = list(jobs)
        while queue:
            outputs, clean = self._batch(soffice, kind, queue)
            if clean:
                for job, out in zip(queue, outputs):
                    job.result = out if out else Bad(_failed(kind))
                return
            # The batch hung or crashed. LibreOffice converts in order, so files before the last
            # output were converted or failed to load; the last output may be incomplete, and the
            # file after it may be the one that hung: those two, and any failure before them, are
            # tried on their own; the rest go on in a new batch.
            last = max((i for i, out in enumerate(outputs) if out), default=-1)
            for i, job in enumerate(queue[:last + 2]):
                if outputs[i] and i < last:
                    job.result = outputs[i]
                    continue
                alone, clean_alone = self._batch(soffice, kind, [job])
                if alone[0] and clean_alone:
                    job.result = alone[0]
                elif clean_alone:
                    job.result = Bad(_failed(kind))
                else:
                    job.result = Bad(
                        f"made LibreOffice hang or crash (no result within {self.limits.office_seconds:.0f} s); "
                        "open it in Word/WPS and save as .docx"
                    )
            queue = queue[last + 2:]

    def _batch(self, soffice: str, kind: str, jobs: list[_Job]) -> tuple[list[str | None], bool]:
        """One LibreOffice process converting ``jobs``: each job's output (or None), and whether
        the process finished by itself (False: it hung on a file and was stopped, or crashed)."""
        self._count += 1
        out_dir = self._folder(f"out{self._count}")
        profile = Path(self._folder("profile")).as_uri()
        expected = [os.path.join(out_dir, Path(j.link).stem + ".docx") for j in jobs]
        command = [
            soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            f"-env:UserInstallation={profile}", f"--infilter={_FILTERS[kind]}",
            "--convert-to", "docx:MS Word 2007 XML", "--outdir", out_dir, *[j.link for j in jobs],
        ]
        env = dict(os.environ, SAL_USE_VCLPLUGIN="svp")
        self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        per_file = self.limits.office_seconds
        deadline = time.monotonic() + per_file + _STARTUP_SECONDS
        done = 0
        while self._proc.poll() is None:
            time.sleep(_POLL_SECONDS)
            now_done = sum(1 for e in expected[done:] if os.path.exists(e)) + done
            if now_done > done:
                done, deadline = now_done, time.monotonic() + per_file
            elif time.monotonic() > deadline:
                self._stop()
                break
        clean = self._proc is not None and self._proc.returncode == 0
        self._proc = None
        return [e if os.path.isfile(e) else None for e in expected], clean

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)  # soffice starts soffice.bin: the whole group
            else:  # pragma: no cover - Windows
                proc.kill()
        except OSError:
            pass
        proc.wait()


def _remove_tree(folder: str) -> None:
    """Remove the converter's folder. Unlike shutil.rmtree, by full paths only (no removal relative
    to a folder descriptor), so that what is removed can be audited (tests/test_bad_input_e2e.py)."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            try:
                os.remove(os.path.join(root, name))
            except OSError:
                pass
        for name in dirs:
            try:
                os.rmdir(os.path.join(root, name))
            except OSError:
                pass
    try:
        os.rmdir(folder)
    except OSError:
        pass


def _failed(kind: str) -> str:
    return (
        f"could not be opened by LibreOffice as {_NAMES[kind]} (damaged, password-protected or "
        "not what it seems); open it in Word/WPS and save as .docx"
    )


def read_office(fs_path: str, display: str, limits: Limits, converter: Converter) -> list[Source]:
    """Read a word-processor file: directly when it holds a ``.docx``, else through LibreOffice."""
    kind = converter.kind(fs_path)
    ext = suffix(fs_path)
    if kind == "other" and ext != ".docx":
        raise _unreadable(_head(fs_path, limits))
    if not _converts(ext, kind):
        sources = read_docx(fs_path, display, limits)
        if ext == ".docx":
            return sources
        note = f"is a .docx named {ext}; read as .docx"
        return [replace(s, warnings=(note, *s.warnings)) for s in sources]
    sources = read_docx(converter.docx(fs_path), display, limits)
    warnings: tuple[str, ...] = ()
    if ext == ".docx":
        warnings = (f"is {_NAMES[kind]} named .docx; read through LibreOffice",)
    return [replace(s, kind=ext.lstrip(".") or kind, warnings=warnings + s.warnings) for s in sources]
