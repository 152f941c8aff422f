"""End to end (issue 9): one audit over 20 good documents mixed with every kind of bad input.

The run must finish with exit 0, report every good document, list each bad file under
``skipped`` with one reason naming the fix, warn about the files read with a repair, touch
no file outside the input and output folders, and keep memory bounded on the huge inputs.

The 100 MB single line is audited once, in a separate process whose peak memory is measured
(``test_huge_*``), over the whole mixed folder plus the line: about a minute and 2 GiB on a
2-core machine (the bound asserted is 3 GiB); everything else runs in-process with CliRunner
in seconds.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from chachong.cli import main
from chachong.ingest.office import INSTALL, find_soffice

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib does not; for badfiles
import badfiles as bf

FORMATS = "json,csv,md,html"
REPORT_FILES = ["report.json", "documents.csv", "paragraph_pairs.csv", "document_pairs.csv", "clusters.csv",
                "passages.csv", "report.md", "report.html"]
HUGE_BYTES = 100 * 2**20 - 1  # a multiple of 3: whole UTF-8 characters
MILLION = 1_000_000
MAX_RSS = 3 * 2**30
JIEBA_CACHE = os.path.join(tempfile.gettempdir(), "jieba.cache")
NON_UTF8_NAME = b"12-\xc8\xcb\xc9\xe7-\xff.txt"  # "人社" in GBK, then a byte no encoding explains


@dataclass
class Expected:
    """What the audit must say about each input file, by its path as reported."""

    titles: dict[str, list[str]] = field(default_factory=dict)  # processed: path -> document titles
    chars: dict[str, list[int]] = field(default_factory=dict)  # path -> characters of each document
    warnings: dict[str, str] = field(default_factory=dict)  # processed with a warning: path -> warning
    skipped: dict[str, str] = field(default_factory=dict)  # path -> reason (a regular expression)
    good: list[str] = field(default_factory=list)  # the 20 good documents
    copy: tuple[str, str] = ("", "")  # (path of the source, path of the planted copy)
    locked: str = ""


def _good(exp: Expected, path: Path | str, title: str, body: str) -> None:
    key = path if isinstance(path, str) else path.as_posix()
    exp.titles[key] = [title]
    exp.chars[key] = [len(body)]


def build_inputs(root: Path, *, huge_line: bool = True) -> tuple[Path, Path, Expected]:
    """Write the mixed folder ``root/in`` and the 100 MB line ``root/huge``; return what to expect."""
    src = root / "in"
    exp = Expected()

    def text_file(name: str, i: int, codec: str, *, bom: bytes = b"") -> None:
        title, body = bf.summary(i)
        path = bf.write(src / name, bom + f"{title}\n{body}\n".encode(codec))
        _good(exp, path, title, body)
        exp.good.append(path.as_posix())

    # ---- 20 good documents, in every encoding and format chachong reads
    text_file("01-城东街道.txt", 0, "utf-8")
    text_file("02-市场监管.txt", 1, "gbk")
    text_file("03-交通运输.txt", 2, "gb18030")  # 刘䶮: a character GBK lacks
    text_file("04-文化旅遊.txt", bf.TRADITIONAL, "big5")
    text_file("05-卫生健康.txt", 3, "utf-16-le", bom=b"\xff\xfe")
    text_file("06-教育.txt", 5, "utf-16-be", bom=b"\xfe\xff")
    text_file("07-生态环境.txt", 6, "utf-16-le")
    text_file("08-住房建设.txt", 7, "utf-16-be")
    text_file("09-农业农村.txt", 8, "utf-8", bom=b"\xef\xbb\xbf")
    text_file("10-应急管理.md", 9, "utf-8")
    title, body = bf.summary(10)
    docx_path = bf.write(src / "11-民政.docx", bf.make_docx_bytes(f"{title}\n{body}"))
    _good(exp, docx_path, title, body)
    exp.good.append(docx_path.as_posix())
    title, body = bf.summary(11)
    fd = os.open(bf.raw_name(src, NON_UTF8_NAME), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, f"{title}\n{body}\n".encode())
    os.close(fd)
    shown = src.as_posix() + "/12-\\xc8\\xcb\\xc9\\xe7-\\xff.txt"
    _good(exp, shown, title, body)
    exp.good.append(shown)
    for n, i in enumerate(range(12, 20), 13):
        text_file(f"sub/{n}-unit{i}.txt", i, "utf-8")
    assert len(exp.good) == 20
    # the planted finding: 住房和城乡建设局's summary, figures and unit name changed
    title, body = bf.summary(7, seed=1, unit="城西区住房和城乡建设局")
    copy = bf.write(src / "21-城西住建.txt", f"{title}\n{body}\n".encode())
    _good(exp, copy, title, body)
    exp.copy = ((src / "08-住房建设.txt").as_posix(), copy.as_posix())
    # a symbolic link from a subfolder back to the top: the walk must not go round in circles
    os.symlink("..", src / "sub" / "上一级")

    # ---- processed with a warning
    def warned(name: str, data: bytes, title: str, body: str, warning: str) -> None:
        path = bf.write(src / name, data)
        _good(exp, path, title, body)
        exp.warnings[path.as_posix()] = warning

    title, body = bf.summary(20)
    raw = f"{title}\n{body}\n".encode()
    cut = raw.index("。".encode()) + 3
    warned("nul.txt", raw[:cut] + b"\x00\x00" + raw[cut:] + b"\x00", title, body,
           "removed 3 NUL character(s) (stray bytes in a text file)")
    title, body = bf.summary(21)
    lines = [title, *body.split("\n")]
    mixed = "\n".join(lines[:3]).encode() + b"\n" + "\n".join(lines[3:]).encode("gbk") + b"\n"
    warned("mixed.txt", mixed, title, body, "mixed encodings: 2 line(s) are not UTF-8 and were read as gb18030; "
           "re-save the file as UTF-8 to be sure")
    title, body = bf.summary(22)
    at = body.index("，")
    damaged = f"{title}\n{body[:at]}".encode() + b"\xff" + f"{body[at:]}\n".encode()
    warned("damaged.txt", damaged, title, body[:at] + "\ufffd" + body[at:],
           "mixed encodings: 1 invalid UTF-8 byte(s) replaced with U+FFFD; re-save the file as UTF-8 or pass --encoding")
    (t1, b1), (t2, b2) = bf.summary(23), bf.summary(24)
    compilation = f"机关工作材料汇编\n\n目录\n{t1}\t1\n党建工作情况通报\t3\n{t2}\t5\n\n{t1}\n{b1}\n\n{t2}\n{b2}\n"
    path = bf.write(src / "汇编.txt", compilation.encode())
    exp.titles[path.as_posix()] = [t1, t2]
    exp.chars[path.as_posix()] = [len(b1), len(b2)]
    exp.warnings[path.as_posix()] = ("目录 entry '党建工作情况通报' does not appear in the body; "
                                     "its text stays with the previous document (check the 目录)")

    # ---- a paragraph of a million characters: read and audited like any other
    paragraph = bf.random_chinese(MILLION - 1, seed=1) + "。"
    path = bf.write(src / "长段落.txt", f"超长段落测试材料\n{paragraph}\n".encode())
    _good(exp, path, "超长段落测试材料", paragraph)

    # ---- skipped, each with one reason naming the fix
    def bad(name: str, data: bytes, reason: str) -> Path:
        path = bf.write(src / name, data)
        exp.skipped[path.as_posix()] = reason
        return path

    empty = re.escape("is empty; nothing to audit")
    bad("empty.txt", b"", empty)
    bad("blank.txt", " \n\t\r\n\u3000\n".encode(), empty)
    bad("binary.txt", bytes(range(256)) * 64, re.escape("looks like a binary file, not text; give the text itself"))
    bad("旧格式.docx", bf.LEGACY_DOC, re.escape(bf.LEGACY_DOC_REASON if find_soffice() else INSTALL))
    bad("corrupt.docx", bf.make_docx_bytes(bf.summary(0)[1])[:2000],
        r"is a corrupt \.docx \(broken zip: .*\); open it in Word/LibreOffice and save again")
    bomb = bf.bomb(src / "bomb.docx", 64 * 2**20)
    assert bomb.stat().st_size < 256 * 2**10  # tiny on disk, 64 MiB inflated
    exp.skipped[bomb.as_posix()] = (
        r"has a member \(word/document\.xml\) that expands \d+x, over the 100x limit \(a zip bomb\?\); "
        r"if the document is genuine, save it as \.txt in Word \(or raise Limits\(max_docx_ratio=\.\.\.\) in Python\)")
    bad("encrypted.pdf", bf.build_pdf(bf.HELLO, encrypt=True),
        re.escape("is encrypted; remove the password and try again"))
    bad("scanned.pdf", bf.build_pdf(bf.SCANNED),
        re.escape("has no text layer (scanned?); read it by OCR with --ocr auto (needs pip install 'chachong[ocr]')"))
    os.symlink("loop.txt", src / "loop.txt")
    exp.skipped[(src / "loop.txt").as_posix()] = re.escape(
        "is a symbolic link loop (it leads back to itself); fix or remove the link")
    locked = bad("locked.txt", "这份材料的权限被收回，任何情况下都不应当被读取或者计入报告。\n".encode(),
                 re.escape("cannot read (permission denied); check the file's permissions"))
    locked.chmod(0)
    exp.locked = locked.as_posix()

    huge = root / "huge"
    huge.mkdir()
    if huge_line:
        bf.huge_single_line(huge / "dump.txt", HUGE_BYTES)
    return src, huge, exp


@pytest.fixture(scope="module")
def inputs(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("issue9")
    src, huge, exp = build_inputs(root)
    yield root, src, huge, exp
    Path(exp.locked).chmod(0o644)


# ------------------------------------------------------------------ file access log

_EVENTS: list[tuple[str, tuple]] = []
_RECORDING = [False]
_WATCHED = {"open", "os.rename", "os.remove", "os.mkdir", "os.rmdir", "os.chmod", "os.symlink", "os.link",
            "os.truncate", "os.utime", "os.chown", "os.listdir", "os.scandir", "shutil.rmtree", "shutil.copyfile",
            "shutil.move"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _hook(event: str, args: tuple) -> None:
    # Audit hooks cannot be removed, so this one stays installed and records only while asked to.
    if _RECORDING[0] and event in _WATCHED:
        _EVENTS.append((event, args))


sys.addaudithook(_hook)


def _path(value) -> str | None:
    if isinstance(value, int) or value is None:
        return None  # a file descriptor: its opening was recorded
    return os.path.abspath(os.fsdecode(value))


def file_access(events: list[tuple[str, tuple]]) -> tuple[set[str], set[str], set[str]]:
    """(files read, folders listed, paths written, created, renamed, removed or changed)."""
    read: set[str] = set()
    listed: set[str] = set()
    written: set[str] = set()
    for event, args in events:
        if event == "open":
            path, mode, flags = args
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(flags & _WRITE_FLAGS)
            target = _path(path)
            if target:
                (written if writes else read).add(target)
        elif event in ("os.listdir", "os.scandir"):
            target = _path(args[0] if args else ".")
            if target:
                listed.add(target)
        elif event in ("os.rename", "os.link", "shutil.copyfile", "shutil.move"):
            written.update(p for p in (_path(args[0]), _path(args[1])) if p)
        elif event == "os.symlink":  # (target, link): only the link is written
            written.update(p for p in (_path(args[1]),) if p)
        elif event in ("os.remove", "os.rmdir") and len(args) > 1 and args[1] is not None:
            continue  # relative to a folder's descriptor: shutil.rmtree at work, recorded with its folder
        else:
            target = _path(args[0])
            if target:
                written.add(target)
    return read, listed, written


def _office_scratch(path: str) -> bool:
    return _within(path, tempfile.gettempdir()) and os.path.relpath(path, tempfile.gettempdir()).startswith(
        "chachong-office-")


def _within(path: str, root: str | Path) -> bool:
    root = os.path.abspath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _python_files(path: str) -> bool:
    """Reading Python itself (modules, data files of installed packages) is not reading user data."""
    import chachong

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(chachong.__file__).parent),
             *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))}
    return any(_within(path, r) for r in roots)


# ---------------------------------------------------------------- the in-process run


@pytest.fixture(scope="module")
def run(inputs):
    """``chachong audit in -o out --format json,csv,md,html`` in-process, with a file access log."""
    root, src, _huge, exp = inputs
    out = root / "out"
    real_open = builtins.open

    def open_as_user(file, *args, **kwargs):
        # The tests may run as root, whom a file mode of 000 does not stop: refuse like the kernel would.
        if isinstance(file, (str, bytes, os.PathLike)) and os.path.abspath(os.fsdecode(file)) == exp.locked:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(file))
        return real_open(file, *args, **kwargs)

    import jieba

    # jieba writes its dictionary cache to the temporary folder the first time it is used (the
    # one write chachong causes outside the output folder, reported to phrases.py's owners);
    # done before the run so that the run itself only reads it
    jieba.initialize()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builtins, "open", open_as_user)
        mp.chdir(root)  # a pyproject.toml of the repository must not change the settings
        _EVENTS.clear()
        _RECORDING[0] = True
        try:
            res = CliRunner().invoke(main, ["audit", str(src), "-o", str(out), "--format", FORMATS],
                                     catch_exceptions=True)
        finally:
            _RECORDING[0] = False
    events = list(_EVENTS)
    report = json.loads((out / "report.json").read_text(encoding="utf-8")) if (out / "report.json").exists() else None
    return res, report, out, events


def test_run_finishes_with_exit_0_and_no_traceback(run):
    res, report, _out, _events = run
    assert res.exception is None, res.output
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output and "Traceback" not in res.stderr
    assert report is not None


def test_report_holds_every_good_document_and_the_repaired_ones(run, inputs):
    _res, report, _out, _events = run
    exp = inputs[3]
    by_source: dict[str, list[dict]] = {}
    for doc in report["documents"]:
        by_source.setdefault(doc["source"], []).append(doc)
    assert {path: [d["title"] for d in docs] for path, docs in by_source.items()} == exp.titles
    assert {path: [d["chars"] for d in docs] for path, docs in by_source.items()} == exp.chars
    assert all(path in by_source for path in exp.good) and len(exp.good) == 20
    assert set(exp.warnings) <= set(by_source)
    processed = sum(len(titles) for titles in exp.titles.values())
    assert report["corpus"]["documents"] == len(report["documents"]) == processed == 20 + 1 + 1 + 3 + 2
    # every paragraph lies inside its document
    chars = {d["id"]: d["chars"] for d in report["documents"]}
    for p in report["paragraphs"]:
        assert 0 <= p["start"] < p["end"] <= chars[p["id"].split(":")[0]]
    # the million-character paragraph is one paragraph
    [long_doc] = by_source[(inputs[1] / "长段落.txt").as_posix()]
    assert (long_doc["paragraphs"], long_doc["chars"]) == (1, MILLION)


def test_skipped_lists_each_bad_file_once_with_a_reason_naming_the_fix(run, inputs):
    res, report, _out, _events = run
    exp = inputs[3]
    skipped = report["skipped"]
    reasons = {s["path"]: s["reason"] for s in skipped}
    assert len(reasons) == len(skipped), "one entry per file"
    assert set(reasons) == set(exp.skipped)
    for path, reason in reasons.items():
        assert re.fullmatch(exp.skipped[path], reason), (path, reason)
        assert "\n" not in reason and "; " in reason  # one line: what is wrong; what to do
        assert f"skipped: {path}: {reason}" in res.stderr.splitlines()


def test_files_read_with_a_repair_are_reported_as_warnings(run, inputs):
    res, report, _out, _events = run
    exp = inputs[3]
    assert sorted(report["warnings"]) == sorted(f"{path}: {warning}" for path, warning in exp.warnings.items())
    for line in report["warnings"]:
        assert f"warning: {line}" in res.stderr.splitlines()


def test_the_planted_copy_is_the_one_finding(run, inputs):
    _res, report, _out, _events = run
    exp = inputs[3]
    ids = {d["source"]: d["id"] for d in report["documents"]}
    pairs = [(p["a"], p["b"]) for p in report["document_pairs"]]
    assert pairs == [(ids[exp.copy[0]], ids[exp.copy[1]])]
    [pair] = report["document_pairs"]
    assert pair["a_in_b"] > 0.8 and pair["b_in_a"] > 0.8
    copied = {d["id"]: d["copy_ratio"] for d in report["documents"] if d["copy_ratio"] > 0}
    assert set(copied) == {ids[exp.copy[0]], ids[exp.copy[1]]}


def test_every_format_is_written_and_no_temporary_file_is_left(run):
    _res, _report, out, _events = run
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    for name in REPORT_FILES:
        assert (out / name).stat().st_size > 0


def test_no_file_outside_the_input_and_output_folders_is_touched(run, inputs):
    _res, _report, out, events = run
    _root, src, _huge, _exp = inputs
    read, listed, written = file_access(events)
    assert any(_within(p, out) for p in written) and any(_within(p, src) for p in read)  # the log works
    # Python caches the byte code of modules it imports for the first time; that is not chachong writing
    written = {p for p in written if not (p.endswith(".pyc") or ".pyc." in p) or "__pycache__" not in p}
    # LibreOffice (ingest/office.py) converts in a private temporary folder, removed afterwards
    scratch = {p for p in written | read if _office_scratch(p)}
    assert not any(os.path.exists(p) for p in scratch)
    # (and sends its messages to os.devnull)
    assert {p for p in written if not _within(p, out) and p not in scratch and p != os.devnull} == set()
    allowed = {JIEBA_CACHE} | scratch  # jieba's dictionary cache (phrase mining); built before the run, see `run`
    allowed.add("/proc/meminfo")  # the memory the machine has available: whether to spill (runtime/workdir.py)
    outside = {p for p in read if not (_within(p, src) or _within(p, out) or _python_files(p) or p in allowed)}
    assert outside == set()
    # the import system lists the folders on sys.path; nothing else outside is listed
    on_path = {os.path.abspath(p or ".") for p in sys.path}
    assert {p for p in listed if not (_within(p, src) or _within(p, out) or _python_files(p) or p in on_path
                                      or _office_scratch(p))} == set()


# ------------------------------------------------- the 100 MB line, in a fresh process

_MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys
    proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, encoding="utf-8", errors="replace")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    print(json.dumps({"code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "peak": peak}))
    """
)


