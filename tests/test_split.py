from chachong.model import Source
from chachong.split import build_documents, find_toc, paragraph_bounds, split_source

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
