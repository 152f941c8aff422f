"""Bad, odd and hostile inputs: each is processed, warned about, or skipped with a reason."""

from __future__ import annotations

import builtins
import errno
import io
import os
import re
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chachong.ingest import encoding, office, plain
from chachong.ingest.office import find_soffice
from chachong.ingest.read import IngestError, Limits, read_source, read_sources
from chachong.model import Skipped

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib does not; for badfiles
from badfiles import ENCRYPTED_DOCX, HELLO, LEGACY_DOC, LEGACY_DOC_REASON, SCANNED, TEXT, bomb, build_pdf, make_docx_bytes, write


def skipped_reason(path: Path | bytes, **kwargs) -> str:
    """Read one input with read_sources; it must be skipped, and nothing else reported."""
    sources, skipped = read_sources([path], **kwargs)
    assert sources == [] and len(skipped) == 1, (sources, skipped)
    assert "\n" not in skipped[0].reason
    return skipped[0].reason


# ----------------------------------------------------------------------- not text


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (bytes(range(256)) * 64, ""),  # NULs everywhere
        (b"\x89PNG\r\n\x1a\n" + bytes(500), " (a PNG image)"),
        (b"PK\x03\x04" + b"\x14" * 500, " (a zip archive, e.g. a .docx)"),
        (b"%PDF-1.4\n" + b"x" * 100, " (a PDF document)"),
        (b"\x01\x02\x03\x04\x05\x06abc" * 200, " (1200 control characters in the first 1800)"),
    ],
)
def test_binary_file_named_txt_is_skipped(tmp_path, data, detail):
    reason = skipped_reason(write(tmp_path / "a.txt", data))
    assert reason.startswith(f"looks like a binary file{detail}, not text; ")


def test_a_handful_of_nul_bytes_are_removed_with_a_warning(tmp_path):
    data = TEXT.encode()[:30] + b"\x00\x00\x00" + TEXT.encode()[30:] + b"\x00"
    [src] = read_source(write(tmp_path / "a.txt", data))
    assert src.text == TEXT
    assert src.warnings == ("removed 4 NUL character(s) (stray bytes in a text file)",)


def test_invalid_utf8_in_a_mostly_utf8_file_is_replaced_with_a_warning(tmp_path):
    data = (TEXT + "\n").encode() * 3 + "损坏".encode()[:-1] + b"\xff" + TEXT.encode()
    [src] = read_source(write(tmp_path / "a.txt", data))
    assert src.encoding == "utf-8"
    assert src.text == (TEXT + "\n") * 3 + "损\ufffd\ufffd\ufffd" + TEXT
    assert src.warnings == (
        "mixed encodings: 3 invalid UTF-8 byte(s) replaced with U+FFFD; re-save the file as UTF-8 or pass --encoding",
    )


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", "\u3000\u3000\n".encode(), b"\xef\xbb\xbf\n"])
def test_empty_or_whitespace_only_is_skipped(tmp_path, data):
    assert skipped_reason(write(tmp_path / "a.txt", data)) == "is empty; nothing to audit"


def test_undetectable_encoding_asks_for_encoding(tmp_path, monkeypatch):
    monkeypatch.setattr(encoding, "guess_fallback", lambda data: None)
    reason = skipped_reason(write(tmp_path / "a.txt", "Ünïcödé ëvérÿwhérè".encode("latin-1")))
    assert reason == "cannot tell its text encoding; pass --encoding (for example --encoding gb18030)"


# --------------------------------------------------------------------------- size


