import pytest

from chachong.model import Paragraph, Source
from chachong.stages.segment import build_documents, find_toc, paragraph_bounds, split_source

BODY_A = "第一段内容，介绍了本单位全年工作的总体情况和主要成效，内容较为详细。\n一、主要工作\n（一）加强组织领导。成立专项工作领导小组，明确责任分工。"
BODY_B = "今年以来，我们坚持问题导向，扎实推进各项重点任务落实。\n二、存在问题\n个别单位重视不够，工作进展不平衡。"

COMPILATION = (
    "2023年度工作总结汇编（2篇）\n\n目录\n"
    "2023年度工作总结汇编（2篇）\t1\n目录\t1\n甲单位2023年工作总结\t2\n乙单位2023年工作总结\t5\n\n"
    f"甲单位2023年工作总结\n\n{BODY_A}\n\n乙单位2023年工作总结\n{BODY_B}\n"
)


def test_toc_split_titles_and_bodies():
    src = Source("c.txt", COMPILATION, "utf-8", "text")
    pieces, warnings = split_source(src)
    assert warnings == []
    assert [p.title for p in pieces] == ["甲单位2023年工作总结", "乙单位2023年工作总结"]
    assert pieces[0].text == BODY_A
    assert pieces[1].text == BODY_B
    lines = COMPILATION.split("\n")
    assert lines[pieces[0].line - 1].startswith("第一段内容")
    assert lines[pieces[1].line - 1].startswith("今年以来")


def test_toc_with_dot_leaders():
    text = "目录\n一号文件……………1\n二号文件.......3\n三号文件··········7\n\n一号文件\n正文一\n二号文件\n正文二\n三号文件\n正文三\n"
    titles, first, last = find_toc(text)
    assert titles == ["一号文件", "二号文件", "三号文件"]


def test_toc_title_missing_from_body_warns_and_keeps_text():
    text = COMPILATION.replace("乙单位2023年工作总结\n今年", "今年")
    pieces, warnings = split_source(Source("c.txt", text, "utf-8", "text"))
    assert len(pieces) == 1
    assert "乙单位2023年工作总结" in warnings[0] and "does not appear" in warnings[0]
    assert "个别单位重视不够" in pieces[0].text


def test_split_none_keeps_file_whole():
    pieces, _ = split_source(Source("c.txt", COMPILATION, "utf-8", "text"), "none")
    assert len(pieces) == 1


def test_heading_heuristics_without_toc():
    body = "本年度我们围绕中心工作，认真履职尽责，取得了较好成效。" * 10
    text = f"关于甲项目的工作总结\n\n{body}\n\n关于乙项目的工作报告\n\n{body}\n"
    pieces, _ = split_source(Source("h.txt", text, "utf-8", "text"))
    assert [p.title for p in pieces] == ["关于甲项目的工作总结", "关于乙项目的工作报告"]


def test_single_report_is_one_document_with_stem_title():
    text = "各位代表：\n现在，我代表市人民政府向大会报告工作。\n一、过去一年工作回顾\n过去一年成绩显著。\n"
    pieces, _ = split_source(Source("dir/2024_某市_报告.txt", text, "utf-8", "text"))
    assert len(pieces) == 1 and pieces[0].title == "2024_某市_报告"
    assert pieces[0].text.startswith("各位代表")


def test_paragraph_offsets_and_lines():
    pieces, _ = split_source(Source("c.txt", COMPILATION, "utf-8", "text"))
    docs = build_documents([(p, "text") for p in pieces])
    assert [d.id for d in docs] == ["d01", "d02"]
    lines = COMPILATION.split("\n")
    for d in docs:
        for p in d.paragraphs:
            assert d.text[p.start:p.end] == p.text
            assert lines[p.line - 1].strip() == p.text
    assert docs[0].paragraphs[0].id == "d01:p001"


