"""OFD packages (GB/T 33190-2016, ingest/ofd.py): text in reading order with paragraphs rebuilt
from line positions; hostile packages refused. The packages are made here from text we wrote
(benchmarks/formatfiles.py lays them out as 公文 pages)."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from chachong.ingest.read import read_source, read_sources
from chachong.ingest.layout import Fragment, paragraphs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import formatfiles as ff  # noqa: E402

TITLE = "某县人民政府办公室关于做好防汛工作的通知"
PARAGRAPHS = [
    "各乡镇人民政府，县政府各部门：",
    "入汛以来，我县降雨明显偏多，部分河流水位持续上涨，防汛形势严峻复杂。为切实做好今年防汛工作，"
    "保障人民群众生命财产安全，经县政府同意，现就有关事项通知如下。",
    "一、压实防汛责任",
    "各乡镇、各部门要严格落实以行政首长负责制为核心的防汛责任制，主要负责同志要靠前指挥，"
    "分管负责同志要深入一线，确保责任落实到岗、到人。" * 3,
    "二、加强监测预警",
    "县气象局、水利局要加密雨情水情监测频次，及时发布预警信息，预警信息要第一时间传达到村组和"
    "受威胁群众，确保应急响应措施落实到位。2024年6月以来累计发布预警信息37条。" * 4,
]
EXPECTED = "\n".join([TITLE, *PARAGRAPHS])
NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _package(files: dict[str, bytes | str], *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compress) as archive:
        for name, data in files.items():
            archive.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


def _minimal(content: str, *, doc_root: str = "Doc_0/Document.xml", base_loc: str = "Pages/Page_0/Content.xml",
             extra: dict[str, bytes | str] | None = None, prefix: str = "ofd:") -> bytes:
    """An OFD package of one page whose Content holds ``content`` (TextObjects)."""
    p = prefix
    ns = NS if p else ""
    return _package({
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><{p}OFD {ns} Version="1.0" DocType="OFD"><{p}DocBody>'
                   f"<{p}DocInfo><{p}DocID>1</{p}DocID></{p}DocInfo><{p}DocRoot>{doc_root}</{p}DocRoot>"
                   f"</{p}DocBody></{p}OFD>",
        "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?><{p}Document {ns}><{p}CommonData>'
                              f"<{p}PageArea><{p}PhysicalBox>0 0 210 297</{p}PhysicalBox></{p}PageArea>"
                              f'</{p}CommonData><{p}Pages><{p}Page ID="1" BaseLoc="{base_loc}"/></{p}Pages>'
                              f"</{p}Document>",
        "Doc_0/Pages/Page_0/Content.xml": f'<?xml version="1.0" encoding="UTF-8"?><{p}Page {ns}><{p}Content>'
                                          f'<{p}Layer ID="2">{content}</{p}Layer></{p}Content></{p}Page>',
        **(extra or {}),
    })


def _text(x: float, y: float, text: str, *, size: float = 5.0, ctm: str = "", deltas: str = "",
          p: str = "ofd:") -> str:
    ctm_attr = f' CTM="{ctm}"' if ctm else ""
    return (f'<{p}TextObject ID="9" Boundary="{x} {y} 150 {size * 1.2}" Font="1" Size="{size}"{ctm_attr}>'
            f'<{p}TextCode X="0" Y="{size}" DeltaX="{deltas}">{text}</{p}TextCode></{p}TextObject>')


def _read(tmp_path: Path, data: bytes) -> tuple[list, list]:
    path = tmp_path / "文件.ofd"
    path.write_bytes(data)
    return read_sources([path])


def test_an_ofd_reads_as_the_text_it_was_made_from(tmp_path):
    path = ff.write_ofd(tmp_path / "通知.ofd", TITLE, PARAGRAPHS)
    assert len(ff.lay_out(TITLE, PARAGRAPHS)) == 2  # a paragraph runs on over the page break
    source = read_source(path)[0]
    assert (source.text, source.title, source.kind, source.encoding) == (EXPECTED, TITLE, "ofd", "unicode")


def test_reading_order_comes_from_positions_not_from_the_order_of_the_xml(tmp_path):
    path = ff.write_ofd(tmp_path / "倒序.ofd", TITLE, PARAGRAPHS, shuffle=True)
    assert read_source(path)[0].text == EXPECTED


def test_an_ofd_copy_of_a_text_file_is_found(tmp_path):
    from chachong.api import audit

    ff.write_ofd(tmp_path / "a.ofd", TITLE, PARAGRAPHS)
    (tmp_path / "b.txt").write_text(EXPECTED, encoding="utf-8")
    result = audit([tmp_path])
    # the OFD's title is its DocInfo title and its body starts with the title line, as a .docx's
    # does; the text file's first line is its title: near-duplicates, every body character copied
    assert [(p.a, p.b, p.kind) for p in result.document_pair_records] == [("d01", "d02", "near-duplicate")]
    assert result.stats["d02"].copy_ratio == 1.0 and result.stats["d01"].copy_ratio > 0.95


def test_text_pieces_are_put_in_lines_by_position(tmp_path):
    # three pieces of one line given right to left, a CTM that moves and scales one of them, the
    # `g N value` shorthand of DeltaX; and no namespace prefix at all
    content = (_text(60, 20, "第三段文字", p="", deltas="g 4 5") + _text(10, 20, "第一段", p="", deltas="5 5")
               + _text(0, 0, "第二段", p="", ctm="1 0 0 1 25 20", deltas="5 5")
               + _text(10, 40, "下一行另起一段。", p=""))
    sources, skipped = _read(tmp_path, _minimal(content, prefix=""))
    assert skipped == []
    assert sources[0].text == "第一段第二段 第三段文字\n下一行另起一段。"


def test_paths_may_be_absolute_from_the_package_root(tmp_path):
    data = _minimal(_text(10, 20, "根路径。"), doc_root="/Doc_0/Document.xml",
                    base_loc="/Doc_0/Pages/Page_0/Content.xml")
    assert [s.text for s in _read(tmp_path, data)[0]] == ["根路径。"]


def test_paragraphs_are_rebuilt_from_indents_short_lines_gaps_and_sizes():
    def line(x0: float, x1: float, top: float, text: str, h: float = 5.0) -> Fragment:
        return Fragment(x0, x1, top, top + h, text)

    page = [
        line(60, 150, 10, "标题居中", h=7.0),  # larger and centred
        line(20, 170, 30, "首行缩进两字的段落第一行"),  # indented: a new paragraph
        line(10, 170, 37, "接续的第二行"),
        line(10, 90, 44, "段落最后一行较短。"),  # short: the paragraph ends here
        line(10, 170, 51, "没有缩进但上一行较短"),
        line(10, 170, 58, "continued"),
        line(10, 170, 65, "text"),  # Latin words are joined with a space, Chinese without
        line(10, 170, 90, "空一行后另起一段"),  # a gap above
    ]
    assert paragraphs([page]) == ["标题居中", "首行缩进两字的段落第一行接续的第二行段落最后一行较短。",
                                  "没有缩进但上一行较短continued text", "空一行后另起一段"]


# ---- hostile and broken packages


def test_a_zip_bomb_is_refused_before_inflating(tmp_path):
    bomb = _minimal(_text(10, 20, "正文。"), extra={"Doc_0/Res/image.bmp": bytes(64 * 2**20)})
    assert len(bomb) < 200 * 2**10
    sources, skipped = _read(tmp_path, bomb)
    assert sources == [] and skipped[0].reason.startswith(
        "has a member (Doc_0/Res/image.bmp) that expands ")
    assert skipped[0].reason.endswith(
        "over the 100x limit (a zip bomb?); if the document is genuine, export it as .pdf "
        "(or raise Limits(max_docx_ratio=...) in Python)")


def test_xml_entities_are_refused(tmp_path):
    laughs = ('<?xml version="1.0"?><!DOCTYPE ofd:Page [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈">'
              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
              f'<ofd:Page {NS}><ofd:Content><ofd:Layer ID="2">{_text(10, 20, "&c;")}</ofd:Layer>'
              "</ofd:Content></ofd:Page>")
    data = _minimal("", extra={"Doc_0/Pages/Page_0/Content.xml": laughs})
    sources, skipped = _read(tmp_path, data)
    assert sources == [] and skipped[0].reason == (
        "has a DTD in Doc_0/Pages/Page_0/Content.xml (entity declarations: a crafted file?); refused as unsafe, "
        "export it again")
    # and an external entity, which would read a local file
    xxe = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           f'<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>&e;</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    sources, skipped = _read(tmp_path, _minimal("", extra={"OFD.xml": xxe}))
    assert sources == [] and skipped[0].reason.startswith("has a DTD in OFD.xml")


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"doc_root": "../../etc/passwd"},
         "refers to '../../etc/passwd', a path outside the package (a damaged or crafted file); open it in the "
         "program that made it and save again"),
        ({"base_loc": "../../../Content.xml"},
         "refers to '../../../Content.xml', a path outside the package (a damaged or crafted file); open it in the "
         "program that made it and save again"),
        ({"extra": {"../evil.xml": "<x/>"}},
         "has a member named '../evil.xml', a path outside the package (a damaged or crafted file); export it again"),
        ({"doc_root": "Doc_9/Document.xml"},
         "has no Doc_9/Document.xml (a document named in OFD.xml); the file is incomplete, export it again"),
    ],
)
def test_paths_outside_the_package_or_missing_are_refused(tmp_path, kwargs, reason):
    sources, skipped = _read(tmp_path, _minimal(_text(10, 20, "正文。"), **kwargs))
    assert sources == [] and [s.reason for s in skipped] == [reason]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7 not an ofd", "is not an OFD package (not a zip archive) (it is a PDF); export it again as .ofd "
                                 "or .pdf"),
        (b"PK\x03\x04" + bytes(100), "is a corrupt .ofd (broken zip: "),
        (_package({"a.txt": "x"}), "has no OFD.xml (the package's entry point); the file is incomplete, export it "
                                   "again"),
        (_package({"OFD.xml": "<OFD><DocBody>"}), "has broken XML in OFD.xml ("),
        (_minimal(""), "has no text on its 1 page(s) (a scanned OFD, pages of images?); read it by OCR with "
                       "--ocr auto (needs pip install 'chachong[ocr]')"),
    ],
    ids=["pdf", "broken-zip", "no-OFD.xml", "broken-xml", "no-text"],
)
def test_broken_packages_are_skipped_with_a_reason(tmp_path, data, reason):
    sources, skipped = _read(tmp_path, data)
    assert sources == [] and len(skipped) == 1 and skipped[0].reason.startswith(reason)
    assert "\n" not in skipped[0].reason


def test_a_scanned_ofd_is_read_by_ocr_when_asked(tmp_path):
    import importlib.util
    import os

    paras = PARAGRAPHS[:3]
    path = ff.write_ofd(tmp_path / "扫描.ofd", TITLE, paras, scanned=200)  # each page an image of itself
    sources, skipped = read_sources([path])
    assert sources == [] and skipped[0].reason == (
        "has no text on its 1 page(s) (a scanned OFD, pages of images?); read it by OCR with --ocr auto "
        "(needs pip install 'chachong[ocr]')")
    if importlib.util.find_spec("rapidocr_onnxruntime") is None:
        if os.environ.get("CI"):
            pytest.fail("rapidocr_onnxruntime is not installed: pip install -e '.[test]'")
        pytest.skip("rapidocr_onnxruntime is not installed: pip install -e '.[test]'")
    pages: list = []
    source = read_source(path, ocr="auto", on_page=lambda *a: pages.append(a))[0]
    assert pages == [(path.as_posix(), 1, 1)]
    got, want = "".join(source.text.split()), "".join([TITLE, *paras])
    import difflib

    assert difflib.SequenceMatcher(None, got, want, autojunk=False).ratio() >= 0.95
    assert len(source.text.split("\n")) == 1 + len(paras)  # the lines put back into paragraphs
    assert source.ocr_confidence > 0.9 and source.warnings[0].startswith("1 of 1 page(s) read by OCR")
