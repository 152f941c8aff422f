"""Stock phrases (phrases.py): what is a phrase, how it is counted, closed, grouped and located,
the shares they give, the ``phrases`` command, and the must-show cases of the shared corpora."""

from __future__ import annotations

import doctest
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.stages import phrases as phrases_module
from chachong.cli import main
from chachong.config import AuditConfig, ConfigError
from chachong.model import DocumentPair
from chachong.stages.phrases import (
    independent_groups,
    merge,
    mine_phrases,
    overlap,
    paragraph_shares,
    phrase_threshold,
    shares,
    subtract,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "compilation.txt"

# one sentence of its own per document, so that only the formulas are shared
OWN = [
    "城东街道今年修缮老旧小区屋面四处，新装路灯若干盏。",
    "县水利局疏浚河道，加固堤防，保障汛期安全度汛。",
    "市图书馆举办读书月活动，吸引青少年踊跃参与。",
    "区卫健委组织专家下乡义诊，惠及偏远山村群众。",
    "镇政府扶持特色种植，培育葡萄与茶叶合作社。",
    "开发区引进新材料企业，签约项目总投资可观。",
    "交通局改造国省干线，新建港湾式公交站台。",
]
LEAD = ["全体干部", "今年以来", "党组坚持", "各支部", "机关上下", "全镇", "园区"]
TASK = ["改造任务", "义诊行动", "整治项目", "培训活动", "招商专班", "巡查小组", "宣传专栏"]
WHO = ["业务能力", "服务水平", "队伍素质"]
WHAT = ["办事效率", "群众满意度", "审批速度", "响应能力"]
CREED = ["弘扬社会主义新风", "建设社会主义新农村", "践行社会主义法治", "繁荣社会主义文化", "巩固社会主义阵地"]


def corpus() -> list[str]:
    """Seven documents written for this test, and a copy of the first."""
    docs = []
    for i in range(7):
        parts = [OWN[i]]
        if i < 6:
            parts.append(f"{LEAD[i]}学习贯彻党的二十大精神，")
        parts.append(f"{TASK[i]}取得了一定{'成效' if i < 4 else '成绩'}。")
        parts.append(f"{WHO[i]}有待进一步提高。" if i < 3 else f"{WHAT[i - 3]}进一步提高。")
        if i < 5:
            parts.append(f"{CREED[i]}。")
        parts.append("推进工作，落实责任。")
        docs.append("\n".join(parts))
    return docs + [docs[0]]


GROUPS = [0, 1, 2, 3, 4, 5, 6, 0]  # the last text is a copy of the first


@pytest.fixture(scope="module")
def found():
    return {p.text: p for p in mine_phrases(corpus(), GROUPS)}


def test_doctests():
    assert doctest.testmod(phrases_module).failed == 0


def test_complete_formulas_with_independent_document_counts(found):
    f = found["学习贯彻党的二十大精神"]
    assert f.documents == 6  # seven texts use it, two of them copies of one document
    assert f.occurrences == 7
    assert f.words == ("学习", "贯彻", "党", "的", "二十大", "精神")
    assert found["取得了一定成效"].documents == 4
    assert found["取得了一定成绩"].documents == 3


def test_closure_drops_parts_that_never_stand_alone(found):
    # every 二十大精神 is inside 学习贯彻党的二十大精神: the part is not reported
    assert not {"二十大精神", "党的二十大", "贯彻党的二十大精神", "学习贯彻"} & set(found)
    # 取得了一定 stands for both endings: neither keeps 90 % of its 7 documents, so it stays
    assert found["取得了一定"].documents == 7


def test_families_group_overlapping_variants(found):
    assert found["取得了一定成效"].family == found["取得了一定成绩"].family == "取得了一定"
    assert found["学习贯彻党的二十大精神"].family == "学习贯彻党的二十大精神"


def test_phrases_are_whole_words_never_fragments(found):
    # 进一步提高 is one word of jieba's dictionary (an idiom): never cut to 进一步提
    assert "进一步提高" in found and found["进一步提高"].words == ("进一步提高",)
    assert not [t for t in found if t.endswith("进一步提") or t.startswith(("步提高", "十大"))]
    # nothing crosses punctuation: 推进工作，落实责任 is two phrases
    assert "推进工作" in found and "落实责任" in found
    assert not [t for t in found if "推进工作落实" in t or "，" in t]


def test_one_word_phrases_are_set_phrases_only(found):
    # 社会主义 is in five documents but it is a noun of the dictionary, not a formula
    assert "社会主义" not in found
    assert all(len(p.words) >= 2 or p.text == "进一步提高" for p in found.values())


def test_phrase_ends_and_figures():
    texts = [f"{w}2023年以来我们认真贯彻落实各项部署的要求，{t}。" for w, t in zip(LEAD, OWN)]
    got = {p.text: p for p in mine_phrases(texts)}
    # a figure belongs to its unit (2023年 is one word) and never stands alone at an end
    assert got["2023年以来我们认真贯彻落实各项部署的要求"].words[:2] == ("2023年", "以来")
    assert not [t for t in got if t.startswith(("的", "年", "把", "以来")) or t.endswith(("的", "和"))]
    assert not [p for p in got.values() if p.words[0].isdigit() or p.words[-1].isdigit()]


def test_locations_are_original_offsets_in_source_order(found):
    texts = corpus()
    for p in found.values():
        assert list(p.locations) == sorted(p.locations)
        for d, s, e in p.locations:
            assert texts[d][s:e] == p.text
        assert len(p.locations) == p.occurrences


def test_threshold_scales_with_corpus_size_and_is_an_option():
    assert phrase_threshold(AuditConfig(), 8) == 3
    assert phrase_threshold(AuditConfig(), 1000) == 20
    assert phrase_threshold(AuditConfig(phrase_min_documents=7), 8) == 7
    texts = corpus()
    assert {p.text for p in mine_phrases(texts, GROUPS, AuditConfig(phrase_min_documents=5))} == {
        "学习贯彻党的二十大精神", "取得了一定", "进一步提高", "推进工作", "落实责任"}
    assert mine_phrases(texts[:2]) == []  # two documents never make a formula


def test_closure_setting():
    # with closure 0.5, 取得了一定 (7 documents) is dropped for 取得了一定成效 (4 of them)
    got = {p.text for p in mine_phrases(corpus(), GROUPS, AuditConfig(phrase_closure=0.5))}
    assert "取得了一定" not in got and "取得了一定成效" in got


def test_excluded_intervals_hold_no_phrase():
    texts = corpus()
    hide = []
    for i, t in enumerate(texts):
        at = t.find("学习贯彻党的二十大精神")
        hide.append([(at - 1, at + 11)] if at >= 0 and i not in (4, 5) else [])
    got = {p.text: p for p in mine_phrases(texts, GROUPS, exclude=hide)}
    assert "学习贯彻党的二十大精神" not in got  # left in two documents
    assert "取得了一定" in got


def test_mining_is_deterministic_and_independent_of_group_labels():
    texts = corpus()
    a = mine_phrases(texts, GROUPS)
    b = mine_phrases(texts, [g * 10 + 5 for g in GROUPS])
    assert a == b and a == mine_phrases(texts, GROUPS)


def test_bad_groups_name_the_fix():
    with pytest.raises(ValueError, match="one group per text"):
        mine_phrases(["甲", "乙"], [0])


@pytest.mark.parametrize("changes", [{"phrase_closure": 0.0}, {"phrase_min_chars": 1},
                                     {"phrase_min_chars": 9, "phrase_max_chars": 8}, {"phrase_min_documents": 1}])
def test_settings_are_checked(changes):
    with pytest.raises(ConfigError):
        AuditConfig(**changes)


WORDS = ["发展", "改革", "推进", "工作", "落实", "责任", "群众", "服务", "建设", "提升", "质量", "安全"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS + ["，", "。"]), min_size=3, max_size=40), min_size=3, max_size=9),
       st.data())
