"""Output safety (issue 9): ``split`` and report writing never write outside the output folder,
write every file under a temporary name and rename it, and replace an existing report only with
a complete new one."""

from __future__ import annotations

import errno
import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from chachong.runtime import fsio
from chachong.api import audit
from chachong.cli import main
from chachong.report.writer import ReportError, write_report
from chachong.report.split_files import SplitError, split_to_folder

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib does not; for badfiles
import badfiles as bf

RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
HOSTILE = [
    "../../逃逸工作总结",
    "/etc/passwd",
    "a/b\\c:工作*总结?",
    "..",
    "CON",
    "nul.txt",
    "COM1.报告",
    "报告\x00名称总结",
    "长" * 200 + "总结",
    ".隐藏的工作总结",
    "lpt9",
    "\u202etxt.exe总结",  # a right-to-left override hiding the real suffix
]
BODY = "本单位全年完成了各项工作任务，群众满意度稳步提高，各项指标均达到年初确定的目标。"


def compilation(titles: list[str]) -> str:
    toc = "".join(f"{t}\t{i + 1}\n" for i, t in enumerate(titles))
    return "机关材料汇编\n\n目录\n" + toc + "\n" + "".join(f"{t}\n{BODY}{i}\n\n" for i, t in enumerate(titles))


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: file contents, or the target of a link."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = path.read_bytes()
    return out


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def assert_safe_name(name: str) -> None:
    assert name and len(name) <= 80 and name.endswith(".txt")
    assert not name.startswith(".") and not any(c in name for c in '/\\\x00:*?"<>|')
    assert all(unicodedata.category(c) not in ("Cc", "Cf") for c in name)
    assert name.split(".")[0].upper() not in RESERVED


# --------------------------------------------------------------------------- split


def test_split_keeps_hostile_titles_inside_the_output_folder(tmp_path):
    comp = bf.write(tmp_path / "in" / "comp.txt", compilation(HOSTILE).encode())
    out = tmp_path / "work" / "out"
    before = tree(tmp_path)
    res = CliRunner().invoke(main, ["split", str(comp), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "warning: " in res.stderr and "removed 2 NUL character(s)" in res.stderr  # the NUL in a title
    files = sorted(out.iterdir())
    assert len(files) == len(HOSTILE)
    assert res.stdout.splitlines() == [str(p) for p in sorted(files, key=lambda p: p.name)]
    for n, path in enumerate(files, 1):
        assert path.parent == out and not path.is_symlink()
        assert_safe_name(path.name)
        assert path.name.startswith(f"{n:02d}-")
        title, blank, body = path.read_text(encoding="utf-8").split("\n", 2)
        assert title == HOSTILE[n - 1].replace("\x00", "") and blank == "" and body == f"{BODY}{n - 1}\n"
    assert files[3].name == "04-document.txt"  # ".." says nothing about the document
    after = tree(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("work/")} == before  # nothing else changed
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "逃逸工作总结.txt").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_split_never_follows_or_overwrites_what_is_in_the_output_folder(tmp_path):
    comp = bf.write(tmp_path / "comp.txt", compilation(["第一篇工作总结", "第二篇工作总结"]).encode())
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = bf.write(outside / "victim.txt", b"must stay as it is")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / "01-第一篇工作总结.txt")  # a planted link at the name split would choose
    os.symlink(outside, out / "02-第二篇工作总结.txt")  # a planted link to a folder
    bf.write(out / "03-第三篇工作总结.txt", b"an earlier file")
    written, warnings = split_to_folder(str(comp), out)
    assert warnings == []
    assert [p.name for p in written] == ["01-第一篇工作总结-2.txt", "02-第二篇工作总结-2.txt"]
    assert victim.read_bytes() == b"must stay as it is" and sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert os.readlink(out / "01-第一篇工作总结.txt") == str(victim)
    assert (out / "03-第三篇工作总结.txt").read_bytes() == b"an earlier file"
    assert temporaries(out) == []


