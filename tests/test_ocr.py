"""OCR of scans (ingest/ocr.py): images and PDF pages without a text layer, opt-in with --ocr; the
report marks OCR'd documents with their mean recognition confidence. The scans are drawn here
from text we wrote (benchmarks/formatfiles.py), one page each: OCR costs seconds a page."""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from chachong.cli import main
from chachong.ingest import ocr
from chachong.ingest.errors import Limits
from chachong.ingest.read import read_source, read_sources
from chachong.model import Skipped

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import formatfiles as ff  # noqa: E402

TITLE = "关于进一步规范公文处理工作的通知"
PARAGRAPHS = [
    "各科室、各直属单位：",
    "为进一步提高公文处理工作质量和效率，根据《党政机关公文处理工作条例》有关规定，结合我局实际，"
    "现就规范公文处理工作有关事项通知如下。",
    "一、严格控制发文数量。凡属可发可不发的文件一律不发，可长可短的文件一律从短，确需印发的文件"
    "要突出针对性和可操作性，全年发文数量力争比上年减少百分之十五以上。",
    "二、认真履行审核程序。各科室起草的公文须经分管领导审核签发，涉及其他单位职责的，应当事先"
    "征求意见并达成一致。",
]
EXPECTED = "".join([TITLE, *PARAGRAPHS])
OCR_LIBRARIES = ("rapidocr_onnxruntime", "onnxruntime", "cv2", "pypdfium2")
NOT_OCR = "read it by OCR with --ocr auto (needs pip install 'chachong[ocr]')"


def need_ocr() -> None:
    missing = [m for m in ("rapidocr_onnxruntime", "pypdfium2") if importlib.util.find_spec(m) is None]
    if missing:
        message = f"{', '.join(missing)} not installed: pip install -e '.[test]' (the [ocr] extra)"
        if os.environ.get("CI"):
            pytest.fail(message)  # the [test] extra installs it: a skip in CI would hide a broken set-up
        pytest.skip(message)