def test_counts_and_locations_property(docs, data):
    texts = ["".join(d) for d in docs]
    groups = [data.draw(st.integers(0, len(texts) - 1)) for _ in texts]
    got = mine_phrases(texts, groups)
    threshold = phrase_threshold(AuditConfig(), len({g for g, t in zip(groups, texts) if t.strip()}))
    for p in got:
        holders = {groups[i] for i, t in enumerate(texts) if p.text in t}
        assert p.documents == len(holders) >= threshold
        assert p.occurrences == sum(len(re.findall(f"(?={re.escape(p.text)})", t)) for t in texts)
        assert 4 <= len(p.key) <= 30 and "".join(p.words) == p.text
        assert all(texts[d][s:e] == p.text for d, s, e in p.locations)
    ranks = [(-p.documents * len(p.key), -p.documents) for p in got]
    assert ranks == sorted(ranks)


intervals = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20)).map(lambda t: (t[0], t[0] + t[1])), max_size=8)


@given(intervals, intervals)
def test_subtract_and_overlap_property(a, b):
    a, b = merge(a), merge(b)
    rest = subtract(a, b)
    covered = {i for s, e in a for i in range(s, e)} - {i for s, e in b for i in range(s, e)}
    assert {i for s, e in rest for i in range(s, e)} == covered and rest == merge(rest)
    assert overlap(a, 10, 40) == len({i for s, e in a for i in range(s, e)} & set(range(10, 40)))


