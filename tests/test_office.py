"""Word-processor files through LibreOffice (ingest/office.py): .doc, .wps, .rtf, .odt, recognised
by content, converted in batches, each failure a one-line reason; and every file of a folder read
or listed (issue 18)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from chachong.ingest import office
from chachong.ingest.errors import Limits
from chachong.ingest.read import read_source, read_sources
from chachong.model import Skipped

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import formatfiles as ff  # noqa: E402

TITLE = "关于开展二〇二四年度安全生产检查的报告"
PARAGRAPHS = [
    "为切实做好本年度安全生产工作，根据上级部署，我局于三月至五月在全县范围内开展了安全生产大检查。",
    "一、检查基本情况",
    "此次检查共出动检查人员二百一十人次，检查企业一百三十七家，发现并督促整改隐患四十六处。",
    "二、下一步工作打算",
    "我们将持续压实企业主体责任，健全隐患排查治理长效机制，确保全县安全生产形势持续稳定。",
]
TABLE = [["检查项目", "企业数", "隐患数"], ["危险化学品", "23", "9"], ["建筑施工", "41", "17"]]
# what the .docx reader gives for the document above: the title heading, then the paragraphs with
# the table (one row a line, cells separated by TAB) after the first
EXPECTED = "\n".join([TITLE, PARAGRAPHS[0], *["\t".join(row) for row in TABLE], *PARAGRAPHS[1:]])


def need_libreoffice() -> None:
    if office.find_soffice() is None:
        message = "LibreOffice is not installed (apt-get install libreoffice-writer-nogui; .ci/setup.sh does)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: a skip there would hide a broken set-up
        pytest.skip(message)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """The same report as .docx (python-docx) and as .doc, .odt, .rtf and .wps (LibreOffice)."""
    need_libreoffice()
    root = tmp_path_factory.mktemp("office")
    docx = ff.write_docx(root / "src" / "报告.docx", TITLE, PARAGRAPHS, heading_prefixes=("一、", "二、"), table=TABLE)
    files = {"docx": docx}
    for ext in ("doc", "odt", "rtf", "wps"):
        files[ext] = ff.convert([docx], ext, root / ext)[0]
    return files


@pytest.mark.parametrize("ext", ["doc", "odt", "rtf", "wps"])
def test_each_format_reads_as_the_docx_it_was_made_from(made, ext):
    source = read_source(made[ext])[0]
    assert source.text == EXPECTED == read_source(made["docx"])[0].text
    assert source.title == TITLE  # the document's title property survives the conversion
    assert source.kind == ext and source.warnings == ()


def test_a_folder_converts_in_one_libreoffice_process_per_kind(made, tmp_path, monkeypatch):
    folder = tmp_path / "folder"
    folder.mkdir()
    for ext, path in made.items():
        for n in range(3):
            shutil.copy(path, folder / f"{n}{path.name}")
    calls: list[list[str]] = []
    popen = subprocess.Popen

    def counting(command, *args, **kwargs):
        calls.append(command)
        return popen(command, *args, **kwargs)

    monkeypatch.setattr(office.subprocess, "Popen", counting)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # to see that the converter's folder goes
    sources, skipped = read_sources([folder])
    assert skipped == []
    assert len(sources) == 15 and {s.text for s in sources} == {EXPECTED}
    # the 12 files LibreOffice converts (.doc and .wps are one kind: Word 97-2003) in 3 processes
    assert sorted(c[c.index("--convert-to") - 1] for c in calls) == [
        "--infilter=MS Word 97", "--infilter=Rich Text Format", "--infilter=writer8"]
    assert sum(len(c) - c.index("--outdir") - 2 for c in calls) == 12
    assert all(any(a.startswith("-env:UserInstallation=file://") for a in c) for c in calls)  # private profile
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_files_are_recognised_by_content_not_name(made, tmp_path):
    doc_as_docx = shutil.copy(made["doc"], tmp_path / "旧格式.docx")
    docx_as_doc = shutil.copy(made["docx"], tmp_path / "新格式.doc")
    rtf_as_doc = shutil.copy(made["rtf"], tmp_path / "富文本.doc")
    sources, skipped = read_sources([doc_as_docx, docx_as_doc, rtf_as_doc])
    assert skipped == [] and [s.text for s in sources] == [EXPECTED] * 3
    assert [s.warnings for s in sources] == [
        ("is a Word 97-2003 document named .docx; read through LibreOffice",),
        ("is a .docx named .doc; read as .docx",),
        (),
    ]


def test_web_pages_and_word_2003_xml_saved_as_doc_are_read(tmp_path):
    need_libreoffice()
    html = tmp_path / "网页.doc"
    html.write_text("<html><body><h1>通知</h1><p>请各单位于本周五前报送材料。</p>"
                    "<table><tr><td>单位</td><td>人数</td></tr></table></body></html>", encoding="utf-8")
    xml = tmp_path / "二〇〇三.doc"
    xml.write_text('<?xml version="1.0" encoding="UTF-8"?><?mso-application progid="Word.Document"?>'
                   '<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:body>'
                   "<w:p><w:r><w:t>二〇〇三格式的段落。</w:t></w:r></w:p></w:body></w:wordDocument>", encoding="utf-8")
    sources, skipped = read_sources([html, xml])
    assert skipped == []
    # (a Word table is followed by a paragraph, here an empty one)
    assert [s.text for s in sources] == ["通知\n请各单位于本周五前报送材料。\n单位\t人数\n", "二〇〇三格式的段落。"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("旧版.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Kingsoft".encode("utf-16-le") + bytes(600),
         "is a Kingsoft WPS file in an old format that is not Word-compatible (no Word stream inside), which "
         "LibreOffice cannot read; open it in WPS Office and save as .docx"),
        ("表格.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le") + bytes(600),
         "is an Office file without a Word document inside (Excel, PowerPoint or another program's?); open it "
         "in the program that made it and save as .docx, .pdf or .csv"),
        ("网页.doc", b"MIME-Version: 1.0\r\nContent-Type: multipart/related\r\n",
         "is a web archive (.mht) saved as a Word file; open it in Word and save as .docx"),
        ("文本.rtf", "只是一段文字，不是RTF。".encode(),
         "is not a Word, WPS, RTF or OpenDocument file (its content is none of them); open it in the program "
         "that made it and save as .docx"),
        ("空.doc", b"", "is empty; nothing to audit"),
        # a .docx of unknown content keeps the .docx reader's reason
        ("乱码.docx", bytes(range(256)), "is not a .docx (not a zip archive); open it in Word/LibreOffice and save "
                                         "as .docx"),
    ],
)
def test_what_cannot_be_read_says_what_it_is(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    assert read_sources([path]) == ([], [Skipped(path.as_posix(), reason)])


def test_a_damaged_doc_is_skipped_with_a_reason(tmp_path):
    need_libreoffice()
    path = tmp_path / "坏.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(900))
    assert read_sources([path]) == ([], [Skipped(path.as_posix(), (
        "could not be opened by LibreOffice as a Word 97-2003 document (damaged, password-protected or not what "
        "it seems); open it in Word/WPS and save as .docx"))])


def test_without_libreoffice_each_file_names_what_to_install(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from chachong.cli import main

    monkeypatch.setattr(office, "find_soffice", lambda: None)
    folder = tmp_path / "in"
    for n in range(3):
        (folder / f"{n}.doc").parent.mkdir(exist_ok=True)
        (folder / f"{n}.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
                                          + "WordDocument".encode("utf-16-le") + bytes(600))
        (folder / f"{n}.txt").write_text(f"第{n}份报告。本文是为测试而写的一段文字，编号{n}。", encoding="utf-8")
    sources, skipped = read_sources([folder])
    assert len(sources) == 3
    assert skipped == [Skipped((folder / f"{n}.doc").as_posix(), office.INSTALL) for n in range(3)]
    assert office.INSTALL.startswith("needs LibreOffice to be read, and LibreOffice is not installed; install it "
                                     "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui")
    res = CliRunner().invoke(main, ["audit", str(folder), "-o", str(tmp_path / "out"), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert _skipped_line(res.stdout, 3, "needs LibreOffice to be read, and LibreOffice is not installed")


def _skipped_line(stdout: str, count: int, problem: str) -> bool:
    """Whether the terminal summary counts ``count`` skipped files, all for ``problem`` (the wording
    of the line around them is the summary's)."""
    line = next((line for line in stdout.splitlines() if "skipped" in line), "")
    return problem in line and {int(n) for n in re.findall(r"\b\d+\b", line)} == {count}


# ---- the batch watched file by file, with a stand-in for LibreOffice

_FAKE = textwrap.dedent("""\
    #!{python}
    # A stand-in for soffice: converts in order by copying {docx}; a file whose real name has
    # "hang" in it hangs, "crash" crashes the process, "bad" fails to load; logs each run.
    import os, shutil, sys, time
    args = sys.argv[1:]
    out = args[args.index("--outdir") + 1]
    inputs = args[args.index("--outdir") + 2:]
    with open({log!r}, "a") as log:
        log.write(" ".join(os.path.basename(os.path.realpath(i)) for i in inputs) + "\\n")
    for i in inputs:
        name = os.path.basename(os.path.realpath(i))
        if "hang" in name:
            time.sleep(60)
        if "crash" in name:
            os._exit(139)
        if "bad" in name:
            continue
        shutil.copy({docx!r}, os.path.join(out, os.path.splitext(os.path.basename(i))[0] + ".docx"))
    """)


@pytest.fixture
def fake_soffice(tmp_path, monkeypatch):
    docx = ff.write_docx(tmp_path / "made.docx", TITLE, PARAGRAPHS, table=TABLE)
    log = tmp_path / "runs.log"
    script = tmp_path / "soffice"
    script.write_text(_FAKE.format(python=sys.executable, docx=str(docx), log=str(log)))
    script.chmod(0o755)
    monkeypatch.setattr(office, "find_soffice", lambda: str(script))
    monkeypatch.setattr(office, "_STARTUP_SECONDS", 0.0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    word = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(600)

    def files(*names: str) -> list[Path]:
        folder = tmp_path / "in"
        folder.mkdir(exist_ok=True)
        for name in names:
            (folder / name).write_bytes(word)
        return [folder / n for n in names]

    return files, lambda: [line.split() for line in log.read_text().splitlines()]


def test_a_file_that_hangs_libreoffice_is_given_up_and_the_rest_converted(fake_soffice, tmp_path):
    files, runs = fake_soffice
    paths = files("a.doc", "b.doc", "c_hang.doc", "d.doc", "e.doc")
    sources, skipped = read_sources(paths, limits=Limits(office_seconds=1.0))
    assert [s.path for s in sources] == [p.as_posix() for p in paths if "hang" not in p.name]
    assert skipped == [Skipped(paths[2].as_posix(), "made LibreOffice hang or crash (no result within 1 s); "
                                                    "open it in Word/WPS and save as .docx")]
    # the batch hung on c: b (whose output may be incomplete) and c are tried alone, d and e in a new batch
    assert runs() == [["a.doc", "b.doc", "c_hang.doc", "d.doc", "e.doc"], ["b.doc"], ["c_hang.doc"],
                      ["d.doc", "e.doc"]]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("chachong-office-")]


def test_a_crash_costs_only_the_file_that_caused_it(fake_soffice):
    files, runs = fake_soffice
    paths = files("a_bad.doc", "b.doc", "c_crash.doc", "d.doc")
    sources, skipped = read_sources(paths, limits=Limits(office_seconds=5.0))
    assert [s.path for s in sources] == [paths[1].as_posix(), paths[3].as_posix()]
    assert [(Path(s.path).name, s.reason.split(";")[0]) for s in skipped] == [
        ("a_bad.doc", "could not be opened by LibreOffice as a Word 97-2003 document (damaged, password-protected "
                      "or not what it seems)"),
        ("c_crash.doc", "made LibreOffice hang or crash (no result within 5 s)"),
    ]
    assert runs() == [["a_bad.doc", "b.doc", "c_crash.doc", "d.doc"], ["a_bad.doc"], ["b.doc"], ["c_crash.doc"],
                      ["d.doc"]]


def test_issue_18_folder_every_file_read_or_listed(tmp_path):
    """Three reports, each also saved as .doc, .odt, .rtf, .ofd and a scanned PDF: without --ocr the
    audit reads 15 documents, lists the 3 scans with their reason and counts them in the summary."""
    import json

    from click.testing import CliRunner

    from chachong.cli import main

    need_libreoffice()
    folder = tmp_path / "reports"
    docx = []
    for n, (title, paras) in enumerate(ff.compilation_documents()[:3]):
        (folder / f"{n}.txt").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"{n}.txt").write_text("\n".join([title, *paras]), encoding="utf-8")
        docx.append(ff.write_docx(tmp_path / "docx" / f"{n}.docx", title, paras))
        ff.write_ofd(folder / f"{n}.ofd", title, paras)
        ff.write_scan(folder / f"{n}-扫描.pdf", title, paras, dpi=100)
    for ext in ("doc", "odt", "rtf"):
        ff.convert(docx, ext, folder)
    res = CliRunner().invoke(main, ["audit", str(folder), "-o", str(tmp_path / "out"), "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["corpus"]["documents"] == 15
    assert sorted(Path(d["source"]).suffix for d in report["documents"]) == sorted([".doc", ".odt", ".ofd", ".rtf",
                                                                                    ".txt"] * 3)
    scans = [(folder / f"{n}-扫描.pdf").as_posix() for n in range(3)]
    reason = "has no text layer (scanned?); read it by OCR with --ocr auto (needs pip install 'chachong[ocr]')"
    assert report["skipped"] == [{"path": p, "reason": reason} for p in scans]
    assert any(line.startswith("15 documents, ") for line in res.stdout.splitlines())
    assert _skipped_line(res.stdout, 3, "has no text layer")
    # the five copies of each report are found as such
    same = {(p["a"], p["b"]) for p in report["document_pairs"] if p["kind"] in ("identical", "near-duplicate")}
    assert len(same) == 3 * 10
