"""Copied passages and copy ratios (文字复制比) end to end, on small hand-written documents.

One test per kind of copy the issue names (a sentence inside a longer paragraph, figures and
place names changed, small edits, paragraphs split or merged, identical documents) and the
negatives (stock phrases and figures only).
"""

from __future__ import annotations

import json

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chachong.api import audit
from chachong.cli import summary
from chachong.config import AuditConfig
from chachong.model import Document, Paragraph
from chachong.report.tables import to_csv

P1 = "为深入推进基层治理现代化，本街道建立了网格化管理机制，将辖区划分为四十个网格，每个网格配备专职网格员，实现了问题发现、上报、处置的闭环管理。"
P2 = "在安全生产方面，开展了为期三个月的专项整治行动，检查企业一百二十家，发现并整改隐患三百余处，全年未发生较大以上安全事故。"
P3 = "下一步，我们将继续完善工作机制，强化督促检查，确保各项任务落到实处，为经济社会高质量发展提供坚强保障和良好环境。"
Q1 = "本局围绕优化营商环境目标，推行一窗受理和集成服务改革，企业开办时间压缩至一个工作日以内，群众满意度明显提升，获得上级通报表扬。"
Q2 = "在法治建设方面，组织执法人员参加业务培训六期，开展行政执法案卷评查，规范执法程序，行政复议纠错率同比下降。"
R1 = "学校坚持立德树人根本任务，组织教师参加课堂教学比武，开设书法、合唱、科技制作等社团，学生参与率稳步提高，家长评价良好。"
R2 = "医院持续改善就医体验，推行预约诊疗和检查结果互认，门诊平均候诊时间明显缩短，患者投诉件数较上年有所下降。"
SENTENCE = "将辖区划分为四十个网格，每个网格配备专职网格员"  # a sentence of P1


def docs(*bodies: list[str]) -> list[Document]:
    """Documents d01, d02, … whose text is their paragraphs joined by newlines."""
    out = []
    for i, paras in enumerate(bodies):
        did = f"d{i + 1:02d}"
        text = "\n".join(paras)
        starts = [sum(len(p) + 1 for p in paras[:j]) for j in range(len(paras))]
        out.append(Document(did, f"标题{i + 1}", f"{did}.txt", text, 2, tuple(
            Paragraph(f"{did}:p{j + 1:03d}", did, j, s, s + len(p), j + 2, p)
            for j, (s, p) in enumerate(zip(starts, paras)))))
    return out


def run(*bodies: list[str], config: AuditConfig | None = None):
    result = audit(docs(*bodies), config or AuditConfig())
    return result, json.loads(result.to_json())


def passage_texts(result, report) -> list[tuple[str, str, str, str]]:
    return [(p["a"], p["b"], result.document(p["a"]).text[p["a_start"]:p["a_end"]],
             result.document(p["b"]).text[p["b_start"]:p["b_end"]]) for p in report["passages"]]


def test_identical_documents_are_copies_of_each_other_the_earlier_the_source():
    _, report = run([P1, P2, P3], [Q1, Q2], [P1, P2, P3])
    ratios = {d["id"]: (d["copy_ratio"], d["top_source"]) for d in report["documents"]}
    assert ratios == {"d01": (1.0, {"document": "d03", "ratio": 1.0, "class": "copied"}), "d02": (0.0, None),
                      "d03": (1.0, {"document": "d01", "ratio": 1.0, "class": "copied"})}
    (pair,) = report["document_pairs"]
    assert (pair["a"], pair["b"], pair["kind"], pair["a_in_b"], pair["b_in_a"]) == ("d01", "d03", "identical", 1.0, 1.0)
    (passage,) = report["passages"]
    assert (passage["a"], passage["b"], passage["kind"], passage["edits"]) == ("d01", "d03", "exact", [])
    assert all(c["source"].startswith("d01:") for c in report["clusters"])