def test_100_mb_single_line_stays_within_bounded_memory(tmp_path):
    chunk = TEXT.encode() * 1000
    path = tmp_path / "big.txt"
    with open(path, "wb") as handle:
        handle.writelines(chunk for _ in range(100 * 2**20 // len(chunk)))
    size = path.stat().st_size
    assert size > 99 * 2**20
    started = time.perf_counter()
    tracemalloc.start()
    try:
        [src] = read_source(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(src.text) == size // 3 and "\n" not in src.text
    # bytes (1x) + decoded text (UCS-2, 2/3x) + chunks being joined (2/3x): about 2.6x
    assert peak < 3 * size, f"peak {peak / size:.2f}x the file size"
    assert time.perf_counter() - started < 15


def test_million_character_paragraph_is_just_read(tmp_path):
    body = ("第" + "长" * 999_998 + "。").encode("gbk")
    [src] = read_source(write(tmp_path / "a.txt", body))
    assert len(src.text) == 1_000_000 and src.encoding == "gb18030"


def test_file_over_the_size_limit_is_skipped_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.truncate(300 * 2**20)  # sparse: takes no disk space
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        assert Path(os.fsdecode(file)) != path, "a file over the limit must not be opened"
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    reason = skipped_reason(path)
    assert (
        reason
        == "is 300 MiB, over the 256 MiB limit for one file; split it, or raise the limit with --max-file-mb"
    )
    small = write(tmp_path / "small.txt", TEXT.encode())
    assert "over the 10 bytes limit" in skipped_reason(small, limits=Limits(max_file_bytes=10))


# --------------------------------------------------------------------------- docx


def test_legacy_doc_renamed_docx(tmp_path):
    # recognised by its content and sent to LibreOffice, which cannot open this fake (a real one:
    # tests/test_office.py); without LibreOffice, the reason names what to install
    reason = skipped_reason(write(tmp_path / "旧文件.docx", LEGACY_DOC))
    assert reason == (LEGACY_DOC_REASON if find_soffice() else f"{office.INSTALL}")


def test_password_protected_docx(tmp_path):
    reason = skipped_reason(write(tmp_path / "a.docx", ENCRYPTED_DOCX))
    assert reason == "is password-protected; remove the password in Word and save again"


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (make_docx_bytes()[:2000], "is a corrupt .docx (broken zip: "),
        (b"PK\x03\x04" + bytes(200), "is a corrupt .docx (broken zip: "),
        (b"<html><body>not a document</body></html>", "is not a .docx (not a zip archive); "),
    ],
)
def test_corrupt_or_fake_docx(tmp_path, data, start):
    assert skipped_reason(write(tmp_path / "a.docx", data)).startswith(start)


def test_zip_without_word_parts_is_a_corrupt_docx(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    reason = skipped_reason(write(tmp_path / "a.docx", buffer.getvalue()))
    assert reason.startswith("is a corrupt .docx (") and reason.endswith(
        "open it in Word/LibreOffice and save again"
    )


@pytest.mark.parametrize(
    ("part", "reason"),
    [
        (
            "xl/workbook.xml",
            "is an Excel workbook, not a Word document; save the sheet as .csv (one document per row)",
        ),
        (
            "ppt/presentation.xml",
            "is a PowerPoint presentation, not a Word document; save it as .pdf or .docx",
        ),
    ],
)
def test_other_office_files_named_docx(tmp_path, part, reason):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    assert skipped_reason(write(tmp_path / "a.docx", buffer.getvalue())) == reason


def test_docx_with_no_body_text_is_empty(tmp_path):
    reason = skipped_reason(write(tmp_path / "a.docx", make_docx_bytes("   ")))
    assert reason.startswith("is empty (no text in the document body")


def test_docx_total_size_guard_uses_the_zip_directory(tmp_path):
    path = write(tmp_path / "a.docx", make_docx_bytes())
    reason = skipped_reason(path, limits=Limits(max_docx_uncompressed=1000))
    assert reason.startswith("would expand to ")
    assert reason.endswith(
        "over the 1000 bytes limit (a zip bomb?); if the document is genuine, "
        "save it as .txt in Word (or raise Limits(max_docx_uncompressed=...) in Python)"
    )
    assert read_source(path)[0].text == TEXT  # the same file is fine under the default limit


def test_docx_zip_bomb_over_default_total_limit(tmp_path):
    path = bomb(tmp_path / "bomb.docx", 600 * 2**20)
    assert path.stat().st_size < 2 * 2**20
    started = time.perf_counter()
    reason = skipped_reason(path)
    assert time.perf_counter() - started < 2  # decided from the directory, nothing inflated
    assert re.match(r"would expand to 60\d\.\d MiB, over the 512 MiB limit \(a zip bomb\?\)", reason)


def test_docx_zip_bomb_over_the_compression_ratio(tmp_path):
    reason = skipped_reason(bomb(tmp_path / "bomb.docx", 4 * 2**20))
    assert reason.startswith("has a member (word/document.xml) that expands ")
    assert "over the 100x limit (a zip bomb?)" in reason


# ---------------------------------------------------------------------------- pdf

def test_pdf_text_layer_is_read(tmp_path):
    [src] = read_source(write(tmp_path / "a.pdf", build_pdf(HELLO)))
    assert (src.kind, src.encoding) == ("pdf", "unicode")
    assert "Annual report: revenue grew." in src.text and "Second line" in src.text
    assert "\f" not in src.text and "\r" not in src.text


def test_pdf_chinese_text_through_a_unicode_map(tmp_path):
    pdf = build_pdf(b"BT /F1 12 Tf 72 720 Td <0001000200030004> Tj ET", font="cid-unicode")
    [src] = read_source(write(tmp_path / "a.pdf", pdf))
    assert src.text.strip() == "中文测试"


def test_encrypted_pdf(tmp_path):
    reason = skipped_reason(write(tmp_path / "a.pdf", build_pdf(HELLO, encrypt=True)))
    assert reason == "is encrypted; remove the password and try again"


def test_pdf_without_text_layer(tmp_path):
    scanned = build_pdf(SCANNED)
    assert skipped_reason(write(tmp_path / "a.pdf", scanned)) == (
        "has no text layer (scanned?); read it by OCR with --ocr auto (needs pip install 'chachong[ocr]')")


def test_pdf_with_glyphs_but_no_unicode_map(tmp_path):
    pdf = build_pdf(b"BT /F1 12 Tf 72 720 Td <0001000200030004> Tj ET", font="cid")
    reason = skipped_reason(write(tmp_path / "a.pdf", pdf))
    assert reason == ("has text in fonts without a Unicode mapping, so it cannot be read; "
                      "read it by OCR with --ocr auto (needs pip install 'chachong[ocr]')")


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"%PDF-1.4\ngarbage that is not a PDF body\n", "is a corrupt or unreadable PDF (PDFSyntaxError: "),
        (build_pdf(HELLO)[:60], "is a corrupt or unreadable PDF ("),
        (
            b"<!DOCTYPE html><html><body>login required</body></html>",
            "is not a PDF (no %PDF header) (it is a web page); ",
        ),
    ],
)
def test_corrupt_or_fake_pdf(tmp_path, data, start):
    assert skipped_reason(write(tmp_path / "a.pdf", data)).startswith(start)