def test_hard_wrapped_lines_join_into_paragraphs():
    para = "这是一个很长的段落，被固定宽度折行了，每一行的长度都差不多相同，直到句号才算结束。" * 4
    lines = [para[i:i + 20] for i in range(0, len(para), 20)]
    text = "\n".join(lines) + "\n\n" + "\n".join(lines)
    bounds = paragraph_bounds(text)
    assert len(bounds) == 2
    assert text[bounds[0][0]:bounds[0][1]].replace("\n", "") == para


def test_headings_of_equal_length_are_not_wrapping():
    heads = [f"{n}、聚焦重点工作，构建长效机制" for n in "一二三四五六"]
    text = "\n".join(f"{h}\n{'正文内容较长，' * (15 + 3 * i)}完毕。" for i, h in enumerate(heads))
    assert len(paragraph_bounds(text)) == 12


# ------------------------------------------------------------------------------------------------
# paragraphs_many (the batch path build_documents takes for large inputs) equals paragraph_bounds

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import chachong.stages.segment as split_module  # noqa: E402
from chachong.stages.segment import paragraphs_many  # noqa: E402

# white space of every kind (ideographic space, NBSP, \x85, \u2028, \r, \x1c), wide and narrow
# characters, characters above the BMP (wide and narrow), U+FFFF, closing punctuation
_CHARS = list(" \t\r\u3000\xa0\x85\u2028\x1c\x0b") + list("\n" * 6) + list("文字段落工作总结，。；a1X﹏") + \
    ["\U00020000", "\U0001F600", "\U00010400", "\uffff", "\ud800"]
_TEXT = st.text(alphabet=st.sampled_from(_CHARS), max_size=80)


def _wrapped(draw_width: int, body: str) -> str:
    """A hard-wrapped rendering of ``body`` (every line draw_width characters)."""
    return "\n".join(body[i:i + draw_width] for i in range(0, len(body), draw_width))


_WRAPPED = st.builds(_wrapped, st.integers(15, 40),
                     st.text(alphabet=st.sampled_from(list("这是很长的段落折行。，ab12 ")), min_size=100, max_size=400))


def _expected(text: str, pdf: bool) -> tuple[list[tuple[int, int]], list[int]]:
    bounds = paragraph_bounds(text, blank_line_blocks=pdf)
    return bounds, [text.count("\n", 0, s) for s, _ in bounds]


@given(st.lists(st.tuples(_TEXT | _WRAPPED, st.booleans()), max_size=8), st.integers(1, 200))
@settings(max_examples=300, deadline=None)
def test_paragraphs_many_equals_paragraph_bounds(items, batch):
    texts = [t for t, _ in items]
    pdf = [p for _, p in items]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(split_module, "_BATCH", batch)  # texts fall into several batches
        got = paragraphs_many(texts, pdf)
    assert got == [_expected(t, p) for t, p in zip(texts, pdf)]


def test_large_input_takes_the_batch_path_with_the_same_paragraphs():
    from chachong.stages.segment import Piece

    wrapped = _wrapped(20, "这是一个很长的段落，被固定宽度折行了，每一行的长度都差不多相同，直到句号才算结束。" * 4)
    texts = [f"  第{i}段内容。\n\n\u3000\u3000第二段 \n" * 40 for i in range(100)] + [wrapped, "一\n二\n三"]
    assert sum(map(len, texts)) >= 1 << 16
    pieces = [(Piece(f"t{i}", t, 3 + i, "s.txt"), "text") for i, t in enumerate(texts)]
    docs = build_documents(pieces)
    for (piece, _), d in zip(pieces, docs):
        bounds, lines = _expected(piece.text, False)
        assert [(p.start, p.end) for p in d.paragraphs] == bounds
        assert [p.line for p in d.paragraphs] == [piece.line + ln for ln in lines]
        assert all(p.text == piece.text[p.start:p.end] and p.document == d.id for p in d.paragraphs)
    assert len(docs[100].paragraphs) == 1  # the wrapped text is one paragraph
    assert docs[0].paragraphs[1] == Paragraph("d001:p002", "d001", 1, 12, 15, 5, "第二段")