def test_split_that_fails_part_way_writes_nothing(tmp_path, monkeypatch):
    titles = [f"第{n}篇工作总结" for n in "一二三四"]
    comp = bf.write(tmp_path / "comp.txt", compilation(titles).encode())
    out = tmp_path / "out"
    calls = []
    real_fsync = os.fsync

    def disk_full_on_the_third_file(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(fsio.os, "fsync", disk_full_on_the_third_file)
    with pytest.raises(SplitError, match="cannot write the documents \\(No space left on device\\); nothing was written"):
        split_to_folder(str(comp), out)
    assert list(out.iterdir()) == []
    calls.clear()
    res = CliRunner().invoke(main, ["split", str(comp), "-o", str(out)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.stderr.startswith("Error: ") and len(res.stderr.strip().splitlines()) == 1


def test_split_input_problems_are_one_line_errors(tmp_path):
    big = bf.write(tmp_path / "big.txt", compilation(["第一篇工作总结", "第二篇工作总结"]).encode() * 6000)
    assert big.stat().st_size > 2**20
    res = CliRunner().invoke(main, ["split", str(big), "-o", str(tmp_path / "out"), "--max-file-mb", "1"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "over the 1 MiB limit for one file; split it, or raise the limit with --max-file-mb" in res.stderr
    res = CliRunner().invoke(main, ["split", str(big), "-o", str(tmp_path / "out"), "--encoding", "no-such-codec"])
    assert res.exit_code in (1, 2) and "Traceback" not in res.output and "unknown encoding" in res.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------- reports


@pytest.fixture()
def result(tmp_path):
    docs = tmp_path / "docs"
    for i in range(3):
        bf.write(docs / f"{i}.txt", bf.document_text(i).encode())
    bf.write(docs / "copy.txt", bf.document_text(0, seed=3).encode())
    return audit([docs])


@pytest.fixture()
def other_result(tmp_path):
    """A different audit, so that every file of its report differs from ``result``'s."""
    docs = tmp_path / "docs-other"
    bf.write(docs / "x.txt", bf.document_text(5).encode())
    return audit([docs])


FILES = ["clusters.csv", "document_pairs.csv", "documents.csv", "paragraph_pairs.csv", "passages.csv", "report.json",
         "report.md"]


def test_report_files_are_written_and_nothing_is_left_behind(tmp_path, result):
    out = tmp_path / "out"
    written = write_report(result, out, ["json", "csv", "md"])
    assert sorted(p.name for p in written) == FILES == sorted(p.name for p in out.iterdir())
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["corpus"]["documents"] == 4


def test_a_failing_json_writer_leaves_the_old_report_intact(tmp_path, result, other_result, monkeypatch):
    out = tmp_path / "out"
    write_report(result, out, ["json", "csv", "md"])
    old = tree(out)
    import chachong.report.json as report_json

    def broken(res):
        raise RuntimeError("renderer crashed half-way")

    monkeypatch.setattr(report_json, "dump_bytes", broken)
    with pytest.raises(RuntimeError, match="half-way"):
        write_report(other_result, out, ["csv", "md", "json"])  # csv and md are complete when json fails
    assert tree(out) == old
    assert temporaries(out) == []


def test_disk_full_while_writing_leaves_the_old_report_intact(tmp_path, result, other_result, monkeypatch):
    out = tmp_path / "out"
    write_report(result, out, ["json", "csv"])
    old = tree(out)
    calls = []
    real_fsync = os.fsync

    def disk_full_on_the_second_file(fd):
        calls.append(fd)
        if len(calls) == 2:  # report.json is staged, documents.csv is being written
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(fsio.os, "fsync", disk_full_on_the_second_file)
    with pytest.raises(ReportError) as caught:
        write_report(other_result, out, ["json", "csv"])
    assert str(caught.value) == (
        f"{out / 'documents.csv'}: cannot write the report (No space left on device); "
        "the previous report is unchanged; free disk space or choose another folder with -o"
    )
    assert tree(out) == old and temporaries(out) == []


def test_cli_reports_a_write_failure_in_one_line(tmp_path, monkeypatch):
    """A full disk: the message says so, and what to do."""
    docs = tmp_path / "docs"
    bf.write(docs / "a.txt", bf.document_text(0).encode())
    out = tmp_path / "out"
    monkeypatch.setattr(fsio.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space")))
    res = CliRunner().invoke(main, ["audit", str(docs), "-o", str(out), "--format", "json"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.stderr.strip().splitlines()[-1] == (
        f"Error: {out / 'report.json'}: cannot write the report (No space); the previous report is unchanged; "
        "free disk space or choose another folder with -o")
    assert list(out.iterdir()) == []


def test_a_second_run_replaces_every_file_atomically(tmp_path, result, other_result):
    out = tmp_path / "out"
    write_report(result, out, ["json", "csv", "md"])
    inodes = {p.name: p.stat().st_ino for p in out.iterdir()}
    old_json = (out / "report.json").read_bytes()
    with open(out / "report.json", "rb") as reader:  # a reader that opened the old report
        write_report(other_result, out, ["json", "csv", "md"])
        assert reader.read() == old_json  # still the complete old file: it was replaced, not rewritten
    assert sorted(p.name for p in out.iterdir()) == FILES
    assert all(p.stat().st_ino != inodes[p.name] for p in out.iterdir())  # each one a new file, renamed in
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["corpus"]["documents"] == 1


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_links_planted_in_the_output_folder_are_replaced_not_followed(tmp_path, result):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = bf.write(outside / "victim.json", b"must stay as it is")
    victim.chmod(0o4755)  # set-user-ID: a report must not inherit it through a link
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / "report.json")
    os.symlink(outside, out / "documents.csv")
    os.symlink(out / "missing", out / "report.md")  # dangling
    write_report(result, out, ["json", "csv", "md"])
    assert victim.read_bytes() == b"must stay as it is" and sorted(p.name for p in outside.iterdir()) == ["victim.json"]
    for name in ("report.json", "documents.csv", "report.md"):
        path = out / name
        assert not path.is_symlink() and path.is_file()
        assert path.stat().st_mode & 0o7000 == 0
    assert not (out / "missing").exists()
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["corpus"]["documents"] == 4


def test_a_folder_in_place_of_a_report_file_is_a_clear_error(tmp_path, result):
    out = tmp_path / "out"
    write_report(result, out, ["json", "csv"])
    (out / "documents.csv").unlink()
    (out / "documents.csv").mkdir()
    old = tree(out)
    with pytest.raises(ReportError) as caught:
        write_report(result, out, ["json", "csv"])
    assert str(caught.value) == (f"{out / 'documents.csv'}: cannot write the report (a folder has this name); "
                                 "the previous report is unchanged; move that folder or choose another folder with -o")
    assert tree(out) == old and temporaries(out) == []


def test_output_path_that_is_a_file_is_a_clear_error(tmp_path, result):
    target = bf.write(tmp_path / "out", b"a file, not a folder")
    with pytest.raises(ReportError, match="cannot create the output folder .*choose another with -o"):
        write_report(result, target, ["json"])
    assert target.read_bytes() == b"a file, not a folder"


def test_an_unwritable_output_folder_is_a_clear_error(tmp_path, result, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()

    def denied(*args, **kwargs):  # simulated: root writes whatever a folder's mode says
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(fsio.tempfile, "mkstemp", denied)
    with pytest.raises(ReportError) as caught:
        write_report(result, out, ["json"])
    assert str(caught.value) == (f"{out / 'report.json'}: cannot write the report (Permission denied); the previous "
                                 "report is unchanged; check the folder's permissions or choose another folder with -o")
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------- formulas in spreadsheets

FORMULAS = ['=HYPERLINK("http://x")', "+cmd|calc", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "=1+1|[报告]*<b>"]


def test_no_csv_cell_reaches_a_spreadsheet_as_a_formula(tmp_path):
    """Titles of a .csv source that a spreadsheet would run (OWASP CSV injection) come back out in
    every CSV table quoted as text, and stay escaped in report.md; report.json keeps them as they are."""
    import csv as csv_module

    src = tmp_path / "in" / "=cmd.csv"
    src.parent.mkdir()
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv_module.writer(fh)
        w.writerow(["title", "text"])
        for n, title in enumerate(FORMULAS):
            w.writerow([title, BODY + ("本段文字各不相同，编号为第%d篇。" % n) * (n + 1)])
        w.writerow(["=DUP()", BODY + "本段文字各不相同，编号为第0篇。"])  # a copy: pairs and passages too
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(src), "-o", str(out), "--format", "json,csv,md"])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [d["title"] for d in report["documents"]] == FORMULAS + ["=DUP()"]
    assert report["document_pairs"] and report["passages"]
    seen = 0
    for table in ("documents", "paragraph_pairs", "document_pairs", "clusters", "passages"):
        with open(out / f"{table}.csv", encoding="utf-8", newline="") as fh:
            for row in csv_module.reader(fh):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (table, cell)
                    seen += cell.startswith("'")
    with open(out / "documents.csv", encoding="utf-8", newline="") as fh:
        titles = [r["title"] for r in csv_module.DictReader(fh)]
    assert titles == ["'" + t for t in FORMULAS + ["=DUP()"]]
    assert seen >= len(FORMULAS) + 1
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "=1+1\\|\\[报告\\]\\*\\<b\\>" in md and "<b>" not in md