def test_identical_short_or_repetitive_documents_are_still_identical():
    # bodies below min_span, or made of one repeated character (whose k-grams seed nothing)
    _, report = run(["一、总体情况"], [R1], ["一、总体情况"], ["好" * 40], ["好" * 40])
    pairs = [(p["a"], p["b"], p["kind"], p["a_in_b"], p["b_in_a"]) for p in report["document_pairs"]]
    assert pairs == [("d01", "d03", "identical", 1.0, 1.0), ("d04", "d05", "identical", 1.0, 1.0)]
    assert [d["copy_ratio"] for d in report["documents"]] == [1.0, 0.0, 1.0, 1.0, 1.0]


def test_copied_sentence_inside_a_longer_paragraph():
    longer = "今年以来，我们认真学习先进经验，" + SENTENCE + "，这一做法得到了群众的广泛认可。"
    result, report = run([P1, P2], [Q1, longer, Q2])
    # the punctuation around the sentence, the same in both, is part of the copy
    assert passage_texts(result, report) == [("d01", "d02", "，" + SENTENCE + "，", "，" + SENTENCE + "，")]
    d2 = result.document("d02")
    copied = len(SENTENCE) + 2
    doc = {d["id"]: d for d in report["documents"]}["d02"]
    assert doc["copied_chars"] == copied and doc["copy_ratio"] == round(copied / len(d2.text), 4)
    assert doc["top_source"] == {"document": "d01", "ratio": round(copied / len(d2.text), 4), "class": "copied"}
    (pair,) = report["document_pairs"]
    assert (pair["a_in_b"], pair["b_in_a"]) == (round(copied / len(result.document("d01").text), 4),
                                                doc["copy_ratio"])
    shares = {p["id"]: p["copied_share"] for p in report["paragraphs"]}
    assert shares["d02:p002"] == round(copied / len(longer), 4) and shares["d02:p001"] == 0.0
    # a sentence in a longer paragraph is a passage, not a copied paragraph
    assert report["paragraph_pairs"] == []
    assert report["passages"][0]["a_paragraphs"] == ["d01:p001"] and report["passages"][0]["b_paragraphs"] == ["d02:p002"]


def test_figures_dates_and_place_names_changed_is_a_template_copy():
    src = "2023年，阳光区共完成专项检查15次，出动执法人员1280人次，在张庄镇、河西街道设立服务站2个，全年受理投诉560余件，办结率达到99.6%。"
    copy = "2022年，星河区共完成专项检查23次，出动执法人员1465人次，在李集镇、城南街道设立服务站3个，全年受理投诉610余件，办结率达到99.2%。"
    result, report = run([src, P2], [copy, Q1])
    (p,) = report["passages"]
    assert p["kind"] == "template"
    a, b = result.document("d01").text, result.document("d02").text
    assert (p["a_start"], p["a_end"], p["b_start"], p["b_end"]) == (0, len(src), 0, len(copy))
    changed = [(op, a[s:e], b[t:u]) for s, e, t, u, op in p["edits"]]
    assert ("figure", "2023", "2022") in changed and ("figure", "15", "23") in changed
    assert ("place", "阳光", "星河") in changed and ("place", "张庄", "李集") in changed
    assert {op for op, _, _ in changed} == {"figure", "place"}
    assert {d["id"]: d["copy_ratio"] for d in report["documents"]} == {
        "d01": round(len(src) / len(a), 4), "d02": round(len(copy) / len(b), 4)}


def test_small_edits_are_one_passage_with_the_edits_marked():
    edited = P1.replace("推进", "推动").replace("网格员", "网格管理员").replace("问题发现、", "问题").replace("闭环", "闭合")
    result, report = run([P1, Q1], [R1, edited])
    (p,) = report["passages"]
    assert p["kind"] == "edited"
    a, b = result.document("d01").text, result.document("d02").text
    assert a[p["a_start"]:p["a_end"]] == P1 and b[p["b_start"]:p["b_end"]] == edited
    ops = [(op, a[s:e], b[t:u]) for s, e, t, u, op in p["edits"]]
    assert ops == [("replace", "进", "动"), ("insert", "", "管理"), ("delete", "发现", ""), ("replace", "环", "合")]


