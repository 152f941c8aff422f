"""Safe file output: atomic writes, safe names, containment."""

from __future__ import annotations

import os
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chachong.runtime import fsio
from chachong.runtime.fsio import atomic_write_bytes, atomic_write_text, inside, safe_filename


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ----------------------------------------------------------------------- atomic writes


def test_atomic_write_creates_and_replaces(tmp_path):
    target = tmp_path / "report.json"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(str(target), b"second")
    assert target.read_bytes() == b"second"
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_atomic_write_keeps_the_mode_of_an_existing_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write_bytes(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = tmp_path / "b.txt"
    atomic_write_bytes(fresh, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0o600


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    target.write_bytes(b"old")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsio.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_write_into_a_missing_folder_raises_and_leaves_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "missing" / "a.txt", b"x")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_text_is_utf8_with_unix_newlines(tmp_path):
    target = tmp_path / "a.md"
    atomic_write_text(target, "标题\n正文\n")
    assert target.read_bytes() == "标题\n正文\n".encode()


def test_unencodable_text_fails_before_touching_the_file(tmp_path):
    target = tmp_path / "a.md"
    target.write_bytes(b"old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "bad \udcff surrogate")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------------ safe names


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("关于2023年度工作的报告", "关于2023年度工作的报告.txt"),
        ("a/b\\c", "a_b_c.txt"),
        ("../../etc/passwd", "_.._etc_passwd.txt"),
        ("..", "document.txt"),
        ("../..", "document.txt"),
        ("——……", "document.txt"),
        ("", "document.txt"),
        ("   ", "document.txt"),
        ("\x00\x01\u202e", "document.txt"),
        ("报告\x00名称", "报告名称.txt"),
        ("第一行\n第二行\t结尾", "第一行 第二行 结尾.txt"),
        (".hidden", "hidden.txt"),
        ("结尾有点和空格. . ", "结尾有点和空格.txt"),
        ('问题: "引号" <尖括号> | 星号* 问号?', "问题_ _引号_ _尖括号_ _ 星号_ 问号_.txt"),
        ("CON", "_CON.txt"),
        ("nul", "_nul.txt"),
        ("com1.report", "_com1.report.txt"),
        ("CONSOLE", "CONSOLE.txt"),
        ("ｃａｆé", "ｃａｆé.txt"),  # full-width letters are kept as they are (NFC only)
    ],
)
def test_safe_filename_cleaning(title, expected):
    assert safe_filename(title, set()) == expected


def test_safe_filename_deduplicates_and_records(tmp_path):
    taken: set[str] = {"报告.md"}
    names = [safe_filename("报告", taken, suffix=".md") for _ in range(3)]
    assert names == ["报告-2.md", "报告-3.md", "报告-4.md"]
    assert taken == {"报告.md", "报告-2.md", "报告-3.md", "报告-4.md"}


def test_safe_filename_respects_max_len_including_the_marker():
    taken: set[str] = set()
    first = safe_filename("很" * 200, taken, max_len=20)
    second = safe_filename("很" * 200, taken, max_len=20)
    assert first == "很" * 16 + ".txt"
    assert second == "很" * 14 + "-2.txt"
    with pytest.raises(ValueError):
        safe_filename("x", set(), suffix=".txt", max_len=4)


def test_safe_filename_truncation_does_not_leave_a_trailing_dot():
    assert safe_filename("abc. def", set(), max_len=8) == "abc.txt"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(st.text(max_size=120), min_size=1, max_size=6))
def test_safe_filename_always_gives_a_writable_unique_name_inside_the_folder(tmp_path, titles):
    folder = tmp_path / "out"
    folder.mkdir(exist_ok=True)
    taken: set[str] = set()
    for title in titles:
        name = safe_filename(title, taken, max_len=60)
        assert name and len(name) <= 60 and name.endswith(".txt")
        assert not name.startswith(".") and not any(c in name for c in '/\\\x00:*?"<>|')
        assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
        assert inside(folder, name)
        path = folder / name
        assert not path.exists()  # unique within this batch
        atomic_write_text(path, title.encode("utf-8", "replace").decode("utf-8"))
    for path in folder.iterdir():
        path.unlink()


# ---------------------------------------------------------------------------- inside


def test_inside(tmp_path):
    base = tmp_path / "out"
    base.mkdir()
    assert inside(base, base / "a" / "b.txt")
    assert inside(base, "a/b.txt")  # relative to base
    assert inside(base, base)
    assert not inside(base, "../x.txt")
    assert not inside(base, tmp_path / "out-other" / "x")  # a prefix of the name is not inside
    assert not inside(base, "/etc/passwd")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_inside_follows_symbolic_links(tmp_path):
    base = tmp_path / "out"
    base.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", base / "link")
    assert not inside(base, base / "link" / "x.txt")


def test_reserved_files_are_filled_through_their_descriptor_or_removed(tmp_path):
    import os

    from chachong.runtime.fsio import AtomicFiles, write_all

    (tmp_path / "b.json").write_bytes(b"old")
    with AtomicFiles() as batch:
        slot = batch.reserve(tmp_path / "b.json")
        batch.add_bytes(tmp_path / "a.csv", b"a")
        write_all(slot.fd, b"partly written")
        with pytest.raises(RuntimeError, match="not filled"):
            batch.commit()
    # nothing committed: the old file stays, no temporary file is left, the descriptor is closed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"] and (tmp_path / "b.json").read_bytes() == b"old"
    with pytest.raises(OSError):
        os.fstat(slot.fd)
    with AtomicFiles() as batch:
        kept = batch.reserve(tmp_path / "b.json")
        replaced = batch.reserve(tmp_path / "c.json")
        write_all(kept.fd, b"written by another process")
        write_all(replaced.fd, b"a failed attempt, longer than the content")
        batch.fill(kept, None)
        batch.fill(replaced, b"content")
        assert [p.name for p in batch.commit()] == ["b.json", "c.json"]
    assert (tmp_path / "b.json").read_bytes() == b"written by another process"
    assert (tmp_path / "c.json").read_bytes() == b"content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json", "c.json"]
