"""Reading well-formed inputs: encodings, formats, folders, tables."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from chachong.config import ConfigError
from chachong.ingest.read import SUPPORTED, IngestError, Limits, detect_encoding, read_source, read_sources
from chachong.ingest.walk import REPORT_FILES
from chachong.model import Skipped, Source

SIMPLIFIED = (
    "我们要坚持以人民为中心的发展思想，不断增强人民群众的获得感、幸福感、安全感。\n"
    "今年以来，全市经济运行总体平稳，工业生产稳步增长，消费市场持续回暖。\n"
    "下一步，我们将进一步优化营商环境，推动高质量发展取得新成效。"
)
TRADITIONAL = (
    "臺灣的夜市文化歷史悠久，各式各樣的小吃讓觀光客流連忘返。\n"
    "政府將持續推動觀光產業發展，並加強環境保護工作。\n"
    "本公司於今年召開股東常會，會中通過年度財務報告及盈餘分配案，董事會將依照決議辦理相關事宜。"
)
# U+20BB7 (𠮷) and U+4DAE (䶮) exist in GB18030 but not in GBK.
BEYOND_GBK = "“𠮷”字和刘䶮的“䶮”字都不在国标GBK之内，只有GB18030能够表示。"


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def one(path: Path, **kwargs) -> Source:
    sources = read_source(path, **kwargs)
    assert len(sources) == 1
    return sources[0]


# ------------------------------------------------------------------------ encodings


def test_gbk_text_decodes_as_gb18030(tmp_path):
    src = one(write(tmp_path / "a.txt", SIMPLIFIED.encode("gbk")))
    assert (src.encoding, src.text, src.kind, src.first_line) == ("gb18030", SIMPLIFIED, "text", 1)
    assert src.warnings == ()


def test_gb18030_with_characters_outside_gbk(tmp_path):
    with pytest.raises(UnicodeEncodeError):
        BEYOND_GBK.encode("gbk")
    src = one(write(tmp_path / "a.txt", BEYOND_GBK.encode("gb18030")))
    assert (src.encoding, src.text) == ("gb18030", BEYOND_GBK)


@pytest.mark.parametrize("text", [TRADITIONAL, TRADITIONAL.splitlines()[1]])
def test_big5_text_comes_out_as_big5(tmp_path, text):
    src = one(write(tmp_path / "a.txt", text.encode("big5")))
    assert (src.encoding, src.text) == ("big5", text)


def test_traditional_text_in_gbk_is_gb18030_not_big5(tmp_path):
    # Mainland publishers write traditional characters in GBK too.
    src = one(write(tmp_path / "a.txt", TRADITIONAL.encode("gbk")))
    assert (src.encoding, src.text) == ("gb18030", TRADITIONAL)


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        (codecs.BOM_UTF8 + SIMPLIFIED.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + SIMPLIFIED.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + SIMPLIFIED.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + SIMPLIFIED.encode("utf-32-le"), "utf-32-le"),
        (codecs.BOM_UTF32_BE + SIMPLIFIED.encode("utf-32-be"), "utf-32-be"),
        (SIMPLIFIED.encode("utf-16-le"), "utf-16-le"),  # no BOM: found by its NUL bytes
        (SIMPLIFIED.encode("utf-16-be"), "utf-16-be"),
        (("Annual report 2023\n" + SIMPLIFIED).encode("utf-16-le"), "utf-16-le"),
        (SIMPLIFIED.encode("utf-8"), "utf-8"),
    ],
)
def test_unicode_encodings_with_and_without_bom(tmp_path, data, codec):
    src = one(write(tmp_path / "a.txt", data))
    assert src.encoding == codec
    assert src.text.endswith(SIMPLIFIED) and not src.text.startswith("\ufeff")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_or_any_ascii(tmp_path, codec):
    # Not a single NUL byte (no newline, no digit, no 一 = U+4E00): the characters decide.
    text = SIMPLIFIED.replace("\n", "").replace("一", "")
    data = text.encode(codec)
    assert b"\x00" not in data
    assert one(write(tmp_path / "a.txt", data)).text == text


def test_line_endings_normalised_and_bom_removed(tmp_path):
    data = codecs.BOM_UTF8 + "第一行\r\n第二行\r第三行\n".encode()
    assert one(write(tmp_path / "a.md", data)).text == "第一行\n第二行\n第三行\n"


def test_byte_order_marks_inside_joined_files_are_removed_with_warning(tmp_path):
    part = codecs.BOM_UTF8 + "一段正文。\n".encode()
    src = one(write(tmp_path / "a.txt", part * 3))
    assert src.text == "一段正文。\n" * 3
    assert any("byte-order mark" in w for w in src.warnings)


def test_mixed_encodings_in_one_folder(tmp_path):
    folder = tmp_path / "汇编"
    write(folder / "1-utf8.txt", SIMPLIFIED.encode("utf-8"))
    write(folder / "2-gbk.txt", SIMPLIFIED.encode("gbk"))
    write(folder / "3-big5.txt", TRADITIONAL.encode("big5"))
    write(folder / "4-utf16.txt", SIMPLIFIED.encode("utf-16"))
    write(folder / "5-bom.md", codecs.BOM_UTF8 + TRADITIONAL.encode("utf-8"))
    sources, skipped = read_sources([folder])
    assert skipped == []
    got = [(Path(s.path).name, s.encoding, s.text) for s in sources]
    assert got == [
        ("1-utf8.txt", "utf-8", SIMPLIFIED),
        ("2-gbk.txt", "gb18030", SIMPLIFIED),
        ("3-big5.txt", "big5", TRADITIONAL),
        ("4-utf16.txt", "utf-16-le", SIMPLIFIED),
        ("5-bom.md", "utf-8-sig", TRADITIONAL),
    ]


def test_mixed_encodings_in_one_file_decodes_each_line(tmp_path):
    lines = SIMPLIFIED.split("\n")
    data = (lines[0] + "\n").encode("utf-8") + (lines[1] + "\n").encode("gbk") + lines[2].encode("utf-8")
    src = one(write(tmp_path / "a.txt", data))
    assert src.encoding == "utf-8"
    assert src.text == SIMPLIFIED
    assert src.warnings == (
        "mixed encodings: 1 line(s) are not UTF-8 and were read as gb18030; re-save the file as UTF-8 to be sure",
    )


def test_encoding_override_forces_the_codec(tmp_path):
    path = write(tmp_path / "a.txt", SIMPLIFIED.encode("gbk"))
    assert one(path, encoding="GBK").text == SIMPLIFIED
    # Latin-1 decodes anything: the override is obeyed even when detection would disagree.
    assert one(path, encoding="latin-1").encoding == "iso8859-1"


def test_encoding_override_that_does_not_fit_names_file_and_option(tmp_path):
    path = write(tmp_path / "报告.txt", SIMPLIFIED.encode("gbk"))
    with pytest.raises(IngestError) as info:
        read_source(path, encoding="utf-8")
    message = str(info.value)
    assert message.startswith(f"{path.as_posix()}: is not valid utf-8 (byte 0x")
    assert "--encoding" in message and "it looks like gb18030" in message
    assert "\n" not in message


def test_unknown_encoding_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown encoding 'klingon'"):
        read_sources([tmp_path], encoding="klingon")


def test_detect_encoding():
    assert detect_encoding(SIMPLIFIED.encode("gbk")) == "gb18030"
    assert detect_encoding(TRADITIONAL.encode("big5")) == "big5"
    assert detect_encoding(SIMPLIFIED.encode("utf-8")) == "utf-8"
    assert detect_encoding(SIMPLIFIED.encode("utf-16-be")) == "utf-16-be"
    assert detect_encoding(b"\x89PNG\r\n\x1a\n" + bytes(100)) is None


def test_other_legacy_encodings_fall_back_to_charset_normalizer(tmp_path):
    # Neither UTF-8 nor Chinese: charset-normalizer picks a Latin code page. (Which one is
    # its call: cp1250 and cp1252 differ only in rarer letters such as è.)
    text = "Les élèves ont présenté leurs réflexions sur l'été dernier à l'école. " * 5
    src = one(write(tmp_path / "a.txt", text.encode("cp1252")))
    assert src.encoding.startswith("cp125")
    assert src.text.count("présenté") == 5


# ----------------------------------------------------------------------------- docx


def make_docx(path: Path, *, title: str | None = None) -> Path:
    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    document.add_paragraph("关于加强安全生产工作的通知")
    document.add_paragraph("各单位：为切实做好安全生产工作，现将有关事项通知如下。")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["序号", "单位", "负责人"], ["1", "办公室", "张三"], ["2", "财务处", "李四"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged = table.cell(2, 1).merge(table.cell(2, 2))
    merged.text = "财务处（合并）\n另起一行"
    document.add_paragraph("")
    document.add_paragraph("特此通知。")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def test_docx_paragraphs_and_tables_in_document_order(tmp_path):
    src = one(make_docx(tmp_path / "通知.docx", title=" 安全生产通知 "))
    assert src.kind == "docx" and src.title == "安全生产通知"
    assert src.text == (
        "关于加强安全生产工作的通知\n"
        "各单位：为切实做好安全生产工作，现将有关事项通知如下。\n"
        "序号\t单位\t负责人\n"
        "1\t办公室\t张三\n"
        "2\t财务处（合并） 另起一行\n"  # a merged cell is read once; its line break becomes a space
        "\n"
        "特此通知。"
    )


def test_docx_without_title_has_none(tmp_path):
    assert one(make_docx(tmp_path / "a.docx")).title is None


def test_docx_reads_content_controls_and_tracked_insertions_but_not_deletions(tmp_path):
    # Word puts a generated 目录 inside a content control (w:sdt); python-docx's own
    # paragraph list would miss it, and the splitter needs it.
    document = docx.Document()
    body = document.element.body
    sdt = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtContent>"
        "<w:p><w:r><w:t>目录</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>一、总体要求</w:t></w:r><w:r><w:tab/></w:r><w:r><w:t>1</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
    )
    tracked = parse_xml(
        f"<w:p {nsdecls('w')}><w:r><w:t>保留</w:t></w:r>"
        "<w:ins w:id='1' w:author='a'><w:r><w:t>插入</w:t></w:r></w:ins>"
        "<w:del w:id='2' w:author='a'><w:r><w:delText>删除</w:delText></w:r></w:del></w:p>"
    )
    body.insert(0, sdt)
    body.insert(1, tracked)
    path = tmp_path / "a.docx"
    document.save(path)
    assert one(path).text == "目录\n一、总体要求\t1\n保留插入"


# ------------------------------------------------------------------------ csv, jsonl


def test_csv_one_source_per_row(tmp_path):
    data = (
        "id,title,text\n"
        '1,第一篇,"第一篇的正文。"\n'
        "\n"
        '2,第二篇,"第二篇的正文，\n有两行。"\n'
        "3,,没有标题的一篇。\n"
        "4,空白,\n"
        ",,\n"
        "5,第五篇,第五篇的正文。\n"
    )
    path = write(tmp_path / "docs.csv", data.encode("gbk"))
    sources = read_source(path)
    got = [(s.path, s.title, s.text, s.first_line) for s in sources]
    p = path.as_posix()
    assert got == [
        (f"{p}#1", "第一篇", "第一篇的正文。", 2),
        (f"{p}#2", "第二篇", "第二篇的正文，\n有两行。", 4),
        (f"{p}#3", None, "没有标题的一篇。", 6),
        (f"{p}#5", "第五篇", "第五篇的正文。", 9),
    ]
    assert all(s.kind == "table" and s.encoding == "gb18030" for s in sources)
    assert sources[0].warnings == ("1 row(s) with an empty 'text' cell skipped (rows 4)",)
    assert sources[1].warnings == ()


def test_csv_tab_separated_and_custom_columns(tmp_path):
    path = write(tmp_path / "a.csv", "标题\t正文\nA篇\t甲的正文\nB篇\t乙的正文\n".encode("utf-8-sig"))
    sources = read_source(path, text_column="正文", title_column="标题")
    assert [(s.title, s.text) for s in sources] == [("A篇", "甲的正文"), ("B篇", "乙的正文")]


def test_csv_missing_text_column_names_existing_columns(tmp_path):
    path = write(tmp_path / "a.csv", "标题,内容\nA,甲\n".encode())
    with pytest.raises(IngestError) as info:
        read_source(path)
    assert (
        info.value.reason
        == "has no 'text' column (columns: '标题', '内容'); pass --text-column with one of them"
    )


def test_csv_with_a_cell_of_a_million_characters(tmp_path):
    body = "长" * 1_000_000
    path = write(tmp_path / "a.csv", f"title,text\n大文,{body}\n".encode())
    assert [len(s.text) for s in read_source(path)] == [1_000_000]


def test_jsonl_rows_bad_lines_are_skipped_with_warnings(tmp_path):
    rows = [
        json.dumps({"title": "甲", "text": "甲的正文。"}, ensure_ascii=False),
        "",
        '{"title": "坏行", "text": "少了引号}',
        json.dumps({"title": "乙", "text": "乙的正文\r\n第二行"}, ensure_ascii=False),
        json.dumps(["不是对象"], ensure_ascii=False),
        json.dumps({"text": "没有标题"}, ensure_ascii=False),
        json.dumps({"title": "丙"}, ensure_ascii=False),
    ]
    path = write(tmp_path / "a.jsonl", "\n".join(rows).encode())
    sources = read_source(path)
    p = path.as_posix()
    assert [(s.path, s.title, s.text, s.first_line) for s in sources] == [
        (f"{p}#1", "甲", "甲的正文。", 1),
        (f"{p}#3", "乙", "乙的正文\n第二行", 4),
        (f"{p}#5", None, "没有标题", 6),
    ]
    warnings = sources[0].warnings
    assert len(warnings) == 2
    assert warnings[0].startswith("2 row(s) skipped: line 3: not valid JSON (")
    assert "line 5: a JSON list, not an object" in warnings[0]
    assert warnings[1] == "1 row(s) without a 'text' field skipped (lines 7)"


def test_jsonl_values_are_made_safe(tmp_path):
    # JSON escapes can spell a NUL or half a surrogate pair, which no report could write.
    path = write(tmp_path / "a.jsonl", b'{"title": "\\ud800x", "text": "a\\u0000b\\ud83d\\ude00\\udc00"}\n')
    [src] = read_source(path)
    assert (src.title, src.text) == ("\ufffdx", "ab\U0001f600\ufffd")
    assert src.warnings == ("unpaired surrogate code points replaced with U+FFFD in 2 field(s)",)


def test_jsonl_missing_text_field_names_fields(tmp_path):
    path = write(tmp_path / "a.jsonl", b'{"title": "a", "body": "x"}\n{"title": "b", "body": "y"}\n')
    with pytest.raises(
        IngestError, match=r"has no 'text' field \(fields: 'title', 'body'\); pass --text-column"
    ):
        read_source(path)
    assert [s.text for s in read_source(path, text_column="body")] == ["x", "y"]


def test_json_array_saved_as_jsonl_is_explained(tmp_path):
    path = write(tmp_path / "a.jsonl", b'[\n  {"text": "a"},\n  {"text": "b"}\n]\n')
    with pytest.raises(
        IngestError, match=r"is a JSON array, not JSON Lines; put one JSON object on each line"
    ):
        read_source(path)


def test_jsonl_with_no_valid_line(tmp_path):
    path = write(tmp_path / "a.jsonl", b"text: a\ntext: b\n")
    with pytest.raises(
        IngestError, match=r"is not JSON Lines \(line 1: not valid JSON \(Expecting value at column 1\)\)"
    ):
        read_source(path)


# -------------------------------------------------------------------------- folders


def test_folders_walked_recursively_sorted_by_path(tmp_path):
    root = tmp_path / "docs"
    for name in ["b.txt", "a/z.txt", "a.txt", "a/b/c.md", "中文.txt"]:
        write(root / name, f"{name} 的内容".encode())
    write(root / ".hidden.txt", b"hidden")
    write(root / ".git" / "x.txt", b"hidden folder")
    write(root / "~$a.docx", b"word lock file")
    write(root / "a" / "image.png", b"\x89PNG not read")
    write(root / "notes.TXT", "大写扩展名".encode())
    write(root / "表.xlsx", b"PK\x03\x04")
    sources, skipped = read_sources(root)  # a single path need not be in a list
    names = [s.path[len(root.as_posix()) + 1 :] for s in sources]
    assert names == ["a.txt", "a/b/c.md", "a/z.txt", "b.txt", "notes.TXT", "中文.txt"]
    # every other file is listed with its reason (hidden files and lock files aside): first those
    # the walk found unsupported, then those that could not be read, in the order of reading
    assert skipped == [
        Skipped((root / "表.xlsx").as_posix(), "unsupported file type .xlsx; save the sheet as .csv (one document per row)"),
        Skipped((root / "a" / "image.png").as_posix(),
                "is an image; to read it by OCR run with --ocr auto (needs pip install 'chachong[ocr]')"),
    ]


def test_a_folder_of_reports_each_in_many_formats_is_read_or_skipped_file_by_file(tmp_path):
    """Issue 18's folder: nothing is silently ignored; chachong's own reports in it are left out."""
    from chachong.api import audit
    from chachong.report.writer import write_report

    root = tmp_path / "in"
    for n in range(3):
        write(root / f"报告{n}.txt", f"第{n}份报告的正文，内容各不相同，编号{n}。".encode())
        for ext in (".xls", ".ppt", ".mht"):
            write(root / f"报告{n}{ext}", b"\xd0\xcf\x11\xe0 not a document")
    result = audit([root])
    assert len(result.document_records) == 3
    assert len(result.skipped) == 9
    assert {s.reason.split(";")[0] for s in result.skipped} == {
        "unsupported file type .xls", "unsupported file type .ppt", "unsupported file type .mht"}
    # a report written into the folder is not read (nor listed) the next time
    written = write_report(result, root / "reports", ["json", "csv", "md", "html"])
    assert {p.name for p in written} <= REPORT_FILES
    again = audit([root])
    assert [d.source for d in again.document_records] == [d.source for d in result.document_records]
    assert again.skipped == result.skipped


def test_output_follows_input_order_and_reads_each_file_once(tmp_path):
    one_file = write(tmp_path / "x" / "1.txt", "一".encode())
    write(tmp_path / "x" / "2.txt", "二".encode())
    other = write(tmp_path / "y.txt", "三".encode())
    sources, skipped = read_sources([other, tmp_path / "x", one_file, str(other)])
    assert [s.text for s in sources] == ["三", "一", "二"]
    assert skipped == []


def test_missing_and_unsupported_paths_are_skipped(tmp_path):
    xls = write(tmp_path / "表.xlsx", b"PK\x03\x04")
    bare = write(tmp_path / "README", b"text")
    sources, skipped = read_sources([tmp_path / "nope.txt", xls, bare])
    assert sources == []
    assert skipped == [
        Skipped((tmp_path / "nope.txt").as_posix(), "no such file or directory; check the path"),
        Skipped(xls.as_posix(), "unsupported file type .xlsx; save the sheet as .csv (one document per row)"),
        Skipped(
            bare.as_posix(),
            "unsupported file type (no extension); convert it to one of " + ", ".join(SUPPORTED),
        ),
    ]


def test_a_value_that_is_not_a_path_is_skipped(tmp_path):
    sources, skipped = read_sources([None, write(tmp_path / "a.txt", "正文".encode())])
    assert [s.text for s in sources] == ["正文"]
    assert skipped == [Skipped("None", "is not a path; give a str or pathlib.Path")]


def test_folder_without_supported_files_is_reported(tmp_path):
    write(tmp_path / "a.xls", b"x")
    sources, skipped = read_sources([tmp_path])
    assert sources == [] and len(skipped) == 2
    assert skipped[0] == Skipped((tmp_path / "a.xls").as_posix(),
                                 "unsupported file type .xls; save the sheet as .csv (one document per row)")
    assert skipped[1].reason == f"has no {', '.join(SUPPORTED)} files; nothing to audit"


def test_ingest_error_is_one_line_and_pickles(tmp_path):
    import pickle

    error = IngestError("a/b.txt", "is empty;\nnothing to audit")
    assert str(error) == "a/b.txt: is empty; nothing to audit"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, str(copy)) == ("a/b.txt", str(error))


def test_limits_defaults():
    assert Limits() == Limits(
        max_file_bytes=256 * 2**20, max_docx_uncompressed=512 * 2**20, max_docx_ratio=100
    )