def test_an_edit_at_the_start_of_a_passage_is_placed_inside_it():
    # carried to the paragraph start over "在本年" -> "本", the copy begins with a deletion whose
    # b side is empty: its insertion point is b's passage start, not the end of the paragraph
    # before it (across "。" and the line break)
    result, report = run([Q1, "在本年" + P1[1:]], [R1, "本" + P1[1:]])
    (p,) = report["passages"]
    a, b = result.document("d01").text, result.document("d02").text
    assert (a[p["a_start"]:p["a_end"]], b[p["b_start"]:p["b_end"]]) == ("在本年" + P1[1:], "本" + P1[1:])
    assert [(op, a[s:e], t, u) for s, e, t, u, op in p["edits"]] == [
        ("delete", "在", p["b_start"], p["b_start"]), ("delete", "年", p["b_start"] + 1, p["b_start"] + 1)]


def test_a_paragraph_pair_span_stays_inside_its_paragraphs_when_a_figure_runs_on():
    # "98" ending one paragraph and "3" starting the next are one masked figure canonically
    # (line breaks are not canonical); the pair's span still ends where the paragraph ends
    copied = P2[:-1] + "，整改率达98"
    result, report = run([Q1, copied, "3月起" + P3], [R1, copied, Q2])
    pair = next(p for p in report["paragraph_pairs"] if (p["a"], p["b"]) == ("d01:p002", "d02:p002"))
    a, b = result.document("d01"), result.document("d02")
    assert pair["kind"] == "identical"
    assert pair["spans"] == [[a.paragraphs[1].start, a.paragraphs[1].end, b.paragraphs[1].start, b.paragraphs[1].end]]


def test_copy_over_paragraph_boundaries_merged_and_split():
    cut = P2.index("检查企业")
    result, report = run([P1, P2, P3], [Q1, P1 + P2, Q2], [R1, P2[:cut], P2[cut:], R2])
    got = {(p["a"], p["b"]): (p["a_paragraphs"], p["b_paragraphs"], p["kind"]) for p in report["passages"]}
    assert got[("d01", "d02")] == (["d01:p001", "d01:p002"], ["d02:p002"], "exact")
    assert got[("d01", "d03")] == (["d01:p002"], ["d03:p002", "d03:p003"], "exact")
    texts = {(a, b): (x, y) for a, b, x, y in passage_texts(result, report)}
    assert texts[("d01", "d02")] == (P1 + "\n" + P2, P1 + P2)
    assert texts[("d01", "d03")] == (P2, P2[:cut] + "\n" + P2[cut:])
    pairs = {(p["a"], p["b"]) for p in report["paragraph_pairs"]}
    assert {("d01:p001", "d02:p002"), ("d01:p002", "d02:p002"), ("d01:p002", "d03:p002"),
            ("d01:p002", "d03:p003")} <= pairs
    # d02 and d03 share P2 too (a copy of a copy)
    assert ("d02", "d03") in got


def test_stock_phrases_and_figures_only_are_not_copying():
    a = ["2023年，我局高度重视安全生产，扎实推进各项工作，检查企业15家，取得了一定成效。",
         "存在的问题和不足：一是宣传不够深入，二是基层力量薄弱，共有12个岗位空缺。"]
    b = ["2023年，街道党工委高度重视民生实事，扎实推进各项工作，新建停车位15个，取得了一定成效。",
         "存在的问题和不足：一是资金保障不足，二是群众参与不够，仍有12户未完成改造。"]
    _, report = run(a, b)
    assert report["passages"] == [] and report["paragraph_pairs"] == [] and report["document_pairs"] == []
    assert all(d["copy_ratio"] == 0.0 and d["top_source"] is None for d in report["documents"])


def test_a_shared_formula_is_a_span_no_longer_than_the_formula():
    formula = "坚持以习近平新时代中国特色社会主义思想为指导"
    a = ["今年，本局" + formula + "，推进依法行政。", P2]
    b = ["全县教育系统" + formula + "，办好人民满意的教育。", R1]
    result, report = run(a, b)
    assert [(x, y) for _, _, x, y in passage_texts(result, report)] == [(formula + "，", formula + "，")]