def test_shares_of_paragraphs_and_documents():
    class Par:
        def __init__(self, pid, start, end):
            self.id, self.start, self.end = pid, start, end

    class Doc:
        id = "d01"
        paragraphs = (Par("d01:p001", 0, 50), Par("d01:p002", 51, 100))

    got = paragraph_shares([Doc()], {"d01": [(10, 20), (60, 70)]}, {"d01": [(0, 30), (51, 100)]})
    assert got == {"d01:p001": {"stock_ratio": 0.2, "copy_ratio_excluding_stock": 0.4},
                   "d01:p002": {"stock_ratio": 0.2041, "copy_ratio_excluding_stock": 0.7959}}
    assert shares(0, 100, [], []) == (0.0, 0.0)


def test_independent_groups_follow_copies_only():
    pairs = [DocumentPair("d2", "d4", 0.9, 0.9, 0.9, 5, 100, "near-duplicate"),
             DocumentPair("d4", "d5", 1.0, 1.0, 1.0, 5, 100, "identical"),
             DocumentPair("d1", "d3", 0.1, 0.2, 0.2, 1, 20, "partial")]
    assert independent_groups(["d1", "d2", "d3", "d4", "d5"], pairs) == [0, 1, 2, 1, 1]


# --- the audit: stock shares and report records -------------------------------------------------

@pytest.fixture(scope="module")
def example_result():
    from chachong.api import audit

    return audit([EXAMPLE])


def test_example_report_records(example_result):
    r = example_result
    top = {p["phrase"]: p for p in r.stock_phrase_records}
    # d06 = d07 and d05 is d01 with other names: 10 documents, 8 independent
    assert top["学习贯彻党的二十大精神"]["documents"] == 7 and top["学习贯彻党的二十大精神"]["share"] == 0.875
    for text in ("下一步工作计划", "存在的问题和不足", "切实加强", "进一步提高", "扎实推进", "取得了一定成效", "高度重视"):
        assert text in top
    ex = top["取得了一定成效"]["examples"][0]
    doc = r.document(ex["document"])
    assert doc.text[ex["start"]:ex["end"]] == ex["text"] == "取得了一定成效"
    assert EXAMPLE.read_text(encoding="utf-8").split("\n")[ex["line"] - 1].find("取得了一定成效") >= 0
    assert set(top["扎实推进"]) == {"phrase", "documents", "share", "occurrences", "family", "words", "examples"}