# ----------------------------------------------------------------- file system


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlink_loops_do_not_hang_and_files_are_read_once(tmp_path):
    root = tmp_path / "root"
    write(root / "sub" / "a.txt", "甲".encode())
    os.symlink(root, root / "sub" / "back-to-root")
    os.symlink(root / "sub", root / "sub-again")
    os.symlink(root / "sub" / "a.txt", root / "link-to-a.txt")
    os.symlink(root / "missing.txt", root / "broken.txt")
    sources, skipped = read_sources([root])
    assert [s.text for s in sources] == ["甲"]
    assert skipped == [
        Skipped((root / "broken.txt").as_posix(), "is a broken symbolic link; fix or remove the link")
    ]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_unreadable_file_with_real_permissions(tmp_path):
    if os.geteuid() != 0:
        path = write(tmp_path / "a.txt", TEXT.encode())
        path.chmod(0)
        try:
            assert skipped_reason(path).startswith("cannot read (permission denied); ")
        finally:
            path.chmod(0o644)
        return
    # root reads files whatever their mode (CI runs as root): a forked child reads it as the
    # unprivileged user nobody (its modules imported before, by reading a readable file)
    import json
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="chachong-mode-"))
    try:
        folder.chmod(0o755)  # nobody may enter it, and read what its modes allow
        ok = write(folder / "ok.txt", TEXT.encode())
        path = write(folder / "a.txt", TEXT.encode())
        path.chmod(0)
        assert len(read_sources([path, ok])[0]) == 2  # root reads it
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 1
            try:
                os.close(rfd)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                sources, skipped = read_sources([path, ok])
                os.write(wfd, json.dumps([len(sources), [x.reason for x in skipped]]).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(wfd)
        with os.fdopen(rfd, "rb") as fh:
            answer = fh.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0 and answer
        assert json.loads(answer) == [1, ["cannot read (permission denied); check the file's permissions"]]
    finally:
        shutil.rmtree(folder)


def test_unreadable_file(tmp_path, monkeypatch):
    # Simulated, because the tests may run as root, whom file modes do not stop.
    path = write(tmp_path / "a.txt", TEXT.encode())
    real_open = builtins.open

    def deny(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and Path(os.fsdecode(file)) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    assert skipped_reason(path) == "cannot read (permission denied); check the file's permissions"


def test_unreadable_folder(tmp_path, monkeypatch):
    write(tmp_path / "ok" / "a.txt", TEXT.encode())
    write(tmp_path / "locked" / "b.txt", TEXT.encode())
    real_scandir = os.scandir

    def deny(path="."):
        if Path(os.fsdecode(path)).name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    sources, skipped = read_sources([tmp_path])
    assert [Path(s.path).name for s in sources] == ["a.txt"]
    assert skipped == [
        Skipped(
            (tmp_path / "locked").as_posix(),
            "cannot read (permission denied); check the folder's permissions",
        )
    ]


def test_other_os_errors_give_a_one_line_reason(tmp_path, monkeypatch):
    path = write(tmp_path / "a.txt", TEXT.encode())
    real_open = builtins.open

    def broken_disk(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and Path(os.fsdecode(file)) == path:
            raise OSError(errno.EIO, "Input/output error")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", broken_disk)
    assert skipped_reason(path) == "cannot read (Input/output error); check the file and the disk"


def test_unexpected_exceptions_become_skipped_with_the_class_name(tmp_path, monkeypatch):
    path = write(tmp_path / "a.txt", TEXT.encode())
    write(tmp_path / "b.txt", TEXT.encode())

    def bug(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(plain, "decode_bytes", bug)
    sources, skipped = read_sources([path, tmp_path / "b.txt"])
    assert sources == []
    assert [s.reason for s in skipped] == [
        "could not be read (ZeroDivisionError: division by zero); this is a chachong bug, please report it with the file"
    ] * 2


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs a file system that stores raw bytes")
def test_file_name_that_is_not_utf8(tmp_path):
    folder = os.fsencode(tmp_path)
    raw = folder + b"/\xff\xfe\xb1\xa8\xb8\xe6.txt"  # "报告" in GBK, then not UTF-8 as a name
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, TEXT.encode())
    os.close(fd)
    expected = tmp_path.as_posix() + "/\\xff\\xfe\\xb1\\xa8\\xb8\\xe6.txt"
    for paths in ([tmp_path], [raw]):
        sources, skipped = read_sources(paths)
        assert skipped == []
        assert [(s.path, s.text) for s in sources] == [(expected, TEXT)]
        sources[0].path.encode("utf-8")  # printable, encodable: safe for JSON and HTML reports
    missing = folder + b"/\xff-missing.txt"
    assert read_sources([missing])[1] == [
        Skipped(tmp_path.as_posix() + "/\\xff-missing.txt", "no such file or directory; check the path")
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_not_opened(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    reason = skipped_reason(fifo)  # would block forever if opened
    assert reason == "is not a regular file (a device, pipe or socket); give a file or a folder"


def test_read_source_on_a_folder(tmp_path):
    folder = tmp_path / "x.txt"
    folder.mkdir()
    with pytest.raises(IngestError, match="is a folder, not a file"):
        read_source(folder)


# ------------------------------------------------------------------------ property


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.text(max_size=300).map(lambda t: t.encode("gb18030", "replace")),
    ),
    suffix=st.sampled_from([".txt", ".md", ".csv", ".jsonl"]),
)
def test_any_bytes_give_sources_or_a_reason(tmp_path, data, suffix):
    path = write(tmp_path / f"any{suffix}", data)
    try:
        sources = read_source(path)
    except IngestError as error:
        assert error.reason and "\n" not in str(error)
        sources = []
    for src in sources:
        assert src.text.strip() and "\r" not in src.text and "\x00" not in src.text
        assert not src.text.startswith("\ufeff")
        src.path.encode("utf-8")
    listed, skipped = read_sources([path])
    assert listed == sources
    assert len(skipped) == (0 if sources else 1)