@pytest.fixture(scope="module")
def huge_run(request, inputs):
    """``python -m chachong audit in huge -o out`` in a child process; its peak RSS measured."""
    root, src, huge, _exp = inputs
    out = root / "out-subprocess"
    cmd = [sys.executable, "-m", "chachong", "audit", str(src), str(huge), "-o", str(out), "--format", FORMATS]
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, cwd=root,
                          timeout=3600, check=True)
    result = json.loads(proc.stdout)
    report = json.loads((out / "report.json").read_text(encoding="utf-8")) if (out / "report.json").exists() else None
    return result, report, out


@pytest.mark.slow
def test_huge_single_line_goes_through_the_whole_pipeline(huge_run, inputs, run):
    result, report, out = huge_run
    _root, _src, huge, exp = inputs
    assert result["code"] == 0, result["stderr"][-3000:]
    assert "Traceback" not in result["stderr"] + result["stdout"]
    [dump] = [d for d in report["documents"] if d["source"] == (huge / "dump.txt").as_posix()]
    assert (dump["title"], dump["paragraphs"], dump["chars"]) == ("dump", 1, HUGE_BYTES // 3)
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    # the same answers as the in-process run for everything else; only a permission check
    # can differ, as root (whom file modes do not stop) reads the locked file there
    in_process = run[1]
    readable = os.access(exp.locked, os.R_OK)
    assert report["skipped"] == [s for s in in_process["skipped"] if not (readable and s["path"] == exp.locked)]
    assert report["warnings"] == in_process["warnings"]
    sources = {d["source"] for d in report["documents"]}
    assert sources == set(exp.titles) | {dump["source"]} | ({exp.locked} if readable else set())

    def pairs(rep: dict) -> list[tuple[str, str, str]]:
        by_id = {d["id"]: d["source"] for d in rep["documents"]}
        return [(by_id[p["a"]], by_id[p["b"]], p["kind"]) for p in rep["document_pairs"]]

    assert pairs(report) == pairs(in_process)


@pytest.mark.slow
def test_huge_inputs_stay_within_bounded_memory(huge_run):
    result, _report, _out = huge_run
    assert result["code"] == 0
    print(f"peak RSS of `chachong audit` over the mixed folder and the 100 MB line: {result['peak'] / 2**20:.0f} MiB")
    assert result["peak"] < MAX_RSS, f"peak RSS {result['peak'] / 2**30:.2f} GiB"


# ---------------------------------------------------------------- the size limit


def test_max_file_mb_limits_file_size_from_the_cli_and_the_api(tmp_path):
    from chachong.api import audit
    from chachong.stages.load import load_documents
    from chachong.config import AuditConfig

    small = bf.write(tmp_path / "in" / "small.txt", bf.document_text(0).encode())
    big = bf.write(tmp_path / "in" / "big.txt", (bf.document_text(1) * 4000).encode())
    assert 2**20 < big.stat().st_size < 2 * 2**20
    reason = f"is {big.stat().st_size / 2**20:.1f} MiB, over the 1 MiB limit for one file; " \
             "split it, or raise the limit with --max-file-mb"
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(tmp_path / "in"), "-o", str(out), "--format", "json",
                                    "--max-file-mb", "1"])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["settings"]["max_file_mb"] == 1
    assert report["skipped"] == [{"path": big.as_posix(), "reason": reason}]
    assert [d["source"] for d in report["documents"]] == [small.as_posix()]
    result = audit([tmp_path / "in"], AuditConfig(max_file_mb=1))
    assert [(s.path, s.reason) for s in result.skipped] == [(big.as_posix(), reason)]
    documents, skipped, _warnings = load_documents([tmp_path / "in"], AuditConfig())  # the default: 256 MiB
    assert [d.source for d in documents] == [big.as_posix(), small.as_posix()] and skipped == []
    res = CliRunner().invoke(main, ["audit", str(small), "-o", str(out), "--max-file-mb", "0"])
    assert res.exit_code == 2 and "--max-file-mb" in res.output and "Traceback" not in res.output