def test_example_stock_shares(example_result):
    r = example_result
    for d in r.document_records:
        st_ = r.stats[d.id]
        assert st_.stock == merge(st_.stock) and all(0 <= s < e <= len(d.text) for s, e in st_.stock)
        assert 0 < st_.stock_ratio < 0.5
        assert st_.copy_ratio_excluding_stock <= st_.copy_ratio
        copied = merge([iv for ivs in st_.copied.values() for iv in ivs])
        assert st_.copy_ratio_excluding_stock == round(
            sum(e - s for s, e in subtract(copied, st_.stock)) / len(d.text), 4)
    d06 = r.stats["d06"]  # an identical copy: all copied, less its stock phrasing
    assert d06.copy_ratio == 1.0 and d06.copy_ratio_excluding_stock == round(1 - d06.stock_ratio, 4)


def test_report_limit_lists_fewer_but_counts_all(example_result):
    from chachong.api import audit

    short = audit([EXAMPLE], AuditConfig(phrase_report_limit=3))
    assert short.stock_phrase_records == example_result.stock_phrase_records[:3]
    assert [short.stats[d.id].stock for d in short.document_records] == [
        example_result.stats[d.id].stock for d in example_result.document_records]
    with pytest.raises(ConfigError, match="phrase_report_limit"):
        AuditConfig(phrase_report_limit=-1)


def test_example_report_is_deterministic(example_result):
    from chachong.api import audit

    again = audit([EXAMPLE])
    assert json.dumps(again.stock_phrase_records, ensure_ascii=False) == json.dumps(example_result.stock_phrase_records,
                                                                           ensure_ascii=False)
    assert again.boilerplate_records == example_result.boilerplate_records


# --- the command ----------------------------------------------------------------------------------

def test_phrases_command_lists_the_top():
    r = CliRunner().invoke(main, ["phrases", str(EXAMPLE), "--top", "5"])
    assert r.exit_code == 0, r.output
    rows = [line for line in r.stdout.splitlines() if re.match(r"\s+\d+\s", line)]
    assert len(rows) == 5 and "学习贯彻党的二十大精神" in rows[0]


def test_phrases_command_json_and_settings():
    r = CliRunner().invoke(main, ["phrases", str(EXAMPLE), "--top", "0", "--json", "--phrase-min-documents", "6"])
    assert r.exit_code == 0, r.output
    records = json.loads(r.stdout)
    assert records and all(p["documents"] >= 6 for p in records)
    assert {"phrase", "documents", "occurrences", "family", "examples"} <= set(records[0])


@pytest.mark.parametrize("args, words", [
    (["phrases", "no/such/file.txt"], "nothing could be read"),
    (["phrases", str(EXAMPLE), "--phrase-closure", "1.5"], "phrase_closure must be in (0, 1]"),
])
def test_phrases_command_errors(args, words):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output


# --- quality on synthetic corpora (the full-size figures come from benchmarks/phrases_quality.py) --

def test_quality_on_a_synthetic_corpus():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import phrases_quality

    r = phrases_quality.run(10_000, seed=1, n_phrases=20)
    assert r["recall_at_k"] >= 0.95 and r["fragment_rate_all"] <= 0.05 and r["exactness"] >= 0.95
    assert r["stats"]["segmented_chars"] < 0.1 * r["chars"]  # jieba reads the windows, not the corpus


# --- the shared corpora -----------------------------------------------------------------------------

def _word_cuts(text: str) -> set[int]:
    import jieba

    cuts, pos = {0}, 0
    for tok in jieba.cut(text):
        pos += len(tok)
        cuts.add(pos)
    return cuts