def accuracy(got: str, expected: str) -> float:
    """Share of the expected characters (white space aside) that OCR got right: 1 - edits / length."""
    a, b = "".join(got.split()), "".join(expected.split())
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    edits = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")
    return 1 - edits / len(b)


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scans")
    assert len(ff.lay_out(TITLE, PARAGRAPHS)) == 1
    return {
        "pdf": ff.write_scan(root / "in" / "扫描件.pdf", TITLE, PARAGRAPHS, dpi=200, degrade=True),
        "png": ff.write_scan(root / "img" / "截图.png", None, PARAGRAPHS[1:2], dpi=200),
        "txt": _write(root / "in" / "原文.txt", "\n".join([TITLE, *PARAGRAPHS])),
    }


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_without_ocr_scans_are_skipped_and_no_ocr_library_is_imported(scans, tmp_path):
    # in a fresh process: chachong imports the OCR libraries only for a page it recognises
    code = (
        "import json, sys, chachong\n"
        "from chachong.ingest.read import read_sources\n"
        f"sources, skipped = read_sources({[str(scans['pdf']), str(scans['png']), str(scans['txt'])]!r})\n"
        "print(json.dumps([len(sources), [s.reason for s in skipped]]))\n"
        f"read_sources([{str(scans['txt'])!r}], ocr='auto')\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {OCR_LIBRARIES!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}).stdout.splitlines()
    assert [json.loads(line) for line in out] == [
        [1, ["has no text layer (scanned?); " + NOT_OCR,
             "is an image; to read it by OCR run with --ocr auto (needs pip install 'chachong[ocr]')"]],
        [],
    ]


def test_without_the_extra_the_reason_names_it(scans, monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails as when not installed
    monkeypatch.setattr(ocr, "_ENGINE", [])
    sources, skipped = read_sources([scans["png"]], ocr="auto")
    assert sources == [] and skipped == [Skipped(scans["png"].as_posix(), (
        "needs OCR, which is not installed (rapidocr_onnxruntime is missing); pip install 'chachong[ocr]'"))]


def test_an_unknown_mode_is_a_config_error():
    from chachong.config import AuditConfig, ConfigError

    with pytest.raises(ConfigError, match="ocr must be one of never, auto, always, not 'sometimes'"):
        AuditConfig(ocr="sometimes")
    with pytest.raises(ConfigError):
        read_sources([], ocr="yes")


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(scans):
    need_ocr()
    sources, skipped = read_sources([scans["png"]], ocr="auto", limits=Limits(max_image_pixels=1_000_000))
    assert sources == [] and skipped[0].reason == (  # an A4 page at 200 dpi: 1654 x 2339 pixels
        "is an image of 4 million pixels, over the 1 million limit (a decompression bomb?); scale it down to "
        "300 dpi (or raise Limits(max_image_pixels=...) in Python)")


def test_a_scanned_page_is_read_with_its_paragraphs_and_confidence(scans):
    need_ocr()
    from chachong.api import audit

    class Progress:  # the CLI's progress bar: stage names, and the pages OCR'd within "read"
        def __init__(self) -> None:
            self.heard: list = []

        def __call__(self, stage: str) -> None:
            self.heard.append(stage)

        def page(self, path: str, done: int, total: int) -> None:
            self.heard.append((path, done, total))

    progress = Progress()
    result = audit([scans["pdf"]], ocr="auto", progress=progress)
    assert progress.heard[:3] == ["read", (scans["pdf"].as_posix(), 1, 1), "sign"]
    [doc] = result.document_records
    assert accuracy(doc.title + doc.text, EXPECTED) >= 0.95
    # paragraphs rebuilt from the lines' positions (the title line is the document's title)
    assert len(doc.paragraphs) == len(PARAGRAPHS)
    assert 0.9 <= doc.ocr_confidence <= 1.0
    assert result.warnings[0].startswith(f"{scans['pdf'].as_posix()}: 1 of 1 page(s) read by OCR, mean confidence ")
    image = read_source(scans["png"], ocr="auto")[0]
    assert image.kind == "image" and accuracy(image.text, PARAGRAPHS[1]) >= 0.95
    assert image.ocr_confidence is not None


def test_the_audit_marks_ocr_documents_and_finds_the_copy(scans, tmp_path):
    need_ocr()
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(scans["pdf"].parent), "--ocr", "auto", "-o", str(out),
                                    "--format", "json,md,html"])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["settings"]["ocr"] == "auto"
    by_name = {Path(d["source"]).name: d for d in report["documents"]}
    scanned, typed = by_name["扫描件.pdf"], by_name["原文.txt"]
    assert scanned["ocr"] is True and 0.9 <= scanned["ocr_confidence"] <= 1.0
    assert "ocr" not in typed and "ocr_confidence" not in typed
    assert scanned["copy_ratio"] >= 0.9  # the scan of a text is found copied from it, OCR errors and all
    assert "1 documents read by OCR (mean recognition confidence " in res.stdout
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| OCR 识别的文档 documents read by OCR | 1 (mean confidence " in md
    assert "(OCR, confidence " in md
    # report.html's views mark the document (report.js's ocrMark) from its confidence in the data block
    page = (out / "report.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="chachong-data">(.*?)</script>', page, re.S)[1])
    marked = {Path(d["source"]).name: d.get("ocr") for d in data["docs"]}
    assert marked["扫描件.pdf"] == scanned["ocr_confidence"] and marked["原文.txt"] is None
    assert "function ocrMark(d)" in page and ".ocr {" in page


def test_always_recognises_pages_that_have_a_text_layer(tmp_path):
    need_ocr()
    sys.path.insert(0, str(Path(__file__).parent))
    import badfiles as bf

    path = tmp_path / "typed.pdf"
    path.write_bytes(bf.build_pdf(bf.HELLO))  # "Annual report: revenue grew." / "Second line"
    assert read_source(path, ocr="auto")[0].ocr_confidence is None  # a text layer: nothing to recognise
    source = read_source(path, ocr="always")[0]
    assert accuracy(source.text, "Annual report: revenue grew. Second line") >= 0.95
    assert source.ocr_confidence is not None and source.warnings[0].startswith("1 of 1 page(s) read by OCR")


def test_every_page_of_a_tiff_is_read(tmp_path):
    need_ocr()
    first, second = (ff.scan_pages(None, [p])[0] for p in PARAGRAPHS[1:3])
    band = (0, 0, first.size[0], first.size[1] // 4)  # the text is at the top of each page
    path = tmp_path / "两页.tif"
    first.crop(band).save(path, save_all=True, append_images=[second.crop(band)])
    pages: list = []
    source = read_source(path, ocr="auto", on_page=lambda *a: pages.append(a))[0]
    assert pages == [(path.as_posix(), 1, 2), (path.as_posix(), 2, 2)]
    assert accuracy(source.text, "".join(PARAGRAPHS[1:3])) >= 0.95
    assert source.warnings[0].startswith("2 of 2 page(s) read by OCR")