def test_stock_fingerprints_propose_no_pair():
    """A formula in stock_min_documents independent documents is stock phrasing: alone, it makes no
    passage; below that spread it is a copied passage like any other."""
    formula = "坚持以习近平新时代中国特色社会主义思想为指导"
    bodies = (["本局" + formula + "，推进依法行政。", P2], ["全县教育系统" + formula + "，办好教育。", R1],
              ["医院" + formula + "，改善就医体验。", Q2])
    _, stock = run(*bodies, config=AuditConfig(stock_min_documents=3))
    assert stock["passages"] == [] and all(d["copy_ratio"] == 0.0 for d in stock["documents"])
    _, copy = run(*bodies, config=AuditConfig(stock_min_documents=4))
    assert {(p["a"], p["b"]) for p in copy["passages"]} == {("d01", "d02"), ("d01", "d03"), ("d02", "d03")}


def test_report_states_formulas_and_tables_carry_the_fields():
    result, report = run([P1, P2, P3], [Q1, "今年以来，" + SENTENCE + "，效果明显。", Q2])
    for key in ("copy_ratio", "top_source", "a_in_b", "passage", "candidates", "copied_share", "jaccard"):
        assert key in report["formulas"]
    assert "min_span" in report["formulas"]["passage"] and report["settings"]["min_span"] == 13
    assert "{" not in "".join(report["formulas"].values())  # every placeholder filled in
    doc = {d["id"]: d for d in report["documents"]}["d02"]
    assert doc["sources"] == [doc["top_source"]] and doc["top_source"]["document"] == "d01"
    header, row = to_csv(report, "documents").splitlines()[:3:2]
    assert "copy_ratio" in header and "top_source" in header and ",d01," in row
    assert result.to_json() == audit(docs([P1, P2, P3], [Q1, "今年以来，" + SENTENCE + "，效果明显。", Q2])).to_json()


def test_terminal_summary_ranks_documents_by_copy_ratio_with_top_source():
    result, _ = run([P1, P2], [Q1, "今年以来，" + SENTENCE + "，效果明显。"], [R1, R2], [P1, P2])
    lines = summary(result).splitlines()
    ranked = lines[lines.index("copy ratio (文字复制比) by document, with top source:") + 1:]
    assert [line.split()[0] for line in ranked[:-1]] == ["d01", "d04", "d02"]
    assert "from d04 100.0%" in ranked[0] and "from d01" in ranked[2]
    assert ranked[-1].strip().startswith("copy ratio = copied characters / characters; copied = 3 passages")


PLANE = st.characters(min_codepoint=0x4E00, max_codepoint=0x5FFF)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=PLANE, max_size=50), st.text(alphabet=PLANE, max_size=50),
       st.text(alphabet=st.characters(min_codepoint=0x6000, max_codepoint=0x6FFF), max_size=50),
       st.text(alphabet=st.characters(min_codepoint=0x6000, max_codepoint=0x6FFF), max_size=50),
       st.text(alphabet=st.characters(min_codepoint=0x7000, max_codepoint=0x7FFF), min_size=13, max_size=60))
def test_planted_copy_gives_the_exact_ratio(a0, a1, b0, b1, copy):
    """Own texts from disjoint character ranges share nothing; the planted copy is all that is copied.

    Own text of at least SNAP + 1 characters frames the copy: a copy one changed word away from
    its paragraph's edge is carried to it, by design.
    """
    grams = [copy[i:i + 5] for i in range(len(copy) - 4)]
    assume(all(grams.count(g) <= 3 for g in grams))
    a0, a1, b0, b1 = "一二三四五" + a0, a1 + "六七八九十", "怀怂怃怄怅" + b0, b1 + "怆怇怈怉怊"
    a, b = a0 + copy + a1, b0 + copy + b1
    result, report = run([a], [b])
    for did, text in (("d01", a), ("d02", b)):
        st_ = result.stats[did]
        assert st_.copied_chars == len(copy) and st_.copy_ratio == round(len(copy) / len(text), 4)
    (p,) = report["passages"]
    assert (p["a_start"], p["b_start"], p["a_chars"], p["kind"]) == (len(a0), len(b0), len(copy), "exact")