def _fragments(documents, mined, top: int) -> list[str]:
    """Phrases of the top whose occurrences are mostly cut inside a word of their paragraph."""
    cache: dict[tuple[int, int], set[int]] = {}
    bad = []
    for p in mined[:top]:
        aligned = 0
        for d, s, e in p.locations:
            doc = documents[d]
            k = next(i for i, q in enumerate(doc.paragraphs) if q.start <= s < q.end)
            par = doc.paragraphs[k]
            if (d, k) not in cache:
                cache[(d, k)] = {par.start + c for c in _word_cuts(par.text)}
            aligned += s in cache[(d, k)] and e in cache[(d, k)]
        if aligned * 2 <= len(p.locations):
            bad.append(p.text)
    return bad


@pytest.mark.corpus
def test_seed_formulas_complete_and_high(seed_result):
    top = [p["phrase"] for p in seed_result.stock_phrase_records]
    assert "学习贯彻D的二十大精神" in top[:30]
    assert "取得了一定成效" in top[:30]
    assert not [t for t in top[:50] if t.endswith(("二十大精", "进一步提")) or t.startswith("步")]


@pytest.mark.corpus
def test_seed_top_50_holds_no_fragment(seed_result):
    r = seed_result
    groups = independent_groups([d.id for d in r.document_records], r.document_pair_records)
    assert len(set(groups)) == len(r.document_records) - 1  # the two identical summaries count once
    mined = mine_phrases([d.text for d in r.document_records], groups, r.config)
    assert [p.text for p in mined[:50]] == [p["phrase"] for p in r.stock_phrase_records[:50]]
    assert _fragments(r.document_records, mined, 50) == []
    for p in mined:
        assert p.documents == len({groups[d] for d, _, _ in p.locations})


@pytest.mark.corpus
def test_city_reports_top_phrases(gwr_path):
    from chachong.stages.load import load_documents

    docs, _, _ = load_documents([gwr_path], AuditConfig())
    first_of: dict[str, int] = {}
    groups = [first_of.setdefault(d.text, i) for i, d in enumerate(docs)]  # three copies of one report
    assert len(set(groups)) == len(docs) - 2
    mined = mine_phrases([d.text for d in docs], groups)
    top = {p.text: p for p in mined[:50]}
    assert top["以习近平新时代中国特色社会主义思想为指导"].documents <= len(docs) - 2
    assert _fragments(docs, mined, 50) == []


# --- enumerators and copied paragraphs (issue 22) -----------------------------------------------

def test_example_has_no_cut_across_an_enumerator_and_no_topic(example_result):
    """二是部分 (the enumerator 二是 and the next word) and 电动自行车 (three documents, two of which
    share the pasted paragraph that names it, the third a copy of a fourth) are no stock phrases,
    and the document views do not mark them as 套话."""
    r = example_result
    listed = {p["phrase"] for p in r.stock_phrase_records}
    assert "二是部分" not in listed and "电动自行车" not in listed and "安全生产" not in listed
    assert {"学习贯彻党的二十大精神", "存在的问题和不足", "取得了一定成效", "切实加强", "高度重视"} <= listed
    for d in r.document_records:
        stock = r.stats[d.id].stock
        for word in ("二是部分", "电动自行车"):
            for m in re.finditer(word, d.text):
                assert not overlap(stock, m.start(), m.end()), (d.id, word)
    res = CliRunner().invoke(main, ["phrases", str(EXAMPLE), "--top", "0"])
    assert res.exit_code == 0 and "二是部分" not in res.stdout and "电动自行车" not in res.stdout


def test_phrases_never_start_or_end_with_an_enumerator():
    from chachong.stages.phrase_spans import ENUMERATORS

    nouns = ["老旧小区", "村集体经济", "项目前期手续", "教师教育理念", "基层医疗机构"]
    texts = [f"{OWN[i]}\n存在的主要问题：一是人手不足；二是部分{nouns[i]}还需改善。严格落实第一议题制度。" for i in range(5)]
    found = {p.text: p for p in mine_phrases(texts)}
    assert "二是部分" not in found and not any(p.words[0] in ENUMERATORS or p.words[-1] in ENUMERATORS
                                              for p in found.values())
    # an ordinal that begins a formula of its own is no enumerator: 第一议题 stays
    assert any(t.startswith("第一议题") or "第一议题" in t for t in found), sorted(found)


def test_a_phrase_inside_a_copied_paragraph_counts_once():
    from chachong.api import audit
    from chachong.model import Document, Paragraph

    pasted = "在安全生产方面，我们重点整治电动自行车违规停放充电、消防通道堵塞等突出问题，做到排查一处、整改一处。"
    bodies = [OWN[0] + "\n" + pasted, OWN[1] + "\n本镇今年" + pasted + "全年未发生较大事故。",
              OWN[2] + "\n对电动自行车开展质量抽查。", OWN[3] + "\n规范电动自行车销售秩序。"]
    docs = [Document(f"d{i + 1}", f"文档{i + 1}", "s", t, 1,
                     tuple(Paragraph(f"d{i + 1}:p{k + 1:03d}", f"d{i + 1}", k, t.index(line), t.index(line) + len(line),
                                     k + 1, line) for k, line in enumerate(t.split("\n"))))
            for i, t in enumerate(bodies)]
    r = audit(docs)
    assert any(p.kind == "contained" for p in r.paragraph_pair_records)  # the pasted paragraph
    mined = {p.text: p for p in mine_phrases([d.text for d in docs])}
    assert mined["电动自行车"].documents == 4  # four documents write it ...
    listed = {p["phrase"]: p for p in r.stock_phrase_records}
    assert "电动自行车" in listed and listed["电动自行车"]["documents"] == 3  # ... three of them independently
    assert "重点整治电动自行车" not in listed  # only in the pasted paragraph: one writing


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=8), st.integers(2, 5))
@settings(max_examples=60, deadline=None)
def test_counting_copies_only_lowers_counts(links, min_docs):
    from chachong.model import Document, Paragraph, ParagraphPair
    from chachong.stages.phrase_copies import independent_writers
    from chachong.stages.phrases import Phrase

    docs = [Document(f"d{i}", "t", "s", "甲乙丙丁。甲乙丙丁", 1,
                     (Paragraph(f"d{i}:p001", f"d{i}", 0, 0, 5, 1, "甲乙丙丁。"),
                      Paragraph(f"d{i}:p002", f"d{i}", 1, 5, 9, 2, "甲乙丙丁"))) for i in range(6)]
    groups = [0, 1, 2, 2, 4, 5]  # d2 and d3 are copies
    locs = tuple((i, s, s + 4) for i in range(6) for s in (0, 5) if (i + s) % 3)
    p = Phrase("甲乙丙丁", "甲乙丙丁", ("甲乙", "丙丁"), len({groups[d] for d, _, _ in locs}), len(locs), "甲乙丙丁", locs)
    pairs = [ParagraphPair(f"d{min(a, b)}:p001", f"d{max(a, b)}:p002", 1.0, 1.0, "identical") for a, b in links if a != b]
    out = independent_writers([p], docs, groups, pairs, min_docs)
    # paragraph ids of another form (hand-built documents) are found all the same
    odd = [Document(d.id, d.title, d.source, d.text, 1,
                    tuple(Paragraph(f"{d.id}/{q.index}", d.id, q.index, q.start, q.end, q.line, q.text)
                          for q in d.paragraphs)) for d in docs]
    renamed = [ParagraphPair(x.a.replace(":p00", "/").replace("/1", "/0").replace("/2", "/1"),
                             x.b.replace(":p00", "/").replace("/1", "/0").replace("/2", "/1"), 1.0, 1.0, x.kind)
               for x in pairs]
    assert independent_writers([p], odd, groups, renamed, min_docs) == out
    assert len(out) <= 1
    if out:
        assert min_docs <= out[0].documents <= p.documents and out[0].locations == p.locations
    elif p.documents >= min_docs:
        assert pairs  # only copying takes a phrase away
